//! Signing: keys, DSSE envelopes, Sigstore bundles, and the two statements scelle signs (its own
//! manifest, and the OpenSSF Model Signing statement for `--format oms`).
//!
//! The signature always covers the exact payload bytes that travel in the bundle; nothing is
//! re-serialised between signing and verifying.

pub mod bundle;
pub mod dsse;
pub mod findings;
pub mod keys;
pub mod oms;

use std::path::{Path, PathBuf};

pub use bundle::{BUNDLE_MEDIA_TYPE, Bundle, BundleError, KeyMaterial, ReadBundle, read_bundle};
pub use dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE, pae};
pub use keys::{
    Algorithm, KeyError, KeySource, LoadedKey, Passphrase, PrivateKey, PublicKey, load_private_key,
    load_public_key,
};

/// Which statement a bundle carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum BundleFormat {
    /// scelle's manifest (`https://scelle.dev/provenance/v1`), one subject per file
    Scelle,
    /// OpenSSF Model Signing v1.0 (`https://model_signing/signature/v1.0`), verifiable by `model_signing`
    Oms,
}

impl BundleFormat {
    /// The format's name on the command line and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            BundleFormat::Scelle => "scelle",
            BundleFormat::Oms => "oms",
        }
    }

    /// The bundle's default file name inside the release folder.
    pub fn default_file_name(self) -> &'static str {
        match self {
            BundleFormat::Scelle => "scelle.sigstore.json",
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
            BundleFormat::Scelle => ".sigstore.json",
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

/// Why a release could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("an OMS bundle needs an ECDSA key (P-256, P-384 or P-521); `{}` is an Ed25519 key", .0.display())]
    OmsNeedsEcdsa(std::path::PathBuf),
}

impl SignError {
    pub fn hint(&self) -> Option<String> {
        match self {
            SignError::OmsNeedsEcdsa(_) => Some(
                "the reference `model_signing` verifier accepts only ECDSA keys: make one with `scelle keygen -a p256 -o NAME`"
                    .into(),
            ),
        }
    }
}

/// The payload a bundle of `format` signs for `statement`. A scelle bundle signs `raw` (the exact
/// bytes of a manifest file) when given, else the statement's canonical bytes; an OMS bundle
/// signs the OMS statement of the same files, named `model_name`. An OMS bundle of a folder also
/// lists both default bundle names among its ignored paths, so that `model_signing verify` does
/// not count a scelle bundle added later as an extra file.
pub fn payload(
    format: BundleFormat,
    statement: &crate::manifest::Statement,
    raw: Option<&[u8]>,
    model_name: &str,
) -> Vec<u8> {
    match format {
        BundleFormat::Scelle => raw.map_or_else(|| statement.to_json_bytes(), <[u8]>::to_vec),
        BundleFormat::Oms => {
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
            oms::statement_bytes(
                model_name,
                &predicate.files,
                &ignore,
                predicate.scan.symlinks == crate::walk::SymlinkPolicy::FollowInside.as_str(),
                single,
            )
        }
    }
}
