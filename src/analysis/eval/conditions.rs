//! Condition evaluation with three outcomes (kms-semantics §4).
//!
//! The request context is built from what the input decides: the principal (ARN, account,
//! organization, tags, kind), the key (tags, spec, usage, origin, multi-Region, aliases) or
//! role (tags), and the access path (`kms:ViaService`). Every other key — encryption context,
//! network, MFA, time, session data, OIDC claims — is unknown, so a condition on it is
//! `Undecided`: an Allow under it is `conditional`, a Deny under it removes nothing.
//!
//! Semantics follow [I-COND]: operators and keys of a block AND, values of one key OR, negated
//! operators AND their negations; a missing key makes a condition false, except negated
//! operators and `…IfExists` (true) and `Null`; `ForAnyValue` is false and `ForAllValues` true
//! on an absent or empty set. Key names are case-insensitive; values are compared as the
//! operator says. Policy variables (`${aws:username}`, `${aws:PrincipalTag/team}`, with
//! `'default'`) are substituted from the same context when the document's `Version` is
//! `2012-10-17`; `${*}`, `${?}` and `${$}` are literal characters.

mod values;

use super::matching::{parse_arn, ref_kind, RefKind, Req, Target};
use super::wildcard::{self, Pattern};
use super::Tri;
use crate::analysis::result::PrincipalKind;
use crate::model::{policy::SetQualifier, Condition, VStr, Val};
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

fn opt<'s>(v: Option<&'s str>) -> CtxVal<'s> {
    v.map_or(CtxVal::Unknown, |s| CtxVal::One(Item::Str(s)))
}

/// Looks a context key up (case-insensitive).
pub(crate) fn lookup<'s>(key: &str, req: &Req<'s>) -> CtxVal<'s> {
    let p = req.principal;
    let kind = p.kind;
    let is = |name: &str| key.eq_ignore_ascii_case(name);
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
        let grant_op = super::actions::strip_kms_prefix(req.action).is_some_and(|n| {
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
            CtxVal::One(_) | CtxVal::Many(_) | CtxVal::Unknown => return Resolved::Undecided,
        };
        bytes.extend_from_slice(value.as_bytes());
        lit.resize(bytes.len(), true);
    }
    bytes.extend_from_slice(rest.as_bytes());
    lit.resize(bytes.len(), false);
    Resolved::Owned(bytes, lit)
}

/// Comparison of an ordered operator family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Str { ci: bool, like: bool },
    Arn,
    Num(Cmp),
    Date(Cmp),
    Bool,
    Binary,
    Ip,
    Null,
}

#[derive(Debug, Clone, Copy)]
struct Op {
    family: Family,
    negated: bool,
}

fn parse_op(base: &str) -> Option<Op> {
    const TABLE: &[(&str, Family, bool)] = &[
        (
            "StringEquals",
            Family::Str {
                ci: false,
                like: false,
            },
            false,
        ),
        (
            "StringNotEquals",
            Family::Str {
                ci: false,
                like: false,
            },
            true,
        ),
        (
            "StringEqualsIgnoreCase",
            Family::Str {
                ci: true,
                like: false,
            },
            false,
        ),
        (
            "StringNotEqualsIgnoreCase",
            Family::Str {
                ci: true,
                like: false,
            },
            true,
        ),
        (
            "StringLike",
            Family::Str {
                ci: false,
                like: true,
            },
            false,
        ),
        (
            "StringNotLike",
            Family::Str {
                ci: false,
                like: true,
            },
            true,
        ),
        ("NumericEquals", Family::Num(Cmp::Eq), false),
        ("NumericNotEquals", Family::Num(Cmp::Eq), true),
        ("NumericLessThan", Family::Num(Cmp::Lt), false),
        ("NumericLessThanEquals", Family::Num(Cmp::Le), false),
        ("NumericGreaterThan", Family::Num(Cmp::Gt), false),
        ("NumericGreaterThanEquals", Family::Num(Cmp::Ge), false),
        ("DateEquals", Family::Date(Cmp::Eq), false),
        ("DateNotEquals", Family::Date(Cmp::Eq), true),
        ("DateLessThan", Family::Date(Cmp::Lt), false),
        ("DateLessThanEquals", Family::Date(Cmp::Le), false),
        ("DateGreaterThan", Family::Date(Cmp::Gt), false),
        ("DateGreaterThanEquals", Family::Date(Cmp::Ge), false),
        ("Bool", Family::Bool, false),
        ("BinaryEquals", Family::Binary, false),
        ("IpAddress", Family::Ip, false),
        ("NotIpAddress", Family::Ip, true),
        ("ArnEquals", Family::Arn, false),
        ("ArnLike", Family::Arn, false),
        ("ArnNotEquals", Family::Arn, true),
        ("ArnNotLike", Family::Arn, true),
        ("Null", Family::Null, false),
    ];
    TABLE
        .iter()
        .find(|(n, _, _)| n.eq_ignore_ascii_case(base))
        .map(|&(_, family, negated)| Op { family, negated })
}

/// All conditions of a statement (AND).
pub(crate) fn eval_all(conds: &[Condition], req: &Req<'_>, vars: bool) -> Tri {
    let mut t = Tri::True;
    for c in conds {
        t = t.and(eval(c, req, vars));
        if t == Tri::False {
            break;
        }
    }
    t
}

/// Keys of the conditions the input does not decide (for evidence).
pub(crate) fn undecided_keys<'c>(
    conds: &'c [Condition],
    req: &Req<'_>,
    vars: bool,
) -> impl Iterator<Item = &'c str> {
    let undecided: Vec<&'c str> = conds
        .iter()
        .filter(|c| eval(c, req, vars) == Tri::Undecided)
        .map(|c| c.key.as_str())
        .collect();
    undecided.into_iter()
}

/// One condition.
pub(crate) fn eval(c: &Condition, req: &Req<'_>, vars: bool) -> Tri {
    let Some(op) = parse_op(&c.base) else {
        return Tri::Undecided;
    };
    let ctx = lookup(&c.key, req);
    if op.family == Family::Null {
        return eval_null(c, ctx);
    }
    let items: Items<'_> = match ctx {
        CtxVal::Unknown => return Tri::Undecided,
        CtxVal::Absent => Items::None,
        CtxVal::One(i) => Items::One(i),
        CtxVal::Many([]) => Items::None,
        CtxVal::Many(list) => Items::Many(list),
    };
    match (c.qualifier, items) {
        (_, Items::None) => {
            if c.if_exists {
                return Tri::True;
            }
            match c.qualifier {
                Some(SetQualifier::ForAllValues) => Tri::True,
                Some(SetQualifier::ForAnyValue) => Tri::False,
                None => Tri::from_bool(op.negated),
            }
        }
        (None, Items::One(i)) => one_item(op, i, &c.values, req, vars),
        (None, Items::Many(list)) => {
            if list.len() == 1 {
                one_item(op, Item::Str(&list[0]), &c.values, req, vars)
            } else {
                // A multi-valued key under a single-valued operator: AWS's outcome depends
                // on its request representation; do not decide.
                Tri::Undecided
            }
        }
        (Some(q), Items::One(i)) => one_item(op, i, &c.values, req, vars).and(match q {
            SetQualifier::ForAnyValue | SetQualifier::ForAllValues => Tri::True,
        }),
        (Some(SetQualifier::ForAnyValue), Items::Many(list)) => {
            let mut t = Tri::False;
            for s in list {
                t = t.or(one_item(op, Item::Str(s), &c.values, req, vars));
                if t == Tri::True {
                    break;
                }
            }
            t
        }
        (Some(SetQualifier::ForAllValues), Items::Many(list)) => {
            let mut t = Tri::True;
            for s in list {
                t = t.and(one_item(op, Item::Str(s), &c.values, req, vars));
                if t == Tri::False {
                    break;
                }
            }
            t
        }
    }
}

#[derive(Clone, Copy)]
enum Items<'s> {
    None,
    One(Item<'s>),
    Many(&'s [String]),
}

fn eval_null(c: &Condition, ctx: CtxVal<'_>) -> Tri {
    let absent = match ctx {
        CtxVal::Unknown => return Tri::Undecided,
        CtxVal::Absent | CtxVal::Many([]) => true,
        CtxVal::One(_) | CtxVal::Many(_) => false,
    };
    let mut t = Tri::False;
    for v in &c.values {
        t = t.or(match v {
            Val::Known(s) if s.eq_ignore_ascii_case("true") => Tri::from_bool(absent),
            Val::Known(s) if s.eq_ignore_ascii_case("false") => Tri::from_bool(!absent),
            Val::Known(_) => Tri::False,
            Val::Unknown | Val::Ref(_) => Tri::Undecided,
        });
    }
    t
}

/// One context value against all policy values: OR for positive operators, AND of the
/// negations for negated ones.
fn one_item(op: Op, item: Item<'_>, values: &[VStr], req: &Req<'_>, vars: bool) -> Tri {
    if op.negated {
        let mut t = Tri::True;
        for v in values {
            t = t.and(!compare(op.family, item, v, req, vars));
            if t == Tri::False {
                break;
            }
        }
        t
    } else {
        let mut t = Tri::False;
        for v in values {
            t = t.or(compare(op.family, item, v, req, vars));
            if t == Tri::True {
                break;
            }
        }
        t
    }
}

/// Whether `item` satisfies the positive form of the operator for one policy value.
fn compare(family: Family, item: Item<'_>, v: &VStr, req: &Req<'_>, vars: bool) -> Tri {
    let textual = matches!(family, Family::Str { .. } | Family::Arn);
    match v {
        Val::Unknown => Tri::Undecided,
        Val::Ref(refs) => {
            let principal = ref_kind(refs, req.principal.id);
            let target = ref_kind(refs, req.target.id());
            let (is_principal, is_target) = (principal == RefKind::Same, target == RefKind::Same);
            let opaque = principal == RefKind::Opaque || target == RefKind::Opaque;
            match item {
                Item::PrincipalArn { .. } if textual => {
                    if is_principal {
                        Tri::True
                    } else if opaque {
                        Tri::Undecided
                    } else {
                        Tri::False
                    }
                }
                Item::AnyPrincipal if textual && !opaque => Tri::False,
                Item::Str(s) if textual => {
                    let arn = if is_principal {
                        req.principal.arn
                    } else if is_target {
                        req.target.arn()
                    } else {
                        None
                    };
                    match arn {
                        Some(a) => text_match(family, s, Pattern::new(a)),
                        None => Tri::Undecided,
                    }
                }
                _ => Tri::Undecided,
            }
        }
        Val::Known(raw) => {
            let vars = vars && textual;
            match resolve_pattern(raw, req, vars) {
                Resolved::NoMatch => Tri::False,
                Resolved::Undecided => Tri::Undecided,
                Resolved::Text(p) => compare_pattern(family, item, p),
                Resolved::Owned(b, l) => compare_pattern(family, item, Pattern::masked(&b, &l)),
            }
        }
    }
}

fn compare_pattern(family: Family, item: Item<'_>, p: Pattern<'_>) -> Tri {
    let textual = matches!(family, Family::Str { .. } | Family::Arn);
    match item {
        Item::Str(s) => text_match(family, s, p),
        Item::PrincipalArn { arn: Some(a), .. } if textual => text_match(family, a, p),
        Item::PrincipalArn { arn: None, account } if textual => {
            // Some principal of `account`: only the account component can be decided.
            let Ok(text) = std::str::from_utf8(p.bytes()) else {
                return Tri::Undecided;
            };
            match (parse_arn(text), account) {
                (Some(arn), Some(acct))
                    if !wildcard::has_wildcard(arn.account) && arn.account != acct =>
                {
                    Tri::False
                }
                _ => Tri::Undecided,
            }
        }
        Item::AnyPrincipal if textual => {
            if p.bytes() == b"*" {
                Tri::True
            } else if p.has_wildcard()
                && matches!(family, Family::Str { like: true, .. } | Family::Arn)
            {
                Tri::Undecided
            } else {
                // A specific account or principal is not "any principal of any account".
                Tri::False
            }
        }
        Item::PrincipalArn { .. } | Item::AnyPrincipal => Tri::Undecided,
    }
}

fn text_match(family: Family, s: &str, p: Pattern<'_>) -> Tri {
    match family {
        Family::Str {
            ci: false,
            like: false,
        }
        | Family::Binary => Tri::from_bool(p.bytes() == s.as_bytes()),
        Family::Str {
            ci: true,
            like: false,
        } => {
            let pb = p.bytes();
            if pb.is_ascii() && s.is_ascii() {
                Tri::from_bool(pb.eq_ignore_ascii_case(s.as_bytes()))
            } else {
                let pt = String::from_utf8_lossy(pb);
                Tri::from_bool(pt.to_lowercase() == s.to_lowercase())
            }
        }
        Family::Str { ci, like: true } => Tri::from_bool(p.matches(s, ci, true)),
        Family::Arn => {
            let (Some(pc), Some(arn)) = (p.arn_components(), split_arn6(s)) else {
                return Tri::False;
            };
            Tri::from_bool(
                pc.iter()
                    .zip(arn.iter())
                    .all(|(pp, part)| pp.matches(part, false, true)),
            )
        }
        Family::Bool => Tri::from_bool(p.bytes().eq_ignore_ascii_case(s.as_bytes())),
        Family::Num(cmp) => {
            let (Some(a), Some(b)) = (values::number(s), values::number_bytes(p.bytes())) else {
                return Tri::Undecided;
            };
            Tri::from_bool(ordered(a, b, cmp))
        }
        Family::Date(cmp) => {
            let (Some(a), Some(b)) = (values::date(s), values::date_bytes(p.bytes())) else {
                return Tri::Undecided;
            };
            Tri::from_bool(ordered(a, b, cmp))
        }
        Family::Ip => match values::ip_in_cidr(s, p.bytes()) {
            Some(b) => Tri::from_bool(b),
            None => Tri::Undecided,
        },
        Family::Null => Tri::Undecided,
    }
}

fn ordered(a: f64, b: f64, cmp: Cmp) -> bool {
    match cmp {
        Cmp::Eq => a == b,
        Cmp::Lt => a < b,
        Cmp::Le => a <= b,
        Cmp::Gt => a > b,
        Cmp::Ge => a >= b,
    }
}

fn split_arn6(s: &str) -> Option<[&str; 6]> {
    let mut it = s.splitn(6, ':');
    Some([
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
        it.next()?,
    ])
}
