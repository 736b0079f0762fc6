//! Matching strings known only in part (kms-semantics §1.1, §3 over [`Partial`] values).
//!
//! A [`Partial`] string is a pattern whose holes stand for text the input does not decide (a
//! pseudo parameter, a variable, an account or Region, a name AWS generates). Against another
//! string or IAM pattern it answers:
//! - **no** when no completion of the holes can match — the known text already excludes it
//!   (`arn:…:alias/x` never equals `arn:…:key/…`; `delivery.${AWS::Region}.amazonaws.com`
//!   is never `logs.amazonaws.com`);
//! - **yes** when every completion matches (tested on sample completions of each hole's
//!   class);
//! - undecided otherwise.
//!
//! "Can any completion match" is the emptiness of the intersection of two patterns; it is
//! decided on the product of the two token sequences, `O(n·m)` in their lengths.

use super::wildcard;
use super::Tri;
use crate::model::{HoleClass, Part, Partial};

/// One token of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    /// One character.
    Char(char),
    /// Any one character (`?`).
    One,
    /// Any run of characters of a class (`*` is `Any`).
    Star(HoleClass),
}

fn glob_tokens(pattern: &str) -> Vec<Tok> {
    pattern
        .chars()
        .map(|c| match c {
            '*' => Tok::Star(HoleClass::Any),
            '?' => Tok::One,
            c => Tok::Char(c),
        })
        .collect()
}

fn text_tokens(text: &str) -> Vec<Tok> {
    text.chars().map(Tok::Char).collect()
}

fn partial_tokens(p: &Partial) -> Vec<Tok> {
    let mut out = Vec::new();
    for part in &p.parts {
        match part {
            Part::Lit(s) => out.extend(s.chars().map(Tok::Char)),
            Part::Hole(h) => out.push(Tok::Star(h.class)),
        }
    }
    out
}

fn same_char(a: char, b: char, ci: bool) -> bool {
    if ci {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

/// Can one character satisfy both tokens?
fn chars_meet(a: Tok, b: Tok, ci: bool) -> bool {
    match (a, b) {
        (Tok::Char(x), Tok::Char(y)) => same_char(x, y, ci),
        (Tok::Char(c), Tok::Star(k)) | (Tok::Star(k), Tok::Char(c)) => {
            k.admits(c) || (ci && k.admits(c.to_ascii_lowercase()))
        }
        (Tok::One, _) | (_, Tok::One) => true,
        (Tok::Star(x), Tok::Star(y)) => {
            // Every class admits digits except partitions; partitions and the rest share
            // lower-case letters.
            x == HoleClass::Any
                || y == HoleClass::Any
                || !matches!(
                    (x, y),
                    (HoleClass::Account, HoleClass::Partition)
                        | (HoleClass::Partition, HoleClass::Account)
                )
        }
    }
}

/// Is there a string both token sequences accept?
fn intersects(a: &[Tok], b: &[Tok], ci: bool) -> bool {
    let (n, m) = (a.len(), b.len());
    let width = m + 1;
    let mut seen = vec![false; (n + 1) * width];
    let mut stack = vec![(0usize, 0usize)];
    seen[0] = true;
    while let Some((i, j)) = stack.pop() {
        if i == n && j == m {
            return true;
        }
        let mut push = |i: usize, j: usize, stack: &mut Vec<(usize, usize)>| {
            let at = i * width + j;
            if !seen[at] {
                seen[at] = true;
                stack.push((i, j));
            }
        };
        // A star may match nothing.
        if i < n && matches!(a[i], Tok::Star(_)) {
            push(i + 1, j, &mut stack);
        }
        if j < m && matches!(b[j], Tok::Star(_)) {
            push(i, j + 1, &mut stack);
        }
        // Both consume one common character; a star stays where it is.
        if i < n && j < m && chars_meet(a[i], b[j], ci) {
            let ni = if matches!(a[i], Tok::Star(_)) {
                i
            } else {
                i + 1
            };
            let nj = if matches!(b[j], Tok::Star(_)) {
                j
            } else {
                j + 1
            };
            if (ni, nj) != (i, j) {
                push(ni, nj, &mut stack);
            } else {
                // Two stars consuming together: equivalent to either advancing.
                push(i + 1, j, &mut stack);
                push(i, j + 1, &mut stack);
            }
        }
    }
    false
}

/// A partial string against an IAM pattern (`*` and `?` wildcards).
#[must_use]
pub(crate) fn against_pattern(p: &Partial, pattern: &str, ci: bool, span_colon: bool) -> Tri {
    if !intersects(&partial_tokens(p), &glob_tokens(pattern), ci) {
        return Tri::False;
    }
    if (0..3).all(|k| wildcard::matches(pattern, &p.sample(k), ci, span_colon)) {
        Tri::True
    } else {
        Tri::Undecided
    }
}

/// A partial string against exact text (an ARN, a service name).
#[must_use]
pub(crate) fn against_text(p: &Partial, text: &str, ci: bool) -> Tri {
    if intersects(&partial_tokens(p), &text_tokens(text), ci) {
        Tri::Undecided
    } else {
        Tri::False
    }
}

/// Two partial strings: equal when written alike, else undecided where some completion of both
/// agrees.
#[must_use]
pub(crate) fn against_partial(a: &Partial, b: &Partial, ci: bool) -> Tri {
    if a == b {
        return Tri::True;
    }
    if intersects(&partial_tokens(a), &partial_tokens(b), ci) {
        Tri::Undecided
    } else {
        Tri::False
    }
}

/// A partial pattern: a policy value whose literal text may hold IAM wildcards.
fn pattern_tokens(p: &Partial) -> Vec<Tok> {
    let mut toks = Vec::new();
    for part in &p.parts {
        match part {
            Part::Lit(s) => toks.extend(glob_tokens(s)),
            Part::Hole(h) => toks.push(Tok::Star(h.class)),
        }
    }
    toks
}

/// A partial pattern (a policy value whose literal text may hold IAM wildcards) against an
/// exact text.
#[must_use]
pub(crate) fn pattern_against_text(p: &Partial, text: &str, ci: bool) -> Tri {
    if intersects(&pattern_tokens(p), &text_tokens(text), ci) {
        Tri::Undecided
    } else {
        Tri::False
    }
}

/// A partial pattern (literal text may hold IAM wildcards) against another partial string.
#[must_use]
pub(crate) fn pattern_against_partial(p: &Partial, other: &Partial, ci: bool) -> Tri {
    if intersects(&pattern_tokens(p), &partial_tokens(other), ci) {
        Tri::Undecided
    } else {
        Tri::False
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Hole, Val};

    fn hole(class: HoleClass) -> Part {
        Part::Hole(Hole {
            class,
            refs: Vec::new(),
            label: "${x}".into(),
        })
    }

    fn lit(s: &str) -> Part {
        Part::Lit(s.into())
    }

    fn partial(parts: Vec<Part>) -> Partial {
        match Partial::build(parts) {
            Val::Partial(p) => p,
            other => panic!("not partial: {other:?}"),
        }
    }

    #[test]
    fn known_text_decides_against_patterns() {
        use HoleClass::{Account, Name, Region};
        let alias = partial(vec![
            lit("arn:aws:kms:"),
            hole(Region),
            lit(":"),
            hole(Account),
            lit(":alias/foo"),
        ]);
        let key = partial(vec![
            lit("arn:aws:kms:"),
            hole(Region),
            lit(":"),
            hole(Account),
            lit(":key/"),
            hole(Name),
        ]);
        let delivery = partial(vec![lit("delivery."), hole(Region), lit(".amazonaws.com")]);
        let generated = partial(vec![
            lit("arn:aws:iam::111122223333:role/"),
            hole(Name),
            lit("-Generated-"),
            hole(Name),
        ]);
        let cases: &[(&Partial, &str, Tri)] = &[
            (&alias, "arn:aws:kms:*:*:key/*", Tri::False),
            (&alias, "arn:aws:kms:*:*:alias/*", Tri::True),
            (&alias, "*", Tri::True),
            (&alias, "arn:aws:kms:us-east-1:*:alias/foo", Tri::Undecided),
            (&key, "arn:aws:kms:*:*:key/*", Tri::True),
            (&key, "arn:aws:kms:*:111122223333:key/*", Tri::Undecided),
            (&key, "arn:aws:kms:*:*:alias/*", Tri::False),
            (&delivery, "logs.amazonaws.com", Tri::False),
            (&delivery, "delivery.*.amazonaws.com", Tri::True),
            (
                &generated,
                "arn:aws:iam::111122223333:role/KeyAdmin",
                Tri::False,
            ),
            (&generated, "arn:aws:iam::111122223333:role/*", Tri::True),
            (
                &generated,
                "arn:aws:iam::111122223333:role/app-Generated-ABC",
                Tri::Undecided,
            ),
        ];
        for (p, pat, want) in cases {
            assert_eq!(against_pattern(p, pat, false, true), *want, "{p} vs {pat}");
        }
        assert_eq!(
            against_text(&delivery, "delivery.us-east-1.amazonaws.com", false),
            Tri::Undecided
        );
        assert_eq!(
            against_text(&delivery, "delivery.US EAST.amazonaws.com", false),
            Tri::False
        );
        assert_eq!(against_partial(&alias, &key, false), Tri::False);
        assert_eq!(against_partial(&key, &key.clone(), false), Tri::True);
    }

    #[test]
    fn intersection_is_polynomial_on_hostile_patterns() {
        let p = partial(vec![lit("a"), hole(HoleClass::Any), lit(&"a".repeat(300))]);
        let pat = format!("{}b", "*a".repeat(300));
        assert_eq!(against_pattern(&p, &pat, false, true), Tri::False);
    }
}
