//! The figures section of `check` in every format, and the rules that compare declared figures
//! and the model card with what the release holds. Expected figures come from the reference
//! libraries (safetensors for the tensor shapes, json for the config) or from the files
//! themselves, never from scelle.

use serde_json::Value;

use crate::check::{demo, release_with};
use crate::common::{Keys, Release, py, py_json, run, schema};

/// The demo's declaration with another parameter count and context window, and a dataset size
/// in bytes for its evaluation set.
fn declaration(parameters: &str, context: &str) -> String {
    let text = std::fs::read_to_string(demo().join("scelle.yaml")).unwrap();
    let changed = text
        .replace(
            "parameters: {total: 158016}",
            &format!("parameters: {{total: {parameters}}}"),
        )
        .replace(
            "max_input_tokens: 2048",
            &format!("max_input_tokens: {context}"),
        )
        .replace("size: {records: 12}", "size: {records: 12, bytes: 5000}");
    assert_ne!(changed, text, "the demo declaration changed under the test");
    changed
}

/// What the reference libraries and the files say: the tensor elements of the weights, the
/// config's context window, and the evaluation set's records and bytes.
fn measured(release: &Release) -> Value {
    py_json(
        r#"
import json, os, sys, glob
import numpy as np
from safetensors import safe_open
root = sys.argv[1]
params = 0
for path in sorted(glob.glob(root + "/*.safetensors")):
    with safe_open(path, "np") as f:
        for key in f.keys():
            params += int(np.prod(f.get_slice(key).get_shape()))
config = json.load(open(root + "/config.json"))
data = root + "/data/eval"
records = sum(1 for name in os.listdir(data) for line in open(os.path.join(data, name)) if line.strip())
size = sum(os.path.getsize(os.path.join(data, name)) for name in os.listdir(data))
ctx = config["max_position_embeddings"]
# As people read them: digits grouped by three.
print(json.dumps({"parameters": params, "context": ctx, "records": records, "bytes": size,
                  "text": {k: f"{v:,}" for k, v in
                           {"parameters": params, "context": ctx, "records": records, "bytes": size}.items()}}))
"#,
        &[release.path().to_str().unwrap()],
    )
}

fn check(release: &Release, format: &str) -> crate::common::Run {
    run(&[
        "check",
        release.path().to_str().unwrap(),
        "--as-of",
        "2026-11-28",
        "--format",
        format,
    ])
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

#[test]
fn the_json_report_puts_each_declared_figure_next_to_the_counted_one() {
    let release = release_with(&declaration("170000", "4096"));
    let m = measured(&release);
    let run = check(&release, "json");
    assert_eq!(run.code, 1, "the demo has error findings: {}", run.stderr);
    assert_eq!(run.stderr, "");
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let f = &report["figures"];
    assert_eq!(f["parameters"]["declared"], 170_000);
    assert_eq!(f["parameters"]["counted"], m["parameters"]);
    assert_eq!(
        f["parameters"]["agree"], false,
        "1.7e5 is not {} at two figures",
        m["parameters"]
    );
    assert_eq!(f["context_length"]["declared"], 4096);
    assert_eq!(f["context_length"]["counted"], m["context"]);
    assert_eq!(f["context_length"]["agree"], false);
    // The declared basis: 6 x 158,016 parameters x 2.0e9 tokens.
    let estimate = f["compute"]["estimate_6nd"].as_f64().unwrap();
    assert!(
        (estimate - 6.0 * 158_016.0 * 2.0e9).abs() < 1.0,
        "{estimate}"
    );
    assert_eq!(f["compute"]["declared"], 1.9e15);
    assert_eq!(f["compute"]["estimate_hardware"], Value::Null);
    let eval = &f["datasets"][0];
    assert_eq!(eval["dataset"], "eval-fr-en");
    assert_eq!(eval["path"], "data/eval");
    assert_eq!(eval["records"]["declared"], 12);
    assert_eq!(eval["records"]["counted"], m["records"]);
    assert_eq!(eval["records"]["agree"], true);
    assert_eq!(eval["bytes"]["declared"], 5000);
    assert_eq!(eval["bytes"]["counted"], m["bytes"]);
    assert_eq!(eval["bytes"]["agree"], false);

    let params = result(&report, "AIA-XI-1-d-01");
    assert_eq!(params["outcome"], "fail");
    assert_eq!(
        params["severity"], "warning",
        "the demo's publisher is not the provider of a GPAI model"
    );
    assert_eq!(params["locations"][0]["file"], "scelle.yaml");
    assert_eq!(result(&report, "AIA-XII-2-b-01")["outcome"], "fail");
    let sizes = result(&report, "AIA-XI-2-c-01");
    assert_eq!(sizes["outcome"], "fail");
    assert_eq!(sizes["subjects"], serde_json::json!(["eval-fr-en"]));
}

#[test]
fn figures_that_agree_pass_and_the_unchanged_demo_has_no_figure_finding() {
    let release = release_with(&declaration("158000", "2048"));
    let run = check(&release, "json");
    assert_eq!(run.stderr, "");
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(
        report["figures"]["parameters"]["agree"], true,
        "158,000 and 158,016 are 1.6e5 both"
    );
    assert_eq!(result(&report, "AIA-XI-1-d-01")["outcome"], "pass");
    assert_eq!(result(&report, "AIA-XII-2-b-01")["outcome"], "pass");
    for id in ["AIA-53-1-b-02", "AIA-53-1-b-03", "AIA-53-1-b-04"] {
        assert_eq!(
            result(&report, id)["outcome"],
            "pass",
            "{id}: the demo card agrees"
        );
    }
}

#[test]
fn the_table_markdown_and_junit_reports_show_the_figures() {
    let release = release_with(&declaration("170000", "4096"));
    let m = measured(&release);
    let table = check(&release, "table");
    assert_eq!(table.code, 1);
    assert_eq!(table.stderr, "");
    let lines: Vec<&str> = table.stdout.lines().collect();
    let at = lines.iter().position(|l| *l == "figures").unwrap();
    assert_eq!(
        lines[at + 1],
        format!(
            "  parameters: declared 170,000 · counted {} · differ",
            m["text"]["parameters"].as_str().unwrap()
        )
    );
    assert!(
        lines
            .contains(&"  compute, hardware (FLOP): declared 1.9e15 · estimated unknown · unknown"),
        "{}",
        table.stdout
    );
    assert!(
        lines.contains(
            &format!(
                "  context length (tokens): declared 4,096 · counted {} · differ",
                m["text"]["context"].as_str().unwrap()
            )
            .as_str()
        )
    );
    assert!(
        lines.contains(
            &format!(
                "  dataset `eval-fr-en`, records: declared 12 · counted {} · agree",
                m["text"]["records"].as_str().unwrap()
            )
            .as_str()
        )
    );

    let md = check(&release, "markdown");
    assert_eq!(md.code, 1);
    assert_eq!(md.stderr, "");
    assert!(md.stdout.contains("\n## Figures\n"));
    assert!(md.stdout.contains(&format!(
        "| parameters | 170,000 | {} (counted) | differ |",
        m["text"]["parameters"].as_str().unwrap()
    )));
    assert!(md.stdout.contains(&format!(
        "| dataset `eval-fr-en`, bytes | 5,000 | {} (counted) | differ |",
        m["text"]["bytes"].as_str().unwrap()
    )));

    let junit = check(&release, "junit");
    assert_eq!(junit.code, 1);
    assert_eq!(junit.stderr, "");
    assert!(junit.stdout.contains(
        "<testsuite name=\"figures\" tests=\"0\" failures=\"0\" errors=\"0\" skipped=\"0\">"
    ));
    assert!(junit.stdout.contains(&format!(
        "<property name=\"parameters\" value=\"declared 170,000 · counted {} · differ\"/>",
        m["text"]["parameters"].as_str().unwrap()
    )));
}

#[test]
fn the_sarif_log_carries_the_figures_and_still_validates() {
    let release = release_with(&declaration("170000", "4096"));
    let m = measured(&release);
    let sarif = release.path().join("out.sarif");
    let run = run(&[
        "check",
        release.path().to_str().unwrap(),
        "--as-of",
        "2026-11-28",
        "--format",
        "sarif",
        "-o",
        sarif.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    let out = py(
        "import json, sys, jsonschema\n\
         schema = json.load(open(sys.argv[1])); log = json.load(open(sys.argv[2]))\n\
         jsonschema.Draft7Validator(schema).validate(log)",
        &[
            schema("sarif-schema-2.1.0.json").to_str().unwrap(),
            sarif.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "SARIF does not validate:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log: Value = serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
    let figures = &log["runs"][0]["properties"]["figures"];
    assert_eq!(figures["parameters"]["counted"], m["parameters"]);
    assert_eq!(figures["context_length"]["counted"], m["context"]);
    assert_eq!(figures["parameters"]["agree"], false);
}

#[test]
fn a_model_card_at_odds_with_the_declaration_is_found_wherever_the_manifest_goes() {
    let release = release_with(&declaration("158016", "2048"));
    release.file(
        "README.md",
        "---\nlicense: cc-by-nc-4.0\nbase_model: meta-llama/Llama-3.1-8B\ndatasets: [allenai/c4]\n---\n# tiny\n\n- **Developed by:** [More Information Needed]\n\n```\n{{ bos_token }}\n```\n",
    );
    let manifest = release.path().join("manifest.json");
    let scan = run(&[
        "scan",
        release.path().to_str().unwrap(),
        "-o",
        manifest.to_str().unwrap(),
    ]);
    assert_eq!(scan.code, 0, "{}", scan.stderr);
    let recorded: Value = serde_json::from_slice(&std::fs::read(&manifest).unwrap()).unwrap();
    let card = &recorded["predicate"]["card"];
    assert_eq!(card["license_spdx"], "CC-BY-NC-4.0");
    assert_eq!(
        card["placeholders"],
        serde_json::json!([{"line": 8, "text": "- **Developed by:** [More Information Needed]"}]),
        "the prompt template in a code block is not a placeholder"
    );
    // The manifest alone, away from the folder, gives the same findings.
    let run = run(&[
        "check",
        manifest.to_str().unwrap(),
        "--as-of",
        "2026-11-28",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let licence = result(&report, "AIA-53-1-b-02");
    assert_eq!(licence["outcome"], "fail");
    assert_eq!(licence["severity"], "warning");
    let names = result(&report, "AIA-53-1-b-03");
    assert_eq!(names["outcome"], "fail");
    assert_eq!(
        names["subjects"],
        serde_json::json!([
            "allenai/c4",
            "exemple-ia/exemple-8b",
            "meta-llama/Llama-3.1-8B"
        ]),
        "the card's dataset and base model, and the declared base model it leaves out, sorted"
    );
    let placeholders = result(&report, "AIA-53-1-b-04");
    assert_eq!(placeholders["outcome"], "fail");
    assert_eq!(
        placeholders["subjects"],
        serde_json::json!(["README.md:8: - **Developed by:** [More Information Needed]"])
    );
    let at = &placeholders["locations"][0];
    assert_eq!(
        (&at["file"], &at["line"]),
        (&Value::from("README.md"), &Value::from(8)),
        "the finding points at the card's line"
    );
}

#[test]
fn the_figures_are_the_same_from_the_folder_its_manifest_and_its_verified_bundle() {
    // The light reading of a manifest (no pack reads `files`) once dropped the record counts, so
    // a verified bundle showed a shipped dataset's records as unknown.
    let release = release_with(&declaration("158016", "2048"));
    let m = measured(&release);
    let out = Release::new();
    let manifest = out.path().join("manifest.json");
    let bundle = out.path().join("demo.sigstore.json");
    let dir = release.path().to_str().unwrap();
    run(&["scan", dir, "-o", manifest.to_str().unwrap()]).success();
    let keys = Keys::new();
    let key = keys.private("ed25519");
    let signed = run(&[
        "sign",
        dir,
        "--key",
        &key,
        "-o",
        bundle.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(signed.code, 0, "{}", signed.stderr);
    let public = keys.public("ed25519");
    let figures = |args: &[&str]| {
        let mut all = vec!["check"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--as-of", "2026-11-28", "--format", "json"]);
        let run = run(&all);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        serde_json::from_str::<Value>(&run.stdout).unwrap()["figures"].clone()
    };
    let from_folder = figures(&[dir]);
    assert_eq!(
        from_folder["datasets"][0]["records"]["counted"],
        m["records"]
    );
    assert_eq!(from_folder["datasets"][0]["bytes"]["counted"], m["bytes"]);
    assert_eq!(from_folder["parameters"]["counted"], m["parameters"]);
    for args in [
        vec![manifest.to_str().unwrap()],
        vec![dir, "--key", &public, "--bundle", bundle.to_str().unwrap()],
        vec![bundle.to_str().unwrap(), "--key", &public],
    ] {
        assert_eq!(figures(&args), from_folder, "{args:?}");
    }
}
