//! Data domains: the stores one key is meant to protect, named per the output contract.
//!
//! A domain's name is the domain tag on its key, else the key's first alias (sorted) without
//! `alias/`, else the key's id. A store whose own domain tag names another domain belongs to
//! that domain (and its key then serves two domains). Stores on AWS managed keys, AWS owned
//! keys or no encryption belong to the domain their tag names, or — untagged — to a domain of
//! their own named by the store id, so no store is ever left out of the picture.

use super::link::{KeyMarker, KeyTarget, Links};
use super::result::StoreEntry;
use crate::model::{Change, Estate, Kind};
use std::collections::{BTreeMap, BTreeSet};

/// A domain before access is attached.
#[derive(Debug, Default, Clone)]
pub struct DomainPlan {
    /// Customer keys of the input (resource indexes) serving the domain.
    pub keys: BTreeSet<usize>,
    /// Key markers for stores not on a key of the input.
    pub other_keys: BTreeSet<KeyMarker>,
    /// Stores.
    pub stores: Vec<StoreEntry>,
}

fn domain_tag(estate: &Estate, i: usize) -> Option<String> {
    let tags = estate.resources[i].tags.known()?;
    estate
        .context
        .domain_tags
        .iter()
        .find_map(|t| tags.get(t))
        .filter(|v| !v.trim().is_empty())
        .cloned()
}

/// The domain name of a customer key.
#[must_use]
pub fn key_domain_name(estate: &Estate, links: &Links, k: usize) -> String {
    if let Some(t) = domain_tag(estate, k) {
        return t;
    }
    if let Some(a) = links.aliases_of_key.get(&k).and_then(|v| v.first()) {
        return a.strip_prefix("alias/").unwrap_or(a).to_owned();
    }
    estate.resources[k].id.clone()
}

/// Builds every domain, and the services of the stores under each key.
#[must_use]
pub fn plan_domains(
    estate: &Estate,
    links: &Links,
) -> (
    BTreeMap<String, DomainPlan>,
    BTreeMap<usize, BTreeSet<String>>,
) {
    let mut domains: BTreeMap<String, DomainPlan> = BTreeMap::new();
    let mut services: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    for (i, r) in estate.resources.iter().enumerate() {
        if r.change == Change::Delete {
            continue;
        }
        if let Kind::Key(_) = r.kind {
            domains
                .entry(key_domain_name(estate, links, i))
                .or_default()
                .keys
                .insert(i);
        }
    }
    for (i, r) in estate.resources.iter().enumerate() {
        let Kind::DataStore(store) = &r.kind else {
            continue;
        };
        if r.change == Change::Delete {
            continue;
        }
        let target = links.store_key(estate, i);
        let tag = domain_tag(estate, i);
        let name = match (&tag, &target) {
            (Some(t), _) => t.clone(),
            (None, KeyTarget::Key(k)) => key_domain_name(estate, links, *k),
            (None, _) => r.id.clone(),
        };
        let d = domains.entry(name).or_default();
        let marker = match &target {
            KeyTarget::Key(k) => {
                d.keys.insert(*k);
                services
                    .entry(*k)
                    .or_default()
                    .insert(store.service.clone());
                estate.resources[*k].id.clone()
            }
            KeyTarget::Other(m) => push(d, m.clone()),
        };
        d.stores.push(StoreEntry {
            id: r.id.clone(),
            type_name: r.type_name.clone(),
            key: marker,
        });
    }
    for d in domains.values_mut() {
        d.stores.sort();
    }
    (domains, services)
}

fn push(d: &mut DomainPlan, m: KeyMarker) -> String {
    let s = m.as_string();
    d.other_keys.insert(m);
    s
}
