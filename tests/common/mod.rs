//! Helpers shared by integration tests (each test crate uses a part of them).
#![allow(dead_code)]

use serde_json::Value;
use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A rule fixture's directory, e.g. `fixture("KR001", "fail")`.
pub fn fixture(code: &str, which: &str) -> PathBuf {
    root().join("testdata/rules").join(code).join(which)
}

/// Schema errors of a SARIF log against the vendored official SARIF 2.1.0 schema.
pub fn sarif_schema_errors(sarif: &Value) -> Vec<String> {
    let path: &Path = &root().join("testdata/sarif/sarif-schema-2.1.0.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("schema")).expect("schema JSON");
    let validator = jsonschema::draft4::new(&schema).expect("the SARIF schema compiles");
    validator
        .iter_errors(sarif)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}
