//! Terraform plan JSON (`terraform show -json plan.out`), format versions 0.1 to 1.x
//! (Terraform 0.12 to 1.x).
//!
//! The estate after the change is built from `resource_changes` (every managed resource and
//! every data source whose read is deferred to apply), completed by `planned_values` and by
//! the data sources read during planning (`prior_state`, mode `data`). Deleted and deposed
//! objects exist only in the prior estate, which is `prior_state` (plus `before` values the
//! prior state lacks). Ids are the addresses exactly as the plan prints them; locations are
//! JSON pointers to the resource object.
//!
//! Values unknown until apply are linked through the `configuration` (see [`config`]);
//! policy documents that are read during apply are rebuilt from their arguments (see
//! [`policy`]). When a resource's policy is unknown and references exactly one policy
//! document of the plan, the rebuilt document is substituted directly; otherwise the
//! `Val::Ref` is kept for the linker.
//!
//! Submodules: [`document`] walks the JSON, [`address`] parses addresses and references,
//! [`config`] resolves references, [`attrs`] reads values with their unknown marks, and
//! [`kms`], [`iam`], [`stores`] map resource types to model kinds.

mod address;
mod attrs;
mod config;
mod document;
mod facts;
mod iam;
mod kms;
mod policy;
mod stores;

use super::LoadOptions;
use crate::error::InputError;
use crate::model::{Change, Kind, Location, Note, Parsed, PolicyDocument, Resource, Val};
use attrs::{Attrs, Scope};
use config::ConfigIndex;
use document::{error_at, owned, typed, Entry, RawPlan, Source};
use policy::DocBuild;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// Parses one plan.
///
/// # Errors
/// Malformed JSON, a document that is not a plan, or a value of the wrong shape where a
/// known value is expected (the error names its JSON pointer).
pub fn parse(display: &str, text: &str, _opts: &LoadOptions) -> Result<Parsed, InputError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let top: RawPlan = serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => error_at(
            display,
            "",
            format!("is not a Terraform plan: the document must be a JSON object ({e})"),
        ),
        _ => InputError::from_json(display, &e),
    })?;
    let mut notes = Vec::new();
    check_format(display, &top, &mut notes)?;

    let config_value: Option<Value> = match top.configuration {
        Some(raw) => Some(owned(display, raw, "/configuration", "an object")?),
        None => None,
    };
    if let Some(v) = &config_value {
        if !v.is_object() && !v.is_null() {
            return Err(error_at(
                display,
                "/configuration",
                "`configuration` must be an object",
            ));
        }
    }
    let mut config = ConfigIndex::new(config_value.as_ref());

    // Prior state: `prior_state.values`.
    let mut prior_entries = match top.prior_state {
        Some(raw) if raw.get().trim() != "null" => {
            #[derive(serde::Deserialize)]
            struct State<'a> {
                #[serde(borrow)]
                values: Option<&'a serde_json::value::RawValue>,
            }
            let s: State = typed(display, raw, "/prior_state", "a state object with `values`")?;
            match s.values {
                Some(v) => document::read_values(display, v, "/prior_state/values", Source::State)?,
                None => Vec::new(),
            }
        }
        _ => Vec::new(),
    };
    let changes = match top.resource_changes {
        Some(raw) => document::read_changes(display, raw)?,
        None => document::Changes {
            after: Vec::new(),
            before: Vec::new(),
            notes: Vec::new(),
            actions: HashMap::new(),
        },
    };
    for (pointer, message) in changes.notes {
        notes.push(Note {
            location: Location::file(display).with_pointer(pointer),
            message,
        });
    }
    let planned = match top.planned_values {
        Some(raw) => document::read_values(display, raw, "/planned_values", Source::Planned)?,
        None => Vec::new(),
    };

    // The estate after the change: changes, then planned values they lack, then data sources
    // read during planning.
    let prior_addresses: HashSet<String> =
        prior_entries.iter().map(|e| e.address.clone()).collect();
    let mut seen: HashSet<String> = HashSet::new();
    let mut after: Vec<Entry> = Vec::new();
    for e in changes.after {
        if seen.insert(e.address.clone()) {
            after.push(e);
        }
    }
    for mut e in planned {
        if seen.insert(e.address.clone()) {
            if !e.addr.data && !prior_addresses.contains(&e.address) {
                e.change = Change::Create;
            }
            after.push(e);
        }
    }
    for e in &prior_entries {
        if e.addr.data && seen.insert(e.address.clone()) {
            after.push(Entry {
                address: e.address.clone(),
                addr: e.addr.clone(),
                type_name: e.type_name.clone(),
                pointer: e.pointer.clone(),
                values_pointer: e.values_pointer.clone(),
                change: Change::Read,
                values: e.values,
                unknown: None,
                source: Source::State,
            });
        }
    }
    // `before` values of objects the prior state does not hold (plans without prior state).
    let mut prior_seen = prior_addresses;
    for e in changes.before {
        if prior_seen.insert(e.address.clone()) {
            prior_entries.push(e);
        }
    }

    for e in &after {
        config.instances.add(&e.addr, &e.address);
    }

    let mut builds: HashMap<String, DocBuild> = HashMap::new();
    let mut resources = Vec::with_capacity(after.len());
    for e in &after {
        map_entry(display, e, &config, true, &mut builds, &mut resources)?;
    }
    let docs = policy::finish_all(builds);
    for r in &mut resources {
        fill_documents(r, &docs);
    }

    let mut prior_builds: HashMap<String, DocBuild> = HashMap::new();
    let mut prior = Vec::with_capacity(prior_entries.len());
    for e in &prior_entries {
        // Prior objects carry what the plan does to them (`delete`, `update`, `no-op`).
        let change = if e.addr.data {
            Change::Read
        } else {
            changes
                .actions
                .get(&e.address)
                .copied()
                .unwrap_or(Change::NoOp)
        };
        let state = Entry {
            source: Source::State,
            unknown: None,
            change,
            ..clone_entry(e)
        };
        map_entry(
            display,
            &state,
            &config,
            false,
            &mut prior_builds,
            &mut prior,
        )?;
    }
    let prior_docs = policy::finish_all(prior_builds);
    for r in &mut prior {
        fill_documents(r, &prior_docs);
    }

    let mut by_id: Vec<&Resource> = resources.iter().chain(prior.iter()).collect();
    by_id.sort_by(|a, b| a.id.cmp(&b.id));
    let account_id = facts::account_id(&by_id);
    let region = facts::region(&config, &by_id);

    Ok(Parsed {
        resources,
        prior,
        notes,
        account_id,
        region,
        suppressions: Vec::new(),
    })
}

fn clone_entry<'a>(e: &Entry<'a>) -> Entry<'a> {
    Entry {
        address: e.address.clone(),
        addr: e.addr.clone(),
        type_name: e.type_name.clone(),
        pointer: e.pointer.clone(),
        values_pointer: e.values_pointer.clone(),
        change: e.change,
        values: e.values,
        unknown: e.unknown,
        source: e.source,
    }
}

fn check_format(display: &str, top: &RawPlan, notes: &mut Vec<Note>) -> Result<(), InputError> {
    let is_plan = top.planned_values.is_some()
        || top.resource_changes.is_some()
        || top.prior_state.is_some()
        || top.configuration.is_some();
    if !is_plan {
        let message = if top.values.is_some() {
            "is a Terraform state (`terraform show -json` without a plan file), not a plan; \
             run `terraform plan -out plan.out` and `terraform show -json plan.out`"
        } else {
            "is not a Terraform plan: expected `format_version` with `planned_values` or \
             `resource_changes` (from `terraform show -json plan.out`)"
        };
        return Err(error_at(display, "", message));
    }
    if let Some(raw) = top.format_version {
        let v: String = typed(display, raw, "/format_version", "a version string")?;
        let major = v.split('.').next().and_then(|m| m.parse::<u32>().ok());
        if major.is_none_or(|m| m > 1) {
            notes.push(Note {
                location: Location::file(display).with_pointer("/format_version"),
                message: format!(
                    "plan format_version {v} is newer than the versions keyreach knows (0.1 to 1.x); \
                     read as 1.x"
                ),
            });
        }
    }
    Ok(())
}

/// Maps one resource instance, appending to `out` (several resources for the exclusive
/// policy-attachment types).
fn map_entry(
    display: &str,
    e: &Entry,
    config: &ConfigIndex,
    with_config: bool,
    builds: &mut HashMap<String, DocBuild>,
    out: &mut Vec<Resource>,
) -> Result<(), InputError> {
    let values: Option<Value> = match e.values {
        Some(raw) => Some(owned(
            display,
            raw,
            &e.values_pointer,
            "an object of attribute values",
        )?),
        None => None,
    };
    let unknown: Option<Value> = match e.unknown {
        Some(raw) => Some(owned(
            display,
            raw,
            &format!("{}/change/after_unknown", e.pointer),
            "unknown marks",
        )?),
        None => None,
    };
    let resource_config = if with_config {
        config.resource(&e.addr.module, &e.addr.config_address())
    } else {
        None
    };
    let scope = Scope {
        display,
        config,
        module: &e.addr.module,
        key: e.addr.key.as_ref(),
    };
    let attrs = match e.source {
        Source::Change => Attrs::resource(
            values.as_ref(),
            &e.values_pointer,
            unknown.as_ref(),
            true,
            resource_config,
            scope,
        )?,
        Source::Planned => Attrs::resource(
            values.as_ref(),
            &e.values_pointer,
            None,
            false,
            resource_config,
            scope,
        )?,
        Source::State => Attrs::state(values.as_ref(), &e.values_pointer, scope)?,
    };
    let tags = facts::tags(&attrs, config, resource_config)?;
    let location = Location::file(display).with_pointer(e.pointer.clone());
    let make = |id: String, kind: Kind| Resource {
        id,
        type_name: e.type_name.clone(),
        display_name: None,
        location: location.clone(),
        change: e.change,
        tags: tags.clone(),
        kind,
    };
    if e.addr.data {
        let kind = if e.type_name == "aws_iam_policy_document" {
            match policy::policy_document(&attrs)? {
                Ok(doc) => Kind::PolicyDocument(crate::model::PolicyDocumentSource {
                    document: Val::Known(doc),
                }),
                Err(build) => {
                    builds.insert(e.address.clone(), build);
                    Kind::PolicyDocument(crate::model::PolicyDocumentSource {
                        document: Val::Unknown,
                    })
                }
            }
        } else {
            iam::map(&e.type_name, true, &attrs)?.unwrap_or(Kind::Other)
        };
        out.push(make(e.address.clone(), kind));
        return Ok(());
    }
    if let Some(parts) = iam::exclusive_attachments(&e.type_name, &attrs)? {
        for (suffix, kind) in parts {
            out.push(make(format!("{}{suffix}", e.address), kind));
        }
        return Ok(());
    }
    let kind = match kms::map(&e.type_name, &attrs)? {
        Some(k) => k,
        None => match iam::map(&e.type_name, false, &attrs)? {
            Some(k) => k,
            None => stores::map(&e.type_name, &attrs)?.unwrap_or(Kind::Other),
        },
    };
    out.push(make(e.address.clone(), kind));
    Ok(())
}

/// Puts rebuilt policy documents in place: the data sources themselves, and unknown
/// policies that reference exactly one of them.
fn fill_documents(r: &mut Resource, docs: &HashMap<String, PolicyDocument>) {
    if let Kind::PolicyDocument(p) = &mut r.kind {
        if let Some(d) = docs.get(&r.id) {
            p.document = Val::Known(d.clone());
        }
        return;
    }
    if docs.is_empty() {
        return;
    }
    for policy in policies_mut(&mut r.kind) {
        policy::substitute(policy, docs);
    }
}

fn policies_mut(kind: &mut Kind) -> Vec<&mut Val<PolicyDocument>> {
    match kind {
        Kind::Key(k) => k.policy.iter_mut().collect(),
        Kind::KeyPolicy(k) => vec![&mut k.policy],
        Kind::Role(r) => r
            .trust_policy
            .iter_mut()
            .chain(r.inline_policies.iter_mut().map(|p| &mut p.document))
            .collect(),
        Kind::User(u) => u
            .inline_policies
            .iter_mut()
            .map(|p| &mut p.document)
            .collect(),
        Kind::Group(g) => g
            .inline_policies
            .iter_mut()
            .map(|p| &mut p.document)
            .collect(),
        Kind::ManagedPolicy(p) => vec![&mut p.document],
        Kind::InlinePolicy(p) => vec![&mut p.document],
        Kind::OrgPolicy(p) => vec![&mut p.document],
        Kind::Alias(_)
        | Kind::Grant(_)
        | Kind::PolicyAttachment(_)
        | Kind::GroupMembership(_)
        | Kind::InstanceProfile(_)
        | Kind::OrgPolicyAttachment(_)
        | Kind::IdentityProvider(_)
        | Kind::PolicyDocument(_)
        | Kind::DataStore(_)
        | Kind::StoreEncryption(_)
        | Kind::CallerIdentity(_)
        | Kind::Other => Vec::new(),
    }
}
