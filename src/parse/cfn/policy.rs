//! Resolved policy documents (`KeyPolicy`, `PolicyDocument`, `AssumeRolePolicyDocument`,
//! Organizations `Content`) -> [`PolicyDocument`].
//!
//! A document may be an object or a JSON string (also one built with `Fn::Sub`: its unknown
//! pieces become unknown values inside the parsed document instead of making the whole
//! document unknown). Values that derive from resources keep their references
//! (`Principal: {AWS: !GetAtt Role.Arn}` -> `Val::Ref`).
//!
//! Undecided `Fn::If` (see [`super::conditions`]): a statement inside one branch is kept with an
//! extra condition whose value is unknown — `keyreach:IfCondition/<Name>` for the true branch,
//! `keyreach:IfNotCondition/<Name>` for the false one — so the engine reports what it allows
//! as `conditional` and never counts on what it denies. The same holds for an `Effect` that is
//! not known (kept as a conditional Allow) and for a `Condition` block that is not known. A
//! statement that is entirely unknown marks the document `incomplete`.

use super::resolve::Ctx;
use super::rval::{concat, unknown_val, Piece, RVal};
use crate::error::pointer_token;
use crate::model::policy::{Condition, Effect, PolicyDocument, Principals, Statement};
use crate::model::{Location, PrincipalType, Reference, VStr, Val};
use crate::parse::policy_json::principal_type;

type Res<T> = Result<T, (String, String)>;

fn fail<T>(ptr: &str, msg: impl Into<String>) -> Res<T> {
    Err((ptr.to_owned(), msg.into()))
}

const SENTINEL: &str = "@@keyreach-unknown-";

impl Ctx<'_> {
    /// Converts a resolved document at `ptr`; a malformed one is reported and becomes unknown.
    pub(crate) fn policy(&self, inst: usize, v: &RVal, ptr: &str) -> Val<PolicyDocument> {
        match self.policy_doc(inst, v, ptr) {
            Ok(d) => d,
            Err((p, msg)) => {
                self.error(inst, &p, msg);
                Val::Unknown
            }
        }
    }

    fn policy_doc(&self, inst: usize, v: &RVal, ptr: &str) -> Res<Val<PolicyDocument>> {
        match v {
            RVal::Unknown(_) => Ok(unknown_val(v.refs())),
            RVal::Partial(pieces) => Ok(match json_with_unknowns(pieces) {
                Some(parsed) => {
                    let mut doc = PolicyDocument::default();
                    self.fill(inst, &parsed, ptr, &mut doc, &[])?;
                    Val::Known(doc)
                }
                None => unknown_val(v.refs()),
            }),
            _ => {
                let mut doc = PolicyDocument::default();
                self.branch(inst, v, ptr, &mut doc, &[])?;
                Ok(Val::Known(doc))
            }
        }
    }

    /// Adds the statements of one (possibly conditional) document value.
    fn branch(
        &self,
        inst: usize,
        v: &RVal,
        ptr: &str,
        doc: &mut PolicyDocument,
        extra: &[Condition],
    ) -> Res<()> {
        match v {
            RVal::Map(_) => self.fill(inst, v, ptr, doc, extra),
            RVal::Str(s) => {
                let parsed: serde_json::Value = serde_json::from_str(s).map_err(|e| {
                    (
                        ptr.to_owned(),
                        format!(
                            "policy is not valid JSON (line {}, column {} of the policy text): {e}",
                            e.line(),
                            e.column()
                        ),
                    )
                })?;
                self.fill(inst, &RVal::from_json(&parsed), ptr, doc, extra)
            }
            RVal::Either(e) => {
                self.branch(
                    inst,
                    &e.then,
                    ptr,
                    doc,
                    &with(extra, if_cond(&e.cond, true)),
                )?;
                self.branch(
                    inst,
                    &e.other,
                    ptr,
                    doc,
                    &with(extra, if_cond(&e.cond, false)),
                )
            }
            RVal::Partial(pieces) => match json_with_unknowns(pieces) {
                Some(parsed) => self.fill(inst, &parsed, ptr, doc, extra),
                None => {
                    doc.incomplete = true;
                    Ok(())
                }
            },
            RVal::Unknown(_) => {
                doc.incomplete = true;
                Ok(())
            }
            RVal::NoValue | RVal::Null => Ok(()),
            RVal::Bool(_) | RVal::Num(_) | RVal::List(_) => {
                fail(ptr, "a policy document must be an object or a JSON string")
            }
        }
    }

    fn fill(
        &self,
        inst: usize,
        v: &RVal,
        ptr: &str,
        doc: &mut PolicyDocument,
        extra: &[Condition],
    ) -> Res<()> {
        let RVal::Map(m) = v else {
            return fail(ptr, "a policy document must be an object");
        };
        if doc.version.is_none() {
            doc.version = m.get("Version").and_then(RVal::scalar_str);
        }
        if doc.id.is_none() {
            doc.id = m.get("Id").and_then(RVal::scalar_str);
        }
        let sptr = format!("{ptr}/Statement");
        match m.get("Statement") {
            None | Some(RVal::Null | RVal::NoValue) => Ok(()),
            Some(RVal::List(items)) => {
                for (i, item) in items.iter().enumerate() {
                    self.statement_item(inst, item, &format!("{sptr}/{i}"), doc, extra)?;
                }
                Ok(())
            }
            Some(item) => self.statement_item(inst, item, &sptr, doc, extra),
        }
    }

    fn statement_item(
        &self,
        inst: usize,
        item: &RVal,
        ptr: &str,
        doc: &mut PolicyDocument,
        extra: &[Condition],
    ) -> Res<()> {
        match item {
            RVal::Map(_) => {
                let s = self.statement(inst, item, ptr, doc.statements.len(), extra)?;
                doc.statements.push(s);
                Ok(())
            }
            RVal::Either(e) => {
                self.statement_item(
                    inst,
                    &e.then,
                    ptr,
                    doc,
                    &with(extra, if_cond(&e.cond, true)),
                )?;
                self.statement_item(
                    inst,
                    &e.other,
                    ptr,
                    doc,
                    &with(extra, if_cond(&e.cond, false)),
                )
            }
            RVal::Unknown(_) | RVal::Partial(_) => {
                doc.incomplete = true;
                Ok(())
            }
            RVal::NoValue | RVal::Null => Ok(()),
            RVal::List(items) => {
                for item in items {
                    self.statement_item(inst, item, ptr, doc, extra)?;
                }
                Ok(())
            }
            RVal::Str(_) | RVal::Num(_) | RVal::Bool(_) => {
                fail(ptr, "a statement must be an object")
            }
        }
    }

    fn statement(
        &self,
        inst: usize,
        v: &RVal,
        ptr: &str,
        index: usize,
        extra: &[Condition],
    ) -> Res<Statement> {
        let RVal::Map(m) = v else {
            return fail(ptr, "a statement must be an object");
        };
        let mut conditions: Vec<Condition> = extra.to_vec();
        let effect = match m.get("Effect") {
            Some(RVal::Str(s)) if s == "Allow" => Effect::Allow,
            Some(RVal::Str(s)) if s == "Deny" => Effect::Deny,
            Some(e @ (RVal::Unknown(_) | RVal::Partial(_) | RVal::Either(_))) => {
                let _ = e;
                conditions.push(synthetic("keyreach:UnknownEffect"));
                Effect::Allow
            }
            Some(other) => {
                return fail(
                    &format!("{ptr}/Effect"),
                    format!(
                        "Effect must be \"Allow\" or \"Deny\", found {}",
                        other.to_json()
                    ),
                )
            }
            None => return fail(ptr, "statement has no Effect"),
        };
        let list = |name: &str| -> Res<Option<Vec<VStr>>> {
            match m.get(name) {
                None | Some(RVal::NoValue) => Ok(None),
                Some(v) => vstrs(v, &format!("{ptr}/{name}")).map(Some),
            }
        };
        let principals = |name: &str| -> Res<Option<Principals>> {
            match m.get(name) {
                None | Some(RVal::NoValue) => Ok(None),
                Some(v) => parse_principals(v, &format!("{ptr}/{name}")).map(Some),
            }
        };
        match m.get("Condition") {
            None | Some(RVal::Null | RVal::NoValue) => {}
            Some(v) => conditions.extend(parse_conditions(v, &format!("{ptr}/Condition"))?),
        }
        let t = self.template(inst);
        Ok(Statement {
            sid: m.get("Sid").and_then(RVal::scalar_str),
            effect,
            principal: principals("Principal")?,
            not_principal: principals("NotPrincipal")?,
            action: list("Action")?,
            not_action: list("NotAction")?,
            resource: list("Resource")?,
            not_resource: list("NotResource")?,
            conditions,
            index,
            location: Some(Location {
                file: t.display.clone(),
                line: t.line(ptr),
                column: None,
                pointer: Some(t.source_pointer(ptr)),
            }),
        })
    }
}

fn with(extra: &[Condition], c: Condition) -> Vec<Condition> {
    let mut v = extra.to_vec();
    v.push(c);
    v
}

/// The extra condition of a statement inside one branch of an undecided `Fn::If`.
pub(crate) fn if_cond(name: &str, branch: bool) -> Condition {
    let key = if branch {
        format!("keyreach:IfCondition/{name}")
    } else {
        format!("keyreach:IfNotCondition/{name}")
    };
    synthetic(&key)
}

fn synthetic(key: &str) -> Condition {
    Condition::new("Bool", key, vec![Val::Unknown])
}

fn vstr_of(v: &RVal) -> VStr {
    v.vstr().unwrap_or_else(|| unknown_val(v.refs()))
}

fn vstrs(v: &RVal, ptr: &str) -> Res<Vec<VStr>> {
    match v {
        RVal::List(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                RVal::Null => Ok(Val::Unknown),
                RVal::List(_) | RVal::Map(_) => fail(&format!("{ptr}/{i}"), "expected a string"),
                other => Ok(vstr_of(other)),
            })
            .collect(),
        RVal::Null => Ok(Vec::new()),
        RVal::Map(_) => fail(ptr, "expected a string or a list of strings"),
        other => Ok(vec![vstr_of(other)]),
    }
}

fn parse_principals(v: &RVal, ptr: &str) -> Res<Principals> {
    match v {
        RVal::Str(s) if s == "*" => Ok(Principals::Any),
        RVal::Str(_) | RVal::Num(_) => Ok(Principals::Map(vec![(PrincipalType::Aws, vstr_of(v))])),
        RVal::Map(m) => {
            let mut out = Vec::new();
            for (k, vals) in m {
                let t = principal_type(k);
                for id in vstrs(vals, &format!("{ptr}/{}", pointer_token(k)))? {
                    out.push((t.clone(), id));
                }
            }
            Ok(Principals::Map(out))
        }
        RVal::Unknown(_) | RVal::Partial(_) | RVal::Either(_) => Ok(Principals::Map(vec![(
            PrincipalType::Aws,
            unknown_val(v.refs()),
        )])),
        _ => fail(
            ptr,
            "Principal must be \"*\" or an object such as {\"AWS\": [...]}",
        ),
    }
}

fn parse_conditions(v: &RVal, ptr: &str) -> Res<Vec<Condition>> {
    match v {
        RVal::Map(ops) => {
            let mut out = Vec::new();
            for (op, keys) in ops {
                let op_ptr = format!("{ptr}/{}", pointer_token(op));
                match keys {
                    RVal::Map(keys) => {
                        for (key, values) in keys {
                            let values =
                                vstrs(values, &format!("{op_ptr}/{}", pointer_token(key)))?;
                            out.push(Condition::new(op, key, values));
                        }
                    }
                    RVal::Unknown(_) | RVal::Either(_) | RVal::Partial(_) => {
                        out.push(synthetic("keyreach:UnknownCondition"));
                    }
                    _ => {
                        return fail(
                            &op_ptr,
                            "a condition operator must map condition keys to values",
                        )
                    }
                }
            }
            Ok(out)
        }
        RVal::Unknown(_) | RVal::Either(_) | RVal::Partial(_) => {
            Ok(vec![synthetic("keyreach:UnknownCondition")])
        }
        _ => fail(ptr, "Condition must be an object of operators"),
    }
}

/// Parses a JSON text some of whose pieces are unknown: each unknown piece is replaced by a
/// placeholder, the text is parsed, and strings holding placeholders become unknown values
/// with the references of their pieces. `None` when the text is not JSON that way (an unknown
/// piece outside a string, for example).
fn json_with_unknowns(pieces: &[Piece]) -> Option<RVal> {
    let mut text = String::new();
    let mut table: Vec<Vec<Reference>> = Vec::new();
    for p in pieces {
        match p {
            Piece::Lit(s) => text.push_str(s),
            Piece::Unknown(refs) => {
                text.push_str(&format!("{SENTINEL}{}@@", table.len()));
                table.push(refs.clone());
            }
        }
    }
    let parsed: serde_json::Value = serde_json::from_str(&text).ok()?;
    Some(desentinel(&parsed, &table))
}

fn desentinel(v: &serde_json::Value, table: &[Vec<Reference>]) -> RVal {
    use serde_json::Value;
    match v {
        Value::String(s) if s.contains(SENTINEL) => {
            let mut parts = Vec::new();
            let mut rest = s.as_str();
            while let Some(start) = rest.find(SENTINEL) {
                parts.push(RVal::Str(rest[..start].to_owned()));
                let after = &rest[start + SENTINEL.len()..];
                let end = after.find("@@").unwrap_or(after.len());
                let refs = after[..end]
                    .parse::<usize>()
                    .ok()
                    .and_then(|i| table.get(i).cloned())
                    .unwrap_or_default();
                parts.push(RVal::Unknown(refs));
                rest = after.get(end + 2..).unwrap_or_default();
            }
            parts.push(RVal::Str(rest.to_owned()));
            concat(parts)
        }
        Value::Array(items) => RVal::List(items.iter().map(|i| desentinel(i, table)).collect()),
        Value::Object(m) => RVal::Map(
            m.iter()
                .map(|(k, v)| (k.clone(), desentinel(v, table)))
                .collect(),
        ),
        other => RVal::from_json(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_json_keeps_structure() {
        let pieces = vec![
            Piece::Lit(
                r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::"#.into(),
            ),
            Piece::Unknown(vec![]),
            Piece::Lit(r#":root"},"Action":"kms:*","Resource":""#.into()),
            Piece::Unknown(vec![Reference::new("Key", Some("Arn"))]),
            Piece::Lit(r#""}]}"#.into()),
        ];
        let v = json_with_unknowns(&pieces).expect("parses");
        let st = v.path(&["Statement"]).expect("statements");
        let RVal::List(items) = st else {
            panic!("list")
        };
        assert_eq!(items[0].path(&["Action"]), Some(&RVal::Str("kms:*".into())));
        assert_eq!(
            items[0].path(&["Resource"]).and_then(RVal::vstr),
            Some(Val::Ref(vec![Reference::new("Key", Some("Arn"))]))
        );
        // An account root with an unknown account: known in part.
        let principal = items[0].path(&["Principal", "AWS"]).and_then(RVal::vstr);
        assert!(
            matches!(&principal, Some(Val::Partial(p)) if p.prefix() == "arn:aws:iam::" && p.suffix() == ":root"),
            "{principal:?}"
        );
        assert!(json_with_unknowns(&[
            Piece::Lit("{\"a\": ".into()),
            Piece::Unknown(vec![]),
            Piece::Lit("}".into())
        ])
        .is_none());
    }
}
