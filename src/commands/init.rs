//! `scelle init [DIR]`: a commented `scelle.yaml` with the fields the built-in packs need for the
//! release (`--full`: every field), filled where the release already says (model card,
//! `config.json`, GGUF headers, weights), never replacing one without `--force`.

use crate::Error;
use crate::cli::{InitArgs, WalkArgs};
use crate::commands::scan::scan_options;
use crate::console::Console;
use crate::exit::ExitStatus;
use crate::manifest::descriptor::{self, FILE_NAME};
use crate::manifest::template::Prefill;
use crate::manifest::{FileRecord, template};
use crate::policy::builtin;
use crate::policy::needs::{self, Needs};
use crate::prefill;
use crate::report::Output;
use crate::scan;

pub(crate) fn run(args: &InitArgs, console: &Console) -> anyhow::Result<ExitStatus> {
    // A missing folder is named as missing; a file is not a release folder to declare.
    if !crate::walk::existing(&args.dir)
        .map_err(|e| Error::from(scan::ScanError::from(e)))?
        .is_dir()
    {
        return Err(anyhow::anyhow!(
            "`{}` is a file, not a release folder",
            args.dir.display()
        ));
    }
    let target = args
        .output
        .clone()
        .unwrap_or_else(|| args.dir.join(FILE_NAME));
    let output = Output::new(Some(target.clone()), args.force);
    output.check_writable().map_err(Error::from)?;
    let options = scan_options(
        &WalkArgs::default(),
        &crate::cli::HashArgs::default(),
        Vec::new(),
    );
    let files = scan::survey(&args.dir, &options.walk).map_err(Error::from)?;
    let name = fs_err::canonicalize(&args.dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "release".into());
    let filled = prefill::gather(&args.dir, &name, &files);
    let needs = if args.full {
        None
    } else {
        Some(needs(&name, &filled, &files)?)
    };
    let short = needs.as_ref().map(|n| template::Short {
        fields: &n.fields,
        packs: &n.applying,
    });
    let (text, counts) = template::render(&name, &filled, short);
    output.write(text.as_bytes()).map_err(Error::from)?;
    if output != Output::Stdout {
        let form = if args.full {
            "every field"
        } else {
            "the fields the built-in packs read for this release; `--full` writes every field"
        };
        console.note(&format!(
            "wrote `{}`: {} fields filled from the release, {} marked TODO ({form})",
            target.display(),
            counts.filled,
            counts.todo
        ));
    }
    Ok(ExitStatus::Success)
}

/// What the built-in packs need, run on the release as it would be declared with what could be
/// read: the full template with those values, parsed as `scan` will parse it.
fn needs(name: &str, filled: &Prefill, files: &[FileRecord]) -> anyhow::Result<Needs> {
    let (full, _) = template::render(name, filled, None);
    let declared = descriptor::parse(&full, FILE_NAME)
        .map(|d| d.value)
        .unwrap_or_default();
    let packs = builtin::resolve(&[], false).map_err(Error::from)?;
    let now = crate::clock::now().map_err(|e| Error::from(crate::scan::ScanError::from(e)))?;
    let as_of = now.strftime("%Y-%m-%d").to_string();
    Ok(needs::for_release(&packs, files, &declared, &as_of))
}
