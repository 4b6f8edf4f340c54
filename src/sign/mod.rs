//! Signing: keys, DSSE envelopes, Sigstore bundles, and the two statements scelle signs (its own
//! manifest, and the OpenSSF Model Signing statement for `--format oms`).
//!
//! The signature always covers the exact payload bytes that travel in the bundle; nothing is
//! re-serialised between signing and verifying.

pub mod bundle;
pub mod dsse;
pub mod findings;
pub mod keyless;
pub mod keys;
pub mod oms;
pub mod trust;
pub mod x509;

use std::path::{Path, PathBuf};

pub use bundle::{BUNDLE_MEDIA_TYPE, Bundle, BundleError, KeyMaterial, ReadBundle, read_bundle};
pub use dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE, pae};

pub use keys::{
    Algorithm, KeyError, KeySource, LoadedKey, Passphrase, PrivateKey, PublicKey, load_private_key,
    load_public_key, load_public_keys,
};
use std::io::Write as _;
pub use trust::{Signer, Trust};

/// Which statement a bundle carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum BundleFormat {
    /// scelle's manifest (`https://scelle.dev/provenance/v1`), one subject per file
    Scelle,
    /// OpenSSF Model Signing v1.0 (`https://model_signing/signature/v1.0`), verifiable by `model_signing`
    Oms,
    /// Any other Sigstore bundle over one file (a message signature, another in-toto
    /// statement): verified, never written
    #[value(skip)]
    Sigstore,
}

impl BundleFormat {
    /// The format's name on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            BundleFormat::Scelle => "scelle",
            BundleFormat::Oms => "oms",
            BundleFormat::Sigstore => "sigstore",
        }
    }

    /// The bundle's default file name inside the release folder.
    pub fn default_file_name(self) -> &'static str {
        match self {
            BundleFormat::Scelle | BundleFormat::Sigstore => "scelle.sigstore.json",
            BundleFormat::Oms => "model.sig",
        }
    }

    /// Where a bundle of this format goes by default: inside a release folder, or beside a
    /// single-file release with the format's suffix (`model.gguf.sigstore.json`, as
    /// sigstore-python names the bundle of a file; `model.gguf.sig`), so that several files of
    /// one folder can each carry their own.
    pub fn default_path(self, release: &Path, single_file: bool) -> PathBuf {
        if !single_file {
            return release.join(self.default_file_name());
        }
        let mut name = release.as_os_str().to_owned();
        name.push(match self {
            // sigstore-python names a file's bundle the same way.
            BundleFormat::Scelle | BundleFormat::Sigstore => ".sigstore.json",
            BundleFormat::Oms => ".sig",
        });
        PathBuf::from(name)
    }
}

/// The name of a release: the hub repository id (`org/name`) for a Hugging Face cache snapshot;
/// else the folder's or file's own name, or the model card's title when the folder is named by a
/// commit hash (a copied snapshot).
pub fn release_name(path: &Path, hub: Option<&crate::hub::HubSnapshot>) -> String {
    if let Some(hub) = hub {
        return hub.repo.clone();
    }
    let own = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .filter(|n| *n != "." && *n != "..")
            .map(str::to_owned)
    };
    let name = own(path).or_else(|| fs_err::canonicalize(path).ok().and_then(|p| own(&p)));
    let hashlike = |n: &str| {
        matches!(n.len(), 40 | 64)
            && n.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    match name {
        Some(n) if !hashlike(&n) => n,
        other => crate::hub::card_title(path)
            .or(other)
            .unwrap_or_else(|| "model".into()),
    }
}

/// Signs `payload` (an in-toto statement) with `key` into a bundle whose hint and keyid are the
/// key's id.
pub fn sign_statement(payload: &[u8], key: &PrivateKey) -> Bundle {
    let key_id = key.public_key().key_id();
    let envelope = Envelope::sign(IN_TOTO_PAYLOAD_TYPE, payload, key, Some(key_id.clone()));
    Bundle::new(key_id, envelope)
}

struct Counter(u64);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Hands what is written to a sink, hashing it on the way.
struct Tap<'a> {
    sink: &'a mut dyn FnMut(&[u8]),
    hash: sha2::Sha256,
    len: u64,
}

impl std::io::Write for Tap<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        sha2::Digest::update(&mut self.hash, buf);
        (self.sink)(buf);
        self.len += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A signature made for a bundle, ready to be written around its payload.
#[derive(Debug, Clone)]
pub struct Sealed {
    hint: String,
    payload_type: String,
    sig: String,
    /// SHA-256 and length of the payload that was signed, to check the one written.
    payload: ([u8; 32], u64),
    /// The certificate method: the chain written instead of the key hint (leaf first).
    chain: Option<Vec<Vec<u8>>>,
}

/// Signs the in-toto statement that `write` writes, with `key`, without ever holding it: it is
/// written once to be counted (statements over `limit` bytes are refused, so whatever is signed
/// can be read back), then streamed through the signature (twice for Ed25519, each reading
/// checked equal). The hint and keyid are the key's id.
pub fn seal(
    key: &PrivateKey,
    limit: u64,
    write: &dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<Sealed, SignError> {
    let mut counter = Counter(0);
    {
        let mut buffered = std::io::BufWriter::with_capacity(1 << 16, &mut counter);
        write(&mut buffered)
            .and_then(|()| buffered.flush())
            .map_err(SignError::Payload)?;
    }
    if counter.0 > limit {
        return Err(SignError::TooLarge {
            size: counter.0,
            limit,
        });
    }
    let prefix = dsse::pae_prefix(IN_TOTO_PAYLOAD_TYPE, counter.0);
    let failed = std::cell::RefCell::new(None);
    let seen = std::cell::Cell::new(([0u8; 32], 0u64));
    let sig = key.sign_streaming(&|sink| {
        sink(&prefix);
        let mut tap = Tap {
            sink,
            hash: sha2::Digest::new(),
            len: 0,
        };
        // Serialisation writes a few bytes at a time; the hashes want large pieces.
        let mut buffered = std::io::BufWriter::with_capacity(1 << 16, &mut tap);
        if let Err(e) = write(&mut buffered).and_then(|()| buffered.flush()) {
            *failed.borrow_mut() = Some(e);
        }
        drop(buffered);
        seen.set((sha2::Digest::finalize(tap.hash).into(), tap.len));
    });
    if let Some(e) = failed.into_inner() {
        return Err(SignError::Payload(e));
    }
    let (digest, len) = seen.get();
    let sig = sig.filter(|_| len == counter.0).ok_or_else(|| {
        SignError::Payload(std::io::Error::other(
            "the statement changed while it was signed",
        ))
    })?;
    Ok(Sealed {
        hint: key.public_key().key_id(),
        payload_type: IN_TOTO_PAYLOAD_TYPE.to_owned(),
        sig: dsse::encode_base64(&sig),
        payload: (digest, len),
        chain: None,
    })
}

impl Sealed {
    /// Names the signer by this certificate chain (leaf first, no root) instead of the key id,
    /// as `model_signing sign certificate` does; the signature's `keyid` is then empty, as
    /// there.
    #[must_use]
    pub fn with_chain(mut self, chain: Vec<Vec<u8>>) -> Self {
        self.chain = Some(chain);
        self
    }

    /// Writes the bundle around the payload `write` writes, base64-encoding it as it goes: the
    /// same bytes as [`Bundle::to_json_bytes`], without the payload or its text ever held
    /// whole. A payload other than the one signed fails the write (nothing is left behind).
    pub fn write_bundle(
        &self,
        out: &mut dyn std::io::Write,
        write: &dyn Fn(&mut dyn std::io::Write) -> std::io::Result<()>,
    ) -> std::io::Result<()> {
        // Not base64, so it cannot be mistaken for the hint or the signature.
        const SLOT: &str = "@payload@";
        let envelope = |keyid: String| Envelope {
            payload: SLOT.to_owned(),
            payload_type: self.payload_type.clone(),
            signatures: vec![dsse::Signature {
                sig: self.sig.clone(),
                keyid: Some(keyid),
            }],
        };
        let frame = match &self.chain {
            None => Bundle::new(self.hint.clone(), envelope(self.hint.clone())),
            Some(chain) => Bundle::with_chain(chain, envelope(String::new())),
        }
        .to_json_bytes();
        let at = frame
            .windows(SLOT.len())
            .position(|w| w == SLOT.as_bytes())
            .ok_or_else(|| std::io::Error::other("the bundle frame has no payload slot"))?;
        out.write_all(&frame[..at])?;
        let (digest, len) = {
            let mut encoder = base64::write::EncoderWriter::new(
                &mut *out,
                &base64::engine::general_purpose::STANDARD,
            );
            let mut failed: Option<std::io::Error> = None;
            let mut sink = |b: &[u8]| {
                if failed.is_none()
                    && let Err(e) = encoder.write_all(b)
                {
                    failed = Some(e);
                }
            };
            let mut tap = Tap {
                sink: &mut sink,
                hash: sha2::Digest::new(),
                len: 0,
            };
            {
                let mut buffered = std::io::BufWriter::with_capacity(1 << 16, &mut tap);
                write(&mut buffered)?;
                buffered.flush()?;
            }
            let seen: [u8; 32] = sha2::Digest::finalize(tap.hash).into();
            let len = tap.len;
            if let Some(e) = failed {
                return Err(e);
            }
            encoder.finish()?;
            (seen, len)
        };
        if (digest, len) != self.payload {
            return Err(std::io::Error::other(
                "the statement written differs from the one signed",
            ));
        }
        out.write_all(&frame[at + SLOT.len()..])
    }
}

/// Why a release could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("an OMS bundle needs an ECDSA key (P-256, P-384 or P-521); `{}` is an Ed25519 key", .0.display())]
    OmsNeedsEcdsa(std::path::PathBuf),
    #[error(
        "the statement to sign is {size} bytes, larger than the {limit} bytes `verify` and `check` read"
    )]
    TooLarge { size: u64, limit: u64 },
    #[error("the statement to sign cannot be written")]
    Payload(#[source] std::io::Error),
    #[error("a certificate signs with an ECDSA key (P-256, P-384 or P-521); `{}` is an Ed25519 key", .0.display())]
    CertificateNeedsEcdsa(std::path::PathBuf),
    #[error("`{}` holds {count} certificates; `--cert` takes the signing certificate alone", .path.display())]
    NotOneCertificate {
        path: std::path::PathBuf,
        count: usize,
    },
    #[error("the key `{}` is not the key of the certificate `{}` ({subject})", .key.display(), .cert.display())]
    CertificateKeyMismatch {
        key: std::path::PathBuf,
        cert: std::path::PathBuf,
        subject: String,
    },
    #[error("refusing to sign with `{}`: {reason}", .cert.display())]
    Certificate {
        cert: std::path::PathBuf,
        reason: String,
    },
}

impl SignError {
    pub fn hint(&self) -> Option<String> {
        match self {
            SignError::OmsNeedsEcdsa(_) => Some(
                "the reference `model_signing` verifier accepts only ECDSA keys: make one with `scelle keygen -a p256 -o NAME`"
                    .into(),
            ),
            SignError::TooLarge { .. } => {
                Some("split the release, or leave large folders of small files out with `--ignore PATH`".into())
            }
            SignError::Payload(_) => None,
            SignError::CertificateNeedsEcdsa(_) => Some(
                "the OMS certificate method accepts ECDSA keys only: have the CA certify a key made with `scelle keygen -a p256 -o NAME`".into(),
            ),
            SignError::NotOneCertificate { .. } => Some(
                "put the signing certificate alone in the `--cert` file and its intermediates in `--cert-chain` files".into(),
            ),
            SignError::CertificateKeyMismatch { .. } => Some(
                "give the private key the certificate was issued for (`--key`), or that key's certificate (`--cert`)".into(),
            ),
            SignError::Certificate { .. } => Some(
                "fix the certificate or its chain: a verifier would refuse the bundle for the same reason".into(),
            ),
        }
    }
}

/// Writes the payload a bundle of `format` signs for `statement`. A scelle bundle signs `raw`
/// (the exact bytes of a manifest file) when given, else the statement's canonical bytes; an
/// OMS bundle signs the OMS statement of the same files, named `model_name`. An OMS bundle of a
/// folder also lists both default bundle names among its ignored paths, so that
/// `model_signing verify` does not count a scelle bundle added later as an extra file.
pub fn write_payload(
    out: &mut dyn std::io::Write,
    format: BundleFormat,
    statement: &crate::manifest::Statement,
    raw: Option<&[u8]>,
    model_name: &str,
) -> std::io::Result<()> {
    match (format, raw) {
        (BundleFormat::Scelle, Some(raw)) => out.write_all(raw),
        (BundleFormat::Scelle, None) => statement.write_json_within(out, u64::MAX),
        (BundleFormat::Oms, _) => {
            let predicate = &statement.predicate;
            let single = predicate.scan.single_file;
            let mut ignore = predicate.scan.ignore.clone();
            if !single {
                ignore.extend(
                    crate::walk::BUNDLE_NAMES
                        .iter()
                        .filter_map(|n| crate::manifest::RelPath::new(*n).ok()),
                );
                ignore.sort();
                ignore.dedup();
            }
            oms::write_statement(
                out,
                model_name,
                &predicate.files,
                &ignore,
                predicate.scan.symlinks == crate::walk::SymlinkPolicy::FollowInside.as_str(),
                single,
            )
        }
        // Never chosen on the command line (`#[value(skip)]`): scelle only verifies those.
        (BundleFormat::Sigstore, _) => Err(std::io::Error::other(
            "scelle does not write Sigstore bundles of other statements",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_streamed_bundle_is_byte_for_byte_the_bundle_of_the_same_payload() {
        for alg in [Algorithm::Ed25519, Algorithm::P256] {
            let key = PrivateKey::generate(alg).unwrap();
            let payload = br#"{"_type": "x", "n": [1, 2, 3]}"#.repeat(1000);
            let write = |w: &mut dyn std::io::Write| w.write_all(&payload);
            let sealed = seal(&key, u64::MAX, &write).unwrap();
            let mut streamed = Vec::new();
            sealed.write_bundle(&mut streamed, &write).unwrap();
            // Deterministic signatures (RFC 8032, RFC 6979): the very same bytes.
            assert_eq!(
                streamed,
                sign_statement(&payload, &key).to_json_bytes(),
                "{alg}"
            );
            let read = bundle::parse(std::path::Path::new("b"), &streamed)
                .ok()
                .unwrap();
            assert_eq!(read.payload_bytes().unwrap(), payload);
            // Another payload than the one signed is never written out.
            let other = |w: &mut dyn std::io::Write| w.write_all(b"{}");
            assert!(sealed.write_bundle(&mut Vec::new(), &other).is_err());
        }
    }

    #[test]
    fn a_payload_over_the_limit_is_refused_before_signing() {
        let key = PrivateKey::generate(Algorithm::Ed25519).unwrap();
        let write = |w: &mut dyn std::io::Write| w.write_all(b"12345678901");
        let err = seal(&key, 10, &write).unwrap_err();
        assert!(
            matches!(
                err,
                SignError::TooLarge {
                    size: 11,
                    limit: 10
                }
            ),
            "{err}"
        );
        seal(&key, 11, &write).unwrap();
    }
}

#[cfg(test)]
mod limits {
    use super::*;
    use crate::input::{MAX_BUNDLE, MAX_BUNDLE_ENVELOPE, MAX_STATEMENT, base64_len};

    /// `sign` refuses statements over [`MAX_STATEMENT`]; the largest bundle it can then write
    /// (the biggest signature, P-521, around the base64 of the largest statement) is within
    /// what `verify` and `check` read, fields besides the payload included.
    #[test]
    fn the_largest_bundle_sign_writes_is_one_verify_reads() {
        let key = PrivateKey::generate(Algorithm::P521).unwrap();
        let empty = |_: &mut dyn std::io::Write| Ok(());
        let mut frame = Vec::new();
        seal(&key, MAX_STATEMENT, &empty)
            .unwrap()
            .write_bundle(&mut frame, &empty)
            .unwrap();
        let frame = frame.len() as u64;
        assert!(frame <= MAX_BUNDLE_ENVELOPE, "{frame}");
        assert!(base64_len(MAX_STATEMENT) + frame <= MAX_BUNDLE);
        // A statement one byte over the limit, counted but never held.
        let over = |w: &mut dyn std::io::Write| {
            let chunk = vec![b' '; 1 << 20];
            for _ in 0..(MAX_STATEMENT >> 20) {
                w.write_all(&chunk)?;
            }
            w.write_all(b" ")
        };
        assert!(matches!(
            seal(&key, MAX_STATEMENT, &over),
            Err(SignError::TooLarge { .. })
        ));
    }
}
