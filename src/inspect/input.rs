//! Forward-only byte input for the pickle walker: either a [`Source`] (a file or a buffer, whose
//! ranges can be read again later, so long strings and bytes are kept as offsets rather than
//! copies) or a decompressing reader (a `.pkl.gz`, a deflated zip member), read once, front to
//! back, with a cap on how many bytes it may produce.
//!
//! Every read says when it failed because the input ran out ([`Input::exhausted`]): a walk that
//! stops there on a file's first bytes is a pickle that goes on beyond them, not a broken one.

use std::io::Read;

use super::source::{Malformed, Source};

/// What the pickle walker reads from.
pub trait Input {
    /// Offset of the next byte.
    fn pos(&self) -> u64;
    /// Bytes left, when known (a stream does not know).
    fn remaining(&self) -> Option<u64>;
    /// True at the end of the input.
    fn at_end(&mut self) -> Result<bool, Malformed>;
    /// Whether offsets can be read again later through the source this input reads.
    fn seekable(&self) -> bool;
    /// True once a read failed because the input had fewer bytes than it needed.
    fn exhausted(&self) -> bool;
    /// Reads `len` bytes into a new buffer (the caller bounds `len`).
    fn bytes(&mut self, len: u64, what: &str) -> Result<Vec<u8>, Malformed>;
    /// Skips `len` bytes.
    fn skip(&mut self, len: u64, what: &str) -> Result<(), Malformed>;

    /// Reads up to and including the next `\n` (at most `max` bytes); returns the bytes before it.
    fn line(&mut self, max: u64, what: &str) -> Result<Vec<u8>, Malformed> {
        let start = self.pos();
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

    fn take<const N: usize>(&mut self, what: &str) -> Result<[u8; N], Malformed> {
        let bytes = self.bytes(N as u64, what)?;
        let mut out = [0u8; N];
        out.copy_from_slice(&bytes);
        Ok(out)
    }

    fn u8(&mut self, what: &str) -> Result<u8, Malformed> {
        Ok(self.take::<1>(what)?[0])
    }

    fn u16_le(&mut self, what: &str) -> Result<u16, Malformed> {
        Ok(u16::from_le_bytes(self.take(what)?))
    }

    fn u32_le(&mut self, what: &str) -> Result<u32, Malformed> {
        Ok(u32::from_le_bytes(self.take(what)?))
    }

    fn i32_le(&mut self, what: &str) -> Result<i32, Malformed> {
        Ok(i32::from_le_bytes(self.take(what)?))
    }

    fn u64_le(&mut self, what: &str) -> Result<u64, Malformed> {
        Ok(u64::from_le_bytes(self.take(what)?))
    }
}

/// Bytes fetched at once from a source.
const BUFFER: u64 = 64 * 1024;

/// A [`Source`] read front to back through a small buffer.
#[derive(Debug)]
pub struct SourceInput<'a> {
    source: Source<'a>,
    pos: u64,
    buf: Vec<u8>,
    buf_start: u64,
    exhausted: bool,
    wanted_end: u64,
}

impl<'a> SourceInput<'a> {
    pub fn new(source: Source<'a>, offset: u64) -> Self {
        SourceInput {
            source,
            pos: offset,
            buf: Vec::new(),
            buf_start: 0,
            exhausted: false,
            wanted_end: 0,
        }
    }

    /// Where the read that ran out of input would have ended.
    pub fn wanted_end(&self) -> u64 {
        self.wanted_end
    }

    fn short(&mut self, len: u64, what: &str) -> Malformed {
        self.exhausted = true;
        self.wanted_end = self.pos.saturating_add(len);
        Malformed::new(
            self.pos,
            format!(
                "{what}: {len} bytes, but only {} remain",
                self.source.size().saturating_sub(self.pos)
            ),
        )
    }
}

impl Input for SourceInput<'_> {
    fn pos(&self) -> u64 {
        self.pos
    }

    fn remaining(&self) -> Option<u64> {
        Some(self.source.size().saturating_sub(self.pos))
    }

    fn at_end(&mut self) -> Result<bool, Malformed> {
        Ok(self.pos >= self.source.size())
    }

    fn seekable(&self) -> bool {
        true
    }

    fn exhausted(&self) -> bool {
        self.exhausted
    }

    fn bytes(&mut self, len: u64, what: &str) -> Result<Vec<u8>, Malformed> {
        if len > self.source.size().saturating_sub(self.pos) {
            return Err(self.short(len, what));
        }
        let end = self.pos + len;
        let have = self.buf_start..self.buf_start + self.buf.len() as u64;
        let out = if have.contains(&self.pos) && end <= have.end {
            let start = usize::try_from(self.pos - self.buf_start).unwrap_or(0);
            self.buf[start..start + usize::try_from(len).unwrap_or(0)].to_vec()
        } else if len <= BUFFER {
            let fill = BUFFER.min(self.source.size() - self.pos);
            self.buf = self.source.read(self.pos, fill, what)?;
            self.buf_start = self.pos;
            self.buf[..usize::try_from(len).unwrap_or(0)].to_vec()
        } else {
            self.source.read(self.pos, len, what)?
        };
        self.pos = end;
        Ok(out)
    }

    fn skip(&mut self, len: u64, what: &str) -> Result<(), Malformed> {
        if len > self.source.size().saturating_sub(self.pos) {
            return Err(self.short(len, what));
        }
        self.pos += len;
        Ok(())
    }
}

/// A decompressing reader, read once; it stops with an error after `cap` bytes so that a
/// decompression bomb costs bounded time.
pub struct ReadInput<'r> {
    reader: &'r mut dyn Read,
    pos: u64,
    /// Bytes read ahead and not consumed yet (`pending[next..]`).
    pending: Vec<u8>,
    next: usize,
    eof: bool,
    cap: u64,
    exhausted: bool,
}

impl std::fmt::Debug for ReadInput<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ReadInput(at {})", self.pos)
    }
}

impl<'r> ReadInput<'r> {
    pub fn new(reader: &'r mut dyn Read, cap: u64) -> Self {
        ReadInput {
            reader,
            pos: 0,
            pending: Vec::new(),
            next: 0,
            eof: false,
            cap,
            exhausted: false,
        }
    }

    /// Makes at least `want` unconsumed bytes available, unless the input ends first.
    fn fill(&mut self, want: usize) -> Result<(), Malformed> {
        if self.pending.len() - self.next >= want || self.eof {
            return Ok(());
        }
        self.pending.drain(..self.next);
        self.next = 0;
        let mut chunk = [0u8; 16 * 1024];
        while self.pending.len() < want && !self.eof {
            let produced = self.pos + self.pending.len() as u64;
            if produced >= self.cap {
                return Err(Malformed::new(
                    self.pos,
                    format!(
                        "decompresses to more than {} bytes, the most read",
                        self.cap
                    ),
                ));
            }
            match self.reader.read(&mut chunk) {
                Ok(0) => self.eof = true,
                Ok(n) => self.pending.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(Malformed::new(
                        produced,
                        format!("does not decompress: {e}"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Reads and discards everything left (bounded by the cap); returns how many bytes that was.
    pub fn drain(&mut self) -> Result<u64, Malformed> {
        let mut total = 0u64;
        loop {
            let available = self.pending.len() - self.next;
            total += available as u64;
            self.pos += available as u64;
            self.next = self.pending.len();
            if self.eof {
                return Ok(total);
            }
            self.fill(16 * 1024)?;
            if self.eof && self.pending.len() == self.next {
                return Ok(total);
            }
        }
    }
}

/// A range of a [`Source`] as a [`Read`], for decompressors.
#[derive(Debug)]
pub struct SourceReader<'a> {
    source: Source<'a>,
    pos: u64,
    end: u64,
}

impl<'a> SourceReader<'a> {
    /// The `len` bytes at `offset` (cut at the end of the source).
    pub fn new(source: Source<'a>, offset: u64, len: u64) -> Self {
        let end = offset.saturating_add(len).min(source.size());
        SourceReader {
            source,
            pos: offset.min(end),
            end,
        }
    }
}

impl Read for SourceReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = (buf.len() as u64).min(self.end - self.pos).min(BUFFER);
        if n == 0 {
            return Ok(0);
        }
        let bytes = self
            .source
            .read(self.pos, n, "compressed data")
            .map_err(|e| std::io::Error::other(e.message))?;
        let n = bytes.len();
        buf[..n].copy_from_slice(&bytes);
        self.pos += n as u64;
        Ok(n)
    }
}

/// Largest single read kept from a stream (a long string or bytes object is skipped otherwise).
const STREAM_CHUNK: u64 = 1024 * 1024;

impl Input for ReadInput<'_> {
    fn pos(&self) -> u64 {
        self.pos
    }

    fn remaining(&self) -> Option<u64> {
        None
    }

    fn at_end(&mut self) -> Result<bool, Malformed> {
        self.fill(1)?;
        Ok(self.pending.len() == self.next)
    }

    fn seekable(&self) -> bool {
        false
    }

    fn exhausted(&self) -> bool {
        self.exhausted
    }

    fn bytes(&mut self, len: u64, what: &str) -> Result<Vec<u8>, Malformed> {
        if len > STREAM_CHUNK {
            return Err(Malformed::new(
                self.pos,
                format!("{what}: {len} bytes, more than the {STREAM_CHUNK} kept from a stream"),
            ));
        }
        let want = usize::try_from(len).unwrap_or(usize::MAX);
        self.fill(want)?;
        let available = self.pending.len() - self.next;
        if available < want {
            self.exhausted = true;
            return Err(Malformed::new(
                self.pos,
                format!("{what}: {len} bytes, but only {available} remain"),
            ));
        }
        let out = self.pending[self.next..self.next + want].to_vec();
        self.next += want;
        self.pos += len;
        Ok(out)
    }

    fn skip(&mut self, len: u64, what: &str) -> Result<(), Malformed> {
        let mut left = len;
        while left > 0 {
            self.fill(1)?;
            let available = (self.pending.len() - self.next) as u64;
            if available == 0 {
                self.exhausted = true;
                return Err(Malformed::new(
                    self.pos,
                    format!("{what}: {len} bytes, but the stream ended {left} bytes short"),
                ));
            }
            let step = available.min(left);
            self.next += usize::try_from(step).unwrap_or(0);
            self.pos += step;
            left -= step;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_and_stream_inputs_read_alike() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut a = SourceInput::new(Source::bytes(&data), 0);
        let mut reader: &[u8] = &data;
        let mut b = ReadInput::new(&mut reader, u64::MAX);
        for input in [&mut a as &mut dyn ErasedInput, &mut b] {
            assert_eq!(input.erased_bytes(3), vec![0, 1, 2]);
            input.erased_skip(70_000);
            assert_eq!(
                input.erased_bytes(2),
                vec![(70_003 % 251) as u8, (70_004 % 251) as u8]
            );
            assert_eq!(input.erased_pos(), 70_005);
        }
        assert!(a.skip(1 << 40, "x").is_err());
        assert!(a.exhausted());
    }

    #[test]
    fn a_stream_stops_at_its_cap() {
        let data = vec![0u8; 100_000];
        let mut reader: &[u8] = &data;
        let mut input = ReadInput::new(&mut reader, 50_000);
        let err = input.skip(80_000, "x").unwrap_err();
        assert!(err.message.contains("more than 50000 bytes"), "{err}");
    }

    /// Object-safe view for the test above.
    trait ErasedInput {
        fn erased_bytes(&mut self, n: u64) -> Vec<u8>;
        fn erased_skip(&mut self, n: u64);
        fn erased_pos(&self) -> u64;
    }

    impl<T: Input> ErasedInput for T {
        fn erased_bytes(&mut self, n: u64) -> Vec<u8> {
            self.bytes(n, "t").unwrap()
        }
        fn erased_skip(&mut self, n: u64) {
            self.skip(n, "t").unwrap();
        }
        fn erased_pos(&self) -> u64 {
            self.pos()
        }
    }
}
