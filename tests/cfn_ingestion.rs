//! CloudFormation ingestion: the templates under `testdata/cfn/` and what the resource model
//! must hold for them (ids, kinds, policies with their lines, encryption, references).

use keyreach::error::InputError;
use keyreach::model::{
    Encryption, Estate, Kind, OrgPolicyType, PolicyDocument, PrincipalType, Principals, Reference,
    Resource, Statement, VStr, Val,
};
use keyreach::parse::{load, LoadOptions};
use std::path::PathBuf;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/cfn")
        .join(name)
}

fn opts() -> LoadOptions {
    LoadOptions::default()
}

fn with_account() -> LoadOptions {
    LoadOptions {
        account_id: Some("111122223333".into()),
        region: Some("eu-west-1".into()),
        ..LoadOptions::default()
    }
}

fn load_ok(files: &[&str], opts: &LoadOptions) -> Estate {
    let paths: Vec<PathBuf> = files.iter().map(|f| data(f)).collect();
    let (estate, errors) = load(&paths, opts);
    assert!(errors.is_empty(), "unexpected input errors: {errors:#?}");
    estate
}

fn res<'a>(e: &'a Estate, id: &str) -> &'a Resource {
    e.resources
        .iter()
        .find(|r| r.id == id)
        .unwrap_or_else(|| panic!("no resource {id}; have {:?}", all_ids(e)))
}

fn all_ids(e: &Estate) -> Vec<&str> {
    e.resources.iter().map(|r| r.id.as_str()).collect()
}

fn known(s: &str) -> VStr {
    Val::Known(s.to_owned())
}

fn rf(target: &str, attr: Option<&str>) -> VStr {
    Val::Ref(vec![Reference::new(target, attr)])
}

/// 1-based line of the first line of `file` containing `needle`.
fn line_of(file: &str, needle: &str) -> u32 {
    let text = std::fs::read_to_string(data(file)).expect("fixture");
    let n = text
        .lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("`{needle}` not in {file}"));
    u32::try_from(n + 1).expect("small")
}

fn doc(v: &Val<PolicyDocument>) -> &PolicyDocument {
    v.known()
        .unwrap_or_else(|| panic!("document not known: {v:?}"))
}

fn key_policy(r: &Resource) -> &PolicyDocument {
    let Kind::Key(k) = &r.kind else {
        panic!("{} is not a key", r.id)
    };
    doc(k.policy.as_ref().expect("has a key policy"))
}

fn principal_values(s: &Statement) -> Vec<(PrincipalType, VStr)> {
    match &s.principal {
        Some(Principals::Map(m)) => m.clone(),
        Some(Principals::Any) => vec![(PrincipalType::Aws, known("*"))],
        None => Vec::new(),
    }
}

fn encryption(r: &Resource) -> &Encryption {
    match &r.kind {
        Kind::DataStore(s) => &s.encryption,
        other => panic!("{} is not a store: {other:?}", r.id),
    }
}

fn cond_keys(s: &Statement) -> Vec<&str> {
    s.conditions.iter().map(|c| c.key.as_str()).collect()
}

#[test]
fn yaml_short_tags_keys_and_principals() {
    let e = load_ok(&["short-tags.yaml"], &opts());
    let f = "short-tags.yaml";

    let key = res(&e, "OrdersKey");
    assert_eq!(key.location.line, Some(line_of(f, "  OrdersKey:")));
    assert_eq!(
        key.location.pointer.as_deref(),
        Some("/Resources/OrdersKey")
    );
    let Kind::Key(k) = &key.kind else { panic!() };
    assert_eq!(k.rotation_enabled, Some(Val::Known(true)));
    assert_eq!(k.description.as_deref(), Some("orders data key"));
    let p = key_policy(key);
    assert_eq!(p.statements.len(), 2);
    // Without --account-id the deploying account is the engine's placeholder: the root and
    // the role's ARN still name the deploying account, never a guessed one.
    let acct = keyreach::analysis::principals::DEPLOYING_ACCOUNT;
    assert_eq!(
        principal_values(&p.statements[0]),
        vec![(
            PrincipalType::Aws,
            known(&format!("arn:aws:iam::{acct}:root"))
        )]
    );
    assert_eq!(
        principal_values(&p.statements[1]),
        vec![(
            PrincipalType::Aws,
            known(&format!("arn:aws:iam::{acct}:role/apps/orders-app"))
        )]
    );
    let loc = p.statements[1]
        .location
        .as_ref()
        .expect("statement location");
    assert_eq!(loc.line, Some(line_of(f, "- Sid: AppUse")));
    assert_eq!(
        loc.pointer.as_deref(),
        Some("/Resources/OrdersKey/Properties/KeyPolicy/Statement/1")
    );
    // Anchors and aliases: the key's tags come from `*common`.
    assert_eq!(
        key.tags
            .known()
            .and_then(|t| t.get("DataDomain"))
            .map(String::as_str),
        Some("orders")
    );

    let Kind::Alias(a) = &res(&e, "OrdersAlias").kind else {
        panic!()
    };
    assert_eq!(a.name, known("alias/orders"));
    assert_eq!(a.target_key, rf("OrdersKey", None));

    let role = res(&e, "AppRole");
    let Kind::Role(r) = &role.kind else { panic!() };
    assert_eq!(r.name, Some(known("orders-app")));
    assert_eq!(r.path.as_deref(), Some("/apps/"));
    assert_eq!(
        r.managed_policy_arns,
        Val::Known(vec![
            known("arn:aws:iam::aws:policy/ReadOnlyAccess"),
            known(&format!("arn:aws:iam::{acct}:policy/orders-read"))
        ])
    );
    assert_eq!(
        r.permissions_boundary,
        Some(rf("BoundaryPolicy", None)),
        "a managed policy without a name has an ARN only after deploy"
    );
    let trust = doc(r.trust_policy.as_ref().expect("trust"));
    assert_eq!(
        principal_values(&trust.statements[0]),
        vec![(PrincipalType::Service, known("ec2.amazonaws.com"))]
    );
    // A policy given as a JSON string built with Fn::Sub keeps its structure and references.
    assert_eq!(r.inline_policies.len(), 1);
    assert_eq!(r.inline_policies[0].name.as_deref(), Some("use-key"));
    let inline = doc(&r.inline_policies[0].document);
    assert_eq!(
        inline.statements[0].resource,
        Some(vec![rf("OrdersKey", Some("Arn"))])
    );
    assert_eq!(
        inline.statements[0].action,
        Some(vec![known("kms:Decrypt")])
    );
}

#[test]
fn account_and_region_make_arns_known() {
    let e = load_ok(&["short-tags.yaml"], &with_account());
    let p = key_policy(res(&e, "OrdersKey"));
    assert_eq!(
        principal_values(&p.statements[0]),
        vec![(PrincipalType::Aws, known("arn:aws:iam::111122223333:root"))]
    );
    assert_eq!(
        principal_values(&p.statements[1]),
        vec![(
            PrincipalType::Aws,
            known("arn:aws:iam::111122223333:role/apps/orders-app")
        )]
    );
    let Kind::Role(r) = &res(&e, "AppRole").kind else {
        panic!()
    };
    assert_eq!(
        r.arn,
        Some(known("arn:aws:iam::111122223333:role/apps/orders-app"))
    );
    assert_eq!(
        r.managed_policy_arns,
        Val::Known(vec![
            known("arn:aws:iam::aws:policy/ReadOnlyAccess"),
            known("arn:aws:iam::111122223333:policy/orders-read")
        ])
    );
    let Kind::Alias(a) = &res(&e, "OrdersAlias").kind else {
        panic!()
    };
    assert_eq!(
        a.arn,
        Some(known("arn:aws:kms:eu-west-1:111122223333:alias/orders"))
    );
    let Kind::IdentityProvider(idp) = &res(&e, "GitHub").kind else {
        panic!()
    };
    assert_eq!(
        idp.arn,
        Some(known(
            "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"
        ))
    );
    assert_eq!(idp.name, Some(known("token.actions.githubusercontent.com")));
    assert!(!e
        .notes
        .iter()
        .any(|n| n.message.contains("AWS::AccountId is not known")));
}

#[test]
fn iam_groups_users_and_policies() {
    let e = load_ok(&["short-tags.yaml"], &opts());
    let Kind::ManagedPolicy(mp) = &res(&e, "ReadPolicy").kind else {
        panic!()
    };
    assert_eq!(mp.attached.groups, vec![known("analysts")]);
    assert_eq!(
        doc(&mp.document).statements[0].resource,
        Some(vec![known("arn:aws:s3:::orders-data/*")])
    );
    let Kind::ManagedPolicy(boundary) = &res(&e, "BoundaryPolicy").kind else {
        panic!()
    };
    // A single statement object (not a list).
    assert_eq!(doc(&boundary.document).statements.len(), 1);
    assert_eq!(boundary.name, Some(Val::Unknown));

    let Kind::User(alice) = &res(&e, "Alice").kind else {
        panic!()
    };
    assert_eq!(alice.groups, vec![known("analysts")]);
    let Kind::User(bob) = &res(&e, "Bob").kind else {
        panic!()
    };
    assert_eq!(bob.name, Some(Val::Unknown));
    let Kind::GroupMembership(m) = &res(&e, "BobInAnalysts").kind else {
        panic!()
    };
    assert_eq!(m.groups, vec![known("analysts")]);
    assert_eq!(m.users, vec![rf("Bob", None)]);
    let Kind::InlinePolicy(bp) = &res(&e, "BobPolicy").kind else {
        panic!()
    };
    assert_eq!(bp.attached.users, vec![rf("Bob", None)]);
    assert_eq!(
        doc(&bp.document).statements[0].effect,
        keyreach::model::Effect::Deny
    );
    let Kind::Group(g) = &res(&e, "Analysts").kind else {
        panic!()
    };
    assert_eq!(
        doc(&g.inline_policies[0].document).statements[0].resource,
        Some(vec![rf("OrdersKey", Some("Arn"))])
    );
    let Kind::InstanceProfile(ip) = &res(&e, "AppProfile").kind else {
        panic!()
    };
    assert_eq!(ip.roles, vec![known("orders-app")]);
}

#[test]
fn stores_encryption_follows_the_unset_column() {
    let e = load_ok(&["short-tags.yaml"], &opts());
    let bucket = res(&e, "OrdersBucket");
    assert_eq!(
        encryption(bucket),
        &Encryption::Kms(rf("OrdersKey", Some("Arn")))
    );
    let Kind::DataStore(s) = &bucket.kind else {
        panic!()
    };
    assert_eq!(s.service, "s3");
    assert_eq!(s.name, Some(known("orders-data")));
    // A merge key (`<<`) inside a tag.
    assert_eq!(
        bucket
            .tags
            .known()
            .and_then(|t| t.get("DataDomain"))
            .map(String::as_str),
        Some("orders")
    );
    assert_eq!(encryption(res(&e, "LogsBucket")), &Encryption::AwsOwned);
    assert_eq!(encryption(res(&e, "Queue")), &Encryption::AwsOwned);
    assert_eq!(
        encryption(res(&e, "Topic")),
        &Encryption::AwsManaged("aws/sns".into())
    );

    let e = load_ok(&["stores.json"], &opts());
    let f = "stores.json";
    let Kind::Key(k) = &res(&e, "DefaultKey").kind else {
        panic!()
    };
    assert!(k.policy.is_none(), "no KeyPolicy means the default policy");
    let cases: &[(&str, &str, Encryption)] = &[
        ("Table", "dynamodb", Encryption::Kms(rf("DefaultKey", None))),
        (
            "TableAwsManaged",
            "dynamodb",
            Encryption::AwsManaged("aws/dynamodb".into()),
        ),
        ("TableDefault", "dynamodb", Encryption::AwsOwned),
        ("Db", "rds", Encryption::AwsManaged("aws/rds".into())),
        ("DbPlain", "rds", Encryption::None),
        (
            "Cluster",
            "rds",
            Encryption::Kms(rf("DefaultKey", Some("Arn"))),
        ),
        ("Volume", "ec2", Encryption::AwsManaged("aws/ebs".into())),
        (
            "Fs",
            "elasticfilesystem",
            Encryption::Kms(known(
                "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
            )),
        ),
        (
            "Secret",
            "secretsmanager",
            Encryption::AwsManaged("aws/secretsmanager".into()),
        ),
        (
            "Stream",
            "kinesis",
            Encryption::AwsManaged("aws/kinesis".into()),
        ),
        ("Firehose", "firehose", Encryption::AwsOwned),
        (
            "Logs",
            "logs",
            Encryption::Kms(rf("DefaultKey", Some("Arn"))),
        ),
        ("Queue", "sqs", Encryption::None),
        (
            "Vault",
            "backup",
            Encryption::AwsManaged("aws/backup".into()),
        ),
        ("Repo", "ecr", Encryption::AwsManaged("aws/ecr".into())),
        ("Fn", "lambda", Encryption::AwsManaged("aws/lambda".into())),
        ("Domain", "es", Encryption::AwsManaged("aws/es".into())),
        ("Bucket", "s3", Encryption::AwsManaged("aws/s3".into())),
        ("Host", "ec2", Encryption::Kms(rf("DefaultKey", None))),
        ("Cache", "elasticache", Encryption::None),
        ("Valkey", "elasticache", Encryption::AwsOwned),
    ];
    for (id, service, enc) in cases {
        let r = res(&e, id);
        let Kind::DataStore(s) = &r.kind else {
            panic!("{id} is not a store")
        };
        assert_eq!(&s.service, service, "{id}");
        assert_eq!(&s.encryption, enc, "{id}");
        assert_eq!(
            r.location.line,
            Some(line_of(f, &format!("\"{id}\": {{"))),
            "{id}"
        );
    }
    let Kind::DataStore(db) = &res(&e, "Db").kind else {
        panic!()
    };
    assert_eq!(
        db.secondary,
        vec![(
            "performance_insights".to_owned(),
            Encryption::AwsManaged("aws/rds".into())
        )]
    );
    let Kind::DataStore(host) = &res(&e, "Host").kind else {
        panic!()
    };
    assert_eq!(
        host.secondary,
        vec![("block_device//dev/sdf".to_owned(), Encryption::None)]
    );
    let Kind::DataStore(c) = &res(&e, "Cluster").kind else {
        panic!()
    };
    assert_eq!(
        c.secondary,
        vec![(
            "master_user_secret".to_owned(),
            Encryption::AwsManaged("aws/secretsmanager".into())
        )]
    );
    // A tag value the input does not decide makes the tags unknown, never silently dropped.
    assert_eq!(res(&e, "Bucket").tags, Val::Unknown);
    assert_eq!(
        res(&e, "Table")
            .tags
            .known()
            .and_then(|t| t.get("DataDomain"))
            .map(String::as_str),
        Some("orders")
    );
    let Kind::OrgPolicy(scp) = &res(&e, "Scp").kind else {
        panic!()
    };
    assert_eq!(scp.policy_type, OrgPolicyType::ServiceControl);
    assert_eq!(scp.targets, vec![known("ou-abcd-12345678")]);
    assert_eq!(
        doc(&scp.document).statements[0].action,
        Some(vec![known("kms:ScheduleKeyDeletion")])
    );
    let Kind::Key(replica) = &res(&e, "Replica").kind else {
        panic!()
    };
    assert!(replica.multi_region);
    assert_eq!(
        replica.primary_key,
        Some(known("arn:aws:kms:us-east-1:111122223333:key/mrk-1234"))
    );
    assert!(matches!(res(&e, "Vpc").kind, Kind::Other));
}

#[test]
fn inline_suppressions_from_metadata() {
    let e = load_ok(&["short-tags.yaml"], &opts());
    let s: Vec<_> = e
        .suppressions
        .iter()
        .map(|s| {
            (
                s.resource.as_str(),
                s.rule.as_str(),
                s.reason.as_str(),
                s.expires.as_deref(),
                s.location.line,
            )
        })
        .collect();
    assert_eq!(
        s,
        vec![
            (
                "AppRole",
                "KR001",
                "reviewed with the data owner",
                Some("2027-01-01"),
                Some(line_of("short-tags.yaml", "rule: KR001"))
            ),
            (
                "AppRole",
                "KR002",
                "accepted for the migration",
                None,
                Some(line_of("short-tags.yaml", "KR002 accepted"))
            ),
        ]
    );
}

#[test]
fn conditions_with_defaults() {
    let e = load_ok(&["conditions.yaml"], &opts());
    let ids = all_ids(&e);
    // Env defaults to dev: IsProd is false, so ProdQueue is left out.
    assert!(!ids.contains(&"ProdQueue"), "{ids:?}");
    assert!(ids.contains(&"DevTable"));
    let p = key_policy(res(&e, "Key"));
    let sids: Vec<_> = p
        .statements
        .iter()
        .map(|s| s.sid.clone().unwrap_or_default())
        .collect();
    // ProdOnly dropped (false); Team has no value, so both branches of IsPlatform are kept as
    // conditional statements.
    assert_eq!(sids, vec!["Root", "PlatformAdmins", "TeamReaders"]);
    assert!(cond_keys(&p.statements[0]).is_empty());
    assert_eq!(
        cond_keys(&p.statements[1]),
        vec!["keyreach:IfCondition/IsPlatform"]
    );
    assert_eq!(
        cond_keys(&p.statements[2]),
        vec!["keyreach:IfNotCondition/IsPlatform"]
    );
    assert_eq!(p.statements[1].conditions[0].values, vec![Val::Unknown]);
    // Fn::Select over a CommaDelimitedList default.
    assert_eq!(
        principal_values(&p.statements[2]),
        vec![(PrincipalType::Aws, known("222222222222"))]
    );
    let Kind::Key(k) = &res(&e, "Key").kind else {
        panic!()
    };
    assert_eq!(
        k.rotation_enabled, None,
        "AWS::NoValue removes the property"
    );
    assert_eq!(
        k.description.as_deref(),
        Some("same"),
        "equal branches agree"
    );
    // Undecided resource condition: kept, with undecidable encryption.
    assert_eq!(encryption(res(&e, "PlatformQueue")), &Encryption::Unknown);
    let Kind::DataStore(t) = &res(&e, "DevTable").kind else {
        panic!()
    };
    assert_eq!(t.name, Some(known("orders-dev-b")));
    assert_eq!(t.encryption, Encryption::AwsOwned);
    let Kind::DataStore(rt) = &res(&e, "RegionalTable").kind else {
        panic!()
    };
    assert_eq!(rt.name, Some(known("fallback")), "FindInMap DefaultValue");
    assert!(e
        .notes
        .iter()
        .any(|n| n.message.contains("parameter `Team`")));
    assert!(e.notes.iter().any(|n| n
        .message
        .contains("`PlatformQueue` exists only under a condition")));
}

#[test]
fn parameter_files_and_overrides() {
    let o = LoadOptions {
        parameter_files: vec![data("params-list.json")],
        ..LoadOptions::default()
    };
    let e = load_ok(&["conditions.yaml"], &o);
    let ids = all_ids(&e);
    assert!(
        ids.contains(&"ProdQueue") && !ids.contains(&"DevTable"),
        "{ids:?}"
    );
    let p = key_policy(res(&e, "Key"));
    let sids: Vec<_> = p
        .statements
        .iter()
        .map(|s| s.sid.clone().unwrap_or_default())
        .collect();
    assert_eq!(sids, vec!["Root", "ProdOnly", "TeamReaders"]);
    assert!(p.statements.iter().all(|s| s.conditions.is_empty()));
    assert_eq!(p.statements[1].principal, Some(Principals::Any));
    let Kind::Key(k) = &res(&e, "Key").kind else {
        panic!()
    };
    assert_eq!(k.rotation_enabled, Some(Val::Known(true)));
    assert_eq!(
        encryption(res(&e, "PlatformQueue")),
        &Encryption::AwsManaged("aws/sqs".into())
    );

    // The other file shape, then --parameter over both.
    let o = LoadOptions {
        parameter_files: vec![data("params-list.json"), data("params-map.json")],
        parameters: vec![("Env".into(), "dev".into())],
        region: Some("eu-west-1".into()),
        ..LoadOptions::default()
    };
    let e = load_ok(&["conditions.yaml"], &o);
    let ids = all_ids(&e);
    assert!(
        !ids.contains(&"ProdQueue") && ids.contains(&"DevTable"),
        "{ids:?}"
    );
    // Team=platform from the second file: the platform branch, and the queue on the key.
    let p = key_policy(res(&e, "Key"));
    let sids: Vec<_> = p
        .statements
        .iter()
        .map(|s| s.sid.clone().unwrap_or_default())
        .collect();
    assert_eq!(sids, vec!["Root", "PlatformAdmins"]);
    assert_eq!(
        encryption(res(&e, "PlatformQueue")),
        &Encryption::Kms(rf("Key", None))
    );
    // Region known: the DevAndRegion condition is decided.
    assert!(ids.contains(&"RegionalTable"));
    assert!(!e.notes.iter().any(|n| n.message.contains("RegionalTable")));
}

#[test]
fn sam_functions_roles_and_policy_templates() {
    let e = load_ok(&["sam-app.yaml"], &with_account());
    let f = "sam-app.yaml";
    let func = res(&e, "Processor");
    assert_eq!(func.type_name, "AWS::Serverless::Function");
    assert_eq!(
        encryption(func),
        &Encryption::Kms(rf("AppKey", Some("Arn"))),
        "KmsKeyArn from Globals"
    );
    assert_eq!(
        func.tags
            .known()
            .and_then(|t| t.get("DataDomain"))
            .map(String::as_str),
        Some("orders")
    );
    let role = res(&e, "ProcessorRole");
    assert_eq!(role.location.line, Some(line_of(f, "  Processor:")));
    let Kind::Role(r) = &role.kind else { panic!() };
    let trust = doc(r.trust_policy.as_ref().expect("trust"));
    assert_eq!(
        principal_values(&trust.statements[0]),
        vec![(PrincipalType::Service, known("lambda.amazonaws.com"))]
    );
    assert_eq!(
        r.managed_policy_arns,
        Val::Known(vec![
            known("arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"),
            known("arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"),
            known("arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"),
        ])
    );
    let names: Vec<_> = r
        .inline_policies
        .iter()
        .map(|p| p.name.clone().unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        vec![
            "ProcessorRolePolicy0",
            "ProcessorRolePolicy1",
            "ProcessorRolePolicy2",
            "ProcessorRolePolicy3"
        ]
    );
    let kms = &doc(&r.inline_policies[0].document).statements[0];
    assert_eq!(kms.action, Some(vec![known("kms:Decrypt")]));
    // key/${KeyId} over a key id that only exists after deploy: a reference to the key.
    assert_eq!(kms.resource, Some(vec![rf("AppKey", None)]));
    assert_eq!(
        kms.location.as_ref().and_then(|l| l.line),
        Some(line_of(f, "- KMSDecryptPolicy:"))
    );
    let ddb = &doc(&r.inline_policies[1].document).statements[0];
    assert_eq!(
        ddb.resource,
        Some(vec![
            known("arn:aws:dynamodb:eu-west-1:111122223333:table/orders"),
            known("arn:aws:dynamodb:eu-west-1:111122223333:table/orders/index/*"),
        ])
    );
    let sqs = &doc(&r.inline_policies[2].document).statements[0];
    assert_eq!(
        sqs.resource,
        Some(vec![known("arn:aws:sqs:eu-west-1:111122223333:inbox")])
    );
    let inline = &doc(&r.inline_policies[3].document).statements[0];
    assert_eq!(
        inline.action,
        Some(vec![known("secretsmanager:GetSecretValue")])
    );

    // A function that names its role gets no implicit role and keeps its own key.
    assert!(!all_ids(&e).contains(&"ReporterRole2"));
    assert_eq!(
        encryption(res(&e, "Reporter")),
        &Encryption::Kms(known("arn:aws:kms:eu-west-1:111122223333:key/other"))
    );
    assert!(
        all_ids(&e)
            .iter()
            .filter(|i| i.starts_with("ReporterRole"))
            .count()
            == 1
    );

    let table = res(&e, "Orders");
    assert_eq!(table.type_name, "AWS::Serverless::SimpleTable");
    assert_eq!(
        encryption(table),
        &Encryption::AwsManaged("aws/dynamodb".into())
    );

    let Kind::Role(wf) = &res(&e, "WorkflowRole").kind else {
        panic!()
    };
    let trust = doc(wf.trust_policy.as_ref().expect("trust"));
    assert_eq!(
        principal_values(&trust.statements[0]),
        vec![(PrincipalType::Service, known("states.amazonaws.com"))]
    );
    assert_eq!(
        wf.managed_policy_arns,
        Val::Known(vec![known(
            "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"
        )])
    );
    assert_eq!(
        doc(&wf.inline_policies[0].document).statements[0].resource,
        Some(vec![rf("Processor", None)])
    );
}

#[test]
fn two_stacks_import_each_other() {
    let e = load_ok(&["stack-keys.yaml", "stack-consumer.yaml"], &opts());
    let ids = all_ids(&e);
    // With two stacks every id carries its file stem, colliding or not.
    assert!(ids.contains(&"stack-keys/Queue") && ids.contains(&"stack-consumer/Queue"));
    assert!(
        ids.contains(&"stack-keys/SharedKey") && ids.contains(&"stack-consumer/Reader"),
        "{ids:?}"
    );
    let Kind::Role(r) = &res(&e, "stack-consumer/Reader").kind else {
        panic!()
    };
    let st = &doc(&r.inline_policies[0].document).statements;
    assert_eq!(
        st[0].resource,
        Some(vec![rf("stack-keys/SharedKey", Some("Arn"))])
    );
    // The export name is itself built with Fn::Sub; the bucket ARN is known from its name.
    assert_eq!(
        st[1].resource,
        Some(vec![known("arn:aws:s3:::shared-data/*")])
    );
    assert_eq!(st[2].resource, Some(vec![Val::Unknown]));
    assert!(e
        .notes
        .iter()
        .any(|n| n.message.contains("`not-exported-anywhere`")));

    // Alone, the consumer's imports are unknown (noted), and ids stay plain.
    let e = load_ok(&["stack-consumer.yaml"], &opts());
    assert!(ids_contains(&e, "Queue"));
    let Kind::Role(r) = &res(&e, "Reader").kind else {
        panic!()
    };
    assert_eq!(
        doc(&r.inline_policies[0].document).statements[0].resource,
        Some(vec![Val::Unknown])
    );
}

fn ids_contains(e: &Estate, id: &str) -> bool {
    e.resources.iter().any(|r| r.id == id)
}

#[test]
fn nested_stack_gets_parameters_from_its_parent() {
    let e = load_ok(&["parent.yaml", "nested/child.yaml"], &with_account());
    let ids = all_ids(&e);
    assert!(
        ids.contains(&"parent/ParentKey") && ids.contains(&"child/ParentKey"),
        "{ids:?}"
    );
    let q = res(&e, "child/Queue");
    assert!(q.location.file.ends_with("child.yaml"));
    let Kind::DataStore(s) = &q.kind else {
        panic!()
    };
    assert_eq!(
        s.encryption,
        Encryption::Kms(rf("parent/ParentKey", Some("Arn")))
    );
    assert_eq!(s.name, Some(known("orders-events")));
    let Kind::Role(c) = &res(&e, "parent/Consumer").kind else {
        panic!()
    };
    // Fn::GetAtt Child.Outputs.QueueArn evaluates the child's output.
    assert_eq!(
        doc(&c.inline_policies[0].document).statements[0].resource,
        Some(vec![known(
            "arn:aws:sqs:eu-west-1:111122223333:orders-events"
        )])
    );
    assert!(e
        .notes
        .iter()
        .any(|n| n.message.contains("nested stack `Remote`")));
    assert!(!e
        .notes
        .iter()
        .any(|n| n.message.contains("nested stack `Child`")));

    // The Stack resource's condition is false: the child's resources are left out.
    let o = LoadOptions {
        parameters: vec![("Enabled".into(), "false".into())],
        ..LoadOptions::default()
    };
    let e = load_ok(&["parent.yaml", "nested/child.yaml"], &o);
    assert!(!ids_contains(&e, "Queue"));
    assert!(ids_contains(&e, "ParentKey"), "one stack left: plain ids");

    // The child alone is analysed on its own, its parameter unknown.
    let e = load_ok(&["nested/child.yaml"], &opts());
    assert_eq!(encryption(res(&e, "Queue")), &Encryption::Kms(Val::Unknown));
}

#[test]
fn cdk_paths_become_display_names() {
    let e = load_ok(&["cdk/AppStack.template.json"], &opts());
    let r = res(&e, "DataKey1234ABCD");
    assert_eq!(r.display_name.as_deref(), Some("AppStack/DataKey"));
    let Kind::Key(k) = &r.kind else { panic!() };
    assert_eq!(
        principal_values(&doc(k.policy.as_ref().expect("policy")).statements[0]),
        vec![(PrincipalType::Aws, known("arn:aws:iam::111111111111:root"))]
    );
    // The SSM-typed bootstrap parameter is read at deploy time: unknown, and no note.
    assert!(e.notes.is_empty(), "{:?}", e.notes);
}

fn parse_one(path: &str) -> (Estate, Vec<InputError>) {
    load(
        &[data(path)],
        &LoadOptions {
            input_kind: Some(keyreach::cli::InputKind::Cfn),
            ..LoadOptions::default()
        },
    )
}

/// Malformed input: an error naming the file and line, no panic, and the rest still analysed.
#[test]
fn malformed_templates_give_located_errors() {
    let cases: &[(&str, &str, Option<u32>, &[&str])] = &[
        ("bad-yaml.yaml", "malformed YAML", Some(5), &[]),
        ("bad-json.json", "malformed JSON", Some(4), &[]),
        (
            "unknown-tag.yaml",
            "unknown YAML tag `!Frobnicate`",
            Some(7),
            &["Good", "Bad"],
        ),
        (
            "bad-getatt.yaml",
            "Fn::GetAtt takes",
            Some(7),
            &["Key", "Queue", "Topic"],
        ),
        (
            "missing-ref.yaml",
            "Ref to `NoSuchKey`",
            Some(9),
            &["Queue", "Topic"],
        ),
        (
            "missing-ref.yaml",
            "condition `NoSuchCondition` is not declared",
            Some(13),
            &[],
        ),
        (
            "missing-ref.yaml",
            "Fn::GetAtt names `Missing`",
            Some(15),
            &[],
        ),
        ("missing-ref.yaml", "mapping `NoMap`", Some(16), &[]),
        (
            "bad-intrinsics.yaml",
            "Fn::Join takes",
            Some(5),
            &["A", "B", "C", "D", "E"],
        ),
        (
            "bad-intrinsics.yaml",
            "index 5 is out of range",
            Some(9),
            &[],
        ),
        ("bad-intrinsics.yaml", "Fn::If takes", Some(13), &[]),
        ("bad-intrinsics.yaml", "Fn::Sub takes", Some(17), &[]),
        (
            "bad-intrinsics.yaml",
            "unknown intrinsic function `Fn::Frobnicate`",
            Some(22),
            &[],
        ),
        (
            "bad-resources.yaml",
            "`Resources` must be a mapping",
            Some(1),
            &[],
        ),
        (
            "no-type.yaml",
            "a resource needs a `Type`",
            Some(4),
            &["Good"],
        ),
        (
            "bad-policy.yaml",
            "Effect must be",
            Some(7),
            &["Key", "Role"],
        ),
        ("bad-policy.yaml", "policy is not valid JSON", Some(13), &[]),
        (
            "bad-suppression.yaml",
            "needs a `reason`",
            Some(7),
            &["Queue"],
        ),
        (
            "bad-suppression.yaml",
            "the reason is missing",
            Some(8),
            &[],
        ),
        (
            "bad-suppression.yaml",
            "`expires` must be a date",
            Some(9),
            &[],
        ),
        (
            "condition-cycle.yaml",
            "depends on itself",
            Some(2),
            &["Queue"],
        ),
        ("billion-laughs.yaml", "too many nodes", Some(5), &[]),
        ("deep.json", "recursion limit", Some(1), &[]),
        ("duplicate-key.yaml", "duplicate key `A`", Some(6), &[]),
        ("not-a-mapping.yaml", "must be a mapping", None, &[]),
        (
            "bad-sam.yaml",
            "needs the parameter `BucketName`",
            Some(8),
            &["Fn", "FnRole"],
        ),
        ("bad-sam.yaml", "a SAM policy must be", Some(9), &[]),
    ];
    for (file, needle, line, still) in cases {
        let (e, errors) = parse_one(&format!("malformed/{file}"));
        let hit = errors
            .iter()
            .find(|x| x.message.contains(needle))
            .unwrap_or_else(|| panic!("{file}: no error containing `{needle}` in {errors:#?}"));
        assert!(hit.file.ends_with(file), "{file}: {hit}");
        assert_eq!(hit.line, *line, "{file}: {hit}");
        for id in *still {
            assert!(
                ids_contains(&e, id),
                "{file}: {id} should still be analysed"
            );
        }
    }
    // A reference to an undeclared name where the value does not bear on access (a name,
    // tags, a description) is a located note, not an error: the value is unknown.
    let (e, errors) = parse_one("malformed/missing-ref.yaml");
    assert!(
        !errors.iter().any(|x| x.message.contains("NoSuchParam")),
        "{errors:#?}"
    );
    let note = e
        .notes
        .iter()
        .find(|n| n.message.contains("`${NoSuchParam}`"))
        .unwrap_or_else(|| panic!("no note for NoSuchParam in {:#?}", e.notes));
    assert_eq!(note.location.line, Some(10));
    assert!(
        note.message.contains("does not bear on access"),
        "{}",
        note.message
    );
    // Both bad items are reported, the valid ones analysed.
    let (_, errors) = parse_one("malformed/bad-getatt.yaml");
    assert_eq!(errors.len(), 2, "{errors:#?}");
    // An unknown SAM policy template is not an error, but the role may have any access.
    let (e, _) = parse_one("malformed/bad-sam.yaml");
    assert!(e
        .notes
        .iter()
        .any(|n| n.message.contains("`SomeFuturePolicy`")));
    let Kind::Role(r) = &res(&e, "FnRole").kind else {
        panic!()
    };
    assert!(r.inline_policies.iter().any(|p| p.document == Val::Unknown));
}

#[test]
fn nested_stack_cycles_are_bounded() {
    let (e, errors) = load(
        &[
            data("malformed/cycle/nest-a.yaml"),
            data("malformed/cycle/nest-b.yaml"),
        ],
        &opts(),
    );
    assert!(
        errors
            .iter()
            .any(|x| x.message.contains("nest deeper than 8")),
        "{errors:#?}"
    );
    assert!(e.resources.len() <= 20);
}

/// Called without any account (not through `load`, which supplies the engine's placeholder),
/// `AWS::AccountId` is unknown and noted, never guessed.
#[test]
fn without_any_account_the_account_is_unknown() {
    let path = data("short-tags.yaml");
    let text = std::fs::read_to_string(&path).expect("fixture");
    let files = [keyreach::parse::SourceFile {
        display: "short-tags.yaml".into(),
        path,
        text,
    }];
    let (parsed, errors) = keyreach::parse::cfn::parse_all(&files, &LoadOptions::default());
    assert!(errors.is_empty(), "{errors:#?}");
    let key = parsed
        .resources
        .iter()
        .find(|r| r.id == "OrdersKey")
        .expect("key");
    let p = key_policy(key);
    assert_eq!(
        principal_values(&p.statements[0]),
        vec![(PrincipalType::Aws, Val::Unknown)]
    );
    assert_eq!(
        principal_values(&p.statements[1]),
        vec![(PrincipalType::Aws, rf("AppRole", Some("Arn")))]
    );
    assert!(parsed
        .notes
        .iter()
        .any(|n| n.message.contains("AWS::AccountId is not known")));
}

#[test]
fn properties_not_known_never_read_as_defaults() {
    let e = load_ok(&["opaque.yaml"], &opts());
    // One branch has a key policy, the other none (the default policy): the document keeps the
    // statement as a conditional one.
    let Kind::Key(split) = &res(&e, "SplitKey").kind else {
        panic!()
    };
    assert_eq!(
        split.rotation_enabled,
        Some(Val::Known(true)),
        "both branches agree"
    );
    let p = doc(split.policy.as_ref().expect("policy kept"));
    let acct = keyreach::analysis::principals::DEPLOYING_ACCOUNT;
    let sids: Vec<_> = p
        .statements
        .iter()
        .map(|s| s.sid.clone().unwrap_or_default())
        .collect();
    assert_eq!(sids, vec!["RootOnly", "DefaultKeyPolicy"]);
    assert_eq!(
        cond_keys(&p.statements[0]),
        vec!["keyreach:IfCondition/Strict"]
    );
    // Without a KeyPolicy the key has the default policy: kept as the other branch.
    assert_eq!(
        cond_keys(&p.statements[1]),
        vec!["keyreach:IfNotCondition/Strict"]
    );
    assert_eq!(
        principal_values(&p.statements[1]),
        vec![(
            PrincipalType::Aws,
            known(&format!("arn:aws:iam::{acct}:root"))
        )]
    );
    // Properties from a macro: unknown, not the default key policy or SSE-S3.
    let Kind::Key(macro_key) = &res(&e, "MacroKey").kind else {
        panic!()
    };
    assert_eq!(macro_key.policy, Some(Val::Unknown));
    assert_eq!(encryption(res(&e, "MacroBucket")), &Encryption::Unknown);
    assert_eq!(res(&e, "MacroBucket").tags, Val::Unknown);
    assert!(e.notes.iter().any(|n| n.message.contains("Fn::Transform")));
}

#[test]
fn foreach_loops_expand() {
    let e = load_ok(&["foreach.yaml"], &opts());
    for (id, domain) in [("Bucketorders", "orders"), ("Bucketpayments", "payments")] {
        let r = res(&e, id);
        assert_eq!(encryption(r), &Encryption::Kms(rf("DataKey", Some("Arn"))));
        let Kind::DataStore(s) = &r.kind else {
            panic!()
        };
        assert_eq!(s.name, Some(known(&format!("data-{domain}"))));
        assert_eq!(
            r.tags
                .known()
                .and_then(|t| t.get("DataDomain"))
                .map(String::as_str),
            Some(domain)
        );
        assert_eq!(
            r.location.line,
            Some(line_of("foreach.yaml", "- Bucket${Domain}:"))
        );
    }
    let o = LoadOptions {
        parameters: vec![("Domains".into(), "ledger".into())],
        ..LoadOptions::default()
    };
    let e = load_ok(&["foreach.yaml"], &o);
    assert!(ids_contains(&e, "Bucketledger") && !ids_contains(&e, "Bucketorders"));
}

/// A template large enough to be parsed and mapped in pieces on several threads gives the same
/// model as a small one: references across pieces, lines, errors and notes all hold.
#[test]
fn large_templates_are_read_in_pieces_without_changing_the_answer() {
    const N: usize = 2200;
    let mut text = String::from("Parameters:\n  Env: {Type: String, Default: prod}\nResources:\n");
    for i in 0..N {
        let target = (i + N / 2) % N;
        let key_ref = if i == N - 1 {
            "!Ref NoSuchKey".to_owned()
        } else {
            format!("!GetAtt Key{target}.Arn")
        };
        let tag = if i == 5 || i == 1700 {
            "!Ref TeamName"
        } else {
            "data"
        };
        text.push_str(&format!(
            "  Key{i}:\n    Type: AWS::KMS::Key\n    Properties:\n      \
             Description: !Sub '${{Env}} key {i} of the orders domain, padded to a realistic size'\n  \
             Queue{i}:\n    Type: AWS::SQS::Queue\n    Properties:\n      \
             KmsMasterKeyId: {key_ref}\n      Tags:\n        - {{Key: team, Value: {tag}}}\n"
        ));
    }
    assert!(text.len() > 600 * 1024, "{}", text.len());
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let path = dir.join("large-template.yaml");
    std::fs::write(&path, &text).expect("write");
    let (e, errors) = load(std::slice::from_ref(&path), &with_account());
    let line = |needle: &str| {
        let n = text
            .lines()
            .position(|l| l.contains(needle))
            .expect("needle");
        Some(u32::try_from(n + 1).expect("small"))
    };
    assert_eq!(e.resources.len(), 2 * N);
    for i in 0..N - 1 {
        let target = format!("Key{}", (i + N / 2) % N);
        assert_eq!(
            encryption(res(&e, &format!("Queue{i}"))),
            &Encryption::Kms(rf(&target, Some("Arn"))),
            "Queue{i}"
        );
    }
    assert_eq!(res(&e, "Queue1700").location.line, line("  Queue1700:"));
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].message.contains("`NoSuchKey`"), "{}", errors[0]);
    assert_eq!(errors[0].line, line("!Ref NoSuchKey"));
    let notes: Vec<_> = e
        .notes
        .iter()
        .filter(|n| n.message.contains("`TeamName`"))
        .map(|n| n.location.line)
        .collect();
    let mut tag_lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("!Ref TeamName"))
        .map(|(n, _)| u32::try_from(n + 1).ok());
    assert_eq!(
        notes,
        vec![tag_lines.next().flatten(), tag_lines.next().flatten()]
    );
}
