//! The public summary shipped in the release (`public_summary.uri`), read at scan time and
//! compared by `AIA-53-1-d-04` with the declared datasets: the demo's summary, the same summary
//! with a dataset left out and the wrong size band, and one that is not the sealed file. The
//! demo is made the provider of a GPAI model (its own base model, `is_gpai: true`) so the rule
//! applies. Expected subjects are written from the demo's declaration by hand.

use serde_json::Value;

use crate::check::{demo, release_with};
use crate::common::{Release, run, sha256_hex};

const SUMMARY: &str = "docs/training-data-summary.md";

/// The demo's declaration made a GPAI provider's, with the summary's digest `sha256`.
fn declaration(sha256: &str) -> String {
    let text = std::fs::read_to_string(demo().join("scelle.yaml")).unwrap();
    let demo_sha = sha256_hex(&std::fs::read(demo().join(SUMMARY)).unwrap());
    let changed = text
        .replace("is_gpai: false", "is_gpai: true")
        .replace(
            "      provider: Exemple IA SAS\n      relation: distillation",
            "      provider: Petit Labo SARL\n      relation: distillation",
        )
        .replace(&demo_sha, sha256);
    assert!(
        changed.contains("is_gpai: true")
            && changed.contains("provider: Petit Labo SARL\n      relation"),
        "the demo declaration changed under the test"
    );
    assert!(
        text.contains(&format!("uri: {SUMMARY}")) && text.contains(&demo_sha),
        "the demo declares its summary with its digest"
    );
    changed
}

/// A copy of the demo whose summary is `summary` and whose declaration gives `declared_sha`.
fn release(summary: &str, declared_sha: &str) -> Release {
    let release = release_with(&declaration(declared_sha));
    release.file(SUMMARY, summary);
    release
}

/// `check` with the GPAI pack alone, as JSON; the exit status and stderr are checked here.
fn check(release: &Release, packs: &[&str]) -> Value {
    let mut args = vec![
        "check",
        release.path().to_str().unwrap(),
        "--no-builtin",
        "--as-of",
        "2026-11-28",
        "--format",
        "json",
    ];
    for pack in packs {
        args.extend(["--policy", pack]);
    }
    let run = run(&args);
    assert_eq!(
        run.code, 1,
        "other rules fail on the demo; stderr:\n{}",
        run.stderr
    );
    assert_eq!(run.stderr, "");
    run.json()
}

fn result<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["packs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["results"].as_array().unwrap())
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no result for {id}"))
}

fn demo_summary() -> String {
    std::fs::read_to_string(demo().join(SUMMARY)).unwrap()
}

#[test]
fn the_demo_summary_names_what_its_datasets_give() {
    let text = demo_summary();
    let r = release(&text, &sha256_hex(text.as_bytes()));
    let report = check(&r, &["ai-act-gpai"]);
    let d04 = result(&report, "AIA-53-1-d-04");
    assert_eq!(d04["outcome"], "pass", "{d04}");
    // The scan recorded the document the rule read.
    let manifest = run(&["scan", r.path().to_str().unwrap()]).success().json();
    let recorded = &manifest["predicate"]["public_summary"];
    assert_eq!(recorded["path"], SUMMARY);
    assert_eq!(
        recorded["datasets"],
        serde_json::json!(["wikipedia-fr-2025-09"]),
        "the summary names Wikipedia by its id; the crawl and the teacher's answers by their tools"
    );
    assert_eq!(recorded["crawlers"], serde_json::json!(["PetitBot"]));
    assert_eq!(
        recorded["generators"],
        serde_json::json!(["exemple-ia/exemple-8b"])
    );
    assert_eq!(
        recorded["base_models"],
        serde_json::json!(["exemple-ia/exemple-8b"])
    );
    assert_eq!(recorded["bands"]["text"], serde_json::json!(["mid"]));
    assert!(
        recorded["dates"]
            .as_array()
            .unwrap()
            .contains(&Value::from("2026-07-31")),
        "{recorded}"
    );
}

#[test]
fn a_summary_leaving_out_a_large_dataset_with_the_wrong_band_is_a_finding() {
    let text = demo_summary();
    let edited = text
        .replace(
            "yes. French Wikipedia, September 2025 dump\n  (`wikipedia-fr-2025-09`, https://dumps.wikimedia.org/frwiki/, CC-BY-SA-4.0).",
            "yes (an encyclopaedia dump).",
        )
        .replace(
            "(band: 1 billion to 10 trillion tokens)",
            "(band: less than 1 billion tokens)",
        );
    assert_ne!(edited, text);
    assert!(!edited.contains("Wikipedia"), "{edited}");
    let r = release(&edited, &sha256_hex(edited.as_bytes()));
    let report = check(&r, &["ai-act-gpai"]);
    let d04 = result(&report, "AIA-53-1-d-04");
    assert_eq!(d04["outcome"], "fail", "{d04}");
    assert_eq!(d04["severity"], "error");
    // Wikipedia is the demo's only public dataset: all of its public text, so above 3 %. Its
    // 2.0e8 tokens, the 1.2e9 of the teacher's answers and the 6.0e8 of the crawl make 2.0e9
    // training tokens: the band from 1 billion to 10 trillion.
    assert_eq!(
        d04["subjects"],
        serde_json::json!([
            "large public dataset wikipedia-fr-2025-09",
            "text size band 1 billion to 10 trillion tokens (the summary gives less than 1 billion tokens)"
        ])
    );
    assert_eq!(d04["field"], "public_summary.uri");
    let line = std::fs::read_to_string(r.path().join("scelle.yaml"))
        .unwrap()
        .lines()
        .position(|l| {
            l.trim_start()
                .starts_with("uri: docs/training-data-summary.md")
        })
        .unwrap()
        + 1;
    assert_eq!(d04["locations"][0]["line"], line);
}

#[test]
fn a_summary_that_is_not_the_sealed_one_is_not_read() {
    let text = demo_summary();
    let edited = text.replace("2.0 billion tokens", "2.1 billion tokens");
    assert_ne!(edited, text);
    // The declaration keeps the digest of the demo's summary.
    let r = release(&edited, &sha256_hex(text.as_bytes()));
    let report = check(&r, &["ai-act-gpai", "release-integrity"]);
    let d04 = result(&report, "AIA-53-1-d-04");
    assert_eq!(d04["outcome"], "fail", "{d04}");
    assert_eq!(d04["severity"], "warning", "an unread summary is a warning");
    assert_eq!(
        d04["subjects"],
        serde_json::json!([
            "the file at public_summary.uri is not the one public_summary.sha256 describes"
        ])
    );
    let doc = result(&report, "RI-DOC-01");
    assert_eq!(doc["outcome"], "fail");
    assert_eq!(doc["subjects"], serde_json::json!(["public_summary"]));
    let manifest = run(&["scan", r.path().to_str().unwrap()]).success().json();
    assert_eq!(
        manifest["predicate"].get("public_summary"),
        None,
        "a summary with another digest is not recorded"
    );
}

#[test]
fn a_summary_published_only_at_a_url_cannot_be_read() {
    let text = demo_summary();
    let sha = sha256_hex(text.as_bytes());
    let declared = declaration(&sha).replace(
        &format!("uri: {SUMMARY}"),
        "uri: https://petit-labo.example/tiny-llama-fr-en/training-data-summary.md",
    );
    let r = release_with(&declared);
    let report = check(&r, &["ai-act-gpai"]);
    let d04 = result(&report, "AIA-53-1-d-04");
    assert_eq!(d04["outcome"], "fail", "{d04}");
    assert_eq!(d04["severity"], "warning");
    assert_eq!(
        d04["subjects"],
        serde_json::json!([
            "public_summary.uri is a URL: the published summary is not in the release, so scelle cannot read it"
        ])
    );
}
