//! `scelle report --kind training-summary`: the public summary of training content rendered from
//! the demo and from every scenario of `policies/scenarios/`, in Markdown (every heading of the
//! Template, in order) and JSON (valid against `docs/report.schema.json`); the crawled domains
//! ranked and cut from a generated domain size file; a malformed or altered file stops the run;
//! the output is the same bytes twice, with the date `SOURCE_DATE_EPOCH` gives.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::check::{demo, release_with};
use crate::common::{Keys, Release, run, run_cmd, scelle, sha256_hex};

/// The Template's headings (Explanatory Notice C(2025) 8311, annex), in its order and numbering.
const TEMPLATE_HEADINGS: [&str; 20] = [
    "## Summary version and last update",
    "## 1 General information",
    "### 1.1 Provider identification",
    "### 1.2 Model identification",
    "### 1.3 Modalities, overall training data size and other characteristics",
    "## 2 List of data sources",
    "### 2.1 Publicly available datasets",
    "### 2.2 Private non-publicly available datasets obtained from third parties",
    "#### 2.2.1 Datasets commercially licensed by rightsholders or their representatives",
    "#### 2.2.2 Private datasets obtained from other third parties",
    "### 2.3 Data crawled and scraped from online sources",
    "### 2.4 User data",
    "### 2.5 Synthetic data",
    "### 2.6 Other sources of data",
    "## 3 Data processing aspects",
    "### 3.1 Respect of reservation of rights from the text and data mining exception or limitation",
    "### 3.2 Removal of illegal content",
    "### 3.3 Other information",
    // The modalities of §1.3 sit under it, in the Template's order.
    "#### Text",
    "#### Video",
];

fn demo_declaration() -> String {
    std::fs::read_to_string(demo().join("scelle.yaml")).unwrap()
}

fn scenarios() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/scenarios");
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(out.len() >= 4, "the scenarios are missing: {out:?}");
    out
}

fn summary(dir: &Path, format: &str) -> crate::common::Run {
    run(&[
        "report",
        dir.to_str().unwrap(),
        "--kind",
        "training-summary",
        "--format",
        format,
    ])
}

/// Asserts that every Template heading is there, §1-§3 in the Template's order, and the
/// modality subsections in theirs.
fn assert_template_structure(markdown: &str) {
    let headings: Vec<&str> = markdown.lines().filter(|l| l.starts_with('#')).collect();
    let position = |h: &str| {
        headings
            .iter()
            .position(|l| *l == h)
            .unwrap_or_else(|| panic!("heading {h:?} missing; headings: {headings:#?}"))
    };
    let numbered: Vec<usize> = TEMPLATE_HEADINGS[..18]
        .iter()
        .map(|h| position(h))
        .collect();
    assert!(
        numbered.windows(2).all(|w| w[0] < w[1]),
        "out of order: {headings:#?}"
    );
    let modalities: Vec<usize> = [
        "#### Text",
        "#### Image",
        "#### Audio",
        "#### Video",
        "#### Other",
    ]
    .iter()
    .map(|h| position(h))
    .collect();
    assert!(modalities.windows(2).all(|w| w[0] < w[1]));
    assert!(modalities[0] > position(TEMPLATE_HEADINGS[4]));
    assert!(modalities[4] < position(TEMPLATE_HEADINGS[5]));
}

/// Asserts that stderr is exactly one warning per field the JSON document lists as not declared.
fn assert_warnings_match(stderr: &str, doc: &Value) {
    let expected: Vec<String> = doc["not_declared"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "warning: `{}` is not declared: the document says so",
                f.as_str().unwrap()
            )
        })
        .collect();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines, expected, "stderr lists each not-declared field once");
}

/// The fields of the items written as not declared, in a section and its subsections.
fn walk<'a>(section: &'a Value, out: &mut Vec<&'a str>) {
    for item in section["items"].as_array().unwrap() {
        if item["value"]["type"] == "not_declared" {
            out.push(item["value"]["field"].as_str().unwrap());
        }
    }
    for s in section["sections"].as_array().into_iter().flatten() {
        walk(s, out);
    }
}

/// Every item whose value is not declared names a field listed in `not_declared`.
fn assert_not_declared_listed(doc: &Value) {
    let listed: Vec<&str> = doc["not_declared"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let mut found = Vec::new();
    for s in doc["sections"].as_array().unwrap() {
        walk(s, &mut found);
    }
    for f in found {
        assert!(listed.contains(&f), "{f} is not declared but not listed");
    }
}

fn validate(doc_path: &Path) {
    crate::common::assert_report_schema(&[doc_path.to_path_buf()]);
}

/// Renders `dir` in both formats and checks structure, schema and warnings; returns the JSON.
fn render_and_check(dir: &Path, name: &str) -> Value {
    let md = summary(dir, "markdown");
    assert_eq!(md.code, 0, "{name}: {}", md.stderr);
    assert_template_structure(&md.stdout);
    let json = summary(dir, "json");
    assert_eq!(json.code, 0, "{name}: {}", json.stderr);
    assert_eq!(
        md.stderr, json.stderr,
        "{name}: the same warnings in both formats"
    );
    let doc = json.json();
    assert_eq!(doc["kind"], "training-summary");
    assert_warnings_match(&json.stderr, &doc);
    assert_not_declared_listed(&doc);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &json.stdout).unwrap();
    validate(file.path());
    doc
}

#[test]
fn the_demo_summary_has_every_template_heading_and_a_valid_json_form() {
    let doc = render_and_check(&demo(), "demo");
    // The demo distils exemple-8b: a modifier's summary names its base model.
    let md = summary(&demo(), "markdown").stdout;
    assert!(
        md.contains("This model modifies exemple-ia/exemple-8b"),
        "{md}"
    );
    assert!(
        md.contains("- **Model dependencies**: exemple-ia/exemple-8b 1.0"),
        "{md}"
    );
    // Text: 1.2e9 + 2.0e8 + 6.0e8 training tokens (the eval set has none) = 2.0e9: middle band.
    assert!(
        md.contains("1 billion to 10 trillion tokens (2,000,000,000 tokens declared)"),
        "{md}"
    );
    // The only public dataset is all of its modality: large.
    assert!(
        md.contains("| French Wikipedia, September 2025 dump | text | 100.0 % |"),
        "{md}"
    );
    // Latest acquisition: the synthetic set's 2026-07-31 is later than the crawl's 2026-06-30.
    assert!(md.contains("(all modalities)**: 2026-07-31"), "{md}");
    assert!(!doc["not_declared"].as_array().unwrap().is_empty());
}

#[test]
fn every_scenario_renders_with_the_template_structure() {
    for (name, declaration) in scenarios() {
        let release = release_with(&declaration);
        render_and_check(release.path(), &name);
    }
}

#[test]
fn the_summary_is_deterministic_and_dated_by_source_date_epoch() {
    let release = release_with(&demo_declaration());
    let dir = release.path().to_str().unwrap();
    let once = summary(release.path(), "json");
    let twice = summary(release.path(), "json");
    assert_eq!(once.stdout, twice.stdout);
    let md1 = summary(release.path(), "markdown");
    let md2 = summary(release.path(), "markdown");
    assert_eq!(md1.stdout, md2.stdout);
    // 1700000000 s after the epoch is 2023-11-14 (UTC).
    assert_eq!(once.json()["generated"], "2023-11-14");
    let later = run_cmd(scelle().env("SOURCE_DATE_EPOCH", "1800000000").args([
        "report",
        dir,
        "--kind",
        "training-summary",
        "--format",
        "json",
    ]));
    // 1800000000 s: 2027-01-15.
    assert_eq!(later.json()["generated"], "2027-01-15");
    for out in [&once.stdout, &md1.stdout] {
        assert!(!out.contains(dir), "no absolute path in the document");
        assert!(!out.contains("/tmp"), "no absolute path in the document");
    }
}

/// The demo declaration naming a domain size file `rel` with `digest` for the crawl, the SME
/// rule applied or not.
fn declaration_with_domain_file(rel: &str, digest: &str, sme: bool) -> String {
    let mut declaration = demo_declaration().replace(
        "      size_unit: tokens\n",
        &format!(
            "      size_unit: tokens\n      domain_sizes: {{uri: {rel}, sha256: \"{digest}\"}}\n"
        ),
    );
    assert!(declaration.contains("domain_sizes"));
    if !sme {
        declaration = declaration.replace(
            "  sme_threshold_applied: true\n",
            "  sme_threshold_applied: false\n",
        );
    }
    declaration
}

/// The demo with a domain size file `rel` holding `bytes`, named with its digest.
fn with_domain_file(rel: &str, bytes: &[u8], sme: bool) -> Release {
    let release = release_with(&declaration_with_domain_file(rel, &sha256_hex(bytes), sme));
    release.file(rel, bytes);
    release
}

/// The item of Template §2.3 listing the most relevant domain names.
fn domain_item(doc: &Value) -> &Value {
    let s23 = &doc["sections"][2]["sections"][2];
    assert_eq!(s23["number"], "2.3");
    s23["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["label"]
                .as_str()
                .unwrap()
                .starts_with("Most relevant domain names")
        })
        .unwrap()
}

fn domain_rows(doc: &Value) -> Vec<Vec<String>> {
    let item = domain_item(doc);
    assert!(
        item["sources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["type"] == "file"),
        "{item}"
    );
    serde_json::from_value(item["value"]["rows"].clone()).unwrap()
}

#[test]
fn the_top_domains_are_ranked_by_size_then_name_and_cut_at_the_rule() {
    // 25 domains: d00..d24 with sizes 1000 - 10 * (i / 2), so pairs tie and break by name.
    let sizes: Vec<(String, u64)> = (0..25u64)
        .rev()
        .map(|i| (format!("d{i:02}.example"), 1000 - 10 * (i / 2)))
        .collect();
    let csv: String = std::iter::once("domain,size\n".to_owned())
        .chain(sizes.iter().map(|(d, s)| format!("{d},{s}\n")))
        .collect();
    // Expected independently: sort by size descending, then name.
    let mut ranked = sizes.clone();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let expect = |n: usize| -> Vec<Vec<String>> {
        ranked[..n]
            .iter()
            .enumerate()
            .map(|(i, (d, s))| vec![(i + 1).to_string(), d.clone(), s.to_string()])
            .collect()
    };
    // Not an SME: 10 % of 25 is 2.5, rounded up to 3.
    let release = with_domain_file("data/domains.csv", csv.as_bytes(), false);
    let doc = render_and_check(release.path(), "domains");
    assert_eq!(domain_rows(&doc), expect(3));
    assert_eq!(expect(3)[0][1], "d00.example");
    assert_eq!(expect(3)[1][1], "d01.example", "a tie is broken by name");
    // An SME: 5 % of 25 is 1.25, rounded up to 2 (far below the 1,000 cap).
    let release = with_domain_file("data/domains.csv", csv.as_bytes(), true);
    let doc = render_and_check(release.path(), "domains, SME");
    assert_eq!(domain_rows(&doc), expect(2));
    // The same list as JSON lines.
    let mut jsonl = String::new();
    for (d, s) in &sizes {
        writeln!(jsonl, "{{\"domain\": \"{d}\", \"size\": {s}}}").unwrap();
    }
    let release = with_domain_file("data/domains.jsonl", jsonl.as_bytes(), false);
    assert_eq!(
        domain_rows(&summary(release.path(), "json").json()),
        expect(3)
    );
}

#[test]
fn an_sme_lists_at_most_a_thousand_domains() {
    // 25,000 domains: 5 % is 1,250, capped at 1,000; without the SME rule 2,500.
    let n = 25_000u64;
    let mut tsv = String::new();
    for i in 0..n {
        writeln!(tsv, "site{i:05}.example\t{}", n - i).unwrap();
    }
    let release = with_domain_file("data/domains.tsv", tsv.as_bytes(), true);
    let doc = summary(release.path(), "json").json();
    let rows = domain_rows(&doc);
    assert_eq!(rows.len(), 1000);
    assert_eq!(rows[999][1], "site00999.example");
    let release = with_domain_file("data/domains.tsv", tsv.as_bytes(), false);
    assert_eq!(
        domain_rows(&summary(release.path(), "json").json()).len(),
        2500
    );
}

#[test]
fn a_malformed_domain_file_names_its_line_and_stops_the_report() {
    let release = with_domain_file(
        "data/domains.csv",
        b"domain,size\na.example,10\nb.example;20\n",
        false,
    );
    summary(release.path(), "markdown")
        .error("`data/domains.csv` line 3: expected 2 fields, found 1");
}

#[test]
fn a_domain_file_that_differs_from_its_declared_digest_stops_the_report() {
    let release = with_domain_file("data/domains.csv", b"a.example,10\n", false);
    // Altered after the declaration named its digest.
    release.file("data/domains.csv", b"a.example,11\n");
    let out = summary(release.path(), "json");
    let expected = sha256_hex(b"a.example,11\n");
    out.error(&format!(
        "`data/domains.csv` does not have the digest `datasets[2].crawl.domain_sizes.sha256` declares (sha256 `{expected}`)"
    ));
}

#[test]
fn a_domain_file_outside_the_release_or_not_a_file_is_refused() {
    let digest = sha256_hex(b"a.example,10\n");
    let release = release_with(&declaration_with_domain_file(
        "../outside.csv",
        &digest,
        false,
    ));
    // The declaration itself is refused when the folder is scanned.
    summary(release.path(), "json")
        .error("`../outside.csv` is neither a URL nor a path inside the release");
    // A folder where the file should be: no sealed file of that name.
    let release = release_with(&declaration_with_domain_file(
        "data/domains.csv",
        &digest,
        false,
    ));
    release.dir("data/domains.csv");
    summary(release.path(), "json")
        .error("`data/domains.csv` is not one of the release's sealed files");
}

#[test]
fn the_three_percent_rule_and_bands_come_from_the_declared_sizes() {
    // Public text: 97e9 + 3e9 tokens (exactly 3 %: not large); images 1e6 (edge: middle band),
    // in two public datasets of 960,000 and 40,000 (4 %: large).
    let datasets = "datasets:\n\
        - {id: big, name: Big corpus, role: pretraining, source_type: public_dataset, modality: text, size: {tokens: 97000000000}, acquired_at: 2025-01-01}\n\
        - {id: edge, name: Edge corpus, role: pretraining, source_type: public_dataset, modality: text, size: {tokens: 3000000000}, acquired_at: 2025-01-02}\n\
        - {id: img-a, name: Pictures A, role: pretraining, source_type: public_dataset, modality: image, size: {images: 960000}, acquired_at: 2025-01-03}\n\
        - {id: img-b, name: Pictures B, role: pretraining, source_type: public_dataset, modality: image, size: {images: 40000}, acquired_at: 2024-12-01}\n\
        - {id: held-out, name: Held out, role: eval, source_type: public_dataset, modality: text, size: {tokens: 900000000000}, acquired_at: 2026-01-01}\n";
    let declaration = format!(
        "provider: {{legal_name: Labo, eu_established: true}}\nmodel: {{name: m, version: \"1\", eu_market_date: 2025-03-01}}\n{datasets}"
    );
    let release = release_with(&declaration);
    let doc = render_and_check(release.path(), "three percent");
    let s21 = &doc["sections"][2]["sections"][0];
    let large = s21["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "List of large publicly available datasets")
        .unwrap();
    let names: Vec<&str> = large["value"]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[0].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Big corpus", "Pictures A", "Pictures B"]);
    let md = summary(release.path(), "markdown").stdout;
    // 1e11 tokens and exactly 1e6 images: both in the middle band.
    assert!(
        md.contains("1 billion to 10 trillion tokens (100,000,000,000 tokens declared)"),
        "{md}"
    );
    assert!(
        md.contains("1 million to 1 billion images (1,000,000 images declared)"),
        "{md}"
    );
    // The eval set's later date does not count.
    assert!(md.contains("(all modalities)**: 2025-01-03"), "{md}");
    // Placed on the market before 2 August 2025: a legacy model.
    assert!(md.contains("before 2 August 2025"), "{md}");
    assert!(
        md.contains("- **Other publicly available datasets**: Edge corpus"),
        "{md}"
    );
}

#[test]
fn a_release_without_a_declaration_is_all_not_declared() {
    let release = Release::new();
    release.file("weights.bin", b"0123");
    let out = summary(release.path(), "json");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    assert_warnings_match(&out.stderr, &doc);
    let listed: Vec<&str> = doc["not_declared"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for field in [
        "public_summary.version",
        "provider.legal_name",
        "model.name",
        "model.eu_market_date",
    ] {
        assert!(listed.contains(&field), "{field} in {listed:?}");
    }
}

#[test]
fn a_verified_bundle_reads_the_domain_file_beside_it() {
    let csv = b"b.example,5\na.example,7\n";
    let release = with_domain_file("data/domains.csv", csv, false);
    let dir = release.path().to_str().unwrap();
    let keys = Keys::new();
    let signed = run(&["sign", dir, "--key", &keys.private("ed25519"), "-q"]);
    assert!(signed.code == 0 || signed.code == 1, "{}", signed.stderr);
    let bundle = release.path().join("scelle.sigstore.json");
    assert!(bundle.exists(), "{}", signed.stderr);
    let public = keys.public("ed25519");
    for input in [dir, bundle.to_str().unwrap()] {
        let out = run(&[
            "report",
            input,
            "--key",
            &public,
            "--kind",
            "training-summary",
            "--format",
            "json",
        ]);
        assert_eq!(out.code, 0, "{input}: {}", out.stderr);
        let doc = out.json();
        assert_eq!(doc["release"]["verified"], true, "{input}");
        // 10 % of 2 domains, rounded up: 1, the larger.
        assert_eq!(domain_rows(&doc), [["1", "a.example", "7"]]);
    }
    // Altered after signing: the record no longer matches the file.
    release.file("data/domains.csv", b"b.example,5\na.example,8\n");
    let out = run(&[
        "report",
        bundle.to_str().unwrap(),
        "--key",
        &public,
        "--kind",
        "training-summary",
    ]);
    out.error("`data/domains.csv` does not have the digest");
}

#[test]
fn a_published_domain_list_is_not_fetched_and_the_declared_list_stands() {
    let digest = sha256_hex(b"anything");
    let declaration =
        declaration_with_domain_file("https://petit-labo.example/domains.csv", &digest, true);
    let release = release_with(&declaration);
    let out = summary(release.path(), "json");
    assert_eq!(out.code, 0, "{}", out.stderr);
    let doc = out.json();
    let item = domain_item(&doc);
    // The demo's declared list, as declared.
    assert_eq!(
        item["value"]["rows"],
        serde_json::json!([
            ["forum-velo.example", "0.18"],
            ["assoc-quartier.example", "0.11"]
        ])
    );
    let from = item["sources"][1]["from"].as_str().unwrap();
    assert!(from.contains("which scelle does not fetch"), "{from}");
}

#[test]
fn a_modifier_covers_its_modification_and_names_its_base_model() {
    let lora = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/scenarios/lora-fine-tune.yaml"),
    )
    .unwrap();
    let release = release_with(&lora);
    let md = summary(release.path(), "markdown").stdout;
    assert!(
        md.contains("This model modifies exemple-ia/exemple-8b: as the Explanatory Notice asks of a modifier, this summary covers only the training content of the modification"),
        "{md}"
    );
    assert!(md.contains("- **Model dependencies**: exemple-ia/exemple-8b 1.0 (adapter, Exemple IA SAS); its summary: https://exemple-ia.fr/training-summary-1.0.pdf"), "{md}");
    assert!(md.contains("- **Other information**: The summary covers only the modification of exemple-ia/exemple-8b."), "{md}");
    // A base model from the publisher itself is no modification by another provider.
    let own = lora.replace("provider: Exemple IA SAS", "provider: Petit Labo SARL");
    let md = summary(release_with(&own).path(), "markdown").stdout;
    assert!(!md.contains("This model modifies"), "{md}");
    // A publisher that says it modified a model but names none: the dependency is not declared.
    let declaration =
        "model: {name: m, version: \"1\"}\nclassification: {provider_role: modifier}\n";
    let out = summary(release_with(declaration).path(), "json");
    assert!(
        out.json()["not_declared"]
            .as_array()
            .unwrap()
            .contains(&Value::from("model.base_models")),
        "{}",
        out.stdout
    );
    // An original model with no base model has no dependency.
    let declaration = "model: {name: m, version: \"1\"}\n";
    let md = summary(release_with(declaration).path(), "markdown").stdout;
    assert!(md.contains("- **Model dependencies**: none"), "{md}");
}
