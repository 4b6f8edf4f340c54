//! OpenSSF Model Signing (OMS) statements, in the profile the reference `model_signing` 1.1.1
//! verifier accepts (`reference/oms.md` §0): one subject whose digest is the root digest,
//! `serialization` with method `files` and hash `sha256`, one resource per file.
//!
//! Writing follows the OMS v1.0 schema exactly (no extra fields, so the output validates).
//! Reading accepts what the reference tool really writes: resource `.` for a single-file model,
//! no `ignore_paths` before 1.1, resources in any order, and the legacy v0.2 predicate with one
//! subject per file. Shard and BLAKE bundles are refused by name rather than misread.

use std::collections::BTreeSet;

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::manifest::{FileRecord, RelPath, STATEMENT_TYPE, Sha256Digest, root_digest};

/// The OMS v1.0 predicate type.
pub const OMS_PREDICATE_TYPE: &str = "https://model_signing/signature/v1.0";
/// The predicate type of `model_signing` before 1.0 (one subject per file).
pub const OMS_LEGACY_PREDICATE_TYPE: &str = "https://model_signing/Digests/v0.1";

#[derive(Serialize)]
struct Statement<'a> {
    #[serde(rename = "_type")]
    kind: &'a str,
    subject: [Subject<'a>; 1],
    #[serde(rename = "predicateType")]
    predicate_type: &'a str,
    predicate: Predicate<'a>,
}

#[derive(Serialize)]
struct Subject<'a> {
    name: &'a str,
    digest: Digest,
}

#[derive(Serialize)]
struct Digest {
    sha256: Sha256Digest,
}

#[derive(Serialize)]
struct Predicate<'a> {
    serialization: Serialization<'a>,
    resources: Vec<Resource<'a>>,
}

#[derive(Serialize)]
struct Serialization<'a> {
    method: &'a str,
    hash_type: &'a str,
    allow_symlinks: bool,
    ignore_paths: Vec<&'a str>,
}

#[derive(Serialize)]
struct Resource<'a> {
    name: &'a str,
    algorithm: &'a str,
    digest: Sha256Digest,
}

/// The OMS statement for `files` (in manifest order), as two-space indented JSON: the payload an
/// OMS bundle signs. `model_name` is the release's name (informational in OMS). A single-file
/// release (`single_file`, one record) gets the reference's layout: one resource named `.`.
pub fn statement_bytes(
    model_name: &str,
    files: &[FileRecord],
    ignore: &[RelPath],
    allow_symlinks: bool,
    single_file: bool,
) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = write_statement(
        &mut out,
        model_name,
        files,
        ignore,
        allow_symlinks,
        single_file,
    );
    out
}

/// [`statement_bytes`], written to `out` as it is serialised.
pub fn write_statement(
    out: &mut dyn std::io::Write,
    model_name: &str,
    files: &[FileRecord],
    ignore: &[RelPath],
    allow_symlinks: bool,
    single_file: bool,
) -> std::io::Result<()> {
    let root = root_digest(files.iter().map(|f| &f.sha256));
    let statement = Statement {
        kind: STATEMENT_TYPE,
        subject: [Subject {
            name: model_name,
            digest: Digest { sha256: root },
        }],
        predicate_type: OMS_PREDICATE_TYPE,
        predicate: Predicate {
            serialization: Serialization {
                method: "files",
                hash_type: "sha256",
                allow_symlinks,
                ignore_paths: ignore.iter().map(RelPath::as_str).collect(),
            },
            resources: files
                .iter()
                .map(|f| Resource {
                    name: if single_file { "." } else { f.path.as_str() },
                    algorithm: "sha256",
                    digest: f.sha256,
                })
                .collect(),
        },
    };
    serde_json::to_writer_pretty(&mut *out, &statement)?;
    out.write_all(b"\n")
}

/// What an OMS statement signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OmsManifest {
    /// The subject name (the model folder's name when signed); informational.
    pub model_name: String,
    /// The signed files in the order listed, or a single file (resource `.`).
    pub files: SignedFiles,
    /// The subject digest, already checked against the resources (absent in the legacy format).
    pub root: Option<Sha256Digest>,
    /// Paths the signer left out, to leave out again.
    pub ignore_paths: Vec<RelPath>,
    pub allow_symlinks: bool,
}

/// The files an OMS statement lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignedFiles {
    /// A folder: paths relative to it.
    Folder(Vec<(RelPath, Sha256Digest)>),
    /// A single-file model (the reference names its one resource `.`).
    Single(Sha256Digest),
}

/// Why an OMS statement cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OmsError {
    /// The statement does not have the OMS shape (exit status 2).
    #[error("malformed OMS statement: {0}")]
    Malformed(String),
    /// A valid OMS shape that scelle does not verify (shards, BLAKE hashes).
    #[error("unsupported OMS statement: {0}")]
    Unsupported(String),
    /// The subject digest does not match the resources (exit status 1: the bundle is wrong).
    #[error(
        "the OMS statement is inconsistent: its subject digest is {subject}, but its resources hash to {computed}"
    )]
    Inconsistent {
        subject: Sha256Digest,
        computed: Sha256Digest,
    },
}

fn malformed(what: impl Into<String>) -> OmsError {
    OmsError::Malformed(what.into())
}

/// The OMS statement as read: every field optional so that each absence gets its own message,
/// strings borrowed from the payload where they need no unescaping.
#[derive(Deserialize)]
struct RawStatement<'a> {
    #[serde(borrow, default)]
    subject: Option<Vec<RawSubject<'a>>>,
    #[serde(borrow, default)]
    predicate: Option<RawPredicate<'a>>,
}

#[derive(Deserialize)]
struct RawSubject<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    digest: Option<RawDigest<'a>>,
}

#[derive(Deserialize)]
struct RawDigest<'a> {
    #[serde(borrow, default)]
    sha256: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct RawPredicate<'a> {
    #[serde(borrow, default)]
    serialization: Option<RawSerialization<'a>>,
    #[serde(borrow, default)]
    resources: Option<Vec<RawResource<'a>>>,
}

#[derive(Deserialize)]
struct RawSerialization<'a> {
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    hash_type: Option<Cow<'a, str>>,
    #[serde(default)]
    allow_symlinks: Option<bool>,
    #[serde(borrow, default)]
    ignore_paths: Option<Vec<Cow<'a, str>>>,
}

#[derive(Deserialize)]
struct RawResource<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    algorithm: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    digest: Option<Cow<'a, str>>,
}

fn digest_field(value: Option<&Cow<'_, str>>, at: &str) -> Result<Sha256Digest, OmsError> {
    let text = value.ok_or_else(|| malformed(format!("{at}: no sha256 digest")))?;
    Sha256Digest::from_hex(text).map_err(|e| malformed(format!("{at}: {e}")))
}

fn subject_digest(subject: &RawSubject<'_>, at: &str) -> Result<Sha256Digest, OmsError> {
    digest_field(
        subject.digest.as_ref().and_then(|d| d.sha256.as_ref()),
        &format!("{at}.digest"),
    )
}

fn rel_path(name: &str, at: &str) -> Result<RelPath, OmsError> {
    RelPath::new(name).map_err(|e| malformed(format!("{at}: unsafe path {name:?}: {e}")))
}

fn read(payload: &[u8]) -> Result<RawStatement<'_>, OmsError> {
    serde_json::from_slice(payload).map_err(|e| malformed(e.to_string()))
}

/// Parses an OMS v1.0 statement (`_type` and `predicateType` already checked).
pub fn parse(payload: &[u8]) -> Result<OmsManifest, OmsError> {
    from_raw(read(payload)?)
}

fn parse_raw<'a, T: Deserialize<'a>>(
    raw: Option<&'a serde_json::value::RawValue>,
) -> Result<Option<T>, OmsError> {
    raw.map(|r| serde_json::from_str(r.get()))
        .transpose()
        .map_err(|e| malformed(e.to_string()))
}

/// The OMS statement of a payload read as an [`AnyStatement`](crate::manifest::AnyStatement)
/// (v1.0, or the legacy one).
pub fn from_any<F>(
    statement: &crate::manifest::AnyStatement<F>,
    legacy: bool,
) -> Result<OmsManifest, OmsError> {
    let subject = statement.subject.as_ref().map(|subjects| {
        subjects
            .iter()
            .map(|s| RawSubject {
                name: s.name.as_deref().map(Cow::Borrowed),
                digest: s.digest.as_ref().map(|d| RawDigest {
                    sha256: d.sha256.map(|h| Cow::Owned(h.to_hex())),
                }),
            })
            .collect()
    });
    let predicate = match &statement.predicate {
        None => None,
        Some(p) => Some(RawPredicate {
            serialization: parse_raw(p.serialization.as_deref())?,
            resources: parse_raw(p.resources.as_deref())?,
        }),
    };
    let raw = RawStatement { subject, predicate };
    if legacy {
        from_raw_legacy(raw)
    } else {
        from_raw(raw)
    }
}

fn from_raw(statement: RawStatement<'_>) -> Result<OmsManifest, OmsError> {
    let subjects = statement
        .subject
        .ok_or_else(|| malformed("no `subject` list"))?;
    let [subject] = subjects.as_slice() else {
        return Err(malformed(format!(
            "{} subjects, expected exactly one",
            subjects.len()
        )));
    };
    let model_name = subject.name.as_deref().unwrap_or_default().to_owned();
    let subject_digest = subject_digest(subject, "subject[0]")?;
    let predicate = statement
        .predicate
        .ok_or_else(|| malformed("no `predicate`"))?;
    let serialization = predicate
        .serialization
        .ok_or_else(|| malformed("no `serialization`"))?;
    let method = serialization
        .method
        .ok_or_else(|| malformed("no `serialization.method`"))?;
    if method != "files" {
        return Err(OmsError::Unsupported(format!(
            "serialization method `{method}` (scelle verifies the `files` method)"
        )));
    }
    let hash = serialization.hash_type.as_deref().unwrap_or("sha256");
    if hash != "sha256" {
        return Err(OmsError::Unsupported(format!(
            "hash `{hash}` (scelle verifies SHA-256)"
        )));
    }
    let mut ignore_paths = Vec::new();
    for (i, name) in serialization.ignore_paths.iter().flatten().enumerate() {
        ignore_paths.push(rel_path(name, &format!("ignore_paths[{i}]"))?);
    }
    let resources = predicate
        .resources
        .ok_or_else(|| malformed("no `resources` list"))?;
    let count = resources.len();
    let mut files = Vec::with_capacity(count);
    let mut seen = BTreeSet::new();
    let mut single = None;
    for (i, resource) in resources.iter().enumerate() {
        let at = format!("resources[{i}]");
        let name = resource
            .name
            .as_deref()
            .ok_or_else(|| malformed(format!("{at}: no `name`")))?;
        let algorithm = resource.algorithm.as_deref().unwrap_or("sha256");
        if algorithm != "sha256" {
            return Err(OmsError::Unsupported(format!(
                "{at}: algorithm `{algorithm}`"
            )));
        }
        let digest = digest_field(resource.digest.as_ref(), &at)?;
        if name == "." {
            if count != 1 {
                return Err(malformed(format!(
                    "{at}: `.` names a single-file model, but there are other resources"
                )));
            }
            single = Some(digest);
            continue;
        }
        let path = rel_path(name, &at)?;
        if !seen.insert(path.clone()) {
            return Err(malformed(format!("{at}: `{path}` is listed twice")));
        }
        files.push((path, digest));
    }
    let computed = match single {
        Some(d) => root_digest([&d]),
        None => root_digest(files.iter().map(|(_, d)| d)),
    };
    if computed != subject_digest {
        return Err(OmsError::Inconsistent {
            subject: subject_digest,
            computed,
        });
    }
    Ok(OmsManifest {
        model_name,
        files: single.map_or(SignedFiles::Folder(files), SignedFiles::Single),
        root: Some(subject_digest),
        ignore_paths,
        allow_symlinks: serialization.allow_symlinks.unwrap_or(false),
    })
}

/// Parses the legacy (`Digests/v0.1`) statement: one subject per file, no root digest.
pub fn parse_legacy(payload: &[u8]) -> Result<OmsManifest, OmsError> {
    from_raw_legacy(read(payload)?)
}

fn from_raw_legacy(statement: RawStatement<'_>) -> Result<OmsManifest, OmsError> {
    let subjects = statement
        .subject
        .ok_or_else(|| malformed("no `subject` list"))?;
    let mut files = Vec::with_capacity(subjects.len());
    let mut seen = BTreeSet::new();
    for (i, subject) in subjects.iter().enumerate() {
        let at = format!("subject[{i}]");
        let name = subject
            .name
            .as_deref()
            .ok_or_else(|| malformed(format!("{at}: no `name`")))?;
        let digest = subject_digest(subject, &at)?;
        let path = rel_path(name, &at)?;
        if !seen.insert(path.clone()) {
            return Err(malformed(format!("{at}: `{path}` is listed twice")));
        }
        files.push((path, digest));
    }
    Ok(OmsManifest {
        model_name: String::new(),
        files: SignedFiles::Folder(files),
        root: None,
        ignore_paths: Vec::new(),
        allow_symlinks: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::test_record as record;

    #[test]
    fn written_statements_parse_back() {
        let files = [record("a/b", b"1"), record("a-b", b"2")];
        let ignore = [
            RelPath::new(".git").unwrap(),
            RelPath::new("model.sig").unwrap(),
        ];
        let bytes = statement_bytes("demo", &files, &ignore, false, false);
        let parsed = parse(&bytes).unwrap();
        assert_eq!(parsed.model_name, "demo");
        assert_eq!(parsed.ignore_paths, ignore);
        let SignedFiles::Folder(listed) = parsed.files else {
            panic!("a folder")
        };
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[1].0.as_str(), "a-b");
    }

    #[test]
    fn a_written_single_file_statement_names_its_resource_dot() {
        let files = [record("model.bin", b"weights")];
        let bytes = statement_bytes("model.bin", &files, &[], false, true);
        let parsed = parse(&bytes).unwrap();
        assert_eq!(parsed.model_name, "model.bin");
        assert_eq!(parsed.files, SignedFiles::Single(files[0].sha256));
    }

    #[test]
    fn single_file_models_use_the_dot_resource() {
        let d = Sha256Digest::of(b"weights");
        let value = serde_json::json!({
            "_type": STATEMENT_TYPE,
            "subject": [{"name": "model.bin", "digest": {"sha256": root_digest([&d]).to_hex()}}],
            "predicateType": OMS_PREDICATE_TYPE,
            "predicate": {"serialization": {"method": "files", "hash_type": "sha256", "allow_symlinks": false},
                          "resources": [{"name": ".", "algorithm": "sha256", "digest": d.to_hex()}]}
        });
        assert_eq!(
            parse(value.to_string().as_bytes()).unwrap().files,
            SignedFiles::Single(d)
        );
    }

    #[test]
    fn refuses_unsafe_duplicate_and_inconsistent_resources() {
        let d = Sha256Digest::of(b"x");
        let make = |names: &[&str], subject: Sha256Digest| {
            serde_json::json!({
                "subject": [{"name": "m", "digest": {"sha256": subject.to_hex()}}],
                "predicate": {"serialization": {"method": "files", "hash_type": "sha256"},
                              "resources": names.iter().map(|n| serde_json::json!({"name": n, "algorithm": "sha256", "digest": d.to_hex()})).collect::<Vec<_>>()}
            })
            .to_string()
            .into_bytes()
        };
        assert!(
            matches!(parse(&make(&["../x"], root_digest([&d]))), Err(OmsError::Malformed(m)) if m.contains("unsafe path"))
        );
        assert!(matches!(
            parse(&make(&["/etc/passwd"], root_digest([&d]))),
            Err(OmsError::Malformed(_))
        ));
        assert!(
            matches!(parse(&make(&["a", "a"], root_digest([&d, &d]))), Err(OmsError::Malformed(m)) if m.contains("twice"))
        );
        assert!(matches!(
            parse(&make(&["a"], d)),
            Err(OmsError::Inconsistent { .. })
        ));
    }

    #[test]
    fn shard_bundles_are_refused_by_name() {
        let value = serde_json::json!({
            "subject": [{"name": "m", "digest": {"sha256": Sha256Digest::of(b"").to_hex()}}],
            "predicate": {"serialization": {"method": "shards", "hash_type": "sha256", "shard_size": 1_000_000_000.0},
                          "resources": []}
        });
        assert!(
            matches!(parse(value.to_string().as_bytes()), Err(OmsError::Unsupported(m)) if m.contains("shards"))
        );
    }
}
