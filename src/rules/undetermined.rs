//! The rule that keeps an unverifiable plan from passing silently: policies keyreach could not
//! determine before apply.

use super::{declare_rule, PolicyState, RuleCtx};
use crate::finding::{Finding, Severity};
use crate::model::{Kind, Location, Resource, Val};

declare_rule! {
    /// ## What it does
    /// Flags a key policy, trust policy or identity policy whose content keyreach cannot
    /// determine from the input: a value "known after apply" (for example a `jsonencode()` over
    /// attributes of resources created in the same plan, when no policy document data source
    /// explains it), or a document that may hold statements the input does not reveal (a
    /// `dynamic "statement"` over an unknown collection). Also flags managed-policy lists
    /// that are unknown until apply.
    ///
    /// ## Why is this risky?
    /// keyreach reports every undecided Allow as `conditional`, but a document it cannot read
    /// at all may grant anything. A plan that cannot be verified must not pass silently: this
    /// finding makes the gap visible and, for key policies, fails the default `--fail-on high`.
    ///
    /// ## Example
    /// ```hcl
    /// resource "aws_kms_key" "orders" {
    ///   policy = jsonencode({ Statement = [for r in var.readers : { ... }] })  # readers unknown
    /// }
    /// ```
    ///
    /// ## Remediation
    /// Build the policy with `data "aws_iam_policy_document"` over known values or references
    /// keyreach can follow, give the plan the variables it needs, or run keyreach on a plan
    /// made after the resources the policy depends on exist. If the gap is accepted, suppress
    /// the finding with a reason.
    ///
    /// ## Unknown values
    /// This rule is about unknown values. Key policies unknown until apply are severity high;
    /// key policies that may be incomplete, and unknown or incomplete trust and identity
    /// policies, are severity medium. A policy given as a reference to a policy document data
    /// source whose document is known is determined.
    ///
    /// ## References
    /// - <https://developer.hashicorp.com/terraform/internals/json-format>
    /// - <https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html>
    pub(crate) static POLICY_UNDETERMINED = {
        code: "KR013",
        name: "policy-not-determined",
        severity: High,
        summary: "A key, trust or identity policy cannot be determined before apply.",
        check: policy_undetermined,
    }
}

fn push(
    out: &mut Vec<Finding>,
    holder: &Resource,
    subject: &str,
    message: String,
    severity: Severity,
    location: Location,
) {
    let mut f = POLICY_UNDETERMINED.meta.finding(
        holder.id.clone(),
        Some(subject.to_owned()),
        message,
        location,
    );
    f.severity = severity;
    out.push(f);
}

fn policy_undetermined(ctx: &RuleCtx<'_>, out: &mut Vec<Finding>) {
    for (key, k) in ctx.keys() {
        let (holder, state) = ctx.key_policy(key, k);
        let domain = ctx.domains_of_key(&key.id).next().map(|d| d.name.clone());
        let before = out.len();
        match state {
            PolicyState::Unknown => push(
                out,
                holder,
                "key policy",
                format!(
                    "The key policy of `{}` is not known until apply: keyreach cannot verify who \
                     can use the key",
                    key.id
                ),
                Severity::High,
                holder.location.clone(),
            ),
            PolicyState::Known(d) if d.incomplete => push(
                out,
                holder,
                "key policy",
                format!(
                    "The key policy of `{}` may hold statements the input does not reveal",
                    key.id
                ),
                Severity::Medium,
                holder.location.clone(),
            ),
            PolicyState::Known(_) | PolicyState::Default => {}
        }
        for f in &mut out[before..] {
            f.domain.clone_from(&domain);
        }
    }
    for r in &ctx.estate.resources {
        if let Kind::Role(role) = &r.kind {
            if let Some(trust) = &role.trust_policy {
                match ctx.resolve(trust) {
                    PolicyState::Unknown => push(
                        out,
                        r,
                        "trust policy",
                        format!(
                            "The trust policy of `{}` is not known until apply: keyreach cannot \
                             verify who can assume the role",
                            r.id
                        ),
                        Severity::Medium,
                        r.location.clone(),
                    ),
                    PolicyState::Known(d) if d.incomplete => push(
                        out,
                        r,
                        "trust policy",
                        format!(
                            "The trust policy of `{}` may hold statements the input does not reveal",
                            r.id
                        ),
                        Severity::Medium,
                        r.location.clone(),
                    ),
                    PolicyState::Known(_) | PolicyState::Default => {}
                }
            }
        }
        let managed = match &r.kind {
            Kind::Role(x) => Some(&x.managed_policy_arns),
            Kind::User(x) => Some(&x.managed_policy_arns),
            Kind::Group(x) => Some(&x.managed_policy_arns),
            _ => None,
        };
        if let Some(Val::Unknown | Val::Ref(_)) = managed {
            push(
                out,
                r,
                "managed policies",
                format!(
                    "The managed policies attached to `{}` are not known until apply",
                    r.id
                ),
                Severity::Medium,
                r.location.clone(),
            );
        }
    }
    for d in ctx.identity_docs() {
        let location = d
            .location
            .cloned()
            .unwrap_or_else(|| d.holder.location.clone());
        match ctx.resolve(d.doc) {
            PolicyState::Unknown => push(
                out,
                d.holder,
                &d.label,
                format!(
                    "The {} of `{}` is not known until apply: keyreach cannot verify what it allows",
                    d.label, d.holder.id
                ),
                Severity::Medium,
                location,
            ),
            PolicyState::Known(doc) if doc.incomplete => push(
                out,
                d.holder,
                &d.label,
                format!(
                    "The {} of `{}` may hold statements the input does not reveal",
                    d.label, d.holder.id
                ),
                Severity::Medium,
                location,
            ),
            PolicyState::Known(_) | PolicyState::Default => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::model::{Attachments, InlinePolicy, Reference, Role};

    #[test]
    fn kr013_unknown_policies() {
        let mut t = Kit::new();
        t.key("aws_kms_key.unknown", None).policy = Some(Val::Unknown);
        t.key("aws_kms_key.dangling", None).policy = Some(Val::Ref(vec![Reference::new(
            "aws_iam_role.x",
            Some("arn"),
        )]));
        let mut partial = doc(r#"{"Statement":[]}"#);
        partial.incomplete = true;
        t.key("aws_kms_key.partial", None).policy = Some(Val::Known(partial));
        t.key("aws_kms_key.default", None);
        t.key("aws_kms_key.known", None).policy = Some(Val::Known(doc(r#"{"Statement":[]}"#)));
        t.domain("d", &["aws_kms_key.unknown"]);
        t.add(
            "aws_iam_role.r",
            "aws_iam_role",
            Kind::Role(Role {
                name: None,
                arn: None,
                path: None,
                trust_policy: Some(Val::Unknown),
                inline_policies: Vec::new(),
                managed_policy_arns: Val::Unknown,
                permissions_boundary: None,
            }),
        );
        t.add(
            "aws_iam_role_policy.p",
            "aws_iam_role_policy",
            Kind::InlinePolicy(InlinePolicy {
                name: None,
                document: Val::Unknown,
                attached: Attachments::default(),
            }),
        );
        let f = t.run("KR013");
        let got: Vec<(&str, Option<&str>, Severity)> = f
            .iter()
            .map(|f| (f.resource.as_str(), f.subject.as_deref(), f.severity))
            .collect();
        assert_eq!(
            got,
            [
                ("aws_iam_role.r", Some("managed policies"), Severity::Medium),
                ("aws_iam_role.r", Some("trust policy"), Severity::Medium),
                (
                    "aws_iam_role_policy.p",
                    Some("inline policy"),
                    Severity::Medium
                ),
                ("aws_kms_key.dangling", Some("key policy"), Severity::High),
                ("aws_kms_key.partial", Some("key policy"), Severity::Medium),
                ("aws_kms_key.unknown", Some("key policy"), Severity::High),
            ]
        );
        assert_eq!(f[5].domain.as_deref(), Some("d"));
    }
}
