//! The access changes in every format: JSON (the contract's `access_changes`,
//! `domain_changes`, `store_moves`), a table, Markdown (an "Access changes" section that fits
//! GitHub's comment limit) and SARIF (one result per access gained, rule
//! [`super::ACCESS_GAINED`], located at the resource that caused it).

use super::{AccessChange, Cause, Changes};
use crate::analysis::result::{Capability, Report, SCHEMA_VERSION};
use crate::cli::Format;
use crate::model::{Location, Note};
use crate::report::markdown::{code, text, GITHUB_COMMENT_LIMIT};
use serde::Serialize;
use std::fmt::Write as _;
use std::io::Write;

/// `keyreach diff --format json`.
#[derive(Serialize)]
struct DiffDocument<'a> {
    schema_version: u32,
    #[serde(flatten)]
    changes: &'a Changes,
    notes: &'a [Note],
}

/// `keyreach analyze --format json` of a plan that carries a before state.
#[derive(Serialize)]
struct AnalyzeDocument<'a> {
    #[serde(flatten)]
    report: &'a Report,
    #[serde(flatten)]
    changes: &'a Changes,
}

/// Renders the output of `keyreach diff`: only the changes.
///
/// # Errors
/// Write errors.
pub fn render_diff(
    changes: &Changes,
    notes: &[Note],
    format: Format,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match format {
        Format::Json => {
            let doc = DiffDocument {
                schema_version: SCHEMA_VERSION,
                changes,
                notes,
            };
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            out.write_all(b"\n")
        }
        Format::Table => out.write_all(table(changes).as_bytes()),
        Format::Markdown => {
            let mut s = String::from("## keyreach: access changes\n\n");
            let room = GITHUB_COMMENT_LIMIT.saturating_sub(s.len() + 64);
            s.push_str(&markdown_section(changes, room, false));
            out.write_all(s.as_bytes())
        }
        Format::Sarif => {
            let gained = changes.gained_findings();
            let v = crate::report::sarif::to_value_with(&Report::default(), &gained);
            serde_json::to_writer_pretty(&mut *out, &v)?;
            out.write_all(b"\n")
        }
        Format::Dot | Format::Mermaid => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the access changes are printed as a table, JSON, Markdown or SARIF",
        )),
    }
}

/// Renders `keyreach analyze` output, with the changes when the plan carries a before state.
///
/// # Errors
/// Write errors.
pub fn render_analyze(
    report: &Report,
    changes: Option<&Changes>,
    format: Format,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let Some(changes) = changes else {
        return crate::report::render(report, format, out);
    };
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, &AnalyzeDocument { report, changes })?;
            out.write_all(b"\n")
        }
        Format::Table => {
            out.write_all(table(changes).as_bytes())?;
            out.write_all(b"\n")?;
            crate::report::render(report, format, out)
        }
        Format::Markdown => {
            // The changes take at most half of the comment; the rest is the usual report.
            let section = markdown_section(changes, GITHUB_COMMENT_LIMIT / 2, true);
            let rest = crate::report::markdown::render_string(
                report,
                GITHUB_COMMENT_LIMIT.saturating_sub(section.len()),
            );
            let (title, body) = match rest.split_once("\n\n") {
                Some((t, b)) => (format!("{t}\n\n"), b.to_owned()),
                None => (String::new(), rest.clone()),
            };
            out.write_all(title.as_bytes())?;
            out.write_all(section.as_bytes())?;
            out.write_all(body.as_bytes())
        }
        Format::Sarif => {
            let gained = changes.gained_findings();
            let v = crate::report::sarif::to_value_with(report, &gained);
            serde_json::to_writer_pretty(&mut *out, &v)?;
            out.write_all(b"\n")
        }
        Format::Dot | Format::Mermaid => crate::report::render(report, format, out),
    }
}

fn place(l: &Location) -> String {
    match (l.line, &l.pointer) {
        (Some(line), _) => format!("{}:{line}", l.file),
        (None, Some(p)) => format!("{}#{p}", l.file),
        (None, None) => l.file.clone(),
    }
}

fn cause_text(c: &Cause) -> String {
    let mut s = format!(
        "{} ({}, {})",
        c.resource,
        c.change.as_str(),
        place(&c.location)
    );
    if !c.statements.is_empty() {
        let _ = write!(s, ": {}", c.statements.join(", "));
    }
    s
}

fn arrow(c: &AccessChange) -> String {
    format!("{} -> {}", c.before.as_str(), c.after.as_str())
}

/// Counts for the summary line.
fn summary(changes: &Changes) -> String {
    let gained = changes.access_changes.iter().filter(|c| c.gained()).count();
    let lost = changes.access_changes.len() - gained;
    let created = changes
        .domain_changes
        .iter()
        .filter(|d| d.change == "created")
        .count();
    let destroyed = changes.domain_changes.len() - created;
    format!(
        "{gained} access gained, {lost} access lost; {created} domain(s) created, {destroyed} destroyed; {} store(s) moved",
        changes.store_moves.len()
    )
}

/// The changes as plain text for the terminal.
#[must_use]
pub fn table(changes: &Changes) -> String {
    let mut s = String::from("Access changes\n");
    if changes.is_empty() {
        s.push_str("  No access changes.\n");
        return s;
    }
    let _ = writeln!(s, "  {}", summary(changes));
    for d in &changes.domain_changes {
        let _ = writeln!(
            s,
            "\n  domain {} {} (keys: {})",
            d.domain,
            d.change,
            d.keys.join(", ")
        );
        for c in &d.causes {
            let _ = writeln!(s, "      caused by {}", cause_text(c));
        }
    }
    let mut domain = "";
    for c in &changes.access_changes {
        if c.domain != domain {
            domain = &c.domain;
            let _ = writeln!(s, "\n  {domain}");
        }
        let sign = if c.gained() { '+' } else { '-' };
        let _ = writeln!(
            s,
            "    {sign} {} {}: {}",
            c.principal,
            c.capability,
            arrow(c)
        );
        for x in &c.causes {
            let _ = writeln!(s, "        caused by {}", cause_text(x));
        }
    }
    if !changes.store_moves.is_empty() {
        s.push_str("\n  stores moved\n");
        for m in &changes.store_moves {
            let _ = writeln!(
                s,
                "    {} ({}): {} [{}] -> {} [{}]",
                m.store, m.type_name, m.before.domain, m.before.key, m.after.domain, m.after.key
            );
            for x in &m.causes {
                let _ = writeln!(s, "        caused by {}", cause_text(x));
            }
        }
    }
    s
}

fn mark(c: Capability) -> &'static str {
    match c {
        Capability::Yes => "✅ yes",
        Capability::Conditional => "❔ conditional",
        Capability::No => "no",
    }
}

fn causes_cell(causes: &[Cause]) -> String {
    const SHOWN: usize = 3;
    let mut parts: Vec<String> = causes
        .iter()
        .take(SHOWN)
        .map(|c| {
            let mut s = format!(
                "{} ({}, {})",
                code(&c.resource),
                c.change.as_str(),
                text(&place(&c.location))
            );
            if !c.statements.is_empty() {
                let _ = write!(s, ": {}", text(&c.statements.join(", ")));
            }
            s
        })
        .collect();
    if causes.len() > SHOWN {
        parts.push(format!("and {} more", causes.len() - SHOWN));
    }
    parts.join("<br>")
}

const ACCESS_HEAD: &str =
    "| | Domain | Principal | Capability | Before → after | Caused by |\n|---|---|---|---|---|---|\n";

/// The "Access changes" Markdown section, within `room` bytes: every row that fits (access
/// gained first), then a count per domain of what was left out.
#[must_use]
pub fn markdown_section(changes: &Changes, room: usize, heading: bool) -> String {
    let mut s = String::new();
    if heading {
        s.push_str("### Access changes\n\n");
    }
    if changes.is_empty() {
        s.push_str("No access changes.\n\n");
        return s;
    }
    let _ = write!(s, "**{}**\n\n", summary(changes));
    // Reserve room for the note on what was left out.
    let mut left = room.saturating_sub(s.len() + 1_024);
    let take = |block: &str, left: &mut usize| -> bool {
        if block.len() <= *left {
            *left -= block.len();
            true
        } else {
            false
        }
    };
    let mut body = String::new();
    let mut omitted: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    if !changes.domain_changes.is_empty() {
        let mut block = String::from("| Domain | Change | Keys | Caused by |\n|---|---|---|---|\n");
        for d in &changes.domain_changes {
            let keys: Vec<String> = d.keys.iter().map(|k| code(k)).collect();
            let _ = writeln!(
                block,
                "| {} | {} | {} | {} |",
                text(&d.domain),
                d.change,
                keys.join(", "),
                causes_cell(&d.causes)
            );
        }
        block.push('\n');
        if take(&block, &mut left) {
            body.push_str(&block);
        } else {
            for d in &changes.domain_changes {
                *omitted.entry(d.domain.as_str()).or_default() += 1;
            }
        }
    }
    let ordered = changes
        .access_changes
        .iter()
        .filter(|c| c.gained())
        .chain(changes.access_changes.iter().filter(|c| !c.gained()));
    let mut rows = String::new();
    for c in ordered {
        let row = format!(
            "| {} | {} | {} | {} | {} → {} | {} |\n",
            if c.gained() { "➕" } else { "➖" },
            text(&c.domain),
            code(&c.principal),
            c.capability,
            mark(c.before),
            mark(c.after),
            causes_cell(&c.causes)
        );
        let need = row.len()
            + if rows.is_empty() {
                ACCESS_HEAD.len()
            } else {
                0
            };
        if need <= left {
            left -= need;
            if rows.is_empty() {
                rows.push_str(ACCESS_HEAD);
            }
            rows.push_str(&row);
        } else {
            *omitted.entry(c.domain.as_str()).or_default() += 1;
        }
    }
    if !rows.is_empty() {
        body.push_str(&rows);
        body.push('\n');
    }
    if !changes.store_moves.is_empty() {
        let mut block = String::from(
            "| Store moved | Before (domain, key) | After (domain, key) | Caused by |\n|---|---|---|---|\n",
        );
        for m in &changes.store_moves {
            let _ = writeln!(
                block,
                "| {} | {}, {} | {}, {} | {} |",
                code(&m.store),
                text(&m.before.domain),
                code(&m.before.key),
                text(&m.after.domain),
                code(&m.after.key),
                causes_cell(&m.causes)
            );
        }
        block.push('\n');
        if take(&block, &mut left) {
            body.push_str(&block);
        } else {
            for m in &changes.store_moves {
                *omitted.entry(m.after.domain.as_str()).or_default() += 1;
            }
        }
    }
    if !omitted.is_empty() {
        let total: usize = omitted.values().sum();
        let mut per: Vec<String> = omitted
            .iter()
            .map(|(d, n)| format!("{} ({n})", text(d)))
            .collect();
        // The note itself stays small: the busiest domains only.
        if per.len() > 20 {
            let more = per.len() - 20;
            per.truncate(20);
            per.push(format!("{more} more domains"));
        }
        let _ = write!(
            s,
            "> [!NOTE]\n> {total} change(s) are left out to stay under GitHub's 65,536-character \
             comment limit: {}. The JSON output (`--format json`) lists every change.\n\n",
            per.join(", ")
        );
    }
    s.push_str(&body);
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{AccessChange, ResourceChange};

    fn many(n: usize) -> Changes {
        let cause = Cause {
            resource: "aws_kms_key.payments".into(),
            type_name: "aws_kms_key".into(),
            change: ResourceChange::Update,
            location: Location {
                file: "plan.json".into(),
                line: Some(12),
                column: None,
                pointer: Some("/resource_changes/3".into()),
            },
            statements: vec!["statement Analytics added".into()],
        };
        Changes {
            access_changes: (0..n)
                .map(|i| AccessChange {
                    domain: format!("domain{:03}", i % 150),
                    principal: format!("aws_iam_role.reader_with_a_long_name_{i:06}"),
                    arn: None,
                    capability: "read",
                    before: Capability::No,
                    after: if i % 2 == 0 {
                        Capability::Yes
                    } else {
                        Capability::Conditional
                    },
                    causes: vec![cause.clone(); 4],
                })
                .collect(),
            ..Changes::default()
        }
    }

    #[test]
    fn markdown_fits_the_comment_limit_and_counts_what_it_leaves_out() {
        let changes = many(20_000);
        let mut out = Vec::new();
        render_diff(&changes, &[], Format::Markdown, &mut out).expect("render");
        let s = String::from_utf8(out).expect("utf-8");
        assert!(s.len() <= GITHUB_COMMENT_LIMIT, "{}", s.len());
        assert!(
            s.contains("change(s) are left out"),
            "a note says what is missing"
        );
        assert!(s.contains("20000 access gained"));
        // The note lists at most 20 domains by name.
        assert!(s.contains("130 more domains"));

        let small = many(3);
        let mut out = Vec::new();
        render_diff(&small, &[], Format::Markdown, &mut out).expect("render");
        let s = String::from_utf8(out).expect("utf-8");
        assert!(!s.contains("left out"));
        assert_eq!(s.matches("| ➕ |").count(), 3);
        assert!(s.contains("and 1 more"), "four causes, three shown");
    }

    #[test]
    fn analyze_markdown_puts_access_changes_before_findings_within_the_limit() {
        let report = Report::default();
        let changes = many(20_000);
        let mut out = Vec::new();
        render_analyze(&report, Some(&changes), Format::Markdown, &mut out).expect("render");
        let s = String::from_utf8(out).expect("utf-8");
        assert!(s.len() <= GITHUB_COMMENT_LIMIT);
        assert!(
            s.starts_with("## keyreach\n\n### Access changes\n"),
            "{}",
            &s[..80]
        );
    }

    #[test]
    fn no_changes() {
        let mut out = Vec::new();
        render_diff(&Changes::default(), &[], Format::Table, &mut out).expect("render");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "Access changes\n  No access changes.\n"
        );
    }
}
