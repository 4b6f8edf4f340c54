//! `scelle check` and `scan` as a CI gate: the stage of the check, which packs run, finding codes
//! and their explanations, waivers in every format, SARIF located inside a repository, reports
//! that wrap and name the model, shell completions and the man page.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::check::demo;
use crate::common::{Release, py, run, run_cmd, scelle, schema};

/// A small release with nothing wrong in its files.
fn clean_release() -> Release {
    let r = Release::new();
    r.file("config.json", r#"{"model_type":"llama"}"#);
    r.file("README.md", "# clean\n");
    r.file("data/train.jsonl", "{\"text\":\"a\"}\n");
    r
}

/// The results of a JSON check report, by rule id: (outcome, message).
fn results(report: &Value) -> Vec<(String, String, String)> {
    report["packs"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["results"].as_array().unwrap())
        .map(|r| {
            (
                r["id"].as_str().unwrap().to_owned(),
                r["outcome"].as_str().unwrap().to_owned(),
                r["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn outcome_of(report: &Value, id: &str) -> (String, String) {
    results(report)
        .into_iter()
        .find(|(i, _, _)| i == id)
        .map_or_else(|| panic!("no result for {id}"), |(_, o, m)| (o, m))
}

#[test]
fn an_unsigned_folder_fails_the_signature_rule_unless_checked_before_signing() {
    let r = clean_release();
    let dir = r.path().to_str().unwrap();
    let base = [
        "check",
        dir,
        "--no-builtin",
        "--policy",
        "release-integrity",
    ];

    // Without the option, an unsigned folder still fails: never silently not applicable.
    let release = run(&[&base[..], &["--format", "json"]].concat());
    assert_eq!(release.code, 1, "{}", release.stderr);
    let report = release.json();
    assert_eq!(report["stage"], "release");
    assert_eq!(outcome_of(&report, "RI-SIGN-01").0, "fail");

    let pre = run(&[&base[..], &["--stage", "pre-sign", "--format", "json"]].concat());
    assert_eq!(pre.code, 0, "the pre-release gate can pass: {}", pre.stderr);
    let report = pre.json();
    assert_eq!(report["stage"], "pre-sign");
    let reason = "not applicable: checked before signing (--stage pre-sign)";
    assert_eq!(
        outcome_of(&report, "RI-SIGN-01"),
        ("not_applicable".to_owned(), reason.to_owned())
    );
    assert_eq!(outcome_of(&report, "RI-SIGN-02").0, "not_applicable");
    // Only the signature rules change: the others are evaluated as before.
    for (id, outcome, _) in results(&report) {
        if !id.starts_with("RI-SIGN-") {
            assert_ne!(outcome, "not_applicable", "{id} must still be evaluated");
        }
    }

    // The table says so in its header, without `--all`.
    let table = run_cmd(
        scelle()
            .env("COLUMNS", "400")
            .args([&base[..], &["--stage", "pre-sign"]].concat()),
    );
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(
        table.stdout.contains(&format!(
            "\n  stage pre-sign: {reason} for RI-SIGN-01, RI-SIGN-02, RI-SIGN-03\n"
        )),
        "{}",
        table.stdout
    );
    let markdown = run(&[&base[..], &["--stage", "pre-sign", "--format", "markdown"]].concat());
    assert!(
        markdown
            .stdout
            .contains(&format!("- Stage: stage pre-sign: {reason} for RI-SIGN-01")),
        "{}",
        markdown.stdout
    );
    let junit = run(&[&base[..], &["--stage", "pre-sign", "--format", "junit"]].concat());
    assert!(
        junit.stdout.contains(&format!(
            "name=\"RI-SIGN-01: The release is signed and the signature verifies\" classname=\"release-integrity\">\n      <skipped message=\"{reason}\"/>"
        )),
        "{}",
        junit.stdout
    );
}

#[test]
fn a_dangerous_file_still_fails_a_pre_sign_check() {
    let r = clean_release();
    // A pickle that calls os.system when loaded.
    r.file(
        "evil.pkl",
        b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.",
    );
    let run = run(&[
        "check",
        r.path().to_str().unwrap(),
        "--no-builtin",
        "--policy",
        "release-integrity",
        "--stage",
        "pre-sign",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(outcome_of(&run.json(), "RI-PICKLE-01").0, "fail");
}

const EXTRA_PACK: &str = r#"apiVersion: scelle.dev/v1
kind: PolicyPack
metadata:
  name: our-rules
  title: Our own rules
  version: "1"
rules:
  - id: OUR-1
    title: The model has a name
    severity: info
    reference: our release checklist
    expression: declared.model.name != null
    message: the model has no name
    fix: set `model.name`
"#;

fn pack_names(report: &Value) -> Vec<String> {
    report["packs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn policy_adds_a_pack_to_the_built_in_ones_unless_no_builtin_is_given() {
    let tmp = Release::new();
    let pack = tmp.file("our/pack.yaml", EXTRA_PACK);
    let d = demo();
    let demo = d.to_str().unwrap();
    let pack = pack.to_str().unwrap();

    let added = run(&["check", demo, "--policy", pack, "--format", "json"]);
    assert_eq!(added.stderr, "");
    let names = pack_names(&added.json());
    assert_eq!(names.len(), 9, "{names:?}");
    assert_eq!(
        names[0], "ai-act-gpai",
        "built-in packs first, in their order"
    );
    assert_eq!(names[8], "our-rules");

    // A folder holding `pack.yaml` is a pack too.
    let folder = tmp.path().join("our");
    let by_folder = run(&[
        "check",
        demo,
        "--policy",
        folder.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(pack_names(&by_folder.json()).len(), 9);

    let only = run(&[
        "check",
        demo,
        "--no-builtin",
        "--policy",
        pack,
        "--format",
        "json",
    ]);
    assert_eq!(only.code, 0, "{}", only.stderr);
    assert_eq!(pack_names(&only.json()), ["our-rules"]);

    let two = run(&[
        "check",
        demo,
        "--no-builtin",
        "--policy",
        "gdpr-training-data",
        "--policy",
        pack,
        "--format",
        "json",
    ]);
    assert_eq!(pack_names(&two.json()), ["gdpr-training-data", "our-rules"]);

    // A built-in name without `--no-builtin` runs every pack, and says the flag is the way.
    let redundant = run(&[
        "check",
        demo,
        "--policy",
        "gdpr-training-data",
        "--format",
        "json",
    ]);
    assert_eq!(pack_names(&redundant.json()).len(), 8);
    assert_eq!(
        redundant.stderr,
        "warning: `--policy gdpr-training-data` adds nothing: every built-in pack runs unless `--no-builtin` is given\n"
    );

    run(&["check", demo, "--no-builtin"]).error("`--no-builtin` leaves no pack to run");

    // A pack named like a built-in one replaces it only with `--no-builtin`.
    let clash = tmp.file(
        "clash.yaml",
        EXTRA_PACK.replace("name: our-rules", "name: release-integrity"),
    );
    let clash = clash.to_str().unwrap();
    let refused =
        run(&["check", demo, "--policy", clash]).error("two packs are named `release-integrity`");
    assert_eq!(
        refused.hint(),
        Some(
            "`release-integrity` is a built-in pack: pass `--no-builtin` to run your version instead of it"
        )
    );
    let replaced = run(&[
        "check",
        demo,
        "--no-builtin",
        "--policy",
        clash,
        "--format",
        "json",
    ]);
    assert_eq!(pack_names(&replaced.json()), ["release-integrity"]);
}

/// The codes a scan of `dir` reports, distinct and sorted.
fn codes_of_scan(dir: &Path) -> Vec<String> {
    let manifest = run(&["scan", dir.to_str().unwrap(), "-q"]).success().json();
    let mut codes: Vec<String> = manifest["predicate"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["findings"].as_array().cloned().unwrap_or_default())
        .map(|f| f["rule"].as_str().unwrap().to_owned())
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

fn bad_files() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/bad/files")
}

#[test]
fn policy_explain_describes_every_finding_code_a_scan_emits() {
    let codes = codes_of_scan(&bad_files());
    assert!(codes.len() >= 4, "{codes:?}");
    for code in &codes {
        let out = run(&["policy", "explain", code]).success().stdout;
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[0].starts_with(&format!("{code}  ")), "{out}");
        for label in [
            "severity   ",
            "means      ",
            "matters    ",
            "fix        ",
            "see        ",
        ] {
            assert!(
                lines
                    .iter()
                    .any(|l| l.starts_with(label) && l.len() > label.len() + 3),
                "`policy explain {code}` lacks `{}`:\n{out}",
                label.trim()
            );
        }
    }
    let pickle = run(&["policy", "explain", "file/code-on-load"])
        .success()
        .stdout;
    assert!(pickle.contains("\nseverity   error"), "{pickle}");
    assert!(
        pickle.contains("\nchecked by RI-PICKLE-01 (release-integrity)\n"),
        "{pickle}"
    );
    assert!(pickle.contains("\nsee        https://scelle.dev/docs/manifest#file-code-on-load\n"));
    let family = run(&["policy", "explain", "verify"]).success().stdout;
    assert!(family.contains("\n  verify/modified "), "{family}");
    let typo = run(&["policy", "explain", "file/code-on-lod"]).error(
        "no rule, finding code or pack `file/code-on-lod` (did you mean `file/code-on-load`?)",
    );
    assert_eq!(typo.hint(), None);
    // The reference in docs/manifest.md has an anchor for each code.
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/manifest.md"))
            .unwrap();
    for code in &codes {
        assert!(
            docs.contains(&format!("<a id=\"{}\"></a>", code.replace('/', "-"))),
            "{code}"
        );
    }
}

/// Validates a SARIF log with the official schema, in the reference environment.
fn assert_valid_sarif(log: &str) {
    let tmp = Release::new();
    let file = tmp.file("log.sarif", log);
    let out = py(
        "import json, sys, jsonschema\n\
         schema = json.load(open(sys.argv[1])); log = json.load(open(sys.argv[2]))\n\
         jsonschema.Draft7Validator(schema).validate(log)\n\
         print('valid')",
        &[
            schema("sarif-schema-2.1.0.json").to_str().unwrap(),
            file.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "SARIF does not validate:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A folder with `.git` (as a clone has) holding a release in `models/demo/`.
fn repository_with(release: &Release) -> (Release, PathBuf) {
    let repo = Release::new();
    repo.dir(".git");
    let dest = repo.dir("models/demo");
    for entry in walk(release.path()) {
        let rel = entry.strip_prefix(release.path()).unwrap();
        let to = dest.join(rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&entry, to).unwrap();
    }
    (repo, dest)
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

#[test]
fn scan_sarif_takes_file_findings_as_results_of_catalogued_rules() {
    let release = clean_release();
    release.file("evil.pkl", EVIL_PICKLE);
    release.file(
        "weights.safetensors",
        b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\": 1",
    );
    let (repo, dir) = repository_with(&release);
    let out = run_cmd(scelle().current_dir(repo.path()).args([
        "scan",
        "models/demo",
        "--format",
        "sarif",
    ]));
    assert_eq!(
        out.code, 0,
        "findings do not fail a scan without --fail-on: {}",
        out.stderr
    );
    assert_valid_sarif(&out.stdout);
    let log = out.json();
    let run0 = &log["runs"][0];
    assert_eq!(log["runs"].as_array().unwrap().len(), 1);
    let rules = run0["tool"]["driver"]["rules"].as_array().unwrap();
    for r in rules {
        let id = r["id"].as_str().unwrap();
        assert!(id.starts_with("file/"), "{id}");
        assert!(
            r["helpUri"]
                .as_str()
                .unwrap()
                .ends_with(&id.replace('/', "-"))
        );
        assert!(!r["shortDescription"]["text"].as_str().unwrap().is_empty());
    }
    let results = run0["results"].as_array().unwrap();
    let by_rule =
        |code: &str| -> Vec<&Value> { results.iter().filter(|r| r["ruleId"] == code).collect() };
    let pickle = by_rule("file/code-on-load");
    assert_eq!(pickle.len(), 1, "{results:?}");
    let index = usize::try_from(pickle[0]["ruleIndex"].as_u64().unwrap()).unwrap();
    assert_eq!(rules[index]["id"], "file/code-on-load");
    let location = &pickle[0]["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"],
        serde_json::json!({"uri": "models/demo/evil.pkl", "uriBaseId": "%SRCROOT%"}),
        "repository-relative"
    );
    assert!(
        location["region"]["byteOffset"].as_u64().is_some(),
        "the offset of the call: {location}"
    );
    assert_eq!(pickle[0]["level"], "error");
    let bases = &run0["originalUriBaseIds"];
    assert_eq!(bases["RELEASE"]["uri"], "models/demo/");
    assert_eq!(bases["RELEASE"]["uriBaseId"], "%SRCROOT%");
    assert!(
        bases["%SRCROOT%"].get("uri").is_none(),
        "no absolute path: {bases}"
    );
    assert!(!out.stdout.contains(repo.path().to_str().unwrap()));

    // `--sarif-root` overrides the repository; a root that does not hold the release is refused.
    let rooted = run_cmd(scelle().current_dir(repo.path()).args([
        "scan",
        "models/demo",
        "--format",
        "sarif",
        "--sarif-root",
        "models",
    ]));
    assert!(
        rooted.stdout.contains("\"uri\": \"demo/evil.pkl\""),
        "{}",
        rooted.stdout
    );
    let elsewhere = Release::new();
    run_cmd(scelle().current_dir(repo.path()).args([
        "scan",
        "models/demo",
        "--format",
        "sarif",
        "--sarif-root",
        elsewhere.path().to_str().unwrap(),
    ]))
    .error("the release is not inside `--sarif-root");
    // Without a repository, paths are relative to the release folder.
    let alone = run(&[
        "scan",
        dir.to_str().unwrap(),
        "--format",
        "sarif",
        "--sarif-root",
        dir.to_str().unwrap(),
    ]);
    assert!(
        alone.stdout.contains("\"uri\": \"evil.pkl\""),
        "{}",
        alone.stdout
    );
    assert_valid_sarif(&alone.stdout);
    let _ = repo;
}

#[test]
fn check_sarif_locations_are_repository_relative() {
    let (repo, _) = repository_with(&crate::check::release_with(
        &std::fs::read_to_string(demo().join("scelle.yaml")).unwrap(),
    ));
    let out = run_cmd(scelle().current_dir(repo.path()).args([
        "check",
        "models/demo",
        "--format",
        "sarif",
        "--as-of",
        "2026-11-28",
    ]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_valid_sarif(&out.stdout);
    let log = out.json();
    let uris: Vec<&str> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["locations"].as_array().unwrap())
        .map(|l| {
            l["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(!uris.is_empty());
    for uri in uris {
        assert!(uri.starts_with("models/demo/"), "{uri}");
    }
}

/// A pickle that calls `os.system` when loaded (bytes written here, never executed).
const EVIL_PICKLE: &[u8] = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.";

const LFS_POINTER: &str = "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 12345\n";

/// A release with a dangerous pickle (waived in its own `scelle.yaml`) and a Git LFS pointer.
fn waived_release(expires: &str) -> Release {
    let r = clean_release();
    r.file("legacy/evil.pkl", EVIL_PICKLE);
    r.file("weights.bin", LFS_POINTER);
    r.file(
        "scelle.yaml",
        format!(
            "model:\n  name: gate-test\nprovider:\n  legal_name: Gate Labs\nwaivers:\n  - id: file/code-on-load\n    subjects: [\"legacy/*.pkl\"]\n    reason: the legacy checkpoint is only loaded in the sandbox\n    approver: security@gate.example\n    expires: {expires}\n"
        ),
    );
    r
}

/// `check` of `r` with release-integrity before signing, as of 2026-11-28, wide lines.
fn gate_check(r: &Release, extra: &[&str]) -> crate::common::Run {
    run_cmd(
        scelle().current_dir(r.path()).env("COLUMNS", "400").args(
            [
                &[
                    "check",
                    ".",
                    "--no-builtin",
                    "--policy",
                    "release-integrity",
                    "--stage",
                    "pre-sign",
                    "--as-of",
                    "2026-11-28",
                ][..],
                extra,
            ]
            .concat(),
        ),
    )
}

const CI_WAIVERS: &str = "waivers:\n  - id: RI-LFS-01\n    subjects: [weights.bin]\n    reason: the weights are fetched by the release job after this gate\n    approver: release-team@gate.example\n    expires: 2027-03-31\n";

#[test]
fn the_declarations_waiver_takes_a_file_finding_out_of_what_the_packs_see() {
    let r = waived_release("2027-06-30");
    r.file("ci/waivers.yaml", CI_WAIVERS);
    let check = |extra: &[&str]| gate_check(&r, extra);

    // Without any waiver both failures count.
    let bare = check(&["--no-declared-waivers", "--format", "json"]);
    assert_eq!(bare.code, 1);
    let report = bare.json();
    assert_eq!(outcome_of(&report, "RI-PICKLE-01").0, "fail");
    assert_eq!(outcome_of(&report, "RI-LFS-01").0, "fail");

    // The declaration's waiver takes the pickle finding out of what the packs see.
    let declared = check(&["--format", "json"]);
    assert_eq!(
        declared.code, 1,
        "the LFS pointer still fails: {}",
        declared.stderr
    );
    let report = declared.json();
    assert_eq!(outcome_of(&report, "RI-PICKLE-01").0, "pass");
    let waived = &report["waived_findings"][0];
    assert_eq!(waived["path"], "legacy/evil.pkl");
    assert_eq!(waived["finding"]["rule"], "file/code-on-load");
    assert_eq!(waived["waiver"]["origin"], "declaration");
    assert_eq!(waived["waiver"]["location"]["file"], "scelle.yaml");
    assert_eq!(waived["waiver"]["location"]["line"], 6);
}

#[test]
fn a_waived_failure_passes_the_gate_and_every_format_says_why() {
    let r = waived_release("2027-06-30");
    r.file("ci/waivers.yaml", CI_WAIVERS);
    let check = |extra: &[&str]| gate_check(&r, extra);
    // With the CI file, the LFS failure is waived: the gate passes, every format says why.
    let json = check(&["--waivers", "ci/waivers.yaml", "--format", "json"]);
    assert_eq!(json.code, 0, "{}", json.stderr);
    assert_eq!(json.stderr, "");
    let report = json.json();
    let lfs = report["packs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "RI-LFS-01")
        .unwrap()
        .clone();
    assert_eq!(lfs["outcome"], "fail");
    assert_eq!(lfs["waived"], true);
    assert_eq!(lfs["waivers"][0]["approver"], "release-team@gate.example");
    assert_eq!(lfs["waivers"][0]["expires"], "2027-03-31");
    assert_eq!(lfs["waivers"][0]["origin"], "file");
    assert_eq!(lfs["waivers"][0]["location"]["file"], "ci/waivers.yaml");
    assert_eq!(report["summary"]["rules"]["waived"], 1);
    assert_eq!(report["summary"]["rules"]["fail"], 0);
    let statuses: Vec<&str> = report["waivers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["applied", "applied"]);
}

#[test]
fn waivers_show_in_the_table_markdown_sarif_and_junit() {
    let r = waived_release("2027-06-30");
    r.file("ci/waivers.yaml", CI_WAIVERS);
    let check = |extra: &[&str]| gate_check(&r, extra);
    let table = check(&["--waivers", "ci/waivers.yaml"]);
    assert_eq!(table.code, 0);
    assert!(
        table.stdout.contains("\n  waived  RI-LFS-01 "),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("waived: the weights are fetched by the release job after this gate (approved by release-team@gate.example, expires 2027-03-31, ci/waivers.yaml:2:5)"),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("legacy/evil.pkl"), "{}", table.stdout);
    assert!(
        table.stdout.contains("model gate-test by Gate Labs\n"),
        "{}",
        table.stdout
    );

    let markdown = check(&["--waivers", "ci/waivers.yaml", "--format", "markdown"]);
    assert!(
        markdown.stdout.contains("| waived | `RI-LFS-01` |"),
        "{}",
        markdown.stdout
    );
    assert!(
        markdown.stdout.contains("## Waivers"),
        "{}",
        markdown.stdout
    );

    let sarif = check(&["--waivers", "ci/waivers.yaml", "--format", "sarif"]);
    assert_valid_sarif(&sarif.stdout);
    let log = sarif.json();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let find = |id: &str| results.iter().find(|r| r["ruleId"] == id).unwrap();
    let s = &find("RI-LFS-01")["suppressions"][0];
    assert_eq!(s["kind"], "external");
    assert_eq!(s["status"], "accepted");
    assert_eq!(
        s["justification"],
        "the weights are fetched by the release job after this gate"
    );
    assert_eq!(s["properties"]["approver"], "release-team@gate.example");
    let p = &find("file/code-on-load")["suppressions"][0];
    assert_eq!(p["kind"], "inSource");
    assert_eq!(
        p["location"]["physicalLocation"]["artifactLocation"]["uri"],
        "scelle.yaml"
    );

    let junit = check(&["--waivers", "ci/waivers.yaml", "--format", "junit"]);
    assert!(
        junit.stdout.contains("<skipped message=\"waived: the weights are fetched by the release job after this gate (approved by release-team@gate.example, expires 2027-03-31, ci/waivers.yaml:2:5)\"/>"),
        "{}",
        junit.stdout
    );
    assert!(
        junit
            .stdout
            .contains("<testcase name=\"file/code-on-load: legacy/evil.pkl\"")
    );
}

#[test]
fn a_waiver_stops_applying_on_its_expiry_day() {
    let r = waived_release("2027-06-30");
    r.file("ci/waivers.yaml", CI_WAIVERS);
    // On its expiry day the CI waiver stops applying: the failure counts and the waiver fails.
    let late = run_cmd(scelle().current_dir(r.path()).args([
        "check",
        ".",
        "--no-builtin",
        "--policy",
        "release-integrity",
        "--stage",
        "pre-sign",
        "--as-of",
        "2027-03-31",
        "--waivers",
        "ci/waivers.yaml",
        "--format",
        "json",
    ]));
    assert_eq!(late.code, 1);
    assert_eq!(
        late.stderr,
        "warning: ci/waivers.yaml:2:5: the waiver of `RI-LFS-01` expired on 2027-03-31 (checked as of 2027-03-31): the weights are fetched by the release job after this gate\n"
    );
    let report = late.json();
    let lfs = report["packs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "RI-LFS-01")
        .unwrap()
        .clone();
    assert!(lfs.get("waived").is_none(), "{lfs}");
    assert!(
        lfs["note"]
            .as_str()
            .unwrap()
            .contains("expired on 2027-03-31 (ci/waivers.yaml:2:5)"),
        "{lfs}"
    );
    assert_eq!(report["summary"]["waivers_expired"], 1);
}

#[test]
fn an_expired_waiver_fails_even_when_its_rule_passes_and_an_unused_one_warns() {
    let r = clean_release();
    r.file(
        "w.yaml",
        "waivers:\n  - id: RI-LFS-01\n    reason: old\n    approver: a@b\n    expires: 2026-01-01\n  - id: RI-DATA-01\n    reason: nothing fails\n    approver: a@b\n    expires: 2030-01-01\n",
    );
    let base = [
        "check",
        ".",
        "--no-builtin",
        "--policy",
        "release-integrity",
        "--stage",
        "pre-sign",
        "--as-of",
        "2026-11-28",
        "--waivers",
        "w.yaml",
    ];
    let out = run_cmd(scelle().current_dir(r.path()).args(base));
    assert_eq!(
        out.code, 1,
        "an expired waiver is an error:\n{}",
        out.stdout
    );
    assert_eq!(
        out.stderr,
        "warning: w.yaml:2:5: the waiver of `RI-LFS-01` expired on 2026-01-01 (checked as of 2026-11-28): old\nwarning: w.yaml:6:5: the waiver of `RI-DATA-01` matches nothing\n"
    );
    assert!(
        out.stdout
            .contains("  expired waiver/expired  the waiver of `RI-LFS-01` expired on 2026-01-01"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("  unused  waiver/unused  the waiver of `RI-DATA-01` matches nothing"),
        "{}",
        out.stdout
    );
    let junit = run_cmd(
        scelle()
            .current_dir(r.path())
            .args(base)
            .args(["--format", "junit"]),
    );
    assert!(
        junit
            .stdout
            .contains("<testsuite name=\"waivers\" tests=\"2\" failures=\"2\""),
        "{}",
        junit.stdout
    );
    // Renewed, the first one is fine; the unused one alone fails only at `--fail-on warning`.
    std::fs::write(
        r.path().join("w.yaml"),
        std::fs::read_to_string(r.path().join("w.yaml"))
            .unwrap()
            .replace("2026-01-01", "2027-01-01"),
    )
    .unwrap();
    let renewed = run_cmd(
        scelle()
            .current_dir(r.path())
            .args(base)
            .args(["--format", "json"]),
    );
    assert_eq!(renewed.code, 0, "{}", renewed.stderr);
    let strict =
        run_cmd(
            scelle()
                .current_dir(r.path())
                .args(base)
                .args(["--fail-on", "warning", "-q"]),
        );
    assert_eq!(strict.code, 1);
}

#[test]
fn scan_applies_waivers_to_file_findings_and_fails_only_when_asked() {
    let r = waived_release("2027-06-30");
    let dir = r.path().to_str().unwrap();
    let table = run_cmd(
        scelle()
            .env("COLUMNS", "400")
            .args(["scan", dir, "--format", "table", "-q"]),
    );
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(
        table.stdout.contains("findings (2, 1 waived)"),
        "{}",
        table.stdout
    );
    assert!(
        table.stdout.contains("waived  legacy/evil.pkl  "),
        "{}",
        table.stdout
    );
    assert!(table.stdout.contains("waived: the legacy checkpoint is only loaded in the sandbox (approved by security@gate.example, expires 2027-06-30, scelle.yaml:6:5)"), "{}", table.stdout);
    assert!(
        table.stdout.contains("  model   gate-test by Gate Labs\n"),
        "{}",
        table.stdout
    );
    // The LFS pointer is an error finding: `--fail-on error` fails; waived, it passes.
    let gate = run(&["scan", dir, "--fail-on", "error", "-q", "--format", "sarif"]);
    assert_eq!(gate.code, 1);
    let lfs = r.file(
        "w.yaml",
        "waivers:\n  - {id: file/lfs-pointer, subjects: [weights.bin], reason: fetched later, approver: a@b, expires: 2030-01-01}\n  - {id: RI-LFS-01, reason: only for check, approver: a@b, expires: 2030-01-01}\n",
    );
    let passed = run(&[
        "scan",
        dir,
        "--fail-on",
        "error",
        "--format",
        "sarif",
        "--waivers",
        lfs.to_str().unwrap(),
    ]);
    assert_eq!(passed.code, 0, "{}", passed.stderr);
    assert_eq!(
        passed.stderr, "",
        "a rule waiver is for check, not unused in a scan"
    );
    let log = passed.json();
    let suppressed = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .count();
    assert_eq!(suppressed, 2);
    // The manifest itself records facts, not exceptions: waivers leave it unchanged.
    let plain = run(&["scan", dir, "-q", "--no-declared-waivers"])
        .success()
        .stdout;
    let waived = run(&["scan", dir, "-q", "--waivers", lfs.to_str().unwrap()])
        .success()
        .stdout;
    assert_eq!(plain, waived);
    // Without the declaration's waivers, the pickle fails the gate too.
    assert_eq!(
        run(&[
            "scan",
            dir,
            "--fail-on",
            "error",
            "-q",
            "--format",
            "sarif",
            "--no-declared-waivers",
            "--waivers",
            lfs.to_str().unwrap()
        ])
        .code,
        1
    );
}

#[test]
fn invalid_waivers_are_refused_with_their_line_and_column() {
    let r = clean_release();
    let bad = r.file(
        "w.yaml",
        "waivers:\n  - id: RI-LFS-01\n    approver: a@b\n    expires: 2027-01-01\n",
    );
    let out = run(&[
        "check",
        r.path().to_str().unwrap(),
        "--waivers",
        bad.to_str().unwrap(),
    ]);
    errors_at(
        &out,
        "w.yaml:2:5: `waivers[0]` has no `reason`, which is required",
    );
    run(&[
        "check",
        r.path().to_str().unwrap(),
        "--waivers",
        "no-such-file.yaml",
    ])
    .error("`no-such-file.yaml` does not exist");
    // In `scelle.yaml`, the same rules hold for every command that reads it.
    r.file(
        "scelle.yaml",
        "waivers:\n  - id: file/code-on-load\n    reason: r\n    approver: a\n    expires: 2027-02-30\n",
    );
    let scan = run(&["scan", r.path().to_str().unwrap()]);
    errors_at(&scan, "scelle.yaml:5:14: `waivers[0].expires`");
    assert_eq!(
        scan.stderr
            .lines()
            .filter(|l| l.starts_with("error: "))
            .count(),
        1,
        "an invalid value is not also reported missing: {}",
        scan.stderr
    );
}

/// Exit 2, nothing on stdout, and an error line containing `needle`.
fn errors_at(out: &crate::common::Run, needle: &str) {
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr
            .lines()
            .any(|l| l.starts_with("error: ") && l.contains(needle)),
        "expected {needle:?} in:\n{}",
        out.stderr
    );
}

#[test]
fn reports_wrap_to_the_width_and_name_the_model_and_provider() {
    let d = demo();
    let narrow = run_cmd(scelle().env("COLUMNS", "60").args([
        "check",
        d.to_str().unwrap(),
        "--as-of",
        "2026-11-28",
    ]));
    assert_eq!(narrow.code, 1);
    let lines: Vec<&str> = narrow.stdout.lines().collect();
    assert!(
        lines.contains(&"  model tiny-llama-fr-en 1.0 by Petit Labo SARL · 158,016"),
        "{}",
        narrow.stdout
    );
    for line in &lines {
        let longest_word = line
            .split(' ')
            .map(|w| w.chars().count())
            .max()
            .unwrap_or(0);
        assert!(
            line.chars().count() <= 60 || longest_word > 40,
            "wider than COLUMNS=60: {line:?}"
        );
    }
    // Not a terminal and no COLUMNS: 100 columns.
    let wide = run(&["check", d.to_str().unwrap(), "--as-of", "2026-11-28"]);
    assert!(
        wide.stdout.lines().all(|l| l.chars().count() <= 100),
        "{}",
        wide.stdout
    );
    assert!(
        wide.stdout.lines().any(|l| l.chars().count() > 90),
        "lines use the width"
    );
    assert_eq!(
        wide.stdout.lines().nth(1).unwrap(),
        "  model tiny-llama-fr-en 1.0 by Petit Labo SARL · 158,016 parameters (safetensors)"
    );
    let scan = run_cmd(scelle().env("COLUMNS", "50").args([
        "scan",
        d.to_str().unwrap(),
        "--format",
        "table",
        "-q",
    ]));
    assert!(
        scan.stdout
            .contains("\n  model   tiny-llama-fr-en 1.0 by Petit Labo SARL\n"),
        "{}",
        scan.stdout
    );
}

#[test]
fn shell_completions_are_generated_for_every_shell_and_bash_parses_them() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run(&["completions", shell]).success();
        assert!(out.stdout.contains("check"), "{shell}");
        assert!(
            out.stdout.contains("stage"),
            "{shell}: `--stage` is completed"
        );
    }
    let tmp = Release::new();
    let script = tmp.file("scelle.bash", run(&["completions", "bash"]).stdout);
    let checked = std::process::Command::new("bash")
        .arg("-n")
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );
    // Sourced, it completes subcommands.
    let complete = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {}; COMP_WORDS=(scelle che); COMP_CWORD=1; _scelle scelle che scelle; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        ))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&complete.stdout).trim(),
        "check",
        "{}",
        String::from_utf8_lossy(&complete.stderr)
    );
    let tcsh = run(&["completions", "tcsh"]);
    assert_eq!(tcsh.code, 2);
    assert!(
        tcsh.stderr.starts_with("error: invalid value 'tcsh'"),
        "{}",
        tcsh.stderr
    );
}

/// Renders roff with groff (Debian's `groff-base`, which `.ci/run` installs), warnings on.
fn groff(page: &Path) -> String {
    let out = std::process::Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-P-cbou"])
        .arg(page)
        .output()
        .expect("groff is missing: `apt-get install groff-base` (as .ci/run does)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "groff warnings");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn man_pages_render_for_the_program_and_every_command() {
    let tmp = Release::new();
    let page = tmp.file("scelle.1", run(&["man"]).success().stdout);
    let text = groff(&page);
    assert!(text.contains("SYNOPSIS"), "{text}");
    assert!(text.contains("completions"), "{text}");
    let dir = tmp.path().join("man");
    let wrote = run(&["man", "-o", dir.to_str().unwrap()]);
    assert_eq!(wrote.code, 0, "{}", wrote.stderr);
    assert!(wrote.stderr.contains("man pages in"), "{}", wrote.stderr);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_str().unwrap().to_owned())
        .collect();
    names.sort();
    for want in [
        "scelle.1",
        "scelle-check.1",
        "scelle-policy-explain.1",
        "scelle-completions.1",
    ] {
        assert!(names.contains(&want.to_owned()), "{names:?}");
    }
    let check = groff(&dir.join("scelle-check.1"));
    assert!(check.contains("--stage"), "{check}");
    assert!(
        check.contains("scelle check release/ --stage pre-sign"),
        "examples reach the page:\n{check}"
    );
    run(&["man", "-o", dir.to_str().unwrap()]).error("already exists");
    assert_eq!(
        run(&["man", "-o", dir.to_str().unwrap(), "--force", "-q"]).code,
        0
    );
    // `man -l` reads it too.
    let man = std::process::Command::new("man")
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "80")
        .arg("-l")
        .arg(dir.join("scelle-scan.1"))
        .output()
        .expect("man is missing: `apt-get install man-db` (as .ci/run does)");
    assert!(man.status.success());
    assert!(String::from_utf8_lossy(&man.stdout).contains("--fail-on"));
}
