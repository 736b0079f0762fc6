//! The principal universe: every principal the inputs declare or name, with the identity
//! policies, boundary and SCPs that bind it.
//!
//! Declared roles and users carry their identity layer (own inline and managed policies, policy
//! resources attached to them, their groups' policies for users). Principals only *named* in a
//! policy (an account, a role of another account, a service, a federated provider, `*`) have
//! no identity layer in the input: it is marked incomplete, and the evaluator decides what that
//! means for each path.

use super::eval::{LabeledDoc, Layer, PrincipalCtx};
use super::link::{arn_account, DocState, Links, ManagedRef};
use super::result::PrincipalKind;
use crate::model::{
    Estate, Kind, NamedPolicy, OrgPolicyType, Part, Partial, PolicyDocument, PrincipalType, VStr,
    Val,
};
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// Written in place of the deploying account when neither `--account-id` nor the inputs
/// reveal it.
pub const DEPLOYING_ACCOUNT: &str = "<account>";

/// One principal of the universe.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The contract's `principal` string: input id when declared, else normalised.
    pub name: String,
    /// Kind.
    pub kind: PrincipalKind,
    /// Resource index when declared in the input.
    pub resource: Option<usize>,
    /// ARN when known or buildable.
    pub arn: Option<String>,
    /// Account, when known.
    pub account: Option<String>,
    /// True for an IAM group, evaluated as a member who has only the group's policies: a
    /// group is not a principal, but whoever is added to it (in the input or outside it) is.
    pub group: bool,
    /// The ARN known in part, when `arn` is not known (a generated name, a pseudo parameter).
    pub arn_pattern: Option<Partial>,
    /// The policy value this principal was created from, when the input names it only by an
    /// expression not known before apply.
    pub source: Option<VStr>,
}

/// Identity side of a principal.
#[derive(Debug, Default)]
pub struct Identity<'a> {
    docs: Vec<(String, &'a PolicyDocument)>,
    incomplete: bool,
    boundary: Option<(Vec<(String, &'a PolicyDocument)>, bool)>,
    scps: Vec<(String, &'a PolicyDocument)>,
    tags: Option<&'a BTreeMap<String, String>>,
    /// Could the identity layer allow some KMS action? (pre-filter)
    pub may_grant_kms: bool,
    /// Could the identity layer allow `sts:AssumeRole*`? (pre-filter)
    pub may_assume: bool,
}

impl<'a> Identity<'a> {
    /// An identity layer the input does not show: incomplete, and possibly allowing KMS and
    /// role assumption.
    fn outside(scps: Vec<(String, &'a PolicyDocument)>) -> Self {
        Identity {
            incomplete: true,
            may_grant_kms: true,
            may_assume: true,
            scps,
            ..Identity::default()
        }
    }
}

/// All principals.
#[derive(Debug, Default)]
pub struct Universe<'a> {
    /// The principals, in creation order (declared first, sorted by id).
    pub principals: Vec<Principal>,
    /// Identity sides, parallel to `principals`.
    pub identities: Vec<Identity<'a>>,
    by_name: HashMap<String, usize>,
    by_resource: HashMap<usize, usize>,
    by_arn: HashMap<String, usize>,
    /// The deploying account.
    pub account: String,
    /// The partition.
    pub partition: String,
    scps: Vec<(String, &'a PolicyDocument)>,
    org_id: Option<String>,
}

fn full_access_scp() -> &'static PolicyDocument {
    static DOC: OnceLock<PolicyDocument> = OnceLock::new();
    DOC.get_or_init(|| {
        crate::parse::policy_json::parse_policy(
            &serde_json::json!({"Version": "2012-10-17", "Statement": [
                {"Sid": "FullAWSAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}]}),
            None,
        )
        .unwrap_or_default()
    })
}

/// Cheap test: could this document allow an action of `service` (`kms`, `sts`)?
#[must_use]
pub fn may_allow_service(doc: &PolicyDocument, service: &str) -> bool {
    doc.incomplete
        || doc.statements.iter().any(|s| {
            s.effect == crate::model::Effect::Allow && statement_may_name_service(s, service)
        })
}

/// Could the statement's `Action`/`NotAction` name an action of `service` (a wildcard, an
/// unknown value, or any `NotAction`)?
#[must_use]
pub fn statement_may_name_service(s: &crate::model::Statement, service: &str) -> bool {
    s.not_action.is_some()
        || s.action.as_ref().is_some_and(|acts| {
            acts.iter().any(|a| match a {
                Val::Known(a) => {
                    let a = a.to_ascii_lowercase();
                    a == "*"
                        || a.split_once(':').is_some_and(|(svc, _)| {
                            svc == service || svc.contains('*') || svc.contains('?')
                        })
                }
                Val::Unknown | Val::Ref(_) | Val::Partial(_) => true,
            })
        })
}

impl<'a> Universe<'a> {
    /// Builds the universe of declared principals.
    #[must_use]
    pub fn build(estate: &'a Estate, links: &Links) -> Self {
        let account = estate
            .context
            .account_id
            .clone()
            .unwrap_or_else(|| DEPLOYING_ACCOUNT.to_owned());
        let partition = estate
            .context
            .partition
            .clone()
            .unwrap_or_else(|| "aws".to_owned());
        let mut u = Universe {
            account,
            partition,
            org_id: estate.context.org_id.clone(),
            ..Universe::default()
        };
        u.scps = org_policies(estate, links, &u.account, &OrgPolicyType::ServiceControl);
        for (i, r) in estate.resources.iter().enumerate() {
            let (kind, arn, arn_pattern) = match &r.kind {
                Kind::Role(x) => (
                    PrincipalKind::Role,
                    u.known_or_built(x.arn.as_ref(), x.name.as_ref(), "role", x.path.as_deref()),
                    u.pattern_of(x.arn.as_ref(), x.name.as_ref(), "role", x.path.as_deref()),
                ),
                Kind::User(x) => (
                    PrincipalKind::User,
                    u.known_or_built(x.arn.as_ref(), x.name.as_ref(), "user", x.path.as_deref()),
                    u.pattern_of(x.arn.as_ref(), x.name.as_ref(), "user", x.path.as_deref()),
                ),
                Kind::Group(_) => (PrincipalKind::User, None, None),
                _ => continue,
            };
            let arn_pattern = if arn.is_some() { None } else { arn_pattern };
            let group = matches!(r.kind, Kind::Group(_));
            let account = arn
                .as_deref()
                .and_then(arn_account_any)
                .map_or_else(|| u.account.clone(), str::to_owned);
            let identity = identity_of(estate, links, i, &u.scps);
            u.push(
                Principal {
                    name: r.id.clone(),
                    kind,
                    resource: Some(i),
                    arn,
                    account: Some(account),
                    group,
                    arn_pattern,
                    source: None,
                },
                identity,
            );
        }
        u
    }

    /// The ARN of a declared role or user known in part: its own partial ARN, or one built
    /// from a name known in part (a prefix and a generated suffix).
    fn pattern_of(
        &self,
        arn: Option<&VStr>,
        name: Option<&VStr>,
        what: &str,
        path: Option<&str>,
    ) -> Option<Partial> {
        if let Some(Val::Partial(p)) = arn {
            return Some(p.clone());
        }
        let Some(Val::Partial(n)) = name else {
            return None;
        };
        let path = path.filter(|p| !p.is_empty()).unwrap_or("/");
        let head = Part::Lit(format!(
            "arn:{}:iam::{}:{what}{path}",
            self.partition, self.account
        ));
        Partial::build(std::iter::once(head).chain(n.parts.iter().cloned()))
            .partial()
            .cloned()
    }

    fn known_or_built(
        &self,
        arn: Option<&VStr>,
        name: Option<&VStr>,
        what: &str,
        path: Option<&str>,
    ) -> Option<String> {
        if let Some(Val::Known(a)) = arn {
            return Some(a.clone());
        }
        let Some(Val::Known(n)) = name else {
            return None;
        };
        let path = path.filter(|p| !p.is_empty()).unwrap_or("/");
        Some(format!(
            "arn:{}:iam::{}:{what}{path}{n}",
            self.partition, self.account
        ))
    }

    fn push(&mut self, p: Principal, identity: Identity<'a>) -> usize {
        let idx = self.principals.len();
        self.by_name.insert(p.name.clone(), idx);
        if let Some(r) = p.resource {
            self.by_resource.insert(r, idx);
        }
        if let Some(a) = &p.arn {
            self.by_arn.entry(a.clone()).or_insert(idx);
        }
        self.principals.push(p);
        self.identities.push(identity);
        idx
    }

    /// Principal index of a declared resource.
    #[must_use]
    pub fn of_resource(&self, r: usize) -> Option<usize> {
        self.by_resource.get(&r).copied()
    }

    /// The identity side of a principal the input only names: its policies are outside the
    /// input; the SCPs of the input bind it when it is in the deploying account.
    fn outside_identity(&self, account: Option<&str>) -> Identity<'a> {
        let scps = if account == Some(self.account.as_str()) {
            self.scps.clone()
        } else {
            Vec::new()
        };
        Identity::outside(scps)
    }

    /// The account principal (`arn:<p>:iam::<acct>:root`), created on first use.
    pub fn account_principal(&mut self, account: &str) -> usize {
        let name = format!("arn:{}:iam::{account}:root", self.partition);
        if let Some(&i) = self.by_name.get(&name) {
            return i;
        }
        let identity = self.outside_identity(Some(account));
        self.push(
            Principal {
                name: name.clone(),
                kind: PrincipalKind::Account,
                resource: None,
                arn: Some(name),
                account: Some(account.to_owned()),
                group: false,
                arn_pattern: None,
                source: None,
            },
            identity,
        )
    }

    /// The principal named in a policy by `(type, value)`, created on first use. `None` when
    /// the value cannot name a principal.
    pub fn named(
        &mut self,
        estate: &Estate,
        links: &Links,
        t: &PrincipalType,
        v: &VStr,
    ) -> Option<usize> {
        if let Some(r) = links.resolve_principal(estate, v) {
            return self.of_resource(r);
        }
        match v {
            Val::Known(s) => Some(self.external(t, s)),
            Val::Ref(refs) => {
                let r = refs.first()?;
                // A reference to the caller identity's account names the deploying account;
                // its `arn` names whoever runs the deployment, a principal of that account.
                let mut account = None;
                if let Some(i) = links.index(&r.target) {
                    if matches!(estate.resources[i].kind, Kind::CallerIdentity(_)) {
                        let acct = self.account.clone();
                        if !matches!(r.attribute.as_deref(), Some("arn" | "user_id")) {
                            return Some(self.account_principal(&acct));
                        }
                        account = Some(acct);
                    }
                }
                Some(self.unknown(t, &r.to_string(), v, account, None))
            }
            Val::Partial(p) => {
                // `arn:…:iam::${the deploying account}:root` names the deploying account.
                if p.suffix() == ":root" && p.prefix().starts_with("arn:") {
                    if let [_, Part::Hole(h), _] = p.parts.as_slice() {
                        let deploying = h.refs.iter().all(|r| {
                            r.target == "AWS::AccountId"
                                || links.index(&r.target).is_some_and(|i| {
                                    matches!(estate.resources[i].kind, Kind::CallerIdentity(_))
                                })
                        });
                        if deploying && !h.refs.is_empty() {
                            let acct = self.account.clone();
                            return Some(self.account_principal(&acct));
                        }
                    }
                }
                let text = p.to_string();
                // The account, when the known text runs past it.
                let account = arn_account_any(p.prefix()).map(str::to_owned);
                Some(self.unknown(t, &text, v, account, Some(p.clone())))
            }
            Val::Unknown => Some(self.unknown(t, "(known after apply)", v, None, None)),
        }
    }

    /// A principal the input names only by a value not known before apply: its own entry,
    /// matched by that value, of the principal type it was written under.
    fn unknown(
        &mut self,
        t: &PrincipalType,
        name: &str,
        source: &VStr,
        account: Option<String>,
        pattern: Option<Partial>,
    ) -> usize {
        if let Some(&i) = self.by_name.get(name) {
            return i;
        }
        let kind = match t {
            PrincipalType::Service => PrincipalKind::Service,
            PrincipalType::Federated => PrincipalKind::Federated,
            PrincipalType::Aws | PrincipalType::CanonicalUser | PrincipalType::Other(_) => {
                PrincipalKind::Unknown
            }
        };
        let identity = self.outside_identity(account.as_deref());
        self.push(
            Principal {
                name: name.to_owned(),
                kind,
                resource: None,
                arn: None,
                account,
                group: false,
                arn_pattern: pattern,
                source: Some(source.clone()),
            },
            identity,
        )
    }

    /// A principal written as a string in a policy.
    pub fn external(&mut self, t: &PrincipalType, s: &str) -> usize {
        let s = s.trim();
        match t {
            PrincipalType::Aws => {
                if s == "*" {
                    return self.public();
                }
                if super::link::is_account_id(s) {
                    return self.account_principal(s);
                }
                if let Some(&i) = self.by_arn.get(s) {
                    return i;
                }
                if s.starts_with("arn:") && s.ends_with(":root") {
                    if let Some(acct) = arn_account_any(s) {
                        let acct = acct.to_owned();
                        return self.account_principal(&acct);
                    }
                }
                let resource = s.splitn(6, ':').nth(5).unwrap_or("");
                let kind = if resource.starts_with("role/") || resource.starts_with("assumed-role/")
                {
                    PrincipalKind::Role
                } else if resource.starts_with("user/") || resource.starts_with("federated-user/") {
                    PrincipalKind::User
                } else {
                    PrincipalKind::Unknown
                };
                self.simple(
                    s,
                    kind,
                    s.starts_with("arn:").then(|| s.to_owned()),
                    arn_account_any(s),
                )
            }
            PrincipalType::Service => self.simple(s, PrincipalKind::Service, None, None),
            PrincipalType::Federated => {
                let acct = arn_account_any(s);
                self.simple(
                    s,
                    PrincipalKind::Federated,
                    s.starts_with("arn:").then(|| s.to_owned()),
                    acct,
                )
            }
            PrincipalType::CanonicalUser | PrincipalType::Other(_) => {
                self.simple(s, PrincipalKind::Unknown, None, None)
            }
        }
    }

    /// Everyone (`*`).
    pub fn public(&mut self) -> usize {
        self.simple("*", PrincipalKind::Public, None, None)
    }

    fn simple(
        &mut self,
        name: &str,
        kind: PrincipalKind,
        arn: Option<String>,
        account: Option<&str>,
    ) -> usize {
        if let Some(&i) = self.by_name.get(name) {
            return i;
        }
        let identity = self.outside_identity(account);
        self.push(
            Principal {
                name: name.to_owned(),
                kind,
                resource: None,
                arn,
                account: account.map(str::to_owned),
                group: false,
                arn_pattern: None,
                source: None,
            },
            identity,
        )
    }

    /// Builds the evaluator's view of every principal.
    #[must_use]
    pub fn contexts(&self) -> Vec<PrincipalCtx<'_>> {
        self.principals
            .iter()
            .zip(&self.identities)
            .map(|(p, id)| PrincipalCtx {
                kind: p.kind,
                id: p.resource.map(|_| p.name.as_str()),
                // The evaluator names services by their service name.
                arn: p
                    .arn
                    .as_deref()
                    .or_else(|| (p.kind == PrincipalKind::Service).then_some(p.name.as_str())),
                arn_pattern: p.arn_pattern.as_ref(),
                source: p.source.as_ref(),
                account: p.account.as_deref(),
                identity: Layer {
                    docs: id
                        .docs
                        .iter()
                        .map(|(l, d)| LabeledDoc { label: l, doc: d })
                        .collect(),
                    incomplete: id.incomplete,
                },
                boundary: id.boundary.as_ref().map(|(docs, inc)| Layer {
                    docs: docs
                        .iter()
                        .map(|(l, d)| LabeledDoc { label: l, doc: d })
                        .collect(),
                    incomplete: *inc,
                }),
                scps: Layer {
                    docs: id
                        .scps
                        .iter()
                        .map(|(l, d)| LabeledDoc { label: l, doc: d })
                        .collect(),
                    incomplete: false,
                },
                tags: id.tags,
                org_id: self.org_id.as_deref(),
            })
            .collect()
    }

    /// The resources named by the KMS-capable Allow statements of a principal's identity
    /// policies, when they are all exact (ARNs or references). `None` means the principal may
    /// be allowed on any key (a wildcard, `NotResource`, an unknown value or an incomplete
    /// layer), so it must be evaluated against every key.
    #[must_use]
    pub fn kms_resources(&self, p: usize) -> Option<Vec<&VStr>> {
        let id = &self.identities[p];
        if id.incomplete {
            return None;
        }
        let mut out = Vec::new();
        for (_, doc) in &id.docs {
            if doc.incomplete {
                return None;
            }
            for s in &doc.statements {
                if s.effect != crate::model::Effect::Allow {
                    continue;
                }
                let one = PolicyDocument {
                    statements: vec![s.clone()],
                    ..PolicyDocument::default()
                };
                if !may_allow_service(&one, "kms") {
                    continue;
                }
                if s.not_resource.is_some() {
                    return None;
                }
                let Some(res) = &s.resource else { continue };
                for r in res {
                    match r {
                        Val::Known(x) if x.contains('*') || x.contains('?') || x.contains("${") => {
                            return None
                        }
                        Val::Known(_) | Val::Ref(_) => out.push(r),
                        Val::Unknown | Val::Partial(_) => return None,
                    }
                }
            }
        }
        Some(out)
    }

    /// Labels of a principal's identity policies, boundary, and whether the identity layer is
    /// incomplete (for the inventory).
    #[must_use]
    pub fn identity_summary(&self, p: usize) -> (Vec<String>, Vec<String>, bool) {
        let id = &self.identities[p];
        let docs = id.docs.iter().map(|(l, _)| l.clone()).collect();
        let boundary = id
            .boundary
            .as_ref()
            .map(|(d, inc)| {
                let mut v: Vec<String> = d.iter().map(|(l, _)| l.clone()).collect();
                if *inc {
                    v.push("permissions boundary not known".to_owned());
                }
                v
            })
            .unwrap_or_default();
        (docs, boundary, id.incomplete)
    }
}

/// Account of an ARN, accepting the deploying-account placeholder.
#[must_use]
pub fn arn_account_any(arn: &str) -> Option<&str> {
    if let Some(a) = arn_account(arn) {
        return Some(a);
    }
    let acct = arn.split(':').nth(4)?;
    (acct == DEPLOYING_ACCOUNT).then_some(acct)
}

/// Organization policies of a type that bind the given account: attached to a root, to the
/// account itself, or to a target keyreach cannot place (then only when certain). Always
/// includes the default full-access policy AWS attaches, so only Denies of the input bite.
#[must_use]
pub fn org_policies<'a>(
    estate: &'a Estate,
    links: &Links,
    account: &str,
    which: &OrgPolicyType,
) -> Vec<(String, &'a PolicyDocument)> {
    let mut out = Vec::new();
    let mut attached: HashMap<usize, Vec<&VStr>> = HashMap::new();
    for r in &estate.resources {
        if let Kind::OrgPolicyAttachment(a) = &r.kind {
            let target = match &a.policy {
                Val::Ref(refs) => refs.iter().find_map(|x| links.index(&x.target)),
                Val::Known(id) => estate.resources.iter().position(|p| {
                    matches!(&p.kind, Kind::OrgPolicy(op) if op.policy_id.as_ref().and_then(|v| v.known()) == Some(id))
                }),
                Val::Partial(p) => p.references().iter().find_map(|x| links.index(&x.target)),
                Val::Unknown => None,
            };
            if let Some(t) = target {
                attached.entry(t).or_default().push(&a.target);
            }
        }
    }
    for (i, r) in estate.resources.iter().enumerate() {
        let Kind::OrgPolicy(p) = &r.kind else {
            continue;
        };
        if &p.policy_type != which {
            continue;
        }
        let binds = p
            .targets
            .iter()
            .chain(attached.get(&i).into_iter().flatten().copied())
            .any(|t| matches!(t, Val::Known(t) if t.starts_with("r-") || t == account));
        if !binds {
            continue;
        }
        if let DocState::Known(d) = links.resolve_doc(estate, &p.document) {
            let what = match which {
                OrgPolicyType::ServiceControl => "SCP",
                OrgPolicyType::ResourceControl => "RCP",
                OrgPolicyType::Other(_) => "organization policy",
            };
            out.push((format!("{what} {}", r.id), d));
        }
    }
    if !out.is_empty() {
        out.push(("default full-access policy".to_owned(), full_access_scp()));
    }
    out
}

/// A principal's own inline policies, managed policy ARNs and boundary.
type OwnPolicies<'a> = (
    &'a [NamedPolicy],
    Option<&'a Val<Vec<VStr>>>,
    Option<&'a VStr>,
);

fn identity_of<'a>(
    estate: &'a Estate,
    links: &Links,
    idx: usize,
    scps: &[(String, &'a PolicyDocument)],
) -> Identity<'a> {
    let mut id = Identity {
        scps: scps.to_vec(),
        tags: estate.resources[idx].tags.known(),
        ..Identity::default()
    };
    let mut owners = vec![idx];
    if let Some(groups) = links.groups_of_user.get(&idx) {
        owners.extend(groups.iter().copied());
    }
    for owner in owners {
        let r = &estate.resources[owner];
        let suffix = if owner == idx {
            String::new()
        } else {
            format!(" (via group {})", r.id)
        };
        let (inline, managed, boundary): OwnPolicies<'_> = match &r.kind {
            Kind::Role(x) => (
                &x.inline_policies,
                Some(&x.managed_policy_arns),
                x.permissions_boundary.as_ref(),
            ),
            Kind::User(x) => (
                &x.inline_policies,
                Some(&x.managed_policy_arns),
                x.permissions_boundary.as_ref(),
            ),
            Kind::Group(x) => (&x.inline_policies, Some(&x.managed_policy_arns), None),
            _ => (&[], None, None),
        };
        for p in inline {
            let mut label = format!(
                "{} (inline in {}){suffix}",
                p.name.as_deref().unwrap_or("(unnamed)"),
                r.id
            );
            let filled = format!("inline_policy {}", p.name.as_deref().unwrap_or(""));
            if let Some(e) = r
                .filled_from_source(filled.trim_end())
                .or_else(|| r.filled_from_source("inline_policy"))
            {
                label = format!("{label} {e}");
            }
            add_doc(&mut id, label, links.resolve_doc(estate, &p.document));
        }
        for &pi in links.inline_of.get(&owner).into_iter().flatten() {
            if let Kind::InlinePolicy(p) = &estate.resources[pi].kind {
                let pr = &estate.resources[pi];
                let mut label = format!("{}{suffix}", pr.id);
                if let Some(e) = pr.filled_from_source("policy") {
                    label = format!("{label} {e}");
                }
                add_doc(&mut id, label, links.resolve_doc(estate, &p.document));
            }
        }
        let mut managed_refs: Vec<&VStr> = Vec::new();
        match managed {
            Some(Val::Known(list)) => managed_refs.extend(list.iter()),
            Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => id.incomplete = true,
            None => {}
        }
        managed_refs.extend(
            links
                .managed_of
                .get(&owner)
                .into_iter()
                .flatten()
                .map(|(v, _)| v),
        );
        for m in managed_refs {
            match links.resolve_managed(estate, m) {
                ManagedRef::Customer(pi, state) => {
                    add_doc(
                        &mut id,
                        format!("{}{suffix}", estate.resources[pi].id),
                        state,
                    );
                }
                ManagedRef::Aws(arn, doc) => {
                    id.docs.push((format!("{arn}{suffix}"), doc));
                }
                ManagedRef::Outside(_) | ManagedRef::Unknown => id.incomplete = true,
            }
        }
        if owner == idx {
            let mut bounds: Vec<&VStr> = boundary.into_iter().collect();
            bounds.extend(links.boundary_of.get(&idx).into_iter().flatten());
            for b in bounds {
                let (docs, inc) = id.boundary.get_or_insert_with(|| (Vec::new(), false));
                match links.resolve_managed(estate, b) {
                    ManagedRef::Customer(pi, DocState::Known(d)) => {
                        docs.push((
                            format!("permissions boundary {}", estate.resources[pi].id),
                            d,
                        ));
                    }
                    ManagedRef::Aws(arn, d) => {
                        docs.push((format!("permissions boundary {arn}"), d))
                    }
                    ManagedRef::Customer(_, DocState::Unknown)
                    | ManagedRef::Outside(_)
                    | ManagedRef::Unknown => {
                        *inc = true;
                    }
                }
            }
        }
    }
    if links.attachments_unknown {
        id.incomplete = true;
    }
    id.may_grant_kms = id.incomplete || id.docs.iter().any(|(_, d)| may_allow_service(d, "kms"));
    id.may_assume = id.incomplete || id.docs.iter().any(|(_, d)| may_allow_service(d, "sts"));
    id
}

fn add_doc<'a>(id: &mut Identity<'a>, label: String, state: DocState<'a>) {
    match state {
        DocState::Known(d) => {
            if d.incomplete {
                id.incomplete = true;
            }
            id.docs.push((label, d));
        }
        DocState::Unknown => id.incomplete = true,
    }
}
