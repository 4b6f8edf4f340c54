//! `scelle scan DIR`: the unsigned manifest, or a human summary of it.

use std::io::IsTerminal;

use crate::Error;
use crate::cli::{GlobalArgs, HashArgs, ScanArgs, ScanFormat, WalkArgs};
use crate::codes;
use crate::commands::check::today;
use crate::console::Console;
use crate::exit::ExitStatus;
use crate::finding::Finding;
use crate::manifest::RelPath;
use crate::report::sarif::{Roots, ScanFinding};
use crate::report::{self, Output};
use crate::scan::{self, ScanOptions};
use crate::waiver::{Ledger, Waiver};
use crate::walk::{self, SymlinkPolicy, WalkOptions};

pub(crate) fn run(
    args: &ScanArgs,
    global: &GlobalArgs,
    console: &Console,
) -> anyhow::Result<ExitStatus> {
    let output = Output::new(args.output.clone(), args.force);
    output.check_writable().map_err(Error::from)?;
    let mut extra_ignores = Vec::new();
    if let Output::File { path, .. } = &output {
        extra_ignores.extend(walk::relative_inside(&args.dir, path));
    }
    let options = scan_options(&args.walk, &args.hashing, extra_ignores);
    let progress = console.progress("hashing");
    let scan = scan::scan(&args.dir, &options, &progress).map_err(Error::from)?;
    crate::commands::sign::say_left_out(&scan.left_out, console);
    console.info(&format!(
        "scanned {} files ({}) in {:.3} s",
        scan.statement.predicate.files.len(),
        report::human_bytes(scan.bytes),
        scan.elapsed.as_secs_f64()
    ));
    let predicate = &scan.statement.predicate;
    let waivers: Vec<Waiver> = crate::waiver::load(
        &args.waivers,
        !args.no_declared_waivers,
        predicate.declared.as_ref(),
        scan.declared.as_ref().map(|d| &d.positions),
    )?
    .into_iter()
    // Waivers of pack rules are for `check`; a scan judges finding codes.
    .filter(|w| codes::is_code_like(&w.id))
    .collect();
    let as_of = today()?;
    let mut ledger = Ledger::new(waivers, &as_of);
    let findings: Vec<ScanFinding<'_>> = predicate
        .files
        .iter()
        .flat_map(|f| f.findings.iter().map(move |x| (f.path.as_str(), x)))
        .map(|(path, finding)| {
            let judgement = ledger.judge(&finding.rule, &[path.to_owned()]);
            ScanFinding {
                path,
                finding,
                waiver: judgement
                    .applied
                    .into_iter()
                    .next()
                    .filter(|_| judgement.waived),
            }
        })
        .collect();
    let statuses = ledger.statuses();
    let problems: Vec<Finding> = statuses.iter().filter_map(|w| w.finding(&as_of)).collect();
    for w in &statuses {
        if let Some(f) = w.finding(&as_of) {
            console.warn(&format!("{}: {}", w.waiver.at(), f.message));
        }
    }
    let bytes = match args.format {
        // Streamed: the manifest of a large release is never held whole.
        ScanFormat::Json => Vec::new(),
        ScanFormat::Table => {
            let color =
                output == Output::Stdout && global.color.enabled(std::io::stdout().is_terminal());
            report::table::scan_summary(
                &scan,
                &args.dir.display().to_string(),
                &report::table::Waived {
                    findings: &findings,
                    waivers: &statuses,
                },
                &report::table::Layout::for_output(&output, color),
            )
            .into_bytes()
        }
        ScanFormat::Sarif => {
            let roots = Roots::find(&args.dir, args.sarif_root.as_deref()).map_err(Error::from)?;
            let name = fs_err::canonicalize(&args.dir)
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
                .unwrap_or_else(|| ".".into());
            report::sarif::render_scan(&name, &findings, &statuses, &as_of, &roots)
        }
    };
    if args.format == ScanFormat::Json {
        output
            .write_with(|w| scan.statement.write_json(w))
            .map_err(Error::from)?;
    } else {
        output.write(&bytes).map_err(Error::from)?;
    }
    let Some(level) = args.fail_on else {
        return Ok(ExitStatus::Success);
    };
    let failing: Vec<Finding> = findings
        .iter()
        .filter(|f| f.waiver.is_none())
        .map(|f| f.finding.clone())
        .chain(problems)
        .collect();
    Ok(ExitStatus::from_findings(&failing, level))
}

/// Options shared by every command that walks and hashes a release.
pub(crate) fn scan_options(
    walk: &WalkArgs,
    hashing: &HashArgs,
    extra_ignores: Vec<RelPath>,
) -> ScanOptions {
    let mut ignore = walk.ignore.clone();
    ignore.extend(extra_ignores);
    ScanOptions {
        walk: WalkOptions {
            ignore,
            no_default_ignores: false,
            allow_empty: false,
            revision: walk.revision.clone(),
            symlinks: if walk.allow_symlinks {
                SymlinkPolicy::FollowInside
            } else {
                SymlinkPolicy::Reject
            },
        },
        jobs: hashing
            .jobs
            .map_or_else(scan::default_jobs, std::num::NonZeroUsize::get),
        inspect: !hashing.no_inspect,
    }
}
