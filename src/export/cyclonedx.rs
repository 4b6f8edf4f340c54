//! CycloneDX 1.6 and 1.7 JSON: the release as an ML-BOM. The model is the BOM's subject
//! (`metadata.component`, a `machine-learning-model` with its model card and the base models as
//! its pedigree), every file of the release a `file` component, every declared dataset a `data`
//! component, and `dependencies` ties the model to both.
//!
//! A declared string can hold anything, so each one is placed where the schema takes any text
//! (a name, a property value) or checked first: a URL that is not an absolute URI, an e-mail
//! without `@`, a digest that is not hex or a version longer than the schema allows is left out
//! of the field that would make the document invalid. Licence ids come from the list the
//! CycloneDX schemas enumerate (`cyclonedx-licence-ids.txt`, the `enum` of the CycloneDX
//! project's `spdx.schema.json`, Apache-2.0, as vendored in tests/schemas/cyclonedx); any other
//! expression is written as an `expression`, any other text as a licence `name`. Arrays follow
//! the release: files in manifest order, datasets in declaration order.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::{Property, View, file_properties, number_text, scalar};

/// The licence ids of the SPDX list the CycloneDX 1.6 and 1.7 schemas accept in `license.id`.
const LICENCE_IDS: &str = include_str!("cyclonedx-licence-ids.txt");

/// The schema's `maxLength` of a component's `version`.
const VERSION_MAX: usize = 1024;

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
/// never share one.
#[derive(Default)]
struct Refs(BTreeSet<String>);

impl Refs {
    fn unique(&mut self, base: &str) -> String {
        let mut candidate = base.to_owned();
        let mut n = 2;
        while self.0.contains(&candidate) {
            candidate = format!("{base}#{n}");
            n += 1;
        }
        self.0.insert(candidate.clone());
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
    m.insert(
        "properties".into(),
        properties(view.release_properties()),
    );
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
        ("distribution", "model.openness.download_url", "where the weights are published"),
        ("license", "model.license.url", "licence of the weights"),
        ("documentation", "public_summary.url", "public summary of the training content (AI Act Art. 53(1)(d))"),
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
            "url": percent_encode(bundle),
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
        let taken = self
            .0
            .iter()
            .any(|r| r["type"] == kind && r["url"] == u);
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
            refs.push("documentation", u, "public summary of the base model's training content");
        }
        if !refs.0.is_empty() {
            c.insert("externalReferences".into(), Value::Array(refs.0));
        }
        let mut props: Vec<Property> = Vec::new();
        for (name, key) in [
            ("scelle:relation", "relation"),
            ("scelle:training-flops", "training_flops"),
            ("scelle:training-flops:status", "training_flops_status"),
            ("scelle:ai-act:systemic-risk", "systemic_risk"),
        ] {
            if let Some(v) = base.get(key).and_then(scalar) {
                props.push((name, v));
            }
        }
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

/// The model card: parameters, quantitative analysis, considerations and the figures
/// CycloneDX has no field for. `approach` is never written: no declared or scanned fact says
/// whether the learning was supervised, and a guess would be a claim.
fn model_card(view: &View<'_>, dataset_refs: &[String]) -> Value {
    let mut card = Map::new();
    let mut params = Map::new();
    let tasks = strings(view.list("model.intended_tasks"));
    if !tasks.is_empty() {
        params.insert("task".into(), json!(tasks.join("; ")));
    }
    let scanned = view.model().get("architecture");
    let family = view
        .str("model.architecture.family")
        .or_else(|| scanned.and_then(|a| a.get("model_type")).and_then(Value::as_str));
    if let Some(f) = family {
        params.insert("architectureFamily".into(), json!(f));
    }
    let classes = scanned
        .and_then(|a| a.get("architectures"))
        .and_then(Value::as_array)
        .map(|a| strings(a).join(", "))
        .filter(|s| !s.is_empty());
    if let Some(a) = classes.or_else(|| view.str("model.architecture.description").map(str::to_owned)) {
        params.insert("modelArchitecture".into(), json!(a));
    }
    if !dataset_refs.is_empty() {
        let refs: Vec<Value> = dataset_refs.iter().map(|r| json!({"ref": r})).collect();
        params.insert("datasets".into(), Value::Array(refs));
    }
    for (key, path) in [("inputs", "model.modalities.input"), ("outputs", "model.modalities.output")] {
        let formats: Vec<Value> = strings(view.list(path))
            .into_iter()
            .map(|m| json!({"format": m}))
            .collect();
        if !formats.is_empty() {
            params.insert(key.into(), Value::Array(formats));
        }
    }
    if !params.is_empty() {
        card.insert("modelParameters".into(), Value::Object(params));
    }
    let metrics = performance_metrics(view);
    if !metrics.is_empty() {
        card.insert(
            "quantitativeAnalysis".into(),
            json!({"performanceMetrics": metrics}),
        );
    }
    let considerations = considerations(view, &tasks);
    if !considerations.is_empty() {
        card.insert("considerations".into(), Value::Object(considerations));
    }
    let mut props: Vec<Property> = view
        .release_properties()
        .into_iter()
        .filter(|(name, _)| {
            name.starts_with("scelle:parameters") || name.starts_with("scelle:training-")
        })
        .collect();
    if let Some(dtypes) = view.model().get("dtypes").and_then(Value::as_object) {
        let text: Vec<String> = dtypes
            .iter()
            .filter_map(|(k, v)| v.as_u64().map(|n| format!("{k}={n}")))
            .collect();
        if !text.is_empty() {
            props.push(("scelle:dtypes", text.join(", ")));
        }
    }
    if let Some(formats) = view.model().get("formats").and_then(Value::as_array) {
        let text = strings(formats);
        if !text.is_empty() {
            props.push(("scelle:weight-formats", text.join(", ")));
        }
    }
    if let Some(n) = view.number("model.max_input_tokens") {
        props.push(("scelle:max-input-tokens", number_text(n)));
    }
    if !props.is_empty() {
        card.insert("properties".into(), properties(props));
    }
    Value::Object(card)
}

/// `evaluation.results[]`: the metric as its type, the score as text, the benchmark as slice.
fn performance_metrics(view: &View<'_>) -> Vec<Value> {
    let mut out = Vec::new();
    for result in view.list("evaluation.results") {
        let mut m = Map::new();
        if let Some(t) = result.get("metric").and_then(Value::as_str) {
            m.insert("type".into(), json!(t));
        }
        if let Some(v) = result.get("value").and_then(scalar) {
            m.insert("value".into(), json!(v));
        }
        if let Some(s) = result.get("benchmark").and_then(Value::as_str) {
            m.insert("slice".into(), json!(s));
        }
        if !m.is_empty() {
            out.push(Value::Object(m));
        }
    }
    out
}

fn considerations(view: &View<'_>, tasks: &[String]) -> Map<String, Value> {
    let mut c = Map::new();
    if !tasks.is_empty() {
        c.insert("useCases".into(), json!(tasks));
    }
    if let Some(l) = view.str("evaluation.limitations") {
        c.insert("technicalLimitations".into(), json!([l]));
    }
    let ethical = ethical(view);
    if !ethical.is_empty() {
        c.insert("ethicalConsiderations".into(), Value::Array(ethical));
    }
    if let Some(energy) = training_energy(view) {
        c.insert(
            "environmentalConsiderations".into(),
            json!({"energyConsumptions": [energy]}),
        );
    }
    c
}

/// One risk per dataset declared with personal data, mitigated by its declared minimisation
/// and the training's privacy measures.
fn ethical(view: &View<'_>) -> Vec<Value> {
    let measures = strings(view.list("training.privacy_measures"));
    let mut out = Vec::new();
    for (i, d) in view.list("datasets").iter().enumerate() {
        let present = d.pointer("/personal_data/present");
        if present != Some(&Value::Bool(true)) {
            continue;
        }
        let label = dataset_label(d, i);
        let categories = d
            .pointer("/personal_data/categories")
            .and_then(Value::as_array)
            .map(|a| strings(a))
            .unwrap_or_default();
        let mut name = format!("personal data in the training data: dataset `{label}`");
        if !categories.is_empty() {
            name.push_str(&format!(" ({})", categories.join(", ")));
        }
        if let Some(s) = d.pointer("/personal_data/special_categories").and_then(Value::as_str) {
            name.push_str(&format!("; special categories (GDPR Art. 9): {s}"));
        }
        let mut mitigations = d
            .pointer("/personal_data/minimisation")
            .and_then(Value::as_array)
            .map(|a| strings(a))
            .unwrap_or_default();
        for m in &measures {
            if !mitigations.contains(m) {
                mitigations.push(m.clone());
            }
        }
        let mut risk = Map::new();
        risk.insert("name".into(), json!(name));
        if !mitigations.is_empty() {
            risk.insert("mitigationStrategy".into(), json!(mitigations.join(", ")));
        }
        out.push(Value::Object(risk));
    }
    out
}

/// `training.energy` as the training activity's consumption. The schema requires
/// `energyProviders`: the declared facility (or cloud provider) is the one that supplied the
/// energy of the whole run, its source unknown; with neither declared the list stays empty
/// rather than naming anyone.
fn training_energy(view: &View<'_>) -> Option<Value> {
    let kwh = view.number("training.energy.kwh")?;
    let cost = json!({"value": kwh, "unit": "kWh"});
    let mut providers = Vec::new();
    let operator = view
        .str("training.hardware.cloud_provider")
        .or_else(|| view.str("training.hardware.facility"));
    if let Some(name) = operator {
        let mut org = organisation(name);
        if let Some(country) = view.str("training.hardware.country") {
            org.insert("address".into(), json!({"country": country}));
        }
        providers.push(json!({
            "organization": org,
            "energySource": "unknown",
            "energyProvided": cost,
            "description": "where the model was trained (`training.hardware`)",
        }));
    }
    let mut e = Map::new();
    e.insert("activity".into(), json!("training"));
    e.insert("energyProviders".into(), Value::Array(providers));
    e.insert("activityEnergyCost".into(), cost);
    if let Some(kg) = view.number("training.emissions.kg_co2e") {
        // The schema's only unit is tonnes of CO2 equivalent.
        e.insert(
            "co2CostEquivalent".into(),
            json!({"value": kg / 1000.0, "unit": "tCO2eq"}),
        );
    }
    let mut props: Vec<Property> = Vec::new();
    for (name, path) in [
        ("scelle:energy:method", "training.energy.method"),
        ("scelle:energy:basis", "training.energy.basis"),
        ("scelle:energy:pue", "training.energy.pue"),
        ("scelle:emissions:grid-gco2-per-kwh", "training.emissions.grid_gco2_per_kwh"),
    ] {
        if let Some(v) = view.get(path).and_then(scalar) {
            props.push((name, v));
        }
    }
    if !props.is_empty() {
        e.insert("properties".into(), properties(props));
    }
    Some(Value::Object(e))
}

/// A declared dataset as a `data` component, with the release folder that holds it.
struct Dataset {
    bom_ref: String,
    path: Option<String>,
    component: Value,
}

fn dataset_label(d: &Value, i: usize) -> String {
    d.get("id")
        .or_else(|| d.get("name"))
        .and_then(Value::as_str)
        .map_or_else(|| format!("datasets[{i}]"), str::to_owned)
}

fn dataset(view: &View<'_>, d: &Value, i: usize, refs: &mut Refs) -> Dataset {
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
        ("distribution", "/source_url", "where the dataset was obtained"),
        ("license", "/license/url", "licence of the dataset"),
        ("license", "/license/terms_url", "terms of use of the dataset"),
        ("documentation", "/transparency/notice_url", "privacy notice (GDPR Art. 13, 14)"),
        ("documentation", "/transparency/source_list_url", "published list of sources"),
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
    let props = dataset_properties(view, d);
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
        sensitive.push(format!("special categories of personal data (GDPR Art. 9): {s}"));
    }
    for (p, what) in [
        ("/personal_data/criminal_data_possible", "criminal-offence data (GDPR Art. 10): possible"),
        ("/personal_data/children_data_possible", "data about children: possible"),
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
        governance.insert("custodians".into(), json!([{"organization": organisation(p)}]));
    }
    if !governance.is_empty() {
        data.insert("governance".into(), Value::Object(governance));
    }
    if let Some(desc) = text("/citation") {
        data.insert("description".into(), json!(desc));
    }
    Value::Object(data)
}

/// The declared facts of a dataset CycloneDX has no field for, and what the scan counted in
/// the release folder holding it.
fn dataset_properties(view: &View<'_>, d: &Value) -> Vec<Property> {
    let mut props: Vec<Property> = Vec::new();
    for (name, p) in [
        ("scelle:dataset:id", "/id"),
        ("scelle:dataset:revision", "/revision"),
        ("scelle:dataset:role", "/role"),
        ("scelle:dataset:source-type", "/source_type"),
        ("scelle:dataset:path", "/path"),
        ("scelle:dataset:modality", "/modality"),
        ("scelle:dataset:size:bytes", "/size/bytes"),
        ("scelle:dataset:size:tokens", "/size/tokens"),
        ("scelle:dataset:size:records", "/size/records"),
        ("scelle:dataset:size:images", "/size/images"),
        ("scelle:dataset:size:audio-hours", "/size/audio_hours"),
        ("scelle:dataset:size:video-hours", "/size/video_hours"),
        ("scelle:dataset:collection:start", "/collection_period/start"),
        ("scelle:dataset:collection:end", "/collection_period/end"),
        ("scelle:dataset:acquired-at", "/acquired_at"),
        ("scelle:dataset:personal-data", "/personal_data/present"),
        ("scelle:dataset:pseudonymised", "/personal_data/pseudonymised"),
        ("scelle:dataset:anonymised", "/personal_data/anonymised"),
        ("scelle:dataset:lawful-basis", "/lawful_basis"),
        ("scelle:dataset:art9-condition", "/art9_condition"),
        ("scelle:dataset:controller-role", "/controller_role"),
        ("scelle:dataset:tdm:opt-out-respected", "/tdm/opt_out_respected"),
        ("scelle:dataset:license:allows-commercial", "/license/allows_commercial"),
        ("scelle:dataset:license:allows-tdm", "/license/allows_tdm"),
        ("scelle:dataset:synthetic", "/synthetic/is_synthetic"),
        ("scelle:dataset:synthetic:method", "/synthetic/method"),
        ("scelle:dataset:crawler", "/crawl/crawler_name"),
        ("scelle:dataset:retention:until", "/retention/until"),
    ] {
        if let Some(v) = d.pointer(p).and_then(scalar) {
            props.push((name, v));
        }
    }
    for (name, p) in [
        ("scelle:dataset:languages", "/languages"),
        ("scelle:dataset:tdm:methods", "/tdm/methods"),
    ] {
        let list = d.pointer(p).and_then(Value::as_array).map(|a| strings(a));
        if let Some(list) = list.filter(|l| !l.is_empty()) {
            props.push((name, list.join(", ")));
        }
    }
    let generators: Vec<String> = d
        .pointer("/synthetic/generator_models")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|g| g.get("name").and_then(Value::as_str))
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if !generators.is_empty() {
        props.push(("scelle:dataset:synthetic:generators", generators.join(", ")));
    }
    if let Some(u) = d.pointer("/source_url").and_then(Value::as_str).filter(|u| url(u).is_none()) {
        // Kept as text: the declared source is not a URL the schema accepts.
        props.push(("scelle:dataset:source", u.to_owned()));
    }
    if let Some(path) = d.pointer("/path").and_then(Value::as_str) {
        let path = path.trim_end_matches('/');
        let scanned = view.scanned_datasets().iter().find(|s| {
            s.get("path")
                .and_then(Value::as_str)
                .is_some_and(|p| p.trim_end_matches('/') == path)
        });
        for (name, key) in [
            ("scelle:dataset:scanned:files", "files"),
            ("scelle:dataset:scanned:bytes", "bytes"),
            ("scelle:dataset:scanned:records", "records"),
        ] {
            if let Some(v) = scanned.and_then(|s| s.get(key)).and_then(scalar) {
                props.push((name, v));
            }
        }
    }
    props
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

/// A licence choice for a declared SPDX expression: a listed id as `license.id`, another valid
/// expression (`LicenseRef-...`, `AND`, `OR`, `WITH`) as `expression`, any other text as a
/// licence `name`, which no consumer mistakes for an identifier.
fn licenses(spdx_text: &str) -> Option<Value> {
    let text = spdx_text.trim();
    if text.is_empty() {
        return None;
    }
    if LICENCE_IDS.lines().any(|id| id == text) {
        return Some(json!([{"license": {"id": text}}]));
    }
    if spdx::Expression::parse(text).is_ok() {
        return Some(json!([{"expression": text}]));
    }
    Some(json!([{"license": {"name": text}}]))
}

/// A version the schema accepts (at most 1024 characters).
fn version(v: &str) -> Option<&str> {
    (v.chars().count() <= VERSION_MAX).then_some(v)
}

/// A lowercase SHA-256 digest, with or without its `sha256:` prefix.
fn sha256(text: &str) -> Option<String> {
    let hex = text.strip_prefix("sha256:").unwrap_or(text);
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| hex.to_ascii_lowercase())
}

/// An e-mail address the schema's `idn-email` takes: one `@` between two non-empty parts,
/// no spaces or control characters.
fn email(text: &str) -> Option<&str> {
    let (local, domain) = text.split_once('@')?;
    let ok = !local.is_empty()
        && !domain.is_empty()
        && !domain.contains('@')
        && !text.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(text)
}

/// A reference to a document: an absolute URL, or a path inside the release (percent-encoded
/// into a relative reference).
fn reference(text: &str) -> Option<String> {
    if let Some(u) = url(text) {
        return Some(u.to_owned());
    }
    let path = text.trim_start_matches("./");
    let safe = !path.is_empty()
        && !path.starts_with('/')
        && !path.contains(':')
        && !path.split('/').any(|s| s == "..");
    safe.then(|| percent_encode(path))
}

/// An absolute URI (RFC 3986, ASCII): a scheme, then an optional authority, a path, a query
/// and a fragment made only of the characters each part allows. Anything else (spaces,
/// newlines, brackets, a stray `%`, a port that is not a number) is refused, so a declared
/// value never makes the schema's `iri-reference` check fail.
fn url(text: &str) -> Option<&str> {
    let (scheme, rest) = text.split_once(':')?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    if !scheme_ok || rest.is_empty() || !percent_ok(rest) {
        return None;
    }
    let (before_fragment, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (hier, query) = before_fragment
        .split_once('?')
        .unwrap_or((before_fragment, ""));
    let tail = |c: char| pchar(c) || c == '/' || c == '?';
    if !fragment.chars().all(tail) || !query.chars().all(tail) {
        return None;
    }
    let path = match hier.strip_prefix("//") {
        Some(after) => {
            let end = after.find('/').unwrap_or(after.len());
            let (authority, path) = after.split_at(end);
            let host_port = match authority.rsplit_once('@') {
                Some((user, host)) => {
                    if !user.chars().all(|c| unreserved(c) || sub_delim(c) || c == ':' || c == '%')
                    {
                        return None;
                    }
                    host
                }
                None => authority,
            };
            let (host, port) = host_port.rsplit_once(':').unwrap_or((host_port, ""));
            let host_ok = host.chars().all(|c| unreserved(c) || sub_delim(c) || c == '%');
            if !host_ok || !port.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            path
        }
        None => hier,
    };
    path.chars()
        .all(|c| pchar(c) || c == '/')
        .then_some(text)
}

fn unreserved(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~".contains(c)
}

fn sub_delim(c: char) -> bool {
    "!$&'()*+,;=".contains(c)
}

fn pchar(c: char) -> bool {
    unreserved(c) || sub_delim(c) || c == ':' || c == '@' || c == '%'
}

/// Every `%` starts a two-digit hex escape.
fn percent_ok(text: &str) -> bool {
    let b = text.as_bytes();
    b.iter().enumerate().all(|(i, &c)| {
        c != b'%'
            || (b.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    })
}

/// A relative path as a URI reference: bytes other than unreserved characters and `/`
/// percent-encoded.
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_uris_of_allowed_characters_are_urls() {
        for ok in [
            "https://example.org/a/b?c=d#e",
            "https://user:pw@example.org:8443/x%20y",
            "mailto:a@example.org",
            "urn:uuid:1234",
        ] {
            assert_eq!(url(ok), Some(ok), "{ok}");
        }
        for bad in [
            "not a url",
            "https://exa mple.org/",
            "https://example.org/\nsecond line",
            "https://example.org/%zz",
            "https://example.org:port/",
            "https://[::1]/",
            "https://example.org/<script>",
            "https://exemple.fr/é",
            "docs/relative.md",
            "1http://x",
            "https:",
        ] {
            assert_eq!(url(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn licences_are_ids_expressions_or_names() {
        assert_eq!(
            licenses("Apache-2.0"),
            Some(json!([{"license": {"id": "Apache-2.0"}}]))
        );
        assert_eq!(
            licenses("MIT OR Apache-2.0"),
            Some(json!([{"expression": "MIT OR Apache-2.0"}]))
        );
        assert_eq!(
            licenses("LicenseRef-Petit-Labo"),
            Some(json!([{"expression": "LicenseRef-Petit-Labo"}]))
        );
        assert_eq!(
            licenses("our own\nterms"),
            Some(json!([{"license": {"name": "our own\nterms"}}]))
        );
        assert_eq!(licenses("  "), None);
    }

    #[test]
    fn the_licence_ids_are_those_of_the_vendored_schema() {
        let schema: Value = serde_json::from_str(include_str!(
            "../../tests/schemas/cyclonedx/spdx.schema.json"
        ))
        .unwrap();
        let listed: Vec<&str> = schema["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(LICENCE_IDS.lines().collect::<Vec<_>>(), listed);
    }

    #[test]
    fn references_are_unique() {
        let mut refs = Refs::default();
        assert_eq!(refs.unique("dataset:a"), "dataset:a");
        assert_eq!(refs.unique("dataset:a"), "dataset:a#2");
        assert_eq!(refs.unique("dataset:a#2"), "dataset:a#2#2");
        assert_eq!(refs.unique("dataset:a"), "dataset:a#3");
    }

    #[test]
    fn paths_become_relative_references() {
        assert_eq!(percent_encode("my bundle.json"), "my%20bundle.json");
        assert_eq!(reference("./docs/a b.md").as_deref(), Some("docs/a%20b.md"));
        assert_eq!(reference("../outside"), None);
        assert_eq!(reference("/etc/passwd"), None);
        assert_eq!(sha256("sha256:AB").as_deref(), None);
        assert_eq!(email("a @b"), None);
        assert_eq!(email("a@b"), Some("a@b"));
    }
}
