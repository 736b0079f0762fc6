//! The resolver: intrinsic functions evaluated against parameters, conditions, resources and
//! the other templates of the command line.
//!
//! `Ref` and `Fn::GetAtt` to a resource give the value when the template decides it (an IAM
//! role with a known `RoleName` and a known account has a known ARN, see [`super::attrs`]), and
//! otherwise `Unknown` with a [`Reference`](crate::model::Reference) to the resource's id (`Ref`
//! with no attribute, `Fn::GetAtt` with the attribute name), so the engine can link keys,
//! principals and stores by reference. `Fn::Sub`/`Fn::Join` over such values build partial
//! strings that keep the references. An `Fn::If` whose condition the input does not decide
//! keeps both branches ([`RVal::Either`]) unless they agree.
//!
//! A malformed intrinsic is an [`InputError`] at the line of the expression, and so is a
//! reference to something the template does not declare where the value bears on access
//! ([`bears_on_access`]); elsewhere such a reference is a located note. Either way the value
//! becomes unknown and the rest of the template is still analysed.

use super::fasthash::FastMap;
use super::intrinsics::base64;
use super::load::UNKNOWN_TAG;
use super::rval::RVal;
use super::sam::UNKNOWN;
use super::stacks::{Instance, Template};
use crate::error::{pointer_token, InputError};
use crate::model::{Location, Note};
use crate::parse::LoadOptions;
use serde_json::Value;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// How many resolutions of other resources, outputs or parameters may nest (a chain of
/// resources whose names derive from each other). Deeper chains give unknown values.
pub(crate) const MAX_CHAIN: u32 = 48;

/// A JSON pointer built lazily while walking (rendered only for errors and locations).
#[derive(Clone, Copy)]
pub(crate) enum Path<'p> {
    /// A pointer given as text.
    Root(&'p str),
    /// A mapping member.
    Key(&'p Path<'p>, &'p str),
    /// A list item.
    Idx(&'p Path<'p>, usize),
}

impl Path<'_> {
    /// The pointer text.
    pub(crate) fn render(&self) -> String {
        match self {
            Path::Root(s) => (*s).to_owned(),
            Path::Key(p, k) => format!("{}/{}", p.render(), pointer_token(k)),
            Path::Idx(p, i) => format!("{}/{i}", p.render()),
        }
    }
}

/// Whether a value at this pointer can change who has access: it sits in a condition, or in a
/// property that carries policies, principals, key references, encryption settings, grants or
/// role, user and group attachments. Names, tags, descriptions, networking, user data and
/// outputs do not.
pub(crate) fn bears_on_access(pointer: &str) -> bool {
    const PASSIVE: &[&str] = &["Tags", "Description", "UserData", "Metadata", "Outputs"];
    const BEARING: &[&str] = &[
        "polic",
        "principal",
        "kms",
        "encrypt",
        "sse",
        "keyid",
        "keyarn",
        "targetkey",
        "role",
        "user",
        "group",
        "account",
        "boundary",
        "grant",
    ];
    let mut segments = pointer.split('/').filter(|s| !s.is_empty());
    match segments.next() {
        Some("Conditions") => return true,
        // The logical id (or the Globals section) names no property.
        Some("Resources" | "Globals") => {
            segments.next();
        }
        _ => return false,
    }
    let mut bearing = false;
    for seg in segments {
        if PASSIVE.contains(&seg) {
            return false;
        }
        let lower = seg.to_ascii_lowercase();
        if lower.contains("securitygroup") || lower.contains("subnetgroup") {
            return false;
        }
        bearing |= BEARING.iter().any(|b| lower.contains(b));
    }
    bearing
}

/// Export name -> (instance, output key).
pub(crate) type Exports = BTreeMap<String, (usize, String)>;

/// Three-valued truth of a template condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Truth {
    True,
    False,
    Unknown,
}

/// Everything the resolver needs, plus its caches and the messages it collects.
pub(crate) struct Ctx<'a> {
    pub templates: &'a [Template],
    pub instances: &'a [Instance],
    pub opts: &'a LoadOptions,
    /// Values from `--parameter` and parameter files (apply to top-level instances).
    pub cli_params: &'a BTreeMap<String, String>,
    /// Resource ids per instance, once assigned (before that, plain logical ids).
    pub ids: Option<&'a [FastMap<String, String>]>,
    /// Per instance: condition name -> truth.
    pub(super) conditions: RefCell<Vec<FastMap<String, Truth>>>,
    /// What is being resolved right now (cycle guard): kind, instance, name.
    pub(super) active: RefCell<Vec<(u8, usize, String)>>,
    /// Per instance: parameter name -> value.
    pub(super) params: RefCell<Vec<FastMap<String, RVal>>>,
    /// Per instance: logical id -> resolved properties.
    pub(super) props: RefCell<Vec<FastMap<String, Rc<RVal>>>>,
    pub(super) exports: RefCell<Option<Rc<Exports>>>,
    pub(super) building_exports: Cell<bool>,
    pub(super) chain: Cell<u32>,
    pub(super) errors: RefCell<BTreeSet<InputError>>,
    pub(super) notes: RefCell<BTreeSet<Note>>,
    /// Per template: the literal `Name` of each `AWS::SSM::Parameter` -> its logical id (built
    /// on the first dynamic reference).
    pub(super) ssm_names: RefCell<FastMap<usize, Rc<FastMap<String, String>>>>,
}

impl<'a> Ctx<'a> {
    /// A resolver over loaded templates and their instances.
    pub(crate) fn new(
        templates: &'a [Template],
        instances: &'a [Instance],
        opts: &'a LoadOptions,
        cli_params: &'a BTreeMap<String, String>,
    ) -> Self {
        Self {
            templates,
            instances,
            opts,
            cli_params,
            ids: None,
            conditions: RefCell::new(vec![FastMap::default(); instances.len()]),
            active: RefCell::default(),
            params: RefCell::new(vec![FastMap::default(); instances.len()]),
            props: RefCell::new(vec![FastMap::default(); instances.len()]),
            exports: RefCell::default(),
            building_exports: Cell::new(false),
            chain: Cell::new(0),
            errors: RefCell::default(),
            notes: RefCell::default(),
            ssm_names: RefCell::default(),
        }
    }

    /// The template of an instance.
    pub(crate) fn template(&self, inst: usize) -> &'a Template {
        &self.templates[self.instances[inst].template]
    }

    /// The id of a resource of an instance.
    pub(crate) fn id_of(&self, inst: usize, logical: &str) -> String {
        self.ids
            .and_then(|ids| ids.get(inst))
            .and_then(|m| m.get(logical).cloned())
            .unwrap_or_else(|| logical.to_owned())
    }

    /// Records an input error at a pointer of an instance's template.
    pub(crate) fn error(&self, inst: usize, pointer: &str, message: impl Into<String>) {
        let t = self.template(inst);
        let mut e = InputError::new(&t.display, message);
        e.line = t.exact_line(pointer);
        e.pointer = Some(t.source_pointer(pointer));
        self.errors.borrow_mut().insert(e);
    }

    /// Records a note at a pointer of an instance's template.
    pub(crate) fn note(&self, inst: usize, pointer: &str, message: impl Into<String>) {
        self.note_at(inst, pointer, false, message.into());
    }

    /// Records a note at a pointer, with the exact line of a scalar when `exact`.
    fn note_at(&self, inst: usize, pointer: &str, exact: bool, message: String) {
        let t = self.template(inst);
        let line = if exact {
            t.exact_line(pointer)
        } else {
            t.line(pointer)
        };
        let location = Location {
            file: t.display.clone(),
            line,
            column: None,
            pointer: Some(t.source_pointer(pointer)),
        };
        self.notes.borrow_mut().insert(Note { location, message });
    }

    /// Runs `f` one level deeper in a chain of cross-resource resolutions, guarding cycles.
    /// Returns `None` when `what` is already being resolved (a cycle) or the chain is too deep.
    pub(crate) fn nested<T>(&self, what: (u8, usize, &str), f: impl FnOnce() -> T) -> Option<T> {
        let busy = self
            .active
            .borrow()
            .iter()
            .any(|(k, i, n)| *k == what.0 && *i == what.1 && n == what.2);
        if self.chain.get() >= MAX_CHAIN || busy {
            return None;
        }
        self.active
            .borrow_mut()
            .push((what.0, what.1, what.2.to_owned()));
        self.chain.set(self.chain.get() + 1);
        let out = f();
        self.chain.set(self.chain.get() - 1);
        self.active.borrow_mut().pop();
        Some(out)
    }

    /// The resolved `Properties` of a resource (cached).
    pub(crate) fn props(&self, inst: usize, logical: &str) -> Rc<RVal> {
        if let Some(p) = self.props.borrow().get(inst).and_then(|m| m.get(logical)) {
            return Rc::clone(p);
        }
        let t = self.template(inst);
        let Some(raw) = t.resource(logical).and_then(|r| r.get("Properties")) else {
            return Rc::new(RVal::Map(BTreeMap::new()));
        };
        let base = format!("/Resources/{}/Properties", pointer_token(logical));
        let resolved = self.nested((0, inst, logical), || {
            self.resolve(inst, raw, &Path::Root(&base))
        });
        match resolved {
            Some(v) => {
                let v = Rc::new(v);
                if let Some(m) = self.props.borrow_mut().get_mut(inst) {
                    m.insert(logical.to_owned(), Rc::clone(&v));
                }
                v
            }
            None => Rc::new(RVal::unknown()),
        }
    }

    /// Resolves a template value in an instance.
    pub(crate) fn resolve(&self, inst: usize, v: &Value, at: &Path) -> RVal {
        match v {
            Value::Null => RVal::Null,
            Value::Bool(b) => RVal::Bool(*b),
            Value::Number(n) => RVal::Num(n.clone()),
            Value::String(s) => self.string_value(inst, s),
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match self.resolve(inst, item, &Path::Idx(at, i)) {
                        RVal::NoValue => {}
                        r => out.push(r),
                    }
                }
                RVal::List(out)
            }
            Value::Object(m) => {
                if m.len() == 1 {
                    if let Some((k, arg)) = m.iter().next() {
                        if k == "Ref" || k.starts_with("Fn::") || k == UNKNOWN_TAG || k == UNKNOWN {
                            return self.intrinsic(inst, k, arg, &Path::Key(at, k));
                        }
                    }
                }
                let mut out = BTreeMap::new();
                for (k, item) in m {
                    match self.resolve(inst, item, &Path::Key(at, k)) {
                        RVal::NoValue => {}
                        r => {
                            out.insert(k.clone(), r);
                        }
                    }
                }
                RVal::Map(out)
            }
        }
    }

    fn intrinsic(&self, inst: usize, name: &str, arg: &Value, at: &Path) -> RVal {
        match name {
            "Ref" => match arg {
                Value::String(s) => self.ref_name(inst, s, at),
                _ => self.bad(inst, at, "Ref takes the name of a parameter or resource"),
            },
            "Fn::GetAtt" => self.get_att(inst, arg, at),
            "Fn::Sub" => self.sub(inst, arg, at),
            "Fn::Join" => self.join(inst, arg, at),
            "Fn::Select" => self.select(inst, arg, at),
            "Fn::Split" => self.split(inst, arg, at),
            "Fn::FindInMap" => self.find_in_map(inst, arg, at),
            "Fn::ImportValue" => {
                let name = self.resolve(inst, arg, at);
                self.import_value(inst, &name, at)
            }
            "Fn::If" => self.fn_if(inst, arg, at),
            "Fn::Base64" => match self.resolve(inst, arg, at) {
                RVal::Str(s) => RVal::Str(base64(s.as_bytes())),
                other => other.to_unknown(),
            },
            "Fn::Length" => match self.resolve(inst, arg, at) {
                RVal::List(items) => RVal::Num(items.len().into()),
                other => other.to_unknown(),
            },
            "Fn::ToJsonString" => {
                let v = self.resolve(inst, arg, at);
                if v.is_known() {
                    RVal::Str(v.to_json().to_string())
                } else {
                    v.to_unknown()
                }
            }
            "Fn::GetAZs" | "Fn::Cidr" => {
                let _ = self.resolve(inst, arg, at);
                RVal::unknown()
            }
            "Fn::Transform" => {
                self.note(
                    inst,
                    &at.render(),
                    "Fn::Transform runs a macro at deploy time; its result is treated as unknown",
                );
                RVal::unknown()
            }
            "Fn::Equals"
            | "Fn::And"
            | "Fn::Or"
            | "Fn::Not"
            | "Fn::Contains"
            | "Fn::EachMemberEquals"
            | "Fn::EachMemberIn"
            | "Fn::RefAll"
            | "Fn::ValueOf"
            | "Fn::ValueOfAll" => RVal::unknown(),
            UNKNOWN => RVal::unknown(),
            UNKNOWN_TAG => {
                let tag = arg.get(0).and_then(Value::as_str).unwrap_or("?").to_owned();
                if tag.starts_with("!Rain::") {
                    // Directives of the `rain` CLI, replaced when it packages the template.
                    let at = match at {
                        Path::Key(parent, _) => parent,
                        other => other,
                    };
                    self.note(
                        inst,
                        &at.render(),
                        format!("`{tag}` is a rain directive (run `rain pkg` first); its value is treated as unknown"),
                    );
                    return RVal::unknown();
                }
                // Report at the tagged value itself, not at keyreach's marker key.
                let at = match at {
                    Path::Key(parent, _) => parent,
                    other => other,
                };
                self.bad(
                    inst,
                    at,
                    format!("unknown YAML tag `{tag}` (CloudFormation knows !Ref, !GetAtt, !Sub, !Join, !If, …)"),
                )
            }
            other => self.bad(inst, at, format!("unknown intrinsic function `{other}`")),
        }
    }

    /// Records an error for a malformed expression and gives an unknown value.
    pub(crate) fn bad(&self, inst: usize, at: &Path, message: impl Into<String>) -> RVal {
        self.error(inst, &at.render(), message);
        RVal::unknown()
    }

    /// `Ref` to a pseudo parameter, parameter or resource.
    pub(crate) fn ref_name(&self, inst: usize, name: &str, at: &Path) -> RVal {
        if let Some(v) = self.pseudo(inst, name, at) {
            return v;
        }
        if let Some(v) = self.param(inst, name) {
            return v;
        }
        if self.template(inst).resource(name).is_some() {
            return self.attr(inst, name, None);
        }
        self.dangling(
            inst,
            at,
            format!(
                "Ref to `{name}`, which is neither a parameter nor a resource of this template"
            ),
        )
    }

    /// A reference to a name the template does not declare. CloudFormation rejects such a
    /// template. Where the value bears on access (see [`bears_on_access`]) it is an input
    /// error; elsewhere (names, tags, descriptions, networking, user data) the value is unknown
    /// and a note names the line, so fragments and excerpts of templates are still analysed.
    pub(crate) fn dangling(&self, inst: usize, at: &Path, message: String) -> RVal {
        let pointer = at.render();
        if bears_on_access(&pointer) {
            self.error(inst, &pointer, message);
        } else {
            self.note_at(
                inst,
                &pointer,
                true,
                format!(
                    "{message}; CloudFormation would reject the template. The value is \
                     unknown; it does not bear on access, so the analysis goes on"
                ),
            );
        }
        RVal::unknown()
    }

    /// The resolved values, to be dropped elsewhere.
    pub(crate) fn into_caches(self) -> Vec<RVal> {
        // Rc is not Send: unwrap what is uniquely owned, leak nothing.
        let props = self.props.into_inner();
        let mut values: Vec<RVal> = Vec::new();
        for m in props {
            for (_, v) in m {
                if let Ok(v) = Rc::try_unwrap(v) {
                    values.push(v);
                }
            }
        }
        values
    }

    /// Moves collected errors and notes out.
    pub(crate) fn take_messages(&self) -> (Vec<InputError>, Vec<Note>) {
        (
            std::mem::take(&mut *self.errors.borrow_mut())
                .into_iter()
                .collect(),
            std::mem::take(&mut *self.notes.borrow_mut())
                .into_iter()
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::bears_on_access;

    #[test]
    fn values_that_bear_on_access() {
        let table: &[(&str, bool)] = &[
            (
                "/Resources/Key/Properties/KeyPolicy/Statement/0/Principal/AWS",
                true,
            ),
            (
                "/Resources/B/Properties/BucketEncryption/ServerSideEncryptionConfiguration/0",
                true,
            ),
            ("/Resources/Q/Properties/KmsMasterKeyId", true),
            ("/Resources/A/Properties/TargetKeyId", true),
            ("/Resources/R/Properties/ManagedPolicyArns/0", true),
            ("/Resources/R/Properties/PermissionsBoundary", true),
            ("/Resources/P/Properties/Roles/0", true),
            ("/Resources/G/Properties/Users/1", true),
            ("/Resources/F/Properties/Role", true),
            ("/Globals/Function/Policies/0", true),
            ("/Conditions/IsProd/Fn::Equals/0", true),
            ("/Resources/I/Properties/SubnetId", false),
            ("/Resources/I/Properties/SecurityGroupIds/0", false),
            ("/Resources/I/Properties/IamInstanceProfile", false),
            ("/Resources/I/Properties/UserData/Fn::Base64/Fn::Sub", false),
            ("/Resources/Key/Properties/Description/Fn::Sub", false),
            ("/Resources/A/Properties/AliasName/Fn::Sub", false),
            ("/Resources/B/Properties/Tags/0/Value", false),
            ("/Resources/KmsRoleUser/Properties/BucketName", false),
            ("/Outputs/Arn/Value", false),
        ];
        for (pointer, want) in table {
            assert_eq!(bears_on_access(pointer), *want, "{pointer}");
        }
    }
}
