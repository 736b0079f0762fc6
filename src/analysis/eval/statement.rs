//! Statement and layer scanning shared by the KMS and the assume-role decisions.
//!
//! A statement applies when its action, resource, principal and conditions all apply; each part
//! is three-valued and the statement's value is the weakest part. Allow scans keep the best
//! statement (the witness used for evidence); Deny scans only ask whether some Deny certainly
//! applies, because an undecided Deny removes nothing (kms-semantics, soundness rule).

use super::actions::action_matches;
use super::conditions;
use super::evidence::{Ev, StmtParts, Trail};
use super::matching::{match_not_principals, match_principals, match_resource_list, PMatch, Req};
use super::{LabeledDoc, Layer, Tri};
use crate::model::{Effect, PolicyDocument, Statement, VStr, Val};

/// Whether policy variables are substituted in this document (only `Version` 2012-10-17).
pub(crate) fn vars_enabled(doc: &PolicyDocument) -> bool {
    doc.version.as_deref() == Some("2012-10-17")
}

fn action_list(list: &[VStr], action: &str) -> Tri {
    let mut t = Tri::False;
    for v in list {
        t = t.or(match v {
            Val::Known(p) => Tri::from_bool(action_matches(p, action)),
            Val::Unknown | Val::Ref(_) | Val::Partial(_) => Tri::Undecided,
        });
        if t == Tri::True {
            break;
        }
    }
    t
}

/// `Action` / `NotAction` against the request's action. A statement with neither is
/// ineffective.
pub(crate) fn action_tri(stmt: &Statement, action: &str) -> Tri {
    match (&stmt.action, &stmt.not_action) {
        (Some(list), _) => action_list(list, action),
        (None, Some(list)) => !action_list(list, action),
        (None, None) => Tri::False,
    }
}

/// `Resource` / `NotResource`. Allow statements over-approximate (`*` spans `:`), Deny
/// statements under-approximate; inside `NotResource` the reading flips so that the negation
/// keeps the intended direction. `check == false` (trust policies) skips the element.
pub(crate) fn resource_tri(stmt: &Statement, req: &Req<'_>, deny: bool, vars: bool) -> Tri {
    match (&stmt.resource, &stmt.not_resource) {
        (Some(list), _) => match_resource_list(list, req, !deny, vars),
        (None, Some(list)) => !match_resource_list(list, req, deny, vars),
        (None, None) => Tri::False,
    }
}

/// How a statement's `Principal`/`NotPrincipal` matches.
pub(crate) fn principal_match(stmt: &Statement, req: &Req<'_>) -> PMatch {
    match (&stmt.principal, &stmt.not_principal) {
        (Some(p), _) => match_principals(p, req.principal),
        (None, Some(np)) => match_not_principals(np, req.principal),
        (None, None) => PMatch::NONE,
    }
}

/// Options of a scan.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scope {
    /// Evaluate `Resource` (false for trust policies, which have none).
    pub resource: bool,
    /// Evaluate `Principal` (resource-based policies).
    pub principal: bool,
}

/// Identity-style documents: no principal, resources checked.
pub(crate) const IDENTITY: Scope = Scope {
    resource: true,
    principal: false,
};

/// The best statement of a scan.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Witness<'a> {
    /// Its value.
    pub tri: Tri,
    /// The document label.
    pub doc: &'a str,
    /// The statement (`None` when the value comes from an incomplete document).
    pub stmt: Option<&'a Statement>,
    /// Its parts.
    pub parts: StmtParts,
    /// Whether the document substitutes variables.
    pub vars: bool,
}

impl<'a> Witness<'a> {
    pub(crate) const NONE: Witness<'static> = Witness {
        tri: Tri::False,
        doc: "",
        stmt: None,
        parts: StmtParts {
            action: Tri::False,
            resource: Tri::False,
            principal: Tri::False,
            conditions: Tri::False,
        },
        vars: false,
    };

    /// Keeps the better of the two.
    pub(crate) fn offer(&mut self, other: Witness<'a>) {
        if other.tri > self.tri {
            *self = other;
        }
    }

    /// Evidence for this witness: the statement, and why it is undecided when it is.
    pub(crate) fn explain(&self, trail: &mut Trail<'a>, req: &Req<'_>, first: Ev<'a>) {
        trail.push(first);
        if let (Tri::Undecided, Some(stmt)) = (self.tri, self.stmt) {
            trail.why_undecided(self.doc, stmt, self.parts, req, self.vars);
        }
    }
}

/// Action, resource and conditions of one statement (no principal).
pub(crate) fn core(
    stmt: &Statement,
    req: &Req<'_>,
    deny: bool,
    vars: bool,
    scope: Scope,
) -> (Tri, StmtParts) {
    core_with_action(stmt, action_tri(stmt, req.action), req, deny, vars, scope)
}

/// [`core`] with the action part already known.
fn core_with_action(
    stmt: &Statement,
    action: Tri,
    req: &Req<'_>,
    deny: bool,
    vars: bool,
    scope: Scope,
) -> (Tri, StmtParts) {
    let mut parts = StmtParts {
        action,
        resource: Tri::True,
        principal: Tri::True,
        conditions: Tri::True,
    };
    if parts.action == Tri::False {
        return (Tri::False, parts);
    }
    if scope.resource {
        parts.resource = resource_tri(stmt, req, deny, vars);
        if parts.resource == Tri::False {
            return (Tri::False, parts);
        }
    }
    parts.conditions = conditions::eval_all(&stmt.conditions, req, vars, deny);
    (
        parts.action.and(parts.resource).and(parts.conditions),
        parts,
    )
}

/// True when some Deny statement of `doc` certainly applies.
pub(crate) fn denies(doc: &PolicyDocument, req: &Req<'_>, scope: Scope) -> bool {
    let vars = vars_enabled(doc);
    doc.statements.iter().any(|stmt| {
        if stmt.effect != Effect::Deny {
            return false;
        }
        let action = action_tri(stmt, req.action);
        if action != Tri::True {
            return false;
        }
        if scope.principal && principal_match(stmt, req).any() != Tri::True {
            return false;
        }
        core_with_action(stmt, action, req, true, vars, scope).0 == Tri::True
    })
}

/// True when some document of the layer certainly denies.
pub(crate) fn layer_denies(layer: &Layer<'_>, req: &Req<'_>, scope: Scope) -> bool {
    layer.docs.iter().any(|d| denies(d.doc, req, scope))
}

/// Best Allow of an identity-style document (`incomplete` documents give at least
/// `Undecided`).
pub(crate) fn best_allow<'a>(d: &LabeledDoc<'a>, req: &Req<'_>) -> Witness<'a> {
    let doc = d.doc;
    let vars = vars_enabled(doc);
    let mut best = Witness::NONE;
    for stmt in &doc.statements {
        if stmt.effect != Effect::Allow {
            continue;
        }
        let (tri, parts) = core(stmt, req, false, vars, IDENTITY);
        best.offer(Witness {
            tri,
            doc: d.label,
            stmt: Some(stmt),
            parts,
            vars,
        });
        if best.tri == Tri::True {
            return best;
        }
    }
    if doc.incomplete && best.tri < Tri::Undecided {
        best = Witness {
            tri: Tri::Undecided,
            doc: d.label,
            ..Witness::NONE
        };
    }
    best
}

/// Whether a layer (identity policies, boundary) allows: any document suffices.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LayerAllow<'a> {
    /// The value.
    pub tri: Tri,
    /// The best statement.
    pub witness: Witness<'a>,
    /// The value was raised to `Undecided` because the layer is incomplete.
    pub incomplete: bool,
}

/// Scans a layer for an Allow (union of its documents).
pub(crate) fn layer_allows<'a>(layer: &Layer<'a>, req: &Req<'_>) -> LayerAllow<'a> {
    let mut best = Witness::NONE;
    for d in &layer.docs {
        best.offer(best_allow(d, req));
        if best.tri == Tri::True {
            break;
        }
    }
    let incomplete = layer.incomplete && best.tri < Tri::True;
    LayerAllow {
        tri: if incomplete { Tri::Undecided } else { best.tri },
        witness: best,
        incomplete,
    }
}

/// The SCP ceiling: every document must allow (kms-semantics §1.2; the caller flattens the
/// organization's levels into one list).
pub(crate) fn ceiling<'a>(layer: &Layer<'a>, req: &Req<'_>) -> LayerAllow<'a> {
    let mut tri = Tri::True;
    let mut weakest = Witness {
        tri: Tri::True,
        ..Witness::NONE
    };
    for d in &layer.docs {
        let w = best_allow(d, req);
        if w.tri < weakest.tri {
            weakest = w;
        }
        tri = tri.and(w.tri);
        if tri == Tri::False {
            break;
        }
    }
    let incomplete = layer.incomplete && tri == Tri::True;
    LayerAllow {
        tri: if incomplete { Tri::Undecided } else { tri },
        witness: weakest,
        incomplete,
    }
}

/// Best Allow statements of a resource-based document, per way of naming the principal.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RpScan<'a> {
    pub direct_free: Witness<'a>,
    pub direct_role: Witness<'a>,
    pub account: Witness<'a>,
    pub everyone: Witness<'a>,
}

/// Scans the Allow statements of a resource-based document (key policy, trust policy).
pub(crate) fn scan_resource_policy<'a>(
    d: &LabeledDoc<'a>,
    req: &Req<'_>,
    scope: Scope,
) -> RpScan<'a> {
    let doc = d.doc;
    let vars = vars_enabled(doc);
    let mut out = RpScan {
        direct_free: Witness::NONE,
        direct_role: Witness::NONE,
        account: Witness::NONE,
        everyone: Witness::NONE,
    };
    for stmt in &doc.statements {
        if stmt.effect != Effect::Allow {
            continue;
        }
        let action = action_tri(stmt, req.action);
        if action == Tri::False {
            continue;
        }
        let pm = principal_match(stmt, req);
        if pm.any() == Tri::False {
            continue;
        }
        let (tri, parts) = core_with_action(stmt, action, req, false, vars, scope);
        if tri == Tri::False {
            continue;
        }
        let offer = |slot: &mut Witness<'a>, p: Tri| {
            if p == Tri::False {
                return;
            }
            slot.offer(Witness {
                tri: tri.and(p),
                doc: d.label,
                stmt: Some(stmt),
                parts: StmtParts {
                    principal: p,
                    ..parts
                },
                vars,
            });
        };
        offer(&mut out.direct_free, pm.direct_free);
        offer(&mut out.direct_role, pm.direct_role);
        offer(&mut out.account, pm.account);
        offer(&mut out.everyone, pm.everyone);
    }
    out
}
