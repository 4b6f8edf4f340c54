//! NumPy `.npy` arrays and `.npz` archives of them.
//!
//! A `.npy` header is a Python dict literal (`{'descr': '<f4', 'fortran_order': False,
//! 'shape': (3, 4), }`); it is tokenised here, never evaluated. An array whose dtype holds
//! Python objects (`'|O'`, or an object field anywhere in a structured dtype, nested or in a
//! sub-array) stores a pickle after the header: `np.load(allow_pickle=True)` would unpickle it,
//! so it is scanned like any pickle. `.npz` members are read header-first, without inflating
//! their data; `np.load` treats every member that starts with the `.npy` magic as an array,
//! whatever its name, and so does this reader.

use std::collections::BTreeMap;

use serde::Serialize;

use super::input::ReadInput;
use super::source::{Malformed, Source};
use super::torch::{self, Merged};
use super::{Report, compressed, pickle, rules, zip};
use crate::finding::Severity;

const MAGIC: &[u8] = b"\x93NUMPY";
/// `numpy.load`'s default header limit is 10,000 bytes; allow more, but bounded.
const MAX_HEADER: u64 = 64 * 1024;

/// A parsed `.npy` header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Header {
    pub dtype: String,
    pub shape: Vec<u64>,
    pub fortran_order: bool,
    /// The dtype holds Python objects somewhere (`dtype.hasobject`).
    #[serde(skip)]
    pub has_object: bool,
    /// Elements (product of the shape).
    pub elements: u64,
    /// Where the array data starts.
    #[serde(skip)]
    pub data_offset: u64,
}

impl Header {
    /// Object arrays hold Python objects, pickled.
    pub fn is_object(&self) -> bool {
        self.has_object
    }

    /// Bytes per element for simple dtypes (`<f4` -> 4), when known.
    fn item_size(&self) -> Option<u64> {
        let code = self.dtype.trim_start_matches(['<', '>', '|', '=']);
        let mut chars = code.chars();
        let kind = chars.next()?;
        let n: u64 = chars.as_str().parse().ok()?;
        match kind {
            'f' | 'i' | 'u' | 'c' | 'b' | 'S' | 'V' | 'm' | 'M' => Some(n),
            'U' => Some(4 * n),
            '?' => Some(1),
            _ => None,
        }
    }
}

/// Reads a `.npy` header from the start of `source`.
pub fn header(source: Source<'_>) -> Result<Header, Malformed> {
    let magic = source.array::<6>(0, "magic")?;
    if magic != MAGIC {
        return Err(Malformed::new(0, "not a .npy file (no `\\x93NUMPY` magic)"));
    }
    let [major, _minor] = source.array::<2>(6, "version")?;
    let (len, start) = match major {
        1 => (
            u64::from(u16::from_le_bytes(source.array::<2>(8, "header length")?)),
            10,
        ),
        2 | 3 => (
            u64::from(u32::from_le_bytes(source.array::<4>(8, "header length")?)),
            12,
        ),
        v => {
            return Err(Malformed::new(
                6,
                format!("unknown .npy format version {v}"),
            ));
        }
    };
    if len > MAX_HEADER {
        return Err(Malformed::new(
            start - 4,
            format!("header of {len} bytes, more than the {MAX_HEADER} read"),
        ));
    }
    let text = source.read(start, len, "header")?;
    let text = String::from_utf8_lossy(&text);
    let dict = parse_literal(&text)
        .map_err(|e| Malformed::new(start, format!("header is not a dict literal: {e}")))?;
    let Literal::Dict(entries) = dict else {
        return Err(Malformed::new(start, "header is not a dict literal"));
    };
    let get = |key: &str| {
        entries
            .iter()
            .find(|(k, _)| matches!(k, Literal::Str(s) if s == key))
            .map(|(_, v)| v)
    };
    let descr = get("descr").ok_or_else(|| Malformed::new(start, "header has no `descr`"))?;
    let dtype = match descr {
        Literal::Str(s) => s.clone(),
        Literal::List(_) | Literal::Dict(_) => "structured".to_owned(),
        _ => return Err(Malformed::new(start, "header has no `descr`")),
    };
    let has_object = holds_objects(descr, 0);
    let fortran_order = matches!(get("fortran_order"), Some(Literal::Bool(true)));
    let Some(Literal::Tuple(dims)) = get("shape") else {
        return Err(Malformed::new(start, "header has no `shape` tuple"));
    };
    let mut shape = Vec::with_capacity(dims.len());
    let mut elements: u64 = 1;
    for d in dims {
        let Literal::Int(n) = d else {
            return Err(Malformed::new(
                start,
                "a `shape` dimension is not an integer",
            ));
        };
        elements = elements
            .checked_mul(*n)
            .ok_or_else(|| Malformed::new(start, "the element count overflows"))?;
        shape.push(*n);
    }
    Ok(Header {
        dtype,
        shape,
        fortran_order,
        has_object,
        elements,
        data_offset: start + len,
    })
}

/// Whether a `descr` holds an object type anywhere: a type string of kind `O`, a field of a
/// structured dtype (`(name, type)` or `(name, type, shape)`, the name possibly a
/// `(title, name)` pair), a nested field list, or the `formats` of a dict form. Field names are
/// never mistaken for types.
fn holds_objects(descr: &Literal, depth: usize) -> bool {
    if depth > MAX_NESTING {
        // Deeper than a header can be parsed: assume the worst.
        return true;
    }
    match descr {
        Literal::Str(t) => t.trim_start_matches(['<', '>', '|', '=']).starts_with('O'),
        Literal::List(fields) => fields.iter().any(|f| match f {
            Literal::Tuple(parts) | Literal::List(parts) => {
                parts.get(1).is_some_and(|t| holds_objects(t, depth + 1))
            }
            other => holds_objects(other, depth + 1),
        }),
        Literal::Tuple(parts) => parts.first().is_some_and(|t| holds_objects(t, depth + 1)),
        Literal::Dict(entries) => entries.iter().any(|(k, v)| {
            matches!(k, Literal::Str(k) if k == "formats") && holds_objects(v, depth + 1)
        }),
        _ => false,
    }
}

/// A `.npy` file.
pub fn inspect_npy(source: Source<'_>, report: &mut Report) -> Result<(), Malformed> {
    let h = header(source)?;
    report.facts_from(&h);
    // An array in a model folder is weights: its elements count as parameters in the summary.
    report.fact("parameters", h.elements);
    if h.is_object() {
        object_array(source, &h, report);
    } else if let Some(size) = h.item_size() {
        let expected = h.elements.saturating_mul(size);
        let actual = source.size() - h.data_offset;
        if expected != actual {
            report.note(
                rules::NONCONFORMING,
                Severity::Warning,
                format!("the header describes {expected} bytes of data, but {actual} follow it"),
                Some(h.data_offset),
            );
        }
    }
    Ok(())
}

/// The warning every object array gets: loading it needs `allow_pickle=True`.
fn note_object_array(member: Option<&str>, at: Option<u64>, report: &mut Report) {
    let name = member.map(|m| format!("{m} is ")).unwrap_or_default();
    report.note(
        rules::NOTE,
        Severity::Warning,
        format!(
            "{name}an object array: loading it needs `allow_pickle=True`, which unpickles its data"
        ),
        at,
    );
}

/// An object array: its data is a pickle, scanned like any other.
fn object_array(source: Source<'_>, h: &Header, report: &mut Report) {
    note_object_array(None, Some(h.data_offset), report);
    let mut merged = Merged::default();
    // Walked in place, so that offsets are the file's.
    torch::scan_source_from(source, h.data_offset, None, 0, &mut merged, report);
    merged.record(report);
}

/// An archive member that starts with the `.npy` magic: its object data, when it has any, is
/// scanned into `merged`.
pub(crate) fn zip_member_array(
    source: Source<'_>,
    entry: &zip::Entry,
    member: &str,
    merged: &mut Merged,
    report: &mut Report,
) {
    let h = match zip::prefix(source, entry, MAX_HEADER + 16)
        .and_then(|head| header(Source::bytes(&head)))
    {
        Ok(h) => h,
        Err(m) => {
            report.note(
                rules::MALFORMED,
                Severity::Error,
                format!("{member}: {}", m.message),
                None,
            );
            return;
        }
    };
    if !h.is_object() {
        return;
    }
    note_object_array(Some(member), None, report);
    let label = format!("the object data of {member}");
    if entry.method == 0 {
        match source
            .slice(entry.data_offset, entry.compressed_size, &entry.name)
            .and_then(|m| {
                m.slice(
                    h.data_offset,
                    m.size().saturating_sub(h.data_offset),
                    &entry.name,
                )
            }) {
            Ok(data) => {
                torch::scan_source(data, Some(label), 0, merged, report);
            }
            Err(m) => report.malformed(m),
        }
        return;
    }
    match zip::reader(source, entry) {
        Ok(mut r) => {
            let mut input = ReadInput::new(&mut r, compressed::MAX_DECOMPRESSED);
            let scan = match input_skip(&mut input, h.data_offset) {
                Ok(()) => pickle::scan(&mut input),
                Err(m) => {
                    report.malformed(m);
                    return;
                }
            };
            merged.add_stream(label, scan, report);
        }
        Err(m) => report.malformed(m),
    }
}

fn input_skip(input: &mut ReadInput<'_>, n: u64) -> Result<(), Malformed> {
    use super::input::Input;
    input.skip(n, "array header")
}

/// Facts of an `.npz` archive.
#[derive(Debug, Default, Serialize)]
struct NpzFacts {
    arrays: u64,
    parameters: u64,
    dtypes: BTreeMap<String, u64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    object_arrays: Vec<String>,
}

/// An `.npz` archive: the arrays' headers give the facts; the safety walk (object arrays, and
/// any member a loader could unpickle) is the one every zip gets.
pub fn inspect_npz(source: Source<'_>, report: &mut Report) -> Result<(), Malformed> {
    let archive = zip::read(source)?;
    let mut facts = NpzFacts::default();
    for entry in &archive.entries {
        let Ok(head) = zip::prefix(source, entry, MAX_HEADER + 16) else {
            continue;
        };
        if !head.starts_with(MAGIC) {
            continue;
        }
        let Ok(h) = header(Source::bytes(&head)) else {
            continue;
        };
        facts.arrays += 1;
        facts.parameters = facts.parameters.saturating_add(h.elements);
        *facts.dtypes.entry(h.dtype.clone()).or_default() += h.elements;
        if h.is_object() {
            facts.object_arrays.push(entry.name.clone());
        }
    }
    report.facts_from(&facts);
    torch::inspect_zip(source, false, report)
}

/// The Python literals a `.npy` header uses.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Literal {
    Str(String),
    Int(u64),
    Bool(bool),
    None,
    Tuple(Vec<Literal>),
    List(Vec<Literal>),
    Dict(Vec<(Literal, Literal)>),
}

/// Nesting a header needs: a dict, a list of tuples (structured dtypes), maybe one more level.
const MAX_NESTING: usize = 16;

fn parse_literal(text: &str) -> Result<Literal, String> {
    let mut p = Parser {
        bytes: text.as_bytes(),
        pos: 0,
    };
    let v = p.value(0)?;
    p.space();
    if p.pos != p.bytes.len() {
        return Err(format!("unexpected text at {}", p.pos));
    }
    Ok(v)
}

struct Parser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn space(&mut self) {
        while self
            .bytes
            .get(self.pos)
            .is_some_and(u8::is_ascii_whitespace)
        {
            self.pos += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.space();
        self.bytes.get(self.pos).copied()
    }

    fn value(&mut self, depth: usize) -> Result<Literal, String> {
        if depth > MAX_NESTING {
            return Err("nested too deeply".into());
        }
        match self.peek().ok_or("unexpected end")? {
            b'\'' | b'"' => self.string(),
            b'{' => self.dict(depth),
            b'(' => self.sequence(b')', depth).map(Literal::Tuple),
            b'[' => self.sequence(b']', depth).map(Literal::List),
            b'0'..=b'9' => {
                let start = self.pos;
                while self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
                    self.pos += 1;
                }
                if self.bytes.get(self.pos) == Some(&b'L') {
                    self.pos += 1;
                }
                std::str::from_utf8(&self.bytes[start..self.pos])
                    .ok()
                    .and_then(|s| s.trim_end_matches('L').parse().ok())
                    .map(Literal::Int)
                    .ok_or_else(|| "integer out of range".into())
            }
            _ => {
                for (word, v) in [
                    ("True", Literal::Bool(true)),
                    ("False", Literal::Bool(false)),
                    ("None", Literal::None),
                ] {
                    if self.bytes[self.pos..].starts_with(word.as_bytes()) {
                        self.pos += word.len();
                        return Ok(v);
                    }
                }
                Err(format!("unexpected character at {}", self.pos))
            }
        }
    }

    fn string(&mut self) -> Result<Literal, String> {
        let quote = self.bytes[self.pos];
        self.pos += 1;
        let start = self.pos;
        while let Some(&b) = self.bytes.get(self.pos) {
            if b == quote {
                let s = String::from_utf8_lossy(&self.bytes[start..self.pos]).into_owned();
                self.pos += 1;
                return Ok(Literal::Str(s));
            }
            // Escapes do not appear in dtype strings; refuse them rather than misread them.
            if b == b'\\' {
                return Err("escape sequences are not supported in header strings".into());
            }
            self.pos += 1;
        }
        Err("unterminated string".into())
    }

    fn sequence(&mut self, close: u8, depth: usize) -> Result<Vec<Literal>, String> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            if self.peek() == Some(close) {
                self.pos += 1;
                return Ok(items);
            }
            items.push(self.value(depth + 1)?);
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(c) if c == close => {}
                _ => return Err("expected `,` or a closing bracket".into()),
            }
        }
    }

    fn dict(&mut self, depth: usize) -> Result<Literal, String> {
        self.pos += 1;
        let mut entries = Vec::new();
        loop {
            if self.peek() == Some(b'}') {
                self.pos += 1;
                return Ok(Literal::Dict(entries));
            }
            let key = self.value(depth + 1)?;
            if self.peek() != Some(b':') {
                return Err("expected `:`".into());
            }
            self.pos += 1;
            let value = self.value(depth + 1)?;
            entries.push((key, value));
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {}
                _ => return Err("expected `,` or `}`".into()),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::cast_possible_truncation)] // short test headers
    fn npy(header_text: &str, data: &[u8]) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        out.extend([1, 0]);
        out.extend((header_text.len() as u16).to_le_bytes());
        out.extend(header_text.as_bytes());
        out.extend(data);
        out
    }

    #[test]
    fn reads_dtype_shape_and_order() {
        let file = npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }\n",
            &[0u8; 48],
        );
        let h = header(Source::bytes(&file)).unwrap();
        assert_eq!(
            (
                h.dtype.as_str(),
                h.shape.as_slice(),
                h.elements,
                h.fortran_order
            ),
            ("<f4", &[3u64, 4][..], 12, false)
        );
        let mut report = Report::default();
        inspect_npy(Source::bytes(&file), &mut report).unwrap();
        assert!(report.notes.is_empty());
    }

    #[test]
    fn scalars_structured_dtypes_and_size_mismatches() {
        let scalar = npy(
            "{'descr': '<i8', 'fortran_order': False, 'shape': (), }",
            &[0u8; 8],
        );
        assert_eq!(header(Source::bytes(&scalar)).unwrap().elements, 1);
        let structured = npy(
            "{'descr': [('a', '<i4'), ('b', '<f8')], 'fortran_order': False, 'shape': (2,), }",
            &[],
        );
        assert_eq!(
            header(Source::bytes(&structured)).unwrap().dtype,
            "structured"
        );
        let short = npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
            &[0u8; 4],
        );
        let mut report = Report::default();
        inspect_npy(Source::bytes(&short), &mut report).unwrap();
        assert!(
            report.notes[0]
                .message
                .contains("describes 12 bytes of data, but 4 follow")
        );
    }

    #[test]
    fn an_object_array_is_scanned_as_a_pickle() {
        let payload = b"\x80\x02cposix\nsystem\nX\x02\x00\x00\x00id\x85R.";
        let file = npy(
            "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }",
            payload,
        );
        let mut report = Report::default();
        inspect_npy(Source::bytes(&file), &mut report).unwrap();
        assert_eq!(report.facts["pickle"]["verdict"], "dangerous");
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.message.contains("calls `posix.system`")),
            "{:?}",
            report.notes
        );
    }

    #[test]
    fn hostile_headers_are_malformed() {
        for (text, needle) in [
            (
                "{'descr': '<f4', 'shape': (99999999999, 99999999999, 99999999999), }",
                "overflows",
            ),
            ("{'descr': '<f4'", "expected `,` or `}`"),
            ("__import__('os').system('id')", "unexpected character"),
            (
                &format!("{}1{}", "(".repeat(100), ")".repeat(100)),
                "nested too deeply",
            ),
        ] {
            let err = header(Source::bytes(&npy(text, &[]))).unwrap_err();
            assert!(err.message.contains(needle), "{text}: {err}");
        }
        let mut huge = MAGIC.to_vec();
        huge.extend([2, 0]);
        huge.extend(u32::MAX.to_le_bytes());
        assert!(
            header(Source::bytes(&huge))
                .unwrap_err()
                .message
                .contains("more than the 65536 read")
        );
    }
}
