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
pub mod diff;
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
use cli::{AnalyzeArgs, Cli, Command, DiffArgs, FailOn, InputArgs};
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
        Command::Explain(args) => run_explain(&args, out),
        Command::Diff(args) => run_diff(&args, out),
        Command::Inventory(args) => {
            let opts = load_options(&args.input)?;
            let (estate, errors) = parse::load(&args.input.inputs, &opts);
            report_input_errors(&errors);
            let inv = report::inventory::build(&estate);
            match args.format {
                cli::Format::Json => report::inventory::render_json(&inv, out)?,
                cli::Format::Table => report::inventory::render_table(&inv, out)?,
                cli::Format::Markdown
                | cli::Format::Sarif
                | cli::Format::Dot
                | cli::Format::Mermaid => {
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
    let mut locations: Vec<&mut model::Location> =
        findings.iter_mut().map(|f| &mut f.location).collect();
    add_pointer_lines(&mut locations, inputs);
}

/// Gives locations in JSON inputs that carry a JSON pointer but no line the line the pointer
/// (or its nearest ancestor) starts on.
pub(crate) fn add_pointer_lines(
    locations: &mut [&mut model::Location],
    inputs: &[std::path::PathBuf],
) {
    let mut files: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for l in locations.iter() {
        if l.line.is_none() && l.pointer.is_some() {
            files.insert(l.file.clone());
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
        for l in locations.iter_mut() {
            if l.file == file && l.line.is_none() {
                if let Some(p) = &l.pointer {
                    l.line = index.line(p);
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
    // A plan that changes existing resources: the access before the change too.
    let before = diff::before_estate(&estate);
    let (mut report, mut changes) = match &before {
        Some(b) => {
            let (r, c) = diff::diff_estates(b, &estate);
            (r, Some(c))
        }
        None => (analysis::analyze(&estate), None),
    };
    // The report's notes: one per cause, including those the analysis adds.
    for n in &report.notes {
        match n.location.line {
            Some(line) => eprintln!("note: {}:{line}: {}", n.location.file, n.message),
            None => eprintln!("note: {}: {}", n.location.file, n.message),
        }
    }
    if let Some(c) = &mut changes {
        c.add_json_lines(&args.input.inputs);
    }
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
            render_analysis(&report, &estate, changes.as_ref(), args, &mut w)
                .with_context(|| format!("writing {}", path.display()))?;
            w.flush()
                .with_context(|| format!("writing {}", path.display()))?;
        }
        None => render_analysis(&report, &estate, changes.as_ref(), args, out)?,
    }
    let mut failing = fails(&report, args.fail_on);
    if let Some(c) = &changes {
        failing |= gate_new_access(
            c,
            &config,
            args.fail_on_new_access,
            estate.context.account_id.as_deref(),
        );
    }
    std::mem::forget(before);
    // The process exits next: the estate and report (millions of small allocations for a large
    // input) are left to the exit rather than freed piece by piece.
    std::mem::forget(estate);
    std::mem::forget(report);
    Ok(exit_status(&errors, failing))
}

/// Renders `analyze`'s report; pictures (and the Markdown comment's picture) add the
/// role-assumption edges.
fn render_analysis(
    report: &analysis::result::Report,
    estate: &model::Estate,
    changes: Option<&diff::Changes>,
    args: &AnalyzeArgs,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match args.format {
        cli::Format::Dot | cli::Format::Mermaid => {
            let assumptions = analysis::explain::assumptions(estate);
            let pic = report::picture::build(report, &args.domain, &assumptions);
            if args.format == cli::Format::Dot {
                report::dot::render(&pic, out)
            } else {
                report::mermaid::render(&pic, out)
            }
        }
        // A plan that changes access: the comment leads with the access changes.
        cli::Format::Markdown if args.picture != cli::Picture::Never && changes.is_none() => {
            let assumptions = analysis::explain::assumptions(estate);
            let only = if args.domain.is_empty() {
                touched_domains(report, estate)
            } else {
                args.domain.clone()
            };
            let pic = report::picture::build(report, &only, &assumptions);
            let text = report::mermaid::to_string(&pic);
            let fits = args.picture == cli::Picture::Always
                || text.len() <= report::markdown::AUTO_PICTURE_BYTES;
            // Nothing touched: no picture (an empty filter would draw every domain).
            let picture = (fits && !only.is_empty() && !pic.clusters.is_empty()).then_some(text);
            out.write_all(
                report::markdown::render_string_with(
                    report,
                    report::markdown::GITHUB_COMMENT_LIMIT,
                    picture.as_deref(),
                )
                .as_bytes(),
            )
        }
        f => diff::render::render_analyze(report, changes, f, out),
    }
}

/// The domains a change touches: those whose keys, stores or principals the plan creates,
/// updates, replaces or deletes (every domain of templates and source, which declare
/// everything).
fn touched_domains(report: &analysis::result::Report, estate: &model::Estate) -> Vec<String> {
    use model::Change;
    let changed: std::collections::BTreeSet<&str> = estate
        .resources
        .iter()
        .filter(|r| {
            matches!(
                r.change,
                Change::Declared
                    | Change::Create
                    | Change::Update
                    | Change::Replace
                    | Change::Delete
            )
        })
        .map(|r| r.id.as_str())
        .collect();
    report
        .domains
        .iter()
        .filter(|d| {
            d.keys.iter().any(|k| changed.contains(k.as_str()))
                || d.stores.iter().any(|s| changed.contains(s.id.as_str()))
                || d.access
                    .iter()
                    .any(|a| changed.contains(a.principal.as_str()))
        })
        .map(|d| d.name.clone())
        .collect()
}

fn run_explain(args: &cli::ExplainArgs, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    let Some(domain) = args.domain.as_deref() else {
        // `keyreach explain KR003`: the rule, as `keyreach rule KR003` explains it.
        if let [one] = args.input.inputs.as_slice() {
            if !one.exists() {
                if let Some(rule) = one.to_str().and_then(rules::lookup) {
                    report::rules::render_one(rule, out)?;
                    return Ok(ExitStatus::Success);
                }
            }
        }
        anyhow::bail!(
            "explain needs --domain DOMAIN (`keyreach analyze` lists the domains); `keyreach rule CODE` explains a rule"
        );
    };
    let opts = load_options(&args.input)?;
    let (estate, errors) = parse::load(&args.input.inputs, &opts);
    report_input_errors(&errors);
    let mut classes: Vec<analysis::access::Class> = Vec::new();
    for c in [
        cli::CapabilityArg::Read,
        cli::CapabilityArg::Write,
        cli::CapabilityArg::Admin,
    ] {
        if args.capability.is_empty() || args.capability.contains(&c) {
            classes.push(match c {
                cli::CapabilityArg::Read => analysis::access::Class::Read,
                cli::CapabilityArg::Write => analysis::access::Class::Write,
                cli::CapabilityArg::Admin => analysis::access::Class::Admin,
            });
        }
    }
    let mut explanation =
        analysis::explain::explain(&estate, domain, args.principal.as_deref(), &classes)
            .map_err(anyhow::Error::msg)?;
    {
        let mut locations: Vec<&mut model::Location> = Vec::new();
        let mut stack: Vec<&mut analysis::access::explain::Node> =
            explanation.principals.iter_mut().collect();
        while let Some(n) = stack.pop() {
            let analysis::access::explain::Node {
                location, children, ..
            } = n;
            if let Some(l) = location.as_mut() {
                locations.push(l);
            }
            stack.extend(children.iter_mut());
        }
        add_pointer_lines(&mut locations, &args.input.inputs);
    }
    let write = |w: &mut dyn Write| -> std::io::Result<()> {
        match args.format {
            cli::Format::Json => report::explain::render_json(&explanation, w),
            cli::Format::Table => report::explain::render_text(&explanation, w),
            _ => Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "explain is printed as a tree (--format table) or as JSON (--format json)",
            )),
        }
    };
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            let mut w = std::io::BufWriter::new(file);
            write(&mut w).with_context(|| format!("writing {}", path.display()))?;
            w.flush()
                .with_context(|| format!("writing {}", path.display()))?;
        }
        None => write(out)?,
    }
    Ok(if errors.is_empty() {
        ExitStatus::Success
    } else {
        ExitStatus::InputError
    })
}

/// Reports on stderr the access gained that `--fail-on-new-access` (or a domain's
/// `fail_on_new_access`) does not accept; true when there is any.
fn gate_new_access(
    changes: &diff::Changes,
    config: &config::Config,
    threshold: cli::NewAccess,
    account: Option<&str>,
) -> bool {
    let v = diff::gate::violations(changes, config, threshold, account);
    for c in &v {
        eprintln!(
            "error: new access not expected by the configuration: {} gains {} on domain {} ({} -> {})",
            c.principal,
            c.capability,
            c.domain,
            c.before.as_str(),
            c.after.as_str()
        );
    }
    !v.is_empty()
}

fn run_diff(args: &DiffArgs, out: &mut dyn Write) -> anyhow::Result<ExitStatus> {
    let config = load_config(args.config.as_deref())?;
    let opts = load_options(&args.input)?;
    let two_sides = !args.base.is_empty() || !args.head.is_empty();
    if two_sides && !args.input.inputs.is_empty() {
        anyhow::bail!(
            "give either a plan (`keyreach diff PLAN`) or two input sets (`--base PATH... --head PATH...`), not both"
        );
    }
    if !two_sides && args.input.inputs.is_empty() {
        anyhow::bail!(
            "nothing to compare: give a Terraform plan (`keyreach diff PLAN`) or two input sets (`--base PATH... --head PATH...`)"
        );
    }
    let (before, after, errors, inputs) = if two_sides {
        let (b, mut errors) = parse::load(&args.base, &opts);
        let (a, e2) = parse::load(&args.head, &opts);
        errors.extend(e2);
        let inputs: Vec<std::path::PathBuf> = args.base.iter().chain(&args.head).cloned().collect();
        (b, a, errors, inputs)
    } else {
        let (a, errors) = parse::load(&args.input.inputs, &opts);
        let planned = a
            .resources
            .iter()
            .chain(&a.prior)
            .any(|r| r.change != model::Change::Declared);
        if !planned && errors.is_empty() {
            anyhow::bail!(
                "the inputs carry no before state (only a Terraform plan does); compare two input sets with `--base PATH... --head PATH...`"
            );
        }
        (diff::prior_estate(&a), a, errors, args.input.inputs.clone())
    };
    report_input_errors(&errors);
    let (_report, mut changes) = diff::diff_estates(&before, &after);
    changes.add_json_lines(&inputs);
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            let mut w = std::io::BufWriter::new(file);
            diff::render::render_diff(&changes, &after.notes, args.format, &mut w)
                .with_context(|| format!("writing {}", path.display()))?;
            w.flush()
                .with_context(|| format!("writing {}", path.display()))?;
        }
        None => diff::render::render_diff(&changes, &after.notes, args.format, out)?,
    }
    let failing = gate_new_access(
        &changes,
        &config,
        args.fail_on_new_access,
        after.context.account_id.as_deref(),
    );
    std::mem::forget(before);
    std::mem::forget(after);
    std::mem::forget(_report);
    Ok(exit_status(&errors, failing))
}

/// The exit status of a run: input errors first, then whether something failed the gate.
fn exit_status(errors: &[InputError], failing: bool) -> ExitStatus {
    if !errors.is_empty() {
        ExitStatus::InputError
    } else if failing {
        ExitStatus::Findings
    } else {
        ExitStatus::Success
    }
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
