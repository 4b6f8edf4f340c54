//! The audit document built from small releases and hand-written check reports.

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
