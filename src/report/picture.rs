//! The picture of the domains shared by the DOT and Mermaid renderers: one cluster per domain
//! with its keys and stores, principals with edges to the keys they can use (labelled read,
//! write, admin; conditional access drawn dashed) and role-assumption edges between them.
//!
//! Large estates stay legible: principals of the same kind with identical edges are drawn as
//! one node with a count, so the picture grows with the number of distinct access patterns,
//! not the number of principals.

use crate::analysis::access::all_actions;
use crate::analysis::access::explain::Assumption;
use crate::analysis::result::{AccessEntry, Capability, Domain, Report};
use std::collections::{BTreeMap, BTreeSet};

/// Members listed by name in a grouped node before it shows only a count.
const NAMED_MEMBERS: usize = 3;

/// A node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PNode {
    /// Stable node id (`k0`, `s3`, `p12`).
    pub id: String,
    /// Label lines.
    pub label: Vec<String>,
    /// `key`, `store`, `principal`.
    pub shape: &'static str,
}

/// A domain cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// Cluster id.
    pub id: String,
    /// Domain name.
    pub name: String,
    /// Key and store nodes.
    pub nodes: Vec<PNode>,
}

/// An edge.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PEdge {
    /// From node id.
    pub from: String,
    /// To node id.
    pub to: String,
    /// Label.
    pub label: String,
    /// Drawn dashed (conditional).
    pub dashed: bool,
}

/// The whole picture.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Picture {
    /// Domain clusters.
    pub clusters: Vec<Cluster>,
    /// Principal nodes (outside clusters).
    pub principals: Vec<PNode>,
    /// Edges: store -> key, principal -> key, caller -> role.
    pub edges: Vec<PEdge>,
}

fn class_caps(m: &BTreeMap<&'static str, Capability>) -> [Capability; 3] {
    let mut out = [Capability::No; 3];
    for (a, c) in all_actions() {
        if let Some(v) = m.get(a) {
            let i = c as usize;
            out[i] = out[i].or(*v);
        }
    }
    out
}

/// Per key node id: [read, write, admin].
type Signature = Vec<(String, [Capability; 3])>;

fn entry_signature(
    e: &AccessEntry,
    d: &Domain,
    key_ids: &BTreeMap<(String, String), String>,
) -> Signature {
    let mut sig: Signature = Vec::new();
    for k in &d.keys {
        let Some(node) = key_ids.get(&(d.name.clone(), k.clone())) else {
            continue;
        };
        let caps = match e.per_key.get(k) {
            Some(m) => class_caps(m),
            // Keys outside the input (markers): the entry's own capabilities.
            None if !e.per_key.is_empty() => continue,
            None => [e.read, e.write, e.admin],
        };
        if caps.iter().any(|c| *c != Capability::No) {
            sig.push((node.clone(), caps));
        }
    }
    sig
}

fn kind_word(kind: &str, n: usize) -> String {
    match (kind, n == 1) {
        ("account", false) => "accounts".to_owned(),
        ("public", _) => "everyone".to_owned(),
        (k, true) => k.to_owned(),
        (k, false) => format!("{k}s"),
    }
}

/// Builds the picture of the report's domains (all, or those named in `only`).
#[must_use]
pub fn build(report: &Report, only: &[String], assumptions: &[Assumption]) -> Picture {
    let domains: Vec<&Domain> = report
        .domains
        .iter()
        .filter(|d| only.is_empty() || only.contains(&d.name))
        .collect();
    let mut pic = Picture::default();
    let mut key_ids: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut n_nodes = 0usize;
    for (ci, d) in domains.iter().enumerate() {
        let mut cluster = Cluster {
            id: format!("d{ci}"),
            name: d.name.clone(),
            nodes: Vec::new(),
        };
        for k in &d.keys {
            let id = format!("k{n_nodes}");
            n_nodes += 1;
            key_ids.insert((d.name.clone(), k.clone()), id.clone());
            cluster.nodes.push(PNode {
                id,
                label: vec![format!("key {k}")],
                shape: "key",
            });
        }
        for s in &d.stores {
            let id = format!("s{n_nodes}");
            n_nodes += 1;
            if let Some(k) = key_ids.get(&(d.name.clone(), s.key.clone())) {
                pic.edges.push(PEdge {
                    from: id.clone(),
                    to: k.clone(),
                    label: String::new(),
                    dashed: false,
                });
            }
            cluster.nodes.push(PNode {
                id,
                label: vec![s.id.clone(), format!("({})", s.type_name)],
                shape: "store",
            });
        }
        pic.clusters.push(cluster);
    }
    // Group principals by kind and their edges over every drawn domain.
    let mut sig_of: BTreeMap<String, (String, Signature)> = BTreeMap::new();
    for d in &domains {
        for e in &d.access {
            let kind = crate::analysis::access::explain::kind_name(e.kind).to_owned();
            let slot = sig_of
                .entry(e.principal.clone())
                .or_insert_with(|| (kind, Vec::new()));
            slot.1.extend(entry_signature(e, d, &key_ids));
        }
    }
    let mut groups: BTreeMap<(String, Signature), Vec<String>> = BTreeMap::new();
    for (name, (kind, mut sig)) in sig_of {
        sig.sort();
        groups.entry((kind, sig)).or_default().push(name);
    }
    // Roles that take part in assumption edges keep their own node, so chains stay readable.
    let chained: BTreeSet<&str> = assumptions
        .iter()
        .flat_map(|(a, b, _)| [a.as_str(), b.as_str()])
        .collect();
    let mut node_of: BTreeMap<String, String> = BTreeMap::new();
    let mut ordered: Vec<(String, Signature, Vec<String>)> = Vec::new();
    for ((kind, sig), members) in groups {
        let (solo, rest): (Vec<String>, Vec<String>) = members
            .into_iter()
            .partition(|m| chained.contains(m.as_str()));
        for m in solo {
            ordered.push((kind.clone(), sig.clone(), vec![m]));
        }
        if !rest.is_empty() {
            ordered.push((kind, sig, rest));
        }
    }
    ordered.sort_by(|a, b| a.2.cmp(&b.2));
    for (i, (kind, sig, members)) in ordered.into_iter().enumerate() {
        let id = format!("p{i}");
        let label = if members.len() == 1 {
            vec![members[0].clone(), format!("({kind})")]
        } else if members.len() <= NAMED_MEMBERS {
            let mut l = members.clone();
            l.push(format!("({} {})", members.len(), kind_word(&kind, 2)));
            l
        } else {
            vec![
                format!("{} {}", members.len(), kind_word(&kind, members.len())),
                format!("{}, …", members[0]),
            ]
        };
        for m in &members {
            node_of.insert(m.clone(), id.clone());
        }
        for (key, caps) in &sig {
            let yes: Vec<&str> = ["read", "write", "admin"]
                .iter()
                .zip(caps)
                .filter(|(_, c)| **c == Capability::Yes)
                .map(|(n, _)| *n)
                .collect();
            let cond: Vec<&str> = ["read", "write", "admin"]
                .iter()
                .zip(caps)
                .filter(|(_, c)| **c == Capability::Conditional)
                .map(|(n, _)| *n)
                .collect();
            if !yes.is_empty() {
                pic.edges.push(PEdge {
                    from: id.clone(),
                    to: key.clone(),
                    label: yes.join("/"),
                    dashed: false,
                });
            }
            if !cond.is_empty() {
                pic.edges.push(PEdge {
                    from: id.clone(),
                    to: key.clone(),
                    label: format!("{} (conditional)", cond.join("/")),
                    dashed: true,
                });
            }
        }
        pic.principals.push(PNode {
            id,
            label,
            shape: "principal",
        });
    }
    let mut seen: BTreeSet<(String, String, bool)> = BTreeSet::new();
    for (a, b, cap) in assumptions {
        let (Some(from), Some(to)) = (node_of.get(a), node_of.get(b)) else {
            continue;
        };
        if from == to || *cap == Capability::No {
            continue;
        }
        let dashed = *cap == Capability::Conditional;
        if seen.insert((from.clone(), to.clone(), dashed)) {
            pic.edges.push(PEdge {
                from: from.clone(),
                to: to.clone(),
                label: if dashed {
                    "assumes (conditional)".to_owned()
                } else {
                    "assumes".to_owned()
                },
                dashed,
            });
        }
    }
    pic
}
