//! `data "aws_iam_policy_document"` evaluated into the IAM JSON shape: `statement` blocks
//! (`dynamic` ones included) with `principals`/`not_principals` (type `*` renders
//! `"Principal": "*"`), `condition` blocks (`test`, `variable`, `values`), and the provider's
//! merge of `source_policy_documents` and `override_policy_documents` by `Sid`.

use super::{decode_partial, items};
use crate::parse::tf_hcl::value::{Object, Value};
use std::collections::BTreeMap;
use std::rc::Rc;

/// The IAM JSON shape of a `data "aws_iam_policy_document"` body: source documents, then its
/// own statements, then override documents, each later statement replacing an earlier one with
/// the same non-empty `Sid` (the provider's merge rule).
#[must_use]
pub(crate) fn document_tree(body: &Value) -> Value {
    let mut doc = Tree {
        version: None,
        id: None,
        statements: Vec::new(),
    };
    for src in items(body.get("source_policy_documents")) {
        doc.merge(tree_of(src));
    }
    let own = Tree {
        version: Some(
            body.get("version")
                .filter(|v| !matches!(v, Value::Null))
                .cloned()
                .unwrap_or_else(|| Value::String("2012-10-17".into())),
        ),
        id: body
            .get("policy_id")
            .filter(|v| !matches!(v, Value::Null))
            .cloned(),
        statements: items(body.get("statement"))
            .into_iter()
            .map(|s| match s {
                Value::Object(_) => statement_tree(s),
                other => Value::unknown_from(&[other]),
            })
            .collect(),
    };
    doc.merge(own);
    for ov in items(body.get("override_policy_documents")) {
        doc.merge(tree_of(ov));
    }
    let mut fields = BTreeMap::new();
    if let Some(v) = doc.version {
        fields.insert("Version".to_owned(), v);
    }
    if let Some(v) = doc.id {
        fields.insert("Id".to_owned(), v);
    }
    fields.insert("Statement".to_owned(), Value::list(doc.statements));
    Value::object(fields)
}

struct Tree {
    version: Option<Value>,
    id: Option<Value>,
    statements: Vec<Value>,
}

impl Tree {
    fn merge(&mut self, other: Tree) {
        if other.version.is_some() {
            self.version = other.version;
        }
        if other.id.is_some() {
            self.id = other.id;
        }
        for st in other.statements {
            let sid = st
                .get("Sid")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty());
            let existing = sid.and_then(|sid| {
                self.statements
                    .iter()
                    .position(|x| x.get("Sid").and_then(Value::as_str) == Some(sid))
            });
            match existing {
                Some(i) => self.statements[i] = st,
                None => self.statements.push(st),
            }
        }
    }
}

/// A policy given as a value (JSON string, `json` of another document) as a tree to merge.
fn tree_of(v: &Value) -> Tree {
    let tree = match v {
        Value::Json(inner) => Some((**inner).clone()),
        Value::String(s) if s.trim().is_empty() => {
            return Tree {
                version: None,
                id: None,
                statements: Vec::new(),
            }
        }
        Value::String(s) => serde_json::from_str::<serde_json::Value>(s)
            .ok()
            .map(|j| Value::from_json(&j)),
        Value::Partial(segs) => decode_partial(segs),
        _ => None,
    };
    let Some(tree) = tree else {
        return Tree {
            version: None,
            id: None,
            statements: vec![Value::unknown_from(&[v])],
        };
    };
    let statements = match tree.get("Statement") {
        Some(Value::List(items)) => (**items).clone(),
        Some(o @ Value::Object(_)) => vec![o.clone()],
        Some(other) => vec![Value::unknown_from(&[other])],
        None => Vec::new(),
    };
    Tree {
        version: tree.get("Version").cloned(),
        id: tree.get("Id").cloned(),
        statements,
    }
}

fn statement_tree(b: &Value) -> Value {
    let mut f = BTreeMap::new();
    match b.get("sid") {
        None | Some(Value::Null) => {}
        Some(Value::String(x)) if x.is_empty() => {}
        Some(sid) => {
            f.insert("Sid".to_owned(), sid.clone());
        }
    }
    let effect = b
        .get("effect")
        .filter(|v| !matches!(v, Value::Null))
        .cloned()
        .unwrap_or_else(|| Value::String("Allow".into()));
    f.insert("Effect".to_owned(), effect);
    for (attr, key) in [
        ("actions", "Action"),
        ("not_actions", "NotAction"),
        ("resources", "Resource"),
        ("not_resources", "NotResource"),
    ] {
        match b.get(attr) {
            None | Some(Value::Null) => {}
            Some(Value::List(l)) if l.is_empty() => {}
            Some(v) => {
                f.insert(key.to_owned(), v.clone());
            }
        }
    }
    for (attr, key) in [
        ("principals", "Principal"),
        ("not_principals", "NotPrincipal"),
    ] {
        if let Some(p) = principals_tree(items(b.get(attr))) {
            f.insert(key.to_owned(), p);
        }
    }
    let conds = items(b.get("condition"));
    if !conds.is_empty() {
        let mut ops: BTreeMap<String, Value> = BTreeMap::new();
        for c in conds {
            let (Some(test), Some(var)) = (
                c.get("test").and_then(Value::as_str),
                c.get("variable").and_then(Value::as_str),
            ) else {
                ops.insert("(unknown)".into(), Value::unknown_from(&[c]));
                continue;
            };
            let values = match c.get("values") {
                Some(Value::List(l)) => (**l).clone(),
                Some(v) if v.is_unknown() => vec![v.clone()],
                Some(Value::Null) | None => Vec::new(),
                Some(v) => vec![v.clone()],
            };
            let entry = ops
                .entry(test.to_owned())
                .or_insert_with(|| Value::object(BTreeMap::new()));
            if let Value::Object(o) = entry {
                match Rc::make_mut(&mut o.fields)
                    .entry(var.to_owned())
                    .or_insert_with(|| Value::list(Vec::new()))
                {
                    Value::List(existing) => Rc::make_mut(existing).extend(values),
                    other => *other = Value::list(values),
                }
            }
        }
        f.insert("Condition".to_owned(), Value::object(ops));
    }
    Value::Object(Object {
        fields: std::rc::Rc::new(f),
        at: match b {
            Value::Object(o) => o.at,
            _ => None,
        },
        resource: None,
        block: false,
    })
}

fn principals_tree(blocks: Vec<&Value>) -> Option<Value> {
    if blocks.is_empty() {
        return None;
    }
    let mut map: BTreeMap<String, Value> = BTreeMap::new();
    for p in blocks {
        let Value::Object(_) = p else {
            map.insert("AWS".into(), Value::unknown_from(&[p]));
            continue;
        };
        let ids = p
            .get("identifiers")
            .cloned()
            .unwrap_or(Value::list(Vec::new()));
        match p.get("type") {
            Some(Value::String(t)) if t == "*" => return Some(Value::String("*".into())),
            Some(Value::String(t)) => {
                let slot = map
                    .entry(t.clone())
                    .or_insert_with(|| Value::list(Vec::new()));
                match (slot, ids) {
                    (Value::List(existing), Value::List(new)) => {
                        Rc::make_mut(existing).extend(new.iter().cloned());
                    }
                    (Value::List(existing), other) => Rc::make_mut(existing).push(other),
                    (other, _) => *other = Value::unknown(),
                }
            }
            other => {
                let t = other.cloned().unwrap_or(Value::Null);
                map.insert("AWS".into(), Value::unknown_from(&[&t, &ids]));
            }
        }
    }
    Some(Value::object(map))
}
