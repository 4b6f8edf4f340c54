//! Everything scelle says on stderr: errors with their `hint:` line, warnings, `-v` notes and
//! the progress bar. stdout is reserved for data (manifests, reports), so a pipeline can
//! always redirect it safely.
//!
//! Colour follows `--color`, then `NO_COLOR`, then whether the stream is a terminal; every
//! message reads the same without it.

use std::io::{IsTerminal, Write};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};

use crate::report::human_bytes;
use crate::scan::Progress;
use crate::text::escape;

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when writing to a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// Whether to colour a stream that is (or is not) a terminal.
    pub fn enabled(self, is_terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_terminal
                    && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::env::var_os("TERM").is_none_or(|t| t != "dumb")
            }
        }
    }
}

/// The stderr side of the program.
#[derive(Debug, Clone)]
pub struct Console {
    color: bool,
    quiet: bool,
    verbose: u8,
    interactive: bool,
}

const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const CYAN: &str = "\x1b[1;36m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

impl Console {
    pub fn new(color: ColorChoice, quiet: bool, verbose: u8) -> Self {
        let interactive = std::io::stderr().is_terminal();
        Self {
            color: color.enabled(interactive),
            quiet,
            verbose,
            interactive,
        }
    }

    /// A console that says nothing but errors (for library callers and tests).
    pub fn silent() -> Self {
        Self {
            color: false,
            quiet: true,
            verbose: 0,
            interactive: false,
        }
    }

    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }

    fn line(text: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{text}");
    }

    /// `error: ...` and, when there is an obvious fix, `hint: ...`. Never silenced by `-q`.
    /// Every message is one line: the names and strings it quotes are escaped.
    pub fn error(&self, message: &str, hint: Option<&str>) {
        Self::line(&format!(
            "{}: {}",
            self.paint(RED, "error"),
            escape(message)
        ));
        if let Some(hint) = hint {
            Self::line(&format!("{}: {}", self.paint(CYAN, "hint"), escape(hint)));
        }
    }

    /// `warning: ...`, silenced by `-q`.
    pub fn warn(&self, message: &str) {
        if !self.quiet {
            Self::line(&format!(
                "{}: {}",
                self.paint(YELLOW, "warning"),
                escape(message)
            ));
        }
    }

    /// A line of information, silenced by `-q`.
    pub fn note(&self, message: &str) {
        if !self.quiet {
            Self::line(&escape(message));
        }
    }

    /// A note shown with `-v`.
    pub fn info(&self, message: &str) {
        if self.verbose > 0 && !self.quiet {
            Self::line(&self.paint(DIM, &escape(message)));
        }
    }

    /// A byte progress bar, drawn only on an interactive stderr and without `-q`.
    pub fn progress(&self, message: &'static str) -> ByteProgress {
        let bar = (self.interactive && !self.quiet).then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template(
                "{msg} {wide_bar} {binary_bytes}/{binary_total_bytes} {average_rate} eta {average_eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            // indicatif's smoothed estimate lags far behind on short, fast runs; the average
            // since the start is what a reader expects from a hashing rate.
            .with_key("average_rate", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{}/s", human_bytes(average_rate(state)));
            })
            .with_key("average_eta", |state: &ProgressState, w: &mut dyn std::fmt::Write| {
                let rate = average_rate(state);
                let left = state.len().unwrap_or(0).saturating_sub(state.pos());
                if rate == 0 {
                    let _ = write!(w, "-");
                } else {
                    let _ = write!(w, "{}s", left.div_ceil(rate));
                }
            });
            bar.set_style(style);
            bar.set_message(message);
            bar
        });
        ByteProgress { bar }
    }
}

/// Bytes per second since the bar started.
fn average_rate(state: &ProgressState) -> u64 {
    let seconds = state.elapsed().as_secs_f64();
    if seconds <= 0.0 {
        return 0;
    }
    #[allow(
        clippy::cast_precision_loss,
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss
    )]
    let rate = (state.pos() as f64 / seconds) as u64;
    rate
}

/// A progress bar over bytes, or nothing.
#[derive(Debug)]
pub struct ByteProgress {
    bar: Option<ProgressBar>,
}

impl Progress for ByteProgress {
    fn begin(&self, total: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total);
        }
    }

    fn advance(&self, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.inc(bytes);
        }
    }

    fn end(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
