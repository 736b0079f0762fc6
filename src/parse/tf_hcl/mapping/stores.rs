//! Data stores and their encryption at rest (kms-semantics §8.3), including what an unset
//! attribute means for each service: S3 defaults to SSE-S3 (AWS owned), `aws:kms` without a key
//! is the AWS managed `aws/s3` key, RDS without `storage_encrypted` is unencrypted, SQS defaults
//! to SSE-SQS, Secrets Manager and Lambda to their AWS managed keys, and so on.
//! [`DataStore::service`] is the service name of `kms:ViaService`.

use super::Attrs;
use crate::model::{DataStore, Encryption, Kind, StoreEncryption, VStr, Val};

/// KMS encryption with a key attribute: the key named, or the service's AWS managed key when
/// none is (an `alias/aws/<svc>` name is an AWS managed key too).
pub(crate) fn kms(key: Option<VStr>, managed: &str) -> Encryption {
    match key {
        None => Encryption::AwsManaged(managed.to_owned()),
        Some(Val::Known(k)) if k.is_empty() => Encryption::AwsManaged(managed.to_owned()),
        Some(Val::Known(k)) => match aws_managed_alias(&k) {
            Some(svc) => Encryption::AwsManaged(svc),
            None => Encryption::Kms(Val::Known(k)),
        },
        Some(other) => Encryption::Kms(other),
    }
}

/// `alias/aws/s3` or `arn:aws:kms:...:alias/aws/s3` as `aws/s3`.
fn aws_managed_alias(k: &str) -> Option<String> {
    let alias = match k.find(":alias/") {
        Some(i) if k.starts_with("arn:") => &k[i + 1..],
        _ => k,
    };
    alias
        .strip_prefix("alias/aws/")
        .map(|svc| format!("aws/{svc}"))
}

/// A flag that switches encryption on: known on, known off, or undecided.
enum Flag {
    On,
    Off,
    Unknown,
}

fn flag(a: &Attrs<'_>, name: &str, default: bool) -> Flag {
    match a.boolean(name) {
        None => {
            if default {
                Flag::On
            } else {
                Flag::Off
            }
        }
        Some(Val::Known(true)) => Flag::On,
        Some(Val::Known(false)) => Flag::Off,
        Some(_) => Flag::Unknown,
    }
}

/// Encrypted when `flag` is on (with `key` or the AWS managed key), else `off`.
fn gated(
    a: &Attrs<'_>,
    flag_name: &str,
    default: bool,
    key: &str,
    managed: &str,
    off: Encryption,
) -> Encryption {
    let k = a.s(key);
    match flag(a, flag_name, default) {
        Flag::On => kms(k, managed),
        // A key given with the flag unset still encrypts with that key (the flag is implied by
        // the provider for several services); an explicit false wins.
        Flag::Off if a.boolean(flag_name).is_none() && k.is_some() => kms(k, managed),
        Flag::Off => off,
        Flag::Unknown => Encryption::Unknown,
    }
}

fn store(a: &Attrs<'_>, service: &str, name_attr: &str, encryption: Encryption) -> Kind {
    Kind::DataStore(DataStore {
        service: service.to_owned(),
        arn: Some(a.own("arn")),
        name: a.s(name_attr),
        encryption,
        secondary: Vec::new(),
    })
}

/// S3 `rule { apply_server_side_encryption_by_default { sse_algorithm, kms_master_key_id } }`.
fn s3_rules(a: &Attrs<'_>, rules: Vec<&crate::parse::tf_hcl::value::Value>) -> Encryption {
    use crate::parse::tf_hcl::policy::items;
    let Some(rule) = rules.first() else {
        return Encryption::AwsOwned;
    };
    if rule.is_unknown() {
        return Encryption::Unknown;
    }
    let Some(def) = items(rule.get("apply_server_side_encryption_by_default"))
        .into_iter()
        .next()
    else {
        return Encryption::AwsOwned;
    };
    if def.is_unknown() {
        return Encryption::Unknown;
    }
    let key = def
        .get("kms_master_key_id")
        .filter(|v| !matches!(v, crate::parse::tf_hcl::value::Value::Null))
        .and_then(crate::parse::tf_hcl::value::Value::to_vstr);
    let _ = a;
    match def.get("sse_algorithm").and_then(|v| v.to_vstr()) {
        Some(Val::Known(alg)) if alg == "AES256" => Encryption::AwsOwned,
        Some(Val::Known(alg)) if alg.starts_with("aws:kms") => kms(key, "aws/s3"),
        Some(Val::Known(_)) | None => Encryption::AwsOwned,
        Some(_) => Encryption::Unknown,
    }
}

/// Maps a data store type, `None` when it is not one.
#[allow(clippy::too_many_lines)]
pub(crate) fn map_store(type_name: &str, a: &mut Attrs<'_>) -> Option<Kind> {
    Some(match type_name {
        "aws_s3_bucket" => {
            let enc = match a.blocks("server_side_encryption_configuration").first() {
                None => Encryption::AwsOwned,
                Some(cfg) if cfg.is_unknown() => Encryption::Unknown,
                Some(cfg) => s3_rules(a, crate::parse::tf_hcl::policy::items(cfg.get("rule"))),
            };
            store(a, "s3", "bucket", enc)
        }
        "aws_s3_bucket_server_side_encryption_configuration" => {
            let enc = s3_rules(a, a.blocks("rule"));
            Kind::StoreEncryption(StoreEncryption {
                store: a.required("bucket"),
                encryption: enc,
            })
        }
        "aws_db_instance" => {
            let inherits = a.present("snapshot_identifier") || a.present("replicate_source_db");
            let enc = if a.boolean("storage_encrypted").is_none()
                && a.s("kms_key_id").is_none()
                && inherits
            {
                Encryption::Unknown
            } else {
                gated(
                    a,
                    "storage_encrypted",
                    false,
                    "kms_key_id",
                    "aws/rds",
                    Encryption::None,
                )
            };
            let mut secondary = Vec::new();
            if a.boolean("performance_insights_enabled") == Some(Val::Known(true)) {
                secondary.push((
                    "performance_insights_kms_key_id".to_owned(),
                    kms(a.s("performance_insights_kms_key_id"), "aws/rds"),
                ));
            }
            if a.boolean("manage_master_user_password") == Some(Val::Known(true)) {
                secondary.push((
                    "master_user_secret_kms_key_id".to_owned(),
                    kms(a.s("master_user_secret_kms_key_id"), "aws/secretsmanager"),
                ));
            }
            with_secondary(store(a, "rds", "identifier", enc), secondary)
        }
        "aws_rds_cluster" => {
            let serverless_v1 = a.text("engine_mode").as_deref() == Some("serverless");
            let inherits =
                a.present("snapshot_identifier") || a.present("replication_source_identifier");
            let enc = if a.boolean("storage_encrypted").is_none()
                && a.s("kms_key_id").is_none()
                && inherits
                && !serverless_v1
            {
                Encryption::Unknown
            } else {
                gated(
                    a,
                    "storage_encrypted",
                    serverless_v1,
                    "kms_key_id",
                    "aws/rds",
                    Encryption::None,
                )
            };
            let mut secondary = Vec::new();
            if a.boolean("manage_master_user_password") == Some(Val::Known(true)) {
                secondary.push((
                    "master_user_secret_kms_key_id".to_owned(),
                    kms(a.s("master_user_secret_kms_key_id"), "aws/secretsmanager"),
                ));
            }
            with_secondary(store(a, "rds", "cluster_identifier", enc), secondary)
        }
        "aws_docdb_cluster" => {
            let enc = gated(
                a,
                "storage_encrypted",
                false,
                "kms_key_id",
                "aws/rds",
                Encryption::None,
            );
            store(a, "rds", "cluster_identifier", enc)
        }
        "aws_neptune_cluster" => {
            let enc = gated(
                a,
                "storage_encrypted",
                false,
                "kms_key_arn",
                "aws/rds",
                Encryption::None,
            );
            store(a, "rds", "cluster_identifier", enc)
        }
        "aws_dynamodb_table" => {
            let sse = a.blocks("server_side_encryption").first().copied().cloned();
            let enc = match sse {
                None => Encryption::AwsOwned,
                Some(b) if b.is_unknown() => Encryption::Unknown,
                Some(b) => {
                    let key = b
                        .get("kms_key_arn")
                        .filter(|v| !matches!(v, crate::parse::tf_hcl::value::Value::Null))
                        .and_then(crate::parse::tf_hcl::value::Value::to_vstr);
                    match b
                        .get("enabled")
                        .map(crate::parse::tf_hcl::value::Value::to_bool)
                    {
                        Some(Ok(Some(true))) => kms(key, "aws/dynamodb"),
                        Some(Ok(None)) => Encryption::Unknown,
                        _ => Encryption::AwsOwned,
                    }
                }
            };
            let mut secondary = Vec::new();
            for (i, r) in a.blocks("replica").into_iter().enumerate() {
                let key = r
                    .get("kms_key_arn")
                    .filter(|v| !matches!(v, crate::parse::tf_hcl::value::Value::Null))
                    .and_then(crate::parse::tf_hcl::value::Value::to_vstr);
                let replica_enc = match (&enc, key) {
                    (_, Some(k)) => kms(Some(k), "aws/dynamodb"),
                    (Encryption::AwsOwned, None) => Encryption::AwsOwned,
                    (Encryption::Unknown, None) => Encryption::Unknown,
                    (_, None) => Encryption::AwsManaged("aws/dynamodb".into()),
                };
                let region = r
                    .get("region_name")
                    .and_then(|v| v.to_text().ok().flatten())
                    .unwrap_or_else(|| i.to_string());
                secondary.push((format!("replica {region}"), replica_enc));
            }
            with_secondary(store(a, "dynamodb", "name", enc), secondary)
        }
        "aws_sqs_queue" => {
            let enc = match (
                a.s("kms_master_key_id"),
                a.boolean("sqs_managed_sse_enabled"),
            ) {
                (Some(k), _) => kms(Some(k), "aws/sqs"),
                (None, Some(Val::Known(false))) => Encryption::None,
                (None, Some(Val::Known(true)) | None) => Encryption::AwsOwned,
                (None, Some(_)) => Encryption::Unknown,
            };
            store(a, "sqs", "name", enc)
        }
        "aws_sns_topic" => {
            let enc = match a.s("kms_master_key_id") {
                Some(k) => kms(Some(k), "aws/sns"),
                None => Encryption::None,
            };
            store(a, "sns", "name", enc)
        }
        "aws_ebs_volume" => {
            let enc = if a.boolean("encrypted").is_none()
                && a.s("kms_key_id").is_none()
                && a.present("snapshot_id")
            {
                Encryption::Unknown
            } else {
                gated(
                    a,
                    "encrypted",
                    false,
                    "kms_key_id",
                    "aws/ebs",
                    Encryption::None,
                )
            };
            store(a, "ec2", "id", enc)
        }
        "aws_efs_file_system" => {
            let enc = gated(
                a,
                "encrypted",
                false,
                "kms_key_id",
                "aws/elasticfilesystem",
                Encryption::None,
            );
            store(a, "elasticfilesystem", "creation_token", enc)
        }
        "aws_secretsmanager_secret" => {
            let enc = kms(a.s("kms_key_id"), "aws/secretsmanager");
            let secondary = a
                .blocks("replica")
                .into_iter()
                .map(|r| {
                    let key = r
                        .get("kms_key_id")
                        .filter(|v| !matches!(v, crate::parse::tf_hcl::value::Value::Null))
                        .and_then(crate::parse::tf_hcl::value::Value::to_vstr);
                    let region = r
                        .get("region")
                        .and_then(|v| v.to_text().ok().flatten())
                        .unwrap_or_default();
                    (format!("replica {region}"), kms(key, "aws/secretsmanager"))
                })
                .collect();
            with_secondary(store(a, "secretsmanager", "name", enc), secondary)
        }
        "aws_ssm_parameter" => {
            let enc = match a.s("type") {
                Some(Val::Known(t)) if t == "SecureString" => kms(a.s("key_id"), "aws/ssm"),
                Some(Val::Known(_)) => Encryption::None,
                Some(_) | None => Encryption::Unknown,
            };
            store(a, "ssm", "name", enc)
        }
        "aws_kinesis_stream" => {
            let enc = match a.s("encryption_type") {
                Some(Val::Known(t)) if t == "KMS" => kms(a.s("kms_key_id"), "aws/kinesis"),
                Some(Val::Known(_)) | None => Encryption::None,
                Some(_) => Encryption::Unknown,
            };
            store(a, "kinesis", "name", enc)
        }
        "aws_kinesis_firehose_delivery_stream" => {
            let enc = match a.blocks("server_side_encryption").first() {
                None => Encryption::None,
                Some(b) if b.is_unknown() => Encryption::Unknown,
                Some(b) => match b
                    .get("enabled")
                    .map(crate::parse::tf_hcl::value::Value::to_bool)
                {
                    Some(Ok(Some(true))) => {
                        let key = b
                            .get("key_arn")
                            .filter(|v| !matches!(v, crate::parse::tf_hcl::value::Value::Null))
                            .and_then(crate::parse::tf_hcl::value::Value::to_vstr);
                        match b
                            .get("key_type")
                            .and_then(crate::parse::tf_hcl::value::Value::to_vstr)
                        {
                            Some(Val::Known(t)) if t == "CUSTOMER_MANAGED_CMK" => {
                                kms(key, "aws/firehose")
                            }
                            Some(Val::Known(_)) | None => Encryption::AwsOwned,
                            Some(_) => Encryption::Unknown,
                        }
                    }
                    Some(Ok(None)) => Encryption::Unknown,
                    _ => Encryption::None,
                },
            };
            store(a, "firehose", "name", enc)
        }
        "aws_cloudwatch_log_group" => {
            let enc = match a.s("kms_key_id") {
                Some(k) => kms(Some(k), "aws/logs"),
                None => Encryption::AwsOwned,
            };
            store(a, "logs", "name", enc)
        }
        "aws_redshift_cluster" => {
            let enc = gated(
                a,
                "encrypted",
                false,
                "kms_key_id",
                "aws/redshift",
                Encryption::None,
            );
            store(a, "redshift", "cluster_identifier", enc)
        }
        "aws_elasticache_replication_group" => {
            let enc = match (a.s("kms_key_id"), a.boolean("at_rest_encryption_enabled")) {
                (_, Some(Val::Known(false))) => Encryption::None,
                (Some(k), _) => kms(Some(k), "aws/elasticache"),
                (None, Some(Val::Known(true)) | None) => Encryption::AwsOwned,
                (None, Some(_)) => Encryption::Unknown,
            };
            store(a, "elasticache", "replication_group_id", enc)
        }
        "aws_opensearch_domain" => {
            let enc = match a.blocks("encrypt_at_rest").first() {
                None => Encryption::None,
                Some(b) if b.is_unknown() => Encryption::Unknown,
                Some(b) => {
                    let key = b
                        .get("kms_key_id")
                        .filter(|v| !matches!(v, crate::parse::tf_hcl::value::Value::Null))
                        .and_then(crate::parse::tf_hcl::value::Value::to_vstr);
                    match b
                        .get("enabled")
                        .map(crate::parse::tf_hcl::value::Value::to_bool)
                    {
                        Some(Ok(Some(true))) => kms(key, "aws/es"),
                        Some(Ok(None)) => Encryption::Unknown,
                        _ => Encryption::None,
                    }
                }
            };
            store(a, "es", "domain_name", enc)
        }
        "aws_backup_vault" => {
            let enc = kms(a.s("kms_key_arn"), "aws/backup");
            store(a, "backup", "name", enc)
        }
        "aws_ecr_repository" => {
            let enc = match a.blocks("encryption_configuration").first() {
                None => Encryption::AwsOwned,
                Some(b) if b.is_unknown() => Encryption::Unknown,
                Some(b) => {
                    let key = b
                        .get("kms_key")
                        .filter(|v| !matches!(v, crate::parse::tf_hcl::value::Value::Null))
                        .and_then(crate::parse::tf_hcl::value::Value::to_vstr);
                    match b
                        .get("encryption_type")
                        .and_then(crate::parse::tf_hcl::value::Value::to_vstr)
                    {
                        Some(Val::Known(t)) if t == "KMS" || t == "KMS_DSSE" => kms(key, "aws/ecr"),
                        Some(Val::Known(_)) | None => Encryption::AwsOwned,
                        Some(_) => Encryption::Unknown,
                    }
                }
            };
            store(a, "ecr", "name", enc)
        }
        "aws_lambda_function" => {
            let enc = kms(a.s("kms_key_arn"), "aws/lambda");
            store(a, "lambda", "function_name", enc)
        }
        "aws_msk_cluster" => {
            let key = a
                .blocks("encryption_info")
                .first()
                .and_then(|b| b.get("encryption_at_rest_kms_key_arn"))
                .filter(|v| !matches!(v, crate::parse::tf_hcl::value::Value::Null))
                .and_then(crate::parse::tf_hcl::value::Value::to_vstr);
            store(a, "kafka", "cluster_name", kms(key, "aws/kafka"))
        }
        _ => return None,
    })
}

fn with_secondary(mut k: Kind, secondary: Vec<(String, Encryption)>) -> Kind {
    if let Kind::DataStore(d) = &mut k {
        d.secondary = secondary;
    }
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_managed_aliases() {
        assert_eq!(kms(None, "aws/s3"), Encryption::AwsManaged("aws/s3".into()));
        assert_eq!(
            kms(Some(Val::Known("alias/aws/sqs".into())), "aws/sqs"),
            Encryption::AwsManaged("aws/sqs".into())
        );
        assert_eq!(
            kms(
                Some(Val::Known(
                    "arn:aws:kms:us-east-1:111122223333:alias/aws/s3".into()
                )),
                "aws/s3"
            ),
            Encryption::AwsManaged("aws/s3".into())
        );
        assert_eq!(
            kms(Some(Val::Known("alias/orders".into())), "aws/s3"),
            Encryption::Kms(Val::Known("alias/orders".into()))
        );
    }
}
