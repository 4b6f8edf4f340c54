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
    let release = Release::open(&args.input, &options, console)?;
    if let Some(line) = &release.verification.problem {
        console.warn(line);
    }
    let today = match &args.as_of {
        Some(date) => date.clone(),
        None => today()?,
    };
    let doc = document::build(args.kind, Context::new(&release, today, args.audience));
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
