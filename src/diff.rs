//! Access diff: what a change does to who can read, write and administer each domain.
//!
//! Two finished reports are compared — the estate before the change and after it — so the diff
//! says exactly what the analysis says on each side and nothing more. The before estate comes
//! either from the plan itself ([`before_estate`]: `prior_state` and each change's `before`,
//! mapped by the same plan parser as the after estate) or from a second set of inputs
//! (`keyreach diff --base … --head …`).
//!
//! Each change names its causes: the resources that differ between the two sides and that the
//! changed access depends on — the domain's keys, their key-policy resources, grants and
//! aliases, the stores, the principal and every principal named in its evidence (role chains),
//! with their identity policies, attachments and group memberships, and organization policies.
//! When none of these differ (access changed through something the cause search does not
//! follow), the changed resources of the kinds that decide access are named instead, so a
//! change never comes without a cause.

pub mod gate;
pub mod render;

use crate::analysis::link::Links;
use crate::analysis::result::{AccessEntry, Capability, Report};
use crate::finding::{Finding, Severity};
use crate::model::{Change, Estate, Kind, Location, Resource};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// Rule code of SARIF results for access gained.
pub const ACCESS_GAINED: &str = "KR030";

/// The capabilities of the contract, in report order.
pub const CAPABILITIES: [&str; 3] = ["read", "write", "admin"];

/// What happened to a resource between the two sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceChange {
    /// Only on the after side.
    Create,
    /// On both sides, different.
    Update,
    /// Destroyed and created again (plans).
    Replace,
    /// Only on the before side.
    Delete,
}

impl ResourceChange {
    /// The word used in the output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceChange::Create => "create",
            ResourceChange::Update => "update",
            ResourceChange::Replace => "replace",
            ResourceChange::Delete => "delete",
        }
    }
}

/// A resource whose change caused an access change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Cause {
    /// Input id.
    pub resource: String,
    /// Input type name.
    #[serde(rename = "type")]
    pub type_name: String,
    /// `create`, `update`, `replace` or `delete`.
    pub change: ResourceChange,
    /// Where it is: the after side's place, or the before side's for a deleted resource.
    pub location: Location,
    /// What changed in its policies, for an update: statements added and removed
    /// (`statement Analytics added`), by `Sid` or by position.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub statements: Vec<String>,
}

impl Cause {
    /// The cause a resource's change makes, located at the resource.
    fn of(r: &crate::model::Resource, change: ResourceChange, statements: Vec<String>) -> Self {
        Cause {
            resource: r.id.clone(),
            type_name: r.type_name.clone(),
            change,
            location: r.location.clone(),
            statements,
        }
    }
}

/// One domain, principal and capability whose value changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessChange {
    /// Domain name.
    pub domain: String,
    /// Principal, named as in `domains[].access[]`.
    pub principal: String,
    /// ARN, when known (after side first).
    pub arn: Option<String>,
    /// `read`, `write` or `admin`.
    pub capability: &'static str,
    /// Value before the change.
    pub before: Capability,
    /// Value after the change.
    pub after: Capability,
    /// Resources whose change caused it, sorted by id.
    pub causes: Vec<Cause>,
}

impl AccessChange {
    /// True when the change adds access (`no` → `conditional`/`yes`, `conditional` → `yes`).
    #[must_use]
    pub fn gained(&self) -> bool {
        self.after > self.before
    }
}

/// A domain that exists on one side only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DomainChange {
    /// Domain name.
    pub domain: String,
    /// `created` or `destroyed`.
    pub change: &'static str,
    /// Its keys (on the side where it exists).
    pub keys: Vec<String>,
    /// Its stores (ids).
    pub stores: Vec<String>,
    /// Resources whose change caused it.
    pub causes: Vec<Cause>,
}

/// Where a store is: its domain and its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StorePlace {
    /// Domain name.
    pub domain: String,
    /// Key id or marker.
    pub key: String,
}

/// A store whose key or domain changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoreMove {
    /// Store id.
    pub store: String,
    /// Store type.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Before the change.
    pub before: StorePlace,
    /// After the change.
    pub after: StorePlace,
    /// Resources whose change caused it.
    pub causes: Vec<Cause>,
}

/// The whole diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Changes {
    /// Access changes, sorted by domain, principal, capability.
    pub access_changes: Vec<AccessChange>,
    /// Domains created or destroyed, sorted by name.
    pub domain_changes: Vec<DomainChange>,
    /// Stores that moved between keys or domains, sorted by id.
    pub store_moves: Vec<StoreMove>,
}

impl Changes {
    /// True when nothing changed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.access_changes.is_empty()
            && self.domain_changes.is_empty()
            && self.store_moves.is_empty()
    }

    /// One finding per access gained (rule [`ACCESS_GAINED`]), located at its first cause:
    /// the SARIF results of a diff.
    #[must_use]
    pub fn gained_findings(&self) -> Vec<Finding> {
        self.access_changes
            .iter()
            .filter(|c| c.gained())
            .map(|c| {
                let (resource, location) = match c.causes.first() {
                    Some(cause) => (cause.resource.clone(), cause.location.clone()),
                    None => (c.domain.clone(), Location::file("")),
                };
                let severity = match (c.capability, c.after) {
                    (_, Capability::Conditional) => Severity::Medium,
                    ("write", _) => Severity::Medium,
                    _ => Severity::High,
                };
                let causes: Vec<String> = c
                    .causes
                    .iter()
                    .map(|x| format!("{} ({})", x.resource, x.change.as_str()))
                    .collect();
                let message = format!(
                    "{} gains {} access to domain {} ({} → {}); caused by {}",
                    c.principal,
                    c.capability,
                    c.domain,
                    c.before.as_str(),
                    c.after.as_str(),
                    if causes.is_empty() {
                        "a change outside the input".to_owned()
                    } else {
                        causes.join(", ")
                    }
                );
                Finding::new(
                    ACCESS_GAINED,
                    severity,
                    resource,
                    Some(format!("{}|{}|{}", c.domain, c.principal, c.capability)),
                    message,
                    location,
                )
                .in_domain(Some(&c.domain))
            })
            .collect()
    }

    /// Fills `line` of cause locations that carry only a JSON pointer, reading the JSON inputs
    /// given on the command line (and only those).
    pub fn add_json_lines(&mut self, inputs: &[std::path::PathBuf]) {
        let mut locations: Vec<&mut crate::model::Location> =
            self.causes_mut().map(|c| &mut c.location).collect();
        crate::add_pointer_lines(&mut locations, inputs);
    }

    fn causes_mut(&mut self) -> impl Iterator<Item = &mut Cause> {
        self.access_changes
            .iter_mut()
            .flat_map(|c| c.causes.iter_mut())
            .chain(
                self.domain_changes
                    .iter_mut()
                    .flat_map(|c| c.causes.iter_mut()),
            )
            .chain(
                self.store_moves
                    .iter_mut()
                    .flat_map(|c| c.causes.iter_mut()),
            )
    }
}

/// True when the estate carries a before state that differs from it: a plan that changes,
/// replaces or deletes existing resources, or creates resources next to existing ones.
#[must_use]
pub fn has_before(estate: &Estate) -> bool {
    let existing = estate.prior.iter().any(|r| r.change != Change::Read);
    let changes = estate.resources.iter().chain(&estate.prior).any(|r| {
        matches!(
            r.change,
            Change::Create | Change::Update | Change::Replace | Change::Delete
        )
    });
    existing && changes
}

/// The estate before the change, when the inputs carry one (see [`has_before`]): the plans'
/// prior objects, plus the resources of the other inputs (templates, source), which are the
/// same on both sides.
#[must_use]
pub fn before_estate(estate: &Estate) -> Option<Estate> {
    has_before(estate).then(|| prior_estate(estate))
}

/// The estate before the plans' changes, whatever they are (empty plans' side for a plan that
/// only creates).
#[must_use]
pub fn prior_estate(estate: &Estate) -> Estate {
    let plan_files: HashSet<&str> = estate
        .prior
        .iter()
        .map(|r| r.location.file.as_str())
        .collect();
    let mut resources: Vec<Resource> = estate
        .prior
        .iter()
        .map(|r| {
            let mut r = r.clone();
            // Before the change every prior object exists as it is.
            if r.change != Change::Read {
                r.change = Change::NoOp;
            }
            r
        })
        .collect();
    resources.extend(
        estate
            .resources
            .iter()
            .filter(|r| !plan_files.contains(r.location.file.as_str()))
            .cloned(),
    );
    let mut before = Estate {
        resources,
        prior: Vec::new(),
        notes: estate.notes.clone(),
        context: estate.context.clone(),
        suppressions: estate.suppressions.clone(),
    };
    before.finish();
    before
}

/// One side of the diff: its estate, links and report.
pub struct Side<'a> {
    /// The estate.
    pub estate: &'a Estate,
    /// Its links.
    pub links: &'a Links,
    /// Its report.
    pub report: &'a Report,
}

/// A resource with the locations stripped, for comparing the two sides.
fn fingerprint(r: &Resource) -> String {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.remove("location");
                for x in m.values_mut() {
                    strip(x);
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v = serde_json::json!([r.type_name, r.tags, r.kind]);
    strip(&mut v);
    v.to_string()
}

/// The policy statements of a fingerprint, labelled by `Sid` or position.
fn statements_of(fingerprint: &str) -> Vec<(String, String)> {
    fn walk(v: &serde_json::Value, out: &mut Vec<(String, String)>, depth: u8) {
        if depth > 24 {
            return;
        }
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m {
                    if k == "statements" {
                        if let serde_json::Value::Array(a) = x {
                            for (i, st) in a.iter().enumerate() {
                                let label = match st.get("sid").and_then(|s| s.as_str()) {
                                    Some(sid) if !sid.is_empty() => format!("statement {sid}"),
                                    _ => format!("statement {}", i + 1),
                                };
                                out.push((label, st.to_string()));
                            }
                        }
                    } else {
                        walk(x, out, depth + 1);
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out, depth + 1)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(fingerprint) {
        walk(&v, &mut out, 0);
    }
    out
}

/// Statements added, removed or changed between two fingerprints of one resource.
fn statement_changes(before: &str, after: &str) -> Vec<String> {
    let b = statements_of(before);
    let a = statements_of(after);
    let mut out = Vec::new();
    for (label, text) in &a {
        if b.iter().any(|(_, t)| t == text) {
            continue;
        }
        if b.iter().any(|(l, _)| l == label) {
            out.push(format!("{label} changed"));
        } else {
            out.push(format!("{label} added"));
        }
    }
    for (label, text) in &b {
        if !a.iter().any(|(_, t)| t == text) && !a.iter().any(|(l, _)| l == label) {
            out.push(format!("{label} removed"));
        }
    }
    out.dedup();
    out
}

/// Resources of kinds that never decide access.
fn inert(r: &Resource) -> bool {
    matches!(r.kind, Kind::Other | Kind::CallerIdentity(_))
}

/// The resources that differ between the two sides, by id, and the ids of those among them
/// that decide access by themselves (everything but stores and policy documents, which act
/// through other resources).
fn changed_resources(
    before: &Estate,
    after: &Estate,
) -> (BTreeMap<String, Cause>, BTreeSet<String>) {
    let mut out = BTreeMap::new();
    let mut deciding = BTreeSet::new();
    let decides = |r: &Resource| !matches!(r.kind, Kind::DataStore(_) | Kind::PolicyDocument(_));
    let b: HashMap<&str, &Resource> = before
        .resources
        .iter()
        .map(|r| (r.id.as_str(), r))
        .collect();
    let a: HashMap<&str, &Resource> = after.resources.iter().map(|r| (r.id.as_str(), r)).collect();
    for r in &after.resources {
        if inert(r) {
            continue;
        }
        let (change, statements) = match b.get(r.id.as_str()) {
            None => (ResourceChange::Create, Vec::new()),
            Some(old) => {
                // A plan says which objects it leaves alone (both sides read from one plan).
                if matches!(r.change, Change::NoOp | Change::Read)
                    && old.change == r.change
                    && old.location.file == r.location.file
                {
                    continue;
                }
                let (fb, fa) = (fingerprint(old), fingerprint(r));
                if r.change == Change::Replace {
                    (ResourceChange::Replace, statement_changes(&fb, &fa))
                } else if fb == fa {
                    continue;
                } else {
                    (ResourceChange::Update, statement_changes(&fb, &fa))
                }
            }
        };
        if decides(r) {
            deciding.insert(r.id.clone());
        }
        out.insert(r.id.clone(), Cause::of(r, change, statements));
    }
    for r in &before.resources {
        if inert(r) || a.contains_key(r.id.as_str()) {
            continue;
        }
        if decides(r) {
            deciding.insert(r.id.clone());
        }
        out.insert(
            r.id.clone(),
            Cause::of(r, ResourceChange::Delete, Vec::new()),
        );
    }
    (out, deciding)
}

/// Words of evidence strings that may be resource ids.
fn tokens(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| c.is_whitespace() || c == ';' || c == ',')
        .map(|t| t.trim_matches(|c: char| matches!(c, '(' | ')' | ':' | ',' | ';' | '`' | '\'')))
        .filter(|t| !t.is_empty())
}

/// Indexes of one side used by the cause search.
struct SideIndex<'a> {
    side: &'a Side<'a>,
    /// Attachment-like resources (attachments, memberships, inline policy resources) by the
    /// strings they name: ids in references and known names/ARNs.
    named_by: HashMap<String, Vec<usize>>,
    org: Vec<usize>,
}

impl<'a> SideIndex<'a> {
    fn new(side: &'a Side<'a>) -> Self {
        let mut named_by: HashMap<String, Vec<usize>> = HashMap::new();
        let mut org = Vec::new();
        for (i, r) in side.estate.resources.iter().enumerate() {
            match &r.kind {
                Kind::PolicyAttachment(_)
                | Kind::GroupMembership(_)
                | Kind::InstanceProfile(_)
                | Kind::StoreEncryption(_) => {
                    let v = serde_json::to_value(&r.kind).unwrap_or_default();
                    let mut strings = BTreeSet::new();
                    collect_strings(&v, &mut strings, 0);
                    for s in strings {
                        named_by.entry(s).or_default().push(i);
                    }
                }
                Kind::OrgPolicy(_) | Kind::OrgPolicyAttachment(_) => org.push(i),
                _ => {}
            }
        }
        Self {
            side,
            named_by,
            org,
        }
    }

    fn id(&self, i: usize) -> &str {
        &self.side.estate.resources[i].id
    }

    /// The names a principal or store resource goes by: id, known ARN and name.
    fn names(&self, i: usize) -> Vec<String> {
        let r = &self.side.estate.resources[i];
        let mut out = vec![r.id.clone()];
        let (name, arn) = match &r.kind {
            Kind::Role(x) => (x.name.as_ref(), x.arn.as_ref()),
            Kind::User(x) => (x.name.as_ref(), x.arn.as_ref()),
            Kind::Group(x) => (x.name.as_ref(), x.arn.as_ref()),
            Kind::DataStore(x) => (x.name.as_ref(), x.arn.as_ref()),
            _ => (None, None),
        };
        for v in [name, arn].into_iter().flatten() {
            if let crate::model::Val::Known(s) = v {
                out.push(s.clone());
            }
        }
        out
    }

    /// Adds the ids of everything principal `p` (resource index) depends on.
    fn principal_deps(&self, p: usize, out: &mut BTreeSet<String>) {
        let links = self.side.links;
        out.insert(self.id(p).to_owned());
        for name in self.names(p) {
            for &j in self.named_by.get(&name).into_iter().flatten() {
                out.insert(self.id(j).to_owned());
            }
        }
        for &j in links.inline_of.get(&p).into_iter().flatten() {
            out.insert(self.id(j).to_owned());
        }
        let mut groups: Vec<usize> = links
            .groups_of_user
            .get(&p)
            .into_iter()
            .flatten()
            .copied()
            .collect();
        groups.push(p);
        for g in groups {
            out.insert(self.id(g).to_owned());
            for &j in links.inline_of.get(&g).into_iter().flatten() {
                out.insert(self.id(j).to_owned());
            }
            for (v, att) in links.managed_of.get(&g).into_iter().flatten() {
                if let Some(a) = att {
                    out.insert(self.id(*a).to_owned());
                }
                if let crate::analysis::link::ManagedRef::Customer(m, _) =
                    links.resolve_managed(self.side.estate, v)
                {
                    out.insert(self.id(m).to_owned());
                }
            }
        }
    }

    /// Adds the ids of everything a domain's keys and stores depend on.
    fn domain_deps(&self, domain: &str, out: &mut BTreeSet<String>) {
        let links = self.side.links;
        let Some(d) = self.side.report.domains.iter().find(|d| d.name == domain) else {
            return;
        };
        for k in &d.keys {
            out.insert(k.clone());
            let Some(i) = links.index(k) else { continue };
            if let Some(&p) = links.policy_resource_of_key.get(&i) {
                out.insert(self.id(p).to_owned());
            }
            for &g in links.grants_of_key.get(&i).into_iter().flatten() {
                out.insert(self.id(g).to_owned());
            }
            for &a in links.alias_resources_of_key.get(&i).into_iter().flatten() {
                out.insert(self.id(a).to_owned());
            }
        }
        for s in &d.stores {
            self.store_deps(&s.id, out);
        }
    }

    fn store_deps(&self, store: &str, out: &mut BTreeSet<String>) {
        out.insert(store.to_owned());
        if let Some(i) = self.side.links.index(store) {
            for name in self.names(i) {
                for &j in self.named_by.get(&name).into_iter().flatten() {
                    out.insert(self.id(j).to_owned());
                }
            }
        }
    }

    /// Adds what one access entry depends on: the principal and every principal its evidence
    /// names, with their policies.
    fn entry_deps(&self, e: &AccessEntry, out: &mut BTreeSet<String>) {
        let links = self.side.links;
        let mut principals: BTreeSet<usize> = BTreeSet::new();
        if let Some(i) = links.index(&e.principal) {
            principals.insert(i);
        }
        for v in &e.via {
            for t in tokens(v) {
                out.insert(t.to_owned());
                if let Some(i) = links.index(t) {
                    if matches!(
                        self.side.estate.resources[i].kind,
                        Kind::Role(_) | Kind::User(_) | Kind::Group(_)
                    ) {
                        principals.insert(i);
                    }
                }
            }
        }
        for p in principals {
            self.principal_deps(p, out);
        }
        for &o in &self.org {
            out.insert(self.id(o).to_owned());
        }
    }
}

fn collect_strings(v: &serde_json::Value, out: &mut BTreeSet<String>, depth: u8) {
    if depth > 16 {
        return;
    }
    match v {
        serde_json::Value::String(s) => {
            out.insert(s.clone());
            // An ARN is also known by its last segment (role and user names).
            if s.starts_with("arn:") {
                if let Some(last) = s.rsplit('/').next() {
                    out.insert(last.to_owned());
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out, depth + 1)),
        serde_json::Value::Object(m) => m.values().for_each(|x| collect_strings(x, out, depth + 1)),
        _ => {}
    }
}

/// Picks the causes among the changed resources: those in `deps`, else (never empty) the
/// changed resources of the kinds that decide access.
fn pick(
    changed: &BTreeMap<String, Cause>,
    deps: &BTreeSet<String>,
    fallback: &[Cause],
) -> Vec<Cause> {
    let found: Vec<Cause> = if deps.len() < changed.len() {
        deps.iter()
            .filter_map(|d| changed.get(d).cloned())
            .collect()
    } else {
        changed
            .iter()
            .filter(|(id, _)| deps.contains(*id))
            .map(|(_, c)| c.clone())
            .collect()
    };
    if found.is_empty() {
        fallback.to_vec()
    } else {
        found
    }
}

fn cap_of(e: &AccessEntry, cap: &str) -> Capability {
    match cap {
        "read" => e.read,
        "write" => e.write,
        _ => e.admin,
    }
}

/// Compares two sides.
#[must_use]
pub fn compare(before: &Side<'_>, after: &Side<'_>) -> Changes {
    let (changed, deciding) = changed_resources(before.estate, after.estate);
    let fallback: Vec<Cause> = deciding
        .iter()
        .filter_map(|id| changed.get(id).cloned())
        .collect();
    let bi = SideIndex::new(before);
    let ai = SideIndex::new(after);

    let mut changes = Changes::default();
    let b_domains: BTreeMap<&str, &crate::analysis::result::Domain> = before
        .report
        .domains
        .iter()
        .map(|d| (d.name.as_str(), d))
        .collect();
    let a_domains: BTreeMap<&str, &crate::analysis::result::Domain> = after
        .report
        .domains
        .iter()
        .map(|d| (d.name.as_str(), d))
        .collect();
    let names: BTreeSet<&str> = b_domains.keys().chain(a_domains.keys()).copied().collect();
    for name in &names {
        let (b, a) = (b_domains.get(name), a_domains.get(name));
        // What the domain depends on, computed when the domain has a change.
        let mut ddeps_cell: Option<BTreeSet<String>> = None;
        let mut domain_deps = || -> BTreeSet<String> {
            ddeps_cell
                .get_or_insert_with(|| {
                    let mut deps = BTreeSet::new();
                    bi.domain_deps(name, &mut deps);
                    ai.domain_deps(name, &mut deps);
                    deps
                })
                .clone()
        };
        match (b, a) {
            (None, Some(d)) | (Some(d), None) => {
                changes.domain_changes.push(DomainChange {
                    domain: (*name).to_owned(),
                    change: if b.is_none() { "created" } else { "destroyed" },
                    keys: d.keys.clone(),
                    stores: d.stores.iter().map(|s| s.id.clone()).collect(),
                    causes: pick(&changed, &domain_deps(), &fallback),
                });
            }
            _ => {}
        }
        let none: Vec<AccessEntry> = Vec::new();
        let b_access = b.map_or(&none, |d| &d.access);
        let a_access = a.map_or(&none, |d| &d.access);
        let b_by: BTreeMap<&str, &AccessEntry> =
            b_access.iter().map(|e| (e.principal.as_str(), e)).collect();
        let a_by: BTreeMap<&str, &AccessEntry> =
            a_access.iter().map(|e| (e.principal.as_str(), e)).collect();
        let principals: BTreeSet<&str> = b_by.keys().chain(a_by.keys()).copied().collect();
        for p in principals {
            let (eb, ea) = (b_by.get(p), a_by.get(p));
            let differs: Vec<(&'static str, Capability, Capability)> = CAPABILITIES
                .iter()
                .map(|c| {
                    (
                        *c,
                        eb.map_or(Capability::No, |e| cap_of(e, c)),
                        ea.map_or(Capability::No, |e| cap_of(e, c)),
                    )
                })
                .filter(|(_, x, y)| x != y)
                .collect();
            if differs.is_empty() {
                continue;
            }
            let mut deps = domain_deps();
            if let Some(e) = eb {
                bi.entry_deps(e, &mut deps);
            }
            if let Some(e) = ea {
                ai.entry_deps(e, &mut deps);
            }
            let causes = pick(&changed, &deps, &fallback);
            let arn = ea
                .and_then(|e| e.arn.clone())
                .or_else(|| eb.and_then(|e| e.arn.clone()));
            for (cap, x, y) in differs {
                changes.access_changes.push(AccessChange {
                    domain: (*name).to_owned(),
                    principal: p.to_owned(),
                    arn: arn.clone(),
                    capability: cap,
                    before: x,
                    after: y,
                    causes: causes.clone(),
                });
            }
        }
    }

    // Stores that moved between keys or domains.
    let place = |r: &Report| -> BTreeMap<String, (String, StorePlace)> {
        let mut m = BTreeMap::new();
        for d in &r.domains {
            for s in &d.stores {
                m.insert(
                    s.id.clone(),
                    (
                        s.type_name.clone(),
                        StorePlace {
                            domain: d.name.clone(),
                            key: s.key.clone(),
                        },
                    ),
                );
            }
        }
        m
    };
    let bp = place(before.report);
    let ap = place(after.report);
    for (id, (type_name, after_place)) in &ap {
        let Some((_, before_place)) = bp.get(id) else {
            continue;
        };
        if before_place == after_place {
            continue;
        }
        let mut deps = BTreeSet::new();
        bi.store_deps(id, &mut deps);
        ai.store_deps(id, &mut deps);
        for k in [&before_place.key, &after_place.key] {
            deps.insert(k.clone());
        }
        changes.store_moves.push(StoreMove {
            store: id.clone(),
            type_name: type_name.clone(),
            before: before_place.clone(),
            after: after_place.clone(),
            causes: pick(&changed, &deps, &fallback),
        });
    }
    changes
}

/// Analyses both estates and compares them. Returns the after side's report (without
/// findings) and the changes.
#[must_use]
pub fn diff_estates(before: &Estate, after: &Estate) -> (Report, Changes) {
    let (b, a) = std::thread::scope(|s| {
        let b = s.spawn(|| crate::analysis::analyze_full(before));
        let a = crate::analysis::analyze_full(after);
        (b.join(), a)
    });
    let b = match b {
        Ok(b) => b,
        Err(p) => std::panic::resume_unwind(p),
    };
    let changes = compare(
        &Side {
            estate: before,
            links: &b.links,
            report: &b.report,
        },
        &Side {
            estate: after,
            links: &a.links,
            report: &a.report,
        },
    );
    (a.report, changes)
}
