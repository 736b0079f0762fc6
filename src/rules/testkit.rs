//! Hand-built estates and reports for rule unit tests.

use super::RuleCtx;
use crate::analysis::result::{AccessEntry, Capability, Domain, PrincipalKind, Report, StoreEntry};
use crate::config::date::Date;
use crate::config::Config;
use crate::finding::Finding;
use crate::model::{
    DataStore, Encryption, KeyOrigin, Kind, KmsKey, Location, PolicyDocument, Resource, Val,
};

/// A test estate under construction.
pub(crate) struct Kit {
    pub estate: crate::model::Estate,
    pub report: Report,
    pub config: Config,
    pub today: Date,
}

impl Kit {
    pub fn new() -> Self {
        Self {
            estate: crate::model::Estate::default(),
            report: Report::default(),
            config: Config::default(),
            today: Date::parse("2025-06-15").expect("date"),
        }
    }

    pub fn account(&mut self, a: &str) {
        self.estate.context.account_id = Some(a.to_owned());
    }

    pub fn add(&mut self, id: &str, type_name: &str, kind: Kind) -> &mut Resource {
        let loc = Location {
            file: "plan.json".into(),
            line: None,
            column: None,
            pointer: Some(format!("/resource/{id}")),
        };
        self.estate
            .resources
            .push(Resource::new(id, type_name, loc, kind));
        self.estate.resources.sort_by(|a, b| a.id.cmp(&b.id));
        self.estate
            .resources
            .iter_mut()
            .find(|r| r.id == id)
            .expect("just added")
    }

    pub fn key(&mut self, id: &str, arn: Option<&str>) -> &mut KmsKey {
        let k = KmsKey {
            arn: arn.map(Val::from),
            key_id: None,
            policy: None,
            key_spec: None,
            key_usage: None,
            origin: KeyOrigin::AwsKms,
            rotation_enabled: Some(Val::Known(true)),
            multi_region: false,
            primary_key: None,
            bypass_lockout_check: false,
            enabled: None,
            description: None,
        };
        match &mut self.add(id, "aws_kms_key", Kind::Key(k)).kind {
            Kind::Key(k) => k,
            _ => unreachable!(),
        }
    }

    pub fn store(&mut self, domain: &str, id: &str, key: &str) {
        self.add(
            id,
            "aws_s3_bucket",
            Kind::DataStore(DataStore {
                service: "s3".into(),
                arn: None,
                name: None,
                encryption: Encryption::Unknown,
                secondary: Vec::new(),
            }),
        );
        self.domain_mut(domain).stores.push(StoreEntry {
            id: id.into(),
            type_name: "aws_s3_bucket".into(),
            key: key.into(),
        });
    }

    pub fn domain(&mut self, name: &str, keys: &[&str]) {
        self.report.domains.push(Domain {
            name: name.into(),
            keys: keys.iter().map(|s| (*s).to_owned()).collect(),
            stores: Vec::new(),
            access: Vec::new(),
        });
    }

    pub fn domain_mut(&mut self, name: &str) -> &mut Domain {
        self.report
            .domains
            .iter_mut()
            .find(|d| d.name == name)
            .expect("domain declared")
    }

    pub fn entry(&mut self, domain: &str, e: AccessEntry) {
        self.domain_mut(domain).access.push(e);
    }

    pub fn config_text(&mut self, text: &str) {
        self.config = crate::config::parse("keyreach.yaml", text).expect("valid config");
    }

    pub fn run(&self, code: &str) -> Vec<Finding> {
        let ctx = RuleCtx::new(&self.estate, &self.report, &self.config, self.today);
        let rule = super::lookup(code).expect("rule exists");
        let mut out = Vec::new();
        (rule.check)(&ctx, &mut out);
        assert!(out.iter().all(|f| f.rule == code));
        crate::finding::sort(&mut out);
        out
    }
}

pub(crate) fn doc(json: &str) -> PolicyDocument {
    crate::parse::policy_json::parse_policy_str(json, None)
        .expect("valid policy")
        .expect("non-empty")
}

fn entry(
    principal: &str,
    arn: Option<&str>,
    kind: PrincipalKind,
    read: Capability,
    write: Capability,
    admin: Capability,
) -> AccessEntry {
    AccessEntry {
        principal: principal.into(),
        arn: arn.map(str::to_owned),
        kind,
        read,
        write,
        admin,
        folded: None,
        via: vec!["key policy statement Test".into()],
        assumed_by: Vec::new(),
        actions: Default::default(),
        per_key: Default::default(),
    }
}

pub(crate) fn public(r: Capability, w: Capability, a: Capability) -> AccessEntry {
    entry("*", None, PrincipalKind::Public, r, w, a)
}

pub(crate) fn role(
    p: &str,
    arn: Option<&str>,
    r: Capability,
    w: Capability,
    a: Capability,
) -> AccessEntry {
    entry(p, arn, PrincipalKind::Role, r, w, a)
}

pub(crate) fn account(acct: &str, r: Capability, w: Capability, a: Capability) -> AccessEntry {
    let arn = format!("arn:aws:iam::{acct}:root");
    entry(&arn, Some(&arn), PrincipalKind::Account, r, w, a)
}

pub(crate) fn service(name: &str, r: Capability, w: Capability) -> AccessEntry {
    entry(name, None, PrincipalKind::Service, r, w, Capability::No)
}

pub(crate) fn codes_resources(f: &[Finding]) -> Vec<(&str, &str)> {
    f.iter()
        .map(|f| (f.rule.as_str(), f.resource.as_str()))
        .collect()
}

pub(crate) fn subjects(f: &[Finding]) -> Vec<&str> {
    f.iter().filter_map(|f| f.subject.as_deref()).collect()
}

pub(crate) fn resources(f: &[Finding]) -> Vec<&str> {
    f.iter().map(|f| f.resource.as_str()).collect()
}
