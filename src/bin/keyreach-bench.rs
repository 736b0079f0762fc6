//! Benchmarks for keyreach: `keyreach-bench ingest --resources 10000` generates a synthetic
//! plan (untimed) and times its ingestion, printing elapsed time and peak memory.
//!
//! Build in release mode for meaningful figures:
//! `cargo run --release --bin keyreach-bench -- ingest --resources 10000`.
//!
//! `ingest --changes --write plan.json` writes a plan that also changes existing resources;
//! `analyze --plan plan.json` and `diff --plan plan.json` then time `keyreach analyze` and
//! `keyreach diff` of it.

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use keyreach::parse::{tf_plan, LoadOptions};
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Instant;

/// keyreach benchmarks.
#[derive(Debug, Parser)]
#[command(name = "keyreach-bench", about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate a synthetic Terraform plan and time its ingestion into the resource model.
    Ingest(IngestArgs),
    /// Time the full `analyze` (read, parse, link, evaluate, propagate, rules, render JSON)
    /// of a plan file written by `ingest --write`. Run it in its own process so the peak
    /// memory figure is the analysis alone.
    Analyze(AnalyzeArgs),
    /// Time `keyreach diff` of a plan (read, parse, the estate before the change, both
    /// analyses, comparison, render JSON) written by `ingest --changes --write`.
    Diff(AnalyzeArgs),
}

#[derive(Debug, Args)]
struct AnalyzeArgs {
    /// The plan file.
    #[arg(long, value_name = "FILE")]
    plan: PathBuf,
    /// Analyse this many times and report each run.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// The account the plan deploys into (as `keyreach analyze --account-id`).
    #[arg(long, value_name = "ACCOUNT")]
    account_id: Option<String>,
    /// `analyze` only: analyse the estate after the change alone, as `analyze` of a plan that
    /// changes nothing does (the baseline `diff` is compared with).
    #[arg(long)]
    after_only: bool,
}

/// The shape of the generated plan.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Shape {
    /// 18 resources per domain, one domain in three being created (see `synth`).
    Mixed,
    /// 5 resources per domain, all created by the plan: each role's inline policy is
    /// `jsonencode`d over its key's ARN, unknown until apply (see `synth::greenfield`).
    Greenfield,
}

#[derive(Debug, Args)]
struct IngestArgs {
    /// Approximate number of resources in the generated plan.
    #[arg(long, default_value_t = 10_000)]
    resources: usize,
    /// The shape of the generated plan.
    #[arg(long, value_enum, default_value = "mixed")]
    shape: Shape,
    /// Ingest this plan file instead of generating one.
    #[arg(long, value_name = "FILE")]
    plan: Option<PathBuf>,
    /// Also write the generated plan to this file.
    #[arg(long, value_name = "FILE")]
    write: Option<PathBuf>,
    /// Parse this many times and report each run.
    #[arg(long, default_value_t = 1)]
    repeat: usize,
    /// Generate a plan that also changes existing resources (key policies gaining a
    /// statement), for `diff`.
    #[arg(long)]
    changes: bool,
}

fn main() -> anyhow::Result<()> {
    let result = match Cli::parse().command {
        Command::Ingest(args) => ingest(&args),
        Command::Analyze(args) => analyze(&args),
        Command::Diff(args) => diff(&args),
    };
    match result {
        Err(e)
            if e.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe) =>
        {
            Ok(())
        }
        other => other,
    }
}

fn ingest(args: &IngestArgs) -> anyhow::Result<()> {
    let (display, text) = match &args.plan {
        Some(p) => (
            p.display().to_string(),
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        ),
        None => {
            let started = Instant::now();
            let (domains, text) = match args.shape {
                Shape::Mixed => {
                    let d = keyreach::synth::domains_for(args.resources);
                    if args.changes {
                        (d, keyreach::synth::plan_with_changes(d))
                    } else {
                        (d, keyreach::synth::plan(d))
                    }
                }
                Shape::Greenfield => {
                    let d = keyreach::synth::greenfield::domains_for(args.resources);
                    (d, keyreach::synth::greenfield::plan(d))
                }
            };
            eprintln!(
                "generated {domains} domains, {} bytes in {:.3} s",
                text.len(),
                started.elapsed().as_secs_f64()
            );
            ("synthetic-plan.json".to_owned(), text)
        }
    };
    if let Some(w) = &args.write {
        std::fs::write(w, &text).with_context(|| format!("writing {}", w.display()))?;
    }
    let rss_before = keyreach::bench::peak_rss_kib();
    let mut out = std::io::stdout().lock();
    for run in 0..args.repeat.max(1) {
        let cpu_before = keyreach::bench::thread_cpu();
        let started = Instant::now();
        let parsed = tf_plan::parse(&display, &text, &LoadOptions::default())
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let elapsed = started.elapsed();
        let cpu = match (cpu_before, keyreach::bench::thread_cpu()) {
            (Some(a), Some(b)) => format!(", cpu {:.3} s", b.saturating_sub(a).as_secs_f64()),
            _ => String::new(),
        };
        writeln!(
            out,
            "run {}: {} resources, {} prior, parsed in {:.3} s{cpu}",
            run + 1,
            parsed.resources.len(),
            parsed.prior.len(),
            elapsed.as_secs_f64()
        )?;
    }
    match (rss_before, keyreach::bench::peak_rss_kib()) {
        (Some(before), Some(after)) => writeln!(
            out,
            "peak RSS: {:.1} MiB (after generating: {:.1} MiB; plan text {:.1} MiB)",
            after as f64 / 1024.0,
            before as f64 / 1024.0,
            text.len() as f64 / 1024.0 / 1024.0
        )?,
        _ => writeln!(out, "peak RSS: not available on this platform")?,
    }
    Ok(())
}

/// Counts the bytes written to it.
#[derive(Default)]
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn analyze(args: &AnalyzeArgs) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let opts = LoadOptions {
        domain_tags: keyreach::DEFAULT_DOMAIN_TAGS
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        account_id: args.account_id.clone(),
        ..LoadOptions::default()
    };
    // The yardstick: reading the file and parsing it into a `serde_json::Value`, nothing else.
    let cpu_now = || {
        keyreach::bench::process_cpu()
            .unwrap_or_default()
            .as_secs_f64()
    };
    {
        let cpu = cpu_now();
        let started = Instant::now();
        let text = std::fs::read_to_string(&args.plan)
            .with_context(|| format!("reading {}", args.plan.display()))?;
        let value: serde_json::Value = serde_json::from_str(&text)
            .with_context(|| format!("parsing {}", args.plan.display()))?;
        let elapsed = started.elapsed();
        writeln!(
            out,
            "bare serde_json read+parse: {:.3} s, cpu {:.2} s ({:.1} MiB)",
            elapsed.as_secs_f64(),
            cpu_now() - cpu,
            text.len() as f64 / 1024.0 / 1024.0
        )?;
        drop(value);
    }
    for run in 0..args.repeat.max(1) {
        let cpu = cpu_now();
        let started = Instant::now();
        let (estate, errors) = keyreach::parse::load(std::slice::from_ref(&args.plan), &opts);
        anyhow::ensure!(errors.is_empty(), "input errors: {errors:?}");
        let parsed = started.elapsed();
        // As the command line does: a plan that changes existing resources is analysed before
        // the change too.
        let before = if args.after_only {
            None
        } else {
            keyreach::diff::before_estate(&estate)
        };
        let (mut report, changes) = match &before {
            Some(b) => {
                let (r, c) = keyreach::diff::diff_estates(b, &estate);
                (r, Some(c))
            }
            None => (keyreach::analysis::analyze(&estate), None),
        };
        let analysed = started.elapsed();
        let today =
            keyreach::config::date::Date::parse("2026-01-01").map_err(anyhow::Error::msg)?;
        report.findings = keyreach::rules::check(
            &estate,
            &report,
            &keyreach::config::Config::default(),
            today,
        );
        let checked = started.elapsed();
        let mut sink = Counter::default();
        keyreach::diff::render::render_analyze(
            &report,
            changes.as_ref(),
            keyreach::cli::Format::Json,
            &mut sink,
        )?;
        let total = started.elapsed();
        let entries: usize = report.domains.iter().map(|d| d.access.len()).sum();
        writeln!(
            out,
            "run {}: {} resources, {} domains, {} access entries, {} findings, {} access changes, JSON {:.2} MiB; read+parse {:.3} s, analysis {:.3} s, rules {:.3} s, total {:.3} s, cpu {:.2} s",
            run + 1,
            estate.resources.len(),
            report.domains.len(),
            entries,
            report.findings.len(),
            changes.as_ref().map_or(0, |c| c.access_changes.len()),
            sink.0 as f64 / 1024.0 / 1024.0,
            parsed.as_secs_f64(),
            (analysed - parsed).as_secs_f64(),
            (checked - analysed).as_secs_f64(),
            total.as_secs_f64(),
            cpu_now() - cpu
        )?;
    }
    match keyreach::bench::peak_rss_kib() {
        Some(kib) => writeln!(out, "peak RSS: {:.1} MiB", kib as f64 / 1024.0)?,
        None => writeln!(out, "peak RSS: not available on this platform")?,
    }
    Ok(())
}

fn diff(args: &AnalyzeArgs) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let opts = LoadOptions {
        domain_tags: keyreach::DEFAULT_DOMAIN_TAGS
            .iter()
            .map(|s| (*s).to_owned())
            .collect(),
        ..LoadOptions::default()
    };
    for run in 0..args.repeat.max(1) {
        let started = Instant::now();
        let (estate, errors) = keyreach::parse::load(std::slice::from_ref(&args.plan), &opts);
        anyhow::ensure!(errors.is_empty(), "input errors: {errors:?}");
        let parsed = started.elapsed();
        let before = keyreach::diff::prior_estate(&estate);
        let built = started.elapsed();
        let (b, a) = std::thread::scope(|s| {
            let b = s.spawn(|| keyreach::analysis::analyze_full(&before));
            let a = keyreach::analysis::analyze_full(&estate);
            (b.join(), a)
        });
        let b = b.map_err(|_| anyhow::anyhow!("analysis panicked"))?;
        let analysed = started.elapsed();
        let changes = keyreach::diff::compare(
            &keyreach::diff::Side {
                estate: &before,
                links: &b.links,
                report: &b.report,
            },
            &keyreach::diff::Side {
                estate: &estate,
                links: &a.links,
                report: &a.report,
            },
        );
        let compared = started.elapsed();
        let report = &a.report;
        let mut sink = std::io::sink();
        keyreach::diff::render::render_diff(
            &changes,
            &estate.notes,
            keyreach::cli::Format::Json,
            &mut sink,
        )?;
        let total = started.elapsed();
        writeln!(
            out,
            "run {}: {} resources ({} before), {} domains, {} access changes, {} domain changes, {} store moves; read+parse {:.3} s, before estate {:.3} s, both analyses {:.3} s, compare {:.3} s, total {:.3} s",
            run + 1,
            estate.resources.len(),
            before.resources.len(),
            report.domains.len(),
            changes.access_changes.len(),
            changes.domain_changes.len(),
            changes.store_moves.len(),
            parsed.as_secs_f64(),
            (built - parsed).as_secs_f64(),
            (analysed - built).as_secs_f64(),
            (compared - analysed).as_secs_f64(),
            total.as_secs_f64()
        )?;
    }
    match keyreach::bench::peak_rss_kib() {
        Some(kib) => writeln!(out, "peak RSS: {:.1} MiB", kib as f64 / 1024.0)?,
        None => writeln!(out, "peak RSS: not available on this platform")?,
    }
    Ok(())
}

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
