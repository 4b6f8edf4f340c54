//! The library's top-level error: every way a command can fail to run, each keeping its source.
//! `hint` gives the obvious fix when there is one; `main` prints it under the error line.

use crate::report::OutputError;
use crate::scan::ScanError;

/// A command could not run (exit status 2). Findings are never errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Scan(#[from] ScanError),
    #[error(transparent)]
    Output(#[from] OutputError),
}

impl Error {
    /// The obvious fix, as one line, when there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Scan(e) => e.hint(),
            Error::Output(e) => e.hint(),
        }
    }
}
