//! Suppressions: accepted findings, declared in `keyreach.yaml` (rule + resource) or inline in
//! the input (`# keyreach:ignore KR003 reason` in HCL, `Metadata.keyreach.ignore` in
//! CloudFormation, read by the parsers into [`crate::model::InlineSuppression`]).
//!
//! A suppressed finding stays in the output, marked, and never fails the run. A suppression
//! past its expiry date no longer applies (KR018 reports it); one that matches no finding is
//! reported as unused (KR019), cargo-deny's `unmatched-skip` habit.

use crate::config::date::Date;
use crate::config::Config;
use crate::finding::{Finding, Suppression, SuppressionKind};
use crate::model::{Estate, Location};

/// A suppression from either source, normalised.
#[derive(Debug, Clone)]
pub struct Declared {
    /// Config file or inline.
    pub kind: SuppressionKind,
    /// Rule code as written.
    pub rule: String,
    /// Resource id (config entries may use `*`/`?`).
    pub resource: String,
    /// Why.
    pub reason: String,
    /// Expiry: `Ok(None)` none, `Ok(Some(date))`, `Err(text)` when the text is not a date.
    pub expires: Result<Option<Date>, String>,
    /// Where it is declared.
    pub location: Location,
}

impl Declared {
    /// `file:line` (or the file) of the declaration.
    #[must_use]
    pub fn source(&self) -> String {
        match self.location.line {
            Some(l) => format!("{}:{l}", self.location.file),
            None => self.location.file.clone(),
        }
    }

    /// True when it no longer applies on `today` (the expiry day itself still applies).
    #[must_use]
    pub fn expired(&self, today: Date) -> bool {
        match &self.expires {
            Ok(Some(d)) => *d < today,
            Ok(None) => false,
            Err(_) => true,
        }
    }

    fn matches(&self, f: &Finding) -> bool {
        self.rule.trim().eq_ignore_ascii_case(&f.rule)
            && match self.kind {
                SuppressionKind::Config => {
                    wildmatch::WildMatch::new(&self.resource).matches(&f.resource)
                }
                SuppressionKind::Inline => self.resource == f.resource,
            }
    }
}

/// Every suppression of the configuration and the estate, config first.
#[must_use]
pub fn declared(estate: &Estate, config: &Config) -> Vec<Declared> {
    let mut out: Vec<Declared> = config
        .suppressions
        .iter()
        .map(|s| Declared {
            kind: SuppressionKind::Config,
            rule: s.rule.clone(),
            resource: s.resource.clone(),
            reason: s.reason.clone(),
            expires: Ok(s.expires),
            location: config.location(s.line),
        })
        .collect();
    out.extend(estate.suppressions.iter().map(|s| Declared {
        kind: SuppressionKind::Inline,
        rule: s.rule.clone(),
        resource: s.resource.clone(),
        reason: s.reason.clone(),
        expires: match s.expires.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => Date::parse(text).map(Some),
        },
        location: s.location.clone(),
    }));
    out
}

/// Marks suppressed findings and adds KR019 findings for suppressions that matched nothing.
/// Expired suppressions are skipped (KR018 reports them).
pub fn apply(findings: &mut Vec<Finding>, estate: &Estate, config: &Config, today: Date) {
    let all = declared(estate, config);
    let mut used = vec![false; all.len()];
    for f in findings.iter_mut() {
        let hit = all
            .iter()
            .enumerate()
            .find(|(_, s)| !s.expired(today) && s.matches(f));
        if let Some((i, s)) = hit {
            used[i] = true;
            f.suppressed = Some(Suppression {
                kind: s.kind,
                reason: s.reason.clone(),
                source: s.source(),
                expires: s
                    .expires
                    .as_ref()
                    .ok()
                    .copied()
                    .flatten()
                    .map(|d| d.to_string()),
            });
        }
    }
    for (s, used) in all.iter().zip(used) {
        if used || s.expired(today) {
            continue;
        }
        findings.push(crate::rules::unused_suppression(s));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Severity;
    use crate::model::InlineSuppression;

    fn finding(rule: &str, resource: &str) -> Finding {
        Finding::new(
            rule,
            Severity::High,
            resource,
            None,
            "m",
            Location::file("plan.json"),
        )
    }

    #[test]
    fn config_and_inline_suppressions() {
        let config = crate::config::parse(
            "keyreach.yaml",
            "suppressions:\n  - rule: KR003\n    resource: \"aws_kms_key.*\"\n    reason: reviewed\n    expires: 2025-06-15\n  \
             - rule: KR005\n    resource: aws_s3_bucket.old\n    reason: old\n    expires: 2025-06-14\n  \
             - rule: KR010\n    resource: aws_kms_key.none\n    reason: unused\n",
        )
        .expect("config");
        let mut estate = Estate::default();
        estate.suppressions.push(InlineSuppression {
            resource: "aws_kms_key.b".into(),
            rule: "kr001".into(),
            reason: "public data".into(),
            expires: None,
            location: Location {
                file: "main.tf".into(),
                line: Some(3),
                ..Location::default()
            },
        });
        let today = Date::parse("2025-06-15").expect("date");
        let mut f = vec![
            finding("KR003", "aws_kms_key.a"),
            finding("KR001", "aws_kms_key.b"),
            finding("KR001", "aws_kms_key.a"),
            finding("KR005", "aws_s3_bucket.old"),
        ];
        apply(&mut f, &estate, &config, today);
        let s: Vec<Option<(SuppressionKind, &str)>> = f
            .iter()
            .map(|f| f.suppressed.as_ref().map(|s| (s.kind, s.source.as_str())))
            .collect();
        assert_eq!(
            s,
            [
                Some((SuppressionKind::Config, "keyreach.yaml:2")),
                Some((SuppressionKind::Inline, "main.tf:3")),
                None,
                None, // expired the day before
                None, // the KR019 finding for the unused KR010 suppression
            ]
        );
        assert_eq!(
            f[0].suppressed.as_ref().and_then(|s| s.expires.as_deref()),
            Some("2025-06-15")
        );
        assert_eq!(f[4].rule, "KR019");
        assert_eq!(f[4].location.line, Some(10));
    }
}
