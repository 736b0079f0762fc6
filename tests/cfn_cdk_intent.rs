//! The CDK stacks of the shared corpus against their intended access
//! (`../shared/corpus/cdk/intended-access.json`, written alongside the CDK app): every key and
//! the stores it encrypts land in one domain; every intended reader is found; every pair that
//! must not have access is absent. Skips itself when the corpus is not there.
//!
//! The access half checks every intended reader (its read/write/admin not `no`) and every
//! forbidden pair.

use keyreach::parse::{load, LoadOptions};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn cdk_dir() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/cdk");
    p.join("intended-access.json").is_file().then_some(p)
}

/// Which templates each section of intended-access.json describes. Its
/// `SharedDataStack+ConsumersStack` keys carry the stack prefix keyreach gives every id when
/// several stacks are read together: all four stacks are.
fn section_files(section: &str) -> &'static [&'static str] {
    match section {
        "KmsDataDomainsStack" => &["KmsDataDomainsStack.template.json"],
        "LedgerStoresStack" => &["LedgerStoresStack.template.json"],
        _ => &[
            "SharedDataStack.template.json",
            "ConsumersStack.template.json",
            "KmsDataDomainsStack.template.json",
            "LedgerStoresStack.template.json",
        ],
    }
}

/// Capabilities of intended entries keyreach reports differently on purpose, with the reason:
/// (section, principal, capability class, why).
const DEVIATIONS: &[(&str, &str, &str, &str)] = &[(
    "SharedDataStack+ConsumersStack",
    "OpsUser89DC95B0",
    "admin",
    "kms:CreateGrant under `kms:GrantIsForAWSResource = true` only lets AWS services create \
     grants for the user's resources: not an escalation (kms-semantics §4), so admin is `no`",
)];

fn analyze(dir: &Path, files: &[&str]) -> Value {
    let paths: Vec<PathBuf> = files.iter().map(|f| dir.join(f)).collect();
    let opts = LoadOptions {
        account_id: Some("111111111111".into()),
        region: Some("us-east-1".into()),
        domain_tags: vec!["DataDomain".into()],
        ..LoadOptions::default()
    };
    let (estate, errors) = load(&paths, &opts);
    assert!(errors.is_empty(), "{errors:#?}");
    let report = keyreach::analysis::analyze(&estate);
    serde_json::to_value(&report.domains).expect("serialise")
}

fn domain_of<'a>(domains: &'a Value, key: &str) -> Option<&'a Value> {
    domains.as_array()?.iter().find(|d| {
        d["keys"]
            .as_array()
            .is_some_and(|k| k.iter().any(|x| x.as_str() == Some(key)))
    })
}

/// The principal as keyreach names it: `OrdersAppRoleCD54FCDC (orders-app)` -> the id,
/// `service logs.us-east-1.amazonaws.com` -> the service name.
fn principal_name(p: &str) -> &str {
    let p = p.split(" (").next().unwrap_or(p);
    p.strip_prefix("service ").unwrap_or(p)
}

fn classes(actions: &[Value]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for a in actions.iter().filter_map(Value::as_str) {
        let a = a.trim_start_matches("kms:");
        let c: &[&'static str] = match a {
            "*" => &["read", "write", "admin"],
            "Decrypt" | "Decrypt*" => &["read"],
            "ReEncrypt*" => &["read", "write"],
            "Encrypt" | "Encrypt*" | "GenerateDataKey*" => &["write"],
            "CreateGrant" => &["admin"],
            _ => &[],
        };
        for x in c {
            if !out.contains(x) {
                out.push(*x);
            }
        }
    }
    out
}

/// The entry of `principal`; with several stacks read together keyreach prefixes every id
/// with its stack (`ConsumersStack/ReportingRole34EAE4A8`), which the intent names plainly.
fn access_of<'a>(domain: &'a Value, principal: &str) -> Option<&'a Value> {
    domain["access"].as_array()?.iter().find(|a| {
        a["principal"].as_str().is_some_and(|p| {
            p == principal
                || p.strip_suffix(principal).is_some_and(|stack| {
                    stack.ends_with('/') && !stack[..stack.len() - 1].contains('/')
                })
        })
    })
}

#[test]
fn keys_and_stores_land_in_their_domains() {
    let Some(dir) = cdk_dir() else {
        eprintln!("shared corpus not found; skipping");
        return;
    };
    let intent: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("intended-access.json")).expect("read"),
    )
    .expect("json");
    for (section, body) in intent["stacks"].as_object().expect("stacks") {
        let Some(keys) = body["keys"].as_object() else {
            continue;
        };
        let domains = analyze(&dir, section_files(section));
        for (key, k) in keys {
            let d = domain_of(&domains, key)
                .unwrap_or_else(|| panic!("{section}: key {key} is in no domain"));
            if let Some(alias) = k["alias"].as_str() {
                assert_eq!(
                    d["name"].as_str(),
                    alias.strip_prefix("alias/"),
                    "{section}: domain of {key}"
                );
            }
            for store in k["encrypts"].as_array().into_iter().flatten() {
                let id = store
                    .as_str()
                    .and_then(|s| s.split(' ').next())
                    .unwrap_or_default();
                let prefix = id.trim_end_matches("...");
                let found = d["stores"].as_array().into_iter().flatten().any(|s| {
                    s["id"].as_str().is_some_and(|x| x.starts_with(prefix))
                        && s["key"].as_str() == Some(key.as_str())
                });
                assert!(
                    found,
                    "{section}: {id} is not a store of {key}'s domain: {d:#}"
                );
            }
        }
    }
}

#[test]
fn intended_readers_found_and_forbidden_pairs_absent() {
    let Some(dir) = cdk_dir() else {
        eprintln!("shared corpus not found; skipping");
        return;
    };
    let intent: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("intended-access.json")).expect("read"),
    )
    .expect("json");
    let mut failures = Vec::new();
    for (section, body) in intent["stacks"].as_object().expect("stacks") {
        let domains = analyze(&dir, section_files(section));
        for entry in body["access"].as_array().into_iter().flatten() {
            let principal = principal_name(entry["principal"].as_str().unwrap_or_default());
            let key = entry["key"].as_str().unwrap_or_default();
            let Some(d) = domain_of(&domains, key) else {
                failures.push(format!("{section}: key {key} is in no domain"));
                continue;
            };
            let Some(a) = access_of(d, principal) else {
                failures.push(format!("{section}: {principal} has no access to {key}"));
                continue;
            };
            for class in classes(entry["actions"].as_array().map_or(&[][..], Vec::as_slice)) {
                if let Some((_, _, _, why)) = DEVIATIONS
                    .iter()
                    .find(|(s, p, c, _)| s == section && *p == principal && *c == class)
                {
                    eprintln!("{section}: {principal} -> {key}: {class} not checked ({why})");
                    continue;
                }
                if a[class].as_str() == Some("no") {
                    failures.push(format!("{section}: {principal} -> {key}: {class} is no"));
                }
            }
        }
        for entry in body["must_not_have"].as_array().into_iter().flatten() {
            let principal = principal_name(entry["principal"].as_str().unwrap_or_default());
            let key = entry["key"].as_str().unwrap_or_default();
            let Some(d) = domain_of(&domains, key) else {
                continue;
            };
            let Some(a) = access_of(d, principal) else {
                continue;
            };
            let forbidden = match entry["actions"].as_array() {
                Some(actions) => classes(actions),
                None => vec!["read", "write", "admin"],
            };
            for class in forbidden {
                if a[class].as_str() != Some("no") {
                    failures.push(format!(
                        "{section}: {principal} must not have {class} on {key}, has {}",
                        a[class]
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
