//! Data stores and their encryption at rest (kms-semantics §8.3).
//!
//! Each store type reads its key attribute and encryption switch, applying the service's
//! default exactly when the input leaves it unset: a key named `alias/aws/<svc>` (or its alias
//! ARN) is that AWS managed key; any other key, known or not, is `Encryption::Kms` (unknown
//! keys carry the configuration's references, so the store still links to the key created in
//! the same plan); a switch that is itself unknown until apply is `Encryption::Unknown`.
//!
//! Deviation from the semantics table, following the AWS API documentation: an ElastiCache
//! replication group with `at_rest_encryption_enabled` unset is unencrypted for Redis OSS
//! (the API default) and encrypted with an AWS owned key for Valkey.

use super::attrs::{AttrResult, Attrs};
use crate::model::{DataStore, Encryption, Kind, StoreEncryption, VStr, Val};

/// A key attribute, ignoring empty strings.
fn key_attr(a: &Attrs, name: &str) -> AttrResult<Option<VStr>> {
    Ok(match a.string(name)? {
        Some(Val::Known(k)) if k.is_empty() => None,
        other => other,
    })
}

/// A key attribute, or `default` when unset.
fn key_or(a: &Attrs, name: &str, default: Encryption) -> AttrResult<Encryption> {
    Ok(key_attr(a, name)?.map_or(default, Encryption::with_key))
}

/// "Unencrypted" is not proven for a store created from another one (a snapshot, a read
/// replica's source): it takes the source's encryption, which the plan does not show.
fn or_restored(enc: Encryption, a: &Attrs, sources: &[&str]) -> AttrResult<Encryption> {
    if !matches!(enc, Encryption::None) {
        return Ok(enc);
    }
    for s in sources {
        match a.string(s)? {
            None => {}
            Some(Val::Known(v)) if v.is_empty() => {}
            Some(_) => return Ok(Encryption::Unknown),
        }
    }
    Ok(enc)
}

/// An encryption switch plus a key attribute: a key implies encryption; on without a key is
/// the service's AWS managed key; off (or unset when `on_by_default` is false) is none.
fn switch_and_key(
    a: &Attrs,
    switch: &str,
    key: &str,
    managed: &str,
    on_by_default: bool,
) -> AttrResult<Encryption> {
    if let Some(k) = key_attr(a, key)? {
        return Ok(Encryption::with_key(k));
    }
    Ok(match a.boolean(switch)? {
        None if on_by_default => Encryption::AwsManaged(managed.to_owned()),
        None | Some(Val::Known(false)) => Encryption::None,
        Some(Val::Known(true)) => Encryption::AwsManaged(managed.to_owned()),
        Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
    })
}

/// Encryption from an optional nested block: `absent` when no block is configured, the
/// block's reading otherwise, `Unknown` when the block list is unknown and not visible.
fn from_block(
    a: &Attrs,
    block: &str,
    absent: Encryption,
    read: impl Fn(&Attrs) -> AttrResult<Encryption>,
) -> AttrResult<Encryption> {
    let blocks = a.blocks(block)?;
    match blocks.items.first() {
        Some(b) => read(b),
        None if blocks.unknown && !blocks.not_configured => Ok(Encryption::Unknown),
        None => Ok(absent),
    }
}

/// The `rule.apply_server_side_encryption_by_default` of S3 default encryption.
fn s3_default(holder: &Attrs) -> AttrResult<Encryption> {
    from_block(holder, "rule", Encryption::AwsOwned, |rule| {
        from_block(
            rule,
            "apply_server_side_encryption_by_default",
            Encryption::AwsOwned,
            |d| {
                let key = key_attr(d, "kms_master_key_id")?;
                Ok(match d.string("sse_algorithm")? {
                    Some(Val::Known(alg)) if alg.starts_with("aws:kms") => match key {
                        Some(k) => Encryption::with_key(k),
                        None => Encryption::AwsManaged("aws/s3".to_owned()),
                    },
                    Some(Val::Known(_)) | None => Encryption::AwsOwned,
                    Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => match key {
                        Some(k) => Encryption::with_key(k),
                        None => Encryption::Unknown,
                    },
                })
            },
        )
    })
}

/// Maps a data store type; `None` for other types.
#[allow(clippy::too_many_lines)]
pub(crate) fn map(type_name: &str, a: &Attrs) -> AttrResult<Option<Kind>> {
    let store = |service: &str,
                 name_attr: &str,
                 encryption: Encryption,
                 secondary: Vec<(String, Encryption)>|
     -> AttrResult<Option<Kind>> {
        Ok(Some(Kind::DataStore(DataStore {
            service: service.to_owned(),
            arn: a.ident("arn")?,
            name: a.ident(name_attr)?,
            encryption,
            secondary,
        })))
    };
    let managed = |svc: &str| Encryption::AwsManaged(format!("aws/{svc}"));
    match type_name {
        "aws_s3_bucket" => {
            let enc = from_block(
                a,
                "server_side_encryption_configuration",
                Encryption::AwsOwned,
                s3_default,
            )?;
            store("s3", "bucket", enc, Vec::new())
        }
        "aws_s3_bucket_server_side_encryption_configuration" => {
            Ok(Some(Kind::StoreEncryption(StoreEncryption {
                store: a.string("bucket")?.unwrap_or(Val::Unknown),
                encryption: s3_default(a)?,
            })))
        }
        "aws_s3_object" | "aws_s3_bucket_object" => {
            let enc = match (
                key_attr(a, "kms_key_id")?,
                a.string("server_side_encryption")?,
            ) {
                (Some(k), _) => Encryption::with_key(k),
                (None, Some(Val::Known(alg))) if alg.starts_with("aws:kms") => managed("s3"),
                (None, Some(Val::Known(_))) => Encryption::AwsOwned,
                (None, Some(Val::Unknown | Val::Ref(_) | Val::Partial(_))) => Encryption::Unknown,
                // Unset: the object takes the bucket's default encryption.
                (None, None) => return Ok(None),
            };
            store("s3", "key", enc, Vec::new())
        }
        "aws_db_instance" => {
            let enc = or_restored(
                switch_and_key(a, "storage_encrypted", "kms_key_id", "aws/rds", false)?,
                a,
                &["replicate_source_db", "snapshot_identifier"],
            )?;
            store("rds", "identifier", enc, rds_secondary(a)?)
        }
        "aws_rds_cluster" => {
            let serverless =
                matches!(a.string("engine_mode")?, Some(Val::Known(m)) if m == "serverless");
            let enc = or_restored(
                switch_and_key(a, "storage_encrypted", "kms_key_id", "aws/rds", serverless)?,
                a,
                &["snapshot_identifier", "replication_source_identifier"],
            )?;
            store("rds", "cluster_identifier", enc, rds_secondary(a)?)
        }
        "aws_docdb_cluster" => {
            let enc = switch_and_key(a, "storage_encrypted", "kms_key_id", "aws/rds", false)?;
            store("rds", "cluster_identifier", enc, Vec::new())
        }
        "aws_neptune_cluster" => {
            let enc = switch_and_key(a, "storage_encrypted", "kms_key_arn", "aws/rds", false)?;
            store("rds", "cluster_identifier", enc, Vec::new())
        }
        "aws_dynamodb_table" => {
            let enc = from_block(a, "server_side_encryption", Encryption::AwsOwned, |b| {
                Ok(match b.boolean("enabled")? {
                    Some(Val::Known(true)) => key_or(b, "kms_key_arn", managed("dynamodb"))?,
                    None | Some(Val::Known(false)) => Encryption::AwsOwned,
                    Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
                })
            })?;
            let mut secondary = Vec::new();
            for r in a.blocks("replica")?.items {
                let region = r.known_string("region_name")?.unwrap_or_default();
                let default = match &enc {
                    Encryption::Kms(_) => managed("dynamodb"),
                    other => other.clone(),
                };
                secondary.push((
                    format!("replica:{region}"),
                    key_or(&r, "kms_key_arn", default)?,
                ));
            }
            store("dynamodb", "name", enc, secondary)
        }
        "aws_dynamodb_table_replica" => store(
            "dynamodb",
            "global_table_arn",
            key_or(a, "kms_key_arn", managed("dynamodb"))?,
            Vec::new(),
        ),
        "aws_sqs_queue" => {
            let enc = match key_attr(a, "kms_master_key_id")? {
                Some(k) => Encryption::with_key(k),
                None => match a.boolean("sqs_managed_sse_enabled")? {
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
            key_or(a, "kms_master_key_id", Encryption::None)?,
            Vec::new(),
        ),
        "aws_ebs_volume" => {
            let enc = or_restored(
                switch_and_key(a, "encrypted", "kms_key_id", "aws/ebs", false)?,
                a,
                &["snapshot_id"],
            )?;
            store("ec2", "id", enc, Vec::new())
        }
        "aws_instance" => {
            let device = |b: &Attrs| switch_and_key(b, "encrypted", "kms_key_id", "aws/ebs", false);
            let enc = from_block(a, "root_block_device", Encryption::None, device)?;
            let mut secondary = Vec::new();
            for b in a.blocks("ebs_block_device")?.items {
                let name = b.known_string("device_name")?.unwrap_or_default();
                secondary.push((format!("ebs_block_device:{name}"), device(&b)?));
            }
            store("ec2", "id", enc, secondary)
        }
        "aws_efs_file_system" => {
            let enc = switch_and_key(a, "encrypted", "kms_key_id", "aws/elasticfilesystem", false)?;
            store("elasticfilesystem", "creation_token", enc, Vec::new())
        }
        "aws_secretsmanager_secret" => {
            let mut secondary = Vec::new();
            for r in a.blocks("replica")?.items {
                let region = r.known_string("region")?.unwrap_or_default();
                secondary.push((
                    format!("replica:{region}"),
                    key_or(&r, "kms_key_id", managed("secretsmanager"))?,
                ));
            }
            store(
                "secretsmanager",
                "name",
                key_or(a, "kms_key_id", managed("secretsmanager"))?,
                secondary,
            )
        }
        "aws_ssm_parameter" => {
            let enc = match a.string("type")? {
                Some(Val::Known(t)) if t == "SecureString" => key_or(a, "key_id", managed("ssm"))?,
                Some(Val::Known(_)) => Encryption::None,
                None | Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
            };
            store("ssm", "name", enc, Vec::new())
        }
        "aws_kinesis_stream" => {
            let key = key_attr(a, "kms_key_id")?;
            let enc = match (a.string("encryption_type")?, key) {
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
                Ok(match b.boolean("enabled")? {
                    None | Some(Val::Known(false)) => Encryption::None,
                    Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
                    Some(Val::Known(true)) => match b.string("key_type")? {
                        Some(Val::Known(t)) if t == "CUSTOMER_MANAGED_CMK" => {
                            key_or(b, "key_arn", Encryption::Unknown)?
                        }
                        None | Some(Val::Known(_)) => Encryption::AwsOwned,
                        Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
                    },
                })
            })?;
            store("firehose", "name", enc, Vec::new())
        }
        "aws_cloudwatch_log_group" => store(
            "logs",
            "name",
            key_or(a, "kms_key_id", Encryption::AwsOwned)?,
            Vec::new(),
        ),
        "aws_redshift_cluster" => {
            let enc = switch_and_key(a, "encrypted", "kms_key_id", "aws/redshift", false)?;
            store("redshift", "cluster_identifier", enc, Vec::new())
        }
        "aws_redshiftserverless_namespace" => store(
            "redshift-serverless",
            "namespace_name",
            key_or(a, "kms_key_id", Encryption::AwsOwned)?,
            Vec::new(),
        ),
        "aws_elasticache_replication_group" => {
            let valkey = matches!(a.string("engine")?, Some(Val::Known(e)) if e.eq_ignore_ascii_case("valkey"));
            let enc = match key_attr(a, "kms_key_id")? {
                Some(k) => Encryption::with_key(k),
                None => match a.boolean("at_rest_encryption_enabled")? {
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
            key_or(a, "kms_key_id", Encryption::AwsOwned)?,
            Vec::new(),
        ),
        "aws_memorydb_cluster" => store(
            "memorydb",
            "name",
            key_or(a, "kms_key_arn", Encryption::AwsOwned)?,
            Vec::new(),
        ),
        "aws_dax_cluster" => {
            let enc = from_block(a, "server_side_encryption", Encryption::None, |b| {
                Ok(match b.boolean("enabled")? {
                    Some(Val::Known(true)) => Encryption::AwsOwned,
                    None | Some(Val::Known(false)) => Encryption::None,
                    Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
                })
            })?;
            store("dax", "cluster_name", enc, Vec::new())
        }
        "aws_opensearch_domain" | "aws_elasticsearch_domain" => {
            let enc = from_block(a, "encrypt_at_rest", Encryption::None, |b| {
                switch_and_key(b, "enabled", "kms_key_id", "aws/es", false)
            })?;
            store("es", "domain_name", enc, Vec::new())
        }
        "aws_backup_vault" => store(
            "backup",
            "name",
            key_or(a, "kms_key_arn", managed("backup"))?,
            Vec::new(),
        ),
        "aws_ecr_repository" => {
            let enc = from_block(a, "encryption_configuration", Encryption::AwsOwned, |b| {
                Ok(match b.string("encryption_type")? {
                    Some(Val::Known(t)) if t.starts_with("KMS") => {
                        key_or(b, "kms_key", managed("ecr"))?
                    }
                    None | Some(Val::Known(_)) => Encryption::AwsOwned,
                    Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
                })
            })?;
            store("ecr", "name", enc, Vec::new())
        }
        "aws_lambda_function" => store(
            "lambda",
            "function_name",
            key_or(a, "kms_key_arn", managed("lambda"))?,
            Vec::new(),
        ),
        "aws_msk_cluster" => {
            let enc = from_block(a, "encryption_info", managed("kafka"), |b| {
                key_or(b, "encryption_at_rest_kms_key_arn", managed("kafka"))
            })?;
            store("kafka", "cluster_name", enc, Vec::new())
        }
        "aws_timestreamwrite_database" => store(
            "timestream",
            "database_name",
            key_or(a, "kms_key_id", managed("timestream"))?,
            Vec::new(),
        ),
        "aws_sagemaker_notebook_instance" => store(
            "sagemaker",
            "name",
            key_or(a, "kms_key_id", Encryption::AwsOwned)?,
            Vec::new(),
        ),
        "aws_sagemaker_domain" => store(
            "sagemaker",
            "domain_name",
            key_or(a, "kms_key_id", Encryption::AwsOwned)?,
            Vec::new(),
        ),
        "aws_sagemaker_endpoint_configuration" => store(
            "sagemaker",
            "name",
            key_or(a, "kms_key_arn", Encryption::AwsOwned)?,
            Vec::new(),
        ),
        "aws_cloudtrail" => store(
            "cloudtrail",
            "name",
            key_or(a, "kms_key_id", Encryption::AwsOwned)?,
            Vec::new(),
        ),
        "aws_eks_cluster" => {
            let enc = from_block(a, "encryption_config", Encryption::AwsOwned, |b| {
                from_block(b, "provider", Encryption::Unknown, |p| {
                    key_or(p, "key_arn", Encryption::Unknown)
                })
            })?;
            store("eks", "name", enc, Vec::new())
        }
        "aws_glue_data_catalog_encryption_settings" => {
            let settings = a.block("data_catalog_encryption_settings")?;
            let (enc, secondary) = match settings {
                None => (Encryption::None, Vec::new()),
                Some(s) => {
                    let enc = from_block(&s, "encryption_at_rest", Encryption::None, |b| {
                        Ok(match b.string("catalog_encryption_mode")? {
                            Some(Val::Known(m)) if m.starts_with("SSE-KMS") => {
                                key_or(b, "sse_aws_kms_key_id", managed("glue"))?
                            }
                            None | Some(Val::Known(_)) => Encryption::None,
                            Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => {
                                Encryption::Unknown
                            }
                        })
                    })?;
                    let mut secondary = Vec::new();
                    if let Some(c) = s.block("connection_password_encryption")? {
                        if matches!(
                            c.boolean("return_connection_password_encrypted")?,
                            Some(Val::Known(true))
                        ) {
                            secondary.push((
                                "connection_password".to_owned(),
                                key_or(&c, "aws_kms_key_id", managed("glue"))?,
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
                    from_block(r, "encryption_configuration", Encryption::AwsOwned, |e| {
                        Ok(match e.string("encryption_option")? {
                            Some(Val::Known(o)) if o.ends_with("_KMS") => {
                                key_or(e, "kms_key_arn", managed("s3"))?
                            }
                            None | Some(Val::Known(_)) => Encryption::AwsOwned,
                            Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => {
                                Encryption::Unknown
                            }
                        })
                    })
                })
            })?;
            store("athena", "name", enc, Vec::new())
        }
        "aws_keyspaces_table" => {
            let enc = from_block(a, "encryption_specification", Encryption::AwsOwned, |b| {
                Ok(match b.string("type")? {
                    Some(Val::Known(t)) if t == "CUSTOMER_MANAGED_KMS_KEY" => {
                        key_or(b, "kms_key_identifier", Encryption::Unknown)?
                    }
                    None | Some(Val::Known(_)) => Encryption::AwsOwned,
                    Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
                })
            })?;
            store("cassandra", "table_name", enc, Vec::new())
        }
        "aws_kinesis_video_stream" => store(
            "kinesisvideo",
            "name",
            key_or(a, "kms_key_id", managed("kinesisvideo"))?,
            Vec::new(),
        ),
        "aws_mq_broker" => {
            let enc = from_block(a, "encryption_options", Encryption::AwsOwned, |b| {
                Ok(match key_attr(b, "kms_key_id")? {
                    Some(k) => Encryption::with_key(k),
                    None => match b.boolean("use_aws_owned_key")? {
                        Some(Val::Known(false)) => managed("mq"),
                        None | Some(Val::Known(true)) => Encryption::AwsOwned,
                        Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
                    },
                })
            })?;
            store("mq", "broker_name", enc, Vec::new())
        }
        "aws_fsx_lustre_file_system"
        | "aws_fsx_windows_file_system"
        | "aws_fsx_ontap_file_system"
        | "aws_fsx_openzfs_file_system" => store(
            "fsx",
            "id",
            key_or(a, "kms_key_id", managed("fsx"))?,
            Vec::new(),
        ),
        "aws_codeartifact_domain" => store(
            "codeartifact",
            "domain",
            key_or(a, "encryption_key", managed("codeartifact"))?,
            Vec::new(),
        ),
        _ => Ok(None),
    }
}

fn rds_secondary(a: &Attrs) -> AttrResult<Vec<(String, Encryption)>> {
    let mut out = Vec::new();
    if matches!(
        a.boolean("performance_insights_enabled")?,
        Some(Val::Known(true) | Val::Unknown | Val::Ref(_) | Val::Partial(_))
    ) || key_attr(a, "performance_insights_kms_key_id")?.is_some()
    {
        out.push((
            "performance_insights".to_owned(),
            key_or(
                a,
                "performance_insights_kms_key_id",
                Encryption::AwsManaged("aws/rds".to_owned()),
            )?,
        ));
    }
    if matches!(
        a.boolean("manage_master_user_password")?,
        Some(Val::Known(true) | Val::Unknown | Val::Ref(_) | Val::Partial(_))
    ) {
        out.push((
            "master_user_secret".to_owned(),
            key_or(
                a,
                "master_user_secret_kms_key_id",
                Encryption::AwsManaged("aws/secretsmanager".to_owned()),
            )?,
        ));
    }
    Ok(out)
}
