//! The evaluator's state types: where an expression is evaluated ([`Scope`], [`Frame`],
//! [`Iter`]), module and resource instance identities ([`Inst`], [`InstKey`]), deployment
//! facts, and the memo keys with their hasher.

use crate::parse::tf_hcl::value::{key_suffix_str, Value};
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// `count.index`, or `each.key` and `each.value`, of the instance being evaluated.
#[derive(Debug, Clone)]
pub(crate) enum Iter {
    Count(Value),
    Each(Value, Value),
}

/// A local variable binding (`for` variables, `dynamic` iterators, template variables).
pub(crate) struct Frame<'a> {
    pub name: &'a str,
    pub value: Value,
    pub next: Option<&'a Frame<'a>>,
}

/// Where an expression is evaluated.
#[derive(Clone)]
pub(crate) struct Scope<'a> {
    /// Module instance.
    pub inst: usize,
    /// Instance iteration values.
    pub iter: Option<Rc<Iter>>,
    /// Innermost local binding.
    pub frame: Option<&'a Frame<'a>>,
    /// Template variables (`templatefile`), looked up after frames.
    pub vars: Option<&'a BTreeMap<String, Value>>,
    /// Only frames and template variables are visible (`templatefile`, `.tfvars`).
    pub isolated: bool,
}

impl<'a> Scope<'a> {
    pub(crate) fn module(inst: usize) -> Self {
        Self {
            inst,
            iter: None,
            frame: None,
            vars: None,
            isolated: false,
        }
    }

    pub(crate) fn with_frame<'b>(&self, frame: &'b Frame<'b>) -> Scope<'b>
    where
        'a: 'b,
    {
        Scope {
            inst: self.inst,
            iter: self.iter.clone(),
            frame: Some(frame),
            vars: self.vars,
            isolated: self.isolated,
        }
    }

    pub(crate) fn lookup(&self, name: &str) -> Option<&Value> {
        let mut f = self.frame;
        while let Some(frame) = f {
            if frame.name == name {
                return Some(&frame.value);
            }
            f = frame.next;
        }
        self.vars.and_then(|v| v.get(name))
    }
}

/// Instance key of a resource or module instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum InstKey {
    None,
    Int(i64),
    Str(String),
    /// `count`/`for_each` not known before apply: one instance stands for all.
    Unknown,
}

impl InstKey {
    /// The address suffix: ``, `[0]`, `["a"]`, `[*]`.
    pub(crate) fn suffix(&self) -> String {
        match self {
            InstKey::None => String::new(),
            InstKey::Int(i) => format!("[{i}]"),
            InstKey::Str(s) => key_suffix_str(s),
            InstKey::Unknown => "[*]".into(),
        }
    }
}

/// A module instance.
#[derive(Debug)]
pub(crate) struct Inst {
    /// Definition, `None` when the module was not read.
    pub def: Option<usize>,
    /// Address prefix: `` or `module.a["k"].`.
    pub prefix: String,
    /// Calling instance and the index of the call in its definition.
    pub parent: Option<(usize, usize)>,
    /// The call's `count.index`/`each` for this instance.
    pub iter: Option<Rc<Iter>>,
    /// Nesting depth.
    pub depth: usize,
}

/// Facts about the deployment (from the command line).
#[derive(Debug, Clone, Default)]
pub(crate) struct Facts {
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub partition: String,
    pub dns_suffix: String,
}

/// FxHash (the rustc hasher): memo keys are small and trusted, SipHash's DoS resistance buys
/// nothing here and costs a noticeable share of evaluation time.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            self.add(u64::from_le_bytes(buf));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
}

impl FxHasher {
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// A hash map with [`FxHasher`].
pub(crate) type FxMap<K, V> = HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;

/// Memoisation keys.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    Var(usize, String),
    Local(usize, String),
    Expand(usize, usize),
    Attr(usize, usize, InstKey, String),
    ModExpand(usize, usize),
    Output(usize, String),
    Provider(usize, String),
}
