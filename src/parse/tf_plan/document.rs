//! Walking the plan document: top-level sections, resource changes, planned values and prior
//! state (root and nested `child_modules` at any depth).
//!
//! The document is read once into borrowed raw sections (`serde_json::value::RawValue`), and
//! each resource's values are parsed into a `serde_json::Value` only while that resource is
//! mapped. Peak memory is then the text plus one resource, not a tree of the whole plan
//! (a 10,000-resource plan is tens of megabytes of JSON). Every shape error carries the JSON
//! pointer of the offending value.

use super::address::{Address, Key};
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

/// Reads `resource_changes` item by item (the precise path: every shape error has its
/// pointer).
pub(crate) fn read_changes<'a>(
    display: &str,
    raw: &'a RawValue,
) -> Result<Changes<'a>, InputError> {
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
struct RawModule<'a> {
    #[serde(borrow)]
    address: Option<Cow<'a, str>>,
    #[serde(borrow)]
    resources: Option<&'a RawValue>,
    #[serde(borrow)]
    child_modules: Option<&'a RawValue>,
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
    match read_fast(display, text) {
        Ok(Ok(s)) => Ok(s),
        Ok(Err(e)) => Err(e),
        Err(fast_error) => match read_precise(display, text) {
            Err(e) => Err(e),
            // Both paths read the same document; if only the fast one failed, report it.
            Ok(_) => Err(InputError::from_json(display, &fast_error)),
        },
    }
}

fn read_precise<'a>(display: &str, text: &'a str) -> Result<Sections<'a>, InputError> {
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
fn read_fast<'a>(
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
