//! The pull-request comment stays under GitHub's 65,536-character limit and never drops a
//! finding of severity high or above.

use keyreach::analysis::result::{
    AccessEntry, Capability, Domain, PrincipalKind, Report, StoreEntry,
};
use keyreach::finding::{Finding, Severity, Suppression, SuppressionKind};
use keyreach::model::Location;
use keyreach::report::markdown::{render_string, GITHUB_COMMENT_LIMIT};

fn entry(i: usize) -> AccessEntry {
    let cap = |n: usize| match (i + n) % 3 {
        0 => Capability::Yes,
        1 => Capability::Conditional,
        _ => Capability::No,
    };
    AccessEntry {
        principal: format!(
            "module.team_{:03}.aws_iam_role.service_reader_with_a_long_name",
            i
        ),
        arn: Some(format!("arn:aws:iam::111122223333:role/team-{i:03}-reader")),
        kind: PrincipalKind::Role,
        read: cap(0),
        write: cap(1),
        admin: cap(2),
        folded: None,
        via: vec![format!("key policy statement Team{i:03}")],
        assumed_by: Vec::new(),
        actions: Default::default(),
        per_key: Default::default(),
    }
}

fn finding(d: usize, n: usize, sev: Severity) -> Finding {
    let mut f = Finding::new(
        "KR002",
        sev,
        format!("module.domain_{d:02}.aws_kms_key.this[\"{}-{n}\"]", sev.as_str()),
        Some(format!("p{n}")),
        format!(
            "`arn:aws:iam::444455556666:role/partner-{n}` in account 444455556666 can read domain \
             `domain-{d:02}`, which belongs to account 111122223333 (via key policy statement Partner{n})"
        ),
        Location {
            file: "plan.json".into(),
            line: None,
            column: None,
            pointer: Some(format!("/planned_values/root_module/child_modules/{d}/resources/{n}")),
        },
    );
    f.domain = Some(format!("domain-{d:02}"));
    f
}

/// 50 domains, each readable by all 500 principals; 250 critical and high findings, 1,000
/// medium, 2,500 low, 100 suppressed.
fn large() -> Report {
    let access: Vec<AccessEntry> = (0..500).map(entry).collect();
    let mut findings = Vec::new();
    let domains = (0..50)
        .map(|d| {
            findings.push(finding(d, 0, Severity::Critical));
            for n in 1..5 {
                findings.push(finding(d, n, Severity::High));
            }
            for n in 5..25 {
                findings.push(finding(d, n, Severity::Medium));
            }
            for n in 25..75 {
                findings.push(finding(d, n, Severity::Low));
            }
            for n in 75..77 {
                let mut f = finding(d, n, Severity::High);
                f.suppressed = Some(Suppression {
                    kind: SuppressionKind::Config,
                    reason: "accepted".into(),
                    source: "keyreach.yaml:3".into(),
                    expires: None,
                });
                findings.push(f);
            }
            Domain {
                name: format!("domain-{d:02}"),
                keys: vec![format!("module.domain_{d:02}.aws_kms_key.this")],
                stores: vec![StoreEntry {
                    id: format!("module.domain_{d:02}.aws_s3_bucket.data"),
                    type_name: "aws_s3_bucket".into(),
                    key: format!("module.domain_{d:02}.aws_kms_key.this"),
                }],
                access: access.clone(),
            }
        })
        .collect();
    keyreach::finding::sort(&mut findings);
    Report {
        domains,
        findings,
        ..Report::default()
    }
}

#[test]
fn large_estate_fits_and_keeps_every_severe_finding() {
    let report = large();
    let md = render_string(&report, GITHUB_COMMENT_LIMIT);
    let chars = md.chars().count();
    assert!(chars < GITHUB_COMMENT_LIMIT, "{chars} characters");
    assert!(md.len() <= GITHUB_COMMENT_LIMIT, "{} bytes", md.len());
    let severe: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::High && f.suppressed.is_none())
        .collect();
    assert_eq!(severe.len(), 250);
    for f in severe {
        let cell = keyreach::report::markdown::code(&f.resource);
        assert!(md.contains(&cell), "missing {}", f.resource);
    }
    assert!(md.contains("**50 domains · 334 readers · findings: 50 critical, 200 high, 1000 medium, 2500 low, 0 info** (100 suppressed)"), "{}", &md[..400]);
    assert!(md.contains("> [!NOTE]"));
    assert!(md.contains("leaves out:"));
    assert!(
        md.contains("low findings"),
        "low findings are named in the note"
    );
    assert!(
        md.contains("domain tables"),
        "dropped domain tables are named in the note"
    );
    eprintln!("large estate: {chars} characters, {} bytes", md.len());
}

#[test]
fn severe_findings_fall_back_to_compact_rows() {
    // With a tight limit the messages go, the findings stay.
    let report = large();
    let md = render_string(&report, 45_000);
    assert!(md.len() <= 45_000);
    assert!(md.contains("here they are left out to fit"));
    for f in report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::High && f.suppressed.is_none())
    {
        assert!(md.contains(&keyreach::report::markdown::code(&f.resource)));
    }
}

#[test]
fn severe_findings_fall_back_to_lists_by_resource() {
    // Tighter still: one line per rule listing resources; every severe finding still shows.
    let report = large();
    let md = render_string(&report, 22_000);
    assert!(md.len() <= 22_000);
    assert!(md.contains("Too many to list one per row"));
    assert!(
        !md.contains("too many to list even by resource"),
        "nothing severe was cut"
    );
    for f in report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::High && f.suppressed.is_none())
    {
        assert!(md.contains(&keyreach::report::markdown::code(&f.resource)));
    }
}

#[test]
fn small_report_is_complete() {
    let mut report = large();
    report.domains.truncate(2);
    for d in &mut report.domains {
        d.access.truncate(12);
    }
    report
        .findings
        .retain(|f| f.domain.as_deref() == Some("domain-00"));
    let md = render_string(&report, GITHUB_COMMENT_LIMIT);
    assert!(!md.contains("[!NOTE]"), "nothing left out");
    assert!(md.contains("#### `domain-01`"));
    assert!(md.contains("<details><summary>12 principals</summary>"));
    assert!(md.contains("<details><summary>Low findings (50)</summary>"));
    assert!(md.contains("<details><summary>Suppressed findings (2)</summary>"));
    // `|` in ids is escaped inside code spans; messages escape Markdown.
    assert!(md.contains("| `arn:aws:iam::444455556666:role/partner-1` in account"));
    assert!(md.contains("| ✅ |") || md.contains("| ❔ |"));
}

#[test]
#[ignore = "prints a sample comment"]
fn print_sample() {
    let mut report = large();
    report.domains.truncate(2);
    for d in &mut report.domains {
        d.access.truncate(4);
    }
    report
        .findings
        .retain(|f| f.domain.as_deref() == Some("domain-00"));
    report.findings.truncate(12);
    println!("{}", render_string(&report, GITHUB_COMMENT_LIMIT));
}

#[test]
fn picture_stays_within_the_limit() {
    let report = large();
    let pic =
        keyreach::report::mermaid::to_string(&keyreach::report::picture::build(&report, &[], &[]));
    let md =
        keyreach::report::markdown::render_string_with(&report, GITHUB_COMMENT_LIMIT, Some(&pic));
    assert!(md.chars().count() < GITHUB_COMMENT_LIMIT);
    assert!(md.len() <= GITHUB_COMMENT_LIMIT, "{} bytes", md.len());
    // Too large to fit beside the findings: left out, and the note says so.
    assert!(
        md.contains("```mermaid") || md.contains("the picture of the domains"),
        "{}",
        &md[..400]
    );
    // A small estate's picture is included whole.
    let small = Report {
        domains: report.domains[..1].to_vec(),
        ..Report::default()
    };
    let pic =
        keyreach::report::mermaid::to_string(&keyreach::report::picture::build(&small, &[], &[]));
    let md =
        keyreach::report::markdown::render_string_with(&small, GITHUB_COMMENT_LIMIT, Some(&pic));
    assert!(md.contains(&format!("```mermaid\n{pic}```")), "{md}");
}

/// Stores without a customer managed key or domain tag are listed in the comment too, grouped
/// by the key marker with who can use it.
#[test]
fn stores_outside_any_domain_are_listed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/scenarios/managed-and-owned-keys");
    let opts = keyreach::parse::LoadOptions {
        domain_tags: keyreach::DEFAULT_DOMAIN_TAGS
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        ..keyreach::parse::LoadOptions::default()
    };
    let (estate, errors) = keyreach::parse::load(&[dir.join("plan.json")], &opts);
    assert!(errors.is_empty(), "{errors:?}");
    let report = keyreach::analysis::analyze(&estate);
    assert!(!report.unpartitioned.is_empty());
    let md = render_string(&report, GITHUB_COMMENT_LIMIT);
    assert!(md.contains("### Stores outside any domain (1)"), "{md}");
    assert!(
        md.contains("| `aws-owned` | `aws_dynamodb_table.sessions` |"),
        "{md}"
    );
}
