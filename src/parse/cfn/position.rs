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

mod yaml;

use super::fasthash::FastMap;
use crate::error::{pointer_token, InputError};

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

    /// Every YAML mapping key that repeats an earlier key of its mapping: its pointer and line.
    #[must_use]
    pub(crate) fn duplicate_keys(text: &str) -> Vec<(String, u32)> {
        let mut idx = Self::default();
        idx.scan_yaml(text.trim_start_matches('\u{feff}'), true);
        idx.duplicates
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
}

/// An input error at a pointer, with the line the index knows for it.
pub(crate) fn error_at(
    display: &str,
    index: &PosIndex,
    pointer: &str,
    message: String,
) -> InputError {
    let mut e = InputError::new(display, message).at_pointer(pointer);
    e.line = index.line(pointer);
    e
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
