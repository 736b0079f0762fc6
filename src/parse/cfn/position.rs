//! Line numbers for JSON pointers into a template.
//!
//! Neither serde_json's nor yaml_serde's value types carry positions, so a second, cheap pass
//! over the text maps the pointer of every mapping entry and list item to the line it starts
//! on. JSON is scanned token by token (the text is already known to be valid). YAML is scanned
//! line by line over its block structure (mapping keys, `- ` items, indentless lists, block
//! scalars, multi-line flow collections and quoted scalars); positions inside flow collections
//! or behind aliases are not recorded, and a lookup falls back to the nearest ancestor that was.
//! Only entries whose value is a mapping or a list are recorded (a scalar's line is its
//! parent's): that is what locations need (resources, statements) and keeps the index small.
//! The scanner never fails: a position it cannot find is simply less precise.

use super::fasthash::FastMap;
use crate::error::pointer_token;

/// Pointer -> 1-based line.
#[derive(Debug, Default)]
pub(crate) struct PosIndex {
    lines: FastMap<String, u32>,
    /// Mapping keys met a second time (YAML): pointer and line.
    duplicates: Vec<(String, u32)>,
}

impl PosIndex {
    /// Builds the index of a template's text (JSON when it starts with `{`, else YAML).
    pub(crate) fn build(text: &str) -> Self {
        let text = text.trim_start_matches('\u{feff}');
        let mut idx = Self::default();
        if text.trim_start().starts_with('{') {
            idx.scan_json(text, false);
        } else {
            idx.scan_yaml(text, false);
        }
        idx
    }

    /// An index of every entry, scalars included: slower, for the exact line of an error.
    pub(crate) fn build_full(text: &str) -> Self {
        let text = text.trim_start_matches('\u{feff}');
        let mut idx = Self::default();
        if text.trim_start().starts_with('{') {
            idx.scan_json(text, true);
        } else {
            idx.scan_yaml(text, true);
        }
        idx
    }

    /// The line of the first YAML mapping key that repeats an earlier key of its mapping.
    #[must_use]
    pub(crate) fn duplicate_key_line(text: &str) -> Option<u32> {
        let mut idx = Self::default();
        idx.scan_yaml(text.trim_start_matches('\u{feff}'), true);
        idx.first_duplicate()
    }

    /// The line of `pointer`, or of its nearest ancestor that has one.
    #[must_use]
    pub(crate) fn line(&self, pointer: &str) -> Option<u32> {
        let mut p = pointer;
        loop {
            if let Some(l) = self.lines.get(p) {
                return Some(*l);
            }
            let cut = p.rfind('/')?;
            p = &p[..cut];
        }
    }

    /// The line of exactly `pointer`, when it was recorded.
    #[cfg(test)]
    #[must_use]
    pub(crate) fn exact(&self, pointer: &str) -> Option<u32> {
        self.lines.get(pointer).copied()
    }

    /// The line of the first mapping key that repeats an earlier key of the same mapping.
    #[must_use]
    pub(crate) fn first_duplicate(&self) -> Option<u32> {
        self.duplicates.first().map(|(_, l)| *l)
    }

    fn record(&mut self, pointer: String, line: u32) {
        self.lines.entry(pointer).or_insert(line);
    }

    fn record_key(&mut self, pointer: String, line: u32) {
        match self.lines.entry(pointer) {
            std::collections::hash_map::Entry::Occupied(e) => {
                self.duplicates.push((e.key().clone(), line));
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(line);
            }
        }
    }

    fn scan_json(&mut self, text: &str, all: bool) {
        #[derive(PartialEq)]
        enum K {
            Obj,
            Arr,
        }
        struct Frame {
            kind: K,
            path_len: usize,
            idx: usize,
            key: Option<String>,
        }
        fn child(path: &str, top: Option<&Frame>) -> String {
            let mut p = String::with_capacity(path.len() + 16);
            p.push_str(path);
            if let Some(top) = top {
                p.push('/');
                match top.kind {
                    K::Obj => {
                        let k = top.key.as_deref().unwrap_or("");
                        if k.contains(['~', '/']) {
                            p.push_str(&pointer_token(k));
                        } else {
                            p.push_str(k);
                        }
                    }
                    K::Arr => {
                        use std::fmt::Write as _;
                        let _ = write!(p, "{}", top.idx);
                    }
                }
            }
            p
        }
        let bytes = text.as_bytes();
        let mut line: u32 = 1;
        let mut path = String::new();
        let mut stack: Vec<Frame> = Vec::new();
        let mut expect_key = false;
        // True where a value starts (after `:` in an object, after `[` or `,` in a list).
        let mut expect_value = true;
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            match c {
                b'\n' => line += 1,
                b' ' | b'\t' | b'\r' => {}
                b'"' => {
                    let start = i + 1;
                    let start_line = line;
                    let mut j = start;
                    let mut escaped = false;
                    while j < bytes.len() {
                        match bytes[j] {
                            b'\\' if !escaped => escaped = true,
                            b'"' if !escaped => break,
                            b'\n' => {
                                line += 1;
                                escaped = false;
                            }
                            _ => escaped = false,
                        }
                        j += 1;
                    }
                    if expect_key {
                        if let Some(top) = stack.last_mut() {
                            let raw = text.get(start..j).unwrap_or_default();
                            let key = if raw.contains('\\') {
                                serde_json::from_str::<String>(&format!("\"{raw}\""))
                                    .unwrap_or_else(|_| raw.to_owned())
                            } else {
                                raw.to_owned()
                            };
                            top.key = Some(key);
                        }
                        expect_key = false;
                    } else if expect_value {
                        if all {
                            let p = child(&path, stack.last());
                            self.record(p, start_line);
                        }
                        expect_value = false;
                    }
                    i = j;
                }
                b'{' | b'[' => {
                    let path_len = path.len();
                    let p = child(&path, stack.last());
                    path.clear();
                    path.push_str(&p);
                    self.record(p, line);
                    let kind = if c == b'{' { K::Obj } else { K::Arr };
                    expect_key = kind == K::Obj;
                    expect_value = kind == K::Arr;
                    stack.push(Frame {
                        kind,
                        path_len,
                        idx: 0,
                        key: None,
                    });
                }
                b'}' | b']' => {
                    if let Some(f) = stack.pop() {
                        path.truncate(f.path_len);
                    }
                    expect_key = false;
                    expect_value = false;
                }
                b',' => {
                    if let Some(top) = stack.last_mut() {
                        match top.kind {
                            K::Obj => expect_key = true,
                            K::Arr => {
                                top.idx += 1;
                                expect_value = true;
                            }
                        }
                    }
                }
                b':' => expect_value = true,
                _ => {
                    if expect_value {
                        if all {
                            let p = child(&path, stack.last());
                            self.record(p, line);
                        }
                        expect_value = false;
                    }
                }
            }
            i += 1;
        }
    }

    fn scan_yaml(&mut self, text: &str, all_keys: bool) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_positions() {
        let text = "{\n \"Resources\": {\n  \"K\": {\n   \"Type\": \"AWS::KMS::Key\",\n   \"Properties\": {\"KeyPolicy\": {\n    \"Statement\": [\n     {\"Effect\": \"Allow\"},\n     {\"Effect\": \"Deny\"}\n    ]}}\n  },\n  \"a/b\": {}\n }\n}\n";
        let idx = PosIndex::build(text);
        assert_eq!(idx.exact("/Resources/K"), Some(3));
        assert_eq!(
            idx.line("/Resources/K/Properties/KeyPolicy/Statement/0"),
            Some(7)
        );
        assert_eq!(
            idx.line("/Resources/K/Properties/KeyPolicy/Statement/1"),
            Some(8)
        );
        assert_eq!(idx.line("/Resources/K/Type"), Some(3));
        assert_eq!(idx.exact("/Resources/a~1b"), Some(11));
    }

    #[test]
    fn yaml_positions() {
        let text = "\
AWSTemplateFormatVersion: '2010-09-09'
Description: >
  Multi-line: text
  Resources:
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Statement:
        - Sid: A
          Effect: Allow
        -   Sid: B
            Effect: Deny
      Tags: [{Key: a,
              Value: b}]
  Role:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyName: p
          PolicyDocument:
            Statement:
              - Effect: Allow
              # comment
              - Effect: Allow
  \"Quoted\": {Type: X}
";
        let idx = PosIndex::build(text);
        assert_eq!(idx.exact("/Resources"), Some(5));
        assert_eq!(idx.exact("/Resources/Key"), Some(6));
        assert_eq!(
            idx.exact("/Resources/Key/Properties/KeyPolicy/Statement/0"),
            Some(11)
        );
        assert_eq!(
            idx.exact("/Resources/Key/Properties/KeyPolicy/Statement/1"),
            Some(13)
        );
        assert_eq!(idx.exact("/Resources/Key/Properties/Tags"), Some(15));
        assert_eq!(idx.exact("/Resources/Role"), Some(17));
        assert_eq!(
            idx.exact("/Resources/Role/Properties/Policies/0/PolicyDocument/Statement/1"),
            Some(26)
        );
        assert_eq!(idx.exact("/Resources/Quoted"), Some(27));
        assert_eq!(idx.line("/Resources/Key/Properties/Nope/0"), Some(8));
        assert_eq!(idx.exact("/Description/Resources"), None);
    }

    #[test]
    fn never_panics_on_odd_text() {
        for t in [
            "",
            "-",
            "- -",
            ":",
            "a:\n-\n - b: |\n",
            "\"unterminated: x\n",
            "{",
            "[[[",
            "? x\n: y\n",
            "a: 'it''s'\nb: \"\\\"\"\n",
        ] {
            let _ = PosIndex::build(t);
        }
    }
}
