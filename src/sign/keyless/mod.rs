//! Keyless Sigstore bundles: a Fulcio certificate bound to an OIDC identity, logged in Rekor,
//! verified offline against a trusted root in the order of the Sigstore client specification.
//!
//! The checks themselves are sigstore-verify's (the Sigstore project's maintained Rust
//! verifier), run on scelle's `RustCrypto` provider (`crypto.rs`) against the trusted root the
//! verifier chose: the public-good root compiled in (`root.rs`), or `--trusted-root FILE`.
//! Nothing is fetched. This module turns scelle's trust into a sigstore-verify policy, names the
//! step that failed in one line, and reports who signed.
//!
//! Two shapes arrive here. A release signed keyless (a DSSE statement, OMS or scelle) is
//! verified with the statement's subject digest as the artifact, and the caller then compares
//! the signed file list with the disk ([`verify_bundle`]). Any other Sigstore bundle over one
//! file (a message signature, an in-toto statement of another kind, a managed key with a log
//! entry) is verified whole against that file ([`verify_file`]).

mod crypto;
mod file;
mod root;

use std::path::{Path, PathBuf};

use sigstore_verify::types::{Bundle, SignatureContent};
use sigstore_verify::{
    CertificateError, Error as SigstoreError, TimestampError, TransparencyLogError,
    VerificationPolicy, VerificationResult, Verifier,
};

pub use crypto::{RustCryptoProvider, install as install_crypto_provider};
pub use file::{FileVerified, is_file_bundle, verify_file};
pub use root::{EMBEDDED_ROOT_DATE, EMBEDDED_ROOT_SHA256};

use super::bundle::{ReadBundle, Source};
use super::trust::{IdentityMatch, KeylessPolicy, KeylessSigner, TrustedRootSource};

/// A keyless bundle whose whole verification held: who signed, and the exact payload bytes
/// that were verified (parsed by the caller, never read again).
#[derive(Debug, Clone)]
pub struct KeylessVerified {
    pub signer: KeylessSigner,
    pub payload: Vec<u8>,
}

/// Why a keyless bundle could not be checked at all (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum KeylessError {
    #[error("`{}`: {reason}", .path.display())]
    Malformed { path: PathBuf, reason: String },
    #[error("the trusted root {label} cannot be used: {reason}")]
    TrustedRoot { label: String, reason: String },
    #[error("cannot read `{}`", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl KeylessError {
    /// The message without the bundle's name, for a caller that names the bundle itself.
    pub fn reason(&self) -> String {
        match self {
            KeylessError::Malformed { reason, .. } => reason.clone(),
            other => other.to_string(),
        }
    }
}

/// The most bytes a bundle handed to sigstore-verify may have (the reader's cap applies first).
const MAX_BUNDLE: u64 = 64 << 20;

fn read_source<S: Source>(path: &Path, source: &S) -> Result<Vec<u8>, KeylessError> {
    let size = source.size();
    if size > MAX_BUNDLE {
        return Err(KeylessError::Malformed {
            path: path.into(),
            reason: format!("the bundle is {size} bytes, more than a Sigstore bundle holds"),
        });
    }
    let mut out = vec![0u8; usize::try_from(size).unwrap_or(0)];
    let mut at = 0;
    while at < out.len() {
        let n = source
            .read_at(&mut out[at..], at as u64)
            .map_err(|e| KeylessError::Read {
                path: path.into(),
                source: e,
            })?;
        if n == 0 {
            out.truncate(at);
            break;
        }
        at += n;
    }
    Ok(out)
}

/// Parses bundle bytes as sigstore-verify reads them (media types v0.1 to v0.3).
fn parse_bundle(path: &Path, bytes: &[u8]) -> Result<Bundle, KeylessError> {
    let malformed = |reason: String| KeylessError::Malformed {
        path: path.into(),
        reason,
    };
    let text =
        std::str::from_utf8(bytes).map_err(|_| malformed("the bundle is not UTF-8 text".into()))?;
    Bundle::from_json(text).map_err(|e| malformed(format!("not a Sigstore bundle: {e}")))
}

/// The verifier for a trusted root, with scelle's crypto provider installed first.
fn verifier(source: &TrustedRootSource) -> Result<Verifier, KeylessError> {
    install_crypto_provider();
    let trouble = |reason: String| KeylessError::TrustedRoot {
        label: source.in_message(),
        reason,
    };
    let root = root::load(source).map_err(trouble)?;
    Verifier::new(&root).map_err(|e| trouble(e.to_string()))
}

/// The sigstore-verify policy for a keyless identity. A regular expression cannot be handed
/// over (sigstore-verify matches exactly), so the issuer alone is required there and the
/// identity is matched afterwards ([`identity_problem`]).
fn certificate_policy(policy: &KeylessPolicy) -> VerificationPolicy {
    match &policy.identity {
        IdentityMatch::Exact(identity) => {
            VerificationPolicy::new(identity.as_str(), policy.issuer.as_str())
        }
        IdentityMatch::Regexp(_) => {
            VerificationPolicy::any_identity().require_issuer(policy.issuer.as_str())
        }
    }
}

/// The identity check sigstore-verify could not make (an anchored regular expression).
fn identity_problem(policy: &KeylessPolicy, result: &VerificationResult) -> Option<String> {
    let identity = result
        .identity()
        .map(sigstore_verify::SubjectAltName::as_str);
    match identity {
        Some(id) if policy.identity.matches(id) => None,
        Some(id) => Some(format!(
            "keyless verification failed at the identity: the certificate is for `{id}`, not {}",
            policy.identity
        )),
        None => Some(
            "keyless verification failed at the identity: the certificate names no identity".into(),
        ),
    }
}

/// One line naming the step that failed, in the terms of the client specification.
pub fn describe_failure(error: &SigstoreError) -> String {
    let step = match error {
        SigstoreError::IdentityMismatch { .. } => "the identity",
        SigstoreError::IssuerMismatch { .. } => "the OIDC issuer",
        SigstoreError::SignatureInvalid(_) => "the signature",
        SigstoreError::ArtifactMismatch(_) => "the artifact (the bundle signs other content)",
        SigstoreError::Certificate(c) => match c {
            CertificateError::Sct(_) => "the signed certificate timestamp (SCT)",
            CertificateError::NotYetValid { .. } | CertificateError::Expired { .. } => {
                "the certificate's validity at the signing time"
            }
            _ => "the certificate chain",
        },
        SigstoreError::TransparencyLog(t) => match t {
            TransparencyLogError::InclusionProof(_) => "the log inclusion proof",
            TransparencyLogError::Checkpoint(_) => "the log checkpoint",
            TransparencyLogError::InclusionPromise(_) => "the log's signed entry timestamp (SET)",
            TransparencyLogError::EntryMismatch(_) => {
                "the log entry body (it does not match the bundle)"
            }
            TransparencyLogError::IntegratedTime(_) => "the log's integrated time",
            _ => "the transparency-log entry",
        },
        SigstoreError::Timestamp(t) => match t {
            TimestampError::NoVerifiedTimestamp(_) => "the signing time (no verified time)",
            _ => "the signed timestamp (RFC 3161)",
        },
        SigstoreError::InvalidTrustRoot(_)
        | SigstoreError::TrustRoot(_)
        | SigstoreError::TrustedCertificate(_) => "the trusted root",
        SigstoreError::InvalidBundle(_)
        | SigstoreError::UnsupportedBundle(_)
        | SigstoreError::Bundle(_)
        | SigstoreError::Types(_) => "the bundle's structure",
        _ => "a cryptographic check",
    };
    let detail = error.to_string().replace('\n', " ");
    format!("keyless verification failed at {step}: {detail}")
}

/// RFC 3339, whole seconds, UTC (sigstore-verify's times are of an older `jiff`: the seconds
/// cross over).
fn rfc3339(seconds: i64) -> String {
    jiff::Timestamp::from_second(seconds).map_or_else(
        |_| format!("@{seconds}"),
        |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

/// Who signed, from a verification that held.
fn keyless_signer(
    bundle: &Bundle,
    result: &VerificationResult,
    root: &TrustedRootSource,
) -> KeylessSigner {
    let mut verified_times: Vec<String> = result
        .verified_timestamps()
        .iter()
        .map(|t| rfc3339(t.as_second()))
        .collect();
    verified_times.sort();
    verified_times.dedup();
    KeylessSigner {
        identity: result
            .identity()
            .map(|i| i.as_str().to_owned())
            .unwrap_or_default(),
        issuer: result.issuer().unwrap_or_default().to_owned(),
        log_index: bundle
            .verification_material
            .tlog_entries
            .first()
            .map(|e| e.log_index.get()),
        integrated_time: result.integrated_time().map(|t| rfc3339(t.as_second())),
        verified_times,
        trusted_root: root.label(),
    }
}

/// The SHA-256 subject digest of an in-toto statement: for OMS the root digest of the model,
/// for scelle the digest of its manifest. The file comparison that follows binds it to disk.
fn subject_digest(payload: &[u8]) -> Result<sigstore_verify::types::Sha256Hash, String> {
    let statement: serde_json::Value = serde_json::from_slice(payload)
        .map_err(|e| format!("the signed payload is not JSON: {e}"))?;
    let hex = statement
        .get("subject")
        .and_then(|s| s.get(0))
        .and_then(|s| s.get("digest"))
        .and_then(|d| d.get("sha256"))
        .and_then(serde_json::Value::as_str)
        .ok_or("the signed statement has no `subject[0].digest.sha256`")?;
    sigstore_verify::types::Sha256Hash::from_hex(hex)
        .map_err(|e| format!("the statement's subject digest is not SHA-256 hex: {e}"))
}

/// Verifies the keyless bundle at `bundle_path` against `policy`. `Ok(Err(problem))` is a
/// bundle that was checked and refused (exit status 1).
pub fn verify_bundle<S: Source>(
    bundle_path: &Path,
    bundle: &ReadBundle<S>,
    policy: &KeylessPolicy,
) -> Result<Result<KeylessVerified, String>, KeylessError> {
    let bytes = read_source(bundle_path, bundle.source())?;
    let parsed = parse_bundle(bundle_path, &bytes)?;
    let SignatureContent::DsseEnvelope(envelope) = &parsed.content else {
        return Err(KeylessError::Malformed {
            path: bundle_path.into(),
            reason: "a keyless release bundle must hold a DSSE envelope".into(),
        });
    };
    let payload = envelope.payload.as_bytes().to_vec();
    let verifier = verifier(&policy.trusted_root)?;
    // The statement's own subject is the artifact: the signature, the log entry and the
    // certificate are checked over it here, and the caller checks the files against the
    // statement's list, which is what ties the subject to the disk.
    let digest = match subject_digest(&payload) {
        Ok(d) => d,
        Err(problem) => return Ok(Err(problem)),
    };
    let result = match verifier.verify(digest, &parsed, &certificate_policy(policy)) {
        Ok(result) => result,
        Err(e) => return Ok(Err(describe_failure(&e))),
    };
    if let Some(problem) = identity_problem(policy, &result) {
        return Ok(Err(problem));
    }
    Ok(Ok(KeylessVerified {
        signer: keyless_signer(&parsed, &result, &policy.trusted_root),
        payload,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_digest_needs_a_sha256_subject() {
        let d = "a".repeat(64);
        let ok = format!(r#"{{"subject":[{{"name":"m","digest":{{"sha256":"{d}"}}}}]}}"#);
        assert_eq!(subject_digest(ok.as_bytes()).unwrap().to_hex(), d);
        assert!(subject_digest(br#"{"subject":[]}"#).is_err());
        assert!(subject_digest(br#"{"subject":[{"digest":{"sha256":"xyz"}}]}"#).is_err());
    }

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}

#[cfg(test)]
mod release_path_tests {
    use super::*;
    use crate::sign::trust::IdentityMatch;

    const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
    const ISSUER: &str = "https://token.actions.githubusercontent.com";

    fn case(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/sigstore-conformance/bundle-verify")
            .join(name)
    }

    fn policy(identity: &str, root: Option<&str>) -> KeylessPolicy {
        KeylessPolicy {
            identity: IdentityMatch::Exact(identity.into()),
            issuer: ISSUER.into(),
            trusted_root: root.map_or(TrustedRootSource::Embedded, |case_name| {
                let path = case(case_name).join("trusted_root.json");
                TrustedRootSource::File {
                    json: fs_err::read_to_string(&path).unwrap(),
                    path,
                }
            }),
        }
    }

    fn run(name: &str, policy: &KeylessPolicy) -> Result<KeylessVerified, String> {
        let path = case(name).join("bundle.sigstore.json");
        let bytes = fs_err::read(&path).unwrap();
        let bundle = crate::sign::bundle::parse(&path, &bytes).unwrap();
        verify_bundle(&path, &bundle, policy).unwrap()
    }

    /// The statement's subject is the artifact: a logged DSSE bundle verifies whole, and the
    /// payload handed back is the signed one, byte for byte.
    #[test]
    fn a_logged_statement_verifies_and_its_payload_is_returned() {
        use base64::Engine as _;
        for (name, root, log) in [
            ("happy-path-intoto-in-dsse-v3", None, "Rekor v1 with a SET"),
            (
                "rekor2-dsse-happy-path",
                Some("rekor2-dsse-happy-path"),
                "Rekor v2",
            ),
        ] {
            let verified =
                run(name, &policy(IDENTITY, root)).unwrap_or_else(|e| panic!("{log}: {e}"));
            let bundle: serde_json::Value = serde_json::from_slice(
                &fs_err::read(case(name).join("bundle.sigstore.json")).unwrap(),
            )
            .unwrap();
            let payload = base64::engine::general_purpose::STANDARD
                .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
                .unwrap();
            assert_eq!(verified.payload, payload, "{log}");
            assert_eq!(verified.signer.identity, IDENTITY);
            assert_eq!(verified.signer.issuer, ISSUER);
            assert!(!verified.signer.verified_times.is_empty(), "{log}");
            // Rekor v1's integrated time counts (its SET verified); Rekor v2 has none.
            assert_eq!(
                verified.signer.integrated_time.is_some(),
                root.is_none(),
                "{log}"
            );
        }
    }

    #[test]
    fn a_tampered_or_foreign_statement_is_refused_with_its_step() {
        let err = run("dsse-mismatch-sig_fail", &policy(IDENTITY, None)).unwrap_err();
        assert!(err.starts_with("keyless verification failed at "), "{err}");
        let err = run(
            "happy-path-intoto-in-dsse-v3",
            &policy("x@example.com", None),
        )
        .unwrap_err();
        assert!(
            err.starts_with("keyless verification failed at the identity"),
            "{err}"
        );
        // The public-good root does not vouch for a private instance's log.
        let err = run("rekor2-dsse-happy-path", &policy(IDENTITY, None)).unwrap_err();
        assert!(err.starts_with("keyless verification failed at "), "{err}");
    }
}
