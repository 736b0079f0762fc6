//! Terraform plan JSON (`terraform show -json plan.out`), format versions 0.1 to 1.x
//! (Terraform 0.12 to 1.x).
//!
//! The estate after the change is built from `resource_changes` (every managed resource and
//! every data source whose read is deferred to apply), completed by `planned_values` and by
//! the data sources read during planning (`prior_state`, mode `data`). Deleted (and
//! `forget`) objects exist only in the prior estate, which is `prior_state` (plus `before`
//! values the prior state lacks); deposed objects left by an interrupted
//! create-before-destroy are skipped. Ids are the addresses exactly as the plan prints them;
//! locations are JSON pointers to the resource object (the resource change where there is
//! one).
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
use document::{error_at, owned, Entry, Source};
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
    let sections = document::read(display, text)?;
    let mut notes = Vec::new();
    check_format(display, &sections, &mut notes)?;

    let config_value: Option<Value> = match sections.configuration {
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
    let mut prior_entries = sections.prior;
    let changes = sections.changes;
    for (pointer, message) in changes.notes {
        notes.push(Note {
            location: Location::file(display).with_pointer(pointer),
            message,
        });
    }
    let planned = sections.planned;

    // The estate after the change: changes, then planned values they lack, then data sources
    // read during planning. Membership is decided on borrowed addresses first, then the
    // entries are moved.
    let (keep_changes, keep_planned, keep_data, before_needed) = {
        let prior_set: HashSet<&str> = prior_entries.iter().map(|e| e.address.as_str()).collect();
        let mut seen: HashSet<&str> = HashSet::with_capacity(changes.after.len());
        let keep_changes: Vec<bool> = changes
            .after
            .iter()
            .map(|e| seen.insert(e.address.as_str()))
            .collect();
        let keep_planned: Vec<Option<bool>> = planned
            .iter()
            .map(|e| {
                let deleted = changes.actions.get(&e.address) == Some(&Change::Delete);
                (!deleted && seen.insert(e.address.as_str()))
                    .then(|| !e.addr.data && !prior_set.contains(e.address.as_str()))
            })
            .collect();
        let keep_data: Vec<bool> = prior_entries
            .iter()
            .map(|e| e.addr.data && seen.insert(e.address.as_str()))
            .collect();
        // `before` values of objects the prior state does not hold (plans without it).
        let mut before_needed: Vec<Entry> = Vec::new();
        let mut prior_seen = prior_set;
        for (e, keep) in changes.after.iter().zip(&keep_changes) {
            if *keep && e.before.is_some() && prior_seen.insert(e.address.as_str()) {
                before_needed.push(Entry {
                    values_pointer: format!("{}/change/before", e.pointer),
                    values: e.before,
                    unknown: None,
                    before: None,
                    source: Source::State,
                    ..clone_entry(e)
                });
            }
        }
        for e in &changes.before {
            if prior_seen.insert(e.address.as_str()) {
                before_needed.push(clone_entry(e));
            }
        }
        (keep_changes, keep_planned, keep_data, before_needed)
    };
    let mut after: Vec<Entry> =
        Vec::with_capacity(changes.after.len() + keep_data.iter().filter(|k| **k).count());
    after.extend(
        changes
            .after
            .into_iter()
            .zip(keep_changes)
            .filter_map(|(e, keep)| keep.then_some(e)),
    );
    for (mut e, keep) in planned.into_iter().zip(keep_planned) {
        if let Some(created) = keep {
            if created {
                e.change = Change::Create;
            }
            after.push(e);
        }
    }
    for (e, keep) in prior_entries.iter().zip(&keep_data) {
        if *keep {
            after.push(Entry {
                change: Change::Read,
                ..clone_entry(e)
            });
        }
    }
    prior_entries.extend(before_needed);

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
    // Objects the plan leaves alone (`no-op`, data sources read during planning) are the
    // same before and after: reuse the mapped resource instead of reading the values again.
    let unchanged: HashMap<&str, &Resource> = resources
        .iter()
        .filter(|r| matches!(r.change, Change::NoOp | Change::Read))
        .map(|r| (r.id.as_str(), r))
        .collect();
    for e in &prior_entries {
        if let Some(r) = unchanged.get(e.address.as_str()) {
            let mut same = (*r).clone();
            let from = format!("{}/", values_pointer(&same.location));
            let to = format!("{}/", e.values_pointer);
            relocate(&mut same.kind, &from, &to);
            same.location = Location::file(display).with_pointer(e.pointer.clone());
            prior.push(same);
            continue;
        }
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
        before: e.before,
        source: e.source,
    }
}

fn check_format(
    display: &str,
    sections: &document::Sections,
    notes: &mut Vec<Note>,
) -> Result<(), InputError> {
    if !sections.is_plan {
        let message = if sections.is_state {
            "is a Terraform state (`terraform show -json` without a plan file), not a plan; \
             run `terraform plan -out plan.out` and `terraform show -json plan.out`"
        } else {
            "is not a Terraform plan: expected `format_version` with `planned_values` or \
             `resource_changes` (from `terraform show -json plan.out`)"
        };
        return Err(error_at(display, "", message));
    }
    if let Some(v) = &sections.format_version {
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
        // Nothing unknown (every no-op change): no marks to read.
        Some(raw) if raw.get() == "{}" => None,
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
        from_source: Vec::new(),
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

/// The pointer of the values object of a resource located at a resource change or a values
/// representation.
fn values_pointer(location: &Location) -> String {
    let p = location.pointer.as_deref().unwrap_or_default();
    if p.starts_with("/resource_changes/") {
        format!("{p}/change/after")
    } else {
        format!("{p}/values")
    }
}

/// Moves the statement locations of a copied resource from one values object to another.
fn relocate(kind: &mut Kind, from: &str, to: &str) {
    let fix = |l: &mut Location| {
        if let Some(rest) = l.pointer.as_deref().and_then(|p| p.strip_prefix(from)) {
            l.pointer = Some(format!("{to}{rest}"));
        }
    };
    if let Kind::Role(r) = kind {
        for p in &mut r.inline_policies {
            if let Some(l) = &mut p.location {
                fix(l);
            }
        }
    }
    for policy in policies_mut(kind) {
        if let Val::Known(doc) = policy {
            for s in &mut doc.statements {
                if let Some(l) = &mut s.location {
                    fix(l);
                }
            }
        }
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
