//! `scelle export INPUT --format cyclonedx|spdx`: opens the release (verified when a trust flag
//! is given) and writes it as an AI bill of materials, with how complete it is for an auditor on
//! stderr.
//!
//! A trust flag is a question asked: a release that does not verify with it, or whose files no
//! longer match its signed record, exits 1 and nothing is written, so a pipeline never publishes
//! a bill of materials for a record it could not vouch for. `--min-completeness` is a gate too:
//! the document is written, then the run exits 1 when it falls short.

use crate::Error;
use crate::cli::ExportArgs;
use crate::clock;
use crate::commands::scan::scan_options;
use crate::console::Console;
use crate::exit::ExitStatus;
use crate::export;
use crate::release::{OpenOptions, Release};
use crate::report::Output;
use crate::scan;
use crate::walk;

pub(crate) fn run(args: &ExportArgs, console: &Console) -> anyhow::Result<ExitStatus> {
    let output = Output::new(args.output.clone(), args.force);
    output.check_writable().map_err(Error::from)?;
    walk::existing(&args.input).map_err(|e| Error::from(scan::ScanError::from(e)))?;
    let now = clock::now().map_err(|e| anyhow::anyhow!(e))?;
    let timestamp = now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
    let today = now.strftime("%Y-%m-%d").to_string();
    let trust = args.trust.load().map_err(Error::from)?;
    let asked = !trust.is_empty();
    let options = OpenOptions {
        trust,
        bundle: args.bundle.clone(),
        scan: scan_options(&args.walk, &args.hashing, Vec::new()),
    };
    // The version is checked before the release is opened: a folder may take minutes to hash.
    export::check_spec(args.format, args.spec_version).map_err(Error::from)?;
    let release = Release::open(&args.input, &options, console)?;
    let v = &release.verification;
    if asked && !v.verified {
        let why = v.problem.clone().unwrap_or_else(|| {
            format!(
                "`{}` is an unsigned {}: nothing to verify",
                release.subject.name, v.input
            )
        });
        console.error(
            &format!("{why}; no bill of materials written"),
            Some("export without a trust flag to describe the record unverified"),
        );
        return Ok(ExitStatus::Failure);
    }
    if let Some(problem) = &v.problem {
        console.warn(problem);
    }
    if v.files_match == Some(false) {
        console.error(
            "the files of this release differ from its signed record; no bill of materials \
             written",
            Some("`scelle verify` names the files"),
        );
        return Ok(ExitStatus::Failure);
    }
    let export = export::build(&release, args.format, args.spec_version, &timestamp, &today)
        .map_err(Error::from)?;
    output.write(&export.bytes).map_err(Error::from)?;
    let completeness = &export.completeness;
    console.note(&completeness.line());
    let missing = completeness.missing();
    if !missing.is_empty() {
        console.note(&format!(
            "not declared: {}",
            missing
                .iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    match args.min_completeness {
        Some(min) if completeness.percent() < min => {
            console.error(
                &format!(
                    "completeness {} % is below `--min-completeness {min}`",
                    completeness.percent()
                ),
                Some("declare the fields listed above in `scelle.yaml`"),
            );
            Ok(ExitStatus::Failure)
        }
        _ => Ok(ExitStatus::Success),
    }
}
