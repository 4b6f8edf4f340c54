//! The Model Documentation Form of the GPAI Code of Practice (Transparency chapter, legal.md
//! §2.3): sections 1-8 in the Form's order and wording. Each item is marked for the audiences the
//! Form intends it for (downstream providers, the AI Office, national competent authorities);
//! with `--audience` the document keeps exactly that audience's items, in the precision the Form
//! gives it (the parameter count as a size range for downstream providers, compute as an order of
//! magnitude for authorities), and leaves the rest out. Without one it is the provider's complete
//! copy, every item marked.
//!
//! The item builders here are shared with the Annex XI and XII documents (`annex`), which ask
//! for the same facts in the AI Act's own order.

use std::fmt::Write as _;

use serde_json::Value as Json;

use super::Audience::{self, AiOffice as AIO, Authority as NCA, Downstream as DP};
use super::evidence::{Evidence, Parameters, or_missing};
use super::magnitude::{significant, training_time_range};
use super::{Context, Document, Item, Kind, Section, Source, Value, scalar_text};
use crate::text::thousands;

const ALL: &[Audience] = &[DP, AIO, NCA];
const OFFICES: &[Audience] = &[AIO, NCA];
const DP_ONLY: &[Audience] = &[DP];
const AIO_ONLY: &[Audience] = &[AIO];
const DP_NCA: &[Audience] = &[DP, NCA];

/// What an item builder reads.
pub(super) struct Form<'a, 'b> {
    pub cx: &'a Context<'b>,
    pub evidence: Evidence,
    /// The provider's complete copy of the Form: a figure the authorities get in another
    /// precision says so beside the AI Office's.
    pub complete_copy: bool,
}

/// One item of the Form: its label, who it is for, and how its value is made.
struct Spec {
    label: &'static str,
    audiences: &'static [Audience],
    build: fn(&Form<'_, '_>, &str) -> Item,
}

const fn spec(
    label: &'static str,
    audiences: &'static [Audience],
    build: fn(&Form<'_, '_>, &str) -> Item,
) -> Spec {
    Spec {
        label,
        audiences,
        build,
    }
}

/// The Form, section by section, in its order.
const FORM: [(&str, &str, &[Spec]); 8] = [
    (
        "1",
        "General information",
        &[
            spec("Legal name of the provider", ALL, |f, l| {
                f.cx.field(l, "provider.legal_name")
            }),
            spec("Model name", ALL, model_name),
            spec("Model authenticity", OFFICES, authenticity),
            spec("Release date", ALL, |f, l| {
                f.cx.field(l, "model.release_date")
            }),
            spec("Union market release date", ALL, |f, l| {
                f.cx.field(l, "model.eu_market_date")
            }),
            spec("Model dependencies", ALL, dependencies),
        ],
    ),
    (
        "2",
        "Model properties",
        &[
            spec("Model architecture", ALL, architecture),
            spec("Design specifications of the model", OFFICES, |f, l| {
                f.cx.field(l, "training.design_choices")
            }),
            spec("Input modalities", ALL, |f, l| {
                f.cx.field(l, "model.modalities.input")
            }),
            spec("Maximum input size", ALL, max_input),
            spec("Output modalities", ALL, |f, l| {
                f.cx.field(l, "model.modalities.output")
            }),
            spec("Maximum output size", DP_ONLY, max_output),
            spec("Total number of parameters", OFFICES, |f, l| {
                parameters(f, l, Parameters::two_figures)
            }),
            spec("Exact number of parameters", AIO_ONLY, |f, l| {
                parameters(f, l, Parameters::exact)
            }),
            spec("Parameter size range", DP_NCA, |f, l| {
                parameters(f, l, Parameters::range)
            }),
        ],
    ),
    (
        "3",
        "Methods of distribution and licences",
        &[
            spec("Distribution channels", ALL, channels),
            spec("Licence type", ALL, |f, l| {
                f.cx.field(l, "model.license.spdx")
            }),
            spec("Licence link", OFFICES, |f, l| {
                f.cx.field(l, "model.license.url")
            }),
            spec("Additional assets", ALL, assets),
        ],
    ),
    (
        "4",
        "Use",
        &[
            spec("Acceptable use policy", ALL, aup),
            spec("Intended uses", ALL, |f, l| {
                f.cx.field(l, "model.intended_tasks")
            }),
            spec("Type and nature of AI systems", ALL, |f, l| {
                f.cx.field(l, "model.integration_types")
            }),
            spec("Technical means for integration", DP_ONLY, technical_means),
            spec("Required hardware", DP_ONLY, |f, l| {
                f.cx.field(l, "model.hardware_requirements")
            }),
            spec("Required software", DP_ONLY, software),
        ],
    ),
    (
        "5",
        "Training process",
        &[
            spec(
                "Design specifications of the training process",
                OFFICES,
                training_process,
            ),
            spec("Decision rationale", OFFICES, |f, l| {
                f.cx.field(l, "training.design_choices")
            }),
        ],
    ),
    (
        "6",
        "Information on the data used for training, testing, and validation",
        &[
            spec("Data type and modality", ALL, |f, l| {
                dataset_column(f, l, "Modality", "modality", modality)
            }),
            spec("Data provenance", ALL, provenance),
            spec("How the data was obtained and selected", OFFICES, |f, l| {
                dataset_column(
                    f,
                    l,
                    "How obtained and selected",
                    "selection_rationale",
                    selection,
                )
            }),
            spec("Number of data points", OFFICES, data_points),
            spec(
                "Scope and main characteristics of the data",
                OFFICES,
                |f, l| dataset_column(f, l, "Scope", "languages", scope),
            ),
            spec("Data curation methodologies", ALL, |f, l| {
                dataset_column(f, l, "Curation", "curation", |d| plain(d, "curation"))
            }),
            spec(
                "Measures to detect unsuitable data sources",
                OFFICES,
                |f, l| dataset_column(f, l, "Measures", "unsuitability_checks", unsuitability),
            ),
            spec("Measures to detect identifiable biases", OFFICES, |f, l| {
                dataset_column(f, l, "Measures", "bias", |d| plain(d, "bias"))
            }),
        ],
    ),
    (
        "7",
        "Computational resources (during training)",
        &[
            spec("Training time", OFFICES, training_time),
            spec(
                "Amount of computation used for training",
                OFFICES,
                computation,
            ),
            spec("Measurement methodology", OFFICES, compute_method),
        ],
    ),
    (
        "8",
        "Energy consumption (during training and inference)",
        &[
            spec("Amount of energy used for training", OFFICES, energy),
            spec("Energy measurement methodology", OFFICES, energy_method),
            spec(
                "Benchmarked amount of computation used for inference",
                OFFICES,
                inference,
            ),
        ],
    ),
];

/// The Model Documentation Form for `cx.audience`, or the provider's complete copy.
pub(crate) fn build(cx: Context<'_>) -> Document {
    let audience = cx.audience;
    let form = Form {
        evidence: Evidence::of(&cx),
        cx: &cx,
        complete_copy: audience.is_none(),
    };
    let mut sections = Vec::new();
    for (number, title, specs) in &FORM {
        let mut section = Section::new(Some(number), title);
        for s in *specs {
            match audience {
                Some(a) if !s.audiences.contains(&a) => {}
                Some(_) => section = section.item((s.build)(&form, s.label)),
                None => {
                    section = section.item((s.build)(&form, s.label).for_audiences(s.audiences));
                }
            }
        }
        if !section.items.is_empty() {
            sections.push(section);
        }
    }
    if let (None, Some(first)) = (audience, sections.first_mut()) {
        first.note = Some(
            "The provider's complete copy: each item is marked with the audiences the Form \
             intends it for (DP: downstream providers, AIO: the AI Office, NCA: national \
             competent authorities)."
                .to_owned(),
        );
    }
    let title = match audience {
        None => "Model Documentation Form (complete copy)",
        Some(DP) => "Model Documentation Form (for downstream providers)",
        Some(AIO) => "Model Documentation Form (for the AI Office)",
        Some(NCA) => "Model Documentation Form (for national competent authorities)",
    };
    cx.finish(Kind::ModelDocumentation, title, sections)
}

// Items --------------------------------------------------------------------------------------

impl Form<'_, '_> {
    fn text(&self, path: &str) -> Option<String> {
        self.cx.get(path).map(scalar_text).filter(|t| !t.is_empty())
    }

    fn number(&self, path: &str) -> Option<f64> {
        self.cx.get(path).and_then(Json::as_f64)
    }

    /// The declared datasets, or `None` when `datasets` is not declared.
    pub(super) fn datasets(&self) -> Option<&[Json]> {
        self.cx
            .get("datasets")
            .and_then(Json::as_array)
            .map(Vec::as_slice)
    }

    fn audience(&self) -> Option<Audience> {
        self.cx.audience
    }
}

pub(super) fn model_name(f: &Form<'_, '_>, label: &str) -> Item {
    let Some(name) = f.text("model.name") else {
        return f.cx.field(label, "model.name");
    };
    let mut text = match f.text("model.version") {
        Some(v) => format!("{name} {v}"),
        None => name,
    };
    let mut item = Item::new(label, Value::text(String::new())).from(Source::field("model.name"));
    if f.cx.get("model.version").is_some() {
        item = item.from(Source::field("model.version"));
    }
    if let Some(variants) = f.text("model.variants") {
        let _ = write!(text, "; also covers {variants}");
        item = item.from(Source::field("model.variants"));
    }
    item.value = Value::text(text);
    item
}

pub(super) fn authenticity(f: &Form<'_, '_>, label: &str) -> Item {
    let d = f.cx.described();
    let root = d.root.as_deref().map_or_else(
        || "the release records no root digest".to_owned(),
        |r| format!("root digest sha256:{r}"),
    );
    let signer = match (&d.signer, d.verified) {
        (Some(s), true) => format!(
            "signature verified with key {}{}",
            s.key_id,
            s.algorithm
                .as_deref()
                .map_or(String::new(), |a| format!(" ({a})"))
        ),
        _ => format!(
            "signature not verified{}",
            d.problem
                .as_deref()
                .map_or(String::new(), |p| format!(": {p}"))
        ),
    };
    Item::new(label, Value::text(format!("{root}; {signer}")))
        .from(Source::computed(
            "the SHA-256 digests of the release's files",
        ))
        .from(Source::Verification)
}

fn dependencies(f: &Form<'_, '_>, label: &str) -> Item {
    let Some(bases) = f.cx.get("model.base_models").and_then(Json::as_array) else {
        return f.cx.field(label, "model.base_models");
    };
    let value = if bases.is_empty() {
        Value::text("N/A: the model modifies no other model")
    } else {
        Value::list(bases.iter().map(|b| {
            let get = |k: &str| b.get(k).map(scalar_text).filter(|t| !t.is_empty());
            let mut text = get("name").unwrap_or_else(|| "unnamed".to_owned());
            if let Some(v) = get("version") {
                let _ = write!(text, " {v}");
            }
            let details: Vec<String> = [get("relation"), get("provider")]
                .into_iter()
                .flatten()
                .collect();
            if !details.is_empty() {
                let _ = write!(text, " ({})", details.join(", "));
            }
            text
        }))
    };
    Item::new(label, value).from(Source::field("model.base_models"))
}

pub(super) fn architecture(f: &Form<'_, '_>, label: &str) -> Item {
    let parts: Vec<String> = ["family", "kind", "description"]
        .iter()
        .filter_map(|k| f.text(&format!("model.architecture.{k}")))
        .collect();
    if parts.is_empty() {
        return f.cx.field(label, "model.architecture");
    }
    Item::new(label, Value::text(parts.join(", "))).from(Source::field("model.architecture"))
}

pub(super) fn max_input(f: &Form<'_, '_>, label: &str) -> Item {
    let declared = f.cx.get("model.max_input_tokens").and_then(Json::as_u64);
    let counted = f
        .evidence
        .derived
        .pointer("/figures/context_length/counted")
        .and_then(Json::as_u64);
    let config = "the context window in the library config or GGUF metadata";
    let text = match (declared, counted) {
        (Some(d), Some(c)) if d == c => format!(
            "{} tokens of text (declared; the library config says the same)",
            thousands(d)
        ),
        (Some(d), Some(c)) => format!(
            "{} tokens of text (declared; the library config says {})",
            thousands(d),
            thousands(c)
        ),
        (Some(d), None) => format!("{} tokens of text (declared)", thousands(d)),
        (None, Some(c)) => format!(
            "{} tokens of text (from the library config; not declared)",
            thousands(c)
        ),
        (None, None) => return f.cx.field(label, "model.max_input_tokens"),
    };
    let mut item = Item::new(label, Value::text(text));
    if declared.is_some() {
        item = item.from(Source::field("model.max_input_tokens"));
    }
    if counted.is_some() {
        item = item.from(Source::computed(config));
    }
    item
}

fn max_output(f: &Form<'_, '_>, label: &str) -> Item {
    match f.cx.get("model.max_output_tokens").and_then(Json::as_u64) {
        Some(n) => Item::new(label, Value::text(format!("{} tokens", thousands(n))))
            .from(Source::field("model.max_output_tokens")),
        None => f.cx.field(label, "model.max_output_tokens"),
    }
}

pub(super) fn parameters(f: &Form<'_, '_>, label: &str, show: fn(&Parameters) -> String) -> Item {
    match f.evidence.parameters() {
        Some(p) => p.sources(Item::new(label, Value::text(show(&p)))),
        None => f.cx.field(label, "model.parameters.total"),
    }
}

pub(super) fn channels(f: &Form<'_, '_>, label: &str) -> Item {
    let Some(list) =
        f.cx.get("model.distribution_channels")
            .and_then(Json::as_array)
    else {
        return f.cx.field(label, "model.distribution_channels");
    };
    let items = list.iter().map(|c| {
        let get = |k: &str| c.get(k).map(scalar_text).unwrap_or_default();
        match (get("type"), get("url")) {
            (t, u) if u.is_empty() => t,
            (t, u) => format!("{t}: {u}"),
        }
    });
    Item::new(label, Value::list(items)).from(Source::field("model.distribution_channels"))
}

fn assets(f: &Form<'_, '_>, label: &str) -> Item {
    let shipped: Vec<String> = f
        .datasets()
        .unwrap_or_default()
        .iter()
        .filter_map(|d| {
            let path = d.get("path")?.as_str()?;
            let name = d
                .get("id")
                .or_else(|| d.get("name"))
                .and_then(Json::as_str)
                .unwrap_or(path);
            Some(format!("dataset {name} (folder {path} of the release)"))
        })
        .collect();
    let value = if shipped.is_empty() {
        Value::text("none: no declared dataset ships in the release")
    } else {
        Value::list(shipped)
    };
    Item::new(label, value).from(Source::field("datasets[].path"))
}

pub(super) fn aup(f: &Form<'_, '_>, label: &str) -> Item {
    if let Some(url) = f.text("model.aup.url") {
        return Item::new(label, Value::text(url)).from(Source::field("model.aup.url"));
    }
    if f.cx.get("model.aup.none").and_then(Json::as_bool) == Some(true) {
        return Item::new(label, Value::text("none")).from(Source::field("model.aup.none"));
    }
    Item::new(label, f.cx.missing("model.aup")).from(Source::field("model.aup"))
}

pub(super) fn technical_means(f: &Form<'_, '_>, label: &str) -> Item {
    let mut parts = Vec::new();
    let mut item = Item::new(label, Value::text(String::new()));
    if let Some(uri) = f.text("docs.downstream_info.uri") {
        parts.push(format!("instructions: {uri}"));
        item = item.from(Source::field("docs.downstream_info"));
    }
    if let Some(formats) = f.text("model.io_formats") {
        parts.push(format!("formats: {formats}"));
        item = item.from(Source::field("model.io_formats"));
    }
    if parts.is_empty() {
        return f.cx.field(label, "docs.downstream_info");
    }
    item.value = Value::text(parts.join("; "));
    item
}

pub(super) fn software(f: &Form<'_, '_>, label: &str) -> Item {
    let Some(list) =
        f.cx.get("model.software_dependencies")
            .and_then(Json::as_array)
    else {
        return f.cx.field(label, "model.software_dependencies");
    };
    let items = list.iter().map(|s| {
        let get = |k: &str| s.get(k).map(scalar_text).unwrap_or_default();
        format!("{} {}", get("name"), get("version"))
            .trim()
            .to_owned()
    });
    Item::new(label, Value::list(items)).from(Source::field("model.software_dependencies"))
}

pub(super) fn training_process(f: &Form<'_, '_>, label: &str) -> Item {
    let Some(method) = f.text("training.methodology") else {
        return f.cx.field(label, "training.methodology");
    };
    let mut item =
        Item::new(label, Value::text(String::new())).from(Source::field("training.methodology"));
    let text = match f.text("training.objectives") {
        Some(o) => {
            item = item.from(Source::field("training.objectives"));
            format!("{method}; optimises for: {o}")
        }
        None => method,
    };
    item.value = Value::text(text);
    item
}

// Data ---------------------------------------------------------------------------------------

/// The name a dataset goes by in a table: its `id`, else its `name`, else its position.
pub(super) fn dataset_name(d: &Json, i: usize) -> String {
    d.get("id")
        .or_else(|| d.get("name"))
        .and_then(Json::as_str)
        .map_or_else(|| format!("datasets[{i}]"), str::to_owned)
}

/// Training, testing or validation, as Annex XI and the Form divide the data.
pub(super) fn set_of(d: &Json) -> &'static str {
    match d.get("role").and_then(Json::as_str) {
        Some("validation") => "validation",
        Some("test" | "eval") => "testing",
        Some(_) => "training",
        None => "not declared",
    }
}

fn plain(d: &Json, key: &str) -> Option<String> {
    d.get(key)
        .filter(|v| !v.is_null())
        .map(scalar_text)
        .filter(|t| !t.is_empty())
}

pub(super) fn modality(d: &Json) -> Option<String> {
    plain(d, "modality")
}

pub(super) fn selection(d: &Json) -> Option<String> {
    let mut parts: Vec<String> = plain(d, "selection_rationale").into_iter().collect();
    if let Some(url) = plain(d, "source_url") {
        parts.push(format!("obtained from {url}"));
    }
    if let Some(models) = d
        .pointer("/synthetic/generator_models")
        .and_then(Json::as_array)
    {
        let names: Vec<String> = models
            .iter()
            .filter_map(|m| m.get("name").map(scalar_text))
            .collect();
        if !names.is_empty() {
            parts.push(format!("generated by {}", names.join(", ")));
        }
    }
    if let Some(by) = d.pointer("/annotation/by").map(scalar_text) {
        parts.push(format!("annotated by {by}"));
    }
    if let Some(licence) = d.pointer("/license/spdx").map(scalar_text) {
        parts.push(format!("licence {licence}"));
    }
    // Only the rationale answers "how selected"; the rest supports it.
    plain(d, "selection_rationale").map(|_| parts.join("; "))
}

pub(super) fn scope(d: &Json) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(l) = plain(d, "languages") {
        parts.push(format!("languages: {l}"));
    }
    if let Some(c) = plain(d, "content_types") {
        parts.push(format!("content: {c}"));
    }
    let at = |k: &str| {
        d.pointer(&format!("/collection_period/{k}"))
            .map(scalar_text)
    };
    match (at("start"), at("end")) {
        (Some(s), Some(e)) => parts.push(format!("collected from {s} to {e}")),
        (Some(s), None) => parts.push(format!("collected from {s}")),
        (None, Some(e)) => parts.push(format!("collected until {e}")),
        (None, None) => {}
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

pub(super) fn unsuitability(d: &Json) -> Option<String> {
    let mut parts: Vec<String> = plain(d, "unsuitability_checks").into_iter().collect();
    if let Some(removal) = d
        .pointer("/curation/illegal_content_removal")
        .map(scalar_text)
        .filter(|t| !t.is_empty())
    {
        parts.push(format!("illegal content removal: {removal}"));
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// One column per dataset: `show` of each, "not declared" (and a warning for
/// `datasets[i].key`) where it gives nothing.
pub(super) fn dataset_column(
    f: &Form<'_, '_>,
    label: &str,
    column: &str,
    key: &str,
    show: fn(&Json) -> Option<String>,
) -> Item {
    let Some(datasets) = f.datasets() else {
        return f.cx.field(label, "datasets");
    };
    let rows = datasets
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let value = show(d).unwrap_or_else(|| {
                f.cx.missing(&format!("datasets[{i}].{key}"));
                "not declared".to_owned()
            });
            vec![dataset_name(d, i), set_of(d).to_owned(), value]
        })
        .collect();
    Item::new(label, Value::table(&["Dataset", "Set", column], rows))
        .from(Source::field(&format!("datasets[].{key}")))
}

/// The Form's provenance tick boxes, each with the datasets that tick it.
const PROVENANCE: [(&str, &[&str]); 6] = [
    ("Web crawling", &["crawled_by_provider"]),
    (
        "Private non-publicly available datasets obtained from third parties",
        &["private_third_party", "licensed_commercial"],
    ),
    (
        "User data",
        &["user_model_interactions", "user_other_services"],
    ),
    ("Publicly available datasets", &["public_dataset"]),
    (
        "Data collected through other means",
        &["human_created", "other"],
    ),
    (
        "Synthetic data that is not publicly accessible",
        &["synthetic"],
    ),
];

fn provenance(f: &Form<'_, '_>, label: &str) -> Item {
    let Some(datasets) = f.datasets() else {
        return f.cx.field(label, "datasets");
    };
    for (i, d) in datasets.iter().enumerate() {
        if d.get("source_type").and_then(Json::as_str).is_none() {
            f.cx.missing(&format!("datasets[{i}].source_type"));
        }
    }
    let rows = PROVENANCE
        .iter()
        .map(|(category, types)| {
            let names: Vec<String> = datasets
                .iter()
                .enumerate()
                .filter(|(_, d)| {
                    d.get("source_type")
                        .and_then(Json::as_str)
                        .is_some_and(|t| types.contains(&t))
                })
                .map(|(i, d)| dataset_name(d, i))
                .collect();
            let ticked = if names.is_empty() { "no" } else { "yes" };
            vec![(*category).to_owned(), ticked.to_owned(), names.join(", ")]
        })
        .collect();
    Item::new(
        label,
        Value::table(&["Provenance", "Ticked", "Datasets"], rows),
    )
    .from(Source::computed("`datasets[].source_type`"))
}

/// The units a dataset's size is declared in, as the Form names them.
const UNITS: [(&str, &str); 5] = [
    ("tokens", "tokens"),
    ("records", "documents or records"),
    ("images", "images"),
    ("audio_hours", "hours of audio"),
    ("video_hours", "hours of video"),
];

fn data_points(f: &Form<'_, '_>, label: &str) -> Item {
    let Some(datasets) = f.datasets() else {
        return f.cx.field(label, "datasets");
    };
    // The authorities get one significant figure, the AI Office and the complete copy two.
    let figures = if f.audience() == Some(NCA) { 1 } else { 2 };
    let rows = datasets
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let sizes: Vec<String> = UNITS
                .iter()
                .filter_map(|(key, unit)| {
                    let n = d.pointer(&format!("/size/{key}"))?.as_f64()?;
                    Some(format!("{} {unit}", significant(n, figures)?))
                })
                .collect();
            let value = if sizes.is_empty() {
                f.cx.missing(&format!("datasets[{i}].size"));
                "not declared".to_owned()
            } else {
                sizes.join("; ")
            };
            vec![dataset_name(d, i), set_of(d).to_owned(), value]
        })
        .collect();
    Item::new(
        label,
        Value::table(&["Dataset", "Set", "Data points"], rows),
    )
    .from(Source::field("datasets[].size"))
}

// Compute and energy -------------------------------------------------------------------------

/// Training hours: declared wall-clock hours, else the time from start to end.
pub(super) fn training_hours(f: &Form<'_, '_>) -> Option<(f64, Source)> {
    if let Some(h) = f.number("training.time.wall_clock_hours") {
        return Some((h, Source::field("training.time.wall_clock_hours")));
    }
    let at = |p: &str| f.text(p)?.parse::<jiff::Timestamp>().ok();
    let (start, end) = (at("training.time.start")?, at("training.time.end")?);
    let seconds = end.duration_since(start).as_secs_f64();
    (seconds >= 0.0).then(|| {
        (
            seconds / 3600.0,
            Source::computed("`training.time.end` - `training.time.start`"),
        )
    })
}

pub(super) fn training_time(f: &Form<'_, '_>, label: &str) -> Item {
    let Some((hours, source)) = training_hours(f) else {
        return f.cx.field(label, "training.time");
    };
    let range = training_time_range(hours).unwrap_or("unknown");
    let mut item = Item::new(label, Value::text(String::new())).from(source);
    if f.audience() == Some(NCA) {
        item.value = Value::text(range);
        return item;
    }
    let mut parts = vec![format!(
        "{} days ({hours} hours) of wall-clock time",
        significant(hours / 24.0, 2).unwrap_or_else(|| "0".to_owned())
    )];
    if let Some(acc) = f.number("training.time.accelerator_hours") {
        let kind = f
            .text("training.hardware.accelerator_type")
            .unwrap_or_else(|| "accelerator".to_owned());
        parts.push(format!(
            "{} {kind}-days",
            significant(acc / 24.0, 2).unwrap_or_else(|| "0".to_owned())
        ));
        item = item.from(Source::field("training.time.accelerator_hours"));
        if f.cx.get("training.hardware.accelerator_type").is_some() {
            item = item.from(Source::field("training.hardware.accelerator_type"));
        }
    }
    if let (Some(s), Some(e)) = (f.text("training.time.start"), f.text("training.time.end")) {
        parts.push(format!("measured from {s} to {e}"));
    }
    if f.complete_copy {
        parts.push(format!("authorities: {range}"));
    }
    item.value = Value::text(parts.join("; "));
    item
}

pub(super) fn computation(f: &Form<'_, '_>, label: &str) -> Item {
    let Some(c) = f.evidence.compute() else {
        return f.cx.field(label, "training.compute.flops");
    };
    let text = match f.audience() {
        Some(NCA) => c.magnitude(),
        _ if !f.complete_copy => c.two_figures(),
        _ => format!(
            "{}; authorities: {} FLOP",
            c.two_figures(),
            super::magnitude::order_of_magnitude(c.flops).unwrap_or_default()
        ),
    };
    c.sources(Item::new(label, Value::text(text)))
}

pub(super) fn compute_method(f: &Form<'_, '_>, label: &str) -> Item {
    let Some(method) = f.text("training.compute.method") else {
        return f.cx.field(label, "training.compute.method");
    };
    let mut item =
        Item::new(label, Value::text(String::new())).from(Source::field("training.compute.method"));
    let text = match f.text("training.compute.basis") {
        Some(b) => {
            item = item.from(Source::field("training.compute.basis"));
            format!("{method}; basis: {b}")
        }
        None => method,
    };
    item.value = Value::text(text);
    item
}

pub(super) fn energy(f: &Form<'_, '_>, label: &str) -> Item {
    if let Some(kwh) = f.number("training.energy.kwh") {
        let mwh = significant(kwh / 1000.0, 2).map(|m| format!("{m} MWh"));
        return Item::new(label, or_missing(f.cx, mwh, "training.energy.kwh"))
            .from(Source::computed("`training.energy.kwh` / 1000"));
    }
    if let Some(info) = f.text("training.energy.missing_info") {
        return Item::new(label, Value::text(format!("N/A: {info}")))
            .from(Source::field("training.energy.missing_info"));
    }
    f.cx.field(label, "training.energy.kwh")
}

pub(super) fn energy_method(f: &Form<'_, '_>, label: &str) -> Item {
    let Some(method) = f.text("training.energy.method") else {
        return f.cx.field(label, "training.energy.method");
    };
    let mut item =
        Item::new(label, Value::text(String::new())).from(Source::field("training.energy.method"));
    let mut parts = vec![method];
    for (key, name) in [
        ("basis", "basis"),
        ("pue", "PUE"),
        ("missing_info", "information lacking"),
    ] {
        let path = format!("training.energy.{key}");
        if let Some(v) = f.text(&path) {
            parts.push(format!("{name}: {v}"));
            item = item.from(Source::field(&path));
        }
    }
    item.value = Value::text(parts.join("; "));
    item
}

fn inference(_: &Form<'_, '_>, label: &str) -> Item {
    // `scelle.yaml` has no field for it yet: saying "not declared" would point at a field the
    // publisher cannot write.
    Item::new(
        label,
        Value::text("not recorded: `scelle.yaml` has no field for the inference benchmark yet"),
    )
}
