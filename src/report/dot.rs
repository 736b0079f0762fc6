//! The domains as a Graphviz DOT graph (`keyreach analyze --format dot`): render it with
//! `dot -Tsvg`.

use super::picture::{PEdge, PNode, Picture};
use std::io::Write;

/// A DOT string literal.
fn quote(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' | '\r' => o.push(' '),
            _ => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A multi-line label (lines joined with DOT's centred line break).
fn label(lines: &[String]) -> String {
    let parts: Vec<String> = lines
        .iter()
        .map(|l| {
            let q = quote(l);
            q[1..q.len() - 1].to_owned()
        })
        .collect();
    format!("\"{}\"", parts.join("\\n"))
}

fn node(out: &mut dyn Write, indent: &str, n: &PNode) -> std::io::Result<()> {
    let shape = match n.shape {
        "key" => "shape=component, style=filled, fillcolor=\"#fff2cc\"",
        "store" => "shape=cylinder",
        _ => "shape=box, style=rounded",
    };
    writeln!(
        out,
        "{indent}{} [label={}, {shape}];",
        n.id,
        label(&n.label)
    )
}

fn edge(out: &mut dyn Write, e: &PEdge) -> std::io::Result<()> {
    let mut attrs = Vec::new();
    if !e.label.is_empty() {
        attrs.push(format!("label={}", quote(&e.label)));
    }
    if e.dashed {
        attrs.push("style=dashed".to_owned());
    }
    if e.label.is_empty() {
        attrs.push("arrowhead=none, color=gray".to_owned());
    }
    writeln!(out, "  {} -> {} [{}];", e.from, e.to, attrs.join(", "))
}

/// Writes the picture as DOT.
///
/// # Errors
/// Write errors.
pub fn render(p: &Picture, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "digraph keyreach {{")?;
    writeln!(out, "  rankdir=LR;")?;
    writeln!(out, "  node [fontname=\"Helvetica\", fontsize=10];")?;
    writeln!(out, "  edge [fontname=\"Helvetica\", fontsize=9];")?;
    for c in &p.clusters {
        writeln!(out, "  subgraph cluster_{} {{", c.id)?;
        writeln!(out, "    label={};", quote(&format!("domain {}", c.name)))?;
        writeln!(out, "    style=rounded;")?;
        for n in &c.nodes {
            node(out, "    ", n)?;
        }
        writeln!(out, "  }}")?;
    }
    for n in &p.principals {
        node(out, "  ", n)?;
    }
    for e in &p.edges {
        edge(out, e)?;
    }
    writeln!(out, "}}")
}
