//! Resources -> model: KMS keys and aliases, IAM principals and policies, Organizations
//! policies; data stores are in [`super::stores`]. Every other type is `Kind::Other`, kept so
//! references to it resolve.
//!
//! Own attributes (`Role.arn`, `Key.key_id`, …) are known when the template decides them and
//! `Val::Unknown` otherwise; values that point at other resources keep their references.

use super::resolve::Ctx;
use super::rval::{unknown_val, RVal};
use super::stores;
use crate::error::pointer_token;
use crate::model::{
    Attachments, Group, GroupMembership, IdentityProvider, InlinePolicy, InstanceProfile,
    KeyOrigin, Kind, KmsAlias, KmsKey, Location, ManagedPolicy, NamedPolicy, OrgPolicy,
    OrgPolicyType, PolicyDocument, ProviderKind, Role, User, VStr, Val,
};
use std::rc::Rc;

/// One resource being mapped.
pub(crate) struct ResCtx<'c, 'a> {
    pub ctx: &'c Ctx<'a>,
    pub inst: usize,
    pub logical: &'c str,
    pub props: Rc<RVal>,
    /// `/Resources/<LogicalId>/Properties`.
    pub base: String,
}

impl<'c, 'a> ResCtx<'c, 'a> {
    /// Resolves the resource's properties.
    pub(crate) fn new(ctx: &'c Ctx<'a>, inst: usize, logical: &'c str) -> Self {
        let mut props = ctx.props(inst, logical);
        if matches!(*props, RVal::Either(_)) {
            props = Rc::new((*props).clone().spread_either());
        }
        Self {
            ctx,
            inst,
            logical,
            props,
            base: format!("/Resources/{}/Properties", pointer_token(logical)),
        }
    }

    /// True when the whole `Properties` is not known (every property then reads as unknown).
    pub(crate) fn opaque(&self) -> bool {
        !matches!(*self.props, RVal::Map(_))
    }

    /// A property; every property of properties that are not known is unknown.
    pub(crate) fn get(&self, key: &str) -> Option<&RVal> {
        static UNKNOWN: RVal = RVal::Unknown(Vec::new());
        if self.opaque() {
            return Some(&UNKNOWN);
        }
        self.props.get(key)
    }

    /// A nested property.
    pub(crate) fn path(&self, keys: &[&str]) -> Option<&RVal> {
        let (first, rest) = keys.split_first()?;
        let mut v = self.get(first)?;
        for k in rest {
            v = v.get(k)?;
        }
        Some(v)
    }

    /// A string property.
    pub(crate) fn vstr(&self, key: &str) -> Option<VStr> {
        self.get(key).and_then(RVal::vstr)
    }

    /// A known string property.
    pub(crate) fn known(&self, key: &str) -> Option<String> {
        self.get(key).and_then(RVal::as_str).map(str::to_owned)
    }

    /// A boolean property.
    pub(crate) fn flag(&self, key: &str) -> Option<Val<bool>> {
        self.get(key).and_then(RVal::bool_val)
    }

    /// A list of strings; an unknown list gives one unknown item.
    pub(crate) fn list(&self, key: &str) -> Vec<VStr> {
        match self.get(key) {
            None => Vec::new(),
            Some(v) => match v.vstr_list() {
                Val::Known(items) => items,
                other => vec![other.map(|_| String::new())],
            },
        }
    }

    /// A policy document property.
    pub(crate) fn doc(&self, key: &str) -> Option<Val<PolicyDocument>> {
        let v = self.get(key)?;
        Some(self.ctx.policy(
            self.inst,
            v,
            &format!("{}/{}", self.base, pointer_token(key)),
        ))
    }

    /// The resource's own attribute: known when the template decides it, else unknown.
    /// A resource's physical name: the name property when the template gives one (known or
    /// known in part), else the name CloudFormation generates, `<stack>-<LogicalId>-<suffix>`
    /// (cut short when too long), as a partial value: never equal to a name of another shape.
    pub(crate) fn physical_name(&self, prop: &str) -> VStr {
        match self.vstr(prop) {
            Some(v @ Val::Partial(_)) => v,
            Some(_) => self.own(None),
            None => {
                let head: String = self.logical.chars().take(12).collect();
                crate::model::Partial::build([
                    crate::model::Part::Hole(crate::model::Hole::generated("${AWS::StackName}")),
                    crate::model::Part::Lit(format!("-{head}")),
                    crate::model::Part::Hole(crate::model::Hole::generated("(generated)")),
                ])
            }
        }
    }

    pub(crate) fn own(&self, attr: Option<&str>) -> VStr {
        match self.ctx.attr(self.inst, self.logical, attr) {
            RVal::Str(s) => Val::Known(s),
            _ => Val::Unknown,
        }
    }

    /// The location of a pointer below the resource's properties.
    pub(crate) fn location(&self, sub: &str) -> Location {
        let t = self.ctx.template(self.inst);
        let ptr = format!("{}{sub}", self.base);
        Location {
            file: t.display.clone(),
            line: t.line(&ptr),
            column: None,
            pointer: Some(t.source_pointer(&ptr)),
        }
    }

    fn inline_policies(&self) -> Vec<NamedPolicy> {
        let Some(v) = self.get("Policies") else {
            return Vec::new();
        };
        match v {
            RVal::List(items) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let sub = format!("/Policies/{i}/PolicyDocument");
                    let doc = project(item, "PolicyDocument");
                    NamedPolicy {
                        name: project(item, "PolicyName").scalar_str(),
                        document: self
                            .ctx
                            .policy(self.inst, &doc, &format!("{}{sub}", self.base)),
                        location: Some(self.location(&sub)),
                    }
                })
                .collect(),
            other => vec![NamedPolicy {
                name: None,
                document: unknown_val(other.refs()),
                location: Some(self.location("/Policies")),
            }],
        }
    }

    fn managed_arns(&self) -> Val<Vec<VStr>> {
        self.get("ManagedPolicyArns")
            .map_or(Val::Known(Vec::new()), RVal::vstr_list)
    }

    fn attachments(&self) -> Attachments {
        let mut a = Attachments::default();
        for (key, out) in [
            ("Roles", &mut a.roles),
            ("Users", &mut a.users),
            ("Groups", &mut a.groups),
        ] {
            if let Some(v) = self.get(key) {
                match v.vstr_list() {
                    Val::Known(items) => *out = items,
                    Val::Unknown | Val::Ref(_) | Val::Partial(_) => {
                        a.unknown = true;
                        *out = vec![unknown_val(v.refs())];
                    }
                }
            }
        }
        a
    }
}

/// A member of a (possibly undecided) map value.
pub(crate) fn project(v: &RVal, key: &str) -> RVal {
    match v {
        RVal::Map(m) => m.get(key).cloned().unwrap_or(RVal::NoValue),
        RVal::Either(e) => RVal::either(&e.cond, project(&e.then, key), project(&e.other, key)),
        RVal::Unknown(_) | RVal::Partial(_) => v.to_unknown(),
        _ => RVal::NoValue,
    }
}

/// Maps one resource of a known type; `Kind::Other` for every type keyreach does not model.
pub(crate) fn kind(rc: &ResCtx, ty: &str) -> Kind {
    match ty {
        "AWS::KMS::Key" | "AWS::KMS::ReplicaKey" => {
            Kind::Key(key(rc, ty == "AWS::KMS::ReplicaKey"))
        }
        "AWS::KMS::Alias" => {
            let name = rc.vstr("AliasName").unwrap_or(Val::Unknown);
            let arn = match (&name, rc.ctx.region(), rc.ctx.account()) {
                (Val::Known(n), Some(r), Some(a)) => {
                    Val::Known(format!("arn:{}:kms:{r}:{a}:{n}", rc.ctx.partition()))
                }
                _ => Val::Unknown,
            };
            Kind::Alias(KmsAlias {
                name,
                target_key: rc.vstr("TargetKeyId").unwrap_or(Val::Unknown),
                arn: Some(arn),
            })
        }
        "AWS::IAM::Role" => Kind::Role(Role {
            name: Some(rc.physical_name("RoleName")),
            arn: Some(rc.own(Some("Arn"))),
            path: rc.known("Path"),
            trust_policy: rc.doc("AssumeRolePolicyDocument"),
            inline_policies: rc.inline_policies(),
            managed_policy_arns: rc.managed_arns(),
            permissions_boundary: rc.vstr("PermissionsBoundary"),
        }),
        "AWS::IAM::User" => Kind::User(User {
            name: Some(rc.physical_name("UserName")),
            arn: Some(rc.own(Some("Arn"))),
            path: rc.known("Path"),
            inline_policies: rc.inline_policies(),
            managed_policy_arns: rc.managed_arns(),
            permissions_boundary: rc.vstr("PermissionsBoundary"),
            groups: rc.list("Groups"),
        }),
        "AWS::IAM::Group" => Kind::Group(Group {
            name: Some(rc.own(None)),
            arn: Some(rc.own(Some("Arn"))),
            inline_policies: rc.inline_policies(),
            managed_policy_arns: rc.managed_arns(),
        }),
        "AWS::IAM::ManagedPolicy" => Kind::ManagedPolicy(ManagedPolicy {
            name: rc.vstr("ManagedPolicyName").or(Some(Val::Unknown)),
            arn: Some(rc.own(None)),
            document: rc.doc("PolicyDocument").unwrap_or(Val::Unknown),
            attached: rc.attachments(),
        }),
        "AWS::IAM::Policy" => Kind::InlinePolicy(InlinePolicy {
            name: rc.vstr("PolicyName"),
            document: rc.doc("PolicyDocument").unwrap_or(Val::Unknown),
            attached: rc.attachments(),
        }),
        "AWS::IAM::RolePolicy" | "AWS::IAM::UserPolicy" | "AWS::IAM::GroupPolicy" => {
            let mut attached = Attachments::default();
            let (key, out) = match ty {
                "AWS::IAM::RolePolicy" => ("RoleName", &mut attached.roles),
                "AWS::IAM::UserPolicy" => ("UserName", &mut attached.users),
                _ => ("GroupName", &mut attached.groups),
            };
            out.push(rc.vstr(key).unwrap_or(Val::Unknown));
            Kind::InlinePolicy(InlinePolicy {
                name: rc.vstr("PolicyName"),
                document: rc.doc("PolicyDocument").unwrap_or(Val::Unknown),
                attached,
            })
        }
        "AWS::IAM::UserToGroupAddition" => Kind::GroupMembership(GroupMembership {
            groups: vec![rc.vstr("GroupName").unwrap_or(Val::Unknown)],
            users: rc.list("Users"),
        }),
        "AWS::IAM::InstanceProfile" => Kind::InstanceProfile(InstanceProfile {
            name: Some(rc.own(None)),
            arn: Some(rc.own(Some("Arn"))),
            roles: rc.list("Roles"),
        }),
        "AWS::IAM::OIDCProvider" => Kind::IdentityProvider(IdentityProvider {
            provider: ProviderKind::Oidc,
            arn: Some(rc.own(None)),
            name: rc
                .vstr("Url")
                .map(|v| v.map(|u| u.trim_start_matches("https://").to_owned())),
            client_ids: rc.list("ClientIdList"),
        }),
        "AWS::IAM::SAMLProvider" => Kind::IdentityProvider(IdentityProvider {
            provider: ProviderKind::Saml,
            arn: Some(rc.own(None)),
            name: rc.vstr("Name"),
            client_ids: Vec::new(),
        }),
        "AWS::Organizations::Policy" => {
            let policy_type = match rc.known("Type").as_deref() {
                Some("SERVICE_CONTROL_POLICY") => OrgPolicyType::ServiceControl,
                Some("RESOURCE_CONTROL_POLICY") => OrgPolicyType::ResourceControl,
                Some(other) => OrgPolicyType::Other(other.to_owned()),
                None => OrgPolicyType::Other("unknown".to_owned()),
            };
            Kind::OrgPolicy(OrgPolicy {
                policy_type,
                document: rc.doc("Content").unwrap_or(Val::Unknown),
                targets: rc.list("TargetIds"),
                policy_id: Some(Val::Unknown),
            })
        }
        _ => match stores::store(rc, ty) {
            Some(s) => Kind::DataStore(s),
            None => Kind::Other,
        },
    }
}

fn key(rc: &ResCtx, replica: bool) -> KmsKey {
    let origin = match rc.known("Origin").as_deref() {
        Some("EXTERNAL") => KeyOrigin::External,
        Some("AWS_CLOUDHSM" | "EXTERNAL_KEY_STORE") => KeyOrigin::CustomKeyStore,
        _ => KeyOrigin::AwsKms,
    };
    let known_true = |k: &str| matches!(rc.flag(k), Some(Val::Known(true)));
    // A key policy set in only one branch of an undecided Fn::If: the other branch is the
    // default key policy (the account, `kms:*`), kept as conditional statements too.
    let policy = match rc.get("KeyPolicy") {
        Some(v @ RVal::Either(_)) => Some(rc.ctx.policy(
            rc.inst,
            &with_default_policy(v.clone(), &rc.ctx.account_root()),
            &format!("{}/KeyPolicy", rc.base),
        )),
        _ => rc.doc("KeyPolicy"),
    };
    KmsKey {
        arn: Some(Val::Unknown),
        key_id: Some(Val::Unknown),
        policy,
        key_spec: rc.known("KeySpec"),
        key_usage: rc.known("KeyUsage"),
        origin,
        rotation_enabled: rc.flag("EnableKeyRotation"),
        multi_region: replica || known_true("MultiRegion"),
        primary_key: if replica {
            rc.vstr("PrimaryKeyArn")
        } else {
            None
        },
        bypass_lockout_check: known_true("BypassPolicyLockoutSafetyCheck"),
        enabled: rc.flag("Enabled"),
        description: rc.known("Description"),
    }
}

/// Replaces the branches of an undecided `Fn::If` that set no key policy with the default key
/// policy.
fn with_default_policy(v: RVal, root: &RVal) -> RVal {
    match v {
        RVal::Either(e) => {
            let e = *e;
            RVal::either(
                &e.cond,
                with_default_policy(e.then, root),
                with_default_policy(e.other, root),
            )
        }
        RVal::NoValue | RVal::Null => {
            let mut st = std::collections::BTreeMap::new();
            st.insert("Sid".to_owned(), RVal::Str("DefaultKeyPolicy".to_owned()));
            st.insert("Effect".to_owned(), RVal::Str("Allow".to_owned()));
            let mut principal = std::collections::BTreeMap::new();
            principal.insert("AWS".to_owned(), root.clone());
            st.insert("Principal".to_owned(), RVal::Map(principal));
            st.insert("Action".to_owned(), RVal::Str("kms:*".to_owned()));
            st.insert("Resource".to_owned(), RVal::Str("*".to_owned()));
            let mut doc = std::collections::BTreeMap::new();
            doc.insert("Statement".to_owned(), RVal::List(vec![RVal::Map(st)]));
            RVal::Map(doc)
        }
        other => other,
    }
}
