//! Loading configuration: a directory of `.tf`/`.tf.json` files as one module, the local
//! modules it calls (recursively), and the root module's variable values (`terraform.tfvars`,
//! `*.auto.tfvars`, `--var-file`, `--var`).
//!
//! Module sources that are not local paths (registry, git, S3 ...) are not fetched: the call
//! stays in the tree with no definition, a note says which, and everything read from it is
//! unknown. When `terraform init` has installed modules (`.terraform/modules/modules.json`),
//! those directories are read like local ones, since they are on disk already. Module trees are
//! bounded in depth and cycles are refused.

mod inputs;

use super::json;
use super::native;
use super::syntax::{Attr, Body, Expr, Files, Op};
use super::value::{Pos, Value};
use crate::error::InputError;
use crate::parse::{read_text, LoadOptions};
use std::collections::{BTreeMap, HashMap};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

/// Deepest module nesting followed.
pub(crate) const MAX_MODULE_DEPTH: usize = 16;
/// Most module directories read for one input.
const MAX_MODULE_DEFS: usize = 1000;

/// Managed resource or data source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Mode {
    /// `resource`.
    Managed,
    /// `data`.
    Data,
}

/// A `resource` or `data` block.
#[derive(Debug)]
pub(crate) struct ResourceBlock {
    pub mode: Mode,
    pub type_name: String,
    pub name: String,
    /// The body without meta-arguments.
    pub body: Body,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    /// `provider = aws.west` as `aws.west`.
    pub provider: Option<String>,
    pub pos: Pos,
    /// `keyreach:` comments above the block.
    pub comments: Vec<(String, Pos)>,
}

/// A `variable` block.
#[derive(Debug)]
pub(crate) struct Variable {
    pub default: Option<Expr>,
    pub ty: Option<Expr>,
    pub nullable: bool,
    pub pos: Pos,
}

/// Where a module call leads.
#[derive(Debug)]
pub(crate) enum CallTarget {
    /// A module definition that was read.
    Local(usize),
    /// Not read (not a local path, missing, cyclic or too deep); a note says why.
    Unavailable,
}

/// A `module` block.
#[derive(Debug)]
pub(crate) struct ModuleCall {
    pub name: String,
    pub count: Option<Expr>,
    pub for_each: Option<Expr>,
    /// Input variables.
    pub args: Vec<Attr>,
    /// `providers = { aws = aws.west }` as (child name, parent name).
    pub providers: Vec<(String, String)>,
    pub pos: Pos,
    /// `source`, when a literal string.
    pub source: Option<String>,
    /// `version`, when given.
    pub version: Option<String>,
    pub target: CallTarget,
}

/// A `provider` block.
#[derive(Debug)]
pub(crate) struct ProviderBlock {
    /// `aws` or `aws.alias`.
    pub key: String,
    pub body: Body,
}

/// One module directory.
#[derive(Debug, Default)]
pub(crate) struct ModuleDef {
    /// The directory.
    pub dir: PathBuf,
    /// `path.module`: the directory relative to the root module.
    pub rel: String,
    pub variables: BTreeMap<String, Variable>,
    pub locals: HashMap<String, Attr>,
    pub resources: Vec<ResourceBlock>,
    pub res_index: HashMap<(Mode, String, String), usize>,
    pub calls: Vec<ModuleCall>,
    pub call_index: HashMap<String, usize>,
    pub outputs: HashMap<String, Attr>,
    pub providers: Vec<ProviderBlock>,
}

/// A value given to a root module variable.
#[derive(Debug, Clone)]
pub(crate) enum Input {
    /// An expression from a `.tfvars` file or a complex `--var`.
    Expr(Expr),
    /// A literal (`.tfvars.json`, primitive `--var`).
    Value(Value),
}

/// Everything read for one input.
#[derive(Debug, Default)]
pub(crate) struct Loaded {
    pub files: Files,
    pub defs: Vec<Rc<ModuleDef>>,
    pub root: usize,
    pub root_inputs: HashMap<String, (Input, Pos)>,
    pub notes: Vec<(Pos, String)>,
    pub errors: Vec<InputError>,
}

struct Loader<'a> {
    out: Loaded,
    cache: HashMap<(PathBuf, String), usize>,
    stack: Vec<PathBuf>,
    root_dir: PathBuf,
    root_display: String,
    installed: Option<HashMap<String, String>>,
    opts: &'a LoadOptions,
}

/// Reads a directory (or one file of it, `only`) as the root module, its module tree and
/// variable values.
pub(crate) fn load(
    dir: &Path,
    display: &str,
    only: Option<(&str, &str)>,
    opts: &LoadOptions,
) -> Loaded {
    let mut l = Loader {
        out: Loaded::default(),
        cache: HashMap::new(),
        stack: Vec::new(),
        root_dir: dir.to_path_buf(),
        root_display: display.to_owned(),
        installed: read_installed(dir),
        opts,
    };
    let root = l.load_module(dir, ".", "", 0, only, Pos::default());
    match root {
        Some(r) => l.out.root = r,
        None => {
            l.out.defs.push(Rc::new(ModuleDef::default()));
            l.out.root = l.out.defs.len() - 1;
        }
    }
    l.load_root_inputs(only.is_some());
    l.out
}

/// `.terraform/modules/modules.json` written by `terraform init`: module key to directory.
fn read_installed(dir: &Path) -> Option<HashMap<String, String>> {
    let path = dir.join(".terraform").join("modules").join("modules.json");
    let text = std::fs::read_to_string(path).ok()?;
    let doc: serde_json::Value = serde_json::from_str(&text).ok()?;
    let mut out = HashMap::new();
    for m in doc.get("Modules")?.as_array()? {
        if let (Some(k), Some(d)) = (
            m.get("Key").and_then(|v| v.as_str()),
            m.get("Dir").and_then(|v| v.as_str()),
        ) {
            out.insert(k.to_owned(), d.to_owned());
        }
    }
    Some(out)
}

impl Loader<'_> {
    fn note(&mut self, pos: Pos, msg: impl Into<String>) {
        self.out.notes.push((pos, msg.into()));
    }

    fn display_of(&self, rel: &str) -> String {
        if rel == "." {
            self.root_display.clone()
        } else {
            normalize(&format!("{}/{rel}", self.root_display))
        }
    }

    fn load_module(
        &mut self,
        dir: &Path,
        rel: &str,
        key: &str,
        depth: usize,
        only: Option<(&str, &str)>,
        at: Pos,
    ) -> Option<usize> {
        let canonical = match dir.canonicalize() {
            Ok(c) => c,
            Err(e) => {
                if depth == 0 {
                    self.out.errors.push(InputError::new(
                        &self.root_display,
                        format!("cannot read: {e}"),
                    ));
                } else {
                    self.note(at, format!("module directory {} cannot be read ({e}); what flows through this module is unknown", self.display_of(rel)));
                }
                return None;
            }
        };
        let cache_key = (
            canonical.clone(),
            if self.installed.is_some() {
                key.to_owned()
            } else {
                String::new()
            },
        );
        if let Some(&i) = self.cache.get(&cache_key) {
            return Some(i);
        }
        if self.stack.contains(&canonical) {
            self.note(at, format!("module {} calls itself (directly or through other modules); the cycle is not followed", self.display_of(rel)));
            return None;
        }
        if depth > MAX_MODULE_DEPTH || self.out.defs.len() >= MAX_MODULE_DEFS {
            self.note(at, format!("module {} is nested deeper than {MAX_MODULE_DEPTH} levels (or too many modules); it is not read and what flows through it is unknown", self.display_of(rel)));
            return None;
        }
        self.stack.push(canonical.clone());
        let display_dir = self.display_of(rel);
        let files = match only {
            Some((name, _)) => vec![name.to_owned()],
            None => self.list_files(dir, &display_dir, depth),
        };
        let mut def = ModuleDef {
            dir: dir.to_path_buf(),
            rel: rel.to_owned(),
            ..ModuleDef::default()
        };
        if depth == 0 && files.is_empty() && self.out.errors.is_empty() {
            self.out.errors.push(InputError::new(
                &self.root_display,
                "the directory holds no Terraform files (*.tf or *.tf.json)",
            ));
        }
        let (mut normal, overrides): (Vec<String>, Vec<String>) =
            files.into_iter().partition(|f| !is_override(f));
        normal.extend(overrides.iter().cloned());
        for name in &normal {
            let file_display = if depth == 0 && only.is_some() {
                only.map(|(_, d)| d.to_owned()).unwrap_or_default()
            } else if depth == 0 {
                Path::new(&self.root_display)
                    .join(name)
                    .display()
                    .to_string()
            } else {
                format!("{display_dir}/{name}")
            };
            let text = match read_text(&dir.join(name), &file_display) {
                Ok(t) => t,
                Err(e) => {
                    self.out.errors.push(e);
                    continue;
                }
            };
            let file = self.out.files.add(file_display.clone());
            let parsed = if name.ends_with(".json") {
                json::parse_body(&text, file, &file_display)
            } else {
                native::parse_body(&text, file, &file_display)
            };
            match parsed {
                Ok(body) => self.add_body(&mut def, body, is_override(name)),
                Err(e) => self.out.errors.push(e),
            }
        }
        // Resolve module calls now that every file is read.
        #[allow(clippy::type_complexity)]
        let calls: Vec<(usize, String, Option<String>, Option<String>, Pos)> = def
            .calls
            .iter()
            .enumerate()
            .map(|(i, c)| {
                (
                    i,
                    c.name.clone(),
                    c.source.clone(),
                    c.version.clone(),
                    c.pos,
                )
            })
            .collect();
        for (i, name, src, version, pos) in calls {
            let Some(src) = src else {
                continue;
            };
            let child_key = if key.is_empty() {
                name.clone()
            } else {
                format!("{key}.{name}")
            };
            let target = self.resolve_call(
                &name,
                &src,
                version.as_deref(),
                &child_key,
                dir,
                rel,
                depth,
                pos,
            );
            if let Some(c) = def.calls.get_mut(i) {
                c.target = target;
            }
        }
        self.stack.pop();
        def.res_index = def
            .resources
            .iter()
            .enumerate()
            .map(|(i, r)| ((r.mode, r.type_name.clone(), r.name.clone()), i))
            .collect();
        def.call_index = def
            .calls
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
        self.out.defs.push(Rc::new(def));
        let idx = self.out.defs.len() - 1;
        self.cache.insert(cache_key, idx);
        Some(idx)
    }

    #[allow(clippy::too_many_arguments)]
    fn resolve_call(
        &mut self,
        name: &str,
        src: &str,
        version: Option<&str>,
        key: &str,
        dir: &Path,
        rel: &str,
        depth: usize,
        pos: Pos,
    ) -> CallTarget {
        let local = src.starts_with("./")
            || src.starts_with("../")
            || src.starts_with(".\\")
            || src.starts_with("..\\")
            || src == "."
            || src == "..";
        if local {
            let child_rel = normalize(&format!("{rel}/{src}"));
            return match self.load_module(&dir.join(src), &child_rel, key, depth + 1, None, pos) {
                Some(i) => CallTarget::Local(i),
                None => CallTarget::Unavailable,
            };
        }
        if let Some(installed) = self.installed.as_ref().and_then(|m| m.get(key)).cloned() {
            let path = self.root_dir.join(&installed);
            if path.is_dir() {
                let child_rel = normalize(&installed);
                if let Some(i) = self.load_module(&path, &child_rel, key, depth + 1, None, pos) {
                    return CallTarget::Local(i);
                }
            }
        }
        let version = version
            .map(|v| format!(" (version {v})"))
            .unwrap_or_default();
        self.note(
            pos,
            format!(
                "module.{name}: source \"{src}\"{version} is not a local path; keyreach does not \
                 fetch modules, so everything that flows through this module is unknown"
            ),
        );
        CallTarget::Unavailable
    }

    fn list_files(&mut self, dir: &Path, display_dir: &str, depth: usize) -> Vec<String> {
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) => {
                let err = InputError::new(display_dir, format!("cannot read directory: {e}"));
                if depth == 0 {
                    self.out.errors.push(err);
                }
                return Vec::new();
            }
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().is_file())
            .filter_map(|e| e.file_name().to_str().map(str::to_owned))
            .filter(|n| {
                !n.starts_with('.')
                    && !n.ends_with('~')
                    && (n.ends_with(".tf") || n.ends_with(".tf.json"))
            })
            .collect();
        names.sort();
        names
    }

    fn add_body(&mut self, def: &mut ModuleDef, body: Body, is_override: bool) {
        for block in body.blocks {
            let label = |i: usize| block.labels.get(i).cloned().unwrap_or_default();
            match block.kind.as_str() {
                "variable" => {
                    let v = Variable {
                        default: block.body.attr("default").map(|a| a.expr.clone()),
                        ty: block.body.attr("type").map(|a| a.expr.clone()),
                        nullable: !matches!(
                            block.body.attr("nullable").map(|a| &a.expr),
                            Some(Expr::Lit(Value::Bool(false)))
                        ),
                        pos: block.pos,
                    };
                    let name = label(0);
                    if is_override {
                        if let Some(old) = def.variables.get_mut(&name) {
                            if v.default.is_some() {
                                old.default = v.default;
                            }
                            if v.ty.is_some() {
                                old.ty = v.ty;
                            }
                            continue;
                        }
                    }
                    def.variables.insert(name, v);
                }
                "locals" => {
                    for a in block.body.attrs {
                        if !is_override && def.locals.contains_key(&a.name) {
                            self.note(a.pos, format!("local.{} is defined more than once; the last definition is used", a.name));
                        }
                        def.locals.insert(a.name.clone(), a);
                    }
                }
                "output" => {
                    if let Some(v) = block.body.attr("value") {
                        def.outputs.insert(label(0), v.clone());
                    }
                }
                "provider" => {
                    let name = label(0);
                    let key = match block.body.attr("alias").map(|a| &a.expr) {
                        Some(Expr::Lit(Value::String(alias))) => format!("{name}.{alias}"),
                        _ => name,
                    };
                    def.providers.push(ProviderBlock {
                        key,
                        body: block.body,
                    });
                }
                "resource" | "data" => {
                    let mode = if block.kind == "data" {
                        Mode::Data
                    } else {
                        Mode::Managed
                    };
                    let (type_name, name) = (label(0), label(1));
                    let r = resource_block(mode, type_name, name, block);
                    if is_override {
                        if let Some(old) = def.resources.iter_mut().find(|o| {
                            o.mode == r.mode && o.type_name == r.type_name && o.name == r.name
                        }) {
                            merge_override(old, r);
                            continue;
                        }
                    }
                    def.resources.push(r);
                }
                "module" => {
                    let name = label(0);
                    let mut call = ModuleCall {
                        name: name.clone(),
                        count: None,
                        for_each: None,
                        args: Vec::new(),
                        providers: Vec::new(),
                        pos: block.pos,
                        source: None,
                        version: None,
                        target: CallTarget::Unavailable,
                    };
                    for a in block.body.attrs {
                        match a.name.as_str() {
                            "source" => call.source = literal_string(&a.expr),
                            "version" => call.version = literal_string(&a.expr),
                            "count" => call.count = Some(a.expr),
                            "for_each" => call.for_each = Some(a.expr),
                            "providers" => call.providers = provider_map(&a.expr),
                            "depends_on" => {}
                            _ => call.args.push(a),
                        }
                    }
                    if call.source.is_none() {
                        self.note(
                            block.pos,
                            format!("module.{name} has no literal `source`; it is not read and what flows through it is unknown"),
                        );
                    }
                    if is_override {
                        if let Some(old) = def.calls.iter_mut().find(|c| c.name == name) {
                            for a in call.args {
                                old.args.retain(|o| o.name != a.name);
                                old.args.push(a);
                            }
                            continue;
                        }
                    }
                    def.calls.push(call);
                }
                _ => {}
            }
        }
    }
}

fn resource_block(
    mode: Mode,
    type_name: String,
    name: String,
    block: super::syntax::Block,
) -> ResourceBlock {
    let mut body = block.body;
    let mut count = None;
    let mut for_each = None;
    let mut provider = None;
    body.attrs.retain(|a| match a.name.as_str() {
        "count" => {
            count = Some(a.expr.clone());
            false
        }
        "for_each" => {
            for_each = Some(a.expr.clone());
            false
        }
        "provider" => {
            provider = provider_ref(&a.expr);
            false
        }
        "depends_on" | "lifecycle" | "provisioner" | "connection" => false,
        _ => true,
    });
    body.blocks
        .retain(|b| !matches!(b.kind.as_str(), "lifecycle" | "provisioner" | "connection"));
    ResourceBlock {
        mode,
        type_name,
        name,
        body,
        count,
        for_each,
        provider,
        pos: block.pos,
        comments: block.comments,
    }
}

/// Override files: attributes replace, nested blocks of a type replace all blocks of that type.
fn merge_override(old: &mut ResourceBlock, new: ResourceBlock) {
    for a in new.body.attrs {
        old.body.attrs.retain(|o| o.name != a.name);
        old.body.attrs.push(a);
    }
    let kinds: Vec<String> = new.body.blocks.iter().map(|b| b.kind.clone()).collect();
    old.body.blocks.retain(|b| !kinds.contains(&b.kind));
    old.body.blocks.extend(new.body.blocks);
    if new.count.is_some() {
        old.count = new.count;
    }
    if new.for_each.is_some() {
        old.for_each = new.for_each;
    }
    if new.provider.is_some() {
        old.provider = new.provider;
    }
}

fn is_override(name: &str) -> bool {
    let stem = name.trim_end_matches(".json").trim_end_matches(".tf");
    stem == "override" || stem.ends_with("_override")
}

fn literal_string(e: &Expr) -> Option<String> {
    match e {
        Expr::Lit(Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

/// `aws.west` (traversal) or `"aws.west"` (JSON string) as text.
fn provider_ref(e: &Expr) -> Option<String> {
    match e {
        Expr::Var(n, _) => Some(n.clone()),
        Expr::Traversal(root, ops, _) => {
            let Expr::Var(n, _) = root.as_ref() else {
                return None;
            };
            let mut s = n.clone();
            for op in ops {
                if let Op::Attr(a) = op {
                    s.push('.');
                    s.push_str(a);
                }
            }
            Some(s)
        }
        Expr::Lit(Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

fn provider_map(e: &Expr) -> Vec<(String, String)> {
    let Expr::Object(items, _) = e else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|(k, v)| {
            let key = match k {
                super::syntax::ObjKey::Ident(s) => s.clone(),
                super::syntax::ObjKey::Expr(x) => provider_ref(x)?,
            };
            Some((key, provider_ref(v)?))
        })
        .collect()
}

/// True for `string`, `number`, `bool` (and their legacy quoted forms).
pub(crate) fn is_primitive_type(t: &Expr) -> bool {
    match t {
        Expr::Var(n, _) => matches!(n.as_str(), "string" | "number" | "bool"),
        Expr::Lit(Value::String(s)) => matches!(s.as_str(), "string" | "number" | "bool"),
        _ => false,
    }
}

/// Lexical path normalisation (`a/./b/../c` to `a/c`), keeping leading `..`.
pub(crate) fn normalize(path: &str) -> String {
    let p = Path::new(path);
    let mut parts: Vec<String> = Vec::new();
    let mut absolute = false;
    for c in p.components() {
        match c {
            Component::RootDir => absolute = true,
            Component::Prefix(x) => parts.push(x.as_os_str().to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.last().is_some_and(|l| l != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..".into());
                }
            }
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_paths() {
        assert_eq!(
            normalize("infra/examples/complete/../../main.tf"),
            "infra/main.tf"
        );
        assert_eq!(normalize("./modules/x"), "modules/x");
        assert_eq!(normalize("../../a"), "../../a");
        assert_eq!(normalize("."), ".");
        assert_eq!(normalize("/tmp/a/../b"), "/tmp/b");
    }

    #[test]
    fn override_names() {
        assert!(is_override("override.tf"));
        assert!(is_override("main_override.tf.json"));
        assert!(!is_override("main.tf"));
    }
}
