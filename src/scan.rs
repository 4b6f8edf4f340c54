//! A scan: walk the release, hash and classify every file, and build the unsigned manifest.
//!
//! This is the pipeline `scan`, `sign` and `verify` share, so a verifier re-walks and re-hashes
//! a release exactly the way it was sealed.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::clock::{self, ClockError};
use crate::hash::{self, HashError};
use crate::inspect;
use crate::manifest::{FileRecord, ScanSettings, Statement};
use crate::walk::{self, WalkError, WalkOptions};

/// How to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub walk: WalkOptions,
    /// Hashing workers; one per core is right for warm and cold caches alike.
    pub jobs: usize,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            walk: WalkOptions::default(),
            jobs: default_jobs(),
        }
    }
}

/// One worker per available core.
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Receives progress while files are hashed (a progress bar, or nothing).
pub trait Progress: Sync {
    /// Hashing starts; `total` bytes are to be read.
    fn begin(&self, total: u64);
    /// `bytes` more were hashed.
    fn advance(&self, bytes: u64);
    /// Hashing is over.
    fn end(&self);
}

/// No progress reporting.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn begin(&self, _: u64) {}
    fn advance(&self, _: u64) {}
    fn end(&self) {}
}

/// A finished scan: the manifest and how long it took.
#[derive(Debug, Clone)]
pub struct Scan {
    pub statement: Statement,
    pub bytes: u64,
    pub elapsed: Duration,
    pub jobs: usize,
}

/// Why a scan could not run.
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    #[error(transparent)]
    Walk(#[from] WalkError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Clock(#[from] ClockError),
}

impl ScanError {
    pub fn hint(&self) -> Option<String> {
        match self {
            ScanError::Walk(e) => e.hint(),
            ScanError::Hash(e) => e.hint(),
            ScanError::Clock(_) => {
                Some("unset `SOURCE_DATE_EPOCH` or set it to seconds since 1970".into())
            }
        }
    }
}

/// Scans `root` into an unsigned manifest.
pub fn scan(
    root: &Path,
    options: &ScanOptions,
    progress: &dyn Progress,
) -> Result<Scan, ScanError> {
    // Read the clock first: a bad SOURCE_DATE_EPOCH should fail before minutes of hashing.
    let created = clock::rfc3339(clock::now()?);
    let start = Instant::now();
    let walked = walk::walk(root, &options.walk)?;
    let total: u64 = walked.entries.iter().map(|e| e.size).sum();
    progress.begin(total);
    let hashed = hash::hash_files(&walked.entries, options.jobs, &|n| progress.advance(n));
    progress.end();
    let hashed = hashed?;

    let files: Vec<FileRecord> = walked
        .entries
        .into_iter()
        .zip(hashed)
        .map(|(entry, hash)| {
            let (kind, format) = inspect::classify(&entry.rel, hash.size, &hash.head);
            FileRecord {
                path: entry.rel,
                size: hash.size,
                sha256: hash.sha256,
                kind,
                format,
                facts: std::collections::BTreeMap::new(),
                findings: Vec::new(),
            }
        })
        .collect();
    let bytes = files.iter().map(|f| f.size).sum();
    let settings = ScanSettings {
        ignore: walked.ignore,
        symlinks: options.walk.symlinks.as_str().into(),
    };
    Ok(Scan {
        statement: Statement::new(files, created, settings),
        bytes,
        elapsed: start.elapsed(),
        jobs: options.jobs,
    })
}
