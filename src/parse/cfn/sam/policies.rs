//! SAM `Policies` (managed policy names and ARNs, intrinsics, policy templates, inline
//! documents, `Fn::If` over any of them) and the policies SAM adds for events, tracing, VPC
//! access, dead-letter queues and destinations.

use super::{no_value, sub, templates, unknown, Expansion};
use crate::error::pointer_token;
use serde_json::{json, Map, Value};

/// Splits a SAM `Policies` value into managed policy ARNs and inline documents.
pub(super) fn convert_policies(
    v: &Value,
    ptr: &str,
    managed: &mut Vec<Value>,
    inline: &mut Vec<(Value, String)>,
    out: &mut Expansion,
) {
    let items: Vec<(String, &Value)> = match v {
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| (format!("{ptr}/{i}"), item))
            .collect(),
        other => vec![(ptr.to_owned(), other)],
    };
    for (item_ptr, item) in items {
        let (m, i) = convert_item(item, &item_ptr, out);
        if let Some(m) = m {
            managed.push(m);
        }
        if let Some(i) = i {
            inline.push((i, item_ptr));
        }
    }
}

/// One `Policies` item: (managed policy ARN, inline document).
fn convert_item(item: &Value, ptr: &str, out: &mut Expansion) -> (Option<Value>, Option<Value>) {
    match item {
        Value::String(s) if s.starts_with("arn:") => (Some(item.clone()), None),
        Value::String(s) => (Some(sub(&templates::managed_policy_arn(s))), None),
        Value::Object(m) if m.contains_key("Statement") => (None, Some(item.clone())),
        Value::Object(m) if m.len() == 1 => {
            let Some((k, arg)) = m.iter().next() else {
                return (None, None);
            };
            if k == "Fn::If" {
                if let Some([cond, a, b]) = arg.as_array().map(Vec::as_slice) {
                    let (ma, ia) = convert_item(a, &format!("{ptr}/Fn::If/1"), out);
                    let (mb, ib) = convert_item(b, &format!("{ptr}/Fn::If/2"), out);
                    let pick = |x: Option<Value>, y: Option<Value>| {
                        if x.is_none() && y.is_none() {
                            None
                        } else {
                            Some(json!({"Fn::If": [
                                cond,
                                x.unwrap_or_else(no_value),
                                y.unwrap_or_else(no_value)
                            ]}))
                        }
                    };
                    return (pick(ma, mb), pick(ia, ib));
                }
                out.errors.push((
                    ptr.to_owned(),
                    "Fn::If takes [ConditionName, ValueIfTrue, ValueIfFalse]".to_owned(),
                ));
                return (None, Some(unknown()));
            }
            if k == "Ref" && arg.as_str() == Some("AWS::NoValue") {
                return (None, None);
            }
            if k == "Ref" || k.starts_with("Fn::") {
                return (Some(item.clone()), None);
            }
            if let Some(t) = templates::find(k) {
                return (None, Some(template_doc(t, arg, ptr, out)));
            }
            if templates::NO_DATA_ACCESS.contains(&k.as_str()) {
                return (None, None);
            }
            out.notes.push((
                ptr.to_owned(),
                format!(
                    "SAM policy template `{k}` is not known to keyreach; the function's role is \
                     treated as possibly having any access through it"
                ),
            ));
            (None, Some(unknown()))
        }
        _ => {
            out.errors.push((
                ptr.to_owned(),
                "a SAM policy must be a managed policy name or ARN, a policy template \
                 ({TemplateName: {parameters}}) or a policy document ({Statement: […]})"
                    .to_owned(),
            ));
            (None, Some(unknown()))
        }
    }
}

/// The document a policy template generates, with the user's parameter values.
fn template_doc(t: &templates::Template, args: &Value, ptr: &str, out: &mut Expansion) -> Value {
    let empty = Map::new();
    let args = match args {
        Value::Object(m) => m,
        Value::Null => &empty,
        _ => {
            out.errors.push((
                ptr.to_owned(),
                format!(
                    "the parameters of SAM policy template `{}` must be a mapping",
                    t.name
                ),
            ));
            &empty
        }
    };
    let mut vars = Map::new();
    for p in t.params {
        let v = match args.get(*p) {
            Some(v) => v.clone(),
            None => {
                out.errors.push((
                    ptr.to_owned(),
                    format!("SAM policy template `{}` needs the parameter `{p}`", t.name),
                ));
                unknown()
            }
        };
        vars.insert((*p).to_owned(), v);
    }
    let fill = |pattern: &str| -> Value {
        if pattern == "*" {
            Value::String("*".to_owned())
        } else {
            json!({"Fn::Sub": [pattern, Value::Object(vars.clone())]})
        }
    };
    let statements: Vec<Value> = t
        .statements
        .iter()
        .map(|s| {
            let mut st = Map::new();
            st.insert("Effect".to_owned(), json!("Allow"));
            st.insert("Action".to_owned(), json!(s.actions));
            st.insert(
                "Resource".to_owned(),
                Value::Array(s.resources.iter().map(|r| fill(r)).collect()),
            );
            if let Some((key, pattern)) = s.condition {
                st.insert(
                    "Condition".to_owned(),
                    json!({"StringEquals": { key: fill(pattern) }}),
                );
            }
            Value::Object(st)
        })
        .collect();
    json!({"Version": "2012-10-17", "Statement": statements})
}

/// Managed policies and inline statements SAM adds for events, tracing, VPC access, dead-letter
/// queues and destinations.
pub(super) fn event_policies(
    props: &Map<String, Value>,
    base: &str,
    managed: &mut Vec<Value>,
    inline: &mut Vec<(Value, String)>,
) {
    let mut add_managed = |name: &str| {
        let v = sub(&templates::managed_policy_arn(name));
        if !managed.contains(&v) {
            managed.push(v);
        }
    };
    if let Some(Value::Object(events)) = props.get("Events") {
        for (name, ev) in events {
            let ptr = format!("{base}/Events/{}", pointer_token(name));
            let ep = ev.get("Properties");
            match ev.get("Type").and_then(Value::as_str) {
                Some("SQS") => add_managed("AWSLambdaSQSQueueExecutionRole"),
                Some("Kinesis") => add_managed("AWSLambdaKinesisExecutionRole"),
                Some("DynamoDB") => add_managed("AWSLambdaDynamoDBExecutionRole"),
                Some("MSK") => add_managed("AWSLambdaMSKExecutionRole"),
                Some("MQ" | "SelfManagedKafka" | "DocumentDB") => {
                    let mut statements = Vec::new();
                    if let Some(Value::Array(cfgs)) =
                        ep.and_then(|p| p.get("SourceAccessConfigurations"))
                    {
                        let secrets: Vec<Value> =
                            cfgs.iter().filter_map(|c| c.get("URI").cloned()).collect();
                        if !secrets.is_empty() {
                            statements.push(json!({
                                "Effect": "Allow",
                                "Action": ["secretsmanager:GetSecretValue"],
                                "Resource": secrets
                            }));
                        }
                    }
                    if let Some(k) = ep.and_then(|p| p.get("SecretsManagerKmsKeyId")) {
                        statements.push(json!({
                            "Effect": "Allow",
                            "Action": ["kms:Decrypt"],
                            "Resource": {"Fn::Sub": [
                                "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/${KeyId}",
                                {"KeyId": k}
                            ]}
                        }));
                    }
                    if !statements.is_empty() {
                        inline.push((
                            json!({"Version": "2012-10-17", "Statement": statements}),
                            ptr,
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    if props.get("Tracing").and_then(Value::as_str) == Some("Active") {
        add_managed("AWSXrayWriteOnlyAccess");
    }
    if props.get("VpcConfig").is_some() {
        add_managed("AWSLambdaVPCAccessExecutionRole");
    }
    let send = |ty: Option<&str>, target: &Value| -> Option<Value> {
        let action = match ty? {
            "SQS" => "sqs:SendMessage",
            "SNS" => "sns:Publish",
            "Lambda" => "lambda:InvokeFunction",
            "EventBridge" => "events:PutEvents",
            _ => return None,
        };
        Some(json!({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": action, "Resource": target}]
        }))
    };
    if let Some(dlq) = props.get("DeadLetterQueue") {
        if let Some(target) = dlq.get("TargetArn") {
            if let Some(doc) = send(dlq.get("Type").and_then(Value::as_str), target) {
                inline.push((doc, format!("{base}/DeadLetterQueue")));
            }
        }
    }
    if let Some(dest) = props
        .get("EventInvokeConfig")
        .and_then(|c| c.get("DestinationConfig"))
    {
        for when in ["OnSuccess", "OnFailure"] {
            let Some(d) = dest.get(when) else { continue };
            if let Some(target) = d.get("Destination") {
                if let Some(doc) = send(d.get("Type").and_then(Value::as_str), target) {
                    inline.push((
                        doc,
                        format!("{base}/EventInvokeConfig/DestinationConfig/{when}"),
                    ));
                }
            }
        }
    }
}
