//! Walking the plan document: top-level sections, resource changes, planned values and prior
//! state (root and nested `child_modules` at any depth).
//!
//! Each resource's values are borrowed as raw JSON (`serde_json::value::RawValue`) and parsed
//! into a `serde_json::Value` only while that resource is mapped, so peak memory is the text
//! plus one resource, not a tree of the whole plan (a 10,000-resource plan is tens of
//! megabytes of JSON). A valid plan is read in one typed pass ([`fast`]); when that fails, the
//! section-by-section read ([`precise`]) finds the error again and names its JSON pointer.

use super::address::{Address, Key};
use crate::error::InputError;
use crate::model::Change;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::borrow::Cow;

/// Deepest `child_modules` nesting read.
const MAX_MODULE_DEPTH: usize = 64;

mod fast;
mod precise;

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
    /// A change's `before` (the prior values, used when `prior_state` lacks them).
    pub(crate) before: Option<&'a RawValue>,
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
    /// Deleted objects (their `before` values), for the prior estate when `prior_state`
    /// lacks them.
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

impl Changes<'_> {
    fn new() -> Self {
        Changes {
            after: Vec::new(),
            before: Vec::new(),
            notes: Vec::new(),
            actions: std::collections::HashMap::new(),
        }
    }
}

/// Adds one resource change.
fn change_entry<'a>(
    display: &str,
    i: usize,
    address: Option<Cow<'a, str>>,
    type_name: Option<Cow<'a, str>>,
    deposed: bool,
    change: Option<RawChange<'a>>,
    out: &mut Changes<'a>,
) -> Result<(), InputError> {
    let ptr = format!("/resource_changes/{i}");
    let Some(address) = address else {
        return Err(error_at(display, &ptr, "resource change has no `address`"));
    };
    let Some(addr) = Address::parse(&address) else {
        return Err(error_at(
            display,
            &format!("{ptr}/address"),
            format!("`{address}` is not a resource address"),
        ));
    };
    let Some(change) = change else {
        return Err(error_at(display, &ptr, "resource change has no `change`"));
    };
    // A deposed object (left over by a create-before-destroy replacement) is being
    // destroyed; the current object under the same address is the one that matters.
    if deposed {
        return Ok(());
    }
    let type_name = type_name.map_or_else(|| addr.type_name.clone(), Cow::into_owned);
    let action = if let Some(c) = change_of(&change.actions) {
        c
    } else {
        out.notes.push((
            ptr.clone(),
            format!(
                "{address}: unrecognised actions {:?}; read as an update",
                change.actions
            ),
        ));
        Change::Update
    };
    out.actions.entry(address.to_string()).or_insert(action);
    // Deleted objects exist only before the change.
    if action == Change::Delete {
        if change.before.is_some() {
            out.before.push(Entry {
                address: address.into_owned(),
                addr,
                type_name,
                values_pointer: format!("{ptr}/change/before"),
                pointer: ptr,
                change: Change::Delete,
                values: change.before,
                unknown: None,
                before: None,
                source: Source::State,
            });
        }
        return Ok(());
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
        before: change.before,
        source: Source::Change,
    });
    Ok(())
}

#[derive(Deserialize)]
struct RawResource<'a> {
    #[serde(borrow)]
    address: Option<Cow<'a, str>>,
    index: Option<serde_json::Value>,
    #[serde(borrow)]
    deposed_key: Option<&'a RawValue>,
    #[serde(borrow, rename = "type")]
    type_name: Option<Cow<'a, str>>,
    #[serde(borrow)]
    values: Option<&'a RawValue>,
}

/// Adds one resource of a values representation.
fn value_entry<'a>(
    display: &str,
    ptr: String,
    res: RawResource<'a>,
    module: Option<&str>,
    source: Source,
    out: &mut Vec<Entry<'a>>,
) -> Result<(), InputError> {
    if res.deposed_key.is_some() {
        return Ok(());
    }
    let Some(mut address) = res.address else {
        return Err(error_at(display, &ptr, "resource has no `address`"));
    };
    // Terraform 0.12 wrote module-relative addresses in the prior state's child modules.
    if let Some(m) = module.filter(|m| !m.is_empty()) {
        let absolute = address.len() > m.len()
            && address.starts_with(m)
            && address.as_bytes().get(m.len()) == Some(&b'.');
        if !absolute {
            address = Cow::Owned(format!("{m}.{address}"));
        }
    }
    let Some(mut addr) = Address::parse(&address) else {
        return Err(error_at(
            display,
            &format!("{ptr}/address"),
            format!("`{address}` is not a resource address"),
        ));
    };
    // ... and left the instance key out of the address, in `index` only.
    if addr.key.is_none() {
        let key = match &res.index {
            Some(serde_json::Value::Number(n)) => n.as_i64().map(Key::Int),
            Some(serde_json::Value::String(k)) => Some(Key::Str(k.clone())),
            _ => None,
        };
        if let Some(k) = key {
            address = Cow::Owned(format!("{address}{k}"));
            addr.key = Some(k);
        }
    }
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
        before: None,
        source,
    });
    Ok(())
}

/// Everything read from the document's sections.
pub(crate) struct Sections<'a> {
    /// `format_version`.
    pub(crate) format_version: Option<String>,
    /// `configuration`, unparsed.
    pub(crate) configuration: Option<&'a RawValue>,
    /// The document has at least one plan section.
    pub(crate) is_plan: bool,
    /// The document has a top-level `values` (a state, not a plan).
    pub(crate) is_state: bool,
    /// `prior_state.values` resources.
    pub(crate) prior: Vec<Entry<'a>>,
    /// `resource_changes`.
    pub(crate) changes: Changes<'a>,
    /// `planned_values` resources.
    pub(crate) planned: Vec<Entry<'a>>,
}

/// Reads the sections of a plan. A single typed pass over the whole document serves valid
/// plans (each byte is scanned once, plus once more for the values of each resource); when
/// it fails, the section-by-section path runs to name the JSON pointer of the error.
pub(crate) fn read<'a>(display: &str, text: &'a str) -> Result<Sections<'a>, InputError> {
    match fast::read(display, text) {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(e),
        Err(fast_error) => match precise::read(display, text) {
            Err(e) => Err(e),
            // Both paths read the same document; if only the fast one failed, report it.
            Ok(_) => Err(InputError::from_json(display, &fast_error)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(s: &Sections) -> Vec<String> {
        let entries = s
            .prior
            .iter()
            .chain(&s.changes.after)
            .chain(&s.changes.before)
            .chain(&s.planned);
        entries
            .map(|e| {
                format!(
                    "{} {} {:?} {:?} {}",
                    e.address,
                    e.pointer,
                    e.change,
                    e.source,
                    e.values.map_or("", |v| v.get()).len()
                )
            })
            .collect()
    }

    /// The single-pass read and the precise read see the same resources.
    #[test]
    fn both_reads_agree_on_the_fixtures() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/plans");
        for entry in std::fs::read_dir(dir).expect("fixtures") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("readable");
            let fast = fast::read("p", &text)
                .expect("fast read")
                .expect("converted");
            let precise = precise::read("p", &text).expect("precise read");
            assert_eq!(summary(&fast), summary(&precise), "{}", path.display());
            assert_eq!(fast.format_version, precise.format_version);
            assert!(!summary(&fast).is_empty());
        }
    }
}
