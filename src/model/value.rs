//! Values that may not be known before apply.
//!
//! Every attribute keyreach reads from an input is one of three things: a value the input
//! states (`Known`), a value the input says will only exist after apply (`Unknown`), or a value
//! whose expression points at another resource (`Ref`), such as `aws_kms_key.orders.arn` in a
//! plan where the ARN is not known yet. An attribute the input does not set at all is `None` in
//! an `Option<Val<_>>`, never `Unknown`: "no policy" and "policy not known yet" lead to opposite
//! conclusions (the default key policy versus a `conditional` verdict).

use serde::Serialize;
use std::fmt;

/// A reference from one resource's attribute to another resource (or to one attribute of it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Reference {
    /// Address of the referenced resource in the input's own id scheme (Terraform address with
    /// module path and instance key, or a CloudFormation logical id).
    pub target: String,
    /// The attribute referred to (`arn`, `key_id`, `json`, `Arn`), when the expression names one.
    pub attribute: Option<String>,
}

impl Reference {
    /// A reference to `target`, optionally to one attribute of it.
    #[must_use]
    pub fn new(target: impl Into<String>, attribute: Option<&str>) -> Self {
        Self {
            target: target.into(),
            attribute: attribute.map(str::to_owned),
        }
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.attribute {
            Some(a) => write!(f, "{}.{a}", self.target),
            None => f.write_str(&self.target),
        }
    }
}

/// A value that is known, unknown until apply, or a reference to another resource.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "state", content = "value", rename_all = "snake_case")]
pub enum Val<T> {
    /// The input states the value.
    Known(T),
    /// The value exists only after apply and the input says nothing about where it comes from.
    Unknown,
    /// The value is not known, but the expression that produces it references these resources
    /// (first one is the best candidate). Used to link a store to its key before the ARN exists.
    Ref(Vec<Reference>),
}

impl<T> Val<T> {
    /// The known value, if any.
    #[must_use]
    pub fn known(&self) -> Option<&T> {
        match self {
            Val::Known(v) => Some(v),
            Val::Unknown | Val::Ref(_) => None,
        }
    }

    /// True when the value is not known (unknown or reference).
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        !matches!(self, Val::Known(_))
    }

    /// The references of an unknown value (empty for known or plain unknown values).
    #[must_use]
    pub fn references(&self) -> &[Reference] {
        match self {
            Val::Ref(r) => r,
            Val::Known(_) | Val::Unknown => &[],
        }
    }

    /// Maps the known value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Val<U> {
        match self {
            Val::Known(v) => Val::Known(f(v)),
            Val::Unknown => Val::Unknown,
            Val::Ref(r) => Val::Ref(r),
        }
    }

    /// Borrowing view.
    #[must_use]
    pub fn as_ref(&self) -> Val<&T> {
        match self {
            Val::Known(v) => Val::Known(v),
            Val::Unknown => Val::Unknown,
            Val::Ref(r) => Val::Ref(r.clone()),
        }
    }
}

impl<T: fmt::Display> fmt::Display for Val<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Val::Known(v) => v.fmt(f),
            Val::Unknown => f.write_str("(known after apply)"),
            Val::Ref(r) => match r.first() {
                Some(first) => write!(f, "({first})"),
                None => f.write_str("(known after apply)"),
            },
        }
    }
}

/// A string that may be unknown: the most common attribute shape (ARNs, ids, names).
pub type VStr = Val<String>;

impl From<&str> for Val<String> {
    fn from(s: &str) -> Self {
        Val::Known(s.to_owned())
    }
}

impl From<String> for Val<String> {
    fn from(s: String) -> Self {
        Val::Known(s)
    }
}
