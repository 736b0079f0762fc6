//! Scenario folders: `testdata/scenarios/<name>/` hold the inputs, a `README.md` saying what
//! the scenario shows, an optional `args` file (extra command-line options, one per line) and
//! `expected.json`: the `domains` part of `keyreach analyze --format json` (with its
//! `undetermined` part when there is one, and `unpartitioned` when there are stores outside any
//! domain).
//!
//! Run with `KEYREACH_BLESS=1` to rewrite the expected files after reviewing a change.

use keyreach::cli::{Cli, Command};
use std::path::{Path, PathBuf};

fn scenario_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/scenarios");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

fn run_scenario(dir: &Path) -> serde_json::Value {
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("scenario dir readable")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !matches!(name, "expected.json" | "args" | "README.md") && !name.starts_with('.')
        })
        .collect();
    inputs.sort();
    let args_file = dir.join("args");
    let mut argv: Vec<String> = vec![
        "keyreach".into(),
        "analyze".into(),
        "--format".into(),
        "json".into(),
    ];
    if let Ok(extra) = std::fs::read_to_string(&args_file) {
        argv.extend(
            extra
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_owned),
        );
    }
    // Paths relative to the crate root (where cargo runs tests), so expected files name
    // inputs the same way on every clone.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    argv.extend(
        inputs
            .iter()
            .map(|p| p.strip_prefix(root).unwrap_or(p).display().to_string()),
    );
    let cli = <Cli as clap::Parser>::try_parse_from(&argv).expect("valid scenario args");
    let Command::Analyze(args) = cli.command else {
        panic!("analyze expected")
    };
    let opts = keyreach::load_options(&args.input).expect("options");
    let (estate, errors) = keyreach::parse::load(&args.input.inputs, &opts);
    assert!(
        errors.is_empty(),
        "{}: input errors: {errors:?}",
        dir.display()
    );
    let report = keyreach::analysis::analyze(&estate);
    let mut out = serde_json::json!({ "domains": report.domains });
    if !report.undetermined.is_empty() {
        out["undetermined"] = serde_json::json!(report.undetermined);
    }
    if !report.unpartitioned.is_empty() {
        out["unpartitioned"] = serde_json::json!(report.unpartitioned);
    }
    out
}

#[test]
fn scenarios_match_expected() {
    let bless = std::env::var_os("KEYREACH_BLESS").is_some();
    let mut failures = Vec::new();
    let dirs = scenario_dirs();
    for dir in &dirs {
        let got = run_scenario(dir);
        let expected_path = dir.join("expected.json");
        let rendered = serde_json::to_string_pretty(&got).expect("serialise") + "\n";
        if bless {
            std::fs::write(&expected_path, &rendered).expect("write expected");
            continue;
        }
        let expected = std::fs::read_to_string(&expected_path).unwrap_or_default();
        if expected != rendered {
            failures.push(format!(
                "{}: domains differ from expected.json\n--- expected\n{expected}\n--- got\n{rendered}",
                dir.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
