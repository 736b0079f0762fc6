//! The access picture in the shape of the output contract.

use crate::finding::Finding;
use crate::model::Note;
use serde::Serialize;
use std::collections::BTreeMap;

/// Contract schema version.
pub const SCHEMA_VERSION: u32 = 1;

/// `yes`, `conditional` or `no`, ordered so that `max` gives the strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Capability {
    /// The input proves the access is impossible.
    #[default]
    No,
    /// Allowed only when something the input does not decide holds.
    Conditional,
    /// Allowed.
    Yes,
}

impl Capability {
    /// The contract's string.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::No => "no",
            Capability::Conditional => "conditional",
            Capability::Yes => "yes",
        }
    }

    /// Both must hold: the weaker of the two.
    #[must_use]
    pub fn and(self, other: Capability) -> Capability {
        self.min(other)
    }

    /// Either suffices: the stronger of the two.
    #[must_use]
    pub fn or(self, other: Capability) -> Capability {
        self.max(other)
    }
}

/// Principal kinds of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PrincipalKind {
    /// IAM role.
    Role,
    /// IAM user.
    User,
    /// A whole account (its IAM decides).
    Account,
    /// An AWS service principal.
    Service,
    /// An OIDC/SAML federated principal.
    Federated,
    /// Everyone (`*`).
    Public,
    /// Anything else.
    Unknown,
}

/// What an `undetermined` entry stands for: the members of a group of principals whose
/// identity policies are not known before apply, except those the domain lists on their own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Folded {
    /// How many principals the entry stands for.
    pub count: usize,
    /// The first of them (at most [`FOLDED_LISTED`]), sorted; the top-level `undetermined`
    /// array lists them all.
    pub members: Vec<String>,
    /// The group ([`UndeterminedGroup::group`]) they belong to.
    pub group: String,
}

/// Members named on an `undetermined` entry; the group lists every member once.
pub const FOLDED_LISTED: usize = 20;

/// One group of principals whose identity policies are not known before apply: the principals
/// of one account that `undetermined` entries stand for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UndeterminedGroup {
    /// Stable group id (also the `principal` of its entries).
    pub group: String,
    /// The account.
    pub account: String,
    /// Number of members.
    pub count: usize,
    /// Every member id, sorted.
    pub members: Vec<String>,
}

/// A store in a domain.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct StoreEntry {
    /// Store id.
    pub id: String,
    /// Store type (input type name).
    #[serde(rename = "type")]
    pub type_name: String,
    /// The key id, or a marker (`aws-managed:aws/s3`, `aws-owned`, `none`, `unknown`).
    pub key: String,
}

/// One principal's access to one domain. An entry with [`AccessEntry::folded`] is written
/// with kind `undetermined` (its `kind` field is [`PrincipalKind::Unknown`] for the rules).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessEntry {
    /// Input id, or the normalised principal.
    pub principal: String,
    /// ARN, when known or buildable.
    pub arn: Option<String>,
    /// Principal kind.
    pub kind: PrincipalKind,
    /// Read capability.
    pub read: Capability,
    /// Write capability.
    pub write: Capability,
    /// Admin capability.
    pub admin: Capability,
    /// For an `undetermined` entry: the principals it stands for.
    pub folded: Option<Box<Folded>>,
    /// Evidence, one string per step.
    pub via: Vec<String>,
    /// Service principals that act only through this role (they can assume it and are named
    /// by no key policy or grant): shown here rather than as entries of their own.
    pub assumed_by: Vec<String>,
    /// Per-action capability on the domain's keys (KMS action names without prefix); not part
    /// of the contract's JSON, used by rules.
    pub actions: BTreeMap<&'static str, Capability>,
    /// The same per key (key id -> action -> capability), for rules that must name the key a
    /// capability is on; not part of the contract's JSON.
    pub per_key: BTreeMap<String, BTreeMap<&'static str, Capability>>,
}

impl Serialize for AccessEntry {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct as _;
        let n =
            if self.folded.is_some() { 10 } else { 7 } + usize::from(!self.assumed_by.is_empty());
        let mut st = s.serialize_struct("AccessEntry", n)?;
        st.serialize_field("principal", &self.principal)?;
        st.serialize_field("arn", &self.arn)?;
        match &self.folded {
            Some(_) => st.serialize_field("kind", "undetermined")?,
            None => st.serialize_field("kind", &self.kind)?,
        }
        st.serialize_field("read", &self.read)?;
        st.serialize_field("write", &self.write)?;
        st.serialize_field("admin", &self.admin)?;
        if let Some(f) = &self.folded {
            st.serialize_field("count", &f.count)?;
            st.serialize_field("members", &f.members)?;
            st.serialize_field("group", &f.group)?;
        }
        st.serialize_field("via", &self.via)?;
        if !self.assumed_by.is_empty() {
            st.serialize_field("assumed_by", &self.assumed_by)?;
        }
        st.end()
    }
}

/// One domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Domain {
    /// Domain name.
    pub name: String,
    /// Keys (ids or markers).
    pub keys: Vec<String>,
    /// Stores.
    pub stores: Vec<StoreEntry>,
    /// Access entries, sorted by principal.
    pub access: Vec<AccessEntry>,
}

/// A store outside any domain: on an AWS managed or AWS owned key, or unencrypted, and without
/// a domain tag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnpartitionedStore {
    /// Store id.
    pub id: String,
    /// Store type (input type name).
    #[serde(rename = "type")]
    pub type_name: String,
    /// The key marker (`aws-managed:aws/s3`, `aws-owned`, `none`).
    pub key: String,
    /// Who can use that key marker.
    pub access: Vec<AccessEntry>,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Always [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Domains, sorted by name.
    pub domains: Vec<Domain>,
    /// Stores outside any domain, sorted by id.
    pub unpartitioned: Vec<UnpartitionedStore>,
    /// Findings, sorted.
    pub findings: Vec<Finding>,
    /// Soft messages about the inputs (extension of the contract).
    pub notes: Vec<Note>,
    /// Groups of principals whose identity policies are not known before apply, each listed
    /// once with all its members (extension of the contract; absent when empty).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub undetermined: Vec<UndeterminedGroup>,
}

impl Default for Report {
    fn default() -> Self {
        Self {
            schema_version: SCHEMA_VERSION,
            domains: Vec::new(),
            unpartitioned: Vec::new(),
            findings: Vec::new(),
            notes: Vec::new(),
            undetermined: Vec::new(),
        }
    }
}
