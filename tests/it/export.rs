//! `scelle export` as a command: what it refuses (a version of the other format, a release that
//! does not verify with the key given, files that differ from the signed record, an output it
//! must not replace), the completeness it reports on stderr and in the document, and the
//! `--min-completeness` gate. What each format says is tested in `export_cyclonedx.rs` and
//! `export_spdx.rs`.

use std::path::Path;

use serde_json::Value;

use crate::common::{Release, run, run_cmd, scelle};
use crate::report_audit::{Signed, demo};

/// `(filled, total)` items of a document as `report --format json` writes it, counted here from
/// its JSON: an item is filled unless its value is `not_declared`.
fn count_items(sections: &Value) -> (usize, usize) {
    let mut filled = 0;
    let mut total = 0;
    for section in sections.as_array().unwrap() {
        for item in section["items"].as_array().unwrap() {
            total += 1;
            if item["value"]["type"] != "not_declared" {
                filled += 1;
            }
        }
        if let Some(subsections) = section.get("sections") {
            let (f, t) = count_items(subsections);
            filled += f;
            total += t;
        }
    }
    (filled, total)
}

/// The completeness `report` implies for the demo: Annex XI and XII items filled, of all.
fn demo_items() -> [(usize, usize); 2] {
    ["annex-xi", "annex-xii"].map(|kind| {
        let out = run(&[
            "report",
            demo().to_str().unwrap(),
            "--kind",
            kind,
            "--format",
            "json",
            "-q",
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        count_items(&out.json()["sections"])
    })
}

/// The `scelle:` property `name` of a CycloneDX document's model component.
fn cdx_property<'a>(bom: &'a Value, name: &str) -> Option<&'a str> {
    bom["metadata"]["component"]["properties"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
        .and_then(|p| p["value"].as_str())
}

#[test]
fn completeness_is_reported_on_stderr_and_in_the_document_as_the_annex_reports_count_it() {
    let [(annex_xi, asked_xi), (annex_xii, asked_xii)] = demo_items();
    assert!(annex_xi < asked_xi, "the demo leaves Annex XI items out");
    let percent = (annex_xi + annex_xii) * 100 / (asked_xi + asked_xii);
    let out = run(&["export", demo().to_str().unwrap(), "--format", "cyclonedx"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let first = out.stderr.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "completeness {percent} % (Annex XI {annex_xi} of {asked_xi} items, Annex XII \
             {annex_xii} of {asked_xii} items) of what the AI Act's documentation annexes ask \
             for"
        )
    );
    // The demo declares no acceptable use policy: it is named among the missing fields.
    let second = out.stderr.lines().nth(1).unwrap();
    assert!(second.starts_with("not declared: "), "{second}");
    assert!(second.contains("`model.aup`"), "{second}");
    assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
    let bom = out.json();
    assert_eq!(
        cdx_property(&bom, "scelle:completeness"),
        Some(percent.to_string().as_str())
    );
    assert_eq!(
        cdx_property(&bom, "scelle:completeness:annex-xi"),
        Some(format!("{annex_xi}/{asked_xi}").as_str())
    );
    assert_eq!(
        cdx_property(&bom, "scelle:completeness:annex-xii"),
        Some(format!("{annex_xii}/{asked_xii}").as_str())
    );
    assert!(
        cdx_property(&bom, "scelle:not-declared")
            .unwrap()
            .split(", ")
            .any(|f| f == "model.aup")
    );
}

#[test]
fn min_completeness_gates_after_writing_the_document() {
    let items = demo_items();
    let filled: usize = items.iter().map(|(filled, _)| filled).sum();
    let asked: usize = items.iter().map(|(_, total)| total).sum();
    let percent = filled * 100 / asked;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("demo.cdx.json");
    let p = path.to_str().unwrap();
    let above = (percent + 1).to_string();
    let out = run(&[
        "export",
        demo().to_str().unwrap(),
        "--min-completeness",
        &above,
        "-o",
        p,
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    let last: Vec<&str> = out.stderr.lines().rev().take(2).collect();
    assert_eq!(
        last[1],
        format!("error: completeness {percent} % is below `--min-completeness {above}`")
    );
    assert_eq!(
        last[0],
        "hint: declare the fields listed above in `scelle.yaml`"
    );
    let written: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(written["bomFormat"], "CycloneDX");
    // At the measured level the gate passes.
    let at = percent.to_string();
    let out = run(&[
        "export",
        demo().to_str().unwrap(),
        "--format",
        "spdx",
        "--min-completeness",
        &at,
        "-o",
        p,
        "--force",
        "-q",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stderr, "",
        "`-q` keeps the completeness lines off stderr"
    );
    let written: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(
        written["@context"],
        "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    );
}

#[test]
fn a_version_of_the_other_format_is_refused_before_anything_is_read() {
    // `Run::error` asserts stderr is the one error line: no completeness line, so nothing was
    // exported.
    run(&[
        "export",
        demo().to_str().unwrap(),
        "--format",
        "spdx",
        "--spec-version",
        "1.6",
    ])
    .error("SPDX has no version `1.6`: give `--spec-version 3.0.1`");
    run(&[
        "export",
        demo().to_str().unwrap(),
        "--spec-version",
        "3.0.1",
    ])
    .error("CycloneDX has no version `3.0.1`: give `--spec-version 1.6` or `1.7`");
    let out = run(&["export", demo().to_str().unwrap(), "--spec-version", "1.5"]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("invalid value '1.5'"), "{}", out.stderr);
    let out = run(&[
        "export",
        demo().to_str().unwrap(),
        "--min-completeness",
        "101",
    ]);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("101"), "{}", out.stderr);
}

#[test]
fn a_key_given_for_an_unsigned_release_writes_nothing_and_fails() {
    let signed = Signed::new();
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("bom.json");
    // The demo folder has no bundle of its own: with `--key` there is nothing to verify.
    let out = run(&[
        "export",
        demo().to_str().unwrap(),
        "--key",
        &signed.public(),
        "-o",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    let lines: Vec<&str> = out.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", out.stderr);
    assert!(lines[0].starts_with("error: "), "{}", lines[0]);
    assert!(
        lines[0].ends_with("no bill of materials written"),
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1],
        "hint: export without a trust flag to describe the record unverified"
    );
    assert!(!out_path.exists(), "nothing is written");
}

#[test]
fn a_foreign_key_or_tampered_files_write_nothing_and_fail() {
    let signed = Signed::new();
    let stranger = tempfile::tempdir().unwrap();
    let key = stranger.path().join("stranger");
    run(&["keygen", "-o", key.to_str().unwrap(), "-q"]).success();
    let bundle = signed.bundle();
    let foreign = format!("{}.pub", key.display());
    let out = run(&[
        "export",
        demo().to_str().unwrap(),
        "--key",
        &foreign,
        "--bundle",
        &bundle,
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(
        out.stdout, "",
        "no document for a record the key does not vouch for"
    );
    assert!(
        out.stderr.contains("no bill of materials written"),
        "{}",
        out.stderr
    );

    // The right key, but a file changed after signing.
    let copy = tempfile::tempdir().unwrap();
    crate::attest::copy_dir(&demo(), copy.path());
    std::fs::write(copy.path().join("config.json"), b"{\"changed\": true}\n").unwrap();
    let out = run(&[
        "export",
        copy.path().to_str().unwrap(),
        "--key",
        &signed.public(),
        "--bundle",
        &bundle,
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "error: the files of this release differ from its signed record; no bill of materials \
         written\nhint: `scelle verify` names the files\n"
    );
}

#[test]
fn a_verified_export_names_its_signer_and_an_unverified_one_says_so() {
    let signed = Signed::new();
    let verified = run(&[
        "export",
        demo().to_str().unwrap(),
        "--key",
        &signed.public(),
        "--bundle",
        &signed.bundle(),
        "-q",
    ]);
    assert_eq!(verified.code, 0, "{}", verified.stderr);
    let bom = verified.json();
    assert_eq!(cdx_property(&bom, "scelle:verified"), Some("true"));
    assert_eq!(cdx_property(&bom, "scelle:signer:method"), Some("key"));
    assert_eq!(
        cdx_property(&bom, "scelle:signer:identity"),
        Some(signed.key_id().as_str())
    );
    assert_eq!(
        cdx_property(&bom, "scelle:bundle"),
        Some("demo.sigstore.json")
    );
    // The bundle given as input, without a key: read, named, not trusted.
    let unverified = run(&["export", &signed.bundle(), "-q"]);
    assert_eq!(unverified.code, 0, "{}", unverified.stderr);
    let bom2 = unverified.json();
    assert_eq!(cdx_property(&bom2, "scelle:verified"), Some("false"));
    assert_eq!(cdx_property(&bom2, "scelle:signer:identity"), None);
    assert_ne!(
        bom["serialNumber"], bom2["serialNumber"],
        "a verified export is another document than the unverified one"
    );
}

#[test]
fn an_existing_output_is_kept_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bom.json");
    std::fs::write(&path, b"keep me").unwrap();
    let out = run(&[
        "export",
        demo().to_str().unwrap(),
        "-o",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    assert!(out.stderr.contains("--force"), "{}", out.stderr);
    assert_eq!(std::fs::read(&path).unwrap(), b"keep me");
}

#[test]
fn an_unreadable_manifest_is_one_line_and_exit_2() {
    let release = Release::new();
    let manifest = release.file("manifest.json", b"{\"_type\": 3");
    let out = run(&["export", manifest.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    assert!(out.stderr.contains("manifest.json"), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

#[test]
fn the_time_written_is_source_date_epoch() {
    let out = run_cmd(
        scelle()
            .args(["export", demo().to_str().unwrap(), "-q"])
            .env("SOURCE_DATE_EPOCH", "1767225600"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.json()["metadata"]["timestamp"], "2026-01-01T00:00:00Z");
    let out = run_cmd(
        scelle()
            .args(["export", demo().to_str().unwrap(), "-q", "--format", "spdx"])
            .env("SOURCE_DATE_EPOCH", "1767225600"),
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("\"2026-01-01T00:00:00Z\""),
        "the SPDX creation time is the pinned one"
    );
    assert!(
        !out.stdout
            .contains(Path::new(env!("CARGO_MANIFEST_DIR")).to_str().unwrap()),
        "no absolute path in the document"
    );
}

/// `(name, value)` of the `scelle:` properties of an SPDX element's `CdxPropertiesExtension`.
fn spdx_properties(element: &Value) -> Vec<(String, String)> {
    element["extension"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|x| x["extension_cdxProperty"].as_array().unwrap().iter())
        .map(|p| {
            (
                p["extension_cdxPropName"].as_str().unwrap().to_owned(),
                p["extension_cdxPropValue"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// `(name, value)` of a CycloneDX `properties` array.
fn cdx_properties(properties: &Value) -> Vec<(String, String)> {
    properties
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["value"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn both_formats_carry_the_same_scelle_properties() {
    let signed = Signed::new();
    let export = |format: &str| {
        let out = run(&[
            "export",
            demo().to_str().unwrap(),
            "--key",
            &signed.public(),
            "--bundle",
            &signed.bundle(),
            "--format",
            format,
            "-q",
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.json()
    };
    let bom = export("cyclonedx");
    let spdx = export("spdx");
    let graph = spdx["@graph"].as_array().unwrap();

    // The model: the release's properties, name for name and value for value.
    let root = spdx_document_root(graph);
    let model = graph.iter().find(|e| e["spdxId"] == root).unwrap();
    let from_cdx = cdx_properties(&bom["metadata"]["component"]["properties"]);
    assert!(from_cdx.iter().any(|(n, _)| n == "scelle:signer:identity"));
    assert_eq!(spdx_properties(model), from_cdx);

    // Each dataset, matched by its id.
    let cdx_datasets: Vec<&Value> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "data")
        .collect();
    let spdx_datasets: Vec<&Value> = of_type(graph, "dataset_DatasetPackage").collect();
    assert_eq!(cdx_datasets.len(), 4, "the demo declares four datasets");
    assert_eq!(spdx_datasets.len(), cdx_datasets.len());
    for c in cdx_datasets {
        let props = cdx_properties(&c["properties"]);
        let id = &props
            .iter()
            .find(|(n, _)| n == "scelle:dataset:id")
            .unwrap()
            .1;
        let s = spdx_datasets
            .iter()
            .find(|s| {
                spdx_properties(s)
                    .iter()
                    .any(|(n, v)| n == "scelle:dataset:id" && v == id)
            })
            .unwrap_or_else(|| panic!("dataset `{id}` is not in the SPDX export"));
        assert_eq!(spdx_properties(s), props, "dataset `{id}`");
    }

    // The base model.
    let ancestor = &bom["metadata"]["component"]["pedigree"]["ancestors"][0];
    let base = of_type(graph, "ai_AIPackage")
        .find(|e| e["name"] == ancestor["name"])
        .unwrap();
    let base_props = cdx_properties(&ancestor["properties"]);
    assert!(
        base_props
            .iter()
            .any(|(n, v)| n == "scelle:base-model:relation" && v == "distillation")
    );
    assert_eq!(spdx_properties(base), base_props);

    // Every file, in manifest order.
    let cdx_files: Vec<Vec<(String, String)>> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "file")
        .map(|c| cdx_properties(&c["properties"]))
        .collect();
    let spdx_files: Vec<Vec<(String, String)>> = of_type(graph, "software_File")
        .map(spdx_properties)
        .collect();
    assert_eq!(cdx_files.len(), 14);
    assert_eq!(spdx_files, cdx_files);
}

/// The `rootElement` of an SPDX document's `SpdxDocument`.
fn spdx_document_root(graph: &[Value]) -> &str {
    graph.iter().find(|e| e["type"] == "SpdxDocument").unwrap()["rootElement"][0]
        .as_str()
        .unwrap()
}

/// The elements of an SPDX graph of type `t`.
fn of_type<'a>(graph: &'a [Value], t: &'a str) -> impl Iterator<Item = &'a Value> {
    graph.iter().filter(move |e| e["type"] == t)
}
