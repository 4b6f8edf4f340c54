//! The Sigstore trusted root keyless bundles are checked against: the public-good root compiled
//! into scelle, or a file given with `--trusted-root`. Never fetched: a root that changes under
//! a verifier would change its verdicts without a word.
//!
//! The embedded root is `sigstore-trust-root` 0.15.1's `SIGSTORE_PRODUCTION_TRUSTED_ROOT` (that
//! crate's `src/trusted_root.json`, built here without its TUF client): 6,787 bytes, sha256
//! [`EMBEDDED_ROOT_SHA256`], the same file as sigstore-python 4.5.1 ships. Its newest entry is the
//! Rekor v2 log `log2025-1.rekor.sigstore.dev`, valid from 2025-09-23 ([`EMBEDDED_ROOT_DATE`]).
//! When Sigstore rotates a key, scelle needs a release with the new root; meanwhile
//! `--trusted-root` takes a newer one.

use sigstore_verify::trust_root::{SIGSTORE_PRODUCTION_TRUSTED_ROOT, TrustedRoot};

use crate::sign::trust::TrustedRootSource;

/// SHA-256 of the embedded root's JSON, checked by a test so an upgrade of the crate that
/// changes the root is noticed (and documented).
pub const EMBEDDED_ROOT_SHA256: &str =
    "6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66";

/// The start of the validity of the embedded root's newest key: how current the root is.
pub const EMBEDDED_ROOT_DATE: &str = "2025-09-23";

/// Parses the trusted root `source` names.
pub(super) fn load(source: &TrustedRootSource) -> Result<TrustedRoot, String> {
    let json = match source {
        TrustedRootSource::Embedded => SIGSTORE_PRODUCTION_TRUSTED_ROOT,
        TrustedRootSource::File { json, .. } => json.as_str(),
    };
    TrustedRoot::from_json(json).map_err(|e| format!("not a Sigstore trusted root: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_root_is_the_documented_one() {
        let digest =
            crate::manifest::Sha256Digest::of(SIGSTORE_PRODUCTION_TRUSTED_ROOT.as_bytes()).to_hex();
        assert_eq!(digest, EMBEDDED_ROOT_SHA256);
        assert_eq!(SIGSTORE_PRODUCTION_TRUSTED_ROOT.len(), 6787);
        let root = load(&TrustedRootSource::Embedded).unwrap();
        assert_eq!(root.certificate_authorities.len(), 2);
        assert_eq!(root.tlogs.len(), 2);
    }

    #[test]
    fn a_file_that_is_not_a_root_is_refused() {
        let source = TrustedRootSource::File {
            path: "root.json".into(),
            json: "{\"mediaType\": 3}".into(),
        };
        assert!(
            load(&source)
                .unwrap_err()
                .starts_with("not a Sigstore trusted root")
        );
    }
}
