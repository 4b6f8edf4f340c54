//! The GGUF inspector against the reference Python package `gguf` 0.19: `GGUFWriter` writes
//! real files (every metadata value type, `F32`, `F16`, `BF16`, `I32` and `Q8_0` tensors, one
//! tensor of every type the package knows, a custom alignment, a big-endian file, a hostile chat
//! template), and `GGUFReader` reports what they hold. scelle's facts must agree with the
//! reader's values.

use std::path::Path;
use std::process::Command;

use scelle::inspect::source::Source;
use scelle::inspect::{FileInfo, Format, Inspection, Kind, inspect};
use scelle::manifest::RelPath;
use serde_json::{Value, json};

use crate::common::python;

/// Writes the files into `sys.argv[1]`, then prints what `GGUFReader` reads from each as JSON.
const SCRIPT: &str = r#"
import hashlib, json, sys
from pathlib import Path
import numpy as np
import gguf
from gguf import GGUFWriter, GGUFReader, GGMLQuantizationType as Q, GGUFEndian, LlamaFileType

out = Path(sys.argv[1])

def write(w):
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

rng = np.random.default_rng(0)
w = GGUFWriter(out / "full.gguf", "llama")
w.add_uint8("test.u8", 200)
w.add_int8("test.i8", -5)
w.add_uint16("test.u16", 60000)
w.add_int16("test.i16", -30000)
w.add_uint32("test.u32", 4000000000)
w.add_int32("test.i32", -2000000000)
w.add_float32("test.f32", 0.5)
w.add_uint64("test.u64", 2**63)
w.add_int64("test.i64", -2**62)
w.add_float64("test.f64", 1e-300)
w.add_bool("test.bool", True)
w.add_string("test.string", "héllo")
w.add_array("test.ints", [1, 2, 3])
w.add_array("test.floats", [0.25, 0.5])
w.add_array("test.strings", ["a", "bc", ""])
w.add_array("test.bools", [True, False])
w.add_name("Tiny Llama")
w.add_author("Example Lab")
w.add_version("v1.1")
w.add_organization("example")
w.add_basename("tiny-llama")
w.add_finetune("instruct")
w.add_size_label("1K")
w.add_license("apache-2.0")
w.add_url("https://example.org/tiny")
w.add_repo_url("https://example.org/tiny.git")
w.add_description("A tiny model. " * 200)
w.add_tags(["text-generation", "tiny"])
w.add_languages(["en", "fr"])
w.add_base_model_count(2)
w.add_base_model_name(0, "Base A")
w.add_base_model_name(1, "Base B")
w.add_dataset_count(1)
w.add_dataset_name(0, "Corpus X")
w.add_file_type(LlamaFileType.MOSTLY_Q8_0)
w.add_quantization_version(gguf.GGML_QUANT_VERSION)
w.add_context_length(2048)
w.add_embedding_length(64)
w.add_block_count(2)
w.add_head_count(4)
w.add_head_count_kv(2)
w.add_expert_count(8)
w.add_uint16("split.no", 0)
w.add_uint16("split.count", 1)
w.add_tokenizer_model("llama")
w.add_token_list([f"tok{i}" for i in range(300)])
w.add_token_scores([float(i) for i in range(300)])
w.add_chat_template("{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}")
w.add_tensor("token_embd.weight", rng.standard_normal((3, 32), dtype=np.float32))
w.add_tensor("blk.0.attn_norm.weight", rng.standard_normal((64,), dtype=np.float32).astype(np.float16))
w.add_tensor("blk.0.attn_q.weight", gguf.quants.quantize(rng.standard_normal((4, 64), dtype=np.float32), Q.Q8_0), raw_dtype=Q.Q8_0)
w.add_tensor("output.weight", gguf.quants.quantize(rng.standard_normal((2, 16), dtype=np.float32), Q.BF16), raw_dtype=Q.BF16)
w.add_tensor("blk.0.ids", np.arange(10, dtype=np.int32))
write(w)

w = GGUFWriter(out / "aligned.gguf", "qwen2")
w.add_custom_alignment(64)
w.add_tensor("a", np.ones((5,), dtype=np.float32))
w.add_tensor("b", np.ones((7, 3), dtype=np.float16))
write(w)

# One tensor of every type the package knows, two rows of 256 elements, raw bytes of the
# package's own size for the type: scelle's type table must give the same layout.
w = GGUFWriter(out / "alltypes.gguf", "llama")
w.add_quantization_version(gguf.GGML_QUANT_VERSION)
for qt, (block, size) in gguf.GGML_QUANT_SIZES.items():
    if qt != Q.Q8_1:
        w.add_tensor(f"t.{qt.name}", np.zeros((2, 256 // block * size), dtype=np.uint8), raw_dtype=qt)
write(w)

# The package still sizes a Q8_1 block at 40 bytes (two floats); ggml's `block_q8_1` holds two
# halves, 36 bytes, so ggml computes a different offset for the tensor after it.
w = GGUFWriter(out / "q8_1.gguf", "llama")
w.add_quantization_version(gguf.GGML_QUANT_VERSION)
w.add_tensor("q", np.zeros((2, 256 // 32 * 40), dtype=np.uint8), raw_dtype=Q.Q8_1)
w.add_tensor("f", np.ones((8,), dtype=np.float32))
write(w)

w = GGUFWriter(out / "big.gguf", "llama", endianess=GGUFEndian.BIG)
w.add_context_length(512)
w.add_tensor("a", np.ones((4, 8), dtype=np.float32))
w.add_tensor("b", np.ones((16,), dtype=np.float16))
write(w)

w = GGUFWriter(out / "hostile.gguf", "llama")
w.add_chat_template("{{ cycler['__in' ~ 'it__']['__glo' ~ 'bals__']['os']['popen']('id').read() }}")
w.add_tensor("a", np.ones((8,), dtype=np.float32))
write(w)

ref = {}
for name in ["full", "aligned", "alltypes", "q8_1", "big", "hostile"]:
    r = GGUFReader(out / f"{name}.gguf")
    fields = {k: f.contents() for k, f in r.fields.items() if not k.startswith("GGUF.")}
    types, params = {}, {}
    for t in r.tensors:
        types[t.tensor_type.name] = types.get(t.tensor_type.name, 0) + 1
        params[t.tensor_type.name] = params.get(t.tensor_type.name, 0) + int(t.n_elements)
    entry = {
        "version": int(r.fields["GGUF.version"].contents()),
        "tensor_count": len(r.tensors),
        "metadata_count": int(r.fields["GGUF.kv_count"].contents()),
        "parameters": sum(int(t.n_elements) for t in r.tensors),
        "tensor_types": types,
        "parameters_by_type": params,
        "alignment": int(r.alignment),
        "big_endian": r.endianess == GGUFEndian.BIG,
        "data_end": max(int(t.data_offset) + int(t.n_bytes) for t in r.tensors),
        "offsets": {t.name: int(t.data_offset - r.data_offset) for t in r.tensors},
        "fields": {k: v for k, v in fields.items() if not (isinstance(v, list) and len(v) > 64)},
    }
    if "general.file_type" in fields:
        entry["file_type_name"] = LlamaFileType(fields["general.file_type"]).name
    if "tokenizer.chat_template" in fields:
        entry["chat_template_sha256"] = hashlib.sha256(fields["tokenizer.chat_template"].encode()).hexdigest()
    ref[name] = entry
print(json.dumps(ref))
"#;

/// Writes the reference files into `dir` and returns what `GGUFReader` says of each.
fn reference(dir: &Path) -> Value {
    let out = Command::new(python())
        .arg("-c")
        .arg(SCRIPT)
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the gguf script failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Inspects the first `len` bytes of `path` (all of it by default) as scelle's scan does.
fn scelle_inspect(path: &Path, len: Option<usize>) -> Inspection {
    let mut bytes = std::fs::read(path).unwrap();
    bytes.truncate(len.unwrap_or(bytes.len()));
    let cut = path.with_extension("cut");
    std::fs::write(&cut, &bytes).unwrap();
    let file = std::fs::File::open(&cut).unwrap();
    let size = file.metadata().unwrap().len();
    let head = &bytes[..bytes.len().min(64)];
    let rel = RelPath::new("m.gguf").unwrap();
    let info = FileInfo {
        path: &rel,
        size,
        head,
        lines: None,
    };
    inspect(&info, Source::file(&file, size))
}

/// The (rule, severity, message) of each finding.
fn findings(inspection: &Inspection) -> Vec<(String, String, String)> {
    inspection
        .findings
        .iter()
        .map(|f| {
            (
                f.rule.clone(),
                f.severity.as_str().to_owned(),
                f.message.clone(),
            )
        })
        .collect()
}

/// The facts every GGUF file gives, compared with the reader's.
fn assert_common_facts(name: &str, inspection: &Inspection, reference: &Value) {
    let facts = &inspection.facts;
    assert_eq!(inspection.format, Format::Gguf, "{name}");
    assert_eq!(inspection.kind, Kind::Weights, "{name}");
    for key in [
        "version",
        "tensor_count",
        "metadata_count",
        "parameters",
        "tensor_types",
        "parameters_by_type",
        "alignment",
    ] {
        assert_eq!(facts.get(key), Some(&reference[key]), "{name}: `{key}`");
    }
    let fields = &reference["fields"];
    assert_eq!(
        facts["architecture"], fields["general.architecture"],
        "{name}"
    );
    let big = facts.get("byte_order") == Some(&json!("big-endian"));
    assert_eq!(big, reference["big_endian"], "{name}: byte order");
}

#[test]
fn facts_agree_with_the_reference_reader() {
    let dir = tempfile::tempdir().unwrap();
    let reference = reference(dir.path());
    for name in ["full", "aligned", "alltypes", "q8_1", "big", "hostile"] {
        let inspection = scelle_inspect(&dir.path().join(format!("{name}.gguf")), None);
        assert_common_facts(name, &inspection, &reference[name]);
    }
}

#[test]
fn recorded_metadata_matches_the_reference_values() {
    let dir = tempfile::tempdir().unwrap();
    let reference = &reference(dir.path())["full"];
    let inspection = scelle_inspect(&dir.path().join("full.gguf"), None);
    let facts = &inspection.facts;
    let fields = &reference["fields"];
    for (fact, key) in [
        ("name", "general.name"),
        ("author", "general.author"),
        ("model_version", "general.version"),
        ("organization", "general.organization"),
        ("basename", "general.basename"),
        ("finetune", "general.finetune"),
        ("size_label", "general.size_label"),
        ("license", "general.license"),
        ("url", "general.url"),
        ("repo_url", "general.repo_url"),
        ("tags", "general.tags"),
        ("languages", "general.languages"),
        ("quantization_version", "general.quantization_version"),
        ("context_length", "llama.context_length"),
        ("embedding_length", "llama.embedding_length"),
        ("block_count", "llama.block_count"),
        ("head_count", "llama.attention.head_count"),
        ("head_count_kv", "llama.attention.head_count_kv"),
        ("expert_count", "llama.expert_count"),
        ("tokenizer_model", "tokenizer.ggml.model"),
    ] {
        assert_eq!(facts.get(fact), Some(&fields[key]), "`{fact}` from `{key}`");
    }
    // Long text is cut at 1024 bytes (the reference text is ASCII).
    let description = fields["general.description"].as_str().unwrap();
    assert!(description.len() > 1024);
    assert_eq!(facts["description"], format!("{}…", &description[..1024]));
    assert_eq!(
        facts["base_models"],
        json!([
            fields["general.base_model.0.name"],
            fields["general.base_model.1.name"]
        ])
    );
    assert_eq!(facts["datasets"], json!([fields["general.dataset.0.name"]]));
    assert_eq!(
        facts["file_type"],
        json!({"id": fields["general.file_type"], "name": reference["file_type_name"]})
    );
    assert_eq!(
        facts["split"],
        json!({"no": fields["split.no"], "count": fields["split.count"]})
    );
    assert_eq!(
        facts["chat_template_sha256"],
        reference["chat_template_sha256"]
    );
    assert!(
        !facts.contains_key("tokenizer_tokens")
            && facts.values().all(|v| v.to_string().len() < 4096),
        "no large array is kept"
    );
    let template = fields["tokenizer.chat_template"].as_str().unwrap();
    assert_eq!(
        findings(&inspection),
        [(
            "file/note".to_owned(),
            "info".to_owned(),
            format!(
                "`tokenizer.chat_template` is a Jinja template ({} bytes) that loaders run to format chats",
                template.len()
            )
        )]
    );
}

#[test]
fn every_tensor_type_the_reference_writes_has_the_same_layout() {
    let dir = tempfile::tempdir().unwrap();
    let reference = &reference(dir.path())["alltypes"];
    let inspection = scelle_inspect(&dir.path().join("alltypes.gguf"), None);
    // A size that differed from the writer's would show as an offset or end-of-file finding.
    assert_eq!(findings(&inspection), []);
    assert_eq!(
        inspection.facts["tensor_types"].as_object().unwrap().len(),
        reference["tensor_types"].as_object().unwrap().len()
    );
}

#[test]
fn a_q8_1_tensor_is_sized_as_ggml_sizes_it() {
    let dir = tempfile::tempdir().unwrap();
    let reference = &reference(dir.path())["q8_1"];
    let inspection = scelle_inspect(&dir.path().join("q8_1.gguf"), None);
    assert_eq!(inspection.facts["parameters"], reference["parameters"]);
    let written = &reference["offsets"]["f"];
    assert_eq!(
        written, 640,
        "the package's offset for the tensor after Q8_1"
    );
    assert_eq!(
        findings(&inspection),
        [(
            "file/nonconforming".to_owned(),
            "warning".to_owned(),
            format!(
                "tensor `f` has offset {written}, expected 576: it leaves a gap before it (ggml refuses the file)"
            )
        )]
    );
}

#[test]
fn a_big_endian_file_is_read_and_noted() {
    let dir = tempfile::tempdir().unwrap();
    let reference = &reference(dir.path())["big"];
    assert_eq!(reference["big_endian"], true);
    let inspection = scelle_inspect(&dir.path().join("big.gguf"), None);
    assert_eq!(
        inspection.facts["context_length"],
        reference["fields"]["llama.context_length"]
    );
    assert_eq!(
        findings(&inspection),
        [(
            "file/note".to_owned(),
            "info".to_owned(),
            "big-endian GGUF file: ggml refuses it on little-endian hosts".to_owned()
        )]
    );
}

#[test]
fn a_template_injection_payload_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    reference(dir.path());
    let inspection = scelle_inspect(&dir.path().join("hostile.gguf"), None);
    let errors: Vec<_> = findings(&inspection)
        .into_iter()
        .filter(|(rule, severity, _)| rule == "file/code-on-load" && severity == "error")
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    // No byte of the file spells `__init__` or `__globals__`: the names are built when the
    // template is rendered.
    assert!(
        errors[0].2.starts_with("`tokenizer.chat_template` escapes Jinja's sandbox: an item key that can be `__init__` (line 1, column 11), an item key that can be `__globals__` (line 1, column 28)"),
        "{errors:?}"
    );
}

#[test]
fn a_file_cut_inside_the_tensor_data_is_malformed_exactly_there() {
    let dir = tempfile::tempdir().unwrap();
    let reference = &reference(dir.path())["full"];
    let path = dir.path().join("full.gguf");
    let data_end = usize::try_from(reference["data_end"].as_u64().unwrap()).unwrap();
    let whole = scelle_inspect(&path, Some(data_end));
    assert!(
        whole.findings.iter().all(|f| f.rule != "file/malformed"),
        "the reader's data end is enough: {:?}",
        findings(&whole)
    );
    for len in [data_end - 1, data_end / 2, 1000, 100, 30, 10] {
        let cut = scelle_inspect(&path, Some(len));
        let malformed: Vec<_> = cut
            .findings
            .iter()
            .filter(|f| f.rule == "file/malformed" && f.severity.as_str() == "error")
            .collect();
        assert_eq!(malformed.len(), 1, "cut at {len}: {:?}", findings(&cut));
    }
}
