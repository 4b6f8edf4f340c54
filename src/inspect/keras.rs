//! Keras models: whether loading one runs code.
//!
//! A `.keras` file is a zip holding `config.json` (the model's layers) and the weights. A Lambda
//! layer carries marshalled Python bytecode that loading runs (CVE-2024-3660); `safe_mode` has
//! been bypassed through modules outside the `keras` namespace (CVE-2025-1550) and registered
//! custom objects need code that is not in the file. Every object of the config is walked.
//! Legacy HDF5 (`.h5`) files cannot be parsed without the C library; a bounded byte scan of their
//! first megabytes finds the model config's JSON, and its findings say they are heuristic.

use std::collections::BTreeMap;

use serde_json::Value;

use super::source::{Malformed, Source};
use super::{Report, rules, zip};
use crate::finding::Severity;

/// Largest `config.json` read.
const MAX_CONFIG: u64 = 64 * 1024 * 1024;
/// Bytes of an HDF5 file scanned for the model config.
const H5_SCAN: u64 = 16 * 1024 * 1024;
/// Objects walked in a config (a large model has thousands of layers, not millions).
const MAX_OBJECTS: usize = 1_000_000;

/// What the walk of a config found.
#[derive(Debug, Default)]
struct Walk {
    layers: BTreeMap<String, u64>,
    lambdas: Vec<String>,
    foreign_modules: Vec<String>,
    custom_objects: Vec<String>,
    tf_saved_model_layers: u64,
    objects: usize,
}

fn walk(value: &Value, out: &mut Walk, depth: usize) {
    out.objects += 1;
    if out.objects > MAX_OBJECTS || depth > 256 {
        return;
    }
    match value {
        Value::Object(map) => {
            let class = map.get("class_name").and_then(Value::as_str);
            if let Some(class) = class {
                if map.contains_key("config") {
                    *out.layers.entry(class.to_owned()).or_default() += 1;
                }
                let name = map
                    .get("config")
                    .and_then(|c| c.get("name"))
                    .and_then(Value::as_str)
                    .unwrap_or(class);
                match class {
                    "Lambda" => out.lambdas.push(name.to_owned()),
                    "TFSMLayer" => out.tf_saved_model_layers += 1,
                    "function" => out.lambdas.push(format!("function {name}")),
                    _ => {}
                }
            }
            if let Some(module) = map.get("module").and_then(Value::as_str) {
                let trusted =
                    module == "keras" || module.starts_with("keras.") || module == "builtins";
                if !trusted && !out.foreign_modules.iter().any(|m| m == module) {
                    out.foreign_modules.push(module.to_owned());
                }
            }
            if let Some(registered) = map.get("registered_name").and_then(Value::as_str) {
                // Built-in objects register under their class name; custom ones as `package>Name`.
                if registered.contains('>') && !out.custom_objects.iter().any(|c| c == registered) {
                    out.custom_objects.push(registered.to_owned());
                }
            }
            for v in map.values() {
                walk(v, out, depth + 1);
            }
        }
        Value::Array(items) => {
            for v in items {
                walk(v, out, depth + 1);
            }
        }
        _ => {}
    }
}

fn record(config: &Value, heuristic: bool, report: &mut Report) {
    let mut w = Walk::default();
    walk(config, &mut w, 0);
    let how = if heuristic {
        " (found by a byte scan of the HDF5 file)"
    } else {
        ""
    };
    report.fact(
        "model_class",
        config
            .get("class_name")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    );
    report.fact("layers", w.layers.values().sum::<u64>());
    report.fact("layer_classes", &w.layers);
    if !w.lambdas.is_empty() {
        report.note(
            rules::CODE_ON_LOAD,
            Severity::Error,
            format!(
                "Lambda layers ({}): loading them runs the Python bytecode they carry{how}",
                w.lambdas.join(", ")
            ),
            None,
        );
    }
    if !w.foreign_modules.is_empty() {
        report.note(
            rules::SUSPICIOUS_IMPORT,
            Severity::Error,
            format!(
                "the config imports modules outside `keras` ({}){how}",
                w.foreign_modules
                    .iter()
                    .map(|m| format!("`{m}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None,
        );
    }
    if !w.custom_objects.is_empty() {
        report.note(
            rules::REMOTE_CODE,
            Severity::Warning,
            format!(
                "custom objects ({}) need code that is not in the file{how}",
                w.custom_objects.join(", ")
            ),
            None,
        );
    }
    if w.tf_saved_model_layers > 0 {
        report.note(
            rules::CODE_ON_LOAD,
            Severity::Warning,
            format!(
                "{} `TFSMLayer` layers load a TensorFlow SavedModel from elsewhere{how}",
                w.tf_saved_model_layers
            ),
            None,
        );
    }
}

/// A Keras 3 `.keras` archive.
pub fn inspect_keras(source: Source<'_>, report: &mut Report) -> Result<(), Malformed> {
    let archive = zip::read(source)?;
    // Python's `zipfile` maps each name to its last central entry: with duplicates, Keras
    // reads the last one, and so does this reader.
    if let Some(meta) = archive
        .entries
        .iter()
        .rev()
        .find(|e| e.name == "metadata.json")
    {
        let member = zip::open(source, meta, 1024 * 1024)?;
        let bytes = member
            .source()
            .read(0, member.source().size(), "metadata.json")?;
        if let Ok(v) = serde_json::from_slice::<Value>(&bytes)
            && let Some(version) = v.get("keras_version").and_then(Value::as_str)
        {
            report.fact("keras_version", version);
        }
    }
    let Some(entry) = archive
        .entries
        .iter()
        .rev()
        .find(|e| e.name == "config.json")
    else {
        return Err(Malformed::new(0, "no `config.json` in the archive"));
    };
    let member = zip::open(source, entry, MAX_CONFIG)?;
    let bytes = member
        .source()
        .read(0, member.source().size(), "config.json")?;
    let config: Value = serde_json::from_slice(&bytes).map_err(|e| {
        Malformed::new(entry.data_offset, format!("`config.json` is not JSON: {e}"))
    })?;
    record(&config, false, report);
    // The weights (`model.weights.h5` or `.npz`) and assets: any member a loader could
    // unpickle is scanned as in every zip.
    super::torch::inspect_zip(source, false, report)
}

/// A legacy HDF5 (`.h5`) Keras model: the `model_config` attribute is found by scanning for its
/// JSON text, because HDF5 itself needs a C library to parse.
pub fn inspect_h5(source: Source<'_>, report: &mut Report) -> Result<(), Malformed> {
    let bytes = source.read(0, source.size().min(H5_SCAN), "HDF5 start")?;
    let Some(start) = find(&bytes, b"{\"class_name\"") else {
        report.fact("keras_config", false);
        return Ok(());
    };
    // The attribute is one JSON document: take the longest prefix that parses.
    let mut stream = serde_json::Deserializer::from_slice(&bytes[start..]).into_iter::<Value>();
    if let Some(Ok(config)) = stream.next() {
        report.fact("keras_config", true);
        record(&config, true, report);
    } else {
        report.fact("keras_config", false);
        if find(&bytes, b"\"Lambda\"").is_some() {
            report.note(
                rules::CODE_ON_LOAD,
                Severity::Warning,
                "the file mentions a Lambda layer, but its model config could not be read (byte scan of the HDF5 file)",
                None,
            );
        }
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(haystack, needle)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inspect::zip::tests::make_zip;

    #[test]
    fn a_lambda_layer_and_a_foreign_module_are_findings() {
        let config = br#"{"module": "keras", "class_name": "Sequential", "config": {"layers": [
            {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d"}, "registered_name": null},
            {"module": "keras.layers", "class_name": "Lambda", "config": {"name": "evil", "function": {"class_name": "__lambda__", "config": {"code": "4wEAAA=="}}}},
            {"module": "os", "class_name": "system", "config": {"name": "x"}},
            {"module": "mylib", "class_name": "Block", "config": {"name": "b"}, "registered_name": "mylib>Block"}
        ]}}"#;
        let zip = make_zip(&[
            ("metadata.json", br#"{"keras_version": "3.8.0"}"#),
            ("config.json", config),
        ]);
        let mut report = Report::default();
        inspect_keras(Source::bytes(&zip), &mut report).unwrap();
        assert_eq!(report.facts["keras_version"], "3.8.0");
        assert_eq!(report.facts["model_class"], "Sequential");
        let messages: Vec<&str> = report.notes.iter().map(|n| n.message.as_str()).collect();
        assert!(
            messages.iter().any(|m| m.contains("Lambda layers (evil)")),
            "{messages:?}"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.contains("`os`") && m.contains("`mylib`")),
            "{messages:?}"
        );
        assert!(
            messages.iter().any(|m| m.contains("mylib>Block")),
            "{messages:?}"
        );
    }

    #[test]
    fn a_plain_model_has_no_findings() {
        let config = br#"{"module": "keras", "class_name": "Sequential", "config": {"layers": [{"module": "keras.layers", "class_name": "Dense", "config": {"name": "d"}}]}}"#;
        let zip = make_zip(&[("config.json", config)]);
        let mut report = Report::default();
        inspect_keras(Source::bytes(&zip), &mut report).unwrap();
        assert!(report.notes.is_empty(), "{:?}", report.notes);
        assert_eq!(report.facts["layers"], 2);
    }

    #[test]
    fn h5_config_is_found_by_scanning() {
        let mut file = b"\x89HDF\r\n\x1a\n".to_vec();
        file.extend([0u8; 100]);
        file.extend(br#"{"class_name": "Functional", "config": {"layers": [{"class_name": "Lambda", "config": {"name": "l"}}]}}"#);
        file.extend([0u8; 50]);
        let mut report = Report::default();
        inspect_h5(Source::bytes(&file), &mut report).unwrap();
        assert_eq!(report.facts["keras_config"], true);
        assert!(
            report.notes[0]
                .message
                .contains("byte scan of the HDF5 file")
        );
    }
}
