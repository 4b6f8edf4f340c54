//! `scelle report --kind audit` on the demo: signed with a fresh key and verified, unverified,
//! tampered with; in Markdown, JSON and HTML; byte for byte the same on two runs; exit 0 once
//! written whatever the findings, 2 when it cannot run.

use std::path::{Path, PathBuf};

use crate::common::{Run, run, run_cmd, scelle, sha256_hex};

pub fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

/// A fresh key pair and the demo signed with it, in a temporary folder (the demo itself is never
/// written to).
pub struct Signed {
    pub dir: tempfile::TempDir,
}

impl Signed {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("publisher");
        run(&["keygen", "-o", key.to_str().unwrap(), "-q"]).success();
        let s = Self { dir };
        run(&[
            "sign",
            demo().to_str().unwrap(),
            "--key",
            s.path("publisher.key").as_str(),
            "-o",
            s.bundle().as_str(),
            "-q",
        ])
        .success();
        s
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).to_str().unwrap().to_owned()
    }

    pub fn public(&self) -> String {
        self.path("publisher.pub")
    }

    pub fn bundle(&self) -> String {
        self.path("demo.sigstore.json")
    }

    /// scelle's key id, computed here: the SHA-256 of the public key's PEM text.
    pub fn key_id(&self) -> String {
        sha256_hex(&std::fs::read(self.public()).unwrap())
    }

    /// `report` on `input` verified with this key and bundle.
    pub fn report(&self, input: &Path, extra: &[&str]) -> Run {
        let public = self.public();
        let bundle = self.bundle();
        let mut args = vec![
            "report",
            input.to_str().unwrap(),
            "--key",
            &public,
            "--bundle",
            &bundle,
            "--kind",
            "audit",
        ];
        args.extend_from_slice(extra);
        run(&args)
    }
}

/// Every file of a folder, as (path relative to it, content), for computing the root digest.
fn files_of(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_str().unwrap().to_owned();
                out.push((rel, std::fs::read(&p).unwrap()));
            }
        }
    }
    out
}

/// The demo's root digest, computed here from its files.
pub fn demo_root() -> String {
    let files = files_of(&demo());
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_slice()))
        .collect();
    crate::common::expected_root(&refs)
}

/// The line of `scelle.yaml` where the dataset entry `- id: ID` starts.
pub fn dataset_line(id: &str) -> usize {
    let text = std::fs::read_to_string(demo().join("scelle.yaml")).unwrap();
    text.lines()
        .position(|l| l.trim() == format!("- id: {id}"))
        .unwrap()
        + 1
}

fn section<'a>(doc: &'a serde_json::Value, number: &str) -> &'a serde_json::Value {
    fn find<'a>(s: &'a serde_json::Value, number: &str) -> Option<&'a serde_json::Value> {
        for sub in s.as_array()? {
            if sub["number"] == number {
                return Some(sub);
            }
            if let Some(f) = sub.get("sections").and_then(|x| find(x, number)) {
                return Some(f);
            }
        }
        None
    }
    find(&doc["sections"], number).unwrap_or_else(|| panic!("no section {number}"))
}

fn value<'a>(section: &'a serde_json::Value, label: &str) -> &'a serde_json::Value {
    section["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == label)
        .map_or_else(
            || panic!("no item {label} in {}", section["title"]),
            |i| &i["value"],
        )
}

#[test]
fn audit_json_of_the_verified_demo_reports_verification_model_and_packs() {
    let s = Signed::new();
    let r = s.report(&demo(), &["--format", "json"]).success();
    let doc = r.json();
    assert_eq!(doc["kind"], "audit");
    assert_eq!(doc["release"]["root"], demo_root().as_str());
    assert_eq!(doc["release"]["verified"], true);
    assert_eq!(doc["release"]["signer"]["key_id"], s.key_id().as_str());
    // SOURCE_DATE_EPOCH=1700000000 is 2023-11-14 (19675 whole days after 1970-01-01).
    assert_eq!(doc["generated"], "2023-11-14");
    assert_eq!(
        value(section(&doc, "1"), "Date used (--as-of)")["text"],
        "2023-11-14"
    );
    let v = section(&doc, "2");
    assert_eq!(value(v, "Signer key id")["text"], s.key_id().as_str());
    assert_eq!(value(v, "Key algorithm")["text"], "ed25519");
    assert_eq!(value(v, "Bundle format")["text"], "scelle");
    assert_eq!(
        value(v, "Root digest")["text"],
        format!("sha256:{}", demo_root())
    );
    assert_eq!(value(v, "Files re-hashed on disk")["yes"], true);
    assert_eq!(value(v, "Every file matched")["yes"], true);
    assert_eq!(value(v, "File mismatches")["rows"], serde_json::json!([]));
    // The demo's weights: 158,016 parameters (its scelle.yaml declares the same total).
    let m = section(&doc, "3");
    assert_eq!(value(m, "Parameters counted")["text"], "158,016");
    assert_eq!(value(m, "Parameters declared")["text"], "158,016");
    // Every built-in pack, each with its version; the GDPR pack's Art. 13/14 rule fails on the
    // demo at the line of the dataset it names.
    let packs = section(&doc, "5");
    let names: Vec<&str> = value(packs, "Packs run")["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap())
        .collect();
    for want in [
        "ai-act-gpai",
        "gdpr-training-data",
        "cnil-recommendations",
        "release-integrity",
    ] {
        assert!(names.contains(&want), "{names:?}");
    }
    let gdpr = packs["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| {
            p["title"]
                .as_str()
                .unwrap()
                .starts_with("gdpr-training-data ")
        })
        .unwrap();
    let row = value(gdpr, "Rules")["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r[0] == "GDPR-14-01")
        .unwrap()
        .clone();
    assert_eq!(row[1], "fail");
    assert_eq!(row[2], "error");
    assert!(
        row[3].as_str().unwrap().contains("GDPR Art. 13, 14"),
        "{row}"
    );
    assert_eq!(
        row[4],
        format!("scelle.yaml:{}", dataset_line("wikipedia-fr-2025-09"))
    );
    assert!(row[5].as_str().unwrap().contains("wikipedia-fr-2025-09"));
    assert!(row[6].as_str().unwrap().contains("notice_url"));
}

#[test]
fn audit_markdown_says_what_was_verified() {
    let s = Signed::new();
    let r = s.report(&demo(), &[]).success();
    let md = &r.stdout;
    assert!(md.starts_with("# Audit report\n"), "{md}");
    assert!(md.contains(&format!("- Root digest: `sha256:{}`", demo_root())));
    assert!(md.contains(&format!("signed by key `{}`", s.key_id())));
    let headings: Vec<&str> = md.lines().filter(|l| l.starts_with("## ")).collect();
    assert_eq!(
        headings,
        [
            "## 1 The check",
            "## 2 What was verified",
            "## 3 Model",
            "## 4 Datasets",
            "## 5 Policy packs and their results",
            "## 6 Waivers",
            "## 7 Summary",
            "## Where each value comes from",
        ]
    );
    assert!(md.contains("| GDPR-14-01 | fail | error |"), "{md}");
}

#[test]
fn audit_of_an_unverified_bundle_says_not_verified_and_why() {
    let s = Signed::new();
    let r = run(&["report", &s.bundle(), "--kind", "audit", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        "warning: `demo.sigstore.json` was not verified: no `--key` given\n"
    );
    let doc = r.json();
    assert_eq!(doc["release"]["verified"], false);
    assert!(doc["release"].get("signer").is_none());
    let v = section(&doc, "2");
    assert_eq!(value(v, "Signature")["text"], "not verified");
    assert_eq!(
        value(v, "Why not verified")["text"],
        "`demo.sigstore.json` was not verified: no `--key` given"
    );
    assert_eq!(value(v, "Files re-hashed on disk")["yes"], false);
    // No absolute path of this machine ends up in the document.
    assert!(!r.stdout.contains(s.dir.path().to_str().unwrap()));
    let md = run(&["report", &s.bundle(), "--kind", "audit"]);
    assert_eq!(md.code, 0);
    // Markdown escapes the backquotes of the reason, so they stay text.
    assert!(
        md.stdout.contains(
            "- Signature: not verified (\\`demo.sigstore.json\\` was not verified: no \\`--key\\` given)"
        ),
        "{}",
        md.stdout
    );
}

#[test]
fn audit_of_a_tampered_copy_lists_each_changed_file() {
    let s = Signed::new();
    let copy = tempfile::tempdir().unwrap();
    for (rel, content) in files_of(&demo()) {
        let to = copy.path().join(&rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, content).unwrap();
    }
    let original = std::fs::read(copy.path().join("config.json")).unwrap();
    let edited = b"{\"model_type\":\"llama\",\"num_hidden_layers\":99}\n";
    std::fs::write(copy.path().join("config.json"), edited).unwrap();
    std::fs::rename(
        copy.path().join("README.md"),
        copy.path().join("MODEL_CARD.md"),
    )
    .unwrap();
    std::fs::write(copy.path().join("notes.txt"), "unsigned\n").unwrap();
    let r = s.report(copy.path(), &["--format", "json"]);
    // The audit is written: a document, not a gate.
    assert_eq!(r.code, 0, "{}", r.stderr);
    let doc = r.json();
    let v = section(&doc, "2");
    assert_eq!(value(v, "Every file matched")["yes"], false);
    assert!(
        value(v, "Verdict")["text"]
            .as_str()
            .unwrap()
            .contains("3 file(s) on disk differ")
    );
    assert_eq!(doc["release"]["files_match"], false);
    let html = s.report(copy.path(), &["--format", "html"]);
    assert_eq!(html.code, 0, "{}", html.stderr);
    assert!(html.stdout.contains(
        "<span class=\"unverified\" id=\"files-match\">differ from the signed record</span>"
    ));
    assert!(
        html.stdout
            .contains("<td>config.json</td><td>modified</td>")
    );
    let rows = value(v, "File mismatches")["rows"].clone();
    assert_eq!(
        rows,
        serde_json::json!([
            [
                "MODEL_CARD.md",
                "renamed",
                sha256_hex(&std::fs::read(demo().join("README.md")).unwrap()),
                sha256_hex(&std::fs::read(demo().join("README.md")).unwrap()),
                "signed as `README.md`"
            ],
            [
                "config.json",
                "modified",
                sha256_hex(&original),
                sha256_hex(edited),
                ""
            ],
            [
                "notes.txt",
                "extra (not signed)",
                "",
                sha256_hex(b"unsigned\n"),
                ""
            ],
        ])
    );
}

#[test]
fn audit_is_byte_identical_on_two_runs_in_every_format() {
    let s = Signed::new();
    for format in ["markdown", "json", "html"] {
        let a = s.report(&demo(), &["--format", format]).success();
        let b = s.report(&demo(), &["--format", format]).success();
        assert_eq!(a.stdout, b.stdout, "{format}");
        assert!(
            !a.stdout.contains(s.dir.path().to_str().unwrap()),
            "{format}"
        );
    }
    // With SOURCE_DATE_EPOCH elsewhere, only the dates move.
    let later = run_cmd(scelle().env("SOURCE_DATE_EPOCH", "1800000000").args([
        "report",
        demo().to_str().unwrap(),
        "--kind",
        "audit",
        "--format",
        "json",
    ]));
    assert_eq!(later.code, 0);
    assert_eq!(later.json()["generated"], "2027-01-15");
}

#[test]
fn audit_judges_dates_as_of_the_day_given() {
    let r = run(&[
        "report",
        demo().to_str().unwrap(),
        "--kind",
        "audit",
        "--format",
        "json",
        "--as-of",
        "2025-01-01",
    ])
    .success();
    let doc = r.json();
    assert_eq!(
        value(section(&doc, "1"), "Date used (--as-of)")["text"],
        "2025-01-01"
    );
}

#[test]
fn report_help_gives_its_exit_status() {
    let r = run(&["report", "--help"]).success();
    assert!(
        r.stdout.contains("Exit status: 0 the document was written"),
        "{}",
        r.stdout
    );
}

#[test]
fn report_exits_2_when_it_cannot_run_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    run(&["report", missing.to_str().unwrap(), "--kind", "audit"]).error("does not exist");
    let out = dir.path().join("audit.html");
    std::fs::create_dir(&out).unwrap();
    let r = run(&[
        "report",
        demo().to_str().unwrap(),
        "--kind",
        "audit",
        "--format",
        "html",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert!(out.is_dir());
}

#[test]
fn audit_from_an_attestation_reports_the_signed_check_of_this_release_only() {
    let s = Signed::new();
    run(&["keygen", "-o", &s.path("auditor"), "-q"]).success();
    let demo_dir = demo();
    let demo = demo_dir.to_str().unwrap();
    let (public, bundle) = (s.public(), s.bundle());
    // The auditor's check, as of a day of their choosing, signed.
    let checked = run(&[
        "check",
        demo,
        "--key",
        &public,
        "--bundle",
        &bundle,
        "--as-of",
        "2026-09-01",
        "--attest",
        &s.path("auditor.key"),
        "-o",
        &s.path("att.json"),
        "--format",
        "json",
        "-q",
    ]);
    assert!(checked.code <= 1, "{}", checked.stderr);
    let attested_check = checked.json();
    let auditor_id = sha256_hex(&std::fs::read(s.path("auditor.pub")).unwrap());
    let args = |att: &str, keys: &[&str]| {
        let mut a = vec!["report", demo, "--bundle", &bundle, "--kind", "audit"];
        for k in keys {
            a.extend_from_slice(&["--key", k]);
        }
        a.extend_from_slice(&["--attestation", att, "--format", "json"]);
        a.into_iter().map(str::to_owned).collect::<Vec<_>>()
    };
    let auditor = s.path("auditor.pub");
    let out = run_cmd(scelle().args(args(&s.path("att.json"), &[&auditor, &public]))).success();
    let doc = out.json();
    let one = section(&doc, "1");
    assert_eq!(value(one, "Attestation")["text"], "att.json");
    assert_eq!(
        value(one, "Attested by")["text"],
        format!("ed25519 key {auditor_id}")
    );
    // The dates and results are the attested check's, not a check made now.
    assert_eq!(value(one, "Date used (--as-of)")["text"], "2026-09-01");
    assert_eq!(doc["release"]["root"], demo_root().as_str());
    let failed_rules = |packs: &serde_json::Value| -> Vec<String> {
        let mut ids: Vec<String> = packs
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|p| p["results"].as_array().unwrap().iter())
            .filter(|r| r["outcome"] == "fail")
            .map(|r| r["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let expected = failed_rules(&attested_check["packs"]);
    assert!(!expected.is_empty());
    let text = serde_json::to_string(&section(&doc, "5")).unwrap();
    for id in &expected {
        assert!(text.contains(id.as_str()), "{id} missing from the audit");
    }
    // An attestation that does not verify with a given key is refused, not reported.
    run_cmd(scelle().args(args(&s.path("att.json"), &[&public])))
        .error("`att.json` does not verify");
    // An attestation of another release is refused: the tampered copy has another root.
    let copy = tempfile::tempdir().unwrap();
    for (rel, bytes) in files_of(&demo_dir) {
        let to = copy.path().join(&rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(to, bytes).unwrap();
    }
    std::fs::write(copy.path().join("notes.txt"), "added\n").unwrap();
    let mut other = args(&s.path("att.json"), &[&auditor, &public]);
    other[1] = copy.path().to_str().unwrap().to_owned();
    run_cmd(scelle().args(other)).error("are not the release `att.json` attests");
    // Without its bundle, the copy is scanned: its root is not the attested one.
    let mut unsigned = args(&s.path("att.json"), &[&auditor]);
    unsigned[1] = copy.path().to_str().unwrap().to_owned();
    unsigned.drain(2..4);
    run_cmd(scelle().args(unsigned)).error("is about another release");
    // A training summary has no check to take from an attestation.
    let mut wrong = args(&s.path("att.json"), &[&auditor]);
    wrong[5] = "training-summary".into();
    run_cmd(scelle().args(wrong)).error("`--attestation` applies to `--kind audit` only");
}

#[test]
fn every_scenario_has_an_audit_with_its_seven_sections_valid_against_the_schema() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/scenarios");
    let mut scenarios: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    scenarios.sort();
    assert!(scenarios.len() >= 4, "the scenarios are missing");
    let out = tempfile::tempdir().unwrap();
    let mut written = Vec::new();
    for path in scenarios {
        let release = crate::check::release_with(&std::fs::read_to_string(&path).unwrap());
        let dir = release.path().to_str().unwrap();
        let json = run(&["report", dir, "--kind", "audit", "--format", "json", "-q"]).success();
        let doc = json.json();
        let numbers: Vec<&str> = doc["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["number"].as_str().unwrap())
            .collect();
        assert_eq!(numbers, ["1", "2", "3", "4", "5", "6", "7"], "{path:?}");
        // Every pack the check ran is in section 5, under its own number.
        let check = run(&["check", dir, "--format", "json", "-q"]).json();
        let packs = section(&doc, "5")["sections"].as_array().unwrap().len();
        assert_eq!(packs, check["packs"].as_array().unwrap().len(), "{path:?}");
        let file = out.path().join(format!("{}.json", written.len()));
        std::fs::write(&file, json.stdout).unwrap();
        written.push(file);
    }
    crate::common::assert_report_schema(&written);
}
