//! The request context: what the input decides about each condition key.
//!
//! Principal keys come from the principal (ARN, account, organization, tags, kind), resource
//! keys from the key (tags, spec, usage, origin, multi-Region, aliases) or role (tags), and
//! `kms:ViaService` / `aws:ViaAWSService` / `kms:GrantIsForAWSResource` from the access path.
//! Everything else is unknown. Policy variables are substituted from the same context.

use super::super::actions::strip_kms_prefix;
use super::super::matching::{Req, Target};
use super::super::wildcard::Pattern;
use crate::analysis::result::PrincipalKind;
use std::collections::BTreeMap;

/// A value of the request context.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Item<'s> {
    /// Known text.
    Str(&'s str),
    /// The requesting principal's ARN (`aws:PrincipalArn`), with what is known of it.
    PrincipalArn {
        arn: Option<&'s str>,
        account: Option<&'s str>,
    },
    /// "Any principal of any account" (the `*` entry): matches wildcard patterns only as
    /// undecided and specific values never.
    AnyPrincipal,
}

/// A context key's presence and values.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CtxVal<'s> {
    /// The key is not in the request.
    Absent,
    /// The input does not decide whether the key is present or what it holds.
    Unknown,
    /// One value.
    One(Item<'s>),
    /// A set of values (multi-valued keys).
    Many(&'s [String]),
    /// The caller picks the value (an OIDC token's audience, the role session name): an
    /// Allow condition on it can be met, a Deny condition avoided.
    Chosen,
}

/// A policy pattern after variable substitution.
#[derive(Debug)]
pub(crate) enum Resolved<'v> {
    /// No variables: the text as written.
    Text(Pattern<'v>),
    /// Variables substituted; the mask marks literal bytes.
    Owned(Vec<u8>, Vec<bool>),
    /// A variable names a key absent from the request (no default): the value matches nothing.
    NoMatch,
    /// A variable the input does not decide.
    Undecided,
}

fn ci_prefix<'k>(key: &'k str, prefix: &str) -> Option<&'k str> {
    if key.len() >= prefix.len()
        && key.is_char_boundary(prefix.len())
        && key[..prefix.len()].eq_ignore_ascii_case(prefix)
    {
        Some(&key[prefix.len()..])
    } else {
        None
    }
}

const TRUE: CtxVal<'static> = CtxVal::One(Item::Str("true"));
const FALSE: CtxVal<'static> = CtxVal::One(Item::Str("false"));

fn bool_val(b: bool) -> CtxVal<'static> {
    if b {
        TRUE
    } else {
        FALSE
    }
}

fn tag<'s>(tags: Option<&'s BTreeMap<String, String>>, name: &str) -> CtxVal<'s> {
    let Some(tags) = tags else {
        return CtxVal::Unknown;
    };
    if let Some(v) = tags.get(name) {
        return CtxVal::One(Item::Str(v));
    }
    // Tag keys differing only in case: AWS case rules vary by service; do not decide.
    if tags.keys().any(|k| k.eq_ignore_ascii_case(name)) {
        return CtxVal::Unknown;
    }
    CtxVal::Absent
}

/// `<provider>:aud` claims of web identity tokens.
fn is_audience_claim(key: &str) -> bool {
    let lower_ok = |p: &str| ci_prefix(key, p).is_none();
    key.len() > 4
        && key.is_char_boundary(key.len() - 4)
        && key[key.len() - 4..].eq_ignore_ascii_case(":aud")
        && lower_ok("aws:")
        && lower_ok("kms:")
        && lower_ok("sts:")
}

fn opt<'s>(v: Option<&'s str>) -> CtxVal<'s> {
    v.map_or(CtxVal::Unknown, |s| CtxVal::One(Item::Str(s)))
}

/// Looks a context key up (case-insensitive).
pub(crate) fn lookup<'s>(key: &str, req: &Req<'s>) -> CtxVal<'s> {
    let p = req.principal;
    let kind = p.kind;
    let is = |name: &str| key.eq_ignore_ascii_case(name);
    if is("sts:RoleSessionName") {
        return CtxVal::Chosen;
    }
    if kind == PrincipalKind::Federated && is_audience_claim(key) {
        // The audience names the client the token is issued for; any identity of the
        // provider can obtain a token with it (GitHub lets every workflow ask for
        // `sts.amazonaws.com`), so it does not narrow who assumes the role.
        return CtxVal::Chosen;
    }
    let iam = matches!(
        kind,
        PrincipalKind::Role | PrincipalKind::User | PrincipalKind::Unknown
    );
    if is("aws:PrincipalArn") {
        return match kind {
            PrincipalKind::Role | PrincipalKind::User | PrincipalKind::Unknown => {
                CtxVal::One(Item::PrincipalArn {
                    arn: p.arn,
                    account: p.account,
                })
            }
            PrincipalKind::Account => CtxVal::One(Item::PrincipalArn {
                arn: None,
                account: p.account,
            }),
            PrincipalKind::Public => CtxVal::One(Item::AnyPrincipal),
            PrincipalKind::Service | PrincipalKind::Federated => CtxVal::Unknown,
        };
    }
    if is("aws:PrincipalAccount") || is("kms:CallerAccount") {
        return match kind {
            PrincipalKind::Public => CtxVal::One(Item::AnyPrincipal),
            PrincipalKind::Service | PrincipalKind::Federated => CtxVal::Unknown,
            _ => opt(p.account),
        };
    }
    if is("aws:PrincipalOrgID") {
        return match kind {
            PrincipalKind::Service => CtxVal::Absent,
            PrincipalKind::Public | PrincipalKind::Federated => CtxVal::Unknown,
            _ => opt(p.org_id),
        };
    }
    if is("aws:PrincipalType") {
        return match kind {
            PrincipalKind::Role => CtxVal::One(Item::Str("AssumedRole")),
            PrincipalKind::User => CtxVal::One(Item::Str("User")),
            _ => CtxVal::Unknown,
        };
    }
    if is("aws:PrincipalIsAWSService") {
        return match kind {
            PrincipalKind::Service => TRUE,
            PrincipalKind::Public | PrincipalKind::Unknown => CtxVal::Unknown,
            _ => FALSE,
        };
    }
    if is("aws:PrincipalServiceName") || is("aws:PrincipalServiceNamesList") {
        return match kind {
            PrincipalKind::Service => opt(p.arn),
            PrincipalKind::Public | PrincipalKind::Unknown => CtxVal::Unknown,
            _ => CtxVal::Absent,
        };
    }
    if let Some(name) = ci_prefix(key, "aws:PrincipalTag/") {
        return if iam {
            tag(p.tags, name)
        } else {
            CtxVal::Unknown
        };
    }
    if is("aws:username") {
        return match kind {
            PrincipalKind::User => opt(p.arn.and_then(|a| a.rsplit('/').next())),
            PrincipalKind::Role | PrincipalKind::Service => CtxVal::Absent,
            _ => CtxVal::Unknown,
        };
    }
    if let Some(name) = ci_prefix(key, "aws:ResourceTag/") {
        return match req.target {
            Target::Key(k) => tag(k.tags, name),
            Target::Role(r) => tag(r.tags, name),
        };
    }
    if is("kms:ViaService") {
        return req
            .path
            .via_service
            .map_or(CtxVal::Absent, |s| CtxVal::One(Item::Str(s)));
    }
    if is("aws:ViaAWSService") {
        return bool_val(req.path.via_service.is_some());
    }
    if is("aws:CalledVia") || is("aws:CalledViaFirst") || is("aws:CalledViaLast") {
        return if req.path.via_service.is_some() {
            CtxVal::Unknown
        } else {
            CtxVal::Absent
        };
    }
    if is("kms:GrantIsForAWSResource") {
        let grant_op = strip_kms_prefix(req.action).is_some_and(|n| {
            ["CreateGrant", "ListGrants", "RevokeGrant"]
                .iter()
                .any(|g| g.eq_ignore_ascii_case(n))
        });
        return if grant_op {
            bool_val(req.path.via_service.is_some())
        } else {
            CtxVal::Absent
        };
    }
    if let Target::Key(k) = req.target {
        if is("kms:KeySpec") || is("kms:CustomerMasterKeySpec") {
            return CtxVal::One(Item::Str(k.key_spec));
        }
        if is("kms:KeyUsage") || is("kms:CustomerMasterKeyUsage") {
            return CtxVal::One(Item::Str(k.key_usage));
        }
        if is("kms:KeyOrigin") {
            return CtxVal::One(Item::Str(k.key_origin));
        }
        if is("kms:MultiRegion") {
            return bool_val(k.multi_region);
        }
        if is("kms:MultiRegionKeyType") {
            return if k.multi_region {
                CtxVal::Unknown
            } else {
                CtxVal::Absent
            };
        }
        if is("kms:ResourceAliases") {
            return k.aliases.map_or(CtxVal::Unknown, CtxVal::Many);
        }
        if is("aws:RequestedRegion") {
            return opt(k.region);
        }
    }
    CtxVal::Unknown
}

/// Substitutes policy variables in `s` (when `vars`), yielding a pattern.
pub(crate) fn resolve_pattern<'v>(s: &'v str, req: &Req<'_>, vars: bool) -> Resolved<'v> {
    if !vars || !s.contains("${") {
        return Resolved::Text(Pattern::new(s));
    }
    let mut bytes = Vec::with_capacity(s.len());
    let mut lit = Vec::with_capacity(s.len());
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        bytes.extend_from_slice(&rest.as_bytes()[..start]);
        lit.resize(bytes.len(), false);
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else {
            // Unterminated: literal text.
            bytes.extend_from_slice(&rest.as_bytes()[start..]);
            lit.resize(bytes.len(), false);
            rest = "";
            break;
        };
        let inner = after[..end].trim();
        rest = &after[end + 1..];
        let literal_char = match inner {
            "*" => Some(b'*'),
            "?" => Some(b'?'),
            "$" => Some(b'$'),
            _ => None,
        };
        if let Some(c) = literal_char {
            bytes.push(c);
            lit.push(true);
            continue;
        }
        let (name, default) = match inner.split_once(',') {
            Some((n, d)) => (n.trim(), Some(d.trim().trim_matches('\''))),
            None => (inner, None),
        };
        let value: &str = match lookup(name, req) {
            CtxVal::One(Item::Str(v)) => v,
            CtxVal::One(Item::PrincipalArn { arn: Some(a), .. }) => a,
            CtxVal::Absent => match default {
                Some(d) => d,
                None => return Resolved::NoMatch,
            },
            CtxVal::One(_) | CtxVal::Many(_) | CtxVal::Unknown | CtxVal::Chosen => {
                return Resolved::Undecided
            }
        };
        bytes.extend_from_slice(value.as_bytes());
        lit.resize(bytes.len(), true);
    }
    bytes.extend_from_slice(rest.as_bytes());
    lit.resize(bytes.len(), false);
    Resolved::Owned(bytes, lit)
}
