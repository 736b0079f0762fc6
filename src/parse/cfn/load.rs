//! Template text -> one JSON value tree with every YAML short-form tag in its long form.
//!
//! JSON goes through serde_json. YAML goes through yaml_serde with our own `DeserializeSeed`, so
//! that tags, merge keys and duplicate keys are handled while the tree is built, and so that
//! alias expansion is bounded by a node budget (yaml_serde bounds the number of alias jumps,
//! not the size of what they copy: a 1 MB file could otherwise expand to billions of nodes).
//! Nesting depth is bounded by both parsers (128 levels).
//!
//! `!GetAtt A.B` becomes `{"Fn::GetAtt": ["A", "B"]}`; `!Ref`/`!Condition` keep their names;
//! every other known tag `!X` becomes `{"Fn::X": …}`. An unknown tag becomes
//! `{"keyreach::UnknownTag": ["X", value]}`, which the resolver reports with its line while the
//! rest of the template is still analysed.

use crate::error::InputError;
use serde::de::{self, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::cell::Cell;
use std::fmt;

/// The marker key for a tag keyreach does not know.
pub(crate) const UNKNOWN_TAG: &str = "keyreach::UnknownTag";

/// Short-form tags that map to `Fn::<Tag>`.
const FN_TAGS: &[&str] = &[
    "And",
    "Base64",
    "Cidr",
    "Equals",
    "FindInMap",
    "ForEach",
    "GetAZs",
    "If",
    "ImportValue",
    "Join",
    "Length",
    "Not",
    "Or",
    "Select",
    "Split",
    "Sub",
    "ToJsonString",
    "Transform",
];

/// Counts repeated mapping keys met by the YAML parser in this process. A loader compares it
/// before and after parsing a template to decide whether the (slower) scan for their places is
/// needed; templates parsed at the same time can only cause an extra scan, never a missed one.
pub(crate) static DUPLICATES_SEEN: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

/// Parses a template's text (JSON or YAML).
///
/// # Errors
/// Malformed text, too deep nesting or too large alias expansion, with line and column.
pub(crate) fn parse_text(display: &str, text: &str) -> Result<Value, InputError> {
    let text = text.trim_start_matches('\u{feff}');
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|e| InputError::from_json(display, &e));
    }
    parse_yaml(display, text)
}

/// Parses YAML text with the node budget of [`budget_for`]. Large templates are parsed in
/// parallel pieces (see [`parse_in_pieces`]); whenever that cannot give exactly the document's
/// value, the whole text is parsed at once, which also gives any error its true line.
///
/// # Errors
/// Malformed YAML, too deep nesting or too large alias expansion. A repeated mapping key
/// takes its last value, as CloudFormation does.
pub(crate) fn parse_yaml(display: &str, text: &str) -> Result<Value, InputError> {
    if text.len() >= PIECES_FROM {
        let pieces = text.len() / PIECE;
        if let Some(v) = parse_in_pieces(text, pieces, crate::par::threads_for(pieces)) {
            return Ok(v);
        }
    }
    parse_yaml_whole(display, text)
}

/// Templates smaller than this are parsed in one piece.
const PIECES_FROM: usize = 512 * 1024;

/// The size of a piece.
const PIECE: usize = 256 * 1024;

/// Parses a large template as several YAML documents on several threads: the text is cut at
/// lines that start a resource (a line indented exactly like the first key under a top-level
/// `Resources:` and starting with a letter or digit, as logical ids do), and every piece after
/// the first is parsed behind its own `Resources:` line. At such a line every scalar, flow
/// collection and block above it is closed, so each piece parses to exactly its part of the
/// document. Gives `None` (parse the whole text instead) when no such lines
/// are found, and when any piece fails — a malformed piece, an alias whose anchor is in
/// another piece, a `%TAG` handle declared in another piece — or two pieces declare the same
/// key.
fn parse_in_pieces(text: &str, pieces: usize, threads: usize) -> Option<Value> {
    if pieces < 2 || threads < 2 {
        return None;
    }
    let cuts = resource_cuts(text, pieces);
    if cuts.is_empty() {
        return None;
    }
    let mut texts: Vec<std::borrow::Cow<'_, str>> = Vec::with_capacity(cuts.len() + 1);
    texts.push(std::borrow::Cow::Borrowed(text.get(..cuts[0])?));
    for (i, &start) in cuts.iter().enumerate() {
        let end = cuts.get(i + 1).copied().unwrap_or(text.len());
        let body = text.get(start..end)?;
        let mut piece = String::with_capacity(body.len() + 11);
        piece.push_str("Resources:\n");
        piece.push_str(body);
        texts.push(std::borrow::Cow::Owned(piece));
    }
    let parse = |t: &str| -> Option<Value> {
        let budget = Cell::new(budget_for(t.len()));
        NodeSeed { budget: &budget }
            .deserialize(yaml_serde::Deserializer::from_str(t))
            .ok()
    };
    // The threads take the pieces in turn; only the pieces in work hold their parser's events.
    let mut values = crate::par::map(&texts, threads, |t| parse(t)).into_iter();
    let first = values.next().flatten();
    let rest: Vec<Option<Value>> = values.collect();
    let Value::Object(mut root) = first? else {
        return None;
    };
    for piece in rest {
        let Value::Object(top) = piece? else {
            return None;
        };
        for (key, value) in top {
            match (key.as_str(), root.get_mut(&key), value) {
                ("Resources", Some(Value::Object(resources)), Value::Object(more)) => {
                    for (id, r) in more {
                        if resources.insert(id, r).is_some() {
                            return None;
                        }
                    }
                }
                (_, None, value) => {
                    root.insert(key, value);
                }
                _ => return None,
            }
        }
    }
    Some(Value::Object(root))
}

/// Byte offsets of up to `pieces - 1` lines to cut a template at (see [`parse_in_pieces`]),
/// near equal shares of the text. Empty when the text has no block `Resources:` section.
fn resource_cuts(text: &str, pieces: usize) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut offset = 0;
    let mut lines = text.split_inclusive('\n');
    // The top-level `Resources:` line.
    loop {
        let Some(line) = lines.next() else {
            return cuts;
        };
        offset += line.len();
        let rest = line.strip_prefix("Resources:").map(str::trim);
        if rest.is_some_and(|r| r.is_empty() || r.starts_with('#')) {
            break;
        }
    }
    // The indentation of its keys, from its first line with content.
    let mut indent = 0;
    for line in lines.by_ref() {
        offset += line.len();
        let content = line.trim_start_matches(' ');
        if content.trim().is_empty() || content.starts_with('#') {
            continue;
        }
        indent = line.len() - content.len();
        if indent == 0 || !content.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            return cuts;
        }
        break;
    }
    let share = text.len() / pieces;
    for line in lines {
        let start = offset;
        offset += line.len();
        let content = line.trim_start_matches(' ');
        let depth = line.len() - content.len();
        if depth == 0 && !(content.trim().is_empty() || content.starts_with('#')) {
            // The section ended.
            break;
        }
        if depth == indent
            && content.starts_with(|c: char| c.is_ascii_alphanumeric())
            && start >= share * (cuts.len() + 1)
        {
            cuts.push(start);
            if cuts.len() + 1 == pieces {
                break;
            }
        }
    }
    cuts
}

/// Parses YAML text as one document.
fn parse_yaml_whole(display: &str, text: &str) -> Result<Value, InputError> {
    let budget = Cell::new(budget_for(text.len()));
    let de = yaml_serde::Deserializer::from_str(text);
    let value = NodeSeed { budget: &budget }.deserialize(de).map_err(|e| {
        let mut err = yaml_error(display, &e);
        if err.message.contains("duplicate key") {
            // yaml_serde reports the mapping's start; the scanner knows the repeated key.
            if let Some(line) = super::position::PosIndex::duplicate_key_line(text) {
                err.line = Some(line);
                err.column = None;
            }
        }
        err
    })?;
    Ok(match value {
        Value::Null => Value::Object(Map::new()),
        v => v,
    })
}

/// Nodes a document of `len` bytes may expand to. Without aliases a node takes at least two
/// bytes of text, so this allows twice that through aliases and merge keys, and no more.
pub(crate) fn budget_for(len: usize) -> usize {
    len.saturating_add(100_000)
}

fn yaml_error(display: &str, e: &yaml_serde::Error) -> InputError {
    let msg = e.to_string();
    let msg = match msg.rfind(" at line ") {
        Some(cut) => msg[..cut].to_owned(),
        None => msg,
    };
    let err = InputError::new(display, format!("malformed YAML: {msg}"));
    match e.location() {
        Some(l) => err.at(l.line(), l.column()),
        None => err,
    }
}

struct NodeSeed<'b> {
    budget: &'b Cell<usize>,
}

impl NodeSeed<'_> {
    fn spend<E: de::Error>(&self) -> Result<(), E> {
        match self.budget.get().checked_sub(1) {
            Some(left) => {
                self.budget.set(left);
                Ok(())
            }
            None => Err(E::custom(
                "the document expands to too many nodes (aliases repeated too often?); \
                 keyreach stops here to bound memory",
            )),
        }
    }
}

impl<'de> DeserializeSeed<'de> for NodeSeed<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NodeSeed<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML node")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        self.spend()?;
        Ok(Number::from_f64(v).map_or_else(|| Value::String(v.to_string()), Value::Number))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::String(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.spend()?;
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.spend()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(NodeSeed {
            budget: self.budget,
        })? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.spend()?;
        let mut out = Map::new();
        let mut merges: Vec<Value> = Vec::new();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let value = map.next_value_seed(NodeSeed {
                budget: self.budget,
            })?;
            if key == "<<" {
                merges.push(value);
                continue;
            }
            // CloudFormation accepts a repeated key and uses its last value; the loader
            // reports where (see `duplicate_keys`).
            if out.insert(key, value).is_some() {
                DUPLICATES_SEEN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            }
        }
        // YAML merge keys: explicit keys win, then earlier merged mappings over later ones.
        for merge in merges {
            let sources = match merge {
                Value::Object(m) => vec![m],
                Value::Array(items) => {
                    let mut maps = Vec::new();
                    for item in items {
                        match item {
                            Value::Object(m) => maps.push(m),
                            _ => {
                                return Err(de::Error::custom(
                                    "a merge key `<<` must name mappings",
                                ))
                            }
                        }
                    }
                    maps
                }
                _ => {
                    return Err(de::Error::custom(
                        "a merge key `<<` must name a mapping or a list of mappings",
                    ))
                }
            };
            for m in sources {
                for (k, v) in m {
                    out.entry(k).or_insert(v);
                }
            }
        }
        Ok(Value::Object(out))
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<Value, A::Error> {
        use de::VariantAccess;
        let (tag, contents): (String, _) = data.variant()?;
        let value = contents.newtype_variant_seed(NodeSeed {
            budget: self.budget,
        })?;
        self.spend()?;
        Ok(long_form(tag.trim_start_matches('!'), value))
    }
}

/// The long form of a short-form tag.
pub(crate) fn long_form(tag: &str, value: Value) -> Value {
    let (name, value) = match tag {
        "Ref" => ("Ref".to_owned(), value),
        "Condition" => ("Condition".to_owned(), value),
        "GetAtt" => {
            let v = match value {
                Value::String(s) => match s.split_once('.') {
                    Some((a, b)) => Value::Array(vec![a.into(), b.into()]),
                    None => Value::String(s),
                },
                other => other,
            };
            ("Fn::GetAtt".to_owned(), v)
        }
        t if FN_TAGS.contains(&t) => (format!("Fn::{t}"), value),
        t => (
            UNKNOWN_TAG.to_owned(),
            Value::Array(vec![Value::String(format!("!{t}")), value]),
        ),
    };
    let mut m = Map::new();
    m.insert(name, value);
    Value::Object(m)
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = String;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scalar mapping key")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Ok("null".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn yaml(s: &str) -> Value {
        parse_yaml("t.yaml", s).expect("valid yaml")
    }

    #[test]
    fn short_tags_become_long_forms() {
        let v = yaml(
            "a: !Ref X\nb: !GetAtt R.Arn\nc: !GetAtt [R, Arn]\nd: !Sub '${X}'\ne: !If [C, 1, 2]\n\
             f: !Condition C\ng: !GetAtt N.Outputs.O\n",
        );
        assert_eq!(v["a"], json!({"Ref": "X"}));
        assert_eq!(v["b"], json!({"Fn::GetAtt": ["R", "Arn"]}));
        assert_eq!(v["c"], json!({"Fn::GetAtt": ["R", "Arn"]}));
        assert_eq!(v["d"], json!({"Fn::Sub": "${X}"}));
        assert_eq!(v["e"], json!({"Fn::If": ["C", 1, 2]}));
        assert_eq!(v["f"], json!({"Condition": "C"}));
        assert_eq!(v["g"], json!({"Fn::GetAtt": ["N", "Outputs.O"]}));
    }

    #[test]
    fn unknown_tag_is_marked_not_fatal() {
        let v = yaml("a: !Frobnicate x\n");
        assert_eq!(v["a"], json!({UNKNOWN_TAG: ["!Frobnicate", "x"]}));
    }

    #[test]
    fn anchors_aliases_and_merge_keys() {
        let v = yaml("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\nlist: [*b]\n");
        assert_eq!(v["use"], json!({"x": 1, "y": 3}));
        assert_eq!(v["list"], json!([{"x": 1, "y": 2}]));
    }

    #[test]
    fn duplicate_keys_take_the_last_value_and_bad_yaml_has_lines() {
        let v = parse_yaml("t.yaml", "a: 1\nb: 2\na: 3\n").expect("accepted");
        assert_eq!(v, json!({"a": 3, "b": 2}));
        assert_eq!(
            super::super::position::PosIndex::duplicate_keys("a: 1\nb: 2\na: 3\n"),
            [("/a".to_owned(), 3)]
        );
        let e = parse_yaml("t.yaml", "a: [1,\n").expect_err("bad");
        assert!(e.message.starts_with("malformed YAML"), "{e}");
        assert_eq!(e.line, Some(2));
    }

    #[test]
    fn billion_laughs_is_bounded() {
        let mut s = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            s.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let e = parse_yaml("t.yaml", &s).expect_err("must refuse");
        assert!(
            e.message.contains("too many nodes") || e.message.contains("repetition limit"),
            "{e}"
        );
        // A wide alias fan-out that yaml_serde's jump limit alone would allow.
        let mut s = String::from("big: &big [");
        for _ in 0..2000 {
            s.push_str("x, ");
        }
        s.push_str("x]\nuse:\n");
        for _ in 0..2000 {
            s.push_str("  - *big\n");
        }
        let e = parse_yaml("t.yaml", &s).expect_err("must refuse");
        assert!(e.message.contains("too many nodes"), "{e}");
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let s = "[".repeat(10_000);
        assert!(parse_yaml("t.yaml", &s).is_err());
        let s = format!("{{\"a\":{}", "[".repeat(10_000));
        assert!(parse_text("t.json", &s).is_err());
    }

    /// A template with `n` resources, some of them written in awkward YAML.
    fn template(n: usize) -> String {
        let mut s = String::from(
            "AWSTemplateFormatVersion: '2010-09-09'\nParameters:\n  Env: {Type: String}\nResources:\n",
        );
        for i in 0..n {
            s.push_str(&format!(
                "  # resource {i}\n  Key{i}:\n    Type: AWS::KMS::Key\n    Properties:\n      \
                 Description: !Sub '${{Env}} {i}'\n      Tags: [{{Key: a, Value: \"x\n\n   y\"}}]\n      \
                 KeyPolicy: |\n        {{\"Statement\": []}}\n\n  Queue{i}:\n    Type: AWS::SQS::Queue\n    \
                 Properties: {{KmsMasterKeyId: !GetAtt Key{i}.Arn}}\n"
            ));
        }
        s.push_str("Outputs:\n  A: {Value: !Ref Key0}\n");
        s
    }

    #[test]
    fn pieces_give_the_same_document() {
        let text = template(200);
        let whole = parse_yaml_whole("t.yaml", &text).expect("valid");
        for threads in [2, 3, 7] {
            assert!(!resource_cuts(&text, threads).is_empty());
            let pieces = parse_in_pieces(&text, threads, 2).expect("cut");
            assert!(pieces == whole, "{threads} pieces differ");
        }
        assert_eq!(whole["Resources"].as_object().map(Map::len), Some(400));
    }

    #[test]
    fn pieces_fall_back_to_the_whole_text() {
        // An alias whose anchor is in another piece.
        let mut text = template(100).replacen("Type: AWS::KMS::Key", "Type: &t AWS::KMS::Key", 1);
        text.push_str("Extra: *t\n");
        assert!(parse_in_pieces(&text, 2, 2).is_none());
        assert_eq!(yaml(&text)["Extra"], json!("AWS::KMS::Key"));
        // The same logical id in two pieces: the whole text decides (the last one wins).
        let text = format!(
            "{}  Key0:\n    Type: X\n",
            template(100).replace("Outputs:\n  A: {Value: !Ref Key0}\n", "")
        );
        assert!(parse_in_pieces(&text, 2, 2).is_none());
        let v = parse_yaml("t.yaml", &text).expect("accepted");
        assert_eq!(v["Resources"]["Key0"]["Type"], json!("X"));
        // A quoted scalar cut in two.
        let text = template(100).replacen("Value: \"x", "Value: \"x\n  Cut here", 60);
        let whole = parse_yaml_whole("t.yaml", &text).expect("libyaml takes it");
        assert!(parse_in_pieces(&text, 2, 2).is_none());
        assert!(yaml(&text) == whole);
        // No block `Resources:` section: nothing to cut.
        assert!(resource_cuts("Resources: {}\n", 2).is_empty());
        assert!(resource_cuts("Resources:\n- a\n", 2).is_empty());
    }

    /// Whatever a template's bytes, the pieces either give exactly the whole text's document or
    /// step aside.
    #[test]
    fn pieces_never_disagree_with_the_whole_text() {
        let base = template(40);
        let specials = b" \n:-\"'[]{}&*!#|>a\t%?,";
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            usize::try_from(seed % (n as u64)).unwrap_or(0)
        };
        let mut agreed = 0;
        for _ in 0..300 {
            let mut bytes = base.clone().into_bytes();
            for _ in 0..1 + next(3) {
                let at = next(bytes.len());
                let c = specials[next(specials.len())];
                match next(3) {
                    0 => bytes[at] = c,
                    1 => bytes.insert(at, c),
                    _ => {
                        bytes.remove(at);
                    }
                }
            }
            let Ok(text) = String::from_utf8(bytes) else {
                continue;
            };
            if let Some(v) = parse_in_pieces(&text, 4, 2) {
                let whole = parse_yaml_whole("t.yaml", &text);
                assert!(
                    whole.as_ref().is_ok_and(|w| *w == v),
                    "pieces differ for:\n{text}"
                );
                agreed += 1;
            }
        }
        assert!(agreed > 100, "{agreed}");
    }
}
