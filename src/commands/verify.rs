//! `scelle verify PATH --key PUB`: the signature, then every file, then a verdict.

use std::io::IsTerminal;

use crate::Error;
use crate::attest;
use crate::cli::{GlobalArgs, ReportFormat, VerifyArgs};
use crate::console::Console;
use crate::exit::ExitStatus;
use crate::finding::Severity;
use crate::manifest::RelPath;
use crate::report::{self, Output};
use crate::scan;

use crate::verify::{self, SignatureStatus, VerifyError, VerifyOptions};
use crate::walk;

pub(crate) fn run(
    args: &VerifyArgs,
    global: &GlobalArgs,
    console: &Console,
) -> anyhow::Result<ExitStatus> {
    // The release first: a missing path is the first thing a newcomer needs to hear about.
    let release = walk::resolve_release(&args.path, args.walk.revision.as_deref())
        .map_err(|e| Error::from(VerifyError::from(e)))?;
    crate::commands::sign::say_snapshot(&args.path, &release, console);
    let (output, attestation, warnings) = attest::Request::prepare(
        args.attest.attest.as_deref(),
        args.attest.attest_passphrase_env.as_deref(),
        args.output.as_deref(),
        args.force,
    )
    .map_err(Error::from)?;
    for w in &warnings {
        console.warn(w);
    }
    output.check_writable().map_err(Error::from)?;
    let trust = args.trust.load().map_err(Error::from)?;
    // An attestation on its own, or a release folder against one, only when asked for: a file
    // that happens to be an attestation must not verify as the release it stands in for.
    let given = args.bundle.as_deref();
    let candidate = given.unwrap_or(&release.path);
    if !args.attestation && attest::is_attestation(candidate) {
        return Err(Error::from(attest::AttestError::NotAsked(candidate.to_path_buf())).into());
    }
    if args.attestation {
        if attestation.is_some() {
            return Err(Error::from(attest::AttestError::AttestAttestation).into());
        }
        let dir = given.map(|_| release.path.as_path());
        return attested(args, console, dir, &trust.keys, &output);
    }
    let bundle = match &attestation {
        Some(_) => {
            attest::bundle_before(&release.path, given, None, &trust).map_err(Error::from)?
        }
        None => None,
    };
    let options = VerifyOptions {
        trust,
        bundle: bundle
            .as_ref()
            .map_or_else(|| args.bundle.clone(), |b| Some(b.path().to_path_buf())),
        ignore: args.walk.ignore.clone(),
        allow_symlinks: args.walk.allow_symlinks,
        ignore_unsigned: args.ignore_unsigned_files,
        manifest_only: args.manifest_only,
        jobs: args
            .hashing
            .jobs
            .map_or_else(scan::default_jobs, std::num::NonZeroUsize::get),
        // Already resolved above.
        revision: None,
    };
    let progress = console.progress("verifying");
    let verification = verify::verify(&release.path, &options, &progress).map_err(Error::from)?;
    for warning in &verification.warnings {
        console.warn(warning);
    }
    let findings = verification.findings();
    let bytes = if args.manifest_only && verification.signature == SignatureStatus::Verified {
        console.note(&verification.verdict);
        verification.payload.clone()
    } else {
        match args.format {
            ReportFormat::Json => report::verify::json(&verification, &findings),
            ReportFormat::Table => {
                let color = output == Output::Stdout
                    && global.color.enabled(std::io::stdout().is_terminal());
                report::verify::table(&verification, color).into_bytes()
            }
        }
    };
    if let Some(request) = attestation {
        let json = report::verify::json(&verification, &findings);
        let name = crate::sign::release_name(&release.path, release.hub.as_ref());
        let written = request
            .write(&attest::Draft::of_verify(
                &verification,
                name,
                bundle,
                &json,
            ))
            .map_err(Error::from)?;
        console.note(&format!("wrote the attestation `{written}`"));
    }
    output.write(&bytes).map_err(Error::from)?;
    Ok(ExitStatus::from_findings(&findings, Severity::Error))
}

/// `verify ATTESTATION`: its signature and what it attests; with `dir` (`verify DIR --bundle
/// ATTESTATION`), also whether the folder, re-hashed now, is the attested release.
fn attested(
    args: &VerifyArgs,
    console: &Console,
    dir: Option<&std::path::Path>,
    keys: &[crate::sign::PublicKey],
    output: &Output,
) -> anyhow::Result<ExitStatus> {
    let path = args.bundle.as_deref().unwrap_or(&args.path);
    let checked = match attest::Attestation::open(path, keys) {
        Ok(attestation) => {
            let root = match dir {
                Some(dir) => Some((dir, root_now(args, console, dir, path)?)),
                None => None,
            };
            report::attest::Checked::verified(path, &attestation, root)
        }
        Err(attest::AttestError::Rejected(problem)) => {
            report::attest::Checked::rejected(path, problem)
        }
        Err(e) => return Err(Error::from(e).into()),
    };
    let bytes = match args.format {
        ReportFormat::Json => report::attest::json(&checked),
        ReportFormat::Table => report::attest::table(&checked).into_bytes(),
    };
    output.write(&bytes).map_err(Error::from)?;
    Ok(ExitStatus::from_findings(
        &checked.findings(),
        Severity::Error,
    ))
}

/// The root digest of the folder `dir` hashed now, as `sign` hashes it: the default bundles and
/// the attestation at `attestation` left out.
fn root_now(
    args: &VerifyArgs,
    console: &Console,
    dir: &std::path::Path,
    attestation: &std::path::Path,
) -> anyhow::Result<crate::manifest::Sha256Digest> {
    let mut extra: Vec<RelPath> = walk::BUNDLE_NAMES
        .iter()
        .filter_map(|n| RelPath::new(*n).ok())
        .collect();
    extra.extend(walk::relative_inside(dir, attestation));
    let mut walk_args = args.walk.clone();
    walk_args.revision = None;
    // Only the digests count here: what each file is does not enter the root.
    let hashing = crate::cli::HashArgs {
        no_inspect: true,
        ..args.hashing.clone()
    };
    let options = crate::commands::scan::scan_options(&walk_args, &hashing, extra);
    let progress = console.progress("hashing");
    let scan = scan::scan(dir, &options, &progress).map_err(Error::from)?;
    Ok(scan.statement.predicate.root.sha256)
}
