//! Attestations: the result of one `check` or `verify`, signed by whoever ran it, so that an
//! auditor's verdict travels with the release and cannot be edited unseen.
//!
//! An attestation is an in-toto Statement v1 in a DSSE envelope in a Sigstore bundle, signed the
//! way `scelle sign` signs a manifest (the same keys, PAE and bundle code). Its first subject is
//! the release, named after it, with the release's root digest; when a bundle was checked, the
//! second is that bundle with the SHA-256 of its bytes. The predicate is the JSON report the
//! command prints with `--format json`, plus who attested (`attester`: key id and algorithm) and
//! when (`attested_at`, from [`crate::clock`]).
//!
//! Reading one back checks the signature over the exact payload bytes first, then the payload
//! type, the predicate type (a release's own bundle is named for what it is), the statement, and
//! that the attester it names is the key that signed it. `report --kind audit` starts from
//! [`Attestation::open`] and [`Attestation::report`].

use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::input;
use crate::manifest::{STATEMENT_TYPE, Sha256Digest};
use crate::report::{Output, OutputError};
use crate::sign::{self, KeyError, Passphrase, PrivateKey, PublicKey};
use crate::verify::{self, SignerKey, VerifyError};

/// The predicate type of an attested `scelle check`.
pub const CHECK_PREDICATE_TYPE: &str = "https://scelle.dev/attestation/check/v1";
/// The predicate type of an attested `scelle verify`.
pub const VERIFY_PREDICATE_TYPE: &str = "https://scelle.dev/attestation/verify/v1";
/// Version of the JSON report of `verify ATTESTATION`.
pub const SCHEMA_VERSION: u32 = 1;
/// The largest attestation statement read: a report, never a file list of a whole release.
pub const MAX_ATTESTATION: u64 = 64 << 20;

/// Which command's result is attested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Check,
    Verify,
}

impl Kind {
    pub fn predicate_type(self) -> &'static str {
        match self {
            Kind::Check => CHECK_PREDICATE_TYPE,
            Kind::Verify => VERIFY_PREDICATE_TYPE,
        }
    }

    pub fn of_predicate_type(found: &str) -> Option<Self> {
        [Kind::Check, Kind::Verify]
            .into_iter()
            .find(|k| k.predicate_type() == found)
    }
}

/// One subject of the statement: a name and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subject {
    pub name: String,
    pub digest: SubjectDigest,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectDigest {
    pub sha256: Sha256Digest,
}

/// Who made the attestation: the signing key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attester {
    pub key_id: String,
    pub algorithm: String,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(clippy::struct_field_names)] // `_type` is the in-toto name; `type` is a keyword.
struct Statement {
    #[serde(rename = "_type")]
    statement_type: String,
    subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    predicate_type: String,
    predicate: Value,
}

/// A bundle as it was when the run began: its name and the SHA-256 of its bytes.
#[derive(Debug, Clone)]
pub struct BundleSeen {
    path: PathBuf,
    sha256: Sha256Digest,
}

impl BundleSeen {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Hashes the bundle at `path` (capped and refused if not a regular file, as any bundle).
    pub fn read(path: &Path) -> Result<Self, AttestError> {
        Ok(Self {
            path: path.to_path_buf(),
            sha256: hash_bundle(path)?,
        })
    }
}

fn hash_bundle(path: &Path) -> Result<Sha256Digest, AttestError> {
    let opened = input::open(path, input::Kind::BUNDLE)?;
    let mut reader = opened.reader();
    let mut hash = <sha2::Sha256 as sha2::Digest>::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader.read(&mut buf).map_err(|source| AttestError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        if n == 0 {
            break;
        }
        sha2::Digest::update(&mut hash, &buf[..n]);
    }
    Ok(Sha256Digest(sha2::Digest::finalize(hash).into()))
}

/// What one run attests: the release (its name and root digest), the bundle checked if any,
/// and the JSON report the run printed.
#[derive(Debug)]
pub struct Draft<'a> {
    pub kind: Kind,
    pub release: String,
    pub root: Option<Sha256Digest>,
    pub bundle: Option<BundleSeen>,
    pub report: &'a [u8],
}

impl<'a> Draft<'a> {
    /// The attestation of a check of `input`: the release named as `verify` and `sign` name it
    /// (a folder by its name; a bundle or manifest by the folder it is in), its root digest, and
    /// `json`, the report `check --format json` prints.
    pub fn of_check(
        report: &crate::policy::CheckReport,
        input: &Path,
        bundle: Option<BundleSeen>,
        json: &'a [u8],
    ) -> Self {
        let subject = &report.subject;
        let release = if subject.kind == "folder" {
            subject.name.clone()
        } else {
            let folder = match input.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => Path::new("."),
            };
            sign::release_name(folder, None)
        };
        Draft {
            kind: Kind::Check,
            release,
            root: subject
                .root
                .as_deref()
                .and_then(|r| Sha256Digest::from_hex(r).ok()),
            bundle,
            report: json,
        }
    }

    /// The attestation of a verification of the release named `release`, and `json`, the
    /// report `verify --format json` prints.
    pub fn of_verify(
        verification: &verify::Verification,
        release: String,
        bundle: Option<BundleSeen>,
        json: &'a [u8],
    ) -> Self {
        Draft {
            kind: Kind::Verify,
            release,
            root: verification.root,
            bundle,
            report: json,
        }
    }
}

/// The bundle a run trusting `trust` checks for the release at `input` (its `--bundle`, else
/// the one `verify` picks), hashed before the run; none when nothing is trusted, as nothing is
/// checked then.
pub fn bundle_before(
    input: &Path,
    given: Option<&Path>,
    revision: Option<&str>,
    trust: &crate::sign::Trust,
) -> Result<Option<BundleSeen>, AttestError> {
    if trust.is_empty() {
        return Ok(None);
    }
    if !input.is_dir() && given.is_none() && is_bundle_file(input) {
        return BundleSeen::read(input).map(Some);
    }
    let Ok(release) = crate::walk::resolve_release(input, revision) else {
        return Ok(None);
    };
    match verify::select_bundle(&release.path, given, trust) {
        Ok(path) => BundleSeen::read(&path).map(Some),
        Err(_) => Ok(None),
    }
}

/// An attestation to write at the end of a run: the key that signs it and where it goes, both
/// checked before the run does any work.
#[derive(Debug)]
pub struct Request {
    key: PrivateKey,
    to: Output,
}

impl Request {
    /// With `--attest KEY`: loads the key and checks the attestation's file (`-o`, required)
    /// can be written; the report then goes to stdout. Without: the report goes to `-o`.
    pub fn prepare(
        key: Option<&Path>,
        passphrase_env: Option<&str>,
        output: Option<&Path>,
        force: bool,
    ) -> Result<(Output, Option<Request>, Vec<String>), AttestError> {
        let Some(key) = key else {
            return Ok((
                Output::new(output.map(Path::to_path_buf), force),
                None,
                Vec::new(),
            ));
        };
        let to = match output {
            Some(p) if p.as_os_str() != "-" => Output::new(Some(p.to_path_buf()), force),
            _ => return Err(AttestError::NeedsOutput),
        };
        to.check_writable()?;
        let passphrase = passphrase_env.map_or(Passphrase::Prompt, |v| Passphrase::Env(v.into()));
        let loaded = sign::load_private_key(key, &passphrase)?;
        Ok((
            Output::Stdout,
            Some(Request {
                key: loaded.key,
                to,
            }),
            loaded.warnings,
        ))
    }

    /// Signs the attestation of `draft` and writes it atomically. A bundle that changed since
    /// the run began is refused: the attestation would name bytes that were not checked.
    pub fn write(self, draft: &Draft<'_>) -> Result<String, AttestError> {
        if let Some(seen) = &draft.bundle
            && hash_bundle(&seen.path)? != seen.sha256
        {
            return Err(AttestError::BundleChanged(seen.path.clone()));
        }
        let now = crate::clock::now().map_err(AttestError::Clock)?;
        let payload = statement(draft, &self.key.public_key(), now)?;
        let bundle = sign::sign_statement(&payload, &self.key).to_json_bytes();
        self.to.write(&bundle)?;
        Ok(match &self.to {
            Output::File { path, .. } => path.display().to_string(),
            Output::Stdout => "stdout".into(),
        })
    }
}

/// The statement's bytes for `draft`, attested by `attester` at `now`.
pub fn statement(
    draft: &Draft<'_>,
    attester: &PublicKey,
    now: jiff::Timestamp,
) -> Result<Vec<u8>, AttestError> {
    let mut subject = Vec::new();
    if let Some(root) = draft.root {
        subject.push(Subject {
            name: draft.release.clone(),
            digest: SubjectDigest { sha256: root },
        });
    }
    if let Some(seen) = &draft.bundle {
        // The file's name only: an attestation names no path of the machine that made it.
        let name = seen.path.file_name().map_or_else(
            || seen.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        subject.push(Subject {
            name,
            digest: SubjectDigest {
                sha256: seen.sha256,
            },
        });
    }
    if subject.is_empty() {
        return Err(AttestError::NothingToAttest);
    }
    let Ok(Value::Object(mut predicate)) = serde_json::from_slice::<Value>(draft.report) else {
        return Err(AttestError::Report);
    };
    // `verify` names the bundle by the path typed on the command line; an artefact carries no
    // absolute path (and no path of the auditor's machine), only the file's name.
    if let Some(Value::String(bundle)) = predicate.get_mut("bundle")
        && let Some(name) = Path::new(bundle.as_str()).file_name()
    {
        *bundle = name.to_string_lossy().into_owned();
    }
    let who = Attester {
        key_id: attester.key_id(),
        algorithm: attester.algorithm().as_str().into(),
    };
    for (field, value) in [
        (
            "attester",
            serde_json::to_value(&who).unwrap_or(Value::Null),
        ),
        ("attested_at", Value::String(crate::clock::rfc3339(now))),
    ] {
        if predicate.insert(field.into(), value).is_some() {
            return Err(AttestError::Report);
        }
    }
    let statement = Statement {
        statement_type: STATEMENT_TYPE.into(),
        subject,
        predicate_type: draft.kind.predicate_type().into(),
        predicate: Value::Object(predicate),
    };
    let mut bytes = serde_json::to_vec_pretty(&statement).map_err(|_| AttestError::Report)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// An attestation whose signature verified with a given key, read from the verified bytes.
#[derive(Debug, Clone)]
pub struct Attestation {
    pub kind: Kind,
    pub subjects: Vec<Subject>,
    /// The key that verified the signature; the statement names the same key as its attester.
    pub signer: SignerKey,
    pub attested_at: String,
    /// The whole predicate: the report, `attester` and `attested_at`.
    pub predicate: Map<String, Value>,
}

impl Attestation {
    /// Reads the attestation at `path` and checks it was signed by one of `keys`.
    pub fn open(path: &Path, keys: &[PublicKey]) -> Result<Attestation, AttestError> {
        let bundle = sign::bundle::read_bundle(path).map_err(VerifyError::from)?;
        let malformed = |reason: String| AttestError::Malformed {
            path: path.to_path_buf(),
            reason,
        };
        let len = bundle.payload_len().map_err(|e| malformed(e.to_string()))?;
        if len > MAX_ATTESTATION {
            return Err(malformed(format!(
                "its statement is {len} bytes, more than an attestation holds ({MAX_ATTESTATION})"
            )));
        }
        let trust = crate::sign::Trust::keys(keys.to_vec());
        let signed = verify::read_signed(path, &bundle, &trust, &mut Vec::new(), |payload| {
            let mut bytes = Vec::new();
            payload
                .take(MAX_ATTESTATION)
                .read_to_end(&mut bytes)
                .map(|_| bytes)
        })?;
        let signed = match signed {
            Ok(signed) => signed,
            Err(rejection) => {
                return Err(AttestError::Rejected(
                    rejection
                        .problem
                        .unwrap_or_else(|| rejection.verdict.clone()),
                ));
            }
        };
        // Nothing below is read before the signature held.
        if signed.payload_type != sign::IN_TOTO_PAYLOAD_TYPE {
            return Err(AttestError::Rejected(format!(
                "the payload type is `{}`, expected `{}`",
                signed.payload_type,
                sign::IN_TOTO_PAYLOAD_TYPE
            )));
        }
        let bytes = signed
            .parsed
            .map_err(|e| malformed(format!("the payload cannot be read: {e}")))?;
        let found = crate::manifest::predicate_type_of(&bytes).unwrap_or_default();
        let Some(kind) = Kind::of_predicate_type(&found) else {
            return Err(AttestError::PredicateType {
                path: path.to_path_buf(),
                found,
            });
        };
        let statement: Statement = serde_json::from_slice(&bytes)
            .map_err(|e| malformed(format!("not an attestation statement: {e}")))?;
        if statement.statement_type != STATEMENT_TYPE {
            return Err(malformed(format!(
                "the statement type is `{}`, expected `{STATEMENT_TYPE}`",
                statement.statement_type
            )));
        }
        if statement.subject.is_empty() {
            return Err(malformed("the statement has no subject".into()));
        }
        let Value::Object(predicate) = statement.predicate else {
            return Err(malformed("the predicate is not a JSON object".into()));
        };
        let attester = predicate
            .get("attester")
            .cloned()
            .and_then(|v| serde_json::from_value::<Attester>(v).ok())
            .ok_or_else(|| malformed("the predicate names no `attester`".into()))?;
        let attested_at = predicate
            .get("attested_at")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("the predicate has no `attested_at`".into()))?
            .to_owned();
        // Attestations are verified with keys only, so the signer is a key.
        let Some(key) = verify::SignerKey::of(&signed.signer) else {
            return Err(AttestError::Rejected(
                "an attestation is signed with a key, not a certificate".into(),
            ));
        };
        if attester.key_id != key.id {
            return Err(AttestError::Rejected(format!(
                "the statement names attester key `{}` but was signed by key `{}`",
                attester.key_id, key.id
            )));
        }
        Ok(Attestation {
            kind,
            subjects: statement.subject,
            signer: key,
            attested_at,
            predicate,
        })
    }

    /// The release's subject: the one whose digest is the root digest the report records
    /// (a verification whose signature failed established none; its subject is the bundle).
    pub fn root(&self) -> Option<&Subject> {
        let recorded = match self.kind {
            Kind::Check => self.predicate.get("subject").and_then(|s| s.get("root")),
            Kind::Verify => self.predicate.get("root"),
        }
        .and_then(Value::as_str)?;
        self.subjects
            .iter()
            .find(|s| s.digest.sha256.to_hex() == recorded)
    }

    /// The report as the attested run printed it, without `attester` and `attested_at`.
    pub fn report(&self) -> Value {
        let mut report = self.predicate.clone();
        report.remove("attester");
        report.remove("attested_at");
        Value::Object(report)
    }

    /// The attested result in one line: the check's counts or the verification's verdict.
    pub fn summary(&self) -> String {
        let p = &self.predicate;
        match self.kind {
            Kind::Verify => p
                .get("verdict")
                .and_then(Value::as_str)
                .unwrap_or("no verdict recorded")
                .to_owned(),
            Kind::Check => {
                let s = p.get("summary");
                let n = |k: &str| s.and_then(|s| s.get(k)).and_then(Value::as_u64);
                let as_of = p.get("as_of").and_then(Value::as_str).unwrap_or("?");
                format!(
                    "{} error{}, {} warning{} from {} pack{} as of {as_of}",
                    n("errors").unwrap_or(0),
                    if n("errors") == Some(1) { "" } else { "s" },
                    n("warnings").unwrap_or(0),
                    if n("warnings") == Some(1) { "" } else { "s" },
                    n("packs").unwrap_or(0),
                    if n("packs") == Some(1) { "" } else { "s" },
                )
            }
        }
    }
}

/// Whether the file at `path` is a Sigstore bundle carrying one of scelle's attestations, by a
/// look at its payload's predicate type. Nothing is trusted: this only picks what to verify,
/// and the verification then checks the signature before anything else.
pub fn is_attestation(path: &Path) -> bool {
    let Ok(bundle) = sign::bundle::read_bundle(path) else {
        return false;
    };
    if bundle.payload_len().map_or(true, |n| n > MAX_ATTESTATION) {
        return false;
    }
    bundle
        .payload_bytes()
        .ok()
        .and_then(|b| crate::manifest::predicate_type_of(&b))
        .is_some_and(|t| Kind::of_predicate_type(&t).is_some())
}

/// Whether `path` is a file holding a Sigstore bundle (of any statement).
pub fn is_bundle_file(path: &Path) -> bool {
    path.is_file() && sign::bundle::read_bundle(path).is_ok()
}

/// Why an attestation could not be made or read (exit status 2), or was rejected.
#[derive(Debug, thiserror::Error)]
pub enum AttestError {
    #[error("`--attest` writes the attestation to a file, and no file was given")]
    NeedsOutput,
    #[error("an attestation is verified, not attested again")]
    AttestAttestation,
    #[error("`{}` is a scelle attestation, not a release bundle", .0.display())]
    NotAsked(PathBuf),
    #[error("nothing to attest: the run established no root digest and checked no bundle")]
    NothingToAttest,
    #[error("the report to attest is not a JSON object")]
    Report,
    #[error("`{}` changed while it was checked", .0.display())]
    BundleChanged(PathBuf),
    #[error("`{}` is not a scelle attestation: its predicate type is `{found}`", .path.display())]
    PredicateType { path: PathBuf, found: String },
    #[error("`{}` is not a valid attestation: {reason}", .path.display())]
    Malformed { path: PathBuf, reason: String },
    /// The signature (or what it signs) does not hold: a finding for `verify`.
    #[error("{0}")]
    Rejected(String),
    #[error("cannot read `{}`", .path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Clock(crate::clock::ClockError),
    #[error(transparent)]
    Input(#[from] input::InputError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Verify(#[from] VerifyError),
}

impl AttestError {
    pub fn hint(&self) -> Option<String> {
        match self {
            AttestError::NeedsOutput => Some(
                "add `-o FILE` for the attestation; the report still goes to stdout".into(),
            ),
            AttestError::PredicateType { found, .. } if found == crate::manifest::PREDICATE_TYPE || found.starts_with("https://model_signing/") => Some(
                "this is a release's bundle: verify the release with `scelle verify DIR --bundle FILE`".into(),
            ),
            AttestError::NotAsked(_) => Some(
                "to verify the attestation, add `--attestation`; to verify the release, give its own bundle".into(),
            ),
            AttestError::Input(e) => e.hint(),
            AttestError::Output(e) => e.hint(),
            AttestError::Key(e) => e.hint(),
            AttestError::Verify(e) => e.hint(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sign::Algorithm;

    fn draft(report: &[u8]) -> Draft<'_> {
        Draft {
            kind: Kind::Check,
            release: "demo".into(),
            root: Some(Sha256Digest::of(b"root")),
            bundle: None,
            report,
        }
    }

    fn write_signed(dir: &Path, payload: &[u8], key: &PrivateKey) -> PathBuf {
        let path = dir.join("a.json");
        fs_err::write(&path, sign::sign_statement(payload, key).to_json_bytes()).unwrap();
        path
    }

    #[test]
    fn an_attestation_reads_back_as_it_was_made() {
        let dir = tempfile::tempdir().unwrap();
        let key = PrivateKey::generate(Algorithm::Ed25519).unwrap();
        let report = format!(
            r#"{{"as_of": "2026-01-01", "subject": {{"root": "{}"}}, "summary": {{"errors": 1, "warnings": 0, "packs": 7}}}}"#,
            Sha256Digest::of(b"root")
        );
        let report = report.as_bytes();
        let at = jiff::Timestamp::from_second(1_700_000_000).unwrap();
        let payload = statement(&draft(report), &key.public_key(), at).unwrap();
        let path = write_signed(dir.path(), &payload, &key);
        let a = Attestation::open(&path, &[key.public_key()]).unwrap();
        assert_eq!(a.kind, Kind::Check);
        assert_eq!(a.attested_at, "2023-11-14T22:13:20Z");
        assert_eq!(a.signer.id, key.public_key().key_id());
        assert_eq!(a.root().unwrap().digest.sha256, Sha256Digest::of(b"root"));
        assert_eq!(a.predicate["as_of"], "2026-01-01");
        assert_eq!(
            a.report(),
            serde_json::from_slice::<Value>(report).unwrap(),
            "the report comes back as it was attested"
        );
        assert_eq!(
            a.summary(),
            "1 error, 0 warnings from 7 packs as of 2026-01-01"
        );
        // Another key: rejected, never read.
        let other = PrivateKey::generate(Algorithm::Ed25519).unwrap();
        assert!(matches!(
            Attestation::open(&path, &[other.public_key()]),
            Err(AttestError::Rejected(_))
        ));
    }

    #[test]
    fn a_bundle_that_changed_during_the_run_is_not_attested() {
        let dir = tempfile::tempdir().unwrap();
        let key = PrivateKey::generate(Algorithm::Ed25519).unwrap();
        let bundle = dir.path().join("scelle.sigstore.json");
        fs_err::write(&bundle, sign::sign_statement(b"{}", &key).to_json_bytes()).unwrap();
        let seen = BundleSeen::read(&bundle).unwrap();
        fs_err::write(&bundle, sign::sign_statement(b"{ }", &key).to_json_bytes()).unwrap();
        let out = dir.path().join("att.json");
        let request = Request {
            key,
            to: Output::new(Some(out.clone()), false),
        };
        let mut d = draft(b"{}");
        d.bundle = Some(seen);
        let err = request.write(&d).unwrap_err();
        assert!(matches!(err, AttestError::BundleChanged(_)), "{err}");
        assert!(!out.exists(), "nothing is written");
    }

    #[test]
    fn a_report_that_already_names_an_attester_is_refused() {
        let key = PrivateKey::generate(Algorithm::Ed25519).unwrap();
        let at = jiff::Timestamp::UNIX_EPOCH;
        let err = statement(&draft(br#"{"attester": 1}"#), &key.public_key(), at).unwrap_err();
        assert!(matches!(err, AttestError::Report));
        assert!(matches!(
            statement(&draft(b"[1]"), &key.public_key(), at),
            Err(AttestError::Report)
        ));
    }

    #[test]
    fn a_signed_statement_of_another_kind_is_named_for_what_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let key = PrivateKey::generate(Algorithm::Ed25519).unwrap();
        let payload = br#"{"_type": "https://in-toto.io/Statement/v1", "subject": [], "predicateType": "https://scelle.dev/provenance/v1", "predicate": {}}"#;
        let path = write_signed(dir.path(), payload, &key);
        let err = Attestation::open(&path, &[key.public_key()]).unwrap_err();
        assert!(
            matches!(&err, AttestError::PredicateType { found, .. } if found == crate::manifest::PREDICATE_TYPE),
            "{err}"
        );
        assert!(err.hint().unwrap().contains("--bundle"));
    }

    #[test]
    fn an_attester_other_than_the_signer_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let key = PrivateKey::generate(Algorithm::Ed25519).unwrap();
        let other = PrivateKey::generate(Algorithm::P256).unwrap();
        let payload = statement(
            &draft(b"{}"),
            &other.public_key(),
            jiff::Timestamp::UNIX_EPOCH,
        )
        .unwrap();
        let path = write_signed(dir.path(), &payload, &key);
        let err = Attestation::open(&path, &[key.public_key()]).unwrap_err();
        assert!(
            matches!(err, AttestError::Rejected(ref m) if m.contains("names attester")),
            "{err}"
        );
    }
}
