//! Walks the module tree (expanding `count`/`for_each` on resources and module calls), maps
//! every resource instance to the model and collects inline suppressions.
//!
//! `# keyreach:ignore <CODE> <reason> [until=YYYY-MM-DD]` comments directly above a `resource`
//! or `data` block apply to every instance of that block (one suppression per instance id, so
//! they match the ids findings use).

use super::eval::{Evaluator, InstKey};
use super::loader::{Mode, MAX_MODULE_DEPTH};
use super::mapping::{self, MapCtx};
use super::value::Pos;
use crate::model::{InlineSuppression, Location, Resource, Val};

/// Most resource instances built for one input.
const MAX_RESOURCES: usize = 500_000;

/// What the walk produced.
#[derive(Default)]
pub(crate) struct Built {
    pub resources: Vec<Resource>,
    pub suppressions: Vec<InlineSuppression>,
    pub notes: Vec<(Location, String)>,
}

/// Builds every resource instance of the root module and its descendants.
pub(crate) fn build(ev: &mut Evaluator) -> Built {
    let mut out = Built::default();
    walk(ev, 0, &mut out);
    out
}

fn walk(ev: &mut Evaluator, inst: usize, out: &mut Built) {
    let Some(def) = ev.def_of(inst) else {
        return;
    };
    if ev.insts.get(inst).map_or(0, |i| i.depth) > MAX_MODULE_DEPTH {
        return;
    }
    for (ri, r) in def.resources.iter().enumerate() {
        let exp = ev.expansion(inst, ri);
        for (key, _) in Evaluator::instance_keys(&exp) {
            if out.resources.len() >= MAX_RESOURCES {
                out.notes.push((
                    ev.files.location(r.pos),
                    format!(
                        "more than {MAX_RESOURCES} resource instances; the rest are not analysed"
                    ),
                ));
                return;
            }
            build_instance(ev, inst, ri, &key, out);
        }
    }
    for ci in 0..def.calls.len() {
        let exp = ev.module_expansion(inst, ci);
        for (key, _) in Evaluator::instance_keys(&exp) {
            let child = ev.child_inst(inst, ci, &key);
            walk(ev, child, out);
        }
    }
}

fn build_instance(ev: &mut Evaluator, inst: usize, ri: usize, key: &InstKey, out: &mut Built) {
    let Some(def) = ev.def_of(inst) else {
        return;
    };
    let Some(r) = def.resources.get(ri) else {
        return;
    };
    let obj = ev.instance_object(inst, ri, key);
    let addr = ev.address(inst, r, key);
    let location = ev.files.location(r.pos);
    let data = r.mode == Mode::Data;
    let mapped = mapping::map_resource(
        data,
        &r.type_name,
        &obj,
        &MapCtx {
            files: &ev.files,
            location: &location,
            address: &addr,
        },
    );
    for n in mapped.notes {
        out.notes.push((location.clone(), format!("{addr}: {n}")));
    }
    let mut res = Resource::new(addr.clone(), r.type_name.clone(), location, mapped.kind);
    res.tags = if data {
        Val::Known(std::collections::BTreeMap::new())
    } else {
        mapping::tags_of(obj.get("tags_all"))
    };
    out.resources.push(res);
    for (text, pos) in &r.comments {
        match parse_suppression(text) {
            Ok(Some((rule, reason, expires))) => out.suppressions.push(InlineSuppression {
                resource: addr.clone(),
                rule,
                reason,
                expires,
                location: ev.files.location(*pos),
            }),
            Ok(None) => {}
            Err(m) => push_note(ev, out, *pos, m),
        }
    }
}

fn push_note(ev: &Evaluator, out: &mut Built, pos: Pos, msg: String) {
    out.notes.push((ev.files.location(pos), msg));
}

/// Parses `keyreach:ignore <CODE> <reason> [until=|expires=YYYY-MM-DD]`. `Ok(None)` for other
/// text; `Err` for a malformed directive.
pub(crate) fn parse_suppression(
    text: &str,
) -> Result<Option<(String, String, Option<String>)>, String> {
    let Some(rest) = text.strip_prefix("keyreach:") else {
        return Ok(None);
    };
    let Some(rest) = rest.strip_prefix("ignore") else {
        return Err(format!(
            "unknown keyreach directive `keyreach:{}`; expected `keyreach:ignore <CODE> <reason>`",
            rest.split_whitespace().next().unwrap_or_default()
        ));
    };
    let mut words = rest.split_whitespace();
    let Some(rule) = words.next() else {
        return Err("`keyreach:ignore` needs a rule code and a reason".into());
    };
    let mut expires = None;
    let mut reason = Vec::new();
    for w in words {
        if let Some(d) = w
            .strip_prefix("until=")
            .or_else(|| w.strip_prefix("expires="))
        {
            if !is_date(d) {
                return Err(format!(
                    "`keyreach:ignore {rule}`: expiry `{d}` is not a date YYYY-MM-DD"
                ));
            }
            expires = Some(d.to_owned());
        } else {
            reason.push(w);
        }
    }
    if reason.is_empty() {
        return Err(format!("`keyreach:ignore {rule}` needs a reason"));
    }
    Ok(Some((rule.to_owned(), reason.join(" "), expires)))
}

fn is_date(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suppression_comments() {
        assert_eq!(
            parse_suppression(
                "keyreach:ignore KR001 shared key for legacy readers until=2026-01-31"
            ),
            Ok(Some((
                "KR001".into(),
                "shared key for legacy readers".into(),
                Some("2026-01-31".into())
            )))
        );
        assert_eq!(
            parse_suppression("keyreach:ignore KR002 accepted expires=2025-12-01")
                .map(|s| s.and_then(|x| x.2)),
            Ok(Some("2025-12-01".into()))
        );
        assert!(parse_suppression("keyreach:ignore KR001").is_err());
        assert!(parse_suppression("keyreach:ignore KR001 r until=soon").is_err());
        assert!(parse_suppression("keyreach:allow x").is_err());
        assert_eq!(parse_suppression("nothing"), Ok(None));
    }
}
