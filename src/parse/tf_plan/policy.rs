//! Policies in a plan: JSON strings on resources, and `data.aws_iam_policy_document` rebuilt
//! from its arguments when its `json` is unknown until apply.
//!
//! A deferred policy document (read during apply because an argument is unknown) is rebuilt
//! the way the provider renders it: `source_policy_documents` first, then the `statement`
//! blocks (a statement with the `sid` of a source statement replaces it), then
//! `override_policy_documents` (same rule); principal type `*` renders `"Principal": "*"`;
//! condition blocks with the same test and variable merge their values. Values unknown until
//! apply stay references (`Val::Ref`), so a principal that is a role created in the same plan
//! keeps pointing at that role. When the statement list itself is unknown the rebuilt document
//! is marked `incomplete`: `dynamic` blocks are not in the plan's configuration.
//!
//! Resources whose policy is unknown and references a policy document of the plan get that
//! document substituted (see [`substitute`]); other unknown policies stay `Val::Ref` for the
//! linker.

use super::attrs::{AttrResult, Attrs, Scope};
use crate::model::policy::{
    Condition, Effect, PolicyDocument, PrincipalType, Principals, Statement,
};
use crate::model::{Location, Reference, VStr, Val};
use crate::parse::policy_json::{parse_policy_str, principal_type};
use std::collections::HashMap;

/// A policy attribute holding a JSON string (`policy`, `assume_role_policy`, `content`).
pub(crate) fn policy_attr(a: &Attrs, name: &str) -> AttrResult<Option<Val<PolicyDocument>>> {
    match a.string(name)? {
        None => Ok(None),
        Some(Val::Known(text)) => Ok(parse_text(&text, &a.ptr_of(name), a.scope)?.map(Val::Known)),
        Some(Val::Unknown) => Ok(Some(Val::Unknown)),
        Some(Val::Ref(r)) => Ok(Some(Val::Ref(r))),
        Some(Val::Partial(p)) => Ok(Some(Val::Ref(p.references()))),
    }
}

/// Parses a policy JSON string found at `ptr`; `None` for an empty string.
pub(crate) fn parse_text(
    text: &str,
    ptr: &str,
    scope: Scope,
) -> AttrResult<Option<PolicyDocument>> {
    let at = Location {
        file: scope.display.to_owned(),
        line: None,
        column: None,
        pointer: Some(ptr.to_owned()),
    };
    parse_policy_str(text, Some(&at)).map_err(|e| {
        let inner = if e.pointer.is_empty() {
            String::new()
        } else {
            format!(" (at {} inside the policy)", e.pointer)
        };
        scope.error(
            ptr,
            format!("invalid policy document{inner}: {}", e.message),
        )
    })
}

/// A document given to `source_policy_documents` / `override_policy_documents`.
#[derive(Debug, Clone)]
pub(crate) enum DocPart {
    /// Known JSON.
    Known(PolicyDocument),
    /// Unknown until apply; the references of its expression.
    Pending(Vec<Reference>),
}

/// A policy document data source rebuilt from its arguments, before its source and override
/// documents are merged.
#[derive(Debug, Clone)]
pub(crate) struct DocBuild {
    version: Option<String>,
    id: Option<String>,
    own: Vec<Statement>,
    sources: Vec<DocPart>,
    overrides: Vec<DocPart>,
    incomplete: bool,
}

impl DocBuild {
    /// True when merging needs other documents of the plan.
    pub(crate) fn has_pending(&self) -> bool {
        self.sources
            .iter()
            .chain(&self.overrides)
            .any(|p| matches!(p, DocPart::Pending(_)))
    }

    /// Merges the parts into the rendered document. `lookup` gives the rebuilt document of
    /// another data source of the plan, by address.
    pub(crate) fn finish(&self, lookup: &dyn Fn(&str) -> Option<PolicyDocument>) -> PolicyDocument {
        let mut doc = PolicyDocument {
            version: self.version.clone(),
            id: self.id.clone(),
            statements: Vec::new(),
            incomplete: self.incomplete,
        };
        for part in resolve_parts(&self.sources, lookup, &mut doc.incomplete) {
            doc.statements.extend(part.statements);
        }
        for s in &self.own {
            merge_statement(&mut doc.statements, s.clone());
        }
        for part in resolve_parts(&self.overrides, lookup, &mut doc.incomplete) {
            for s in part.statements {
                merge_statement(&mut doc.statements, s);
            }
        }
        for (i, s) in doc.statements.iter_mut().enumerate() {
            s.index = i;
        }
        doc
    }
}

fn resolve_parts(
    parts: &[DocPart],
    lookup: &dyn Fn(&str) -> Option<PolicyDocument>,
    incomplete: &mut bool,
) -> Vec<PolicyDocument> {
    let mut out = Vec::new();
    let mut pending_refs: Vec<&Reference> = Vec::new();
    let mut pending = 0usize;
    for p in parts {
        match p {
            DocPart::Known(d) => {
                *incomplete |= d.incomplete;
                out.push(d.clone());
            }
            DocPart::Pending(refs) => {
                pending += 1;
                if refs.is_empty() {
                    *incomplete = true;
                }
                for r in refs {
                    if !pending_refs.iter().any(|x| x.target == r.target) {
                        pending_refs.push(r);
                    }
                }
            }
        }
    }
    // Every unknown element of a list carries the references of the whole list expression,
    // so the referenced documents are merged once each, in reference order.
    if pending > 0 && pending_refs.len() != pending {
        *incomplete = true;
    }
    for r in pending_refs {
        match lookup(&r.target) {
            Some(d) => {
                *incomplete |= d.incomplete;
                out.push(d);
            }
            None => *incomplete = true,
        }
    }
    out
}

fn merge_statement(statements: &mut Vec<Statement>, s: Statement) {
    if let Some(sid) = s.sid.as_deref().filter(|x| !x.is_empty()) {
        if let Some(existing) = statements
            .iter_mut()
            .find(|e| e.sid.as_deref() == Some(sid))
        {
            *existing = s;
            return;
        }
    }
    statements.push(s);
}

/// Reads a `data.aws_iam_policy_document`: its `json` when known, else the rebuild.
pub(crate) fn policy_document(a: &Attrs) -> AttrResult<Result<PolicyDocument, DocBuild>> {
    if let Some(Val::Known(text)) = a.string("json")? {
        if let Some(doc) = parse_text(&text, &a.ptr_of("json"), a.scope)? {
            return Ok(Ok(doc));
        }
    }
    let mut build = DocBuild {
        version: Some(
            a.known_string("version")?
                .unwrap_or_else(|| "2012-10-17".to_owned()),
        ),
        id: a.known_string("policy_id")?,
        own: Vec::new(),
        sources: Vec::new(),
        overrides: Vec::new(),
        incomplete: false,
    };
    let statements = a.blocks("statement")?;
    if statements.unknown && !statements.not_configured {
        build.incomplete = true;
    }
    for (i, b) in statements.items.iter().enumerate() {
        let s = statement(b, i, &mut build.incomplete)?;
        build.own.push(s);
    }
    for (name, legacy, into_sources) in [
        ("source_policy_documents", "source_json", true),
        ("override_policy_documents", "override_json", false),
    ] {
        let mut parts = Vec::new();
        for attr in [legacy, name] {
            match a.strings(attr)? {
                None => {}
                Some(Val::Known(items)) => {
                    for (i, item) in items.into_iter().enumerate() {
                        let ptr = if attr == legacy {
                            a.ptr_of(attr)
                        } else {
                            format!("{}/{i}", a.ptr_of(attr))
                        };
                        parts.push(doc_part(item, &ptr, a.scope)?);
                    }
                }
                Some(Val::Unknown) => parts.push(DocPart::Pending(Vec::new())),
                Some(Val::Ref(r)) => parts.push(DocPart::Pending(r)),
                Some(Val::Partial(p)) => parts.push(DocPart::Pending(p.references())),
            }
        }
        if into_sources {
            build.sources = parts;
        } else {
            build.overrides = parts;
        }
    }
    Ok(Err(build))
}

fn doc_part(v: VStr, ptr: &str, scope: Scope) -> AttrResult<DocPart> {
    Ok(match v {
        Val::Known(text) => match parse_text(&text, ptr, scope)? {
            Some(d) => DocPart::Known(d),
            None => DocPart::Known(PolicyDocument::default()),
        },
        Val::Unknown => DocPart::Pending(Vec::new()),
        Val::Ref(r) => DocPart::Pending(r),
        Val::Partial(p) => DocPart::Pending(p.references()),
    })
}

fn statement(b: &Attrs, index: usize, incomplete: &mut bool) -> AttrResult<Statement> {
    let effect = match b.string("effect")? {
        None => Effect::Allow,
        Some(Val::Known(e)) if e == "Allow" => Effect::Allow,
        Some(Val::Known(e)) if e == "Deny" => Effect::Deny,
        Some(Val::Known(e)) => {
            return Err(b.scope.error(
                &b.ptr_of("effect"),
                format!("effect must be \"Allow\" or \"Deny\", found {e:?}"),
            ))
        }
        Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => {
            // Unknown effect: read as Allow so no reader is missed, and say the document
            // is not fully known.
            *incomplete = true;
            Effect::Allow
        }
    };
    let list = |name: &str| -> AttrResult<Option<Vec<VStr>>> {
        Ok(match b.strings(name)? {
            None => None,
            Some(Val::Known(v)) if v.is_empty() => None,
            Some(Val::Known(v)) => Some(v),
            Some(Val::Unknown) => Some(vec![Val::Unknown]),
            Some(Val::Ref(r)) => Some(vec![Val::Ref(r)]),
            Some(Val::Partial(p)) => Some(vec![Val::Partial(p)]),
        })
    };
    Ok(Statement {
        sid: b.known_string("sid")?,
        effect,
        principal: principals(b, "principals")?,
        not_principal: principals(b, "not_principals")?,
        action: list("actions")?,
        not_action: list("not_actions")?,
        resource: list("resources")?,
        not_resource: list("not_resources")?,
        conditions: conditions(b)?,
        index,
        location: Some(Location {
            file: b.scope.display.to_owned(),
            line: None,
            column: None,
            pointer: Some(b.ptr.clone()),
        }),
    })
}

fn principals(b: &Attrs, name: &str) -> AttrResult<Option<Principals>> {
    let blocks = b.blocks(name)?;
    let mut out: Vec<(PrincipalType, VStr)> = Vec::new();
    let mut any = false;
    for p in &blocks.items {
        let ids = p.string_items("identifiers")?;
        match p.string("type")? {
            Some(Val::Known(t)) if t == "*" => any = true,
            Some(Val::Known(t)) => {
                let t = principal_type(&t);
                out.extend(ids.into_iter().map(|id| (t.clone(), id)));
            }
            None | Some(Val::Unknown | Val::Ref(_) | Val::Partial(_)) => {
                let t = PrincipalType::Other("(unknown until apply)".to_owned());
                out.extend(ids.into_iter().map(|id| (t.clone(), id)));
            }
        }
    }
    if blocks.unknown && blocks.items.is_empty() && !blocks.not_configured {
        out.push((PrincipalType::Aws, Val::Unknown));
    }
    Ok(if any {
        Some(Principals::Any)
    } else if out.is_empty() {
        None
    } else {
        Some(Principals::Map(out))
    })
}

fn conditions(b: &Attrs) -> AttrResult<Vec<Condition>> {
    let mut out: Vec<Condition> = Vec::new();
    let unknown = |v: Option<VStr>| match v {
        Some(Val::Known(s)) => s,
        _ => "(unknown until apply)".to_owned(),
    };
    for c in b.blocks("condition")?.items {
        let test = unknown(c.string("test")?);
        let variable = unknown(c.string("variable")?);
        let values = c.string_items("values")?;
        match out
            .iter_mut()
            .find(|x| x.operator == test && x.key == variable)
        {
            Some(existing) => existing.values.extend(values),
            None => out.push(Condition::new(&test, &variable, values)),
        }
    }
    Ok(out)
}

/// Finishes every rebuilt document, following references between them (in dependency order;
/// a cycle or a chain longer than the number of documents leaves the rest incomplete).
pub(crate) fn finish_all(builds: HashMap<String, DocBuild>) -> HashMap<String, PolicyDocument> {
    let mut done: HashMap<String, PolicyDocument> = HashMap::new();
    let mut waiting: Vec<(String, DocBuild)> = Vec::new();
    for (addr, b) in builds {
        if b.has_pending() {
            waiting.push((addr, b));
        } else {
            let d = b.finish(&|_| None);
            done.insert(addr, d);
        }
    }
    waiting.sort_by(|a, b| a.0.cmp(&b.0));
    let names: std::collections::HashSet<String> = waiting.iter().map(|(a, _)| a.clone()).collect();
    let mut rounds = waiting.len();
    while !waiting.is_empty() && rounds > 0 {
        rounds -= 1;
        let mut next = Vec::new();
        for (addr, b) in waiting {
            let blocked = b.sources.iter().chain(&b.overrides).any(|p| match p {
                DocPart::Pending(refs) => refs
                    .iter()
                    .any(|r| names.contains(&r.target) && !done.contains_key(&r.target)),
                DocPart::Known(_) => false,
            });
            if blocked {
                next.push((addr, b));
            } else {
                let d = b.finish(&|t| done.get(t).cloned());
                done.insert(addr, d);
            }
        }
        waiting = next;
    }
    for (addr, b) in waiting {
        let mut d = b.finish(&|t| done.get(t).cloned());
        d.incomplete = true;
        done.insert(addr, d);
    }
    done
}

/// Replaces an unknown policy that references exactly one policy document of the plan
/// (`policy = data.aws_iam_policy_document.x.json`, possibly through module variables and
/// outputs) by that document. Several candidates, or other references, keep the `Val::Ref`.
pub(crate) fn substitute(policy: &mut Val<PolicyDocument>, docs: &HashMap<String, PolicyDocument>) {
    let Val::Ref(refs) = policy else {
        return;
    };
    let Some(first) = refs.first() else {
        return;
    };
    let single = refs
        .iter()
        .all(|r| r.target == first.target && matches!(r.attribute.as_deref(), None | Some("json")));
    if !single {
        return;
    }
    if let Some(doc) = docs.get(&first.target) {
        *policy = Val::Known(doc.clone());
    }
}
