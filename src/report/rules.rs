//! `keyreach rules` and `keyreach rule <CODE>`: the registry for people and programs.

use crate::cli::Format;
use crate::rules::{RuleDef, RULES};
use serde::Serialize;
use std::io::Write;

#[derive(Serialize)]
struct RuleJson<'a> {
    code: &'a str,
    name: &'a str,
    default_severity: &'a str,
    summary: &'a str,
    explanation: String,
}

/// Lists every rule: a table, a JSON array, or the Markdown of `docs/rules.md`.
///
/// # Errors
/// Write errors; SARIF is not a listing format.
pub fn render_list(format: Format, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        Format::Table => {
            let mut b = tabled::builder::Builder::default();
            b.push_record(["CODE", "NAME", "SEVERITY", "SUMMARY"]);
            for r in RULES {
                let m = &r.meta;
                b.push_record([m.code, m.name, m.default_severity.as_str(), m.summary]);
            }
            let mut t = b.build();
            t.with(tabled::settings::Style::blank());
            writeln!(out, "{t}")
        }
        Format::Json => {
            let list: Vec<RuleJson<'_>> = RULES
                .iter()
                .map(|r| RuleJson {
                    code: r.meta.code,
                    name: r.meta.name,
                    default_severity: r.meta.default_severity.as_str(),
                    summary: r.meta.summary,
                    explanation: r.meta.explanation(),
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &list)?;
            writeln!(out)
        }
        Format::Markdown => out.write_all(crate::rules::docs_markdown().as_bytes()),
        Format::Sarif | Format::Dot | Format::Mermaid => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "`keyreach rules` writes table, json or markdown (SARIF output carries the rules of \
             an analysis)",
        )),
    }
}

/// Prints one rule's explanation.
///
/// # Errors
/// Write errors.
pub fn render_one(rule: &RuleDef, out: &mut dyn Write) -> std::io::Result<()> {
    let m = &rule.meta;
    writeln!(
        out,
        "# {} {}\n\nDefault severity: {}. {}\n\n{}",
        m.code,
        m.name,
        m.default_severity,
        m.summary,
        m.explanation()
    )
}
