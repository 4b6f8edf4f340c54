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
use crate::manifest::Sha256Digest;

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

/// Type codes of the compact protocol: the low nibble of a field header, and the element types
/// of lists, sets and maps.
mod ty {
    pub(super) const STOP: u8 = 0;
    /// A bool field whose value is true (in a collection: a bool element, one byte each).
    pub(super) const TRUE: u8 = 1;
    pub(super) const FALSE: u8 = 2;
    pub(super) const BYTE: u8 = 3;
    pub(super) const I16: u8 = 4;
    pub(super) const I32: u8 = 5;
    pub(super) const I64: u8 = 6;
    pub(super) const DOUBLE: u8 = 7;
    pub(super) const BINARY: u8 = 8;
    pub(super) const LIST: u8 = 9;
    pub(super) const SET: u8 = 10;
    pub(super) const MAP: u8 = 11;
    pub(super) const STRUCT: u8 = 12;
    pub(super) const UUID: u8 = 13;
}

fn type_name(t: u8) -> String {
    match t {
        ty::TRUE | ty::FALSE => "bool".into(),
        ty::BYTE => "byte".into(),
        ty::I16 => "i16".into(),
        ty::I32 => "i32".into(),
        ty::I64 => "i64".into(),
        ty::DOUBLE => "double".into(),
        ty::BINARY => "binary".into(),
        ty::LIST => "list".into(),
        ty::SET => "set".into(),
        ty::MAP => "map".into(),
        ty::STRUCT => "struct".into(),
        ty::UUID => "uuid".into(),
        other => format!("unknown ({other})"),
    }
}

/// The fewest bytes one element of type `t` takes in a collection; `None` for unknown types.
/// Checking `size * min_size` against the bytes left is what makes a list that claims 2^60
/// elements fail before a single one is read.
fn min_size(t: u8) -> Option<u64> {
    match t {
        ty::TRUE
        | ty::FALSE
        | ty::BYTE
        | ty::I16
        | ty::I32
        | ty::I64
        | ty::BINARY
        | ty::LIST
        | ty::SET
        | ty::MAP
        | ty::STRUCT => Some(1),
        ty::DOUBLE => Some(8),
        ty::UUID => Some(16),
        _ => None,
    }
}

/// A field header: its id, its type, and where it starts (for messages).
#[derive(Debug, Clone, Copy)]
struct Field {
    id: i16,
    ty: u8,
    offset: u64,
}

/// A compact-protocol reader over the footer bytes; offsets in errors are file offsets.
struct Compact<'a> {
    data: &'a [u8],
    pos: usize,
    /// The file offset of `data[0]`.
    base: u64,
}

impl<'a> Compact<'a> {
    fn offset(&self) -> u64 {
        self.base.saturating_add(self.pos as u64)
    }

    fn error(&self, message: impl Into<String>) -> Malformed {
        Malformed::new(self.offset(), message)
    }

    fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    fn byte(&mut self, what: &str) -> Result<u8, Malformed> {
        let b = self
            .data
            .get(self.pos)
            .copied()
            .ok_or_else(|| self.error(format!("{what}: the footer ends early")))?;
        self.pos += 1;
        Ok(b)
    }

    /// Borrows `len` bytes, checked against the bytes left (errors point at `at`).
    fn take(&mut self, at: u64, len: u64, what: &str) -> Result<&'a [u8], Malformed> {
        let left = self.remaining();
        let bytes = usize::try_from(len)
            .ok()
            .and_then(|n| self.data.get(self.pos..self.pos.checked_add(n)?))
            .ok_or_else(|| {
                Malformed::new(
                    at,
                    format!("{what}: {len} bytes, but only {left} remain in the footer"),
                )
            })?;
        self.pos += bytes.len();
        Ok(bytes)
    }

    /// An unsigned LEB128 varint of at most 10 bytes (64 bits).
    fn varint(&mut self, what: &str) -> Result<u64, Malformed> {
        let start = self.offset();
        let mut value = 0u64;
        for i in 0..10u32 {
            let Some(&b) = self.data.get(self.pos) else {
                return Err(Malformed::new(
                    start,
                    format!("{what}: varint cut off by the end of the footer"),
                ));
            };
            self.pos += 1;
            // The tenth byte holds bit 63 only.
            if i == 9 && b > 1 {
                return Err(Malformed::new(
                    start,
                    format!("{what}: varint longer than 64 bits"),
                ));
            }
            value |= u64::from(b & 0x7f) << (7 * i);
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        // Unreachable: the tenth byte either ends the varint or is refused above.
        Err(Malformed::new(
            start,
            format!("{what}: varint longer than 64 bits"),
        ))
    }

    fn i64(&mut self, what: &str) -> Result<i64, Malformed> {
        let n = self.varint(what)?;
        let half = (n >> 1).cast_signed();
        Ok(if n & 1 == 0 { half } else { !half })
    }

    fn i32(&mut self, what: &str) -> Result<i32, Malformed> {
        let start = self.offset();
        let v = self.i64(what)?;
        i32::try_from(v)
            .map_err(|_| Malformed::new(start, format!("{what}: {v} does not fit in an i32")))
    }

    fn i16(&mut self, what: &str) -> Result<i16, Malformed> {
        let start = self.offset();
        let v = self.i64(what)?;
        i16::try_from(v)
            .map_err(|_| Malformed::new(start, format!("{what}: {v} does not fit in an i16")))
    }

    /// A binary or string: a varint length, then the bytes (borrowed from the footer).
    fn binary(&mut self, what: &str) -> Result<&'a [u8], Malformed> {
        let start = self.offset();
        let len = self.varint(what)?;
        self.take(start, len, what)
    }

    /// The next field header of a struct, or `None` at its stop byte. Ids are deltas from the
    /// previous field's id (high nibble), or a zigzag i16 that follows when the delta is 0.
    fn field(&mut self, last: &mut i16) -> Result<Option<Field>, Malformed> {
        let offset = self.offset();
        let b = self.byte("field header")?;
        if b == 0 {
            return Ok(None);
        }
        let t = b & 0x0f;
        if t == ty::STOP {
            return Err(Malformed::new(
                offset,
                format!("field header {b:#04x} has type 0 but is not a stop byte"),
            ));
        }
        let delta = b >> 4;
        let id = if delta == 0 {
            self.i16("field id")?
        } else {
            last.checked_add(i16::from(delta))
                .ok_or_else(|| Malformed::new(offset, "field id overflows an i16"))?
        };
        *last = id;
        Ok(Some(Field { id, ty: t, offset }))
    }

    /// One more level of nesting, refused beyond [`MAX_DEPTH`].
    fn enter(&self, depth: u32) -> Result<u32, Malformed> {
        let inner = depth.saturating_add(1);
        if inner > MAX_DEPTH {
            return Err(self.error(format!(
                "Thrift structures nest deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(inner)
    }

    /// Fails unless `count` elements of at least `min` bytes each fit in the bytes left.
    fn check_room(&self, at: u64, count: u64, min: u64, what: &str) -> Result<(), Malformed> {
        let need = u128::from(count) * u128::from(min);
        let left = self.remaining() as u64;
        if need > u128::from(left) {
            return Err(Malformed::new(
                at,
                format!(
                    "{what}: {count} elements need at least {need} bytes, but only {left} remain in the footer"
                ),
            ));
        }
        Ok(())
    }

    /// A list or set header: the size (high nibble, or a varint after 15) and the element type.
    fn list_header(&mut self, what: &str) -> Result<(u64, u8), Malformed> {
        let at = self.offset();
        let b = self.byte(what)?;
        let t = b & 0x0f;
        let count = match b >> 4 {
            15 => self.varint(what)?,
            short => u64::from(short),
        };
        if count == 0 {
            return Ok((0, t));
        }
        let min = min_size(t)
            .ok_or_else(|| Malformed::new(at, format!("{what}: unknown element type {t}")))?;
        self.check_room(at, count, min, what)?;
        Ok((count, t))
    }

    /// A map header: a varint size, then (when not empty) the key and value types.
    fn map_header(&mut self) -> Result<(u64, u8, u8), Malformed> {
        let at = self.offset();
        let count = self.varint("map size")?;
        if count == 0 {
            return Ok((0, ty::STOP, ty::STOP));
        }
        let b = self.byte("map types")?;
        let (k, v) = (b >> 4, b & 0x0f);
        let (Some(kmin), Some(vmin)) = (min_size(k), min_size(v)) else {
            return Err(Malformed::new(
                at,
                format!("map: unknown key or value type in {b:#04x}"),
            ));
        };
        self.check_room(at, count, kmin + vmin, "map")?;
        Ok((count, k, v))
    }

    /// A list of structs (the only lists `FileMetaData` has that are read here).
    fn struct_list(&mut self, what: &str) -> Result<u64, Malformed> {
        let at = self.offset();
        let (count, t) = self.list_header(what)?;
        if count > 0 && t != ty::STRUCT {
            return Err(Malformed::new(
                at,
                format!(
                    "{what}: a list of {}, expected a list of struct",
                    type_name(t)
                ),
            ));
        }
        Ok(count)
    }

    /// Skips a value of type `t`. In a collection a bool is one byte; in a field header the
    /// type itself carries the value.
    fn skip(&mut self, t: u8, depth: u32, in_collection: bool) -> Result<(), Malformed> {
        match t {
            ty::TRUE | ty::FALSE => {
                if in_collection {
                    self.byte("bool")?;
                }
            }
            ty::BYTE => {
                self.byte("byte")?;
            }
            ty::I16 | ty::I32 | ty::I64 => {
                self.varint("integer")?;
            }
            ty::DOUBLE => {
                self.take(self.offset(), 8, "double")?;
            }
            ty::UUID => {
                self.take(self.offset(), 16, "uuid")?;
            }
            ty::BINARY => {
                self.binary("binary")?;
            }
            ty::LIST | ty::SET => {
                let inner = self.enter(depth)?;
                let (count, et) = self.list_header("list")?;
                for _ in 0..count {
                    self.skip(et, inner, true)?;
                }
            }
            ty::MAP => {
                let inner = self.enter(depth)?;
                let (count, kt, vt) = self.map_header()?;
                for _ in 0..count {
                    self.skip(kt, inner, true)?;
                    self.skip(vt, inner, true)?;
                }
            }
            ty::STRUCT => {
                let inner = self.enter(depth)?;
                let mut last = 0;
                while let Some(f) = self.field(&mut last)? {
                    self.skip(f.ty, inner, false)?;
                }
            }
            other => {
                return Err(self.error(format!("unknown Thrift compact type {other}")));
            }
        }
        Ok(())
    }
}

/// The fields of one struct already read, to refuse a field given twice.
#[derive(Default)]
struct Seen(u64);

impl Seen {
    /// Checks that `f` (named `owner.name`) comes once and has type `want`.
    fn expect(&mut self, f: Field, want: u8, owner: &str, name: &str) -> Result<(), Malformed> {
        let bit = 1u64 << (u64::from(f.id.unsigned_abs()) % 64);
        if self.0 & bit != 0 {
            return Err(Malformed::new(
                f.offset,
                format!("`{owner}.{name}` appears twice"),
            ));
        }
        self.0 |= bit;
        if f.ty != want {
            return Err(Malformed::new(
                f.offset,
                format!(
                    "`{owner}.{name}` (field {}) has type {}, expected {}",
                    f.id,
                    type_name(f.ty),
                    type_name(want)
                ),
            ));
        }
        Ok(())
    }

    fn has(&self, id: i16) -> bool {
        self.0 & (1u64 << (u64::from(id.unsigned_abs()) % 64)) != 0
    }
}

// ---------------------------------------------------------------------------------------------
// FileMetaData

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
mod tests {
    use super::*;
    use crate::inspect::Note;
    use proptest::prelude::*;
    use serde_json::json;

    /// A schema element to write: `type`, `repetition_type`, `name`, `num_children`.
    type Spec<'s> = (Option<i32>, Option<i32>, &'s str, Option<i32>);

    /// Where test footers start: after `PAR1` and four bytes standing for the data.
    const FOOTER_AT: u64 = 8;

    /// A compact-protocol writer for hand-built footers; field deltas are computed per struct.
    struct W {
        b: Vec<u8>,
        last: Vec<i16>,
    }

    fn zigzag(v: i64) -> u64 {
        ((v << 1) ^ (v >> 63)).cast_unsigned()
    }

    impl W {
        /// A writer positioned inside the top-level `FileMetaData` struct.
        fn new() -> Self {
            W {
                b: Vec::new(),
                last: vec![0],
            }
        }

        fn varint(&mut self, mut v: u64) -> &mut Self {
            while v >= 0x80 {
                self.b.push(u8::try_from(v & 0x7f).unwrap() | 0x80);
                v >>= 7;
            }
            self.b.push(u8::try_from(v).unwrap());
            self
        }

        fn header(&mut self, id: i16, t: u8) -> &mut Self {
            let last = self.last.last_mut().unwrap();
            let delta = id - *last;
            *last = id;
            if (1..=15).contains(&delta) {
                self.b.push((u8::try_from(delta).unwrap() << 4) | t);
            } else {
                self.b.push(t);
                self.varint(zigzag(i64::from(id)));
            }
            self
        }

        fn i32(&mut self, id: i16, v: i32) -> &mut Self {
            self.header(id, ty::I32).varint(zigzag(i64::from(v)))
        }

        fn i64(&mut self, id: i16, v: i64) -> &mut Self {
            self.header(id, ty::I64).varint(zigzag(v))
        }

        fn bin(&mut self, id: i16, bytes: &[u8]) -> &mut Self {
            self.header(id, ty::BINARY).varint(bytes.len() as u64);
            self.b.extend_from_slice(bytes);
            self
        }

        fn list_header(&mut self, n: u64, elem: u8) -> &mut Self {
            if n < 15 {
                self.b.push((u8::try_from(n).unwrap() << 4) | elem);
                self
            } else {
                self.b.push(0xf0 | elem);
                self.varint(n)
            }
        }

        fn list(&mut self, id: i16, n: u64, elem: u8) -> &mut Self {
            self.header(id, ty::LIST).list_header(n, elem)
        }

        /// Opens a struct field (or, with `None`, a struct element of a list).
        fn open(&mut self, id: Option<i16>) -> &mut Self {
            if let Some(id) = id {
                self.header(id, ty::STRUCT);
            }
            self.last.push(0);
            self
        }

        /// Writes the stop byte of the innermost struct.
        fn close(&mut self) -> &mut Self {
            self.b.push(0);
            self.last.pop();
            self
        }

        fn raw(&mut self, bytes: &[u8]) -> &mut Self {
            self.b.extend_from_slice(bytes);
            self
        }

        /// A `schema` list: (`type`, `repetition_type`, `name`, `num_children`) per element.
        fn schema(&mut self, elements: &[Spec<'_>]) -> &mut Self {
            self.list(2, elements.len() as u64, ty::STRUCT);
            for (physical, repetition, name, children) in elements {
                self.open(None);
                if let Some(t) = physical {
                    self.i32(1, *t);
                }
                if let Some(r) = repetition {
                    self.i32(3, *r);
                }
                self.bin(4, name.as_bytes());
                if let Some(n) = children {
                    self.i32(5, *n);
                }
                self.close();
            }
            self
        }

        fn row_groups(&mut self, rows: &[i64]) -> &mut Self {
            self.list(4, rows.len() as u64, ty::STRUCT);
            for r in rows {
                self.open(None).i64(3, *r).close();
            }
            self
        }
    }

    /// `PAR1`, four data bytes, the footer, its length, `PAR1`.
    fn file(footer: &[u8]) -> Vec<u8> {
        let mut out = b"PAR1data".to_vec();
        out.extend_from_slice(footer);
        out.extend_from_slice(&u32::try_from(footer.len()).unwrap().to_le_bytes());
        out.extend_from_slice(b"PAR1");
        out
    }

    fn run(bytes: &[u8]) -> (Report, Result<(), Malformed>) {
        let mut report = Report::default();
        let result = inspect(Source::bytes(bytes), &mut report);
        (report, result)
    }

    /// Inspects a file around `footer` and returns the error, which must be there.
    fn malformed(footer: &[u8]) -> Malformed {
        run(&file(footer)).1.unwrap_err()
    }

    const HF: &str = r#"{"info":{"features":{"text":{"dtype":"string","_type":"Value"},"label":{"names":["neg","pos"],"_type":"ClassLabel"}}},"other":[1,2]}"#;

    /// A footer like pyarrow's: nested group, logical types, column chunks, column orders and an
    /// unknown field of every type, which must all be skipped.
    fn sample() -> Vec<u8> {
        let mut w = W::new();
        w.i32(1, 2);
        // schema: root, id, text (with a logicalType union), meta { a, b }
        w.list(2, 6, ty::STRUCT);
        w.open(None).bin(4, b"schema").i32(5, 3).close();
        w.open(None).i32(1, 2).i32(3, 0).bin(4, b"id").close();
        w.open(None).i32(1, 6).i32(3, 1).bin(4, b"text").i32(6, 0);
        w.open(Some(10)).open(Some(1)).close().close();
        w.close();
        w.open(None).i32(3, 1).bin(4, b"meta").i32(5, 2).close();
        w.open(None).i32(1, 1).i32(3, 1).bin(4, b"a").close();
        w.open(None).i32(1, 5).i32(3, 0).bin(4, b"b").close();
        w.i64(3, 5);
        // row_groups: 3 + 2 rows, each with a column chunk holding nested metadata
        w.list(4, 2, ty::STRUCT);
        for rows in [3, 2] {
            w.open(None);
            w.list(1, 1, ty::STRUCT).open(None).i64(2, 4).open(Some(3));
            w.i32(1, 6).list(2, 2, ty::I32).varint(0).varint(6);
            w.list(3, 1, ty::BINARY).varint(4).raw(b"text");
            w.open(Some(12)).bin(1, b"max").header(7, ty::TRUE).close();
            w.close().close();
            w.i64(2, 100).i64(3, rows);
            w.close();
        }
        w.list(5, 2, ty::STRUCT);
        w.open(None)
            .bin(1, b"ARROW:schema")
            .bin(2, b"/////base64")
            .close();
        w.open(None)
            .bin(1, b"huggingface")
            .bin(2, HF.as_bytes())
            .close();
        w.bin(6, b"parquet-cpp-arrow version 26.0.1");
        w.list(7, 4, ty::STRUCT);
        for _ in 0..4 {
            w.open(None).open(Some(1)).close().close();
        }
        // Unknown fields (ids past 15 need the long header form): a double, a uuid, a bool
        // list, a map of string to list of i64, a set, a byte, an i16, bools in headers.
        w.header(40, ty::DOUBLE).raw(&1.5f64.to_le_bytes());
        w.header(41, ty::UUID).raw(&[7; 16]);
        w.list(42, 3, ty::TRUE).raw(&[1, 2, 1]);
        w.header(43, ty::MAP)
            .varint(2)
            .raw(&[(ty::BINARY << 4) | ty::LIST]);
        for key in [b"k1", b"k2"] {
            w.varint(2)
                .raw(key)
                .list_header(2, ty::I64)
                .varint(3)
                .varint(4);
        }
        w.header(44, ty::SET).list_header(0, ty::STRUCT);
        w.header(45, ty::BYTE).raw(&[0xff]);
        w.header(46, ty::I16).varint(zigzag(-3));
        w.header(47, ty::FALSE).header(48, ty::TRUE);
        w.header(49, ty::MAP).varint(0);
        w.close();
        w.b
    }

    fn fingerprint(canonical: &str) -> String {
        Sha256Digest::of(canonical.as_bytes()).to_hex()
    }

    #[test]
    fn minimal_valid_footer_gives_its_facts() {
        let (report, result) = run(&file(&sample()));
        assert_eq!(result, Ok(()));
        assert_eq!(report.notes, []);
        // The canonical text as documented on `SchemaWalk`, written out by hand.
        let canonical = "parquet-schema-v1\n\
                         1 required INT64 2:id\n\
                         1 optional BYTE_ARRAY 4:text\n\
                         1 optional group/2 4:meta\n\
                         2 optional INT32 1:a\n\
                         2 required DOUBLE 1:b\n";
        let expected = json!({
            "format_version": 2,
            "rows": 5,
            "row_groups": 2,
            "columns": 4,
            "column_names": ["id", "text", "meta.a", "meta.b"],
            "schema_fingerprint": fingerprint(canonical),
            "created_by": "parquet-cpp-arrow version 26.0.1",
            "metadata_keys": ["ARROW:schema", "huggingface"],
            "huggingface_features": ["text", "label"],
        });
        assert_eq!(serde_json::to_value(&report.facts).unwrap(), expected);
    }

    #[test]
    fn the_fingerprint_ignores_the_root_name_but_not_repetition() {
        let facts = |root: &str, rep: i32| {
            let mut w = W::new();
            w.i32(1, 1)
                .schema(&[(None, None, root, Some(1)), (Some(1), Some(rep), "x", None)])
                .i64(3, 0)
                .row_groups(&[])
                .close();
            let (report, result) = run(&file(&w.b));
            assert_eq!(result, Ok(()));
            report.facts["schema_fingerprint"].clone()
        };
        assert_eq!(facts("schema", 0), facts("spark_schema", 0));
        assert_ne!(facts("schema", 0), facts("schema", 1));
        assert_eq!(
            facts("schema", 1),
            json!(fingerprint("parquet-schema-v1\n1 optional INT32 1:x\n"))
        );
    }

    #[test]
    fn missing_magic_is_malformed() {
        let mut bytes = file(&sample());
        bytes[..4].copy_from_slice(b"XXXX");
        assert_eq!(
            run(&bytes).1,
            Err(Malformed::new(0, "missing `PAR1` magic at the start"))
        );

        let mut bytes = file(&sample());
        let end = bytes.len();
        bytes[end - 4..].copy_from_slice(b"PAR2");
        assert_eq!(
            run(&bytes).1,
            Err(Malformed::new(
                end as u64 - 4,
                "missing `PAR1` magic at the end"
            ))
        );

        assert_eq!(
            run(b"PAR1PAR1").1,
            Err(Malformed::new(
                0,
                "8 bytes is too small for Parquet (at least 12)"
            ))
        );
    }

    #[test]
    fn footer_length_past_the_file_or_over_the_cap_is_malformed() {
        let mut bytes = b"PAR1data".to_vec();
        bytes.extend_from_slice(&1000u32.to_le_bytes());
        bytes.extend_from_slice(b"PAR1");
        assert_eq!(
            run(&bytes).1,
            Err(Malformed::new(
                8,
                "footer length 1000 is larger than the 4 bytes between the magic numbers"
            ))
        );
        bytes[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(
            run(&bytes).1,
            Err(Malformed::new(
                8,
                "footer length 4294967295 is over the 67108864-byte limit"
            ))
        );
    }

    #[test]
    fn a_list_claiming_2_pow_60_elements_fails_before_reading_any() {
        let mut w = W::new();
        w.i32(1, 2).list(2, 1 << 60, ty::STRUCT).raw(&[0, 0, 0]);
        // Header byte of `version` (1) and its value (1), then the list header at 2.
        assert_eq!(
            malformed(&w.b),
            Malformed::new(
                FOOTER_AT + 3,
                "`FileMetaData.schema`: 1152921504606846976 elements need at least \
                 1152921504606846976 bytes, but only 3 remain in the footer"
            )
        );
        // The same in an unknown field, skipped generically: a list of doubles, then a map.
        let mut w = W::new();
        w.list(20, (1 << 60) / 8, ty::DOUBLE).raw(&[0; 9]);
        let err = malformed(&w.b);
        assert_eq!(err.offset, FOOTER_AT + 2);
        assert!(
            err.message.starts_with(
                "list: 144115188075855872 elements need at least 1152921504606846976 bytes"
            ),
            "{err}"
        );
        let mut w = W::new();
        w.header(20, ty::MAP)
            .varint(1 << 60)
            .raw(&[(ty::I32 << 4) | ty::I32, 0, 0]);
        let err = malformed(&w.b);
        assert_eq!(err.offset, FOOTER_AT + 2);
        assert!(
            err.message
                .contains("2305843009213693952 bytes, but only 2 remain"),
            "{err}"
        );
    }

    #[test]
    fn a_binary_length_past_the_end_is_malformed() {
        let mut w = W::new();
        w.i32(1, 2).bin(6, b"abc");
        // Rewrite the length (3, one byte at 3) as 1000 (two bytes).
        w.b.truncate(3);
        w.varint(1000).raw(b"abc");
        assert_eq!(
            malformed(&w.b),
            Malformed::new(
                FOOTER_AT + 3,
                "`FileMetaData.created_by`: 1000 bytes, but only 3 remain in the footer"
            )
        );
        let mut w = W::new();
        w.header(6, ty::BINARY).varint(u64::MAX);
        assert_eq!(
            malformed(&w.b),
            Malformed::new(
                FOOTER_AT + 1,
                "`FileMetaData.created_by`: 18446744073709551615 bytes, but only 0 remain in the footer"
            )
        );
    }

    #[test]
    fn nesting_deeper_than_the_cap_is_malformed() {
        // An unknown field 20 holding structs nested 40 deep: `FileMetaData` is level 1, so
        // the 32nd nested struct is level 33. Field 20 takes two header bytes, the others one.
        let mut w = W::new();
        w.open(Some(20));
        for _ in 1..40 {
            w.open(Some(1));
        }
        for _ in 0..41 {
            w.close();
        }
        assert_eq!(
            malformed(&w.b),
            Malformed::new(
                FOOTER_AT + 2 + 31,
                "Thrift structures nest deeper than 32 levels"
            )
        );
        // Lists of lists count too.
        let mut w = W::new();
        w.list(20, 1, ty::LIST);
        for _ in 0..40 {
            w.list_header(1, ty::LIST);
        }
        let err = malformed(&w.b);
        assert_eq!(err.message, "Thrift structures nest deeper than 32 levels");
    }

    #[test]
    fn a_truncated_or_overlong_varint_is_malformed() {
        assert_eq!(
            malformed(&[0x15, 0x80, 0x80]),
            Malformed::new(
                FOOTER_AT + 1,
                "`FileMetaData.version`: varint cut off by the end of the footer"
            )
        );
        let mut footer = vec![0x36];
        footer.extend_from_slice(&[0xff; 9]);
        footer.push(0x02);
        assert_eq!(
            malformed(&footer),
            Malformed::new(
                FOOTER_AT + 1,
                "`FileMetaData.num_rows`: varint longer than 64 bits"
            )
        );
        assert_eq!(
            malformed(&[0x15, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00]),
            Malformed::new(
                FOOTER_AT + 1,
                "`FileMetaData.version`: 2147483648 does not fit in an i32"
            )
        );
        // An empty footer: not even a stop byte.
        assert_eq!(
            malformed(&[]),
            Malformed::new(FOOTER_AT, "field header: the footer ends early")
        );
    }

    #[test]
    fn an_encrypted_footer_is_noted_and_not_read() {
        let mut bytes = b"PAREdata".to_vec();
        bytes.extend_from_slice(&[0xde, 0xad]);
        bytes.extend_from_slice(&2u32.to_le_bytes());
        bytes.extend_from_slice(b"PARE");
        let (report, result) = run(&bytes);
        assert_eq!(result, Ok(()));
        assert!(report.facts.is_empty());
        assert_eq!(
            report.notes,
            [Note {
                rule: rules::NOTE,
                severity: Severity::Info,
                message: "encrypted footer, metadata not read".into(),
                offset: Some(bytes.len() as u64 - 4),
            }]
        );
    }

    #[test]
    fn num_children_inconsistent_with_the_list_is_malformed() {
        // The root claims 3 children, 2 follow.
        let mut w = W::new();
        w.i32(1, 2).schema(&[
            (None, None, "schema", Some(3)),
            (Some(1), None, "a", None),
            (Some(1), None, "b", None),
        ]);
        let end = FOOTER_AT + w.b.len() as u64;
        w.i64(3, 0).row_groups(&[]).close();
        assert_eq!(
            malformed(&w.b),
            Malformed::new(
                end,
                "the schema's `num_children` counts expect 1 more elements than the 3 listed"
            )
        );
        // The root claims 1 child, 2 follow: the second is outside the tree.
        let mut w = W::new();
        w.i32(1, 2)
            .schema(&[(None, None, "schema", Some(1)), (Some(1), None, "a", None)]);
        let at = FOOTER_AT + w.b.len() as u64;
        w.open(None)
            .i32(1, 1)
            .bin(4, b"b")
            .close()
            .i64(3, 0)
            .row_groups(&[])
            .close();
        // Patch the list size from 2 to 3.
        w.b[3] = (3 << 4) | ty::STRUCT;
        assert_eq!(
            malformed(&w.b),
            Malformed::new(
                at,
                "schema element 2 (`b`) lies outside the tree its `num_children` counts describe"
            )
        );
        // A negative count.
        let mut w = W::new();
        w.i32(1, 2).schema(&[(None, None, "schema", Some(-1))]);
        assert_eq!(
            malformed(&w.b),
            Malformed::new(FOOTER_AT + 4, "schema element 0 (`schema`) has -1 children")
        );
        // No root at all.
        let mut w = W::new();
        w.i32(1, 2).schema(&[]);
        assert_eq!(
            malformed(&w.b),
            Malformed::new(
                FOOTER_AT + 4,
                "`FileMetaData.schema` is empty (it needs a root element)"
            )
        );
    }

    #[test]
    fn num_rows_differing_from_the_row_groups_is_a_warning() {
        let mut w = W::new();
        w.i32(1, 2).schema(&[
            (None, None, "schema", Some(1)),
            (Some(2), Some(0), "n", None),
        ]);
        let rows_at = FOOTER_AT + w.b.len() as u64;
        w.i64(3, 10).row_groups(&[4, 4]).close();
        let (report, result) = run(&file(&w.b));
        assert_eq!(result, Ok(()));
        assert_eq!(report.facts["rows"], json!(10));
        assert_eq!(report.facts["row_groups"], json!(2));
        assert_eq!(
            report.notes,
            [Note {
                rule: rules::NONCONFORMING,
                severity: Severity::Warning,
                message: "`num_rows` is 10 but the 2 row groups hold 8 rows".into(),
                offset: Some(rows_at),
            }]
        );
    }

    #[test]
    fn missing_wrong_or_repeated_fields_are_malformed_and_earlier_facts_kept() {
        let mut w = W::new();
        w.i32(1, 2)
            .schema(&[(None, None, "schema", Some(0))])
            .i64(3, 0)
            .close();
        let (report, result) = run(&file(&w.b));
        assert_eq!(
            result,
            Err(Malformed::new(
                FOOTER_AT,
                "`FileMetaData` lacks the required field `row_groups`"
            ))
        );
        assert_eq!(report.facts["format_version"], json!(2));
        assert_eq!(report.facts["columns"], json!(0));
        assert_eq!(report.facts["column_names"], json!([]));
        assert_eq!(report.facts["rows"], json!(0));

        let mut w = W::new();
        w.i32(1, 2).bin(3, b"many");
        assert_eq!(
            malformed(&w.b),
            Malformed::new(
                FOOTER_AT + 2,
                "`FileMetaData.num_rows` (field 3) has type binary, expected i64"
            )
        );
        let mut w = W::new();
        w.i32(1, 2).i32(1, 2);
        w.b[2] = ty::I32; // delta 0: the id follows
        w.b.insert(3, 2); // explicit id 1 (zigzag 2)
        assert_eq!(
            malformed(&w.b),
            Malformed::new(FOOTER_AT + 2, "`FileMetaData.version` appears twice")
        );

        let mut w = W::new();
        w.list(4, 1, ty::STRUCT).open(None).i64(2, 9).close();
        assert_eq!(
            malformed(&w.b),
            Malformed::new(
                FOOTER_AT + 2,
                "row group 0 lacks the required field `num_rows`"
            )
        );
        let mut w = W::new();
        w.list(4, 1, ty::I64).varint(3);
        assert_eq!(
            malformed(&w.b),
            Malformed::new(
                FOOTER_AT + 1,
                "`FileMetaData.row_groups`: a list of i64, expected a list of struct"
            )
        );
        assert_eq!(
            malformed(&[0x7e, 0x00]),
            Malformed::new(FOOTER_AT + 1, "unknown Thrift compact type 14")
        );
    }

    #[test]
    fn long_lists_and_names_are_bounded() {
        let long = "n".repeat(5000);
        let mut elements = vec![
            (None, None, "schema", Some(1)),
            (None, Some(1), long.as_str(), Some(1200)),
        ];
        for _ in 0..1200 {
            elements.push((Some(0), Some(0), "leaf", None));
        }
        let mut w = W::new();
        w.i32(1, 2).schema(&elements).i64(3, 0).row_groups(&[]);
        w.list(5, 1001, ty::STRUCT);
        for i in 0..1001 {
            w.open(None).bin(1, format!("k{i}").as_bytes()).close();
        }
        w.bin(6, long.as_bytes()).close();
        let (report, result) = run(&file(&w.b));
        assert_eq!(result, Ok(()));
        let f = &report.facts;
        assert_eq!(f["columns"], json!(1200));
        let names = f["column_names"].as_array().unwrap();
        assert_eq!(names.len(), MAX_LISTED);
        let first = names[0].as_str().unwrap();
        assert_eq!(first, format!("{}…", "n".repeat(MAX_TEXT)));
        assert_eq!(f["column_names_truncated"], json!(true));
        assert_eq!(f["metadata_keys"].as_array().unwrap().len(), MAX_LISTED);
        assert_eq!(f["metadata_keys_truncated"], json!(true));
        assert_eq!(
            f["created_by"].as_str().unwrap().len(),
            MAX_TEXT + '…'.len_utf8()
        );
    }

    #[test]
    fn huggingface_features_are_read_only_when_they_parse() {
        let features = |value: &[u8]| {
            let mut w = W::new();
            w.i32(1, 2)
                .schema(&[(None, None, "schema", Some(0))])
                .i64(3, 0)
                .row_groups(&[]);
            w.list(5, 1, ty::STRUCT)
                .open(None)
                .bin(1, b"huggingface")
                .bin(2, value)
                .close()
                .close();
            let (report, result) = run(&file(&w.b));
            assert_eq!(result, Ok(()));
            assert_eq!(report.facts["metadata_keys"], json!(["huggingface"]));
            report.facts.get("huggingface_features").cloned()
        };
        assert_eq!(
            features(br#"{"info":{"features":{"b":{},"a":{}}}}"#),
            Some(json!(["b", "a"]))
        );
        assert_eq!(features(br#"{"info":{"features":["a"]}}"#), None);
        assert_eq!(features(br#"{"info":{}}"#), None);
        assert_eq!(features(b"not json"), None);
        // A deeply nested feature description is skipped without recursing (no stack overflow).
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let value = format!(r#"{{"info":{{"features":{{"a":{deep}}}}}}}"#);
        assert_eq!(features(value.as_bytes()), Some(json!(["a"])));
    }

    #[test]
    fn untyped_leaves_are_nonconforming() {
        let mut w = W::new();
        w.i32(1, 2)
            .schema(&[
                (None, None, "schema", Some(2)),
                (None, Some(0), "x", None),
                (None, Some(0), "y", None),
            ])
            .i64(3, 0)
            .row_groups(&[])
            .close();
        let (report, result) = run(&file(&w.b));
        assert_eq!(result, Ok(()));
        assert_eq!(report.notes.len(), 1);
        assert_eq!(report.notes[0].rule, rules::NONCONFORMING);
        assert_eq!(
            report.notes[0].message,
            "leaf column `x` has no physical `type` (and 1 more)"
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

        /// Any change to a valid footer gives facts or an error inside the file, never a panic.
        #[test]
        fn mutated_footers_never_panic(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
            cut in any::<prop::sample::Index>(),
            truncate in any::<bool>(),
        ) {
            let mut footer = sample();
            for (at, byte) in edits {
                let i = at.index(footer.len());
                footer[i] = byte;
            }
            if truncate {
                footer.truncate(cut.index(footer.len()));
            }
            let bytes = file(&footer);
            if let (_, Err(m)) = run(&bytes) {
                prop_assert!(m.offset <= bytes.len() as u64, "{m}");
                prop_assert!(!m.message.contains('\n') && !m.message.ends_with('.'), "{m}");
            }
        }
    }
}
