#!/usr/bin/env python3
"""Writes the rule fixtures: testdata/rules/<CODE>/{fail,pass}/plan.json (+ keyreach.yaml, args).

Each plan has the shape `terraform show -json plan.out` prints for a plan that creates every
resource (format 1.2): planned_values, resource_changes (with after_unknown), prior_state for
data sources read at plan time, and configuration with the expressions Terraform records
(constant_value / references, `{}` for computed expressions such as jsonencode()).

The fixtures are committed; this script only documents how they were made and regenerates them
after an edit here:  python3 testdata/rules/generate.py
"""
import json
import os

ACCT = "111122223333"
OTHER = "444455556666"
PROVIDER = "registry.terraform.io/hashicorp/aws"
HERE = os.path.dirname(os.path.abspath(__file__))

# Attributes Terraform computes for each type (shown in after_unknown on create).
COMPUTED = {
    "aws_kms_key": ["arn", "id", "key_id", "multi_region", "tags_all"],
    "aws_kms_alias": ["arn", "id", "target_key_arn"],
    "aws_kms_grant": ["grant_id", "grant_token", "id"],
    "aws_s3_bucket": ["arn", "bucket_domain_name", "id", "region", "tags_all"],
    "aws_s3_bucket_server_side_encryption_configuration": ["id"],
    "aws_sqs_queue": ["arn", "id", "url", "tags_all"],
    "aws_db_instance": ["arn", "address", "endpoint", "id", "tags_all"],
    "aws_iam_role": ["arn", "id", "unique_id", "tags_all", "create_date"],
    "aws_iam_role_policy": ["id"],
}


def policy(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, separators=(",", ":"))


def stmt(sid, principal, actions, condition=None, effect="Allow"):
    s = {"Sid": sid, "Effect": effect, "Principal": principal, "Action": actions, "Resource": "*"}
    if condition:
        s["Condition"] = condition
    return s


ROOT = stmt("EnableIAM", {"AWS": f"arn:aws:iam::{ACCT}:root"}, "kms:*")


def admin(name="key-admin"):
    return stmt("KeyAdmin", {"AWS": f"arn:aws:iam::{ACCT}:role/{name}"}, "kms:*")


def user(name="app", acct=ACCT, sid="App", actions=None):
    return stmt(sid, {"AWS": f"arn:aws:iam::{acct}:role/{name}"},
                actions or ["kms:Decrypt", "kms:GenerateDataKey*"])


class Plan:
    def __init__(self):
        self.resources = []  # (type, name, after, unknown, expressions)
        self.data = []

    def add(self, type_, name, after, unknown=(), expressions=None, nested_unknown=None):
        known = {k: v for k, v in after.items() if not isinstance(v, Ref) and v is not Unknown}
        refs = {k: v for k, v in after.items() if isinstance(v, Ref)}
        unk = set(COMPUTED.get(type_, [])) | set(unknown) | set(refs) | {
            k for k, v in after.items() if v is Unknown}
        exprs = {}
        for k, v in known.items():
            if k in ("tags_all",):
                continue
            exprs[k] = {"constant_value": v}
        for k, v in refs.items():
            exprs[k] = {"references": [f"{v.target}.{v.attr}", v.target]}
        for k, v in after.items():
            if v is Unknown:
                exprs[k] = {}
        if "tags" in known:
            known["tags_all"] = known["tags"]
            unk.discard("tags_all")
        if type_ == "aws_kms_key" and "policy" in known:
            exprs["policy"] = {}  # jsonencode(...) over literals
        exprs.update(expressions or {})
        for k in known:
            unk.discard(k)
        after_unknown = {k: True for k in sorted(unk)}
        after_unknown.update(nested_unknown or {})
        self.resources.append((type_, name, known, after_unknown, exprs))
        return self

    def key(self, name, domain, policy_json=None, **extra):
        after = {
            "bypass_policy_lockout_safety_check": False,
            "customer_master_key_spec": "SYMMETRIC_DEFAULT",
            "deletion_window_in_days": 30,
            "description": f"{domain} data domain",
            "enable_key_rotation": True,
            "is_enabled": True,
            "key_usage": "ENCRYPT_DECRYPT",
            "tags": {"DataDomain": domain},
        }
        unknown = ["policy"]
        if policy_json is not None:
            after["policy"] = policy_json
            unknown = []
        after.update(extra)
        return self.add("aws_kms_key", name, after, unknown)

    def bucket(self, name, domain, key=None, sse=None):
        self.add("aws_s3_bucket", name, {"bucket": f"example-{name.replace('_', '-')}",
                                         "force_destroy": False, "tags": {"DataDomain": domain}})
        rule = {"sse_algorithm": "aws:kms"}
        if key:
            rule["kms_master_key_id"] = Ref(f"aws_kms_key.{key}", "arn")
        if sse:
            rule = {"sse_algorithm": sse}
        known_rule = {k: v for k, v in rule.items() if not isinstance(v, Ref)}
        after = {"bucket": Ref(f"aws_s3_bucket.{name}", "id"),
                 "expected_bucket_owner": None,
                 "rule": [{"apply_server_side_encryption_by_default": [known_rule],
                           "bucket_key_enabled": True}]}
        exprs = {"rule": [{"apply_server_side_encryption_by_default": [
            {k: ({"references": [f"{v.target}.{v.attr}", v.target]} if isinstance(v, Ref)
                 else {"constant_value": v}) for k, v in rule.items()}],
            "bucket_key_enabled": {"constant_value": True}}]}
        nested = None
        if key:
            nested = {"rule": [{"apply_server_side_encryption_by_default": [
                {"kms_master_key_id": True}]}]}
        return self.add("aws_s3_bucket_server_side_encryption_configuration", name, after,
                        expressions=exprs, nested_unknown=nested)

    def role(self, name, trust_json, role_name=None):
        return self.add("aws_iam_role", name, {
            "name": role_name or name.replace("_", "-"),
            "path": "/",
            "assume_role_policy": trust_json,
            "max_session_duration": 3600,
            "tags": None,
        }, expressions={"assume_role_policy": {}})

    def to_json(self):
        planned, changes, config = [], [], []
        for type_, name, known, unk, exprs in self.resources:
            addr = f"{type_}.{name}"
            planned.append({"address": addr, "mode": "managed", "type": type_, "name": name,
                            "provider_name": PROVIDER, "schema_version": 0, "values": known,
                            "sensitive_values": {}})
            changes.append({"address": addr, "mode": "managed", "type": type_, "name": name,
                            "provider_name": PROVIDER,
                            "change": {"actions": ["create"], "before": None, "after": known,
                                       "after_unknown": unk,
                                       "before_sensitive": False, "after_sensitive": {}}})
            config.append({"address": addr, "mode": "managed", "type": type_, "name": name,
                           "provider_config_key": "aws", "expressions": exprs, "schema_version": 0})
        return {
            "format_version": "1.2",
            "terraform_version": "1.9.5",
            "planned_values": {"root_module": {"resources": planned}},
            "resource_changes": changes,
            "prior_state": {"format_version": "1.0", "terraform_version": "1.9.5", "values": {
                "root_module": {"resources": [{
                    "address": "data.aws_caller_identity.current", "mode": "data",
                    "type": "aws_caller_identity", "name": "current", "provider_name": PROVIDER,
                    "schema_version": 0,
                    "values": {"account_id": ACCT, "arn": f"arn:aws:iam::{ACCT}:user/terraform",
                               "id": ACCT, "user_id": "AIDAEXAMPLE"},
                    "sensitive_values": {}}]}}},
            "configuration": {
                "provider_config": {"aws": {"name": "aws", "full_name": PROVIDER, "expressions": {
                    "region": {"constant_value": "eu-west-1"}}}},
                "root_module": {"resources": config + [{
                    "address": "data.aws_caller_identity.current", "mode": "data",
                    "type": "aws_caller_identity", "name": "current", "provider_config_key": "aws",
                    "schema_version": 0}]}},
            "timestamp": "2025-06-01T10:00:00Z",
            "applyable": True,
            "complete": True,
            "errored": False,
        }


class Ref:
    def __init__(self, target, attr):
        self.target, self.attr = target, attr


class _Unknown:
    pass


Unknown = _Unknown()


def payments(policy_json=None, **key):
    """The base estate: one key for the payments domain and its bucket."""
    p = Plan()
    p.key("payments", "payments", policy_json, **key)
    p.bucket("payments", "payments", key="payments")
    return p


GITHUB = f"arn:aws:iam::{ACCT}:oidc-provider/token.actions.githubusercontent.com"


def trust_github(sub):
    cond = {"StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"}}
    if sub:
        cond["StringLike"] = {"token.actions.githubusercontent.com:sub": sub}
    return policy({"Effect": "Allow", "Principal": {"Federated": GITHUB},
                   "Action": "sts:AssumeRoleWithWebIdentity", "Condition": cond})


LAMBDA_TRUST = policy({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                       "Action": "sts:AssumeRole"})

CONFIG_PAYMENTS = """# expected access for the payments domain (the key admin has kms:*, so it reads too)
domains:
  payments:
    read:
      - arn:aws:iam::111122223333:role/app
      - arn:aws:iam::111122223333:role/key-admin
{extra_read}    write:
      - arn:aws:iam::111122223333:role/app
      - arn:aws:iam::111122223333:role/key-admin
    admin:
      - arn:aws:iam::111122223333:role/key-admin
"""


def fixtures():
    f = {}
    ok = policy(admin(), user())
    f["KR001"] = (
        payments(policy(admin(), user(), stmt("Everyone", "*", "kms:Decrypt"))),
        payments(policy(admin(), user(), stmt("SameAccount", "*", "kms:Decrypt", {
            "StringEquals": {"kms:CallerAccount": ACCT}}))),
    )
    f["KR002"] = (
        payments(policy(admin(), user(), user("partner", OTHER, "Partner", ["kms:Decrypt"]))),
        payments(policy(admin(), user(), user("partner", ACCT, "Partner", ["kms:Decrypt"]))),
    )
    f["KR003"] = (payments(None), payments(ok))
    f["KR004"] = (
        payments(ok).add("aws_sqs_queue", "events", {
            "name": "payments-events", "kms_master_key_id": "alias/aws/sqs",
            "tags": {"DataDomain": "payments"}}),
        payments(ok).add("aws_sqs_queue", "events", {
            "name": "payments-events", "kms_master_key_id": Ref("aws_kms_key.payments", "arn"),
            "tags": {"DataDomain": "payments"}}),
    )
    db = {"identifier": "payments-ledger", "engine": "postgres", "instance_class": "db.t4g.micro",
          "allocated_storage": 20, "tags": {"DataDomain": "payments"}}
    f["KR005"] = (
        payments(ok).add("aws_db_instance", "ledger", dict(db, storage_encrypted=False)),
        payments(ok).add("aws_db_instance", "ledger", dict(
            db, storage_encrypted=True, kms_key_id=Ref("aws_kms_key.payments", "arn"))),
    )
    f["KR006"] = (payments(ok).bucket("orders_export", "orders", key="payments"), payments(ok))
    two = Plan().key("orders_a", "orders", ok).key("orders_b", "orders", ok)
    two.bucket("orders", "orders", key="orders_a").bucket("orders_archive", "orders", key="orders_b")
    f["KR007"] = (two, Plan().key("orders", "orders", ok).bucket("orders", "orders", key="orders"))
    f["KR008"] = (
        payments(policy(user(), stmt("KeyAdmin", {"AWS": f"arn:aws:iam::{ACCT}:role/key-admin"},
                                     ["kms:Create*", "kms:Put*", "kms:Describe*", "kms:Enable*"]))),
        payments(ok),
    )
    f["KR009"] = (
        payments(policy(user()), bypass_policy_lockout_safety_check=True),
        payments(ok, bypass_policy_lockout_safety_check=True),
    )
    f["KR010"] = (
        payments(policy(admin(), user(), stmt("ViaS3", "*", "kms:Decrypt", {
            "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}}))),
        payments(policy(admin(), user(), stmt("ViaS3", "*", "kms:Decrypt", {
            "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com",
                             "kms:CallerAccount": ACCT}}))),
    )
    wide = policy({"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": "*"})
    for code, res in (("fail", wide), ("pass", None)):
        p = payments(ok).role("app", LAMBDA_TRUST)
        after = {"name": "kms", "role": Ref("aws_iam_role.app", "id")}
        if res:
            after["policy"] = res
            exprs = {"policy": {}}
        else:
            after["policy"] = Unknown  # jsonencode over aws_kms_key.payments.arn
            exprs = {"policy": {"references": ["aws_kms_key.payments.arn", "aws_kms_key.payments"]}}
        p.add("aws_iam_role_policy", "app_kms", after, expressions=exprs)
        f.setdefault("KR011", [None, None])[0 if code == "fail" else 1] = p
    f["KR012"] = (
        payments(ok).role("app", trust_github(None)),
        payments(ok).role("app", trust_github("repo:example-org/payments:ref:refs/heads/main")),
    )
    unknown_key = Plan()
    unknown_key.add("aws_kms_key", "payments", {
        "bypass_policy_lockout_safety_check": False, "enable_key_rotation": True,
        "description": "payments data domain", "tags": {"DataDomain": "payments"},
        "policy": Unknown}, expressions={
        "policy": {"references": ["aws_iam_role.app.arn", "aws_iam_role.app"]}})
    unknown_key.bucket("payments", "payments", key="payments").role("app", LAMBDA_TRUST)
    f["KR013"] = (unknown_key, payments(ok).role("app", LAMBDA_TRUST))
    for which, acct in (("fail", OTHER), ("pass", ACCT)):
        p = payments(ok).add("aws_kms_grant", "partner", {
            "name": "partner-decrypt", "key_id": Ref("aws_kms_key.payments", "key_id"),
            "grantee_principal": f"arn:aws:iam::{acct}:role/partner",
            "operations": ["Decrypt", "DescribeKey"], "retire_on_delete": False})
        f.setdefault("KR014", [None, None])[0 if which == "fail" else 1] = p
    f["KR015"] = (payments(ok, enable_key_rotation=False), payments(ok))
    analytics = policy(admin(), user(), user("analytics", ACCT, "Analytics", ["kms:Decrypt"]))
    f["KR016"] = (payments(analytics), payments(analytics))
    f["KR017"] = (payments(ok), payments(ok))
    f["KR018"] = (payments(ok, enable_key_rotation=False), payments(ok, enable_key_rotation=False))
    f["KR019"] = (payments(ok, enable_key_rotation=False), payments(ok, enable_key_rotation=False))
    return f


CONFIGS = {
    ("KR016", "fail"): CONFIG_PAYMENTS.format(extra_read=""),
    ("KR016", "pass"): CONFIG_PAYMENTS.format(
        extra_read="      - arn:aws:iam::111122223333:role/analytics\n"),
    ("KR017", "fail"): CONFIG_PAYMENTS.format(extra_read="      - aws_iam_role.retired_reporting\n"),
    ("KR017", "pass"): CONFIG_PAYMENTS.format(extra_read=""),
    ("KR018", "fail"): """suppressions:
  - rule: KR015
    resource: aws_kms_key.payments
    reason: rotation handled by the yearly re-key runbook
    expires: 2020-01-31
""",
    ("KR018", "pass"): """suppressions:
  - rule: KR015
    resource: aws_kms_key.payments
    reason: rotation handled by the yearly re-key runbook
    expires: 2099-12-31
""",
    ("KR019", "fail"): """suppressions:
  - rule: KR015
    resource: aws_kms_key.paymnets
    reason: rotation handled by the yearly re-key runbook
""",
    ("KR019", "pass"): """suppressions:
  - rule: KR015
    resource: aws_kms_key.payments
    reason: rotation handled by the yearly re-key runbook
""",
}

# The finding each fail fixture must produce: (resource, subject or None).
EXPECTED = {
    "KR001": ("aws_kms_key.payments", "*"),
    "KR002": ("aws_kms_key.payments", f"arn:aws:iam::{OTHER}:role/partner"),
    "KR003": ("aws_kms_key.payments", f"arn:aws:iam::{ACCT}:root"),
    "KR004": ("aws_sqs_queue.events", None),
    "KR005": ("aws_db_instance.ledger", None),
    "KR006": ("aws_kms_key.payments", None),
    "KR007": ("aws_kms_key.orders_a", "orders"),
    "KR008": ("aws_kms_key.payments", f"arn:aws:iam::{ACCT}:role/key-admin"),
    "KR009": ("aws_kms_key.payments", None),
    "KR010": ("aws_kms_key.payments", "ViaS3"),
    "KR011": ("aws_iam_role_policy.app_kms", "inline policy #0"),
    "KR012": ("aws_iam_role.app", f"#0 {GITHUB}"),
    "KR013": ("aws_kms_key.payments", "key policy"),
    "KR014": ("aws_kms_grant.partner", f"arn:aws:iam::{OTHER}:role/partner"),
    "KR015": ("aws_kms_key.payments", None),
    "KR016": ("aws_kms_key.payments", f"arn:aws:iam::{ACCT}:role/analytics"),
    "KR017": ("keyreach.yaml", "payments/read/aws_iam_role.retired_reporting"),
    "KR018": ("aws_kms_key.payments", "KR015"),
    "KR019": ("aws_kms_key.paymnets", "KR015"),
}


def main():
    for code, (fail, pass_) in sorted(fixtures().items()):
        for which, plan in (("fail", fail), ("pass", pass_)):
            d = os.path.join(HERE, code, which)
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "plan.json"), "w") as fh:
                json.dump(plan.to_json(), fh, indent=2)
                fh.write("\n")
            cfg = CONFIGS.get((code, which))
            if cfg:
                with open(os.path.join(d, "keyreach.yaml"), "w") as fh:
                    fh.write(cfg)
            with open(os.path.join(d, "args"), "w") as fh:
                fh.write(f"--account-id\n{ACCT}\n")
            if which == "fail":
                resource, subject = EXPECTED[code]
                with open(os.path.join(d, "expected.json"), "w") as fh:
                    json.dump({"rule": code, "resource": resource, "subject": subject}, fh, indent=2)
                    fh.write("\n")


if __name__ == "__main__":
    main()
