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

use super::{Context, Document, Item, Kind, Section, Source, Value, scalar_text};
use crate::crawl_domains::{self, DomainSizesError};
use crate::manifest::Record as _;
use crate::release::Parsed;
use crate::text::thousands;
use crate::training_content::{self as content, Modality, TrainingContent};
use crate::vocab::Sha256Digest;

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

const TRAINING: &str =
    "the training datasets (`datasets[]` whose `role` is not validation, test or eval)";

/// The summary of the release in `cx`; fails only when a crawl's domain size file cannot be
/// read or is malformed.
pub(super) fn build(cx: Context<'_>) -> Result<Document, DomainSizesError> {
    let declared = cx.declared().clone();
    let all = content::datasets(&declared);
    let tc = TrainingContent::of(&declared);
    let name = cx.get("model.name").and_then(Json::as_str).unwrap_or("");
    let title = if name.is_empty() {
        "Public summary of training content".to_owned()
    } else {
        format!("Public summary of training content: {name}")
    };
    let sections = vec![
        header(&cx),
        general(&cx, &tc, all),
        sources(&cx, &tc, all)?,
        processing(&cx, &tc, all),
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
fn modified_bases(cx: &Context<'_>) -> Option<String> {
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
fn legacy_date(cx: &Context<'_>) -> Option<String> {
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
            names.extend(list.iter().map(scalar_text).filter(|s| !s.is_empty()));
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
        None if cx
            .get("classification.provider_role")
            .and_then(Json::as_str)
            == Some("original") =>
        {
            Value::list(Vec::<String>::new())
        }
        None => cx.missing("model.base_models"),
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
fn used(tc: &TrainingContent, all: &[Json], types: &[&str]) -> Vec<usize> {
    tc.of_source(all, types)
        .into_iter()
        .map(|(i, _)| i)
        .collect()
}

fn yes_no(label: &str, found: &[usize], types: &str) -> Item {
    Item::new(label, Value::flag(!found.is_empty())).from(Source::computed(&format!(
        "the `source_type` ({types}) of {TRAINING}"
    )))
}

fn modalities_item(all: &[Json], found: &[usize]) -> Item {
    Item::new(
        "Modalities",
        Value::list(TrainingContent::modalities_of(all, found)),
    )
    .from(Source::computed(
        "the `modality` and `size` of these datasets",
    ))
}

fn names(all: &[Json], found: &[usize]) -> Vec<String> {
    found.iter().map(|&i| content::label(all, i)).collect()
}

fn sources(
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
    let mut s221 = Section::new(
        Some("2.2.1"),
        "Datasets commercially licensed by rightsholders or their representatives",
    )
    .item(yes_no(
        "Commercially licensed datasets used",
        &licensed,
        "`licensed_commercial`",
    ));
    if !licensed.is_empty() {
        s221 = s221.item(modalities_item(all, &licensed));
    }
    let private = used(tc, all, &["private_third_party"]);
    let mut s222 = Section::new(
        Some("2.2.2"),
        "Private datasets obtained from other third parties",
    )
    .item(yes_no(
        "Private third-party datasets used",
        &private,
        "`private_third_party`",
    ));
    if !private.is_empty() {
        s222 = s222.item(modalities_item(all, &private)).item(
            Item::new("Datasets", Value::list(names(all, &private)))
                .from(Source::computed("the `name` of these datasets")),
        );
        s222 = s222.item(descriptions(cx, all, &private, "General description"));
    }
    let s22 = Section::new(
        Some("2.2"),
        "Private non-publicly available datasets obtained from third parties",
    )
    .section(s221)
    .section(s222);
    let s23 = crawled(cx, tc, all)?;
    Ok(Section::new(Some("2"), "List of data sources")
        .section(s21)
        .section(s22)
        .section(s23)
        .section(user_data(cx, tc, all))
        .section(synthetic(cx, tc, all))
        .section(other_sources(cx, tc, all)))
}

/// Per dataset: its `selection_rationale`, else its `collection_process`, else not declared.
fn descriptions(cx: &Context<'_>, all: &[Json], found: &[usize], label: &str) -> Item {
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

fn crawled(
    cx: &Context<'_>,
    tc: &TrainingContent,
    all: &[Json],
) -> Result<Section, DomainSizesError> {
    let crawls = used(tc, all, &["crawled_by_provider"]);
    let mut s =
        Section::new(Some("2.3"), "Data crawled and scraped from online sources").item(yes_no(
            "Crawlers used by the provider or on its behalf",
            &crawls,
            "`crawled_by_provider`",
        ));
    if crawls.is_empty() {
        return Ok(s);
    }
    let per_crawl = |label: &str, from: &[&str], f: &dyn Fn(usize, &Json) -> Option<String>| {
        let mut lines = Vec::new();
        for &i in &crawls {
            match f(i, &all[i]) {
                Some(t) => lines.push(t),
                None => lines.push(format!("{}: not declared", crawler_name(all, i))),
            }
        }
        from.iter()
            .fold(Item::new(label, Value::list(lines)), |item, path| {
                item.from(Source::field(path))
            })
    };
    let text = |d: &Json, p: &str| d.pointer(p).and_then(Json::as_str).map(str::to_owned);
    s = s.item(per_crawl(
        "Crawler name(s) or identifier(s)",
        &[
            "datasets[].crawl.crawler_name",
            "datasets[].crawl.user_agent",
        ],
        &|i, d| {
            let Some(name) = text(d, "/crawl/crawler_name") else {
                cx.missing(&format!("datasets[{i}].crawl.crawler_name"));
                return None;
            };
            Some(match text(d, "/crawl/user_agent") {
                Some(ua) => format!("{name} (user agent `{ua}`)"),
                None => name,
            })
        },
    ));
    s = s.item(per_crawl(
        "Purposes of the crawler(s)",
        &["datasets[].crawl.purpose"],
        &|i, d| {
            let purpose = text(d, "/crawl/purpose");
            if purpose.is_none() {
                cx.missing(&format!("datasets[{i}].crawl.purpose"));
            }
            purpose.map(|p| format!("{}: {p}", crawler_name(all, i)))
        },
    ));
    s = s.item(per_crawl(
        "General description of crawler behaviour",
        &["datasets[].crawl.respects_robots", "datasets[].crawl.lawful_access", "datasets[].crawl.behaviour"],
        &|i, d| {
            let mut parts = Vec::new();
            match d.pointer("/crawl/respects_robots").and_then(Json::as_bool) {
                Some(true) => parts.push("obeys robots.txt".to_owned()),
                Some(false) => parts.push("does not obey robots.txt".to_owned()),
                None => {
                    cx.missing(&format!("datasets[{i}].crawl.respects_robots"));
                }
            }
            match d.pointer("/crawl/lawful_access").and_then(Json::as_bool) {
                Some(true) => parts.push("circumvents no paywall, login or CAPTCHA".to_owned()),
                Some(false) => parts.push("does not declare lawful access only (paywalls, logins or CAPTCHAs may be circumvented)".to_owned()),
                None => {
                    cx.missing(&format!("datasets[{i}].crawl.lawful_access"));
                }
            }
            if let Some(b) = text(d, "/crawl/behaviour") {
                parts.push(b);
            }
            (!parts.is_empty()).then(|| format!("{}: {}", crawler_name(all, i), parts.join("; ")))
        },
    ));
    s = s.item(per_crawl(
        "Period of data collection",
        &["datasets[].collection_period"],
        &|i, d| match (
            content::date(d.pointer("/collection_period/start")),
            content::date(d.pointer("/collection_period/end")),
        ) {
            (Some(a), Some(b)) => Some(format!("{}: {a} to {b}", crawler_name(all, i))),
            _ => {
                cx.missing(&format!("datasets[{i}].collection_period"));
                None
            }
        },
    ));
    s = s.item(per_crawl(
        "Type of content and online sources",
        &[
            "datasets[].content_types",
            "datasets[].crawl.excluded_domain_lists",
            "datasets[].crawl.excluded_categories",
        ],
        &|i, d| {
            let list = |p: &str| {
                d.pointer(p)
                    .and_then(Json::as_array)
                    .map(|a| a.iter().map(scalar_text).collect::<Vec<_>>().join(", "))
                    .filter(|t| !t.is_empty())
            };
            let mut parts = Vec::new();
            match list("/content_types") {
                Some(t) => parts.push(format!("content: {t}")),
                None => {
                    cx.missing(&format!("datasets[{i}].content_types"));
                }
            }
            if let Some(t) = list("/crawl/excluded_domain_lists") {
                parts.push(format!("domain lists excluded: {t}"));
            }
            if let Some(t) = list("/crawl/excluded_categories") {
                parts.push(format!("excluded: {t}"));
            }
            (!parts.is_empty()).then(|| format!("{}: {}", crawler_name(all, i), parts.join("; ")))
        },
    ));
    s = s.item(modalities_item(all, &crawls));
    let sme = content::sme_rule(cx.declared());
    for &i in &crawls {
        s = s.item(domains(cx, all, i, sme)?);
    }
    Ok(s)
}

fn crawler_name(all: &[Json], i: usize) -> String {
    all[i]
        .pointer("/crawl/crawler_name")
        .and_then(Json::as_str)
        .map_or_else(|| content::label(all, i), str::to_owned)
}

/// The most relevant domains of one crawl: ranked from its domain size file when it names one,
/// else the declared list.
fn domains(cx: &Context<'_>, all: &[Json], i: usize, sme: bool) -> Result<Item, DomainSizesError> {
    let label = format!("Most relevant domain names ({})", crawler_name(all, i));
    let rule = if sme {
        "top 5 % of the crawled domains or 1,000, whichever is lower (SME rule), rounded up"
    } else {
        "top 10 % of the crawled domains, rounded up"
    };
    let field = format!("datasets[{i}].crawl.domain_sizes");
    if let Some(reference) = all[i].pointer("/crawl/domain_sizes") {
        let (path, sizes) =
            crawl_domains::load(cx.folder.as_deref(), reference, &field, |p| sealed(cx, p))?;
        let n = sizes.len();
        let count = content::domains_to_list(n, sme);
        let unit = all[i]
            .pointer("/crawl/size_unit")
            .and_then(Json::as_str)
            .unwrap_or("size");
        let rows = crawl_domains::top(sizes, count)
            .into_iter()
            .enumerate()
            .map(|(rank, d)| vec![(rank + 1).to_string(), d.domain, d.size.to_string()])
            .collect();
        let unit_column = format!("Content ({unit})");
        return Ok(Item::new(
            &label,
            Value::table(&["Rank", "Domain", &unit_column], rows),
        )
        .from(Source::file(&path))
        .from(Source::computed(&format!(
            "{count} of the {n} domains of `{path}`, ranked by size then name: the {rule}"
        ))));
    }
    let value = match all[i]
        .pointer("/crawl/top_domains")
        .and_then(Json::as_array)
    {
        Some(list) => Value::table(
            &["Domain", "Share"],
            list.iter()
                .map(|d| {
                    vec![
                        d.get("domain").map(scalar_text).unwrap_or_default(),
                        d.get("share").map(scalar_text).unwrap_or_default(),
                    ]
                })
                .collect(),
        ),
        None => cx.missing(&format!("datasets[{i}].crawl.top_domains")),
    };
    Ok(Item::new(&label, value)
        .from(Source::field(&format!("datasets[{i}].crawl.top_domains")))
        .from(Source::computed(&format!(
            "nothing: no `{field}` file, so the declared list is shown as declared, not ranked by scelle (the Template asks the {rule})"
        ))))
}

/// The digest the release records for the file at `path`.
fn sealed(cx: &Context<'_>, path: &str) -> Option<Sha256Digest> {
    match &cx.release.statement {
        Parsed::Full(s) => s
            .predicate
            .files
            .iter()
            .find(|f| f.path().as_str() == path)
            .map(|f| f.sha256().clone()),
        Parsed::Light(s) => s
            .predicate
            .files
            .iter()
            .find(|f| f.path().as_str() == path)
            .map(|f| f.sha256().clone()),
    }
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
                .map(scalar_text)
                .unwrap_or_else(|| {
                    cx.missing(&format!(
                        "datasets[{i}].synthetic.generator_models[{j}].summary_url"
                    ));
                    "not declared".to_owned()
                });
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

fn processing(cx: &Context<'_>, tc: &TrainingContent, all: &[Json]) -> Section {
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
            let respected = match d.pointer("/tdm/opt_out_respected") {
                Some(v) => {
                    let v = scalar_text(v).replace('_', " ");
                    match d
                        .pointer("/tdm/not_applicable_reason")
                        .and_then(Json::as_str)
                    {
                        Some(r) => format!("{v} ({r})"),
                        None => v,
                    }
                }
                None => {
                    cx.missing(&format!("datasets[{i}].tdm.opt_out_respected"));
                    "not declared".to_owned()
                }
            };
            vec![
                content::label(all, i),
                respected,
                t("/tdm/by").replace('_', " "),
                t("/tdm/methods"),
            ]
        })
        .collect();
    let s31 = Section::new(
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
    );
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
    let mut s32 = Section::new(Some("3.2"), "Removal of illegal content");
    if cx.get("public_summary.illegal_content_measures").is_some() || per_dataset.is_empty() {
        s32 = s32.item(cx.field(
            "General description of the measures taken",
            "public_summary.illegal_content_measures",
        ));
    }
    if !per_dataset.is_empty() {
        s32 = s32.item(
            Item::new("Measures applied to the datasets", Value::list(per_dataset))
                .from(Source::field("datasets[].curation.illegal_content_removal")),
        );
    }
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
    let s33 = Section::new(Some("3.3"), "Other information").item(
        Item::new("Other information", Value::list(other))
            .from(Source::field("model.base_models"))
            .from(Source::field("model.first_placed_at")),
    );
    Section::new(Some("3"), "Data processing aspects")
        .section(s31)
        .section(s32)
        .section(s33)
}
