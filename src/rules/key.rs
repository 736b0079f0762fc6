//! Rules over keys and their key policies as written.

use super::access::ESCALATION_ACTIONS;
use super::ctx::{action, delegating_statements, principal_values, some, statement_covers};
use super::{declare_rule, PolicyState, RuleCtx};
use crate::finding::{Finding, Severity};
use crate::model::{Condition, Effect, KeyOrigin, PrincipalType, Statement, Val};

/// The first domain that lists the key, for the finding's `domain`.
fn domain_of(ctx: &RuleCtx<'_>, key_id: &str) -> Option<String> {
    ctx.domains_of_key(key_id).next().map(|d| d.name.clone())
}

declare_rule! {
    /// ## What it does
    /// Flags a key whose policy leaves no principal able to change it: no access entry may call
    /// `kms:PutKeyPolicy`, and the key policy does not delegate `kms:PutKeyPolicy` to the
    /// account through IAM.
    ///
    /// ## Why is this risky?
    /// Nobody can fix the policy later — not to remove a reader, not to add one, not during an
    /// incident. Recovering needs AWS Support. When `bypass_policy_lockout_safety_check` is
    /// set, AWS accepts such a policy and the key is locked for good; without it, AWS rejects
    /// the policy at apply unless the deploying principal can change it, so the plan fails or
    /// relies on a principal the input does not show.
    ///
    /// ## Example
    /// ```json
    /// {"Statement": [{"Sid": "AppOnly", "Effect": "Allow",
    ///   "Principal": {"AWS": "arn:aws:iam::111122223333:role/app"},
    ///   "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"}]}
    /// ```
    ///
    /// ## Remediation
    /// Keep a statement that lets a key administrator role (or the account, through IAM) call
    /// `kms:PutKeyPolicy`, and do not set `bypass_policy_lockout_safety_check`.
    ///
    /// ## Unknown values
    /// A key policy unknown until apply, or one that may hold statements the input does not
    /// reveal, is not judged here (KR013 reports it). A `conditional` `kms:PutKeyPolicy` counts
    /// as able to change the policy. Without `bypass_policy_lockout_safety_check` the finding is
    /// severity medium: the deploying principal is an implied administrator, since AWS refuses a
    /// policy that would lock it out.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#prevent-unmanageable-key>
    /// - <https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html>
    pub(crate) static LOCKOUT = {
        code: "KR009",
        name: "key-policy-lockout",
        severity: High,
        summary: "No principal is left able to change the key policy.",
        check: lockout,
    }
}

fn lockout(ctx: &RuleCtx<'_>, out: &mut Vec<Finding>) {
    for (key, k) in ctx.keys() {
        let (holder, PolicyState::Known(doc)) = ctx.key_policy(key, k) else {
            continue;
        };
        if doc.incomplete {
            continue;
        }
        let delegates = delegating_statements(doc)
            .any(|st| statement_covers(st, "kms:PutKeyPolicy") != Some(false));
        if delegates {
            continue;
        }
        // Judged per key: in a domain spread over several keys, an administrator of one key
        // does not keep another from being locked out.
        let admin_entry = ctx
            .domains_of_key(&key.id)
            .flat_map(|d| &d.access)
            .any(|e| match e.per_key.get(&key.id) {
                Some(m) => m.get("PutKeyPolicy").is_some_and(|c| some(*c)),
                None if e.per_key.is_empty() => some(action(e, "PutKeyPolicy")),
                None => false,
            });
        if admin_entry {
            continue;
        }
        let mut f = LOCKOUT.meta.finding(
            holder.id.clone(),
            None,
            if k.bypass_lockout_check {
                format!(
                    "No principal can change the key policy of `{}` and \
                     bypass_policy_lockout_safety_check is set: the key cannot be managed after apply",
                    key.id
                )
            } else {
                format!(
                    "No principal named by the key policy of `{}` can change it; AWS rejects the \
                     policy at apply unless the deploying principal can, which the input does not show",
                    key.id
                )
            },
            holder.location.clone(),
        );
        if !k.bypass_lockout_check {
            f.severity = Severity::Medium;
        }
        out.push(f.in_domain(domain_of(ctx, &key.id).as_deref()));
    }
}

/// Condition keys that narrow who the caller can be.
const NARROWING_KEYS: [&str; 13] = [
    "kms:calleraccount",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:principalorgid",
    "aws:principalorgpaths",
    "aws:userid",
    "aws:username",
    "aws:sourceaccount",
    "aws:sourcearn",
    "aws:sourceorgid",
    "aws:sourceorgpaths",
    "aws:sourcevpce",
    "aws:sourcevpc",
];

/// True when the condition limits the caller to known accounts, principals or networks:
/// a positive string/ARN operator (not `…IfExists`, which passes when the key is absent) on
/// a narrowing key, with at least one value that is not a bare wildcard. Unknown values count
/// as narrowing: the statement is then reported as `conditional` access, not as open.
pub(super) fn is_narrowing(c: &Condition) -> bool {
    let positive = matches!(
        c.base.to_ascii_lowercase().as_str(),
        "stringequals" | "stringlike" | "stringequalsignorecase" | "arnequals" | "arnlike"
    );
    positive
        && !c.if_exists
        && NARROWING_KEYS.contains(&c.key.to_ascii_lowercase().as_str())
        && !c.values.is_empty()
        && c.values.iter().all(|v| match v {
            Val::Known(s) => !s.chars().all(|ch| ch == '*' || ch == '?'),
            Val::Unknown | Val::Ref(_) | Val::Partial(_) => true,
        })
}

/// True when the statement's principal is everyone: `"*"`, `{"AWS": "*"}`, or `NotPrincipal`
/// with Allow (everyone except the listed).
pub(super) fn admits_anyone(st: &Statement) -> bool {
    st.not_principal.is_some()
        || st.principal.as_ref().is_some_and(|p| {
            principal_values(p)
                .iter()
                .any(|(t, v)| *t == PrincipalType::Aws && v.known().is_some_and(|s| s == "*"))
        })
}

declare_rule! {
    /// ## What it does
    /// Flags a key policy statement that allows `"Principal": "*"` (or `{"AWS": "*"}`, or
    /// `NotPrincipal` with `Allow`) without a condition that narrows the caller to known
    /// accounts, principals or networks (`kms:CallerAccount`, `aws:PrincipalAccount`,
    /// `aws:PrincipalArn`, `aws:PrincipalOrgID`, `aws:SourceAccount`, `aws:SourceArn`,
    /// `aws:SourceVpce`, ...).
    ///
    /// ## Why is this risky?
    /// `*` in a key policy means every identity in every AWS account. Conditions such as
    /// `kms:ViaService` or `kms:EncryptionContext:*` limit how the key is used, not who uses
    /// it. Even when the statement's actions look harmless today, an edit to them opens the key
    /// to the world.
    ///
    /// ## Example
    /// ```json
    /// {"Sid": "ViaS3", "Effect": "Allow", "Principal": "*",
    ///  "Action": ["kms:Decrypt"], "Resource": "*",
    ///  "Condition": {"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}}
    /// ```
    ///
    /// ## Remediation
    /// Name the principals, or add `"StringEquals": {"kms:CallerAccount": "<account>"}` (or
    /// `aws:PrincipalOrgID`) to the statement.
    ///
    /// ## Unknown values
    /// A narrowing condition whose value is unknown until apply counts as narrowing (the
    /// access it gates is then reported as `conditional` by the access rules). An `…IfExists`
    /// operator, a negated operator or a value that is only wildcards does not narrow. The
    /// finding is severity critical when the statement may allow a read or escalation action
    /// (`kms:Decrypt`, `kms:ReEncryptFrom`, `kms:CreateGrant`, `kms:PutKeyPolicy`, ...), high
    /// otherwise; an action unknown until apply counts as such an action.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html>
    /// - <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html>
    pub(crate) static ANY_PRINCIPAL = {
        code: "KR010",
        name: "key-policy-allows-any-principal",
        severity: Critical,
        summary: "A key policy statement allows any principal without a narrowing condition.",
        check: any_principal,
    }
}

/// Actions whose grant to anyone is critical: reads and escalations.
const SENSITIVE_ACTIONS: [&str; 6] = [
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:DeriveSharedSecret",
    "kms:PutKeyPolicy",
    "kms:CreateGrant",
    "kms:ReplicateKey",
];

fn any_principal(ctx: &RuleCtx<'_>, out: &mut Vec<Finding>) {
    debug_assert!(ESCALATION_ACTIONS
        .iter()
        .all(|a| SENSITIVE_ACTIONS.contains(&format!("kms:{a}").as_str())));
    for (key, k) in ctx.keys() {
        let (holder, PolicyState::Known(doc)) = ctx.key_policy(key, k) else {
            continue;
        };
        for st in &doc.statements {
            if st.effect != Effect::Allow
                || !admits_anyone(st)
                || st.conditions.iter().any(is_narrowing)
            {
                continue;
            }
            let sensitive = SENSITIVE_ACTIONS
                .iter()
                .any(|a| statement_covers(st, a) != Some(false));
            let mut f = ANY_PRINCIPAL.meta.finding(
                holder.id.clone(),
                Some(st.label()),
                format!(
                    "Key policy statement `{}` of `{}` allows any principal of any account{} \
                     without a condition narrowing the caller",
                    st.label(),
                    key.id,
                    if sensitive {
                        ", including reading or granting access,"
                    } else {
                        ""
                    }
                ),
                ctx.statement_location(holder, st),
            );
            if !sensitive {
                f.severity = Severity::High;
            }
            out.push(f.in_domain(domain_of(ctx, &key.id).as_deref()));
        }
    }
}

declare_rule! {
    /// ## What it does
    /// Flags a symmetric encryption key generated by KMS (`SYMMETRIC_DEFAULT`, origin
    /// `AWS_KMS`) whose automatic rotation is off (`enable_key_rotation` unset or false,
    /// `EnableKeyRotation` absent or false).
    ///
    /// ## Why is this risky?
    /// Without rotation one key material protects the domain's data for the key's whole life,
    /// so a compromise of that material (or of a principal that cached data keys) exposes
    /// everything ever encrypted. Many compliance frameworks require yearly rotation.
    ///
    /// ## Example
    /// ```hcl
    /// resource "aws_kms_key" "orders" {
    ///   enable_key_rotation = false
    /// }
    /// ```
    ///
    /// ## Remediation
    /// Set `enable_key_rotation = true` (Terraform) or `EnableKeyRotation: true`
    /// (CloudFormation); optionally `rotation_period_in_days`.
    ///
    /// ## Unknown values
    /// A rotation setting unknown until apply is reported, with a message saying it could not
    /// be determined. Replica keys (rotation follows the primary), asymmetric and HMAC keys,
    /// imported key material and custom key stores (no automatic rotation) are not checked.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html>
    pub(crate) static ROTATION_DISABLED = {
        code: "KR015",
        name: "key-rotation-disabled",
        severity: Medium,
        summary: "Automatic rotation is off for a symmetric KMS key.",
        check: rotation_disabled,
    }
}

fn rotation_disabled(ctx: &RuleCtx<'_>, out: &mut Vec<Finding>) {
    for (key, k) in ctx.keys() {
        let symmetric = k
            .key_spec
            .as_deref()
            .is_none_or(|s| s == "SYMMETRIC_DEFAULT")
            && k.key_usage
                .as_deref()
                .is_none_or(|u| u == "ENCRYPT_DECRYPT");
        if !symmetric || k.primary_key.is_some() || k.origin != KeyOrigin::AwsKms {
            continue;
        }
        let message = match &k.rotation_enabled {
            Some(Val::Known(true)) => continue,
            None | Some(Val::Known(false)) => {
                format!("Automatic rotation is off for symmetric key `{}`", key.id)
            }
            Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => format!(
                "keyreach cannot determine before apply whether rotation is on for key `{}`",
                key.id
            ),
        };
        out.push(
            ROTATION_DISABLED
                .meta
                .finding(key.id.clone(), None, message, key.location.clone())
                .in_domain(domain_of(ctx, &key.id).as_deref()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::analysis::result::Capability::{No, Yes};
    use crate::model::Kind;

    const APP_ONLY: &str = r#"{"Statement":[{"Sid":"App","Effect":"Allow",
        "Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},
        "Action":["kms:Decrypt"],"Resource":"*"}]}"#;

    #[test]
    fn kr009_lockout() {
        let mut t = Kit::new();
        t.key("aws_kms_key.a", None).policy = Some(Val::Known(doc(APP_ONLY)));
        t.domain("a", &["aws_kms_key.a"]);
        t.entry("a", role("aws_iam_role.app", None, Yes, No, No));
        let f = t.run("KR009");
        assert_eq!(codes_resources(&f), [("KR009", "aws_kms_key.a")]);
        assert_eq!(f[0].severity, Severity::Medium);

        let mut t = Kit::new();
        let k = t.key("aws_kms_key.a", None);
        k.policy = Some(Val::Known(doc(APP_ONLY)));
        k.bypass_lockout_check = true;
        let f = t.run("KR009");
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::High);

        // Pass: an admin entry can change the policy.
        let mut t = Kit::new();
        t.key("aws_kms_key.a", None).policy = Some(Val::Known(doc(APP_ONLY)));
        t.domain("a", &["aws_kms_key.a"]);
        let mut admin = role("aws_iam_role.admin", None, No, No, Yes);
        admin.actions.insert("PutKeyPolicy", Yes);
        t.entry("a", admin);
        assert!(t.run("KR009").is_empty());

        // Pass: delegation to the account; default policy; unknown policy.
        let mut t = Kit::new();
        t.key("aws_kms_key.a", None).policy = Some(Val::Known(doc(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"111122223333"},
               "Action":"kms:*","Resource":"*"}]}"#,
        )));
        t.key("aws_kms_key.b", None);
        t.key("aws_kms_key.c", None).policy = Some(Val::Unknown);
        assert!(t.run("KR009").is_empty());
    }

    #[test]
    fn kr009_follows_separate_key_policy_resource() {
        let mut t = Kit::new();
        t.key("aws_kms_key.a", None);
        t.add(
            "aws_kms_key_policy.a",
            "aws_kms_key_policy",
            Kind::KeyPolicy(crate::model::KeyPolicy {
                key: Val::Ref(vec![crate::model::Reference::new(
                    "aws_kms_key.a",
                    Some("id"),
                )]),
                policy: Val::Known(doc(APP_ONLY)),
            }),
        );
        let f = t.run("KR009");
        assert_eq!(resources(&f), ["aws_kms_key_policy.a"]);
    }

    #[test]
    fn kr010_any_principal() {
        let policy = r#"{"Statement":[
          {"Sid":"Open","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"},
          {"Sid":"ViaOnly","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*",
           "Condition":{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}},
          {"Sid":"Describe","Effect":"Allow","Principal":"*","Action":"kms:DescribeKey","Resource":"*"},
          {"Sid":"IfExists","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*",
           "Condition":{"StringEqualsIfExists":{"aws:PrincipalAccount":"111122223333"}}},
          {"Sid":"Star","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*",
           "Condition":{"StringLike":{"aws:PrincipalArn":"*"}}},
          {"Sid":"Caller","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*",
           "Condition":{"StringEquals":{"kms:CallerAccount":"111122223333"}}},
          {"Sid":"Org","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*",
           "Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}},
          {"Sid":"DenyAll","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"},
          {"Sid":"Named","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/a"},
           "Action":"kms:*","Resource":"*"}
        ]}"#;
        let mut t = Kit::new();
        t.key("aws_kms_key.a", None).policy = Some(Val::Known(doc(policy)));
        let f = t.run("KR010");
        assert_eq!(
            subjects(&f),
            ["Describe", "IfExists", "Open", "Star", "ViaOnly"]
        );
        assert_eq!(f[0].severity, Severity::High);
        assert_eq!(f[2].severity, Severity::Critical);
    }

    #[test]
    fn kr010_follows_policy_document_reference() {
        let mut t = Kit::new();
        t.add(
            "data.aws_iam_policy_document.k",
            "aws_iam_policy_document",
            Kind::PolicyDocument(crate::model::PolicyDocumentSource {
                document: Val::Known(doc(
                    r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}]}"#,
                )),
            }),
        );
        t.key("aws_kms_key.a", None).policy = Some(Val::Ref(vec![crate::model::Reference::new(
            "data.aws_iam_policy_document.k",
            Some("json"),
        )]));
        assert_eq!(subjects(&t.run("KR010")), ["#0"]);
    }

    #[test]
    fn kr015_rotation() {
        let mut t = Kit::new();
        t.key("aws_kms_key.off", None).rotation_enabled = Some(Val::Known(false));
        t.key("aws_kms_key.unset", None).rotation_enabled = None;
        t.key("aws_kms_key.unknown", None).rotation_enabled = Some(Val::Unknown);
        t.key("aws_kms_key.on", None);
        let k = t.key("aws_kms_key.rsa", None);
        k.rotation_enabled = None;
        k.key_spec = Some("RSA_2048".into());
        let k = t.key("aws_kms_key.replica", None);
        k.rotation_enabled = None;
        k.primary_key = Some(Val::from("arn:aws:kms:us-east-1:1:key/mrk-1"));
        let k = t.key("aws_kms_key.external", None);
        k.rotation_enabled = None;
        k.origin = KeyOrigin::External;
        let f = t.run("KR015");
        assert_eq!(
            resources(&f),
            [
                "aws_kms_key.off",
                "aws_kms_key.unknown",
                "aws_kms_key.unset"
            ]
        );
        assert!(f[1].message.contains("cannot determine"));
    }
}
