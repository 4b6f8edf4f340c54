//! Verification: prove that the files in hand are the files that were signed.
//!
//! The checks run in a fixed order and stop at the first failure: the bundle's JSON and media
//! type; the key hint against the given keys; the DSSE signature over the exact payload bytes;
//! the payload type; the statement type; the predicate type. Only then is anything in the payload
//! trusted: the release is walked and hashed the way it was sealed (same walker, same ignores,
//! same hasher as `scan`) and compared file by file. Every difference is reported, not just the
//! first: modified, missing, extra and renamed files, and content swapped between two files.
//!
//! A failure is data ([`Verification`] and its findings, exit status 1); `Err` means the check
//! could not run at all (no bundle, unreadable or malformed input, exit status 2).
//!
//! Without `--bundle`, the bundle is the one of the release's default bundles whose key hint
//! names a given key, so a release carrying a scelle bundle and an OMS bundle verifies with
//! either key. Neither bundle is part of the other's release: a top-level file with a default
//! bundle name that the signed list does not name is left out when it is a bundle, whichever
//! was made first (the OMS reference ignores only its own signature path).

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

use fs_err as fs;
use serde::Serialize;

use crate::finding::{Finding, Severity};
use crate::hash::{self, HashError};
use crate::manifest::{
    AnyProblem, AnyStatement, FileDigest, PREDICATE_TYPE, Record, RelPath, STATEMENT_TYPE,
    Sha256Digest, Statement, StatementProblem,
};
use crate::scan::Progress;
use crate::sign::bundle::{BundleError, KeyMaterial, ReadBundle, Source, read_bundle};
use crate::sign::dsse::{IN_TOTO_PAYLOAD_TYPE, decode_base64, pae_prefix};
use crate::sign::findings::FindingCounts;
use crate::sign::keys::StreamVerifier;
use crate::sign::oms::{
    self, OMS_LEGACY_PREDICATE_TYPE, OMS_PREDICATE_TYPE, OmsError, SignedFiles,
};
use crate::sign::trust::{Signer, Trust};
use crate::sign::{Algorithm, BundleFormat, PublicKey};
use crate::walk::{
    self, BUNDLE_NAMES, DEFAULT_IGNORES, SymlinkPolicy, WalkEntry, WalkError, WalkOptions,
};

/// Version of the JSON report layout.
pub const SCHEMA_VERSION: u32 = 1;

/// What to verify and how.
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    /// Whom to trust: keys, certificate anchors, or a keyless identity policy; the bundle
    /// must be signed by one of them.
    pub trust: Trust,
    /// The bundle; when absent, `scelle.sigstore.json` then `model.sig` in the release folder.
    pub bundle: Option<PathBuf>,
    /// More paths to leave out, on top of those recorded in the bundle.
    pub ignore: Vec<RelPath>,
    /// Follow links inside the release even if the bundle does not say so.
    pub allow_symlinks: bool,
    /// Report files the bundle does not list without failing on them.
    pub ignore_unsigned: bool,
    /// Check the signature only; do not hash the release.
    pub manifest_only: bool,
    pub jobs: usize,
    /// In a Hugging Face cache repository folder, the branch or commit to verify (default `main`).
    pub revision: Option<String>,
}

/// The outcome of a verification.
#[derive(Debug, Clone, Serialize)]
pub struct Verification {
    pub schema_version: u32,
    /// The bundle checked, as the user named it.
    pub bundle: String,
    /// Which statement the bundle carries, once the signature is known to be good.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<BundleFormat>,
    /// The model's name as signed: the OMS subject name, or the hub repository a scelle
    /// manifest records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The key that verified the signature (the key method only; see `signer`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key: Option<SignerKey>,
    /// Who signed, whatever the method: key, certificate or keyless identity.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<Signer>,
    /// `verified` or `failed`.
    pub signature: SignatureStatus,
    /// Why the bundle was rejected, when it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The signed root digest (OMS rule), when the statement has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<Sha256Digest>,
    /// Files the bundle lists.
    pub signed_files: usize,
    /// The scan's findings the signed manifest carries (scelle bundles; OMS carries none): what
    /// the publisher sealed knowingly.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sealed_findings: Option<FindingCounts>,
    /// The comparison with the release on disk (absent with `--manifest-only` or when the
    /// signature failed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files: Option<FileCheck>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// One line saying what all of the above means.
    pub verdict: String,
    /// The exact signed payload bytes, kept for `--manifest-only` only.
    #[serde(skip)]
    pub payload: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureStatus {
    Verified,
    Failed,
}

/// The key that verified a bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignerKey {
    pub id: String,
    pub algorithm: String,
}

impl SignerKey {
    /// The key of a key-method signer.
    pub fn of(signer: &Signer) -> Option<SignerKey> {
        match signer {
            Signer::Key { key_id, algorithm } => Some(SignerKey {
                id: key_id.clone(),
                algorithm: algorithm.clone(),
            }),
            _ => None,
        }
    }
}

/// The release compared with the signed manifest.
#[derive(Debug, Clone, Default, Serialize)]
pub struct FileCheck {
    /// Files hashed on disk.
    pub checked: usize,
    /// Signed files whose digest matched.
    pub matched: usize,
    pub modified: Vec<Modified>,
    pub missing: Vec<Missing>,
    pub extra: Vec<Extra>,
    pub renamed: Vec<Renamed>,
    /// Signed files found under a name that is the same text in another Unicode normal form.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lookalike: Vec<Lookalike>,
    /// Files on disk the bundle does not list, reported without failing (`--ignore-unsigned-files`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unsigned: Vec<RelPath>,
}

impl FileCheck {
    pub fn is_clean(&self) -> bool {
        self.modified.is_empty()
            && self.missing.is_empty()
            && self.extra.is_empty()
            && self.renamed.is_empty()
            && self.lookalike.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Modified {
    pub path: RelPath,
    pub expected: Sha256Digest,
    pub actual: Sha256Digest,
    /// The signed file whose content this file now holds (two files swapped, or one copied over another).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_of: Option<RelPath>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub path: RelPath,
    pub expected: Sha256Digest,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Extra {
    pub path: RelPath,
    pub actual: Sha256Digest,
}

/// A signed name missing from disk while a name equal to it in NFC is there: the same text in
/// another Unicode normal form (macOS would take one for the other; Linux does not).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lookalike {
    /// The name as signed.
    pub signed: RelPath,
    /// The name on disk.
    pub found: RelPath,
    pub expected: Sha256Digest,
    pub actual: Sha256Digest,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Renamed {
    pub from: RelPath,
    pub to: RelPath,
    pub sha256: Sha256Digest,
}

/// Why verification could not run (exit status 2).
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("no bundle in `{}` (looked for `scelle.sigstore.json` and `model.sig`)", .0.display())]
    NoBundle(PathBuf),
    #[error("no bundle for `{}` (looked for {})", .file.display(), .looked)]
    NoFileBundle { file: PathBuf, looked: String },
    #[error("`{}` does not exist", .0.display())]
    BundleMissing(PathBuf),
    #[error("`{}` is a folder, not a bundle", .0.display())]
    BundleFolder(PathBuf),
    #[error(transparent)]
    Bundle(#[from] BundleError),
    #[error("`{}`: {reason}", .bundle.display())]
    Malformed { bundle: PathBuf, reason: String },
    #[error("`{}`: {reason}", .bundle.display())]
    Unsupported { bundle: PathBuf, reason: String },
    #[error(transparent)]
    Walk(#[from] WalkError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("`{}` is a folder, but the bundle signs a single file", .0.display())]
    ExpectedFile(PathBuf),
    #[error("`{}` is a single file, but the bundle signs a folder", .0.display())]
    ExpectedFolder(PathBuf),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl VerifyError {
    pub fn hint(&self) -> Option<String> {
        match self {
            VerifyError::NoBundle(_) | VerifyError::NoFileBundle { .. } => {
                Some("name the bundle with `--bundle FILE`".into())
            }
            VerifyError::Walk(e) => e.hint(),
            VerifyError::Hash(e) => e.hint(),
            VerifyError::Bundle(BundleError::Input(e)) => e.hint(),
            _ => None,
        }
    }
}

/// What the signed statement says must be on disk.
struct Expected {
    format: BundleFormat,
    files: ExpectedFiles,
    root: Option<Sha256Digest>,
    ignore: Vec<RelPath>,
    symlinks: SymlinkPolicy,
    model: Option<String>,
    findings: Option<FindingCounts>,
}

enum ExpectedFiles {
    Folder(Vec<(RelPath, Sha256Digest)>),
    /// One file: its digest, and the name it was signed under when the statement records one.
    Single(Sha256Digest, Option<String>),
}

impl ExpectedFiles {
    fn len(&self) -> usize {
        match self {
            ExpectedFiles::Folder(files) => files.len(),
            ExpectedFiles::Single(..) => 1,
        }
    }
}

/// The bundle to check for the release at `path`: `given`, else the first default bundle found.
pub fn find_bundle(path: &Path, given: Option<&Path>) -> Result<PathBuf, VerifyError> {
    match given {
        Some(bundle) => Ok(bundle.to_path_buf()),
        None => select_bundle(path, None, &Trust::default()),
    }
}

/// Where the bundle of the release at `path` can be, in order of preference: in a folder, its
/// two default bundles; beside a single file, that file's own (`FILE.sigstore.json`,
/// `FILE.sig`), then the `model.sig` the reference writes by default.
fn bundle_candidates(path: &Path) -> Vec<PathBuf> {
    if path.is_dir() {
        return BUNDLE_NAMES.iter().map(|n| path.join(n)).collect();
    }
    let on_file = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    // Beside the file, named as the user would write it (`model.sig`, not `./model.sig`).
    let reference_default = BundleFormat::Oms.default_file_name();
    let beside = path.parent().map_or_else(
        || PathBuf::from(reference_default),
        |folder| folder.join(reference_default),
    );
    vec![on_file(".sigstore.json"), on_file(".sig"), beside]
}

/// The bundle to check: `given`, else, of the default bundles present, the first whose key hint
/// names one of the trusted keys, else the first signed the way `trust` can check (a
/// certificate chain with `--cert-root`, a keyless certificate with `--identity`), else the
/// first that names no key, else the first present (whose verification then says which key
/// signed it).
pub fn select_bundle(
    path: &Path,
    given: Option<&Path>,
    trust: &Trust,
) -> Result<PathBuf, VerifyError> {
    if let Some(bundle) = given {
        match fs::metadata(bundle) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(VerifyError::BundleMissing(bundle.into()));
            }
            Ok(m) if m.is_dir() => return Err(VerifyError::BundleFolder(bundle.into())),
            _ => return Ok(bundle.to_path_buf()),
        }
    }
    let candidates = bundle_candidates(path);
    let present: Vec<&PathBuf> = candidates.iter().filter(|c| c.is_file()).collect();
    match present.as_slice() {
        [] if path.is_dir() => Err(VerifyError::NoBundle(path.into())),
        [] => Err(VerifyError::NoFileBundle {
            file: path.into(),
            looked: candidates
                .iter()
                .map(|c| format!("`{}`", c.display()))
                .collect::<Vec<_>>()
                .join(", "),
        }),
        [only] => Ok((*only).clone()),
        several => {
            let ids = trust.key_ids();
            let material: Vec<Option<KeyMaterial>> = several
                .iter()
                .map(|c| read_bundle(c).ok().map(|b| b.key))
                .collect();
            let named = material
                .iter()
                .position(|m| matches!(m, Some(KeyMaterial::Hint(hint)) if ids.contains(hint)));
            let unnamed = || {
                material.iter().position(|m| {
                    matches!(m, Some(KeyMaterial::None | KeyMaterial::LegacyRawBytes))
                })
            };
            let by_method = || {
                material.iter().position(|m| match m {
                    Some(KeyMaterial::Chain(_)) => trust.certificates.is_some(),
                    Some(KeyMaterial::Certificate(_)) => trust.keyless.is_some(),
                    _ => false,
                })
            };
            let chosen = named.or_else(by_method).or_else(unnamed).unwrap_or(0);
            Ok(several[chosen].clone())
        }
    }
}

/// A rejected bundle: the signature or statement check failed.
fn rejected(bundle: &Path, problem: String, warnings: Vec<String>) -> Verification {
    Verification {
        schema_version: SCHEMA_VERSION,
        bundle: bundle.display().to_string(),
        format: None,
        model: None,
        sealed_findings: None,
        key: None,
        signer: None,
        signature: SignatureStatus::Failed,
        verdict: format!("FAILED: {problem}"),
        problem: Some(problem),
        root: None,
        signed_files: 0,
        files: None,
        warnings,
        payload: Vec::new(),
    }
}

/// A payload whose signature verified with one of the given keys, and what was parsed from
/// the very bytes that were verified.
#[derive(Debug)]
pub struct Signed<T> {
    pub signer: Signer,
    pub payload_type: String,
    pub parsed: T,
}

/// Feeds every byte read through it to the signature checks.
struct Tee<'v, 'k, R> {
    inner: R,
    verifiers: &'v mut [(&'k PublicKey, StreamVerifier)],
}

impl<R: Read> Read for Tee<'_, '_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (_, v) in self.verifiers.iter_mut() {
            v.update(&buf[..n]);
        }
        Ok(n)
    }
}

/// Who may have signed a bundle, before its signature is checked.
enum Candidates<'k> {
    /// The trusted keys the bundle's key material allows.
    Keys(Vec<&'k PublicKey>),
    /// The leaf of a certificate chain whose path to a trusted anchor holds.
    Leaf(Box<crate::sign::x509::VerifiedLeaf>),
    /// A keyless bundle verified whole (certificate, log, timestamps, signature).
    Keyless(crate::sign::keyless::KeylessVerified),
}

/// Establishes who may have signed: the key hint against the trusted keys, a certificate
/// chain's path to a trusted anchor, or a keyless bundle's whole Sigstore verification.
fn candidates<'k, S: Source>(
    bundle_path: &Path,
    bundle: &ReadBundle<S>,
    trust: &'k Trust,
    warnings: &mut Vec<String>,
) -> Result<Result<Candidates<'k>, Verification>, VerifyError> {
    let keys = trust.keys.as_slice();
    let reject = |problem: String, warnings: &Vec<String>| {
        Ok(Err(rejected(bundle_path, problem, warnings.clone())))
    };
    let malformed = |reason: String| VerifyError::Malformed {
        bundle: bundle_path.into(),
        reason,
    };
    // The certificate method: the chain's leaf key is the only candidate, once its path to a
    // trusted anchor holds.
    let leaf = match &bundle.key {
        KeyMaterial::Chain(chain) => {
            let Some(anchors) = &trust.certificates else {
                return reject(
                    format!(
                        "the bundle is signed with an X.509 certificate chain, not with {}; \
                         give its trust anchor with `--cert-root`",
                        trust.describe()
                    ),
                    warnings,
                );
            };
            // The wall clock, not `SOURCE_DATE_EPOCH`: a reproducibility setting must not move
            // a validity check.
            match crate::sign::x509::verify_chain(chain, anchors, jiff::Timestamp::now()) {
                Ok(verified) => Some(Box::new(verified)),
                Err(problem) => return reject(problem, warnings),
            }
        }
        KeyMaterial::Certificate(_) => {
            let Some(policy) = &trust.keyless else {
                return reject(
                    format!(
                        "the bundle is signed keyless (a Sigstore certificate and log entry), not with {}; \
                         say whose signature to accept with `--identity` and `--issuer`",
                        trust.describe()
                    ),
                    warnings,
                );
            };
            let verified = match crate::sign::keyless::verify_bundle(bundle_path, bundle, policy)
                .map_err(|e| malformed(e.to_string()))?
            {
                Ok(verified) => verified,
                Err(problem) => return reject(problem, warnings),
            };
            return Ok(Ok(Candidates::Keyless(verified)));
        }
        _ if keys.is_empty() => {
            let named = match &bundle.key {
                KeyMaterial::Hint(hint) => format!(" `{hint}`"),
                _ => String::new(),
            };
            return reject(
                format!(
                    "the bundle is signed with a key{named}, not with {}; give its public key with `--key`",
                    trust.describe()
                ),
                warnings,
            );
        }
        _ => None,
    };
    if let Some(leaf) = leaf {
        return Ok(Ok(Candidates::Leaf(leaf)));
    }
    let candidates: Vec<&PublicKey> = match &bundle.key {
        KeyMaterial::Chain(_) | KeyMaterial::Certificate(_) => Vec::new(),
        KeyMaterial::Hint(hint) => {
            let matching: Vec<&PublicKey> = keys.iter().filter(|k| k.key_id() == *hint).collect();
            if matching.is_empty() {
                let given: Vec<String> = keys.iter().map(PublicKey::key_id).collect();
                let problem = format!(
                    "the bundle was signed by key `{hint}`, not by the given key{} `{}`",
                    plural(given.len()),
                    given.join("`, `")
                );
                return Ok(Err(rejected(bundle_path, problem, warnings.clone())));
            }
            matching
        }
        KeyMaterial::LegacyRawBytes => {
            warnings.push(
                "the bundle uses the verification material of model_signing before 1.1 (the key itself, no key id); \
                 verifying with the given key"
                    .into(),
            );
            keys.iter().collect()
        }
        KeyMaterial::None => keys.iter().collect(),
    };
    Ok(Ok(Candidates::Keys(candidates)))
}

/// Establishes the signer (the key hint against the trusted keys; a certificate chain's path
/// to a trusted anchor; a keyless bundle's whole Sigstore verification), then checks the
/// signature count and the DSSE signature over the payload as it is decoded from the bundle,
/// while `parse` reads the same bytes: what is verified is what is parsed, in one read of the
/// bundle, and nothing parsed is used unless the signature holds. `Ok(Err(v))` is a rejected
/// bundle; `Err` a bundle too malformed to check.
pub fn read_signed<S: Source, T>(
    bundle_path: &Path,
    bundle: &ReadBundle<S>,
    trust: &Trust,
    warnings: &mut Vec<String>,
    parse: impl FnOnce(&mut dyn Read) -> T,
) -> Result<Result<Signed<T>, Verification>, VerifyError> {
    let malformed = |reason: String| VerifyError::Malformed {
        bundle: bundle_path.into(),
        reason,
    };
    let (leaf, keys) = match candidates(bundle_path, bundle, trust, warnings)? {
        Ok(Candidates::Keys(keys)) => (None, keys),
        Ok(Candidates::Leaf(leaf)) => (Some(leaf), Vec::new()),
        Ok(Candidates::Keyless(verified)) => {
            let parsed = parse(&mut verified.payload.as_slice());
            return Ok(Ok(Signed {
                signer: Signer::Keyless(verified.signer),
                payload_type: bundle.payload_type.clone(),
                parsed,
            }));
        }
        Err(rejection) => return Ok(Err(rejection)),
    };
    let candidates: Vec<&PublicKey> = match &leaf {
        Some(l) => vec![&l.key],
        None => keys,
    };
    let signatures = &bundle.signatures;
    let [signature] = signatures.as_slice() else {
        let problem = if signatures.is_empty() {
            "the bundle holds no signature".to_owned()
        } else {
            format!(
                "the bundle holds {} signatures; a Sigstore bundle carries exactly one",
                signatures.len()
            )
        };
        return Ok(Err(rejected(bundle_path, problem, warnings.clone())));
    };
    let len = bundle.payload_len().map_err(|e| malformed(e.to_string()))?;
    let sig = decode_base64("dsseEnvelope.signatures[0].sig", &signature.sig)
        .map_err(|e| malformed(e.to_string()))?;
    let payload_type = bundle.payload_type.clone();
    let prefix = pae_prefix(&payload_type, len);
    let mut verifiers: Vec<(&PublicKey, StreamVerifier)> = candidates
        .into_iter()
        .map(|k| {
            let mut v = k.stream_verifier(&sig);
            v.update(&prefix);
            (k, v)
        })
        .collect();
    let payload = bundle.payload().map_err(|e| malformed(e.to_string()))?;
    let parsed = {
        let mut tee = Tee {
            inner: payload,
            verifiers: &mut verifiers,
        };
        // Unbuffered here: the parser brings its own buffer, of a concrete type, which lets the
        // standard library read it a byte at a time without a call per byte.
        let parsed = parse(&mut tee);
        // What the parser left unread still counts for the signature.
        std::io::copy(&mut tee, &mut std::io::sink())
            .map_err(|e| malformed(format!("the payload cannot be read: {e}")))?;
        parsed
    };
    let signer = verifiers
        .into_iter()
        .find_map(|(k, v)| v.finish().then_some(k));
    let Some(signer) = signer else {
        let with = if let KeyMaterial::Chain(_) = &bundle.key {
            "the signing certificate's key".to_owned()
        } else {
            let ids = trust.key_ids();
            format!("key `{}`", ids.join("`, `"))
        };
        let mut problem = format!(
            "the signature does not verify with {with}: the payload, its type or the signature was changed after signing"
        );
        if payload_type != IN_TOTO_PAYLOAD_TYPE {
            let _ = write!(problem, " (the payload type is now `{payload_type}`)");
        }
        return Ok(Err(rejected(bundle_path, problem, warnings.clone())));
    };
    let signer = match &leaf {
        Some(l) => Signer::Certificate(l.signer.clone()),
        None => Signer::Key {
            key_id: signer.key_id(),
            algorithm: signer.algorithm().as_str().into(),
        },
    };
    Ok(Ok(Signed {
        signer,
        payload_type,
        parsed,
    }))
}

/// Verifies the release at `path`: a folder, one file, or a Hugging Face cache repository folder
/// (the snapshot of `options.revision`).
pub fn verify(
    path: &Path,
    options: &VerifyOptions,
    progress: &dyn Progress,
) -> Result<Verification, VerifyError> {
    verify_with::<FileDigest>(path, options, progress, false).map(|(v, _)| v)
}

/// [`verify`], also returning the signed scelle statement (with file records `F`) when `keep`
/// is set and the bundle verified: read from the bytes that were verified, never read again.
pub fn verify_with<F: Record + DeserializeOwned>(
    path: &Path,
    options: &VerifyOptions,
    progress: &dyn Progress,
    keep: bool,
) -> Result<(Verification, Option<Statement<F>>), VerifyError> {
    let resolved = walk::resolve_release(path, options.revision.as_deref())?;
    let path = resolved.path.as_path();
    let bundle_path = select_bundle(path, options.bundle.as_deref(), &options.trust)?;
    let bundle = read_bundle(&bundle_path)?;
    let mut warnings = Vec::new();
    let signed = read_signed(
        &bundle_path,
        &bundle,
        &options.trust,
        &mut warnings,
        |payload| parse_payload::<F>(payload, options.manifest_only),
    )?;
    drop(bundle);
    let Signed {
        signer,
        payload_type,
        parsed,
    } = match signed {
        Ok(signed) => signed,
        Err(rejection) => return Ok((rejection, None)),
    };
    let signed_rejected = |problem: String, warnings: Vec<String>| {
        let mut v = rejected(&bundle_path, problem, warnings);
        v.key = SignerKey::of(&signer);
        v.signer = Some(signer.clone());
        (v, None)
    };
    if payload_type != IN_TOTO_PAYLOAD_TYPE {
        let problem =
            format!("the payload type is `{payload_type}`, expected `{IN_TOTO_PAYLOAD_TYPE}`");
        return Ok(signed_rejected(problem, warnings));
    }
    let (parsed, payload) = parsed;
    let statement = parsed.map_err(|e| VerifyError::Malformed {
        bundle: bundle_path.clone(),
        reason: format!("the signed payload is not a valid statement: {e}"),
    })?;
    let statement_type = statement.statement_type.as_deref().unwrap_or_default();
    if statement_type != STATEMENT_TYPE {
        let problem =
            format!("the statement type is `{statement_type}`, expected `{STATEMENT_TYPE}`");
        return Ok(signed_rejected(problem, warnings));
    }
    let (expected, kept) = match expected_files(statement, keep) {
        Ok(e) => e,
        Err(StatementError::Rejected(problem)) => return Ok(signed_rejected(problem, warnings)),
        Err(StatementError::Malformed(reason)) => {
            return Err(VerifyError::Malformed {
                bundle: bundle_path,
                reason,
            });
        }
        Err(StatementError::Unsupported(reason)) => {
            return Err(VerifyError::Unsupported {
                bundle: bundle_path,
                reason,
            });
        }
    };

    let mut verification = Verification {
        schema_version: SCHEMA_VERSION,
        bundle: bundle_path.display().to_string(),
        format: Some(expected.format),
        model: expected
            .model
            .clone()
            .or_else(|| resolved.hub.as_ref().map(|h| h.repo.clone())),
        sealed_findings: expected.findings.clone(),
        key: SignerKey::of(&signer),
        signer: Some(signer),
        signature: SignatureStatus::Verified,
        problem: None,
        root: expected.root,
        signed_files: expected.files.len(),
        files: None,
        warnings,
        verdict: String::new(),
        payload: Vec::new(),
    };
    if options.manifest_only {
        verification.payload = payload;
        verification.verdict = format!(
            "signature verified ({} signed file{}); the release was not hashed (`--manifest-only`)",
            verification.signed_files,
            plural(verification.signed_files)
        );
        return Ok((verification, kept));
    }
    let check = compare_with_disk(
        path,
        &bundle_path,
        &expected,
        options,
        progress,
        &mut verification.warnings,
    )?;
    verification.verdict = verdict(&verification, &check);
    verification.files = Some(check);
    Ok((verification, kept))
}

/// The statement a payload holds, read as it streams; with `keep` (`--manifest-only`, which
/// writes the payload out) the bytes are kept too, the only case where the whole payload is held.
fn parse_payload<F: Record + DeserializeOwned>(
    payload: &mut dyn Read,
    keep: bool,
) -> (Result<AnyStatement<F>, serde_json::Error>, Vec<u8>) {
    if keep {
        let mut bytes = Vec::new();
        let parsed = payload
            .read_to_end(&mut bytes)
            .map_err(serde_json::Error::io)
            .and_then(|_| serde_json::from_slice::<AnyStatement<F>>(&bytes));
        (parsed, bytes)
    } else {
        (
            serde_json::from_reader::<_, AnyStatement<F>>(std::io::BufReader::with_capacity(
                1 << 16,
                payload,
            )),
            Vec::new(),
        )
    }
}

enum StatementError {
    /// A validly signed statement that must not be accepted (exit status 1).
    Rejected(String),
    Malformed(String),
    Unsupported(String),
}

/// What the statement says must be on disk, and the scelle statement itself when `keep` is set.
fn expected_files<F: Record>(
    statement: AnyStatement<F>,
    keep: bool,
) -> Result<(Expected, Option<Statement<F>>), StatementError> {
    let predicate_type = statement.predicate_type.clone().unwrap_or_default();
    match predicate_type.as_str() {
        PREDICATE_TYPE if !keep => {
            let list = statement.into_signed_list().map_err(scelle_problem)?;
            let expected = Expected {
                format: BundleFormat::Scelle,
                files: scelle_files(list.scan.single_file, list.files)?,
                model: list.scan.hub.as_ref().map(|h| h.repo.clone()),
                findings: Some(FindingCounts::of(&list.findings)),
                root: Some(list.root),
                symlinks: symlink_policy(&list.scan.symlinks)?,
                ignore: list.scan.ignore,
            };
            Ok((expected, None))
        }
        PREDICATE_TYPE => {
            let statement = statement.into_scelle().map_err(scelle_problem)?;
            let expected = scelle_expected(&statement)?;
            Ok((expected, keep.then_some(statement)))
        }
        OMS_PREDICATE_TYPE | OMS_LEGACY_PREDICATE_TYPE => {
            let manifest = oms::from_any(&statement, predicate_type == OMS_LEGACY_PREDICATE_TYPE)
                .map_err(|e| match e {
                OmsError::Malformed(m) => {
                    StatementError::Malformed(format!("malformed OMS statement: {m}"))
                }
                OmsError::Unsupported(m) => {
                    StatementError::Unsupported(format!("unsupported OMS statement: {m}"))
                }
                inconsistent @ OmsError::Inconsistent { .. } => {
                    StatementError::Rejected(inconsistent.to_string())
                }
            })?;
            let mut ignore = manifest.ignore_paths;
            if predicate_type == OMS_LEGACY_PREDICATE_TYPE || ignore.is_empty() {
                // Bundles before model_signing 1.1 record no ignores; its verifier applies the git ones.
                ignore.extend(
                    DEFAULT_IGNORES[..4]
                        .iter()
                        .filter_map(|n| RelPath::new(*n).ok()),
                );
            }
            let model = Some(manifest.model_name.clone()).filter(|n| !n.is_empty());
            let expected = Expected {
                format: BundleFormat::Oms,
                files: match manifest.files {
                    SignedFiles::Folder(files) => ExpectedFiles::Folder(files),
                    SignedFiles::Single(d) => ExpectedFiles::Single(d, model.clone()),
                },
                model,
                findings: None,
                root: manifest.root,
                ignore,
                symlinks: if manifest.allow_symlinks {
                    SymlinkPolicy::FollowInside
                } else {
                    SymlinkPolicy::Reject
                },
            };
            Ok((expected, None))
        }
        other => Err(StatementError::Rejected(format!(
            "the predicate type is `{other}`, neither scelle's (`{PREDICATE_TYPE}`) nor OpenSSF Model Signing's (`{OMS_PREDICATE_TYPE}`)"
        ))),
    }
}

fn scelle_problem(problem: AnyProblem) -> StatementError {
    match problem {
        AnyProblem::Malformed(m) => {
            StatementError::Malformed(format!("malformed scelle statement: {m}"))
        }
        AnyProblem::Inconsistent(p @ StatementProblem::Duplicate(_)) => {
            StatementError::Malformed(format!("malformed scelle statement: {p}"))
        }
        AnyProblem::Inconsistent(p) => {
            StatementError::Rejected(format!("the statement is inconsistent: {p}"))
        }
    }
}

fn symlink_policy(name: &str) -> Result<SymlinkPolicy, StatementError> {
    match name {
        "reject" => Ok(SymlinkPolicy::Reject),
        "follow-inside" => Ok(SymlinkPolicy::FollowInside),
        other => Err(StatementError::Malformed(format!(
            "unknown symlink policy `{other}`"
        ))),
    }
}

fn scelle_expected<F: Record>(statement: &Statement<F>) -> Result<Expected, StatementError> {
    let predicate = &statement.predicate;
    let symlinks = symlink_policy(&predicate.scan.symlinks)?;
    let files = scelle_files(
        predicate.scan.single_file,
        predicate
            .files
            .iter()
            .map(|f| (f.path().clone(), *f.sha256()))
            .collect(),
    )?;
    Ok(Expected {
        format: BundleFormat::Scelle,
        files,
        model: predicate.scan.hub.as_ref().map(|h| h.repo.clone()),
        findings: Some(FindingCounts::of_files(&predicate.files)),
        root: Some(predicate.root.sha256),
        ignore: predicate.scan.ignore.clone(),
        symlinks,
    })
}

/// The files a scelle statement lists: one file for a single-file release, else a folder.
fn scelle_files(
    single_file: bool,
    files: Vec<(RelPath, Sha256Digest)>,
) -> Result<ExpectedFiles, StatementError> {
    if !single_file {
        return Ok(ExpectedFiles::Folder(files));
    }
    match <[_; 1]>::try_from(files) {
        Ok([(path, digest)]) => Ok(ExpectedFiles::Single(digest, Some(path.to_string()))),
        Err(files) => Err(StatementError::Malformed(format!(
            "malformed scelle statement: a single-file release with {} files",
            files.len()
        ))),
    }
}

/// Walks and hashes the release as it was sealed and compares it with the signed list.
fn compare_with_disk(
    path: &Path,
    bundle: &Path,
    expected: &Expected,
    options: &VerifyOptions,
    progress: &dyn Progress,
    warnings: &mut Vec<String>,
) -> Result<FileCheck, VerifyError> {
    let signed = match &expected.files {
        ExpectedFiles::Single(digest, name) => {
            let check = compare_single_file(path, *digest, options.jobs, progress)?;
            let own = path.file_name().and_then(|n| n.to_str());
            if let (Some(signed), Some(own)) = (name, own)
                && signed != own
                && expected.format == BundleFormat::Scelle
            {
                warnings.push(format!(
                    "the file is named `{own}`; it was signed as `{signed}` (the digest decides)"
                ));
            }
            return Ok(check);
        }
        ExpectedFiles::Folder(files) => files,
    };
    if !fs::metadata(path)?.is_dir() {
        return Err(VerifyError::ExpectedFolder(path.into()));
    }
    let mut ignore = expected.ignore.clone();
    ignore.extend(options.ignore.iter().cloned());
    ignore.extend(walk::relative_inside(path, bundle));
    // A bundle of the other format, made before or after this one, is not release content.
    for name in BUNDLE_NAMES {
        let listed = signed.iter().any(|(p, _)| p.as_str() == name);
        if !listed && walk::is_bundle_file(&path.join(name)) {
            ignore.extend(RelPath::new(name).ok());
        }
    }
    let walk_options = WalkOptions {
        ignore,
        no_default_ignores: true,
        symlinks: if options.allow_symlinks {
            SymlinkPolicy::FollowInside
        } else {
            expected.symlinks
        },
        allow_empty: true,
        revision: None,
    };
    let walked = walk::walk(path, &walk_options)?;
    let (to_hash, unsigned): (Vec<WalkEntry>, Vec<WalkEntry>) = if options.ignore_unsigned {
        let signed_paths: HashSet<&RelPath> = signed.iter().map(|(p, _)| p).collect();
        walked
            .entries
            .into_iter()
            .partition(|e| signed_paths.contains(&e.rel))
    } else {
        (walked.entries, Vec::new())
    };
    let total: u64 = to_hash.iter().map(|e| e.size).sum();
    progress.begin(total);
    let advance = |n| progress.advance(n);
    let hashed = hash::hash_files(&to_hash, &hash::plain(options.jobs, &advance));
    progress.end();
    let on_disk: Vec<(RelPath, Sha256Digest)> = to_hash
        .into_iter()
        .zip(hashed?)
        .map(|(e, (h, ()))| (e.rel, h.sha256))
        .collect();
    let mut check = diff(signed, &on_disk);
    check.unsigned = unsigned.into_iter().map(|e| e.rel).collect();
    Ok(check)
}

fn compare_single_file(
    path: &Path,
    expected: Sha256Digest,
    jobs: usize,
    progress: &dyn Progress,
) -> Result<FileCheck, VerifyError> {
    let meta = fs::metadata(path)?;
    if meta.is_dir() {
        return Err(VerifyError::ExpectedFile(path.into()));
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let rel = RelPath::new(name).map_err(|reason| WalkError::BadName {
        path: path.into(),
        reason,
    })?;
    let entry = WalkEntry {
        rel: rel.clone(),
        path: path.into(),
        size: meta.len(),
        stamp: walk::Stamp::of(&meta),
        hub_blob: None,
    };
    progress.begin(meta.len());
    let advance = |n| progress.advance(n);
    let hashed = hash::hash_files(std::slice::from_ref(&entry), &hash::plain(jobs, &advance));
    progress.end();
    let actual = hashed?.remove(0).0.sha256;
    let mut check = FileCheck {
        checked: 1,
        ..FileCheck::default()
    };
    if actual == expected {
        check.matched = 1;
    } else {
        check.modified.push(Modified {
            path: rel,
            expected,
            actual,
            content_of: None,
        });
    }
    Ok(check)
}

/// The two lists merged in path order: signed files found with another digest (index, digest
/// found), signed files not found, files found but not signed (indices); `matched` counts the rest.
#[allow(clippy::type_complexity)]
fn merge_by_path(
    signed: &[(RelPath, Sha256Digest)],
    on_disk: &[(RelPath, Sha256Digest)],
    matched: &mut usize,
) -> (Vec<(usize, Sha256Digest)>, Vec<usize>, Vec<usize>) {
    fn order(list: &[(RelPath, Sha256Digest)]) -> Vec<usize> {
        let mut idx: Vec<usize> = (0..list.len()).collect();
        if !list.windows(2).all(|w| w[0].0 <= w[1].0) {
            idx.sort_by(|&a, &b| list[a].0.cmp(&list[b].0));
        }
        idx
    }
    let (si, di) = (order(signed), order(on_disk));
    let (mut modified, mut missing_at, mut extra_at) = (Vec::new(), Vec::new(), Vec::new());
    let (mut a, mut b) = (0, 0);
    while a < si.len() || b < di.len() {
        let next = match (si.get(a), di.get(b)) {
            (Some(&x), Some(&y)) => signed[x].0.cmp(&on_disk[y].0),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        match next {
            std::cmp::Ordering::Equal => {
                let (x, y) = (si[a], di[b]);
                if signed[x].1 == on_disk[y].1 {
                    *matched += 1;
                } else {
                    modified.push((x, on_disk[y].1));
                }
                a += 1;
                b += 1;
            }
            std::cmp::Ordering::Less => {
                missing_at.push(si[a]);
                a += 1;
            }
            std::cmp::Ordering::Greater => {
                extra_at.push(di[b]);
                b += 1;
            }
        }
    }
    (modified, missing_at, extra_at)
}

/// Every difference between the signed list and what is on disk (`on_disk` in manifest order).
/// Results follow the order of the lists, so reports are deterministic. The two lists are
/// merged in path order (a scelle statement and the walk are already in it; another list is
/// ordered by index first), so no map of a million paths is built.
pub fn diff(signed: &[(RelPath, Sha256Digest)], on_disk: &[(RelPath, Sha256Digest)]) -> FileCheck {
    let mut check = FileCheck {
        checked: on_disk.len(),
        ..FileCheck::default()
    };
    let (mut modified, mut missing_at, mut extra_at) =
        merge_by_path(signed, on_disk, &mut check.matched);
    modified.sort_unstable_by_key(|(x, _)| *x);
    missing_at.sort_unstable();
    extra_at.sort_unstable();
    // Which signed path a digest belongs to, to name swapped or copied content: looked up for
    // the modified files only.
    let wanted: HashSet<Sha256Digest> = modified.iter().map(|(_, d)| *d).collect();
    let mut owner: HashMap<Sha256Digest, &RelPath> = HashMap::new();
    if !wanted.is_empty() {
        for (path, digest) in signed {
            if wanted.contains(digest) {
                owner.entry(*digest).or_insert(path);
            }
        }
    }
    for (x, actual) in modified {
        check.modified.push(Modified {
            path: signed[x].0.clone(),
            expected: signed[x].1,
            actual,
            content_of: owner.get(&actual).map(|p| (*p).clone()),
        });
    }
    let missing: Vec<Missing> = missing_at
        .into_iter()
        .map(|x| Missing {
            path: signed[x].0.clone(),
            expected: signed[x].1,
        })
        .collect();
    let mut extra: Vec<Extra> = extra_at
        .into_iter()
        .map(|y| Extra {
            path: on_disk[y].0.clone(),
            actual: on_disk[y].1,
        })
        .collect();
    // A missing name whose twin in another Unicode normal form is on disk is named as such,
    // whatever the content: the two look the same on a terminal and are one file on macOS.
    let mut still_missing = Vec::with_capacity(missing.len());
    for gone in missing {
        let signed_nfc = crate::text::nfc(gone.path.as_str());
        let twin = extra
            .iter()
            .position(|e| crate::text::nfc(e.path.as_str()) == signed_nfc);
        if let Some(i) = twin {
            let found = extra.remove(i);
            check.lookalike.push(Lookalike {
                signed: gone.path,
                found: found.path,
                expected: gone.expected,
                actual: found.actual,
            });
        } else {
            still_missing.push(gone);
        }
    }
    // A missing file whose exact content appears under a new, unsigned name was renamed.
    for gone in still_missing {
        if let Some(i) = extra.iter().position(|e| e.actual == gone.expected) {
            let moved = extra.remove(i);
            check.renamed.push(Renamed {
                from: gone.path,
                to: moved.path,
                sha256: gone.expected,
            });
        } else {
            check.missing.push(gone);
        }
    }
    check.extra = extra;
    check
}

fn verdict(v: &Verification, check: &FileCheck) -> String {
    let key = match (&v.key, &v.signer) {
        (Some(k), _) => format!(" signed by {} key {}", k.algorithm, short(&k.id)),
        (None, Some(signer)) => format!(" signed by {}", signer.describe()),
        (None, None) => String::new(),
    };
    if check.is_clean() {
        let unsigned = if check.unsigned.is_empty() {
            String::new()
        } else {
            format!(
                "; {} unsigned file{} ignored",
                check.unsigned.len(),
                plural(check.unsigned.len())
            )
        };
        // A good signature over a release the publisher knew was unsafe is still worth a word in
        // the one line a reader is sure to see.
        let sealed = v
            .sealed_findings
            .as_ref()
            .filter(|c| c.error > 0)
            .map_or_else(String::new, |c| {
                format!(
                    "; the publisher sealed it with {}",
                    c.summary(Severity::Error)
                )
            });
        let all = if v.signed_files == 1 {
            "the signed file matches".to_owned()
        } else {
            format!("all {} signed files match", v.signed_files)
        };
        return format!("verified: {all} the bundle{key}{unsigned}{sealed}");
    }
    let mut parts = Vec::new();
    for (n, what) in [
        (check.modified.len(), "modified"),
        (check.missing.len(), "missing"),
        (check.extra.len(), "extra (unsigned)"),
        (check.renamed.len(), "renamed"),
        (check.lookalike.len(), "under a look-alike name"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    format!(
        "FAILED: {} of {} signed files differ: {}",
        v.signed_files - check.matched,
        v.signed_files,
        parts.join(", ")
    )
    .replace("FAILED: 0 of", "FAILED: none of")
}

/// `NFC`, `NFD`, or `mixed forms`, to tell two names that look the same apart.
pub fn normal_form(name: &str) -> &'static str {
    use unicode_normalization::{IsNormalized, is_nfc_quick, is_nfd_quick};
    if is_nfc_quick(name.chars()) == IsNormalized::Yes {
        "NFC"
    } else if is_nfd_quick(name.chars()) == IsNormalized::Yes {
        "NFD"
    } else {
        "neither NFC nor NFD"
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// The first 16 hex digits of a key id, enough to tell keys apart in a sentence.
pub fn short(id: &str) -> &str {
    id.get(..16).unwrap_or(id)
}

impl Verification {
    /// The findings this verification amounts to; [`crate::ExitStatus::from_findings`] turns
    /// them into the exit status.
    pub fn findings(&self) -> Vec<Finding> {
        let mut findings = Vec::new();
        if let Some(problem) = &self.problem {
            findings.push(
                Finding::fail("verify/signature", Severity::Error, problem.clone())
                    .with_subject(self.bundle.clone())
                    .with_fix("re-sign the release, or check that the right public key and bundle were given"),
            );
        }
        let Some(check) = &self.files else {
            return findings;
        };
        for m in &check.modified {
            let mut message = format!(
                "`{}` was modified: signed sha256:{}, found sha256:{}",
                m.path, m.expected, m.actual
            );
            if let Some(of) = &m.content_of {
                let _ = write!(message, " (the content signed as `{of}`)");
            }
            findings.push(
                Finding::fail("verify/modified", Severity::Error, message)
                    .with_subject(m.path.to_string()),
            );
        }
        for m in &check.missing {
            findings.push(
                Finding::fail(
                    "verify/missing",
                    Severity::Error,
                    format!("`{}` is missing (signed sha256:{})", m.path, m.expected),
                )
                .with_subject(m.path.to_string()),
            );
        }
        for e in &check.extra {
            findings.push(
                Finding::fail(
                    "verify/extra",
                    Severity::Error,
                    format!("`{}` is not in the signed manifest", e.path),
                )
                .with_subject(e.path.to_string())
                .with_fix("remove it, re-sign, or pass `--ignore-unsigned-files`"),
            );
        }
        for r in &check.renamed {
            findings.push(
                Finding::fail(
                    "verify/renamed",
                    Severity::Error,
                    format!("`{}` was renamed to `{}`", r.from, r.to),
                )
                .with_subject(r.from.to_string()),
            );
        }
        for l in &check.lookalike {
            let content = if l.expected == l.actual {
                "with the signed content"
            } else {
                "with other content"
            };
            findings.push(
                Finding::fail(
                    "verify/lookalike",
                    Severity::Error,
                    format!(
                        "`{}` ({}) is missing, and `{}` ({}) is on disk {content}: the same name in another Unicode normal form",
                        l.signed,
                        normal_form(l.signed.as_str()),
                        l.found,
                        normal_form(l.found.as_str())
                    ),
                )
                .with_subject(l.signed.to_string())
                .with_fix("rename the file to the signed name (or re-sign), and keep names in NFC"),
            );
        }
        for u in &check.unsigned {
            findings.push(
                Finding::fail(
                    "verify/unsigned",
                    Severity::Info,
                    format!("`{u}` is not in the signed manifest (ignored)"),
                )
                .with_subject(u.to_string()),
            );
        }
        findings
    }

    /// The signing algorithm, when the signature verified.
    pub fn algorithm(&self) -> Option<Algorithm> {
        self.key.as_ref().and_then(|k| match k.algorithm.as_str() {
            "ed25519" => Some(Algorithm::Ed25519),
            "ecdsa-p256-sha256" => Some(Algorithm::P256),
            "ecdsa-p384-sha384" => Some(Algorithm::P384),
            "ecdsa-p521-sha512" => Some(Algorithm::P521),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> RelPath {
        RelPath::new(s).unwrap()
    }

    fn d(s: &str) -> Sha256Digest {
        Sha256Digest::of(s.as_bytes())
    }

    #[test]
    fn diff_names_every_kind_of_difference() {
        let signed = vec![
            (p("same"), d("same")),
            (p("edited"), d("v1")),
            (p("gone"), d("gone")),
            (p("old-name"), d("moved")),
            (p("a"), d("A")),
            (p("b"), d("B")),
        ];
        let on_disk: Vec<(RelPath, Sha256Digest)> = [
            (p("same"), d("same")),
            (p("edited"), d("v2")),
            (p("new-name"), d("moved")),
            (p("a"), d("B")),
            (p("b"), d("A")),
            (p("added"), d("added")),
        ]
        .into_iter()
        .collect();
        let check = diff(&signed, &on_disk);
        assert_eq!(check.matched, 1);
        assert_eq!(check.checked, 6);
        let modified: Vec<(&str, Option<&str>)> = check
            .modified
            .iter()
            .map(|m| (m.path.as_str(), m.content_of.as_ref().map(RelPath::as_str)))
            .collect();
        assert_eq!(
            modified,
            [("edited", None), ("a", Some("b")), ("b", Some("a"))]
        );
        assert_eq!(
            check.missing,
            [Missing {
                path: p("gone"),
                expected: d("gone")
            }]
        );
        assert_eq!(
            check.renamed,
            [Renamed {
                from: p("old-name"),
                to: p("new-name"),
                sha256: d("moved")
            }]
        );
        assert_eq!(
            check.extra,
            [Extra {
                path: p("added"),
                actual: d("added")
            }]
        );
        assert!(!check.is_clean());
    }

    /// A bundle file that reads differently once it has been read to its end: what a bundle
    /// rewritten between a verification and a second read would serve.
    struct Swapping {
        first: Vec<u8>,
        second: Vec<u8>,
        swapped: std::cell::Cell<bool>,
    }

    impl Source for Swapping {
        fn size(&self) -> u64 {
            self.first.len() as u64
        }
        fn read_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<usize> {
            let bytes = if self.swapped.get() {
                &self.second
            } else {
                &self.first
            };
            let n = bytes.as_slice().read_at(buf, offset)?;
            if offset + n as u64 >= bytes.len() as u64 {
                self.swapped.set(true);
            }
            Ok(n)
        }
    }

    #[test]
    fn what_is_parsed_is_what_was_verified() {
        use crate::sign::{Algorithm, PrivateKey, sign_statement};
        let key = PrivateKey::generate(Algorithm::Ed25519).unwrap();
        let signed = sign_statement(br#"{"n":1}"#, &key).to_json_bytes();
        let forged = String::from_utf8(signed.clone()).unwrap().replace(
            &crate::sign::dsse::encode_base64(br#"{"n":1}"#),
            &crate::sign::dsse::encode_base64(br#"{"n":2}"#),
        );
        assert_eq!(forged.len(), signed.len());
        let keys = Trust::keys(vec![key.public_key()]);
        let read = |source: Swapping| {
            let bundle = crate::sign::bundle::read_from(Path::new("b"), source).unwrap();
            read_signed(Path::new("b"), &bundle, &keys, &mut Vec::new(), |payload| {
                let mut out = Vec::new();
                payload.read_to_end(&mut out).unwrap();
                out
            })
            .unwrap()
            .map_err(Box::new)
        };
        let steady = read(Swapping {
            first: signed.clone(),
            second: signed.clone(),
            swapped: std::cell::Cell::new(false),
        });
        assert_eq!(steady.unwrap().parsed, br#"{"n":1}"#);
        // The file changes after its first read: the statement that would be parsed is the
        // one checked, so the swap is a failed signature, never a forged statement accepted.
        let swapped = read(Swapping {
            first: signed,
            second: forged.into_bytes(),
            swapped: std::cell::Cell::new(false),
        });
        assert_eq!(swapped.unwrap_err().signature, SignatureStatus::Failed);
    }

    #[test]
    fn identical_trees_are_clean() {
        let signed = vec![(p("x"), d("x"))];
        let on_disk = vec![(p("x"), d("x"))];
        assert!(diff(&signed, &on_disk).is_clean());
    }
}
