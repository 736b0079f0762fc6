//! Rule fixtures: `testdata/rules/<CODE>/{fail,pass}/` each hold a Terraform plan
//! (`plan.json`, written by `testdata/rules/generate.py` in `terraform show -json` shape) or a
//! CloudFormation template (`template.yaml`), an optional `keyreach.yaml` and `args` (extra
//! command-line options). The `fail` fixture must produce the finding in its `expected.json`
//! (rule, resource, subject, located in the input); the `pass` fixture must produce no finding
//! of that rule, and so must every `pass-<shape>/` fixture (real-world shapes that used to
//! raise the rule falsely; their README.md says which).
//! KR030 (access gained) fixtures are plans that change existing resources (copied from
//! `testdata/diff/`).

use keyreach::cli::{Cli, Command};
use keyreach::config::date::Date;
use keyreach::finding::Finding;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/rules")
}

struct Outcome {
    resources: usize,
    findings: Vec<Finding>,
}

/// The fixture's input: `plan.json`, else `template.yaml`.
fn input_of(dir: &Path) -> PathBuf {
    let plan = dir.join("plan.json");
    if plan.is_file() {
        plan
    } else {
        dir.join("template.yaml")
    }
}

/// The `pass-<shape>` fixtures of a rule, sorted.
fn extra_passes(code: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join(code))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.is_dir()
                        && p.file_name()
                            .and_then(|n| n.to_str())
                            .is_some_and(|n| n.starts_with("pass-"))
                })
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

fn run_fixture(dir: &Path) -> Outcome {
    let mut argv: Vec<String> = vec!["keyreach".into(), "analyze".into()];
    if let Ok(extra) = std::fs::read_to_string(dir.join("args")) {
        argv.extend(
            extra
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned),
        );
    }
    argv.push(input_of(dir).display().to_string());
    let cli = <Cli as clap::Parser>::try_parse_from(&argv).expect("valid fixture args");
    let Command::Analyze(args) = cli.command else {
        panic!("analyze expected")
    };
    let config_path = dir.join("keyreach.yaml");
    let config = if config_path.is_file() {
        keyreach::load_config(Some(&config_path)).expect("valid fixture config")
    } else {
        keyreach::config::Config::default()
    };
    let opts = keyreach::load_options(&args.input).expect("options");
    let (estate, errors) = keyreach::parse::load(&args.input.inputs, &opts);
    assert!(
        errors.is_empty(),
        "{}: input errors: {errors:?}",
        dir.display()
    );
    let report = keyreach::analysis::analyze(&estate);
    let today = Date::parse("2025-06-15").expect("date");
    let mut findings = keyreach::rules::check(&estate, &report, &config, today);
    // Access gained (KR030) comes from comparing the plan's before and after estates.
    if let Some(before) = keyreach::diff::before_estate(&estate) {
        findings.extend(
            keyreach::diff::diff_estates(&before, &estate)
                .1
                .gained_findings(),
        );
    }
    Outcome {
        resources: estate.resources.len(),
        findings,
    }
}

fn show(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| {
            format!(
                "  {} {} [{}] {:?}: {}",
                f.rule,
                f.resource,
                f.severity,
                f.subject.as_deref().unwrap_or("-"),
                f.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_rule_has_fail_and_pass_fixtures() {
    for rule in keyreach::rules::RULES {
        for which in ["fail", "pass"] {
            let dir = root().join(rule.meta.code).join(which);
            assert!(
                input_of(&dir).is_file(),
                "{} has no {which} fixture at {}",
                rule.meta.code,
                dir.display()
            );
        }
        assert!(
            root()
                .join(rule.meta.code)
                .join("fail/expected.json")
                .is_file(),
            "{} fail fixture has no expected.json",
            rule.meta.code
        );
    }
}

#[test]
fn fixtures_fail_and_pass() {
    let mut failures = Vec::new();
    let mut parsed_any = false;
    for rule in keyreach::rules::RULES {
        let code = rule.meta.code;
        let fail_dir = root().join(code).join("fail");
        let expected: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(fail_dir.join("expected.json")).expect("expected.json"),
        )
        .expect("expected.json is JSON");
        let want_resource = expected["resource"].as_str().expect("resource");
        let want_subject = expected["subject"].as_str();

        let fail = run_fixture(&fail_dir);
        parsed_any |= fail.resources > 0;
        let hit = fail.findings.iter().find(|f| {
            f.rule == code
                && (f.resource == want_resource
                    || (want_resource == "keyreach.yaml" && f.resource.ends_with("keyreach.yaml")))
                && (want_subject.is_none() || f.subject.as_deref() == want_subject)
        });
        match hit {
            None => failures.push(format!(
                "{code}/fail: expected {code} on {want_resource} ({want_subject:?}); got\n{}",
                show(&fail.findings)
            )),
            Some(f) => {
                let file = &f.location.file;
                let in_input = file.ends_with("plan.json")
                    || file.ends_with("template.yaml")
                    || file.ends_with("keyreach.yaml");
                if !in_input || (f.location.line.is_none() && f.location.pointer.is_none()) {
                    failures.push(format!(
                        "{code}/fail: finding is not located in the input: {:?}",
                        f.location
                    ));
                }
            }
        }

        let mut passes = vec![root().join(code).join("pass")];
        passes.extend(extra_passes(code));
        for dir in passes {
            let pass = run_fixture(&dir);
            let wrong: Vec<Finding> = pass
                .findings
                .iter()
                .filter(|f| f.rule == code && f.suppressed.is_none())
                .cloned()
                .collect();
            if !wrong.is_empty() {
                let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("pass");
                failures.push(format!("{code}/{name}: unexpected\n{}", show(&wrong)));
            }
        }
    }
    assert!(
        parsed_any,
        "the plan parser read no resource from any fixture"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
