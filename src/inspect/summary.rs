//! The release-level view: the model summary (parameters per format, dtypes, architecture,
//! formats present), the dataset summary, and the checks that need several files at once
//! (a shard index against its shards).
//!
//! Parameters are reported per format because a release may ship one model several times
//! (safetensors for transformers, GGUF for llama.cpp): adding them up would double the count.
//! Within GGUF, files of one split set add up, while separate files are separate quantisations
//! of one model, so the largest counts.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::{Format, Kind, rules};
use crate::finding::{Finding, Location, Severity};
use crate::manifest::FileRecord;

/// Which format's count is the model's parameter count, in order of preference.
const PRIMARY: [Format; 7] = [
    Format::Safetensors,
    Format::PytorchZip,
    Format::Pickle,
    Format::Gguf,
    Format::Onnx,
    Format::Npz,
    Format::Keras,
];

/// The model summary recorded in `predicate.model`.
#[derive(Debug, Default, Serialize)]
pub struct ModelSummary {
    /// Weight formats present.
    pub formats: Vec<Format>,
    /// Parameters per weight format.
    pub parameters: BTreeMap<String, u64>,
    /// The parameter count of the preferred format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter_source: Option<Format>,
    /// Parameters per dtype, in the preferred format.
    pub dtypes: BTreeMap<String, u64>,
    pub weights_files: u64,
    pub weights_bytes: u64,
    /// From the top-level `config.json`, else from the GGUF header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub architecture: Option<Value>,
}

/// One dataset (a top-level folder of dataset files, or a dataset file at the top).
#[derive(Debug, Default, Serialize)]
pub struct DatasetSummary {
    pub path: String,
    pub files: u64,
    pub bytes: u64,
    /// Records or lines counted, where the formats give them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<u64>,
    pub formats: Vec<Format>,
}

fn fact_u64(f: &FileRecord, key: &str) -> Option<u64> {
    f.facts.get(key).and_then(Value::as_u64)
}

/// The model summary, or `None` when the release has no weights and no config.
pub fn model(files: &[FileRecord]) -> Option<ModelSummary> {
    let weights: Vec<&FileRecord> = files.iter().filter(|f| f.kind == Kind::Weights).collect();
    let config = files
        .iter()
        .find(|f| f.path.as_str() == "config.json")
        .and_then(|f| f.facts.get("architecture"));
    if weights.is_empty() && config.is_none() {
        return None;
    }
    let mut summary = ModelSummary {
        weights_files: weights.len() as u64,
        weights_bytes: weights.iter().map(|f| f.size).sum(),
        ..ModelSummary::default()
    };
    let mut formats: Vec<Format> = weights.iter().map(|f| f.format).collect();
    formats.sort();
    formats.dedup();
    for &format in &formats {
        let of_format: Vec<&FileRecord> = weights
            .iter()
            .copied()
            .filter(|f| f.format == format)
            .collect();
        let count = if format == Format::Gguf {
            gguf_parameters(&of_format)
        } else {
            sum(&of_format)
        };
        if let Some(count) = count {
            summary.parameters.insert(format.as_str().to_owned(), count);
        }
    }
    if let Some(primary) = PRIMARY
        .into_iter()
        .find(|p| summary.parameters.contains_key(p.as_str()))
    {
        summary.parameter_count = summary.parameters.get(primary.as_str()).copied();
        summary.parameter_source = Some(primary);
        let dtype_key = if primary == Format::Gguf {
            "parameters_by_type"
        } else {
            "dtypes"
        };
        for f in weights.iter().filter(|f| f.format == primary) {
            if let Some(Value::Object(map)) = f.facts.get(dtype_key) {
                for (dtype, n) in map {
                    *summary.dtypes.entry(dtype.clone()).or_default() += n.as_u64().unwrap_or(0);
                }
            }
        }
    }
    summary.formats = formats;
    summary.architecture = config.cloned().or_else(|| gguf_architecture(&weights));
    Some(summary)
}

fn sum(files: &[&FileRecord]) -> Option<u64> {
    let counts: Vec<u64> = files
        .iter()
        .filter_map(|f| fact_u64(f, "parameters"))
        .collect();
    (!counts.is_empty()).then(|| counts.iter().fold(0u64, |a, b| a.saturating_add(*b)))
}

/// GGUF: split sets add up; separate files are variants of one model, so the largest counts.
fn gguf_parameters(files: &[&FileRecord]) -> Option<u64> {
    let mut sets: BTreeMap<String, u64> = BTreeMap::new();
    for f in files {
        let Some(n) = fact_u64(f, "parameters") else {
            continue;
        };
        let name = f.path.as_str();
        let key = match f.facts.get("split") {
            // `model-00001-of-00003.gguf`: the set is the name without its part number.
            Some(_) => name
                .rsplit_once("-0")
                .map_or(name, |(base, _)| base)
                .to_owned(),
            None => name.to_owned(),
        };
        let total = sets.entry(key).or_default();
        *total = total.saturating_add(n);
    }
    sets.values().copied().max()
}

fn gguf_architecture(weights: &[&FileRecord]) -> Option<Value> {
    let f = weights.iter().find(|f| f.format == Format::Gguf)?;
    let mut arch = serde_json::Map::new();
    for (from, to) in [
        ("architecture", "model_type"),
        ("block_count", "layers"),
        ("embedding_length", "hidden_size"),
        ("head_count", "attention_heads"),
        ("head_count_kv", "kv_heads"),
        ("context_length", "context_length"),
    ] {
        if let Some(v) = f.facts.get(from) {
            arch.insert(to.to_owned(), v.clone());
        }
    }
    (!arch.is_empty()).then_some(Value::Object(arch))
}

/// Datasets: dataset files grouped by their top-level folder.
pub fn datasets(files: &[FileRecord]) -> Vec<DatasetSummary> {
    let mut groups: BTreeMap<String, DatasetSummary> = BTreeMap::new();
    for f in files.iter().filter(|f| f.kind == Kind::Dataset) {
        let top = f.path.components().next().unwrap_or_default();
        let path = if f.path.as_str() == top {
            top.to_owned()
        } else {
            format!("{top}/")
        };
        let group = groups
            .entry(path.clone())
            .or_insert_with(|| DatasetSummary {
                path,
                ..DatasetSummary::default()
            });
        group.files += 1;
        group.bytes += f.size;
        if let Some(n) = fact_u64(f, "records")
            .or_else(|| fact_u64(f, "rows"))
            .or_else(|| fact_u64(f, "lines"))
        {
            group.records = Some(group.records.unwrap_or(0).saturating_add(n));
        }
        if !group.formats.contains(&f.format) {
            group.formats.push(f.format);
            group.formats.sort();
        }
    }
    groups.into_values().collect()
}

/// Checks each shard index (`*.index.json`) against the shards it names, adding findings to
/// the index's record.
pub fn check_indexes(files: &mut [FileRecord]) {
    let shards: BTreeMap<String, (u64, u64)> = files
        .iter()
        .filter_map(|f| {
            Some((
                f.path.to_string(),
                (
                    fact_u64(f, "tensors")?,
                    fact_u64(f, "data_bytes").unwrap_or(0),
                ),
            ))
        })
        .collect();
    for index in files
        .iter_mut()
        .filter(|f| f.facts.contains_key("index_shards"))
    {
        let folder = index
            .path
            .as_str()
            .rsplit_once('/')
            .map(|(d, _)| format!("{d}/"))
            .unwrap_or_default();
        let mut findings = Vec::new();
        let mut total = 0u64;
        let listed: BTreeMap<String, u64> = index
            .facts
            .get("index_shards")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default();
        for (shard, expected) in &listed {
            match shards.get(&format!("{folder}{shard}")) {
                None => findings.push((Severity::Error, format!("shard `{shard}` named in the index is not in the release (or is not a readable safetensors file)"))),
                Some((tensors, bytes)) => {
                    total += bytes;
                    if tensors != expected {
                        findings.push((Severity::Error, format!("the index maps {expected} tensors to `{shard}`, which holds {tensors}")));
                    }
                }
            }
        }
        if let Some(declared) = fact_u64(index, "index_total_size")
            && findings.is_empty()
            && declared != total
        {
            findings.push((Severity::Warning, format!("the index declares `total_size` {declared}, but its shards hold {total} bytes of tensors")));
        }
        for (severity, message) in findings {
            let mut f = Finding::fail(rules::NONCONFORMING, severity, message)
                .with_subject(index.path.to_string());
            f.location = Some(Location {
                file: index.path.to_string(),
                line: None,
                column: None,
                byte_offset: None,
            });
            index.findings.push(f);
        }
    }
}
