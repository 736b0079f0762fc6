//! Grants: the third allow path next to the key policy and IAM, invisible in both.

use super::ctx::account_of;
use super::{declare_rule, RuleCtx};
use crate::config::Capability as Cap;
use crate::finding::{Finding, Severity};
use crate::model::{Kind, KmsGrant, Resource, Val};
use std::collections::BTreeSet;

/// Which capabilities a grant's operations confer (kms-semantics §2); `None` (unknown
/// operations) confers all three.
fn conferred(ops: Option<&Vec<String>>) -> BTreeSet<Cap> {
    let Some(ops) = ops else {
        return Cap::ALL.into_iter().collect();
    };
    let mut out = BTreeSet::new();
    for op in ops {
        let op = op.trim_start_matches("kms:");
        match op {
            "Decrypt" | "ReEncryptFrom" | "DeriveSharedSecret" => {
                out.insert(Cap::Read);
            }
            "Encrypt" | "ReEncryptTo" | "Sign" | "GenerateMac" => {
                out.insert(Cap::Write);
            }
            "CreateGrant" => {
                out.insert(Cap::Admin);
            }
            o if o.starts_with("GenerateDataKey") => {
                out.insert(Cap::Write);
            }
            _ => {}
        }
    }
    out
}

/// Names the grantee goes by (as written, or the declared resource's id and ARN) and its
/// account; `None` when the grantee is unknown until apply.
fn grantee_names<'a>(ctx: &RuleCtx<'a>, g: &'a KmsGrant) -> Option<(Vec<String>, Option<String>)> {
    match &g.grantee {
        Val::Known(s) => Some((vec![s.clone()], account_of(s).map(str::to_owned))),
        Val::Ref(refs) => {
            let mut names = Vec::new();
            let mut account = None;
            for r in refs {
                names.push(r.target.clone());
                let arn = ctx.resource(&r.target).and_then(|res| match &res.kind {
                    Kind::Role(x) => x.arn.as_ref(),
                    Kind::User(x) => x.arn.as_ref(),
                    _ => None,
                });
                if let Some(a) = arn.and_then(Val::known) {
                    names.push(a.clone());
                    account = account.or_else(|| account_of(a).map(str::to_owned));
                }
            }
            Some((names, account))
        }
        Val::Partial(p) => Some((vec![p.to_string()], None)),
        Val::Unknown => None,
    }
}

declare_rule! {
    /// ## What it does
    /// Flags a KMS grant (`aws_kms_grant`) on a domain's key to a principal the domain does not
    /// expect. With expected access configured for the domain in `keyreach.yaml`, the grantee
    /// must be listed under `read` for decrypt operations, `write` for encrypt and data-key
    /// operations, and `admin` for `CreateGrant`. Without configuration, a grant to a principal
    /// of another account is flagged.
    ///
    /// ## Why is this risky?
    /// Grants do not appear in the key policy or in IAM, never expire, and suffice on their own
    /// for a principal in another account. A grant is the easiest access to overlook in a
    /// review — and one with `CreateGrant` lets the grantee pass access on.
    ///
    /// ## Example
    /// ```hcl
    /// resource "aws_kms_grant" "partner" {
    ///   key_id            = aws_kms_key.orders.key_id
    ///   grantee_principal = "arn:aws:iam::444455556666:role/partner"
    ///   operations        = ["Decrypt"]
    /// }
    /// ```
    ///
    /// ## Remediation
    /// Remove the grant, or list the grantee under the domain's expected access. Prefer key
    /// policy statements for long-lived access, and constrain grants with an encryption context.
    ///
    /// ## Unknown values
    /// Operations unknown until apply confer read, write and admin. A grantee unknown until
    /// apply is reported at severity medium when the domain has expected access configured (it
    /// cannot be verified). Without configuration, a grantee whose account is unknown is taken
    /// to be in the deploying account; when the deploying account itself is unknown, a grantee
    /// naming an explicit account is reported at severity medium.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/kms/latest/developerguide/grants.html>
    /// - <https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/kms_grant>
    pub(crate) static UNEXPECTED_GRANTEE = {
        code: "KR014",
        name: "grant-to-unexpected-principal",
        severity: High,
        summary: "A grant gives a principal outside the domain's expected access use of its key.",
        check: unexpected_grantee,
    }
}

fn unexpected_grantee(ctx: &RuleCtx<'_>, out: &mut Vec<Finding>) {
    for r in &ctx.estate.resources {
        let Kind::Grant(g) = &r.kind else { continue };
        check_grant(ctx, r, g, out);
    }
}

fn check_grant(ctx: &RuleCtx<'_>, r: &Resource, g: &KmsGrant, out: &mut Vec<Finding>) {
    let key = ctx.key_named(&g.key);
    let domains: Vec<_> = key
        .map(|k| ctx.domains_of_key(&k.id).collect())
        .unwrap_or_default();
    let caps = conferred(g.operations.known());
    if caps.is_empty() {
        return;
    }
    let names = grantee_names(ctx, g);
    let shown = g.grantee.to_string();
    let configured: Vec<_> = domains
        .iter()
        .filter_map(|d| ctx.config.domains.get(&d.name).map(|x| (*d, x)))
        .collect();
    let finding = |message: String, domain: Option<&str>| {
        UNEXPECTED_GRANTEE
            .meta
            .finding(
                r.id.clone(),
                Some(shown.clone()),
                message,
                r.location.clone(),
            )
            .in_domain(domain)
    };
    if !configured.is_empty() {
        for (d, expected) in configured {
            let Some((names, _)) = &names else {
                let mut f = finding(
                    format!(
                        "Grant `{}` on domain `{}` has a grantee unknown until apply; keyreach cannot \
                         check it against the expected access",
                        r.id, d.name
                    ),
                    Some(&d.name),
                );
                f.severity = Severity::Medium;
                out.push(f);
                continue;
            };
            let missing: Vec<&str> = caps
                .iter()
                .filter(|c| {
                    !expected
                        .list(**c)
                        .iter()
                        .any(|p| names.iter().any(|n| p.matches(n)))
                })
                .map(|c| c.as_str())
                .collect();
            if !missing.is_empty() {
                out.push(finding(
                    format!(
                        "Grant `{}` gives `{shown}` {} access to domain `{}`, but keyreach.yaml does \
                         not list it under {}",
                        r.id,
                        missing.join("/"),
                        d.name,
                        missing.join(", ")
                    ),
                    Some(&d.name),
                ));
            }
        }
        return;
    }
    let Some((_, Some(acct))) = &names else {
        return;
    };
    let domain = domains.first().map(|d| d.name.as_str());
    match ctx.home_account(domains.first().copied()) {
        Some(h) if h == acct => {}
        Some(h) => out.push(finding(
            format!(
                "Grant `{}` gives `{shown}` in account {acct} use of a key of account {h}",
                r.id
            ),
            domain,
        )),
        None => {
            let mut f = finding(
                format!(
                    "Grant `{}` gives `{shown}` in account {acct} use of the key; the key's account \
                     is unknown (give --account-id), so this may be another account",
                    r.id
                ),
                domain,
            );
            f.severity = Severity::Medium;
            out.push(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::model::Reference;

    fn grant(t: &mut Kit, id: &str, grantee: Val<String>, ops: Option<&[&str]>) {
        t.add(
            id,
            "aws_kms_grant",
            Kind::Grant(KmsGrant {
                name: None,
                key: Val::Ref(vec![Reference::new("aws_kms_key.a", Some("key_id"))]),
                grantee,
                operations: match ops {
                    Some(o) => Val::Known(o.iter().map(|s| (*s).to_owned()).collect()),
                    None => Val::Unknown,
                },
                retiring_principal: None,
                constraints: Vec::new(),
            }),
        );
    }

    fn kit() -> Kit {
        let mut t = Kit::new();
        t.account("111122223333");
        t.key("aws_kms_key.a", None);
        t.domain("a", &["aws_kms_key.a"]);
        t
    }

    #[test]
    fn kr014_without_config_flags_other_accounts() {
        let mut t = kit();
        grant(
            &mut t,
            "aws_kms_grant.ext",
            Val::from("arn:aws:iam::444455556666:role/p"),
            Some(&["Decrypt"]),
        );
        grant(
            &mut t,
            "aws_kms_grant.own",
            Val::from("arn:aws:iam::111122223333:role/p"),
            Some(&["Decrypt"]),
        );
        grant(
            &mut t,
            "aws_kms_grant.decl",
            Val::Ref(vec![Reference::new("aws_iam_role.app", Some("arn"))]),
            None,
        );
        grant(
            &mut t,
            "aws_kms_grant.describe",
            Val::from("arn:aws:iam::444455556666:role/p"),
            Some(&["DescribeKey"]),
        );
        let f = t.run("KR014");
        assert_eq!(resources(&f), ["aws_kms_grant.ext"]);
        assert_eq!(f[0].domain.as_deref(), Some("a"));
    }

    #[test]
    fn kr014_with_config_checks_each_capability() {
        let mut t = kit();
        t.config_text(
            "domains:\n  a:\n    read: [aws_iam_role.app, \"arn:aws:iam::*:role/reader-*\"]\n    write: [aws_iam_role.app]\n",
        );
        grant(
            &mut t,
            "aws_kms_grant.app",
            Val::Ref(vec![Reference::new("aws_iam_role.app", Some("arn"))]),
            Some(&["Decrypt", "GenerateDataKey"]),
        );
        grant(
            &mut t,
            "aws_kms_grant.reader",
            Val::from("arn:aws:iam::444455556666:role/reader-x"),
            Some(&["Decrypt"]),
        );
        grant(
            &mut t,
            "aws_kms_grant.regrant",
            Val::Ref(vec![Reference::new("aws_iam_role.app", Some("arn"))]),
            Some(&["Decrypt", "CreateGrant"]),
        );
        grant(
            &mut t,
            "aws_kms_grant.unknown",
            Val::Unknown,
            Some(&["Decrypt"]),
        );
        let f = t.run("KR014");
        assert_eq!(
            resources(&f),
            ["aws_kms_grant.regrant", "aws_kms_grant.unknown"]
        );
        assert!(f[0].message.contains("under admin"), "{}", f[0].message);
        assert_eq!(f[1].severity, Severity::Medium);
    }
}
