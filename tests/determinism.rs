//! Same input, same bytes: on generated estates, the report is byte-identical across runs,
//! across thread counts (`KEYREACH_THREADS=1` against many threads) and across the order in
//! which the input files are given.

use assert_cmd::Command;
use proptest::prelude::*;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// One generated principal: a role with a trust policy and an inline policy.
#[derive(Debug, Clone)]
struct Role {
    /// Index of the role it trusts (a chain or a ring), if any.
    trusts: Option<usize>,
    /// Index of the key its inline policy reaches, if any.
    key: Option<usize>,
    /// The action pattern of that policy.
    action: &'static str,
    /// Whether the policy has a condition.
    conditional: bool,
}

#[derive(Debug, Clone)]
struct Key {
    domain: usize,
    /// Key policy statements: (principal index or none for the account, action, deny).
    statements: Vec<(Option<usize>, &'static str, bool)>,
    alias: bool,
    store: bool,
}

#[derive(Debug, Clone)]
struct EstateSpec {
    keys: Vec<Key>,
    roles: Vec<Role>,
    /// How many template files the resources are dealt into.
    files: usize,
}

const ACTIONS: &[&str] = &[
    "kms:Decrypt",
    "kms:*",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:PutKeyPolicy",
    "kms:Re*",
    "*",
];

fn estate() -> impl Strategy<Value = EstateSpec> {
    (1usize..5, 1usize..8, 1usize..4).prop_flat_map(|(nkeys, nroles, files)| {
        let role = (
            proptest::option::of(0..nroles),
            proptest::option::of(0..nkeys),
            proptest::sample::select(ACTIONS),
            any::<bool>(),
        )
            .prop_map(|(trusts, key, action, conditional)| Role {
                trusts,
                key,
                action,
                conditional,
            });
        let statement = (
            proptest::option::of(0..nroles),
            proptest::sample::select(ACTIONS),
            proptest::bool::weighted(0.2),
        );
        let key = (
            0usize..3,
            proptest::collection::vec(statement, 0..5),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(domain, statements, alias, store)| Key {
                domain,
                statements,
                alias,
                store,
            });
        (
            proptest::collection::vec(key, nkeys),
            proptest::collection::vec(role, nroles),
            Just(files),
        )
            .prop_map(|(keys, roles, files)| EstateSpec { keys, roles, files })
    })
}

fn role_arn(i: usize) -> String {
    format!("arn:aws:iam::111122223333:role/role-{i}")
}

/// The templates of an estate, one JSON text per file.
fn templates(spec: &EstateSpec) -> Vec<String> {
    let mut files = vec![serde_json::Map::new(); spec.files];
    for (i, k) in spec.keys.iter().enumerate() {
        let mut statements = vec![json!({"Sid": "Root", "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"})];
        for (j, (who, action, deny)) in k.statements.iter().enumerate() {
            let principal =
                who.map_or_else(|| "arn:aws:iam::111122223333:root".to_owned(), role_arn);
            statements.push(
                json!({"Sid": format!("S{j}"), "Effect": if *deny { "Deny" } else { "Allow" },
                "Principal": {"AWS": principal}, "Action": action, "Resource": "*"}),
            );
        }
        let file = &mut files[i % spec.files];
        file.insert(
            format!("Key{i}"),
            json!({"Type": "AWS::KMS::Key", "Properties": {
            "Tags": [{"Key": "DataDomain", "Value": format!("domain-{}", k.domain)}],
            "KeyPolicy": {"Version": "2012-10-17", "Statement": statements}}}),
        );
        if k.alias {
            file.insert(
                format!("Alias{i}"),
                json!({"Type": "AWS::KMS::Alias", "Properties": {
                "AliasName": format!("alias/key-{i}"), "TargetKeyId": {"Ref": format!("Key{i}")}}}),
            );
        }
        if k.store {
            file.insert(format!("Bucket{i}"), json!({"Type": "AWS::S3::Bucket", "Properties": {
                "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {
                    "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Fn::GetAtt": [format!("Key{i}"), "Arn"]}}}]}}}));
        }
    }
    for (i, r) in spec.roles.iter().enumerate() {
        let trusted = r.trusts.map_or_else(
            || json!({"Service": "lambda.amazonaws.com"}),
            |t| json!({"AWS": role_arn(t)}),
        );
        let mut role = json!({"Type": "AWS::IAM::Role", "Properties": {
            "RoleName": format!("role-{i}"),
            "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Principal": trusted, "Action": "sts:AssumeRole"}]}}});
        if let Some(k) = r.key {
            let mut st =
                json!({"Effect": "Allow", "Action": [r.action, "sts:AssumeRole"], "Resource": "*"});
            if r.conditional {
                st["Condition"] =
                    json!({"StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}});
            }
            st["Sid"] = json!(format!("UseKey{k}"));
            role["Properties"]["Policies"] =
                json!([{"PolicyName": "use", "PolicyDocument": {"Statement": [st]}}]);
        }
        files[(i + 1) % spec.files].insert(format!("Role{i}"), role);
    }
    files
        .into_iter()
        .map(|resources| {
            json!({"AWSTemplateFormatVersion": "2010-09-09", "Resources": Value::Object(resources)})
                .to_string()
        })
        .collect()
}

fn scratch(tag: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("keyreach-determinism-{}-{tag}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn report(files: &[PathBuf], threads: &str, format: &str, cwd: &Path) -> Vec<u8> {
    let out = Command::cargo_bin("keyreach")
        .expect("binary")
        .current_dir(cwd)
        .env("KEYREACH_THREADS", threads)
        .env("KEYREACH_TODAY", "2026-01-01")
        .args([
            "analyze",
            "--format",
            format,
            "--fail-on",
            "never",
            "--account-id",
            "111122223333",
        ])
        .args(files)
        .output()
        .expect("runs");
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn report_bytes_do_not_depend_on_threads_runs_or_file_order(spec in estate()) {
        let dir = scratch("cfn");
        let mut paths = Vec::new();
        for (i, text) in templates(&spec).iter().enumerate() {
            let p = dir.join(format!("stack-{i}.json"));
            std::fs::write(&p, text).expect("write");
            paths.push(p);
        }
        // Relative paths: the report names the files, and the order test must not rename them.
        let rel: Vec<PathBuf> = paths.iter().map(|p| PathBuf::from(p.file_name().expect("name"))).collect();
        let mut reversed = rel.clone();
        reversed.reverse();
        for format in ["json", "sarif"] {
            let one = report(&rel, "1", format, &dir);
            prop_assert_eq!(&one, &report(&rel, "1", format, &dir), "two runs differ");
            prop_assert_eq!(&one, &report(&rel, "8", format, &dir), "1 thread and 8 threads differ");
            prop_assert_eq!(&one, &report(&reversed, "3", format, &dir), "file order changes the report");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// A larger estate, where the parallel paths run on their own (no forced thread count) and
/// when forced to one thread.
#[test]
fn large_plan_report_is_the_same_on_one_thread_and_many() {
    let dir = scratch("plan");
    let plan = dir.join("plan.json");
    std::fs::write(
        &plan,
        keyreach::synth::plan(keyreach::synth::domains_for(3_000)),
    )
    .expect("write");
    let rel = vec![PathBuf::from("plan.json")];
    let one = report(&rel, "1", "json", &dir);
    assert_eq!(one, report(&rel, "8", "json", &dir));
    assert_eq!(
        one,
        report(&rel, "0", "json", &dir),
        "unset (0) is the cores"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
