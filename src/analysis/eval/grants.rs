//! Grants (kms-semantics §6): an allow path of their own, Allow-only, usable cross-account
//! without any IAM permission at home. A grant names one grantee and never everyone.
//!
//! Matching the grantee: the grant's input reference (`grantee_id`) or its ARN against the
//! principal's. A grant whose grantee is unknown until apply could be anyone the input does not
//! prove to be someone else, so it is `conditional` for every principal it could name; a grant
//! to an account root counts for that account's entry and is undecided for its principals.

use super::actions::strip_kms_prefix;
use super::matching::{account_principal, parse_arn};
use super::{GrantCtx, PrincipalCtx, Tri};
use crate::analysis::result::PrincipalKind;

/// Whether a grant lets the principal call the action.
pub(super) fn grant_tri(g: &GrantCtx<'_>, p: &PrincipalCtx<'_>, action: &str) -> Tri {
    let Some(name) = strip_kms_prefix(action) else {
        return Tri::False;
    };
    let op = match g.operations {
        Some(ops) => Tri::from_bool(ops.iter().any(|o| {
            let o = strip_kms_prefix(o).unwrap_or(o);
            o.eq_ignore_ascii_case(name)
        })),
        None => Tri::Undecided,
    };
    if op == Tri::False {
        return Tri::False;
    }
    let who = grantee_tri(g, p);
    let constraint = if g.constrained {
        Tri::Undecided
    } else {
        Tri::True
    };
    op.and(who).and(constraint)
}

/// Whether the grantee is the principal. A grant names one principal, never everyone.
fn grantee_tri(g: &GrantCtx<'_>, p: &PrincipalCtx<'_>) -> Tri {
    if p.kind == PrincipalKind::Public {
        return Tri::False;
    }
    if let (Some(gid), Some(pid)) = (g.grantee_id, p.id) {
        if gid == pid {
            return Tri::True;
        }
    }
    match g.grantee_arn {
        Some(arn) => {
            if let Some(acct) = account_principal(arn) {
                // A grant to an account: that account's principals as a whole.
                return match p.kind {
                    PrincipalKind::Account => match p.account {
                        Some(pa) => super::matching::account_tri(pa, acct),
                        None => Tri::Undecided,
                    },
                    PrincipalKind::Service | PrincipalKind::Federated | PrincipalKind::Public => {
                        Tri::False
                    }
                    PrincipalKind::Role | PrincipalKind::User | PrincipalKind::Unknown => {
                        match p.account {
                            Some(pa) if pa != acct => Tri::False,
                            _ => Tri::Undecided,
                        }
                    }
                };
            }
            if p.kind == PrincipalKind::Account {
                return Tri::False;
            }
            if let Some(pa) = p.arn {
                if pa.eq_ignore_ascii_case(arn) {
                    return Tri::True;
                }
                // A session of the role.
                if let (Some(g_arn), Some(p_arn)) = (parse_arn(arn), parse_arn(pa)) {
                    if g_arn.service == "sts"
                        && g_arn.account == p_arn.account
                        && g_arn
                            .resource
                            .strip_prefix("assumed-role/")
                            .and_then(|r| r.split('/').next())
                            == p_arn.resource.rsplit('/').next()
                        && p_arn.resource.starts_with("role/")
                    {
                        return Tri::Undecided;
                    }
                }
                return Tri::False;
            }
            // The principal's ARN is unknown: decide what the account decides.
            match (parse_arn(arn), p.account, g.grantee_id) {
                (_, _, Some(_)) if p.id.is_some() => Tri::False,
                (Some(a), Some(pa), _) if a.account != pa => Tri::False,
                _ => Tri::Undecided,
            }
        }
        // The grant references another declared principal.
        None if g.grantee_id.is_some() => Tri::False,
        // Grantee unknown until apply: nothing proves it is someone else.
        None => Tri::Undecided,
    }
}
