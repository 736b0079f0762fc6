//! Reading inputs: kind detection, dispatch to the format parsers, merge into one estate.
//!
//! Each input is read once. A failing input becomes an [`InputError`] and the others are still
//! read; the caller exits 2 after reporting on what could be analysed.

pub mod cfn;
pub mod depth;
pub mod policy_json;
pub mod tf_hcl;
pub mod tf_plan;

use crate::cli::InputKind;
use crate::error::InputError;
use crate::model::{Estate, Parsed};
use std::path::{Path, PathBuf};

/// Largest input file keyreach reads (bytes). Larger files are refused with a clear error
/// instead of exhausting memory.
pub const MAX_INPUT_BYTES: u64 = 512 * 1024 * 1024;

/// Options that shape how inputs are read.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Forced input kind.
    pub input_kind: Option<InputKind>,
    /// `--account-id`.
    pub account_id: Option<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `--org-id`.
    pub org_id: Option<String>,
    /// Domain tag keys, in priority order.
    pub domain_tags: Vec<String>,
    /// CloudFormation `--parameter KEY=VALUE`, in order given.
    pub parameters: Vec<(String, String)>,
    /// CloudFormation parameter files.
    pub parameter_files: Vec<PathBuf>,
    /// Terraform `--var name=value`, in order given.
    pub vars: Vec<(String, String)>,
    /// Terraform `--var-file`.
    pub var_files: Vec<PathBuf>,
    /// The process exits right after this analysis (the command line): parser memory that
    /// would otherwise be freed on a background thread (CloudFormation template trees) is left
    /// to the exit.
    pub exits_after: bool,
}

/// A text input read from disk.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// The path as given (used in every message and location).
    pub display: String,
    /// The path.
    pub path: PathBuf,
    /// The content.
    pub text: String,
}

/// Reads a text file, refusing huge or non-UTF-8 files with a clear error.
///
/// # Errors
/// When the file cannot be read, is too large, or is not UTF-8.
pub fn read_text(path: &Path, display: &str) -> Result<String, InputError> {
    let meta = std::fs::metadata(path)
        .map_err(|e| InputError::new(display, format!("cannot read: {e}")))?;
    if meta.len() > MAX_INPUT_BYTES {
        return Err(InputError::new(
            display,
            format!(
                "file is {} bytes; keyreach reads inputs up to {MAX_INPUT_BYTES} bytes",
                meta.len()
            ),
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| InputError::new(display, format!("cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        InputError::new(
            display,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Decides the kind of a file input from its content.
///
/// # Errors
/// When the content is none of the supported kinds.
pub fn detect_kind(display: &str, text: &str) -> Result<InputKind, InputError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    // `terraform show -json` writes `format_version` first and `terraform_version` or
    // `planned_values` right after: recognise a plan from its first bytes, so a 200 MB plan is
    // not scanned twice. Anything else gets the full look at the top-level keys below.
    let mut end = trimmed.len().min(256);
    while !trimmed.is_char_boundary(end) {
        end -= 1;
    }
    {
        let compact: String = trimmed[..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if compact.starts_with("{\"format_version\":")
            && (compact.contains("\"terraform_version\":")
                || compact.contains("\"planned_values\":"))
        {
            return Ok(InputKind::Tfplan);
        }
    }
    if trimmed.starts_with('{') {
        // Peek at top-level keys without building the tree: the values are checked for
        // syntax but not kept (the parser builds them once, later).
        match serde_json::from_str::<std::collections::BTreeMap<String, serde::de::IgnoredAny>>(
            trimmed,
        ) {
            Ok(map) => {
                if map.contains_key("format_version")
                    && (map.contains_key("planned_values")
                        || map.contains_key("resource_changes")
                        || map.contains_key("terraform_version")
                        || map.contains_key("prior_state")
                        || map.contains_key("configuration"))
                {
                    return Ok(InputKind::Tfplan);
                }
                if map.contains_key("Resources")
                    || map.contains_key("AWSTemplateFormatVersion")
                    || map.contains_key("Transform")
                {
                    return Ok(InputKind::Cfn);
                }
                if map.contains_key("resource") || map.contains_key("module") {
                    return Ok(InputKind::Hcl);
                }
                return Err(not_an_input(display, "a JSON document"));
            }
            Err(e) => return Err(InputError::from_json(display, &e)),
        }
    }
    // Top-level YAML keys sit at the indentation of the first content line (some templates
    // indent the whole document).
    let top_indent = text
        .lines()
        .find(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#') && !t.starts_with("---") && !t.starts_with('%')
        })
        .map_or(0, |l| l.len() - l.trim_start_matches(' ').len());
    let looks_cfn = text.lines().any(|l| {
        let l = l.trim_end();
        let l = match l.get(..top_indent) {
            Some(pad) if pad.bytes().all(|b| b == b' ') => &l[top_indent..],
            _ => l,
        };
        l.starts_with("Resources:")
            || l.starts_with("AWSTemplateFormatVersion:")
            || l.starts_with("Transform:")
            || l.starts_with("\"Resources\":")
    });
    if looks_cfn {
        return Ok(InputKind::Cfn);
    }
    let looks_hcl = text.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with("resource \"")
            || l.starts_with("module \"")
            || l.starts_with("data \"")
            || l.starts_with("variable \"")
            || l.starts_with("terraform {")
            || l.starts_with("provider \"")
    });
    if looks_hcl {
        return Ok(InputKind::Hcl);
    }
    Err(not_an_input(display, "this file"))
}

fn not_an_input(display: &str, what: &str) -> InputError {
    InputError::new(
        display,
        format!(
            "{what} is not a Terraform plan (expected `format_version` with `planned_values` or \
             `resource_changes`, from `terraform show -json`), not a CloudFormation template \
             (expected a top-level `Resources` mapping), and not Terraform source (a directory \
             of `.tf` files); use --input-kind to force one"
        ),
    )
}

/// Reads every input into one estate. Inputs that fail are returned as errors; the estate
/// holds everything that could be read.
#[must_use]
pub fn load(inputs: &[PathBuf], opts: &LoadOptions) -> (Estate, Vec<InputError>) {
    let mut estate = Estate::default();
    estate.context.account_id.clone_from(&opts.account_id);
    estate.context.region.clone_from(&opts.region);
    estate.context.org_id.clone_from(&opts.org_id);
    estate.context.domain_tags.clone_from(&opts.domain_tags);
    // Templates and source name the deploying account through `AWS::AccountId` or
    // `data.aws_caller_identity`; without `--account-id` they get the same placeholder the
    // engine uses, so `arn:aws:iam::<account>:root` still names the deploying account rather
    // than an unknown principal.
    let mut source_opts = opts.clone();
    if source_opts.account_id.is_none() {
        source_opts.account_id = Some(crate::analysis::principals::DEPLOYING_ACCOUNT.to_owned());
    }
    let mut errors = Vec::new();
    let mut plans: Vec<Parsed> = Vec::new();
    let mut templates: Vec<SourceFile> = Vec::new();
    let mut sources: Vec<Parsed> = Vec::new();

    for path in inputs {
        let display = path.display().to_string();
        if path.is_dir() {
            if matches!(opts.input_kind, Some(InputKind::Tfplan | InputKind::Cfn)) {
                errors.push(InputError::new(
                    &display,
                    "is a directory; only Terraform source (--input-kind hcl) can be a directory",
                ));
                continue;
            }
            match tf_hcl::parse_dir(path, &display, &source_opts) {
                Ok(p) => sources.push(p),
                Err(e) => errors.extend(e),
            }
            continue;
        }
        let text = match read_text(path, &display) {
            Ok(t) => t,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let kind = match opts.input_kind {
            Some(k) => k,
            None => match detect_kind(&display, &text) {
                Ok(k) => k,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            },
        };
        match kind {
            InputKind::Tfplan => match tf_plan::parse(&display, &text, opts) {
                Ok(p) => plans.push(p),
                Err(e) => errors.push(e),
            },
            InputKind::Cfn => templates.push(SourceFile {
                display,
                path: path.clone(),
                text,
            }),
            InputKind::Hcl => match tf_hcl::parse_file(path, &display, &text, &source_opts) {
                Ok(p) => sources.push(p),
                Err(e) => errors.extend(e),
            },
        }
    }

    if !templates.is_empty() {
        let (parsed, errs) = cfn::parse_all(&templates, &source_opts);
        estate.extend(parsed);
        errors.extend(errs);
    }
    if plans.is_empty() {
        for s in sources {
            estate.extend(s);
        }
    } else {
        // Plan plus source: the source fills what the plans leave unknown.
        for mut plan in plans {
            for s in &sources {
                tf_hcl::fill_plan_from_source(&mut plan, s);
            }
            estate.extend(plan);
        }
    }
    if estate.context.account_id.is_none() {
        estate.context.account_id.clone_from(&opts.account_id);
    }
    estate.finish();
    errors.sort();
    (estate, errors)
}
