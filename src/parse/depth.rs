//! A linear pre-check of nesting depth, before a document is handed to a parser.
//!
//! serde_json and yaml_serde stop at 128 levels, but not in linear time on every path: the
//! YAML scanner keeps one pending simple key per open flow collection and walks all of them on
//! every token (100,000 nested `[` took over 20 s to be refused), and the template line index
//! keeps one pointer per open level (quadratic memory on 100,000 nested JSON brackets). This
//! scan refuses such documents in one pass over the text, with the line where the nesting
//! passes [`DEPTH_GUARD`] levels.
//!
//! JSON is scanned exactly (brackets outside strings). YAML is scanned for flow collections
//! (`[`, `{`) outside quoted scalars, comments and block scalars; a bracket inside a plain
//! scalar in block context is not an opening one. Block nesting needs at least one more
//! column of indentation per level, so its text grows with the square of its depth and the
//! parsers' own limit refuses it in time linear in its size. The guard sits well above the
//! parsers' limit, so a document this scan lets through is still bounded by the parser, and a
//! miscount on odd YAML cannot refuse a document the parser would accept.

use crate::error::InputError;

/// Nesting depth past which a document is refused before parsing. The parsers refuse from 129
/// levels on; no real template or plan comes near either.
pub const DEPTH_GUARD: usize = 1000;

/// How far back a YAML flow opener at block level looks for the `key:` or `- ` it belongs to
/// (tags and anchors included). Longer prefixes are not counted, which only makes the guard
/// more lenient.
const LOOKBACK: usize = 256;

/// Refuses a document nested deeper than [`DEPTH_GUARD`]: JSON when the text starts with `{`
/// or `[`, else YAML.
///
/// # Errors
/// The file, the line and column where the nesting passes the guard.
pub fn check(display: &str, text: &str) -> Result<(), InputError> {
    let text = text.trim_start_matches('\u{feff}');
    let trimmed = text.trim_start();
    let deep = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        json_too_deep(text)
    } else {
        yaml_too_deep(text)
    };
    match deep {
        None => Ok(()),
        Some((line, column)) => Err(InputError::new(
            display,
            format!(
                "nested more than {DEPTH_GUARD} levels deep; keyreach reads documents nested up \
                 to 128 levels"
            ),
        )
        .at(line, column)),
    }
}

/// Line and column (1-based) where JSON nesting passes the guard.
fn json_too_deep(text: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let (mut depth, mut line, mut line_start) = (0usize, 1usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                line += 1;
                line_start = i + 1;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() {
                    match bytes[i] {
                        b'\\' => i += 1,
                        b'"' => break,
                        b'\n' => {
                            line += 1;
                            line_start = i + 1;
                        }
                        _ => {}
                    }
                    i += 1;
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > DEPTH_GUARD {
                    return Some((line, column(text, line_start, i)));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

fn column(text: &str, line_start: usize, at: usize) -> usize {
    text.get(line_start..at)
        .map_or(1, |s| s.chars().count() + 1)
}

/// Line and column (1-based) where YAML flow nesting passes the guard.
fn yaml_too_deep(text: &str) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    // Open quoted scalar: its quote character.
    let mut quote: Option<u8> = None;
    // Inside a block scalar whose owner line has this indentation.
    let mut block: Option<usize> = None;
    for (n, line) in text.split('\n').enumerate() {
        let bytes = line.as_bytes();
        let indent = bytes.iter().take_while(|b| **b == b' ').count();
        if let Some(owner) = block {
            if line.trim().is_empty() || indent > owner {
                continue;
            }
            block = None;
        }
        let mut i = if quote.is_none() { indent } else { 0 };
        while i < bytes.len() {
            let c = bytes[i];
            if let Some(q) = quote {
                match c {
                    b'\\' if q == b'"' => i += 1,
                    b'\'' if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 1,
                    _ if c == q => quote = None,
                    _ => {}
                }
                i += 1;
                continue;
            }
            let prev = if i == 0 { None } else { Some(bytes[i - 1]) };
            let after_space = prev.is_none_or(|p| p == b' ' || p == b'\t');
            match c {
                b'#' if after_space => break,
                b'"' | b'\'' if after_space || matches!(prev, Some(b'[' | b'{' | b',' | b':')) => {
                    quote = Some(c);
                }
                b'[' | b'{' if depth > 0 || starts_value(&line[..i]) => {
                    depth += 1;
                    if depth > DEPTH_GUARD {
                        return Some((n + 1, line[..i].chars().count() + 1));
                    }
                }
                b']' | b'}' if depth > 0 => depth -= 1,
                b'|' | b'>' if depth == 0 && starts_value(&line[..i]) => {
                    let rest = line[i + 1..].trim_start_matches(|ch: char| {
                        ch.is_ascii_digit() || ch == '+' || ch == '-'
                    });
                    let rest = rest.trim_start();
                    if rest.is_empty() || rest.starts_with('#') {
                        block = Some(indent);
                    }
                    break;
                }
                _ => {}
            }
            i += 1;
        }
    }
    None
}

/// True when a node starting right after `before` (the line up to it) is the start of a value
/// at block level: at the start of the line, or after `key:`, `- ` or `? `, with tags and
/// anchors in between.
fn starts_value(before: &str) -> bool {
    if before.len() > LOOKBACK {
        return false;
    }
    let mut b = before.trim_end_matches([' ', '\t']);
    // Tags and anchors (`!Ref [`, `&a {`) stand between the indicator and the value.
    loop {
        let token_start = b.rfind([' ', '\t']).map_or(0, |p| p + 1);
        let token = &b[token_start..];
        if token.starts_with('!') || token.starts_with('&') {
            b = b[..token_start].trim_end_matches([' ', '\t']);
            continue;
        }
        break;
    }
    if b.is_empty() {
        return true;
    }
    if b.len() == before.len() {
        // No whitespace between the indicator and the value: `a:[` is a plain scalar.
        return false;
    }
    let last = b.as_bytes()[b.len() - 1];
    match last {
        b':' => true,
        b'-' | b'?' => b.len() == 1 || matches!(b.as_bytes()[b.len() - 2], b' ' | b'\t'),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::{check, starts_value, DEPTH_GUARD};

    #[test]
    fn deep_json_and_yaml_are_refused_with_their_line() {
        let n = DEPTH_GUARD + 1;
        let json = format!("{{\"Resources\":\n{}{}}}", "[".repeat(n), "]".repeat(n));
        let e = check("t.json", &json).expect_err("too deep");
        assert_eq!((e.line, e.column), (Some(2), Some(1000)));
        assert!(e.message.contains("nested more than 1000 levels"), "{e}");
        let yaml = format!("Resources:\n  A: {}\n", "[".repeat(n));
        let e = check("t.yaml", &yaml).expect_err("too deep");
        assert_eq!(e.line, Some(2));
        for opener in ["{a: ", "!Ref [", "&x [", "- ["] {
            let yaml = format!("Resources:\n  A: {}\n", opener.repeat(n));
            assert!(check("t.yaml", &yaml).is_err(), "{opener}");
        }
        let yaml = format!("Resources:\n  A:\n{}", "  - [\n".repeat(n));
        assert!(check("t.yaml", &yaml).is_err());
    }

    #[test]
    fn brackets_that_do_not_nest_are_not_counted() {
        let n = DEPTH_GUARD + 10;
        let deep = "[".repeat(n);
        for ok in [
            format!("{{\"a\": \"{deep}\"}}"),
            format!("{{\"a\": \"\\\"{deep}\"}}"),
            format!("a: \"{deep}\"\n"),
            format!("a: '{deep}'\n"),
            format!("a: 'it''s {deep}'\n"),
            format!("a: x{deep}\n"),
            format!("a: text {deep}\n"),
            format!("a: # {deep}\n"),
            format!("a: |\n  {deep}\n  {deep}\nb: 1\n"),
            format!("a: >-\n  {deep}\nb: 1\n"),
            format!("- !Sub '{deep}'\n"),
            format!("a: \"multi\n  line {deep}\"\n"),
            format!("{}\n", "[a]\n".repeat(n)),
        ] {
            assert!(check("t", &ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn value_starts() {
        for (before, yes) in [
            ("", true),
            ("  ", true),
            ("a: ", true),
            ("- ", true),
            ("  - ", true),
            ("? ", true),
            ("a: !Ref ", true),
            ("a: &x !Sub ", true),
            ("a:", false),
            ("a: b ", false),
            ("a- ", false),
            ("text ", false),
        ] {
            assert_eq!(starts_value(before), yes, "{before:?}");
        }
    }
}
