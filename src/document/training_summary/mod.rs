//! The public summary of training content (AI Act Art. 53(1)(d)) in the structure of the
//! Commission's Template of 24 July 2025: its header, §1.1-1.3, §2.1-2.6 and §3.1-3.3, in the
//! Template's order, numbering and headings. The figures the Template asks to be measured (size
//! bands, large public datasets, latest acquisition, the crawled domains) are computed by
//! [`crate::training_content`] and [`crate::crawl_domains`]; everything else is a declared field,
//! or "not declared".
//!
//! A modifier's summary covers only its modification's training content and names the base
//! model in the dependencies; a model placed on the market before 2 August 2025 says that it is
//! a legacy model, which may explain information that is no longer available.

use std::collections::BTreeSet;

use serde_json::Value as Json;

mod crawl;
mod processing;
mod sources;

use super::{Context, Document, Item, Kind, Section, Source, Value, scalar_text};
use crate::crawl_domains::DomainSizesError;
use crate::text::thousands;
use crate::training_content::{self as content, Modality, TrainingContent};

/// The date Chapter V applies from: a model placed on the market before it is a legacy model.
const GPAI_DATE: &str = "2025-08-02";

/// Relations to a base model that make this publisher a modifier of it.
const MODIFICATIONS: [&str; 6] = [
    "fine_tune",
    "continued_pretraining",
    "distillation",
    "merge",
    "adapter",
    "other",
];

pub(super) const TRAINING: &str =
    "the training datasets (`datasets[]` whose `role` is not validation, test or eval)";

/// The summary of the release in `cx`; fails only when a crawl's domain size file cannot be
/// read or is malformed.
pub(super) fn build(cx: Context<'_>) -> Result<Document, DomainSizesError> {
    // Borrowed from the release, which outlives the context `finish` consumes.
    let null = Json::Null;
    let declared = cx.release.declared().unwrap_or(&null);
    let all = content::datasets(declared);
    let tc = TrainingContent::of(declared);
    let name = cx.get("model.name").and_then(Json::as_str).unwrap_or("");
    let title = if name.is_empty() {
        "Public summary of training content".to_owned()
    } else {
        format!("Public summary of training content: {name}")
    };
    let sections = vec![
        header(&cx),
        general(&cx, &tc, all),
        sources::sources(&cx, &tc, all)?,
        processing::processing(&cx, &tc, all),
    ];
    Ok(cx.finish(Kind::TrainingSummary, &title, sections))
}

fn header(cx: &Context<'_>) -> Section {
    let mut s = Section::new(None, "Summary version and last update")
        .item(cx.field("Version of the summary", "public_summary.version"))
        .item(cx.field("Date of the last update", "public_summary.last_updated"));
    let mut notes = Vec::new();
    if let Some(bases) = modified_bases(cx) {
        notes.push(format!(
            "This model modifies {bases}: as the Explanatory Notice asks of a modifier, this \
             summary covers only the training content of the modification; the base model's \
             own training content is in its provider's summary."
        ));
    }
    if let Some(date) = legacy_date(cx) {
        notes.push(format!(
            "The model was placed on the Union market on {date}, before 2 August 2025: as a \
             legacy model it complies by 2 August 2027 (AI Act Art. 111(3)), and the summary may \
             explain information that is not available."
        ));
    }
    if !notes.is_empty() {
        s = s.note(notes.join(" "));
    }
    s
}

/// The base models this publisher modified, as text, when it is a modifier: declared base
/// models with a training relation, a role other than `original`, and a base provider other
/// than this one.
pub(super) fn modified_bases(cx: &Context<'_>) -> Option<String> {
    if cx
        .get("classification.provider_role")
        .and_then(Json::as_str)
        == Some("original")
    {
        return None;
    }
    let own = cx.get("provider.legal_name").and_then(Json::as_str);
    let bases: Vec<String> = cx
        .get("model.base_models")
        .and_then(Json::as_array)?
        .iter()
        .filter(|b| {
            b.get("relation")
                .and_then(Json::as_str)
                .is_some_and(|r| MODIFICATIONS.contains(&r))
                && b.get("provider")
                    .and_then(Json::as_str)
                    .is_none_or(|p| Some(p) != own)
        })
        .filter_map(|b| b.get("name").and_then(Json::as_str).map(str::to_owned))
        .collect();
    (!bases.is_empty()).then(|| bases.join(", "))
}

/// The first placing on the Union market, when it is before 2 August 2025.
pub(super) fn legacy_date(cx: &Context<'_>) -> Option<String> {
    let first = content::date(cx.get("model.first_placed_at")).or_else(|| {
        let market = content::date(cx.get("model.eu_market_date"));
        let release = content::date(cx.get("model.release_date"));
        match (market, release) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    })?;
    (first < GPAI_DATE).then(|| first.to_owned())
}

fn general(cx: &Context<'_>, tc: &TrainingContent, all: &[Json]) -> Section {
    let provider = Section::new(Some("1.1"), "Provider identification")
        .item(cx.field("Provider name", "provider.legal_name"))
        .item(cx.field("Provider contact details", "provider.contact"));
    let provider = if cx.get("provider.eu_established").and_then(Json::as_bool) == Some(true) {
        provider.item(
            Item::new(
                "Authorised representative name and contact details",
                Value::not_applicable("the provider is established in the Union"),
            )
            .from(Source::field("provider.eu_established")),
        )
    } else {
        provider
            .item(cx.field(
                "Authorised representative name",
                "provider.authorised_representative.name",
            ))
            .item(cx.field(
                "Authorised representative contact details",
                "provider.authorised_representative.contact",
            ))
    };
    let model = Section::new(Some("1.2"), "Model identification")
        .item(model_names(cx))
        .item(dependencies(cx))
        .item(cx.field(
            "Date of placement of the model on the Union market",
            "model.eu_market_date",
        ));
    let mut modalities = Section::new(
        Some("1.3"),
        "Modalities, overall training data size and other characteristics",
    )
    .note(
        "Sizes are of the training data after pre-processing, as declared per dataset; the band \
         is computed from their sum (a band's edges belong to the middle band).",
    );
    for m in &tc.modalities {
        modalities = modalities.section(modality(cx, m, all));
    }
    let latest = match &tc.latest {
        Some(d) => Value::text(d.clone()),
        None => cx.missing("datasets[].acquired_at"),
    };
    modalities = modalities.item(
        Item::new(
            "Latest date of data acquisition or collection (all modalities)",
            latest,
        )
        .from(Source::computed(&format!(
            "the latest `acquired_at` or `collection_period.end` of {TRAINING}"
        ))),
    );
    Section::new(Some("1"), "General information")
        .section(provider)
        .section(model)
        .section(modalities)
}

fn model_names(cx: &Context<'_>) -> Item {
    let Some(name) = cx.get("model.name").and_then(Json::as_str) else {
        return Item::new("Versioned model name(s)", cx.missing("model.name"))
            .from(Source::field("model.name"));
    };
    let mut names = BTreeSet::new();
    let version = cx.get("model.version").map(scalar_text);
    names.insert(match &version {
        Some(v) => format!("{name} {v}"),
        None => name.to_owned(),
    });
    for path in ["model.variants", "public_summary.covers_models"] {
        if let Some(list) = cx.get(path).and_then(Json::as_array) {
            // `covers_models` spells a model `name@version`: the same model as `name version`.
            names.extend(
                list.iter()
                    .map(|m| scalar_text(m).replacen('@', " ", 1))
                    .filter(|s| !s.is_empty()),
            );
        }
    }
    let mut item = Item::new("Versioned model name(s)", Value::list(names))
        .from(Source::field("model.name"))
        .from(Source::field("model.version"));
    if version.is_none() {
        item.value = cx.missing("model.version");
    }
    item.from(Source::field("model.variants"))
        .from(Source::field("public_summary.covers_models"))
}

fn dependencies(cx: &Context<'_>) -> Item {
    let label = "Model dependencies";
    let value = match cx.get("model.base_models").and_then(Json::as_array) {
        Some(bases) => Value::list(bases.iter().map(|b| {
            let text = |k: &str| b.get(k).map(scalar_text).unwrap_or_default();
            let mut line = text("name");
            if !text("version").is_empty() {
                line = format!("{line} {}", text("version"));
            }
            let about: Vec<String> = [text("relation").replace('_', " "), text("provider")]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect();
            if !about.is_empty() {
                line = format!("{line} ({})", about.join(", "));
            }
            if !text("summary_url").is_empty() {
                line = format!("{line}; its summary: {}", text("summary_url"));
            }
            line
        })),
        // No base model declared is no dependency, unless the publisher says it modified one.
        None if matches!(
            cx.get("classification.provider_role")
                .and_then(Json::as_str),
            Some("modifier" | "modifier_provider")
        ) =>
        {
            cx.missing("model.base_models")
        }
        None => Value::list(Vec::<String>::new()),
    };
    Item::new(label, value)
        .from(Source::field("model.base_models"))
        .from(Source::field("classification.provider_role"))
}

fn modality(cx: &Context<'_>, m: &content::ModalityContent, all: &[Json]) -> Section {
    let title = match m.modality {
        Modality::Text => "Text",
        Modality::Image => "Image",
        Modality::Audio => "Audio",
        Modality::Video => "Video",
        Modality::Other => "Other",
    };
    let key = m.modality.as_str();
    let mut s =
        Section::new(None, title).item(Item::new("Selected", Value::flag(m.selected())).from(
            Source::computed(&format!("the `modality` and `size` of {TRAINING}")),
        ));
    if !m.selected() {
        return s;
    }
    s = s.item(size_item(cx, m, all));
    let union = |field: &str| -> BTreeSet<String> {
        m.datasets
            .iter()
            .filter_map(|&i| all[i].get(field).and_then(Json::as_array))
            .flatten()
            .map(scalar_text)
            .filter(|t| !t.is_empty())
            .collect()
    };
    for (label, field) in [
        ("Types of content", "content_types"),
        ("Linguistic characteristics", "languages"),
    ] {
        let found = union(field);
        let value = if found.is_empty() {
            cx.missing(&format!("datasets[].{field}"))
        } else {
            Value::list(found)
        };
        s = s.item(Item::new(label, value).from(Source::computed(&format!(
            "the `{field}` of the {key} training datasets"
        ))));
    }
    let latest = match &m.latest {
        Some(d) => Value::text(d.clone()),
        None => cx.missing("datasets[].acquired_at"),
    };
    s = s.item(
        Item::new("Latest date of data acquisition or collection", latest).from(Source::computed(
            &format!(
                "the latest `acquired_at` or `collection_period.end` of the {key} training datasets"
            ),
        )),
    );
    s = s.item(cx.field(
        "Other relevant characteristics",
        &format!("public_summary.modality_notes.{key}.characteristics"),
    ));
    let comments = format!("public_summary.modality_notes.{key}.comments");
    let value = cx
        .get(&comments)
        .map_or_else(|| Value::list(Vec::<String>::new()), super::json_value);
    s.item(Item::new("Additional comments", value).from(Source::field(&comments)))
}

fn size_item(cx: &Context<'_>, m: &content::ModalityContent, all: &[Json]) -> Item {
    let label = "Training data size";
    let Some(field) = m.modality.size_field() else {
        return Item::new(
            label,
            Value::not_applicable(
                "the Template gives size bands for text, image, audio and video only",
            ),
        );
    };
    let from = Source::computed(&format!(
        "the sum of `size.{field}` over the {} training datasets",
        m.modality.as_str()
    ));
    let (Some(size), Some(band)) = (m.size, m.band) else {
        return Item::new(label, cx.missing(&format!("datasets[].size.{field}"))).from(from);
    };
    let unit = match m.modality {
        Modality::Text => "tokens",
        Modality::Image => "images",
        _ => "hours",
    };
    let mut text = format!(
        "{} ({} {unit} declared)",
        band.wording(m.modality),
        amount(size)
    );
    if !m.without_size.is_empty() {
        let names: Vec<String> = m
            .without_size
            .iter()
            .map(|&i| content::label(all, i))
            .collect();
        for &i in &m.without_size {
            cx.missing(&format!("datasets[{i}].size.{field}"));
        }
        text = format!(
            "{text}; without the size of {}, not declared",
            names.join(", ")
        );
    }
    Item::new(label, Value::text(text)).from(from)
}

/// A declared amount as people read it: whole numbers with thousands separators.
fn amount(v: f64) -> String {
    if v.fract() == 0.0 && v < 9.0e15 {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = v as u64;
        thousands(n)
    } else {
        format!("{v}")
    }
}

/// Whether some training datasets have one of `types`, and those datasets.
pub(super) fn used(tc: &TrainingContent, all: &[Json], types: &[&str]) -> Vec<usize> {
    tc.of_source(all, types)
        .into_iter()
        .map(|(i, _)| i)
        .collect()
}

pub(super) fn yes_no(label: &str, found: &[usize], types: &str) -> Item {
    Item::new(label, Value::flag(!found.is_empty())).from(Source::computed(&format!(
        "the `source_type` ({types}) of {TRAINING}"
    )))
}

pub(super) fn modalities_item(all: &[Json], found: &[usize]) -> Item {
    Item::new(
        "Modalities",
        Value::list(TrainingContent::modalities_of(all, found)),
    )
    .from(Source::computed(
        "the `modality` and `size` of these datasets",
    ))
}

pub(super) fn names(all: &[Json], found: &[usize]) -> Vec<String> {
    found.iter().map(|&i| content::label(all, i)).collect()
}

/// Per dataset: its `selection_rationale`, else its `collection_process`, else not declared.
pub(super) fn descriptions(cx: &Context<'_>, all: &[Json], found: &[usize], label: &str) -> Item {
    let mut lines = Vec::new();
    let mut missing = None;
    for &i in found {
        let d = &all[i];
        match d
            .get("selection_rationale")
            .or_else(|| d.get("collection_process"))
            .and_then(Json::as_str)
        {
            Some(t) => lines.push(format!("{}: {t}", content::label(all, i))),
            None => {
                missing = Some(cx.missing(&format!("datasets[{i}].selection_rationale")));
            }
        }
    }
    let value = match (lines.is_empty(), missing) {
        (true, Some(m)) => m,
        _ => Value::list(lines),
    };
    Item::new(label, value)
        .from(Source::field("datasets[].selection_rationale"))
        .from(Source::field("datasets[].collection_process"))
}
