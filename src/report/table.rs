//! The human-readable table, grouped by domain.

use crate::analysis::result::Report;
use std::io::Write;

/// Writes the table.
///
/// # Errors
/// Write errors.
pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    for d in &report.domains {
        writeln!(out, "domain {}", d.name)?;
    }
    Ok(())
}
