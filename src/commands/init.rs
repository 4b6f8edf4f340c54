//! `scelle init [DIR]`: a commented `scelle.yaml` listing every field, filled where the release
//! already says (model card, `config.json`, weights), never replacing one without `--force`.

use crate::Error;
use crate::cli::{InitArgs, WalkArgs};
use crate::commands::scan::scan_options;
use crate::console::Console;
use crate::exit::ExitStatus;
use crate::manifest::descriptor::FILE_NAME;
use crate::manifest::{prefill, template};
use crate::report::Output;
use crate::scan;

pub(crate) fn run(args: &InitArgs, console: &Console) -> anyhow::Result<ExitStatus> {
    if !args.dir.is_dir() {
        return Err(anyhow::anyhow!("`{}` is not a folder", args.dir.display()));
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
    let (text, counts) = template::render(&name, &filled);
    output.write(text.as_bytes()).map_err(Error::from)?;
    if output != Output::Stdout {
        console.note(&format!(
            "wrote `{}`: {} fields filled from the release, {} marked TODO",
            target.display(),
            counts.filled,
            counts.todo
        ));
    }
    Ok(ExitStatus::Success)
}
