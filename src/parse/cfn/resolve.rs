//! The resolver: intrinsic functions evaluated against parameters, conditions, resources and
//! the other templates of the command line.
//!
//! `Ref` and `Fn::GetAtt` to a resource give the value when the template decides it (an IAM
//! role with a known `RoleName` and a known account has a known ARN, see [`super::attrs`]), and
//! otherwise `Unknown` with a [`Reference`](crate::model::Reference) to the resource's id (`Ref`
//! with no attribute, `Fn::GetAtt` with the attribute name), so the engine can link keys,
//! principals and stores by reference. `Fn::Sub`/`Fn::Join` over such values build partial
//! strings that keep the references. An `Fn::If` whose condition the input does not decide
//! keeps both branches ([`RVal::Either`]) unless they agree.
//!
//! A malformed intrinsic, or a reference to something the template does not declare, is an
//! [`InputError`] at the line of the expression; the value becomes unknown and the rest of the
//! template is still analysed.

use super::fasthash::FastMap;
use super::load::UNKNOWN_TAG;
use super::rval::{concat, RVal};
use super::sam::UNKNOWN;
use super::stacks::{Instance, Template};
use crate::error::{pointer_token, InputError};
use crate::model::{Location, Note};
use crate::parse::LoadOptions;
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// How many resolutions of other resources, outputs or parameters may nest (a chain of
/// resources whose names derive from each other). Deeper chains give unknown values.
pub(crate) const MAX_CHAIN: u32 = 48;

/// A JSON pointer built lazily while walking (rendered only for errors and locations).
#[derive(Clone, Copy)]
pub(crate) enum Path<'p> {
    /// A pointer given as text.
    Root(&'p str),
    /// A mapping member.
    Key(&'p Path<'p>, &'p str),
    /// A list item.
    Idx(&'p Path<'p>, usize),
}

impl Path<'_> {
    /// The pointer text.
    pub(crate) fn render(&self) -> String {
        match self {
            Path::Root(s) => (*s).to_owned(),
            Path::Key(p, k) => format!("{}/{}", p.render(), pointer_token(k)),
            Path::Idx(p, i) => format!("{}/{i}", p.render()),
        }
    }
}

/// Export name -> (instance, output key).
pub(crate) type Exports = BTreeMap<String, (usize, String)>;

/// Three-valued truth of a template condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Truth {
    True,
    False,
    Unknown,
}

/// Everything the resolver needs, plus its caches and the messages it collects.
pub(crate) struct Ctx<'a> {
    pub templates: &'a [Template],
    pub instances: &'a [Instance],
    pub opts: &'a LoadOptions,
    /// Values from `--parameter` and parameter files (apply to top-level instances).
    pub cli_params: &'a BTreeMap<String, String>,
    /// Resource ids per instance, once assigned (before that, plain logical ids).
    pub ids: Option<Vec<FastMap<String, String>>>,
    /// Per instance: condition name -> truth.
    pub(super) conditions: RefCell<Vec<FastMap<String, Truth>>>,
    /// What is being resolved right now (cycle guard): kind, instance, name.
    pub(super) active: RefCell<Vec<(u8, usize, String)>>,
    /// Per instance: parameter name -> value.
    pub(super) params: RefCell<Vec<FastMap<String, RVal>>>,
    /// Per instance: logical id -> resolved properties.
    pub(super) props: RefCell<Vec<FastMap<String, Rc<RVal>>>>,
    pub(super) exports: RefCell<Option<Rc<Exports>>>,
    pub(super) building_exports: Cell<bool>,
    pub(super) chain: Cell<u32>,
    pub(super) errors: RefCell<BTreeSet<InputError>>,
    pub(super) notes: RefCell<BTreeSet<Note>>,
}

impl<'a> Ctx<'a> {
    /// A resolver over loaded templates and their instances.
    pub(crate) fn new(
        templates: &'a [Template],
        instances: &'a [Instance],
        opts: &'a LoadOptions,
        cli_params: &'a BTreeMap<String, String>,
    ) -> Self {
        Self {
            templates,
            instances,
            opts,
            cli_params,
            ids: None,
            conditions: RefCell::new(vec![FastMap::default(); instances.len()]),
            active: RefCell::default(),
            params: RefCell::new(vec![FastMap::default(); instances.len()]),
            props: RefCell::new(vec![FastMap::default(); instances.len()]),
            exports: RefCell::default(),
            building_exports: Cell::new(false),
            chain: Cell::new(0),
            errors: RefCell::default(),
            notes: RefCell::default(),
        }
    }

    /// The template of an instance.
    pub(crate) fn template(&self, inst: usize) -> &'a Template {
        &self.templates[self.instances[inst].template]
    }

    /// The id of a resource of an instance.
    pub(crate) fn id_of(&self, inst: usize, logical: &str) -> String {
        self.ids
            .as_ref()
            .and_then(|ids| ids.get(inst))
            .and_then(|m| m.get(logical).cloned())
            .unwrap_or_else(|| logical.to_owned())
    }

    /// Records an input error at a pointer of an instance's template.
    pub(crate) fn error(&self, inst: usize, pointer: &str, message: impl Into<String>) {
        let t = self.template(inst);
        let mut e = InputError::new(&t.display, message);
        e.line = t.exact_line(pointer);
        e.pointer = Some(t.source_pointer(pointer));
        self.errors.borrow_mut().insert(e);
    }

    /// Records a note at a pointer of an instance's template.
    pub(crate) fn note(&self, inst: usize, pointer: &str, message: impl Into<String>) {
        let t = self.template(inst);
        let location = Location {
            file: t.display.clone(),
            line: t.line(pointer),
            column: None,
            pointer: Some(t.source_pointer(pointer)),
        };
        self.notes.borrow_mut().insert(Note {
            location,
            message: message.into(),
        });
    }

    /// Runs `f` one level deeper in a chain of cross-resource resolutions, guarding cycles.
    /// Returns `None` when `what` is already being resolved (a cycle) or the chain is too deep.
    pub(crate) fn nested<T>(&self, what: (u8, usize, &str), f: impl FnOnce() -> T) -> Option<T> {
        let busy = self
            .active
            .borrow()
            .iter()
            .any(|(k, i, n)| *k == what.0 && *i == what.1 && n == what.2);
        if self.chain.get() >= MAX_CHAIN || busy {
            return None;
        }
        self.active
            .borrow_mut()
            .push((what.0, what.1, what.2.to_owned()));
        self.chain.set(self.chain.get() + 1);
        let out = f();
        self.chain.set(self.chain.get() - 1);
        self.active.borrow_mut().pop();
        Some(out)
    }

    /// The resolved `Properties` of a resource (cached).
    pub(crate) fn props(&self, inst: usize, logical: &str) -> Rc<RVal> {
        if let Some(p) = self.props.borrow().get(inst).and_then(|m| m.get(logical)) {
            return Rc::clone(p);
        }
        let t = self.template(inst);
        let Some(raw) = t.resource(logical).and_then(|r| r.get("Properties")) else {
            return Rc::new(RVal::Map(BTreeMap::new()));
        };
        let base = format!("/Resources/{}/Properties", pointer_token(logical));
        let resolved = self.nested((0, inst, logical), || {
            self.resolve(inst, raw, &Path::Root(&base))
        });
        match resolved {
            Some(v) => {
                let v = Rc::new(v);
                if let Some(m) = self.props.borrow_mut().get_mut(inst) {
                    m.insert(logical.to_owned(), Rc::clone(&v));
                }
                v
            }
            None => Rc::new(RVal::unknown()),
        }
    }

    /// Resolves a template value in an instance.
    pub(crate) fn resolve(&self, inst: usize, v: &Value, at: &Path) -> RVal {
        match v {
            Value::Null => RVal::Null,
            Value::Bool(b) => RVal::Bool(*b),
            Value::Number(n) => RVal::Num(n.clone()),
            Value::String(s) => RVal::Str(s.clone()),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match self.resolve(inst, item, &Path::Idx(at, i)) {
                        RVal::NoValue => {}
                        r => out.push(r),
                    }
                }
                RVal::List(out)
            }
            Value::Object(m) => {
                if m.len() == 1 {
                    if let Some((k, arg)) = m.iter().next() {
                        if k == "Ref" || k.starts_with("Fn::") || k == UNKNOWN_TAG || k == UNKNOWN {
                            return self.intrinsic(inst, k, arg, &Path::Key(at, k));
                        }
                    }
                }
                let mut out = BTreeMap::new();
                for (k, item) in m {
                    match self.resolve(inst, item, &Path::Key(at, k)) {
                        RVal::NoValue => {}
                        r => {
                            out.insert(k.clone(), r);
                        }
                    }
                }
                RVal::Map(out)
            }
        }
    }

    fn intrinsic(&self, inst: usize, name: &str, arg: &Value, at: &Path) -> RVal {
        match name {
            "Ref" => match arg {
                Value::String(s) => self.ref_name(inst, s, at),
                _ => self.bad(inst, at, "Ref takes the name of a parameter or resource"),
            },
            "Fn::GetAtt" => self.get_att(inst, arg, at),
            "Fn::Sub" => self.sub(inst, arg, at),
            "Fn::Join" => self.join(inst, arg, at),
            "Fn::Select" => self.select(inst, arg, at),
            "Fn::Split" => self.split(inst, arg, at),
            "Fn::FindInMap" => self.find_in_map(inst, arg, at),
            "Fn::ImportValue" => {
                let name = self.resolve(inst, arg, at);
                self.import_value(inst, &name, at)
            }
            "Fn::If" => self.fn_if(inst, arg, at),
            "Fn::Base64" => match self.resolve(inst, arg, at) {
                RVal::Str(s) => RVal::Str(base64(s.as_bytes())),
                other => other.to_unknown(),
            },
            "Fn::Length" => match self.resolve(inst, arg, at) {
                RVal::List(items) => RVal::Num(items.len().into()),
                other => other.to_unknown(),
            },
            "Fn::ToJsonString" => {
                let v = self.resolve(inst, arg, at);
                if v.is_known() {
                    RVal::Str(v.to_json().to_string())
                } else {
                    v.to_unknown()
                }
            }
            "Fn::GetAZs" | "Fn::Cidr" => {
                let _ = self.resolve(inst, arg, at);
                RVal::unknown()
            }
            "Fn::Transform" => {
                self.note(
                    inst,
                    &at.render(),
                    "Fn::Transform runs a macro at deploy time; its result is treated as unknown",
                );
                RVal::unknown()
            }
            "Fn::Equals"
            | "Fn::And"
            | "Fn::Or"
            | "Fn::Not"
            | "Fn::Contains"
            | "Fn::EachMemberEquals"
            | "Fn::EachMemberIn"
            | "Fn::RefAll"
            | "Fn::ValueOf"
            | "Fn::ValueOfAll" => RVal::unknown(),
            UNKNOWN => RVal::unknown(),
            UNKNOWN_TAG => {
                let tag = arg.get(0).and_then(Value::as_str).unwrap_or("?").to_owned();
                if tag.starts_with("!Rain::") {
                    // Directives of the `rain` CLI, replaced when it packages the template.
                    let at = match at {
                        Path::Key(parent, _) => parent,
                        other => other,
                    };
                    self.note(
                        inst,
                        &at.render(),
                        format!("`{tag}` is a rain directive (run `rain pkg` first); its value is treated as unknown"),
                    );
                    return RVal::unknown();
                }
                // Report at the tagged value itself, not at keyreach's marker key.
                let at = match at {
                    Path::Key(parent, _) => parent,
                    other => other,
                };
                self.bad(
                    inst,
                    at,
                    format!("unknown YAML tag `{tag}` (CloudFormation knows !Ref, !GetAtt, !Sub, !Join, !If, …)"),
                )
            }
            other => self.bad(inst, at, format!("unknown intrinsic function `{other}`")),
        }
    }

    /// Records an error for a malformed expression and gives an unknown value.
    pub(crate) fn bad(&self, inst: usize, at: &Path, message: impl Into<String>) -> RVal {
        self.error(inst, &at.render(), message);
        RVal::unknown()
    }

    /// `Ref` to a pseudo parameter, parameter or resource.
    pub(crate) fn ref_name(&self, inst: usize, name: &str, at: &Path) -> RVal {
        if let Some(v) = self.pseudo(inst, name, at) {
            return v;
        }
        if let Some(v) = self.param(inst, name) {
            return v;
        }
        if self.template(inst).resource(name).is_some() {
            return self.attr(inst, name, None);
        }
        self.bad(
            inst,
            at,
            format!(
                "Ref to `{name}`, which is neither a parameter nor a resource of this template"
            ),
        )
    }

    fn get_att(&self, inst: usize, arg: &Value, at: &Path) -> RVal {
        let (res, attr) = match arg {
            Value::Array(items) if items.len() == 2 => {
                let Some(res) = items[0].as_str() else {
                    return self.bad(inst, at, "Fn::GetAtt takes [LogicalId, Attribute]");
                };
                let attr = match self.resolve(inst, &items[1], &Path::Idx(at, 1)) {
                    RVal::Str(s) => Some(s),
                    _ => None,
                };
                (res.to_owned(), attr)
            }
            Value::String(s) => match s.split_once('.') {
                Some((r, a)) => (r.to_owned(), Some(a.to_owned())),
                None => return self.bad(inst, at, "Fn::GetAtt takes LogicalId.Attribute"),
            },
            _ => return self.bad(inst, at, "Fn::GetAtt takes [LogicalId, Attribute]"),
        };
        if self.template(inst).resource(&res).is_none() {
            return self.bad(
                inst,
                at,
                format!("Fn::GetAtt names `{res}`, which is not a resource of this template"),
            );
        }
        match attr {
            Some(a) => self.attr(inst, &res, Some(&a)),
            None => RVal::reference(&self.id_of(inst, &res), None),
        }
    }

    fn sub(&self, inst: usize, arg: &Value, at: &Path) -> RVal {
        let (text, vars) = match arg {
            Value::String(s) => (s.as_str(), None),
            Value::Array(items) if items.len() == 2 => match (&items[0], &items[1]) {
                (Value::String(s), Value::Object(m)) => (s.as_str(), Some(m)),
                _ => {
                    return self.bad(
                        inst,
                        at,
                        "Fn::Sub takes a string or [string, {variable: value}]",
                    )
                }
            },
            _ => {
                return self.bad(
                    inst,
                    at,
                    "Fn::Sub takes a string or [string, {variable: value}]",
                )
            }
        };
        let vars_at = Path::Idx(at, 1);
        let mut parts: Vec<RVal> = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("${") {
            parts.push(RVal::Str(rest[..start].to_owned()));
            let after = &rest[start + 2..];
            let Some(end) = after.find('}') else {
                parts.push(RVal::Str(rest[start..].to_owned()));
                rest = "";
                break;
            };
            let name = &after[..end];
            rest = &after[end + 1..];
            if let Some(lit) = name.strip_prefix('!') {
                parts.push(RVal::Str(format!("${{{lit}}}")));
                continue;
            }
            let name = name.trim();
            if let Some(v) = vars.and_then(|m| m.get(name)) {
                parts.push(self.resolve(inst, v, &Path::Key(&vars_at, name)));
                continue;
            }
            if self.pseudo_known(name) || self.param_declared(inst, name) {
                parts.push(self.ref_name(inst, name, at));
                continue;
            }
            if self.template(inst).resource(name).is_some() {
                parts.push(self.attr(inst, name, None));
                continue;
            }
            if let Some((res, attr)) = name.split_once('.') {
                if self.template(inst).resource(res).is_some() {
                    parts.push(self.attr(inst, res, Some(attr)));
                    continue;
                }
            }
            parts.push(self.bad(
                inst,
                at,
                format!("Fn::Sub variable `${{{name}}}` names no parameter, resource or variable"),
            ));
        }
        parts.push(RVal::Str(rest.to_owned()));
        concat(parts)
    }

    fn join(&self, inst: usize, arg: &Value, at: &Path) -> RVal {
        let Value::Array(items) = arg else {
            return self.bad(inst, at, "Fn::Join takes [delimiter, [values]]");
        };
        let [delim, list] = items.as_slice() else {
            return self.bad(inst, at, "Fn::Join takes [delimiter, [values]]");
        };
        let Some(delim) = delim.as_str() else {
            return self.bad(inst, at, "the Fn::Join delimiter must be a string");
        };
        match self.resolve(inst, list, &Path::Idx(at, 1)) {
            RVal::List(values) => {
                let mut parts = Vec::with_capacity(values.len() * 2);
                for (i, v) in values.into_iter().enumerate() {
                    if i > 0 {
                        parts.push(RVal::Str(delim.to_owned()));
                    }
                    match v {
                        RVal::List(_) | RVal::Map(_) => {
                            return self.bad(inst, at, "Fn::Join values must be strings")
                        }
                        v => parts.push(v),
                    }
                }
                concat(parts)
            }
            other @ (RVal::Unknown(_) | RVal::Either(_) | RVal::Partial(_)) => other.to_unknown(),
            _ => self.bad(inst, at, "Fn::Join takes [delimiter, [values]]"),
        }
    }

    fn select(&self, inst: usize, arg: &Value, at: &Path) -> RVal {
        let Value::Array(items) = arg else {
            return self.bad(inst, at, "Fn::Select takes [index, [values]]");
        };
        let [index, list] = items.as_slice() else {
            return self.bad(inst, at, "Fn::Select takes [index, [values]]");
        };
        let index = self.resolve(inst, index, &Path::Idx(at, 0));
        let list = self.resolve(inst, list, &Path::Idx(at, 1));
        let i = match &index {
            RVal::Num(n) => n.as_u64().and_then(|n| usize::try_from(n).ok()),
            RVal::Str(s) => s.trim().parse::<usize>().ok(),
            _ => return list.to_unknown(),
        };
        let Some(i) = i else {
            return self.bad(
                inst,
                at,
                "the Fn::Select index must be a non-negative integer",
            );
        };
        match list {
            RVal::List(mut values) => {
                if i < values.len() {
                    values.swap_remove(i)
                } else {
                    self.bad(
                        inst,
                        at,
                        format!(
                            "Fn::Select index {i} is out of range ({} values)",
                            values.len()
                        ),
                    )
                }
            }
            other @ (RVal::Unknown(_) | RVal::Either(_) | RVal::Partial(_)) => other.to_unknown(),
            _ => self.bad(inst, at, "Fn::Select takes [index, [values]]"),
        }
    }

    fn split(&self, inst: usize, arg: &Value, at: &Path) -> RVal {
        let Value::Array(items) = arg else {
            return self.bad(inst, at, "Fn::Split takes [delimiter, string]");
        };
        let [delim, source] = items.as_slice() else {
            return self.bad(inst, at, "Fn::Split takes [delimiter, string]");
        };
        let Some(delim) = delim.as_str().filter(|d| !d.is_empty()) else {
            return self.bad(
                inst,
                at,
                "the Fn::Split delimiter must be a non-empty string",
            );
        };
        match self.resolve(inst, source, &Path::Idx(at, 1)) {
            RVal::Str(s) => RVal::List(s.split(delim).map(|p| RVal::Str(p.to_owned())).collect()),
            other @ (RVal::Unknown(_) | RVal::Either(_) | RVal::Partial(_)) => other.to_unknown(),
            _ => self.bad(inst, at, "Fn::Split takes [delimiter, string]"),
        }
    }

    fn find_in_map(&self, inst: usize, arg: &Value, at: &Path) -> RVal {
        let Value::Array(items) = arg else {
            return self.bad(inst, at, "Fn::FindInMap takes [MapName, TopKey, SecondKey]");
        };
        if !(items.len() == 3 || items.len() == 4) {
            return self.bad(inst, at, "Fn::FindInMap takes [MapName, TopKey, SecondKey]");
        }
        let default = items.get(3).map(|d| match d.get("DefaultValue") {
            Some(v) => self.resolve(inst, v, &Path::Idx(at, 3)),
            None => self.bad(
                inst,
                at,
                "the fourth Fn::FindInMap argument must be {DefaultValue: …}",
            ),
        });
        let mut keys = Vec::with_capacity(3);
        for (i, k) in items.iter().take(3).enumerate() {
            match self.resolve(inst, k, &Path::Idx(at, i)) {
                v @ (RVal::Str(_) | RVal::Num(_) | RVal::Bool(_)) => {
                    keys.push(v.scalar_str().unwrap_or_default());
                }
                other => {
                    let mut refs = other.refs();
                    if let Some(d) = &default {
                        refs.extend(d.refs());
                    }
                    return RVal::Unknown(refs);
                }
            }
        }
        let found = self
            .template(inst)
            .root
            .get("Mappings")
            .and_then(|m| m.get(&keys[0]))
            .and_then(|m| m.get(&keys[1]))
            .and_then(|m| m.get(&keys[2]));
        match (found, default) {
            (Some(v), _) => RVal::from_json(v),
            (None, Some(d)) => d,
            (None, None) => self.bad(
                inst,
                at,
                format!(
                    "Fn::FindInMap: mapping `{}` has no entry `{}`/`{}`",
                    keys[0], keys[1], keys[2]
                ),
            ),
        }
    }

    fn fn_if(&self, inst: usize, arg: &Value, at: &Path) -> RVal {
        let Value::Array(items) = arg else {
            return self.bad(
                inst,
                at,
                "Fn::If takes [ConditionName, ValueIfTrue, ValueIfFalse]",
            );
        };
        let [cond, then, other] = items.as_slice() else {
            return self.bad(
                inst,
                at,
                "Fn::If takes [ConditionName, ValueIfTrue, ValueIfFalse]",
            );
        };
        let Some(cond) = cond.as_str() else {
            return self.bad(inst, at, "the Fn::If condition must be a condition name");
        };
        match self.condition(inst, cond, at) {
            Truth::True => self.resolve(inst, then, &Path::Idx(at, 1)),
            Truth::False => self.resolve(inst, other, &Path::Idx(at, 2)),
            Truth::Unknown => RVal::either(
                cond,
                self.resolve(inst, then, &Path::Idx(at, 1)),
                self.resolve(inst, other, &Path::Idx(at, 2)),
            ),
        }
    }

    /// The resolved values, to be dropped elsewhere.
    pub(crate) fn into_caches(self) -> impl Send {
        // Rc is not Send: unwrap what is uniquely owned, leak nothing.
        let props = self.props.into_inner();
        let mut values: Vec<RVal> = Vec::new();
        for m in props {
            for (_, v) in m {
                if let Ok(v) = Rc::try_unwrap(v) {
                    values.push(v);
                }
            }
        }
        values
    }

    /// Moves collected errors and notes out.
    pub(crate) fn take_messages(&self) -> (Vec<InputError>, Vec<Note>) {
        (
            std::mem::take(&mut *self.errors.borrow_mut())
                .into_iter()
                .collect(),
            std::mem::take(&mut *self.notes.borrow_mut())
                .into_iter()
                .collect(),
        )
    }
}

/// Standard base64 with padding (`Fn::Base64`).
fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(char::from(T[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
