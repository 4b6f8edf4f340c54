//! `scelle check INPUT`: what the release is (a folder scanned now, a manifest, a bundle verified
//! with `--key`), then every pack over it, then a report and an exit status from `--fail-on`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::Error;
use crate::cli::{CheckArgs, CheckFormat, GlobalArgs};
use crate::commands::scan::scan_options;
use crate::console::Console;
use crate::exit::ExitStatus;
use crate::manifest::descriptor::{self, FILE_NAME};
use crate::manifest::{self, FileDigest, Record, Sha256Digest, Statement};
use crate::policy::check::Positions;
use crate::policy::facts::Source;
use crate::policy::{self, Subject, VerificationFacts, builtin};
use crate::report::{self, Output};
use crate::scan;
use crate::sign::{self, load_public_key};
use crate::verify::{self, SignatureStatus, VerifyOptions};
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
/// most of a large manifest; a pack that reads `files` or `manifest` has it read again in full.
enum Parsed {
    Full(Statement),
    Light {
        statement: Statement<FileDigest>,
        from: PathBuf,
        bundle: bool,
    },
}

impl Parsed {
    fn light(statement: Statement<FileDigest>, from: &Path, bundle: bool) -> Self {
        Parsed::Light {
            statement,
            from: from.to_path_buf(),
            bundle,
        }
    }
}

pub(crate) fn run(
    args: &CheckArgs,
    global: &GlobalArgs,
    console: &Console,
) -> anyhow::Result<ExitStatus> {
    let output = Output::new(args.output.clone(), args.force);
    output.check_writable().map_err(Error::from)?;
    let as_of = match &args.as_of {
        Some(date) => date.clone(),
        None => today()?,
    };
    // The packs load (their YAML) while the input is read: each takes milliseconds.
    let (packs, input) = std::thread::scope(|scope| {
        let packs = scope.spawn(|| builtin::resolve(&args.policy));
        let input = if args.input.is_dir() {
            folder(args, console)
        } else {
            file(args)
        };
        let packs = packs
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (packs, input)
    });
    let packs = packs.map_err(Error::from)?;
    let input = input?;
    if let Some(line) = &input.verification.problem {
        console.warn(line);
    }
    let full;
    let source = match &input.statement {
        Parsed::Full(statement) => Source::Manifest(statement),
        Parsed::Light { from, bundle, .. }
            if packs
                .iter()
                .any(|p| p.reads("files") || p.reads("manifest")) =>
        {
            full = if *bundle {
                manifest::parse_manifest(from, &read_payload(from)?)
            } else {
                manifest::parse_manifest_from(from, reader(from)?)
            }
            .map_err(Error::from)?;
            Source::Manifest(&full)
        }
        Parsed::Light { statement, .. } => Source::Light(statement),
    };
    let report = policy::check::run(
        source,
        input.verification,
        input.subject,
        &packs,
        &as_of,
        input.positions.as_ref(),
    );
    let color = output == Output::Stdout && global.color.enabled(std::io::stdout().is_terminal());
    let bytes = match args.format {
        CheckFormat::Table => report::check::table(&report, args.all, color).into_bytes(),
        CheckFormat::Json => report::check::json(&report),
        CheckFormat::Sarif => report::sarif::render(&report),
        CheckFormat::Junit => report::junit::render(&report).into_bytes(),
        CheckFormat::Markdown => report::check::markdown(&report, args.all).into_bytes(),
    };
    output.write(&bytes).map_err(Error::from)?;
    Ok(ExitStatus::from_findings(&report.findings(), args.fail_on))
}

/// Today as `YYYY-MM-DD`, from the clock `SOURCE_DATE_EPOCH` pins.
fn today() -> anyhow::Result<String> {
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

/// A release folder: verified against its bundle when a key is given, else scanned now.
fn folder(args: &CheckArgs, console: &Console) -> anyhow::Result<Input> {
    let dir = &args.input;
    let bundle = verify::find_bundle(dir, args.bundle.as_deref()).ok();
    let keys = keys(args)?;
    let name = name_of(dir);
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
        };
        let progress = console.progress("verifying");
        let v = verify::verify(dir, &options, &progress).map_err(Error::from)?;
        let bytes = if v.signature == SignatureStatus::Verified {
            Some(read_payload(bundle)?)
        } else {
            None
        };
        // A verified OMS bundle (from `model_signing`) vouches for the files but carries no
        // declaration: the files on disk, which verification just matched, are scanned.
        let scelle_statement = bytes.as_deref().filter(|b| {
            manifest::predicate_type_of(b).is_none_or(|t| t == manifest::PREDICATE_TYPE)
        });
        if let Some(bytes) = scelle_statement {
            let statement = bundle_statement(bundle, bytes)?;
            return Ok(Input {
                positions: sibling_positions(dir, &statement),
                subject: subject("folder", name, &statement),
                verification: facts_of(&v, "folder"),
                statement: Parsed::light(statement, bundle, true),
            });
        }
        // A bundle that does not verify says nothing trustworthy: check what is on disk.
        let mut scanned = scan_folder(args, Some(bundle), console)?;
        scanned.verification = facts_of(&v, "folder");
        return Ok(scanned);
    }
    let mut scanned = scan_folder(args, bundle.as_ref(), console)?;
    if let Some(bundle) = bundle {
        scanned.verification.signed = true;
        scanned.verification.problem = Some(format!(
            "`{}` was not verified: no `--key` given",
            name_of(&bundle)
        ));
    }
    Ok(scanned)
}

fn scan_folder(
    args: &CheckArgs,
    bundle: Option<&PathBuf>,
    console: &Console,
) -> anyhow::Result<Input> {
    let dir = &args.input;
    let mut extra = Vec::new();
    if let Some(b) = bundle {
        extra.extend(walk::relative_inside(dir, b));
    }
    let options = scan_options(&args.walk, &args.hashing, extra);
    let progress = console.progress("hashing");
    let scan = scan::scan(dir, &options, &progress).map_err(Error::from)?;
    let statement = scan.statement;
    Ok(Input {
        subject: subject("folder", name_of(dir), &statement),
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

/// A manifest file, streamed: a large manifest's whole buffer would cost a page fault per 4 KiB
/// on top of the records built from it.
fn reader(path: &Path) -> Result<std::io::BufReader<crate::input::Bounded>, Error> {
    crate::input::open(path, crate::input::Kind::MANIFEST)
        .map(|f| std::io::BufReader::with_capacity(1 << 16, f.reader()))
        .map_err(Error::from)
}

/// A manifest or a bundle file.
fn file(args: &CheckArgs) -> anyhow::Result<Input> {
    let path = &args.input;
    let keys = keys(args)?;
    if !looks_like_bundle(reader(path)?) {
        let statement: Statement<FileDigest> =
            manifest::parse_manifest_from(path, reader(path)?).map_err(Error::from)?;
        return Ok(Input {
            positions: path.parent().and_then(|d| sibling_positions(d, &statement)),
            subject: subject("manifest", name_of(path), &statement),
            verification: VerificationFacts {
                input: "manifest".into(),
                ..VerificationFacts::default()
            },
            statement: Parsed::light(statement, path, false),
        });
    }
    let bytes = read_payload(path)?;
    let statement = bundle_statement(path, &bytes)?;
    let verification = if keys.is_empty() {
        VerificationFacts {
            input: "bundle".into(),
            signed: true,
            problem: Some(format!(
                "`{}` was not verified: no `--key` given",
                path.display()
            )),
            ..VerificationFacts::default()
        }
    } else {
        let parent = path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        let options = VerifyOptions {
            keys,
            bundle: Some(path.clone()),
            ignore: Vec::new(),
            allow_symlinks: false,
            ignore_unsigned: false,
            manifest_only: true,
            jobs: 1,
        };
        let v = verify::verify(&parent, &options, &crate::scan::NoProgress).map_err(Error::from)?;
        facts_of(&v, "bundle")
    };
    Ok(Input {
        positions: path.parent().and_then(|d| sibling_positions(d, &statement)),
        subject: subject("bundle", name_of(path), &statement),
        verification,
        statement: Parsed::light(statement, path, true),
    })
}

/// Whether the file is a bundle (a JSON object with `mediaType` or a DSSE envelope) rather than
/// a manifest. Skims the JSON without building it, because a manifest of many files is megabytes;
/// anything unreadable goes down the manifest path, whose errors name the problem.
fn looks_like_bundle(json: impl std::io::Read) -> bool {
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(rename = "mediaType")]
        media_type: Option<serde::de::IgnoredAny>,
        #[serde(rename = "dsseEnvelope")]
        dsse_envelope: Option<serde::de::IgnoredAny>,
    }
    serde_json::from_reader::<_, Probe>(json)
        .is_ok_and(|p| p.media_type.is_some() || p.dsse_envelope.is_some())
}

/// The statement a bundle carries, when it is a scelle manifest.
fn bundle_statement(bundle: &Path, payload: &[u8]) -> Result<Statement<FileDigest>, Error> {
    if let Some(found) =
        manifest::predicate_type_of(payload).filter(|t| t != manifest::PREDICATE_TYPE)
    {
        return Err(Error::from(manifest::ManifestError::PredicateType {
            path: bundle.to_path_buf(),
            found,
        }));
    }
    manifest::parse_manifest_from(bundle, payload).map_err(Error::from)
}

fn read_payload(bundle: &Path) -> anyhow::Result<Vec<u8>> {
    let read =
        sign::bundle::read_bundle(bundle).map_err(|e| Error::from(verify::VerifyError::from(e)))?;
    read.envelope
        .payload_bytes()
        .with_context(|| format!("`{}`: the payload is not base64", bundle.display()))
}

fn subject<F>(kind: &str, name: String, statement: &Statement<F>) -> Subject {
    let predicate = &statement.predicate;
    Subject {
        kind: kind.into(),
        name,
        root: Some(predicate.root.sha256.to_hex()),
        files: predicate.files.len(),
        declared: predicate.declared.is_some(),
    }
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
