//! Command glue: turn parsed arguments into library calls and a report. No logic lives here;
//! each command returns the exit status its findings call for, or an error when it could not run.

mod check;
mod completions;
mod diff;
mod export;
mod init;
mod keygen;
pub mod man;
mod policy;
mod report;
mod scan;
mod sign;
mod verify;

use crate::cli::{Cli, Command};
use crate::console::Console;
use crate::exit::ExitStatus;

/// Runs the parsed command line.
pub fn run(cli: &Cli, console: &Console) -> anyhow::Result<ExitStatus> {
    match &cli.command {
        Command::Keygen(args) => keygen::run(args, console),
        Command::Scan(args) => scan::run(args, &cli.global, console),
        Command::Sign(args) => sign::run(args, console),
        Command::Verify(args) => verify::run(args, &cli.global, console),
        Command::Check(args) => check::run(args, &cli.global, console),
        Command::Report(args) => report::run(args, &cli.global, console),
        Command::Diff(args) => diff::run(args, &cli.global, console),
        Command::Export(args) => export::run(args, console),
        Command::Policy(command) => policy::run(command, console),
        Command::Init(args) => init::run(args, console),
        Command::Completions(args) => completions::run(args),
        Command::Man(args) => man::run(args, console),
    }
}
