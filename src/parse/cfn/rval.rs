//! Resolved template values: what an expression evaluates to before deploy.
//!
//! [`RVal`] is a JSON value that may also be unknown (with the resources it derives from), a
//! string only partly known (`Fn::Sub`/`Fn::Join` over an unknown piece), an undecided `Fn::If`
//! (both branches kept, so a policy can keep both statements as conditional ones), or
//! `AWS::NoValue` (which removes the property or list item that holds it).

use crate::model::{Reference, VStr, Val};
use std::collections::BTreeMap;

/// A resolved value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum RVal {
    Null,
    Bool(bool),
    Num(serde_json::Number),
    Str(String),
    List(Vec<RVal>),
    Map(BTreeMap<String, RVal>),
    /// A string with unknown pieces.
    Partial(Vec<Piece>),
    /// Not known before deploy; the references it derives from (possibly none).
    Unknown(Vec<Reference>),
    /// `Fn::If` over a condition the input does not decide.
    Either(Box<Either>),
    /// `AWS::NoValue`.
    NoValue,
}

/// One piece of a partly known string.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Piece {
    Lit(String),
    Unknown(Vec<Reference>),
}

/// Both branches of an undecided `Fn::If`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Either {
    /// The template condition's name.
    pub cond: String,
    /// Value when the condition holds.
    pub then: RVal,
    /// Value when it does not.
    pub other: RVal,
}

impl RVal {
    /// An unknown value with no reference.
    pub(crate) fn unknown() -> Self {
        RVal::Unknown(Vec::new())
    }

    /// An unknown value derived from one reference.
    pub(crate) fn reference(target: &str, attribute: Option<&str>) -> Self {
        RVal::Unknown(vec![Reference::new(target, attribute)])
    }

    /// `Fn::If` with an undecided condition: one value when both branches agree.
    pub(crate) fn either(cond: &str, then: RVal, other: RVal) -> Self {
        if then == other {
            then
        } else {
            RVal::Either(Box::new(Either {
                cond: cond.to_owned(),
                then,
                other,
            }))
        }
    }

    /// True when the value is fully known (no unknown, partial or undecided part).
    #[must_use]
    pub(crate) fn is_known(&self) -> bool {
        match self {
            RVal::Null | RVal::Bool(_) | RVal::Num(_) | RVal::Str(_) | RVal::NoValue => true,
            RVal::List(items) => items.iter().all(RVal::is_known),
            RVal::Map(m) => m.values().all(RVal::is_known),
            RVal::Partial(_) | RVal::Unknown(_) | RVal::Either(_) => false,
        }
    }

    /// Every reference the value derives from, in order, without duplicates.
    #[must_use]
    pub(crate) fn refs(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        self.collect_refs(&mut out);
        out
    }

    fn collect_refs(&self, out: &mut Vec<Reference>) {
        let mut add = |rs: &[Reference]| {
            for r in rs {
                if !out.contains(r) {
                    out.push(r.clone());
                }
            }
        };
        match self {
            RVal::Unknown(rs) => add(rs),
            RVal::Partial(pieces) => {
                for p in pieces {
                    if let Piece::Unknown(rs) = p {
                        add(rs);
                    }
                }
            }
            RVal::List(items) => items.iter().for_each(|i| i.collect_refs(out)),
            RVal::Map(m) => m.values().for_each(|v| v.collect_refs(out)),
            RVal::Either(e) => {
                e.then.collect_refs(out);
                e.other.collect_refs(out);
            }
            RVal::Null | RVal::Bool(_) | RVal::Num(_) | RVal::Str(_) | RVal::NoValue => {}
        }
    }

    /// The value as an unknown (keeping its references).
    #[must_use]
    pub(crate) fn to_unknown(&self) -> RVal {
        RVal::Unknown(self.refs())
    }

    /// A scalar rendered as a string (`true`, `42`, text).
    #[must_use]
    pub(crate) fn scalar_str(&self) -> Option<String> {
        match self {
            RVal::Str(s) => Some(s.clone()),
            RVal::Num(n) => Some(n.to_string()),
            RVal::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// The value as a model string: known scalar, unknown (`Val::Unknown`, or `Val::Ref` when it
    /// derives from resources), or `None` when absent or of another shape.
    #[must_use]
    pub(crate) fn vstr(&self) -> Option<VStr> {
        match self {
            RVal::Str(_) | RVal::Num(_) | RVal::Bool(_) => self.scalar_str().map(Val::Known),
            RVal::Partial(pieces) => Some(crate::model::Partial::build(pieces.iter().map(
                |p| match p {
                    Piece::Lit(s) => crate::model::Part::Lit(s.clone()),
                    Piece::Unknown(refs) => {
                        crate::model::Part::Hole(crate::model::Hole::from_refs(refs.clone()))
                    }
                },
            ))),
            RVal::Unknown(_) | RVal::Either(_) => Some(unknown_val(self.refs())),
            RVal::Null | RVal::NoValue | RVal::List(_) | RVal::Map(_) => None,
        }
    }

    /// A boolean (`true`, `"true"`, `"True"`); `Val::Unknown` when not known; `None` when absent.
    #[must_use]
    pub(crate) fn bool_val(&self) -> Option<Val<bool>> {
        match self {
            RVal::Bool(b) => Some(Val::Known(*b)),
            RVal::Str(s) if s.eq_ignore_ascii_case("true") => Some(Val::Known(true)),
            RVal::Str(s) if s.eq_ignore_ascii_case("false") => Some(Val::Known(false)),
            RVal::Null | RVal::NoValue => None,
            RVal::Partial(_) | RVal::Unknown(_) | RVal::Either(_) => Some(Val::Unknown),
            RVal::Str(_) | RVal::Num(_) | RVal::List(_) | RVal::Map(_) => Some(Val::Unknown),
        }
    }

    /// A member of a map value (`None` when absent, when `self` is not a map, or `NoValue`).
    /// Every member of an unknown value is unknown: "not known" must never read as "not set".
    #[must_use]
    pub(crate) fn get(&self, key: &str) -> Option<&RVal> {
        static UNKNOWN: RVal = RVal::Unknown(Vec::new());
        match self {
            RVal::Map(m) => m
                .get(key)
                .filter(|v| !matches!(v, RVal::NoValue | RVal::Null)),
            RVal::Unknown(_) => Some(&UNKNOWN),
            _ => None,
        }
    }

    /// A map whose members are undecided between the two branches of an `Fn::If` (a whole
    /// `Properties: !If [...]`); other values unchanged.
    #[must_use]
    pub(crate) fn spread_either(self) -> RVal {
        let RVal::Either(e) = self else {
            return self;
        };
        let as_map = |v: RVal| match v {
            RVal::Map(m) => Some(m),
            RVal::NoValue | RVal::Null => Some(BTreeMap::new()),
            _ => None,
        };
        let Either { cond, then, other } = *e;
        let (Some(a), Some(b)) = (
            as_map(then.clone().spread_either()),
            as_map(other.clone().spread_either()),
        ) else {
            return RVal::Either(Box::new(Either { cond, then, other }));
        };
        let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
        RVal::Map(
            keys.into_iter()
                .map(|k| {
                    let x = a.get(k).cloned().unwrap_or(RVal::NoValue);
                    let y = b.get(k).cloned().unwrap_or(RVal::NoValue);
                    (k.clone(), RVal::either(&cond, x, y))
                })
                .collect(),
        )
    }

    /// Follows a path of keys.
    #[must_use]
    pub(crate) fn path(&self, keys: &[&str]) -> Option<&RVal> {
        let mut v = self;
        for k in keys {
            v = v.get(k)?;
        }
        Some(v)
    }

    /// The known string, if the value is one.
    #[must_use]
    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            RVal::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A list of model strings: `Val::Known(list)` when the list itself is known (items may be
    /// unknown), `Val::Unknown`/`Ref` when the list is not.
    #[must_use]
    pub(crate) fn vstr_list(&self) -> Val<Vec<VStr>> {
        match self {
            RVal::List(items) => Val::Known(
                items
                    .iter()
                    .map(|i| i.vstr().unwrap_or_else(|| unknown_val(i.refs())))
                    .collect(),
            ),
            RVal::Str(_) | RVal::Num(_) | RVal::Bool(_) => {
                Val::Known(self.vstr().into_iter().collect())
            }
            RVal::Null | RVal::NoValue => Val::Known(Vec::new()),
            RVal::Partial(_) | RVal::Unknown(_) | RVal::Either(_) | RVal::Map(_) => {
                unknown_val(self.refs())
            }
        }
    }

    /// Converts a fully known value back to JSON (unknown parts become `null`).
    #[must_use]
    pub(crate) fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            RVal::Null | RVal::NoValue => Value::Null,
            RVal::Bool(b) => Value::Bool(*b),
            RVal::Num(n) => Value::Number(n.clone()),
            RVal::Str(s) => Value::String(s.clone()),
            RVal::List(items) => Value::Array(items.iter().map(RVal::to_json).collect()),
            RVal::Map(m) => {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
            RVal::Partial(_) | RVal::Unknown(_) | RVal::Either(_) => Value::Null,
        }
    }

    /// Converts plain JSON (no intrinsics) into a value.
    #[must_use]
    pub(crate) fn from_json(v: &serde_json::Value) -> RVal {
        use serde_json::Value;
        match v {
            Value::Null => RVal::Null,
            Value::Bool(b) => RVal::Bool(*b),
            Value::Number(n) => RVal::Num(n.clone()),
            Value::String(s) => RVal::Str(s.clone()),
            Value::Array(items) => RVal::List(items.iter().map(RVal::from_json).collect()),
            Value::Object(m) => RVal::Map(
                m.iter()
                    .map(|(k, v)| (k.clone(), RVal::from_json(v)))
                    .collect(),
            ),
        }
    }
}

/// `Val::Ref` when there are references, else `Val::Unknown`.
pub(crate) fn unknown_val<T>(refs: Vec<Reference>) -> Val<T> {
    if refs.is_empty() {
        Val::Unknown
    } else {
        Val::Ref(refs)
    }
}

/// Concatenates strings and partial strings (`Fn::Join`, `Fn::Sub`).
pub(crate) fn concat(parts: Vec<RVal>) -> RVal {
    let mut pieces: Vec<Piece> = Vec::new();
    let mut all_known = true;
    for p in parts {
        match p {
            RVal::Str(s) => push_lit(&mut pieces, &s),
            RVal::Num(_) | RVal::Bool(_) => {
                push_lit(&mut pieces, &p.scalar_str().unwrap_or_default());
            }
            RVal::Partial(ps) => {
                all_known = false;
                for piece in ps {
                    match piece {
                        Piece::Lit(s) => push_lit(&mut pieces, &s),
                        u @ Piece::Unknown(_) => pieces.push(u),
                    }
                }
            }
            other => {
                all_known = false;
                pieces.push(Piece::Unknown(other.refs()));
            }
        }
    }
    if all_known {
        let s: String = pieces
            .into_iter()
            .map(|p| match p {
                Piece::Lit(s) => s,
                Piece::Unknown(_) => String::new(),
            })
            .collect();
        RVal::Str(s)
    } else {
        RVal::Partial(pieces)
    }
}

fn push_lit(pieces: &mut Vec<Piece>, s: &str) {
    if let Some(Piece::Lit(last)) = pieces.last_mut() {
        last.push_str(s);
    } else {
        pieces.push(Piece::Lit(s.to_owned()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn concat_known_and_partial() {
        assert_eq!(
            concat(vec![RVal::Str("a".into()), RVal::Num(1.into())]),
            RVal::Str("a1".into())
        );
        let p = concat(vec![
            RVal::Str("arn:".into()),
            RVal::reference("Bucket", None),
            RVal::Str("/*".into()),
        ]);
        // Known in part: the literal text stays, the reference sits in its hole.
        let v = p.vstr().expect("a string");
        assert_eq!(v.to_string(), "arn:${Bucket}/*");
        assert_eq!(&*v.references(), &[Reference::new("Bucket", None)]);
        assert_eq!(concat(vec![RVal::unknown()]).vstr(), Some(Val::Unknown));
    }

    #[test]
    fn either_collapses_when_equal() {
        assert_eq!(
            RVal::either("C", RVal::Str("x".into()), RVal::Str("x".into())),
            RVal::Str("x".into())
        );
        assert!(matches!(
            RVal::either("C", RVal::Str("x".into()), RVal::NoValue),
            RVal::Either(_)
        ));
    }

    #[test]
    fn unknown_members_and_spread_either() {
        let u = RVal::unknown();
        assert_eq!(u.get("KeyPolicy"), Some(&RVal::unknown()));
        assert_eq!(u.path(&["A", "B"]), Some(&RVal::unknown()));
        let mut a = BTreeMap::new();
        a.insert("K".to_owned(), RVal::Str("x".into()));
        a.insert("Same".to_owned(), RVal::Str("s".into()));
        let mut b = BTreeMap::new();
        b.insert("Same".to_owned(), RVal::Str("s".into()));
        let v = RVal::either("C", RVal::Map(a), RVal::Map(b)).spread_either();
        assert_eq!(v.get("Same"), Some(&RVal::Str("s".into())));
        assert!(matches!(v.get("K"), Some(RVal::Either(_))));
    }

    #[test]
    fn bools_from_strings() {
        assert_eq!(RVal::Str("True".into()).bool_val(), Some(Val::Known(true)));
        assert_eq!(
            RVal::Str("false".into()).bool_val(),
            Some(Val::Known(false))
        );
        assert_eq!(RVal::unknown().bool_val(), Some(Val::Unknown));
        assert_eq!(RVal::NoValue.bool_val(), None);
    }
}
