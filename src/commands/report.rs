//! `scelle report INPUT --kind KIND`: opens the release (verified with `--key`), builds the
//! document and writes it. Fields the document needed and the declaration does not give are
//! written as "not declared" and listed on stderr.

use crate::Error;
use crate::cli::{DocumentFormat, GlobalArgs, ReportArgs};
use crate::commands::check::today;
use crate::commands::scan::scan_options;
use crate::console::Console;
use crate::document::{self, Context};
use crate::exit::ExitStatus;
use crate::release::{OpenOptions, Release};
use crate::report::Output;
use crate::scan;
use crate::sign::load_public_key;
use crate::walk;

pub(crate) fn run(
    args: &ReportArgs,
    _global: &GlobalArgs,
    console: &Console,
) -> anyhow::Result<ExitStatus> {
    let output = Output::new(args.output.clone(), args.force);
    output.check_writable().map_err(Error::from)?;
    walk::existing(&args.input).map_err(|e| Error::from(scan::ScanError::from(e)))?;
    let keys = args
        .key
        .iter()
        .map(|k| load_public_key(k))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Error::from)?;
    let options = OpenOptions {
        keys,
        bundle: args.bundle.clone(),
        scan: scan_options(&args.walk, &args.hashing, Vec::new()),
    };
    let release = Release::open(&args.input, &options, console)?;
    if let Some(line) = &release.verification.problem {
        console.warn(line);
    }
    let today = match &args.as_of {
        Some(date) => date.clone(),
        None => today()?,
    };
    let cx = Context::new(&release, today, args.audience).with_folder(release_folder(args));
    let doc = document::build(args.kind, cx)?;
    for field in &doc.not_declared {
        console.warn(&format!("`{field}` is not declared: the document says so"));
    }
    let bytes = match args.format {
        // The HTML renderer is being written; until then HTML is the Markdown text.
        DocumentFormat::Markdown | DocumentFormat::Html => document::markdown(&doc).into_bytes(),
        DocumentFormat::Json => document::json(&doc),
    };
    output.write(&bytes).map_err(Error::from)?;
    Ok(ExitStatus::Success)
}

/// Where the release's files are: the folder given (a hub repository's snapshot), or the folder
/// of the manifest or bundle given.
fn release_folder(args: &ReportArgs) -> Option<std::path::PathBuf> {
    if args.input.is_dir() {
        walk::resolve_release(&args.input, args.walk.revision.as_deref())
            .ok()
            .map(|r| r.path)
    } else {
        Some(crate::release::parent_of(&args.input))
    }
}
