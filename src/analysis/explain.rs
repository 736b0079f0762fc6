//! `keyreach explain`: why principals can (or cannot) read, write and administer one domain.

use super::access::explain::{kind_name, Node, Query};
use super::access::{Class, Engine};
use super::link::Links;
use super::result::{AccessEntry, Capability, SCHEMA_VERSION};
use crate::model::Estate;
use serde::Serialize;
use std::collections::BTreeMap;

/// The explanation of one domain (`keyreach explain --format json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// Always the report's schema version.
    pub schema_version: u32,
    /// The domain explained.
    pub domain: String,
    /// Its keys (ids or markers).
    pub keys: Vec<String>,
    /// One tree per principal.
    pub principals: Vec<Node>,
}

/// Explains `domain` for one principal (by contract name or ARN) or, without one, for every
/// principal of the domain's access list.
///
/// # Errors
/// An unknown domain or principal, with the names that exist.
pub fn explain(
    estate: &Estate,
    domain: &str,
    principal: Option<&str>,
    classes: &[Class],
) -> Result<Explanation, String> {
    let report = super::analyze(estate);
    let Some(d) = report.domains.iter().find(|d| d.name == domain) else {
        let names: Vec<&str> = report.domains.iter().map(|d| d.name.as_str()).collect();
        return Err(if names.is_empty() {
            format!("no domain `{domain}`: the inputs hold no data domains")
        } else {
            format!(
                "no domain `{domain}`; the domains are: {}",
                names.join(", ")
            )
        });
    };
    let links = Links::build(estate);
    let super::domains::Plans {
        domains: plans,
        services,
        ..
    } = super::domains::plan_domains(estate, &links);
    let keys: Vec<usize> = plans
        .get(domain)
        .map(|p| p.keys.iter().copied().collect())
        .unwrap_or_default();
    let engine = Engine::new(estate, &links);
    let entries: BTreeMap<String, AccessEntry> = d
        .access
        .iter()
        .map(|e| (e.principal.clone(), e.clone()))
        .collect();
    let mut nodes_out: Vec<Node> = Vec::new();
    let wanted: Vec<(String, Option<usize>)> = match principal {
        Some(p) => {
            let i = engine.find_principal(p).or_else(|| {
                // A principal's short name (`payments-app` for its role ARN's last segment).
                // Or a stack-prefixed id's logical id (`Reader` for `stack-consumer/Reader`).
                let hits: Vec<usize> = engine
                    .universe
                    .principals
                    .iter()
                    .enumerate()
                    .filter(|(_, x)| {
                        x.arn
                            .as_deref()
                            .is_some_and(|a| a.rsplit('/').next() == Some(p))
                            || (x.resource.is_some() && x.name.rsplit('/').next() == Some(p))
                    })
                    .map(|(i, _)| i)
                    .collect();
                (hits.len() == 1).then(|| hits[0])
            });
            match i {
                Some(i) => vec![(engine.universe.principals[i].name.clone(), Some(i))],
                None if entries.contains_key(p) => vec![(p.to_owned(), None)],
                None => {
                    return Err(format!(
                        "no principal `{p}` in the inputs; `keyreach analyze` lists who can reach domain `{domain}`"
                    ))
                }
            }
        }
        None => d
            .access
            .iter()
            .map(|e| (e.principal.clone(), engine.find_principal(&e.principal)))
            .collect(),
    };
    // One pass over the engine for every principal asked about (the assume-role edges are
    // computed once), then the trees in the order asked.
    let indexes: Vec<usize> = wanted.iter().filter_map(|(_, i)| *i).collect();
    let q = Query {
        keys: &keys,
        principals: &indexes,
        classes,
        entries: &entries,
        services: &services,
    };
    let mut trees = engine.explain(&q).into_iter();
    for (name, idx) in wanted {
        match idx {
            Some(_) => nodes_out.extend(trees.next()),
            None => nodes_out.push(marker_node(&name, entries.get(&name), classes)),
        }
    }
    Ok(Explanation {
        schema_version: SCHEMA_VERSION,
        domain: d.name.clone(),
        keys: d.keys.clone(),
        principals: nodes_out,
    })
}

/// An entry that stands for a key outside the input (AWS managed, AWS owned, unencrypted,
/// external): its evidence is all there is.
fn marker_node(name: &str, e: Option<&AccessEntry>, classes: &[Class]) -> Node {
    let kind = e.map_or("unknown", |e| kind_name(e.kind));
    let mut root = Node::new("principal", format!("{name} ({kind})"));
    root.id = Some(name.to_owned());
    for &c in classes {
        let (label, cap) = match c {
            Class::Read => ("read", e.map_or(Capability::No, |e| e.read)),
            Class::Write => ("write", e.map_or(Capability::No, |e| e.write)),
            Class::Admin => ("admin", e.map_or(Capability::No, |e| e.admin)),
        };
        let mut n = Node::new("capability", label).cap(cap);
        for v in e.map(|e| e.via.as_slice()).unwrap_or_default() {
            n.children.push(Node::new("note", v.clone()));
        }
        root.children.push(n);
    }
    root
}

/// Every assume-role edge of the estate (caller, role, capability), for pictures.
#[must_use]
pub fn assumptions(estate: &Estate) -> Vec<super::access::explain::Assumption> {
    let links = Links::build(estate);
    Engine::new(estate, &links).assumptions()
}
