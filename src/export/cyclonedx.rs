//! `CycloneDX` 1.6 and 1.7 JSON: the release as an ML-BOM. The model is the BOM's subject
//! (`metadata.component`, a `machine-learning-model` with its model card and the base models as
//! its pedigree), every file of the release a `file` component, every declared dataset a `data`
//! component, and `dependencies` ties the model to both.
//!
//! A declared string can hold anything, so each one is placed where the schema takes any text
//! (a name, a property value) or checked first: a URL that is not an absolute URI, an e-mail
//! without `@`, a digest that is not hex or a version longer than the schema allows is left out
//! of the field that would make the document invalid. Licence ids come from the list the
//! `CycloneDX` schemas enumerate (`cyclonedx/licence-ids.txt`, the `enum` of the `CycloneDX`
//! project's `spdx.schema.json`, Apache-2.0, as vendored in tests/schemas/cyclonedx); any other
//! expression is written as an `expression`, any other text as a licence `name`. Arrays follow
//! the release: files in manifest order, datasets in declaration order.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::{Property, View, base_model_properties, file_properties};
use card::model_card;
use dataset::{Dataset, dataset};
use values::{email, licenses, sha256, url, version};

mod card;
mod dataset;
mod values;

/// The document for `view`.
pub(super) fn document(view: &View<'_>) -> Value {
    let mut refs = Refs::default();
    let model_ref = refs.unique(&format!("model:{}", view.name()));
    let files: Vec<(String, Value)> = view
        .files()
        .iter()
        .map(|f| {
            let path = f.path.as_str();
            let bom_ref = refs.unique(&format!("file:{path}"));
            let component = json!({
                "type": "file",
                "bom-ref": bom_ref,
                "name": path,
                "hashes": [{"alg": "SHA-256", "content": f.sha256.to_hex()}],
                "properties": properties(file_properties(f)),
            });
            (bom_ref, component)
        })
        .collect();
    let datasets: Vec<Dataset> = view
        .list("datasets")
        .iter()
        .enumerate()
        // An entry that is not a mapping declares no dataset (only an unchecked manifest has one).
        .filter(|(_, d)| d.is_object())
        .map(|(i, d)| dataset(view, d, i, &mut refs))
        .collect();

    let mut dependencies = Vec::new();
    let mut model_deps: Vec<Value> = files.iter().map(|(r, _)| json!(r)).collect();
    model_deps.extend(datasets.iter().map(|d| json!(d.bom_ref)));
    dependencies.push(json!({"ref": model_ref, "dependsOn": model_deps}));
    for (r, _) in &files {
        dependencies.push(json!({"ref": r}));
    }
    for d in &datasets {
        let held: Vec<Value> = d
            .path
            .as_deref()
            .map(|p| {
                view.files()
                    .iter()
                    .zip(&files)
                    .filter(|(f, _)| under(f.path.as_str(), p))
                    .map(|(_, (r, _))| json!(r))
                    .collect()
            })
            .unwrap_or_default();
        dependencies.push(if held.is_empty() {
            json!({"ref": d.bom_ref})
        } else {
            json!({"ref": d.bom_ref, "dependsOn": held})
        });
    }

    let mut components: Vec<Value> = files.into_iter().map(|(_, c)| c).collect();
    let dataset_refs: Vec<String> = datasets.iter().map(|d| d.bom_ref.clone()).collect();
    components.extend(datasets.into_iter().map(|d| d.component));

    json!({
        "bomFormat": "CycloneDX",
        "specVersion": view.spec.as_str(),
        "serialNumber": format!("urn:uuid:{}", view.uuid),
        "version": 1,
        "metadata": {
            "timestamp": view.timestamp,
            "tools": {"components": [{
                "type": "application",
                "name": "scelle",
                "version": env!("CARGO_PKG_VERSION"),
            }]},
            "component": model(view, &model_ref, &dataset_refs),
        },
        "components": components,
        "dependencies": dependencies,
    })
}

/// The bom-refs given so far: each new one is made unique by a `#N` suffix, so that two
/// datasets declared with the same id (or a dataset id that looks like a file's reference)
/// never share one. The next suffix to try is kept per base, so that thousands of datasets
/// declared with one id cost no more than thousands with distinct ids.
#[derive(Default)]
struct Refs {
    taken: BTreeSet<String>,
    next: BTreeMap<String, usize>,
}

impl Refs {
    fn unique(&mut self, base: &str) -> String {
        let mut candidate = base.to_owned();
        let n = self.next.entry(base.to_owned()).or_insert(2);
        while self.taken.contains(&candidate) {
            candidate = format!("{base}#{n}");
            *n += 1;
        }
        self.taken.insert(candidate.clone());
        candidate
    }
}

/// The model: `metadata.component`.
fn model(view: &View<'_>, bom_ref: &str, dataset_refs: &[String]) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!("machine-learning-model"));
    m.insert("bom-ref".into(), json!(bom_ref));
    m.insert("name".into(), json!(view.name()));
    if let Some(v) = view.version().and_then(version) {
        m.insert("version".into(), json!(v));
    }
    m.insert(
        "hashes".into(),
        json!([{"alg": "SHA-256", "content": view.root()}]),
    );
    if let Some(org) = provider(view) {
        m.insert("supplier".into(), org.clone());
        m.insert("manufacturer".into(), org);
    }
    if let Some(l) = view.str("model.license.spdx").and_then(licenses) {
        m.insert("licenses".into(), l);
    }
    let references = model_references(view);
    if !references.is_empty() {
        m.insert("externalReferences".into(), Value::Array(references));
    }
    let ancestors = ancestors(view);
    if !ancestors.is_empty() {
        m.insert("pedigree".into(), json!({"ancestors": ancestors}));
    }
    m.insert("modelCard".into(), model_card(view, dataset_refs));
    m.insert("properties".into(), properties(view.release_properties()));
    Value::Object(m)
}

/// The provider as an organisation: its legal name, contact page and e-mail.
fn provider(view: &View<'_>) -> Option<Value> {
    let name = view.str("provider.legal_name")?;
    let mut org = organisation(name);
    if let Some(u) = view.str("provider.contact.url").and_then(url) {
        org.insert("url".into(), json!([u]));
    }
    if let Some(e) = view.str("provider.contact.email").and_then(email) {
        org.insert("contact".into(), json!([{"email": e}]));
    }
    Some(Value::Object(org))
}

fn organisation(name: &str) -> Map<String, Value> {
    let mut org = Map::new();
    org.insert("name".into(), json!(name));
    org
}

/// Where the model is published, its licence text, its public summary, its acceptable use
/// policy and the signature bundle of its record, without repeating a (type, URL) pair.
fn model_references(view: &View<'_>) -> Vec<Value> {
    let mut out = References::default();
    for channel in view.list("model.distribution_channels") {
        let kind = channel.get("type").and_then(Value::as_str);
        if let Some(u) = channel.get("url").and_then(Value::as_str) {
            out.push(
                "distribution",
                u,
                &format!("distribution channel: {}", kind.unwrap_or("unspecified")),
            );
        }
    }
    let declared = [
        (
            "distribution",
            "model.openness.download_url",
            "where the weights are published",
        ),
        ("license", "model.license.url", "licence of the weights"),
        (
            "documentation",
            "public_summary.url",
            "public summary of the training content (AI Act Art. 53(1)(d))",
        ),
        ("documentation", "model.aup.url", "acceptable use policy"),
    ];
    for (kind, path, comment) in declared {
        if let Some(u) = view.str(path) {
            out.push(kind, u, comment);
        }
    }
    if let Some(bundle) = &view.bundle {
        // A relative reference: the bundle beside the release, never a path of this machine.
        out.0.push(json!({
            "type": "attestation",
            "url": crate::report::sarif::uri(bundle),
            "comment": "signature bundle of the release's scelle record",
        }));
    }
    out.0
}

/// External references, each (type, URL) once; a URL that is not an absolute URI is left out.
#[derive(Default)]
struct References(Vec<Value>);

impl References {
    fn push(&mut self, kind: &str, raw: &str, comment: &str) {
        let Some(u) = url(raw) else { return };
        let taken = self.0.iter().any(|r| r["type"] == kind && r["url"] == u);
        if !taken {
            self.0
                .push(json!({"type": kind, "url": u, "comment": comment}));
        }
    }
}

/// `model.base_models[]` as ancestors: name, version, provider, licence, digest, relation.
fn ancestors(view: &View<'_>) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for base in view.list("model.base_models") {
        let text = |key: &str| base.get(key).and_then(Value::as_str);
        let Some(name) = text("name") else { continue };
        let mut c = Map::new();
        c.insert("type".into(), json!("machine-learning-model"));
        c.insert("name".into(), json!(name));
        if let Some(v) = text("version").and_then(version) {
            c.insert("version".into(), json!(v));
        }
        if let Some(p) = text("provider") {
            c.insert("supplier".into(), Value::Object(organisation(p)));
        }
        if let Some(l) = text("license").and_then(licenses) {
            c.insert("licenses".into(), l);
        }
        if let Some(h) = text("digest").and_then(sha256) {
            c.insert("hashes".into(), json!([{"alg": "SHA-256", "content": h}]));
        }
        let mut refs = References::default();
        if let Some(u) = text("summary_url") {
            refs.push(
                "documentation",
                u,
                "public summary of the base model's training content",
            );
        }
        if !refs.0.is_empty() {
            c.insert("externalReferences".into(), Value::Array(refs.0));
        }
        let mut props = base_model_properties(base);
        if let Some(d) = text("digest").filter(|d| sha256(d).is_none()) {
            props.push(("scelle:digest", d.to_owned()));
        }
        if !props.is_empty() {
            c.insert("properties".into(), properties(props));
        }
        let c = Value::Object(c);
        // The schema wants ancestors unique: a base model declared twice is listed once.
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// Whether the file at `path` lies in the release folder or file `dir`.
fn under(path: &str, dir: &str) -> bool {
    path == dir
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn properties(list: Vec<Property>) -> Value {
    Value::Array(
        list.into_iter()
            .map(|(name, value)| json!({"name": name, "value": value}))
            .collect(),
    )
}

/// The strings of a declared list, other items skipped.
fn strings(list: &[Value]) -> Vec<String> {
    list.iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_unique() {
        let mut refs = Refs::default();
        assert_eq!(refs.unique("dataset:a"), "dataset:a");
        assert_eq!(refs.unique("dataset:a"), "dataset:a#2");
        assert_eq!(refs.unique("dataset:a#2"), "dataset:a#2#2");
        assert_eq!(refs.unique("dataset:a"), "dataset:a#3");
    }
}
