//! SAM policy templates (`Policies: [{SQSPollerPolicy: {QueueName: …}}]`).
//!
//! The statements are those the SAM translator generates (serverless-application-model,
//! `policy_templates.json`), written here in a compact form: each resource is an `Fn::Sub`
//! pattern whose `${Param}` variables are the template's parameters. Templates whose
//! statements grant neither KMS nor data-store actions are listed in [`NO_DATA_ACCESS`]: they
//! add nothing keyreach evaluates, so they are accepted and not expanded.

/// One statement of a policy template.
pub(crate) struct TStmt {
    pub actions: &'static [&'static str],
    /// `Fn::Sub` patterns (or `*`).
    pub resources: &'static [&'static str],
    /// An optional `StringEquals` condition: key and `Fn::Sub` pattern.
    pub condition: Option<(&'static str, &'static str)>,
}

/// A policy template.
pub(crate) struct Template {
    pub name: &'static str,
    pub params: &'static [&'static str],
    pub statements: &'static [TStmt],
}

const P: &str = "${AWS::Partition}";

macro_rules! arn {
    ($svc:literal, $rest:literal) => {
        concat!(
            "arn:${AWS::Partition}:",
            $svc,
            ":${AWS::Region}:${AWS::AccountId}:",
            $rest
        )
    };
}

const fn st(actions: &'static [&'static str], resources: &'static [&'static str]) -> TStmt {
    TStmt {
        actions,
        resources,
        condition: None,
    }
}

const S3_BUCKET: &str = "arn:${AWS::Partition}:s3:::${BucketName}";
const S3_OBJECTS: &str = "arn:${AWS::Partition}:s3:::${BucketName}/*";
const DDB_TABLE: &str = arn!("dynamodb", "table/${TableName}");
const DDB_INDEX: &str = arn!("dynamodb", "table/${TableName}/index/*");
const KMS_KEY: &str = arn!("kms", "key/${KeyId}");
const SQS_QUEUE: &str = arn!("sqs", "${QueueName}");
const KINESIS_STREAM: &str = arn!("kinesis", "stream/${StreamName}");
const FIREHOSE: &str = arn!("firehose", "deliverystream/${DeliveryStreamName}");
const SSM_READ: &[&str] = &[
    "ssm:GetParameters",
    "ssm:GetParameter",
    "ssm:GetParametersByPath",
];
const KINESIS_CRUD: &[&str] = &[
    "kinesis:AddTagsToStream",
    "kinesis:CreateStream",
    "kinesis:DecreaseStreamRetentionPeriod",
    "kinesis:DeleteStream",
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetShardIterator",
    "kinesis:IncreaseStreamRetentionPeriod",
    "kinesis:ListTagsForStream",
    "kinesis:MergeShards",
    "kinesis:PutRecord",
    "kinesis:PutRecords",
    "kinesis:SplitShard",
    "kinesis:RemoveTagsFromStream",
];

/// Templates keyreach expands.
pub(crate) static TEMPLATES: &[Template] = &[
    Template {
        name: "KMSDecryptPolicy",
        params: &["KeyId"],
        statements: &[st(&["kms:Decrypt"], &[KMS_KEY])],
    },
    Template {
        name: "KMSEncryptPolicy",
        params: &["KeyId"],
        statements: &[st(&["kms:Encrypt"], &[KMS_KEY])],
    },
    Template {
        name: "KMSEncryptPolicy_v2",
        params: &["KeyId"],
        statements: &[st(
            &[
                "kms:Encrypt",
                "kms:GenerateDataKey",
                "kms:GenerateDataKeyWithoutPlaintext",
                "kms:GenerateDataKeyPair",
                "kms:GenerateDataKeyPairWithoutPlaintext",
            ],
            &[KMS_KEY],
        )],
    },
    Template {
        name: "S3ReadPolicy",
        params: &["BucketName"],
        statements: &[st(
            &[
                "s3:GetObject",
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:GetObjectVersion",
                "s3:GetLifecycleConfiguration",
            ],
            &[S3_BUCKET, S3_OBJECTS],
        )],
    },
    Template {
        name: "S3WritePolicy",
        params: &["BucketName"],
        statements: &[st(
            &[
                "s3:PutObject",
                "s3:PutObjectAcl",
                "s3:PutLifecycleConfiguration",
            ],
            &[S3_BUCKET, S3_OBJECTS],
        )],
    },
    Template {
        name: "S3CrudPolicy",
        params: &["BucketName"],
        statements: &[st(
            &[
                "s3:GetObject",
                "s3:ListBucket",
                "s3:GetBucketLocation",
                "s3:GetObjectVersion",
                "s3:PutObject",
                "s3:PutObjectAcl",
                "s3:GetLifecycleConfiguration",
                "s3:PutLifecycleConfiguration",
                "s3:DeleteObject",
            ],
            &[S3_BUCKET, S3_OBJECTS],
        )],
    },
    Template {
        name: "S3FullAccessPolicy",
        params: &["BucketName"],
        statements: &[
            st(
                &[
                    "s3:GetObject",
                    "s3:GetObjectAcl",
                    "s3:GetObjectVersion",
                    "s3:PutObject",
                    "s3:PutObjectAcl",
                    "s3:DeleteObject",
                    "s3:DeleteObjectTagging",
                    "s3:DeleteObjectVersionTagging",
                    "s3:GetObjectTagging",
                    "s3:GetObjectVersionTagging",
                    "s3:PutObjectTagging",
                    "s3:PutObjectVersionTagging",
                ],
                &[S3_OBJECTS],
            ),
            st(
                &[
                    "s3:ListBucket",
                    "s3:GetBucketLocation",
                    "s3:GetLifecycleConfiguration",
                    "s3:PutLifecycleConfiguration",
                ],
                &[S3_BUCKET],
            ),
        ],
    },
    Template {
        name: "DynamoDBReadPolicy",
        params: &["TableName"],
        statements: &[st(
            &[
                "dynamodb:GetItem",
                "dynamodb:Scan",
                "dynamodb:Query",
                "dynamodb:BatchGetItem",
                "dynamodb:DescribeTable",
            ],
            &[DDB_TABLE, DDB_INDEX],
        )],
    },
    Template {
        name: "DynamoDBWritePolicy",
        params: &["TableName"],
        statements: &[st(
            &[
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:BatchWriteItem",
            ],
            &[DDB_TABLE, DDB_INDEX],
        )],
    },
    Template {
        name: "DynamoDBCrudPolicy",
        params: &["TableName"],
        statements: &[st(
            &[
                "dynamodb:GetItem",
                "dynamodb:DeleteItem",
                "dynamodb:PutItem",
                "dynamodb:Scan",
                "dynamodb:Query",
                "dynamodb:UpdateItem",
                "dynamodb:BatchWriteItem",
                "dynamodb:BatchGetItem",
                "dynamodb:DescribeTable",
                "dynamodb:ConditionCheckItem",
            ],
            &[DDB_TABLE, DDB_INDEX],
        )],
    },
    Template {
        name: "DynamoDBReconfigurePolicy",
        params: &["TableName"],
        statements: &[st(&["dynamodb:UpdateTable"], &[DDB_TABLE])],
    },
    Template {
        name: "DynamoDBStreamReadPolicy",
        params: &["TableName", "StreamName"],
        statements: &[
            st(
                &[
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                ],
                &[arn!("dynamodb", "table/${TableName}/stream/${StreamName}")],
            ),
            st(
                &["dynamodb:ListStreams"],
                &[arn!("dynamodb", "table/${TableName}/stream/*")],
            ),
        ],
    },
    Template {
        name: "DynamoDBBackupFullAccessPolicy",
        params: &["TableName"],
        statements: &[
            st(
                &[
                    "dynamodb:CreateBackup",
                    "dynamodb:DescribeContinuousBackups",
                ],
                &[DDB_TABLE],
            ),
            st(
                &[
                    "dynamodb:DeleteBackup",
                    "dynamodb:DescribeBackup",
                    "dynamodb:ListBackups",
                ],
                &[arn!("dynamodb", "table/${TableName}/backup/*")],
            ),
        ],
    },
    Template {
        name: "DynamoDBRestoreFromBackupPolicy",
        params: &["TableName"],
        statements: &[
            st(
                &["dynamodb:RestoreTableFromBackup"],
                &[arn!("dynamodb", "table/${TableName}/backup/*")],
            ),
            st(
                &[
                    "dynamodb:PutItem",
                    "dynamodb:UpdateItem",
                    "dynamodb:DeleteItem",
                    "dynamodb:GetItem",
                    "dynamodb:Query",
                    "dynamodb:Scan",
                    "dynamodb:BatchWriteItem",
                ],
                &[DDB_TABLE],
            ),
        ],
    },
    Template {
        name: "SQSPollerPolicy",
        params: &["QueueName"],
        statements: &[st(
            &[
                "sqs:ChangeMessageVisibility",
                "sqs:ChangeMessageVisibilityBatch",
                "sqs:DeleteMessage",
                "sqs:DeleteMessageBatch",
                "sqs:GetQueueAttributes",
                "sqs:ReceiveMessage",
            ],
            &[SQS_QUEUE],
        )],
    },
    Template {
        name: "SQSSendMessagePolicy",
        params: &["QueueName"],
        statements: &[st(&["sqs:SendMessage*"], &[SQS_QUEUE])],
    },
    Template {
        name: "SNSPublishMessagePolicy",
        params: &["TopicName"],
        statements: &[st(&["sns:Publish"], &[arn!("sns", "${TopicName}")])],
    },
    Template {
        name: "SNSCrudPolicy",
        params: &["TopicName"],
        statements: &[st(
            &[
                "sns:ListSubscriptionsByTopic",
                "sns:CreateTopic",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:Publish",
            ],
            &[arn!("sns", "${TopicName}*")],
        )],
    },
    Template {
        name: "KinesisStreamReadPolicy",
        params: &["StreamName"],
        statements: &[
            st(
                &["kinesis:ListStreams", "kinesis:DescribeLimits"],
                &[arn!("kinesis", "stream/*")],
            ),
            st(
                &[
                    "kinesis:DescribeStream",
                    "kinesis:DescribeStreamSummary",
                    "kinesis:GetRecords",
                    "kinesis:GetShardIterator",
                ],
                &[KINESIS_STREAM],
            ),
        ],
    },
    Template {
        name: "KinesisCrudPolicy",
        params: &["StreamName"],
        statements: &[st(KINESIS_CRUD, &[KINESIS_STREAM])],
    },
    Template {
        name: "FirehoseWritePolicy",
        params: &["DeliveryStreamName"],
        statements: &[st(
            &["firehose:PutRecord", "firehose:PutRecordBatch"],
            &[FIREHOSE],
        )],
    },
    Template {
        name: "FirehoseCrudPolicy",
        params: &["DeliveryStreamName"],
        statements: &[st(
            &[
                "firehose:CreateDeliveryStream",
                "firehose:DeleteDeliveryStream",
                "firehose:DescribeDeliveryStream",
                "firehose:PutRecord",
                "firehose:PutRecordBatch",
                "firehose:UpdateDestination",
            ],
            &[FIREHOSE],
        )],
    },
    Template {
        name: "AWSSecretsManagerGetSecretValuePolicy",
        params: &["SecretArn"],
        statements: &[st(&["secretsmanager:GetSecretValue"], &["${SecretArn}"])],
    },
    Template {
        name: "AWSSecretsManagerRotationPolicy",
        params: &["FunctionName"],
        statements: &[
            TStmt {
                actions: &[
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:GetSecretValue",
                    "secretsmanager:PutSecretValue",
                    "secretsmanager:UpdateSecretVersionStage",
                ],
                resources: &[arn!("secretsmanager", "secret:*")],
                condition: Some((
                    "secretsmanager:resource/AllowRotationLambdaArn",
                    arn!("lambda", "function:${FunctionName}"),
                )),
            },
            st(&["secretsmanager:GetRandomPassword"], &["*"]),
        ],
    },
    Template {
        name: "SSMParameterReadPolicy",
        params: &["ParameterName"],
        statements: &[
            st(&["ssm:DescribeParameters"], &["*"]),
            st(SSM_READ, &[arn!("ssm", "parameter/${ParameterName}")]),
        ],
    },
    Template {
        name: "SSMParameterWithSlashPrefixReadPolicy",
        params: &["ParameterName"],
        statements: &[
            st(&["ssm:DescribeParameters"], &["*"]),
            st(SSM_READ, &[arn!("ssm", "parameter${ParameterName}")]),
        ],
    },
    Template {
        name: "EFSWriteAccessPolicy",
        params: &["FileSystem", "AccessPoint"],
        statements: &[TStmt {
            actions: &[
                "elasticfilesystem:ClientMount",
                "elasticfilesystem:ClientWrite",
            ],
            resources: &[arn!("elasticfilesystem", "file-system/${FileSystem}")],
            condition: Some((
                "elasticfilesystem:AccessPointArn",
                arn!("elasticfilesystem", "access-point/${AccessPoint}"),
            )),
        }],
    },
    Template {
        name: "FilterLogEventsPolicy",
        params: &["LogGroupName"],
        statements: &[st(
            &["logs:FilterLogEvents"],
            &[arn!("logs", "log-group:${LogGroupName}:log-stream:*")],
        )],
    },
    Template {
        name: "ElasticsearchHttpPostPolicy",
        params: &["DomainName"],
        statements: &[st(
            &["es:ESHttpPost", "es:ESHttpPut"],
            &[arn!("es", "domain/${DomainName}/*")],
        )],
    },
    Template {
        name: "LambdaInvokePolicy",
        params: &["FunctionName"],
        statements: &[st(
            &["lambda:InvokeFunction"],
            &[arn!("lambda", "function:${FunctionName}*")],
        )],
    },
    Template {
        name: "StepFunctionsExecutionPolicy",
        params: &["StateMachineName"],
        statements: &[st(
            &["states:StartExecution"],
            &[arn!("states", "stateMachine:${StateMachineName}")],
        )],
    },
    Template {
        name: "EventBridgePutEventsPolicy",
        params: &["EventBusName"],
        statements: &[st(
            &["events:PutEvents"],
            &[arn!("events", "event-bus/${EventBusName}")],
        )],
    },
    Template {
        name: "AthenaQueryPolicy",
        params: &["WorkGroupName"],
        statements: &[
            st(
                &[
                    "athena:ListWorkGroups",
                    "athena:GetExecutionEngine",
                    "athena:GetExecutionEngines",
                    "athena:GetNamespace",
                    "athena:GetCatalogs",
                    "athena:GetNamespaces",
                    "athena:GetTables",
                    "athena:GetTable",
                ],
                &["*"],
            ),
            st(
                &[
                    "athena:StartQueryExecution",
                    "athena:GetQueryResults",
                    "athena:DeleteNamedQuery",
                    "athena:GetNamedQuery",
                    "athena:ListQueryExecutions",
                    "athena:StopQueryExecution",
                    "athena:GetQueryResultsStream",
                    "athena:ListNamedQueries",
                    "athena:CreateNamedQuery",
                    "athena:GetQueryExecution",
                    "athena:BatchGetNamedQuery",
                    "athena:BatchGetQueryExecution",
                    "athena:GetWorkGroup",
                ],
                &[arn!("athena", "workgroup/${WorkGroupName}")],
            ),
        ],
    },
];

/// Templates whose statements grant no KMS or data-store action keyreach evaluates.
pub(crate) static NO_DATA_ACCESS: &[&str] = &[
    "AMIDescribePolicy",
    "AcmGetCertificatePolicy",
    "CloudFormationDescribeStacksPolicy",
    "CloudWatchDashboardPolicy",
    "CloudWatchDescribeAlarmHistoryPolicy",
    "CloudWatchPutMetricPolicy",
    "CodeCommitCrudPolicy",
    "CodeCommitReadPolicy",
    "CodePipelineLambdaExecutionPolicy",
    "CodePipelineReadOnlyPolicy",
    "ComprehendBasicAccessPolicy",
    "CostExplorerReadOnlyPolicy",
    "EC2CopyImagePolicy",
    "EC2DescribePolicy",
    "EKSDescribePolicy",
    "EcsRunTaskPolicy",
    "ElasticMapReduceAddJobFlowStepsPolicy",
    "ElasticMapReduceCancelStepsPolicy",
    "ElasticMapReduceModifyInstanceFleetPolicy",
    "ElasticMapReduceModifyInstanceGroupsPolicy",
    "ElasticMapReduceSetTerminationProtectionPolicy",
    "ElasticMapReduceTerminateJobFlowsPolicy",
    "MobileAnalyticsWriteOnlyAccessPolicy",
    "OrganizationsListAccountsPolicy",
    "PinpointEndpointAccessPolicy",
    "PollyFullAccessPolicy",
    "RekognitionDetectOnlyPolicy",
    "RekognitionFacesManagementPolicy",
    "RekognitionFacesPolicy",
    "RekognitionLabelsPolicy",
    "RekognitionNoDataAccessPolicy",
    "RekognitionReadPolicy",
    "RekognitionWriteOnlyAccessPolicy",
    "Route53ChangeResourceRecordSetsPolicy",
    "SESBulkTemplatedCrudPolicy",
    "SESBulkTemplatedCrudPolicy_v2",
    "SESCrudPolicy",
    "SESEmailTemplateCrudPolicy",
    "SESSendBouncePolicy",
    "SageMakerCreateEndpointConfigPolicy",
    "SageMakerCreateEndpointPolicy",
    "ServerlessRepoReadWriteAccessPolicy",
    "StepFunctionsCallbackPolicy",
    "StepFunctionsExecutionPolicy_v2",
    "TextractDetectAnalyzePolicy",
    "TextractGetResultPolicy",
    "TextractPolicy",
    "VPCAccessPolicy",
];

/// The template named `name`.
#[must_use]
pub(crate) fn find(name: &str) -> Option<&'static Template> {
    TEMPLATES.iter().find(|t| t.name == name)
}

/// `arn:${AWS::Partition}:iam::aws:policy/<path><name>` for an AWS managed policy name.
#[must_use]
pub(crate) fn managed_policy_arn(name: &str) -> String {
    // AWS managed policies that live under a path (SAM's managed policy map).
    const SERVICE_ROLE: &[&str] = &[
        "AWSLambdaBasicExecutionRole",
        "AWSLambdaVPCAccessExecutionRole",
        "AWSLambdaKinesisExecutionRole",
        "AWSLambdaDynamoDBExecutionRole",
        "AWSLambdaSQSQueueExecutionRole",
        "AWSLambdaMSKExecutionRole",
        "AWSLambdaRole",
        "AWSLambdaENIManagementAccess",
        "AWSConfigRulesExecutionRole",
        "AWSLambdaReplicator",
    ];
    let path = if SERVICE_ROLE.contains(&name) {
        "service-role/"
    } else {
        ""
    };
    format!("arn:{P}:iam::aws:policy/{path}{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_params_used() {
        let mut names: Vec<&str> = TEMPLATES.iter().map(|t| t.name).collect();
        names.extend(NO_DATA_ACCESS);
        let n = names.len();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), n, "a template is listed twice");
        for t in TEMPLATES {
            for p in t.params {
                let used = t.statements.iter().any(|s| {
                    s.resources.iter().any(|r| r.contains(&format!("${{{p}}}")))
                        || s.condition
                            .is_some_and(|(_, v)| v.contains(&format!("${{{p}}}")))
                });
                assert!(used, "{} does not use {p}", t.name);
            }
        }
    }
}
