//! The model's parameters counted once, against the reference libraries: a release holding one
//! small model as safetensors shards with their index, a link to a shard, a copy of a shard, an
//! fp32 ONNX export beside an int8 quantisation of it, two GGUF quantisations and a GGUF
//! vocabulary. `safetensors`, `onnx` and `gguf` read the files back, and numpy's element counts
//! are the expected numbers.

use serde_json::Value;

use crate::common::{Release, python, run};

/// Writes the release into `sys.argv[1]` and prints, per format, the expected count, files and
/// elements per dtype, as the reference libraries read them.
const SCRIPT: &str = r#"
import json, math, os, sys
from pathlib import Path
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
import gguf
from gguf import GGUFWriter, GGUFReader, GGMLQuantizationType as Q
from safetensors.numpy import save_file, load_file

root = Path(sys.argv[1])
rng = np.random.default_rng(9)
ST_NAMES = {"float32": "F32", "float16": "F16", "int64": "I64"}

# One model: two layers and a `position_ids` buffer, as transformers saves it.
tensors = {
    "embed.weight": rng.standard_normal((50, 32), dtype=np.float32),
    "embed.position_ids": np.arange(32, dtype=np.int64).reshape(1, 32),
    "layer.0.weight": rng.standard_normal((32, 32), dtype=np.float32).astype(np.float16),
    "layer.0.bias": rng.standard_normal((32,), dtype=np.float32),
    "head.weight": rng.standard_normal((8, 32), dtype=np.float32),
}

# safetensors: two shards and their index, a link to the first shard, a copy of the second.
shards = {
    "model-00001-of-00002.safetensors": ["embed.weight", "embed.position_ids"],
    "model-00002-of-00002.safetensors": ["layer.0.weight", "layer.0.bias", "head.weight"],
}
weight_map = {}
for name, keys in shards.items():
    save_file({k: tensors[k] for k in keys}, str(root / name))
    weight_map.update({k: name for k in keys})
total = sum(t.nbytes for t in tensors.values())
(root / "model.safetensors.index.json").write_text(
    json.dumps({"metadata": {"total_size": total}, "weight_map": weight_map}))
os.symlink("model-00001-of-00002.safetensors", root / "model.safetensors")
(root / "backup").mkdir()
(root / "backup" / "second-shard.safetensors").write_bytes(
    (root / "model-00002-of-00002.safetensors").read_bytes())

def elements_by_dtype(arrays, name_of):
    by = {}
    for a in arrays:
        by[name_of(a)] = by.get(name_of(a), 0) + int(a.size)
    return by

expected = {}
loaded = [a for name in shards for a in load_file(str(root / name)).values()]
expected["safetensors"] = {
    "count": sum(int(a.size) for a in loaded),
    "files": sorted(shards),
    "dtypes": elements_by_dtype(loaded, lambda a: ST_NAMES[a.dtype.name]),
}

# ONNX: an fp32 export and an int8 quantisation of it (weights as int8 with a scale and zero
# point each, dequantised in the graph), side by side in `onnx/`.
(root / "onnx").mkdir()
float_weights = {k: v.astype(np.float32) for k, v in tensors.items() if k != "embed.position_ids"}
def export(path, quantise):
    inits, nodes = [], []
    for name, w in float_weights.items():
        if quantise:
            scale = np.float32(np.abs(w).max() / 127)
            q = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
            inits += [numpy_helper.from_array(q, name + "_q"),
                      numpy_helper.from_array(np.array(scale, dtype=np.float32), name + "_scale"),
                      numpy_helper.from_array(np.array(0, dtype=np.int8), name + "_zero")]
            nodes.append(helper.make_node("DequantizeLinear",
                                          [name + "_q", name + "_scale", name + "_zero"], [name]))
        else:
            inits.append(numpy_helper.from_array(w, name))
    inits.append(numpy_helper.from_array(tensors["embed.position_ids"], "position_ids"))
    nodes.append(helper.make_node("Identity", ["head.weight"], ["out"]))
    graph = helper.make_graph(nodes, "g", [], [helper.make_tensor_value_info("out", TensorProto.FLOAT, [8, 32])],
                              initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    onnx.checker.check_model(model)
    onnx.save_model(model, str(path))

export(root / "onnx" / "model.onnx", False)
export(root / "onnx" / "model_qint8_avx512.onnx", True)
onnx_counts = {}
for name in ["model.onnx", "model_qint8_avx512.onnx"]:
    arrays = [numpy_helper.to_array(t) for t in onnx.load(str(root / "onnx" / name)).graph.initializer]
    onnx_counts[name] = {
        "count": sum(int(a.size) for a in arrays),
        "files": [name],
        "dtypes": elements_by_dtype(arrays, lambda a: TensorProto.DataType.Name(helper.np_dtype_to_tensor_dtype(a.dtype))),
        "bytes": (root / "onnx" / name).stat().st_size,
    }
# The variant with the most bytes counts (the documented rule).
expected["onnx"] = max(onnx_counts.values(), key=lambda v: v["bytes"])
expected["onnx_variants"] = onnx_counts

# GGUF: two quantisations of the same tensors, and a vocabulary without tensors.
(root / "gguf").mkdir()
def write_gguf(path, qtype):
    w = GGUFWriter(path, "llama")
    w.add_block_count(1)
    for name, t in float_weights.items():
        if qtype == Q.Q8_0 and t.shape[-1] % 32 == 0:
            w.add_tensor(name, gguf.quants.quantize(t, Q.Q8_0), raw_dtype=Q.Q8_0)
        else:
            w.add_tensor(name, t)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
write_gguf(root / "gguf" / "tiny-F32.gguf", Q.F32)
write_gguf(root / "gguf" / "tiny-Q8_0.gguf", Q.Q8_0)
w = GGUFWriter(root / "gguf" / "ggml-vocab-tiny.gguf", "llama")
w.add_tokenizer_model("llama")
w.add_token_list([f"tok{i}" for i in range(50)])
w.write_header_to_file()
w.write_kv_data_to_file()
w.write_tensors_to_file()
w.close()
gguf_counts = {}
for name in ["tiny-F32.gguf", "tiny-Q8_0.gguf", "ggml-vocab-tiny.gguf"]:
    r = GGUFReader(root / "gguf" / name)
    by = {}
    for t in r.tensors:
        by[t.tensor_type.name] = by.get(t.tensor_type.name, 0) + int(t.n_elements)
    gguf_counts[name] = {
        "count": sum(int(t.n_elements) for t in r.tensors),
        "files": [name],
        "dtypes": by,
        "bytes": (root / "gguf" / name).stat().st_size,
    }
expected["gguf"] = max((v for v in gguf_counts.values() if v["count"] > 0), key=lambda v: v["bytes"])
expected["gguf_variants"] = gguf_counts
print(json.dumps(expected))
"#;

fn reference(root: &std::path::Path) -> Value {
    let out = std::process::Command::new(python())
        .arg("-c")
        .arg(SCRIPT)
        .arg(root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the reference script failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The model summary of a scan of `dir`.
fn summary_of(dir: &std::path::Path) -> Value {
    let scan = run(&["scan", dir.to_str().unwrap(), "--allow-symlinks"]);
    assert_eq!(scan.code, 0, "{}", scan.stderr);
    assert_eq!(scan.stderr, "");
    scan.json()["predicate"]["model"].clone()
}

#[test]
fn a_release_with_shards_aliases_and_exports_is_counted_once() {
    let r = Release::new();
    let expected = reference(r.path());

    let scan = run(&["scan", r.path().to_str().unwrap(), "--allow-symlinks"]);
    assert_eq!(scan.code, 0, "{}", scan.stderr);
    assert_eq!(scan.stderr, "");
    let manifest = scan.json();
    let model = &manifest["predicate"]["model"];
    let st = &expected["safetensors"];
    // The link to the first shard and the copy of the second are the same content: they add
    // nothing. The shards add up; safetensors is the preferred format.
    assert_eq!(model["parameter_source"], "safetensors");
    assert_eq!(model["parameter_count"], st["count"]);
    assert_eq!(model["parameter_files"], st["files"]);
    assert_eq!(model["dtypes"], st["dtypes"]);
    // The buffer `position_ids` is a tensor of the file: it is counted.
    assert!(model["dtypes"]["I64"].as_u64().unwrap() > 0);
    // ONNX: the int8 quantisation is a variant of the fp32 export, not another part.
    assert_eq!(model["parameters"]["onnx"], expected["onnx"]["count"]);
    // GGUF: the quantisations are variants, the vocabulary is no weights.
    assert_eq!(model["parameters"]["gguf"], expected["gguf"]["count"]);
    let vocab = manifest["predicate"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == "gguf/ggml-vocab-tiny.gguf")
        .unwrap();
    assert_eq!(
        expected["gguf_variants"]["ggml-vocab-tiny.gguf"]["count"],
        0
    );
    assert_eq!(vocab["kind"], "tokenizer");
    assert_eq!(vocab["format"], "gguf");
    // Every weight file is still listed: the link, the copy and every variant.
    assert_eq!(model["weights_files"], 8);
    // The human report states the same count.
    let table = run(&[
        "scan",
        r.path().to_str().unwrap(),
        "--allow-symlinks",
        "--format",
        "table",
    ]);
    assert_eq!((table.code, table.stderr.as_str()), (0, ""));
    let count = st["count"].as_u64().unwrap();
    assert!(
        (1000..1_000_000).contains(&count),
        "the thousands below assume it"
    );
    let shown = format!("{},{:03}", count / 1000, count % 1000);
    assert!(
        table
            .stdout
            .contains(&format!("  parameters   {shown} (safetensors)\n")),
        "{}",
        table.stdout
    );

    // `init` proposes the count once too (it takes no links, so the link goes first).
    std::fs::remove_file(r.path().join("model.safetensors")).unwrap();
    let init = run(&["init", r.path().to_str().unwrap(), "-o", "-"]);
    assert_eq!((init.code, init.stderr.as_str()), (0, ""));
    assert!(
        init.stdout.contains(&format!(
            "    total: {count}  # from the weights (scanned)\n"
        )),
        "{}",
        init.stdout
    );

    // Each export alone: the count, its files and its dtypes describe the same variant.
    let onnx = summary_of(&r.path().join("onnx"));
    assert_eq!(onnx["parameter_source"], "onnx");
    assert_eq!(onnx["parameter_count"], expected["onnx"]["count"]);
    assert_eq!(onnx["parameter_files"], expected["onnx"]["files"]);
    assert_eq!(onnx["dtypes"], expected["onnx"]["dtypes"]);
    let gguf = summary_of(&r.path().join("gguf"));
    assert_eq!(gguf["parameter_source"], "gguf");
    assert_eq!(gguf["parameter_count"], expected["gguf"]["count"]);
    assert_eq!(gguf["parameter_files"], expected["gguf"]["files"]);
    assert_eq!(gguf["dtypes"], expected["gguf"]["dtypes"]);
    assert_eq!(gguf["weights_files"], 2, "the vocabulary is not weights");

    // The quantised ONNX model alone shows as quantised: elements per dtype, not initializers.
    let q = Release::new();
    std::fs::copy(
        r.path().join("onnx/model_qint8_avx512.onnx"),
        q.path().join("model_qint8_avx512.onnx"),
    )
    .unwrap();
    let quantised = summary_of(q.path());
    let reference = &expected["onnx_variants"]["model_qint8_avx512.onnx"];
    assert_eq!(quantised["parameter_count"], reference["count"]);
    assert_eq!(quantised["dtypes"], reference["dtypes"]);
    assert_eq!(quantised["parameter_files"], reference["files"]);
}
