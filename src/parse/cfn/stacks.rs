//! Templates, stack instances, resource ids and nested stacks.
//!
//! Every template given on the command line is loaded once. A *stack instance* is one
//! deployment of a template: each template that no other given template nests is a top-level
//! instance; an `AWS::CloudFormation::Stack` whose `TemplateURL` ends in the file name (or
//! relative path) of another given template makes that template a nested instance, with the
//! `Parameters` of the `Stack` resource as its parameter values. A nested template is therefore
//! not analysed on its own as well, and a template nested twice is analysed twice.
//!
//! Ids: with one stack instance a resource's id is its plain logical id; with several, every
//! resource is prefixed with its instance name, `Stack/LogicalId`, so ids read the same way
//! for every input of a run.
//! The instance name is the file stem (`SharedDataStack.template.json` -> `SharedDataStack`);
//! when two instances share a stem, a top-level one uses its path as given and a nested one
//! `<parent name>.<Stack logical id>`.

use super::fasthash::FastMap;
use super::position::PosIndex;
use crate::error::{pointer_token, InputError};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

/// Deepest nesting of stacks followed.
pub(crate) const MAX_NESTING: usize = 8;
/// Most stack instances analysed from one command line.
pub(crate) const MAX_INSTANCES: usize = 1_000;

/// One loaded template.
#[derive(Debug)]
pub(crate) struct Template {
    /// Path as given.
    pub display: String,
    /// File stem (`Stack` for `Stack.template.json`).
    pub stem: String,
    /// File name.
    pub file_name: String,
    /// The template after SAM expansion.
    pub root: Value,
    /// Lines of the containers (mappings and lists) of the text.
    pub index: PosIndex,
    /// The text, for the exact lines of errors.
    pub text: String,
    /// Lines of every entry, built on first use (errors, suppressions).
    pub full_index: std::sync::OnceLock<PosIndex>,
    /// Pointer prefixes of resources SAM generated -> the pointer of what the text declares.
    pub pointer_alias: BTreeMap<String, String>,
}

impl Template {
    /// The `Resources` mapping (empty when malformed).
    pub(crate) fn resources(&self) -> Option<&serde_json::Map<String, Value>> {
        self.root.get("Resources").and_then(Value::as_object)
    }

    /// The raw declaration of one resource.
    pub(crate) fn resource(&self, logical: &str) -> Option<&Value> {
        self.resources().and_then(|r| r.get(logical))
    }

    /// The resource's `Type`.
    pub(crate) fn resource_type(&self, logical: &str) -> Option<&str> {
        self.resource(logical)?.get("Type")?.as_str()
    }

    /// The line of a pointer, following SAM's generated resources back to their source.
    pub(crate) fn line(&self, pointer: &str) -> Option<u32> {
        let rewritten = self.source_pointer(pointer);
        self.index.line(&rewritten)
    }

    /// The exact line of a pointer (scalars included), for errors and suppressions.
    pub(crate) fn exact_line(&self, pointer: &str) -> Option<u32> {
        let rewritten = self.source_pointer(pointer);
        self.full_index
            .get_or_init(|| PosIndex::build_full(&self.text))
            .line(&rewritten)
    }

    /// The pointer in the text that a (possibly generated) pointer stands for.
    pub(crate) fn source_pointer(&self, pointer: &str) -> String {
        // Keys sort before the pointers they prefix, and longer prefixes after shorter ones, so
        // the first prefix met going down is the longest.
        let mut best: Option<(&String, &String)> = None;
        for (from, to) in self
            .pointer_alias
            .range::<str, _>((
                std::ops::Bound::Unbounded,
                std::ops::Bound::Included(pointer),
            ))
            .rev()
        {
            if pointer == from.as_str()
                || (pointer.starts_with(from.as_str())
                    && pointer.as_bytes().get(from.len()) == Some(&b'/'))
            {
                best = Some((from, to));
                break;
            }
        }
        match best {
            Some((from, to)) => format!("{to}{}", &pointer[from.len()..]),
            None => pointer.to_owned(),
        }
    }
}

/// One deployment of a template.
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    /// Index into the templates.
    pub template: usize,
    /// Name used to prefix colliding ids.
    pub name: String,
    /// For a nested stack: the parent instance and the logical id of its `Stack` resource.
    pub parent: Option<(usize, String)>,
    /// Depth of nesting (0 for top level).
    pub depth: usize,
    /// False when the `Stack` resource that creates it has a false `Condition`.
    pub enabled: bool,
}

/// The file stem of a template path.
#[must_use]
pub(crate) fn stem_of(file_name: &str) -> String {
    let lower = file_name.to_ascii_lowercase();
    for ext in [
        ".template.json",
        ".template.yaml",
        ".template.yml",
        ".template",
        ".json",
        ".yaml",
        ".yml",
        ".cfn",
    ] {
        if lower.ends_with(ext) && file_name.len() > ext.len() {
            return file_name[..file_name.len() - ext.len()].to_owned();
        }
    }
    file_name.to_owned()
}

/// The literal file part a `TemplateURL` ends in, when the value reveals it.
#[must_use]
pub(crate) fn url_tail(url: &str) -> &str {
    let no_query = url.split(['?', '#']).next().unwrap_or(url);
    no_query.rsplit('/').next().unwrap_or(no_query)
}

/// Finds the template a `TemplateURL` names among the given ones: by relative path from the
/// parent's folder first, then by file name (unique match only).
#[must_use]
pub(crate) fn match_template(
    templates: &[Template],
    parent: usize,
    url_literal_end: &str,
) -> Option<usize> {
    let tail = url_tail(url_literal_end);
    if tail.is_empty() {
        return None;
    }
    let parent_dir = std::path::Path::new(&templates[parent].display)
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default();
    let rel = url_literal_end.trim_start_matches("./");
    if !rel.contains("://") {
        let wanted = parent_dir.join(rel);
        if let Some(i) = templates
            .iter()
            .position(|t| std::path::Path::new(&t.display) == wanted)
        {
            return Some(i);
        }
    }
    let hits: Vec<usize> = templates
        .iter()
        .enumerate()
        .filter(|(i, t)| *i != parent && t.file_name == tail)
        .map(|(i, _)| i)
        .collect();
    match hits.as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// Gives every instance a unique name.
pub(crate) fn name_instances(templates: &[Template], instances: &mut [Instance]) {
    let mut counts: HashMap<String, usize> = HashMap::new();
    for i in instances.iter() {
        *counts
            .entry(templates[i.template].stem.clone())
            .or_default() += 1;
    }
    for idx in 0..instances.len() {
        let stem = templates[instances[idx].template].stem.clone();
        let name = if counts.get(&stem).copied().unwrap_or(0) <= 1 {
            stem
        } else {
            match instances[idx].parent.clone() {
                None => templates[instances[idx].template].display.clone(),
                Some((p, stack)) => format!("{}.{stack}", instances[p].name),
            }
        };
        instances[idx].name = name;
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    for inst in instances.iter_mut() {
        let n = seen.entry(inst.name.clone()).or_default();
        *n += 1;
        if *n > 1 {
            inst.name = format!("{}#{}", inst.name, *n);
        }
    }
}

/// The id of every resource, per instance.
pub(crate) fn assign_ids(
    templates: &[Template],
    instances: &[Instance],
) -> Vec<FastMap<String, String>> {
    // With several stack instances every id carries its instance name, so ids read the same
    // way for every input of a run.
    let several = instances.iter().filter(|i| i.enabled).count() > 1;
    let mut ids = vec![FastMap::default(); instances.len()];
    for (i, inst) in instances.iter().enumerate() {
        if let Some(res) = templates[inst.template].resources() {
            for logical in res.keys() {
                let id = if several {
                    format!("{}/{logical}", inst.name)
                } else {
                    logical.clone()
                };
                ids[i].insert(logical.clone(), id);
            }
        }
    }
    ids
}

/// The part of a `TemplateURL` that names the file, when the template spells it out.
fn url_literal(v: &Value) -> Option<String> {
    let sub_text = |s: &str| -> Option<String> {
        let tail = url_tail(s);
        (!tail.contains("${")).then(|| s.to_owned())
    };
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Object(m) if m.len() == 1 => {
            if let Some(s) = m.get("Fn::Sub") {
                return match s {
                    Value::String(s) => sub_text(s),
                    Value::Array(items) => items.first().and_then(Value::as_str).and_then(sub_text),
                    _ => None,
                };
            }
            let items = m.get("Fn::Join")?.as_array()?;
            let last = items.get(1)?.as_array()?.last()?.as_str()?;
            Some(last.to_owned())
        }
        _ => None,
    }
}

pub(crate) fn build_instances(
    templates: &[Template],
    errors: &mut Vec<InputError>,
) -> Vec<Instance> {
    let edges: Vec<Vec<(String, usize)>> = templates
        .iter()
        .enumerate()
        .map(|(ti, t)| {
            let mut out = Vec::new();
            if let Some(res) = t.resources() {
                for (logical, r) in res {
                    if r.get("Type").and_then(Value::as_str) != Some("AWS::CloudFormation::Stack") {
                        continue;
                    }
                    let url = r
                        .get("Properties")
                        .and_then(|p| p.get("TemplateURL"))
                        .and_then(url_literal);
                    if let Some(child) = url.and_then(|u| match_template(templates, ti, &u)) {
                        if child != ti {
                            out.push((logical.clone(), child));
                        }
                    }
                }
            }
            out
        })
        .collect();
    let is_child: Vec<bool> = (0..templates.len())
        .map(|t| edges.iter().flatten().any(|(_, c)| *c == t))
        .collect();
    let top = |t: usize| Instance {
        template: t,
        name: String::new(),
        parent: None,
        depth: 0,
        enabled: true,
    };
    let mut instances: Vec<Instance> = (0..templates.len())
        .filter(|t| !is_child[*t])
        .map(top)
        .collect();
    let mut next = 0;
    loop {
        while next < instances.len() {
            let (template, depth) = (instances[next].template, instances[next].depth);
            for (stack, child) in &edges[template] {
                let ptr = format!("/Resources/{}", pointer_token(stack));
                if depth + 1 > MAX_NESTING {
                    errors.push(super::position::error_at(
                        &templates[template].display,
                        &templates[template].index,
                        &ptr,
                        format!("stacks nest deeper than {MAX_NESTING} levels (a cycle?); keyreach stops here"),
                    ));
                    continue;
                }
                if instances.len() >= MAX_INSTANCES {
                    errors.push(super::position::error_at(
                        &templates[template].display,
                        &templates[template].index,
                        &ptr,
                        format!(
                            "more than {MAX_INSTANCES} nested stack instances; keyreach stops here"
                        ),
                    ));
                    break;
                }
                instances.push(Instance {
                    template: *child,
                    name: String::new(),
                    parent: Some((next, stack.clone())),
                    depth: depth + 1,
                    enabled: true,
                });
            }
            next += 1;
        }
        // Templates that only nest each other in a cycle still get analysed once.
        match (0..templates.len()).find(|t| !instances.iter().any(|i| i.template == *t)) {
            Some(t) => instances.push(top(t)),
            None => break,
        }
    }
    instances
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_and_tails() {
        assert_eq!(stem_of("SharedDataStack.template.json"), "SharedDataStack");
        assert_eq!(stem_of("child.yaml"), "child");
        assert_eq!(stem_of("noext"), "noext");
        assert_eq!(
            url_tail("https://b.s3.amazonaws.com/p/child.yaml?v=1"),
            "child.yaml"
        );
        assert_eq!(url_tail("./nested/child.yaml"), "child.yaml");
    }

    #[test]
    fn source_pointer_follows_aliases() {
        let mut t = Template {
            display: "t.yaml".into(),
            stem: "t".into(),
            file_name: "t.yaml".into(),
            root: Value::Null,
            index: PosIndex::default(),
            text: String::new(),
            full_index: std::sync::OnceLock::new(),
            pointer_alias: BTreeMap::new(),
        };
        t.pointer_alias
            .insert("/Resources/FnRole".into(), "/Resources/Fn".into());
        t.pointer_alias.insert(
            "/Resources/FnRole/Properties/Policies/0".into(),
            "/Resources/Fn/Properties/Policies/2".into(),
        );
        assert_eq!(
            t.source_pointer("/Resources/FnRole/Properties/Policies/0/PolicyDocument"),
            "/Resources/Fn/Properties/Policies/2/PolicyDocument"
        );
        assert_eq!(t.source_pointer("/Resources/FnRole"), "/Resources/Fn");
        assert_eq!(t.source_pointer("/Resources/FnRoleX"), "/Resources/FnRoleX");
        assert_eq!(t.source_pointer("/Resources/Other"), "/Resources/Other");
    }
}
