//! String and path functions (`format`, `join`, `split`, `replace`, ...). Arguments are wholly
//! known when these run (the caller returns unknown otherwise). Regular-expression functions
//! are not implemented (no regex engine in keyreach's dependencies); they are notes and unknown.

use super::{num_arg, string_items, text_arg, Outcome};
use crate::parse::tf_hcl::eval::{MAX_ITEMS, MAX_STRING};
use crate::parse::tf_hcl::value::{format_number, Value};
use std::fmt::Write as _;

/// Functions here that handle unknown arguments themselves (none).
pub(crate) fn handles_unknown(_name: &str) -> bool {
    false
}

fn s(t: impl Into<String>) -> Result<Value, String> {
    let t = t.into();
    if t.len() > MAX_STRING {
        return Err(format!("result is longer than {MAX_STRING} bytes"));
    }
    Ok(Value::String(t))
}

/// Calls a string function.
pub(crate) fn call(name: &str, args: &[Value]) -> Outcome {
    let r = match name {
        "format" => text_arg(args, 0).and_then(|f| format(&f, &args[1..]).and_then(s)),
        "formatlist" => formatlist(args),
        "join" => join(args),
        "split" => (|| {
            let sep = text_arg(args, 0)?;
            let t = text_arg(args, 1)?;
            if sep.is_empty() {
                return Ok(Value::list(
                    t.chars().map(|c| Value::String(c.to_string())).collect(),
                ));
            }
            let parts: Vec<Value> = t
                .split(sep.as_str())
                .map(|p| Value::String(p.to_owned()))
                .collect();
            if parts.len() > MAX_ITEMS {
                return Err(format!("more than {MAX_ITEMS} parts"));
            }
            Ok(Value::list(parts))
        })(),
        "replace" => (|| {
            let t = text_arg(args, 0)?;
            let from = text_arg(args, 1)?;
            let to = text_arg(args, 2)?;
            if from.len() >= 2 && from.starts_with('/') && from.ends_with('/') {
                return Err("\u{0}unsupported".into());
            }
            if from.is_empty() {
                return s(t);
            }
            s(t.replace(&from, &to))
        })(),
        "lower" => text_arg(args, 0).and_then(|t| s(t.to_lowercase())),
        "upper" => text_arg(args, 0).and_then(|t| s(t.to_uppercase())),
        "title" => text_arg(args, 0).and_then(|t| s(title(&t))),
        "trimprefix" => (|| {
            let t = text_arg(args, 0)?;
            let p = text_arg(args, 1)?;
            s(t.strip_prefix(p.as_str()).unwrap_or(&t).to_owned())
        })(),
        "trimsuffix" => (|| {
            let t = text_arg(args, 0)?;
            let p = text_arg(args, 1)?;
            s(t.strip_suffix(p.as_str()).unwrap_or(&t).to_owned())
        })(),
        "trimspace" => text_arg(args, 0).and_then(|t| s(t.trim())),
        "trim" => (|| {
            let t = text_arg(args, 0)?;
            let cut = text_arg(args, 1)?;
            s(t.trim_matches(|c| cut.contains(c)))
        })(),
        "chomp" => text_arg(args, 0).and_then(|t| s(t.trim_end_matches(['\n', '\r']))),
        "strrev" => text_arg(args, 0).and_then(|t| s(t.chars().rev().collect::<String>())),
        "substr" => (|| {
            let t: Vec<char> = text_arg(args, 0)?.chars().collect();
            let off = num_arg(args, 1)?;
            let len = num_arg(args, 2)?;
            #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
            let n = t.len() as i64;
            #[allow(clippy::cast_possible_truncation)]
            let mut start = off as i64;
            if start < 0 {
                start += n;
            }
            let start = start.clamp(0, n);
            #[allow(clippy::cast_possible_truncation)]
            let end = if len < 0.0 {
                n
            } else {
                (start + len as i64).min(n)
            };
            #[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)]
            s(t[start as usize..end.max(start) as usize]
                .iter()
                .collect::<String>())
        })(),
        "startswith" => (|| {
            Ok(Value::Bool(
                text_arg(args, 0)?.starts_with(&text_arg(args, 1)?),
            ))
        })(),
        "endswith" => (|| {
            Ok(Value::Bool(
                text_arg(args, 0)?.ends_with(&text_arg(args, 1)?),
            ))
        })(),
        "strcontains" => (|| {
            Ok(Value::Bool(
                text_arg(args, 0)?.contains(&text_arg(args, 1)?),
            ))
        })(),
        "indent" => (|| {
            let n = num_arg(args, 0)?;
            let t = text_arg(args, 1)?;
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let pad = " ".repeat((n as usize).min(1024));
            s(t.replace('\n', &format!("\n{pad}")))
        })(),
        "base64encode" => text_arg(args, 0).and_then(|t| s(base64_encode(t.as_bytes()))),
        "base64decode" => text_arg(args, 0).and_then(|t| {
            let bytes = base64_decode(&t).ok_or("invalid base64")?;
            String::from_utf8(bytes)
                .map_err(|_| "decoded bytes are not UTF-8".to_owned())
                .and_then(s)
        }),
        "urlencode" => text_arg(args, 0).and_then(|t| s(urlencode(&t))),
        "basename" => text_arg(args, 0).and_then(|t| {
            s(t.trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or_default())
        }),
        "dirname" => text_arg(args, 0).and_then(|t| {
            s(match t.trim_end_matches('/').rsplit_once('/') {
                Some((d, _)) if !d.is_empty() => d.to_owned(),
                Some(_) => "/".to_owned(),
                None => ".".to_owned(),
            })
        }),
        "yamldecode" => text_arg(args, 0).and_then(|t| {
            yaml_serde::from_str::<serde_json::Value>(&t)
                .map(|j| Value::from_json(&j))
                .map_err(|e| format!("invalid YAML: {e}"))
        }),
        _ => Err("\u{0}unsupported".into()),
    };
    match r {
        Err(e) if e == "\u{0}unsupported" => Outcome::Unsupported,
        other => other.into(),
    }
}

fn join(args: &[Value]) -> Result<Value, String> {
    let sep = text_arg(args, 0)?;
    let mut parts = Vec::new();
    for a in &args[1..] {
        parts.extend(string_items(a)?);
    }
    s(parts.join(&sep))
}

fn title(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut start = true;
    for c in t.chars() {
        if start && c.is_alphabetic() {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        start = !c.is_alphanumeric();
    }
    out
}

fn formatlist(args: &[Value]) -> Result<Value, String> {
    let f = text_arg(args, 0)?;
    let rest = &args[1..];
    let mut n: Option<usize> = None;
    for a in rest {
        if let Value::List(items) = a {
            match n {
                Some(m) if m != items.len() => {
                    return Err("all lists must have the same length".into())
                }
                _ => n = Some(items.len()),
            }
        }
    }
    let n = n.unwrap_or(1);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let row: Vec<Value> = rest
            .iter()
            .map(|a| match a {
                Value::List(items) => items.get(i).cloned().unwrap_or(Value::Null),
                other => other.clone(),
            })
            .collect();
        out.push(Value::String(format(&f, &row)?));
    }
    Ok(Value::list(out))
}

/// Terraform's `format`: Go-style verbs `%s %d %f %q %v %t %x %e %g %%`, flags, width,
/// precision and explicit argument indexes `%[2]s`.
pub(crate) fn format(f: &str, args: &[Value]) -> Result<String, String> {
    let mut out = String::new();
    let chars: Vec<char> = f.chars().collect();
    let mut i = 0;
    let mut next_arg = 0usize;
    while i < chars.len() {
        let c = chars[i];
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        i += 1;
        let mut minus = false;
        let mut plus = false;
        let mut zero = false;
        let mut space = false;
        while let Some(&fl) = chars.get(i) {
            match fl {
                '-' => minus = true,
                '+' => plus = true,
                '0' => zero = true,
                ' ' => space = true,
                '#' => {}
                _ => break,
            }
            i += 1;
        }
        if chars.get(i) == Some(&'[') {
            let close = chars[i..]
                .iter()
                .position(|&x| x == ']')
                .ok_or("unclosed [ in format")?;
            let idx: String = chars[i + 1..i + close].iter().collect();
            let idx: usize = idx.parse().map_err(|_| "invalid argument index")?;
            next_arg = idx.checked_sub(1).ok_or("argument indexes start at 1")?;
            i += close + 1;
        }
        let mut width = String::new();
        while let Some(d) = chars.get(i).filter(|d| d.is_ascii_digit()) {
            width.push(*d);
            i += 1;
        }
        let mut precision: Option<usize> = None;
        if chars.get(i) == Some(&'.') {
            i += 1;
            let mut p = String::new();
            while let Some(d) = chars.get(i).filter(|d| d.is_ascii_digit()) {
                p.push(*d);
                i += 1;
            }
            precision = Some(p.parse().unwrap_or(0).min(64));
        }
        let width: usize = width.parse().unwrap_or(0).min(1024);
        let Some(&verb) = chars.get(i) else {
            return Err("format string ends with %".into());
        };
        i += 1;
        if verb == '%' {
            out.push('%');
            continue;
        }
        let a = args
            .get(next_arg)
            .ok_or("not enough arguments for format")?;
        next_arg += 1;
        let mut text = match verb {
            's' | 'v' => match a {
                Value::List(_) | Value::Object(_) => {
                    a.to_json().map(|j| j.to_string()).ok_or("unknown value")?
                }
                Value::Null if verb == 'v' => "null".into(),
                _ => a.to_text()?.ok_or("unknown value")?,
            },
            'q' => serde_json::Value::String(a.to_text()?.ok_or("unknown value")?).to_string(),
            't' => a.to_bool()?.ok_or("unknown value")?.to_string(),
            'd' => {
                let n = a.to_number()?.ok_or("unknown value")?;
                if n.fract() != 0.0 {
                    return Err(format!("%d needs a whole number, found {n}"));
                }
                let t = format_number(n);
                if plus && n >= 0.0 {
                    format!("+{t}")
                } else if space && n >= 0.0 {
                    format!(" {t}")
                } else {
                    t
                }
            }
            'f' | 'F' => {
                let n = a.to_number()?.ok_or("unknown value")?;
                format!("{n:.*}", precision.unwrap_or(6))
            }
            'e' => {
                let n = a.to_number()?.ok_or("unknown value")?;
                format!("{n:.*e}", precision.unwrap_or(6))
            }
            'g' => format_number(a.to_number()?.ok_or("unknown value")?),
            'x' | 'X' | 'o' | 'b' => {
                let n = a.to_number()?.ok_or("unknown value")?;
                #[allow(clippy::cast_possible_truncation)]
                let n = n as i64;
                match verb {
                    'x' => format!("{n:x}"),
                    'X' => format!("{n:X}"),
                    'o' => format!("{n:o}"),
                    _ => format!("{n:b}"),
                }
            }
            other => return Err(format!("unsupported format verb %{other}")),
        };
        if let (Some(p), 's' | 'v' | 'q') = (precision, verb) {
            text = text.chars().take(p).collect();
        }
        let len = text.chars().count();
        if len < width {
            let pad = width - len;
            if minus {
                text.push_str(&" ".repeat(pad));
            } else if zero && matches!(verb, 'd' | 'f' | 'F' | 'x' | 'X' | 'o' | 'b' | 'e') {
                let (sign, digits) = match text.strip_prefix('-') {
                    Some(d) => ("-", d.to_owned()),
                    None => ("", text.clone()),
                };
                text = format!("{sign}{}{digits}", "0".repeat(pad));
            } else {
                text = format!("{}{text}", " ".repeat(pad));
            }
        }
        out.push_str(&text);
        if out.len() > MAX_STRING {
            return Err(format!("result is longer than {MAX_STRING} bytes"));
        }
    }
    Ok(out)
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * k)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(t: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in t.bytes().filter(|c| !c.is_ascii_whitespace()) {
        if c == b'=' {
            break;
        }
        let v = u32::try_from(B64.iter().position(|&x| x == c)?).ok()?;
        buf = (buf << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((buf >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

fn urlencode(t: &str) -> String {
    let mut out = String::new();
    for b in t.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: &str) -> Value {
        Value::String(x.into())
    }

    #[test]
    fn format_verbs() {
        assert_eq!(
            format("arn:aws:iam::%s:role/%s", &[v("123"), v("app")]).as_deref(),
            Ok("arn:aws:iam::123:role/app")
        );
        assert_eq!(
            format(
                "%03d|%-4s|%q|%%|%.2f",
                &[Value::Number(7.0), v("ab"), v("x"), Value::Number(1.5)]
            )
            .as_deref(),
            Ok("007|ab  |\"x\"|%|1.50")
        );
        assert_eq!(
            format("%[2]s-%[1]s", &[v("a"), v("b")]).as_deref(),
            Ok("b-a")
        );
        assert!(format("%s %s", &[v("a")]).is_err());
    }

    #[test]
    fn string_functions() {
        let out = |n: &str, a: &[Value]| match call(n, a) {
            Outcome::Value(v) => v,
            Outcome::Error(e) => panic!("{e}"),
            Outcome::Unsupported => panic!("unsupported {n}"),
        };
        assert_eq!(
            out("join", &[v(","), Value::list(vec![v("a"), v("b")])]),
            v("a,b")
        );
        assert_eq!(
            out("split", &[v(","), v("a,b")]),
            Value::list(vec![v("a"), v("b")])
        );
        assert_eq!(out("replace", &[v("a-b-c"), v("-"), v("_")]), v("a_b_c"));
        assert!(matches!(
            call("replace", &[v("a"), v("/a/"), v("b")]),
            Outcome::Unsupported
        ));
        assert_eq!(out("trimprefix", &[v("alias/x"), v("alias/")]), v("x"));
        assert_eq!(out("title", &[v("hello world")]), v("Hello World"));
        assert_eq!(
            out(
                "substr",
                &[v("hello"), Value::Number(1.0), Value::Number(3.0)]
            ),
            v("ell")
        );
        assert_eq!(
            out("base64decode", &[out("base64encode", &[v("hi there")])]),
            v("hi there")
        );
        assert_eq!(
            out(
                "formatlist",
                &[v("%s-x"), Value::list(vec![v("a"), v("b")])]
            ),
            Value::list(vec![v("a-x"), v("b-x")])
        );
    }
}
