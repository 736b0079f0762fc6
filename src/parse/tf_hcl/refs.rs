//! Names in expressions: `var.*`, `local.*`, `count`/`each`, `path.*`, `module.*` (module
//! instances and their outputs), `data.*` and resources (see [`super::instances`]), and the
//! provider configurations modules inherit.
//!
//! Everything is lazy and memoised: a reference evaluates exactly the attribute it reads
//! (`aws_iam_role.app.name`), so two resources referring to each other's different attributes
//! are not a cycle. An attribute the configuration does not set is known only after apply and
//! reads as a reference to the resource instance (`aws_iam_role.app.arn`), except for the few
//! that are deterministic (an IAM role ARN from a known name and a known account, the
//! `json` of a policy document data source, the account of `data.aws_caller_identity` when
//! `--account-id` is given).

use super::eval::{fail, Evaluator, InstKey, Iter, Key, Scope, R};
use super::loader::{CallTarget, Input, Mode};
use super::syntax::{Expr, Op};
use super::types;
use super::value::{Pos, Value};
use std::collections::BTreeMap;
use std::rc::Rc;

impl Evaluator {
    /// Resolves a name and the traversal steps after it.
    pub(crate) fn resolve(&mut self, name: &str, ops: &[Op], s: &Scope<'_>, pos: Pos) -> R<Value> {
        if let Some(v) = s.lookup(name) {
            let v = v.clone();
            return self.apply_ops(v, ops, s, pos);
        }
        if s.isolated {
            return fail(pos, format!("unknown variable {name:?}"));
        }
        let head = |what: &str| -> R<(&str, &[Op])> {
            match ops.first() {
                Some(Op::Attr(n)) => Ok((n.as_str(), &ops[1..])),
                _ => fail(
                    pos,
                    format!("`{what}` must be followed by an attribute name"),
                ),
            }
        };
        match name {
            "var" => {
                let (n, rest) = head("var")?;
                let v = self.var_value(s.inst, n, pos)?;
                self.apply_rc(&v, rest, s, pos)
            }
            "local" => {
                let (n, rest) = head("local")?;
                let v = self.local_value(s.inst, n, pos)?;
                self.apply_rc(&v, rest, s, pos)
            }
            "count" => {
                let (n, rest) = head("count")?;
                match (n, s.iter.as_deref()) {
                    ("index", Some(Iter::Count(v))) => {
                        let v = v.clone();
                        self.apply_ops(v, rest, s, pos)
                    }
                    _ => fail(
                        pos,
                        "count.index is only available in a resource or module with count",
                    ),
                }
            }
            "each" => {
                let (n, rest) = head("each")?;
                match (n, s.iter.as_deref()) {
                    ("key", Some(Iter::Each(k, _))) => {
                        let k = k.clone();
                        self.apply_ops(k, rest, s, pos)
                    }
                    ("value", Some(Iter::Each(_, v))) => {
                        let v = v.clone();
                        self.apply_ops(v, rest, s, pos)
                    }
                    _ => fail(
                        pos,
                        "each.key and each.value are only available with for_each",
                    ),
                }
            }
            "path" => {
                let (n, rest) = head("path")?;
                let rel = self
                    .def_of(s.inst)
                    .map(|d| d.rel.clone())
                    .unwrap_or_else(|| ".".into());
                // As Terraform run in the root module's directory: path.module relative to it,
                // path.root ".", path.cwd that directory's absolute path (its last segment is
                // what `basename(path.cwd)` names).
                let v = match n {
                    "module" => Value::String(rel),
                    "root" => Value::String(".".into()),
                    "cwd" => Value::String(self.root_dir_absolute()),
                    _ => return fail(pos, format!("unknown attribute path.{n}")),
                };
                self.apply_ops(v, rest, s, pos)
            }
            "terraform" => {
                let (n, rest) = head("terraform")?;
                let v = match n {
                    "workspace" => Value::String("default".into()),
                    _ => Value::unknown(),
                };
                self.apply_ops(v, rest, s, pos)
            }
            "self" => Ok(Value::unknown()),
            "module" => self.resolve_module(s, ops, pos),
            "data" => {
                let (ty, rest) = head("data")?;
                let Some(Op::Attr(rname)) = rest.first() else {
                    return fail(pos, "a data source reference needs a type and a name");
                };
                self.resolve_resource(s, Mode::Data, ty, rname, &rest[1..], pos)
            }
            other => {
                let Some(Op::Attr(rname)) = ops.first() else {
                    return fail(pos, format!("unknown name {other:?}"));
                };
                self.resolve_resource(s, Mode::Managed, other, rname, &ops[1..], pos)
            }
        }
    }

    /// The value of `var.name` in a module instance.
    pub(crate) fn var_value(&mut self, inst: usize, name: &str, pos: Pos) -> R<Rc<Value>> {
        let Some(def) = self.def_of(inst) else {
            return Ok(Rc::new(Value::unknown()));
        };
        if !def.variables.contains_key(name) {
            return fail(pos, format!("variable {name:?} is not declared"));
        }
        let key = Key::Var(inst, name.to_owned());
        if let Some(v) = self.memo_get(&key) {
            return Ok(v);
        }
        let what = format!("var.{name}");
        Ok(self.memo(key, pos, &what, |ev| {
            let Some(var) = def.variables.get(name) else {
                return Value::unknown();
            };
            let default = |ev: &mut Evaluator| -> Option<Value> {
                let d = var.default.as_ref()?;
                let r = ev.eval(d, &isolated(inst));
                Some(ev.recover(r, var.pos, format_args!("default of variable {name:?}")))
            };
            let given: Option<Value> = match ev.insts.get(inst).and_then(|i| i.parent) {
                None => match ev.root_inputs.get(name).cloned() {
                    Some((Input::Value(v), _)) => Some(v),
                    Some((Input::Expr(e), at)) => {
                        let r = ev.eval(&e, &isolated(inst));
                        Some(ev.recover(r, at, format_args!("value of variable {name:?}")))
                    }
                    None => None,
                },
                Some((parent, call)) => {
                    let arg = ev
                        .def_of(parent)
                        .and_then(|pd| pd.calls.get(call).and_then(|c| c.args.iter().find(|a| a.name == name).cloned()));
                    match arg {
                        Some(a) => {
                            let ps = Scope {
                                inst: parent,
                                iter: ev.insts.get(inst).and_then(|i| i.iter.clone()),
                                frame: None,
                                vars: None,
                                isolated: false,
                            };
                            let r = ev.eval(&a.expr, &ps);
                            Some(ev.recover(r, a.pos, format_args!("module argument {name:?}")))
                        }
                        None => None,
                    }
                }
            };
            let mut v = match given {
                Some(v) => v,
                None => match default(ev) {
                    Some(d) => d,
                    None => {
                        ev.note(var.pos, format!("variable \"{name}\" has no value (no default, and not set by --var, --var-file, a .tfvars file or the module call); keyreach treats it as unknown"));
                        return Value::unknown();
                    }
                },
            };
            if matches!(v, Value::Null) && !var.nullable {
                if let Some(d) = default(ev) {
                    v = d;
                }
            }
            match &var.ty {
                Some(t) => types::convert(ev, v, t, inst),
                None => v,
            }
        }))
    }

    /// The value of `local.name`.
    pub(crate) fn local_value(&mut self, inst: usize, name: &str, pos: Pos) -> R<Rc<Value>> {
        let Some(def) = self.def_of(inst) else {
            return Ok(Rc::new(Value::unknown()));
        };
        let Some(attr) = def.locals.get(name) else {
            return fail(pos, format!("local value {name:?} is not declared"));
        };
        let key = Key::Local(inst, name.to_owned());
        if let Some(v) = self.memo_get(&key) {
            return Ok(v);
        }
        let what = format!("local.{name}");
        Ok(self.memo(key, attr.pos, &what, |ev| {
            let r = ev.eval(&attr.expr, &Scope::module(inst));
            ev.recover(r, attr.pos, &what)
        }))
    }

    fn resolve_module(&mut self, s: &Scope<'_>, ops: &[Op], pos: Pos) -> R<Value> {
        let Some(Op::Attr(name)) = ops.first() else {
            return fail(pos, "`module` must be followed by a module name");
        };
        let Some(def) = self.def_of(s.inst) else {
            return Ok(Value::unknown());
        };
        let Some(&ci) = def.call_index.get(name) else {
            return fail(pos, format!("reference to undeclared module {name:?}"));
        };
        let exp = self.module_expansion(s.inst, ci);
        let parent = s.inst;
        let prefix = self
            .insts
            .get(parent)
            .map(|i| i.prefix.clone())
            .unwrap_or_default();
        let name = name.clone();
        self.select_instances(
            &exp,
            &ops[1..],
            s,
            pos,
            &|_, key| format!("{prefix}module.{name}{}", key.suffix()),
            &mut |ev, key, rest, s| {
                let child = ev.child_inst(parent, ci, key);
                ev.resolve_output(child, rest, s, pos)
            },
        )
    }

    /// `count`/`for_each` of a module call, like [`Self::expansion`].
    pub(crate) fn module_expansion(&mut self, inst: usize, ci: usize) -> Rc<Value> {
        let Some(def) = self.def_of(inst) else {
            return Rc::new(Value::Null);
        };
        let Some(c) = def.calls.get(ci) else {
            return Rc::new(Value::Null);
        };
        if let Some(v) = self.memo_get(&Key::ModExpand(inst, ci)) {
            return v;
        }
        let prefix = self
            .insts
            .get(inst)
            .map(|i| i.prefix.clone())
            .unwrap_or_default();
        let what = format!("count/for_each of {prefix}module.{}", c.name);
        self.memo(Key::ModExpand(inst, ci), c.pos, &what, |ev| {
            ev.expand(
                c.count.as_ref(),
                c.for_each.as_ref(),
                &Scope::module(inst),
                c.pos,
                &what,
            )
        })
    }

    /// The instance of a module call with this key (created on first use).
    pub(crate) fn child_inst(&mut self, parent: usize, ci: usize, key: &InstKey) -> usize {
        if let Some(&c) = self.children.get(&(parent, ci, key.clone())) {
            return c;
        }
        let def = self.def_of(parent);
        let call = def.as_ref().and_then(|d| d.calls.get(ci));
        let target = match call.map(|c| &c.target) {
            Some(CallTarget::Local(d)) => Some(*d),
            _ => None,
        };
        let name = call.map(|c| c.name.clone()).unwrap_or_default();
        let exp = self.module_expansion(parent, ci);
        let (prefix, depth) = self
            .insts
            .get(parent)
            .map(|p| (p.prefix.clone(), p.depth))
            .unwrap_or_default();
        self.insts.push(super::eval::Inst {
            def: target,
            prefix: format!("{prefix}module.{name}{}.", key.suffix()),
            parent: Some((parent, ci)),
            iter: Self::iter_for(&exp, key),
            depth: depth + 1,
        });
        let id = self.insts.len() - 1;
        self.children.insert((parent, ci, key.clone()), id);
        id
    }

    fn resolve_output(&mut self, child: usize, ops: &[Op], s: &Scope<'_>, pos: Pos) -> R<Value> {
        match ops.first() {
            Some(Op::Attr(out)) => {
                let v = self.output_value(child, out, pos)?;
                self.apply_rc(&v, &ops[1..], s, pos)
            }
            _ => {
                let Some(def) = self.def_of(child) else {
                    let target = self.module_target(child);
                    return Ok(Value::reference(&target, None));
                };
                let mut names: Vec<String> = def.outputs.keys().cloned().collect();
                names.sort();
                let mut fields = BTreeMap::new();
                for n in names {
                    let v = self.output_value(child, &n, pos)?;
                    fields.insert(n, (*v).clone());
                }
                let obj = Value::object(fields);
                self.apply_ops(obj, ops, s, pos)
            }
        }
    }

    fn module_target(&self, inst: usize) -> String {
        self.insts
            .get(inst)
            .map(|i| i.prefix.trim_end_matches('.').to_owned())
            .unwrap_or_default()
    }

    /// `module.x.name`: an output of a module instance (unknown when the module was not read).
    pub(crate) fn output_value(&mut self, child: usize, name: &str, pos: Pos) -> R<Rc<Value>> {
        let Some(def) = self.def_of(child) else {
            let target = self.module_target(child);
            return Ok(Rc::new(Value::reference(&target, Some(name))));
        };
        let Some(attr) = def.outputs.get(name) else {
            return fail(
                pos,
                format!(
                    "module {} has no output {name:?}",
                    self.module_target(child)
                ),
            );
        };
        let key = Key::Output(child, name.to_owned());
        if let Some(v) = self.memo_get(&key) {
            return Ok(v);
        }
        let what = format!("{}.{name}", self.module_target(child));
        Ok(self.memo(key, attr.pos, &what, |ev| {
            let r = ev.eval(&attr.expr, &Scope::module(child));
            ev.recover(r, attr.pos, &what)
        }))
    }

    /// The evaluated `provider` block a module instance uses for `key` (`aws`, `aws.west`),
    /// following `providers = {...}` and inheritance from the calling module; `Null` when none.
    pub(crate) fn provider_config(&mut self, inst: usize, key: &str) -> Rc<Value> {
        if let Some(v) = self.memo_get(&Key::Provider(inst, key.to_owned())) {
            return v;
        }
        let what = format!("provider {key}");
        self.memo(
            Key::Provider(inst, key.to_owned()),
            Pos::default(),
            &what,
            |ev| {
                if let Some(def) = ev.def_of(inst) {
                    if let Some(p) = def.providers.iter().find(|p| p.key == key) {
                        return ev.eval_body(&p.body, &Scope::module(inst), None);
                    }
                }
                let Some((parent, ci)) = ev.insts.get(inst).and_then(|i| i.parent) else {
                    return Value::Null;
                };
                let mapped = ev
                    .def_of(parent)
                    .and_then(|d| {
                        d.calls.get(ci).and_then(|c| {
                            c.providers
                                .iter()
                                .find(|(k, _)| k == key)
                                .map(|(_, v)| v.clone())
                        })
                    })
                    .unwrap_or_else(|| key.to_owned());
                (*ev.provider_config(parent, &mapped)).clone()
            },
        )
    }

    /// Evaluates an isolated expression for a module, recovering errors.
    pub(crate) fn eval_isolated(&mut self, e: &Expr, inst: usize, pos: Pos, what: &str) -> Value {
        let r = self.eval(e, &isolated(inst));
        self.recover(r, pos, what)
    }
}

fn isolated(inst: usize) -> Scope<'static> {
    Scope {
        inst,
        iter: None,
        frame: None,
        vars: None,
        isolated: true,
    }
}
