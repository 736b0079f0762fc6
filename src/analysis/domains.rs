//! Data domains: the stores one key is meant to protect, named per the output contract.
//!
//! A domain's name is the domain tag on its key, else the key's first alias (sorted) without
//! `alias/`, else the key's id. A store whose own domain tag names another domain belongs to
//! that domain (and its key then serves two domains). Stores on AWS managed keys, AWS owned
//! keys or no encryption belong to the domain their tag names; untagged, they are not a domain
//! and are listed as `unpartitioned` (with who can use their key marker), so no store is ever
//! left out of the picture. Stores on one key outside the input form one domain named by the
//! key as written; a store whose key is unknown until apply stays a domain of its own: a
//! customer managed key may protect it.
//!
//! Configuration-only resources (a Lambda function's environment, SSM `String`/`StringList`
//! parameters, an EKS cluster's secrets envelope) are not data stores: they are left out unless
//! a domain tag says they belong to a domain, or they are encrypted with a customer managed key
//! of the input (they then show as that key's domain's stores).

use super::link::{KeyMarker, KeyTarget, Links};
use super::result::{AccessEntry, PrincipalKind, StoreEntry};
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

/// Every domain, the services of the stores under each key, and the stores outside any domain.
#[derive(Debug, Default)]
pub struct Plans {
    /// Domains by name.
    pub domains: BTreeMap<String, DomainPlan>,
    /// Services of the stores under each customer key (resource index).
    pub services: BTreeMap<usize, BTreeSet<String>>,
    /// Stores on AWS managed or AWS owned keys or unencrypted, without a domain tag, sorted.
    pub unpartitioned: Vec<(StoreEntry, KeyMarker)>,
}

/// True for resources that hold configuration rather than data (see the module docs).
#[must_use]
pub fn is_configuration_only(type_name: &str, store: &crate::model::DataStore) -> bool {
    match type_name {
        "aws_lambda_function" | "AWS::Lambda::Function" | "AWS::Serverless::Function" => true,
        "aws_eks_cluster" | "AWS::EKS::Cluster" => true,
        // String and StringList parameters are stored without KMS encryption; a SecureString
        // (or a parameter whose type is unknown until apply) may hold a secret.
        "aws_ssm_parameter" | "AWS::SSM::Parameter" => {
            store.encryption == crate::model::Encryption::None
        }
        _ => false,
    }
}

/// Builds every domain, the services of the stores under each key, and the unpartitioned
/// stores.
#[must_use]
pub fn plan_domains(estate: &Estate, links: &Links) -> Plans {
    let mut domains: BTreeMap<String, DomainPlan> = BTreeMap::new();
    let mut unpartitioned: Vec<(StoreEntry, KeyMarker)> = Vec::new();
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
        if tag.is_none()
            && !matches!(target, KeyTarget::Key(_))
            && is_configuration_only(&r.type_name, store)
        {
            continue;
        }
        let name = match (&tag, &target) {
            (Some(t), _) => t.clone(),
            (None, KeyTarget::Key(k)) => key_domain_name(estate, links, *k),
            (
                None,
                KeyTarget::Other(
                    m @ (KeyMarker::AwsManaged(_) | KeyMarker::AwsOwned | KeyMarker::Unencrypted),
                ),
            ) => {
                unpartitioned.push((
                    StoreEntry {
                        id: r.id.clone(),
                        type_name: r.type_name.clone(),
                        key: m.as_string(),
                    },
                    m.clone(),
                ));
                continue;
            }
            // Stores on one key outside the input share that key's domain, named by the key
            // as written.
            (None, KeyTarget::Other(KeyMarker::External(k))) => k.clone(),
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
    unpartitioned.sort();
    Plans {
        domains,
        services,
        unpartitioned,
    }
}

fn push(d: &mut DomainPlan, m: KeyMarker) -> String {
    let s = m.as_string();
    d.other_keys.insert(m);
    s
}

/// The role a `via` step "assumes <role> (…)" names.
#[must_use]
pub fn assumed_role(step: &str) -> Option<&str> {
    let rest = step.strip_prefix("assumes ")?;
    Some(rest.split(" (").next().unwrap_or(rest))
}

/// One entry per principal that holds the access: a service principal whose every evidence
/// chain starts with a role assumption (`through`: service -> the roles it assumes; no key
/// policy or grant names it) is folded into the entries of those roles (`assumed_by`). It keeps
/// its own entry when a role it assumes has no entry in the domain.
#[must_use]
pub fn fold_assumed_services(
    access: Vec<AccessEntry>,
    through: &BTreeMap<String, BTreeSet<String>>,
) -> Vec<AccessEntry> {
    let present: BTreeSet<String> = access
        .iter()
        .filter(|e| e.kind != PrincipalKind::Service)
        .map(|e| e.principal.clone())
        .collect();
    let mut folded: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut keep: Vec<AccessEntry> = Vec::with_capacity(access.len());
    for e in access {
        let roles = through.get(&e.principal).filter(|rs| {
            e.kind == PrincipalKind::Service
                && !rs.is_empty()
                && rs.iter().all(|r| present.contains(r))
        });
        match roles {
            Some(rs) => {
                let (service, _) = through
                    .get_key_value(&e.principal)
                    .map_or(("", ()), |(k, _)| (k.as_str(), ()));
                for r in rs {
                    folded.entry(r.as_str()).or_default().insert(service);
                }
            }
            None => keep.push(e),
        }
    }
    for e in &mut keep {
        if let Some(by) = folded.get(e.principal.as_str()) {
            for b in by {
                if !e.assumed_by.iter().any(|x| x == b) {
                    e.assumed_by.push((*b).to_owned());
                }
            }
            e.assumed_by.sort();
        }
    }
    keep
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::result::Capability;

    fn e(p: &str, kind: PrincipalKind, via: &[&str]) -> AccessEntry {
        AccessEntry {
            principal: p.into(),
            arn: None,
            kind,
            read: Capability::Yes,
            write: Capability::No,
            admin: Capability::No,
            folded: None,
            via: via.iter().map(|s| (*s).to_owned()).collect(),
            assumed_by: Vec::new(),
            actions: BTreeMap::new(),
            per_key: BTreeMap::new(),
        }
    }

    #[test]
    fn services_acting_through_roles_fold_into_the_roles() {
        let mut through: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        through.insert("states.amazonaws.com".into(), ["AppRole".to_owned()].into());
        through.insert(
            "ecs-tasks.amazonaws.com".into(),
            ["GoneRole".to_owned()].into(),
        );
        let out = fold_assumed_services(
            vec![
                e(
                    "AppRole",
                    PrincipalKind::Role,
                    &["key policy statement Use"],
                ),
                e(
                    "ecs-tasks.amazonaws.com",
                    PrincipalKind::Service,
                    &["assumes GoneRole"],
                ),
                e(
                    "logs.amazonaws.com",
                    PrincipalKind::Service,
                    &["key policy statement Logs"],
                ),
                e(
                    "states.amazonaws.com",
                    PrincipalKind::Service,
                    &["assumes AppRole"],
                ),
            ],
            &through,
        );
        let names: Vec<&str> = out.iter().map(|e| e.principal.as_str()).collect();
        assert_eq!(
            names,
            ["AppRole", "ecs-tasks.amazonaws.com", "logs.amazonaws.com"]
        );
        assert_eq!(out[0].assumed_by, ["states.amazonaws.com"]);
        assert_eq!(
            assumed_role("assumes AppRole (trust policy of AppRole)"),
            Some("AppRole")
        );
        assert_eq!(assumed_role("key policy statement X"), None);
    }
}
