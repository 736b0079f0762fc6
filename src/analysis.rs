//! From the estate to the access picture: links, policy evaluation, reachability, domains.

pub mod access;
pub mod domains;
pub mod eval;
pub mod explain;
pub mod fold;
pub mod link;
pub mod notes;
pub mod principals;
pub mod result;

use crate::model::Estate;
use access::{Acc, Class, Engine};
use link::KeyMarker;
use link::Links;
use result::{
    AccessEntry, Capability, Domain, Folded, PrincipalKind, Report, UndeterminedGroup,
    UnpartitionedStore,
};
use std::collections::{BTreeMap, BTreeSet};

/// Everything the analysis computed, for rules and renderers.
pub struct Analysis<'e> {
    /// The estate analysed.
    pub estate: &'e Estate,
    /// Links and indexes.
    pub links: Links,
    /// The report (domains and access; findings are added by the rules).
    pub report: Report,
}

/// Analyses an estate into the contract's report (without findings).
#[must_use]
pub fn analyze(estate: &Estate) -> Report {
    analyze_full(estate).report
}

/// Analyses an estate, keeping the links for later stages.
#[must_use]
pub fn analyze_full(estate: &Estate) -> Analysis<'_> {
    analyze_with(estate, true)
}

/// [`analyze`] evaluating every principal on every key on its own, never folding principals
/// whose identity policies are unknown (tests compare the two).
#[doc(hidden)]
#[must_use]
pub fn analyze_unfolded(estate: &Estate) -> Report {
    analyze_with(estate, false).report
}

fn analyze_with(estate: &Estate, fold: bool) -> Analysis<'_> {
    let links = Links::build(estate);
    let domains::Plans {
        domains: plans,
        services,
        unpartitioned,
    } = domains::plan_domains(estate, &links);
    let engine = Engine::with_fold(estate, &links, fold);
    let per_key = engine.run(&services);
    let universe = &engine.universe;
    let fold = &engine.fold;
    let build = |(name, plan): (&String, &domains::DomainPlan)| -> Domain {
        let mut merged: BTreeMap<usize, Acc> = BTreeMap::new();
        let mut by_key: BTreeMap<usize, BTreeMap<String, BTreeMap<&'static str, Capability>>> =
            BTreeMap::new();
        for k in &plan.keys {
            for (p, acc) in per_key.get(k).into_iter().flatten() {
                let entry = merged.entry(*p).or_insert_with(|| acc.clone());
                entry.join(acc);
                by_key
                    .entry(*p)
                    .or_default()
                    .insert(estate.resources[*k].id.clone(), action_map(acc));
            }
        }
        fold_members(fold, plan, &per_key, estate, &mut merged, &mut by_key);
        // Service principals whose every evidence chain starts with a role assumption.
        let mut through: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
        for (p, acc) in merged.range(..fold.base) {
            let pr = &universe.principals[*p];
            if pr.kind != PrincipalKind::Service {
                continue;
            }
            let firsts: Option<std::collections::BTreeSet<String>> = acc
                .via
                .iter()
                .filter_map(|v| v.first())
                .map(|step| domains::assumed_role(step).map(str::to_owned))
                .collect();
            if let Some(f) = firsts.filter(|f| !f.is_empty()) {
                through.insert(pr.name.clone(), f);
            }
        }
        let mut access: Vec<AccessEntry> = merged
            .iter()
            .filter(|(p, _)| **p < fold.base)
            .map(|(p, acc)| {
                let pr = &universe.principals[*p];
                // The contract has no group kind: a group stands for its future members.
                let kind = if pr.group {
                    PrincipalKind::Unknown
                } else {
                    pr.kind
                };
                let mut e = entry(&pr.name, pr.arn.clone(), kind, acc);
                e.per_key = by_key.remove(p).unwrap_or_default();
                if pr.group {
                    e.via.insert(0, format!("members of group {}", pr.name));
                }
                e
            })
            .collect();
        for (p, acc) in merged.range(fold.base..) {
            let g = p - fold.base;
            if let Some(mut e) = group_entry(fold, g, plan, &per_key, &merged, universe, acc) {
                e.per_key = by_key.remove(p).unwrap_or_default();
                access.push(e);
            }
        }
        for m in &plan.other_keys {
            access.push(marker_entry(m, &universe.account, &universe.partition));
        }
        let access = domains::fold_assumed_services(merge_entries(access), &through);
        let mut keys: Vec<String> = plan
            .keys
            .iter()
            .map(|k| estate.resources[*k].id.clone())
            .collect();
        keys.extend(plan.other_keys.iter().map(KeyMarker::as_string));
        keys.sort();
        keys.dedup();
        Domain {
            name: name.clone(),
            keys,
            stores: plan.stores.clone(),
            access,
        }
    };
    // Domains are independent: large estates build them on every core, in order.
    let work: Vec<_> = plans.iter().collect();
    let threads = crate::par::threads_for(1 + work.len() / 8);
    let domains_out: Vec<Domain> = crate::par::map(&work, threads, |&item| build(item));
    let shown: BTreeSet<&str> = domains_out
        .iter()
        .flat_map(|d| &d.access)
        .filter_map(|e| e.folded.as_ref().map(|f| f.group.as_str()))
        .collect();
    let undetermined: Vec<UndeterminedGroup> = fold
        .groups
        .iter()
        .filter(|g| shown.contains(g.name.as_str()))
        .map(|g| UndeterminedGroup {
            group: g.name.clone(),
            account: g.account.clone(),
            count: g.members.len(),
            members: g
                .members
                .iter()
                .map(|&m| universe.principals[m].name.clone())
                .collect(),
        })
        .collect();
    let unpartitioned = unpartitioned
        .into_iter()
        .map(|(s, m)| UnpartitionedStore {
            id: s.id,
            type_name: s.type_name,
            key: s.key,
            access: vec![marker_entry(&m, &universe.account, &universe.partition)],
        })
        .collect();
    let account_note = notes::deploying_account_note(estate, universe);
    drop(engine);
    Analysis {
        estate,
        links,
        report: Report {
            domains: domains_out,
            unpartitioned,
            undetermined,
            notes: {
                let mut n = notes::group(&estate.notes);
                n.extend(notes::managed_policy_notes(estate));
                n.extend(account_note);
                n
            },
            ..Report::default()
        },
    }
}

/// Per-key results: key resource index -> principal index (or group node) -> access.
type PerKey = BTreeMap<usize, BTreeMap<usize, Acc>>;

/// A member listed on its own in a domain (tied to one of its keys, or reaching a key through
/// a role) also has its group's access on the domain's other keys, where it was folded.
fn fold_members(
    fold: &fold::Fold,
    plan: &domains::DomainPlan,
    per_key: &PerKey,
    estate: &Estate,
    merged: &mut BTreeMap<usize, Acc>,
    by_key: &mut BTreeMap<usize, BTreeMap<String, BTreeMap<&'static str, Capability>>>,
) {
    if fold.groups.is_empty() || plan.keys.len() < 2 {
        return;
    }
    let listed: Vec<usize> = merged
        .range(..fold.base)
        .map(|(p, _)| *p)
        .filter(|p| fold.is_member(*p))
        .collect();
    for m in listed {
        let Some(g) = fold.group(m) else { continue };
        for k in &plan.keys {
            let Some(results) = per_key.get(k) else {
                continue;
            };
            if results.contains_key(&m) || !fold.folded_on(m, *k) {
                continue;
            }
            let Some(gacc) = results.get(&(fold.base + g)) else {
                continue;
            };
            if let Some(e) = merged.get_mut(&m) {
                e.join(gacc);
            }
            by_key
                .entry(m)
                .or_default()
                .insert(estate.resources[*k].id.clone(), action_map(gacc));
        }
    }
}

/// The `undetermined` entry of group `g` in a domain: its members that the domain does not
/// list on their own and that are folded on at least one of its keys.
fn group_entry(
    fold: &fold::Fold,
    g: usize,
    plan: &domains::DomainPlan,
    per_key: &PerKey,
    merged: &BTreeMap<usize, Acc>,
    universe: &principals::Universe<'_>,
    acc: &Acc,
) -> Option<AccessEntry> {
    let group = fold.groups.get(g)?;
    let node = fold.base + g;
    // Members evaluated on their own on every key where the group has access.
    let mut own: Option<BTreeSet<usize>> = None;
    for k in &plan.keys {
        if !per_key.get(k).is_some_and(|r| r.contains_key(&node)) {
            continue;
        }
        let here: BTreeSet<usize> = fold
            .individual
            .get(k)
            .map(|s| {
                s.iter()
                    .copied()
                    .filter(|m| fold.group(*m) == Some(g))
                    .collect()
            })
            .unwrap_or_default();
        own = Some(match own {
            None => here,
            Some(prev) => prev.intersection(&here).copied().collect(),
        });
    }
    let mut excluded = own.unwrap_or_default();
    excluded.extend(
        merged
            .range(..fold.base)
            .map(|(p, _)| *p)
            .filter(|p| fold.group(*p) == Some(g)),
    );
    let count = group.members.len().saturating_sub(excluded.len());
    if count == 0 {
        return None;
    }
    let members: Vec<String> = group
        .members
        .iter()
        .filter(|m| !excluded.contains(m))
        .take(result::FOLDED_LISTED)
        .map(|&m| universe.principals[m].name.clone())
        .collect();
    let mut e = entry(&group.name, None, PrincipalKind::Unknown, acc);
    e.via.insert(
        0,
        format!(
            "{count} principal(s) of account {} whose identity policies are not known before apply",
            group.account
        ),
    );
    e.folded = Some(Box::new(Folded {
        count,
        members,
        group: group.name.clone(),
    }));
    Some(e)
}

fn entry(name: &str, arn: Option<String>, kind: PrincipalKind, acc: &Acc) -> AccessEntry {
    let mut via: Vec<String> = Vec::new();
    for v in &acc.via {
        for s in v {
            if !via.contains(s) {
                via.push(s.clone());
            }
        }
    }
    AccessEntry {
        principal: name.to_owned(),
        arn,
        kind,
        read: acc.class(Class::Read),
        write: acc.class(Class::Write),
        admin: acc.class(Class::Admin),
        folded: None,
        via,
        assumed_by: Vec::new(),
        actions: action_map(acc),
        per_key: BTreeMap::new(),
    }
}

fn action_map(acc: &Acc) -> BTreeMap<&'static str, Capability> {
    access::all_actions()
        .zip(&acc.caps)
        .map(|((a, _), c)| (a, *c))
        .collect()
}

fn marker_entry(m: &KeyMarker, account: &str, partition: &str) -> AccessEntry {
    let (acct, cap, admin, why) = match m {
        KeyMarker::AwsManaged(a) => (
            account.to_owned(),
            Capability::Yes,
            Capability::No,
            format!(
                "AWS managed key {a}: any principal of the account allowed by the service can use it; IAM can only deny"
            ),
        ),
        KeyMarker::AwsOwned => (
            account.to_owned(),
            Capability::Yes,
            Capability::No,
            "AWS owned key: no key policy; access is decided by the service's own authorization".to_owned(),
        ),
        KeyMarker::Unencrypted => (
            account.to_owned(),
            Capability::Yes,
            Capability::No,
            "not encrypted at rest: access is decided by the service's own authorization".to_owned(),
        ),
        KeyMarker::External(s) => (
            principals::arn_account_any(s).unwrap_or(account).to_owned(),
            Capability::Conditional,
            Capability::Conditional,
            format!("key {s} is not in the input: its key policy decides"),
        ),
        KeyMarker::Unknown => (
            account.to_owned(),
            Capability::Conditional,
            Capability::Conditional,
            "the key is not known until apply".to_owned(),
        ),
    };
    let name = format!("arn:{partition}:iam::{acct}:root");
    let mut actions = BTreeMap::new();
    for (a, c) in access::all_actions() {
        actions.insert(a, if c == Class::Admin { admin } else { cap });
    }
    AccessEntry {
        principal: name.clone(),
        arn: Some(name),
        kind: PrincipalKind::Account,
        read: cap,
        write: cap,
        admin,
        folded: None,
        via: vec![why],
        assumed_by: Vec::new(),
        actions,
        per_key: BTreeMap::new(),
    }
}

/// Merges entries for the same principal (a domain over several keys) and sorts them.
fn merge_entries(entries: Vec<AccessEntry>) -> Vec<AccessEntry> {
    let mut by: BTreeMap<String, AccessEntry> = BTreeMap::new();
    for e in entries {
        match by.get_mut(&e.principal) {
            None => {
                by.insert(e.principal.clone(), e);
            }
            Some(cur) => {
                cur.read = cur.read.or(e.read);
                cur.write = cur.write.or(e.write);
                cur.admin = cur.admin.or(e.admin);
                for v in e.via {
                    if !cur.via.contains(&v) {
                        cur.via.push(v);
                    }
                }
                for (a, c) in e.actions {
                    let slot = cur.actions.entry(a).or_default();
                    *slot = slot.or(c);
                }
                for (k, m) in e.per_key {
                    let cur_k = cur.per_key.entry(k).or_default();
                    for (a, c) in m {
                        let slot = cur_k.entry(a).or_default();
                        *slot = slot.or(c);
                    }
                }
            }
        }
    }
    by.into_values()
        .filter(|e| {
            e.read != Capability::No || e.write != Capability::No || e.admin != Capability::No
        })
        .collect()
}
