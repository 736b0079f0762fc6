//! The GitHub Action's shell logic (`scripts/action/run.sh`) run against fixtures, with the
//! real keyreach binary and a fake `gh` on PATH that records its calls.
#![cfg(unix)]

mod common;

use common::root;
use std::path::{Path, PathBuf};
use std::process::Command;

struct Fake {
    dir: PathBuf,
}

impl Fake {
    /// A scratch directory with a fake `gh`: it logs every call (and the body file it is given)
    /// and answers the comment search with `$FAKE_GH_EXISTING`.
    fn new(name: &str) -> Fake {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join("action")
            .join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("bin")).expect("dir");
        let gh = dir.join("bin/gh");
        std::fs::write(
            &gh,
            r#"#!/usr/bin/env bash
echo "gh $*" >> "$FAKE_GH_LOG"
for a in "$@"; do
  case "$a" in
    body=@*) cat "${a#body=@}" > "$FAKE_GH_LOG.body" ;;
  esac
done
case " $* " in
  *" --jq "*) [ -n "${FAKE_GH_EXISTING:-}" ] && echo "$FAKE_GH_EXISTING" ;;
esac
exit 0
"#,
        )
        .expect("gh");
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&gh, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        Fake { dir }
    }

    fn run(&self, env: &[(&str, &str)]) -> (i32, String) {
        let path = format!(
            "{}:{}",
            self.dir.join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = Command::new("bash")
            .arg(root().join("scripts/action/run.sh"))
            .current_dir(root())
            .env("PATH", path)
            .env("KEYREACH_BIN", env!("CARGO_BIN_EXE_keyreach"))
            .env("KEYREACH_OUT", self.dir.join("out"))
            .env("GITHUB_REPOSITORY", "octo/infra")
            .env("GITHUB_OUTPUT", self.dir.join("github_output"))
            .env("GITHUB_STEP_SUMMARY", self.dir.join("summary.md"))
            .env("FAKE_GH_LOG", self.dir.join("gh.log"))
            .env("KEYREACH_TODAY", "2025-06-15")
            .envs(env.iter().copied())
            .output()
            .expect("bash runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr),
        )
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap_or_default()
    }
}

const PLAN: &str = "testdata/diff/key-policy-statements/plan.json";

#[test]
fn diff_posts_a_comment_then_updates_it_and_records_the_gate() {
    let fake = Fake::new("post-update");
    let (code, log) = fake.run(&[
        ("KEYREACH_INPUTS", PLAN),
        ("KEYREACH_PR", "42"),
        ("KEYREACH_FAIL_ON_NEW_ACCESS", "read"),
    ]);
    assert_eq!(
        code, 0,
        "the script leaves the verdict to the gate step: {log}"
    );
    let outputs = fake.read("github_output");
    assert!(outputs.contains("exit-code=1\n"), "{outputs}");
    let gh = fake.read("gh.log");
    assert!(
        gh.contains("gh api --paginate repos/octo/infra/issues/42/comments --jq"),
        "{gh}"
    );
    assert!(
        gh.contains("gh api --method POST repos/octo/infra/issues/42/comments -F body=@"),
        "{gh}"
    );
    let body = fake.read("gh.log.body");
    assert!(body.starts_with("## keyreach: access changes\n"), "{body}");
    assert!(body.contains("`aws_iam_role.analytics`"));
    assert!(body
        .trim_end()
        .ends_with("<!-- keyreach-comment:default -->"));
    assert!(fake.read("summary.md").contains("access changes"));
    let sarif: serde_json::Value =
        serde_json::from_str(&fake.read("out/keyreach.sarif")).expect("SARIF written");
    assert_eq!(sarif["runs"][0]["results"][0]["ruleId"], "KR030");

    // The next push updates the same comment.
    let (code, _) = fake.run(&[
        ("KEYREACH_INPUTS", PLAN),
        ("KEYREACH_PR", "42"),
        ("FAKE_GH_EXISTING", "777"),
    ]);
    assert_eq!(code, 0);
    let gh = fake.read("gh.log");
    assert!(
        gh.contains("gh api --method PATCH repos/octo/infra/issues/comments/777 -F body=@"),
        "{gh}"
    );
    assert!(fake.read("github_output").contains("exit-code=0\n"));
}

#[test]
fn base_head_analyze_and_no_comment_outside_pull_requests() {
    let fake = Fake::new("base-head");
    let dir = "testdata/diff/grants";
    let (code, log) = fake.run(&[
        ("KEYREACH_BASE", &format!("{dir}/base/state.json")),
        ("KEYREACH_INPUTS", &format!("{dir}/head/state.json")),
        ("KEYREACH_FAIL_ON_NEW_ACCESS", "write"),
    ]);
    assert_eq!(code, 0, "{log}");
    assert!(fake.read("github_output").contains("exit-code=0\n"));
    assert!(fake
        .read("out/keyreach.md")
        .contains("`aws_kms_grant.analytics`"));
    assert!(
        fake.read("gh.log").is_empty(),
        "no pull request, no comment"
    );

    let fake = Fake::new("analyze");
    let (code, log) = fake.run(&[
        ("KEYREACH_COMMAND", "analyze"),
        ("KEYREACH_INPUTS", PLAN),
        ("KEYREACH_FAIL_ON", "never"),
        ("KEYREACH_PR", "5"),
        ("KEYREACH_COMMENT_KEY", "payments"),
    ]);
    assert_eq!(code, 0, "{log}");
    assert!(fake.read("github_output").contains("exit-code=0\n"));
    let body = fake.read("gh.log.body");
    assert!(body.starts_with("## keyreach\n"), "{body}");
    assert!(body.contains("### Access changes"));
    assert!(body.contains("<!-- keyreach-comment:payments -->"));

    // A broken input: exit code 2 recorded, the script itself still succeeds.
    let fake = Fake::new("broken");
    let (code, log) = fake.run(&[("KEYREACH_INPUTS", "testdata/diff/missing.json")]);
    assert_eq!(code, 0, "{log}");
    assert!(fake.read("github_output").contains("exit-code=2\n"));
    // No inputs at all is a usage error of the action.
    let (code, _) = Fake::new("empty").run(&[("KEYREACH_INPUTS", "")]);
    assert_eq!(code, 2);
}

#[test]
fn action_and_hook_files_reference_the_script() {
    let action = std::fs::read_to_string(root().join("action.yml")).expect("action.yml");
    assert!(action.contains("using: composite"));
    assert!(action.contains("scripts/action/run.sh"));
    assert!(action.contains("actions/cache@"));
    assert!(action.contains("github/codeql-action/upload-sarif@"));
    assert!(action.contains("cargo install --locked --git"));
    let hooks = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).expect("hooks");
    assert!(hooks.contains("id: keyreach"));
    assert!(hooks.contains("language: rust"));
}
