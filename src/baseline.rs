//! Baselines: accept the findings of today, report only new ones.
//!
//! A baseline records findings by fingerprint (rule + resource + subject; see
//! [`crate::finding::fingerprint`]), never by message or line, so rewording a message or moving
//! a resource in a file keeps it baselined. Rule and resource are stored next to the
//! fingerprint only so reviewers can read the file.

use crate::error::InputError;
use crate::finding::Finding;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::path::Path;

/// Format version written in the file.
const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineFile {
    keyreach_baseline: u32,
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(deny_unknown_fields)]
struct Entry {
    fingerprint: String,
    rule: String,
    resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    subject: Option<String>,
}

/// The baseline document for these findings (suppressed findings are left out: they are
/// already accepted, with a reason).
#[must_use]
pub fn to_json(findings: &[Finding]) -> String {
    let mut entries: Vec<Entry> = findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .map(|f| Entry {
            fingerprint: f.fingerprint.clone(),
            rule: f.rule.clone(),
            resource: f.resource.clone(),
            subject: f.subject.clone(),
        })
        .collect();
    entries.sort();
    entries.dedup();
    let file = BaselineFile {
        keyreach_baseline: VERSION,
        findings: entries,
    };
    // Serializing plain strings and integers cannot fail.
    serde_json::to_string_pretty(&file).unwrap_or_default() + "\n"
}

/// Writes the baseline file.
///
/// # Errors
/// I/O errors, naming the file.
pub fn write(path: &Path, findings: &[Finding]) -> anyhow::Result<()> {
    use anyhow::Context as _;
    std::fs::write(path, to_json(findings))
        .with_context(|| format!("writing baseline {}", path.display()))
}

/// Parses a baseline into its set of fingerprints.
///
/// # Errors
/// Malformed JSON or a document that is not a keyreach baseline, with line and column.
pub fn parse(display: &str, text: &str) -> Result<BTreeSet<String>, InputError> {
    let file: BaselineFile = serde_json::from_str(text).map_err(|e| {
        let mut err = InputError::from_json(display, &e);
        err.message
            .push_str(" (expected a keyreach baseline written by --write-baseline)");
        err
    })?;
    if file.keyreach_baseline != VERSION {
        return Err(InputError::new(
            display,
            format!(
                "baseline version {} is not supported (this keyreach reads version {VERSION})",
                file.keyreach_baseline
            ),
        )
        .at_pointer("/keyreach_baseline"));
    }
    Ok(file.findings.into_iter().map(|e| e.fingerprint).collect())
}

/// Reads a baseline file.
///
/// # Errors
/// Unreadable, malformed or foreign files.
pub fn read(path: &Path, display: &str) -> Result<BTreeSet<String>, InputError> {
    let text = crate::parse::read_text(path, display)?;
    parse(display, &text)
}

/// Removes findings recorded in the baseline; returns how many were removed.
pub fn filter(findings: &mut Vec<Finding>, baseline: &BTreeSet<String>) -> usize {
    let before = findings.len();
    findings.retain(|f| !baseline.contains(&f.fingerprint));
    before - findings.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;
    use crate::model::Location;

    fn f(rule: &str, resource: &str, subject: Option<&str>, line: u32) -> Finding {
        let mut loc = Location::file("main.tf");
        loc.line = Some(line);
        Finding::new(
            rule,
            Severity::High,
            resource,
            subject.map(str::to_owned),
            format!("message at {line}"),
            loc,
        )
    }

    #[test]
    fn round_trip_ignores_message_and_line() {
        let old = vec![
            f("KR001", "aws_kms_key.a", None, 3),
            f("KR002", "aws_kms_key.a", Some("p"), 4),
        ];
        let text = to_json(&old);
        let set = parse("b.json", &text).expect("valid");
        let mut now = vec![
            f("KR001", "aws_kms_key.a", None, 30),
            f("KR002", "aws_kms_key.a", Some("q"), 4),
            f("KR003", "aws_kms_key.a", None, 5),
        ];
        assert_eq!(filter(&mut now, &set), 1);
        let left: Vec<_> = now.iter().map(|f| f.rule.as_str()).collect();
        assert_eq!(left, ["KR002", "KR003"]);
    }

    #[test]
    fn malformed_baseline_names_line() {
        let e = parse(
            "b.json",
            "{\n  \"keyreach_baseline\": 1,\n  \"findings\": [1]\n}",
        )
        .expect_err("bad");
        assert_eq!(e.line, Some(3));
        let e = parse("b.json", "{\"keyreach_baseline\": 9, \"findings\": []}").expect_err("bad");
        assert!(e.message.contains("version 9"));
    }
}
