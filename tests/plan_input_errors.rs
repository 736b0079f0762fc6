//! Terraform plan JSON that keyreach cannot analyse: clear errors with a place, never a panic.

use keyreach::error::InputError;
use keyreach::parse::{tf_plan, LoadOptions};
use std::path::Path;

fn parse(text: &str) -> Result<keyreach::model::Parsed, InputError> {
    tf_plan::parse("plan.json", text, &LoadOptions::default())
}

fn err(text: &str) -> InputError {
    match parse(text) {
        Ok(_) => panic!("expected an error for {text}"),
        Err(e) => e,
    }
}

fn change(after: &str) -> String {
    format!(
        r#"{{"format_version":"1.2","resource_changes":[{{"address":"aws_kms_key.k","mode":"managed","type":"aws_kms_key","name":"k","change":{{"actions":["create"],"before":null,"after":{after},"after_unknown":{{}}}}}}]}}"#
    )
}

#[test]
fn malformed_json_names_line_and_column() {
    let e = err("{\n  \"format_version\": \"1.2\",\n  \"resource_changes\": [\n    {,\n");
    assert_eq!(e.file, "plan.json");
    assert_eq!(e.line, Some(4));
    assert!(e.column.is_some());
    assert!(e.message.contains("malformed JSON"), "{e}");
    let e = err(r#"{"format_version":"1.2","resource_changes":["#);
    assert!(e.message.contains("truncated JSON"), "{e}");
}

#[test]
fn documents_that_are_not_plans_are_refused() {
    for text in [
        "[1, 2]",
        r#""plan""#,
        r#"{"format_version":"1.2"}"#,
        r#"{"Resources":{}}"#,
    ] {
        let e = err(text);
        assert!(e.message.contains("not a Terraform plan"), "{text}: {e}");
    }
    let e = err(r#"{"format_version":"1.0","values":{"root_module":{}}}"#);
    assert!(e.message.contains("Terraform state"), "{e}");
}

#[test]
fn wrong_shapes_name_their_json_pointer() {
    let cases: Vec<(String, &str, &str)> = vec![
        (
            r#"{"format_version":"1.2","resource_changes":{}}"#.to_owned(),
            "/resource_changes",
            "array",
        ),
        (
            r#"{"format_version":"1.2","resource_changes":[{"address":"aws_kms_key.k","change":{"actions":"create"}}]}"#.to_owned(),
            "/resource_changes/0/change",
            "actions",
        ),
        (
            r#"{"format_version":"1.2","resource_changes":[{"address":"not an address","change":{"actions":["create"]}}]}"#.to_owned(),
            "/resource_changes/0/address",
            "not a resource address",
        ),
        (
            r#"{"format_version":"1.2","resource_changes":[{"change":{"actions":["create"]}}]}"#.to_owned(),
            "/resource_changes/0",
            "no `address`",
        ),
        (change("[1]"), "/resource_changes/0/change/after", "object"),
        (
            change(r#"{"policy":{"Statement":[]}}"#),
            "/resource_changes/0/change/after/policy",
            "must be a string",
        ),
        (
            change(r#"{"tags":"orders"}"#),
            "/resource_changes/0/change/after/tags",
            "map",
        ),
        (
            change(r#"{"enable_key_rotation":"sometimes"}"#),
            "/resource_changes/0/change/after/enable_key_rotation",
            "boolean",
        ),
        (
            r#"{"format_version":"1.2","planned_values":{"root_module":{"resources":[{"address":"aws_kms_key.k","values":3}]}}}"#.to_owned(),
            "/planned_values/root_module/resources/0/values",
            "object",
        ),
        (
            r#"{"format_version":"1.2","planned_values":{"root_module":{"child_modules":{"resources":[]}}}}"#.to_owned(),
            "/planned_values/root_module/child_modules",
            "array",
        ),
        (
            r#"{"format_version":"1.2","prior_state":{"values":{"root_module":{"resources":[{"address":"aws_kms_key.k","values":{"policy":7}}]}}}}"#.to_owned(),
            "/prior_state/values/root_module/resources/0/values/policy",
            "invalid policy document",
        ),
        (
            r#"{"format_version":"1.2","resource_changes":[],"configuration":[]}"#.to_owned(),
            "/configuration",
            "object",
        ),
    ];
    for (text, pointer, words) in cases {
        let e = err(&text);
        assert_eq!(e.pointer.as_deref(), Some(pointer), "{text}: {e}");
        assert!(e.message.contains(words), "{text}: {e}");
    }
}

#[test]
fn invalid_policies_name_the_attribute_and_the_place_inside_the_policy() {
    let policy = serde_json::to_string(r#"{"Statement":[{"Effect":"Maybe","Action":"kms:*"}]}"#)
        .expect("string");
    let e = err(&change(&format!(r#"{{"policy":{policy}}}"#)));
    assert_eq!(
        e.pointer.as_deref(),
        Some("/resource_changes/0/change/after/policy")
    );
    assert!(e.message.contains("/Statement/0/Effect"), "{e}");
    let e = err(&change(r#"{"policy":"{not json"}"#));
    assert!(e.message.contains("not valid JSON"), "{e}");
    let e = err(&change(r#"{"policy":"[1]"}"#));
    assert!(e.message.contains("JSON object"), "{e}");
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep_array = format!(
        r#"{{"format_version":"1.2","resource_changes":[{{"address":"aws_kms_key.k","change":{{"actions":["create"],"after":{}{}}}}}]}}"#,
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    assert!(parse(&deep_array).is_err());
    let mut modules = String::from(r#"{"resources":[]}"#);
    for _ in 0..100 {
        modules = format!(r#"{{"child_modules":[{modules}]}}"#);
    }
    let text =
        format!(r#"{{"format_version":"1.2","planned_values":{{"root_module":{modules}}}}}"#);
    let e = err(&text);
    assert!(e.message.contains("nested"), "{e}");
}

/// Every fixture, truncated at many lengths and with bytes garbled, parses or fails with an
/// error; nothing panics.
#[test]
fn truncated_and_garbled_plans_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/plans");
    let mut inputs = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            inputs.push(std::fs::read_to_string(&path).expect("readable"));
        }
    }
    inputs.push(keyreach::synth::plan(2));
    assert!(inputs.len() >= 6);
    // A small deterministic generator (no dependency needed for the mutation corpus).
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let replacements: [&str; 12] = [
        "null",
        "[]",
        "{}",
        "true",
        "1",
        "\"x\"",
        "[null]",
        "{\"a\":1}",
        "\"\"",
        "-1e999",
        "\"aws_kms_key.\"",
        "[[[[",
    ];
    let mut outcomes = (0usize, 0usize);
    for text in &inputs {
        let len = text.len();
        // Truncations.
        let step = (len / 150).max(1);
        for cut in (0..len).step_by(step) {
            if text.is_char_boundary(cut) {
                tally(&mut outcomes, parse(&text[..cut]));
            }
        }
        // Values replaced by other JSON values of other types.
        for _ in 0..300 {
            let at = usize::try_from(next() % len as u64).unwrap_or(0);
            let Some(start) = text[at..].find(':').map(|i| at + i + 1) else {
                continue;
            };
            let end = text[start..]
                .find([',', '}', ']'])
                .map_or(len, |i| start + i);
            let pick = replacements[usize::try_from(next() % 12).unwrap_or(0)];
            let mutated = format!("{}{pick}{}", &text[..start], &text[end..]);
            tally(&mut outcomes, parse(&mutated));
        }
        // Single bytes flipped.
        for _ in 0..100 {
            let mut bytes = text.as_bytes().to_vec();
            let at = usize::try_from(next() % len as u64).unwrap_or(0);
            bytes[at] = b"{}[],:\"\\0a"[usize::try_from(next() % 10).unwrap_or(0)];
            if let Ok(mutated) = String::from_utf8(bytes) {
                tally(&mut outcomes, parse(&mutated));
            }
        }
    }
    // Both outcomes occur: the mutations reach the mapping code, not only the JSON reader.
    assert!(outcomes.0 > 100 && outcomes.1 > 100, "{outcomes:?}");
}

fn tally(outcomes: &mut (usize, usize), r: Result<keyreach::model::Parsed, InputError>) {
    match r {
        Ok(_) => outcomes.0 += 1,
        Err(e) => {
            assert_eq!(e.file, "plan.json");
            assert!(!e.message.is_empty());
            outcomes.1 += 1;
        }
    }
}

/// Every plan of the shared corpus parses (the corpus is not part of the repository: the test
/// skips itself when the folder is absent).
#[test]
fn corpus_plans_parse() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/tfplan");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: {} not found", dir.display());
        return;
    };
    let mut count = 0;
    for entry in entries {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let display = path.display().to_string();
        if let Err(e) = tf_plan::parse(&display, &text, &LoadOptions::default()) {
            panic!("{e}");
        }
        count += 1;
    }
    assert!(count > 0);
}
