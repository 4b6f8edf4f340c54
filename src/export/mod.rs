//! `scelle export`: the release as an AI bill of materials, for the tools security teams and
//! procurement already read (Dependency-Track, GUAC, SBOM checklists). CycloneDX 1.6 and 1.7
//! (an ML-BOM: the model with its model card, files, datasets) and SPDX 3.0.1 with the AI and
//! Dataset profiles.
//!
//! An export is a translation of the sealed record, never a second source of truth: every value
//! comes from the statement (files, digests, scanned model facts), the declaration it records,
//! or the verification of its signature. A fact a format has no field for goes under a
//! documented `scelle:` name in the format's own extension mechanism (CycloneDX `properties`,
//! SPDX `DictionaryEntry`/`comment`), never into an invented field. The output is deterministic:
//! identifiers derive from the root digest, the time from `SOURCE_DATE_EPOCH`, and keys are
//! sorted.

mod completeness;
mod cyclonedx;
mod properties;
mod spdx;

use std::fmt::Write as _;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::document::Signer;
use crate::manifest::{FileRecord, Statement};
use crate::release::{self, Release};

pub use completeness::{Completeness, Part};
pub(crate) use properties::{
    Property, base_model_properties, dataset_properties, file_properties, scalar,
};

/// The bill-of-materials formats `export` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// CycloneDX JSON (an ML-BOM with a model card)
    Cyclonedx,
    /// SPDX 3.0.1 JSON-LD with the AI and Dataset profiles
    Spdx,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Cyclonedx => "cyclonedx",
            Format::Spdx => "spdx",
        }
    }

    /// The version written when none is asked for.
    pub fn default_spec(self) -> SpecVersion {
        match self {
            Format::Cyclonedx => SpecVersion::V1_6,
            Format::Spdx => SpecVersion::V3_0_1,
        }
    }
}

/// The versions of the formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SpecVersion {
    /// CycloneDX 1.6
    #[value(name = "1.6")]
    V1_6,
    /// CycloneDX 1.7
    #[value(name = "1.7")]
    V1_7,
    /// SPDX 3.0.1
    #[value(name = "3.0.1")]
    V3_0_1,
}

impl SpecVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            SpecVersion::V1_6 => "1.6",
            SpecVersion::V1_7 => "1.7",
            SpecVersion::V3_0_1 => "3.0.1",
        }
    }

    fn of(self, format: Format) -> bool {
        matches!(
            (format, self),
            (Format::Cyclonedx, SpecVersion::V1_6 | SpecVersion::V1_7)
                | (Format::Spdx, SpecVersion::V3_0_1)
        )
    }
}

/// Why an export could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{format} has no version `{spec}`: give {supported}")]
    Spec {
        format: &'static str,
        spec: &'static str,
        supported: &'static str,
    },
    #[error("the statement's file records were read without their kinds and formats")]
    Light,
}

/// An export: the document's bytes and how complete it is for an auditor.
#[derive(Debug)]
pub struct Export {
    pub bytes: Vec<u8>,
    pub completeness: Completeness,
    pub spec: SpecVersion,
}

/// Writes `release` as `format` (`spec`, or the format's default), dated `timestamp` (RFC 3339,
/// whole seconds, `Z`), with its completeness measured as of `today` (`YYYY-MM-DD`).
pub fn build(
    release: &Release,
    format: Format,
    spec: Option<SpecVersion>,
    timestamp: &str,
    today: &str,
) -> Result<Export, ExportError> {
    let spec = check_spec(format, spec)?;
    let statement = release.statement.full().ok_or(ExportError::Light)?;
    let completeness = completeness::measure(release, today);
    let view = View::new(release, statement, format, spec, timestamp, &completeness);
    let document = match format {
        Format::Cyclonedx => cyclonedx::document(&view),
        Format::Spdx => spdx::document(&view),
    };
    let mut bytes = serde_json::to_vec_pretty(&document).unwrap_or_default();
    bytes.push(b'\n');
    Ok(Export {
        bytes,
        completeness,
        spec,
    })
}

/// The version to write: `spec` when it is one of `format`'s, else the format's default.
pub fn check_spec(format: Format, spec: Option<SpecVersion>) -> Result<SpecVersion, ExportError> {
    let spec = spec.unwrap_or_else(|| format.default_spec());
    if spec.of(format) {
        return Ok(spec);
    }
    Err(ExportError::Spec {
        format: match format {
            Format::Cyclonedx => "CycloneDX",
            Format::Spdx => "SPDX",
        },
        spec: spec.as_str(),
        supported: match format {
            Format::Cyclonedx => "`--spec-version 1.6` or `1.7`",
            Format::Spdx => "`--spec-version 3.0.1`",
        },
    })
}

/// What the format writers read: the release, its statement and declaration, and the settings
/// of this export. Getters return `None` for a field that is absent or null.
pub(crate) struct View<'a> {
    pub(crate) release: &'a Release,
    pub(crate) statement: &'a Statement,
    pub(crate) spec: SpecVersion,
    /// The document's creation time: RFC 3339 UTC, whole seconds.
    pub(crate) timestamp: &'a str,
    pub(crate) completeness: &'a Completeness,
    /// The verified signer, `None` when the record was not verified.
    pub(crate) signer: Option<Signer>,
    /// The bundle the record was read from, by file name (never a full path).
    pub(crate) bundle: Option<String>,
    /// A stable identifier of this export: a UUID derived from the root digest, the format and
    /// its version, and the signer (an export of a verified record differs from one of the same
    /// record unverified).
    pub(crate) uuid: String,
    root: String,
    empty: Value,
}

impl<'a> View<'a> {
    fn new(
        release: &'a Release,
        statement: &'a Statement,
        format: Format,
        spec: SpecVersion,
        timestamp: &'a str,
        completeness: &'a Completeness,
    ) -> Self {
        let signer = Signer::of(&release.verification);
        let root = statement.predicate.root.sha256.to_hex();
        let seed = format!(
            "scelle export\n{}\n{}\n{}\n{}",
            format.as_str(),
            spec.as_str(),
            root,
            signer
                .as_ref()
                .map_or("unverified", |s| s.identity.as_str())
        );
        View {
            release,
            statement,
            spec,
            timestamp,
            completeness,
            signer,
            bundle: release.bundle.as_deref().map(release::name_of),
            uuid: uuid_from(&seed),
            root,
            empty: Value::Null,
        }
    }

    /// The release's root digest, lowercase hex.
    pub(crate) fn root(&self) -> &str {
        &self.root
    }

    /// Every file of the release, in manifest order.
    pub(crate) fn files(&self) -> &'a [FileRecord] {
        &self.statement.predicate.files
    }

    /// The declaration (`null` when the release has none).
    pub(crate) fn declared(&self) -> &Value {
        self.release.declared().unwrap_or(&self.empty)
    }

    /// The declared value at a dotted path (`model.license.spdx`).
    pub(crate) fn get(&self, path: &str) -> Option<&Value> {
        lookup(self.declared(), path)
    }

    pub(crate) fn str(&self, path: &str) -> Option<&str> {
        self.get(path).and_then(Value::as_str)
    }

    pub(crate) fn number(&self, path: &str) -> Option<f64> {
        self.get(path).and_then(Value::as_f64)
    }

    /// The declared list at `path` (empty when absent).
    pub(crate) fn list(&self, path: &str) -> &[Value] {
        self.get(path)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// The model facts scanned from the weights (`parameter_count`, `dtypes`, `architecture`,
    /// `formats`), `null` when there are none.
    pub(crate) fn model(&self) -> &Value {
        self.statement
            .predicate
            .model
            .as_ref()
            .unwrap_or(&self.empty)
    }

    /// The datasets scanned in the release (derived facts per declared dataset path).
    pub(crate) fn scanned_datasets(&self) -> &'a [Value] {
        &self.statement.predicate.datasets
    }

    /// The model's name: declared, else the release's folder or file name.
    pub(crate) fn name(&self) -> String {
        self.str("model.name")
            .map_or_else(|| self.release.subject.name.clone(), str::to_owned)
    }

    /// The declared version of the model.
    pub(crate) fn version(&self) -> Option<&str> {
        self.str("model.version")
    }
}

/// The value at a dotted `path` inside `value`, when present and not null.
pub(crate) fn lookup<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    let pointer = format!("/{}", path.replace('.', "/"));
    value.pointer(&pointer).filter(|v| !v.is_null())
}

/// A UUID (RFC 9562 version 8, the version for names hashed by other means than MD5 or SHA-1)
/// from the first 16 bytes of SHA-256 over `seed`.
pub(crate) fn uuid_from(seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&digest[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex = b.iter().fold(String::with_capacity(32), |mut out, x| {
        let _ = write!(out, "{x:02x}");
        out
    });
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A declared number as text without a float's `.0` or exponent when it is whole (`2.0e9` is
/// `2000000000`), as both formats' string-valued extension fields carry them.
pub(crate) fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e16 {
        format!("{n:.0}")
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids_are_version_8_and_differ_with_their_seed() {
        let a = uuid_from("a");
        let b = uuid_from("b");
        assert_ne!(a, b);
        assert_eq!(a, uuid_from("a"));
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "8");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"), "{a}");
    }

    #[test]
    fn a_spec_of_another_format_is_refused() {
        assert!(SpecVersion::V1_6.of(Format::Cyclonedx));
        assert!(SpecVersion::V1_7.of(Format::Cyclonedx));
        assert!(!SpecVersion::V3_0_1.of(Format::Cyclonedx));
        assert!(SpecVersion::V3_0_1.of(Format::Spdx));
        assert!(!SpecVersion::V1_6.of(Format::Spdx));
    }

    #[test]
    fn whole_numbers_lose_their_exponent() {
        assert_eq!(number_text(2.0e9), "2000000000");
        assert_eq!(number_text(1.5), "1.5");
        assert_eq!(number_text(3.2e23), "320000000000000000000000");
    }
}
