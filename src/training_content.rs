//! The training content as the Template of 24 July 2025 counts it (AI Act Art. 53(1)(d)): the
//! declared datasets that trained the model (validation, test and evaluation sets left out),
//! grouped by the Template's modalities, with the figures the public summary must give and that
//! scelle computes rather than copies: the size band of each modality (§1.3), the latest date of
//! acquisition (§1.3), the "large" publicly available datasets by the 3 % rule (§2.1) and how
//! many crawled domain names the summary lists (§2.3).
//!
//! The thresholds are the Explanatory Notice's (C(2025) 8311): a band's upper edge belongs to it
//! ("1 billion to 10 trillion tokens" includes both ends, as the `ai-act-gpai` pack reads them),
//! a dataset is large only when its share is strictly above 3 %, and a domain count is rounded
//! up so that the list always reaches the share the Template names.

use serde_json::Value;

/// Dataset roles that are not training: they are not training content.
pub const NOT_TRAINING: [&str; 3] = ["validation", "test", "eval"];

/// A dataset is large when its share of a modality's public data exceeds this, in percent.
pub const LARGE_PERCENT: f64 = 3.0;

/// The share of crawled domain names the summary lists, in percent (Template §2.3).
pub const DOMAIN_PERCENT: usize = 10;
/// The same share for an SME applying the SME rule, and its cap (Template §2.3, fn 16).
pub const DOMAIN_PERCENT_SME: usize = 5;
pub const DOMAIN_CAP_SME: usize = 1000;

/// The modalities of Template §1.3, in its order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Modality {
    Text,
    Image,
    Audio,
    Video,
    Other,
}

impl Modality {
    pub const ALL: [Modality; 5] = [
        Modality::Text,
        Modality::Image,
        Modality::Audio,
        Modality::Video,
        Modality::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Modality::Text => "text",
            Modality::Image => "image",
            Modality::Audio => "audio",
            Modality::Video => "video",
            Modality::Other => "other",
        }
    }

    /// The declared size field the Template's unit is read from (none for "other").
    pub fn size_field(self) -> Option<&'static str> {
        match self {
            Modality::Text => Some("tokens"),
            Modality::Image => Some("images"),
            Modality::Audio => Some("audio_hours"),
            Modality::Video => Some("video_hours"),
            Modality::Other => None,
        }
    }

    /// The band edges: below `low` is the low band, up to `high` included the middle one.
    /// The Template §1.3 thresholds of the modality's bands (lower, upper), in its unit.
    pub fn edges(self) -> Option<(f64, f64)> {
        match self {
            Modality::Text => Some((1e9, 1e13)),
            Modality::Image => Some((1e6, 1e9)),
            Modality::Audio | Modality::Video => Some((1e4, 1e6)),
            Modality::Other => None,
        }
    }

    /// Whether a declared dataset holds this modality. Text is read from text and code datasets
    /// and from tokens of datasets with no declared modality (as `derived.training_data` counts
    /// them); images, audio and video from the modality or from a size in their unit.
    fn holds(self, dataset: &Value) -> bool {
        let modality = dataset.get("modality").and_then(Value::as_str);
        match self {
            Modality::Text => {
                matches!(modality, Some("text" | "code"))
                    || (modality.is_none() && self.size_of(dataset).is_some())
            }
            Modality::Other => modality == Some("other"),
            m => modality == Some(m.as_str()) || m.size_of(dataset).is_some(),
        }
    }

    /// The dataset's size in this modality's unit, when declared (a negative or non-numeric
    /// value is no size).
    pub fn size_of(self, dataset: &Value) -> Option<f64> {
        let field = self.size_field()?;
        if self == Modality::Text {
            let modality = dataset.get("modality").and_then(Value::as_str);
            if !matches!(modality, None | Some("text" | "code")) {
                return None;
            }
        }
        dataset
            .get("size")
            .and_then(|s| s.get(field))
            .and_then(Value::as_f64)
            .filter(|v| v.is_finite() && *v >= 0.0)
    }
}

/// A size band of Template §1.3.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Band {
    Low,
    Mid,
    High,
}

impl Band {
    /// The value of `public_summary.size_bands.*` and of the pack's `band_*` variables.
    pub fn as_str(self) -> &'static str {
        match self {
            Band::Low => "low",
            Band::Mid => "mid",
            Band::High => "high",
        }
    }

    /// The band in the Template's words.
    pub fn wording(self, modality: Modality) -> &'static str {
        match (modality, self) {
            (Modality::Text, Band::Low) => "Less than 1 billion tokens",
            (Modality::Text, Band::Mid) => "1 billion to 10 trillion tokens",
            (Modality::Text, Band::High) => "More than 10 trillion tokens",
            (Modality::Image, Band::Low) => "Less than 1 million images",
            (Modality::Image, Band::Mid) => "1 million to 1 billion images",
            (Modality::Image, Band::High) => "More than 1 billion images",
            (_, Band::Low) => "Less than 10,000 hours",
            (_, Band::Mid) => "10,000 to 1 million hours",
            (_, Band::High) => "More than 1 million hours",
        }
    }
}

/// The band of `size` units of `modality` (none for "other", which has no band).
pub fn band(modality: Modality, size: f64) -> Option<Band> {
    let (low, high) = modality.edges()?;
    Some(if size < low {
        Band::Low
    } else if size <= high {
        Band::Mid
    } else {
        Band::High
    })
}

/// Whether a dataset of `size` is large among public datasets totalling `total` in one
/// modality: strictly more than 3 %. Compared as `size * 100 > total * 3`, so that exactly 3 %
/// is not large whatever the rounding of a division would give.
pub fn is_large(size: f64, total: f64) -> bool {
    total > 0.0 && size * 100.0 > total * LARGE_PERCENT
}

/// How many of `n` crawled domain names the summary lists: the top 10 %, or for an SME that
/// applies the SME rule the top 5 % or 1,000, whichever is lower. Rounded up, so the list is
/// never shorter than the share (the `ai-act-gpai` rule AIA-53-1-d-03 asks `>= share * n`).
pub fn domains_to_list(n: usize, sme: bool) -> usize {
    if sme {
        (n.div_ceil(100 / DOMAIN_PERCENT_SME)).min(DOMAIN_CAP_SME)
    } else {
        n.div_ceil(100 / DOMAIN_PERCENT)
    }
}

/// Whether the SME rule applies: declared as applied by a micro, small or medium enterprise
/// (a small mid-cap is not an SME).
pub fn sme_rule(declared: &Value) -> bool {
    let applied = declared
        .pointer("/public_summary/sme_threshold_applied")
        .and_then(Value::as_bool)
        == Some(true);
    let sme = matches!(
        declared
            .pointer("/provider/sme_status")
            .and_then(Value::as_str),
        Some("micro" | "small" | "medium")
    );
    applied && sme
}

/// A declared date (`YYYY-MM-DD`), anything else ignored, so that an unchecked record cannot
/// win the "latest" comparison with text that sorts high.
pub fn date(v: Option<&Value>) -> Option<&str> {
    let s = v?.as_str()?;
    let b = s.as_bytes();
    let ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    ok.then_some(s)
}

/// The latest of a dataset's acquisition date and the end of its collection period.
pub fn dataset_latest(dataset: &Value) -> Option<&str> {
    let acquired = date(dataset.get("acquired_at"));
    let end = date(dataset.pointer("/collection_period/end"));
    acquired.max(end)
}

/// One declared dataset, by its position in `datasets`.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetRef {
    pub index: usize,
    /// `name`, else `id`, else `datasets[i]`.
    pub label: String,
}

/// What the training content holds in one modality.
#[derive(Debug, Clone, PartialEq)]
pub struct ModalityContent {
    pub modality: Modality,
    /// The training datasets that hold it.
    pub datasets: Vec<usize>,
    /// The sum of their sizes in the modality's unit, when at least one gives it.
    pub size: Option<f64>,
    /// Datasets of the modality with no size in its unit (the band then counts without them).
    pub without_size: Vec<usize>,
    pub band: Option<Band>,
    pub latest: Option<String>,
}

impl ModalityContent {
    pub fn selected(&self) -> bool {
        !self.datasets.is_empty()
    }
}

/// A publicly available dataset above 3 % of one of its modalities.
#[derive(Debug, Clone, PartialEq)]
pub struct LargeDataset {
    pub dataset: DatasetRef,
    pub modality: Modality,
    pub size: f64,
    /// The size of all public training datasets of that modality.
    pub total: f64,
}

/// The training content of a declaration.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainingContent {
    /// Indexes in `datasets` of the training datasets.
    pub training: Vec<usize>,
    pub modalities: Vec<ModalityContent>,
    /// Large public datasets, in declaration order then modality order.
    pub large: Vec<LargeDataset>,
    /// Public training datasets with no size in a modality they hold: the 3 % rule cannot
    /// place them.
    pub unsized_public: Vec<usize>,
    pub latest: Option<String>,
}

/// The declared datasets (none when the declaration has no list).
pub fn datasets(declared: &Value) -> &[Value] {
    declared
        .get("datasets")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// What the summary calls a dataset: its name, else its id, else its position.
pub fn label(datasets: &[Value], index: usize) -> String {
    let d = &datasets[index];
    d.get("name")
        .and_then(Value::as_str)
        .or_else(|| d.get("id").and_then(Value::as_str))
        .map_or_else(|| format!("datasets[{index}]"), str::to_owned)
}

/// Whether a declared dataset trained the model (no role counts as training).
pub fn is_training(dataset: &Value) -> bool {
    is_training_role(dataset.get("role").and_then(Value::as_str))
}

/// Whether a dataset of `role` is training data: any role but validation, test and eval, and
/// no role at all (the reading that misses no obligation).
pub fn is_training_role(role: Option<&str>) -> bool {
    role.is_none_or(|r| !NOT_TRAINING.contains(&r))
}

impl TrainingContent {
    /// The training content of `declared` (a declaration as JSON).
    pub fn of(declared: &Value) -> Self {
        let all = datasets(declared);
        let training: Vec<usize> = (0..all.len()).filter(|&i| is_training(&all[i])).collect();
        let modalities = Modality::ALL
            .iter()
            .map(|&m| modality_content(all, &training, m))
            .collect();
        let public: Vec<usize> = training
            .iter()
            .copied()
            .filter(|&i| {
                all[i].get("source_type").and_then(Value::as_str) == Some("public_dataset")
            })
            .collect();
        let mut large = Vec::new();
        let mut unsized_public = Vec::new();
        for m in Modality::ALL {
            if m.size_field().is_none() {
                continue;
            }
            let holding: Vec<usize> = public
                .iter()
                .copied()
                .filter(|&i| m.holds(&all[i]))
                .collect();
            let total: f64 = holding.iter().filter_map(|&i| m.size_of(&all[i])).sum();
            for &i in &holding {
                match m.size_of(&all[i]) {
                    Some(size) if is_large(size, total) => large.push(LargeDataset {
                        dataset: DatasetRef {
                            index: i,
                            label: label(all, i),
                        },
                        modality: m,
                        size,
                        total,
                    }),
                    Some(_) => {}
                    None => unsized_public.push(i),
                }
            }
        }
        large.sort_by_key(|l| (l.dataset.index, l.modality));
        unsized_public.sort_unstable();
        unsized_public.dedup();
        let latest = training
            .iter()
            .filter_map(|&i| dataset_latest(&all[i]))
            .max()
            .map(str::to_owned);
        TrainingContent {
            training,
            modalities,
            large,
            unsized_public,
            latest,
        }
    }

    pub fn modality(&self, m: Modality) -> &ModalityContent {
        &self.modalities[Modality::ALL.iter().position(|x| *x == m).unwrap_or(0)]
    }

    /// The training datasets of a Template §2 source type.
    pub fn of_source<'a>(
        &self,
        all: &'a [Value],
        source_types: &[&str],
    ) -> Vec<(usize, &'a Value)> {
        self.training
            .iter()
            .map(|&i| (i, &all[i]))
            .filter(|(_, d)| {
                d.get("source_type")
                    .and_then(Value::as_str)
                    .is_some_and(|s| source_types.contains(&s))
            })
            .collect()
    }

    /// The Template modalities the given datasets hold, in the Template's order.
    pub fn modalities_of(all: &[Value], indexes: &[usize]) -> Vec<&'static str> {
        Modality::ALL
            .iter()
            .filter(|m| indexes.iter().any(|&i| m.holds(&all[i])))
            .map(|m| m.as_str())
            .collect()
    }
}

fn modality_content(all: &[Value], training: &[usize], m: Modality) -> ModalityContent {
    let datasets: Vec<usize> = training
        .iter()
        .copied()
        .filter(|&i| m.holds(&all[i]))
        .collect();
    let sizes: Vec<f64> = datasets
        .iter()
        .filter_map(|&i| m.size_of(&all[i]))
        .collect();
    let size = (!sizes.is_empty()).then(|| sizes.iter().sum());
    let without_size = if m.size_field().is_some() {
        datasets
            .iter()
            .copied()
            .filter(|&i| m.size_of(&all[i]).is_none())
            .collect()
    } else {
        Vec::new()
    };
    let latest = datasets
        .iter()
        .filter_map(|&i| dataset_latest(&all[i]))
        .max()
        .map(str::to_owned);
    ModalityContent {
        modality: m,
        band: size.and_then(|s| band(m, s)),
        datasets,
        size,
        without_size,
        latest,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn band_edges_belong_to_the_middle_band() {
        let cases = [
            (Modality::Text, 1e9, Band::Mid),
            (Modality::Text, 1e9 - 1.0, Band::Low),
            (Modality::Text, 1e13, Band::Mid),
            (Modality::Text, 1e13 + 1.0, Band::High),
            (Modality::Image, 1e6, Band::Mid),
            (Modality::Image, 999_999.0, Band::Low),
            (Modality::Image, 1e9, Band::Mid),
            (Modality::Image, 1e9 + 1.0, Band::High),
            (Modality::Audio, 10_000.0, Band::Mid),
            (Modality::Audio, 9_999.5, Band::Low),
            (Modality::Audio, 1e6, Band::Mid),
            (Modality::Audio, 1_000_000.5, Band::High),
            (Modality::Video, 10_000.0, Band::Mid),
            (Modality::Video, 9_999.0, Band::Low),
            (Modality::Video, 1e6, Band::Mid),
            (Modality::Video, 1e6 + 0.25, Band::High),
            (Modality::Text, 0.0, Band::Low),
        ];
        for (m, size, expected) in cases {
            assert_eq!(band(m, size), Some(expected), "{m:?} {size}");
        }
        assert_eq!(band(Modality::Other, 1e30), None);
        assert_eq!(
            Band::Mid.wording(Modality::Text),
            "1 billion to 10 trillion tokens"
        );
    }

    #[test]
    fn exactly_three_percent_is_not_large() {
        assert!(!is_large(3.0, 100.0));
        assert!(is_large(3.000_001, 100.0));
        assert!(!is_large(3e10, 1e12));
        assert!(is_large(3e10 + 1.0, 1e12));
        assert!(!is_large(0.0, 0.0));
    }

    fn public(id: &str, size: &serde_json::Value, modality: &str) -> serde_json::Value {
        json!({"id": id, "role": "pretraining", "source_type": "public_dataset", "modality": modality, "size": size})
    }

    #[test]
    fn the_three_percent_rule_applies_per_modality() {
        // Text: 97 + 3 tokens: the 3-token dataset is exactly 3 %, not large. Images: a small
        // dataset of 4 images in 100 is large in its own modality, though tiny next to text.
        let declared = json!({"datasets": [
            public("big-text", &json!({"tokens": 97e9}), "text"),
            public("three-percent", &json!({"tokens": 3e9}), "text"),
            public("images-a", &json!({"images": 96}), "image"),
            public("images-b", &json!({"images": 4}), "image"),
            {"id": "crawl", "role": "pretraining", "source_type": "crawled_by_provider", "modality": "text", "size": {"tokens": 1e15}},
            public("eval", &json!({"tokens": 1e15}), "text"),
        ]});
        let mut with_eval = declared.clone();
        with_eval["datasets"][5]["role"] = json!("eval");
        let content = TrainingContent::of(&with_eval);
        let large: Vec<(&str, Modality)> = content
            .large
            .iter()
            .map(|l| (l.dataset.label.as_str(), l.modality))
            .collect();
        assert_eq!(
            large,
            [
                ("big-text", Modality::Text),
                ("images-a", Modality::Image),
                ("images-b", Modality::Image)
            ]
        );
        // Just above 3 %: 3.1 of 100.1.
        let mut above = with_eval.clone();
        above["datasets"][1]["size"]["tokens"] = json!(3.1e9);
        let content = TrainingContent::of(&above);
        assert!(
            content
                .large
                .iter()
                .any(|l| l.dataset.label == "three-percent")
        );
        // The crawl and the eval set are not public training data: the eval set, counted, would
        // have made every text dataset small.
        let content = TrainingContent::of(&declared);
        assert!(
            !content
                .large
                .iter()
                .any(|l| l.modality == Modality::Text && l.dataset.label != "eval")
        );
    }

    #[test]
    fn domain_cut_offs_round_up_and_cap_smes() {
        // (n, non-SME count = ceil(n / 10), SME count = min(ceil(n / 20), 1000))
        let cases = [
            (0, 0, 0),
            (1, 1, 1),
            (9, 1, 1),
            (10, 1, 1),
            (11, 2, 1),
            (20, 2, 1),
            (21, 3, 2),
            (10_000, 1_000, 500),
            (25_000, 2_500, 1_000),
            (19_999, 2_000, 1_000),
            (19_981, 1_999, 1_000),
            (19_980, 1_998, 999),
        ];
        for (n, plain, sme) in cases {
            assert_eq!(domains_to_list(n, false), plain, "n = {n}");
            assert_eq!(domains_to_list(n, true), sme, "n = {n}, SME");
            // The rule AIA-53-1-d-03: the list reaches the share.
            #[allow(clippy::cast_precision_loss)]
            let share = n as f64 * 0.10;
            #[allow(clippy::cast_precision_loss)]
            let count = plain as f64;
            assert!(count >= share);
        }
    }

    #[test]
    fn the_sme_rule_needs_an_sme_that_applies_it() {
        let d = |status: &str, applied: bool| json!({"provider": {"sme_status": status}, "public_summary": {"sme_threshold_applied": applied}});
        assert!(sme_rule(&d("micro", true)));
        assert!(sme_rule(&d("medium", true)));
        assert!(!sme_rule(&d("smc", true)));
        assert!(!sme_rule(&d("small", false)));
    }

    #[test]
    fn latest_acquisition_takes_the_later_date_of_training_data_only() {
        let declared = json!({"datasets": [
            {"modality": "text", "size": {"tokens": 5}, "acquired_at": "2025-01-01", "collection_period": {"end": "2025-03-01"}},
            {"modality": "image", "size": {"images": 5}, "acquired_at": "2025-02-01"},
            {"role": "eval", "modality": "text", "acquired_at": "2026-01-01"},
            {"modality": "text", "acquired_at": "9999-not-a-date"},
        ]});
        let content = TrainingContent::of(&declared);
        assert_eq!(content.latest.as_deref(), Some("2025-03-01"));
        assert_eq!(
            content.modality(Modality::Image).latest.as_deref(),
            Some("2025-02-01")
        );
        assert_eq!(content.modality(Modality::Text).without_size, [3]);
        assert!(!content.modality(Modality::Audio).selected());
    }
}
