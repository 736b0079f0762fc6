//! Policy documents in their JSON form, as every format carries them.
//!
//! AWS accepts a scalar or a list for every multi-valued element, numbers and booleans where
//! strings are meant (`"AWS": 111122223333`, `"aws:SecureTransport": false`), a single
//! statement object or a list of them. All of that is normalised into [`PolicyDocument`].
//! Errors carry a JSON pointer relative to the document so the caller can prefix its own.

use crate::error::pointer_token;
use crate::model::policy::{
    Condition, Effect, PolicyDocument, PrincipalType, Principals, Statement,
};
use crate::model::{Location, VStr, Val};
use serde_json::Value;

/// A policy that does not have the shape of a policy document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    /// Pointer inside the document.
    pub pointer: String,
    /// What is wrong.
    pub message: String,
}

type Result<T> = std::result::Result<T, PolicyError>;

fn err<T>(pointer: &str, message: impl Into<String>) -> Result<T> {
    Err(PolicyError {
        pointer: pointer.to_owned(),
        message: message.into(),
    })
}

/// Parses a policy given as a JSON string (Terraform plans, CloudFormation string policies).
/// `Ok(None)` for an empty string (no policy).
///
/// # Errors
/// Invalid JSON or a document of the wrong shape.
pub fn parse_policy_str(text: &str, at: Option<&Location>) -> Result<Option<PolicyDocument>> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let value: Value = serde_json::from_str(text).map_err(|e| PolicyError {
        pointer: String::new(),
        message: format!(
            "policy is not valid JSON (line {}, column {} of the policy text): {e}",
            e.line(),
            e.column()
        ),
    })?;
    parse_policy(&value, at).map(Some)
}

/// Parses a policy document given as a JSON value.
///
/// # Errors
/// A document of the wrong shape.
pub fn parse_policy(value: &Value, at: Option<&Location>) -> Result<PolicyDocument> {
    let Value::Object(map) = value else {
        return err("", "a policy document must be a JSON object");
    };
    let mut doc = PolicyDocument::default();
    for (k, v) in map {
        match k.as_str() {
            "Version" => doc.version = scalar_string(v),
            "Id" => doc.id = scalar_string(v),
            _ => {}
        }
    }
    match map.get("Statement") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let ptr = format!("/Statement/{i}");
                doc.statements.push(parse_statement(item, i, &ptr, at)?);
            }
        }
        Some(item @ Value::Object(_)) => {
            doc.statements
                .push(parse_statement(item, 0, "/Statement", at)?);
        }
        Some(_) => {
            return err(
                "/Statement",
                "Statement must be an object or a list of objects",
            )
        }
    }
    Ok(doc)
}

fn parse_statement(
    value: &Value,
    index: usize,
    ptr: &str,
    at: Option<&Location>,
) -> Result<Statement> {
    let Value::Object(map) = value else {
        return err(ptr, "a statement must be a JSON object");
    };
    let effect = match map.get("Effect") {
        Some(Value::String(s)) if s == "Allow" => Effect::Allow,
        Some(Value::String(s)) if s == "Deny" => Effect::Deny,
        Some(other) => {
            return err(
                &format!("{ptr}/Effect"),
                format!("Effect must be \"Allow\" or \"Deny\", found {other}"),
            )
        }
        None => return err(ptr, "statement has no Effect"),
    };
    let list = |name: &str| -> Result<Option<Vec<VStr>>> {
        match map.get(name) {
            None => Ok(None),
            Some(v) => string_list(v, &format!("{ptr}/{name}")).map(Some),
        }
    };
    let principals = |name: &str| -> Result<Option<Principals>> {
        match map.get(name) {
            None => Ok(None),
            Some(v) => parse_principals(v, &format!("{ptr}/{name}")).map(Some),
        }
    };
    let conditions = match map.get("Condition") {
        None | Some(Value::Null) => Vec::new(),
        Some(v) => parse_conditions(v, &format!("{ptr}/Condition"))?,
    };
    Ok(Statement {
        sid: map.get("Sid").and_then(scalar_string),
        effect,
        principal: principals("Principal")?,
        not_principal: principals("NotPrincipal")?,
        action: list("Action")?,
        not_action: list("NotAction")?,
        resource: list("Resource")?,
        not_resource: list("NotResource")?,
        conditions,
        index,
        location: at.map(|l| {
            let base = l.pointer.clone().unwrap_or_default();
            Location {
                file: l.file.clone(),
                line: None,
                column: None,
                pointer: Some(format!("{base}{ptr}")),
            }
        }),
    })
}

/// Parses a `Principal`/`NotPrincipal` element.
///
/// # Errors
/// A principal of the wrong shape.
pub fn parse_principals(value: &Value, ptr: &str) -> Result<Principals> {
    match value {
        Value::String(s) if s == "*" => Ok(Principals::Any),
        Value::Object(map) => {
            let mut out = Vec::new();
            for (k, v) in map {
                let t = principal_type(k);
                for id in string_list(v, &format!("{ptr}/{}", pointer_token(k)))? {
                    out.push((t.clone(), id));
                }
            }
            Ok(Principals::Map(out))
        }
        // A bare ARN or account id is not valid IAM syntax, but some generators emit it; treat
        // it as an AWS principal rather than rejecting the whole policy.
        Value::String(s) => Ok(Principals::Map(vec![(
            PrincipalType::Aws,
            Val::Known(s.clone()),
        )])),
        _ => err(
            ptr,
            "Principal must be \"*\" or an object such as {\"AWS\": [...]}",
        ),
    }
}

/// Maps a principal type key (case-insensitive) to its type.
#[must_use]
pub fn principal_type(k: &str) -> PrincipalType {
    match k.to_ascii_lowercase().as_str() {
        "aws" => PrincipalType::Aws,
        "service" => PrincipalType::Service,
        "federated" => PrincipalType::Federated,
        "canonicaluser" => PrincipalType::CanonicalUser,
        _ => PrincipalType::Other(k.to_owned()),
    }
}

fn parse_conditions(value: &Value, ptr: &str) -> Result<Vec<Condition>> {
    let Value::Object(ops) = value else {
        return err(ptr, "Condition must be an object of operators");
    };
    let mut out = Vec::new();
    for (op, keys) in ops {
        let op_ptr = format!("{ptr}/{}", pointer_token(op));
        let Value::Object(keys) = keys else {
            return err(
                &op_ptr,
                "a condition operator must map condition keys to values",
            );
        };
        for (key, values) in keys {
            let values = string_list(values, &format!("{op_ptr}/{}", pointer_token(key)))?;
            out.push(Condition::new(op, key, values));
        }
    }
    Ok(out)
}

/// A scalar or list of scalars as strings.
///
/// # Errors
/// Objects or nested lists where strings are expected.
pub fn string_list(value: &Value, ptr: &str) -> Result<Vec<VStr>> {
    match value {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| match scalar_string(v) {
                Some(s) => Ok(Val::Known(s)),
                None if v.is_null() => Ok(Val::Unknown),
                None => err(&format!("{ptr}/{i}"), "expected a string"),
            })
            .collect(),
        Value::Null => Ok(Vec::new()),
        v => match scalar_string(v) {
            Some(s) => Ok(vec![Val::Known(s)]),
            None => err(ptr, "expected a string or a list of strings"),
        },
    }
}

/// A string, number or boolean rendered as a string.
#[must_use]
pub fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_and_lists() {
        let d = parse_policy(
            &json!({"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":123456789012_u64},"Action":"kms:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":false}}}}),
            None,
        )
        .expect("valid");
        assert_eq!(d.statements.len(), 1);
        let s = &d.statements[0];
        assert_eq!(
            s.principal,
            Some(Principals::Map(vec![(
                PrincipalType::Aws,
                Val::Known("123456789012".into())
            )]))
        );
        assert_eq!(s.action, Some(vec![Val::Known("kms:*".into())]));
        assert_eq!(s.conditions[0].values, vec![Val::Known("false".into())]);
    }

    #[test]
    fn star_principal_and_errors() {
        let d = parse_policy(
            &json!({"Statement":[{"Effect":"Deny","Principal":"*","NotAction":["kms:Decrypt"]}]}),
            None,
        )
        .expect("valid");
        assert_eq!(d.statements[0].principal, Some(Principals::Any));
        let e =
            parse_policy(&json!({"Statement":[{"Effect":"Maybe"}]}), None).expect_err("bad effect");
        assert_eq!(e.pointer, "/Statement/0/Effect");
        assert!(parse_policy_str("{not json", None).is_err());
        assert_eq!(parse_policy_str("  ", None), Ok(None));
    }
}
