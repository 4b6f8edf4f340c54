//! Sections 3 and 4 of the audit: the model and the datasets as the release's statement
//! summarises them (computed from the sealed files when the release was scanned), next to what
//! the declaration says and the figures the check compared.

use serde_json::Value as Json;

use super::{Evidence, array, cell, from_check, yes_no};
use crate::document::{Context, Item, Section, Source, Value};
use crate::text::thousands;

/// 3: the model as the statement summarises it, and the figures the check compared.
pub(super) fn model(cx: &Context<'_>, e: &Evidence<'_>) -> Section {
    let m = e.model.unwrap_or(&Json::Null);
    let scanned = Source::computed("the statement's model summary (`predicate.model`)");
    let figures = e.check.pointer("/figures").unwrap_or(&Json::Null);
    let mut s = Section::new(Some("3"), "Model")
        .item(cx.field("Name", "model.name"))
        .item(cx.field("Version", "model.version"));
    let counted = m.get("parameter_count").and_then(Json::as_u64);
    let mut item = Item::new(
        "Parameters counted",
        counted.map_or_else(
            || Value::not_applicable("no weight file whose tensors scelle reads"),
            |n| Value::text(thousands(n)),
        ),
    )
    .from(scanned.clone());
    for f in array(m, "/parameter_files") {
        if let Some(p) = f.as_str() {
            item = item.from(Source::file(p));
        }
    }
    s = s.item(item);
    let declared = figures
        .pointer("/parameters/declared")
        .and_then(Json::as_u64);
    s = s.item(match declared {
        Some(n) => Item::new("Parameters declared", Value::text(thousands(n)))
            .from(Source::field("model.parameters.total")),
        None => Item::new("Parameters declared", cx.missing("model.parameters.total")),
    });
    if let Some(agree) = figures.pointer("/parameters/agree").and_then(Json::as_bool) {
        s = s.item(
            Item::new("Declared and counted agree", Value::flag(agree))
                .from(from_check("figures.parameters")),
        );
    }
    let mut dtypes: Vec<Vec<String>> = m
        .get("dtypes")
        .and_then(Json::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, v)| vec![k.clone(), v.as_u64().map_or_else(String::new, thousands)])
                .collect()
        })
        .unwrap_or_default();
    dtypes.sort();
    s = s.item(
        Item::new(
            "Parameters by dtype",
            Value::table(&["Dtype", "Parameters"], dtypes),
        )
        .from(scanned.clone()),
    );
    let architecture: Vec<String> = m
        .get("architecture")
        .and_then(Json::as_object)
        .map(|o| {
            o.iter()
                .map(|(k, v)| format!("{k}: {}", crate::document::scalar_text(v)))
                .collect()
        })
        .unwrap_or_default();
    s = s.item(Item::new("Architecture", Value::list(architecture)).from(scanned.clone()));
    let formats: Vec<String> = array(m, "/formats")
        .iter()
        .filter_map(Json::as_str)
        .map(str::to_owned)
        .collect();
    s = s.item(Item::new("Weight formats", Value::list(formats)).from(scanned.clone()));
    if let (Some(n), Some(b)) = (
        m.get("weights_files").and_then(Json::as_u64),
        m.get("weights_bytes").and_then(Json::as_u64),
    ) {
        s = s.item(
            Item::new(
                "Weight files",
                Value::text(format!(
                    "{n} file{}, {} bytes",
                    if n == 1 { "" } else { "s" },
                    thousands(b)
                )),
            )
            .from(scanned),
        );
    }
    for i in compared_figures(figures) {
        s = s.item(i);
    }
    s
}

/// The model figures the check put side by side: context length declared and counted, training
/// compute declared and estimated.
fn compared_figures(figures: &Json) -> Vec<Item> {
    let mut items = Vec::new();
    let pair = |label: &str, at: &str| -> Option<Item> {
        let p = figures.pointer(at)?;
        let side = |k: &str| {
            p.get(k)
                .filter(|v| !v.is_null())
                .map_or_else(|| "not declared".to_owned(), crate::document::scalar_text)
        };
        Some(
            Item::new(
                label,
                Value::text(format!(
                    "declared {}, counted {}",
                    side("declared"),
                    p.get("counted")
                        .filter(|v| !v.is_null())
                        .map_or_else(|| "none".to_owned(), crate::document::scalar_text)
                )),
            )
            .from(from_check(&format!("figures{}", at.replace('/', ".")))),
        )
    };
    if let Some(i) = pair("Context length", "/context_length") {
        items.push(i);
    }
    if let Some(c) = figures.get("compute") {
        // FLOP counts are read in powers of ten (`1.9e15`), as the thresholds are written.
        let f = |k: &str| {
            c.get(k)
                .and_then(Json::as_f64)
                .map_or_else(|| "none".to_owned(), |x| format!("{x:e}"))
        };
        items.push(
            Item::new(
                "Training compute (FLOP)",
                Value::text(format!(
                    "declared {}, cumulative {}, estimated 6·N·D {}, estimated from hardware {}",
                    f("declared"),
                    f("cumulative"),
                    f("estimate_6nd"),
                    f("estimate_hardware")
                )),
            )
            .from(from_check("figures.compute")),
        );
    }
    items
}

/// 4: the datasets as declared, as sealed, and the figures the check compared.
pub(super) fn datasets(cx: &Context<'_>, e: &Evidence<'_>) -> Section {
    let mut s = Section::new(Some("4"), "Datasets");
    let declared: Vec<Vec<String>> = array(cx.declared(), "/datasets")
        .iter()
        .map(|d| {
            vec![
                cell(d.get("id").or_else(|| d.get("name"))),
                cell(d.get("role")),
                cell(d.get("source_type")),
                cell(d.get("modality")),
                cell(d.get("acquired_at")),
            ]
        })
        .collect();
    s = s.item(match cx.get("datasets") {
        Some(_) => Item::new(
            "Declared datasets",
            Value::table(
                &["Dataset", "Role", "Source", "Modality", "Acquired"],
                declared,
            ),
        )
        .from(Source::field("datasets")),
        None => Item::new("Declared datasets", cx.missing("datasets")),
    });
    let mut sealed: Vec<Vec<String>> = e
        .datasets
        .iter()
        .map(|d| {
            vec![
                cell(d.get("path")),
                cell(d.get("files")),
                cell(d.get("records")),
                cell(d.get("bytes")),
                cell(d.get("formats")),
            ]
        })
        .collect();
    sealed.sort();
    s = s.item(
        Item::new(
            "Dataset folders sealed in the release",
            Value::table(&["Folder", "Files", "Records", "Bytes", "Formats"], sealed),
        )
        .from(Source::computed(
            "the statement's dataset summary (`predicate.datasets`)",
        )),
    );
    let side = |p: Option<&Json>, k: &str| cell(p.and_then(|p| p.get(k)).filter(|v| !v.is_null()));
    let agree = |p: Option<&Json>| match p.and_then(|p| p.get("agree")).and_then(Json::as_bool) {
        Some(b) => yes_no(b).to_owned(),
        None => "not compared".to_owned(),
    };
    let compared: Vec<Vec<String>> = array(e.check, "/figures/datasets")
        .iter()
        .map(|d| {
            let r = d.get("records");
            let b = d.get("bytes");
            vec![
                cell(d.get("dataset")),
                cell(d.get("path")),
                side(r, "declared"),
                side(r, "counted"),
                agree(r),
                side(b, "declared"),
                side(b, "counted"),
                agree(b),
            ]
        })
        .collect();
    s.item(
        Item::new(
            "Declared and counted sizes",
            Value::table(
                &[
                    "Dataset",
                    "Folder",
                    "Records declared",
                    "Records counted",
                    "Agree",
                    "Bytes declared",
                    "Bytes counted",
                    "Agree",
                ],
                compared,
            ),
        )
        .from(from_check("figures.datasets")),
    )
}
