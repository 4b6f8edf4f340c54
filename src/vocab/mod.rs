//! The vocabulary the manifest, the inspectors and the reports share: release-relative paths,
//! SHA-256 digests, file kinds and formats, and the identifiers of file findings. It imports
//! nothing from them, so none of them imports another to name a file or a digest.

mod digest;
mod kind;
mod path;
pub mod rules;

pub use digest::{DigestError, Sha256Digest};
pub use kind::{Format, Kind};
pub use path::{PathError, RelPath};
