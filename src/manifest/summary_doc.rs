//! The public summary of training content as shipped in the release (`public_summary.uri`): what
//! its text names, read at scan time so that `check` can compare the document itself with the
//! declared datasets wherever the manifest goes (`predicate.public_summary`, rule
//! `AIA-53-1-d-04`). The declared `public_summary.*` fields are what the publisher says the
//! summary says; this is what the sealed document does say.
//!
//! Only what can be read without guessing is recorded: which of the declaration's own names
//! (dataset ids and names, crawler names, synthetic-data generators, base models) appear in the
//! text, the ISO dates it holds, and the Template §1.3 size band wording it uses per modality.
//! The record is small (names the declaration already holds, at most [`MAX_DATES`] dates) and
//! depends only on the text and the declaration, so two scans give the same bytes. A summary
//! written by `scelle report --kind training-summary --format json` is read through its strings.

use std::collections::{BTreeSet, HashSet};

use serde_json::{Value, json};

use crate::input::Kind;

/// The most bytes of a summary scelle reads: the Template's summary is a few pages of text.
pub const SUMMARY: Kind = Kind {
    what: "public summary",
    max: 1 << 20,
};

/// Distinct dates kept per summary (the earliest ones: a summary stuffed with dates to hide a
/// missing one loses the latest, and the comparison fails rather than passes).
pub const MAX_DATES: usize = 256;

/// Names longer than this are not looked for (no dataset name is a paragraph).
const MAX_NAME: usize = 200;

/// The modalities of Template §1.3, in the order the record lists them.
pub const MODALITIES: [&str; 4] = ["text", "image", "audio", "video"];

/// What a summary says, as recorded in the manifest: `path` (its place in the release),
/// `format` (`json` for a JSON document, else `text`), the declared `datasets` (by `id`, else
/// `name`), `crawlers`, `generators` and `base_models` its text names, its ISO `dates` (sorted,
/// distinct, at most [`MAX_DATES`], with their number in `dates_total`) and the size `bands`
/// (`low`, `mid`, `high`) its wording gives per modality.
pub fn facts(path: &str, text: &str, declared: &Value) -> Value {
    let (format, body) = match serde_json::from_str::<Value>(text) {
        Ok(doc @ Value::Object(_)) => {
            let mut out = String::new();
            strings_of(&doc, &mut out);
            ("json", out)
        }
        _ => ("text", text.to_owned()),
    };
    let candidates = Candidates::of(declared);
    let names = Names::new(
        &normalise(&body),
        [
            &candidates.datasets,
            &candidates.crawlers,
            &candidates.generators,
            &candidates.base_models,
        ]
        .into_iter()
        .flatten()
        .flat_map(|(_, spellings)| spellings.iter().map(String::as_str)),
    );
    let keys_named = |list: &[(String, Vec<String>)]| -> Vec<String> {
        let found: BTreeSet<&str> = list
            .iter()
            .filter(|(_, spellings)| spellings.iter().any(|s| names.contains(s)))
            .map(|(key, _)| key.as_str())
            .collect();
        found.into_iter().map(str::to_owned).collect()
    };
    let dates = dates(&body);
    let bands = super::size_band::bands(&body);
    json!({
        "path": path,
        "format": format,
        "datasets": keys_named(&candidates.datasets),
        "crawlers": keys_named(&candidates.crawlers),
        "generators": keys_named(&candidates.generators),
        "base_models": keys_named(&candidates.base_models),
        "dates_total": dates.len(),
        "dates": dates.iter().take(MAX_DATES).collect::<Vec<_>>(),
        "bands": MODALITIES
            .iter()
            .map(|m| {
                let found: Vec<&str> = bands
                    .iter()
                    .filter(|(modality, _)| modality == m)
                    .map(|(_, band)| *band)
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                ((*m).to_owned(), json!(found))
            })
            .collect::<serde_json::Map<_, _>>(),
    })
}

/// Every string of a JSON document, one per line, in document order.
fn strings_of(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push_str(s);
            out.push('\n');
        }
        Value::Array(items) => items.iter().for_each(|i| strings_of(i, out)),
        Value::Object(map) => map.values().for_each(|i| strings_of(i, out)),
        _ => {}
    }
}

/// Lower case, with every run of white space one space: a name wrapped over two lines of
/// Markdown is still the name.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for word in text.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

/// A byte that continues a name: a name must not be found inside a longer one (`exemple-8b` in
/// `exemple-8b-instruct`, `c4` in `mc4`). Non-ASCII bytes continue words of other scripts.
fn continues(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b >= 0x80
}

/// The candidate names a text holds. The names are a trie walked from each place a name can
/// start, so the cost is the text's length times the longest partial match (at most
/// [`MAX_NAME`] bytes), however many names the declaration has.
struct Names {
    found: HashSet<String>,
}

/// A node of the trie: its children by byte, sorted, and whether a name ends here.
#[derive(Default)]
struct Node {
    next: Vec<(u8, usize)>,
    end: bool,
}

impl Names {
    fn new<'a>(text: &str, candidates: impl Iterator<Item = &'a str>) -> Self {
        let mut trie = vec![Node::default()];
        for name in candidates.filter(|c| !c.is_empty() && c.len() <= MAX_NAME) {
            let mut at = 0;
            for &b in name.as_bytes() {
                at = match trie[at].next.binary_search_by_key(&b, |(k, _)| *k) {
                    Ok(i) => trie[at].next[i].1,
                    Err(i) => {
                        trie.push(Node::default());
                        let child = trie.len() - 1;
                        trie[at].next.insert(i, (b, child));
                        child
                    }
                };
            }
            trie[at].end = true;
        }
        let text = text.as_bytes();
        let mut found = HashSet::new();
        for start in 0..text.len() {
            // Inside a word no name starts, and no name starts with a space.
            if text[start] == b' '
                || (start > 0 && continues(text[start - 1]) && continues(text[start]))
            {
                continue;
            }
            let mut node = 0;
            for (end, &b) in text.iter().enumerate().skip(start) {
                let Ok(i) = trie[node].next.binary_search_by_key(&b, |(k, _)| *k) else {
                    break;
                };
                node = trie[node].next[i].1;
                if trie[node].end
                    && (end + 1 == text.len() || !continues(text[end + 1]) || !continues(b))
                {
                    found.insert(String::from_utf8_lossy(&text[start..=end]).into_owned());
                }
            }
        }
        Self { found }
    }

    fn contains(&self, name: &str) -> bool {
        self.found.contains(name)
    }
}

/// The declaration's names, each under the key the record uses and with its spellings.
struct Candidates {
    datasets: Vec<(String, Vec<String>)>,
    crawlers: Vec<(String, Vec<String>)>,
    generators: Vec<(String, Vec<String>)>,
    base_models: Vec<(String, Vec<String>)>,
}

/// Dataset roles that are not training: the summary is about training content.
const NOT_TRAINING: [&str; 3] = ["validation", "test", "eval"];

impl Candidates {
    fn of(declared: &Value) -> Self {
        let list = |v: Option<&Value>| -> Vec<Value> {
            v.and_then(Value::as_array).cloned().unwrap_or_default()
        };
        let str_at = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_owned);
        let training: Vec<Value> = list(declared.get("datasets"))
            .into_iter()
            .filter(|d| str_at(d, "/role").is_none_or(|r| !NOT_TRAINING.contains(&r.as_str())))
            .collect();
        let mut seen = HashSet::new();
        let mut datasets = Vec::new();
        for d in &training {
            let Some(key) = dataset_key(d) else { continue };
            if !seen.insert(key.clone()) {
                continue;
            }
            let mut spellings: Vec<String> = ["/id", "/name"]
                .iter()
                .filter_map(|p| str_at(d, p))
                .collect();
            if let Some(url) = str_at(d, "/source_url") {
                spellings.push(url_spelling(&url));
            }
            datasets.push((key, spellings));
        }
        let plain = |names: Vec<String>| -> Vec<(String, Vec<String>)> {
            names
                .into_iter()
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .collect::<BTreeSet<_>>()
                .into_iter()
                .map(|n| (n.clone(), vec![n]))
                .collect()
        };
        let crawlers = plain(
            training
                .iter()
                .filter_map(|d| str_at(d, "/crawl/crawler_name"))
                .collect(),
        );
        let generators = plain(
            training
                .iter()
                .flat_map(|d| list(d.pointer("/synthetic/generator_models")))
                .filter_map(|g| str_at(&g, "/name"))
                .collect(),
        );
        let base_models = plain(
            list(declared.pointer("/model/base_models"))
                .iter()
                .filter_map(|b| str_at(b, "/name"))
                .collect(),
        );
        let normalised = |mut v: Vec<(String, Vec<String>)>| {
            for (_, spellings) in &mut v {
                for s in spellings.iter_mut() {
                    *s = normalise(s);
                }
            }
            v
        };
        Self {
            datasets: normalised(datasets),
            crawlers: normalised(crawlers),
            generators: normalised(generators),
            base_models: normalised(base_models),
        }
    }
}

/// How the record and the rules refer to a dataset: its `id`, else its `name`.
pub fn dataset_key(d: &Value) -> Option<String> {
    ["/id", "/name"]
        .iter()
        .find_map(|p| d.pointer(p).and_then(Value::as_str))
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_owned)
}

/// A URL as a summary may write it: without its scheme and trailing `/`.
fn url_spelling(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.trim_end_matches('/').to_owned()
}

/// The distinct ISO dates (`YYYY-MM-DD`, a real month and day) in `text`, sorted.
fn dates(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out = BTreeSet::new();
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let mut i = 0;
    while i + 10 <= b.len() {
        let shape = (0..10).all(|k| match k {
            4 | 7 => b[i + k] == b'-',
            _ => b[i + k].is_ascii_digit(),
        });
        if shape && !(i > 0 && digit(i - 1)) && !digit(i + 10) {
            let month = u32::from(b[i + 5] - b'0') * 10 + u32::from(b[i + 6] - b'0');
            let day = u32::from(b[i + 8] - b'0') * 10 + u32::from(b[i + 9] - b'0');
            if (1..=12).contains(&month) && (1..=31).contains(&day) {
                // The ten bytes are ASCII, so they are a string slice.
                out.insert(text[i..i + 10].to_owned());
                i += 10;
                continue;
            }
        }
        i += 1;
    }
    out.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_declarations_names_are_recorded_and_only_whole() {
        let declared = json!({
            "model": {"base_models": [{"name": "org/base-8b"}, {"name": "org/other"}]},
            "datasets": [
                {"id": "wiki-fr", "name": "French Wikipedia", "source_type": "public_dataset",
                 "source_url": "https://dumps.wikimedia.org/frwiki/"},
                {"id": "c4", "source_type": "public_dataset"},
                {"id": "crawl", "source_type": "crawled_by_provider", "crawl": {"crawler_name": "PetitBot"}},
                {"id": "syn", "source_type": "synthetic", "synthetic": {"generator_models": [{"name": "org/base-8b"}]}},
                {"id": "held-out", "role": "eval"}
            ]
        });
        let text = "Trained on french\nwikipedia and mc4; `PetitBot` crawled.\nDistilled from org/base-8b-instruct.\nheld-out questions; see dumps.wikimedia.org/frwiki.";
        let f = facts("docs/s.md", text, &declared);
        assert_eq!(
            f["datasets"],
            json!(["wiki-fr"]),
            "c4 is not mc4; eval sets are not training data"
        );
        assert_eq!(f["crawlers"], json!(["PetitBot"]));
        assert_eq!(
            f["generators"],
            json!([]),
            "org/base-8b is not org/base-8b-instruct"
        );
        assert_eq!(f["base_models"], json!([]));
        assert_eq!(f["format"], "text");
        assert_eq!(f["path"], "docs/s.md");
        let f = facts(
            "s.md",
            "source: https://dumps.wikimedia.org/frwiki/ (org/base-8b)",
            &declared,
        );
        assert_eq!(f["datasets"], json!(["wiki-fr"]));
        assert_eq!(f["base_models"], json!(["org/base-8b"]));
        assert_eq!(f["generators"], json!(["org/base-8b"]));
    }

    #[test]
    fn names_sharing_a_prefix_are_each_found_only_whole() {
        let names = |text: &str| {
            let n = Names::new(text, ["org/a", "org/a-b", "org/a-b-c", "b"].into_iter());
            ["org/a", "org/a-b", "org/a-b-c", "b"].map(|c| n.contains(c))
        };
        assert_eq!(names("org/a-b"), [false, true, false, false]);
        assert_eq!(names("org/a, org/a-b-c."), [true, false, true, false]);
        assert_eq!(names("(b)"), [false, false, false, true]);
        assert_eq!(names("bb org/a-bc"), [false; 4]);
    }

    #[test]
    fn dates_are_real_iso_days_sorted_and_distinct() {
        let f = facts(
            "s.md",
            "2026-06-30, 2025-09-20 and 2026-06-30; not 2026-13-01, 12026-01-01 or 2026-01-011; 2026-10-15T00:00:00Z",
            &json!({}),
        );
        assert_eq!(
            f["dates"],
            json!(["2025-09-20", "2026-06-30", "2026-10-15"])
        );
        assert_eq!(f["dates_total"], 3);
        let many: String = (1..=12)
            .flat_map(|m| (1..=28).map(move |d| format!("2026-{m:02}-{d:02} ")))
            .collect();
        let f = facts("s.md", &many, &json!({}));
        assert_eq!(f["dates_total"], 12 * 28);
        assert_eq!(f["dates"].as_array().unwrap().len(), MAX_DATES);
        assert_eq!(f["dates"][0], "2026-01-01", "the earliest are kept");
    }

    #[test]
    fn a_json_summary_is_read_through_its_strings() {
        let declared = json!({"datasets": [{"id": "wiki-fr", "source_type": "public_dataset"}]});
        let doc = json!({
            "kind": "training-summary",
            "sections": [{"title": "1.3 Size", "items": [{"label": "Text", "value": "1 billion to 10 trillion tokens"}]},
                         {"title": "2.1", "items": [{"value": "wiki-fr, acquired 2025-09-20"}]}]
        });
        let f = facts("s.json", &doc.to_string(), &declared);
        assert_eq!(f["format"], "json");
        assert_eq!(f["datasets"], json!(["wiki-fr"]));
        assert_eq!(f["dates"], json!(["2025-09-20"]));
        assert_eq!(f["bands"]["text"], json!(["mid"]));
    }

    #[test]
    fn any_text_gives_a_record_without_panicking() {
        for text in [
            "",
            "[",
            "[x",
            "1,",
            "1.",
            "< ",
            "between 1",
            "1 bn -",
            "é1 bn–",
            "\u{0}\u{ffff}",
            "{\"a\": [1, {\"b\": \"10 000\"}]}",
        ] {
            let f = facts(
                "s",
                text,
                &json!({"datasets": [{"id": ""}], "model": {"base_models": [{"name": " "}]}}),
            );
            assert!(f.is_object(), "{text}");
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig {
            cases: 512,
            failure_persistence: None,
            ..proptest::prelude::ProptestConfig::default()
        })]

        #[test]
        fn no_text_panics(text in "[0-9a-z <>,.\\-–☐☒\\[\\]x{}\"/é\n]{0,200}") {
            let declared = json!({
                "model": {"base_models": [{"name": "a/b"}]},
                "datasets": [{"id": "a", "name": "a b", "source_type": "public_dataset"},
                             {"id": "c", "source_type": "crawled_by_provider", "crawl": {"crawler_name": "bn"}}]
            });
            let f = facts("s.md", &text, &declared);
            proptest::prop_assert!(f["dates"].as_array().is_some_and(|d| d.len() <= MAX_DATES));
        }
    }
}
