//! Operators on values: attribute and index access, arithmetic, comparison and logic (three
//! valued: `false && unknown` is `false`), template assembly and the items a `for` iterates.

use super::{fail, plain, MAX_ITEMS, R};
use crate::model::Reference;
use crate::parse::tf_hcl::syntax::BinOp;
use crate::parse::tf_hcl::value::{Pos, Segment, Value};

pub(crate) fn push_lit(out: &mut Vec<Segment>, t: &str) {
    if let Some(Segment::Lit(last)) = out.last_mut() {
        last.push_str(t);
    } else {
        out.push(Segment::Lit(t.to_owned()));
    }
}

/// Appends an unknown part; adjacent unknown parts merge (so doubling templates over unknown
/// values stay small).
pub(crate) fn push_unknown(out: &mut Vec<Segment>, refs: Vec<crate::model::Reference>) {
    if let Some(Segment::Unknown(last)) = out.last_mut() {
        for r in refs {
            if last.len() < 16 && !last.contains(&r) {
                last.push(r);
            }
        }
    } else {
        out.push(Segment::Unknown(refs));
    }
}

/// Appends an interpolated value to a template result.
pub(crate) fn push_value(out: &mut Vec<Segment>, v: Value) -> R<()> {
    match v {
        Value::Partial(segs) => {
            for seg in segs {
                match seg {
                    Segment::Lit(t) => push_lit(out, &t),
                    Segment::Unknown(r) => push_unknown(out, r),
                }
            }
        }
        Value::Unknown(r) => push_unknown(out, r),
        other => match other.to_text() {
            Ok(Some(t)) => push_lit(out, &t),
            Ok(None) => push_unknown(out, other.refs()),
            Err(m) => return Err(plain(format!("cannot interpolate: {m}"))),
        },
    }
    Ok(())
}

/// The value of a template result: a string when every part is known.
pub(crate) fn segments_value(segs: Vec<Segment>) -> Value {
    if segs.iter().all(|s| matches!(s, Segment::Lit(_))) {
        let mut s = String::new();
        for seg in segs {
            if let Segment::Lit(t) = seg {
                s.push_str(&t);
            }
        }
        return Value::String(s);
    }
    Value::Partial(segs)
}

/// The (key, value) pairs a `for` iterates: list indexes or object keys. `Ok(None)` when the
/// collection is unknown.
pub(crate) fn iteration_items(v: &Value) -> Result<Option<Vec<(Value, Value)>>, String> {
    match v {
        Value::List(items) => {
            if items.len() > MAX_ITEMS {
                return Err(format!("collection has more than {MAX_ITEMS} elements"));
            }
            #[allow(clippy::cast_precision_loss)]
            Ok(Some(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| (Value::Number(i as f64), x.clone()))
                    .collect(),
            ))
        }
        Value::Object(o) => Ok(Some(
            o.fields
                .iter()
                .map(|(k, x)| (Value::String(k.clone()), x.clone()))
                .collect(),
        )),
        Value::Unknown(_) | Value::Partial(_) => Ok(None),
        Value::Null => Err("cannot iterate over null".into()),
        other => Err(format!("cannot iterate over a {}", other.type_name())),
    }
}

/// `v.name`.
pub(crate) fn get_attr(v: Value, name: &str, pos: Pos) -> R<Value> {
    match v {
        Value::Object(o) => match o.fields.get(name) {
            Some(x) => Ok(x.clone()),
            None => match o.resource {
                Some(addr) => Ok(Value::Unknown(vec![Reference::new(addr, Some(name))])),
                // An attribute a nested block does not set is computed at apply (or optional):
                // unknown, not an error.
                None if o.block => Ok(Value::Unknown(Vec::new())),
                None => fail(pos, format!("object has no attribute {name:?}")),
            },
        },
        Value::Unknown(refs) => Ok(Value::Unknown(refs)),
        p @ Value::Partial(_) => Ok(Value::unknown_from(&[&p])),
        Value::Null => fail(pos, format!("cannot read attribute {name:?} of null")),
        other => fail(
            pos,
            format!("cannot read attribute {name:?} of a {}", other.type_name()),
        ),
    }
}

/// `v[k]`.
pub(crate) fn index_value(v: Value, k: &Value, pos: Pos) -> R<Value> {
    if k.is_unknown() || v.is_unknown() {
        return Ok(Value::unknown_from(&[&v, k]));
    }
    match v {
        Value::List(items) => {
            let n = match k.to_number() {
                Ok(Some(n)) => n,
                _ => {
                    return fail(
                        pos,
                        format!("a list index must be a number, found {}", k.type_name()),
                    )
                }
            };
            #[allow(clippy::cast_precision_loss)]
            if n.fract() != 0.0 || n < 0.0 || n >= items.len() as f64 {
                return fail(
                    pos,
                    format!(
                        "index {} is out of range for a list of {} elements",
                        crate::parse::tf_hcl::value::format_number(n),
                        items.len()
                    ),
                );
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            Ok(items[n as usize].clone())
        }
        Value::Object(o) => {
            let key = match k.to_text() {
                Ok(Some(t)) => t,
                _ => return fail(pos, "an object key must be a string"),
            };
            match o.fields.get(&key) {
                Some(x) => Ok(x.clone()),
                None => match o.resource {
                    Some(addr) => Ok(Value::Unknown(vec![Reference::new(addr, Some(&key))])),
                    None => fail(pos, format!("no element with key {key:?}")),
                },
            }
        }
        Value::Null => fail(pos, "cannot index null"),
        other => fail(pos, format!("cannot index a {}", other.type_name())),
    }
}

pub(crate) fn binary(op: BinOp, l: &Value, r: &Value) -> R<Value> {
    match op {
        BinOp::And | BinOp::Or => {
            let a = l.to_bool().map_err(plain)?;
            let b = r.to_bool().map_err(plain)?;
            let res = match op {
                BinOp::And => match (a, b) {
                    (Some(false), _) | (_, Some(false)) => Some(false),
                    (Some(true), Some(true)) => Some(true),
                    _ => None,
                },
                _ => match (a, b) {
                    (Some(true), _) | (_, Some(true)) => Some(true),
                    (Some(false), Some(false)) => Some(false),
                    _ => None,
                },
            };
            Ok(res.map_or_else(|| Value::unknown_from(&[l, r]), Value::Bool))
        }
        BinOp::Eq | BinOp::NotEq => Ok(match l.equals(r) {
            Some(eq) => Value::Bool(eq == (op == BinOp::Eq)),
            None => Value::unknown_from(&[l, r]),
        }),
        _ => {
            let a = l.to_number().map_err(plain)?;
            let b = r.to_number().map_err(plain)?;
            let (Some(a), Some(b)) = (a, b) else {
                return Ok(Value::unknown_from(&[l, r]));
            };
            Ok(match op {
                BinOp::Less => Value::Bool(a < b),
                BinOp::LessEq => Value::Bool(a <= b),
                BinOp::Greater => Value::Bool(a > b),
                BinOp::GreaterEq => Value::Bool(a >= b),
                BinOp::Add => Value::Number(a + b),
                BinOp::Sub => Value::Number(a - b),
                BinOp::Mul => Value::Number(a * b),
                BinOp::Div => {
                    if b == 0.0 {
                        return Err(plain("division by zero"));
                    }
                    Value::Number(a / b)
                }
                BinOp::Mod => {
                    if b == 0.0 {
                        return Err(plain("modulo by zero"));
                    }
                    Value::Number(a % b)
                }
                BinOp::And | BinOp::Or | BinOp::Eq | BinOp::NotEq => Value::Null,
            })
        }
    }
}
