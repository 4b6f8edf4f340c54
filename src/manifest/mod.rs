//! The manifest: an in-toto Statement v1 whose subjects are the release's files and whose
//! predicate (`https://scelle.dev/provenance/v1`) says what each file is.
//!
//! These types are the manifest's schema. Field order is declaration order and every map is a
//! `BTreeMap`, so serialising the same statement always gives the same bytes; those bytes are
//! what `sign` signs. Readers (verify, check) parse the exact signed bytes and never re-serialise
//! them before checking a signature.

pub mod card;
pub mod descriptor;
pub mod licence;
pub mod schema;
mod size_band;
pub mod summary_doc;
pub mod template;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use crate::vocab::{DigestError, PathError, RelPath, Sha256Digest};

use crate::vocab::{Format, Kind};

/// `_type` of every in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
/// scelle's predicate type.
pub const PREDICATE_TYPE: &str = "https://scelle.dev/provenance/v1";

/// An in-toto Statement v1 carrying scelle's provenance predicate. `F` is the file record:
/// [`FileRecord`] in full, or [`FileDigest`] for a reader that needs only paths and digests.
///
/// The subjects are the files' paths and digests again: a statement made by [`Statement::new`]
/// leaves `subject` empty rather than hold every path twice, and serialising always writes
/// the subjects from the file records (a statement that was read has both, checked equal).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Statement<F = FileRecord> {
    #[serde(rename = "_type")]
    pub statement_type: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    pub predicate: Predicate<F>,
}

/// One signed file: its path and digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    pub name: RelPath,
    pub digest: DigestSet,
}

/// The digests of one resource; only SHA-256 is produced (in-toto consumers ignore the others).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestSet {
    pub sha256: Sha256Digest,
}

/// scelle's predicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Predicate<F = FileRecord> {
    pub generator: Generator,
    /// RFC 3339 UTC, second precision; `SOURCE_DATE_EPOCH` overrides the clock.
    pub created: String,
    /// The OMS root digest: SHA-256 over the raw file digests in manifest order.
    pub root: DigestSet,
    pub files: Vec<F>,
    /// Facts derived from the weights (parameter counts, dtypes, architecture).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<Value>,
    /// Facts derived per scanned dataset.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub datasets: Vec<Value>,
    /// The publisher's validated `scelle.yaml`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared: Option<Value>,
    /// What the model card (`README.md` at the top) says, for comparing with `declared`
    /// (see [`card::facts`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<Value>,
    /// What the public summary shipped in the release (`public_summary.uri`) says, for
    /// comparing with `declared` (see [`summary_doc::facts`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_summary: Option<Value>,
    pub scan: ScanSettings,
}

/// The program that wrote the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Generator {
    pub name: String,
    pub version: String,
}

impl Generator {
    /// This build of scelle.
    pub fn this() -> Self {
        Self {
            name: "scelle".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// One file of the release.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileRecord {
    pub path: RelPath,
    pub size: u64,
    pub sha256: Sha256Digest,
    pub kind: Kind,
    pub format: Format,
    /// What the file's header says (tensor counts, dtypes, records...).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub facts: BTreeMap<String, Value>,
    /// Safety findings about this file (malformed header, code on load...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<crate::finding::Finding>,
}

/// A file record without what the file is (`kind`, `format`, `facts`), which serde skips
/// without building: reading a manifest of many files for `check` allocates a third as much.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileDigest {
    pub path: RelPath,
    pub size: u64,
    pub sha256: Sha256Digest,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<crate::finding::Finding>,
    /// Of the facts, only the counts the figures section compares with a declared dataset size;
    /// serde skips the other facts without building them.
    #[serde(default, skip_serializing)]
    pub facts: Counts,
    /// What the file is, when the record says: a word, which `diff` needs to tell weights and
    /// data from the rest, read without the format and facts around it.
    #[serde(default, skip_serializing)]
    pub kind: Option<Kind>,
}

/// The record counts of a file's facts (`records` for JSONL, `rows` for Parquet). A count that
/// is not a whole number is no count, as for [`FileRecord`], rather than a manifest refused.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Counts {
    #[serde(default)]
    records: Option<Value>,
    #[serde(default)]
    rows: Option<Value>,
}

/// What every file record has: its path, size, digest and the scan's findings on it.
pub trait Record {
    /// The record's path and digest, the record consumed.
    fn into_signed(self) -> (RelPath, Sha256Digest);
    fn path(&self) -> &RelPath;
    fn size(&self) -> u64;
    fn sha256(&self) -> &Sha256Digest;
    fn findings(&self) -> &[crate::finding::Finding];
    /// The records (JSONL) or rows (Parquet) the scan counted in the file, when the record
    /// says what the file is; CSV and text `lines` are not records (a header is a line).
    fn records(&self) -> Option<u64>;
}

impl FileRecord {
    /// See [`Record::records`].
    pub fn counted_records(&self) -> Option<u64> {
        first_count([self.facts.get("records"), self.facts.get("rows")])
    }
}

/// The first of a file's `records` and `rows` facts that is a whole number: the one reading of a
/// file's count for both record types.
fn first_count(facts: [Option<&Value>; 2]) -> Option<u64> {
    facts.into_iter().find_map(|v| v.and_then(Value::as_u64))
}

/// Both record types hold these as fields of the same names.
macro_rules! record_fields {
    ($($t:ty => $records:expr),*) => {$(
        impl Record for $t {
            fn into_signed(self) -> (RelPath, Sha256Digest) {
                (self.path, self.sha256)
            }
            fn path(&self) -> &RelPath {
                &self.path
            }
            fn size(&self) -> u64 {
                self.size
            }
            fn sha256(&self) -> &Sha256Digest {
                &self.sha256
            }
            fn findings(&self) -> &[crate::finding::Finding] {
                &self.findings
            }
            fn records(&self) -> Option<u64> {
                ($records)(self)
            }
        }
    )*};
}
record_fields!(
    FileRecord => FileRecord::counted_records,
    FileDigest => |f: &FileDigest| first_count([f.facts.records.as_ref(), f.facts.rows.as_ref()])
);

/// How the release was walked, so a verifier can walk it the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanSettings {
    /// Paths left out (each with everything below it), sorted.
    pub ignore: Vec<RelPath>,
    /// `reject` or `follow-inside`.
    pub symlinks: String,
    /// The release is a Hugging Face cache snapshot whose links into the repository's `blobs/`
    /// were followed (and each blob checked against its name).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub hub_snapshot: bool,
    /// The hub repository and commit of that snapshot, when the cache layout names them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hub: Option<crate::hub::HubSnapshot>,
    /// The release is one file (its one record is named by the file name), not a folder.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub single_file: bool,
}

impl<F: Serialize + Record> Serialize for Statement<F> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeSeq as _, SerializeStruct as _};
        struct Subjects<'a, F>(&'a [F]);
        impl<F: Record> Serialize for Subjects<'_, F> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                #[derive(Serialize)]
                struct SubjectRef<'a> {
                    name: &'a RelPath,
                    digest: DigestSet,
                }
                let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
                for f in self.0 {
                    seq.serialize_element(&SubjectRef {
                        name: f.path(),
                        digest: DigestSet {
                            sha256: *f.sha256(),
                        },
                    })?;
                }
                seq.end()
            }
        }
        let mut st = serializer.serialize_struct("Statement", 4)?;
        st.serialize_field("_type", &self.statement_type)?;
        st.serialize_field("subject", &Subjects(&self.predicate.files))?;
        st.serialize_field("predicateType", &self.predicate_type)?;
        st.serialize_field("predicate", &self.predicate)?;
        st.end()
    }
}

impl<F: Serialize + Record> Statement<F> {
    /// Writes the canonical bytes ([`Statement::to_json_bytes`]) to `out`, failing rather than
    /// write more than [`crate::input::MAX_STATEMENT`] bytes, the most `verify` and `check`
    /// read: whatever scelle writes, it reads back.
    pub fn write_json(&self, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        self.write_json_within(out, crate::input::MAX_STATEMENT)
    }

    /// [`Statement::write_json`] with another limit.
    pub fn write_json_within(
        &self,
        out: &mut dyn std::io::Write,
        limit: u64,
    ) -> std::io::Result<()> {
        let mut limited = Limited {
            out,
            left: limit,
            limit,
        };
        serde_json::to_writer_pretty(&mut limited, self)?;
        std::io::Write::write_all(&mut limited, b"\n")
    }
}

/// A writer that fails past a number of bytes.
struct Limited<'a> {
    out: &'a mut dyn std::io::Write,
    left: u64,
    limit: u64,
}

impl std::io::Write for Limited<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() as u64 > self.left {
            return Err(std::io::Error::other(format!(
                "the manifest would be larger than {} bytes, the most `verify` and `check` read",
                self.limit
            )));
        }
        let n = self.out.write(buf)?;
        self.left -= n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

impl Statement {
    /// Builds the statement for `files`, which must already be in manifest order.
    pub fn new(files: Vec<FileRecord>, created: String, scan: ScanSettings) -> Self {
        let subject = Vec::new();
        let root = DigestSet {
            sha256: root_digest(files.iter().map(|f| &f.sha256)),
        };
        Statement {
            statement_type: STATEMENT_TYPE.into(),
            subject,
            predicate_type: PREDICATE_TYPE.into(),
            predicate: Predicate {
                generator: Generator::this(),
                created,
                root,
                files,
                model: None,
                datasets: Vec::new(),
                declared: None,
                card: None,
                public_summary: None,
                scan,
            },
        }
    }

    /// The canonical bytes: two-space indented JSON and a final newline. These are the bytes
    /// that get signed; the same statement always serialises to the same bytes.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        let mut out = serde_json::to_vec_pretty(self).unwrap_or_default();
        out.push(b'\n');
        out
    }
}

/// Why a statement does not hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementProblem {
    #[error("`{0}` is listed twice")]
    Duplicate(RelPath),
    #[error("its subjects and its file records differ")]
    SubjectsDiffer,
    #[error("its root digest is {recorded}, but its files hash to {computed}")]
    RootMismatch {
        recorded: Sha256Digest,
        computed: Sha256Digest,
    },
}

impl<F: Record> Statement<F> {
    /// Checks that the statement holds together: no path twice, subjects equal to the file
    /// records, and the root digest equal to the one the files give.
    pub fn check(&self) -> Result<(), StatementProblem> {
        let predicate = &self.predicate;
        let mut seen = std::collections::BTreeSet::new();
        for file in &predicate.files {
            if !seen.insert(file.path()) {
                return Err(StatementProblem::Duplicate(file.path().clone()));
            }
        }
        let subjects = self.subject.iter().map(|s| (&s.name, &s.digest.sha256));
        if !subjects.eq(predicate.files.iter().map(|f| (f.path(), f.sha256()))) {
            return Err(StatementProblem::SubjectsDiffer);
        }
        let computed = root_digest(predicate.files.iter().map(Record::sha256));
        if computed != predicate.root.sha256 {
            return Err(StatementProblem::RootMismatch {
                recorded: predicate.root.sha256,
                computed,
            });
        }
        Ok(())
    }
}

/// Why a manifest file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error(transparent)]
    Input(#[from] crate::input::InputError),
    #[error("`{}` is not a scelle manifest", .path.display())]
    Parse {
        path: std::path::PathBuf,
        source: serde_json::Error,
    },
    #[error("`{}` is not a scelle manifest: {reason}", .path.display())]
    Malformed {
        path: std::path::PathBuf,
        reason: String,
    },
    #[error("`{}` is not a scelle manifest: its predicate type is `{found}`", .path.display())]
    PredicateType {
        path: std::path::PathBuf,
        found: String,
    },
    #[error("`{}` is inconsistent: {problem}", .path.display())]
    Inconsistent {
        path: std::path::PathBuf,
        problem: StatementProblem,
    },
}

impl ManifestError {
    /// The obvious fix, when there is one.
    pub fn hint(&self) -> Option<String> {
        match self {
            ManifestError::PredicateType { .. } => Some(
                "`check` reads scelle manifests: sign with `--format scelle` to check a release, or \
                 check the release folder itself; `scelle verify` reads OMS bundles"
                    .into(),
            ),
            ManifestError::Input(e) => e.hint(),
            _ => None,
        }
    }
}

/// Reads a manifest written by `scan`: the statement and its exact bytes (which get signed as
/// they are, never re-serialised).
pub fn read_manifest(path: &std::path::Path) -> Result<(Statement, Vec<u8>), ManifestError> {
    let bytes = crate::input::read(path, crate::input::Kind::MANIFEST)?;
    let statement = parse_manifest(path, &bytes)?;
    Ok((statement, bytes))
}

/// Parses and checks manifest bytes already read; `path` only names the manifest in errors.
pub fn parse_manifest(path: &std::path::Path, bytes: &[u8]) -> Result<Statement, ManifestError> {
    let statement: Statement =
        serde_json::from_slice(bytes).map_err(|source| ManifestError::Parse {
            path: path.into(),
            source,
        })?;
    checked(path, statement)
}

/// Parses and checks a manifest as it is read, with file records of type `F`; `path` only
/// names it in errors.
pub fn parse_manifest_from<F: Record + serde::de::DeserializeOwned>(
    path: &std::path::Path,
    reader: impl std::io::Read,
) -> Result<Statement<F>, ManifestError> {
    let statement: Statement<F> =
        serde_json::from_reader(reader).map_err(|source| ManifestError::Parse {
            path: path.into(),
            source,
        })?;
    checked(path, statement)
}

/// The predicate type of a statement's bytes, if they are a JSON object that has one: a
/// statement of another kind (an OMS one) is then named for what it is rather than for the
/// first scelle field it lacks.
pub fn predicate_type_of(bytes: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Head {
        #[serde(rename = "predicateType")]
        predicate_type: Option<String>,
    }
    serde_json::from_slice::<Head>(bytes).ok()?.predicate_type
}

fn checked<F: Record>(
    path: &std::path::Path,
    statement: Statement<F>,
) -> Result<Statement<F>, ManifestError> {
    if statement.predicate_type != PREDICATE_TYPE || statement.statement_type != STATEMENT_TYPE {
        let found = statement.predicate_type.clone();
        return Err(ManifestError::PredicateType {
            path: path.into(),
            found,
        });
    }
    statement
        .check()
        .map_err(|problem| ManifestError::Inconsistent {
            path: path.into(),
            problem,
        })?;
    Ok(statement)
}

/// A signed statement of either kind, read in one pass from a stream before its predicate type
/// is known (it comes after the subjects): scelle's predicate fields and the OpenSSF Model
/// Signing ones (kept as raw JSON, read by [`crate::sign::oms`]) side by side, every field
/// optional so that each absence gets its own message. File records are `F`.
#[derive(Debug, Deserialize)]
pub struct AnyStatement<F> {
    #[serde(rename = "_type", default)]
    pub statement_type: Option<String>,
    #[serde(default)]
    pub subject: Option<Vec<AnySubject>>,
    #[serde(rename = "predicateType", default)]
    pub predicate_type: Option<String>,
    #[serde(default = "Option::default")]
    pub predicate: Option<AnyPredicate<F>>,
}

/// A subject: a release path (scelle, legacy OMS) or a model name (OMS v1.0).
#[derive(Debug, Deserialize)]
pub struct AnySubject {
    #[serde(default)]
    pub name: Option<Box<str>>,
    #[serde(default)]
    pub digest: Option<AnyDigest>,
}

#[derive(Debug, Deserialize)]
pub struct AnyDigest {
    #[serde(default)]
    pub sha256: Option<Sha256Digest>,
}

/// Both predicates' fields.
#[derive(Debug, Deserialize)]
pub struct AnyPredicate<F> {
    #[serde(default)]
    pub generator: Option<Generator>,
    #[serde(default)]
    pub created: Option<String>,
    #[serde(default)]
    pub root: Option<DigestSet>,
    #[serde(default = "Option::default")]
    pub files: Option<Vec<F>>,
    #[serde(default)]
    pub model: Option<Value>,
    #[serde(default)]
    pub datasets: Option<Vec<Value>>,
    #[serde(default)]
    pub declared: Option<Value>,
    #[serde(default)]
    pub card: Option<Value>,
    #[serde(default)]
    pub public_summary: Option<Value>,
    #[serde(default)]
    pub scan: Option<ScanSettings>,
    #[serde(default)]
    pub serialization: Option<Box<serde_json::value::RawValue>>,
    #[serde(default)]
    pub resources: Option<Box<serde_json::value::RawValue>>,
}

impl<F: Record> AnyStatement<F> {
    /// The scelle statement this is, checked ([`Statement::check`]); `Err` says what is
    /// missing or wrong.
    pub fn into_scelle(self) -> Result<Statement<F>, AnyProblem> {
        let missing = |what: &str| AnyProblem::Malformed(format!("missing field `{what}`"));
        let predicate = self.predicate.ok_or_else(|| missing("predicate"))?;
        let mut subject = Vec::new();
        for (i, s) in self
            .subject
            .ok_or_else(|| missing("subject"))?
            .into_iter()
            .enumerate()
        {
            let name = s
                .name
                .ok_or_else(|| missing(&format!("subject[{i}].name")))?;
            let name = RelPath::new(String::from(name.clone())).map_err(|e| {
                AnyProblem::Malformed(format!("subject[{i}]: unsafe path {name:?}: {e}"))
            })?;
            let sha256 = s
                .digest
                .and_then(|d| d.sha256)
                .ok_or_else(|| missing(&format!("subject[{i}].digest.sha256")))?;
            subject.push(Subject {
                name,
                digest: DigestSet { sha256 },
            });
        }
        let statement = Statement {
            statement_type: self.statement_type.ok_or_else(|| missing("_type"))?,
            subject,
            predicate_type: self
                .predicate_type
                .ok_or_else(|| missing("predicateType"))?,
            predicate: Predicate {
                generator: predicate.generator.ok_or_else(|| missing("generator"))?,
                created: predicate.created.ok_or_else(|| missing("created"))?,
                root: predicate.root.ok_or_else(|| missing("root"))?,
                files: predicate.files.ok_or_else(|| missing("files"))?,
                model: predicate.model,
                datasets: predicate.datasets.unwrap_or_default(),
                declared: predicate.declared,
                card: predicate.card,
                public_summary: predicate.public_summary,
                scan: predicate.scan.ok_or_else(|| missing("scan"))?,
            },
        };
        statement.check().map_err(AnyProblem::Inconsistent)?;
        Ok(statement)
    }
}

/// What a verifier needs of a signed scelle statement: the files it lists, in order, with their
/// digests, its root digest and how the release was walked.
#[derive(Debug)]
pub struct SignedList {
    pub files: Vec<(RelPath, Sha256Digest)>,
    pub root: Sha256Digest,
    pub scan: ScanSettings,
    /// The scan's findings the statement carries (what the publisher sealed knowingly).
    pub findings: Vec<crate::finding::Finding>,
}

impl<F: Record> AnyStatement<F> {
    /// The checks of [`AnyStatement::into_scelle`] (subjects equal to the files, no path twice,
    /// the root digest), keeping only paths and digests: no second copy of every path is made.
    pub fn into_signed_list(self) -> Result<SignedList, AnyProblem> {
        let missing = |what: &str| AnyProblem::Malformed(format!("missing field `{what}`"));
        let predicate = self.predicate.ok_or_else(|| missing("predicate"))?;
        let subjects = self.subject.ok_or_else(|| missing("subject"))?;
        let files = predicate.files.ok_or_else(|| missing("files"))?;
        let root = predicate.root.ok_or_else(|| missing("root"))?.sha256;
        let scan = predicate.scan.ok_or_else(|| missing("scan"))?;
        for what in ["_type", "predicateType"] {
            let present = if what == "_type" {
                self.statement_type.is_some()
            } else {
                self.predicate_type.is_some()
            };
            if !present {
                return Err(missing(what));
            }
        }
        if predicate.generator.is_none() {
            return Err(missing("generator"));
        }
        if predicate.created.is_none() {
            return Err(missing("created"));
        }
        let mut sorted: Vec<&RelPath> = files.iter().map(Record::path).collect();
        sorted.sort_unstable();
        if let Some(pair) = sorted.windows(2).find(|w| w[0] == w[1]) {
            return Err(AnyProblem::Inconsistent(StatementProblem::Duplicate(
                pair[0].clone(),
            )));
        }
        drop(sorted);
        let same = subjects.len() == files.len()
            && subjects.iter().zip(&files).all(|(s, f)| {
                s.name.as_deref() == Some(f.path().as_str())
                    && s.digest.as_ref().and_then(|d| d.sha256) == Some(*f.sha256())
            });
        drop(subjects);
        if !same {
            return Err(AnyProblem::Inconsistent(StatementProblem::SubjectsDiffer));
        }
        let computed = root_digest(files.iter().map(Record::sha256));
        if computed != root {
            return Err(AnyProblem::Inconsistent(StatementProblem::RootMismatch {
                recorded: root,
                computed,
            }));
        }
        let findings = files
            .iter()
            .flat_map(|f| f.findings().iter().cloned())
            .collect();
        Ok(SignedList {
            files: files.into_iter().map(Record::into_signed).collect(),
            root,
            scan,
            findings,
        })
    }
}

/// Why an [`AnyStatement`] is not a usable scelle statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AnyProblem {
    Malformed(String),
    Inconsistent(StatementProblem),
}

/// SHA-256 over the concatenated raw digests, in the order given: the OMS root digest rule.
pub fn root_digest<'a>(digests: impl IntoIterator<Item = &'a Sha256Digest>) -> Sha256Digest {
    use sha2::Digest as _;
    let mut hasher = sha2::Sha256::new();
    for d in digests {
        hasher.update(d.0);
    }
    Sha256Digest(hasher.finalize().into())
}

/// A file record for tests: `content`'s size and digest, kind and format unknown.
#[cfg(test)]
pub(crate) fn test_record(path: &str, content: &[u8]) -> FileRecord {
    FileRecord {
        path: RelPath::new(path).unwrap_or_else(|e| panic!("{path}: {e}")),
        size: content.len() as u64,
        sha256: Sha256Digest::of(content),
        kind: Kind::Other,
        format: Format::Unknown,
        facts: BTreeMap::new(),
        findings: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::test_record as record;
    use super::*;

    #[test]
    fn root_digest_is_sha256_of_concatenated_raw_digests() {
        let a = Sha256Digest::of(b"a");
        let b = Sha256Digest::of(b"b");
        let mut concat = Vec::new();
        concat.extend_from_slice(&a.0);
        concat.extend_from_slice(&b.0);
        assert_eq!(root_digest([&a, &b]), Sha256Digest::of(&concat));
        assert_ne!(root_digest([&a, &b]), root_digest([&b, &a]));
    }

    #[test]
    fn statement_round_trips_through_its_json_bytes() {
        let statement = Statement::new(
            vec![record("a/b", b"1"), record("a-b", b"2")],
            "2024-01-01T00:00:00Z".into(),
            ScanSettings {
                ignore: vec![RelPath::new(".git").unwrap()],
                symlinks: "reject".into(),
                hub_snapshot: false,
                hub: None,
                single_file: false,
            },
        );
        let bytes = statement.to_json_bytes();
        let back: Statement = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(back.predicate, statement.predicate);
        assert_eq!(back.to_json_bytes(), bytes);
        // Written from the file records, read back as the statement's own subjects.
        assert_eq!(back.subject.len(), 2);
        assert_eq!(back.subject[1].name.as_str(), "a-b");
        back.check().unwrap();
    }
}
