//! The size bands of Template §1.3 as a summary's wording gives them: text below 1 billion,
//! 1 billion to 10 trillion, above 10 trillion tokens; images below 1 million, 1 million to 1
//! billion, above 1 billion; audio and video below 10,000 hours, 10,000 hours to 1 million,
//! above 1 million. Common spellings are read (`1 bn-10 tn`, `between 1 billion and 10 trillion
//! tokens`, `< 1 bn tokens`, `10,000 h-1 M h`), a figure that is no threshold (`2.0 billion
//! tokens`) is not a band, and neither is a band behind an unticked box of the template (`☐`,
//! `[ ]`). The thresholds are the Template's wording, not a judgement: the packs decide which
//! band the datasets fall in.

use crate::training_content::Modality;

/// A word of the band wording, or a number, sign or check box.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Word(String),
    Sym(char),
    /// A check box: ticked or not.
    Box(bool),
}

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

    /// The Template §1.3 thresholds (lower, upper) of the modality measured in this unit, as
    /// the bands are computed from the datasets' sizes.
    fn thresholds(self) -> (f64, f64) {
        let modality = match self {
            Unit::Tokens => Modality::Text,
            Unit::Images => Modality::Image,
            Unit::Hours => Modality::Audio,
        };
        modality.edges().unwrap_or((0.0, 0.0))
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
pub(super) fn bands(text: &str) -> Vec<(&'static str, &'static str)> {
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
    use serde_json::{Value, json};

    use super::*;

    const MODALITIES: [&str; 4] = ["text", "image", "audio", "video"];

    /// The bands by modality, as the record lists them.
    fn bands_of(text: &str) -> Value {
        let found = bands(text);
        MODALITIES
            .iter()
            .map(|m| {
                let mut got: Vec<&str> = found
                    .iter()
                    .filter(|(modality, _)| modality == m)
                    .map(|(_, band)| *band)
                    .collect();
                got.sort_unstable();
                got.dedup();
                ((*m).to_owned(), json!(got))
            })
            .collect::<serde_json::Map<_, _>>()
            .into()
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
}
