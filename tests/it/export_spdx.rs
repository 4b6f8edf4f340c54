//! `scelle export --format spdx`: the SPDX 3.0.1 document validates with the official tools
//! (spdx3-validate: JSON schema and SHACL shapes, offline), the validator rejects a broken one,
//! and the demo's declared and scanned facts land where docs/export.md says. Each validation
//! takes seconds, so each test validates one document.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{Release, run, run_cmd, scelle, sha256_hex, validate_sbom};

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

fn path(p: &Path) -> String {
    p.to_str().unwrap().to_owned()
}

/// Exports `input` (with `extra` arguments) and returns the document's text; the run succeeds
/// and says how complete the document is on stderr, after a warning at most.
fn export(input: &Path, extra: &[&str]) -> String {
    let input = path(input);
    let mut args = vec!["export", input.as_str(), "--format", "spdx"];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert_eq!(out.code, 0, "stderr:\n{}", out.stderr);
    let said = out
        .stderr
        .strip_prefix("warning: ")
        .and_then(|s| s.split_once('\n'))
        .map_or(out.stderr.as_str(), |(_, rest)| rest);
    assert!(said.starts_with("completeness "), "{}", out.stderr);
    assert!(!out.stderr.contains("error"), "{}", out.stderr);
    out.stdout
}

/// Writes `text` to a temporary file and validates it.
fn validate(text: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bom.spdx.json");
    std::fs::write(&file, text).unwrap();
    validate_sbom(&["spdx"], &file)
}

fn graph(doc: &Value) -> &Vec<Value> {
    doc["@graph"].as_array().unwrap()
}

fn of_type<'a>(doc: &'a Value, kind: &str) -> Vec<&'a Value> {
    graph(doc).iter().filter(|n| n["type"] == kind).collect()
}

fn by_id<'a>(doc: &'a Value, id: &str) -> &'a Value {
    graph(doc)
        .iter()
        .find(|n| n["spdxId"] == id)
        .unwrap_or_else(|| panic!("no element {id}"))
}

/// The model's package: the document's root element.
fn package(doc: &Value) -> &Value {
    let document = &of_type(doc, "SpdxDocument")[0];
    let root = document["rootElement"][0].as_str().unwrap();
    by_id(doc, root)
}

/// The targets of the relationships of `kind` from `from`.
fn targets<'a>(doc: &'a Value, from: &str, kind: &str) -> Vec<&'a Value> {
    of_type(doc, "Relationship")
        .into_iter()
        .filter(|r| r["from"] == from && r["relationshipType"] == kind)
        .flat_map(|r| r["to"].as_array().unwrap())
        .map(|id| by_id(doc, id.as_str().unwrap()))
        .collect()
}

/// The `scelle:` properties of an element, as (name, value) pairs.
fn properties(element: &Value) -> Vec<(String, String)> {
    element["extension"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|e| e["extension_cdxProperty"].as_array().unwrap())
        .map(|p| {
            (
                p["extension_cdxPropName"].as_str().unwrap().to_owned(),
                p["extension_cdxPropValue"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn property(element: &Value, name: &str) -> Option<String> {
    properties(element)
        .into_iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v)
}

fn sha256_of(element: &Value) -> &str {
    let hashes = element["verifiedUsing"].as_array().unwrap();
    assert_eq!(hashes.len(), 1, "{element}");
    assert_eq!(hashes[0]["algorithm"], "sha256");
    hashes[0]["hashValue"].as_str().unwrap()
}

fn license_of<'a>(doc: &'a Value, element: &Value) -> Vec<&'a str> {
    targets(
        doc,
        element["spdxId"].as_str().unwrap(),
        "hasDeclaredLicense",
    )
    .into_iter()
    .map(|l| l["simplelicensing_licenseExpression"].as_str().unwrap())
    .collect()
}

/// Every regular file under `root`, relative with `/`, except the ones scelle never seals.
fn files_under(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            files_under(root, &p, out);
        } else {
            let rel = p.strip_prefix(root).unwrap().to_str().unwrap().to_owned();
            out.push(rel.replace('\\', "/"));
        }
    }
}

#[test]
fn the_demo_export_validates_and_carries_the_declared_and_scanned_facts() {
    let text = export(&demo(), &[]);
    let (valid, report) = validate(&text);
    assert!(valid, "{report}");
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        doc["@context"],
        "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    );
    let info = &of_type(&doc, "CreationInfo")[0];
    assert_eq!(info["specVersion"], "3.0.1");
    // SOURCE_DATE_EPOCH=1700000000, as common::scelle pins it.
    assert_eq!(info["created"], "2023-11-14T22:13:20Z");
    assert!(
        !text.contains(env!("CARGO_MANIFEST_DIR")),
        "no absolute path"
    );

    check_model(&doc);
    check_files(&doc);
    check_datasets(&doc);
    check_base_model(&doc);
    check_elements(&doc);
}

/// The model's package: the root digest, the declared facts, energy and figures.
fn check_model(doc: &Value) {
    // The package's digest is the root digest `scelle scan` records.
    let manifest = run(&["scan", &path(&demo())]).json();
    let root = manifest["predicate"]["root"]["sha256"].as_str().unwrap();
    let model = package(doc);
    assert_eq!(model["type"], "ai_AIPackage");
    assert_eq!(sha256_of(model), root);
    assert_eq!(model["name"], "tiny-llama-fr-en");
    assert_eq!(model["software_packageVersion"], "1.0");
    assert_eq!(model["releaseTime"], "2026-10-15T00:00:00Z");
    assert_eq!(
        model["software_downloadLocation"],
        "https://huggingface.co/petit-labo/tiny-llama-fr-en"
    );
    assert_eq!(model["software_primaryPurpose"], "model");
    let supplier = by_id(doc, model["suppliedBy"].as_str().unwrap());
    assert_eq!(supplier["type"], "Organization");
    assert_eq!(supplier["name"], "Petit Labo SARL");
    assert_eq!(license_of(doc, model), ["Apache-2.0"]);

    // Energy: 1.0 kWh of training, declared under training.energy.kwh.
    let energy = &model["ai_energyConsumption"]["ai_trainingEnergyConsumption"][0];
    assert_eq!(energy["ai_energyUnit"], "kilowattHour");
    let kwh: f64 = energy["ai_energyQuantity"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((kwh - 1.0).abs() < f64::EPSILON, "{kwh}");
    let hyper: Vec<(&str, &str)> = model["ai_hyperparameter"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["key"].as_str().unwrap(), e["value"].as_str().unwrap()))
        .collect();
    assert!(
        hyper.contains(&("scelle:parameters", "158016")),
        "{hyper:?}"
    );
    assert!(hyper.contains(&("scelle:training-flops", "1900000000000000")));
    assert!(hyper.contains(&("scelle:training-tokens", "2000000000")));
    // config.json: num_hidden_layers 2, hidden_size 64.
    assert!(
        hyper.contains(&("scelle:architecture:layers", "2")),
        "{hyper:?}"
    );
    assert!(hyper.contains(&("scelle:architecture:hidden_size", "64")));
    assert!(
        model["ai_typeOfModel"]
            .as_array()
            .unwrap()
            .contains(&Value::from("llama"))
    );
    assert_eq!(
        model["ai_informationAboutApplication"],
        "demonstrating scelle"
    );
    // Two of the datasets declare personal data.
    assert_eq!(model["ai_useSensitivePersonalInformation"], "yes");
    assert_eq!(property(model, "scelle:root-sha256").as_deref(), Some(root));
    assert_eq!(property(model, "scelle:verified").as_deref(), Some("false"));
}

/// Every file of the demo, with its digest.
fn check_files(doc: &Value) {
    let model = package(doc);
    // Every file, with its SHA-256 computed here from the file itself.
    let mut expected = Vec::new();
    files_under(&demo(), &demo(), &mut expected);
    let contained = targets(doc, model["spdxId"].as_str().unwrap(), "contains");
    let mut names: Vec<&str> = contained
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    expected.sort();
    assert_eq!(names, expected);
    for file in &contained {
        assert_eq!(file["type"], "software_File");
        let name = file["name"].as_str().unwrap();
        let bytes = std::fs::read(demo().join(name)).unwrap();
        assert_eq!(sha256_of(file), sha256_hex(&bytes), "{name}");
        assert_eq!(
            property(file, "scelle:size"),
            Some(bytes.len().to_string()),
            "{name}"
        );
        let purpose = file["software_primaryPurpose"].as_str().unwrap();
        if name.ends_with(".safetensors") {
            assert_eq!(purpose, "model", "{name}");
        }
        if name.starts_with("docs/") {
            assert_eq!(purpose, "documentation", "{name}");
        }
    }
}

/// The datasets and how the model uses them.
fn check_datasets(doc: &Value) {
    let model = package(doc);
    // Each dataset, with its licence, linked as its role says (three pre-training sets, one
    // evaluation set).
    let id = model["spdxId"].as_str().unwrap();
    let trained: Vec<&str> = targets(doc, id, "trainedOn")
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    let tested: Vec<&str> = targets(doc, id, "testedOn")
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        trained,
        [
            "Answers of exemple-8b to French and English prompts",
            "French Wikipedia, September 2025 dump",
            "PetitBot crawl of French forums"
        ]
    );
    assert_eq!(tested, ["Held-out questions"]);
    let datasets = of_type(doc, "dataset_DatasetPackage");
    assert_eq!(datasets.len(), 4);
    let wikipedia = datasets
        .iter()
        .find(|d| d["name"] == "French Wikipedia, September 2025 dump")
        .unwrap();
    assert_eq!(license_of(doc, wikipedia), ["CC-BY-SA-4.0"]);
    assert_eq!(
        wikipedia["dataset_datasetType"],
        serde_json::json!(["text"])
    );
    assert_eq!(wikipedia["dataset_hasSensitivePersonalInformation"], "yes");
    assert_eq!(
        wikipedia["software_downloadLocation"],
        "https://dumps.wikimedia.org/frwiki/"
    );
    let publisher = by_id(doc, wikipedia["originatedBy"][0].as_str().unwrap());
    assert_eq!(publisher["name"], "Wikimedia Foundation");
    let eval = datasets
        .iter()
        .find(|d| d["name"] == "Held-out questions")
        .unwrap();
    assert_eq!(eval["dataset_hasSensitivePersonalInformation"], "no");
    assert!(license_of(doc, eval).is_empty(), "no licence declared");
    // Its declared `path` holds one file of the release.
    let own: Vec<&str> = targets(doc, eval["spdxId"].as_str().unwrap(), "contains")
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(own, ["data/eval/eval-fr-en.jsonl"]);
}

fn check_base_model(doc: &Value) {
    let id = package(doc)["spdxId"].as_str().unwrap();
    // The base model, which this one descends from.
    let bases = targets(doc, id, "descendantOf");
    assert_eq!(bases.len(), 1);
    assert_eq!(bases[0]["type"], "ai_AIPackage");
    assert_eq!(bases[0]["name"], "exemple-ia/exemple-8b");
    assert_eq!(license_of(doc, bases[0]), ["Apache-2.0"]);
    assert_eq!(
        property(bases[0], "scelle:base-model:relation").as_deref(),
        Some("distillation")
    );
}

fn check_elements(doc: &Value) {
    // The document lists every element but itself, and each once.
    let document = &of_type(doc, "SpdxDocument")[0];
    let listed = document["element"].as_array().unwrap();
    let elements: Vec<&Value> = graph(doc)
        .iter()
        .filter(|n| n.get("spdxId").is_some() && n["type"] != "SpdxDocument")
        .map(|n| &n["spdxId"])
        .collect();
    assert_eq!(listed.len(), elements.len());
    assert!(elements.iter().all(|e| listed.contains(e)));
}

#[test]
fn the_validator_rejects_a_dataset_without_its_type_and_a_unit_outside_the_enum() {
    let text = export(&demo(), &[]);
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    for node in doc["@graph"].as_array_mut().unwrap() {
        if node["type"] == "dataset_DatasetPackage" {
            node.as_object_mut().unwrap().remove("dataset_datasetType");
        }
        if node["type"] == "ai_AIPackage"
            && let Some(e) =
                node.pointer_mut("/ai_energyConsumption/ai_trainingEnergyConsumption/0")
        {
            e["ai_energyUnit"] = Value::from("horsepower");
        }
    }
    let (valid, report) = validate(&serde_json::to_string_pretty(&doc).unwrap());
    assert!(!valid, "a broken document passed:\n{report}");
    assert!(report.contains("datasetType"), "{report}");
    assert!(report.contains("horsepower"), "{report}");
}

#[test]
fn the_same_release_exports_the_same_bytes() {
    let first = export(&demo(), &[]);
    let second = export(&demo(), &[]);
    assert_eq!(first, second);
    let later = run_cmd(
        scelle()
            .args(["export", &path(&demo()), "--format", "spdx"])
            .env("SOURCE_DATE_EPOCH", "1800000000"),
    );
    assert_eq!(later.code, 0, "{}", later.stderr);
    assert_ne!(
        later.stdout, first,
        "the creation time follows SOURCE_DATE_EPOCH"
    );
    let doc: Value = later.json();
    assert_eq!(
        of_type(&doc, "CreationInfo")[0]["created"],
        "2027-01-15T08:00:00Z"
    );
}

#[test]
fn a_signed_demo_exported_with_its_key_names_the_signer() {
    let dir = tempfile::tempdir().unwrap();
    let release = dir.path().join("demo");
    copy_dir(&demo(), &release);
    let key = dir.path().join("publisher");
    run(&["keygen", "-o", &path(&key), "-q"]).success();
    run(&[
        "sign",
        &path(&release),
        "--key",
        &path(&key.with_extension("key")),
        "-q",
    ])
    .success();
    let public = path(&key.with_extension("pub"));
    let text = export(&release, &["--key", &public]);
    let (valid, report) = validate(&text);
    assert!(valid, "{report}");
    let doc: Value = serde_json::from_str(&text).unwrap();
    let model = package(&doc);
    assert_eq!(property(model, "scelle:verified").as_deref(), Some("true"));
    assert_eq!(
        property(model, "scelle:signer:method").as_deref(),
        Some("key")
    );
    assert_eq!(
        property(model, "scelle:files-match").as_deref(),
        Some("true")
    );
    let identity = property(model, "scelle:signer:identity").unwrap();
    assert_eq!(identity.len(), 64, "a key id: {identity}");
    assert!(property(model, "scelle:bundle").is_some());
    // A verified export is a different document from the unverified one of the same release.
    let unverified: Value = serde_json::from_str(&export(&release, &[])).unwrap();
    assert_ne!(
        of_type(&unverified, "SpdxDocument")[0]["spdxId"],
        of_type(&doc, "SpdxDocument")[0]["spdxId"]
    );
}

#[test]
fn a_release_without_a_declaration_exports_only_what_was_scanned() {
    let r = Release::new();
    r.file("README.md", "a model\n");
    r.file("config.json", "{}");
    let text = export(r.path(), &[]);
    let (valid, report) = validate(&text);
    assert!(valid, "{report}");
    let doc: Value = serde_json::from_str(&text).unwrap();
    let model = package(&doc);
    let folder = r.path().file_name().unwrap().to_str().unwrap();
    assert_eq!(model["name"], folder);
    for field in [
        "suppliedBy",
        "releaseTime",
        "software_downloadLocation",
        "software_packageVersion",
        "ai_energyConsumption",
        "ai_useSensitivePersonalInformation",
        "ai_informationAboutTraining",
    ] {
        assert!(model.get(field).is_none(), "{field} was not declared");
    }
    assert!(of_type(&doc, "dataset_DatasetPackage").is_empty());
    assert!(of_type(&doc, "simplelicensing_LicenseExpression").is_empty());
    let profiles = &of_type(&doc, "SpdxDocument")[0]["profileConformance"];
    assert_eq!(profiles, &serde_json::json!(["core", "software", "ai"]));
    assert_eq!(of_type(&doc, "software_File").len(), 2);
}

#[test]
fn hostile_declared_strings_still_make_a_valid_document() {
    let r = Release::new();
    r.file("README.md", "x");
    r.file(
        "scelle.yaml",
        r#"
provider:
  legal_name: "Evil \"Corp\"\n<script>alert(1)</script>"
model:
  name: "line one\nline two \u0000 nul \U0001F600 \u202e"
  version: "1.0\r\n"
  release_date: 2026-02-28
  openness: {download_url: "javascript:alert(1)"}
  distribution_channels: [{type: other, url: "https://ok.example/a b"}]
  architecture: {family: "", kind: moe}
  intended_tasks: ["a\nb", ""]
  integration_types: ["spdxId", "@id"]
  base_models:
    - {name: "base\nmodel", license: "Apache-2.0", provider: "Evil \"Corp\"\n<script>alert(1)</script>"}
    - {version: "no name"}
training:
  methodology: "_:creationinfo"
evaluation:
  results: [{benchmark: "b\n", value: 0.5}, {value: 3}, {metric: "@type", value: 1e300}]
  limitations: "urn:uuid:x"
datasets:
  - {id: "d1", modality: multimodal, source_url: "ftp://x", personal_data: {present: unknown, anonymisation_method: "k\n"}, size: {bytes: 9007199254740991}, license: {spdx: "CC0-1.0"}, publisher: "Evil \"Corp\"\n<script>alert(1)</script>"}
  - {name: "spdxId", role: eval, collection_process: "@graph"}
"#,
    );
    let text = export(r.path(), &[]);
    let (valid, report) = validate(&text);
    assert!(valid, "{report}");
    let doc: Value = serde_json::from_str(&text).unwrap();
    let model = package(&doc);
    assert_eq!(
        model["name"],
        "line one\nline two \u{0} nul \u{1F600} \u{202e}"
    );
    // Neither the script URL nor the URL with a space is a download location.
    assert!(model.get("software_downloadLocation").is_none());
    assert_eq!(model["releaseTime"], "2026-02-28T00:00:00Z");
    // The provider and the dataset's publisher are the same agent.
    let datasets = of_type(&doc, "dataset_DatasetPackage");
    assert_eq!(datasets.len(), 2);
    assert_eq!(datasets[0]["originatedBy"][0], model["suppliedBy"]);
    assert_eq!(
        datasets[0]["dataset_datasetType"],
        serde_json::json!(["other"])
    );
    assert_eq!(
        datasets[0]["dataset_hasSensitivePersonalInformation"],
        "noAssertion"
    );
    assert!(datasets[0].get("software_downloadLocation").is_none());
    assert_eq!(
        datasets[1]["dataset_datasetType"],
        serde_json::json!(["noAssertion"])
    );
    // Personal data is not known to be in any dataset: no assertion, never a `no`.
    assert_eq!(model["ai_useSensitivePersonalInformation"], "noAssertion");
    // A base model without a name is not an element.
    assert_eq!(of_type(&doc, "ai_AIPackage").len(), 2);
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let p = entry.unwrap().path();
        let target = to.join(p.file_name().unwrap());
        if p.is_dir() {
            copy_dir(&p, &target);
        } else {
            std::fs::copy(&p, &target).unwrap();
        }
    }
}
