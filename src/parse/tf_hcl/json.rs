//! JSON syntax (`.tf.json`): converted into the same [`syntax`](super::syntax) tree as native
//! files.
//!
//! Terraform's JSON syntax interprets every string as a template (`"${aws_kms_key.k.arn}"`),
//! except variable defaults, which are literal. Nested blocks cannot be told from object
//! attributes without the provider schema, so they stay attributes holding objects or lists of
//! objects; the evaluator and the resource mapping accept both shapes. Positions are found by
//! locating the block's keys in the text (serde_json keeps none), which is exact for the usual
//! one-key-per-line layout.

use super::native::parse_template;
use super::syntax::{Attr, Block, Body, Expr, LineIndex, ObjKey};
use super::value::{Pos, Value};
use crate::error::InputError;
use serde_json::Value as J;

/// Parses a `.tf.json` file into a body of top-level blocks.
///
/// # Errors
/// Malformed JSON, or a document that is not an object.
pub(crate) fn parse_body(text: &str, file: u32, display: &str) -> Result<Body, InputError> {
    let doc: J = serde_json::from_str(text).map_err(|e| InputError::from_json(display, &e))?;
    let J::Object(top) = doc else {
        return Err(InputError::new(
            display,
            "a Terraform JSON file must hold one JSON object",
        ));
    };
    let finder = Finder::new(text, file);
    let mut body = Body::default();
    for (kind, v) in &top {
        match kind.as_str() {
            "resource" | "data" => {
                for (ty, names) in objects(v) {
                    for (name, items) in objects(names) {
                        for item in each_item(items) {
                            let pos = finder.find(&[kind, ty, name]);
                            body.blocks.push(block(
                                kind,
                                vec![ty.clone(), name.clone()],
                                item,
                                pos,
                                file,
                            ));
                        }
                    }
                }
            }
            "module" | "output" | "provider" => {
                for (name, items) in objects(v) {
                    for item in each_item(items) {
                        let pos = finder.find(&[kind, name]);
                        body.blocks
                            .push(block(kind, vec![name.clone()], item, pos, file));
                    }
                }
            }
            "variable" => {
                for (name, item) in objects(v) {
                    let pos = finder.find(&[kind, name]);
                    let mut b = Body::default();
                    if let J::Object(m) = item {
                        for (k, v) in m {
                            let expr = match k.as_str() {
                                // Defaults are literal values in JSON syntax.
                                "default" => Expr::Lit(Value::from_json(v)),
                                _ => expr(v, file, pos),
                            };
                            b.attrs.push(Attr {
                                name: k.clone(),
                                expr,
                                pos,
                            });
                        }
                    }
                    body.blocks.push(Block {
                        kind: kind.clone(),
                        labels: vec![name.clone()],
                        body: b,
                        pos,
                        comments: Vec::new(),
                    });
                }
            }
            "locals" => {
                for item in each_item(v) {
                    let pos = finder.find(&[kind]);
                    body.blocks.push(block(kind, Vec::new(), item, pos, file));
                }
            }
            _ => {}
        }
    }
    Ok(body)
}

/// Reads a `.tfvars.json` file: name to literal value.
///
/// # Errors
/// Malformed JSON or a document that is not an object.
pub(crate) fn parse_tfvars(text: &str, display: &str) -> Result<Vec<(String, Value)>, InputError> {
    let doc: J = serde_json::from_str(text).map_err(|e| InputError::from_json(display, &e))?;
    let J::Object(m) = doc else {
        return Err(InputError::new(
            display,
            "a variables file must hold one JSON object",
        ));
    };
    Ok(m.iter()
        .map(|(k, v)| (k.clone(), Value::from_json(v)))
        .collect())
}

fn objects(v: &J) -> Vec<(&String, &J)> {
    match v {
        J::Object(m) => m.iter().collect(),
        J::Array(items) => items.iter().flat_map(objects).collect(),
        _ => Vec::new(),
    }
}

fn each_item(v: &J) -> Vec<&J> {
    match v {
        J::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

fn block(kind: &str, labels: Vec<String>, v: &J, pos: Pos, file: u32) -> Block {
    let mut comments = Vec::new();
    let body = body(v, file, pos, &mut comments);
    Block {
        kind: kind.to_owned(),
        labels,
        body,
        pos,
        comments,
    }
}

fn body(v: &J, file: u32, pos: Pos, comments: &mut Vec<(String, Pos)>) -> Body {
    let mut out = Body::default();
    let J::Object(m) = v else {
        return out;
    };
    for (k, v) in m {
        match k.as_str() {
            "//" => {
                for c in each_item(v) {
                    if let J::String(s) = c {
                        let s = s.trim();
                        if s.starts_with("keyreach:") {
                            comments.push((s.to_owned(), pos));
                        }
                    }
                }
            }
            "dynamic" => {
                for (label, items) in objects(v) {
                    for item in each_item(items) {
                        let mut b = Body::default();
                        if let J::Object(dm) = item {
                            for (dk, dv) in dm {
                                if dk == "content" {
                                    for c in each_item(dv) {
                                        b.blocks.push(Block {
                                            kind: "content".into(),
                                            labels: Vec::new(),
                                            body: body(c, file, pos, &mut Vec::new()),
                                            pos,
                                            comments: Vec::new(),
                                        });
                                    }
                                } else {
                                    b.attrs.push(Attr {
                                        name: dk.clone(),
                                        expr: expr(dv, file, pos),
                                        pos,
                                    });
                                }
                            }
                        }
                        out.blocks.push(Block {
                            kind: "dynamic".into(),
                            labels: vec![label.clone()],
                            body: b,
                            pos,
                            comments: Vec::new(),
                        });
                    }
                }
            }
            _ => out.attrs.push(Attr {
                name: k.clone(),
                expr: expr(v, file, pos),
                pos,
            }),
        }
    }
    out
}

/// A JSON value as an expression: strings are templates.
pub(crate) fn expr(v: &J, file: u32, pos: Pos) -> Expr {
    match v {
        J::String(s) => {
            if !s.contains("${") && !s.contains("%{") {
                return Expr::Lit(Value::String(s.clone()));
            }
            match parse_template(s, file) {
                Ok(e) => e,
                Err(msg) => Expr::Invalid(msg, pos),
            }
        }
        J::Array(items) => Expr::Tuple(items.iter().map(|x| expr(x, file, pos)).collect()),
        J::Object(m) => Expr::Object(
            m.iter()
                .filter(|(k, _)| k.as_str() != "//")
                .map(|(k, v)| (ObjKey::Ident(k.clone()), expr(v, file, pos)))
                .collect(),
            pos,
        ),
        other => Expr::Lit(Value::from_json(other)),
    }
}

/// Finds approximate positions of keys in the JSON text.
struct Finder<'a> {
    text: &'a str,
    index: LineIndex,
    file: u32,
}

impl<'a> Finder<'a> {
    fn new(text: &'a str, file: u32) -> Self {
        Self {
            text,
            index: LineIndex::new(text),
            file,
        }
    }

    /// The position of the last key of a path of keys, each searched after the previous one.
    fn find(&self, keys: &[&String]) -> Pos {
        let mut at = 0usize;
        let mut found = None;
        for k in keys {
            let needle = format!("\"{k}\"");
            match self.text.get(at..).and_then(|t| t.find(&needle)) {
                Some(i) => {
                    found = Some(at + i);
                    at += i + needle.len();
                }
                None => break,
            }
        }
        match found {
            Some(off) => self.index.position(self.text, self.file, off),
            None => Pos {
                file: self.file,
                line: 0,
                column: 0,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_and_templates() {
        let text = r#"{
  "resource": {
    "aws_kms_key": {
      "k": {
        "description": "key ${var.x}",
        "policy": "${data.aws_iam_policy_document.p.json}"
      }
    }
  },
  "variable": {"x": {"default": "${not_a_template}"}}
}"#;
        let b = parse_body(text, 0, "main.tf.json").expect("ok");
        let r = b
            .blocks
            .iter()
            .find(|b| b.kind == "resource")
            .expect("resource");
        assert_eq!(r.labels, vec!["aws_kms_key", "k"]);
        assert_eq!(r.pos.line, 4);
        assert!(matches!(
            r.body.attr("policy").map(|a| &a.expr),
            Some(Expr::Traversal(..))
        ));
        assert!(matches!(
            r.body.attr("description").map(|a| &a.expr),
            Some(Expr::Template(_))
        ));
        let v = b.blocks.iter().find(|b| b.kind == "variable").expect("var");
        assert!(matches!(
            v.body.attr("default").map(|a| &a.expr),
            Some(Expr::Lit(Value::String(_)))
        ));
    }

    #[test]
    fn malformed_json_has_position() {
        let e = parse_body("{\n \"resource\": [\n", 0, "x.tf.json").expect_err("bad");
        assert!(e.line.is_some());
    }
}
