//! `scelle diff` on two versions of the demo made here: v2 has one weight changed (a byte of a
//! tensor's payload, the header left valid), a training dataset added (a file under `data/`
//! and its `datasets[]` entry) and `model.release_date` moved. Every expected value is computed
//! from the bytes the test wrote, not read back from scelle.

use std::path::Path;

use serde_json::{Value, json};

use crate::check::{demo, release_with};
use crate::common::{Release, run, sha256_hex};

const AS_OF: &str = "2026-11-20";
const WEIGHTS: &str = "model-00001-of-00002.safetensors";
const EXTRA: &str = "data/train/extra.jsonl";
const EXTRA_RECORDS: &[u8] = b"{\"text\": \"un\"}\n{\"text\": \"deux\"}\n{\"text\": \"trois\"}\n";

fn declaration() -> String {
    std::fs::read_to_string(demo().join("scelle.yaml")).unwrap()
}

/// The demo as it is.
fn v1() -> Release {
    release_with(&declaration())
}

/// The demo with one weight changed, a training dataset added whose declared size (4 records)
/// is not the 3 its file holds, and a later release date.
fn v2() -> Release {
    let old = declaration();
    assert!(old.contains("release_date: 2026-10-15") && old.contains("\ndatasets:\n"));
    let new = old
        .replace("release_date: 2026-10-15", "release_date: 2026-11-02")
        .replacen(
            "\ndatasets:\n",
            "\ndatasets:
  - id: extra-sft
    name: Extra answers
    role: sft
    path: data/train
    modality: text
    source_type: human_created
    languages: [fr]
    size: {records: 4}
    personal_data: {present: false}
",
            1,
        );
    let release = release_with(&new);
    let mut weights = std::fs::read(release.path().join(WEIGHTS)).unwrap();
    let header = usize::try_from(u64::from_le_bytes(weights[..8].try_into().unwrap())).unwrap();
    // The first byte of the first tensor's payload: the header still parses, a weight differs.
    weights[8 + header] ^= 0xff;
    release.file(WEIGHTS, &weights);
    release.file(EXTRA, EXTRA_RECORDS);
    release
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn diff_json(old: &Path, new: &Path) -> Value {
    run(&[
        "diff",
        path(old),
        path(new),
        "--format",
        "json",
        "--as-of",
        AS_OF,
    ])
    .success()
    .json()
}

/// The parameters of a safetensors file: the product of each tensor's shape in its header.
fn parameters(file: &Path) -> u64 {
    let bytes = std::fs::read(file).unwrap();
    let n = usize::try_from(u64::from_le_bytes(bytes[..8].try_into().unwrap())).unwrap();
    let header: Value = serde_json::from_slice(&bytes[8..8 + n]).unwrap();
    header
        .as_object()
        .unwrap()
        .iter()
        .filter(|(k, _)| *k != "__metadata__")
        .map(|(_, t)| {
            t["shape"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d.as_u64().unwrap())
                .product::<u64>()
        })
        .sum()
}

fn files_of(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            if p.is_dir() { files_of(&p) } else { 1 }
        })
        .sum()
}

fn because(diff: &Value, obligation: &str) -> Vec<String> {
    diff["conclusions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["obligation"] == obligation)
        .unwrap_or_else(|| panic!("no {obligation} conclusion in {:#}", diff["conclusions"]))["because"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_category_is_reported_between_two_versions_of_the_demo() {
    let (old, new) = (v1(), v2());
    let diff = diff_json(old.path(), new.path());
    files_and_model(&diff, &old, &new);
    datasets_and_fields(&diff);
    rules_and_conclusions(&diff);
}

fn files_and_model(diff: &Value, old: &Release, new: &Release) {
    let read = |r: &Release, p: &str| std::fs::read(r.path().join(p)).unwrap();
    // Files: the data file added, the weights and the declaration modified, the rest unchanged.
    let files = &diff["files"];
    assert_eq!(
        files["added"],
        json!([{"path": EXTRA, "kind": "dataset", "size": EXTRA_RECORDS.len(), "sha256": sha256_hex(EXTRA_RECORDS)}])
    );
    assert_eq!(files["removed"], json!([]));
    assert_eq!(files["renamed"], json!([]));
    let modified = |p: &str, kind: &str| {
        let (o, n) = (read(old, p), read(new, p));
        json!({"path": p, "kind": kind, "old_size": o.len(), "new_size": n.len(),
               "old_sha256": sha256_hex(&o), "new_sha256": sha256_hex(&n)})
    };
    assert_eq!(
        files["modified"],
        json!([
            modified(WEIGHTS, "weights"),
            modified("scelle.yaml", "config")
        ])
    );
    assert_eq!(files["unchanged"], files_of(&demo()) - 2);

    // The scanned model: the same shapes, so the same counts before and after.
    let params = parameters(&old.path().join(WEIGHTS))
        + parameters(&old.path().join("model-00002-of-00002.safetensors"));
    assert_eq!(diff["model"]["old"]["parameter_count"], params);
    assert_eq!(diff["model"]["new"]["parameter_count"], params);
    assert_eq!(diff["model"]["changed"], json!([]));
}

fn datasets_and_fields(diff: &Value) {
    // Datasets: the declared one added with its sealed file; the scanned `data/` folder grew.
    let declared = &diff["datasets"]["declared"];
    assert_eq!(declared.as_array().unwrap().len(), 1, "{declared:#}");
    let added = &declared[0];
    assert_eq!(added["id"], "extra-sft");
    assert_eq!(added["change"], "added");
    assert_eq!(added["role"], "sft");
    assert_eq!(added["training"], true);
    assert_eq!(added["old_size"], Value::Null);
    assert_eq!(added["new_size"], json!({"records": 4}));
    assert_eq!(
        added["new_files"],
        json!({"files": 1, "bytes": EXTRA_RECORDS.len()})
    );
    let eval = std::fs::read(demo().join("data/eval/eval-fr-en.jsonl")).unwrap();
    let lines = |b: &[u8]| std::str::from_utf8(b).unwrap().lines().count();
    let sealed = &diff["datasets"]["sealed"];
    assert_eq!(sealed.as_array().unwrap().len(), 1, "{sealed:#}");
    assert_eq!(sealed[0]["change"], "changed");
    assert_eq!(sealed[0]["old"]["records"], lines(&eval));
    assert_eq!(
        sealed[0]["new"]["records"],
        lines(&eval) + lines(EXTRA_RECORDS)
    );
    assert_eq!(sealed[0]["new"]["bytes"], eval.len() + EXTRA_RECORDS.len());

    // Declared fields: the new entry's fields, keyed by its id, and the date.
    let fields: Vec<(String, String)> = diff["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_owned(),
                f["change"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut expected: Vec<(String, String)> = [
        "id",
        "languages",
        "modality",
        "name",
        "path",
        "personal_data.present",
        "role",
        "size.records",
        "source_type",
    ]
    .iter()
    .map(|f| (format!("datasets[extra-sft].{f}"), "added".to_owned()))
    .collect();
    expected.push(("model.release_date".into(), "changed".into()));
    assert_eq!(fields, expected);
    let date = diff["fields"].as_array().unwrap().last().unwrap();
    assert_eq!(
        (&date["old"], &date["new"]),
        (&json!("2026-10-15"), &json!("2026-11-02"))
    );
}

fn rules_and_conclusions(diff: &Value) {
    // Pack results: the declared 4 records are not the 3 sealed ones.
    let rules = diff["rules"].as_array().unwrap();
    let size_rule = rules
        .iter()
        .find(|r| r["rule"] == "AIA-XI-2-c-01")
        .unwrap_or_else(|| panic!("{rules:#?}"));
    assert_eq!(size_rule["old"]["outcome"], "pass");
    assert_eq!(size_rule["new"]["outcome"], "fail");
    assert_eq!(size_rule["pack"], "ai-act-gpai");
    assert!(!size_rule["title"].as_str().unwrap().is_empty());

    // The law: new training data needs a new summary; the weights and the model's declared
    // fields need updated documentation.
    assert_eq!(
        because(diff, "new_public_summary"),
        ["training dataset `extra-sft` added"]
    );
    let docs = because(diff, "updated_documentation");
    for needed in [
        format!("weights file `{WEIGHTS}` modified"),
        "declared field `model.release_date` changed".to_owned(),
    ] {
        assert!(docs.contains(&needed), "{needed} missing from {docs:?}");
    }
    assert!(
        diff["conclusions"][0]["basis"]
            .as_str()
            .unwrap()
            .contains("Explanatory Notice C(2025) 8311 pt 29")
    );
    assert!(
        diff["conclusions"][1]["basis"]
            .as_str()
            .unwrap()
            .contains("Measure 1.1")
    );
    assert_eq!(diff["summary"]["identical"], false);
    assert_eq!(diff["schema_version"], 1);
    assert_eq!(diff["as_of"], AS_OF);
}

#[test]
fn identical_releases_show_no_differences_and_no_conclusion() {
    let (a, b) = (v1(), v1());
    let diff = diff_json(a.path(), b.path());
    assert_eq!(diff["summary"]["identical"], true);
    assert_eq!(diff["conclusions"], json!([]));
    assert_eq!(diff["fields"], json!([]));
    assert_eq!(diff["rules"], json!([]));
    assert_eq!(diff["files"]["unchanged"], files_of(&demo()));
    assert_eq!(
        diff["old"]["release"]["root"],
        diff["new"]["release"]["root"]
    );
    let table = run(&["diff", path(a.path()), path(b.path()), "--as-of", AS_OF]).success();
    assert!(table.stdout.contains("No differences"), "{}", table.stdout);
    assert!(
        table
            .stdout
            .contains("Files: 0 added, 0 removed, 0 modified, 0 renamed"),
        "{}",
        table.stdout
    );
}

#[test]
fn a_moved_document_is_a_rename_and_needs_nothing() {
    let (old, new) = (v1(), v1());
    let from = "docs/training-data-summary.md";
    let to = "docs/summaries/training-data.md";
    let bytes = std::fs::read(old.path().join(from)).unwrap();
    std::fs::remove_file(new.path().join(from)).unwrap();
    new.file(to, &bytes);
    let diff = diff_json(old.path(), new.path());
    assert_eq!(
        diff["files"]["renamed"],
        json!([{"from": from, "to": to, "kind": "docs", "size": bytes.len(), "sha256": sha256_hex(&bytes)}])
    );
    assert_eq!(diff["files"]["added"], json!([]));
    assert_eq!(diff["files"]["removed"], json!([]));
    assert_eq!(
        diff["conclusions"],
        json!([]),
        "documentation files alone trigger nothing"
    );
    let md = run(&[
        "diff",
        path(old.path()),
        path(new.path()),
        "--format",
        "markdown",
        "--as-of",
        AS_OF,
    ])
    .success();
    assert!(
        md.stdout
            .contains(&format!("| renamed | {from} → {to} | docs |")),
        "{}",
        md.stdout
    );
}

#[test]
fn signed_bundles_are_verified_with_a_fresh_key_and_a_wrong_key_fails() {
    let (old, new, keys) = (v1(), v2(), Release::new());
    for name in ["publisher", "stranger"] {
        run(&["keygen", "-o", path(&keys.path().join(name)), "-q"]).success();
    }
    let key = keys.path().join("publisher.key");
    let bundles: Vec<_> = [(&old, "v1"), (&new, "v2")]
        .into_iter()
        .map(|(r, name)| {
            let bundle = keys.path().join(format!("{name}.sigstore.json"));
            run(&[
                "sign",
                path(r.path()),
                "--key",
                path(&key),
                "-o",
                path(&bundle),
                "-q",
            ])
            .success();
            bundle
        })
        .collect();
    let public = keys.path().join("publisher.pub");
    let args = |key: &Path| {
        run(&[
            "diff",
            path(&bundles[0]),
            path(&bundles[1]),
            "--key",
            path(key),
            "--format",
            "json",
            "--as-of",
            AS_OF,
        ])
    };
    let diff = args(&public).success().json();
    for side in ["old", "new"] {
        let v = &diff[side]["verification"];
        assert_eq!(v["input"], "bundle");
        assert_eq!(v["verified"], true, "{v:#}");
        assert!(v["key_id"].as_str().is_some_and(|k| !k.is_empty()), "{v:#}");
        assert_eq!(diff[side]["release"]["kind"], "bundle");
    }
    assert_eq!(
        diff["old"]["verification"]["key_id"],
        diff["new"]["verification"]["key_id"]
    );
    // The bundles carry the same statements as the folders: the same differences.
    let folders = diff_json(old.path(), new.path());
    for key in ["files", "fields", "datasets", "conclusions"] {
        assert_eq!(diff[key], folders[key], "{key}");
    }
    // Another key: the comparison still runs and says so, and the exit status is 1.
    let wrong = args(&keys.path().join("stranger.pub"));
    assert_eq!(wrong.code, 1, "{}", wrong.stderr);
    let report = wrong.json();
    assert_eq!(report["old"]["verification"]["verified"], false);
    let warnings: Vec<&str> = wrong.stderr.lines().collect();
    assert_eq!(warnings.len(), 2, "{}", wrong.stderr);
    assert!(
        warnings[0].starts_with("warning: old release: "),
        "{}",
        wrong.stderr
    );
    assert!(
        warnings[1].starts_with("warning: new release: "),
        "{}",
        wrong.stderr
    );
}

#[test]
fn the_json_is_deterministic_in_a_fixed_key_order_without_absolute_paths() {
    let (old, new) = (v1(), v2());
    let once = run(&[
        "diff",
        path(old.path()),
        path(new.path()),
        "--format",
        "json",
        "--as-of",
        AS_OF,
    ])
    .success();
    let twice = run(&[
        "diff",
        path(old.path()),
        path(new.path()),
        "--format",
        "json",
        "--as-of",
        AS_OF,
    ])
    .success();
    assert_eq!(once.stdout, twice.stdout);
    let keys = [
        "schema_version",
        "generator",
        "as_of",
        "old",
        "new",
        "files",
        "model",
        "datasets",
        "fields",
        "rules",
        "conclusions",
        "summary",
        "disclaimer",
    ];
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| {
            once.stdout
                .find(&format!("\n  \"{k}\":"))
                .unwrap_or_else(|| panic!("{k}"))
        })
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    for dir in [old.path(), new.path()] {
        assert!(!once.stdout.contains(path(dir)), "an absolute path leaked");
    }
}

#[test]
fn every_format_writes_atomically_to_a_file_and_not_over_one() {
    let (old, new, out) = (v1(), v2(), Release::new());
    for (format, needle) in [
        ("table", "What the law asks"),
        ("markdown", "## What the law asks"),
        ("json", "\"conclusions\""),
    ] {
        let file = out.path().join(format!("diff.{format}"));
        let args = [
            "diff",
            path(old.path()),
            path(new.path()),
            "--format",
            format,
            "--as-of",
            AS_OF,
            "-o",
            path(&file),
        ];
        let written = run(&args).success();
        assert_eq!(written.stdout, "");
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(needle), "{format}: {text}");
        if format == "markdown" {
            let headings: Vec<&str> = text.lines().filter(|l| l.starts_with('#')).collect();
            assert_eq!(
                headings[1..],
                [
                    "## What the law asks",
                    "## Files",
                    "## Model (scanned)",
                    "## Datasets",
                    "## Declared fields",
                    "## Pack results",
                ]
            );
            assert!(
                headings[0].starts_with("# scelle diff: "),
                "{}",
                headings[0]
            );
        }
        run(&args).error("exists");
    }
}

#[test]
fn a_malformed_or_missing_input_cannot_be_compared() {
    let (good, bad) = (v1(), Release::new());
    let manifest = bad.file("manifest.json", "{\"_type\": ");
    run(&["diff", path(good.path()), path(&manifest)]).error("manifest.json");
    let missing = bad.path().join("nowhere");
    run(&["diff", path(&missing), path(good.path())]).error("nowhere");
}

#[test]
fn names_from_a_release_are_escaped_in_the_table_and_in_markdown() {
    let (old, new) = (v1(), v1());
    let evil = "docs/a\u{1b}[2J|*b*.md";
    new.file(evil, "x");
    let table = run(&["diff", path(old.path()), path(new.path()), "--as-of", AS_OF]).success();
    assert!(
        !table.stdout.contains('\u{1b}'),
        "an escape sequence reached the terminal"
    );
    assert!(
        table.stdout.contains("docs/a\\u{1b}[2J|*b*.md"),
        "{}",
        table.stdout
    );
    let md = run(&[
        "diff",
        path(old.path()),
        path(new.path()),
        "--format",
        "markdown",
        "--as-of",
        AS_OF,
    ])
    .success();
    assert!(
        md.stdout
            .contains("| added | docs/a\\\\u{1b}\\[2J\\|\\*b\\*.md | docs |"),
        "{}",
        md.stdout
    );
    assert!(
        !md.stdout.contains('\u{1b}'),
        "an escape sequence reached the Markdown"
    );
}

#[test]
fn manifests_compare_like_the_folders_they_were_scanned_from() {
    // Manifests are read without each file's format and facts; what a file is (weights, data)
    // must still reach the comparison and its conclusions.
    let (old, new) = (v1(), v2());
    let out = tempfile::tempdir().unwrap();
    let manifest = |r: &Release, name: &str| {
        let file = out.path().join(name);
        run(&["scan", path(r.path()), "-q", "-o", path(&file)]).success();
        file
    };
    let (m1, m2) = (manifest(&old, "v1.json"), manifest(&new, "v2.json"));
    let from_manifests = diff_json(&m1, &m2);
    let from_folders = diff_json(old.path(), new.path());
    assert_eq!(from_manifests["files"], from_folders["files"]);
    assert_eq!(from_manifests["conclusions"], from_folders["conclusions"]);
    let modified = &from_manifests["files"]["modified"];
    assert_eq!(modified[0]["path"], WEIGHTS);
    assert_eq!(modified[0]["kind"], "weights");
    assert!(
        because(&from_manifests, "updated_documentation")
            .iter()
            .any(|b| b.contains(WEIGHTS)),
        "{from_manifests:#}"
    );
}
