//! Errors that help, reader by reader, through the real binary: a rejected input names its
//! file and its line (or JSON pointer), the run exits 2, and the other inputs of the same run
//! are still analysed and reported. Hostile nesting (100,000 levels) is refused the same way
//! in every format. Configuration and baseline errors make the whole run unusable: they exit
//! 2 with file and line before any input is read.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

const DEEP: usize = 100_000;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("reader_errors")
        .join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A good input analysed next to the bad one: its domains must be in the report.
fn good() -> String {
    root()
        .join("examples/two-domains.plan.json")
        .display()
        .to_string()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("dir");
    }
    std::fs::write(&p, text).expect("write");
    p.display().to_string()
}

/// Runs `analyze --format json` with `args`; exit code 2 expected. Returns stderr and the
/// domain names of the report.
fn run_bad(args: &[String]) -> (String, Vec<String>) {
    let out = Command::cargo_bin("keyreach")
        .expect("binary")
        .env("KEYREACH_TODAY", "2026-01-01")
        .args(["analyze", "--format", "json", "--fail-on", "never"])
        .args(args)
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let domains = report["domains"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter_map(|d| d["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    (stderr, domains)
}

/// The bad input is named with `place` (`file:line` or `file (at /pointer)`), and the good
/// plan's domains are reported.
fn assert_named_and_others_analysed(args: &[String], place: &str, what: &str) {
    let (stderr, domains) = run_bad(args);
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with(&format!("error: {place}")) && l.contains(what)),
        "expected `error: {place}…{what}` in:\n{stderr}"
    );
    assert!(
        domains.iter().any(|d| d == "payments"),
        "the good input was not analysed: {domains:?}"
    );
}

#[test]
fn plan_errors_name_line_or_pointer() {
    let dir = scratch("plan");
    let bad = write(
        &dir,
        "bad.plan.json",
        "{\"format_version\": \"1.2\",\n\"planned_values\": {\n",
    );
    assert_named_and_others_analysed(&[bad.clone(), good()], &format!("{bad}:3"), "JSON");
    let bad = write(
        &dir,
        "shape.plan.json",
        "{\"format_version\": \"1.2\", \"planned_values\": {\"root_module\": []}}",
    );
    assert_named_and_others_analysed(
        &[good(), bad.clone()],
        &format!("{bad} (at /planned_values/root_module)"),
        "module",
    );
    let deep = format!(
        "{{\"format_version\": \"1.2\", \"planned_values\": {{\"root_module\": {{\"resources\": [\n\
         {{\"address\": \"aws_kms_key.k\", \"type\": \"aws_kms_key\", \"name\": \"k\", \
         \"mode\": \"managed\", \"values\": {}{}}}]}}}}}}",
        "[".repeat(DEEP),
        "]".repeat(DEEP)
    );
    let bad = write(&dir, "deep.plan.json", &deep);
    assert_named_and_others_analysed(
        &[bad.clone(), good()],
        &format!("{bad} (at /planned_values/root_module/resources/0/values)"),
        "recursion limit",
    );
}

#[test]
fn template_errors_name_their_line() {
    let dir = scratch("cfn");
    let json = format!(
        "{{\"Resources\": {{\n\"A\": {}{}}}}}",
        "[".repeat(DEEP),
        "]".repeat(DEEP)
    );
    let bad = write(&dir, "deep.json", &json);
    assert_named_and_others_analysed(
        &[bad.clone(), good()],
        &format!("{bad}:2:"),
        "nested more than",
    );
    for (name, opener) in [
        ("deep.yaml", "["),
        ("deep-map.yaml", "{a: "),
        ("deep-tag.yaml", "!Ref ["),
    ] {
        let yaml = format!("Resources:\n  A: {}\n", opener.repeat(DEEP));
        let bad = write(&dir, name, &yaml);
        assert_named_and_others_analysed(
            &[good(), bad.clone()],
            &format!("{bad}:2:"),
            "nested more than",
        );
    }
    let bad = write(&dir, "bad.yaml", "Resources:\n  A:\n    Type: [x\n  B: 1\n");
    assert_named_and_others_analysed(&[bad.clone(), good()], &format!("{bad}:"), "malformed YAML");
    let bad = write(&dir, "bad.json", "{\"Resources\": {\"A\": }}");
    assert_named_and_others_analysed(&[bad.clone(), good()], &format!("{bad}:1:"), "JSON");
}

#[test]
fn terraform_source_errors_name_their_line() {
    let dir = scratch("hcl");
    write(
        &dir,
        "native/main.tf",
        "resource \"aws_kms_key\" \"k\" {\n  policy = [\n}\n",
    );
    let src = dir.join("native").display().to_string();
    assert_named_and_others_analysed(&[src.clone(), good()], &format!("{src}/main.tf:"), "HCL");
    write(
        &dir,
        "deep/main.tf",
        &format!(
            "resource \"aws_kms_key\" \"k\" {{\n  policy = {}1{}\n}}\n",
            "[".repeat(DEEP),
            "]".repeat(DEEP)
        ),
    );
    let src = dir.join("deep").display().to_string();
    assert_named_and_others_analysed(
        &[good(), src.clone()],
        &format!("{src}/main.tf:2:"),
        "nesting",
    );
    write(
        &dir,
        "json/main.tf.json",
        &format!(
            "{{\"resource\": {{\"aws_kms_key\": {{\"k\":\n{{\"policy\": {}{}}}}}}}}}",
            "[".repeat(DEEP),
            "]".repeat(DEEP)
        ),
    );
    let src = dir.join("json").display().to_string();
    assert_named_and_others_analysed(
        &[src.clone(), good()],
        &format!("{src}/main.tf.json:2:"),
        "recursion",
    );
}

#[test]
fn parameter_and_variable_file_errors_name_their_line() {
    let dir = scratch("params");
    let template = write(
        &dir,
        "t.yaml",
        "Parameters:\n  P: {Type: String}\nResources: {}\n",
    );
    let params = write(
        &dir,
        "params.json",
        &format!("{{\"Parameters\":\n{}", "[".repeat(DEEP)),
    );
    let args = vec![
        "--parameter-file".to_owned(),
        params.clone(),
        template,
        good(),
    ];
    assert_named_and_others_analysed(&args, &format!("{params}:2:"), "nested more than");
    let params = write(&dir, "params.yaml", "Parameters:\n  P: [a\n");
    let template = dir.join("t.yaml").display().to_string();
    let args = vec![
        "--parameter-file".to_owned(),
        params.clone(),
        template,
        good(),
    ];
    assert_named_and_others_analysed(&args, &format!("{params}:"), "malformed YAML");
    write(&dir, "src/main.tf", "variable \"v\" {}\n");
    let vars = write(&dir, "bad.tfvars", "v = [\n");
    let src = dir.join("src").display().to_string();
    let args = vec!["--var-file".to_owned(), vars.clone(), src, good()];
    assert_named_and_others_analysed(&args, &format!("{vars}:"), "");
}

#[test]
fn configuration_and_baseline_errors_name_their_line() {
    let dir = scratch("config");
    let config = write(
        &dir,
        "keyreach.yaml",
        &format!("domains:\n  d: {}\n", "[".repeat(DEEP)),
    );
    let (stderr, _) = run_bad(&["--config".to_owned(), config.clone(), good()]);
    assert!(
        stderr.contains(&format!("{config}:2:")) && stderr.contains("nested more than"),
        "{stderr}"
    );
    let baseline = write(
        &dir,
        "baseline.json",
        "{\"keyreach_baseline\": 1,\n\"findings\": [\n",
    );
    let (stderr, _) = run_bad(&["--baseline".to_owned(), baseline.clone(), good()]);
    assert!(stderr.contains(&format!("{baseline}:3")), "{stderr}");
}
