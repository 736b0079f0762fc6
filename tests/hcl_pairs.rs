//! Source and plan of the same configuration (`../shared/corpus/hcl/pair-<name>/` and
//! `../shared/corpus/tfplan/<name>.json`) read into the model agree, and so do the access
//! reports built from them. Skips itself when the corpus is absent (a user's clone).
//!
//! Differences that are expected, with their reasons:
//! - the plan shows an empty `Sid` (`""`) where the policy document data source renders one;
//!   source has none: both label the statement by index;
//! - the provider sorts the sets of a policy document (`actions`, `resources`); source keeps the
//!   written order: the same set;
//! - the plan resolves a reference to the resource (`aws_kms_key.k`), source to the attribute
//!   read (`aws_kms_key.k.arn`): the same resource;
//! - source computes what is deterministic before apply (an S3 bucket ARN from its name, an IAM
//!   role id from its name) where the plan says "known after apply": source is known where the
//!   plan is a reference;
//! - `pair-checkov-oidc-trust-module-1.5` sits next to a plan made from another revision of the
//!   configuration (SOURCES.md: "small drift is possible"): only common resources are compared.

use keyreach::analysis;
use keyreach::model::{Estate, Parsed};
use keyreach::parse::{tf_hcl, tf_plan, LoadOptions};
use serde_json::Value as J;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Pairs whose plan came from another revision of the source.
const DRIFTED: &[&str] = &["checkov-oidc-trust-module-1.5"];

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    (p.join("hcl").is_dir() && p.join("tfplan").is_dir()).then_some(p)
}

fn pairs(root: &Path) -> Vec<(String, PathBuf, PathBuf)> {
    let mut out: Vec<_> = std::fs::read_dir(root.join("hcl"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| {
                    let name = e.file_name().to_str()?.strip_prefix("pair-")?.to_owned();
                    let plan = root.join("tfplan").join(format!("{name}.json"));
                    plan.is_file().then(|| (name, e.path(), plan))
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn load(name: &str, dir: &Path, plan: &Path) -> (Parsed, Parsed) {
    let opts = LoadOptions::default();
    let text = std::fs::read_to_string(plan).expect("plan");
    let p = tf_plan::parse(name, &text, &opts).unwrap_or_else(|e| panic!("{name}: {e}"));
    let s = tf_hcl::parse_dir(dir, name, &opts).unwrap_or_else(|e| panic!("{name}: {e:?}"));
    (p, s)
}

fn kinds(p: &Parsed) -> BTreeMap<String, J> {
    p.resources
        .iter()
        .map(|r| {
            (
                r.id.clone(),
                normalize(serde_json::to_value(&r.kind).unwrap_or_default()),
            )
        })
        .collect()
}

/// Drops locations, maps an empty Sid to none, sorts lists of strings and drops the attribute
/// of references.
fn normalize(v: J) -> J {
    match v {
        J::Object(m) => {
            let mut out = serde_json::Map::new();
            for (k, x) in m {
                match (k.as_str(), &x) {
                    ("location", _) => {}
                    ("sid", J::String(s)) if s.is_empty() => {
                        out.insert(k, J::Null);
                    }
                    ("attribute", _) => {}
                    _ => {
                        out.insert(k, normalize(x));
                    }
                }
            }
            J::Object(out)
        }
        J::Array(items) => {
            let mut items: Vec<J> = items.into_iter().map(normalize).collect();
            if items.iter().all(|i| i.get("state").is_some()) {
                items.sort_by_key(|i| i.to_string());
            }
            J::Array(items)
        }
        other => other,
    }
}

/// Equal, except where source knows a value the plan leaves unknown or as a reference.
fn agrees(plan: &J, source: &J) -> bool {
    if plan == source {
        return true;
    }
    let state = |v: &J| v.get("state").and_then(J::as_str).map(str::to_owned);
    if matches!(state(plan).as_deref(), Some("ref" | "unknown"))
        && state(source).as_deref() == Some("known")
    {
        return true;
    }
    match (plan, source) {
        (J::Object(a), J::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| b.get(k).is_some_and(|y| agrees(x, y)))
        }
        (J::Array(a), J::Array(b)) => {
            if a.len() != b.len() {
                return false;
            }
            // Lists of values: source may know elements the plan references; compare as sets of
            // the known ones plus a count.
            let known = |l: &[J]| {
                let mut k: Vec<String> = l
                    .iter()
                    .filter(|x| state(x).as_deref() == Some("known"))
                    .map(J::to_string)
                    .collect();
                k.sort();
                k
            };
            if a.iter().all(|x| state(x).is_some()) && b.iter().all(|x| state(x).is_some()) {
                let (ka, kb) = (known(a), known(b));
                return ka.iter().all(|x| kb.contains(x));
            }
            a.iter().zip(b).all(|(x, y)| agrees(x, y))
        }
        _ => false,
    }
}

fn report(p: Parsed) -> J {
    let mut estate = Estate::default();
    estate.extend(p);
    estate.finish();
    serde_json::to_value(analysis::analyze(&estate)).unwrap_or_default()
}

#[test]
fn source_and_plan_agree() {
    let Some(root) = corpus() else {
        eprintln!("corpus not present; skipping");
        return;
    };
    let all = pairs(&root);
    assert!(all.len() >= 10, "pairs found: {}", all.len());
    let mut failures = Vec::new();
    for (name, dir, plan) in all {
        let (p, s) = load(&name, &dir, &plan);
        let (kp, ks) = (kinds(&p), kinds(&s));
        let drifted = DRIFTED.contains(&name.as_str());
        if !drifted && kp.keys().ne(ks.keys()) {
            failures.push(format!(
                "{name}: resource ids differ: plan {:?} source {:?}",
                kp.keys().collect::<Vec<_>>(),
                ks.keys().collect::<Vec<_>>()
            ));
        }
        for (id, kind) in &kp {
            if let Some(sk) = ks.get(id) {
                if !agrees(kind, sk) {
                    failures.push(format!("{name}: {id}:\n  plan   {kind}\n  source {sk}"));
                }
            }
        }
        if !drifted {
            let (rp, rs) = (report(p), report(s));
            if rp["domains"] != rs["domains"] {
                failures.push(format!(
                    "{name}: domains differ:\n  plan   {}\n  source {}",
                    rp["domains"], rs["domains"]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
