//! The section-by-section read: slower (each section is scanned again), used when the
//! single-pass read fails, so the error names the JSON pointer of the offending value.

use super::{
    array, change_entry, error_at, typed, value_entry, Changes, Entry, RawResource, Sections,
    Source, MAX_MODULE_DEPTH,
};
use crate::error::InputError;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// The top level of a plan.
#[derive(Deserialize)]
struct RawPlan<'a> {
    #[serde(borrow)]
    pub(crate) format_version: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) planned_values: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) resource_changes: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) prior_state: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) configuration: Option<&'a RawValue>,
    #[serde(borrow)]
    pub(crate) values: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawChangeEntry<'a> {
    #[serde(borrow)]
    address: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type")]
    type_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    deposed: Option<&'a RawValue>,
    #[serde(borrow)]
    change: Option<&'a RawValue>,
}

/// Reads `resource_changes` item by item (the precise path: every shape error has its
/// pointer).
fn read_changes<'a>(display: &str, raw: &'a RawValue) -> Result<Changes<'a>, InputError> {
    let mut out = Changes::new();
    for (i, item) in array(
        display,
        raw,
        "/resource_changes",
        "an array of resource changes",
    )?
    .into_iter()
    .enumerate()
    {
        let ptr = format!("/resource_changes/{i}");
        let rc: RawChangeEntry = typed(display, item, &ptr, "a resource change object")?;
        let change = match rc.change {
            Some(raw) => Some(typed(
                display,
                raw,
                &format!("{ptr}/change"),
                "a change object with `actions` (a list of strings)",
            )?),
            None => None,
        };
        change_entry(
            display,
            i,
            rc.address,
            rc.type_name,
            rc.deposed.is_some(),
            change,
            &mut out,
        )?;
    }
    Ok(out)
}

#[derive(Deserialize)]
struct RawModule<'a> {
    #[serde(borrow)]
    address: Option<Cow<'a, str>>,
    #[serde(borrow)]
    resources: Option<&'a RawValue>,
    #[serde(borrow)]
    child_modules: Option<&'a RawValue>,
}

/// Reads the resources of a values representation (`planned_values` or
/// `prior_state.values`): `{"root_module": {"resources": [...], "child_modules": [...]}}`.
fn read_values<'a>(
    display: &str,
    raw: &'a RawValue,
    pointer: &str,
    source: Source,
) -> Result<Vec<Entry<'a>>, InputError> {
    #[derive(Deserialize)]
    struct Values<'a> {
        #[serde(borrow)]
        root_module: Option<&'a RawValue>,
    }
    let mut out = Vec::new();
    if raw.get().trim() == "null" {
        return Ok(out);
    }
    let v: Values = typed(display, raw, pointer, "an object with `root_module`")?;
    if let Some(root) = v.root_module {
        read_module(
            display,
            root,
            &format!("{pointer}/root_module"),
            source,
            0,
            &mut out,
        )?;
    }
    Ok(out)
}

fn read_module<'a>(
    display: &str,
    raw: &'a RawValue,
    pointer: &str,
    source: Source,
    depth: usize,
    out: &mut Vec<Entry<'a>>,
) -> Result<(), InputError> {
    if depth > MAX_MODULE_DEPTH {
        return Err(error_at(
            display,
            pointer,
            format!("modules nested deeper than {MAX_MODULE_DEPTH} levels"),
        ));
    }
    if raw.get().trim() == "null" {
        return Ok(());
    }
    let m: RawModule = typed(display, raw, pointer, "a module object")?;
    if let Some(resources) = m.resources {
        let rptr = format!("{pointer}/resources");
        for (i, r) in array(display, resources, &rptr, "an array of resources")?
            .into_iter()
            .enumerate()
        {
            let ptr = format!("{rptr}/{i}");
            let res: RawResource = typed(display, r, &ptr, "a resource object")?;
            value_entry(display, ptr, res, m.address.as_deref(), source, out)?;
        }
    }
    if let Some(children) = m.child_modules {
        let cptr = format!("{pointer}/child_modules");
        for (i, c) in array(display, children, &cptr, "an array of modules")?
            .into_iter()
            .enumerate()
        {
            read_module(display, c, &format!("{cptr}/{i}"), source, depth + 1, out)?;
        }
    }
    Ok(())
}

pub(super) fn read<'a>(display: &str, text: &'a str) -> Result<Sections<'a>, InputError> {
    let top: RawPlan = serde_json::from_str(text).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => error_at(
            display,
            "",
            format!("is not a Terraform plan: the document must be a JSON object ({e})"),
        ),
        _ => InputError::from_json(display, &e),
    })?;
    let format_version = match top.format_version {
        Some(raw) => Some(typed::<String>(
            display,
            raw,
            "/format_version",
            "a version string",
        )?),
        None => None,
    };
    let prior = match top.prior_state {
        Some(raw) if raw.get().trim() != "null" => {
            #[derive(Deserialize)]
            struct State<'a> {
                #[serde(borrow)]
                values: Option<&'a RawValue>,
            }
            let s: State = typed(display, raw, "/prior_state", "a state object with `values`")?;
            match s.values {
                Some(v) => read_values(display, v, "/prior_state/values", Source::State)?,
                None => Vec::new(),
            }
        }
        _ => Vec::new(),
    };
    let changes = match top.resource_changes {
        Some(raw) => read_changes(display, raw)?,
        None => Changes::new(),
    };
    let planned = match top.planned_values {
        Some(raw) => read_values(display, raw, "/planned_values", Source::Planned)?,
        None => Vec::new(),
    };
    Ok(Sections {
        format_version,
        configuration: top.configuration,
        is_plan: top.planned_values.is_some()
            || top.resource_changes.is_some()
            || top.prior_state.is_some()
            || top.configuration.is_some(),
        is_state: top.values.is_some(),
        prior,
        changes,
        planned,
    })
}
