//! Markdown for a pull-request comment.
//!
//! GitHub refuses comments over 65,536 characters, so the comment is built from blocks filled
//! in priority order against a byte budget (bytes bound characters from above): the summary
//! and every finding of severity high or above first, then medium findings, the per-domain
//! access tables, low and info findings, and suppressed findings last. Whatever does not fit is
//! left out and named in a note at the top. Severe findings step down from full rows to rows
//! without messages, then to one line per rule listing the resources, before any of them is
//! left out; only thousands of them could still overflow, and the note then says how many.

use crate::analysis::result::{Capability, Domain, Report};
use crate::finding::{Finding, Severity};
use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write;

/// GitHub's limit on a comment body, in characters.
pub const GITHUB_COMMENT_LIMIT: usize = 65_536;

/// `--picture auto` includes the Mermaid picture when it is at most this long.
pub const AUTO_PICTURE_BYTES: usize = 12_000;

/// Room kept free under the limit for the note on what was left out and the closing lines.
const RESERVE: usize = 2_048;

/// Lists longer than this are collapsed in `<details>`.
const COLLAPSE_ROWS: usize = 10;

/// Writes the comment.
///
/// # Errors
/// Write errors.
pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    out.write_all(render_string(report, GITHUB_COMMENT_LIMIT).as_bytes())
}

/// Escapes text for a table cell or a line: Markdown punctuation, HTML and line breaks.
#[must_use]
pub fn text(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '|' | '*' | '_' | '`' | '[' | ']' | '<' | '>' | '#' | '~' => {
                o.push('\\');
                o.push(c);
            }
            '\r' => {}
            '\n' => o.push_str("<br>"),
            _ => o.push(c),
        }
    }
    o
}

/// A code span for an id, safe in a table cell; plain escaped text when the id has backticks.
#[must_use]
pub fn code(s: &str) -> String {
    if s.contains('`') || s.is_empty() {
        return text(s);
    }
    let body = s.replace(['\n', '\r'], " ").replace('|', "\\|");
    format!("`{body}`")
}

/// A finding message: its backtick spans (ids, as the rules write them) stay code spans, the
/// rest is escaped text.
#[must_use]
pub fn message(s: &str) -> String {
    if s.matches('`').count() % 2 != 0 {
        return text(s);
    }
    s.split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { code(part) } else { text(part) })
        .collect()
}

fn severity_label(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "🟥 critical",
        Severity::High => "🟧 high",
        Severity::Medium => "🟨 medium",
        Severity::Low => "🟦 low",
        Severity::Info => "⬜ info",
    }
}

fn mark(c: Capability) -> &'static str {
    match c {
        Capability::Yes => "✅",
        Capability::Conditional => "❔",
        Capability::No => "",
    }
}

fn location(f: &Finding) -> String {
    let l = &f.location;
    let mut s = l.file.clone();
    if let Some(line) = l.line {
        let _ = write!(s, ":{line}");
    } else if let Some(p) = &l.pointer {
        let _ = write!(s, "#{p}");
    }
    code(&s)
}

fn rule_cell(f: &Finding) -> String {
    match crate::rules::lookup(&f.rule) {
        Some(r) => format!("{} {}", text(&f.rule), text(r.meta.name)),
        None => text(&f.rule),
    }
}

const FULL_HEAD: &str =
    "| Severity | Rule | Resource | Location | Finding |\n|---|---|---|---|---|\n";
const COMPACT_HEAD: &str = "| Severity | Rule | Resource | Location |\n|---|---|---|---|\n";
const SUPPRESSED_HEAD: &str = "| Rule | Resource | Reason | Declared |\n|---|---|---|---|\n";

fn full_row(f: &Finding) -> String {
    format!(
        "| {} | {} | {} | {} | {} |\n",
        severity_label(f.severity),
        rule_cell(f),
        code(&f.resource),
        location(f),
        message(&f.message)
    )
}

fn compact_row(f: &Finding) -> String {
    format!(
        "| {} | {} | {} | {} |\n",
        severity_label(f.severity),
        text(&f.rule),
        code(&f.resource),
        location(f)
    )
}

fn suppressed_row(f: &Finding) -> String {
    let (reason, source) = f
        .suppressed
        .as_ref()
        .map(|s| (s.reason.as_str(), s.source.as_str()))
        .unwrap_or_default();
    format!(
        "| {} | {} | {} | {} |\n",
        text(&f.rule),
        code(&f.resource),
        text(reason),
        code(source)
    )
}

fn domain_table(d: &Domain) -> String {
    let mut s = format!("#### {}\n\n", code(&d.name));
    let keys: Vec<String> = d.keys.iter().map(|k| code(k)).collect();
    let _ = writeln!(
        s,
        "Keys: {} · stores: {} · principals: {}\n",
        if keys.is_empty() {
            "none".to_owned()
        } else {
            keys.join(", ")
        },
        d.stores.len(),
        d.access.len()
    );
    if d.access.is_empty() {
        s.push_str("No principal has access.\n\n");
        return s;
    }
    let mut table = String::from("| Principal | Read | Write | Admin |\n|---|:-:|:-:|:-:|\n");
    for e in &d.access {
        let _ = writeln!(
            table,
            "| {} | {} | {} | {} |",
            match &e.folded {
                Some(f) => format!(
                    "{} ({} principals whose identity policies are not known before apply)",
                    code(&e.principal),
                    f.count
                ),
                None => code(&e.principal),
            },
            mark(e.read),
            mark(e.write),
            mark(e.admin)
        );
    }
    if d.access.len() > COLLAPSE_ROWS {
        let _ = write!(
            s,
            "<details><summary>{} principals</summary>\n\n{table}\n</details>\n\n",
            d.access.len()
        );
    } else {
        s.push_str(&table);
        s.push('\n');
    }
    s
}

/// Greedy filling of a byte budget.
struct Budget {
    left: usize,
}

impl Budget {
    fn take(&mut self, s: &str) -> bool {
        if s.len() <= self.left {
            self.left -= s.len();
            true
        } else {
            false
        }
    }
}

/// A section of finding rows: heading, table head, as many rows as fit.
struct Section {
    rows: Vec<String>,
    omitted: usize,
}

fn fill(budget: &mut Budget, frame: &str, rows: impl Iterator<Item = String>) -> Section {
    let mut s = Section {
        rows: Vec::new(),
        omitted: 0,
    };
    let mut framed = false;
    for row in rows {
        if !framed {
            if !budget.take(frame) {
                s.omitted += 1;
                continue;
            }
            framed = true;
        }
        if budget.take(&row) {
            s.rows.push(row);
        } else {
            s.omitted += 1;
        }
    }
    s
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The last resort for severe findings: one line per rule and severity listing the resources
/// (with a count where a resource has several findings). Returns the block and how many
/// findings did not fit in `room` bytes.
fn grouped_block(frame: &str, severe: &[&&Finding], room: usize) -> (String, usize) {
    use std::collections::BTreeMap;
    let mut groups: BTreeMap<(std::cmp::Reverse<Severity>, &str), BTreeMap<&str, usize>> =
        BTreeMap::new();
    for f in severe {
        *groups
            .entry((std::cmp::Reverse(f.severity), f.rule.as_str()))
            .or_default()
            .entry(f.resource.as_str())
            .or_default() += 1;
    }
    let mut out = format!(
        "{frame}Too many to list one per row: each line names a rule and the resources it \
         flags. The JSON and SARIF output have every finding.\n\n"
    );
    let mut cut = 0usize;
    for ((sev, rule), resources) in groups {
        let name = crate::rules::lookup(rule).map_or("", |r| r.meta.name);
        let total: usize = resources.values().sum();
        let mut line = format!(
            "- {} **{} {}** ({total}): ",
            severity_label(sev.0),
            text(rule),
            text(name)
        );
        let mut first = true;
        for (res, n) in resources {
            let mut item = String::new();
            if !first {
                item.push_str(", ");
            }
            item.push_str(&code(res));
            if n > 1 {
                let _ = write!(item, " ×{n}");
            }
            if out.len() + line.len() + item.len() + 2 > room {
                cut += n;
                continue;
            }
            first = false;
            line.push_str(&item);
        }
        line.push('\n');
        if out.len() + line.len() <= room {
            out.push_str(&line);
        }
    }
    out.push('\n');
    (out, cut)
}

/// A collapsible block of the findings of one severity below high: open when short and
/// medium, in `<details>` otherwise.
fn finding_block(
    active: &[&Finding],
    sev: Severity,
    budget: &mut Budget,
    omitted: &mut Vec<String>,
) -> String {
    let rows: Vec<String> = active
        .iter()
        .filter(|f| f.severity == sev)
        .map(|f| full_row(f))
        .collect();
    if rows.is_empty() {
        return String::new();
    }
    let n = rows.len();
    let title = format!("{} findings ({n})", sev.as_str());
    let title = title[..1].to_ascii_uppercase() + &title[1..];
    let (open_s, close_s) = if sev == Severity::Medium && n <= COLLAPSE_ROWS {
        (format!("### {title}\n\n{FULL_HEAD}"), "\n".to_owned())
    } else {
        (
            format!("<details><summary>{title}</summary>\n\n{FULL_HEAD}"),
            "\n</details>\n\n".to_owned(),
        )
    };
    let section = fill(budget, &format!("{open_s}{close_s}"), rows.into_iter());
    if section.omitted > 0 {
        omitted.push(plural(
            section.omitted,
            &format!("{} finding", sev.as_str()),
            &format!("{} findings", sev.as_str()),
        ));
    }
    if section.rows.is_empty() {
        return String::new();
    }
    format!("{open_s}{}{close_s}", section.rows.concat())
}

/// The comment, at most `limit` bytes (and so characters).
#[must_use]
pub fn render_string(report: &Report, limit: usize) -> String {
    render_string_with(report, limit, None)
}

/// [`render_string`] with a Mermaid picture of the domains, placed after the domain tables
/// when it fits the budget left (it never pushes out findings or tables).
#[must_use]
pub fn render_string_with(report: &Report, limit: usize, picture: Option<&str>) -> String {
    let active: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_none())
        .collect();
    let suppressed: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| f.suppressed.is_some())
        .collect();
    let by_sev = |s: Severity| active.iter().filter(|f| f.severity == s).count();
    let readers: BTreeSet<&str> = report
        .domains
        .iter()
        .flat_map(|d| &d.access)
        .filter(|e| e.read != Capability::No)
        .map(|e| e.principal.as_str())
        .collect();

    let mut head = String::from("## keyreach\n\n");
    let _ = write!(
        head,
        "**{} · {} · findings: {} critical, {} high, {} medium, {} low, {} info**",
        plural(report.domains.len(), "domain", "domains"),
        plural(readers.len(), "reader", "readers"),
        by_sev(Severity::Critical),
        by_sev(Severity::High),
        by_sev(Severity::Medium),
        by_sev(Severity::Low),
        by_sev(Severity::Info),
    );
    if !suppressed.is_empty() {
        let _ = write!(head, " ({} suppressed)", suppressed.len());
    }
    head.push_str("\n\n");

    let mut budget = Budget {
        left: limit.saturating_sub(RESERVE + head.len()),
    };
    let mut omitted: Vec<String> = Vec::new();

    // 1. Findings of severity high and above: full rows, else compact rows, never dropped
    //    unless even compact rows cannot fit.
    let severe: Vec<&&Finding> = active
        .iter()
        .filter(|f| f.severity >= Severity::High)
        .collect();
    let severe_frame = "### Findings: critical and high\n\n";
    let full: String = severe.iter().map(|f| full_row(f)).collect();
    let full_block = format!("{severe_frame}{FULL_HEAD}{full}\n");
    let compact: String = severe.iter().map(|f| compact_row(f)).collect();
    let compact_block = format!(
        "{severe_frame}Messages and locations of every finding are in the JSON and SARIF \
         output; here they are left out to fit.\n\n{COMPACT_HEAD}{compact}\n"
    );
    let severe_block = if severe.is_empty() {
        String::new()
    } else if budget.take(&full_block) {
        full_block
    } else if budget.take(&compact_block) {
        compact_block
    } else {
        let (block, cut) = grouped_block(severe_frame, &severe, budget.left);
        budget.left = budget.left.saturating_sub(block.len());
        if cut > 0 {
            omitted.push(format!(
                "{} (too many to list even by resource)",
                plural(cut, "critical or high finding", "critical or high findings")
            ));
        }
        block
    };

    // 2. Medium findings.
    let medium = finding_block(&active, Severity::Medium, &mut budget, &mut omitted);

    // 3. Domain tables.
    let mut domains = String::new();
    let mut dropped_domains = 0usize;
    if !report.domains.is_empty() {
        let intro = "### Domains\n\n✅ yes · ❔ conditional (allowed only when a condition the input does not decide holds) · empty: no\n\n";
        if budget.take(intro) {
            domains.push_str(intro);
            for d in &report.domains {
                let t = domain_table(d);
                if budget.take(&t) {
                    domains.push_str(&t);
                } else {
                    dropped_domains += 1;
                }
            }
        } else {
            dropped_domains = report.domains.len();
        }
    }

    // Stores outside any domain: one row per key marker, with the store count and who can use
    // that key.
    let mut outside = String::new();
    if !report.unpartitioned.is_empty() {
        let mut by_key: std::collections::BTreeMap<&str, Vec<&str>> =
            std::collections::BTreeMap::new();
        let mut users: std::collections::BTreeMap<&str, String> = std::collections::BTreeMap::new();
        for u in &report.unpartitioned {
            by_key
                .entry(u.key.as_str())
                .or_default()
                .push(u.id.as_str());
            users.entry(u.key.as_str()).or_insert_with(|| {
                u.access
                    .iter()
                    .map(|a| code(&a.principal))
                    .collect::<Vec<_>>()
                    .join(", ")
            });
        }
        let mut t = format!(
            "### Stores outside any domain ({})

No customer managed key and no domain tag.

| key | stores | usable by |
|---|---|---|
",
            report.unpartitioned.len()
        );
        for (key, ids) in &by_key {
            let shown: Vec<String> = ids.iter().take(5).map(|i| code(i)).collect();
            let more = if ids.len() > 5 {
                format!(" (+{} more)", ids.len() - 5)
            } else {
                String::new()
            };
            let _ = writeln!(
                t,
                "| {} | {}{more} | {} |",
                code(key),
                shown.join(", "),
                users.get(key).map_or("", String::as_str)
            );
        }
        t.push('\n');
        if budget.take(&t) {
            outside = t;
        } else {
            omitted.push("the stores outside any domain".to_owned());
        }
    }

    // 4. Low and info findings, then suppressed findings.
    if dropped_domains > 0 {
        omitted.push(plural(dropped_domains, "domain table", "domain tables"));
    }
    let low = finding_block(&active, Severity::Low, &mut budget, &mut omitted);
    let info = finding_block(&active, Severity::Info, &mut budget, &mut omitted);
    // 5. The picture, when asked for and it fits.
    let mut pic = String::new();
    if let Some(p) = picture {
        let block = format!(
            "<details><summary>Picture of the domains</summary>\n\n```mermaid\n{p}```\n\n</details>\n\n"
        );
        if budget.take(&block) {
            pic = block;
        } else {
            omitted.push("the picture of the domains".to_owned());
        }
    }
    let mut supp = String::new();
    if !suppressed.is_empty() {
        let rows: Vec<String> = suppressed.iter().map(|f| suppressed_row(f)).collect();
        let title = format!("Suppressed findings ({})", rows.len());
        let open_s = format!("<details><summary>{title}</summary>\n\n{SUPPRESSED_HEAD}");
        let close_s = "\n</details>\n\n";
        let section = fill(&mut budget, &format!("{open_s}{close_s}"), rows.into_iter());
        if section.omitted > 0 {
            omitted.push(plural(
                section.omitted,
                "suppressed finding",
                "suppressed findings",
            ));
        }
        if !section.rows.is_empty() {
            supp = format!("{open_s}{}{close_s}", section.rows.concat());
        }
    }

    let mut s = head;
    if !omitted.is_empty() {
        let _ = write!(
            s,
            "> [!NOTE]\n> To stay under GitHub's 65,536-character comment limit, \
             this comment leaves out: {}. Run keyreach with `--format json` or `--format sarif` \
             for the full report.\n\n",
            omitted.join(", ")
        );
    }
    if active.is_empty() {
        s.push_str("No findings.\n\n");
    }
    s.push_str(&severe_block);
    s.push_str(&medium);
    s.push_str(&low);
    s.push_str(&info);
    s.push_str(&domains);
    s.push_str(&outside);
    s.push_str(&pic);
    s.push_str(&supp);
    // The note and closing fit in RESERVE by construction; guard the limit regardless.
    if s.len() > limit {
        let mut cut = limit.saturating_sub(64);
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("\n\n(truncated to GitHub's comment limit)\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_cells_intact() {
        assert_eq!(text("a|b\nc"), "a\\|b<br>c");
        assert_eq!(text("<details>*x*"), "\\<details\\>\\*x\\*");
        assert_eq!(code("aws_kms_key.k[\"a|b\"]"), "`aws_kms_key.k[\"a\\|b\"]`");
        assert_eq!(code("a\nb"), "`a b`");
        assert_eq!(code("a`b"), "a\\`b");
        assert_eq!(message("`a|b` can *read*"), "`a\\|b` can \\*read\\*");
        assert_eq!(message("odd ` tick"), "odd \\` tick");
    }
}
