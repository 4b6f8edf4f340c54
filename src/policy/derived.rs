//! Figures computed from the manifest for the rules (`derived`): compute estimates next to the
//! declared figure, training-data totals per modality, the base models' compute, what the
//! weights' SPDX licence allows, the status of every document the declaration refers to. Only raw figures are computed here: thresholds
//! (1e23, 1e25, one third) and dates are the packs' business, because the Commission can change
//! them by delegated act. The exception is `training_content`, the public summary's figures (size
//! bands, the 3 % rule, the latest acquisition): `scelle report --kind training-summary` writes
//! them from the same code, so that the summary scelle writes and the rule that checks a summary
//! cannot disagree.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::facts::Shape;
use super::figures;
use crate::manifest::Record;
use crate::manifest::descriptor::has_scheme;
use crate::manifest::schema::{Field, Schema, Ty};

/// Dataset roles that are not training (they do not count towards training data).
/// A size band per modality, as `derived.training_content` computes them and
/// `derived.summary_document` reads them from the published summary.
pub(super) const BANDS: Shape = Shape::Obj(&[
    ("text", Shape::Leaf),
    ("image", Shape::Leaf),
    ("audio", Shape::Leaf),
    ("video", Shape::Leaf),
]);

const NOT_TRAINING: [&str; 3] = ["validation", "test", "eval"];

/// Stages of `training.compute.by_stage` that update the model's parameters: their sum is
/// training compute (GPAI Guidelines Annex A.1). The other stages (non-public synthetic data,
/// weights merged or used for initialisation) count only towards cumulative compute.
const UPDATE_STAGES: [&str; 5] = ["pretraining", "midtraining", "sft", "preference", "rl"];

/// The error margin the GPAI Guidelines accept for a compute estimate (Annex A.2), for the
/// report's `declared_below_estimate`; the packs compare with their own `max_uncertainty_pct`.
const ESTIMATE_MARGIN: f64 = 0.30;

/// The shape of `derived`, for checking field names when a pack loads.
pub const SHAPE: Shape = Shape::Obj(&[
    ("has_declaration", Shape::Leaf),
    ("parameters", Shape::Leaf),
    ("parameters_scanned", Shape::Leaf),
    ("parameters_declared", Shape::Leaf),
    ("training_tokens", Shape::Leaf),
    (
        "compute",
        Shape::Obj(&[
            ("declared", Shape::Leaf),
            ("cumulative", Shape::Leaf),
            ("estimate_6nd", Shape::Leaf),
            ("estimate_hardware", Shape::Leaf),
            ("stage_sum", Shape::Leaf),
            ("best", Shape::Leaf),
            ("declared_below_estimate", Shape::Leaf),
            ("modification", Shape::Leaf),
            ("planned", Shape::Leaf),
            ("deviation", Shape::Leaf),
        ]),
    ),
    (
        "base",
        Shape::Obj(&[
            ("count", Shape::Leaf),
            ("training_flops", Shape::Leaf),
            ("any_systemic", Shape::Leaf),
            ("modification_ratio", Shape::Leaf),
        ]),
    ),
    (
        "training_data",
        Shape::Obj(&[
            ("text_tokens", Shape::Leaf),
            ("images", Shape::Leaf),
            ("audio_hours", Shape::Leaf),
            ("video_hours", Shape::Leaf),
            ("records", Shape::Leaf),
            ("bytes", Shape::Leaf),
        ]),
    ),
    (
        "license",
        Shape::Obj(&[
            ("expression", Shape::Leaf),
            ("valid", Shape::Leaf),
            ("ids", Shape::Leaf),
            ("custom", Shape::Leaf),
            ("osi_approved", Shape::Leaf),
            ("fsf_free", Shape::Leaf),
            ("restrictions", Shape::Leaf),
            ("foss", Shape::Leaf),
            ("foss_if_custom_open", Shape::Leaf),
        ]),
    ),
    ("latest_acquisition", Shape::Leaf),
    (
        "training_content",
        Shape::Obj(&[
            ("bands", BANDS),
            (
                "large_public_datasets",
                Shape::List(&Shape::Obj(&[
                    ("id", Shape::Leaf),
                    ("name", Shape::Leaf),
                    ("modality", Shape::Leaf),
                    ("share", Shape::Leaf),
                ])),
            ),
            ("latest_acquisition", Shape::Leaf),
        ]),
    ),
    ("source_types", Shape::Leaf),
    (
        "documents",
        Shape::List(&Shape::Obj(&[
            ("field", Shape::Leaf),
            ("uri", Shape::Leaf),
            ("sha256", Shape::Leaf),
            ("local", Shape::Leaf),
            ("status", Shape::Leaf),
            ("actual", Shape::Leaf),
        ])),
    ),
    (
        "dataset_paths",
        Shape::List(&Shape::Obj(&[
            ("field", Shape::Leaf),
            ("dataset", Shape::Leaf),
            ("path", Shape::Leaf),
            ("status", Shape::Leaf),
            ("files", Shape::Leaf),
            ("bytes", Shape::Leaf),
        ])),
    ),
    (
        "file_findings",
        Shape::List(&Shape::Obj(&[
            ("path", Shape::Leaf),
            ("rule", Shape::Leaf),
            ("severity", Shape::Leaf),
            ("message", Shape::Leaf),
        ])),
    ),
    ("figures", figures::SHAPE),
    ("card", figures::CARD_SHAPE),
    ("summary_document", super::published::SHAPE),
]);

fn num(v: &Value, pointer: &str) -> Option<f64> {
    v.pointer(pointer).and_then(Value::as_f64)
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn figure(f: Option<f64>) -> Value {
    f.and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// One file record as `derived` reads it, from a manifest's JSON or from a parsed manifest.
#[derive(Debug, Clone)]
pub struct FileView<'a> {
    pub path: &'a str,
    pub sha256: Cow<'a, str>,
    pub size: u64,
    /// The records or rows the scan counted in the file (see [`crate::manifest::Record::records`]).
    pub records: Option<u64>,
    /// The scan's findings on the file: `rule`, `severity`, `message`.
    pub findings: Vec<Value>,
}

impl<'a> FileView<'a> {
    /// The records of a manifest's `predicate.files` as JSON (records without a path or digest
    /// are skipped: they match no reference).
    pub fn from_json(files: &'a Value) -> Vec<Self> {
        files
            .as_array()
            .map_or(&[][..], Vec::as_slice)
            .iter()
            .filter_map(|f| {
                Some(FileView {
                    path: str_at(f, "/path")?,
                    sha256: Cow::Borrowed(str_at(f, "/sha256")?),
                    size: f.get("size").and_then(Value::as_u64).unwrap_or(0),
                    records: ["/facts/records", "/facts/rows"]
                        .iter()
                        .find_map(|p| f.pointer(p).and_then(Value::as_u64)),
                    findings: f
                        .get("findings")
                        .and_then(Value::as_array)
                        .map_or(&[][..], Vec::as_slice)
                        .iter()
                        .map(|x| {
                            json!({
                                "rule": x.get("rule"),
                                "severity": x.get("severity"),
                                "message": x.get("message"),
                            })
                        })
                        .collect(),
                })
            })
            .collect()
    }

    /// The records of a parsed manifest.
    pub fn from_records<F: Record>(files: &'a [F]) -> Vec<Self> {
        files
            .iter()
            .map(|f| FileView {
                path: f.path().as_str(),
                sha256: Cow::Owned(f.sha256().to_hex()),
                size: f.size(),
                records: f.records(),
                findings: f
                    .findings()
                    .iter()
                    .map(|x| json!({"rule": x.rule, "severity": x.severity, "message": x.message}))
                    .collect(),
            })
            .collect()
    }
}

/// Computes `derived` from the predicate, the (normalised) declaration and the file records.
pub fn derive(predicate: &Value, declared: &Value, files: &[FileView<'_>]) -> Value {
    let datasets: &[Value] = declared
        .get("datasets")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    let training: Vec<&Value> = datasets
        .iter()
        .filter(|d| str_at(d, "/role").is_none_or(|r| !NOT_TRAINING.contains(&r)))
        .collect();
    let scanned = predicate
        .pointer("/model/parameter_count")
        .and_then(Value::as_u64);
    let declared_params = declared
        .pointer("/model/parameters/total")
        .and_then(Value::as_u64);
    let latest = datasets
        .iter()
        .filter_map(|d| str_at(d, "/acquired_at").or_else(|| str_at(d, "/collection_period/end")))
        .max()
        .map_or(Value::Null, |s| Value::String(s.to_owned()));
    let source_types: BTreeSet<&str> = datasets
        .iter()
        .filter_map(|d| str_at(d, "/source_type"))
        .collect();
    let by_path: BTreeMap<&str, (&str, u64)> = files
        .iter()
        .map(|f| (f.path, (f.sha256.as_ref(), f.size)))
        .collect();
    let (tokens, compute, base) = compute(declared, scanned, declared_params, &training);
    json!({
        "has_declaration": predicate.get("declared").is_some_and(Value::is_object),
        "parameters": scanned.or(declared_params),
        "parameters_scanned": scanned,
        "parameters_declared": declared_params,
        "training_tokens": figure(tokens),
        "compute": compute,
        "base": base,
        "training_data": training_data(&training),
        "license": crate::manifest::licence::reading(str_at(declared, "/model/license/spdx")),
        "latest_acquisition": latest,
        "training_content": training_content(declared),
        "source_types": source_types.into_iter().collect::<Vec<_>>(),
        "documents": documents(declared, &by_path),
        "dataset_paths": dataset_paths(datasets, &by_path),
        "file_findings": file_findings(files),
        "figures": figures::derive(predicate, declared, datasets, files),
        "card": figures::card(predicate, declared, datasets),
        "summary_document": super::published::derive(
            predicate,
            declared,
            &by_path.iter().map(|(p, (s, _))| (*p, *s)).collect::<Vec<_>>(),
        ),
    })
}

/// Training tokens, the compute figures, and the base models' figures.
fn compute(
    declared: &Value,
    scanned: Option<u64>,
    declared_params: Option<u64>,
    training: &[&Value],
) -> (Option<f64>, Value, Value) {
    let flops = num(declared, "/training/compute/flops");
    let (estimate_6nd, tokens) = estimate_6nd(declared, scanned, declared_params, training);
    let basis = |k: &str| num(declared, &format!("/training/compute/basis/{k}"));
    let estimate_hardware = match (
        basis("chip_count"),
        basis("peak_flops_per_chip"),
        basis("utilisation"),
        basis("hours"),
    ) {
        (Some(c), Some(p), Some(u), Some(h)) => Some(c * p * u * h * 3600.0),
        _ => None,
    };
    let stage = |only_updates: bool| {
        let values: Vec<f64> = declared
            .pointer("/training/compute/by_stage")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter(|(k, _)| !only_updates || UPDATE_STAGES.contains(&k.as_str()))
            .filter_map(|(_, v)| v.as_f64())
            .collect();
        (!values.is_empty()).then(|| values.iter().sum::<f64>())
    };
    let stage_sum = stage(false);
    let estimate = highest([estimate_6nd, estimate_hardware]);
    let deviation = match (flops, estimate_6nd.or(estimate_hardware)) {
        (Some(f), Some(e)) if f > 0.0 => Some((f - e).abs() / f),
        _ => None,
    };
    let below = match (flops, estimate) {
        (Some(f), Some(e)) => Value::Bool(f < e * (1.0 - ESTIMATE_MARGIN)),
        _ => Value::Null,
    };
    // The highest figure wins: a declaration cannot lower the compute below what its own
    // inputs or the counted parameters imply (Guidelines Annex A.2).
    let best = highest([flops, estimate_6nd, estimate_hardware, stage(true)]);
    let cumulative = num(declared, "/training/compute/cumulative_flops")
        .or(stage_sum)
        .or(flops);
    let modification = num(declared, "/training/compute/modification_flops");
    let base_models: &[Value] = declared
        .pointer("/model/base_models")
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice);
    // A figure whose status is `unknown` is no known compute: the packs' fallback thresholds
    // apply instead (GPAI Guidelines pts 59-63).
    let base_flops = base_models
        .iter()
        .filter(|b| str_at(b, "/training_flops_status") != Some("unknown"))
        .filter_map(|b| num(b, "/training_flops"))
        .reduce(f64::max);
    let ratio = match (modification, base_flops) {
        (Some(m), Some(b)) if b > 0.0 => Some(m / b),
        _ => None,
    };
    let compute = json!({
        "declared": figure(flops),
        "cumulative": figure(cumulative),
        "estimate_6nd": figure(estimate_6nd),
        "estimate_hardware": figure(estimate_hardware),
        "stage_sum": figure(stage_sum),
        "best": figure(best),
        "declared_below_estimate": below,
        "modification": figure(modification),
        "planned": figure(num(declared, "/training/compute/planned_flops")),
        "deviation": figure(deviation),
    });
    let base = json!({
        "count": base_models.len(),
        "training_flops": figure(base_flops),
        "any_systemic": base_models.iter().any(|b| b.get("systemic_risk") == Some(&Value::Bool(true))),
        "modification_ratio": figure(ratio),
    });
    (tokens, compute, base)
}

/// 6·N·D (Guidelines Annex A.2, dense transformers) and the token count D it used. N is the
/// declared basis, else the active parameters of a mixture of experts, else the counted
/// parameters, else the declared total.
fn estimate_6nd(
    declared: &Value,
    scanned: Option<u64>,
    declared_params: Option<u64>,
    training: &[&Value],
) -> (Option<f64>, Option<f64>) {
    let moe_active = (str_at(declared, "/model/architecture/kind") == Some("moe"))
        .then(|| num(declared, "/model/parameters/active"))
        .flatten();
    #[allow(clippy::cast_precision_loss)]
    let params = num(declared, "/training/compute/basis/params")
        .or(moe_active)
        .or(scanned.map(|p| p as f64))
        .or(declared_params.map(|p| p as f64));
    let dataset_tokens: Vec<f64> = training
        .iter()
        .filter_map(|d| num(d, "/size/tokens"))
        .collect();
    let tokens = num(declared, "/training/data_tokens_total")
        .or_else(|| num(declared, "/training/compute/basis/tokens"))
        .or_else(|| (!dataset_tokens.is_empty()).then(|| dataset_tokens.iter().sum()));
    let estimate = match (params, tokens) {
        (Some(n), Some(d)) => Some(6.0 * n * d),
        _ => None,
    };
    (estimate, tokens)
}

/// The highest of the figures that are known.
fn highest<const N: usize>(figures: [Option<f64>; N]) -> Option<f64> {
    figures.into_iter().flatten().reduce(f64::max)
}

/// Sizes of the training data (validation, test and evaluation sets left out), per modality.
fn training_data(training: &[&Value]) -> Value {
    let total = |pointer: &str, text_only: bool| {
        let values: Vec<f64> = training
            .iter()
            .filter(|d| {
                !text_only || str_at(d, "/modality").is_none_or(|m| m == "text" || m == "code")
            })
            .filter_map(|d| num(d, pointer))
            .collect();
        figure((!values.is_empty()).then(|| values.iter().sum()))
    };
    json!({
        "text_tokens": total("/size/tokens", true),
        "images": total("/size/images", false),
        "audio_hours": total("/size/audio_hours", false),
        "video_hours": total("/size/video_hours", false),
        "records": total("/size/records", false),
        "bytes": total("/size/bytes", false),
    })
}

/// The training content as the public summary's Template counts it, computed by the same code
/// as `scelle report --kind training-summary`, so that the report and the rules cannot disagree:
/// the size band per modality, the large public datasets (3 % rule) and the latest acquisition.
fn training_content(declared: &Value) -> Value {
    use crate::training_content::{Band, Modality, TrainingContent};
    let tc = TrainingContent::of(declared);
    let band = |m: Modality| tc.modality(m).band.map(Band::as_str);
    let large: Vec<Value> = tc
        .large
        .iter()
        .map(|l| {
            let d = &datasets_of(declared)[l.dataset.index];
            json!({
                "id": d.get("id"),
                "name": d.get("name"),
                "modality": l.modality.as_str(),
                "share": l.size / l.total,
            })
        })
        .collect();
    json!({
        "bands": {
            "text": band(Modality::Text),
            "image": band(Modality::Image),
            "audio": band(Modality::Audio),
            "video": band(Modality::Video),
        },
        "large_public_datasets": large,
        "latest_acquisition": tc.latest,
    })
}

fn datasets_of(declared: &Value) -> &[Value] {
    crate::training_content::datasets(declared)
}

/// Every document reference of the declaration, with what the release says about it.
fn documents(declared: &Value, files: &BTreeMap<&str, (&str, u64)>) -> Vec<Value> {
    let mut refs = Vec::new();
    if let Ok(schema) = Schema::get() {
        collect_refs(&schema.root, declared, "", &mut refs);
    }
    // The public summary is a section, not a reference, but its `uri` and `sha256` say the same.
    if let Some(summary) = declared
        .get("public_summary")
        .filter(|s| s.get("uri").is_some_and(Value::is_string))
    {
        refs.push(("public_summary".to_owned(), summary));
    }
    refs.into_iter()
        .map(|(field, r)| {
            let uri = str_at(r, "/uri").unwrap_or_default();
            let sha = str_at(r, "/sha256");
            let local = !has_scheme(uri);
            let path = uri.trim_start_matches("./");
            let actual = if local {
                files.get(path).map(|(s, _)| *s)
            } else {
                None
            };
            let status = match (local, sha, actual) {
                (false, Some(_), _) => "external",
                (false, None, _) => "external_no_digest",
                (true, _, None) => "missing",
                (true, None, Some(_)) => "no_digest",
                (true, Some(s), Some(a)) if s == a => "matches",
                (true, Some(_), Some(_)) => "mismatch",
            };
            json!({
                "field": field,
                "uri": uri,
                "sha256": sha,
                "local": local,
                "status": status,
                "actual": actual,
            })
        })
        .collect()
}

fn collect_refs<'a>(field: &Field, value: &'a Value, at: &str, out: &mut Vec<(String, &'a Value)>) {
    match (&field.ty, value) {
        (Ty::Ref(_), Value::Object(_)) => out.push((at.to_owned(), value)),
        (Ty::Object(fields), Value::Object(map)) => {
            for (name, child) in fields {
                if let Some(v) = map.get(name) {
                    let path = if at.is_empty() {
                        name.clone()
                    } else {
                        format!("{at}.{name}")
                    };
                    collect_refs(child, v, &path, out);
                }
            }
        }
        (Ty::List(item), Value::Array(items)) => {
            for (i, v) in items.iter().enumerate() {
                collect_refs(item, v, &format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// Each `datasets[].path`, and whether the release holds files under it.
fn dataset_paths(datasets: &[Value], files: &BTreeMap<&str, (&str, u64)>) -> Vec<Value> {
    datasets
        .iter()
        .enumerate()
        .filter_map(|(i, d)| {
            let path = str_at(d, "/path")?;
            let prefix = format!("{path}/");
            let (count, bytes) = files
                .iter()
                .filter(|(p, _)| **p == path || p.starts_with(&prefix))
                .fold((0u64, 0u64), |(c, b), (_, (_, size))| (c + 1, b + size));
            Some(json!({
                "field": format!("datasets[{i}].path"),
                "dataset": str_at(d, "/id").or_else(|| str_at(d, "/name")),
                "path": path,
                "status": if count > 0 { "present" } else { "missing" },
                "files": count,
                "bytes": bytes,
            }))
        })
        .collect()
}

/// The scan's findings on files, flattened.
fn file_findings(files: &[FileView<'_>]) -> Vec<Value> {
    let mut out = Vec::new();
    for f in files {
        for finding in &f.findings {
            let mut entry = finding.clone();
            if let Some(m) = entry.as_object_mut() {
                m.insert("path".into(), Value::String(f.path.to_owned()));
            }
            out.push(entry);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compute_estimates_sit_next_to_the_declared_figure() {
        let predicate = json!({"model": {"parameter_count": 8_000_000_000_u64}});
        let declared = json!({
            "training": {"compute": {"flops": 4.0e23, "basis": {"chip_count": 1000, "peak_flops_per_chip": 1.0e15, "utilisation": 0.4, "hours": 250.0}}},
            "datasets": [
                {"id": "web", "role": "pretraining", "size": {"tokens": 7.0e12}},
                {"id": "held-out", "role": "test", "size": {"tokens": 1.0e9}}
            ]
        });
        let d = derive(&predicate, &declared, &[]);
        assert_eq!(d["parameters"], 8_000_000_000_u64);
        assert_eq!(
            d["training_tokens"], 7.0e12,
            "test sets are not training data"
        );
        assert_eq!(d["compute"]["estimate_6nd"], 6.0 * 8.0e9 * 7.0e12);
        assert_eq!(
            d["compute"]["estimate_hardware"],
            1000.0 * 1.0e15 * 0.4 * 250.0 * 3600.0
        );
        assert_eq!(d["compute"]["best"], 4.0e23);
        assert_eq!(
            d["compute"]["cumulative"], 4.0e23,
            "cumulative defaults to flops"
        );
        let deviation = d["compute"]["deviation"].as_f64().unwrap();
        assert!((deviation - (3.36e23 - 4.0e23_f64).abs() / 4.0e23).abs() < 1e-9);
    }

    #[test]
    fn the_highest_credible_figure_wins_over_a_lower_declared_one() {
        // 6 x 7e9 x 2e12 = 8.4e22... declared as 2e22, which is more than 30 % below.
        let declared = json!({
            "model": {"parameters": {"total": 7_000_000_000_u64}},
            "training": {"compute": {"flops": 2.0e22}, "data_tokens_total": 2.0e12}
        });
        let d = derive(&json!({}), &declared, &[]);
        assert_eq!(d["compute"]["best"], 6.0 * 7.0e9 * 2.0e12);
        assert_eq!(d["compute"]["declared_below_estimate"], true);
        assert_eq!(d["compute"]["stage_sum"], Value::Null);
        // Within 30 % below the estimate is not a finding.
        let close = json!({
            "model": {"parameters": {"total": 7_000_000_000_u64}},
            "training": {"compute": {"flops": 6.0e22}, "data_tokens_total": 2.0e12}
        });
        let d = derive(&json!({}), &close, &[]);
        assert_eq!(d["compute"]["declared_below_estimate"], false);
        // Counted parameters are a basis too; a mixture of experts uses its active parameters.
        let predicate = json!({"model": {"parameter_count": 1_000_000_000_u64}});
        let moe = json!({
            "model": {"architecture": {"kind": "moe"}, "parameters": {"active": 2.0e8}},
            "training": {"data_tokens_total": 1.0e12}
        });
        let d = derive(&predicate, &moe, &[]);
        assert_eq!(d["compute"]["estimate_6nd"], 6.0 * 2.0e8 * 1.0e12);
        assert_eq!(d["compute"]["declared_below_estimate"], Value::Null);
    }

    #[test]
    fn cumulative_compute_sums_the_declared_stages() {
        let declared = json!({"training": {"compute": {"flops": 1.0e24, "by_stage": {
            "pretraining": 8.0e23, "sft": 4.0e23, "synthetic_generation_nonpublic": 3.0e23
        }}}});
        let d = derive(&json!({}), &declared, &[]);
        assert_eq!(d["compute"]["stage_sum"], 8.0e23 + 4.0e23 + 3.0e23);
        assert_eq!(
            d["compute"]["cumulative"],
            8.0e23 + 4.0e23 + 3.0e23,
            "no declared cumulative figure: the stages add up"
        );
        assert_eq!(
            d["compute"]["best"],
            8.0e23 + 4.0e23,
            "generating synthetic data updates no parameter of this model"
        );
        let declared = json!({"training": {"compute": {"flops": 1.0e24, "cumulative_flops": 1.1e24,
            "by_stage": {"pretraining": 8.0e23, "synthetic_generation_nonpublic": 5.0e23}}}});
        let d = derive(&json!({}), &declared, &[]);
        assert_eq!(
            d["compute"]["cumulative"], 1.1e24,
            "a declared figure is kept"
        );
        assert_eq!(d["compute"]["stage_sum"], 1.3e24);
    }

    #[test]
    fn the_summary_figures_are_the_reports() {
        // Exactly 1e9 text tokens (the middle band's lower edge); two public datasets of 97 and
        // 3 (exactly 3 %: not large); an eval set acquired later, left out.
        let declared = json!({"datasets": [
            {"id": "a", "source_type": "public_dataset", "modality": "text", "size": {"tokens": 9.7e8}, "acquired_at": "2025-01-01"},
            {"id": "b", "source_type": "public_dataset", "modality": "text", "size": {"tokens": 3.0e7}, "collection_period": {"end": "2025-02-01"}},
            {"id": "e", "role": "eval", "source_type": "public_dataset", "modality": "text", "size": {"tokens": 1.0e12}, "acquired_at": "2026-01-01"}
        ]});
        let d = derive(&json!({}), &declared, &[]);
        let tc = &d["training_content"];
        assert_eq!(tc["bands"]["text"], "mid");
        assert_eq!(tc["bands"]["image"], Value::Null);
        assert_eq!(tc["large_public_datasets"].as_array().unwrap().len(), 1);
        assert_eq!(tc["large_public_datasets"][0]["id"], "a");
        assert_eq!(tc["latest_acquisition"], "2025-02-01");
    }

    #[test]
    fn the_modification_ratio_uses_the_base_compute() {
        let declared = json!({
            "model": {"base_models": [{"name": "base", "training_flops": 3.0e24}]},
            "training": {"compute": {"modification_flops": 1.0e20}}
        });
        let d = derive(&json!({}), &declared, &[]);
        assert_eq!(d["base"]["count"], 1);
        assert_eq!(d["base"]["any_systemic"], false);
        let ratio = d["base"]["modification_ratio"].as_f64().unwrap();
        assert!((ratio - 1.0e20 / 3.0e24).abs() < 1e-12);
    }

    #[test]
    fn a_base_figure_of_unknown_status_is_no_known_compute() {
        let declared = json!({
            "model": {"base_models": [
                {"name": "a", "training_flops": 3.0e24, "training_flops_status": "unknown"},
                {"name": "b", "training_flops": 2.0e23, "training_flops_status": "published"}
            ]},
            "training": {"compute": {"modification_flops": 1.0e20}}
        });
        let d = derive(&json!({}), &declared, &[]);
        assert_eq!(d["base"]["training_flops"], 2.0e23);
        let ratio = d["base"]["modification_ratio"].as_f64().unwrap();
        assert!((ratio - 1.0e20 / 2.0e23).abs() < 1e-12);
    }

    #[test]
    fn documents_are_checked_against_the_release() {
        let good = "a".repeat(64);
        let declared = json!({
            "copyright": {"policy": {"uri": "docs/copyright.md", "sha256": good}},
            "docs": {"technical_documentation": {"uri": "docs/annex-xi.pdf", "sha256": "b".repeat(64)},
                     "downstream_info": {"uri": "https://example.com/annex-xii"}},
            "gdpr": {"dpia": {"uri": "docs/missing.pdf", "sha256": good}},
            "datasets": [{"id": "web", "lia": {"uri": "docs/lia.pdf"}, "path": "data/web"}]
        });
        let files = json!([
            {"path": "docs/copyright.md", "sha256": good, "size": 10},
            {"path": "docs/annex-xi.pdf", "sha256": "c".repeat(64), "size": 10},
            {"path": "docs/lia.pdf", "sha256": good, "size": 10},
            {"path": "data/web/part-0.jsonl", "sha256": good, "size": 100}
        ]);
        let d = derive(&json!({}), &declared, &FileView::from_json(&files));
        let status: BTreeMap<String, String> = d["documents"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["field"].as_str().unwrap().to_owned(),
                    r["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(status["copyright.policy"], "matches");
        assert_eq!(status["docs.technical_documentation"], "mismatch");
        assert_eq!(status["docs.downstream_info"], "external_no_digest");
        assert_eq!(status["gdpr.dpia"], "missing");
        assert_eq!(status["datasets[0].lia"], "no_digest");
        assert_eq!(d["dataset_paths"][0]["status"], "present");
        assert_eq!(d["dataset_paths"][0]["bytes"], 100);
    }
}
