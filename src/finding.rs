//! Findings: data about a risky pattern, never an error.

use crate::model::Location;
use serde::Serialize;
use std::fmt;

/// Finding severity, ordered from least to most severe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Informational.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// The lowercase name used in every output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A suppression that applies to a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// Why it is accepted.
    pub reason: String,
    /// Where the suppression was declared (config file, inline comment, template metadata).
    pub source: String,
    /// Expiry date (`YYYY-MM-DD`), when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable rule code.
    pub rule: String,
    /// Severity.
    pub severity: Severity,
    /// What was found, in one sentence.
    pub message: String,
    /// The resource it is about (input id).
    pub resource: String,
    /// The domain it is about, when it is about one.
    pub domain: Option<String>,
    /// Where to look.
    pub location: Location,
    /// Stable fingerprint (rule + resource + subject), used by baselines and SARIF.
    pub fingerprint: String,
    /// Set when a suppression applies; suppressed findings never fail the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
}
