//! The protobuf wire format, read field by field: tags, varints and lengths, every length checked
//! against what is left of the enclosing message, payloads skipped unless asked for.

use super::{MAX_LOCATION, MAX_NAME};
use crate::inspect::source::{Cursor, Malformed};

/// Protobuf field numbers are 29 bits; 0 is not a field.
pub(super) const MAX_FIELD_NUMBER: u64 = (1 << 29) - 1;
/// A varint holds 64 bits in at most 10 bytes.
pub(super) const MAX_VARINT_BYTES: u32 = 10;

/// A field's value as the wire gives it. For `Bytes`, the cursor stands at the payload.
#[derive(Debug, Clone, Copy)]
pub(super) enum Wire {
    Varint(u64),
    Fixed,
    Bytes,
}

/// One field of a message.
#[derive(Debug, Clone, Copy)]
pub(super) struct Field {
    pub(super) number: u64,
    /// Offset of the field's tag.
    pub(super) at: u64,
    pub(super) wire: Wire,
    /// Offset just past the field's value.
    pub(super) end: u64,
}

impl Field {
    pub(super) fn is_bytes(&self) -> bool {
        matches!(self.wire, Wire::Bytes)
    }
}

/// Reads a varint that must end before `end`.
/// The error says what is wrong with the varint; callers name the field with [`within`].
pub(super) fn varint(cur: &mut Cursor<'_>, end: u64) -> Result<u64, Malformed> {
    let at = cur.pos();
    let mut value = 0u64;
    for i in 0..MAX_VARINT_BYTES {
        if cur.pos() >= end {
            return Err(Malformed::new(
                at,
                "varint runs past the end of its message",
            ));
        }
        let byte = cur.u8("varint")?;
        if i == MAX_VARINT_BYTES - 1 && byte > 1 {
            let problem = if byte & 0x80 == 0 {
                "overflows 64 bits"
            } else {
                "is longer than 10 bytes"
            };
            return Err(Malformed::new(at, format!("varint {problem}")));
        }
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(Malformed::new(at, "varint is longer than 10 bytes"))
}

/// Prefixes an error with the name of what was being read; the name is only built on error,
/// so that walking millions of fields formats nothing.
pub(super) fn within(what: impl FnOnce() -> String) -> impl FnOnce(Malformed) -> Malformed {
    move |m| Malformed::new(m.offset, format!("{}: {}", what(), m.message))
}

/// Reads the next field's tag and, for a length-delimited field, its length (checked against the
/// rest of the message, which ends at `end`); skips fixed-size values.
pub(super) fn next_field(
    cur: &mut Cursor<'_>,
    end: u64,
    message: &str,
) -> Result<Field, Malformed> {
    let at = cur.pos();
    let tag = varint(cur, end).map_err(within(|| format!("`{message}` field tag")))?;
    let number = tag >> 3;
    if number == 0 || number > MAX_FIELD_NUMBER {
        return Err(Malformed::new(
            at,
            format!("`{message}`: field number {number} is out of range"),
        ));
    }
    let what = || format!("`{message}` field {number}");
    let wire = match tag & 7 {
        0 => Wire::Varint(varint(cur, end).map_err(within(what))?),
        1 | 5 => {
            let len = if tag & 7 == 1 { 8 } else { 4 };
            let left = end.saturating_sub(cur.pos());
            if len > left {
                return Err(Malformed::new(
                    at,
                    format!(
                        "{}: {len}-byte value, but only {left} bytes remain in the message",
                        what()
                    ),
                ));
            }
            cur.skip(len, "fixed-width field")?;
            Wire::Fixed
        }
        2 => {
            let len = varint(cur, end).map_err(within(what))?;
            let left = end.saturating_sub(cur.pos());
            if len > left {
                return Err(Malformed::new(
                    at,
                    format!(
                        "{}: {len} bytes declared, but only {left} remain in the message",
                        what()
                    ),
                ));
            }
            let start = cur.pos();
            return Ok(Field {
                number,
                at,
                wire: Wire::Bytes,
                end: start.saturating_add(len),
            });
        }
        kind @ (3 | 4) => {
            return Err(Malformed::new(
                at,
                format!(
                    "{}: group (wire type {kind}) is not allowed in ONNX",
                    what()
                ),
            ));
        }
        kind => {
            return Err(Malformed::new(
                at,
                format!("{}: invalid wire type {kind}", what()),
            ));
        }
    };
    Ok(Field {
        number,
        at,
        wire,
        end: cur.pos(),
    })
}

/// Calls `on` for each field of the message that ends at `end`, then moves past the field,
/// whatever `on` read of it (so a handler can never lose the walker's place).
pub(super) fn each_field(
    cur: &mut Cursor<'_>,
    end: u64,
    message: &str,
    mut on: impl FnMut(&mut Cursor<'_>, &Field) -> Result<(), Malformed>,
) -> Result<(), Malformed> {
    while cur.pos() < end {
        let field = next_field(cur, end, message)?;
        on(cur, &field)?;
        cur.seek(field.end)?;
    }
    Ok(())
}

/// A string or bytes value, read up to `cap` bytes.
pub(super) struct Text {
    pub(super) bytes: Vec<u8>,
    /// The full length as the file declares it.
    pub(super) len: u64,
}

impl Text {
    pub(super) fn string(&self) -> String {
        String::from_utf8_lossy(&self.bytes).into_owned()
    }
}

/// Reads the payload of a length-delimited field (the cursor stands at it), up to `cap` bytes.
pub(super) fn text(
    cur: &mut Cursor<'_>,
    field: &Field,
    cap: u64,
    what: &str,
) -> Result<Text, Malformed> {
    let len = field.end.saturating_sub(cur.pos());
    let bytes = cur.bytes(len.min(cap), what)?;
    Ok(Text { bytes, len })
}

/// A string field's value when it has the length-delimited wire type (else it is unknown).
pub(super) fn string_field(
    cur: &mut Cursor<'_>,
    field: &Field,
    what: &str,
) -> Result<Option<String>, Malformed> {
    if !field.is_bytes() {
        return Ok(None);
    }
    Ok(Some(text(cur, field, MAX_NAME, what)?.string()))
}

/// A `StringStringEntryProto`: its key (read up to [`MAX_NAME`] bytes) and its value (up to
/// [`MAX_LOCATION`]), with the offset of the value's field.
pub(super) struct Entry {
    pub(super) key: Option<Text>,
    pub(super) value: Option<(Text, u64)>,
}

pub(super) fn entry(cur: &mut Cursor<'_>, end: u64, what: &str) -> Result<Entry, Malformed> {
    let mut found = Entry {
        key: None,
        value: None,
    };
    each_field(cur, end, "StringStringEntryProto", |cur, f| {
        match (f.number, f.wire) {
            (1, Wire::Bytes) => found.key = Some(text(cur, f, MAX_NAME, what)?),
            (2, Wire::Bytes) => found.value = Some((text(cur, f, MAX_LOCATION, what)?, f.at)),
            _ => {}
        }
        Ok(())
    })?;
    Ok(found)
}
