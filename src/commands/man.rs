//! `scelle man`: man pages generated from the clap definitions. Without `-o`, `scelle.1` in
//! roff on stdout (`scelle man | man -l -`); with `-o DIR`, `scelle.1` and one
//! `scelle-COMMAND.1` per command (`scelle-policy-explain.1`...), each written atomically.

use clap::CommandFactory as _;

use crate::Error;
use crate::cli::{Cli, ManArgs};
use crate::console::Console;
use crate::exit::ExitStatus;
use crate::report::{Output, write_atomic};

/// Every page: the program's, then one per command, named as `man` looks them up.
pub fn pages() -> Vec<(String, clap::Command)> {
    fn walk(cmd: &clap::Command, name: &str, out: &mut Vec<(String, clap::Command)>) {
        for sub in cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set() && s.get_name() != "help")
        {
            let page = format!("{name}-{}", sub.get_name());
            out.push((page.clone(), sub.clone().name(page.clone())));
            walk(sub, &page, out);
        }
    }
    let mut cmd = Cli::command();
    cmd.build();
    let mut out = vec![("scelle".to_owned(), cmd.clone())];
    walk(&cmd, "scelle", &mut out);
    out
}

/// A page in roff.
pub fn render(cmd: clap::Command) -> std::io::Result<Vec<u8>> {
    let mut roff = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut roff)?;
    Ok(roff)
}

pub(crate) fn run(args: &ManArgs, console: &Console) -> anyhow::Result<ExitStatus> {
    let Some(dir) = &args.output else {
        let mut cmd = Cli::command();
        cmd.build();
        Output::Stdout.write(&render(cmd)?).map_err(Error::from)?;
        return Ok(ExitStatus::Success);
    };
    fs_err::create_dir_all(dir)?;
    let pages = pages();
    // Refuse before writing anything, so a refusal leaves no mix of old and new pages.
    if !args.force {
        for (name, _) in &pages {
            Output::new(Some(dir.join(format!("{name}.1"))), false)
                .check_writable()
                .map_err(Error::from)?;
        }
    }
    for (name, cmd) in &pages {
        write_atomic(
            &dir.join(format!("{name}.1")),
            &render(cmd.clone())?,
            args.force,
        )
        .map_err(Error::from)?;
    }
    console.note(&format!(
        "wrote {} man pages in `{}`",
        pages.len(),
        dir.display()
    ));
    Ok(ExitStatus::Success)
}
