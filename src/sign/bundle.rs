//! Sigstore bundles v0.3 holding a DSSE envelope, as scelle and the OpenSSF Model Signing
//! reference write them for keys (no certificate, no transparency log).
//!
//! Reading is lenient where real bundles differ and harmless (`tlogEntries` or `keyid` missing,
//! `keyid` null, the pre-1.1 `rawBytes` key material of `model_signing`) and strict where it
//! matters: the exact media type, a size limit checked before reading, exactly one signature
//! counted by the verifier.

use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::dsse::{Base64Error, Envelope, Signature};

/// The media type of a Sigstore bundle v0.3 in JSON.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The older spelling of the same media type, which the bundle specification says to accept.
const BUNDLE_MEDIA_TYPE_ALIAS: &str = "application/vnd.dev.sigstore.bundle+json;version=0.3";

/// A bundle as written.
#[derive(Debug, Clone, Serialize)]
pub struct Bundle {
    #[serde(rename = "mediaType")]
    pub media_type: &'static str,
    #[serde(rename = "verificationMaterial")]
    pub verification_material: VerificationMaterial,
    #[serde(rename = "dsseEnvelope")]
    pub dsse_envelope: Envelope,
}

/// The signer's material: a key hint (the key method) or an X.509 chain (the certificate
/// method), never both; `tlogEntries` is always empty (no transparency log).
#[derive(Debug, Clone, Serialize)]
pub struct VerificationMaterial {
    #[serde(rename = "publicKey", skip_serializing_if = "Option::is_none")]
    pub public_key: Option<PublicKeyHint>,
    #[serde(
        rename = "x509CertificateChain",
        skip_serializing_if = "Option::is_none"
    )]
    pub x509_certificate_chain: Option<CertificateChain>,
    #[serde(rename = "tlogEntries")]
    pub tlog_entries: [(); 0],
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicKeyHint {
    pub hint: String,
}

/// `x509CertificateChain`: the leaf first, then intermediates, never a root (the bundle
/// specification: signers MUST NOT include root certificates).
#[derive(Debug, Clone, Serialize)]
pub struct CertificateChain {
    pub certificates: Vec<RawBytes>,
}

/// One DER certificate, base64 in JSON.
#[derive(Debug, Clone)]
pub struct RawBytes(pub Vec<u8>);

impl Serialize for RawBytes {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use base64::Engine as _;
        use serde::ser::SerializeMap as _;
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(
            "rawBytes",
            &base64::engine::general_purpose::STANDARD.encode(&self.0),
        )?;
        map.end()
    }
}

impl Bundle {
    /// A key-signed bundle around `envelope`.
    pub fn new(hint: String, envelope: Envelope) -> Self {
        Bundle {
            media_type: BUNDLE_MEDIA_TYPE,
            verification_material: VerificationMaterial {
                public_key: Some(PublicKeyHint { hint }),
                x509_certificate_chain: None,
                tlog_entries: [],
            },
            dsse_envelope: envelope,
        }
    }

    /// A certificate-signed bundle around `envelope`: `chain` is the leaf, then intermediates.
    pub fn with_chain(chain: &[Vec<u8>], envelope: Envelope) -> Self {
        Bundle {
            media_type: BUNDLE_MEDIA_TYPE,
            verification_material: VerificationMaterial {
                public_key: None,
                x509_certificate_chain: Some(CertificateChain {
                    certificates: chain.iter().map(|c| RawBytes(c.clone())).collect(),
                }),
                tlog_entries: [],
            },
            dsse_envelope: envelope,
        }
    }

    /// Two-space indented JSON with a final newline.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// What identifies the signing key in a bundle that was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    /// A key id (`publicKey.hint`), compared with the given keys' ids.
    Hint(String),
    /// The pre-1.1 `model_signing` form: the signer's public key PEM itself (`rawBytes`), not
    /// trusted, only used to say which key signed.
    LegacyRawBytes,
    /// Nothing that names the key: every given key is tried.
    None,
    /// An X.509 chain, leaf first (`x509CertificateChain.certificates[].rawBytes`, DER): the
    /// OMS certificate method. Nothing in it is trusted until a path to a given anchor is found.
    Chain(Vec<Vec<u8>>),
    /// One certificate (`certificate.rawBytes`, DER), as a v0.3 keyless bundle carries its
    /// Fulcio leaf beside a transparency-log entry.
    Certificate(Vec<u8>),
}

/// The most certificates a bundle's chain may hold (leaf, intermediates, a stray root).
pub const MAX_CHAIN: usize = 8;

/// A bundle that was read and structurally checked (nothing in it is trusted yet). Its payload
/// stays where it is, in the file (or buffer) `S`, and is decoded as it is read: a bundle of a
/// million files is never held whole, and the bytes verified are the bytes parsed.
#[derive(Debug)]
pub struct ReadBundle<S> {
    pub key: KeyMaterial,
    pub payload_type: String,
    pub signatures: Vec<Signature>,
    payload: Result<PayloadText, Base64Error>,
    source: S,
}

/// Where the payload's base64 text is, and what it decodes to.
#[derive(Debug, Clone, Copy)]
struct PayloadText {
    /// The bytes between the quotes.
    start: u64,
    end: u64,
    /// The length of the decoded payload.
    len: u64,
    url_safe: bool,
}

/// Bytes read at an offset: an open file or a buffer.
pub trait Source {
    fn size(&self) -> u64;
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize>;
}

impl Source for std::fs::File {
    fn size(&self) -> u64 {
        self.metadata().map_or(0, |m| m.len())
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(self, buf, offset)
    }
}

impl Source for &[u8] {
    fn size(&self) -> u64 {
        self.len() as u64
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.len());
        let n = buf.len().min(self.len() - start);
        buf[..n].copy_from_slice(&self[start..start + n]);
        Ok(n)
    }
}

impl Source for crate::input::Input {
    fn size(&self) -> u64 {
        crate::input::Input::size(self)
    }
    fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(self.file(), buf, offset)
    }
}

/// Why a file is not a usable bundle (exit status 2: it could not be checked at all).
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
    #[error("cannot read `{}`", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not JSON: {reason}", .path.display())]
    NotJson { path: PathBuf, reason: String },
    #[error("`{}` is not a Sigstore bundle: {reason}", .path.display())]
    Malformed { path: PathBuf, reason: String },
    #[error("`{}` has media type `{found}`, expected `{BUNDLE_MEDIA_TYPE}`", .path.display())]
    MediaType { path: PathBuf, found: String },
}

/// Opens and structurally checks the bundle at `path`.
pub fn read_bundle(path: &Path) -> Result<ReadBundle<crate::input::Input>, BundleError> {
    let input = crate::input::open(path, crate::input::Kind::BUNDLE)?;
    read_from(path, input)
}

/// Parses and structurally checks bundle bytes; `path` only names the bundle in errors.
pub fn parse<'a>(path: &Path, bytes: &'a [u8]) -> Result<ReadBundle<&'a [u8]>, BundleError> {
    read_from(path, bytes)
}

/// Structurally checks a bundle already open (or in memory); `path` only names it in errors.
pub fn read_from<S: Source>(path: &Path, source: S) -> Result<ReadBundle<S>, BundleError> {
    let fields = skim(&source).map_err(|e| match e {
        SkimError::Io(source) => BundleError::Read {
            path: path.into(),
            source,
        },
        SkimError::Json(reason) => BundleError::NotJson {
            path: path.into(),
            reason,
        },
        SkimError::Malformed(reason) => BundleError::Malformed {
            path: path.into(),
            reason,
        },
    })?;
    let checked = check_fields(&source, &fields).map_err(|e| match e {
        ParseError::Json(reason) => BundleError::NotJson {
            path: path.into(),
            reason,
        },
        ParseError::Malformed(reason) => BundleError::Malformed {
            path: path.into(),
            reason,
        },
        ParseError::MediaType(found) => BundleError::MediaType {
            path: path.into(),
            found,
        },
        ParseError::Io(source) => BundleError::Read {
            path: path.into(),
            source,
        },
    })?;
    let (key, payload_type, signatures) = checked;
    Ok(ReadBundle {
        key,
        payload_type,
        signatures,
        payload: fields.payload,
        source,
    })
}

impl<S: Source> ReadBundle<S> {
    /// The bundle's bytes as read (a keyless bundle is handed whole to the Sigstore verifier).
    pub fn source(&self) -> &S {
        &self.source
    }

    /// The decoded payload's length (from the length of its base64 text).
    pub fn payload_len(&self) -> Result<u64, Base64Error> {
        self.payload.as_ref().map(|p| p.len).map_err(Clone::clone)
    }

    /// The payload, decoded as it is read.
    pub fn payload(&self) -> Result<PayloadReader<'_, S>, Base64Error> {
        let text = self.payload.clone()?;
        let alphabet = if text.url_safe {
            &base64::alphabet::URL_SAFE
        } else {
            &base64::alphabet::STANDARD
        };
        let engine = base64::engine::GeneralPurpose::new(
            alphabet,
            base64::engine::GeneralPurposeConfig::new()
                .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
        );
        Ok(PayloadReader {
            source: &self.source,
            text,
            at: text.start,
            raw: Vec::new(),
            unescape: Unescape::default(),
            pending: Vec::new(),
            engine,
            out: Vec::new(),
            out_pos: 0,
            produced: 0,
        })
    }

    /// The whole payload in memory (for small bundles and tests).
    pub fn payload_bytes(&self) -> Result<Vec<u8>, Base64Error> {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut self.payload()?, &mut out).map_err(|e| Base64Error {
            field: PAYLOAD_FIELD,
            reason: e.to_string(),
        })?;
        Ok(out)
    }
}

const PAYLOAD_FIELD: &str = "dsseEnvelope.payload";

/// Where each field the verifier needs sits in the bundle, found in one pass over it.
struct Fields {
    media_type: Option<(u64, u64)>,
    verification_material: Option<(u64, u64)>,
    message_signature: bool,
    envelope: Option<(u64, u64)>,
    envelope_is_object: bool,
    payload_type: Option<(u64, u64)>,
    signatures: Option<(u64, u64)>,
    payload: Result<PayloadText, Base64Error>,
    has_payload: bool,
}

enum SkimError {
    Io(std::io::Error),
    Json(String),
    Malformed(String),
}

impl From<std::io::Error> for SkimError {
    fn from(e: std::io::Error) -> Self {
        SkimError::Io(e)
    }
}

/// Deepest nesting a bundle may have (real ones have five levels).
const MAX_DEPTH: usize = 64;

/// A forward reader over a [`Source`] with one byte of look-ahead.
struct Cursor<'s, S> {
    source: &'s S,
    buf: Vec<u8>,
    buf_at: u64,
    pos: u64,
    size: u64,
}

impl<'s, S: Source> Cursor<'s, S> {
    fn new(source: &'s S) -> Self {
        Cursor {
            source,
            buf: Vec::new(),
            buf_at: 0,
            pos: 0,
            size: source.size(),
        }
    }

    fn peek(&mut self) -> Result<Option<u8>, SkimError> {
        if self.pos >= self.size {
            return Ok(None);
        }
        let rel = self.pos.wrapping_sub(self.buf_at);
        if self.pos < self.buf_at || rel >= self.buf.len() as u64 {
            self.buf.resize(1 << 16, 0);
            let n = self.source.read_at(&mut self.buf, self.pos)?;
            self.buf.truncate(n);
            self.buf_at = self.pos;
            if n == 0 {
                return Ok(None);
            }
        }
        let rel = usize::try_from(self.pos - self.buf_at).unwrap_or(0);
        Ok(self.buf.get(rel).copied())
    }

    fn bump(&mut self) -> Result<Option<u8>, SkimError> {
        let b = self.peek()?;
        if b.is_some() {
            self.pos += 1;
        }
        Ok(b)
    }

    fn ws(&mut self) -> Result<Option<u8>, SkimError> {
        while let Some(b) = self.peek()? {
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                return Ok(Some(b));
            }
            self.pos += 1;
        }
        Ok(None)
    }

    fn unexpected(&self, found: Option<u8>, wanted: &str) -> SkimError {
        let at = self.pos;
        SkimError::Json(match found {
            Some(b) if b.is_ascii_graphic() => {
                format!("found `{}` at byte {at}, expected {wanted}", b as char)
            }
            Some(b) => format!("found byte 0x{b:02x} at byte {at}, expected {wanted}"),
            None => format!("it ends at byte {at}, where {wanted} was expected"),
        })
    }

    fn expect(&mut self, wanted: u8) -> Result<(), SkimError> {
        match self.ws()? {
            Some(b) if b == wanted => {
                self.pos += 1;
                Ok(())
            }
            other => Err(self.unexpected(other, &format!("`{}`", wanted as char))),
        }
    }

    /// A string whose opening quote is next: the span between its quotes. Every byte of it
    /// goes through `each` (raw, escapes included).
    fn string(&mut self, mut each: impl FnMut(u8)) -> Result<(u64, u64), SkimError> {
        self.expect(b'"')?;
        let start = self.pos;
        loop {
            match self.bump()? {
                None => return Err(self.unexpected(None, "the end of a string")),
                Some(b'"') => return Ok((start, self.pos - 1)),
                Some(b'\\') => {
                    each(b'\\');
                    match self.bump()? {
                        Some(b) => each(b),
                        None => return Err(self.unexpected(None, "an escape")),
                    }
                }
                Some(b) if b < 0x20 => {
                    self.pos -= 1;
                    return Err(self.unexpected(Some(b), "no control character in a string"));
                }
                Some(b) => each(b),
            }
        }
    }

    /// The payload's string, counted a buffer at a time (it is most of the bundle).
    fn base64_string(&mut self, count: &mut Base64Count) -> Result<(u64, u64), SkimError> {
        self.expect(b'"')?;
        let start = self.pos;
        loop {
            if self.peek()?.is_none() {
                return Err(self.unexpected(None, "the end of a string"));
            }
            let rel = usize::try_from(self.pos - self.buf_at).unwrap_or(0);
            let chunk = &self.buf[rel..];
            let stop = chunk
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(chunk.len());
            count.push_all(&chunk[..stop]);
            self.pos += stop as u64;
            if stop == chunk.len() {
                continue;
            }
            match chunk[stop] {
                b'"' => {
                    self.pos += 1;
                    return Ok((start, self.pos - 1));
                }
                b'\\' => {
                    self.pos += 1;
                    count.push(b'\\');
                    match self.bump()? {
                        Some(b) => count.push(b),
                        None => return Err(self.unexpected(None, "an escape")),
                    }
                }
                b => return Err(self.unexpected(Some(b), "no control character in a string")),
            }
        }
    }

    /// Skips one value of any kind; returns its span.
    fn value(&mut self) -> Result<(u64, u64), SkimError> {
        let first = self.ws()?;
        let start = self.pos;
        match first {
            Some(b'"') => {
                self.string(|_| {})?;
            }
            Some(b'{' | b'[') => {
                let mut open: Vec<u8> = Vec::new();
                loop {
                    match self.ws()? {
                        Some(b'"') => {
                            self.string(|_| {})?;
                        }
                        Some(b @ (b'{' | b'[')) => {
                            if open.len() >= MAX_DEPTH {
                                return Err(SkimError::Malformed(format!(
                                    "nested more than {MAX_DEPTH} levels deep at byte {}",
                                    self.pos
                                )));
                            }
                            open.push(if b == b'{' { b'}' } else { b']' });
                            self.pos += 1;
                        }
                        Some(b @ (b'}' | b']')) => {
                            if open.pop() != Some(b) {
                                return Err(self.unexpected(Some(b), "a matching bracket"));
                            }
                            self.pos += 1;
                            if open.is_empty() {
                                break;
                            }
                        }
                        Some(b',' | b':') => self.pos += 1,
                        Some(b)
                            if b == b'-' || b.is_ascii_alphanumeric() || b == b'.' || b == b'+' =>
                        {
                            self.pos += 1;
                        }
                        other => return Err(self.unexpected(other, "a JSON value")),
                    }
                }
            }
            Some(b) if b == b'-' || b.is_ascii_alphanumeric() => {
                while let Some(b) = self.peek()? {
                    if b == b'-' || b == b'+' || b == b'.' || b.is_ascii_alphanumeric() {
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
            }
            other => return Err(self.unexpected(other, "a JSON value")),
        }
        Ok((start, self.pos))
    }

    /// An object's keys, each handed to `field` with the cursor on its value (which `field`
    /// must consume).
    fn object(
        &mut self,
        mut field: impl FnMut(&mut Self, &str) -> Result<(), SkimError>,
    ) -> Result<(), SkimError> {
        self.expect(b'{')?;
        if self.ws()? == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        let mut seen: Vec<String> = Vec::new();
        loop {
            let mut raw = Vec::new();
            let (start, _) = self.string(|b| {
                if raw.len() < 256 {
                    raw.push(b);
                }
            })?;
            let key = serde_json::from_slice::<String>(&[b"\"".as_slice(), &raw, b"\""].concat())
                .unwrap_or_else(|_| String::from_utf8_lossy(&raw).into_owned());
            if seen.contains(&key) {
                return Err(SkimError::Malformed(format!(
                    "the key `{key}` appears twice (at byte {start}); readers may disagree on which counts"
                )));
            }
            self.expect(b':')?;
            field(self, &key)?;
            seen.push(key);
            match self.ws()? {
                Some(b',') => {
                    self.pos += 1;
                    self.ws()?;
                }
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(());
                }
                other => return Err(self.unexpected(other, "`,` or `}`")),
            }
        }
    }
}

/// The payload's base64 text as JSON carries it: counted and checked on the first pass,
/// decoded on the second.
#[derive(Debug, Default, Clone, Copy)]
struct Unescape {
    /// Inside an escape: 0 none, 1 after `\`, 2..=5 reading `\uXXXX` digits.
    state: u8,
    code: u32,
}

impl Unescape {
    /// Feeds one raw byte; returns the text character it completes, if any.
    fn push(&mut self, b: u8) -> Result<Option<u8>, String> {
        match self.state {
            0 if b == b'\\' => {
                self.state = 1;
                Ok(None)
            }
            0 => Ok(Some(b)),
            1 => match b {
                b'/' | b'\\' | b'"' => {
                    self.state = 0;
                    Ok(Some(b))
                }
                b'u' => {
                    self.state = 2;
                    self.code = 0;
                    Ok(None)
                }
                b'n' | b'r' | b't' | b'b' | b'f' => {
                    self.state = 0;
                    Ok(Some(b'\n'))
                }
                _ => Err(format!("invalid escape `\\{}`", b as char)),
            },
            _ => {
                let digit = (b as char)
                    .to_digit(16)
                    .ok_or_else(|| "invalid `\\u` escape".to_owned())?;
                self.code = self.code * 16 + digit;
                self.state += 1;
                if self.state < 6 {
                    return Ok(None);
                }
                self.state = 0;
                // Only ASCII can be base64; anything else fails as a character below.
                Ok(Some(u8::try_from(self.code).unwrap_or(0xff)))
            }
        }
    }
}

/// The value of a base64 character in either DSSE alphabet, and whether it is URL-safe.
fn sextet(c: u8) -> Option<(u8, Option<bool>)> {
    Some(match c {
        b'A'..=b'Z' => (c - b'A', None),
        b'a'..=b'z' => (c - b'a' + 26, None),
        b'0'..=b'9' => (c - b'0' + 52, None),
        b'+' => (62, Some(false)),
        b'/' => (63, Some(false)),
        b'-' => (62, Some(true)),
        b'_' => (63, Some(true)),
        _ => return None,
    })
}

/// Counts and checks the payload's text: its alphabet (one of the two), padding only at the
/// end, and a length that decodes.
#[derive(Default)]
struct Base64Count {
    unescape: Unescape,
    chars: u64,
    padding: u64,
    url_safe: Option<bool>,
    error: Option<String>,
}

impl Base64Count {
    fn push(&mut self, b: u8) {
        if self.error.is_some() {
            return;
        }
        let c = match self.unescape.push(b) {
            Ok(Some(c)) => c,
            Ok(None) => return,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        if c == b'=' {
            self.padding += 1;
            return;
        }
        match sextet(c) {
            Some(_) if self.padding > 0 => {
                self.error = Some("padding in the middle".into());
            }
            Some((_, Some(url))) if self.url_safe.is_some_and(|u| u != url) => {
                self.error = Some("both the standard and the URL-safe alphabet".into());
            }
            Some((_, url)) => {
                self.url_safe = self.url_safe.or(url);
                self.chars += 1;
            }
            None => {
                self.error = Some(format!(
                    "invalid character {:?} at position {}",
                    c as char,
                    self.chars + self.padding
                ));
            }
        }
    }

    /// Feeds a run of bytes holding no escape and no quote.
    fn push_all(&mut self, bytes: &[u8]) {
        if self.error.is_some() || self.unescape.state != 0 || self.padding > 0 {
            for &b in bytes {
                self.push(b);
            }
            return;
        }
        let mut std = false;
        let mut url = false;
        for (i, &b) in bytes.iter().enumerate() {
            match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => {}
                b'+' | b'/' => std = true,
                b'-' | b'_' => url = true,
                _ => {
                    // The rare case (padding, an invalid byte): byte by byte from here.
                    self.settle(&bytes[..i], std, url);
                    for &b in &bytes[i..] {
                        self.push(b);
                    }
                    return;
                }
            }
        }
        self.settle(bytes, std, url);
    }

    /// Counts `run` (base64 characters only), checking it keeps to one alphabet.
    fn settle(&mut self, run: &[u8], std: bool, url: bool) {
        let clash = match self.url_safe {
            Some(true) => std,
            Some(false) => url,
            None => std && url,
        };
        if clash {
            self.error = Some("both the standard and the URL-safe alphabet".into());
            return;
        }
        if std || url {
            self.url_safe = Some(url);
        }
        self.chars += run.len() as u64;
    }

    fn finish(self, start: u64, end: u64) -> Result<PayloadText, Base64Error> {
        let fail = |reason: String| Base64Error {
            field: PAYLOAD_FIELD,
            reason,
        };
        if let Some(e) = self.error {
            return Err(fail(e));
        }
        if self.unescape.state != 0 {
            return Err(fail("an unfinished escape".into()));
        }
        let rest = self.chars % 4;
        if rest == 1
            || self.padding > 2
            || (self.padding > 0 && !(self.chars + self.padding).is_multiple_of(4))
        {
            return Err(fail("invalid length".into()));
        }
        Ok(PayloadText {
            start,
            end,
            len: self.chars / 4 * 3 + [0, 0, 1, 2][usize::try_from(rest).unwrap_or(0)],
            url_safe: self.url_safe.unwrap_or(false),
        })
    }
}

/// One pass over the bundle: the span of each field the verifier reads, the payload counted,
/// everything else skipped without being kept.
fn skim<S: Source>(source: &S) -> Result<Fields, SkimError> {
    let mut c = Cursor::new(source);
    let mut fields = Fields {
        media_type: None,
        verification_material: None,
        message_signature: false,
        envelope: None,
        envelope_is_object: false,
        payload_type: None,
        signatures: None,
        payload: Err(Base64Error {
            field: PAYLOAD_FIELD,
            reason: "no payload".into(),
        }),
        has_payload: false,
    };
    if c.ws()? != Some(b'{') {
        let found = c.peek()?;
        return Err(c.unexpected(found, "a JSON object"));
    }
    c.object(|c, key| {
        match key {
            "mediaType" => fields.media_type = Some(c.value()?),
            "verificationMaterial" => fields.verification_material = Some(c.value()?),
            "messageSignature" => {
                c.value()?;
                fields.message_signature = true;
            }
            "dsseEnvelope" if c.ws()? == Some(b'{') => {
                let start = c.pos;
                fields.envelope_is_object = true;
                c.object(|c, key| {
                    match key {
                        "payloadType" => fields.payload_type = Some(c.value()?),
                        "signatures" => fields.signatures = Some(c.value()?),
                        "payload" if c.ws()? == Some(b'"') => {
                            let mut count = Base64Count::default();
                            let (start, end) = c.base64_string(&mut count)?;
                            fields.payload = count.finish(start, end);
                            fields.has_payload = true;
                        }
                        "payload" => {
                            c.value()?;
                            fields.has_payload = true;
                            fields.payload = Err(Base64Error {
                                field: PAYLOAD_FIELD,
                                reason: "not a string".into(),
                            });
                        }
                        _ => {
                            c.value()?;
                        }
                    }
                    Ok(())
                })?;
                fields.envelope = Some((start, c.pos));
            }
            "dsseEnvelope" => fields.envelope = Some(c.value()?),
            _ => {
                c.value()?;
            }
        }
        Ok(())
    })?;
    match c.ws()? {
        None => Ok(fields),
        other => Err(c.unexpected(other, "the end of the bundle")),
    }
}

/// Reads a field's span (small: the fields besides the payload share one cap) as JSON.
fn field_value<S: Source>(
    source: &S,
    span: (u64, u64),
    name: &str,
    budget: &mut u64,
) -> Result<Value, ParseError> {
    let len = span.1 - span.0;
    if len > *budget {
        return Err(ParseError::Malformed(format!(
            "`{name}` is {len} bytes; a bundle's fields besides its payload hold at most {} bytes",
            crate::input::MAX_BUNDLE_ENVELOPE
        )));
    }
    *budget -= len;
    let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
    let mut filled = 0;
    while filled < buf.len() {
        let n = source
            .read_at(&mut buf[filled..], span.0 + filled as u64)
            .map_err(ParseError::Io)?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    serde_json::from_slice(&buf[..filled])
        .map_err(|e| ParseError::Json(format!("`{name}`: {}", e.to_string().trim_end_matches('.'))))
}

enum ParseError {
    Json(String),
    Malformed(String),
    MediaType(String),
    Io(std::io::Error),
}

/// Checks the fields found, in the order the messages should come: media type, envelope, key
/// material.
fn check_fields<S: Source>(
    source: &S,
    fields: &Fields,
) -> Result<(KeyMaterial, String, Vec<Signature>), ParseError> {
    let mut budget = crate::input::MAX_BUNDLE_ENVELOPE;
    let media_type = match fields.media_type {
        Some(span) => match field_value(source, span, "mediaType", &mut budget)? {
            Value::String(s) => s,
            other => return Err(ParseError::MediaType(other.to_string())),
        },
        None => return Err(ParseError::Malformed("no `mediaType`".into())),
    };
    if media_type != BUNDLE_MEDIA_TYPE && media_type != BUNDLE_MEDIA_TYPE_ALIAS {
        return Err(ParseError::MediaType(media_type));
    }
    if fields.message_signature && fields.envelope.is_none() {
        return Err(ParseError::Malformed(
            "a message signature, not a DSSE envelope".into(),
        ));
    }
    if fields.envelope.is_none() {
        return Err(ParseError::Malformed("no `dsseEnvelope`".into()));
    }
    let envelope_problem = |what: &str| ParseError::Malformed(format!("`dsseEnvelope`: {what}"));
    if !fields.envelope_is_object {
        return Err(envelope_problem("not an object"));
    }
    if !fields.has_payload {
        return Err(envelope_problem("missing field `payload`"));
    }
    let payload_type = match fields.payload_type {
        Some(span) => match field_value(source, span, "dsseEnvelope.payloadType", &mut budget)? {
            Value::String(s) => s,
            other => {
                return Err(envelope_problem(&format!(
                    "`payloadType` is {other}, not a string"
                )));
            }
        },
        None => return Err(envelope_problem("missing field `payloadType`")),
    };
    let signatures: Vec<Signature> = match fields.signatures {
        Some(span) => {
            let value = field_value(source, span, "dsseEnvelope.signatures", &mut budget)?;
            serde_json::from_value(value)
                .map_err(|e| envelope_problem(&format!("`signatures`: {e}")))?
        }
        None => return Err(envelope_problem("missing field `signatures`")),
    };
    let material = match fields.verification_material {
        Some(span) => field_value(source, span, "verificationMaterial", &mut budget)?,
        None => return Err(ParseError::Malformed("no `verificationMaterial`".into())),
    };
    Ok((key_material(&material)?, payload_type, signatures))
}

fn key_material(material: &Value) -> Result<KeyMaterial, ParseError> {
    let Value::Object(map) = material else {
        return Err(ParseError::Malformed(
            "`verificationMaterial` is not an object".into(),
        ));
    };
    if let Some(chain) = map.get("x509CertificateChain") {
        let certs = chain
            .get("certificates")
            .and_then(Value::as_array)
            .ok_or_else(|| {
                ParseError::Malformed("`x509CertificateChain.certificates` is not a list".into())
            })?;
        if certs.is_empty() || certs.len() > MAX_CHAIN {
            return Err(ParseError::Malformed(format!(
                "`x509CertificateChain` holds {} certificates; expected 1 to {MAX_CHAIN}",
                certs.len()
            )));
        }
        let ders = certs
            .iter()
            .enumerate()
            .map(|(i, c)| raw_bytes(c, &format!("x509CertificateChain.certificates[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(KeyMaterial::Chain(ders));
    }
    if let Some(cert) = map.get("certificate") {
        return Ok(KeyMaterial::Certificate(raw_bytes(cert, "certificate")?));
    }
    match map.get("publicKey") {
        None | Some(Value::Null) => Ok(KeyMaterial::None),
        Some(Value::Object(key)) => match (key.get("hint"), key.get("rawBytes")) {
            (Some(Value::String(hint)), _) if !hint.is_empty() => {
                Ok(KeyMaterial::Hint(hint.clone()))
            }
            (_, Some(Value::String(_))) => Ok(KeyMaterial::LegacyRawBytes),
            (None | Some(Value::Null | Value::String(_)), _) => Ok(KeyMaterial::None),
            (Some(other), _) => Err(ParseError::Malformed(format!(
                "`publicKey.hint` is {other}, not a string"
            ))),
        },
        Some(_) => Err(ParseError::Malformed(
            "`verificationMaterial.publicKey` is not an object".into(),
        )),
    }
}

/// The DER bytes of a `{"rawBytes": BASE64}` certificate object.
fn raw_bytes(value: &Value, at: &str) -> Result<Vec<u8>, ParseError> {
    use base64::Engine as _;
    let text = value
        .get("rawBytes")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ParseError::Malformed(format!("`{at}.rawBytes` is missing or not a string"))
        })?;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .map_err(|e| ParseError::Malformed(format!("`{at}.rawBytes` is not base64: {e}")))
}

/// The payload, decoded from the bundle's text as it is read.
#[derive(Debug)]
pub struct PayloadReader<'a, S> {
    source: &'a S,
    text: PayloadText,
    /// Next raw byte to read.
    at: u64,
    raw: Vec<u8>,
    unescape: Unescape,
    /// Base64 text not decoded yet (less than a group, between chunks).
    pending: Vec<u8>,
    engine: base64::engine::GeneralPurpose,
    out: Vec<u8>,
    out_pos: usize,
    produced: u64,
}

impl<S: Source> PayloadReader<'_, S> {
    /// Decodes the next raw chunk into `out`; false at the end of the text.
    fn refill(&mut self) -> std::io::Result<bool> {
        use base64::Engine as _;
        let invalid = |what: String| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
        loop {
            let at_end = self.at >= self.text.end;
            if !at_end {
                let want =
                    usize::try_from((self.text.end - self.at).min(1 << 16)).unwrap_or(1 << 16);
                self.raw.resize(want, 0);
                let n = self.source.read_at(&mut self.raw, self.at)?;
                if n == 0 {
                    return Err(invalid("the bundle ended inside its payload".into()));
                }
                self.raw.truncate(n);
                self.at += n as u64;
                // JSON escapes (`\/`) are rare in base64: a chunk without one is taken as is.
                if self.unescape.state == 0 && memchr::memchr(b'\\', &self.raw).is_none() {
                    self.pending.extend_from_slice(&self.raw);
                } else {
                    for &b in &self.raw {
                        if let Some(c) = self.unescape.push(b).map_err(invalid)? {
                            self.pending.push(c);
                        }
                    }
                }
            } else if self.pending.is_empty() {
                return Ok(false);
            }
            let whole = if self.at >= self.text.end {
                self.pending.len()
            } else {
                self.pending.len() / 4 * 4
            };
            self.out.clear();
            self.out_pos = 0;
            self.engine
                .decode_vec(&self.pending[..whole], &mut self.out)
                .map_err(|e| invalid(format!("invalid base64: {e}")))?;
            self.pending.drain(..whole);
            self.produced += self.out.len() as u64;
            if !self.out.is_empty() || self.at >= self.text.end {
                return Ok(!self.out.is_empty());
            }
        }
    }
}

impl<S: Source> std::io::Read for PayloadReader<'_, S> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.out_pos >= self.out.len() {
            if !self.refill()? {
                if self.produced != self.text.len {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "the payload changed while it was read",
                    ));
                }
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.out_pos);
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<ReadBundle<&[u8]>, BundleError> {
        super::parse(Path::new("b"), json.as_bytes())
    }

    const ENVELOPE: &str = r#""dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AA=="}]}"#;

    #[test]
    fn a_chain_bundle_is_written_as_the_reference_writes_it_and_reads_back() {
        let envelope = Envelope {
            payload: "e30=".into(),
            payload_type: "application/vnd.in-toto+json".into(),
            signatures: vec![Signature {
                sig: "AA==".into(),
                keyid: Some(String::new()),
            }],
        };
        let bundle = Bundle::with_chain(&[vec![1, 2], vec![3]], envelope);
        let json: Value = serde_json::from_slice(&bundle.to_json_bytes()).unwrap();
        assert_eq!(
            json["verificationMaterial"],
            serde_json::json!({
                "x509CertificateChain": {"certificates": [{"rawBytes": "AQI="}, {"rawBytes": "Aw=="}]},
                "tlogEntries": [],
            })
        );
        let text = String::from_utf8(bundle.to_json_bytes()).unwrap();
        assert_eq!(
            parse(&text).ok().unwrap().key,
            KeyMaterial::Chain(vec![vec![1, 2], vec![3]])
        );
        // The key method's bundle is unchanged: a hint, no chain.
        let keyed = Bundle::new("ab".into(), bundle.dsse_envelope.clone());
        let json: Value = serde_json::from_slice(&keyed.to_json_bytes()).unwrap();
        assert_eq!(
            json["verificationMaterial"],
            serde_json::json!({"publicKey": {"hint": "ab"}, "tlogEntries": []})
        );
    }

    #[test]
    fn reads_the_forms_real_bundles_take() {
        let hint = format!(
            r#"{{"mediaType":"{BUNDLE_MEDIA_TYPE}","verificationMaterial":{{"publicKey":{{"hint":"ab"}},"tlogEntries":[]}},{ENVELOPE}}}"#
        );
        let read = parse(&hint).ok().unwrap();
        assert_eq!(read.key, KeyMaterial::Hint("ab".into()));
        assert_eq!(read.payload_bytes().unwrap(), b"{}");
        assert_eq!(read.payload_len().unwrap(), 2);
        let legacy = format!(
            r#"{{"mediaType":"{BUNDLE_MEDIA_TYPE}","verificationMaterial":{{"publicKey":{{"rawBytes":"LS0t","keyDetails":"PKIX_ECDSA_P384_SHA_384"}}}},{ENVELOPE}}}"#
        );
        assert_eq!(
            parse(&legacy).ok().unwrap().key,
            KeyMaterial::LegacyRawBytes
        );
        let bare = format!(
            r#"{{"mediaType":"{BUNDLE_MEDIA_TYPE}","verificationMaterial":{{}},{ENVELOPE}}}"#
        );
        assert_eq!(parse(&bare).ok().unwrap().key, KeyMaterial::None);
    }

    #[test]
    fn rejects_other_media_types_and_reads_certificates() {
        let wrong =
            format!(r#"{{"mediaType":"application/json","verificationMaterial":{{}},{ENVELOPE}}}"#);
        assert!(
            matches!(parse(&wrong), Err(BundleError::MediaType { found, .. }) if found == "application/json")
        );
        let cert = format!(
            r#"{{"mediaType":"{BUNDLE_MEDIA_TYPE}","verificationMaterial":{{"certificate":{{"rawBytes":"AA=="}}}},{ENVELOPE}}}"#
        );
        assert_eq!(
            parse(&cert).ok().unwrap().key,
            KeyMaterial::Certificate(vec![0])
        );
        let chain = format!(
            r#"{{"mediaType":"{BUNDLE_MEDIA_TYPE}","verificationMaterial":{{"x509CertificateChain":{{"certificates":[{{"rawBytes":"AQ=="}},{{"rawBytes":"Ag=="}}]}}}},{ENVELOPE}}}"#
        );
        assert_eq!(
            parse(&chain).ok().unwrap().key,
            KeyMaterial::Chain(vec![vec![1], vec![2]])
        );
        let empty = format!(
            r#"{{"mediaType":"{BUNDLE_MEDIA_TYPE}","verificationMaterial":{{"x509CertificateChain":{{"certificates":[]}}}},{ENVELOPE}}}"#
        );
        assert!(matches!(parse(&empty), Err(BundleError::Malformed { .. })));
        assert!(matches!(parse("[1,2"), Err(BundleError::NotJson { .. })));
        let no_envelope =
            format!(r#"{{"mediaType":"{BUNDLE_MEDIA_TYPE}","verificationMaterial":{{}}}}"#);
        assert!(matches!(
            parse(&no_envelope),
            Err(BundleError::Malformed { .. })
        ));
    }

    #[test]
    fn decodes_every_form_of_base64_as_the_base64_crate_does() {
        let long = vec![7u8; 200_000];
        let payloads: [&[u8]; 6] = [b"", b"a", b"ab", b"abc", b"\xfb\xff\xbf\x01", &long];
        for payload in payloads {
            for engine in [
                base64::engine::general_purpose::STANDARD,
                base64::engine::general_purpose::STANDARD_NO_PAD,
                base64::engine::general_purpose::URL_SAFE,
                base64::engine::general_purpose::URL_SAFE_NO_PAD,
            ] {
                use base64::Engine as _;
                let text = engine.encode(payload);
                let json = format!(
                    r#"{{"mediaType":"{BUNDLE_MEDIA_TYPE}","verificationMaterial":{{}},"dsseEnvelope":{{"payload":"{text}","payloadType":"t","signatures":[]}}}}"#
                );
                let read = parse(&json).ok().unwrap();
                assert_eq!(read.payload_len().unwrap(), payload.len() as u64);
                assert_eq!(read.payload_bytes().unwrap(), payload);
            }
        }
        // `\/` is how some JSON writers escape the slash.
        let json = format!(
            r#"{{"mediaType":"{BUNDLE_MEDIA_TYPE}","verificationMaterial":{{}},"dsseEnvelope":{{"payload":"+\/+\/AQ==","payloadType":"t","signatures":[]}}}}"#
        );
        assert_eq!(
            parse(&json).ok().unwrap().payload_bytes().unwrap(),
            [0xfb, 0xff, 0xbf, 0x01]
        );
        for bad in ["!!not*base64@@", "+-AA", "A", "AA=A", "AAA==="] {
            let json = format!(
                r#"{{"mediaType":"{BUNDLE_MEDIA_TYPE}","verificationMaterial":{{}},"dsseEnvelope":{{"payload":"{bad}","payloadType":"t","signatures":[]}}}}"#
            );
            assert!(parse(&json).ok().unwrap().payload_len().is_err(), "{bad}");
        }
    }

    #[test]
    fn duplicate_keys_and_trailing_bytes_are_refused() {
        let twice = format!(
            r#"{{"mediaType":"{BUNDLE_MEDIA_TYPE}","verificationMaterial":{{}},"dsseEnvelope":{{"payload":"e30=","payload":"e30=","payloadType":"t","signatures":[]}}}}"#
        );
        assert!(
            matches!(parse(&twice), Err(BundleError::Malformed { reason, .. }) if reason.contains("`payload` appears twice"))
        );
        let trailing = format!(
            r#"{{"mediaType":"{BUNDLE_MEDIA_TYPE}","verificationMaterial":{{}},{ENVELOPE}}} x"#
        );
        assert!(matches!(parse(&trailing), Err(BundleError::NotJson { .. })));
    }

    #[test]
    fn fields_besides_the_payload_share_a_small_cap() {
        let sig = r#"{"sig":"AAAA"},"#.repeat(100_000);
        let json = format!(
            r#"{{"mediaType":"{BUNDLE_MEDIA_TYPE}","verificationMaterial":{{}},"dsseEnvelope":{{"payload":"e30=","payloadType":"t","signatures":[{sig}{{"sig":"AA=="}}]}}}}"#
        );
        assert!(
            matches!(parse(&json), Err(BundleError::Malformed { reason, .. }) if reason.contains("`dsseEnvelope.signatures` is"))
        );
    }
}
