//! `scelle diff OLD NEW`: opens both releases (each verified with `--key` when given), compares
//! them with the packs run on both as of the same day, and writes the differences. Exit status:
//! 0 when the comparison ran, whatever it found; 1 when `--key` was given and a release could
//! not be verified with it; 2 when the comparison could not run.

use crate::Error;
use crate::cli::{DiffArgs, DiffFormat, GlobalArgs};
use crate::commands::check::today;
use crate::commands::scan::scan_options;
use crate::console::Console;
use crate::diff;
use crate::exit::ExitStatus;
use crate::policy::{Stage, builtin};
use crate::release::{CheckOptions, OpenOptions, Release};
use crate::report::{self, Output};
use crate::scan;

use crate::walk;

pub(crate) fn run(
    args: &DiffArgs,
    _global: &GlobalArgs,
    console: &Console,
) -> anyhow::Result<ExitStatus> {
    let output = Output::new(args.output.clone(), args.force);
    output.check_writable().map_err(Error::from)?;
    for input in [&args.old, &args.new] {
        walk::existing(input).map_err(|e| Error::from(scan::ScanError::from(e)))?;
    }
    let as_of = match &args.as_of {
        Some(date) => date.clone(),
        None => today()?,
    };
    let trust = args.trust.load().map_err(Error::from)?;
    let options = OpenOptions {
        trust,
        bundle: None,
        scan: scan_options(&args.walk, &args.hashing, Vec::new()),
    };
    let packs = builtin::resolve(&[], false).map_err(Error::from)?;
    let full = packs
        .iter()
        .any(|p| p.reads("files") || p.reads("manifest"));
    let check = CheckOptions {
        packs: &packs,
        as_of: &as_of,
        stage: Stage::Release,
        waiver_files: &[],
        declared_waivers: true,
    };
    // One release at a time: each is checked and reduced to what is compared before the next
    // is opened.
    let mut taken = Vec::with_capacity(2);
    for (label, input) in [("old", &args.old), ("new", &args.new)] {
        // Light file records (path, size, digest, kind) unless a pack reads them in full, as
        // `check` reads them: the comparison needs no format or facts.
        let release = if full {
            Release::open(input, &options, console)?
        } else {
            Release::open_light(input, &options, console)?
        };
        let v = &release.verification;
        if let Some(problem) = &v.problem {
            console.warn(&format!("{label} release: {problem}"));
        } else if !options.trust.is_empty() && !v.verified {
            console.warn(&format!(
                "{label} release: `{}` is an unsigned {}: nothing to verify with `--key`",
                release.subject.name, v.input
            ));
        }
        taken.push(diff::Taken::from(release, &check)?);
    }
    let diff = diff::between(&taken[0], &taken[1], &as_of);
    let bytes = match args.format {
        DiffFormat::Table => {
            let layout = report::table::Layout::for_output(&output, false);
            report::diff::table(&diff, layout.width).into_bytes()
        }
        DiffFormat::Json => report::diff::json(&diff),
        DiffFormat::Markdown => report::diff::markdown(&diff).into_bytes(),
    };
    output.write(&bytes).map_err(Error::from)?;
    // A key given is a question asked: a release it does not verify fails the run.
    let verified = taken.iter().all(diff::Taken::verified);
    Ok(if options.trust.is_empty() || verified {
        ExitStatus::Success
    } else {
        ExitStatus::Failure
    })
}
