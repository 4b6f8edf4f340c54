//! `scelle report INPUT --kind KIND`: opens the release (verified with `--key`), builds the
//! document and writes it. Fields the document needed and the declaration does not give are
//! written as "not declared" and listed on stderr.
//!
//! `report` writes documents; it is not a gate: it exits 0 once the document is written, whatever
//! the document says (findings included), and 2 when it could not run. `check` is the gate.

use crate::Error;
use crate::cli::{DocumentFormat, GlobalArgs, ReportArgs};
use crate::commands::check::today;
use crate::commands::scan::scan_options;
use crate::console::Console;
use crate::document::{self, Context, Kind};
use crate::exit::ExitStatus;
use crate::policy::{Stage, builtin};
use crate::release::{CheckOptions, OpenOptions, Release};
use crate::report::Output;
use crate::scan;
use crate::sign::load_public_key;
use crate::walk;

pub(crate) fn run(
    args: &ReportArgs,
    _global: &GlobalArgs,
    console: &Console,
) -> anyhow::Result<ExitStatus> {
    // Only the Model Documentation Form marks its items for audiences: another document given
    // one would claim a filtering it does not do.
    if args.audience.is_some() && args.kind != document::Kind::ModelDocumentation {
        return Err(anyhow::anyhow!(
            "`--audience` applies to `--kind model-documentation` only, not `--kind {}`",
            args.kind.as_str()
        ));
    }
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
    let mut release = Release::open(&args.input, &options, console)?;
    if let Some(line) = &release.verification.problem {
        console.warn(line);
    }
    // The document is dated the day it is made; `--as-of` only moves the day dates are judged by.
    let today = today()?;
    let as_of = args.as_of.clone().unwrap_or_else(|| today.clone());
    // The audit reports the check `scelle check` makes with no options: every built-in pack,
    // the release stage, the declaration's own waivers.
    let check = if args.kind == Kind::Audit {
        let packs = builtin::resolve(&[], false).map_err(Error::from)?;
        Some(release.check(&CheckOptions {
            packs: &packs,
            as_of: &as_of,
            stage: Stage::default(),
            waiver_files: &[],
            declared_waivers: true,
        })?)
    } else {
        None
    };
    let cx = Context::new(&release, today, args.audience)
        .as_of(as_of)
        .with_folder(release_folder(args));
    let doc = document::build(args.kind, cx, check.as_ref())?;
    for field in &doc.not_declared {
        console.warn(&format!("`{field}` is not declared: the document says so"));
    }
    let bytes = match args.format {
        DocumentFormat::Markdown => document::markdown(&doc).into_bytes(),
        DocumentFormat::Html => document::html(&doc).into_bytes(),
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
