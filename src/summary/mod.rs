//! The release-level view: the model summary (parameters, dtypes, architecture, formats
//! present), the dataset summary, and the checks that need several files at once (a shard index
//! against its shards).
//!
//! A release often ships one model several times, and adding every weight file up would count
//! it several times over. Parameters are therefore counted once per format, and within a format:
//! - files with the same digest (a copy, a symbolic link followed inside the release) are one;
//! - files that are parts of one copy add up: the shards an index (`*.index.json`) names, the
//!   `-00001-of-00003` parts of one name, `consolidated.00`/`consolidated.01` checkpoints;
//! - copies that are alternatives of each other are variants and only one counts: separate sets
//!   in one folder (`model.onnx` beside `model_O4.onnx` and `model_qint8_avx512.onnx`,
//!   `model.safetensors` beside `model.fp16.safetensors`), export folders (`onnx/`, `openvino/`)
//!   counted as the folder they sit in, and GGUF files of one architecture wherever they are
//!   (quantisations). The variant that counts is the one with the most bytes (the least
//!   quantised), then the most parameters, then the first name;
//! - sets in different folders are parts of one model (a pipeline's `unet/` and
//!   `text_encoder/`, a sentence-transformers `2_Dense/` layer) and add up, as GGUF files of
//!   different architectures do (a vision projector beside its language model).
//!
//! The model's count is the count of the preferred format, and its dtypes and `parameter_files`
//! describe the same files.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::finding::{Finding, Location, Severity};
use crate::manifest::FileRecord;
use crate::vocab::{Format, Kind, Sha256Digest, rules};

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

/// Folders that hold another export of the model in the folder above (the sentence-transformers
/// and Optimum layouts): their files are variants of that folder's, not further parts.
const EXPORT_FOLDERS: [&str; 2] = ["onnx", "openvino"];

/// The model summary recorded in `predicate.model`.
#[derive(Debug, Default, Serialize)]
pub struct ModelSummary {
    /// Weight formats present.
    pub formats: Vec<Format>,
    /// Parameters per weight format, each counted once (see the module documentation).
    pub parameters: BTreeMap<String, u64>,
    /// The parameter count of the preferred format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameter_source: Option<Format>,
    /// The files whose tensors make up `parameter_count`, sorted.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parameter_files: Vec<String>,
    /// Parameters (tensor elements) per dtype, over `parameter_files`.
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
    let indexed = indexed_shards(files);
    let counted = distinct(&weights, &indexed);
    let mut per_format: BTreeMap<Format, (u64, Vec<&FileRecord>)> = BTreeMap::new();
    for &format in &formats {
        let of_format: Vec<&FileRecord> = counted
            .iter()
            .copied()
            .filter(|f| f.format == format)
            .collect();
        if let Some(count) = count_once(&of_format, &indexed) {
            summary
                .parameters
                .insert(format.as_str().to_owned(), count.0);
            per_format.insert(format, count);
        }
    }
    if let Some((primary, (count, files))) = PRIMARY
        .into_iter()
        .find_map(|p| per_format.remove(&p).map(|c| (p, c)))
    {
        summary.parameter_count = Some(count);
        summary.parameter_source = Some(primary);
        for f in &files {
            add_dtypes(f, &mut summary.dtypes);
        }
        summary.parameter_files = files.iter().map(|f| f.path.to_string()).collect();
        summary.parameter_files.sort();
    }
    summary.formats = formats;
    summary.architecture = config.cloned().or_else(|| gguf_architecture(&weights));
    Some(summary)
}

/// Adds a file's tensor elements per dtype (`parameters_by_type` in GGUF, `dtypes` elsewhere,
/// `dtype` for a single `.npy` array).
fn add_dtypes(f: &FileRecord, dtypes: &mut BTreeMap<String, u64>) {
    let key = if f.format == Format::Gguf {
        "parameters_by_type"
    } else {
        "dtypes"
    };
    if let Some(Value::Object(map)) = f.facts.get(key) {
        for (dtype, n) in map {
            let total = dtypes.entry(dtype.clone()).or_default();
            *total = total.saturating_add(n.as_u64().unwrap_or(0));
        }
    } else if let (Some(dtype), Some(n)) = (
        f.facts.get("dtype").and_then(Value::as_str),
        fact_u64(f, "parameters"),
    ) {
        let total = dtypes.entry(dtype.to_owned()).or_default();
        *total = total.saturating_add(n);
    }
}

/// Each shard named by a shard index, with the index naming it (the first by path when two
/// name the same file).
fn indexed_shards(files: &[FileRecord]) -> BTreeMap<String, String> {
    let mut shards = BTreeMap::new();
    for index in files {
        let Some(Value::Object(listed)) = index.facts.get("index_shards") else {
            continue;
        };
        let folder = folder_of(index.path.as_str());
        for shard in listed.keys() {
            shards
                .entry(format!("{folder}{shard}"))
                .or_insert_with(|| index.path.to_string());
        }
    }
    shards
}

/// `a/b/` for `a/b/c`, empty at the top.
fn folder_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..=i])
}

/// The set a file belongs to: the index that names it, its name without the shard number, or
/// the file alone. The flag says whether the set can hold several files.
fn set_key(f: &FileRecord, indexed: &BTreeMap<String, String>) -> (String, bool) {
    let path = f.path.as_str();
    if let Some(index) = indexed.get(path) {
        return (format!("index {index}"), true);
    }
    match shard_set_name(f.path.file_name()) {
        Some(name) => (format!("parts {}{name}", folder_of(path)), true),
        None => (format!("file {path}"), false),
    }
}

/// The name of the set a shard's name says it is part of: `model-00001-of-00003.safetensors`
/// is part of `model-of-00003.safetensors`, `consolidated.01.pth` of `consolidated.pth`.
fn shard_set_name(name: &str) -> Option<String> {
    for (at, _) in name
        .match_indices("-of-")
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        let (before, after) = (&name[..at], &name[at + 4..]);
        let count = after.bytes().take_while(u8::is_ascii_digit).count();
        let number = before.bytes().rev().take_while(u8::is_ascii_digit).count();
        if count == 0 || number == 0 {
            continue;
        }
        if let Some(stem) = before[..before.len() - number].strip_suffix('-') {
            return Some(format!("{stem}-of-{after}"));
        }
    }
    let rest = name.strip_prefix("consolidated.")?;
    let number = rest.bytes().take_while(u8::is_ascii_digit).count();
    let ext = rest[number..].strip_prefix('.')?;
    (number > 0).then(|| format!("consolidated.{ext}"))
}

/// The weight files whose parameters can count: one per content. Of files with the same digest,
/// those of the first multi-file set are kept (two shards of one set may happen to be equal; an
/// alias of a shard is not another part), else the first by path.
fn distinct<'a>(
    weights: &[&'a FileRecord],
    indexed: &BTreeMap<String, String>,
) -> Vec<&'a FileRecord> {
    let mut by_digest: BTreeMap<Sha256Digest, Vec<&FileRecord>> = BTreeMap::new();
    for &f in weights
        .iter()
        .filter(|f| f.facts.contains_key("parameters"))
    {
        by_digest.entry(f.sha256).or_default().push(f);
    }
    let mut kept = Vec::new();
    for group in by_digest.into_values() {
        let keys: Vec<(bool, String)> = group
            .iter()
            .map(|f| {
                let (key, multi) = set_key(f, indexed);
                (!multi, key)
            })
            .collect();
        if let Some(first) = keys.iter().min() {
            kept.extend(
                group
                    .iter()
                    .zip(&keys)
                    .filter(|(_, k)| *k == first)
                    .map(|(f, _)| *f),
            );
        }
    }
    kept.sort_by(|a, b| a.path.cmp(&b.path));
    kept
}

/// One copy of (a part of) the model in one format: files that add up.
#[derive(Debug, Default)]
struct Set<'a> {
    files: Vec<&'a FileRecord>,
    parameters: u64,
    bytes: u64,
}

/// Where a set sits: sets of one component are variants, components add up. Only the first
/// part of a GGUF split set names the architecture, so a set takes the first one its files name.
fn component(set: &Set<'_>) -> String {
    let Some(first) = set.files.first() else {
        return String::new();
    };
    if first.format == Format::Gguf {
        let arch = set
            .files
            .iter()
            .find_map(|f| f.facts.get("architecture").and_then(Value::as_str));
        return format!("gguf {}", arch.unwrap_or_default());
    }
    let parts: Vec<&str> = first.path.components().collect();
    let folders = &parts[..parts.len().saturating_sub(1)];
    folders
        .iter()
        .filter(|c| !EXPORT_FOLDERS.contains(&c.to_ascii_lowercase().as_str()))
        .fold(String::new(), |acc, c| acc + c + "/")
}

/// Bytes a file stands for: its size, and for ONNX the external data its tensors name.
fn bytes_of(f: &FileRecord) -> u64 {
    let external: u64 = f
        .facts
        .get("external_data")
        .and_then(Value::as_array)
        .map_or(0, |list| {
            list.iter()
                .filter_map(|e| e.get("length").and_then(Value::as_u64))
                .fold(0, u64::saturating_add)
        });
    f.size.saturating_add(external)
}

/// The parameters of one format counted once, and the files that make them up.
fn count_once<'a>(
    files: &[&'a FileRecord],
    indexed: &BTreeMap<String, String>,
) -> Option<(u64, Vec<&'a FileRecord>)> {
    let mut sets: BTreeMap<String, Set<'a>> = BTreeMap::new();
    for &f in files {
        let Some(n) = fact_u64(f, "parameters") else {
            continue;
        };
        let set = sets.entry(set_key(f, indexed).0).or_default();
        set.files.push(f);
        set.parameters = set.parameters.saturating_add(n);
        set.bytes = set.bytes.saturating_add(bytes_of(f));
    }
    let mut components: BTreeMap<String, Vec<(String, Set<'a>)>> = BTreeMap::new();
    for (key, set) in sets {
        components
            .entry(component(&set))
            .or_default()
            .push((key, set));
    }
    if components.is_empty() {
        return None;
    }
    let mut total = 0u64;
    let mut counted = Vec::new();
    for variants in components.into_values() {
        // The map is ordered by key, so `Reverse(key)` makes the first name win a tie.
        if let Some((_, set)) = variants
            .into_iter()
            .max_by_key(|(key, set)| (set.bytes, set.parameters, Reverse(key.clone())))
        {
            total = total.saturating_add(set.parameters);
            counted.extend(set.files);
        }
    }
    Some((total, counted))
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

#[cfg(test)]
mod tests;
