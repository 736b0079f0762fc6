//! Plan plus source: what a plan leaves unknown (a key policy built from a role created in the
//! same change, a trust policy, a store's key reference) is taken from the Terraform source of
//! the same resource (same address), and the resource records it in
//! [`Resource::from_source`] so evidence can say `(from source main.tf:12)`.
//!
//! Only values the plan does not know are replaced, and only by a better one: a known value, or
//! a reference where the plan has a plain unknown. A known plan value always wins — the plan is
//! what will be applied.
//!
//! Source read without `--account-id` names the deploying account with the engine's
//! placeholder (`arn:aws:iam::<account>:root`); a plan usually knows the account
//! (`data.aws_caller_identity` in its prior state), so filled values get the plan's account.

use crate::analysis::principals::DEPLOYING_ACCOUNT;
use crate::model::{
    Attachments, Condition, Encryption, Kind, Location, NamedPolicy, Parsed, PolicyDocument,
    Principals, Resource, SourceFill, Val,
};
use std::collections::HashMap;

/// Fills what a plan leaves unknown from the matching source resources.
pub fn fill_plan_from_source(plan: &mut Parsed, source: &Parsed) {
    let index: HashMap<&str, &Resource> = source
        .resources
        .iter()
        .map(|r| (r.id.as_str(), r))
        .collect();
    let account = plan.account_id.clone();
    for r in &mut plan.resources {
        if let Some(src) = index.get(r.id.as_str()) {
            fill_resource(r, src, account.as_deref());
        }
    }
}

fn better<T>(plan: &Val<T>, src: &Val<T>) -> bool {
    match (plan, src) {
        (Val::Known(_), _) => false,
        (_, Val::Known(_)) => true,
        (Val::Unknown, Val::Ref(r)) => !r.is_empty(),
        _ => false,
    }
}

struct Filler<'a> {
    filled: Vec<String>,
    at: &'a Location,
    account: Option<&'a str>,
}

/// Values holding strings that may name the deploying account by the placeholder.
trait Relocate {
    fn relocate(&mut self, account: &str);
}

impl Relocate for String {
    fn relocate(&mut self, account: &str) {
        if self.contains(DEPLOYING_ACCOUNT) {
            *self = self.replace(DEPLOYING_ACCOUNT, account);
        }
    }
}

impl<T: Relocate> Relocate for Val<T> {
    fn relocate(&mut self, account: &str) {
        if let Val::Known(v) = self {
            v.relocate(account);
        }
    }
}

impl<T: Relocate> Relocate for Vec<T> {
    fn relocate(&mut self, account: &str) {
        for v in self {
            v.relocate(account);
        }
    }
}

impl<T: Relocate> Relocate for Option<T> {
    fn relocate(&mut self, account: &str) {
        if let Some(v) = self {
            v.relocate(account);
        }
    }
}

impl Relocate for PolicyDocument {
    fn relocate(&mut self, account: &str) {
        for s in &mut self.statements {
            for p in [&mut s.principal, &mut s.not_principal]
                .into_iter()
                .flatten()
            {
                if let Principals::Map(m) = p {
                    for (_, v) in m {
                        v.relocate(account);
                    }
                }
            }
            s.action.relocate(account);
            s.not_action.relocate(account);
            s.resource.relocate(account);
            s.not_resource.relocate(account);
            for c in &mut s.conditions {
                c.relocate(account);
            }
        }
    }
}

impl Relocate for Condition {
    fn relocate(&mut self, account: &str) {
        self.values.relocate(account);
    }
}

impl Relocate for Encryption {
    fn relocate(&mut self, account: &str) {
        if let Encryption::Kms(k) = self {
            k.relocate(account);
        }
    }
}

impl Filler<'_> {
    fn val<T: Clone + Relocate>(&mut self, plan: &mut Val<T>, src: &Val<T>, attr: &str) {
        if better(plan, src) {
            *plan = src.clone();
            if let Some(a) = self.account {
                plan.relocate(a);
            }
            self.filled.push(attr.to_owned());
        }
    }

    fn opt<T: Clone + Relocate>(
        &mut self,
        plan: &mut Option<Val<T>>,
        src: &Option<Val<T>>,
        attr: &str,
    ) {
        if let (Some(p), Some(s)) = (plan.as_mut(), src.as_ref()) {
            self.val(p, s, attr);
        }
    }

    fn named(&mut self, plan: &mut [NamedPolicy], src: &[NamedPolicy], attr: &str) {
        for (i, p) in plan.iter_mut().enumerate() {
            let s = match &p.name {
                Some(n) => src.iter().find(|s| s.name.as_deref() == Some(n.as_str())),
                None => src.get(i),
            };
            if let Some(s) = s {
                if better(&p.document, &s.document) {
                    p.document = s.document.clone();
                    if let Some(a) = self.account {
                        p.document.relocate(a);
                    }
                    p.location = s.location.clone().or_else(|| Some(self.at.clone()));
                    self.filled.push(
                        format!("{attr} {}", p.name.as_deref().unwrap_or(""))
                            .trim_end()
                            .to_owned(),
                    );
                }
            }
        }
    }

    /// Principals a policy is attached to, position by position when both list the same number.
    fn attachments(&mut self, plan: &mut Attachments, src: &Attachments) {
        for (p, s, attr) in [
            (&mut plan.roles, &src.roles, "role"),
            (&mut plan.users, &src.users, "user"),
            (&mut plan.groups, &src.groups, "group"),
        ] {
            if p.len() == s.len() {
                for (pv, sv) in p.iter_mut().zip(s) {
                    self.val(pv, sv, attr);
                }
            }
        }
    }

    fn encryption(&mut self, plan: &mut Encryption, src: &Encryption, attr: &str) {
        let replace = match (&*plan, src) {
            (Encryption::Unknown, Encryption::Unknown) => false,
            (Encryption::Unknown, _) => true,
            (Encryption::Kms(p), Encryption::Kms(s)) => better(p, s),
            _ => false,
        };
        if replace {
            *plan = src.clone();
            if let Some(a) = self.account {
                plan.relocate(a);
            }
            self.filled.push(attr.to_owned());
        }
    }
}

fn doc(plan: &mut Val<PolicyDocument>, src: &Val<PolicyDocument>, f: &mut Filler<'_>, attr: &str) {
    f.val(plan, src, attr);
}

fn fill_resource(r: &mut Resource, src: &Resource, account: Option<&str>) {
    let mut f = Filler {
        filled: Vec::new(),
        at: &src.location,
        account,
    };
    match (&mut r.kind, &src.kind) {
        (Kind::Key(p), Kind::Key(s)) => f.opt(&mut p.policy, &s.policy, "policy"),
        (Kind::KeyPolicy(p), Kind::KeyPolicy(s)) => {
            doc(&mut p.policy, &s.policy, &mut f, "policy");
            f.val(&mut p.key, &s.key, "key_id");
        }
        (Kind::Alias(p), Kind::Alias(s)) => {
            f.val(&mut p.target_key, &s.target_key, "target_key_id")
        }
        (Kind::Grant(p), Kind::Grant(s)) => {
            f.val(&mut p.key, &s.key, "key_id");
            f.val(&mut p.grantee, &s.grantee, "grantee_principal");
        }
        (Kind::Role(p), Kind::Role(s)) => {
            f.opt(&mut p.trust_policy, &s.trust_policy, "assume_role_policy");
            f.named(&mut p.inline_policies, &s.inline_policies, "inline_policy");
            f.val(
                &mut p.managed_policy_arns,
                &s.managed_policy_arns,
                "managed_policy_arns",
            );
            if let (Some(pb), Some(sb)) = (
                p.permissions_boundary.as_mut(),
                s.permissions_boundary.as_ref(),
            ) {
                f.val(pb, sb, "permissions_boundary");
            }
        }
        (Kind::User(p), Kind::User(s)) => {
            f.named(&mut p.inline_policies, &s.inline_policies, "inline_policy");
            if let (Some(pb), Some(sb)) = (
                p.permissions_boundary.as_mut(),
                s.permissions_boundary.as_ref(),
            ) {
                f.val(pb, sb, "permissions_boundary");
            }
        }
        (Kind::Group(p), Kind::Group(s)) => {
            f.named(&mut p.inline_policies, &s.inline_policies, "inline_policy")
        }
        (Kind::ManagedPolicy(p), Kind::ManagedPolicy(s)) => {
            doc(&mut p.document, &s.document, &mut f, "policy")
        }
        (Kind::InlinePolicy(p), Kind::InlinePolicy(s)) => {
            doc(&mut p.document, &s.document, &mut f, "policy");
            f.attachments(&mut p.attached, &s.attached);
        }
        (Kind::PolicyAttachment(p), Kind::PolicyAttachment(s)) => {
            f.val(&mut p.policy_arn, &s.policy_arn, "policy_arn");
            f.attachments(&mut p.attached, &s.attached);
        }
        (Kind::OrgPolicy(p), Kind::OrgPolicy(s)) => {
            doc(&mut p.document, &s.document, &mut f, "content")
        }
        (Kind::PolicyDocument(p), Kind::PolicyDocument(s)) => {
            doc(&mut p.document, &s.document, &mut f, "json")
        }
        (Kind::DataStore(p), Kind::DataStore(s)) => {
            f.encryption(&mut p.encryption, &s.encryption, "encryption");
            for (name, enc) in &mut p.secondary {
                if let Some((_, se)) = s.secondary.iter().find(|(n, _)| n == name) {
                    f.encryption(enc, se, name);
                }
            }
        }
        (Kind::StoreEncryption(p), Kind::StoreEncryption(s)) => {
            f.val(&mut p.store, &s.store, "bucket");
            f.encryption(&mut p.encryption, &s.encryption, "encryption");
        }
        _ => {}
    }
    for attribute in f.filled {
        r.from_source.push(SourceFill {
            attribute,
            location: src.location.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{KeyOrigin, KmsKey, Reference};

    fn key(policy: Option<Val<PolicyDocument>>) -> Kind {
        Kind::Key(KmsKey {
            arn: None,
            key_id: None,
            policy,
            key_spec: None,
            key_usage: None,
            origin: KeyOrigin::AwsKms,
            rotation_enabled: None,
            multi_region: false,
            primary_key: None,
            bypass_lockout_check: false,
            enabled: None,
            description: None,
        })
    }

    #[test]
    fn unknown_plan_policy_is_filled_and_marked() {
        let mut loc = Location::file("infra/main.tf");
        loc.line = Some(12);
        let plan_ref = Val::Ref(vec![Reference::new(
            "data.aws_iam_policy_document.k",
            Some("json"),
        )]);
        let mut plan = Parsed {
            resources: vec![Resource::new(
                "aws_kms_key.k",
                "aws_kms_key",
                Location::file("plan.json"),
                key(Some(plan_ref)),
            )],
            ..Parsed::default()
        };
        let source = Parsed {
            resources: vec![Resource::new(
                "aws_kms_key.k",
                "aws_kms_key",
                loc,
                key(Some(Val::Known(PolicyDocument::default()))),
            )],
            ..Parsed::default()
        };
        fill_plan_from_source(&mut plan, &source);
        let r = &plan.resources[0];
        let Kind::Key(k) = &r.kind else { panic!("key") };
        assert_eq!(k.policy, Some(Val::Known(PolicyDocument::default())));
        assert_eq!(r.from_source.len(), 1);
        assert_eq!(
            r.from_source[0].evidence(),
            "(from source infra/main.tf:12)"
        );
    }

    #[test]
    fn known_plan_values_and_absent_policies_stay() {
        let known = Val::Known(PolicyDocument {
            id: Some("plan".into()),
            ..PolicyDocument::default()
        });
        let mut plan = Parsed {
            resources: vec![
                Resource::new(
                    "aws_kms_key.a",
                    "aws_kms_key",
                    Location::file("p"),
                    key(Some(known.clone())),
                ),
                Resource::new(
                    "aws_kms_key.b",
                    "aws_kms_key",
                    Location::file("p"),
                    key(None),
                ),
            ],
            ..Parsed::default()
        };
        let source = Parsed {
            resources: vec![
                Resource::new(
                    "aws_kms_key.a",
                    "aws_kms_key",
                    Location::file("s"),
                    key(Some(Val::Known(PolicyDocument::default()))),
                ),
                Resource::new(
                    "aws_kms_key.b",
                    "aws_kms_key",
                    Location::file("s"),
                    key(Some(Val::Known(PolicyDocument::default()))),
                ),
            ],
            ..Parsed::default()
        };
        fill_plan_from_source(&mut plan, &source);
        assert!(plan.resources.iter().all(|r| r.from_source.is_empty()));
        let Kind::Key(k) = &plan.resources[0].kind else {
            panic!("key")
        };
        assert_eq!(k.policy, Some(known));
    }
}
