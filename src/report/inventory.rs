//! `keyreach inventory`: what keyreach understood from the inputs — keys, aliases, grants, key
//! policies, principals with their identity policies and trust, policies and their
//! attachments, data stores with the key each uses — and the links between them. It is what an
//! architecture review looks at first, and how a user checks that keyreach read their input
//! right.

use crate::analysis::access::{key_policy, KeyPolicyState};
use crate::analysis::domains::key_domain_name;
use crate::analysis::link::{DocState, KeyMarker, KeyTarget, Links};
use crate::analysis::principals::Universe;
use crate::model::{Encryption, Estate, Kind, Location, Principals, VStr, Val};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;
use tabled::builder::Builder;
use tabled::settings::peaker::Priority;
use tabled::settings::{Style, Width};

/// The inventory document.
#[derive(Debug, Serialize)]
pub struct Inventory {
    /// Always 1.
    pub schema_version: u32,
    /// Keys.
    pub keys: Vec<KeyItem>,
    /// Aliases.
    pub aliases: Vec<AliasItem>,
    /// Grants.
    pub grants: Vec<GrantItem>,
    /// Principals (roles and users) and groups.
    pub principals: Vec<PrincipalItem>,
    /// Policies (managed, inline resources, attachments, organization policies, documents).
    pub policies: Vec<PolicyItem>,
    /// Data stores.
    pub stores: Vec<StoreItem>,
    /// Resource types read but not modelled, with counts.
    pub other_types: BTreeMap<String, usize>,
    /// Soft messages.
    pub notes: Vec<crate::model::Note>,
}

/// A key.
#[derive(Debug, Serialize)]
pub struct KeyItem {
    /// Input id.
    pub id: String,
    /// Input type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Domain it names.
    pub domain: String,
    /// ARN, when known.
    pub arn: Option<String>,
    /// `known`, `default` or `unknown`, and where it comes from.
    pub policy: String,
    /// Statement labels of the key policy.
    pub policy_statements: Vec<String>,
    /// Automatic rotation: `on`, `off` or `unknown`.
    pub rotation: String,
    /// Aliases.
    pub aliases: Vec<String>,
    /// Grants on the key.
    pub grants: Vec<String>,
    /// Stores encrypted with it.
    pub stores: Vec<String>,
    /// Where it sits.
    pub location: Location,
}

/// An alias.
#[derive(Debug, Serialize)]
pub struct AliasItem {
    /// Input id.
    pub id: String,
    /// Alias name.
    pub name: String,
    /// The key it points at (id or as written).
    pub target: String,
}

/// A grant.
#[derive(Debug, Serialize)]
pub struct GrantItem {
    /// Input id.
    pub id: String,
    /// Key.
    pub key: String,
    /// Grantee.
    pub grantee: String,
    /// Operations.
    pub operations: Vec<String>,
    /// Has encryption-context constraints.
    pub constrained: bool,
}

/// A principal.
#[derive(Debug, Serialize)]
pub struct PrincipalItem {
    /// Input id.
    pub id: String,
    /// `role`, `user` or `group`.
    pub kind: String,
    /// ARN, known or built from the name and account.
    pub arn: Option<String>,
    /// Identity policies that apply (own, attached, via groups).
    pub identity_policies: Vec<String>,
    /// Permissions boundary.
    pub boundary: Vec<String>,
    /// True when some identity policy is not known (unknown until apply, outside the input).
    pub identity_incomplete: bool,
    /// Groups (users) or members (groups).
    pub groups: Vec<String>,
    /// Trust policy state (roles): principals it names.
    pub trusted: Vec<String>,
    /// Instance profiles carrying the role.
    pub instance_profiles: Vec<String>,
}

/// A policy resource.
#[derive(Debug, Serialize)]
pub struct PolicyItem {
    /// Input id.
    pub id: String,
    /// Input type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// `known` or `unknown`.
    pub document: String,
    /// What it is attached to or applies to.
    pub attached_to: Vec<String>,
}

/// A data store.
#[derive(Debug, Serialize)]
pub struct StoreItem {
    /// Input id.
    pub id: String,
    /// Input type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Service.
    pub service: String,
    /// `customer-key`, `aws-managed`, `aws-owned`, `none` or `unknown`.
    pub encryption: String,
    /// The key (id) or marker.
    pub key: String,
}

fn vstr(v: &VStr) -> String {
    v.to_string()
}

fn doc_state(s: DocState<'_>) -> String {
    match s {
        DocState::Known(_) => "known".to_owned(),
        DocState::Unknown => "unknown until apply".to_owned(),
    }
}

/// Builds the inventory.
#[must_use]
pub fn build(estate: &Estate) -> Inventory {
    let links = Links::build(estate);
    let universe = Universe::build(estate, &links);
    let mut inv = Inventory {
        schema_version: 1,
        keys: Vec::new(),
        aliases: Vec::new(),
        grants: Vec::new(),
        principals: Vec::new(),
        policies: Vec::new(),
        stores: Vec::new(),
        other_types: BTreeMap::new(),
        notes: estate.notes.clone(),
    };
    let mut stores_of_key: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut profiles_of_role: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (p, roles) in &links.roles_of_profile {
        for r in roles {
            profiles_of_role
                .entry(*r)
                .or_default()
                .push(estate.resources[*p].id.clone());
        }
    }
    let mut members: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for (u, groups) in &links.groups_of_user {
        for g in groups {
            members
                .entry(*g)
                .or_default()
                .push(estate.resources[*u].id.clone());
        }
    }
    for (i, r) in estate.resources.iter().enumerate() {
        match &r.kind {
            Kind::DataStore(s) => {
                let target = links.store_key(estate, i);
                if let KeyTarget::Key(k) = target {
                    stores_of_key.entry(k).or_default().push(r.id.clone());
                }
                let enc = match links.store_encryption.get(&i).unwrap_or(&s.encryption) {
                    Encryption::Kms(_) => match target {
                        KeyTarget::Other(KeyMarker::AwsManaged(_)) => "aws-managed",
                        KeyTarget::Other(KeyMarker::Unknown) => {
                            "customer-key (not known until apply)"
                        }
                        _ => "customer-key",
                    },
                    Encryption::AwsManaged(_) => "aws-managed",
                    Encryption::AwsOwned => "aws-owned",
                    Encryption::None => "none",
                    Encryption::Unknown => "unknown",
                };
                inv.stores.push(StoreItem {
                    id: r.id.clone(),
                    type_name: r.type_name.clone(),
                    service: s.service.clone(),
                    encryption: enc.to_owned(),
                    key: target.marker(estate),
                });
            }
            Kind::Other => *inv.other_types.entry(r.type_name.clone()).or_default() += 1,
            _ => {}
        }
    }
    for (i, r) in estate.resources.iter().enumerate() {
        match &r.kind {
            Kind::Key(k) => {
                let (policy, statements) = match key_policy(estate, &links, i) {
                    KeyPolicyState::Known(d, label) => (
                        format!("known ({label})"),
                        d.statements
                            .iter()
                            .map(|s| format!("{:?} {}", s.effect, s.label()))
                            .collect(),
                    ),
                    KeyPolicyState::Default => {
                        ("default (account root, kms:*)".to_owned(), Vec::new())
                    }
                    KeyPolicyState::Unknown => ("unknown until apply".to_owned(), Vec::new()),
                };
                inv.keys.push(KeyItem {
                    id: r.id.clone(),
                    type_name: r.type_name.clone(),
                    domain: key_domain_name(estate, &links, i),
                    arn: k.arn.as_ref().and_then(|a| a.known()).cloned(),
                    policy,
                    policy_statements: statements,
                    rotation: match &k.rotation_enabled {
                        Some(Val::Known(true)) => "on",
                        Some(Val::Known(false)) | None => "off",
                        Some(_) => "unknown",
                    }
                    .to_owned(),
                    aliases: links.aliases_of_key.get(&i).cloned().unwrap_or_default(),
                    grants: links
                        .grants_of_key
                        .get(&i)
                        .into_iter()
                        .flatten()
                        .map(|g| estate.resources[*g].id.clone())
                        .collect(),
                    stores: stores_of_key.remove(&i).unwrap_or_default(),
                    location: r.location.clone(),
                });
            }
            Kind::Alias(a) => inv.aliases.push(AliasItem {
                id: r.id.clone(),
                name: vstr(&a.name),
                target: links
                    .resolve_key_value(estate, &a.target_key, 0)
                    .map_or_else(|| vstr(&a.target_key), |t| t.marker(estate)),
            }),
            Kind::Grant(g) => inv.grants.push(GrantItem {
                id: r.id.clone(),
                key: links
                    .resolve_key_value(estate, &g.key, 0)
                    .map_or_else(|| vstr(&g.key), |t| t.marker(estate)),
                grantee: links
                    .resolve_principal(estate, &g.grantee)
                    .map_or_else(|| vstr(&g.grantee), |p| estate.resources[p].id.clone()),
                operations: g
                    .operations
                    .known()
                    .cloned()
                    .unwrap_or_else(|| vec!["(known after apply)".to_owned()]),
                constrained: !g.constraints.is_empty(),
            }),
            Kind::Role(_) | Kind::User(_) => {
                let Some(p) = universe.of_resource(i) else {
                    continue;
                };
                let (docs, boundary, incomplete) = universe.identity_summary(p);
                let trusted = match &r.kind {
                    Kind::Role(role) => match role
                        .trust_policy
                        .as_ref()
                        .map(|t| links.resolve_doc(estate, t))
                    {
                        Some(DocState::Known(d)) => d
                            .statements
                            .iter()
                            .filter(|s| s.effect == crate::model::Effect::Allow)
                            .flat_map(|s| match &s.principal {
                                Some(Principals::Any) => vec!["*".to_owned()],
                                Some(Principals::Map(m)) => m
                                    .iter()
                                    .map(|(_, v)| match links.resolve_principal(estate, v) {
                                        Some(x) => estate.resources[x].id.clone(),
                                        None => vstr(v),
                                    })
                                    .collect(),
                                None => Vec::new(),
                            })
                            .collect(),
                        Some(DocState::Unknown) => {
                            vec!["(trust policy unknown until apply)".to_owned()]
                        }
                        None => Vec::new(),
                    },
                    _ => Vec::new(),
                };
                let pr = &universe.principals[p];
                inv.principals.push(PrincipalItem {
                    id: r.id.clone(),
                    kind: if matches!(r.kind, Kind::Role(_)) {
                        "role"
                    } else {
                        "user"
                    }
                    .to_owned(),
                    arn: pr.arn.clone(),
                    identity_policies: docs,
                    boundary,
                    identity_incomplete: incomplete,
                    groups: links
                        .groups_of_user
                        .get(&i)
                        .into_iter()
                        .flatten()
                        .map(|g| estate.resources[*g].id.clone())
                        .collect(),
                    trusted,
                    instance_profiles: profiles_of_role.get(&i).cloned().unwrap_or_default(),
                });
            }
            Kind::Group(_) => inv.principals.push(PrincipalItem {
                id: r.id.clone(),
                kind: "group".to_owned(),
                arn: None,
                identity_policies: links
                    .inline_of
                    .get(&i)
                    .into_iter()
                    .flatten()
                    .map(|x| estate.resources[*x].id.clone())
                    .chain(
                        links
                            .managed_of
                            .get(&i)
                            .into_iter()
                            .flatten()
                            .map(|(v, _)| vstr(v)),
                    )
                    .collect(),
                boundary: Vec::new(),
                identity_incomplete: false,
                groups: members.get(&i).cloned().unwrap_or_default(),
                trusted: Vec::new(),
                instance_profiles: Vec::new(),
            }),
            Kind::ManagedPolicy(p) => inv.policies.push(policy_item(
                r,
                doc_state(links.resolve_doc(estate, &p.document)),
                attached(&links, estate, i),
            )),
            Kind::InlinePolicy(p) => inv.policies.push(policy_item(
                r,
                doc_state(links.resolve_doc(estate, &p.document)),
                attached(&links, estate, i),
            )),
            Kind::PolicyAttachment(a) => inv.policies.push(policy_item(
                r,
                format!("attaches {}", vstr(&a.policy_arn)),
                attached(&links, estate, i),
            )),
            Kind::KeyPolicy(kp) => inv.policies.push(policy_item(
                r,
                doc_state(links.resolve_doc(estate, &kp.policy)),
                vec![links
                    .resolve_key_value(estate, &kp.key, 0)
                    .map_or_else(|| vstr(&kp.key), |t| t.marker(estate))],
            )),
            Kind::OrgPolicy(o) => inv.policies.push(policy_item(
                r,
                doc_state(links.resolve_doc(estate, &o.document)),
                o.targets.iter().map(vstr).collect(),
            )),
            Kind::PolicyDocument(d) => inv.policies.push(policy_item(
                r,
                doc_state(links.resolve_doc(estate, &d.document)),
                Vec::new(),
            )),
            _ => {}
        }
    }
    inv
}

fn policy_item(
    r: &crate::model::Resource,
    document: String,
    attached_to: Vec<String>,
) -> PolicyItem {
    PolicyItem {
        id: r.id.clone(),
        type_name: r.type_name.clone(),
        document,
        attached_to,
    }
}

fn attached(links: &Links, estate: &Estate, policy: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (owner, list) in &links.inline_of {
        if list.contains(&policy) {
            out.push(estate.resources[*owner].id.clone());
        }
    }
    for (owner, list) in &links.managed_of {
        if list.iter().any(|(_, a)| *a == Some(policy)) {
            out.push(estate.resources[*owner].id.clone());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Writes the inventory as pretty JSON.
///
/// # Errors
/// Write errors.
pub fn render_json(inv: &Inventory, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, inv)?;
    out.write_all(b"\n")
}

fn section(
    out: &mut dyn Write,
    title: &str,
    header: &[&str],
    rows: Vec<Vec<String>>,
) -> std::io::Result<()> {
    writeln!(out, "{title} ({})", rows.len())?;
    if rows.is_empty() {
        return writeln!(out, "  (none)\n");
    }
    let mut b = Builder::default();
    b.push_record(header.iter().map(|s| (*s).to_owned()));
    for r in rows {
        b.push_record(r);
    }
    let mut t = b.build();
    t.with(Style::sharp());
    t.with(
        Width::wrap(super::table::terminal_width())
            .keep_words(true)
            .priority(Priority::max(true)),
    );
    writeln!(out, "{t}\n")
}

/// Writes the inventory as tables.
///
/// # Errors
/// Write errors.
pub fn render_table(inv: &Inventory, out: &mut dyn Write) -> std::io::Result<()> {
    section(
        out,
        "KEYS",
        &[
            "key", "domain", "policy", "rotation", "aliases", "grants", "stores",
        ],
        inv.keys
            .iter()
            .map(|k| {
                vec![
                    k.id.clone(),
                    k.domain.clone(),
                    if k.policy_statements.is_empty() {
                        k.policy.clone()
                    } else {
                        format!("{}\n{}", k.policy, k.policy_statements.join("\n"))
                    },
                    k.rotation.clone(),
                    k.aliases.join("\n"),
                    k.grants.join("\n"),
                    k.stores.join("\n"),
                ]
            })
            .collect(),
    )?;
    section(
        out,
        "ALIASES",
        &["alias", "name", "key"],
        inv.aliases
            .iter()
            .map(|a| vec![a.id.clone(), a.name.clone(), a.target.clone()])
            .collect(),
    )?;
    section(
        out,
        "GRANTS",
        &["grant", "key", "grantee", "operations", "constrained"],
        inv.grants
            .iter()
            .map(|g| {
                vec![
                    g.id.clone(),
                    g.key.clone(),
                    g.grantee.clone(),
                    g.operations.join(", "),
                    g.constrained.to_string(),
                ]
            })
            .collect(),
    )?;
    section(
        out,
        "PRINCIPALS",
        &[
            "principal",
            "kind",
            "identity policies",
            "boundary",
            "groups / members",
            "trusted",
        ],
        inv.principals
            .iter()
            .map(|p| {
                let mut pols = p.identity_policies.join("\n");
                if p.identity_incomplete {
                    pols.push_str("\n(+ policies not known)");
                }
                vec![
                    p.id.clone(),
                    p.kind.clone(),
                    pols,
                    p.boundary.join("\n"),
                    p.groups.join("\n"),
                    p.trusted.join("\n"),
                ]
            })
            .collect(),
    )?;
    section(
        out,
        "POLICIES",
        &["policy", "type", "document", "attached to"],
        inv.policies
            .iter()
            .map(|p| {
                vec![
                    p.id.clone(),
                    p.type_name.clone(),
                    p.document.clone(),
                    p.attached_to.join("\n"),
                ]
            })
            .collect(),
    )?;
    section(
        out,
        "STORES",
        &["store", "type", "service", "encryption", "key"],
        inv.stores
            .iter()
            .map(|s| {
                vec![
                    s.id.clone(),
                    s.type_name.clone(),
                    s.service.clone(),
                    s.encryption.clone(),
                    s.key.clone(),
                ]
            })
            .collect(),
    )?;
    if !inv.other_types.is_empty() {
        writeln!(out, "OTHER RESOURCE TYPES (read, not needed for access)")?;
        for (t, n) in &inv.other_types {
            writeln!(out, "  {t}: {n}")?;
        }
    }
    Ok(())
}
