//! What `Ref` and `Fn::GetAtt` give for a resource before it is deployed.
//!
//! Only values the template decides are built: names given in the template (`RoleName`,
//! `BucketName`, …) and ARNs whose every part is known (`arn:aws:iam::<account>:role/<path><name>`
//! when `--account-id` is given). Everything else — generated names, key ids, secret ARNs with
//! their random suffix — is a reference to the resource (`Ref`: attribute `None`; `Fn::GetAtt`:
//! the attribute name), which the engine links by id.

use super::resolve::{Ctx, Path, Truth};
use super::rval::RVal;
use crate::error::pointer_token;

impl Ctx<'_> {
    /// The truth of a resource's own `Condition` (`True` when it has none).
    pub(crate) fn resource_condition(&self, inst: usize, logical: &str) -> Truth {
        let Some(name) = self
            .template(inst)
            .resource(logical)
            .and_then(|r| r.get("Condition"))
        else {
            return Truth::True;
        };
        let at = format!("/Resources/{}/Condition", pointer_token(logical));
        match name.as_str() {
            Some(n) => self.condition(inst, n, &Path::Root(&at)),
            None => {
                self.error(inst, &at, "a resource Condition must be a condition name");
                Truth::Unknown
            }
        }
    }

    /// `Ref` (attribute `None`) or `Fn::GetAtt` of a resource.
    pub(crate) fn attr(&self, inst: usize, logical: &str, attr: Option<&str>) -> RVal {
        if self.resource_condition(inst, logical) == Truth::False {
            // The resource is not created; CloudFormation only accepts such references inside an
            // Fn::If branch that is not taken, so the value can never be used.
            return RVal::unknown();
        }
        let ty = self
            .template(inst)
            .resource_type(logical)
            .unwrap_or_default();
        if ty == "AWS::CloudFormation::Stack" {
            if let Some(key) = attr.and_then(|a| a.strip_prefix("Outputs.")) {
                if let Some(child) = self.child_of(inst, logical) {
                    return self
                        .nested((5, child, key), || self.output(child, key))
                        .unwrap_or_else(RVal::unknown);
                }
            }
        }
        let id = self.id_of(inst, logical);
        match self.known_attr(inst, logical, ty, attr) {
            Some(s) => RVal::Str(s),
            None => RVal::reference(&id, attr),
        }
    }

    /// The nested instance a `Stack` resource creates, when its template was given.
    pub(crate) fn child_of(&self, inst: usize, stack: &str) -> Option<usize> {
        self.instances.iter().position(|i| {
            i.parent
                .as_ref()
                .is_some_and(|(p, s)| *p == inst && s == stack)
        })
    }

    fn known_attr(
        &self,
        inst: usize,
        logical: &str,
        ty: &str,
        attr: Option<&str>,
    ) -> Option<String> {
        let known_types = [
            "AWS::IAM::Role",
            "AWS::IAM::User",
            "AWS::IAM::Group",
            "AWS::IAM::ManagedPolicy",
            "AWS::IAM::InstanceProfile",
            "AWS::IAM::OIDCProvider",
            "AWS::IAM::SAMLProvider",
            "AWS::KMS::Alias",
            "AWS::S3::Bucket",
            "AWS::SQS::Queue",
            "AWS::SNS::Topic",
            "AWS::DynamoDB::Table",
            "AWS::Lambda::Function",
            "AWS::Logs::LogGroup",
            "AWS::Kinesis::Stream",
            "AWS::SSM::Parameter",
        ];
        if !known_types.contains(&ty) {
            return None;
        }
        let p = self.props(inst, logical);
        let name = |k: &str| p.get(k).and_then(RVal::as_str).map(str::to_owned);
        let path = || {
            p.get("Path")
                .map_or(Some("/".to_owned()), |v| v.as_str().map(str::to_owned))
        };
        let part = self.partition();
        let acct = self.account();
        let region = self.region();
        let iam = |kind: &str, n: Option<String>| -> Option<String> {
            Some(format!("arn:{part}:iam::{}:{kind}{}{}", acct?, path()?, n?))
        };
        let regional = |svc: &str, rest: String| -> Option<String> {
            Some(format!("arn:{part}:{svc}:{}:{}:{rest}", region?, acct?))
        };
        match (ty, attr) {
            ("AWS::IAM::Role", None) => name("RoleName"),
            ("AWS::IAM::Role", Some("Arn")) => iam("role", name("RoleName")),
            ("AWS::IAM::User", None) => name("UserName"),
            ("AWS::IAM::User", Some("Arn")) => iam("user", name("UserName")),
            ("AWS::IAM::Group", None) => name("GroupName"),
            ("AWS::IAM::Group", Some("Arn")) => iam("group", name("GroupName")),
            ("AWS::IAM::ManagedPolicy", None | Some("PolicyArn")) => {
                iam("policy", name("ManagedPolicyName"))
            }
            ("AWS::IAM::InstanceProfile", None) => name("InstanceProfileName"),
            ("AWS::IAM::InstanceProfile", Some("Arn")) => {
                iam("instance-profile", name("InstanceProfileName"))
            }
            ("AWS::IAM::OIDCProvider", None | Some("Arn")) => {
                let url = name("Url")?;
                let host = url.trim_start_matches("https://");
                Some(format!("arn:{part}:iam::{}:oidc-provider/{host}", acct?))
            }
            ("AWS::IAM::SAMLProvider", None | Some("Arn")) => Some(format!(
                "arn:{part}:iam::{}:saml-provider/{}",
                acct?,
                name("Name")?
            )),
            ("AWS::KMS::Alias", None) => name("AliasName"),
            ("AWS::S3::Bucket", None) => name("BucketName"),
            ("AWS::S3::Bucket", Some("Arn")) => {
                Some(format!("arn:{part}:s3:::{}", name("BucketName")?))
            }
            ("AWS::SQS::Queue", Some("QueueName")) => name("QueueName"),
            ("AWS::SQS::Queue", Some("Arn")) => regional("sqs", name("QueueName")?),
            ("AWS::SQS::Queue", None | Some("QueueUrl")) => {
                let suffix = if part == "aws-cn" {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                };
                Some(format!(
                    "https://sqs.{}.{suffix}/{}/{}",
                    region?,
                    acct?,
                    name("QueueName")?
                ))
            }
            ("AWS::SNS::Topic", Some("TopicName")) => name("TopicName"),
            ("AWS::SNS::Topic", None | Some("TopicArn")) => regional("sns", name("TopicName")?),
            ("AWS::DynamoDB::Table", None) => name("TableName"),
            ("AWS::DynamoDB::Table", Some("Arn")) => {
                regional("dynamodb", format!("table/{}", name("TableName")?))
            }
            ("AWS::Lambda::Function", None) => name("FunctionName"),
            ("AWS::Lambda::Function", Some("Arn")) => {
                regional("lambda", format!("function:{}", name("FunctionName")?))
            }
            ("AWS::Logs::LogGroup", None) => name("LogGroupName"),
            ("AWS::Logs::LogGroup", Some("Arn")) => {
                regional("logs", format!("log-group:{}:*", name("LogGroupName")?))
            }
            ("AWS::Kinesis::Stream", None) => name("Name"),
            ("AWS::Kinesis::Stream", Some("Arn")) => {
                regional("kinesis", format!("stream/{}", name("Name")?))
            }
            ("AWS::SSM::Parameter", None) => name("Name"),
            _ => None,
        }
    }
}
