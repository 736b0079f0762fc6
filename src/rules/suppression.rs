//! Rules about suppressions themselves: expired and unused ones.

use super::{declare_rule, RuleCtx};
use crate::finding::{Finding, SuppressionKind};
use crate::suppress::Declared;

fn where_declared(s: &Declared) -> &'static str {
    match s.kind {
        SuppressionKind::Config => "in the configuration",
        SuppressionKind::Inline => "inline",
    }
}

declare_rule! {
    /// ## What it does
    /// Flags a suppression (in `keyreach.yaml` or inline in the input) whose `expires` date has
    /// passed, or whose expiry is not a date. The suppression no longer applies: the finding it
    /// covered is reported again.
    ///
    /// ## Why is this risky?
    /// Expiry dates are how a team promises to revisit an accepted risk. Once the date has
    /// passed, the acceptance needs a fresh decision — either fix the finding or renew the
    /// suppression with a new reason and date.
    ///
    /// ## Example
    /// ```yaml
    /// suppressions:
    ///   - rule: KR003
    ///     resource: aws_kms_key.payments
    ///     reason: migration to named readers in progress
    ///     expires: 2024-12-31
    /// ```
    ///
    /// ## Remediation
    /// Fix the suppressed finding and delete the suppression, or renew it with a new
    /// `expires` date and an up-to-date reason.
    ///
    /// ## Unknown values
    /// "Today" is the UTC system date, or `KEYREACH_TODAY` (`YYYY-MM-DD`) when set. The expiry
    /// day itself is still covered. An expiry that is not a valid date counts as expired.
    ///
    /// ## References
    /// - <https://docs.astral.sh/ruff/linter/#error-suppression>
    pub(crate) static EXPIRED = {
        code: "KR018",
        name: "expired-suppression",
        severity: Medium,
        summary: "A suppression's expiry date has passed.",
        check: expired,
    }
}

fn expired(ctx: &RuleCtx<'_>, out: &mut Vec<Finding>) {
    for s in crate::suppress::declared(ctx.estate, ctx.config) {
        if !s.expired(ctx.today) {
            continue;
        }
        let when = match &s.expires {
            Ok(Some(d)) => format!("expired on {d}"),
            Ok(None) => continue,
            Err(e) => format!("has an invalid expiry ({e})"),
        };
        out.push(EXPIRED.meta.finding(
            s.resource.clone(),
            Some(s.rule.to_ascii_uppercase()),
            format!(
                "The suppression of {} for `{}` declared {} {when}; the finding is reported again",
                s.rule.to_ascii_uppercase(),
                s.resource,
                where_declared(&s)
            ),
            s.location.clone(),
        ));
    }
}

declare_rule! {
    /// ## What it does
    /// Flags a suppression (in `keyreach.yaml` or inline in the input) that matches no finding
    /// of the run.
    ///
    /// ## Why is this risky?
    /// An unused suppression usually means the risk was fixed (good — delete it) or the rule
    /// code or resource id is misspelled, so the finding it was meant for is not suppressed at
    /// all, or a future finding on that resource would be silenced without review.
    ///
    /// ## Example
    /// ```yaml
    /// suppressions:
    ///   - rule: KR003
    ///     resource: aws_kms_key.paymnets   # typo
    ///     reason: reviewed
    /// ```
    ///
    /// ## Remediation
    /// Delete the suppression, or correct its rule code and resource id.
    ///
    /// ## Unknown values
    /// Expired suppressions are reported by KR018 instead. A suppression counts as used when
    /// it matches a finding that a baseline then hides.
    ///
    /// ## References
    /// - <https://embarkstudios.github.io/cargo-deny/checks/bans/cfg.html>
    pub(crate) static UNUSED = {
        code: "KR019",
        name: "unused-suppression",
        severity: Low,
        summary: "A suppression matches no finding.",
        check: unused_is_found_when_applying_suppressions,
    }
}

/// KR019 needs the findings of every other rule, so it is produced by
/// [`crate::suppress::apply`], not here.
fn unused_is_found_when_applying_suppressions(_: &RuleCtx<'_>, _: &mut Vec<Finding>) {}

/// The KR019 finding for a suppression that matched nothing.
#[must_use]
pub fn unused_suppression(s: &Declared) -> Finding {
    UNUSED.meta.finding(
        s.resource.clone(),
        Some(s.rule.to_ascii_uppercase()),
        format!(
            "The suppression of {} for `{}` declared {} matches no finding",
            s.rule.to_ascii_uppercase(),
            s.resource,
            where_declared(s)
        ),
        s.location.clone(),
    )
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::model::{InlineSuppression, Location};

    #[test]
    fn kr018_expired() {
        let mut t = Kit::new();
        t.config_text(
            "suppressions:\n  - rule: KR003\n    resource: aws_kms_key.a\n    reason: r\n    expires: 2025-06-14\n  \
             - rule: KR003\n    resource: aws_kms_key.b\n    reason: r\n    expires: 2025-06-15\n",
        );
        t.estate.suppressions.push(InlineSuppression {
            resource: "aws_kms_key.c".into(),
            rule: "KR001".into(),
            reason: "r".into(),
            expires: Some("soon".into()),
            location: Location {
                file: "main.tf".into(),
                line: Some(4),
                ..Location::default()
            },
        });
        let f = t.run("KR018");
        let got: Vec<_> = f
            .iter()
            .map(|f| {
                (
                    f.resource.as_str(),
                    f.location.file.as_str(),
                    f.location.line,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("aws_kms_key.a", "keyreach.yaml", Some(2)),
                ("aws_kms_key.c", "main.tf", Some(4)),
            ]
        );
        assert!(f[0].message.contains("expired on 2025-06-14"));
        assert!(f[1].message.contains("invalid expiry"));
    }
}
