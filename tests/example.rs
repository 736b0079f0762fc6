//! The bundled example the README's first command analyses: two data domains, `payments`
//! partitioned well (a closed key policy naming its app and admin roles) and `orders` not (the
//! default key policy, an AWS managed key, a table on the payments key, a role with
//! `kms:Decrypt` on `*` reachable by a CI user).

use assert_cmd::Command;
use serde_json::Value;

fn analyze(args: &[&str]) -> (i32, Value) {
    let out = Command::cargo_bin("keyreach")
        .expect("binary")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "analyze",
            "examples/two-domains.plan.json",
            "--format",
            "json",
        ])
        .args(args)
        .output()
        .expect("runs");
    let json = serde_json::from_slice(&out.stdout).expect("JSON report");
    (out.status.code().unwrap_or(-1), json)
}

fn access<'a>(report: &'a Value, domain: &str, principal: &str) -> Option<&'a Value> {
    report["domains"]
        .as_array()?
        .iter()
        .find(|d| d["name"] == domain)?["access"]
        .as_array()?
        .iter()
        .find(|a| a["principal"] == principal)
}

#[test]
fn example_shows_one_domain_partitioned_well_and_one_not() {
    let (code, report) = analyze(&[]);
    assert_eq!(code, 1, "the orders domain has high findings");
    let names: Vec<&str> = report["domains"]
        .as_array()
        .expect("domains")
        .iter()
        .filter_map(|d| d["name"].as_str())
        .collect();
    assert_eq!(names, ["orders", "payments"]);

    // payments: only its app role (and the service running it) reads; the admin administers.
    let app = access(&report, "payments", "aws_iam_role.payments_app").expect("app");
    assert_eq!(
        (app["read"].as_str(), app["write"].as_str()),
        (Some("yes"), Some("yes"))
    );
    let admin = access(&report, "payments", "aws_iam_role.payments_admin").expect("admin");
    assert_eq!(
        (admin["read"].as_str(), admin["admin"].as_str()),
        (Some("no"), Some("yes"))
    );
    assert!(access(&report, "payments", "aws_iam_role.orders_worker").is_none());
    assert!(access(&report, "payments", "arn:aws:iam::111122223333:root").is_none());

    // orders: the whole account through delegation, the wildcard role and the user reaching it.
    for p in [
        "arn:aws:iam::111122223333:root",
        "aws_iam_role.orders_worker",
        "aws_iam_user.ci",
    ] {
        let e = access(&report, "orders", p).unwrap_or_else(|| panic!("{p} reads orders"));
        assert_eq!(e["read"], "yes", "{p}");
    }
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    for r in ["KR003", "KR004", "KR006", "KR008", "KR011"] {
        assert!(rules.contains(&r), "{r} in {rules:?}");
    }
    // Findings in a plan carry the line their JSON pointer starts on.
    for f in report["findings"].as_array().expect("findings") {
        assert!(f["location"]["line"].as_u64().is_some_and(|l| l > 1), "{f}");
        assert!(f["location"]["pointer"].is_string(), "{f}");
    }
}

#[test]
fn example_passes_with_fail_on_never() {
    let (code, _) = analyze(&["--fail-on", "never"]);
    assert_eq!(code, 0);
}
