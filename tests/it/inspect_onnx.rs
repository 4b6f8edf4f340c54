//! The ONNX inspector against models written by the reference `onnx` package (1.23.2, in the
//! reference environment): a model with raw-data initializers, a custom-domain node and
//! `metadata_props`; the same model saved with its tensors in one external file and in one file
//! per tensor; and a model whose external data points outside its folder. The expected facts
//! come from `onnx.load` in Python, never from scelle.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use scelle::finding::Severity;
use scelle::inspect::source::Source;
use scelle::inspect::{FileInfo, Format, Inspection, Kind, inspect, rules};
use scelle::manifest::RelPath;
use serde_json::Value;

use crate::common::python;

/// Writes the models into `sys.argv[1]` and prints, per model, what `onnx.load` reads from it,
/// with the inspector's fact names and only the fields the file sets.
const WRITE_MODELS: &str = r#"
import json, math, os, sys
from collections import Counter

import numpy as np
import onnx
from onnx import TensorProto, external_data_helper, helper

out = sys.argv[1]


def make_graph(name):
    # `w` is 1 MiB of raw data, more than the inspector's read buffer: it must be skipped.
    w = helper.make_tensor("w", TensorProto.FLOAT, [512, 512],
                           np.arange(512 * 512, dtype=np.float32).tobytes(), raw=True)
    h = helper.make_tensor("h", TensorProto.FLOAT16, [4, 5, 6],
                           np.zeros(120, dtype=np.float16).tobytes(), raw=True)
    b = helper.make_tensor("b", TensorProto.INT64, [3], [1, 2, 3])
    s = helper.make_tensor("s", TensorProto.DOUBLE, [], [0.5])
    nodes = [
        helper.make_node("MatMul", ["x", "w"], ["y"]),
        helper.make_node("Relu", ["y"], ["z"]),
        helper.make_node("Relu", ["z"], ["z2"]),
        helper.make_node("MyOp", ["z2"], ["out"], domain="com.example.ops"),
    ]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 512])]
    outputs = [helper.make_tensor_value_info("out", TensorProto.FLOAT, [1, 512])]
    return helper.make_graph(nodes, name, inputs, outputs, initializer=[w, h, b, s])


def make_model(name):
    model = helper.make_model(
        make_graph(name),
        producer_name="scelle-tests",
        producer_version="0.1",
        opset_imports=[helper.make_opsetid("", 21), helper.make_opsetid("com.example.ops", 1)],
    )
    model.model_version = 7
    helper.set_model_props(model, {"license": "apache-2.0", "author": "scelle"})
    return model


def describe(path):
    m = onnx.load(path, load_external_data=False)
    g = m.graph
    facts = {}
    for field in ["ir_version", "producer_name", "producer_version", "domain", "model_version"]:
        if m.HasField(field):
            facts[field] = getattr(m, field)
    inits = list(g.initializer)
    external = {}
    for t in inits:
        if external_data_helper.uses_external_data(t):
            info = external_data_helper.ExternalDataInfo(t)
            e = external.setdefault(info.location, {"tensors": 0, "length": 0})
            e["tensors"] += 1
            e["length"] += info.length
    facts.update({
        "graph_name": g.name,
        "opset_import": [{"domain": o.domain or "ai.onnx", "version": o.version} for o in m.opset_import],
        "node_count": len(g.node),
        "op_types": dict(Counter(n.op_type for n in g.node)),
        "initializer_count": len(inits),
        "parameters": sum(math.prod(t.dims) for t in inits),
        "initializer_dtypes": dict(Counter(TensorProto.DataType.Name(t.data_type) for t in inits)),
    })
    elements = Counter()
    for t in inits:
        elements[TensorProto.DataType.Name(t.data_type)] += math.prod(t.dims)
    if elements:
        facts["dtypes"] = dict(elements)
    custom = sorted({n.domain for n in g.node} - {"", "ai.onnx", "ai.onnx.ml"})
    if custom:
        facts["custom_domains"] = custom
    if m.metadata_props:
        facts["metadata_keys"] = sorted(p.key for p in m.metadata_props)
    if external:
        facts["external_data"] = [{"location": k, **v} for k, v in sorted(external.items())]
    return facts


reference = {}

onnx.save_model(make_model("plain_graph"), os.path.join(out, "plain.onnx"))
reference["plain.onnx"] = describe(os.path.join(out, "plain.onnx"))

onnx.save_model(make_model("one_file_graph"), os.path.join(out, "one_file.onnx"),
                save_as_external_data=True, all_tensors_to_one_file=True,
                location="one_file.onnx.data", size_threshold=0)
reference["one_file.onnx"] = describe(os.path.join(out, "one_file.onnx"))

os.mkdir(os.path.join(out, "per_tensor"))
onnx.save_model(make_model("per_tensor_graph"), os.path.join(out, "per_tensor", "model.onnx"),
                save_as_external_data=True, all_tensors_to_one_file=False, size_threshold=0)
reference["per_tensor/model.onnx"] = describe(os.path.join(out, "per_tensor", "model.onnx"))

# External data one folder up, written by hand: `onnx` itself would not save it.
os.mkdir(os.path.join(out, "escaping"))
with open(os.path.join(out, "outside.bin"), "wb") as f:
    f.write(bytes(16))
tensor = TensorProto()
tensor.name = "stolen"
tensor.data_type = TensorProto.FLOAT
tensor.dims.extend([4])
for key, value in [("location", "../outside.bin"), ("offset", "0"), ("length", "16")]:
    entry = tensor.external_data.add()
    entry.key = key
    entry.value = value
tensor.data_location = TensorProto.EXTERNAL
graph = helper.make_graph([helper.make_node("Identity", ["stolen"], ["out"])], "escaping_graph", [],
                          [helper.make_tensor_value_info("out", TensorProto.FLOAT, [4])],
                          initializer=[tensor])
path = os.path.join(out, "escaping", "model.onnx")
with open(path, "wb") as f:
    f.write(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)]).SerializeToString())
reference["escaping/model.onnx"] = describe(path)
try:
    onnx.load(path)
    reference["escaping_onnx_load"] = "accepted"
except Exception as e:
    reference["escaping_onnx_load"] = f"{type(e).__name__}: {e}"

print(json.dumps(reference))
"#;

/// Writes the reference models into `dir` and returns what `onnx` reads from them.
fn reference_models(dir: &Path) -> serde_json::Map<String, Value> {
    let out = Command::new(python())
        .arg("-c")
        .arg(WRITE_MODELS)
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the onnx reference script failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    match serde_json::from_slice(&out.stdout).unwrap() {
        Value::Object(map) => map,
        other => panic!("unexpected reference output: {other}"),
    }
}

/// Runs the library's inspector on a file, the way the scan does.
fn inspect_file(path: &Path) -> Inspection {
    use std::os::unix::fs::FileExt;
    let file = std::fs::File::open(path).unwrap();
    let size = file.metadata().unwrap().len();
    let mut head = vec![0u8; usize::try_from(size.min(1024)).unwrap()];
    file.read_exact_at(&mut head, 0).unwrap();
    let info = FileInfo {
        path: &RelPath::new("model.onnx").unwrap(),
        size,
        head: &head,
        lines: None,
    };
    inspect(&info, Source::file(&file, size))
}

/// The findings as `(rule, severity, message)`.
fn findings(inspection: &Inspection) -> Vec<(String, Severity, String)> {
    inspection
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.severity, f.message.clone()))
        .collect()
}

fn facts(inspection: &Inspection) -> Value {
    Value::Object(
        inspection
            .facts
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

#[test]
fn onnx_models_written_by_the_reference_package() {
    let dir = tempfile::tempdir().unwrap();
    let reference = reference_models(dir.path());
    let custom = (
        rules::SUSPICIOUS_IMPORT.to_owned(),
        Severity::Warning,
        "nodes use operators outside the ONNX standard, in `com.example.ops`: loading needs a runtime that implements them, usually a custom-op library (native code)".to_owned(),
    );

    let mut seen = BTreeMap::new();
    for name in ["plain.onnx", "one_file.onnx", "per_tensor/model.onnx"] {
        let inspection = inspect_file(&dir.path().join(name));
        assert_eq!(
            (inspection.kind, inspection.format),
            (Kind::Weights, Format::Onnx)
        );
        assert_eq!(facts(&inspection), reference[name], "facts of {name}");
        seen.insert(name, findings(&inspection));
    }

    assert_eq!(seen["plain.onnx"], std::slice::from_ref(&custom));
    assert_eq!(
        seen["one_file.onnx"],
        [
            custom.clone(),
            (
                rules::NOTE.to_owned(),
                Severity::Info,
                "tensors are stored in 1 external data file that must sit beside the model: `one_file.onnx.data`".to_owned()
            )
        ]
    );
    assert_eq!(
        seen["per_tensor/model.onnx"],
        [
            custom,
            (
                rules::NOTE.to_owned(),
                Severity::Info,
                "tensors are stored in 2 external data files that must sit beside the model: `h`, `w`".to_owned()
            )
        ]
    );
}

#[test]
fn onnx_external_data_outside_the_model_folder_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let reference = reference_models(dir.path());
    // The reference loader refuses the model for the same reason.
    let verdict = reference["escaping_onnx_load"].as_str().unwrap();
    assert!(
        verdict.starts_with("ValidationError") && verdict.contains("points outside the directory"),
        "{verdict}"
    );

    let path = dir.path().join("escaping/model.onnx");
    let inspection = inspect_file(&path);
    assert_eq!(facts(&inspection), reference["escaping/model.onnx"]);
    let escaping: Vec<_> = inspection
        .findings
        .iter()
        .filter(|f| f.rule == rules::ESCAPING_REFERENCE)
        .collect();
    assert_eq!(escaping.len(), 1, "{:?}", inspection.findings);
    assert_eq!(escaping[0].severity, Severity::Error);
    assert_eq!(
        escaping[0].message,
        "external data `location` `../outside.bin` has a `..` component: loading would read a file outside the model's folder"
    );
    // The offset points at the `location` value in the file.
    let bytes = std::fs::read(&path).unwrap();
    let at = usize::try_from(escaping[0].location.as_ref().unwrap().byte_offset.unwrap()).unwrap();
    assert_eq!(&bytes[at + 2..at + 2 + 14], b"../outside.bin");
}

#[test]
fn a_truncated_reference_model_is_malformed_and_keeps_its_header_facts() {
    let dir = tempfile::tempdir().unwrap();
    let reference = reference_models(dir.path());
    let path = dir.path().join("plain.onnx");
    let bytes = std::fs::read(&path).unwrap();
    // Cut in the middle of the 1 MiB `raw_data`.
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let inspection = inspect_file(&path);
    let expected = &reference["plain.onnx"];
    for key in [
        "ir_version",
        "producer_name",
        "producer_version",
        "model_version",
    ] {
        assert_eq!(inspection.facts.get(key), expected.get(key), "{key}");
    }
    assert!(!inspection.facts.contains_key("node_count"));
    let found = findings(&inspection);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].0.as_str(), found[0].1),
        (rules::MALFORMED, Severity::Error)
    );
    assert!(
        found[0].2.contains("bytes declared, but only"),
        "{}",
        found[0].2
    );
}
