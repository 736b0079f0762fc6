//! `keyreach explain` (the decision as a tree), `--format dot` / `--format mermaid` pictures and
//! the table at fixed widths, through the real binary.
//!
//! Inputs are the scenario folders (`testdata/scenarios/*`); the expected trees and tables are
//! insta snapshots under `tests/snapshots/`. DOT output is checked by Graphviz's `dot`: the test
//! fails when `dot` is missing and `CI` is set, and is skipped locally without it.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeSet;

/// `keyreach` run from the crate root, so input paths (and the locations printed) are the same
/// on every clone.
fn keyreach(args: &[&str], columns: Option<usize>) -> (i32, String, String) {
    let mut c = Command::cargo_bin("keyreach").expect("binary");
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("KEYREACH_TODAY", "2025-06-15")
        .env_remove("COLUMNS");
    if let Some(w) = columns {
        c.env("COLUMNS", w.to_string());
    }
    let out = c.args(args).output().expect("run keyreach");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn explain(input: &str, domain: &str, principal: &str, capability: &str) -> String {
    let (code, out, err) = keyreach(
        &[
            "explain",
            input,
            "--domain",
            domain,
            "--principal",
            principal,
            "--capability",
            capability,
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    out
}

#[test]
fn explain_direct_key_policy_access() {
    let out = explain(
        "testdata/scenarios/closed-key-policy/plan.json",
        "orders",
        "aws_iam_role.app",
        "read",
    );
    assert!(out.contains("key policy: allows [yes]"), "{out}");
    insta::assert_snapshot!("direct_key_policy", out);
}

#[test]
fn explain_iam_delegation() {
    let out = explain(
        "testdata/scenarios/default-policy-identity/plan.json",
        "hr",
        "aws_iam_role.inline_reader",
        "read",
    );
    assert!(out.contains("identity policies"), "{out}");
    insta::assert_snapshot!("iam_delegation", out);
}

#[test]
fn explain_grant() {
    let out = explain(
        "testdata/scenarios/grants/plan.json",
        "ledger",
        "aws_iam_role.decryptor",
        "read",
    );
    assert!(out.contains("grants [yes]"), "{out}");
    insta::assert_snapshot!("grant", out);
}

#[test]
fn explain_three_hop_role_chain() {
    let out = explain(
        "testdata/scenarios/role-chains/plan.json",
        "claims",
        "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com",
        "read",
    );
    assert!(
        out.contains("role chain: assumes aws_iam_role.entry -> aws_iam_role.hop -> aws_iam_role.reader [conditional]"),
        "{out}"
    );
    insta::assert_snapshot!("three_hop_role_chain", out);
}

#[test]
fn explain_boundary_that_blocks() {
    let out = explain(
        "testdata/scenarios/default-policy-identity/plan.json",
        "hr",
        "aws_iam_role.bounded",
        "read",
    );
    assert!(
        out.contains("permissions boundary aws_iam_policy.no_kms_boundary: blocks"),
        "{out}"
    );
    insta::assert_snapshot!("boundary_blocks", out);
}

#[test]
fn explain_undecided_condition() {
    let out = explain(
        "testdata/scenarios/undecided-conditions/plan.json",
        "docs",
        "aws_iam_role.org_reader",
        "read",
    );
    assert!(
        out.contains("condition StringEquals aws:PrincipalOrgID - decided by: --org-id"),
        "{out}"
    );
    insta::assert_snapshot!("undecided_condition", out);
    // The flag it names decides it.
    let (code, decided, err) = keyreach(
        &[
            "explain",
            "testdata/scenarios/undecided-conditions/plan.json",
            "--org-id",
            "o-other",
            "--domain",
            "docs",
            "--principal",
            "aws_iam_role.org_reader",
            "--capability",
            "read",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(decided.contains("read [no]"), "{decided}");
}

#[test]
fn explain_json_is_the_same_tree() {
    let args = [
        "explain",
        "testdata/scenarios/role-chains/plan.json",
        "--domain",
        "claims",
        "--principal",
        "aws_iam_user.alice",
    ];
    let (code, text, err) = keyreach(&args, None);
    assert_eq!(code, 0, "{err}");
    let mut json_args = args.to_vec();
    json_args.extend(["--format", "json"]);
    let (code, json, err) = keyreach(&json_args, None);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&json).expect("json");
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["domain"], "claims");
    fn count(n: &Value) -> usize {
        1 + n["children"]
            .as_array()
            .map_or(0, |c| c.iter().map(count).sum())
    }
    fn texts(n: &Value, out: &mut Vec<String>) {
        out.push(n["text"].as_str().unwrap_or("").to_owned());
        for c in n["children"].as_array().into_iter().flatten() {
            texts(c, out);
        }
    }
    let principals = v["principals"].as_array().expect("principals");
    assert_eq!(principals.len(), 1);
    let root = &principals[0];
    assert_eq!(root["kind"], "principal");
    let classes: Vec<&str> = root["children"]
        .as_array()
        .expect("children")
        .iter()
        .filter(|c| c["kind"] == "capability")
        .map(|c| c["text"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(classes, ["read", "write", "admin"]);
    // Every node of the JSON tree is one line of the text tree.
    let mut all = Vec::new();
    texts(root, &mut all);
    assert_eq!(all.len(), count(root));
    for t in &all {
        assert!(text.contains(t.as_str()), "{t} missing from the text tree");
    }
    // Statements carry file and line.
    assert!(json.contains("\"line\":"), "{json}");
}

#[test]
fn explain_without_principal_covers_every_principal_of_the_domain() {
    let (code, json, err) = keyreach(
        &[
            "explain",
            "testdata/scenarios/grants/plan.json",
            "--domain",
            "ledger",
            "--format",
            "json",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&json).expect("json");
    let (_, analyzed, _) = keyreach(
        &[
            "analyze",
            "testdata/scenarios/grants/plan.json",
            "--format",
            "json",
            "--fail-on",
            "never",
        ],
        None,
    );
    let a: Value = serde_json::from_str(&analyzed).expect("json");
    let entries = a["domains"][0]["access"].as_array().expect("access").len();
    assert_eq!(
        v["principals"].as_array().expect("principals").len(),
        entries
    );
}

#[test]
fn explain_names_what_exists_when_asked_for_what_does_not() {
    let (code, _, err) = keyreach(
        &[
            "explain",
            "testdata/scenarios/grants/plan.json",
            "--domain",
            "nope",
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("the domains are: ledger"), "{err}");
    let (code, _, err) = keyreach(
        &[
            "explain",
            "testdata/scenarios/grants/plan.json",
            "--domain",
            "ledger",
            "--principal",
            "aws_iam_role.nobody",
        ],
        None,
    );
    assert_eq!(code, 2);
    assert!(err.contains("no principal `aws_iam_role.nobody`"), "{err}");
}

const PICTURE_INPUTS: [&[&str]; 4] = [
    &["examples/two-domains.plan.json"],
    &["testdata/scenarios/role-chains/plan.json"],
    &["testdata/scenarios/grants/plan.json"],
    &[
        "testdata/scenarios/cfn-two-stacks/stack-consumer.yaml",
        "testdata/scenarios/cfn-two-stacks/stack-keys.yaml",
    ],
];

fn picture(format: &str, inputs: &[&str], extra: &[&str]) -> String {
    let mut args = vec!["analyze", "--format", format, "--fail-on", "never"];
    args.extend(extra);
    args.extend(inputs);
    let (code, out, err) = keyreach(&args, None);
    assert_eq!(code, 0, "{err}");
    out
}

/// Graphviz's `dot`, when installed. In CI (`CI` set) its absence is a failure.
fn dot_binary() -> Option<std::path::PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("dot"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "Graphviz `dot` is not installed; .ci/run installs it (apt-get install graphviz)"
        );
        eprintln!("skipping: Graphviz `dot` is not installed");
    }
    found
}

#[test]
fn dot_output_is_valid_graphviz() {
    let Some(dot) = dot_binary() else { return };
    for inputs in PICTURE_INPUTS {
        for extra in [&[][..], &["--domain", "payments"][..]] {
            let text = picture("dot", inputs, extra);
            assert!(text.starts_with("digraph keyreach {"), "{text}");
            let mut child = std::process::Command::new(&dot)
                .arg("-Tsvg")
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("run dot");
            {
                use std::io::Write;
                let mut stdin = child.stdin.take().expect("stdin");
                stdin.write_all(text.as_bytes()).expect("write to dot");
            }
            let out = child.wait_with_output().expect("dot output");
            assert!(
                out.status.success() && out.stderr.is_empty(),
                "dot rejected the graph for {inputs:?}: {}\n{text}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(String::from_utf8_lossy(&out.stdout).contains("<svg"));
        }
    }
}

#[test]
fn dot_draws_domains_keys_principals_and_assumptions() {
    let text = picture("dot", &["examples/two-domains.plan.json"], &[]);
    assert!(text.contains("subgraph cluster_d0 {"), "{text}");
    assert!(text.contains("label=\"domain payments\""), "{text}");
    assert!(text.contains("label=\"read/write\""), "{text}");
    assert!(text.contains("style=dashed"), "{text}");
    assert!(text.contains("label=\"assumes\""), "{text}");
    let one = picture(
        "dot",
        &["examples/two-domains.plan.json"],
        &["--domain", "payments"],
    );
    assert!(
        one.contains("domain payments") && !one.contains("domain orders"),
        "{one}"
    );
    insta::assert_snapshot!("dot_two_domains", text);
}

/// Structural checks of a Mermaid flowchart: header, balanced subgraphs, every edge between
/// declared nodes, labels quoted.
fn check_mermaid(text: &str) -> (usize, usize) {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("flowchart LR"), "{text}");
    let mut declared: BTreeSet<String> = BTreeSet::new();
    let mut depth = 0usize;
    let mut edges = 0usize;
    for l in lines {
        let t = l.trim();
        if let Some(rest) = t.strip_prefix("subgraph ") {
            depth += 1;
            let id = rest.split('[').next().unwrap_or("");
            assert!(rest.ends_with("\"]"), "subgraph title quoted: {l}");
            assert!(!id.is_empty());
            continue;
        }
        if t == "end" {
            assert!(depth > 0, "unbalanced end");
            depth -= 1;
            continue;
        }
        let arrow = [" -.->|", " -->|", " --- "]
            .iter()
            .find_map(|a| t.find(a).map(|i| (i, *a)));
        if let Some((i, a)) = arrow {
            edges += 1;
            let from = &t[..i];
            let rest = &t[i + a.len()..];
            let to = if a == " --- " {
                rest
            } else {
                let (label, to) = rest.rsplit_once("| ").expect("edge label closed");
                assert!(
                    label.starts_with('"') && label.ends_with('"'),
                    "edge label quoted: {l}"
                );
                assert!(!label[1..label.len() - 1].contains('"'));
                to
            };
            assert!(declared.contains(from), "edge from undeclared {from}: {l}");
            assert!(declared.contains(to), "edge to undeclared {to}: {l}");
            continue;
        }
        let id: String = t.chars().take_while(char::is_ascii_alphanumeric).collect();
        assert!(!id.is_empty(), "node line: {l}");
        let body = &t[id.len()..];
        let inner = body
            .trim_start_matches(['(', '[', '{'])
            .trim_end_matches([')', ']', '}']);
        assert!(
            inner.starts_with('"')
                && inner.ends_with('"')
                && !inner[1..inner.len() - 1].contains('"'),
            "node label quoted: {l}"
        );
        assert!(declared.insert(id), "node declared twice: {l}");
    }
    assert_eq!(depth, 0, "unbalanced subgraphs");
    (declared.len(), edges)
}

#[test]
fn mermaid_output_is_well_formed() {
    for inputs in PICTURE_INPUTS {
        let text = picture("mermaid", inputs, &[]);
        let (nodes, edges) = check_mermaid(&text);
        assert!(nodes > 0 && edges > 0, "{text}");
    }
    let text = picture(
        "mermaid",
        &["testdata/scenarios/role-chains/plan.json"],
        &[],
    );
    assert!(text.contains("-.->|\"read (conditional)\"|"), "{text}");
    assert!(text.contains("-->|\"assumes\"|"), "{text}");
    insta::assert_snapshot!("mermaid_role_chains", text);
}

#[test]
fn markdown_comment_includes_the_picture_when_small() {
    let (_, md, _) = keyreach(
        &[
            "analyze",
            "--format",
            "markdown",
            "--fail-on",
            "never",
            "examples/two-domains.plan.json",
        ],
        None,
    );
    assert!(md.contains("```mermaid\nflowchart LR\n"), "{md}");
    let start = md.find("```mermaid\n").expect("fence") + "```mermaid\n".len();
    let end = start + md[start..].find("```").expect("closing fence");
    check_mermaid(&md[start..end]);
    let (_, none, _) = keyreach(
        &[
            "analyze",
            "--format",
            "markdown",
            "--picture",
            "never",
            "--fail-on",
            "never",
            "examples/two-domains.plan.json",
        ],
        None,
    );
    assert!(!none.contains("```mermaid"), "{none}");
}

fn table(inputs: &[&str], columns: usize) -> String {
    let mut args = vec!["analyze", "--fail-on", "never"];
    args.extend(inputs);
    let (code, out, err) = keyreach(&args, Some(columns));
    assert_eq!(code, 0, "{err}");
    out
}

/// Every whitespace-separated token of the JSON ids appears whole in the table.
fn assert_ids_whole(text: &str, inputs: &[&str]) {
    let mut args = vec!["analyze", "--format", "json", "--fail-on", "never"];
    args.extend(inputs);
    let (_, json, _) = keyreach(&args, None);
    let v: Value = serde_json::from_str(&json).expect("json");
    for d in v["domains"].as_array().into_iter().flatten() {
        for e in d["access"].as_array().into_iter().flatten() {
            let p = e["principal"].as_str().unwrap_or("");
            // Long ARNs may break after a separator; the pieces between separators stay whole.
            for piece in p.split(['/', ':', '.']).filter(|s| !s.is_empty()) {
                assert!(text.contains(piece), "{piece} of {p} cut in\n{text}");
            }
        }
        for s in d["stores"].as_array().into_iter().flatten() {
            let id = s["id"].as_str().unwrap_or("");
            assert!(text.contains(id), "{id} cut in\n{text}");
        }
    }
}

#[test]
fn table_at_80_and_120_columns() {
    for (name, inputs) in [
        (
            "role_chains",
            &["testdata/scenarios/role-chains/plan.json"][..],
        ),
        (
            "cdk_estate",
            &[
                "testdata/scenarios/cfn-cdk-estate/ConsumersStack.template.json",
                "testdata/scenarios/cfn-cdk-estate/KmsDataDomainsStack.template.json",
                "testdata/scenarios/cfn-cdk-estate/LedgerStoresStack.template.json",
                "testdata/scenarios/cfn-cdk-estate/SharedDataStack.template.json",
            ][..],
        ),
    ] {
        for width in [80, 120] {
            let text = table(inputs, width);
            assert!(text.contains("  -     no: the input proves"), "{text}");
            assert!(!text.contains("…"), "{text}");
            assert_ids_whole(&text, inputs);
            insta::assert_snapshot!(format!("table_{name}_{width}"), text);
        }
    }
}

#[test]
fn explain_shows_a_service_path_as_its_own_branch() {
    let out = explain(
        "testdata/scenarios/undecided-conditions/plan.json",
        "docs",
        "aws_iam_role.via_s3_reader",
        "read",
    );
    assert!(
        out.contains("through s3 (kms:ViaService s3.eu-west-1.amazonaws.com) [yes]"),
        "{out}"
    );
    assert!(
        out.contains("statement ViaS3: Allow, names the principal [yes]"),
        "{out}"
    );
}
