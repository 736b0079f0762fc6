//! Evidence: the steps behind a decision, kept as references while deciding and rendered to
//! strings only when the decision is not `no` (deciding allocates nothing on the common path).

use super::conditions;
use super::matching::Req;
use super::Tri;
use crate::model::Statement;

/// One step of evidence.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ev<'a> {
    /// `{doc} statement {sid}` (key policy, trust policy, boundary, SCP).
    Stmt { doc: &'a str, stmt: &'a Statement },
    /// `delegated to account {acct} by {doc} statement {sid}`.
    Delegated {
        account: Option<&'a str>,
        doc: &'a str,
        stmt: &'a Statement,
    },
    /// `identity policy {doc} statement {sid}`.
    Identity { doc: &'a str, stmt: &'a Statement },
    /// The principal's identity policies are not all known.
    IdentityIncomplete,
    /// `grant {label}`.
    Grant { label: &'a str },
    /// The grant has encryption-context constraints.
    GrantConstrained { label: &'a str },
    /// The grant's grantee or operations are unknown until apply.
    GrantUnknown { label: &'a str },
    /// `{what} unknown until apply` (key policy, trust policy).
    Unknown { what: &'static str },
    /// `{doc} may hold statements the input does not reveal`.
    DocIncomplete { doc: &'a str },
    /// `condition {key} undecided`.
    Condition { key: &'a str },
    /// `{doc} statement {sid}: principal undecided`.
    PrincipalUndecided { doc: &'a str, stmt: &'a Statement },
    /// `{doc} statement {sid}: resource undecided`.
    ResourceUndecided { doc: &'a str, stmt: &'a Statement },
    /// `{doc} statement {sid}: action undecided`.
    ActionUndecided { doc: &'a str, stmt: &'a Statement },
    /// `{what} not fully known` (permissions boundary, SCPs).
    LayerIncomplete { what: &'static str },
}

impl Ev<'_> {
    fn render(self) -> String {
        match self {
            Ev::Stmt { doc, stmt } => format!("{doc} statement {}", stmt.label()),
            Ev::Delegated { account, doc, stmt } => format!(
                "delegated to account {} by {doc} statement {}",
                account.unwrap_or("(unknown)"),
                stmt.label()
            ),
            Ev::Identity { doc, stmt } => {
                if doc.starts_with("identity policy") {
                    format!("{doc} statement {}", stmt.label())
                } else {
                    format!("identity policy {doc} statement {}", stmt.label())
                }
            }
            Ev::IdentityIncomplete => "identity policies not fully known".to_owned(),
            Ev::Grant { label } => format!("grant {label}"),
            Ev::GrantConstrained { label } => {
                format!("grant {label} has encryption context constraints")
            }
            Ev::GrantUnknown { label } => {
                format!("grant {label}: grantee or operations unknown until apply")
            }
            Ev::Unknown { what } => format!("{what} unknown until apply"),
            Ev::DocIncomplete { doc } => {
                format!("{doc} may hold statements the input does not reveal")
            }
            Ev::Condition { key } => format!("condition {key} undecided"),
            Ev::PrincipalUndecided { doc, stmt } => {
                format!("{doc} statement {}: principal undecided", stmt.label())
            }
            Ev::ResourceUndecided { doc, stmt } => {
                format!("{doc} statement {}: resource undecided", stmt.label())
            }
            Ev::ActionUndecided { doc, stmt } => {
                format!("{doc} statement {}: action undecided", stmt.label())
            }
            Ev::LayerIncomplete { what } => format!("{what} not fully known"),
        }
    }
}

/// Collects evidence in order, without duplicates.
#[derive(Debug, Default)]
pub(crate) struct Trail<'a> {
    steps: Vec<Ev<'a>>,
}

impl<'a> Trail<'a> {
    pub(crate) fn push(&mut self, ev: Ev<'a>) {
        self.steps.push(ev);
    }

    /// The reasons a statement matched only `Undecided`: its undecided parts.
    pub(crate) fn why_undecided(
        &mut self,
        doc: &'a str,
        stmt: &'a Statement,
        parts: StmtParts,
        req: &Req<'_>,
        vars: bool,
    ) {
        if parts.action == Tri::Undecided {
            self.push(Ev::ActionUndecided { doc, stmt });
        }
        if parts.resource == Tri::Undecided {
            self.push(Ev::ResourceUndecided { doc, stmt });
        }
        if parts.principal == Tri::Undecided {
            self.push(Ev::PrincipalUndecided { doc, stmt });
        }
        if parts.conditions == Tri::Undecided {
            for key in conditions::undecided_keys(&stmt.conditions, req, vars) {
                self.push(Ev::Condition { key });
            }
        }
    }

    /// Renders the trail, dropping repeated strings.
    pub(crate) fn render(self) -> Vec<String> {
        // A set of what is already out keeps this linear on a statement with thousands of
        // undecided condition keys; the order stays the order of the trail.
        let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
        let mut out: Vec<String> = Vec::with_capacity(self.steps.len());
        for ev in self.steps {
            let s = ev.render();
            if !seen.contains(&s) {
                seen.insert(s.clone());
                out.push(s);
            }
        }
        out
    }
}

/// The three-valued parts of one statement's match.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StmtParts {
    pub action: Tri,
    pub resource: Tri,
    pub principal: Tri,
    pub conditions: Tri,
}
