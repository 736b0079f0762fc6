//! Terraform resource attributes to the resource model: one function from a type name and an
//! evaluated attribute map to a [`Kind`].
//!
//! The input is deliberately format-neutral: an object [`Value`] whose leaves are known JSON,
//! unknown, or references. HCL source produces it by evaluating a block; a plan's `after`
//! object with `after_unknown` and the configuration's `references` converts to the same shape,
//! so the Terraform plan parser can share this mapping (kms-semantics §8.1 and §8.3). Nested
//! blocks may be lists of objects (native syntax, plan JSON) or single objects (`.tf.json`).
//!
//! Attributes the configuration does not set are absent from the map; an absent optional
//! attribute means the provider default, never "unknown".

pub(crate) mod stores;

use super::policy::{self, Doc};
use super::syntax::Files;
use super::value::{unknown_val, Value};
use crate::model::{
    Attachments, CallerIdentity, GrantConstraint, Group, GroupMembership, IdentityProvider,
    InlinePolicy, InstanceProfile, KeyOrigin, KeyPolicy, Kind, KmsAlias, KmsGrant, KmsKey,
    Location, ManagedPolicy, NamedPolicy, OrgPolicy, OrgPolicyAttachment, OrgPolicyType,
    PolicyAttachment, PolicyDocument, PolicyDocumentSource, ProviderKind, Role, User, VStr, Val,
};
use std::collections::BTreeMap;

/// What the mapping needs besides the attributes.
pub(crate) struct MapCtx<'a> {
    /// Positions inside values (statement blocks) resolve through this table.
    pub files: &'a Files,
    /// Where the resource is (statements without their own position point here).
    pub location: &'a Location,
    /// The resource's own address: references to itself are plain unknowns.
    pub address: &'a str,
}

/// The mapped kind and anything worth a note.
pub(crate) struct Mapped {
    pub kind: Kind,
    pub notes: Vec<String>,
}

/// Maps one resource (`data` for data sources) to its kind.
pub(crate) fn map_resource(data: bool, type_name: &str, attrs: &Value, ctx: &MapCtx<'_>) -> Mapped {
    let mut a = Attrs {
        v: attrs,
        ctx,
        notes: Vec::new(),
    };
    let kind = if data {
        match type_name {
            "aws_iam_policy_document" => Kind::PolicyDocument(PolicyDocumentSource {
                document: a.policy("json").unwrap_or(Val::Unknown),
            }),
            "aws_caller_identity" => Kind::CallerIdentity(CallerIdentity {
                account_id: Some(a.own("account_id")),
            }),
            _ => Kind::Other,
        }
    } else {
        map_managed(type_name, &mut a)
    };
    Mapped {
        kind,
        notes: a.notes,
    }
}

fn map_managed(type_name: &str, a: &mut Attrs<'_>) -> Kind {
    match type_name {
        "aws_kms_key"
        | "aws_kms_external_key"
        | "aws_kms_replica_key"
        | "aws_kms_replica_external_key" => {
            let replica = type_name.contains("replica");
            let external = type_name.contains("external");
            let origin = if a.present("custom_key_store_id") || a.present("xks_key_id") {
                KeyOrigin::CustomKeyStore
            } else if external {
                KeyOrigin::External
            } else {
                KeyOrigin::AwsKms
            };
            // Provider defaults, as a plan shows them: a replica's spec and usage follow its
            // primary (not known here); only `aws_kms_key` has rotation.
            let default = |v: &str| (!replica).then(|| v.to_owned());
            Kind::Key(KmsKey {
                arn: Some(a.own("arn")),
                key_id: Some(a.own("key_id")),
                policy: a.policy("policy"),
                key_spec: a
                    .text("customer_master_key_spec")
                    .or_else(|| a.text("key_spec"))
                    .or_else(|| default("SYMMETRIC_DEFAULT")),
                key_usage: a.text("key_usage").or_else(|| default("ENCRYPT_DECRYPT")),
                origin,
                rotation_enabled: a
                    .boolean("enable_key_rotation")
                    .or_else(|| (type_name == "aws_kms_key").then_some(Val::Known(false))),
                multi_region: replica || a.boolean("multi_region") == Some(Val::Known(true)),
                primary_key: a.s("primary_key_arn"),
                bypass_lockout_check: a.boolean("bypass_policy_lockout_safety_check")
                    == Some(Val::Known(true)),
                enabled: a
                    .boolean("is_enabled")
                    .or_else(|| a.boolean("enabled"))
                    .or(Some(Val::Known(true))),
                description: a.text("description"),
            })
        }
        "aws_kms_key_policy" => Kind::KeyPolicy(KeyPolicy {
            key: a.required("key_id"),
            policy: a.required_policy("policy"),
        }),
        "aws_kms_alias" => Kind::Alias(KmsAlias {
            name: a.s("name").unwrap_or(Val::Unknown),
            target_key: a.required("target_key_id"),
            arn: Some(a.own("arn")),
        }),
        "aws_kms_grant" => Kind::Grant(KmsGrant {
            name: a.s("name"),
            key: a.required("key_id"),
            grantee: a.required("grantee_principal"),
            operations: match a.list("operations") {
                Val::Known(items) => match items
                    .into_iter()
                    .map(|x| x.known().cloned())
                    .collect::<Option<Vec<_>>>()
                {
                    Some(mut ops) => {
                        ops.sort();
                        Val::Known(ops)
                    }
                    None => Val::Unknown,
                },
                Val::Unknown | Val::Partial(_) => Val::Unknown,
                Val::Ref(r) => Val::Ref(r),
            },
            retiring_principal: a.s("retiring_principal"),
            constraints: a
                .blocks("constraints")
                .into_iter()
                .map(|c| {
                    if c.is_unknown() {
                        // Constraints from a dynamic block not known before apply: constrained.
                        return GrantConstraint {
                            equals: None,
                            subset: Some(BTreeMap::new()),
                        };
                    }
                    GrantConstraint {
                        equals: string_map(c.get("encryption_context_equals")),
                        subset: string_map(c.get("encryption_context_subset")),
                    }
                })
                .collect(),
        }),
        "aws_iam_role" => {
            let inline = a.named_policies("inline_policy");
            Kind::Role(Role {
                name: Some(match a.s("name") {
                    Some(n @ (Val::Known(_) | Val::Partial(_))) => n,
                    n => crate::model::Partial::generated_name(a.s("name_prefix").as_ref(), false)
                        .or(n)
                        .unwrap_or(Val::Unknown),
                }),
                arn: Some(a.own("arn")),
                path: Some(a.text("path").unwrap_or_else(|| "/".into())),
                trust_policy: a.policy("assume_role_policy"),
                inline_policies: inline,
                managed_policy_arns: a.list("managed_policy_arns"),
                permissions_boundary: a.s("permissions_boundary"),
            })
        }
        "aws_iam_user" => Kind::User(User {
            name: Some(a.s("name").unwrap_or(Val::Unknown)),
            arn: Some(a.own("arn")),
            path: Some(a.text("path").unwrap_or_else(|| "/".into())),
            inline_policies: Vec::new(),
            managed_policy_arns: Val::Known(Vec::new()),
            permissions_boundary: a.s("permissions_boundary"),
            groups: Vec::new(),
        }),
        "aws_iam_group" => Kind::Group(Group {
            name: Some(a.s("name").unwrap_or(Val::Unknown)),
            arn: Some(a.own("arn")),
            inline_policies: Vec::new(),
            managed_policy_arns: Val::Known(Vec::new()),
        }),
        "aws_iam_policy" => Kind::ManagedPolicy(ManagedPolicy {
            name: Some(a.s("name").unwrap_or(Val::Unknown)),
            arn: Some(a.own("arn")),
            document: a.required_policy("policy"),
            attached: Attachments::default(),
        }),
        "aws_iam_role_policy" | "aws_iam_user_policy" | "aws_iam_group_policy" => {
            let who = principal_attr(type_name);
            Kind::InlinePolicy(InlinePolicy {
                name: a.s("name"),
                document: a.required_policy("policy"),
                attached: a.single_attachment(type_name, who),
            })
        }
        "aws_iam_role_policy_attachment"
        | "aws_iam_user_policy_attachment"
        | "aws_iam_group_policy_attachment" => {
            let who = principal_attr(type_name);
            Kind::PolicyAttachment(PolicyAttachment {
                policy_arn: a.required("policy_arn"),
                attached: a.single_attachment(type_name, who),
                boundary: false,
            })
        }
        "aws_iam_policy_attachment" => {
            let mut attached = Attachments::default();
            for (field, name) in [("roles", 0), ("users", 1), ("groups", 2)] {
                let (items, unknown) = a.items(field);
                attached.unknown |= unknown;
                match name {
                    0 => attached.roles = items,
                    1 => attached.users = items,
                    _ => attached.groups = items,
                }
            }
            Kind::PolicyAttachment(PolicyAttachment {
                policy_arn: a.required("policy_arn"),
                attached,
                boundary: false,
            })
        }
        "aws_iam_group_membership" => Kind::GroupMembership(GroupMembership {
            groups: a.s("group").into_iter().collect(),
            users: a.items("users").0,
        }),
        "aws_iam_user_group_membership" => Kind::GroupMembership(GroupMembership {
            groups: a.items("groups").0,
            users: a.s("user").into_iter().collect(),
        }),
        "aws_iam_instance_profile" => Kind::InstanceProfile(InstanceProfile {
            name: Some(a.s("name").unwrap_or(Val::Unknown)),
            arn: Some(a.own("arn")),
            roles: a.s("role").into_iter().collect(),
        }),
        "aws_organizations_policy" => {
            let ty = a
                .text("type")
                .unwrap_or_else(|| "SERVICE_CONTROL_POLICY".into());
            let policy_type = match ty.as_str() {
                "SERVICE_CONTROL_POLICY" => OrgPolicyType::ServiceControl,
                "RESOURCE_CONTROL_POLICY" => OrgPolicyType::ResourceControl,
                other => OrgPolicyType::Other(other.to_owned()),
            };
            let document = match policy_type {
                OrgPolicyType::Other(_) => Val::Known(PolicyDocument::default()),
                _ => a.required_policy("content"),
            };
            Kind::OrgPolicy(OrgPolicy {
                policy_type,
                document,
                targets: Vec::new(),
                policy_id: Some(a.own("id")),
            })
        }
        "aws_organizations_policy_attachment" => Kind::OrgPolicyAttachment(OrgPolicyAttachment {
            policy: a.required("policy_id"),
            target: a.required("target_id"),
        }),
        "aws_iam_openid_connect_provider" => Kind::IdentityProvider(IdentityProvider {
            provider: ProviderKind::Oidc,
            arn: Some(a.own("arn")),
            name: a
                .s("url")
                .map(|u| u.map(|s| s.trim_start_matches("https://").to_owned())),
            client_ids: a.items("client_id_list").0,
        }),
        "aws_iam_saml_provider" => Kind::IdentityProvider(IdentityProvider {
            provider: ProviderKind::Saml,
            arn: Some(a.own("arn")),
            name: a.s("name"),
            client_ids: Vec::new(),
        }),
        other => stores::map_store(other, a).unwrap_or(Kind::Other),
    }
}

fn principal_attr(type_name: &str) -> &'static str {
    if type_name.contains("_role_") {
        "role"
    } else if type_name.contains("_user_") {
        "user"
    } else {
        "group"
    }
}

fn string_map(v: Option<&Value>) -> Option<BTreeMap<String, String>> {
    match v {
        None | Some(Value::Null) => None,
        Some(Value::Object(o)) => Some(
            o.fields
                .iter()
                .filter_map(|(k, x)| x.to_text().ok().flatten().map(|t| (k.clone(), t)))
                .collect(),
        ),
        // Unknown constraints still constrain the grant.
        Some(_) => Some(BTreeMap::new()),
    }
}

/// Attribute access with the conventions of the model.
pub(crate) struct Attrs<'a> {
    pub v: &'a Value,
    pub ctx: &'a MapCtx<'a>,
    pub notes: Vec<String>,
}

impl<'a> Attrs<'a> {
    /// The attribute when set (not absent, not null).
    pub(crate) fn get(&self, name: &str) -> Option<&'a Value> {
        self.v.get(name).filter(|v| !matches!(v, Value::Null))
    }

    /// The same accessors over a nested block.
    pub(crate) fn nested(&self, v: &'a Value) -> Attrs<'a> {
        Attrs {
            v,
            ctx: self.ctx,
            notes: Vec::new(),
        }
    }

    pub(crate) fn present(&self, name: &str) -> bool {
        self.get(name)
            .is_some_and(|v| !matches!(v, Value::String(s) if s.is_empty()))
    }

    /// A string attribute (references to this resource itself are plain unknowns).
    pub(crate) fn s(&self, name: &str) -> Option<VStr> {
        let v = self.get(name)?.to_vstr()?;
        Some(self.strip_self(v))
    }

    fn strip_self(&self, v: VStr) -> VStr {
        match v {
            Val::Ref(refs) => {
                let others: Vec<_> = refs
                    .into_iter()
                    .filter(|r| r.target != self.ctx.address)
                    .collect();
                unknown_val(others)
            }
            other => other,
        }
    }

    /// An attribute computed by the provider: unknown when not known.
    pub(crate) fn own(&self, name: &str) -> VStr {
        self.s(name).unwrap_or(Val::Unknown)
    }

    /// A required attribute: unknown when missing (the configuration is incomplete).
    pub(crate) fn required(&mut self, name: &str) -> VStr {
        match self.s(name) {
            Some(v) => v,
            None => {
                self.notes.push(format!(
                    "required argument `{name}` is not set; keyreach treats it as unknown"
                ));
                Val::Unknown
            }
        }
    }

    /// A known string attribute.
    pub(crate) fn text(&self, name: &str) -> Option<String> {
        self.get(name).and_then(|v| v.to_text().ok().flatten())
    }

    /// A bool attribute.
    pub(crate) fn boolean(&self, name: &str) -> Option<Val<bool>> {
        let v = self.get(name)?;
        Some(match v.to_bool() {
            Ok(Some(b)) => Val::Known(b),
            Ok(None) => unknown_val(v.refs()),
            Err(_) => Val::Unknown,
        })
    }

    /// A list of strings; absent is empty.
    pub(crate) fn list(&self, name: &str) -> Val<Vec<VStr>> {
        match self.get(name) {
            None => Val::Known(Vec::new()),
            Some(Value::List(items)) => Val::Known(
                items
                    .iter()
                    .map(|x| x.to_vstr().map_or(Val::Unknown, |v| self.strip_self(v)))
                    .collect(),
            ),
            Some(v) if v.is_unknown() => unknown_val(v.refs()),
            Some(v) => Val::Known(v.to_vstr().into_iter().collect()),
        }
    }

    /// A list of strings as items, and whether the list itself is unknown.
    pub(crate) fn items(&self, name: &str) -> (Vec<VStr>, bool) {
        match self.list(name) {
            Val::Known(items) => (items, false),
            Val::Unknown => (vec![Val::Unknown], true),
            Val::Ref(r) => (vec![Val::Ref(r)], true),
            Val::Partial(p) => (vec![Val::Partial(p)], true),
        }
    }

    /// Nested blocks (a list of objects, or one object in JSON syntax).
    pub(crate) fn blocks(&self, name: &str) -> Vec<&'a Value> {
        policy::items(self.get(name))
    }

    /// A policy attribute: `None` when not set.
    pub(crate) fn policy(&mut self, name: &str) -> Option<Val<PolicyDocument>> {
        let v = self.get(name)?;
        self.doc_of(v, name)
    }

    fn doc_of(&mut self, v: &Value, name: &str) -> Option<Val<PolicyDocument>> {
        let (doc, warnings) = policy::document(v, self.ctx.files, self.ctx.location);
        for w in warnings {
            self.notes.push(format!("{name}: {w}"));
        }
        match doc {
            Doc::Absent => None,
            Doc::Parsed(d) => Some(match d {
                Val::Ref(refs) => unknown_val(
                    refs.into_iter()
                        .filter(|r| r.target != self.ctx.address)
                        .collect(),
                ),
                other => other,
            }),
            Doc::Invalid(m) => {
                self.notes.push(format!(
                    "{name}: {m}; keyreach treats the policy as unknown"
                ));
                Some(Val::Unknown)
            }
        }
    }

    /// A required policy attribute: unknown when missing.
    pub(crate) fn required_policy(&mut self, name: &str) -> Val<PolicyDocument> {
        match self.policy(name) {
            Some(d) => d,
            None => Val::Unknown,
        }
    }

    /// `inline_policy { name, policy }` blocks.
    fn named_policies(&mut self, name: &str) -> Vec<NamedPolicy> {
        let blocks: Vec<Value> = self.blocks(name).into_iter().cloned().collect();
        let mut out = Vec::new();
        for b in &blocks {
            if b.is_unknown() {
                out.push(NamedPolicy {
                    name: None,
                    document: unknown_val(b.refs()),
                    location: None,
                });
                continue;
            }
            let location = match b {
                Value::Object(o) => o.at.map(|p| self.ctx.files.location(p)),
                _ => None,
            };
            let Some(doc) = b.get("policy").filter(|v| !matches!(v, Value::Null)) else {
                continue;
            };
            let Some(document) = self.doc_of(doc, name) else {
                continue;
            };
            out.push(NamedPolicy {
                name: b.get("name").and_then(|n| n.to_text().ok().flatten()),
                document,
                location,
            });
        }
        out
    }

    fn single_attachment(&mut self, type_name: &str, who: &str) -> Attachments {
        let _ = type_name;
        let target = self.required(who);
        let mut att = Attachments::default();
        match who {
            "role" => att.roles.push(target),
            "user" => att.users.push(target),
            _ => att.groups.push(target),
        }
        att
    }
}

/// Tags from an evaluated `tags_all`/`tags` value: known when every key and value is.
pub(crate) fn tags_of(v: Option<&Value>) -> crate::model::Tags {
    match v {
        None | Some(Value::Null) => Val::Known(BTreeMap::new()),
        Some(Value::Object(o)) => {
            let mut out = BTreeMap::new();
            for (k, x) in o.fields.iter() {
                match x {
                    Value::Null => {}
                    other => match other.to_text() {
                        Ok(Some(t)) => {
                            out.insert(k.clone(), t);
                        }
                        _ => return unknown_val(other.refs()),
                    },
                }
            }
            Val::Known(out)
        }
        Some(other) => unknown_val(other.refs()),
    }
}
