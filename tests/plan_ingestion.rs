//! Terraform plan JSON ingestion: the model built from the plans under `testdata/plans/`.

use keyreach::model::{
    Change, Effect, Encryption, Kind, Parsed, PolicyDocument, PrincipalType, Principals, Reference,
    Resource, VStr, Val,
};
use keyreach::parse::{tf_plan, LoadOptions};
use std::collections::BTreeMap;
use std::path::Path;

const ACCOUNT: &str = "111122223333";

fn load(name: &str) -> Parsed {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/plans")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("fixture readable");
    tf_plan::parse(
        &format!("testdata/plans/{name}"),
        &text,
        &LoadOptions::default(),
    )
    .unwrap_or_else(|e| panic!("{name} parses: {e}"))
}

fn get<'a>(p: &'a Parsed, id: &str) -> &'a Resource {
    p.resources
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("resource {id} in {:?}", ids(&p.resources)))
}

fn ids(rs: &[Resource]) -> Vec<&str> {
    let mut v: Vec<&str> = rs.iter().map(|r| r.id.as_str()).collect();
    v.sort_unstable();
    v
}

fn r(target: &str, attribute: Option<&str>) -> Reference {
    Reference::new(target, attribute)
}

fn store_encryption(p: &Parsed, id: &str) -> Encryption {
    match &get(p, id).kind {
        Kind::DataStore(s) => s.encryption.clone(),
        Kind::StoreEncryption(s) => s.encryption.clone(),
        other => panic!("{id} is not a store: {other:?}"),
    }
}

fn kms_ref(refs: &[(&str, Option<&str>)]) -> Encryption {
    Encryption::Kms(Val::Ref(refs.iter().map(|(t, a)| r(t, *a)).collect()))
}

fn known_doc(v: &Val<PolicyDocument>) -> &PolicyDocument {
    match v {
        Val::Known(d) => d,
        other => panic!("expected a known document, got {other:?}"),
    }
}

fn principal_ids(s: &keyreach::model::Statement) -> Vec<(PrincipalType, VStr)> {
    match &s.principal {
        Some(Principals::Map(m)) => m.clone(),
        other => panic!("expected a principal map, got {other:?}"),
    }
}

#[test]
fn modules_resolve_references_through_variables_outputs_and_instance_keys() {
    let p = load("modules.json");
    // Nested child modules (module.orders.module.bucket) with the key passed down twice
    // through module variables.
    let sse = "module.orders.module.bucket.aws_s3_bucket_server_side_encryption_configuration.this";
    assert_eq!(
        store_encryption(&p, sse),
        kms_ref(&[("aws_kms_key.orders", Some("arn"))])
    );
    let Kind::StoreEncryption(s) = &get(&p, sse).kind else {
        panic!("store encryption");
    };
    assert_eq!(s.store, Val::Known("orders-data".into()));
    let Kind::Alias(a) = &get(&p, "module.orders.aws_kms_alias.this").kind else {
        panic!("alias");
    };
    assert_eq!(
        a.target_key,
        Val::Ref(vec![r("aws_kms_key.orders", Some("arn"))])
    );
    // Through a module output.
    assert_eq!(
        store_encryption(&p, "aws_sqs_queue.events"),
        kms_ref(&[("module.kms.aws_kms_key.this", Some("arn"))])
    );
    // for_each: the instance with the same key.
    assert_eq!(
        store_encryption(&p, r#"aws_dynamodb_table.t["orders"]"#),
        kms_ref(&[(r#"aws_kms_key.domain["orders"]"#, None)])
    );
    assert_eq!(
        store_encryption(&p, r#"aws_dynamodb_table.t["billing"]"#),
        kms_ref(&[(r#"aws_kms_key.domain["billing"]"#, None)])
    );
    // count: the indexed instance; no key to match: every instance is a candidate.
    assert_eq!(
        store_encryption(&p, "aws_sns_topic.n"),
        kms_ref(&[("aws_kms_key.k[1]", Some("arn"))])
    );
    assert_eq!(
        store_encryption(&p, "aws_sns_topic.ambiguous"),
        kms_ref(&[
            (r#"aws_kms_key.domain["billing"]"#, None),
            (r#"aws_kms_key.domain["orders"]"#, None)
        ])
    );
    // Locals are not in the plan: unknown, never absent.
    assert_eq!(
        store_encryption(&p, "aws_sns_topic.local"),
        Encryption::Kms(Val::Unknown)
    );
    // A keyed module instance's output.
    assert_eq!(
        store_encryption(&p, "aws_sqs_queue.team_a"),
        kms_ref(&[(r#"module.team["a"].aws_kms_key.this"#, Some("arn"))])
    );
    // kms_key_id set from a module variable nobody passes (default null): computed by the
    // provider, so the encrypted instance uses the AWS managed key.
    assert_eq!(
        store_encryption(&p, "module.orders.module.bucket.aws_db_instance.db"),
        Encryption::AwsManaged("aws/rds".into())
    );
    // Keys without a policy argument have the default key policy; their ARN is unknown.
    for id in [
        "aws_kms_key.orders",
        "module.kms.aws_kms_key.this",
        r#"module.team["b"].aws_kms_key.this"#,
    ] {
        let Kind::Key(k) = &get(&p, id).kind else {
            panic!("{id} is a key");
        };
        assert_eq!(k.policy, None, "{id}");
        assert_eq!(k.arn, Some(Val::Unknown), "{id}");
    }
    assert_eq!(
        get(&p, "aws_kms_key.orders").tags,
        Val::Known(BTreeMap::from([("DataDomain".into(), "orders".into())]))
    );
    let loc = &get(&p, r#"aws_kms_key.domain["orders"]"#).location;
    assert_eq!(loc.file, "testdata/plans/modules.json");
    assert!(loc
        .pointer
        .as_deref()
        .is_some_and(|p| p.starts_with("/resource_changes/")));
    assert_eq!(p.region.as_deref(), Some("eu-west-1"));
    assert_eq!(p.resources.len(), 19);
}

#[test]
fn unknown_values_stay_unknown_and_link_through_configuration() {
    let p = load("unknown_values.json");
    let key = |id: &str| match &get(&p, id).kind {
        Kind::Key(k) => k.clone(),
        other => panic!("{id}: {other:?}"),
    };
    // The key policy is a deferred policy document: rebuilt and substituted, with the
    // admin role (created in the same plan) kept as a reference.
    let app = key("aws_kms_key.app");
    let doc = known_doc(app.policy.as_ref().expect("policy set"));
    assert_eq!(doc.statements.len(), 2);
    assert_eq!(doc.statements[1].sid.as_deref(), Some("Admin"));
    assert_eq!(
        principal_ids(&doc.statements[1]),
        vec![(
            PrincipalType::Aws,
            Val::Ref(vec![r("aws_iam_role.admin", Some("arn"))])
        )]
    );
    assert_eq!(
        doc.statements[1]
            .location
            .as_ref()
            .and_then(|l| l.pointer.as_deref()),
        Some("/resource_changes/1/change/after/statement/1")
    );
    assert_eq!(app.arn, Some(Val::Unknown));
    assert_eq!(key("aws_kms_key.defaulted").policy, None);
    assert_eq!(key("aws_kms_key.opaque").policy, Some(Val::Unknown));
    assert_eq!(
        key("aws_kms_key.jsonencoded").policy,
        Some(Val::Ref(vec![r("aws_iam_role.admin", Some("arn"))]))
    );

    let Kind::Alias(a) = &get(&p, "aws_kms_alias.app").kind else {
        panic!("alias");
    };
    assert_eq!(
        a.target_key,
        Val::Ref(vec![r("aws_kms_key.app", Some("key_id"))])
    );
    let Kind::Grant(g) = &get(&p, "aws_kms_grant.reader").kind else {
        panic!("grant");
    };
    assert_eq!(g.key, Val::Ref(vec![r("aws_kms_key.app", Some("key_id"))]));
    assert_eq!(
        g.grantee,
        Val::Ref(vec![r("aws_iam_role.admin", Some("arn"))])
    );
    assert_eq!(
        g.operations,
        Val::Known(vec!["Decrypt".to_owned(), "Encrypt".to_owned()])
    );
    assert_eq!(
        g.constraints[0].equals,
        Some(BTreeMap::from([("Domain".into(), "app".into())]))
    );
    let Kind::InlinePolicy(ip) = &get(&p, "aws_iam_role_policy.reader").kind else {
        panic!("inline policy");
    };
    assert_eq!(
        ip.document,
        Val::Ref(vec![r("aws_kms_key.app", Some("arn"))])
    );
    assert_eq!(ip.attached.roles, vec![Val::Known("app-admin".to_owned())]);
    let Kind::Role(role) = &get(&p, "aws_iam_role.admin").kind else {
        panic!("role");
    };
    assert_eq!(role.arn, Some(Val::Unknown));
    assert_eq!(role.managed_policy_arns, Val::Known(Vec::new()));
    assert!(role.inline_policies.is_empty());

    // Tags: unknown tags are unknown; known tags merge over the provider's default tags.
    assert_eq!(get(&p, "aws_s3_bucket.tags_unknown").tags, Val::Unknown);
    assert_eq!(
        get(&p, "aws_s3_bucket.tags_merged").tags,
        Val::Known(BTreeMap::from([
            ("DataDomain".into(), "app".into()),
            ("team".into(), "platform".into())
        ]))
    );
    // Encryption switches.
    assert_eq!(store_encryption(&p, "aws_sqs_queue.off"), Encryption::None);
    assert_eq!(
        store_encryption(&p, "aws_sqs_queue.switch_unknown"),
        Encryption::Unknown
    );
    assert_eq!(
        store_encryption(&p, "aws_rds_cluster.c"),
        Encryption::Unknown
    );
    assert_eq!(
        store_encryption(&p, "aws_ssm_parameter.flag"),
        Encryption::None
    );
    assert!(p.resources.iter().all(|r| r.change == Change::Create
        || r.id.starts_with("data.") && r.change == Change::DeferredRead));
}

#[test]
fn deferred_policy_documents_are_rebuilt_from_their_arguments() {
    let p = load("deferred_policy_documents.json");
    let doc = |id: &str| match &get(&p, id).kind {
        Kind::PolicyDocument(d) => known_doc(&d.document).clone(),
        other => panic!("{id}: {other:?}"),
    };
    let base = doc("data.aws_iam_policy_document.base");
    assert_eq!(
        get(&p, "data.aws_iam_policy_document.base").change,
        Change::DeferredRead
    );
    assert_eq!(base.id.as_deref(), Some("base"));
    assert_eq!(base.version.as_deref(), Some("2012-10-17"));
    assert!(!base.incomplete);
    assert_eq!(
        base.statements[0].resource,
        Some(vec![Val::Ref(vec![r("aws_s3_bucket.b", Some("arn"))])])
    );
    let deny = &base.statements[1];
    assert_eq!(deny.effect, Effect::Deny);
    // Principal type "*" renders "Principal": "*".
    assert_eq!(deny.principal, Some(Principals::Any));
    // Condition blocks with the same test and variable merge their values.
    assert_eq!(deny.conditions.len(), 1);
    assert_eq!(
        deny.conditions[0].values,
        vec![
            Val::Known(ACCOUNT.to_owned()),
            Val::Known("444455556666".to_owned())
        ]
    );

    // Source documents first, own statements next, override documents replace by Sid.
    let combined = doc("data.aws_iam_policy_document.combined");
    let sids: Vec<_> = combined
        .statements
        .iter()
        .map(|s| s.sid.clone().unwrap_or_default())
        .collect();
    assert_eq!(sids, ["Base", "DenyOthers", "Writer"]);
    assert_eq!(
        combined.statements[1].action,
        Some(vec![Val::Known("s3:DeleteObject".to_owned())])
    );
    assert_eq!(
        principal_ids(&combined.statements[2]),
        vec![(
            PrincipalType::Aws,
            Val::Ref(vec![r("aws_iam_role.writer", Some("arn"))])
        )]
    );
    assert!(!combined.incomplete);
    assert_eq!(
        combined
            .statements
            .iter()
            .map(|s| s.index)
            .collect::<Vec<_>>(),
        [0, 1, 2]
    );

    // A statement list unknown as a whole: the static blocks of the configuration, and the
    // document says it may hold more.
    let dynamic = doc("data.aws_iam_policy_document.dynamic");
    assert!(dynamic.incomplete);
    assert_eq!(dynamic.statements.len(), 1);
    assert_eq!(dynamic.statements[0].sid.as_deref(), Some("Static"));
    assert_eq!(dynamic.statements[0].not_principal, None);

    // Unknown policies referencing a document of the plan get the rebuilt document.
    let Kind::Role(app) = &get(&p, "aws_iam_role.app").kind else {
        panic!("role");
    };
    assert_eq!(app.trust_policy.as_ref().map(known_doc), Some(&combined));
    let Kind::ManagedPolicy(dyn_policy) = &get(&p, "aws_iam_policy.dyn").kind else {
        panic!("managed policy");
    };
    assert!(known_doc(&dyn_policy.document).incomplete);
}

#[test]
fn every_store_type_maps_its_encryption() {
    let p = load("stores.json");
    let key = "arn:aws:kms:eu-west-1:111122223333:key/11111111-2222-3333-4444-555555555555";
    let cmk = || Encryption::Kms(Val::Known(key.to_owned()));
    let by_ref = || kms_ref(&[("aws_kms_key.store", Some("arn"))]);
    let managed = |s: &str| Encryption::AwsManaged(format!("aws/{s}"));
    let cases: Vec<(&str, &str, Encryption)> = vec![
        ("aws_s3_bucket.default", "s3", Encryption::AwsOwned),
        ("aws_s3_bucket.legacy_kms", "s3", cmk()),
        ("aws_s3_bucket.legacy_managed", "s3", managed("s3")),
        ("aws_s3_object.obj", "s3", by_ref()),
        ("aws_db_instance.plain", "rds", Encryption::None),
        // Restored from a snapshot: the snapshot's encryption, which the plan does not show.
        ("aws_db_instance.restored", "rds", Encryption::Unknown),
        ("aws_rds_cluster.restored", "rds", Encryption::Unknown),
        ("aws_ebs_volume.from_snapshot", "ec2", Encryption::Unknown),
        ("aws_db_instance.managed", "rds", managed("rds")),
        ("aws_db_instance.cmk", "rds", by_ref()),
        ("aws_rds_cluster.serverless", "rds", managed("rds")),
        ("aws_rds_cluster.provisioned", "rds", Encryption::None),
        ("aws_docdb_cluster.doc", "rds", managed("rds")),
        ("aws_neptune_cluster.nep", "rds", cmk()),
        ("aws_dynamodb_table.owned", "dynamodb", Encryption::AwsOwned),
        (
            "aws_dynamodb_table.managed",
            "dynamodb",
            managed("dynamodb"),
        ),
        ("aws_sqs_queue.owned", "sqs", Encryption::AwsOwned),
        ("aws_sqs_queue.managed", "sqs", managed("sqs")),
        ("aws_sns_topic.plain", "sns", Encryption::None),
        ("aws_sns_topic.cmk", "sns", cmk()),
        ("aws_ebs_volume.plain", "ec2", Encryption::None),
        ("aws_ebs_volume.managed", "ec2", managed("ebs")),
        ("aws_instance.web", "ec2", cmk()),
        (
            "aws_efs_file_system.fs",
            "elasticfilesystem",
            managed("elasticfilesystem"),
        ),
        (
            "aws_secretsmanager_secret.default",
            "secretsmanager",
            managed("secretsmanager"),
        ),
        ("aws_secretsmanager_secret.cmk", "secretsmanager", by_ref()),
        ("aws_ssm_parameter.secure", "ssm", managed("ssm")),
        ("aws_ssm_parameter.plain", "ssm", Encryption::None),
        ("aws_kinesis_stream.plain", "kinesis", Encryption::None),
        ("aws_kinesis_stream.managed", "kinesis", managed("kinesis")),
        (
            "aws_kinesis_firehose_delivery_stream.cmk",
            "firehose",
            cmk(),
        ),
        (
            "aws_kinesis_firehose_delivery_stream.plain",
            "firehose",
            Encryption::None,
        ),
        (
            "aws_cloudwatch_log_group.plain",
            "logs",
            Encryption::AwsOwned,
        ),
        ("aws_cloudwatch_log_group.cmk", "logs", by_ref()),
        ("aws_redshift_cluster.rs", "redshift", managed("redshift")),
        (
            "aws_redshiftserverless_namespace.ns",
            "redshift-serverless",
            Encryption::AwsOwned,
        ),
        (
            "aws_elasticache_replication_group.redis",
            "elasticache",
            Encryption::None,
        ),
        (
            "aws_elasticache_replication_group.valkey",
            "elasticache",
            Encryption::AwsOwned,
        ),
        (
            "aws_elasticache_serverless_cache.sc",
            "elasticache",
            Encryption::AwsOwned,
        ),
        ("aws_opensearch_domain.os", "es", managed("es")),
        ("aws_elasticsearch_domain.es", "es", Encryption::None),
        ("aws_backup_vault.bv", "backup", managed("backup")),
        ("aws_ecr_repository.repo", "ecr", managed("ecr")),
        ("aws_lambda_function.fn", "lambda", managed("lambda")),
        ("aws_msk_cluster.msk", "kafka", cmk()),
        (
            "aws_timestreamwrite_database.ts",
            "timestream",
            managed("timestream"),
        ),
        (
            "aws_sagemaker_notebook_instance.nb",
            "sagemaker",
            Encryption::AwsOwned,
        ),
        ("aws_cloudtrail.trail", "cloudtrail", by_ref()),
        ("aws_eks_cluster.eks", "eks", cmk()),
        (
            "aws_glue_data_catalog_encryption_settings.glue",
            "glue",
            cmk(),
        ),
        ("aws_athena_workgroup.wg", "athena", cmk()),
        ("aws_memorydb_cluster.mem", "memorydb", Encryption::AwsOwned),
        ("aws_mq_broker.mq", "mq", managed("mq")),
    ];
    for (id, service, expected) in &cases {
        let Kind::DataStore(s) = &get(&p, id).kind else {
            panic!("{id} is a data store");
        };
        assert_eq!(&s.service, service, "{id}");
        assert_eq!(&s.encryption, expected, "{id}");
    }
    // Separate S3 encryption resources point at their bucket.
    assert_eq!(
        store_encryption(&p, "aws_s3_bucket_server_side_encryption_configuration.aes"),
        Encryption::AwsOwned
    );
    assert_eq!(
        store_encryption(
            &p,
            "aws_s3_bucket_server_side_encryption_configuration.alias"
        ),
        managed("s3")
    );
    // Secondary encryption.
    let secondary = |id: &str| match &get(&p, id).kind {
        Kind::DataStore(s) => s.secondary.clone(),
        other => panic!("{id}: {other:?}"),
    };
    assert_eq!(
        secondary("aws_db_instance.managed"),
        vec![
            ("performance_insights".to_owned(), managed("rds")),
            ("master_user_secret".to_owned(), managed("secretsmanager"))
        ]
    );
    assert_eq!(
        secondary("aws_dynamodb_table.managed"),
        vec![("replica:eu-central-1".to_owned(), cmk())]
    );
    assert_eq!(
        secondary("aws_instance.web"),
        vec![("ebs_block_device:/dev/sdf".to_owned(), Encryption::None)]
    );
    assert_eq!(
        secondary("aws_secretsmanager_secret.cmk"),
        vec![("replica:eu-central-1".to_owned(), managed("secretsmanager"))]
    );
    // Every store of the fixture is covered above.
    let stores = p
        .resources
        .iter()
        .filter(|r| matches!(r.kind, Kind::DataStore(_)))
        .count();
    assert_eq!(stores, cases.len());
    assert_eq!(p.account_id.as_deref(), Some(ACCOUNT));
}

#[test]
fn deleted_and_deposed_objects_are_only_in_the_prior_estate() {
    let p = load("lifecycle.json");
    assert_eq!(
        ids(&p.resources),
        [
            "aws_iam_role.rotating",
            "aws_kms_key.replaced",
            "aws_s3_bucket.kept",
            "aws_sns_topic.odd",
            "aws_sqs_queue.planned_only",
            "data.aws_caller_identity.current",
            "data.aws_iam_policy_document.read_at_plan",
        ]
    );
    assert_eq!(
        ids(&p.prior),
        [
            "aws_kms_key.forgotten",
            "aws_kms_key.old",
            "aws_kms_key.replaced",
            "aws_s3_bucket.kept",
            "data.aws_caller_identity.current",
            "data.aws_iam_policy_document.read_at_plan",
        ]
    );
    let prior = |id: &str| {
        p.prior
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("{id} in prior"))
    };
    assert_eq!(prior("aws_kms_key.old").change, Change::Delete);
    assert_eq!(prior("aws_kms_key.replaced").change, Change::Replace);
    assert_eq!(get(&p, "aws_kms_key.replaced").change, Change::Replace);
    // The prior key keeps its old spec, the new one has the planned spec.
    let spec = |r: &Resource| match &r.kind {
        Kind::Key(k) => k.key_spec.clone(),
        _ => None,
    };
    assert_eq!(
        spec(prior("aws_kms_key.replaced")).as_deref(),
        Some("SYMMETRIC_DEFAULT")
    );
    assert_eq!(
        spec(get(&p, "aws_kms_key.replaced")).as_deref(),
        Some("RSA_2048")
    );
    assert_eq!(
        prior("aws_s3_bucket.kept").location.pointer.as_deref(),
        Some("/prior_state/values/root_module/resources/2")
    );
    assert_eq!(
        get(&p, "data.aws_caller_identity.current").change,
        Change::Read
    );
    assert_eq!(p.account_id.as_deref(), Some(ACCOUNT));
    // A data source read during planning is parsed from its `json`.
    let Kind::PolicyDocument(d) = &get(&p, "data.aws_iam_policy_document.read_at_plan").kind else {
        panic!("policy document");
    };
    assert_eq!(
        known_doc(&d.document).statements[0].sid.as_deref(),
        Some("Read")
    );
    // Known only from planned_values: an omitted attribute with a configured reference is
    // unknown until apply.
    assert_eq!(get(&p, "aws_sqs_queue.planned_only").change, Change::Create);
    assert_eq!(
        store_encryption(&p, "aws_sqs_queue.planned_only"),
        kms_ref(&[("aws_kms_key.replaced", None)])
    );
    assert_eq!(get(&p, "aws_sns_topic.odd").change, Change::Update);
    assert_eq!(p.notes.len(), 1);
    assert!(p.notes[0].message.contains("frobnicate"));
}

#[test]
fn synthetic_plans_link_every_store_to_its_domain_key() {
    let text = keyreach::synth::plan(6);
    let p = tf_plan::parse("synthetic.json", &text, &LoadOptions::default()).expect("parses");
    // Every domain, plus data.aws_caller_identity.current.
    assert_eq!(
        p.resources.len(),
        6 * keyreach::synth::RESOURCES_PER_DOMAIN + 1
    );
    assert_eq!(p.account_id.as_deref(), Some(ACCOUNT));
    // Domain 0 is being created: its stores reach the key through configuration only.
    let new_key = r#"module.domain["d00000"].aws_kms_key.this"#;
    assert_eq!(
        store_encryption(&p, r#"module.domain["d00000"].aws_dynamodb_table.this"#),
        kms_ref(&[(new_key, Some("arn"))])
    );
    assert_eq!(
        store_encryption(
            &p,
            r#"module.domain["d00000"].aws_s3_bucket_server_side_encryption_configuration.this"#
        ),
        kms_ref(&[(new_key, Some("arn"))])
    );
    // Domain 1 exists: known ARNs.
    let Encryption::Kms(Val::Known(arn)) =
        store_encryption(&p, r#"module.domain["d00001"].aws_dynamodb_table.this"#)
    else {
        panic!("known key ARN");
    };
    assert!(arn.starts_with("arn:aws:kms:eu-west-1:111122223333:key/"));
    // The inline policies of new roles come from the deferred policy document.
    let Kind::InlinePolicy(ip) =
        &get(&p, r#"module.domain["d00000"].aws_iam_role_policy.app[3]"#).kind
    else {
        panic!("inline policy");
    };
    let doc = known_doc(&ip.document);
    assert_eq!(
        doc.statements[0].resource,
        Some(vec![Val::Ref(vec![r(new_key, Some("arn"))])])
    );
}
