//! Whom a verifier trusts, and who turned out to have signed.
//!
//! A bundle names its signer in one of three ways: a key id (the key method), an X.509
//! certificate chain (the OMS certificate method), or one short-lived Fulcio certificate with a
//! transparency-log entry (keyless Sigstore). Each needs its own trust from the person
//! verifying: public keys, certificate trust anchors, or an identity policy over a Sigstore
//! trusted root. [`Trust`] holds all three, and the bundle decides which one applies; nothing in
//! the bundle itself is ever trusted for it.
//!
//! [`Signer`] is what verification established, in the same three shapes. Every report, the
//! policy facts (`verification.method`, `verification.identity`, `verification.issuer`) and the
//! documents read it from there.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::keys::{KeyError, PublicKey, load_public_keys};

/// The public-good Sigstore trusted root, as shipped with this build (see
/// [`TrustedRootSource::Embedded`]).
pub const EMBEDDED_ROOT_NAME: &str = "the Sigstore public-good trusted root embedded in scelle";

/// What the person verifying trusts.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// Trusted public keys (the key method).
    pub keys: Vec<PublicKey>,
    /// Trust anchors and extra intermediates (the certificate method).
    pub certificates: Option<CertificateTrust>,
    /// An identity policy over a Sigstore trusted root (keyless bundles).
    pub keyless: Option<KeylessPolicy>,
    /// `--trusted-root`: the Sigstore root for every bundle with a log entry (keyless, or a
    /// managed key's), instead of the embedded one.
    pub trusted_root: Option<TrustedRootSource>,
}

impl Trust {
    /// Trust in these keys only.
    pub fn keys(keys: Vec<PublicKey>) -> Self {
        Trust {
            keys,
            ..Trust::default()
        }
    }

    /// Nothing is trusted: a bundle cannot be verified, only read.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.certificates.is_none() && self.keyless.is_none()
    }

    /// The key ids of the trusted keys, for choosing among a folder's default bundles.
    pub fn key_ids(&self) -> Vec<String> {
        self.keys.iter().map(PublicKey::key_id).collect()
    }

    /// What was given, for a message saying what a bundle did not match: "key `ab12`", "the
    /// certificate anchors of `roots.pem`", "identity `x` from issuer `y`".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.keys.is_empty() {
            let ids = self.key_ids();
            parts.push(format!(
                "key{} `{}`",
                if ids.len() == 1 { "" } else { "s" },
                ids.join("`, `")
            ));
        }
        if let Some(c) = &self.certificates {
            let files: Vec<String> = c
                .roots
                .iter()
                .map(|r| format!("`{}`", r.source.display()))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            parts.push(format!("the trust anchors of {}", files.join(", ")));
        }
        if let Some(k) = &self.keyless {
            parts.push(k.describe());
        }
        parts.join(" or ")
    }
}

/// A certificate read from a PEM file, as DER, with the file it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateDer {
    pub der: Vec<u8>,
    pub source: PathBuf,
}

/// The certificate method's trust: anchors the chain must end at, and intermediates that may
/// complete a bundle's chain (never trusted by themselves).
#[derive(Debug, Clone, Default)]
pub struct CertificateTrust {
    pub roots: Vec<CertificateDer>,
    pub intermediates: Vec<CertificateDer>,
}

/// How a keyless certificate's identity (its subject alternative name) must match.
#[derive(Debug, Clone)]
pub enum IdentityMatch {
    /// Exactly this email address or URI.
    Exact(String),
    /// The whole identity matches this regular expression (anchored at both ends).
    Regexp(regex::Regex),
}

impl IdentityMatch {
    pub fn matches(&self, identity: &str) -> bool {
        match self {
            IdentityMatch::Exact(expected) => expected == identity,
            IdentityMatch::Regexp(re) => re
                .find(identity)
                .is_some_and(|m| m.start() == 0 && m.end() == identity.len()),
        }
    }
}

impl std::fmt::Display for IdentityMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            IdentityMatch::Exact(s) => write!(f, "identity `{s}`"),
            IdentityMatch::Regexp(re) => write!(f, "an identity matching `{}`", re.as_str()),
        }
    }
}

/// Where the Sigstore trusted root comes from.
#[derive(Debug, Clone)]
pub enum TrustedRootSource {
    /// The public-good instance's root, compiled in; never fetched.
    Embedded,
    /// A root read from a file (`--trusted-root`): a private Sigstore instance, or tests.
    File { path: PathBuf, json: String },
}

impl TrustedRootSource {
    /// How reports name the root: the embedded one, or the file's name (never a full path),
    /// as plain text (renderers add their own quoting).
    pub fn label(&self) -> String {
        match self {
            TrustedRootSource::Embedded => EMBEDDED_ROOT_NAME.to_owned(),
            TrustedRootSource::File { path, .. } => path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
        }
    }
}

impl TrustedRootSource {
    /// How a message names the root: the file's name in backticks, or "built into scelle".
    pub fn in_message(&self) -> String {
        match self {
            TrustedRootSource::Embedded => "built into scelle".to_owned(),
            TrustedRootSource::File { .. } => format!("`{}`", self.label()),
        }
    }
}

/// Who a keyless bundle must have been signed by.
#[derive(Debug, Clone)]
pub struct KeylessPolicy {
    pub identity: IdentityMatch,
    /// The OIDC issuer, compared exactly.
    pub issuer: String,
    pub trusted_root: TrustedRootSource,
}

impl KeylessPolicy {
    pub fn describe(&self) -> String {
        format!("{} from issuer `{}`", self.identity, self.issuer)
    }
}

/// Who signed, as verification established it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Signer {
    /// A public key the verifier gave.
    Key { key_id: String, algorithm: String },
    /// An X.509 certificate whose chain ends at one of the verifier's trust anchors.
    Certificate(CertificateSigner),
    /// A Fulcio certificate bound to an OIDC identity, logged in a transparency log.
    Keyless(KeylessSigner),
}

/// The signing certificate of the certificate method.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertificateSigner {
    /// The leaf's subject, as an RFC 4514 string (`CN=Release,O=Example`).
    pub subject: String,
    /// The leaf's issuer, the same way.
    pub issuer: String,
    /// The leaf's serial number, hexadecimal.
    pub serial: String,
    /// SHA-256 of the leaf's DER encoding.
    pub sha256: String,
    /// The leaf's key algorithm (`ecdsa-p256`, ...).
    pub algorithm: String,
    /// The leaf's validity, RFC 3339.
    pub not_before: String,
    pub not_after: String,
    /// The subjects from the leaf's issuer up to the trust anchor reached, in order.
    pub chain: Vec<String>,
}

/// The signing identity of a keyless bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeylessSigner {
    /// The certificate's subject alternative name: an email address or a URI (a CI workflow).
    pub identity: String,
    /// The OIDC issuer the identity was vouched for by.
    pub issuer: String,
    /// The transparency-log entry's index, when the bundle has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    /// The log's integrated time (RFC 3339), only when its signed entry timestamp verified.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrated_time: Option<String>,
    /// Every verified time (signed timestamps and the integrated time), RFC 3339, sorted.
    pub verified_times: Vec<String>,
    /// Which trusted root the chain, log and timestamps were checked against.
    pub trusted_root: String,
}

impl Signer {
    /// `key`, `certificate` or `keyless`: what `verification.method` holds.
    pub fn method(&self) -> &'static str {
        match self {
            Signer::Key { .. } => "key",
            Signer::Certificate(_) => "certificate",
            Signer::Keyless(_) => "keyless",
        }
    }

    /// The signer's name in its own terms: the key id, the certificate subject, or the keyless
    /// identity.
    pub fn identity(&self) -> &str {
        match self {
            Signer::Key { key_id, .. } => key_id,
            Signer::Certificate(c) => &c.subject,
            Signer::Keyless(k) => &k.identity,
        }
    }

    /// Who vouched for that name: the certificate's issuer, or the OIDC issuer (none for a key).
    pub fn issuer(&self) -> Option<&str> {
        match self {
            Signer::Key { .. } => None,
            Signer::Certificate(c) => Some(&c.issuer),
            Signer::Keyless(k) => Some(&k.issuer),
        }
    }

    /// One line for tables and documents.
    pub fn describe(&self) -> String {
        match self {
            Signer::Key { key_id, algorithm } => format!("{algorithm} key `{key_id}`"),
            Signer::Certificate(c) => {
                format!("certificate `{}` issued by `{}`", c.subject, c.issuer)
            }
            Signer::Keyless(k) => {
                use std::fmt::Write as _;
                let mut s = format!("`{}` (issuer `{}`)", k.identity, k.issuer);
                if let Some(i) = k.log_index {
                    let _ = write!(s, ", log index {i}");
                }
                if let Some(t) = &k.integrated_time {
                    let _ = write!(s, ", logged {t}");
                }
                s
            }
        }
    }
}

/// Why the trust given on the command line cannot be used (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("`{}`: {reason}", .path.display())]
    Certificates { path: PathBuf, reason: String },
    #[error("`--identity-regexp`: {0}")]
    Regexp(String),
    #[error("`{}`: {reason}", .path.display())]
    TrustedRoot { path: PathBuf, reason: String },
    #[error(
        "`--trusted-root` is for Sigstore bundles, checked with `--identity` and `--issuer` (keyless) or `--key` (a managed key with a log entry)"
    )]
    TrustedRootAlone,
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
}

impl TrustError {
    pub fn hint(&self) -> Option<String> {
        match self {
            TrustError::Key(e) => e.hint(),
            TrustError::Input(e) => e.hint(),
            TrustError::Certificates { .. } => {
                Some("give PEM files holding `-----BEGIN CERTIFICATE-----` blocks".into())
            }
            _ => None,
        }
    }
}

/// What the command line says to trust.
#[derive(Debug, Clone, Default)]
pub struct TrustRequest<'a> {
    pub keys: &'a [PathBuf],
    pub cert_roots: &'a [PathBuf],
    pub cert_chain: &'a [PathBuf],
    pub identity: Option<&'a str>,
    pub identity_regexp: Option<&'a str>,
    pub issuer: Option<&'a str>,
    pub trusted_root: Option<&'a Path>,
}

/// Reads the keys, certificates and trusted root the command line names.
pub fn load(request: &TrustRequest<'_>) -> Result<Trust, TrustError> {
    let keys = load_public_keys(request.keys)?;
    let certificates = if request.cert_roots.is_empty() {
        None
    } else {
        Some(CertificateTrust {
            roots: read_certificates(request.cert_roots)?,
            intermediates: read_certificates(request.cert_chain)?,
        })
    };
    let identity = match (request.identity, request.identity_regexp) {
        (Some(id), _) => Some(IdentityMatch::Exact(id.to_owned())),
        (None, Some(re)) => Some(IdentityMatch::Regexp(
            regex::Regex::new(re).map_err(|e| TrustError::Regexp(e.to_string()))?,
        )),
        (None, None) => None,
    };
    let trusted_root = match request.trusted_root {
        None => None,
        Some(path) => Some(TrustedRootSource::File {
            path: path.to_path_buf(),
            json: read_trusted_root(path)?,
        }),
    };
    let keyless = match (identity, request.issuer) {
        (Some(identity), Some(issuer)) => Some(KeylessPolicy {
            identity,
            issuer: issuer.to_owned(),
            trusted_root: trusted_root.clone().unwrap_or(TrustedRootSource::Embedded),
        }),
        _ => None,
    };
    if trusted_root.is_some() && keyless.is_none() && keys.is_empty() {
        return Err(TrustError::TrustedRootAlone);
    }
    Ok(Trust {
        keys,
        certificates,
        keyless,
        trusted_root,
    })
}

fn read_small(path: &Path) -> Result<Vec<u8>, TrustError> {
    Ok(crate::input::open(path, crate::input::Kind::TRUST)?.read_all()?)
}

fn read_trusted_root(path: &Path) -> Result<String, TrustError> {
    Ok(crate::input::open(path, crate::input::Kind::TRUST)?.read_text()?)
}

/// Every `CERTIFICATE` block of each PEM file, in file order.
pub fn read_certificates(paths: &[PathBuf]) -> Result<Vec<CertificateDer>, TrustError> {
    let mut out = Vec::new();
    for path in paths {
        let bytes = read_small(path)?;
        let text = String::from_utf8(bytes).map_err(|_| TrustError::Certificates {
            path: path.clone(),
            reason: "not a PEM file (not text)".into(),
        })?;
        let ders = pem_certificates(&text).map_err(|reason| TrustError::Certificates {
            path: path.clone(),
            reason,
        })?;
        if ders.is_empty() {
            return Err(TrustError::Certificates {
                path: path.clone(),
                reason: "holds no `CERTIFICATE` block".into(),
            });
        }
        out.extend(ders.into_iter().map(|der| CertificateDer {
            der,
            source: path.clone(),
        }));
    }
    Ok(out)
}

/// The DER of every `-----BEGIN CERTIFICATE-----` block in `text`; other blocks are skipped.
pub fn pem_certificates(text: &str) -> Result<Vec<Vec<u8>>, String> {
    use base64::Engine as _;
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let body_start = start + BEGIN.len();
        let Some(len) = rest[body_start..].find(END) else {
            return Err(format!("a `{BEGIN}` block has no `{END}` line"));
        };
        let body: String = rest[body_start..body_start + len]
            .chars()
            .filter(|c| !c.is_ascii_whitespace())
            .collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|e| format!("a certificate block is not valid base64: {e}"))?;
        out.push(der);
        rest = &rest[body_start + len + END.len()..];
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_regexp_must_match_the_whole_identity() {
        let re = IdentityMatch::Regexp(
            regex::Regex::new(r"https://github\.com/org/repo/\.github/workflows/release\.yml@.*")
                .unwrap(),
        );
        assert!(
            re.matches("https://github.com/org/repo/.github/workflows/release.yml@refs/tags/v1")
        );
        // A prefix an attacker controls must not satisfy an unanchored pattern.
        assert!(!re.matches(
            "https://evil.example/https://github.com/org/repo/.github/workflows/release.yml@x"
        ));
        let exact = IdentityMatch::Exact("a@example.com".into());
        assert!(exact.matches("a@example.com"));
        assert!(!exact.matches("a@example.com.evil"));
    }

    #[test]
    fn pem_blocks_are_read_in_order_and_other_blocks_skipped() {
        let text = "junk\n-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n\
                    -----BEGIN CERTIFICATE-----\nAQID\n-----END CERTIFICATE-----\n\
                    -----BEGIN CERTIFICATE-----\nBAUG\n-----END CERTIFICATE-----\n";
        assert_eq!(
            pem_certificates(text).unwrap(),
            vec![vec![1, 2, 3], vec![4, 5, 6]]
        );
        assert!(pem_certificates("-----BEGIN CERTIFICATE-----\nAQID\n").is_err());
        assert!(
            pem_certificates("-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----").is_err()
        );
    }
}
