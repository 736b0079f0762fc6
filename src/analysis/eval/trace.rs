//! Statement traces for `keyreach explain`: every statement of a layer that may apply to one
//! request, with its effect, its three-valued match and the parts the input does not decide.
//!
//! The trace reads the same matching functions as the decision procedure ([`super::decide`]),
//! so what it lists is what the decision weighed; it never changes a decision.

use super::conditions;
use super::grants::grant_tri;
use super::matching::{Req, Target};
use super::statement::{action_tri, core, principal_match, vars_enabled, Scope, IDENTITY};
use super::{AccessPath, KeyCtx, LabeledDoc, Layer, PrincipalCtx, RoleCtx, Tri};
use crate::model::{Condition, Effect, Location, Statement};

const RESOURCE_POLICY: Scope = Scope {
    resource: true,
    principal: true,
};

const TRUST: Scope = Scope {
    resource: false,
    principal: true,
};

/// One part of a statement the input does not decide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Undecided {
    /// The action list holds a value unknown before apply.
    Action,
    /// The resource list holds a value unknown before apply.
    Resource,
    /// The principal element holds a value unknown before apply.
    Principal,
    /// A condition the input does not decide.
    Condition(Condition),
}

/// One statement that may apply to the request.
#[derive(Debug, Clone)]
pub struct StmtTrace {
    /// The document label (`key policy`, `identity policy aws_iam_role_policy.x`, ...).
    pub doc: String,
    /// The statement label (Sid or `#index`).
    pub statement: String,
    /// Allow or Deny.
    pub effect: Effect,
    /// Whether it applies: `True`, or `Undecided` (statements that do not apply are left out).
    pub applies: Tri,
    /// Where it starts in the input, when known.
    pub location: Option<Location>,
    /// What the input leaves undecided about it.
    pub undecided: Vec<Undecided>,
    /// For resource-based policies: how the statement names the principal (`names the
    /// principal`, `delegates to the account's IAM`, `admits everyone`).
    pub names: Option<&'static str>,
}

/// One layer's documents and the statements of them that may apply.
#[derive(Debug, Clone, Default)]
pub struct LayerTrace {
    /// Labels of the documents of the layer.
    pub docs: Vec<String>,
    /// The layer may hold documents the input does not reveal.
    pub incomplete: bool,
    /// Some document may hold statements the input does not reveal.
    pub doc_incomplete: bool,
    /// Statements that may apply, in document order.
    pub statements: Vec<StmtTrace>,
}

fn trace_doc(d: &LabeledDoc<'_>, req: &Req<'_>, scope: Scope, out: &mut Vec<StmtTrace>) {
    let vars = vars_enabled(d.doc);
    for stmt in &d.doc.statements {
        if let Some(t) = trace_stmt(d.label, stmt, req, scope, vars) {
            out.push(t);
        }
    }
}

fn trace_stmt(
    doc: &str,
    stmt: &Statement,
    req: &Req<'_>,
    scope: Scope,
    vars: bool,
) -> Option<StmtTrace> {
    let deny = stmt.effect == Effect::Deny;
    if action_tri(stmt, req.action) == Tri::False {
        return None;
    }
    let mut names = None;
    let principal = if scope.principal {
        let pm = principal_match(stmt, req);
        let p = pm.any();
        if p == Tri::False {
            return None;
        }
        let best = pm.direct_free.or(pm.direct_role);
        names = Some(
            if best != Tri::False && best >= pm.account && best >= pm.everyone {
                "names the principal"
            } else if pm.account != Tri::False && pm.account >= pm.everyone {
                "delegates to the account's IAM"
            } else {
                "admits everyone"
            },
        );
        p
    } else {
        Tri::True
    };
    let (tri, parts) = core(stmt, req, deny, vars, scope);
    let applies = tri.and(principal);
    if applies == Tri::False {
        return None;
    }
    let mut undecided = Vec::new();
    if applies == Tri::Undecided {
        if parts.action == Tri::Undecided {
            undecided.push(Undecided::Action);
        }
        if parts.resource == Tri::Undecided {
            undecided.push(Undecided::Resource);
        }
        if principal == Tri::Undecided {
            undecided.push(Undecided::Principal);
        }
        if parts.conditions == Tri::Undecided {
            for c in &stmt.conditions {
                if conditions::eval(c, req, vars, deny) == Tri::Undecided {
                    undecided.push(Undecided::Condition(c.clone()));
                }
            }
        }
    }
    Some(StmtTrace {
        doc: doc.to_owned(),
        statement: stmt.label(),
        effect: stmt.effect,
        applies,
        location: stmt.location.clone(),
        undecided,
        names,
    })
}

fn trace_layer(layer: &Layer<'_>, req: &Req<'_>, scope: Scope) -> LayerTrace {
    let mut t = LayerTrace {
        docs: layer.docs.iter().map(|d| d.label.to_owned()).collect(),
        incomplete: layer.incomplete,
        doc_incomplete: layer.docs.iter().any(|d| d.doc.incomplete),
        statements: Vec::new(),
    };
    for d in &layer.docs {
        trace_doc(d, req, scope, &mut t.statements);
    }
    t
}

/// The layers of one KMS request, as AWS evaluates them.
#[derive(Debug, Clone, Default)]
pub struct KeyTrace {
    /// Service control policies of the principal's account.
    pub scps: LayerTrace,
    /// Resource control policies of the key's account.
    pub rcps: LayerTrace,
    /// The key policy (`None` when unknown until apply).
    pub key_policy: Option<LayerTrace>,
    /// The principal's identity policies.
    pub identity: LayerTrace,
    /// The permissions boundary (`None`: no boundary).
    pub boundary: Option<LayerTrace>,
    /// Grants on the key that may let the principal call the action: label and match.
    pub grants: Vec<(String, Tri)>,
}

/// Traces every layer of `action` by `principal` on `key`, by `path` (a direct call, or an
/// AWS service calling for the principal).
#[must_use]
pub fn trace_key(
    action: &str,
    principal: &PrincipalCtx<'_>,
    key: &KeyCtx<'_>,
    path: &AccessPath<'_>,
) -> KeyTrace {
    let req = Req {
        action,
        principal,
        target: Target::Key(key),
        path,
    };
    KeyTrace {
        scps: trace_layer(&principal.scps, &req, IDENTITY),
        rcps: trace_layer(&key.rcps, &req, RESOURCE_POLICY),
        key_policy: key.policy.as_ref().map(|d| {
            let mut t = LayerTrace {
                docs: vec![d.label.to_owned()],
                doc_incomplete: d.doc.incomplete,
                ..LayerTrace::default()
            };
            trace_doc(d, &req, RESOURCE_POLICY, &mut t.statements);
            t
        }),
        identity: trace_layer(&principal.identity, &req, IDENTITY),
        boundary: principal
            .boundary
            .as_ref()
            .map(|b| trace_layer(b, &req, IDENTITY)),
        grants: key
            .grants
            .iter()
            .filter_map(|g| {
                let t = grant_tri(g, principal, action);
                (t != Tri::False).then(|| (g.label.to_owned(), t))
            })
            .collect(),
    }
}

/// The layers of one role assumption: the trust policy and the caller's identity side.
#[derive(Debug, Clone, Default)]
pub struct AssumeTrace {
    /// The STS action.
    pub action: &'static str,
    /// Trust policy statements that may admit the caller (`None`: unknown until apply).
    pub trust: Option<LayerTrace>,
    /// The caller's identity policies for the STS action on the role.
    pub identity: LayerTrace,
    /// The caller's permissions boundary.
    pub boundary: Option<LayerTrace>,
}

/// Traces `caller` assuming `role`.
#[must_use]
pub fn trace_assume(caller: &PrincipalCtx<'_>, role: &RoleCtx<'_>) -> AssumeTrace {
    let action = super::assume::assume_action(caller);
    let path = AccessPath::default();
    let req = Req {
        action,
        principal: caller,
        target: Target::Role(role),
        path: &path,
    };
    AssumeTrace {
        action,
        trust: role.trust.as_ref().map(|d| {
            let mut t = LayerTrace {
                docs: vec![d.label.to_owned()],
                doc_incomplete: d.doc.incomplete,
                ..LayerTrace::default()
            };
            trace_doc(d, &req, TRUST, &mut t.statements);
            t
        }),
        identity: trace_layer(&caller.identity, &req, IDENTITY),
        boundary: caller
            .boundary
            .as_ref()
            .map(|b| trace_layer(b, &req, IDENTITY)),
    }
}
