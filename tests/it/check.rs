//! `scelle.yaml`, `check`, `policy` and `init` from the command line: declarations with every
//! kind of error, packs with every kind of load error, every report format (SARIF validated
//! against the official schema), the exit status from `--fail-on`, and `init` on the demo.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{Keys, Release, py, run, schema};
use crate::scenarios::Outcomes;

pub(crate) fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

/// A copy of the demo release whose `scelle.yaml` is `declaration`.
pub(crate) fn release_with(declaration: &str) -> Release {
    let release = Release::new();
    for entry in walk(&demo()) {
        let rel = entry
            .strip_prefix(demo())
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned();
        release.file(&rel, std::fs::read(&entry).unwrap());
    }
    release.file("scelle.yaml", declaration);
    release
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Asserts exit 2 with one `error:` line per expected message (in order) and a final hint.
fn errors(run: &crate::common::Run, expected: &[&str]) {
    assert_eq!(run.code, 2, "stderr:\n{}", run.stderr);
    assert_eq!(run.stdout, "");
    let lines: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(lines.len(), expected.len(), "stderr:\n{}", run.stderr);
    for (line, want) in lines.iter().zip(expected) {
        assert!(
            line.ends_with(want),
            "expected {want:?} at the end of {line:?}"
        );
    }
    assert!(run.hint().is_some(), "stderr:\n{}", run.stderr);
}

#[test]
fn a_declaration_with_each_kind_of_error_names_every_line() {
    let release = release_with(
        "provider:\n  legal_nme: Petit Labo\n  eu_established: yes\nmodel:\n  version: 1.0\n  eu_market_date: 2026-02-30\n  architecture: {description: dense, 2 layers}\nrelease: {purpose: markt}\n",
    );
    let run = run(&["scan", release.path().to_str().unwrap()]);
    errors(
        &run,
        &[
            "scelle.yaml:2:3: unknown field `legal_nme` in `provider` (did you mean `legal_name`?)",
            "scelle.yaml:3:19: `provider.eu_established`: expected `true` or `false`, found the string `yes`",
            "scelle.yaml:5:12: `model.version`: expected string, found a number; quote it to make it text",
            "scelle.yaml:6:19: `model.eu_market_date`: `2026-02-30` is not a date; write YYYY-MM-DD (a real day, like `2025-08-02`)",
            "scelle.yaml:7:38: unknown field `2 layers` in `model.architecture` (a comma inside `{...}` ends a value: quote the value that holds it)",
            "scelle.yaml:8:20: `release.purpose`: `markt` is not one of `market`, `research_only`, `internal` (did you mean `market`?)",
        ],
    );
    assert!(run.stderr.contains("docs/scelle-yaml.md"), "{}", run.stderr);
}

#[test]
fn a_licence_that_is_not_an_spdx_expression_is_refused_with_the_listed_spelling() {
    let release = release_with("model:\n  license:\n    spdx: Apache 2.0\n");
    for command in ["check", "scan"] {
        let refused = run(&[command, release.path().to_str().unwrap()]);
        assert_eq!(refused.stderr.lines().count(), 2, "{}", refused.stderr);
        let refused = refused.error(
            "scelle.yaml:3:11: `model.license.spdx`: `Apache 2.0` is not an SPDX licence expression: `Apache` is not an id of the SPDX licence list",
        );
        assert_eq!(refused.hint(), Some("did you mean `Apache-2.0`?"));
    }
}

#[test]
fn licence_ids_off_the_spdx_list_are_refused_and_licence_refs_accepted() {
    let deprecated =
        release_with("model:\n  base_models:\n    - {name: org/base, license: GPL-2.0}\n");
    let refused = run(&["check", deprecated.path().to_str().unwrap()]).error(
        "scelle.yaml:3:33: `model.base_models[0].license`: `GPL-2.0` is not an SPDX licence expression: `GPL-2.0` is a deprecated SPDX id",
    );
    assert_eq!(refused.hint(), Some("did you mean `GPL-2.0-only`?"));
    let unknown = release_with("datasets:\n  - id: web\n    license: {spdx: llama3}\n");
    let refused = run(&["check", unknown.path().to_str().unwrap()]).error(
        "`datasets[0].license.spdx`: `llama3` is not an SPDX licence expression: `llama3` is not an id of the SPDX licence list",
    );
    assert_eq!(
        refused.hint(),
        Some(
            "write an id of the SPDX licence list (`Apache-2.0`, `MIT`...), or `LicenseRef-<name>` for a licence not on it"
        )
    );
    let custom = release_with("model:\n  license: {spdx: LicenseRef-Llama-3 OR MIT}\n");
    let accepted = run(&["check", custom.path().to_str().unwrap()]);
    assert_ne!(
        accepted.code, 2,
        "a custom licence is a valid expression: {}",
        accepted.stderr
    );
}

#[test]
fn a_declaration_that_is_not_yaml_is_one_error() {
    let release = release_with("provider: [unclosed\n");
    let run = run(&["check", release.path().to_str().unwrap()]);
    run.error("scelle.yaml` is not valid YAML: 1:11: unclosed bracket '['");
}

#[test]
fn the_manifest_carries_the_validated_declaration() {
    let manifest = run(&["scan", demo().to_str().unwrap()]).success().json();
    let declared = &manifest["predicate"]["declared"];
    assert_eq!(declared["provider"]["legal_name"], "Petit Labo SARL");
    assert_eq!(declared["model"]["parameters"]["total"], 158_016);
    assert_eq!(
        declared["training"]["compute"]["flops"].as_f64(),
        Some(1.9e15),
        "figures are numbers in the signed manifest"
    );
    assert_eq!(declared["datasets"].as_array().unwrap().len(), 4);
    // The scanned parameter count agrees with the declaration.
    assert_eq!(manifest["predicate"]["model"]["parameter_count"], 158_016);
}

const PACK: &str = r#"apiVersion: scelle.dev/v1
kind: PolicyPack
metadata:
  name: test-pack
  title: A pack for the tests
  version: "1"
  effective: 2026-01-01
rules:
  - id: TP-1
    title: Every crawled dataset names its crawler
    severity: error
    reference: Test Art. 1
    when:
      expression: declared.datasets.exists(d, d.source_type == 'crawled_by_provider')
      description: a dataset was crawled by the provider
    expression: declared.datasets.filter(d, d.source_type == 'crawled_by_provider').all(d, d.crawl.crawler_name == 'NoSuchBot')
    subjects: declared.datasets.filter(d, d.source_type == 'crawled_by_provider').map(d, d.id)
    message: crawled datasets without the expected crawler
    fix: set `datasets[].crawl.crawler_name`
    field: datasets.crawl.crawler_name
    help_uri: https://example.com/test-article-1
  - id: TP-2
    title: A DPIA is referenced
    severity: warning
    reference: Test Art. 2
    expression: declared.gdpr.dpia != null
    message: no DPIA is referenced
    fix: add `gdpr.dpia`
    field: gdpr.dpia
  - id: TP-3
    title: The model is declared
    severity: info
    reference: Test Art. 3
    expression: declared.model.name == 'tiny-llama-fr-en'
    message: the model has another name
    fix: none
"#;

fn pack_file(dir: &Release, text: &str) -> String {
    dir.file("pack.yaml", text).to_str().unwrap().to_owned()
}

#[test]
fn check_reports_each_failure_with_its_article_line_and_fix() {
    let tmp = Release::new();
    let pack = pack_file(&tmp, PACK);
    let run = run(&[
        "check",
        demo().to_str().unwrap(),
        "--no-builtin",
        "--policy",
        &pack,
        "--as-of",
        "2026-11-28",
    ]);
    assert_eq!(
        run.code, 1,
        "an error-severity failure fails the run:\n{}",
        run.stderr
    );
    assert_eq!(run.stderr, "");
    let out = &run.stdout;
    assert!(
        out.starts_with("check demo (folder, 14 files, root sha256:"),
        "{out}"
    );
    assert!(out.contains("  not signed\n"), "{out}");
    assert!(out.contains("test-pack  A pack for the tests (1)\n  applies · in effect since 2026-01-01 · 1 pass, 2 fail, 0 not applicable\n"), "{out}");
    assert!(out.contains("  error   TP-1  crawled datasets without the expected crawler: petitbot-crawl-2026\n          Test Art. 1 · scelle.yaml:133:7\n          fix: set `datasets[].crawl.crawler_name`\n"), "{out}");
    assert!(
        out.contains("  warning TP-2  no DPIA is referenced\n          Test Art. 2 · scelle.yaml:"),
        "{out}"
    );
    assert!(
        !out.contains("TP-3"),
        "passing rules are listed only with --all:\n{out}"
    );
    assert!(out.contains("it does not certify compliance"), "{out}");
    let line = std::fs::read_to_string(demo().join("scelle.yaml"))
        .unwrap()
        .lines()
        .nth(132)
        .unwrap()
        .to_owned();
    assert_eq!(
        line.trim(),
        "crawler_name: PetitBot",
        "the finding points at the dataset's field"
    );
}

#[test]
fn fail_on_and_as_of_decide_the_exit_status() {
    let tmp = Release::new();
    let pack = pack_file(&tmp, &PACK.replace("severity: error", "severity: warning"));
    let d = demo();
    let demo = d.to_str().unwrap();
    assert_eq!(
        run(&[
            "check",
            demo,
            "--no-builtin",
            "--policy",
            &pack,
            "--as-of",
            "2026-11-28",
            "-q"
        ])
        .code,
        0
    );
    assert_eq!(
        run(&[
            "check",
            demo,
            "--no-builtin",
            "--policy",
            &pack,
            "--as-of",
            "2026-11-28",
            "--fail-on",
            "warning"
        ])
        .code,
        1
    );
    // Before the effective date an error-severity failure is a warning, with the reason.
    let strict = pack_file(&tmp, PACK);
    let early = run(&[
        "check",
        demo,
        "--no-builtin",
        "--policy",
        &strict,
        "--as-of",
        "2025-06-01",
        "--format",
        "json",
    ]);
    assert_eq!(early.code, 0, "{}", early.stderr);
    let report = early.json();
    let tp1 = &report["packs"][0]["results"][0];
    assert_eq!(
        (
            tp1["id"].as_str(),
            tp1["outcome"].as_str(),
            tp1["severity"].as_str()
        ),
        (Some("TP-1"), Some("fail"), Some("warning"))
    );
    assert_eq!(tp1["rule_severity"], "error");
    assert_eq!(
        tp1["note"],
        "not yet in effect on 2025-06-01: counts as an error from 2026-01-01"
    );
}

#[test]
fn the_json_report_is_documented_sorted_and_deterministic() {
    let tmp = Release::new();
    let pack = pack_file(&tmp, PACK);
    let d = demo();
    let args = [
        "check",
        d.to_str().unwrap(),
        "--no-builtin",
        "--policy",
        &pack,
        "--policy",
        "release-integrity",
        "--as-of",
        "2026-11-28",
        "--format",
        "json",
    ];
    let first = run(&args);
    let second = run(&args);
    assert_eq!(first.stdout, second.stdout);
    let report = first.json();
    assert_eq!(report["schema_version"], 1);
    assert_eq!(report["as_of"], "2026-11-28");
    assert_eq!(report["subject"]["name"], "demo");
    assert_eq!(report["subject"]["kind"], "folder");
    assert!(
        !first.stdout.contains(env!("CARGO_MANIFEST_DIR")),
        "no absolute path in the report"
    );
    let names: Vec<&str> = report["packs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["test-pack", "release-integrity"],
        "packs in the order given"
    );
    let ids: Vec<&str> = report["packs"][1]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    assert_eq!(report["summary"]["rules"]["fail"], 3);
    assert!(
        report["disclaimer"]
            .as_str()
            .unwrap()
            .contains("not legal advice")
    );
    assert!(!first.stdout.to_lowercase().contains("\"compliant\""));
}

/// The rules of the built-in `release-integrity` pack, counted in its file.
fn release_integrity_rules() -> usize {
    let pack = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("policies/release-integrity/pack.yaml");
    std::fs::read_to_string(pack)
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("  - id: RI-"))
        .count()
}

#[test]
fn sarif_output_validates_against_the_official_schema() {
    let tmp = Release::new();
    let pack = pack_file(&tmp, PACK);
    let sarif = tmp.path().join("out.sarif");
    let d = demo();
    let run = run(&[
        "check",
        d.to_str().unwrap(),
        "--no-builtin",
        "--policy",
        &pack,
        "--policy",
        "release-integrity",
        "--as-of",
        "2026-11-28",
        "--format",
        "sarif",
        "--sarif-root",
        env!("CARGO_MANIFEST_DIR"),
        "-o",
        sarif.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout, "", "with -o nothing reaches stdout");
    let schema = schema("sarif-schema-2.1.0.json");
    let out = py(
        "import json, sys, jsonschema\n\
         schema = json.load(open(sys.argv[1])); log = json.load(open(sys.argv[2]))\n\
         jsonschema.Draft7Validator(schema).validate(log)\n\
         print(json.dumps({'ok': True}))",
        &[schema.to_str().unwrap(), sarif.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "SARIF does not validate:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    let run0 = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(
        rules.len(),
        3 + release_integrity_rules(),
        "one descriptor per rule of the packs that ran"
    );
    let tp1 = rules.iter().find(|r| r["id"] == "TP-1").unwrap();
    assert_eq!(tp1["helpUri"], "https://example.com/test-article-1");
    assert_eq!(tp1["properties"]["reference"], "Test Art. 1");
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), 3, "one result per failing rule");
    let r = results.iter().find(|r| r["ruleId"] == "TP-1").unwrap();
    assert_eq!(r["level"], "error");
    let loc = &r["locations"][0]["physicalLocation"];
    assert_eq!(
        loc["artifactLocation"],
        serde_json::json!({"uri": "fixtures/demo/scelle.yaml", "uriBaseId": "%SRCROOT%"}),
        "relative to `--sarif-root`"
    );
    assert_eq!(loc["region"]["startLine"], 133);
    assert_eq!(
        rules[usize::try_from(r["ruleIndex"].as_u64().unwrap()).unwrap()]["id"],
        "TP-1"
    );
}

#[test]
fn junit_output_has_a_test_case_per_rule() {
    let tmp = Release::new();
    let pack = pack_file(&tmp, PACK);
    let d = demo();
    let run = run(&[
        "check",
        d.to_str().unwrap(),
        "--no-builtin",
        "--policy",
        &pack,
        "--as-of",
        "2026-11-28",
        "--format",
        "junit",
    ]);
    assert_eq!(run.code, 1);
    let junit = tmp.file("junit.xml", &run.stdout);
    let out = py(
        "import json, sys, xml.etree.ElementTree as ET\n\
         root = ET.parse(sys.argv[1]).getroot()\n\
         cases = root.findall('./testsuite/testcase')\n\
         print(json.dumps({'suites': len(root.findall('testsuite')), 'tests': root.get('tests'), \
         'cases': [[c.get('name'), [ch.tag for ch in c], [ch.get('type') for ch in c]] for c in cases]}))",
        &[junit.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parsed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        parsed["suites"], 2,
        "the pack's, and the figures section's (properties, no test cases)"
    );
    assert_eq!(parsed["tests"], "3");
    assert_eq!(
        parsed["cases"],
        serde_json::json!([
            [
                "TP-1: Every crawled dataset names its crawler",
                ["failure"],
                ["error"]
            ],
            ["TP-2: A DPIA is referenced", ["failure"], ["warning"]],
            ["TP-3: The model is declared", [], []],
        ])
    );
}

#[test]
fn markdown_output_has_a_summary_table_and_the_failures() {
    let tmp = Release::new();
    let pack = pack_file(&tmp, PACK);
    let d = demo();
    let run = run(&[
        "check",
        d.to_str().unwrap(),
        "--no-builtin",
        "--policy",
        &pack,
        "--as-of",
        "2026-11-28",
        "--format",
        "markdown",
    ]);
    assert_eq!(run.code, 1);
    let md = &run.stdout;
    assert!(md.starts_with("# scelle check: demo\n"), "{md}");
    assert!(
        md.contains("| `test-pack` | yes | since 2026-01-01 | 1 | 2 | 0 | 0 |"),
        "{md}"
    );
    assert!(md.contains("| error | `TP-1` | crawled datasets without the expected crawler: petitbot-crawl-2026 | Test Art. 1 | `scelle.yaml:133:7` | set `datasets[].crawl.crawler_name` |"), "{md}");
}

#[test]
fn a_verified_bundle_is_evidence_and_a_missing_key_is_a_finding() {
    let keys = Keys::new();
    let tmp = Release::new();
    let bundle = tmp.path().join("demo.sigstore.json");
    let d = demo();
    let demo = d.to_str().unwrap();
    run(&[
        "sign",
        demo,
        "--key",
        &keys.private("ed25519"),
        "-o",
        bundle.to_str().unwrap(),
        "-q",
    ])
    .success();
    let verified = run(&[
        "check",
        demo,
        "--key",
        &keys.public("ed25519"),
        "--bundle",
        bundle.to_str().unwrap(),
        "--no-builtin",
        "--policy",
        "release-integrity",
        "--format",
        "json",
    ]);
    assert_eq!(verified.code, 0, "{}", verified.stderr);
    let report = verified.json();
    assert_eq!(report["verification"]["verified"], true);
    assert_eq!(report["verification"]["files_match"], true);
    assert_eq!(report["summary"]["rules"]["fail"], 0);
    // The bundle alone, without a key: signed, unverified, and RI-SIGN-01 fails.
    let unverified = run(&[
        "check",
        bundle.to_str().unwrap(),
        "--no-builtin",
        "--policy",
        "release-integrity",
        "--format",
        "json",
    ]);
    assert_eq!(unverified.code, 1);
    assert!(
        unverified.stderr.starts_with("warning: `"),
        "{}",
        unverified.stderr
    );
    let report = unverified.json();
    assert_eq!(report["subject"]["kind"], "bundle");
    assert_eq!(
        (
            report["verification"]["signed"].as_bool(),
            report["verification"]["verified"].as_bool()
        ),
        (Some(true), Some(false))
    );
    let sign = report["packs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "RI-SIGN-01")
        .unwrap()
        .clone();
    assert_eq!(sign["outcome"], "fail");
    // A wrong key: the signature does not verify, which is a finding, not a crash.
    let wrong = run(&[
        "check",
        demo,
        "--key",
        &keys.public("p256"),
        "--bundle",
        bundle.to_str().unwrap(),
        "--no-builtin",
        "--policy",
        "release-integrity",
        "--format",
        "json",
    ]);
    assert_eq!(wrong.code, 1, "{}", wrong.stderr);
    assert_eq!(wrong.json()["verification"]["verified"], false);
}

#[test]
fn a_manifest_is_checked_with_positions_from_the_declaration_beside_it() {
    let release = release_with(&std::fs::read_to_string(demo().join("scelle.yaml")).unwrap());
    let manifest = release.path().join("manifest.json");
    run(&[
        "scan",
        release.path().to_str().unwrap(),
        "-o",
        manifest.to_str().unwrap(),
        "-q",
    ])
    .success();
    let tmp = Release::new();
    let pack = pack_file(&tmp, PACK);
    let run = run(&[
        "check",
        manifest.to_str().unwrap(),
        "--no-builtin",
        "--policy",
        &pack,
        "--as-of",
        "2026-11-28",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    assert_eq!(report["subject"]["kind"], "manifest");
    assert_eq!(
        report["packs"][0]["results"][0]["locations"][0]["line"],
        133
    );
}

#[test]
fn an_oms_signed_folder_is_checked_and_an_oms_bundle_alone_is_refused() {
    let release = release_with(&std::fs::read_to_string(demo().join("scelle.yaml")).unwrap());
    let dir = release.path().to_str().unwrap().to_owned();
    let keys = Keys::new();
    run(&[
        "sign",
        &dir,
        "--key",
        &keys.private("p256"),
        "--format",
        "oms",
        "-q",
    ])
    .success();
    // The folder: the OMS signature vouches for the files, the declaration is read from disk.
    let folder = run(&[
        "check",
        &dir,
        "--key",
        &keys.public("p256"),
        "--as-of",
        "2026-11-28",
        "--format",
        "json",
    ]);
    assert_eq!(folder.code, 1, "{}", folder.stderr);
    let report = folder.json();
    assert_eq!(report["verification"]["format"], "oms");
    assert_eq!(report["verification"]["files_match"], true);
    assert_eq!(report["subject"]["declared"], true);
    Outcomes::from_report(&report, folder.code).expect("RI-SIGN-01", "pass");
    // The bundle alone carries no declaration, and says so.
    let bundle = release.path().join("model.sig");
    let alone = run(&[
        "check",
        bundle.to_str().unwrap(),
        "--key",
        &keys.public("p256"),
    ]);
    assert_eq!(alone.code, 2);
    assert_eq!(alone.stdout, "");
    assert!(
        alone.stderr.lines().next().unwrap().ends_with(
            "is not a scelle manifest: its predicate type is `https://model_signing/signature/v1.0`"
        ),
        "{}",
        alone.stderr
    );
    assert!(
        alone.hint().unwrap().contains("scelle verify"),
        "{}",
        alone.stderr
    );
}

#[test]
fn a_pack_reading_file_facts_sees_them_in_a_manifest_and_a_bundle() {
    // `check` reads a manifest's file records without their kind, format and facts unless a
    // pack reads `files` or `manifest`: this one does, so both must be there.
    let release = release_with(&std::fs::read_to_string(demo().join("scelle.yaml")).unwrap());
    let manifest = release.path().join("manifest.json");
    run(&[
        "scan",
        release.path().to_str().unwrap(),
        "-o",
        manifest.to_str().unwrap(),
        "-q",
    ])
    .success();
    let keys = Keys::new();
    let bundle = release.path().join("release.sigstore.json");
    run(&[
        "sign",
        release.path().to_str().unwrap(),
        "--key",
        &keys.private("ed25519"),
        "-o",
        bundle.to_str().unwrap(),
        "-q",
    ])
    .success();
    let tmp = Release::new();
    let pack = pack_file(
        &tmp,
        "apiVersion: scelle.dev/v1\nkind: PolicyPack\nmetadata: {name: facts, title: Facts, version: '1'}\nrules:\n  - id: F-1\n    title: weights are described\n    severity: error\n    reference: test\n    expression: \"files.exists(f, f.kind == 'weights' && f.facts.tensors > 0)\"\n    message: m\n    fix: f\n  - id: F-2\n    title: the statement is whole\n    severity: error\n    reference: test\n    expression: \"manifest.predicate.files.exists(f, f.format == 'safetensors')\"\n    message: m\n    fix: f\n",
    );
    // The pack given as its file, then as the folder holding it.
    let folder = tmp.path().to_str().unwrap().to_owned();
    for (input, policy) in [(&manifest, &pack), (&bundle, &folder)] {
        let run = run(&[
            "check",
            input.to_str().unwrap(),
            "--no-builtin",
            "--policy",
            policy,
            "--format",
            "json",
        ]);
        assert_eq!(run.code, 0, "{}: {}", input.display(), run.stderr);
        let results = &run.json()["packs"][0]["results"];
        assert_eq!(results[0]["outcome"], "pass", "{results}");
        assert_eq!(results[1]["outcome"], "pass", "{results}");
    }
}

#[test]
fn packs_with_each_kind_of_load_error_are_refused_with_their_lines() {
    let tmp = Release::new();
    let bad = PACK
        .replace(
            "d.crawl.crawler_name == 'NoSuchBot'",
            "d.crawl.crawler == 'NoSuchBot'",
        )
        .replace(
            "expression: declared.gdpr.dpia != null",
            "expression: declared.gdpr.dpia !=",
        )
        .replace("    fix: none\n", "")
        .replace("id: TP-2", "id: TP-1")
        .replace("severity: info", "severity: critical\n    fixx: none");
    let pack = pack_file(&tmp, &bad);
    let d = demo();
    let run = run(&["check", d.to_str().unwrap(), "--policy", &pack]);
    errors(
        &run,
        &[
            "pack.yaml:16:99: `d.crawl` has no field `crawler` (did you mean `crawler_name`?)",
            "pack.yaml:22:9: rule id `TP-1` is used twice",
            "pack.yaml:26:38: invalid expression: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}",
            "pack.yaml:30:5: rule `TP-3` has no `fix`",
            "pack.yaml:32:15: severity of rule `TP-3` must be `error`, `warning` or `info`, found `critical`",
            "pack.yaml:33:5: unknown field `fixx` in a rule (did you mean `fix`?)",
        ],
    );
    // `policy lint` reports the same problems as data, exit 1.
    let lint = crate::common::run(&["policy", "lint", &pack]);
    assert_eq!(lint.code, 1);
    assert_eq!(
        lint.stdout
            .lines()
            .filter(|l| l.contains(": error: "))
            .count(),
        6,
        "{}",
        lint.stdout
    );
    assert!(
        lint.stdout
            .contains("pack.yaml:22:9: error: rule id `TP-1` is used twice"),
        "{}",
        lint.stdout
    );
}

#[test]
fn an_unknown_pack_name_lists_the_built_in_ones() {
    let run = run(&["check", demo().to_str().unwrap(), "--policy", "ai-act-gpia"])
        .error("no built-in pack `ai-act-gpia` and no file of that name");
    assert!(
        run.hint().unwrap().contains("ai-act-gpai"),
        "{:?}",
        run.hint()
    );
}

#[test]
fn policy_list_and_explain_describe_the_built_in_packs() {
    let list = run(&["policy", "list", "--format", "json"])
        .success()
        .json();
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "ai-act-gpai",
            "ai-act-gpai-systemic",
            "ai-act-open-source",
            "transparency-art50",
            "gdpr-training-data",
            "cnil-recommendations",
            "ai-act-high-risk-data",
            "release-integrity"
        ]
    );
    let explain = run(&["policy", "explain", "RI-DOC-01"]).success();
    assert!(explain.stdout.starts_with("RI-DOC-01  Documents inside the release match their declared digests\npack       release-integrity"), "{}", explain.stdout);
    assert!(
        explain
            .stdout
            .contains("\nfix        put the file at the declared path"),
        "{}",
        explain.stdout
    );
    let unknown = run(&["policy", "explain", "RI-DOC-1"]);
    unknown.error("no rule, finding code or pack `RI-DOC-1` (did you mean `RI-DOC-01`?)");
}

#[test]
fn every_built_in_rule_has_a_passing_and_a_failing_case() {
    let policies = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies");
    let run = run(&[
        "policy",
        "test",
        "--require-coverage",
        policies.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        !run.stdout.contains("FAIL") && !run.stdout.contains("UNCOVERED"),
        "{}",
        run.stdout
    );
    let lint = crate::common::run(&["policy", "lint", policies.to_str().unwrap()]);
    assert_eq!(lint.code, 0, "{}", lint.stdout);
    assert_eq!(lint.stdout, "", "built-in packs lint clean");
}

#[test]
fn policy_test_reports_a_failing_case_and_missing_coverage() {
    let tmp = Release::new();
    let text = format!(
        "{PACK}tests:\n  - name: wrong expectation\n    set: {{model.name: other}}\n    expect: {{TP-3: pass, TP-2: fail}}\n"
    );
    let pack = pack_file(&tmp, &text);
    let run = run(&["policy", "test", "--require-coverage", &pack]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.contains("test-pack: 0/1 cases pass"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("  FAIL wrong expectation\n       TP-3: expected pass, got fail (the model has another name)\n"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("  UNCOVERED TP-1: neither pass nor fail\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn init_fills_what_the_release_says_and_never_overwrites() {
    let release = release_with("");
    std::fs::remove_file(release.path().join("scelle.yaml")).unwrap();
    let dir = release.path().to_str().unwrap();
    let first = run(&["init", dir]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert!(first.stderr.starts_with("wrote `"), "{}", first.stderr);
    let text = std::fs::read_to_string(release.path().join("scelle.yaml")).unwrap();
    for line in [
        "    spdx: Apache-2.0  # from `README.md` front matter",
        "    total: 158016  # from the weights (scanned)",
        "    family: llama  # from `config.json` (`model_type`)",
        "  languages: [fr, en]  # from `README.md` front matter",
        "    - name: exemple-ia/exemple-8b  # from `README.md` front matter",
        "  - id:  # TODO stable identifier",
        "    path: data  # from the files of the release",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    // The template is a valid declaration as it stands.
    let manifest = run(&["scan", dir]).success().json();
    assert_eq!(
        manifest["predicate"]["declared"]["model"]["license"]["spdx"],
        "Apache-2.0"
    );
    assert_eq!(
        manifest["predicate"]["declared"]["datasets"][0]["path"],
        "data"
    );
    let again = run(&["init", dir]);
    again.error("scelle.yaml` already exists");
    assert_eq!(
        std::fs::read_to_string(release.path().join("scelle.yaml")).unwrap(),
        text,
        "nothing was overwritten"
    );
    run(&["init", dir, "--force", "-q"]).success();
}
