//! KMS resources: keys (including replica and external keys), key policies, aliases, grants.
//!
//! A key whose `policy` the configuration does not set has the default key policy (root
//! account, `kms:*`), even though the plan marks the computed `policy` unknown: that is
//! `policy: None`. A policy set by an expression unknown until apply is `Some(Val::Ref)` (or
//! `Some(Val::Unknown)`).

use super::attrs::{AttrResult, Attrs};
use super::policy::policy_attr;
use crate::model::{GrantConstraint, KeyOrigin, KeyPolicy, Kind, KmsAlias, KmsGrant, KmsKey, Val};

/// Maps a KMS resource type; `None` for other types.
pub(crate) fn map(type_name: &str, a: &Attrs) -> AttrResult<Option<Kind>> {
    Ok(Some(match type_name {
        "aws_kms_key" => Kind::Key(key(a, KeyOrigin::AwsKms, false)?),
        "aws_kms_replica_key" => Kind::Key(key(a, KeyOrigin::AwsKms, true)?),
        "aws_kms_external_key" => Kind::Key(key(a, KeyOrigin::External, false)?),
        "aws_kms_replica_external_key" => Kind::Key(key(a, KeyOrigin::External, true)?),
        "aws_kms_key_policy" => Kind::KeyPolicy(KeyPolicy {
            key: a.string("key_id")?.unwrap_or(Val::Unknown),
            policy: policy_attr(a, "policy")?.unwrap_or(Val::Unknown),
        }),
        "aws_kms_alias" => Kind::Alias(KmsAlias {
            name: a.ident("name")?.unwrap_or(Val::Unknown),
            target_key: a.string("target_key_id")?.unwrap_or(Val::Unknown),
            arn: a.ident("arn")?,
        }),
        "aws_kms_grant" => Kind::Grant(grant(a)?),
        _ => return Ok(None),
    }))
}

fn key(a: &Attrs, origin: KeyOrigin, replica: bool) -> AttrResult<KmsKey> {
    let custom_store =
        a.known_string("custom_key_store_id")?.is_some() || a.known_string("xks_key_id")?.is_some();
    let origin = if custom_store {
        KeyOrigin::CustomKeyStore
    } else {
        origin
    };
    let enabled = match a.boolean("is_enabled")? {
        Some(v) => Some(v),
        None => a.boolean("enabled")?,
    };
    Ok(KmsKey {
        arn: a.ident("arn")?,
        key_id: a.ident("key_id")?,
        policy: policy_attr(a, "policy")?,
        key_spec: a
            .known_string("customer_master_key_spec")?
            .or(a.known_string("key_spec")?),
        key_usage: a.known_string("key_usage")?,
        origin,
        rotation_enabled: a.boolean("enable_key_rotation")?,
        multi_region: replica || matches!(a.boolean("multi_region")?, Some(Val::Known(true))),
        primary_key: a.string("primary_key_arn")?,
        bypass_lockout_check: matches!(
            a.boolean("bypass_policy_lockout_safety_check")?,
            Some(Val::Known(true))
        ),
        enabled,
        description: a.known_string("description")?,
    })
}

fn grant(a: &Attrs) -> AttrResult<KmsGrant> {
    let operations = match a.strings("operations")? {
        None => Val::Known(Vec::new()),
        Some(Val::Known(items)) => {
            let mut ops = Vec::with_capacity(items.len());
            let mut unknown = false;
            for op in items {
                match op {
                    Val::Known(s) => ops.push(s),
                    Val::Unknown | Val::Ref(_) | Val::Partial(_) => unknown = true,
                }
            }
            if unknown {
                Val::Unknown
            } else {
                ops.sort();
                Val::Known(ops)
            }
        }
        Some(Val::Unknown | Val::Partial(_)) => Val::Unknown,
        Some(Val::Ref(r)) => Val::Ref(r),
    };
    let mut constraints = Vec::new();
    let blocks = a.blocks("constraints")?;
    for c in &blocks.items {
        // A constraint whose context is unknown until apply still constrains the grant: it
        // is kept as an empty map (usable only with some encryption context).
        let map = |name: &str| -> AttrResult<Option<std::collections::BTreeMap<String, String>>> {
            Ok(match c.string_map(name)? {
                None => None,
                Some(Val::Known(m)) => Some(m),
                Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => {
                    Some(std::collections::BTreeMap::new())
                }
            })
        };
        constraints.push(GrantConstraint {
            equals: map("encryption_context_equals")?,
            subset: map("encryption_context_subset")?,
        });
    }
    if blocks.unknown && blocks.items.is_empty() && !blocks.not_configured {
        constraints.push(GrantConstraint {
            equals: None,
            subset: Some(std::collections::BTreeMap::new()),
        });
    }
    Ok(KmsGrant {
        name: a.ident("name")?,
        key: a.string("key_id")?.unwrap_or(Val::Unknown),
        grantee: a.string("grantee_principal")?.unwrap_or(Val::Unknown),
        operations,
        retiring_principal: a.string("retiring_principal")?,
        constraints,
    })
}
