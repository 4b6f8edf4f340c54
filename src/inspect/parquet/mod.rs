//! Parquet inspector: reads the footer of a Parquet file (`PAR1 | data | FileMetaData | u32 LE
//! length | PAR1`) and records what a release reviewer needs to know about the dataset without
//! reading any data page: format version, rows, row groups, leaf columns and their names, a
//! fingerprint of the schema, the writer, the key-value metadata keys and the Hugging Face feature
//! names. `FileMetaData` is Thrift compact protocol; it is decoded here by a small reader of our
//! own over the footer bytes alone, so a hostile footer can only ever cost its own length: every
//! collection size and string length is checked against the bytes left before anything is
//! allocated or looped over, nesting is capped, and strings are borrowed from the footer, never
//! copied until they become (bounded) facts.

use std::fmt;

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use sha2::{Digest as _, Sha256};

use super::source::{Malformed, Source};
use super::{Report, rules};
use crate::finding::Severity;
use crate::vocab::Sha256Digest;

/// The magic number at both ends of a Parquet file.
const MAGIC: [u8; 4] = *b"PAR1";
/// The magic number of files whose footer is encrypted (`FileCryptoMetaData` follows).
const MAGIC_ENCRYPTED: [u8; 4] = *b"PARE";
/// Two magic numbers and the footer length: the smallest possible file, without its footer.
const FRAME: u64 = 12;
/// The largest footer read. Real footers are kilobytes (a few megabytes for thousands of
/// columns and row groups); the cap bounds memory, and so the time any decoding can take.
const MAX_FOOTER: u64 = 64 * 1024 * 1024;
/// Thrift structs, lists and maps nested deeper than this are refused: `FileMetaData` itself
/// needs about 8 levels, and the cap bounds the recursion of skipping unknown fields.
const MAX_DEPTH: u32 = 32;
/// Schema groups nested deeper than this are refused (the walk keeps one entry per open group).
const MAX_SCHEMA_DEPTH: usize = 1000;
/// Lists recorded as facts (column names, metadata keys, feature names) keep this many entries.
const MAX_LISTED: usize = 1000;
/// Strings recorded as facts are cut to this many bytes (an ellipsis marks the cut).
const MAX_TEXT: usize = 1024;

/// Reads the Parquet footer of `source` into `report`.
pub fn inspect(source: Source<'_>, report: &mut Report) -> Result<(), Malformed> {
    let size = source.size();
    if size < FRAME {
        return Err(Malformed::new(
            0,
            format!("{size} bytes is too small for Parquet (at least {FRAME})"),
        ));
    }
    let head = source.array::<4>(0, "Parquet magic")?;
    if head != MAGIC && head != MAGIC_ENCRYPTED {
        return Err(Malformed::new(0, "missing `PAR1` magic at the start"));
    }
    let tail_at = size - 8;
    let [l0, l1, l2, l3, m0, m1, m2, m3] = source.array::<8>(tail_at, "Parquet footer length")?;
    let magic = [m0, m1, m2, m3];
    if magic == MAGIC_ENCRYPTED {
        // `FileCryptoMetaData` and an encrypted `FileMetaData`: nothing readable without the key.
        report.note(
            rules::NOTE,
            Severity::Info,
            "encrypted footer, metadata not read",
            Some(size - 4),
        );
        return Ok(());
    }
    if magic != MAGIC {
        return Err(Malformed::new(size - 4, "missing `PAR1` magic at the end"));
    }
    if head != MAGIC {
        return Err(Malformed::new(
            0,
            "`PARE` magic at the start but `PAR1` at the end",
        ));
    }
    let footer_len = u64::from(u32::from_le_bytes([l0, l1, l2, l3]));
    if footer_len > MAX_FOOTER {
        return Err(Malformed::new(
            tail_at,
            format!("footer length {footer_len} is over the {MAX_FOOTER}-byte limit"),
        ));
    }
    let room = size - FRAME;
    if footer_len > room {
        return Err(Malformed::new(
            tail_at,
            format!(
                "footer length {footer_len} is larger than the {room} bytes between the magic numbers"
            ),
        ));
    }
    let start = tail_at - footer_len;
    let footer = source.read(start, footer_len, "Parquet footer")?;
    let mut reader = Compact {
        data: &footer,
        pos: 0,
        base: start,
    };
    read_file_metadata(&mut reader, report)
}

// ---------------------------------------------------------------------------------------------
// Thrift compact protocol

mod thrift;

use thrift::{Compact, Seen, ty};

/// Decodes `FileMetaData`, recording each field's facts as soon as that field is read (a
/// footer broken further on keeps what came before).
fn read_file_metadata(r: &mut Compact<'_>, report: &mut Report) -> Result<(), Malformed> {
    const OWNER: &str = "FileMetaData";
    let start = r.offset();
    let depth = r.enter(0)?;
    let mut seen = Seen::default();
    let mut num_rows: Option<(i64, u64)> = None;
    let mut groups: Option<(u64, i128)> = None;
    let mut last = 0;
    while let Some(f) = r.field(&mut last)? {
        match f.id {
            1 => {
                seen.expect(f, ty::I32, OWNER, "version")?;
                let version = r.i32("`FileMetaData.version`")?;
                report.fact("format_version", version);
            }
            2 => {
                seen.expect(f, ty::LIST, OWNER, "schema")?;
                read_schema(r, depth)?.record(report);
            }
            3 => {
                seen.expect(f, ty::I64, OWNER, "num_rows")?;
                let rows = r.i64("`FileMetaData.num_rows`")?;
                num_rows = Some((rows, f.offset));
                report.fact("rows", rows);
            }
            4 => {
                seen.expect(f, ty::LIST, OWNER, "row_groups")?;
                let (count, sum) = read_row_groups(r, depth)?;
                groups = Some((count, sum));
                report.fact("row_groups", count);
            }
            5 => {
                seen.expect(f, ty::LIST, OWNER, "key_value_metadata")?;
                read_key_values(r, depth, report)?;
            }
            6 => {
                seen.expect(f, ty::BINARY, OWNER, "created_by")?;
                let by = r.binary("`FileMetaData.created_by`")?;
                report.fact("created_by", text(by));
            }
            _ => r.skip(f.ty, depth, false)?,
        }
    }
    for (id, name) in [
        (1, "version"),
        (2, "schema"),
        (3, "num_rows"),
        (4, "row_groups"),
    ] {
        if !seen.has(id) {
            return Err(Malformed::new(
                start,
                format!("`{OWNER}` lacks the required field `{name}`"),
            ));
        }
    }
    if let (Some((rows, at)), Some((count, sum))) = (num_rows, groups)
        && i128::from(rows) != sum
    {
        report.note(
            rules::NONCONFORMING,
            Severity::Warning,
            format!("`num_rows` is {rows} but the {count} row groups hold {sum} rows"),
            Some(at),
        );
    }
    Ok(())
}

/// Reads `row_groups`: their count and the sum of their `num_rows` (the column chunks are
/// skipped).
fn read_row_groups(r: &mut Compact<'_>, depth: u32) -> Result<(u64, i128), Malformed> {
    let list_depth = r.enter(depth)?;
    let count = r.struct_list("`FileMetaData.row_groups`")?;
    let mut sum = 0i128;
    for index in 0..count {
        let start = r.offset();
        let inner = r.enter(list_depth)?;
        let mut seen = Seen::default();
        let mut rows = None;
        let mut last = 0;
        while let Some(f) = r.field(&mut last)? {
            if f.id == 3 {
                seen.expect(f, ty::I64, "RowGroup", "num_rows")?;
                rows = Some(r.i64("`RowGroup.num_rows`")?);
            } else {
                r.skip(f.ty, inner, false)?;
            }
        }
        let rows = rows.ok_or_else(|| {
            Malformed::new(
                start,
                format!("row group {index} lacks the required field `num_rows`"),
            )
        })?;
        sum = sum.saturating_add(i128::from(rows));
    }
    Ok((count, sum))
}

/// Reads `key_value_metadata`: records the keys, and the feature names of a `huggingface` value.
fn read_key_values(r: &mut Compact<'_>, depth: u32, report: &mut Report) -> Result<(), Malformed> {
    let list_depth = r.enter(depth)?;
    let count = r.struct_list("`FileMetaData.key_value_metadata`")?;
    let mut keys = Vec::new();
    let mut huggingface = None;
    for index in 0..count {
        let start = r.offset();
        let inner = r.enter(list_depth)?;
        let mut seen = Seen::default();
        let (mut key, mut value) = (None, None);
        let mut last = 0;
        while let Some(f) = r.field(&mut last)? {
            match f.id {
                1 => {
                    seen.expect(f, ty::BINARY, "KeyValue", "key")?;
                    key = Some(r.binary("`KeyValue.key`")?);
                }
                2 => {
                    seen.expect(f, ty::BINARY, "KeyValue", "value")?;
                    value = Some(r.binary("`KeyValue.value`")?);
                }
                _ => r.skip(f.ty, inner, false)?,
            }
        }
        let key = key.ok_or_else(|| {
            Malformed::new(
                start,
                format!("key-value entry {index} lacks the required field `key`"),
            )
        })?;
        if key == b"huggingface" && huggingface.is_none() {
            huggingface = value;
        }
        if keys.len() < MAX_LISTED {
            keys.push(text(key));
        }
    }
    report.fact("metadata_keys", keys);
    if count > MAX_LISTED as u64 {
        report.fact("metadata_keys_truncated", true);
    }
    if let Some(features) = huggingface.and_then(|v| serde_json::from_slice::<HfMetadata>(v).ok()) {
        report.fact("huggingface_features", features.info.features.names);
        if features.info.features.truncated {
            report.fact("huggingface_features_truncated", true);
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Schema

/// The fields of a `SchemaElement` read here (`type_length`, `converted_type`, `logicalType`
/// and the others are skipped: see [`SchemaWalk`] for why the fingerprint leaves them out).
#[derive(Default)]
struct Element<'a> {
    physical: Option<i32>,
    repetition: Option<i32>,
    name: Option<&'a [u8]>,
    num_children: Option<i32>,
}

fn read_schema_element<'a>(r: &mut Compact<'a>, depth: u32) -> Result<Element<'a>, Malformed> {
    const OWNER: &str = "SchemaElement";
    let inner = r.enter(depth)?;
    let mut e = Element::default();
    let mut seen = Seen::default();
    let mut last = 0;
    while let Some(f) = r.field(&mut last)? {
        match f.id {
            1 => {
                seen.expect(f, ty::I32, OWNER, "type")?;
                e.physical = Some(r.i32("`SchemaElement.type`")?);
            }
            3 => {
                seen.expect(f, ty::I32, OWNER, "repetition_type")?;
                e.repetition = Some(r.i32("`SchemaElement.repetition_type`")?);
            }
            4 => {
                seen.expect(f, ty::BINARY, OWNER, "name")?;
                e.name = Some(r.binary("`SchemaElement.name`")?);
            }
            5 => {
                seen.expect(f, ty::I32, OWNER, "num_children")?;
                e.num_children = Some(r.i32("`SchemaElement.num_children`")?);
            }
            _ => r.skip(f.ty, inner, false)?,
        }
    }
    Ok(e)
}

fn read_schema<'a>(r: &mut Compact<'a>, depth: u32) -> Result<SchemaWalk<'a>, Malformed> {
    let list_depth = r.enter(depth)?;
    let count = r.struct_list("`FileMetaData.schema`")?;
    let mut walk = SchemaWalk::new();
    for index in 0..count {
        let start = r.offset();
        let element = read_schema_element(r, list_depth)?;
        walk.add(&element, index, start)?;
    }
    walk.finish(count, r.offset())?;
    Ok(walk)
}

/// An open group of the schema tree: its name and how many children it still expects.
struct Group<'a> {
    name: &'a [u8],
    left: u64,
}

/// Rebuilds the schema tree from its depth-first list as the elements are read, without
/// keeping them: the open groups, the leaf count, the first leaf paths and the fingerprint.
///
/// The fingerprint is the SHA-256 of this canonical text, a first line `parquet-schema-v1`
/// then one line per element after the root, in schema (depth-first) order:
///
/// ```text
/// <depth> <repetition> <kind> <name length in bytes>:<name bytes>
/// ```
///
/// `depth` is 1 for top-level fields; `repetition` is `required`, `optional`, `repeated`, `-`
/// when absent or `?N` for an unknown value; `kind` is `group/N` for a group of N children,
/// else the physical type (`BOOLEAN`, `INT32`, `INT64`, `INT96`, `FLOAT`, `DOUBLE`,
/// `BYTE_ARRAY`, `FIXED_LEN_BYTE_ARRAY`, `-` when absent, `?N` when unknown). Names are
/// length-prefixed so that no byte in a name can fake a line. The root's name (`schema`,
/// `spark_schema`...) is the writer's choice and is left out; so are logical and converted
/// types, which writers of different versions spell differently for the same columns: equal
/// fingerprints mean the same columns, nesting and physical layout.
struct SchemaWalk<'a> {
    root_seen: bool,
    open: Vec<Group<'a>>,
    leaves: u64,
    names: Vec<String>,
    /// Leaves without a physical type (a conformance problem), and the first one's path.
    untyped: u64,
    first_untyped: Option<(String, u64)>,
    hasher: Sha256,
}

impl<'a> SchemaWalk<'a> {
    fn new() -> Self {
        let mut hasher = Sha256::new();
        hasher.update(b"parquet-schema-v1\n");
        SchemaWalk {
            root_seen: false,
            open: Vec::new(),
            leaves: 0,
            names: Vec::new(),
            untyped: 0,
            first_untyped: None,
            hasher,
        }
    }

    fn add(&mut self, e: &Element<'a>, index: u64, at: u64) -> Result<(), Malformed> {
        let name = e.name.ok_or_else(|| {
            Malformed::new(
                at,
                format!("schema element {index} lacks the required field `name`"),
            )
        })?;
        let children = match e.num_children {
            None => 0,
            Some(n) => u64::try_from(n).map_err(|_| {
                Malformed::new(
                    at,
                    format!("schema element {index} (`{}`) has {n} children", text(name)),
                )
            })?,
        };
        if !self.root_seen {
            self.root_seen = true;
            if children > 0 {
                self.open.push(Group {
                    name,
                    left: children,
                });
            }
            return Ok(());
        }
        let Some(parent) = self.open.last_mut() else {
            return Err(Malformed::new(
                at,
                format!(
                    "schema element {index} (`{}`) lies outside the tree its `num_children` counts describe",
                    text(name)
                ),
            ));
        };
        parent.left = parent.left.saturating_sub(1);
        let depth = self.open.len();
        let repetition = match e.repetition {
            None => "-".to_owned(),
            Some(0) => "required".to_owned(),
            Some(1) => "optional".to_owned(),
            Some(2) => "repeated".to_owned(),
            Some(n) => format!("?{n}"),
        };
        let kind = if children > 0 {
            format!("group/{children}")
        } else {
            match e.physical {
                None => "-".to_owned(),
                Some(t) => physical_name(t),
            }
        };
        self.hasher
            .update(format!("{depth} {repetition} {kind} {}:", name.len()).as_bytes());
        self.hasher.update(name);
        self.hasher.update(b"\n");
        if children > 0 {
            if depth >= MAX_SCHEMA_DEPTH {
                return Err(Malformed::new(
                    at,
                    format!("schema groups nest deeper than {MAX_SCHEMA_DEPTH} levels"),
                ));
            }
            self.open.push(Group {
                name,
                left: children,
            });
        } else {
            self.leaves = self.leaves.saturating_add(1);
            let untyped = e.physical.is_none();
            let listed = self.names.len() < MAX_LISTED;
            // Paths are built only for the leaves that are recorded: a path repeats its
            // ancestors' names, so building one per leaf could cost far more than the footer.
            if listed || (untyped && self.first_untyped.is_none()) {
                let path = self.path(name);
                if untyped && self.first_untyped.is_none() {
                    self.first_untyped = Some((path.clone(), at));
                }
                if listed {
                    self.names.push(path);
                }
            }
            if untyped {
                self.untyped = self.untyped.saturating_add(1);
            }
        }
        while self.open.last().is_some_and(|g| g.left == 0) {
            self.open.pop();
        }
        Ok(())
    }

    /// The dotted path of a leaf under the open groups (the root excluded), cut to [`MAX_TEXT`].
    fn path(&self, leaf: &[u8]) -> String {
        let mut out = String::new();
        let parts = self
            .open
            .iter()
            .skip(1)
            .map(|g| g.name)
            .chain(std::iter::once(leaf));
        for (i, part) in parts.enumerate() {
            if i > 0 {
                out.push('.');
            }
            out.push_str(&String::from_utf8_lossy(
                part.get(..=MAX_TEXT).unwrap_or(part),
            ));
            if out.len() > MAX_TEXT {
                break;
            }
        }
        shorten(out)
    }

    /// Checks that the `num_children` counts account for exactly the `count` elements listed.
    fn finish(&self, count: u64, at: u64) -> Result<(), Malformed> {
        if !self.root_seen {
            return Err(Malformed::new(
                at,
                "`FileMetaData.schema` is empty (it needs a root element)",
            ));
        }
        if !self.open.is_empty() {
            let missing = self.open.iter().fold(0u64, |n, g| n.saturating_add(g.left));
            return Err(Malformed::new(
                at,
                format!(
                    "the schema's `num_children` counts expect {missing} more elements than the {count} listed"
                ),
            ));
        }
        Ok(())
    }

    fn record(self, report: &mut Report) {
        report.fact("columns", self.leaves);
        report.fact("column_names", self.names);
        if self.leaves > MAX_LISTED as u64 {
            report.fact("column_names_truncated", true);
        }
        report.fact(
            "schema_fingerprint",
            Sha256Digest(self.hasher.finalize().into()).to_hex(),
        );
        if let Some((path, at)) = self.first_untyped {
            let more = match self.untyped.saturating_sub(1) {
                0 => String::new(),
                n => format!(" (and {n} more)"),
            };
            report.note(
                rules::NONCONFORMING,
                Severity::Warning,
                format!("leaf column `{path}` has no physical `type`{more}"),
                Some(at),
            );
        }
    }
}

fn physical_name(t: i32) -> String {
    match t {
        0 => "BOOLEAN".into(),
        1 => "INT32".into(),
        2 => "INT64".into(),
        3 => "INT96".into(),
        4 => "FLOAT".into(),
        5 => "DOUBLE".into(),
        6 => "BYTE_ARRAY".into(),
        7 => "FIXED_LEN_BYTE_ARRAY".into(),
        other => format!("?{other}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Text and the Hugging Face metadata

/// Bytes as a fact: lossy UTF-8, cut to [`MAX_TEXT`] bytes.
fn text(bytes: &[u8]) -> String {
    shorten(String::from_utf8_lossy(bytes.get(..=MAX_TEXT).unwrap_or(bytes)).into_owned())
}

/// Cuts `s` to [`MAX_TEXT`] bytes at a character boundary, marking the cut with an ellipsis.
fn shorten(mut s: String) -> String {
    if s.len() > MAX_TEXT {
        let mut cut = MAX_TEXT;
        while !s.is_char_boundary(cut) {
            cut = cut.saturating_sub(1);
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// The `huggingface` metadata value as `datasets` writes it; only the feature names are read.
#[derive(Deserialize)]
struct HfMetadata {
    info: HfInfo,
}

#[derive(Deserialize)]
struct HfInfo {
    features: FeatureNames,
}

/// The keys of `info.features`, in file order (a `serde_json` map would sort them), at most
/// [`MAX_LISTED`]; the feature descriptions are skipped without being built.
struct FeatureNames {
    names: Vec<String>,
    truncated: bool,
}

impl<'de> Deserialize<'de> for FeatureNames {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Names;
        impl<'de> Visitor<'de> for Names {
            type Value = FeatureNames;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of feature names to features")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<FeatureNames, A::Error> {
                let mut out = FeatureNames {
                    names: Vec::new(),
                    truncated: false,
                };
                loop {
                    if out.names.len() < MAX_LISTED {
                        let Some(name) = map.next_key::<String>()? else {
                            break;
                        };
                        out.names.push(text(name.as_bytes()));
                    } else {
                        if map.next_key::<IgnoredAny>()?.is_none() {
                            break;
                        }
                        out.truncated = true;
                    }
                    map.next_value::<IgnoredAny>()?;
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(Names)
    }
}

#[cfg(test)]
mod tests;
