//! The AI Act's own documents for general-purpose AI models: the technical documentation of
//! Annex XI (Art. 53(1)(a), for the AI Office and national competent authorities on request) and
//! the information for downstream providers of Annex XII (Art. 53(1)(b)), item by item in the
//! Annexes' numbering. They ask for the same facts as the Model Documentation Form, so the items
//! are built by the Form's builders (`model_documentation`).
//!
//! Annex XI section 2 applies only to a model with systemic risk: designated, or presumed as the
//! `ai-act-gpai-systemic` pack concludes (cumulative compute above its threshold, not rebutted).
//! For another model the section says it does not apply, and why.

use serde_json::Value as Json;

use super::datasets::{dataset_name, modality, scope, selection, set_of, unsuitability};
use super::evidence::Evidence;
use super::model_documentation::{self as form, Form};
use super::training;
use super::{Context, Document, Item, Kind, Section, Source, Value, scalar_text};

/// Items 1(a)-(c), which Annex XI and Annex XII word alike.
fn general_description(f: &Form<'_, '_>) -> Section {
    Section::new(
        Some("1"),
        "A general description of the general-purpose AI model",
    )
    .item(intended(
        f,
        "(a) Tasks the model is intended to perform and AI systems it can be integrated into",
    ))
    .item(form::aup(f, "(b) Acceptable use policies applicable"))
    .item(release(
        f,
        "(c) Date of release and methods of distribution",
    ))
}

/// Annex XI: section 1 for every provider, section 2 for a model with systemic risk.
pub(crate) fn annex_xi(cx: Context<'_>) -> Document {
    let f = Form {
        evidence: Evidence::of(&cx),
        cx: &cx,
        complete_copy: false,
    };
    let general = general_description(&f)
        .item(architecture_parameters(
            &f,
            "(d) Architecture and number of parameters",
            true,
        ))
        .item(modalities(
            &f,
            "(e) Modality and format of inputs and outputs",
        ))
        .item(f.cx.field("(f) Licence", "model.license.spdx"));
    let hardware = join(
        &f,
        "Hardware",
        &[
            ("accelerators", "training.hardware.accelerator_type"),
            ("count", "training.hardware.count"),
            ("facility", "training.hardware.facility"),
            ("country", "training.hardware.country"),
            ("cloud provider", "training.hardware.cloud_provider"),
        ],
        "training.hardware",
    );
    // Each lettered point is a heading of its own, so that the data of (c), one subsection per
    // dataset, stays between (b) and (d).
    let elements = Section::new(
        Some("2"),
        "A detailed description of the elements of the model and of the process for its development",
    )
    .section(
        Section::new(
            Some("(a)"),
            "Technical means required for the model to be integrated into AI systems",
        )
        .item(technical(&f, "Technical means")),
    )
    .section(
        Section::new(
            Some("(b)"),
            "Design specifications of the model and training process",
        )
        .item(form::training_process(&f, "Methodologies and techniques"))
        .item(f.cx.field("Key design choices, rationale and assumptions", "training.design_choices"))
        .item(form::architecture(&f, "Architecture")),
    )
    .section(data_xi(&f))
    .section(
        Section::new(
            Some("(d)"),
            "Computational resources used to train the model",
        )
        .item(training::computation(&f, "Computation used for training"))
        .item(training::compute_method(&f, "How the computation was obtained"))
        .item(training::training_time(&f, "Training time"))
        .item(hardware),
    )
    .section(
        Section::new(Some("(e)"), "Known or estimated energy consumption of the model")
            .item(training::energy(&f, "Energy used for training"))
            .item(training::energy_method(&f, "How the energy consumption was obtained")),
    );
    let section_1 = Section::new(
        Some("Section 1"),
        "Information to be provided by all providers of general-purpose AI models",
    )
    .section(general)
    .section(elements);
    let section_2 = systemic_section(&f);
    let title = "Technical documentation of a general-purpose AI model (AI Act Annex XI)";
    cx.finish(Kind::AnnexXi, title, vec![section_1, section_2])
}

/// Annex XII: what a downstream provider integrating the model is given.
pub(crate) fn annex_xii(cx: Context<'_>) -> Document {
    let f = Form {
        evidence: Evidence::of(&cx),
        cx: &cx,
        complete_copy: false,
    };
    let general = general_description(&f)
        .item(interaction(
            &f,
            "(d) How the model interacts with hardware or software that is not part of the model",
        ))
        .item(form::software(
            &f,
            "(e) Versions of relevant software related to the use of the model",
        ))
        .item(architecture_parameters(
            &f,
            "(f) Architecture and number of parameters",
            false,
        ))
        .item(modalities(
            &f,
            "(g) Modality and format of inputs and outputs",
        ))
        .item(f.cx.field("(h) Licence for the model", "model.license.spdx"));
    let elements = Section::new(
        Some("2"),
        "A description of the elements of the model and of the process for its development",
    )
    .item(technical(
        &f,
        "(a) Technical means required for the model to be integrated into AI systems",
    ))
    .item(maximum_sizes(
        &f,
        "(b) Modality, format and maximum size of inputs and outputs",
    ))
    .item(data_xii(
        &f,
        "(c) Data used for training, testing and validation",
    ));
    let title = "Information for downstream providers (AI Act Annex XII)";
    cx.finish(Kind::AnnexXii, title, vec![general, elements])
}

fn join(f: &Form<'_, '_>, label: &str, parts: &[(&str, &str)], primary: &str) -> Item {
    let mut item = Item::new(label, Value::text(String::new()));
    let mut texts = Vec::new();
    for (name, path) in parts {
        if let Some(v) = f.cx.get(path).map(scalar_text).filter(|t| !t.is_empty()) {
            texts.push(if name.is_empty() {
                v
            } else {
                format!("{name}: {v}")
            });
            item = item.from(Source::field(path));
        }
    }
    if texts.is_empty() {
        return f.cx.field(label, primary);
    }
    item.value = Value::text(texts.join("; "));
    item
}

fn intended(f: &Form<'_, '_>, label: &str) -> Item {
    join(
        f,
        label,
        &[
            ("tasks", "model.intended_tasks"),
            ("AI systems", "model.integration_types"),
        ],
        "model.intended_tasks",
    )
}

fn release(f: &Form<'_, '_>, label: &str) -> Item {
    let mut item = join(
        f,
        label,
        &[
            ("released", "model.release_date"),
            ("placed on the Union market", "model.eu_market_date"),
        ],
        "model.release_date",
    );
    let channels = form::channels(f, "channels");
    if let Value::List { items } = &channels.value {
        let text = format!("distributed through {}", items.join(", "));
        item.value = match &item.value {
            Value::Text { text: t } => Value::text(format!("{t}; {text}")),
            _ => Value::text(text),
        };
        item.sources.extend(channels.sources);
    }
    item
}

fn architecture_parameters(f: &Form<'_, '_>, label: &str, exact: bool) -> Item {
    let arch = form::architecture(f, label);
    // Annex XI goes to the AI Office and the authorities: the exact count. Annex XII goes to
    // downstream providers, who get the Form's size range.
    let params = if exact {
        form::parameters(f, label, |p| format!("parameters: {}", p.exact()))
    } else {
        form::parameters(f, label, super::evidence::Parameters::range)
    };
    let text = |i: &Item| match &i.value {
        Value::Text { text } => text.clone(),
        v => super::markdown::value_text(v),
    };
    let mut item = Item::new(
        label,
        Value::text(format!("{}; {}", text(&arch), text(&params))),
    );
    item.sources = arch.sources;
    item.sources.extend(params.sources);
    item
}

fn modalities(f: &Form<'_, '_>, label: &str) -> Item {
    join(
        f,
        label,
        &[
            ("input", "model.modalities.input"),
            ("output", "model.modalities.output"),
            ("formats", "model.io_formats"),
        ],
        "model.modalities",
    )
}

fn technical(f: &Form<'_, '_>, label: &str) -> Item {
    let means = form::technical_means(f, label);
    let mut item = join(
        f,
        label,
        &[
            ("hardware", "model.hardware_requirements"),
            ("software", "model.software_dependencies"),
        ],
        "model.hardware_requirements",
    );
    if let Value::Text { text } = &means.value {
        item.value = match &item.value {
            Value::Text { text: t } => Value::text(format!("{text}; {t}")),
            _ => Value::text(text.clone()),
        };
        let mut sources = means.sources;
        sources.extend(item.sources);
        item.sources = sources;
    }
    item
}

fn interaction(f: &Form<'_, '_>, label: &str) -> Item {
    join(
        f,
        label,
        &[
            ("hardware", "model.hardware_requirements"),
            ("software", "model.software_dependencies"),
        ],
        "model.hardware_requirements",
    )
}

fn maximum_sizes(f: &Form<'_, '_>, label: &str) -> Item {
    let mut item = modalities(f, label);
    let input = form::max_input(f, label);
    let output = f.cx.get("model.max_output_tokens").and_then(Json::as_u64);
    let mut parts = Vec::new();
    if let Value::Text { text } = &item.value {
        parts.push(text.clone());
    }
    if let Value::Text { text } = &input.value {
        parts.push(format!("maximum input: {text}"));
        item.sources.extend(input.sources);
    } else {
        parts.push("maximum input: not declared".to_owned());
    }
    if let Some(n) = output {
        parts.push(format!(
            "maximum output: {} tokens",
            crate::text::thousands(n)
        ));
        item.sources.push(Source::field("model.max_output_tokens"));
    } else {
        f.cx.missing("model.max_output_tokens");
        parts.push("maximum output: not declared".to_owned());
    }
    item.value = Value::text(parts.join("; "));
    item
}

/// How one point of a dataset is written, or `None` when the declaration does not give it.
type Show = fn(&Json) -> Option<String>;

/// Annex XI 2(c): one subsection per dataset with every point the Annex lists.
fn data_xi(f: &Form<'_, '_>) -> Section {
    let mut section = Section::new(
        Some("(c)"),
        "Information on the data used for training, testing and validation",
    );
    let Some(datasets) = f.datasets() else {
        return section.item(f.cx.field("Datasets", "datasets"));
    };
    if datasets.is_empty() {
        return section.note("No dataset is declared (`datasets` is empty).");
    }
    let points: [(&str, &str, Show); 9] = [
        ("Set", "role", |d| {
            Some(set_of(d).to_owned()).filter(|s| *s != "not declared")
        }),
        ("Type", "modality", modality),
        ("Provenance", "source_type", provenance),
        ("Curation methodologies", "curation", |d| {
            text(d, "/curation")
        }),
        ("Number of data points", "size", data_points),
        ("Scope and main characteristics", "languages", scope),
        (
            "How the data was obtained and selected",
            "selection_rationale",
            selection,
        ),
        (
            "Measures to detect unsuitable data sources",
            "unsuitability_checks",
            unsuitability,
        ),
        ("Methods to detect identifiable biases", "bias", |d| {
            text(d, "/bias")
        }),
    ];
    for (i, d) in datasets.iter().enumerate() {
        let mut sub = Section::new(Some(&format!("Dataset {}:", i + 1)), &dataset_name(d, i));
        for (label, key, show) in points {
            let path = format!("datasets[{i}].{key}");
            let value = show(d).map_or_else(|| f.cx.missing(&path), Value::text);
            sub = sub.item(Item::new(label, value).from(Source::field(&path)));
        }
        section = section.section(sub);
    }
    section
}

fn text(d: &Json, pointer: &str) -> Option<String> {
    d.pointer(pointer)
        .filter(|v| !v.is_null())
        .map(scalar_text)
        .filter(|t| !t.is_empty())
}

fn provenance(d: &Json) -> Option<String> {
    let source = text(d, "/source_type")?;
    let mut parts = vec![source];
    for (name, pointer) in [("from", "/source_url"), ("published by", "/publisher")] {
        if let Some(v) = text(d, pointer) {
            parts.push(format!("{name} {v}"));
        }
    }
    Some(parts.join(", "))
}

/// Every declared size with two significant figures and its unit (Annex XI asks for the number
/// of data points; the Form's precision for the AI Office).
fn data_points(d: &Json) -> Option<String> {
    let units = [
        ("tokens", "tokens"),
        ("records", "records"),
        ("images", "images"),
        ("audio_hours", "hours of audio"),
        ("video_hours", "hours of video"),
    ];
    let sizes: Vec<String> = units
        .iter()
        .filter_map(|(key, unit)| {
            let n = d.pointer(&format!("/size/{key}"))?.as_f64()?;
            Some(format!("{} {unit}", super::magnitude::significant(n, 2)?))
        })
        .collect();
    (!sizes.is_empty()).then(|| sizes.join("; "))
}

/// Annex XII 2(c): type, provenance and curation of each dataset.
fn data_xii(f: &Form<'_, '_>, label: &str) -> Item {
    let Some(datasets) = f.datasets() else {
        return f.cx.field(label, "datasets");
    };
    let rows = datasets
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let cell = |key: &str, v: Option<String>| {
                v.unwrap_or_else(|| {
                    f.cx.missing(&format!("datasets[{i}].{key}"));
                    "not declared".to_owned()
                })
            };
            vec![
                dataset_name(d, i),
                set_of(d).to_owned(),
                cell("modality", modality(d)),
                cell("source_type", provenance(d)),
                cell("curation", text(d, "/curation")),
            ]
        })
        .collect();
    Item::new(
        label,
        Value::table(&["Dataset", "Set", "Type", "Provenance", "Curation"], rows),
    )
    .from(Source::field("datasets[].modality"))
    .from(Source::field("datasets[].source_type"))
    .from(Source::field("datasets[].curation"))
}

/// Annex XI section 2, or why it does not apply.
fn systemic_section(f: &Form<'_, '_>) -> Section {
    let title = "Additional information to be provided by providers of general-purpose AI models \
                 with systemic risk";
    let s = &f.evidence.systemic;
    let section = Section::new(Some("Section 2"), title);
    let source = Source::computed(
        "the `ai-act-gpai-systemic` pack's `is_systemic` (designated, or cumulative compute above \
         its threshold and not rebutted) and `classification.systemic_risk`",
    );
    if !s.yes {
        return section
            .note(format!(
                "This section does not apply: the model has no systemic risk ({}).",
                s.reason
            ))
            .item(
                Item::new("Systemic risk", Value::not_applicable(s.reason.clone())).from(source),
            );
    }
    let evaluation = evaluation(f, "1. Evaluation strategies and results");
    let adversarial = join(
        f,
        "2. Adversarial testing",
        &[
            ("done", "evaluation.adversarial_testing.done"),
            ("internal", "evaluation.adversarial_testing.internal"),
            ("external", "evaluation.adversarial_testing.external"),
            ("report", "evaluation.adversarial_testing.report.uri"),
        ],
        "evaluation.adversarial_testing",
    );
    let adaptations = join(
        f,
        "2. Model adaptations, including alignment and fine-tuning",
        &[
            ("", "training.methodology"),
            ("optimises for", "training.objectives"),
        ],
        "training.methodology",
    );
    let architecture = join(
        f,
        "3. System architecture",
        &[("", "systemic.system_architecture.uri")],
        "systemic.system_architecture",
    );
    section
        .note(format!("The model has systemic risk: {}.", s.reason))
        .item(Item::new("Systemic risk", Value::text(s.reason.clone())).from(source))
        .item(evaluation)
        .item(adversarial)
        .item(adaptations)
        .item(architecture)
}

fn evaluation(f: &Form<'_, '_>, label: &str) -> Item {
    let Some(results) = f.cx.get("evaluation.results").and_then(Json::as_array) else {
        return f.cx.field(label, "evaluation.results");
    };
    let get = |r: &Json, k: &str| r.get(k).map(scalar_text).unwrap_or_default();
    let mut rows: Vec<Vec<String>> = results
        .iter()
        .map(|r| {
            vec![
                get(r, "benchmark"),
                get(r, "metric"),
                get(r, "value"),
                get(r, "protocol"),
                get(r, "date"),
            ]
        })
        .collect();
    let mut sources = vec![Source::field("evaluation.results")];
    if let Some(l) = f.cx.get("evaluation.limitations").map(scalar_text) {
        rows.push(vec![
            "known limitations".to_owned(),
            String::new(),
            String::new(),
            l,
            String::new(),
        ]);
        sources.push(Source::field("evaluation.limitations"));
    }
    let mut item = Item::new(
        label,
        Value::table(&["Benchmark", "Metric", "Value", "Protocol", "Date"], rows),
    );
    item.sources = sources;
    item
}
