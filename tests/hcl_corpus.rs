//! Smoke test over the shared corpus of real Terraform source (`../shared/corpus/hcl`): every
//! directory holding `.tf` files is read without an input error or a panic. Registry modules
//! are notes, not failures. Skips itself when the corpus is absent (a user's clone).

use keyreach::parse::{tf_hcl, LoadOptions};
use std::path::{Path, PathBuf};

fn corpus() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/hcl");
    p.is_dir().then_some(p)
}

fn tf_dirs(root: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(root) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    if entries
        .iter()
        .any(|p| p.extension().is_some_and(|e| e == "tf"))
    {
        out.push(root.to_path_buf());
    }
    for e in entries {
        if e.is_dir() {
            tf_dirs(&e, out);
        }
    }
}

/// Module sources in the directory's own files that are not local paths.
fn remote_sources(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in rd.filter_map(Result::ok) {
        let p = e.path();
        if p.extension().is_none_or(|x| x != "tf") {
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap_or_default();
        let mut in_module = false;
        for line in text.lines() {
            let l = line.trim();
            if l.starts_with("module \"") {
                in_module = true;
            }
            if in_module && l.starts_with("source") {
                if let Some(v) = l.split('"').nth(1) {
                    if !v.starts_with('.') {
                        out.push(v.to_owned());
                    }
                }
                in_module = false;
            }
        }
    }
    out
}

#[test]
fn every_corpus_directory_is_read() {
    let Some(root) = corpus() else {
        eprintln!("corpus not present; skipping");
        return;
    };
    let mut dirs = Vec::new();
    tf_dirs(&root, &mut dirs);
    assert!(!dirs.is_empty());
    let verbose = std::env::var_os("KEYREACH_CORPUS_VERBOSE").is_some();
    for d in dirs {
        let display = d.strip_prefix(&root).unwrap_or(&d).display().to_string();
        let parsed = tf_hcl::parse_dir(&d, &display, &LoadOptions::default())
            .unwrap_or_else(|e| panic!("{display}: {e:?}"));
        // Every registry or git module the directory calls is a note, not a failure.
        for src in remote_sources(&d) {
            assert!(
                parsed
                    .notes
                    .iter()
                    .any(|n| n.message.contains(&format!("\"{src}\""))),
                "{display}: no note for module source {src}"
            );
        }
        if verbose {
            eprintln!(
                "== {display}: {} resources, {} notes",
                parsed.resources.len(),
                parsed.notes.len()
            );
            for r in &parsed.resources {
                eprintln!(
                    "  {} {}",
                    r.id,
                    serde_json::to_string(&r.kind).unwrap_or_default()
                );
            }
            for n in &parsed.notes {
                eprintln!(
                    "  note {}:{:?} {}",
                    n.location.file, n.location.line, n.message
                );
            }
        }
    }
}
