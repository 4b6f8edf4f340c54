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
use super::datasets::{
    data_points, dataset_column, modality, plain, provenance, scope, selection, unsuitability,
};
use super::evidence::{Evidence, Parameters};
use super::training::{
    computation, compute_method, energy, energy_method, inference, training_time,
};
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
    pub(super) fn text(&self, path: &str) -> Option<String> {
        self.cx.get(path).map(scalar_text).filter(|t| !t.is_empty())
    }

    pub(super) fn number(&self, path: &str) -> Option<f64> {
        self.cx.get(path).and_then(Json::as_f64)
    }

    /// The declared datasets, or `None` when `datasets` is not declared.
    pub(super) fn datasets(&self) -> Option<&[Json]> {
        self.cx
            .get("datasets")
            .and_then(Json::as_array)
            .map(Vec::as_slice)
    }

    pub(super) fn audience(&self) -> Option<Audience> {
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
        (Some(s), true) => s.verified_with(),
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
