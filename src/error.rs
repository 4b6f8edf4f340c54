//! The library's top-level error: every way a command can fail to run, each keeping its source.
//! `hint` gives the obvious fix when there is one; `main` prints it under the error line.

use crate::attest::AttestError;
use crate::crawl_domains::DomainSizesError;
use crate::document::DocumentError;
use crate::input::InputError;
use crate::manifest::ManifestError;
use crate::manifest::descriptor::DescriptorError;
use crate::policy::builtin::PolicyError;
use crate::report::OutputError;
use crate::report::sarif::RootError;
use crate::scan::ScanError;
use crate::sign::trust::TrustError;
use crate::sign::{KeyError, SignError};
use crate::verify::VerifyError;
use crate::waiver::WaiverError;

/// A command could not run (exit status 2). Findings are never errors.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Scan(#[from] ScanError),
    #[error(transparent)]
    Output(#[from] OutputError),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(transparent)]
    Descriptor(#[from] DescriptorError),
    #[error(transparent)]
    Waiver(#[from] WaiverError),
    #[error(transparent)]
    SarifRoot(#[from] RootError),
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Attest(#[from] AttestError),
    #[error(transparent)]
    DomainSizes(#[from] DomainSizesError),
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error(transparent)]
    Trust(#[from] TrustError),
    #[error(transparent)]
    Export(#[from] crate::export::ExportError),
}

impl Error {
    /// Whether the message lists several problems, one per line (a declaration or a pack with
    /// several errors); every other message is one line, whatever text it quotes.
    pub fn lists_problems(&self) -> bool {
        use crate::policy::builtin::PolicyError;
        matches!(
            self,
            Error::Descriptor(DescriptorError::Invalid { .. })
                | Error::Scan(ScanError::Descriptor(DescriptorError::Invalid { .. }))
                | Error::Policy(PolicyError::Load(_))
        )
    }

    /// The obvious fix, as one line, when there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Scan(e) => e.hint(),
            Error::Output(e) => e.hint(),
            Error::Key(e) => e.hint(),
            Error::Sign(e) => e.hint(),
            Error::Manifest(e) => e.hint(),
            Error::Verify(e) => e.hint(),
            Error::Policy(e) => e.hint(),
            Error::Descriptor(e) => e.hint(),
            Error::Waiver(e) => e.hint(),
            Error::SarifRoot(e) => e.hint(),
            Error::Input(e) => e.hint(),
            Error::Attest(e) => e.hint(),
            Error::DomainSizes(e) => e.hint(),
            Error::Trust(e) => e.hint(),
            Error::Document(_) | Error::Export(_) => None,
        }
    }
}
