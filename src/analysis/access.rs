//! Per-key access: which principals can call which KMS actions on a key, directly, through
//! IAM delegation, through grants, and through chains of role assumption.
//!
//! The cost stays near-linear in the size of the graph: candidates per key come from the key
//! policy, the grants and an index of identity policies that may grant KMS (never all
//! principals × all keys unless a policy is open to `*`), and role chains are followed by one
//! monotone worklist pass per key over the reverse assume-role edges — no per-pair path query.

pub mod explain;

use super::eval::{
    self, AccessPath, EvalContext, GrantCtx, KeyCtx, LabeledDoc, Layer, PrincipalCtx, RoleCtx,
};
use super::fold::{self, Fold};
use super::link::{DocState, Links};
use super::principals::{arn_account_any, org_policies, Universe};
use super::result::{Capability, PrincipalKind};
use crate::model::{
    Estate, Kind, KmsKey, OrgPolicyType, PolicyDocument, PrincipalType, Principals, Val,
};
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Actions that give `read`.
pub const READ: &[&str] = &["Decrypt", "ReEncryptFrom", "DeriveSharedSecret"];
/// Actions that give `write`.
pub const WRITE: &[&str] = &[
    "Encrypt",
    "ReEncryptTo",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "Sign",
    "GenerateMac",
];
/// Actions that give `admin`.
pub const ADMIN: &[&str] = &[
    "PutKeyPolicy",
    "CreateGrant",
    "ReplicateKey",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
    "DisableKey",
    "EnableKey",
    "EnableKeyRotation",
    "DisableKeyRotation",
    "RotateKeyOnDemand",
    "ImportKeyMaterial",
    "DeleteImportedKeyMaterial",
    "TagResource",
    "UntagResource",
    "CreateAlias",
    "UpdateAlias",
    "DeleteAlias",
    "UpdateKeyDescription",
    "UpdatePrimaryRegion",
    "RevokeGrant",
];

/// Capability class of an action index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Read.
    Read = 0,
    /// Write.
    Write = 1,
    /// Admin.
    Admin = 2,
}

/// All evaluated actions, read first, then write, then admin.
pub fn all_actions() -> impl Iterator<Item = (&'static str, Class)> {
    READ.iter()
        .map(|a| (*a, Class::Read))
        .chain(WRITE.iter().map(|a| (*a, Class::Write)))
        .chain(ADMIN.iter().map(|a| (*a, Class::Admin)))
}

/// [`all_actions`] with their `kms:` prefix, as requests name them.
fn prefixed_actions() -> &'static [String] {
    static NAMES: std::sync::LazyLock<Vec<String>> =
        std::sync::LazyLock::new(|| all_actions().map(|(a, _)| format!("kms:{a}")).collect());
    &NAMES
}

fn action_count() -> usize {
    READ.len() + WRITE.len() + ADMIN.len()
}

/// One principal's access to one key (or domain).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acc {
    /// Capability per action, in [`all_actions`] order.
    pub caps: Vec<Capability>,
    /// Evidence per class (read, write, admin).
    pub via: [Vec<String>; 3],
}

impl Acc {
    fn new() -> Self {
        Self {
            caps: vec![Capability::No; action_count()],
            via: [Vec::new(), Vec::new(), Vec::new()],
        }
    }

    /// The class capability: the strongest of its actions.
    #[must_use]
    pub fn class(&self, c: Class) -> Capability {
        all_actions()
            .zip(&self.caps)
            .filter(|((_, cl), _)| *cl == c)
            .map(|(_, cap)| *cap)
            .max()
            .unwrap_or(Capability::No)
    }

    /// Any capability other than `no`.
    #[must_use]
    pub fn any(&self) -> bool {
        self.caps.iter().any(|c| *c != Capability::No)
    }

    /// Joins `other` into `self`; returns true when something grew.
    pub fn join(&mut self, other: &Acc) -> bool {
        let before = [
            self.class(Class::Read),
            self.class(Class::Write),
            self.class(Class::Admin),
        ];
        let mut grew = false;
        for (a, b) in self.caps.iter_mut().zip(&other.caps) {
            if *b > *a {
                *a = *b;
                grew = true;
            }
        }
        for (i, c) in [Class::Read, Class::Write, Class::Admin]
            .into_iter()
            .enumerate()
        {
            if self.class(c) > before[i] || (self.via[i].is_empty() && !other.via[i].is_empty()) {
                self.via[i].clone_from(&other.via[i]);
            }
        }
        grew
    }
}

/// Owned grant facts: label, grantee ARN, grantee id, operations, constrained.
type GrantData = (
    String,
    Option<String>,
    Option<String>,
    Option<Vec<String>>,
    bool,
);

/// An assume-role edge `caller -> role`: the caller can become the role.
#[derive(Debug, Clone)]
struct Edge {
    cap: Capability,
    evidence: Vec<String>,
}

/// The role-assumption graph: one node per principal of the universe (node index =
/// principal index), one edge per caller that can become a role.
struct AssumeGraph {
    graph: DiGraph<usize, Edge>,
}

impl AssumeGraph {
    fn new(principals: usize) -> Self {
        let mut graph = DiGraph::with_capacity(principals, principals);
        for p in 0..principals {
            graph.add_node(p);
        }
        Self { graph }
    }

    fn add(&mut self, caller: usize, role: usize, edge: Edge) {
        self.graph
            .add_edge(NodeIndex::new(caller), NodeIndex::new(role), edge);
    }

    /// Who can become `role`, and how.
    fn callers(&self, role: usize) -> impl Iterator<Item = (usize, &Edge)> + '_ {
        self.graph
            .edges_directed(NodeIndex::new(role), Direction::Incoming)
            .map(|e| (e.source().index(), e.weight()))
    }
}

/// The engine state shared by every key.
pub struct Engine<'e> {
    estate: &'e Estate,
    links: &'e Links,
    /// The principals.
    pub universe: Universe<'e>,
    key_candidates: BTreeMap<usize, Vec<usize>>,
    trust_candidates: BTreeMap<usize, Vec<usize>>,
    default_docs: BTreeMap<String, PolicyDocument>,
    rcps: Vec<(String, &'e PolicyDocument)>,
    /// Principals whose identity policies are not known, evaluated once per key as a group.
    pub fold: Fold,
}

fn default_key_policy(partition: &str, account: &str) -> PolicyDocument {
    crate::parse::policy_json::parse_policy(
        &serde_json::json!({"Version": "2012-10-17", "Statement": [{
            "Sid": "Enable IAM User Permissions (default key policy)",
            "Effect": "Allow",
            "Principal": {"AWS": format!("arn:{partition}:iam::{account}:root")},
            "Action": "kms:*",
            "Resource": "*"}]}),
        None,
    )
    .unwrap_or_default()
}

/// The effective key policy of a key: set by a separate key-policy resource, by the key
/// itself, or the default policy when none is set.
pub enum KeyPolicyState<'a> {
    /// A policy in the input.
    Known(&'a PolicyDocument, String),
    /// The default key policy (root account, `kms:*`).
    Default,
    /// Not known before apply.
    Unknown,
}

/// A policy label, with `(from source file:line)` when the source filled the attribute.
fn with_source(r: &crate::model::Resource, attribute: &str, label: String) -> String {
    match r.filled_from_source(attribute) {
        Some(e) => format!("{label} {e}"),
        None => label,
    }
}

/// The effective key policy of key resource `k`.
#[must_use]
pub fn key_policy<'a>(estate: &'a Estate, links: &Links, k: usize) -> KeyPolicyState<'a> {
    if let Some(&p) = links.policy_resource_of_key.get(&k) {
        if let Kind::KeyPolicy(kp) = &estate.resources[p].kind {
            return match links.resolve_doc(estate, &kp.policy) {
                DocState::Known(d) => {
                    let r = &estate.resources[p];
                    KeyPolicyState::Known(
                        d,
                        with_source(r, "policy", format!("key policy {}", r.id)),
                    )
                }
                DocState::Unknown => KeyPolicyState::Unknown,
            };
        }
    }
    let Kind::Key(key) = &estate.resources[k].kind else {
        return KeyPolicyState::Unknown;
    };
    match &key.policy {
        None => KeyPolicyState::Default,
        Some(v) => match links.resolve_doc(estate, v) {
            DocState::Known(d) => KeyPolicyState::Known(
                d,
                with_source(&estate.resources[k], "policy", "key policy".to_owned()),
            ),
            DocState::Unknown => KeyPolicyState::Unknown,
        },
    }
}

impl<'e> Engine<'e> {
    /// Collects every principal and candidate list.
    #[must_use]
    pub fn new(estate: &'e Estate, links: &'e Links) -> Self {
        Self::with_fold(estate, links, true)
    }

    /// [`Engine::new`], with `fold` false evaluating every principal on every key on its own
    /// (used by tests to check that folding changes no capability).
    #[must_use]
    pub fn with_fold(estate: &'e Estate, links: &'e Links, fold: bool) -> Self {
        let mut universe = Universe::build(estate, links);
        let fold = if fold {
            Fold::build(estate, links, &universe)
        } else {
            Fold::none(universe.principals.len())
        };
        let rcps = org_policies(
            estate,
            links,
            &universe.account.clone(),
            &OrgPolicyType::ResourceControl,
        );
        let mut e = Engine {
            estate,
            links,
            universe: Universe::default(),
            key_candidates: BTreeMap::new(),
            trust_candidates: BTreeMap::new(),
            default_docs: BTreeMap::new(),
            rcps,
            fold,
        };
        let rcps_alike = e.rcps.iter().all(|(_, d)| fold::treats_alike(d));
        let members: Vec<usize> = (0..universe.principals.len())
            .filter(|&p| e.fold.is_member(p))
            .collect();
        let declared: Vec<usize> = (0..universe.principals.len()).collect();
        let kms_relevant: Vec<usize> = declared
            .iter()
            .copied()
            .filter(|&p| universe.identities[p].may_grant_kms)
            .collect();
        let may_assume: Vec<usize> = declared
            .iter()
            .copied()
            .filter(|&p| universe.identities[p].may_assume)
            .collect();
        // Identity policies naming exact keys are indexed by key, so delegation does not make
        // every principal a candidate for every key.
        let mut kms_any: Vec<usize> = Vec::new();
        let mut kms_by_key: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for &p in &kms_relevant {
            // Members are added per key below: once as their group, or on their own.
            if e.fold.is_member(p) {
                continue;
            }
            match universe.kms_resources(p) {
                None => kms_any.push(p),
                Some(values) => {
                    for v in values {
                        if let Some(super::link::KeyTarget::Key(k)) =
                            links.resolve_key_value(estate, v, 0)
                        {
                            let list = kms_by_key.entry(k).or_default();
                            if list.last() != Some(&p) {
                                list.push(p);
                            }
                        }
                    }
                }
            }
        }

        for (k, r) in estate.resources.iter().enumerate() {
            match &r.kind {
                Kind::Key(key) => {
                    let account = e.key_account(key, &universe.account);
                    let mut relevant: Vec<usize> = kms_any.clone();
                    relevant.extend(kms_by_key.get(&k).into_iter().flatten().copied());
                    let mut cands: BTreeSet<usize> = BTreeSet::new();
                    cands.insert(universe.account_principal(&account));
                    // Members named by the key policy or a grant, or whose policies reference
                    // the key, are evaluated on their own.
                    let mut tied: BTreeSet<usize> = e.fold.tied_to(k).iter().copied().collect();
                    let mut alike = rcps_alike;
                    let admits = match key_policy(estate, links, k) {
                        KeyPolicyState::Known(doc, _) => {
                            alike &= fold::treats_alike(doc);
                            fold::named_members(estate, links, &universe, &e.fold, doc, &mut tied);
                            collect_named(
                                estate,
                                links,
                                &mut universe,
                                doc,
                                &declared,
                                &relevant,
                                &mut cands,
                            )
                        }
                        KeyPolicyState::Default => {
                            e.default_docs.entry(account.clone()).or_insert_with(|| {
                                default_key_policy(&universe.partition, &account)
                            });
                            cands.extend(relevant.iter().copied());
                            true
                        }
                        KeyPolicyState::Unknown => {
                            cands.extend(relevant.iter().copied());
                            if let Some(Val::Ref(refs)) = key.policy.as_ref() {
                                for rf in refs {
                                    if let Some(i) = links.index(&rf.target) {
                                        if let Some(p) = universe.of_resource(i) {
                                            cands.insert(p);
                                            tied.insert(p);
                                        }
                                    }
                                }
                            }
                            true
                        }
                    };
                    for &g in links.grants_of_key.get(&k).into_iter().flatten() {
                        if let Kind::Grant(grant) = &estate.resources[g].kind {
                            if let Some(p) = universe.named(
                                estate,
                                links,
                                &crate::model::PrincipalType::Aws,
                                &grant.grantee,
                            ) {
                                cands.insert(p);
                                tied.insert(p);
                            }
                        }
                    }
                    e.place_members(k, admits, alike, &members, &tied, &mut cands);
                    e.key_candidates.insert(k, cands.into_iter().collect());
                }
                Kind::Role(role) => {
                    let mut cands: BTreeSet<usize> = BTreeSet::new();
                    match role
                        .trust_policy
                        .as_ref()
                        .map(|t| links.resolve_doc(estate, t))
                    {
                        Some(DocState::Known(doc)) => {
                            collect_named(
                                estate,
                                links,
                                &mut universe,
                                doc,
                                &declared,
                                &may_assume,
                                &mut cands,
                            );
                        }
                        Some(DocState::Unknown) => {
                            cands.extend(may_assume.iter().copied());
                            let acct = universe.account.clone();
                            cands.insert(universe.account_principal(&acct));
                        }
                        None => {}
                    }
                    if let Some(p) = universe.of_resource(k) {
                        cands.remove(&p);
                        e.trust_candidates.insert(p, cands.into_iter().collect());
                    }
                }
                _ => {}
            }
        }
        e.fold.base = universe.principals.len();
        e.universe = universe;
        e
    }

    /// Places the members on key `k`: with `admits` (the key policy admits principals of an
    /// account through their IAM policies) and `alike`, the tied members are candidates on
    /// their own and the others fold into their groups; without `alike`, every member is a
    /// candidate on its own. Members that are candidates (named by the policy, or admitted by
    /// `*`) are on their own when tied and folded otherwise.
    fn place_members(
        &mut self,
        k: usize,
        admits: bool,
        alike: bool,
        members: &[usize],
        tied: &BTreeSet<usize>,
        cands: &mut BTreeSet<usize>,
    ) {
        if members.is_empty() {
            return;
        }
        let mut own: BTreeSet<usize> = BTreeSet::new();
        if admits && !alike {
            cands.extend(members.iter().copied());
            own.extend(members.iter().copied());
        } else if admits {
            for &m in tied {
                if self.fold.is_member(m) {
                    cands.insert(m);
                    own.insert(m);
                }
            }
            // Members admitted by `*` fold unless tied.
            cands.retain(|p| !self.fold.is_member(*p) || own.contains(p));
            self.fold
                .on_key
                .insert(k, (0..self.fold.groups.len()).collect());
        } else {
            // Not admitted through IAM: only members the policy names are candidates.
            for &p in cands.iter() {
                if self.fold.is_member(p) {
                    own.insert(p);
                }
            }
        }
        if !own.is_empty() {
            self.fold.individual.insert(k, own);
        }
    }

    fn key_account(&self, key: &KmsKey, fallback: &str) -> String {
        key.arn
            .as_ref()
            .and_then(|a| a.known())
            .and_then(|a| arn_account_any(a))
            .map_or_else(|| fallback.to_owned(), str::to_owned)
    }

    /// A role's trust policy, when known, under an evidence label.
    pub(crate) fn trust_doc<'l>(
        &'l self,
        role: &'l crate::model::Role,
        label: &'l str,
    ) -> Option<LabeledDoc<'l>> {
        match role
            .trust_policy
            .as_ref()
            .map(|t| self.links.resolve_doc(self.estate, t))
        {
            Some(DocState::Known(doc)) => Some(LabeledDoc { label, doc }),
            _ => None,
        }
    }

    /// Computes the reverse assume-role edges once.
    fn edges(&self, ctxs: &[PrincipalCtx<'_>], ectx: &EvalContext<'_>) -> AssumeGraph {
        let mut rev = AssumeGraph::new(self.universe.principals.len());
        for (&role_p, cands) in &self.trust_candidates {
            let Some(ri) = self.universe.principals[role_p].resource else {
                continue;
            };
            let r = &self.estate.resources[ri];
            let Kind::Role(role) = &r.kind else { continue };
            let trust_label =
                with_source(r, "assume_role_policy", format!("trust policy of {}", r.id));
            let trust = self.trust_doc(role, &trust_label);
            let rp = &self.universe.principals[role_p];
            let rctx = RoleCtx {
                id: Some(&r.id),
                arn: rp.arn.as_deref(),
                account: rp.account.as_deref(),
                trust,
                tags: r.tags.known(),
            };
            for &c in cands {
                let d = eval::decide_assume(&ctxs[c], &rctx, ectx);
                if d.capability != Capability::No {
                    rev.add(
                        c,
                        role_p,
                        Edge {
                            cap: d.capability,
                            evidence: d.evidence,
                        },
                    );
                }
            }
        }
        rev
    }

    /// Evaluates every key: principal index -> access, per key resource index.
    #[must_use]
    pub fn run(
        &self,
        services_of_key: &BTreeMap<usize, BTreeSet<String>>,
    ) -> BTreeMap<usize, BTreeMap<usize, Acc>> {
        let ctxs = self.universe.contexts();
        let ectx = EvalContext {
            account_id: Some(self.universe.account.as_str()),
            partition: Some(self.universe.partition.as_str()),
        };
        let rev = self.edges(&ctxs, &ectx);
        let path_sensitive: Vec<bool> = ctxs
            .iter()
            .map(|c| {
                c.identity.incomplete
                    || c.identity.docs.iter().any(|d| mentions_path_keys(d.doc))
                    || c.boundary.as_ref().is_some_and(|b| {
                        b.incomplete || b.docs.iter().any(|d| mentions_path_keys(d.doc))
                    })
                    || c.scps.docs.iter().any(|d| mentions_path_keys(d.doc))
            })
            .collect();
        // A group is evaluated as a member with no known identity policy, no name, ARN or
        // tags: the keys it is evaluated on read none of those.
        let reps: Vec<PrincipalCtx<'_>> = self
            .fold
            .groups
            .iter()
            .filter_map(|g| {
                let first = *g.members.first()?;
                let mut c = ctxs[first].clone();
                c.id = None;
                c.arn = None;
                c.arn_pattern = None;
                c.source = None;
                c.tags = None;
                c.identity = Layer {
                    docs: Vec::new(),
                    incomplete: true,
                };
                Some(c)
            })
            .collect();
        // Who can become a member, per group: (caller, member, edge), by caller, strongest
        // edge first.
        let group_callers: Vec<Vec<(usize, usize, &Edge)>> = self
            .fold
            .groups
            .iter()
            .map(|g| {
                let mut v: Vec<(usize, usize, &Edge)> = g
                    .members
                    .iter()
                    .flat_map(|&m| rev.callers(m).map(move |(c, e)| (c, m, e)))
                    .filter(|(c, m, _)| c != m)
                    .collect();
                v.sort_by(|a, b| a.0.cmp(&b.0).then(b.2.cap.cmp(&a.2.cap)));
                v
            })
            .collect();
        let shared = Shared {
            ctxs: &ctxs,
            rev: &rev,
            path_sensitive: &path_sensitive,
            services_of_key,
            ectx: &ectx,
            reps: &reps,
            group_callers: &group_callers,
        };
        // Keys are independent: evaluate them on every core, larger candidate sets first.
        let mut work: Vec<(usize, &[usize])> = self
            .key_candidates
            .iter()
            .map(|(&k, c)| (k, c.as_slice()))
            .collect();
        let groups_on = |k: usize| self.fold.on_key.get(&k).map_or(0, Vec::len);
        work.sort_by_key(|(_, c)| std::cmp::Reverse(c.len()));
        let total: usize = work.iter().map(|(k, c)| c.len() + groups_on(*k)).sum();
        let threads = crate::par::threads_for(1 + total / 2_000);
        let results = crate::par::map(&work, threads, |&(k, cands)| {
            self.run_key(k, cands, &shared)
        });
        work.iter()
            .zip(results)
            .filter_map(|(&(k, _), acc)| Some((k, acc?)))
            .collect()
    }

    /// Evaluates one key against its candidate principals and propagates through role chains.
    fn run_key(
        &self,
        k: usize,
        cands: &[usize],
        shared: &Shared<'_, '_>,
    ) -> Option<BTreeMap<usize, Acc>> {
        let Shared {
            ctxs,
            rev,
            path_sensitive,
            services_of_key,
            ectx,
            reps,
            group_callers,
        } = *shared;
        let Kind::Key(key) = &self.estate.resources[k].kind else {
            return None;
        };
        self.with_key_ctx(k, |kctx, region| {
            let store_services: BTreeSet<&str> = services_of_key
                .get(&k)
                .into_iter()
                .flatten()
                .map(String::as_str)
                .collect();
            let paths = via_paths(kctx, region, &store_services);
            let key_path_sensitive = kctx.policy.is_none_or(|p| mentions_path_keys(p.doc))
                || kctx.rcps.docs.iter().any(|d| mentions_path_keys(d.doc));
            let mut direct: BTreeMap<usize, Acc> = BTreeMap::new();
            for &p in cands {
                // A service path can only decide differently from a direct call when some
                // policy on the way reads a path-dependent condition key.
                let sensitive = key_path_sensitive || path_sensitive[p];
                let via: &[ViaPath] = if sensitive { &paths } else { &[] };
                let acc = evaluate(&ctxs[p], kctx, via, key.multi_region, ectx);
                if acc.any() {
                    direct.insert(p, acc);
                }
            }
            for &g in self.fold.on_key.get(&k).into_iter().flatten() {
                let Some(rep) = reps.get(g) else { continue };
                let acc = evaluate(rep, kctx, &paths, key.multi_region, ectx);
                if acc.any() {
                    direct.insert(self.fold.base + g, acc);
                }
            }
            let view = FoldView {
                fold: &self.fold,
                key: k,
                group_callers,
            };
            propagate(direct, rev, &self.universe, &view)
        })
    }

    /// Builds the evaluator's view of key resource `k` (policy, grants, aliases, Region, RCPs)
    /// and hands it to `f` with the key's Region when known.
    fn with_key_ctx<R>(
        &self,
        k: usize,
        f: impl FnOnce(&KeyCtx<'_>, Option<&str>) -> R,
    ) -> Option<R> {
        let r = &self.estate.resources[k];
        let Kind::Key(key) = &r.kind else {
            return None;
        };
        let account = self.key_account(key, &self.universe.account);
        let state = key_policy(self.estate, self.links, k);
        let label_default = "default key policy".to_owned();
        let policy = match &state {
            KeyPolicyState::Known(d, l) => Some(LabeledDoc { label: l, doc: d }),
            KeyPolicyState::Default => self.default_docs.get(&account).map(|d| LabeledDoc {
                label: &label_default,
                doc: d,
            }),
            KeyPolicyState::Unknown => None,
        };
        let grant_data: Vec<GrantData> = self
            .links
            .grants_of_key
            .get(&k)
            .into_iter()
            .flatten()
            .filter_map(|&g| {
                let Kind::Grant(grant) = &self.estate.resources[g].kind else {
                    return None;
                };
                let label = match &grant.name {
                    Some(Val::Known(n)) => format!("{} ({n})", self.estate.resources[g].id),
                    _ => self.estate.resources[g].id.clone(),
                };
                let gid = self
                    .links
                    .resolve_principal(self.estate, &grant.grantee)
                    .map(|i| self.estate.resources[i].id.clone());
                Some((
                    label,
                    grant.grantee.known().cloned(),
                    gid,
                    grant.operations.known().cloned(),
                    !grant.constraints.is_empty(),
                ))
            })
            .collect();
        let grants: Vec<GrantCtx<'_>> = grant_data
            .iter()
            .map(|(label, arn, gid, ops, constrained)| GrantCtx {
                label,
                grantee_arn: arn.as_deref(),
                grantee_id: gid.as_deref(),
                operations: ops.as_deref(),
                constrained: *constrained,
            })
            .collect();
        let aliases = self.links.aliases_of_key.get(&k);
        let region = key
            .arn
            .as_ref()
            .and_then(|a| a.known())
            .and_then(|a| a.split(':').nth(3))
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .or_else(|| self.estate.context.region.clone());
        let origin = match key.origin {
            crate::model::KeyOrigin::AwsKms => "AWS_KMS",
            crate::model::KeyOrigin::External => "EXTERNAL",
            crate::model::KeyOrigin::CustomKeyStore => "AWS_CLOUDHSM",
        };
        let kctx = KeyCtx {
            id: Some(&r.id),
            arn: key.arn.as_ref().and_then(|a| a.known()).map(String::as_str),
            account: Some(&account),
            region: region.as_deref(),
            policy,
            tags: r.tags.known(),
            key_spec: key.key_spec.as_deref().unwrap_or("SYMMETRIC_DEFAULT"),
            key_usage: key.key_usage.as_deref().unwrap_or("ENCRYPT_DECRYPT"),
            key_origin: origin,
            multi_region: key.multi_region,
            aliases: aliases.map(Vec::as_slice),
            rcps: Layer {
                docs: self
                    .rcps
                    .iter()
                    .map(|(l, d)| LabeledDoc { label: l, doc: d })
                    .collect(),
                incomplete: false,
            },
            grants,
        };
        Some(f(&kctx, region.as_deref()))
    }
}

/// What every key's evaluation reads, shared by the worker threads.
struct Shared<'s, 'a> {
    ctxs: &'s [PrincipalCtx<'a>],
    rev: &'s AssumeGraph,
    path_sensitive: &'s [bool],
    services_of_key: &'s BTreeMap<usize, BTreeSet<String>>,
    ectx: &'s EvalContext<'s>,
    /// Per group, the principal that stands for its members.
    reps: &'s [PrincipalCtx<'a>],
    /// Per group, who can become a member: (caller, member, edge).
    group_callers: &'s [Vec<(usize, usize, &'s Edge)>],
}

/// The groups as one key sees them, for propagation.
struct FoldView<'s> {
    fold: &'s Fold,
    key: usize,
    group_callers: &'s [Vec<(usize, usize, &'s Edge)>],
}

/// Adds to `cands` every principal a policy names, and the declared principals that a
/// statement naming an account, `*`, or a `NotPrincipal` may admit. Returns true when the
/// policy may admit principals through their own IAM policies (an account, `*`, or an
/// incomplete document).
fn collect_named(
    estate: &Estate,
    links: &Links,
    universe: &mut Universe<'_>,
    doc: &PolicyDocument,
    declared: &[usize],
    relevant: &[usize],
    cands: &mut BTreeSet<usize>,
) -> bool {
    let mut open = false;
    let mut accounts = false;
    for s in &doc.statements {
        if s.effect != crate::model::Effect::Allow {
            continue;
        }
        if s.not_principal.is_some() {
            open = true;
        }
        match &s.principal {
            Some(Principals::Any) => open = true,
            Some(Principals::Map(list)) => {
                for (t, v) in list {
                    if matches!(v, Val::Known(x) if x == "*") {
                        open = true;
                        continue;
                    }
                    if let Some(p) = universe.named(estate, links, t, v) {
                        if universe.principals[p].kind == PrincipalKind::Account {
                            accounts = true;
                        }
                        cands.insert(p);
                    }
                }
            }
            None => {}
        }
        if open {
            // `*` narrowed by account conditions is reported as those accounts.
            for c in &s.conditions {
                let key = c.key.to_ascii_lowercase();
                if key == "kms:calleraccount" || key == "aws:principalaccount" {
                    for v in &c.values {
                        if let Val::Known(a) = v {
                            cands.insert(universe.account_principal(a));
                        }
                    }
                }
                // `*` narrowed by `aws:PrincipalArn` is the same grant as naming those
                // principals: each value gets its entry (a pattern stays a pattern entry).
                if key == "aws:principalarn" && !c.base.to_ascii_lowercase().contains("not") {
                    for v in &c.values {
                        let v = match v {
                            Val::Known(x) if x.contains('*') || x.contains('?') => {
                                crate::model::Partial::from_glob(x)
                            }
                            other => other.clone(),
                        };
                        if let Some(p) = universe.named(estate, links, &PrincipalType::Aws, &v) {
                            cands.insert(p);
                        }
                    }
                }
            }
        }
    }
    if doc.incomplete {
        accounts = true;
    }
    if open {
        cands.insert(universe.public());
        cands.extend(declared.iter().copied());
    } else if accounts {
        cands.extend(relevant.iter().copied());
    }
    open || accounts
}

/// Condition keys whose value depends on whether a service calls KMS for the principal.
const PATH_KEYS: &[&str] = &[
    "kms:viaservice",
    "kms:grantisforawsresource",
    "aws:viaawsservice",
    "aws:calledvia",
    "aws:calledviafirst",
    "aws:calledvialast",
];

/// True when a document reads a path-dependent condition key (or may hold statements the
/// input does not show).
fn mentions_path_keys(doc: &PolicyDocument) -> bool {
    doc.incomplete
        || doc.statements.iter().any(|s| {
            s.conditions.iter().any(|c| {
                let k = c.key.to_ascii_lowercase();
                PATH_KEYS.contains(&k.as_str())
            })
        })
}

/// A `kms:ViaService` access path.
struct ViaPath {
    /// The `kms:ViaService` value (`s3.eu-west-1.amazonaws.com`).
    value: String,
    /// The service (`s3`).
    service: String,
    /// True when a store of the key in the input uses this service.
    in_input: bool,
}

impl ViaPath {
    /// The request path through this service.
    fn path(&self) -> AccessPath<'_> {
        AccessPath {
            via_service: Some(&self.value),
        }
    }
}

/// The `kms:ViaService` paths of a key: one per service holding a store under it in the
/// input, and one per service its key policy names in `kms:ViaService` (capped at
/// `conditional` when no store of that service is in the input).
fn via_paths(
    kctx: &KeyCtx<'_>,
    region: Option<&str>,
    store_services: &BTreeSet<&str>,
) -> Vec<ViaPath> {
    let region_s = region.unwrap_or("us-east-1");
    let named = kctx
        .policy
        .map(|p| via_services_named(p.doc, region_s))
        .unwrap_or_default();
    let mut paths: Vec<ViaPath> = Vec::new();
    for svc in store_services {
        // With the Region unknown, the request may come from whichever Region the key
        // policy names for this service: use its own values rather than a guess.
        let values: Vec<String> = if region.is_none() {
            named
                .iter()
                .filter(|(s, _)| s == svc)
                .map(|(_, v)| v.clone())
                .collect()
        } else {
            Vec::new()
        };
        let values = if values.is_empty() {
            vec![format!("{svc}.{region_s}.amazonaws.com")]
        } else {
            values
        };
        for value in values {
            paths.push(ViaPath {
                value,
                service: (*svc).to_owned(),
                in_input: true,
            });
        }
    }
    // Services the key policy names in kms:ViaService but that hold no store of this
    // key in the input: data under the key may still live there, so access through
    // them counts, capped at conditional.
    for (svc, value) in named {
        if !store_services.contains(svc.as_str()) && !paths.iter().any(|p| p.value == value) {
            paths.push(ViaPath {
                value,
                service: svc,
                in_input: false,
            });
        }
    }
    paths
}

/// Services named by `kms:ViaService` conditions of a key policy, with the value to use as
/// the request's `kms:ViaService` (patterns are instantiated for the key's Region).
fn via_services_named(doc: &PolicyDocument, region: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for s in &doc.statements {
        for c in &s.conditions {
            if !c.key.eq_ignore_ascii_case("kms:ViaService") {
                continue;
            }
            for v in &c.values {
                if let Val::Partial(pp) = v {
                    // `secretsmanager.${AWS::Region}.amazonaws.com`: the service is known text;
                    // the request is made in the key's Region.
                    let Some((svc, _)) = pp.prefix().split_once('.') else {
                        continue;
                    };
                    if svc.is_empty() || svc.contains('*') || svc.contains('?') {
                        continue;
                    }
                    out.push((svc.to_owned(), format!("{svc}.{region}.amazonaws.com")));
                    continue;
                }
                let Val::Known(v) = v else { continue };
                let Some(svc) = v
                    .split('.')
                    .next()
                    .filter(|x| !x.is_empty() && !x.contains('*'))
                else {
                    continue;
                };
                let value = if v.contains('*') || v.contains('?') {
                    format!("{svc}.{region}.amazonaws.com")
                } else {
                    v.clone()
                };
                out.push((svc.to_owned(), value));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The best capability for one action: a direct call, or for data actions a `kms:ViaService`
/// path (capped at `conditional` for services with no store under the key in the input), with
/// the path it took (`None`: direct).
fn best_path(
    action: &str,
    class: Class,
    p: &PrincipalCtx<'_>,
    key: &KeyCtx<'_>,
    via: &[ViaPath],
    ectx: &EvalContext<'_>,
) -> (Capability, Option<usize>) {
    let mut best = eval::decide_capability(action, p, key, &AccessPath::default(), ectx);
    let mut best_path = None;
    // Service paths (kms:ViaService) count for data actions; administrative actions are judged
    // on direct calls only (a grant an integrated service creates for its own resource is not a
    // grant the caller controls — kms-semantics §4).
    if class == Class::Admin {
        return (best, best_path);
    }
    for (j, v) in via.iter().enumerate() {
        if best == Capability::Yes {
            break;
        }
        let d = eval::decide_capability(action, p, key, &v.path(), ectx);
        let cap = if v.in_input {
            d
        } else {
            d.and(Capability::Conditional)
        };
        if cap > best {
            best = cap;
            best_path = Some(j);
        }
    }
    (best, best_path)
}

fn evaluate(
    p: &PrincipalCtx<'_>,
    key: &KeyCtx<'_>,
    via: &[ViaPath],
    multi_region: bool,
    ectx: &EvalContext<'_>,
) -> Acc {
    let mut acc = Acc::new();
    let mut class_best = [Capability::No; 3];
    // Per class, the first action reaching its best capability and the path it took (`None`
    // for a direct call). Only these decisions are explained.
    let mut winner: [Option<(&str, Option<usize>)>; 3] = [None, None, None];
    // Actions that every statement and grant treats alike get the same decision: decide each
    // such group once.
    let mut decided: BTreeMap<Vec<u8>, (Capability, Option<usize>)> = BTreeMap::new();
    let mut signature = Vec::new();
    for (i, ((action, class), full)) in all_actions().zip(prefixed_actions()).enumerate() {
        if !action_applies(action, key, multi_region) {
            continue;
        }
        eval::action_signature(full, p, key, &mut signature);
        signature.push(class as u8);
        let (best, best_path) = match decided.get(&signature) {
            Some(&known) => known,
            None => {
                let d = best_path(full, class, p, key, via, ectx);
                decided.insert(std::mem::take(&mut signature), d);
                d
            }
        };
        acc.caps[i] = best;
        let ci = class as usize;
        if best > class_best[ci] {
            class_best[ci] = best;
            winner[ci] = Some((full, best_path));
        }
    }
    for (ci, w) in winner.into_iter().enumerate() {
        let Some((full, path)) = w else { continue };
        acc.via[ci] = match path.and_then(|j| via.get(j)) {
            None => eval::decide(full, p, key, &AccessPath::default(), ectx).evidence,
            Some(v) => {
                let d = eval::decide(full, p, key, &v.path(), ectx);
                let note = if v.in_input {
                    format!("through {}", v.service)
                } else {
                    format!(
                        "through {} (no {} store under this key in the input)",
                        v.service, v.service
                    )
                };
                d.evidence.into_iter().chain([note]).collect()
            }
        };
    }
    service_grants(p, key, via, ectx, &mut acc, &mut class_best);
    acc
}

/// A principal allowed `kms:CreateGrant` only for grants an integrated AWS service creates
/// for a resource (`kms:GrantIsForAWSResource`) cannot decrypt directly, but can have the
/// service (EBS, RDS, ...) create grants on the key for resources it controls and read the
/// data through them: read and write are then at least conditional (kms-semantics §6, §8.3
/// "grant" path).
fn service_grants(
    p: &PrincipalCtx<'_>,
    key: &KeyCtx<'_>,
    via: &[ViaPath],
    ectx: &EvalContext<'_>,
    acc: &mut Acc,
    class_best: &mut [Capability; 3],
) {
    if class_best[Class::Read as usize] != Capability::No
        && class_best[Class::Write as usize] != Capability::No
    {
        return;
    }
    // CreateGrant allowed on direct calls is an arbitrary grant: an escalation the admin
    // capability (and its finding) already reports.
    let create_grant = all_actions().position(|(a, _)| a == "CreateGrant");
    if create_grant.is_some_and(|i| acc.caps[i] != Capability::No) {
        return;
    }
    let region = key.region.unwrap_or("us-east-1");
    let ec2 = format!("ec2.{region}.amazonaws.com");
    let mut services: Vec<&str> = via.iter().map(|v| v.value.as_str()).collect();
    if !services.contains(&ec2.as_str()) && !via.is_empty() {
        services.push(&ec2);
    }
    for svc in services {
        let d = eval::decide(
            "kms:CreateGrant",
            p,
            key,
            &AccessPath {
                via_service: Some(svc),
            },
            ectx,
        );
        if d.capability == Capability::No {
            continue;
        }
        let service = svc.split('.').next().unwrap_or(svc);
        let mut evidence = d.evidence;
        evidence.push(format!(
            "can have {service} create grants on the key for resources it controls (kms:GrantIsForAWSResource)"
        ));
        for (i, (action, class)) in all_actions().enumerate() {
            let bump = matches!(action, "Decrypt" | "GenerateDataKeyWithoutPlaintext")
                && class_best[class as usize] == Capability::No
                && action_applies(action, key, key.multi_region);
            if bump {
                acc.caps[i] = Capability::Conditional;
                class_best[class as usize] = Capability::Conditional;
                acc.via[class as usize].clone_from(&evidence);
            }
        }
        return;
    }
}

/// Whether an action can succeed at all on a key of this spec, usage, origin and region
/// setup (AWS KMS API reference): decryption and data keys need an `ENCRYPT_DECRYPT` key (data
/// keys a symmetric one), signing `SIGN_VERIFY`, MACs `GENERATE_VERIFY_MAC`, shared secrets
/// `KEY_AGREEMENT`; rotation needs a symmetric key; imported material an `EXTERNAL` origin;
/// replication a multi-Region key. Anything keyreach does not recognise is kept.
fn action_applies(action: &str, key: &KeyCtx<'_>, multi_region: bool) -> bool {
    let usage = key.key_usage.to_ascii_uppercase();
    let spec = key.key_spec.to_ascii_uppercase();
    let known_usage = matches!(
        usage.as_str(),
        "ENCRYPT_DECRYPT" | "SIGN_VERIFY" | "GENERATE_VERIFY_MAC" | "KEY_AGREEMENT"
    );
    let symmetric = spec == "SYMMETRIC_DEFAULT";
    match action {
        "Decrypt" | "Encrypt" | "ReEncryptFrom" | "ReEncryptTo" => {
            !known_usage || usage == "ENCRYPT_DECRYPT"
        }
        "GenerateDataKey"
        | "GenerateDataKeyWithoutPlaintext"
        | "GenerateDataKeyPair"
        | "GenerateDataKeyPairWithoutPlaintext" => {
            !known_usage || (usage == "ENCRYPT_DECRYPT" && symmetric)
        }
        "Sign" => !known_usage || usage == "SIGN_VERIFY",
        "GenerateMac" => !known_usage || usage == "GENERATE_VERIFY_MAC",
        "DeriveSharedSecret" => !known_usage || usage == "KEY_AGREEMENT",
        "EnableKeyRotation" | "DisableKeyRotation" | "RotateKeyOnDemand" => symmetric,
        "ImportKeyMaterial" | "DeleteImportedKeyMaterial" => key.key_origin == "EXTERNAL",
        "ReplicateKey" | "UpdatePrimaryRegion" => multi_region,
        _ => true,
    }
}

/// Extends direct access through reverse assume-role edges: a caller that can become a role
/// gets the role's access, capped by the edge. A monotone fixpoint over a three-valued
/// lattice: each principal's value grows at most twice per action, so the work is linear in
/// edges times actions. Cycles are fine.
///
/// A group node (`fold.base + g`) stands for its members folded on this key: whoever can
/// become one of them gets the group's access (through the strongest such edge). A folded
/// member that gets more through a role than its group has is listed on its own.
fn propagate(
    mut acc: BTreeMap<usize, Acc>,
    rev: &AssumeGraph,
    universe: &Universe<'_>,
    view: &FoldView<'_>,
) -> BTreeMap<usize, Acc> {
    let fold = view.fold;
    let mut queue: VecDeque<usize> = acc.keys().copied().collect();
    let mut steps: Vec<(usize, usize, &Edge)> = Vec::new();
    while let Some(r) = queue.pop_front() {
        steps.clear();
        if r >= fold.base {
            let g = r - fold.base;
            let mut last = None;
            for &(c, m, e) in view.group_callers.get(g).into_iter().flatten() {
                if last == Some(c) || !fold.folded_on(m, view.key) {
                    continue;
                }
                last = Some(c);
                // A folded member of the same group already has the group's access.
                if fold.group(c) == Some(g) && fold.folded_on(c, view.key) {
                    continue;
                }
                steps.push((c, m, e));
            }
        } else {
            steps.extend(
                rev.callers(r)
                    .filter(|(c, _)| *c != r)
                    .map(|(c, e)| (c, r, e)),
            );
        }
        if steps.is_empty() {
            continue;
        }
        let Some(role_acc) = acc.get(&r).cloned() else {
            continue;
        };
        for &(caller, role, e) in &steps {
            let role_name = &universe.principals[role].name;
            let mut through = role_acc.clone();
            for c in &mut through.caps {
                *c = c.and(e.cap);
            }
            for v in &mut through.via {
                if v.is_empty() {
                    continue;
                }
                let mut chain = vec![format!(
                    "assumes {role_name}{}",
                    if e.evidence.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", e.evidence.join("; "))
                    }
                )];
                chain.append(v);
                *v = chain;
            }
            // A member folded on this key starts from its group's access.
            let group_acc = fold
                .group(caller)
                .filter(|_| fold.folded_on(caller, view.key))
                .and_then(|g| acc.get(&(fold.base + g)).cloned());
            let fresh = !acc.contains_key(&caller);
            let folded = group_acc.is_some();
            let entry = acc
                .entry(caller)
                .or_insert_with(|| group_acc.unwrap_or_else(Acc::new));
            if entry.join(&through) {
                queue.push_back(caller);
            } else if fresh && folded {
                acc.remove(&caller);
            }
        }
    }
    acc.retain(|_, a| a.any());
    acc
}
