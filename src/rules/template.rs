//! Rules over how a template is written (as opposed to what it deploys).

use super::{declare_rule, RuleCtx};
use crate::finding::Finding;
use crate::parse::cfn::DUPLICATE_KEY_NOTE;

/// Pointer segments under which a mapping is (part of) a policy document.
const POLICY_SEGMENTS: &[&str] = &[
    "AssumeRolePolicyDocument",
    "KeyPolicy",
    "PolicyDocument",
    "Policies",
    "PolicyText",
    "ResourcePolicy",
    "Statement",
];

declare_rule! {
    /// ## What it does
    /// Flags a mapping key written twice inside a policy document of a CloudFormation YAML
    /// template (a key policy, a trust policy, an identity or resource policy): for example two
    /// `Action` or two `Condition` keys in one statement.
    ///
    /// ## Why is this risky?
    /// CloudFormation accepts a template with a repeated key and deploys its last value; YAML
    /// tools disagree (some reject the file, some keep the first value). A reviewer reading the
    /// first `Action` list approves a policy that AWS never sees: what AWS enforces may differ
    /// from what was reviewed. keyreach analyses the last value, as CloudFormation does.
    ///
    /// ## Example
    /// ```yaml
    /// - Effect: Allow
    ///   Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:role/reader"}
    ///   Action: kms:Decrypt
    ///   Resource: "*"
    ///   Action: kms:*
    /// ```
    ///
    /// ## Remediation
    /// Keep one occurrence of the key, with the value you mean. `cfn-lint` reports every
    /// repeated key (E0000) and can run before keyreach in CI.
    ///
    /// ## Unknown values
    /// A repeated key elsewhere in the template (a property, a tag, a parameter) is not a
    /// finding: keyreach notes it and goes on with the last value.
    ///
    /// ## References
    /// - <https://github.com/aws-cloudformation/cfn-lint/issues/35>
    /// - <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-formats.html>
    pub(crate) static DUPLICATE_POLICY_KEY = {
        code: "KR020",
        name: "duplicate-key-in-policy-document",
        severity: High,
        summary: "A key is written twice in a policy document; AWS uses the last value.",
        check: duplicate_policy_key,
    }
}

fn duplicate_policy_key(ctx: &RuleCtx<'_>, out: &mut Vec<Finding>) {
    for n in &ctx.estate.notes {
        if !n.message.starts_with(DUPLICATE_KEY_NOTE) {
            continue;
        }
        let Some(pointer) = n.location.pointer.as_deref() else {
            continue;
        };
        let segments: Vec<&str> = pointer.split('/').collect();
        if !segments.iter().any(|s| POLICY_SEGMENTS.contains(s)) {
            continue;
        }
        let resource = match segments.as_slice() {
            ["", "Resources", id, ..] => (*id).to_owned(),
            _ => n.location.file.clone(),
        };
        let key = segments.last().copied().unwrap_or("");
        out.push(DUPLICATE_POLICY_KEY.meta.finding(
            resource.clone(),
            Some(pointer.to_owned()),
            format!(
                "`{resource}` writes `{key}` twice in a policy document: AWS uses the last value, \
                 which a reviewer reading the first may not see"
            ),
            n.location.clone(),
        ));
    }
}
