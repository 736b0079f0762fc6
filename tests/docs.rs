//! `docs/rules.md` is generated from the rule registry and must stay in sync with it.

use std::path::Path;

#[test]
fn rules_md_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/rules.md");
    let want = keyreach::rules::docs_markdown();
    if std::env::var_os("KEYREACH_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &want).expect("write docs/rules.md");
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/rules.md is out of date with the rule registry (src/rules/). Regenerate it with\n\n    \
         KEYREACH_UPDATE_DOCS=1 cargo test --test docs\n\nand commit the result."
    );
}
