//! Rules over IAM: identity policies that reach every key, and trust policies of reader roles.

use super::ctx::{account_of, is_account_principal, principal_values, some, statement_covers};
use super::key::{admits_anyone, is_narrowing};
use super::{declare_rule, PolicyState, RuleCtx};
use crate::finding::{Finding, Severity};
use crate::model::{Effect, Kind, PrincipalType, Statement, VStr, Val};
use std::collections::BTreeMap;

/// AWS managed policies known to allow `kms:Decrypt` on every key (`*` on `*`, or `NotAction`
/// that leaves KMS in).
const BROAD_AWS_MANAGED: [&str; 2] = [
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:iam::aws:policy/PowerUserAccess",
];

/// True when a `Resource` pattern matches every key (`*`, `arn:aws:kms:*`,
/// `arn:aws:kms:*:111122223333:key/*`): it matches a key ARN with any key id, in the
/// partition, Region and account the pattern itself names (or any, where it has wildcards).
fn covers_any_key(pattern: &str) -> bool {
    let parts: Vec<&str> = pattern.splitn(6, ':').collect();
    let literal = |i: usize, default: &'static str| -> String {
        match parts.get(i) {
            Some(p) if !p.is_empty() && !p.contains(['*', '?']) => (*p).to_owned(),
            _ => default.to_owned(),
        }
    };
    let (partition, region, account) = (
        literal(1, "aws"),
        literal(3, "zz-test-9"),
        literal(4, "000000000000"),
    );
    let m = wildmatch::WildMatch::new(pattern);
    [
        "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "mrk-00112233445566778899aabbccddeeff",
    ]
    .iter()
    .all(|id| m.matches(&format!("arn:{partition}:kms:{region}:{account}:key/{id}")))
}

/// Whether the statement's resource element covers every key.
fn on_any_key(st: &Statement) -> bool {
    let known = |list: &[VStr]| {
        list.iter()
            .filter_map(Val::known)
            .any(|p| covers_any_key(p))
    };
    match (&st.resource, &st.not_resource) {
        (Some(list), _) => known(list),
        (None, Some(list)) => !known(list),
        (None, None) => false,
    }
}

declare_rule! {
    /// ## What it does
    /// Flags an identity policy (inline in a role, user or group, a customer managed policy, or
    /// an AWS managed policy such as `AdministratorAccess` attached to a principal) that allows
    /// `kms:Decrypt` on `"Resource": "*"` or on every key of an account.
    ///
    /// ## Why is this risky?
    /// Every key whose policy delegates to the account (the default key policy does) trusts
    /// IAM to decide who reads. A `kms:Decrypt` on `*` makes the principal a reader of every
    /// such domain — today's and those created later — which silently defeats partitioning by
    /// key.
    ///
    /// ## Example
    /// ```json
    /// {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"}
    /// ```
    ///
    /// ## Remediation
    /// Name the keys (`"Resource": "arn:aws:kms:us-east-1:111122223333:key/<id>"`, or
    /// `aws_kms_key.orders.arn`), or restrict with `kms:ResourceAliases` /
    /// `aws:ResourceTag/DataDomain` conditions.
    ///
    /// A policy used only as a permissions boundary grants nothing and is not reported; nor is
    /// a statement whose condition scopes it to particular keys (`kms:ResourceAliases`,
    /// `kms:RequestAlias` or `aws:ResourceTag/…` with `StringEquals`/`StringLike`).
    ///
    /// ## Unknown values
    /// An action unknown until apply counts as possibly `kms:Decrypt`; a resource unknown
    /// until apply is taken to name a specific resource and is not reported. A whole document
    /// unknown until apply is reported by KR013.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html>
    /// - <https://docs.aws.amazon.com/kms/latest/developerguide/iam-policies-best-practices.html>
    pub(crate) static DECRYPT_ANY_KEY = {
        code: "KR011",
        name: "identity-policy-decrypts-any-key",
        severity: Medium,
        summary: "An identity policy allows kms:Decrypt on every key.",
        check: decrypt_any_key,
    }
}

/// True when a condition of the statement scopes it to particular keys: a positive test of
/// `kms:ResourceAliases`, `kms:RequestAlias` or `aws:ResourceTag/…` with a value that is not
/// just wildcards.
fn scoped_to_keys(st: &Statement) -> bool {
    st.conditions.iter().any(|c| {
        let key = c.key.to_ascii_lowercase();
        let about_keys = key == "kms:resourcealiases"
            || key == "kms:requestalias"
            || key.starts_with("aws:resourcetag/");
        let base = c.base.to_ascii_lowercase();
        let positive = matches!(
            base.as_str(),
            "stringequals" | "stringlike" | "stringequalsignorecase"
        );
        let narrow = c.values.iter().any(|v| match v {
            Val::Known(s) => !s.chars().all(|ch| ch == '*' || ch == '?'),
            _ => true,
        });
        about_keys && positive && !c.if_exists && narrow
    })
}

/// Whether `v` names the policy resource `p` (a reference to it, or its ARN or name).
fn names_policy(v: &VStr, p: &crate::model::Resource) -> bool {
    match v {
        Val::Ref(refs) => refs.iter().any(|r| r.target == p.id),
        Val::Known(s) => match &p.kind {
            Kind::ManagedPolicy(m) => [&m.arn, &m.name]
                .into_iter()
                .flatten()
                .filter_map(Val::known)
                .any(|k| k == s || s.ends_with(&format!("/{k}"))),
            _ => false,
        },
        Val::Partial(pp) => pp.references().iter().any(|r| r.target == p.id),
        Val::Unknown => false,
    }
}

/// Customer managed policies used only as permissions boundaries: a boundary grants nothing.
fn boundary_only<'a>(ctx: &RuleCtx<'a>) -> std::collections::BTreeSet<&'a str> {
    let mut out = std::collections::BTreeSet::new();
    for p in &ctx.estate.resources {
        if !matches!(p.kind, Kind::ManagedPolicy(_)) {
            continue;
        }
        let attached_directly = match &p.kind {
            Kind::ManagedPolicy(m) => {
                !(m.attached.roles.is_empty()
                    && m.attached.users.is_empty()
                    && m.attached.groups.is_empty())
            }
            _ => false,
        };
        let mut as_boundary = false;
        let mut as_permissions = attached_directly;
        for r in &ctx.estate.resources {
            let (boundary, managed) = match &r.kind {
                Kind::Role(x) => (
                    x.permissions_boundary.as_ref(),
                    Some(&x.managed_policy_arns),
                ),
                Kind::User(x) => (
                    x.permissions_boundary.as_ref(),
                    Some(&x.managed_policy_arns),
                ),
                Kind::Group(x) => (None, Some(&x.managed_policy_arns)),
                Kind::PolicyAttachment(a) => {
                    if names_policy(&a.policy_arn, p) {
                        if a.boundary {
                            as_boundary = true;
                        } else {
                            as_permissions = true;
                        }
                    }
                    continue;
                }
                _ => continue,
            };
            if boundary.is_some_and(|b| names_policy(b, p)) {
                as_boundary = true;
            }
            match managed {
                Some(Val::Known(list)) if list.iter().any(|v| names_policy(v, p)) => {
                    as_permissions = true;
                }
                _ => {}
            }
        }
        if as_boundary && !as_permissions {
            out.insert(p.id.as_str());
        }
    }
    out
}

fn decrypt_any_key(ctx: &RuleCtx<'_>, out: &mut Vec<Finding>) {
    let boundaries = boundary_only(ctx);
    for d in ctx.identity_docs() {
        if boundaries.contains(d.holder.id.as_str()) {
            continue;
        }
        let PolicyState::Known(doc) = ctx.resolve(d.doc) else {
            continue;
        };
        for st in &doc.statements {
            if st.effect != Effect::Allow
                || statement_covers(st, "kms:Decrypt") == Some(false)
                || !on_any_key(st)
                || scoped_to_keys(st)
            {
                continue;
            }
            let location = st
                .location
                .clone()
                .or_else(|| d.location.cloned())
                .unwrap_or_else(|| d.holder.location.clone());
            out.push(DECRYPT_ANY_KEY.meta.finding(
                d.holder.id.clone(),
                Some(format!("{} {}", d.label, st.label())),
                format!(
                    "Statement `{}` of the {} of `{}` allows kms:Decrypt on every key",
                    st.label(),
                    d.label,
                    d.holder.id
                ),
                location,
            ));
        }
    }
    // AWS managed policies that grant everything, attached in the principal itself or by an
    // attachment resource.
    for r in &ctx.estate.resources {
        let arns: Vec<&str> = match &r.kind {
            Kind::Role(x) => known_arns(&x.managed_policy_arns),
            Kind::User(x) => known_arns(&x.managed_policy_arns),
            Kind::Group(x) => known_arns(&x.managed_policy_arns),
            Kind::PolicyAttachment(a) if !a.boundary => a
                .policy_arn
                .known()
                .map(String::as_str)
                .into_iter()
                .collect(),
            _ => continue,
        };
        for arn in arns {
            // The engine's bundled copy decides when it has one; otherwise the short list of
            // AWS managed policies known to allow everything.
            let broad = match crate::analysis::eval::aws_managed_policy(arn) {
                Some(doc) => doc.statements.iter().any(|st| {
                    st.effect == Effect::Allow
                        && statement_covers(st, "kms:Decrypt") != Some(false)
                        && on_any_key(st)
                        && !scoped_to_keys(st)
                }),
                None => BROAD_AWS_MANAGED.contains(&arn),
            };
            if !broad {
                continue;
            }
            out.push(DECRYPT_ANY_KEY.meta.finding(
                r.id.clone(),
                Some(arn.to_owned()),
                format!(
                    "`{}` attaches the AWS managed policy `{arn}`, which allows kms:Decrypt on every key",
                    r.id
                ),
                r.location.clone(),
            ));
        }
    }
}

fn known_arns(v: &Val<Vec<VStr>>) -> Vec<&str> {
    v.known()
        .map(|l| {
            l.iter()
                .filter_map(Val::known)
                .map(String::as_str)
                .collect()
        })
        .unwrap_or_default()
}

declare_rule! {
    /// ## What it does
    /// Flags a role that can read a domain and whose trust policy admits more than named
    /// principals: a whole account (`arn:aws:iam::<acct>:root` or a bare account id) without an
    /// `aws:PrincipalArn` condition, any principal (`*`) without a narrowing condition, or a
    /// federated provider (OIDC, SAML) without a condition on the token's subject (`…:sub`).
    ///
    /// ## Why is this risky?
    /// Everyone who can assume a reader role is a reader. Trusting an account hands the choice
    /// of readers to that account's IAM; an OIDC trust without `sub` lets any repository or
    /// workload of the identity provider (for GitHub: any repository on github.com) assume the
    /// role and read the domain.
    ///
    /// ## Example
    /// ```json
    /// {"Effect": "Allow",
    ///  "Principal": {"Federated": "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},
    ///  "Action": "sts:AssumeRoleWithWebIdentity",
    ///  "Condition": {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}}
    /// ```
    ///
    /// ## Remediation
    /// Name the roles or users that may assume the role, add
    /// `"StringEquals": {"aws:PrincipalArn": [...]}` to an account trust, and pin OIDC trusts
    /// with `"StringLike": {"token.actions.githubusercontent.com:sub": "repo:ORG/REPO:ref:refs/heads/main"}`.
    ///
    /// ## Unknown values
    /// Roles whose read access is `conditional` count as readers. A trust policy unknown until
    /// apply is reported by KR013. A `sub` condition counts only with a positive operator and a
    /// value that is not just wildcards (`repo:*` is not a restriction). An account trust is
    /// severity high for another account and medium for the role's own account.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html>
    /// - <https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html>
    pub(crate) static BROAD_TRUST = {
        code: "KR012",
        name: "reader-role-trust-too-broad",
        severity: High,
        summary: "A role that can read a domain trusts a whole account, anyone, or an unpinned federated provider.",
        check: broad_trust,
    }
}

fn has_sub_condition(st: &Statement) -> bool {
    st.conditions.iter().any(|c| {
        let key = c.key.to_ascii_lowercase();
        let positive = matches!(
            c.base.to_ascii_lowercase().as_str(),
            "stringequals" | "stringlike" | "stringequalsignorecase"
        );
        positive
            && (key.ends_with(":sub") || key == "cognito-identity.amazonaws.com:aud")
            && !c.values.is_empty()
            && c.values.iter().all(|v| match v {
                Val::Known(s) => {
                    let rest = s.strip_prefix("repo:").unwrap_or(s);
                    !rest.is_empty() && !rest.starts_with(['*', '?'])
                }
                Val::Unknown | Val::Ref(_) | Val::Partial(_) => true,
            })
    })
}

fn narrowed_to_principals(st: &Statement) -> bool {
    st.conditions.iter().any(|c| {
        is_narrowing(c)
            && matches!(
                c.key.to_ascii_lowercase().as_str(),
                "aws:principalarn" | "aws:userid" | "aws:username"
            )
    })
}

fn broad_trust(ctx: &RuleCtx<'_>, out: &mut Vec<Finding>) {
    // Reader principal (id and ARN) -> first domain it reads.
    let mut readers: BTreeMap<&str, &str> = BTreeMap::new();
    for d in &ctx.report.domains {
        for e in d.access.iter().filter(|e| some(e.read)) {
            readers.entry(e.principal.as_str()).or_insert(&d.name);
            if let Some(arn) = &e.arn {
                readers.entry(arn.as_str()).or_insert(&d.name);
            }
        }
    }
    let home = ctx.estate.context.account_id.as_deref();
    for r in &ctx.estate.resources {
        let Kind::Role(role) = &r.kind else { continue };
        let arn = role.arn.as_ref().and_then(Val::known);
        let Some(domain) = readers
            .get(r.id.as_str())
            .or_else(|| arn.and_then(|a| readers.get(a.as_str())))
        else {
            continue;
        };
        let Some(trust) = &role.trust_policy else {
            continue;
        };
        let PolicyState::Known(doc) = ctx.resolve(trust) else {
            continue;
        };
        let role_account = arn.and_then(|a| account_of(a)).or(home);
        for st in &doc.statements {
            if st.effect != Effect::Allow {
                continue;
            }
            let mut push = |subject: String, what: String, severity: Severity| {
                let mut f = BROAD_TRUST.meta.finding(
                    r.id.clone(),
                    Some(format!("{} {subject}", st.label())),
                    format!(
                        "`{}` can read domain `{domain}` and its trust policy statement `{}` admits {what}",
                        r.id,
                        st.label()
                    ),
                    ctx.statement_location(r, st),
                );
                f.severity = severity;
                out.push(f.in_domain(Some(domain)));
            };
            if admits_anyone(st) {
                if !st.conditions.iter().any(is_narrowing) {
                    push(
                        "*".to_owned(),
                        "any principal of any account".to_owned(),
                        Severity::High,
                    );
                }
                continue;
            }
            let Some(p) = &st.principal else { continue };
            for (t, v) in principal_values(p) {
                let Some(v) = v.known() else { continue };
                match t {
                    PrincipalType::Aws if is_account_principal(v) => {
                        if narrowed_to_principals(st) {
                            continue;
                        }
                        let acct = account_of(v).unwrap_or(v);
                        let own = role_account == Some(acct);
                        push(
                            v.clone(),
                            format!(
                                "every principal of account {acct}{} that IAM allows to assume it",
                                if own { " (its own account)" } else { "" }
                            ),
                            if own { Severity::Medium } else { Severity::High },
                        );
                    }
                    PrincipalType::Federated if !has_sub_condition(st) => push(
                        v.clone(),
                        format!("federated provider `{v}` without a condition on the token subject (`sub`)"),
                        Severity::High,
                    ),
                    _ => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::*;
    use super::*;
    use crate::analysis::result::Capability::{Conditional, No, Yes};
    use crate::model::{Attachments, ManagedPolicy, NamedPolicy, Role};

    fn role_kind(trust: Option<&str>, inline: Option<&str>) -> Kind {
        Kind::Role(Role {
            name: None,
            arn: None,
            path: None,
            trust_policy: trust.map(|t| Val::Known(doc(t))),
            inline_policies: inline
                .map(|p| NamedPolicy {
                    name: Some("main".into()),
                    document: Val::Known(doc(p)),
                    location: None,
                })
                .into_iter()
                .collect(),
            managed_policy_arns: Val::Known(Vec::new()),
            permissions_boundary: None,
        })
    }

    #[test]
    fn resource_patterns_covering_every_key() {
        for (p, want) in [
            ("*", true),
            ("arn:aws:kms:*", true),
            ("arn:aws:kms:*:*:key/*", true),
            ("arn:aws:kms:us-east-1:111122223333:key/*", true),
            ("arn:aws:kms:*:111122223333:*", true),
            ("arn:aws:kms:us-east-1:111122223333:key/0f1e2d3c", false),
            ("arn:aws:kms:*:*:alias/*", false),
            ("arn:aws:s3:::*", false),
        ] {
            assert_eq!(covers_any_key(p), want, "{p}");
        }
    }

    #[test]
    fn kr011_decrypt_on_star() {
        let mut t = Kit::new();
        t.add(
            "aws_iam_role.wide",
            "aws_iam_role",
            role_kind(
                None,
                Some(r#"{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#),
            ),
        );
        t.add(
            "aws_iam_role.narrow",
            "aws_iam_role",
            role_kind(
                None,
                Some(
                    r#"{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt",
                    "Resource":"arn:aws:kms:us-east-1:111122223333:key/abc"},
                    {"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"},
                    {"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}]}"#,
                ),
            ),
        );
        t.add(
            "aws_iam_policy.p",
            "aws_iam_policy",
            Kind::ManagedPolicy(ManagedPolicy {
                name: None,
                arn: None,
                document: Val::Known(doc(
                    r#"{"Statement":[{"Sid":"NA","Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#,
                )),
                attached: Attachments::default(),
            }),
        );
        let mut admin = role_kind(None, None);
        if let Kind::Role(r) = &mut admin {
            r.managed_policy_arns = Val::Known(vec![Val::from(
                "arn:aws:iam::aws:policy/AdministratorAccess",
            )]);
        }
        t.add("aws_iam_role.admin", "aws_iam_role", admin);
        let f = t.run("KR011");
        assert_eq!(
            resources(&f),
            [
                "aws_iam_policy.p",
                "aws_iam_role.admin",
                "aws_iam_role.wide"
            ]
        );
        assert_eq!(subjects(&f)[2], "inline policy main #0");
    }

    const GITHUB: &str =
        "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";

    fn trust_kit(trust: &str) -> Kit {
        let mut t = Kit::new();
        t.account("111122223333");
        t.key("aws_kms_key.a", None);
        t.domain("a", &["aws_kms_key.a"]);
        t.add(
            "aws_iam_role.reader",
            "aws_iam_role",
            role_kind(Some(trust), None),
        );
        t.add(
            "aws_iam_role.other",
            "aws_iam_role",
            role_kind(Some(trust), None),
        );
        t.entry("a", role("aws_iam_role.reader", None, Conditional, No, No));
        t.entry("a", role("aws_iam_role.other", None, No, Yes, No));
        t
    }

    #[test]
    fn kr012_account_trust() {
        let t = trust_kit(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::444455556666:root","111122223333"]},
            "Action":"sts:AssumeRole"}]}"#,
        );
        let f = t.run("KR012");
        assert_eq!(
            resources(&f),
            ["aws_iam_role.reader", "aws_iam_role.reader"]
        );
        let sev: Vec<_> = f.iter().map(|f| f.severity).collect();
        assert_eq!(sev, [Severity::Medium, Severity::High]);

        let t = trust_kit(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},
            "Action":"sts:AssumeRole","Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::444455556666:role/x"}}},
            {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/y"},"Action":"sts:AssumeRole"}]}"#,
        );
        assert!(t.run("KR012").is_empty());
    }

    #[test]
    fn kr012_federated_without_sub() {
        let open = format!(
            r#"{{"Statement":[{{"Effect":"Allow","Principal":{{"Federated":"{GITHUB}"}},
            "Action":"sts:AssumeRoleWithWebIdentity",
            "Condition":{{"StringEquals":{{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}}}}]}}"#
        );
        let f = trust_kit(&open).run("KR012");
        assert_eq!(resources(&f), ["aws_iam_role.reader"]);
        assert_eq!(f[0].domain.as_deref(), Some("a"));

        let wildcard = open.replace(
            r#""StringEquals""#,
            r#""StringLike":{"token.actions.githubusercontent.com:sub":"repo:*"},"StringEquals""#,
        );
        assert_eq!(trust_kit(&wildcard).run("KR012").len(), 1);

        let pinned = open.replace(
            r#""StringEquals""#,
            r#""StringLike":{"token.actions.githubusercontent.com:sub":"repo:org/app:ref:refs/heads/main"},"StringEquals""#,
        );
        assert!(trust_kit(&pinned).run("KR012").is_empty());
    }

    #[test]
    fn kr012_anyone() {
        let f = trust_kit(
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole"}]}"#,
        )
        .run("KR012");
        assert_eq!(subjects(&f), ["#0 *"]);
    }
}
