//! Terraform source (`.tf`, `.tf.json`) directories, read into the shared resource model.
//!
//! A directory is one root module: its variables (defaults, `terraform.tfvars`,
//! `*.auto.tfvars`, `--var-file`, `--var`), locals, resources and data sources with `count` and
//! `for_each` expanded into Terraform's own addresses, and the local modules it calls,
//! recursively. Modules from a registry or git are not fetched; what flows through them is
//! unknown and a note says so.
//!
//! The stages, one module each: [`loader`] reads files and the module tree; [`native`] and
//! [`json`] turn both syntaxes into one small [`syntax`] tree; [`eval`], [`refs`],
//! [`functions`], [`types`] and [`computed`] evaluate it over [`value::Value`]s that may be
//! unknown (carrying references to the resources they come from); [`policy`] builds policy
//! documents; [`mapping`] turns an evaluated attribute map into a model [`crate::model::Kind`];
//! [`build`] walks the instances; [`fill`] lets source fill what a plan leaves unknown.
//!
//! Evaluation runs on a thread with a large stack: expressions are bounded in depth by the
//! parser and lazy references by a hop limit, and the big stack makes those bounds safe on any
//! platform's default stack size.

pub(crate) mod build;
pub(crate) mod computed;
pub(crate) mod eval;
pub(crate) mod fill;
pub(crate) mod functions;
pub(crate) mod instances;
pub(crate) mod json;
pub(crate) mod loader;
pub(crate) mod mapping;
pub(crate) mod native;
pub(crate) mod policy;
pub(crate) mod refs;
pub(crate) mod syntax;
pub(crate) mod types;
pub mod value;

use super::LoadOptions;
use crate::error::InputError;
use crate::model::{Location, Note, Parsed};
use eval::{Evaluator, Facts};
use std::path::{Path, PathBuf};
use value::{Pos, Value};

pub use fill::fill_plan_from_source;

/// Stack size of the evaluation thread.
const STACK_BYTES: usize = 256 * 1024 * 1024;

/// Reads a directory of Terraform source as one root module.
///
/// # Errors
/// Syntax errors, with file, line and column; unreadable files.
pub fn parse_dir(dir: &Path, display: &str, opts: &LoadOptions) -> Result<Parsed, Vec<InputError>> {
    let (dir, display, opts) = (dir.to_path_buf(), display.to_owned(), opts.clone());
    on_big_stack(&display.clone(), move || parse(&dir, &display, None, &opts))
}

/// Reads a single `.tf` file given on the command line (its directory's other files are not
/// read; local modules it calls are).
///
/// # Errors
/// Syntax errors, with file, line and column.
pub fn parse_file(
    path: &Path,
    display: &str,
    _text: &str,
    opts: &LoadOptions,
) -> Result<Parsed, Vec<InputError>> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let Some(name) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
        return Err(vec![InputError::new(display, "not a file name")]);
    };
    let dir_display = match Path::new(display).parent() {
        Some(p) if !p.as_os_str().is_empty() => p.display().to_string(),
        _ => ".".to_owned(),
    };
    let (display, opts) = (display.to_owned(), opts.clone());
    on_big_stack(&display.clone(), move || {
        parse(&dir, &dir_display, Some((&name, &display)), &opts)
    })
}

/// What a parse leaves behind: the evaluator's memo and syntax trees, freed after the result
/// is handed back.
type Leftovers = Option<Box<dyn std::any::Any>>;

/// Runs `f` on a thread with a large stack. The result is sent back as soon as it exists; the
/// thread then frees the evaluation's memory on its own, off the caller's critical path (a
/// large source tree leaves hundreds of thousands of small allocations).
fn on_big_stack(
    display: &str,
    f: impl FnOnce() -> (Result<Parsed, Vec<InputError>>, Leftovers) + Send + 'static,
) -> Result<Parsed, Vec<InputError>> {
    let (tx, rx) = std::sync::mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("keyreach-hcl".into())
        .stack_size(STACK_BYTES)
        .spawn(move || {
            let (result, leftovers) = f();
            let _ = tx.send(result);
            drop(leftovers);
        });
    match spawned {
        Ok(_detached) => rx.recv().unwrap_or_else(|_| {
            Err(vec![InputError::new(
                display,
                "internal error while reading Terraform source (please report this input)",
            )])
        }),
        Err(e) => Err(vec![InputError::new(
            display,
            format!("cannot start the Terraform source reader: {e}"),
        )]),
    }
}

fn parse(
    dir: &Path,
    display: &str,
    only: Option<(&str, &str)>,
    opts: &LoadOptions,
) -> (Result<Parsed, Vec<InputError>>, Leftovers) {
    value::reset_work();
    let loaded = loader::load(dir, display, only, opts);
    if !loaded.errors.is_empty() {
        let mut errors = loaded.errors;
        errors.sort();
        errors.dedup();
        return (Err(errors), None);
    }
    let facts = facts(opts);
    let mut ev = Evaluator::new(
        loaded.files,
        loaded.defs,
        loaded.root,
        loaded.root_inputs,
        facts,
    );
    ev.notes.extend(loaded.notes);
    // A provider pinned to one account (`allowed_account_ids`) names the deploying account when
    // the command line does not.
    let provider = ev.provider_config(0, "aws");
    let pinned = match provider.get("allowed_account_ids") {
        Some(Value::List(ids)) if ids.len() == 1 => ids[0].to_text().ok().flatten(),
        _ => None,
    };
    let given = opts
        .account_id
        .clone()
        .filter(|a| a != crate::analysis::principals::DEPLOYING_ACCOUNT);
    if given.is_none() {
        if let Some(a) = &pinned {
            ev.facts.account_id = Some(a.clone());
        }
    }
    let built = build::build(&mut ev);
    let root_location = |pos: Pos| -> Location {
        if pos == Pos::default() {
            Location::file(display)
        } else {
            ev.files.location(pos)
        }
    };
    let mut notes: Vec<Note> = ev
        .notes
        .iter()
        .map(|(pos, message)| Note {
            location: root_location(*pos),
            message: message.clone(),
        })
        .collect();
    notes.extend(
        built
            .notes
            .into_iter()
            .map(|(location, message)| Note { location, message }),
    );
    let region = match provider.get("region") {
        Some(Value::String(r)) => Some(r.clone()),
        _ => opts.region.clone(),
    };
    // The engine's placeholder for an unknown account is not an account the input reveals.
    let account_id = given.or(pinned);
    let mut resources = built.resources;
    resources.sort_by(|a, b| a.id.cmp(&b.id));
    notes.sort();
    notes.dedup();
    let parsed = Parsed {
        resources,
        prior: Vec::new(),
        notes,
        account_id,
        region,
        suppressions: built.suppressions,
    };
    (Ok(parsed), Some(Box::new(ev)))
}

fn facts(opts: &LoadOptions) -> Facts {
    let region = opts.region.clone();
    let (partition, dns_suffix) = match region.as_deref() {
        Some(r) if r.starts_with("cn-") => ("aws-cn", "amazonaws.com.cn"),
        Some(r) if r.starts_with("us-gov-") => ("aws-us-gov", "amazonaws.com"),
        Some(r) if r.starts_with("us-iso-") => ("aws-iso", "c2s.ic.gov"),
        Some(r) if r.starts_with("us-isob-") => ("aws-iso-b", "sc2s.sgov.gov"),
        _ => ("aws", "amazonaws.com"),
    };
    Facts {
        account_id: opts.account_id.clone(),
        region,
        partition: partition.to_owned(),
        dns_suffix: dns_suffix.to_owned(),
    }
}

#[cfg(test)]
mod tests;
