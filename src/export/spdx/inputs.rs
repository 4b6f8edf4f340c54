//! What the model was made from: its declared datasets, as `dataset_DatasetPackage`s the model
//! is `trainedOn` or `testedOn` as each one's role says, and its base models, as AI packages it
//! is `descendantOf` (the SPDX relationship from a derived element to its ancestors; `dependsOn`
//! would say the model needs them to run, which a distilled or fine-tuned model does not).

use serde_json::{Map, Value, json};

use super::{Graph, insert_extension, is_sha256, is_url, presence, sha256_hash};
use crate::export::{View, base_model_properties, dataset_properties, lookup};

/// Every declared dataset, with its licence, and the model `trainedOn` or `testedOn` it as its
/// role says. Returns whether there was any.
pub(super) fn datasets(g: &mut Graph, view: &View<'_>, package: &str) -> bool {
    let declared = view.list("datasets");
    let (mut trained, mut tested) = (Vec::new(), Vec::new());
    for (i, d) in declared.iter().enumerate() {
        let id = g.id(&format!("dataset-{}", i + 1));
        let text = |path: &str| lookup(d, path).and_then(Value::as_str);
        let mut p = Map::new();
        p.insert("type".into(), json!("dataset_DatasetPackage"));
        p.insert("spdxId".into(), json!(id));
        if let Some(name) = text("name").or_else(|| text("id")) {
            p.insert("name".into(), json!(name));
        }
        if let Some(version) = text("version") {
            p.insert("software_packageVersion".into(), json!(version));
        }
        if let Some(publisher) = text("publisher").filter(|s| !s.is_empty()) {
            let agent = g.agent("Agent", publisher);
            p.insert("originatedBy".into(), json!([agent]));
        }
        if let Some(url) = text("source_url").filter(|u| is_url(u)) {
            p.insert("software_downloadLocation".into(), json!(url));
        }
        p.insert("software_primaryPurpose".into(), json!("data"));
        if let Some(digest) = text("manifest.sha256").filter(|s| is_sha256(s)) {
            p.insert(
                "verifiedUsing".into(),
                sha256_hash(
                    digest,
                    Some("SHA-256 of the dataset's own manifest (datasets[].manifest)"),
                ),
            );
        }
        if let Some(process) = text("collection_process").or_else(|| text("crawl.purpose")) {
            p.insert("dataset_dataCollectionProcess".into(), json!(process));
        }
        p.insert(
            "dataset_datasetType".into(),
            json!([dataset_type(text("modality"))]),
        );
        if let Some(bytes) = lookup(d, "size.bytes").and_then(Value::as_u64) {
            p.insert("dataset_datasetSize".into(), json!(bytes));
        }
        if let Some(presence) = presence(lookup(d, "personal_data.present")) {
            p.insert(
                "dataset_hasSensitivePersonalInformation".into(),
                json!(presence),
            );
        }
        let methods: Vec<String> = [
            ("anonymisation", "personal_data.anonymisation_method"),
            ("pseudonymisation", "personal_data.pseudonymisation_method"),
        ]
        .iter()
        .filter_map(|(what, path)| text(path).map(|m| format!("{what}: {m}")))
        .collect();
        if !methods.is_empty() {
            p.insert("dataset_anonymizationMethodUsed".into(), json!(methods));
        }
        let role = text("role");
        if let Some(role) = role {
            p.insert("dataset_intendedUse".into(), json!(role));
        }
        insert_extension(&mut p, dataset_properties(view, d));
        g.push(Value::Object(p));
        g.declared_license(&id, text("license.spdx"));
        if let Some(folder) = text("path") {
            let own = files_in(g, folder);
            g.relationship(&id, "contains", &own);
        }
        match role {
            Some("pretraining" | "midtraining" | "sft" | "preference" | "rl") => trained.push(id),
            Some("validation" | "test" | "eval") => tested.push(id),
            _ => {}
        }
    }
    g.relationship(package, "trainedOn", &trained);
    g.relationship(package, "testedOn", &tested);
    !declared.is_empty()
}

/// The SPDX dataset type of a declared modality; `noAssertion` when none is declared (the field
/// is required) and `other` for modalities SPDX has no type for.
fn dataset_type(modality: Option<&str>) -> &'static str {
    match modality {
        None => "noAssertion",
        Some("text") => "text",
        Some("image") => "image",
        Some("audio") => "audio",
        Some("video") => "video",
        Some(_) => "other",
    }
}

/// Each declared base model as an AI package this model is `descendantOf`.
pub(super) fn base_models(g: &mut Graph, view: &View<'_>, package: &str) {
    let mut ids = Vec::new();
    for (i, b) in view.list("model.base_models").iter().enumerate() {
        let text = |path: &str| lookup(b, path).and_then(Value::as_str);
        let Some(name) = text("name").filter(|s| !s.is_empty()) else {
            continue;
        };
        let id = g.id(&format!("base-model-{}", i + 1));
        let mut p = Map::new();
        p.insert("type".into(), json!("ai_AIPackage"));
        p.insert("spdxId".into(), json!(id));
        p.insert("name".into(), json!(name));
        if let Some(version) = text("version") {
            p.insert("software_packageVersion".into(), json!(version));
        }
        if let Some(provider) = text("provider").filter(|s| !s.is_empty()) {
            let agent = g.agent("Agent", provider);
            p.insert("suppliedBy".into(), json!(agent));
        }
        p.insert("software_primaryPurpose".into(), json!("model"));
        if let Some(digest) = text("digest").filter(|s| is_sha256(s)) {
            p.insert(
                "verifiedUsing".into(),
                sha256_hash(
                    digest,
                    Some("scelle root digest of the base model's weights, as declared"),
                ),
            );
        }
        let props = base_model_properties(b);
        insert_extension(&mut p, props);
        g.push(Value::Object(p));
        g.declared_license(&id, text("license"));
        ids.push(id);
    }
    g.relationship(package, "descendantOf", &ids);
}

/// The IRIs of the release's files at `path` or under it (a dataset's declared `path`).
fn files_in(g: &Graph, path: &str) -> Vec<String> {
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        return Vec::new();
    }
    g.files
        .iter()
        .filter(|(file, _)| {
            file == path
                || file
                    .strip_prefix(path)
                    .is_some_and(|rest| rest.starts_with('/'))
        })
        .map(|(_, id)| id.clone())
        .collect()
}
