//! `Fn::ForEach` (the `AWS::LanguageExtensions` transform): loops in `Resources`, `Outputs`
//! and `Conditions` are expanded before anything else reads the template.
//!
//! `Fn::ForEach::Name: [Identifier, Collection, {OutputKey: Fragment}]` repeats the fragment
//! for each value of the collection, replacing `${Identifier}` and `&{Identifier}` (value
//! without non-alphanumeric characters) in the output keys and in `Fn::Sub` strings, and
//! `{"Ref": Identifier}` by the value. The collection is a list, or a `Ref` to a list
//! parameter whose value is given (`--parameter`, a parameter file) or defaulted; a collection
//! keyreach cannot know is an error, since the resources it creates cannot be listed.

use super::stacks::MAX_NESTING;
use crate::error::pointer_token;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Most resources one loop may create.
const MAX_EXPANSION: usize = 10_000;

/// What the expansion did.
#[derive(Debug, Default)]
pub(crate) struct Expansion {
    /// Generated pointer -> pointer of the loop in the text.
    pub pointer_alias: BTreeMap<String, String>,
    /// (pointer, message).
    pub errors: Vec<(String, String)>,
}

/// True when the template has loops to expand.
#[must_use]
pub(crate) fn has_loops(root: &Value) -> bool {
    ["Resources", "Outputs", "Conditions"].iter().any(|s| {
        root.get(s)
            .and_then(Value::as_object)
            .is_some_and(|m| m.keys().any(|k| k.starts_with("Fn::ForEach::")))
    })
}

/// Expands the loops of `Resources`, `Outputs` and `Conditions` in place.
pub(crate) fn expand(root: &mut Value, params: &BTreeMap<String, String>) -> Expansion {
    let mut out = Expansion::default();
    let declared = root.get("Parameters").cloned().unwrap_or(Value::Null);
    for section in ["Resources", "Outputs", "Conditions"] {
        let Some(m) = root.get_mut(section).and_then(Value::as_object_mut) else {
            continue;
        };
        let base = format!("/{section}");
        let expanded = expand_map(m, &base, &base, &declared, params, 0, &mut out);
        *m = expanded;
    }
    out
}

fn expand_map(
    m: &Map<String, Value>,
    ptr: &str,
    source_ptr: &str,
    declared: &Value,
    params: &BTreeMap<String, String>,
    depth: usize,
    out: &mut Expansion,
) -> Map<String, Value> {
    let mut result = Map::new();
    for (key, value) in m {
        let Some(_) = key.strip_prefix("Fn::ForEach::") else {
            result.insert(key.clone(), value.clone());
            continue;
        };
        let loop_ptr = format!("{source_ptr}/{}", pointer_token(key));
        if depth >= MAX_NESTING {
            out.errors.push((
                loop_ptr,
                format!("Fn::ForEach nests deeper than {MAX_NESTING} levels"),
            ));
            continue;
        }
        let Some([ident, collection, Value::Object(fragment)]) =
            value.as_array().map(Vec::as_slice)
        else {
            out.errors.push((
                loop_ptr,
                "Fn::ForEach takes [Identifier, Collection, {OutputKey: Fragment}]".to_owned(),
            ));
            continue;
        };
        let Some(ident) = ident.as_str() else {
            out.errors.push((
                loop_ptr,
                "the Fn::ForEach identifier must be a string".to_owned(),
            ));
            continue;
        };
        let Some(items) = collection_values(collection, declared, params) else {
            out.errors.push((
                loop_ptr,
                "the Fn::ForEach collection is not known (a list, or a Ref to a list parameter \
                 with a value); the resources it creates cannot be analysed"
                    .to_owned(),
            ));
            continue;
        };
        if items.len() * fragment.len() > MAX_EXPANSION {
            out.errors.push((
                loop_ptr,
                format!(
                    "Fn::ForEach creates more than {MAX_EXPANSION} entries; keyreach stops here"
                ),
            ));
            continue;
        }
        for item in &items {
            let mut one = Map::new();
            for (k, v) in fragment {
                one.insert(substitute(k, ident, item), replace(v, ident, item));
            }
            // Loops inside the fragment.
            let frag_ptr = format!("{loop_ptr}/2");
            let inner = expand_map(&one, ptr, &frag_ptr, declared, params, depth + 1, out);
            for (k, v) in inner {
                let generated = format!("{ptr}/{}", pointer_token(&k));
                out.pointer_alias
                    .entry(generated.clone())
                    .or_insert_with(|| frag_ptr.clone());
                if result.contains_key(&k) {
                    out.errors.push((
                        loop_ptr.clone(),
                        format!("Fn::ForEach creates `{k}`, which is already declared"),
                    ));
                } else {
                    result.insert(k, v);
                }
            }
        }
    }
    result
}

fn collection_values(
    v: &Value,
    declared: &Value,
    params: &BTreeMap<String, String>,
) -> Option<Vec<String>> {
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    };
    match v {
        Value::Array(items) => items.iter().map(scalar).collect(),
        Value::Object(m) if m.len() == 1 => {
            let name = m.get("Ref")?.as_str()?;
            let decl = declared.get(name)?;
            let ty = decl.get("Type").and_then(Value::as_str).unwrap_or("String");
            if ty.starts_with("AWS::SSM::Parameter::Value<") {
                return None;
            }
            let text = match params.get(name) {
                Some(v) => v.clone(),
                None => match decl.get("Default")? {
                    Value::Array(items) => return items.iter().map(scalar).collect(),
                    d => scalar(d)?,
                },
            };
            Some(text.split(',').map(|s| s.trim().to_owned()).collect())
        }
        _ => None,
    }
}

/// `${Id}` and `&{Id}` in a key or an `Fn::Sub` string.
fn substitute(s: &str, ident: &str, value: &str) -> String {
    let alnum: String = value.chars().filter(char::is_ascii_alphanumeric).collect();
    s.replace(&format!("${{{ident}}}"), value)
        .replace(&format!("&{{{ident}}}"), &alnum)
}

/// The fragment with the identifier replaced by one value.
fn replace(v: &Value, ident: &str, item: &str) -> Value {
    match v {
        Value::Object(m) if m.len() == 1 => {
            if m.get("Ref").and_then(Value::as_str) == Some(ident) {
                return Value::String(item.to_owned());
            }
            if let Some(sub) = m.get("Fn::Sub") {
                let sub = match sub {
                    Value::String(s) => Value::String(substitute(s, ident, item)),
                    Value::Array(items) => Value::Array(
                        items
                            .iter()
                            .enumerate()
                            .map(|(i, x)| match (i, x) {
                                (0, Value::String(s)) => Value::String(substitute(s, ident, item)),
                                _ => replace(x, ident, item),
                            })
                            .collect(),
                    ),
                    other => replace(other, ident, item),
                };
                let mut out = Map::new();
                out.insert("Fn::Sub".to_owned(), sub);
                return Value::Object(out);
            }
            Value::Object(
                m.iter()
                    .map(|(k, x)| (substitute(k, ident, item), replace(x, ident, item)))
                    .collect(),
            )
        }
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, x)| (substitute(k, ident, item), replace(x, ident, item)))
                .collect(),
        ),
        Value::Array(items) => {
            Value::Array(items.iter().map(|x| replace(x, ident, item)).collect())
        }
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn loops_expand_with_refs_subs_and_keys() {
        let mut root = json!({
            "Parameters": {"Envs": {"Type": "CommaDelimitedList", "Default": "dev, prod"}},
            "Resources": {
                "Fn::ForEach::Topics": ["Name", ["Success", "Fail-Over"], {
                    "Topic&{Name}": {"Type": "AWS::SNS::Topic", "Properties": {
                        "TopicName": {"Ref": "Name"},
                        "DisplayName": {"Fn::Sub": "${Name} topic in ${AWS::Region}"}
                    }}
                }],
                "Fn::ForEach::Queues": ["Env", {"Ref": "Envs"}, {
                    "Queue${Env}": {"Type": "AWS::SQS::Queue"}
                }],
                "Plain": {"Type": "AWS::SQS::Queue"}
            }
        });
        assert!(has_loops(&root));
        let x = expand(&mut root, &BTreeMap::new());
        assert!(x.errors.is_empty(), "{:?}", x.errors);
        let r = &root["Resources"];
        assert_eq!(r["TopicSuccess"]["Properties"]["TopicName"], "Success");
        assert_eq!(r["TopicFailOver"]["Properties"]["TopicName"], "Fail-Over");
        assert_eq!(
            r["TopicFailOver"]["Properties"]["DisplayName"],
            json!({"Fn::Sub": "Fail-Over topic in ${AWS::Region}"})
        );
        assert!(r.get("Queuedev").is_some() && r.get("Queueprod").is_some());
        assert!(r.get("Plain").is_some());
        assert_eq!(
            x.pointer_alias
                .get("/Resources/Queueprod")
                .map(String::as_str),
            Some("/Resources/Fn::ForEach::Queues/2")
        );
        let mut params = BTreeMap::new();
        params.insert("Envs".to_owned(), "a".to_owned());
        let mut root2 = json!({
            "Parameters": {"Envs": {"Type": "CommaDelimitedList"}},
            "Resources": {"Fn::ForEach::Q": ["E", {"Ref": "Envs"}, {"Q${E}": {"Type": "X"}}]}
        });
        let x = expand(&mut root2, &params);
        assert!(x.errors.is_empty());
        assert!(root2["Resources"].get("Qa").is_some());
        let mut root3 =
            json!({"Resources": {"Fn::ForEach::Q": ["E", {"Ref": "Nope"}, {"Q${E}": {}}]}});
        assert_eq!(expand(&mut root3, &BTreeMap::new()).errors.len(), 1);
    }
}
