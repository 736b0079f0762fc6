//! Role assumption (kms-semantics §7): the trust policy is the role's resource-based policy.
//!
//! The same procedure as for keys, with the trust policy in place of the key policy and no
//! `Resource` element in it: a same-account trust naming the caller's ARN (or a reference to
//! the caller) needs no identity permission; trust to an account (root or id) delegates to that
//! account's IAM, so the caller's identity policies must allow `sts:AssumeRole` on the role ARN
//! (and its boundary must); callers in another account need both sides. Service principals
//! match `Service` entries; federated principals match `Federated` entries under the trust's
//! conditions (`…:sub`, `…:aud` are unknown claims: undecided, so a trust without a `sub`
//! condition admits the provider outright). Unknown trust policy: `conditional`. Denies win.

use super::decide::{merge_unknown_account, run, same_account, Spec};
use super::matching::{Req, Target};
use super::statement::Scope;
use super::{AccessPath, Decision, EvalContext, PrincipalCtx, RoleCtx};
use crate::analysis::result::PrincipalKind;

/// Trust policies have no `Resource`.
const TRUST: Scope = Scope {
    resource: false,
    principal: true,
};

const NO_PATH: AccessPath<'static> = AccessPath { via_service: None };

/// The STS action a caller uses to assume a role.
pub(super) fn assume_action(caller: &PrincipalCtx<'_>) -> &'static str {
    match caller.kind {
        PrincipalKind::Federated => {
            if caller.arn.is_some_and(|a| a.contains(":saml-provider/")) {
                "sts:AssumeRoleWithSAML"
            } else {
                "sts:AssumeRoleWithWebIdentity"
            }
        }
        PrincipalKind::Role
        | PrincipalKind::User
        | PrincipalKind::Account
        | PrincipalKind::Service
        | PrincipalKind::Public
        | PrincipalKind::Unknown => "sts:AssumeRole",
    }
}

pub(super) fn decide_assume(
    caller: &PrincipalCtx<'_>,
    role: &RoleCtx<'_>,
    _ctx: &EvalContext<'_>,
) -> Decision {
    let req = Req {
        action: assume_action(caller),
        principal: caller,
        target: Target::Role(role),
        path: &NO_PATH,
    };
    let spec = |same: bool| Spec {
        req: &req,
        same,
        policy: role.trust.as_ref(),
        policy_name: "trust policy",
        scope: TRUST,
        rcps: None,
        grants: &[],
        explain: true,
    };
    match same_account(caller, role.account) {
        Some(same) => run(&spec(same)),
        None => merge_unknown_account(run(&spec(true)), run(&spec(false))),
    }
}
