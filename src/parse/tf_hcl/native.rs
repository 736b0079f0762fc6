//! Native syntax (`.tf`, `.tfvars`): hcl-edit parses, this module converts its tree into
//! keyreach's [`syntax`](super::syntax) tree with line and column positions.
//!
//! hcl-edit bounds nesting depth while parsing (64 levels, 128 chained operators), so the
//! recursive conversion here and the recursive evaluator after it cannot overflow the stack on
//! hostile input. Template strip markers (`~`) are applied here, once.

use super::syntax::{
    comments_above, Attr, BinOp, Block, Body, Call, Expr, ForExpr, LineIndex, ObjKey, Op, Part,
    UnOp,
};
use super::value::{Pos, Value};
use crate::error::InputError;
use hcl_edit::expr::{BinaryOperator, Expression, TraversalOperator, UnaryOperator};
use hcl_edit::structure::Structure;
use hcl_edit::template::{Directive, Element, Strip, Template};
use hcl_edit::Span;

/// Converter state for one file.
pub(crate) struct Conv<'a> {
    text: &'a str,
    index: LineIndex,
    file: u32,
    lines: Vec<&'a str>,
}

/// Parses a native-syntax file into a body.
///
/// # Errors
/// A syntax error, with line and column.
pub(crate) fn parse_body(text: &str, file: u32, display: &str) -> Result<Body, InputError> {
    let body = hcl_edit::parser::parse_body(text).map_err(|e| syntax_error(display, &e))?;
    let conv = Conv::new(text, file);
    Ok(conv.body(&body))
}

/// Parses one expression (a `--var` value of a complex type).
pub(crate) fn parse_expr(text: &str, file: u32) -> Option<Expr> {
    let expr = hcl_edit::parser::parse_expr(text).ok()?;
    Some(Conv::new(text, file).expr(&expr))
}

/// Parses a template (`templatefile`, a JSON string value).
pub(crate) fn parse_template(text: &str, file: u32) -> Result<Expr, String> {
    let tpl = hcl_edit::parser::parse_template(text).map_err(|e| {
        format!(
            "template syntax error at line {}, column {}: {}",
            e.location().line(),
            e.location().column(),
            e.message()
        )
    })?;
    let conv = Conv::new(text, file);
    Ok(conv.template_expr(&tpl))
}

fn syntax_error(display: &str, e: &hcl_edit::parser::Error) -> InputError {
    InputError::new(display, format!("HCL syntax error: {}", e.message()))
        .at(e.location().line(), e.location().column())
}

impl<'a> Conv<'a> {
    pub(crate) fn new(text: &'a str, file: u32) -> Self {
        Self {
            text,
            index: LineIndex::new(text),
            file,
            lines: text.lines().collect(),
        }
    }

    fn pos(&self, span: Option<std::ops::Range<usize>>) -> Pos {
        match span {
            Some(r) => self.index.position(self.text, self.file, r.start),
            None => Pos {
                file: self.file,
                line: 0,
                column: 0,
            },
        }
    }

    pub(crate) fn body(&self, body: &hcl_edit::structure::Body) -> Body {
        let mut out = Body::default();
        for s in body.iter() {
            match s {
                Structure::Attribute(a) => out.attrs.push(Attr {
                    name: a.key.value().to_string(),
                    expr: self.expr(&a.value),
                    pos: self.pos(a.span()),
                }),
                Structure::Block(b) => {
                    let pos = self.pos(b.span());
                    out.blocks.push(Block {
                        kind: b.ident.value().to_string(),
                        labels: b.labels.iter().map(|l| l.as_str().to_owned()).collect(),
                        body: self.body(&b.body),
                        pos,
                        comments: comments_above(&self.lines, self.file, pos.line),
                    });
                }
            }
        }
        out
    }

    pub(crate) fn expr(&self, e: &Expression) -> Expr {
        match e {
            Expression::Null(_) => Expr::Lit(Value::Null),
            Expression::Bool(b) => Expr::Lit(Value::Bool(*b.value())),
            Expression::Number(n) => {
                Expr::Lit(Value::Number(n.value().as_f64().unwrap_or(f64::NAN)))
            }
            Expression::String(s) => Expr::Lit(Value::String(s.value().clone())),
            Expression::Array(a) => Expr::Tuple(a.iter().map(|x| self.expr(x)).collect()),
            Expression::Object(o) => {
                let items = o
                    .iter()
                    .map(|(k, v)| {
                        let key = match k {
                            hcl_edit::expr::ObjectKey::Ident(i) => {
                                ObjKey::Ident(i.value().to_string())
                            }
                            hcl_edit::expr::ObjectKey::Expression(x) => ObjKey::Expr(self.expr(x)),
                        };
                        (key, self.expr(v.expr()))
                    })
                    .collect();
                Expr::Object(items, self.pos(o.span()))
            }
            Expression::StringTemplate(t) => self.template_expr(t),
            Expression::HeredocTemplate(h) => self.template_expr(&h.template),
            Expression::Parenthesis(p) => self.expr(p.inner()),
            Expression::Variable(v) => Expr::Var(v.value().to_string(), self.pos(v.span())),
            Expression::Conditional(c) => Expr::Cond(Box::new((
                self.expr(&c.cond_expr),
                self.expr(&c.true_expr),
                self.expr(&c.false_expr),
            ))),
            Expression::FuncCall(f) => {
                let mut name = String::new();
                for ns in &f.name.namespace {
                    name.push_str(ns.value());
                    name.push_str("::");
                }
                name.push_str(f.name.name.value());
                Expr::Call(Box::new(Call {
                    name,
                    args: f.args.iter().map(|a| self.expr(a)).collect(),
                    expand_final: f.args.expand_final(),
                    pos: self.pos(f.span()),
                }))
            }
            Expression::Traversal(t) => {
                let ops = t
                    .operators
                    .iter()
                    .map(|op| match op.value() {
                        TraversalOperator::AttrSplat(_) => Op::AttrSplat,
                        TraversalOperator::FullSplat(_) => Op::FullSplat,
                        TraversalOperator::GetAttr(i) => Op::Attr(i.value().to_string()),
                        TraversalOperator::Index(x) => Op::Index(self.expr(x)),
                        TraversalOperator::LegacyIndex(i) =>
                        {
                            #[allow(clippy::cast_precision_loss)]
                            Op::Index(Expr::Lit(Value::Number(*i.value() as f64)))
                        }
                    })
                    .collect();
                Expr::Traversal(Box::new(self.expr(&t.expr)), ops, self.pos(t.span()))
            }
            Expression::UnaryOp(u) => {
                let op = match u.operator.value() {
                    UnaryOperator::Neg => UnOp::Neg,
                    UnaryOperator::Not => UnOp::Not,
                };
                Expr::Unary(op, Box::new(self.expr(&u.expr)))
            }
            Expression::BinaryOp(b) => {
                let op = match b.operator.value() {
                    BinaryOperator::Eq => BinOp::Eq,
                    BinaryOperator::NotEq => BinOp::NotEq,
                    BinaryOperator::LessEq => BinOp::LessEq,
                    BinaryOperator::GreaterEq => BinOp::GreaterEq,
                    BinaryOperator::Less => BinOp::Less,
                    BinaryOperator::Greater => BinOp::Greater,
                    BinaryOperator::Plus => BinOp::Add,
                    BinaryOperator::Minus => BinOp::Sub,
                    BinaryOperator::Mul => BinOp::Mul,
                    BinaryOperator::Div => BinOp::Div,
                    BinaryOperator::Mod => BinOp::Mod,
                    BinaryOperator::And => BinOp::And,
                    BinaryOperator::Or => BinOp::Or,
                };
                Expr::Binary(
                    op,
                    Box::new((self.expr(&b.lhs_expr), self.expr(&b.rhs_expr))),
                )
            }
            Expression::ForExpr(f) => Expr::For(Box::new(ForExpr {
                key_var: f.intro.key_var.as_ref().map(|k| k.value().to_string()),
                value_var: f.intro.value_var.value().to_string(),
                coll: self.expr(&f.intro.collection_expr),
                key: f.key_expr.as_ref().map(|k| self.expr(k)),
                value: self.expr(&f.value_expr),
                cond: f.cond.as_ref().map(|c| self.expr(&c.expr)),
                grouping: f.grouping,
            })),
        }
    }

    /// A template as an expression: a lone `"${x}"` is `x` itself (Terraform keeps its type).
    pub(crate) fn template_expr(&self, t: &Template) -> Expr {
        let mut parts = Vec::new();
        let mut strip_next = false;
        self.template_parts(t, &mut parts, &mut strip_next);
        simplify_template(parts)
    }

    fn template_parts(&self, t: &Template, out: &mut Vec<Part>, strip_next: &mut bool) {
        for el in t.iter() {
            match el {
                Element::Literal(s) => {
                    let mut text = s.value().as_str();
                    if *strip_next {
                        text = text.trim_start();
                        *strip_next = false;
                    }
                    out.push(Part::Lit(text.to_owned()));
                }
                Element::Interpolation(i) => {
                    if strip_start(i.strip) {
                        trim_last_literal(out);
                    }
                    out.push(Part::Interp(self.expr(&i.expr)));
                    *strip_next = strip_end(i.strip);
                }
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(d) => {
                        if strip_start(d.if_expr.strip) {
                            trim_last_literal(out);
                        }
                        let mut then_parts = Vec::new();
                        let mut s = strip_end(d.if_expr.strip);
                        self.template_parts(&d.if_expr.template, &mut then_parts, &mut s);
                        let mut else_parts = Vec::new();
                        if let Some(e) = &d.else_expr {
                            if strip_start(e.strip) {
                                trim_last_literal(&mut then_parts);
                            }
                            let mut s = strip_end(e.strip);
                            self.template_parts(&e.template, &mut else_parts, &mut s);
                        }
                        if strip_start(d.endif_expr.strip) {
                            trim_last_literal(&mut then_parts);
                            trim_last_literal(&mut else_parts);
                        }
                        out.push(Part::If(
                            self.expr(&d.if_expr.cond_expr),
                            then_parts,
                            else_parts,
                        ));
                        *strip_next = strip_end(d.endif_expr.strip);
                    }
                    Directive::For(d) => {
                        let f = &d.for_expr;
                        if strip_start(f.strip) {
                            trim_last_literal(out);
                        }
                        let mut body = Vec::new();
                        let mut s = strip_end(f.strip);
                        self.template_parts(&f.template, &mut body, &mut s);
                        if strip_start(d.endfor_expr.strip) {
                            trim_last_literal(&mut body);
                        }
                        out.push(Part::For {
                            key_var: f.key_var.as_ref().map(|k| k.value().to_string()),
                            value_var: f.value_var.value().to_string(),
                            coll: self.expr(&f.collection_expr),
                            body,
                        });
                        *strip_next = strip_end(d.endfor_expr.strip);
                    }
                },
            }
        }
    }
}

/// Collapses a template: no parts is `""`, only literals is a literal, a single interpolation
/// is the interpolated expression.
pub(crate) fn simplify_template(parts: Vec<Part>) -> Expr {
    if parts.iter().all(|p| matches!(p, Part::Lit(_))) {
        let mut s = String::new();
        for p in &parts {
            if let Part::Lit(t) = p {
                s.push_str(t);
            }
        }
        return Expr::Lit(Value::String(s));
    }
    if parts.len() == 1 {
        if let Some(Part::Interp(_)) = parts.first() {
            if let Some(Part::Interp(e)) = parts.into_iter().next() {
                return e;
            }
            return Expr::Lit(Value::Null);
        }
    }
    Expr::Template(parts)
}

fn strip_start(s: Strip) -> bool {
    matches!(s, Strip::Start | Strip::Both)
}

fn strip_end(s: Strip) -> bool {
    matches!(s, Strip::End | Strip::Both)
}

fn trim_last_literal(parts: &mut [Part]) {
    if let Some(Part::Lit(s)) = parts.last_mut() {
        let t = s.trim_end().len();
        s.truncate(t);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let e = parse_body("resource \"a\" \"b\" {\n  x = \n}\n", 0, "main.tf").expect_err("bad");
        assert_eq!(e.file, "main.tf");
        assert_eq!(e.line, Some(2));
        assert!(e.column.is_some());
    }

    #[test]
    fn lone_interpolation_is_the_expression() {
        let b = parse_body("a = \"${var.x}\"\nb = \"x-${var.x}\"\n", 0, "f").expect("ok");
        assert!(matches!(b.attrs[0].expr, Expr::Traversal(..)));
        assert!(matches!(b.attrs[1].expr, Expr::Template(_)));
    }

    #[test]
    fn positions_and_comments() {
        let text = "\n# keyreach:ignore KR001 accepted\nresource \"aws_kms_key\" \"k\" {\n  policy = 1\n}\n";
        let b = parse_body(text, 0, "f").expect("ok");
        let blk = &b.blocks[0];
        assert_eq!((blk.pos.line, blk.pos.column), (3, 1));
        assert_eq!(blk.body.attrs[0].pos.line, 4);
        assert_eq!(blk.comments.len(), 1);
    }
}
