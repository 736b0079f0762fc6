//! Resources and data sources as values: `count`/`for_each` expansion into instances with
//! Terraform's addresses, selection of instances by traversal (`[key]`, `[*]`), and the lazy,
//! memoised evaluation of each instance's arguments and nested blocks (`dynamic` included).
//!
//! An attribute the configuration does not set is known only after apply and reads as a
//! reference to the resource instance (`aws_iam_role.app.arn`), except for the few that are
//! deterministic (see [`super::computed`]).

use super::eval::{attr_run_end, fail, Evaluator, Frame, InstKey, Iter, Key, Scope, R};
use super::loader::{Mode, ResourceBlock};
use super::syntax::{Body, Expr, Op};
use super::value::{Object, Pos, Value};
use super::{computed, policy};
use std::collections::BTreeMap;
use std::rc::Rc;

/// Most instances of one resource or module call.
pub(crate) const MAX_INSTANCES: usize = 10_000;

impl Evaluator {
    /// The address of a resource instance.
    pub(crate) fn address(&self, inst: usize, r: &ResourceBlock, key: &InstKey) -> String {
        let prefix = self.insts.get(inst).map_or("", |i| i.prefix.as_str());
        let data = if r.mode == Mode::Data { "data." } else { "" };
        format!("{prefix}{data}{}.{}{}", r.type_name, r.name, key.suffix())
    }

    /// `count`/`for_each` of a resource: `Null` (single), a number, an object of each values,
    /// or unknown.
    pub(crate) fn expansion(&mut self, inst: usize, ri: usize) -> Rc<Value> {
        let Some(def) = self.def_of(inst) else {
            return Rc::new(Value::Null);
        };
        let Some(r) = def.resources.get(ri) else {
            return Rc::new(Value::Null);
        };
        if let Some(v) = self.memo_get(&Key::Expand(inst, ri)) {
            return v;
        }
        let what = format!(
            "count/for_each of {}",
            self.address(inst, r, &InstKey::None)
        );
        self.memo(Key::Expand(inst, ri), r.pos, &what, |ev| {
            ev.expand(
                r.count.as_ref(),
                r.for_each.as_ref(),
                &Scope::module(inst),
                r.pos,
                &what,
            )
        })
    }

    pub(crate) fn expand(
        &mut self,
        count: Option<&Expr>,
        for_each: Option<&Expr>,
        s: &Scope<'_>,
        pos: Pos,
        what: &str,
    ) -> Value {
        if let Some(c) = count {
            let r = self.eval(c, s);
            let v = self.recover(r, pos, what);
            return match v.to_number() {
                Ok(Some(n)) if n >= 0.0 && n.fract() == 0.0 => {
                    #[allow(clippy::cast_precision_loss)]
                    if n > MAX_INSTANCES as f64 {
                        self.note(
                            pos,
                            format!(
                                "{what} is {n}; keyreach reads the first {MAX_INSTANCES} instances"
                            ),
                        );
                        #[allow(clippy::cast_precision_loss)]
                        return Value::Number(MAX_INSTANCES as f64);
                    }
                    Value::Number(n)
                }
                Ok(None) => {
                    self.note(pos, format!("{what} is not known before apply; keyreach analyses one instance `[*]` standing for all of them"));
                    Value::unknown_from(&[&v])
                }
                _ => {
                    self.note(pos, format!("{what}: count must be a whole non-negative number; keyreach analyses one instance `[*]`"));
                    Value::unknown()
                }
            };
        }
        let Some(fe) = for_each else {
            return Value::Null;
        };
        let r = self.eval(fe, s);
        let v = self.recover(r, pos, what);
        let mut out = BTreeMap::new();
        let unknown = |ev: &mut Evaluator, v: &Value| {
            ev.note(pos, format!("{what} is not known before apply; keyreach analyses one instance `[*]` standing for all of them"));
            Value::unknown_from(&[v])
        };
        match &v {
            Value::Object(o) => {
                for (k, x) in o.fields.iter() {
                    out.insert(k.clone(), x.clone());
                }
            }
            Value::List(items) => {
                for x in items.iter() {
                    match x.to_text() {
                        Ok(Some(t)) => {
                            out.insert(t.clone(), Value::String(t));
                        }
                        Ok(None) => return unknown(self, &v),
                        Err(_) => {
                            self.note(pos, format!("{what}: for_each needs a map or a set of strings; keyreach analyses one instance `[*]`"));
                            return Value::unknown();
                        }
                    }
                }
            }
            Value::Unknown(_) | Value::Partial(_) => return unknown(self, &v),
            _ => {
                self.note(pos, format!("{what}: for_each needs a map or a set of strings; keyreach analyses one instance `[*]`"));
                return Value::unknown();
            }
        }
        if out.len() > MAX_INSTANCES {
            self.note(
                pos,
                format!(
                    "{what} has {} instances; keyreach reads the first {MAX_INSTANCES}",
                    out.len()
                ),
            );
            out = out.into_iter().take(MAX_INSTANCES).collect();
        }
        Value::object(out)
    }

    /// The instance keys and iteration values of an expansion.
    pub(crate) fn instance_keys(exp: &Value) -> Vec<(InstKey, Option<Rc<Iter>>)> {
        match exp {
            Value::Null => vec![(InstKey::None, None)],
            Value::Number(n) => {
                #[allow(clippy::cast_possible_truncation)]
                let n = *n as i64;
                (0..n)
                    .map(|i| {
                        #[allow(clippy::cast_precision_loss)]
                        (
                            InstKey::Int(i),
                            Some(Rc::new(Iter::Count(Value::Number(i as f64)))),
                        )
                    })
                    .collect()
            }
            Value::Object(o) => o
                .fields
                .iter()
                .map(|(k, v)| {
                    (
                        InstKey::Str(k.clone()),
                        Some(Rc::new(Iter::Each(Value::String(k.clone()), v.clone()))),
                    )
                })
                .collect(),
            _ => vec![(
                InstKey::Unknown,
                Some(Rc::new(Iter::Each(Value::unknown(), Value::unknown()))),
            )],
        }
    }

    pub(crate) fn iter_for(exp: &Value, key: &InstKey) -> Option<Rc<Iter>> {
        match (exp, key) {
            #[allow(clippy::cast_precision_loss)]
            (Value::Number(_), InstKey::Int(i)) => {
                Some(Rc::new(Iter::Count(Value::Number(*i as f64))))
            }
            (Value::Object(o), InstKey::Str(k)) => Some(Rc::new(Iter::Each(
                Value::String(k.clone()),
                o.fields.get(k).cloned().unwrap_or(Value::Null),
            ))),
            (Value::Null, _) => None,
            _ => Some(Rc::new(Iter::Each(Value::unknown(), Value::unknown()))),
        }
    }

    pub(crate) fn resolve_resource(
        &mut self,
        s: &Scope<'_>,
        mode: Mode,
        ty: &str,
        name: &str,
        ops: &[Op],
        pos: Pos,
    ) -> R<Value> {
        let Some(def) = self.def_of(s.inst) else {
            return Ok(Value::unknown());
        };
        let Some(&ri) = def.res_index.get(&(mode, ty.to_owned(), name.to_owned())) else {
            let kind = if mode == Mode::Data {
                "data source"
            } else {
                "resource"
            };
            let prefix = if mode == Mode::Data { "data." } else { "" };
            return fail(
                pos,
                format!("reference to undeclared {kind} {prefix}{ty}.{name}"),
            );
        };
        let exp = self.expansion(s.inst, ri);
        let r = &def.resources[ri];
        self.select_instances(
            &exp,
            ops,
            s,
            pos,
            &|ev, key| ev.address(s.inst, r, key),
            &mut |ev, key, rest, s| ev.resolve_instance(s.inst, ri, key, rest, s, pos),
        )
    }

    /// Applies the instance-selecting step (`[key]`, `[*]`) of a reference to something with
    /// `count`/`for_each`, then `f` to each selected instance with the remaining steps.
    #[allow(clippy::type_complexity)]
    pub(crate) fn select_instances(
        &mut self,
        exp: &Value,
        ops: &[Op],
        s: &Scope<'_>,
        pos: Pos,
        address: &dyn Fn(&Evaluator, &InstKey) -> String,
        f: &mut dyn FnMut(&mut Evaluator, &InstKey, &[Op], &Scope<'_>) -> R<Value>,
    ) -> R<Value> {
        let attr_after = |ops: &[Op]| match ops.first() {
            Some(Op::Attr(a)) => Some(a.clone()),
            _ => None,
        };
        match exp {
            Value::Null => f(self, &InstKey::None, ops, s),
            Value::Number(_) | Value::Object(_) => {
                let keys: Vec<InstKey> = match ops.first() {
                    Some(Op::Index(_)) => Vec::new(),
                    _ => expansion_keys(exp),
                };
                match ops.first() {
                    Some(Op::Index(e)) => {
                        let k = self.eval(e, s)?;
                        if k.is_unknown() {
                            let attr = attr_after(&ops[1..]);
                            let refs = expansion_keys(exp)
                                .iter()
                                .take(16)
                                .map(|key| crate::model::Reference::new(address(self, key), attr.as_deref()))
                                .collect();
                            return Ok(Value::Unknown(refs));
                        }
                        let key = match exp {
                            Value::Number(n) => match k.to_number() {
                                #[allow(clippy::cast_possible_truncation)]
                                Ok(Some(i)) if i.fract() == 0.0 && i >= 0.0 && i < *n => InstKey::Int(i as i64),
                                _ => {
                                    return fail(pos, format!("index {} is out of range: there are {n} instances", k.to_text().ok().flatten().unwrap_or_default()));
                                }
                            },
                            _ => match k.to_text() {
                                Ok(Some(t)) if exp.get(&t).is_some() => InstKey::Str(t),
                                _ => {
                                    return fail(pos, format!("no instance with key {}", k.to_text().ok().flatten().unwrap_or_default()));
                                }
                            },
                        };
                        f(self, &key, &ops[1..], s)
                    }
                    Some(Op::FullSplat) => {
                        let mut out = Vec::new();
                        for key in &keys {
                            out.push(f(self, key, &ops[1..], s)?);
                        }
                        Ok(Value::list(out))
                    }
                    Some(Op::AttrSplat) => {
                        let j = attr_run_end(ops, 1);
                        let mut out = Vec::new();
                        for key in &keys {
                            out.push(f(self, key, &ops[1..j], s)?);
                        }
                        self.apply_ops(Value::list(out), &ops[j..], s, pos)
                    }
                    Some(Op::Attr(a)) => fail(pos, format!("this has count or for_each: select an instance before reading {a:?} (e.g. [0] or [\"key\"])")),
                    None => {
                        let mut list = Vec::new();
                        let mut map = BTreeMap::new();
                        for key in &keys {
                            let v = f(self, key, &[], s)?;
                            match key {
                                InstKey::Str(k) => {
                                    map.insert(k.clone(), v);
                                }
                                _ => list.push(v),
                            }
                        }
                        Ok(match exp {
                            Value::Number(_) => Value::list(list),
                            _ => Value::object(map),
                        })
                    }
                }
            }
            _ => {
                let rest = match ops.first() {
                    Some(Op::Index(_) | Op::FullSplat | Op::AttrSplat) => &ops[1..],
                    _ => ops,
                };
                let attr = attr_after(rest);
                Ok(Value::Unknown(vec![crate::model::Reference::new(
                    address(self, &InstKey::Unknown),
                    attr.as_deref(),
                )]))
            }
        }
    }

    fn resolve_instance(
        &mut self,
        inst: usize,
        ri: usize,
        key: &InstKey,
        ops: &[Op],
        s: &Scope<'_>,
        pos: Pos,
    ) -> R<Value> {
        match ops.first() {
            Some(Op::Attr(a)) => {
                let v = self.resource_attr(inst, ri, key, a);
                self.apply_rc(&v, &ops[1..], s, pos)
            }
            _ => {
                let obj = self.instance_object(inst, ri, key);
                self.apply_ops(obj, ops, s, pos)
            }
        }
    }

    /// The scope a resource instance's arguments are evaluated in.
    pub(crate) fn instance_scope(
        &mut self,
        inst: usize,
        ri: usize,
        key: &InstKey,
    ) -> Scope<'static> {
        let exp = self.expansion(inst, ri);
        Scope {
            inst,
            iter: Self::iter_for(&exp, key),
            frame: None,
            vars: None,
            isolated: false,
        }
    }

    /// One attribute (or nested block type) of a resource instance.
    pub(crate) fn resource_attr(
        &mut self,
        inst: usize,
        ri: usize,
        key: &InstKey,
        attr: &str,
    ) -> Rc<Value> {
        let Some(def) = self.def_of(inst) else {
            return Rc::new(Value::unknown());
        };
        let Some(r) = def.resources.get(ri) else {
            return Rc::new(Value::unknown());
        };
        let memo_key = Key::Attr(inst, ri, key.clone(), attr.to_owned());
        if let Some(v) = self.memo_get(&memo_key) {
            return v;
        }
        let addr = self.address(inst, r, key);
        let what = format!("{addr}.{attr}");
        self.memo(memo_key, r.pos, &what, |ev| {
            let s = ev.instance_scope(inst, ri, key);
            if let Some(v) = computed::data_attr(ev, inst, ri, key, r, attr, &addr) {
                return v;
            }
            let configured = r.body.attr(attr).map(|a| {
                let res = ev.eval(&a.expr, &s);
                ev.recover(res, a.pos, &what)
            });
            if body_has_blocks(&r.body, attr) {
                let blocks = ev.eval_blocks(&r.body, attr, &s);
                return merge_blocks(configured, blocks);
            }
            if let Some(v) = configured {
                return v;
            }
            computed::derived_attr(ev, inst, ri, key, r, attr, &addr)
                .unwrap_or_else(|| Value::reference(&addr, Some(attr)))
        })
    }

    /// Every attribute the configuration sets on a resource instance (and the computed ones
    /// keyreach derives), as an object whose other attributes read as references.
    pub(crate) fn instance_object(&mut self, inst: usize, ri: usize, key: &InstKey) -> Value {
        let Some(def) = self.def_of(inst) else {
            return Value::unknown();
        };
        let Some(r) = def.resources.get(ri) else {
            return Value::unknown();
        };
        let mut names: Vec<String> = r.body.attrs.iter().map(|a| a.name.clone()).collect();
        names.extend(block_kinds(&r.body));
        names.extend(computed::extra_attrs(r).iter().map(|s| (*s).to_owned()));
        names.sort();
        names.dedup();
        let mut fields = BTreeMap::new();
        for n in names {
            let v = self.resource_attr(inst, ri, key, &n);
            fields.insert(n, (*v).clone());
        }
        Value::Object(Object {
            fields: Rc::new(fields),
            at: Some(r.pos),
            resource: Some(self.address(inst, r, key)),
            block: false,
        })
    }

    /// Every block of type `kind` in a body (static and `dynamic`), as a list of objects. A
    /// `dynamic` block over an unknown collection adds an unknown element: there may be more
    /// blocks than the source shows.
    pub(crate) fn eval_blocks(&mut self, body: &Body, kind: &str, s: &Scope<'_>) -> Value {
        let mut out = Vec::new();
        for b in &body.blocks {
            if b.kind == kind {
                out.push(self.eval_body(&b.body, s, Some(b.pos)));
            } else if b.kind == "dynamic" && b.labels.first().map(String::as_str) == Some(kind) {
                let iter_name = match b.body.attr("iterator").map(|a| &a.expr) {
                    Some(Expr::Var(n, _)) => n.clone(),
                    Some(Expr::Lit(Value::String(n))) => n.clone(),
                    _ => kind.to_owned(),
                };
                let Some(content) = b.body.blocks.iter().find(|c| c.kind == "content") else {
                    continue;
                };
                let coll = match b.body.attr("for_each") {
                    Some(a) => {
                        let r = self.eval(&a.expr, s);
                        self.recover(r, a.pos, format_args!("for_each of dynamic \"{kind}\""))
                    }
                    None => Value::unknown(),
                };
                match super::eval::iteration_items(&coll) {
                    Ok(Some(items)) => {
                        for (k, v) in items {
                            let mut fields = BTreeMap::new();
                            fields.insert("key".to_owned(), k);
                            fields.insert("value".to_owned(), v);
                            let frame = Frame {
                                name: &iter_name,
                                value: Value::object(fields),
                                next: s.frame,
                            };
                            let inner = s.with_frame(&frame);
                            out.push(self.eval_body(&content.body, &inner, Some(content.pos)));
                        }
                    }
                    Ok(None) => out.push(Value::unknown_from(&[&coll])),
                    Err(m) => {
                        self.note(
                            b.pos,
                            format!(
                                "dynamic \"{kind}\": {m}; keyreach treats its blocks as unknown"
                            ),
                        );
                        out.push(Value::unknown());
                    }
                }
            }
        }
        Value::list(out)
    }

    /// A block body as an object: attributes, and nested blocks as lists.
    pub(crate) fn eval_body(&mut self, body: &Body, s: &Scope<'_>, at: Option<Pos>) -> Value {
        let mut fields = BTreeMap::new();
        for a in &body.attrs {
            let r = self.eval(&a.expr, s);
            let v = self.recover(r, a.pos, format_args!("attribute {:?}", a.name));
            fields.insert(a.name.clone(), v);
        }
        for k in block_kinds(body) {
            let v = self.eval_blocks(body, &k, s);
            let v = merge_blocks(fields.remove(&k), v);
            fields.insert(k, v);
        }
        Value::Object(Object {
            fields: Rc::new(fields),
            at,
            resource: None,
            block: true,
        })
    }

    /// The policy document of a `data "aws_iam_policy_document"` instance, in IAM JSON shape.
    pub(crate) fn policy_document_json(&mut self, inst: usize, ri: usize, key: &InstKey) -> Value {
        let Some(def) = self.def_of(inst) else {
            return Value::unknown();
        };
        let Some(r) = def.resources.get(ri) else {
            return Value::unknown();
        };
        let mut fields = BTreeMap::new();
        let mut names: Vec<String> = r.body.attrs.iter().map(|a| a.name.clone()).collect();
        names.extend(block_kinds(&r.body));
        for n in names {
            if n == "json" || n == "minified_json" {
                continue;
            }
            let v = self.resource_attr(inst, ri, key, &n);
            fields.insert(n, (*v).clone());
        }
        let body = Value::Object(Object {
            fields: Rc::new(fields),
            at: Some(r.pos),
            resource: None,
            block: false,
        });
        Value::Json(Box::new(policy::document_tree(&body)))
    }
}

/// Types of nested blocks (static and `dynamic`) in a body, in first-seen order.
pub(crate) fn block_kinds(body: &Body) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for b in &body.blocks {
        let k = if b.kind == "dynamic" {
            match b.labels.first() {
                Some(l) => l.clone(),
                None => continue,
            }
        } else {
            b.kind.clone()
        };
        if !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// The instance keys of an expansion, without their iteration values.
pub(crate) fn expansion_keys(exp: &Value) -> Vec<InstKey> {
    match exp {
        Value::Null => vec![InstKey::None],
        #[allow(clippy::cast_possible_truncation)]
        Value::Number(n) => (0..*n as i64).map(InstKey::Int).collect(),
        Value::Object(o) => o.fields.keys().map(|k| InstKey::Str(k.clone())).collect(),
        _ => vec![InstKey::Unknown],
    }
}

/// JSON syntax can give blocks of one type both as an attribute (a list of objects) and as
/// `dynamic` blocks: the attribute's blocks come first.
pub(crate) fn merge_blocks(attr: Option<Value>, blocks: Value) -> Value {
    match (attr, blocks) {
        (None, b) => b,
        (Some(Value::List(a)), Value::List(b)) => {
            let mut out = (*a).clone();
            out.extend(b.iter().cloned());
            Value::list(out)
        }
        (Some(other), Value::List(b)) => {
            let mut out = vec![other];
            out.extend(b.iter().cloned());
            Value::list(out)
        }
        (Some(a), _) => a,
    }
}

pub(crate) fn body_has_blocks(body: &Body, kind: &str) -> bool {
    body.blocks.iter().any(|b| {
        b.kind == kind
            || (b.kind == "dynamic" && b.labels.first().map(String::as_str) == Some(kind))
    })
}
