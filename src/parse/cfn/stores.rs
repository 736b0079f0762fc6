//! Data stores (kms-semantics §8.3, CloudFormation column) and how each is encrypted.
//!
//! The encryption follows the table's "Unset means" column: a key property names the key
//! (`alias/aws/<svc>` or its ARN is recognised as the AWS managed key `aws/<svc>`); an
//! encryption switch without a key means the service's AWS managed key; nothing set means the
//! service default (AWS owned, AWS managed or none). A key or switch the template does not
//! decide gives `Kms(unknown)` or `Unknown`, never a guess. `service` is the `kms:ViaService`
//! service name.

use super::resources::ResCtx;
use super::rval::RVal;
use crate::model::{DataStore, Encryption, Val};

/// The encryption of a database left without an encryption setting: `default`, unless it is
/// created from a snapshot or another cluster, whose encryption it takes — which the template
/// does not show, so `Unknown`.
fn unset_encryption(rc: &ResCtx<'_, '_>, sources: &[&str], default: Encryption) -> Encryption {
    if sources.iter().any(|s| rc.get(s).is_some()) {
        Encryption::Unknown
    } else {
        default
    }
}

/// Encryption under a key value (`None` when the value is absent).
fn by_key(v: Option<&RVal>) -> Option<Encryption> {
    let v = v?;
    Some(match v {
        RVal::Either(_) => Encryption::Unknown,
        _ => match v.vstr()? {
            Val::Known(s) if s.is_empty() => return None,
            other => Encryption::with_key(other),
        },
    })
}

/// A switch (`Encrypted`, `StorageEncrypted`, …) and an optional key: the key wins; the switch
/// on without key means `on`; off or unset means `off`; an undecided switch is `Unknown`.
fn switch(
    flag: Option<Val<bool>>,
    key: Option<&RVal>,
    on: Encryption,
    off: Encryption,
) -> Encryption {
    if let Some(e) = by_key(key) {
        return e;
    }
    match flag {
        Some(Val::Known(true)) => on,
        Some(Val::Known(false)) | None => off,
        Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => Encryption::Unknown,
    }
}

fn am(svc: &str) -> Encryption {
    Encryption::AwsManaged(format!("aws/{svc}"))
}

/// The data store a resource is, if it is one.
#[allow(clippy::too_many_lines)]
pub(crate) fn store(rc: &ResCtx, ty: &str) -> Option<DataStore> {
    let mut secondary = Vec::new();
    let (service, name_key, encryption) = match ty {
        "AWS::S3::Bucket" => ("s3", Some("BucketName"), s3(rc)),
        "AWS::RDS::DBInstance" => {
            if !rc.opaque() && rc.get("DBClusterIdentifier").is_some() {
                // An Aurora instance stores no data of its own; the cluster is the store.
                return None;
            }
            rds_secondary(rc, "PerformanceInsightsKMSKeyId", &mut secondary);
            let off = unset_encryption(
                rc,
                &[
                    "SourceDBInstanceIdentifier",
                    "DBSnapshotIdentifier",
                    "SourceDBClusterIdentifier",
                ],
                Encryption::None,
            );
            let e = switch(
                rc.flag("StorageEncrypted"),
                rc.get("KmsKeyId"),
                am("rds"),
                off,
            );
            ("rds", Some("DBInstanceIdentifier"), e)
        }
        "AWS::RDS::DBCluster" => {
            rds_secondary(rc, "PerformanceInsightsKmsKeyId", &mut secondary);
            let serverless = rc.known("EngineMode").as_deref() == Some("serverless");
            let off = unset_encryption(
                rc,
                &[
                    "SnapshotIdentifier",
                    "SourceDBClusterIdentifier",
                    "GlobalClusterIdentifier",
                    "ReplicationSourceIdentifier",
                ],
                if serverless {
                    am("rds")
                } else {
                    Encryption::None
                },
            );
            let e = switch(
                rc.flag("StorageEncrypted"),
                rc.get("KmsKeyId"),
                am("rds"),
                off,
            );
            ("rds", Some("DBClusterIdentifier"), e)
        }
        "AWS::DocDB::DBCluster" | "AWS::Neptune::DBCluster" => {
            let off = unset_encryption(
                rc,
                &["SnapshotIdentifier", "SourceDBClusterIdentifier"],
                Encryption::None,
            );
            let e = switch(
                rc.flag("StorageEncrypted"),
                rc.get("KmsKeyId"),
                am("rds"),
                off,
            );
            ("rds", Some("DBClusterIdentifier"), e)
        }
        "AWS::DocDBElastic::Cluster" => (
            "docdb-elastic",
            Some("ClusterName"),
            by_key(rc.get("KmsKeyId")).unwrap_or(Encryption::AwsOwned),
        ),
        "AWS::DynamoDB::Table" | "AWS::Serverless::SimpleTable" => {
            let sse = rc.get("SSESpecification");
            let key = sse.and_then(|s| s.get("KMSMasterKeyId"));
            let flag = sse
                .and_then(|s| s.get("SSEEnabled"))
                .and_then(RVal::bool_val);
            let flag = match sse {
                Some(s @ (RVal::Unknown(_) | RVal::Either(_))) => {
                    let _ = s;
                    Some(Val::Unknown)
                }
                _ => flag,
            };
            (
                "dynamodb",
                Some("TableName"),
                switch(flag, key, am("dynamodb"), Encryption::AwsOwned),
            )
        }
        "AWS::DynamoDB::GlobalTable" => {
            let flag = rc
                .path(&["SSESpecification", "SSEEnabled"])
                .and_then(RVal::bool_val);
            let mut keys = Vec::new();
            if let Some(RVal::List(replicas)) = rc.get("Replicas") {
                for r in replicas {
                    let region = r
                        .get("Region")
                        .and_then(RVal::scalar_str)
                        .unwrap_or_default();
                    if let Some(e) = by_key(r.path(&["SSESpecification", "KMSMasterKeyId"])) {
                        keys.push((format!("replica/{region}"), e));
                    }
                }
            }
            let e = match flag {
                Some(Val::Known(true)) => match keys.first() {
                    Some((_, e)) => e.clone(),
                    None => am("dynamodb"),
                },
                Some(Val::Known(false)) | None => Encryption::AwsOwned,
                Some(_) => Encryption::Unknown,
            };
            secondary.extend(keys.into_iter().skip(1));
            ("dynamodb", Some("TableName"), e)
        }
        "AWS::SQS::Queue" => {
            let e = match by_key(rc.get("KmsMasterKeyId")) {
                Some(e) => e,
                None => match rc.flag("SqsManagedSseEnabled") {
                    Some(Val::Known(false)) => Encryption::None,
                    Some(Val::Known(true)) | None => Encryption::AwsOwned,
                    Some(_) => Encryption::Unknown,
                },
            };
            ("sqs", Some("QueueName"), e)
        }
        "AWS::SNS::Topic" => (
            "sns",
            Some("TopicName"),
            by_key(rc.get("KmsMasterKeyId")).unwrap_or(Encryption::None),
        ),
        "AWS::EC2::Volume" => {
            // An account's "EBS encryption by default" is not visible in a template.
            let e = switch(
                rc.flag("Encrypted"),
                rc.get("KmsKeyId"),
                am("ebs"),
                Encryption::None,
            );
            ("ec2", None, e)
        }
        "AWS::EC2::Instance" => {
            // The root volume and other EBS block devices declared on the instance.
            let mut devices = Vec::new();
            match rc.get("BlockDeviceMappings") {
                Some(RVal::List(items)) => {
                    for d in items {
                        if let Some(ebs) = d.get("Ebs") {
                            let name = d
                                .get("DeviceName")
                                .and_then(RVal::scalar_str)
                                .unwrap_or_default();
                            let e = switch(
                                ebs.get("Encrypted").and_then(RVal::bool_val),
                                ebs.get("KmsKeyId"),
                                am("ebs"),
                                Encryption::None,
                            );
                            devices.push((format!("block_device/{name}"), e));
                        }
                    }
                }
                Some(RVal::Unknown(_) | RVal::Either(_)) => {
                    devices.push(("block_device".to_owned(), Encryption::Unknown));
                }
                _ => {}
            }
            let mut devices = devices.into_iter();
            let e = devices.next().map_or(Encryption::None, |(_, e)| e);
            secondary.extend(devices);
            ("ec2", None, e)
        }
        "AWS::EFS::FileSystem" => {
            let e = switch(
                rc.flag("Encrypted"),
                rc.get("KmsKeyId"),
                am("elasticfilesystem"),
                Encryption::None,
            );
            ("elasticfilesystem", None, e)
        }
        "AWS::SecretsManager::Secret" => {
            if let Some(RVal::List(replicas)) = rc.get("ReplicaRegions") {
                for r in replicas {
                    let region = r
                        .get("Region")
                        .and_then(RVal::scalar_str)
                        .unwrap_or_default();
                    let e = by_key(r.get("KmsKeyId")).unwrap_or_else(|| am("secretsmanager"));
                    secondary.push((format!("replica/{region}"), e));
                }
            }
            (
                "secretsmanager",
                Some("Name"),
                by_key(rc.get("KmsKeyId")).unwrap_or_else(|| am("secretsmanager")),
            )
        }
        "AWS::SSM::Parameter" => {
            // CloudFormation cannot create SecureString parameters: String and StringList values
            // are stored without KMS encryption.
            let e = match rc.known("Type").as_deref() {
                Some("SecureString") => by_key(rc.get("KeyId")).unwrap_or_else(|| am("ssm")),
                Some(_) | None => Encryption::None,
            };
            ("ssm", Some("Name"), e)
        }
        "AWS::Kinesis::Stream" => {
            let enc = rc.get("StreamEncryption");
            let e = match enc {
                None => Encryption::None,
                Some(s) => match s.get("EncryptionType").and_then(RVal::as_str) {
                    Some("KMS") => by_key(s.get("KeyId")).unwrap_or(Encryption::Unknown),
                    Some("NONE") => Encryption::None,
                    _ => Encryption::Unknown,
                },
            };
            ("kinesis", Some("Name"), e)
        }
        "AWS::KinesisFirehose::DeliveryStream" => {
            let cfg = rc.get("DeliveryStreamEncryptionConfigurationInput");
            let e = match cfg {
                None => Encryption::None,
                Some(c) => match c.get("KeyType").and_then(RVal::as_str) {
                    Some("AWS_OWNED_CMK") => Encryption::AwsOwned,
                    Some("CUSTOMER_MANAGED_CMK") => {
                        by_key(c.get("KeyARN")).unwrap_or(Encryption::Unknown)
                    }
                    _ => Encryption::Unknown,
                },
            };
            for dest in [
                "S3DestinationConfiguration",
                "ExtendedS3DestinationConfiguration",
            ] {
                if let Some(k) = rc.path(&[
                    dest,
                    "EncryptionConfiguration",
                    "KMSEncryptionConfig",
                    "AWSKMSKeyARN",
                ]) {
                    if let Some(e) = by_key(Some(k)) {
                        secondary.push(("s3_destination".to_owned(), e));
                    }
                }
            }
            ("firehose", Some("DeliveryStreamName"), e)
        }
        "AWS::Logs::LogGroup" => (
            "logs",
            Some("LogGroupName"),
            by_key(rc.get("KmsKeyId")).unwrap_or(Encryption::AwsOwned),
        ),
        "AWS::Redshift::Cluster" => {
            let e = switch(
                rc.flag("Encrypted"),
                rc.get("KmsKeyId"),
                am("redshift"),
                Encryption::None,
            );
            ("redshift", Some("ClusterIdentifier"), e)
        }
        "AWS::RedshiftServerless::Namespace" => (
            "redshift-serverless",
            Some("NamespaceName"),
            by_key(rc.get("KmsKeyId")).unwrap_or(Encryption::AwsOwned),
        ),
        "AWS::ElastiCache::ReplicationGroup" => {
            // At-rest encryption is off unless enabled, except for Valkey where it is the default.
            let valkey = rc
                .known("Engine")
                .is_some_and(|e| e.eq_ignore_ascii_case("valkey"));
            let e = match by_key(rc.get("KmsKeyId")) {
                Some(e) => e,
                None => match rc.flag("AtRestEncryptionEnabled") {
                    Some(Val::Known(true)) => Encryption::AwsOwned,
                    None if valkey => Encryption::AwsOwned,
                    Some(Val::Known(false)) | None => Encryption::None,
                    Some(_) => Encryption::Unknown,
                },
            };
            ("elasticache", Some("ReplicationGroupId"), e)
        }
        "AWS::ElastiCache::ServerlessCache" => (
            "elasticache",
            Some("ServerlessCacheName"),
            by_key(rc.get("KmsKeyId")).unwrap_or(Encryption::AwsOwned),
        ),
        "AWS::MemoryDB::Cluster" => (
            "memorydb",
            Some("ClusterName"),
            by_key(rc.get("KmsKeyId")).unwrap_or(Encryption::AwsOwned),
        ),
        "AWS::DAX::Cluster" => {
            let flag = rc
                .path(&["SSESpecification", "SSEEnabled"])
                .and_then(RVal::bool_val);
            let e = switch(flag, None, Encryption::AwsOwned, Encryption::None);
            ("dax", Some("ClusterName"), e)
        }
        "AWS::OpenSearchService::Domain" | "AWS::Elasticsearch::Domain" => {
            let opts = rc.get("EncryptionAtRestOptions");
            let flag = opts.and_then(|o| o.get("Enabled")).and_then(RVal::bool_val);
            let e = switch(
                flag,
                opts.and_then(|o| o.get("KmsKeyId")),
                am("es"),
                Encryption::None,
            );
            ("es", Some("DomainName"), e)
        }
        "AWS::Backup::BackupVault" => (
            "backup",
            Some("BackupVaultName"),
            by_key(rc.get("EncryptionKeyArn")).unwrap_or_else(|| am("backup")),
        ),
        "AWS::ECR::Repository" => {
            let cfg = rc.get("EncryptionConfiguration");
            let e = match cfg.and_then(|c| c.get("EncryptionType")) {
                None => Encryption::AwsOwned,
                Some(t) => match t.as_str() {
                    Some("AES256") => Encryption::AwsOwned,
                    Some("KMS" | "KMS_DSSE") => {
                        by_key(cfg.and_then(|c| c.get("KmsKey"))).unwrap_or_else(|| am("ecr"))
                    }
                    _ => Encryption::Unknown,
                },
            };
            ("ecr", Some("RepositoryName"), e)
        }
        "AWS::Glue::DataCatalogEncryptionSettings" => {
            let s = rc.get("DataCatalogEncryptionSettings");
            let rest = s.and_then(|s| s.get("EncryptionAtRest"));
            let e = match rest.and_then(|r| r.get("CatalogEncryptionMode")) {
                None => Encryption::None,
                Some(m) => match m.as_str() {
                    Some("DISABLED") => Encryption::None,
                    Some(mode) if mode.starts_with("SSE-KMS") => {
                        by_key(rest.and_then(|r| r.get("SseAwsKmsKeyId")))
                            .unwrap_or_else(|| am("glue"))
                    }
                    _ => Encryption::Unknown,
                },
            };
            if let Some(k) = s.and_then(|s| s.path(&["ConnectionPasswordEncryption", "KmsKeyId"])) {
                if let Some(e) = by_key(Some(k)) {
                    secondary.push(("connection_password".to_owned(), e));
                }
            }
            ("glue", None, e)
        }
        "AWS::Athena::WorkGroup" => {
            let cfg = rc.path(&[
                "WorkGroupConfiguration",
                "ResultConfiguration",
                "EncryptionConfiguration",
            ]);
            // Without a setting, query results take the default encryption of the output
            // bucket, which the work group does not name.
            let e = match cfg
                .and_then(|c| c.get("EncryptionOption"))
                .and_then(RVal::as_str)
            {
                Some("SSE_S3") => Encryption::AwsOwned,
                Some("SSE_KMS" | "CSE_KMS") => {
                    by_key(cfg.and_then(|c| c.get("KmsKey"))).unwrap_or(Encryption::Unknown)
                }
                _ => Encryption::Unknown,
            };
            ("athena", Some("Name"), e)
        }
        "AWS::Lambda::Function" => (
            "lambda",
            Some("FunctionName"),
            by_key(rc.get("KmsKeyArn")).unwrap_or_else(|| am("lambda")),
        ),
        "AWS::MSK::Cluster" => (
            "kafka",
            Some("ClusterName"),
            by_key(rc.path(&["EncryptionInfo", "EncryptionAtRest", "DataVolumeKMSKeyId"]))
                .unwrap_or_else(|| am("kafka")),
        ),
        "AWS::Timestream::Database" => (
            "timestream",
            Some("DatabaseName"),
            by_key(rc.get("KmsKeyId")).unwrap_or_else(|| am("timestream")),
        ),
        "AWS::SageMaker::NotebookInstance" | "AWS::SageMaker::EndpointConfig" => (
            "sagemaker",
            None,
            by_key(rc.get("KmsKeyId")).unwrap_or(Encryption::AwsOwned),
        ),
        "AWS::CloudTrail::Trail" => (
            "cloudtrail",
            Some("TrailName"),
            by_key(rc.get("KMSKeyId")).unwrap_or(Encryption::AwsOwned),
        ),
        "AWS::EKS::Cluster" => {
            let key = match rc.get("EncryptionConfig") {
                Some(RVal::List(items)) => items
                    .iter()
                    .find_map(|c| c.path(&["Provider", "KeyArn"]).cloned()),
                Some(other) => Some(other.to_unknown()),
                None => None,
            };
            (
                "eks",
                Some("Name"),
                by_key(key.as_ref()).unwrap_or(Encryption::AwsOwned),
            )
        }
        "AWS::Cassandra::Table" => {
            let spec = rc.get("EncryptionSpecification");
            let e = match spec
                .and_then(|s| s.get("EncryptionType"))
                .and_then(RVal::as_str)
            {
                Some("CUSTOMER_MANAGED_KMS_KEY") => {
                    by_key(spec.and_then(|s| s.get("KmsKeyIdentifier")))
                        .unwrap_or(Encryption::Unknown)
                }
                Some("AWS_OWNED_KMS_KEY") | None => Encryption::AwsOwned,
                Some(_) => Encryption::Unknown,
            };
            ("cassandra", Some("TableName"), e)
        }
        "AWS::FSx::FileSystem" => (
            "fsx",
            None,
            by_key(rc.get("KmsKeyId")).unwrap_or_else(|| am("fsx")),
        ),
        "AWS::KinesisVideo::Stream" => (
            "kinesisvideo",
            Some("Name"),
            by_key(rc.get("KmsKeyId")).unwrap_or_else(|| am("kinesisvideo")),
        ),
        "AWS::AmazonMQ::Broker" => {
            let opts = rc.get("EncryptionOptions");
            let e = match by_key(opts.and_then(|o| o.get("KmsKeyId"))) {
                Some(e) => e,
                None => match opts
                    .and_then(|o| o.get("UseAwsOwnedKey"))
                    .and_then(RVal::bool_val)
                {
                    Some(Val::Known(false)) => am("mq"),
                    Some(Val::Known(true)) | None => Encryption::AwsOwned,
                    Some(_) => Encryption::Unknown,
                },
            };
            ("mq", Some("BrokerName"), e)
        }
        "AWS::CodeArtifact::Domain" => (
            "codeartifact",
            Some("DomainName"),
            by_key(rc.get("EncryptionKey")).unwrap_or_else(|| am("codeartifact")),
        ),
        _ => return None,
    };
    // Properties that are unknown as a whole decide nothing about encryption.
    let encryption = if rc.opaque() {
        Encryption::Unknown
    } else {
        encryption
    };
    let name = name_key.map(|k| rc.own_name(k));
    let arn = match ty {
        "AWS::S3::Bucket"
        | "AWS::SQS::Queue"
        | "AWS::DynamoDB::Table"
        | "AWS::Lambda::Function"
        | "AWS::Logs::LogGroup"
        | "AWS::Kinesis::Stream" => Some(rc.own(Some("Arn"))),
        "AWS::SNS::Topic" => Some(rc.own(None)),
        _ => Some(Val::Unknown),
    };
    Some(DataStore {
        service: service.to_owned(),
        arn,
        name: name.flatten(),
        encryption,
        secondary,
    })
}

fn rds_secondary(rc: &ResCtx, pi_key: &str, out: &mut Vec<(String, Encryption)>) {
    if matches!(rc.flag("EnablePerformanceInsights"), Some(Val::Known(true)))
        || rc.get(pi_key).is_some()
    {
        out.push((
            "performance_insights".to_owned(),
            by_key(rc.get(pi_key)).unwrap_or_else(|| am("rds")),
        ));
    }
    if matches!(rc.flag("ManageMasterUserPassword"), Some(Val::Known(true))) {
        out.push((
            "master_user_secret".to_owned(),
            by_key(rc.path(&["MasterUserSecret", "KmsKeyId"]))
                .unwrap_or_else(|| am("secretsmanager")),
        ));
    }
}

fn s3(rc: &ResCtx) -> Encryption {
    let Some(cfg) = rc.path(&["BucketEncryption", "ServerSideEncryptionConfiguration"]) else {
        // SSE-S3 is the baseline for every bucket since 2023-01-05.
        return Encryption::AwsOwned;
    };
    let rule = match cfg {
        RVal::List(rules) => rules
            .iter()
            .find(|r| r.get("ServerSideEncryptionByDefault").is_some())
            .cloned(),
        RVal::Map(_) => Some(cfg.clone()),
        _ => return Encryption::Unknown,
    };
    let Some(rule) = rule else {
        return Encryption::AwsOwned;
    };
    let Some(def) = rule.get("ServerSideEncryptionByDefault") else {
        return Encryption::AwsOwned;
    };
    match def.get("SSEAlgorithm").and_then(RVal::as_str) {
        Some("AES256") => Encryption::AwsOwned,
        Some("aws:kms" | "aws:kms:dsse") => {
            by_key(def.get("KMSMasterKeyID")).unwrap_or_else(|| am("s3"))
        }
        _ => Encryption::Unknown,
    }
}

impl ResCtx<'_, '_> {
    /// The store's name: the name property when given, else the resource's `Ref` when known.
    fn own_name(&self, key: &str) -> Option<crate::model::VStr> {
        match self.vstr(key) {
            Some(v) => Some(v),
            None => Some(self.own(None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches() {
        let key = RVal::Str("alias/aws/rds".into());
        assert_eq!(
            switch(None, Some(&key), am("rds"), Encryption::None),
            am("rds")
        );
        assert_eq!(
            switch(Some(Val::Known(true)), None, am("rds"), Encryption::None),
            am("rds")
        );
        assert_eq!(
            switch(Some(Val::Unknown), None, am("rds"), Encryption::None),
            Encryption::Unknown
        );
        let either = RVal::either("C", RVal::Str("k".into()), RVal::NoValue);
        assert_eq!(
            switch(None, Some(&either), am("rds"), Encryption::None),
            Encryption::Unknown
        );
    }
}
