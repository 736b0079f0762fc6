//! The expression evaluator: literals, templates, operators, conditionals, `for` expressions,
//! traversals and splats, over [`Value`]s that may be unknown.
//!
//! hcl-rs ships an evaluator, but it has no notion of a value unknown until apply: an
//! unresolvable `aws_iam_role.app.arn` is an error there, and we need it to become a reference
//! that flows into the policy. So keyreach evaluates its own syntax tree. Three rules: an
//! unknown operand makes the result unknown (carrying the operand's references), never an
//! error; real errors (indexing past the end, a missing attribute) are [`EvalError`]s that
//! `try()`/`can()` catch and that otherwise become a note and an unknown value at the
//! definition; and every evaluation is bounded (steps, lazy-reference depth, collection and
//! string sizes) so hostile input cannot make keyreach loop or exhaust memory.

mod operators;
mod state;

use super::loader::{Input, ModuleDef};
use super::syntax::{Expr, Files, ForExpr, ObjKey, Op, Part, UnOp};
use super::value::{Object, Pos, Segment, Value};
pub(crate) use operators::{
    binary, get_attr, index_value, iteration_items, push_lit, push_unknown, push_value,
    segments_value,
};
pub(crate) use state::{Facts, Frame, FxHasher, FxMap, Inst, InstKey, Iter, Key, Scope};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::rc::Rc;

/// Most expression evaluations for one input.
pub(crate) const MAX_STEPS: u64 = 20_000_000;
/// Most nested lazy references (a local using a local using a module output ...).
pub(crate) const MAX_HOPS: u32 = 100;
/// Largest collection an expression may build.
pub(crate) const MAX_ITEMS: usize = 100_000;
/// Longest string an expression may build (bytes).
pub(crate) const MAX_STRING: usize = 1024 * 1024;
/// Largest value kept for a variable, local, attribute or output (nodes).
pub(crate) const MAX_VALUE_NODES: usize = 200_000;

/// An evaluation error: Terraform would refuse the configuration here.
#[derive(Debug, Clone)]
pub(crate) struct EvalError {
    pub msg: String,
    pub pos: Option<Pos>,
}

pub(crate) type R<T> = Result<T, EvalError>;

pub(crate) fn fail<T>(pos: Pos, msg: impl Into<String>) -> R<T> {
    Err(EvalError {
        msg: msg.into(),
        pos: Some(pos),
    })
}

/// The evaluator for one input (root module and its tree).
pub(crate) struct Evaluator {
    pub files: Files,
    pub defs: Vec<Rc<ModuleDef>>,
    pub insts: Vec<Inst>,
    pub children: FxMap<(usize, usize, InstKey), usize>,
    pub root_inputs: HashMap<String, (Input, Pos)>,
    pub facts: Facts,
    pub notes: Vec<(Pos, String)>,
    memo: FxMap<Key, Rc<Value>>,
    active: HashSet<Key, std::hash::BuildHasherDefault<FxHasher>>,
    steps: u64,
    hops: u32,
    budget_noted: bool,
    pub(crate) in_templatefile: bool,
}

impl Evaluator {
    pub(crate) fn new(
        files: Files,
        defs: Vec<Rc<ModuleDef>>,
        root: usize,
        root_inputs: HashMap<String, (Input, Pos)>,
        facts: Facts,
    ) -> Self {
        Self {
            files,
            defs,
            insts: vec![Inst {
                def: Some(root),
                prefix: String::new(),
                parent: None,
                iter: None,
                depth: 0,
            }],
            children: FxMap::default(),
            root_inputs,
            facts,
            notes: Vec::new(),
            memo: FxMap::default(),
            active: HashSet::default(),
            steps: 0,
            hops: 0,
            budget_noted: false,
            in_templatefile: false,
        }
    }

    pub(crate) fn note(&mut self, pos: Pos, msg: impl Into<String>) {
        self.notes.push((pos, msg.into()));
    }

    /// Notes an evaluation error at its place (or `at`) and returns an unknown value.
    pub(crate) fn recover(&mut self, r: R<Value>, at: Pos, what: impl std::fmt::Display) -> Value {
        match r {
            Ok(v) => v,
            Err(e) => {
                let pos = e.pos.unwrap_or(at);
                self.note(
                    pos,
                    format!("{what}: {}; keyreach treats the value as unknown", e.msg),
                );
                Value::unknown()
            }
        }
    }

    pub(crate) fn def_of(&self, inst: usize) -> Option<Rc<ModuleDef>> {
        let d = self.insts.get(inst)?.def?;
        self.defs.get(d).cloned()
    }

    /// The memoised value of a key, if computed.
    pub(crate) fn memo_get(&self, key: &Key) -> Option<Rc<Value>> {
        self.memo.get(key).cloned()
    }

    /// Runs `f` once per key, with cycle and depth protection; the result is shared.
    pub(crate) fn memo(
        &mut self,
        key: Key,
        pos: Pos,
        what: &str,
        f: impl FnOnce(&mut Self) -> Value,
    ) -> Rc<Value> {
        if let Some(v) = self.memo.get(&key) {
            return v.clone();
        }
        if self.active.contains(&key) {
            self.note(
                pos,
                format!("{what} depends on itself (a cycle); it is treated as unknown"),
            );
            return Rc::new(Value::unknown());
        }
        if self.hops >= MAX_HOPS {
            self.note(
                pos,
                format!("{what}: references nest more than {MAX_HOPS} levels deep; it is treated as unknown"),
            );
            return Rc::new(Value::unknown());
        }
        self.active.insert(key.clone());
        self.hops += 1;
        let mut v = f(self);
        self.hops -= 1;
        self.active.remove(&key);
        if v.size_at_most(MAX_VALUE_NODES) >= MAX_VALUE_NODES {
            self.note(
                pos,
                format!("{what} is larger than keyreach evaluates; it is treated as unknown"),
            );
            v = Value::unknown();
        }
        let rc = Rc::new(v);
        self.memo.insert(key, rc.clone());
        rc
    }

    fn tick(&mut self) -> bool {
        self.steps += 1;
        if self.steps > MAX_STEPS || super::value::work_exhausted() {
            if !self.budget_noted {
                self.budget_noted = true;
                self.note(
                    Pos::default(),
                    format!("evaluation stopped after {MAX_STEPS} steps; remaining values are treated as unknown"),
                );
            }
            return false;
        }
        true
    }

    /// Evaluates an expression.
    pub(crate) fn eval(&mut self, e: &Expr, s: &Scope<'_>) -> R<Value> {
        if !self.tick() {
            return Ok(Value::unknown());
        }
        match e {
            Expr::Lit(v) => Ok(v.clone()),
            Expr::Template(parts) => {
                let mut segs = Vec::new();
                self.template_into(parts, s, &mut segs)?;
                Ok(segments_value(segs))
            }
            Expr::Tuple(items) => {
                let mut out = Vec::with_capacity(items.len());
                for i in items {
                    out.push(self.eval(i, s)?);
                }
                Ok(Value::list(out))
            }
            Expr::Object(items, pos) => {
                let mut fields = BTreeMap::new();
                for (k, v) in items {
                    let key = match k {
                        ObjKey::Ident(n) => n.clone(),
                        ObjKey::Expr(x) => {
                            let kv = self.eval(x, s)?;
                            match kv.to_text() {
                                Ok(Some(t)) => t,
                                Ok(None) => return Ok(Value::unknown_from(&[&kv])),
                                Err(m) => return fail(*pos, format!("invalid object key: {m}")),
                            }
                        }
                    };
                    let value = self.eval(v, s)?;
                    fields.insert(key, value);
                }
                Ok(Value::Object(Object {
                    fields: Rc::new(fields),
                    at: Some(*pos),
                    resource: None,
                    block: false,
                }))
            }
            Expr::Var(name, pos) => self.resolve(name, &[], s, *pos),
            Expr::Traversal(root, ops, pos) => match root.as_ref() {
                Expr::Var(name, _) => self.resolve(name, ops, s, *pos),
                other => {
                    let v = self.eval(other, s)?;
                    self.apply_ops(v, ops, s, *pos)
                }
            },
            Expr::Call(c) => self.call(c, s),
            Expr::Cond(b) => {
                let c = self.eval(&b.0, s)?;
                match c.to_bool() {
                    Ok(Some(true)) => self.eval(&b.1, s),
                    Ok(Some(false)) => self.eval(&b.2, s),
                    Ok(None) => {
                        let t = self.eval(&b.1, s);
                        let f = self.eval(&b.2, s);
                        match (t, f) {
                            (Ok(t), Ok(f)) => {
                                if t.equals(&f) == Some(true) {
                                    return Ok(t);
                                }
                                Ok(Value::unknown_from(&[&t, &f, &c]))
                            }
                            (Ok(v), Err(_)) | (Err(_), Ok(v)) => Ok(Value::unknown_from(&[&v, &c])),
                            (Err(e), Err(_)) => Err(e),
                        }
                    }
                    Err(m) => Err(EvalError {
                        msg: format!("condition: {m}"),
                        pos: None,
                    }),
                }
            }
            Expr::Unary(op, x) => {
                let v = self.eval(x, s)?;
                match op {
                    UnOp::Neg => match v.to_number() {
                        Ok(Some(n)) => Ok(Value::Number(-n)),
                        Ok(None) => Ok(Value::unknown_from(&[&v])),
                        Err(m) => Err(plain(m)),
                    },
                    UnOp::Not => match v.to_bool() {
                        Ok(Some(b)) => Ok(Value::Bool(!b)),
                        Ok(None) => Ok(Value::unknown_from(&[&v])),
                        Err(m) => Err(plain(m)),
                    },
                }
            }
            Expr::Binary(op, b) => {
                let l = self.eval(&b.0, s)?;
                let r = self.eval(&b.1, s)?;
                binary(*op, &l, &r)
            }
            Expr::For(f) => self.eval_for(f, s),
            Expr::Invalid(msg, pos) => {
                self.note(*pos, format!("{msg}; keyreach treats the value as unknown"));
                Ok(Value::unknown())
            }
        }
    }

    fn template_into(&mut self, parts: &[Part], s: &Scope<'_>, out: &mut Vec<Segment>) -> R<()> {
        for p in parts {
            match p {
                Part::Lit(t) => push_lit(out, t),
                Part::Interp(e) => {
                    let v = self.eval(e, s)?;
                    push_value(out, v)?;
                }
                Part::If(c, a, b) => {
                    let cv = self.eval(c, s)?;
                    match cv.to_bool() {
                        Ok(Some(true)) => self.template_into(a, s, out)?,
                        Ok(Some(false)) => self.template_into(b, s, out)?,
                        Ok(None) => push_unknown(out, cv.refs()),
                        Err(m) => return Err(plain(m)),
                    }
                }
                Part::For {
                    key_var,
                    value_var,
                    coll,
                    body,
                } => {
                    let cv = self.eval(coll, s)?;
                    let Some(items) = iteration_items(&cv).map_err(plain)? else {
                        push_unknown(out, cv.refs());
                        continue;
                    };
                    for (k, v) in items {
                        let kf = Frame {
                            name: key_var.as_deref().unwrap_or(""),
                            value: k,
                            next: s.frame,
                        };
                        let vf = Frame {
                            name: value_var,
                            value: v,
                            next: Some(&kf),
                        };
                        let inner = s.with_frame(&vf);
                        self.template_into(body, &inner, out)?;
                    }
                }
            }
            let len: usize = out
                .iter()
                .map(|s| match s {
                    Segment::Lit(t) => t.len(),
                    Segment::Unknown(_) => 1,
                })
                .sum();
            if len > MAX_STRING {
                return Err(plain(format!(
                    "template result is longer than {MAX_STRING} bytes"
                )));
            }
        }
        Ok(())
    }

    fn eval_for(&mut self, f: &ForExpr, s: &Scope<'_>) -> R<Value> {
        let coll = self.eval(&f.coll, s)?;
        let Some(items) = iteration_items(&coll).map_err(plain)? else {
            return Ok(Value::unknown_from(&[&coll]));
        };
        let mut list = Vec::new();
        let mut map: BTreeMap<String, Value> = BTreeMap::new();
        for (k, v) in items {
            let kf = Frame {
                name: f.key_var.as_deref().unwrap_or(""),
                value: k,
                next: s.frame,
            };
            let vf = Frame {
                name: &f.value_var,
                value: v,
                next: Some(&kf),
            };
            let inner = s.with_frame(&vf);
            if let Some(c) = &f.cond {
                let cv = self.eval(c, &inner)?;
                match cv.to_bool() {
                    Ok(Some(true)) => {}
                    Ok(Some(false)) => continue,
                    Ok(None) => return Ok(Value::unknown_from(&[&cv, &coll])),
                    Err(m) => return Err(plain(format!("for condition: {m}"))),
                }
            }
            let value = self.eval(&f.value, &inner)?;
            match &f.key {
                None => list.push(value),
                Some(ke) => {
                    let kv = self.eval(ke, &inner)?;
                    let key = match kv.to_text() {
                        Ok(Some(t)) => t,
                        Ok(None) => return Ok(Value::unknown_from(&[&kv, &value])),
                        Err(m) => return Err(plain(format!("for key: {m}"))),
                    };
                    if f.grouping {
                        match map.entry(key).or_insert_with(|| Value::list(Vec::new())) {
                            Value::List(l) => Rc::make_mut(l).push(value),
                            other => *other = Value::list(vec![value]),
                        }
                    } else {
                        match map.entry(key) {
                            std::collections::btree_map::Entry::Occupied(e) => {
                                return Err(plain(format!(
                                    "duplicate key {:?} in for expression (use ... to group)",
                                    e.key()
                                )));
                            }
                            std::collections::btree_map::Entry::Vacant(e) => {
                                e.insert(value);
                            }
                        }
                    }
                }
            }
        }
        Ok(match f.key {
            None => Value::list(list),
            Some(_) => Value::object(map),
        })
    }

    /// Applies traversal steps to a value.
    pub(crate) fn apply_ops(
        &mut self,
        mut v: Value,
        ops: &[Op],
        s: &Scope<'_>,
        pos: Pos,
    ) -> R<Value> {
        let mut i = 0;
        while i < ops.len() {
            match &ops[i] {
                Op::Attr(name) => v = get_attr(v, name, pos)?,
                Op::Index(e) => {
                    let k = self.eval(e, s)?;
                    v = index_value(v, &k, pos)?;
                }
                Op::FullSplat => return self.splat(v, &ops[i + 1..], s, pos),
                Op::AttrSplat => {
                    let j = attr_run_end(ops, i + 1);
                    v = self.splat(v, &ops[i + 1..j], s, pos)?;
                    i = j;
                    continue;
                }
            }
            i += 1;
        }
        Ok(v)
    }

    fn splat(&mut self, v: Value, rest: &[Op], s: &Scope<'_>, pos: Pos) -> R<Value> {
        match v {
            Value::List(items) => {
                let mut out = Vec::with_capacity(items.len());
                for x in items.iter() {
                    out.push(self.apply_ops(x.clone(), rest, s, pos)?);
                }
                Ok(Value::list(out))
            }
            Value::Null => Ok(Value::list(Vec::new())),
            u @ (Value::Unknown(_) | Value::Partial(_)) => Ok(Value::unknown_from(&[&u])),
            other => Ok(Value::list(vec![self.apply_ops(other, rest, s, pos)?])),
        }
    }

    /// Applies traversal steps to a shared value, cloning only what the steps select.
    pub(crate) fn apply_rc(
        &mut self,
        v: &Rc<Value>,
        ops: &[Op],
        s: &Scope<'_>,
        pos: Pos,
    ) -> R<Value> {
        let mut cur: &Value = v;
        let mut i = 0;
        while i < ops.len() {
            match &ops[i] {
                Op::Attr(n) => {
                    if let Value::Object(o) = cur {
                        if let Some(x) = o.fields.get(n) {
                            cur = x;
                            i += 1;
                            continue;
                        }
                    }
                    break;
                }
                Op::Index(e) => {
                    let k = self.eval(e, s)?;
                    let hit = match (cur, &k) {
                        (Value::List(items), Value::Number(n)) if n.fract() == 0.0 && *n >= 0.0 =>
                        {
                            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                            items.get(*n as usize)
                        }
                        (Value::Object(o), Value::String(key)) => o.fields.get(key),
                        _ => None,
                    };
                    match hit {
                        Some(x) => {
                            cur = x;
                            i += 1;
                        }
                        None => {
                            let after = index_value(cur.clone(), &k, pos)?;
                            return self.apply_ops(after, &ops[i + 1..], s, pos);
                        }
                    }
                }
                _ => break,
            }
        }
        let owned = cur.clone();
        self.apply_ops(owned, &ops[i..], s, pos)
    }
}

pub(crate) fn attr_run_end(ops: &[Op], from: usize) -> usize {
    let mut j = from;
    while matches!(ops.get(j), Some(Op::Attr(_))) {
        j += 1;
    }
    j
}

pub(crate) fn plain(msg: impl Into<String>) -> EvalError {
    EvalError {
        msg: msg.into(),
        pos: None,
    }
}
