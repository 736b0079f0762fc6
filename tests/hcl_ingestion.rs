//! Terraform source fixtures (testdata/hcl/) read into the resource model: the ids, kinds, key
//! references, policies, tags, locations, notes and suppressions users rely on.

use keyreach::model::{
    Encryption, Kind, Location, Parsed, PolicyDocument, PrincipalType, Principals, Reference,
    Resource, Statement, Val,
};
use keyreach::parse::{tf_hcl, LoadOptions};
use std::path::{Path, PathBuf};

const ACCOUNT: &str = "111122223333";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/hcl")
        .join(name)
}

fn load(name: &str, opts: &LoadOptions) -> Parsed {
    let dir = fixture(name);
    let display = format!("testdata/hcl/{name}");
    tf_hcl::parse_dir(&dir, &display, opts).unwrap_or_else(|e| panic!("{name}: {e:?}"))
}

fn with_account() -> LoadOptions {
    LoadOptions {
        account_id: Some(ACCOUNT.into()),
        ..LoadOptions::default()
    }
}

fn res<'a>(p: &'a Parsed, id: &str) -> &'a Resource {
    p.resources.iter().find(|r| r.id == id).unwrap_or_else(|| {
        panic!(
            "no resource {id}; have {:?}",
            p.resources.iter().map(|r| &r.id).collect::<Vec<_>>()
        )
    })
}

fn r(target: &str, attr: &str) -> Reference {
    Reference::new(target, Some(attr))
}

fn key_policy(p: &Parsed, id: &str) -> PolicyDocument {
    match &res(p, id).kind {
        Kind::Key(k) => match &k.policy {
            Some(Val::Known(d)) => d.clone(),
            other => panic!("{id}: policy {other:?}"),
        },
        other => panic!("{id}: {other:?}"),
    }
}

fn stmt<'a>(d: &'a PolicyDocument, sid: &str) -> &'a Statement {
    d.statements
        .iter()
        .find(|s| s.sid.as_deref() == Some(sid))
        .unwrap_or_else(|| panic!("no statement {sid}"))
}

fn principals(s: &Statement) -> Vec<Val<String>> {
    match &s.principal {
        Some(Principals::Map(m)) => m.iter().map(|(_, v)| v.clone()).collect(),
        other => panic!("principal {other:?}"),
    }
}

fn known(s: &str) -> Val<String> {
    Val::Known(s.into())
}

#[test]
fn for_each_module_per_domain_and_addresses() {
    let p = load("domains", &LoadOptions::default());
    let mut ids: Vec<&str> = p.resources.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    let mut expected = vec![
        "aws_iam_policy.analytics",
        "aws_iam_role.analytics",
        "aws_iam_role.reader[\"customers-crm\"]",
        "aws_iam_role.reader[\"orders-orders-api\"]",
        "aws_iam_role.reader[\"payments-ledger\"]",
        "aws_iam_role.reader[\"payments-payments-api\"]",
        "aws_iam_role_policy.crm_inline",
        "aws_kms_grant.ledger",
        "aws_s3_bucket.audit",
        "aws_sqs_queue.events[0]",
        "aws_sqs_queue.events[1]",
        "data.aws_caller_identity.current",
        "data.aws_partition.current",
    ];
    for d in ["customers", "orders", "payments"] {
        for suffix in [
            "aws_kms_alias.this",
            "aws_kms_key.this",
            "aws_s3_bucket.data",
            "aws_s3_bucket_server_side_encryption_configuration.data",
            "data.aws_iam_policy_document.key",
        ] {
            expected.push(Box::leak(
                format!("module.domain[\"{d}\"].{suffix}").into_boxed_str(),
            ));
        }
    }
    expected.sort_unstable();
    assert_eq!(ids, expected);
}

#[test]
fn key_policy_from_dynamic_statements_keeps_role_references() {
    let p = load("domains", &LoadOptions::default());
    let d = key_policy(&p, "module.domain[\"payments\"].aws_kms_key.this");
    let sids: Vec<_> = d.statements.iter().map(Statement::label).collect();
    assert_eq!(sids, ["Admins", "Readers", "DenyOutsideOrg"]);
    assert!(!d.incomplete);
    let readers = stmt(&d, "Readers");
    assert_eq!(
        principals(readers),
        vec![
            Val::Ref(vec![r("aws_iam_role.reader[\"payments-ledger\"]", "arn")]),
            Val::Ref(vec![r(
                "aws_iam_role.reader[\"payments-payments-api\"]",
                "arn"
            )]),
        ]
    );
    assert_eq!(readers.conditions[0].key, "kms:ViaService");
    // Without --account-id the account root is a reference to the caller identity.
    let admins = principals(stmt(&d, "Admins"));
    assert_eq!(admins.len(), 1);
    assert_eq!(
        admins[0].to_string(),
        "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"
    );
    assert_eq!(
        &*admins[0].references(),
        &[r("data.aws_caller_identity.current", "account_id")]
    );
    let deny = stmt(&d, "DenyOutsideOrg");
    assert_eq!(deny.principal, Some(Principals::Any));
    // Statement locations point at the statement blocks in the module's file.
    let loc = readers.location.as_ref().expect("location");
    assert_eq!(loc.file, "testdata/hcl/domains/modules/domain/main.tf");
    assert_eq!(loc.line, Some(29));
    // The key itself.
    let key = res(&p, "module.domain[\"payments\"].aws_kms_key.this");
    assert_eq!(
        key.location.file,
        "testdata/hcl/domains/modules/domain/main.tf"
    );
    assert_eq!(key.location.line, Some(1));
    // The orders domain has a single reader: the dynamic statement still renders once.
    let d = key_policy(&p, "module.domain[\"orders\"].aws_kms_key.this");
    assert_eq!(
        principals(stmt(&d, "Readers")),
        vec![Val::Ref(vec![r(
            "aws_iam_role.reader[\"orders-orders-api\"]",
            "arn"
        )])]
    );
}

#[test]
fn account_id_makes_arns_known() {
    let p = load("domains", &with_account());
    let d = key_policy(&p, "module.domain[\"orders\"].aws_kms_key.this");
    assert_eq!(
        principals(stmt(&d, "Admins")),
        vec![known("arn:aws:iam::111122223333:root")]
    );
    let role_arn = "arn:aws:iam::111122223333:role/orders-orders-api";
    assert_eq!(principals(stmt(&d, "Readers")), vec![known(role_arn)]);
    match &res(&p, "aws_iam_role.reader[\"orders-orders-api\"]").kind {
        Kind::Role(role) => assert_eq!(role.arn, Some(known(role_arn))),
        other => panic!("{other:?}"),
    }
    match &res(&p, "data.aws_caller_identity.current").kind {
        Kind::CallerIdentity(c) => assert_eq!(c.account_id, Some(known(ACCOUNT))),
        other => panic!("{other:?}"),
    }
    assert_eq!(p.account_id.as_deref(), Some(ACCOUNT));
    assert_eq!(p.region.as_deref(), Some("eu-west-1"));
}

#[test]
fn tfvars_optional_defaults_var_files_and_vars() {
    let p = load("domains", &LoadOptions::default());
    // terraform.tfvars adds the customers domain, with an extra admin.
    let d = key_policy(&p, "module.domain[\"customers\"].aws_kms_key.this");
    assert!(principals(stmt(&d, "Admins"))
        .contains(&known("arn:aws:iam::111122223333:role/break-glass")));
    // optional(bool, true) applies where the tfvars omit it.
    let rotation = |id: &str| match &res(&p, id).kind {
        Kind::Key(k) => k.rotation_enabled.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        rotation("module.domain[\"orders\"].aws_kms_key.this"),
        Some(Val::Known(true))
    );
    assert_eq!(
        rotation("module.domain[\"payments\"].aws_kms_key.this"),
        Some(Val::Known(false))
    );
    let bucket = |p: &Parsed| match &res(p, "aws_s3_bucket.audit").kind {
        Kind::DataStore(s) => s.name.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(bucket(&p), Some(known("audit-logs")));
    let opts = LoadOptions {
        var_files: vec![fixture("domains/prod.tfvars")],
        vars: vec![("team".into(), "payments-eng".into())],
        ..LoadOptions::default()
    };
    let p = load("domains", &opts);
    assert_eq!(bucket(&p), Some(known("audit-logs-prod")));
    let tags = res(&p, "aws_s3_bucket.audit")
        .tags
        .known()
        .cloned()
        .expect("tags");
    assert_eq!(tags.get("Team").map(String::as_str), Some("payments-eng"));
    // A complex-typed --var is an HCL expression.
    let opts = LoadOptions {
        vars: vec![("domains".into(), "{ solo = { readers = [\"x\"] } }".into())],
        ..LoadOptions::default()
    };
    let p = load("domains", &opts);
    assert!(p
        .resources
        .iter()
        .any(|r| r.id == "module.domain[\"solo\"].aws_kms_key.this"));
    assert!(!p
        .resources
        .iter()
        .any(|r| r.id.starts_with("module.domain[\"orders\"]")));
}

#[test]
fn jsonencode_and_heredoc_policies_over_new_resources() {
    let p = load("domains", &LoadOptions::default());
    let Kind::ManagedPolicy(mp) = &res(&p, "aws_iam_policy.analytics").kind else {
        panic!("managed policy")
    };
    let Val::Known(d) = &mp.document else {
        panic!("doc")
    };
    let decrypt = stmt(d, "DecryptAllDomains");
    assert_eq!(
        decrypt.resource,
        Some(vec![
            Val::Ref(vec![r(
                "module.domain[\"customers\"].aws_kms_key.this",
                "arn"
            )]),
            Val::Ref(vec![r("module.domain[\"orders\"].aws_kms_key.this", "arn")]),
            Val::Ref(vec![r(
                "module.domain[\"payments\"].aws_kms_key.this",
                "arn"
            )]),
        ])
    );
    assert_eq!(decrypt.location.as_ref().and_then(|l| l.line), Some(48));
    assert_eq!(
        stmt(d, "AssumeReaders").resource.as_ref().map(Vec::len),
        Some(4)
    );
    // A heredoc with an interpolated key ARN is still parsed; the ARN is a reference.
    let Kind::InlinePolicy(ip) = &res(&p, "aws_iam_role_policy.crm_inline").kind else {
        panic!("inline policy")
    };
    let Val::Known(d) = &ip.document else {
        panic!("doc")
    };
    assert_eq!(
        d.statements[0].resource,
        Some(vec![Val::Ref(vec![r(
            "module.domain[\"customers\"].aws_kms_key.this",
            "arn"
        )])])
    );
    assert_eq!(ip.attached.roles, vec![known("customers-crm")]);
    // file() inside the module directory.
    let Kind::Role(role) = &res(&p, "aws_iam_role.analytics").kind else {
        panic!("role")
    };
    let Some(Val::Known(trust)) = &role.trust_policy else {
        panic!("trust")
    };
    assert_eq!(
        principals(&trust.statements[0]),
        vec![known("arn:aws:iam::111122223333:role/analysts")]
    );
    assert_eq!(
        role.managed_policy_arns,
        Val::Known(vec![Val::Ref(vec![r("aws_iam_policy.analytics", "arn")])])
    );
}

#[test]
fn stores_grants_and_tags() {
    let p = load("domains", &LoadOptions::default());
    let enc = |id: &str| match &res(&p, id).kind {
        Kind::DataStore(s) => s.encryption.clone(),
        Kind::StoreEncryption(s) => s.encryption.clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        enc("aws_s3_bucket.audit"),
        Encryption::AwsManaged("aws/s3".into())
    );
    assert_eq!(
        enc("module.domain[\"orders\"].aws_s3_bucket.data"),
        Encryption::AwsOwned
    );
    assert_eq!(
        enc("module.domain[\"orders\"].aws_s3_bucket_server_side_encryption_configuration.data"),
        Encryption::Kms(Val::Ref(vec![r(
            "module.domain[\"orders\"].aws_kms_key.this",
            "arn"
        )]))
    );
    assert_eq!(
        enc("aws_sqs_queue.events[0]"),
        Encryption::Kms(Val::Ref(vec![r(
            "module.domain[\"orders\"].aws_kms_key.this",
            "arn"
        )]))
    );
    assert_eq!(
        enc("aws_sqs_queue.events[1]"),
        Encryption::AwsManaged("aws/sqs".into())
    );
    let Kind::StoreEncryption(se) = &res(
        &p,
        "module.domain[\"orders\"].aws_s3_bucket_server_side_encryption_configuration.data",
    )
    .kind
    else {
        panic!("store encryption")
    };
    assert_eq!(se.store, known("orders-data"));
    let Kind::Grant(g) = &res(&p, "aws_kms_grant.ledger").kind else {
        panic!("grant")
    };
    assert_eq!(
        g.key,
        Val::Ref(vec![r(
            "module.domain[\"payments\"].aws_kms_key.this",
            "key_id"
        )])
    );
    assert_eq!(
        g.grantee,
        Val::Ref(vec![r("aws_iam_role.reader[\"payments-ledger\"]", "arn")])
    );
    assert_eq!(
        g.operations,
        Val::Known(vec!["Decrypt".into(), "DescribeKey".into()])
    );
    assert_eq!(g.constraints.len(), 1);
    let Kind::Alias(a) = &res(&p, "module.domain[\"orders\"].aws_kms_alias.this").kind else {
        panic!("alias")
    };
    assert_eq!(a.name, known("alias/orders"));
    assert_eq!(
        a.target_key,
        Val::Ref(vec![r(
            "module.domain[\"orders\"].aws_kms_key.this",
            "key_id"
        )])
    );
    // Provider default_tags are merged under the resource's own tags.
    let tags = res(&p, "module.domain[\"orders\"].aws_kms_key.this")
        .tags
        .known()
        .cloned()
        .expect("tags");
    assert_eq!(
        tags.into_iter().collect::<Vec<_>>(),
        vec![
            ("DataDomain".to_owned(), "orders".to_owned()),
            ("ManagedBy".to_owned(), "terraform".to_owned()),
            ("Team".to_owned(), "data-platform".to_owned()),
        ]
    );
    let tags = res(&p, "aws_iam_policy.analytics")
        .tags
        .known()
        .cloned()
        .expect("tags");
    assert_eq!(tags.len(), 2);
}

#[test]
fn registry_modules_are_notes_and_suppressions_are_read() {
    let p = load("domains", &LoadOptions::default());
    assert_eq!(p.notes.len(), 1, "{:?}", p.notes);
    let n = &p.notes[0];
    assert!(
        n.message.contains("terraform-aws-modules/vpc/aws"),
        "{}",
        n.message
    );
    assert_eq!(
        (n.location.file.as_str(), n.location.line),
        ("testdata/hcl/domains/main.tf", Some(119))
    );
    assert_eq!(p.suppressions.len(), 1);
    let s = &p.suppressions[0];
    assert_eq!(s.resource, "aws_iam_policy.analytics");
    assert_eq!(s.rule, "KR010");
    assert_eq!(s.reason, "the analytics role reads every domain by design");
    assert_eq!(s.expires.as_deref(), Some("2030-01-01"));
    assert_eq!(s.location.line, Some(42));
}

#[test]
fn json_syntax() {
    let p = load("json", &LoadOptions::default());
    let d = key_policy(&p, "aws_kms_key.json");
    let sids: Vec<_> = d.statements.iter().map(Statement::label).collect();
    assert_eq!(sids, ["Root", "Reader0"]);
    assert_eq!(
        principals(stmt(&d, "Reader0")),
        vec![known("arn:aws:iam::111122223333:role/reader")]
    );
    let Kind::Key(k) = &res(&p, "aws_kms_key.json").kind else {
        panic!("key")
    };
    assert_eq!(k.description.as_deref(), Some("json-1"));
    let Kind::DataStore(s) = &res(&p, "aws_dynamodb_table.items").kind else {
        panic!("table")
    };
    assert_eq!(
        s.encryption,
        Encryption::Kms(Val::Ref(vec![r("aws_kms_key.json", "arn")]))
    );
    assert_eq!(s.service, "dynamodb");
    assert_eq!(res(&p, "aws_kms_key.json").location.line, Some(38));
    assert_eq!(p.suppressions.len(), 1);
    assert_eq!(p.suppressions[0].rule, "KR003");
}

#[test]
fn single_file_input() {
    let path = fixture("domains/modules/domain/main.tf");
    let display = "testdata/hcl/domains/modules/domain/main.tf";
    let text = std::fs::read_to_string(&path).expect("read");
    let p = tf_hcl::parse_file(&path, display, &text, &LoadOptions::default()).expect("parse");
    // Variables live in another file: their references are errors noted as unknown values.
    assert!(p.resources.iter().any(|r| r.id == "aws_kms_key.this"));
    assert_eq!(res(&p, "aws_kms_key.this").location.file, display);
    assert!(!p.notes.is_empty());
}

#[test]
fn plan_unknowns_are_filled_from_source() {
    let source = load("domains", &LoadOptions::default());
    // A plan of the same configuration: the key policy and the queue's key are unknown there.
    let mut plan = source.clone();
    for r in &mut plan.resources {
        r.location = Location::file("plan.json");
        match &mut r.kind {
            Kind::Key(k) => {
                k.policy = Some(Val::Ref(vec![Reference::new(
                    "data.aws_iam_policy_document.key",
                    Some("json"),
                )]));
            }
            Kind::DataStore(s) if matches!(s.encryption, Encryption::Kms(_)) => {
                s.encryption = Encryption::Kms(Val::Unknown);
            }
            _ => {}
        }
    }
    tf_hcl::fill_plan_from_source(&mut plan, &source);
    let key = res(&plan, "module.domain[\"orders\"].aws_kms_key.this");
    assert_eq!(key_policy(&plan, &key.id).statements.len(), 3);
    assert_eq!(key.from_source.len(), 1);
    assert_eq!(key.from_source[0].attribute, "policy");
    assert_eq!(
        key.from_source[0].evidence(),
        "(from source testdata/hcl/domains/modules/domain/main.tf:1)"
    );
    let q = res(&plan, "aws_sqs_queue.events[0]");
    assert_eq!(q.from_source[0].attribute, "encryption");
    // Resources whose plan values were known are untouched.
    assert!(res(&plan, "aws_sqs_queue.events[1]").from_source.is_empty());
}

#[test]
fn file_outside_the_module_is_refused() {
    let dir = scratch("escape");
    std::fs::write(dir.join("secret.json"), "{}").expect("write");
    let module = dir.join("root");
    std::fs::create_dir_all(&module).expect("dir");
    std::fs::write(
        module.join("main.tf"),
        "resource \"aws_iam_policy\" \"p\" {\n  name = \"p\"\n  policy = file(\"../secret.json\")\n}\n",
    )
    .expect("write");
    let p = tf_hcl::parse_dir(&module, "root", &LoadOptions::default()).expect("parse");
    let Kind::ManagedPolicy(mp) = &res(&p, "aws_iam_policy.p").kind else {
        panic!("policy")
    };
    assert_eq!(mp.document, Val::Unknown);
    assert!(p
        .notes
        .iter()
        .any(|n| n.message.contains("leaves the module directory")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_for_each_is_one_star_instance_and_registry_outputs_are_unknown() {
    let dir = scratch("unknown");
    std::fs::write(
        dir.join("main.tf"),
        r#"
module "label" {
  source = "cloudposse/label/null"
}
resource "aws_iam_role" "r" {
  for_each           = toset(module.label.names)
  name               = each.key
  assume_role_policy = "{}"
}
resource "aws_kms_key" "k" {
  policy = jsonencode({
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = module.label.admin_arn }
      Action    = "kms:*"
      Resource  = "*"
    }]
  })
  tags = module.label.tags
}
"#,
    )
    .expect("write");
    let p = tf_hcl::parse_dir(&dir, "u", &LoadOptions::default()).expect("parse");
    assert!(p.resources.iter().any(|r| r.id == "aws_iam_role.r[*]"));
    let d = key_policy(&p, "aws_kms_key.k");
    assert_eq!(
        d.statements[0].principal,
        Some(Principals::Map(vec![(
            PrincipalType::Aws,
            Val::Ref(vec![r("module.label", "admin_arn")])
        )]))
    );
    assert_eq!(
        res(&p, "aws_kms_key.k").tags,
        Val::Ref(vec![r("module.label", "tags")])
    );
    assert!(p
        .notes
        .iter()
        .any(|n| n.message.contains("cloudposse/label/null")));
    assert!(p
        .notes
        .iter()
        .any(|n| n.message.contains("aws_iam_role.r") && n.message.contains("[*]")));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fresh scratch directory under the system temp dir.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("keyreach-hcl-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The access report of the `domains` tree (`expected-domains.json` beside it): readers per
/// domain through key policies, identity policies, grants and role assumption. Run with
/// `KEYREACH_BLESS=1` to rewrite it after reviewing a change.
#[test]
fn domains_tree_access_report() {
    for (name, opts, expected) in [
        ("domains", with_account(), "expected-domains.json"),
        ("json", LoadOptions::default(), "expected-domains.json"),
    ] {
        let dir = fixture(name);
        let (estate, errors) = keyreach::parse::load(std::slice::from_ref(&dir), &opts);
        assert!(errors.is_empty(), "{errors:?}");
        let report = keyreach::analysis::analyze(&estate);
        let got = serde_json::to_string_pretty(&serde_json::json!({ "domains": report.domains }))
            .expect("json")
            + "\n";
        let path = dir.join(expected);
        if std::env::var_os("KEYREACH_BLESS").is_some() {
            std::fs::write(&path, &got).expect("write");
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(want, got, "{name}: access report differs from {expected}");
    }
}

#[test]
fn module_count_overrides_providers_and_installed_modules() {
    let dir = scratch("modules");
    let write = |p: &str, text: &str| {
        let path = dir.join(p);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("dir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "main.tf",
        r#"
provider "aws" {
  alias  = "west"
  region = "us-west-2"
  default_tags {
    tags = { Region = "west" }
  }
}
variable "copies" {
  type    = number
  default = 1
}
module "store" {
  count     = var.copies
  source    = "./store"
  name      = "s${count.index}"
  providers = { aws = aws.west }
}
module "installed" {
  source  = "example/kms/aws"
  version = "1.0.0"
}
resource "aws_kms_key" "k" {
  description = "original"
}
"#,
    );
    write(
        "override.tf",
        "resource \"aws_kms_key\" \"k\" {\n  description = \"overridden\"\n}\n",
    );
    write("vars.tfvars.json", "{\"copies\": 2}");
    write(
        "store/main.tf",
        "variable \"name\" {}\nresource \"aws_sqs_queue\" \"q\" {\n  name = var.name\n}\n",
    );
    write(
        ".terraform/modules/modules.json",
        r#"{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"installed","Source":"registry.terraform.io/example/kms/aws","Version":"1.0.0","Dir":".terraform/modules/installed"}]}"#,
    );
    write(
        ".terraform/modules/installed/main.tf",
        "resource \"aws_kms_key\" \"this\" {\n  enable_key_rotation = true\n}\n",
    );
    let opts = LoadOptions {
        var_files: vec![dir.join("vars.tfvars.json")],
        ..LoadOptions::default()
    };
    let p = tf_hcl::parse_dir(&dir, "m", &opts).expect("parse");
    let ids: Vec<&str> = p.resources.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "aws_kms_key.k",
            "module.installed.aws_kms_key.this",
            "module.store[0].aws_sqs_queue.q",
            "module.store[1].aws_sqs_queue.q",
        ]
    );
    let Kind::Key(k) = &res(&p, "aws_kms_key.k").kind else {
        panic!("key")
    };
    assert_eq!(k.description.as_deref(), Some("overridden"));
    let Kind::DataStore(q) = &res(&p, "module.store[1].aws_sqs_queue.q").kind else {
        panic!("queue")
    };
    assert_eq!(q.name, Some(known("s1")));
    // The module gets the aliased provider, and with it its default tags.
    let tags = res(&p, "module.store[0].aws_sqs_queue.q")
        .tags
        .known()
        .cloned()
        .expect("tags");
    assert_eq!(tags.get("Region").map(String::as_str), Some("west"));
    assert!(
        p.notes
            .iter()
            .all(|n| !n.message.contains("example/kms/aws")),
        "{:?}",
        p.notes
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn provider_pinned_account_names_the_deploying_account() {
    let dir = scratch("pinned");
    std::fs::write(
        dir.join("main.tf"),
        r#"
provider "aws" {
  region              = "eu-central-1"
  allowed_account_ids = ["444455556666"]
}
data "aws_caller_identity" "me" {}
resource "aws_iam_role" "r" {
  name               = "reader"
  assume_role_policy = jsonencode({ Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.me.account_id}:root" }, Action = "sts:AssumeRole" }] })
}
"#,
    )
    .expect("write");
    let p = tf_hcl::parse_dir(&dir, "p", &LoadOptions::default()).expect("parse");
    assert_eq!(p.account_id.as_deref(), Some("444455556666"));
    assert_eq!(p.region.as_deref(), Some("eu-central-1"));
    let Kind::Role(role) = &res(&p, "aws_iam_role.r").kind else {
        panic!("role")
    };
    assert_eq!(
        role.arn,
        Some(known("arn:aws:iam::444455556666:role/reader"))
    );
    let Some(Val::Known(trust)) = &role.trust_policy else {
        panic!("trust")
    };
    assert_eq!(
        principals(&trust.statements[0]),
        vec![known("arn:aws:iam::444455556666:root")]
    );
    let _ = std::fs::remove_dir_all(&dir);
}
