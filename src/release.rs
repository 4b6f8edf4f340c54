//! A release as opened: the statement that describes it (read from a folder scanned now, a
//! manifest, or a bundle), how far it was verified, and its declaration with the position of
//! each field in `scelle.yaml`. `check`, `report`, `diff` and `attest` all start from here, so
//! that "what is this release and can its record be trusted" is decided in one place.
//!
//! A folder with a bundle and a key is verified and read from the very bytes that were verified;
//! without a key its bundle is named as unverified and the files on disk are scanned. A bundle
//! that fails verification is still read, untrusted, so that a report can say what it claims.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::Error;
use crate::console::Console;
use crate::input;
use crate::manifest::descriptor::{self, FILE_NAME};
use crate::manifest::{
    self, AnyProblem, AnyStatement, FileDigest, FileRecord, Record, Sha256Digest, Statement,
};
use crate::policy::check::Positions;
use crate::policy::check::{CheckReport, Options as PolicyOptions};
use crate::policy::facts::Source;
use crate::policy::{Pack, Stage, Subject, VerificationFacts};
use crate::scan::{self, ScanOptions};
use crate::sign::{self, Trust};
use crate::verify::{self, SignatureStatus, VerifyOptions};
use crate::waiver::{self, Ledger};
use crate::walk::{self, SymlinkPolicy};

/// How to open a release.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// Whom to trust: a bundle is verified only when something is.
    pub trust: Trust,
    /// The bundle of a release folder, when it is not the default name in the folder.
    pub bundle: Option<PathBuf>,
    /// How a folder is walked and hashed (ignores, links, Hugging Face revision, workers).
    pub scan: ScanOptions,
}

/// The release's statement. Read from a file or a bundle, its file records may be read without
/// what each file is (kind, format, facts), which most of a large manifest is and few readers
/// need: [`Release::open_light`] reads them so, [`Release::open`] in full.
#[derive(Debug)]
pub enum Parsed {
    Full(Statement),
    Light(Statement<FileDigest>),
}

impl From<Statement> for Parsed {
    fn from(s: Statement) -> Self {
        Parsed::Full(s)
    }
}

impl From<Statement<FileDigest>> for Parsed {
    fn from(s: Statement<FileDigest>) -> Self {
        Parsed::Light(s)
    }
}

impl Parsed {
    /// The publisher's declaration (`scelle.yaml` as recorded), when there is one.
    pub fn declared(&self) -> Option<&Value> {
        match self {
            Parsed::Full(s) => s.predicate.declared.as_ref(),
            Parsed::Light(s) => s.predicate.declared.as_ref(),
        }
    }

    /// The statement as the policy engine reads it.
    pub fn source(&self) -> Source<'_> {
        match self {
            Parsed::Full(statement) => Source::Manifest(statement),
            Parsed::Light(statement) => Source::Light(statement),
        }
    }

    /// The full statement, when the file records were read in full.
    pub fn full(&self) -> Option<&Statement> {
        match self {
            Parsed::Full(s) => Some(s),
            Parsed::Light(_) => None,
        }
    }
}

/// A release as opened.
#[derive(Debug)]
pub struct Release {
    pub statement: Parsed,
    pub verification: VerificationFacts,
    pub subject: Subject,
    /// Where each declared field is in `scelle.yaml`, when that file is at hand and is the one
    /// the statement records.
    pub positions: Option<Positions>,
    /// The bundle the statement came from (a bundle file given as input, or a folder's bundle).
    pub bundle: Option<PathBuf>,
    /// Where the release's files are: the folder opened (a hub repository's snapshot, resolved),
    /// or the folder of the manifest or bundle given.
    pub folder: Option<PathBuf>,
    /// The files on disk compared with the signed manifest, file by file, when a folder was
    /// verified against its bundle (what an audit lists as modified, missing, extra, renamed).
    pub files: Option<verify::FileCheck>,
}

impl Release {
    /// Opens `input` (a folder, a manifest or a bundle) with every file record in full.
    pub fn open(input: &Path, options: &OpenOptions, console: &Console) -> Result<Self, Error> {
        if input.is_dir() {
            folder::<FileRecord>(input, options, console)
        } else {
            file::<FileRecord>(input, options)
        }
    }

    /// Opens `input` reading file records without their kinds, formats and facts (a folder is
    /// still scanned in full: the scan makes them anyway).
    pub fn open_light(
        input: &Path,
        options: &OpenOptions,
        console: &Console,
    ) -> Result<Self, Error> {
        if input.is_dir() {
            folder::<FileDigest>(input, options, console)
        } else {
            file::<FileDigest>(input, options)
        }
    }

    /// The release's declaration, when it has one.
    pub fn declared(&self) -> Option<&Value> {
        self.statement.declared()
    }

    /// Runs the packs over the release. The run's waivers (the declaration's, then each file's)
    /// take the findings on files they cover out of the statement first, so the packs do not
    /// see them; the report says what was waived.
    pub fn check(&mut self, options: &CheckOptions<'_>) -> Result<CheckReport, Error> {
        let positions = self.positions.as_ref().map(|p| &p.fields);
        let waivers = waiver::load(
            options.waiver_files,
            options.declared_waivers,
            self.statement.declared(),
            positions,
        )?;
        let mut ledger = Ledger::new(waivers, options.as_of);
        let waived_findings = match &mut self.statement {
            Parsed::Full(s) => waiver::take_waived(
                s.predicate
                    .files
                    .iter_mut()
                    .map(|f| (f.path.as_str(), &mut f.findings)),
                &mut ledger,
            ),
            Parsed::Light(s) => waiver::take_waived(
                s.predicate
                    .files
                    .iter_mut()
                    .map(|f| (f.path.as_str(), &mut f.findings)),
                &mut ledger,
            ),
        };
        Ok(crate::policy::check::run(
            self.statement.source(),
            self.verification.clone(),
            self.subject.clone(),
            options.packs,
            PolicyOptions {
                as_of: options.as_of,
                stage: options.stage,
                positions: self.positions.as_ref(),
                ledger,
                waived_findings,
            },
        ))
    }
}

/// How [`Release::check`] runs.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions<'a> {
    pub packs: &'a [Pack],
    /// `YYYY-MM-DD`: dates are judged as of this day.
    pub as_of: &'a str,
    pub stage: Stage,
    /// Waiver files given on the command line.
    pub waiver_files: &'a [PathBuf],
    /// Whether the declaration's own waivers count.
    pub declared_waivers: bool,
}

/// The folder a manifest or bundle file is in.
pub fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The name of a folder or file, never an absolute path.
pub fn name_of(path: &Path) -> String {
    let resolved = fs_err::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    resolved
        .file_name()
        .map_or_else(|| ".".to_owned(), |n| n.to_string_lossy().into_owned())
}

pub(crate) fn facts_of(v: &verify::Verification, input: &str) -> VerificationFacts {
    let verified = v.signature == SignatureStatus::Verified;
    VerificationFacts {
        input: input.into(),
        signed: true,
        verified,
        format: v.format.map(|f| f.as_str().to_owned()),
        key_id: v.key.as_ref().map(|k| k.id.clone()),
        // The signing key's algorithm: a given key's, or a verified certificate's leaf key's.
        algorithm: v
            .key
            .as_ref()
            .map(|k| k.algorithm.clone())
            .or_else(|| match &v.signer {
                Some(sign::Signer::Certificate(c)) => Some(c.algorithm.clone()),
                _ => None,
            }),
        method: v.signer.as_ref().map(|s| s.method().to_owned()),
        identity: v.signer.as_ref().map(|s| s.identity().to_owned()),
        issuer: v
            .signer
            .as_ref()
            .and_then(|s| s.issuer().map(str::to_owned)),
        log_index: match &v.signer {
            Some(sign::trust::Signer::Keyless(k)) => k.log_index,
            _ => None,
        },
        integrated_time: match &v.signer {
            Some(sign::trust::Signer::Keyless(k)) => k.integrated_time.clone(),
            _ => None,
        },
        files_checked: v.files.is_some(),
        files_match: v.files.as_ref().map(verify::FileCheck::is_clean),
        problem: v.problem.clone(),
    }
}

/// A release folder: verified against its bundle when a key is given, else scanned now. A
/// verified scelle bundle's statement is read from the very bytes that were verified.
fn folder<F>(input: &Path, options: &OpenOptions, console: &Console) -> Result<Release, Error>
where
    F: Record + serde::de::DeserializeOwned,
    Parsed: From<Statement<F>>,
{
    // A Hugging Face cache repository folder stands for one of its snapshots: its bundle and
    // its `scelle.yaml` are in the snapshot.
    let resolved = walk::resolve_release(input, options.scan.walk.revision.as_deref())
        .map_err(|e| Error::from(scan::ScanError::from(e)))?;
    let dir = &resolved.path;
    let trust = &options.trust;
    let bundle = verify::select_bundle(dir, options.bundle.as_deref(), trust).ok();
    let name = name_of(input);
    if let (Some(bundle), false) = (&bundle, trust.is_empty()) {
        let verify_options = VerifyOptions {
            trust: trust.clone(),
            bundle: Some(bundle.clone()),
            ignore: options.scan.walk.ignore.clone(),
            allow_symlinks: options.scan.walk.symlinks == SymlinkPolicy::FollowInside,
            ignore_unsigned: false,
            manifest_only: false,
            jobs: options.scan.jobs,
            revision: None,
        };
        let progress = console.progress("verifying");
        let (v, statement) = verify::verify_with::<F>(dir, &verify_options, &progress, true)?;
        // A verified OMS bundle (from `model_signing`) vouches for the files but carries no
        // declaration: the files on disk, which verification just matched, are scanned.
        if let Some(statement) = statement {
            return Ok(Release {
                positions: sibling_positions(dir, &statement),
                subject: subject("folder", name, &statement),
                verification: facts_of(&v, "folder"),
                statement: statement.into(),
                bundle: Some(bundle.clone()),
                files: v.files.clone(),
                folder: Some(dir.clone()),
            });
        }
        // A bundle that does not verify says nothing trustworthy: check what is on disk.
        let mut scanned = scan_folder(input, dir, options, Some(bundle), console)?;
        scanned.verification = facts_of(&v, "folder");
        scanned.files = v.files;
        return Ok(scanned);
    }
    let mut scanned = scan_folder(input, dir, options, bundle.as_ref(), console)?;
    if let Some(bundle) = bundle {
        scanned.verification.signed = true;
        scanned.verification.problem = Some(format!(
            "`{}` was not verified: no `--key` given",
            name_of(&bundle)
        ));
    }
    Ok(scanned)
}

/// Scans the release folder `dir` (resolved already: a hub snapshot, not its repository).
fn scan_folder(
    input: &Path,
    dir: &Path,
    options: &OpenOptions,
    bundle: Option<&PathBuf>,
    console: &Console,
) -> Result<Release, Error> {
    let mut scan_options = options.scan.clone();
    if let Some(b) = bundle {
        scan_options
            .walk
            .ignore
            .extend(walk::relative_inside(dir, b));
    }
    scan_options.walk.revision = None;
    let progress = console.progress("hashing");
    let scan = scan::scan(dir, &scan_options, &progress)?;
    let statement = scan.statement;
    Ok(Release {
        subject: subject("folder", name_of(input), &statement),
        positions: scan.declared.map(|d| Positions {
            fields: d.positions,
        }),
        verification: VerificationFacts {
            input: "folder".into(),
            ..VerificationFacts::default()
        },
        statement: Parsed::Full(statement),
        bundle: None,
        files: None,
        folder: Some(dir.to_path_buf()),
    })
}

/// A manifest or a bundle file, opened once: told apart by a look at its first bytes through
/// the open descriptor, then read from it, so the file checked is the file read.
fn file<F>(path: &Path, options: &OpenOptions) -> Result<Release, Error>
where
    F: Record + serde::de::DeserializeOwned,
    Parsed: From<Statement<F>>,
{
    let trust = &options.trust;
    let opened = input::open(path, input::Kind::BUNDLE)?;
    if !looks_like_bundle(&opened) {
        if opened.size() > input::Kind::MANIFEST.max {
            return Err(Error::from(input::InputError::TooLarge {
                path: path.to_path_buf(),
                size: opened.size(),
                at_least: false,
                kind: input::Kind::MANIFEST,
            }));
        }
        let reader = std::io::BufReader::with_capacity(1 << 16, opened.reader());
        let statement: Statement<F> = manifest::parse_manifest_from(path, reader)?;
        return Ok(Release {
            positions: path.parent().and_then(|d| sibling_positions(d, &statement)),
            subject: subject("manifest", name_of(path), &statement),
            verification: VerificationFacts {
                input: "manifest".into(),
                ..VerificationFacts::default()
            },
            statement: statement.into(),
            bundle: None,
            files: None,
            folder: Some(parent_of(path)),
        });
    }
    let bundle = sign::bundle::read_from(path, opened)
        .map_err(|e| Error::from(verify::VerifyError::from(e)))?;
    let parse = |payload: &mut dyn std::io::Read| {
        serde_json::from_reader::<_, AnyStatement<F>>(std::io::BufReader::with_capacity(
            1 << 16,
            payload,
        ))
    };
    let (statement, verification) = if trust.is_empty() {
        let statement = unverified(path, &bundle, parse)?;
        let verification = VerificationFacts {
            input: "bundle".into(),
            signed: true,
            // The name only: the problem is printed in reports and documents, which carry no
            // path of the machine they were made on.
            problem: Some(format!(
                "`{}` was not verified: no `--key` given",
                name_of(path)
            )),
            ..VerificationFacts::default()
        };
        (statement, verification)
    } else {
        let mut warnings = Vec::new();
        match verify::read_signed(path, &bundle, trust, &mut warnings, parse)? {
            Ok(signed) => {
                let v = verify::Verification {
                    schema_version: verify::SCHEMA_VERSION,
                    bundle: path.display().to_string(),
                    format: Some(sign::BundleFormat::Scelle),
                    model: None,
                    sealed_findings: None,
                    key: verify::SignerKey::of(&signed.signer),
                    signer: Some(signed.signer),
                    signature: SignatureStatus::Verified,
                    problem: None,
                    root: None,
                    signed_files: 0,
                    files: None,
                    warnings,
                    verdict: String::new(),
                    payload: Vec::new(),
                };
                let statement = signed
                    .parsed
                    .map_err(|e| malformed(path, &e.to_string()))
                    .and_then(|any| scelle_statement(path, any))?;
                let mut facts = facts_of(&v, "bundle");
                if signed.payload_type != sign::IN_TOTO_PAYLOAD_TYPE {
                    facts.verified = false;
                    facts.problem = Some(format!(
                        "the payload type is `{}`, expected `{}`",
                        signed.payload_type,
                        sign::IN_TOTO_PAYLOAD_TYPE
                    ));
                }
                (statement, facts)
            }
            // Rejected before a byte of the statement counted: it is read, untrusted, to
            // report on it all the same.
            Err(rejection) => (
                unverified(path, &bundle, parse)?,
                facts_of(&rejection, "bundle"),
            ),
        }
    };
    Ok(Release {
        positions: path.parent().and_then(|d| sibling_positions(d, &statement)),
        subject: subject("bundle", name_of(path), &statement),
        verification,
        statement: statement.into(),
        bundle: Some(path.to_path_buf()),
        files: None,
        folder: Some(parent_of(path)),
    })
}

/// A bundle's statement read without a key: nothing in it is trusted.
fn unverified<F: Record>(
    path: &Path,
    bundle: &sign::bundle::ReadBundle<input::Input>,
    parse: impl FnOnce(&mut dyn std::io::Read) -> Result<AnyStatement<F>, serde_json::Error>,
) -> Result<Statement<F>, Error> {
    let payload = bundle
        .payload()
        .map_err(|e| malformed(path, &e.to_string()))?;
    let mut payload = payload;
    let any = parse(&mut payload).map_err(|e| malformed(path, &e.to_string()))?;
    scelle_statement(path, any)
}

fn malformed(path: &Path, reason: &str) -> Error {
    Error::from(manifest::ManifestError::Malformed {
        path: path.to_path_buf(),
        reason: reason.to_owned(),
    })
}

/// The scelle statement a bundle carries; an OMS one is named for what it is.
fn scelle_statement<F: Record>(path: &Path, any: AnyStatement<F>) -> Result<Statement<F>, Error> {
    let found = any.predicate_type.clone().unwrap_or_default();
    if found != manifest::PREDICATE_TYPE {
        return Err(Error::from(manifest::ManifestError::PredicateType {
            path: path.to_path_buf(),
            found,
        }));
    }
    any.into_scelle().map_err(|problem| match problem {
        AnyProblem::Malformed(reason) => malformed(path, &reason),
        AnyProblem::Inconsistent(problem) => Error::from(manifest::ManifestError::Inconsistent {
            path: path.to_path_buf(),
            problem,
        }),
    })
}

/// Whether the file is a bundle (a JSON object with `mediaType` or a DSSE envelope) rather than
/// a manifest. Skims the JSON without building it, because a manifest of many files is megabytes;
/// anything unreadable goes down the manifest path, whose errors name the problem. Read through
/// the open descriptor at an offset, so the file is then read from its start.
fn looks_like_bundle(opened: &input::Input) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(rename = "mediaType")]
        media_type: Option<serde::de::IgnoredAny>,
        #[serde(rename = "dsseEnvelope")]
        dsse_envelope: Option<serde::de::IgnoredAny>,
    }
    let at = input::At::new(opened);
    serde_json::from_reader::<_, Probe>(std::io::BufReader::with_capacity(1 << 16, at))
        .is_ok_and(|p| p.media_type.is_some() || p.dsse_envelope.is_some())
}

fn subject<F>(kind: &str, name: String, statement: &Statement<F>) -> Subject {
    let predicate = &statement.predicate;
    Subject {
        kind: kind.into(),
        name,
        root: Some(predicate.root.sha256.to_hex()),
        files: predicate.files.len(),
        declared: predicate.declared.is_some(),
        model: None,
        provider: None,
        parameters: None,
        formats: Vec::new(),
    }
    .with_model(predicate.declared.as_ref(), predicate.model.as_ref())
}

/// The positions of the declaration's fields, from the `scelle.yaml` beside the input, when
/// it is the very file the manifest lists.
fn sibling_positions<F: Record>(dir: &Path, statement: &Statement<F>) -> Option<Positions> {
    let recorded = statement
        .predicate
        .files
        .iter()
        .find(|f| f.path().as_str() == FILE_NAME)?
        .sha256();
    let path = dir.join(FILE_NAME);
    let text = crate::input::open_no_follow(&path, crate::input::Kind::DECLARATION)
        .and_then(crate::input::Input::read_text)
        .ok()?;
    if Sha256Digest::of(text.as_bytes()) != *recorded {
        return None;
    }
    let declared = descriptor::parse(&text, &path.display().to_string()).ok()?;
    Some(Positions {
        fields: declared.positions,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A release of one small file, scanned, with `declared` as its declaration (not checked
    /// against the schema: the tests of what reads a declaration give just the fields they need).
    pub(crate) fn from_declaration(declared: Value) -> Release {
        let dir = tempfile::tempdir().expect("a temporary folder");
        fs_err::write(dir.path().join("notes.txt"), b"a release\n").expect("a file");
        let console = Console::new(crate::console::ColorChoice::Never, true, 0);
        let progress = console.progress("hashing");
        let mut statement = scan::scan(dir.path(), &ScanOptions::default(), &progress)
            .expect("a scan")
            .statement;
        statement.predicate.declared = Some(declared);
        Release {
            subject: subject("folder", "r".into(), &statement),
            statement: Parsed::Full(statement),
            verification: VerificationFacts::default(),
            positions: None,
            bundle: None,
            files: None,
            folder: None,
        }
    }
}
