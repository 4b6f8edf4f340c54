//! Identifiers of the findings the inspectors report on files, named here so that the scan,
//! the summary, `init` and the code catalogue use one spelling.

/// The file's structure could not be read (what is wrong, at which offset).
pub const MALFORMED: &str = "file/malformed";
/// The file is readable but breaks a rule of its format (duplicate keys, overlaps...).
pub const NONCONFORMING: &str = "file/nonconforming";
/// Loading the file runs code chosen by whoever wrote it.
pub const CODE_ON_LOAD: &str = "file/code-on-load";
/// Loading the file imports names outside the known-safe lists.
pub const SUSPICIOUS_IMPORT: &str = "file/suspicious-import";
/// A chat template hides what it reads (computed keys, escapes, includes), strains the
/// renderer, or could not be analysed.
pub const SUSPICIOUS_TEMPLATE: &str = "file/suspicious-template";
/// Loading the release needs `trust_remote_code` (Python code in a model folder, `auto_map`).
pub const REMOTE_CODE: &str = "file/remote-code";
/// A Git LFS pointer: the content was never downloaded.
pub const LFS_POINTER: &str = "file/lfs-pointer";
/// A file refers to another outside the release (ONNX external data escaping the folder).
pub const ESCAPING_REFERENCE: &str = "file/escaping-reference";
/// A Hugging Face cache blob whose name does not match its content.
pub const HUB_BLOB_MISMATCH: &str = "file/hub-blob-mismatch";
/// Two names of the release are the same text in different Unicode normal forms: one
/// file on macOS, two on Linux, so which one a user gets depends on the system.
pub const LOOKALIKE_NAME: &str = "file/lookalike-name";
/// Worth knowing, not a problem (a chat template, an unusual but valid layout).
pub const NOTE: &str = "file/note";
/// A part of the file that a loader would read could not be inspected (an encrypted archive
/// member or one compressed with a method scelle cannot read, a compressed pickle that
/// decompresses past the cap or with a compression scelle cannot open, legacy checkpoint
/// records that cannot be delimited): whether loading it runs code is unknown.
pub const UNSCANNABLE: &str = "file/unscannable";
