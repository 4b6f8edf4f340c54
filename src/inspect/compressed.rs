//! Compressed files: gzip, zlib, bzip2, xz, LZMA and LZ4, the compressions `joblib.dump`,
//! `pandas.to_pickle` and hand-written `pickle.dump(obj, gzip.open(...))` use. What matters is
//! what the decompressed bytes are: a compressed pickle is walked as it decompresses, never held
//! whole, with a cap on the bytes it may produce (a decompression bomb costs bounded time).
//!
//! gzip, bzip2, xz and LZ4 frames are recognised by their signatures; zlib and legacy LZMA
//! streams have weak ones (two and three bytes), so they count only when the first bytes
//! decompress to a pickle. A file that merely starts like a compressed stream and does not
//! decompress is reported at error level only when its name says it is compressed. A name that
//! says "compressed pickle" with a compression scelle cannot open (zstd) is a finding, not a
//! skip.

use std::io::{Read, Write};

use serde::Serialize;

use super::input::{ReadInput, SourceReader};
use super::source::{Malformed, Source};
use super::torch::Merged;
use super::{Report, pickle, rules};
use crate::finding::Severity;

/// Decompressed bytes walked at most (a bomb stops here with a finding).
pub const MAX_DECOMPRESSED: u64 = 8 * 1024 * 1024 * 1024;
/// LZMA and xz decode through a push decoder into memory: at most this much (beyond it, the
/// stream is reported as too large to inspect rather than held).
const MAX_PUSH_DECODED: u64 = 32 * 1024 * 1024;
/// Decompressed bytes sniffed.
const SNIFF: u64 = 512;

/// A compression scelle can open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compression {
    Gzip,
    Zlib,
    Bzip2,
    Xz,
    Lzma,
    Lz4,
}

impl Compression {
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::Gzip => "gzip",
            Compression::Zlib => "zlib",
            Compression::Bzip2 => "bzip2",
            Compression::Xz => "xz",
            Compression::Lzma => "lzma",
            Compression::Lz4 => "lz4",
        }
    }

    /// File name endings that say this compression.
    fn named(self, name: &str) -> bool {
        let exts: &[&str] = match self {
            Compression::Gzip => &[".gz", ".gzip", ".tgz"],
            Compression::Zlib => &[".z", ".zlib"],
            Compression::Bzip2 => &[".bz2", ".bzip2", ".tbz2"],
            Compression::Xz => &[".xz", ".txz"],
            Compression::Lzma => &[".lzma"],
            Compression::Lz4 => &[".lz4"],
        };
        exts.iter().any(|e| name.ends_with(e))
    }
}

/// The compression whose signature starts `head`, with whether the signature alone is strong
/// evidence.
fn signature(head: &[u8]) -> Option<(Compression, bool)> {
    if head.starts_with(&[0x1f, 0x8b, 0x08]) {
        return Some((Compression::Gzip, true));
    }
    if head.len() >= 10
        && head.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&head[3])
        && (head[4..10] == [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]
            || head[4..10] == [0x17, 0x72, 0x45, 0x38, 0x50, 0x90])
    {
        return Some((Compression::Bzip2, true));
    }
    if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
        return Some((Compression::Xz, true));
    }
    if head.starts_with(&[0x04, 0x22, 0x4d, 0x18]) {
        return Some((Compression::Lz4, true));
    }
    if head.len() >= 2
        && head[0] & 0x0f == 8
        && head[0] >> 4 <= 7
        && (u16::from(head[0]) * 256 + u16::from(head[1])) % 31 == 0
    {
        return Some((Compression::Zlib, false));
    }
    // Legacy LZMA ("alone"): properties byte (lc + lp*9 + pb*45 < 225), then the dictionary
    // size; joblib writes 0x5d.
    if head.len() >= 13 && head[0] < 225 && head[0] == 0x5d {
        return Some((Compression::Lzma, false));
    }
    None
}

/// The compression of a file whose first bytes are `head`, when there is strong evidence of
/// one: a signature that is one, or a weak signature whose start decompresses to a pickle.
pub fn sniff(head: &[u8]) -> Option<Compression> {
    let (kind, strong) = signature(head)?;
    if strong {
        return Some(kind);
    }
    let mut raw: &[u8] = head;
    let mut r = decoder(kind, &mut raw, SNIFF);
    let mut out = Vec::new();
    // Ends early (the head is only the file's start): whatever came out is enough.
    let _ = r.by_ref().take(SNIFF).read_to_end(&mut out);
    pickle::looks_like_pickle(&out, u64::MAX).then_some(kind)
}

/// A decompressing reader over `raw`.
fn decoder<'a>(kind: Compression, raw: &'a mut dyn Read, cap: u64) -> Box<dyn Read + 'a> {
    match kind {
        Compression::Gzip => Box::new(flate2::read::MultiGzDecoder::new(raw)),
        Compression::Zlib => Box::new(flate2::read::ZlibDecoder::new(raw)),
        Compression::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(raw)),
        Compression::Lz4 => Box::new(lz4_flex::frame::FrameDecoder::new(raw)),
        Compression::Xz | Compression::Lzma => Box::new(PushDecoded::new(kind, raw, cap)),
    }
}

/// Facts of a compressed file.
#[derive(Debug, Serialize)]
struct Facts {
    compression: &'static str,
    /// What the decompressed bytes are: `pickle` or `unknown`.
    content: &'static str,
}

/// A compressed file: sniffs what it holds, walks it when it is a pickle.
pub fn inspect(
    name: &str,
    head: &[u8],
    source: Source<'_>,
    report: &mut Report,
) -> Result<(), Malformed> {
    let Some(kind) = sniff(head) else {
        return Ok(());
    };
    let claimed = kind.named(name);
    let mut raw = SourceReader::new(source, 0, source.size());
    let start = {
        let mut r = decoder(kind, &mut raw, SNIFF);
        let mut out = Vec::new();
        match r.by_ref().take(SNIFF).read_to_end(&mut out) {
            Ok(_) => Ok(out),
            // Cut short further on: the start is there.
            Err(_) if !out.is_empty() => Ok(out),
            Err(e) => Err(Malformed::new(0, format!("does not decompress: {e}"))),
        }
    };
    let start = match start {
        Ok(bytes) => bytes,
        Err(m) => {
            let severity = if claimed {
                Severity::Error
            } else {
                Severity::Warning
            };
            report.note(
                rules::MALFORMED,
                severity,
                format!("starts like {} data, but {}", kind.as_str(), m.message),
                Some(0),
            );
            return Ok(());
        }
    };
    let whole = (start.len() as u64) < SNIFF;
    let size = if whole { start.len() as u64 } else { u64::MAX };
    let is_pickle = pickle::looks_like_pickle(&start, size) || named_pickle(name);
    report.facts_from(&Facts {
        compression: kind.as_str(),
        content: if is_pickle { "pickle" } else { "unknown" },
    });
    if !is_pickle {
        return Ok(());
    }
    let mut raw = SourceReader::new(source, 0, source.size());
    let mut reader = decoder(kind, &mut raw, MAX_PUSH_DECODED);
    let mut input = ReadInput::new(&mut reader, MAX_DECOMPRESSED);
    let scan = pickle::scan(&mut input);
    if scan
        .error
        .as_ref()
        .is_some_and(|e| e.message.contains("the most read"))
    {
        let most = if matches!(kind, Compression::Xz | Compression::Lzma) {
            MAX_PUSH_DECODED
        } else {
            MAX_DECOMPRESSED
        };
        report.note(
            rules::UNSCANNABLE,
            Severity::Error,
            format!(
                "a {} compressed pickle that decompresses to more than {most} bytes: scelle stopped there, so what the rest would run is unknown",
                kind.as_str()
            ),
            None,
        );
    }
    let mut merged = Merged::default();
    merged.add_stream(format!("the {} stream", kind.as_str()), scan, report);
    merged.record(report);
    Ok(())
}

/// A name that says "pickle" before any compression extension (`model.pkl.gz`).
pub fn named_pickle(name: &str) -> bool {
    let stem = name
        .rsplit_once('.')
        .map_or(name, |(stem, _)| stem)
        .to_ascii_lowercase();
    [".pkl", ".pickle", ".joblib", ".pt", ".pth", ".sav"]
        .iter()
        .any(|e| stem.ends_with(e))
}

/// A name that says "compressed pickle" with a compression scelle cannot open.
pub fn unopenable_pickle(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let compression = [
        (".zst", "zstd"),
        (".zstd", "zstd"),
        (".br", "brotli"),
        (".7z", "7z"),
    ]
    .iter()
    .find(|(e, _)| lower.ends_with(e))?
    .1;
    named_pickle(&lower).then_some(compression)
}

/// LZMA and xz through `lzma-rs`, which pushes what it decodes into a writer: decoded into
/// memory up to a cap on first read, then served from there.
struct PushDecoded<'a> {
    kind: Compression,
    raw: Option<&'a mut dyn Read>,
    cap: u64,
    decoded: std::io::Cursor<Vec<u8>>,
    failure: Option<String>,
}

impl<'a> PushDecoded<'a> {
    fn new(kind: Compression, raw: &'a mut dyn Read, cap: u64) -> Self {
        PushDecoded {
            kind,
            raw: Some(raw),
            cap,
            decoded: std::io::Cursor::new(Vec::new()),
            failure: None,
        }
    }

    fn decode(&mut self) {
        let Some(raw) = self.raw.take() else {
            return;
        };
        let mut input = std::io::BufReader::new(raw);
        let mut out = Capped {
            buf: Vec::new(),
            cap: self.cap,
        };
        let result = match self.kind {
            Compression::Xz => lzma_rs::xz_decompress(&mut input, &mut out),
            _ => lzma_rs::lzma_decompress(&mut input, &mut out),
        };
        if let Err(e) = result {
            // What came out is still served, then the failure.
            self.failure = Some(if out.buf.len() as u64 >= self.cap {
                format!(
                    "decompresses to more than {} bytes, the most read",
                    self.cap
                )
            } else {
                e.to_string()
            });
        }
        self.decoded = std::io::Cursor::new(out.buf);
    }
}

impl Read for PushDecoded<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.decode();
        let n = self.decoded.read(buf)?;
        if n == 0
            && let Some(f) = &self.failure
        {
            return Err(std::io::Error::other(f.clone()));
        }
        Ok(n)
    }
}

/// A writer that refuses bytes beyond its cap.
struct Capped {
    buf: Vec<u8>,
    cap: u64,
}

impl Write for Capped {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let room =
            usize::try_from(self.cap.saturating_sub(self.buf.len() as u64)).unwrap_or(usize::MAX);
        if room == 0 {
            return Err(std::io::Error::other("decompressed size cap reached"));
        }
        let n = data.len().min(room);
        self.buf.extend_from_slice(&data[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A zip member compressed with LZMA (method 14): a 4-byte version and properties-size header,
/// five properties bytes, then raw LZMA data whose size the central directory gives.
#[derive(Debug)]
pub struct ZipLzma<'a> {
    inner: Option<SourceReader<'a>>,
    size: u64,
    decoded: std::io::Cursor<Vec<u8>>,
    failure: Option<String>,
}

impl<'a> ZipLzma<'a> {
    pub fn new(raw: SourceReader<'a>, size: u64) -> Self {
        ZipLzma {
            inner: Some(raw),
            size,
            decoded: std::io::Cursor::new(Vec::new()),
            failure: None,
        }
    }
}

impl Read for ZipLzma<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(mut raw) = self.inner.take() {
            let mut header = [0u8; 4];
            raw.read_exact(&mut header)?;
            let mut input = std::io::BufReader::new(raw);
            let mut out = Capped {
                buf: Vec::new(),
                cap: self.size.min(MAX_PUSH_DECODED),
            };
            let options = lzma_rs::decompress::Options {
                unpacked_size: lzma_rs::decompress::UnpackedSize::UseProvided(Some(self.size)),
                ..Default::default()
            };
            if let Err(e) = lzma_rs::lzma_decompress_with_options(&mut input, &mut out, &options) {
                self.failure = Some(e.to_string());
            }
            self.decoded = std::io::Cursor::new(out.buf);
        }
        let n = self.decoded.read(buf)?;
        if n == 0
            && let Some(f) = &self.failure
        {
            return Err(std::io::Error::other(f.clone()));
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_and_sniffing() {
        let pickle = b"\x80\x04\x95\x0b\x00\x00\x00\x00\x00\x00\x00}\x94\x8c\x01a\x94K\x01s.";
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(pickle).unwrap();
        let gz = gz.finish().unwrap();
        assert_eq!(sniff(&gz), Some(Compression::Gzip));
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(pickle).unwrap();
        let z = z.finish().unwrap();
        assert_eq!(sniff(&z), Some(Compression::Zlib), "zlib of a pickle");
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(b"plain text, not a pickle at all").unwrap();
        assert_eq!(
            sniff(&z.finish().unwrap()),
            None,
            "zlib of text is not our business"
        );
        assert_eq!(sniff(b"x\x9c not really zlib"), None);
    }

    #[test]
    fn an_xz_bomb_is_unscannable_not_held() {
        // 64 MiB of pushes and pops (`N0`), compressed to a few kilobytes.
        let mut data = b"\x80\x02".to_vec();
        data.extend(b"N0".repeat(32 * 1024 * 1024));
        let mut xz = Vec::new();
        lzma_rs::xz_compress(&mut &data[..], &mut xz).unwrap();
        let mut report = Report::default();
        inspect(
            "bomb.pkl.xz",
            &xz[..xz.len().min(512)],
            Source::bytes(&xz),
            &mut report,
        )
        .unwrap();
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.rule == rules::UNSCANNABLE
                    && n.message.contains("more than 33554432 bytes")),
            "{:?}",
            report.notes
        );
    }

    #[test]
    fn lz4_frames_are_walked() {
        let pickle = b"cposix\nsystem\n(S'id'\ntR.";
        let mut enc = lz4_flex::frame::FrameEncoder::new(Vec::new());
        enc.write_all(pickle).unwrap();
        let lz4 = enc.finish().unwrap();
        assert_eq!(sniff(&lz4), Some(Compression::Lz4));
        let mut report = Report::default();
        inspect("model.pkl.lz4", &lz4, Source::bytes(&lz4), &mut report).unwrap();
        assert_eq!(report.facts["pickle"]["verdict"], "dangerous", "{report:?}");
    }

    #[test]
    fn names() {
        assert!(named_pickle("model.pkl.gz"));
        assert!(!named_pickle("train.jsonl.gz"));
        assert_eq!(unopenable_pickle("model.pkl.zst"), Some("zstd"));
        assert_eq!(unopenable_pickle("data.jsonl.zst"), None);
    }
}
