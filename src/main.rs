//! The `scelle` binary: parse, run, print the error if the command could not run, exit.

use std::process::ExitCode;

use clap::Parser;
use scelle::cli::Cli;
use scelle::console::Console;
use scelle::{ExitStatus, commands};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let console = Console::new(cli.global.color, cli.global.quiet, cli.global.verbose);
    match commands::run(&cli, &console) {
        Ok(status) => status.into(),
        Err(err) => {
            if broken_pipe(&err) {
                return ExitStatus::Success.into();
            }
            let hint = err
                .chain()
                .find_map(|e| e.downcast_ref::<scelle::Error>())
                .and_then(scelle::Error::hint);
            // Messages from other libraries sometimes end with a period; ours never do. An error
            // listing several problems (a declaration with three bad fields) gives one line each;
            // any other is one line, so a quoted name holding a newline cannot forge a second
            // (the console escapes it).
            let message = format!("{err:#}");
            let multi = err
                .chain()
                .find_map(|e| e.downcast_ref::<scelle::Error>())
                .is_some_and(scelle::Error::lists_problems);
            let lines: Vec<&str> = if multi {
                message.lines().collect()
            } else {
                vec![message.as_str()]
            };
            for (i, line) in lines.iter().enumerate() {
                let last = i + 1 == lines.len();
                console.error(
                    line.trim_end_matches('.'),
                    if last { hint.as_deref() } else { None },
                );
            }
            ExitStatus::Error.into()
        }
    }
}

/// The reader of stdout went away (`scelle scan DIR | head`): nothing left to report.
fn broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<scelle::report::OutputError>()
            .is_some_and(scelle::report::OutputError::is_broken_pipe)
    })
}
