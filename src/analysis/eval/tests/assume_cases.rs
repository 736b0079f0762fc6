//! Assume-role decisions (kms-semantics §7).

use super::*;
use crate::analysis::result::Capability::{Conditional, No, Yes};

const TRUST_APP: &str = r#"{"Sid":"TrustApp","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":["sts:AssumeRole","sts:TagSession"]}"#;
const TRUST_ACCOUNT: &str = r#"{"Sid":"TrustAccount","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole"}"#;
const TRUST_B: &str = r#"{"Sid":"TrustB","Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRole"}"#;
const TRUST_EXT: &str = r#"{"Sid":"TrustExt","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/ext"},"Action":"sts:AssumeRole"}"#;
const TRUST_LAMBDA: &str = r#"{"Sid":"Lambda","Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}"#;
const GH: &str = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
const TRUST_GH_NO_SUB: &str = r#"{"Sid":"GitHub","Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}"#;
const TRUST_GH_SUB: &str = r#"{"Sid":"GitHub","Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringLike":{"token.actions.githubusercontent.com:sub":"repo:org/repo:*"}}}"#;
const TRUST_GH_NO_AUD: &str = r#"{"Sid":"GitHub","Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity"}"#;
const ID_ASSUME_TARGET: &str = r#"{"Sid":"Assume","Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111122223333:role/target"}"#;
const ID_ASSUME_ALL: &str =
    r#"{"Sid":"AssumeAny","Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}"#;
const ID_ASSUME_OTHER: &str = r#"{"Sid":"AssumeOther","Effect":"Allow","Action":"sts:AssumeRole","Resource":"arn:aws:iam::111122223333:role/other"}"#;

macro_rules! a {
    ($t:ident, $name:expr, $sc:expr, $want:expr) => {
        $t.check($name, &$sc.assume(), $want)
    };
}

fn with_identity_resource_ref(target: &str) -> Decision {
    let mut d = doc(ID_ASSUME_ALL);
    d.statements[0].resource = Some(vec![crate::model::Val::Ref(vec![
        crate::model::Reference::new(target, Some("arn")),
    ])]);
    s().trust(TRUST_ACCOUNT).id_doc(&d).assume()
}

#[test]
#[rustfmt::skip]
fn assume_role_table() {
    let mut t = Table::default();
    a!(t, "§7 same-account trust naming the caller needs no identity permission", s().trust(TRUST_APP), Yes);
    a!(t, "§7 trust naming another role", s().trust(TRUST_EXT), No);
    a!(t, "§7 trust to the account + identity allow on the role ARN", s().trust(TRUST_ACCOUNT).id(ID_ASSUME_TARGET), Yes);
    a!(t, "§7 trust to the account + identity allow on *", s().trust(TRUST_ACCOUNT).id(ID_ASSUME_ALL), Yes);
    a!(t, "§7 trust to the account without identity allow", s().trust(TRUST_ACCOUNT), No);
    a!(t, "§7 trust to the account, identity allows another role", s().trust(TRUST_ACCOUNT).id(ID_ASSUME_OTHER), No);
    t.check("§7 identity Resource Ref to the role", &with_identity_resource_ref("aws_iam_role.target"), Yes);
    t.check("§7 identity Resource Ref to another role", &with_identity_resource_ref("aws_iam_role.other"), No);
    a!(t, "§7 identity incomplete, account trust", s().trust(TRUST_ACCOUNT).id_incomplete(), Conditional);
    a!(t, "§7 boundary without sts:AssumeRole", s().trust(TRUST_ACCOUNT).id(ID_ASSUME_ALL).boundary(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#), No);
    a!(t, "§7 role-ARN trust limited by the caller's boundary", s().trust(TRUST_APP).boundary(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#), No);
    a!(t, "§7 user-ARN trust not limited by boundary", s().user().trust(r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"sts:AssumeRole"}"#).boundary(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#), Yes);
    a!(t, "§7 OIDC trust without sub admits the provider", s().federated(GH).trust(TRUST_GH_NO_AUD), Yes);
    a!(t, "§7 OIDC trust with aud but no sub admits the provider", s().federated(GH).trust(TRUST_GH_NO_SUB), Yes);
    a!(t, "§7 OIDC trust with aud and sub", s().federated(GH).trust(r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:org/*"}}}"#), Conditional);
    a!(t, "§7 Deny on the audience is avoided by the caller", s().federated(GH).trust(&format!(r#"{TRUST_GH_NO_AUD},{{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRoleWithWebIdentity","Condition":{{"StringNotEquals":{{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"}}}}}}"#)), Yes);
    a!(t, "§7 session name chosen by the caller", s().trust(r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"sts:AssumeRole","Condition":{"StringLike":{"sts:RoleSessionName":"${aws:username}"}}}"#), Yes);
    a!(t, "§7 OIDC trust with sub condition", s().federated(GH).trust(TRUST_GH_SUB), Conditional);
    a!(t, "§7 OIDC trust of another provider", s().federated("arn:aws:iam::111122223333:oidc-provider/other.example.com").trust(TRUST_GH_NO_AUD), No);
    a!(t, "§7 SAML provider uses AssumeRoleWithSAML", s().federated("arn:aws:iam::111122223333:saml-provider/corp").trust(r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/corp"},"Action":"sts:AssumeRoleWithSAML"}"#), Yes);
    a!(t, "§7 SAML trust granting only AssumeRole", s().federated("arn:aws:iam::111122223333:saml-provider/corp").trust(r#"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::111122223333:saml-provider/corp"},"Action":"sts:AssumeRole"}"#), No);
    a!(t, "§7 service principal trusted", s().service("lambda.amazonaws.com").trust(TRUST_LAMBDA), Yes);
    a!(t, "§7 service principal not trusted", s().service("ec2.amazonaws.com").trust(TRUST_LAMBDA), No);
    a!(t, "§7 IAM role not admitted by a service trust", s().trust(TRUST_LAMBDA).id(ID_ASSUME_ALL), No);
    a!(t, "§7 cross-account caller named, no identity allow", s().other_account_role().trust(TRUST_EXT), No);
    a!(t, "§7 cross-account caller named + identity allow", s().other_account_role().trust(TRUST_EXT).id(ID_ASSUME_TARGET), Yes);
    a!(t, "§7 cross-account account trust + identity allow", s().other_account_role().trust(TRUST_B).id(ID_ASSUME_ALL), Yes);
    a!(t, "§7 cross-account caller, trust to the role's own account", s().other_account_role().trust(TRUST_ACCOUNT).id(ID_ASSUME_ALL), No);
    a!(t, "§7 account entry admitted by account trust", s().account(B).trust(TRUST_B), Yes);
    a!(t, "§7 account entry, trust names a specific role", s().account(A).trust(TRUST_APP), No);
    a!(t, "§7 trust policy unknown until apply", s(), Conditional);
    a!(t, "§7 trust policy unknown, cross-account without identity", s().other_account_role(), No);
    a!(t, "§7 trust Deny wins", s().trust(&format!(r#"{TRUST_APP},{{"Effect":"Deny","Principal":"*","Action":"sts:AssumeRole"}}"#)), No);
    a!(t, "§7 identity Deny wins", s().trust(TRUST_APP).id(r#"{"Effect":"Deny","Action":"sts:*","Resource":"*"}"#), No);
    a!(t, "§7 SCP Deny wins", s().trust(TRUST_APP).scp(r#"{"Effect":"Allow","Action":"*","Resource":"*"},{"Effect":"Deny","Action":"sts:AssumeRole","Resource":"*"}"#), No);
    a!(t, "§7 trust * with organization condition (unknown org)", s().trust(r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}"#), Conditional);
    a!(t, "§7 trust * with organization condition (known org)", s().org("o-1").trust(r#"{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}"#), Yes);
    a!(t, "§7 external id condition undecided", s().trust(r#"{"Sid":"X","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"abc"}}}"#), Conditional);
    a!(t, "§7 sts:AssumeRole* pattern in trust", s().trust(r#"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"sts:AssumeRole*"}"#), Yes);
    t.finish(35);
}

#[test]
fn assume_evidence() {
    let d = s().trust(TRUST_ACCOUNT).id(ID_ASSUME_TARGET).assume();
    assert_eq!(
        d.evidence,
        [
            "delegated to account 111122223333 by trust policy statement TrustAccount",
            "identity policy inline assume statement Assume"
        ]
    );
    let d = s().assume();
    assert_eq!(d.evidence, ["trust policy unknown until apply"]);
    let d = s().federated(GH).trust(TRUST_GH_SUB).assume();
    assert_eq!(
        d.evidence,
        [
            "trust policy statement GitHub",
            "condition token.actions.githubusercontent.com:sub undecided"
        ]
    );
}
