//! Variable type constraints: converting a given value to the declared type, the way
//! Terraform does before the module sees it.
//!
//! What matters for access analysis is that modules written against `object({...})` types
//! with `optional(T, default)` attributes see those defaults (a module reading
//! `var.key.enable_default_policy` must not fail because the caller omitted it), and that
//! primitives convert (`"true"` to `true`, numbers to strings). Unknown values pass through.

use super::eval::Evaluator;
use super::syntax::{Expr, ObjKey};
use super::value::{format_number, Object, Value};
use std::collections::BTreeMap;
use std::rc::Rc;

/// Converts `v` to the type written as `ty`, applying optional-attribute defaults.
pub(crate) fn convert(ev: &mut Evaluator, v: Value, ty: &Expr, inst: usize) -> Value {
    if v.is_unknown() || matches!(v, Value::Null) {
        return v;
    }
    match ty {
        Expr::Var(name, _) => primitive(v, name),
        Expr::Lit(Value::String(name)) => primitive(v, name),
        Expr::Call(c) => {
            let arg = c.args.first();
            match (c.name.as_str(), arg) {
                ("list" | "set", Some(elem)) => match v {
                    Value::List(items) => {
                        let mut out: Vec<Value> = items
                            .iter()
                            .map(|x| convert(ev, x.clone(), elem, inst))
                            .collect();
                        if c.name == "set"
                            && out.len() <= 5_000
                            && out.iter().all(Value::is_wholly_known)
                        {
                            let mut seen: Vec<Value> = Vec::new();
                            out.retain(|x| {
                                if seen.iter().any(|s| s.equals(x) == Some(true)) {
                                    false
                                } else {
                                    seen.push(x.clone());
                                    true
                                }
                            });
                        }
                        Value::list(out)
                    }
                    other => other,
                },
                ("map", Some(elem)) => match v {
                    Value::Object(o) => Value::Object(Object {
                        fields: Rc::new(
                            o.fields
                                .iter()
                                .map(|(k, x)| (k.clone(), convert(ev, x.clone(), elem, inst)))
                                .collect(),
                        ),
                        ..o
                    }),
                    other => other,
                },
                ("object", Some(Expr::Object(attrs, _))) => match v {
                    Value::Object(o) => object(ev, o, attrs, inst),
                    other => other,
                },
                ("tuple", Some(Expr::Tuple(elems))) => match v {
                    Value::List(items) => Value::list(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, x)| match elems.get(i) {
                                Some(t) => convert(ev, x.clone(), t, inst),
                                None => x.clone(),
                            })
                            .collect(),
                    ),
                    other => other,
                },
                ("optional", Some(inner)) => convert(ev, v, inner, inst),
                _ => v,
            }
        }
        _ => v,
    }
}

fn primitive(v: Value, name: &str) -> Value {
    match (name, v) {
        ("string", Value::Number(n)) => Value::String(format_number(n)),
        ("string", Value::Bool(b)) => Value::String(b.to_string()),
        ("number", Value::String(s)) => match s.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => Value::Number(n),
            _ => Value::String(s),
        },
        ("bool", Value::String(s)) if s == "true" => Value::Bool(true),
        ("bool", Value::String(s)) if s == "false" => Value::Bool(false),
        (_, v) => v,
    }
}

fn object(ev: &mut Evaluator, o: Object, attrs: &[(ObjKey, Expr)], inst: usize) -> Value {
    let mut fields: BTreeMap<String, Value> = BTreeMap::new();
    let mut given = (*o.fields).clone();
    for (k, t) in attrs {
        let name = match k {
            ObjKey::Ident(n) => n.clone(),
            ObjKey::Expr(Expr::Lit(Value::String(n))) => n.clone(),
            ObjKey::Expr(Expr::Var(n, _)) => n.clone(),
            ObjKey::Expr(_) => continue,
        };
        let (inner, default) = match t {
            Expr::Call(c) if c.name == "optional" => (c.args.first(), c.args.get(1)),
            other => (Some(other), None),
        };
        let optional = matches!(t, Expr::Call(c) if c.name == "optional");
        let value = match given.remove(&name) {
            Some(Value::Null) | None if optional => match default {
                Some(d) => {
                    let dv = ev.eval_isolated(
                        d,
                        inst,
                        super::value::Pos::default(),
                        "optional attribute default",
                    );
                    Some(dv)
                }
                None => Some(Value::Null),
            },
            Some(x) => Some(x),
            None => None,
        };
        if let Some(x) = value {
            let x = match inner {
                Some(t) => convert(ev, x, t, inst),
                None => x,
            };
            fields.insert(name, x);
        }
    }
    Value::Object(Object {
        fields: Rc::new(fields),
        at: o.at,
        resource: o.resource,
        block: false,
    })
}
