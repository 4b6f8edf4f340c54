//! `scelle diff OLD NEW`: two releases side by side.

use crate::cli::{DiffArgs, GlobalArgs};
use crate::console::Console;
use crate::exit::ExitStatus;

pub(crate) fn run(
    _args: &DiffArgs,
    _global: &GlobalArgs,
    _console: &Console,
) -> anyhow::Result<ExitStatus> {
    anyhow::bail!("`scelle diff` is being written")
}
