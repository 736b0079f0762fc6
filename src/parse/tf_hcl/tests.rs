//! Expression semantics, one line per case: each case is evaluated as `local.result` in a
//! module that also defines `local.m` (an object), `local.n` (a number) and `local.u` (unknown
//! until apply: the account of `data.aws_caller_identity.c`).

use super::eval::{Evaluator, Facts};
use super::loader;
use super::value::{Pos, Value};
use crate::parse::LoadOptions;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Loads a source directory holding `main.tf` (and a template `t.tpl`) and runs `f` on its
/// evaluator.
fn with_evaluator<T>(main_tf: &str, f: impl FnOnce(&mut Evaluator) -> T) -> T {
    let dir = std::env::temp_dir().join(format!(
        "keyreach-eval-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("main.tf"), main_tf).expect("write");
    std::fs::write(
        dir.join("t.tpl"),
        "hello ${name}%{ for r in roles }|${r}%{ endfor }",
    )
    .expect("write");
    let loaded = loader::load(&dir, "t", None, &LoadOptions::default());
    assert!(loaded.errors.is_empty(), "{main_tf}: {:?}", loaded.errors);
    let mut ev = Evaluator::new(
        loaded.files,
        loaded.defs,
        loaded.root,
        loaded.root_inputs,
        Facts {
            partition: "aws".into(),
            dns_suffix: "amazonaws.com".into(),
            ..Facts::default()
        },
    );
    let out = f(&mut ev);
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// The value of a local of the root module.
fn local(ev: &mut Evaluator, name: &str) -> Value {
    ev.local_value(0, name, Pos::default())
        .map(|v| (*v).clone())
        .unwrap_or_else(|e| panic!("{name}: {}", e.msg))
}

fn eval(expr: &str) -> (Value, Vec<String>) {
    let text = format!(
        "data \"aws_caller_identity\" \"c\" {{}}\nlocals {{\n  m = {{ a = 1, b = \"x\" }}\n  n = 1\n  u = data.aws_caller_identity.c.account_id\n  result = {expr}\n}}\n"
    );
    with_evaluator(&text, |ev| {
        let v = local(ev, "result");
        (v, ev.notes.iter().map(|(_, m)| m.clone()).collect())
    })
}

#[test]
fn known_results() {
    let cases: &[(&str, serde_json::Value)] = &[
        (r#""a-${local.n}""#, json!("a-1")),
        ("<<-EOT\n    x\n      y\n    EOT", json!("x\n  y\n")),
        (r#""a ${~ "b" ~} c""#, json!("abc")),
        (
            r#""%{ for x in ["a", "b"] }${x},%{ endfor }""#,
            json!("a,b,"),
        ),
        (
            r#""%{ if local.n == 1 }one%{ else }other%{ endif }""#,
            json!("one"),
        ),
        ("[for x in [1, 2, 3] : x * 2 if x != 2]", json!([2, 6])),
        (
            "{ for k, v in { b = 2, a = 1 } : v => k }",
            json!({"1": "a", "2": "b"}),
        ),
        (
            "{ for s in [\"a\", \"ab\", \"b\"] : substr(s, 0, 1) => s... }",
            json!({"a": ["a", "ab"], "b": ["b"]}),
        ),
        ("[for k, v in { b = 2, a = 1 } : k]", json!(["a", "b"])),
        ("[{ a = 1 }, { a = 2 }][*].a", json!([1, 2])),
        ("[{ a = { b = 1 } }].*.a.b", json!([1])),
        ("local.m.a + 2 * 3", json!(7)),
        ("7 % 3 == 1 && !false", json!(true)),
        ("local.n > 0 ? \"pos\" : \"neg\"", json!("pos")),
        ("-local.n", json!(-1)),
        ("try(local.m.missing, \"default\")", json!("default")),
        ("can(local.m.missing)", json!(false)),
        ("can(local.m.a)", json!(true)),
        ("try([][0], null)", json!(null)),
        ("false && local.u == \"x\"", json!(false)),
        ("true || local.u == \"x\"", json!(true)),
        (
            "format(\"arn:aws:iam::%s:role/%s\", \"123\", local.m.b)",
            json!("arn:aws:iam::123:role/x"),
        ),
        ("join(\",\", concat([\"a\"], [\"b\"]))", json!("a,b")),
        ("lookup(local.m, \"c\", \"none\")", json!("none")),
        (
            "merge(local.m, { c = true })",
            json!({"a": 1, "b": "x", "c": true}),
        ),
        (
            "jsondecode(jsonencode({ a = [1, \"x\"] }))",
            json!({"a": [1, "x"]}),
        ),
        (
            "jsonencode({ b = 1, a = [true] })",
            json!("{\"a\":[true],\"b\":1}"),
        ),
        ("length(\"héllo\")", json!(5)),
        ("keys(local.m)", json!(["a", "b"])),
        ("element([\"a\", \"b\"], 3)", json!("b")),
        ("flatten([[\"a\"], [[\"b\"]], []])", json!(["a", "b"])),
        ("toset([\"b\", \"a\", \"b\"])", json!(["a", "b"])),
        ("coalesce(\"\", null, \"x\")", json!("x")),
        ("zipmap([\"k\"], [local.n])", json!({"k": 1})),
        (
            "templatefile(\"t.tpl\", { name = \"kr\", roles = [\"a\", \"b\"] })",
            json!("hello kr|a|b"),
        ),
        (
            "upper(trimprefix(\"alias/orders\", \"alias/\"))",
            json!("ORDERS"),
        ),
        ("split(\"/\", \"a/b\")[1]", json!("b")),
        ("path.module", json!(".")),
        ("terraform.workspace", json!("default")),
        ("tolist([local.m])[0][\"b\"]", json!("x")),
    ];
    for (expr, expected) in cases {
        let (v, notes) = eval(expr);
        assert_eq!(
            v.to_json().as_ref(),
            Some(expected),
            "{expr} gave {v:?} (notes {notes:?})"
        );
    }
}

#[test]
fn unknown_results_keep_references() {
    let account = |v: &Value| {
        v.refs().iter().any(|r| {
            r.target == "data.aws_caller_identity.c" && r.attribute.as_deref() == Some("account_id")
        })
    };
    for expr in [
        "local.u",
        "\"arn:aws:iam::${local.u}:root\"",
        "local.u == \"x\"",
        "local.u != \"\" ? \"a\" : \"b\"",
        "upper(local.u)",
        "format(\"%s\", local.u)",
        "concat([\"a\"], [local.u])[1]",
        "[for x in [local.u] : x][0]",
        "local.u ? 1 : 2",
    ] {
        let (v, _) = eval(expr);
        assert!(v.is_unknown(), "{expr} gave {v:?}");
        assert!(account(&v), "{expr} lost its reference: {v:?}");
    }
    // Partly known structures stay partly known.
    let (v, _) = eval("[\"a\", local.u]");
    assert_eq!(v.to_json(), None);
    assert!(matches!(&v, Value::List(items) if items[0] == Value::String("a".into())));
    let (v, _) = eval("length([\"a\", local.u])");
    assert_eq!(v, Value::Number(2.0));
    let (v, _) = eval("jsonencode({ a = local.u })");
    assert!(matches!(v, Value::Json(_)));
}

#[test]
fn errors_and_unsupported_constructs_are_notes() {
    let (v, notes) = eval("regex(\"a+\", \"aaa\")");
    assert!(v.is_unknown());
    assert!(notes.iter().any(|n| n.contains("regex")), "{notes:?}");
    let (v, notes) = eval("local.m.missing");
    assert!(v.is_unknown());
    assert!(
        notes.iter().any(|n| n.contains("no attribute")),
        "{notes:?}"
    );
    let (v, notes) = eval("local.result");
    assert!(v.is_unknown());
    assert!(notes.iter().any(|n| n.contains("cycle")), "{notes:?}");
    let (v, notes) = eval("file(\"../../../etc/passwd\")");
    assert!(v.is_unknown());
    assert!(
        notes
            .iter()
            .any(|n| n.contains("module directory") || n.contains("cannot read")),
        "{notes:?}"
    );
    let (v, notes) = eval("provider::aws::arn_parse(\"x\")");
    assert!(v.is_unknown());
    assert!(!notes.is_empty());
    let (v, _) = eval("range(1000000)");
    assert!(v.is_unknown());
    let (v, notes) = eval("var.nope");
    assert!(v.is_unknown());
    assert!(
        notes.iter().any(|n| n.contains("not declared")),
        "{notes:?}"
    );
}

#[test]
fn hostile_function_arguments_are_errors_not_panics() {
    for expr in [
        "parseint(\"10\", 99)",
        "parseint(\"10\", 1)",
        "parseint(\"zz\", 36)",
        "substr(\"abc\", 1, 1e300)",
        "substr(\"abc\", -10, -1)",
        "format(\"%999999999999d|%.99999f\", 1, 2)",
        "indent(1e300, \"a\\nb\")",
        "element([], 0)",
        "slice([1, 2], 2, 1)",
        "range(0, 1, 0)",
        "chunklist([1, 2], 1e300)",
        "pow(10, 1e300)",
        "1 / 0",
        "-(\"x\")",
        "[1][1e300]",
        "{ a = 1 }[null]",
    ] {
        let (v, _) = eval(expr);
        let _ = v.to_json();
    }
}

/// An attribute a resource's nested block does not set is computed at apply: unknown, with no
/// note; a missing attribute of an object literal stays an error (`try` relies on it).
#[test]
fn unset_block_attributes_are_unknown_not_errors() {
    let main_tf = "resource \"aws_instance\" \"x\" {\n  root_block_device {\n    encrypted = true\n  }\n}\nlocals {\n  result = aws_instance.x.root_block_device[0].volume_id\n  fallback = try({ a = 1 }.missing, \"default\")\n}\n";
    with_evaluator(main_tf, |ev| {
        let v = local(ev, "result");
        assert!(v.is_unknown(), "{v:?}");
        assert_eq!(local(ev, "fallback"), Value::String("default".into()));
        assert!(
            !ev.notes.iter().any(|(_, m)| m.contains("no attribute")),
            "{:?}",
            ev.notes
        );
    });
}
