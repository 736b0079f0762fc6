//! KMS decisions (kms-semantics §1–§6).

use super::*;
use crate::analysis::result::Capability::{Conditional, No, Yes};

const ENABLE_IAM: &str = r#"{"Sid":"EnableIAM","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}"#;
const ENABLE_IAM_ID: &str = r#"{"Sid":"EnableIAM","Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:*","Resource":"*"}"#;
const ENABLE_B: &str = r#"{"Sid":"AllowB","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":["kms:Decrypt","kms:CreateGrant","kms:PutKeyPolicy"],"Resource":"*"}"#;
const DESCRIBE_ONLY_ROOT: &str = r#"{"Sid":"RootDescribe","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["kms:Describe*","kms:Get*","kms:List*"],"Resource":"*"}"#;
const ALLOW_APP: &str = r#"{"Sid":"AllowApp","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":["kms:Decrypt","kms:Encrypt"],"Resource":"*"}"#;
const ALLOW_OTHER_ROLE: &str = r#"{"Sid":"AllowOther","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/other"},"Action":"kms:*","Resource":"*"}"#;
const ALLOW_EXT_ROLE: &str = r#"{"Sid":"AllowExt","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/ext"},"Action":"kms:*","Resource":"*"}"#;
const ALLOW_ALICE: &str = r#"{"Sid":"AllowAlice","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/alice"},"Action":"kms:Decrypt","Resource":"*"}"#;
const ALLOW_STAR: &str =
    r#"{"Sid":"Everyone","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}"#;
const ID_DECRYPT_ALL: &str =
    r#"{"Sid":"ReadKey","Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}"#;
const ID_KMS_ALL: &str = r#"{"Sid":"All","Effect":"Allow","Action":"kms:*","Resource":"*"}"#;
const ID_EVERYTHING: &str = r#"{"Effect":"Allow","Action":"*","Resource":"*"}"#;
const FULL_ACCESS: &str = r#"{"Sid":"FullAWSAccess","Effect":"Allow","Action":"*","Resource":"*"}"#;

const AWS_MANAGED_S3: &str = r#"{"Sid":"Allow access through S3 for all principals in the account that are authorized to use S3","Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"111122223333","kms:ViaService":"s3.us-east-1.amazonaws.com"}}},{"Sid":"Allow direct access to key metadata to the account","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["kms:Describe*","kms:Get*","kms:List*"],"Resource":"*"}"#;
const CONSOLE_USERS: &str = r#"{"Sid":"Allow use of the key","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey"],"Resource":"*"},{"Sid":"Allow attachment of persistent resources","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":["kms:CreateGrant","kms:ListGrants","kms:RevokeGrant"],"Resource":"*","Condition":{"Bool":{"kms:GrantIsForAWSResource":"true"}}}"#;
const CONSOLE_ADMINS: &str = r#"{"Sid":"Allow access for Key Administrators","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":["kms:Create*","kms:Describe*","kms:Enable*","kms:List*","kms:Put*","kms:Update*","kms:Revoke*","kms:Disable*","kms:Get*","kms:Delete*","kms:TagResource","kms:UntagResource","kms:ScheduleKeyDeletion","kms:CancelKeyDeletion"],"Resource":"*"}"#;

fn cond_kp(op: &str, key: &str, values: &str) -> String {
    format!(
        r#"{{"Sid":"Cond","Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{{"{op}":{{"{key}":{values}}}}}}}"#
    )
}

fn id_res(resource: &str) -> String {
    format!(r#"{{"Sid":"R","Effect":"Allow","Action":"kms:Decrypt","Resource":{resource}}}"#)
}

fn role_ref_principal() -> String {
    // Principal as a reference to the role's input id (built by hand: JSON has no Refs).
    r#"{"Sid":"RefApp","Effect":"Allow","Principal":{"AWS":"REF"},"Action":"kms:Decrypt","Resource":"*"}"#
        .to_owned()
}

/// A key-policy document whose first principal value is turned into a `Val::Ref`.
fn with_ref_principal(sc: &S, target: &str) -> Decision {
    let mut d = doc(&role_ref_principal());
    if let Some(crate::model::Principals::Map(entries)) = &mut d.statements[0].principal {
        entries[0].1 =
            crate::model::Val::Ref(vec![crate::model::Reference::new(target, Some("arn"))]);
    }
    decide_with_kp_doc(sc, &d, "kms:Decrypt")
}

/// `Principal "*"` narrowed by `ArnEquals aws:PrincipalArn` whose value is a reference.
fn with_condition_value(sc: &S, target: &str) -> Decision {
    let mut d = doc(&cond_kp("ArnEquals", "aws:PrincipalArn", r#""x""#));
    d.statements[0].conditions[0].values =
        vec![crate::model::Val::Ref(vec![crate::model::Reference::new(
            target,
            Some("arn"),
        )])];
    decide_with_kp_doc(sc, &d, "kms:Decrypt")
}

fn with_identity_resource_value(sc: &S, v: crate::model::VStr) -> Decision {
    let mut d = doc(&id_res(r#""*""#));
    d.statements[0].resource = Some(vec![v]);
    let sc = sc.clone().id_doc(&d);
    sc.decide("kms:Decrypt")
}

fn decide_with_kp_doc(sc: &S, kp: &PolicyDocument, action: &str) -> Decision {
    let principal = PrincipalCtx {
        kind: sc.kind,
        id: sc.p_id,
        arn: sc.p_arn,
        arn_pattern: None,
        source: None,
        account: sc.p_account,
        identity: Layer::default(),
        boundary: None,
        scps: Layer::default(),
        tags: None,
        org_id: None,
    };
    let key = KeyCtx {
        id: Some("aws_kms_key.k"),
        arn: Some(KEY_ARN),
        account: Some(A),
        region: Some("us-east-1"),
        policy: Some(LabeledDoc {
            label: "key policy",
            doc: kp,
        }),
        tags: None,
        key_spec: "SYMMETRIC_DEFAULT",
        key_usage: "ENCRYPT_DECRYPT",
        key_origin: "AWS_KMS",
        multi_region: false,
        aliases: None,
        rcps: Layer::default(),
        grants: Vec::new(),
    };
    decide(
        action,
        &principal,
        &key,
        &AccessPath::default(),
        &EvalContext::default(),
    )
}

fn managed(name: &str) -> &'static PolicyDocument {
    aws_managed_policy(&format!("arn:aws:iam::aws:policy/{name}")).expect("bundled")
}

macro_rules! c {
    ($t:ident, $name:expr, $sc:expr, $action:expr, $want:expr) => {
        $t.check($name, &$sc.decide($action), $want)
    };
}

#[test]
#[rustfmt::skip]
#[allow(clippy::too_many_lines)]
fn kms_decision_table() {
    let mut t = Table::default();
    let key_ref = || {
        crate::model::Val::Ref(vec![crate::model::Reference::new(
            "aws_kms_key.k",
            Some("arn"),
        )])
    };
    let other_ref = || {
        crate::model::Val::Ref(vec![crate::model::Reference::new(
            "aws_kms_key.other",
            Some("arn"),
        )])
    };

    // §1.1 delegation to the account's IAM.
    c!(t, "§1.1 delegation root ARN + identity allow", s().kp(ENABLE_IAM).id(ID_DECRYPT_ALL), "kms:Decrypt", Yes);
    c!(t, "§1.1 delegation account-id form + identity allow", s().kp(ENABLE_IAM_ID).id(ID_DECRYPT_ALL), "kms:Decrypt", Yes);
    c!(t, "§1.1 delegation without identity allow", s().kp(ENABLE_IAM), "kms:Decrypt", No);
    c!(t, "§1.1 delegation identity allows other action only", s().kp(ENABLE_IAM).id(ID_DECRYPT_ALL), "kms:Encrypt", No);
    c!(t, "§1.1 delegation bounded by statement actions (Describe* only)", s().kp(DESCRIBE_ONLY_ROOT).id(ID_KMS_ALL), "kms:Decrypt", No);
    c!(t, "§1.1 delegation bounded by statement actions allows DescribeKey", s().kp(DESCRIBE_ONLY_ROOT).id(ID_KMS_ALL), "kms:DescribeKey", Yes);
    c!(t, "§1.1 delegation with undecided condition", s().kp(r#"{"Sid":"EnableIAM","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:EncryptionContext:aws:s3:arn":"arn:aws:s3:::b"}}}"#).id(ID_DECRYPT_ALL), "kms:Decrypt", Conditional);

    // §3 identity-policy resources.
    c!(t, "§3 identity Resource = key ARN", s().kp(ENABLE_IAM).id(&id_res(&format!("\"{KEY_ARN}\""))), "kms:Decrypt", Yes);
    c!(t, "§3 identity Resource = other key ARN", s().kp(ENABLE_IAM).id(&id_res(r#""arn:aws:kms:us-east-1:111122223333:key/other""#)), "kms:Decrypt", No);
    c!(t, "§3 identity Resource = key ARN pattern key/*", s().kp(ENABLE_IAM).id(&id_res(r#""arn:aws:kms:*:111122223333:key/*""#)), "kms:Decrypt", Yes);
    c!(t, "§3 identity Resource pattern of another account", s().kp(ENABLE_IAM).id(&id_res(r#""arn:aws:kms:*:444455556666:key/*""#)), "kms:Decrypt", No);
    c!(t, "§3 alias ARN in Resource authorizes nothing about the key", s().kp(ENABLE_IAM).id(&id_res(r#""arn:aws:kms:us-east-1:111122223333:alias/app-data""#)), "kms:Decrypt", No);
    c!(t, "§3 Allow: * spans colons (arn:aws:kms:*)", s().kp(ENABLE_IAM).id(&id_res(r#""arn:aws:kms:*""#)), "kms:Decrypt", Yes);
    c!(t, "§3 Deny: * does not span colons (arn:aws:kms:*)", s().kp(ENABLE_IAM).id(ID_DECRYPT_ALL).id(r#"{"Effect":"Deny","Action":"kms:*","Resource":"arn:aws:kms:*"}"#), "kms:Decrypt", Yes);
    c!(t, "§3 Deny: key/* pattern denies", s().kp(ENABLE_IAM).id(ID_DECRYPT_ALL).id(r#"{"Effect":"Deny","Action":"kms:*","Resource":"arn:aws:kms:*:111122223333:key/*"}"#), "kms:Decrypt", No);
    c!(t, "§3 key ARN unknown: pattern of the key's account undecided", s().key_arn(None).kp(ENABLE_IAM).id(&id_res(r#""arn:aws:kms:us-east-1:111122223333:key/abc""#)), "kms:Decrypt", Conditional);
    c!(t, "§3 key ARN unknown: key/* of the key's account", s().key_arn(None).kp(ENABLE_IAM).id(&id_res(r#""arn:aws:kms:*:111122223333:key/*""#)), "kms:Decrypt", Yes);
    c!(t, "§3 key ARN unknown: alias pattern never matches", s().key_arn(None).kp(ENABLE_IAM).id(&id_res(r#""arn:aws:kms:*:111122223333:alias/*""#)), "kms:Decrypt", No);
    t.check("§3 identity Resource Ref to the key", &with_identity_resource_value(&s().kp(ENABLE_IAM), key_ref()), Yes);
    t.check("§3 identity Resource Ref to another key", &with_identity_resource_value(&s().kp(ENABLE_IAM), other_ref()), No);
    t.check("§3 identity Resource unknown until apply", &with_identity_resource_value(&s().kp(ENABLE_IAM), crate::model::Val::Unknown), Conditional);
    c!(t, "§3 key policy Resource = key ARN pattern", s().kp(r#"{"Sid":"K","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:111122223333:key/*"}"#), "kms:Decrypt", Yes);
    c!(t, "§3 key policy Resource = something else", s().kp(r#"{"Sid":"K","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"kms:Decrypt","Resource":"arn:aws:s3:::bucket"}"#), "kms:Decrypt", No);
    c!(t, "§1.1 statement without Resource is ineffective", s().kp(r#"{"Sid":"K","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"kms:Decrypt"}"#), "kms:Decrypt", No);

    // §1.1 direct grants in the key policy.
    c!(t, "§1.1 key policy names the role ARN", s().kp(ALLOW_APP), "kms:Decrypt", Yes);
    c!(t, "§1.1 key policy names another role", s().kp(ALLOW_OTHER_ROLE), "kms:Decrypt", No);
    t.check("§1.1 key policy principal is a Ref to the role", &with_ref_principal(&s(), "aws_iam_role.app"), Yes);
    t.check("§1.1 key policy principal is a Ref to another role", &with_ref_principal(&s(), "aws_iam_role.other"), No);
    t.check("§1.1 key policy principal is a Ref to a data source", &with_ref_principal(&s(), "data.aws_iam_role.x"), Conditional);
    c!(t, "§1.1 key policy names the user ARN", s().user().kp(ALLOW_ALICE), "kms:Decrypt", Yes);
    c!(t, "§1.1 role ARN grant limited by boundary", s().kp(ALLOW_APP).boundary(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#), "kms:Decrypt", No);
    c!(t, "§1.1 role ARN grant within boundary", s().kp(ALLOW_APP).boundary(ID_KMS_ALL), "kms:Decrypt", Yes);
    c!(t, "§1.1 role ARN grant, boundary unknown", s().kp(ALLOW_APP).boundary_unknown(), "kms:Decrypt", Conditional);
    c!(t, "§1.1 user ARN grant not limited by boundary", s().user().kp(ALLOW_ALICE).boundary(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#), "kms:Decrypt", Yes);
    c!(t, "§1.1 Principal * not limited by boundary", s().kp(ALLOW_STAR).boundary(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#), "kms:Decrypt", Yes);
    c!(t, "§1.2 delegation limited by boundary", s().kp(ENABLE_IAM).id(ID_KMS_ALL).boundary(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#), "kms:Decrypt", No);
    c!(t, "§1.1 session ARN principal: one session of the role", s().kp(r#"{"Sid":"Sess","Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/app/alice"},"Action":"kms:Decrypt","Resource":"*"}"#), "kms:Decrypt", Conditional);
    c!(t, "§1.1 session ARN of another role", s().kp(r#"{"Sid":"Sess","Effect":"Allow","Principal":{"AWS":"arn:aws:sts::111122223333:assumed-role/other/alice"},"Action":"kms:Decrypt","Resource":"*"}"#), "kms:Decrypt", No);
    c!(t, "§1.1 orphaned unique id principal", s().kp(r#"{"Sid":"Orphan","Effect":"Allow","Principal":{"AWS":"AROAEXAMPLEID123"},"Action":"kms:Decrypt","Resource":"*"}"#), "kms:Decrypt", No);
    c!(t, "§1.1 Principal * same account needs nothing more", s().kp(ALLOW_STAR), "kms:Decrypt", Yes);

    // §1.1 explicit denies in every layer.
    c!(t, "§1.1 key policy Deny wins", s().kp(&format!(r#"{ALLOW_APP},{{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*"}}"#)), "kms:Decrypt", No);
    c!(t, "§1.1 identity Deny wins over direct grant", s().kp(ALLOW_APP).id(r#"{"Effect":"Deny","Action":"kms:*","Resource":"*"}"#), "kms:Decrypt", No);
    c!(t, "§1.1 boundary Deny wins", s().kp(ALLOW_STAR).boundary(&format!(r#"{ID_KMS_ALL},{{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}}"#)), "kms:Decrypt", No);
    c!(t, "§1.1 SCP Deny wins", s().kp(ALLOW_APP).scp(&format!(r#"{FULL_ACCESS},{{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}}"#)), "kms:Decrypt", No);
    c!(t, "§1.2 SCP chain without an Allow for the action", s().kp(ALLOW_APP).scp(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#), "kms:Decrypt", No);
    c!(t, "§1.2 SCP FullAWSAccess", s().kp(ALLOW_APP).scp(FULL_ACCESS), "kms:Decrypt", Yes);
    c!(t, "§1.2 every SCP level must allow", s().kp(ALLOW_APP).scp(FULL_ACCESS).scp(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#), "kms:Decrypt", No);
    c!(t, "§1.1 RCP Deny wins for external principal", s().kp(ALLOW_STAR).rcp(r#"{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalAccount":"111122223333"}}}"#).other_account_role().id(ID_KMS_ALL), "kms:Decrypt", No);
    c!(t, "§1.1 RCP Deny spares own account", s().kp(ALLOW_STAR).rcp(r#"{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:PrincipalAccount":"111122223333"}}}"#), "kms:Decrypt", Yes);
    c!(t, "§1.1 RCP never applies to kms:RetireGrant", s().kp(ALLOW_STAR).rcp(r#"{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}"#), "kms:RetireGrant", Yes);
    c!(t, "§1.1 Deny with undecided condition removes nothing", s().kp(&format!(r#"{ALLOW_APP},{{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{{"StringNotEquals":{{"aws:SourceVpce":"vpce-1"}}}}}}"#)), "kms:Decrypt", Yes);
    c!(t, "§1.1 Deny NotPrincipal excludes the listed role", s().kp(&format!(r#"{ALLOW_APP},{{"Effect":"Deny","NotPrincipal":{{"AWS":["arn:aws:iam::111122223333:role/app","arn:aws:iam::111122223333:root"]}},"Action":"kms:*","Resource":"*"}}"#)), "kms:Decrypt", Yes);
    c!(t, "§1.1 Deny NotPrincipal denies everyone else", s().kp(&format!(r#"{ALLOW_APP},{{"Effect":"Deny","NotPrincipal":{{"AWS":"arn:aws:iam::111122223333:role/admin"}},"Action":"kms:*","Resource":"*"}}"#)), "kms:Decrypt", No);
    c!(t, "§1.1 Allow NotPrincipal grants everyone else", s().kp(r#"{"Sid":"AllBut","Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::111122223333:role/other"},"Action":"kms:Decrypt","Resource":"*"}"#), "kms:Decrypt", Yes);
    c!(t, "§1.1 Deny NotAction spares the listed action", s().kp(&format!(r#"{ALLOW_APP},{{"Effect":"Deny","Principal":"*","NotAction":"kms:Encrypt","Resource":"*"}}"#)), "kms:Encrypt", Yes);
    c!(t, "§1.1 Deny NotAction denies the rest", s().kp(&format!(r#"{ALLOW_APP},{{"Effect":"Deny","Principal":"*","NotAction":"kms:Encrypt","Resource":"*"}}"#)), "kms:Decrypt", No);
    c!(t, "§1.1 Deny naming the account applies to its roles", s().kp(&format!(r#"{ALLOW_APP},{{"Effect":"Deny","Principal":{{"AWS":"111122223333"}},"Action":"kms:Decrypt","Resource":"*"}}"#)), "kms:Decrypt", No);

    // §1.1 NotAction / NotResource over-grants.
    c!(t, "§1.1 PowerUserAccess (NotAction iam:*) grants kms:*", s().kp(ENABLE_IAM).id_doc(managed("PowerUserAccess")), "kms:Decrypt", Yes);
    c!(t, "§1.1 AdministratorAccess grants kms:*", s().kp(ENABLE_IAM).id_doc(managed("AdministratorAccess")), "kms:ScheduleKeyDeletion", Yes);
    c!(t, "§2 ReadOnlyAccess has no kms:Decrypt", s().kp(ENABLE_IAM).id_doc(managed("ReadOnlyAccess")), "kms:Decrypt", No);
    c!(t, "§2 ReadOnlyAccess has kms:Get*", s().kp(ENABLE_IAM).id_doc(managed("ReadOnlyAccess")), "kms:GetKeyPolicy", Yes);
    c!(t, "§2 SystemAdministrator has kms:ReEncrypt*", s().kp(ENABLE_IAM).id_doc(managed("job-function/SystemAdministrator")), "kms:ReEncryptFrom", Yes);
    c!(t, "§1.1 Allow NotAction kms:* excludes KMS", s().kp(ENABLE_IAM).id(r#"{"Effect":"Allow","NotAction":"kms:*","Resource":"*"}"#), "kms:Decrypt", No);
    c!(t, "§1.1 Allow NotResource other key", s().kp(ENABLE_IAM).id(r#"{"Effect":"Allow","Action":"kms:Decrypt","NotResource":"arn:aws:kms:us-east-1:111122223333:key/other"}"#), "kms:Decrypt", Yes);
    c!(t, "§1.1 Allow NotResource this key", s().kp(ENABLE_IAM).id(&format!(r#"{{"Effect":"Allow","Action":"kms:Decrypt","NotResource":"{KEY_ARN}"}}"#)), "kms:Decrypt", No);

    // §2 action patterns.
    c!(t, "§2 kms:ReEncrypt* covers ReEncryptFrom", s().kp(ENABLE_IAM).id(r#"{"Effect":"Allow","Action":"kms:ReEncrypt*","Resource":"*"}"#), "kms:ReEncryptFrom", Yes);
    c!(t, "§2 ? wildcard", s().kp(ENABLE_IAM).id(r#"{"Effect":"Allow","Action":"kms:Re?ncrypt*","Resource":"*"}"#), "kms:ReEncryptTo", Yes);
    c!(t, "§2 actions are case-insensitive", s().kp(ENABLE_IAM).id(r#"{"Effect":"Allow","Action":"KMS:DECRYPT","Resource":"*"}"#), "kms:Decrypt", Yes);
    c!(t, "§2 Action * covers KMS", s().kp(ENABLE_IAM).id(ID_EVERYTHING), "kms:Decrypt", Yes);
    c!(t, "§2 kms:Generate* does not cover Decrypt", s().kp(ENABLE_IAM).id(r#"{"Effect":"Allow","Action":"kms:Generate*","Resource":"*"}"#), "kms:Decrypt", No);
    c!(t, "§2 kms:GenerateDataKey* covers the pair variant", s().kp(ENABLE_IAM).id(r#"{"Effect":"Allow","Action":"kms:GenerateDataKey*","Resource":"*"}"#), "kms:GenerateDataKeyPairWithoutPlaintext", Yes);
    c!(t, "§2 other service pattern", s().kp(ENABLE_IAM).id(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#), "kms:Decrypt", No);

    // §6 grants.
    c!(t, "§6 grant to the role ARN", s().kp(ENABLE_IAM).grant(grant(Some(ROLE_ARN), Some(&["Decrypt"]))), "kms:Decrypt", Yes);
    c!(t, "§6 grant by input id", s().kp(ALLOW_OTHER_ROLE).grant(G { id: Some("aws_iam_role.app"),..grant(None, Some(&["Decrypt"])) }), "kms:Decrypt", Yes);
    c!(t, "§6 grant lacks the operation", s().kp(ALLOW_OTHER_ROLE).grant(grant(Some(ROLE_ARN), Some(&["Encrypt"]))), "kms:Decrypt", No);
    c!(t, "§6 grant with constraints", s().kp(ALLOW_OTHER_ROLE).grant(G { constrained: true,..grant(Some(ROLE_ARN), Some(&["Decrypt"])) }), "kms:Decrypt", Conditional);
    c!(t, "§6 grant with unknown grantee", s().kp(ALLOW_OTHER_ROLE).grant(grant(None, Some(&["Decrypt"]))), "kms:Decrypt", Conditional);
    c!(t, "§6 grant with unknown operations", s().kp(ALLOW_OTHER_ROLE).grant(grant(Some(ROLE_ARN), None)), "kms:Decrypt", Conditional);
    c!(t, "§6 grant to another principal", s().kp(ALLOW_OTHER_ROLE).grant(grant(Some("arn:aws:iam::111122223333:role/other"), Some(&["Decrypt"]))), "kms:Decrypt", No);
    c!(t, "§6 grant to another declared principal by id", s().kp(ALLOW_OTHER_ROLE).grant(G { id: Some("aws_iam_role.other"),..grant(None, Some(&["Decrypt"])) }), "kms:Decrypt", No);
    c!(t, "§6 grant alone suffices cross-account", s().kp(ALLOW_OTHER_ROLE).other_account_role().grant(grant(Some("arn:aws:iam::444455556666:role/ext"), Some(&["Decrypt"]))), "kms:Decrypt", Yes);
    c!(t, "§6 key policy Deny does not cut a grant", s().kp(r#"{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*"}"#).grant(grant(Some(ROLE_ARN), Some(&["Decrypt"]))), "kms:Decrypt", Yes);
    c!(t, "§6 identity Deny cuts a grant", s().kp(ALLOW_OTHER_ROLE).id(r#"{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}"#).grant(grant(Some(ROLE_ARN), Some(&["Decrypt"]))), "kms:Decrypt", No);
    c!(t, "§6 grant is never public", s().kp(ALLOW_OTHER_ROLE).public().grant(grant(None, Some(&["Decrypt"]))), "kms:Decrypt", No);

    // §1.1 cross-account.
    c!(t, "§1.1 cross-account: key policy names account B + IAM allow", s().kp(ENABLE_B).other_account_role().id(ID_KMS_ALL), "kms:Decrypt", Yes);
    c!(t, "§1.1 cross-account: key policy names account B, no IAM allow", s().kp(ENABLE_B).other_account_role(), "kms:Decrypt", No);
    c!(t, "§1.1 cross-account: role named directly still needs IAM allow", s().kp(ALLOW_EXT_ROLE).other_account_role(), "kms:Decrypt", No);
    c!(t, "§1.1 cross-account: role named directly + IAM allow", s().kp(ALLOW_EXT_ROLE).other_account_role().id(ID_KMS_ALL), "kms:Decrypt", Yes);
    c!(t, "§1.1 cross-account: admin actions never work", s().kp(ENABLE_B).other_account_role().id(ID_KMS_ALL), "kms:PutKeyPolicy", No);
    c!(t, "§1.1 cross-account: CreateGrant works", s().kp(ENABLE_B).other_account_role().id(ID_KMS_ALL), "kms:CreateGrant", Yes);
    c!(t, "§1.1 cross-account: Principal * + IAM allow", s().kp(ALLOW_STAR).other_account_role().id(ID_KMS_ALL), "kms:Decrypt", Yes);
    c!(t, "§1.1 cross-account: Principal * without IAM allow", s().kp(ALLOW_STAR).other_account_role(), "kms:Decrypt", No);
    c!(t, "§1.1 cross-account: own account's root statement does not admit B", s().kp(ENABLE_IAM).other_account_role().id(ID_KMS_ALL), "kms:Decrypt", No);

    // Principal kinds: account, public, service, undeclared.
    c!(t, "§1.2 account entry: key policy delegates to the account", s().kp(ENABLE_IAM).account(A), "kms:Decrypt", Yes);
    c!(t, "§1.2 account entry: key policy names only specific roles", s().kp(ALLOW_APP).account(A), "kms:Decrypt", No);
    c!(t, "§1.2 account entry: external account named", s().kp(ENABLE_B).account(B), "kms:Decrypt", Yes);
    c!(t, "§1.1 account entry: admin never cross-account", s().kp(ENABLE_B).account(B), "kms:PutKeyPolicy", No);
    c!(t, "§1.1 account entry: * narrowed by kms:CallerAccount", s().kp(&cond_kp("StringEquals", "kms:CallerAccount", r#""111122223333""#)).account(A), "kms:Decrypt", Yes);
    c!(t, "§1.1 account entry: SCP without allow", s().kp(ENABLE_IAM).account(A).scp(r#"{"Effect":"Allow","Action":"s3:*","Resource":"*"}"#), "kms:Decrypt", No);
    c!(t, "§1.1 public: Principal * unconditioned", s().kp(ALLOW_STAR).public(), "kms:Decrypt", Yes);
    c!(t, "§1.1 public: admin actions are not public", s().kp(ALLOW_STAR).public(), "kms:PutKeyPolicy", No);
    c!(t, "§1.1 public: * narrowed to one account", s().kp(&cond_kp("StringEquals", "kms:CallerAccount", r#""111122223333""#)).public(), "kms:Decrypt", No);
    c!(t, "§1.1 public: * narrowed by organization (unknown)", s().kp(&cond_kp("StringEquals", "aws:PrincipalOrgID", r#""o-abc""#)).public(), "kms:Decrypt", Conditional);
    c!(t, "§1.1 public: * excluding one account", s().kp(&cond_kp("StringNotEquals", "kms:CallerAccount", r#""111122223333""#)).public(), "kms:Decrypt", Yes);
    c!(t, "§1.1 public: root delegation is not public", s().kp(ENABLE_IAM).public(), "kms:Decrypt", No);
    c!(t, "§1.1 service principal named", s().service("logs.us-east-1.amazonaws.com").kp(r#"{"Sid":"Logs","Effect":"Allow","Principal":{"Service":"logs.us-east-1.amazonaws.com"},"Action":["kms:Encrypt*","kms:Decrypt*"],"Resource":"*"}"#), "kms:Decrypt", Yes);
    c!(t, "§1.1 service principal not named", s().service("logs.us-east-1.amazonaws.com").kp(ALLOW_APP), "kms:Decrypt", No);
    c!(t, "§1.1 service principal under Principal *", s().service("sns.amazonaws.com").kp(ALLOW_STAR), "kms:Decrypt", Yes);
    c!(t, "§1.1 SCPs do not bind service principals", s().service("sns.amazonaws.com").kp(ALLOW_STAR).scp(r#"{"Effect":"Deny","Action":"*","Resource":"*"}"#), "kms:Decrypt", Yes);
    c!(t, "§1.1 service principal with aws:SourceArn (undecided)", s().service("cloudtrail.amazonaws.com").kp(r#"{"Sid":"CT","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:GenerateDataKey*","Resource":"*","Condition":{"StringLike":{"aws:SourceArn":"arn:aws:cloudtrail:*:111122223333:trail/*"}}}"#), "kms:GenerateDataKey", Conditional);
    c!(t, "§1.2 undeclared role named directly", s().who(PrincipalKind::Role, None, Some("arn:aws:iam::111122223333:role/app"), Some(A)).kp(ALLOW_APP), "kms:Decrypt", Yes);
    c!(t, "§1.2 undeclared role through delegation", s().who(PrincipalKind::Role, None, Some("arn:aws:iam::111122223333:role/app"), Some(A)).kp(ENABLE_IAM), "kms:Decrypt", Conditional);
    c!(t, "§1.2 identity incomplete (unknown managed policy)", s().kp(ENABLE_IAM).id_incomplete(), "kms:Decrypt", Conditional);
    c!(t, "§1.2 identity incomplete but a known policy allows", s().kp(ENABLE_IAM).id(ID_DECRYPT_ALL).id_incomplete(), "kms:Decrypt", Yes);
    c!(t, "§1.2 identity incomplete, direct grant needs no IAM", s().kp(ALLOW_APP).id_incomplete(), "kms:Decrypt", Yes);

    // Unknown key policy.
    c!(t, "§1.2 key policy unknown until apply", s().kp_unknown(), "kms:Decrypt", Conditional);
    c!(t, "§1.2 key policy unknown, identity Deny still applies", s().kp_unknown().id(r#"{"Effect":"Deny","Action":"kms:*","Resource":"*"}"#), "kms:Decrypt", No);
    c!(t, "§1.2 key policy unknown, cross-account without IAM allow", s().kp_unknown().other_account_role(), "kms:Decrypt", No);
    c!(t, "§1.2 key policy unknown, cross-account with IAM allow", s().kp_unknown().other_account_role().id(ID_KMS_ALL), "kms:Decrypt", Conditional);
    c!(t, "§1.2 key policy document incomplete", s().kp(ALLOW_OTHER_ROLE).kp_incomplete(), "kms:Decrypt", Conditional);
    c!(t, "§1.2 principal account unknown: delegation undecided", s().p_account(None).kp(ENABLE_IAM).id(ID_KMS_ALL), "kms:Decrypt", Conditional);

    // §5 AWS managed key shape and the console default policy.
    c!(t, "§5 AWS managed key: account principal via the service", s().via("s3.us-east-1.amazonaws.com").kp(AWS_MANAGED_S3), "kms:Decrypt", Yes);
    c!(t, "§5 AWS managed key: not usable directly", s().kp(AWS_MANAGED_S3), "kms:Decrypt", No);
    c!(t, "§5 AWS managed key: IAM can grant only describe", s().kp(AWS_MANAGED_S3).id(ID_KMS_ALL), "kms:DescribeKey", Yes);
    c!(t, "§5 AWS managed key: account entry via the service", s().account(A).via("s3.us-east-1.amazonaws.com").kp(AWS_MANAGED_S3), "kms:Decrypt", Yes);
    c!(t, "§5 AWS managed key: no cross-account use", s().other_account_role().id(ID_KMS_ALL).via("s3.us-east-1.amazonaws.com").kp(AWS_MANAGED_S3), "kms:Decrypt", No);
    c!(t, "§5 AWS managed key: not public", s().public().via("s3.us-east-1.amazonaws.com").kp(AWS_MANAGED_S3), "kms:Decrypt", No);
    c!(t, "§5 console policy: key users' CreateGrant only for AWS resources", s().kp(CONSOLE_USERS), "kms:CreateGrant", No);
    c!(t, "§5 console policy: key users' CreateGrant via an integrated service", s().via("ebs.us-east-1.amazonaws.com").kp(CONSOLE_USERS), "kms:CreateGrant", Yes);
    c!(t, "§2 console key administrators can PutKeyPolicy", s().kp(CONSOLE_ADMINS), "kms:PutKeyPolicy", Yes);
    c!(t, "§2 console key administrators cannot Decrypt directly", s().kp(CONSOLE_ADMINS), "kms:Decrypt", No);
    c!(t, "§1.2 SCP layer incomplete caps at conditional", s().kp(ALLOW_APP).scp(FULL_ACCESS).scps_incomplete(), "kms:Decrypt", Conditional);
    c!(t, "§1.2 delegation with boundary unknown", s().kp(ENABLE_IAM).id(ID_KMS_ALL).boundary_unknown(), "kms:Decrypt", Conditional);
    c!(t, "§1.2 key account unknown: both readings allow", s().key_account(None).kp(ENABLE_IAM).id(ID_KMS_ALL), "kms:Decrypt", Yes);
    c!(t, "§1.2 key account unknown: readings differ for admin actions", s().key_account(None).kp(ENABLE_IAM).id(ID_KMS_ALL), "kms:PutKeyPolicy", Conditional);

    // §4 conditions.
    c!(t, "§4 kms:ViaService matches the access path", s().via("s3.us-east-1.amazonaws.com").kp(&cond_kp("StringEquals", "kms:ViaService", r#""s3.us-east-1.amazonaws.com""#)), "kms:Decrypt", Yes);
    c!(t, "§4 kms:ViaService absent on direct calls", s().kp(&cond_kp("StringEquals", "kms:ViaService", r#""s3.us-east-1.amazonaws.com""#)), "kms:Decrypt", No);
    c!(t, "§4 kms:ViaService StringLike", s().via("s3.us-east-1.amazonaws.com").kp(&cond_kp("StringLike", "kms:ViaService", r#""s3.*.amazonaws.com""#)), "kms:Decrypt", Yes);
    c!(t, "§4 kms:ViaService other service", s().via("sqs.us-east-1.amazonaws.com").kp(&cond_kp("StringLike", "kms:ViaService", r#""s3.*.amazonaws.com""#)), "kms:Decrypt", No);
    c!(t, "§4 kms:CallerAccount equal", s().kp(&cond_kp("StringEquals", "kms:CallerAccount", r#""111122223333""#)), "kms:Decrypt", Yes);
    c!(t, "§4 values OR", s().kp(&cond_kp("StringEquals", "kms:CallerAccount", r#"["444455556666","111122223333"]"#)), "kms:Decrypt", Yes);
    c!(t, "§4 negated operator ANDs its values", s().kp(&cond_kp("StringNotEquals", "kms:CallerAccount", r#"["444455556666","111122223333"]"#)), "kms:Decrypt", No);
    c!(t, "§4 key names are case-insensitive", s().kp(&cond_kp("StringEquals", "KMS:CALLERACCOUNT", r#""111122223333""#)), "kms:Decrypt", Yes);
    c!(t, "§4 StringEquals is case-sensitive", s().ptag("team", "Blue").kp(&cond_kp("StringEquals", "aws:PrincipalTag/team", r#""blue""#)), "kms:Decrypt", No);
    c!(t, "§4 StringEqualsIgnoreCase", s().ptag("team", "Blue").kp(&cond_kp("StringEqualsIgnoreCase", "aws:PrincipalTag/team", r#""blue""#)), "kms:Decrypt", Yes);
    c!(t, "§4 StringNotEqualsIgnoreCase", s().ptag("team", "Blue").kp(&cond_kp("StringNotEqualsIgnoreCase", "aws:PrincipalTag/team", r#""blue""#)), "kms:Decrypt", No);
    c!(t, "§4 StringNotLike", s().ptag("team", "blue-1").kp(&cond_kp("StringNotLike", "aws:PrincipalTag/team", r#""blue-*""#)), "kms:Decrypt", No);
    c!(t, "§4 aws:PrincipalArn ArnLike", s().kp(&cond_kp("ArnLike", "aws:PrincipalArn", r#""arn:aws:iam::111122223333:role/*""#)), "kms:Decrypt", Yes);
    c!(t, "§4 aws:PrincipalArn ArnEquals another role", s().kp(&cond_kp("ArnEquals", "aws:PrincipalArn", r#""arn:aws:iam::111122223333:role/other""#)), "kms:Decrypt", No);
    c!(t, "§4 ArnNotLike", s().kp(&cond_kp("ArnNotLike", "aws:PrincipalArn", r#""arn:aws:iam::*:role/app""#)), "kms:Decrypt", No);
    c!(t, "§4 ArnLike is component-wise", s().kp(&cond_kp("ArnLike", "aws:PrincipalArn", r#""arn:aws:iam::*:role/ap?""#)), "kms:Decrypt", Yes);
    c!(t, "§4 aws:PrincipalArn of an account entry: other account", s().account(A).kp(&cond_kp("ArnLike", "aws:PrincipalArn", r#""arn:aws:iam::444455556666:role/*""#)), "kms:Decrypt", No);
    c!(t, "§4 aws:PrincipalArn of an account entry: same account", s().account(A).kp(&cond_kp("ArnLike", "aws:PrincipalArn", r#""arn:aws:iam::111122223333:role/x""#)), "kms:Decrypt", Conditional);
    c!(t, "§4 aws:PrincipalOrgID known", s().org("o-abc").kp(&cond_kp("StringEquals", "aws:PrincipalOrgID", r#""o-abc""#)), "kms:Decrypt", Yes);
    c!(t, "§4 aws:PrincipalOrgID unknown", s().kp(&cond_kp("StringEquals", "aws:PrincipalOrgID", r#""o-abc""#)), "kms:Decrypt", Conditional);
    c!(t, "§4 aws:ResourceTag from key tags", s().ktag("DataDomain", "orders").kp(&cond_kp("StringEquals", "aws:ResourceTag/DataDomain", r#""orders""#)), "kms:Decrypt", Yes);
    c!(t, "§4 aws:ResourceTag mismatch", s().ktag("DataDomain", "billing").kp(&cond_kp("StringEquals", "aws:ResourceTag/DataDomain", r#""orders""#)), "kms:Decrypt", No);
    c!(t, "§4 aws:ResourceTag with tags unknown", s().ktags_unknown().kp(&cond_kp("StringEquals", "aws:ResourceTag/DataDomain", r#""orders""#)), "kms:Decrypt", Conditional);
    c!(t, "§4 aws:PrincipalTag present", s().ptag("team", "blue").kp(&cond_kp("StringEquals", "aws:PrincipalTag/team", r#""blue""#)), "kms:Decrypt", Yes);
    c!(t, "§4 aws:PrincipalTag absent", s().kp(&cond_kp("StringEquals", "aws:PrincipalTag/team", r#""blue""#)), "kms:Decrypt", No);
    c!(t, "§4 aws:PrincipalTag unknown", s().ptags_unknown().kp(&cond_kp("StringEquals", "aws:PrincipalTag/team", r#""blue""#)), "kms:Decrypt", Conditional);
    c!(t, "§4 missing key with IfExists is true", s().kp(&cond_kp("StringEqualsIfExists", "aws:PrincipalTag/team", r#""blue""#)), "kms:Decrypt", Yes);
    c!(t, "§4 missing key with a negated operator is true", s().kp(&cond_kp("StringNotEquals", "aws:PrincipalTag/team", r#""blue""#)), "kms:Decrypt", Yes);
    c!(t, "§4 Deny StringNotEqualsIfExists still denies when absent", s().kp(&format!(r#"{ALLOW_APP},{{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{{"StringNotEqualsIfExists":{{"aws:PrincipalTag/team":"blue"}}}}}}"#)), "kms:Decrypt", No);
    c!(t, "§4 Null true on an absent key", s().kp(&cond_kp("Null", "aws:PrincipalTag/team", r#""true""#)), "kms:Decrypt", Yes);
    c!(t, "§4 Null false on an absent key", s().kp(&cond_kp("Null", "aws:PrincipalTag/team", r#""false""#)), "kms:Decrypt", No);
    c!(t, "§4 ForAnyValue on kms:ResourceAliases", s().kp(&cond_kp("ForAnyValue:StringLike", "kms:ResourceAliases", r#""alias/app-*""#)), "kms:Decrypt", Yes);
    c!(t, "§4 ForAllValues with a foreign alias", s().aliases(Some(&["alias/app-data", "alias/x"])).kp(&cond_kp("ForAllValues:StringLike", "kms:ResourceAliases", r#""alias/app-*""#)), "kms:Decrypt", No);
    c!(t, "§4 ForAllValues is vacuously true on an empty set", s().aliases(Some(&[])).kp(&cond_kp("ForAllValues:StringLike", "kms:ResourceAliases", r#""alias/app-*""#)), "kms:Decrypt", Yes);
    c!(t, "§4 ForAnyValue is false on an empty set", s().aliases(Some(&[])).kp(&cond_kp("ForAnyValue:StringLike", "kms:ResourceAliases", r#""alias/app-*""#)), "kms:Decrypt", No);
    c!(t, "§4 kms:ResourceAliases not all known", s().aliases(None).kp(&cond_kp("ForAnyValue:StringLike", "kms:ResourceAliases", r#""alias/app-*""#)), "kms:Decrypt", Conditional);
    c!(t, "§4 Bool kms:GrantIsForAWSResource on a direct call", s().kp(&cond_kp("Bool", "kms:GrantIsForAWSResource", r#""true""#)), "kms:CreateGrant", No);
    c!(t, "§4 Bool kms:GrantIsForAWSResource via a service", s().via("rds.us-east-1.amazonaws.com").kp(&cond_kp("Bool", "kms:GrantIsForAWSResource", "true")), "kms:CreateGrant", Yes);
    c!(t, "§4 kms:KeySpec", s().spec("RSA_2048", false).kp(&cond_kp("StringEquals", "kms:KeySpec", r#""SYMMETRIC_DEFAULT""#)), "kms:Decrypt", No);
    c!(t, "§4 kms:MultiRegion Bool", s().spec("SYMMETRIC_DEFAULT", true).kp(&cond_kp("Bool", "kms:MultiRegion", r#""true""#)), "kms:Decrypt", Yes);
    c!(t, "§4 aws:PrincipalType of a role", s().kp(&cond_kp("StringEquals", "aws:PrincipalType", r#""AssumedRole""#)), "kms:Decrypt", Yes);
    c!(t, "§4 aws:PrincipalIsAWSService for a role", s().kp(&cond_kp("Bool", "aws:PrincipalIsAWSService", r#""true""#)), "kms:Decrypt", No);
    c!(t, "§4 aws:PrincipalServiceName of a service", s().service("sns.amazonaws.com").kp(&cond_kp("StringEquals", "aws:PrincipalServiceName", r#""sns.amazonaws.com""#)), "kms:Decrypt", Yes);
    c!(t, "§4 NumericLessThan on an unknown key", s().kp(&cond_kp("NumericLessThan", "aws:MultiFactorAuthAge", r#""3600""#)), "kms:Decrypt", Conditional);
    c!(t, "§4 DateLessThan on aws:CurrentTime", s().kp(&cond_kp("DateLessThan", "aws:CurrentTime", r#""2030-01-01T00:00:00Z""#)), "kms:Decrypt", Conditional);
    c!(t, "§4 IpAddress on aws:SourceIp", s().kp(&cond_kp("IpAddress", "aws:SourceIp", r#""10.0.0.0/8""#)), "kms:Decrypt", Conditional);
    c!(t, "§4 BinaryEquals on an unknown key", s().kp(&cond_kp("BinaryEquals", "kms:RecipientAttestation:ImageSha384", r#""QUJD""#)), "kms:Decrypt", Conditional);
    c!(t, "§4 Bool aws:SecureTransport undecided", s().kp(&cond_kp("Bool", "aws:SecureTransport", r#""true""#)), "kms:Decrypt", Conditional);
    c!(t, "§4 encryption context undecided on Allow", s().kp(&cond_kp("StringEquals", "kms:EncryptionContext:aws:s3:arn", r#""arn:aws:s3:::b""#)), "kms:Decrypt", Conditional);
    c!(t, "§4 unknown operator undecided", s().kp(&cond_kp("StringSortOf", "kms:CallerAccount", r#""111122223333""#)), "kms:Decrypt", Conditional);
    c!(t, "§4 NumericEquals on a known tag", s().ptag("level", "3").kp(&cond_kp("NumericGreaterThanEquals", "aws:PrincipalTag/level", r#""2""#)), "kms:Decrypt", Yes);
    c!(t, "§4 DateGreaterThan on a known tag", s().ptag("since", "2020-01-01T00:00:00Z").kp(&cond_kp("DateGreaterThan", "aws:PrincipalTag/since", r#""2021-01-01""#)), "kms:Decrypt", No);
    c!(t, "§4 IpAddress on a known tag", s().ptag("ip", "10.1.2.3").kp(&cond_kp("NotIpAddress", "aws:PrincipalTag/ip", r#""10.0.0.0/8""#)), "kms:Decrypt", No);
    c!(t, "§4 variable ${aws:PrincipalAccount} in Resource", s().kp(ENABLE_IAM).id(&id_res(r#""arn:aws:kms:*:${aws:PrincipalAccount}:key/*""#)), "kms:Decrypt", Yes);
    c!(t, "§4 variable ${aws:username} in a condition", s().user().kp(&cond_kp("StringEquals", "aws:PrincipalTag/owner", r#""${aws:username}""#)).ptag("owner", "alice"), "kms:Decrypt", Yes);
    c!(t, "§4 variable with a default", s().kp(&cond_kp("StringEquals", "aws:ResourceTag/team", r#""${aws:PrincipalTag/team, 'none'}""#)).ktag("team", "none"), "kms:Decrypt", Yes);
    c!(t, "§4 variable that cannot be substituted", s().kp(&cond_kp("StringEquals", "aws:ResourceTag/team", r#""${aws:userid}""#)).ktag("team", "x"), "kms:Decrypt", Conditional);
    c!(t, "§4 ${*} is a literal star", s().ptag("t", "ab").kp(&cond_kp("StringLike", "aws:PrincipalTag/t", r#""a${*}""#)), "kms:Decrypt", No);
    c!(t, "§4 ${*} matches a literal star", s().ptag("t", "a*").kp(&cond_kp("StringLike", "aws:PrincipalTag/t", r#""a${*}""#)), "kms:Decrypt", Yes);
    c!(t, "§3 Deny NotResource covering the key spares it", s().kp(ALLOW_APP).id(r#"{"Effect":"Deny","Action":"kms:*","NotResource":"arn:aws:kms:*:111122223333:key/*"}"#), "kms:Decrypt", Yes);
    c!(t, "§3 Deny NotResource of another key denies", s().kp(ALLOW_APP).id(r#"{"Effect":"Deny","Action":"kms:*","NotResource":"arn:aws:kms:us-east-1:111122223333:key/other"}"#), "kms:Decrypt", No);
    c!(t, "§4 ForAnyValue with a negated operator", s().kp(&cond_kp("ForAnyValue:StringNotLike", "kms:ResourceAliases", r#""alias/app-*""#)), "kms:Decrypt", No);
    c!(t, "§4 ForAllValues with a negated operator", s().aliases(Some(&["alias/x", "alias/y"])).kp(&cond_kp("ForAllValues:StringNotLike", "kms:ResourceAliases", r#""alias/app-*""#)), "kms:Decrypt", Yes);
    t.check("§4 aws:PrincipalArn value is a Ref to the principal", &with_condition_value(&s(), "aws_iam_role.app"), Yes);
    t.check("§4 aws:PrincipalArn value is a Ref to another role", &with_condition_value(&s(), "aws_iam_role.other"), No);
    t.check("§4 aws:PrincipalArn value is a Ref to a variable", &with_condition_value(&s(), "var.reader"), Conditional);
    c!(t, "§4 no variables without Version 2012-10-17", s().kp(ENABLE_IAM).id_raw(r#"{"Statement":[{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:*:${aws:PrincipalAccount}:key/*"}]}"#), "kms:Decrypt", No);

    t.finish(150);
}

#[test]
fn evidence_strings() {
    let d = s().kp(ENABLE_IAM).id(ID_DECRYPT_ALL).decide("kms:Decrypt");
    assert_eq!(
        d.evidence,
        [
            "delegated to account 111122223333 by key policy statement EnableIAM",
            "identity policy inline read statement ReadKey"
        ]
    );
    let d = s().kp(ALLOW_APP).decide("kms:Decrypt");
    assert_eq!(d.evidence, ["key policy statement AllowApp"]);
    let d = s()
        .kp(&cond_kp(
            "StringEquals",
            "kms:EncryptionContext:aws:s3:arn",
            r#""x""#,
        ))
        .decide("kms:Decrypt");
    assert_eq!(
        d.evidence,
        [
            "key policy statement Cond",
            "condition kms:EncryptionContext:aws:s3:arn undecided"
        ]
    );
    let d = s().kp_unknown().decide("kms:Decrypt");
    assert_eq!(d.evidence, ["key policy unknown until apply"]);
    let d = s()
        .grant(grant(Some(ROLE_ARN), Some(&["Decrypt"])))
        .decide("kms:Decrypt");
    assert_eq!(d.evidence, ["grant g1"]);
    let d = s().kp(ENABLE_IAM).id_incomplete().decide("kms:Decrypt");
    assert_eq!(
        d.evidence,
        [
            "delegated to account 111122223333 by key policy statement EnableIAM",
            "identity policies not fully known"
        ]
    );
    let d = s().kp(ENABLE_IAM).decide("kms:Decrypt");
    assert!(d.evidence.is_empty());
    let d = s()
        .kp(r#"{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}"#)
        .decide("kms:Decrypt");
    assert_eq!(d.evidence, ["key policy statement #0"]);
}

#[test]
fn deterministic_results() {
    let sc = s()
        .kp(&format!("{ENABLE_IAM},{ALLOW_APP},{ALLOW_STAR}"))
        .id(ID_KMS_ALL)
        .grant(grant(Some(ROLE_ARN), Some(&["Decrypt"])));
    let first = sc.decide("kms:Decrypt");
    for _ in 0..5 {
        assert_eq!(sc.decide("kms:Decrypt"), first);
    }
    assert_eq!(first.capability, Capability::Yes);
    assert_eq!(
        first.evidence,
        [
            "key policy statement Everyone",
            "key policy statement AllowApp",
            "delegated to account 111122223333 by key policy statement EnableIAM",
            "identity policy inline read statement All",
            "grant g1"
        ]
    );
}
