//! `derived.summary_document`: the public summary shipped in the release, as the scan recorded
//! it (`predicate.public_summary`, see [`crate::manifest::summary_doc`]), against the declared
//! datasets. Only raw comparisons are made here: which declared crawlers, generators and base
//! models the document does not name, and whether it names each large public dataset (the 3 %
//! rule of Template §2.1, computed once in [`crate::training_content`], as the report does). The
//! wording of findings is the pack's (`AIA-53-1-d-04`).

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::facts::Shape;
use crate::manifest::descriptor::has_scheme;
use crate::manifest::summary_doc::{MODALITIES, dataset_key};

/// The shape of `derived.summary_document`.
pub const SHAPE: Shape = Shape::Obj(&[
    ("uri", Shape::Leaf),
    ("status", Shape::Leaf),
    (
        "large_public_datasets",
        Shape::List(&Shape::Obj(&[
            ("dataset", Shape::Leaf),
            ("named", Shape::Leaf),
        ])),
    ),
    ("crawlers_missing", Shape::Leaf),
    ("generators_missing", Shape::Leaf),
    ("base_models_missing", Shape::Leaf),
    ("dates", Shape::Leaf),
    ("bands", super::derived::BANDS),
]);

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn strings<'a>(v: &'a Value, pointer: &str) -> Vec<&'a str> {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

/// Whether the summary was read, and if not why: `absent` (no `public_summary.uri`),
/// `external` (a URL: nothing in the release to read), `missing` (no such file in the release),
/// `no_digest` (no `public_summary.sha256` to tie it to), `mismatch` (the file is not the one
/// declared), `not_read` (the scan did not record it: over 1 MiB, not UTF-8, not a regular file,
/// or `--no-inspect`), `read`.
fn status(predicate: &Value, declared: &Value, files: &[(&str, &str)]) -> &'static str {
    let Some(uri) = str_at(declared, "/public_summary/uri") else {
        return "absent";
    };
    if has_scheme(uri) {
        return "external";
    }
    let path = uri.trim_start_matches("./");
    let Some((_, actual)) = files.iter().find(|(p, _)| *p == path) else {
        return "missing";
    };
    let Some(sha256) = str_at(declared, "/public_summary/sha256") else {
        return "no_digest";
    };
    if !actual.eq_ignore_ascii_case(sha256) {
        return "mismatch";
    }
    let recorded = predicate
        .get("public_summary")
        .filter(|s| str_at(s, "/path") == Some(path));
    if recorded.is_some() {
        "read"
    } else {
        "not_read"
    }
}

/// Computes `derived.summary_document`; `files` are the release's `(path, sha256)`.
pub fn derive(predicate: &Value, declared: &Value, files: &[(&str, &str)]) -> Value {
    let status = status(predicate, declared, files);
    let empty = json!({});
    let doc = if status == "read" {
        predicate.get("public_summary").unwrap_or(&empty)
    } else {
        &empty
    };
    let training: Vec<&Value> = declared
        .get("datasets")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter(|d| crate::training_content::is_training(d))
        .collect();
    let named_datasets = strings(doc, "/datasets");
    let all = crate::training_content::datasets(declared);
    let content = crate::training_content::TrainingContent::of(declared);
    let large: BTreeSet<usize> = content.large.iter().map(|l| l.dataset.index).collect();
    let large_public_datasets: Vec<Value> = large
        .into_iter()
        .filter_map(|i| dataset_key(all.get(i)?))
        .map(|key| json!({"dataset": key, "named": named_datasets.contains(&key.as_str())}))
        .collect();
    let missing = |declared_names: Vec<&str>, recorded: &str| -> Vec<String> {
        let named = strings(doc, recorded);
        declared_names
            .into_iter()
            .map(str::trim)
            .filter(|n| !n.is_empty() && !named.contains(n))
            .map(str::to_owned)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    let crawlers = training
        .iter()
        .filter(|d| str_at(d, "/source_type") == Some("crawled_by_provider"))
        .filter_map(|d| str_at(d, "/crawl/crawler_name"))
        .collect();
    let generators = training
        .iter()
        .filter(|d| str_at(d, "/source_type") == Some("synthetic"))
        .flat_map(|d| {
            d.pointer("/synthetic/generator_models")
                .and_then(Value::as_array)
                .map_or(&[][..], Vec::as_slice)
        })
        .filter_map(|g| str_at(g, "/name"))
        .collect();
    let base_models = declared
        .pointer("/model/base_models")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(|b| str_at(b, "/name"))
        .collect();
    let bands: serde_json::Map<String, Value> = MODALITIES
        .iter()
        .map(|m| ((*m).to_owned(), json!(strings(doc, &format!("/bands/{m}")))))
        .collect();
    json!({
        "uri": str_at(declared, "/public_summary/uri"),
        "status": status,
        "large_public_datasets": large_public_datasets,
        "crawlers_missing": missing(crawlers, "/crawlers"),
        "generators_missing": missing(generators, "/generators"),
        "base_models_missing": missing(base_models, "/base_models"),
        "dates": strings(doc, "/dates"),
        "bands": bands,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "ab";

    fn declared() -> Value {
        json!({
            "public_summary": {"uri": "docs/summary.md", "sha256": SHA.repeat(32)},
            "model": {"base_models": [{"name": "org/base"}]},
            "datasets": [
                {"id": "wiki", "source_type": "public_dataset", "modality": "text", "size": {"tokens": 9.7e9}},
                {"id": "books", "source_type": "public_dataset", "modality": "text", "size": {"tokens": 3.0e8}},
                {"id": "tiny", "source_type": "public_dataset", "modality": "text", "share_of_modality": {"text": 0.001}, "size": {"tokens": 5.0e9}},
                {"id": "held-out", "source_type": "public_dataset", "role": "test", "modality": "text", "size": {"tokens": 1.0e12}},
                {"id": "crawl", "source_type": "crawled_by_provider", "crawl": {"crawler_name": "Bot"}},
                {"id": "syn", "source_type": "synthetic", "synthetic": {"generator_models": [{"name": "org/gen"}, {"name": "org/base"}]}}
            ]
        })
    }

    #[test]
    fn what_the_recorded_summary_leaves_out_is_listed() {
        let predicate = json!({"public_summary": {
            "path": "docs/summary.md", "datasets": ["wiki"], "crawlers": [], "generators": ["org/base"],
            "base_models": ["org/base"], "dates": ["2026-01-01"], "bands": {"text": ["mid"]}
        }});
        let sha = SHA.repeat(32);
        let d = derive(&predicate, &declared(), &[("docs/summary.md", &sha)]);
        assert_eq!(d["status"], "read");
        assert_eq!(d["crawlers_missing"], json!(["Bot"]));
        assert_eq!(d["generators_missing"], json!(["org/gen"]));
        assert_eq!(d["base_models_missing"], json!([]));
        assert_eq!(d["dates"], json!(["2026-01-01"]));
        assert_eq!(d["bands"]["text"], json!(["mid"]));
        assert_eq!(d["bands"]["audio"], json!([]));
        // Large: above 3 % of the declared tokens of every public training dataset (wiki,
        // books and tiny; the test set is not training): 9.7e9 and 5.0e9 of 1.5e10 are, 3.0e8
        // (2 %) is not. A declared share does not make `tiny` small.
        let total = 9.7e9 + 3.0e8 + 5.0e9;
        assert!(3.0e8 / total < 0.03 && 5.0e9 / total > 0.03);
        assert_eq!(
            d["large_public_datasets"],
            json!([
                {"dataset": "wiki", "named": true},
                {"dataset": "tiny", "named": false}
            ])
        );
    }

    #[test]
    fn a_summary_that_is_not_the_sealed_file_is_not_read() {
        let predicate =
            json!({"public_summary": {"path": "docs/summary.md", "datasets": ["wiki"]}});
        let sha = SHA.repeat(32);
        let other = "cd".repeat(32);
        let status = |declared: &Value, files: &[(&str, &str)]| {
            derive(&predicate, declared, files)["status"].clone()
        };
        assert_eq!(
            status(&declared(), &[("docs/summary.md", &other)]),
            "mismatch"
        );
        assert_eq!(status(&declared(), &[]), "missing");
        assert_eq!(status(&json!({}), &[]), "absent");
        let url = json!({"public_summary": {"uri": "https://example.com/summary", "sha256": sha}});
        assert_eq!(status(&url, &[]), "external");
        let no_digest = json!({"public_summary": {"uri": "docs/summary.md"}});
        assert_eq!(
            status(&no_digest, &[("docs/summary.md", &sha)]),
            "no_digest"
        );
        let d = derive(&json!({}), &declared(), &[("docs/summary.md", &sha)]);
        assert_eq!(d["status"], "not_read");
        assert_eq!(
            d["crawlers_missing"],
            json!(["Bot"]),
            "nothing read names nothing"
        );
        assert_eq!(d["large_public_datasets"][0]["named"], false);
    }
}
