//! `scelle report --kind model-documentation|annex-xi|annex-xii`: the Model Documentation Form of
//! the GPAI Code of Practice per audience, and the Annex XI and XII documents, rendered from the
//! demo (signed with a fresh key and verified, and unsigned) and from every scenario in
//! `policies/scenarios/`. The audiences' item sets below are written from legal.md §2.3 (the
//! Form's marks and its "Audiences" paragraph), not from the code.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::check::{demo, release_with};
use crate::common::{Release, expected_root, run, sha256_hex};

/// Every item of the Form, in its order, with who gets it: (section, label, DP, AIO, NCA).
/// Technical means, required hardware and software and the maximum output size go to
/// downstream providers only; model authenticity, the design specifications of the model, the
/// licence link, §5, the rest of §6, §7 and §8 to the AI Office and the authorities only; the
/// exact parameter count to the AI Office only; the size range to downstream providers and
/// authorities.
const FORM: [(&str, &str, bool, bool, bool); 41] = [
    ("1", "Legal name of the provider", true, true, true),
    ("1", "Model name", true, true, true),
    ("1", "Model authenticity", false, true, true),
    ("1", "Release date", true, true, true),
    ("1", "Union market release date", true, true, true),
    ("1", "Model dependencies", true, true, true),
    ("2", "Model architecture", true, true, true),
    ("2", "Design specifications of the model", false, true, true),
    ("2", "Input modalities", true, true, true),
    ("2", "Maximum input size", true, true, true),
    ("2", "Output modalities", true, true, true),
    ("2", "Maximum output size", true, false, false),
    ("2", "Total number of parameters", false, true, true),
    ("2", "Exact number of parameters", false, true, false),
    ("2", "Parameter size range", true, false, true),
    ("3", "Distribution channels", true, true, true),
    ("3", "Licence type", true, true, true),
    ("3", "Licence link", false, true, true),
    ("3", "Additional assets", true, true, true),
    ("4", "Acceptable use policy", true, true, true),
    ("4", "Intended uses", true, true, true),
    ("4", "Type and nature of AI systems", true, true, true),
    ("4", "Technical means for integration", true, false, false),
    ("4", "Required hardware", true, false, false),
    ("4", "Required software", true, false, false),
    (
        "5",
        "Design specifications of the training process",
        false,
        true,
        true,
    ),
    ("5", "Decision rationale", false, true, true),
    ("6", "Data type and modality", true, true, true),
    ("6", "Data provenance", true, true, true),
    (
        "6",
        "How the data was obtained and selected",
        false,
        true,
        true,
    ),
    ("6", "Number of data points", false, true, true),
    (
        "6",
        "Scope and main characteristics of the data",
        false,
        true,
        true,
    ),
    ("6", "Data curation methodologies", true, true, true),
    (
        "6",
        "Measures to detect unsuitable data sources",
        false,
        true,
        true,
    ),
    (
        "6",
        "Measures to detect identifiable biases",
        false,
        true,
        true,
    ),
    ("7", "Training time", false, true, true),
    (
        "7",
        "Amount of computation used for training",
        false,
        true,
        true,
    ),
    ("7", "Measurement methodology", false, true, true),
    ("8", "Amount of energy used for training", false, true, true),
    ("8", "Energy measurement methodology", false, true, true),
    (
        "8",
        "Benchmarked amount of computation used for inference",
        false,
        true,
        true,
    ),
];

/// The Form's section headings, in order.
const SECTIONS: [(&str, &str); 8] = [
    ("1", "General information"),
    ("2", "Model properties"),
    ("3", "Methods of distribution and licences"),
    ("4", "Use"),
    ("5", "Training process"),
    (
        "6",
        "Information on the data used for training, testing, and validation",
    ),
    ("7", "Computational resources (during training)"),
    ("8", "Energy consumption (during training and inference)"),
];

const AUDIENCES: [&str; 3] = ["downstream", "ai-office", "authority"];

fn form() -> Vec<(&'static str, &'static str, [bool; 3])> {
    FORM.iter()
        .map(|(s, l, dp, aio, nca)| (*s, *l, [*dp, *aio, *nca]))
        .collect()
}

/// The Form's labels for `audience` (every item without one), in order.
fn labels_for(audience: Option<&str>) -> Vec<&'static str> {
    let at = audience.map(|a| AUDIENCES.iter().position(|x| *x == a).unwrap());
    form()
        .into_iter()
        .filter(|(_, _, marks)| at.is_none_or(|i| marks[i]))
        .map(|(_, l, _)| l)
        .collect()
}

/// The release folders the documents are rendered from: the demo and every scenario.
fn releases() -> Vec<(String, Release, String)> {
    let mut out = vec![(
        "demo".to_owned(),
        release_with(&std::fs::read_to_string(demo().join("scelle.yaml")).unwrap()),
        std::fs::read_to_string(demo().join("scelle.yaml")).unwrap(),
    )];
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/scenarios");
    let mut scenarios: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    scenarios.sort();
    assert!(scenarios.len() >= 4, "the scenarios are missing");
    for path in scenarios {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        out.push((name, release_with(&text), text));
    }
    out
}

/// `scelle report` with `args`: exit 0, and stderr holds only the warnings for the fields the
/// document lists as not declared, one each.
fn report(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["report", dir.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = run(&all);
    assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
    out.stdout
}

fn report_json(dir: &Path, args: &[&str]) -> (Value, String) {
    let mut all = vec!["report", dir.to_str().unwrap(), "--format", "json"];
    all.extend_from_slice(args);
    let out = run(&all);
    assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    let warned: Vec<String> = out
        .stderr
        .lines()
        .map(|l| {
            let field = l
                .strip_prefix("warning: `")
                .and_then(|r| r.strip_suffix("` is not declared: the document says so"))
                .unwrap_or_else(|| panic!("unexpected stderr line: {l}"));
            field.to_owned()
        })
        .collect();
    let listed: Vec<String> = doc["not_declared"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        warned, listed,
        "{args:?}: one warning per field not declared"
    );
    (doc, out.stdout)
}

/// Every item of a JSON document with the section numbers above it.
fn items(doc: &Value) -> Vec<(Vec<String>, Value)> {
    fn walk(section: &Value, path: &[String], out: &mut Vec<(Vec<String>, Value)>) {
        let mut here = path.to_vec();
        here.push(section["number"].as_str().unwrap_or_default().to_owned());
        for item in section["items"].as_array().unwrap() {
            out.push((here.clone(), item.clone()));
        }
        for sub in section["sections"].as_array().into_iter().flatten() {
            walk(sub, &here, out);
        }
    }
    let mut out = Vec::new();
    for s in doc["sections"].as_array().unwrap() {
        walk(s, &[], &mut out);
    }
    out
}

fn item<'a>(all: &'a [(Vec<String>, Value)], label: &str) -> &'a Value {
    &all.iter()
        .find(|(_, i)| i["label"] == label)
        .unwrap_or_else(|| panic!("no item {label}"))
        .1
}

fn text(item: &Value) -> String {
    item["value"]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("not text: {item}"))
        .to_owned()
}

fn headings(markdown: &str) -> Vec<String> {
    markdown
        .lines()
        .filter(|l| l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn each_audience_gets_exactly_its_items_of_the_form() {
    let release = release_with(&std::fs::read_to_string(demo().join("scelle.yaml")).unwrap());
    for audience in AUDIENCES.map(Some).into_iter().chain([None]) {
        let mut args = vec!["--kind", "model-documentation"];
        if let Some(a) = audience {
            args.extend(["--audience", a]);
        }
        let (doc, _) = report_json(release.path(), &args);
        let all = items(&doc);
        let got: Vec<&str> = all
            .iter()
            .map(|(_, i)| i["label"].as_str().unwrap())
            .collect();
        assert_eq!(got, labels_for(audience), "{audience:?}");
        // Each item sits in its section of the Form.
        for ((numbers, i), (section, label, marks)) in
            all.iter().zip(form().into_iter().filter(|(_, _, m)| {
                audience.is_none_or(|a| m[AUDIENCES.iter().position(|x| *x == a).unwrap()])
            }))
        {
            assert_eq!(i["label"], label);
            assert_eq!(numbers, &[section.to_owned()], "{label}");
            // The complete copy marks every item with its audiences; a filtered one does not.
            let expected: Vec<&str> = match audience {
                Some(_) => Vec::new(),
                None => AUDIENCES
                    .iter()
                    .zip(marks)
                    .filter(|(_, m)| *m)
                    .map(|(a, _)| *a)
                    .collect(),
            };
            let marked: Vec<&str> = i["audiences"]
                .as_array()
                .map(|a| a.iter().map(|x| x.as_str().unwrap()).collect())
                .unwrap_or_default();
            assert_eq!(marked, expected, "{label}");
        }
        assert_eq!(doc["audience"], audience.map_or(Value::Null, Value::from));
    }
}

#[test]
fn each_audience_leaves_out_what_it_must_not_get() {
    let release = release_with(&std::fs::read_to_string(demo().join("scelle.yaml")).unwrap());
    // The demo's weights: 158,016 parameters; 1.6 x 10^5 at two significant figures.
    let exact = "158,016";
    let two = "1.6 × 10^5";
    let dir = release.path();
    let doc = |a: &str| report(dir, &["--kind", "model-documentation", "--audience", a]);
    let downstream = doc("downstream");
    let office = doc("ai-office");
    let authority = doc("authority");
    assert!(!downstream.contains(exact) && !downstream.contains(two));
    assert!(downstream.contains("**Parameter size range**: 1-500M parameters"));
    assert!(!authority.contains(exact));
    assert!(authority.contains(&format!("**Total number of parameters**: {two}")));
    assert!(office.contains(&format!("**Exact number of parameters**: {exact}")));
    assert!(!office.contains("Parameter size range"));
    // Compute: 1.9e15 FLOP declared; the authorities get the power of ten only.
    assert!(office.contains("**Amount of computation used for training**: 1.9 × 10^15 FLOP"));
    assert!(authority.contains("**Amount of computation used for training**: 10^15 FLOP"));
    assert!(!authority.contains("1.9 × 10^15"));
    assert!(!downstream.contains("FLOP"));
    // Training time: 12 hours; the authorities get the range only.
    assert!(authority.contains("**Training time**: \\< 1 month"));
    assert!(office.contains("**Training time**: 5.0 × 10^-1 days (12 hours)"));
    assert!(office.contains("5.0 × 10^-1 L4-days"));
    // Energy: 1.0 kWh is 1.0 x 10^-3 MWh, for both offices.
    for d in [&office, &authority] {
        assert!(d.contains("**Amount of energy used for training**: 1.0 × 10^-3 MWh"));
    }
    assert!(!downstream.contains("MWh"));
    // Data points: the crawl's 6.0e8 tokens, one figure for authorities, two for the Office.
    assert!(authority.contains("| petitbot-crawl-2026 | training | 6 × 10^8 tokens; 9 × 10^5"));
    assert!(office.contains("| petitbot-crawl-2026 | training | 6.0 × 10^8 tokens; 9.1 × 10^5"));
    assert!(!downstream.contains("10^8 tokens"));
    // Downstream providers get no authenticity item and no training process.
    assert!(!downstream.contains("Model authenticity"));
    assert!(!downstream.contains("## 5 Training process"));
    assert!(!downstream.contains("## 7 "));
}

#[test]
fn model_authenticity_names_the_root_digest_and_the_verified_signer() {
    let release = release_with(&std::fs::read_to_string(demo().join("scelle.yaml")).unwrap());
    let dir = release.path();
    // The root digest over every file of the folder, computed here.
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    collect(dir, dir, &mut files);
    let refs: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_slice()))
        .collect();
    let root = expected_root(&refs);
    // Unsigned: the digest of the scanned files, and "not verified".
    let (doc, _) = report_json(
        dir,
        &["--kind", "model-documentation", "--audience", "ai-office"],
    );
    let all = items(&doc);
    let unsigned = text(item(&all, "Model authenticity"));
    assert!(
        unsigned.contains(&format!("root digest sha256:{root}")),
        "{unsigned}"
    );
    assert!(unsigned.contains("signature not verified"), "{unsigned}");
    assert_eq!(doc["release"]["verified"], false);
    // Signed with a fresh key, verified with its public half.
    let keys = tempfile::tempdir().unwrap();
    let name = keys.path().join("fresh");
    let out = run(&["keygen", "-o", name.to_str().unwrap(), "-q"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let public = format!("{}.pub", name.display());
    let key_id = sha256_hex(&std::fs::read(&public).unwrap());
    let out = run(&[
        "sign",
        dir.to_str().unwrap(),
        "--key",
        &format!("{}.key", name.display()),
        "-q",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for kind in ["model-documentation", "annex-xi", "annex-xii"] {
        let (doc, _) = report_json(dir, &["--kind", kind, "--key", &public]);
        assert_eq!(doc["release"]["verified"], true, "{kind}");
        assert_eq!(doc["release"]["signer"]["key_id"], key_id.as_str());
        assert_eq!(doc["release"]["root"], root.as_str());
    }
    for audience in ["ai-office", "authority"] {
        let (doc, _) = report_json(
            dir,
            &[
                "--kind",
                "model-documentation",
                "--audience",
                audience,
                "--key",
                &public,
            ],
        );
        let all = items(&doc);
        let signed = text(item(&all, "Model authenticity"));
        assert_eq!(
            signed,
            format!("root digest sha256:{root}; signature verified with key {key_id} (ed25519)")
        );
    }
    // Another key does not verify the bundle: the document says so.
    let other = keys.path().join("other");
    assert_eq!(
        run(&["keygen", "-o", other.to_str().unwrap(), "-q"]).code,
        0
    );
    let out = run(&[
        "report",
        dir.to_str().unwrap(),
        "--kind",
        "model-documentation",
        "--audience",
        "ai-office",
        "--format",
        "json",
        "--key",
        &format!("{}.pub", other.display()),
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr
            .lines()
            .next()
            .unwrap()
            .starts_with(&format!("warning: the bundle was signed by key `{key_id}`")),
        "{}",
        out.stderr
    );
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(doc["release"]["verified"], false);
    let all = items(&doc);
    let t = text(item(&all, "Model authenticity"));
    assert!(
        t.contains("signature not verified: the bundle was signed by key"),
        "{t}"
    );
    assert!(!t.contains("signature verified with key"), "{t}");
}

fn collect(base: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(base, &path, out);
        } else {
            let rel = path
                .strip_prefix(base)
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            out.push((rel, std::fs::read(&path).unwrap()));
        }
    }
}

#[test]
fn every_release_renders_every_form_with_its_headings_in_order() {
    for (name, release, yaml) in releases() {
        let dir = release.path();
        // The Form: its section headings in order, those with no item for the audience left out.
        for audience in AUDIENCES.map(Some).into_iter().chain([None]) {
            let mut args = vec!["--kind", "model-documentation"];
            if let Some(a) = audience {
                args.extend(["--audience", a]);
            }
            let md = report(dir, &args);
            let kept: BTreeSet<&str> = form()
                .into_iter()
                .filter(|(_, _, m)| {
                    audience.is_none_or(|a| m[AUDIENCES.iter().position(|x| *x == a).unwrap()])
                })
                .map(|(s, _, _)| s)
                .collect();
            let mut expected: Vec<String> = SECTIONS
                .iter()
                .filter(|(n, _)| kept.contains(n))
                .map(|(n, t)| format!("## {n} {t}"))
                .collect();
            expected.push("## Where each value comes from".to_owned());
            let got = headings(&md);
            assert!(got[0].starts_with("# Model Documentation Form"), "{name}");
            assert_eq!(got[1..], expected[..], "{name} {audience:?}");
        }
        // Annex XII: 1 and 2.
        let md = report(dir, &["--kind", "annex-xii"]);
        assert_eq!(
            headings(&md),
            [
                "# Information for downstream providers (AI Act Annex XII)",
                "## 1 A general description of the general-purpose AI model",
                "## 2 A description of the elements of the model and of the process for its development",
                "## Where each value comes from",
            ],
            "{name}"
        );
        for point in ["(a)", "(b)", "(c)", "(d)", "(e)", "(f)", "(g)", "(h)"] {
            assert!(md.contains(&format!("- **{point} ")), "{name}: 1{point}");
        }
        for point in [
            "- **(a) Technical",
            "- **(b) Modality, format and maximum size",
            "**(c) Data used",
        ] {
            assert!(md.contains(point), "{name}: 2 {point}");
        }
        // Annex XI: section 1 with 1 and 2(a)-(e), one heading per declared dataset in 2(c),
        // and section 2.
        let md = report(dir, &["--kind", "annex-xi"]);
        let ids: Vec<&str> = yaml
            .lines()
            .filter_map(|l| l.strip_prefix("  - id: "))
            .collect();
        let mut expected = vec![
            "# Technical documentation of a general-purpose AI model (AI Act Annex XI)".to_owned(),
            "## Section 1 Information to be provided by all providers of general-purpose AI models".to_owned(),
            "### 1 A general description of the general-purpose AI model".to_owned(),
            "### 2 A detailed description of the elements of the model and of the process for its development".to_owned(),
            "#### (a) Technical means required for the model to be integrated into AI systems".to_owned(),
            "#### (b) Design specifications of the model and training process".to_owned(),
            "#### (c) Information on the data used for training, testing and validation".to_owned(),
        ];
        for (i, id) in ids.iter().enumerate() {
            expected.push(format!(
                "##### Dataset {}: {}",
                i + 1,
                id.replace('_', "\\_")
            ));
        }
        expected.extend([
            "#### (d) Computational resources used to train the model".to_owned(),
            "#### (e) Known or estimated energy consumption of the model".to_owned(),
            "## Section 2 Additional information to be provided by providers of general-purpose AI models with systemic risk".to_owned(),
            "## Where each value comes from".to_owned(),
        ]);
        assert_eq!(headings(&md), expected, "{name}");
        for point in ["(a)", "(b)", "(c)", "(d)", "(e)", "(f)"] {
            assert!(md.contains(&format!("- **{point} ")), "{name}: 1{point}");
        }
    }
}

#[test]
fn annex_xi_section_2_applies_only_to_a_model_with_systemic_risk() {
    for (name, release, _) in releases() {
        let (doc, _) = report_json(release.path(), &["--kind", "annex-xi"]);
        let section = doc["sections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["number"] == "Section 2")
            .unwrap();
        let labels: Vec<&str> = section["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap())
            .collect();
        // Only the scenario trained with 5.1e25 FLOP cumulative is above Art. 51(2)'s 1e25.
        if name == "non-eu-systemic.yaml" {
            assert_eq!(
                labels,
                [
                    "Systemic risk",
                    "1. Evaluation strategies and results",
                    "2. Adversarial testing",
                    "2. Model adaptations, including alignment and fine-tuning",
                    "3. System architecture",
                ],
                "{name}"
            );
            assert!(
                section["note"]
                    .as_str()
                    .unwrap()
                    .contains("5.1 × 10^25 FLOP"),
                "{section}"
            );
            let eval = &section["items"][1]["value"];
            assert_eq!(eval["rows"][0][0], "MMLU-Pro");
        } else {
            assert_eq!(labels, ["Systemic risk"], "{name}");
            let value = &section["items"][0]["value"];
            assert_eq!(value["type"], "not_applicable", "{name}");
            assert!(
                value["reason"].as_str().unwrap().contains("is not above"),
                "{name}: {value}"
            );
        }
    }
}

#[test]
fn annex_xii_gives_the_context_window_declared_and_configured() {
    let release = release_with(&std::fs::read_to_string(demo().join("scelle.yaml")).unwrap());
    let (doc, _) = report_json(release.path(), &["--kind", "annex-xii"]);
    let all = items(&doc);
    let sizes = text(item(
        &all,
        "(b) Modality, format and maximum size of inputs and outputs",
    ));
    // The demo declares 2048 and its config.json says the same.
    let config: Value =
        serde_json::from_slice(&std::fs::read(demo().join("config.json")).unwrap()).unwrap();
    assert_eq!(config["max_position_embeddings"], 2048);
    assert!(
        sizes.contains(
            "maximum input: 2,048 tokens of text (declared; the library config says the same)"
        ),
        "{sizes}"
    );
    assert!(sizes.contains("maximum output: not declared"), "{sizes}");
    // Downstream providers get the size range, not the count.
    let params = text(item(&all, "(f) Architecture and number of parameters"));
    assert!(params.contains("1-500M parameters"), "{params}");
    assert!(!params.contains("158,016"), "{params}");
    // A changed config is reported beside the declared window.
    let other = release_with(
        &std::fs::read_to_string(demo().join("scelle.yaml"))
            .unwrap()
            .replace("max_input_tokens: 2048", "max_input_tokens: 4096"),
    );
    let (doc, _) = report_json(other.path(), &["--kind", "annex-xii"]);
    let all = items(&doc);
    let sizes = text(item(
        &all,
        "(b) Modality, format and maximum size of inputs and outputs",
    ));
    assert!(
        sizes.contains("4,096 tokens of text (declared; the library config says 2,048)"),
        "{sizes}"
    );
}

#[test]
fn a_field_not_declared_is_said_and_warned_never_invented() {
    let release = release_with("model:\n  name: bare\n");
    let (doc, _) = report_json(release.path(), &["--kind", "model-documentation"]);
    assert!(
        doc["not_declared"]
            .as_array()
            .unwrap()
            .contains(&Value::from("provider.legal_name"))
    );
    for kind in ["model-documentation", "annex-xi", "annex-xii"] {
        let (doc, _) = report_json(release.path(), &["--kind", kind]);
        let listed: Vec<&str> = doc["not_declared"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        for field in ["model.license.spdx", "model.modalities", "datasets"] {
            if kind == "model-documentation" && field == "model.modalities" {
                continue;
            }
            assert!(listed.contains(&field), "{kind}: {field} in {listed:?}");
        }
        // Each not-declared value names its field, and only such fields are listed.
        for (_, i) in items(&doc) {
            if i["value"]["type"] == "not_declared" {
                let field = i["value"]["field"].as_str().unwrap();
                assert!(listed.contains(&field), "{kind}: {field}");
            }
        }
    }
    // The counted parameters are still there: they come from the weights, not the declaration.
    let (doc, _) = report_json(
        release.path(),
        &["--kind", "model-documentation", "--audience", "ai-office"],
    );
    let all = items(&doc);
    assert_eq!(
        text(item(&all, "Exact number of parameters")),
        "158,016 (counted in the weights)"
    );
}

#[test]
fn every_form_is_deterministic_and_valid_against_the_report_schema() {
    let out_dir = tempfile::tempdir().unwrap();
    let mut written = Vec::new();
    for (name, release, _) in releases() {
        let dir = release.path();
        let mut runs: Vec<Vec<&str>> = vec![
            vec!["--kind", "annex-xi"],
            vec!["--kind", "annex-xii"],
            vec!["--kind", "model-documentation"],
        ];
        for a in AUDIENCES {
            runs.push(vec!["--kind", "model-documentation", "--audience", a]);
        }
        for args in runs {
            let (_, first) = report_json(dir, &args);
            let (_, second) = report_json(dir, &args);
            assert_eq!(first, second, "{name} {args:?}: the same bytes twice");
            let md1 = report(dir, &args);
            assert_eq!(md1, report(dir, &args), "{name} {args:?}");
            // No absolute path reaches a document.
            assert!(!first.contains(dir.to_str().unwrap()));
            assert!(!md1.contains(dir.to_str().unwrap()));
            let path = out_dir.path().join(format!("{}.json", written.len()));
            std::fs::write(&path, &first).unwrap();
            written.push(path);
        }
    }
    crate::common::assert_report_schema(&written);
}

#[test]
fn an_audience_is_refused_for_a_document_that_has_none() {
    let release = release_with(&std::fs::read_to_string(demo().join("scelle.yaml")).unwrap());
    let dir = release.path().to_str().unwrap();
    for kind in ["annex-xi", "annex-xii", "training-summary", "audit"] {
        run(&["report", dir, "--kind", kind, "--audience", "downstream"]).error(&format!(
            "`--audience` applies to `--kind model-documentation` only, not `--kind {kind}`"
        ));
    }
}

#[test]
fn the_inference_benchmark_goes_to_the_ai_office_with_two_figures_its_task_and_hardware() {
    let declaration = std::fs::read_to_string(demo().join("scelle.yaml"))
        .unwrap()
        .replace(
            "  data_tokens_total: 2.0e9\n",
            "  data_tokens_total: 2.0e9\n  inference: {flops: 5.126e17, task: generating 100000 tokens, hardware: 64 A100s}\n",
        );
    assert!(
        declaration.contains("inference:"),
        "the demo's training section moved"
    );
    let release = release_with(&declaration);
    let label = "Benchmarked amount of computation used for inference";
    let (doc, _) = report_json(
        release.path(),
        &["--kind", "model-documentation", "--audience", "ai-office"],
    );
    // 5.126e17 at two significant figures is 5.1 × 10^17.
    assert_eq!(
        text(item(&items(&doc), label)),
        "5.1 × 10^17 FLOP; task: generating 100000 tokens; hardware: 64 A100s"
    );
    // Not declared: said so, and (report_json checks) warned once.
    let plain = release_with(&std::fs::read_to_string(demo().join("scelle.yaml")).unwrap());
    let (doc, _) = report_json(
        plain.path(),
        &["--kind", "model-documentation", "--audience", "ai-office"],
    );
    assert_eq!(item(&items(&doc), label)["value"]["type"], "not_declared");
    assert!(
        doc["not_declared"]
            .as_array()
            .unwrap()
            .contains(&Value::from("training.inference.flops"))
    );
}
