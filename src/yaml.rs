//! YAML as people write it: `scelle.yaml` declarations and policy packs, read into a tree that
//! keeps the line and column of every key and value, so that any problem found later (an unknown
//! field, a wrong type, a failing rule) points at the line to fix.
//!
//! Parsing uses serde-saphyr, pure Rust: duplicate keys are errors, a budget stops alias bombs,
//! and booleans are YAML 1.2 strict (`no` stays the string `no`, as for a country code).

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// Where something is in a YAML file (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A YAML node with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: NodeValue,
}

/// What a YAML node holds; mapping entries keep their order and their keys' positions.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A mapping key and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    pub name: String,
    pub pos: Pos,
}

/// A document that is not YAML, with where the parser gave up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{pos}: {message}")]
pub struct YamlError {
    pub pos: Pos,
    pub message: String,
}

impl NodeValue {
    /// The node's type in words, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            NodeValue::Null => "null",
            NodeValue::Bool(_) => "a boolean",
            NodeValue::Int(_) => "an integer",
            NodeValue::Float(_) => "a number",
            NodeValue::Str(_) => "a string",
            NodeValue::Seq(_) => "a list",
            NodeValue::Map(_) => "a mapping",
        }
    }
}

impl Node {
    /// The value of `key` in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            NodeValue::Map(entries) => entries.iter().find(|(k, _)| k.name == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// A tree from JSON, every position unknown (for declarations held in a manifest).
    pub fn from_json(value: &Value) -> Node {
        let value = match value {
            Value::Null => NodeValue::Null,
            Value::Bool(b) => NodeValue::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => NodeValue::Int(i),
                None => NodeValue::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Value::String(s) => NodeValue::Str(s.clone()),
            Value::Array(items) => NodeValue::Seq(items.iter().map(Node::from_json).collect()),
            Value::Object(map) => NodeValue::Map(
                map.iter()
                    .map(|(k, v)| {
                        (
                            Key {
                                name: k.clone(),
                                pos: Pos::default(),
                            },
                            Node::from_json(v),
                        )
                    })
                    .collect(),
            ),
        };
        Node {
            pos: Pos::default(),
            value,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The node as JSON (mapping keys sorted, as every JSON scelle writes).
    pub fn to_json(&self) -> Value {
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Int(i) => Value::from(*i),
            NodeValue::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            NodeValue::Str(s) => Value::String(s.clone()),
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// What serde-saphyr hands back: a value and where it was defined.
type Spanned<T> = serde_saphyr::Spanned<T>;

fn pos_of<T>(s: &Spanned<T>) -> Pos {
    Pos {
        line: u32::try_from(s.defined.line()).unwrap_or(u32::MAX),
        column: u32::try_from(s.defined.column()).unwrap_or(u32::MAX),
    }
}

/// The tree as deserialised, before positions are copied into [`Node`]s.
enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<String>, Spanned<Raw>)>),
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RawVisitor;
        impl<'de> Visitor<'de> for RawVisitor {
            type Value = Raw;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a YAML value")
            }
            fn visit_unit<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_none<E>(self) -> Result<Raw, E> {
                Ok(Raw::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
                Ok(Raw::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
                Ok(Raw::Int(v))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Raw, E> {
                // Beyond i64, keep the magnitude as a number (FLOP counts are written as floats).
                #[allow(clippy::cast_precision_loss)]
                Ok(i64::try_from(v).map_or(Raw::Float(v as f64), Raw::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
                Ok(Raw::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
                Ok(Raw::Str(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Raw, E> {
                Ok(Raw::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Raw::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    entries.push(entry);
                }
                Ok(Raw::Map(entries))
            }
        }
        deserializer.deserialize_any(RawVisitor)
    }
}

fn convert(raw: Spanned<Raw>) -> Node {
    let pos = pos_of(&raw);
    let value = match raw.value {
        Raw::Null => NodeValue::Null,
        Raw::Bool(b) => NodeValue::Bool(b),
        Raw::Int(i) => NodeValue::Int(i),
        Raw::Float(f) => NodeValue::Float(f),
        Raw::Str(s) => NodeValue::Str(s),
        Raw::Seq(items) => NodeValue::Seq(items.into_iter().map(convert).collect()),
        Raw::Map(entries) => NodeValue::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    (
                        Key {
                            pos: pos_of(&k),
                            name: k.value,
                        },
                        convert(v),
                    )
                })
                .collect(),
        ),
    };
    Node { pos, value }
}

/// The parser options every scelle YAML file is read with.
pub fn options() -> serde_saphyr::options::Options {
    let mut options = serde_saphyr::options::Options::default();
    options.strict_booleans = true;
    options
}

/// Parses one YAML document. An empty document is an empty mapping.
pub fn parse(text: &str) -> Result<Node, YamlError> {
    if text.trim().is_empty()
        || text
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Ok(Node {
            pos: Pos { line: 1, column: 1 },
            value: NodeValue::Map(Vec::new()),
        });
    }
    serde_saphyr::from_str_with_options::<Spanned<Raw>>(text, options())
        .map(convert)
        .map_err(|e| error_of(&e))
}

/// The first line of a serde-saphyr error, with its position taken out of the text.
pub fn error_of(e: &serde_saphyr::Error) -> YamlError {
    let text = e.to_string();
    let first = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ");
    // "line 2 column 1: duplicate mapping key: a, set DuplicateKeyPolicy..."
    let mut pos = Pos::default();
    let mut message = first.to_owned();
    if let Some(rest) = first.strip_prefix("line ") {
        let mut parts = rest.splitn(2, ": ");
        let where_ = parts.next().unwrap_or_default();
        let what = parts.next().unwrap_or_default();
        let mut nums = where_.split(" column ");
        pos.line = nums.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        pos.column = nums.next().and_then(|n| n.parse().ok()).unwrap_or(0);
        what.clone_into(&mut message);
    }
    // Some messages repeat themselves after their position (`x: 1:11: x`).
    let repeat = format!(": {}:{}: ", pos.line, pos.column);
    if let Some(at) = message.find(&repeat) {
        message.truncate(at);
    }
    // serde-saphyr suggests an option of its own API; a scelle user cannot set it.
    if let Some(at) = message.find(", set DuplicateKeyPolicy") {
        message.truncate(at);
    }
    YamlError { pos, message }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    #[test]
    fn keeps_positions_and_strict_booleans() {
        let node =
            parse("provider:\n  country: no\n  eu_established: true\n  n: 3\n  flops: 1.2e24\n")
                .unwrap();
        let provider = node.get("provider").unwrap();
        assert_eq!(provider.pos, Pos { line: 2, column: 3 });
        let country = provider.get("country").unwrap();
        assert_eq!(
            country.value,
            NodeValue::Str("no".into()),
            "`no` is a country code, not false"
        );
        assert_eq!(
            country.pos,
            Pos {
                line: 2,
                column: 12
            }
        );
        assert_eq!(
            provider.get("eu_established").unwrap().value,
            NodeValue::Bool(true)
        );
        assert_eq!(
            provider.get("flops").unwrap().value,
            NodeValue::Float(1.2e24)
        );
        let NodeValue::Map(entries) = &provider.value else {
            panic!("a mapping")
        };
        assert_eq!(entries[1].0.pos, Pos { line: 3, column: 3 });
    }

    #[test]
    fn errors_have_positions() {
        let e = parse("a: 1\na: 2\n").unwrap_err();
        assert_eq!(
            (e.pos, e.message.as_str()),
            (Pos { line: 2, column: 1 }, "duplicate mapping key: a")
        );
        let e = parse("a: [1, 2\n").unwrap_err();
        assert_eq!(e.pos.line, 1);
        assert!(e.message.contains("unclosed bracket"), "{e}");
    }

    #[test]
    fn alias_bombs_are_refused() {
        let mut doc = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
        for i in 1..9 {
            let p = i - 1;
            let _ = writeln!(
                doc,
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]"
            );
        }
        let e = parse(&doc).unwrap_err();
        assert!(e.message.contains("budget breached"), "{e}");
    }

    #[test]
    fn empty_and_comment_only_documents_are_empty_mappings() {
        assert_eq!(parse("").unwrap().value, NodeValue::Map(Vec::new()));
        assert_eq!(
            parse("# nothing declared yet\n").unwrap().value,
            NodeValue::Map(Vec::new())
        );
    }
}
