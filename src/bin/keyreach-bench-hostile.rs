//! Benchmark: hostile inputs at several sizes, each timed through the whole `keyreach analyze`
//! (read, parse, link, evaluate, rules, JSON report) in this process. Time growing like the
//! size shows linear behaviour; time growing like its square would show a quadratic path.
//!
//! Shapes: deep nesting in every format (YAML and JSON templates, plans, `.tf`, `.tf.json`),
//! YAML alias bombs, very long strings, many statements, pathological wildcards in `Action`,
//! `Resource` and `ArnLike` against long ARNs, huge condition lists, and a ring of roles that
//! trust each other.
//!
//! ```text
//! cargo run --release --bin keyreach-bench-hostile -- [--runs 3] [--only NAME] 2>/dev/null
//! ```
//!
//! Each line gives the shape, its size parameter `n`, the input bytes, the best wall time of
//! the runs, the time per 1,000 units of `n`, and the exit code (2 for a refused input).

use clap::Parser as _;
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

struct Args {
    runs: usize,
    only: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        runs: 3,
        only: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--runs" => a.runs = value()?.parse().map_err(|e| format!("--runs: {e}"))?,
            "--only" => a.only = Some(value()?),
            "-h" | "--help" => {
                return Err("usage: keyreach-bench-hostile [--runs N] [--only NAME]".to_owned())
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

/// One hostile shape: a name, the sizes to try, and a generator writing the input for size `n`
/// into a directory, returning the path to analyse.
struct Shape {
    name: &'static str,
    sizes: &'static [usize],
    make: fn(&Path, usize) -> PathBuf,
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    if let Err(e) = std::fs::write(&p, text) {
        eprintln!("cannot write {}: {e}", p.display());
    }
    p
}

fn template(resources: Value) -> String {
    json!({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}).to_string()
}

/// A key tagged with a domain, with the given key policy statements.
fn key(statements: Vec<Value>) -> Value {
    json!({
        "Type": "AWS::KMS::Key",
        "Properties": {
            "Tags": [{"Key": "DataDomain", "Value": "d"}],
            "KeyPolicy": {"Version": "2012-10-17", "Statement": statements}
        }
    })
}

fn root_statement() -> Value {
    json!({"Sid": "Root", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*", "Resource": "*"})
}

fn shapes() -> Vec<Shape> {
    vec![
        Shape {
            name: "yaml-flow-nesting",
            sizes: &[10_000, 30_000, 100_000, 300_000],
            make: |d, n| {
                write(
                    d,
                    "t.yaml",
                    &format!("Resources:\n  A: {}\n", "[".repeat(n)),
                )
            },
        },
        Shape {
            name: "yaml-flow-mapping-nesting",
            sizes: &[10_000, 30_000, 100_000, 300_000],
            make: |d, n| {
                write(
                    d,
                    "t.yaml",
                    &format!("Resources:\n  A: {}\n", "{a: ".repeat(n)),
                )
            },
        },
        Shape {
            name: "yaml-block-nesting",
            sizes: &[300, 1_000, 3_000],
            make: |d, n| {
                let mut s = String::from("Resources:\n");
                for i in 0..n {
                    let _ = writeln!(s, "{}a{i}:", " ".repeat(i + 2));
                }
                write(d, "t.yaml", &s)
            },
        },
        Shape {
            name: "json-template-nesting",
            sizes: &[10_000, 30_000, 100_000, 300_000],
            make: |d, n| {
                write(
                    d,
                    "t.json",
                    &format!(
                        "{{\"Resources\": {{\"A\": {}{}}}}}",
                        "[".repeat(n),
                        "]".repeat(n)
                    ),
                )
            },
        },
        Shape {
            name: "plan-nesting",
            sizes: &[10_000, 30_000, 100_000, 300_000],
            make: |d, n| {
                write(
                    d,
                    "plan.json",
                    &format!(
                        "{{\"format_version\": \"1.2\", \"planned_values\": {{\"root_module\": {{\"resources\": [{{\"values\": {}{}}}]}}}}}}",
                        "[".repeat(n),
                        "]".repeat(n)
                    ),
                )
            },
        },
        Shape {
            name: "hcl-nesting",
            sizes: &[10_000, 30_000, 100_000, 300_000],
            make: |d, n| {
                write(
                    d,
                    "src/main.tf",
                    &format!(
                        "resource \"aws_kms_key\" \"k\" {{\n  policy = {}1{}\n}}\n",
                        "[".repeat(n),
                        "]".repeat(n)
                    ),
                );
                d.join("src")
            },
        },
        Shape {
            name: "tf-json-nesting",
            sizes: &[10_000, 30_000, 100_000, 300_000],
            make: |d, n| {
                write(
                    d,
                    "src/main.tf.json",
                    &format!(
                        "{{\"resource\": {{\"aws_kms_key\": {{\"k\": {{\"policy\": {}{}}}}}}}}}",
                        "[".repeat(n),
                        "]".repeat(n)
                    ),
                );
                d.join("src")
            },
        },
        Shape {
            name: "yaml-alias-bomb",
            sizes: &[4, 6, 8, 10],
            make: |d, n| {
                let mut s = String::from("Parameters:\n  a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
                for i in 1..n {
                    let p = i - 1;
                    let _ = writeln!(
                        s,
                        "  a{i}: &a{i} [{}]",
                        vec![format!("*a{p}"); 10].join(", ")
                    );
                }
                s.push_str("Resources: {}\n");
                write(d, "t.yaml", &s)
            },
        },
        Shape {
            name: "long-string",
            sizes: &[1_000_000, 4_000_000, 16_000_000],
            make: |d, n| {
                let long = "a".repeat(n);
                let mut st = root_statement();
                st["Sid"] = json!(long.clone());
                write(
                    d,
                    "t.json",
                    &template(json!({
                        "Key": key(vec![st]),
                        "Alias": {"Type": "AWS::KMS::Alias", "Properties": {
                            "AliasName": format!("alias/{long}"), "TargetKeyId": {"Ref": "Key"}}}
                    })),
                )
            },
        },
        Shape {
            name: "many-statements",
            sizes: &[125, 250, 500, 1_000],
            make: |d, n| {
                let mut sts = vec![root_statement()];
                for i in 0..n {
                    sts.push(json!({"Sid": format!("S{i}"), "Effect": if i % 7 == 0 { "Deny" } else { "Allow" },
                        "Principal": {"AWS": format!("arn:aws:iam::111122223333:role/r{i}")},
                        "Action": ["kms:Decrypt", format!("kms:Gen*{i}")], "Resource": "*"}));
                }
                write(d, "t.json", &template(json!({"Key": key(sts)})))
            },
        },
        Shape {
            name: "wildcard-pattern-stars",
            sizes: &[1_000, 3_000, 10_000],
            make: |d, n| {
                // `*a*a*a…*b` patterns of n stars against roles whose ARNs hold n `a`s.
                let pattern = format!("{}*b", "*a".repeat(n));
                let long_name = "a".repeat(n.min(60));
                let long_path = format!("/{}/", "a".repeat(n));
                let mut res = json!({
                    "Key": key(vec![root_statement(), json!({
                        "Sid": "Wild", "Effect": "Allow", "Principal": {"AWS": "*"},
                        "Action": format!("kms:{pattern}"),
                        "Resource": format!("arn:aws:kms:*:*:key/{pattern}"),
                        "Condition": {"ArnLike": {"aws:PrincipalArn": format!("arn:aws:iam::*:role/{pattern}")}}
                    })]),
                });
                for i in 0..10 {
                    res[format!("Role{i}")] = json!({"Type": "AWS::IAM::Role", "Properties": {
                        "RoleName": format!("{long_name}{i}"), "Path": long_path,
                        "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                        "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [{
                            "Effect": "Allow", "Action": format!("kms:{pattern}"),
                            "Resource": format!("arn:aws:kms:*:*:key/{pattern}")}]}}]
                    }});
                }
                write(d, "t.json", &template(res))
            },
        },
        Shape {
            name: "condition-list",
            sizes: &[1_000, 10_000, 100_000],
            make: |d, n| {
                let values: Vec<String> = (0..n)
                    .map(|i| format!("arn:aws:iam::111122223333:role/r{i}*"))
                    .collect();
                let mut cond = serde_json::Map::new();
                cond.insert("ArnLike".into(), json!({"aws:PrincipalArn": values}));
                let mut keys = serde_json::Map::new();
                for i in 0..(n / 10) {
                    keys.insert(format!("aws:PrincipalTag/t{i}"), json!(["x", "y"]));
                }
                cond.insert("StringEquals".into(), Value::Object(keys));
                write(
                    d,
                    "t.json",
                    &template(json!({"Key": key(vec![root_statement(), json!({
                        "Sid": "Cond", "Effect": "Allow", "Principal": {"AWS": "*"},
                        "Action": "kms:Decrypt", "Resource": "*", "Condition": cond})])})),
                )
            },
        },
        Shape {
            name: "role-chain-ring",
            sizes: &[300, 1_000, 3_000],
            make: |d, n| {
                // n roles, each trusting the next; the first may decrypt; a ring.
                let mut res = serde_json::Map::new();
                res.insert(
                    "Key".into(),
                    key(vec![
                        root_statement(),
                        json!({"Sid": "First", "Effect": "Allow",
                        "Principal": {"AWS": {"Fn::GetAtt": ["Role0", "Arn"]}},
                        "Action": "kms:Decrypt", "Resource": "*"}),
                    ]),
                );
                for i in 0..n {
                    let next = (i + 1) % n;
                    res.insert(format!("Role{i}"), json!({"Type": "AWS::IAM::Role", "Properties": {
                        "RoleName": format!("ring-{i}"),
                        "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow",
                            "Principal": {"AWS": format!("arn:aws:iam::111122223333:role/ring-{next}")},
                            "Action": "sts:AssumeRole"}]},
                        "Policies": [{"PolicyName": "assume", "PolicyDocument": {"Statement": [{
                            "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}}]
                    }}));
                }
                write(d, "t.json", &template(Value::Object(res)))
            },
        },
    ]
}

fn input_bytes(p: &Path) -> u64 {
    if p.is_dir() {
        std::fs::read_dir(p)
            .map(|rd| {
                rd.flatten()
                    .filter_map(|e| e.metadata().ok())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    } else {
        std::fs::metadata(p).map_or(0, |m| m.len())
    }
}

fn analyse(path: &Path) -> (Duration, u8) {
    let cli = keyreach::cli::Cli::parse_from([
        "keyreach".as_ref(),
        "analyze".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        "--fail-on".as_ref(),
        "never".as_ref(),
        path.as_os_str(),
    ]);
    let mut sink = std::io::sink();
    let start = Instant::now();
    let code = match keyreach::run(cli, &mut sink) {
        Ok(s) => s.code(),
        Err(_) => 2,
    };
    (start.elapsed(), code)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let base = std::env::temp_dir().join(format!("keyreach-bench-hostile-{}", std::process::id()));
    println!(
        "{:<26} {:>10} {:>12} {:>11} {:>14} {:>5}",
        "shape", "n", "bytes", "best ms", "ms per 1000 n", "exit"
    );
    for shape in shapes() {
        if args.only.as_deref().is_some_and(|o| o != shape.name) {
            continue;
        }
        for &n in shape.sizes {
            let dir = base.join(format!("{}-{n}", shape.name));
            let _ = std::fs::remove_dir_all(&dir);
            let _ = std::fs::create_dir_all(&dir);
            let path = (shape.make)(&dir, n);
            let bytes = input_bytes(&path);
            let mut best = Duration::MAX;
            let mut code = 0;
            for _ in 0..args.runs.max(1) {
                let (t, c) = analyse(&path);
                best = best.min(t);
                code = c;
            }
            let ms = best.as_secs_f64() * 1e3;
            println!(
                "{:<26} {:>10} {:>12} {:>11.1} {:>14.3} {:>5}",
                shape.name,
                n,
                bytes,
                ms,
                ms * 1000.0 / n as f64,
                code
            );
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    let _ = std::fs::remove_dir_all(&base);
}
