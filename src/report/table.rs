//! The human-readable table, grouped by domain: keys and stores, then one row per principal
//! with read / write / admin, a mark for conditional access, and the main evidence. The table
//! is wrapped to the terminal width (or `COLUMNS`, or 120 columns when not on a terminal, so
//! output stays byte-identical in CI), at word boundaries only: an id is never cut inside.

use crate::analysis::result::{Capability, Report};
use std::collections::BTreeMap;
use std::io::Write;
use tabled::builder::Builder;
use tabled::settings::Style;

/// Terminal width used for wrapping.
#[must_use]
pub fn terminal_width() -> usize {
    if let Some(w) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
    {
        return w.max(40);
    }
    if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
        if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
            return usize::from(w).max(40);
        }
    }
    120
}

fn mark(c: Capability) -> &'static str {
    match c {
        Capability::Yes => "yes",
        Capability::Conditional => "cond*",
        Capability::No => "-",
    }
}

/// The legend: every mark of the access tables.
pub const LEGEND: [(&str, &str); 4] = [
    ("yes", "allowed"),
    (
        "cond*",
        "allowed only when something the input does not decide holds (a condition, a value unknown until apply, a policy outside the input)",
    ),
    ("-", "no: the input proves it is not allowed"),
    (
        "via",
        "the main evidence; (+N more) when there is more (`--format json` and `keyreach explain` show all of it)",
    ),
];

/// The `via` cell: the main evidence, and how many more steps the JSON report holds.
fn via_cell(via: &[String]) -> String {
    match via {
        [] => String::new(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} (+{} more)", rest.len()),
    }
}

/// Splits a word longer than `width` after `/`, `:` or `.` (path, ARN, address and DNS
/// separators); a piece without such a separator is kept whole, however long, so no name (a
/// CDK logical id, a Sid) is cut inside.
fn split_long(word: &str, width: usize) -> Vec<String> {
    if word.chars().count() <= width {
        return vec![word.to_owned()];
    }
    let mut pieces: Vec<String> = Vec::new();
    let mut cur = String::new();
    for c in word.chars() {
        cur.push(c);
        if matches!(c, '/' | ':' | '.') {
            pieces.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        pieces.push(cur);
    }
    // Join pieces back greedily up to the width.
    let mut out: Vec<String> = Vec::new();
    for p in pieces {
        match out.last_mut() {
            Some(last) if last.chars().count() + p.chars().count() <= width => last.push_str(&p),
            _ => out.push(p),
        }
    }
    out
}

/// Wraps text to `width` at spaces (and long ids after `/` or `:`), never inside a word.
#[must_use]
pub fn wrap(text: &str, width: usize) -> String {
    let width = width.max(1);
    let mut lines: Vec<String> = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for word in para.split(' ').filter(|w| !w.is_empty()) {
            for piece in split_long(word, width) {
                let need = if line.is_empty() {
                    piece.chars().count()
                } else {
                    line.chars().count() + 1 + piece.chars().count()
                };
                // Pieces of one long word join without a space.
                let glue = !line.is_empty() && !word.starts_with(piece.as_str());
                if glue && line.chars().count() + piece.chars().count() <= width {
                    line.push_str(&piece);
                } else if !line.is_empty() && (need > width || glue) {
                    lines.push(std::mem::take(&mut line));
                    line.push_str(&piece);
                } else {
                    if !line.is_empty() {
                        line.push(' ');
                    }
                    line.push_str(&piece);
                }
            }
        }
        lines.push(line);
    }
    lines.join("\n")
}

/// Members named in the table cell of an `undetermined` entry.
const FOLDED_SHOWN: usize = 3;

/// The principal, or for an `undetermined` entry its count and first members.
fn principal_cell(a: &crate::analysis::result::AccessEntry) -> String {
    let Some(f) = &a.folded else {
        return a.principal.clone();
    };
    let mut lines = vec![format!(
        "{} ({} principal(s) whose identity policies are not known before apply)",
        a.principal, f.count
    )];
    lines.extend(f.members.iter().take(FOLDED_SHOWN).cloned());
    if f.count > FOLDED_SHOWN {
        lines.push(format!(
            "… {} more (--format json lists all)",
            f.count - FOLDED_SHOWN
        ));
    }
    lines.join("\n")
}

/// Longest unbreakable piece of a text at a width (the least the column needs).
fn longest_piece(text: &str, width: usize) -> usize {
    text.split([' ', '\n'])
        .flat_map(|w| split_long(w, width))
        .map(|p| p.chars().count())
        .max()
        .unwrap_or(0)
}

/// Column widths for `rows` within `total` columns: fixed columns keep their widest cell;
/// the flexible ones share the rest, each at least its longest unbreakable piece.
fn layout(rows: &[Vec<String>], flexible: &[usize], total: usize) -> Vec<usize> {
    let cols = rows.first().map_or(0, Vec::len);
    let natural: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .flat_map(|r| r[c].split('\n'))
                .map(|l| l.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let overhead = 3 * cols + 1;
    let fixed: usize = (0..cols)
        .filter(|c| !flexible.contains(c))
        .map(|c| natural[c])
        .sum();
    let mut avail = total.saturating_sub(overhead + fixed);
    let mut widths = natural.clone();
    // Flexible columns in order: each takes its share, the last the remainder.
    let mut left: Vec<usize> = flexible.to_vec();
    while let Some(c) = left.first().copied() {
        left.remove(0);
        let share = if left.is_empty() {
            avail
        } else {
            avail * 2 / 5
        };
        let floor = rows
            .iter()
            .map(|r| longest_piece(&r[c], share.max(1)))
            .max()
            .unwrap_or(0);
        let w = natural[c].min(share.max(floor)).max(1);
        widths[c] = w;
        avail = avail.saturating_sub(w);
    }
    widths
}

fn table(mut rows: Vec<Vec<String>>, flexible: &[usize], width: usize) -> String {
    let widths = layout(&rows, flexible, width);
    for r in &mut rows {
        for &c in flexible {
            r[c] = wrap(&r[c], widths[c]);
        }
    }
    let mut b = Builder::default();
    for r in rows {
        b.push_record(r);
    }
    let mut t = b.build();
    t.with(Style::sharp());
    t.to_string()
}

/// Writes the table.
///
/// # Errors
/// Write errors.
pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    render_width(report, terminal_width(), out)
}

/// Writes the table for a terminal of `width` columns.
///
/// # Errors
/// Write errors.
pub fn render_width(report: &Report, width: usize, out: &mut dyn Write) -> std::io::Result<()> {
    if report.domains.is_empty() {
        if report.unpartitioned.is_empty() {
            writeln!(
                out,
                "No data domains: the inputs hold no KMS keys and no data stores."
            )?;
        } else {
            writeln!(
                out,
                "No data domains: no store is under a customer managed key or a domain tag.\n"
            )?;
        }
    }
    let mut any_rows = false;
    for d in &report.domains {
        writeln!(out, "DOMAIN {}", d.name)?;
        writeln!(out, "  keys:   {}", d.keys.join(", "))?;
        if d.stores.is_empty() {
            writeln!(out, "  stores: (none in the input)")?;
        }
        for (i, s) in d.stores.iter().enumerate() {
            let label = if i == 0 { "  stores:" } else { "         " };
            writeln!(out, "{label} {} ({}) -> {}", s.id, s.type_name, s.key)?;
        }
        if d.access.is_empty() {
            writeln!(out, "  nobody can read, write or administer this domain\n")?;
            continue;
        }
        any_rows = true;
        let mut rows: Vec<Vec<String>> =
            vec![["principal", "kind", "read", "write", "admin", "via"]
                .iter()
                .map(|s| (*s).to_owned())
                .collect()];
        for a in &d.access {
            rows.push(vec![
                principal_cell(a),
                match a.folded {
                    Some(_) => "undetermined".to_owned(),
                    None => format!("{:?}", a.kind).to_lowercase(),
                },
                mark(a.read).to_owned(),
                mark(a.write).to_owned(),
                mark(a.admin).to_owned(),
                via_cell(&a.via),
            ]);
        }
        writeln!(out, "{}\n", table(rows, &[0, 5], width))?;
    }
    render_unpartitioned(report, out)?;
    if any_rows {
        for (mark, meaning) in LEGEND {
            let text = wrap(meaning, width.saturating_sub(8).max(20));
            for (i, line) in text.lines().enumerate() {
                let head = if i == 0 { mark } else { "" };
                writeln!(out, "  {head:<6}{line}")?;
            }
        }
        writeln!(out)?;
    }
    // Findings on stores outside any domain are counted per rule and store type; the
    // JSON and SARIF reports keep each of them.
    let outside: BTreeMap<&str, &str> = report
        .unpartitioned
        .iter()
        .map(|u| (u.id.as_str(), u.type_name.as_str()))
        .collect();
    let is_outside = |f: &crate::finding::Finding| {
        f.domain.is_none() && outside.contains_key(f.resource.as_str())
    };
    let findings: Vec<_> = report.findings.iter().filter(|f| !is_outside(f)).collect();
    let mut grouped: BTreeMap<(&str, &str, String), usize> = BTreeMap::new();
    for f in report.findings.iter().filter(|f| is_outside(f)) {
        let sev = if f.suppressed.is_some() {
            format!("{} (suppressed)", f.severity)
        } else {
            f.severity.to_string()
        };
        let ty = outside.get(f.resource.as_str()).copied().unwrap_or("");
        *grouped.entry((f.rule.as_str(), ty, sev)).or_default() += 1;
    }
    if !grouped.is_empty() {
        let total: usize = grouped.values().sum();
        writeln!(out, "FINDINGS ON STORES OUTSIDE ANY DOMAIN ({total})")?;
        let mut b = Builder::default();
        b.push_record(["severity", "rule", "store type", "stores"]);
        for ((rule, ty, sev), n) in &grouped {
            b.push_record([
                sev.clone(),
                (*rule).to_owned(),
                (*ty).to_owned(),
                n.to_string(),
            ]);
        }
        let mut t = b.build();
        t.with(Style::sharp());
        writeln!(out, "{t}\n")?;
    }
    if findings.is_empty() {
        writeln!(out, "No findings.")?;
    } else {
        writeln!(out, "FINDINGS ({})", findings.len())?;
        let mut rows: Vec<Vec<String>> = vec![["severity", "rule", "resource", "message"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()];
        for f in findings {
            let sev = if f.suppressed.is_some() {
                format!("{} (suppressed)", f.severity)
            } else {
                f.severity.to_string()
            };
            rows.push(vec![
                sev,
                f.rule.clone(),
                f.resource.clone(),
                f.message.clone(),
            ]);
        }
        writeln!(out, "{}", table(rows, &[2, 3], width))?;
    }
    Ok(())
}

/// The stores outside any domain, grouped by key marker, each group with who can use the key.
fn render_unpartitioned(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    if report.unpartitioned.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "STORES OUTSIDE ANY DOMAIN ({}): no customer managed key and no domain tag",
        report.unpartitioned.len()
    )?;
    let mut by_key: BTreeMap<&str, Vec<&crate::analysis::result::UnpartitionedStore>> =
        BTreeMap::new();
    for u in &report.unpartitioned {
        by_key.entry(u.key.as_str()).or_default().push(u);
    }
    for (key, stores) in by_key {
        writeln!(out, "  key {key}:")?;
        if let Some(u) = stores.first() {
            for a in &u.access {
                writeln!(
                    out,
                    "    usable by {} (read {}, write {}, admin {}): {}",
                    a.principal,
                    mark(a.read),
                    mark(a.write),
                    mark(a.admin),
                    a.via.join("; ")
                )?;
            }
        }
        for u in stores {
            writeln!(out, "    {} ({})", u.id, u.type_name)?;
        }
    }
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::result::{AccessEntry, Domain, PrincipalKind, StoreEntry};

    fn entry(principal: &str, read: Capability, via: usize) -> AccessEntry {
        AccessEntry {
            principal: principal.to_owned(),
            arn: None,
            kind: PrincipalKind::Role,
            read,
            write: Capability::No,
            admin: Capability::No,
            folded: None,
            via: (0..via).map(|i| format!("step {i}")).collect(),
            assumed_by: Vec::new(),
            actions: std::collections::BTreeMap::new(),
            per_key: std::collections::BTreeMap::new(),
        }
    }

    #[test]
    fn wraps_at_word_boundaries_only() {
        assert_eq!(wrap("a bb ccc", 4), "a bb\nccc");
        // A long id breaks only after a separator; a piece without one stays whole.
        assert_eq!(
            wrap("PaymentsStackPaymentsBucket83E4A2D1 x", 10),
            "PaymentsStackPaymentsBucket83E4A2D1\nx"
        );
        assert_eq!(
            wrap("arn:aws:iam::111122223333:role/app", 16),
            "arn:aws:iam::\n111122223333:\nrole/app"
        );
        assert_eq!(
            wrap("key policy statement X", 100),
            "key policy statement X"
        );
    }

    #[test]
    fn groups_by_domain_with_marks_legend_and_capped_evidence() {
        let report = Report {
            domains: vec![Domain {
                name: "payments".into(),
                keys: vec!["aws_kms_key.pay".into()],
                stores: vec![StoreEntry {
                    id: "aws_s3_bucket.pay".into(),
                    type_name: "aws_s3_bucket".into(),
                    key: "aws_kms_key.pay".into(),
                }],
                access: vec![
                    entry("aws_iam_role.app", Capability::Yes, 1),
                    entry("aws_iam_role.maybe", Capability::Conditional, 9),
                ],
            }],
            ..Report::default()
        };
        let mut out = Vec::new();
        render_width(&report, 120, &mut out).expect("render");
        let text = String::from_utf8(out).expect("utf8");
        assert!(text.starts_with("DOMAIN payments\n"), "{text}");
        assert!(
            text.contains("aws_s3_bucket.pay (aws_s3_bucket) -> aws_kms_key.pay"),
            "{text}"
        );
        assert!(text.contains("cond*"), "{text}");
        assert!(text.contains("  cond* allowed only when"), "{text}");
        assert!(text.contains("  -     no: the input proves"), "{text}");
        assert!(
            text.contains("step 0 (+8 more)") && !text.contains("step 1"),
            "{text}"
        );
        assert!(text.contains("No findings."), "{text}");
    }

    #[test]
    fn undetermined_entry_shows_count_and_first_members() {
        let mut e = entry("undetermined:111122223333", Capability::Conditional, 1);
        e.kind = PrincipalKind::Unknown;
        e.folded = Some(Box::new(crate::analysis::result::Folded {
            count: 5,
            members: (0..5).map(|i| format!("aws_iam_role.r{i}")).collect(),
            group: "undetermined:111122223333".into(),
        }));
        let cell = principal_cell(&e);
        assert!(
            cell.starts_with("undetermined:111122223333 (5 principal(s)"),
            "{cell}"
        );
        assert!(cell.contains("aws_iam_role.r2") && !cell.contains("aws_iam_role.r3"));
        assert!(
            cell.ends_with("… 2 more (--format json lists all)"),
            "{cell}"
        );
    }
}
