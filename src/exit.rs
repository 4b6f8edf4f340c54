//! The process exit status, decided in one place (DESIGN.md §2): 0 when the command ran and
//! found nothing at or above the failure level, 1 when it ran and found a failure, 2 when it
//! could not run. Only `main` turns it into an exit code.

use std::process::ExitCode;

/// What a command's outcome means for the process.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// Ran; nothing at or above the failure level.
    Success,
    /// Ran; found a failure (bad signature, digest mismatch, failed rule).
    Failure,
    /// Could not run (usage, unreadable or malformed input, bad key).
    Error,
}

impl ExitStatus {
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status.code())
    }
}
