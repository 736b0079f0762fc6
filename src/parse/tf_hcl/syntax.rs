//! keyreach's own small syntax tree for Terraform configuration, shared by native `.tf` files
//! (converted from hcl-edit's tree in [`super::native`]) and JSON `.tf.json` files
//! ([`super::json`]).
//!
//! The key decision: one compact tree, positions resolved to line and column once at
//! conversion, so the evaluator matches on a dozen variants instead of hcl-edit's decorated
//! types, and JSON configuration needs no second evaluator. Nested blocks in JSON stay
//! attributes holding objects; the evaluator and the resource mapping accept both shapes.

use super::value::{Pos, Value};
use crate::model::Location;

/// An expression.
#[derive(Debug, Clone)]
pub(crate) enum Expr {
    /// A literal (null, bool, number, string without interpolation).
    Lit(Value),
    /// A string template (quoted string with interpolations, or heredoc).
    Template(Vec<Part>),
    /// `[a, b]`.
    Tuple(Vec<Expr>),
    /// `{ k = v }`.
    Object(Vec<(ObjKey, Expr)>, Pos),
    /// A bare name: `var`, `local`, `aws_kms_key`, a `for` variable.
    Var(String, Pos),
    /// `expr.attr[index][*]...`.
    Traversal(Box<Expr>, Vec<Op>, Pos),
    /// A function call.
    Call(Box<Call>),
    /// `cond ? a : b`.
    Cond(Box<(Expr, Expr, Expr)>),
    /// `-x`, `!x`.
    Unary(UnOp, Box<Expr>),
    /// `a + b`, `a == b`, `a && b`, ...
    Binary(BinOp, Box<(Expr, Expr)>),
    /// `[for ...]`, `{for ...}`.
    For(Box<ForExpr>),
    /// Something keyreach does not evaluate; unknown, with the reason.
    Invalid(String, Pos),
}

/// A function call.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// Name, with `provider::aws::` namespaces joined by `::`.
    pub name: String,
    /// Arguments.
    pub args: Vec<Expr>,
    /// `f(list...)`: the last argument is spread.
    pub expand_final: bool,
    /// Where the call is.
    pub pos: Pos,
}

/// An object key.
#[derive(Debug, Clone)]
pub(crate) enum ObjKey {
    /// A bare identifier: the literal key.
    Ident(String),
    /// An expression evaluated to a string.
    Expr(Expr),
}

/// A traversal step.
#[derive(Debug, Clone)]
pub(crate) enum Op {
    /// `.name`.
    Attr(String),
    /// `[expr]`, `.0`.
    Index(Expr),
    /// `[*]`: the rest of the traversal applies to every element.
    FullSplat,
    /// `.*`: the following attribute steps apply to every element.
    AttrSplat,
}

/// `for` expression.
#[derive(Debug, Clone)]
pub(crate) struct ForExpr {
    /// Key (or index) variable.
    pub key_var: Option<String>,
    /// Value variable.
    pub value_var: String,
    /// The collection.
    pub coll: Expr,
    /// Key expression (object result) or none (tuple result).
    pub key: Option<Expr>,
    /// Value expression.
    pub value: Expr,
    /// `if` filter.
    pub cond: Option<Expr>,
    /// `...` grouping mode.
    pub grouping: bool,
}

/// A template part, whitespace stripping already applied.
#[derive(Debug, Clone)]
pub(crate) enum Part {
    /// Literal text.
    Lit(String),
    /// `${expr}`.
    Interp(Expr),
    /// `%{ if c }a%{ else }b%{ endif }`.
    If(Expr, Vec<Part>, Vec<Part>),
    /// `%{ for k, v in coll }body%{ endfor }`.
    For {
        /// Key variable.
        key_var: Option<String>,
        /// Value variable.
        value_var: String,
        /// The collection.
        coll: Expr,
        /// The repeated template.
        body: Vec<Part>,
    },
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnOp {
    /// `-`.
    Neg,
    /// `!`.
    Not,
}

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Eq,
    NotEq,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    And,
    Or,
}

/// A block or file body.
#[derive(Debug, Clone, Default)]
pub(crate) struct Body {
    /// Attributes in order.
    pub attrs: Vec<Attr>,
    /// Blocks in order.
    pub blocks: Vec<Block>,
}

impl Body {
    /// The attribute with this name (the last one when repeated).
    pub(crate) fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().rev().find(|a| a.name == name)
    }
}

/// `name = expr`.
#[derive(Debug, Clone)]
pub(crate) struct Attr {
    /// Name.
    pub name: String,
    /// Value expression.
    pub expr: Expr,
    /// Where it is.
    pub pos: Pos,
}

/// `kind "label" { ... }`.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    /// Block type (`resource`, `statement`, `dynamic`).
    pub kind: String,
    /// Labels.
    pub labels: Vec<String>,
    /// Body.
    pub body: Body,
    /// Where it starts.
    pub pos: Pos,
    /// `keyreach:ignore` comments written directly above it: (comment text, position).
    pub comments: Vec<(String, Pos)>,
}

/// One source file known to the loader.
#[derive(Debug, Clone)]
pub(crate) struct FileEntry {
    /// The path as displayed in locations.
    pub display: String,
}

/// The file table: positions refer to files by index.
#[derive(Debug, Clone, Default)]
pub(crate) struct Files {
    /// Files in load order.
    pub entries: Vec<FileEntry>,
}

impl Files {
    /// Registers a file and returns its index.
    pub(crate) fn add(&mut self, display: String) -> u32 {
        self.entries.push(FileEntry { display });
        u32::try_from(self.entries.len() - 1).unwrap_or(u32::MAX)
    }

    /// The location of a position.
    pub(crate) fn location(&self, pos: Pos) -> Location {
        let file = self
            .entries
            .get(pos.file as usize)
            .map(|f| f.display.clone())
            .unwrap_or_default();
        Location {
            file,
            line: (pos.line > 0).then_some(pos.line),
            column: (pos.column > 0).then_some(pos.column),
            pointer: None,
        }
    }
}

/// Byte offset to line/column for one file's text.
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes the line starts of `text`.
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Self { starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub(crate) fn position(&self, text: &str, file: u32, offset: usize) -> Pos {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self
            .starts
            .get(line.saturating_sub(1))
            .copied()
            .unwrap_or(0);
        let column = text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count())
            + 1;
        Pos {
            file,
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
}

/// Collects the `keyreach:` comment lines directly above line `line` (1-based): the run of
/// comment-only lines ending right before it.
pub(crate) fn comments_above(lines: &[&str], file: u32, line: u32) -> Vec<(String, Pos)> {
    let mut out = Vec::new();
    let mut i = (line as usize).saturating_sub(1);
    while i > 0 {
        let text = lines.get(i - 1).map_or("", |l| l.trim());
        let body = if let Some(rest) = text.strip_prefix('#') {
            rest
        } else if let Some(rest) = text.strip_prefix("//") {
            rest
        } else if text.starts_with("/*") && text.ends_with("*/") && text.len() >= 4 {
            &text[2..text.len() - 2]
        } else {
            break;
        };
        let body = body.trim();
        if body.starts_with("keyreach:") {
            out.push((
                body.to_owned(),
                Pos {
                    file,
                    line: u32::try_from(i).unwrap_or(u32::MAX),
                    column: 1,
                },
            ));
        }
        i -= 1;
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_positions() {
        let text = "ab\ncdé\nf";
        let idx = LineIndex::new(text);
        assert_eq!(
            idx.position(text, 0, 0),
            Pos {
                file: 0,
                line: 1,
                column: 1
            }
        );
        assert_eq!(
            idx.position(text, 0, 4),
            Pos {
                file: 0,
                line: 2,
                column: 2
            }
        );
        assert_eq!(
            idx.position(text, 0, 7),
            Pos {
                file: 0,
                line: 2,
                column: 4
            }
        );
        assert_eq!(
            idx.position(text, 0, 8),
            Pos {
                file: 0,
                line: 3,
                column: 1
            }
        );
    }

    #[test]
    fn comments_directly_above() {
        let lines = vec![
            "# keyreach:ignore KR001 old",
            "",
            "# unrelated",
            "# keyreach:ignore KR002 reason",
            "resource \"a\" \"b\" {",
        ];
        let c = comments_above(&lines, 0, 5);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].0, "keyreach:ignore KR002 reason");
        assert_eq!(c[0].1.line, 4);
    }
}
