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
mod tests {
    use super::*;
    use crate::console::{ColorChoice, Console};
    use crate::policy::{Stage, builtin};
    use crate::release::{CheckOptions, OpenOptions, Release};

    /// A release of one 2x3 F32 tensor (6 parameters, counted here from the shape) and one
    /// dataset of two records, declared in a small `scelle.yaml`.
    fn small_release(dir: &std::path::Path) -> Release {
        let header = br#"{"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}"#;
        let mut weights = (header.len() as u64).to_le_bytes().to_vec();
        weights.extend_from_slice(header);
        weights.extend_from_slice(&[0; 24]);
        fs_err::write(dir.join("model.safetensors"), weights).unwrap();
        fs_err::write(dir.join("config.json"), r#"{"model_type":"llama"}"#).unwrap();
        fs_err::create_dir(dir.join("data")).unwrap();
        fs_err::write(dir.join("data/train.jsonl"), "{\"t\":1}\n{\"t\":2}\n").unwrap();
        fs_err::write(
            dir.join("scelle.yaml"),
            "model:\n  name: tiny\n  version: \"0.1\"\n  parameters: {total: 7}\ndatasets:\n  \
             - id: train-set\n    role: pretraining\n    source_type: public_dataset\n    \
             modality: text\n    path: data\n    size: {records: 2}\n",
        )
        .unwrap();
        let console = Console::new(ColorChoice::Never, true, 0);
        Release::open(dir, &OpenOptions::default(), &console).unwrap()
    }

    fn audit_of(release: &mut Release) -> Document {
        let packs = builtin::resolve(&[], false).unwrap();
        let report = release
            .check(&CheckOptions {
                packs: &packs,
                as_of: "2026-12-01",
                stage: Stage::Release,
                waiver_files: &[],
                declared_waivers: true,
            })
            .unwrap();
        build(
            Context::new(release, "2026-12-01".to_owned(), None),
            &report,
        )
    }

    fn item<'a>(s: &'a Section, label: &str) -> &'a Value {
        &s.items
            .iter()
            .find(|i| i.label == label)
            .unwrap_or_else(|| panic!("no item `{label}` in section {:?}", s.title))
            .value
    }

    #[test]
    fn audit_has_its_sections_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let doc = audit_of(&mut small_release(dir.path()));
        let numbers: Vec<_> = doc
            .sections
            .iter()
            .map(|s| (s.number.clone().unwrap(), s.title.as_str()))
            .collect();
        assert_eq!(
            numbers,
            [
                ("1".to_owned(), "The check"),
                ("2".to_owned(), "What was verified"),
                ("3".to_owned(), "Model"),
                ("4".to_owned(), "Datasets"),
                ("5".to_owned(), "Policy packs and their results"),
                ("6".to_owned(), "Waivers"),
                ("7".to_owned(), "Summary"),
            ]
        );
        assert_eq!(doc.kind, Kind::Audit);
        assert_eq!(
            *item(&doc.sections[0], "Date used (--as-of)"),
            Value::text("2026-12-01")
        );
    }

    #[test]
    fn unverified_folder_says_so_and_why() {
        let dir = tempfile::tempdir().unwrap();
        let doc = audit_of(&mut small_release(dir.path()));
        let v = &doc.sections[1];
        assert_eq!(*item(v, "Signature"), Value::text("not verified"));
        assert_eq!(
            *item(v, "Why not verified"),
            Value::text("the release has no bundle: it was read as found")
        );
        assert_eq!(*item(v, "Files re-hashed on disk"), Value::flag(false));
        assert!(!v.items.iter().any(|i| i.label == "File mismatches"));
    }

    #[test]
    fn model_figures_come_from_the_weights_and_the_declaration() {
        let dir = tempfile::tempdir().unwrap();
        let doc = audit_of(&mut small_release(dir.path()));
        let m = &doc.sections[2];
        // 2 x 3 tensor: 6 counted; the declaration says 7 (and the check compares them).
        assert_eq!(*item(m, "Parameters counted"), Value::text("6"));
        assert_eq!(*item(m, "Parameters declared"), Value::text("7"));
        assert_eq!(
            *item(m, "Parameters by dtype"),
            Value::table(
                &["Dtype", "Parameters"],
                vec![vec!["F32".into(), "6".into()]]
            )
        );
        assert_eq!(*item(m, "Weight formats"), Value::list(["safetensors"]));
        let d = &doc.sections[3];
        let Value::Table { rows, .. } = item(d, "Declared datasets") else {
            panic!("not a table")
        };
        assert_eq!(rows[0][0], "train-set");
        let Value::Table { rows, .. } = item(d, "Declared and counted sizes") else {
            panic!("not a table")
        };
        assert_eq!(rows[0][..5], ["train-set", "data", "2", "2", "yes"]);
    }

    #[test]
    fn every_builtin_pack_and_rule_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let doc = audit_of(&mut small_release(dir.path()));
        let packs = builtin::resolve(&[], false).unwrap();
        let s = &doc.sections[4];
        assert_eq!(s.sections.len(), packs.len());
        for (i, (sub, pack)) in s.sections.iter().zip(&packs).enumerate() {
            assert_eq!(sub.number.as_deref(), Some(format!("5.{}", i + 1).as_str()));
            assert!(
                sub.title.starts_with(&format!("{} ", pack.name)),
                "{}",
                sub.title
            );
            let Value::Table { columns, rows } = item(sub, "Rules") else {
                panic!("not a table")
            };
            assert_eq!(columns[3], "Article");
            assert_eq!(rows.len(), pack.rules.len(), "{}", pack.name);
        }
    }

    #[test]
    fn mismatches_are_listed_by_path_with_their_change() {
        let dir = tempfile::tempdir().unwrap();
        let release = small_release(dir.path());
        let (a, b) = ("a".repeat(64), "b".repeat(64));
        let check = serde_json::json!({
            "verification": {"input": "folder", "signed": true, "verified": true,
                "format": "scelle", "key_id": "k1", "algorithm": "ed25519",
                "files_checked": true, "files_match": false},
            "subject": {"root": a, "files": 3},
        });
        let files = serde_json::json!({
            "modified": [{"path": "z.bin", "expected": a, "actual": b}],
            "missing": [{"path": "m.txt", "expected": a}],
            "extra": [{"path": "e.txt", "actual": b}],
            "renamed": [{"from": "old.md", "to": "new.md", "sha256": a}],
        });
        let doc = from_evidence(
            Context::new(&release, "2026-12-01".to_owned(), None),
            &Evidence {
                check: &check,
                files: Some(&files),
                model: None,
                datasets: &[],
                attested: None,
            },
        );
        let v = &doc.sections[1];
        assert_eq!(
            *item(v, "Verdict"),
            Value::text(
                "The signature verifies, but 4 file(s) on disk differ from the signed record: \
                 the files on disk are not the release that was signed"
            )
        );
        assert_eq!(*item(v, "Every file matched"), Value::flag(false));
        let Value::Table { rows, .. } = item(v, "File mismatches") else {
            panic!("not a table")
        };
        let got: Vec<(&str, &str)> = rows
            .iter()
            .map(|r| (r[0].as_str(), r[1].as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("e.txt", "extra (not signed)"),
                ("m.txt", "missing"),
                ("new.md", "renamed"),
                ("z.bin", "modified"),
            ]
        );
        assert_eq!(rows[3][2..4], [a.clone(), b]);
        assert_eq!(rows[2][4], "signed as `old.md`");
        // A check report without packs is an audit with no pack, not a failure.
        assert!(doc.sections[4].sections.is_empty());
    }

    #[test]
    fn the_signer_is_named_per_method() {
        use crate::report::signer::samples::{certificate, facts, keyless};
        let dir = tempfile::tempdir().unwrap();
        let release = small_release(dir.path());
        let section = |signer| {
            let check = serde_json::json!({"verification": facts(&signer)});
            let doc = from_evidence(
                Context::new(&release, "2026-12-01".to_owned(), None),
                &Evidence {
                    check: &check,
                    files: None,
                    model: None,
                    datasets: &[],
                    attested: None,
                },
            );
            doc.sections[1].clone()
        };
        let v = section(certificate());
        for (label, text) in [
            (
                "Signature",
                "verified against a certificate chain ending at a trusted anchor",
            ),
            ("Signing method", "X.509 certificate"),
            ("Signer certificate subject", "CN=Release signing,O=Example"),
            ("Certificate issuer", "CN=Example Issuing CA,O=Example"),
        ] {
            assert_eq!(*item(&v, label), Value::text(text), "{label}");
        }
        let v = section(keyless());
        for (label, text) in [
            ("Signing method", "keyless (Sigstore)"),
            (
                "Signer identity",
                "https://github.com/example/model/.github/workflows/release.yml@refs/tags/v1",
            ),
            ("OIDC issuer", "https://token.actions.githubusercontent.com"),
            ("Transparency-log index", "123456"),
            ("Integrated time", "2026-05-01T12:00:00Z"),
        ] {
            assert_eq!(*item(&v, label), Value::text(text), "{label}");
        }
        assert!(v.items.iter().all(|i| i.label != "Signer key id"));
    }

    #[test]
    fn rules_waivers_and_totals_come_from_the_check_report() {
        let dir = tempfile::tempdir().unwrap();
        let release = small_release(dir.path());
        let check = serde_json::json!({
            "as_of": "2027-01-02",
            "packs": [{"name": "p", "version": "1", "title": "T", "applies": true,
                "in_effect": true, "effective": "2025-01-01",
                "counts": {"pass": 1, "fail": 0, "waived": 1, "not_applicable": 0, "error": 0},
                "results": [
                    {"id": "R-1", "outcome": "fail", "severity": "error", "reference": "Art. 1",
                     "message": "m1", "fix": "f1", "waived": true,
                     "locations": [{"file": "scelle.yaml", "line": 7, "column": 3}]},
                    {"id": "R-2", "outcome": "pass", "severity": "warning", "reference": "Art. 2",
                     "message": "ok", "fix": "f2"}]}],
            "waivers": [{"id": "R-1", "subjects": ["a", "b"], "reason": "why", "approver": "Ann",
                "expires": "2027-06-30", "origin": "declaration", "status": "applied",
                "matched": 2, "location": {"file": "scelle.yaml", "line": 40}}],
            "summary": {"packs": 1, "rules": {"pass": 1, "waived": 1}, "errors": 0},
        });
        let doc = from_evidence(
            Context::new(&release, "2027-01-02".to_owned(), None),
            &Evidence {
                check: &check,
                files: None,
                model: None,
                datasets: &[],
                attested: None,
            },
        );
        let pack = &doc.sections[4].sections[0];
        assert_eq!(pack.title, "p 1: T");
        let Value::Table { rows, .. } = item(pack, "Rules") else {
            panic!("not a table")
        };
        assert_eq!(
            rows[0],
            [
                "R-1",
                "fail (waived)",
                "error",
                "Art. 1",
                "scelle.yaml:7",
                "m1",
                "f1"
            ]
        );
        // A rule that passed has no finding or fix to show.
        assert_eq!(rows[1], ["R-2", "pass", "warning", "Art. 2", "", "", ""]);
        let Value::Table { rows, .. } = item(&doc.sections[5], "Waivers of the run") else {
            panic!("not a table")
        };
        assert_eq!(
            rows[0],
            [
                "R-1",
                "a, b",
                "applied",
                "2",
                "2027-06-30",
                "Ann",
                "why",
                "scelle.yaml:40"
            ]
        );
        let Value::Table { rows, .. } = item(&doc.sections[6], "Totals") else {
            panic!("not a table")
        };
        let get = |label: &str| rows.iter().find(|r| r[0] == label).unwrap()[1].clone();
        assert_eq!(get("Packs"), "1");
        assert_eq!(get("Rules failed and waived"), "1");
        // A count the report leaves out is zero, not an error.
        assert_eq!(get("Waivers unused"), "0");
        // Without a verification section the release is reported as not verified.
        assert_eq!(
            *item(&doc.sections[1], "Signature"),
            Value::text("not verified")
        );
    }
}
