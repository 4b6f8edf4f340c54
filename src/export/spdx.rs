//! SPDX 3.0.1 JSON-LD with the AI and Dataset profiles: the model as an `ai_AIPackage` with its
//! files (`software_File`, each with its SHA-256), its declared datasets
//! (`dataset_DatasetPackage`, linked by `trainedOn`/`testedOn`), its base models (`descendantOf`)
//! and the licences declared for each (`hasDeclaredLicense`).
//!
//! Every element is an IRI under `urn:uuid:<export uuid>#`, so the same record exported twice
//! gives the same graph. A value is written only when it was declared or scanned and fits the
//! field's type in the SPDX model (a date, a URL, a digest): a declared string that does not fit
//! is left out rather than making the document invalid. Facts SPDX has no field for go under
//! their `scelle:` names in a `CdxPropertiesExtension`: the same names the other format carries.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

mod inputs;

use super::{Property, View, file_properties, lookup, number_text, scalar};
use crate::vocab::Kind;

const CONTEXT: &str = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld";
const CREATION_INFO: &str = "_:creationinfo";

/// The scanned architecture figures written as hyperparameters: the scanner's own names only, as
/// a manifest read from a file may carry any key.
const ARCHITECTURE_FIGURES: [&str; 9] = [
    "layers",
    "hidden_size",
    "intermediate_size",
    "attention_heads",
    "kv_heads",
    "experts",
    "vocabulary",
    "context_length",
    "torch_dtype",
];

/// The document for `view`.
pub(super) fn document(view: &View<'_>) -> Value {
    let mut g = Graph::new(view);
    let tool = g.id("tool");
    g.push(json!({
        "type": "Tool",
        "spdxId": tool,
        "name": format!("scelle {}", env!("CARGO_PKG_VERSION")),
    }));
    // The document is made by scelle, whoever runs it: the provider did not necessarily ask for
    // this export, so the provider is the model's supplier, not the document's author.
    let agent = g.id("agent");
    g.push(json!({"type": "SoftwareAgent", "spdxId": agent, "name": "scelle"}));

    let package = g.id("package");
    // Not `extension`: the 3.0.1 context defines `extension` as a term (the property), which
    // JSON-LD expands before the profile vocabulary, so that value can never validate.
    let mut profiles = vec!["core", "software", "ai"];
    model_package(&mut g, view, &package);
    files(&mut g, view, &package);
    if inputs::datasets(&mut g, view, &package) {
        profiles.push("dataset");
    }
    inputs::base_models(&mut g, view, &package);
    if g.licensed {
        profiles.push("simpleLicensing");
    }

    let mut document = Map::new();
    document.insert("type".into(), json!("SpdxDocument"));
    document.insert("spdxId".into(), json!(g.id("document")));
    document.insert("creationInfo".into(), json!(CREATION_INFO));
    document.insert("name".into(), json!(bom_name(view)));
    document.insert("profileConformance".into(), json!(profiles));
    document.insert("rootElement".into(), json!([package]));
    document.insert("element".into(), json!(g.ids));

    let mut graph = vec![json!({
        "type": "CreationInfo",
        "@id": CREATION_INFO,
        "specVersion": "3.0.1",
        "created": view.timestamp,
        "createdBy": [agent],
        "createdUsing": [tool],
    })];
    graph.push(Value::Object(document));
    graph.extend(g.nodes);
    json!({"@context": CONTEXT, "@graph": graph})
}

/// The elements written so far, in the order they are written, and their IRIs.
struct Graph {
    prefix: String,
    nodes: Vec<Value>,
    ids: Vec<String>,
    /// Agents by name, so a name declared twice (the provider as a dataset's publisher) is one
    /// element, of the kind it was first written as.
    agents: BTreeMap<String, String>,
    /// Licence expressions by text, likewise.
    licenses: BTreeMap<String, String>,
    licensed: bool,
    relationships: usize,
    /// The release's files by path, with their IRIs, so a dataset contains its own.
    files: Vec<(String, String)>,
}

impl Graph {
    fn new(view: &View<'_>) -> Self {
        Graph {
            prefix: format!("urn:uuid:{}#", view.uuid),
            nodes: Vec::new(),
            ids: Vec::new(),
            agents: BTreeMap::new(),
            licenses: BTreeMap::new(),
            licensed: false,
            relationships: 0,
            files: Vec::new(),
        }
    }

    fn id(&self, local: &str) -> String {
        format!("{}{local}", self.prefix)
    }

    /// Adds an element, with the document's creation information.
    fn push(&mut self, mut node: Value) {
        if let Some(id) = node.get("spdxId").and_then(Value::as_str) {
            self.ids.push(id.to_owned());
        }
        if let Some(map) = node.as_object_mut() {
            map.insert("creationInfo".into(), json!(CREATION_INFO));
        }
        self.nodes.push(node);
    }

    /// The IRI of an agent (`Organization` for a legal entity, `Agent` when the declaration does
    /// not say what kind of party it is), added on first use.
    fn agent(&mut self, kind: &'static str, name: &str) -> String {
        if let Some(id) = self.agents.get(name) {
            return id.clone();
        }
        let id = self.id(&format!("agent-{}", self.agents.len() + 1));
        self.agents.insert(name.to_owned(), id.clone());
        self.push(json!({"type": kind, "spdxId": id, "name": name}));
        id
    }

    /// A `hasDeclaredLicense` relationship from `from` to the licence `expression` (added on
    /// first use), when it reads as a licence expression.
    fn declared_license(&mut self, from: &str, expression: Option<&str>) {
        let Some(expression) = expression.filter(|e| is_license_expression(e)) else {
            return;
        };
        let license = if let Some(id) = self.licenses.get(expression) {
            id.clone()
        } else {
            let id = self.id(&format!("license-{}", self.licenses.len() + 1));
            self.licenses.insert(expression.to_owned(), id.clone());
            self.push(json!({
                "type": "simplelicensing_LicenseExpression",
                "spdxId": id,
                "simplelicensing_licenseExpression": expression,
            }));
            id
        };
        self.licensed = true;
        self.relationship(from, "hasDeclaredLicense", &[license]);
    }

    fn relationship(&mut self, from: &str, kind: &str, to: &[String]) {
        if to.is_empty() {
            return;
        }
        self.relationships += 1;
        let id = self.id(&format!("relationship-{}", self.relationships));
        self.push(json!({
            "type": "Relationship",
            "spdxId": id,
            "from": from,
            "relationshipType": kind,
            "to": to,
        }));
    }
}

fn bom_name(view: &View<'_>) -> String {
    match view.version() {
        Some(version) => format!("{} {version} AI bill of materials", view.name()),
        None => format!("{} AI bill of materials", view.name()),
    }
}

/// The model: what it is, who supplies it, how it was trained, its energy and its figures.
fn model_package(g: &mut Graph, view: &View<'_>, package: &str) {
    let mut p = Map::new();
    p.insert("type".into(), json!("ai_AIPackage"));
    p.insert("spdxId".into(), json!(package));
    p.insert("name".into(), json!(view.name()));
    if let Some(version) = view.version() {
        p.insert("software_packageVersion".into(), json!(version));
    }
    if let Some(name) = view.str("provider.legal_name").filter(|s| !s.is_empty()) {
        let supplier = g.agent("Organization", name);
        p.insert("suppliedBy".into(), json!(supplier));
    }
    if let Some(time) = view.str("model.release_date").and_then(date_time) {
        p.insert("releaseTime".into(), json!(time));
    }
    let channels = view.list("model.distribution_channels");
    let download = view
        .str("model.openness.download_url")
        .filter(|u| is_url(u))
        .or_else(|| {
            channels
                .iter()
                .filter_map(|c| c.get("url").and_then(Value::as_str))
                .find(|u| is_url(u))
        });
    if let Some(url) = download {
        p.insert("software_downloadLocation".into(), json!(url));
    }
    p.insert("software_primaryPurpose".into(), json!("model"));
    p.insert(
        "verifiedUsing".into(),
        sha256_hash(
            view.root(),
            Some(
                "the release's root digest (OpenSSF Model Signing): SHA-256 over the raw SHA-256 \
                 digests of its files, in manifest order",
            ),
        ),
    );
    insert_list(&mut p, "ai_typeOfModel", type_of_model(view));
    insert_list(&mut p, "ai_hyperparameter", hyperparameters(view));
    if let Some(kwh) = view
        .number("training.energy.kwh")
        .filter(|n| n.is_finite() && *n >= 0.0)
    {
        p.insert(
            "ai_energyConsumption".into(),
            json!({
                "type": "ai_EnergyConsumption",
                "ai_trainingEnergyConsumption": [{
                    "type": "ai_EnergyConsumptionDescription",
                    "ai_energyQuantity": number_text(kwh),
                    "ai_energyUnit": "kilowattHour",
                }],
            }),
        );
    }
    if let Some(text) = view.str("training.methodology") {
        p.insert("ai_informationAboutTraining".into(), json!(text));
    }
    let tasks = strings(view.list("model.intended_tasks"));
    if !tasks.is_empty() {
        p.insert(
            "ai_informationAboutApplication".into(),
            json!(tasks.join("; ")),
        );
    }
    if let Some(text) = view.str("evaluation.limitations") {
        p.insert("ai_limitation".into(), json!(text));
    }
    insert_list(
        &mut p,
        "ai_domain",
        strings(view.list("model.integration_types"))
            .into_iter()
            .map(Value::from)
            .collect(),
    );
    insert_list(&mut p, "ai_metric", metrics(view));
    if let Some(presence) = sensitive_personal_information(view) {
        p.insert("ai_useSensitivePersonalInformation".into(), json!(presence));
    }
    insert_extension(&mut p, view.release_properties());
    g.push(Value::Object(p));
    let license = view.str("model.license.spdx");
    g.declared_license(package, license);
}

/// The declared architecture family and kind, then the scanned model type and classes.
fn type_of_model(view: &View<'_>) -> Vec<Value> {
    let mut out: Vec<String> = Vec::new();
    let scanned = view.model().get("architecture");
    let candidates = [
        view.str("model.architecture.family"),
        view.str("model.architecture.kind"),
        scanned
            .and_then(|a| a.get("model_type"))
            .and_then(Value::as_str),
    ]
    .into_iter()
    .flatten()
    .map(str::to_owned)
    .chain(
        scanned
            .and_then(|a| a.get("architectures"))
            .and_then(Value::as_array)
            .map(|a| strings(a))
            .unwrap_or_default(),
    );
    for c in candidates {
        if !c.is_empty() && !out.contains(&c) {
            out.push(c);
        }
    }
    out.into_iter().map(Value::from).collect()
}

/// Parameter counts, training compute and tokens, and the scanned architecture's figures, as
/// `DictionaryEntry`s under their `scelle:` names (SPDX has no field for any of them).
fn hyperparameters(view: &View<'_>) -> Vec<Value> {
    const NAMES: [&str; 5] = [
        "scelle:parameters",
        "scelle:parameters:declared",
        "scelle:parameters:active:declared",
        "scelle:training-flops",
        "scelle:training-tokens",
    ];
    let mut out: Vec<Value> = view
        .release_properties()
        .into_iter()
        .filter(|(name, _)| NAMES.contains(name))
        .map(|(name, value)| entry(name, &value))
        .collect();
    let arch = view.model().get("architecture");
    for key in ARCHITECTURE_FIGURES {
        let value = arch.and_then(|a| a.get(key));
        let text = value
            .and_then(Value::as_u64)
            .map(|n| n.to_string())
            .or_else(|| value.and_then(Value::as_str).map(str::to_owned));
        if let Some(text) = text {
            out.push(entry(&format!("scelle:architecture:{key}"), &text));
        }
    }
    out
}

/// One `DictionaryEntry` per declared evaluation result: the benchmark and metric as the key,
/// the score as the value.
fn metrics(view: &View<'_>) -> Vec<Value> {
    view.list("evaluation.results")
        .iter()
        .filter_map(|r| {
            let key: Vec<&str> = ["benchmark", "metric"]
                .iter()
                .filter_map(|k| r.get(*k).and_then(Value::as_str))
                .filter(|s| !s.is_empty())
                .collect();
            if key.is_empty() {
                return None;
            }
            let mut e = Map::new();
            e.insert("type".into(), json!("DictionaryEntry"));
            e.insert("key".into(), json!(key.join(" ")));
            if let Some(value) = r.get("value").and_then(scalar) {
                e.insert("value".into(), json!(value));
            }
            Some(Value::Object(e))
        })
        .collect()
}

/// `yes` when a declared dataset holds personal data, `noAssertion` otherwise: the declaration
/// can show that personal data was used, never that none was.
fn sensitive_personal_information(view: &View<'_>) -> Option<&'static str> {
    let datasets = view.list("datasets");
    if datasets.is_empty() {
        return None;
    }
    let any = datasets
        .iter()
        .any(|d| presence(lookup(d, "personal_data.present")) == Some("yes"));
    Some(if any { "yes" } else { "noAssertion" })
}

/// Every file of the release with its digest, contained in the model's package.
fn files(g: &mut Graph, view: &View<'_>, package: &str) {
    let mut ids = Vec::new();
    for (i, file) in view.files().iter().enumerate() {
        let id = g.id(&format!("file-{}", i + 1));
        let mut f = Map::new();
        f.insert("type".into(), json!("software_File"));
        f.insert("spdxId".into(), json!(id));
        f.insert("name".into(), json!(file.path.as_str()));
        f.insert(
            "verifiedUsing".into(),
            sha256_hash(&file.sha256.to_hex(), None),
        );
        f.insert(
            "software_primaryPurpose".into(),
            json!(file_purpose(file.kind)),
        );
        f.insert("software_fileKind".into(), json!("file"));
        insert_extension(&mut f, file_properties(file));
        g.push(Value::Object(f));
        g.files.push((file.path.as_str().to_owned(), id.clone()));
        ids.push(id);
    }
    g.relationship(package, "contains", &ids);
}

/// The SPDX purpose of a file of each kind. A tokenizer is the vocabulary and rules the model
/// reads its input with: data, not configuration.
fn file_purpose(kind: Kind) -> &'static str {
    match kind {
        Kind::Weights => "model",
        Kind::Dataset | Kind::Tokenizer => "data",
        Kind::Config => "configuration",
        Kind::Code => "source",
        Kind::Docs => "documentation",
        Kind::Other => "other",
    }
}

/// `yes`, `no` or `noAssertion` for a declared `true`, `false` or `unknown`.
fn presence(value: Option<&Value>) -> Option<&'static str> {
    match value? {
        Value::Bool(true) => Some("yes"),
        Value::Bool(false) => Some("no"),
        Value::String(s) => match s.as_str() {
            "true" => Some("yes"),
            "false" => Some("no"),
            "unknown" => Some("noAssertion"),
            _ => None,
        },
        _ => None,
    }
}

fn entry(key: &str, value: &str) -> Value {
    json!({"type": "DictionaryEntry", "key": key, "value": value})
}

/// The `scelle:` properties of an element, as the extension SPDX 3 defines for CycloneDX-style
/// name/value properties.
fn insert_extension(map: &mut Map<String, Value>, properties: Vec<Property>) {
    if properties.is_empty() {
        return;
    }
    let entries: Vec<Value> = properties
        .into_iter()
        .map(|(name, value)| {
            json!({
                "type": "extension_CdxPropertyEntry",
                "extension_cdxPropName": name,
                "extension_cdxPropValue": value,
            })
        })
        .collect();
    map.insert(
        "extension".into(),
        json!([{"type": "extension_CdxPropertiesExtension", "extension_cdxProperty": entries}]),
    );
}

fn insert_list(map: &mut Map<String, Value>, key: &str, values: Vec<Value>) {
    if !values.is_empty() {
        map.insert(key.into(), Value::Array(values));
    }
}

/// The non-empty strings of a declared list.
fn strings(values: &[Value]) -> Vec<String> {
    values
        .iter()
        .filter_map(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// A declared date (`YYYY-MM-DD`) or date-time as the UTC timestamp SPDX wants; `None` when it
/// is neither.
fn date_time(text: &str) -> Option<String> {
    if let Ok(date) = text.parse::<jiff::civil::Date>()
        && text.len() == 10
    {
        return Some(format!("{date}T00:00:00Z"));
    }
    let ts = text.parse::<jiff::Timestamp>().ok()?;
    let out = crate::clock::rfc3339(ts);
    // Years past 9999 or before 1 do not fit the four digits SPDX allows.
    (out.len() == 20).then_some(out)
}

/// An absolute `http(s)` URL made only of the characters a URI allows, so it is a valid
/// `xsd:anyURI`: anything else declared in a URL field is left out.
fn is_url(text: &str) -> bool {
    let rest = text
        .strip_prefix("https://")
        .or_else(|| text.strip_prefix("http://"));
    let Some(rest) = rest else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    !host.is_empty()
        && text.len() <= 2048
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=%".contains(&b))
}

/// `verifiedUsing` with one SHA-256 `Hash` of `hex` (lowercased), and what it is a digest of.
fn sha256_hash(hex: &str, comment: Option<&str>) -> Value {
    let mut hash =
        json!({"type": "Hash", "algorithm": "sha256", "hashValue": hex.to_ascii_lowercase()});
    if let Some(comment) = comment {
        hash["comment"] = json!(comment);
    }
    json!([hash])
}

fn is_sha256(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Text that reads as an SPDX licence expression (ids, `LicenseRef-`, `AND`, `OR`, `WITH`,
/// parentheses); the declaration's own check names a malformed one.
fn is_license_expression(text: &str) -> bool {
    !text.trim().is_empty()
        && text.len() <= 1024
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b" .-+:()".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_become_utc_timestamps_and_anything_else_is_left_out() {
        assert_eq!(
            date_time("2026-10-15").as_deref(),
            Some("2026-10-15T00:00:00Z")
        );
        assert_eq!(
            date_time("2026-09-01T08:00:00+02:00").as_deref(),
            Some("2026-09-01T06:00:00Z")
        );
        assert_eq!(date_time("2026-02-30"), None);
        assert_eq!(date_time("soon"), None);
        assert_eq!(date_time("2026-10-15\n"), None);
    }

    #[test]
    fn only_plain_http_urls_are_written() {
        assert!(is_url("https://huggingface.co/petit-labo/x?rev=1#a"));
        assert!(!is_url("https://"));
        assert!(!is_url("javascript:alert(1)"));
        assert!(!is_url("https://a.example/ b"));
        assert!(!is_url("https://a.example/\"><x>"));
        assert!(!is_url("https://a.example/\n"));
    }

    #[test]
    fn presence_follows_the_declared_value() {
        assert_eq!(presence(Some(&json!(true))), Some("yes"));
        assert_eq!(presence(Some(&json!(false))), Some("no"));
        assert_eq!(presence(Some(&json!("unknown"))), Some("noAssertion"));
        assert_eq!(presence(Some(&json!("maybe"))), None);
        assert_eq!(presence(None), None);
    }

    #[test]
    fn licence_expressions_exclude_markup_and_newlines() {
        assert!(is_license_expression(
            "Apache-2.0 OR (MIT AND LicenseRef-x)"
        ));
        assert!(!is_license_expression("MIT\nAND"));
        assert!(!is_license_expression(" "));
        assert!(!is_license_expression("<script>"));
    }
}
