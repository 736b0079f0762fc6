//! The resources keyreach understands, independent of the input format.
//!
//! Parsers (Terraform plan, HCL, CloudFormation) produce [`Resource`]s; nothing after them sees
//! a parser type. Each resource carries its id in the input's own scheme (the full Terraform
//! address with module path and instance key, or the CloudFormation logical id), the file and
//! place it came from, and a [`Kind`] holding only what access analysis needs.

use super::policy::PolicyDocument;
use super::value::{VStr, Val};
use serde::Serialize;
use std::collections::BTreeMap;

/// Where something sits in an input file.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Default)]
pub struct Location {
    /// The input path as given on the command line (or a path inside a given directory).
    pub file: String,
    /// 1-based line, where the input has lines that keyreach tracked.
    pub line: Option<u32>,
    /// 1-based column, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// JSON pointer into the input, where that is the better address.
    pub pointer: Option<String>,
}

impl Location {
    /// A location naming only a file.
    #[must_use]
    pub fn file(file: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            ..Self::default()
        }
    }

    /// The same file at a JSON pointer.
    #[must_use]
    pub fn with_pointer(&self, pointer: impl Into<String>) -> Self {
        Self {
            file: self.file.clone(),
            line: None,
            column: None,
            pointer: Some(pointer.into()),
        }
    }
}

/// What a plan intends to do with a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// Source or template input: the resource is declared.
    Declared,
    /// Plan: `create`.
    Create,
    /// Plan: `update`.
    Update,
    /// Plan: `delete` then `create`, or `create` then `delete`.
    Replace,
    /// Plan: `delete`. Deleted resources are kept in the prior estate only.
    Delete,
    /// Plan: `no-op`.
    NoOp,
    /// Plan: a data source read during apply (`actions: ["read"]`).
    DeferredRead,
    /// Plan: a data source read during planning (from `prior_state`).
    Read,
}

/// Tags of a resource: known map, or unknown until apply.
pub type Tags = Val<BTreeMap<String, String>>;

/// One resource of the estate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resource {
    /// Stable id: Terraform address (`module.orders.aws_kms_key.this`, `aws_kms_key.k["a"]`) or
    /// CloudFormation logical id (prefixed with the stack name when several stacks are given).
    pub id: String,
    /// The input's type name: `aws_kms_key`, `AWS::KMS::Key`, `aws_iam_policy_document`.
    pub type_name: String,
    /// Friendly name shown next to the id (CDK `aws:cdk:path`), when the input has one.
    pub display_name: Option<String>,
    /// Where the resource sits in the input.
    pub location: Location,
    /// What the plan does with it.
    pub change: Change,
    /// Tags (`tags_all` where the input has it).
    pub tags: Tags,
    /// What keyreach understood.
    pub kind: Kind,
    /// Values a plan left unknown that were filled from Terraform source (`keyreach analyze
    /// plan.json ./infra`); evidence built on them says `(from source <file>:<line>)`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub from_source: Vec<SourceFill>,
}

/// One value of a plan resource taken from the Terraform source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceFill {
    /// The attribute filled (`policy`, `assume_role_policy`, `kms_key_id`, ...).
    pub attribute: String,
    /// Where the source declares it.
    pub location: Location,
}

impl SourceFill {
    /// `(from source main.tf:12)`.
    #[must_use]
    pub fn evidence(&self) -> String {
        match self.location.line {
            Some(l) => format!("(from source {}:{l})", self.location.file),
            None => format!("(from source {})", self.location.file),
        }
    }
}

impl Resource {
    /// `(from source file:line)` when the source filled `attribute` of this resource.
    #[must_use]
    pub fn filled_from_source(&self, attribute: &str) -> Option<String> {
        self.from_source
            .iter()
            .find(|f| f.attribute == attribute)
            .map(SourceFill::evidence)
    }

    /// A declared resource with no tags; parsers set `change`, `tags` and `display_name` after.
    #[must_use]
    pub fn new(
        id: impl Into<String>,
        type_name: impl Into<String>,
        location: Location,
        kind: Kind,
    ) -> Self {
        Self {
            id: id.into(),
            type_name: type_name.into(),
            display_name: None,
            location,
            change: Change::Declared,
            tags: Val::Known(BTreeMap::new()),
            kind,
            from_source: Vec::new(),
        }
    }
}

/// The modelled kinds.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Kind {
    /// A customer managed KMS key (including replica and external keys).
    Key(KmsKey),
    /// A key policy set by a separate resource (`aws_kms_key_policy`).
    KeyPolicy(KeyPolicy),
    /// A KMS alias.
    Alias(KmsAlias),
    /// A KMS grant.
    Grant(KmsGrant),
    /// An IAM role.
    Role(Role),
    /// An IAM user.
    User(User),
    /// An IAM group.
    Group(Group),
    /// A customer managed IAM policy (`aws_iam_policy`, `AWS::IAM::ManagedPolicy`).
    ManagedPolicy(ManagedPolicy),
    /// An inline identity policy declared as its own resource (`aws_iam_role_policy`,
    /// `AWS::IAM::Policy`, ...), attached to the principals it names.
    InlinePolicy(InlinePolicy),
    /// Attachment of a managed policy (customer or AWS managed) to principals.
    PolicyAttachment(PolicyAttachment),
    /// Group membership (`aws_iam_group_membership`, `aws_iam_user_group_membership`,
    /// `AWS::IAM::UserToGroupAddition`).
    GroupMembership(GroupMembership),
    /// An instance profile and the roles it carries.
    InstanceProfile(InstanceProfile),
    /// An AWS Organizations policy (SCP, RCP, other) and its targets.
    OrgPolicy(OrgPolicy),
    /// Attachment of an organization policy to a target.
    OrgPolicyAttachment(OrgPolicyAttachment),
    /// An OIDC or SAML identity provider.
    IdentityProvider(IdentityProvider),
    /// A policy document data source (`data.aws_iam_policy_document`).
    PolicyDocument(PolicyDocumentSource),
    /// A data store encrypted (or not) at rest.
    DataStore(DataStore),
    /// Encryption settings held by a separate resource for a store
    /// (`aws_s3_bucket_server_side_encryption_configuration`).
    StoreEncryption(StoreEncryption),
    /// Account-wide data, such as `data.aws_caller_identity` (gives the account id).
    CallerIdentity(CallerIdentity),
    /// A resource type keyreach does not model; kept so references to it resolve.
    Other,
}

/// Origin of a key's material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyOrigin {
    /// Key material generated by KMS.
    AwsKms,
    /// Imported key material (`aws_kms_external_key`).
    External,
    /// Custom key store (CloudHSM or external key store).
    CustomKeyStore,
}

/// A customer managed KMS key.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KmsKey {
    /// Key ARN.
    pub arn: Option<VStr>,
    /// Key id.
    pub key_id: Option<VStr>,
    /// The key policy. `None`: the input sets none, so the key has the default policy (root
    /// account, `kms:*`) unless an `aws_kms_key_policy` resource sets one.
    pub policy: Option<Val<PolicyDocument>>,
    /// Key spec (`SYMMETRIC_DEFAULT` when unset).
    pub key_spec: Option<String>,
    /// Key usage (`ENCRYPT_DECRYPT` when unset).
    pub key_usage: Option<String>,
    /// Origin of the key material.
    pub origin: KeyOrigin,
    /// Automatic rotation, when set.
    pub rotation_enabled: Option<Val<bool>>,
    /// Multi-Region key.
    pub multi_region: bool,
    /// For a replica key: the primary key it replicates.
    pub primary_key: Option<VStr>,
    /// `bypass_policy_lockout_safety_check`.
    pub bypass_lockout_check: bool,
    /// Key enabled (`is_enabled`/`Enabled`), when set.
    pub enabled: Option<Val<bool>>,
    /// Description, when known.
    pub description: Option<String>,
}

/// A key policy given by its own resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KeyPolicy {
    /// The key it applies to (id or ARN).
    pub key: VStr,
    /// The policy.
    pub policy: Val<PolicyDocument>,
}

/// A KMS alias.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KmsAlias {
    /// `alias/...`.
    pub name: VStr,
    /// The key it points at (id or ARN).
    pub target_key: VStr,
    /// Alias ARN.
    pub arn: Option<VStr>,
}

/// A KMS grant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KmsGrant {
    /// Grant name.
    pub name: Option<VStr>,
    /// The key (id or ARN).
    pub key: VStr,
    /// Grantee principal ARN.
    pub grantee: VStr,
    /// Operations (`Decrypt`, `Encrypt`, ... without the `kms:` prefix).
    pub operations: Val<Vec<String>>,
    /// Retiring principal.
    pub retiring_principal: Option<VStr>,
    /// Encryption context constraints: `equals` and `subset` maps. Any constraint makes the
    /// grant usable only with a matching encryption context.
    pub constraints: Vec<GrantConstraint>,
}

/// One `constraints` block of a grant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GrantConstraint {
    /// `encryption_context_equals`.
    pub equals: Option<BTreeMap<String, String>>,
    /// `encryption_context_subset`.
    pub subset: Option<BTreeMap<String, String>>,
}

/// An identity policy kept inline in a principal, or as its own resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamedPolicy {
    /// Policy name, when known.
    pub name: Option<String>,
    /// The document.
    pub document: Val<PolicyDocument>,
    /// Where the document sits in the input, when known.
    pub location: Option<Location>,
}

/// An IAM role.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Role {
    /// Role name.
    pub name: Option<VStr>,
    /// Role ARN.
    pub arn: Option<VStr>,
    /// IAM path (`/` when unset).
    pub path: Option<String>,
    /// Trust policy.
    pub trust_policy: Option<Val<PolicyDocument>>,
    /// Inline policies declared in the role itself.
    pub inline_policies: Vec<NamedPolicy>,
    /// Managed policy ARNs declared in the role itself.
    pub managed_policy_arns: Val<Vec<VStr>>,
    /// Permissions boundary (managed policy ARN).
    pub permissions_boundary: Option<VStr>,
}

/// An IAM user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    /// User name.
    pub name: Option<VStr>,
    /// User ARN.
    pub arn: Option<VStr>,
    /// IAM path.
    pub path: Option<String>,
    /// Inline policies declared in the user itself.
    pub inline_policies: Vec<NamedPolicy>,
    /// Managed policy ARNs declared in the user itself.
    pub managed_policy_arns: Val<Vec<VStr>>,
    /// Permissions boundary.
    pub permissions_boundary: Option<VStr>,
    /// Groups declared in the user itself (CloudFormation `Groups`).
    pub groups: Vec<VStr>,
}

/// An IAM group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    /// Group name.
    pub name: Option<VStr>,
    /// Group ARN.
    pub arn: Option<VStr>,
    /// Inline policies declared in the group itself.
    pub inline_policies: Vec<NamedPolicy>,
    /// Managed policy ARNs declared in the group itself.
    pub managed_policy_arns: Val<Vec<VStr>>,
}

/// A customer managed policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ManagedPolicy {
    /// Policy name.
    pub name: Option<VStr>,
    /// Policy ARN.
    pub arn: Option<VStr>,
    /// The document.
    pub document: Val<PolicyDocument>,
    /// Principals it is attached to by the policy resource itself (CloudFormation
    /// `Roles`/`Users`/`Groups`), by name or reference.
    pub attached: Attachments,
}

/// Principals a policy is attached to, by name, ARN or reference.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Attachments {
    /// Roles.
    pub roles: Vec<VStr>,
    /// Users.
    pub users: Vec<VStr>,
    /// Groups.
    pub groups: Vec<VStr>,
    /// True when the list of targets is itself unknown until apply.
    pub unknown: bool,
}

/// An inline policy that is its own resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InlinePolicy {
    /// Name, when known.
    pub name: Option<VStr>,
    /// The document.
    pub document: Val<PolicyDocument>,
    /// The principals it belongs to.
    pub attached: Attachments,
}

/// Attachment of a managed policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyAttachment {
    /// The policy ARN (customer or `arn:aws:iam::aws:policy/...`).
    pub policy_arn: VStr,
    /// The principals.
    pub attached: Attachments,
    /// True when the attachment is a permissions boundary rather than a permissions policy.
    pub boundary: bool,
}

/// Group membership.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GroupMembership {
    /// Groups (names or references).
    pub groups: Vec<VStr>,
    /// Users (names or references).
    pub users: Vec<VStr>,
}

/// An instance profile.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceProfile {
    /// Name.
    pub name: Option<VStr>,
    /// ARN.
    pub arn: Option<VStr>,
    /// Roles (names or references).
    pub roles: Vec<VStr>,
}

/// Organizations policy types that matter for access.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgPolicyType {
    /// `SERVICE_CONTROL_POLICY`.
    ServiceControl,
    /// `RESOURCE_CONTROL_POLICY`.
    ResourceControl,
    /// Any other type (tag, backup, ...): no effect on access.
    Other(String),
}

/// An Organizations policy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgPolicy {
    /// The policy type.
    pub policy_type: OrgPolicyType,
    /// The content.
    pub document: Val<PolicyDocument>,
    /// Targets (root, OU or account ids) named by the policy resource itself.
    pub targets: Vec<VStr>,
    /// Policy id.
    pub policy_id: Option<VStr>,
}

/// An Organizations policy attachment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrgPolicyAttachment {
    /// The policy (id or reference).
    pub policy: VStr,
    /// The target (root, OU or account id).
    pub target: VStr,
}

/// Identity provider kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderKind {
    /// OpenID Connect.
    Oidc,
    /// SAML.
    Saml,
}

/// An OIDC or SAML provider.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdentityProvider {
    /// OIDC or SAML.
    pub provider: ProviderKind,
    /// ARN.
    pub arn: Option<VStr>,
    /// OIDC issuer URL (without `https://`) or SAML provider name.
    pub name: Option<VStr>,
    /// OIDC audiences.
    pub client_ids: Vec<VStr>,
}

/// A policy document data source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyDocumentSource {
    /// The document, rebuilt from its statements where its `json` is unknown.
    pub document: Val<PolicyDocument>,
}

/// Account data.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallerIdentity {
    /// Account id, when known.
    pub account_id: Option<VStr>,
}

/// How a store is encrypted at rest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "mode", content = "key", rename_all = "kebab-case")]
pub enum Encryption {
    /// KMS with a key named by id, ARN, alias name or alias ARN (possibly unknown or a
    /// reference). `alias/aws/<svc>` names are recognised as AWS managed keys when linking.
    Kms(VStr),
    /// KMS with the service's AWS managed key (`aws/s3`, `aws/rds`, ...).
    AwsManaged(String),
    /// An AWS owned key or service-managed encryption (SSE-S3, SSE-SQS, DynamoDB default).
    AwsOwned,
    /// Not encrypted at rest.
    None,
    /// The input does not decide the encryption mode before apply.
    Unknown,
}

/// The AWS managed key a key reference names (`alias/aws/s3` or its alias ARN), as `aws/s3`.
#[must_use]
pub fn aws_managed_alias(key: &str) -> Option<String> {
    let alias = match key.strip_prefix("arn:") {
        Some(_) => key.split_once(":alias/").map(|(_, a)| a)?,
        None => key.strip_prefix("alias/")?,
    };
    alias.starts_with("aws/").then(|| alias.to_owned())
}

impl Encryption {
    /// KMS encryption with a key named by id, ARN or alias; `alias/aws/<svc>` names the
    /// service's AWS managed key.
    #[must_use]
    pub fn with_key(v: VStr) -> Encryption {
        match v {
            Val::Known(k) => match aws_managed_alias(&k) {
                Some(alias) => Encryption::AwsManaged(alias),
                None => Encryption::Kms(Val::Known(k)),
            },
            other => Encryption::Kms(other),
        }
    }
}

/// A data store.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DataStore {
    /// Service name used in `kms:ViaService` (`s3`, `rds`, `dynamodb`, `sqs`, ...).
    pub service: String,
    /// Store ARN, when known.
    pub arn: Option<VStr>,
    /// Store name (bucket name, table name, ...), when known.
    pub name: Option<VStr>,
    /// Encryption of the store's data.
    pub encryption: Encryption,
    /// Further keys used by the store for secondary data (performance insights, master user
    /// secret, replicas): attribute name and encryption.
    pub secondary: Vec<(String, Encryption)>,
}

/// Encryption settings for a store, held in a separate resource.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoreEncryption {
    /// The store (bucket name or reference).
    pub store: VStr,
    /// The encryption.
    pub encryption: Encryption,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aws_managed_aliases_and_key_encryption() {
        assert_eq!(aws_managed_alias("alias/aws/s3").as_deref(), Some("aws/s3"));
        assert_eq!(
            aws_managed_alias("arn:aws:kms:eu-west-1:111122223333:alias/aws/sqs").as_deref(),
            Some("aws/sqs")
        );
        assert_eq!(aws_managed_alias("alias/orders"), None);
        assert_eq!(
            aws_managed_alias("arn:aws:kms:eu-west-1:111122223333:key/abc"),
            None
        );
        assert_eq!(aws_managed_alias("1234abcd-12ab"), None);
        assert_eq!(
            Encryption::with_key(Val::Known("alias/aws/rds".into())),
            Encryption::AwsManaged("aws/rds".into())
        );
        assert_eq!(
            Encryption::with_key(Val::Known("alias/orders".into())),
            Encryption::Kms(Val::Known("alias/orders".into()))
        );
        assert_eq!(
            Encryption::with_key(Val::Unknown),
            Encryption::Kms(Val::Unknown)
        );
    }
}
