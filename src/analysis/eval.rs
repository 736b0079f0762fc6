//! Policy evaluation: the decision procedure of kms-semantics §1.2 for one principal, one KMS
//! action and one key, and the trust decision of §7 for one caller and one role.
//!
//! Three-valued throughout: a statement applies (`True`), does not (`False`), or the input does
//! not decide it (`Undecided`). Allows are over-approximated and Denies under-approximated:
//! an undecided Allow yields `conditional`, an undecided Deny removes nothing.

use super::result::{Capability, PrincipalKind};
use crate::model::PolicyDocument;
use std::collections::BTreeMap;

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

/// Decides whether `principal` may call `action` (e.g. `kms:Decrypt`) on `key` (§1.2).
#[must_use]
pub fn decide(
    _action: &str,
    _principal: &PrincipalCtx<'_>,
    _key: &KeyCtx<'_>,
    _path: &AccessPath<'_>,
    _ctx: &EvalContext<'_>,
) -> Decision {
    Decision::default()
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
    _caller: &PrincipalCtx<'_>,
    _role: &RoleCtx<'_>,
    _ctx: &EvalContext<'_>,
) -> Decision {
    Decision::default()
}

/// The bundled document of an AWS managed policy, when keyreach carries it.
#[must_use]
pub fn aws_managed_policy(_arn: &str) -> Option<&'static PolicyDocument> {
    None
}
