//! The single-pass read: one typed deserialization of the whole document, borrowing each
//! resource's values as raw JSON.

use super::{
    change_entry, error_at, value_entry, Changes, Entry, RawChange, RawResource, Sections, Source,
    MAX_MODULE_DEPTH,
};
use crate::error::InputError;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

#[derive(Deserialize)]
struct FastPlan<'a> {
    #[serde(borrow)]
    format_version: Option<Cow<'a, str>>,
    #[serde(borrow)]
    planned_values: Option<FastValues<'a>>,
    #[serde(borrow)]
    resource_changes: Option<Vec<FastChange<'a>>>,
    #[serde(borrow)]
    prior_state: Option<FastState<'a>>,
    #[serde(borrow)]
    configuration: Option<&'a RawValue>,
    #[serde(borrow)]
    values: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct FastState<'a> {
    #[serde(borrow)]
    values: Option<FastValues<'a>>,
}

#[derive(Deserialize)]
struct FastValues<'a> {
    #[serde(borrow)]
    root_module: Option<FastModule<'a>>,
}

#[derive(Deserialize)]
struct FastModule<'a> {
    #[serde(borrow)]
    address: Option<Cow<'a, str>>,
    #[serde(borrow)]
    resources: Option<Vec<RawResource<'a>>>,
    #[serde(borrow)]
    child_modules: Option<Vec<FastModule<'a>>>,
}

#[derive(Deserialize)]
struct FastChange<'a> {
    #[serde(borrow)]
    address: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type")]
    type_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    deposed: Option<&'a RawValue>,
    #[serde(borrow)]
    change: Option<RawChange<'a>>,
}

/// The single-pass read. `Err` is a shape error without a pointer (the precise path then
/// finds it); `Ok(Err)` is an error the conversion found, with its pointer.
pub(super) fn read<'a>(
    display: &str,
    text: &'a str,
) -> Result<Result<Sections<'a>, InputError>, serde_json::Error> {
    let top: FastPlan = serde_json::from_str(text)?;
    Ok(convert_fast(display, top))
}

fn convert_fast<'a>(display: &str, top: FastPlan<'a>) -> Result<Sections<'a>, InputError> {
    let is_plan = top.planned_values.is_some()
        || top.resource_changes.is_some()
        || top.prior_state.is_some()
        || top.configuration.is_some();
    let mut prior = Vec::new();
    if let Some(root) = top
        .prior_state
        .and_then(|s| s.values)
        .and_then(|v| v.root_module)
    {
        fast_module(
            display,
            root,
            "/prior_state/values/root_module",
            Source::State,
            0,
            &mut prior,
        )?;
    }
    let mut changes = Changes::new();
    for (i, rc) in top.resource_changes.into_iter().flatten().enumerate() {
        change_entry(
            display,
            i,
            rc.address,
            rc.type_name,
            rc.deposed.is_some(),
            rc.change,
            &mut changes,
        )?;
    }
    let mut planned = Vec::new();
    if let Some(root) = top.planned_values.and_then(|v| v.root_module) {
        fast_module(
            display,
            root,
            "/planned_values/root_module",
            Source::Planned,
            0,
            &mut planned,
        )?;
    }
    Ok(Sections {
        format_version: top.format_version.map(Cow::into_owned),
        configuration: top.configuration,
        is_plan,
        is_state: top.values.is_some(),
        prior,
        changes,
        planned,
    })
}

fn fast_module<'a>(
    display: &str,
    m: FastModule<'a>,
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
    for (i, r) in m.resources.into_iter().flatten().enumerate() {
        value_entry(
            display,
            format!("{pointer}/resources/{i}"),
            r,
            m.address.as_deref(),
            source,
            out,
        )?;
    }
    for (i, c) in m.child_modules.into_iter().flatten().enumerate() {
        fast_module(
            display,
            c,
            &format!("{pointer}/child_modules/{i}"),
            source,
            depth + 1,
            out,
        )?;
    }
    Ok(())
}
