//! `*` / `?` wildcard matching as IAM uses it in `Action`, `Resource`, `StringLike` and
//! `ArnLike`.
//!
//! Matching works on bytes and never allocates. A pattern may carry a literal mask: positions
//! produced by policy-variable substitution (`${*}`, or a substituted value containing `*`)
//! are literal characters, not wildcards. `?` consumes one UTF-8 character.
//!
//! Whether `*` may span `:` in a `Resource` is not documented (kms-semantics §3 [U]); callers
//! pick: spanning over-approximates a match (right for Allow), non-spanning under-approximates it
//! (right for Deny). Non-spanning matching compares the `:`-separated segments one to one; a
//! pattern that is exactly `*` still matches everything.

/// A pattern: its bytes and, when some of them came from variable substitution, a mask telling
/// which bytes are literal.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pattern<'p> {
    bytes: &'p [u8],
    literal: Option<&'p [bool]>,
}

impl<'p> Pattern<'p> {
    /// A pattern written in a policy.
    pub(crate) fn new(s: &'p str) -> Self {
        Self {
            bytes: s.as_bytes(),
            literal: None,
        }
    }

    /// A pattern with a literal mask (same length as `bytes`).
    pub(crate) fn masked(bytes: &'p [u8], literal: &'p [bool]) -> Self {
        Self {
            bytes,
            literal: Some(literal),
        }
    }

    fn is_lit(&self, i: usize) -> bool {
        self.literal
            .is_some_and(|l| l.get(i).copied().unwrap_or(false))
    }

    fn is_star(&self, i: usize) -> bool {
        self.bytes[i] == b'*' && !self.is_lit(i)
    }

    fn is_any(&self, i: usize) -> bool {
        self.bytes[i] == b'?' && !self.is_lit(i)
    }

    /// True when the pattern contains a wildcard.
    pub(crate) fn has_wildcard(&self) -> bool {
        (0..self.bytes.len()).any(|i| self.is_star(i) || self.is_any(i))
    }

    /// The bytes as text (lossy only for invalid UTF-8, which policies never hold).
    pub(crate) fn bytes(&self) -> &'p [u8] {
        self.bytes
    }

    fn slice(&self, from: usize, to: usize) -> Pattern<'p> {
        Pattern {
            bytes: &self.bytes[from..to],
            literal: self.literal.map(|l| &l[from.min(l.len())..to.min(l.len())]),
        }
    }

    /// Splits an ARN pattern into its six `:`-separated components (the last one keeps any
    /// further colons).
    pub(crate) fn arn_components(&self) -> Option<[Pattern<'p>; 6]> {
        let mut out = [Pattern {
            bytes: &[],
            literal: None,
        }; 6];
        let (mut start, mut idx) = (0usize, 0usize);
        for (i, &b) in self.bytes.iter().enumerate() {
            if idx == 5 {
                break;
            }
            if b == b':' {
                out[idx] = self.slice(start, i);
                idx += 1;
                start = i + 1;
            }
        }
        if idx < 5 {
            return None;
        }
        out[5] = self.slice(start, self.bytes.len());
        Some(out)
    }

    /// Matches `text`; `ci` folds ASCII case; `span_colon` lets `*` and `?` cross `:`.
    pub(crate) fn matches(&self, text: &str, ci: bool, span_colon: bool) -> bool {
        let t = text.as_bytes();
        if span_colon {
            return glob(*self, t, ci);
        }
        if self.bytes.len() == 1 && self.is_star(0) {
            return true;
        }
        let mut start = 0;
        let mut segments = t.split(|&b| b == b':');
        loop {
            let end = self.bytes[start..]
                .iter()
                .position(|&b| b == b':')
                .map_or(self.bytes.len(), |x| start + x);
            let Some(seg) = segments.next() else {
                return false;
            };
            if !glob(self.slice(start, end), seg, ci) {
                return false;
            }
            if end == self.bytes.len() {
                return segments.next().is_none();
            }
            start = end + 1;
        }
    }
}

/// `pattern` matches `text` (no mask).
pub(crate) fn matches(pattern: &str, text: &str, ci: bool, span_colon: bool) -> bool {
    Pattern::new(pattern).matches(text, ci, span_colon)
}

/// True when `s` holds `*` or `?`.
pub(crate) fn has_wildcard(s: &str) -> bool {
    s.bytes().any(|b| b == b'*' || b == b'?')
}

fn char_len(t: &[u8], i: usize) -> usize {
    let b = t[i];
    let n = if b < 0x80 {
        1
    } else if b >> 5 == 0b110 {
        2
    } else if b >> 4 == 0b1110 {
        3
    } else if b >> 3 == 0b11110 {
        4
    } else {
        1
    };
    n.min(t.len() - i)
}

fn byte_eq(a: u8, b: u8, ci: bool) -> bool {
    if ci {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

/// Greedy matching with backtracking to the last `*`: linear in practice, never exponential.
fn glob(p: Pattern<'_>, t: &[u8], ci: bool) -> bool {
    let pb = p.bytes;
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < pb.len() && p.is_star(pi) {
            star = Some((pi, ti));
            pi += 1;
            continue;
        }
        if pi < pb.len() && p.is_any(pi) {
            ti += char_len(t, ti);
            pi += 1;
            continue;
        }
        if pi < pb.len() && byte_eq(pb[pi], t[ti], ci) {
            pi += 1;
            ti += 1;
            continue;
        }
        if let Some((sp, st)) = star {
            let next = st + char_len(t, st);
            star = Some((sp, next));
            pi = sp + 1;
            ti = next;
            continue;
        }
        return false;
    }
    while pi < pb.len() && p.is_star(pi) {
        pi += 1;
    }
    pi == pb.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        let cases: &[(&str, &str, bool, bool, bool)] = &[
            ("kms:*", "kms:Decrypt", true, true, true),
            ("KMS:decrypt", "kms:Decrypt", true, true, true),
            ("kms:Decrypt", "kms:decrypt", false, true, false),
            ("kms:ReEncrypt*", "kms:ReEncryptFrom", true, true, true),
            ("kms:Re?ncrypt*", "kms:ReEncryptTo", true, true, true),
            ("kms:Generate*", "kms:Decrypt", true, true, false),
            ("*", "arn:aws:kms:us-east-1:1:key/k", false, false, true),
            (
                "arn:aws:kms:*",
                "arn:aws:kms:us-east-1:1:key/k",
                false,
                true,
                true,
            ),
            (
                "arn:aws:kms:*",
                "arn:aws:kms:us-east-1:1:key/k",
                false,
                false,
                false,
            ),
            (
                "arn:aws:kms:*:1:key/*",
                "arn:aws:kms:us-east-1:1:key/k",
                false,
                false,
                true,
            ),
            ("a*b*c", "aXXbYYc", false, true, true),
            ("a*b*c", "aXXbYY", false, true, false),
            ("", "", false, true, true),
            ("?", "é", false, true, true),
        ];
        for &(p, t, ci, span, want) in cases {
            assert_eq!(matches(p, t, ci, span), want, "{p} vs {t}");
        }
    }

    #[test]
    fn mask_makes_star_literal() {
        let bytes = b"a*";
        let lit = [false, true];
        let p = Pattern::masked(bytes, &lit);
        assert!(p.matches("a*", false, true));
        assert!(!p.matches("ab", false, true));
        assert!(!p.has_wildcard());
    }
}
