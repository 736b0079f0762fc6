//! keyreach: who can read, write and administer each KMS-partitioned data domain, decided
//! statically from Terraform plans, Terraform source and CloudFormation templates.
//!
//! Data flows down the module list: inputs are parsed into one [`model::Estate`], the
//! [`analysis`] stage links resources and evaluates policies into a [`analysis::result::Report`],
//! and [`report`] renders it.

pub mod analysis;
pub mod baseline;
#[doc(hidden)]
pub mod bench;
pub mod cli;
pub mod config;
pub mod error;
pub mod finding;
#[doc(hidden)]
pub mod fuzzing;
pub mod model;
mod par;
pub mod parse;
pub mod report;
pub mod rules;
pub mod suppress;
#[doc(hidden)]
pub mod synth;

use anyhow::Context as _;
use cli::{AnalyzeArgs, Cli, Command, FailOn, InputArgs};
use error::InputError;
use finding::Severity;
use parse::LoadOptions;
use std::io::Write;

/// How a run ended; `main` maps it to the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// Analysis done, nothing at or above `--fail-on`.
    Success,
    /// Analysis done, findings at or above `--fail-on`.
    Findings,
    /// An input could not be analysed.
    InputError,
}

impl ExitStatus {
    /// The process exit code of the contract.
    #[must_use]
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Findings => 1,
            ExitStatus::InputError => 2,
        }
    }
}

/// Default tag keys that name a data domain.
pub const DEFAULT_DOMAIN_TAGS: [&str; 3] = ["DataDomain", "data-domain", "data_domain"];

/// Builds load options from the command line.
///
/// # Errors
/// A `KEY=VALUE` option without `=`.
pub fn load_options(args: &InputArgs) -> anyhow::Result<LoadOptions> {
    let pairs = |items: &[String], what: &str| -> anyhow::Result<Vec<(String, String)>> {
        items
            .iter()
            .map(|s| {
                s.split_once('=')
                    .map(|(k, v)| (k.trim().to_owned(), v.to_owned()))
                    .with_context(|| format!("{what} `{s}` is not of the form NAME=VALUE"))
            })
            .collect()
    };
    let domain_tags = if args.domain_tags.is_empty() {
        DEFAULT_DOMAIN_TAGS
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    } else {
        args.domain_tags.clone()
    };
    Ok(LoadOptions {
        input_kind: args.input_kind,
        account_id: args.account_id.clone(),
        region: args.region.clone(),
        org_id: args.org_id.clone(),
        domain_tags,
        parameters: pairs(&args.parameters, "--parameter")?,
        parameter_files: args.parameter_files.clone(),
        vars: pairs(&args.vars, "--var")?,
        var_files: args.var_files.clone(),
        exits_after: true,
    })
}

fn report_input_errors(errors: &[InputError]) {
    for e in errors {
        eprintln!("error: {e}");
    }
}

/// Runs one command, writing the report to `out`.
///
/// # Errors
/// Usage, configuration and baseline errors and I/O errors on the output (exit code 2); input
/// errors are reported on stderr and give [`ExitStatus::InputError`] instead.
pub fn run(cli: Cli, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    match cli.command {
        Command::Analyze(args) => run_analyze(&args, out),
        Command::Inventory(args) => {
            let opts = load_options(&args.input)?;
            let (estate, errors) = parse::load(&args.input.inputs, &opts);
            report_input_errors(&errors);
            let inv = report::inventory::build(&estate);
            match args.format {
                cli::Format::Json => report::inventory::render_json(&inv, out)?,
                cli::Format::Table => report::inventory::render_table(&inv, out)?,
                cli::Format::Markdown | cli::Format::Sarif => {
                    anyhow::bail!(
                        "inventory is printed as a table or as JSON (--format table|json)"
                    )
                }
            }
            Ok(if errors.is_empty() {
                ExitStatus::Success
            } else {
                ExitStatus::InputError
            })
        }
        Command::Rules(args) => {
            report::rules::render_list(args.format, out)?;
            Ok(ExitStatus::Success)
        }
        Command::Rule(args) => {
            let rule = rules::lookup(&args.code).with_context(|| {
                format!(
                    "unknown rule `{}`; `keyreach rules` lists the codes",
                    args.code
                )
            })?;
            report::rules::render_one(rule, out)?;
            Ok(ExitStatus::Success)
        }
    }
}

/// The configuration: `--config FILE`, else `keyreach.yaml` in the current directory or its
/// parents, else empty.
///
/// # Errors
/// Unreadable or invalid configuration, with file and line.
pub fn load_config(explicit: Option<&std::path::Path>) -> anyhow::Result<config::Config> {
    let found = match explicit {
        Some(p) => Some((p.to_path_buf(), p.display().to_string())),
        None => std::env::current_dir()
            .ok()
            .and_then(|cwd| config::discover(&cwd)),
    };
    let Some((path, display)) = found else {
        return Ok(config::Config::default());
    };
    if explicit.is_none() {
        eprintln!("note: using configuration {display}");
    }
    config::load(&path, &display).map_err(|e| anyhow::anyhow!(e))
}

/// Findings in JSON inputs (plans, JSON templates) that carry a JSON pointer but no line get the
/// line the pointer starts on, so SARIF regions and Markdown locations can point at it. The
/// position index is built only for files that have such findings, after the analysis.
fn add_json_lines(findings: &mut [finding::Finding], inputs: &[std::path::PathBuf]) {
    let mut files: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for f in findings.iter() {
        if f.location.line.is_none() && f.location.pointer.is_some() {
            files.insert(f.location.file.clone());
        }
    }
    for file in files {
        // Only files given on the command line are read again (never a path from the input).
        let Some(path) = inputs.iter().find(|p| p.display().to_string() == file) else {
            continue;
        };
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if !text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with('{')
        {
            continue;
        }
        let index = parse::cfn::position::PosIndex::build(&text);
        for f in findings.iter_mut() {
            if f.location.file == file && f.location.line.is_none() {
                if let Some(p) = &f.location.pointer {
                    f.location.line = index.line(p);
                }
            }
        }
    }
}

fn run_analyze(args: &AnalyzeArgs, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    // Everything that can make the run unusable is checked before the inputs are analysed.
    let today = config::date::Date::today().map_err(anyhow::Error::msg)?;
    let config = load_config(args.config.as_deref())?;
    let baseline = match &args.baseline {
        Some(p) => {
            Some(baseline::read(p, &p.display().to_string()).map_err(|e| anyhow::anyhow!(e))?)
        }
        None => None,
    };
    let opts = load_options(&args.input)?;
    let (estate, errors) = parse::load(&args.input.inputs, &opts);
    report_input_errors(&errors);
    for n in &estate.notes {
        match n.location.line {
            Some(line) => eprintln!("note: {}:{line}: {}", n.location.file, n.message),
            None => eprintln!("note: {}: {}", n.location.file, n.message),
        }
    }
    let mut report = analysis::analyze(&estate);
    report.findings = rules::check(&estate, &report, &config, today);
    add_json_lines(&mut report.findings, &args.input.inputs);
    if let Some(p) = &args.write_baseline {
        baseline::write(p, &report.findings)?;
        eprintln!(
            "note: wrote {} finding(s) to baseline {}",
            report
                .findings
                .iter()
                .filter(|f| f.suppressed.is_none())
                .count(),
            p.display()
        );
    }
    if let (Some(set), Some(p)) = (&baseline, &args.baseline) {
        let hidden = baseline::filter(&mut report.findings, set);
        if hidden > 0 {
            eprintln!(
                "note: {hidden} finding(s) recorded in baseline {} are not reported",
                p.display()
            );
        }
    }
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            let mut w = std::io::BufWriter::new(file);
            report::render(&report, args.format, &mut w)
                .with_context(|| format!("writing {}", path.display()))?;
            w.flush()
                .with_context(|| format!("writing {}", path.display()))?;
        }
        None => report::render(&report, args.format, out)?,
    }
    let failing = fails(&report, args.fail_on);
    // The process exits next: the estate and report (millions of small allocations for a large
    // input) are left to the exit rather than freed piece by piece.
    std::mem::forget(estate);
    std::mem::forget(report);
    if !errors.is_empty() {
        return Ok(ExitStatus::InputError);
    }
    Ok(if failing {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    })
}

/// True when an unsuppressed finding reaches the `--fail-on` threshold.
fn fails(report: &analysis::result::Report, fail_on: FailOn) -> bool {
    let threshold = match fail_on {
        FailOn::Critical => Some(Severity::Critical),
        FailOn::High => Some(Severity::High),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::Low => Some(Severity::Low),
        FailOn::Never => None,
    };
    threshold.is_some_and(|t| {
        report
            .findings
            .iter()
            .any(|f| f.suppressed.is_none() && f.severity >= t)
    })
}
