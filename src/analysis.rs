//! From the estate to the access picture: links, policy evaluation, reachability, domains.

pub mod eval;
pub mod result;

use crate::model::Estate;
use result::Report;

/// Analyses an estate into the contract's report (without findings).
#[must_use]
pub fn analyze(estate: &Estate) -> Report {
    Report {
        notes: estate.notes.clone(),
        ..Report::default()
    }
}
