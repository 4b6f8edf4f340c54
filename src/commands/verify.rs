//! `scelle verify PATH --key PUB`: the signature, then every file, then a verdict.

use std::io::IsTerminal;

use crate::Error;
use crate::cli::{GlobalArgs, ReportFormat, VerifyArgs};
use crate::console::Console;
use crate::exit::ExitStatus;
use crate::finding::Severity;
use crate::report::{self, Output};
use crate::scan;
use crate::sign::load_public_key;
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
    let output = Output::new(args.output.clone(), args.force);
    output.check_writable().map_err(Error::from)?;
    let keys = args
        .key
        .iter()
        .map(|k| load_public_key(k))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::from)?;
    let options = VerifyOptions {
        keys,
        bundle: args.bundle.clone(),
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
    output.write(&bytes).map_err(Error::from)?;
    Ok(ExitStatus::from_findings(&findings, Severity::Error))
}
