//! The KMS decision procedure of kms-semantics §1.2 for one principal, action and key.
//!
//! Order: the cross-account restriction (administrative actions never work across accounts),
//! certain explicit Denies in identity policies, boundary, SCPs and RCPs, the SCP ceiling, then
//! the allow paths — key policy naming the principal or `*`, delegation to the principal's
//! account plus its IAM allow, grants — each three-valued. Key-policy Denies cut the key-policy
//! paths but not grants (grants cannot be denied by the key policy). An undecided Deny removes
//! nothing; an undecided Allow makes the path `conditional`.
//!
//! Principal kinds: `Account` stands for "principals of that account whose IAM allows" and
//! `Public` for "any principal of any account": their own IAM is outside the input, so the key
//! policy (or a grant) decides for them, and specific principals named in the key policy do not
//! count for them. `Public` is always read as another account. Service and federated principals
//! need nothing beyond the key policy and are not bound by SCPs.

use super::actions::kms_action;
use super::evidence::{Ev, Trail};
use super::grants::grant_tri;
use super::matching::{account_principal, Req, Target};
use super::statement::{
    action_tri, ceiling, denies, layer_allows, layer_denies, scan_resource_policy, LayerAllow,
    RpScan, Scope, Witness, IDENTITY,
};
use super::{
    AccessPath, Decision, EvalContext, GrantCtx, KeyCtx, LabeledDoc, Layer, PrincipalCtx, Tri,
};
use crate::analysis::result::{Capability, PrincipalKind};

const RESOURCE_POLICY: Scope = Scope {
    resource: true,
    principal: true,
};

pub(super) fn decide(
    action: &str,
    principal: &PrincipalCtx<'_>,
    key: &KeyCtx<'_>,
    path: &AccessPath<'_>,
    _ctx: &EvalContext<'_>,
    explain: bool,
) -> Decision {
    let req = Req {
        action,
        principal,
        target: Target::Key(key),
        path,
    };
    let info = kms_action(action);
    let retire = info.is_some_and(|a| a.name == "RetireGrant");
    let spec = |same: bool| Spec {
        req: &req,
        same,
        policy: key.policy.as_ref(),
        policy_name: "key policy",
        scope: RESOURCE_POLICY,
        // RCPs do not apply to kms:RetireGrant (even through kms:*) [K-RCP].
        rcps: (!retire).then_some(&key.rcps),
        grants: &key.grants,
        explain,
    };
    let cross_ok = info.is_none_or(|a| a.cross_account);
    let run_one = |same: bool| {
        if !same && !service_like(principal.kind) && !cross_ok {
            return no();
        }
        run(&spec(same))
    };
    match same_account(principal, key.account) {
        Some(same) => run_one(same),
        None => merge_unknown_account(run_one(true), run_one(false)),
    }
}

/// Everything about `action` that [`decide`] reads for this principal and key, written to
/// `out`: how each statement of every layer and of the key policy matches the action, how
/// each grant matches it, and the action's own properties (cross-account, `RetireGrant`, a
/// grant operation for `kms:GrantIsForAWSResource`). Two actions with the same signature get
/// the same decision, evidence included.
pub(super) fn action_signature(
    action: &str,
    principal: &PrincipalCtx<'_>,
    key: &KeyCtx<'_>,
    out: &mut Vec<u8>,
) {
    out.clear();
    let info = kms_action(action);
    let name = info.map(|a| a.name);
    out.push(u8::from(info.is_none_or(|a| a.cross_account)));
    out.push(u8::from(name == Some("RetireGrant")));
    out.push(u8::from(matches!(
        name,
        Some("CreateGrant" | "ListGrants" | "RevokeGrant")
    )));
    let mut layer = |l: &Layer<'_>| {
        for d in &l.docs {
            for stmt in &d.doc.statements {
                out.push(action_tri(stmt, action) as u8);
            }
        }
    };
    layer(&principal.identity);
    if let Some(b) = &principal.boundary {
        layer(b);
    }
    layer(&principal.scps);
    layer(&key.rcps);
    if let Some(d) = &key.policy {
        for stmt in &d.doc.statements {
            out.push(action_tri(stmt, action) as u8);
        }
    }
    for g in &key.grants {
        out.push(grant_tri(g, principal, action) as u8);
    }
}

/// Whether principal and resource are in one account (`None` when not decided).
pub(super) fn same_account(p: &PrincipalCtx<'_>, resource_account: Option<&str>) -> Option<bool> {
    match p.kind {
        PrincipalKind::Public => Some(false),
        PrincipalKind::Service | PrincipalKind::Federated => Some(true),
        PrincipalKind::Role
        | PrincipalKind::User
        | PrincipalKind::Account
        | PrincipalKind::Unknown => match (p.account, resource_account) {
            (Some(a), Some(b)) => match super::matching::account_tri(a, b) {
                Tri::True => Some(true),
                Tri::False => Some(false),
                Tri::Undecided => None,
            },
            _ => None,
        },
    }
}

/// Both readings agree: keep one; they differ: `conditional`.
pub(super) fn merge_unknown_account(a: Decision, b: Decision) -> Decision {
    if a.capability == b.capability {
        return a;
    }
    let (strong, _) = if a.capability >= b.capability {
        (a, b)
    } else {
        (b, a)
    };
    let mut evidence = strong.evidence;
    let note = "same-account or cross-account not decided: principal or key account unknown";
    if !evidence.iter().any(|e| e == note) {
        evidence.push(note.to_owned());
    }
    Decision {
        capability: Capability::Conditional,
        evidence,
    }
}

fn no() -> Decision {
    Decision::default()
}

/// Kinds whose own IAM is outside the input (their entry means "whose IAM allows").
fn iam_outside(kind: PrincipalKind) -> bool {
    matches!(kind, PrincipalKind::Account | PrincipalKind::Public)
}

fn service_like(kind: PrincipalKind) -> bool {
    matches!(kind, PrincipalKind::Service | PrincipalKind::Federated)
}

/// One allow path, kept as references until the decision is known.
#[derive(Clone, Copy)]
enum Path<'a> {
    /// Key policy names the principal (or `*`) in a way no boundary limits.
    Direct(Witness<'a>),
    /// Key policy names the role by ARN (boundary applies).
    DirectRole(Witness<'a>),
    /// Key policy names the account: delegation to its IAM.
    Delegated(Witness<'a>),
    /// Key policy (or part of it) unknown.
    UnknownPolicy { incomplete_doc: Option<&'a str> },
    /// A grant.
    Grant(&'a GrantCtx<'a>, Tri),
}

/// The allow paths found (at most one per kind).
#[derive(Default)]
struct Paths<'a> {
    items: [Option<(Path<'a>, Tri)>; 6],
    n: usize,
}

impl<'a> Paths<'a> {
    fn add(&mut self, path: Path<'a>, tri: Tri) {
        if tri != Tri::False && self.n < self.items.len() {
            self.items[self.n] = Some((path, tri));
            self.n += 1;
        }
    }
}

/// Home-account requirements: identity policies and boundary.
#[derive(Clone, Copy)]
struct Home<'a> {
    identity: Option<LayerAllow<'a>>,
    boundary: Option<LayerAllow<'a>>,
}

impl Home<'_> {
    fn identity_tri(&self) -> Tri {
        self.identity.map_or(Tri::True, |l| l.tri)
    }
    fn boundary_tri(&self) -> Tri {
        self.boundary.map_or(Tri::True, |l| l.tri)
    }
}

/// What one decision evaluates: the request, its resource-based policy, RCPs and grants.
pub(super) struct Spec<'r, 'a> {
    pub req: &'r Req<'a>,
    /// Principal and resource in one account.
    pub same: bool,
    /// The resource-based policy (`None`: unknown until apply).
    pub policy: Option<&'r LabeledDoc<'a>>,
    /// Its name in evidence when unknown.
    pub policy_name: &'static str,
    /// How its statements are scoped.
    pub scope: Scope,
    /// RCPs of the resource's account, when they apply.
    pub rcps: Option<&'r Layer<'a>>,
    /// Grants on the resource.
    pub grants: &'r [GrantCtx<'a>],
    /// Whether to gather evidence (otherwise only the capability is decided).
    pub explain: bool,
}

/// Runs the decision procedure for one reading of same/cross account.
pub(super) fn run(spec: &Spec<'_, '_>) -> Decision {
    let req = spec.req;
    let same = spec.same;
    let p = req.principal;
    let kind = p.kind;
    // Certain explicit denies outside the key policy.
    if layer_denies(&p.identity, req, IDENTITY) {
        return no();
    }
    if p.boundary
        .as_ref()
        .is_some_and(|b| layer_denies(b, req, IDENTITY))
    {
        return no();
    }
    if !service_like(kind) && layer_denies(&p.scps, req, IDENTITY) {
        return no();
    }
    if spec
        .rcps
        .is_some_and(|r| layer_denies(r, req, RESOURCE_POLICY))
    {
        return no();
    }
    let scp = if service_like(kind) {
        None
    } else {
        Some(ceiling(&p.scps, req))
    };
    if scp.is_some_and(|s| s.tri == Tri::False) {
        return no();
    }

    // Home-account requirements, computed only when a path needs them.
    let needs_home = !iam_outside(kind) && !service_like(kind);
    let mut home_cache: Option<Home<'_>> = None;
    let mut home = || -> Home<'_> {
        *home_cache.get_or_insert_with(|| Home {
            identity: Some(layer_allows(&p.identity, req)),
            boundary: p.boundary.as_ref().map(|b| layer_allows(b, req)),
        })
    };

    let mut paths = Paths::default();

    let kp_denied = spec.policy.is_some_and(|d| denies(d.doc, req, spec.scope));
    if !kp_denied {
        match spec.policy {
            None => {
                let tri = if needs_home && !same {
                    let h = home();
                    Tri::Undecided.and(h.identity_tri()).and(h.boundary_tri())
                } else {
                    Tri::Undecided
                };
                paths.add(
                    Path::UnknownPolicy {
                        incomplete_doc: None,
                    },
                    tri,
                );
            }
            Some(d) => {
                let scan: RpScan<'_> = scan_resource_policy(d, req, spec.scope);
                if iam_outside(kind) {
                    paths.add(Path::Delegated(scan.account), scan.account.tri);
                    paths.add(Path::Direct(scan.everyone), scan.everyone.tri);
                } else if service_like(kind) {
                    paths.add(Path::Direct(scan.direct_free), scan.direct_free.tri);
                    paths.add(Path::Direct(scan.everyone), scan.everyone.tri);
                } else if same {
                    paths.add(Path::Direct(scan.direct_free), scan.direct_free.tri);
                    paths.add(Path::Direct(scan.everyone), scan.everyone.tri);
                    if scan.direct_role.tri != Tri::False {
                        let tri = scan.direct_role.tri.and(home().boundary_tri());
                        paths.add(Path::DirectRole(scan.direct_role), tri);
                    }
                    if scan.account.tri != Tri::False {
                        let h = home();
                        let tri = scan.account.tri.and(h.identity_tri()).and(h.boundary_tri());
                        paths.add(Path::Delegated(scan.account), tri);
                    }
                } else {
                    // Cross-account: the key policy must admit the principal (by ARN, account
                    // or `*`) and its home IAM must allow.
                    let mut admit = scan.direct_free;
                    admit.offer(scan.everyone);
                    admit.offer(scan.direct_role);
                    let deleg = scan.account;
                    if admit.tri != Tri::False || deleg.tri != Tri::False {
                        let h = home();
                        let home_tri = h.identity_tri().and(h.boundary_tri());
                        if admit.tri != Tri::False {
                            paths.add(Path::Direct(admit), admit.tri.and(home_tri));
                        }
                        if deleg.tri != Tri::False {
                            paths.add(Path::Delegated(deleg), deleg.tri.and(home_tri));
                        }
                    }
                }
                if d.doc.incomplete {
                    let tri = if needs_home && !same {
                        let h = home();
                        Tri::Undecided.and(h.identity_tri()).and(h.boundary_tri())
                    } else {
                        Tri::Undecided
                    };
                    paths.add(
                        Path::UnknownPolicy {
                            incomplete_doc: Some(d.label),
                        },
                        tri,
                    );
                }
            }
        }
    }

    // Grants: allow alone, in any account.
    let mut best_grant: Option<(&GrantCtx<'_>, Tri)> = None;
    for g in spec.grants {
        let t = grant_tri(g, p, req.action);
        if t > best_grant.map_or(Tri::False, |b| b.1) {
            best_grant = Some((g, t));
            if t == Tri::True {
                break;
            }
        }
    }
    if let Some((g, t)) = best_grant {
        paths.add(Path::Grant(g, t), t);
    }

    let best = paths
        .items
        .iter()
        .flatten()
        .map(|(_, t)| *t)
        .max()
        .unwrap_or(Tri::False);
    let scp_tri = scp.map_or(Tri::True, |s| s.tri);
    let result = best.and(scp_tri);
    if result == Tri::False {
        return no();
    }
    if !spec.explain {
        return Decision {
            capability: result.capability(),
            evidence: Vec::new(),
        };
    }

    // Evidence, only now that the answer is not `no`.
    let home = home_cache;
    let mut trail = Trail::default();
    for (path, tri) in paths.items.iter().flatten() {
        if *tri != best {
            continue;
        }
        explain_path(
            *path,
            *tri,
            same,
            spec.policy_name,
            p,
            home,
            req,
            &mut trail,
        );
    }
    if let Some(s) = scp {
        if s.tri == Tri::Undecided {
            explain_layer(s, "SCPs", req, &mut trail);
        }
    }
    Decision {
        capability: result.capability(),
        evidence: trail.render(),
    }
}

fn explain_layer<'a>(l: LayerAllow<'a>, what: &'static str, req: &Req<'_>, trail: &mut Trail<'a>) {
    if l.incomplete {
        trail.push(Ev::LayerIncomplete { what });
    } else if let Some(stmt) = l.witness.stmt {
        l.witness.explain(
            trail,
            req,
            Ev::Stmt {
                doc: l.witness.doc,
                stmt,
            },
        );
    } else {
        trail.push(Ev::DocIncomplete { doc: l.witness.doc });
    }
}

fn explain_home<'a>(
    home: Option<Home<'a>>,
    with_identity: bool,
    req: &Req<'_>,
    trail: &mut Trail<'a>,
) {
    let Some(h) = home else {
        return;
    };
    if with_identity {
        if let Some(id) = h.identity {
            if id.incomplete {
                if let (Some(stmt), Tri::Undecided) = (id.witness.stmt, id.witness.tri) {
                    id.witness.explain(
                        trail,
                        req,
                        Ev::Identity {
                            doc: id.witness.doc,
                            stmt,
                        },
                    );
                }
                trail.push(Ev::IdentityIncomplete);
            } else if let Some(stmt) = id.witness.stmt {
                id.witness.explain(
                    trail,
                    req,
                    Ev::Identity {
                        doc: id.witness.doc,
                        stmt,
                    },
                );
            } else if id.tri != Tri::False {
                trail.push(Ev::DocIncomplete {
                    doc: id.witness.doc,
                });
            }
        }
    }
    if let Some(b) = h.boundary {
        if b.tri == Tri::Undecided {
            explain_layer(b, "permissions boundary", req, trail);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn explain_path<'a>(
    path: Path<'a>,
    tri: Tri,
    same: bool,
    policy_name: &'static str,
    p: &PrincipalCtx<'a>,
    home: Option<Home<'a>>,
    req: &Req<'_>,
    trail: &mut Trail<'a>,
) {
    let cross_home = !same && !iam_outside(p.kind) && !service_like(p.kind);
    match path {
        Path::Direct(w) => {
            if let Some(stmt) = w.stmt {
                w.explain(trail, req, Ev::Stmt { doc: w.doc, stmt });
            }
            if cross_home {
                explain_home(home, true, req, trail);
            }
        }
        Path::DirectRole(w) => {
            if let Some(stmt) = w.stmt {
                w.explain(trail, req, Ev::Stmt { doc: w.doc, stmt });
            }
            explain_home(home, cross_home, req, trail);
        }
        Path::Delegated(w) => {
            if let Some(stmt) = w.stmt {
                let account = p.account.or_else(|| statement_account(stmt));
                w.explain(
                    trail,
                    req,
                    Ev::Delegated {
                        account,
                        doc: w.doc,
                        stmt,
                    },
                );
            }
            if !iam_outside(p.kind) {
                explain_home(home, true, req, trail);
            }
        }
        Path::UnknownPolicy { incomplete_doc } => {
            match incomplete_doc {
                Some(doc) => trail.push(Ev::DocIncomplete { doc }),
                None => trail.push(Ev::Unknown { what: policy_name }),
            }
            if cross_home && tri != Tri::False {
                explain_home(home, true, req, trail);
            }
        }
        Path::Grant(g, t) => {
            trail.push(Ev::Grant { label: g.label });
            if t == Tri::Undecided {
                if g.constrained {
                    trail.push(Ev::GrantConstrained { label: g.label });
                }
                if g.operations.is_none() || (g.grantee_arn.is_none() && g.grantee_id.is_none()) {
                    trail.push(Ev::GrantUnknown { label: g.label });
                }
            }
        }
    }
}

/// The account an account-principal statement names (for evidence when the principal's
/// account is unknown).
fn statement_account(stmt: &crate::model::Statement) -> Option<&str> {
    use crate::model::{Principals, Val};
    match &stmt.principal {
        Some(Principals::Map(entries)) => entries.iter().find_map(|(_, v)| match v {
            Val::Known(s) => account_principal(s),
            Val::Unknown | Val::Ref(_) | Val::Partial(_) => None,
        }),
        _ => None,
    }
}
