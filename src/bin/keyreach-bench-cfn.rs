//! Benchmark: generates a synthetic CloudFormation template of a given size (keys with
//! policies, aliases, roles with inline policies, buckets, queues, IAM policies and noise
//! resources, full of `!Sub`, `!GetAtt`, `!Ref` and `!If`) and times reading it into the model
//! and analysing it in this process, then the `keyreach analyze` command on it end to end (the
//! `keyreach` binary built next to this one, one process per run).
//!
//! ```text
//! cargo run --release --bin keyreach-bench-cfn -- [--size-mb 5] [--format yaml|json] [--runs 5] [--keep FILE]
//! ```

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

struct Args {
    size_mb: f64,
    json: bool,
    runs: usize,
    keep: Option<PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        size_mb: 5.0,
        json: false,
        runs: 5,
        keep: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--size-mb" => a.size_mb = value()?.parse().map_err(|e| format!("--size-mb: {e}"))?,
            "--format" => a.json = value()? == "json",
            "--runs" => a.runs = value()?.parse().map_err(|e| format!("--runs: {e}"))?,
            "--keep" => a.keep = Some(PathBuf::from(value()?)),
            "-h" | "--help" => {
                return Err(
                    "usage: keyreach-bench-cfn [--size-mb N] [--format yaml|json] [--runs N] [--keep FILE]"
                        .to_owned(),
                )
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

/// One unit of resources in YAML; about 2.4 KB.
fn yaml_unit(out: &mut String, i: usize) {
    let _ = write!(
        out,
        "  Key{i}:
    Type: AWS::KMS::Key
    Properties:
      Description: !Sub 'key ${{Env}} {i}'
      EnableKeyRotation: true
      KeyPolicy:
        Version: '2012-10-17'
        Statement:
          - Sid: Root
            Effect: Allow
            Principal: {{AWS: !Sub 'arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:root'}}
            Action: kms:*
            Resource: '*'
          - Sid: App
            Effect: Allow
            Principal: {{AWS: !GetAtt Role{i}.Arn}}
            Action: [kms:Decrypt, kms:Encrypt, kms:GenerateDataKey*]
            Resource: '*'
          - !If
            - IsProd
            - Sid: Logs
              Effect: Allow
              Principal: {{Service: !Sub 'logs.${{AWS::Region}}.amazonaws.com'}}
              Action: [kms:Encrypt*, kms:Decrypt*]
              Resource: '*'
              Condition:
                ArnLike:
                  kms:EncryptionContext:aws:logs:arn: !Sub 'arn:aws:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:*'
            - !Ref AWS::NoValue
      Tags:
        - {{Key: DataDomain, Value: domain{d}}}
  Alias{i}:
    Type: AWS::KMS::Alias
    Properties:
      AliasName: !Sub 'alias/domain-{i}-${{Env}}'
      TargetKeyId: !Ref Key{i}
  Role{i}:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub 'app-{i}-${{Env}}'
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: {{Service: ecs-tasks.amazonaws.com}}
            Action: sts:AssumeRole
      Policies:
        - PolicyName: data
          PolicyDocument:
            Statement:
              - Effect: Allow
                Action: [s3:GetObject, s3:PutObject]
                Resource: !Sub '${{Bucket{i}.Arn}}/*'
              - Effect: Allow
                Action: [sqs:SendMessage, sqs:ReceiveMessage]
                Resource: !GetAtt Queue{i}.Arn
  Bucket{i}:
    Type: AWS::S3::Bucket
    Properties:
      BucketName: !Join ['-', [data, !Ref Env, '{i}']]
      BucketEncryption:
        ServerSideEncryptionConfiguration:
          - ServerSideEncryptionByDefault:
              SSEAlgorithm: aws:kms
              KMSMasterKeyID: !GetAtt Key{i}.Arn
            BucketKeyEnabled: true
      Tags:
        - {{Key: DataDomain, Value: domain{d}}}
  Queue{i}:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub 'queue-{i}-${{Env}}'
      KmsMasterKeyId: !If [IsProd, !Ref Key{i}, alias/aws/sqs]
  Policy{i}:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: !Sub 'extra-{i}'
      Roles: [!Ref Role{i}]
      PolicyDocument:
        Statement:
          - Effect: Allow
            Action: kms:Decrypt
            Resource: !GetAtt Key{i}.Arn
  Sg{i}:
    Type: AWS::EC2::SecurityGroup
    Properties:
      GroupDescription: !Sub 'group {i} in ${{AWS::Region}}'
      SecurityGroupIngress:
        - {{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8}}
",
        d = i % 50
    );
}

fn yaml_template(bytes: usize) -> String {
    let mut out = String::with_capacity(bytes + 4096);
    out.push_str(
        "AWSTemplateFormatVersion: '2010-09-09'
Description: keyreach synthetic benchmark template
Parameters:
  Env:
    Type: String
    Default: prod
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
",
    );
    let mut i = 0;
    while out.len() < bytes {
        yaml_unit(&mut out, i);
        i += 1;
    }
    out
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let bytes = (args.size_mb * 1024.0 * 1024.0) as usize;
    let (text, ext) = if args.json {
        // CDK writes JSON with one-space indentation; aim the JSON itself at the size.
        let probe =
            keyreach::parse::cfn::yaml_to_json(&yaml_template(256 * 1024)).unwrap_or_default();
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let ratio = probe.len() as f64 / (256.0 * 1024.0);
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let yaml_bytes = (bytes as f64 / ratio.max(0.1)) as usize;
        let json =
            keyreach::parse::cfn::yaml_to_json(&yaml_template(yaml_bytes)).unwrap_or_default();
        (json, "json")
    } else {
        (yaml_template(bytes), "yaml")
    };
    let path = args.keep.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("keyreach-bench-{}.{ext}", std::process::id()))
    });
    if let Err(e) = std::fs::write(&path, &text) {
        eprintln!("cannot write {}: {e}", path.display());
        std::process::exit(2);
    }
    let opts = keyreach::parse::LoadOptions {
        account_id: Some("111122223333".into()),
        region: Some("eu-west-1".into()),
        domain_tags: vec!["DataDomain".into()],
        // As on the command line: the template trees are not freed (each run leaves its own).
        exits_after: true,
        ..keyreach::parse::LoadOptions::default()
    };
    let mut load_times = Vec::new();
    let mut total_times = Vec::new();
    let mut cpu_load = Vec::new();
    let mut cpu_total = Vec::new();
    let mut resources = 0;
    let mut errors = 0;
    let mut domains = 0;
    for _ in 0..args.runs.max(1) {
        let (c0, t0) = (keyreach::bench::thread_cpu(), Instant::now());
        let (estate, errs) = keyreach::parse::load(std::slice::from_ref(&path), &opts);
        let (c1, t1) = (keyreach::bench::thread_cpu(), Instant::now());
        let report = keyreach::analysis::analyze(&estate);
        let (c2, t2) = (keyreach::bench::thread_cpu(), Instant::now());
        if let (Some(c0), Some(c1), Some(c2)) = (c0, c1, c2) {
            cpu_load.push(c1 - c0);
            cpu_total.push(c2 - c0);
        }
        resources = estate.resources.len();
        errors = errs.len();
        domains = report.domains.len();
        load_times.push(t1 - t0);
        total_times.push(t2 - t0);
    }
    // The command a user runs, as separate processes: parse, analyse, rules and the JSON
    // report, start to exit.
    let mut cli_times = Vec::new();
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join("keyreach")))
        .filter(|p| p.is_file());
    if let Some(exe) = &exe {
        for _ in 0..args.runs.max(1) {
            let t0 = Instant::now();
            let status = std::process::Command::new(exe)
                .args([
                    "analyze",
                    "--format",
                    "json",
                    "--fail-on",
                    "never",
                    "--account-id",
                    "111122223333",
                    "--region",
                    "eu-west-1",
                    "--domain-tag",
                    "DataDomain",
                ])
                .arg(&path)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .status();
            if status.is_ok_and(|s| s.code() == Some(0)) {
                cli_times.push(t0.elapsed());
            }
        }
    }
    if args.keep.is_none() {
        let _ = std::fs::remove_file(&path);
    }
    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
    #[allow(clippy::cast_precision_loss)]
    let mb = text.len() as f64 / (1024.0 * 1024.0);
    println!(
        "{ext} template: {mb:.2} MiB, {resources} resources, {domains} domains, {errors} input errors"
    );
    println!(
        "wall time: read into model median {:.3} s; read + analyse median {:.3} s ({} runs)",
        median(&mut load_times).as_secs_f64(),
        median(&mut total_times).as_secs_f64(),
        args.runs.max(1)
    );
    if !cpu_total.is_empty() {
        println!(
            "CPU time of the analysing thread: read into model median {:.3} s; read + analyse median {:.3} s",
            median(&mut cpu_load).as_secs_f64(),
            median(&mut cpu_total).as_secs_f64(),
        );
    }
    if cli_times.is_empty() {
        println!(
            "`keyreach analyze --format json` end to end: not measured (build the keyreach binary)"
        );
    } else {
        let n = cli_times.len();
        let best = cli_times.iter().min().copied().unwrap_or_default();
        println!(
            "`keyreach analyze --format json` end to end, one process per run: median {:.3} s, best {:.3} s ({n} runs)",
            median(&mut cli_times).as_secs_f64(),
            best.as_secs_f64(),
        );
    }
}
