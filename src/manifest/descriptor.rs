//! The publisher's declaration, `scelle.yaml`: read with positions, checked against the schema
//! (unknown fields, wrong types, bad dates, all reported at once with line and column), and
//! normalised into the JSON the manifest carries as `predicate.declared`, so the signature covers
//! what the publisher declared.
//!
//! An empty field (`legal_name:` with nothing after it, as `scelle init` leaves them) counts as
//! not declared. Keys starting with `x-` are the publisher's own and pass through unchecked.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Map, Value};

use super::RelPath;
use super::schema::{Field, Schema, SchemaError, Ty, enum_name};
use crate::yaml::{self, Node, NodeValue, Pos, YamlError};

/// The declaration's file name, at the top of a release.
pub const FILE_NAME: &str = "scelle.yaml";

/// A validated declaration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Declared {
    /// The normalised declaration: object keys sorted, numbers of `number` fields as floats.
    pub value: Value,
    /// Where each declared field is, by path (`datasets[1].personal_data.present`): the position
    /// of its key, or of the list item.
    pub positions: BTreeMap<String, Pos>,
}

/// One thing wrong in a declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub pos: Pos,
    pub message: String,
    /// The fix, when there is an obvious one (a misspelt licence id).
    pub hint: Option<String>,
}

/// Why a declaration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DescriptorError {
    #[error(transparent)]
    Read(#[from] crate::input::InputError),
    #[error("`{file}` is not valid YAML: {}:{}: {}", .source.pos.line, .source.pos.column, .source.message)]
    Yaml { file: String, source: YamlError },
    /// Every problem, one per line, each with `file:line:column`.
    #[error("{}", render(.file, .problems))]
    Invalid {
        file: String,
        problems: Vec<Problem>,
    },
    #[error(transparent)]
    Schema(#[from] SchemaError),
}

impl DescriptorError {
    pub fn hint(&self) -> Option<String> {
        match self {
            // One problem with its own fix: that fix; otherwise where the fields are listed.
            DescriptorError::Invalid { problems, .. } => match problems.as_slice() {
                [Problem { hint: Some(h), .. }] => Some(h.clone()),
                _ => Some(
                    "every field is listed in `docs/scelle-yaml.md`; keys starting with `x-` are free"
                        .into(),
                ),
            },
            DescriptorError::Read(e) => e.hint(),
            _ => None,
        }
    }
}

fn render(file: &str, problems: &[Problem]) -> String {
    let lines: Vec<String> = problems
        .iter()
        .map(|p| {
            format!(
                "{}:{}:{}: {}",
                crate::text::escape(file),
                p.pos.line,
                p.pos.column,
                crate::text::escape(&p.message)
            )
        })
        .collect();
    lines.join("\n")
}

/// Reads and validates `path`, naming it `display` in messages.
pub fn read(path: &Path, display: &str) -> Result<Declared, DescriptorError> {
    let text = crate::input::read_text(path, crate::input::Kind::DECLARATION)?;
    parse(&text, display)
}

/// Validates a declaration's text, naming it `file` in messages.
pub fn parse(text: &str, file: &str) -> Result<Declared, DescriptorError> {
    let node = yaml::parse(text).map_err(|source| DescriptorError::Yaml {
        file: file.to_owned(),
        source,
    })?;
    let schema = Schema::get()?;
    validate(&node, schema).map_err(|problems| DescriptorError::Invalid {
        file: file.to_owned(),
        problems,
    })
}

/// Checks a parsed declaration against the schema; every problem is reported, in file order.
pub fn validate(node: &Node, schema: &Schema) -> Result<Declared, Vec<Problem>> {
    let mut checker = Checker {
        problems: Vec::new(),
        positions: BTreeMap::new(),
    };
    let value = match &node.value {
        NodeValue::Map(_) => checker.object(node, schema.sections(), ""),
        other => {
            checker.problem(
                node.pos,
                format!(
                    "expected a mapping of sections (`provider:`, `model:`...), found {}",
                    other.kind()
                ),
            );
            None
        }
    };
    if checker.problems.is_empty() {
        Ok(Declared {
            value: value.unwrap_or_else(|| Value::Object(Map::new())),
            positions: checker.positions,
        })
    } else {
        checker.problems.sort_by_key(|p| p.pos);
        Err(checker.problems)
    }
}

struct Checker {
    problems: Vec<Problem>,
    positions: BTreeMap<String, Pos>,
}

fn join(at: &str, name: &str) -> String {
    if at.is_empty() {
        name.to_owned()
    } else {
        format!("{at}.{name}")
    }
}

impl Checker {
    fn problem(&mut self, pos: Pos, message: String) {
        self.problems.push(Problem {
            pos,
            message,
            hint: None,
        });
    }

    /// A mapping against its fields; `None` when nothing was declared in it.
    fn object(&mut self, node: &Node, fields: &[(String, Field)], at: &str) -> Option<Value> {
        let NodeValue::Map(entries) = &node.value else {
            let what = if at.is_empty() { "the file" } else { at };
            self.problem(
                node.pos,
                format!(
                    "`{what}` must be a mapping of fields, found {}",
                    node.value.kind()
                ),
            );
            return None;
        };
        let mut out = Map::new();
        let mut previous_line = None;
        for (key, value) in entries {
            // Two keys on one line are inside `{...}`; a key there without a value is usually the
            // rest of a value cut at a comma (`{doc: a, b}`).
            let same_line = previous_line.replace(key.pos.line) == Some(key.pos.line);
            let path = join(at, &key.name);
            if key.name.starts_with("x-") {
                self.positions.insert(path, key.pos);
                out.insert(key.name.clone(), value.to_json());
                continue;
            }
            let Some(field) = fields.iter().find(|(n, _)| *n == key.name).map(|(_, f)| f) else {
                let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
                let place = if at.is_empty() {
                    "at the top level".to_owned()
                } else {
                    format!("in `{at}`")
                };
                let suggestion =
                    if (key.name.contains(' ') || same_line) && value.value == NodeValue::Null {
                        // `{description: a, b}` reads `b` as a key: the commonest YAML surprise.
                        " (a comma inside `{...}` ends a value: quote the value that holds it)"
                            .to_owned()
                    } else {
                        closest(&key.name, &names)
                            .map(|s| format!(" (did you mean `{s}`?)"))
                            .unwrap_or_default()
                    };
                self.problem(
                    key.pos,
                    format!("unknown field `{}` {place}{suggestion}", key.name),
                );
                continue;
            };
            if same_line && value.value == NodeValue::Null {
                // A field name left without its value inside `{...}`: most likely the tail of
                // the previous value, cut at a comma (`{description: dense, kind}`).
                self.problem(
                    key.pos,
                    format!(
                        "`{path}` has no value (a comma inside `{{...}}` ends a value: quote the value that holds it, or give `{}` a value)",
                        key.name
                    ),
                );
                continue;
            }
            self.positions.insert(path.clone(), key.pos);
            if let Some(v) = self.value(value, field, &path) {
                out.insert(key.name.clone(), v);
            }
        }
        // An entry left empty is not declared; one that declares anything declares it whole.
        if !out.is_empty() {
            for (name, field) in fields {
                if field.required && !out.contains_key(name) && node.get(name).is_none() {
                    let what = if at.is_empty() { "the file" } else { at };
                    self.problem(
                        node.pos,
                        format!("`{what}` has no `{name}`, which is required"),
                    );
                }
            }
        }
        (!out.is_empty()).then_some(Value::Object(out))
    }

    fn value(&mut self, node: &Node, field: &Field, path: &str) -> Option<Value> {
        if node.value == NodeValue::Null {
            return None;
        }
        match &field.ty {
            Ty::Object(fields) => self.object(node, fields, path),
            Ty::Ref(extra) => self.reference(node, extra, path),
            Ty::List(item) => {
                let NodeValue::Seq(items) = &node.value else {
                    self.problem(
                        node.pos,
                        format!(
                            "`{path}` must be a list, found {}{}",
                            node.value.kind(),
                            if matches!(item.ty, Ty::Object(_)) {
                                ""
                            } else {
                                " (write `[a, b]` or one `- item` per line)"
                            }
                        ),
                    );
                    return None;
                };
                let mut out = Vec::with_capacity(items.len());
                for (i, element) in items.iter().enumerate() {
                    let item_path = format!("{path}[{i}]");
                    self.positions.insert(item_path.clone(), element.pos);
                    match self.value(element, item, &item_path) {
                        Some(v) => out.push(v),
                        None if element.value == NodeValue::Null => {
                            self.problem(element.pos, format!("`{item_path}` is empty"));
                        }
                        None => {}
                    }
                }
                // A list whose entries were all left empty (as `scelle init` writes one) is not
                // declared; an explicit `[]` is.
                if out.is_empty() && !items.is_empty() {
                    return None;
                }
                Some(Value::Array(out))
            }
            Ty::Spdx => {
                let NodeValue::Str(s) = &node.value else {
                    self.problem(
                        node.pos,
                        format!(
                            "`{path}`: expected an SPDX licence expression, found {}",
                            node.value.kind()
                        ),
                    );
                    return None;
                };
                match super::licence::check(s) {
                    Ok(()) => Some(Value::String(s.clone())),
                    Err(refused) => {
                        self.problems.push(Problem {
                            pos: node.pos,
                            message: format!("`{path}`: {}", refused.message),
                            hint: Some(refused.suggestion.map_or_else(
                                || "write an id of the SPDX licence list (`Apache-2.0`, `MIT`...), or `LicenseRef-<name>` for a licence not on it".to_owned(),
                                |s| format!("did you mean `{s}`?"),
                            )),
                        });
                        None
                    }
                }
            }
            ty => match scalar(&node.value, ty) {
                Ok(v) => Some(v),
                Err(message) => {
                    self.problem(node.pos, format!("`{path}`: {message}"));
                    None
                }
            },
        }
    }

    /// A document reference: `{uri, sha256}` plus the common and the field's own fields.
    fn reference(&mut self, node: &Node, extra: &[(String, Field)], path: &str) -> Option<Value> {
        if let NodeValue::Str(s) = &node.value {
            self.problem(
                node.pos,
                format!("`{path}` is a document reference: write `{{uri: {s}, sha256: <digest>}}`"),
            );
            return None;
        }
        let mut fields = super::schema::common_ref_fields().to_vec();
        fields.extend(extra.iter().cloned());
        let value = self.object(node, &fields, path)?;
        let uri = value.get("uri").and_then(Value::as_str);
        match uri {
            None => {
                if matches!(node.value, NodeValue::Map(_)) {
                    self.problem(
                        node.pos,
                        format!("`{path}` has no `uri` (where the document is)"),
                    );
                }
                None
            }
            Some(uri) => match check_uri(uri) {
                Ok(()) => Some(value),
                Err(message) => {
                    let pos = node.get("uri").map_or(node.pos, |n| n.pos);
                    self.problem(pos, format!("`{path}.uri`: {message}"));
                    None
                }
            },
        }
    }
}

/// A reference's `uri`: a URL with a scheme, or a path inside the release.
fn check_uri(uri: &str) -> Result<(), String> {
    if has_scheme(uri) {
        return Ok(());
    }
    RelPath::new(uri.trim_start_matches("./"))
        .map(|_| ())
        .map_err(|e| format!("`{uri}` is neither a URL nor a path inside the release: {e}"))
}

/// `https://...`, `mailto:...`, `urn:...`.
pub fn has_scheme(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once(':') else {
        return false;
    };
    scheme.len() > 1
        && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && !rest.is_empty()
}

fn scalar(value: &NodeValue, ty: &Ty) -> Result<Value, String> {
    match ty {
        Ty::Int | Ty::Number | Ty::Fraction | Ty::Percent => number(value, ty),
        Ty::Bool => match value {
            NodeValue::Bool(b) => Ok(Value::Bool(*b)),
            NodeValue::Str(s) => Err(format!(
                "expected `true` or `false`, found the string `{s}`"
            )),
            _ => Err(format!(
                "expected `true` or `false`, found {}",
                value.kind()
            )),
        },
        Ty::Enum(values) => one_of(value, values),
        Ty::Ref(_) | Ty::List(_) | Ty::Object(_) => {
            Err(format!("expected {ty}, found {}", value.kind()))
        }
        _ => text(value, ty),
    }
}

/// Types written as text: strings, URLs, paths, dates, codes and digests.
fn text(value: &NodeValue, ty: &Ty) -> Result<Value, String> {
    let s = match value {
        NodeValue::Str(s) => s.clone(),
        NodeValue::Int(_) | NodeValue::Float(_) | NodeValue::Bool(_) => {
            return Err(format!(
                "expected {ty}, found {}; quote it to make it text",
                value.kind()
            ));
        }
        _ => return Err(format!("expected {ty}, found {}", value.kind())),
    };
    match ty {
        Ty::Uri if !has_scheme(&s) => Err(format!(
            "`{s}` is not a URL (it needs a scheme, as in `https://`)"
        )),
        Ty::Path => RelPath::new(s.trim_end_matches('/').trim_start_matches("./"))
            .map(|p| Value::String(p.as_str().to_owned()))
            .map_err(|e| format!("`{s}` is not a path inside the release: {e}")),
        Ty::Location => check_uri(&s).map(|()| {
            Value::String(if has_scheme(&s) {
                s
            } else {
                s.trim_start_matches("./").to_owned()
            })
        }),
        Ty::Date => check_date(&s).map(|()| Value::String(s)),
        Ty::Datetime => check_datetime(&s).map(|()| Value::String(s)),
        Ty::Country => {
            if s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()) {
                Ok(Value::String(s))
            } else if s.len() == 2 && s.bytes().all(|b| b.is_ascii_alphabetic()) {
                Err(format!(
                    "country codes are upper case: `{}`",
                    s.to_ascii_uppercase()
                ))
            } else {
                Err(format!(
                    "`{s}` is not an ISO 3166-1 alpha-2 country code (like `FR`)"
                ))
            }
        }
        Ty::Sha256 => {
            let hex = s.strip_prefix("sha256:").unwrap_or(&s);
            if hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                Ok(Value::String(hex.to_owned()))
            } else if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                Err("write the digest in lower-case hex".into())
            } else {
                Err(format!(
                    "expected a SHA-256 digest (64 hex digits), found {} characters",
                    hex.len()
                ))
            }
        }
        // The regex crate is the engine of the packs' `matches`: a pattern it compiles alone is
        // balanced, so `^(?:PATTERN)$` cannot be escaped by a stray `)|(`.
        Ty::Regex => regex::RegexBuilder::new(&s)
            .size_limit(1 << 20)
            .build()
            .map(|_| Value::String(s.clone()))
            .map_err(|e| {
                let first = e.to_string();
                let line = first.lines().last().unwrap_or_default().trim().to_owned();
                format!("`{s}` is not a regular expression: {line}")
            }),
        _ => Ok(Value::String(s)),
    }
}

/// Numbers: whole counts, figures, fractions and percentages.
fn number(value: &NodeValue, ty: &Ty) -> Result<Value, String> {
    if let Ty::Int = ty {
        return match value {
            NodeValue::Int(i) if *i >= 0 => Ok(Value::from(*i)),
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            NodeValue::Float(f) if f.fract() == 0.0 && *f >= 0.0 && *f < 1.8e19 => {
                Ok(Value::from(*f as u64))
            }
            _ => Err(format!(
                "expected a whole number of at least 0, found {}",
                shown(value)
            )),
        };
    }
    let f = match value {
        #[allow(clippy::cast_precision_loss)]
        NodeValue::Int(i) => *i as f64,
        NodeValue::Float(f) if f.is_finite() => *f,
        _ => return Err(format!("expected {ty}, found {}", value.kind())),
    };
    let (low, high, hint) = match ty {
        Ty::Fraction => (
            0.0,
            1.0,
            if f > 1.0 && f <= 100.0 {
                " (a percentage? divide by 100)"
            } else {
                ""
            },
        ),
        Ty::Percent => (0.0, 100.0, ""),
        _ => (0.0, f64::INFINITY, ""),
    };
    if !(low..=high).contains(&f) {
        return Err(match ty {
            Ty::Fraction => format!("expected a fraction between 0 and 1, found {f}{hint}"),
            Ty::Percent => format!("expected a percentage between 0 and 100, found {f}"),
            _ => format!("expected a number of at least 0, found {f}"),
        });
    }
    serde_json::Number::from_f64(f)
        .map(Value::Number)
        .ok_or_else(|| "not a finite number".to_owned())
}

/// One of an enum's values.
fn one_of(value: &NodeValue, values: &[Value]) -> Result<Value, String> {
    let given = match value {
        NodeValue::Bool(b) => Value::Bool(*b),
        NodeValue::Str(s) => Value::String(s.clone()),
        _ => Value::Null,
    };
    if values.contains(&given) {
        return Ok(given);
    }
    let names: Vec<String> = values.iter().map(enum_name).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let hint = match &given {
        Value::String(s) => closest(s, &refs)
            .map(|c| format!(" (did you mean `{c}`?)"))
            .unwrap_or_default(),
        _ => String::new(),
    };
    Err(format!(
        "{} is not one of {}{hint}",
        shown(value),
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

fn shown(value: &NodeValue) -> String {
    match value {
        NodeValue::Str(s) => format!("`{s}`"),
        NodeValue::Int(i) => format!("`{i}`"),
        NodeValue::Float(f) => format!("`{f}`"),
        NodeValue::Bool(b) => format!("`{b}`"),
        other => other.kind().to_owned(),
    }
}

/// `YYYY-MM-DD`, a real calendar day.
pub fn check_date(s: &str) -> Result<(), String> {
    parse_date(s).map(|_| ()).ok_or_else(|| {
        format!("`{s}` is not a date; write YYYY-MM-DD (a real day, like `2025-08-02`)")
    })
}

/// The year, month and day of a `YYYY-MM-DD` date.
pub fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<u32>().ok();
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    (s[..4].bytes().all(|c| c.is_ascii_digit()) && (1..=days).contains(&day))
        .then(|| (i32::try_from(year).ok(), month, day))
        .and_then(|(y, m, d)| Some((y?, m, d)))
}

/// RFC 3339 (`2025-03-01T08:00:00Z`, offsets and fractions allowed), or a plain date.
fn check_datetime(s: &str) -> Result<(), String> {
    let bad = || format!("`{s}` is not a date-time; write RFC 3339, like `2025-03-01T08:00:00Z`");
    if parse_date(s).is_some() {
        return Ok(());
    }
    let (date, rest) = s.split_at_checked(10).ok_or_else(bad)?;
    parse_date(date).ok_or_else(bad)?;
    let rest = rest
        .strip_prefix('T')
        .or_else(|| rest.strip_prefix('t'))
        .ok_or_else(bad)?;
    let (time, zone) = if let Some(t) = rest.strip_suffix(['Z', 'z']) {
        (t, "")
    } else {
        let at = rest.rfind(['+', '-']).ok_or_else(bad)?;
        rest.split_at(at)
    };
    let hms: Vec<&str> = time
        .split('.')
        .next()
        .unwrap_or_default()
        .split(':')
        .collect();
    let ok = |v: &str, max: u32| v.len() == 2 && v.parse::<u32>().is_ok_and(|n| n <= max);
    if hms.len() != 3 || !ok(hms[0], 23) || !ok(hms[1], 59) || !ok(hms[2], 60) {
        return Err(bad());
    }
    if !zone.is_empty() {
        let z: Vec<&str> = zone[1..].split(':').collect();
        if z.len() != 2 || !ok(z[0], 23) || !ok(z[1], 59) {
            return Err(bad());
        }
    }
    Ok(())
}

/// The candidate closest to `name`, when it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: &[&'a str]) -> Option<&'a str> {
    // A truncated name (`crawler` for `crawler_name`) is a likely slip whatever the distance.
    if name.len() >= 4 {
        let mut prefixed = candidates
            .iter()
            .filter(|c| c.starts_with(name) && **c != name);
        if let (Some(only), None) = (prefixed.next(), prefixed.next()) {
            return Some(only);
        }
    }
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = distance(name, c);
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let (d, c) = best?;
    let limit = (name.chars().count().max(c.chars().count()) / 3).max(1);
    (d <= limit).then_some(c)
}

/// Edit distance over characters where swapping two neighbours counts as one edit (the
/// commonest typo: `modle`).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for i in 0..=a.len() {
        d[i * width] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(width) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// The position to report for a field path: the field itself, else its nearest declared parent
/// (a missing `copyright.policy` points at `copyright:`), else `None`.
pub fn locate(positions: &BTreeMap<String, Pos>, path: &str) -> Option<Pos> {
    let mut path = path;
    loop {
        if let Some(pos) = positions.get(path) {
            return Some(*pos);
        }
        let cut = path.rfind(['.', '['])?;
        path = &path[..cut];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<String> {
        match parse(text, "scelle.yaml") {
            Err(DescriptorError::Invalid { problems, .. }) => problems
                .iter()
                .map(|p| format!("{}:{}: {}", p.pos.line, p.pos.column, p.message))
                .collect(),
            other => panic!("expected problems, got {other:?}"),
        }
    }

    #[test]
    fn a_signer_pattern_must_be_a_regular_expression_on_its_own() {
        // `a)|(b` would escape the anchors of `^(?:...)$` if it were accepted.
        assert_eq!(
            problems("signing:\n  identity_regexp: 'a)|(b'\n"),
            vec!["2:20: `signing.identity_regexp`: `a)|(b` is not a regular expression: error: unopened group".to_owned()]
        );
        let declared = parse(
            "signing:\n  identity_regexp: 'https://github\\.com/org/.*'\n",
            "scelle.yaml",
        )
        .unwrap();
        assert_eq!(
            declared.value["signing"]["identity_regexp"],
            "https://github\\.com/org/.*"
        );
    }

    #[test]
    fn a_valid_declaration_is_normalised() {
        let text = "\
provider:
  legal_name: Exemple SAS
  country: FR
  eu_established: true
model:
  version: \"1.0\"
  parameters: {total: 158016}
  eu_market_date: 2025-09-01
  x-internal-ticket: REL-42
training:
  compute: {flops: 2000000, cumulative_flops: 1.2e24}
  time: {start: 2025-06-01T08:00:00Z, end: 2025-06-02T09:30:00+02:00}
copyright:
  policy: {uri: docs/copyright.md, sha256: sha256:00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff}
  complaint_contact:
datasets:
  - id: web-fr
    personal_data: {present: unknown}
    tdm: {opt_out_respected: true}
";
        let declared = parse(text, "scelle.yaml").unwrap();
        let v = &declared.value;
        assert_eq!(v["provider"]["country"], "FR");
        assert_eq!(v["model"]["parameters"]["total"], 158_016);
        assert_eq!(
            v["model"]["x-internal-ticket"], "REL-42",
            "x- keys pass through"
        );
        assert_eq!(
            v["training"]["compute"]["flops"],
            Value::from(2_000_000.0),
            "numbers are floats, so rules can do arithmetic with them"
        );
        assert_eq!(
            v["copyright"]["policy"]["sha256"],
            "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
        );
        assert!(
            v["copyright"].get("complaint_contact").is_none(),
            "an empty field is not declared"
        );
        assert_eq!(v["datasets"][0]["personal_data"]["present"], "unknown");
        assert_eq!(v["datasets"][0]["tdm"]["opt_out_respected"], true);
        assert_eq!(
            declared.positions["datasets[0].personal_data.present"],
            Pos {
                line: 18,
                column: 21
            }
        );
        assert_eq!(
            locate(&declared.positions, "copyright.policy.version"),
            Some(Pos {
                line: 14,
                column: 3
            }),
            "a missing field points at its nearest declared parent"
        );
    }

    #[test]
    fn unknown_fields_are_reported_with_their_line_and_a_suggestion() {
        assert_eq!(
            problems("copyright:\n  polcy: {uri: https://example.com/policy}\nmodle: {}\n"),
            vec![
                "2:3: unknown field `polcy` in `copyright` (did you mean `policy`?)",
                "3:1: unknown field `modle` at the top level (did you mean `model`?)",
            ]
        );
    }

    #[test]
    fn a_key_spilled_from_a_value_cut_at_a_comma_gets_the_comma_hint() {
        let hint = "(a comma inside `{...}` ends a value: quote the value that holds it)";
        assert_eq!(
            problems(
                "model:\n  architecture: {description: dense, layers}\n  aup: {url: https://example.com/aup, none: false, no_infringement}\n"
            ),
            vec![
                format!("2:38: unknown field `layers` in `model.architecture` {hint}"),
                format!("3:52: unknown field `no_infringement` in `model.aup` {hint}"),
            ]
        );
        assert_eq!(
            problems("model:\n  architecture: {description: dense, 2 layers}\n"),
            vec![format!(
                "2:38: unknown field `2 layers` in `model.architecture` {hint}"
            )],
            "multi-word keys as before"
        );
        assert_eq!(
            problems("model:\n  architecture: {description: dense, kind}\n"),
            vec![
                "2:38: `model.architecture.kind` has no value (a comma inside `{...}` ends a value: quote the value that holds it, or give `kind` a value)"
            ],
            "a spilled key that happens to be a field is not silently left undeclared"
        );
        assert_eq!(
            problems("model:\n  architecture:\n    famly:\n"),
            vec!["3:5: unknown field `famly` in `model.architecture` (did you mean `family`?)"],
            "a key alone on its line is a typo, not a spill"
        );
    }

    #[test]
    fn a_licence_is_checked_against_the_spdx_list() {
        let Err(DescriptorError::Invalid { problems, .. }) =
            parse("model:\n  license: {spdx: Apache 2.0}\n", "scelle.yaml")
        else {
            panic!("refused")
        };
        assert_eq!(problems.len(), 1);
        assert_eq!(
            problems[0].hint.as_deref(),
            Some("did you mean `Apache-2.0`?")
        );
        let e = DescriptorError::Invalid {
            file: "scelle.yaml".into(),
            problems,
        };
        assert_eq!(e.hint().as_deref(), Some("did you mean `Apache-2.0`?"));
        let ok = parse(
            "model:\n  license: {spdx: MIT OR LicenseRef-Exemple}\n",
            "scelle.yaml",
        )
        .unwrap();
        assert_eq!(
            ok.value["model"]["license"]["spdx"],
            "MIT OR LicenseRef-Exemple"
        );
    }

    #[test]
    fn wrong_types_and_bad_dates_are_all_reported() {
        let text = "\
provider:
  eu_established: yes
  country: fr
model:
  version: 1.0
  eu_market_date: 2025-02-30
  parameters: {total: -5}
release: {purpose: markt}
classification:
  systemic_risk: {notified_at: 12/03/2026}
training:
  compute: {basis: {utilisation: 45}}
datasets:
  - lia: docs/lia.pdf
";
        assert_eq!(
            problems(text),
            vec![
                "2:19: `provider.eu_established`: expected `true` or `false`, found the string `yes`",
                "3:12: `provider.country`: country codes are upper case: `FR`",
                "5:12: `model.version`: expected string, found a number; quote it to make it text",
                "6:19: `model.eu_market_date`: `2025-02-30` is not a date; write YYYY-MM-DD (a real day, like `2025-08-02`)",
                "7:23: `model.parameters.total`: expected a whole number of at least 0, found `-5`",
                "8:20: `release.purpose`: `markt` is not one of `market`, `research_only`, `internal` (did you mean `market`?)",
                "10:32: `classification.systemic_risk.notified_at`: `12/03/2026` is not a date; write YYYY-MM-DD (a real day, like `2025-08-02`)",
                "12:34: `training.compute.basis.utilisation`: expected a fraction between 0 and 1, found 45 (a percentage? divide by 100)",
                "14:10: `datasets[0].lia` is a document reference: write `{uri: docs/lia.pdf, sha256: <digest>}`",
            ]
        );
    }

    #[test]
    fn references_need_a_uri_inside_the_release_or_a_url() {
        assert_eq!(
            problems(
                "docs:\n  technical_documentation: {sha256: abc}\n  downstream_info: {uri: ../secret.pdf}\n"
            ),
            vec![
                "2:37: `docs.technical_documentation.sha256`: expected a SHA-256 digest (64 hex digits), found 3 characters",
                "3:26: `docs.downstream_info.uri`: `../secret.pdf` is neither a URL nor a path inside the release: the path has a `.` or `..` component",
            ]
        );
    }

    #[test]
    fn the_top_level_must_be_a_mapping() {
        assert_eq!(
            problems("- a\n- b\n"),
            vec!["1:1: expected a mapping of sections (`provider:`, `model:`...), found a list"]
        );
        assert_eq!(
            parse("", "scelle.yaml").unwrap().value,
            serde_json::json!({})
        );
    }

    #[test]
    fn yaml_syntax_errors_name_the_file_and_line() {
        let e = parse("provider:\n  legal_name: [x\n", "rel/scelle.yaml").unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("`rel/scelle.yaml` is not valid YAML: "),
            "{text}"
        );
    }

    #[test]
    fn suggestions_only_for_likely_typos() {
        assert_eq!(
            closest("polcy", &["policy", "complaint_contact"]),
            Some("policy")
        );
        assert_eq!(closest("zzz", &["policy", "model"]), None);
    }
}
