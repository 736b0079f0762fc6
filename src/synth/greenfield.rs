//! A greenfield plan: every resource is created by the plan, so whatever depends on a key's ARN
//! is unknown until apply.
//!
//! [`plan`] writes a `terraform show -json` document (format 1.2) with `domains` instances of
//! one module (`module.domain["dNNNNN"]`), each holding:
//!
//! - a KMS key whose policy (known: built from the caller identity, read during planning)
//!   delegates to the account;
//! - an S3 bucket and its encryption configuration, whose `kms_master_key_id` is the key's ARN
//!   (unknown; the configuration references `aws_kms_key.this.arn`);
//! - a role trusted by Lambda, and its inline policy `jsonencode`d over the key's ARN (unknown;
//!   the configuration references `aws_kms_key.this.arn`).
//!
//! That is [`RESOURCES_PER_DOMAIN`] resources per domain. Each role's identity policy is
//! unknown before apply and every key delegates to the account.

use serde_json::{json, Value};

/// Resources per domain.
pub const RESOURCES_PER_DOMAIN: usize = 5;

const ACCOUNT: &str = "111122223333";
const REGION: &str = "eu-west-1";

/// The number of domains that gives at least `resources` resources.
#[must_use]
pub fn domains_for(resources: usize) -> usize {
    resources.div_ceil(RESOURCES_PER_DOMAIN).max(1)
}

fn key_policy() -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "EnableIAM", "Effect": "Allow",
            "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
            "Action": "kms:*", "Resource": "*"}]
    })
    .to_string()
}

fn trust_policy() -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                       "Action": "sts:AssumeRole"}]
    })
    .to_string()
}

/// (type, name, after, after_unknown) of one domain's resources.
fn changes(name: &str) -> Vec<(&'static str, &'static str, Value, Value)> {
    let tags = json!({"DataDomain": name});
    let bucket = format!("kr-{name}-data");
    vec![
        (
            "aws_kms_key",
            "this",
            json!({
                "policy": key_policy(), "description": format!("{name} domain key"),
                "enable_key_rotation": true, "is_enabled": true, "key_usage": "ENCRYPT_DECRYPT",
                "customer_master_key_spec": "SYMMETRIC_DEFAULT",
                "bypass_policy_lockout_safety_check": false, "deletion_window_in_days": 30,
                "tags": tags, "tags_all": tags
            }),
            json!({"arn": true, "id": true, "key_id": true, "multi_region": true, "tags": {}, "tags_all": {}}),
        ),
        (
            "aws_s3_bucket",
            "this",
            json!({"bucket": bucket, "force_destroy": false, "tags": tags, "tags_all": tags}),
            json!({"arn": true, "id": true, "bucket_domain_name": true, "region": true,
                   "server_side_encryption_configuration": true, "tags": {}, "tags_all": {}}),
        ),
        (
            "aws_s3_bucket_server_side_encryption_configuration",
            "this",
            json!({"bucket": bucket, "expected_bucket_owner": null,
                   "rule": [{"apply_server_side_encryption_by_default": [{"sse_algorithm": "aws:kms"}],
                             "bucket_key_enabled": true}]}),
            json!({"id": true, "rule": [{"apply_server_side_encryption_by_default": [{"kms_master_key_id": true}]}]}),
        ),
        (
            "aws_iam_role",
            "app",
            json!({"name": format!("{name}-app"), "path": "/", "assume_role_policy": trust_policy(),
                   "description": null, "force_detach_policies": false, "max_session_duration": 3600,
                   "permissions_boundary": null, "tags": tags, "tags_all": tags}),
            json!({"arn": true, "id": true, "create_date": true, "inline_policy": true,
                   "managed_policy_arns": true, "name_prefix": true, "unique_id": true,
                   "tags": {}, "tags_all": {}}),
        ),
        (
            "aws_iam_role_policy",
            "app",
            json!({"name": format!("{name}-kms"), "name_prefix": null}),
            json!({"id": true, "policy": true, "role": true}),
        ),
    ]
}

/// The configuration of the domain module: the expressions and their references.
fn module_config() -> Value {
    let refs = |r: &[&str]| json!({"references": r});
    let c = |v: Value| json!({ "constant_value": v });
    let res = |ty: &str, name: &str, exprs: Value| {
        json!({
            "address": format!("{ty}.{name}"), "mode": "managed", "type": ty, "name": name,
            "provider_config_key": "aws", "expressions": exprs, "schema_version": 0
        })
    };
    json!({
        "resources": [
            res("aws_kms_key", "this", json!({
                "description": refs(&["var.name"]), "enable_key_rotation": c(json!(true)),
                "policy": refs(&["var.account_id"]), "tags": refs(&["var.name"])
            })),
            res("aws_s3_bucket", "this", json!({
                "bucket": refs(&["var.name"]), "tags": refs(&["var.name"])
            })),
            res("aws_s3_bucket_server_side_encryption_configuration", "this", json!({
                "bucket": refs(&["aws_s3_bucket.this.bucket", "aws_s3_bucket.this"]),
                "rule": [{"apply_server_side_encryption_by_default": [{
                    "kms_master_key_id": refs(&["aws_kms_key.this.arn", "aws_kms_key.this"]),
                    "sse_algorithm": c(json!("aws:kms"))}],
                    "bucket_key_enabled": c(json!(true))}]
            })),
            res("aws_iam_role", "app", json!({
                "name": refs(&["var.name"]),
                "assume_role_policy": {},
                "tags": refs(&["var.name"])
            })),
            res("aws_iam_role_policy", "app", json!({
                "name": refs(&["var.name"]),
                "role": refs(&["aws_iam_role.app.id", "aws_iam_role.app"]),
                "policy": refs(&["aws_kms_key.this.arn", "aws_kms_key.this"])
            })),
        ],
        "variables": {"name": {}, "account_id": {}}
    })
}

fn address(module: &str, ty: &str, name: &str) -> String {
    format!("{module}.{ty}.{name}")
}

/// Writes a greenfield plan with `domains` data domains (see the module documentation).
#[must_use]
pub fn plan(domains: usize) -> String {
    let keys: Vec<String> = (0..domains).map(|i| format!("d{i:05}")).collect();
    let mut out = String::with_capacity(domains * 6_000);
    out.push_str(r#"{"format_version":"1.2","terraform_version":"1.9.5","planned_values":{"root_module":{"child_modules":["#);
    for (n, k) in keys.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        let module = format!("module.domain[\"{k}\"]");
        let name = format!("dom{}", &k[1..]);
        let resources: Vec<Value> = changes(&name)
            .into_iter()
            .map(|(ty, rname, after, _)| {
                json!({
                    "address": address(&module, ty, rname), "mode": "managed", "type": ty,
                    "name": rname, "provider_name": "registry.terraform.io/hashicorp/aws",
                    "schema_version": 0, "values": after, "sensitive_values": {}
                })
            })
            .collect();
        out.push_str(&json!({"address": module, "resources": resources}).to_string());
    }
    out.push_str(r#"]}},"resource_changes":["#);
    for (n, k) in keys.iter().enumerate() {
        let module = format!("module.domain[\"{k}\"]");
        let name = format!("dom{}", &k[1..]);
        for (i, (ty, rname, after, unknown)) in changes(&name).into_iter().enumerate() {
            if n > 0 || i > 0 {
                out.push(',');
            }
            let r = json!({
                "address": address(&module, ty, rname), "module_address": module,
                "mode": "managed", "type": ty, "name": rname,
                "provider_name": "registry.terraform.io/hashicorp/aws",
                "change": {"actions": ["create"], "before": null, "after": after,
                           "after_unknown": unknown, "before_sensitive": false,
                           "after_sensitive": {}}
            });
            out.push_str(&r.to_string());
        }
    }
    out.push_str(r#"],"prior_state":{"format_version":"1.0","terraform_version":"1.9.5","values":{"root_module":{"resources":["#);
    out.push_str(
        &json!({
            "address": "data.aws_caller_identity.current", "mode": "data",
            "type": "aws_caller_identity", "name": "current",
            "provider_name": "registry.terraform.io/hashicorp/aws", "schema_version": 0,
            "values": {"account_id": ACCOUNT, "arn": format!("arn:aws:iam::{ACCOUNT}:user/ci"),
                       "id": ACCOUNT, "user_id": "AIDAEXAMPLE"}
        })
        .to_string(),
    );
    out.push_str(r#"]}}},"configuration":"#);
    out.push_str(
        &json!({
            "provider_config": {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                "expressions": {"region": {"constant_value": REGION}}}},
            "root_module": {
                "resources": [{
                    "address": "data.aws_caller_identity.current", "mode": "data",
                    "type": "aws_caller_identity", "name": "current",
                    "provider_config_key": "aws", "schema_version": 0
                }],
                "module_calls": {"domain": {
                    "source": "./modules/domain",
                    "for_each_expression": {"constant_value": keys},
                    "expressions": {
                        "name": {"references": ["each.key"]},
                        "account_id": {"references": [
                            "data.aws_caller_identity.current.account_id",
                            "data.aws_caller_identity.current"]}
                    },
                    "module": module_config()
                }}
            }
        })
        .to_string(),
    );
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_shape() {
        assert_eq!(domains_for(10_000), 2_000);
        let text = plan(3);
        let v: Value = serde_json::from_str(&text).expect("synthetic plan is JSON");
        let changes = v["resource_changes"].as_array().expect("array");
        assert_eq!(changes.len(), 3 * RESOURCES_PER_DOMAIN);
        assert!(changes
            .iter()
            .all(|c| c["change"]["actions"][0] == "create"));
    }
}
