//! Hostile and broken Terraform source: syntax errors are input errors with file, line and
//! column; everything else (cycles, unbounded expansion, recursion, unsupported constructs)
//! is a note and an unknown value. Nothing panics, nothing runs away.

use keyreach::error::InputError;
use keyreach::model::Parsed;
use keyreach::parse::{tf_hcl, LoadOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "keyreach-malformed-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    dir
}

fn run(files: &[(&str, &[u8])]) -> Result<Parsed, Vec<InputError>> {
    let dir = scratch();
    for (name, content) in files {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("dir");
        }
        std::fs::write(p, content).expect("write");
    }
    let start = Instant::now();
    let r = tf_hcl::parse_dir(&dir, "in", &LoadOptions::default());
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(errs) = &r {
        assert!(
            !errs.iter().any(|e| e.message.contains("internal error")),
            "panic inside the reader: {errs:?}"
        );
    }
    r
}

fn notes(p: &Parsed) -> String {
    p.notes
        .iter()
        .map(|n| n.message.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn syntax_errors_name_file_line_and_column() {
    let e = run(&[(
        "main.tf",
        b"resource \"aws_kms_key\" \"k\" {\n  policy = \n}\n",
    )])
    .expect_err("error");
    assert_eq!(e[0].file, "in/main.tf");
    assert_eq!(e[0].line, Some(2));
    assert!(e[0].column.is_some());
    assert!(e[0].to_string().starts_with("in/main.tf:2:"), "{}", e[0]);

    let e = run(&[
        ("main.tf", b"module \"m\" {\n  source = \"./m\"\n}\n"),
        ("m/main.tf", b"locals {\n  a = [1, 2\n}\n"),
    ])
    .expect_err("error in module");
    assert_eq!(e[0].file, "in/m/main.tf");
    assert!(e[0].line.is_some());

    let e = run(&[(
        "main.tf.json",
        b"{\n  \"resource\": {\n    \"aws_kms_key\": [\n}\n",
    )])
    .expect_err("json");
    assert_eq!(e[0].file, "in/main.tf.json");
    assert!(e[0].line.is_some());

    let e = run(&[
        ("main.tf", b"variable \"x\" {}\n"),
        ("terraform.tfvars", b"x = = 1\n"),
    ])
    .expect_err("tfvars");
    assert_eq!(e[0].file, "in/terraform.tfvars");

    let e = run(&[("main.tf", &[0x72, 0x65, 0xff, 0xfe])]).expect_err("utf-8");
    assert!(e[0].message.contains("UTF-8"), "{}", e[0]);

    let e = run(&[("README.md", b"not terraform")]).expect_err("no files");
    assert!(e[0].message.contains("no Terraform files"), "{}", e[0]);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = format!(
        "locals {{\n  a = {}1{}\n}}\n",
        "[".repeat(20_000),
        "]".repeat(20_000)
    );
    assert!(run(&[("main.tf", deep.as_bytes())]).is_err());
    let parens = format!(
        "locals {{\n  a = {}1{}\n}}\n",
        "(".repeat(20_000),
        ")".repeat(20_000)
    );
    assert!(run(&[("main.tf", parens.as_bytes())]).is_err());
    let json = format!(
        "{{\"locals\": {{\"a\": {}1{}}}}}",
        "[".repeat(20_000),
        "]".repeat(20_000)
    );
    assert!(run(&[("main.tf.json", json.as_bytes())]).is_err());
    let tpl = format!(
        "{{\"locals\": {{\"a\": \"${{{}1{}}}\"}}}}",
        "(".repeat(5_000),
        ")".repeat(5_000)
    );
    let p = run(&[("main.tf.json", tpl.as_bytes())]).expect("template errors are notes");
    assert!(!p.notes.is_empty() || p.resources.is_empty());
    let ops = format!("locals {{\n  a = {}1\n}}\n", "1 + ".repeat(10_000));
    assert!(run(&[("main.tf", ops.as_bytes())]).is_err());
}

#[test]
fn cycles_and_long_chains_are_bounded() {
    let p = run(&[(
        "main.tf",
        b"locals {\n  a = local.b\n  b = local.a\n}\nresource \"aws_kms_key\" \"k\" {\n  description = local.a\n}\n",
    )])
    .expect("ok");
    assert!(notes(&p).contains("cycle"), "{}", notes(&p));
    let mut chain = String::from("locals {\n  l0 = \"x\"\n");
    for i in 1..5_000 {
        chain.push_str(&format!("  l{i} = local.l{}\n", i - 1));
    }
    chain.push_str("}\nresource \"aws_kms_key\" \"k\" {\n  description = local.l4999\n}\n");
    let p = run(&[("main.tf", chain.as_bytes())]).expect("ok");
    assert!(notes(&p).contains("nest more than"), "{}", notes(&p));
    // A resource whose count depends on itself.
    let p = run(&[(
        "main.tf",
        b"resource \"aws_kms_key\" \"k\" {\n  count = length(aws_kms_key.k)\n}\n",
    )])
    .expect("ok");
    assert!(notes(&p).contains("cycle"), "{}", notes(&p));
}

#[test]
fn exponential_values_are_bounded() {
    let mut s = String::from("locals {\n  s0 = \"xxxxxxxxxxxxxxxx\"\n  l0 = [1, 2, 3, 4]\n");
    for i in 1..48 {
        s.push_str(&format!(
            "  s{i} = \"${{local.s{0}}}${{local.s{0}}}\"\n",
            i - 1
        ));
        s.push_str(&format!("  l{i} = [local.l{0}, local.l{0}]\n", i - 1));
    }
    s.push_str("}\nresource \"aws_kms_key\" \"k\" {\n  description = local.s47\n  tags = { a = jsonencode(local.l47) }\n}\n");
    let p = run(&[("main.tf", s.as_bytes())]).expect("ok");
    assert_eq!(p.resources.len(), 1);
}

#[test]
fn shared_structure_blowups_are_bounded() {
    let mut s = String::from("locals {\n  l0 = [\"x\"]\n");
    for i in 1..16 {
        s.push_str(&format!("  l{i} = [local.l{0}, local.l{0}]\n", i - 1));
    }
    s.push_str(
        "  big = [for i in range(99999) : local.l14]\n  e = jsonencode(local.big) == jsonencode([for i in range(99999) : local.l14])\n  d = distinct(local.big)\n  f = length(flatten(local.big))\n}\nresource \"aws_kms_key\" \"k\" {\n  description = local.e\n  tags = { d = length(local.d), f = local.f, s = length(toset(local.big)) }\n}\n",
    );
    let p = run(&[("main.tf", s.as_bytes())]).expect("ok");
    assert_eq!(p.resources.len(), 1);
}

#[test]
fn expansion_is_bounded() {
    let p = run(&[(
        "main.tf",
        b"resource \"aws_sqs_queue\" \"q\" {\n  count = 100000000\n}\nresource \"aws_sqs_queue\" \"r\" {\n  for_each = toset([for i in range(1000000) : tostring(i)])\n}\n",
    )])
    .expect("ok");
    assert!(p.resources.len() <= 10_001, "{}", p.resources.len());
    assert!(notes(&p).contains("first 10000"), "{}", notes(&p));
    let p = run(&[("main.tf", b"resource \"aws_sqs_queue\" \"q\" {\n  count = -1\n}\nresource \"aws_sqs_queue\" \"r\" {\n  for_each = 3\n}\n")])
        .expect("ok");
    assert_eq!(p.resources.len(), 2, "one [*] instance each");
}

#[test]
fn module_recursion_is_refused() {
    let p = run(&[("main.tf", b"module \"self\" {\n  source = \"./\"\n}\n")]).expect("ok");
    assert!(notes(&p).contains("calls itself"), "{}", notes(&p));
    let p = run(&[
        ("main.tf", b"module \"a\" {\n  source = \"./a\"\n}\n"),
        ("a/main.tf", b"module \"b\" {\n  source = \"../b\"\n}\n"),
        (
            "b/main.tf",
            b"module \"a\" {\n  source = \"../a\"\n}\nresource \"aws_kms_key\" \"k\" {}\n",
        ),
    ])
    .expect("ok");
    assert!(notes(&p).contains("calls itself"), "{}", notes(&p));
    assert!(p
        .resources
        .iter()
        .any(|r| r.id == "module.a.module.b.aws_kms_key.k"));
    let p = run(&[("main.tf", b"module \"m\" {\n  source = \"./missing\"\n}\n")]).expect("ok");
    assert!(notes(&p).contains("cannot be read"), "{}", notes(&p));
}

#[test]
fn template_recursion_and_format_widths_are_bounded() {
    let p = run(&[
        ("main.tf", b"resource \"aws_kms_key\" \"k\" {\n  description = templatefile(\"${path.module}/t.tpl\", {})\n  policy = format(\"%999999999999d\", 1)\n}\n"),
        ("t.tpl", b"${templatefile(\"t.tpl\", {})}"),
    ])
    .expect("ok");
    assert_eq!(p.resources.len(), 1);
}

#[test]
fn unsupported_and_invalid_policies_are_notes() {
    let p = run(&[(
        "main.tf",
        br#"
resource "aws_iam_policy" "a" {
  policy = "{not json"
}
resource "aws_iam_policy" "b" {
  policy = jsonencode({ Statement = [{ Effect = "Maybe" }] })
}
resource "aws_iam_policy" "c" {
  policy = jsonencode({ Statement = 42 })
}
resource "aws_kms_key" "d" {
  policy = regex("x", "y")
}
"#,
    )])
    .expect("ok");
    assert_eq!(p.resources.len(), 4);
    let n = notes(&p);
    assert!(n.contains("not valid JSON"), "{n}");
    assert!(n.contains("Effect"), "{n}");
    assert!(n.contains("regex"), "{n}");
}

/// Mutates every fixture file (truncations and inserted syntax characters) and reads the
/// result: errors are fine, panics and hangs are not.
#[test]
fn mutated_fixtures_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/hcl");
    let mut files = Vec::new();
    collect(&root, &mut files);
    let inserts: [&[u8]; 8] = [b"{", b"}", b"\"", b"${", b"%{", b"[", b"(", b"\n"];
    let mut runs = 0;
    for f in files {
        let name = f
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("main.tf")
            .to_owned();
        if !(name.ends_with(".tf") || name.ends_with(".json") || name.ends_with(".tfvars")) {
            continue;
        }
        let text = std::fs::read(&f).expect("read");
        let stride = (text.len() / 12).max(1);
        let mut pos = 0;
        while pos < text.len() {
            let mut truncated = text[..pos].to_vec();
            truncated.extend_from_slice(b"\n");
            let _ = run(&[(&name, &truncated)]);
            let mut inserted = text.clone();
            let ins = inserts[pos % inserts.len()];
            inserted.splice(pos..pos, ins.iter().copied());
            let _ = run(&[(&name, &inserted)]);
            runs += 2;
            pos += stride;
        }
    }
    assert!(runs > 50);
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}
