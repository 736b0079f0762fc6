//! SAM (`Transform: AWS::Serverless-2016-10-31`): the serverless resource types expanded into
//! the CloudFormation resources the SAM translator generates, before anything else reads the
//! template.
//!
//! - `AWS::Serverless::Function` becomes an `AWS::Lambda::Function` (same logical id) and,
//!   unless it names a `Role`, the implicit role `<Function>Role`: trust `lambda.amazonaws.com`,
//!   `AWSLambdaBasicExecutionRole`, the managed policies its events, tracing and VPC settings
//!   imply, and its `Policies` — AWS managed policy names (`AmazonS3ReadOnlyAccess` ->
//!   `arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess`), ARNs and intrinsics, policy templates
//!   ([`templates`]) and inline documents, each inline one named `<Function>RolePolicy<N>` as
//!   SAM names them. `Globals.Function` is merged in first (maps merged, lists appended, the
//!   function's own scalars win).
//! - `AWS::Serverless::StateMachine` likewise gets `<StateMachine>Role` (trust
//!   `states.amazonaws.com`).
//! - `AWS::Serverless::SimpleTable` becomes an `AWS::DynamoDB::Table` with its
//!   `SSESpecification` (and `Globals.SimpleTable`).
//! - `AWS::Serverless::Connector` becomes an `AWS::IAM::Policy` on the source's role whose
//!   document is unknown: keyreach does not model connector profiles, so whatever the
//!   connector grants is reported as `conditional` instead of being dropped.
//!
//! Generated resources keep the line of the resource the text declares (`pointer_alias`), and
//! their `Resource.type_name` stays the SAM type the user wrote (`keyreach:SourceType`).

mod policies;
pub(crate) mod templates;

use policies::{convert_policies, event_policies};

use crate::error::pointer_token;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The SAM transform name.
pub(crate) const SAM_TRANSFORM: &str = "AWS::Serverless-2016-10-31";
/// Resource-level key holding the type the template declares for an expanded resource.
pub(crate) const SOURCE_TYPE: &str = "keyreach:SourceType";
/// A single-key object that resolves to an unknown value without any message.
pub(crate) const UNKNOWN: &str = "keyreach::Unknown";

/// What the expansion did besides rewriting the template.
#[derive(Debug, Default)]
pub(crate) struct Expansion {
    /// Generated pointer prefix -> pointer in the text.
    pub pointer_alias: BTreeMap<String, String>,
    /// (pointer, message) of malformed SAM input.
    pub errors: Vec<(String, String)>,
    /// (pointer, message) of things keyreach could not follow.
    pub notes: Vec<(String, String)>,
}

/// True when the template uses the SAM transform.
#[must_use]
pub(crate) fn uses_sam(root: &Value) -> bool {
    match root.get("Transform") {
        Some(Value::String(s)) => s == SAM_TRANSFORM,
        Some(Value::Array(items)) => items.iter().any(|t| t.as_str() == Some(SAM_TRANSFORM)),
        _ => false,
    }
}

fn no_value() -> Value {
    json!({"Ref": "AWS::NoValue"})
}

fn unknown() -> Value {
    json!({ UNKNOWN: null })
}

fn res_ptr(logical: &str) -> String {
    format!("/Resources/{}", pointer_token(logical))
}

fn is_intrinsic(m: &Map<String, Value>) -> bool {
    m.len() == 1
        && m.keys()
            .next()
            .is_some_and(|k| k == "Ref" || k.starts_with("Fn::"))
}

/// SAM's `Globals` merge: maps merged, lists appended (globals first), the resource's own
/// value wins otherwise.
fn merge(global: &Value, local: &Value) -> Value {
    match (global, local) {
        (Value::Object(g), Value::Object(l)) if !is_intrinsic(g) && !is_intrinsic(l) => {
            let mut out = g.clone();
            for (k, v) in l {
                let merged = match g.get(k) {
                    Some(gv) => merge(gv, v),
                    None => v.clone(),
                };
                out.insert(k.clone(), merged);
            }
            Value::Object(out)
        }
        (Value::Array(g), Value::Array(l)) => {
            Value::Array(g.iter().chain(l.iter()).cloned().collect())
        }
        (_, l) => l.clone(),
    }
}

fn props_with_globals(res: &Value, globals: Option<&Value>) -> Map<String, Value> {
    let local = res
        .get("Properties")
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));
    let merged = match globals {
        Some(g @ Value::Object(_)) => merge(g, &local),
        _ => local,
    };
    match merged {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Expands every SAM resource of a template in place.
pub(crate) fn expand(root: &mut Value) -> Expansion {
    let mut out = Expansion::default();
    let globals = root.get("Globals").cloned().unwrap_or(Value::Null);
    let Some(resources) = root.get_mut("Resources").and_then(Value::as_object_mut) else {
        return out;
    };
    let original = resources.clone();
    let mut added: Vec<(String, Value)> = Vec::new();
    for (logical, res) in &original {
        let ty = res.get("Type").and_then(Value::as_str).unwrap_or_default();
        let replaced = match ty {
            "AWS::Serverless::Function" => {
                let props = props_with_globals(res, globals.get("Function"));
                Some(function(logical, res, &props, &mut added, &mut out))
            }
            "AWS::Serverless::StateMachine" => {
                let props = props_with_globals(res, globals.get("StateMachine"));
                Some(state_machine(logical, res, &props, &mut added, &mut out))
            }
            "AWS::Serverless::SimpleTable" => {
                let props = props_with_globals(res, globals.get("SimpleTable"));
                let mut p = Map::new();
                for k in ["TableName", "SSESpecification", "Tags"] {
                    if let Some(v) = props.get(k) {
                        p.insert(k.to_owned(), v.clone());
                    }
                }
                Some(generated(res, "AWS::DynamoDB::Table", p))
            }
            "AWS::Serverless::Connector" => {
                connector(logical, res, &original, &mut added, &mut out);
                None
            }
            "AWS::Serverless::Application" => {
                out.notes.push((
                    res_ptr(logical),
                    "AWS::Serverless::Application deploys a nested application that is not \
                     given on the command line; its resources are not analysed"
                        .to_owned(),
                ));
                None
            }
            _ => None,
        };
        if let Some(r) = replaced {
            resources.insert(logical.clone(), r);
        }
    }
    for (logical, res) in added {
        if original.contains_key(&logical) {
            out.errors.push((
                res_ptr(&logical),
                format!("SAM generates `{logical}`, which the template also declares"),
            ));
        } else {
            resources.insert(logical, res);
        }
    }
    out
}

/// A generated resource that keeps the declared resource's Condition and Metadata.
fn generated(res: &Value, ty: &str, props: Map<String, Value>) -> Value {
    let mut r = Map::new();
    r.insert("Type".to_owned(), Value::String(ty.to_owned()));
    if let Some(src) = res.get("Type") {
        r.insert(SOURCE_TYPE.to_owned(), src.clone());
    }
    r.insert("Properties".to_owned(), Value::Object(props));
    for k in ["Condition", "Metadata", "DependsOn"] {
        if let Some(v) = res.get(k) {
            r.insert(k.to_owned(), v.clone());
        }
    }
    Value::Object(r)
}

fn function(
    logical: &str,
    res: &Value,
    props: &Map<String, Value>,
    added: &mut Vec<(String, Value)>,
    out: &mut Expansion,
) -> Value {
    let mut p = Map::new();
    for k in ["KmsKeyArn", "FunctionName"] {
        if let Some(v) = props.get(k) {
            p.insert(k.to_owned(), v.clone());
        }
    }
    p.insert("Tags".to_owned(), created_by_sam(props, res));
    let role_logical = format!("{logical}Role");
    let role = match props.get("Role") {
        Some(r) => r.clone(),
        None => {
            let base = format!("{}/Properties", res_ptr(logical));
            let mut managed = vec![sub(&templates::managed_policy_arn(
                "AWSLambdaBasicExecutionRole",
            ))];
            let mut inline = Vec::new();
            event_policies(props, &base, &mut managed, &mut inline);
            let trust = props
                .get("AssumeRolePolicyDocument")
                .cloned()
                .unwrap_or_else(|| trust_policy("lambda.amazonaws.com"));
            let r = implicit_role(logical, res, props, trust, managed, inline, out);
            added.push((role_logical.clone(), r));
            json!({"Fn::GetAtt": [role_logical, "Arn"]})
        }
    };
    p.insert("Role".to_owned(), role);
    generated(res, "AWS::Lambda::Function", p)
}

fn state_machine(
    logical: &str,
    res: &Value,
    props: &Map<String, Value>,
    added: &mut Vec<(String, Value)>,
    out: &mut Expansion,
) -> Value {
    let mut p = Map::new();
    if let Some(v) = props.get("Name") {
        p.insert("Name".to_owned(), v.clone());
    }
    p.insert("Tags".to_owned(), created_by_sam(props, res));
    let role_logical = format!("{logical}Role");
    let role = match props.get("Role") {
        Some(r) => r.clone(),
        None => {
            let r = implicit_role(
                logical,
                res,
                props,
                trust_policy("states.amazonaws.com"),
                Vec::new(),
                Vec::new(),
                out,
            );
            added.push((role_logical.clone(), r));
            json!({"Fn::GetAtt": [role_logical, "Arn"]})
        }
    };
    p.insert("RoleArn".to_owned(), role);
    generated(res, "AWS::StepFunctions::StateMachine", p)
}

/// The resource's `Tags` map plus the tag SAM adds to what it generates
/// (`lambda:createdBy` / `stateMachine:createdBy`).
fn created_by_sam(props: &Map<String, Value>, res: &Value) -> Value {
    let key = match res.get("Type").and_then(Value::as_str) {
        Some("AWS::Serverless::StateMachine") => "stateMachine:createdBy",
        _ => "lambda:createdBy",
    };
    match props.get("Tags") {
        Some(Value::Object(m)) => {
            let mut m = m.clone();
            m.insert(key.to_owned(), json!("SAM"));
            Value::Object(m)
        }
        Some(other) => other.clone(),
        None => json!({ key: "SAM" }),
    }
}

fn trust_policy(service: &str) -> Value {
    json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": [service]},
            "Action": ["sts:AssumeRole"]
        }]
    })
}

fn sub(pattern: &str) -> Value {
    json!({ "Fn::Sub": pattern })
}

/// The implicit role of a function or state machine. `inline` holds (document, source pointer).
fn implicit_role(
    owner: &str,
    res: &Value,
    props: &Map<String, Value>,
    trust: Value,
    mut managed: Vec<Value>,
    extra_inline: Vec<(Value, String)>,
    out: &mut Expansion,
) -> Value {
    let role_logical = format!("{owner}Role");
    let owner_ptr = res_ptr(owner);
    let role_ptr = res_ptr(&role_logical);
    out.pointer_alias
        .insert(role_ptr.clone(), owner_ptr.clone());
    // What SAM generates points at the function itself; what the user wrote keeps its place.
    out.pointer_alias
        .insert(format!("{role_ptr}/Properties"), owner_ptr.clone());
    let base = format!("{owner_ptr}/Properties");
    for (generated, written) in [
        ("AssumeRolePolicyDocument", "AssumeRolePolicyDocument"),
        ("PermissionsBoundary", "PermissionsBoundary"),
        ("Path", "RolePath"),
    ] {
        if props.contains_key(written) {
            out.pointer_alias.insert(
                format!("{role_ptr}/Properties/{generated}"),
                format!("{base}/{written}"),
            );
        }
    }
    let mut inline: Vec<(Value, String)> = Vec::new();
    if let Some(policies) = props.get("Policies") {
        convert_policies(
            policies,
            &format!("{base}/Policies"),
            &mut managed,
            &mut inline,
            out,
        );
    }
    inline.extend(extra_inline);
    let mut policies = Vec::new();
    for (i, (doc, src)) in inline.into_iter().enumerate() {
        out.pointer_alias
            .insert(format!("{role_ptr}/Properties/Policies/{i}"), src);
        policies.push(json!({
            "PolicyName": format!("{role_logical}Policy{i}"),
            "PolicyDocument": doc,
        }));
    }
    let mut p = Map::new();
    p.insert("AssumeRolePolicyDocument".to_owned(), trust);
    p.insert("ManagedPolicyArns".to_owned(), Value::Array(managed));
    if !policies.is_empty() {
        p.insert("Policies".to_owned(), Value::Array(policies));
    }
    if let Some(b) = props.get("PermissionsBoundary") {
        p.insert("PermissionsBoundary".to_owned(), b.clone());
    }
    if let Some(path) = props.get("RolePath") {
        p.insert("Path".to_owned(), path.clone());
    }
    p.insert("Tags".to_owned(), created_by_sam(props, res));
    let mut r = Map::new();
    r.insert("Type".to_owned(), json!("AWS::IAM::Role"));
    r.insert("Properties".to_owned(), Value::Object(p));
    if let Some(c) = res.get("Condition") {
        r.insert("Condition".to_owned(), c.clone());
    }
    Value::Object(r)
}

fn connector(
    logical: &str,
    res: &Value,
    original: &Map<String, Value>,
    added: &mut Vec<(String, Value)>,
    out: &mut Expansion,
) {
    let ptr = res_ptr(logical);
    let source = res.get("Properties").and_then(|p| p.get("Source"));
    let role: Value = match source {
        Some(s) if s.get("RoleName").is_some() => s.get("RoleName").cloned().unwrap_or_default(),
        Some(s) => match s.get("Id").and_then(Value::as_str) {
            Some(id) => match original.get(id) {
                Some(src)
                    if matches!(
                        src.get("Type").and_then(Value::as_str),
                        Some("AWS::Serverless::Function" | "AWS::Serverless::StateMachine")
                    ) =>
                {
                    match src.get("Properties").and_then(|p| p.get("Role")) {
                        Some(r) => r.clone(),
                        None => json!({"Ref": format!("{id}Role")}),
                    }
                }
                Some(src) => src
                    .get("Properties")
                    .and_then(|p| p.get("Role").or_else(|| p.get("RoleArn")))
                    .cloned()
                    .unwrap_or_else(unknown),
                None => unknown(),
            },
            None => unknown(),
        },
        None => unknown(),
    };
    out.notes.push((
        ptr.clone(),
        "SAM connector permissions are not modelled; the source's role is treated as possibly \
         having any access through it"
            .to_owned(),
    ));
    let policy = format!("{logical}Policy");
    out.pointer_alias.insert(res_ptr(&policy), ptr);
    let mut r = Map::new();
    r.insert("Type".to_owned(), json!("AWS::IAM::Policy"));
    r.insert(
        "Properties".to_owned(),
        json!({"PolicyName": policy, "PolicyDocument": unknown(), "Roles": [role]}),
    );
    if let Some(c) = res.get("Condition") {
        r.insert("Condition".to_owned(), c.clone());
    }
    added.push((policy, Value::Object(r)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globals_merge() {
        let g =
            json!({"Tags": {"a": "1"}, "Layers": ["x"], "Timeout": 3, "KmsKeyArn": {"Ref": "K"}});
        let l = json!({"Tags": {"b": "2"}, "Layers": ["y"], "Timeout": 5});
        assert_eq!(
            merge(&g, &l),
            json!({"Tags": {"a": "1", "b": "2"}, "Layers": ["x", "y"], "Timeout": 5, "KmsKeyArn": {"Ref": "K"}})
        );
    }

    #[test]
    fn function_gets_implicit_role() {
        let mut root = json!({
            "Transform": SAM_TRANSFORM,
            "Resources": {"Fn": {"Type": "AWS::Serverless::Function", "Properties": {
                "Policies": ["AmazonS3ReadOnlyAccess", {"KMSDecryptPolicy": {"KeyId": "k"}},
                             {"Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}],
                "Events": {"Q": {"Type": "SQS", "Properties": {"Queue": "arn"}}}
            }}}
        });
        assert!(uses_sam(&root));
        let x = expand(&mut root);
        assert!(x.errors.is_empty(), "{:?}", x.errors);
        let role = &root["Resources"]["FnRole"];
        assert_eq!(role["Type"], "AWS::IAM::Role");
        assert_eq!(
            role["Properties"]["ManagedPolicyArns"],
            json!([
                {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
                {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole"},
                {"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonS3ReadOnlyAccess"}
            ])
        );
        assert_eq!(
            role["Properties"]["Policies"][0]["PolicyName"],
            "FnRolePolicy0"
        );
        assert_eq!(
            role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Action"],
            json!(["kms:Decrypt"])
        );
        assert_eq!(root["Resources"]["Fn"]["Type"], "AWS::Lambda::Function");
        assert_eq!(
            root["Resources"]["Fn"]["Properties"]["Role"],
            json!({"Fn::GetAtt": ["FnRole", "Arn"]})
        );
        assert_eq!(
            x.pointer_alias
                .get("/Resources/FnRole/Properties/Policies/1")
                .map(String::as_str),
            Some("/Resources/Fn/Properties/Policies/2")
        );
    }
}
