//! Terraform addresses and references: parsing and rendering.
//!
//! Ids in the model are the addresses exactly as the plan prints them
//! (`module.orders["eu"].aws_kms_key.this[0]`). The parser here splits those addresses and the
//! `references` strings of the configuration (`aws_kms_key.this.arn`, `module.kms.key_arn`,
//! `var.key_arn`) into steps so references can be joined with the instances of the plan. Keys
//! are rendered the way Terraform renders them (`[0]`, `["orders"]`), so a rendered module path
//! matches the module part of the plan's own addresses.

use std::fmt;

/// An instance key: `[0]` (count) or `["orders"]` (for_each).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Key {
    /// `count.index`.
    Int(i64),
    /// `each.key`.
    Str(String),
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Key::Int(i) => write!(f, "[{i}]"),
            Key::Str(s) => {
                f.write_str("[\"")?;
                for c in s.chars() {
                    match c {
                        '"' => f.write_str("\\\"")?,
                        '\\' => f.write_str("\\\\")?,
                        '\n' => f.write_str("\\n")?,
                        '\r' => f.write_str("\\r")?,
                        '\t' => f.write_str("\\t")?,
                        c => write!(f, "{c}")?,
                    }
                }
                f.write_str("\"]")
            }
        }
    }
}

/// One step of a traversal: a name and the first index applied to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    pub(crate) name: String,
    pub(crate) key: Option<Key>,
}

/// Splits `module.a["k"].aws_kms_key.this[0].arn` into steps. `None` when the text is not a
/// plain traversal (splat expressions, bad quoting).
pub(crate) fn parse_traversal(s: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    let mut chars = s.char_indices().peekable();
    loop {
        let start = chars.peek().map(|(i, _)| *i)?;
        let mut end = start;
        while let Some(&(i, c)) = chars.peek() {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                end = i + c.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        if end == start {
            return None;
        }
        let mut step = Step {
            name: s[start..end].to_owned(),
            key: None,
        };
        while let Some(&(_, '[')) = chars.peek() {
            chars.next();
            let key = parse_key(&mut chars)?;
            if step.key.is_none() {
                step.key = Some(key);
            }
        }
        steps.push(step);
        match chars.next() {
            None => return Some(steps),
            Some((_, '.')) => {}
            Some(_) => return None,
        }
    }
}

fn parse_key(chars: &mut std::iter::Peekable<std::str::CharIndices<'_>>) -> Option<Key> {
    match chars.peek().map(|(_, c)| *c)? {
        '"' => {
            chars.next();
            let mut out = String::new();
            loop {
                let (_, c) = chars.next()?;
                match c {
                    '"' => break,
                    '\\' => {
                        let (_, e) = chars.next()?;
                        match e {
                            'n' => out.push('\n'),
                            'r' => out.push('\r'),
                            't' => out.push('\t'),
                            'u' | 'U' => {
                                let len = if e == 'u' { 4 } else { 8 };
                                let mut code = 0u32;
                                for _ in 0..len {
                                    let (_, h) = chars.next()?;
                                    code = code.checked_mul(16)?.checked_add(h.to_digit(16)?)?;
                                }
                                out.push(char::from_u32(code)?);
                            }
                            other => out.push(other),
                        }
                    }
                    c => out.push(c),
                }
            }
            match chars.next() {
                Some((_, ']')) => Some(Key::Str(out)),
                _ => None,
            }
        }
        _ => {
            let mut digits = String::new();
            loop {
                let (_, c) = chars.next()?;
                if c == ']' {
                    break;
                }
                digits.push(c);
            }
            digits.trim().parse::<i64>().ok().map(Key::Int)
        }
    }
}

/// A module instance path: `module.a["k"].module.b` as (call name, key) pairs; empty for the
/// root module.
pub(crate) type ModulePath = Vec<(String, Option<Key>)>;

/// Renders a module instance path as Terraform prints it (`""` for the root).
pub(crate) fn render_module(path: &[(String, Option<Key>)]) -> String {
    let mut out = String::new();
    for (name, key) in path {
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str("module.");
        out.push_str(name);
        if let Some(k) = key {
            out.push_str(&k.to_string());
        }
    }
    out
}

/// The configuration path of a module instance path: call names joined by `.` (`""` for root).
pub(crate) fn config_path(path: &[(String, Option<Key>)]) -> String {
    let mut out = String::new();
    for (name, _) in path {
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(name);
    }
    out
}

/// Joins a module instance path and a resource-relative address.
pub(crate) fn join(module: &str, rest: &str) -> String {
    if module.is_empty() {
        rest.to_owned()
    } else {
        format!("{module}.{rest}")
    }
}

/// A parsed resource instance address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Address {
    /// The module instance the resource is in.
    pub(crate) module: ModulePath,
    /// `data` or `managed`.
    pub(crate) data: bool,
    /// Resource type.
    pub(crate) type_name: String,
    /// Resource name.
    pub(crate) name: String,
    /// Instance key.
    pub(crate) key: Option<Key>,
}

impl Address {
    /// Parses a full resource instance address.
    pub(crate) fn parse(s: &str) -> Option<Address> {
        let steps = parse_traversal(s)?;
        let mut module = Vec::new();
        let mut i = 0;
        while i + 1 < steps.len() && steps[i].name == "module" && steps[i].key.is_none() {
            let call = &steps[i + 1];
            module.push((call.name.clone(), call.key.clone()));
            i += 2;
        }
        let rest = &steps[i..];
        let (data, rest) = match rest.first() {
            Some(first) if first.name == "data" && first.key.is_none() => (true, &rest[1..]),
            _ => (false, rest),
        };
        match rest {
            [t, n] if t.key.is_none() => Some(Address {
                module,
                data,
                type_name: t.name.clone(),
                name: n.name.clone(),
                key: n.key.clone(),
            }),
            _ => None,
        }
    }

    /// The resource's address inside its module, without instance key
    /// (`aws_kms_key.this`, `data.aws_iam_policy_document.p`): the configuration address.
    pub(crate) fn config_address(&self) -> String {
        resource_config_address(self.data, &self.type_name, &self.name)
    }
}

/// `type.name` or `data.type.name`.
pub(crate) fn resource_config_address(data: bool, type_name: &str, name: &str) -> String {
    if data {
        format!("data.{type_name}.{name}")
    } else {
        format!("{type_name}.{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_addresses_with_modules_and_keys() {
        let a =
            Address::parse(r#"module.a["k.x"].module.b[0].data.aws_iam_policy_document.p["x\"y"]"#)
                .expect("valid address");
        assert_eq!(
            a.module,
            vec![
                ("a".to_owned(), Some(Key::Str("k.x".into()))),
                ("b".to_owned(), Some(Key::Int(0)))
            ]
        );
        assert!(a.data);
        assert_eq!(a.type_name, "aws_iam_policy_document");
        assert_eq!(a.key, Some(Key::Str("x\"y".into())));
        assert_eq!(render_module(&a.module), r#"module.a["k.x"].module.b[0]"#);
        assert_eq!(config_path(&a.module), "a.b");
        assert_eq!(a.config_address(), "data.aws_iam_policy_document.p");
        assert_eq!(Key::Str("x\"y".into()).to_string(), r#"["x\"y"]"#);
    }

    #[test]
    fn rejects_non_traversals() {
        assert!(parse_traversal("aws_instance.x[*].id").is_none());
        assert!(parse_traversal("").is_none());
        assert!(parse_traversal("a..b").is_none());
        assert!(parse_traversal(r#"a["unterminated"#).is_none());
        assert!(Address::parse("aws_kms_key").is_none());
        let steps = parse_traversal(r#"var.logging["target_bucket"]"#).expect("valid");
        assert_eq!(steps[1].key, Some(Key::Str("target_bucket".into())));
    }
}
