//! `scelle scan DIR`: the unsigned manifest, or a human summary of it.

use std::io::IsTerminal;

use crate::Error;
use crate::cli::{GlobalArgs, HashArgs, ScanArgs, ScanFormat, WalkArgs};
use crate::console::Console;
use crate::exit::ExitStatus;
use crate::manifest::RelPath;
use crate::report::{self, Output};
use crate::scan::{self, ScanOptions};
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
    console.info(&format!(
        "scanned {} files ({}) in {:.3} s",
        scan.statement.predicate.files.len(),
        report::human_bytes(scan.bytes),
        scan.elapsed.as_secs_f64()
    ));
    match args.format {
        // Streamed: the manifest of a large release is never held whole.
        ScanFormat::Json => output
            .write_with(|w| scan.statement.write_json(w))
            .map_err(Error::from)?,
        ScanFormat::Table => {
            let color =
                output == Output::Stdout && global.color.enabled(std::io::stdout().is_terminal());
            let text = report::table::scan_summary(&scan, &args.dir.display().to_string(), color);
            output.write(text.as_bytes()).map_err(Error::from)?;
        }
    }
    Ok(ExitStatus::Success)
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
