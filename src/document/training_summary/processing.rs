//! Template §3, data processing aspects: the respect of text-and-data-mining reservations (§3.1:
//! the Code of Practice signature, the opt-out protocols honoured by the provider and, per
//! dataset, by the third party that compiled it), the removal of illegal content (§3.2) and other
//! information (§3.3: the modifier and legacy notes).

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::super::{Context, Item, Section, Source, Value, scalar_text};
use super::{legacy_date, modified_bases};
use crate::training_content::{self as content, TrainingContent};

pub(super) fn processing(cx: &Context<'_>, tc: &TrainingContent, all: &[Json]) -> Section {
    Section::new(Some("3"), "Data processing aspects")
        .section(reservations(cx, tc, all))
        .section(illegal_content(cx, tc, all))
        .section(other_information(cx))
}

/// §3.1: the protocols honoured by the provider, and per dataset by whoever compiled it.
fn reservations(cx: &Context<'_>, tc: &TrainingContent, all: &[Json]) -> Section {
    let mut protocols: BTreeSet<String> = BTreeSet::new();
    if let Some(list) = cx
        .get("copyright.optout_protocols_honoured")
        .and_then(Json::as_array)
    {
        protocols.extend(list.iter().map(scalar_text));
    }
    for &i in &tc.training {
        if let Some(list) = all[i]
            .pointer("/crawl/optout_signals_honoured")
            .and_then(Json::as_array)
        {
            protocols.extend(list.iter().map(scalar_text));
        }
    }
    let protocols = if protocols.is_empty() {
        cx.missing("copyright.optout_protocols_honoured")
    } else {
        Value::list(protocols)
    };
    let rows = tc
        .training
        .iter()
        .map(|&i| {
            let d = &all[i];
            let t = |p: &str| d.pointer(p).map(scalar_text).unwrap_or_default();
            let respected = if let Some(v) = d.pointer("/tdm/opt_out_respected") {
                let v = scalar_text(v).replace('_', " ");
                match d
                    .pointer("/tdm/not_applicable_reason")
                    .and_then(Json::as_str)
                {
                    Some(r) => format!("{v} ({r})"),
                    None => v,
                }
            } else {
                cx.missing(&format!("datasets[{i}].tdm.opt_out_respected"));
                "not declared".to_owned()
            };
            vec![
                content::label(all, i),
                respected,
                t("/tdm/by").replace('_', " "),
                t("/tdm/methods"),
            ]
        })
        .collect();
    Section::new(
        Some("3.1"),
        "Respect of reservation of rights from the text and data mining exception or limitation",
    )
    .item(cx.field(
        "Signatory of the Code of Practice (copyright chapter)",
        "provider.cop_signatory.copyright",
    ))
    .item(
        Item::new("Opt-out protocols honoured by the provider", protocols)
            .from(Source::field("copyright.optout_protocols_honoured"))
            .from(Source::field("datasets[].crawl.optout_signals_honoured")),
    )
    .item(
        Item::new(
            "Reservations respected per dataset, by the provider or the third party that compiled it",
            Value::table(&["Dataset", "Reservations respected", "Checked by", "Protocols"], rows),
        )
        .from(Source::field("datasets[].tdm")),
    )
}

/// §3.2: the declared description, and the measures declared per dataset.
fn illegal_content(cx: &Context<'_>, tc: &TrainingContent, all: &[Json]) -> Section {
    let per_dataset: BTreeSet<String> = tc
        .training
        .iter()
        .filter_map(|&i| {
            all[i]
                .pointer("/curation/illegal_content_removal")
                .and_then(Json::as_array)
        })
        .flatten()
        .map(scalar_text)
        .collect();
    let mut section = Section::new(Some("3.2"), "Removal of illegal content");
    if cx.get("public_summary.illegal_content_measures").is_some() || per_dataset.is_empty() {
        section = section.item(cx.field(
            "General description of the measures taken",
            "public_summary.illegal_content_measures",
        ));
    }
    if !per_dataset.is_empty() {
        section = section.item(
            Item::new("Measures applied to the datasets", Value::list(per_dataset))
                .from(Source::field("datasets[].curation.illegal_content_removal")),
        );
    }
    section
}

/// §3.3: what a reader must know to read the rest (a modifier's scope, a legacy model).
fn other_information(cx: &Context<'_>) -> Section {
    let mut other = Vec::new();
    if let Some(bases) = modified_bases(cx) {
        other.push(format!(
            "The summary covers only the modification of {bases}."
        ));
    }
    if let Some(date) = legacy_date(cx) {
        other.push(format!(
            "Legacy model, placed on the Union market on {date}: information that is no longer available is marked as not declared."
        ));
    }
    Section::new(Some("3.3"), "Other information").item(
        Item::new("Other information", Value::list(other))
            .from(Source::field("model.base_models"))
            .from(Source::field("model.first_placed_at")),
    )
}
