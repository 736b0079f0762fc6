//! The YAML half of the position index: a line scanner over block structure (mapping keys,
//! `- ` items, indentless lists, block scalars, multi-line flow collections and quoted
//! scalars). It never fails; what it cannot place falls back to the nearest ancestor.

use super::PosIndex;
use crate::error::pointer_token;

impl PosIndex {
    pub(super) fn scan_yaml(&mut self, text: &str, all_keys: bool) {
        let mut sc = YamlScan {
            all_keys,
            ..YamlScan::default()
        };
        for (n, raw) in text.lines().enumerate() {
            let line_no = u32::try_from(n + 1).unwrap_or(u32::MAX);
            match &mut sc.mode {
                Mode::Block { min_indent } => {
                    let ind = indent_of(raw);
                    if raw.trim().is_empty() || ind >= *min_indent {
                        continue;
                    }
                    sc.mode = Mode::Normal;
                }
                Mode::Flow(state) => {
                    state.feed(raw);
                    if state.done() {
                        sc.mode = Mode::Normal;
                    }
                    continue;
                }
                Mode::Normal => {}
            }
            let ind = indent_of(raw);
            let rest = &raw[ind..];
            if rest.is_empty() || rest.starts_with('#') || rest.starts_with('%') {
                continue;
            }
            if ind == 0 && (rest.starts_with("---") || rest.starts_with("...")) {
                let after = rest.get(3..).unwrap_or_default().trim();
                if after.is_empty() || after.starts_with('#') {
                    sc.stack.clear();
                    continue;
                }
            }
            sc.line_entries(self, ind, rest, line_no);
        }
    }
}

fn indent_of(s: &str) -> usize {
    s.bytes().take_while(|b| *b == b' ').count()
}

#[derive(Default)]
enum Mode {
    #[default]
    Normal,
    /// Inside a block scalar: lines indented at least this much belong to it.
    Block { min_indent: usize },
    /// Inside a flow collection or quoted scalar that spans lines.
    Flow(FlowState),
}

#[derive(Default)]
struct FlowState {
    depth: i64,
    quote: Option<u8>,
}

impl FlowState {
    fn feed(&mut self, s: &str) {
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            match self.quote {
                Some(b'"') => {
                    if c == b'\\' {
                        i += 1;
                    } else if c == b'"' {
                        self.quote = None;
                    }
                }
                Some(q) => {
                    if c == q {
                        if b.get(i + 1) == Some(&q) {
                            i += 1;
                        } else {
                            self.quote = None;
                        }
                    }
                }
                None => match c {
                    b'"' | b'\'' => self.quote = Some(c),
                    b'[' | b'{' => self.depth += 1,
                    b']' | b'}' => self.depth -= 1,
                    b'#' if i == 0 || b[i - 1] == b' ' => break,
                    _ => {}
                },
            }
            i += 1;
        }
    }

    fn done(&self) -> bool {
        self.quote.is_none() && self.depth <= 0
    }
}

#[derive(PartialEq, Clone, Copy)]
enum Kind {
    Map,
    Seq,
}

struct Frame {
    indent: usize,
    kind: Kind,
    pointer: String,
    next_idx: usize,
    last_child: Option<String>,
}

#[derive(Default)]
struct YamlScan {
    stack: Vec<Frame>,
    mode: Mode,
    /// Record every entry, not only those holding containers.
    all_keys: bool,
}

impl YamlScan {
    /// Handles the entries that start on one line (`- - key: value` has three).
    fn line_entries(&mut self, idx: &mut PosIndex, mut col: usize, mut rest: &str, line: u32) {
        loop {
            if rest == "-" || rest.starts_with("- ") {
                let after = &rest[1..];
                let skip = 1 + indent_of(after);
                let item = rest.get(skip..).unwrap_or_default();
                let container = self.all_keys || is_container_item(item);
                if let Some(p) = self.entry(col, Kind::Seq, None, container) {
                    idx.record(p, line);
                }
                col += skip;
                rest = item;
                if rest.is_empty() || rest.starts_with('#') {
                    return;
                }
                continue;
            }
            if let Some((key, value)) = split_key(rest) {
                let container = self.all_keys || is_container_value(value);
                if let Some(p) = self.entry(col, Kind::Map, Some(&key), container) {
                    idx.record_key(p, line);
                }
                self.value_mode(value, col);
                return;
            }
            self.value_mode(rest, col.saturating_sub(1));
            return;
        }
    }

    /// Decides whether a value starts a block scalar or a multi-line flow/quoted node.
    /// `owner_col` is the column of the key or `-` the value belongs to.
    fn value_mode(&mut self, value: &str, owner_col: usize) {
        let v = strip_props(value.trim());
        if v.starts_with('|') || v.starts_with('>') {
            let header = &v[1..];
            if header
                .split('#')
                .next()
                .unwrap_or_default()
                .trim()
                .chars()
                .all(|c| c == '-' || c == '+' || c.is_ascii_digit())
            {
                self.mode = Mode::Block {
                    min_indent: owner_col + 1,
                };
            }
            return;
        }
        if v.starts_with('[') || v.starts_with('{') || v.starts_with('"') || v.starts_with('\'') {
            let mut st = FlowState::default();
            st.feed(v);
            if !st.done() {
                self.mode = Mode::Flow(st);
            }
        }
    }

    /// Places one entry in the structure; returns its pointer when its value is a container.
    fn entry(
        &mut self,
        col: usize,
        kind: Kind,
        key: Option<&str>,
        container: bool,
    ) -> Option<String> {
        while self.stack.last().is_some_and(|f| f.indent > col) {
            self.stack.pop();
        }
        let same = self.stack.last().is_some_and(|f| f.indent == col);
        if same {
            let top_kind = self.stack.last().map(|f| f.kind);
            match (top_kind, kind) {
                (Some(Kind::Seq), Kind::Map) => {
                    self.stack.pop();
                    if !self
                        .stack
                        .last()
                        .is_some_and(|f| f.indent == col && f.kind == Kind::Map)
                    {
                        self.push(col, kind);
                    }
                }
                (Some(Kind::Map), Kind::Seq) => self.push(col, kind),
                _ => {}
            }
        } else {
            self.push(col, kind);
        }
        let top = self.stack.last_mut()?;
        let index = top.next_idx;
        if key.is_none() {
            top.next_idx += 1;
        }
        if !container {
            top.last_child = None;
            return None;
        }
        let mut p = String::with_capacity(top.pointer.len() + 16);
        p.push_str(&top.pointer);
        p.push('/');
        match key {
            Some(k) if k.contains(['~', '/']) => p.push_str(&pointer_token(k)),
            Some(k) => p.push_str(k),
            None => {
                use std::fmt::Write as _;
                let _ = write!(p, "{index}");
            }
        }
        top.last_child = Some(p.clone());
        Some(p)
    }

    fn push(&mut self, col: usize, kind: Kind) {
        let pointer = self
            .stack
            .last()
            .and_then(|f| f.last_child.clone())
            .unwrap_or_default();
        self.stack.push(Frame {
            indent: col,
            kind,
            pointer,
            next_idx: 0,
            last_child: None,
        });
    }
}

/// True when a mapping value (text after `key:`) is a mapping or list: nothing (a block
/// follows), only an anchor/tag, or a flow collection.
fn is_container_value(value: &str) -> bool {
    let v = value.trim();
    if v.is_empty() || v.starts_with('#') {
        return true;
    }
    let v = strip_props(v);
    v.is_empty() || v.starts_with('#') || v.starts_with('{') || v.starts_with('[')
}

/// True when a list item (text after `- `) is a mapping or list.
fn is_container_item(item: &str) -> bool {
    if item.is_empty() || item.starts_with('#') || item == "-" || item.starts_with("- ") {
        return true;
    }
    if split_key(item).is_some() {
        return true;
    }
    is_container_value(item)
}

/// Strips leading anchors (`&a`) and tags (`!Sub`) from a value.
fn strip_props(mut v: &str) -> &str {
    loop {
        if v.starts_with('&') || (v.starts_with('!') && !v.starts_with("! ")) {
            match v.find(' ') {
                Some(sp) => v = v[sp..].trim_start(),
                None => return "",
            }
        } else {
            return v;
        }
    }
}

/// Splits `key: value` (plain or quoted key) at the mapping indicator.
fn split_key(s: &str) -> Option<(String, &str)> {
    let b = s.as_bytes();
    let first = *b.first()?;
    if first == b'"' || first == b'\'' {
        let mut i = 1;
        while i < b.len() {
            if b[i] == b'\\' && first == b'"' {
                i += 2;
                continue;
            }
            if b[i] == first {
                if first == b'\'' && b.get(i + 1) == Some(&b'\'') {
                    i += 2;
                    continue;
                }
                break;
            }
            i += 1;
        }
        let close = i.min(b.len());
        let after = s.get(close + 1..)?.trim_start();
        let value = after.strip_prefix(':')?;
        if !(value.is_empty() || value.starts_with(' ')) {
            return None;
        }
        let raw = s.get(1..close)?;
        let key = if first == b'"' {
            serde_json::from_str::<String>(&format!("\"{raw}\"")).unwrap_or_else(|_| raw.to_owned())
        } else {
            raw.replace("''", "'")
        };
        return Some((key, value));
    }
    if matches!(
        first,
        b'[' | b'{' | b'|' | b'>' | b'#' | b'&' | b'*' | b'!' | b'?' | b'@' | b'`'
    ) {
        return None;
    }
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'#' if i > 0 && b[i - 1] == b' ' => return None,
            b':' if i + 1 == b.len() || b[i + 1] == b' ' || b[i + 1] == b'\t' => {
                let key = s[..i].trim_end().to_owned();
                return Some((key, &s[i + 1..]));
            }
            _ => {}
        }
        i += 1;
    }
    None
}
