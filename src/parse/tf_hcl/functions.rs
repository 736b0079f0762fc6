//! Terraform's built-in functions, as far as policies, names and key references need them.
//!
//! Three kinds: special forms that see their arguments unevaluated (`try`, `can`); functions
//! that read files of the module (`file`, `templatefile`, `fileexists`), which refuse paths
//! leaving the module directory; and pure functions ([`collections`], [`strings`]). Pure
//! functions that do not handle unknown values themselves return an unknown result carrying the
//! arguments' references when any argument is unknown. A function keyreach does not implement
//! is a note and an unknown value, never a failure.

pub(crate) mod collections;
pub(crate) mod strings;

use super::eval::{fail, plain, Evaluator, Scope, R};
use super::native::parse_template;
use super::syntax::Call;
use super::value::{Pos, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Largest file `file`/`templatefile` reads.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Functions whose result is unknown at plan time by nature: no note for these.
const PLAN_UNKNOWN: &[&str] = &[
    "timestamp",
    "plantimestamp",
    "uuid",
    "uuidv5",
    "bcrypt",
    "rsadecrypt",
];

/// Outcome of a pure function.
pub(crate) enum Outcome {
    /// The result.
    Value(Value),
    /// A Terraform error (caught by `try`/`can`).
    Error(String),
    /// keyreach does not evaluate this function.
    Unsupported,
}

impl From<Result<Value, String>> for Outcome {
    fn from(r: Result<Value, String>) -> Self {
        match r {
            Ok(v) => Outcome::Value(v),
            Err(e) => Outcome::Error(e),
        }
    }
}

impl Evaluator {
    /// Evaluates a function call.
    pub(crate) fn call(&mut self, c: &Call, s: &Scope<'_>) -> R<Value> {
        match c.name.as_str() {
            "try" => {
                let mut last = None;
                for a in &c.args {
                    match self.eval(a, s) {
                        Ok(v) => return Ok(v),
                        Err(e) => last = Some(e),
                    }
                }
                return Err(last.unwrap_or_else(|| plain("try() needs at least one argument")));
            }
            "can" => {
                let Some(a) = c.args.first() else {
                    return fail(c.pos, "can() needs one argument");
                };
                return Ok(match self.eval(a, s) {
                    Ok(v) if v.is_unknown() => Value::unknown_from(&[&v]),
                    Ok(_) => Value::Bool(true),
                    Err(_) => Value::Bool(false),
                });
            }
            _ => {}
        }
        let mut args = Vec::with_capacity(c.args.len());
        for a in &c.args {
            args.push(self.eval(a, s)?);
        }
        if c.expand_final {
            match args.pop() {
                Some(Value::List(items)) => args.extend(items.iter().cloned()),
                Some(other) if other.is_unknown() => return Ok(Value::unknown_from(&[&other])),
                Some(_) => return fail(c.pos, "the last argument before ... must be a list"),
                None => {}
            }
        }
        if c.name.contains("::") {
            self.note(
                c.pos,
                format!(
                    "function {} (provider-defined) is not evaluated by keyreach; its result is treated as unknown",
                    c.name
                ),
            );
            return Ok(Value::unknown_from(&args.iter().collect::<Vec<_>>()));
        }
        match c.name.as_str() {
            "file" | "templatefile" | "fileexists" => return self.file_function(c, s, &args),
            _ => {}
        }
        if PLAN_UNKNOWN.contains(&c.name.as_str()) {
            return Ok(Value::unknown());
        }
        let aware = collections::handles_unknown(&c.name) || strings::handles_unknown(&c.name);
        if !aware && args.iter().any(|a| !a.is_wholly_known()) {
            return Ok(Value::unknown_from(&args.iter().collect::<Vec<_>>()));
        }
        let outcome = match collections::call(&c.name, &args) {
            Outcome::Unsupported => strings::call(&c.name, &args),
            other => other,
        };
        match outcome {
            Outcome::Value(v) => Ok(v),
            Outcome::Error(e) => fail(c.pos, format!("{}(): {e}", c.name)),
            Outcome::Unsupported => {
                self.note(
                    c.pos,
                    format!(
                        "function {}() is not evaluated by keyreach; its result is treated as unknown",
                        c.name
                    ),
                );
                Ok(Value::unknown_from(&args.iter().collect::<Vec<_>>()))
            }
        }
    }

    fn file_function(&mut self, c: &Call, s: &Scope<'_>, args: &[Value]) -> R<Value> {
        let Some(path) = args.first() else {
            return fail(c.pos, format!("{}() needs a path", c.name));
        };
        let path = match path.to_text() {
            Ok(Some(p)) => p,
            Ok(None) => return Ok(Value::unknown_from(&args.iter().collect::<Vec<_>>())),
            Err(m) => return fail(c.pos, format!("{}(): {m}", c.name)),
        };
        let resolved = match self.module_file(s.inst, &path) {
            Ok(p) => p,
            Err(m) => {
                if c.name == "fileexists" {
                    return Ok(Value::Bool(false));
                }
                return fail(c.pos, format!("{}(\"{path}\"): {m}", c.name));
            }
        };
        if c.name == "fileexists" {
            return Ok(Value::Bool(resolved.is_file()));
        }
        let text = read_file(&resolved).map_err(|m| super::eval::EvalError {
            msg: format!("{}(\"{path}\"): {m}", c.name),
            pos: Some(c.pos),
        })?;
        if c.name == "file" {
            return Ok(Value::String(text));
        }
        let vars = match args.get(1) {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(o)) => (*o.fields).clone(),
            Some(other) if other.is_unknown() => return Ok(Value::unknown_from(&[other])),
            Some(other) => {
                return fail(
                    c.pos,
                    format!(
                        "templatefile(): variables must be an object, found {}",
                        other.type_name()
                    ),
                )
            }
        };
        let display = format!(
            "{}/{}",
            self.def_of(s.inst)
                .map(|d| d.rel.clone())
                .unwrap_or_default(),
            path
        );
        let file = self.files.add(super::loader::normalize(&display));
        render_template(
            self,
            &text,
            &vars,
            s.inst,
            Pos {
                file,
                line: 1,
                column: 1,
            },
        )
    }

    /// The root module's directory as an absolute path (`path.cwd`), `.` when it cannot be
    /// resolved.
    pub(crate) fn root_dir_absolute(&self) -> String {
        let root_dir = self
            .insts
            .first()
            .and_then(|i| i.def)
            .and_then(|d| self.defs.get(d))
            .map(|d| d.dir.clone())
            .unwrap_or_default();
        std::path::absolute(&root_dir)
            .ok()
            .and_then(|p| p.to_str().map(|s| s.trim_end_matches('/').to_owned()))
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| ".".into())
    }

    /// Resolves a path the way Terraform does (relative to the root module directory) and
    /// refuses anything outside the calling module's directory.
    fn module_file(&self, inst: usize, path: &str) -> Result<PathBuf, String> {
        let def = self.def_of(inst).ok_or("module not read")?;
        let root_dir = self
            .insts
            .first()
            .and_then(|i| i.def)
            .and_then(|d| self.defs.get(d))
            .map(|d| d.dir.clone())
            .unwrap_or_default();
        let p = Path::new(path);
        let full = if p.is_absolute() {
            p.to_path_buf()
        } else {
            root_dir.join(p)
        };
        let canon = full
            .canonicalize()
            .map_err(|e| format!("cannot read file: {e}"))?;
        let module_dir = def
            .dir
            .canonicalize()
            .map_err(|e| format!("cannot read module directory: {e}"))?;
        if !canon.starts_with(&module_dir) {
            return Err(
                "the path leaves the module directory; keyreach reads only files inside it".into(),
            );
        }
        Ok(canon)
    }
}

fn read_file(path: &Path) -> Result<String, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read file: {e}"))?;
    if !meta.is_file() {
        return Err("not a file".into());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!("file is larger than {MAX_FILE_BYTES} bytes"));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read file: {e}"))?;
    String::from_utf8(bytes).map_err(|_| "file is not UTF-8 text".into())
}

/// Renders template text with only `vars` in scope (`templatefile`, `template_file`).
pub(crate) fn render_template(
    ev: &mut Evaluator,
    text: &str,
    vars: &BTreeMap<String, Value>,
    inst: usize,
    at: Pos,
) -> R<Value> {
    if ev.in_templatefile {
        return fail(at, "templates cannot render templates recursively");
    }
    let expr = parse_template(text, at.file).map_err(|m| super::eval::EvalError {
        msg: m,
        pos: Some(at),
    })?;
    let scope = Scope {
        inst,
        iter: None,
        frame: None,
        vars: Some(vars),
        isolated: true,
    };
    ev.in_templatefile = true;
    let r = ev.eval(&expr, &scope);
    ev.in_templatefile = false;
    r
}

/// Known strings of a list value.
pub(crate) fn string_items(v: &Value) -> Result<Vec<String>, String> {
    match v {
        Value::List(items) => items
            .iter()
            .map(|x| x.to_text()?.ok_or_else(|| "unknown element".to_owned()))
            .collect(),
        other => Err(format!(
            "a list of strings is required, found {}",
            other.type_name()
        )),
    }
}

/// One argument, or an error naming the position.
pub(crate) fn arg(args: &[Value], i: usize) -> Result<&Value, String> {
    args.get(i)
        .ok_or_else(|| format!("argument {} is missing", i + 1))
}

/// A known string argument.
pub(crate) fn text_arg(args: &[Value], i: usize) -> Result<String, String> {
    arg(args, i)?
        .to_text()?
        .ok_or_else(|| "unknown argument".to_owned())
}

/// A known number argument.
pub(crate) fn num_arg(args: &[Value], i: usize) -> Result<f64, String> {
    arg(args, i)?
        .to_number()?
        .ok_or_else(|| "unknown argument".to_owned())
}
