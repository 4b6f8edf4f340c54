//! Bounded access to untrusted bytes: a file read with positioned reads, or a buffer (a zip
//! member, a fuzz input). Every read is checked against the bytes that exist and against a cap
//! before anything is allocated, so a header that claims a 2^60-byte string costs nothing but an
//! error. Parsers return [`Malformed`] (what is wrong, at which offset), which the scan records
//! as a finding on the file; a malformed file never stops a scan.

use std::fmt;
use std::io;

/// No single read of a header structure is larger (a safetensors header may be 100 MB).
pub const MAX_READ: u64 = 100 * 1000 * 1000;

/// Where the bytes are.
#[derive(Clone, Copy)]
enum Inner<'a> {
    File(&'a std::fs::File),
    Bytes(&'a [u8]),
}

impl Inner<'_> {
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> io::Result<()> {
        match self {
            Inner::File(file) => std::os::unix::fs::FileExt::read_exact_at(*file, buf, offset),
            Inner::Bytes(bytes) => {
                let start = usize::try_from(offset).map_err(|_| io::ErrorKind::UnexpectedEof)?;
                let end = start
                    .checked_add(buf.len())
                    .ok_or(io::ErrorKind::UnexpectedEof)?;
                let part = bytes.get(start..end).ok_or(io::ErrorKind::UnexpectedEof)?;
                buf.copy_from_slice(part);
                Ok(())
            }
        }
    }
}

/// Why a file's structure could not be read: what is wrong, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// Byte offset in the file (or member) where the problem was found.
    pub offset: u64,
    pub message: String,
}

impl Malformed {
    pub fn new(offset: u64, message: impl Into<String>) -> Self {
        Malformed {
            offset,
            message: message.into(),
        }
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.message, self.offset)
    }
}

impl std::error::Error for Malformed {}

/// A sized view of untrusted bytes.
#[derive(Clone, Copy)]
pub struct Source<'a> {
    inner: Inner<'a>,
    /// Where this view starts in `inner` (non-zero for a slice, such as a stored zip member).
    base: u64,
    size: u64,
}

impl fmt::Debug for Source<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Source({} bytes)", self.size)
    }
}

impl<'a> Source<'a> {
    /// A file of `size` bytes (its size as hashed; reads past it fail).
    pub fn file(file: &'a std::fs::File, size: u64) -> Self {
        Source {
            inner: Inner::File(file),
            base: 0,
            size,
        }
    }

    /// A buffer (a decompressed archive member, a fuzz input).
    pub fn bytes(bytes: &'a [u8]) -> Self {
        Source {
            inner: Inner::Bytes(bytes),
            base: 0,
            size: bytes.len() as u64,
        }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// The `len` bytes at `offset`, as a source of their own (offsets restart at 0).
    pub fn slice(&self, offset: u64, len: u64, what: &str) -> Result<Source<'a>, Malformed> {
        match offset.checked_add(len) {
            Some(end) if end <= self.size => Ok(Source {
                inner: self.inner,
                base: self.base + offset,
                size: len,
            }),
            _ => Err(Malformed::new(
                offset,
                format!(
                    "{what}: {len} bytes at offset {offset} run past the end ({} bytes)",
                    self.size
                ),
            )),
        }
    }

    /// Reads `len` bytes at `offset`; `what` names the structure in the error.
    pub fn read(&self, offset: u64, len: u64, what: &str) -> Result<Vec<u8>, Malformed> {
        self.check(offset, len, what)?;
        let mut buf = vec![
            0u8;
            usize::try_from(len)
                .map_err(|_| Malformed::new(offset, format!("{what}: too large")))?
        ];
        self.inner
            .read_exact_at(&mut buf, self.base + offset)
            .map_err(|e| Malformed::new(offset, format!("{what}: cannot read: {e}")))?;
        Ok(buf)
    }

    /// Reads exactly `N` bytes at `offset`.
    pub fn array<const N: usize>(&self, offset: u64, what: &str) -> Result<[u8; N], Malformed> {
        self.check(offset, N as u64, what)?;
        let mut buf = [0u8; N];
        self.inner
            .read_exact_at(&mut buf, self.base + offset)
            .map_err(|e| Malformed::new(offset, format!("{what}: cannot read: {e}")))?;
        Ok(buf)
    }

    /// Checks that `len` bytes exist at `offset` and that `len` is within [`MAX_READ`].
    pub fn check(&self, offset: u64, len: u64, what: &str) -> Result<(), Malformed> {
        let end = offset.checked_add(len);
        match end {
            Some(end) if end <= self.size => {}
            _ => {
                return Err(Malformed::new(
                    offset,
                    format!(
                        "{what}: {len} bytes at offset {offset} run past the end of the file ({} bytes)",
                        self.size
                    ),
                ));
            }
        }
        if len > MAX_READ {
            return Err(Malformed::new(
                offset,
                format!("{what}: {len} bytes, more than the {MAX_READ}-byte limit"),
            ));
        }
        Ok(())
    }

    /// A sequential reader from `offset`.
    pub fn cursor(&self, offset: u64) -> Cursor<'a> {
        Cursor {
            source: *self,
            pos: offset,
            buf: Vec::new(),
            buf_start: 0,
        }
    }
}

/// Reads a source front to back through a small buffer, for formats made of many small fields
/// (GGUF metadata, pickle opcodes, protobuf and Thrift). All reads are bounded by the source.
pub struct Cursor<'a> {
    source: Source<'a>,
    pos: u64,
    buf: Vec<u8>,
    buf_start: u64,
}

impl fmt::Debug for Cursor<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cursor(at {} of {})", self.pos, self.source.size)
    }
}

/// Bytes fetched at once by a cursor.
const CURSOR_BUFFER: u64 = 64 * 1024;

impl Cursor<'_> {
    /// The current offset.
    pub fn pos(&self) -> u64 {
        self.pos
    }

    /// Bytes left after the current offset.
    pub fn remaining(&self) -> u64 {
        self.source.size.saturating_sub(self.pos)
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.source.size
    }

    /// Moves to `offset` (checked to be within the source).
    pub fn seek(&mut self, offset: u64) -> Result<(), Malformed> {
        if offset > self.source.size {
            return Err(Malformed::new(
                self.pos,
                format!("seek to {offset} past the end ({} bytes)", self.source.size),
            ));
        }
        self.pos = offset;
        Ok(())
    }

    /// Skips `len` bytes (checked).
    pub fn skip(&mut self, len: u64, what: &str) -> Result<(), Malformed> {
        if len > self.remaining() {
            return Err(Malformed::new(
                self.pos,
                format!("{what}: {len} bytes, but only {} remain", self.remaining()),
            ));
        }
        self.pos += len;
        Ok(())
    }

    /// Makes `want` bytes from the current offset available in the buffer, when they exist.
    fn fill(&mut self, want: u64, what: &str) -> Result<&[u8], Malformed> {
        if want > self.remaining() {
            return Err(Malformed::new(
                self.pos,
                format!(
                    "{what}: needs {want} bytes, but only {} remain",
                    self.remaining()
                ),
            ));
        }
        let have = self.buf_start..self.buf_start + self.buf.len() as u64;
        if !(have.contains(&self.pos) && self.pos + want <= have.end) {
            let len = want.max(CURSOR_BUFFER).min(self.remaining());
            self.buf = self.source.read(self.pos, len, what)?;
            self.buf_start = self.pos;
        }
        let start = usize::try_from(self.pos - self.buf_start).unwrap_or(0);
        let end = start + usize::try_from(want).unwrap_or(0);
        Ok(&self.buf[start..end])
    }

    /// Reads `N` bytes.
    pub fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N], Malformed> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.fill(N as u64, what)?);
        self.pos += N as u64;
        Ok(out)
    }

    /// Reads `len` bytes into a new buffer; the length is checked before allocating.
    pub fn bytes(&mut self, len: u64, what: &str) -> Result<Vec<u8>, Malformed> {
        if len > self.remaining() {
            return Err(Malformed::new(
                self.pos,
                format!("{what}: {len} bytes, but only {} remain", self.remaining()),
            ));
        }
        let out = if len <= CURSOR_BUFFER {
            self.fill(len, what)?.to_vec()
        } else {
            self.source.read(self.pos, len, what)?
        };
        self.pos += len;
        Ok(out)
    }

    pub fn u8(&mut self, what: &str) -> Result<u8, Malformed> {
        Ok(self.array::<1>(what)?[0])
    }

    pub fn u16_le(&mut self, what: &str) -> Result<u16, Malformed> {
        Ok(u16::from_le_bytes(self.array(what)?))
    }

    pub fn u32_le(&mut self, what: &str) -> Result<u32, Malformed> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    pub fn i32_le(&mut self, what: &str) -> Result<i32, Malformed> {
        Ok(i32::from_le_bytes(self.array(what)?))
    }

    pub fn u64_le(&mut self, what: &str) -> Result<u64, Malformed> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    pub fn i64_le(&mut self, what: &str) -> Result<i64, Malformed> {
        Ok(i64::from_le_bytes(self.array(what)?))
    }

    /// Reads up to and including the next `\n` (at most `max` bytes); returns the bytes before it.
    pub fn line(&mut self, max: u64, what: &str) -> Result<Vec<u8>, Malformed> {
        let start = self.pos;
        let mut out = Vec::new();
        loop {
            if out.len() as u64 >= max {
                return Err(Malformed::new(
                    start,
                    format!("{what}: no end of line within {max} bytes"),
                ));
            }
            let b = self.u8(what)?;
            if b == b'\n' {
                return Ok(out);
            }
            out.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_bounded_by_the_source() {
        let data = [1u8, 2, 3, 4, 5];
        let source = Source::bytes(&data);
        assert_eq!(source.read(1, 3, "x").unwrap(), [2, 3, 4]);
        let err = source.read(3, 3, "header").unwrap_err();
        assert_eq!(err.offset, 3);
        assert!(
            err.message
                .contains("header: 3 bytes at offset 3 run past the end"),
            "{err}"
        );
        assert!(
            source.read(u64::MAX, 2, "x").is_err(),
            "offset overflow is an error, not a panic"
        );
    }

    #[test]
    fn a_huge_claimed_length_fails_without_allocating() {
        let data = [0u8; 16];
        let mut cursor = Source::bytes(&data).cursor(0);
        let err = cursor.bytes(1 << 60, "string").unwrap_err();
        assert!(err.message.contains("only 16 remain"), "{err}");
        assert_eq!(cursor.pos(), 0);
    }

    #[test]
    fn cursor_reads_little_endian_fields_across_its_buffer() {
        let mut data = vec![0u8; 70_000];
        data[65_534..65_538].copy_from_slice(&0xdead_beef_u32.to_le_bytes());
        let mut cursor = Source::bytes(&data).cursor(0);
        cursor.skip(65_534, "pad").unwrap();
        assert_eq!(cursor.u32_le("v").unwrap(), 0xdead_beef);
        assert_eq!(cursor.pos(), 65_538);
        assert!(cursor.skip(10_000, "x").is_err());
    }

    #[test]
    fn line_stops_at_newline_or_limit() {
        let data = b"GLOBAL os\nsystem\n";
        let mut cursor = Source::bytes(data).cursor(0);
        assert_eq!(cursor.line(64, "m").unwrap(), b"GLOBAL os");
        assert_eq!(cursor.line(64, "n").unwrap(), b"system");
        let mut cursor = Source::bytes(b"abcdef").cursor(0);
        assert!(cursor.line(3, "m").is_err());
    }
}
