//! The counting rules of the model summary, one test per rule, on hand-made file records.

use serde_json::json;

use super::*;
use crate::vocab::RelPath;

/// A weight file record: its digest is `content` repeated, its facts as given.
fn weights(path: &str, format: Format, content: u8, size: u64, facts: &Value) -> FileRecord {
    FileRecord {
        path: RelPath::new(path).unwrap(),
        size,
        sha256: Sha256Digest([content; 32]),
        kind: Kind::Weights,
        format,
        facts: facts
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        findings: Vec::new(),
    }
}

fn st(path: &str, content: u8, size: u64, dtypes: &Value) -> FileRecord {
    let n: u64 = dtypes
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    weights(
        path,
        Format::Safetensors,
        content,
        size,
        &json!({"parameters": n, "dtypes": dtypes}),
    )
}

fn index(path: &str, shards: &[&str]) -> FileRecord {
    let listed: serde_json::Map<String, Value> =
        shards.iter().map(|s| ((*s).to_owned(), json!(1))).collect();
    FileRecord {
        kind: Kind::Config,
        format: Format::Json,
        ..weights(
            path,
            Format::Json,
            0xee,
            10,
            &json!({"index_shards": listed}),
        )
    }
}

fn summary(mut files: Vec<FileRecord>) -> ModelSummary {
    files.sort_by(|a, b| a.path.cmp(&b.path));
    model(&files).unwrap()
}

fn dtypes(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
}

#[test]
fn identical_files_count_once() {
    // A copy in another folder (and a link the walk followed, which records the same
    // digest) would otherwise add up as another component.
    let s = summary(vec![
        st("model.safetensors", 1, 400, &json!({"F32": 100})),
        st("backup/model.safetensors", 1, 400, &json!({"F32": 100})),
    ]);
    assert_eq!(s.parameter_count, Some(100));
    assert_eq!(s.parameter_files, ["backup/model.safetensors"]);
    assert_eq!(s.dtypes, dtypes(&[("F32", 100)]));
    assert_eq!(s.weights_files, 2, "every weight file is still listed");
}

#[test]
fn an_alias_of_a_shard_is_not_another_part() {
    let s = summary(vec![
        index(
            "model.safetensors.index.json",
            &["a.safetensors", "b.safetensors"],
        ),
        st("a.safetensors", 1, 400, &json!({"F32": 100})),
        st("b.safetensors", 2, 200, &json!({"F32": 50})),
        // Sorts first, so only the preference for the indexed set keeps the shard.
        st("0.safetensors", 1, 400, &json!({"F32": 100})),
    ]);
    assert_eq!(s.parameter_count, Some(150));
    assert_eq!(s.parameter_files, ["a.safetensors", "b.safetensors"]);
}

#[test]
fn equal_shards_of_one_set_are_both_parts() {
    let s = summary(vec![
        index(
            "model.safetensors.index.json",
            &["a.safetensors", "b.safetensors"],
        ),
        st("a.safetensors", 1, 400, &json!({"F32": 100})),
        st("b.safetensors", 1, 400, &json!({"F32": 100})),
    ]);
    assert_eq!(s.parameter_count, Some(200));
}

#[test]
fn shards_add_up_and_sets_in_one_folder_are_variants() {
    let s = summary(vec![
        st(
            "model-00001-of-00002.safetensors",
            1,
            400,
            &json!({"F32": 100}),
        ),
        st(
            "model-00002-of-00002.safetensors",
            2,
            200,
            &json!({"F32": 50}),
        ),
        st("model.fp16.safetensors", 3, 300, &json!({"F16": 150})),
        // Another folder is another part of the model (a pipeline's text encoder).
        st("text_encoder/model.safetensors", 4, 80, &json!({"F32": 20})),
    ]);
    assert_eq!(s.parameter_count, Some(170));
    assert_eq!(
        s.parameter_files,
        [
            "model-00001-of-00002.safetensors",
            "model-00002-of-00002.safetensors",
            "text_encoder/model.safetensors"
        ]
    );
    assert_eq!(s.dtypes, dtypes(&[("F32", 170)]));
    assert_eq!(s.parameters["safetensors"], 170);
}

#[test]
fn onnx_exports_are_variants_and_the_largest_counts() {
    let onnx = |path: &str, content: u8, size: u64, dtypes: &Value| {
        let n: u64 = dtypes
            .as_object()
            .unwrap()
            .values()
            .filter_map(Value::as_u64)
            .sum();
        weights(
            path,
            Format::Onnx,
            content,
            size,
            &json!({"parameters": n, "initializer_dtypes": {"FLOAT": 3}, "dtypes": dtypes}),
        )
    };
    let s = summary(vec![
        onnx("onnx/model.onnx", 1, 400, &json!({"FLOAT": 100})),
        onnx("onnx/model_O4.onnx", 2, 200, &json!({"FLOAT16": 100})),
        // Quantisation adds scales and zero points: more elements, fewer bytes.
        onnx(
            "onnx/model_qint8_avx512.onnx",
            3,
            120,
            &json!({"INT8": 100, "FLOAT": 5, "UINT8": 5}),
        ),
        // The export folder is counted as the folder above it.
        onnx("model.onnx", 4, 300, &json!({"FLOAT": 100})),
    ]);
    assert_eq!(s.parameter_count, Some(100));
    assert_eq!(s.parameter_source, Some(Format::Onnx));
    assert_eq!(s.parameter_files, ["onnx/model.onnx"]);
    // Elements per dtype, not initializers per dtype.
    assert_eq!(s.dtypes, dtypes(&[("FLOAT", 100)]));
}

#[test]
fn a_quantised_onnx_model_alone_shows_its_dtypes() {
    let s = summary(vec![weights(
        "model_quantized.onnx",
        Format::Onnx,
        1,
        120,
        &json!({"parameters": 110, "initializer_dtypes": {"INT8": 1, "FLOAT": 5, "UINT8": 5},
                "dtypes": {"INT8": 100, "FLOAT": 5, "UINT8": 5}}),
    )]);
    assert_eq!(
        s.dtypes,
        dtypes(&[("FLOAT", 5), ("INT8", 100), ("UINT8", 5)])
    );
}

#[test]
fn external_data_counts_in_a_variants_bytes() {
    let onnx = |path: &str, content: u8, size: u64, extra: &Value| {
        let mut facts = json!({"parameters": 100, "dtypes": {"FLOAT": 100}});
        facts["external_data"] = extra.clone();
        weights(path, Format::Onnx, content, size, &facts)
    };
    let s = summary(vec![
        onnx(
            "model.onnx",
            1,
            2,
            &json!([{"location": "model.onnx_data", "tensors": 1, "length": 400}]),
        ),
        onnx("model_fp16.onnx", 2, 200, &json!(null)),
    ]);
    assert_eq!(s.parameter_count, Some(100));
    assert_eq!(s.parameter_files, ["model.onnx"]);
}

#[test]
fn gguf_quantisations_are_variants_split_sets_add_up_architectures_add_up() {
    let gguf = |path: &str, content: u8, size: u64, arch: Option<&str>, by_type: &Value| {
        let n: u64 = by_type
            .as_object()
            .unwrap()
            .values()
            .filter_map(Value::as_u64)
            .sum();
        let mut facts = json!({"parameters": n, "parameters_by_type": by_type, "tensor_count": 2});
        if let Some(arch) = arch {
            facts["architecture"] = json!(arch);
        }
        weights(path, Format::Gguf, content, size, &facts)
    };
    let s = summary(vec![
        gguf(
            "tiny-Q4_K_M.gguf",
            1,
            60,
            Some("llama"),
            &json!({"Q4_K": 90, "F32": 10}),
        ),
        // Quantisations in their own folders are variants all the same.
        gguf(
            "F16/tiny-F16.gguf",
            2,
            210,
            Some("llama"),
            &json!({"F16": 90, "F32": 10}),
        ),
        // Only the first part of a split set names the architecture.
        gguf(
            "tiny-Q8_0-00001-of-00002.gguf",
            3,
            100,
            Some("llama"),
            &json!({"Q8_0": 50}),
        ),
        gguf(
            "tiny-Q8_0-00002-of-00002.gguf",
            4,
            100,
            None,
            &json!({"Q8_0": 40, "F32": 10}),
        ),
        // A vision projector is another part of the model.
        gguf("mmproj-F16.gguf", 5, 30, Some("clip"), &json!({"F16": 12})),
    ]);
    assert_eq!(s.parameter_count, Some(112));
    assert_eq!(s.parameter_files, ["F16/tiny-F16.gguf", "mmproj-F16.gguf"]);
    assert_eq!(s.dtypes, dtypes(&[("F16", 102), ("F32", 10)]));
}

#[test]
fn a_split_set_wins_over_a_smaller_single_file() {
    let gguf = |path: &str, content: u8, size: u64, arch: Option<&str>| {
        let mut facts = json!({"parameters": 50, "parameters_by_type": {"Q8_0": 50}});
        if let Some(arch) = arch {
            facts["architecture"] = json!(arch);
        }
        weights(path, Format::Gguf, content, size, &facts)
    };
    let s = summary(vec![
        gguf("m-00001-of-00002.gguf", 1, 100, Some("llama")),
        gguf("m-00002-of-00002.gguf", 2, 100, None),
        gguf("m-Q4.gguf", 3, 150, Some("llama")),
    ]);
    assert_eq!(s.parameter_count, Some(100));
    assert_eq!(
        s.parameter_files,
        ["m-00001-of-00002.gguf", "m-00002-of-00002.gguf"]
    );
}

#[test]
fn equal_variants_pick_the_first_name() {
    let s = summary(vec![
        st("b.safetensors", 2, 400, &json!({"F32": 100})),
        st("a.safetensors", 1, 400, &json!({"F32": 100})),
    ]);
    assert_eq!(s.parameter_count, Some(100));
    assert_eq!(s.parameter_files, ["a.safetensors"]);
}

#[test]
fn shard_names() {
    assert_eq!(
        shard_set_name("model-00001-of-00003.safetensors").as_deref(),
        Some("model-of-00003.safetensors")
    );
    assert_eq!(
        shard_set_name("one-of-us-00002-of-00002.gguf").as_deref(),
        Some("one-of-us-of-00002.gguf")
    );
    assert_eq!(
        shard_set_name("consolidated.01.pth").as_deref(),
        Some("consolidated.pth")
    );
    for name in [
        "one-of-us.gguf",
        "model.safetensors",
        "model-of-2.bin",
        "consolidated.pth",
    ] {
        assert_eq!(shard_set_name(name), None, "{name}");
    }
}

#[test]
fn the_preferred_format_gives_count_files_and_dtypes() {
    let s = summary(vec![
        st("model.safetensors", 1, 400, &json!({"BF16": 100})),
        weights(
            "model.gguf",
            Format::Gguf,
            2,
            100,
            &json!({"parameters": 100, "parameters_by_type": {"Q4_K": 100}}),
        ),
    ]);
    assert_eq!(s.parameter_source, Some(Format::Safetensors));
    assert_eq!(s.parameter_files, ["model.safetensors"]);
    assert_eq!(s.dtypes, dtypes(&[("BF16", 100)]));
    assert_eq!(s.parameters["gguf"], 100);
}
