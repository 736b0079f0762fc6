//! Rules over the access picture: who can read, write or administer a domain.
//!
//! They read only the report's access entries (the engine has already decided every
//! capability, with `conditional` where the input does not decide), so a rule here never
//! re-evaluates a policy.

use super::ctx::{action, delegating_statements, entry_account, some};
use super::{declare_rule, PolicyState, RuleCtx};
use crate::analysis::result::{AccessEntry, Capability, Domain, PrincipalKind};
use crate::finding::{Finding, Severity};
use crate::model::Kind;

/// Evidence for a message: the first steps of `via`.
pub(super) fn evidence(e: &AccessEntry) -> String {
    if e.via.is_empty() {
        return String::new();
    }
    let mut steps: Vec<&str> = e.via.iter().map(String::as_str).take(2).collect();
    if e.via.len() > 2 {
        steps.push("…");
    }
    format!(" (via {})", steps.join("; "))
}

fn cond_note(c: Capability) -> &'static str {
    match c {
        Capability::Conditional => " when a condition the input does not decide holds",
        Capability::Yes | Capability::No => "",
    }
}

/// A finding about one entry of one domain.
pub(super) fn entry_finding(
    ctx: &RuleCtx<'_>,
    rule: &super::RuleDef,
    d: &Domain,
    e: &AccessEntry,
    message: String,
) -> Finding {
    let (resource, _) = ctx.domain_anchor(d);
    rule.meta
        .finding(
            resource,
            Some(e.principal.clone()),
            message,
            ctx.access_location(d, e),
        )
        .in_domain(Some(&d.name))
}

declare_rule! {
    /// ## What it does
    /// Flags a domain whose data any principal of any AWS account can read: an access entry
    /// `*` (kind `public`) with `read` other than `no`.
    ///
    /// ## Why is this risky?
    /// A key policy statement with `"Principal": "*"` and no condition that narrows it to your
    /// accounts lets every AWS identity in the world call `kms:Decrypt` with the key. Combined
    /// with any way to obtain the ciphertext (a public bucket, a shared snapshot, a leaked
    /// backup) the data is readable by anyone.
    ///
    /// ## Example
    /// ```json
    /// {"Sid": "Everyone", "Effect": "Allow", "Principal": "*",
    ///  "Action": "kms:Decrypt", "Resource": "*"}
    /// ```
    ///
    /// ## Remediation
    /// Name the principals that need to read, or narrow the statement with
    /// `kms:CallerAccount` / `aws:PrincipalAccount` / `aws:PrincipalOrgID` / `aws:PrincipalArn`.
    ///
    /// ## Unknown values
    /// An entry that is `conditional` (the read depends on a value unknown until apply or on a
    /// condition keyreach cannot decide, such as `aws:SourceIp`) is reported too, at severity
    /// high instead of critical: an undecided Allow is never taken as safe.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/kms/latest/developerguide/determining-access-key-policy.html>
    /// - <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html>
    pub(crate) static READABLE_BY_EVERYONE = {
        code: "KR001",
        name: "domain-readable-by-everyone",
        severity: Critical,
        summary: "Any principal of any AWS account can read the domain's data.",
        check: readable_by_everyone,
    }
}

fn readable_by_everyone(ctx: &RuleCtx<'_>, out: &mut Vec<Finding>) {
    for d in &ctx.report.domains {
        for e in &d.access {
            if !(e.kind == PrincipalKind::Public || e.principal == "*") || !some(e.read) {
                continue;
            }
            let mut f = entry_finding(
                ctx,
                &READABLE_BY_EVERYONE,
                d,
                e,
                format!(
                    "Domain `{}` can be read by any principal of any AWS account{}{}",
                    d.name,
                    cond_note(e.read),
                    evidence(e)
                ),
            );
            if e.read == Capability::Conditional {
                f.severity = Severity::High;
            }
            out.push(f);
        }
    }
}

declare_rule! {
    /// ## What it does
    /// Flags a principal of another AWS account that can read or write a domain's data: an
    /// access entry (role, user, account, federated principal) whose ARN names an account other
    /// than the one owning the domain's key.
    ///
    /// ## Why is this risky?
    /// Access from another account is governed by that account's IAM, which your team neither
    /// sees nor reviews. A cross-account reader is a path for data to leave your control; a
    /// cross-account writer can plant data your readers trust.
    ///
    /// ## Example
    /// ```json
    /// {"Sid": "Partner", "Effect": "Allow",
    ///  "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
    ///  "Action": ["kms:Decrypt"], "Resource": "*"}
    /// ```
    ///
    /// ## Remediation
    /// Remove the statement or grant, or, when the access is intended, list the principal under
    /// the domain's expected access in `keyreach.yaml` and suppress this finding with a reason.
    /// Prefer a named role over a whole account.
    ///
    /// ## Unknown values
    /// The owning account is the account in the key's ARN, else `--account-id` (or the account
    /// the input reveals). When neither is known, an entry naming an explicit account is
    /// reported at severity medium ("cannot tell"), so pass `--account-id` for a clear answer.
    /// Principals declared in the input whose ARN is unknown until apply are in the deploying
    /// account and are not reported. `conditional` access counts as access.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html>
    /// - <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html>
    pub(crate) static OTHER_ACCOUNT = {
        code: "KR002",
        name: "domain-accessible-from-other-account",
        severity: High,
        summary: "A principal of another AWS account can read or write the domain's data.",
        check: other_account,
    }
}

fn other_account(ctx: &RuleCtx<'_>, out: &mut Vec<Finding>) {
    for d in &ctx.report.domains {
        let home = ctx.home_account(Some(d));
        for e in &d.access {
            if matches!(e.kind, PrincipalKind::Service | PrincipalKind::Public)
                || !(some(e.read) || some(e.write))
            {
                continue;
            }
            let Some(acct) = entry_account(e) else {
                continue;
            };
            let what = match (some(e.read), some(e.write)) {
                (true, true) => "read and write",
                (true, false) => "read",
                _ => "write",
            };
            match home {
                Some(h) if h == acct => {}
                Some(h) => out.push(entry_finding(
                    ctx,
                    &OTHER_ACCOUNT,
                    d,
                    e,
                    format!(
                        "`{}` in account {acct} can {what} domain `{}`, which belongs to account {h}{}",
                        e.principal,
                        d.name,
                        evidence(e)
                    ),
                )),
                None => {
                    let mut f = entry_finding(
                        ctx,
                        &OTHER_ACCOUNT,
                        d,
                        e,
                        format!(
                            "`{}` in account {acct} can {what} domain `{}`; the account owning the \
                             domain is unknown (give --account-id), so this may be another account{}",
                            e.principal,
                            d.name,
                            evidence(e)
                        ),
                    );
                    f.severity = Severity::Medium;
                    out.push(f);
                }
            }
        }
    }
}

declare_rule! {
    /// ## What it does
    /// Flags a domain whose key policy delegates access to the whole owning account through
    /// IAM: an access entry of kind `account` for the domain's own account (typically the
    /// "Enable IAM policies" statement, `Principal: {"AWS": "arn:aws:iam::<acct>:root"}`, which is
    /// also the default key policy).
    ///
    /// ## Why is this risky?
    /// The point of partitioning data by key is that the key policy says who can read the
    /// domain. With delegation, any user or role of the account whose identity policy allows
    /// `kms:Decrypt` on the key — or on `*` — can read, including principals created later and
    /// outside this code. The key policy is then no longer the canonical list of readers.
    ///
    /// ## Example
    /// ```json
    /// {"Sid": "EnableIAM", "Effect": "Allow",
    ///  "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
    ///  "Action": "kms:*", "Resource": "*"}
    /// ```
    ///
    /// ## Remediation
    /// Replace the delegation with statements naming the domain's readers, writers and
    /// administrators. If the team accepts account-wide access, say so with
    /// `account_wide: true` under the domain in `keyreach.yaml`; the rule then stays quiet for
    /// that domain.
    ///
    /// ## Unknown values
    /// An account entry whose account id is unknown until apply (for example
    /// `data.aws_caller_identity.current.account_id`) is taken to be the owning account.
    /// `conditional` access counts as access.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html>
    /// - <https://docs.aws.amazon.com/prescriptive-guidance/latest/encryption-best-practices/kms.html>
    pub(crate) static ACCOUNT_DELEGATION = {
        code: "KR003",
        name: "domain-open-to-account-through-iam",
        severity: Medium,
        summary: "The key policy delegates the domain to every IAM principal of the account.",
        check: account_delegation,
    }
}

fn account_delegation(ctx: &RuleCtx<'_>, out: &mut Vec<Finding>) {
    for d in &ctx.report.domains {
        if ctx
            .config
            .domains
            .get(&d.name)
            .is_some_and(|x| x.account_wide)
        {
            continue;
        }
        // Only a key policy of the domain's own keys delegates; account entries that stand for
        // AWS managed, AWS owned or missing encryption are KR004/KR005's business.
        if !domain_delegates(ctx, d) {
            continue;
        }
        let home = ctx.home_account(Some(d));
        for e in &d.access {
            if e.kind != PrincipalKind::Account || !(some(e.read) || some(e.write) || some(e.admin))
            {
                continue;
            }
            let acct = entry_account(e);
            let is_home = match (acct, home) {
                (Some(a), Some(h)) => a == h,
                _ => true,
            };
            if !is_home {
                continue;
            }
            out.push(entry_finding(
                ctx,
                &ACCOUNT_DELEGATION,
                d,
                e,
                format!(
                    "Domain `{}`: the key policy delegates {} to every IAM principal of account \
                     {} whose identity policies allow it{}",
                    d.name,
                    delegated_capabilities(e),
                    acct.unwrap_or("(the deploying account)"),
                    evidence(e)
                ),
            ));
        }
    }
}

/// Which capabilities an account delegation covers, in words (`read, write and admin`,
/// `admin only (not read or write)`), with `(conditional)` where the input does not decide.
fn delegated_capabilities(e: &crate::analysis::result::AccessEntry) -> String {
    let word = |name: &str, c: Capability| match c {
        Capability::Yes => Some(name.to_owned()),
        Capability::Conditional => Some(format!("{name} (conditional)")),
        Capability::No => None,
    };
    let caps: Vec<String> = [("read", e.read), ("write", e.write), ("admin", e.admin)]
        .iter()
        .filter_map(|(n, c)| word(n, *c))
        .collect();
    let missing: Vec<&str> = [("read", e.read), ("write", e.write), ("admin", e.admin)]
        .iter()
        .filter(|(_, c)| *c == Capability::No)
        .map(|(n, _)| *n)
        .collect();
    let listed = match caps.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    };
    if missing.is_empty() {
        listed
    } else {
        format!("{listed} only (not {})", missing.join(" or "))
    }
}

/// True when a key of the domain declared in the input has the default key policy or an
/// Allow statement naming an account principal (or one unknown until apply).
fn domain_delegates(ctx: &RuleCtx<'_>, d: &Domain) -> bool {
    d.keys.iter().any(|id| {
        let Some(key) = ctx.resource(id) else {
            return false;
        };
        let Kind::Key(k) = &key.kind else {
            return false;
        };
        match ctx.key_policy(key, k).1 {
            PolicyState::Default => true,
            PolicyState::Unknown => false,
            PolicyState::Known(doc) => delegating_statements(doc).next().is_some(),
        }
    })
}

/// KMS actions that let a principal give itself (or anyone) read access.
pub(super) const ESCALATION_ACTIONS: [&str; 3] = ["PutKeyPolicy", "CreateGrant", "ReplicateKey"];

declare_rule! {
    /// ## What it does
    /// Flags a principal that cannot read a domain today but can make itself a reader: its
    /// `read` is `no` while it may call `kms:PutKeyPolicy`, `kms:CreateGrant` or
    /// `kms:ReplicateKey` on the domain's key.
    ///
    /// ## Why is this risky?
    /// `PutKeyPolicy` rewrites the key policy, `CreateGrant` can grant `Decrypt` to anyone
    /// (including the caller), and `ReplicateKey` creates a replica with a key policy the caller
    /// chooses over the same key material. Such an administrator is a reader in all but name;
    /// access reviews that only look at `Decrypt` miss it. The console's default "key
    /// administrators" statement has this shape.
    ///
    /// ## Example
    /// ```json
    /// {"Sid": "KeyAdmins", "Effect": "Allow",
    ///  "Principal": {"AWS": "arn:aws:iam::111122223333:role/platform-admin"},
    ///  "Action": ["kms:Create*", "kms:Put*", "kms:Describe*"], "Resource": "*"}
    /// ```
    ///
    /// ## Remediation
    /// Give administrators only lifecycle actions (`kms:Describe*`, `kms:Enable*`,
    /// `kms:ScheduleKeyDeletion`, ...), restrict `kms:CreateGrant` with
    /// `kms:GrantIsForAWSResource`, `kms:GrantOperations` or `kms:GranteePrincipal`, and keep
    /// `kms:PutKeyPolicy` to a break-glass role — or list the principal as a reader if it is one.
    ///
    /// ## Unknown values
    /// An escalation action that is `conditional` counts: the principal may be able to escalate.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-administrators>
    /// - <https://docs.aws.amazon.com/kms/latest/developerguide/grants.html>
    pub(crate) static ADMIN_CAN_BECOME_READER = {
        code: "KR008",
        name: "admin-can-make-itself-reader",
        severity: High,
        summary: "A principal without read access can grant itself read access.",
        check: admin_can_become_reader,
    }
}

fn admin_can_become_reader(ctx: &RuleCtx<'_>, out: &mut Vec<Finding>) {
    for d in &ctx.report.domains {
        for e in &d.access {
            if some(e.read) {
                continue;
            }
            let esc: Vec<String> = ESCALATION_ACTIONS
                .iter()
                .filter(|a| some(action(e, a)))
                .map(|a| {
                    let c = action(e, a);
                    if c == Capability::Conditional {
                        format!("kms:{a} (conditional)")
                    } else {
                        format!("kms:{a}")
                    }
                })
                .collect();
            if esc.is_empty() {
                continue;
            }
            // Name the key the escalation is on (a domain may span several keys).
            let on_key = e
                .per_key
                .iter()
                .find(|(_, m)| {
                    ESCALATION_ACTIONS
                        .iter()
                        .any(|a| m.get(*a).is_some_and(|c| some(*c)))
                })
                .map(|(k, _)| k.clone());
            let narrowed;
            let anchor = match on_key {
                Some(k) if d.keys.len() > 1 => {
                    narrowed = Domain {
                        keys: vec![k],
                        ..d.clone()
                    };
                    &narrowed
                }
                _ => d,
            };
            out.push(entry_finding(
                ctx,
                &ADMIN_CAN_BECOME_READER,
                anchor,
                e,
                format!(
                    "`{}` cannot read domain `{}` but can make itself a reader with {}{}",
                    e.principal,
                    d.name,
                    esc.join(", "),
                    evidence(e)
                ),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::analysis::result::Capability::{Conditional, No, Yes};
    use crate::finding::Severity;

    #[test]
    fn kr001_public_reader() {
        let mut t = Kit::new();
        t.key("aws_kms_key.pay", None);
        t.domain("payments", &["aws_kms_key.pay"]);
        t.entry("payments", public(Yes, No, No));
        t.entry("payments", role("aws_iam_role.app", None, Yes, Yes, No));
        let f = t.run("KR001");
        assert_eq!(codes_resources(&f), [("KR001", "aws_kms_key.pay")]);
        assert_eq!(f[0].severity, Severity::Critical);
        assert_eq!(f[0].domain.as_deref(), Some("payments"));
        assert_eq!(f[0].location.file, "plan.json");

        let mut t = Kit::new();
        t.key("aws_kms_key.pay", None);
        t.domain("payments", &["aws_kms_key.pay"]);
        t.entry("payments", public(Conditional, No, No));
        let f = t.run("KR001");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::High);

        // Pass: everyone may only write, or nobody public.
        let mut t = Kit::new();
        t.key("aws_kms_key.pay", None);
        t.domain("payments", &["aws_kms_key.pay"]);
        t.entry("payments", public(No, Yes, No));
        assert!(t.run("KR001").is_empty());
    }

    #[test]
    fn kr002_other_account() {
        let mut t = Kit::new();
        t.account("111122223333");
        t.key("aws_kms_key.pay", None);
        t.domain("payments", &["aws_kms_key.pay"]);
        t.entry(
            "payments",
            role(
                "arn:aws:iam::444455556666:role/partner",
                Some("arn:aws:iam::444455556666:role/partner"),
                Yes,
                No,
                No,
            ),
        );
        t.entry(
            "payments",
            role(
                "aws_iam_role.app",
                Some("arn:aws:iam::111122223333:role/app"),
                Yes,
                No,
                No,
            ),
        );
        t.entry("payments", role("aws_iam_role.new", None, Yes, No, No));
        t.entry("payments", account("444455556666", No, Conditional, No));
        let f = t.run("KR002");
        assert_eq!(
            subjects(&f),
            [
                "arn:aws:iam::444455556666:role/partner",
                "arn:aws:iam::444455556666:root"
            ]
        );
        assert!(f.iter().all(|f| f.severity == Severity::High));

        // Unknown owning account: medium.
        let mut t = Kit::new();
        t.key("aws_kms_key.pay", None);
        t.domain("payments", &["aws_kms_key.pay"]);
        t.entry("payments", account("444455556666", Yes, No, No));
        let f = t.run("KR002");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Medium);

        // The key's ARN decides the owner over --account-id.
        let mut t = Kit::new();
        t.account("444455556666");
        t.key(
            "aws_kms_key.pay",
            Some("arn:aws:kms:us-east-1:111122223333:key/abc"),
        );
        t.domain("payments", &["aws_kms_key.pay"]);
        t.entry("payments", account("111122223333", Yes, No, No));
        assert!(t.run("KR002").is_empty());
    }

    #[test]
    fn kr003_account_delegation_and_config_acceptance() {
        let mut t = Kit::new();
        t.account("111122223333");
        t.key("aws_kms_key.pay", None);
        t.domain("payments", &["aws_kms_key.pay"]);
        t.entry(
            "payments",
            account("111122223333", Conditional, Conditional, Conditional),
        );
        t.entry("payments", account("444455556666", Yes, No, No));
        let f = t.run("KR003");
        assert_eq!(subjects(&f), ["arn:aws:iam::111122223333:root"]);

        t.config_text("domains:\n  payments:\n    account_wide: true\n");
        assert!(t.run("KR003").is_empty());

        // The account entry of an AWS managed key is KR004's, not a delegation.
        let mut t = Kit::new();
        t.account("111122223333");
        t.domain("orders", &["aws-managed:aws/sqs"]);
        t.store("orders", "aws_sqs_queue.q", "aws-managed:aws/sqs");
        t.entry("orders", account("111122223333", Yes, Yes, No));
        assert!(t.run("KR003").is_empty());
        // A key policy naming only roles does not delegate.
        let mut t = Kit::new();
        t.account("111122223333");
        t.key("aws_kms_key.pay", None).policy = Some(crate::model::Val::Known(doc(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/a"},"Action":"kms:*","Resource":"*"}]}"#,
        )));
        t.domain("payments", &["aws_kms_key.pay"]);
        t.entry("payments", account("111122223333", Yes, No, No));
        assert!(t.run("KR003").is_empty());
    }

    #[test]
    fn kr008_admin_escalation() {
        let mut t = Kit::new();
        t.key("aws_kms_key.pay", None);
        t.domain("payments", &["aws_kms_key.pay"]);
        let mut admin = role("aws_iam_role.admin", None, No, No, Yes);
        admin.actions.insert("PutKeyPolicy", Yes);
        t.entry("payments", admin);
        let mut granter = role("aws_iam_role.granter", None, No, No, Conditional);
        granter.actions.insert("kms:CreateGrant", Conditional);
        t.entry("payments", granter);
        let mut lifecycle = role("aws_iam_role.ops", None, No, No, Yes);
        lifecycle.actions.insert("ScheduleKeyDeletion", Yes);
        t.entry("payments", lifecycle);
        let mut reader_admin = role("aws_iam_role.both", None, Yes, No, Yes);
        reader_admin.actions.insert("PutKeyPolicy", Yes);
        t.entry("payments", reader_admin);
        let f = t.run("KR008");
        assert_eq!(subjects(&f), ["aws_iam_role.admin", "aws_iam_role.granter"]);
        assert!(f[1].message.contains("kms:CreateGrant (conditional)"));
    }
}

#[cfg(test)]
mod delegation_words {
    use super::super::testkit::account;
    use super::delegated_capabilities;
    use crate::analysis::result::Capability::{Conditional, No, Yes};

    #[test]
    fn kr003_says_which_capabilities_the_delegation_covers() {
        let e = account("111122223333", No, No, Yes);
        assert_eq!(delegated_capabilities(&e), "admin only (not read or write)");
        let e = account("111122223333", Yes, Yes, Yes);
        assert_eq!(delegated_capabilities(&e), "read, write and admin");
        let e = account("111122223333", Conditional, No, Yes);
        assert_eq!(
            delegated_capabilities(&e),
            "read (conditional) and admin only (not write)"
        );
    }
}
