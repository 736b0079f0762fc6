//! Smoke test over the shared corpus of real CloudFormation, SAM and CDK templates
//! (`../shared/corpus/{cfn,cdk}` next to the repository). Skips itself when the corpus is not
//! there (a user's clone has none).

use keyreach::model::{Kind, Val};
use keyreach::parse::{load, LoadOptions};
use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    p.is_dir().then_some(p)
}

fn templates(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    out.retain(|p| {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        (name.ends_with(".json") || name.ends_with(".yaml") || name.ends_with(".yml"))
            && name != "intended-access.json"
    });
    out.sort();
    out
}

#[test]
fn every_corpus_template_parses() {
    let Some(root) = corpus() else {
        eprintln!("shared corpus not found; skipping");
        return;
    };
    let mut files = templates(&root.join("cfn"));
    files.extend(templates(&root.join("cdk")));
    assert!(files.len() > 50, "corpus looks incomplete: {}", files.len());
    let opts = LoadOptions {
        input_kind: None,
        ..LoadOptions::default()
    };
    let mut failures = Vec::new();
    let mut resources = 0;
    for f in &files {
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let (estate, errors) = load(std::slice::from_ref(f), &opts);
        resources += estate.resources.len();
        failures.extend(errors.iter().map(ToString::to_string));
        for r in &estate.resources {
            assert!(r.location.line.is_some(), "{name}: {} has no line", r.id);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(resources > 500, "{resources}");
}

#[test]
fn cdk_stacks_as_one_estate() {
    let Some(root) = corpus() else {
        eprintln!("shared corpus not found; skipping");
        return;
    };
    let cdk = root.join("cdk");
    let files: Vec<PathBuf> = [
        "SharedDataStack.template.json",
        "ConsumersStack.template.json",
        "KmsDataDomainsStack.template.json",
        "LedgerStoresStack.template.json",
    ]
    .iter()
    .map(|f| cdk.join(f))
    .collect();
    let (estate, errors) = load(&files, &LoadOptions::default());
    assert!(errors.is_empty(), "{errors:#?}");
    let ids: Vec<&str> = estate.resources.iter().map(|r| r.id.as_str()).collect();
    // With several stacks every logical id is prefixed with its stack.
    for id in [
        "SharedDataStack/OrdersKeyAF24D47B",
        "KmsDataDomainsStack/OrdersKeyAF24D47B",
        "ConsumersStack/ReportingRole34EAE4A8",
        "LedgerStoresStack/LedgerKey4AEFADD0",
    ] {
        assert!(ids.contains(&id), "missing {id}");
    }
    // Fn::ImportValue across stacks arrives as a reference to the exporting stack's key.
    let policy = estate
        .resources
        .iter()
        .find(|r| r.id == "ConsumersStack/ReportingRoleDefaultPolicy29DCBB53")
        .expect("policy");
    let Kind::InlinePolicy(p) = &policy.kind else {
        panic!()
    };
    let doc = p.document.known().expect("known document");
    let refs: Vec<String> = doc
        .statements
        .iter()
        .flat_map(|s| s.resource.iter().flatten())
        .flat_map(|v| match v {
            Val::Ref(r) => r.iter().map(ToString::to_string).collect(),
            _ => Vec::new(),
        })
        .collect();
    assert!(
        refs.contains(&"SharedDataStack/OrdersKeyAF24D47B.Arn".to_owned()),
        "{refs:?}"
    );
    assert!(
        refs.contains(&"SharedDataStack/PaymentsTable48A42630.Arn".to_owned()),
        "{refs:?}"
    );
    assert_eq!(
        policy.display_name.as_deref(),
        Some("ConsumersStack/ReportingRole/DefaultPolicy")
    );
    // The JSON and YAML renderings of the same stack read the same.
    let (json, _) = load(
        &[cdk.join("KmsDataDomainsStack.template.json")],
        &LoadOptions::default(),
    );
    let (yaml, _) = load(
        &[cdk.join("KmsDataDomainsStack.template.yaml")],
        &LoadOptions::default(),
    );
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("location");
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let strip = |e: &keyreach::model::Estate| {
        let mut v = serde_json::to_value(&e.resources).unwrap_or_default();
        strip(&mut v);
        v
    };
    assert_eq!(strip(&json), strip(&yaml));
}
