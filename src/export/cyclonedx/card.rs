//! The model card of the ML-BOM: what the model is for and built from, how it was evaluated, its
//! limitations, the personal data in its training data and the energy its training used.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::dataset::dataset_label;
use super::{organisation, properties, strings};
use crate::export::{Property, View, number_text, scalar};

/// The model card: parameters, quantitative analysis, considerations and the figures
/// `CycloneDX` has no field for. `approach` is never written: no declared or scanned fact says
/// whether the learning was supervised, and a guess would be a claim.
pub(super) fn model_card(view: &View<'_>, dataset_refs: &[String]) -> Value {
    let mut card = Map::new();
    let mut params = Map::new();
    let tasks = strings(view.list("model.intended_tasks"));
    if !tasks.is_empty() {
        params.insert("task".into(), json!(tasks.join("; ")));
    }
    let scanned = view.model().get("architecture");
    let family = view.str("model.architecture.family").or_else(|| {
        scanned
            .and_then(|a| a.get("model_type"))
            .and_then(Value::as_str)
    });
    if let Some(f) = family {
        params.insert("architectureFamily".into(), json!(f));
    }
    let classes = scanned
        .and_then(|a| a.get("architectures"))
        .and_then(Value::as_array)
        .map(|a| strings(a).join(", "))
        .filter(|s| !s.is_empty());
    if let Some(a) = classes.or_else(|| {
        view.str("model.architecture.description")
            .map(str::to_owned)
    }) {
        params.insert("modelArchitecture".into(), json!(a));
    }
    if !dataset_refs.is_empty() {
        let refs: Vec<Value> = dataset_refs.iter().map(|r| json!({"ref": r})).collect();
        params.insert("datasets".into(), Value::Array(refs));
    }
    for (key, path) in [
        ("inputs", "model.modalities.input"),
        ("outputs", "model.modalities.output"),
    ] {
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
            let _ = write!(name, " ({})", categories.join(", "));
        }
        if let Some(s) = d
            .pointer("/personal_data/special_categories")
            .and_then(Value::as_str)
        {
            let _ = write!(name, "; special categories (GDPR Art. 9): {s}");
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
        (
            "scelle:emissions:grid-gco2-per-kwh",
            "training.emissions.grid_gco2_per_kwh",
        ),
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
