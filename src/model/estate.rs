//! The estate: every resource read from every input, analysed as one.
//!
//! Inputs are parsed independently and merged here; the estate is then sorted by id so every
//! later stage (links, access, findings, output) sees a deterministic order.

use super::resource::{Location, Resource};
use serde::Serialize;

/// Facts about the deployment that the inputs may not state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Context {
    /// The account the input deploys into (`--account-id`, or found in the input).
    pub account_id: Option<String>,
    /// The Region (`--region`, or the provider configuration).
    pub region: Option<String>,
    /// The partition (`aws` unless the input says otherwise).
    pub partition: Option<String>,
    /// The organization id, when given (decides `aws:PrincipalOrgID`).
    pub org_id: Option<String>,
    /// Tag keys that name a data domain, in priority order.
    pub domain_tags: Vec<String>,
}

/// A soft message about the input: something keyreach could not follow or chose to skip.
/// Notes never change the exit code; they are shown on stderr and in the JSON report.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Note {
    /// Where it applies.
    pub location: Location,
    /// What happened.
    pub message: String,
}

/// Everything read from the inputs.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Estate {
    /// The resources that exist after the change (or are declared), sorted by id.
    pub resources: Vec<Resource>,
    /// The resources as they were before the change (Terraform `prior_state`), sorted by id.
    pub prior: Vec<Resource>,
    /// Soft messages.
    pub notes: Vec<Note>,
    /// Deployment facts.
    pub context: Context,
    /// Suppressions declared next to resources (HCL comments, CloudFormation `Metadata`).
    pub suppressions: Vec<InlineSuppression>,
}

/// A suppression declared in the input itself: `# keyreach:ignore <CODE> <reason>` above an
/// HCL block, or `Metadata: {keyreach: {ignore: [{rule, reason, expires}]}}` on a
/// CloudFormation resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct InlineSuppression {
    /// The resource it is declared on (input id).
    pub resource: String,
    /// Rule code.
    pub rule: String,
    /// Why the finding is accepted.
    pub reason: String,
    /// Expiry date `YYYY-MM-DD`, when given.
    pub expires: Option<String>,
    /// Where it is declared.
    pub location: Location,
}

impl Estate {
    /// Adds the resources and notes of one parsed input.
    pub fn extend(&mut self, parsed: Parsed) {
        self.resources.extend(parsed.resources);
        self.prior.extend(parsed.prior);
        self.notes.extend(parsed.notes);
        self.suppressions.extend(parsed.suppressions);
        if self.context.account_id.is_none() {
            self.context.account_id = parsed.account_id;
        }
        if self.context.region.is_none() {
            self.context.region = parsed.region;
        }
    }

    /// Sorts resources and notes by id so output never depends on input order.
    pub fn finish(&mut self) {
        self.resources.sort_by(|a, b| a.id.cmp(&b.id));
        self.prior.sort_by(|a, b| a.id.cmp(&b.id));
        self.notes.sort();
        self.notes.dedup();
        self.suppressions.sort();
        self.suppressions.dedup();
    }
}

/// What one parser produced from one input (or one group of inputs).
#[derive(Debug, Clone, Default)]
pub struct Parsed {
    /// Resources after the change.
    pub resources: Vec<Resource>,
    /// Resources before the change.
    pub prior: Vec<Resource>,
    /// Soft messages.
    pub notes: Vec<Note>,
    /// Account id the input reveals (provider `allowed_account_ids`, ARNs of existing resources).
    pub account_id: Option<String>,
    /// Region the input reveals.
    pub region: Option<String>,
    /// Suppressions declared in the input.
    pub suppressions: Vec<InlineSuppression>,
}
