//! `scelle completions SHELL`: the shell's completion script, generated from the clap
//! definitions, on stdout.

use clap::CommandFactory as _;

use crate::Error;
use crate::cli::{Cli, CompletionsArgs};
use crate::exit::ExitStatus;
use crate::report::Output;

pub(crate) fn run(args: &CompletionsArgs) -> anyhow::Result<ExitStatus> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "scelle", &mut script);
    Output::Stdout.write(&script).map_err(Error::from)?;
    Ok(ExitStatus::Success)
}
