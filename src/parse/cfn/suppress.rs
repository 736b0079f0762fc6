//! Inline suppressions declared in a resource's `Metadata`:
//!
//! ```yaml
//! Metadata:
//!   keyreach:
//!     ignore:
//!       - {rule: KR001, reason: "shared with the audit account", expires: "2027-01-01"}
//!       - "KR002 reviewed in SEC-123"
//! ```
//!
//! The string form is `CODE reason`. A rule code and a reason are required; `expires` must be
//! a `YYYY-MM-DD` date. Metadata is read as written (it takes no intrinsic functions).

use super::resolve::Ctx;
use crate::error::pointer_token;
use crate::model::{InlineSuppression, Location};
use serde_json::Value;

impl Ctx<'_> {
    /// The suppressions declared on one resource.
    pub(crate) fn suppressions(
        &self,
        inst: usize,
        logical: &str,
        id: &str,
    ) -> Vec<InlineSuppression> {
        let t = self.template(inst);
        let Some(ignore) = t
            .resource(logical)
            .and_then(|r| r.get("Metadata"))
            .and_then(|m| m.get("keyreach"))
            .and_then(|k| k.get("ignore"))
        else {
            return Vec::new();
        };
        let base = format!(
            "/Resources/{}/Metadata/keyreach/ignore",
            pointer_token(logical)
        );
        let items: Vec<(String, &Value)> = match ignore {
            Value::Array(items) => items
                .iter()
                .enumerate()
                .map(|(i, v)| (format!("{base}/{i}"), v))
                .collect(),
            other => vec![(base.clone(), other)],
        };
        let mut out = Vec::new();
        for (ptr, item) in items {
            let parsed = match item {
                Value::String(s) => match s.trim().split_once(char::is_whitespace) {
                    Some((rule, reason)) => Ok((rule.to_owned(), reason.trim().to_owned(), None)),
                    None => Err("a suppression string is `CODE reason`; the reason is missing"),
                },
                Value::Object(m) => {
                    let rule = m.get("rule").and_then(Value::as_str).unwrap_or_default();
                    let reason = m.get("reason").and_then(Value::as_str).unwrap_or_default();
                    let expires = m.get("expires").map(|e| match e {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    });
                    if rule.trim().is_empty() {
                        Err("a suppression needs `rule` (a rule code such as KR001)")
                    } else if reason.trim().is_empty() {
                        Err("a suppression needs a `reason`")
                    } else if expires.as_deref().is_some_and(|e| !is_date(e)) {
                        Err("`expires` must be a date YYYY-MM-DD")
                    } else {
                        Ok((rule.trim().to_owned(), reason.trim().to_owned(), expires))
                    }
                }
                _ => Err("a suppression is {rule, reason, expires} or a string `CODE reason`"),
            };
            match parsed {
                Ok((rule, reason, expires)) => out.push(InlineSuppression {
                    resource: id.to_owned(),
                    rule,
                    reason,
                    expires,
                    location: Location {
                        file: t.display.clone(),
                        line: t.exact_line(&ptr),
                        column: None,
                        pointer: Some(ptr),
                    },
                }),
                Err(msg) => self.error(inst, &ptr, msg),
            }
        }
        out
    }
}

/// `YYYY-MM-DD` with a plausible month and day.
fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok());
    matches!(
        (num(0..4), num(5..7), num(8..10)),
        (Some(_), Some(1..=12), Some(1..=31))
    )
}

#[cfg(test)]
mod tests {
    use super::is_date;

    #[test]
    fn dates() {
        assert!(is_date("2027-01-01"));
        assert!(!is_date("2027-13-01"));
        assert!(!is_date("27-01-01"));
        assert!(!is_date("2027/01/01"));
    }
}
