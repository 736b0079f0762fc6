//! IAM, Organizations and identity-provider resources, and the account-wide data sources.
//!
//! Principals named by attachments and memberships are kept as written (role, user and group
//! names) or as references when unknown until apply (`aws_iam_role.app.name`); the linker
//! joins them to principals.

use super::attrs::{AttrResult, Attrs};
use super::policy::policy_attr;
use crate::model::{
    Attachments, CallerIdentity, Group, GroupMembership, IdentityProvider, InlinePolicy,
    InstanceProfile, Kind, ManagedPolicy, NamedPolicy, OrgPolicy, OrgPolicyAttachment,
    OrgPolicyType, PolicyAttachment, ProviderKind, Role, User, VStr, Val,
};

/// Maps an IAM-side resource type; `None` for other types.
pub(crate) fn map(type_name: &str, data: bool, a: &Attrs) -> AttrResult<Option<Kind>> {
    if data {
        return Ok(match type_name {
            "aws_caller_identity" => Some(Kind::CallerIdentity(CallerIdentity {
                account_id: a.ident("account_id")?,
            })),
            _ => None,
        });
    }
    Ok(Some(match type_name {
        "aws_iam_role" => Kind::Role(role(a)?),
        "aws_iam_user" => Kind::User(User {
            name: a.ident("name")?,
            arn: a.ident("arn")?,
            path: a.known_string("path")?,
            inline_policies: Vec::new(),
            managed_policy_arns: Val::Known(Vec::new()),
            permissions_boundary: a.string("permissions_boundary")?,
            groups: Vec::new(),
        }),
        "aws_iam_group" => Kind::Group(Group {
            name: a.ident("name")?,
            arn: a.ident("arn")?,
            inline_policies: Vec::new(),
            managed_policy_arns: Val::Known(Vec::new()),
        }),
        "aws_iam_role_policy" => inline(a, "role", Target::Role)?,
        "aws_iam_user_policy" => inline(a, "user", Target::User)?,
        "aws_iam_group_policy" => inline(a, "group", Target::Group)?,
        "aws_iam_policy" => Kind::ManagedPolicy(ManagedPolicy {
            name: a.ident("name")?,
            arn: a.ident("arn")?,
            document: policy_attr(a, "policy")?.unwrap_or(Val::Unknown),
            attached: Attachments::default(),
        }),
        "aws_iam_role_policy_attachment" => attachment(a, "role", Target::Role)?,
        "aws_iam_user_policy_attachment" => attachment(a, "user", Target::User)?,
        "aws_iam_group_policy_attachment" => attachment(a, "group", Target::Group)?,
        "aws_iam_policy_attachment" => {
            let mut attached = Attachments::default();
            for (name, target) in [
                ("roles", Target::Role),
                ("users", Target::User),
                ("groups", Target::Group),
            ] {
                if let Some(v) = a.strings(name)? {
                    add_targets(&mut attached, target, v);
                }
            }
            Kind::PolicyAttachment(PolicyAttachment {
                policy_arn: a.string("policy_arn")?.unwrap_or(Val::Unknown),
                attached,
                boundary: false,
            })
        }
        "aws_iam_group_membership" => Kind::GroupMembership(GroupMembership {
            groups: vec![a.string("group")?.unwrap_or(Val::Unknown)],
            users: a.string_items("users")?,
        }),
        "aws_iam_user_group_membership" => Kind::GroupMembership(GroupMembership {
            groups: a.string_items("groups")?,
            users: vec![a.string("user")?.unwrap_or(Val::Unknown)],
        }),
        "aws_iam_instance_profile" => {
            let mut roles: Vec<VStr> = a.string("role")?.into_iter().collect();
            roles.extend(a.string_items("roles")?);
            Kind::InstanceProfile(InstanceProfile {
                name: a.ident("name")?,
                arn: a.ident("arn")?,
                roles,
            })
        }
        "aws_organizations_policy" => {
            let policy_type = match a.string("type")? {
                None => OrgPolicyType::ServiceControl,
                Some(Val::Known(t)) => match t.as_str() {
                    "SERVICE_CONTROL_POLICY" => OrgPolicyType::ServiceControl,
                    "RESOURCE_CONTROL_POLICY" => OrgPolicyType::ResourceControl,
                    _ => OrgPolicyType::Other(t),
                },
                Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => {
                    OrgPolicyType::Other("(unknown until apply)".to_owned())
                }
            };
            Kind::OrgPolicy(OrgPolicy {
                policy_type,
                document: policy_attr(a, "content")?.unwrap_or(Val::Unknown),
                targets: Vec::new(),
                policy_id: a.ident("id")?,
            })
        }
        "aws_organizations_policy_attachment" => Kind::OrgPolicyAttachment(OrgPolicyAttachment {
            policy: a.string("policy_id")?.unwrap_or(Val::Unknown),
            target: a.string("target_id")?.unwrap_or(Val::Unknown),
        }),
        "aws_iam_openid_connect_provider" => Kind::IdentityProvider(IdentityProvider {
            provider: ProviderKind::Oidc,
            arn: a.ident("arn")?,
            name: a
                .string("url")?
                .map(|u| u.map(|s| s.strip_prefix("https://").map(str::to_owned).unwrap_or(s))),
            client_ids: a.string_items("client_id_list")?,
        }),
        "aws_iam_saml_provider" => Kind::IdentityProvider(IdentityProvider {
            provider: ProviderKind::Saml,
            arn: a.ident("arn")?,
            name: a.ident("name")?,
            client_ids: Vec::new(),
        }),
        _ => return Ok(None),
    }))
}

/// The exclusive attachment types (`aws_iam_*_policy_attachments_exclusive`) name several
/// policies; each becomes its own attachment: (suffix, attachment). A single policy keeps the
/// plain address (empty suffix).
pub(crate) fn exclusive_attachments(
    type_name: &str,
    a: &Attrs,
) -> AttrResult<Option<Vec<(String, Kind)>>> {
    let (name_attr, target) = match type_name {
        "aws_iam_role_policy_attachments_exclusive" => ("role_name", Target::Role),
        "aws_iam_user_policy_attachments_exclusive" => ("user_name", Target::User),
        "aws_iam_group_policy_attachments_exclusive" => ("group_name", Target::Group),
        _ => return Ok(None),
    };
    let principal = a.string(name_attr)?.unwrap_or(Val::Unknown);
    let arns = a.string_items("policy_arns")?;
    let make = |arn: VStr| {
        let mut attached = Attachments::default();
        add_targets(&mut attached, target, Val::Known(vec![principal.clone()]));
        Kind::PolicyAttachment(PolicyAttachment {
            policy_arn: arn,
            attached,
            boundary: false,
        })
    };
    Ok(Some(if arns.len() == 1 {
        arns.into_iter()
            .map(|arn| (String::new(), make(arn)))
            .collect()
    } else {
        arns.into_iter()
            .enumerate()
            .map(|(i, arn)| (format!("/policy_arns/{i}"), make(arn)))
            .collect()
    }))
}

#[derive(Clone, Copy)]
enum Target {
    Role,
    User,
    Group,
}

fn add_targets(attached: &mut Attachments, target: Target, v: Val<Vec<VStr>>) {
    let list = match target {
        Target::Role => &mut attached.roles,
        Target::User => &mut attached.users,
        Target::Group => &mut attached.groups,
    };
    match v {
        Val::Known(items) => list.extend(items),
        Val::Unknown => attached.unknown = true,
        Val::Ref(r) => {
            attached.unknown = true;
            list.push(Val::Ref(r));
        }
        Val::Partial(p) => {
            attached.unknown = true;
            list.push(Val::Partial(p));
        }
    }
}

fn inline(a: &Attrs, principal: &str, target: Target) -> AttrResult<Kind> {
    let mut attached = Attachments::default();
    let p = a.string(principal)?.unwrap_or(Val::Unknown);
    add_targets(&mut attached, target, Val::Known(vec![p]));
    Ok(Kind::InlinePolicy(InlinePolicy {
        name: a.ident("name")?,
        document: policy_attr(a, "policy")?.unwrap_or(Val::Unknown),
        attached,
    }))
}

fn attachment(a: &Attrs, principal: &str, target: Target) -> AttrResult<Kind> {
    let mut attached = Attachments::default();
    let p = a.string(principal)?.unwrap_or(Val::Unknown);
    add_targets(&mut attached, target, Val::Known(vec![p]));
    Ok(Kind::PolicyAttachment(PolicyAttachment {
        policy_arn: a.string("policy_arn")?.unwrap_or(Val::Unknown),
        attached,
        boundary: false,
    }))
}

fn role(a: &Attrs) -> AttrResult<Role> {
    let mut inline_policies = Vec::new();
    let blocks = a.blocks("inline_policy")?;
    for b in &blocks.items {
        // `inline_policy {}` (no policy) is how a configuration says "no inline policies".
        let Some(document) = policy_attr(b, "policy")? else {
            continue;
        };
        inline_policies.push(NamedPolicy {
            name: b.known_string("name")?,
            document,
            location: Some(crate::model::Location {
                file: a.scope.display.to_owned(),
                line: None,
                column: None,
                pointer: Some(b.ptr_of("policy")),
            }),
        });
    }
    if blocks.unknown && !blocks.not_configured && blocks.items.is_empty() {
        inline_policies.push(NamedPolicy {
            name: None,
            document: Val::Unknown,
            location: None,
        });
    }
    let managed_policy_arns = a
        .strings("managed_policy_arns")?
        .unwrap_or(Val::Known(Vec::new()));
    // A role with `name_prefix` (or neither name) gets a generated name: known in part.
    let name = match a.ident("name")? {
        n @ Some(Val::Known(_) | Val::Partial(_)) => n,
        n => {
            let prefix = a.ident("name_prefix")?;
            crate::model::Partial::generated_name(prefix.as_ref(), n.is_none() && prefix.is_some())
                .or(n)
        }
    };
    Ok(Role {
        name,
        arn: a.ident("arn")?,
        path: a.known_string("path")?,
        trust_policy: policy_attr(a, "assume_role_policy")?,
        inline_policies,
        managed_policy_arns,
        permissions_boundary: a.string("permissions_boundary")?,
    })
}
