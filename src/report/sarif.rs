//! SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps).
//!
//! Every rule of the registry is a `reportingDescriptor` whose help is the rule's explanation;
//! every finding is a result with a physical location (the input file, with `region.startLine`
//! where the finding has a line), a logical location naming the resource, and a
//! `partialFingerprints` entry from the finding's stable fingerprint (rule + resource +
//! subject) so code scanning tracks an alert across runs even when lines move. Suppressed
//! findings carry `suppressions` with the reason.

use crate::analysis::result::Report;
use crate::finding::{Finding, Severity, SuppressionKind};
use crate::rules::{RuleDef, RULES};
use serde_json::{json, Map, Value};
use std::io::Write;

/// The schema URI written in `$schema`.
pub const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Name of the `partialFingerprints` entry.
pub const FINGERPRINT_KEY: &str = "keyreachFingerprint/v1";

/// Writes the SARIF log.
///
/// # Errors
/// Write errors.
pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &to_value(report))?;
    out.write_all(b"\n")
}

/// SARIF `level` of a severity.
#[must_use]
pub fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub's `security-severity` score (critical ≥ 9.0, high 7.0–8.9, medium 4.0–6.9, low
/// 0.1–3.9).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.5",
    }
}

/// The body of the explanation's first section ("What it does"), as one paragraph.
fn what_it_does(rule: &RuleDef) -> String {
    let text = rule.meta.explanation();
    let body = text
        .split("\n## ")
        .next()
        .unwrap_or("")
        .trim_start_matches("## What it does")
        .trim();
    body.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn descriptor(rule: &RuleDef) -> Value {
    let m = &rule.meta;
    let explanation = m.explanation();
    json!({
        "id": m.code,
        "name": m.name,
        "shortDescription": {"text": m.summary},
        "fullDescription": {"text": what_it_does(rule)},
        "help": {"text": explanation, "markdown": explanation},
        "defaultConfiguration": {"level": level(m.default_severity)},
        "properties": {
            "tags": ["security", "kms", "access"],
            "security-severity": security_severity(m.default_severity),
        },
    })
}

/// A relative URI reference for a path (forward slashes, percent-encoded), or a `file:` URI
/// for an absolute path.
#[must_use]
pub fn path_to_uri(path: &str) -> String {
    let unified = path.replace('\\', "/");
    let mut out = String::with_capacity(unified.len());
    let absolute = unified.starts_with('/');
    let drive = unified.len() >= 2
        && unified.as_bytes()[1] == b':'
        && unified.as_bytes()[0].is_ascii_alphabetic();
    if absolute {
        out.push_str("file://");
    } else if drive {
        out.push_str("file:///");
    }
    for b in unified.bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'/' | b'-' | b'_' | b'.' | b'~')
            || (drive && b == b':');
        if keep {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn result(f: &Finding, rule_index: Option<usize>) -> Value {
    let mut physical = Map::new();
    physical.insert(
        "artifactLocation".into(),
        json!({"uri": path_to_uri(&f.location.file)}),
    );
    if let Some(line) = f.location.line.filter(|l| *l > 0) {
        let mut region = Map::new();
        region.insert("startLine".into(), json!(line));
        if let Some(col) = f.location.column.filter(|c| *c > 0) {
            region.insert("startColumn".into(), json!(col));
        }
        physical.insert("region".into(), Value::Object(region));
    }
    let mut properties = Map::new();
    properties.insert("severity".into(), json!(f.severity.as_str()));
    if let Some(d) = &f.domain {
        properties.insert("domain".into(), json!(d));
    }
    if let Some(p) = &f.location.pointer {
        properties.insert("pointer".into(), json!(p));
    }
    let mut r = Map::new();
    r.insert("ruleId".into(), json!(f.rule));
    if let Some(i) = rule_index {
        r.insert("ruleIndex".into(), json!(i));
    }
    r.insert("level".into(), json!(level(f.severity)));
    r.insert("message".into(), json!({"text": f.message}));
    r.insert(
        "locations".into(),
        json!([{
            "physicalLocation": Value::Object(physical),
            "logicalLocations": [{"fullyQualifiedName": f.resource, "kind": "resource"}],
        }]),
    );
    r.insert(
        "partialFingerprints".into(),
        json!({FINGERPRINT_KEY: f.fingerprint}),
    );
    if let Some(s) = &f.suppressed {
        let kind = match s.kind {
            SuppressionKind::Config => "external",
            SuppressionKind::Inline => "inSource",
        };
        let mut justification = s.reason.clone();
        if let Some(e) = &s.expires {
            justification.push_str(&format!(" (until {e})"));
        }
        r.insert(
            "suppressions".into(),
            json!([{
                "kind": kind,
                "status": "accepted",
                "justification": justification,
                "location": {"physicalLocation": {"artifactLocation": {"uri": path_to_uri(source_file(&s.source))}}},
            }]),
        );
    }
    r.insert("properties".into(), Value::Object(properties));
    Value::Object(r)
}

/// The file part of a `file:line` source.
fn source_file(source: &str) -> &str {
    match source.rsplit_once(':') {
        Some((file, line)) if !line.is_empty() && line.bytes().all(|b| b.is_ascii_digit()) => file,
        _ => source,
    }
}

/// The SARIF log as a JSON value.
#[must_use]
pub fn to_value(report: &Report) -> Value {
    to_value_with(report, &[])
}

/// The SARIF log with extra results after the report's findings (access gained, from a diff).
#[must_use]
pub fn to_value_with(report: &Report, extra: &[Finding]) -> Value {
    let rules: Vec<Value> = RULES.iter().map(|r| descriptor(r)).collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .chain(extra)
        .map(|f| {
            let index = RULES.iter().position(|r| r.meta.code == f.rule);
            result(f, index)
        })
        .collect();
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "keyreach",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris() {
        assert_eq!(path_to_uri("plan.json"), "plan.json");
        assert_eq!(path_to_uri("infra/my plan.json"), "infra/my%20plan.json");
        assert_eq!(path_to_uri("a\\b#c.json"), "a/b%23c.json");
        assert_eq!(path_to_uri("/tmp/x.json"), "file:///tmp/x.json");
        assert_eq!(path_to_uri("C:\\x\\p.json"), "file:///C:/x/p.json");
        assert_eq!(path_to_uri("../keyreach.yaml"), "../keyreach.yaml");
    }

    #[test]
    fn levels() {
        assert_eq!(level(Severity::Critical), "error");
        assert_eq!(level(Severity::High), "error");
        assert_eq!(level(Severity::Medium), "warning");
        assert_eq!(level(Severity::Low), "note");
        assert_eq!(level(Severity::Info), "note");
    }

    #[test]
    fn full_description_is_what_it_does() {
        let r = crate::rules::lookup("KR001").expect("rule");
        let d = what_it_does(r);
        assert!(d.starts_with("Flags a domain whose data"), "{d}");
        assert!(!d.contains("##"));
    }
}
