//! Renderers: the report as a table, JSON, Markdown or SARIF. Renderers write to a
//! `&mut dyn Write` and never print.

pub mod dot;
pub mod explain;
pub mod inventory;
pub mod json;
pub mod markdown;
pub mod mermaid;
pub mod picture;
pub mod rules;
pub mod sarif;
pub mod table;

use crate::analysis::result::Report;
use crate::cli::Format;
use std::io::Write;

/// Renders the report in the chosen format.
///
/// # Errors
/// Write errors.
pub fn render(report: &Report, format: Format, out: &mut dyn Write) -> std::io::Result<()> {
    match format {
        Format::Table => table::render(report, out),
        Format::Json => json::render(report, out),
        Format::Markdown => markdown::render(report, out),
        Format::Sarif => sarif::render(report, out),
        Format::Dot => dot::render(&picture::build(report, &[], &[]), out),
        Format::Mermaid => mermaid::render(&picture::build(report, &[], &[]), out),
    }
}
