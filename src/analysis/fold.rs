//! Principals whose identity policies are not known before apply, decided once per key.
//!
//! In a plan that creates its keys, a role's inline policy built over a key's ARN is unknown
//! until apply. Every such role may then be a reader of every key that delegates to its
//! account: evaluating and reporting each role on each key grows with roles × keys. Such a
//! principal is a *member* of its account's group when nothing else about it can matter to a
//! key: it is a declared role or user, its identity layer is incomplete, none of its known
//! identity policies mentions KMS, and it has no permissions boundary.
//!
//! A key *treats the members alike* when its policy and the RCPs read nothing that tells one
//! member from another: no `NotPrincipal`, and no condition on the principal's ARN, name, id,
//! tags or type. On such a key the group is evaluated once, by a representative with no known
//! identity policy, and the members fold into that one result — except members *tied* to the
//! key, which are evaluated on their own as before: those whose unknown policy references the
//! key (directly or through an alias), and those the key policy or a grant names. On a key that
//! does not treat members alike every member is evaluated on its own. An account with a single
//! such principal has no group: it is listed on its own everywhere.

use super::link::{KeyTarget, Links};
use super::principals::Universe;
use super::result::PrincipalKind;
use crate::model::{Estate, Kind, PolicyDocument, Principals, Val};
use std::collections::{BTreeMap, BTreeSet};

/// Condition keys that can tell principals of one account apart (compared lowercase;
/// `aws:principaltag/` and `aws:requestedregion`-like prefixes are matched as prefixes).
const PRINCIPAL_KEYS: &[&str] = &[
    "aws:principalarn",
    "aws:principaltag/",
    "aws:principaltype",
    "aws:principalisawsservice",
    "aws:principalservicename",
    "aws:principalservicenameslist",
    "aws:userid",
    "aws:username",
    "aws:sourceidentity",
    "aws:federatedprovider",
    "iam:",
    "sts:",
];

/// Fewer members than this are not folded.
pub const MIN_GROUP: usize = 2;

/// One group: the members of one account.
#[derive(Debug, Clone)]
pub struct Group {
    /// Stable id, also the `principal` of the group's entries (`undetermined:<account>`).
    pub name: String,
    /// The account.
    pub account: String,
    /// Member principal indexes, sorted by name.
    pub members: Vec<usize>,
}

/// The groups and, per key, how members are evaluated.
#[derive(Debug, Default)]
pub struct Fold {
    /// Per principal of the universe: its group, when it is a member.
    pub group_of: Vec<Option<usize>>,
    /// The groups.
    pub groups: Vec<Group>,
    /// Principal indexes at or above this stand for a group (`base + group`) in per-key results.
    pub base: usize,
    /// Key resource -> groups evaluated once on that key.
    pub on_key: BTreeMap<usize, Vec<usize>>,
    /// Key resource -> members evaluated on their own on that key.
    pub individual: BTreeMap<usize, BTreeSet<usize>>,
    /// Key -> members whose unknown identity policies reference it.
    ties: BTreeMap<usize, Vec<usize>>,
    /// Member ARNs (known or built from the name) -> member.
    by_arn: BTreeMap<String, usize>,
}

/// True when a document may mention a KMS action in any statement (Allow or Deny).
fn mentions_kms(doc: &PolicyDocument) -> bool {
    doc.incomplete
        || doc
            .statements
            .iter()
            .any(|s| super::principals::statement_may_name_service(s, "kms"))
}

/// True when no statement of the document can tell members of one account apart.
#[must_use]
pub fn treats_alike(doc: &PolicyDocument) -> bool {
    !doc.statements.iter().any(|s| {
        s.not_principal.is_some()
            || s.conditions.iter().any(|c| {
                let k = c.key.to_ascii_lowercase();
                PRINCIPAL_KEYS.iter().any(|p| {
                    if p.ends_with('/') || p.ends_with(':') {
                        k.starts_with(p)
                    } else {
                        k == *p
                    }
                })
            })
    })
}

impl Fold {
    /// No groups: every principal is evaluated on its own.
    #[must_use]
    pub fn none(principals: usize) -> Self {
        Fold {
            group_of: vec![None; principals],
            base: principals,
            ..Fold::default()
        }
    }

    /// Finds the members and groups of the universe's declared principals, and the keys each
    /// member's unknown policies reference.
    #[must_use]
    pub fn build(estate: &Estate, links: &Links, universe: &Universe<'_>) -> Self {
        let ctxs = universe.contexts();
        let mut by_account: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut ties = BTreeMap::new();
        for (p, (pr, ctx)) in universe.principals.iter().zip(&ctxs).enumerate() {
            let declared = pr.resource.is_some() && !pr.group;
            let member = declared
                && matches!(pr.kind, PrincipalKind::Role | PrincipalKind::User)
                && ctx.identity.incomplete
                && ctx.boundary.is_none()
                && !ctx.identity.docs.iter().any(|d| mentions_kms(d.doc));
            if !member {
                continue;
            }
            let Some(account) = pr.account.clone() else {
                continue;
            };
            by_account.entry(account).or_default().push(p);
            if let Some(r) = pr.resource {
                let keys = tied_keys(estate, links, r);
                if !keys.is_empty() {
                    ties.insert(p, keys);
                }
            }
        }
        let mut fold = Fold {
            group_of: vec![None; universe.principals.len()],
            base: universe.principals.len(),
            ties: BTreeMap::new(),
            ..Fold::default()
        };
        for (account, mut members) in by_account {
            // A lone principal is listed on its own: folding it would say less in as much room.
            if members.len() < MIN_GROUP {
                continue;
            }
            members.sort_by(|a, b| {
                universe.principals[*a]
                    .name
                    .cmp(&universe.principals[*b].name)
            });
            let g = fold.groups.len();
            for &m in &members {
                fold.group_of[m] = Some(g);
                if let Some(arn) = &universe.principals[m].arn {
                    fold.by_arn.insert(arn.clone(), m);
                }
            }
            fold.groups.push(Group {
                name: format!("undetermined:{account}"),
                account,
                members,
            });
        }
        // Ties by key: the members to evaluate on their own there.
        for (m, keys) in ties {
            if fold.group(m).is_none() {
                continue;
            }
            for k in keys {
                fold.ties.entry(k).or_default().push(m);
            }
        }
        fold
    }

    /// The group of member `p`.
    #[must_use]
    pub fn group(&self, p: usize) -> Option<usize> {
        self.group_of.get(p).copied().flatten()
    }

    /// True when `p` is a member of some group.
    #[must_use]
    pub fn is_member(&self, p: usize) -> bool {
        self.group(p).is_some()
    }

    /// Members whose unknown identity policies reference key `k`.
    #[must_use]
    pub fn tied_to(&self, k: usize) -> &[usize] {
        self.ties.get(&k).map_or(&[], Vec::as_slice)
    }

    /// True when member `m` is folded into its group on key `k`.
    #[must_use]
    pub fn folded_on(&self, m: usize, k: usize) -> bool {
        let Some(g) = self.group(m) else {
            return false;
        };
        self.on_key.get(&k).is_some_and(|gs| gs.contains(&g))
            && !self.individual.get(&k).is_some_and(|s| s.contains(&m))
    }
}

/// Members named by a key-side document: any statement's `Principal`/`NotPrincipal` value that
/// resolves to a member.
pub fn named_members(
    estate: &Estate,
    links: &Links,
    universe: &Universe<'_>,
    fold: &Fold,
    doc: &PolicyDocument,
    out: &mut BTreeSet<usize>,
) {
    for s in &doc.statements {
        for ps in [&s.principal, &s.not_principal].into_iter().flatten() {
            let Principals::Map(list) = ps else { continue };
            for (_, v) in list {
                let p = links
                    .resolve_principal(estate, v)
                    .and_then(|r| universe.of_resource(r))
                    .or_else(|| v.known().and_then(|a| fold.by_arn.get(a.trim()).copied()));
                if let Some(p) = p.filter(|p| fold.is_member(*p)) {
                    out.insert(p);
                }
            }
        }
    }
}

/// Keys referenced by the unknown identity policies of principal resource `r` (its inline
/// policies, the inline-policy resources attached to it, and the customer managed policies
/// attached to it), directly or through an alias.
fn tied_keys(estate: &Estate, links: &Links, r: usize) -> Vec<usize> {
    let mut docs: Vec<&Val<PolicyDocument>> = Vec::new();
    match &estate.resources[r].kind {
        Kind::Role(x) => docs.extend(x.inline_policies.iter().map(|p| &p.document)),
        Kind::User(x) => docs.extend(x.inline_policies.iter().map(|p| &p.document)),
        _ => {}
    }
    for &pi in links.inline_of.get(&r).into_iter().flatten() {
        if let Kind::InlinePolicy(p) = &estate.resources[pi].kind {
            docs.push(&p.document);
        }
    }
    for (v, _) in links.managed_of.get(&r).into_iter().flatten() {
        if let super::link::ManagedRef::Customer(pi, _) = links.resolve_managed(estate, v) {
            if let Kind::ManagedPolicy(p) = &estate.resources[pi].kind {
                docs.push(&p.document);
            }
        }
    }
    let mut keys = Vec::new();
    for d in docs {
        let Val::Ref(refs) = d else { continue };
        for rf in refs {
            let one = Val::Ref(vec![rf.clone()]);
            if let Some(KeyTarget::Key(k)) = links.resolve_key_value(estate, &one, 0) {
                keys.push(k);
            }
        }
    }
    keys.sort_unstable();
    keys.dedup();
    keys
}
