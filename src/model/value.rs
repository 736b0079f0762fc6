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
    /// A string known in parts (see [`Partial`]); only strings take this form.
    Partial(Partial),
}

impl<T> Val<T> {
    /// The known value, if any.
    #[must_use]
    pub fn known(&self) -> Option<&T> {
        match self {
            Val::Known(v) => Some(v),
            Val::Unknown | Val::Ref(_) | Val::Partial(_) => None,
        }
    }

    /// True when the value is not known (unknown or reference).
    #[must_use]
    pub fn is_unknown(&self) -> bool {
        !matches!(self, Val::Known(_))
    }

    /// The references of an unknown value (empty for known or plain unknown values).
    #[must_use]
    pub fn references(&self) -> std::borrow::Cow<'_, [Reference]> {
        match self {
            Val::Ref(r) => std::borrow::Cow::Borrowed(r),
            Val::Partial(p) => std::borrow::Cow::Owned(p.references()),
            Val::Known(_) | Val::Unknown => std::borrow::Cow::Borrowed(&[]),
        }
    }

    /// The partial string, when the value is one.
    #[must_use]
    pub fn partial(&self) -> Option<&Partial> {
        match self {
            Val::Partial(p) => Some(p),
            _ => None,
        }
    }

    /// Maps the known value.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Val<U> {
        match self {
            Val::Known(v) => Val::Known(f(v)),
            Val::Unknown => Val::Unknown,
            Val::Ref(r) => Val::Ref(r),
            Val::Partial(p) => Val::Partial(p),
        }
    }

    /// Borrowing view.
    #[must_use]
    pub fn as_ref(&self) -> Val<&T> {
        match self {
            Val::Known(v) => Val::Known(v),
            Val::Unknown => Val::Unknown,
            Val::Ref(r) => Val::Ref(r.clone()),
            Val::Partial(p) => Val::Partial(p.clone()),
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
            Val::Partial(p) => p.fmt(f),
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

/// What a hole in a [`Partial`] string stands for; it bounds the characters a completion can
/// use, so known text around a hole can still rule a match out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoleClass {
    /// Any text.
    Any,
    /// An account id (digits).
    Account,
    /// A Region name (`us-east-1`: lower-case letters, digits and dashes).
    Region,
    /// A partition (`aws`, `aws-cn`: lower-case letters and dashes).
    Partition,
    /// A name AWS generates or a name-like identifier (letters, digits and `+=,.@_-`; never
    /// `:` or `/`).
    Name,
}

impl HoleClass {
    /// True when a completion of this hole can hold the character.
    #[must_use]
    pub fn admits(self, c: char) -> bool {
        match self {
            HoleClass::Any => true,
            HoleClass::Account => c.is_ascii_digit(),
            HoleClass::Region => c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-',
            HoleClass::Partition => c.is_ascii_lowercase() || c == '-',
            HoleClass::Name => c.is_ascii_alphanumeric() || "+=,.@_-".contains(c),
        }
    }

    /// A few completions of the hole, used to test whether every completion matches.
    #[must_use]
    pub fn samples(self) -> [&'static str; 3] {
        match self {
            HoleClass::Any => ["", "x", "a:b/c-d*"],
            HoleClass::Account => ["123456789012", "999988887777", "000000000001"],
            HoleClass::Region => ["us-east-1", "eu-west-3", "ap-southeast-2"],
            HoleClass::Partition => ["aws", "aws-cn", "aws-us-gov"],
            HoleClass::Name => ["x", "Stack-Name-1ABC2DEF3GH4", "a.b@c_d"],
        }
    }
}

/// The unknown part of a [`Partial`] string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Hole {
    /// What the hole stands for.
    pub class: HoleClass,
    /// The references (resources, parameters, variables, pseudo parameters) it comes from.
    pub refs: Vec<Reference>,
    /// How the hole is written in reports (`${AWS::Region}`, `${data.aws_region.current.name}`,
    /// `(generated)`).
    pub label: String,
}

impl Hole {
    /// A hole for text that comes from these references; its class follows from what they
    /// name (`AWS::Region`, `data.aws_region.current.name`, `AWS::AccountId`,
    /// `data.aws_caller_identity.current.account_id`, `AWS::Partition`, …).
    #[must_use]
    pub fn from_refs(refs: Vec<Reference>) -> Hole {
        let classes: Vec<HoleClass> = refs.iter().map(class_of).collect();
        let class = match classes.split_first() {
            Some((first, rest)) if rest.iter().all(|c| c == first) => *first,
            _ => HoleClass::Any,
        };
        let label = match refs.first() {
            Some(r) => format!("${{{r}}}"),
            None => "(known after apply)".to_owned(),
        };
        Hole { class, refs, label }
    }

    /// A hole for a name AWS or Terraform generates.
    #[must_use]
    pub fn generated(label: &str) -> Hole {
        Hole {
            class: HoleClass::Name,
            refs: Vec::new(),
            label: label.to_owned(),
        }
    }
}

fn class_of(r: &Reference) -> HoleClass {
    let attr = r.attribute.as_deref().unwrap_or("");
    let target = r.target.as_str();
    let data_of = |ty: &str| {
        target.starts_with(&format!("data.{ty}.")) || target.contains(&format!(".data.{ty}."))
    };
    match target {
        "AWS::AccountId" => HoleClass::Account,
        "AWS::Region" => HoleClass::Region,
        "AWS::Partition" => HoleClass::Partition,
        _ if data_of("aws_region") && matches!(attr, "name" | "id" | "region") => HoleClass::Region,
        _ if data_of("aws_caller_identity") && attr == "account_id" => HoleClass::Account,
        _ if data_of("aws_partition") && attr == "partition" => HoleClass::Partition,
        _ => HoleClass::Any,
    }
}

/// One part of a [`Partial`] string.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(tag = "part", content = "value", rename_all = "snake_case")]
pub enum Part {
    /// Known text.
    Lit(String),
    /// Unknown text.
    Hole(Hole),
}

/// A string known in parts: literal text around holes (pseudo parameters, unresolved
/// variables, an unknown account or Region, a name AWS generates). Matching treats it as a
/// pattern: the known text alone can prove that a match is impossible.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Partial {
    /// The parts, in order; adjacent literals are merged and at least one hole is present.
    pub parts: Vec<Part>,
}

impl Partial {
    /// Builds a partial string from parts, merging adjacent literals. A result without holes is
    /// returned as known text.
    #[must_use]
    pub fn build(parts: impl IntoIterator<Item = Part>) -> Val<String> {
        let mut out: Vec<Part> = Vec::new();
        for p in parts {
            match (out.last_mut(), p) {
                (_, Part::Lit(s)) if s.is_empty() => {}
                (Some(Part::Lit(prev)), Part::Lit(s)) => prev.push_str(&s),
                (_, p) => out.push(p),
            }
        }
        if out.iter().all(|p| matches!(p, Part::Hole(_))) {
            // Nothing known: an unknown value, with the references it comes from.
            let mut refs: Vec<Reference> = Vec::new();
            for p in &out {
                if let Part::Hole(h) = p {
                    for r in &h.refs {
                        if !refs.contains(r) {
                            refs.push(r.clone());
                        }
                    }
                }
            }
            if !out.is_empty() {
                return if refs.is_empty() {
                    Val::Unknown
                } else {
                    Val::Ref(refs)
                };
            }
        }
        if out.iter().all(|p| matches!(p, Part::Lit(_))) {
            let text: String = out
                .into_iter()
                .map(|p| match p {
                    Part::Lit(s) => s,
                    Part::Hole(_) => String::new(),
                })
                .collect();
            return Val::Known(text);
        }
        Val::Partial(Partial { parts: out })
    }

    /// An IAM pattern (`arn:aws:iam::111122223333:role/app-*`) as a partial string whose `*`
    /// and `?` wildcards are holes of any text.
    #[must_use]
    pub fn from_glob(pattern: &str) -> Val<String> {
        let mut parts = Vec::new();
        let mut lit = String::new();
        for c in pattern.chars() {
            if c == '*' || c == '?' {
                parts.push(Part::Lit(std::mem::take(&mut lit)));
                parts.push(Part::Hole(Hole {
                    class: HoleClass::Any,
                    refs: Vec::new(),
                    label: c.to_string(),
                }));
            } else {
                lit.push(c);
            }
        }
        parts.push(Part::Lit(lit));
        Partial::build(parts)
    }

    /// The name Terraform gives a resource whose `name` is not known: `name_prefix` followed
    /// by a generated suffix, or `terraform-` and a suffix when neither is set
    /// (`name_unset`). `None` when the name cannot be said to be generated.
    #[must_use]
    pub fn generated_name(prefix: Option<&Val<String>>, name_unset: bool) -> Option<Val<String>> {
        let suffix = Part::Hole(Hole::generated("(generated)"));
        match prefix {
            Some(Val::Known(p)) => Some(Partial::build([Part::Lit(p.clone()), suffix])),
            Some(Val::Partial(p)) => Some(Partial::build(p.parts.iter().cloned().chain([suffix]))),
            Some(Val::Unknown | Val::Ref(_)) => None,
            None if name_unset => Some(Partial::build([Part::Lit("terraform-".into()), suffix])),
            None => None,
        }
    }

    /// The references of every hole, in order, without duplicates.
    #[must_use]
    pub fn references(&self) -> Vec<Reference> {
        let mut out: Vec<Reference> = Vec::new();
        for p in &self.parts {
            if let Part::Hole(h) = p {
                for r in &h.refs {
                    if !out.contains(r) {
                        out.push(r.clone());
                    }
                }
            }
        }
        out
    }

    /// The known text before the first hole.
    #[must_use]
    pub fn prefix(&self) -> &str {
        match self.parts.first() {
            Some(Part::Lit(s)) => s,
            _ => "",
        }
    }

    /// The known text after the last hole.
    #[must_use]
    pub fn suffix(&self) -> &str {
        match self.parts.last() {
            Some(Part::Lit(s)) if self.parts.len() > 1 => s,
            _ => "",
        }
    }

    /// The holes.
    pub fn holes(&self) -> impl Iterator<Item = &Hole> {
        self.parts.iter().filter_map(|p| match p {
            Part::Hole(h) => Some(h),
            Part::Lit(_) => None,
        })
    }

    /// The string with every hole replaced by the `k`-th sample of its class.
    #[must_use]
    pub fn sample(&self, k: usize) -> String {
        let mut s = String::new();
        for p in &self.parts {
            match p {
                Part::Lit(l) => s.push_str(l),
                Part::Hole(h) => s.push_str(h.class.samples()[k % 3]),
            }
        }
        s
    }
}

impl fmt::Display for Partial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in &self.parts {
            match p {
                Part::Lit(s) => f.write_str(s)?,
                Part::Hole(h) => f.write_str(&h.label)?,
            }
        }
        Ok(())
    }
}
