//! The GitHub Action (`action.yml` and the scripts it runs) and the GitLab CI template
//! (`ci/gitlab/scelle.gitlab-ci.yml`): their shell commands run for real on the demo with the
//! scelle under test, their reports validated against the official SARIF 2.1.0 schema, their
//! exit statuses compared with `--fail-on`, `action.yml` validated against the published schema
//! for action metadata and its inputs checked against the table of `docs/ci.md`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::common::{Run, py, py_json, run_cmd, schema};

/// A pack with one warning-severity rule the demo fails (it references no DPIA) and nothing
/// else: `--fail-on error` passes it, `--fail-on warning` does not.
const WARNING_PACK: &str = r#"apiVersion: scelle.dev/v1
kind: PolicyPack
metadata:
  name: ci-test-pack
  title: A pack for the CI template tests
  version: "1"
  effective: 2020-01-01
rules:
  - id: CT-1
    title: A DPIA is referenced
    severity: warning
    reference: Test Art. 1
    expression: declared.gdpr.dpia != null
    message: no DPIA is referenced
    fix: add `gdpr.dpia`
    field: gdpr.dpia
"#;

fn repo_file(rel: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    assert!(path.is_file(), "`{rel}` is missing");
    path
}

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

/// A YAML file read by `PyYAML` (the reference environment's), as JSON: an independent parser.
fn yaml(path: &Path) -> Value {
    py_json(
        "import json, sys, yaml\nprint(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
        &[path.to_str().unwrap()],
    )
}

fn assert_valid_sarif(path: &Path) {
    assert!(path.is_file(), "no SARIF written at `{}`", path.display());
    let schema = schema("sarif-schema-2.1.0.json");
    let out = py(
        "import json, sys, jsonschema\n\
         schema = json.load(open(sys.argv[1])); log = json.load(open(sys.argv[2]))\n\
         jsonschema.Draft7Validator(schema).validate(log)",
        &[schema.to_str().unwrap(), path.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "SARIF does not validate:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The SARIF results' rule ids, sorted.
fn sarif_rule_ids(path: &Path) -> Vec<String> {
    let log: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let mut ids: Vec<String> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// A command with the scelle under test first on `PATH`, a fixed clock and no colour.
fn with_scelle_on_path(cmd: &mut Command) -> &mut Command {
    let bin = Path::new(env!("CARGO_BIN_EXE_scelle")).parent().unwrap();
    let mut dirs = vec![bin.to_path_buf()];
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    cmd.env("PATH", std::env::join_paths(dirs).unwrap())
        // 2026-11-28: the AI Act pack's obligations are in effect.
        .env("SOURCE_DATE_EPOCH", "1795824000")
        .env("NO_COLOR", "1")
}

// ---- the GitHub Action ----

/// `ci/github/run-check.sh` in `dir` with `env`, as the Action's check step runs it.
fn run_check(dir: &Path, env: &[(&str, &str)]) -> (Run, String) {
    let outputs = dir.join("github-output");
    std::fs::write(&outputs, "").unwrap();
    let mut cmd = Command::new("bash");
    cmd.arg(repo_file("ci/github/run-check.sh"))
        .current_dir(dir)
        .env("GITHUB_OUTPUT", &outputs);
    for var in std::env::vars()
        .map(|(k, _)| k)
        .filter(|k| k.starts_with("SCELLE_"))
    {
        cmd.env_remove(var);
    }
    with_scelle_on_path(&mut cmd);
    cmd.envs(env.iter().copied());
    let run = run_cmd(&mut cmd);
    (run, std::fs::read_to_string(&outputs).unwrap())
}

#[test]
fn action_check_script_writes_valid_sarif_and_exits_as_fail_on_says() {
    let tmp = tempfile::tempdir().unwrap();
    let pack = tmp.path().join("pack.yaml");
    std::fs::write(&pack, WARNING_PACK).unwrap();
    let demo = demo();
    let base = [
        ("SCELLE_PATH", demo.to_str().unwrap()),
        ("SCELLE_PACKS", pack.to_str().unwrap()),
        ("SCELLE_NO_BUILTIN", "true"),
        ("SCELLE_STAGE", "pre-sign"),
    ];

    // Only a warning fails: `error` passes, and the report is written all the same.
    let mut env = base.to_vec();
    env.push(("SCELLE_FAIL_ON", "error"));
    let (run, outputs) = run_check(tmp.path(), &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "", "a passing check prints nothing");
    assert_eq!(run.stderr, "");
    let sarif = tmp.path().join("scelle.sarif");
    assert_valid_sarif(&sarif);
    assert_eq!(sarif_rule_ids(&sarif), ["CT-1"]);
    assert_eq!(outputs, "sarif=scelle.sarif\nexit-code=0\n");

    // `warning`: the step fails, the SARIF is replaced and handed on for the upload, and the
    // finding is in the log.
    std::fs::remove_file(&sarif).unwrap();
    let mut env = base.to_vec();
    env.extend([
        ("SCELLE_FAIL_ON", "warning"),
        ("SCELLE_SARIF", "out/x.sarif"),
    ]);
    std::fs::create_dir(tmp.path().join("out")).unwrap();
    let (run, outputs) = run_check(tmp.path(), &env);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    assert!(
        run.stdout
            .lines()
            .any(|l| l.contains("warning") && l.contains("CT-1")),
        "the finding is not in the log:\n{}",
        run.stdout
    );
    assert_valid_sarif(&tmp.path().join("out/x.sarif"));
    assert!(!sarif.exists(), "the report goes where `sarif` says");
    assert_eq!(outputs, "sarif=out/x.sarif\nexit-code=1\n");

    // The results' locations are relative to the repository holding the demo, for code scanning.
    let log: Value =
        serde_json::from_slice(&std::fs::read(tmp.path().join("out/x.sarif")).unwrap()).unwrap();
    let uri = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"];
    assert_eq!(uri, "fixtures/demo/scelle.yaml");
}

#[test]
fn action_check_script_runs_the_built_in_packs_by_default_and_adds_junit() {
    let tmp = tempfile::tempdir().unwrap();
    let demo = demo();
    // The demo declares datasets with personal data and no DPIA: the GDPR pack fails with
    // errors, so the default `fail-on` (error) fails the step.
    let (run, outputs) = run_check(
        tmp.path(),
        &[
            ("SCELLE_PATH", demo.to_str().unwrap()),
            ("SCELLE_STAGE", "pre-sign"),
            ("SCELLE_JUNIT", "scelle-junit.xml"),
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    assert!(run.stdout.contains("GDPR-35-30-01"), "{}", run.stdout);
    let sarif = tmp.path().join("scelle.sarif");
    assert_valid_sarif(&sarif);
    let ids = sarif_rule_ids(&sarif);
    assert!(ids.iter().any(|i| i == "GDPR-35-30-01"), "{ids:?}");
    assert_eq!(outputs, "sarif=scelle.sarif\nexit-code=1\n");
    let failures = junit_failures(&tmp.path().join("scelle-junit.xml"));
    assert!(
        failures.iter().any(|f| f.contains("GDPR-35-30-01")),
        "{failures:?}"
    );
}

#[test]
fn action_check_script_reports_could_not_run_without_a_sarif_output() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-release");
    let (run, outputs) = run_check(tmp.path(), &[("SCELLE_PATH", missing.to_str().unwrap())]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert_eq!(
        outputs, "exit-code=2\n",
        "no `sarif` output: nothing to upload"
    );

    // A mistyped input is refused before anything runs.
    let (run, outputs) = run_check(tmp.path(), &[("SCELLE_NO_BUILTIN", "yes")]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: `no-builtin` must be `true` or `false`, not `yes`\n"
    );
    assert_eq!(outputs, "");

    // A report path with a new line would forge a second `GITHUB_OUTPUT` line: refused.
    let (run, outputs) = run_check(tmp.path(), &[("SCELLE_SARIF", "a.sarif\nexit-code=0")]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stderr, "error: `sarif` must be one line, a file path\n");
    assert_eq!(outputs, "");
}

#[test]
fn action_install_script_uses_the_scelle_on_path_or_refuses_an_unknown_method() {
    let install = |method: &str| {
        let mut cmd = Command::new("bash");
        cmd.arg(repo_file("ci/github/install-scelle.sh"))
            .env("SCELLE_INSTALL", method);
        with_scelle_on_path(&mut cmd);
        run_cmd(&mut cmd)
    };
    let run = install("none");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        format!("scelle {}\n", env!("CARGO_PKG_VERSION")),
        "the installed scelle says its version in the log"
    );
    assert_eq!(run.stderr, "");
    let run = install("curl");
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: `install` must be `cargo`, `pip` or `none`, not `curl`\n"
    );
}

/// The rows of the table under `### Inputs of the Action` in `docs/ci.md`: name -> default
/// (`(none)` read as empty).
fn documented_inputs() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(repo_file("docs/ci.md")).unwrap();
    let section = text
        .split("### Inputs of the Action")
        .nth(1)
        .expect("`docs/ci.md` has no `### Inputs of the Action` section");
    let mut rows = BTreeMap::new();
    for line in section
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
    {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let name = cells[1].trim_matches('`').to_owned();
        let default = match cells[2] {
            "(none)" => String::new(),
            d => d.trim_matches('`').to_owned(),
        };
        assert!(rows.insert(name, default).is_none(), "row twice: {line}");
    }
    rows
}

#[test]
fn action_inputs_are_the_documented_ones_and_each_reaches_a_step() {
    let action = yaml(&repo_file("action.yml"));
    let inputs = action["inputs"].as_object().unwrap();
    let declared: BTreeMap<String, String> = inputs
        .iter()
        .map(|(name, spec)| {
            assert!(
                spec["description"].as_str().is_some_and(|d| !d.is_empty()),
                "input `{name}` has no description"
            );
            assert_eq!(spec["required"], false, "input `{name}`");
            (name.clone(), spec["default"].as_str().unwrap().to_owned())
        })
        .collect();
    assert_eq!(
        declared,
        documented_inputs(),
        "`action.yml` inputs and defaults differ from the table in `docs/ci.md`"
    );

    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_array().unwrap();
    let install = &steps[0];
    let check = steps.iter().find(|s| s["id"] == "check").unwrap();
    let upload = steps.last().unwrap();
    assert_eq!(
        install["run"],
        "\"$GITHUB_ACTION_PATH/ci/github/install-scelle.sh\""
    );
    assert_eq!(
        check["run"],
        "\"$GITHUB_ACTION_PATH/ci/github/run-check.sh\""
    );
    assert!(
        upload["uses"]
            .as_str()
            .unwrap()
            .starts_with("github/codeql-action/upload-sarif@"),
        "{upload}"
    );
    assert_eq!(
        upload["with"]["sarif_file"],
        "${{ steps.check.outputs.sarif }}"
    );

    // Every input but `upload-sarif` (read by the upload step's condition) reaches a script as
    // `SCELLE_<NAME>`, and that script reads it; no step's shell text holds an expression, which
    // would let an input inject commands.
    let scripts = std::fs::read_to_string(repo_file("ci/github/run-check.sh")).unwrap()
        + &std::fs::read_to_string(repo_file("ci/github/install-scelle.sh")).unwrap();
    for name in declared.keys().filter(|n| *n != "upload-sarif") {
        let var = format!("SCELLE_{}", name.to_uppercase().replace('-', "_"));
        let expr = format!("${{{{ inputs.{name} }}}}");
        assert!(
            steps.iter().any(|s| s["env"][&var] == expr.as_str()),
            "input `{name}` does not reach a step as `{var}`"
        );
        assert!(scripts.contains(&var), "no script reads `{var}`");
    }
    assert!(
        upload["if"]
            .as_str()
            .unwrap()
            .contains("inputs.upload-sarif == 'true'")
    );
    for step in steps {
        if let Some(run) = step["run"].as_str() {
            assert!(!run.contains("${{"), "an expression in a shell step: {run}");
        }
    }
}

#[test]
fn action_metadata_validates_against_the_published_schema() {
    // SchemaStore's schema for `action.yml` (the one editors use), kept in `tests/schemas`; a
    // misspelt key or a composite step without `shell` must fail it, so that passing means
    // something.
    let script = "import json, sys, yaml, jsonschema\n\
         schema = json.load(open(sys.argv[1])); action = yaml.safe_load(open(sys.argv[2]))\n\
         v = jsonschema.Draft7Validator(schema)\n\
         misspelt = json.loads(json.dumps(action)); misspelt['inputs']['path']['requird'] = False\n\
         no_shell = json.loads(json.dumps(action)); del no_shell['runs']['steps'][0]['shell']\n\
         print(json.dumps([[e.message for e in v.iter_errors(a)] for a in (action, misspelt, no_shell)]))";
    let schema = schema("github-action.json");
    let errors = py_json(
        script,
        &[
            schema.to_str().unwrap(),
            repo_file("action.yml").to_str().unwrap(),
        ],
    );
    assert_eq!(
        errors[0],
        serde_json::json!([]),
        "`action.yml` does not validate"
    );
    assert!(
        errors[1][0]
            .as_str()
            .unwrap()
            .contains("'requird' was unexpected"),
        "{errors}"
    );
    assert_eq!(
        errors[2].as_array().unwrap().len(),
        1,
        "a step without `shell` is refused: {errors}"
    );
}

// ---- the GitLab CI template ----

/// The failures' messages of a JUnit report, read by Python's XML parser.
fn junit_failures(path: &Path) -> Vec<String> {
    let out = py_json(
        "import json, sys, xml.etree.ElementTree as ET\n\
         root = ET.parse(sys.argv[1]).getroot()\n\
         cases = root.iter('testcase')\n\
         print(json.dumps([c.get('name', '') + ' ' + (f.get('message') or '') + ' ' + (f.text or '')\n\
                           for c in root.iter('testcase') for f in c.findall('failure')]))",
        &[path.to_str().unwrap()],
    );
    out.as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// Runs the template's `before_script:` and `script:` as GitLab's bash shell does (one script,
/// `set -eo pipefail`) in `dir`, with the template's variables overridden by `vars`.
fn run_gitlab_job(job: &Value, dir: &Path, vars: &[(&str, &str)]) -> Run {
    let mut text = String::from("set -eo pipefail\n");
    for key in ["before_script", "script"] {
        for line in job[key].as_array().unwrap() {
            text.push_str(line.as_str().unwrap());
            text.push('\n');
        }
    }
    let mut cmd = Command::new("bash");
    cmd.arg("-c").arg(text).current_dir(dir);
    for (k, v) in job["variables"].as_object().unwrap() {
        cmd.env(k, v.as_str().unwrap());
    }
    with_scelle_on_path(&mut cmd);
    cmd.envs(vars.iter().copied());
    run_cmd(&mut cmd)
}

#[test]
fn gitlab_template_writes_junit_and_sarif_and_fails_as_fail_on_says() {
    let template = yaml(&repo_file("ci/gitlab/scelle.gitlab-ci.yml"));
    let job = &template[".scelle-check"];
    assert_eq!(job["variables"]["SCELLE_FAIL_ON"], "error");
    assert_eq!(job["artifacts"]["when"], "always");
    assert_eq!(job["artifacts"]["reports"]["junit"], "scelle-junit.xml");
    assert_eq!(
        job["artifacts"]["paths"],
        serde_json::json!(["scelle-junit.xml", "scelle.sarif"])
    );

    let tmp = tempfile::tempdir().unwrap();
    let pack = tmp.path().join("pack.yaml");
    std::fs::write(&pack, WARNING_PACK).unwrap();
    let demo = demo();
    let options = format!("--no-builtin --policy {}", pack.display());
    let base = [
        ("SCELLE_PATH", demo.to_str().unwrap()),
        ("SCELLE_STAGE", "pre-sign"),
        ("SCELLE_OPTIONS", options.as_str()),
        // The scelle under test is already installed: the install line only shows its version.
        ("SCELLE_INSTALL", "scelle --version"),
    ];

    for (fail_on, code) in [("error", 0), ("warning", 1)] {
        let work = tempfile::tempdir().unwrap();
        let mut vars = base.to_vec();
        vars.push(("SCELLE_FAIL_ON", fail_on));
        let run = run_gitlab_job(job, work.path(), &vars);
        assert_eq!(run.code, code, "fail-on {fail_on}: {}", run.stderr);
        assert_eq!(run.stderr, "", "fail-on {fail_on}");
        assert!(
            run.stdout
                .starts_with(&format!("scelle {}", env!("CARGO_PKG_VERSION"))),
            "{}",
            run.stdout
        );
        assert_eq!(
            run.stdout.contains("CT-1"),
            code == 1,
            "the findings are in the log when the job fails:\n{}",
            run.stdout
        );
        let sarif = work.path().join("scelle.sarif");
        assert_valid_sarif(&sarif);
        assert_eq!(sarif_rule_ids(&sarif), ["CT-1"]);
        let failures = junit_failures(&work.path().join("scelle-junit.xml"));
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(failures[0].contains("CT-1"), "{failures:?}");
    }

    // A release that cannot be read fails the job with scelle's error, and no SARIF is made.
    let work = tempfile::tempdir().unwrap();
    let mut vars = base.to_vec();
    vars[0] = ("SCELLE_PATH", "no-such-release");
    let run = run_gitlab_job(job, work.path(), &vars);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.starts_with("error: "), "{}", run.stderr);
    assert!(!work.path().join("scelle.sarif").exists());
}
