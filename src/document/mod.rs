//! The documents the law and auditors ask for, built from an opened [`Release`]: the public
//! summary of training content, the Model Documentation Form, the Annex XI and XII information
//! and the auditor's report. A document is data first ([`Document`]: numbered sections of
//! labelled items, each item saying where its value comes from), then rendered as Markdown, HTML
//! or JSON, so the three formats cannot say different things.
//!
//! Nothing is invented: a value the declaration does not give is [`Value::NotDeclared`], shown as
//! "not declared" and listed in [`Document::not_declared`] so the command can warn about it.

mod annex;
pub mod audit;
mod datasets;
mod evidence;
mod html;
pub mod magnitude;
mod markdown;
mod model_documentation;
mod signer;
mod training;
mod training_summary;

use std::cell::RefCell;

use serde::Serialize;
use serde_json::Value as Json;

use crate::release::Release;

pub use html::html;
pub use markdown::markdown;
pub use signer::Signer;

/// The version of the JSON form of a document (`docs/report.schema.json`).
pub const SCHEMA_VERSION: u32 = 1;

/// What every document says of itself.
pub const BASIS: &str = "This document reports the evidence declared by the publisher in \
`scelle.yaml` and the files sealed in the release, as read by scelle. It is not a legal opinion \
and does not certify compliance.";

/// The documents `scelle report` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// The public summary of training content (AI Act Art. 53(1)(d), Template of 24 July 2025)
    TrainingSummary,
    /// The Model Documentation Form of the GPAI Code of Practice, for one audience
    ModelDocumentation,
    /// The technical documentation of Annex XI (AI Act Art. 53(1)(a))
    AnnexXi,
    /// The information for downstream providers of Annex XII (AI Act Art. 53(1)(b))
    AnnexXii,
    /// The auditor's report of one check: verification, summaries, every pack's results
    Audit,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::TrainingSummary => "training-summary",
            Kind::ModelDocumentation => "model-documentation",
            Kind::AnnexXi => "annex-xi",
            Kind::AnnexXii => "annex-xii",
            Kind::Audit => "audit",
        }
    }
}

/// Who a Model Documentation Form is for: each item of the form is marked for some of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Audience {
    /// Providers of AI systems that integrate the model
    Downstream,
    /// The AI Office
    AiOffice,
    /// National competent authorities
    Authority,
}

/// The release a document describes.
#[derive(Debug, Clone, Serialize)]
pub struct Described {
    /// The model as declared (`model.name`), else the folder or file name.
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// The release's root digest (hex SHA-256 over its files).
    pub root: Option<String>,
    pub files: usize,
    /// `folder`, `manifest` or `bundle`.
    pub input: String,
    /// Whether the record was verified against a trusted key, and by which key.
    pub verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<Signer>,
    /// Why the record is not verified, when it is not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// Whether every file on disk matched the signed record, when they were re-hashed against
    /// it: a good signature over a record the files no longer match vouches for nothing on disk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub files_match: Option<bool>,
}

/// A generated document.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    pub schema_version: u32,
    pub kind: Kind,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<Audience>,
    pub release: Described,
    /// `YYYY-MM-DD`, from the clock `SOURCE_DATE_EPOCH` pins.
    pub generated: String,
    pub generator: String,
    pub basis: &'static str,
    pub sections: Vec<Section>,
    /// The declaration's fields the document needed and did not find, in order of use.
    pub not_declared: Vec<String>,
}

/// A numbered section of a document, as the template or form numbers it.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    pub title: String,
    /// A paragraph before the items (what the section is, a legal note).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub items: Vec<Item>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sections: Vec<Section>,
}

impl Section {
    pub fn new(number: Option<&str>, title: &str) -> Self {
        Section {
            number: number.map(str::to_owned),
            title: title.to_owned(),
            note: None,
            items: Vec::new(),
            sections: Vec::new(),
        }
    }

    #[must_use]
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    #[must_use]
    pub fn item(mut self, item: Item) -> Self {
        self.items.push(item);
        self
    }

    #[must_use]
    pub fn section(mut self, section: Section) -> Self {
        self.sections.push(section);
        self
    }
}

/// One labelled value, with where it comes from.
#[derive(Debug, Clone, Serialize)]
pub struct Item {
    pub label: String,
    pub value: Value,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<Source>,
    /// Who the item is meant for, in a document that covers several audiences (the provider's
    /// complete copy of the Model Documentation Form); empty elsewhere.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub audiences: Vec<Audience>,
}

impl Item {
    pub fn new(label: &str, value: Value) -> Self {
        Item {
            label: label.to_owned(),
            value,
            sources: Vec::new(),
            audiences: Vec::new(),
        }
    }

    /// The item marked as meant for `audiences`.
    #[must_use]
    pub fn for_audiences(mut self, audiences: &[Audience]) -> Self {
        self.audiences = audiences.to_vec();
        self
    }

    #[must_use]
    pub fn from(mut self, source: Source) -> Self {
        self.sources.push(source);
        self
    }
}

/// A value in a document.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Value {
    Text {
        text: String,
    },
    /// A yes/no answer of a template.
    Flag {
        yes: bool,
    },
    List {
        items: Vec<String>,
    },
    Table {
        columns: Vec<String>,
        rows: Vec<Vec<String>>,
    },
    /// The declaration does not give it: written as "not declared", never guessed.
    NotDeclared {
        field: String,
    },
    /// The item does not apply to this release, and why.
    NotApplicable {
        reason: String,
    },
}

impl Value {
    pub fn text(text: impl Into<String>) -> Self {
        Value::Text { text: text.into() }
    }

    pub fn flag(yes: bool) -> Self {
        Value::Flag { yes }
    }

    pub fn list(items: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Value::List {
            items: items.into_iter().map(Into::into).collect(),
        }
    }

    pub fn table(columns: &[&str], rows: Vec<Vec<String>>) -> Self {
        Value::Table {
            columns: columns.iter().map(|c| (*c).to_owned()).collect(),
            rows,
        }
    }

    pub fn not_applicable(reason: impl Into<String>) -> Self {
        Value::NotApplicable {
            reason: reason.into(),
        }
    }
}

/// Where a value comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Source {
    /// A field of the declaration, as a dotted path (`model.parameters.total`).
    Field { path: String },
    /// A file sealed in the release (its path in the release).
    File { path: String },
    /// Computed by scelle from the named inputs (`6·N·D from ...`, `size bands from datasets[].size`).
    Computed { from: String },
    /// The verification of the release's record.
    Verification,
}

impl Source {
    pub fn field(path: &str) -> Self {
        Source::Field {
            path: path.to_owned(),
        }
    }

    pub fn file(path: &str) -> Self {
        Source::File {
            path: path.to_owned(),
        }
    }

    pub fn computed(from: &str) -> Self {
        Source::Computed {
            from: from.to_owned(),
        }
    }
}

/// What a document builder reads: the release, the date, the audience, and the declaration's
/// fields it found missing (each written as "not declared" and reported once).
#[derive(Debug)]
pub struct Context<'a> {
    pub release: &'a Release,
    /// The day the document is generated, `YYYY-MM-DD`.
    pub today: String,
    /// The day dates are judged by (`--as-of`; by default `today`), `YYYY-MM-DD`.
    pub as_of: String,
    pub audience: Option<Audience>,
    missing: RefCell<Vec<String>>,
    empty: Json,
}

impl<'a> Context<'a> {
    pub fn new(release: &'a Release, today: String, audience: Option<Audience>) -> Self {
        Context {
            as_of: today.clone(),
            release,
            today,
            audience,
            missing: RefCell::new(Vec::new()),
            empty: Json::Null,
        }
    }

    /// Judges dates as of `date` rather than the day the document is generated.
    #[must_use]
    pub fn as_of(mut self, date: String) -> Self {
        self.as_of = date;
        self
    }

    /// The declaration (`null` when the release has none: every field is then not declared).
    pub fn declared(&self) -> &Json {
        self.release.declared().unwrap_or(&self.empty)
    }

    /// The declared value at a dotted path (`model.license.spdx`), when present and not null.
    pub fn get(&self, path: &str) -> Option<&Json> {
        let pointer = format!("/{}", path.replace('.', "/"));
        self.declared().pointer(&pointer).filter(|v| !v.is_null())
    }

    /// Records that `path` was needed and not declared, and returns the value saying so.
    pub fn missing(&self, path: &str) -> Value {
        let mut missing = self.missing.borrow_mut();
        if !missing.iter().any(|m| m == path) {
            missing.push(path.to_owned());
        }
        Value::NotDeclared {
            field: path.to_owned(),
        }
    }

    /// The declared field at `path` as an item: its text (lists joined, booleans as yes/no), or
    /// "not declared".
    pub fn field(&self, label: &str, path: &str) -> Item {
        let value = match self.get(path) {
            Some(v) => json_value(v),
            None => self.missing(path),
        };
        Item::new(label, value).from(Source::field(path))
    }

    /// What the release is, for the document's header.
    pub fn described(&self) -> Described {
        let r = self.release;
        let v = &r.verification;
        let text = |p: &str| self.get(p).and_then(Json::as_str).map(str::to_owned);
        Described {
            name: text("model.name").unwrap_or_else(|| r.subject.name.clone()),
            version: text("model.version"),
            provider: text("provider.legal_name"),
            root: r.subject.root.clone(),
            files: r.subject.files,
            input: v.input.clone(),
            verified: v.verified,
            signer: Signer::of(v),
            problem: v.problem.clone(),
            files_match: v.files_match,
        }
    }

    /// The document, with the fields found missing while building `sections`.
    pub fn finish(self, kind: Kind, title: &str, sections: Vec<Section>) -> Document {
        Document {
            schema_version: SCHEMA_VERSION,
            kind,
            title: title.to_owned(),
            audience: self.audience,
            release: self.described(),
            generated: self.today.clone(),
            generator: format!("scelle {}", env!("CARGO_PKG_VERSION")),
            basis: BASIS,
            sections,
            not_declared: self.missing.into_inner(),
        }
    }
}

/// `text` cut at its backquotes: `(true, part)` for a part between a pair of them (a field name,
/// as the builders write them, or a declared code span), `(false, part)` for the rest. With an
/// unpaired backquote there are no code parts: the whole text is one plain part.
pub(crate) fn code_parts(text: &str) -> Vec<(bool, &str)> {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len().is_multiple_of(2) {
        return vec![(false, text)];
    }
    parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| (i % 2 == 1, part))
        .collect()
}

/// A declared JSON value as a document value.
pub fn json_value(v: &Json) -> Value {
    match v {
        Json::Bool(b) => Value::flag(*b),
        Json::String(s) => Value::text(s.clone()),
        Json::Number(n) => Value::text(number_text(n)),
        Json::Array(items) => Value::list(items.iter().map(scalar_text)),
        Json::Object(_) => Value::text(scalar_text(v)),
        Json::Null => Value::text(""),
    }
}

/// A declared number as written by a person: a whole number without `.0` (YAML's `2.0e9` is
/// read as a float), others as they are.
fn number_text(n: &serde_json::Number) -> String {
    match n.as_f64() {
        Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e16 => format!("{f:.0}"),
        _ => n.to_string(),
    }
}

/// A declared value as one line of text (objects as `key: value` pairs).
pub fn scalar_text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        Json::Bool(true) => "yes".to_owned(),
        Json::Bool(false) => "no".to_owned(),
        Json::Null => String::new(),
        Json::Number(n) => number_text(n),
        Json::Array(items) => items.iter().map(scalar_text).collect::<Vec<_>>().join(", "),
        Json::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{k}: {}", scalar_text(v)))
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// The document as JSON, one object and a final newline.
pub fn json(document: &Document) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(document).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// Why a document could not be built.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("the audit report is built from a check of the release, and none was made")]
    NoCheck,
}

/// Builds the document of `kind` for the release in `cx`; the audit reports `check`, the check
/// just made of the same release. Fails only when a sealed file the document reads cannot be
/// read or is malformed.
pub fn build(
    kind: Kind,
    cx: Context<'_>,
    check: Option<&crate::policy::CheckReport>,
) -> Result<Document, crate::Error> {
    match kind {
        Kind::TrainingSummary => Ok(training_summary::build(cx)?),
        Kind::ModelDocumentation => Ok(model_documentation::build(cx)),
        Kind::AnnexXi => Ok(annex::annex_xi(cx)),
        Kind::AnnexXii => Ok(annex::annex_xii(cx)),
        Kind::Audit => Ok(audit::build(cx, check.ok_or(DocumentError::NoCheck)?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_the_declaration_lacks_is_not_declared_and_listed_once() {
        let release = crate::release::tests::from_declaration(serde_json::json!({
            "model": {"name": "m", "parameters": {"total": 7}, "languages": ["fr", "en"]},
            "training": {"compute": {"basis": {"tokens": 2.0e9, "uncertainty_pct": 12.5}}},
            "release": {"includes_ai_system": false}
        }));
        let cx = Context::new(&release, "2026-12-03".into(), None);
        assert_eq!(cx.field("Name", "model.name").value, Value::text("m"));
        assert_eq!(
            cx.field("Total", "model.parameters.total").value,
            Value::text("7")
        );
        assert_eq!(
            cx.field("Languages", "model.languages").value,
            Value::list(["fr", "en"])
        );
        assert_eq!(
            cx.field("System", "release.includes_ai_system").value,
            Value::flag(false)
        );
        let missing = cx.field("Licence", "model.license.spdx");
        assert_eq!(
            missing.value,
            Value::NotDeclared {
                field: "model.license.spdx".into()
            }
        );
        assert_eq!(missing.sources, vec![Source::field("model.license.spdx")]);
        let _ = cx.field("Licence again", "model.license.spdx");
        let doc = cx.finish(Kind::AnnexXii, "t", Vec::new());
        assert_eq!(doc.not_declared, vec!["model.license.spdx".to_owned()]);
        assert_eq!(doc.release.name, "m");
        assert!(!doc.release.verified);
        assert!(doc.release.signer.is_none());
    }
}
