//! safetensors: an 8-byte little-endian header length, a JSON header naming every tensor's dtype,
//! shape and byte range, then the raw data.
//!
//! The checks are those of the reference reader (`safetensors` 0.8: header length within the
//! file and 100 MB, UTF-8 JSON, known dtypes, tensors contiguous from offset 0 with no gap or
//! overlap, each range exactly the size its dtype and shape call for, and nothing after the last
//! tensor), plus a stricter layer the reference lacks: duplicate tensor names (the reference keeps
//! the last one silently, so two readers can disagree), unknown fields in a tensor entry, and
//! headers over the 25 MB the Hugging Face hub reads. Only the header is read.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;

use super::source::{Malformed, Source};
use super::{Report, rules};
use crate::finding::Severity;

/// The reference reader's limit on the header length.
const MAX_HEADER: u64 = 100_000_000;
/// What the Hugging Face hub reads of a header (`SAFETENSORS_MAX_HEADER_LENGTH`).
const HUB_MAX_HEADER: u64 = 25_000_000;
/// `__metadata__` entries recorded as facts (values shortened), so a hostile header cannot bloat
/// the manifest.
const MAX_METADATA_FACTS: usize = 64;
const MAX_METADATA_VALUE: usize = 256;

/// The dtype's name as a static string and its bits per element, for each dtype the reference
/// knows (safetensors 0.8 `Dtype`).
fn dtype_of(dtype: &str) -> Option<(&'static str, u64)> {
    const NAMES: [&str; 22] = [
        "F4",
        "F6_E2M3",
        "F6_E3M2",
        "BOOL",
        "U8",
        "I8",
        "F8_E5M2",
        "F8_E4M3",
        "F8_E8M0",
        "F8_E4M3FNUZ",
        "F8_E5M2FNUZ",
        "I16",
        "U16",
        "F16",
        "BF16",
        "I32",
        "U32",
        "F32",
        "C64",
        "F64",
        "I64",
        "U64",
    ];
    let name = NAMES.iter().find(|n| **n == dtype)?;
    Some((name, dtype_bits(dtype)?))
}

/// Bits per element of each dtype the reference knows (safetensors 0.8 `Dtype`).
fn dtype_bits(dtype: &str) -> Option<u64> {
    Some(match dtype {
        "F4" => 4,
        "F6_E2M3" | "F6_E3M2" => 6,
        "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" | "F8_E8M0" | "F8_E4M3FNUZ"
        | "F8_E5M2FNUZ" => 8,
        "I16" | "U16" | "F16" | "BF16" => 16,
        "I32" | "U32" | "F32" => 32,
        "C64" | "F64" | "I64" | "U64" => 64,
        _ => return None,
    })
}

/// What the header says, as recorded in the manifest.
#[derive(Debug, Default, Serialize)]
struct Facts {
    tensors: u64,
    parameters: u64,
    /// Parameters per dtype.
    dtypes: BTreeMap<String, u64>,
    /// Bytes of tensor data.
    data_bytes: u64,
    header_bytes: u64,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    metadata: BTreeMap<String, String>,
}

/// One tensor entry, validated. Kept compact: a header of a million tensors costs a tenth of
/// what its JSON tree would.
struct Tensor {
    dtype: &'static str,
    begin: u64,
    end: u64,
    elements: u64,
    bits: u64,
}

/// Headers above this size are parsed one at a time across the hashing workers, so that the
/// memory a hostile header costs is not multiplied by `--jobs`.
const LARGE_HEADER: u64 = 8 << 20;
static LARGE_HEADERS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Reads the header of a safetensors file into `report`.
pub fn inspect(source: Source<'_>, report: &mut Report) -> Result<(), Malformed> {
    let len = u64::from_le_bytes(source.array::<8>(0, "header length")?);
    if len > MAX_HEADER {
        return Err(Malformed::new(
            0,
            format!("header length {len} exceeds the {MAX_HEADER}-byte limit"),
        ));
    }
    if len.saturating_add(8) > source.size() {
        return Err(Malformed::new(
            0,
            format!(
                "header length {len} runs past the end of the file ({} bytes)",
                source.size()
            ),
        ));
    }
    if len > HUB_MAX_HEADER {
        report.note(
            rules::NONCONFORMING,
            Severity::Warning,
            format!(
                "the header is {len} bytes; the Hugging Face hub reads at most {HUB_MAX_HEADER}"
            ),
            Some(0),
        );
    }
    let _one_at_a_time = (len > LARGE_HEADER).then(|| {
        LARGE_HEADERS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    });
    let data_start = 8 + len;
    let mut facts = Facts {
        header_bytes: len,
        ..Facts::default()
    };
    let mut tensors: BTreeMap<Box<str>, Tensor> = BTreeMap::new();
    let mut problem: Option<Malformed> = None;
    // Streamed from the file: an 80 MB header is never held, only its compact tensor records.
    let reader = std::io::BufReader::with_capacity(
        1 << 16,
        HeaderReader {
            source,
            pos: 8,
            end: 8 + len,
        },
    );
    let parsed = parse_entries(reader, |name, value| {
        if problem.is_some() {
            return;
        }
        let result = take_entry(name, value, data_start, &mut facts, &mut tensors, report);
        if let Err(e) = result {
            problem = Some(e);
        }
    });
    parsed.map_err(|e| {
        Malformed::new(
            8 + byte_offset(source, len, &e),
            format!("the header is not a JSON object: {e}"),
        )
    })?;
    if let Some(problem) = problem {
        return Err(problem);
    }

    let data_end = check_layout(&tensors, data_start)?;
    let data = source.size() - data_start;
    if data_end != data {
        return Err(Malformed::new(
            data_start.saturating_add(data_end),
            format!("the tensors hold {data_end} bytes, but {data} bytes follow the header"),
        ));
    }

    for t in tensors.values() {
        facts.tensors += 1;
        facts.parameters = facts.parameters.saturating_add(t.elements);
        *facts.dtypes.entry(t.dtype.to_owned()).or_default() += t.elements;
    }
    facts.data_bytes = data;
    report.facts_from(&facts);
    Ok(())
}

/// One entry of the header: `__metadata__` into the facts, a tensor into `tensors`.
fn take_entry(
    name: &str,
    value: EntryValue,
    data_start: u64,
    facts: &mut Facts,
    tensors: &mut BTreeMap<Box<str>, Tensor>,
    report: &mut Report,
) -> Result<(), Malformed> {
    if name == "__metadata__" {
        match value {
            EntryValue::Metadata(v) => read_metadata(&v, facts, report),
            EntryValue::Tensor(_) => Ok(()),
        }
    } else {
        match value {
            EntryValue::Tensor(entry) => {
                read_tensor(name, &entry, data_start, report).map(|tensor| {
                    if tensors.contains_key(name) {
                        // The reference keeps the last entry; say so, and check what it
                        // would load.
                        report.note(
                            rules::NONCONFORMING,
                            Severity::Error,
                            format!("tensor `{name}` is listed twice in the header; readers may disagree on which one loads"),
                            Some(data_start + tensor.begin),
                        );
                    }
                    tensors.insert(name.into(), tensor);
                })
            }
            EntryValue::Metadata(_) => Ok(()),
        }
    }
}

/// The reference's layout rules: tensors contiguous from data offset 0, no gap, no overlap, each
/// exactly as long as its dtype and shape need. Returns where the last tensor ends.
fn check_layout(tensors: &BTreeMap<Box<str>, Tensor>, data_start: u64) -> Result<u64, Malformed> {
    let mut ordered: Vec<(&str, &Tensor)> = tensors.iter().map(|(n, t)| (&**n, t)).collect();
    ordered.sort_by_key(|(_, t)| (t.begin, t.end));
    let mut expected_begin = 0u64;
    for &(name, t) in &ordered {
        let at = data_start.saturating_add(t.begin);
        if t.begin != expected_begin {
            let what = if t.begin < expected_begin {
                "overlaps the tensor before it"
            } else {
                "leaves a gap after the tensor before it"
            };
            return Err(Malformed::new(
                at,
                format!(
                    "tensor `{}` starts at data offset {}, expected {expected_begin}: it {what}",
                    name, t.begin
                ),
            ));
        }
        if t.end < t.begin {
            return Err(Malformed::new(
                at,
                format!(
                    "tensor `{}` ends ({}) before it begins ({})",
                    name, t.end, t.begin
                ),
            ));
        }
        let bits = t
            .elements
            .checked_mul(t.bits)
            .ok_or_else(|| Malformed::new(at, format!("tensor `{name}`: its size overflows")))?;
        if bits % 8 != 0 {
            return Err(Malformed::new(
                at,
                format!("tensor `{name}`: {bits} bits is not a whole number of bytes"),
            ));
        }
        if t.end - t.begin != bits / 8 {
            return Err(Malformed::new(
                at,
                format!(
                    "tensor `{}` spans {} bytes, but its dtype and shape need {}",
                    name,
                    t.end - t.begin,
                    bits / 8
                ),
            ));
        }
        expected_begin = t.end;
    }
    Ok(expected_begin)
}

fn read_metadata(value: &Value, facts: &mut Facts, report: &mut Report) -> Result<(), Malformed> {
    let Value::Object(map) = value else {
        return Err(Malformed::new(8, "`__metadata__` is not an object"));
    };
    for (key, v) in map {
        let Value::String(text) = v else {
            // The reference refuses the whole header in this case.
            return Err(Malformed::new(
                8,
                format!("`__metadata__.{key}` is not a string"),
            ));
        };
        if facts.metadata.len() < MAX_METADATA_FACTS {
            let mut shown: String = text.chars().take(MAX_METADATA_VALUE).collect();
            if shown.len() < text.len() {
                shown.push('…');
            }
            facts.metadata.insert(key.clone(), shown);
        }
    }
    if map.len() > MAX_METADATA_FACTS {
        report.note(
            rules::NOTE,
            Severity::Info,
            format!(
                "`__metadata__` has {} entries; the first {MAX_METADATA_FACTS} are recorded",
                map.len()
            ),
            Some(8),
        );
    }
    Ok(())
}

fn read_tensor(
    name: &str,
    entry: &TensorEntry,
    data_start: u64,
    report: &mut Report,
) -> Result<Tensor, Malformed> {
    let bad = |what: &str| Malformed::new(8, format!("tensor `{name}`: {what}"));
    if !entry.object {
        return Err(bad("the entry is not an object"));
    }
    let dtype = entry
        .dtype
        .as_ref()
        .and_then(Value::as_str)
        .ok_or_else(|| bad("no `dtype` string"))?;
    let (dtype, bits) = dtype_of(dtype).ok_or_else(|| bad(&format!("unknown dtype `{dtype}`")))?;
    let shape = entry
        .shape
        .as_ref()
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no `shape` list"))?;
    let mut elements: u64 = 1;
    for dim in shape {
        let dim = dim
            .as_u64()
            .ok_or_else(|| bad("a `shape` dimension is not a non-negative integer"))?;
        elements = elements
            .checked_mul(dim)
            .ok_or_else(|| bad("the element count overflows"))?;
    }
    let offsets = entry
        .data_offsets
        .as_ref()
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no `data_offsets` pair"))?;
    let [begin, end] = offsets.as_slice() else {
        return Err(bad("`data_offsets` is not a pair"));
    };
    let (Some(begin), Some(end)) = (begin.as_u64(), end.as_u64()) else {
        return Err(bad("`data_offsets` are not non-negative integers"));
    };
    if !entry.unknown.is_empty() {
        report.note(
            rules::NONCONFORMING,
            Severity::Warning,
            format!(
                "tensor `{name}` has unknown fields ({}), which readers ignore",
                entry
                    .unknown
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Some(data_start.saturating_add(begin)),
        );
    }
    Ok(Tensor {
        dtype,
        begin,
        end,
        elements,
        bits,
    })
}

/// A tensor entry as read: its three fields, and the names of any others (whose values are
/// skipped unread). Not an object: `object` is false.
#[derive(Default)]
struct TensorEntry {
    object: bool,
    dtype: Option<Value>,
    shape: Option<Value>,
    data_offsets: Option<Value>,
    unknown: Vec<String>,
}

impl<'de> serde::Deserialize<'de> for TensorEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TensorEntry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a tensor entry")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TensorEntry, A::Error> {
                let mut e = TensorEntry {
                    object: true,
                    ..TensorEntry::default()
                };
                while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                    match &*key {
                        "dtype" => e.dtype = Some(map.next_value()?),
                        "shape" => e.shape = Some(map.next_value()?),
                        "data_offsets" => e.data_offsets = Some(map.next_value()?),
                        other => {
                            e.unknown.push(other.to_owned());
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(e)
            }
            fn visit_bool<E>(self, _: bool) -> Result<TensorEntry, E> {
                Ok(TensorEntry::default())
            }
            fn visit_i64<E>(self, _: i64) -> Result<TensorEntry, E> {
                Ok(TensorEntry::default())
            }
            fn visit_u64<E>(self, _: u64) -> Result<TensorEntry, E> {
                Ok(TensorEntry::default())
            }
            fn visit_f64<E>(self, _: f64) -> Result<TensorEntry, E> {
                Ok(TensorEntry::default())
            }
            fn visit_str<E>(self, _: &str) -> Result<TensorEntry, E> {
                Ok(TensorEntry::default())
            }
            fn visit_unit<E>(self) -> Result<TensorEntry, E> {
                Ok(TensorEntry::default())
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<TensorEntry, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(TensorEntry::default())
            }
        }
        d.deserialize_any(V)
    }
}

/// One entry's value: `__metadata__` as JSON (its values are shortened into facts), a tensor
/// entry as its fields.
enum EntryValue {
    Metadata(Value),
    Tensor(TensorEntry),
}

/// Hands each of the header's entries to `each` in file order, duplicates kept (a JSON map
/// would drop them), without building a tree of the whole header.
fn parse_entries(
    reader: impl std::io::Read,
    each: impl FnMut(&str, EntryValue),
) -> Result<(), serde_json::Error> {
    struct Entries<F>(F);
    impl<'de, F: FnMut(&str, EntryValue)> Visitor<'de> for Entries<F> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<(), A::Error> {
            while let Some(name) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                let value = if name == "__metadata__" {
                    EntryValue::Metadata(map.next_value()?)
                } else {
                    EntryValue::Tensor(map.next_value()?)
                };
                (self.0)(&name, value);
            }
            Ok(())
        }
    }
    let mut de = serde_json::Deserializer::from_reader(reader);
    (&mut de).deserialize_map(Entries(each))?;
    de.end()
}

/// The header's bytes, read from the file as the parser asks for them.
struct HeaderReader<'a> {
    source: Source<'a>,
    pos: u64,
    end: u64,
}

impl std::io::Read for HeaderReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.end - self.pos);
        if n == 0 {
            return Ok(0);
        }
        let bytes = self
            .source
            .read(self.pos, n, "header")
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        buf[..bytes.len()].copy_from_slice(&bytes);
        self.pos += bytes.len() as u64;
        Ok(bytes.len())
    }
}

/// The offset in the header of a JSON error's line and column (lines counted again, from
/// the file, only when there is an error).
fn byte_offset(source: Source<'_>, len: u64, e: &serde_json::Error) -> u64 {
    let column = e.column().saturating_sub(1) as u64;
    let mut line = 1;
    let mut pos = 0u64;
    while line < e.line() && pos < len {
        let n = (len - pos).min(1 << 16);
        let Ok(chunk) = source.read(8 + pos, n, "header") else {
            break;
        };
        for (i, &b) in chunk.iter().enumerate() {
            if b == b'\n' {
                line += 1;
                if line == e.line() {
                    return pos + i as u64 + 1 + column;
                }
            }
        }
        pos += n;
    }
    column
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file from a header (as JSON text) and `data` bytes.
    fn file(header: &str, data: usize) -> Vec<u8> {
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(header.as_bytes());
        out.extend(std::iter::repeat_n(0u8, data));
        out
    }

    fn run(bytes: &[u8]) -> (Report, Result<(), Malformed>) {
        let mut report = Report::default();
        let result = inspect(Source::bytes(bytes), &mut report);
        (report, result)
    }

    #[test]
    fn counts_tensors_parameters_and_dtypes() {
        let header = r#"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]},"s":{"dtype":"I64","shape":[],"data_offsets":[32,40]}}"#;
        let (report, result) = run(&file(header, 40));
        result.unwrap();
        assert_eq!(report.facts["tensors"], 3);
        assert_eq!(report.facts["parameters"], 11);
        assert_eq!(
            report.facts["dtypes"],
            serde_json::json!({"BF16": 4, "F32": 6, "I64": 1})
        );
        assert_eq!(
            report.facts["metadata"],
            serde_json::json!({"format": "pt"})
        );
        assert!(report.notes.is_empty());
    }

    #[test]
    fn hostile_headers_are_malformed_with_the_reason() {
        let cases: [(Vec<u8>, &str); 10] = [
            (
                vec![1, 2, 3],
                "header length: 8 bytes at offset 0 run past the end",
            ),
            (
                file("{}", 0)[..9].to_vec(),
                "header length 2 runs past the end of the file",
            ),
            (
                {
                    let mut f = file("{}", 0);
                    f[..8].copy_from_slice(&u64::MAX.to_le_bytes());
                    f
                },
                "exceeds the 100000000-byte limit",
            ),
            (
                file(
                    r#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#,
                    12,
                ),
                "tensor `b` starts at data offset 4, expected 8: it overlaps",
            ),
            (
                file(
                    r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#,
                    12,
                ),
                "leaves a gap",
            ),
            (
                file(
                    r#"{"a":{"dtype":"Q9","shape":[1],"data_offsets":[0,4]}}"#,
                    4,
                ),
                "tensor `a`: unknown dtype `Q9`",
            ),
            (
                file(
                    r#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#,
                    8,
                ),
                "spans 8 bytes, but its dtype and shape need 12",
            ),
            (
                file(
                    r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#,
                    9,
                ),
                "the tensors hold 4 bytes, but 9 bytes follow the header",
            ),
            (
                file(r#"{"__metadata__":{"n":1}}"#, 0),
                "`__metadata__.n` is not a string",
            ),
            (
                file(
                    r#"{"a":{"dtype":"F4","shape":[3],"data_offsets":[0,2]}}"#,
                    2,
                ),
                "12 bits is not a whole number of bytes",
            ),
        ];
        for (bytes, needle) in cases {
            let (_, result) = run(&bytes);
            let err = result.unwrap_err();
            assert!(
                err.message.contains(needle),
                "expected {needle:?}, got {err}"
            );
        }
    }

    #[test]
    fn json_errors_point_into_the_header() {
        let (_, result) = run(&file("{\"a\": nope}", 0));
        let err = result.unwrap_err();
        assert!(
            err.message.starts_with("the header is not a JSON object"),
            "{err}"
        );
        // The first byte that cannot continue the JSON: the `o` of `nope`, index 7 of the header.
        assert_eq!(err.offset, 8 + 7);
        let (_, result) = run(&file("[1,2]", 0));
        assert!(result.unwrap_err().message.contains("a JSON object"));
    }

    #[test]
    fn duplicate_names_and_unknown_fields_are_findings() {
        let header = r#"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#;
        let (report, result) = run(&file(header, 4));
        result.unwrap();
        let messages: Vec<&str> = report.notes.iter().map(|n| n.message.as_str()).collect();
        assert!(
            messages
                .iter()
                .any(|m| m.contains("tensor `a` is listed twice")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("unknown fields (`extra`)")),
            "{messages:?}"
        );
        assert_eq!(report.facts["tensors"], 1, "the last entry is what loads");
    }

    #[test]
    fn leading_whitespace_and_padding_are_accepted() {
        let header = "  {\"a\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[0,2]}}   ";
        let (report, result) = run(&file(header, 2));
        result.unwrap();
        assert_eq!(report.facts["parameters"], 2);
    }
}
