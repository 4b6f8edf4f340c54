//! Sigstore bundles over one file that are not a signed release: a message signature
//! (hashedrekord), an in-toto statement of another kind (SLSA provenance, ...), or a managed key
//! with a transparency-log entry, in any bundle media type (v0.1 to v0.3). sigstore-verify checks
//! them whole with the file as the artifact, as the Sigstore clients do; these are the bundles of
//! the public conformance suite, and of `cosign sign-blob` or `sigstore sign` over a file.

use std::path::Path;

use sigstore_verify::PublicKeyVerificationPolicy;
use sigstore_verify::types::{SignatureContent, bundle::VerificationMaterialContent};

use super::{
    KeylessError, certificate_policy, describe_failure, identity_problem, keyless_signer,
    parse_bundle, verifier,
};
use crate::manifest::Sha256Digest;
use crate::sign::trust::{Signer, Trust, TrustedRootSource};

/// A Sigstore bundle verified whole against one file.
#[derive(Debug, Clone)]
pub struct FileVerified {
    pub signer: Signer,
    /// The file's SHA-256, as hashed while it was verified.
    pub sha256: Sha256Digest,
    /// What the bundle signs: `a message signature` or `an in-toto statement (PREDICATE)`.
    pub content: String,
}

/// Whether `bytes` are a Sigstore bundle to verify whole against one file rather than a signed
/// release: a message signature, an in-toto statement that is neither scelle's nor OMS's, or a
/// bundle carrying a transparency-log entry for a key or an older (v0.1, v0.2) certificate chain.
/// Anything unreadable is left to the release path, which names the problem.
pub fn is_file_bundle(bytes: &[u8]) -> bool {
    use base64::Engine as _;
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return false;
    };
    if value.get("messageSignature").is_some() {
        return true;
    }
    let material = value.get("verificationMaterial");
    let logged = material
        .and_then(|m| m.get("tlogEntries"))
        .and_then(serde_json::Value::as_array)
        .is_some_and(|e| !e.is_empty());
    let legacy_chain = material.is_some_and(|m| m.get("x509CertificateChain").is_some());
    let key = material.is_some_and(|m| m.get("publicKey").is_some());
    if logged && (legacy_chain || key) {
        return true;
    }
    let predicate = value
        .get("dsseEnvelope")
        .and_then(|e| e.get("payload"))
        .and_then(serde_json::Value::as_str)
        .and_then(|p| base64::engine::general_purpose::STANDARD.decode(p).ok())
        .and_then(|p| serde_json::from_slice::<serde_json::Value>(&p).ok())
        .and_then(|s| {
            s.get("predicateType")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        });
    logged
        && predicate.is_some_and(|p| {
            ![
                crate::manifest::PREDICATE_TYPE,
                crate::sign::oms::OMS_PREDICATE_TYPE,
                crate::sign::oms::OMS_LEGACY_PREDICATE_TYPE,
            ]
            .contains(&p.as_str())
        })
}

/// Verifies a whole Sigstore bundle against the file at `file`: keyless with the identity
/// policy, or a managed key with one of the trusted keys. `Ok(Err(problem))` is a bundle that
/// was checked and refused (exit status 1).
pub fn verify_file(
    bundle_path: &Path,
    bytes: &[u8],
    file: &Path,
    trust: &Trust,
) -> Result<Result<FileVerified, String>, KeylessError> {
    let parsed = parse_bundle(bundle_path, bytes)?;
    let content = match &parsed.content {
        SignatureContent::MessageSignature(_) => "a message signature".to_owned(),
        SignatureContent::DsseEnvelope(e) => match subject_predicate(e.payload.as_bytes()) {
            Some(p) => format!("an in-toto statement (`{p}`)"),
            None => "a DSSE envelope".to_owned(),
        },
        _ => "an unknown kind of content".to_owned(),
    };
    let root = trust
        .trusted_root
        .clone()
        .unwrap_or(TrustedRootSource::Embedded);
    let verifier = verifier(&root)?;
    if let VerificationMaterialContent::PublicKey(_) = &parsed.verification_material.content {
        if trust.keys.is_empty() {
            return Ok(Err(format!(
                "the bundle is signed with a managed key, not with {}; give its public key with `--key`",
                trust.describe()
            )));
        }
        let mut last = String::new();
        for key in &trust.keys {
            let Ok(der) = sigstore_verify::types::DerPublicKey::from_pem(&key.to_pem()) else {
                continue;
            };
            let policy = PublicKeyVerificationPolicy::new(der);
            let mut reader = HashingReader::open(file)?;
            match verifier.verify_reader(&mut reader, &parsed, &policy) {
                Ok(_) => {
                    return Ok(Ok(FileVerified {
                        signer: Signer::Key {
                            key_id: key.key_id(),
                            algorithm: key.algorithm().as_str().into(),
                        },
                        sha256: reader.finish(),
                        content,
                    }));
                }
                Err(e) => last = describe_failure(&e).replacen("keyless ", "", 1),
            }
        }
        return Ok(Err(last));
    }
    let Some(policy) = &trust.keyless else {
        return Ok(Err(format!(
            "the bundle is signed keyless (a Sigstore certificate and log entry), not with {}; \
             say whose signature to accept with `--identity` and `--issuer`",
            trust.describe()
        )));
    };
    let mut reader = HashingReader::open(file)?;
    let result = match verifier.verify_reader(&mut reader, &parsed, &certificate_policy(policy)) {
        Ok(result) => result,
        Err(e) => return Ok(Err(describe_failure(&e))),
    };
    if let Some(problem) = identity_problem(policy, &result) {
        return Ok(Err(problem));
    }
    Ok(Ok(FileVerified {
        signer: Signer::Keyless(keyless_signer(&parsed, &result, &policy.trusted_root)),
        sha256: reader.finish(),
        content,
    }))
}

/// The release file, hashed with SHA-256 as sigstore-verify reads it (one read for both).
struct HashingReader {
    file: fs_err::File,
    sha256: sha2::Sha256,
}

impl HashingReader {
    /// Opens a regular file (a symbolic link to one is followed, as for any single-file release).
    fn open(path: &Path) -> Result<Self, KeylessError> {
        use sha2::Digest as _;
        let read = |source| KeylessError::Read {
            path: path.into(),
            source,
        };
        let meta = fs_err::metadata(path).map_err(read)?;
        if !meta.is_file() {
            return Err(KeylessError::Malformed {
                path: path.into(),
                reason: "not a regular file".into(),
            });
        }
        Ok(HashingReader {
            file: fs_err::File::open(path).map_err(read)?,
            sha256: sha2::Sha256::new(),
        })
    }

    fn finish(self) -> Sha256Digest {
        use sha2::Digest as _;
        Sha256Digest(self.sha256.finalize().into())
    }
}

impl std::io::Read for HashingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use sha2::Digest as _;
        let n = self.file.read(buf)?;
        self.sha256.update(&buf[..n]);
        Ok(n)
    }
}

fn subject_predicate(payload: &[u8]) -> Option<String> {
    serde_json::from_slice::<serde_json::Value>(payload)
        .ok()?
        .get("predicateType")?
        .as_str()
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn dsse_bundle(predicate: &str, tlog: bool) -> Vec<u8> {
        let payload = base64::engine::general_purpose::STANDARD
            .encode(format!(r#"{{"predicateType":"{predicate}"}}"#));
        let entries = if tlog { r#"[{"logIndex":"1"}]"# } else { "[]" };
        format!(
            r#"{{"verificationMaterial":{{"certificate":{{}},"tlogEntries":{entries}}},
               "dsseEnvelope":{{"payload":"{payload}"}}}}"#
        )
        .into_bytes()
    }

    #[test]
    fn release_statements_stay_on_the_release_path() {
        // Any message signature is verified against the file.
        assert!(is_file_bundle(br#"{"messageSignature":{}}"#));
        // A logged statement that is not a release is verified against the file.
        assert!(is_file_bundle(&dsse_bundle(
            "https://slsa.dev/provenance/v1",
            true
        )));
        // OMS and scelle statements are releases, whose file lists the caller compares.
        assert!(!is_file_bundle(&dsse_bundle(
            crate::sign::oms::OMS_PREDICATE_TYPE,
            true
        )));
        assert!(!is_file_bundle(&dsse_bundle(
            crate::manifest::PREDICATE_TYPE,
            true
        )));
        // Key bundles scelle writes carry no log entry.
        assert!(!is_file_bundle(&dsse_bundle(
            "https://slsa.dev/provenance/v1",
            false
        )));
        // Unreadable bytes are left to the release path, which names the problem.
        assert!(!is_file_bundle(b"{not json"));
    }
}
