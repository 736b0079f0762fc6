//! Synthetic Terraform plans for benchmarks and scale tests.
//!
//! [`plan`] writes a `terraform show -json` document (format 1.2) for `domains` data domains,
//! each a `module.domain["dNNNN"]` instance of one module holding: a KMS key whose policy
//! delegates to the account and names the domain's admin role, an alias, an S3 bucket with its
//! encryption configuration, a DynamoDB table and an SQS queue under the key, five application
//! roles with inline policies granting `kms:Decrypt`/`kms:Encrypt` on the key (via one policy
//! document data source), trusting each other in a chain whose last role is trusted by
//! `lambda.amazonaws.com`, and the admin role: 18 resources per domain.
//!
//! One domain in three is being created: its key ARN and id are unknown until apply, so its
//! stores, alias and policies reach the key only through configuration references, and its
//! policy document is read during apply. The others exist already (`no-op`, known ARNs, in
//! `prior_state`). Each resource is built as a small JSON value and appended to the text, so
//! generating a 10,000-resource plan holds little more than the text in memory.

pub mod greenfield;

use serde_json::{json, Value};

/// Resources per domain.
pub const RESOURCES_PER_DOMAIN: usize = 18;

const ACCOUNT: &str = "111122223333";
const REGION: &str = "eu-west-1";
const APP_ROLES: usize = 5;

/// The number of domains that gives at least `resources` resources.
#[must_use]
pub fn domains_for(resources: usize) -> usize {
    resources.div_ceil(RESOURCES_PER_DOMAIN).max(1)
}

struct Domain {
    key: String,
    name: String,
    new: bool,
    /// An existing domain whose key policy the plan changes (see [`plan_with_changes`]).
    changed: bool,
}

impl Domain {
    fn module(&self) -> String {
        format!("module.domain[\"{}\"]", self.key)
    }
    fn key_id(&self) -> String {
        let n = self.key.trim_start_matches('d');
        format!("{n:0>8}-0000-4000-8000-{n:0>12}")
    }
    fn key_arn(&self) -> String {
        format!("arn:aws:kms:{REGION}:{ACCOUNT}:key/{}", self.key_id())
    }
    fn role_name(&self, i: usize) -> String {
        format!("{}-app-{i}", self.name)
    }
    fn role_arn(&self, role: &str) -> String {
        format!("arn:aws:iam::{ACCOUNT}:role/{role}")
    }
    fn tags(&self) -> Value {
        json!({"DataDomain": self.name})
    }
}

/// One resource instance: address parts, values, and the attributes unknown until apply.
struct Instance {
    type_name: &'static str,
    name: &'static str,
    index: Option<usize>,
    data: bool,
    values: Value,
    unknown: Vec<&'static str>,
}

impl Instance {
    fn local_address(&self) -> String {
        let prefix = if self.data { "data." } else { "" };
        match self.index {
            Some(i) => format!("{prefix}{}.{}[{i}]", self.type_name, self.name),
            None => format!("{prefix}{}.{}", self.type_name, self.name),
        }
    }
}

fn key_policy(d: &Domain) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "EnableIAM", "Effect": "Allow",
             "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
             "Action": "kms:*", "Resource": "*"},
            {"Sid": "DomainAdmin", "Effect": "Allow",
             "Principal": {"AWS": d.role_arn(&format!("{}-admin", d.name))},
             "Action": ["kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*",
                        "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*",
                        "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"],
             "Resource": "*"}
        ]
    })
    .to_string()
}

/// The key policy after the change of a changed domain: one more statement letting an
/// analytics role of the account decrypt.
fn changed_key_policy(d: &Domain) -> String {
    let mut v: Value = serde_json::from_str(&key_policy(d)).unwrap_or(Value::Null);
    if let Some(list) = v["Statement"].as_array_mut() {
        list.push(json!({"Sid": "Analytics", "Effect": "Allow",
            "Principal": {"AWS": d.role_arn(&format!("{}-analytics", d.name))},
            "Action": "kms:Decrypt", "Resource": "*"}));
    }
    v.to_string()
}

/// The values of an instance after the change.
fn after_values(d: &Domain, inst: &Instance) -> Value {
    let mut v = inst.values.clone();
    if d.changed && inst.type_name == "aws_kms_key" {
        v["policy"] = Value::String(changed_key_policy(d));
    }
    v
}

fn trust_policy(principal: &Value) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]
    })
    .to_string()
}

fn app_policy(d: &Domain) -> String {
    json!({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "UseDomainKey", "Effect": "Allow",
                       "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                       "Resource": d.key_arn()}]
    })
    .to_string()
}

#[allow(clippy::too_many_lines)]
fn instances(d: &Domain) -> Vec<Instance> {
    let known = |v: String| if d.new { Value::Null } else { Value::String(v) };
    let key_arn = known(d.key_arn());
    let bucket = format!("kr-{}-data", d.name);
    let mut out = vec![
        Instance {
            type_name: "aws_kms_key",
            name: "this",
            index: None,
            data: false,
            values: json!({
                "arn": key_arn, "key_id": known(d.key_id()), "id": known(d.key_id()),
                "policy": key_policy(d), "description": format!("{} domain key", d.name),
                "enable_key_rotation": true, "is_enabled": true, "key_usage": "ENCRYPT_DECRYPT",
                "customer_master_key_spec": "SYMMETRIC_DEFAULT", "multi_region": false,
                "bypass_policy_lockout_safety_check": false, "deletion_window_in_days": 30,
                "tags": d.tags(), "tags_all": d.tags()
            }),
            unknown: vec!["arn", "key_id", "id"],
        },
        Instance {
            type_name: "aws_kms_alias",
            name: "this",
            index: None,
            data: false,
            values: json!({
                "name": format!("alias/{}", d.name), "name_prefix": null,
                "target_key_id": known(d.key_id()), "target_key_arn": key_arn,
                "arn": format!("arn:aws:kms:{REGION}:{ACCOUNT}:alias/{}", d.name),
                "id": format!("alias/{}", d.name)
            }),
            unknown: vec!["target_key_id", "target_key_arn"],
        },
        Instance {
            type_name: "aws_s3_bucket",
            name: "this",
            index: None,
            data: false,
            values: json!({
                "bucket": bucket, "arn": format!("arn:aws:s3:::{bucket}"), "id": bucket,
                "force_destroy": false, "tags": d.tags(), "tags_all": d.tags(),
                "server_side_encryption_configuration": if d.new { Value::Null } else { json!([{
                    "rule": [{"apply_server_side_encryption_by_default": [{
                        "kms_master_key_id": d.key_arn(), "sse_algorithm": "aws:kms"}],
                        "bucket_key_enabled": true}]}]) }
            }),
            unknown: vec!["server_side_encryption_configuration"],
        },
        Instance {
            type_name: "aws_s3_bucket_server_side_encryption_configuration",
            name: "this",
            index: None,
            data: false,
            values: json!({
                "bucket": bucket, "id": bucket, "expected_bucket_owner": null,
                "rule": [{"apply_server_side_encryption_by_default": [{
                    "kms_master_key_id": key_arn, "sse_algorithm": "aws:kms"}],
                    "bucket_key_enabled": true}]
            }),
            unknown: vec![],
        },
        Instance {
            type_name: "aws_dynamodb_table",
            name: "this",
            index: None,
            data: false,
            values: json!({
                "name": format!("{}-items", d.name),
                "arn": known(format!("arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{}-items", d.name)),
                "billing_mode": "PAY_PER_REQUEST", "hash_key": "pk",
                "attribute": [{"name": "pk", "type": "S"}],
                "server_side_encryption": [{"enabled": true, "kms_key_arn": key_arn}],
                "tags": d.tags(), "tags_all": d.tags()
            }),
            unknown: vec!["arn"],
        },
        Instance {
            type_name: "aws_sqs_queue",
            name: "this",
            index: None,
            data: false,
            values: json!({
                "name": format!("{}-events", d.name),
                "arn": known(format!("arn:aws:sqs:{REGION}:{ACCOUNT}:{}-events", d.name)),
                "kms_master_key_id": format!("alias/{}", d.name),
                "kms_data_key_reuse_period_seconds": 300, "sqs_managed_sse_enabled": false,
                "tags": d.tags(), "tags_all": d.tags()
            }),
            unknown: vec!["arn"],
        },
    ];
    for i in 0..APP_ROLES {
        let name = d.role_name(i);
        // app-0 trusts app-1, which trusts app-2, ...; the last is trusted by Lambda.
        let principal = if i + 1 < APP_ROLES {
            json!({"AWS": d.role_arn(&d.role_name(i + 1))})
        } else {
            json!({"Service": "lambda.amazonaws.com"})
        };
        out.push(Instance {
            type_name: "aws_iam_role",
            name: "app",
            index: Some(i),
            data: false,
            values: json!({
                "name": name, "arn": known(d.role_arn(&name)), "path": "/",
                "assume_role_policy": trust_policy(&principal),
                "inline_policy": if d.new { Value::Null } else { json!([]) },
                "managed_policy_arns": if d.new { Value::Null } else { json!([]) },
                "permissions_boundary": null, "max_session_duration": 3600,
                "tags": d.tags(), "tags_all": d.tags()
            }),
            unknown: vec![
                "arn",
                "id",
                "unique_id",
                "inline_policy",
                "managed_policy_arns",
            ],
        });
        out.push(Instance {
            type_name: "aws_iam_role_policy",
            name: "app",
            index: Some(i),
            data: false,
            values: json!({
                "name": format!("{}-kms", d.name), "role": name,
                "policy": known(app_policy(d)), "id": format!("{name}:{}-kms", d.name)
            }),
            unknown: vec!["policy"],
        });
    }
    let admin = format!("{}-admin", d.name);
    out.push(Instance {
        type_name: "aws_iam_role",
        name: "admin",
        index: None,
        data: false,
        values: json!({
            "name": admin, "arn": known(d.role_arn(&admin)), "path": "/",
            "assume_role_policy": trust_policy(&json!({"AWS": format!("arn:aws:iam::{ACCOUNT}:root")})),
            "inline_policy": if d.new { Value::Null } else { json!([]) },
            "managed_policy_arns": if d.new { Value::Null } else { json!([]) },
            "permissions_boundary": null, "tags": d.tags(), "tags_all": d.tags()
        }),
        unknown: vec!["arn", "id", "unique_id", "inline_policy", "managed_policy_arns"],
    });
    out.push(Instance {
        type_name: "aws_iam_policy_document",
        name: "app",
        index: None,
        data: true,
        values: json!({
            "json": known(app_policy(d)), "id": known("1234".to_owned()), "version": "2012-10-17",
            "policy_id": null, "source_policy_documents": null, "override_policy_documents": null,
            "statement": [{
                "sid": "UseDomainKey", "effect": "Allow",
                "actions": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                "resources": [key_arn], "not_actions": null, "not_resources": null,
                "principals": [], "not_principals": [], "condition": []
            }]
        }),
        unknown: vec!["json", "id"],
    });
    out
}

/// `after_unknown` for an instance of a domain being created.
fn after_unknown(inst: &Instance) -> Value {
    let mut m = serde_json::Map::new();
    for a in &inst.unknown {
        m.insert((*a).to_owned(), Value::Bool(true));
    }
    match inst.type_name {
        "aws_s3_bucket_server_side_encryption_configuration" => {
            m.insert(
                "rule".into(),
                json!([{"apply_server_side_encryption_by_default": [{"kms_master_key_id": true}]}]),
            );
        }
        "aws_dynamodb_table" => {
            m.insert(
                "server_side_encryption".into(),
                json!([{"kms_key_arn": true}]),
            );
        }
        "aws_iam_policy_document" => {
            m.insert("statement".into(), json!([{"resources": [true]}]));
        }
        _ => {}
    }
    Value::Object(m)
}

/// The configuration of the domain module.
fn module_config() -> Value {
    let refs = |r: &[&str]| json!({"references": r});
    let c = |v: Value| json!({ "constant_value": v });
    let res = |ty: &str, name: &str, exprs: Value, count: bool| {
        let mut r = json!({
            "address": format!("{ty}.{name}"), "mode": "managed", "type": ty, "name": name,
            "provider_config_key": "aws", "expressions": exprs, "schema_version": 0
        });
        if count {
            r["count_expression"] = json!({"constant_value": APP_ROLES});
        }
        r
    };
    json!({
        "resources": [
            res("aws_kms_key", "this", json!({
                "description": refs(&["var.name"]), "enable_key_rotation": c(json!(true)),
                "policy": refs(&["var.account_id", "var.name"]), "tags": refs(&["local.tags"])
            }), false),
            res("aws_kms_alias", "this", json!({
                "name": refs(&["var.name"]),
                "target_key_id": refs(&["aws_kms_key.this.key_id", "aws_kms_key.this"])
            }), false),
            res("aws_s3_bucket", "this", json!({
                "bucket": refs(&["var.name"]), "tags": refs(&["local.tags"])
            }), false),
            res("aws_s3_bucket_server_side_encryption_configuration", "this", json!({
                "bucket": refs(&["aws_s3_bucket.this.id", "aws_s3_bucket.this"]),
                "rule": [{"apply_server_side_encryption_by_default": [{
                    "kms_master_key_id": refs(&["aws_kms_key.this.arn", "aws_kms_key.this"]),
                    "sse_algorithm": c(json!("aws:kms"))}],
                    "bucket_key_enabled": c(json!(true))}]
            }), false),
            res("aws_dynamodb_table", "this", json!({
                "name": refs(&["var.name"]), "billing_mode": c(json!("PAY_PER_REQUEST")),
                "hash_key": c(json!("pk")),
                "attribute": [{"name": c(json!("pk")), "type": c(json!("S"))}],
                "server_side_encryption": [{"enabled": c(json!(true)),
                    "kms_key_arn": refs(&["aws_kms_key.this.arn", "aws_kms_key.this"])}],
                "tags": refs(&["local.tags"])
            }), false),
            res("aws_sqs_queue", "this", json!({
                "name": refs(&["var.name"]),
                "kms_master_key_id": refs(&["aws_kms_alias.this.name", "aws_kms_alias.this"]),
                "sqs_managed_sse_enabled": c(json!(false)), "tags": refs(&["local.tags"])
            }), false),
            res("aws_iam_role", "app", json!({
                "name": refs(&["var.name", "count.index"]),
                "assume_role_policy": refs(&["var.account_id", "var.name", "count.index"]),
                "tags": refs(&["local.tags"])
            }), true),
            res("aws_iam_role_policy", "app", json!({
                "name": refs(&["var.name"]),
                "role": refs(&["aws_iam_role.app", "count.index"]),
                "policy": refs(&["data.aws_iam_policy_document.app.json", "data.aws_iam_policy_document.app"])
            }), true),
            res("aws_iam_role", "admin", json!({
                "name": refs(&["var.name"]),
                "assume_role_policy": refs(&["var.account_id"]), "tags": refs(&["local.tags"])
            }), false),
            {
                "address": "data.aws_iam_policy_document.app", "mode": "data",
                "type": "aws_iam_policy_document", "name": "app", "provider_config_key": "aws",
                "schema_version": 0,
                "expressions": {"statement": [{
                    "sid": c(json!("UseDomainKey")), "effect": c(json!("Allow")),
                    "actions": c(json!(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"])),
                    "resources": refs(&["aws_kms_key.this.arn", "aws_kms_key.this"])
                }]}
            }
        ],
        "variables": {"name": {}, "account_id": {}}
    })
}

fn resource_object(d: &Domain, inst: &Instance) -> Value {
    let local = inst.local_address();
    let mut r = json!({
        "address": format!("{}.{local}", d.module()),
        "module_address": d.module(),
        "mode": if inst.data { "data" } else { "managed" },
        "type": inst.type_name,
        "name": inst.name,
        "provider_name": "registry.terraform.io/hashicorp/aws",
    });
    if let Some(i) = inst.index {
        r["index"] = json!(i);
    }
    r
}

fn strip_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Writes a plan with `domains` data domains (see the module documentation).
#[must_use]
pub fn plan(domains: usize) -> String {
    write_plan(domains, false)
}

/// The same plan, where it also changes existing resources: in one existing domain in three
/// the key policy gains a statement letting an analytics role decrypt (an `update` whose
/// `before` is the prior state), so `keyreach diff` has access changes to find.
#[must_use]
pub fn plan_with_changes(domains: usize) -> String {
    write_plan(domains, true)
}

fn write_plan(domains: usize, changes: bool) -> String {
    let all: Vec<Domain> = (0..domains)
        .map(|i| Domain {
            key: format!("d{i:05}"),
            name: format!("dom{i:05}"),
            new: i % 3 == 0,
            changed: changes && i % 9 == 1,
        })
        .collect();
    let mut out = String::with_capacity(domains * 40_000);
    out.push_str(r#"{"format_version":"1.2","terraform_version":"1.9.5","planned_values":{"root_module":{"child_modules":["#);
    for (n, d) in all.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        let resources: Vec<Value> = instances(d)
            .iter()
            .filter(|i| !i.data || d.new)
            .map(|inst| {
                let mut r = resource_object(d, inst);
                r["schema_version"] = json!(0);
                r["values"] = if d.new {
                    strip_nulls(&inst.values)
                } else {
                    after_values(d, inst)
                };
                r["sensitive_values"] = json!({});
                r
            })
            .collect();
        out.push_str(&json!({"address": d.module(), "resources": resources}).to_string());
    }
    out.push_str(r#"]}},"resource_changes":["#);
    let mut first = true;
    for d in &all {
        for inst in instances(d) {
            if inst.data && !d.new {
                continue;
            }
            if !first {
                out.push(',');
            }
            first = false;
            let mut r = resource_object(d, &inst);
            let change = if d.new {
                let mut c = json!({
                    "actions": [if inst.data { "read" } else { "create" }],
                    "before": null,
                    "after": strip_nulls(&inst.values),
                    "after_unknown": after_unknown(&inst),
                    "before_sensitive": false,
                    "after_sensitive": {}
                });
                // A computed list unknown until apply is omitted from `after`.
                if let Value::Object(after) = &mut c["after"] {
                    for a in &inst.unknown {
                        after.remove(*a);
                    }
                }
                c
            } else {
                let after = after_values(d, &inst);
                let action = if after == inst.values {
                    "no-op"
                } else {
                    "update"
                };
                json!({
                    "actions": [action], "before": inst.values, "after": after,
                    "after_unknown": {}, "before_sensitive": {}, "after_sensitive": {}
                })
            };
            r["change"] = change;
            if inst.data {
                r["action_reason"] = json!("read_because_dependency_pending");
            }
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
    out.push_str(r#"],"child_modules":["#);
    let mut first = true;
    for d in all.iter().filter(|d| !d.new) {
        if !first {
            out.push(',');
        }
        first = false;
        let resources: Vec<Value> = instances(d)
            .iter()
            .map(|inst| {
                let mut r = resource_object(d, inst);
                r["schema_version"] = json!(0);
                r["values"] = inst.values.clone();
                r["sensitive_values"] = json!({});
                r
            })
            .collect();
        out.push_str(&json!({"address": d.module(), "resources": resources}).to_string());
    }
    out.push_str(r#"]}}},"configuration":"#);
    let keys: Vec<String> = all.iter().map(|d| d.key.clone()).collect();
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
                        "name": {"references": ["each.value"]},
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
        assert_eq!(domains_for(10_000), 556);
        let text = plan(3);
        let v: Value = serde_json::from_str(&text).expect("synthetic plan is JSON");
        let changes = v["resource_changes"].as_array().expect("array").len();
        // Domain 0 is new (18 changes incl. the deferred read); 1 and 2 exist (17 each).
        assert_eq!(changes, 18 + 17 * 2);
        assert!(!text.contains("\"update\""));
        let changed: Value = serde_json::from_str(&plan_with_changes(3)).expect("JSON");
        let updates: Vec<&str> = changed["resource_changes"]
            .as_array()
            .expect("array")
            .iter()
            .filter(|c| c["change"]["actions"][0] == "update")
            .filter_map(|c| c["address"].as_str())
            .collect();
        assert_eq!(updates, ["module.domain[\"d00001\"].aws_kms_key.this"]);
    }
}
