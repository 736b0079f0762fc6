//! Notes a user can act on: one per cause, naming what would decide it.
//!
//! Parsers write one note per occurrence (per `count` or `for_each` instance). [`group`] folds
//! notes of one file whose messages differ only in instance keys (`[0]`, `["a"]`) into one note
//! that says how many instances share the cause. [`managed_policy_notes`] adds one note per AWS managed policy ARN that is not in the
//! catalog, naming the resources that attach it.

use crate::analysis::eval::{aws_managed_policy, catalog_source, is_aws_managed_policy_arn};
use crate::model::{Estate, Kind, Location, Note, VStr, Val};
use std::collections::BTreeMap;

/// `aws_x.y[0]` and `aws_x.y["a"]` become `aws_x.y[…]`.
fn strip_instances(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '[' {
            if let Some(close) = s[i..].find(']') {
                let inner = &s[i + 1..i + close];
                let is_index = !inner.is_empty()
                    && (inner.chars().all(|ch| ch.is_ascii_digit())
                        || (inner.starts_with('"') && inner.ends_with('"') && inner.len() >= 2));
                if is_index {
                    out.push_str("[…]");
                    while chars.peek().is_some_and(|(j, _)| *j <= i + close) {
                        chars.next();
                    }
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

/// Folds notes of one file that share a cause (see the module docs); order is kept (by the
/// first note of each group), so output stays deterministic.
#[must_use]
pub fn group(notes: &[Note]) -> Vec<Note> {
    let mut order: Vec<(String, String)> = Vec::new();
    let mut groups: BTreeMap<(String, String), Vec<&Note>> = BTreeMap::new();
    for n in notes {
        let k = (n.location.file.clone(), strip_instances(&n.message));
        let g = groups.entry(k.clone()).or_default();
        if g.is_empty() {
            order.push(k);
        }
        if !g.iter().any(|m| m.message == n.message) {
            g.push(n);
        }
    }
    let mut out = Vec::with_capacity(order.len());
    for k in order {
        let Some(g) = groups.remove(&k) else {
            continue;
        };
        let Some(first) = g.first() else {
            continue;
        };
        out.push(if g.len() == 1 {
            (*first).clone()
        } else {
            Note {
                location: first.location.clone(),
                message: format!("{} ({} instances)", first.message, g.len()),
            }
        });
    }
    out
}

fn known_arns<'a>(v: &'a Val<Vec<VStr>>, out: &mut Vec<&'a str>) {
    if let Val::Known(list) = v {
        out.extend(list.iter().filter_map(Val::known).map(String::as_str));
    }
}

/// One note per AWS managed policy ARN that the catalog does not hold: access through the
/// principals attaching it stays `conditional`.
#[must_use]
pub fn managed_policy_notes(estate: &Estate) -> Vec<Note> {
    let mut by_arn: BTreeMap<&str, Vec<(&str, &Location)>> = BTreeMap::new();
    for r in &estate.resources {
        let mut arns: Vec<&str> = Vec::new();
        match &r.kind {
            Kind::Role(x) => {
                known_arns(&x.managed_policy_arns, &mut arns);
                arns.extend(
                    x.permissions_boundary
                        .as_ref()
                        .and_then(Val::known)
                        .map(String::as_str),
                );
            }
            Kind::User(x) => {
                known_arns(&x.managed_policy_arns, &mut arns);
                arns.extend(
                    x.permissions_boundary
                        .as_ref()
                        .and_then(Val::known)
                        .map(String::as_str),
                );
            }
            Kind::Group(x) => known_arns(&x.managed_policy_arns, &mut arns),
            Kind::PolicyAttachment(a) => arns.extend(a.policy_arn.known().map(String::as_str)),
            _ => continue,
        }
        for arn in arns {
            if is_aws_managed_policy_arn(arn) && aws_managed_policy(arn).is_none() {
                by_arn.entry(arn).or_default().push((&r.id, &r.location));
            }
        }
    }
    by_arn
        .into_iter()
        .filter_map(|(arn, users)| {
            let (_, location) = users.first()?;
            let ids: Vec<String> = users.iter().map(|(id, _)| format!("`{id}`")).collect();
            Some(Note {
                location: (*location).clone(),
                message: format!(
                    "AWS managed policy `{arn}` is not in keyreach's catalog ({}); access \
                     through {} stays conditional until its document is known (check the ARN, \
                     or attach a customer managed policy with the same statements)",
                    catalog_source(),
                    ids.join(", ")
                ),
            })
        })
        .collect()
}

/// Without `--account-id`, when the inputs name real accounts, whether the deploying account
/// is one of them decides access: one note naming the flag and those accounts.
#[must_use]
pub fn deploying_account_note(
    estate: &Estate,
    universe: &super::principals::Universe<'_>,
) -> Option<Note> {
    if estate.context.account_id.is_some() {
        return None;
    }
    let accounts: std::collections::BTreeSet<&str> = universe
        .principals
        .iter()
        .filter_map(|p| p.account.as_deref())
        .filter(|a| super::link::is_account_id(a))
        .collect();
    if accounts.is_empty() {
        return None;
    }
    let location = estate
        .resources
        .iter()
        .find(|r| matches!(r.kind, Kind::Key(_)))
        .or_else(|| estate.resources.first())
        .map(|r| r.location.clone())?;
    let shown: Vec<&str> = accounts.iter().take(5).copied().collect();
    let more = accounts.len().saturating_sub(shown.len());
    Some(Note {
        location,
        message: format!(
            "the deploying account is not known (pass --account-id): access that depends on \
             whether it is {}{} is conditional",
            shown.join(", "),
            if more > 0 {
                format!(" (+{more} more)")
            } else {
                String::new()
            }
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(file: &str, line: u32, m: &str) -> Note {
        Note {
            location: Location {
                file: file.into(),
                line: Some(line),
                column: None,
                pointer: None,
            },
            message: m.into(),
        }
    }

    #[test]
    fn one_note_per_cause() {
        let notes = vec![
            note("a.tf", 3, "aws_sqs_queue.q[0]: cannot evaluate `x`"),
            note("a.tf", 3, "aws_sqs_queue.q[1]: cannot evaluate `x`"),
            note("a.tf", 3, "aws_sqs_queue.q[\"b\"]: cannot evaluate `x`"),
            note("t.yaml", 6, "parameter `Zone` has no default"),
            note("t.yaml", 8, "parameter `Site` has no default"),
            note("t.yaml", 9, "something else"),
            note("u.yaml", 6, "parameter `Zone` has no default"),
        ];
        let g = group(&notes);
        let msgs: Vec<&str> = g.iter().map(|n| n.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "aws_sqs_queue.q[0]: cannot evaluate `x` (3 instances)",
                "parameter `Zone` has no default",
                "parameter `Site` has no default",
                "something else",
                "parameter `Zone` has no default",
            ]
        );
        assert_eq!(group(&g), g, "grouping is idempotent");
    }
}
