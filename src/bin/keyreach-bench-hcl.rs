//! Benchmark of the Terraform source reader: generates a synthetic source tree of about the
//! requested size (default 1 MB) and reports how long reading it into the resource model takes.
//!
//! ```sh
//! cargo run --release --bin keyreach-bench-hcl -- [--size-mb 1] [--runs 5] [--keep DIR] [--dir DIR]
//! ```
//!
//! The tree looks like a data platform: a `for_each` module per domain (key, alias, policy
//! document with `dynamic` statements, bucket, encryption configuration, queue, reader role
//! with an inline `jsonencode` policy), plus one file per extra domain with the same resources
//! written out flat, cross-referencing each other and the module outputs.

use keyreach::parse::{tf_hcl, LoadOptions};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn main() {
    let mut size_mb = 1.0_f64;
    let mut runs = 5usize;
    let mut keep: Option<PathBuf> = None;
    let mut dir: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--size-mb" => size_mb = args.next().and_then(|v| v.parse().ok()).unwrap_or(size_mb),
            "--runs" => runs = args.next().and_then(|v| v.parse().ok()).unwrap_or(runs),
            "--keep" => keep = args.next().map(PathBuf::from),
            "--dir" => dir = args.next().map(PathBuf::from),
            other => {
                eprintln!("unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    let (root, generated) = match dir {
        Some(d) => (d, false),
        None => {
            let d = keep.clone().unwrap_or_else(|| {
                std::env::temp_dir().join(format!("keyreach-bench-hcl-{}", std::process::id()))
            });
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let bytes = (size_mb * 1024.0 * 1024.0) as usize;
            if let Err(e) = generate(&d, bytes) {
                eprintln!("cannot write the synthetic tree: {e}");
                std::process::exit(2);
            }
            (d, true)
        }
    };
    let bytes = tree_bytes(&root);
    let opts = LoadOptions {
        account_id: Some("111122223333".into()),
        ..LoadOptions::default()
    };
    let mut times: Vec<Duration> = Vec::new();
    let mut resources = 0;
    let mut notes = 0;
    for _ in 0..runs.max(1) {
        let start = Instant::now();
        match tf_hcl::parse_dir(&root, "bench", &opts) {
            Ok(p) => {
                resources = p.resources.len();
                notes = p.notes.len();
            }
            Err(e) => {
                eprintln!("input errors: {e:?}");
                std::process::exit(2);
            }
        }
        times.push(start.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    println!(
        "source tree {}: {} bytes, {resources} resource instances, {notes} notes",
        root.display(),
        bytes
    );
    println!(
        "read in: min {:.1} ms, median {:.1} ms, max {:.1} ms over {} runs",
        ms(times[0]),
        ms(median),
        ms(times[times.len() - 1]),
        times.len()
    );
    if let Some(kib) = keyreach::bench::peak_rss_kib() {
        println!("peak resident memory: {:.1} MiB", kib as f64 / 1024.0);
    }
    if generated && keep.is_none() {
        let _ = std::fs::remove_dir_all(&root);
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn tree_bytes(dir: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return 0;
    };
    rd.filter_map(Result::ok)
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                tree_bytes(&p)
            } else {
                e.metadata().map(|m| m.len()).unwrap_or(0)
            }
        })
        .sum()
}

/// Writes a synthetic tree of about `bytes` bytes of `.tf` files.
fn generate(dir: &Path, bytes: usize) -> std::io::Result<()> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir.join("modules/domain"))?;
    std::fs::write(dir.join("modules/domain/main.tf"), MODULE)?;
    let mut written = MODULE.len();
    let module_domains = 100;
    let mut vars = String::from(
        "provider \"aws\" {\n  region = \"eu-west-1\"\n  default_tags {\n    tags = { ManagedBy = \"terraform\" }\n  }\n}\n\ndata \"aws_caller_identity\" \"current\" {}\n\nvariable \"domains\" {\n  type = map(object({\n    readers = list(string)\n    rotation = optional(bool, true)\n  }))\n  default = {\n",
    );
    for i in 0..module_domains {
        let _ = writeln!(
            vars,
            "    d{i} = {{ readers = [\"app{i}\", \"batch{i}\", \"audit{i}\"] }}"
        );
    }
    vars.push_str(
        "  }\n}\n\nmodule \"domain\" {\n  source   = \"./modules/domain\"\n  for_each = var.domains\n  name     = each.key\n  readers  = each.value.readers\n  rotation = each.value.rotation\n  account  = data.aws_caller_identity.current.account_id\n}\n",
    );
    written += vars.len();
    std::fs::write(dir.join("main.tf"), vars)?;
    let mut i = 0;
    while written < bytes {
        let text = flat_domain(i, module_domains);
        written += text.len();
        std::fs::write(dir.join(format!("domain_{i:04}.tf")), text)?;
        i += 1;
    }
    Ok(())
}

fn flat_domain(i: usize, module_domains: usize) -> String {
    let m = i % module_domains;
    format!(
        r#"locals {{
  f{i}_name    = "flat-{i}"
  f{i}_readers = ["svc-{i}-a", "svc-{i}-b"]
}}

resource "aws_iam_role" "f{i}_reader" {{
  for_each = toset(local.f{i}_readers)
  name     = "${{local.f{i}_name}}-${{each.key}}"
  assume_role_policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [{{
      Effect    = "Allow"
      Principal = {{ Service = "lambda.amazonaws.com" }}
      Action    = "sts:AssumeRole"
    }}]
  }})
  tags = {{ DataDomain = local.f{i}_name }}
}}

data "aws_iam_policy_document" "f{i}_key" {{
  statement {{
    sid       = "Root"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {{
      type        = "AWS"
      identifiers = ["arn:aws:iam::${{data.aws_caller_identity.current.account_id}}:root"]
    }}
  }}
  dynamic "statement" {{
    for_each = aws_iam_role.f{i}_reader
    content {{
      sid       = "Read${{replace(statement.key, "-", "")}}"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
      resources = ["*"]
      principals {{
        type        = "AWS"
        identifiers = [statement.value.arn]
      }}
      condition {{
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.eu-west-1.amazonaws.com"]
      }}
    }}
  }}
}}

resource "aws_kms_key" "f{i}" {{
  description         = "flat domain {i}"
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.f{i}_key.json
  tags                = {{ DataDomain = local.f{i}_name }}
}}

resource "aws_kms_alias" "f{i}" {{
  name          = "alias/${{local.f{i}_name}}"
  target_key_id = aws_kms_key.f{i}.key_id
}}

resource "aws_s3_bucket" "f{i}" {{
  bucket = "${{local.f{i}_name}}-data"
}}

resource "aws_s3_bucket_server_side_encryption_configuration" "f{i}" {{
  bucket = aws_s3_bucket.f{i}.id
  rule {{
    apply_server_side_encryption_by_default {{
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.f{i}.arn
    }}
  }}
}}

resource "aws_iam_role_policy" "f{i}_shared" {{
  for_each = aws_iam_role.f{i}_reader
  name     = "shared-read"
  role     = each.value.name
  policy = jsonencode({{
    Version = "2012-10-17"
    Statement = [
      {{
        Effect   = "Allow"
        Action   = ["kms:Decrypt"]
        Resource = [aws_kms_key.f{i}.arn, module.domain["d{m}"].key_arn]
      }},
      {{
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${{aws_s3_bucket.f{i}.arn}}/*"]
      }},
    ]
  }})
}}

resource "aws_sqs_queue" "f{i}" {{
  count             = 2
  name              = format("%s-q%d", local.f{i}_name, count.index)
  kms_master_key_id = count.index == 0 ? aws_kms_key.f{i}.arn : "alias/aws/sqs"
}}
"#
    )
}

const MODULE: &str = r#"variable "name" {
  type = string
}

variable "readers" {
  type = list(string)
}

variable "rotation" {
  type = bool
}

variable "account" {
  type = string
}

locals {
  principals = [for r in var.readers : "arn:aws:iam::${var.account}:role/${var.name}-${r}"]
}

data "aws_iam_policy_document" "key" {
  statement {
    sid       = "Root"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${var.account}:root"]
    }
  }
  dynamic "statement" {
    for_each = local.principals
    content {
      sid       = "Reader${statement.key}"
      actions   = ["kms:Decrypt"]
      resources = ["*"]
      principals {
        type        = "AWS"
        identifiers = [statement.value]
      }
    }
  }
}

resource "aws_kms_key" "this" {
  description         = "Key of ${var.name}"
  enable_key_rotation = var.rotation
  policy              = data.aws_iam_policy_document.key.json
  tags                = { DataDomain = var.name }
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

resource "aws_s3_bucket" "this" {
  bucket = "${var.name}-data"
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
  }
}

resource "aws_iam_role" "reader" {
  for_each = toset(var.readers)
  name     = "${var.name}-${each.key}"
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { Service = "ecs-tasks.amazonaws.com" }, Action = "sts:AssumeRole" }]
  })
}

output "key_arn" {
  value = aws_kms_key.this.arn
}
"#;

/// The allocator of the `keyreach` binary, so the figure is what users get.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
