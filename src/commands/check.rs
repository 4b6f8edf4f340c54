//! `scelle check INPUT`: what the release is (a folder scanned now, a manifest, a bundle verified
//! with `--key`), then every pack over it, then a report and an exit status from `--fail-on`.

use std::io::IsTerminal;

use crate::Error;
use crate::attest;
use crate::cli::{CheckArgs, CheckFormat, GlobalArgs};
use crate::commands::scan::scan_options;
use crate::console::Console;
use crate::exit::ExitStatus;
use crate::policy::builtin;
use crate::release::{self, CheckOptions, OpenOptions, Release};
use crate::report::{self, Output};
use crate::scan;

use crate::walk;

pub(crate) fn run(
    args: &CheckArgs,
    global: &GlobalArgs,
    console: &Console,
) -> anyhow::Result<ExitStatus> {
    let (output, attestation, loaded) = prepare_attestation(args, console)?;
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
    let options = match loaded {
        Some(options) => options,
        None => open_options(args)?,
    };
    let mut input = if full {
        Release::open(&args.input, &options, console)?
    } else {
        Release::open_light(&args.input, &options, console)?
    };
    if let Some(line) = &input.verification.problem {
        console.warn(line);
    }
    let report = input.check(&CheckOptions {
        packs: &packs,
        as_of: &as_of,
        stage: args.stage,
        waiver_files: &args.waivers,
        declared_waivers: !args.no_declared_waivers,
    })?;
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
                release::parent_of(&args.input)
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
/// bundle the run checks, hashed now (see [`attest::Request::prepare`]); the options (keys
/// read) when finding that bundle needed them, so the run does not read the keys again.
fn prepare_attestation(
    args: &CheckArgs,
    console: &Console,
) -> anyhow::Result<(Output, Option<Attesting>, Option<OpenOptions>)> {
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
        return Ok((output, None, None));
    };
    let options = open_options(args)?;
    let bundle = attest::bundle_before(
        &args.input,
        args.bundle.as_deref(),
        args.walk.revision.as_deref(),
        &options.trust,
    )
    .map_err(Error::from)?;
    Ok((output, Some((request, bundle)), Some(options)))
}

/// Today as `YYYY-MM-DD`, from the clock `SOURCE_DATE_EPOCH` pins.
pub(crate) fn today() -> anyhow::Result<String> {
    Ok(crate::clock::today().map_err(|e| Error::from(scan::ScanError::from(e)))?)
}

/// How `check` opens its input: the keys given, the bundle, and how a folder is walked.
fn open_options(args: &CheckArgs) -> anyhow::Result<OpenOptions> {
    let trust = args.trust.load().map_err(Error::from)?;
    Ok(OpenOptions {
        trust,
        bundle: args.bundle.clone(),
        scan: scan_options(&args.walk, &args.hashing, Vec::new()),
    })
}
