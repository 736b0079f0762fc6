//! Access gained by a change: reported from `keyreach diff` (and `analyze` of a plan that
//! changes existing resources), never from one estate alone.

use super::{declare_rule, RuleCtx};
use crate::finding::Finding;

declare_rule! {
    /// ## What it does
    /// Reports each principal that a change lets read, write or administer a domain it could
    /// not before (or only conditionally), comparing the access before the change with the
    /// access after it: the estate before and after a Terraform plan, or two sets of inputs
    /// (`keyreach diff --base … --head …`). The result is placed at the resource whose change
    /// caused it (a key-policy statement added, a trust policy widened, a grant created, a
    /// store re-keyed).
    ///
    /// ## Why is this risky?
    /// A reviewer of an infrastructure change sees resources, not their effect: one line in a
    /// trust policy can make a whole chain of roles readers of a domain. New access should be
    /// a decision, made where the change is reviewed.
    ///
    /// ## Example
    /// A pull request adds to the `payments` key policy:
    /// ```json
    /// {"Sid": "Analytics", "Effect": "Allow",
    ///  "Principal": {"AWS": "arn:aws:iam::111122223333:role/analytics"},
    ///  "Action": "kms:Decrypt", "Resource": "*"}
    /// ```
    /// `keyreach diff plan.json` reports `aws_iam_role.analytics` read `no` → `yes`, caused by
    /// `aws_kms_key.payments`.
    ///
    /// ## Remediation
    /// If the access is intended, list the principal under the domain's expected access in
    /// `keyreach.yaml` (then `--fail-on-new-access` accepts it); otherwise remove the statement,
    /// grant, policy or trust that gives it.
    ///
    /// ## Unknown values
    /// A value unknown until apply makes access `conditional`, and `no` → `conditional` is
    /// reported as access gained (severity medium). Access that is `conditional` on both sides
    /// is not a change.
    ///
    /// ## References
    /// - <https://docs.aws.amazon.com/kms/latest/developerguide/determining-access.html>
    /// - <https://developer.hashicorp.com/terraform/internals/json-format>
    pub(crate) static ACCESS_GAINED = {
        code: "KR030",
        name: "access-gained",
        severity: High,
        summary: "A change gives a principal read, write or admin access to a domain.",
        check: none,
    }
}

/// Nothing to check in one estate: the results come from the diff.
fn none(_: &RuleCtx<'_>, _: &mut Vec<Finding>) {}
