//! `scelle check` and `scan` as a CI gate: the stage of the check, which packs run, finding codes
//! and their explanations, waivers in every format, SARIF located inside a repository, reports
//! that wrap and name the model, shell completions and the man page.

use serde_json::Value;

use crate::check::demo;
use crate::common::{Release, run};

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
        .map(|(_, o, m)| (o, m))
        .unwrap_or_else(|| panic!("no result for {id}"))
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
    let table = run(&[&base[..], &["--stage", "pre-sign"]].concat());
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(
        table.stdout.contains(&format!(
            "\n  stage pre-sign: {reason} for RI-SIGN-01, RI-SIGN-02\n"
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
