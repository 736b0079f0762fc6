//! Template `Conditions`: `Fn::Equals`, `Fn::And`, `Fn::Or`, `Fn::Not` and `Condition`,
//! evaluated in three values.
//!
//! A condition over an unknown value (a parameter without default, `AWS::Region` when no
//! `--region` is given) is `Unknown`. The choice for undecided conditions, applied everywhere:
//! a resource under an `Unknown` condition is kept (it may exist), and an `Fn::If` over it keeps
//! both branches unless they agree ([`super::rval::RVal::Either`]); policy statements inside
//! such branches become conditional statements (see [`super::policy`]). Nothing is guessed, so
//! no access is dropped because of an undecided condition.

use super::resolve::{Ctx, Path, Truth};
use super::rval::RVal;
use crate::error::pointer_token;
use serde_json::Value;

impl Ctx<'_> {
    /// The truth of a named condition of an instance's template.
    pub(crate) fn condition(&self, inst: usize, name: &str, at: &Path) -> Truth {
        if let Some(t) = self.conditions.borrow().get(inst).and_then(|m| m.get(name)) {
            return *t;
        }
        let Some(raw) = self
            .template(inst)
            .root
            .get("Conditions")
            .and_then(|c| c.get(name))
        else {
            self.error(
                inst,
                &at.render(),
                format!("condition `{name}` is not declared in Conditions"),
            );
            return Truth::Unknown;
        };
        let base = format!("/Conditions/{}", pointer_token(name));
        let t = match self.nested((2, inst, name), || {
            self.eval_condition(inst, raw, &Path::Root(&base))
        }) {
            Some(t) => t,
            None => {
                self.error(inst, &base, format!("condition `{name}` depends on itself"));
                Truth::Unknown
            }
        };
        if let Some(m) = self.conditions.borrow_mut().get_mut(inst) {
            m.insert(name.to_owned(), t);
        }
        t
    }

    fn eval_condition(&self, inst: usize, v: &Value, at: &Path) -> Truth {
        match v {
            Value::Bool(b) => return truth(*b),
            Value::String(s) if s.eq_ignore_ascii_case("true") => return Truth::True,
            Value::String(s) if s.eq_ignore_ascii_case("false") => return Truth::False,
            _ => {}
        }
        let Some((op, arg)) = v
            .as_object()
            .filter(|m| m.len() == 1)
            .and_then(|m| m.iter().next())
        else {
            self.error(
                inst,
                &at.render(),
                "a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or Condition",
            );
            return Truth::Unknown;
        };
        let at = Path::Key(at, op);
        let list = |min: usize, max: usize| -> Option<&Vec<Value>> {
            match arg {
                Value::Array(items) if (min..=max).contains(&items.len()) => Some(items),
                _ => {
                    self.error(
                        inst,
                        &at.render(),
                        format!("{op} takes a list of {min} to {max} items"),
                    );
                    None
                }
            }
        };
        match op.as_str() {
            "Fn::Equals" => {
                let Some(items) = list(2, 2) else {
                    return Truth::Unknown;
                };
                let a = self.resolve(inst, &items[0], &Path::Idx(&at, 0));
                let b = self.resolve(inst, &items[1], &Path::Idx(&at, 1));
                equals(&a, &b)
            }
            "Fn::And" | "Fn::Or" => {
                let Some(items) = list(2, 10) else {
                    return Truth::Unknown;
                };
                let is_and = op == "Fn::And";
                let mut out = truth(is_and);
                for (i, item) in items.iter().enumerate() {
                    let t = self.eval_condition(inst, item, &Path::Idx(&at, i));
                    out = if is_and { and(out, t) } else { or(out, t) };
                }
                out
            }
            "Fn::Not" => {
                let Some(items) = list(1, 1) else {
                    return Truth::Unknown;
                };
                not(self.eval_condition(inst, &items[0], &Path::Idx(&at, 0)))
            }
            "Condition" => match arg.as_str() {
                Some(name) => self.condition(inst, name, &at),
                None => {
                    self.error(inst, &at.render(), "Condition takes a condition name");
                    Truth::Unknown
                }
            },
            other => {
                self.error(
                    inst,
                    &at.render(),
                    format!("`{other}` is not a condition function"),
                );
                Truth::Unknown
            }
        }
    }
}

fn truth(b: bool) -> Truth {
    if b {
        Truth::True
    } else {
        Truth::False
    }
}

fn and(a: Truth, b: Truth) -> Truth {
    match (a, b) {
        (Truth::False, _) | (_, Truth::False) => Truth::False,
        (Truth::True, Truth::True) => Truth::True,
        _ => Truth::Unknown,
    }
}

fn or(a: Truth, b: Truth) -> Truth {
    match (a, b) {
        (Truth::True, _) | (_, Truth::True) => Truth::True,
        (Truth::False, Truth::False) => Truth::False,
        _ => Truth::Unknown,
    }
}

fn not(a: Truth) -> Truth {
    match a {
        Truth::True => Truth::False,
        Truth::False => Truth::True,
        Truth::Unknown => Truth::Unknown,
    }
}

/// `Fn::Equals` in three values. Scalars compare as strings (`"1"` equals `1`), as
/// CloudFormation compares them; an undecided `Fn::If` compares both branches.
pub(crate) fn equals(a: &RVal, b: &RVal) -> Truth {
    match (a, b) {
        (RVal::Either(e), other) | (other, RVal::Either(e)) => {
            match (equals(&e.then, other), equals(&e.other, other)) {
                (x, y) if x == y => x,
                _ => Truth::Unknown,
            }
        }
        (RVal::List(x), RVal::List(y)) => {
            if x.len() != y.len() {
                return Truth::False;
            }
            x.iter()
                .zip(y)
                .map(|(p, q)| equals(p, q))
                .fold(Truth::True, and)
        }
        (RVal::Map(x), RVal::Map(y)) => {
            if x.len() != y.len() || !x.keys().eq(y.keys()) {
                return Truth::False;
            }
            x.values()
                .zip(y.values())
                .map(|(p, q)| equals(p, q))
                .fold(Truth::True, and)
        }
        _ if !a.is_known() || !b.is_known() => Truth::Unknown,
        _ => match (a.scalar_str(), b.scalar_str()) {
            (Some(x), Some(y)) => truth(x == y),
            _ => truth(a == b),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_valued_logic() {
        use Truth::{False as F, True as T, Unknown as U};
        assert_eq!(and(T, U), U);
        assert_eq!(and(F, U), F);
        assert_eq!(or(T, U), T);
        assert_eq!(or(F, U), U);
        assert_eq!(not(U), U);
        let s = |x: &str| RVal::Str(x.into());
        assert_eq!(equals(&s("1"), &RVal::Num(1.into())), T);
        assert_eq!(equals(&s("a"), &s("b")), F);
        assert_eq!(equals(&s("a"), &RVal::unknown()), U);
        assert_eq!(equals(&RVal::either("C", s("a"), s("b")), &s("c")), F);
        assert_eq!(equals(&RVal::either("C", s("a"), s("b")), &s("a")), U);
    }
}
