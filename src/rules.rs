//! Rules: the registry, the context every rule sees, and the run over all rules.
//!
//! A rule lives in one place: [`declare_rule!`] turns its doc comment (the user-facing
//! explanation, ruff style) and its metadata into a [`RuleDef`] next to its check function;
//! [`RULES`] lists them all. The same explanation feeds `keyreach rule <CODE>`, SARIF
//! `fullDescription`/`help` and the generated `docs/rules.md`.
//!
//! Rules see only the resource model ([`crate::model`]), the access report
//! ([`crate::analysis::result`]) and the configuration, through [`RuleCtx`]; never parser types.
//! Codes are `KR` + three digits and are never reused: a retired rule keeps its number.

mod access;
mod access_change;
mod ctx;
mod expected;
mod grant;
mod iam;
mod key;
mod store;
mod suppression;
mod template;
#[cfg(test)]
mod testkit;
mod undetermined;

pub use ctx::{IdentityDoc, PolicyState, RuleCtx};
pub use suppression::unused_suppression;

use crate::finding::{Finding, Severity};

/// What a rule is, independent of any input.
#[derive(Debug, Clone, Copy)]
pub struct RuleMeta {
    /// Stable code, e.g. `KR001`.
    pub code: &'static str,
    /// Kebab-case name describing the risky pattern.
    pub name: &'static str,
    /// Severity of its findings unless the rule says otherwise for a case.
    pub default_severity: Severity,
    /// One line.
    pub summary: &'static str,
    /// Markdown explanation (the rule's doc comment), with the headings of
    /// [`EXPLANATION_HEADINGS`].
    pub explanation: &'static str,
}

impl RuleMeta {
    /// The explanation with the one leading space of each doc-comment line removed.
    #[must_use]
    pub fn explanation(&self) -> String {
        let mut s = String::with_capacity(self.explanation.len());
        for line in self.explanation.lines() {
            s.push_str(line.strip_prefix(' ').unwrap_or(line));
            s.push('\n');
        }
        s.trim().to_owned() + "\n"
    }

    /// Finding for this rule at its default severity.
    #[must_use]
    pub fn finding(
        &self,
        resource: impl Into<String>,
        subject: Option<String>,
        message: impl Into<String>,
        location: crate::model::Location,
    ) -> Finding {
        Finding::new(
            self.code,
            self.default_severity,
            resource,
            subject,
            message,
            location,
        )
    }
}

/// A rule: metadata plus check.
pub struct RuleDef {
    /// Metadata.
    pub meta: RuleMeta,
    /// Adds the rule's findings for the estate.
    pub check: fn(&RuleCtx<'_>, &mut Vec<Finding>),
}

impl std::fmt::Debug for RuleDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.meta.fmt(f)
    }
}

/// The headings every explanation has, in this order.
pub const EXPLANATION_HEADINGS: [&str; 6] = [
    "## What it does",
    "## Why is this risky?",
    "## Example",
    "## Remediation",
    "## Unknown values",
    "## References",
];

/// Declares a rule from its doc comment and metadata:
///
/// ```ignore
/// declare_rule! {
///     /// ## What it does
///     /// ...
///     pub(crate) static MY_RULE = {
///         code: "KR999",
///         name: "my-risky-pattern",
///         severity: High,
///         summary: "One line.",
///         check: check_fn,
///     }
/// }
/// ```
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        $vis:vis static $ident:ident = {
            code: $code:literal,
            name: $name:literal,
            severity: $sev:ident,
            summary: $summary:literal,
            check: $check:path $(,)?
        }
    ) => {
        $vis static $ident: $crate::rules::RuleDef = $crate::rules::RuleDef {
            meta: $crate::rules::RuleMeta {
                code: $code,
                name: $name,
                default_severity: $crate::finding::Severity::$sev,
                summary: $summary,
                explanation: concat!($($doc, "\n"),*),
            },
            check: $check,
        };
    };
}
pub(crate) use declare_rule;

/// Every rule, in code order.
pub static RULES: &[&RuleDef] = &[
    &access::READABLE_BY_EVERYONE,
    &access::OTHER_ACCOUNT,
    &access::ACCOUNT_DELEGATION,
    &store::AWS_MANAGED_KEY,
    &store::UNENCRYPTED,
    &store::KEY_SERVES_SEVERAL_DOMAINS,
    &store::DOMAIN_SPREAD_OVER_KEYS,
    &access::ADMIN_CAN_BECOME_READER,
    &key::LOCKOUT,
    &key::ANY_PRINCIPAL,
    &iam::DECRYPT_ANY_KEY,
    &iam::BROAD_TRUST,
    &undetermined::POLICY_UNDETERMINED,
    &grant::UNEXPECTED_GRANTEE,
    &key::ROTATION_DISABLED,
    &expected::UNEXPECTED_PRINCIPAL,
    &expected::STALE_EXPECTED,
    &suppression::EXPIRED,
    &suppression::UNUSED,
    &template::DUPLICATE_POLICY_KEY,
    &access_change::ACCESS_GAINED,
];

/// The rule with this code (case-insensitive).
#[must_use]
pub fn lookup(code: &str) -> Option<&'static RuleDef> {
    RULES
        .iter()
        .copied()
        .find(|r| r.meta.code.eq_ignore_ascii_case(code.trim()))
}

/// Runs every rule. Findings are not yet suppressed, filtered or sorted.
#[must_use]
pub fn check_all(ctx: &RuleCtx<'_>) -> Vec<Finding> {
    // Large reports: the rules are independent, so they run on every core. The findings keep
    // the registry's order either way.
    let big = ctx
        .report
        .domains
        .iter()
        .map(|d| d.access.len())
        .sum::<usize>()
        > 2_000;
    let threads = if big || crate::par::forced_threads().is_some() {
        crate::par::threads_for(RULES.len())
    } else {
        1
    };
    crate::par::map(RULES, threads, |rule| {
        let mut out = Vec::new();
        (rule.check)(ctx, &mut out);
        out
    })
    .concat()
}

/// Runs every rule, applies suppressions (adding KR019 for unused ones) and sorts: the
/// findings of a report, before any baseline.
#[must_use]
pub fn check(
    estate: &crate::model::Estate,
    report: &crate::analysis::result::Report,
    config: &crate::config::Config,
    today: crate::config::date::Date,
) -> Vec<Finding> {
    let ctx = RuleCtx::new(estate, report, config, today);
    let mut findings = check_all(&ctx);
    crate::suppress::apply(&mut findings, estate, config, today);
    crate::finding::sort(&mut findings);
    findings
}

/// `docs/rules.md`, generated from the registry.
#[must_use]
pub fn docs_markdown() -> String {
    use std::fmt::Write as _;
    let mut s = String::from(
        "<!-- Generated from the rule registry (src/rules/). Do not edit: run\n     \
         `KEYREACH_UPDATE_DOCS=1 cargo test --test docs` to regenerate. -->\n\n# Rules\n\n\
         Every finding names one of these rules. The code is the SARIF `ruleId`, the key of \
         suppressions and of `keyreach rule <CODE>`. Codes are never reused.\n\n\
         | Code | Name | Default severity | Summary |\n|---|---|---|---|\n",
    );
    for r in RULES {
        let m = &r.meta;
        let _ = writeln!(
            s,
            "| [{}](#{}) | `{}` | {} | {} |",
            m.code,
            anchor(m),
            m.name,
            m.default_severity,
            m.summary
        );
    }
    for r in RULES {
        let m = &r.meta;
        let _ = write!(
            s,
            "\n## {} {}\n\nDefault severity: **{}**. {}\n\n",
            m.code, m.name, m.default_severity, m.summary
        );
        // Explanation headings are demoted one level below the rule's own heading; lines in
        // code blocks (HCL comments) are left alone.
        let mut in_code = false;
        for line in m.explanation().lines() {
            if line.starts_with("```") {
                in_code = !in_code;
            }
            if !in_code && line.starts_with("## ") {
                s.push('#');
            }
            s.push_str(line);
            s.push('\n');
        }
    }
    s
}

fn anchor(m: &RuleMeta) -> String {
    format!("{}-{}", m.code, m.name).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn codes_unique_and_well_formed() {
        let mut codes = BTreeSet::new();
        let mut names = BTreeSet::new();
        for r in RULES {
            let m = &r.meta;
            assert!(codes.insert(m.code), "duplicate code {}", m.code);
            assert!(names.insert(m.name), "duplicate name {}", m.name);
            assert!(
                m.code.len() == 5
                    && m.code.starts_with("KR")
                    && m.code[2..].bytes().all(|b| b.is_ascii_digit()),
                "{}",
                m.code
            );
            assert!(
                m.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{} is not kebab-case",
                m.name
            );
            assert!(!m.summary.is_empty() && !m.summary.contains('\n'));
        }
        let sorted: Vec<_> = RULES.iter().map(|r| r.meta.code).collect();
        let mut again = sorted.clone();
        again.sort_unstable();
        assert_eq!(sorted, again, "RULES is kept in code order");
    }

    #[test]
    fn explanations_have_every_heading_in_order() {
        for r in RULES {
            let text = r.meta.explanation();
            let mut at = 0;
            for h in EXPLANATION_HEADINGS {
                let Some(pos) = text[at..].lines().position(|l| l == h) else {
                    panic!("{}: heading `{h}` missing or out of order", r.meta.code);
                };
                at += text[at..]
                    .lines()
                    .take(pos + 1)
                    .map(|l| l.len() + 1)
                    .sum::<usize>();
                let body = text[at..].split("\n## ").next().unwrap_or("");
                assert!(
                    !body.trim().is_empty(),
                    "{}: `{h}` has no text",
                    r.meta.code
                );
            }
        }
    }

    #[test]
    fn lookup_is_case_insensitive() {
        assert_eq!(lookup("kr001").map(|r| r.meta.code), Some("KR001"));
        assert!(lookup("KR000").is_none());
    }
}
