//! A scan: walk the release, hash and classify every file, and build the unsigned manifest.
//!
//! This is the pipeline `scan`, `sign` and `verify` share, so a verifier re-walks and re-hashes
//! a release exactly the way it was sealed.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::clock::{self, ClockError};
use crate::hash::{self, FileHash, HashError, Hashing};
use crate::inspect::{self, FileInfo, source::Source};
use crate::manifest::descriptor::{self, Declared, DescriptorError};
use crate::manifest::{FileRecord, ScanSettings, Sha256Digest, Statement};
use crate::summary;
use crate::walk::{self, WalkEntry, WalkError, WalkOptions};

/// How to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    pub walk: WalkOptions,
    /// Hashing workers; one per core is right for warm and cold caches alike.
    pub jobs: usize,
    /// Run the format inspectors (off: classify by name and magic only, for benchmarks).
    pub inspect: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        Self {
            walk: WalkOptions::default(),
            jobs: default_jobs(),
            inspect: true,
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
    /// The release's `scelle.yaml`, validated, with the position of every field.
    pub declared: Option<Declared>,
    /// Paths left out because of what they are (caches, bundles), to say so on stderr.
    pub left_out: Vec<crate::walk::LeftOut>,
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
    #[error(transparent)]
    Descriptor(#[from] DescriptorError),
    #[error("`{0}` changed while it was scanned")]
    DescriptorChanged(String),
    #[error(transparent)]
    Read(#[from] std::io::Error),
}

impl ScanError {
    pub fn hint(&self) -> Option<String> {
        match self {
            ScanError::Walk(e) => e.hint(),
            ScanError::Hash(e) => e.hint(),
            ScanError::Clock(_) => {
                Some("unset `SOURCE_DATE_EPOCH` or set it to seconds since 1970".into())
            }
            ScanError::Descriptor(e) => e.hint(),
            ScanError::DescriptorChanged(_) | ScanError::Read(_) => None,
        }
    }
}

/// A quick look at a release without hashing it, for `scelle init`: every file classified and
/// inspected from its header. The records carry the digest of empty input, not of the file, and
/// must never reach a manifest.
pub fn survey(root: &Path, options: &WalkOptions) -> Result<Vec<FileRecord>, ScanError> {
    use std::io::Read as _;
    let walked = walk::walk(root, options)?;
    let mut records = Vec::with_capacity(walked.entries.len());
    for entry in walked.entries {
        let path = entry.path.clone();
        let file = hash::open_entry(&entry)?;
        let mut head = Vec::with_capacity(hash::HEAD_LEN);
        file.file()
            .take(hash::HEAD_LEN as u64)
            .read_to_end(&mut head)
            .map_err(|e| {
                std::io::Error::new(e.kind(), format!("reading `{}`: {e}", path.display()))
            })?;
        let info = FileInfo {
            path: &entry.rel,
            size: entry.size,
            head: &head,
            lines: None,
        };
        let inspection = inspect::inspect(&info, Source::file(file.file(), entry.size));
        records.push(FileRecord {
            path: entry.rel,
            size: entry.size,
            sha256: Sha256Digest::of(&[]),
            kind: inspection.kind,
            format: inspection.format,
            facts: inspection.facts,
            findings: inspection.findings,
        });
    }
    Ok(records)
}

/// The release's declaration as read before hashing.
#[derive(Debug)]
struct Declaration {
    digest: Sha256Digest,
    declared: Declared,
    display: String,
}

impl Declaration {
    /// The declaration, if it is the file that was hashed.
    fn matching(self, files: &[FileRecord]) -> Result<Declared, ScanError> {
        let hashed = files
            .iter()
            .find(|f| f.path.as_str() == descriptor::FILE_NAME)
            .map(|f| f.sha256);
        if hashed == Some(self.digest) {
            Ok(self.declared)
        } else {
            Err(ScanError::DescriptorChanged(self.display))
        }
    }
}

/// The model card at the top of a release.
const CARD: &str = "README.md";

/// The model card, read before hashing and kept only when the hashed file has the digest of the
/// bytes read (as for the declaration). A card that cannot be read (too large, not UTF-8, not a
/// regular file) is recorded as no card: it is documentation, not a reason to stop the scan.
fn read_card(entries: &[WalkEntry]) -> Option<Document> {
    let entry = entries.iter().find(|e| e.rel.as_str() == CARD)?;
    let text = crate::input::read_text(&entry.path, crate::input::Kind::MODEL_CARD).ok()?;
    Some(Document {
        path: CARD.to_owned(),
        digest: Sha256Digest::of(text.as_bytes()),
        facts: crate::manifest::card::facts(&text),
    })
}

/// A document's facts (the model card's, the public summary's), its path and the digest of the
/// bytes they were read from.
#[derive(Debug)]
struct Document {
    path: String,
    digest: Sha256Digest,
    facts: serde_json::Value,
}

impl Document {
    /// The facts, when the hashed document is the one read.
    fn matching(self, files: &[FileRecord]) -> Option<serde_json::Value> {
        files
            .iter()
            .any(|f| f.path.as_str() == self.path && f.sha256 == self.digest)
            .then_some(self.facts)
    }
}

/// The public summary the declaration says is shipped in the release (`public_summary.uri`, a
/// path), read before hashing like the card, and only when its bytes have the declared digest:
/// a summary that is not the sealed one says nothing about the release (`derived.documents`
/// reports the mismatch). One that cannot be read (over 1 MiB, not UTF-8, not a regular file)
/// is recorded as not read.
fn read_summary(entries: &[WalkEntry], declaration: Option<&Declaration>) -> Option<Document> {
    let declared = &declaration?.declared.value;
    let uri = declared.pointer("/public_summary/uri")?.as_str()?;
    let sha256 = declared.pointer("/public_summary/sha256")?.as_str()?;
    if descriptor::has_scheme(uri) {
        return None;
    }
    let entry = entries.iter().find(|e| e.rel.as_str() == uri)?;
    let text = crate::input::read_text(&entry.path, crate::manifest::summary_doc::SUMMARY).ok()?;
    let digest = Sha256Digest::of(text.as_bytes());
    digest
        .to_hex()
        .eq_ignore_ascii_case(sha256)
        .then(|| Document {
            path: uri.to_owned(),
            digest,
            facts: crate::manifest::summary_doc::facts(uri, &text, declared),
        })
}

/// The model card and the public summary, read before hashing; neither with `--no-inspect`.
fn read_documents(
    entries: &[WalkEntry],
    declaration: Option<&Declaration>,
    options: &ScanOptions,
) -> (Option<Document>, Option<Document>) {
    if options.inspect {
        (read_card(entries), read_summary(entries, declaration))
    } else {
        (None, None)
    }
}

/// Reads and checks `scelle.yaml` before minutes of hashing; its digest is compared with the
/// hashed file afterwards, so the manifest never carries a declaration other than the file it
/// lists.
fn read_declaration(entries: &[WalkEntry]) -> Result<Option<Declaration>, ScanError> {
    let Some(entry) = entries
        .iter()
        .find(|e| e.rel.as_str() == descriptor::FILE_NAME)
    else {
        return Ok(None);
    };
    // The entry's own path: the walk may have resolved `root` (a hub cache folder to a snapshot).
    let path = &entry.path;
    let display = path.display().to_string();
    let text = crate::input::read_text(path, crate::input::Kind::DECLARATION)
        .map_err(DescriptorError::Read)?;
    let declared = descriptor::parse(&text, &display)?;
    Ok(Some(Declaration {
        digest: Sha256Digest::of(text.as_bytes()),
        declared,
        display,
    }))
}

/// Flags every file whose name equals another's in Unicode Normalization Form C (`café` written
/// with a precomposed `é` and with `e` and a combining accent): two files on Linux, one on
/// macOS, so a copy keeps either and a verifier on another system sees another release.
fn flag_lookalike_names(files: &mut [FileRecord]) {
    let mut by_nfc: std::collections::HashMap<String, Vec<usize>> =
        std::collections::HashMap::new();
    for (i, f) in files.iter().enumerate() {
        if let std::borrow::Cow::Owned(n) = crate::text::nfc(f.path.as_str()) {
            by_nfc.entry(n).or_default().push(i);
        }
    }
    if by_nfc.is_empty() {
        return;
    }
    // Names already in NFC join the group of their decomposed twins.
    for (i, f) in files.iter().enumerate() {
        if let Some(group) = by_nfc.get_mut(f.path.as_str()) {
            group.push(i);
        }
    }
    let mut groups: Vec<Vec<usize>> = by_nfc.into_values().filter(|g| g.len() > 1).collect();
    groups.sort();
    for group in groups {
        for &i in &group {
            let others: Vec<String> = group
                .iter()
                .filter(|&&j| j != i)
                .map(|&j| format!("`{}`", files[j].path))
                .collect();
            let message = format!(
                "`{}` and {} are the same name in different Unicode normal forms: one file on \
                 macOS, two on Linux",
                files[i].path,
                others.join(", ")
            );
            let finding = inspect::file_finding(
                &files[i].path,
                inspect::rules::LOOKALIKE_NAME,
                crate::finding::Severity::Error,
                message,
            );
            files[i].findings.push(finding);
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
    let documents = Documents::read(&walked.entries, options)?;
    let files = hash_entries(&walked.entries, options, progress)?;
    let bytes = files.iter().map(|f| f.size).sum();
    let settings = ScanSettings {
        ignore: walked.ignore,
        symlinks: options.walk.symlinks.as_str().into(),
        hub_snapshot: walked.hub_snapshot,
        hub: walked.hub,
        single_file: walked.single_file,
    };
    let (statement, declared) = finish(files, documents, settings, created, options.inspect)?;
    Ok(Scan {
        statement,
        bytes,
        elapsed: start.elapsed(),
        jobs: options.jobs,
        declared,
        left_out: walked.left_out,
    })
}

/// The documents of a release read before its files are hashed (the declaration, the model
/// card, the public summary), each kept afterwards only if the hashed file has the digest of the
/// bytes read.
#[derive(Debug)]
pub struct Documents {
    declaration: Option<Declaration>,
    card: Option<Document>,
    summary: Option<Document>,
}

impl Documents {
    /// Reads the documents among `entries` (the declaration always; the card and the summary
    /// only when `options.inspect`). A malformed declaration is an error, before any hashing.
    pub fn read(entries: &[WalkEntry], options: &ScanOptions) -> Result<Self, ScanError> {
        let declaration = read_declaration(entries)?;
        let (card, summary) = read_documents(entries, declaration.as_ref(), options);
        Ok(Documents {
            declaration,
            card,
            summary,
        })
    }
}

/// Hashes and inspects `entries` (in walk order, in parallel) into their file records. Each
/// record depends on its own file alone, so any split of `entries` gives the same records.
pub fn hash_entries(
    entries: &[WalkEntry],
    options: &ScanOptions,
    progress: &dyn Progress,
) -> Result<Vec<FileRecord>, ScanError> {
    let total: u64 = entries.iter().map(|e| e.size).sum();
    progress.begin(total);
    let advance = |n| progress.advance(n);
    let after = |entry: &WalkEntry, file: &std::fs::File, hash: &FileHash| {
        let info = FileInfo {
            path: &entry.rel,
            size: hash.size,
            head: &hash.head,
            lines: hash.lines,
        };
        let mut inspection = if options.inspect {
            inspect::inspect(&info, Source::file(file, hash.size))
        } else {
            inspect::classify_only(&info)
        };
        if let Some(blob) = &entry.hub_blob {
            inspection
                .facts
                .insert("hub_blob".into(), blob.clone().into());
            if let Some(message) =
                inspect::hf::hub_blob_mismatch(blob, &hash.sha256, hash.git_sha1.as_ref())
            {
                inspection.findings.push(inspect::file_finding(
                    &entry.rel,
                    inspect::rules::HUB_BLOB_MISMATCH,
                    crate::finding::Severity::Error,
                    message,
                ));
            }
        }
        inspection
    };
    let hashing = Hashing {
        jobs: options.jobs,
        progress: &advance,
        count_lines: &|entry: &WalkEntry| options.inspect && inspect::counts_lines(&entry.rel),
        after: &after,
    };
    let hashed = hash::hash_files(entries, &hashing);
    progress.end();
    let hashed = hashed?;
    Ok(entries
        .iter()
        .zip(hashed)
        .map(|(entry, (hash, inspection))| FileRecord {
            path: entry.rel.clone(),
            size: hash.size,
            sha256: hash.sha256,
            kind: inspection.kind,
            format: inspection.format,
            facts: inspection.facts,
            findings: inspection.findings,
        })
        .collect())
}

/// The manifest of a release from the records of all its files (in manifest order): the
/// findings that compare files with each other (shard indexes, look-alike names), the model and
/// dataset summaries, and the documents whose hashed bytes are those read. What `scan` does
/// after hashing, and what `merge` does with the records of every shard.
pub fn finish(
    mut files: Vec<FileRecord>,
    documents: Documents,
    settings: ScanSettings,
    created: String,
    inspect: bool,
) -> Result<(Statement, Option<Declared>), ScanError> {
    if inspect {
        summary::check_indexes(&mut files);
    }
    flag_lookalike_names(&mut files);
    let model = summary::model(&files).and_then(|m| serde_json::to_value(m).ok());
    let datasets = summary::datasets(&files)
        .into_iter()
        .filter_map(|d| serde_json::to_value(d).ok())
        .collect();
    let declared = match documents.declaration {
        Some(d) => Some(d.matching(&files)?),
        None => None,
    };
    let mut statement = Statement::new(files, created, settings);
    statement.predicate.model = model;
    statement.predicate.datasets = datasets;
    statement.predicate.declared = declared.as_ref().map(|d| d.value.clone());
    statement.predicate.card = documents
        .card
        .and_then(|c| c.matching(&statement.predicate.files));
    statement.predicate.public_summary = documents
        .summary
        .and_then(|s| s.matching(&statement.predicate.files));
    Ok((statement, declared))
}
