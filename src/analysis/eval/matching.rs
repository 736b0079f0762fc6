//! Principal and resource matching (kms-semantics §1.1, §3), three-valued.
//!
//! A policy value is `Known` text, `Unknown` until apply, or a `Ref` to an input resource. A
//! `Ref` whose target is the principal's (or key's) input id is that principal (key); a `Ref`
//! to a data source, variable, local, module output or pseudo parameter could be anything and
//! is undecided; a `Ref` to any other declared resource names that resource and therefore not
//! this principal (key).

use super::conditions::{self, Resolved};
use super::partial;
use super::wildcard::{self, Pattern};
use super::{AccessPath, KeyCtx, PrincipalCtx, RoleCtx, Tri};
use crate::analysis::result::PrincipalKind;
use crate::model::{Partial, PrincipalType, Principals, Reference, VStr, Val};

/// The resource a request targets.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target<'s> {
    /// A KMS key.
    Key(&'s KeyCtx<'s>),
    /// An IAM role (assume-role decisions).
    Role(&'s RoleCtx<'s>),
}

impl<'s> Target<'s> {
    pub(crate) fn arn(self) -> Option<&'s str> {
        match self {
            Target::Key(k) => k.arn,
            Target::Role(r) => r.arn,
        }
    }

    pub(crate) fn id(self) -> Option<&'s str> {
        match self {
            Target::Key(k) => k.id,
            Target::Role(r) => r.id,
        }
    }

    pub(crate) fn account(self) -> Option<&'s str> {
        match self {
            Target::Key(k) => k.account,
            Target::Role(r) => r.account,
        }
    }
}

/// One request: who, what, on which resource, by which path.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Req<'s> {
    /// The action, e.g. `kms:Decrypt`.
    pub action: &'s str,
    /// The caller.
    pub principal: &'s PrincipalCtx<'s>,
    /// The resource.
    pub target: Target<'s>,
    /// The access path.
    pub path: &'s AccessPath<'s>,
}

/// How a `Ref` relates to an input id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefKind {
    /// The reference names the id itself.
    Same,
    /// The reference names the resource without its instance key (`count`/`for_each`), or
    /// something whose value the input does not decide.
    Opaque,
    /// The reference names another declared resource.
    Other,
}

/// Classifies references against `id`.
pub(crate) fn ref_kind(refs: &[Reference], id: Option<&str>) -> RefKind {
    let mut kind = RefKind::Other;
    if refs.is_empty() {
        return RefKind::Opaque;
    }
    for r in refs {
        if let Some(id) = id {
            if r.target == id {
                return RefKind::Same;
            }
            if id.len() > r.target.len()
                && id.starts_with(r.target.as_str())
                && id.as_bytes()[r.target.len()] == b'['
            {
                kind = RefKind::Opaque;
            }
        }
        if is_opaque_ref(r) {
            kind = RefKind::Opaque;
        }
    }
    kind
}

/// References whose value the input does not pin to one declared resource.
pub(crate) fn is_opaque_ref(r: &Reference) -> bool {
    let t = r.target.as_str();
    if t.starts_with("data.")
        || t.starts_with("{{resolve:")
        || t.contains(".data.")
        || t.starts_with("var.")
        || t.starts_with("local.")
        || t.starts_with("AWS::")
        || r.attribute
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("account_id"))
    {
        return true;
    }
    // `module.NAME` (an output) rather than `module.NAME.TYPE.NAME` (a resource in it).
    if let Some(rest) = t.strip_prefix("module.") {
        let segments = rest.split('.').count();
        return segments < 3;
    }
    false
}

/// Parts of an ARN: partition, service, region, account, resource.
pub(crate) struct Arn<'a> {
    pub service: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

pub(crate) fn parse_arn(s: &str) -> Option<Arn<'_>> {
    // `arn:partition:service:region:account:resource`, the resource keeping its own colons.
    let rest = s.strip_prefix("arn:")?;
    let mut colons = [0usize; 4];
    let mut found = 0;
    for (i, b) in rest.bytes().enumerate() {
        if b == b':' {
            colons[found] = i;
            found += 1;
            if found == colons.len() {
                break;
            }
        }
    }
    if found < colons.len() {
        return None;
    }
    Some(Arn {
        service: rest.get(colons[0] + 1..colons[1])?,
        account: rest.get(colons[2] + 1..colons[3])?,
        resource: rest.get(colons[3] + 1..)?,
    })
}

/// Two account ids: equal, different, or undecided when one is the deploying account written
/// as its placeholder (`<account>`: no `--account-id`, and the input does not show it) and the
/// other a real account, which may be that same account.
pub(crate) fn account_tri(a: &str, b: &str) -> Tri {
    let placeholder = crate::analysis::principals::DEPLOYING_ACCOUNT;
    if a == b {
        Tri::True
    } else if a == placeholder || b == placeholder {
        Tri::Undecided
    } else {
        Tri::False
    }
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The account an `AWS` principal value names as a whole (`111122223333`,
/// `arn:aws:iam::111122223333:root`).
pub(crate) fn account_principal(s: &str) -> Option<&str> {
    if is_account_id(s) {
        return Some(s);
    }
    let arn = parse_arn(s)?;
    (arn.service == "iam" && arn.resource == "root").then_some(arn.account)
}

/// How a `Principal` element matches the requesting principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PMatch {
    /// Names the principal itself, in a way boundaries do not limit (user ARN, session ARN,
    /// service, federated provider).
    pub direct_free: Tri,
    /// Names the principal by role ARN (limited by the role's permissions boundary).
    pub direct_role: Tri,
    /// Names the principal's account (delegation to its IAM).
    pub account: Tri,
    /// Everyone (`*`).
    pub everyone: Tri,
}

impl PMatch {
    pub(crate) const NONE: PMatch = PMatch {
        direct_free: Tri::False,
        direct_role: Tri::False,
        account: Tri::False,
        everyone: Tri::False,
    };

    fn or(self, o: PMatch) -> PMatch {
        PMatch {
            direct_free: self.direct_free.or(o.direct_free),
            direct_role: self.direct_role.or(o.direct_role),
            account: self.account.or(o.account),
            everyone: self.everyone.or(o.everyone),
        }
    }

    /// Any way of matching.
    pub(crate) fn any(self) -> Tri {
        self.direct_free
            .or(self.direct_role)
            .or(self.account)
            .or(self.everyone)
    }

    const fn everyone(t: Tri) -> PMatch {
        PMatch {
            direct_free: Tri::False,
            direct_role: Tri::False,
            account: Tri::False,
            everyone: t,
        }
    }
}

/// Matches a `Principal` element (or the inside of a `NotPrincipal`).
pub(crate) fn match_principals(ps: &Principals, p: &PrincipalCtx<'_>) -> PMatch {
    match ps {
        Principals::Any => PMatch::everyone(Tri::True),
        Principals::Map(entries) => entries
            .iter()
            .fold(PMatch::NONE, |m, (ty, v)| m.or(match_entry(ty, v, p))),
    }
}

/// Matches `NotPrincipal`: everyone except the listed principals.
pub(crate) fn match_not_principals(ps: &Principals, p: &PrincipalCtx<'_>) -> PMatch {
    PMatch::everyone(!match_principals(ps, p).any())
}

fn direct(p: &PrincipalCtx<'_>, t: Tri, by_role_arn: bool) -> PMatch {
    let mut m = PMatch::NONE;
    if by_role_arn && p.kind == PrincipalKind::Role {
        m.direct_role = t;
    } else {
        m.direct_free = t;
    }
    m
}

fn match_entry(ty: &PrincipalType, v: &VStr, p: &PrincipalCtx<'_>) -> PMatch {
    match ty {
        PrincipalType::Aws => match v {
            Val::Known(s) => match_aws(s, p),
            _ if p.source == Some(v) => direct(p, Tri::True, true),
            Val::Unknown => undecided_aws(p),
            Val::Ref(refs) => match ref_kind(refs, p.id) {
                RefKind::Same => direct(p, Tri::True, true),
                RefKind::Opaque if refs.iter().all(is_caller_arn) => {
                    // Whoever runs the deployment: one role or user, never `*`, an account
                    // as a whole or a service.
                    let t = match p.kind {
                        PrincipalKind::Role | PrincipalKind::User | PrincipalKind::Unknown => {
                            Tri::Undecided
                        }
                        _ => Tri::False,
                    };
                    direct(p, t, false)
                }
                RefKind::Opaque => undecided_aws(p),
                RefKind::Other => PMatch::NONE,
            },
            Val::Partial(pp) => match_aws_partial(pp, p),
        },
        PrincipalType::Service => named_kind(v, p, PrincipalKind::Service),
        PrincipalType::Federated => named_kind(v, p, PrincipalKind::Federated),
        PrincipalType::CanonicalUser | PrincipalType::Other(_) => PMatch::NONE,
    }
}

/// `data.aws_caller_identity.NAME.arn`: the identity that runs the deployment.
fn is_caller_arn(r: &Reference) -> bool {
    let t = r.target.as_str();
    (t.starts_with("data.aws_caller_identity.") || t.contains(".data.aws_caller_identity."))
        && r.attribute.as_deref() == Some("arn")
}

/// An `AWS` principal value the input does not decide: it could be this principal, its account
/// or `*` — but never a service, federated or canonical-user principal.
fn undecided_aws(p: &PrincipalCtx<'_>) -> PMatch {
    if matches!(p.kind, PrincipalKind::Service | PrincipalKind::Federated) {
        return PMatch::NONE;
    }
    undecided_any(p)
}

/// An `AWS` principal value known in part: the known text decides what it can name.
fn match_aws_partial(pp: &Partial, p: &PrincipalCtx<'_>) -> PMatch {
    if matches!(p.kind, PrincipalKind::Service | PrincipalKind::Federated) {
        return PMatch::NONE;
    }
    let text = pp.suffix();
    let whole_hole = pp.parts.len() == 1;
    if whole_hole {
        // Nothing known: any AWS principal.
        return undecided_any(p);
    }
    if text.ends_with(":root") {
        // An account named with an unknown part: the account entry of a matching account.
        let mut m = PMatch::NONE;
        m.account = match p.kind {
            PrincipalKind::Role
            | PrincipalKind::User
            | PrincipalKind::Account
            | PrincipalKind::Unknown => match p.account {
                Some(acct) => {
                    partial::against_text(pp, &format!("arn:aws:iam::{acct}:root"), false)
                        .or(partial::against_text(
                            pp,
                            &format!("arn:aws-cn:iam::{acct}:root"),
                            false,
                        ))
                        .or(partial::against_text(
                            pp,
                            &format!("arn:aws-us-gov:iam::{acct}:root"),
                            false,
                        ))
                }
                None => Tri::Undecided,
            },
            PrincipalKind::Service | PrincipalKind::Federated | PrincipalKind::Public => Tri::False,
        };
        return m;
    }
    if matches!(p.kind, PrincipalKind::Account | PrincipalKind::Public) {
        return PMatch::NONE;
    }
    let by_role = pp.parts.iter().any(|part| match part {
        crate::model::Part::Lit(s) => s.contains(":role/"),
        crate::model::Part::Hole(_) => false,
    });
    if pp.to_string().contains(":assumed-role/") {
        // A session of a role: the session name is chosen at run time.
        let t = if matches!(p.kind, PrincipalKind::Role | PrincipalKind::Unknown) {
            Tri::Undecided
        } else {
            Tri::False
        };
        return direct(p, t, false);
    }
    let t = match (p.arn, p.arn_pattern) {
        (Some(arn), _) => partial::against_text(pp, arn, false),
        (None, Some(own)) => partial::against_partial(pp, own, false),
        (None, None) => Tri::Undecided,
    };
    direct(p, t, by_role)
}

/// A principal value the input does not decide: it could be this principal, its account or
/// `*`.
fn undecided_any(p: &PrincipalCtx<'_>) -> PMatch {
    let mut m = PMatch::everyone(Tri::Undecided);
    m.account = Tri::Undecided;
    if !matches!(p.kind, PrincipalKind::Account | PrincipalKind::Public) {
        m.direct_free = Tri::Undecided;
    }
    m
}

fn named_kind(v: &VStr, p: &PrincipalCtx<'_>, kind: PrincipalKind) -> PMatch {
    if p.kind != kind {
        return PMatch::NONE;
    }
    let t = match v {
        _ if p.source == Some(v) => Tri::True,
        Val::Known(s) => match (p.arn, p.arn_pattern) {
            (Some(a), _) => Tri::from_bool(a.eq_ignore_ascii_case(s)),
            (None, Some(own)) => partial::against_text(own, s, true),
            (None, None) => Tri::Undecided,
        },
        Val::Partial(pp) => match (p.arn, p.arn_pattern) {
            (Some(a), _) => partial::against_text(pp, a, true),
            (None, Some(own)) => partial::against_partial(pp, own, true),
            (None, None) => Tri::Undecided,
        },
        Val::Unknown => Tri::Undecided,
        Val::Ref(refs) => match ref_kind(refs, p.id) {
            RefKind::Same => Tri::True,
            RefKind::Opaque => Tri::Undecided,
            RefKind::Other => Tri::False,
        },
    };
    direct(p, t, false)
}

/// `Known` `AWS` principal values.
fn match_aws(s: &str, p: &PrincipalCtx<'_>) -> PMatch {
    if s == "*" {
        return PMatch::everyone(Tri::True);
    }
    if is_account_id(s) || s.ends_with(":root") {
        if let Some(acct) = account_principal(s) {
            let t = match p.kind {
                PrincipalKind::Role
                | PrincipalKind::User
                | PrincipalKind::Account
                | PrincipalKind::Unknown => match p.account {
                    Some(pa) => account_tri(pa, acct),
                    None => Tri::Undecided,
                },
                PrincipalKind::Service | PrincipalKind::Federated | PrincipalKind::Public => {
                    Tri::False
                }
            };
            let mut m = PMatch::NONE;
            m.account = t;
            return m;
        }
    }
    // Specific principals never stand for a whole account or for everyone.
    if matches!(
        p.kind,
        PrincipalKind::Account
            | PrincipalKind::Public
            | PrincipalKind::Service
            | PrincipalKind::Federated
    ) {
        return PMatch::NONE;
    }
    let is_role_arn = s.contains(":role/");
    if let Some(pa) = p.arn {
        // Fast path: the common case compares two known ARNs.
        if pa.eq_ignore_ascii_case(s) {
            return direct(p, Tri::True, is_role_arn);
        }
        if !s.contains(":assumed-role/") {
            return PMatch::NONE;
        }
    } else if let Some(own) = p.arn_pattern {
        // The principal's ARN is known in part (a generated name): its known text decides.
        if !s.contains(":assumed-role/") {
            return direct(p, partial::against_text(own, s, false), is_role_arn);
        }
    }
    let Some(arn) = parse_arn(s) else {
        // Unique ids of deleted principals (AROA…/AIDA…) and malformed values match nothing
        // but an identical ARN.
        return PMatch::NONE;
    };
    let same_account = match p.account {
        Some(pa) => account_tri(pa, arn.account),
        None => Tri::Undecided,
    };
    match (arn.service, arn.resource.split_once('/')) {
        ("iam", Some(("role" | "user", _))) => {
            // The principal's ARN is unknown: only its account can decide.
            direct(p, same_account.and(Tri::Undecided), is_role_arn)
        }
        ("sts", Some(("assumed-role", rest))) => {
            // One session of a role: reachable when the session name is chosen accordingly
            // (decided at run time); session ARNs are not limited by boundaries.
            let role_name = rest.split('/').next().unwrap_or("");
            let t = if p.kind == PrincipalKind::Role || p.kind == PrincipalKind::Unknown {
                match p.arn.and_then(|a| a.rsplit('/').next()) {
                    Some(name) => same_account
                        .and(Tri::from_bool(name == role_name))
                        .and(Tri::Undecided),
                    None => same_account.and(Tri::Undecided),
                }
            } else {
                Tri::False
            };
            direct(p, t, false)
        }
        _ => PMatch::NONE,
    }
}

/// Which matching a resource list gets: spanning `*` over-approximates (Allow), non-spanning
/// under-approximates (Deny).
pub(crate) fn match_resource_list(values: &[VStr], req: &Req<'_>, span: bool, vars: bool) -> Tri {
    let mut best = Tri::False;
    for v in values {
        best = best.or(match_resource(v, req, span, vars));
        if best == Tri::True {
            break;
        }
    }
    best
}

fn match_resource(v: &VStr, req: &Req<'_>, span: bool, vars: bool) -> Tri {
    let target = req.target;
    match v {
        Val::Unknown => Tri::Undecided,
        Val::Ref(refs) => match ref_kind(refs, target.id()) {
            RefKind::Same => Tri::True,
            RefKind::Opaque => Tri::Undecided,
            RefKind::Other => Tri::False,
        },
        Val::Partial(pp) => match_partial_resource(pp, target),
        Val::Known(s) => {
            if s == "*" {
                return Tri::True;
            }
            match conditions::resolve_pattern(s, req, vars) {
                Resolved::Text(pat) => match_arn_pattern(pat, target, span),
                Resolved::Owned(bytes, lit) => {
                    match_arn_pattern(Pattern::masked(&bytes, &lit), target, span)
                }
                Resolved::NoMatch => Tri::False,
                Resolved::Undecided => Tri::Undecided,
            }
        }
    }
}

/// A resource value known in part (`arn:aws:kms:${AWS::Region}:${AWS::AccountId}:key/…`).
/// References in its holes name resources of the input; the known text rules out what it
/// cannot match.
fn match_partial_resource(pp: &Partial, target: Target<'_>) -> Tri {
    let refs = pp.references();
    if !refs.is_empty() && ref_kind(&refs, target.id()) == RefKind::Same {
        return Tri::True;
    }
    if let Some(last) = last_hole_names_resource(pp) {
        // `…:key/${OtherKey}`: the hole is another declared resource's id.
        if ref_kind(last, target.id()) == RefKind::Other {
            return Tri::False;
        }
    }
    if let Some(arn) = target.arn() {
        return partial::pattern_against_text(pp, arn, false).and(Tri::Undecided);
    }
    // The target's ARN is unknown until apply: what its known parts admit.
    let (service, kind) = match target {
        Target::Key(_) => ("kms", "key/"),
        Target::Role(_) => ("iam", "role/"),
    };
    let region = match target {
        Target::Key(k) => k.region.unwrap_or("*"),
        Target::Role(_) => "",
    };
    let account = target.account().unwrap_or("*");
    let shape = format!("arn:*:{service}:{region}:{account}:{kind}*");
    if pattern_shape_meets(pp, &shape) {
        Tri::Undecided
    } else {
        Tri::False
    }
}

/// The references of a partial ARN's last part when it is a hole right after `key/` or
/// `role/` that names declared resources only (not a parameter, variable or pseudo parameter).
fn last_hole_names_resource(pp: &Partial) -> Option<&[Reference]> {
    let n = pp.parts.len();
    let (Some(crate::model::Part::Lit(before)), Some(crate::model::Part::Hole(h))) = (
        n.checked_sub(2).and_then(|i| pp.parts.get(i)),
        pp.parts.last(),
    ) else {
        return None;
    };
    let names_id = before.ends_with(":key/") || before.ends_with(":role/");
    (names_id && !h.refs.is_empty() && !h.refs.iter().any(is_opaque_ref)).then_some(&h.refs)
}

/// Whether a partial `Resource` value may name keys other than the resources it references.
pub(crate) fn partial_may_name_other_keys(pp: &Partial) -> bool {
    last_hole_names_resource(pp).is_none() && pattern_shape_meets(pp, "arn:*:kms:*:*:key/*")
}

/// Whether some completion of a partial pattern matches some ARN of `shape`.
fn pattern_shape_meets(pp: &Partial, shape: &str) -> bool {
    match Partial::from_glob(shape) {
        Val::Partial(shape) => partial::pattern_against_partial(pp, &shape, false) != Tri::False,
        other => other
            .known()
            .is_some_and(|s| partial::pattern_against_text(pp, s, false) != Tri::False),
    }
}

fn match_arn_pattern(pat: Pattern<'_>, target: Target<'_>, span: bool) -> Tri {
    if let Some(arn) = target.arn() {
        return Tri::from_bool(pat.matches(arn, false, span));
    }
    // ARN unknown until apply: decide what the known components decide.
    let Ok(text) = std::str::from_utf8(pat.bytes()) else {
        return Tri::Undecided;
    };
    let parts: Vec<&str> = text.splitn(6, ':').collect();
    let (service, resource_kind) = match target {
        Target::Key(_) => ("kms", "key/"),
        Target::Role(_) => ("iam", "role/"),
    };
    if parts.len() >= 3 && !wildcard::has_wildcard(parts[2]) && parts[2] != service {
        return Tri::False;
    }
    if parts.len() < 6 {
        return Tri::Undecided;
    }
    let mut t = Tri::True;
    if let Target::Key(k) = target {
        if let Some(region) = k.region {
            t = t.and(Tri::from_bool(wildcard::matches(
                parts[3], region, false, true,
            )));
        } else if parts[3] != "*" {
            t = t.and(Tri::Undecided);
        }
    }
    if let Some(acct) = target.account() {
        t = t.and(Tri::from_bool(wildcard::matches(
            parts[4], acct, false, true,
        )));
    } else if parts[4] != "*" {
        t = t.and(Tri::Undecided);
    }
    let res = parts[5];
    let res_t = if res == "*"
        || (res.len() == resource_kind.len() + 1
            && res.starts_with(resource_kind)
            && res.ends_with('*'))
    {
        Tri::True
    } else if res.starts_with(resource_kind) || res.starts_with('*') || res.starts_with('?') {
        Tri::Undecided
    } else {
        Tri::False
    };
    t.and(res_t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(target: &str, attr: Option<&str>) -> Reference {
        Reference::new(target, attr)
    }

    #[test]
    fn reference_kinds() {
        let id = Some("aws_iam_role.app");
        assert_eq!(
            ref_kind(&[r("aws_iam_role.app", Some("arn"))], id),
            RefKind::Same
        );
        assert_eq!(
            ref_kind(&[r("aws_iam_role.other", Some("arn"))], id),
            RefKind::Other
        );
        assert_eq!(
            ref_kind(&[r("data.aws_iam_role.x", Some("arn"))], id),
            RefKind::Opaque
        );
        assert_eq!(ref_kind(&[r("var.reader_arn", None)], id), RefKind::Opaque);
        assert_eq!(
            ref_kind(&[r("module.iam", Some("role_arn"))], id),
            RefKind::Opaque
        );
        assert_eq!(
            ref_kind(
                &[r("aws_iam_role.r", Some("arn"))],
                Some("aws_iam_role.r[\"a\"]")
            ),
            RefKind::Opaque
        );
    }

    #[test]
    fn arns_split_into_their_parts() {
        let a = parse_arn("arn:aws:iam::111122223333:root").expect("arn");
        assert_eq!(
            (a.service, a.account, a.resource),
            ("iam", "111122223333", "root")
        );
        let a = parse_arn("arn:aws:s3:::bucket/key:with:colons").expect("arn");
        assert_eq!(
            (a.service, a.account, a.resource),
            ("s3", "", "bucket/key:with:colons")
        );
        let a = parse_arn("arn:aws-cn:kms:cn-north-1:111122223333:key/k").expect("arn");
        assert_eq!(
            (a.service, a.account, a.resource),
            ("kms", "111122223333", "key/k")
        );
        for bad in [
            "arn:aws:iam::111122223333",
            "arn:aws",
            "ARN:aws:iam::1:root",
            "x",
            "",
        ] {
            assert!(parse_arn(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn account_principals() {
        assert_eq!(account_principal("111122223333"), Some("111122223333"));
        assert_eq!(
            account_principal("arn:aws:iam::111122223333:root"),
            Some("111122223333")
        );
        assert_eq!(account_principal("arn:aws:iam::111122223333:role/x"), None);
    }
}
