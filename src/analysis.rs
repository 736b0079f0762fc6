//! From the estate to the access picture: links, policy evaluation, reachability, domains.

pub mod access;
pub mod domains;
pub mod eval;
pub mod explain;
pub mod link;
pub mod principals;
pub mod result;

use crate::model::Estate;
use access::{Acc, Class, Engine};
use link::KeyMarker;
use link::Links;
use result::{AccessEntry, Capability, Domain, PrincipalKind, Report};
use std::collections::BTreeMap;

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
    let links = Links::build(estate);
    let (plans, services) = domains::plan_domains(estate, &links);
    let engine = Engine::new(estate, &links);
    let per_key = engine.run(&services);
    let universe = &engine.universe;
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
        let mut access: Vec<AccessEntry> = merged
            .iter()
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
        for m in &plan.other_keys {
            access.push(marker_entry(m, &universe.account, &universe.partition));
        }
        let access = merge_entries(access);
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
    drop(engine);
    Analysis {
        estate,
        links,
        report: Report {
            domains: domains_out,
            notes: estate.notes.clone(),
            ..Report::default()
        },
    }
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
        via,
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
        via: vec![why],
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
