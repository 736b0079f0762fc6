//! What every rule sees: the estate, the access report, the configuration and today's date,
//! plus lookups computed once (resources by id, key policies by key) so no rule does a
//! quadratic join.

use crate::analysis::result::{AccessEntry, Capability, Domain, Report};
use crate::config::date::Date;
use crate::config::Config;
use crate::model::{
    Estate, Kind, KmsKey, Location, PolicyDocument, PrincipalType, Principals, Resource, Statement,
    VStr, Val,
};
use std::collections::BTreeMap;

/// What a policy attribute amounts to once references are followed.
#[derive(Debug, Clone, Copy)]
pub enum PolicyState<'a> {
    /// No policy set: AWS applies the default key policy (account root, `kms:*`).
    Default,
    /// The document is known.
    Known(&'a PolicyDocument),
    /// The document is not known before apply.
    Unknown,
}

/// The context of one rule run.
pub struct RuleCtx<'a> {
    /// Everything read from the inputs.
    pub estate: &'a Estate,
    /// Domains and access (findings not yet filled).
    pub report: &'a Report,
    /// Expected access and suppressions.
    pub config: &'a Config,
    /// Today's date (suppression expiry).
    pub today: Date,
    by_id: BTreeMap<&'a str, &'a Resource>,
    /// Key id -> the `aws_kms_key_policy` resource that sets its policy.
    policy_resources: BTreeMap<&'a str, &'a Resource>,
    /// Key id (or marker) -> the domains listing it, in report order.
    domains_by_key: BTreeMap<&'a str, Vec<&'a Domain>>,
}

impl<'a> RuleCtx<'a> {
    /// Builds the context and its indexes.
    #[must_use]
    pub fn new(estate: &'a Estate, report: &'a Report, config: &'a Config, today: Date) -> Self {
        let by_id: BTreeMap<&str, &Resource> = estate
            .resources
            .iter()
            .map(|r| (r.id.as_str(), r))
            .collect();
        let mut policy_resources = BTreeMap::new();
        for r in &estate.resources {
            let Kind::KeyPolicy(p) = &r.kind else {
                continue;
            };
            for (key, k) in keys_of(estate) {
                if refers_to_key(&p.key, key, k) {
                    policy_resources.entry(key.id.as_str()).or_insert(r);
                }
            }
        }
        let mut domains_by_key: BTreeMap<&str, Vec<&Domain>> = BTreeMap::new();
        for d in &report.domains {
            for k in &d.keys {
                domains_by_key.entry(k.as_str()).or_default().push(d);
            }
        }
        Self {
            estate,
            report,
            config,
            today,
            by_id,
            policy_resources,
            domains_by_key,
        }
    }

    /// The resource with this id.
    #[must_use]
    pub fn resource(&self, id: &str) -> Option<&'a Resource> {
        self.by_id.get(id).copied()
    }

    /// Every customer managed key of the estate.
    pub fn keys(&self) -> impl Iterator<Item = (&'a Resource, &'a KmsKey)> {
        keys_of(self.estate)
    }

    /// The key the value names (by id, ARN or reference), if it is a key of the estate.
    #[must_use]
    pub fn key_named(&self, v: &VStr) -> Option<&'a Resource> {
        self.keys()
            .find(|(r, k)| refers_to_key(v, r, k))
            .map(|(r, _)| r)
    }

    /// The resource holding a key's policy (the key itself, or the `aws_kms_key_policy` that
    /// sets it) and the policy it amounts to.
    #[must_use]
    pub fn key_policy(&self, key: &'a Resource, k: &'a KmsKey) -> (&'a Resource, PolicyState<'a>) {
        if let Some(holder) = self.policy_resources.get(key.id.as_str()) {
            if let Kind::KeyPolicy(p) = &holder.kind {
                return (holder, self.resolve(&p.policy));
            }
        }
        match &k.policy {
            None => (key, PolicyState::Default),
            Some(v) => (key, self.resolve(v)),
        }
    }

    /// Follows a policy value: a known document, or a reference to a policy document data
    /// source (`data.aws_iam_policy_document.x.json`) whose document is known.
    #[must_use]
    pub fn resolve(&self, v: &'a Val<PolicyDocument>) -> PolicyState<'a> {
        match v {
            Val::Known(d) => PolicyState::Known(d),
            Val::Unknown | Val::Partial(_) => PolicyState::Unknown,
            Val::Ref(refs) => refs
                .iter()
                .find_map(|r| match &self.resource(&r.target)?.kind {
                    Kind::PolicyDocument(src) => src.document.known(),
                    Kind::ManagedPolicy(p) => p.document.known(),
                    _ => None,
                })
                .map_or(PolicyState::Unknown, PolicyState::Known),
        }
    }

    /// The account that owns a domain's data: the account of its first key with a known ARN,
    /// else the deploying account (`--account-id` or found in the input).
    #[must_use]
    pub fn home_account(&self, domain: Option<&Domain>) -> Option<&'a str> {
        if let Some(d) = domain {
            for id in &d.keys {
                let Some(r) = self.resource(id) else { continue };
                if let Kind::Key(k) = &r.kind {
                    if let Some(acct) = k
                        .arn
                        .as_ref()
                        .and_then(Val::known)
                        .and_then(|a| account_of(a))
                    {
                        return Some(acct);
                    }
                }
            }
        }
        self.estate.context.account_id.as_deref()
    }

    /// Domains that list the key.
    pub fn domains_of_key(&self, key_id: &str) -> impl Iterator<Item = &'a Domain> + '_ {
        self.domains_by_key
            .get(key_id)
            .into_iter()
            .flat_map(|v| v.iter().copied())
    }

    /// The resource a domain-level finding is about and where it sits: the domain's first key
    /// declared in the input, else its first store, else the domain name at the first input.
    #[must_use]
    pub fn domain_anchor(&self, d: &Domain) -> (String, Location) {
        let declared = d
            .keys
            .iter()
            .chain(d.stores.iter().map(|s| &s.id))
            .find_map(|id| self.resource(id));
        match declared {
            Some(r) => (r.id.clone(), r.location.clone()),
            None => (
                d.keys.first().cloned().unwrap_or_else(|| d.name.clone()),
                self.fallback_location(),
            ),
        }
    }

    /// Where an access entry comes from: the key policy statement or grant its evidence
    /// names, else the domain's anchor.
    #[must_use]
    pub fn access_location(&self, d: &Domain, e: &AccessEntry) -> Location {
        for via in &e.via {
            if let Some(label) = evidence_label(via, "key policy", "statement ") {
                for id in &d.keys {
                    let Some(key) = self.resource(id) else {
                        continue;
                    };
                    let Kind::Key(k) = &key.kind else { continue };
                    let (holder, PolicyState::Known(doc)) = self.key_policy(key, k) else {
                        continue;
                    };
                    if let Some(st) = doc.statements.iter().find(|s| s.label() == label) {
                        return self.statement_location(holder, st);
                    }
                }
            }
            if let Some(label) = evidence_label(via, "grant ", "grant ") {
                let grant = self.estate.resources.iter().find(|r| match &r.kind {
                    Kind::Grant(g) => {
                        r.id == label || g.name.as_ref().and_then(Val::known) == Some(&label)
                    }
                    _ => false,
                });
                if let Some(g) = grant {
                    return g.location.clone();
                }
            }
        }
        self.domain_anchor(d).1
    }

    /// A statement's own location, else its holder's.
    #[must_use]
    pub fn statement_location(&self, holder: &Resource, st: &Statement) -> Location {
        st.location
            .clone()
            .unwrap_or_else(|| holder.location.clone())
    }

    /// A location when nothing better is known: the first input file.
    #[must_use]
    pub fn fallback_location(&self) -> Location {
        self.estate
            .resources
            .first()
            .map(|r| Location::file(r.location.file.clone()))
            .unwrap_or_default()
    }
}

/// An identity policy document somewhere in the estate.
pub struct IdentityDoc<'a> {
    /// The resource holding it (role, user, group, managed or inline policy resource).
    pub holder: &'a Resource,
    /// Human label: `inline policy read`, `managed policy`, ...
    pub label: String,
    /// The document as the input gives it.
    pub doc: &'a Val<PolicyDocument>,
    /// Where the document sits, when the parser tracked it.
    pub location: Option<&'a Location>,
}

impl<'a> RuleCtx<'a> {
    /// Every identity policy document: inline policies of roles, users and groups, customer
    /// managed policies, and inline policies declared as their own resources.
    #[must_use]
    pub fn identity_docs(&self) -> Vec<IdentityDoc<'a>> {
        let mut out = Vec::new();
        for r in &self.estate.resources {
            let inline = match &r.kind {
                Kind::Role(x) => &x.inline_policies,
                Kind::User(x) => &x.inline_policies,
                Kind::Group(x) => &x.inline_policies,
                Kind::ManagedPolicy(p) => {
                    out.push(IdentityDoc {
                        holder: r,
                        label: "managed policy".to_owned(),
                        doc: &p.document,
                        location: None,
                    });
                    continue;
                }
                Kind::InlinePolicy(p) => {
                    out.push(IdentityDoc {
                        holder: r,
                        label: "inline policy".to_owned(),
                        doc: &p.document,
                        location: None,
                    });
                    continue;
                }
                _ => continue,
            };
            for (i, p) in inline.iter().enumerate() {
                out.push(IdentityDoc {
                    holder: r,
                    label: match &p.name {
                        Some(n) => format!("inline policy {n}"),
                        None => format!("inline policy #{i}"),
                    },
                    doc: &p.document,
                    location: p.location.as_ref(),
                });
            }
        }
        out
    }
}

fn keys_of(estate: &Estate) -> impl Iterator<Item = (&Resource, &KmsKey)> {
    estate.resources.iter().filter_map(|r| match &r.kind {
        Kind::Key(k) => Some((r, k)),
        _ => None,
    })
}

/// True when `v` (a key id, key ARN, or a reference) names this key.
fn refers_to_key(v: &VStr, key: &Resource, k: &KmsKey) -> bool {
    match v {
        Val::Known(s) => [&k.key_id, &k.arn]
            .into_iter()
            .flatten()
            .filter_map(Val::known)
            .any(|known| known == s),
        Val::Ref(refs) => refs.iter().any(|r| r.target == key.id),
        Val::Partial(p) => p.references().iter().any(|r| r.target == key.id),
        Val::Unknown => false,
    }
}

/// The label of the statement or grant an evidence string names. Evidence reads like
/// `key policy statement AllowUse`, `key policy aws_kms_key.k statement #2; identity policy …`
/// or `grant app-decrypt`: each `;`-separated step that mentions `context` is searched for
/// `prefix` and the label after it, up to `,`, `(` or the end of the step.
fn evidence_label(via: &str, context: &str, prefix: &str) -> Option<String> {
    via.split(';')
        .filter(|step| step.contains(context))
        .find_map(|step| {
            let start = step.rfind(prefix)? + prefix.len();
            let rest = &step[start..];
            let end = rest.find([',', '(']).unwrap_or(rest.len());
            let label = rest[..end].trim();
            (!label.is_empty()).then(|| label.to_owned())
        })
}

/// The account id in an ARN (`arn:aws:iam::111122223333:role/x`) or a bare 12-digit id.
#[must_use]
pub fn account_of(s: &str) -> Option<&str> {
    let is_account = |a: &str| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit());
    if is_account(s) {
        return Some(s);
    }
    if !s.starts_with("arn:") {
        return None;
    }
    s.split(':').nth(4).filter(|a| is_account(a))
}

/// True when a principal value names a whole account (`111122223333` or
/// `arn:aws:iam::111122223333:root`).
#[must_use]
pub fn is_account_principal(s: &str) -> bool {
    account_of(s).is_some() && (!s.starts_with("arn:") || s.ends_with(":root"))
}

/// The account of an access entry, from its ARN or its principal.
#[must_use]
pub fn entry_account(e: &AccessEntry) -> Option<&str> {
    e.arn
        .as_deref()
        .and_then(account_of)
        .or_else(|| account_of(&e.principal))
}

/// True when a capability is not `no`.
#[must_use]
pub fn some(c: Capability) -> bool {
    c != Capability::No
}

/// The capability of one KMS action (without prefix) in an entry's action map.
#[must_use]
pub fn action(e: &AccessEntry, name: &str) -> Capability {
    e.actions
        .iter()
        .find(|(k, _)| k.trim_start_matches("kms:").eq_ignore_ascii_case(name))
        .map_or(Capability::No, |(_, c)| *c)
}

/// True when an action pattern (`kms:*`, `*`, `kms:Put*`) matches `action` (`kms:PutKeyPolicy`),
/// case-insensitively as IAM compares actions.
#[must_use]
pub fn action_matches(pattern: &str, action: &str) -> bool {
    wildmatch::WildMatch::new(&pattern.to_ascii_lowercase()).matches(&action.to_ascii_lowercase())
}

/// Whether a statement's action element covers `action`: `Some(true)` proven, `Some(false)`
/// proven not, `None` when an unknown value leaves it open.
#[must_use]
pub fn statement_covers(st: &Statement, action: &str) -> Option<bool> {
    let any_unknown = |list: &[VStr]| list.iter().any(Val::is_unknown);
    let any_match = |list: &[VStr]| {
        list.iter()
            .filter_map(Val::known)
            .any(|p| action_matches(p, action))
    };
    match (&st.action, &st.not_action) {
        (Some(list), _) => {
            if any_match(list) {
                Some(true)
            } else if any_unknown(list) {
                None
            } else {
                Some(false)
            }
        }
        (None, Some(list)) => {
            if any_match(list) {
                Some(false)
            } else if any_unknown(list) {
                None
            } else {
                Some(true)
            }
        }
        // A statement without Action or NotAction is ineffective (kms-semantics §1.1).
        (None, None) => Some(false),
    }
}

/// Allow statements that delegate to an account's IAM: an `AWS` principal that is an account
/// (`111122223333`, `arn:aws:iam::111122223333:root`) or unknown until apply (typically
/// `data.aws_caller_identity.current.account_id`).
pub fn delegating_statements(doc: &PolicyDocument) -> impl Iterator<Item = &Statement> {
    doc.statements.iter().filter(|st| {
        st.effect == crate::model::Effect::Allow
            && st.principal.as_ref().is_some_and(|p| {
                principal_values(p).iter().any(|(t, v)| {
                    *t == PrincipalType::Aws && v.known().is_none_or(|s| is_account_principal(s))
                })
            })
    })
}

/// The principals of a statement as (type, value) pairs, `*` for `"Principal": "*"`.
#[must_use]
pub fn principal_values(p: &Principals) -> Vec<(PrincipalType, &VStr)> {
    static STAR: std::sync::LazyLock<VStr> = std::sync::LazyLock::new(|| Val::Known("*".into()));
    match p {
        Principals::Any => vec![(PrincipalType::Aws, &*STAR)],
        Principals::Map(m) => m.iter().map(|(t, v)| (t.clone(), v)).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts() {
        for (s, want) in [
            ("111122223333", Some("111122223333")),
            ("arn:aws:iam::111122223333:root", Some("111122223333")),
            ("arn:aws:iam::111122223333:role/x", Some("111122223333")),
            (
                "arn:aws:sts::111122223333:assumed-role/x/s",
                Some("111122223333"),
            ),
            ("arn:aws:iam::*:root", None),
            ("aws_iam_role.app", None),
            ("*", None),
            ("11112222333", None),
        ] {
            assert_eq!(account_of(s), want, "{s}");
        }
        assert!(is_account_principal("111122223333"));
        assert!(is_account_principal("arn:aws:iam::111122223333:root"));
        assert!(!is_account_principal("arn:aws:iam::111122223333:role/root"));
    }

    #[test]
    fn action_patterns() {
        for (p, a, want) in [
            ("kms:*", "kms:Decrypt", true),
            ("*", "kms:Decrypt", true),
            ("KMS:decrypt", "kms:Decrypt", true),
            ("kms:De*", "kms:Decrypt", true),
            ("kms:Put*", "kms:PutKeyPolicy", true),
            ("kms:Encrypt", "kms:Decrypt", false),
            ("kms:?ecrypt", "kms:Decrypt", true),
            ("s3:*", "kms:Decrypt", false),
        ] {
            assert_eq!(action_matches(p, a), want, "{p} {a}");
        }
    }

    #[test]
    fn evidence_labels() {
        let kp = |v: &str| evidence_label(v, "key policy", "statement ");
        assert_eq!(kp("key policy statement AllowUse"), Some("AllowUse".into()));
        assert_eq!(
            kp("key policy aws_kms_key.k statement #2, through s3"),
            Some("#2".into())
        );
        assert_eq!(
            kp("delegated to account 1 by key policy statement EnableIAM; identity policy x statement #0"),
            Some("EnableIAM".into())
        );
        assert_eq!(kp("identity policy x statement #0"), None);
        assert_eq!(
            evidence_label("grant g1", "grant ", "grant "),
            Some("g1".into())
        );
        assert_eq!(evidence_label("trust chain", "grant ", "grant "), None);
    }
}
