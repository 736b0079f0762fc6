//! `keyreach explain`: one principal's access to one domain as a tree, one branch per path.
//!
//! The verdicts come from the analysis itself (the report's entries, the engine's decisions and
//! its assume-role edges); the layer and statement detail under them comes from
//! [`eval::trace`], which reads the same matching functions as the decision procedure.

use super::{all_actions, Class, Engine};
use crate::analysis::eval::trace::{self, LayerTrace, StmtTrace, Undecided};
use crate::analysis::eval::{self, AccessPath, EvalContext, KeyCtx, PrincipalCtx};
use crate::analysis::eval::{RoleCtx, Tri};
use crate::analysis::result::{AccessEntry, Capability, PrincipalKind};
use crate::model::{Effect, Kind, Location, Val};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Longest role chain followed (hops).
pub const MAX_HOPS: usize = 8;
/// Most role-chain branches shown per key and capability.
pub const MAX_CHAINS: usize = 12;

/// One node of an explanation tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    /// What the node is: `principal`, `capability`, `key`, `path`, `hop`, `layer`,
    /// `statement`, `grant`, `undecided`, `note`.
    pub kind: &'static str,
    /// The node's text.
    pub text: String,
    /// What the node is about, for tools: the principal (`principal`), the key id (`key`), the
    /// role assumed (`hop`), the statement's Sid or `#index` (`statement`), the action
    /// (`key` nodes carry it in `action`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The KMS action explained (`key` nodes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// The verdict at this node, where it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capability: Option<Capability>,
    /// `allow` or `deny` for statements.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effect: Option<&'static str>,
    /// Where the statement or resource is in the input (file, line, JSON pointer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// For undecided parts: what would decide them (a flag, a variable, a parameter, the
    /// request).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_by: Option<String>,
    /// Children.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Node>,
}

impl Node {
    pub(crate) fn new(kind: &'static str, text: impl Into<String>) -> Self {
        Self {
            kind,
            text: text.into(),
            id: None,
            action: None,
            capability: None,
            effect: None,
            location: None,
            decided_by: None,
            children: Vec::new(),
        }
    }

    pub(crate) fn cap(mut self, c: Capability) -> Self {
        self.capability = Some(c);
        self
    }
}

/// What `explain` asks about.
pub struct Query<'q> {
    /// Key resource indexes of the domain.
    pub keys: &'q [usize],
    /// Principal indexes (of [`Engine::universe`]) to explain.
    pub principals: &'q [usize],
    /// Capabilities to explain.
    pub classes: &'q [Class],
    /// The report's entries of the domain, by principal name.
    pub entries: &'q BTreeMap<String, AccessEntry>,
    /// Services holding stores under each key (key resource index -> service), as the
    /// analysis found them.
    pub services: &'q BTreeMap<usize, BTreeSet<String>>,
}

/// `file:line`, or `file` with its JSON pointer.
#[must_use]
pub fn location_text(l: &Location) -> String {
    match (l.line, &l.pointer) {
        (Some(line), _) => format!("{}:{line}", l.file),
        (None, Some(p)) => format!("{} at {p}", l.file),
        (None, None) => l.file.clone(),
    }
}

fn class_name(c: Class) -> &'static str {
    match c {
        Class::Read => "read",
        Class::Write => "write",
        Class::Admin => "admin",
    }
}

/// The kind as the contract spells it.
#[must_use]
pub fn kind_name(k: PrincipalKind) -> &'static str {
    match k {
        PrincipalKind::Role => "role",
        PrincipalKind::User => "user",
        PrincipalKind::Account => "account",
        PrincipalKind::Service => "service",
        PrincipalKind::Federated => "federated",
        PrincipalKind::Public => "public",
        PrincipalKind::Unknown => "unknown",
    }
}

/// What every key's explanation reads.
struct ExplainCtx<'x, 'a> {
    ctxs: &'x [PrincipalCtx<'a>],
    ectx: &'x EvalContext<'x>,
    rev: &'x super::AssumeGraph,
    via: &'x [super::ViaPath],
}

impl Engine<'_> {
    /// Finds a principal by its contract name, its ARN, or its ARN's last segment.
    #[must_use]
    pub fn find_principal(&self, wanted: &str) -> Option<usize> {
        let ps = &self.universe.principals;
        ps.iter()
            .position(|p| p.name == wanted)
            .or_else(|| ps.iter().position(|p| p.arn.as_deref() == Some(wanted)))
    }

    /// Explains the query: one tree per principal.
    #[must_use]
    pub fn explain(&self, q: &Query<'_>) -> Vec<Node> {
        let ctxs = self.universe.contexts();
        let ectx = EvalContext {
            account_id: Some(self.universe.account.as_str()),
            partition: Some(self.universe.partition.as_str()),
        };
        let rev = self.edges(&ctxs, &ectx);
        let mut out = Vec::new();
        for &p in q.principals {
            let pr = &self.universe.principals[p];
            let entry = q.entries.get(&pr.name);
            let mut root = Node::new(
                "principal",
                match &pr.arn {
                    Some(a) if *a != pr.name => {
                        format!("{} ({}, {a})", pr.name, kind_name(pr.kind))
                    }
                    _ => format!("{} ({})", pr.name, kind_name(pr.kind)),
                },
            );
            root.id = Some(pr.name.clone());
            if let Some(r) = pr.resource {
                root.location = Some(self.estate.resources[r].location.clone());
            }
            if pr.group {
                root.children.push(Node::new(
                    "note",
                    "an IAM group: explained as a member who has only the group's policies",
                ));
            }
            let mut undecided: BTreeMap<String, String> = BTreeMap::new();
            for &class in q.classes {
                let cap = entry.map_or(Capability::No, |e| match class {
                    Class::Read => e.read,
                    Class::Write => e.write,
                    Class::Admin => e.admin,
                });
                let mut cn = Node::new("capability", class_name(class)).cap(cap);
                for &k in q.keys {
                    let key_id = &self.estate.resources[k].id;
                    let per_key = entry.and_then(|e| e.per_key.get(key_id));
                    let services: BTreeSet<&str> = q
                        .services
                        .get(&k)
                        .into_iter()
                        .flatten()
                        .map(String::as_str)
                        .collect();
                    let node = self.with_key_ctx(k, |kctx, region| {
                        let via = super::via_paths(kctx, region, &services);
                        let x = ExplainCtx {
                            ctxs: &ctxs,
                            ectx: &ectx,
                            rev: &rev,
                            via: &via,
                        };
                        self.explain_key(p, class, kctx, per_key, &x, &mut undecided)
                    });
                    if let Some(mut node) = node {
                        node.location = Some(self.estate.resources[k].location.clone());
                        cn.children.push(node);
                    }
                }
                if q.keys.is_empty() {
                    if let Some(e) = entry {
                        for v in &e.via {
                            cn.children.push(Node::new("note", v.clone()));
                        }
                    }
                }
                root.children.push(cn);
            }
            if !undecided.is_empty() {
                let mut un = Node::new("undecided", "left undecided by the input");
                for (what, by) in undecided {
                    let mut n = Node::new("undecided", what);
                    n.decided_by = Some(by);
                    un.children.push(n);
                }
                root.children.push(un);
            }
            out.push(root);
        }
        out
    }

    /// The action explained for a class: the first reaching the strongest verdict the analysis
    /// found on this key, else the first the key supports.
    fn action_for(
        class: Class,
        per_key: Option<&BTreeMap<&'static str, Capability>>,
        kctx: &KeyCtx<'_>,
    ) -> (&'static str, Capability) {
        let mut best: Option<(&'static str, Capability)> = None;
        for (a, c) in all_actions() {
            if c != class || !super::action_applies(a, kctx, kctx.multi_region) {
                continue;
            }
            let cap = per_key
                .and_then(|m| m.get(a))
                .copied()
                .unwrap_or(Capability::No);
            if best.is_none_or(|(_, b)| cap > b) {
                best = Some((a, cap));
            }
        }
        best.unwrap_or(match class {
            Class::Read => ("Decrypt", Capability::No),
            Class::Write => ("Encrypt", Capability::No),
            Class::Admin => ("PutKeyPolicy", Capability::No),
        })
    }

    fn explain_key(
        &self,
        p: usize,
        class: Class,
        kctx: &KeyCtx<'_>,
        per_key: Option<&BTreeMap<&'static str, Capability>>,
        x: &ExplainCtx<'_, '_>,
        undecided: &mut BTreeMap<String, String>,
    ) -> Node {
        let ExplainCtx {
            ctxs,
            ectx,
            rev,
            via,
        } = *x;
        let (action, cap) = Self::action_for(class, per_key, kctx);
        let full = format!("kms:{action}");
        let key_id = kctx.id.unwrap_or("key");
        let mut node = Node::new("key", format!("key {key_id}: {full}")).cap(cap);
        node.id = Some(key_id.to_owned());
        node.action = Some(full.clone());
        // The direct path.
        let direct = eval::decide_capability(&full, &ctxs[p], kctx, &AccessPath::default(), ectx);
        let mut dn = Node::new(
            "path",
            format!("direct call by {}", self.universe.principals[p].name),
        )
        .cap(direct);
        dn.children = self.layers(&full, &ctxs[p], kctx, &AccessPath::default(), undecided);
        node.children.push(dn);
        let mut best = direct;
        // AWS services calling KMS for the principal (`kms:ViaService`), for data actions:
        // shown where they do better than the direct call.
        if class != Class::Admin {
            for v in via {
                let path = v.path();
                let d = eval::decide_capability(&full, &ctxs[p], kctx, &path, ectx);
                let c = if v.in_input {
                    d
                } else {
                    d.and(Capability::Conditional)
                };
                if c <= direct {
                    continue;
                }
                best = best.or(c);
                let text = if v.in_input {
                    format!("through {} (kms:ViaService {})", v.service, v.value)
                } else {
                    format!(
                        "through {} (kms:ViaService {}; no {} store under this key in the input)",
                        v.service, v.value, v.service
                    )
                };
                let mut vn = Node::new("path", text).cap(c);
                vn.children = self.layers(&full, &ctxs[p], kctx, &path, undecided);
                node.children.push(vn);
            }
        }
        // Role chains: shortest assume-role paths to roles that reach the key themselves.
        let mut parent: BTreeMap<usize, usize> = BTreeMap::new();
        let mut depth: BTreeMap<usize, usize> = BTreeMap::new();
        let mut queue = VecDeque::from([p]);
        depth.insert(p, 0);
        let mut chains: Vec<usize> = Vec::new();
        while let Some(c) = queue.pop_front() {
            let d = depth.get(&c).copied().unwrap_or(0);
            if d >= MAX_HOPS {
                continue;
            }
            let mut next: Vec<usize> = rev
                .graph
                .edges_directed(
                    petgraph::graph::NodeIndex::new(c),
                    petgraph::Direction::Outgoing,
                )
                .map(|e| petgraph::visit::EdgeRef::target(&e).index())
                .collect();
            next.sort_unstable();
            next.dedup();
            for r in next {
                if depth.contains_key(&r) {
                    continue;
                }
                depth.insert(r, d + 1);
                parent.insert(r, c);
                queue.push_back(r);
                let role_cap =
                    eval::decide_capability(&full, &ctxs[r], kctx, &AccessPath::default(), ectx);
                if role_cap != Capability::No {
                    chains.push(r);
                }
            }
        }
        let shown = chains.len().min(MAX_CHAINS);
        for &r in &chains[..shown] {
            let mut hops = vec![r];
            let mut cur = r;
            while let Some(&pp) = parent.get(&cur) {
                if pp == p {
                    break;
                }
                hops.push(pp);
                cur = pp;
            }
            hops.reverse();
            let mut caller = p;
            let mut chain_cap = Capability::Yes;
            let mut hop_nodes = Vec::new();
            for &h in &hops {
                let edge_cap = rev
                    .graph
                    .edges_connecting(
                        petgraph::graph::NodeIndex::new(caller),
                        petgraph::graph::NodeIndex::new(h),
                    )
                    .map(|e| e.weight().cap)
                    .max()
                    .unwrap_or(Capability::No);
                chain_cap = chain_cap.and(edge_cap);
                hop_nodes.push(self.hop(caller, h, edge_cap, ctxs, undecided));
                caller = h;
            }
            let role_cap =
                eval::decide_capability(&full, &ctxs[r], kctx, &AccessPath::default(), ectx);
            let path_cap = chain_cap.and(role_cap);
            best = best.or(path_cap);
            let names: Vec<&str> = hops
                .iter()
                .map(|h| self.universe.principals[*h].name.as_str())
                .collect();
            let mut pn = Node::new(
                "path",
                format!("role chain: assumes {}", names.join(" -> ")),
            )
            .cap(path_cap);
            pn.children = hop_nodes;
            let mut as_role = Node::new(
                "path",
                format!("{} calls the key", self.universe.principals[r].name),
            )
            .cap(role_cap);
            as_role.children =
                self.layers(&full, &ctxs[r], kctx, &AccessPath::default(), undecided);
            pn.children.push(as_role);
            node.children.push(pn);
        }
        if chains.len() > shown {
            node.children.push(Node::new(
                "note",
                format!(
                    "(+{} more role chains; `--format json` of `analyze` lists the first of each)",
                    chains.len() - shown
                ),
            ));
        }
        if cap > best {
            node.children.push(
                Node::new(
                    "note",
                    "the remaining access is through grants an AWS service creates for the principal's resources (kms:GrantIsForAWSResource); see `via` in `analyze`",
                )
                .cap(cap),
            );
        }
        node
    }

    /// One assume-role hop with its trust and identity statements.
    fn hop(
        &self,
        caller: usize,
        role: usize,
        cap: Capability,
        ctxs: &[PrincipalCtx<'_>],
        undecided: &mut BTreeMap<String, String>,
    ) -> Node {
        let rp = &self.universe.principals[role];
        let mut n = Node::new(
            "hop",
            format!(
                "{} assumes {}",
                self.universe.principals[caller].name, rp.name
            ),
        )
        .cap(cap);
        n.id = Some(rp.name.clone());
        let Some(ri) = rp.resource else {
            return n;
        };
        let r = &self.estate.resources[ri];
        n.location = Some(r.location.clone());
        let Kind::Role(role_res) = &r.kind else {
            return n;
        };
        let label = format!("trust policy of {}", r.id);
        let trust = self.trust_doc(role_res, &label);
        let rctx = RoleCtx {
            id: Some(&r.id),
            arn: rp.arn.as_deref(),
            account: rp.account.as_deref(),
            trust,
            tags: r.tags.known(),
        };
        let t = trace::trace_assume(&ctxs[caller], &rctx);
        match &t.trust {
            None => n.children.push(
                Node::new("layer", "trust policy: unknown until apply")
                    .cap(Capability::Conditional),
            ),
            Some(l) => {
                n.children
                    .push(self.layer_node("trust policy", l, t.action, false, undecided))
            }
        }
        let c = &ctxs[caller];
        if !matches!(
            c.kind,
            PrincipalKind::Service
                | PrincipalKind::Federated
                | PrincipalKind::Account
                | PrincipalKind::Public
        ) && (!t.identity.statements.is_empty() || t.identity.incomplete)
        {
            n.children.push(self.layer_node(
                "identity policies (needed unless the trust policy names the caller itself)",
                &t.identity,
                t.action,
                false,
                undecided,
            ));
        }
        if let Some(b) = &t.boundary {
            n.children
                .push(self.layer_node("permissions boundary", b, t.action, true, undecided));
        }
        n
    }

    /// The layers AWS evaluates for one KMS request, in order.
    fn layers(
        &self,
        action: &str,
        p: &PrincipalCtx<'_>,
        kctx: &KeyCtx<'_>,
        path: &AccessPath<'_>,
        undecided: &mut BTreeMap<String, String>,
    ) -> Vec<Node> {
        let t = trace::trace_key(action, p, kctx, path);
        let mut out = Vec::new();
        let service_like = matches!(p.kind, PrincipalKind::Service | PrincipalKind::Federated);
        let iam_outside = matches!(p.kind, PrincipalKind::Account | PrincipalKind::Public);
        if service_like {
            out.push(Node::new(
                "layer",
                "SCPs: do not apply to service and federated principals",
            ));
        } else if t.scps.docs.is_empty() {
            out.push(Node::new(
                "layer",
                "SCPs: none in the input (an organization's SCPs outside the input could still deny)",
            ));
        } else {
            out.push(self.layer_node("SCPs (each must allow)", &t.scps, action, true, undecided));
        }
        if t.rcps.docs.is_empty() {
            out.push(Node::new("layer", "RCPs: none in the input"));
        } else {
            out.push(self.layer_node("RCPs (each must allow)", &t.rcps, action, true, undecided));
        }
        match &t.key_policy {
            None => {
                let mut n = Node::new("layer", "key policy: unknown until apply")
                    .cap(Capability::Conditional);
                n.decided_by = Some(
                    "the policy's value: pass the Terraform source next to the plan, or --var / --parameter values it depends on".to_owned(),
                );
                undecided.insert(
                    format!("key policy of {}", kctx.id.unwrap_or("the key")),
                    n.decided_by.clone().unwrap_or_default(),
                );
                out.push(n);
            }
            Some(l) => out.push(self.layer_node("key policy", l, action, false, undecided)),
        }
        if iam_outside {
            out.push(Node::new(
                "layer",
                "identity policies: outside the input (this entry stands for principals whose IAM allows)",
            ));
        } else if service_like {
            out.push(Node::new(
                "layer",
                "identity policies: none needed by a service principal",
            ));
        } else {
            out.push(self.layer_node("identity policies", &t.identity, action, false, undecided));
        }
        match &t.boundary {
            None => out.push(Node::new("layer", "permissions boundary: none")),
            Some(b) => {
                out.push(self.layer_node("permissions boundary", b, action, true, undecided))
            }
        }
        if !service_like && !iam_outside {
            out.push(Node::new(
                "layer",
                "session policies: none in the input (a session policy can only narrow access)",
            ));
        }
        if t.grants.is_empty() {
            out.push(Node::new("layer", "grants: none for this principal"));
        } else {
            let mut g = Node::new("layer", "grants");
            for (label, tri) in &t.grants {
                let mut n = Node::new("grant", format!("grant {label}")).cap(tri.capability());
                // Grant labels are `<id>` or `<id> (<name>)`.
                let id = label.split(" (").next().unwrap_or(label);
                n.location = self
                    .links
                    .index(id)
                    .map(|i| self.estate.resources[i].location.clone());
                if *tri == Tri::Undecided {
                    n.decided_by = Some(
                        "the grant's constraints (encryption context) or values known at apply"
                            .to_owned(),
                    );
                }
                g.children.push(n);
            }
            g.capability = t.grants.iter().map(|(_, t)| t.capability()).max();
            out.push(g);
        }
        out
    }

    /// One layer: its verdict and the statements that may apply.
    fn layer_node(
        &self,
        name: &str,
        l: &LayerTrace,
        action: &str,
        ceiling: bool,
        undecided: &mut BTreeMap<String, String>,
    ) -> Node {
        let deny_true = l
            .statements
            .iter()
            .any(|s| s.effect == Effect::Deny && s.applies == Tri::True);
        let allow = l
            .statements
            .iter()
            .filter(|s| s.effect == Effect::Allow)
            .map(|s| s.applies)
            .max()
            .unwrap_or(Tri::False);
        let allow = if allow < Tri::True && (l.incomplete || l.doc_incomplete) {
            Tri::Undecided
        } else {
            allow
        };
        let (verdict, cap) = if deny_true {
            (
                "denies (an explicit Deny applies)".to_owned(),
                Capability::No,
            )
        } else {
            match allow {
                Tri::True => ("allows".to_owned(), Capability::Yes),
                Tri::Undecided => ("may allow (undecided)".to_owned(), Capability::Conditional),
                Tri::False if ceiling => (
                    format!("blocks: allows nothing of {action}"),
                    Capability::No,
                ),
                Tri::False => (format!("no statement allows {action}"), Capability::No),
            }
        };
        let title = match l.docs.as_slice() {
            [] => format!("{name}: {verdict}"),
            [one] if one.starts_with(name) => format!("{one}: {verdict}"),
            docs => format!("{name} [{}]: {verdict}", docs.join(", ")),
        };
        let single = l.docs.len() == 1;
        let mut n = Node::new("layer", title).cap(cap);
        if l.incomplete {
            n.children.push(Node::new(
                "note",
                "may hold policies the input does not reveal",
            ));
        } else if l.doc_incomplete {
            n.children.push(Node::new(
                "note",
                "a document may hold statements the input does not reveal",
            ));
        }
        for s in &l.statements {
            n.children.push(self.statement_node(s, single, undecided));
        }
        n
    }

    fn statement_node(
        &self,
        s: &StmtTrace,
        single: bool,
        undecided: &mut BTreeMap<String, String>,
    ) -> Node {
        let effect = match s.effect {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
        };
        let word = if s.effect == Effect::Allow {
            "Allow"
        } else {
            "Deny"
        };
        // Under a layer of one document the document is named once, on the layer.
        let mut text = if single {
            format!("statement {}: {word}", s.statement)
        } else {
            format!("{} statement {}: {word}", s.doc, s.statement)
        };
        if let Some(how) = s.names {
            text.push_str(", ");
            text.push_str(how);
        }
        if s.effect == Effect::Deny && s.applies == Tri::Undecided {
            text.push_str(" (may apply; an undecided Deny removes nothing)");
        }
        let mut n = Node::new("statement", text);
        n.id = Some(s.statement.clone());
        if s.effect == Effect::Allow {
            n.capability = Some(s.applies.capability());
        }
        n.effect = Some(effect);
        n.location = s.location.clone();
        for u in &s.undecided {
            let (what, by) = self.decided_by(u);
            let mut c = Node::new("undecided", what.clone());
            c.decided_by = Some(by.clone());
            undecided.entry(what).or_insert(by);
            n.children.push(c);
        }
        n
    }

    /// What an undecided part is and what would decide it.
    fn decided_by(&self, u: &Undecided) -> (String, String) {
        match u {
            Undecided::Action => (
                "action list unknown until apply".to_owned(),
                "the values it is built from (Terraform source, --var, --parameter)".to_owned(),
            ),
            Undecided::Resource => (
                "resource list unknown until apply".to_owned(),
                "the values it is built from (Terraform source, --var, --parameter)".to_owned(),
            ),
            Undecided::Principal => (
                "principal unknown until apply".to_owned(),
                "the values it is built from (Terraform source, --var, --parameter)".to_owned(),
            ),
            Undecided::Condition(c) => {
                let what = format!("condition {} {}", c.operator, c.key);
                (what, condition_decider(c, self))
            }
        }
    }
}

/// What decides a condition the input leaves open.
fn condition_decider(c: &crate::model::Condition, e: &Engine<'_>) -> String {
    let mut refs: BTreeSet<String> = BTreeSet::new();
    for v in &c.values {
        let partial_refs;
        let refs_of: &[crate::model::Reference] = match v {
            Val::Ref(rs) => rs,
            Val::Partial(p) => {
                partial_refs = p.references();
                &partial_refs
            }
            Val::Unknown | Val::Known(_) => &[],
        };
        if !refs_of.is_empty() {
            for r in refs_of {
                let t = &r.target;
                if t == "AWS::Region" || t.starts_with("data.aws_region.") {
                    refs.insert("--region".to_owned());
                } else if t == "AWS::AccountId"
                    || (t.starts_with("data.aws_caller_identity.")
                        && r.attribute.as_deref() == Some("account_id"))
                {
                    refs.insert("--account-id".to_owned());
                } else if t.starts_with("{{resolve:") {
                    refs.insert(format!("the parameter {t} names, declared in the inputs"));
                } else if let Some(name) = t.strip_prefix("var.") {
                    refs.insert(format!("--var {name}=..."));
                } else if e.links.index(t).is_none() && !t.contains('.') {
                    refs.insert(format!("--parameter {t}=..."));
                } else {
                    refs.insert(format!("the value of {r}"));
                }
            }
        } else if matches!(v, Val::Unknown) {
            refs.insert("a value known only after apply".to_owned());
        }
    }
    if !refs.is_empty() {
        return refs.into_iter().collect::<Vec<_>>().join(", ");
    }
    let k = c.key.to_ascii_lowercase();
    let s = match k.as_str() {
        "aws:principalorgid" | "aws:resourceorgid" | "aws:sourceorgid" => "--org-id",
        "aws:principalaccount"
        | "kms:calleraccount"
        | "aws:resourceaccount"
        | "aws:sourceaccount" => "--account-id",
        "aws:requestedregion" => "--region",
        "kms:viaservice" => "--region, and which service calls KMS for the principal",
        "aws:principalorgpaths" | "aws:resourceorgpaths" => {
            "the organization's structure (not in the input)"
        }
        _ if k.starts_with("kms:encryptioncontext") => {
            "the encryption context of each request (chosen by the caller or service)"
        }
        _ if k.starts_with("aws:sourceip")
            || k.starts_with("aws:sourcevpc")
            || k.starts_with("aws:vpcsourceip") =>
        {
            "the network the request comes from"
        }
        _ if k.starts_with("aws:principaltag/") => "the principal's tags (set outside the input)",
        _ if k.starts_with("aws:requesttag/") || k.starts_with("aws:tagkeys") => {
            "the tags in the request"
        }
        _ if k.ends_with(":sub") || k.ends_with(":aud") || k.ends_with(":amr") => {
            "the identity provider's token claims"
        }
        _ if k.starts_with("aws:multifactor") => "whether the session used MFA",
        _ if k.starts_with("aws:currenttime") || k.starts_with("aws:epochtime") => {
            "the time of the request"
        }
        _ => "the request at call time",
    };
    s.to_owned()
}

/// One assume-role edge for pictures: caller name, role name, capability.
pub type Assumption = (String, String, Capability);

impl Engine<'_> {
    /// Every assume-role edge the analysis found, by principal name, sorted.
    #[must_use]
    pub fn assumptions(&self) -> Vec<Assumption> {
        let ctxs = self.universe.contexts();
        let ectx = EvalContext {
            account_id: Some(self.universe.account.as_str()),
            partition: Some(self.universe.partition.as_str()),
        };
        let rev = self.edges(&ctxs, &ectx);
        let mut out: Vec<Assumption> = rev
            .graph
            .edge_indices()
            .filter_map(|e| {
                let (a, b) = rev.graph.edge_endpoints(e)?;
                Some((
                    self.universe.principals[a.index()].name.clone(),
                    self.universe.principals[b.index()].name.clone(),
                    rev.graph[e].cap,
                ))
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }
}
