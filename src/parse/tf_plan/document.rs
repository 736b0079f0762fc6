//! Walking the plan document: top-level sections, resource changes, planned values and prior
//! state (root and nested `child_modules` at any depth).
//!
//! The document is read once into borrowed raw sections (`serde_json::value::RawValue`), and
//! each resource's values are parsed into a `serde_json::Value` only while that resource is
//! mapped. Peak memory is then the text plus one resource, not a tree of the whole plan
//! (a 10,000-resource plan is tens of megabytes of JSON). Every shape error carries the JSON
//! pointer of the offending value.

use super::address::Address;
use crate::error::InputError;
use crate::model::Change;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Deepest `child_modules` nesting read.
const MAX_MODULE_DEPTH: usize = 64;

/// The top level of a plan.
#[derive(Deserialize, Default)]
pub(crate) struct RawPlan<'a> {
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

/// Where a resource's values come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Source {
    /// `resource_changes[]`: `after` with `after_unknown`.
    Change,
    /// `planned_values`: unknown values omitted.
    Planned,
    /// `prior_state` (or a change's `before`): complete values.
    State,
}

/// One resource instance found in the document.
pub(crate) struct Entry<'a> {
    /// The address as the plan prints it.
    pub(crate) address: String,
    /// The parsed address.
    pub(crate) addr: Address,
    /// The resource type.
    pub(crate) type_name: String,
    /// Pointer to the resource object.
    pub(crate) pointer: String,
    /// Pointer to its values object.
    pub(crate) values_pointer: String,
    /// The planned action.
    pub(crate) change: Change,
    /// The values (`after`, `values`, `before`).
    pub(crate) values: Option<&'a RawValue>,
    /// `after_unknown`.
    pub(crate) unknown: Option<&'a RawValue>,
    /// Where it came from.
    pub(crate) source: Source,
}

/// An error at a pointer.
pub(crate) fn error_at(display: &str, pointer: &str, message: impl Into<String>) -> InputError {
    InputError::new(display, message).at_pointer(pointer)
}

/// Deserializes a raw section, reporting shape errors at `pointer`.
pub(crate) fn typed<'a, T: Deserialize<'a>>(
    display: &str,
    raw: &'a RawValue,
    pointer: &str,
    what: &str,
) -> Result<T, InputError> {
    serde_json::from_str(raw.get()).map_err(|e| shape_error(display, pointer, what, &e))
}

/// Parses a raw section into an owned value (a `serde_json::Value` or a typed struct).
pub(crate) fn owned<T: DeserializeOwned>(
    display: &str,
    raw: &RawValue,
    pointer: &str,
    what: &str,
) -> Result<T, InputError> {
    serde_json::from_str(raw.get()).map_err(|e| shape_error(display, pointer, what, &e))
}

fn shape_error(display: &str, pointer: &str, what: &str, e: &serde_json::Error) -> InputError {
    let msg = e.to_string();
    // serde_json appends " at line L column C" relative to the section; the pointer is the
    // useful address, so drop it.
    let msg = match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => &msg,
    };
    error_at(display, pointer, format!("expected {what}: {msg}"))
}

/// Reads a raw section that must be an array.
pub(crate) fn array<'a>(
    display: &str,
    raw: &'a RawValue,
    pointer: &str,
    what: &str,
) -> Result<Vec<&'a RawValue>, InputError> {
    if raw.get().trim_start().starts_with("null") {
        return Ok(Vec::new());
    }
    typed(display, raw, pointer, what)
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

#[derive(Deserialize)]
struct RawChange<'a> {
    #[serde(default)]
    actions: Vec<String>,
    #[serde(borrow)]
    before: Option<&'a RawValue>,
    #[serde(borrow)]
    after: Option<&'a RawValue>,
    #[serde(borrow)]
    after_unknown: Option<&'a RawValue>,
}

/// What `resource_changes` holds.
pub(crate) struct Changes<'a> {
    /// Resources that exist after the change.
    pub(crate) after: Vec<Entry<'a>>,
    /// Values before the change (`before` of updated, replaced and deleted resources), used
    /// for the prior estate when `prior_state` lacks them.
    pub(crate) before: Vec<Entry<'a>>,
    /// Notes about the changes.
    pub(crate) notes: Vec<(String, String)>,
    /// The planned action of every address (current objects, not deposed ones).
    pub(crate) actions: std::collections::HashMap<String, Change>,
}

/// The planned action of `actions`.
fn change_of(actions: &[String]) -> Option<Change> {
    let a: Vec<&str> = actions.iter().map(String::as_str).collect();
    Some(match a.as_slice() {
        ["no-op"] => Change::NoOp,
        ["create"] => Change::Create,
        ["read"] => Change::DeferredRead,
        ["update"] => Change::Update,
        ["delete", "create"] | ["create", "delete"] => Change::Replace,
        ["delete"] | ["forget"] => Change::Delete,
        _ => return None,
    })
}

/// Reads `resource_changes`.
pub(crate) fn read_changes<'a>(
    display: &str,
    raw: &'a RawValue,
) -> Result<Changes<'a>, InputError> {
    let mut out = Changes {
        after: Vec::new(),
        before: Vec::new(),
        notes: Vec::new(),
        actions: std::collections::HashMap::new(),
    };
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
        let Some(address) = rc.address else {
            return Err(error_at(display, &ptr, "resource change has no `address`"));
        };
        let Some(addr) = Address::parse(&address) else {
            return Err(error_at(
                display,
                &format!("{ptr}/address"),
                format!("`{address}` is not a resource address"),
            ));
        };
        let Some(change_raw) = rc.change else {
            return Err(error_at(display, &ptr, "resource change has no `change`"));
        };
        let change: RawChange = typed(
            display,
            change_raw,
            &format!("{ptr}/change"),
            "a change object with `actions` (a list of strings)",
        )?;
        let type_name = rc
            .type_name
            .map_or_else(|| addr.type_name.clone(), Cow::into_owned);
        let action = match change_of(&change.actions) {
            Some(c) => c,
            None => {
                out.notes.push((
                    ptr.clone(),
                    format!(
                        "{address}: unrecognised actions {:?}; read as an update",
                        change.actions
                    ),
                ));
                Change::Update
            }
        };
        let has_before = change.before.is_some_and(|b| b.get().trim() != "null");
        if has_before {
            out.before.push(Entry {
                address: address.to_string(),
                addr: addr.clone(),
                type_name: type_name.clone(),
                pointer: ptr.clone(),
                values_pointer: format!("{ptr}/change/before"),
                change: Change::Read,
                values: change.before,
                unknown: None,
                source: Source::State,
            });
        }
        if rc.deposed.is_none() {
            out.actions.entry(address.to_string()).or_insert(action);
        }
        // Deposed objects and deletions exist only before the change.
        if rc.deposed.is_some() || action == Change::Delete {
            continue;
        }
        out.after.push(Entry {
            address: address.into_owned(),
            addr,
            type_name,
            values_pointer: format!("{ptr}/change/after"),
            pointer: ptr,
            change: action,
            values: change.after,
            unknown: change.after_unknown,
            source: Source::Change,
        });
    }
    Ok(out)
}

#[derive(Deserialize)]
struct RawModule<'a> {
    #[serde(borrow)]
    resources: Option<&'a RawValue>,
    #[serde(borrow)]
    child_modules: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct RawResource<'a> {
    #[serde(borrow)]
    address: Option<Cow<'a, str>>,
    #[serde(borrow, rename = "type")]
    type_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    values: Option<&'a RawValue>,
}

/// Reads the resources of a values representation (`planned_values` or
/// `prior_state.values`): `{"root_module": {"resources": [...], "child_modules": [...]}}`.
pub(crate) fn read_values<'a>(
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
            let Some(address) = res.address else {
                return Err(error_at(display, &ptr, "resource has no `address`"));
            };
            let Some(addr) = Address::parse(&address) else {
                return Err(error_at(
                    display,
                    &format!("{ptr}/address"),
                    format!("`{address}` is not a resource address"),
                ));
            };
            let type_name = res
                .type_name
                .map_or_else(|| addr.type_name.clone(), Cow::into_owned);
            out.push(Entry {
                address: address.into_owned(),
                change: if addr.data {
                    Change::Read
                } else {
                    Change::NoOp
                },
                addr,
                type_name,
                values_pointer: format!("{ptr}/values"),
                pointer: ptr,
                values: res.values,
                unknown: None,
                source,
            });
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
