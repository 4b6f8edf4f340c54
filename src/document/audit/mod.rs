//! The auditor's report of one check: what was verified and how (input, signer, bundle format,
//! root digest, every file matched or which did not), what the release holds (the model and
//! dataset summaries of its statement next to the figures the check compared), and every pack's
//! result rule by rule with its article, severity, outcome, line in `scelle.yaml` and fix; then
//! waivers, totals and the date the check judged dates by.
//!
//! It is built from the check report *as JSON* ([`Evidence::check`]), the form a check report
//! travels in (`scelle check --format json`, the predicate of a signed attestation), so an audit
//! can start from a fresh check ([`build`]) or from an attested one ([`from_evidence`]) alike.

mod results;
mod summaries;

use serde_json::Value as Json;

use super::{Context, Document, Item, Kind, Section, Source, Value};
use crate::policy::check::CheckReport;
use crate::release::Parsed;

/// What an audit is made of. Apart from the check report, each part is optional: a report
/// started from an attestation may have no file-by-file comparison at hand.
#[derive(Debug, Clone, Copy)]
pub struct Evidence<'a> {
    /// The check report as JSON (`docs/policies.md`, `schema_version` 1).
    pub check: &'a Json,
    /// The file-by-file comparison with the signed manifest (`verify`'s `files`), when the
    /// files were re-hashed.
    pub files: Option<&'a Json>,
    /// The statement's model summary (`predicate.model`).
    pub model: Option<&'a Json>,
    /// The statement's sealed dataset folders (`predicate.datasets`).
    pub datasets: &'a [Json],
    /// The signed attestation the check report was read from, when it was not run now.
    pub attested: Option<&'a Attested>,
}

/// Who signed the check an audit reports, when it comes from an attestation (`check --attest`).
#[derive(Debug, Clone)]
pub struct Attested {
    /// The attestation's file name.
    pub file: String,
    pub key_id: String,
    pub algorithm: String,
    /// RFC 3339.
    pub at: String,
}

/// The audit of a check just run on the release in `cx`.
pub fn build(cx: Context<'_>, report: &CheckReport) -> Document {
    // The report's own serialisation is what a reader of its JSON sees; an error here would
    // mean a non-string map key, which the report does not have.
    let check = serde_json::to_value(report).unwrap_or(Json::Null);
    let files = cx
        .release
        .files
        .as_ref()
        .and_then(|f| serde_json::to_value(f).ok());
    let (model, datasets) = match &cx.release.statement {
        Parsed::Full(s) => (s.predicate.model.clone(), s.predicate.datasets.clone()),
        Parsed::Light(s) => (s.predicate.model.clone(), s.predicate.datasets.clone()),
    };
    let evidence = Evidence {
        check: &check,
        files: files.as_ref(),
        model: model.as_ref(),
        datasets: &datasets,
        attested: None,
    };
    from_evidence(cx, &evidence)
}

/// The audit of the check in `evidence`, for the release `cx` describes.
pub fn from_evidence(cx: Context<'_>, evidence: &Evidence<'_>) -> Document {
    let sections = vec![
        check_section(evidence.check, evidence.attested),
        verification(evidence),
        summaries::model(&cx, evidence),
        summaries::datasets(&cx, evidence),
        results::packs(evidence.check),
        results::waivers(evidence.check),
        results::summary(evidence.check),
    ];
    cx.finish(Kind::Audit, "Audit report", sections)
}

fn text(v: &Json, pointer: &str) -> Option<String> {
    match v.pointer(pointer)? {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        Json::Bool(b) => Some(yes_no(*b).to_owned()),
        _ => None,
    }
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

fn array<'a>(v: &'a Json, pointer: &str) -> &'a [Json] {
    v.pointer(pointer)
        .and_then(Json::as_array)
        .map_or(&[], Vec::as_slice)
}

fn count(v: &Json, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Json::as_u64)
        .map_or_else(|| "0".to_owned(), |n| n.to_string())
}

/// A JSON value in a table cell: strings as they are, numbers in full, lists joined.
fn cell(v: Option<&Json>) -> String {
    v.map_or_else(String::new, super::scalar_text)
}

fn from_check(what: &str) -> Source {
    Source::computed(&format!("the check report's `{what}`"))
}

/// 1: the check itself: when, by which scelle, at which stage.
fn check_section(check: &Json, attested: Option<&Attested>) -> Section {
    let at = |label: &str, pointer: &str, what: &str| {
        Item::new(
            label,
            Value::text(text(check, pointer).unwrap_or_else(|| "unknown".to_owned())),
        )
        .from(from_check(what))
    };
    let generator = match (
        text(check, "/generator/name"),
        text(check, "/generator/version"),
    ) {
        (Some(n), Some(v)) => format!("{n} {v}"),
        (Some(n), None) => n,
        _ => "unknown".to_owned(),
    };
    let section = match attested {
        None => Section::new(Some("1"), "The check").note(
            "The built-in policy packs were run over the release as scelle check runs them; \
             dates were judged as of the day below.",
        ),
        Some(a) => Section::new(Some("1"), "The check")
            .note(
                "This check was not run now: it is the one a signed attestation records, read \
                 from the bytes whose signature verified with a trusted key, about the release \
                 whose root digest is below.",
            )
            .item(Item::new("Attestation", Value::text(a.file.clone())).from(Source::Verification))
            .item(
                Item::new(
                    "Attested by",
                    Value::text(format!("{} key {}", a.algorithm, a.key_id)),
                )
                .from(Source::Verification),
            )
            .item(Item::new("Attested at", Value::text(a.at.clone())).from(Source::Verification)),
    };
    section
        .item(at("Date used (--as-of)", "/as_of", "as_of"))
        .item(at("Stage", "/stage", "stage"))
        .item(Item::new("Checked by", Value::text(generator)).from(from_check("generator")))
        .item(
            Item::new(
                "What the check says of itself",
                Value::text(text(check, "/disclaimer").unwrap_or_default()),
            )
            .from(from_check("disclaimer")),
        )
}

/// 2: what was verified, and every file that did not match.
fn verification(e: &Evidence<'_>) -> Section {
    let v = e.check.pointer("/verification").unwrap_or(&Json::Null);
    let flag = |p: &str| v.pointer(p).and_then(Json::as_bool);
    let verified = flag("/verified") == Some(true);
    let method = text(v, "/method");
    let item = |label: &str, value: Value| Item::new(label, value).from(Source::Verification);
    let mut s = Section::new(Some("2"), "What was verified")
        .item(item("Verdict", Value::text(verdict(v, e.files))))
        .item(item(
            "Input",
            Value::text(text(v, "/input").unwrap_or_else(|| "unknown".to_owned())),
        ))
        .item(item(
            "Signed (a bundle was found)",
            Value::flag(flag("/signed") == Some(true)),
        ))
        .item(item(
            "Signature",
            Value::text(match (verified, method.as_deref()) {
                (false, _) => "not verified",
                (true, Some("certificate")) => {
                    "verified against a certificate chain ending at a trusted anchor"
                }
                (true, Some("keyless")) => {
                    "verified keyless against the identity policy and a Sigstore trusted root"
                }
                (true, _) => "verified against a trusted key",
            }),
        ));
    if !verified {
        let why = text(v, "/problem").unwrap_or_else(|| {
            if flag("/signed") == Some(true) {
                "no trusted key was given".to_owned()
            } else {
                "the release has no bundle: it was read as found".to_owned()
            }
        });
        s = s.item(item("Why not verified", Value::text(why)));
    }
    let or_none = |p: &str| Value::text(text(v, p).unwrap_or_else(|| "none".to_owned()));
    s = match method.as_deref() {
        Some("certificate") => s
            .item(item("Signing method", Value::text("X.509 certificate")))
            .item(item("Signer certificate subject", or_none("/identity")))
            .item(item("Certificate issuer", or_none("/issuer"))),
        Some("keyless") => s
            .item(item("Signing method", Value::text("keyless (Sigstore)")))
            .item(item("Signer identity", or_none("/identity")))
            .item(item("OIDC issuer", or_none("/issuer")))
            .item(item("Transparency-log index", or_none("/log_index")))
            .item(item("Integrated time", or_none("/integrated_time"))),
        _ => s
            .item(item("Signer key id", or_none("/key_id")))
            .item(item("Key algorithm", or_none("/algorithm"))),
    };
    s = s
        .item(item("Bundle format", or_none("/format")))
        .item(
            Item::new(
                "Root digest",
                Value::text(
                    text(e.check, "/subject/root")
                        .map_or_else(|| "none".to_owned(), |d| format!("sha256:{d}")),
                ),
            )
            .from(from_check("subject.root")),
        )
        .item(
            Item::new(
                "Files recorded",
                Value::text(count(e.check, "/subject/files")),
            )
            .from(from_check("subject.files")),
        );
    let checked = flag("/files_checked") == Some(true);
    s = s.item(item("Files re-hashed on disk", Value::flag(checked)));
    s = s.item(item(
        "Every file matched",
        match flag("/files_match") {
            Some(b) => Value::flag(b),
            None => Value::not_applicable("the files were not re-hashed against a signed record"),
        },
    ));
    if let Some(files) = e.files {
        s = s.item(item("File mismatches", mismatches(files)));
    }
    s
}

/// One sentence on what the verification amounts to: a good signature over a record the files
/// on disk no longer match does not vouch for those files.
fn verdict(v: &Json, files: Option<&Json>) -> String {
    let flag = |p: &str| v.pointer(p).and_then(Json::as_bool);
    if flag("/verified") != Some(true) {
        return match text(v, "/problem") {
            Some(why) => format!("Not verified: {why}"),
            None => "Not verified: the release was read as found, with no signed record".to_owned(),
        };
    }
    match flag("/files_match") {
        Some(true) => {
            "The signature verifies against a trusted key and every file on disk matches \
                       the signed record"
                .to_owned()
        }
        Some(false) => {
            let differing = files.map_or(0, |f| {
                ["/modified", "/missing", "/extra", "/renamed", "/lookalike"]
                    .iter()
                    .map(|p| array(f, p).len())
                    .sum::<usize>()
            });
            format!(
                "The signature verifies, but {differing} file(s) on disk differ from the signed \
                 record: the files on disk are not the release that was signed"
            )
        }
        None => "The signature verifies; the files were not re-hashed, so only the signed record \
                 was checked"
            .to_owned(),
    }
}

/// Every difference between the signed record and the files on disk, sorted by path.
fn mismatches(files: &Json) -> Value {
    let mut rows: Vec<Vec<String>> = Vec::new();
    let get = |v: &Json, k: &str| {
        v.get(k)
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    for m in array(files, "/modified") {
        let detail = match m.get("content_of").and_then(Json::as_str) {
            Some(of) => format!("now holds the content of `{of}`"),
            None => String::new(),
        };
        rows.push(vec![
            get(m, "path"),
            "modified".to_owned(),
            get(m, "expected"),
            get(m, "actual"),
            detail,
        ]);
    }
    for m in array(files, "/missing") {
        rows.push(vec![
            get(m, "path"),
            "missing".to_owned(),
            get(m, "expected"),
            String::new(),
            String::new(),
        ]);
    }
    for m in array(files, "/extra") {
        rows.push(vec![
            get(m, "path"),
            "extra (not signed)".to_owned(),
            String::new(),
            get(m, "actual"),
            String::new(),
        ]);
    }
    for m in array(files, "/renamed") {
        rows.push(vec![
            get(m, "to"),
            "renamed".to_owned(),
            get(m, "sha256"),
            get(m, "sha256"),
            format!("signed as `{}`", get(m, "from")),
        ]);
    }
    for m in array(files, "/lookalike") {
        rows.push(vec![
            get(m, "found"),
            "name in another Unicode form".to_owned(),
            get(m, "expected"),
            get(m, "actual"),
            format!("signed as `{}`", get(m, "signed")),
        ]);
    }
    rows.sort();
    Value::table(
        &[
            "File",
            "Change",
            "Signed SHA-256",
            "SHA-256 on disk",
            "Detail",
        ],
        rows,
    )
}

#[cfg(test)]
mod tests;
