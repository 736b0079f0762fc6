//! Collection, type-conversion and encoding functions.
//!
//! Most of these keep what is known when some elements are unknown: `length` of a list with
//! unknown elements is known, `distinct`/`compact`/`toset` keep unknown elements in place,
//! `merge` of known objects with unknown attribute values is a known object, and `jsonencode`
//! keeps the structure ([`Value::Json`]) so a policy built with it is still read statement by
//! statement. Where an unknown makes the shape itself unknown (`concat` of an unknown list,
//! `flatten` of an unknown element) the result is unknown with the references.

use super::{arg, num_arg, string_items, text_arg, Outcome};
use crate::parse::tf_hcl::eval::MAX_ITEMS;
use crate::parse::tf_hcl::value::Value;
use std::collections::BTreeMap;

/// Marks a name this module does not implement.
const UNSUPPORTED: &str = "\u{0}unsupported";

/// Functions in this module that handle unknown arguments themselves.
pub(crate) fn handles_unknown(name: &str) -> bool {
    matches!(
        name,
        "jsonencode"
            | "jsondecode"
            | "length"
            | "keys"
            | "values"
            | "merge"
            | "concat"
            | "flatten"
            | "distinct"
            | "toset"
            | "tolist"
            | "tomap"
            | "lookup"
            | "element"
            | "coalesce"
            | "coalescelist"
            | "compact"
            | "contains"
            | "zipmap"
            | "one"
            | "tostring"
            | "sensitive"
            | "nonsensitive"
            | "ephemeralasnull"
            | "sort"
            | "reverse"
            | "setunion"
            | "slice"
    )
}

fn unknown(args: &[Value]) -> Value {
    Value::unknown_from(&args.iter().collect::<Vec<_>>())
}

fn list(v: &Value) -> Result<Option<&Vec<Value>>, String> {
    match v {
        Value::List(items) => Ok(Some(items)),
        v if v.is_unknown() => Ok(None),
        other => Err(format!("a list is required, found {}", other.type_name())),
    }
}

fn check_size(items: &[Value]) -> Result<(), String> {
    if items.len() > MAX_ITEMS {
        Err(format!("result has more than {MAX_ITEMS} elements"))
    } else {
        Ok(())
    }
}

/// Calls a collection function.
#[allow(clippy::too_many_lines)]
pub(crate) fn call(name: &str, args: &[Value]) -> Outcome {
    let r: Result<Value, String> = (|| match name {
        "jsonencode" => Ok(Value::Json(Box::new(arg(args, 0)?.clone()))),
        "jsondecode" => jsondecode(arg(args, 0)?),
        "length" => match arg(args, 0)? {
            Value::List(items) => Ok(len(items.len())),
            Value::Object(o) => Ok(len(o.fields.len())),
            Value::String(s) => Ok(len(s.chars().count())),
            v @ Value::Json(inner) => match v.to_text()? {
                Some(t) => Ok(len(t.chars().count())),
                None => Ok(Value::unknown_from(&[inner])),
            },
            v if v.is_unknown() => Ok(unknown(args)),
            other => Err(format!("cannot take the length of {}", other.type_name())),
        },
        "keys" => match arg(args, 0)? {
            Value::Object(o) => Ok(Value::list(
                o.fields.keys().map(|k| Value::String(k.clone())).collect(),
            )),
            v if v.is_unknown() => Ok(unknown(args)),
            other => Err(format!(
                "keys() needs a map or object, found {}",
                other.type_name()
            )),
        },
        "values" => match arg(args, 0)? {
            Value::Object(o) => Ok(Value::list(o.fields.values().cloned().collect())),
            v if v.is_unknown() => Ok(unknown(args)),
            other => Err(format!(
                "values() needs a map or object, found {}",
                other.type_name()
            )),
        },
        "merge" => {
            let mut fields = BTreeMap::new();
            for a in args {
                match a {
                    Value::Null => {}
                    Value::Object(o) => {
                        for (k, v) in o.fields.iter() {
                            fields.insert(k.clone(), v.clone());
                        }
                    }
                    v if v.is_unknown() => return Ok(unknown(args)),
                    other => {
                        return Err(format!(
                            "merge() needs maps or objects, found {}",
                            other.type_name()
                        ))
                    }
                }
            }
            Ok(Value::object(fields))
        }
        "concat" => {
            let mut out = Vec::new();
            for a in args {
                match list(a)? {
                    Some(items) => out.extend(items.iter().cloned()),
                    None => return Ok(unknown(args)),
                }
                check_size(&out)?;
            }
            Ok(Value::list(out))
        }
        "flatten" => {
            let mut out = Vec::new();
            if !flatten_into(arg(args, 0)?, &mut out, 0)? {
                return Ok(unknown(args));
            }
            Ok(Value::list(out))
        }
        "distinct" | "toset" => {
            let Some(items) = list(arg(args, 0)?)? else {
                return Ok(unknown(args));
            };
            let mut out: Vec<Value> = Vec::new();
            dedup_into(&mut out, items)?;
            if name == "toset" && out.iter().all(|v| matches!(v, Value::String(_))) {
                out.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            }
            Ok(Value::list(out))
        }
        "tolist" => match arg(args, 0)? {
            v @ Value::List(_) => Ok(v.clone()),
            v if v.is_unknown() => Ok(v.clone()),
            Value::Null => Ok(Value::Null),
            other => Err(format!("cannot convert {} to a list", other.type_name())),
        },
        "tomap" => match arg(args, 0)? {
            v @ (Value::Object(_) | Value::Null) => Ok(v.clone()),
            v if v.is_unknown() => Ok(v.clone()),
            other => Err(format!("cannot convert {} to a map", other.type_name())),
        },
        "tostring" => match arg(args, 0)? {
            Value::Null => Ok(Value::Null),
            v @ (Value::Unknown(_) | Value::Partial(_)) => Ok(v.clone()),
            v => v
                .to_text()?
                .map(Value::String)
                .ok_or_else(|| "unknown".into()),
        },
        "tonumber" => match arg(args, 0)? {
            Value::Null => Ok(Value::Null),
            v => v
                .to_number()?
                .map(Value::Number)
                .ok_or_else(|| "unknown".into()),
        },
        "tobool" => match arg(args, 0)? {
            Value::Null => Ok(Value::Null),
            v => v
                .to_bool()?
                .map(Value::Bool)
                .ok_or_else(|| "unknown".into()),
        },
        "sensitive" | "nonsensitive" | "ephemeralasnull" => Ok(arg(args, 0)?.clone()),
        "lookup" => {
            let map = arg(args, 0)?;
            let key = arg(args, 1)?;
            if map.is_unknown() || key.is_unknown() {
                return Ok(unknown(args));
            }
            let Value::Object(o) = map else {
                return Err(format!("lookup() needs a map, found {}", map.type_name()));
            };
            let k = key.to_text()?.unwrap_or_default();
            match (o.fields.get(&k), args.get(2)) {
                (Some(v), _) => Ok(v.clone()),
                (None, Some(d)) => Ok(d.clone()),
                (None, None) => Err(format!("no key {k:?} in the map")),
            }
        }
        "element" => {
            let Some(items) = list(arg(args, 0)?)? else {
                return Ok(unknown(args));
            };
            let i = arg(args, 1)?;
            let Some(n) = i.to_number()? else {
                return Ok(unknown(args));
            };
            if items.is_empty() {
                return Err("cannot use element() on an empty list".into());
            }
            if n < 0.0 {
                return Err("index must not be negative".into());
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let idx = (n as usize) % items.len();
            Ok(items[idx].clone())
        }
        "coalesce" => {
            for a in args {
                match a {
                    Value::Null => {}
                    Value::String(s) if s.is_empty() => {}
                    v if v.is_unknown() => return Ok(unknown(args)),
                    v => return Ok(v.clone()),
                }
            }
            Err("no non-null, non-empty argument".into())
        }
        "coalescelist" => {
            for a in args {
                if matches!(a, Value::Null) {
                    continue;
                }
                match list(a)? {
                    Some(items) if items.is_empty() => {}
                    Some(_) => return Ok(a.clone()),
                    None => return Ok(unknown(args)),
                }
            }
            Ok(Value::list(Vec::new()))
        }
        "compact" => {
            let Some(items) = list(arg(args, 0)?)? else {
                return Ok(unknown(args));
            };
            Ok(Value::list(
                items
                    .iter()
                    .filter(|x| {
                        !matches!(x, Value::Null) && !matches!(x, Value::String(s) if s.is_empty())
                    })
                    .cloned()
                    .collect(),
            ))
        }
        "contains" => {
            let Some(items) = list(arg(args, 0)?)? else {
                return Ok(unknown(args));
            };
            let needle = arg(args, 1)?;
            let mut undecided = false;
            for x in items {
                match x.equals(needle) {
                    Some(true) => return Ok(Value::Bool(true)),
                    None => undecided = true,
                    Some(false) => {}
                }
            }
            Ok(if undecided {
                unknown(args)
            } else {
                Value::Bool(false)
            })
        }
        "zipmap" => {
            let (Some(ks), Some(vs)) = (list(arg(args, 0)?)?, list(arg(args, 1)?)?) else {
                return Ok(unknown(args));
            };
            if ks.len() != vs.len() {
                return Err("keys and values must have the same length".into());
            }
            let mut fields = BTreeMap::new();
            for (k, v) in ks.iter().zip(vs) {
                match k.to_text()? {
                    Some(t) => {
                        fields.insert(t, v.clone());
                    }
                    None => return Ok(unknown(args)),
                }
            }
            Ok(Value::object(fields))
        }
        "one" => {
            let Some(items) = list(arg(args, 0)?)? else {
                return Ok(unknown(args));
            };
            match items.len() {
                0 => Ok(Value::Null),
                1 => Ok(items[0].clone()),
                n => Err(format!("one() needs at most one element, found {n}")),
            }
        }
        "sort" => {
            let Some(items) = list(arg(args, 0)?)? else {
                return Ok(unknown(args));
            };
            let (mut known, unknowns): (Vec<Value>, Vec<Value>) =
                items.iter().cloned().partition(|v| !v.is_unknown());
            let mut texts = Vec::with_capacity(known.len());
            for v in &known {
                texts.push(v.to_text()?.unwrap_or_default());
            }
            let mut idx: Vec<usize> = (0..known.len()).collect();
            idx.sort_by(|a, b| texts[*a].cmp(&texts[*b]));
            known = idx
                .into_iter()
                .map(|i| Value::String(texts[i].clone()))
                .collect();
            known.extend(unknowns);
            Ok(Value::list(known))
        }
        "reverse" => match list(arg(args, 0)?)? {
            Some(items) => Ok(Value::list(items.iter().rev().cloned().collect())),
            None => Ok(unknown(args)),
        },
        "setunion" => {
            let mut out: Vec<Value> = Vec::new();
            for a in args {
                let Some(items) = list(a)? else {
                    return Ok(unknown(args));
                };
                dedup_into(&mut out, items)?;
                check_size(&out)?;
            }
            Ok(Value::list(out))
        }
        "slice" => {
            let Some(items) = list(arg(args, 0)?)? else {
                return Ok(unknown(args));
            };
            let (Some(a), Some(b)) = (arg(args, 1)?.to_number()?, arg(args, 2)?.to_number()?)
            else {
                return Ok(unknown(args));
            };
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let (a, b) = (a as usize, b as usize);
            if a > b || b > items.len() {
                return Err(format!(
                    "slice({a}, {b}) is out of range for {} elements",
                    items.len()
                ));
            }
            Ok(Value::list(items[a..b].to_vec()))
        }
        // Wholly known arguments from here on.
        "index" => {
            let items = list(arg(args, 0)?)?.cloned().unwrap_or_default();
            let needle = arg(args, 1)?;
            items
                .iter()
                .position(|x| x.equals(needle) == Some(true))
                .map(len)
                .ok_or_else(|| "item not found".into())
        }
        "range" => range(args),
        "setintersection" => {
            let mut sets = args
                .iter()
                .map(|a| list(a).map(|l| l.cloned().unwrap_or_default()));
            let mut out = sets.next().transpose()?.unwrap_or_default();
            for s in sets {
                let s = s?;
                out.retain(|x| s.iter().any(|y| y.equals(x) == Some(true)));
            }
            Ok(Value::list(out))
        }
        "setsubtract" => {
            let a = list(arg(args, 0)?)?.cloned().unwrap_or_default();
            let b = list(arg(args, 1)?)?.cloned().unwrap_or_default();
            Ok(Value::list(
                a.into_iter()
                    .filter(|x| !b.iter().any(|y| y.equals(x) == Some(true)))
                    .collect(),
            ))
        }
        "setproduct" => {
            let mut acc: Vec<Vec<Value>> = vec![Vec::new()];
            for a in args {
                let items = list(a)?.cloned().unwrap_or_default();
                let mut next = Vec::new();
                for prefix in &acc {
                    for x in &items {
                        let mut p = prefix.clone();
                        p.push(x.clone());
                        next.push(p);
                        if next.len() > MAX_ITEMS {
                            return Err(format!("result has more than {MAX_ITEMS} elements"));
                        }
                    }
                }
                acc = next;
            }
            Ok(Value::list(acc.into_iter().map(Value::list).collect()))
        }
        "chunklist" => {
            let items = list(arg(args, 0)?)?.cloned().unwrap_or_default();
            let n = num_arg(args, 1)?;
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let n = n as usize;
            if n == 0 {
                return Ok(Value::list(vec![Value::list(items)]));
            }
            Ok(Value::list(
                items.chunks(n).map(|c| Value::list(c.to_vec())).collect(),
            ))
        }
        "transpose" => {
            let Value::Object(o) = arg(args, 0)? else {
                return Err("transpose() needs a map of lists".into());
            };
            let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
            for (k, v) in o.fields.iter() {
                for s in string_items(v)? {
                    out.entry(s).or_default().push(Value::String(k.clone()));
                }
            }
            Ok(Value::object(
                out.into_iter().map(|(k, v)| (k, Value::list(v))).collect(),
            ))
        }
        "matchkeys" => {
            let vals = list(arg(args, 0)?)?.cloned().unwrap_or_default();
            let keys = list(arg(args, 1)?)?.cloned().unwrap_or_default();
            let search = list(arg(args, 2)?)?.cloned().unwrap_or_default();
            if vals.len() != keys.len() {
                return Err("values and keys must have the same length".into());
            }
            Ok(Value::list(
                vals.into_iter()
                    .zip(keys)
                    .filter(|(_, k)| search.iter().any(|s| s.equals(k) == Some(true)))
                    .map(|(v, _)| v)
                    .collect(),
            ))
        }
        "alltrue" | "anytrue" => {
            let items = list(arg(args, 0)?)?.cloned().unwrap_or_default();
            let mut bools = Vec::new();
            for x in &items {
                bools.push(x.to_bool()?.unwrap_or(false));
            }
            Ok(Value::Bool(if name == "alltrue" {
                bools.iter().all(|b| *b)
            } else {
                bools.iter().any(|b| *b)
            }))
        }
        "max" | "min" | "sum" => {
            let nums: Vec<f64> = if name == "sum" {
                let items = list(arg(args, 0)?)?.cloned().unwrap_or_default();
                items
                    .iter()
                    .map(|x| x.to_number().map(Option::unwrap_or_default))
                    .collect::<Result<_, _>>()?
            } else {
                (0..args.len())
                    .map(|i| num_arg(args, i))
                    .collect::<Result<_, _>>()?
            };
            if nums.is_empty() && name != "sum" {
                return Err("needs at least one number".into());
            }
            Ok(Value::Number(match name {
                "max" => nums.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                "min" => nums.iter().copied().fold(f64::INFINITY, f64::min),
                _ => nums.iter().sum(),
            }))
        }
        "abs" => Ok(Value::Number(num_arg(args, 0)?.abs())),
        "ceil" => Ok(Value::Number(num_arg(args, 0)?.ceil())),
        "floor" => Ok(Value::Number(num_arg(args, 0)?.floor())),
        "signum" => Ok(Value::Number(num_arg(args, 0)?.signum())),
        "pow" => Ok(Value::Number(num_arg(args, 0)?.powf(num_arg(args, 1)?))),
        "parseint" => {
            let s = text_arg(args, 0)?;
            let base = num_arg(args, 1)?;
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let parsed = i64::from_str_radix(&s, base as u32).map_err(|e| e.to_string())?;
            #[allow(clippy::cast_precision_loss)]
            Ok(Value::Number(parsed as f64))
        }
        _ => Err(UNSUPPORTED.to_owned()),
    })();
    match r {
        Err(e) if e == UNSUPPORTED => Outcome::Unsupported,
        other => other.into(),
    }
}

/// Appends the items not already in `out` (unknown items are always kept). Strings use a hash
/// set; other values are compared pairwise, which is refused for very long lists.
fn dedup_into(out: &mut Vec<Value>, items: &[Value]) -> Result<(), String> {
    let all_strings = out
        .iter()
        .chain(items)
        .all(|v| matches!(v, Value::String(_)) || v.is_unknown());
    if all_strings {
        let mut seen: std::collections::HashSet<String> = out
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        for x in items {
            match x.as_str() {
                Some(s) => {
                    if seen.insert(s.to_owned()) {
                        out.push(x.clone());
                    }
                }
                None => out.push(x.clone()),
            }
        }
        return Ok(());
    }
    if out.len() + items.len() > 5_000 {
        return Err(
            "set operations on more than 5000 non-string elements are not evaluated".into(),
        );
    }
    for x in items {
        if x.is_unknown() || !out.iter().any(|o| o.equals(x) == Some(true)) {
            out.push(x.clone());
        }
    }
    Ok(())
}

#[allow(clippy::cast_precision_loss)]
fn len(n: usize) -> Value {
    Value::Number(n as f64)
}

/// Flattens nested lists; `Ok(false)` when an unknown element hides the shape.
fn flatten_into(v: &Value, out: &mut Vec<Value>, depth: usize) -> Result<bool, String> {
    if depth > 64 {
        return Err("lists nested too deeply".into());
    }
    match v {
        Value::List(items) => {
            for x in items.iter() {
                match x {
                    Value::List(_) => {
                        if !flatten_into(x, out, depth + 1)? {
                            return Ok(false);
                        }
                    }
                    Value::Unknown(_) => return Ok(false),
                    other => out.push(other.clone()),
                }
                check_size(out)?;
            }
            Ok(true)
        }
        v if v.is_unknown() => Ok(false),
        other => Err(format!(
            "flatten() needs a list, found {}",
            other.type_name()
        )),
    }
}

fn jsondecode(v: &Value) -> Result<Value, String> {
    match v {
        Value::String(s) => serde_json::from_str::<serde_json::Value>(s)
            .map(|j| Value::from_json(&j))
            .map_err(|e| format!("invalid JSON: {e}")),
        Value::Json(inner) => Ok((**inner).clone()),
        Value::Partial(segs) => Ok(crate::parse::tf_hcl::policy::decode_partial(segs)
            .unwrap_or_else(|| Value::unknown_from(&[v]))),
        v if v.is_unknown() => Ok(v.clone()),
        other => Err(format!(
            "jsondecode() needs a string, found {}",
            other.type_name()
        )),
    }
}

fn range(args: &[Value]) -> Result<Value, String> {
    let (start, end, step) = match args.len() {
        1 => (0.0, num_arg(args, 0)?, 1.0),
        2 => (num_arg(args, 0)?, num_arg(args, 1)?, 1.0),
        3 => (num_arg(args, 0)?, num_arg(args, 1)?, num_arg(args, 2)?),
        _ => return Err("range() takes 1 to 3 arguments".into()),
    };
    if step == 0.0 {
        return Err("step must not be zero".into());
    }
    let mut out = Vec::new();
    let mut x = start;
    while (step > 0.0 && x < end) || (step < 0.0 && x > end) {
        out.push(Value::Number(x));
        if out.len() > MAX_ITEMS {
            return Err(format!("range() of more than {MAX_ITEMS} elements"));
        }
        x += step;
    }
    Ok(Value::list(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::String(x.into())
    }

    fn val(o: Outcome) -> Value {
        match o {
            Outcome::Value(v) => v,
            Outcome::Error(e) => panic!("error {e}"),
            Outcome::Unsupported => panic!("unsupported"),
        }
    }

    #[test]
    fn unknown_elements_are_kept() {
        let u = Value::reference("aws_iam_role.a", Some("arn"));
        let l = Value::list(vec![s("x"), u.clone(), s("x"), s("")]);
        assert_eq!(
            val(call("distinct", std::slice::from_ref(&l))),
            Value::list(vec![s("x"), u.clone(), s("")])
        );
        assert_eq!(
            val(call("compact", std::slice::from_ref(&l))),
            Value::list(vec![s("x"), u.clone(), s("x")])
        );
        assert_eq!(val(call("length", &[l])), Value::Number(4.0));
        assert!(val(call("concat", &[Value::list(vec![]), u.clone()])).is_unknown());
        assert!(val(call("coalesce", &[u, s("a")])).is_unknown());
    }

    #[test]
    fn lookup_element_zipmap() {
        let m = val(call(
            "zipmap",
            &[
                Value::list(vec![s("a"), s("b")]),
                Value::list(vec![s("1"), s("2")]),
            ],
        ));
        assert_eq!(val(call("lookup", &[m.clone(), s("b")])), s("2"));
        assert_eq!(val(call("lookup", &[m.clone(), s("c"), s("d")])), s("d"));
        assert!(matches!(call("lookup", &[m, s("c")]), Outcome::Error(_)));
        assert_eq!(
            val(call(
                "element",
                &[Value::list(vec![s("a"), s("b")]), Value::Number(3.0)]
            )),
            s("b")
        );
    }

    #[test]
    fn flatten_merge_contains() {
        let nested = Value::list(vec![
            Value::list(vec![s("a"), Value::list(vec![s("b")])]),
            s("c"),
        ]);
        assert_eq!(
            val(call("flatten", &[nested])),
            Value::list(vec![s("a"), s("b"), s("c")])
        );
        let a = Value::object([("x".to_owned(), s("1"))].into_iter().collect());
        let b = Value::object(
            [("x".to_owned(), s("2")), ("y".to_owned(), s("3"))]
                .into_iter()
                .collect(),
        );
        let m = val(call("merge", &[a, Value::Null, b]));
        assert_eq!(m.get("x"), Some(&s("2")));
        assert_eq!(
            val(call("contains", &[Value::list(vec![s("a")]), s("a")])),
            Value::Bool(true)
        );
        assert!(val(call(
            "contains",
            &[Value::list(vec![Value::unknown()]), s("a")]
        ))
        .is_unknown());
        assert!(matches!(call("nosuch", &[]), Outcome::Unsupported));
    }

    #[test]
    fn jsonencode_keeps_structure() {
        let v = Value::object([("a".to_owned(), Value::unknown())].into_iter().collect());
        let j = val(call("jsonencode", std::slice::from_ref(&v)));
        assert_eq!(j, Value::Json(Box::new(v.clone())));
        assert_eq!(val(call("jsondecode", &[j])), v);
        assert_eq!(
            val(call("jsondecode", &[s("{\"a\":[1]}")])).get("a"),
            Some(&Value::list(vec![Value::Number(1.0)]))
        );
    }
}
