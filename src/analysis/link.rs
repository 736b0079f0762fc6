//! Links between resources: which key a store, alias or grant names; which policies apply to
//! which principal; which groups a user is in; which org policies bind which account.
//!
//! Every reference form is resolved here once, with indexes built once (by id, ARN, name,
//! key id, alias name), so no later stage does a quadratic join. Keys are named in many forms
//! (kms-semantics §9): key id, key ARN, alias name, alias ARN, `alias/aws/<svc>` for AWS managed
//! keys, or a reference to a resource whose value is not known before apply.

use crate::model::{Encryption, Estate, Kind, PolicyDocument, Reference, VStr, Val};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What a key reference resolves to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyTarget {
    /// A customer managed key of the input (resource index).
    Key(usize),
    /// Anything that is not a key of the input.
    Other(KeyMarker),
}

/// A key that is not a customer key of the input.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum KeyMarker {
    /// An AWS managed key (`aws/s3`).
    AwsManaged(String),
    /// An AWS owned key or service-managed encryption.
    AwsOwned,
    /// No encryption at rest.
    Unencrypted,
    /// A key outside the input, named as written (ARN, id or alias).
    External(String),
    /// Not known before apply.
    Unknown,
}

impl KeyMarker {
    /// The contract's key marker (`aws-managed:aws/s3`, `aws-owned`, `none`, the key as
    /// written, `unknown`).
    #[must_use]
    pub fn as_string(&self) -> String {
        match self {
            KeyMarker::AwsManaged(a) => format!("aws-managed:{a}"),
            KeyMarker::AwsOwned => "aws-owned".to_owned(),
            KeyMarker::Unencrypted => "none".to_owned(),
            KeyMarker::External(s) => s.clone(),
            KeyMarker::Unknown => "unknown".to_owned(),
        }
    }
}

impl KeyTarget {
    /// The key's id when it is a key of the input, else the contract's marker.
    #[must_use]
    pub fn marker(&self, estate: &Estate) -> String {
        match self {
            KeyTarget::Key(i) => estate.resources[*i].id.clone(),
            KeyTarget::Other(m) => m.as_string(),
        }
    }
}

/// The state of a policy after resolving references to policy-document data sources.
#[derive(Debug, Clone, Copy)]
pub enum DocState<'a> {
    /// Known document.
    Known(&'a PolicyDocument),
    /// Unknown until apply.
    Unknown,
}

/// A managed policy ARN resolved.
#[derive(Debug, Clone)]
pub enum ManagedRef<'a> {
    /// A customer managed policy of the input.
    Customer(usize, DocState<'a>),
    /// An AWS managed policy keyreach carries.
    Aws(String, &'static PolicyDocument),
    /// An AWS managed policy keyreach does not carry, or a policy outside the input.
    Outside(String),
    /// Not known before apply.
    Unknown,
}

/// All links of an estate.
#[derive(Debug, Default)]
pub struct Links {
    by_id: HashMap<String, usize>,
    by_arn: HashMap<String, usize>,
    role_by_name: HashMap<String, usize>,
    user_by_name: HashMap<String, usize>,
    group_by_name: HashMap<String, usize>,
    policy_by_name: HashMap<String, usize>,
    key_by_key_id: HashMap<String, usize>,
    alias_by_name: HashMap<String, usize>,
    store_by_name: HashMap<String, usize>,
    /// Store (resource index) -> its encryption, after separate encryption resources applied.
    pub store_encryption: BTreeMap<usize, Encryption>,
    /// Key resource index -> alias names pointing at it (sorted).
    pub aliases_of_key: BTreeMap<usize, Vec<String>>,
    /// Key resource index -> alias resource indexes pointing at it.
    pub alias_resources_of_key: BTreeMap<usize, Vec<usize>>,
    /// Key resource index -> grant resource indexes on it.
    pub grants_of_key: BTreeMap<usize, Vec<usize>>,
    /// Key resource index -> `aws_kms_key_policy` resource index that sets its policy.
    pub policy_resource_of_key: BTreeMap<usize, usize>,
    /// Principal (role/user/group) index -> inline policy resource indexes attached.
    pub inline_of: BTreeMap<usize, Vec<usize>>,
    /// Principal (role/user/group) index -> managed policy ARNs or refs attached, with the
    /// attachment resource index (None when declared in the principal itself).
    pub managed_of: BTreeMap<usize, Vec<(VStr, Option<usize>)>>,
    /// Principal index -> boundaries set by attachment resources.
    pub boundary_of: BTreeMap<usize, Vec<VStr>>,
    /// User index -> group indexes.
    pub groups_of_user: BTreeMap<usize, BTreeSet<usize>>,
    /// Instance profile index -> role indexes.
    pub roles_of_profile: BTreeMap<usize, Vec<usize>>,
    /// Principals whose attachment lists may be incomplete (an attachment target unknown).
    pub attachments_unknown: bool,
}

/// Extracts the account id from an ARN (`arn:aws:iam::123456789012:role/x`).
#[must_use]
pub fn arn_account(arn: &str) -> Option<&str> {
    let mut parts = arn.splitn(6, ':');
    if parts.next()? != "arn" {
        return None;
    }
    let _partition = parts.next()?;
    let _service = parts.next()?;
    let _region = parts.next()?;
    let account = parts.next()?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// True for a 12-digit account id.
#[must_use]
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn last_segment(s: &str) -> &str {
    s.rsplit('/').next().unwrap_or(s)
}

impl Links {
    /// Builds every index and link of the estate.
    #[must_use]
    pub fn build(estate: &Estate) -> Self {
        let mut l = Links::default();
        for (i, r) in estate.resources.iter().enumerate() {
            l.by_id.insert(r.id.clone(), i);
            let mut arn = |v: &Option<VStr>| {
                if let Some(Val::Known(a)) = v {
                    l.by_arn.entry(a.clone()).or_insert(i);
                }
            };
            match &r.kind {
                Kind::Key(k) => {
                    arn(&k.arn);
                    if let Some(Val::Known(id)) = &k.key_id {
                        l.key_by_key_id.entry(id.clone()).or_insert(i);
                    }
                }
                Kind::Role(x) => {
                    arn(&x.arn);
                    if let Some(Val::Known(n)) = &x.name {
                        l.role_by_name.entry(n.clone()).or_insert(i);
                    }
                }
                Kind::User(x) => {
                    arn(&x.arn);
                    if let Some(Val::Known(n)) = &x.name {
                        l.user_by_name.entry(n.clone()).or_insert(i);
                    }
                }
                Kind::Group(x) => {
                    arn(&x.arn);
                    if let Some(Val::Known(n)) = &x.name {
                        l.group_by_name.entry(n.clone()).or_insert(i);
                    }
                }
                Kind::ManagedPolicy(x) => {
                    arn(&x.arn);
                    if let Some(Val::Known(n)) = &x.name {
                        l.policy_by_name.entry(n.clone()).or_insert(i);
                    }
                }
                Kind::Alias(a) => {
                    arn(&a.arn);
                    if let Val::Known(n) = &a.name {
                        l.alias_by_name.entry(n.clone()).or_insert(i);
                    }
                }
                Kind::InstanceProfile(x) => arn(&x.arn),
                Kind::IdentityProvider(x) => arn(&x.arn),
                Kind::DataStore(x) => {
                    arn(&x.arn);
                    if let Some(Val::Known(n)) = &x.name {
                        l.store_by_name.entry(n.clone()).or_insert(i);
                    }
                }
                _ => {}
            }
        }
        l.link(estate);
        l
    }

    fn link(&mut self, estate: &Estate) {
        for (i, r) in estate.resources.iter().enumerate() {
            match &r.kind {
                Kind::DataStore(s) => {
                    self.store_encryption
                        .entry(i)
                        .or_insert_with(|| s.encryption.clone());
                }
                Kind::StoreEncryption(se) => {
                    if let Some(store) = self.resolve_store(&se.store) {
                        self.store_encryption.insert(store, se.encryption.clone());
                    }
                }
                Kind::Alias(a) => {
                    if let Some(KeyTarget::Key(k)) =
                        self.resolve_key_value(estate, &a.target_key, 0)
                    {
                        if let Val::Known(n) = &a.name {
                            self.aliases_of_key.entry(k).or_default().push(n.clone());
                        }
                        self.alias_resources_of_key.entry(k).or_default().push(i);
                    }
                }
                Kind::Grant(g) => {
                    if let Some(KeyTarget::Key(k)) = self.resolve_key_value(estate, &g.key, 0) {
                        self.grants_of_key.entry(k).or_default().push(i);
                    }
                }
                Kind::KeyPolicy(p) => {
                    if let Some(KeyTarget::Key(k)) = self.resolve_key_value(estate, &p.key, 0) {
                        self.policy_resource_of_key.insert(k, i);
                    }
                }
                Kind::InlinePolicy(p) => {
                    for t in self.attachment_targets(&p.attached) {
                        self.inline_of.entry(t).or_default().push(i);
                    }
                    self.attachments_unknown |= p.attached.unknown;
                }
                Kind::ManagedPolicy(p) => {
                    for t in self.attachment_targets(&p.attached) {
                        self.managed_of.entry(t).or_default().push((
                            Val::Ref(vec![crate::model::Reference::new(&r.id, Some("arn"))]),
                            Some(i),
                        ));
                    }
                    self.attachments_unknown |= p.attached.unknown;
                }
                Kind::PolicyAttachment(a) => {
                    for t in self.attachment_targets(&a.attached) {
                        if a.boundary {
                            self.boundary_of
                                .entry(t)
                                .or_default()
                                .push(a.policy_arn.clone());
                        } else {
                            self.managed_of
                                .entry(t)
                                .or_default()
                                .push((a.policy_arn.clone(), Some(i)));
                        }
                    }
                    self.attachments_unknown |= a.attached.unknown;
                }
                Kind::GroupMembership(m) => {
                    let groups: Vec<usize> = m
                        .groups
                        .iter()
                        .filter_map(|g| self.resolve_named(g, NameKind::Group))
                        .collect();
                    let users: Vec<usize> = m
                        .users
                        .iter()
                        .filter_map(|u| self.resolve_named(u, NameKind::User))
                        .collect();
                    for u in users {
                        self.groups_of_user
                            .entry(u)
                            .or_default()
                            .extend(groups.iter().copied());
                    }
                }
                Kind::User(u) => {
                    let groups: Vec<usize> = u
                        .groups
                        .iter()
                        .filter_map(|g| self.resolve_named(g, NameKind::Group))
                        .collect();
                    if !groups.is_empty() {
                        self.groups_of_user.entry(i).or_default().extend(groups);
                    }
                }
                Kind::InstanceProfile(p) => {
                    let roles = p
                        .roles
                        .iter()
                        .filter_map(|x| self.resolve_named(x, NameKind::Role))
                        .collect();
                    self.roles_of_profile.insert(i, roles);
                }
                _ => {}
            }
        }
        for v in self.aliases_of_key.values_mut() {
            v.sort();
            v.dedup();
        }
    }

    fn attachment_targets(&self, a: &crate::model::Attachments) -> Vec<usize> {
        let mut out = Vec::new();
        out.extend(
            a.roles
                .iter()
                .filter_map(|x| self.resolve_named(x, NameKind::Role)),
        );
        out.extend(
            a.users
                .iter()
                .filter_map(|x| self.resolve_named(x, NameKind::User)),
        );
        out.extend(
            a.groups
                .iter()
                .filter_map(|x| self.resolve_named(x, NameKind::Group)),
        );
        out
    }

    /// Resource index by id.
    #[must_use]
    pub fn index(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// Resource index by known ARN.
    #[must_use]
    pub fn by_arn(&self, arn: &str) -> Option<usize> {
        self.by_arn.get(arn).copied()
    }

    /// Resolves a principal named by name, ARN or reference (role, user or group).
    fn resolve_named(&self, v: &VStr, kind: NameKind) -> Option<usize> {
        match v {
            Val::Known(s) => {
                if s.starts_with("arn:") {
                    return self.by_arn(s).or_else(|| {
                        let name = last_segment(s);
                        self.name_index(kind).get(name).copied()
                    });
                }
                self.name_index(kind)
                    .get(s.as_str())
                    .or_else(|| self.by_id.get(s.as_str()))
                    .copied()
            }
            Val::Ref(_) | Val::Partial(_) => v
                .references()
                .iter()
                .find_map(|r| self.by_id.get(&r.target).copied()),
            Val::Unknown => None,
        }
    }

    fn name_index(&self, kind: NameKind) -> &HashMap<String, usize> {
        match kind {
            NameKind::Role => &self.role_by_name,
            NameKind::User => &self.user_by_name,
            NameKind::Group => &self.group_by_name,
        }
    }

    fn resolve_store(&self, v: &VStr) -> Option<usize> {
        match v {
            Val::Known(s) => self
                .by_id
                .get(s)
                .or_else(|| self.by_arn.get(s))
                .or_else(|| self.store_by_name.get(s))
                .copied(),
            Val::Ref(_) | Val::Partial(_) => v
                .references()
                .iter()
                .find_map(|r| self.by_id.get(&r.target).copied()),
            Val::Unknown => None,
        }
    }

    /// Resolves the key a store is encrypted with.
    #[must_use]
    pub fn store_key(&self, estate: &Estate, store: usize) -> KeyTarget {
        let Some(enc) = self.store_encryption.get(&store) else {
            return KeyTarget::Other(KeyMarker::Unknown);
        };
        self.resolve_encryption(estate, enc)
    }

    /// Resolves an encryption setting to a key target.
    #[must_use]
    pub fn resolve_encryption(&self, estate: &Estate, enc: &Encryption) -> KeyTarget {
        match enc {
            Encryption::Kms(v) => self
                .resolve_key_value(estate, v, 0)
                .unwrap_or(KeyTarget::Other(KeyMarker::Unknown)),
            Encryption::AwsManaged(a) => KeyTarget::Other(KeyMarker::AwsManaged(a.clone())),
            Encryption::AwsOwned => KeyTarget::Other(KeyMarker::AwsOwned),
            Encryption::None => KeyTarget::Other(KeyMarker::Unencrypted),
            Encryption::Unknown => KeyTarget::Other(KeyMarker::Unknown),
        }
    }

    /// Resolves a key named in any form (§9).
    #[must_use]
    pub fn resolve_key_value(&self, estate: &Estate, v: &VStr, depth: u8) -> Option<KeyTarget> {
        if depth > 8 {
            return Some(KeyTarget::Other(KeyMarker::Unknown));
        }
        match v {
            Val::Known(s) => Some(self.resolve_key_str(estate, s, depth)),
            Val::Unknown => Some(KeyTarget::Other(KeyMarker::Unknown)),
            Val::Ref(refs) => {
                Some(
                    self.key_of_refs(estate, refs, depth)
                        .unwrap_or_else(|| match refs.first() {
                            // A reference to something that is not a key of the input (a data
                            // source, a variable fed from outside): the key is outside the input.
                            Some(r) => KeyTarget::Other(KeyMarker::External(r.to_string())),
                            None => KeyTarget::Other(KeyMarker::Unknown),
                        }),
                )
            }
            Val::Partial(p) => {
                if let Some(t) = self.key_of_refs(estate, &p.references(), depth) {
                    return Some(t);
                }
                // The known text may still name the key: `arn:…:alias/NAME` or `alias/NAME`
                // with the name known, or an AWS managed alias, whatever the Region or account.
                let suffix = p.suffix();
                let alias = suffix
                    .rfind("alias/")
                    .map(|at| &suffix[at..])
                    .filter(|a| a.len() > "alias/".len())
                    .filter(|_| suffix.contains(":alias/") || p.parts.len() == 1);
                if let Some(alias) = alias {
                    let t = self.resolve_key_str(estate, alias, depth + 1);
                    if !matches!(t, KeyTarget::Other(KeyMarker::External(_))) {
                        return Some(t);
                    }
                }
                Some(KeyTarget::Other(KeyMarker::External(p.to_string())))
            }
        }
    }

    /// The key or alias of the input that references name.
    fn key_of_refs(&self, estate: &Estate, refs: &[Reference], depth: u8) -> Option<KeyTarget> {
        for r in refs {
            let Some(&i) = self.by_id.get(&r.target) else {
                continue;
            };
            match &estate.resources[i].kind {
                Kind::Key(_) => return Some(KeyTarget::Key(i)),
                Kind::Alias(a) => {
                    return self.resolve_key_value(estate, &a.target_key, depth + 1);
                }
                _ => {}
            }
        }
        None
    }

    fn resolve_key_str(&self, estate: &Estate, s: &str, depth: u8) -> KeyTarget {
        let s = s.trim();
        if s.is_empty() {
            return KeyTarget::Other(KeyMarker::Unknown);
        }
        // Alias forms: `alias/x` or `arn:...:alias/x`.
        let alias_name = if let Some(rest) = s.strip_prefix("arn:") {
            rest.split_once(":alias/")
                .map(|(_, n)| format!("alias/{n}"))
        } else if s.starts_with("alias/") {
            Some(s.to_owned())
        } else {
            None
        };
        if let Some(managed) = crate::model::aws_managed_alias(s) {
            return KeyTarget::Other(KeyMarker::AwsManaged(managed));
        }
        if let Some(name) = alias_name {
            if let Some(&a) = self.alias_by_name.get(&name) {
                if let Kind::Alias(al) = &estate.resources[a].kind {
                    if let Some(t) = self.resolve_key_value(estate, &al.target_key, depth + 1) {
                        return t;
                    }
                }
            }
            return KeyTarget::Other(KeyMarker::External(s.to_owned()));
        }
        if let Some(&i) = self.by_arn.get(s) {
            if matches!(estate.resources[i].kind, Kind::Key(_)) {
                return KeyTarget::Key(i);
            }
        }
        let id = if s.starts_with("arn:") {
            s.split_once(":key/").map_or(s, |(_, id)| id)
        } else {
            s
        };
        if let Some(&i) = self.key_by_key_id.get(id) {
            return KeyTarget::Key(i);
        }
        if let Some(&i) = self.by_id.get(s) {
            if matches!(estate.resources[i].kind, Kind::Key(_)) {
                return KeyTarget::Key(i);
            }
        }
        KeyTarget::Other(KeyMarker::External(s.to_owned()))
    }

    /// Resolves a policy value: references to policy-document data sources (or other resources
    /// carrying a document) are followed.
    #[must_use]
    pub fn resolve_doc<'a>(&self, estate: &'a Estate, v: &'a Val<PolicyDocument>) -> DocState<'a> {
        match v {
            Val::Known(d) => DocState::Known(d),
            Val::Unknown => DocState::Unknown,
            Val::Ref(refs) => {
                for r in refs {
                    let Some(&i) = self.by_id.get(&r.target) else {
                        continue;
                    };
                    match &estate.resources[i].kind {
                        Kind::PolicyDocument(p) => {
                            if let Val::Known(d) = &p.document {
                                return DocState::Known(d);
                            }
                        }
                        Kind::ManagedPolicy(p) => {
                            if let Val::Known(d) = &p.document {
                                return DocState::Known(d);
                            }
                        }
                        _ => {}
                    }
                }
                DocState::Unknown
            }
            Val::Partial(_) => DocState::Unknown,
        }
    }

    /// Resolves a managed policy ARN (or reference) to its document.
    #[must_use]
    pub fn resolve_managed<'a>(&self, estate: &'a Estate, v: &VStr) -> ManagedRef<'a> {
        match v {
            Val::Known(arn) => {
                if is_aws_managed_arn(arn) {
                    return match super::eval::aws_managed_policy(arn) {
                        Some(doc) => ManagedRef::Aws(arn.clone(), doc),
                        None => ManagedRef::Outside(arn.clone()),
                    };
                }
                let idx = self.by_arn(arn).or_else(|| {
                    if arn.starts_with("arn:") {
                        self.policy_by_name.get(last_segment(arn)).copied()
                    } else {
                        self.by_id.get(arn.as_str()).copied()
                    }
                });
                match idx.map(|i| (i, &estate.resources[i].kind)) {
                    Some((i, Kind::ManagedPolicy(p))) => {
                        ManagedRef::Customer(i, self.resolve_doc(estate, &p.document))
                    }
                    _ => ManagedRef::Outside(arn.clone()),
                }
            }
            Val::Unknown => ManagedRef::Unknown,
            Val::Partial(p) => {
                // `arn:${AWS::Partition}:iam::aws:policy/NAME`: an AWS managed policy whatever
                // the partition.
                if let Some(at) = p.suffix().find(":iam::aws:policy/") {
                    let arn = format!("arn:aws{}", &p.suffix()[at..]);
                    return self.resolve_managed(estate, &Val::Known(arn));
                }
                self.resolve_managed(estate, &Val::Ref(p.references()))
            }
            Val::Ref(refs) => {
                for r in refs {
                    if let Some(&i) = self.by_id.get(&r.target) {
                        if let Kind::ManagedPolicy(p) = &estate.resources[i].kind {
                            return ManagedRef::Customer(i, self.resolve_doc(estate, &p.document));
                        }
                    }
                }
                ManagedRef::Unknown
            }
        }
    }

    /// Resolves a principal value (ARN or reference) to a declared role or user.
    #[must_use]
    pub fn resolve_principal(&self, estate: &Estate, v: &VStr) -> Option<usize> {
        let i = match v {
            Val::Known(s) => self.by_arn(s)?,
            Val::Ref(_) | Val::Partial(_) => v
                .references()
                .iter()
                .find_map(|r| self.by_id.get(&r.target).copied())?,
            Val::Unknown => return None,
        };
        matches!(estate.resources[i].kind, Kind::Role(_) | Kind::User(_)).then_some(i)
    }
}

#[derive(Debug, Clone, Copy)]
enum NameKind {
    Role,
    User,
    Group,
}

/// True for `arn:<partition>:iam::aws:policy/...`.
#[must_use]
pub fn is_aws_managed_arn(arn: &str) -> bool {
    let mut parts = arn.splitn(6, ':');
    parts.next() == Some("arn")
        && parts.next().is_some()
        && parts.next() == Some("iam")
        && parts.next() == Some("")
        && parts.next() == Some("aws")
        && parts.next().is_some_and(|r| r.starts_with("policy/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        DataStore, KeyOrigin, KmsAlias, KmsKey, Location, Reference, Resource, StoreEncryption,
    };

    fn key(id: &str, arn: Option<&str>, key_id: Option<&str>) -> Resource {
        Resource::new(
            id,
            "aws_kms_key",
            Location::file("t.json"),
            Kind::Key(KmsKey {
                arn: arn.map(|a| Val::Known(a.to_owned())),
                key_id: key_id.map(|a| Val::Known(a.to_owned())),
                policy: None,
                key_spec: None,
                key_usage: None,
                origin: KeyOrigin::AwsKms,
                rotation_enabled: None,
                multi_region: false,
                primary_key: None,
                bypass_lockout_check: false,
                enabled: None,
                description: None,
            }),
        )
    }

    fn alias(id: &str, name: &str, target: VStr) -> Resource {
        Resource::new(
            id,
            "aws_kms_alias",
            Location::file("t.json"),
            Kind::Alias(KmsAlias {
                name: Val::Known(name.to_owned()),
                target_key: target,
                arn: None,
            }),
        )
    }

    fn store(id: &str, enc: Encryption) -> Resource {
        Resource::new(
            id,
            "aws_s3_bucket",
            Location::file("t.json"),
            Kind::DataStore(DataStore {
                service: "s3".into(),
                arn: None,
                name: Some(Val::Known(format!("{id}-bucket"))),
                encryption: enc,
                secondary: Vec::new(),
            }),
        )
    }

    const ARN: &str = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-0000-0000-0000-000000000000";

    fn estate() -> Estate {
        Estate {
            resources: vec![
                key(
                    "aws_kms_key.a",
                    Some(ARN),
                    Some("1234abcd-0000-0000-0000-000000000000"),
                ),
                key("aws_kms_key.b", None, None),
                alias(
                    "aws_kms_alias.a",
                    "alias/a",
                    Val::Known("1234abcd-0000-0000-0000-000000000000".into()),
                ),
                alias(
                    "aws_kms_alias.b",
                    "alias/b",
                    Val::Ref(vec![Reference::new("aws_kms_key.b", Some("key_id"))]),
                ),
            ],
            ..Estate::default()
        }
    }

    fn resolve(e: &Estate, v: VStr) -> KeyTarget {
        let l = Links::build(e);
        l.resolve_key_value(e, &v, 0)
            .unwrap_or(KeyTarget::Other(KeyMarker::Unknown))
    }

    #[test]
    fn key_reference_forms() {
        let e = estate();
        let cases: Vec<(VStr, KeyTarget)> = vec![
            (Val::Known(ARN.into()), KeyTarget::Key(0)),
            (
                Val::Known("1234abcd-0000-0000-0000-000000000000".into()),
                KeyTarget::Key(0),
            ),
            (Val::Known("alias/a".into()), KeyTarget::Key(0)),
            (
                Val::Known("arn:aws:kms:eu-west-1:111122223333:alias/a".into()),
                KeyTarget::Key(0),
            ),
            (Val::Known("alias/b".into()), KeyTarget::Key(1)),
            (
                Val::Ref(vec![Reference::new("aws_kms_key.b", Some("arn"))]),
                KeyTarget::Key(1),
            ),
            (
                Val::Ref(vec![Reference::new(
                    "aws_kms_alias.b",
                    Some("target_key_arn"),
                )]),
                KeyTarget::Key(1),
            ),
            (
                Val::Known("alias/aws/s3".into()),
                KeyTarget::Other(KeyMarker::AwsManaged("aws/s3".into())),
            ),
            (
                Val::Known("arn:aws:kms:eu-west-1:111122223333:alias/aws/rds".into()),
                KeyTarget::Other(KeyMarker::AwsManaged("aws/rds".into())),
            ),
            (
                Val::Known("arn:aws:kms:eu-west-1:999999999999:key/ffff".into()),
                KeyTarget::Other(KeyMarker::External(
                    "arn:aws:kms:eu-west-1:999999999999:key/ffff".into(),
                )),
            ),
            (
                Val::Known("alias/missing".into()),
                KeyTarget::Other(KeyMarker::External("alias/missing".into())),
            ),
            (
                Val::Ref(vec![Reference::new("data.aws_kms_key.x", Some("arn"))]),
                KeyTarget::Other(KeyMarker::External("data.aws_kms_key.x.arn".into())),
            ),
            (Val::Unknown, KeyTarget::Other(KeyMarker::Unknown)),
        ];
        for (v, want) in cases {
            assert_eq!(resolve(&e, v.clone()), want, "{v:?}");
        }
    }

    #[test]
    fn separate_encryption_resource_overrides_store() {
        let mut e = estate();
        e.resources
            .push(store("aws_s3_bucket.x", Encryption::AwsOwned));
        e.resources.push(Resource::new(
            "aws_s3_bucket_server_side_encryption_configuration.x",
            "aws_s3_bucket_server_side_encryption_configuration",
            Location::file("t.json"),
            Kind::StoreEncryption(StoreEncryption {
                store: Val::Known("aws_s3_bucket.x-bucket".into()),
                encryption: Encryption::Kms(Val::Known("alias/a".into())),
            }),
        ));
        let l = Links::build(&e);
        assert_eq!(l.store_key(&e, 4), KeyTarget::Key(0));
        assert_eq!(l.aliases_of_key.get(&0), Some(&vec!["alias/a".to_owned()]));
    }
}
