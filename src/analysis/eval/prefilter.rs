//! Cheap questions about a document, for the caller to prune work before calling
//! [`super::decide`] thousands of times: can it grant anything in KMS, which keys can its KMS
//! statements concern, which principals and accounts does it name.
//!
//! Everything here over-approximates: `document_may_grant_kms == false` and
//! `KmsResourceScope::may_apply_to == false` are safe to skip on; the candidate sets may hold
//! principals that turn out to have no access.

use super::actions::{expand_kms_pattern, KMS_ACTIONS};
use super::matching::{account_principal, parse_arn};
use super::wildcard;
use crate::model::{Effect, PolicyDocument, PrincipalType, Principals, Statement, VStr, Val};
use std::collections::BTreeSet;

fn may_match_kms(stmt: &Statement) -> bool {
    match (&stmt.action, &stmt.not_action) {
        (Some(list), _) => list.iter().any(|v| match v {
            Val::Known(p) => expand_kms_pattern(p).next().is_some(),
            Val::Unknown | Val::Ref(_) | Val::Partial(_) => true,
        }),
        (None, Some(list)) => {
            if list.iter().any(VStr::is_unknown) {
                return true;
            }
            KMS_ACTIONS.iter().any(|a| {
                !list.iter().any(|v| {
                    v.known()
                        .is_some_and(|p| expand_kms_pattern(p).any(|x| x.name == a.name))
                })
            })
        }
        (None, None) => false,
    }
}

/// True when some Allow statement's `Action`/`NotAction` could match a KMS action (or the
/// document is incomplete). `false` means the document grants nothing in KMS.
#[must_use]
pub fn document_may_grant_kms(doc: &PolicyDocument) -> bool {
    doc.incomplete
        || doc
            .statements
            .iter()
            .any(|s| s.effect == Effect::Allow && may_match_kms(s))
}

/// Which keys an identity-style document's KMS statements (Allow and Deny) can concern.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KmsResourceScope {
    /// Some KMS statement can concern any key (`*`, `NotResource`, unknown values, policy
    /// variables, or an incomplete document).
    pub any_key: bool,
    /// Key ARN patterns named (wildcards possible).
    pub patterns: BTreeSet<String>,
    /// Input ids referenced in `Resource` (`aws_kms_key.orders`).
    pub references: BTreeSet<String>,
}

impl KmsResourceScope {
    /// False only when no KMS statement of the document can concern the key: the caller may
    /// then leave the document out of that key's identity layer. With an unknown key ARN every
    /// pattern counts.
    #[must_use]
    pub fn may_apply_to(&self, key_arn: Option<&str>, key_id: Option<&str>) -> bool {
        if self.any_key {
            return true;
        }
        if key_id.is_some_and(|id| {
            self.references.iter().any(|r| {
                r == id
                    || id
                        .strip_prefix(r.as_str())
                        .is_some_and(|s| s.starts_with('['))
            })
        }) {
            return true;
        }
        match key_arn {
            Some(arn) => self
                .patterns
                .iter()
                .any(|p| wildcard::matches(p, arn, false, true)),
            None => !self.patterns.is_empty(),
        }
    }

    /// True when no KMS statement exists.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        !self.any_key && self.patterns.is_empty() && self.references.is_empty()
    }
}

/// The keys the KMS statements of `doc` can concern (see [`KmsResourceScope`]).
#[must_use]
pub fn kms_resource_scope(doc: &PolicyDocument) -> KmsResourceScope {
    let mut out = KmsResourceScope {
        any_key: doc.incomplete,
        ..KmsResourceScope::default()
    };
    for stmt in doc.statements.iter().filter(|s| may_match_kms(s)) {
        match (&stmt.resource, &stmt.not_resource) {
            (Some(list), _) => {
                for v in list {
                    match v {
                        Val::Known(s) if s == "*" || s.contains("${") => out.any_key = true,
                        Val::Known(s) => {
                            out.patterns.insert(s.clone());
                        }
                        Val::Unknown => out.any_key = true,
                        Val::Ref(refs) => {
                            if refs.is_empty() {
                                out.any_key = true;
                            }
                            for r in refs {
                                out.references.insert(r.target.clone());
                            }
                        }
                        Val::Partial(pp) => {
                            for r in pp.references() {
                                out.references.insert(r.target);
                            }
                            if super::matching::partial_may_name_other_keys(pp) {
                                out.any_key = true;
                            }
                        }
                    }
                }
            }
            (None, Some(_)) => out.any_key = true,
            (None, None) => {}
        }
    }
    out
}

/// Principals and accounts a resource-based document's Allow statements can admit, for the
/// caller to create access entries (declared or not): principals named in `Principal` and in
/// `aws:PrincipalArn` / `aws:PrincipalAccount` / `kms:CallerAccount` condition values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrincipalCandidates {
    /// Accounts (12 digits) named as principals, in account conditions, or as the account of
    /// a named ARN.
    pub accounts: BTreeSet<String>,
    /// User, role and session ARNs named (no wildcards).
    pub arns: BTreeSet<String>,
    /// Service principals.
    pub services: BTreeSet<String>,
    /// Federated providers.
    pub federated: BTreeSet<String>,
    /// Input ids referenced in principals.
    pub references: BTreeSet<String>,
    /// Some Allow names `*` (or uses `NotPrincipal`, or an undecided principal).
    pub public: bool,
}

/// Collects [`PrincipalCandidates`] from `doc`.
#[must_use]
pub fn principal_candidates(doc: &PolicyDocument) -> PrincipalCandidates {
    let mut out = PrincipalCandidates::default();
    for stmt in doc.statements.iter().filter(|s| s.effect == Effect::Allow) {
        if stmt.not_principal.is_some() {
            out.public = true;
        }
        match &stmt.principal {
            Some(Principals::Any) => out.public = true,
            Some(Principals::Map(entries)) => {
                for (ty, v) in entries {
                    match v {
                        Val::Known(s) => add_principal(&mut out, ty, s),
                        Val::Unknown => out.public = true,
                        Val::Ref(refs) => {
                            out.references.extend(refs.iter().map(|r| r.target.clone()));
                        }
                        Val::Partial(pp) => {
                            out.references
                                .extend(pp.references().into_iter().map(|r| r.target));
                            out.public = true;
                        }
                    }
                }
            }
            None => {}
        }
        for c in &stmt.conditions {
            let key = c.key.as_str();
            let arn_key = key.eq_ignore_ascii_case("aws:PrincipalArn");
            let acct_key = key.eq_ignore_ascii_case("aws:PrincipalAccount")
                || key.eq_ignore_ascii_case("kms:CallerAccount");
            if !arn_key && !acct_key {
                continue;
            }
            for v in c.values.iter().filter_map(Val::known) {
                if wildcard::has_wildcard(v) || v.contains("${") {
                    continue;
                }
                if acct_key {
                    out.accounts.insert(v.clone());
                } else {
                    add_principal(&mut out, &PrincipalType::Aws, v);
                }
            }
        }
    }
    out
}

fn add_principal(out: &mut PrincipalCandidates, ty: &PrincipalType, s: &str) {
    match ty {
        PrincipalType::Aws => {
            if s == "*" {
                out.public = true;
            } else if let Some(acct) = account_principal(s) {
                out.accounts.insert(acct.to_owned());
            } else {
                if let Some(a) = parse_arn(s) {
                    out.accounts.insert(a.account.to_owned());
                }
                out.arns.insert(s.to_owned());
            }
        }
        PrincipalType::Service => {
            out.services.insert(s.to_owned());
        }
        PrincipalType::Federated => {
            out.federated.insert(s.to_owned());
        }
        PrincipalType::CanonicalUser | PrincipalType::Other(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::eval::tests::doc;

    #[test]
    fn may_grant_kms() {
        let cases: &[(&str, bool)] = &[
            (
                r#"{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}"#,
                true,
            ),
            (r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#, true),
            (
                r#"{"Effect":"Allow","Action":"k?s:*","Resource":"*"}"#,
                true,
            ),
            (
                r#"{"Effect":"Allow","Action":["s3:*","sqs:*"],"Resource":"*"}"#,
                false,
            ),
            (
                r#"{"Effect":"Deny","Action":"kms:*","Resource":"*"}"#,
                false,
            ),
            (
                r#"{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}"#,
                true,
            ),
            (
                r#"{"Effect":"Allow","NotAction":["kms:*","iam:*"],"Resource":"*"}"#,
                false,
            ),
            (
                r#"{"Effect":"Allow","Action":"kms:NoSuchAction","Resource":"*"}"#,
                false,
            ),
        ];
        for (stmts, want) in cases {
            assert_eq!(document_may_grant_kms(&doc(stmts)), *want, "{stmts}");
        }
        let mut d = doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#);
        d.incomplete = true;
        assert!(document_may_grant_kms(&d));
    }

    #[test]
    fn resource_scope() {
        let key = "arn:aws:kms:us-east-1:111122223333:key/k1";
        let d = doc(
            r#"{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:*:111122223333:key/k1"},
               {"Effect":"Allow","Action":"s3:*","Resource":"*"}"#,
        );
        let scope = kms_resource_scope(&d);
        assert!(!scope.any_key);
        assert!(scope.may_apply_to(Some(key), None));
        assert!(!scope.may_apply_to(Some("arn:aws:kms:us-east-1:111122223333:key/k2"), None));
        assert!(scope.may_apply_to(None, None));
        let star = kms_resource_scope(&doc(r#"{"Effect":"Deny","Action":"kms:*","Resource":"*"}"#));
        assert!(star.any_key && star.may_apply_to(Some(key), None));
        let not_res = kms_resource_scope(&doc(
            r#"{"Effect":"Allow","Action":"kms:*","NotResource":"arn:aws:kms:*:*:key/x"}"#,
        ));
        assert!(not_res.any_key);
        let none = kms_resource_scope(&doc(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#));
        assert!(none.is_empty() && !none.may_apply_to(Some(key), None));
    }

    #[test]
    fn candidates() {
        let d = doc(
            r#"{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::444455556666:role/ext"],"Service":"logs.amazonaws.com"},"Action":"kms:*","Resource":"*"},
               {"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"777788889999"},"ArnLike":{"aws:PrincipalArn":["arn:aws:iam::555566667777:role/x","arn:aws:iam::*:role/y"]}}},
               {"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity"},
               {"Effect":"Deny","Principal":{"AWS":"999999999999"},"Action":"kms:*","Resource":"*"}"#,
        );
        let c = principal_candidates(&d);
        let set = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<BTreeSet<_>>();
        assert_eq!(
            c.accounts,
            set(&[
                "111122223333",
                "444455556666",
                "555566667777",
                "777788889999"
            ])
        );
        assert_eq!(
            c.arns,
            set(&[
                "arn:aws:iam::444455556666:role/ext",
                "arn:aws:iam::555566667777:role/x"
            ])
        );
        assert_eq!(c.services, set(&["logs.amazonaws.com"]));
        assert_eq!(c.federated.len(), 1);
        assert!(c.public);
    }
}
