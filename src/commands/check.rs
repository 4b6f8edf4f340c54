//! `scelle check INPUT`: what the release is (a folder scanned now, a manifest, a bundle verified
//! with `--key`), then every pack over it, then a report and an exit status from `--fail-on`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use crate::Error;
use crate::attest;
use crate::cli::{CheckArgs, CheckFormat, GlobalArgs};
use crate::commands::scan::scan_options;
use crate::console::Console;
use crate::exit::ExitStatus;
use crate::input;
use crate::manifest::descriptor::{self, FILE_NAME};
use crate::manifest::{
    self, AnyProblem, AnyStatement, FileDigest, Record, Sha256Digest, Statement,
};
use crate::policy::check::Positions;
use crate::policy::facts::Source;
use crate::policy::{self, Subject, VerificationFacts, builtin};
use crate::report::{self, Output};
use crate::scan;
use crate::sign::{self, load_public_key};
use crate::verify::{self, SignatureStatus, VerifyOptions};
use crate::waiver::{self, Ledger, WaivedFinding, Waiver};
use crate::walk;

/// What `check` reads, once resolved.
struct Input {
    statement: Parsed,
    verification: VerificationFacts,
    subject: Subject,
    positions: Option<Positions>,
}

/// A manifest as read for the check. Read from a file or a bundle, its file records are read
/// without what each file is (kind, format, facts), which no built-in rule needs and which is
/// most of a large manifest, unless a pack reads `files` or `manifest`: the packs are loaded
/// first, so that the input is read once, in the form they need.
enum Parsed {
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

pub(crate) fn run(
    args: &CheckArgs,
    global: &GlobalArgs,
    console: &Console,
) -> anyhow::Result<ExitStatus> {
    let (output, attestation) = prepare_attestation(args, console)?;
    output.check_writable().map_err(Error::from)?;
    // A missing input is named as missing, not by the first read that fails on it.
    walk::existing(&args.input).map_err(|e| Error::from(scan::ScanError::from(e)))?;
    let as_of = match &args.as_of {
        Some(date) => date.clone(),
        None => today()?,
    };
    let packs = builtin::resolve(&args.policy, args.no_builtin).map_err(Error::from)?;
    for name in builtin::redundant(&args.policy, args.no_builtin) {
        console.warn(&format!(
            "`--policy {name}` adds nothing: every built-in pack runs unless `--no-builtin` is given"
        ));
    }
    let full = packs
        .iter()
        .any(|p| p.reads("files") || p.reads("manifest"));
    let mut input = match (args.input.is_dir(), full) {
        (true, true) => folder::<manifest::FileRecord>(args, console)?,
        (true, false) => folder::<FileDigest>(args, console)?,
        (false, true) => file::<manifest::FileRecord>(args)?,
        (false, false) => file::<FileDigest>(args)?,
    };
    if let Some(line) = &input.verification.problem {
        console.warn(line);
    }
    let (ledger, waived_findings) = waive_file_findings(args, &mut input, &as_of)?;
    let source = match &input.statement {
        Parsed::Full(statement) => Source::Manifest(statement),
        Parsed::Light(statement) => Source::Light(statement),
    };
    let report = policy::check::run(
        source,
        input.verification,
        input.subject,
        &packs,
        policy::check::Options {
            as_of: &as_of,
            stage: args.stage,
            positions: input.positions.as_ref(),
            ledger,
            waived_findings,
        },
    );
    for w in &report.waivers {
        if let Some(f) = w.finding(&as_of) {
            console.warn(&format!("{}: {}", w.waiver.at(), f.message));
        }
    }
    let color = output == Output::Stdout && global.color.enabled(std::io::stdout().is_terminal());
    let bytes = match args.format {
        CheckFormat::Table => report::check::table(
            &report,
            args.all,
            &report::table::Layout::for_output(&output, color),
        )
        .into_bytes(),
        CheckFormat::Json => report::check::json(&report),
        CheckFormat::Sarif => {
            let release = if args.input.is_dir() {
                args.input.clone()
            } else {
                parent_of(&args.input)
            };
            let roots = report::sarif::Roots::find(&release, args.sarif_root.as_deref())
                .map_err(Error::from)?;
            report::sarif::render(&report, &roots)
        }
        CheckFormat::Junit => report::junit::render(&report).into_bytes(),
        CheckFormat::Markdown => report::check::markdown(&report, args.all).into_bytes(),
    };
    // The attestation first: when it cannot be made, nothing reaches stdout.
    if let Some((request, bundle)) = attestation {
        let json = report::check::json(&report);
        let written = request
            .write(&attest::Draft::of_check(
                &report,
                &args.input,
                bundle,
                &json,
            ))
            .map_err(Error::from)?;
        console.note(&format!("wrote the attestation `{written}`"));
    }
    output.write(&bytes).map_err(Error::from)?;
    Ok(ExitStatus::from_findings(&report.findings(), args.fail_on))
}

/// An attestation to sign at the end of the run, and the bundle it names.
type Attesting = (attest::Request, Option<attest::BundleSeen>);

/// Where the report goes and, with `--attest`, the attestation to sign at the end with the
/// bundle the run checks, hashed now (see [`attest::Request::prepare`]).
fn prepare_attestation(
    args: &CheckArgs,
    console: &Console,
) -> anyhow::Result<(Output, Option<Attesting>)> {
    let (output, request, warnings) = attest::Request::prepare(
        args.attest.attest.as_deref(),
        args.attest.attest_passphrase_env.as_deref(),
        args.output.as_deref(),
        args.force,
    )
    .map_err(Error::from)?;
    for w in &warnings {
        console.warn(w);
    }
    let Some(request) = request else {
        return Ok((output, None));
    };
    let bundle = attest::bundle_before(
        &args.input,
        args.bundle.as_deref(),
        args.walk.revision.as_deref(),
        &keys(args)?,
    )
    .map_err(Error::from)?;
    Ok((output, Some((request, bundle))))
}

/// The run's waivers, and the findings on files they cover, taken out of the statement the
/// packs will read.
fn waive_file_findings(
    args: &CheckArgs,
    input: &mut Input,
    as_of: &str,
) -> anyhow::Result<(Ledger, Vec<WaivedFinding>)> {
    let declared = match &input.statement {
        Parsed::Full(s) => s.predicate.declared.as_ref(),
        Parsed::Light(s) => s.predicate.declared.as_ref(),
    };
    let waivers = load_waivers(
        &args.waivers,
        !args.no_declared_waivers,
        declared,
        input.positions.as_ref().map(|p| &p.fields),
    )?;
    let mut ledger = Ledger::new(waivers, as_of);
    let waived = match &mut input.statement {
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
    Ok((ledger, waived))
}

/// Today as `YYYY-MM-DD`, from the clock `SOURCE_DATE_EPOCH` pins.
pub(crate) fn today() -> anyhow::Result<String> {
    let now = crate::clock::now().map_err(|e| Error::from(scan::ScanError::from(e)))?;
    Ok(now.strftime("%Y-%m-%d").to_string())
}

/// The name of a folder or file, never an absolute path.
fn name_of(path: &Path) -> String {
    let resolved = fs_err::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    resolved
        .file_name()
        .map_or_else(|| ".".to_owned(), |n| n.to_string_lossy().into_owned())
}

fn keys(args: &CheckArgs) -> anyhow::Result<Vec<crate::sign::PublicKey>> {
    Ok(args
        .key
        .iter()
        .map(|k| load_public_key(k))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::from)?)
}

fn facts_of(v: &verify::Verification, input: &str) -> VerificationFacts {
    let verified = v.signature == SignatureStatus::Verified;
    VerificationFacts {
        input: input.into(),
        signed: true,
        verified,
        format: v.format.map(|f| f.as_str().to_owned()),
        key_id: v.key.as_ref().map(|k| k.id.clone()),
        algorithm: v.key.as_ref().map(|k| k.algorithm.clone()),
        files_checked: v.files.is_some(),
        files_match: v.files.as_ref().map(verify::FileCheck::is_clean),
        problem: v.problem.clone(),
    }
}

/// A release folder: verified against its bundle when a key is given, else scanned now. A
/// verified scelle bundle's statement is read from the very bytes that were verified.
fn folder<F>(args: &CheckArgs, console: &Console) -> anyhow::Result<Input>
where
    F: Record + serde::de::DeserializeOwned,
    Parsed: From<Statement<F>>,
{
    // A Hugging Face cache repository folder stands for one of its snapshots: its bundle and
    // its `scelle.yaml` are in the snapshot.
    let resolved = walk::resolve_release(&args.input, args.walk.revision.as_deref())
        .map_err(|e| Error::from(scan::ScanError::from(e)))?;
    let dir = &resolved.path;
    let keys = keys(args)?;
    let bundle = verify::select_bundle(dir, args.bundle.as_deref(), &keys).ok();
    let name = name_of(&args.input);
    if let (Some(bundle), false) = (&bundle, keys.is_empty()) {
        let options = VerifyOptions {
            keys,
            bundle: Some(bundle.clone()),
            ignore: args.walk.ignore.clone(),
            allow_symlinks: args.walk.allow_symlinks,
            ignore_unsigned: false,
            manifest_only: false,
            jobs: args
                .hashing
                .jobs
                .map_or_else(scan::default_jobs, std::num::NonZeroUsize::get),
            revision: None,
        };
        let progress = console.progress("verifying");
        let (v, statement) =
            verify::verify_with::<F>(dir, &options, &progress, true).map_err(Error::from)?;
        // A verified OMS bundle (from `model_signing`) vouches for the files but carries no
        // declaration: the files on disk, which verification just matched, are scanned.
        if let Some(statement) = statement {
            return Ok(Input {
                positions: sibling_positions(dir, &statement),
                subject: subject("folder", name, &statement),
                verification: facts_of(&v, "folder"),
                statement: statement.into(),
            });
        }
        // A bundle that does not verify says nothing trustworthy: check what is on disk.
        let mut scanned = scan_folder(args, dir, Some(bundle), console)?;
        scanned.verification = facts_of(&v, "folder");
        return Ok(scanned);
    }
    let mut scanned = scan_folder(args, dir, bundle.as_ref(), console)?;
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
    args: &CheckArgs,
    dir: &Path,
    bundle: Option<&PathBuf>,
    console: &Console,
) -> anyhow::Result<Input> {
    let mut extra = Vec::new();
    if let Some(b) = bundle {
        extra.extend(walk::relative_inside(dir, b));
    }
    let mut walk_args = args.walk.clone();
    walk_args.revision = None;
    let options = scan_options(&walk_args, &args.hashing, extra);
    let progress = console.progress("hashing");
    let scan = scan::scan(dir, &options, &progress).map_err(Error::from)?;
    let statement = scan.statement;
    Ok(Input {
        subject: subject("folder", name_of(&args.input), &statement),
        positions: scan.declared.map(|d| Positions {
            fields: d.positions,
        }),
        verification: VerificationFacts {
            input: "folder".into(),
            ..VerificationFacts::default()
        },
        statement: Parsed::Full(statement),
    })
}

/// A manifest or a bundle file, opened once: told apart by a look at its first bytes through
/// the open descriptor, then read from it, so the file checked is the file read.
fn file<F>(args: &CheckArgs) -> anyhow::Result<Input>
where
    F: Record + serde::de::DeserializeOwned,
    Parsed: From<Statement<F>>,
{
    let path = &args.input;
    let keys = keys(args)?;
    let opened = input::open(path, input::Kind::BUNDLE).map_err(Error::from)?;
    if !looks_like_bundle(&opened) {
        if opened.size() > input::Kind::MANIFEST.max {
            return Err(Error::from(input::InputError::TooLarge {
                path: path.clone(),
                size: opened.size(),
                at_least: false,
                kind: input::Kind::MANIFEST,
            })
            .into());
        }
        let reader = std::io::BufReader::with_capacity(1 << 16, opened.reader());
        let statement: Statement<F> =
            manifest::parse_manifest_from(path, reader).map_err(Error::from)?;
        return Ok(Input {
            positions: path.parent().and_then(|d| sibling_positions(d, &statement)),
            subject: subject("manifest", name_of(path), &statement),
            verification: VerificationFacts {
                input: "manifest".into(),
                ..VerificationFacts::default()
            },
            statement: statement.into(),
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
    let (statement, verification) = if keys.is_empty() {
        let statement = unverified(path, &bundle, parse)?;
        let verification = VerificationFacts {
            input: "bundle".into(),
            signed: true,
            problem: Some(format!(
                "`{}` was not verified: no `--key` given",
                path.display()
            )),
            ..VerificationFacts::default()
        };
        (statement, verification)
    } else {
        let mut warnings = Vec::new();
        match verify::read_signed(path, &bundle, &keys, &mut warnings, parse)
            .map_err(Error::from)?
        {
            Ok(signed) => {
                let v = verify::Verification {
                    schema_version: verify::SCHEMA_VERSION,
                    bundle: path.display().to_string(),
                    format: Some(sign::BundleFormat::Scelle),
                    model: None,
                    sealed_findings: None,
                    key: Some(signed.key),
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
    Ok(Input {
        positions: path.parent().and_then(|d| sibling_positions(d, &statement)),
        subject: subject("bundle", name_of(path), &statement),
        verification,
        statement: statement.into(),
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

/// The folder a manifest or bundle file is in.
fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The waivers of a run: the declaration's (unless `declared` is false), then each file's.
pub(crate) fn load_waivers(
    files: &[PathBuf],
    use_declared: bool,
    declared: Option<&serde_json::Value>,
    positions: Option<&std::collections::BTreeMap<String, crate::yaml::Pos>>,
) -> Result<Vec<Waiver>, Error> {
    let mut all = if use_declared {
        waiver::check_declared(waiver::from_declaration(declared, positions), positions)?
    } else {
        Vec::new()
    };
    for file in files {
        all.extend(waiver::read_file(file)?);
    }
    Ok(all)
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
