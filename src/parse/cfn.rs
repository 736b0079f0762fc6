//! CloudFormation templates (JSON and YAML; SAM and CDK output) -> the shared resource model.
//!
//! All templates of one command line are read as one estate, in five steps:
//! 1. [`load`] parses each file (YAML short-form tags into long forms, merge keys, bounded
//!    aliases and depth) and [`position`] maps JSON pointers to lines; [`foreach`] expands
//!    `Fn::ForEach` loops and [`sam`] the serverless types into what the SAM translator
//!    generates.
//! 2. [`stacks`] makes stack instances: top-level templates, and templates nested through an
//!    `AWS::CloudFormation::Stack` whose `TemplateURL` names another given file.
//! 3. Instances under a `Stack` resource whose condition is false are left out, then ids are
//!    assigned: the plain logical id, or `Stack/LogicalId` when several instances declare the
//!    same logical id ([`stacks`] has the naming rules).
//! 4. [`resolve`] evaluates intrinsics against [`params`], [`conditions`], [`attrs`] and the
//!    exports of the other templates; what the input does not decide is unknown, never guessed.
//! 5. [`resources`] and [`stores`] map each resource to a [`Kind`](crate::model::Kind); policy
//!    documents go through [`policy`]; [`suppress`] reads `Metadata.keyreach.ignore`.
//!
//! Resources whose `Condition` is false are left out; an undecided condition keeps them (see
//! [`conditions`]). Every resource carries the line where it starts and the pointer
//! `/Resources/<LogicalId>`; policy statements carry their own line. CDK's `aws:cdk:path`
//! metadata becomes the display name (without the trailing `/Resource`). Malformed input is an
//! [`InputError`] with file and line; the rest of that template and every other input is still
//! analysed.

mod attrs;
mod conditions;
mod dynref;
mod fasthash;
mod foreach;
mod intrinsics;
mod load;
mod params;
mod policy;
pub(crate) mod position;
mod resolve;
mod resources;
mod rval;
mod sam;
mod stacks;
mod stores;
mod suppress;

use super::{LoadOptions, SourceFile};
use crate::error::{pointer_token, InputError};
use crate::model::{Location, Note, Parsed, Resource, Tags, Val};
use position::PosIndex;
use resolve::{Ctx, Truth};
use resources::ResCtx;
use rval::RVal;
use serde_json::Value;
use stacks::Template;
use std::collections::BTreeMap;
use std::path::Path;

/// Parses every template given on the command line as one estate (cross-stack imports,
/// nested stacks).
#[must_use]
pub fn parse_all(files: &[SourceFile], opts: &LoadOptions) -> (Parsed, Vec<InputError>) {
    let mut errors: Vec<InputError> = Vec::new();
    let mut notes: Vec<Note> = Vec::new();
    let cli = params::cli_parameters(opts, &mut errors);

    let mut templates = Vec::new();
    for f in files {
        match load_template(f, &cli, &mut errors, &mut notes) {
            Some(t) => templates.push(t),
            None => continue,
        }
    }

    let mut instances = stacks::build_instances(&templates, &mut errors);
    stacks::name_instances(&templates, &mut instances);
    let enabled: Vec<bool> = {
        let ctx = Ctx::new(&templates, &instances, opts, &cli);
        let mut en = vec![true; instances.len()];
        for i in 0..instances.len() {
            if let Some((p, stack)) = &instances[i].parent {
                en[i] = en[*p] && ctx.resource_condition(*p, stack) != Truth::False;
            }
        }
        en
    };
    for (inst, on) in instances.iter_mut().zip(enabled) {
        inst.enabled = on;
    }

    let ids = stacks::assign_ids(&templates, &instances);
    let ctx = {
        let mut c = Ctx::new(&templates, &instances, opts, &cli);
        c.ids = Some(&ids);
        c
    };
    let mut parsed = Parsed::default();
    map_all(&ctx, &mut parsed, &mut errors, &mut notes);
    for key in cli.keys() {
        let declared = instances.iter().any(|i| {
            i.parent.is_none()
                && templates[i.template]
                    .root
                    .get("Parameters")
                    .and_then(|p| p.get(key))
                    .is_some()
        });
        if !declared && !templates.is_empty() {
            notes.push(Note {
                location: Location::file("--parameter"),
                message: format!("parameter `{key}` is declared by no template given"),
            });
        }
    }
    let (errs, nts) = ctx.take_messages();
    // Freeing the template trees and caches of a large input takes a visible share of the run:
    // a process that exits next leaves them to the exit; otherwise they are freed on another
    // thread while the caller goes on.
    let caches = ctx.into_caches();
    drop(instances);
    drop(ids);
    if opts.exits_after {
        std::mem::forget((templates, caches));
    } else if files.iter().map(|f| f.text.len()).sum::<usize>() > 1 << 20 {
        let _ = std::thread::Builder::new()
            .name("keyreach-free".into())
            .spawn(move || drop((templates, caches)));
    }
    errors.extend(errs);
    notes.extend(nts);
    notes.sort();
    notes.dedup();
    errors.sort();
    errors.dedup();
    parsed.notes = notes;
    (parsed, errors)
}

/// A YAML template rendered as its JSON form (short-form tags in their long forms), as the
/// benchmark uses to compare both syntaxes. `None` when the YAML is malformed.
#[must_use]
pub fn yaml_to_json(text: &str) -> Option<String> {
    let v = load::parse_yaml("<yaml>", text).ok()?;
    serde_json::to_string_pretty(&v).ok()
}

/// Start of the note for a repeated YAML mapping key (rule KR020 reads it for keys inside
/// policy documents).
pub const DUPLICATE_KEY_NOTE: &str = "duplicate key";

/// One note per repeated mapping key: CloudFormation accepts the template and uses the last
/// value (`aws cloudformation validate-template` accepts it; the stack gets the last value).
fn duplicate_key_notes(f: &SourceFile, notes: &mut Vec<Note>) {
    for (pointer, line) in PosIndex::duplicate_keys(&f.text) {
        let key = pointer.rsplit('/').next().unwrap_or("").to_owned();
        notes.push(Note {
            location: Location {
                file: f.display.clone(),
                line: Some(line),
                column: None,
                pointer: Some(pointer),
            },
            message: format!(
                "{DUPLICATE_KEY_NOTE} `{}`: CloudFormation accepts the template and uses the \
                 last value; earlier values are ignored",
                key.replace("~1", "/").replace("~0", "~")
            ),
        });
    }
}

fn load_template(
    f: &SourceFile,
    cli: &BTreeMap<String, String>,
    errors: &mut Vec<InputError>,
    notes: &mut Vec<Note>,
) -> Option<Template> {
    if let Err(e) = crate::parse::depth::check(&f.display, &f.text) {
        errors.push(e);
        return None;
    }
    // The position index scans the text on its own; build it on the second core while the
    // document is parsed.
    let seen = load::DUPLICATES_SEEN.load(std::sync::atomic::Ordering::Relaxed);
    let (parsed, index) = std::thread::scope(|scope| {
        let index = scope.spawn(|| PosIndex::build(&f.text));
        let parsed = load::parse_text(&f.display, &f.text);
        (parsed, index.join())
    });
    if parsed.is_ok() && load::DUPLICATES_SEEN.load(std::sync::atomic::Ordering::Relaxed) != seen {
        duplicate_key_notes(f, notes);
    }
    let mut root = match parsed {
        Ok(v) => v,
        Err(e) => {
            errors.push(e);
            return None;
        }
    };
    let index = match index {
        Ok(i) => i,
        Err(_) => PosIndex::build(&f.text),
    };
    if !root.is_object() {
        errors.push(InputError::new(
            &f.display,
            "a CloudFormation template must be a mapping with a `Resources` section",
        ));
        return None;
    }
    match root.get("Resources") {
        Some(Value::Object(_)) => {}
        Some(_) => errors.push(position::error_at(
            &f.display,
            &index,
            "/Resources",
            "`Resources` must be a mapping of logical ids to resources".to_owned(),
        )),
        None => errors.push(InputError::new(
            &f.display,
            "the template has no `Resources` section",
        )),
    }
    let serverless_types = root
        .get("Resources")
        .and_then(Value::as_object)
        .is_some_and(|r| {
            r.values().any(|v| {
                v.get("Type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.starts_with("AWS::Serverless::"))
            })
        });
    let mut pointer_alias = BTreeMap::new();
    if foreach::has_loops(&root) {
        let x = foreach::expand(&mut root, cli);
        if !x.errors.is_empty() {
            let full = PosIndex::build_full(&f.text);
            for (p, m) in x.errors {
                errors.push(position::error_at(&f.display, &full, &p, m));
            }
        }
        pointer_alias.extend(x.pointer_alias);
    }
    if sam::uses_sam(&root) || serverless_types {
        let x = sam::expand(&mut root);
        if !x.errors.is_empty() {
            let full = PosIndex::build_full(&f.text);
            for (p, m) in x.errors {
                errors.push(position::error_at(&f.display, &full, &p, m));
            }
        }
        for (p, m) in x.notes {
            notes.push(Note {
                location: Location {
                    file: f.display.clone(),
                    line: index.line(&p),
                    column: None,
                    pointer: Some(p),
                },
                message: m,
            });
        }
        pointer_alias.extend(x.pointer_alias);
    }
    transform_notes(&f.display, &root, notes);
    let file_name = Path::new(&f.display)
        .file_name()
        .map_or_else(|| f.display.clone(), |n| n.to_string_lossy().into_owned());
    Some(Template {
        display: f.display.clone(),
        stem: stacks::stem_of(&file_name),
        file_name,
        root,
        index,
        text: f.text.clone(),
        full_index: std::sync::OnceLock::new(),
        pointer_alias,
    })
}

fn transform_notes(display: &str, root: &Value, notes: &mut Vec<Note>) {
    let names: Vec<String> = match root.get("Transform") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| match t {
                Value::String(s) => s.clone(),
                other => other
                    .get("Name")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
                    .to_owned(),
            })
            .collect(),
        Some(Value::Object(m)) => vec![m
            .get("Name")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_owned()],
        _ => Vec::new(),
    };
    for n in names {
        if n == sam::SAM_TRANSFORM || n == "AWS::LanguageExtensions" {
            continue;
        }
        notes.push(Note {
            location: Location {
                file: display.to_owned(),
                line: None,
                column: None,
                pointer: Some("/Transform".to_owned()),
            },
            message: format!(
                "transform `{n}` runs at deploy time; keyreach analyses the template as written"
            ),
        });
    }
}

/// Resources per piece of work when mapping a large estate on several threads. The pieces do
/// not depend on the number of cores, so neither does the result.
const MAP_PIECE: usize = 256;

/// Maps every resource of every enabled instance, in order. A large estate is cut into pieces
/// of [`MAP_PIECE`] resources, each mapped with a resolver of its own on a pool of threads;
/// their resources are put back in order and their messages merged.
fn map_all(
    ctx: &Ctx<'_>,
    parsed: &mut Parsed,
    errors: &mut Vec<InputError>,
    notes: &mut Vec<Note>,
) {
    let mut work: Vec<(usize, &str, &Value)> = Vec::new();
    for (inst, instance) in ctx.instances.iter().enumerate() {
        if !instance.enabled {
            continue;
        }
        if let Some(resources) = ctx.template(inst).resources() {
            work.extend(resources.iter().map(|(l, raw)| (inst, l.as_str(), raw)));
        }
    }
    let pieces: Vec<&[(usize, &str, &Value)]> = work.chunks(MAP_PIECE).collect();
    if pieces.len() < 2 {
        for &(inst, logical, raw) in &work {
            map_resource(ctx, inst, logical, raw, parsed);
        }
        return;
    }
    // The resolver caches are not shared: each piece gets a resolver over the same input.
    let (templates, instances, opts, cli, ids) = (
        ctx.templates,
        ctx.instances,
        ctx.opts,
        ctx.cli_params,
        ctx.ids,
    );
    let done = crate::par::map(&pieces, crate::par::threads_for(pieces.len()), |piece| {
        let mut own = Ctx::new(templates, instances, opts, cli);
        own.ids = ids;
        let mut out = Parsed::default();
        for &(inst, logical, raw) in *piece {
            map_resource(&own, inst, logical, raw, &mut out);
        }
        let (errs, nts) = own.take_messages();
        // `own` and its resolved values go here, so the next pieces reuse their memory.
        (out, errs, nts)
    });
    for (out, errs, nts) in done {
        parsed.resources.extend(out.resources);
        parsed.suppressions.extend(out.suppressions);
        errors.extend(errs);
        notes.extend(nts);
    }
}

fn map_resource(ctx: &Ctx, inst: usize, logical: &str, raw: &Value, parsed: &mut Parsed) {
    let t = ctx.template(inst);
    {
        let ptr = format!("/Resources/{}", pointer_token(logical));

        let Some(ty) = raw.get("Type").and_then(Value::as_str) else {
            ctx.error(inst, &ptr, "a resource needs a `Type`");
            return;
        };
        match ctx.resource_condition(inst, logical) {
            Truth::False => return,
            Truth::True => {}
            Truth::Unknown => ctx.note(
                inst,
                &ptr,
                format!(
                    "`{logical}` exists only under a condition the input does not decide; it is \
                     analysed as if it exists"
                ),
            ),
        }
        let id = ctx.id_of(inst, logical);
        let rc = ResCtx::new(ctx, inst, logical);
        let kind = resources::kind(&rc, ty);
        if ty == "AWS::CloudFormation::Stack" && ctx.child_of(inst, logical).is_none() {
            ctx.note(
                inst,
                &ptr,
                format!(
                    "nested stack `{logical}`: its template was not given on the command line \
                     (pass it too, matched by file name); its resources are not analysed"
                ),
            );
        }
        let type_name = raw
            .get(sam::SOURCE_TYPE)
            .and_then(Value::as_str)
            .unwrap_or(ty);
        let location = Location {
            file: t.display.clone(),
            line: t.line(&ptr),
            column: None,
            pointer: Some(t.source_pointer(&ptr)),
        };
        let mut r = Resource::new(id.clone(), type_name, location, kind);
        r.tags = tags(&rc);
        r.display_name = raw
            .get("Metadata")
            .and_then(|m| m.get("aws:cdk:path"))
            .and_then(Value::as_str)
            .map(|p| p.strip_suffix("/Resource").unwrap_or(p).to_owned());
        parsed.resources.push(r);
        parsed
            .suppressions
            .extend(ctx.suppressions(inst, logical, &id));
    }
}

/// `Tags` as a list of `{Key, Value}` or a map. Any tag the input does not decide makes the
/// whole set unknown: a domain tag or an `aws:ResourceTag` condition could depend on it.
fn tags(rc: &ResCtx) -> Tags {
    let mut out = BTreeMap::new();
    match rc.get("Tags") {
        None => {}
        Some(RVal::List(items)) => {
            for item in items {
                match (
                    item.get("Key").and_then(RVal::scalar_str),
                    item.get("Value").map(RVal::scalar_str),
                ) {
                    (Some(k), Some(Some(v))) => {
                        out.insert(k, v);
                    }
                    (Some(k), None) => {
                        out.insert(k, String::new());
                    }
                    _ => return Val::Unknown,
                }
            }
        }
        Some(RVal::Map(m)) => {
            for (k, v) in m {
                match v.scalar_str() {
                    Some(v) => {
                        out.insert(k.clone(), v);
                    }
                    None => return Val::Unknown,
                }
            }
        }
        Some(_) => return Val::Unknown,
    }
    Val::Known(out)
}
