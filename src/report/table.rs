//! The human-readable table, grouped by domain: keys and stores, then one row per principal
//! with read / write / admin, a mark for conditional access, and the evidence. The table is
//! wrapped to the terminal width (or `COLUMNS`, or 120 columns when not on a terminal, so
//! output stays byte-identical in CI).

use crate::analysis::result::{Capability, Report};
use std::collections::BTreeMap;
use std::io::Write;
use tabled::builder::Builder;
use tabled::settings::peaker::Priority;
use tabled::settings::{Style, Width};

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

/// Evidence lines shown per row; the JSON report keeps all of them.
const VIA_LINES: usize = 4;

fn via_cell(via: &[String]) -> String {
    if via.len() <= VIA_LINES {
        return via.join("\n");
    }
    let mut lines: Vec<String> = via[..VIA_LINES - 1].to_vec();
    lines.push(format!(
        "… {} more (--format json shows all)",
        via.len() - (VIA_LINES - 1)
    ));
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

/// Writes the table.
///
/// # Errors
/// Write errors.
pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let width = terminal_width();
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
    let mut any_conditional = false;
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
        let mut b = Builder::default();
        b.push_record(["principal", "kind", "read", "write", "admin", "via"]);
        for a in &d.access {
            any_conditional |= [a.read, a.write, a.admin].contains(&Capability::Conditional);
            b.push_record([
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
        let mut t = b.build();
        t.with(Style::sharp());
        t.with(
            Width::wrap(width)
                .keep_words(true)
                .priority(Priority::max(true)),
        );
        writeln!(out, "{t}\n")?;
    }
    render_unpartitioned(report, out)?;
    if any_conditional {
        writeln!(
            out,
            "cond* = allowed only when a condition the input does not decide holds (a condition, a value unknown until apply, a policy outside the input)\n"
        )?;
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
        let mut b = Builder::default();
        b.push_record(["severity", "rule", "resource", "message"]);
        for f in findings {
            let sev = if f.suppressed.is_some() {
                format!("{} (suppressed)", f.severity)
            } else {
                f.severity.to_string()
            };
            b.push_record([sev, f.rule.clone(), f.resource.clone(), f.message.clone()]);
        }
        let mut t = b.build();
        t.with(Style::sharp());
        t.with(
            Width::wrap(width)
                .keep_words(true)
                .priority(Priority::max(true)),
        );
        writeln!(out, "{t}")?;
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
        render(&report, &mut out).expect("render");
        let text = String::from_utf8(out).expect("utf8");
        assert!(text.starts_with("DOMAIN payments\n"), "{text}");
        assert!(
            text.contains("aws_s3_bucket.pay (aws_s3_bucket) -> aws_kms_key.pay"),
            "{text}"
        );
        assert!(text.contains("cond*"), "{text}");
        assert!(text.contains("cond* = allowed only when"), "{text}");
        assert!(
            text.contains("step 2") && !text.contains("step 3"),
            "{text}"
        );
        assert!(text.contains("6 more (--format json shows all)"), "{text}");
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
