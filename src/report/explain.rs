//! `keyreach explain` as an indented tree (`--format table`) or JSON (`--format json`).

use crate::analysis::access::explain::{location_text, Node};
use crate::analysis::explain::Explanation;
use crate::analysis::result::Capability;
use std::io::Write;

fn line(n: &Node) -> String {
    let mut s = n.text.clone();
    if let Some(c) = n.capability {
        s.push_str(" [");
        s.push_str(c.as_str());
        s.push(']');
    }
    if let Some(l) = &n.location {
        s.push_str(" (");
        s.push_str(&location_text(l));
        s.push(')');
    }
    if let Some(d) = &n.decided_by {
        s.push_str(" - decided by: ");
        s.push_str(d);
    }
    s
}

fn walk(
    out: &mut dyn Write,
    n: &Node,
    prefix: &str,
    last: bool,
    root: bool,
) -> std::io::Result<()> {
    if root {
        writeln!(out, "{}", line(n))?;
    } else {
        writeln!(
            out,
            "{prefix}{}{}",
            if last { "└─ " } else { "├─ " },
            line(n)
        )?;
    }
    let child_prefix = if root {
        String::new()
    } else {
        format!("{prefix}{}", if last { "   " } else { "│  " })
    };
    for (i, c) in n.children.iter().enumerate() {
        walk(out, c, &child_prefix, i + 1 == n.children.len(), false)?;
    }
    Ok(())
}

/// Writes the tree as text.
///
/// # Errors
/// Write errors.
pub fn render_text(e: &Explanation, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "DOMAIN {}", e.domain)?;
    writeln!(out, "  keys: {}", e.keys.join(", "))?;
    writeln!(out)?;
    if e.principals.is_empty() {
        writeln!(out, "Nobody can read, write or administer this domain.")?;
    }
    for p in &e.principals {
        walk(out, p, "", true, true)?;
        writeln!(out)?;
    }
    writeln!(
        out,
        "[{}] allowed · [{}] allowed only when something the input does not decide holds (see \"decided by\") · [{}] not allowed",
        Capability::Yes.as_str(),
        Capability::Conditional.as_str(),
        Capability::No.as_str()
    )
}

/// Writes the tree as JSON.
///
/// # Errors
/// Write errors.
pub fn render_json(e: &Explanation, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, e)?;
    writeln!(out)
}
