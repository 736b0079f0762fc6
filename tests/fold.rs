//! Principals whose identity policies are unknown are evaluated once per key as a group:
//! folding must change no capability. For every domain, each member of a group gets exactly
//! what it gets when evaluated on its own: on its own row when it has one, else on the
//! group's `undetermined` row, which must then name it (or count it) — nothing is dropped.

use keyreach::analysis::result::{AccessEntry, Report};
use keyreach::parse::LoadOptions;
use std::collections::BTreeMap;

fn load(text: &str, account: Option<&str>) -> keyreach::model::Estate {
    let dir = std::env::temp_dir().join(format!("keyreach-fold-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("plan-{}.json", text.len()));
    std::fs::write(&path, text).expect("write plan");
    let opts = LoadOptions {
        account_id: account.map(str::to_owned),
        domain_tags: keyreach::DEFAULT_DOMAIN_TAGS
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        ..LoadOptions::default()
    };
    let (estate, errors) = keyreach::parse::load(std::slice::from_ref(&path), &opts);
    let _ = std::fs::remove_file(&path);
    assert!(errors.is_empty(), "{errors:?}");
    estate
}

fn caps(e: &AccessEntry) -> (String, String, String) {
    (
        e.read.as_str().to_owned(),
        e.write.as_str().to_owned(),
        e.admin.as_str().to_owned(),
    )
}

fn check(folded: &Report, unfolded: &Report) {
    let members: BTreeMap<&str, &str> = folded
        .undetermined
        .iter()
        .flat_map(|g| {
            g.members
                .iter()
                .map(move |m| (m.as_str(), g.group.as_str()))
        })
        .collect();
    assert_eq!(folded.domains.len(), unfolded.domains.len());
    for (f, u) in folded.domains.iter().zip(&unfolded.domains) {
        assert_eq!(f.name, u.name);
        let rows: BTreeMap<&str, &AccessEntry> =
            f.access.iter().map(|e| (e.principal.as_str(), e)).collect();
        let mut folded_here = 0;
        for e in &u.access {
            match rows.get(e.principal.as_str()) {
                // Listed on its own: the same capabilities as unfolded.
                Some(own) => assert_eq!(caps(own), caps(e), "{} in {}", e.principal, f.name),
                None => {
                    let group = members
                        .get(e.principal.as_str())
                        .unwrap_or_else(|| panic!("{} dropped from {}", e.principal, f.name));
                    let row = rows
                        .get(group)
                        .unwrap_or_else(|| panic!("no {group} row in {}", f.name));
                    assert_eq!(caps(row), caps(e), "{} folded in {}", e.principal, f.name);
                    folded_here += 1;
                }
            }
        }
        let counted: usize = f
            .access
            .iter()
            .filter_map(|e| e.folded.as_ref().map(|x| x.count))
            .sum();
        assert_eq!(counted, folded_here, "count in {}", f.name);
        // The folded report has no row the unfolded one lacks, except group rows.
        for e in &f.access {
            if e.folded.is_none() {
                assert!(
                    u.access.iter().any(|x| x.principal == e.principal),
                    "{} only when folded",
                    e.principal
                );
            }
        }
    }
}

fn both(text: &str, account: Option<&str>) -> (Report, Report) {
    let estate = load(text, account);
    (
        keyreach::analysis::analyze(&estate),
        keyreach::analysis::analyze_unfolded(&estate),
    )
}

#[test]
fn greenfield_plan_folds_without_changing_access() {
    let text = keyreach::synth::greenfield::plan(7);
    for account in [Some("111122223333"), None] {
        let (f, u) = both(&text, account);
        assert_eq!(f.undetermined.len(), 1);
        assert_eq!(f.undetermined[0].count, 7);
        for d in &f.domains {
            // The account, the domain's own role (Lambda acting through it shows on its entry),
            // and the group.
            assert_eq!(d.access.len(), 3, "{}", d.name);
            let g = d
                .access
                .iter()
                .find_map(|e| e.folded.as_ref())
                .expect("group row");
            assert_eq!(g.count, 6);
            assert_eq!(g.members.len(), 6);
        }
        check(&f, &u);
    }
}

#[test]
fn group_row_lists_at_most_twenty_members() {
    let text = keyreach::synth::greenfield::plan(25);
    let (f, u) = both(&text, Some("111122223333"));
    let g = f.domains[0]
        .access
        .iter()
        .find_map(|e| e.folded.as_ref())
        .expect("group row");
    assert_eq!(g.count, 24);
    assert_eq!(g.members.len(), 20);
    let mut sorted = g.members.clone();
    sorted.sort();
    assert_eq!(sorted, g.members);
    assert_eq!(f.undetermined[0].members.len(), 25);
    check(&f, &u);
}

#[test]
fn mixed_plan_folds_without_changing_access() {
    let text = keyreach::synth::plan(6);
    let (f, u) = both(&text, Some("111122223333"));
    check(&f, &u);
}

#[test]
fn scenario_plans_fold_without_changing_access() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/scenarios");
    let mut checked = 0;
    for entry in std::fs::read_dir(&root).expect("scenarios").flatten() {
        let plan = entry.path().join("plan.json");
        let Ok(text) = std::fs::read_to_string(&plan) else {
            continue;
        };
        let (f, u) = both(&text, Some("111122223333"));
        check(&f, &u);
        checked += 1;
    }
    assert!(checked > 0);
}

/// Sets the key policy of the first domain (in `resource_changes` and `planned_values`).
fn with_first_key_policy(text: &str, policy: &serde_json::Value) -> String {
    let mut v: serde_json::Value = serde_json::from_str(text).expect("plan");
    let p = policy.to_string();
    v["resource_changes"][0]["change"]["after"]["policy"] = serde_json::Value::String(p.clone());
    v["planned_values"]["root_module"]["child_modules"][0]["resources"][0]["values"]["policy"] =
        serde_json::Value::String(p);
    v.to_string()
}

#[test]
fn keys_that_tell_members_apart_evaluate_them_on_their_own() {
    let text = keyreach::synth::greenfield::plan(4);
    // A condition on the principal's ARN: members are not alike on this key.
    let by_arn = with_first_key_policy(
        &text,
        &serde_json::json!({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Action": "kms:*", "Resource": "*",
            "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/dom00001-*"}}}]}),
    );
    let (f, u) = both(&by_arn, Some("111122223333"));
    assert!(f.domains[0].access.iter().all(|e| e.folded.is_none()));
    check(&f, &u);
    // A member named by a Deny: evaluated on its own there, the others still fold.
    let named = with_first_key_policy(
        &text,
        &serde_json::json!({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
             "Action": "kms:*", "Resource": "*"},
            {"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::111122223333:role/dom00002-app"},
             "Action": "kms:Decrypt", "Resource": "*"}]}),
    );
    let (f, u) = both(&named, Some("111122223333"));
    let g = f.domains[0]
        .access
        .iter()
        .find_map(|e| e.folded.as_ref())
        .expect("group row");
    assert_eq!(g.count, 2);
    check(&f, &u);
}
