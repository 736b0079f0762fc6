//! Typed IAM / KMS policy documents.
//!
//! One model serves key policies, identity policies, trust policies, permissions boundaries,
//! SCPs/RCPs and grants' documents. Every string that can come from another resource
//! (principal ARNs, resource ARNs, condition values) is a [`VStr`], so a policy built in HCL
//! over a role created in the same change keeps `aws_iam_role.app.arn` as a reference the
//! access engine can resolve. The JSON forms AWS accepts — a scalar or a list for every
//! multi-valued element, `"Principal": "*"` or a map — are all normalised here by the parsers in
//! [`crate::parse::policy_json`].

use super::resource::Location;
use super::value::VStr;
use serde::Serialize;

/// A whole policy document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct PolicyDocument {
    /// `Version`, when present.
    pub version: Option<String>,
    /// `Id`, when present.
    pub id: Option<String>,
    /// The statements, in document order.
    pub statements: Vec<Statement>,
    /// True when the document may hold further statements the input does not reveal (for
    /// example a `dynamic "statement"` over an unknown collection, or an unknown
    /// `source_policy_documents` entry). Evaluation then treats missing Allows as
    /// `conditional` rather than absent.
    pub incomplete: bool,
}

/// `Allow` or `Deny`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Effect {
    /// `"Effect": "Allow"`.
    Allow,
    /// `"Effect": "Deny"`.
    Deny,
}

/// One statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Statement {
    /// `Sid`, when present.
    pub sid: Option<String>,
    /// `Effect`.
    pub effect: Effect,
    /// `Principal`.
    pub principal: Option<Principals>,
    /// `NotPrincipal`.
    pub not_principal: Option<Principals>,
    /// `Action` (patterns as written). `None` when absent.
    pub action: Option<Vec<VStr>>,
    /// `NotAction`.
    pub not_action: Option<Vec<VStr>>,
    /// `Resource`.
    pub resource: Option<Vec<VStr>>,
    /// `NotResource`.
    pub not_resource: Option<Vec<VStr>>,
    /// `Condition`: every operator/key pair; all must hold (AND).
    pub conditions: Vec<Condition>,
    /// Index of the statement in its document (0-based); used in evidence and locations.
    pub index: usize,
    /// Where the statement starts in the input, when the parser tracked it.
    pub location: Option<Location>,
}

impl Statement {
    /// A human label: the Sid, or `#<index>`.
    #[must_use]
    pub fn label(&self) -> String {
        match &self.sid {
            Some(s) if !s.is_empty() => s.clone(),
            _ => format!("#{}", self.index),
        }
    }
}

/// The principal element: `"*"` or a map of principal types to identifiers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Principals {
    /// `"Principal": "*"` (equivalent to `{"AWS": "*"}`).
    Any,
    /// `{"AWS": [...], "Service": [...], ...}` flattened into (type, identifier) pairs.
    Map(Vec<(PrincipalType, VStr)>),
}

/// Principal type keys.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum PrincipalType {
    /// `AWS`: accounts, users, roles, sessions, `*`.
    Aws,
    /// `Service`: `lambda.amazonaws.com` and the like.
    Service,
    /// `Federated`: OIDC/SAML providers or web identity providers.
    Federated,
    /// `CanonicalUser` (S3 only).
    CanonicalUser,
    /// Anything else, kept as written.
    Other(String),
}

/// `ForAnyValue:` / `ForAllValues:` qualifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SetQualifier {
    /// `ForAnyValue:`.
    ForAnyValue,
    /// `ForAllValues:`.
    ForAllValues,
}

/// One condition: operator, key and the values (OR-ed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Condition {
    /// The operator as written, e.g. `ForAnyValue:StringLikeIfExists`.
    pub operator: String,
    /// Set qualifier parsed from the operator.
    pub qualifier: Option<SetQualifier>,
    /// Base operator without qualifier or `IfExists`, e.g. `StringLike`.
    pub base: String,
    /// True when the operator ends in `IfExists`.
    pub if_exists: bool,
    /// The condition key as written (matching is case-insensitive).
    pub key: String,
    /// The values; `Val::Unknown`/`Ref` when not known before apply.
    pub values: Vec<VStr>,
}

impl Condition {
    /// Builds a condition from an operator string as written in the policy.
    #[must_use]
    pub fn new(operator: &str, key: &str, values: Vec<VStr>) -> Self {
        let (qualifier, rest) = if let Some(r) = strip_prefix_ci(operator, "ForAnyValue:") {
            (Some(SetQualifier::ForAnyValue), r)
        } else if let Some(r) = strip_prefix_ci(operator, "ForAllValues:") {
            (Some(SetQualifier::ForAllValues), r)
        } else {
            (None, operator)
        };
        let (base, if_exists) = match rest.len().checked_sub("IfExists".len()) {
            Some(cut)
                if rest.is_char_boundary(cut) && rest[cut..].eq_ignore_ascii_case("IfExists") =>
            {
                (&rest[..cut], true)
            }
            _ => (rest, false),
        };
        Self {
            operator: operator.to_owned(),
            qualifier,
            base: base.to_owned(),
            if_exists,
            key: key.to_owned(),
            values,
        }
    }
}

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    if s.len() >= prefix.len()
        && s.is_char_boundary(prefix.len())
        && s[..prefix.len()].eq_ignore_ascii_case(prefix)
    {
        Some(&s[prefix.len()..])
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_parts() {
        let c = Condition::new("ForAnyValue:StringLikeIfExists", "k", vec![]);
        assert_eq!(c.qualifier, Some(SetQualifier::ForAnyValue));
        assert_eq!(c.base, "StringLike");
        assert!(c.if_exists);
        let c = Condition::new("Null", "k", vec![]);
        assert_eq!(
            (c.qualifier, c.base.as_str(), c.if_exists),
            (None, "Null", false)
        );
    }
}
