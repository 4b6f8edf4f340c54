//! Bounded resources on hostile input: a pack whose expressions would run for hours is stopped
//! by its evaluation budget, and hostile files (a huge declaration, a bundle full of signatures,
//! a safetensors header of tens of megabytes) are read in bounded memory, measured as the peak
//! resident set of the scelle child process.

use std::process::Stdio;

use serde_json::Value;

use crate::common::{Release, scelle};
use crate::input::run_bounded;

const HOSTILE_PACK: &str = r#"apiVersion: scelle.dev/v1
kind: PolicyPack
metadata:
  name: hostile
  title: Nested comprehensions
  version: "1"
rules:
  - id: HOSTILE-1
    title: Every pair of a million numbers
    severity: error
    reference: none
    expression: "lists.range(1000000).all(x, lists.range(1000000).map(y, {'k': [x, y]}).all(m, m.k[0] >= 0))"
    message: m
    fix: f
  - id: HOSTILE-2
    title: A fine rule beside it
    severity: error
    reference: none
    expression: "size(files) >= 0"
    message: m
    fix: f
"#;

#[test]
fn a_pack_with_nested_comprehensions_is_stopped_with_an_error_naming_the_rule() {
    let r = Release::new();
    r.file("weights.bin", b"1234");
    let outside = tempfile::tempdir().unwrap();
    let pack = outside.path().join("hostile.yaml");
    std::fs::write(&pack, HOSTILE_PACK).unwrap();
    let out = run_bounded(
        scelle()
            .args([
                "check",
                r.path().to_str().unwrap(),
                "--policy",
                pack.to_str().unwrap(),
                "--format",
                "json",
            ])
            .stdin(Stdio::null()),
    );
    assert_eq!(
        out.code, 1,
        "an error outcome fails the check: {}",
        out.stderr
    );
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let results = report["packs"][0]["results"].as_array().unwrap();
    let hostile = results.iter().find(|r| r["id"] == "HOSTILE-1").unwrap();
    assert_eq!(hostile["outcome"], "error");
    let message = hostile["message"].as_str().unwrap();
    assert!(
        message.contains("ran out of its budget of") && message.contains("evaluation steps"),
        "{message}"
    );
    let fine = results.iter().find(|r| r["id"] == "HOSTILE-2").unwrap();
    assert_eq!(fine["outcome"], "pass", "the budget is per expression");
}
