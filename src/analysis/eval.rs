//! Policy evaluation: the decision procedure of kms-semantics §1.2 for one principal, one KMS
//! action and one key, and the trust decision of §7 for one caller and one role.
//!
//! Three-valued throughout: a statement applies (`True`), does not (`False`), or the input does
//! not decide it (`Undecided`). Allows are over-approximated and Denies under-approximated:
//! an undecided Allow yields `conditional`, an undecided Deny removes nothing.
//!
//! # Contract for callers
//!
//! * **Principal kinds.** `Role`/`User`/`Unknown` are single principals: a key policy naming
//!   their ARN (or holding a `Ref` to their input id) admits them directly; a key policy naming
//!   their account delegates to their identity policies. `Account` stands for "principals of
//!   that account whose IAM allows": give it `identity` empty and `incomplete`; the key policy
//!   naming the account (root ARN or id) or `*` (with conditions that hold for that account)
//!   gives it `yes`, a key policy naming only specific roles gives it `no` (an exact
//!   `aws:PrincipalArn` condition in its account leaves it `conditional`). `Public` stands for
//!   "any principal of any account": `yes` only for `*` whose conditions do not narrow to
//!   specific accounts or principals (`kms:CallerAccount`, `aws:PrincipalAccount`,
//!   `aws:PrincipalArn` with exact values make it `no` — those principals get their own or their
//!   account's entry; an organization condition leaves it `conditional`); it is always read as
//!   another account, so administrative actions are `no`. `Service` principals match `Service`
//!   entries and `*`, need no identity policy and are not bound by SCPs; `Federated` principals
//!   match `Federated` entries (trust policies).
//! * **Undeclared principals** (`id: None`, ARN from a policy): give `identity` empty and
//!   `incomplete`. Direct naming is then `yes`, delegation `conditional`.
//! * **Incomplete layers.** `identity.incomplete`: delegated access that the known documents do
//!   not prove is `conditional`. `boundary: Some(layer)` with `incomplete` and no proving
//!   document: `conditional` where the boundary applies (delegation, role-ARN grants; not `*`
//!   or user/session grants). `scps.incomplete`: every answer is at most `conditional`. A
//!   `PolicyDocument` with `incomplete` counts as possibly holding the missing Allow.
//!   `key.policy == None`: `conditional` at most (explicit denies elsewhere still apply; a
//!   cross-account caller still needs its identity allow).
//! * **Accounts.** Principal and key accounts decide same- versus cross-account; when either is
//!   unknown both readings are evaluated and a disagreement is `conditional`.
//! * **What the caller filters.** Pass an empty `rcps` layer for AWS managed keys, keys in the
//!   management account and service-linked roles; pass empty `scps` for management-account
//!   principals and service-linked roles ([O-SCP], [O-RCP]). Unknown AWS managed policy ARNs
//!   ([`aws_managed_policy`] returns `None`) make the identity layer `incomplete`.
//! * **Evidence** is rendered only for answers other than `no`, in a fixed order: key-policy
//!   direct grants, `*` grants, role-ARN grants, delegation (with the identity statement),
//!   unknown policy, grants, then the reasons an answer is only `conditional`.

use super::result::{Capability, PrincipalKind};
use crate::model::{Partial, PolicyDocument, VStr};
use std::collections::BTreeMap;

mod actions;
mod assume;
mod aws_managed;
mod conditions;
mod decide;
mod evidence;
mod grants;
mod matching;
mod partial;
mod prefilter;
mod statement;
#[cfg(test)]
pub(crate) mod tests;
pub mod trace;
mod wildcard;

pub use actions::{
    action_matches, expand_kms_pattern, kms_action, strip_kms_prefix, ActionClass, KmsAction,
    KMS_ACTIONS,
};
pub use aws_managed::{
    aws_managed_policy, aws_managed_policy_coverage, bundled_policy_names, catalog_source,
    is_aws_managed_policy_arn, Coverage,
};
pub use prefilter::{document_may_grant_kms, kms_resource_scope, principal_candidates};
pub use prefilter::{KmsResourceScope, PrincipalCandidates};

/// Three-valued truth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tri {
    /// Proven false by the input.
    False,
    /// Not decided by the input.
    Undecided,
    /// Proven true by the input.
    True,
}

impl Tri {
    /// `True` or `False`.
    #[must_use]
    pub fn from_bool(b: bool) -> Self {
        if b {
            Tri::True
        } else {
            Tri::False
        }
    }

    /// Both hold (the weaker).
    #[must_use]
    pub fn and(self, other: Tri) -> Tri {
        self.min(other)
    }

    /// Either holds (the stronger).
    #[must_use]
    pub fn or(self, other: Tri) -> Tri {
        self.max(other)
    }

    /// `yes` for `True`, `conditional` for `Undecided`, `no` for `False`.
    #[must_use]
    pub fn capability(self) -> Capability {
        match self {
            Tri::False => Capability::No,
            Tri::Undecided => Capability::Conditional,
            Tri::True => Capability::Yes,
        }
    }
}

impl std::ops::Not for Tri {
    type Output = Tri;

    /// Negation (`Undecided` stays `Undecided`).
    fn not(self) -> Tri {
        match self {
            Tri::False => Tri::True,
            Tri::Undecided => Tri::Undecided,
            Tri::True => Tri::False,
        }
    }
}

/// A policy document with the label used in evidence (`key policy`, `inline policy read`,
/// `managed policy arn:aws:iam::aws:policy/AdministratorAccess`, `SCP DenyKms`, ...).
#[derive(Debug, Clone, Copy)]
pub struct LabeledDoc<'a> {
    /// Evidence label.
    pub label: &'a str,
    /// The document.
    pub doc: &'a PolicyDocument,
}

/// A policy layer that may be entirely unknown.
#[derive(Debug, Clone, Default)]
pub struct Layer<'a> {
    /// Known documents of the layer.
    pub docs: Vec<LabeledDoc<'a>>,
    /// True when the layer may hold documents the input does not reveal (unknown until apply,
    /// an AWS managed policy keyreach does not carry, a principal declared outside the input).
    pub incomplete: bool,
}

/// The principal making the request.
#[derive(Debug, Clone)]
pub struct PrincipalCtx<'a> {
    /// Kind of principal.
    pub kind: PrincipalKind,
    /// Input id (Terraform address, CloudFormation logical id) when declared in the input. Policy
    /// values that are references to this id match this principal.
    pub id: Option<&'a str>,
    /// ARN (role/user ARN; `arn:aws:iam::<acct>:root` for an account; service name for a service;
    /// provider ARN for a federated principal; `*` for public), when known.
    pub arn: Option<&'a str>,
    /// The ARN (or service name) known in part, when `arn` is not known: a name AWS generates,
    /// a pseudo parameter or variable in it.
    pub arn_pattern: Option<&'a Partial>,
    /// The policy value this principal was created from, when the input names it only by an
    /// expression not known before apply: that value names this principal and no other.
    pub source: Option<&'a VStr>,
    /// Account the principal belongs to, when known.
    pub account: Option<&'a str>,
    /// Identity policies: a role's, or a user's own plus its groups'. For `Account` principals
    /// (any principal of that account) and principals not declared in the input this is empty
    /// and `incomplete`.
    pub identity: Layer<'a>,
    /// Permissions boundary: `None` = no boundary; `Some(layer)` = a boundary (its layer
    /// `incomplete` when the boundary document is not known).
    pub boundary: Option<Layer<'a>>,
    /// SCPs that apply to the principal's account (all levels flattened; each must allow).
    pub scps: Layer<'a>,
    /// Principal tags (`aws:PrincipalTag/*`), when known.
    pub tags: Option<&'a BTreeMap<String, String>>,
    /// Organization the principal's account belongs to, when known (decides
    /// `aws:PrincipalOrgID`).
    pub org_id: Option<&'a str>,
}

/// A grant on the key.
#[derive(Debug, Clone)]
pub struct GrantCtx<'a> {
    /// Evidence label (grant name or id).
    pub label: &'a str,
    /// Grantee principal ARN as written, when known.
    pub grantee_arn: Option<&'a str>,
    /// Input id of the grantee when the grant references a declared principal.
    pub grantee_id: Option<&'a str>,
    /// Operations (`Decrypt`, ...), `None` when unknown.
    pub operations: Option<&'a [String]>,
    /// True when the grant has encryption-context constraints (use is conditional).
    pub constrained: bool,
}

/// The key being accessed.
#[derive(Debug, Clone)]
pub struct KeyCtx<'a> {
    /// Input id.
    pub id: Option<&'a str>,
    /// Key ARN, when known.
    pub arn: Option<&'a str>,
    /// Account owning the key, when known.
    pub account: Option<&'a str>,
    /// Region, when known.
    pub region: Option<&'a str>,
    /// The key policy: `None` when unknown until apply (everything is then `conditional` at
    /// most, never dropped).
    pub policy: Option<LabeledDoc<'a>>,
    /// Resource tags (`aws:ResourceTag/*`), `None` when unknown.
    pub tags: Option<&'a BTreeMap<String, String>>,
    /// `kms:KeySpec` (default `SYMMETRIC_DEFAULT`).
    pub key_spec: &'a str,
    /// `kms:KeyUsage` (default `ENCRYPT_DECRYPT`).
    pub key_usage: &'a str,
    /// `kms:KeyOrigin` (`AWS_KMS`, `EXTERNAL`, `AWS_CLOUDHSM`, `EXTERNAL_KEY_STORE`).
    pub key_origin: &'a str,
    /// `kms:MultiRegion`.
    pub multi_region: bool,
    /// Aliases attached to the key (`kms:ResourceAliases`), `None` when not all are known.
    pub aliases: Option<&'a [String]>,
    /// RCPs that apply to the key's account.
    pub rcps: Layer<'a>,
    /// Grants on the key.
    pub grants: Vec<GrantCtx<'a>>,
}

/// How the request reaches KMS.
#[derive(Debug, Clone, Default)]
pub struct AccessPath<'a> {
    /// `kms:ViaService` value when the call is made by an AWS service on the principal's behalf
    /// (`s3.us-east-1.amazonaws.com`); `None` for a direct call.
    pub via_service: Option<&'a str>,
}

/// Facts that hold for the whole analysis.
#[derive(Debug, Clone, Default)]
pub struct EvalContext<'a> {
    /// The account the input deploys into.
    pub account_id: Option<&'a str>,
    /// The partition (`aws`).
    pub partition: Option<&'a str>,
}

/// The outcome of one decision.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Decision {
    /// `yes`, `conditional` or `no`.
    pub capability: Capability,
    /// Evidence, one string per step: the statements and grants that allow it, e.g.
    /// `key policy statement AllowUseOfKey`, `delegated to account 111122223333 by key policy
    /// statement EnableIAM; identity policy inline read statement #0`, `grant app-decrypt`.
    pub evidence: Vec<String>,
}

/// Decides whether `principal` may call `action` (e.g. `kms:Decrypt`) on `key` (§1.2), by the
/// path `path`. See the module documentation for how principal kinds and incomplete layers are
/// read. The common path does not allocate; evidence is rendered only when the answer is not
/// `no`.
#[must_use]
pub fn decide(
    action: &str,
    principal: &PrincipalCtx<'_>,
    key: &KeyCtx<'_>,
    path: &AccessPath<'_>,
    ctx: &EvalContext<'_>,
) -> Decision {
    decide::decide(action, principal, key, path, ctx, true)
}

/// Writes to `out` what [`decide`] reads of `action` for this principal and key: two actions
/// with the same signature get the same decision.
pub fn action_signature(
    action: &str,
    principal: &PrincipalCtx<'_>,
    key: &KeyCtx<'_>,
    out: &mut Vec<u8>,
) {
    decide::action_signature(action, principal, key, out);
}

/// [`decide`] without evidence: the capability alone, for callers that explain only the
/// decisions they keep.
#[must_use]
pub fn decide_capability(
    action: &str,
    principal: &PrincipalCtx<'_>,
    key: &KeyCtx<'_>,
    path: &AccessPath<'_>,
    ctx: &EvalContext<'_>,
) -> Capability {
    decide::decide(action, principal, key, path, ctx, false).capability
}

/// The role being assumed.
#[derive(Debug, Clone)]
pub struct RoleCtx<'a> {
    /// Input id.
    pub id: Option<&'a str>,
    /// Role ARN, when known.
    pub arn: Option<&'a str>,
    /// Account, when known.
    pub account: Option<&'a str>,
    /// Trust policy, `None` when unknown until apply.
    pub trust: Option<LabeledDoc<'a>>,
    /// Resource tags of the role.
    pub tags: Option<&'a BTreeMap<String, String>>,
}

/// Decides whether `caller` can assume `role` (§7): the trust policy must admit the caller for
/// `sts:AssumeRole` / `sts:AssumeRoleWithWebIdentity` / `sts:AssumeRoleWithSAML` (or
/// `sts:TagSession` alongside); unless the trust policy names the caller itself in the same
/// account, the caller's identity policy (and boundary, SCPs) must allow `sts:AssumeRole` on
/// the role ARN. Explicit denies anywhere win.
#[must_use]
pub fn decide_assume(
    caller: &PrincipalCtx<'_>,
    role: &RoleCtx<'_>,
    ctx: &EvalContext<'_>,
) -> Decision {
    assume::decide_assume(caller, role, ctx)
}
