//! The contract's JSON document.

use crate::analysis::result::Report;
use std::io::Write;

/// Writes the report as pretty JSON followed by a newline.
///
/// # Errors
/// Write errors.
pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, report)?;
    out.write_all(b"\n")
}
