//! A typed view over one object of resource values: the value itself (`after`, `values` or a
//! nested block), its `after_unknown` marks and its configuration expressions, walked
//! together.
//!
//! The key decision: an attribute marked unknown is unknown until apply (`Val::Unknown`, or
//! `Val::Ref` when its expression references resources), never the same as an absent one
//! (`None`). Two refinements keep that honest without flooding the model with unknowns:
//! - an unknown attribute whose configuration is known and does not set it is a computed
//!   default (`aws_kms_key.policy` with no `policy` argument is the default key policy, not an
//!   unknown policy), so it reads as absent;
//! - an unknown attribute whose expression is a constant reads as that constant.
//!
//! Nested blocks are paired with their configuration blocks by position when the counts
//! agree and the constants match; otherwise (dynamic blocks, reordered sets) every
//! configuration block is kept as a candidate, so references are widened, never lost.

use super::address::Key;
use super::config::{expression_references, ConfigIndex};
use crate::error::{pointer_token, InputError};
use crate::model::{VStr, Val};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

/// Result of the typed accessors.
pub(crate) type AttrResult<T> = Result<T, InputError>;

/// Where an object sits and how its references resolve.
#[derive(Clone, Copy)]
pub(crate) struct Scope<'a> {
    /// The input path as given.
    pub(crate) display: &'a str,
    /// The configuration.
    pub(crate) config: &'a ConfigIndex<'a>,
    /// The module instance of the resource.
    pub(crate) module: &'a [(String, Option<Key>)],
    /// The resource's instance key.
    pub(crate) key: Option<&'a Key>,
}

impl Scope<'_> {
    /// Resolves the references of some expressions into an unknown value.
    pub(crate) fn pending<T>(&self, exprs: &[&Value]) -> Val<T> {
        let refs: Vec<&str> = exprs
            .iter()
            .flat_map(|e| expression_references(e))
            .collect();
        if refs.is_empty() {
            return Val::Unknown;
        }
        let resolved = self.config.resolve(&refs, self.module, self.key);
        if resolved.is_empty() {
            Val::Unknown
        } else {
            Val::Ref(resolved)
        }
    }

    /// An input error at a pointer.
    pub(crate) fn error(&self, pointer: &str, message: impl Into<String>) -> InputError {
        InputError::new(self.display, message).at_pointer(pointer)
    }
}

#[derive(Clone, Copy)]
enum Marks<'a> {
    /// No unknown marks: the values are complete (state) or unknowns are omitted (planned
    /// values, where an omitted configured attribute is unknown).
    None { omits_unknown: bool },
    /// `after_unknown` for this object.
    Map(&'a Map<String, Value>),
    /// The whole object is unknown.
    All,
}

fn empty_map() -> &'static Map<String, Value> {
    static EMPTY: OnceLock<Map<String, Value>> = OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

/// One object of values with its unknown marks and expressions.
#[derive(Clone)]
pub(crate) struct Attrs<'a> {
    value: Option<&'a Map<String, Value>>,
    marks: Marks<'a>,
    exprs: Vec<&'a Map<String, Value>>,
    /// `exprs` is exactly this object's configuration: attributes it lacks are not set.
    definitive: bool,
    /// JSON pointer of the object.
    pub(crate) ptr: String,
    /// Resolution scope.
    pub(crate) scope: Scope<'a>,
}

/// What an attribute lookup found.
enum Found<'a> {
    Absent,
    Known(&'a Value, Option<&'a Value>),
    Unknown,
}

/// Blocks of one nested block type.
pub(crate) struct Blocks<'a> {
    /// The blocks (from the values, or from the configuration when the list is unknown).
    pub(crate) items: Vec<Attrs<'a>>,
    /// The list itself is unknown until apply: `items` holds only the statically configured
    /// blocks, and further blocks may exist (dynamic blocks are not in the plan).
    pub(crate) unknown: bool,
    /// The configuration is known and sets no such block: an unknown list is the provider's
    /// computed default (or the work of a `dynamic` block, which the plan does not show).
    pub(crate) not_configured: bool,
}

impl<'a> Attrs<'a> {
    /// The values of a resource change (`after` + `after_unknown`) or of planned values.
    pub(crate) fn resource(
        value: Option<&'a Value>,
        value_ptr: &str,
        unknown: Option<&'a Value>,
        from_change: bool,
        config: Option<&'a Map<String, Value>>,
        scope: Scope<'a>,
    ) -> AttrResult<Self> {
        let value = match value {
            None | Some(Value::Null) => None,
            Some(Value::Object(m)) => Some(m),
            Some(_) => return Err(scope.error(value_ptr, "expected an object of attribute values")),
        };
        let marks = match unknown {
            Some(Value::Object(m)) => Marks::Map(m),
            Some(Value::Bool(true)) => Marks::All,
            _ => Marks::None {
                omits_unknown: !from_change,
            },
        };
        let (exprs, definitive) = match config {
            Some(c) => match c.get("expressions") {
                Some(Value::Object(e)) => (vec![e], true),
                _ => (vec![empty_map()], true),
            },
            None => (Vec::new(), false),
        };
        Ok(Attrs {
            value,
            marks,
            exprs,
            definitive,
            ptr: value_ptr.to_owned(),
            scope,
        })
    }

    /// Values from state (`prior_state`): complete, no configuration.
    pub(crate) fn state(value: Option<&'a Value>, ptr: &str, scope: Scope<'a>) -> AttrResult<Self> {
        let mut a = Attrs::resource(value, ptr, None, true, None, scope)?;
        a.marks = Marks::None {
            omits_unknown: false,
        };
        Ok(a)
    }

    /// Pointer of an attribute.
    pub(crate) fn ptr_of(&self, name: &str) -> String {
        format!("{}/{}", self.ptr, pointer_token(name))
    }

    fn exprs_for(&self, name: &str) -> Vec<&'a Value> {
        self.exprs.iter().filter_map(|e| e.get(name)).collect()
    }

    fn find(&self, name: &str) -> (Found<'a>, Vec<&'a Value>) {
        self.find_as(name, true)
    }

    /// Looks an attribute up. `computed_is_absent`: an unknown attribute that the (known)
    /// configuration does not set is the provider's computed default, read as absent — right
    /// for settings (`policy`, `kms_key_id`), wrong for identities (`arn`, `name`), which
    /// exist after apply whatever the configuration says.
    fn find_as(&self, name: &str, computed_is_absent: bool) -> (Found<'a>, Vec<&'a Value>) {
        let exprs = self.exprs_for(name);
        let mark = match self.marks {
            Marks::Map(m) => m.get(name),
            Marks::All | Marks::None { .. } => None,
        };
        let unknown = matches!(self.marks, Marks::All) || matches!(mark, Some(Value::Bool(true)));
        if unknown {
            if computed_is_absent && self.definitive && exprs.is_empty() {
                return (Found::Absent, exprs);
            }
            // Set from values known when planning, yet unknown: the configuration gave null
            // and the provider computes the value.
            if computed_is_absent && matches!(self.marks, Marks::Map(_)) && !exprs.is_empty() {
                let refs: Vec<&str> = exprs
                    .iter()
                    .flat_map(|e| expression_references(e))
                    .collect();
                let constant = exprs.iter().any(|e| e.get("constant_value").is_some());
                if !refs.is_empty()
                    && !constant
                    && self.scope.config.known_at_plan(&refs, self.scope.module)
                {
                    return (Found::Absent, exprs);
                }
            }
            if let [one] = exprs.as_slice() {
                if let Some(c) = one.get("constant_value") {
                    if !c.is_null() {
                        return (Found::Known(c, None), exprs);
                    }
                }
            }
            return (Found::Unknown, exprs);
        }
        match self.value.and_then(|v| v.get(name)) {
            None => {
                let omits = matches!(
                    self.marks,
                    Marks::None {
                        omits_unknown: true
                    }
                );
                if omits && exprs.iter().any(|e| !expression_references(e).is_empty()) {
                    (Found::Unknown, exprs)
                } else {
                    (Found::Absent, exprs)
                }
            }
            Some(Value::Null) => (Found::Absent, exprs),
            Some(v) => (Found::Known(v, mark), exprs),
        }
    }

    /// True when the values or unknown marks mention the attribute at all (even as null).
    pub(crate) fn has_key(&self, name: &str) -> bool {
        self.value.is_some_and(|v| v.contains_key(name))
            || matches!(self.marks, Marks::Map(m) if m.contains_key(name))
    }

    /// A string attribute. Numbers and booleans are rendered as strings.
    pub(crate) fn string(&self, name: &str) -> AttrResult<Option<VStr>> {
        match self.find(name) {
            (Found::Absent, _) => Ok(None),
            (Found::Unknown, exprs) => Ok(Some(self.scope.pending(&exprs))),
            (Found::Known(v, _), _) => match scalar(v) {
                Some(s) => Ok(Some(Val::Known(s))),
                None => Err(self
                    .scope
                    .error(&self.ptr_of(name), format!("`{name}` must be a string"))),
            },
        }
    }

    /// An identifying string attribute (`arn`, `name`, `key_id`): unknown until apply when the
    /// provider computes it, absent only when the values say null.
    pub(crate) fn ident(&self, name: &str) -> AttrResult<Option<VStr>> {
        match self.find_as(name, false) {
            (Found::Absent, _) => Ok(None),
            (Found::Unknown, exprs) => Ok(Some(self.scope.pending(&exprs))),
            (Found::Known(v, _), _) => match scalar(v) {
                Some(s) => Ok(Some(Val::Known(s))),
                None => Err(self
                    .scope
                    .error(&self.ptr_of(name), format!("`{name}` must be a string"))),
            },
        }
    }

    /// A known non-empty string attribute, else `None`.
    pub(crate) fn known_string(&self, name: &str) -> AttrResult<Option<String>> {
        Ok(match self.string(name)? {
            Some(Val::Known(s)) if !s.is_empty() => Some(s),
            _ => None,
        })
    }

    /// A boolean attribute (`"true"`/`"false"` strings accepted).
    pub(crate) fn boolean(&self, name: &str) -> AttrResult<Option<Val<bool>>> {
        match self.find(name) {
            (Found::Absent, _) => Ok(None),
            (Found::Unknown, exprs) => Ok(Some(self.scope.pending(&exprs))),
            (Found::Known(v, _), _) => match v {
                Value::Bool(b) => Ok(Some(Val::Known(*b))),
                Value::String(s) if s == "true" => Ok(Some(Val::Known(true))),
                Value::String(s) if s == "false" => Ok(Some(Val::Known(false))),
                _ => Err(self
                    .scope
                    .error(&self.ptr_of(name), format!("`{name}` must be a boolean"))),
            },
        }
    }

    /// A list or set of strings. Elements unknown until apply become unknown values carrying
    /// the references of the whole expression; a list unknown as a whole is `Val::Unknown` or
    /// `Val::Ref`. A single string is accepted as a one-element list.
    pub(crate) fn strings(&self, name: &str) -> AttrResult<Option<Val<Vec<VStr>>>> {
        match self.find(name) {
            (Found::Absent, _) => Ok(None),
            (Found::Unknown, exprs) => Ok(Some(self.scope.pending(&exprs))),
            (Found::Known(Value::Array(items), mark), exprs) => {
                let marks = mark.and_then(Value::as_array);
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let unknown = matches!(marks.and_then(|m| m.get(i)), Some(Value::Bool(true)));
                    if unknown {
                        out.push(self.scope.pending(&exprs));
                    } else if let Some(s) = scalar(item) {
                        out.push(Val::Known(s));
                    } else if !item.is_null() {
                        return Err(self.scope.error(
                            &format!("{}/{i}", self.ptr_of(name)),
                            format!("`{name}` must be a list of strings"),
                        ));
                    }
                }
                Ok(Some(Val::Known(out)))
            }
            (Found::Known(v, _), _) => match scalar(v) {
                Some(s) => Ok(Some(Val::Known(vec![Val::Known(s)]))),
                None => Err(self.scope.error(
                    &self.ptr_of(name),
                    format!("`{name}` must be a list of strings"),
                )),
            },
        }
    }

    /// A list of strings as individual values: an unknown list becomes one unknown element.
    pub(crate) fn string_items(&self, name: &str) -> AttrResult<Vec<VStr>> {
        Ok(match self.strings(name)? {
            None => Vec::new(),
            Some(Val::Known(v)) => v,
            Some(Val::Unknown) => vec![Val::Unknown],
            Some(Val::Ref(r)) => vec![Val::Ref(r)],
            Some(Val::Partial(p)) => vec![Val::Partial(p)],
        })
    }

    /// A map of strings (tags). Unknown when the map or any of its values is unknown.
    pub(crate) fn string_map(
        &self,
        name: &str,
    ) -> AttrResult<Option<Val<BTreeMap<String, String>>>> {
        match self.find(name) {
            (Found::Absent, _) => Ok(None),
            (Found::Unknown, _) => Ok(Some(Val::Unknown)),
            (Found::Known(Value::Object(m), mark), _) => {
                if let Some(Value::Object(marks)) = mark {
                    if marks.values().any(|v| v == &Value::Bool(true)) {
                        return Ok(Some(Val::Unknown));
                    }
                }
                let mut out = BTreeMap::new();
                for (k, v) in m {
                    match scalar(v) {
                        Some(s) => {
                            out.insert(k.clone(), s);
                        }
                        None if v.is_null() => {}
                        None => {
                            return Err(self.scope.error(
                                &format!("{}/{}", self.ptr_of(name), pointer_token(k)),
                                format!("`{name}` must map names to strings"),
                            ))
                        }
                    }
                }
                Ok(Some(Val::Known(out)))
            }
            // The legacy list form of some types (`aws_autoscaling_group.tags`):
            // `[{"key": .., "value": .., "propagate_at_launch": ..}]`.
            (Found::Known(Value::Array(items), _), _)
                if items
                    .iter()
                    .all(|i| i.get("key").is_some_and(Value::is_string)) =>
            {
                let mut out = BTreeMap::new();
                for i in items {
                    if let (Some(k), Some(v)) = (
                        i.get("key").and_then(scalar),
                        i.get("value").and_then(scalar),
                    ) {
                        out.insert(k, v);
                    }
                }
                Ok(Some(Val::Known(out)))
            }
            (Found::Known(_, _), _) => Err(self.scope.error(
                &self.ptr_of(name),
                format!("`{name}` must be a map of strings"),
            )),
        }
    }

    /// The nested blocks of one block type (a list of objects, or a single object).
    pub(crate) fn blocks(&self, name: &str) -> AttrResult<Blocks<'a>> {
        let exprs = self.exprs_for(name);
        let expr_blocks: Vec<&'a Map<String, Value>> = exprs
            .iter()
            .flat_map(|e| match e {
                Value::Array(items) => items.iter().filter_map(Value::as_object).collect(),
                Value::Object(m)
                    if !m.contains_key("references") && !m.contains_key("constant_value") =>
                {
                    vec![m]
                }
                _ => Vec::new(),
            })
            .collect();
        let ptr = self.ptr_of(name);
        let mark = match self.marks {
            Marks::Map(m) => m.get(name),
            Marks::All | Marks::None { .. } => None,
        };
        let unknown = matches!(self.marks, Marks::All) || matches!(mark, Some(Value::Bool(true)));
        let found = if unknown {
            Found::Unknown
        } else {
            match self.value.and_then(|v| v.get(name)) {
                None | Some(Value::Null) => Found::Absent,
                Some(v) => Found::Known(v, mark),
            }
        };
        match found {
            Found::Absent => Ok(Blocks {
                items: Vec::new(),
                unknown: false,
                not_configured: true,
            }),
            Found::Unknown => {
                let items = expr_blocks
                    .iter()
                    .enumerate()
                    .map(|(i, e)| Attrs {
                        value: None,
                        marks: Marks::All,
                        exprs: vec![*e],
                        definitive: true,
                        ptr: format!("{ptr}/{i}"),
                        scope: self.scope,
                    })
                    .collect::<Vec<_>>();
                Ok(Blocks {
                    not_configured: self.definitive && items.is_empty(),
                    items,
                    unknown: true,
                })
            }
            Found::Known(v, mark) => {
                let (values, marks): (Vec<&'a Value>, Vec<Option<&'a Value>>) = match v {
                    Value::Array(items) => {
                        let m = mark.and_then(Value::as_array);
                        (
                            items.iter().collect(),
                            (0..items.len()).map(|i| m.and_then(|m| m.get(i))).collect(),
                        )
                    }
                    Value::Object(_) => (vec![v], vec![mark]),
                    _ => {
                        return Err(self
                            .scope
                            .error(&ptr, format!("`{name}` must be a list of blocks")))
                    }
                };
                let mut items = Vec::with_capacity(values.len());
                for (i, (val, mark)) in values.iter().zip(marks).enumerate() {
                    let Value::Object(obj) = val else {
                        return Err(self
                            .scope
                            .error(&format!("{ptr}/{i}"), format!("`{name}` must hold objects")));
                    };
                    let item_marks = match (mark, self.marks) {
                        (Some(Value::Object(m)), _) => Marks::Map(m),
                        (Some(Value::Bool(true)), _) => Marks::All,
                        (_, Marks::None { omits_unknown }) => Marks::None { omits_unknown },
                        _ => Marks::Map(empty_map()),
                    };
                    let (exprs, definitive) =
                        pair_block(obj, i, values.len(), &expr_blocks, self.definitive);
                    let item_ptr = if matches!(v, Value::Array(_)) {
                        format!("{ptr}/{i}")
                    } else {
                        ptr.clone()
                    };
                    items.push(Attrs {
                        value: Some(obj),
                        marks: item_marks,
                        exprs,
                        definitive,
                        ptr: item_ptr,
                        scope: self.scope,
                    });
                }
                Ok(Blocks {
                    items,
                    unknown: false,
                    not_configured: false,
                })
            }
        }
    }

    /// The first block of a block type, if any.
    pub(crate) fn block(&self, name: &str) -> AttrResult<Option<Attrs<'a>>> {
        Ok(self.blocks(name)?.items.into_iter().next())
    }
}

/// Chooses the configuration blocks of value block `i` of `n`.
fn pair_block<'a>(
    value: &Map<String, Value>,
    i: usize,
    n: usize,
    exprs: &[&'a Map<String, Value>],
    parent_definitive: bool,
) -> (Vec<&'a Map<String, Value>>, bool) {
    if exprs.is_empty() {
        return (Vec::new(), false);
    }
    let agrees = |e: &Map<String, Value>| {
        e.iter()
            .all(|(k, ex)| match (ex.get("constant_value"), value.get(k)) {
                (Some(c), Some(v)) if !c.is_null() && !v.is_null() => same_value(c, v),
                _ => true,
            })
    };
    if exprs.len() == n && agrees(exprs[i]) {
        return (vec![exprs[i]], parent_definitive);
    }
    let candidates: Vec<&'a Map<String, Value>> =
        exprs.iter().copied().filter(|e| agrees(e)).collect();
    match candidates.as_slice() {
        [one] => (vec![*one], parent_definitive && exprs.len() == n),
        [] => (exprs.to_vec(), false),
        _ => (candidates, false),
    }
}

/// Equality of a constant and a value, ignoring the order of lists (sets are reordered).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().all(|e| y.contains(e)),
        (Value::Object(_), _) | (_, Value::Object(_)) => true,
        _ => a == b || scalar(a) == scalar(b),
    }
}

/// A string, number or boolean as a string.
pub(crate) fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}
