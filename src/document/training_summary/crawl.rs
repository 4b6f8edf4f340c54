//! Template §2.3, data crawled by the provider or on its behalf: the crawlers, their purposes,
//! behaviour and period, what they collected, and the most relevant domain names, ranked from a
//! crawl's domain size file (`crawl.domain_sizes`) and cut at the Template's share, or, without
//! that file, the declared list as declared.

use serde_json::Value as Json;

use super::super::{Context, Item, Section, Source, Value, scalar_text};
use super::{modalities_item, used, yes_no};
use crate::crawl_domains::{self, DomainSizesError};
use crate::manifest::Record as _;
use crate::manifest::descriptor::has_scheme;
use crate::release::Parsed;
use crate::training_content::{self as content, TrainingContent};
use crate::vocab::Sha256Digest;

pub(super) fn crawled(
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
        &[
            "datasets[].crawl.respects_robots",
            "datasets[].crawl.lawful_access",
            "datasets[].crawl.behaviour",
        ],
        &|i, d| behaviour(cx, all, i, d),
    ));
    s = s.item(per_crawl(
        "Period of data collection",
        &["datasets[].collection_period"],
        &|i, d| {
            let start = content::date(d.pointer("/collection_period/start"));
            let end = content::date(d.pointer("/collection_period/end"));
            if let (Some(a), Some(b)) = (start, end) {
                Some(format!("{}: {a} to {b}", crawler_name(all, i)))
            } else {
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
        &|i, d| content_and_sources(cx, all, i, d),
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
    let reference = all[i].pointer("/crawl/domain_sizes");
    // A list published elsewhere (the Template allows a downloadable file) cannot be read
    // offline: the declared list stands in for it, and the source says so.
    let external = reference
        .and_then(|r| r.get("uri"))
        .and_then(Json::as_str)
        .filter(|u| has_scheme(u));
    if let (Some(reference), None) = (reference, external) {
        let (path, sizes) =
            // A document that reads a sealed file reads it where the release's files are, checked
            // against its digest.
            crawl_domains::load(cx.release.folder.as_deref(), reference, &field, |p| sealed(cx, p))?;
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
    let why = match external {
        Some(url) => format!("`{field}` is published at {url}, which scelle does not fetch"),
        None => format!("no `{field}` file"),
    };
    Ok(Item::new(&label, value)
        .from(Source::field(&format!("datasets[{i}].crawl.top_domains")))
        .from(Source::computed(&format!(
            "the declared list only ({why}): shown as declared, not ranked by scelle; the Template asks the {rule}"
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
            .map(|f| *f.sha256()),
        Parsed::Light(s) => s
            .predicate
            .files
            .iter()
            .find(|f| f.path().as_str() == path)
            .map(|f| *f.sha256()),
    }
}

/// A crawler's behaviour: robots.txt, paywalls, logins and CAPTCHAs, and what it declares.
fn behaviour(cx: &Context<'_>, all: &[Json], i: usize, d: &Json) -> Option<String> {
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
    if let Some(b) = d.pointer("/crawl/behaviour").and_then(Json::as_str) {
        parts.push(b.to_owned());
    }
    (!parts.is_empty()).then(|| format!("{}: {}", crawler_name(all, i), parts.join("; ")))
}

/// What a crawl collected and which sources it excluded.
fn content_and_sources(cx: &Context<'_>, all: &[Json], i: usize, d: &Json) -> Option<String> {
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
}
