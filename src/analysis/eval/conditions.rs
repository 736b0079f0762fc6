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

mod context;
mod values;

pub(crate) use context::{lookup, resolve_pattern, CtxVal, Item, Resolved};

use super::matching::{parse_arn, ref_kind, RefKind, Req};
use super::partial;
use super::wildcard::{self, Pattern};
use super::Tri;
use crate::model::{policy::SetQualifier, Condition, Partial, VStr, Val};

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
    const EQ: Family = Family::Str {
        ci: false,
        like: false,
    };
    const EQ_CI: Family = Family::Str {
        ci: true,
        like: false,
    };
    const LIKE: Family = Family::Str {
        ci: false,
        like: true,
    };
    const TABLE: &[(&str, Family, bool)] = &[
        ("StringEquals", EQ, false),
        ("StringNotEquals", EQ, true),
        ("StringEqualsIgnoreCase", EQ_CI, false),
        ("StringNotEqualsIgnoreCase", EQ_CI, true),
        ("StringLike", LIKE, false),
        ("StringNotLike", LIKE, true),
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

/// All conditions of a statement (AND); `deny` for Deny statements (values the caller
/// chooses are chosen to avoid them).
pub(crate) fn eval_all(conds: &[Condition], req: &Req<'_>, vars: bool, deny: bool) -> Tri {
    let mut t = Tri::True;
    for c in conds {
        t = t.and(eval(c, req, vars, deny));
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
) -> Vec<&'c str> {
    conds
        .iter()
        .filter(|c| eval(c, req, vars, false) == Tri::Undecided)
        .map(|c| c.key.as_str())
        .collect()
}

/// One condition.
pub(crate) fn eval(c: &Condition, req: &Req<'_>, vars: bool, deny: bool) -> Tri {
    let Some(op) = parse_op(&c.base) else {
        return Tri::Undecided;
    };
    let ctx = lookup(&c.key, req);
    if let CtxVal::Chosen = ctx {
        return Tri::from_bool(!deny);
    }
    if op.family == Family::Null {
        return eval_null(c, ctx);
    }
    let items: Items<'_> = match ctx {
        CtxVal::Unknown | CtxVal::Chosen => return Tri::Undecided,
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
        // A set operator on a single-valued key: the set has one element.
        (Some(_), Items::One(i)) => one_item(op, i, &c.values, req, vars),
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
        CtxVal::Unknown | CtxVal::Chosen => return Tri::Undecided,
        CtxVal::Absent | CtxVal::Many([]) => true,
        CtxVal::One(_) | CtxVal::Many(_) => false,
    };
    let mut t = Tri::False;
    for v in &c.values {
        t = t.or(match v {
            Val::Known(s) if s.eq_ignore_ascii_case("true") => Tri::from_bool(absent),
            Val::Known(s) if s.eq_ignore_ascii_case("false") => Tri::from_bool(!absent),
            Val::Known(_) => Tri::False,
            Val::Unknown | Val::Ref(_) | Val::Partial(_) => Tri::Undecided,
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
        Val::Partial(_) if !textual => Tri::Undecided,
        Val::Partial(pp) => compare_partial(family, item, v, pp, req),
        Val::Known(raw)
            if matches!(item, Item::Str(s) if super::matching::account_tri(s, raw) == Tri::Undecided
                && (is_account(s) || is_account(raw))) =>
        {
            // The deploying account's placeholder against a real account: maybe the same.
            Tri::Undecided
        }
        Val::Known(raw) => {
            let vars = vars && textual;
            match resolve_pattern(raw, req, vars) {
                Resolved::NoMatch => Tri::False,
                Resolved::Undecided => Tri::Undecided,
                Resolved::Text(p) => match (item, req.principal.arn_pattern) {
                    // A principal whose ARN is known in part (a generated name).
                    (Item::PrincipalArn { arn: None, .. }, Some(own)) => {
                        let ci = matches!(family, Family::Str { ci: true, .. });
                        let like = matches!(family, Family::Str { like: true, .. } | Family::Arn);
                        match std::str::from_utf8(p.bytes()) {
                            Ok(text) if like => partial::against_pattern(own, text, ci, true),
                            Ok(text) => partial::against_text(own, text, ci),
                            Err(_) => Tri::Undecided,
                        }
                    }
                    _ => compare_pattern(family, item, p),
                },
                Resolved::Owned(b, l) => compare_pattern(family, item, Pattern::masked(&b, &l)),
            }
        }
    }
}

/// A policy value known in part against the request: the known text rules out what it cannot
/// match.
fn compare_partial(family: Family, item: Item<'_>, v: &VStr, pp: &Partial, req: &Req<'_>) -> Tri {
    let ci = matches!(family, Family::Str { ci: true, .. });
    let refs = pp.references();
    match item {
        Item::Str(s) => partial::pattern_against_text(pp, s, ci),
        Item::PrincipalArn { .. } if req.principal.source == Some(v) => Tri::True,
        Item::PrincipalArn { .. }
            if !refs.is_empty() && ref_kind(&refs, req.principal.id) == RefKind::Same =>
        {
            Tri::Undecided
        }
        Item::PrincipalArn { arn: Some(a), .. } => partial::pattern_against_text(pp, a, ci),
        Item::PrincipalArn { arn: None, .. } => match req.principal.arn_pattern {
            Some(own) => partial::pattern_against_partial(pp, own, ci),
            None => Tri::Undecided,
        },
        Item::AnyPrincipal => {
            if pp.holes().any(|h| h.class == crate::model::HoleClass::Any) {
                Tri::Undecided
            } else {
                Tri::False
            }
        }
    }
}

fn is_account(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
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
            let account_literal = std::str::from_utf8(p.bytes())
                .ok()
                .and_then(parse_arn)
                .is_some_and(|a| !a.account.is_empty() && !wildcard::has_wildcard(a.account));
            if p.bytes() == b"*" {
                Tri::True
            } else if account_literal {
                // A pattern within one account names principals of that account (reported on
                // their own entries), never any principal of any account.
                Tri::False
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
