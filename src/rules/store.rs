//! Rules over how stores are encrypted and how keys map onto domains (the "Partition Data
//! with Encryption" pattern: one customer managed key per domain, one domain per key).

use super::{declare_rule, RuleCtx};
use crate::analysis::result::{Domain, StoreEntry};
use crate::finding::{Finding, Severity};
use crate::model::Location;
use std::collections::{BTreeMap, BTreeSet};

/// True for the report's key markers (`aws-managed:aws/s3`, `aws-owned`, `none`, `unknown`),
/// as opposed to ids of customer managed keys.
pub(super) fn is_marker(key: &str) -> bool {
    key.starts_with("aws-managed") || matches!(key, "aws-owned" | "none" | "unknown")
}

fn store_location(ctx: &RuleCtx<'_>, s: &StoreEntry) -> Location {
    ctx.resource(&s.id)
        .map_or_else(|| ctx.fallback_location(), |r| r.location.clone())
}

fn store_finding(
    ctx: &RuleCtx<'_>,
    rule: &super::RuleDef,
    d: Option<&Domain>,
    s: &StoreEntry,
    message: String,
) -> Finding {
    rule.meta
        .finding(s.id.clone(), None, message, store_location(ctx, s))
        .in_domain(d.map(|d| d.name.as_str()))
}

/// Every store with its domain: domain stores first, then the stores outside any domain
/// (`None`), whose findings are one step less severe: no domain tag says they hold a domain's
/// data.
fn all_stores<'r>(ctx: &'r RuleCtx<'_>) -> Vec<(Option<&'r Domain>, StoreEntry)> {
    let mut out: Vec<(Option<&Domain>, StoreEntry)> = Vec::new();
    for d in &ctx.report.domains {
        out.extend(d.stores.iter().map(|s| (Some(d), s.clone())));
    }
    out.extend(ctx.report.unpartitioned.iter().map(|u| {
        (
            None,
            StoreEntry {
                id: u.id.clone(),
                type_name: u.type_name.clone(),
                key: u.key.clone(),
            },
        )
    }));
    out
}

fn in_words(d: Option<&Domain>) -> String {
    match d {
        Some(d) => format!("domain `{}`", d.name),
        None => "outside any domain".to_owned(),
    }
}

declare_rule! {
    /// ## What it does
    /// Flags a data store encrypted with an AWS managed key (`alias/aws/<service>`, or KMS
    /// encryption with no key named) or an AWS owned key (SSE-S3, SSE-SQS, the DynamoDB default).
    ///
    /// ## Why is this risky?
    /// You cannot change the policy of an AWS managed key: it lets every principal of the
    /// account that the service authorizes use the key through that service. AWS owned keys
    /// have no policy you can see at all. Either way, who can read the store is decided only
    /// by IAM and the store's own policy; the domain has no key policy of its own, so the
    /// store cannot be partitioned from other data of the account.
    ///
    /// ## Example
    /// ```hcl
    /// resource "aws_sqs_queue" "orders" {
    ///   kms_master_key_id = "alias/aws/sqs"
    /// }
    /// ```
    ///
    /// ## Remediation
    /// Encrypt the store with the domain's customer managed key (`kms_master_key_id =
    /// aws_kms_key.orders.arn`) and list its readers in that key's policy.
    ///
    /// ## Unknown values
    /// A store whose encryption cannot be determined before apply is reported by
    /// KR005 (store-unencrypted) at severity medium, not by this rule. A store outside any
    /// domain (no domain tag, listed under `unpartitioned`) is reported at severity low.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-managed-key>
    /// - <https://docs.aws.amazon.com/kms/latest/developerguide/concepts.html#aws-owned-key>
    pub(crate) static AWS_MANAGED_KEY = {
        code: "KR004",
        name: "store-on-aws-managed-key",
        severity: Medium,
        summary: "A data store is encrypted with an AWS managed or AWS owned key.",
        check: aws_managed_key,
    }
}

fn aws_managed_key(ctx: &RuleCtx<'_>, out: &mut Vec<Finding>) {
    for (d, s) in &all_stores(ctx) {
        let d = *d;
        {
            let what = if let Some(alias) = s.key.strip_prefix("aws-managed:") {
                format!("the AWS managed key `alias/{alias}`")
            } else if s.key.starts_with("aws-managed") {
                "an AWS managed key".to_owned()
            } else if s.key == "aws-owned" {
                "an AWS owned key".to_owned()
            } else {
                continue;
            };
            let mut f = store_finding(
                ctx,
                &AWS_MANAGED_KEY,
                d,
                s,
                format!(
                    "`{}` ({}) is encrypted with {what}, whose policy you cannot control",
                    s.id,
                    in_words(d)
                ),
            );
            if d.is_none() {
                f.severity = Severity::Low;
            }
            out.push(f);
        }
    }
}

declare_rule! {
    /// ## What it does
    /// Flags a data store that is not encrypted at rest (`storage_encrypted = false`,
    /// `encryption_type = "NONE"`, an SNS topic without `kms_master_key_id`, ...), or whose
    /// encryption keyreach cannot determine.
    ///
    /// ## Why is this risky?
    /// Without KMS encryption no key policy stands between the data and anyone who can reach
    /// the store, its snapshots or its backups. The domain's access model does not apply.
    ///
    /// ## Example
    /// ```hcl
    /// resource "aws_db_instance" "orders" {
    ///   storage_encrypted = false
    /// }
    /// ```
    ///
    /// ## Remediation
    /// Turn on encryption with the domain's customer managed key (`storage_encrypted = true`,
    /// `kms_key_id = aws_kms_key.orders.arn`). Most services need the store to be recreated.
    ///
    /// ## Unknown values
    /// A store whose encryption mode is unknown until apply (marker `unknown`) is reported at
    /// severity medium: keyreach cannot show it is encrypted, so it does not pass silently. An
    /// unencrypted store outside any domain (no domain tag, listed under `unpartitioned`) is
    /// reported at severity medium: no domain tag says it holds a domain's data.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/prescriptive-guidance/latest/encryption-best-practices/welcome.html>
    pub(crate) static UNENCRYPTED = {
        code: "KR005",
        name: "store-unencrypted",
        severity: High,
        summary: "A data store is not encrypted at rest with KMS.",
        check: unencrypted,
    }
}

fn unencrypted(ctx: &RuleCtx<'_>, out: &mut Vec<Finding>) {
    for (d, s) in &all_stores(ctx) {
        let d = *d;
        {
            match s.key.as_str() {
                "none" => {
                    let mut f = store_finding(
                        ctx,
                        &UNENCRYPTED,
                        d,
                        s,
                        format!("`{}` ({}) is not encrypted at rest", s.id, in_words(d)),
                    );
                    if d.is_none() {
                        f.severity = Severity::Medium;
                    }
                    out.push(f);
                }
                "unknown" => {
                    let mut f = store_finding(
                        ctx,
                        &UNENCRYPTED,
                        d,
                        s,
                        format!(
                            "keyreach cannot determine how `{}` ({}) is encrypted before apply",
                            s.id,
                            in_words(d)
                        ),
                    );
                    f.severity = Severity::Medium;
                    out.push(f);
                }
                _ => {}
            }
        }
    }
}

declare_rule! {
    /// ## What it does
    /// Flags a customer managed key that protects stores of two or more domains — typically a
    /// store whose domain tag names another domain than its key's. Only stores count: a key
    /// whose only store is tagged for another domain protects that one domain.
    ///
    /// ## Why is this risky?
    /// Every reader of the key can read every store under it. A key shared by two domains
    /// makes the readers of one domain readers of the other, which is exactly what
    /// partitioning data by key is meant to prevent.
    ///
    /// ## Example
    /// ```hcl
    /// resource "aws_s3_bucket" "orders_export" {
    ///   tags = { DataDomain = "orders" }
    /// }
    /// # ... encrypted with aws_kms_key.payments (DataDomain = "payments")
    /// ```
    ///
    /// ## Remediation
    /// Give each domain its own key and move the store to its domain's key, or correct the
    /// store's domain tag if it belongs to the key's domain.
    ///
    /// ## Unknown values
    /// Only stores whose key the input resolves are counted; stores whose key is unknown are
    /// reported by KR005 (store-unencrypted) at severity medium.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/prescriptive-guidance/latest/encryption-best-practices/kms.html>
    pub(crate) static KEY_SERVES_SEVERAL_DOMAINS = {
        code: "KR006",
        name: "key-serves-several-domains",
        severity: High,
        summary: "One key protects stores of two or more domains.",
        check: key_serves_several_domains,
    }
}

fn key_serves_several_domains(ctx: &RuleCtx<'_>, out: &mut Vec<Finding>) {
    // Only stores count: a key whose own domain has no store (its only store carries another
    // domain's tag) protects one domain, not two.
    let mut by_key: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for d in &ctx.report.domains {
        for k in d.stores.iter().map(|s| &s.key).filter(|k| !is_marker(k)) {
            by_key.entry(k).or_default().insert(&d.name);
        }
    }
    for (key, domains) in by_key {
        if domains.len() < 2 {
            continue;
        }
        let location = ctx
            .resource(key)
            .map_or_else(|| ctx.fallback_location(), |r| r.location.clone());
        let list: Vec<String> = domains.iter().map(|d| format!("`{d}`")).collect();
        out.push(KEY_SERVES_SEVERAL_DOMAINS.meta.finding(
            key,
            None,
            format!(
                "`{key}` protects stores of {} domains ({}): readers of the key can read them all",
                domains.len(),
                list.join(", ")
            ),
            location,
        ));
    }
}

declare_rule! {
    /// ## What it does
    /// Flags a domain whose stores are spread over two or more customer managed keys.
    ///
    /// ## Why is this risky?
    /// Who can read the domain is then the union of several key policies, grants and IAM
    /// delegations. Reviews that look at "the domain's key" miss the others, and the policies
    /// drift apart over time.
    ///
    /// ## Example
    /// ```hcl
    /// resource "aws_s3_bucket_server_side_encryption_configuration" "orders" {
    ///   # aws_kms_key.orders
    /// }
    /// resource "aws_dynamodb_table" "orders" {
    ///   # aws_kms_key.orders_legacy, also tagged DataDomain = "orders"
    /// }
    /// ```
    ///
    /// ## Remediation
    /// Move the domain's stores to one key, or split the domain in two with distinct domain
    /// tags if the data really has different readers.
    ///
    /// ## Unknown values
    /// Markers for AWS managed, AWS owned, missing or unknown encryption are not counted as
    /// keys (see KR004 and KR005).
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/prescriptive-guidance/latest/encryption-best-practices/kms.html>
    pub(crate) static DOMAIN_SPREAD_OVER_KEYS = {
        code: "KR007",
        name: "domain-spread-over-several-keys",
        severity: Medium,
        summary: "One domain's stores are protected by several keys.",
        check: domain_spread_over_keys,
    }
}

fn domain_spread_over_keys(ctx: &RuleCtx<'_>, out: &mut Vec<Finding>) {
    for d in &ctx.report.domains {
        let keys: BTreeSet<&str> = d
            .keys
            .iter()
            .chain(d.stores.iter().map(|s| &s.key))
            .map(String::as_str)
            .filter(|k| !is_marker(k))
            .collect();
        if keys.len() < 2 {
            continue;
        }
        let (resource, location) = ctx.domain_anchor(d);
        let list: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
        out.push(
            DOMAIN_SPREAD_OVER_KEYS
                .meta
                .finding(
                    resource,
                    Some(d.name.clone()),
                    format!(
                        "Domain `{}` is spread over {} keys ({})",
                        d.name,
                        keys.len(),
                        list.join(", ")
                    ),
                    location,
                )
                .in_domain(Some(&d.name)),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use crate::finding::Severity;

    #[test]
    fn kr004_managed_and_owned() {
        let mut t = Kit::new();
        t.domain("orders", &["aws-managed:aws/sqs", "aws-owned"]);
        t.store("orders", "aws_sqs_queue.a", "aws-managed:aws/sqs");
        t.store("orders", "aws_dynamodb_table.b", "aws-owned");
        t.domain("pay", &["aws_kms_key.pay"]);
        t.key("aws_kms_key.pay", None);
        t.store("pay", "aws_s3_bucket.c", "aws_kms_key.pay");
        let f = t.run("KR004");
        assert_eq!(
            codes_resources(&f),
            [
                ("KR004", "aws_dynamodb_table.b"),
                ("KR004", "aws_sqs_queue.a")
            ]
        );
        assert!(f[1].message.contains("alias/aws/sqs"));
        assert_eq!(
            f[0].location.pointer.as_deref(),
            Some("/resource/aws_dynamodb_table.b")
        );
    }

    #[test]
    fn kr005_none_and_unknown() {
        let mut t = Kit::new();
        t.domain("orders", &["none", "unknown"]);
        t.store("orders", "aws_db_instance.a", "none");
        t.store("orders", "aws_sns_topic.b", "unknown");
        t.store("orders", "aws_sqs_queue.c", "aws-owned");
        let f = t.run("KR005");
        assert_eq!(resources(&f), ["aws_db_instance.a", "aws_sns_topic.b"]);
        assert_eq!(f[0].severity, Severity::High);
        assert_eq!(f[1].severity, Severity::Medium);
    }

    #[test]
    fn kr006_shared_key() {
        let mut t = Kit::new();
        t.key("aws_kms_key.pay", None);
        t.domain("orders", &["aws_kms_key.pay"]);
        t.store("orders", "aws_s3_bucket.orders", "aws_kms_key.pay");
        t.domain("payments", &["aws_kms_key.pay"]);
        t.store("payments", "aws_s3_bucket.pay", "aws_kms_key.pay");
        let f = t.run("KR006");
        assert_eq!(codes_resources(&f), [("KR006", "aws_kms_key.pay")]);
        assert!(f[0].message.contains("`orders`, `payments`"));

        let mut t = Kit::new();
        t.key("aws_kms_key.pay", None);
        t.domain("payments", &["aws_kms_key.pay"]);
        t.store("payments", "aws_s3_bucket.pay", "aws_kms_key.pay");
        t.domain("orders", &["aws-owned"]);
        t.store("orders", "aws_s3_bucket.orders", "aws-owned");
        assert!(t.run("KR006").is_empty());
    }

    #[test]
    fn kr007_several_keys() {
        let mut t = Kit::new();
        t.key("aws_kms_key.a", None);
        t.key("aws_kms_key.b", None);
        t.domain("orders", &["aws_kms_key.a", "aws_kms_key.b"]);
        t.domain("pay", &["aws_kms_key.c", "aws-owned"]);
        let f = t.run("KR007");
        assert_eq!(codes_resources(&f), [("KR007", "aws_kms_key.a")]);
        assert_eq!(subjects(&f), ["orders"]);
    }
}
