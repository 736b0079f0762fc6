//! `--fail-on-new-access`: which access gained fails the run.
//!
//! A gained capability fails when it reaches the threshold (read < write < admin; `read`
//! means any new access) and the configuration does not expect the principal with that
//! capability in that domain. A domain's own `fail_on_new_access` in `keyreach.yaml` overrides
//! the command line. Without expected access for a domain, no principal is expected there.

use super::{AccessChange, Changes};
use crate::cli::NewAccess;
use crate::config::{Capability as Cap, Config};

fn rank(capability: &str) -> NewAccess {
    match capability {
        "read" => NewAccess::Read,
        "write" => NewAccess::Write,
        _ => NewAccess::Admin,
    }
}

/// True when the configuration expects the change's principal with its capability.
#[must_use]
pub fn expected(change: &AccessChange, config: &Config, account: Option<&str>) -> bool {
    let Some(d) = config.domains.get(&change.domain) else {
        return false;
    };
    let cap = match change.capability {
        "read" => Cap::Read,
        "write" => Cap::Write,
        _ => Cap::Admin,
    };
    let listed = d.list(cap).iter().any(|x| {
        x.matches(&change.principal) || change.arn.as_deref().is_some_and(|a| x.matches(a))
    });
    // The deploying account's own delegation through IAM, accepted with `account_wide`.
    let own_account = account.is_some_and(|a| {
        change.principal.ends_with(":root") && change.principal.split(':').nth(4) == Some(a)
    });
    listed || (d.account_wide && own_account)
}

/// The access changes that fail the run, in report order.
#[must_use]
pub fn violations<'a>(
    changes: &'a Changes,
    config: &Config,
    threshold: NewAccess,
    account: Option<&str>,
) -> Vec<&'a AccessChange> {
    changes
        .access_changes
        .iter()
        .filter(|c| c.gained())
        .filter(|c| {
            let t = config
                .domains
                .get(&c.domain)
                .and_then(|d| d.fail_on_new_access)
                .unwrap_or(threshold);
            t != NewAccess::Never && rank(c.capability) >= t
        })
        .filter(|c| !expected(c, config, account))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::result::Capability;

    fn change(
        domain: &str,
        principal: &str,
        cap: &'static str,
        b: Capability,
        a: Capability,
    ) -> AccessChange {
        AccessChange {
            domain: domain.into(),
            principal: principal.into(),
            arn: None,
            capability: cap,
            before: b,
            after: a,
            causes: Vec::new(),
        }
    }

    #[test]
    fn thresholds_expectations_and_domain_overrides() {
        use Capability::{Conditional, No, Yes};
        let changes = Changes {
            access_changes: vec![
                change(
                    "payments",
                    "aws_iam_role.analytics",
                    "read",
                    No,
                    Conditional,
                ),
                change("payments", "aws_iam_role.app", "read", No, Yes),
                change("payments", "aws_iam_role.ops", "admin", Conditional, Yes),
                change("payments", "aws_iam_role.gone", "read", Yes, No),
                change("orders", "aws_iam_role.x", "write", No, Yes),
            ],
            ..Changes::default()
        };
        let config = crate::config::parse(
            "k.yaml",
            "domains:\n  payments:\n    read: [aws_iam_role.app]\n  orders:\n    fail_on_new_access: never\n",
        )
        .expect("config");
        let names = |t: NewAccess| -> Vec<String> {
            violations(&changes, &config, t, None)
                .iter()
                .map(|c| format!("{}/{}", c.principal, c.capability))
                .collect()
        };
        assert_eq!(
            names(NewAccess::Read),
            ["aws_iam_role.analytics/read", "aws_iam_role.ops/admin"]
        );
        assert_eq!(names(NewAccess::Write), ["aws_iam_role.ops/admin"]);
        assert_eq!(names(NewAccess::Admin), ["aws_iam_role.ops/admin"]);
        assert!(names(NewAccess::Never).is_empty());
        let strict = crate::config::parse(
            "k.yaml",
            "domains:\n  orders:\n    fail_on_new_access: write\n",
        )
        .expect("config");
        let got: Vec<_> = violations(&changes, &strict, NewAccess::Never, None)
            .iter()
            .map(|c| c.principal.clone())
            .collect();
        assert_eq!(got, ["aws_iam_role.x"]);
        let bad = crate::config::parse(
            "k.yaml",
            "domains:\n  orders:\n    fail_on_new_access: sometimes\n",
        );
        assert!(bad.is_err_and(|e| e.line == Some(3) && e.message.contains("sometimes")));
    }
}
