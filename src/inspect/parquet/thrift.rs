//! The Thrift compact protocol, as much of it as a Parquet footer needs: field headers with
//! deltas, zigzag varints, lists, maps and nested structs, every size checked against the bytes
//! left before anything is allocated or looped over, nesting capped.

use super::MAX_DEPTH;
use crate::inspect::source::Malformed;

/// Type codes of the compact protocol: the low nibble of a field header, and the element types
/// of lists, sets and maps.
pub(super) mod ty {
    pub(in crate::inspect::parquet) const STOP: u8 = 0;
    /// A bool field whose value is true (in a collection: a bool element, one byte each).
    pub(in crate::inspect::parquet) const TRUE: u8 = 1;
    pub(in crate::inspect::parquet) const FALSE: u8 = 2;
    pub(in crate::inspect::parquet) const BYTE: u8 = 3;
    pub(in crate::inspect::parquet) const I16: u8 = 4;
    pub(in crate::inspect::parquet) const I32: u8 = 5;
    pub(in crate::inspect::parquet) const I64: u8 = 6;
    pub(in crate::inspect::parquet) const DOUBLE: u8 = 7;
    pub(in crate::inspect::parquet) const BINARY: u8 = 8;
    pub(in crate::inspect::parquet) const LIST: u8 = 9;
    pub(in crate::inspect::parquet) const SET: u8 = 10;
    pub(in crate::inspect::parquet) const MAP: u8 = 11;
    pub(in crate::inspect::parquet) const STRUCT: u8 = 12;
    pub(in crate::inspect::parquet) const UUID: u8 = 13;
}

pub(super) fn type_name(t: u8) -> String {
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
pub(super) fn min_size(t: u8) -> Option<u64> {
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
pub(super) struct Field {
    pub(super) id: i16,
    pub(super) ty: u8,
    pub(super) offset: u64,
}

/// A compact-protocol reader over the footer bytes; offsets in errors are file offsets.
pub(super) struct Compact<'a> {
    pub(super) data: &'a [u8],
    pub(super) pos: usize,
    /// The file offset of `data[0]`.
    pub(super) base: u64,
}

impl<'a> Compact<'a> {
    pub(super) fn offset(&self) -> u64 {
        self.base.saturating_add(self.pos as u64)
    }

    pub(super) fn error(&self, message: impl Into<String>) -> Malformed {
        Malformed::new(self.offset(), message)
    }

    pub(super) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    pub(super) fn byte(&mut self, what: &str) -> Result<u8, Malformed> {
        let b = self
            .data
            .get(self.pos)
            .copied()
            .ok_or_else(|| self.error(format!("{what}: the footer ends early")))?;
        self.pos += 1;
        Ok(b)
    }

    /// Borrows `len` bytes, checked against the bytes left (errors point at `at`).
    pub(super) fn take(&mut self, at: u64, len: u64, what: &str) -> Result<&'a [u8], Malformed> {
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
    pub(super) fn varint(&mut self, what: &str) -> Result<u64, Malformed> {
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

    pub(super) fn i64(&mut self, what: &str) -> Result<i64, Malformed> {
        let n = self.varint(what)?;
        let half = (n >> 1).cast_signed();
        Ok(if n & 1 == 0 { half } else { !half })
    }

    pub(super) fn i32(&mut self, what: &str) -> Result<i32, Malformed> {
        let start = self.offset();
        let v = self.i64(what)?;
        i32::try_from(v)
            .map_err(|_| Malformed::new(start, format!("{what}: {v} does not fit in an i32")))
    }

    pub(super) fn i16(&mut self, what: &str) -> Result<i16, Malformed> {
        let start = self.offset();
        let v = self.i64(what)?;
        i16::try_from(v)
            .map_err(|_| Malformed::new(start, format!("{what}: {v} does not fit in an i16")))
    }

    /// A binary or string: a varint length, then the bytes (borrowed from the footer).
    pub(super) fn binary(&mut self, what: &str) -> Result<&'a [u8], Malformed> {
        let start = self.offset();
        let len = self.varint(what)?;
        self.take(start, len, what)
    }

    /// The next field header of a struct, or `None` at its stop byte. Ids are deltas from the
    /// previous field's id (high nibble), or a zigzag i16 that follows when the delta is 0.
    pub(super) fn field(&mut self, last: &mut i16) -> Result<Option<Field>, Malformed> {
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
    pub(super) fn enter(&self, depth: u32) -> Result<u32, Malformed> {
        let inner = depth.saturating_add(1);
        if inner > MAX_DEPTH {
            return Err(self.error(format!(
                "Thrift structures nest deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(inner)
    }

    /// Fails unless `count` elements of at least `min` bytes each fit in the bytes left.
    pub(super) fn check_room(
        &self,
        at: u64,
        count: u64,
        min: u64,
        what: &str,
    ) -> Result<(), Malformed> {
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
    pub(super) fn list_header(&mut self, what: &str) -> Result<(u64, u8), Malformed> {
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
    pub(super) fn map_header(&mut self) -> Result<(u64, u8, u8), Malformed> {
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
    pub(super) fn struct_list(&mut self, what: &str) -> Result<u64, Malformed> {
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
    pub(super) fn skip(&mut self, t: u8, depth: u32, in_collection: bool) -> Result<(), Malformed> {
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
pub(super) struct Seen(u64);

impl Seen {
    /// Checks that `f` (named `owner.name`) comes once and has type `want`.
    pub(super) fn expect(
        &mut self,
        f: Field,
        want: u8,
        owner: &str,
        name: &str,
    ) -> Result<(), Malformed> {
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

    pub(super) fn has(&self, id: i16) -> bool {
        self.0 & (1u64 << (u64::from(id.unsigned_abs()) % 64)) != 0
    }
}

// ---------------------------------------------------------------------------------------------
// FileMetaData
