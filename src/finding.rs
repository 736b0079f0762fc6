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

/// Where a suppression is declared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SuppressionKind {
    /// In the configuration file.
    Config,
    /// In the input itself (HCL comment, CloudFormation `Metadata`).
    Inline,
}

/// A suppression that applies to a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// Where it is declared.
    pub kind: SuppressionKind,
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
    /// What the finding is about within the resource (a principal, a statement, a store),
    /// when the resource alone does not identify it. Part of the fingerprint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// Stable fingerprint (rule + resource + subject), used by baselines and SARIF.
    pub fingerprint: String,
    /// Set when a suppression applies; suppressed findings never fail the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
}

impl Finding {
    /// A finding with its fingerprint computed from rule, resource and subject (never from the
    /// message or the location, so it survives rewording and moved lines).
    #[must_use]
    pub fn new(
        rule: &str,
        severity: Severity,
        resource: impl Into<String>,
        subject: Option<String>,
        message: impl Into<String>,
        location: Location,
    ) -> Self {
        let resource = resource.into();
        let fingerprint = fingerprint(rule, &resource, subject.as_deref());
        Self {
            rule: rule.to_owned(),
            severity,
            message: message.into(),
            resource,
            domain: None,
            location,
            subject,
            fingerprint,
            suppressed: None,
        }
    }

    /// Sets the domain.
    #[must_use]
    pub fn in_domain(mut self, domain: Option<&str>) -> Self {
        self.domain = domain.map(str::to_owned);
        self
    }
}

/// The stable fingerprint of a finding: 64-bit FNV-1a over rule, resource and subject, as 16
/// hex digits. FNV-1a is fixed by its definition (unlike `std`'s `DefaultHasher`, whose
/// output may change between Rust releases), so baselines stay valid across toolchains.
#[must_use]
pub fn fingerprint(rule: &str, resource: &str, subject: Option<&str>) -> String {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    let parts = [rule, resource, subject.unwrap_or("")];
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            // A separator byte that cannot occur in UTF-8 text keeps ("a","bc") and ("ab","c")
            // apart.
            h ^= 0xff;
            h = h.wrapping_mul(PRIME);
        }
        for b in part.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(PRIME);
        }
    }
    format!("{h:016x}")
}

/// Sorts findings into output order: file, line, pointer (numbers in it compared as
/// numbers, so `/resources/9` comes before `/resources/10`), rule, resource, subject. Every
/// renderer sees this order.
pub fn sort(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (&a.location.file, a.location.line)
            .cmp(&(&b.location.file, b.location.line))
            .then_with(|| {
                natural_cmp(
                    a.location.pointer.as_deref().unwrap_or(""),
                    b.location.pointer.as_deref().unwrap_or(""),
                )
            })
            .then_with(|| {
                (&a.rule, &a.resource, &a.subject).cmp(&(&b.rule, &b.resource, &b.subject))
            })
    });
}

/// Compares strings with runs of ASCII digits compared by value.
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    loop {
        match (a.first(), b.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let da = a.iter().take_while(|c| c.is_ascii_digit()).count();
                let db = b.iter().take_while(|c| c.is_ascii_digit()).count();
                let (na, nb) = (&a[..da], &b[..db]);
                let strip = |n: &[u8]| -> usize { n.iter().take_while(|c| **c == b'0').count() };
                let (ta, tb) = (&na[strip(na)..], &nb[strip(nb)..]);
                let ord = ta
                    .len()
                    .cmp(&tb.len())
                    .then_with(|| ta.cmp(tb))
                    .then(da.cmp(&db));
                if ord != Ordering::Equal {
                    return ord;
                }
                a = &a[da..];
                b = &b[db..];
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(y);
                }
                a = &a[1..];
                b = &b[1..];
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable_and_ignores_message_and_location() {
        // Pinned value: changing the function invalidates every user's baseline.
        assert_eq!(
            fingerprint("KR001", "aws_kms_key.a", None),
            fingerprint("KR001", "aws_kms_key.a", None)
        );
        assert_eq!(fingerprint("", "", None), "0a99c907b6f64763");
        let a = Finding::new(
            "KR001",
            Severity::High,
            "r",
            Some("p".into()),
            "one",
            Location::file("a"),
        );
        let mut b = a.clone();
        b.message = "two".into();
        b.location = Location::file("b");
        let b2 = Finding::new(
            "KR001",
            Severity::High,
            "r",
            Some("p".into()),
            "two",
            b.location,
        );
        assert_eq!(a.fingerprint, b2.fingerprint);
    }

    #[test]
    fn pointers_sort_naturally() {
        use std::cmp::Ordering::{Equal, Greater, Less};
        for (a, b, want) in [
            ("/r/9", "/r/10", Less),
            ("/r/104", "/r/1006", Less),
            ("/r/10/a", "/r/10/b", Less),
            ("/r/010", "/r/10", Greater),
            ("/r/x", "/r/x", Equal),
            ("", "/r", Less),
        ] {
            assert_eq!(natural_cmp(a, b), want, "{a} {b}");
        }
    }

    #[test]
    fn fingerprint_separates_fields() {
        assert_ne!(
            fingerprint("KR001", "ab", Some("c")),
            fingerprint("KR001", "a", Some("bc"))
        );
        assert_ne!(
            fingerprint("KR001", "a", None),
            fingerprint("KR002", "a", None)
        );
    }
}
