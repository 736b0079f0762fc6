//! Table-driven tests of the evaluator: one line per case, each naming the section of
//! kms-semantics.md it checks. Documents are written as JSON and parsed with the project's
//! policy parser; scenarios default to role `app` in account A reading key `k` in account A.

mod assume_cases;
mod kms_cases;

use super::*;
use crate::analysis::result::{Capability, PrincipalKind};
use crate::model::PolicyDocument;
use crate::parse::policy_json::parse_policy;

pub(super) const A: &str = "111122223333";
pub(super) const B: &str = "444455556666";
pub(super) const KEY_ARN: &str =
    "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab";
pub(super) const ROLE_ARN: &str = "arn:aws:iam::111122223333:role/app";
pub(super) const TARGET_ROLE_ARN: &str = "arn:aws:iam::111122223333:role/target";

/// A document from its statements (JSON objects separated by commas).
pub(crate) fn doc(statements: &str) -> PolicyDocument {
    let text = format!(r#"{{"Version":"2012-10-17","Statement":[{statements}]}}"#);
    let v: serde_json::Value = serde_json::from_str(&text).expect("test JSON");
    parse_policy(&v, None).expect("test policy")
}

/// A grant of a scenario.
#[derive(Clone)]
pub(super) struct G {
    pub label: &'static str,
    pub arn: Option<&'static str>,
    pub id: Option<&'static str>,
    pub ops: Option<Vec<String>>,
    pub constrained: bool,
}

pub(super) fn grant(arn: Option<&'static str>, ops: Option<&[&str]>) -> G {
    G {
        label: "g1",
        arn,
        id: None,
        ops: ops.map(|o| o.iter().map(|s| (*s).to_owned()).collect()),
        constrained: false,
    }
}

/// A scenario: every layer as JSON statements, plus principal and key facts.
#[derive(Clone)]
pub(super) struct S {
    pub kp: Option<String>,
    pub kp_incomplete: bool,
    pub identity: Vec<PolicyDocument>,
    pub identity_incomplete: bool,
    pub boundary: Option<Vec<String>>,
    pub boundary_incomplete: bool,
    pub scps: Vec<String>,
    pub scps_incomplete: bool,
    pub rcps: Vec<String>,
    pub grants: Vec<G>,
    pub kind: PrincipalKind,
    pub p_id: Option<&'static str>,
    pub p_arn: Option<&'static str>,
    pub p_account: Option<&'static str>,
    pub p_tags: Option<BTreeMap<String, String>>,
    pub org: Option<&'static str>,
    pub key_arn: Option<&'static str>,
    pub key_account: Option<&'static str>,
    pub key_tags: Option<BTreeMap<String, String>>,
    pub aliases: Option<Vec<String>>,
    pub key_spec: &'static str,
    pub multi_region: bool,
    pub via: Option<&'static str>,
    pub trust: Option<String>,
}

pub(super) fn s() -> S {
    S {
        kp: None,
        kp_incomplete: false,
        identity: Vec::new(),
        identity_incomplete: false,
        boundary: None,
        boundary_incomplete: false,
        scps: Vec::new(),
        scps_incomplete: false,
        rcps: Vec::new(),
        grants: Vec::new(),
        kind: PrincipalKind::Role,
        p_id: Some("aws_iam_role.app"),
        p_arn: Some(ROLE_ARN),
        p_account: Some(A),
        p_tags: Some(BTreeMap::new()),
        org: None,
        key_arn: Some(KEY_ARN),
        key_account: Some(A),
        key_tags: Some(BTreeMap::new()),
        aliases: Some(vec!["alias/app-data".to_owned()]),
        key_spec: "SYMMETRIC_DEFAULT",
        multi_region: false,
        via: None,
        trust: None,
    }
}

fn tags(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
    Some(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

impl S {
    pub fn kp(mut self, stmts: &str) -> Self {
        self.kp = Some(stmts.to_owned());
        self
    }
    pub fn kp_unknown(mut self) -> Self {
        self.kp = None;
        self
    }
    pub fn kp_incomplete(mut self) -> Self {
        self.kp_incomplete = true;
        self
    }
    pub fn id(mut self, stmts: &str) -> Self {
        self.identity.push(doc(stmts));
        self
    }
    pub fn id_doc(mut self, d: &PolicyDocument) -> Self {
        self.identity.push(d.clone());
        self
    }
    pub fn id_raw(mut self, json: &str) -> Self {
        let v: serde_json::Value = serde_json::from_str(json).expect("test JSON");
        self.identity.push(parse_policy(&v, None).expect("policy"));
        self
    }
    pub fn id_incomplete(mut self) -> Self {
        self.identity_incomplete = true;
        self
    }
    pub fn boundary(mut self, stmts: &str) -> Self {
        self.boundary
            .get_or_insert_with(Vec::new)
            .push(stmts.to_owned());
        self
    }
    pub fn boundary_unknown(mut self) -> Self {
        self.boundary = Some(Vec::new());
        self.boundary_incomplete = true;
        self
    }
    pub fn scp(mut self, stmts: &str) -> Self {
        self.scps.push(stmts.to_owned());
        self
    }
    pub fn scps_incomplete(mut self) -> Self {
        self.scps_incomplete = true;
        self
    }
    pub fn key_account(mut self, a: Option<&'static str>) -> Self {
        self.key_account = a;
        self
    }
    pub fn rcp(mut self, stmts: &str) -> Self {
        self.rcps.push(stmts.to_owned());
        self
    }
    pub fn grant(mut self, g: G) -> Self {
        self.grants.push(g);
        self
    }
    pub fn who(
        mut self,
        kind: PrincipalKind,
        id: Option<&'static str>,
        arn: Option<&'static str>,
        account: Option<&'static str>,
    ) -> Self {
        self.kind = kind;
        self.p_id = id;
        self.p_arn = arn;
        self.p_account = account;
        if matches!(
            kind,
            PrincipalKind::Account | PrincipalKind::Public | PrincipalKind::Service
        ) || id.is_none()
        {
            self.p_tags = None;
            self.identity_incomplete = kind != PrincipalKind::Service;
        }
        self
    }
    pub fn user(self) -> Self {
        self.who(
            PrincipalKind::User,
            Some("aws_iam_user.u"),
            Some("arn:aws:iam::111122223333:user/alice"),
            Some(A),
        )
    }
    pub fn other_account_role(self) -> Self {
        self.who(
            PrincipalKind::Role,
            Some("aws_iam_role.ext"),
            Some("arn:aws:iam::444455556666:role/ext"),
            Some(B),
        )
    }
    pub fn account(self, acct: &'static str) -> Self {
        let arn = if acct == A {
            "arn:aws:iam::111122223333:root"
        } else {
            "arn:aws:iam::444455556666:root"
        };
        self.who(PrincipalKind::Account, None, Some(arn), Some(acct))
    }
    pub fn public(self) -> Self {
        self.who(PrincipalKind::Public, None, Some("*"), None)
    }
    pub fn service(self, name: &'static str) -> Self {
        self.who(PrincipalKind::Service, None, Some(name), None)
    }
    pub fn federated(self, arn: &'static str) -> Self {
        self.who(PrincipalKind::Federated, None, Some(arn), None)
    }
    pub fn ptag(mut self, k: &str, v: &str) -> Self {
        self.p_tags
            .get_or_insert_with(BTreeMap::new)
            .insert(k.to_owned(), v.to_owned());
        self
    }
    pub fn ptags_unknown(mut self) -> Self {
        self.p_tags = None;
        self
    }
    pub fn org(mut self, o: &'static str) -> Self {
        self.org = Some(o);
        self
    }
    pub fn ktag(mut self, k: &str, v: &str) -> Self {
        self.key_tags = tags(&[(k, v)]);
        self
    }
    pub fn ktags_unknown(mut self) -> Self {
        self.key_tags = None;
        self
    }
    pub fn aliases(mut self, a: Option<&[&str]>) -> Self {
        self.aliases = a.map(|l| l.iter().map(|s| (*s).to_owned()).collect());
        self
    }
    pub fn key_arn(mut self, arn: Option<&'static str>) -> Self {
        self.key_arn = arn;
        self
    }
    pub fn spec(mut self, spec: &'static str, multi: bool) -> Self {
        self.key_spec = spec;
        self.multi_region = multi;
        self
    }
    pub fn via(mut self, svc: &'static str) -> Self {
        self.via = Some(svc);
        self
    }
    pub fn trust(mut self, stmts: &str) -> Self {
        self.trust = Some(stmts.to_owned());
        self
    }
    pub fn p_account(mut self, a: Option<&'static str>) -> Self {
        self.p_account = a;
        self
    }

    fn parsed(list: &[String]) -> Vec<PolicyDocument> {
        list.iter().map(|s| doc(s)).collect()
    }

    /// Runs `decide`.
    pub fn decide(&self, action: &str) -> Decision {
        let kp = self.kp.as_ref().map(|k| {
            let mut d = doc(k);
            d.incomplete = self.kp_incomplete;
            d
        });
        let boundary_docs = self.boundary.as_ref().map(|b| Self::parsed(b));
        let scps = Self::parsed(&self.scps);
        let rcps = Self::parsed(&self.rcps);
        let grants: Vec<GrantCtx<'_>> = self
            .grants
            .iter()
            .map(|g| GrantCtx {
                label: g.label,
                grantee_arn: g.arn,
                grantee_id: g.id,
                operations: g.ops.as_deref(),
                constrained: g.constrained,
            })
            .collect();
        let principal = PrincipalCtx {
            kind: self.kind,
            id: self.p_id,
            arn: self.p_arn,
            arn_pattern: None,
            source: None,
            account: self.p_account,
            identity: layer(&self.identity, "inline read", self.identity_incomplete),
            boundary: boundary_docs
                .as_ref()
                .map(|b| layer(b, "boundary", self.boundary_incomplete)),
            scps: layer(&scps, "SCP", self.scps_incomplete),
            tags: self.p_tags.as_ref(),
            org_id: self.org,
        };
        let key = KeyCtx {
            id: Some("aws_kms_key.k"),
            arn: self.key_arn,
            account: self.key_account,
            region: Some("us-east-1"),
            policy: kp.as_ref().map(|d| LabeledDoc {
                label: "key policy",
                doc: d,
            }),
            tags: self.key_tags.as_ref(),
            key_spec: self.key_spec,
            key_usage: "ENCRYPT_DECRYPT",
            key_origin: "AWS_KMS",
            multi_region: self.multi_region,
            aliases: self.aliases.as_deref(),
            rcps: layer(&rcps, "RCP", false),
            grants,
        };
        let path = AccessPath {
            via_service: self.via,
        };
        let got = super::decide(action, &principal, &key, &path, &EvalContext::default());
        // Every action sharing this action's signature gets the same decision (the engine
        // decides each group of such actions once).
        let (mut sig, mut other) = (Vec::new(), Vec::new());
        super::action_signature(action, &principal, &key, &mut sig);
        for a in super::actions::KMS_ACTIONS {
            let full = format!("kms:{}", a.name);
            super::action_signature(&full, &principal, &key, &mut other);
            if other == sig {
                let d = super::decide(&full, &principal, &key, &path, &EvalContext::default());
                assert_eq!(d, got, "{action} and {full} share a signature");
            }
        }
        got
    }

    /// Runs `decide_assume` on role `target` in account A.
    pub fn assume(&self) -> Decision {
        let trust = self.trust.as_ref().map(|t| doc(t));
        let boundary_docs = self.boundary.as_ref().map(|b| Self::parsed(b));
        let scps = Self::parsed(&self.scps);
        let caller = PrincipalCtx {
            kind: self.kind,
            id: self.p_id,
            arn: self.p_arn,
            arn_pattern: None,
            source: None,
            account: self.p_account,
            identity: layer(&self.identity, "inline assume", self.identity_incomplete),
            boundary: boundary_docs
                .as_ref()
                .map(|b| layer(b, "boundary", self.boundary_incomplete)),
            scps: layer(&scps, "SCP", false),
            tags: self.p_tags.as_ref(),
            org_id: self.org,
        };
        let role = RoleCtx {
            id: Some("aws_iam_role.target"),
            arn: Some(TARGET_ROLE_ARN),
            account: Some(A),
            trust: trust.as_ref().map(|d| LabeledDoc {
                label: "trust policy",
                doc: d,
            }),
            tags: None,
        };
        super::decide_assume(&caller, &role, &EvalContext::default())
    }
}

fn layer<'d>(docs: &'d [PolicyDocument], label: &'static str, incomplete: bool) -> Layer<'d> {
    Layer {
        docs: docs.iter().map(|d| LabeledDoc { label, doc: d }).collect(),
        incomplete,
    }
}

/// Collects failures so that one run shows every broken case.
#[derive(Default)]
pub(super) struct Table {
    failures: Vec<String>,
    count: usize,
}

impl Table {
    pub fn check(&mut self, section: &str, got: &Decision, want: Capability) {
        self.count += 1;
        if got.capability != want {
            self.failures.push(format!(
                "{section}: want {want:?}, got {:?} {:?}",
                got.capability, got.evidence
            ));
        }
    }

    pub fn finish(self, min_cases: usize) {
        assert!(
            self.failures.is_empty(),
            "{} of {} cases failed:\n{}",
            self.failures.len(),
            self.count,
            self.failures.join("\n")
        );
        assert!(self.count >= min_cases, "only {} cases", self.count);
    }
}

/// Throughput of `decide` on a realistic key policy and identity layer. Run with
/// `cargo test --release --lib bench_decide -- --ignored --nocapture`.
#[test]
#[ignore = "benchmark"]
fn bench_decide() {
    use std::time::Instant;
    let kp = r#"{"Sid":"EnableIAM","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"},
        {"Sid":"Admins","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/admin"},"Action":["kms:Create*","kms:Describe*","kms:Enable*","kms:List*","kms:Put*","kms:Update*","kms:Revoke*","kms:Disable*","kms:Get*","kms:Delete*","kms:TagResource","kms:UntagResource","kms:ScheduleKeyDeletion","kms:CancelKeyDeletion"],"Resource":"*"},
        {"Sid":"Users","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/app","arn:aws:iam::111122223333:role/etl"]},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"},
        {"Sid":"Attach","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:role/app"]},"Action":["kms:CreateGrant","kms:ListGrants","kms:RevokeGrant"],"Resource":"*","Condition":{"Bool":{"kms:GrantIsForAWSResource":"true"}}},
        {"Sid":"ViaS3","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333","kms:ViaService":"s3.us-east-1.amazonaws.com"}}},
        {"Sid":"DenyOutside","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-1"}}}"#;
    let mut sc = s()
        .kp(kp)
        .id(r#"{"Sid":"S3","Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::b/*"},{"Sid":"Logs","Effect":"Allow","Action":"logs:*","Resource":"*"},{"Sid":"Kms","Effect":"Allow","Action":["kms:Decrypt","kms:GenerateDataKey"],"Resource":"arn:aws:kms:us-east-1:111122223333:key/*"}"#)
        .id(r#"{"Effect":"Deny","Action":"kms:ScheduleKeyDeletion","Resource":"*"},{"Effect":"Allow","Action":["sqs:*","sns:*"],"Resource":"*"}"#)
        .scp(r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"kms:PutKeyPolicy","Resource":"*","Condition":{"ArnNotLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/admin"}}}"#)
        .org("o-1");
    sc.grants.push(grant(
        Some("arn:aws:iam::111122223333:role/etl"),
        Some(&["Decrypt"]),
    ));
    let actions: Vec<String> = KMS_ACTIONS
        .iter()
        .filter(|a| a.class != ActionClass::NoKey)
        .map(|a| format!("kms:{}", a.name))
        .collect();
    let who = [
        ("aws_iam_role.app", "arn:aws:iam::111122223333:role/app"),
        ("aws_iam_role.other", "arn:aws:iam::111122223333:role/other"),
    ];
    for (id, arn) in who {
        let mut sc = sc.clone();
        sc.p_id = Some(id);
        sc.p_arn = Some(arn);
        // Build the contexts once, as the caller does, and time decide() alone.
        let kp = doc(sc.kp.as_deref().unwrap_or(""));
        let scps: Vec<PolicyDocument> = sc.scps.iter().map(|x| doc(x)).collect();
        let ops = ["Decrypt".to_owned()];
        let principal = PrincipalCtx {
            kind: sc.kind,
            id: sc.p_id,
            arn: sc.p_arn,
            arn_pattern: None,
            source: None,
            account: sc.p_account,
            identity: layer(&sc.identity, "inline", false),
            boundary: None,
            scps: layer(&scps, "SCP", false),
            tags: sc.p_tags.as_ref(),
            org_id: sc.org,
        };
        let key = KeyCtx {
            id: Some("aws_kms_key.k"),
            arn: Some(KEY_ARN),
            account: Some(A),
            region: Some("us-east-1"),
            policy: Some(LabeledDoc {
                label: "key policy",
                doc: &kp,
            }),
            tags: None,
            key_spec: "SYMMETRIC_DEFAULT",
            key_usage: "ENCRYPT_DECRYPT",
            key_origin: "AWS_KMS",
            multi_region: false,
            aliases: None,
            rcps: Layer::default(),
            grants: vec![GrantCtx {
                label: "g",
                grantee_arn: Some("arn:aws:iam::111122223333:role/etl"),
                grantee_id: None,
                operations: Some(&ops),
                constrained: false,
            }],
        };
        let path = AccessPath::default();
        let ctx = EvalContext::default();
        let rounds = 20_000;
        let start = Instant::now();
        let mut yes = 0usize;
        for _ in 0..rounds {
            for a in &actions {
                if decide(a, &principal, &key, &path, &ctx).capability != Capability::No {
                    yes += 1;
                }
            }
        }
        let n = rounds * actions.len();
        let el = start.elapsed();
        #[allow(clippy::cast_precision_loss)]
        let ns = el.as_nanos() as f64 / n as f64;
        eprintln!("{id}: {n} decisions in {el:?} ({ns:.0} ns each), {yes} not `no`");
    }
}
