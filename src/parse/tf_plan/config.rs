//! The plan's `configuration` section: resource expressions and reference resolution.
//!
//! Values that are unknown until apply are omitted from the plan's values and marked in
//! `after_unknown`; the configuration still shows which objects the expression references.
//! This module resolves those `references` to the resource instances of the plan: relative
//! to the referring resource's module instance (`aws_kms_key.this.arn` inside
//! `module.orders` is `module.orders.aws_kms_key.this`), through module input variables
//! (to what the caller passed, recursively), through module outputs, and with instance keys
//! (a reference without key from a `for_each` instance picks the instance with the same key
//! when there is one, and otherwise keeps every instance as a candidate).
//!
//! Locals are not in the plan JSON, so `local.*` references resolve to nothing (the value
//! stays unknown); root module variables are known values and resolve to nothing either.

use super::address::{
    config_path, join, parse_traversal, render_module, resource_config_address, Key, Step,
};
use crate::model::Reference;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// Deepest chain of module variables and outputs followed for one reference.
const MAX_RESOLVE_DEPTH: usize = 32;
/// Deepest module nesting read from the configuration.
const MAX_MODULE_DEPTH: usize = 64;

/// The instances of one resource: (instance key, full address), in plan order.
type InstanceList = Vec<(Option<Key>, String)>;

/// The resource instances of the plan, by module instance and configuration address.
#[derive(Debug, Default)]
pub(crate) struct Instances {
    /// Resource address without instance key (`module.a["k"].aws_kms_key.this`) ->
    /// (instance key, full address), in plan order.
    resources: HashMap<String, InstanceList>,
    /// (parent module instance, call name) -> instance keys.
    modules: HashMap<(String, String), Vec<Option<Key>>>,
    /// The module instance registered last (resources come grouped by module instance).
    last_module: Option<Vec<(String, Option<Key>)>>,
}

impl Instances {
    /// Records one resource instance of the estate after the change.
    pub(crate) fn add(&mut self, addr: &super::address::Address, full: &str) {
        let unkeyed = match &addr.key {
            None => full.to_owned(),
            Some(k) => {
                let k = k.to_string();
                match full.strip_suffix(k.as_str()) {
                    Some(base) => base.to_owned(),
                    None => join(&render_module(&addr.module), &addr.config_address()),
                }
            }
        };
        self.resources
            .entry(unkeyed)
            .or_default()
            .push((addr.key.clone(), full.to_owned()));
        if addr.module.is_empty() || self.last_module.as_deref() == Some(addr.module.as_slice()) {
            return;
        }
        self.last_module = Some(addr.module.clone());
        for i in 0..addr.module.len() {
            let parent = render_module(&addr.module[..i]);
            let (call, key) = &addr.module[i];
            let keys = self.modules.entry((parent, call.clone())).or_default();
            if !keys.contains(key) {
                keys.push(key.clone());
            }
        }
    }
}

/// The configuration, indexed for lookups.
#[derive(Debug, Default)]
pub(crate) struct ConfigIndex<'a> {
    /// Module configuration by configuration path (`""`, `orders`, `orders.kms`).
    modules: HashMap<String, &'a Map<String, Value>>,
    /// Resource configuration by (configuration path, configuration address).
    resources: HashMap<(String, String), &'a Map<String, Value>>,
    /// The plan's resource instances.
    pub(crate) instances: Instances,
    /// Region of the default `aws` provider configuration, when constant.
    pub(crate) region: Option<String>,
    /// `default_tags` per provider configuration key, when constant.
    default_tags: HashMap<String, BTreeMap<String, String>>,
    /// True when the plan has a configuration section.
    pub(crate) present: bool,
}

impl<'a> ConfigIndex<'a> {
    /// Indexes a `configuration` object (`None` when the plan has none).
    pub(crate) fn new(config: Option<&'a Value>) -> Self {
        let mut index = ConfigIndex::default();
        let Some(Value::Object(config)) = config else {
            return index;
        };
        index.present = true;
        if let Some(Value::Object(providers)) = config.get("provider_config") {
            for (key, p) in providers {
                index.read_provider(key, p);
            }
        }
        if let Some(Value::Object(root)) = config.get("root_module") {
            index.add_module(String::new(), root, 0);
        }
        index
    }

    fn read_provider(&mut self, key: &str, p: &Value) {
        let is_aws = p.get("name").and_then(Value::as_str) == Some("aws");
        if !is_aws {
            return;
        }
        let exprs = p.get("expressions");
        if key == "aws" {
            if let Some(r) = exprs
                .and_then(|e| e.get("region"))
                .and_then(|r| r.get("constant_value"))
                .and_then(Value::as_str)
            {
                self.region = Some(r.to_owned());
            }
        }
        let tags = exprs
            .and_then(|e| e.get("default_tags"))
            .and_then(|d| match d {
                Value::Array(items) => items.first(),
                other => Some(other),
            })
            .and_then(|d| d.get("tags"))
            .and_then(|t| t.get("constant_value"))
            .and_then(Value::as_object);
        if let Some(tags) = tags {
            let map = tags
                .iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned())))
                .collect();
            self.default_tags.insert(key.to_owned(), map);
        }
    }

    fn add_module(&mut self, path: String, module: &'a Map<String, Value>, depth: usize) {
        if depth > MAX_MODULE_DEPTH {
            return;
        }
        if let Some(Value::Array(resources)) = module.get("resources") {
            for r in resources {
                if let (Some(Value::String(addr)), Value::Object(obj)) = (r.get("address"), r) {
                    self.resources.insert((path.clone(), addr.clone()), obj);
                }
            }
        }
        if let Some(Value::Object(calls)) = module.get("module_calls") {
            for (name, call) in calls {
                if let Some(Value::Object(child)) = call.get("module") {
                    let child_path = if path.is_empty() {
                        name.clone()
                    } else {
                        format!("{path}.{name}")
                    };
                    self.add_module(child_path, child, depth + 1);
                }
            }
        }
        self.modules.insert(path, module);
    }

    /// The configuration of one resource.
    pub(crate) fn resource(
        &self,
        module: &[(String, Option<Key>)],
        config_address: &str,
    ) -> Option<&'a Map<String, Value>> {
        self.resources
            .get(&(config_path(module), config_address.to_owned()))
            .copied()
    }

    /// The constant `default_tags` of the provider configuration a resource uses.
    pub(crate) fn default_tags(
        &self,
        resource: Option<&Map<String, Value>>,
    ) -> Option<&BTreeMap<String, String>> {
        let key = resource
            .and_then(|r| r.get("provider_config_key"))
            .and_then(Value::as_str)
            .unwrap_or("aws");
        self.default_tags.get(key).or_else(|| {
            key.rsplit(':')
                .next()
                .and_then(|k| self.default_tags.get(k))
        })
    }

    /// Resolves the `references` of an expression written in `module`, referred to from an
    /// instance with key `key`, to resource instances.
    pub(crate) fn resolve(
        &self,
        refs: &[&str],
        module: &[(String, Option<Key>)],
        key: Option<&Key>,
    ) -> Vec<Reference> {
        let mut out = Vec::new();
        self.resolve_into(refs, module, key, 0, &mut out);
        let mut seen = std::collections::HashSet::new();
        out.retain(|r| seen.insert((r.target.clone(), r.attribute.clone())));
        out
    }

    fn resolve_into(
        &self,
        refs: &[&str],
        module: &[(String, Option<Key>)],
        key: Option<&Key>,
        depth: usize,
        out: &mut Vec<Reference>,
    ) {
        if depth > MAX_RESOLVE_DEPTH {
            return;
        }
        for r in most_specific(refs) {
            let Some(steps) = parse_traversal(r) else {
                continue;
            };
            match steps[0].name.as_str() {
                "var" => {
                    if let Some(var) = steps.get(1) {
                        self.variable(&var.name, module, depth, out);
                    }
                }
                "module" => {
                    if let Some(call) = steps.get(1) {
                        let output = steps.get(2).map(|s| s.name.as_str());
                        let attr = steps.get(3).map(|s| s.name.as_str());
                        self.module_output(call, output, attr, module, key, depth, out);
                    }
                }
                "data" => {
                    if let (Some(t), Some(n)) = (steps.get(1), steps.get(2)) {
                        self.resource_ref(true, &t.name, n, steps.get(3), module, key, out);
                    }
                }
                "local" | "each" | "count" | "path" | "terraform" | "self" => {}
                _ => {
                    if let Some(n) = steps.get(1) {
                        self.resource_ref(false, &steps[0].name, n, steps.get(2), module, key, out);
                    }
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn resource_ref(
        &self,
        data: bool,
        type_name: &str,
        step: &Step,
        attr: Option<&Step>,
        module: &[(String, Option<Key>)],
        referrer: Option<&Key>,
        out: &mut Vec<Reference>,
    ) {
        let caddr = resource_config_address(data, type_name, &step.name);
        let minst = render_module(module);
        let attr = attr.map(|s| s.name.as_str());
        let push = |out: &mut Vec<Reference>, target: &str| {
            out.push(Reference::new(target, attr));
        };
        let rendered = |k: Option<&Key>| {
            let local = match k {
                Some(k) => format!("{caddr}{k}"),
                None => caddr.clone(),
            };
            join(&minst, &local)
        };
        match self.instances.resources.get(&join(&minst, &caddr)) {
            Some(list) => match &step.key {
                Some(k) => match list.iter().find(|(kk, _)| kk.as_ref() == Some(k)) {
                    Some((_, a)) => push(out, a),
                    None => push(out, &rendered(Some(k))),
                },
                None => {
                    let same =
                        referrer.and_then(|rk| list.iter().find(|(kk, _)| kk.as_ref() == Some(rk)));
                    match (list.as_slice(), same) {
                        ([(_, only)], _) | (_, Some((_, only))) => push(out, only),
                        (all, None) => {
                            for (_, a) in all {
                                push(out, a);
                            }
                        }
                    }
                }
            },
            None => push(out, &rendered(step.key.as_ref())),
        }
    }

    fn variable(
        &self,
        name: &str,
        module: &[(String, Option<Key>)],
        depth: usize,
        out: &mut Vec<Reference>,
    ) {
        let Some(((call, call_key), parent)) = module.split_last() else {
            return;
        };
        let Some(parent_cfg) = self.modules.get(&config_path(parent)) else {
            return;
        };
        let refs = parent_cfg
            .get("module_calls")
            .and_then(|c| c.get(call))
            .and_then(|c| c.get("expressions"))
            .and_then(|e| e.get(name))
            .map(expression_references)
            .unwrap_or_default();
        if !refs.is_empty() {
            self.resolve_into(&refs, parent, call_key.as_ref(), depth + 1, out);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn module_output(
        &self,
        call: &Step,
        output: Option<&str>,
        attr: Option<&str>,
        module: &[(String, Option<Key>)],
        referrer: Option<&Key>,
        depth: usize,
        out: &mut Vec<Reference>,
    ) {
        let cfg = config_path(module);
        let child_cfg = if cfg.is_empty() {
            call.name.clone()
        } else {
            format!("{cfg}.{}", call.name)
        };
        let Some(child) = self.modules.get(&child_cfg) else {
            return;
        };
        let Some(Value::Object(outputs)) = child.get("outputs") else {
            return;
        };
        let mut refs: Vec<&str> = Vec::new();
        match output {
            Some(o) => {
                if let Some(e) = outputs.get(o).and_then(|o| o.get("expression")) {
                    refs = expression_references(e);
                }
            }
            None => {
                for o in outputs.values() {
                    if let Some(e) = o.get("expression") {
                        refs.extend(expression_references(e));
                    }
                }
            }
        }
        if refs.is_empty() {
            return;
        }
        let keys: Vec<Option<Key>> = match &call.key {
            Some(k) => vec![Some(k.clone())],
            None => match self
                .instances
                .modules
                .get(&(render_module(module), call.name.clone()))
            {
                Some(list) => {
                    match referrer.and_then(|rk| list.iter().find(|k| k.as_ref() == Some(rk))) {
                        Some(k) => vec![k.clone()],
                        None => list.clone(),
                    }
                }
                None => vec![None],
            },
        };
        for k in keys {
            let mut child_path = module.to_vec();
            child_path.push((call.name.clone(), k));
            let start = out.len();
            self.resolve_into(&refs, &child_path, None, depth + 1, out);
            if let Some(a) = attr {
                for r in &mut out[start..] {
                    if r.attribute.is_none() {
                        r.attribute = Some(a.to_owned());
                    }
                }
            }
        }
    }
}

impl ConfigIndex<'_> {
    /// True when every reference of an expression written in `module` is known when planning
    /// (root variables, module variables fed by such values, `each`/`count`/`path`). An
    /// attribute whose expression is known at plan but whose value is unknown was set to null
    /// and is computed by the provider.
    pub(crate) fn known_at_plan(&self, refs: &[&str], module: &[(String, Option<Key>)]) -> bool {
        self.known_at_plan_depth(refs, module, 0)
    }

    fn known_at_plan_depth(
        &self,
        refs: &[&str],
        module: &[(String, Option<Key>)],
        depth: usize,
    ) -> bool {
        if depth > MAX_RESOLVE_DEPTH {
            return false;
        }
        most_specific(refs).into_iter().all(|r| {
            let Some(steps) = parse_traversal(r) else {
                return false;
            };
            match steps[0].name.as_str() {
                "each" | "count" | "path" | "terraform" => true,
                "var" => {
                    let Some(var) = steps.get(1) else {
                        return false;
                    };
                    let Some(((call, _), parent)) = module.split_last() else {
                        return true;
                    };
                    let Some(parent_cfg) = self.modules.get(&config_path(parent)) else {
                        return false;
                    };
                    match parent_cfg
                        .get("module_calls")
                        .and_then(|c| c.get(call))
                        .and_then(|c| c.get("expressions"))
                        .and_then(|e| e.get(&var.name))
                    {
                        // Not passed: the variable's default, a constant.
                        None => true,
                        Some(e) => {
                            let inner = expression_references(e);
                            inner.is_empty() || self.known_at_plan_depth(&inner, parent, depth + 1)
                        }
                    }
                }
                _ => false,
            }
        })
    }
}

/// The `references` of one expression object (`{"references": [...]}`).
pub(crate) fn expression_references(expr: &Value) -> Vec<&str> {
    match expr.get("references") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Terraform lists every traversal prefix of a reference (`aws_kms_key.x.arn`,
/// `aws_kms_key.x`); keeps only the longest ones, in order, without duplicates.
fn most_specific<'s>(refs: &[&'s str]) -> Vec<&'s str> {
    let mut out: Vec<&str> = Vec::new();
    for (i, r) in refs.iter().enumerate() {
        let shadowed = refs.iter().any(|s| {
            s.len() > r.len()
                && s.starts_with(r)
                && matches!(s.as_bytes().get(r.len()), Some(b'.' | b'['))
        });
        if !shadowed && !refs[..i].contains(r) {
            out.push(r);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_longest_references() {
        assert_eq!(
            most_specific(&[
                "aws_s3_bucket.this[0].arn",
                "aws_s3_bucket.this[0]",
                "aws_s3_bucket.this",
                "local.x",
                "local.x",
            ]),
            vec!["aws_s3_bucket.this[0].arn", "local.x"]
        );
    }
}
