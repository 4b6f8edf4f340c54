//! The `scelle:` properties: the facts a format has no field of its own for, under names
//! documented in docs/export.md. Both formats carry the same lists (CycloneDX `properties`, SPDX a
//! `CdxPropertiesExtension`), so a consumer reads the same names in either; each writer may add
//! a few of its own for values it had to leave out of a typed field.

use serde_json::Value;

use super::{View, number_text};
use crate::manifest::FileRecord;

/// A `scelle:` property: its name and its value as text.
pub(crate) type Property = (&'static str, String);

impl View<'_> {
    /// The release's properties, in a fixed order: how the record was verified, how complete it
    /// is, and the declared and scanned figures neither format has a field for.
    pub(crate) fn release_properties(&self) -> Vec<Property> {
        let mut out: Vec<Property> = vec![("scelle:root-sha256", self.root().to_owned())];
        let v = &self.release.verification;
        out.push(("scelle:input", v.input.clone()));
        out.push(("scelle:verified", v.verified.to_string()));
        if let Some(signer) = &self.signer {
            out.push(("scelle:signer:method", signer.method.clone()));
            out.push(("scelle:signer:identity", signer.identity.clone()));
            if let Some(issuer) = &signer.issuer {
                out.push(("scelle:signer:issuer", issuer.clone()));
            }
            if let Some(format) = &signer.format {
                out.push(("scelle:bundle-format", format.clone()));
            }
        }
        if let Some(bundle) = &self.bundle {
            out.push(("scelle:bundle", bundle.clone()));
        }
        if let Some(files_match) = v.files_match {
            out.push(("scelle:files-match", files_match.to_string()));
        }
        let c = self.completeness;
        out.push(("scelle:completeness", c.percent().to_string()));
        for part in &c.parts {
            out.push((
                match part.document {
                    "annex-xi" => "scelle:completeness:annex-xi",
                    _ => "scelle:completeness:annex-xii",
                },
                format!("{}/{}", part.filled, part.total),
            ));
        }
        let missing = c.missing();
        if !missing.is_empty() {
            out.push(("scelle:not-declared", missing.join(", ")));
        }
        if let Some(n) = self.model().get("parameter_count").and_then(Value::as_u64) {
            out.push(("scelle:parameters", n.to_string()));
        }
        if let Some(n) = self.number("model.parameters.total") {
            out.push(("scelle:parameters:declared", number_text(n)));
        }
        if let Some(n) = self.number("model.parameters.active") {
            out.push(("scelle:parameters:active:declared", number_text(n)));
        }
        for (name, path) in [
            ("scelle:training-flops", "training.compute.flops"),
            (
                "scelle:training-flops:cumulative",
                "training.compute.cumulative_flops",
            ),
            ("scelle:training-flops:method", "training.compute.method"),
            ("scelle:training-tokens", "training.data_tokens_total"),
            ("scelle:ai-act:gpai", "classification.is_gpai"),
            (
                "scelle:ai-act:provider-role",
                "classification.provider_role",
            ),
            (
                "scelle:ai-act:systemic-risk:presumed",
                "classification.systemic_risk.presumed",
            ),
            (
                "scelle:ai-act:systemic-risk:designated",
                "classification.systemic_risk.designated",
            ),
            (
                "scelle:ai-act:open-source-exemption",
                "classification.os_exemption_claimed",
            ),
            ("scelle:public-summary:url", "public_summary.url"),
        ] {
            if let Some(value) = self.get(path).and_then(scalar) {
                out.push((name, value));
            }
        }
        out
    }
}

/// The properties of one file: its kind, format and size, and one `scelle:finding` per finding
/// the scan made on it (a file that runs code when loaded says so in the bill of materials).
pub(crate) fn file_properties(file: &FileRecord) -> Vec<Property> {
    let mut out: Vec<Property> = vec![
        ("scelle:kind", file.kind.as_str().to_owned()),
        ("scelle:format", file.format.as_str().to_owned()),
        ("scelle:size", file.size.to_string()),
    ];
    for f in &file.findings {
        out.push((
            "scelle:finding",
            format!("{} {}: {}", f.rule, f.severity.as_str(), f.message),
        ));
    }
    out
}

/// A declared scalar as text: strings as they are, numbers without a float's exponent,
/// booleans as `true`/`false`.
pub(crate) fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => n.as_f64().map(number_text),
        _ => None,
    }
}

/// The properties of a declared dataset `d`: the facts neither format has a field for, and what
/// the scan counted in the release folder holding it.
pub(crate) fn dataset_properties(view: &View<'_>, d: &Value) -> Vec<Property> {
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
        (
            "scelle:dataset:collection:start",
            "/collection_period/start",
        ),
        ("scelle:dataset:collection:end", "/collection_period/end"),
        ("scelle:dataset:acquired-at", "/acquired_at"),
        ("scelle:dataset:personal-data", "/personal_data/present"),
        (
            "scelle:dataset:pseudonymised",
            "/personal_data/pseudonymised",
        ),
        ("scelle:dataset:anonymised", "/personal_data/anonymised"),
        ("scelle:dataset:lawful-basis", "/lawful_basis"),
        ("scelle:dataset:art9-condition", "/art9_condition"),
        ("scelle:dataset:controller-role", "/controller_role"),
        (
            "scelle:dataset:tdm:opt-out-respected",
            "/tdm/opt_out_respected",
        ),
        (
            "scelle:dataset:license:allows-commercial",
            "/license/allows_commercial",
        ),
        ("scelle:dataset:license:allows-tdm", "/license/allows_tdm"),
        ("scelle:dataset:synthetic", "/synthetic/is_synthetic"),
        ("scelle:dataset:synthetic:method", "/synthetic/method"),
        ("scelle:dataset:crawler", "/crawl/crawler_name"),
        ("scelle:dataset:retention:until", "/retention/until"),
        ("scelle:dataset:manifest", "/manifest/uri"),
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

/// The properties of a declared base model `b` (`model.base_models[]`).
pub(crate) fn base_model_properties(b: &Value) -> Vec<Property> {
    [
        ("scelle:base-model:relation", "/relation"),
        ("scelle:training-flops", "/training_flops"),
        ("scelle:training-flops:status", "/training_flops_status"),
        ("scelle:ai-act:systemic-risk", "/systemic_risk"),
        ("scelle:public-summary:url", "/summary_url"),
    ]
    .into_iter()
    .filter_map(|(name, p)| b.pointer(p).and_then(scalar).map(|v| (name, v)))
    .collect()
}

/// The strings of a declared list (anything else in it is skipped).
fn strings(list: &[Value]) -> Vec<String> {
    list.iter()
        .filter_map(Value::as_str)
        .map(str::to_owned)
        .collect()
}
