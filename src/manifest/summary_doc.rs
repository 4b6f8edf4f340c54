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
    let bands = bands(&body);
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

/// The candidate names a text holds. Each candidate length is tried at each word start, so the
/// cost is bounded by the text's length times the number of distinct lengths (at most
/// [`MAX_NAME`]), however many names the declaration has.
struct Names {
    found: HashSet<String>,
}

impl Names {
    fn new<'a>(text: &str, candidates: impl Iterator<Item = &'a str>) -> Self {
        let wanted: HashSet<&[u8]> = candidates
            .map(str::as_bytes)
            .filter(|c| !c.is_empty() && c.len() <= MAX_NAME)
            .collect();
        let lengths: BTreeSet<usize> = wanted.iter().map(|c| c.len()).collect();
        let text = text.as_bytes();
        let mut found = HashSet::new();
        for at in 0..text.len() {
            // Inside a word: no name starts here.
            if at > 0 && continues(text[at - 1]) && continues(text[at]) {
                continue;
            }
            for &len in &lengths {
                let end = at + len;
                let Some(slice) = text.get(at..end) else {
                    break;
                };
                if wanted.contains(slice)
                    && (end == text.len() || !continues(text[end]) || !continues(slice[len - 1]))
                {
                    found.insert(String::from_utf8_lossy(slice).into_owned());
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

/// A word of the band wording, or a number, sign or check box.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Word(String),
    Sym(char),
    /// A check box: ticked or not.
    Box(bool),
}

/// The Template §1.3 thresholds per kind of unit: (lower, upper).
const TOKENS: (f64, f64) = (1e9, 1e13);
const IMAGES: (f64, f64) = (1e6, 1e9);
const HOURS: (f64, f64) = (1e4, 1e6);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Tokens,
    Images,
    Hours,
}

impl Unit {
    fn of(word: &str) -> Option<Unit> {
        Some(match word {
            "token" | "tokens" => Unit::Tokens,
            "image" | "images" | "picture" | "pictures" => Unit::Images,
            "h" | "hr" | "hrs" | "hour" | "hours" => Unit::Hours,
            _ => return None,
        })
    }

    fn thresholds(self) -> (f64, f64) {
        match self {
            Unit::Tokens => TOKENS,
            Unit::Images => IMAGES,
            Unit::Hours => HOURS,
        }
    }
}

/// What a magnitude word multiplies by (short scale, and the French `md`/`mrd`).
fn magnitude(word: &str) -> Option<f64> {
    Some(match word {
        "k" | "thousand" => 1e3,
        "m" | "mn" | "mio" | "million" | "millions" => 1e6,
        "b" | "bn" | "bln" | "billion" | "billions" | "md" | "mrd" | "milliard" | "milliards" => {
            1e9
        }
        "t" | "tn" | "trillion" | "trillions" => 1e12,
        _ => return None,
    })
}

fn tokens(line: &str) -> Vec<Tok> {
    let chars: Vec<char> = line.chars().flat_map(char::to_lowercase).collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            let mut digits = String::new();
            while i < chars.len() {
                let c = chars[i];
                if c.is_ascii_digit() {
                    digits.push(c);
                    i += 1;
                } else if matches!(c, ',' | ' ' | '\u{a0}' | '\u{202f}' | '\'')
                    && chars
                        .get(i + 1..i + 4)
                        .is_some_and(|n| n.iter().all(char::is_ascii_digit))
                    && !chars.get(i + 4).is_some_and(char::is_ascii_digit)
                {
                    // A thousands separator: `10,000`, `10 000`.
                    i += 1;
                } else if c == '.'
                    && chars.get(i + 1).is_some_and(char::is_ascii_digit)
                    && !digits.contains('.')
                {
                    digits.push('.');
                    i += 1;
                } else {
                    break;
                }
            }
            if let Ok(n) = digits.parse::<f64>() {
                out.push(Tok::Num(n));
            }
        } else if c.is_alphabetic() {
            let start = i;
            while i < chars.len() && chars[i].is_alphabetic() {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            // `1Mh`: a million hours.
            if word == "mh" {
                out.push(Tok::Word("m".into()));
                out.push(Tok::Word("h".into()));
            } else {
                out.push(Tok::Word(word));
            }
        } else {
            match c {
                '<' | '>' | '≤' | '≥' | '-' | '–' | '—' | '‐' | '‑' => {
                    out.push(Tok::Sym(c));
                }
                '☐' | '□' => out.push(Tok::Box(false)),
                '☒' | '☑' | '✓' | '✔' | '■' => out.push(Tok::Box(true)),
                '[' if chars.get(i + 2) == Some(&']') => match chars.get(i + 1) {
                    Some(' ') => {
                        out.push(Tok::Box(false));
                        i += 2;
                    }
                    Some('x') => {
                        out.push(Tok::Box(true));
                        i += 2;
                    }
                    _ => {}
                },
                _ => {}
            }
            i += 1;
        }
    }
    out
}

/// A quantity at `i` (`10`, `1 bn`, `10,000`), its value and the index after it.
fn quantity(toks: &[Tok], i: usize) -> Option<(f64, usize)> {
    let Tok::Num(n) = toks.get(i)? else {
        return None;
    };
    match toks.get(i + 1) {
        Some(Tok::Word(w)) => match magnitude(w) {
            Some(m) => Some((n * m, i + 2)),
            None => Some((*n, i + 1)),
        },
        _ => Some((*n, i + 1)),
    }
}

/// The unit at `i`, if any, and the index after it.
fn unit(toks: &[Tok], i: usize) -> (Option<Unit>, usize) {
    match toks.get(i) {
        Some(Tok::Word(w)) => match Unit::of(w) {
            Some(u) => (Some(u), i + 1),
            None => (None, i),
        },
        _ => (None, i),
    }
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= b * 1e-9
}

/// The unit whose thresholds these are, agreeing with a written unit if there is one.
fn which(written: Option<Unit>, test: impl Fn((f64, f64)) -> bool) -> Option<Unit> {
    let found = [Unit::Tokens, Unit::Images, Unit::Hours]
        .into_iter()
        .find(|u| test(u.thresholds()))?;
    written.is_none_or(|w| w == found).then_some(found)
}

/// A comparison word or sign at `i` (`<`, `less than`, `more than`...): whether it says "below"
/// (`Some(true)`) or "above", and the index after it.
fn comparison(toks: &[Tok], i: usize) -> Option<(bool, usize)> {
    let word = |k: usize| match toks.get(k) {
        Some(Tok::Word(w)) => Some(w.as_str()),
        _ => None,
    };
    match toks.get(i)? {
        Tok::Sym('<' | '≤') => Some((true, i + 1)),
        Tok::Sym('>' | '≥') => Some((false, i + 1)),
        Tok::Word(w) => match (w.as_str(), word(i + 1)) {
            ("less" | "fewer", Some("than")) | ("up", Some("to")) => Some((true, i + 2)),
            ("below" | "under", _) => Some((true, i + 1)),
            ("more" | "greater", Some("than")) => Some((false, i + 2)),
            ("above" | "over" | "beyond" | "exceeding", _) => Some((false, i + 1)),
            _ => None,
        },
        _ => None,
    }
}

/// The bands a line's wording gives, by unit.
fn line_bands(toks: &[Tok]) -> Vec<(Unit, &'static str)> {
    let mut out = Vec::new();
    let mut ticked = true;
    let mut i = 0;
    while i < toks.len() {
        if let Tok::Box(t) = toks[i] {
            ticked = t;
            i += 1;
            continue;
        }
        // "not more than", "no less than" are no band.
        let negated = i > 0 && matches!(&toks[i - 1], Tok::Word(w) if w == "not" || w == "no");
        if let Some((below, next)) = comparison(toks, i)
            && let Some((q, after)) = quantity(toks, next)
        {
            let (written, end) = unit(toks, after);
            let found = if below {
                which(written, |(low, _)| same(q, low)).map(|u| (u, "low"))
            } else {
                which(written, |(_, high)| same(q, high)).map(|u| (u, "high"))
            };
            if let Some(band) = found.filter(|_| ticked && !negated) {
                out.push(band);
            }
            i = end.max(i + 1);
            continue;
        }
        // A range: `1 billion to 10 trillion tokens`, `between 1 bn and 10 tn`, `10,000 h-1 M h`.
        if let Some((q1, after)) = quantity(toks, i) {
            let (u1, at) = unit(toks, after);
            let between = i > 0 && matches!(&toks[i - 1], Tok::Word(w) if w == "between");
            let joined = match toks.get(at) {
                Some(Tok::Sym('-' | '–' | '—' | '‐' | '‑')) => true,
                Some(Tok::Word(w)) => w == "to" || (w == "and" && between),
                _ => false,
            };
            if joined && let Some((q2, after2)) = quantity(toks, at + 1) {
                let (u2, end) = unit(toks, after2);
                let units_agree = !matches!((u1, u2), (Some(a), Some(b)) if a != b);
                if units_agree
                    && let Some(u) = which(u1.or(u2), |(low, high)| same(q1, low) && same(q2, high))
                {
                    if ticked {
                        out.push((u, "mid"));
                    }
                    i = end;
                    continue;
                }
            }
        }
        i += 1;
    }
    out
}

/// Which of audio and video a line is about: one of them named alone, else both or neither.
fn media_of(line: &str) -> Option<Vec<&'static str>> {
    let lower = line.to_lowercase();
    let audio = ["audio", "speech", "sound"]
        .iter()
        .any(|w| lower.contains(w));
    let video = lower.contains("video");
    match (audio, video) {
        (true, true) => Some(vec!["audio", "video"]),
        (true, false) => Some(vec!["audio"]),
        (false, true) => Some(vec!["video"]),
        (false, false) => None,
    }
}

/// The bands the text's wording gives, by modality. Hours are audio or video as the line says,
/// else as the last line that named one of them (a heading, a table's first column).
fn bands(text: &str) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    let mut media: Option<Vec<&'static str>> = None;
    for line in text.lines() {
        if let Some(m) = media_of(line) {
            media = Some(m);
        }
        for (unit, band) in line_bands(&tokens(line)) {
            match unit {
                Unit::Tokens => out.push(("text", band)),
                Unit::Images => out.push(("image", band)),
                Unit::Hours => {
                    for m in media.iter().flatten() {
                        out.push((*m, band));
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bands_of(text: &str) -> Value {
        facts("s.md", text, &json!({}))["bands"].clone()
    }

    #[test]
    fn the_template_bands_are_read_in_their_common_spellings() {
        for (text, modality, band) in [
            ("band: 1 billion to 10 trillion tokens", "text", "mid"),
            ("between 1 bn and 10 tn tokens", "text", "mid"),
            ("1 billion–10 trillion tokens", "text", "mid"),
            ("Text: less than 1 billion tokens", "text", "low"),
            ("< 1 bn tokens", "text", "low"),
            ("more than 10 trillion tokens", "text", "high"),
            ("> 10tn", "text", "high"),
            ("Images: 1 M-1 bn images", "image", "mid"),
            ("fewer than 1 million images", "image", "low"),
            ("over 1 billion images", "image", "high"),
            ("Audio: 10,000 h-1 M h", "audio", "mid"),
            ("Video: more than 1 million hours", "video", "high"),
            ("Video: < 10 000 hours", "video", "low"),
        ] {
            let got = bands_of(text);
            assert_eq!(got[modality], json!([band]), "{text}: {got}");
            let others: usize = MODALITIES
                .iter()
                .filter(|m| **m != modality)
                .map(|m| got[*m].as_array().unwrap().len())
                .sum();
            assert_eq!(others, 0, "{text}: {got}");
        }
    }

    #[test]
    fn wording_that_is_no_band_is_not_read_as_one() {
        for text in [
            "2.0 billion tokens",
            "1 billion to 9 trillion tokens",
            "1 billion to 10 trillion images",
            "not more than 10 trillion tokens",
            "☐ Less than 1 billion tokens",
            "[ ] 1 billion to 10 trillion tokens",
            "10,000 h-1 M h",
            "dates 2025-10-01 to 2026-10-15",
        ] {
            let got = bands_of(text);
            assert!(
                MODALITIES.iter().all(|m| got[*m] == json!([])),
                "{text}: {got}"
            );
        }
        // A ticked box among unticked ones is the band.
        let got = bands_of(
            "☐ Less than 1 billion tokens ☒ 1 billion to 10 trillion tokens ☐ More than 10 trillion tokens",
        );
        assert_eq!(got["text"], json!(["mid"]));
    }

    #[test]
    fn hours_take_their_modality_from_the_line_or_the_heading_above() {
        let got = bands_of(
            "## Audio\n- size band: 10,000 hours to 1 million hours\n## Video\n- band: < 10,000 h\n",
        );
        assert_eq!(got["audio"], json!(["mid"]));
        assert_eq!(got["video"], json!(["low"]));
    }

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
}
