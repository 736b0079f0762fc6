//! The real binary: every exit code, every `--format`, configuration, suppressions, baselines.

mod common;

use assert_cmd::Command;
use common::{fixture, root, sarif_schema_errors};
use serde_json::Value;
use std::path::{Path, PathBuf};

const TODAY: &str = "2025-06-15";

/// `keyreach` run from an empty scratch directory (no configuration to discover), with a fixed
/// "today".
fn keyreach(test: &str) -> Command {
    let mut c = Command::cargo_bin("keyreach").expect("binary");
    c.current_dir(scratch(test)).env("KEYREACH_TODAY", TODAY);
    c
}

fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn plan(code: &str, which: &str) -> String {
    fixture(code, which).join("plan.json").display().to_string()
}

fn config(code: &str, which: &str) -> String {
    fixture(code, which)
        .join("keyreach.yaml")
        .display()
        .to_string()
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }

    fn rules(&self) -> Vec<String> {
        self.json()["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .map(|f| f["rule"].as_str().unwrap_or("").to_owned())
            .collect()
    }
}

fn run(mut c: Command, args: &[&str]) -> Run {
    let out = c.args(args).output().expect("runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const ACCT: [&str; 2] = ["--account-id", "111122223333"];

fn analyze(test: &str, extra: &[&str]) -> Run {
    let mut args = vec!["analyze"];
    args.extend(ACCT);
    args.extend(extra);
    run(keyreach(test), &args)
}

#[test]
fn exit_0_table_for_a_clean_plan() {
    let p = plan("KR003", "pass");
    let r = analyze("exit0", &[&p]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("payments"), "{}", r.stdout);
}

#[test]
fn exit_1_json_for_a_critical_finding() {
    let p = plan("KR001", "fail");
    let r = analyze("exit1", &["--format", "json", &p]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let doc = r.json();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["domains"][0]["name"], "payments");
    let f = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "KR001")
        .expect("KR001");
    assert_eq!(f["severity"], "critical");
    assert_eq!(f["resource"], "aws_kms_key.payments");
    assert_eq!(f["domain"], "payments");
    assert_eq!(f["location"]["file"], p.as_str());
    assert!(f["location"]["pointer"]
        .as_str()
        .is_some_and(|p| p.starts_with('/')));
    assert!(
        f["location"].get("line").is_some(),
        "line is present (null for plan JSON)"
    );
}

#[test]
fn fail_on_thresholds() {
    let critical = plan("KR001", "fail");
    assert_eq!(analyze("never", &["--fail-on", "never", &critical]).code, 0);
    assert_eq!(
        analyze("critical", &["--fail-on", "critical", &critical]).code,
        1
    );
    // KR015 is medium: passes the default (high), fails at medium and low.
    let medium = plan("KR015", "fail");
    assert_eq!(analyze("default", &[&medium]).code, 0);
    assert_eq!(analyze("medium", &["--fail-on", "medium", &medium]).code, 1);
    assert_eq!(analyze("low", &["--fail-on", "low", &medium]).code, 1);
}

#[test]
fn exit_2_for_malformed_input_with_its_line() {
    let dir = scratch("malformed-input");
    let bad = dir.join("plan.json");
    std::fs::write(
        &bad,
        "{\n  \"format_version\": \"1.2\",\n  \"planned_values\": [\n",
    )
    .expect("write");
    let r = analyze("malformed-input-run", &[&bad.display().to_string()]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(&format!("{}:", bad.display())),
        "{}",
        r.stderr
    );
}

#[test]
fn exit_2_for_a_config_error_with_its_line() {
    let dir = scratch("config-error");
    let cfg = dir.join("keyreach.yaml");
    std::fs::write(
        &cfg,
        "suppressions:\n  - rule: KR999\n    resource: aws_kms_key.payments\n    reason: x\n",
    )
    .expect("write");
    let p = plan("KR003", "pass");
    let r = analyze(
        "config-error-run",
        &["--config", &cfg.display().to_string(), &p],
    );
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty(), "no report on a config error");
    assert!(
        r.stderr.contains(&format!("{}:2:", cfg.display())) && r.stderr.contains("KR999"),
        "{}",
        r.stderr
    );
}

#[test]
fn exit_2_for_an_invalid_today() {
    let p = plan("KR003", "pass");
    let mut cmd = keyreach("bad-today");
    cmd.env("KEYREACH_TODAY", "2025-02-30");
    let r = run(cmd, &["analyze", &p]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("KEYREACH_TODAY"), "{}", r.stderr);
}

#[test]
fn markdown_format() {
    let p = plan("KR001", "fail");
    let r = analyze("markdown", &["--format", "markdown", &p]);
    assert_eq!(r.code, 1);
    assert!(r.stdout.starts_with("## keyreach\n"), "{}", r.stdout);
    assert!(
        r.stdout.contains("findings: 2 critical, 0 high"),
        "{}",
        r.stdout
    );
    assert!(r
        .stdout
        .contains("| 🟥 critical | KR001 domain-readable-by-everyone | `aws_kms_key.payments` |"));
    assert!(r.stdout.contains("#### `payments`"));
    assert!(r.stdout.chars().count() < 65_536);
}

#[test]
fn sarif_format_validates() {
    let p = plan("KR001", "fail");
    let r = analyze("sarif", &["--format", "sarif", &p]);
    assert_eq!(r.code, 1);
    let sarif = r.json();
    let errors = sarif_schema_errors(&sarif);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    let kr001 = results
        .iter()
        .find(|r| r["ruleId"] == "KR001")
        .expect("KR001");
    assert_eq!(kr001["level"], "error");
    assert!(kr001["partialFingerprints"]["keyreachFingerprint/v1"].is_string());
    assert!(
        kr001["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .is_some_and(|u| u.ends_with("KR001/fail/plan.json"))
    );
}

#[test]
fn output_file() {
    let dir = scratch("output-file");
    let out = dir.join("report.sarif");
    let p = plan("KR001", "fail");
    let r = analyze(
        "output-file-run",
        &["--format", "sarif", "-o", &out.display().to_string(), &p],
    );
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty());
    let text = std::fs::read_to_string(&out).expect("report written");
    assert!(text.contains("\"version\": \"2.1.0\""));
}

#[test]
fn expected_access_violated_and_satisfied() {
    let (p, c) = (plan("KR016", "fail"), config("KR016", "fail"));
    let r = analyze(
        "expected-violated",
        &["--format", "json", "--config", &c, &p],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.rules().contains(&"KR016".to_owned()), "{:?}", r.rules());

    let (p, c) = (plan("KR016", "pass"), config("KR016", "pass"));
    let r = analyze(
        "expected-satisfied",
        &["--format", "json", "--config", &c, &p],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.rules().is_empty(), "{:?}", r.rules());
}

#[test]
fn config_is_discovered_in_parent_directories() {
    let dir = scratch("discovery");
    std::fs::copy(config("KR016", "fail"), dir.join("keyreach.yaml")).expect("copy");
    let sub = dir.join("infra/envs");
    std::fs::create_dir_all(&sub).expect("mkdir");
    let p = plan("KR016", "fail");
    let mut c = Command::cargo_bin("keyreach").expect("binary");
    c.current_dir(&sub).env("KEYREACH_TODAY", TODAY);
    let r = run(
        c,
        &[
            "analyze",
            "--account-id",
            "111122223333",
            "--format",
            "json",
            &p,
        ],
    );
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("using configuration ../../keyreach.yaml"),
        "{}",
        r.stderr
    );
    assert!(r.rules().contains(&"KR016".to_owned()));
}

#[test]
fn config_suppression_and_expiry() {
    // Not expired: KR015 is suppressed, stays in the JSON, and does not fail even at low.
    let (p, c) = (plan("KR018", "pass"), config("KR018", "pass"));
    let r = analyze(
        "suppressed",
        &["--format", "json", "--fail-on", "low", "--config", &c, &p],
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
    let doc = r.json();
    let f = &doc["findings"][0];
    assert_eq!(f["rule"], "KR015");
    assert_eq!(f["suppressed"]["kind"], "config");
    assert!(f["suppressed"]["reason"]
        .as_str()
        .is_some_and(|s| s.contains("runbook")));
    assert_eq!(f["suppressed"]["expires"], "2099-12-31");

    // Expired: KR015 is back, and KR018 points at the suppression.
    let (p, c) = (plan("KR018", "fail"), config("KR018", "fail"));
    let r = analyze(
        "expired",
        &[
            "--format",
            "json",
            "--fail-on",
            "medium",
            "--config",
            &c,
            &p,
        ],
    );
    assert_eq!(r.code, 1);
    let doc = r.json();
    let findings = doc["findings"].as_array().expect("findings");
    let kr015 = findings
        .iter()
        .find(|f| f["rule"] == "KR015")
        .expect("KR015");
    assert!(kr015.get("suppressed").is_none());
    let kr018 = findings
        .iter()
        .find(|f| f["rule"] == "KR018")
        .expect("KR018");
    assert_eq!(kr018["location"]["line"], 2);
    assert!(kr018["location"]["file"]
        .as_str()
        .is_some_and(|f| f.ends_with("keyreach.yaml")));

    // "Today" decides: in 2100 the 2099 suppression has expired too.
    let (p, c) = (plan("KR018", "pass"), config("KR018", "pass"));
    let mut cmd = keyreach("expired-later");
    cmd.env("KEYREACH_TODAY", "2100-01-01");
    let r = run(cmd, &["analyze", "--format", "json", "--config", &c, &p]);
    assert!(r.rules().contains(&"KR018".to_owned()), "{:?}", r.rules());
}

#[test]
fn inline_suppression_in_cloudformation() {
    let dir = scratch("inline");
    let template = dir.join("template.yaml");
    std::fs::write(
        &template,
        "AWSTemplateFormatVersion: '2010-09-09'\n\
         Resources:\n  \
           PaymentsKey:\n    \
             Type: AWS::KMS::Key\n    \
             Metadata:\n      \
               keyreach:\n        \
                 ignore:\n          \
                   - rule: KR015\n            \
                     reason: rotation handled by the yearly re-key runbook\n          \
                   - KR003 IAM delegation reviewed by the platform team\n    \
             Properties:\n      \
               EnableKeyRotation: false\n      \
               Tags:\n        \
                 - Key: DataDomain\n          \
                   Value: payments\n",
    )
    .expect("write");
    let r = analyze(
        "inline-run",
        &[
            "--format",
            "json",
            "--fail-on",
            "low",
            &template.display().to_string(),
        ],
    );
    let doc = r.json();
    let kr015 = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "KR015")
        .unwrap_or_else(|| panic!("KR015 expected: {}", r.stdout))
        .clone();
    assert_eq!(kr015["suppressed"]["kind"], "inline", "{kr015}");
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn inline_suppression_in_terraform_source() {
    let dir = scratch("inline-hcl");
    std::fs::write(
        dir.join("main.tf"),
        "# keyreach:ignore KR015 rotation handled by the yearly re-key runbook\n\
         # keyreach:ignore KR003 IAM delegation reviewed by the platform team\n\
         resource \"aws_kms_key\" \"payments\" {\n  \
           enable_key_rotation = false\n  \
           tags = { DataDomain = \"payments\" }\n\
         }\n",
    )
    .expect("write");
    let r = analyze(
        "inline-hcl-run",
        &[
            "--format",
            "json",
            "--fail-on",
            "low",
            &dir.display().to_string(),
        ],
    );
    let doc = r.json();
    let kr015 = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "KR015")
        .unwrap_or_else(|| panic!("KR015 expected: {}", r.stdout))
        .clone();
    assert_eq!(kr015["suppressed"]["kind"], "inline", "{kr015}");
    assert!(
        kr015["suppressed"]["source"]
            .as_str()
            .is_some_and(|s| s.contains("main.tf:1")),
        "{kr015}"
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn baseline_reports_only_new_findings() {
    let dir = scratch("baseline");
    let baseline = dir.join("baseline.json");
    let b = baseline.display().to_string();
    let p = plan("KR001", "fail");
    let r = analyze(
        "baseline-write",
        &["--format", "json", "--write-baseline", &b, &p],
    );
    assert_eq!(r.code, 1, "writing a baseline still reports and fails");
    assert_eq!(r.rules(), ["KR001", "KR010"]);
    let text = std::fs::read_to_string(&baseline).expect("baseline written");
    let saved: Value = serde_json::from_str(&text).expect("baseline JSON");
    assert_eq!(saved["keyreach_baseline"], 1);
    assert_eq!(saved["findings"].as_array().map(Vec::len), Some(2));

    let r = analyze("baseline-read", &["--format", "json", "--baseline", &b, &p]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.rules().is_empty());
    assert!(
        r.stderr.contains("2 finding(s) recorded in baseline"),
        "{}",
        r.stderr
    );

    // A new finding on top of the baseline is reported: KR002's plan adds a cross-account reader.
    let other = plan("KR002", "fail");
    let r = analyze(
        "baseline-new",
        &["--format", "json", "--baseline", &b, &other],
    );
    assert_eq!(r.code, 1);
    assert_eq!(r.rules(), ["KR002"]);

    std::fs::write(&baseline, "{\"keyreach_baseline\": 1,\n \"findings\": 3}").expect("write");
    let r = analyze("baseline-bad", &["--baseline", &b, &p]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(&format!("{b}:2:")), "{}", r.stderr);
}

#[test]
fn rules_and_rule_commands() {
    let r = run(keyreach("rules"), &["rules"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("KR001") && r.stdout.contains("domain-readable-by-everyone"));

    let r = run(keyreach("rules-json"), &["rules", "--format", "json"]);
    assert_eq!(r.code, 0);
    let list: Value = serde_json::from_str(&r.stdout).expect("JSON");
    assert_eq!(
        list.as_array().map(Vec::len),
        Some(keyreach::rules::RULES.len())
    );
    assert_eq!(list[0]["code"], "KR001");
    assert!(list[0]["explanation"]
        .as_str()
        .is_some_and(|e| e.contains("## Unknown values")));

    let r = run(keyreach("rule"), &["rule", "kr010"]);
    assert_eq!(r.code, 0);
    assert!(r
        .stdout
        .starts_with("# KR010 key-policy-allows-any-principal"));
    for h in keyreach::rules::EXPLANATION_HEADINGS {
        assert!(r.stdout.contains(h), "{h}");
    }
    let r = run(keyreach("explain"), &["explain", "KR003"]);
    assert_eq!(r.code, 0);

    let r = run(keyreach("rule-unknown"), &["rule", "KR999"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown rule `KR999`"));
}

/// A reference to something the template does not declare is exit 2 where it decides access
/// (a key reference), with the file and line.
#[test]
fn exit_2_for_an_undeclared_reference_that_decides_access() {
    let t = root()
        .join("testdata/cfn/malformed/missing-ref.yaml")
        .display()
        .to_string();
    let r = analyze("cfn-missing-ref", &[&t]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("missing-ref.yaml:9 (at /Resources/Queue/Properties/KmsMasterKeyId/Ref)"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("`NoSuchKey`"), "{}", r.stderr);
}

/// In tags, names and networking the same mistake does not change who has access: the
/// template is analysed, each undeclared name noted at its line.
#[test]
fn undeclared_names_outside_access_are_noted() {
    let t = root()
        .join("testdata/cfn/fragment.yaml")
        .display()
        .to_string();
    let r = analyze("cfn-fragment", &["--format", "json", &t]);
    // 0, not 2: the instance's unencrypted volume carries no domain tag, so its KR005 is
    // medium (stores outside any domain do not fail the default `--fail-on high`).
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.rules().contains(&"KR005".to_owned()));
    for (line, name) in [
        (8, "${Environment}"),
        (21, "${CompanyName}"),
        (29, "TeamName"),
        (33, "AppSubnet"),
        (34, "AppSecurityGroup"),
    ] {
        let want = format!("fragment.yaml:{line}: ");
        assert!(
            r.stderr
                .lines()
                .any(|l| l.starts_with("note: ") && l.contains(&want) && l.contains(name)),
            "{name} at line {line}: {}",
            r.stderr
        );
    }
    let doc = r.json();
    let domain = &doc["domains"][0];
    assert_eq!(domain["keys"][0], "OrdersKey");
    assert_eq!(domain["stores"][0]["id"], "OrdersBucket");
}

/// Without `--account-id`, an input that names real accounts gets one note naming the flag
/// (whether the deploying account is one of them decides access); with it, no such note.
#[test]
fn a_note_names_account_id_when_the_deploying_account_decides_access() {
    let plan = root().join("testdata/scenarios/partial-values-plan/plan.json");
    let plan = plan.to_str().expect("utf-8 path");
    let out = keyreach("account_note")
        .args(["analyze", "--fail-on", "never", plan])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("pass --account-id").count(), 1, "{stderr}");
    assert!(stderr.contains("111122223333"), "{stderr}");
    let out = keyreach("account_note_given")
        .args([
            "analyze",
            "--fail-on",
            "never",
            "--account-id",
            "111122223333",
            plan,
        ])
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("pass --account-id"), "{stderr}");
}
