#!/usr/bin/env python3
"""Writes the access-diff scenario folders under testdata/diff/.

Each scenario is an estate before and after a change, written twice:
  plan.json            one Terraform plan (`terraform show -json`) carrying both: prior_state,
                       resource_changes with before/after/after_unknown, planned_values;
  base/state.json      a plan that changes nothing, of the estate before the change;
  head/state.json      the same of the estate after it; where values stay unknown until apply,
                       head/plan.json, the plan itself (its after estate is the head).
The expected outputs are written by the test (KEYREACH_BLESS=1 cargo test --test diff).

Run from the repository root: python3 scripts/diff-fixtures.py
"""
import copy
import json
import os

ACCOUNT = "111122223333"
REGION = "eu-west-1"
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "testdata", "diff")
PROVIDER = "registry.terraform.io/hashicorp/aws"
U = object()  # a value unknown until apply


def pol(*statements):
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def role_arn(name):
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def key_arn(n):
    return f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{n}"


ENABLE_IAM = {"Sid": "EnableIAM", "Effect": "Allow",
              "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "kms:*", "Resource": "*"}


def key(name, key_id, statements, domain):
    return ("aws_kms_key", name, {
        "arn": key_arn(key_id), "key_id": key_id, "id": key_id,
        "description": f"{domain} domain key", "enable_key_rotation": True, "is_enabled": True,
        "key_usage": "ENCRYPT_DECRYPT", "customer_master_key_spec": "SYMMETRIC_DEFAULT",
        "multi_region": False, "bypass_policy_lockout_safety_check": False,
        "deletion_window_in_days": 30, "tags": {"DataDomain": domain},
        "tags_all": {"DataDomain": domain}, "policy": pol(*statements)})


def bucket(name, bucket_name, domain):
    return ("aws_s3_bucket", name, {
        "bucket": bucket_name, "arn": f"arn:aws:s3:::{bucket_name}", "id": bucket_name,
        "tags": {"DataDomain": domain}, "tags_all": {"DataDomain": domain}, "force_destroy": False})


def sse(name, bucket_name, kms_arn):
    return ("aws_s3_bucket_server_side_encryption_configuration", name, {
        "bucket": bucket_name, "id": bucket_name, "expected_bucket_owner": "",
        "rule": [{"apply_server_side_encryption_by_default": [
            {"sse_algorithm": "aws:kms", "kms_master_key_id": kms_arn}], "bucket_key_enabled": True}]})


def role(name, trust_principal):
    return ("aws_iam_role", name, {
        "name": name, "arn": role_arn(name), "id": name, "path": "/", "unique_id": "AROA" + name.upper(),
        "assume_role_policy": pol({"Effect": "Allow", "Principal": trust_principal, "Action": "sts:AssumeRole"}),
        "permissions_boundary": None, "tags": {}, "tags_all": {}, "max_session_duration": 3600,
        "force_detach_policies": False, "description": None, "managed_policy_arns": [], "inline_policy": []})


def role_policy(name, role_name, *statements):
    return ("aws_iam_role_policy", name, {
        "name": name, "role": role_name, "id": f"{role_name}:{name}", "policy": pol(*statements)})


def grant(name, kms_arn, grantee, ops):
    return ("aws_kms_grant", name, {
        "name": name, "key_id": kms_arn, "grantee_principal": grantee, "operations": ops,
        "constraints": [], "retiring_principal": None, "grant_creation_tokens": None,
        "retire_on_delete": False, "grant_id": "g-" + name, "id": f"{kms_arn}:g-{name}"})


def decrypt(resource):
    return {"Sid": "UseKey", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": resource}


LAMBDA = {"Service": "lambda.amazonaws.com"}
PAY_KEY = "1111aaaa-0000-4000-8000-000000000001"
ORD_KEY = "2222bbbb-0000-4000-8000-000000000002"
NEW_KEY = "3333cccc-0000-4000-8000-000000000003"


def base_estate():
    """The estate every scenario starts from: two domains, payments and orders."""
    rs = [
        key("payments", PAY_KEY, [ENABLE_IAM], "payments"),
        bucket("payments", "kr-payments-data", "payments"),
        sse("payments", "kr-payments-data", key_arn(PAY_KEY)),
        key("orders", ORD_KEY, [ENABLE_IAM], "orders"),
        bucket("orders", "kr-orders-data", "orders"),
        sse("orders", "kr-orders-data", key_arn(ORD_KEY)),
        role("app", LAMBDA),
        role_policy("app", "app", decrypt(key_arn(PAY_KEY))),
        role("analytics", LAMBDA),
        role_policy("analytics", "analytics",
                    {"Sid": "ReadReports", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}),
    ]
    return {f"{t}.{n}": (t, n, v) for t, n, v in rs}


def put(estate, r):
    t, n, v = r
    estate[f"{t}.{n}"] = (t, n, v)


def replace_values(estate, address, **changes):
    t, n, v = estate[address]
    v = copy.deepcopy(v)
    v.update(changes)
    estate[address] = (t, n, v)


def auditor_statement():
    return {"Sid": "Auditor", "Effect": "Allow", "Principal": {"AWS": role_arn("auditor")},
            "Action": "kms:Decrypt", "Resource": "*"}


def scenarios():
    out = {}

    # Key-policy statements added and removed.
    b = base_estate()
    put(b, role("auditor", LAMBDA))
    replace_values(b, "aws_kms_key.payments", policy=pol(ENABLE_IAM, auditor_statement()))
    a = copy.deepcopy(b)
    replace_values(a, "aws_kms_key.payments", policy=pol(
        ENABLE_IAM, {"Sid": "Analytics", "Effect": "Allow", "Principal": {"AWS": role_arn("analytics")},
                     "Action": ["kms:Decrypt", "kms:DescribeKey"], "Resource": "*"}))
    out["key-policy-statements"] = ("A key-policy statement for the analytics role is added to the payments key "
                                     "and the auditor's statement is removed: analytics gains read, the auditor "
                                     "loses it; both caused by the key.", b, a, {}, set())

    # Identity policy widened.
    b = base_estate()
    a = copy.deepcopy(b)
    put(a, role_policy("analytics", "analytics",
                       {"Sid": "ReadReports", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"},
                       {"Sid": "DecryptAll", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}))
    out["identity-policy-widened"] = ("The analytics role's inline policy gains `kms:Decrypt` on `*`; both keys "
                                      "delegate to IAM, so analytics gains read on both domains, caused by the "
                                      "policy resource.", b, a, {}, set())

    # Trust policy changed: a new role chain.
    b = base_estate()
    put(b, role("ci", {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}))
    put(b, role_policy("ci", "ci", {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn("app")}))
    a = copy.deepcopy(b)
    t, n, v = a["aws_iam_role.app"]
    v["assume_role_policy"] = pol({"Effect": "Allow", "Principal": LAMBDA, "Action": "sts:AssumeRole"},
                                  {"Effect": "Allow", "Principal": {"AWS": role_arn("ci")},
                                   "Action": "sts:AssumeRole"})
    out["trust-policy-chain"] = ("The app role's trust policy now trusts the ci role, which may assume it: ci "
                                 "becomes a reader of payments through the chain, caused by the app role.",
                                 b, a, {}, set())

    # Grants created and deleted.
    b = base_estate()
    put(b, grant("old_partner", key_arn(ORD_KEY), role_arn("app"), ["Decrypt"]))
    a = copy.deepcopy(b)
    del a["aws_kms_grant.old_partner"]
    put(a, grant("analytics", key_arn(PAY_KEY), role_arn("analytics"), ["Decrypt"]))
    out["grants"] = ("A Decrypt grant on the payments key is created for analytics (read gained), and the app "
                     "role's grant on the orders key is deleted (read lost).", b, a, {}, set())

    # Stores moving between keys.
    b = base_estate()
    put(b, bucket("archive", "kr-archive-data", "orders"))
    put(b, sse("archive", "kr-archive-data", key_arn(ORD_KEY)))
    a = copy.deepcopy(b)
    put(a, bucket("archive", "kr-archive-data", "payments"))
    put(a, sse("archive", "kr-archive-data", key_arn(PAY_KEY)))
    out["store-moved"] = ("The archive bucket is re-keyed from the orders key to the payments key (and re-tagged): "
                          "a store move caused by its encryption configuration and bucket.", b, a, {}, set())

    # Key replaced (new key id unknown until apply), and a new domain created.
    b = base_estate()
    a = copy.deepcopy(b)
    replace_values(a, "aws_kms_key.orders", arn=U, key_id=U, id=U,
                   policy=pol(ENABLE_IAM, {"Sid": "App", "Effect": "Allow", "Principal": {"AWS": role_arn("app")},
                                           "Action": "kms:Decrypt", "Resource": "*"}),
                   customer_master_key_spec="SYMMETRIC_DEFAULT", multi_region=True)
    replace_values(a, "aws_s3_bucket_server_side_encryption_configuration.orders",
                   rule=[{"apply_server_side_encryption_by_default": [
                       {"sse_algorithm": "aws:kms", "kms_master_key_id": U}], "bucket_key_enabled": True}])
    put(a, key("hr", NEW_KEY, [ENABLE_IAM, {"Sid": "Analytics", "Effect": "Allow",
                                             "Principal": {"AWS": role_arn("analytics")},
                                             "Action": "kms:Decrypt", "Resource": "*"}], "hr"))
    refs = {"aws_s3_bucket_server_side_encryption_configuration.orders": {
        "rule.0.apply_server_side_encryption_by_default.0.kms_master_key_id": ["aws_kms_key.orders.arn",
                                                                             "aws_kms_key.orders"]}}
    out["key-replaced"] = ("The orders key is replaced (multi-Region now; its new ARN is unknown until apply) with "
                           "a policy naming the app role, and an hr domain is created: the app role's access "
                           "to orders and everybody's access to hr are listed with their causes.",
                           b, a, refs, {"aws_kms_key.orders"})

    # Resources deleted.
    b = base_estate()
    a = copy.deepcopy(b)
    for addr in ["aws_iam_role.app", "aws_iam_role_policy.app", "aws_kms_key.orders", "aws_s3_bucket.orders",
                 "aws_s3_bucket_server_side_encryption_configuration.orders"]:
        del a[addr]
    out["resources-deleted"] = ("The app role and its policy are deleted (it loses read and write on payments) and "
                                "the orders key and bucket are destroyed (the orders domain is destroyed).",
                                b, a, {}, set())

    # Values unknown after apply.
    b = base_estate()
    a = copy.deepcopy(b)
    put(a, role_policy("analytics", "analytics",
                       {"Sid": "ReadReports", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}))
    t, n, v = a["aws_iam_role_policy.analytics"]
    v["policy"] = U
    refs = {"aws_iam_role_policy.analytics": {"policy": ["var.analytics_policy"]}}
    out["unknown-after-apply"] = ("The analytics role's policy becomes a value unknown until apply: its access to "
                                  "both domains becomes conditional (no -> conditional), never dropped.",
                                  b, a, refs, set())
    return out


def known(v):
    """Values with unknowns removed (as `after` shows them) and the after_unknown marks."""
    if v is U:
        return None, True
    if isinstance(v, dict):
        vals, marks = {}, {}
        for k, x in v.items():
            kv, km = known(x)
            if km is True:
                marks[k] = True
                continue
            vals[k] = kv
            if km:
                marks[k] = km
        return vals, marks
    if isinstance(v, list):
        vals, marks, any_mark = [], [], False
        for x in v:
            kv, km = known(x)
            vals.append(kv)
            marks.append(km if km else False)
            any_mark = any_mark or bool(km)
        return vals, (marks if any_mark else {})
    return v, {}


def res_obj(t, n, values):
    return {"address": f"{t}.{n}", "mode": "managed", "type": t, "name": n, "provider_name": PROVIDER,
            "schema_version": 0, "values": values, "sensitive_values": {}}


def configuration(estate, refs):
    resources = []
    for addr in sorted(estate):
        t, n, _ = estate[addr]
        exprs = {}
        for path, r in refs.get(addr, {}).items():
            # Nested attribute paths become nested expression blocks.
            parts = path.split(".")
            cur = exprs
            i = 0
            while i < len(parts) - 1:
                name = parts[i]
                nxt = cur.setdefault(name, [{}])
                cur = nxt[0]
                i += 2 if i + 1 < len(parts) - 1 and parts[i + 1].isdigit() else 1
            cur[parts[-1]] = {"references": r}
        resources.append({"address": addr, "mode": "managed", "type": t, "name": n,
                          "provider_config_key": "aws", "expressions": exprs, "schema_version": 0})
    return {"provider_config": {"aws": {"name": "aws", "full_name": PROVIDER,
                                        "expressions": {"region": {"constant_value": REGION}}}},
            "root_module": {"resources": resources}}


def plan(before, after, refs, replaced):
    changes = []
    for addr in sorted(set(before) | set(after)):
        b = before.get(addr)
        a = after.get(addr)
        t, n, _ = a or b
        if b and a:
            if addr in replaced:
                actions = ["delete", "create"]
            elif b[2] == a[2]:
                actions = ["no-op"]
            else:
                actions = ["update"]
        elif a:
            actions = ["create"]
        else:
            actions = ["delete"]
        av, au = known(a[2]) if a else (None, {})
        changes.append({"address": addr, "mode": "managed", "type": t, "name": n, "provider_name": PROVIDER,
                        "change": {"actions": actions, "before": b[2] if b else None, "after": av,
                                   "after_unknown": au if a else {}, "before_sensitive": {} if b else False,
                                   "after_sensitive": {} if a else False}})
    planned = [res_obj(*after[addr][:2], known(after[addr][2])[0]) for addr in sorted(after)]
    prior = [res_obj(*before[addr]) for addr in sorted(before)]
    doc = {"format_version": "1.2", "terraform_version": "1.9.5",
           "planned_values": {"root_module": {"resources": planned}},
           "resource_changes": changes,
           "prior_state": {"format_version": "1.0", "terraform_version": "1.9.5",
                           "values": {"root_module": {"resources": prior}}}}
    doc["configuration"] = configuration(after, refs)
    return doc


def write(path, doc):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


def main():
    for name, (readme, before, after, refs, replaced) in scenarios().items():
        d = os.path.join(ROOT, name)
        write(os.path.join(d, "plan.json"), plan(before, after, refs, replaced))
        # The two sides as plans that change nothing (the estate as it is, or as it will be).
        write(os.path.join(d, "base", "state.json"), plan(before, before, {}, set()))
        if refs or replaced:
            # Values unknown until apply: the head side is the plan itself (its after estate).
            write(os.path.join(d, "head", "plan.json"), plan(before, after, refs, replaced))
        else:
            write(os.path.join(d, "head", "state.json"), plan(after, after, refs, set()))
        with open(os.path.join(d, "README.md"), "w") as f:
            f.write(readme + "\n\nGenerated by `scripts/diff-fixtures.py`: `plan.json` is one plan carrying the "
                    "before and after estates; `base/` and `head/` hold the two estates as plans that change "
                    "nothing. `expected-plan.json` is `keyreach diff plan.json --format json`, "
                    "`expected-base-head.json` is `keyreach diff --base base --head head --format json`.\n")


if __name__ == "__main__":
    main()
