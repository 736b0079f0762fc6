//! Parameters, pseudo parameters, outputs and cross-stack imports.
//!
//! A parameter's value is, in order: the `Parameters` of the `AWS::CloudFormation::Stack` that
//! nests the template; for a top-level template `--parameter KEY=VALUE`, then the parameter
//! files (later files override earlier ones); then the template `Default`. A parameter of type
//! `AWS::SSM::Parameter::Value<…>` is read from Systems Manager at deploy time, so its value is
//! unknown whatever its default says (the default is the SSM parameter's *name*). List types
//! split a string value at commas.
//!
//! Pseudo parameters: `AWS::AccountId` and `AWS::Region` come from `--account-id` and
//! `--region` or are unknown; `AWS::Partition` and `AWS::URLSuffix` follow the Region (`aws`
//! and `amazonaws.com` when it is unknown); `AWS::StackName`, `AWS::StackId` and
//! `AWS::NotificationARNs` are unknown; `AWS::NoValue` removes what holds it.
//!
//! `Fn::ImportValue` is resolved against the `Outputs` with `Export.Name` of every template of
//! the command line; the exported value is evaluated in the exporting stack, so a key exported
//! as `!GetAtt Key.Arn` arrives as a reference to that key.

use super::resolve::{Ctx, Exports, Path, Truth};
use super::rval::RVal;
use crate::error::{pointer_token, InputError};
use crate::parse::LoadOptions;
use serde_json::Value;
use std::collections::BTreeMap;
use std::rc::Rc;

const PSEUDO: &[&str] = &[
    "AWS::AccountId",
    "AWS::Region",
    "AWS::Partition",
    "AWS::URLSuffix",
    "AWS::NoValue",
    "AWS::StackName",
    "AWS::StackId",
    "AWS::NotificationARNs",
];

impl Ctx<'_> {
    /// True for the names of pseudo parameters.
    pub(crate) fn pseudo_known(&self, name: &str) -> bool {
        PSEUDO.contains(&name)
    }

    /// The partition of the Region (`aws` when the Region is unknown).
    pub(crate) fn partition(&self) -> &'static str {
        match self.opts.region.as_deref() {
            Some(r) if r.starts_with("cn-") => "aws-cn",
            Some(r) if r.starts_with("us-gov-") => "aws-us-gov",
            Some(r) if r.starts_with("us-isob-") => "aws-iso-b",
            Some(r) if r.starts_with("us-iso-") => "aws-iso",
            _ => "aws",
        }
    }

    /// The account, when given.
    pub(crate) fn account(&self) -> Option<&str> {
        self.opts.account_id.as_deref()
    }

    /// `arn:<partition>:iam::<account>:root` of the deploying account (unknown without one).
    pub(crate) fn account_root(&self) -> RVal {
        match self.account() {
            Some(a) => RVal::Str(format!("arn:{}:iam::{a}:root", self.partition())),
            None => RVal::unknown(),
        }
    }

    /// The Region, when given.
    pub(crate) fn region(&self) -> Option<&str> {
        self.opts.region.as_deref()
    }

    /// A pseudo parameter's value, or `None` when `name` is not one.
    pub(crate) fn pseudo(&self, inst: usize, name: &str, at: &Path) -> Option<RVal> {
        if !name.starts_with("AWS::") {
            return None;
        }
        Some(match name {
            "AWS::AccountId" => match self.account() {
                Some(a) => RVal::Str(a.to_owned()),
                None => {
                    self.note(
                        inst,
                        "",
                        "AWS::AccountId is not known (pass --account-id); ARNs built from it are \
                         treated as unknown",
                    );
                    RVal::reference("AWS::AccountId", None)
                }
            },
            "AWS::Region" => match self.region() {
                Some(r) => RVal::Str(r.to_owned()),
                None => {
                    self.note(
                        inst,
                        "",
                        "AWS::Region is not known (pass --region); names and ARNs built from it \
                         are known only in part, and access that depends on the Region is \
                         conditional",
                    );
                    RVal::reference("AWS::Region", None)
                }
            },
            "AWS::Partition" => RVal::Str(self.partition().to_owned()),
            "AWS::URLSuffix" => RVal::Str(
                if self.partition() == "aws-cn" {
                    "amazonaws.com.cn"
                } else {
                    "amazonaws.com"
                }
                .to_owned(),
            ),
            "AWS::NoValue" => RVal::NoValue,
            "AWS::StackName" | "AWS::StackId" => RVal::reference(name, None),
            "AWS::NotificationARNs" => RVal::unknown(),
            other => self.bad(inst, at, format!("unknown pseudo parameter `{other}`")),
        })
    }

    /// True when the template of `inst` declares parameter `name`.
    pub(crate) fn param_declared(&self, inst: usize, name: &str) -> bool {
        self.param_decl(inst, name).is_some()
    }

    fn param_decl(&self, inst: usize, name: &str) -> Option<&Value> {
        self.template(inst).root.get("Parameters")?.get(name)
    }

    /// A parameter's value (`None` when the template declares no such parameter).
    pub(crate) fn param(&self, inst: usize, name: &str) -> Option<RVal> {
        let decl = self.param_decl(inst, name)?;
        if let Some(v) = self.params.borrow().get(inst).and_then(|m| m.get(name)) {
            return Some(v.clone());
        }
        let v = self.param_value(inst, name, decl);
        if let Some(m) = self.params.borrow_mut().get_mut(inst) {
            m.insert(name.to_owned(), v.clone());
        }
        Some(v)
    }

    fn param_value(&self, inst: usize, name: &str, decl: &Value) -> RVal {
        let ty = decl.get("Type").and_then(Value::as_str).unwrap_or("String");
        let pointer = format!("/Parameters/{}", pointer_token(name));
        if ty.starts_with("AWS::SSM::Parameter::Value<") {
            // The value is read from the SSM parameter the default (or given value) names: the
            // one the template declares, when it does.
            let ssm_name = self.cli_params.get(name).cloned().or_else(|| {
                decl.get("Default")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            });
            return ssm_name
                .and_then(|n| self.ssm_parameter_value(inst, &n))
                .unwrap_or_else(|| RVal::reference(&format!("{{{{resolve:ssm:{name}}}}}"), None));
        }
        let given = match &self.instances[inst].parent {
            Some((parent, stack)) => {
                let props = self
                    .nested((3, inst, name), || self.props(*parent, stack))
                    .unwrap_or_else(|| Rc::new(RVal::unknown()));
                match props.get("Parameters") {
                    Some(RVal::Map(m)) => m.get(name).cloned(),
                    Some(other) => Some(other.to_unknown()),
                    None => None,
                }
            }
            None => self.cli_params.get(name).map(|v| RVal::Str(v.clone())),
        };
        let value = match given {
            Some(v) => v,
            None => match decl.get("Default") {
                Some(Value::Array(items)) => RVal::from_json(&Value::Array(items.clone())),
                Some(d) => match RVal::from_json(d).scalar_str() {
                    Some(s) => self.string_value(inst, &s),
                    None => RVal::from_json(d),
                },
                None => {
                    self.note(
                        inst,
                        &pointer,
                        format!(
                            "parameter `{name}` has no default and no value was given \
                             (--parameter {name}=…); values derived from it are unknown"
                        ),
                    );
                    return RVal::unknown();
                }
            },
        };
        let is_list = ty == "CommaDelimitedList" || ty.starts_with("List<");
        match value {
            RVal::Str(s) if is_list => RVal::List(
                s.split(',')
                    .map(|p| RVal::Str(p.trim().to_owned()))
                    .collect(),
            ),
            RVal::Num(_) | RVal::Bool(_) => RVal::Str(value.scalar_str().unwrap_or_default()),
            v => v,
        }
    }

    /// `Fn::ImportValue` of a resolved export name.
    pub(crate) fn import_value(&self, inst: usize, name: &RVal, at: &Path) -> RVal {
        let Some(n) = name.as_str() else {
            if !name.is_known() {
                return name.to_unknown();
            }
            return self.bad(inst, at, "Fn::ImportValue takes an export name");
        };
        let exports = self.exports();
        match exports.get(n) {
            Some((ei, key)) => match self.nested((4, *ei, key), || self.output(*ei, key)) {
                Some(v) => v,
                None => RVal::unknown(),
            },
            None => {
                self.note(
                    inst,
                    &at.render(),
                    format!(
                        "Fn::ImportValue `{n}`: no template given on the command line exports it; \
                         the value is unknown"
                    ),
                );
                RVal::unknown()
            }
        }
    }

    /// The value of one output of an instance.
    pub(crate) fn output(&self, inst: usize, key: &str) -> RVal {
        let Some(out) = self
            .template(inst)
            .root
            .get("Outputs")
            .and_then(|o| o.get(key))
        else {
            return RVal::unknown();
        };
        let Some(value) = out.get("Value") else {
            return RVal::unknown();
        };
        let base = format!("/Outputs/{}/Value", pointer_token(key));
        self.resolve(inst, value, &Path::Root(&base))
    }

    /// Export name -> (instance, output key), over every enabled instance.
    fn exports(&self) -> Rc<Exports> {
        if let Some(e) = self.exports.borrow().as_ref() {
            return Rc::clone(e);
        }
        if self.building_exports.get() {
            return Rc::new(BTreeMap::new());
        }
        self.building_exports.set(true);
        let mut map: BTreeMap<String, (usize, String)> = BTreeMap::new();
        for (i, instance) in self.instances.iter().enumerate() {
            if !instance.enabled {
                continue;
            }
            let Some(outputs) = self
                .template(i)
                .root
                .get("Outputs")
                .and_then(Value::as_object)
            else {
                continue;
            };
            for (key, out) in outputs {
                let Some(export) = out.get("Export").and_then(|e| e.get("Name")) else {
                    continue;
                };
                let base = format!("/Outputs/{}", pointer_token(key));
                if let Some(c) = out.get("Condition").and_then(Value::as_str) {
                    if self.condition(i, c, &Path::Root(&base)) == Truth::False {
                        continue;
                    }
                }
                let at = format!("{base}/Export/Name");
                if let RVal::Str(name) = self.resolve(i, export, &Path::Root(&at)) {
                    match map.entry(name) {
                        std::collections::btree_map::Entry::Occupied(e) => self.note(
                            i,
                            &base,
                            format!(
                                "export `{}` is also exported by another template given; \
                                 imports use the first one",
                                e.key()
                            ),
                        ),
                        std::collections::btree_map::Entry::Vacant(e) => {
                            e.insert((i, key.clone()));
                        }
                    }
                }
            }
        }
        let map = Rc::new(map);
        *self.exports.borrow_mut() = Some(Rc::clone(&map));
        self.building_exports.set(false);
        map
    }
}

/// Parameter values from parameter files (in order) and `--parameter` (last wins).
pub(crate) fn cli_parameters(
    opts: &LoadOptions,
    errors: &mut Vec<InputError>,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for path in &opts.parameter_files {
        let display = path.display().to_string();
        let text = match crate::parse::read_text(path, &display) {
            Ok(t) => t,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        if let Err(e) = crate::parse::depth::check(&display, &text) {
            errors.push(e);
            continue;
        }
        let value = match super::load::parse_text(&display, &text) {
            Ok(v) => v,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let scalar = |v: &Value| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Array(items) => {
                let parts: Option<Vec<String>> = items
                    .iter()
                    .map(|i| match i {
                        Value::String(s) => Some(s.clone()),
                        Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .collect();
                parts.map(|p| p.join(","))
            }
            _ => None,
        };
        let shape_error = || {
            InputError::new(
                &display,
                "a parameter file is [{\"ParameterKey\": …, \"ParameterValue\": …}] or \
                 {\"Parameters\": {\"Key\": \"Value\"}}",
            )
        };
        match &value {
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    let key = item.get("ParameterKey").and_then(Value::as_str);
                    let val = item.get("ParameterValue").and_then(scalar);
                    match (key, val) {
                        (Some(k), Some(v)) => {
                            out.insert(k.to_owned(), v);
                        }
                        (Some(_), None) if item.get("UsePreviousValue").is_some() => {}
                        _ => errors.push(shape_error().at_pointer(format!("/{i}"))),
                    }
                }
            }
            Value::Object(m) => match m.get("Parameters").and_then(Value::as_object) {
                Some(params) => {
                    for (k, v) in params {
                        match scalar(v) {
                            Some(v) => {
                                out.insert(k.clone(), v);
                            }
                            None => errors.push(
                                shape_error()
                                    .at_pointer(format!("/Parameters/{}", pointer_token(k))),
                            ),
                        }
                    }
                }
                None => errors.push(shape_error()),
            },
            _ => errors.push(shape_error()),
        }
    }
    for (k, v) in &opts.parameters {
        out.insert(k.clone(), v.clone());
    }
    out
}
