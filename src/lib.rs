//! scelle seals open-model releases: it hashes every weight and dataset file, records what each
//! file is, signs that record and verifies it byte for byte.
//!
//! The library holds all the logic; the `scelle` binary only parses arguments, calls
//! [`commands::run`] and turns the resulting [`ExitStatus`] into the process exit code.
//! Data flows `walk -> hash + inspect -> manifest`; findings are data, `Err` means
//! "could not run".

pub mod attest;
pub mod cli;
pub mod clock;
pub mod codes;
pub mod commands;
pub mod console;
pub mod crawl_domains;
pub mod diff;
pub mod document;
mod error;
pub mod exit;
pub mod export;
pub mod finding;
#[cfg(test)]
mod generated_docs;
pub mod hash;
pub mod hub;
pub mod input;
pub mod inspect;
pub mod manifest;
pub mod policy;
pub mod prefill;
pub mod release;
pub mod report;
pub mod scan;
pub mod sign;
pub mod summary;
pub mod text;
pub mod training_content;
pub mod verify;
pub mod vocab;
pub mod waiver;
pub mod walk;
pub mod yaml;

pub use error::Error;
pub use exit::ExitStatus;
