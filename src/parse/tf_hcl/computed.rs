//! Attributes Terraform computes that keyreach can know before apply.
//!
//! Data sources: `aws_iam_policy_document.json` (built from its statements),
//! `aws_caller_identity.account_id` (from `--account-id`), `aws_region.name` (provider region or
//! `--region`), `aws_partition.partition`, `template_file.rendered`. Managed resources: ARNs
//! and ids that follow from a known name, partition, account and Region (`arn:aws:iam::ACCT:
//! role/NAME`, `arn:aws:s3:::BUCKET`). Anything else is left to the caller, which makes it a
//! reference to the resource instance.

use super::eval::{Evaluator, InstKey};
use super::loader::{Mode, ResourceBlock};
use super::value::{Object, Value};
use std::collections::BTreeMap;

/// Computed attributes of data sources.
pub(crate) fn data_attr(
    ev: &mut Evaluator,
    inst: usize,
    ri: usize,
    key: &InstKey,
    r: &ResourceBlock,
    attr: &str,
    addr: &str,
) -> Option<Value> {
    if r.mode != Mode::Data {
        return None;
    }
    let known_or_ref = |v: Option<String>| -> Value {
        v.map_or_else(|| Value::reference(addr, Some(attr)), Value::String)
    };
    match (r.type_name.as_str(), attr) {
        ("aws_iam_policy_document", "json" | "minified_json") => {
            Some(ev.policy_document_json(inst, ri, key))
        }
        ("aws_caller_identity", "account_id" | "id") => {
            Some(known_or_ref(ev.facts.account_id.clone()))
        }
        ("aws_region", "name" | "region" | "id") => {
            if let Some(a) = r.body.attr("name").or_else(|| r.body.attr("region")) {
                let s = ev.instance_scope(inst, ri, key);
                let res = ev.eval(&a.expr, &s);
                return Some(ev.recover(res, a.pos, attr));
            }
            let region = provider_region(ev, inst, r);
            if region.is_none() {
                ev.note(
                    r.pos,
                    format!(
                        "the Region of {addr} is not known (pass --region, or set the provider's \
                         region); names and ARNs built from it are known only in part"
                    ),
                );
            }
            Some(known_or_ref(region))
        }
        ("aws_partition", "partition" | "id") => Some(Value::String(ev.facts.partition.clone())),
        ("aws_partition", "dns_suffix") => Some(Value::String(ev.facts.dns_suffix.clone())),
        ("aws_partition", "reverse_dns_prefix") => Some(Value::String(
            ev.facts
                .dns_suffix
                .split('.')
                .rev()
                .collect::<Vec<_>>()
                .join("."),
        )),
        ("template_file", "rendered") => {
            let template = ev.resource_attr(inst, ri, key, "template");
            let vars = ev.resource_attr(inst, ri, key, "vars");
            let Value::String(text) = template.as_ref() else {
                return Some(Value::unknown_from(&[&template]));
            };
            let vars = match vars.as_ref() {
                Value::Object(o) => (*o.fields).clone(),
                Value::Null => BTreeMap::new(),
                other => return Some(Value::unknown_from(&[other])),
            };
            let res = super::functions::render_template(ev, text, &vars, inst, r.pos);
            Some(ev.recover(res, r.pos, "template_file.rendered"))
        }
        _ => None,
    }
}

/// The Region of a resource's provider configuration, or `--region`.
pub(crate) fn provider_region(
    ev: &mut Evaluator,
    inst: usize,
    r: &ResourceBlock,
) -> Option<String> {
    let key = provider_key(r);
    let cfg = ev.provider_config(inst, &key);
    if let Some(Value::String(s)) = cfg.get("region") {
        return Some(s.clone());
    }
    ev.facts.region.clone()
}

/// `provider = aws.west`, or the provider named by the type prefix.
pub(crate) fn provider_key(r: &ResourceBlock) -> String {
    r.provider
        .clone()
        .unwrap_or_else(|| r.type_name.split('_').next().unwrap_or_default().to_owned())
}

/// Computed attributes of managed resources that follow from configured ones.
pub(crate) fn derived_attr(
    ev: &mut Evaluator,
    inst: usize,
    ri: usize,
    key: &InstKey,
    r: &ResourceBlock,
    attr: &str,
    _addr: &str,
) -> Option<Value> {
    if r.mode != Mode::Managed {
        return None;
    }
    let get = |ev: &mut Evaluator, a: &str| -> Option<String> {
        match ev.resource_attr(inst, ri, key, a).as_ref() {
            Value::String(s) if !s.is_empty() => Some(s.clone()),
            _ => None,
        }
    };
    let part = ev.facts.partition.clone();
    let acct = ev.facts.account_id.clone();
    match attr {
        "tags_all" => return tags_all(ev, inst, ri, key, r),
        // Unset tags are no tags (null), not a value known after apply.
        "tags" => return Some(Value::Null),
        _ => {}
    }
    let iam_kind = match r.type_name.as_str() {
        "aws_iam_role" => Some("role"),
        "aws_iam_user" => Some("user"),
        "aws_iam_group" => Some("group"),
        "aws_iam_policy" => Some("policy"),
        "aws_iam_instance_profile" => Some("instance-profile"),
        _ => None,
    };
    if let Some(kind) = iam_kind {
        if !matches!(attr, "arn" | "id") {
            return None;
        }
        let name = get(ev, "name")?;
        let path = get(ev, "path").unwrap_or_else(|| "/".into());
        let arn = acct.map(|a| format!("arn:{part}:iam::{a}:{kind}{path}{name}"));
        return match attr {
            "arn" => arn.map(Value::String),
            "id" if kind == "policy" => arn.map(Value::String),
            "id" => Some(Value::String(name)),
            _ => None,
        };
    }
    match (r.type_name.as_str(), attr) {
        ("aws_s3_bucket", "id") => get(ev, "bucket").map(Value::String),
        ("aws_s3_bucket", "arn") => {
            get(ev, "bucket").map(|b| Value::String(format!("arn:{part}:s3:::{b}")))
        }
        ("aws_iam_openid_connect_provider", "arn" | "id") => {
            let url = get(ev, "url")?;
            let host = url.trim_start_matches("https://");
            acct.map(|a| Value::String(format!("arn:{part}:iam::{a}:oidc-provider/{host}")))
        }
        ("aws_iam_saml_provider", "arn" | "id") => {
            let name = get(ev, "name")?;
            acct.map(|a| Value::String(format!("arn:{part}:iam::{a}:saml-provider/{name}")))
        }
        ("aws_kms_alias", "arn") => {
            let name = get(ev, "name")?;
            let region = provider_region(ev, inst, r)?;
            acct.map(|a| Value::String(format!("arn:{part}:kms:{region}:{a}:{name}")))
        }
        ("aws_kms_alias", "target_key_arn") => {
            let target = ev.resource_attr(inst, ri, key, "target_key_id");
            match target.as_ref() {
                Value::String(s) if s.starts_with("arn:") => Some(Value::String(s.clone())),
                Value::Unknown(refs) if !refs.is_empty() => Some(Value::Unknown(
                    refs.iter()
                        .map(|x| crate::model::Reference::new(x.target.clone(), Some("arn")))
                        .collect(),
                )),
                _ => None,
            }
        }
        ("aws_sqs_queue" | "aws_sns_topic" | "aws_dynamodb_table", "arn") => {
            let name = get(ev, "name")?;
            let region = provider_region(ev, inst, r)?;
            let a = acct?;
            let (svc, res) = match r.type_name.as_str() {
                "aws_sqs_queue" => ("sqs", name),
                "aws_sns_topic" => ("sns", name),
                _ => ("dynamodb", format!("table/{name}")),
            };
            Some(Value::String(format!(
                "arn:{part}:{svc}:{region}:{a}:{res}"
            )))
        }
        _ => None,
    }
}

/// `tags` merged over the provider's `default_tags`.
fn tags_all(
    ev: &mut Evaluator,
    inst: usize,
    ri: usize,
    key: &InstKey,
    r: &ResourceBlock,
) -> Option<Value> {
    let tags = ev.resource_attr(inst, ri, key, "tags");
    let cfg = ev.provider_config(inst, &provider_key(r));
    let default = cfg
        .get("default_tags")
        .and_then(|d| match d {
            Value::List(items) => items.first(),
            other => Some(other),
        })
        .and_then(|d| d.get("tags"))
        .cloned()
        .unwrap_or(Value::Null);
    let mut fields = BTreeMap::new();
    for v in [&default, tags.as_ref()] {
        match v {
            Value::Null => {}
            Value::Object(o) => {
                for (k, x) in o.fields.iter() {
                    fields.insert(k.clone(), x.clone());
                }
            }
            other => return Some(Value::unknown_from(&[other])),
        }
    }
    Some(Value::Object(Object::new(fields)))
}

/// Computed attributes added to every instance object, so the mapping sees them.
pub(crate) fn extra_attrs(r: &ResourceBlock) -> &'static [&'static str] {
    match (r.mode, r.type_name.as_str()) {
        (Mode::Data, "aws_iam_policy_document") => &["json"],
        (Mode::Data, "aws_caller_identity") => &["account_id"],
        (Mode::Data, "aws_region") => &["name"],
        (Mode::Data, "aws_partition") => &["partition", "dns_suffix"],
        (Mode::Data, _) => &[],
        (
            Mode::Managed,
            "aws_iam_role"
            | "aws_iam_user"
            | "aws_iam_group"
            | "aws_iam_policy"
            | "aws_iam_instance_profile"
            | "aws_iam_openid_connect_provider"
            | "aws_iam_saml_provider"
            | "aws_kms_alias"
            | "aws_sqs_queue"
            | "aws_sns_topic"
            | "aws_dynamodb_table"
            | "aws_s3_bucket",
        ) => &["arn", "tags_all"],
        (Mode::Managed, _) => &["tags_all"],
    }
}
