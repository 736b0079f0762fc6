//! Access diff: the scenario folders under `testdata/diff/` (each kind of change, in plan form
//! and in base/head form), exit codes of `--fail-on-new-access`, and every format.
//!
//! Each scenario folder holds `plan.json` (one plan carrying the estate before and after),
//! `base/` and `head/` (the two estates as separate inputs), `README.md`, and the expected
//! outputs `expected-plan.json` (`keyreach diff plan.json --format json`) and
//! `expected-base-head.json` (`keyreach diff --base base/* --head head/* --format json`).
//! Run with `KEYREACH_BLESS=1` to rewrite the expected files after reviewing a change.

mod common;

use assert_cmd::Command;
use common::{root, sarif_schema_errors};
use serde_json::Value;
use std::path::{Path, PathBuf};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

/// `keyreach` run from the repository root (paths in outputs are relative to it), with no
/// configuration unless one is given.
fn keyreach(args: &[&str]) -> Run {
    let out = Command::cargo_bin("keyreach")
        .expect("binary")
        .current_dir(root())
        .env("KEYREACH_TODAY", "2025-06-15")
        .args(args)
        .output()
        .expect("runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn scenario_dirs() -> Vec<PathBuf> {
    let dir = root().join("testdata/diff");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("testdata/diff")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("side dir")
        .filter_map(Result::ok)
        .map(|e| rel(&e.path()))
        .collect();
    v.sort();
    v
}

fn plan_form(dir: &Path) -> Run {
    // A config-free empty directory is not needed: the repository has no keyreach.yaml.
    keyreach(&["diff", &rel(&dir.join("plan.json")), "--format", "json"])
}

fn base_head_form(dir: &Path) -> Run {
    let mut args: Vec<String> = vec!["diff".into(), "--format".into(), "json".into()];
    args.push("--base".into());
    args.extend(files(&dir.join("base")));
    args.push("--head".into());
    args.extend(files(&dir.join("head")));
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    keyreach(&refs)
}

/// (domain, principal, capability, before, after) of every access change.
fn tuples(v: &Value) -> Vec<String> {
    v["access_changes"]
        .as_array()
        .expect("access_changes")
        .iter()
        .map(|c| {
            format!(
                "{} {} {} {}->{}",
                c["domain"].as_str().unwrap_or(""),
                c["principal"].as_str().unwrap_or(""),
                c["capability"].as_str().unwrap_or(""),
                c["before"].as_str().unwrap_or(""),
                c["after"].as_str().unwrap_or("")
            )
        })
        .collect()
}

fn causes_of(v: &Value, principal: &str, capability: &str) -> Vec<String> {
    v["access_changes"]
        .as_array()
        .expect("access_changes")
        .iter()
        .filter(|c| c["principal"] == principal && c["capability"] == capability)
        .flat_map(|c| c["causes"].as_array().cloned().unwrap_or_default())
        .map(|c| {
            format!(
                "{} {}",
                c["resource"].as_str().unwrap_or(""),
                c["change"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn scenarios_match_expected_in_both_forms() {
    let bless = std::env::var_os("KEYREACH_BLESS").is_some();
    let mut failures = Vec::new();
    let dirs = scenario_dirs();
    assert!(dirs.len() >= 8, "scenario folders missing");
    for dir in &dirs {
        assert!(
            dir.join("README.md").is_file(),
            "{}: README.md",
            dir.display()
        );
        for (form, run) in [("plan", plan_form(dir)), ("base-head", base_head_form(dir))] {
            assert_eq!(run.code, 0, "{}: {form}: {}", dir.display(), run.stderr);
            let path = dir.join(format!("expected-{form}.json"));
            if bless {
                std::fs::write(&path, &run.stdout).expect("write expected");
                continue;
            }
            let want = std::fs::read_to_string(&path).unwrap_or_default();
            if want != run.stdout {
                failures.push(format!(
                    "{}: {form} differs from {}\n--- expected\n{want}\n--- got\n{}",
                    dir.display(),
                    path.display(),
                    run.stdout
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn both_forms_agree_and_every_change_has_a_cause() {
    for dir in scenario_dirs() {
        let p = plan_form(&dir).json();
        let b = base_head_form(&dir).json();
        assert_eq!(tuples(&p), tuples(&b), "{}", dir.display());
        for v in [&p, &b] {
            for list in ["access_changes", "domain_changes", "store_moves"] {
                for c in v[list].as_array().expect("list") {
                    let causes = c["causes"].as_array().expect("causes");
                    assert!(!causes.is_empty(), "{}: no cause: {c}", dir.display());
                    for cause in causes {
                        assert!(cause["location"]["file"]
                            .as_str()
                            .is_some_and(|f| !f.is_empty()));
                        assert!(cause["location"]["line"].as_u64().is_some(), "{cause}");
                    }
                }
            }
        }
    }
}

fn scenario(name: &str) -> Value {
    plan_form(&root().join("testdata/diff").join(name)).json()
}

#[test]
fn each_kind_of_change_is_reported_with_its_cause() {
    let v = scenario("key-policy-statements");
    assert_eq!(
        tuples(&v),
        [
            "payments aws_iam_role.analytics read no->yes",
            "payments aws_iam_role.auditor read yes->no"
        ]
    );
    assert_eq!(
        causes_of(&v, "aws_iam_role.analytics", "read"),
        ["aws_kms_key.payments update"]
    );
    let statements = &v["access_changes"][0]["causes"][0]["statements"];
    assert_eq!(
        statements,
        &serde_json::json!(["statement Analytics added", "statement Auditor removed"])
    );

    let v = scenario("identity-policy-widened");
    assert!(tuples(&v).contains(&"payments aws_iam_role.analytics read no->yes".to_owned()));
    assert!(tuples(&v).contains(&"orders aws_iam_role.analytics read no->yes".to_owned()));
    assert_eq!(
        causes_of(&v, "aws_iam_role.analytics", "read")[0],
        "aws_iam_role_policy.analytics update"
    );

    let v = scenario("trust-policy-chain");
    assert!(tuples(&v).contains(&"payments aws_iam_role.ci read no->yes".to_owned()));
    assert_eq!(
        causes_of(&v, "aws_iam_role.ci", "read"),
        ["aws_iam_role.app update"]
    );

    let v = scenario("grants");
    assert!(tuples(&v).contains(&"payments aws_iam_role.analytics read no->yes".to_owned()));
    assert!(tuples(&v).contains(&"orders aws_iam_role.app read yes->no".to_owned()));
    assert_eq!(
        causes_of(&v, "aws_iam_role.app", "read"),
        ["aws_kms_grant.old_partner delete"]
    );

    let v = scenario("store-moved");
    assert!(v["access_changes"].as_array().expect("list").is_empty());
    let m = &v["store_moves"][0];
    assert_eq!(m["store"], "aws_s3_bucket.archive");
    assert_eq!(m["before"]["key"], "aws_kms_key.orders");
    assert_eq!(m["after"]["key"], "aws_kms_key.payments");

    let v = scenario("key-replaced");
    assert_eq!(v["domain_changes"][0]["domain"], "hr");
    assert_eq!(v["domain_changes"][0]["change"], "created");
    assert!(causes_of(&v, "aws_iam_role.app", "read")
        .contains(&"aws_kms_key.orders replace".to_owned()));

    let v = scenario("resources-deleted");
    assert_eq!(v["domain_changes"][0]["domain"], "orders");
    assert_eq!(v["domain_changes"][0]["change"], "destroyed");
    assert!(tuples(&v).contains(&"payments aws_iam_role.app read yes->no".to_owned()));

    let v = scenario("unknown-after-apply");
    assert!(tuples(&v).contains(&"payments aws_iam_role.analytics read no->conditional".to_owned()));
}

const KPS: &str = "testdata/diff/key-policy-statements/plan.json";

#[test]
fn fail_on_new_access_exit_codes() {
    // Default: never fails on access.
    assert_eq!(keyreach(&["diff", KPS]).code, 0);
    let r = keyreach(&["diff", KPS, "--fail-on-new-access", "read"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r
        .stderr
        .contains("aws_iam_role.analytics gains read on domain payments"));
    // Only read was gained.
    assert_eq!(
        keyreach(&["diff", KPS, "--fail-on-new-access", "write"]).code,
        0
    );
    assert_eq!(
        keyreach(&["diff", KPS, "--fail-on-new-access", "admin"]).code,
        0
    );
    assert_eq!(
        keyreach(&["diff", KPS, "--fail-on-new-access", "never"]).code,
        0
    );
    // no -> conditional counts.
    let unknown = "testdata/diff/unknown-after-apply/plan.json";
    assert_eq!(
        keyreach(&["diff", unknown, "--fail-on-new-access", "admin"]).code,
        1
    );

    // Expected access in keyreach.yaml accepts the principal; a domain's own setting wins.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("diff-gate");
    std::fs::create_dir_all(&dir).expect("dir");
    let allow = dir.join("allow.yaml");
    std::fs::write(
        &allow,
        "domains:\n  payments:\n    read: [aws_iam_role.analytics]\n",
    )
    .expect("w");
    let cfg = allow.display().to_string();
    let r = keyreach(&[
        "diff",
        KPS,
        "--fail-on-new-access",
        "read",
        "--config",
        &cfg,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let strict = dir.join("strict.yaml");
    std::fs::write(
        &strict,
        "domains:\n  payments:\n    fail_on_new_access: read\n",
    )
    .expect("w");
    let cfg = strict.display().to_string();
    assert_eq!(keyreach(&["diff", KPS, "--config", &cfg]).code, 1);
    let off = dir.join("off.yaml");
    std::fs::write(
        &off,
        "domains:\n  payments:\n    fail_on_new_access: never\n",
    )
    .expect("w");
    let cfg = off.display().to_string();
    assert_eq!(
        keyreach(&[
            "diff",
            KPS,
            "--fail-on-new-access",
            "read",
            "--config",
            &cfg
        ])
        .code,
        0
    );
    let bad = dir.join("bad.yaml");
    std::fs::write(
        &bad,
        "domains:\n  payments:\n    fail_on_new_access: maybe\n",
    )
    .expect("w");
    let cfg = bad.display().to_string();
    let r = keyreach(&["diff", KPS, "--config", &cfg]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("bad.yaml:3"), "{}", r.stderr);

    // `analyze` of the same plan gates the same way, next to --fail-on.
    let r = keyreach(&[
        "analyze",
        KPS,
        "--fail-on",
        "never",
        "--fail-on-new-access",
        "read",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(keyreach(&["analyze", KPS, "--fail-on", "never"]).code, 0);
}

#[test]
fn usage_and_input_errors_exit_2() {
    let r = keyreach(&["diff"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nothing to compare"), "{}", r.stderr);
    let r = keyreach(&["diff", KPS, "--base", KPS, "--head", KPS]);
    assert_eq!(r.code, 2);
    let r = keyreach(&["diff", "--base", KPS]);
    assert_eq!(r.code, 2, "--base needs --head");
    // A template alone has no before state.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("diff-usage");
    std::fs::create_dir_all(&dir).expect("dir");
    let t = dir.join("t.yaml");
    std::fs::write(
        &t,
        "Resources:\n  Key:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy: {}\n",
    )
    .expect("w");
    let r = keyreach(&["diff", &t.display().to_string()]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--base"), "{}", r.stderr);
    // A malformed input on one side: exit 2 with the file named; the report is still written.
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"format_version\": \"1.2\", \"planned_values\": [").expect("w");
    let base = "testdata/diff/grants/base/state.json";
    let r = keyreach(&[
        "diff",
        "--base",
        base,
        "--head",
        base,
        &bad.display().to_string(),
    ]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("bad.json"), "{}", r.stderr);
    assert!(r.stdout.contains("Access changes"));
}

#[test]
fn every_format() {
    // Table.
    let r = keyreach(&["diff", KPS]);
    assert!(r.stdout.starts_with("Access changes\n"), "{}", r.stdout);
    assert!(r
        .stdout
        .contains("+ aws_iam_role.analytics read: no -> yes"));
    assert!(r
        .stdout
        .contains("caused by aws_kms_key.payments (update, "));
    assert!(r.stdout.contains("statement Analytics added"));

    // JSON: only the changes.
    let v = keyreach(&["diff", KPS, "--format", "json"]).json();
    assert_eq!(v["schema_version"], 1);
    assert!(v.get("domains").is_none());
    let c = &v["access_changes"][0];
    for field in [
        "domain",
        "principal",
        "arn",
        "capability",
        "before",
        "after",
        "causes",
    ] {
        assert!(c.get(field).is_some(), "{field}");
    }
    assert_eq!(c["arn"], "arn:aws:iam::111122223333:role/analytics");

    // Markdown.
    let r = keyreach(&["diff", KPS, "--format", "markdown"]);
    assert!(
        r.stdout.starts_with("## keyreach: access changes\n"),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .contains("| ➕ | payments | `aws_iam_role.analytics` | read | no → ✅ yes |"));

    // SARIF: one result per access gained, at the cause, valid against the schema.
    let v = keyreach(&["diff", KPS, "--format", "sarif"]).json();
    assert!(
        sarif_schema_errors(&v).is_empty(),
        "{:?}",
        sarif_schema_errors(&v)
    );
    let results = v["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "only the access gained");
    assert_eq!(results[0]["ruleId"], "KR030");
    let loc = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], KPS);
    assert!(loc["region"]["startLine"].as_u64().is_some());
    let rules = v["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    assert!(rules.iter().any(|r| r["id"] == "KR030"));

    // Output file.
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("diff-out");
    std::fs::create_dir_all(&dir).expect("dir");
    let out = dir.join("changes.json");
    let r = keyreach(&[
        "diff",
        KPS,
        "--format",
        "json",
        "-o",
        &out.display().to_string(),
    ]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.is_empty());
    assert!(std::fs::read_to_string(&out)
        .expect("written")
        .contains("access_changes"));
}

#[test]
fn analyze_of_a_changing_plan_carries_the_changes() {
    let v = keyreach(&["analyze", KPS, "--format", "json", "--fail-on", "never"]).json();
    assert!(v["domains"].as_array().is_some_and(|d| !d.is_empty()));
    assert!(v["findings"].is_array());
    assert_eq!(
        tuples(&v),
        [
            "payments aws_iam_role.analytics read no->yes",
            "payments aws_iam_role.auditor read yes->no"
        ]
    );
    let md = keyreach(&["analyze", KPS, "--format", "markdown", "--fail-on", "never"]).stdout;
    let changes = md
        .find("### Access changes")
        .expect("access changes section");
    assert!(md.starts_with("## keyreach\n"));
    if let Some(findings) = md.find("### Findings") {
        assert!(changes < findings);
    }
    assert!(changes < md.find("### Domains").expect("domains"));
    let table = keyreach(&["analyze", KPS, "--fail-on", "never"]).stdout;
    assert!(table.starts_with("Access changes\n"));
    let sarif = keyreach(&["analyze", KPS, "--format", "sarif", "--fail-on", "never"]).json();
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(results.iter().any(|r| r["ruleId"] == "KR030"));
    assert!(sarif_schema_errors(&sarif).is_empty());

    // A plan that only creates (no prior objects) carries no access changes in analyze.
    let v = keyreach(&[
        "analyze",
        "examples/two-domains.plan.json",
        "--format",
        "json",
        "--fail-on",
        "never",
    ])
    .json();
    assert!(v.get("access_changes").is_none());
}

#[test]
fn cloudformation_templates_in_base_head_form() {
    let r = keyreach(&[
        "diff",
        "--base",
        "testdata/diff-cfn/base/template.yaml",
        "--head",
        "testdata/diff-cfn/head/template.yaml",
        "--format",
        "json",
        "--fail-on-new-access",
        "read",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = r.json();
    assert_eq!(tuples(&v), ["payments AnalyticsRole read no->yes"]);
    let cause = &v["access_changes"][0]["causes"][0];
    assert_eq!(cause["resource"], "PaymentsKey");
    assert_eq!(
        cause["location"]["file"],
        "testdata/diff-cfn/head/template.yaml"
    );
    assert_eq!(cause["location"]["line"], 3);
    assert_eq!(cause["statements"][0], "statement Analytics added");
    // The other way round the access is lost, caused by the same resource.
    let r = keyreach(&[
        "diff",
        "--base",
        "testdata/diff-cfn/head/template.yaml",
        "--head",
        "testdata/diff-cfn/base/template.yaml",
        "--format",
        "json",
    ]);
    assert_eq!(tuples(&r.json()), ["payments AnalyticsRole read yes->no"]);
}
