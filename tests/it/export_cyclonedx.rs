//! `scelle export --format cyclonedx`: the demo release as a CycloneDX 1.6 and 1.7 ML-BOM that
//! the official schema and cyclonedx-python-lib's strict validator accept, with the release's
//! facts where docs/export.md says. Expected digests are computed here from the bytes on disk,
//! expected declared facts are those written in `fixtures/demo/scelle.yaml`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{Release, Run, expected_root, run, run_cmd, scelle, sha256_hex, validate_sbom};

mod hostile;

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

/// `export INPUT --format cyclonedx --spec-version SPEC -o OUT` plus `extra`: the run and the
/// document it wrote.
fn export(input: &Path, spec: &str, out: &Path, extra: &[&str]) -> (Run, Value) {
    let mut args = vec![
        "export",
        input.to_str().unwrap(),
        "--format",
        "cyclonedx",
        "--spec-version",
        spec,
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let run = run(&args);
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    assert_eq!(run.stdout, "", "the document goes to the file");
    assert!(
        run.stderr.starts_with("completeness "),
        "stderr says how complete the export is:\n{}",
        run.stderr
    );
    let doc = serde_json::from_slice(&std::fs::read(out).unwrap()).unwrap();
    (run, doc)
}

fn assert_valid(spec: &str, path: &Path) {
    let (valid, text) = validate_sbom(&["cyclonedx", spec], path);
    assert!(valid, "{}:\n{text}", path.display());
    assert_eq!(text.trim(), "valid");
}

/// The value of the property `name` in `list` (a `properties` array).
fn property<'a>(list: &'a Value, name: &str) -> Option<&'a str> {
    list.as_array()?
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["value"].as_str())
}

fn component<'a>(doc: &'a Value, bom_ref: &str) -> &'a Value {
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["bom-ref"] == bom_ref)
        .unwrap_or_else(|| panic!("no component `{bom_ref}`"))
}

/// Every file under `dir` (relative path, bytes), skipping a signature bundle.
fn files_on_disk(dir: &Path) -> Vec<(String, Vec<u8>)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .to_owned();
                if rel != "scelle.sigstore.json" {
                    out.push((rel, std::fs::read(&path).unwrap()));
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out
}

/// Every `ref` and `dependsOn` of `dependencies`, and every `modelCard` dataset `ref`, names a
/// component of the document; every bom-ref is given once.
fn assert_references_resolve(doc: &Value) {
    let model = &doc["metadata"]["component"];
    let mut refs: Vec<&str> = vec![model["bom-ref"].as_str().unwrap()];
    for c in doc["components"].as_array().unwrap() {
        refs.push(c["bom-ref"].as_str().unwrap());
    }
    let mut unique = refs.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), refs.len(), "bom-refs are unique: {refs:?}");
    let mut used = Vec::new();
    for d in doc["dependencies"].as_array().unwrap() {
        used.push(d["ref"].as_str().unwrap());
        for r in d["dependsOn"].as_array().into_iter().flatten() {
            used.push(r.as_str().unwrap());
        }
    }
    for d in model["modelCard"]["modelParameters"]["datasets"]
        .as_array()
        .into_iter()
        .flatten()
    {
        used.push(d["ref"].as_str().unwrap());
    }
    for r in used {
        assert!(refs.contains(&r), "`{r}` names no component");
    }
    // Each component is listed in the dependency graph, so a consumer sees it reached.
    let listed: Vec<&str> = doc["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["ref"].as_str().unwrap())
        .collect();
    for r in &refs {
        assert!(listed.contains(r), "`{r}` has no dependency entry");
    }
}

#[test]
fn the_demo_exports_as_cyclonedx_1_6_and_1_7_that_both_validators_accept() {
    let dir = tempfile::tempdir().unwrap();
    for spec in ["1.6", "1.7"] {
        let out = dir.path().join(format!("bom-{spec}.json"));
        let (_, doc) = export(&demo(), spec, &out, &[]);
        assert_eq!(doc["bomFormat"], "CycloneDX");
        assert_eq!(doc["specVersion"], spec);
        assert_eq!(doc["version"], 1);
        let tool = &doc["metadata"]["tools"]["components"][0];
        assert_eq!(tool["name"], "scelle");
        assert_eq!(tool["version"], env!("CARGO_PKG_VERSION"));
        // SOURCE_DATE_EPOCH=1700000000 (the tests' clock) is 2023-11-14T22:13:20Z.
        assert_eq!(doc["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
        assert_references_resolve(&doc);
        assert_valid(spec, &out);
    }
}

#[test]
fn a_broken_bom_is_reported_invalid() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bom.json");
    let (_, mut doc) = export(&demo(), "1.6", &out, &[]);
    assert_valid("1.6", &out);
    doc["metadata"]["component"]["modelCard"]["considerations"]["environmentalConsiderations"]["energyConsumptions"]
        [0]["activity"] = Value::from("vibing");
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    let (valid, text) = validate_sbom(&["cyclonedx", "1.6"], &broken);
    assert!(!valid, "{text}");
    assert!(text.contains("official schema 1.6"), "{text}");
    assert!(text.contains("cyclonedx-python-lib 1.6"), "{text}");
    assert!(text.contains("vibing"), "{text}");
}

/// The demo exported as CycloneDX 1.6.
fn demo_bom() -> Value {
    let dir = tempfile::tempdir().unwrap();
    export(&demo(), "1.6", &dir.path().join("bom.json"), &[]).1
}

#[test]
fn the_model_carries_the_release_root_its_provider_and_licence() {
    let doc = demo_bom();
    let model = &doc["metadata"]["component"];
    // The model's digest is the release's root, as `scan` and an independent computation say.
    let files = files_on_disk(&demo());
    let borrowed: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (p.as_str(), &b[..])).collect();
    let root = expected_root(&borrowed);
    let scan = run(&["scan", demo().to_str().unwrap()]);
    assert_eq!(scan.code, 0, "{}", scan.stderr);
    assert_eq!(scan.json()["predicate"]["root"]["sha256"], root.as_str());
    assert_eq!(model["type"], "machine-learning-model");
    assert_eq!(model["name"], "tiny-llama-fr-en");
    assert_eq!(model["version"], "1.0");
    assert_eq!(
        model["hashes"],
        serde_json::json!([{"alg": "SHA-256", "content": root}])
    );
    assert_eq!(model["supplier"]["name"], "Petit Labo SARL");
    assert_eq!(model["supplier"]["url"][0], "https://petit-labo.example");
    assert_eq!(
        model["manufacturer"]["contact"][0]["email"],
        "contact@petit-labo.example"
    );
    assert_eq!(
        model["licenses"],
        serde_json::json!([{"license": {"id": "Apache-2.0"}}])
    );
    assert_eq!(
        property(&model["properties"], "scelle:root-sha256"),
        Some(root.as_str())
    );
    assert_eq!(
        property(&model["properties"], "scelle:verified"),
        Some("false")
    );
}

#[test]
fn every_file_of_the_release_is_a_component_with_its_digest() {
    let doc = demo_bom();
    let files = files_on_disk(&demo());
    // Every file, with the digest of its bytes, in the manifest's order.
    let components = doc["components"].as_array().unwrap();
    let file_components: Vec<&Value> = components.iter().filter(|c| c["type"] == "file").collect();
    assert_eq!(file_components.len(), files.len());
    for (path, bytes) in &files {
        let c = file_components
            .iter()
            .find(|c| c["name"] == path.as_str())
            .unwrap_or_else(|| panic!("`{path}` is not a component"));
        assert_eq!(c["hashes"][0]["alg"], "SHA-256");
        assert_eq!(c["hashes"][0]["content"], sha256_hex(bytes).as_str());
        assert_eq!(
            property(&c["properties"], "scelle:size"),
            Some(bytes.len().to_string().as_str())
        );
    }
    let names: Vec<&str> = file_components
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort_by_key(|p| p.split('/').collect::<Vec<_>>());
    assert_eq!(names, sorted, "files in manifest order");
}

#[test]
fn every_declared_dataset_is_a_data_component_with_its_licence() {
    let doc = demo_bom();
    let model = &doc["metadata"]["component"];
    // Every declared dataset, in declaration order, with its licence when it has one.
    let components = doc["components"].as_array().unwrap();
    let datasets: Vec<&Value> = components.iter().filter(|c| c["type"] == "data").collect();
    let ids: Vec<&str> = datasets
        .iter()
        .map(|d| property(&d["properties"], "scelle:dataset:id").unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "distill-exemple-8b",
            "wikipedia-fr-2025-09",
            "petitbot-crawl-2026",
            "eval-fr-en"
        ]
    );
    let wiki = component(&doc, "dataset:wikipedia-fr-2025-09");
    assert_eq!(wiki["name"], "French Wikipedia, September 2025 dump");
    assert_eq!(
        wiki["licenses"],
        serde_json::json!([{"license": {"id": "CC-BY-SA-4.0"}}])
    );
    assert_eq!(wiki["data"][0]["type"], "dataset");
    assert_eq!(
        wiki["data"][0]["contents"]["url"],
        "https://dumps.wikimedia.org/frwiki/"
    );
    assert_eq!(
        wiki["data"][0]["sensitiveData"][0],
        "names of public figures"
    );
    assert_eq!(
        wiki["data"][0]["governance"]["owners"][0]["organization"]["name"],
        "Wikimedia Foundation"
    );
    assert_eq!(
        property(&wiki["properties"], "scelle:dataset:size:tokens"),
        Some("200000000")
    );
    let crawl = component(&doc, "dataset:petitbot-crawl-2026");
    assert!(
        crawl.get("licenses").is_none(),
        "no licence was declared for the crawl"
    );
    assert_eq!(
        property(&crawl["properties"], "scelle:dataset:lawful-basis"),
        Some("legitimate_interests")
    );
    let eval = component(&doc, "dataset:eval-fr-en");
    let eval_deps = doc["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ref"] == "dataset:eval-fr-en")
        .unwrap();
    assert_eq!(
        eval_deps["dependsOn"],
        serde_json::json!(["file:data/eval/eval-fr-en.jsonl"])
    );
    assert_eq!(eval["data"][0]["classification"], "no personal data");
    let card_datasets: Vec<&str> = model["modelCard"]["modelParameters"]["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["ref"].as_str().unwrap())
        .collect();
    assert_eq!(card_datasets.len(), 4);
}

#[test]
fn the_base_model_is_the_ancestor() {
    let doc = demo_bom();
    let model = &doc["metadata"]["component"];
    // The base model is the model's ancestor.
    let ancestors = model["pedigree"]["ancestors"].as_array().unwrap();
    assert_eq!(ancestors.len(), 1);
    let base = &ancestors[0];
    assert_eq!(base["name"], "exemple-ia/exemple-8b");
    assert_eq!(base["version"], "1.0");
    assert_eq!(base["supplier"]["name"], "Exemple IA SAS");
    assert_eq!(base["licenses"][0]["license"]["id"], "Apache-2.0");
    assert_eq!(
        property(&base["properties"], "scelle:base-model:relation"),
        Some("distillation")
    );
    assert_eq!(
        property(&base["properties"], "scelle:training-flops"),
        Some("320000000000000000000000")
    );
}

#[test]
fn the_model_card_holds_the_declared_and_scanned_facts() {
    let doc = demo_bom();
    let model = &doc["metadata"]["component"];
    // The model card.
    let card = &model["modelCard"];
    let params = &card["modelParameters"];
    assert!(
        params.get("approach").is_none(),
        "nothing says how it learned"
    );
    assert_eq!(params["task"], "demonstrating scelle");
    assert_eq!(params["architectureFamily"], "llama");
    assert_eq!(params["modelArchitecture"], "LlamaForCausalLM");
    assert_eq!(params["inputs"], serde_json::json!([{"format": "text"}]));
    let energy = &card["considerations"]["environmentalConsiderations"]["energyConsumptions"][0];
    assert_eq!(energy["activity"], "training");
    assert_eq!(energy["activityEnergyCost"]["value"], 1.0);
    assert_eq!(energy["activityEnergyCost"]["unit"], "kWh");
    assert_eq!(
        energy["energyProviders"][0]["organization"]["name"],
        "Petit Labo office"
    );
    assert_eq!(energy["energyProviders"][0]["energySource"], "unknown");
    assert_eq!(
        card["considerations"]["useCases"][0],
        "demonstrating scelle"
    );
    let ethical = card["considerations"]["ethicalConsiderations"]
        .as_array()
        .unwrap();
    assert_eq!(ethical.len(), 2, "the two datasets with personal data");
    assert_eq!(
        property(&card["properties"], "scelle:parameters"),
        Some("158016")
    );
    assert_eq!(
        property(&card["properties"], "scelle:training-flops"),
        Some("1900000000000000")
    );
}

#[test]
fn a_signed_demo_names_its_signer_and_its_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let release = dir.path().join("demo");
    for (rel, bytes) in files_on_disk(&demo()) {
        let path = release.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    let key = dir.path().join("publisher");
    run(&["keygen", "-o", key.to_str().unwrap(), "-q"]).success();
    let sign = run(&[
        "sign",
        release.to_str().unwrap(),
        "--key",
        &format!("{}.key", key.display()),
    ]);
    assert_eq!(sign.code, 0, "{}", sign.stderr);
    let said = format!("{}{}", sign.stdout, sign.stderr);
    let key_id = said
        .split("key ")
        .nth(1)
        .and_then(|rest| rest.split(':').next())
        .unwrap()
        .trim()
        .to_owned();
    assert_eq!(key_id.len(), 64, "{said}");
    let out = dir.path().join("bom.json");
    let public = format!("{}.pub", key.display());
    let (_, doc) = export(&release, "1.7", &out, &["--key", &public]);
    assert_valid("1.7", &out);
    let model = &doc["metadata"]["component"];
    let props = &model["properties"];
    assert_eq!(property(props, "scelle:verified"), Some("true"));
    assert_eq!(property(props, "scelle:signer:method"), Some("key"));
    assert_eq!(
        property(props, "scelle:signer:identity"),
        Some(key_id.as_str())
    );
    assert_eq!(property(props, "scelle:files-match"), Some("true"));
    let attestation: Vec<&Value> = model["externalReferences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["type"] == "attestation")
        .collect();
    assert_eq!(attestation.len(), 1);
    assert_eq!(attestation[0]["url"], "scelle.sigstore.json");
    assert!(release.join("scelle.sigstore.json").is_file());
    assert!(
        !std::fs::read_to_string(&out)
            .unwrap()
            .contains(dir.path().to_str().unwrap()),
        "no absolute path in the document"
    );
}

#[test]
fn the_same_release_gives_the_same_bytes_and_another_version_another_serial() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (
        dir.path().join("a.json"),
        dir.path().join("b.json"),
        dir.path().join("c.json"),
    );
    let (_, first) = export(&demo(), "1.6", &a, &[]);
    export(&demo(), "1.6", &b, &[]);
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let (_, other) = export(&demo(), "1.7", &c, &[]);
    let serial = first["serialNumber"].as_str().unwrap();
    assert!(serial.starts_with("urn:uuid:"), "{serial}");
    assert_ne!(first["serialNumber"], other["serialNumber"]);
    // Another clock changes the timestamp only.
    let d = dir.path().join("d.json");
    let later = run_cmd(scelle().env("SOURCE_DATE_EPOCH", "1800000000").args([
        "export",
        demo().to_str().unwrap(),
        "--format",
        "cyclonedx",
        "-o",
        d.to_str().unwrap(),
    ]));
    assert_eq!(later.code, 0, "{}", later.stderr);
    let later: Value = serde_json::from_slice(&std::fs::read(&d).unwrap()).unwrap();
    assert_eq!(later["metadata"]["timestamp"], "2027-01-15T08:00:00Z");
    assert_eq!(later["serialNumber"], first["serialNumber"]);
}

/// A pickle that calls `os.system` when loaded (bytes written here, never executed).
const EVIL_PICKLE: &[u8] = b"\x80\x02cos\nsystem\nq\x00X\x02\x00\x00\x00idq\x01\x85q\x02Rq\x03.";

#[test]
fn a_minimal_release_with_a_pickle_that_runs_code_exports_with_its_finding() {
    let r = Release::new();
    r.file("legacy/evil.pkl", EVIL_PICKLE);
    r.file("notes with spaces.txt", "hello\n");
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("bom.json");
    let (_, doc) = export(r.path(), "1.6", &path, &[]);
    assert_valid("1.6", &path);
    let model = &doc["metadata"]["component"];
    assert_eq!(
        model["name"],
        r.path().file_name().unwrap().to_str().unwrap(),
        "with no declaration the model is named after its folder"
    );
    for absent in [
        "version",
        "licenses",
        "supplier",
        "pedigree",
        "externalReferences",
    ] {
        assert!(model.get(absent).is_none(), "`{absent}` was not declared");
    }
    let evil = component(&doc, "file:legacy/evil.pkl");
    assert_eq!(
        evil["hashes"][0]["content"],
        sha256_hex(EVIL_PICKLE).as_str()
    );
    let finding = property(&evil["properties"], "scelle:finding").unwrap();
    assert!(finding.starts_with("file/code-on-load "), "{finding}");
    assert!(finding.contains("os.system"), "{finding}");
    let notes = component(&doc, "file:notes with spaces.txt");
    assert!(property(&notes["properties"], "scelle:finding").is_none());
    assert_references_resolve(&doc);
}

#[test]
fn evaluation_results_limitations_and_emissions_reach_the_model_card() {
    let r = Release::new();
    r.file("config.json", "{}\n");
    r.file(
        "scelle.yaml",
        "model:\n  name: evaluated\n  architecture: {description: a small transformer}\ntraining:\n  energy: {kwh: 250}\n  emissions: {kg_co2e: 12.5}\nevaluation:\n  results:\n    - {benchmark: fr-quiz, metric: accuracy, value: 0.75}\n    - {benchmark: en-quiz, metric: exact match, value: 12}\n  limitations: \"short answers only;\\nno code\"\n",
    );
    let out = tempfile::tempdir().unwrap();
    let path = out.path().join("bom.json");
    let (_, doc) = export(r.path(), "1.6", &path, &[]);
    assert_valid("1.6", &path);
    let card = &doc["metadata"]["component"]["modelCard"];
    assert_eq!(
        card["quantitativeAnalysis"]["performanceMetrics"],
        serde_json::json!([
            {"type": "accuracy", "value": "0.75", "slice": "fr-quiz"},
            {"type": "exact match", "value": "12", "slice": "en-quiz"},
        ])
    );
    assert_eq!(
        card["considerations"]["technicalLimitations"],
        serde_json::json!(["short answers only;\nno code"])
    );
    // No scanned architecture: the declared description stands in.
    assert_eq!(
        card["modelParameters"]["modelArchitecture"],
        "a small transformer"
    );
    let energy = &card["considerations"]["environmentalConsiderations"]["energyConsumptions"][0];
    assert_eq!(energy["activityEnergyCost"]["value"], 250.0);
    // 12.5 kg is 0.0125 t, the schema's only unit.
    assert_eq!(
        energy["co2CostEquivalent"],
        serde_json::json!({"value": 0.0125, "unit": "tCO2eq"})
    );
    // Where it was trained is not declared: the schema's required list stays empty.
    assert_eq!(energy["energyProviders"], serde_json::json!([]));
}
