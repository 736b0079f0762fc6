//! The root module's variable values: `terraform.tfvars`, `terraform.tfvars.json`,
//! `*.auto.tfvars(.json)` in lexical order, then `--var-file` and `--var` in the order given
//! (later wins, as in Terraform). A `--var` of a complex type is an HCL expression; of a
//! primitive type (or none), the raw string.

use super::{is_primitive_type, Input, Loader, ModuleDef};
use crate::parse::read_text;
use crate::parse::tf_hcl::value::{Pos, Value};
use crate::parse::tf_hcl::{json, native};
use std::path::{Path, PathBuf};

impl Loader<'_> {
    pub(super) fn load_root_inputs(&mut self, single_file: bool) {
        let Some(root) = self.out.defs.get(self.out.root).cloned() else {
            return;
        };
        let mut files: Vec<(PathBuf, String)> = Vec::new();
        if !single_file {
            let dir = self.root_dir.clone();
            let mut auto: Vec<String> = std::fs::read_dir(&dir)
                .map(|rd| {
                    rd.filter_map(Result::ok)
                        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
                        .filter(|n| n.ends_with(".auto.tfvars") || n.ends_with(".auto.tfvars.json"))
                        .collect()
                })
                .unwrap_or_default();
            auto.sort();
            for name in ["terraform.tfvars", "terraform.tfvars.json"]
                .into_iter()
                .map(str::to_owned)
                .chain(auto)
            {
                let p = dir.join(&name);
                if p.is_file() {
                    let display = Path::new(&self.root_display)
                        .join(&name)
                        .display()
                        .to_string();
                    files.push((p, display));
                }
            }
        }
        for f in &self.opts.var_files {
            files.push((f.clone(), f.display().to_string()));
        }
        for (path, display) in files {
            let text = match read_text(&path, &display) {
                Ok(t) => t,
                Err(e) => {
                    self.out.errors.push(e);
                    continue;
                }
            };
            let file = self.out.files.add(display.clone());
            if display.ends_with(".json") {
                match json::parse_tfvars(&text, &display) {
                    Ok(vals) => {
                        for (k, v) in vals {
                            self.set_input(
                                &root,
                                k,
                                Input::Value(v),
                                Pos {
                                    file,
                                    line: 0,
                                    column: 0,
                                },
                            );
                        }
                    }
                    Err(e) => self.out.errors.push(e),
                }
            } else {
                match native::parse_body(&text, file, &display) {
                    Ok(body) => {
                        for a in body.attrs {
                            self.set_input(&root, a.name, Input::Expr(a.expr), a.pos);
                        }
                    }
                    Err(e) => self.out.errors.push(e),
                }
            }
        }
        let vars = self.opts.vars.clone();
        for (name, raw) in vars {
            let file = self.out.files.add(format!("--var {name}"));
            let pos = Pos {
                file,
                line: 0,
                column: 0,
            };
            let complex = root
                .variables
                .get(&name)
                .and_then(|v| v.ty.as_ref())
                .is_some_and(|t| !is_primitive_type(t));
            let input = if complex {
                match native::parse_expr(&raw, file) {
                    Some(e) => Input::Expr(e),
                    None => Input::Value(Value::String(raw)),
                }
            } else {
                Input::Value(Value::String(raw))
            };
            self.set_input(&root, name, input, pos);
        }
    }

    fn set_input(&mut self, root: &ModuleDef, name: String, input: Input, pos: Pos) {
        if !root.variables.contains_key(&name) {
            let from = self
                .out
                .files
                .entries
                .get(pos.file as usize)
                .map(|f| f.display.clone())
                .unwrap_or_default();
            self.note(pos, format!("{from} sets variable \"{name}\", which the root module does not declare; it is ignored"));
            return;
        }
        self.out.root_inputs.insert(name, (input, pos));
    }
}
