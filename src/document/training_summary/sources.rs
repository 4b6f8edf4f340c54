//! Template §2, the list of data sources: publicly available datasets with the large ones by the
//! 3 % rule (§2.1), third-party private data (§2.2), the provider's crawls (§2.3, in `crawl`),
//! user data (§2.4), synthetic data with the models that generated it (§2.5) and other sources
//! (§2.6). Each "used" answer is computed from the training datasets' `source_type`.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::super::{Context, Item, Section, Source, Value, scalar_text};
use super::{crawl, descriptions, modalities_item, names, used, yes_no};
use crate::crawl_domains::DomainSizesError;
use crate::training_content::{self as content, TrainingContent};

pub(super) fn sources(
    cx: &Context<'_>,
    tc: &TrainingContent,
    all: &[Json],
) -> Result<Section, DomainSizesError> {
    let public = used(tc, all, &["public_dataset"]);
    let mut s21 = Section::new(Some("2.1"), "Publicly available datasets").item(yes_no(
        "Publicly available datasets used",
        &public,
        "`public_dataset`",
    ));
    if !public.is_empty() {
        s21 = s21
            .note(
                "A dataset is large when its size in one of its modalities is more than 3 % of \
                 the size of all publicly available datasets of that modality used for training \
                 (exactly 3 % is not large).",
            )
            .item(modalities_item(all, &public))
            .item(large_datasets(cx, tc, all));
        let large: BTreeSet<usize> = tc.large.iter().map(|l| l.dataset.index).collect();
        let others: Vec<usize> = public
            .iter()
            .copied()
            .filter(|i| !large.contains(i))
            .collect();
        s21 = s21.item(
            Item::new(
                "Other publicly available datasets",
                Value::list(names(all, &others)),
            )
            .from(Source::computed(
                "the public training datasets not listed as large",
            )),
        );
    }
    let licensed = used(tc, all, &["licensed_commercial"]);
    let mut licensed_section = Section::new(
        Some("2.2.1"),
        "Datasets commercially licensed by rightsholders or their representatives",
    )
    .item(yes_no(
        "Commercially licensed datasets used",
        &licensed,
        "`licensed_commercial`",
    ));
    if !licensed.is_empty() {
        licensed_section = licensed_section.item(modalities_item(all, &licensed));
    }
    let private = used(tc, all, &["private_third_party"]);
    let mut private_section = Section::new(
        Some("2.2.2"),
        "Private datasets obtained from other third parties",
    )
    .item(yes_no(
        "Private third-party datasets used",
        &private,
        "`private_third_party`",
    ));
    if !private.is_empty() {
        private_section = private_section.item(modalities_item(all, &private)).item(
            Item::new("Datasets", Value::list(names(all, &private)))
                .from(Source::computed("the `name` of these datasets")),
        );
        private_section =
            private_section.item(descriptions(cx, all, &private, "General description"));
    }
    let third_party = Section::new(
        Some("2.2"),
        "Private non-publicly available datasets obtained from third parties",
    )
    .section(licensed_section)
    .section(private_section);
    let s23 = crawl::crawled(cx, tc, all)?;
    Ok(Section::new(Some("2"), "List of data sources")
        .section(s21)
        .section(third_party)
        .section(s23)
        .section(user_data(cx, tc, all))
        .section(synthetic(cx, tc, all))
        .section(other_sources(cx, tc, all)))
}

fn large_datasets(cx: &Context<'_>, tc: &TrainingContent, all: &[Json]) -> Item {
    let cell = |i: usize, path: &str, text: Option<String>| {
        text.unwrap_or_else(|| {
            cx.missing(&format!("datasets[{i}].{path}"));
            "not declared".to_owned()
        })
    };
    let rows = tc
        .large
        .iter()
        .map(|l| {
            let i = l.dataset.index;
            let d = &all[i];
            let link = d
                .get("source_url")
                .and_then(Json::as_str)
                .map(str::to_owned);
            let period = match (
                content::date(d.pointer("/collection_period/start")),
                content::date(d.pointer("/collection_period/end")),
                content::date(d.get("acquired_at")),
            ) {
                (Some(a), Some(b), _) => Some(format!("{a} to {b}")),
                (_, _, Some(at)) => Some(format!("acquired {at}")),
                _ => None,
            };
            let how = d
                .get("selection_rationale")
                .and_then(Json::as_str)
                .map(str::to_owned);
            #[allow(clippy::cast_precision_loss)]
            let share = format!("{:.1} %", l.size * 100.0 / l.total);
            vec![
                l.dataset.label.clone(),
                l.modality.as_str().to_owned(),
                share,
                cell(i, "source_url", link),
                cell(i, "collection_period", period),
                cell(i, "selection_rationale", how),
            ]
        })
        .collect();
    for &i in &tc.unsized_public {
        cx.missing(&format!("datasets[{i}].size"));
    }
    Item::new(
        "List of large publicly available datasets",
        Value::table(
            &["Dataset", "Modality", "Share", "Link", "Collection period", "How selected"],
            rows,
        ),
    )
    .from(Source::computed(
        "the `size` of each public training dataset against the sum over all of them, per modality (share > 3 %)",
    ))
}

fn user_data(cx: &Context<'_>, tc: &TrainingContent, all: &[Json]) -> Section {
    let model = used(tc, all, &["user_model_interactions"]);
    let services = used(tc, all, &["user_other_services"]);
    let mut s = Section::new(Some("2.4"), "User data")
        .item(yes_no(
            "Data from user interactions with the model",
            &model,
            "`user_model_interactions`",
        ))
        .item(yes_no(
            "Data from the provider's other services or products",
            &services,
            "`user_other_services`",
        ));
    if !services.is_empty() {
        let names: BTreeSet<String> = services
            .iter()
            .filter_map(|&i| {
                all[i]
                    .pointer("/user_data/services")
                    .and_then(Json::as_array)
            })
            .flatten()
            .map(scalar_text)
            .collect();
        let value = if names.is_empty() {
            cx.missing("datasets[].user_data.services")
        } else {
            Value::list(names)
        };
        s = s.item(
            Item::new("Services or products", value)
                .from(Source::field("datasets[].user_data.services")),
        );
    }
    let both: Vec<usize> = model.iter().chain(&services).copied().collect();
    if !both.is_empty() {
        s = s.item(modalities_item(all, &both));
    }
    s
}

fn synthetic(cx: &Context<'_>, tc: &TrainingContent, all: &[Json]) -> Section {
    let found = used(tc, all, &["synthetic"]);
    let mut s = Section::new(Some("2.5"), "Synthetic data").item(yes_no(
        "Synthetic data created by or for the provider",
        &found,
        "`synthetic`",
    ));
    if found.is_empty() {
        return s;
    }
    s = s.item(modalities_item(all, &found));
    let bases = cx.get("model.base_models").and_then(Json::as_array);
    let mut rows = Vec::new();
    for &i in &found {
        let Some(models) = all[i]
            .pointer("/synthetic/generator_models")
            .and_then(Json::as_array)
        else {
            cx.missing(&format!("datasets[{i}].synthetic.generator_models"));
            continue;
        };
        let method = all[i]
            .pointer("/synthetic/method")
            .map(scalar_text)
            .unwrap_or_default();
        for (j, g) in models.iter().enumerate() {
            let text = |k: &str| g.get(k).map(scalar_text).unwrap_or_default();
            let name = text("name");
            // A generator that is also a declared base model shares its summary link.
            let summary = g
                .get("summary_url")
                .or_else(|| {
                    bases?
                        .iter()
                        .find(|b| b.get("name").and_then(Json::as_str) == Some(name.as_str()))?
                        .get("summary_url")
                })
                .map_or_else(
                    || {
                        cx.missing(&format!(
                            "datasets[{i}].synthetic.generator_models[{j}].summary_url"
                        ));
                        "not declared".to_owned()
                    },
                    scalar_text,
                );
            rows.push(vec![
                name,
                text("version"),
                text("provider"),
                content::label(all, i),
                method.clone(),
                summary,
            ]);
        }
    }
    s.item(
        Item::new(
            "Models used to generate the data, with their public summaries",
            Value::table(
                &[
                    "Model",
                    "Version",
                    "Provider",
                    "Dataset",
                    "Method",
                    "Public summary",
                ],
                rows,
            ),
        )
        .from(Source::field("datasets[].synthetic.generator_models"))
        .from(Source::field("model.base_models[].summary_url")),
    )
}

fn other_sources(cx: &Context<'_>, tc: &TrainingContent, all: &[Json]) -> Section {
    let found = used(tc, all, &["human_created", "other"]);
    let mut s = Section::new(Some("2.6"), "Other sources of data").item(yes_no(
        "Data from other sources used",
        &found,
        "`human_created`, `other`",
    ));
    if !found.is_empty() {
        s = s.item(modalities_item(all, &found)).item(descriptions(
            cx,
            all,
            &found,
            "Description of the data and its sources",
        ));
    }
    s
}
