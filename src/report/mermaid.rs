//! The domains as a Mermaid flowchart (`keyreach analyze --format mermaid`; GitHub renders it
//! in Markdown inside a ```` ```mermaid ```` block).

use super::picture::{PNode, Picture};
use std::fmt::Write as _;
use std::io::Write;

/// Text safe inside a quoted Mermaid label: quotes and markup become entities.
fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => o.push_str("#quot;"),
            '<' => o.push_str("#lt;"),
            '>' => o.push_str("#gt;"),
            '#' => o.push_str("#35;"),
            '|' => o.push_str("#124;"),
            '`' => o.push_str("#96;"),
            '\n' | '\r' => o.push(' '),
            _ => o.push(c),
        }
    }
    o
}

fn node(s: &mut String, indent: &str, n: &PNode) {
    let text = n
        .label
        .iter()
        .map(|l| esc(l))
        .collect::<Vec<_>>()
        .join("<br/>");
    let (open, close) = match n.shape {
        "key" => ("{{", "}}"),
        "store" => ("[(", ")]"),
        _ => ("(", ")"),
    };
    let _ = writeln!(s, "{indent}{}{open}\"{text}\"{close}", n.id);
}

/// The flowchart text (without a Markdown fence).
#[must_use]
pub fn to_string(p: &Picture) -> String {
    let mut s = String::from("flowchart LR\n");
    for c in &p.clusters {
        let _ = writeln!(s, "  subgraph {}[\"domain {}\"]", c.id, esc(&c.name));
        for n in &c.nodes {
            node(&mut s, "    ", n);
        }
        s.push_str("  end\n");
    }
    for n in &p.principals {
        node(&mut s, "  ", n);
    }
    for e in &p.edges {
        let arrow = match (e.label.is_empty(), e.dashed) {
            (true, _) => format!("  {} --- {}", e.from, e.to),
            (false, false) => format!("  {} -->|\"{}\"| {}", e.from, esc(&e.label), e.to),
            (false, true) => format!("  {} -.->|\"{}\"| {}", e.from, esc(&e.label), e.to),
        };
        s.push_str(&arrow);
        s.push('\n');
    }
    s
}

/// Writes the flowchart.
///
/// # Errors
/// Write errors.
pub fn render(p: &Picture, out: &mut dyn Write) -> std::io::Result<()> {
    out.write_all(to_string(p).as_bytes())
}
