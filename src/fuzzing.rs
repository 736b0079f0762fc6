//! Entry points for fuzzing every reader: one function per target, taking arbitrary bytes.
//!
//! The coverage-guided targets in `fuzz/` (cargo-fuzz, nightly) and the short replay-and-mutate
//! run of the test suite (`tests/fuzz_replay.rs`, stable) call the same functions, so a crash
//! found by one is replayed by the other. Each function reads its input the way the command
//! line does and, when the input is accepted, runs the whole analysis and renders the JSON
//! report, so hostile shapes reach the evaluator too. A target must never panic, whatever the
//! bytes; errors are the expected outcome for most inputs.
//!
//! Readers that only read files (Terraform source, parameter and variable files) get their
//! input written to a scratch directory of their own under the system temporary directory.

use crate::model::Estate;
use crate::parse::{LoadOptions, SourceFile};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fuzz target: takes any bytes, must never panic.
pub type Target = fn(&[u8]);

/// The fuzz targets, by name (the names of the binaries in `fuzz/`).
pub const TARGETS: &[(&str, Target)] = &[
    ("plan", plan),
    ("cfn_template", cfn_template),
    ("tf_source", tf_source),
    ("policy", policy),
    ("config", config),
    ("baseline", baseline),
    ("param_files", param_files),
];

/// The target called `name`.
#[must_use]
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

fn options() -> LoadOptions {
    LoadOptions {
        domain_tags: crate::DEFAULT_DOMAIN_TAGS
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        ..LoadOptions::default()
    }
}

/// Analysis, rules and the JSON report of an estate: what the command line does after reading.
fn analyse(estate: &Estate) {
    let mut report = crate::analysis::analyze(estate);
    let config = crate::config::Config::default();
    let today = crate::config::date::Date::from_days_since_epoch(20_000);
    report.findings = crate::rules::check(estate, &report, &config, today);
    let mut out = Vec::new();
    let _ = crate::report::render(&report, crate::cli::Format::Json, &mut out);
}

/// A scratch directory for one call: unique in the process, emptied before use.
fn scratch() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed) % 64;
    let dir = std::env::temp_dir().join(format!("keyreach-fuzz-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fn load_and_analyse(paths: &[PathBuf], opts: &LoadOptions) {
    let (estate, _errors) = crate::parse::load(paths, opts);
    analyse(&estate);
}

/// A Terraform plan (`terraform show -json`), read as the command line reads it.
pub fn plan(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let opts = options();
    if crate::parse::detect_kind("plan.json", text).is_err() {
        // Not recognised as any input: still give the plan parser the text.
        let _ = crate::parse::tf_plan::parse("plan.json", text, &opts);
        return;
    }
    let Ok(parsed) = crate::parse::tf_plan::parse("plan.json", text, &opts) else {
        return;
    };
    let mut estate = Estate::default();
    estate.context.domain_tags.clone_from(&opts.domain_tags);
    estate.extend(parsed);
    estate.finish();
    analyse(&estate);
}

/// A CloudFormation template, JSON or YAML (a text starting with `{` is read as JSON).
pub fn cfn_template(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let mut opts = options();
    opts.account_id = Some(crate::analysis::principals::DEPLOYING_ACCOUNT.to_owned());
    let file = SourceFile {
        display: "template.yaml".to_owned(),
        path: PathBuf::from("template.yaml"),
        text: text.to_owned(),
    };
    let (parsed, _errors) = crate::parse::cfn::parse_all(&[file], &opts);
    let mut estate = Estate::default();
    estate.context.domain_tags.clone_from(&opts.domain_tags);
    estate.extend(parsed);
    estate.finish();
    analyse(&estate);
}

/// Terraform source: the first byte chooses the syntax (even: `main.tf`, odd: `main.tf.json`),
/// the rest is the file, read as a directory of source.
pub fn tf_source(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let dir = scratch();
    let name = if first % 2 == 0 {
        "main.tf"
    } else {
        "main.tf.json"
    };
    if std::fs::write(dir.join(name), rest).is_err() {
        return;
    }
    load_and_analyse(std::slice::from_ref(&dir), &options());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A policy document (JSON), parsed alone and then as the key policy of a template.
pub fn policy(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let _ = crate::parse::policy_json::parse_policy_str(text, None);
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else {
        return;
    };
    let template = serde_json::json!({
        "Resources": {
            "Key": {
                "Type": "AWS::KMS::Key",
                "Properties": {"KeyPolicy": value, "Tags": [{"Key": "DataDomain", "Value": "d"}]}
            },
            "Role": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                    "Policies": [{"PolicyName": "p", "PolicyDocument": value}]
                }
            }
        }
    });
    cfn_template(template.to_string().as_bytes());
}

/// A `keyreach.yaml` configuration.
pub fn config(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let _ = crate::config::parse("keyreach.yaml", text);
}

/// A baseline written by `--write-baseline`.
pub fn baseline(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let _ = crate::baseline::parse("baseline.json", text);
}

/// A parameter or variable file: the first byte chooses a CloudFormation parameter file (JSON
/// or YAML, given to a small template), a `.tfvars` or a `.tfvars.json` file (given to a small
/// Terraform module).
pub fn param_files(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let dir = scratch();
    let mut opts = options();
    match first % 3 {
        0 => {
            let params = dir.join("params.json");
            let template = dir.join("template.yaml");
            let ok = std::fs::write(&params, rest).is_ok()
                && std::fs::write(&template, PARAM_TEMPLATE).is_ok();
            if ok {
                opts.parameter_files = vec![params];
                load_and_analyse(&[template], &opts);
            }
        }
        n => {
            let vars = dir.join(if n == 1 {
                "vars.tfvars"
            } else {
                "vars.tfvars.json"
            });
            let src = dir.join("src");
            let ok = std::fs::create_dir_all(&src).is_ok()
                && std::fs::write(src.join("main.tf"), VAR_MODULE).is_ok()
                && std::fs::write(&vars, rest).is_ok();
            if ok {
                opts.var_files = vec![vars];
                load_and_analyse(&[src], &opts);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

const PARAM_TEMPLATE: &str = "Parameters:
  Principal: {Type: String}
  Domain: {Type: String, Default: d}
  Admins: {Type: CommaDelimitedList}
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      Tags: [{Key: DataDomain, Value: !Ref Domain}]
      KeyPolicy:
        Statement:
          - Effect: Allow
            Principal: {AWS: !Ref Principal}
            Action: kms:Decrypt
            Resource: '*'
          - Effect: Allow
            Principal: {AWS: !Ref Admins}
            Action: kms:*
            Resource: '*'
";

const VAR_MODULE: &str = r#"variable "principal" {}
variable "domain" { default = "d" }
variable "admins" { type = list(string) }
resource "aws_kms_key" "k" {
  tags = { DataDomain = var.domain }
  policy = jsonencode({
    Statement = [
      { Effect = "Allow", Principal = { AWS = var.principal }, Action = "kms:Decrypt", Resource = "*" },
      { Effect = "Allow", Principal = { AWS = var.admins }, Action = "kms:*", Resource = "*" },
    ]
  })
}
"#;

/// Seed files for a target, from a folder of inputs such as `testdata/` (every file whose name
/// suits the target, at most `max_bytes` long), in a stable order. The first byte that some
/// targets use to choose a syntax is added. Files under `seeds/<target>/` (see `fuzz/seeds/`)
/// and `fuzz/<target>/` (the regression inputs in `testdata/fuzz/`) are taken as they are.
#[must_use]
pub fn seeds(target: &str, root: &Path, max_bytes: u64) -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    collect(root, &mut files, 0);
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let path = f.to_string_lossy();
        let size = std::fs::metadata(&f).map_or(u64::MAX, |m| m.len());
        if size > max_bytes {
            continue;
        }
        let own = format!("seeds/{target}/");
        let regression = format!("fuzz/{target}/");
        let prefix: Option<u8> = match target {
            _ if path.contains(&regression) => None,
            "plan" if name.ends_with(".json") && path.contains("plan") => None,
            "cfn_template"
                if (path.contains("cfn") || path.contains("cdk"))
                    && (name.ends_with(".json")
                        || name.ends_with(".yaml")
                        || name.ends_with(".yml")
                        || name.ends_with(".template")) =>
            {
                None
            }
            "tf_source" if name.ends_with(".tf") => Some(0),
            "tf_source" if name.ends_with(".tf.json") => Some(1),
            "policy" if name.ends_with(".json") && path.contains("polic") => None,
            "config" if name.starts_with("keyreach") && name.ends_with(".yaml") => None,
            "baseline" if name.contains("baseline") && name.ends_with(".json") => None,
            "param_files" if name.starts_with("params") => Some(0),
            "param_files" if name.ends_with(".tfvars") => Some(1),
            "param_files" if name.ends_with(".tfvars.json") => Some(2),
            _ if path.contains(&own) => None,
            _ => continue,
        };
        let Ok(bytes) = std::fs::read(&f) else {
            continue;
        };
        let mut seed = Vec::with_capacity(bytes.len() + 1);
        seed.extend(prefix);
        seed.extend(bytes);
        out.push(seed);
    }
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    if depth > 12 {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out, depth + 1);
        } else {
            out.push(p);
        }
    }
}
