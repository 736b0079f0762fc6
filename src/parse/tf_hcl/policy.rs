//! Policy documents from Terraform source: `data "aws_iam_policy_document"` evaluated into the
//! IAM JSON shape, and any policy attribute (a JSON string, `jsonencode({...})`, a heredoc with
//! interpolations, a policy document's `json`) turned into a [`PolicyDocument`].
//!
//! The key decision: policies are read from the evaluated structure, not from a JSON string, so
//! an unknown principal ARN stays one unknown principal (a `Val::Ref` to the role it comes from)
//! instead of making the whole policy unknown. A heredoc or template whose interpolations are
//! unknown is parsed with placeholders standing for the unknown parts, which are put back as
//! unknown values afterwards. Statements keep the file and line they were written at.

mod data_source;

use super::syntax::Files;
use super::value::{unknown_val, Segment, Value};
use crate::model::policy::{
    Condition, Effect, PolicyDocument, PrincipalType, Principals, Statement,
};
use crate::model::{Location, Reference, VStr, Val};
use crate::parse::policy_json::principal_type;
pub(crate) use data_source::document_tree;
use std::collections::BTreeMap;

/// Placeholder text for the i-th unknown part of a partially known string.
fn placeholder(i: usize) -> String {
    format!("@@keyreach-unknown-{i}@@")
}

/// Parses a partially known string as JSON, the unknown parts standing in as unknown values.
/// `None` when the text is not JSON (for example an unknown part outside a JSON string).
#[must_use]
pub(crate) fn decode_partial(segs: &[Segment]) -> Option<Value> {
    let mut text = String::new();
    let mut unknowns: Vec<&Vec<Reference>> = Vec::new();
    for s in segs {
        match s {
            Segment::Lit(t) => text.push_str(t),
            Segment::Unknown(r) => {
                text.push_str(&placeholder(unknowns.len()));
                unknowns.push(r);
            }
        }
    }
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(restore(&json, &unknowns))
}

fn restore(j: &serde_json::Value, unknowns: &[&Vec<Reference>]) -> Value {
    match j {
        serde_json::Value::String(s) => restore_str(s, unknowns),
        serde_json::Value::Array(items) => {
            Value::list(items.iter().map(|x| restore(x, unknowns)).collect())
        }
        serde_json::Value::Object(m) => {
            let mut fields = BTreeMap::new();
            for (k, v) in m {
                if k.contains("@@keyreach-unknown-") {
                    // An unknown key (a condition key built from a variable): the object's
                    // content is not known.
                    return Value::Unknown(placeholder_refs(k, unknowns));
                }
                fields.insert(k.clone(), restore(v, unknowns));
            }
            Value::object(fields)
        }
        other => Value::from_json(other),
    }
}

fn placeholder_refs(s: &str, unknowns: &[&Vec<Reference>]) -> Vec<Reference> {
    let mut refs = Vec::new();
    for (i, r) in unknowns.iter().enumerate() {
        if s.contains(&placeholder(i)) {
            refs.extend(r.iter().cloned());
        }
    }
    refs
}

fn restore_str(s: &str, unknowns: &[&Vec<Reference>]) -> Value {
    if !s.contains("@@keyreach-unknown-") {
        return Value::String(s.to_owned());
    }
    let mut segs = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("@@keyreach-unknown-") {
        let after = &rest[start + "@@keyreach-unknown-".len()..];
        let Some(end) = after.find("@@") else {
            break;
        };
        let idx: Option<usize> = after[..end].parse().ok();
        if start > 0 {
            segs.push(Segment::Lit(rest[..start].to_owned()));
        }
        let refs = idx
            .and_then(|i| unknowns.get(i))
            .map(|r| (*r).clone())
            .unwrap_or_default();
        segs.push(Segment::Unknown(refs));
        rest = &after[end + 2..];
    }
    if !rest.is_empty() {
        segs.push(Segment::Lit(rest.to_owned()));
    }
    match segs.as_slice() {
        [Segment::Unknown(r)] => Value::Unknown(r.clone()),
        _ => Value::Partial(segs),
    }
}

/// Blocks or list items of an attribute: a list, one object (JSON syntax), or unknown.
pub(crate) fn items(v: Option<&Value>) -> Vec<&Value> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::List(items)) => items.iter().collect(),
        Some(other) => vec![other],
    }
}

/// What a policy attribute holds.
#[derive(Debug)]
pub(crate) enum Doc {
    /// No policy (null or empty string).
    Absent,
    /// A document, or unknown until apply.
    Parsed(Val<PolicyDocument>),
    /// Not a policy document; the message says why.
    Invalid(String),
}

/// Reads a policy attribute value. `at` locates statements that carry no position of their own.
#[must_use]
pub(crate) fn document(v: &Value, files: &Files, at: &Location) -> (Doc, Vec<String>) {
    let mut warnings = Vec::new();
    let tree = match v {
        Value::Null => return (Doc::Absent, warnings),
        Value::String(s) if s.trim().is_empty() => return (Doc::Absent, warnings),
        Value::String(s) => match serde_json::from_str::<serde_json::Value>(s) {
            Ok(j) => Value::from_json(&j),
            Err(e) => {
                return (
                    Doc::Invalid(format!(
                        "policy is not valid JSON (line {}, column {} of the policy text): {e}",
                        e.line(),
                        e.column()
                    )),
                    warnings,
                )
            }
        },
        Value::Json(inner) => (**inner).clone(),
        Value::Partial(segs) => match decode_partial(segs) {
            Some(t) => t,
            None => return (Doc::Parsed(unknown_val(v.refs())), warnings),
        },
        Value::Object(_) => v.clone(),
        Value::Unknown(refs) => return (Doc::Parsed(unknown_val(refs.clone())), warnings),
        other => {
            return (
                Doc::Invalid(format!(
                    "a policy must be a JSON string, found {}",
                    other.type_name()
                )),
                warnings,
            )
        }
    };
    match tree_to_doc(&tree, files, at, &mut warnings) {
        Ok(d) => (Doc::Parsed(d), warnings),
        Err(m) => (Doc::Invalid(m), warnings),
    }
}

fn tree_to_doc(
    tree: &Value,
    files: &Files,
    at: &Location,
    warnings: &mut Vec<String>,
) -> Result<Val<PolicyDocument>, String> {
    let obj = match tree {
        Value::Object(o) => o,
        v if v.is_unknown() => return Ok(unknown_val(v.refs())),
        other => {
            return Err(format!(
                "a policy document must be a JSON object, found {}",
                other.type_name()
            ))
        }
    };
    let mut doc = PolicyDocument {
        version: obj.fields.get("Version").and_then(known_text),
        id: obj.fields.get("Id").and_then(known_text),
        ..PolicyDocument::default()
    };
    let stmts: Vec<&Value> = match obj.fields.get("Statement") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::List(items)) => items.iter().collect(),
        Some(o @ Value::Object(_)) => vec![o],
        Some(v) if v.is_unknown() => {
            doc.incomplete = true;
            Vec::new()
        }
        Some(_) => return Err("Statement must be an object or a list of objects".into()),
    };
    for (i, s) in stmts.into_iter().enumerate() {
        match s {
            Value::Object(_) => {
                let st = statement(s, doc.statements.len(), i, files, at, warnings)?;
                doc.statements.push(st);
            }
            v if v.is_unknown() => doc.incomplete = true,
            _ => return Err(format!("statement {i} is not an object")),
        }
    }
    Ok(Val::Known(doc))
}

fn known_text(v: &Value) -> Option<String> {
    v.to_text().ok().flatten()
}

fn statement(
    s: &Value,
    index: usize,
    ptr_index: usize,
    files: &Files,
    at: &Location,
    warnings: &mut Vec<String>,
) -> Result<Statement, String> {
    let get = |k: &str| s.get(k).filter(|v| !matches!(v, Value::Null));
    let effect = match get("Effect") {
        Some(Value::String(e)) if e == "Allow" => Effect::Allow,
        Some(Value::String(e)) if e == "Deny" => Effect::Deny,
        Some(v) if v.is_unknown() => {
            warnings.push(format!("statement {ptr_index} has an Effect not known before apply; keyreach reads it as Allow"));
            Effect::Allow
        }
        Some(other) => {
            return Err(format!(
                "statement {ptr_index}: Effect must be \"Allow\" or \"Deny\", found {}",
                other
                    .to_text()
                    .ok()
                    .flatten()
                    .unwrap_or_else(|| other.type_name().to_owned())
            ))
        }
        None => return Err(format!("statement {ptr_index} has no Effect")),
    };
    let list = |k: &str| -> Result<Option<Vec<VStr>>, String> {
        get(k)
            .map(|v| string_list(v).map_err(|m| format!("statement {ptr_index}: {k}: {m}")))
            .transpose()
    };
    let principals = |k: &str| -> Result<Option<Principals>, String> {
        get(k)
            .map(|v| parse_principals(v).map_err(|m| format!("statement {ptr_index}: {k}: {m}")))
            .transpose()
    };
    let conditions = match get("Condition") {
        None => Vec::new(),
        Some(v) => {
            parse_conditions(v).map_err(|m| format!("statement {ptr_index}: Condition: {m}"))?
        }
    };
    let location = match s {
        Value::Object(o) if o.at.is_some() => o.at.map(|p| files.location(p)),
        _ => Some(Location {
            pointer: Some(format!("/Statement/{ptr_index}")),
            ..at.clone()
        }),
    };
    Ok(Statement {
        sid: get("Sid").and_then(known_text),
        effect,
        principal: principals("Principal")?,
        not_principal: principals("NotPrincipal")?,
        action: list("Action")?,
        not_action: list("NotAction")?,
        resource: list("Resource")?,
        not_resource: list("NotResource")?,
        conditions,
        index,
        location,
    })
}

/// A scalar or list of scalars as model strings; unknown parts stay unknown.
pub(crate) fn string_list(v: &Value) -> Result<Vec<VStr>, String> {
    match v {
        Value::List(items) => items
            .iter()
            .map(|x| match x {
                Value::Null => Ok(Val::Unknown),
                Value::List(_) | Value::Object(_) => Err("expected a string".to_owned()),
                other => Ok(other.to_vstr().unwrap_or(Val::Unknown)),
            })
            .collect(),
        Value::Null => Ok(Vec::new()),
        Value::Object(_) => Err("expected a string or a list of strings".into()),
        other => Ok(vec![other.to_vstr().unwrap_or(Val::Unknown)]),
    }
}

fn parse_principals(v: &Value) -> Result<Principals, String> {
    match v {
        Value::String(s) if s == "*" => Ok(Principals::Any),
        Value::Object(o) => {
            let mut out = Vec::new();
            for (k, ids) in o.fields.iter() {
                let t = principal_type(k);
                for id in string_list(ids)? {
                    out.push((t.clone(), id));
                }
            }
            Ok(Principals::Map(out))
        }
        Value::List(_) => Err("expected \"*\" or an object such as {\"AWS\": [...]}".into()),
        other => Ok(Principals::Map(vec![(
            PrincipalType::Aws,
            other.to_vstr().unwrap_or(Val::Unknown),
        )])),
    }
}

fn parse_conditions(v: &Value) -> Result<Vec<Condition>, String> {
    let ops = match v {
        Value::Object(o) => o,
        v if v.is_unknown() => {
            return Ok(vec![Condition::new(
                "(unknown)",
                "(unknown)",
                vec![unknown_val(v.refs())],
            )])
        }
        _ => return Err("expected an object of operators".into()),
    };
    let mut out = Vec::new();
    for (op, keys) in ops.fields.iter() {
        match keys {
            Value::Object(k) => {
                for (key, values) in k.fields.iter() {
                    out.push(Condition::new(op, key, string_list(values)?));
                }
            }
            v if v.is_unknown() => {
                out.push(Condition::new(op, "(unknown)", vec![unknown_val(v.refs())]));
            }
            _ => return Err(format!("operator {op} must map condition keys to values")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> Value {
        Value::String(x.into())
    }

    fn obj(items: Vec<(&str, Value)>) -> Value {
        Value::object(items.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    #[test]
    fn placeholders_restore_unknowns() {
        let role = vec![Reference::new("aws_iam_role.app", Some("arn"))];
        let segs = vec![
            Segment::Lit(r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":""#.into()),
            Segment::Unknown(role.clone()),
            Segment::Lit(r#""},"Action":"kms:Decrypt","Resource":"*"}]}"#.into()),
        ];
        let tree = decode_partial(&segs).expect("json");
        let (doc, _) = document(
            &Value::Json(Box::new(tree)),
            &Files::default(),
            &Location::file("main.tf"),
        );
        let Doc::Parsed(Val::Known(d)) = doc else {
            panic!("doc")
        };
        assert_eq!(
            d.statements[0].principal,
            Some(Principals::Map(vec![(PrincipalType::Aws, Val::Ref(role))]))
        );
    }

    #[test]
    fn override_by_sid_and_star_principal() {
        let st = |sid: &str, action: &str| {
            obj(vec![
                ("sid", s(sid)),
                ("actions", Value::list(vec![s(action)])),
            ])
        };
        let source = Value::Json(Box::new(document_tree(&obj(vec![(
            "statement",
            Value::list(vec![st("A", "kms:Decrypt"), st("B", "kms:Encrypt")]),
        )]))));
        let over = Value::Json(Box::new(document_tree(&obj(vec![(
            "statement",
            Value::list(vec![st("A", "kms:*")]),
        )]))));
        let body = obj(vec![
            ("source_policy_documents", Value::list(vec![source])),
            ("override_policy_documents", Value::list(vec![over])),
            (
                "statement",
                Value::list(vec![obj(vec![
                    (
                        "principals",
                        Value::list(vec![obj(vec![
                            ("type", s("*")),
                            ("identifiers", Value::list(vec![s("*")])),
                        ])]),
                    ),
                    ("actions", Value::list(vec![s("kms:DescribeKey")])),
                ])]),
            ),
        ]);
        let tree = document_tree(&body);
        let (doc, _) = document(
            &Value::Json(Box::new(tree)),
            &Files::default(),
            &Location::file("f"),
        );
        let Doc::Parsed(Val::Known(d)) = doc else {
            panic!("doc")
        };
        assert_eq!(d.statements.len(), 3);
        assert_eq!(
            d.statements[0].action,
            Some(vec![Val::Known("kms:*".into())])
        );
        assert_eq!(d.statements[2].principal, Some(Principals::Any));
        assert_eq!(d.version.as_deref(), Some("2012-10-17"));
    }

    #[test]
    fn unknown_statements_make_the_document_incomplete() {
        let tree = obj(vec![("Statement", Value::list(vec![Value::unknown()]))]);
        let (doc, _) = document(&tree, &Files::default(), &Location::file("f"));
        let Doc::Parsed(Val::Known(d)) = doc else {
            panic!("doc")
        };
        assert!(d.incomplete);
        assert!(matches!(
            document(&s("{nope"), &Files::default(), &Location::file("f")).0,
            Doc::Invalid(_)
        ));
        assert!(matches!(
            document(&s(""), &Files::default(), &Location::file("f")).0,
            Doc::Absent
        ));
    }
}
