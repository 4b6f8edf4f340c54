//! `export --format cyclonedx` of what an attacker can write: declared strings that are not what
//! their field says (URLs with spaces or newlines, duplicate ids, ids that look like another
//! component's reference) and an unsigned manifest whose declaration has the wrong types. Each
//! still gives a document both validators accept, without the values that would break it.

use serde_json::Value;

use super::{assert_references_resolve, assert_valid, component, export, property};
use crate::common::{Release, run};

#[test]
fn hostile_declared_strings_still_give_a_valid_bom() {
    let r = Release::new();
    r.file("config.json", "{}\n");
    r.file(
        "scelle.yaml",
        r#"provider:
  legal_name: "Evil\nCorp <script>"
  contact: {email: "not an email", url: "https://exa mple.org/\nnext"}
model:
  name: "two\nlines"
  version: "1.0"
  distribution_channels:
    - {type: other, url: "https://[::1"}
    - {type: other, url: "javascript:alert(1) "}
  base_models:
    - {name: twin, license: LicenseRef-mine}
    - {name: twin, license: LicenseRef-mine}
  license: {spdx: LicenseRef-custom, url: "http://host:port/"}
  openness: {download_url: "https://ok.example/%zz"}
  intended_tasks: ["a\nb"]
datasets:
  - {id: same, source_url: "ftp://a b", license: {spdx: "Apache-2.0 OR MIT"}}
  - {id: same, name: duplicate}
  - {id: "file:config.json"}
"#,
    );
    let out = tempfile::tempdir().unwrap();
    for spec in ["1.6", "1.7"] {
        let path = out.path().join(format!("bom-{spec}.json"));
        let (_, doc) = export(r.path(), spec, &path, &[]);
        assert_valid(spec, &path);
        assert_references_resolve(&doc);
        let model = &doc["metadata"]["component"];
        assert_eq!(model["name"], "two\nlines");
        assert!(
            model.get("externalReferences").is_none(),
            "no declared URL was a URL"
        );
        assert!(model["supplier"].get("url").is_none());
        assert!(model["supplier"].get("contact").is_none());
        assert_eq!(
            model["licenses"],
            serde_json::json!([{"expression": "LicenseRef-custom"}])
        );
        assert_eq!(model["pedigree"]["ancestors"].as_array().unwrap().len(), 1);
        let first = component(&doc, "dataset:same");
        assert_eq!(
            first["licenses"],
            serde_json::json!([{"expression": "Apache-2.0 OR MIT"}])
        );
        assert_eq!(
            property(&first["properties"], "scelle:dataset:source"),
            Some("ftp://a b")
        );
        assert!(first["data"][0].get("contents").is_none());
        assert_eq!(component(&doc, "dataset:same#2")["name"], "duplicate");
        assert_eq!(component(&doc, "dataset:file:config.json")["type"], "data");
    }
}

#[test]
fn a_crafted_manifest_with_declared_values_of_the_wrong_types_still_gives_a_valid_bom() {
    let r = Release::new();
    r.file(
        "config.json",
        "{\"architectures\": [\"LlamaForCausalLM\"]}\n",
    );
    r.file("scelle.yaml", "model:\n  name: crafted\n");
    let scan = run(&["scan", r.path().to_str().unwrap()]);
    assert_eq!(scan.code, 0, "{}", scan.stderr);
    let mut manifest = scan.json();
    // An unsigned manifest is read as it is: its declaration was never checked against the
    // schema of `scelle.yaml`.
    manifest["predicate"]["declared"] = serde_json::json!({
        "provider": {"legal_name": "P", "contact": "not a mapping"},
        "model": {
            "name": "crafted",
            "version": "v".repeat(2000),
            "license": {"spdx": 5, "url": ["x"]},
            "intended_tasks": "not a list",
            "base_models": [1, {"name": 2}, {"name": "twin", "digest": "zz"}, {"name": "twin", "digest": "zz"}],
        },
        "datasets": [null, "x", {"id": "", "name": ["a"], "path": "../..",
                     "personal_data": {"present": true, "categories": [1, "a"]}}],
        "evaluation": {"results": [null, "x", {"value": true}]},
        "training": {"energy": {"kwh": "lots"}, "hardware": {"facility": 5}},
    });
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("manifest.json");
    std::fs::write(&input, serde_json::to_vec(&manifest).unwrap()).unwrap();
    let out = dir.path().join("bom.json");
    let (_, doc) = export(&input, "1.6", &out, &[]);
    assert_valid("1.6", &out);
    assert_references_resolve(&doc);
    let model = &doc["metadata"]["component"];
    assert!(
        model.get("version").is_none(),
        "longer than the schema allows"
    );
    assert!(model.get("licenses").is_none());
    let ancestors = model["pedigree"]["ancestors"].as_array().unwrap();
    assert_eq!(ancestors.len(), 1, "{ancestors:?}");
    assert!(ancestors[0].get("hashes").is_none());
    assert_eq!(
        property(&ancestors[0]["properties"], "scelle:digest"),
        Some("zz")
    );
    let data: Vec<&Value> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "data")
        .collect();
    assert_eq!(data.len(), 1, "only the mapping declares a dataset");
    assert_eq!(data[0]["bom-ref"], "dataset:datasets[2]");
    assert!(
        model["modelCard"]["considerations"]
            .get("environmentalConsiderations")
            .is_none()
    );
}
