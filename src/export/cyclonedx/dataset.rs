//! Declared datasets as `data` components: licence, where they come from, the personal data they
//! hold and who governs them, and the declared facts `CycloneDX` has no field for as properties.

use serde_json::{Map, Value, json};

use super::values::{licenses, reference, sha256, url, version};
use super::{References, Refs, organisation, properties, strings};
use crate::export::{View, dataset_properties};

/// A declared dataset as a `data` component, with the release folder that holds it.
pub(super) struct Dataset {
    pub(super) bom_ref: String,
    pub(super) path: Option<String>,
    pub(super) component: Value,
}

/// How the document names the `i`th declared dataset: its id, else its name, else its place.
pub(super) fn dataset_label(d: &Value, i: usize) -> String {
    let text = |key: &str| d.get(key).and_then(Value::as_str).filter(|s| !s.is_empty());
    text("id")
        .or_else(|| text("name"))
        .map_or_else(|| format!("datasets[{i}]"), str::to_owned)
}

pub(super) fn dataset(view: &View<'_>, d: &Value, i: usize, refs: &mut Refs) -> Dataset {
    let text = |p: &str| d.pointer(p).and_then(Value::as_str);
    let label = dataset_label(d, i);
    let bom_ref = refs.unique(&format!("dataset:{label}"));
    let name = text("/name").map_or_else(|| label.clone(), str::to_owned);
    let mut c = Map::new();
    c.insert("type".into(), json!("data"));
    c.insert("bom-ref".into(), json!(bom_ref));
    c.insert("name".into(), json!(name));
    if let Some(v) = text("/version").and_then(version) {
        c.insert("version".into(), json!(v));
    }
    if let Some(p) = text("/publisher") {
        c.insert("publisher".into(), json!(p));
    }
    if let Some(l) = text("/license/spdx").and_then(licenses) {
        c.insert("licenses".into(), l);
    }
    let mut refs_out = References::default();
    for (kind, p, comment) in [
        (
            "distribution",
            "/source_url",
            "where the dataset was obtained",
        ),
        ("license", "/license/url", "licence of the dataset"),
        (
            "license",
            "/license/terms_url",
            "terms of use of the dataset",
        ),
        (
            "documentation",
            "/transparency/notice_url",
            "privacy notice (GDPR Art. 13, 14)",
        ),
        (
            "documentation",
            "/transparency/source_list_url",
            "published list of sources",
        ),
    ] {
        if let Some(u) = text(p) {
            refs_out.push(kind, u, comment);
        }
    }
    if let Some(uri) = text("/manifest/uri").and_then(reference) {
        // The dataset's own sealed manifest: its digest is the manifest's, not the data's, so
        // it goes on the reference rather than on the component.
        let mut r = Map::new();
        r.insert("type".into(), json!("attestation"));
        r.insert("url".into(), json!(uri));
        r.insert("comment".into(), json!("the dataset's own sealed manifest"));
        if let Some(h) = text("/manifest/sha256").and_then(sha256) {
            r.insert("hashes".into(), json!([{"alg": "SHA-256", "content": h}]));
        }
        refs_out.0.push(Value::Object(r));
    }
    if !refs_out.0.is_empty() {
        c.insert("externalReferences".into(), Value::Array(refs_out.0));
    }
    c.insert("data".into(), json!([data(view, d, &name)]));
    let mut props = dataset_properties(view, d);
    if let Some(u) = d
        .pointer("/source_url")
        .and_then(Value::as_str)
        .filter(|u| url(u).is_none())
    {
        // Kept as text: the declared source is not a URL the schema accepts.
        props.push(("scelle:dataset:source", u.to_owned()));
    }
    if !props.is_empty() {
        c.insert("properties".into(), properties(props));
    }
    Dataset {
        bom_ref,
        path: text("/path").map(|p| p.trim_end_matches('/').to_owned()),
        component: Value::Object(c),
    }
}

/// The dataset's `componentData`: where its contents are, whether it holds personal data and
/// which, and who owns and keeps it (its publisher, and the provider that trained on it).
fn data(view: &View<'_>, d: &Value, name: &str) -> Value {
    let text = |p: &str| d.pointer(p).and_then(Value::as_str);
    let mut data = Map::new();
    data.insert("type".into(), json!("dataset"));
    data.insert("name".into(), json!(name));
    if let Some(u) = text("/source_url").and_then(url) {
        data.insert("contents".into(), json!({"url": u}));
    }
    let present = d.pointer("/personal_data/present");
    let special = text("/personal_data/special_categories");
    let classification = match present {
        Some(Value::Bool(true)) => Some(match special {
            Some(s @ ("possible" | "present")) => {
                format!("personal data; special categories {s}")
            }
            _ => "personal data".to_owned(),
        }),
        Some(Value::Bool(false)) => Some("no personal data".to_owned()),
        Some(Value::String(s)) if s == "unknown" => Some("personal data unknown".to_owned()),
        _ => None,
    };
    if let Some(c) = classification {
        data.insert("classification".into(), json!(c));
    }
    let mut sensitive = d
        .pointer("/personal_data/categories")
        .and_then(Value::as_array)
        .map(|a| strings(a))
        .unwrap_or_default();
    if let Some(s @ ("possible" | "present")) = special {
        sensitive.push(format!(
            "special categories of personal data (GDPR Art. 9): {s}"
        ));
    }
    for (p, what) in [
        (
            "/personal_data/criminal_data_possible",
            "criminal-offence data (GDPR Art. 10): possible",
        ),
        (
            "/personal_data/children_data_possible",
            "data about children: possible",
        ),
    ] {
        if d.pointer(p) == Some(&Value::Bool(true)) {
            sensitive.push(what.to_owned());
        }
    }
    if !sensitive.is_empty() {
        data.insert("sensitiveData".into(), json!(sensitive));
    }
    let mut governance = Map::new();
    if let Some(p) = text("/publisher") {
        governance.insert("owners".into(), json!([{"organization": organisation(p)}]));
    }
    if let Some(p) = view.str("provider.legal_name") {
        governance.insert(
            "custodians".into(),
            json!([{"organization": organisation(p)}]),
        );
    }
    if !governance.is_empty() {
        data.insert("governance".into(), Value::Object(governance));
    }
    if let Some(desc) = text("/citation") {
        data.insert("description".into(), json!(desc));
    }
    Value::Object(data)
}
