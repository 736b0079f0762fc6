//! CloudFormation parsing never panics: every fixture under `testdata/cfn/` (valid and
//! malformed), cut short and mutated in many places, plus a table of odd documents, must give
//! a result or input errors — never a crash or a hang.

use keyreach::parse::cfn::parse_all;
use keyreach::parse::{LoadOptions, SourceFile};
use std::path::{Path, PathBuf};

fn fixtures(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<PathBuf> = rd.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            fixtures(&p, out);
        } else if p
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
        {
            out.push(p);
        }
    }
}

fn parse(name: &str, text: String) -> usize {
    let files = [SourceFile {
        display: name.to_owned(),
        path: PathBuf::from(name),
        text,
    }];
    let opts = LoadOptions {
        parameters: vec![("Env".into(), "prod".into())],
        ..LoadOptions::default()
    };
    let (parsed, errors) = parse_all(&files, &opts);
    parsed.resources.len() + errors.len()
}

/// A small deterministic generator (no dependency needed for this).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from(self.0 >> 33).unwrap_or(0)
    }
}

const SNIPPETS: &[&str] = &[
    ":",
    "- ",
    "!Ref ",
    "!GetAtt ",
    "!Sub '${",
    "{",
    "[",
    "}",
    "]",
    "&a ",
    "*a",
    "<<: ",
    "\"",
    "'",
    "|\n",
    "\n  ",
    "\t",
    "Fn::If",
    "{\"Ref\": 1}",
    "!If [",
    "~",
    "null",
    "${!x}",
    "#",
];

#[test]
fn mutated_fixtures_never_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/cfn");
    let mut files = Vec::new();
    fixtures(&root, &mut files);
    assert!(files.len() >= 20, "fixtures missing: {files:?}");
    let mut rng = Lcg(0x5eed);
    let mut runs = 0usize;
    for path in &files {
        let text = std::fs::read_to_string(path).expect("fixture readable");
        let name = path.display().to_string();
        let _ = parse(&name, text.clone());
        let bounds: Vec<usize> = text.char_indices().map(|(i, _)| i).collect();
        if bounds.is_empty() {
            continue;
        }
        for step in 0..60 {
            let at = bounds[rng.next() % bounds.len()];
            let mutated = match step % 3 {
                0 => text[..at].to_owned(),
                1 => {
                    let s = SNIPPETS[rng.next() % SNIPPETS.len()];
                    format!("{}{s}{}", &text[..at], &text[at..])
                }
                _ => {
                    let end = bounds
                        .iter()
                        .copied()
                        .find(|b| *b > at + rng.next() % 16)
                        .unwrap_or(text.len());
                    format!("{}{}", &text[..at], &text[end..])
                }
            };
            let _ = parse(&name, mutated);
            runs += 1;
        }
    }
    assert!(runs > 1000, "{runs}");
}

#[test]
fn odd_documents_never_panic() {
    let docs = [
        "",
        "Resources:",
        "Resources: ~",
        "{}",
        "[]",
        "42",
        "Resources: {A: {Type: 1}}",
        "Resources: {A: {Type: X, Properties: [1]}}",
        "Resources: {A: {Type: AWS::KMS::Key, Properties: {KeyPolicy: 5}}}",
        "Resources: {A: {Type: AWS::KMS::Key, Properties: {KeyPolicy: {Statement: [1, {Effect: Allow, Principal: [1]}]}}}}",
        "Resources: {A: {Type: AWS::IAM::Role, Properties: {Policies: {a: 1}, ManagedPolicyArns: 3}}}",
        "Resources: {A: {Type: AWS::S3::Bucket, Properties: {BucketEncryption: {ServerSideEncryptionConfiguration: 7}}}}",
        "Resources: {A: {Type: AWS::SQS::Queue, Properties: {QueueName: !Sub '${'}}}",
        "Resources: {A: {Type: AWS::SQS::Queue, Properties: {QueueName: !Sub '${A.B.C}'}}}",
        "Resources: {A: {Type: AWS::SQS::Queue, Properties: {QueueName: !Select ['-1', [a]]}}}",
        "Resources: {A: {Type: AWS::SQS::Queue, Properties: {QueueName: !GetAtt [A, !Ref X]}}}",
        "Resources: {A: {Type: AWS::SQS::Queue, Properties: {QueueName: !Ref A}}}",
        "Resources: {A: {Type: AWS::SQS::Queue, Condition: [x]}}",
        "Conditions: {C: !Equals [1]}\nResources: {A: {Type: AWS::SQS::Queue, Condition: C}}",
        "Conditions: {C: {Fn::And: [true]}}\nResources: {A: {Type: AWS::SQS::Queue, Condition: C}}",
        "Parameters: {P: {Type: 'List<String>', Default: [1, {a: b}]}}\nResources: {A: {Type: AWS::SQS::Queue, Properties: {QueueName: !Join [',', !Ref P]}}}",
        "Resources: {A: {Type: AWS::CloudFormation::Stack, Properties: {TemplateURL: !Sub '${X}'}}}",
        "Resources: {A: {Type: AWS::CloudFormation::Stack, Properties: {TemplateURL: /}}}",
        "Transform: AWS::Serverless-2016-10-31\nResources: {F: {Type: AWS::Serverless::Function, Properties: {Policies: !If [C]}}}",
        "Transform: AWS::Serverless-2016-10-31\nResources: {F: {Type: AWS::Serverless::Function, Properties: {Policies: [{S3ReadPolicy: 5}], Events: [1]}}}",
        "Transform: [AWS::Serverless-2016-10-31, {Name: X}]\nGlobals: 5\nResources: {F: {Type: AWS::Serverless::Function}, FRole: {Type: AWS::SNS::Topic}}",
        "Transform: AWS::Serverless-2016-10-31\nResources: {C: {Type: AWS::Serverless::Connector, Properties: {Source: {Id: Nope}}}}",
        "Resources: {A: {Type: AWS::SQS::Queue, Metadata: {keyreach: {ignore: {rule: 1}}}}}",
        "Resources: {Fn::ForEach::X: [a, [b], {}]}",
        "Resources: {A: {Type: AWS::KMS::Key, Properties: {KeyPolicy: !Sub '{\"Statement\": ${X}}'}}}",
        "\u{feff}Resources: {A: {Type: AWS::SQS::Queue}}",
        "--- \nResources: {A: {Type: AWS::SQS::Queue}}\n---\nResources: {}",
    ];
    for (i, d) in docs.iter().enumerate() {
        let _ = parse(&format!("odd-{i}.yaml"), (*d).to_owned());
    }
}

/// The benchmark binary generates a valid template and reads it without input errors.
#[test]
fn bench_binary_runs_on_a_small_template() {
    let out = assert_cmd::Command::cargo_bin("keyreach-bench-cfn")
        .expect("bench binary")
        .args(["--size-mb", "0.05", "--runs", "1"])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains(" 0 input errors"), "{stdout}");
    assert!(stdout.contains("yaml template"), "{stdout}");
}
