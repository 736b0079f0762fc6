//! The SARIF output validates against the official SARIF 2.1.0 schema (vendored under
//! testdata/sarif/, see NOTICE.md there) and carries what code scanning needs.

mod common;

use common::sarif_schema_errors as schema_errors;
use keyreach::analysis::result::Report;
use keyreach::finding::{Finding, Severity, Suppression, SuppressionKind};
use keyreach::model::Location;
use serde_json::Value;

fn finding(
    rule: &str,
    sev: Severity,
    file: &str,
    line: Option<u32>,
    pointer: Option<&str>,
) -> Finding {
    let mut f = Finding::new(
        rule,
        sev,
        "aws_kms_key.payments",
        Some("arn:aws:iam::444455556666:role/partner".into()),
        "A message with `code`, | pipes and\nnew lines",
        Location {
            file: file.into(),
            line,
            column: line.map(|_| 3),
            pointer: pointer.map(str::to_owned),
        },
    );
    f.domain = Some("payments".into());
    f
}

fn report() -> Report {
    let mut suppressed = finding("KR003", Severity::Medium, "main.tf", Some(12), None);
    suppressed.suppressed = Some(Suppression {
        kind: SuppressionKind::Inline,
        reason: "reviewed by the platform team".into(),
        source: "main.tf:10".into(),
        expires: Some("2026-01-31".into()),
    });
    let mut config_suppressed = finding(
        "KR015",
        Severity::Medium,
        "plan.json",
        None,
        Some("/resource_changes/0"),
    );
    config_suppressed.suppressed = Some(Suppression {
        kind: SuppressionKind::Config,
        reason: "re-key runbook".into(),
        source: "keyreach.yaml:4".into(),
        expires: None,
    });
    Report {
        findings: vec![
            finding(
                "KR001",
                Severity::Critical,
                "plan.json",
                None,
                Some("/planned_values/root_module/resources/0"),
            ),
            finding(
                "KR002",
                Severity::High,
                "infra dir/stack.yaml",
                Some(40),
                None,
            ),
            finding("KR005", Severity::Medium, "/abs/path/plan.json", None, None),
            finding("KR017", Severity::Low, "../keyreach.yaml", Some(7), None),
            finding("KR099", Severity::Info, "plan.json", None, None),
            suppressed,
            config_suppressed,
        ],
        ..Report::default()
    }
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let sarif = keyreach::report::sarif::to_value(&report());
    let errors = schema_errors(&sarif);
    assert!(errors.is_empty(), "schema errors:\n{}", errors.join("\n"));
    // An empty run validates too.
    let errors = schema_errors(&keyreach::report::sarif::to_value(&Report::default()));
    assert!(errors.is_empty(), "schema errors:\n{}", errors.join("\n"));
}

#[test]
fn the_validator_rejects_broken_sarif() {
    // Guards the test above: a validator that accepts anything proves nothing.
    let mut sarif = keyreach::report::sarif::to_value(&report());
    sarif["version"] = Value::from("2.0.0");
    sarif["runs"][0]["results"][0]["level"] = Value::from("fatal");
    sarif["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        Value::from(0);
    assert!(schema_errors(&sarif).len() >= 3);
}

#[test]
fn sarif_carries_what_code_scanning_needs() {
    let sarif = keyreach::report::sarif::to_value(&report());
    let run = &sarif["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "keyreach");
    let rules = driver["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), keyreach::rules::RULES.len());
    for r in rules {
        for field in ["id", "name"] {
            assert!(r[field].is_string(), "{field} in {r}");
        }
        assert!(r["shortDescription"]["text"].is_string());
        assert!(r["fullDescription"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty()));
        let help = r["help"]["markdown"].as_str().expect("help markdown");
        assert!(help.contains("## Remediation"), "{help}");
        assert!(r["help"]["text"].is_string());
        assert!(r["properties"]["security-severity"].is_string());
    }
    let kr001 = rules.iter().find(|r| r["id"] == "KR001").expect("KR001");
    assert_eq!(kr001["defaultConfiguration"]["level"], "error");

    let results = run["results"].as_array().expect("results");
    let levels: Vec<&str> = results
        .iter()
        .map(|r| r["level"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        levels,
        ["error", "error", "warning", "note", "note", "warning", "warning"]
    );
    let r0 = &results[0];
    assert_eq!(r0["ruleId"], "KR001");
    assert_eq!(r0["ruleIndex"], 0);
    let loc = &r0["locations"][0];
    assert_eq!(
        loc["physicalLocation"]["artifactLocation"]["uri"],
        "plan.json"
    );
    assert!(
        loc["physicalLocation"].get("region").is_none(),
        "no line, no region"
    );
    assert_eq!(
        loc["logicalLocations"][0]["fullyQualifiedName"],
        "aws_kms_key.payments"
    );
    let fp = r0["partialFingerprints"][keyreach::report::sarif::FINGERPRINT_KEY]
        .as_str()
        .expect("fingerprint");
    assert_eq!(fp, report().findings[0].fingerprint);
    let r1 = &results[1]["locations"][0]["physicalLocation"];
    assert_eq!(r1["artifactLocation"]["uri"], "infra%20dir/stack.yaml");
    assert_eq!(r1["region"]["startLine"], 40);
    assert!(
        results[4].get("ruleIndex").is_none(),
        "unknown rule has no index"
    );
    assert!(results[0].get("suppressions").is_none());
    assert_eq!(results[5]["suppressions"][0]["kind"], "inSource");
    assert_eq!(results[6]["suppressions"][0]["kind"], "external");
    assert!(results[5]["suppressions"][0]["justification"]
        .as_str()
        .is_some_and(|j| j.contains("reviewed") && j.contains("2026-01-31")));
}
