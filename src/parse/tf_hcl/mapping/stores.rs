//! Data stores and their encryption at rest (kms-semantics §8.3), including what an unset
//! attribute means for each service: S3 defaults to SSE-S3 (AWS owned), `aws:kms` without a key
//! is the AWS managed `aws/s3` key, RDS without `storage_encrypted` is unencrypted, SQS defaults
//! to SSE-SQS, Secrets Manager and Lambda to their AWS managed keys, and so on.
//! [`DataStore::service`] is the service name of `kms:ViaService`.
//!
//! The table, its defaults and the names of secondary keys are the same as the Terraform plan
//! parser's (`parse::tf_plan::stores`), so a plan and its source agree. One addition: an RDS
//! instance or cluster restored from a snapshot (or replicating another) with no encryption
//! setting of its own inherits the source's encryption, which the source does not show, so it
//! is `Unknown` rather than unencrypted.

use super::Attrs;
use crate::model::{DataStore, Encryption, Kind, StoreEncryption, VStr, Val};
use crate::parse::tf_hcl::value::Value;

fn managed(svc: &str) -> Encryption {
    Encryption::AwsManaged(format!("aws/{svc}"))
}

fn key_attr(a: &Attrs<'_>, name: &str) -> Option<VStr> {
    match a.s(name) {
        Some(Val::Known(k)) if k.is_empty() => None,
        other => other,
    }
}

fn key_or(a: &Attrs<'_>, name: &str, default: Encryption) -> Encryption {
    key_attr(a, name).map_or(default, Encryption::with_key)
}

/// A switch (`storage_encrypted`, `encrypted`) and a key: the key wins; the switch on without a
/// key is the AWS managed key.
fn switch_and_key(
    a: &Attrs<'_>,
    switch: &str,
    key: &str,
    managed: &str,
    on_by_default: bool,
) -> Encryption {
    if let Some(k) = key_attr(a, key) {
        return Encryption::with_key(k);
    }
    match a.boolean(switch) {
        None if on_by_default => Encryption::AwsManaged(managed.to_owned()),
        None | Some(Val::Known(false)) => Encryption::None,
        Some(Val::Known(true)) => Encryption::AwsManaged(managed.to_owned()),
        Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
    }
}

/// The first nested block of a type, read with `read`; `absent` when there is none, unknown
/// when it comes from a `dynamic` block over an unknown collection.
fn from_block(
    a: &Attrs<'_>,
    block: &str,
    absent: Encryption,
    read: impl Fn(&Attrs<'_>) -> Encryption,
) -> Encryption {
    match a.blocks(block).first() {
        None => absent,
        Some(b) if b.is_unknown() => Encryption::Unknown,
        Some(b) => read(&a.nested(b)),
    }
}

fn s3_default(holder: &Attrs<'_>) -> Encryption {
    from_block(holder, "rule", Encryption::AwsOwned, |rule| {
        from_block(
            rule,
            "apply_server_side_encryption_by_default",
            Encryption::AwsOwned,
            |d| {
                let key = key_attr(d, "kms_master_key_id");
                match d.s("sse_algorithm") {
                    Some(Val::Known(alg)) if alg.starts_with("aws:kms") => match key {
                        Some(k) => Encryption::with_key(k),
                        None => managed("s3"),
                    },
                    Some(Val::Known(_)) | None => Encryption::AwsOwned,
                    Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => {
                        key.map_or(Encryption::Unknown, Encryption::with_key)
                    }
                }
            },
        )
    })
}

fn rds_secondary(a: &Attrs<'_>) -> Vec<(String, Encryption)> {
    let mut out = Vec::new();
    if matches!(
        a.boolean("performance_insights_enabled"),
        Some(Val::Known(true) | Val::Unknown | Val::Ref(_) | Val::Partial(_))
    ) || key_attr(a, "performance_insights_kms_key_id").is_some()
    {
        out.push((
            "performance_insights".to_owned(),
            key_or(a, "performance_insights_kms_key_id", managed("rds")),
        ));
    }
    if matches!(
        a.boolean("manage_master_user_password"),
        Some(Val::Known(true) | Val::Unknown | Val::Ref(_) | Val::Partial(_))
    ) {
        out.push((
            "master_user_secret".to_owned(),
            key_or(
                a,
                "master_user_secret_kms_key_id",
                managed("secretsmanager"),
            ),
        ));
    }
    out
}

/// "Unencrypted" is not proven for a store restored from a snapshot or replicating another one
/// with no encryption of its own set: it takes its source's, which the input does not show.
fn or_inherited(
    enc: Encryption,
    a: &Attrs<'_>,
    sources: &[&str],
    switch: &str,
    key: &str,
) -> Encryption {
    let inherits = a.boolean(switch).is_none()
        && key_attr(a, key).is_none()
        && sources.iter().any(|s| a.present(s));
    if matches!(enc, Encryption::None) && inherits {
        Encryption::Unknown
    } else {
        enc
    }
}

/// Maps a data store type, `None` when it is not one.
#[allow(clippy::too_many_lines)]
pub(crate) fn map_store(type_name: &str, a: &mut Attrs<'_>) -> Option<Kind> {
    let a: &Attrs<'_> = a;
    let store = |service: &str,
                 name_attr: &str,
                 encryption: Encryption,
                 secondary: Vec<(String, Encryption)>| {
        Some(Kind::DataStore(DataStore {
            service: service.to_owned(),
            arn: Some(a.own("arn")),
            name: Some(a.own(name_attr)),
            encryption,
            secondary,
        }))
    };
    match type_name {
        "aws_s3_bucket" => {
            let enc = from_block(
                a,
                "server_side_encryption_configuration",
                Encryption::AwsOwned,
                s3_default,
            );
            store("s3", "bucket", enc, Vec::new())
        }
        "aws_s3_bucket_server_side_encryption_configuration" => {
            Some(Kind::StoreEncryption(StoreEncryption {
                store: a.s("bucket").unwrap_or(Val::Unknown),
                encryption: s3_default(a),
            }))
        }
        "aws_s3_object" | "aws_s3_bucket_object" => {
            let enc = match (key_attr(a, "kms_key_id"), a.s("server_side_encryption")) {
                (Some(k), _) => Encryption::with_key(k),
                (None, Some(Val::Known(alg))) if alg.starts_with("aws:kms") => managed("s3"),
                (None, Some(Val::Known(_))) => Encryption::AwsOwned,
                (None, Some(Val::Unknown | Val::Ref(_) | Val::Partial(_))) => Encryption::Unknown,
                (None, None) => return None,
            };
            store("s3", "key", enc, Vec::new())
        }
        "aws_db_instance" => {
            let enc = or_inherited(
                switch_and_key(a, "storage_encrypted", "kms_key_id", "aws/rds", false),
                a,
                &["replicate_source_db", "snapshot_identifier"],
                "storage_encrypted",
                "kms_key_id",
            );
            store("rds", "identifier", enc, rds_secondary(a))
        }
        "aws_rds_cluster" => {
            let serverless = a.text("engine_mode").as_deref() == Some("serverless");
            let enc = or_inherited(
                switch_and_key(a, "storage_encrypted", "kms_key_id", "aws/rds", serverless),
                a,
                &["snapshot_identifier", "replication_source_identifier"],
                "storage_encrypted",
                "kms_key_id",
            );
            store("rds", "cluster_identifier", enc, rds_secondary(a))
        }
        "aws_docdb_cluster" => {
            let enc = switch_and_key(a, "storage_encrypted", "kms_key_id", "aws/rds", false);
            store("rds", "cluster_identifier", enc, Vec::new())
        }
        "aws_neptune_cluster" => {
            let enc = switch_and_key(a, "storage_encrypted", "kms_key_arn", "aws/rds", false);
            store("rds", "cluster_identifier", enc, Vec::new())
        }
        "aws_dynamodb_table" => {
            let enc = from_block(
                a,
                "server_side_encryption",
                Encryption::AwsOwned,
                |b| match b.boolean("enabled") {
                    Some(Val::Known(true)) => key_or(b, "kms_key_arn", managed("dynamodb")),
                    None | Some(Val::Known(false)) => Encryption::AwsOwned,
                    Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
                },
            );
            let mut secondary = Vec::new();
            for r in a.blocks("replica") {
                if r.is_unknown() {
                    secondary.push(("replica:".to_owned(), Encryption::Unknown));
                    continue;
                }
                let r = a.nested(r);
                let region = r.text("region_name").unwrap_or_default();
                let default = match &enc {
                    Encryption::Kms(_) => managed("dynamodb"),
                    other => other.clone(),
                };
                secondary.push((
                    format!("replica:{region}"),
                    key_or(&r, "kms_key_arn", default),
                ));
            }
            store("dynamodb", "name", enc, secondary)
        }
        "aws_dynamodb_table_replica" => store(
            "dynamodb",
            "global_table_arn",
            key_or(a, "kms_key_arn", managed("dynamodb")),
            Vec::new(),
        ),
        "aws_sqs_queue" => {
            let enc = match key_attr(a, "kms_master_key_id") {
                Some(k) => Encryption::with_key(k),
                None => match a.boolean("sqs_managed_sse_enabled") {
                    Some(Val::Known(false)) => Encryption::None,
                    Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
                    None | Some(Val::Known(true)) => Encryption::AwsOwned,
                },
            };
            store("sqs", "name", enc, Vec::new())
        }
        "aws_sns_topic" => store(
            "sns",
            "name",
            key_or(a, "kms_master_key_id", Encryption::None),
            Vec::new(),
        ),
        "aws_ebs_volume" => {
            let enc = or_inherited(
                switch_and_key(a, "encrypted", "kms_key_id", "aws/ebs", false),
                a,
                &["snapshot_id"],
                "encrypted",
                "kms_key_id",
            );
            store("ec2", "id", enc, Vec::new())
        }
        "aws_instance" => {
            let device =
                |b: &Attrs<'_>| switch_and_key(b, "encrypted", "kms_key_id", "aws/ebs", false);
            let enc = from_block(a, "root_block_device", Encryption::None, device);
            let mut secondary = Vec::new();
            for b in a.blocks("ebs_block_device") {
                if b.is_unknown() {
                    secondary.push(("ebs_block_device:".to_owned(), Encryption::Unknown));
                    continue;
                }
                let b = a.nested(b);
                let name = b.text("device_name").unwrap_or_default();
                secondary.push((format!("ebs_block_device:{name}"), device(&b)));
            }
            store("ec2", "id", enc, secondary)
        }
        "aws_efs_file_system" => {
            let enc = switch_and_key(a, "encrypted", "kms_key_id", "aws/elasticfilesystem", false);
            store("elasticfilesystem", "creation_token", enc, Vec::new())
        }
        "aws_secretsmanager_secret" => {
            let mut secondary = Vec::new();
            for r in a.blocks("replica") {
                if r.is_unknown() {
                    secondary.push(("replica:".to_owned(), Encryption::Unknown));
                    continue;
                }
                let r = a.nested(r);
                let region = r.text("region").unwrap_or_default();
                secondary.push((
                    format!("replica:{region}"),
                    key_or(&r, "kms_key_id", managed("secretsmanager")),
                ));
            }
            store(
                "secretsmanager",
                "name",
                key_or(a, "kms_key_id", managed("secretsmanager")),
                secondary,
            )
        }
        "aws_ssm_parameter" => {
            let enc = match a.s("type") {
                Some(Val::Known(t)) if t == "SecureString" => key_or(a, "key_id", managed("ssm")),
                Some(Val::Known(_)) => Encryption::None,
                None | Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
            };
            store("ssm", "name", enc, Vec::new())
        }
        "aws_kinesis_stream" => {
            let key = key_attr(a, "kms_key_id");
            let enc = match (a.s("encryption_type"), key) {
                (Some(Val::Known(t)), key) if t == "KMS" => {
                    key.map_or_else(|| managed("kinesis"), Encryption::with_key)
                }
                (Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)), Some(k)) => {
                    Encryption::with_key(k)
                }
                (Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)), None) => Encryption::Unknown,
                (Some(Val::Known(_)) | None, _) => Encryption::None,
            };
            store("kinesis", "name", enc, Vec::new())
        }
        "aws_kinesis_firehose_delivery_stream" => {
            let enc = from_block(a, "server_side_encryption", Encryption::None, |b| {
                match b.boolean("enabled") {
                    None | Some(Val::Known(false)) => Encryption::None,
                    Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
                    Some(Val::Known(true)) => match b.s("key_type") {
                        Some(Val::Known(t)) if t == "CUSTOMER_MANAGED_CMK" => {
                            key_or(b, "key_arn", Encryption::Unknown)
                        }
                        None | Some(Val::Known(_)) => Encryption::AwsOwned,
                        Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
                    },
                }
            });
            store("firehose", "name", enc, Vec::new())
        }
        "aws_cloudwatch_log_group" => store(
            "logs",
            "name",
            key_or(a, "kms_key_id", Encryption::AwsOwned),
            Vec::new(),
        ),
        "aws_redshift_cluster" => {
            let enc = switch_and_key(a, "encrypted", "kms_key_id", "aws/redshift", false);
            store("redshift", "cluster_identifier", enc, Vec::new())
        }
        "aws_redshiftserverless_namespace" => store(
            "redshift-serverless",
            "namespace_name",
            key_or(a, "kms_key_id", Encryption::AwsOwned),
            Vec::new(),
        ),
        "aws_elasticache_replication_group" => {
            let valkey = a
                .text("engine")
                .is_some_and(|e| e.eq_ignore_ascii_case("valkey"));
            let enc = match key_attr(a, "kms_key_id") {
                Some(k) => Encryption::with_key(k),
                None => match a.boolean("at_rest_encryption_enabled") {
                    Some(Val::Known(true)) => Encryption::AwsOwned,
                    None if valkey => Encryption::AwsOwned,
                    None | Some(Val::Known(false)) => Encryption::None,
                    Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
                },
            };
            store("elasticache", "replication_group_id", enc, Vec::new())
        }
        "aws_elasticache_serverless_cache" => store(
            "elasticache",
            "name",
            key_or(a, "kms_key_id", Encryption::AwsOwned),
            Vec::new(),
        ),
        "aws_memorydb_cluster" => store(
            "memorydb",
            "name",
            key_or(a, "kms_key_arn", Encryption::AwsOwned),
            Vec::new(),
        ),
        "aws_dax_cluster" => {
            let enc = from_block(a, "server_side_encryption", Encryption::None, |b| {
                match b.boolean("enabled") {
                    Some(Val::Known(true)) => Encryption::AwsOwned,
                    None | Some(Val::Known(false)) => Encryption::None,
                    Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
                }
            });
            store("dax", "cluster_name", enc, Vec::new())
        }
        "aws_opensearch_domain" | "aws_elasticsearch_domain" => {
            let enc = from_block(a, "encrypt_at_rest", Encryption::None, |b| {
                switch_and_key(b, "enabled", "kms_key_id", "aws/es", false)
            });
            store("es", "domain_name", enc, Vec::new())
        }
        "aws_backup_vault" => store(
            "backup",
            "name",
            key_or(a, "kms_key_arn", managed("backup")),
            Vec::new(),
        ),
        "aws_ecr_repository" => {
            let enc = from_block(
                a,
                "encryption_configuration",
                Encryption::AwsOwned,
                |b| match b.s("encryption_type") {
                    Some(Val::Known(t)) if t.starts_with("KMS") => {
                        key_or(b, "kms_key", managed("ecr"))
                    }
                    None | Some(Val::Known(_)) => Encryption::AwsOwned,
                    Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
                },
            );
            store("ecr", "name", enc, Vec::new())
        }
        "aws_lambda_function" => store(
            "lambda",
            "function_name",
            key_or(a, "kms_key_arn", managed("lambda")),
            Vec::new(),
        ),
        "aws_msk_cluster" => {
            let enc = from_block(a, "encryption_info", managed("kafka"), |b| {
                key_or(b, "encryption_at_rest_kms_key_arn", managed("kafka"))
            });
            store("kafka", "cluster_name", enc, Vec::new())
        }
        "aws_timestreamwrite_database" => store(
            "timestream",
            "database_name",
            key_or(a, "kms_key_id", managed("timestream")),
            Vec::new(),
        ),
        "aws_sagemaker_notebook_instance" => store(
            "sagemaker",
            "name",
            key_or(a, "kms_key_id", Encryption::AwsOwned),
            Vec::new(),
        ),
        "aws_sagemaker_domain" => store(
            "sagemaker",
            "domain_name",
            key_or(a, "kms_key_id", Encryption::AwsOwned),
            Vec::new(),
        ),
        "aws_sagemaker_endpoint_configuration" => store(
            "sagemaker",
            "name",
            key_or(a, "kms_key_arn", Encryption::AwsOwned),
            Vec::new(),
        ),
        "aws_cloudtrail" => store(
            "cloudtrail",
            "name",
            key_or(a, "kms_key_id", Encryption::AwsOwned),
            Vec::new(),
        ),
        "aws_eks_cluster" => {
            let enc = from_block(a, "encryption_config", Encryption::AwsOwned, |b| {
                from_block(b, "provider", Encryption::Unknown, |p| {
                    key_or(p, "key_arn", Encryption::Unknown)
                })
            });
            store("eks", "name", enc, Vec::new())
        }
        "aws_glue_data_catalog_encryption_settings" => {
            let settings: Vec<&Value> = a.blocks("data_catalog_encryption_settings");
            let (enc, secondary) = match settings.first() {
                None => (Encryption::None, Vec::new()),
                Some(s) if s.is_unknown() => (Encryption::Unknown, Vec::new()),
                Some(s) => {
                    let s = a.nested(s);
                    let enc = from_block(&s, "encryption_at_rest", Encryption::None, |b| {
                        match b.s("catalog_encryption_mode") {
                            Some(Val::Known(m)) if m.starts_with("SSE-KMS") => {
                                key_or(b, "sse_aws_kms_key_id", managed("glue"))
                            }
                            None | Some(Val::Known(_)) => Encryption::None,
                            Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => {
                                Encryption::Unknown
                            }
                        }
                    });
                    let mut secondary = Vec::new();
                    if let Some(c) = s
                        .blocks("connection_password_encryption")
                        .first()
                        .filter(|c| !c.is_unknown())
                    {
                        let c = s.nested(c);
                        if c.boolean("return_connection_password_encrypted")
                            == Some(Val::Known(true))
                        {
                            secondary.push((
                                "connection_password".to_owned(),
                                key_or(&c, "aws_kms_key_id", managed("glue")),
                            ));
                        }
                    }
                    (enc, secondary)
                }
            };
            store("glue", "catalog_id", enc, secondary)
        }
        "aws_athena_workgroup" => {
            let enc = from_block(a, "configuration", Encryption::AwsOwned, |c| {
                from_block(c, "result_configuration", Encryption::AwsOwned, |r| {
                    from_block(
                        r,
                        "encryption_configuration",
                        Encryption::AwsOwned,
                        |e| match e.s("encryption_option") {
                            Some(Val::Known(o)) if o.ends_with("_KMS") => {
                                key_or(e, "kms_key_arn", managed("s3"))
                            }
                            None | Some(Val::Known(_)) => Encryption::AwsOwned,
                            Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => {
                                Encryption::Unknown
                            }
                        },
                    )
                })
            });
            store("athena", "name", enc, Vec::new())
        }
        "aws_keyspaces_table" => {
            let enc = from_block(
                a,
                "encryption_specification",
                Encryption::AwsOwned,
                |b| match b.s("type") {
                    Some(Val::Known(t)) if t == "CUSTOMER_MANAGED_KMS_KEY" => {
                        key_or(b, "kms_key_identifier", Encryption::Unknown)
                    }
                    None | Some(Val::Known(_)) => Encryption::AwsOwned,
                    Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
                },
            );
            store("cassandra", "table_name", enc, Vec::new())
        }
        "aws_kinesis_video_stream" => store(
            "kinesisvideo",
            "name",
            key_or(a, "kms_key_id", managed("kinesisvideo")),
            Vec::new(),
        ),
        "aws_mq_broker" => {
            let enc = from_block(
                a,
                "encryption_options",
                Encryption::AwsOwned,
                |b| match key_attr(b, "kms_key_id") {
                    Some(k) => Encryption::with_key(k),
                    None => match b.boolean("use_aws_owned_key") {
                        Some(Val::Known(false)) => managed("mq"),
                        None | Some(Val::Known(true)) => Encryption::AwsOwned,
                        Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
                    },
                },
            );
            store("mq", "broker_name", enc, Vec::new())
        }
        "aws_fsx_lustre_file_system"
        | "aws_fsx_windows_file_system"
        | "aws_fsx_ontap_file_system"
        | "aws_fsx_openzfs_file_system" => store(
            "fsx",
            "id",
            key_or(a, "kms_key_id", managed("fsx")),
            Vec::new(),
        ),
        "aws_codeartifact_domain" => store(
            "codeartifact",
            "domain",
            key_or(a, "encryption_key", managed("codeartifact")),
            Vec::new(),
        ),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_managed_aliases() {
        let k = |s: &str| Encryption::with_key(Val::Known(s.into()));
        assert_eq!(k("alias/aws/sqs"), Encryption::AwsManaged("aws/sqs".into()));
        assert_eq!(
            k("arn:aws:kms:us-east-1:111122223333:alias/aws/s3"),
            Encryption::AwsManaged("aws/s3".into())
        );
        assert_eq!(
            k("alias/orders"),
            Encryption::Kms(Val::Known("alias/orders".into()))
        );
        assert_eq!(managed("s3"), Encryption::AwsManaged("aws/s3".into()));
    }
}
