//! Expected access from `keyreach.yaml`: principals beyond it, and entries that match nothing.

use super::access::{entry_finding, evidence};
use super::ctx::{entry_account, some};
use super::{declare_rule, RuleCtx};
use crate::analysis::result::{AccessEntry, Capability, PrincipalKind};
use crate::config::{Capability as Cap, Expected};
use crate::finding::Finding;

fn capability(e: &AccessEntry, c: Cap) -> Capability {
    match c {
        Cap::Read => e.read,
        Cap::Write => e.write,
        Cap::Admin => e.admin,
    }
}

fn matches(p: &Expected, e: &AccessEntry) -> bool {
    p.matches(&e.principal) || e.arn.as_deref().is_some_and(|a| p.matches(a))
}

declare_rule! {
    /// ## What it does
    /// For a domain with expected access in `keyreach.yaml`, flags every principal that can
    /// read, write or administer the domain without being listed under that capability
    /// (`read`, `write`, `admin`; input ids, ARNs or patterns with `*` and `?`). Account-wide
    /// access through IAM delegation is accepted only with `account_wide: true`.
    ///
    /// ## Why is this risky?
    /// The configuration is the team's statement of who should reach the domain. Any other
    /// principal is either a mistake in the code or a change to the domain's access that
    /// nobody reviewed.
    ///
    /// ## Example
    /// ```yaml
    /// domains:
    ///   payments:
    ///     read: [aws_iam_role.payments_app]
    ///     write: [aws_iam_role.payments_app]
    ///     admin: ["arn:aws:iam::111122223333:role/platform-*"]
    /// ```
    /// and a key policy that also lets `aws_iam_role.analytics` decrypt.
    ///
    /// ## Remediation
    /// Remove the access, or add the principal to the domain's list in `keyreach.yaml` in the
    /// same change so reviewers see it.
    ///
    /// ## Unknown values
    /// `conditional` access counts as access: a principal that may read must be listed under
    /// `read`. An account entry whose account is unknown until apply is taken to be the owning
    /// account (accepted by `account_wide: true`).
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/prescriptive-guidance/latest/encryption-best-practices/kms.html>
    pub(crate) static UNEXPECTED_PRINCIPAL = {
        code: "KR016",
        name: "unexpected-principal",
        severity: High,
        summary: "A principal can access a domain beyond the expected access in keyreach.yaml.",
        check: unexpected_principal,
    }
}

fn unexpected_principal(ctx: &RuleCtx<'_>, out: &mut Vec<Finding>) {
    for d in &ctx.report.domains {
        let Some(x) = ctx.config.domains.get(&d.name) else {
            continue;
        };
        let home = ctx.home_account(Some(d));
        for e in &d.access {
            if e.kind == PrincipalKind::Account && x.account_wide {
                let own = match (entry_account(e), home) {
                    (Some(a), Some(h)) => a == h,
                    _ => true,
                };
                if own {
                    continue;
                }
            }
            let missing: Vec<&str> = Cap::ALL
                .into_iter()
                .filter(|c| some(capability(e, *c)) && !x.list(*c).iter().any(|p| matches(p, e)))
                .map(Cap::as_str)
                .collect();
            if missing.is_empty() {
                continue;
            }
            out.push(entry_finding(
                ctx,
                &UNEXPECTED_PRINCIPAL,
                d,
                e,
                format!(
                    "`{}` has {} access to domain `{}`, which {} does not list{}",
                    e.principal,
                    missing.join("/"),
                    d.name,
                    ctx.config.path.as_deref().unwrap_or("keyreach.yaml"),
                    evidence(e)
                ),
            ));
        }
    }
}

declare_rule! {
    /// ## What it does
    /// Flags entries of `keyreach.yaml` that match nothing: a domain the inputs do not have, or
    /// a principal pattern under `read`, `write` or `admin` that matches no principal with that
    /// access.
    ///
    /// ## Why is this risky?
    /// Stale entries make the configuration lie about who has access, and a stale pattern can
    /// silently accept a new principal that happens to match it later.
    ///
    /// ## Example
    /// ```yaml
    /// domains:
    ///   payments:
    ///     read: [aws_iam_role.old_reporting]   # the role was removed
    /// ```
    ///
    /// ## Remediation
    /// Remove the entry, or fix its spelling (input ids are Terraform addresses with module
    /// path and index, or CloudFormation logical ids).
    ///
    /// ## Unknown values
    /// A pattern that matches a principal whose access is `conditional` is in use.
    ///
    /// ## References
    /// - <https://embarkstudios.github.io/cargo-deny/checks/bans/cfg.html>
    pub(crate) static STALE_EXPECTED = {
        code: "KR017",
        name: "stale-expected-access",
        severity: Low,
        summary: "An expected-access entry in keyreach.yaml matches nothing.",
        check: stale_expected,
    }
}

fn stale_expected(ctx: &RuleCtx<'_>, out: &mut Vec<Finding>) {
    let file = ctx
        .config
        .path
        .clone()
        .unwrap_or_else(|| crate::config::FILE_NAME.to_owned());
    for (name, x) in &ctx.config.domains {
        let Some(d) = ctx.report.domains.iter().find(|d| &d.name == name) else {
            out.push(
                STALE_EXPECTED
                    .meta
                    .finding(
                        file.clone(),
                        Some(name.clone()),
                        format!("{file} lists domain `{name}`, which the inputs do not have"),
                        ctx.config.location(x.line),
                    )
                    .in_domain(Some(name)),
            );
            continue;
        };
        for cap in Cap::ALL {
            for p in x.list(cap) {
                let used = d
                    .access
                    .iter()
                    .any(|e| some(capability(e, cap)) && matches(p, e));
                if used {
                    continue;
                }
                out.push(
                    STALE_EXPECTED
                        .meta
                        .finding(
                            file.clone(),
                            Some(format!("{name}/{}/{}", cap.as_str(), p.pattern)),
                            format!(
                                "`{}` under {} of domain `{name}` matches no principal with {} access",
                                p.pattern,
                                cap.as_str(),
                                cap.as_str()
                            ),
                            ctx.config.location(p.line.or(x.line)),
                        )
                        .in_domain(Some(name)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::analysis::result::Capability::{Conditional, No, Yes};

    fn kit() -> Kit {
        let mut t = Kit::new();
        t.account("111122223333");
        t.key("aws_kms_key.pay", None);
        t.domain("payments", &["aws_kms_key.pay"]);
        t.entry("payments", role("aws_iam_role.app", None, Yes, Yes, No));
        t.entry(
            "payments",
            role(
                "aws_iam_role.analytics",
                Some("arn:aws:iam::111122223333:role/analytics-eu"),
                Conditional,
                No,
                No,
            ),
        );
        t.entry("payments", account("111122223333", Yes, Yes, Yes));
        t.entry("payments", service("logs.amazonaws.com", No, Yes));
        t
    }

    #[test]
    fn kr016_satisfied() {
        let mut t = kit();
        t.config_text(
            "domains:\n  payments:\n    read: [aws_iam_role.app, \"arn:aws:iam::111122223333:role/analytics-*\"]\n    \
             write: [aws_iam_role.app, \"*.amazonaws.com\"]\n    account_wide: true\n",
        );
        assert!(t.run("KR016").is_empty());
        assert!(t.run("KR017").is_empty());
    }

    #[test]
    fn kr016_violated() {
        let mut t = kit();
        t.config_text(
            "domains:\n  payments:\n    read: [aws_iam_role.app]\n    write: [aws_iam_role.app]\n",
        );
        let f = t.run("KR016");
        assert_eq!(
            subjects(&f),
            [
                "arn:aws:iam::111122223333:root",
                "aws_iam_role.analytics",
                "logs.amazonaws.com"
            ]
        );
        assert!(
            f[0].message.contains("read/write/admin access"),
            "{}",
            f[0].message
        );
        assert!(f
            .iter()
            .all(|f| f.severity == crate::finding::Severity::High));
        // Domains without expected access are not checked.
        let mut t = kit();
        t.config_text("domains:\n  other: {}\n");
        assert!(t.run("KR016").is_empty());
    }

    #[test]
    fn kr017_stale_entries_point_at_their_line() {
        let mut t = kit();
        t.config_text(
            "domains:\n  payments:\n    read:\n      - aws_iam_role.app\n      - aws_iam_role.gone\n    \
             admin: [aws_iam_role.app]\n  ghosts:\n    read: []\n",
        );
        let f = t.run("KR017");
        let got: Vec<_> = f
            .iter()
            .map(|f| (f.subject.as_deref().unwrap_or(""), f.location.line))
            .collect();
        assert_eq!(
            got,
            [
                ("payments/read/aws_iam_role.gone", Some(5)),
                ("payments/admin/aws_iam_role.app", Some(6)),
                ("ghosts", Some(7)),
            ]
        );
        assert_eq!(f[0].location.file, "keyreach.yaml");
        assert_eq!(f[0].resource, "keyreach.yaml");
    }
}
