//! Declared against measured: each figure the declaration states next to the one scelle counts
//! in the release (parameters in the weights, records and bytes in a shipped dataset, the
//! context window in the library config), for the rules (`derived.figures`) and for the
//! report's figures section. A side scelle cannot read is `null`, and so is the agreement then:
//! an unknown side neither agrees nor disagrees.
//!
//! Agreement is at two significant figures, the precision the Model Documentation Form asks
//! for parameters and compute; a figure stated more precisely is rounded the same way.

use serde::Serialize;
use serde_json::{Value, json};

use super::derived::FileView;
use super::facts::Shape;
use crate::text::thousands;

/// The shape of `derived.figures`.
pub const SHAPE: Shape = Shape::Obj(&[
    (
        "parameters",
        Shape::Obj(&[
            ("declared", Shape::Leaf),
            ("counted", Shape::Leaf),
            ("agree", Shape::Leaf),
        ]),
    ),
    (
        "context_length",
        Shape::Obj(&[
            ("declared", Shape::Leaf),
            ("counted", Shape::Leaf),
            ("agree", Shape::Leaf),
        ]),
    ),
    (
        "datasets",
        Shape::List(&Shape::Obj(&[
            ("field", Shape::Leaf),
            ("dataset", Shape::Leaf),
            ("path", Shape::Leaf),
            ("records_declared", Shape::Leaf),
            ("records_counted", Shape::Leaf),
            ("records_agree", Shape::Leaf),
            ("bytes_declared", Shape::Leaf),
            ("bytes_counted", Shape::Leaf),
            ("bytes_agree", Shape::Leaf),
        ])),
    ),
]);

/// `n` rounded to two significant figures (half away from zero), in integers so that no
/// float rounding decides a finding.
pub fn two_significant(n: u64) -> u64 {
    significant(n, 2)
}

/// `n` rounded to `figures` significant figures (half away from zero), in integers.
pub fn significant(n: u64, figures: u32) -> u64 {
    let digits = n.checked_ilog10().unwrap_or(0) + 1;
    if digits <= figures {
        return n;
    }
    let scale = 10u64.pow(digits - figures);
    let rounded = (n / scale) + u64::from(n % scale >= scale / 2);
    rounded.saturating_mul(scale)
}

/// The significant figures `n` is written with: its digits without the trailing zeros
/// (`7350000000` has 3).
fn written_figures(n: u64) -> u32 {
    let mut n = n;
    while n != 0 && n.is_multiple_of(10) {
        n /= 10;
    }
    n.checked_ilog10().unwrap_or(0) + 1
}

/// Whether two figures agree: at the two significant figures the Model Documentation Form asks
/// for, or at the precision the declared figure is written with (a declared 7.35e9 is right for
/// 7,349,999,999 counted, though the two round apart at two figures); `None` when a side is
/// unknown.
pub fn agree(declared: Option<u64>, counted: Option<u64>) -> Option<bool> {
    let (declared, counted) = (declared?, counted?);
    let written = written_figures(declared).max(2);
    Some(
        two_significant(declared) == two_significant(counted)
            || significant(counted, written) == declared,
    )
}

fn int(v: &Value, pointer: &str) -> Option<u64> {
    let v = v.pointer(pointer)?;
    v.as_u64().or_else(|| {
        // A whole number written as a float (`8.0e9`) is still a count.
        v.as_f64()
            .filter(|f| f.is_finite() && *f >= 0.0 && f.fract() == 0.0 && *f < 1.8e19)
            .map(|f| {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                let n = f as u64;
                n
            })
    })
}

fn pair(declared: Option<u64>, counted: Option<u64>, exact: bool) -> Value {
    let agree = if exact {
        declared.zip(counted).map(|(d, c)| d == c)
    } else {
        agree(declared, counted)
    };
    json!({"declared": declared, "counted": counted, "agree": agree})
}

/// `derived.figures`.
pub fn derive(
    predicate: &Value,
    declared: &Value,
    datasets: &[Value],
    files: &[FileView<'_>],
) -> Value {
    let parameters = pair(
        int(declared, "/model/parameters/total"),
        int(predicate, "/model/parameter_count"),
        false,
    );
    // The context window is a setting, not a measurement: it agrees only when equal.
    let context = pair(
        int(declared, "/model/max_input_tokens"),
        int(predicate, "/model/architecture/context_length"),
        true,
    );
    let rows: Vec<Value> = datasets
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let path = d.get("path").and_then(Value::as_str)?;
            let path = path.trim_start_matches("./").trim_end_matches('/');
            let prefix = format!("{path}/");
            let under: Vec<&FileView<'_>> = files
                .iter()
                .filter(|f| f.path == path || f.path.starts_with(&prefix))
                .collect();
            let bytes = (!under.is_empty()).then(|| under.iter().map(|f| f.size).sum::<u64>());
            // A file without a count (a CSV, whose lines are not records; a README beside the
            // data) leaves the dataset's count unknown rather than short.
            let records = if under.is_empty() {
                None
            } else {
                under
                    .iter()
                    .map(|f| f.records)
                    .try_fold(0u64, |sum, n| Some(sum.saturating_add(n?)))
            };
            let records_declared = int(d, "/size/records");
            let bytes_declared = int(d, "/size/bytes");
            Some(json!({
                "field": format!("datasets[{i}]"),
                "dataset": d.get("id").or_else(|| d.get("name")).and_then(Value::as_str),
                "path": path,
                "records_declared": records_declared,
                "records_counted": records,
                "records_agree": agree(records_declared, records),
                "bytes_declared": bytes_declared,
                "bytes_counted": bytes,
                "bytes_agree": agree(bytes_declared, bytes),
            }))
        })
        .collect();
    json!({"parameters": parameters, "context_length": context, "datasets": rows})
}

/// The shape of `derived.card`.
pub const CARD_SHAPE: Shape = Shape::Obj(&[
    ("present", Shape::Leaf),
    ("license", Shape::Leaf),
    ("license_agrees", Shape::Leaf),
    ("datasets_only_in_card", Shape::Leaf),
    ("datasets_only_in_declaration", Shape::Leaf),
    ("base_models_only_in_card", Shape::Leaf),
    ("base_models_only_in_declaration", Shape::Leaf),
    ("placeholders", Shape::Leaf),
]);

/// The Hub id in a dataset page's address (`https://huggingface.co/datasets/ORG/NAME`).
fn hub_dataset(url: &str) -> Option<&str> {
    ["huggingface.co/datasets/", "hf.co/datasets/"]
        .iter()
        .find_map(|host| url.split_once(host).map(|(_, rest)| rest))
        .map(|rest| {
            let end = rest
                .match_indices('/')
                .nth(1)
                .map_or(rest.len(), |(at, _)| at);
            rest[..end].trim_end_matches('/')
        })
        .filter(|id| !id.is_empty())
}

fn strings<'a>(v: &'a Value, pointer: &str) -> Vec<&'a str> {
    v.pointer(pointer)
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(Value::as_str)
        .collect()
}

/// `derived.card`: the model card recorded in the manifest against the declaration. The names
/// a card's front matter can hold are Hub ids, so only declared datasets and base models with
/// a Hub id (a `huggingface.co/datasets/` address, or an `ORG/NAME` name) are expected in it.
pub fn card(predicate: &Value, declared: &Value, datasets: &[Value]) -> Value {
    let Some(card) = predicate.get("card").filter(|c| c.is_object()) else {
        return json!({"present": false, "license": null, "license_agrees": null,
            "datasets_only_in_card": [], "datasets_only_in_declaration": [],
            "base_models_only_in_card": [], "base_models_only_in_declaration": [],
            "placeholders": []});
    };
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    let license = card.get("license_spdx").and_then(Value::as_str);
    let declared_license = declared
        .pointer("/model/license/spdx")
        .and_then(Value::as_str);
    let license_agrees = license
        .zip(declared_license)
        .map(|(c, d)| same(c.trim(), d.trim()));
    let card_datasets = strings(card, "/datasets");
    let names = |d: &Value| -> Vec<String> {
        let mut out: Vec<String> = ["/id", "/name"]
            .iter()
            .filter_map(|p| d.pointer(p).and_then(Value::as_str))
            .map(str::to_owned)
            .collect();
        out.extend(
            d.get("source_url")
                .and_then(Value::as_str)
                .and_then(hub_dataset)
                .map(str::to_owned),
        );
        out
    };
    let hub_id = |d: &Value| -> Option<String> {
        d.get("source_url")
            .and_then(Value::as_str)
            .and_then(hub_dataset)
            .or_else(|| {
                d.get("id")
                    .and_then(Value::as_str)
                    .filter(|id| id.matches('/').count() == 1)
            })
            .map(str::to_owned)
    };
    let only_in_card: Vec<&str> = card_datasets
        .iter()
        .filter(|c| !datasets.iter().any(|d| names(d).iter().any(|n| same(n, c))))
        .copied()
        .collect();
    let only_declared: Vec<String> = datasets
        .iter()
        .filter_map(hub_id)
        .filter(|id| !card_datasets.iter().any(|c| same(c, id)))
        .collect();
    let card_bases = strings(card, "/base_models");
    let declared_bases: Vec<&str> = declared
        .pointer("/model/base_models")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(|b| b.get("name").and_then(Value::as_str))
        .collect();
    let bases_only_in_card: Vec<&str> = card_bases
        .iter()
        .filter(|c| !declared_bases.iter().any(|d| same(d, c)))
        .copied()
        .collect();
    let bases_only_declared: Vec<&str> = declared_bases
        .iter()
        .filter(|d| d.matches('/').count() == 1 && !card_bases.iter().any(|c| same(c, d)))
        .copied()
        .collect();
    let placeholders: Vec<String> = card
        .get("placeholders")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(|p| {
            Some(format!(
                "README.md:{}: {}",
                p.get("line")?.as_u64()?,
                p.get("text")?.as_str()?
            ))
        })
        .collect();
    json!({
        "present": true,
        "license": license,
        "license_agrees": license_agrees,
        "datasets_only_in_card": only_in_card,
        "datasets_only_in_declaration": only_declared,
        "base_models_only_in_card": bases_only_in_card,
        "base_models_only_in_declaration": bases_only_declared,
        "placeholders": placeholders,
    })
}

/// A whole-number figure, both sides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Pair {
    pub declared: Option<u64>,
    pub counted: Option<u64>,
    /// `null` when a side is unknown.
    pub agree: Option<bool>,
}

/// The compute figures, in FLOP.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Compute {
    pub declared: Option<f64>,
    pub cumulative: Option<f64>,
    pub estimate_6nd: Option<f64>,
    pub estimate_hardware: Option<f64>,
    /// The declared stages added up.
    pub stage_sum: Option<f64>,
}

/// One declared dataset with a path in the release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Dataset {
    pub dataset: Option<String>,
    pub path: String,
    pub records: Pair,
    pub bytes: Pair,
}

/// The report's figures section.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    pub parameters: Pair,
    pub compute: Compute,
    pub context_length: Pair,
    pub datasets: Vec<Dataset>,
}

impl Figures {
    /// The section, from `derived`.
    pub fn from_derived(derived: &Value) -> Self {
        let u = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_u64);
        let b = |v: &Value, p: &str| v.pointer(p).and_then(Value::as_bool);
        let f = |p: &str| derived.pointer(p).and_then(Value::as_f64);
        let pair = |v: &Value, at: &str| Pair {
            declared: u(v, &format!("{at}/declared")),
            counted: u(v, &format!("{at}/counted")),
            agree: b(v, &format!("{at}/agree")),
        };
        let datasets = derived
            .pointer("/figures/datasets")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .map(|d| Dataset {
                dataset: d.get("dataset").and_then(Value::as_str).map(str::to_owned),
                path: d
                    .get("path")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                records: Pair {
                    declared: u(d, "/records_declared"),
                    counted: u(d, "/records_counted"),
                    agree: b(d, "/records_agree"),
                },
                bytes: Pair {
                    declared: u(d, "/bytes_declared"),
                    counted: u(d, "/bytes_counted"),
                    agree: b(d, "/bytes_agree"),
                },
            })
            .collect();
        Self {
            parameters: pair(derived, "/figures/parameters"),
            compute: Compute {
                declared: f("/compute/declared"),
                cumulative: f("/compute/cumulative"),
                estimate_6nd: f("/compute/estimate_6nd"),
                estimate_hardware: f("/compute/estimate_hardware"),
                stage_sum: f("/compute/stage_sum"),
            },
            context_length: pair(derived, "/figures/context_length"),
            datasets,
        }
    }

    /// One line per figure, for the table and Markdown renderers.
    pub fn rows(&self) -> Vec<Row> {
        let mut rows = vec![Row::whole("parameters", self.parameters)];
        let c = self.compute;
        let flops = |label: &str, v: Option<f64>| Row {
            label: label.to_owned(),
            declared: fmt_flops(c.declared),
            measured: "estimated",
            other: fmt_flops(v),
            verdict: match (c.declared, v) {
                (Some(d), Some(e)) if e > 0.0 => {
                    let pct = (d - e) / e * 100.0;
                    match pct {
                        p if p.abs() < 0.5 => "declared equals it".into(),
                        p if p < 0.0 => format!("declared {:.0} % below it", -p),
                        p => format!("declared {p:.0} % above it"),
                    }
                }
                _ => "unknown".into(),
            },
        };
        rows.push(flops("compute, 6·N·D (FLOP)", c.estimate_6nd));
        rows.push(flops("compute, hardware (FLOP)", c.estimate_hardware));
        let mut stages = flops("compute, stages summed (FLOP)", c.stage_sum);
        stages.declared = fmt_flops(c.cumulative);
        stages.measured = "summed";
        stages.verdict = match (c.cumulative, c.stage_sum) {
            (Some(d), Some(e)) if d < e => "cumulative below the stages".into(),
            (Some(_), Some(_)) => "cumulative covers the stages".into(),
            _ => "unknown".into(),
        };
        rows.push(stages);
        rows.push(Row::whole("context length (tokens)", self.context_length));
        for d in &self.datasets {
            let name = d.dataset.as_deref().unwrap_or(&d.path);
            rows.push(Row::whole(&format!("dataset `{name}`, records"), d.records));
            rows.push(Row::whole(&format!("dataset `{name}`, bytes"), d.bytes));
        }
        rows
    }
}

/// One rendered figure: what the declaration says, and what scelle counts or estimates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub label: String,
    pub declared: String,
    /// `counted`, `estimated` or `summed`.
    pub measured: &'static str,
    pub other: String,
    pub verdict: String,
}

impl Row {
    fn whole(label: &str, p: Pair) -> Self {
        let show = |v: Option<u64>| v.map_or_else(|| "unknown".to_owned(), thousands);
        Self {
            label: label.to_owned(),
            declared: show(p.declared),
            measured: "counted",
            other: show(p.counted),
            verdict: match p.agree {
                Some(true) => "agree",
                Some(false) => "differ",
                None => "unknown",
            }
            .into(),
        }
    }

    /// `declared X · counted Y · agree`.
    pub fn text(&self) -> String {
        format!(
            "declared {} · {} {} · {}",
            self.declared, self.measured, self.other, self.verdict
        )
    }
}

/// A FLOP figure with two significant figures (`3.4e23`), or `unknown`.
pub fn fmt_flops(v: Option<f64>) -> String {
    v.map_or_else(|| "unknown".to_owned(), |f| format!("{f:.1e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_declared_figure_agrees_at_two_figures_or_at_its_own_precision() {
        let counted = Some(7_349_999_999);
        // Two figures: 7.3e9 is right, 7.4e9 and 7e9 (one figure, too coarse) are not.
        assert_eq!(agree(Some(7_300_000_000), counted), Some(true));
        assert_eq!(agree(Some(7_400_000_000), counted), Some(false));
        assert_eq!(agree(Some(7_000_000_000), counted), Some(false));
        // Three figures: 7.35e9 is the count rounded to the figures it is written with.
        assert_eq!(agree(Some(7_350_000_000), counted), Some(true));
        // A figure wrong at its own precision but right at two figures still agrees with the
        // two figures the Form asks for.
        assert_eq!(agree(Some(7_346_000_000), counted), Some(true));
        assert_eq!(agree(Some(7_349_999_999), counted), Some(true));
        assert_eq!(agree(Some(7_360_000_000), Some(7_249_000_000)), Some(false));
        assert_eq!(agree(None, counted), None);
        assert_eq!(written_figures(7_350_000_000), 3);
        assert_eq!(written_figures(0), 1);
        assert_eq!(significant(7_349_999_999, 3), 7_350_000_000);
    }

    #[test]
    fn two_significant_figures_round_half_up_in_integers() {
        assert_eq!(two_significant(7_241_748_480), 7_200_000_000);
        assert_eq!(two_significant(7_250_000_000), 7_300_000_000);
        assert_eq!(two_significant(995), 1000);
        assert_eq!(two_significant(42), 42);
        assert_eq!(two_significant(0), 0);
        assert_eq!(agree(Some(7_000_000_000), Some(7_241_748_480)), Some(false));
        assert_eq!(agree(Some(7_200_000_000), Some(7_241_748_480)), Some(true));
        assert_eq!(agree(None, Some(1)), None);
    }

    #[test]
    fn each_declared_figure_sits_next_to_the_counted_one() {
        let predicate = json!({
            "model": {"parameter_count": 1_234_567, "architecture": {"context_length": 2048}},
        });
        let declared = json!({
            "model": {"parameters": {"total": 1.2e6}, "max_input_tokens": 4096},
        });
        let datasets = [
            json!({"id": "web", "path": "data", "size": {"records": 40, "bytes": 1000}}),
            json!({"id": "elsewhere", "path": "gone", "size": {"records": 5}}),
        ];
        let files = json!([
            {"path": "data/a.jsonl", "sha256": "x", "size": 100, "facts": {"records": 15}},
            {"path": "data/b.parquet", "sha256": "y", "size": 200, "facts": {"rows": 25}},
            {"path": "other/c.csv", "sha256": "z", "size": 5, "facts": {"lines": 3}}
        ]);
        let d = derive(
            &predicate,
            &declared,
            &datasets,
            &FileView::from_json(&files),
        );
        assert_eq!(
            d["parameters"],
            json!({"declared": 1_200_000, "counted": 1_234_567, "agree": true})
        );
        assert_eq!(
            d["context_length"],
            json!({"declared": 4096, "counted": 2048, "agree": false})
        );
        assert_eq!(d["datasets"][0]["records_agree"], true);
        assert_eq!(d["datasets"][0]["bytes_counted"], 300);
        assert_eq!(d["datasets"][0]["bytes_agree"], false);
        assert_eq!(d["datasets"][1]["records_counted"], Value::Null);
        assert_eq!(d["datasets"][1]["records_agree"], Value::Null);
    }

    #[test]
    fn a_compute_row_says_how_far_the_declared_figure_is_from_the_estimate() {
        let figures = |declared: f64| Figures {
            compute: Compute {
                declared: Some(declared),
                estimate_6nd: Some(4.0e23),
                ..Compute::default()
            },
            ..Figures::default()
        };
        let row = |declared: f64| figures(declared).rows()[1].text();
        assert_eq!(
            row(2.0e23),
            "declared 2.0e23 · estimated 4.0e23 · declared 50 % below it"
        );
        assert_eq!(
            row(5.0e23),
            "declared 5.0e23 · estimated 4.0e23 · declared 25 % above it"
        );
        assert_eq!(
            row(4.0e23),
            "declared 4.0e23 · estimated 4.0e23 · declared equals it"
        );
        assert_eq!(
            figures(1.0).rows()[2].text(),
            "declared 1.0e0 · estimated unknown · unknown"
        );
    }
}
