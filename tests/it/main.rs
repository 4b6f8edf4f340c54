//! scelle's integration tests: one binary, one module per area. Release folders are built in
//! temporary directories by the tests themselves; large inputs are generated and deleted.

// Test code: a failed setup step should panic at once, and std::fs errors need no path naming.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::disallowed_methods
)]
// Helpers are `pub` for the sibling modules of this one test crate.
#![allow(unreachable_pub)]

mod attest;
mod bounds;
mod certificates;
mod check;
mod ci;
mod common;
mod conformance;
mod counting;
mod diff;
mod export;
mod export_cyclonedx;
mod export_spdx;
mod figures;
mod gate;
mod init;
mod input;
mod inspect;
mod inspect_gguf;
mod inspect_onnx;
mod inspect_parquet;
mod interop;
mod keyless;
mod keys;
mod loaders;
mod names;
mod output;
mod precommit;
mod report_audit;
mod report_forms;
mod report_html;
mod report_summary;
mod robustness;
mod scan;
mod scenarios;
mod sign;
mod signer;
mod summary_doc;
mod templates;
mod vectors;
