//! The process exit status, decided in one place (DESIGN.md §2): 0 when the command ran and
//! found nothing at or above the failure level, 1 when it ran and found a failure, 2 when it
//! could not run. Only `main` turns it into an exit code.

use std::process::ExitCode;

use crate::finding::{Finding, Severity};

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
    /// Failure when any finding fails at or above `fail_on`, success otherwise.
    pub fn from_findings(findings: &[Finding], fail_on: Severity) -> Self {
        if findings.iter().any(|f| f.fails_at(fail_on)) {
            ExitStatus::Failure
        } else {
            ExitStatus::Success
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Outcome;

    #[test]
    fn failures_at_or_above_the_level_fail_the_run() {
        let warning = Finding::fail("r", Severity::Warning, "w");
        let mut passed = Finding::fail("r", Severity::Error, "e");
        passed.outcome = Outcome::Pass;
        assert_eq!(
            ExitStatus::from_findings(&[], Severity::Error),
            ExitStatus::Success
        );
        assert_eq!(
            ExitStatus::from_findings(&[warning.clone(), passed.clone()], Severity::Error),
            ExitStatus::Success
        );
        assert_eq!(
            ExitStatus::from_findings(std::slice::from_ref(&warning), Severity::Warning),
            ExitStatus::Failure
        );
        assert_eq!(
            ExitStatus::from_findings(&[warning], Severity::Info),
            ExitStatus::Failure
        );
        let mut errored = passed;
        errored.outcome = Outcome::Error;
        assert_eq!(
            ExitStatus::from_findings(&[errored], Severity::Error),
            ExitStatus::Failure
        );
    }
}
