//! Values of the Terraform language as keyreach evaluates them: known JSON-like data, values
//! unknown until apply (carrying the resources they come from), and two string forms that keep
//! structure a plain string would lose.
//!
//! The key decision: a value is never "an error" because it is unknown. `aws_iam_role.app.arn`
//! evaluates to [`Value::Unknown`] holding a [`Reference`] to the role, and every operation on
//! it (templates, functions, conditionals) carries the references along, so the resource model
//! ends up with `Val::Ref` where Terraform would say "known after apply". `jsonencode` of a
//! structure with unknown leaves yields [`Value::Json`] (the structure itself), and a template
//! with unknown interpolations yields [`Value::Partial`], so policies built either way are still
//! parsed statement by statement with only the unknown parts unknown.
//!
//! This is also the shape of an evaluated attribute map handed to
//! [`super::mapping`]: a plan's `after` object with `after_unknown` and the configuration's
//! `references` converts to the same type (known JSON, `Unknown(refs)`).

use crate::model::{Reference, VStr, Val};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::rc::Rc;

/// Most references kept on one unknown value (the first ones are the best candidates).
const MAX_REFS: usize = 16;

/// Node visits all value traversals (equality, encoding, reference collection) may make in one
/// evaluation. Values share structure, so a few lines of configuration can describe a value
/// with billions of logical nodes; this budget keeps every traversal of them bounded. When it
/// runs out, traversals answer conservatively (unknown) and the evaluator stops.
pub(crate) const WORK_BUDGET: u64 = 300_000_000;

thread_local! {
    static WORK: std::cell::Cell<u64> = const { std::cell::Cell::new(WORK_BUDGET) };
}

/// Resets the traversal budget (at the start of an input).
pub(crate) fn reset_work() {
    WORK.with(|w| w.set(WORK_BUDGET));
}

/// Spends `n` node visits; false when the budget is exhausted.
pub(crate) fn spend(n: u64) -> bool {
    WORK.with(|w| {
        let left = w.get();
        if left < n {
            w.set(0);
            false
        } else {
            w.set(left - n);
            true
        }
    })
}

/// True once the traversal budget is exhausted.
pub(crate) fn work_exhausted() -> bool {
    WORK.with(|w| w.get() == 0)
}

/// Most nodes visited when collecting the references of one value.
const REFS_VISITS: usize = 10_000;

/// Largest value encoded to JSON text (nodes).
const MAX_ENCODE_NODES: usize = 1_000_000;

/// A place in a source file: file number in the loader's file table, 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Pos {
    /// Index into the file table.
    pub file: u32,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub column: u32,
}

/// An evaluated value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A known string.
    String(String),
    /// A list, tuple or set (shared: cloning a value is cheap).
    List(Rc<Vec<Value>>),
    /// An object or map.
    Object(Object),
    /// A string holding the JSON encoding of this value (`jsonencode`, policy document `json`).
    /// Kept structured so unknown leaves stay unknown and statements keep their location.
    Json(Box<Value>),
    /// A string of which some parts are unknown (a template interpolating unknown values).
    Partial(Vec<Segment>),
    /// Unknown until apply; the references say where it comes from (empty: nowhere known).
    Unknown(Vec<Reference>),
}

/// One part of a [`Value::Partial`] string.
#[derive(Debug, Clone, PartialEq)]
pub enum Segment {
    /// Known text.
    Lit(String),
    /// Unknown text, from these references.
    Unknown(Vec<Reference>),
}

/// An object or map, with where it was written and, for a resource instance, its address (so an
/// attribute the configuration does not set reads as a reference to that resource).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Object {
    /// The attributes (Terraform iterates maps in lexical key order, as a `BTreeMap` does);
    /// shared, so cloning a value is cheap.
    pub fields: Rc<BTreeMap<String, Value>>,
    /// Where the object (or block) was written, when it comes from source.
    pub at: Option<Pos>,
    /// The resource instance this object stands for, when it is one.
    pub resource: Option<String>,
    /// True for a block of a resource's body (`rule { … }`): an attribute it does not set is
    /// optional or computed by the provider at apply, so reading it gives an unknown value,
    /// not an error.
    pub block: bool,
}

impl Object {
    /// An object with these fields and no metadata.
    #[must_use]
    pub fn new(fields: BTreeMap<String, Value>) -> Self {
        Self {
            fields: Rc::new(fields),
            at: None,
            resource: None,
            block: false,
        }
    }
}

impl Value {
    /// A plainly unknown value.
    #[must_use]
    pub fn unknown() -> Self {
        Value::Unknown(Vec::new())
    }

    /// An unknown value referring to one attribute of one resource.
    #[must_use]
    pub fn reference(target: &str, attribute: Option<&str>) -> Self {
        Value::Unknown(vec![Reference::new(target, attribute)])
    }

    /// A list value.
    #[must_use]
    pub fn list(items: Vec<Value>) -> Self {
        Value::List(Rc::new(items))
    }

    /// An object value from fields.
    #[must_use]
    pub fn object(fields: BTreeMap<String, Value>) -> Self {
        Value::Object(Object::new(fields))
    }

    /// True for `Unknown` and `Partial` (the value itself is not known; its parts may be).
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_) | Value::Partial(_))
    }

    /// True when no part of the value is unknown.
    #[must_use]
    /// Values too large to check (more than a million nodes) count as not wholly known.
    pub fn is_wholly_known(&self) -> bool {
        self.known_within(&mut 1_000_000)
    }

    fn known_within(&self, budget: &mut usize) -> bool {
        if *budget == 0 || !spend(1) {
            return false;
        }
        *budget -= 1;
        match self {
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => true,
            Value::List(items) => items.iter().all(|v| v.known_within(budget)),
            Value::Object(o) => o.fields.values().all(|v| v.known_within(budget)),
            Value::Json(v) => v.known_within(budget),
            Value::Partial(_) | Value::Unknown(_) => false,
        }
    }

    /// The references of every unknown part, deduplicated, at most a few.
    #[must_use]
    pub fn refs(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        let mut budget = REFS_VISITS;
        self.collect_refs(&mut out, &mut budget);
        out
    }

    /// Collects references, visiting at most `budget` nodes (references sit near the top of
    /// the values that carry them; a huge known value has none worth the walk).
    fn collect_refs(&self, out: &mut Vec<Reference>, budget: &mut usize) {
        if out.len() >= MAX_REFS || *budget == 0 || !spend(1) {
            return;
        }
        *budget -= 1;
        match self {
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
            Value::List(items) => items.iter().for_each(|v| v.collect_refs(out, budget)),
            Value::Object(o) => o.fields.values().for_each(|v| v.collect_refs(out, budget)),
            Value::Json(v) => v.collect_refs(out, budget),
            Value::Partial(segs) => {
                for s in segs {
                    if let Segment::Unknown(r) = s {
                        push_refs(out, r);
                    }
                }
            }
            Value::Unknown(r) => push_refs(out, r),
        }
    }

    /// An unknown value carrying the references of all the given values.
    #[must_use]
    pub fn unknown_from(values: &[&Value]) -> Value {
        let mut out = Vec::new();
        let mut budget = REFS_VISITS;
        for v in values {
            v.collect_refs(&mut out, &mut budget);
        }
        Value::Unknown(order_refs(out))
    }

    /// A short name of the value's type for messages.
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Number(_) => "number",
            Value::String(_) | Value::Json(_) | Value::Partial(_) => "string",
            Value::List(_) => "list",
            Value::Object(_) => "object",
            Value::Unknown(_) => "unknown",
        }
    }

    /// The known string, for `String` only.
    #[must_use]
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The fields of an object.
    #[must_use]
    pub fn as_object(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Object(o) => Some(&o.fields),
            _ => None,
        }
    }

    /// One attribute of an object.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_object().and_then(|m| m.get(key))
    }

    /// Converts to a string the way Terraform converts primitives (numbers, bools, strings).
    /// `Ok(None)` when the value is unknown; `Err` when it has no string form.
    ///
    /// # Errors
    /// Null, lists and objects.
    pub fn to_text(&self) -> Result<Option<String>, String> {
        match self {
            Value::String(s) => Ok(Some(s.clone())),
            Value::Number(n) => Ok(Some(format_number(*n))),
            Value::Bool(b) => Ok(Some(b.to_string())),
            Value::Json(v) => Ok(encode_json(v)),
            Value::Partial(_) | Value::Unknown(_) => Ok(None),
            Value::Null => Err("a null value cannot be used as a string".into()),
            Value::List(_) | Value::Object(_) => {
                Err(format!("a {} cannot be used as a string", self.type_name()))
            }
        }
    }

    /// Converts to a bool (`true`/`false` strings included). `Ok(None)` when unknown.
    ///
    /// # Errors
    /// Values with no bool form.
    pub fn to_bool(&self) -> Result<Option<bool>, String> {
        match self {
            Value::Bool(b) => Ok(Some(*b)),
            Value::String(s) if s == "true" => Ok(Some(true)),
            Value::String(s) if s == "false" => Ok(Some(false)),
            Value::Partial(_) | Value::Unknown(_) => Ok(None),
            other => Err(format!("a bool is required, found {}", other.type_name())),
        }
    }

    /// Converts to a number (numeric strings included). `Ok(None)` when unknown.
    ///
    /// # Errors
    /// Values with no number form.
    pub fn to_number(&self) -> Result<Option<f64>, String> {
        match self {
            Value::Number(n) => Ok(Some(*n)),
            Value::String(s) => s
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(Some)
                .ok_or_else(|| format!("a number is required, found string {s:?}")),
            Value::Partial(_) | Value::Unknown(_) => Ok(None),
            other => Err(format!("a number is required, found {}", other.type_name())),
        }
    }

    /// Known equality: `None` when unknown parts decide it.
    #[must_use]
    pub fn equals(&self, other: &Value) -> Option<bool> {
        self.equals_within(other, &mut 1_000_000)
    }

    fn equals_within(&self, other: &Value, budget: &mut usize) -> Option<bool> {
        if *budget == 0 || !spend(1) {
            return None;
        }
        *budget -= 1;
        match (self, other) {
            (Value::Unknown(_) | Value::Partial(_), _)
            | (_, Value::Unknown(_) | Value::Partial(_)) => None,
            (Value::Json(a), b) | (b, Value::Json(a)) => {
                let text = encode_json(a)?;
                match b {
                    Value::String(s) => Some(*s == text),
                    Value::Json(b) => Some(encode_json(b)? == text),
                    _ => Some(false),
                }
            }
            (Value::Null, Value::Null) => Some(true),
            (Value::Bool(a), Value::Bool(b)) => Some(a == b),
            #[allow(clippy::float_cmp)]
            (Value::Number(a), Value::Number(b)) => Some(a == b),
            (Value::String(a), Value::String(b)) => Some(a == b),
            (Value::List(a), Value::List(b)) => {
                if Rc::ptr_eq(a, b) && self.is_wholly_known() {
                    return Some(true);
                }
                if a.len() != b.len() {
                    return Some(false);
                }
                let mut all = Some(true);
                for (x, y) in a.iter().zip(b.iter()) {
                    match x.equals_within(y, budget) {
                        Some(false) => return Some(false),
                        None => all = None,
                        Some(true) => {}
                    }
                }
                all
            }
            (Value::Object(a), Value::Object(b)) => {
                if a.fields.len() != b.fields.len()
                    || a.fields.keys().zip(b.fields.keys()).any(|(x, y)| x != y)
                {
                    return Some(false);
                }
                let mut all = Some(true);
                for (x, y) in a.fields.values().zip(b.fields.values()) {
                    match x.equals_within(y, budget) {
                        Some(false) => return Some(false),
                        None => all = None,
                        Some(true) => {}
                    }
                }
                all
            }
            _ => Some(false),
        }
    }

    /// The known JSON form, when the value is wholly known. `Json` values become their
    /// encoded string.
    #[must_use]
    pub fn to_json(&self) -> Option<serde_json::Value> {
        if self.size_at_most(MAX_ENCODE_NODES) >= MAX_ENCODE_NODES {
            return None;
        }
        self.to_json_inner()
    }

    fn to_json_inner(&self) -> Option<serde_json::Value> {
        Some(match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Number(n) => number_to_json(*n),
            Value::String(s) => serde_json::Value::String(s.clone()),
            Value::List(items) => serde_json::Value::Array(
                items
                    .iter()
                    .map(Value::to_json_inner)
                    .collect::<Option<Vec<_>>>()?,
            ),
            Value::Object(o) => {
                let mut m = serde_json::Map::new();
                for (k, v) in o.fields.iter() {
                    m.insert(k.clone(), v.to_json_inner()?);
                }
                serde_json::Value::Object(m)
            }
            Value::Json(v) => serde_json::Value::String(encode_json(v)?),
            Value::Partial(_) | Value::Unknown(_) => return None,
        })
    }

    /// The value of a JSON document.
    #[must_use]
    pub fn from_json(v: &serde_json::Value) -> Value {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(items) => {
                Value::list(items.iter().map(Value::from_json).collect())
            }
            serde_json::Value::Object(m) => Value::object(
                m.iter()
                    .map(|(k, v)| (k.clone(), Value::from_json(v)))
                    .collect(),
            ),
        }
    }

    /// The model's view of a string attribute: known text, or unknown/reference. `None` for
    /// null, lists and objects.
    #[must_use]
    pub fn to_vstr(&self) -> Option<VStr> {
        match self {
            Value::Null | Value::List(_) | Value::Object(_) => None,
            Value::String(s) => Some(Val::Known(s.clone())),
            Value::Number(n) => Some(Val::Known(format_number(*n))),
            Value::Bool(b) => Some(Val::Known(b.to_string())),
            Value::Json(v) => Some(match encode_json(v) {
                Some(s) => Val::Known(s),
                None => unknown_val(v.refs()),
            }),
            Value::Partial(segs) => {
                Some(crate::model::Partial::build(segs.iter().map(|s| match s {
                    Segment::Lit(t) => crate::model::Part::Lit(t.clone()),
                    Segment::Unknown(refs) => {
                        crate::model::Part::Hole(crate::model::Hole::from_refs(refs.clone()))
                    }
                })))
            }
            Value::Unknown(_) => Some(unknown_val(self.refs())),
        }
    }

    /// Counts the nodes of the value, stopping at `limit`.
    #[must_use]
    pub fn size_at_most(&self, limit: usize) -> usize {
        let mut n = 0usize;
        let mut stack = vec![self];
        while let Some(v) = stack.pop() {
            n += 1;
            if !spend(1) {
                return limit;
            }
            if n >= limit {
                return n;
            }
            match v {
                Value::List(items) => stack.extend(items.iter()),
                Value::Object(o) => stack.extend(o.fields.values()),
                Value::Json(inner) => stack.push(inner),
                Value::String(s) => n += s.len() / 64,
                _ => {}
            }
        }
        n
    }
}

/// `Val::Ref` when there are references, `Val::Unknown` otherwise.
#[must_use]
pub fn unknown_val<T>(refs: Vec<Reference>) -> Val<T> {
    if refs.is_empty() {
        Val::Unknown
    } else {
        Val::Ref(refs)
    }
}

fn push_refs(out: &mut Vec<Reference>, refs: &[Reference]) {
    for r in refs {
        if out.len() >= MAX_REFS {
            return;
        }
        if !out.contains(r) {
            out.push(r.clone());
        }
    }
}

/// Orders references so the best candidate comes first: references to resources the access
/// engine can link (keys, roles, ...) before account facts (`data.aws_caller_identity`,
/// `data.aws_region`, `data.aws_partition`) and module outputs.
#[must_use]
pub fn order_refs(mut refs: Vec<Reference>) -> Vec<Reference> {
    let rank = |r: &Reference| -> u8 {
        if r.target.contains("data.aws_caller_identity.")
            || r.target.contains("data.aws_region.")
            || r.target.contains("data.aws_partition.")
        {
            2
        } else if is_module_output(&r.target) {
            1
        } else {
            0
        }
    };
    refs.sort_by_key(rank);
    refs.truncate(MAX_REFS);
    refs
}

/// True for `module.a` / `module.a["k"].module.b` (a module, not a resource inside one).
fn is_module_output(target: &str) -> bool {
    let parts: Vec<&str> = target.split('.').collect();
    target.starts_with("module.") && parts.len() == 2 * target.matches("module.").count()
}

/// Terraform's rendering of a number as a string: integers without a fraction.
#[must_use]
pub fn format_number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e21 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

fn number_to_json(n: f64) -> serde_json::Value {
    #[allow(clippy::cast_possible_truncation)]
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        return serde_json::Value::from(n as i64);
    }
    serde_json::Number::from_f64(n).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// The JSON text of a wholly known value (`jsonencode`), `None` when parts are unknown.
#[must_use]
pub fn encode_json(v: &Value) -> Option<String> {
    v.to_json().map(|j| j.to_string())
}

/// Renders an instance key the way Terraform writes addresses: `[0]`, `["orders-api"]`.
#[must_use]
pub fn key_suffix_str(key: &str) -> String {
    let mut s = String::with_capacity(key.len() + 4);
    s.push_str("[\"");
    for c in key.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(s, "\\u{:04x}", u32::from(c));
            }
            c => s.push(c),
        }
    }
    s.push_str("\"]");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_render_like_terraform() {
        assert_eq!(format_number(123_456_789_012.0), "123456789012");
        assert_eq!(format_number(1.5), "1.5");
        assert_eq!(format_number(-3.0), "-3");
    }

    #[test]
    fn equality_is_three_valued() {
        let a = Value::String("x".into());
        assert_eq!(a.equals(&Value::String("x".into())), Some(true));
        assert_eq!(a.equals(&Value::Number(1.0)), Some(false));
        assert_eq!(a.equals(&Value::unknown()), None);
        let l1 = Value::list(vec![Value::Bool(true), Value::unknown()]);
        let l2 = Value::list(vec![Value::Bool(false), Value::unknown()]);
        assert_eq!(l1.equals(&l2), Some(false));
        assert_eq!(l1.equals(&l1.clone()), None);
    }

    #[test]
    fn json_strings_compare_by_encoding() {
        let j = Value::Json(Box::new(Value::list(vec![Value::Number(1.0)])));
        assert_eq!(j.equals(&Value::String("[1]".into())), Some(true));
        assert_eq!(j.to_text(), Ok(Some("[1]".into())));
    }

    #[test]
    fn references_are_kept_and_ordered() {
        let v = Value::list(vec![
            Value::reference("data.aws_caller_identity.current", Some("account_id")),
            Value::reference("aws_iam_role.app", Some("arn")),
        ]);
        let refs = order_refs(v.refs());
        assert_eq!(refs[0].target, "aws_iam_role.app");
        assert_eq!(v.to_vstr(), None);
        assert_eq!(
            Value::reference("aws_kms_key.k", Some("arn")).to_vstr(),
            Some(Val::Ref(vec![Reference::new("aws_kms_key.k", Some("arn"))]))
        );
    }

    #[test]
    fn key_suffix_escapes() {
        assert_eq!(key_suffix_str("orders-api"), "[\"orders-api\"]");
        assert_eq!(key_suffix_str("a\"b"), "[\"a\\\"b\"]");
    }
}
