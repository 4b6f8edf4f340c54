//! What `scan` says each file is, checked against the reference libraries that wrote the files
//! (safetensors, numpy, Python's pickle and zipfile in PyTorch's layout), the hostile corpus in
//! `fixtures/bad/files`, and the release-level summaries.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::common::{Release, py_json, run};

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The file records of a scan, by path.
fn records(dir: &Path) -> std::collections::BTreeMap<String, Value> {
    let manifest = run(&["scan", dir.to_str().unwrap()]).success().json();
    manifest["predicate"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_owned(), f.clone()))
        .collect()
}

fn messages(record: &Value) -> Vec<String> {
    record["findings"].as_array().map_or_else(Vec::new, |a| {
        a.iter()
            .map(|f| {
                format!(
                    "{} {}",
                    f["rule"].as_str().unwrap(),
                    f["message"].as_str().unwrap()
                )
            })
            .collect()
    })
}

/// Loads `scripts/make-format-fixtures.py` as a module named `fx` (it has the PyTorch layout).
const LOAD_FIXTURES: &str = r#"
import importlib.util, sys
spec = importlib.util.spec_from_file_location("fx", sys.argv[1])
fx = importlib.util.module_from_spec(spec)
spec.loader.exec_module(fx)
"#;

#[test]
fn safetensors_counts_match_the_reference_library() {
    let r = Release::new();
    let script = r#"
import json, sys, numpy as np
from safetensors.numpy import save_file
from safetensors import safe_open
out = {}
rng = np.random.default_rng(1)
files = {
    "a.safetensors": {"w": rng.standard_normal((7, 3)).astype(np.float32), "b": np.zeros(3, np.float16),
                      "step": np.array(5, dtype=np.int64)},
    "sub/b.safetensors": {"e": np.zeros((2, 2, 2), np.int8), "m": np.ones(9, np.bool_), "d": np.ones(4, np.float64),
                          "u": np.arange(6, dtype=np.uint16), "i": np.arange(2, dtype=np.int32)},
}
for name, tensors in files.items():
    path = sys.argv[1] + "/" + name
    import os; os.makedirs(os.path.dirname(path), exist_ok=True)
    save_file(tensors, path, metadata={"writer": "test", "name": name})
    dtypes, params = {}, 0
    with safe_open(path, "np") as f:
        for key in f.keys():
            s = f.get_slice(key)
            n = int(np.prod(s.get_shape())) if s.get_shape() else 1
            dtypes[s.get_dtype()] = dtypes.get(s.get_dtype(), 0) + n
            params += n
        out[name] = {"tensors": len(f.keys()), "parameters": params, "dtypes": dtypes, "metadata": f.metadata()}
print(json.dumps(out))
"#;
    let expected = py_json(script, &[r.path().to_str().unwrap()]);
    let records = records(r.path());
    for (name, want) in expected.as_object().unwrap() {
        let facts = &records[name]["facts"];
        assert_eq!(facts["tensors"], want["tensors"], "{name}");
        assert_eq!(facts["parameters"], want["parameters"], "{name}");
        assert_eq!(facts["dtypes"], want["dtypes"], "{name}");
        assert_eq!(facts["metadata"], want["metadata"], "{name}");
        assert!(
            messages(&records[name]).is_empty(),
            "{name}: {:?}",
            messages(&records[name])
        );
    }
}

#[test]
fn numpy_arrays_match_numpy() {
    let r = Release::new();
    let script = r#"
import io, json, sys, numpy as np
d = sys.argv[1]
arrays = {"f.npy": np.zeros((3, 4), np.float32), "s.npy": np.array(3, np.int64),
          "fortran.npy": np.asfortranarray(np.ones((2, 5), np.float64)), "strings.npy": np.array(["ab", "cde"])}
out = {}
for name, a in arrays.items():
    np.save(d + "/" + name, a)
    b = np.load(d + "/" + name)
    out[name] = {"dtype": b.dtype.str, "shape": list(b.shape), "elements": int(b.size), "fortran_order": bool(b.flags.f_contiguous and not b.flags.c_contiguous)}
np.savez(d + "/plain.npz", x=np.zeros(10, np.float32), y=np.ones((2, 3), np.int16))
np.savez_compressed(d + "/packed.npz", z=np.arange(100, dtype=np.float64))
for name in ("plain.npz", "packed.npz"):
    z = np.load(d + "/" + name)
    dtypes = {}
    for k in z.files:
        dtypes[z[k].dtype.str] = dtypes.get(z[k].dtype.str, 0) + int(z[k].size)
    out[name] = {"arrays": len(z.files), "parameters": sum(int(z[k].size) for k in z.files), "dtypes": dtypes}
obj = np.empty(2, dtype=object); obj[0] = "text"; obj[1] = [1, 2]
np.save(d + "/objects.npy", obj, allow_pickle=True)
print(json.dumps(out))
"#;
    let expected = py_json(script, &[r.path().to_str().unwrap()]);
    let records = records(r.path());
    for (name, want) in expected.as_object().unwrap() {
        let facts = &records[name]["facts"];
        for (key, value) in want.as_object().unwrap() {
            assert_eq!(&facts[key], value, "{name}: {key}");
        }
    }
    let objects = &records["objects.npy"];
    assert_eq!(objects["facts"]["dtype"], "|O");
    // A list of builtin values: not dangerous, but loading still needs allow_pickle.
    assert_ne!(objects["facts"]["pickle"]["verdict"], "dangerous");
    assert!(
        messages(objects)
            .iter()
            .any(|m| m.contains("needs `allow_pickle=True`")),
        "{:?}",
        messages(objects)
    );
}

#[test]
fn torch_checkpoints_are_weights_only_and_their_parameters_counted() {
    let r = Release::new();
    let script = format!(
        "{LOAD_FIXTURES}{}",
        r#"
import json
from collections import OrderedDict
torch, _ = fx.install_fake_torch()
shapes = {"embed.weight": ([100, 16], torch.HalfStorage), "fc.weight": ([16, 16], torch.FloatStorage),
          "fc.bias": ([16], torch.FloatStorage), "step": ([], torch.LongStorage)}
state, storages = OrderedDict(), []
for i, (name, (shape, kind)) in enumerate(shapes.items()):
    n = 1
    for d in shape: n *= d
    state[name] = fx.Tensor(fx.Storage(kind, str(i), n), shape)
    storages.append((str(i), bytes(n * 4)))
open(sys.argv[2] + "/pytorch_model.bin", "wb").write(fx.torch_zip(state, storages))
total = 0
for shape, _ in shapes.values():
    n = 1
    for d in shape: n *= d
    total += n
print(json.dumps({"tensors": len(shapes), "parameters": total}))
"#
    );
    let expected = py_json(
        &script,
        &[
            repo("scripts/make-format-fixtures.py").to_str().unwrap(),
            r.path().to_str().unwrap(),
        ],
    );
    let record = &records(r.path())["pytorch_model.bin"];
    assert_eq!(record["format"], "pytorch-zip");
    assert_eq!(
        record["facts"]["pickle"]["verdict"], "weights-only",
        "{record}"
    );
    assert_eq!(record["facts"]["tensors"], expected["tensors"]);
    assert_eq!(record["facts"]["parameters"], expected["parameters"]);
    assert_eq!(
        record["facts"]["dtypes"],
        serde_json::json!({"F16": 1600, "F32": 272, "I64": 1})
    );
    assert!(messages(record).is_empty(), "{:?}", messages(record));
}

#[test]
fn malicious_pickles_are_dangerous_and_name_what_they_run() {
    let r = Release::new();
    let script = format!(
        "{LOAD_FIXTURES}{}",
        r#"
import os, pickle, subprocess
from collections import OrderedDict
d = sys.argv[2]
payloads = {"os-system.pkl": (os.system, ("id",), 2), "exec.pkl": (exec, ("1",), 2),
            "popen.pkl": (subprocess.Popen, (["id"],), 3), "stack-global.pkl": (os.system, ("id",), 4),
            "eval-proto5.pkl": (eval, ("1",), 5)}
for name, (fn, args, proto) in payloads.items():
    open(d + "/" + name, "wb").write(pickle.dumps(fx.Command(fn, args), protocol=proto))
torch, _ = fx.install_fake_torch()
hidden = pickle.dumps(fx.Command(os.system, ("id",)), protocol=2)
state = OrderedDict([("w", fx.Tensor(fx.Storage(torch.FloatStorage, "0", 4), [4]))])
open(d + "/hidden.pt", "wb").write(fx.torch_zip(state, [("0", bytes(16))], [("archive/extra.pkl", hidden)]))
print("{}")
"#
    );
    py_json(
        &script,
        &[
            repo("scripts/make-format-fixtures.py").to_str().unwrap(),
            r.path().to_str().unwrap(),
        ],
    );
    let records = records(r.path());
    for (name, global) in [
        ("os-system.pkl", "posix.system"),
        ("exec.pkl", "builtins.exec"),
        ("popen.pkl", "subprocess.Popen"),
        ("stack-global.pkl", "posix.system"),
        ("eval-proto5.pkl", "builtins.eval"),
        ("hidden.pt", "posix.system"),
    ] {
        let record = &records[name];
        assert_eq!(
            record["facts"]["pickle"]["verdict"], "dangerous",
            "{name}: {record}"
        );
        assert!(
            messages(record)
                .iter()
                .any(|m| m.starts_with("file/code-on-load")
                    && m.contains(&format!("calls `{global}`"))),
            "{name}: {:?}",
            messages(record)
        );
    }
    assert!(
        messages(&records["hidden.pt"])
            .iter()
            .any(|m| m.contains("of `archive/extra.pkl`"))
    );
}

/// Each hostile file, the rule it must raise, and words of the message.
#[rustfmt::skip]
const HOSTILE: [(&str, &str, &str); 27] = [
    ("gguf-huge-string.gguf", "file/malformed", "length 1152921504606846976 is over the 1073741824-byte limit"),
    ("gguf-huge-tensor-count.gguf", "file/malformed", "tensor count 1152921504606846976"),
    ("keras-duplicate-config.keras", "file/code-on-load", "Lambda layers (evil)"),
    ("keras-lambda.keras", "file/code-on-load", "Lambda layers (evil)"),
    ("npy-structured-object.npy", "file/code-on-load", "calls `posix.system`"),
    ("lfs-bad-oid.safetensors", "file/malformed", "malformed Git LFS pointer"),
    ("numpy-object-reduce.npy", "file/code-on-load", "calls `posix.system`"),
    ("onnx-external-escape.onnx", "file/escaping-reference", "`../../etc/passwd`"),
    ("parquet-huge-list.parquet", "file/malformed", "1152921504606846976 elements"),
    ("pickle-builtins-exec.pkl", "file/code-on-load", "calls `builtins.exec`"),
    ("pickle-dotted-name.pt", "file/code-on-load", "calls `torch.nn.modules.module:torch.os.system`"),
    ("pickle-gzip.pkl.gz", "file/code-on-load", "calls `posix.system`"),
    ("pickle-nested-load.pt", "file/code-on-load", "the bytes passed to `torch.storage._load_from_bytes`"),
    ("pickle-nested-100000.pkl", "file/nonconforming", "nests 100000 levels deep"),
    ("pickle-os-system.pkl", "file/code-on-load", "calls `posix.system`"),
    ("pickle-protocol0.bin", "file/code-on-load", "calls `posix.system`"),
    ("pickle-stack-global.pkl", "file/code-on-load", "calls `posix.system`"),
    ("pickle-subprocess-popen.pkl", "file/code-on-load", "calls `subprocess.Popen`"),
    ("safetensors-header-beyond-file.safetensors", "file/malformed", "runs past the end of the file"),
    ("safetensors-overlapping-offsets.safetensors", "file/malformed", "overlaps the tensor before it"),
    ("safetensors-truncated-header.safetensors", "file/malformed", "header length"),
    ("tar-legacy-checkpoint.bin", "file/code-on-load", "tar member `pickle`"),
    ("torch-hidden-payload.pt", "file/code-on-load", "of `archive/extra/optimizer.pkl`"),
    ("zip-central-directory-lies.pt", "file/malformed", "does not fit before the end record"),
    ("zip-checkpoint-renamed.dat", "file/code-on-load", "calls `posix.system`"),
    ("zip-encrypted-member.pt", "file/unscannable", "`archive/data.pkl` is marked encrypted"),
    ("zip-local-name-differs.pt", "file/nonconforming", "named `archive/Data.pkl` in its local header"),
];

#[test]
fn hostile_corpus_yields_findings_in_bounded_memory() {
    let bad = repo("fixtures/bad/files");
    // Peak memory of the scan, measured by the child's rusage.
    let script = r#"
import json, resource, subprocess, sys
p = subprocess.run([sys.argv[1], "scan", sys.argv[2]], capture_output=True)
print(json.dumps({"code": p.returncode, "rss_kib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
                  "stdout": p.stdout.decode(), "stderr": p.stderr.decode()}))
"#;
    let out = py_json(
        script,
        &[env!("CARGO_BIN_EXE_scelle"), bad.to_str().unwrap()],
    );
    assert_eq!(out["code"], 0, "{}", out["stderr"]);
    assert!(
        out["rss_kib"].as_u64().unwrap() < 128 * 1024,
        "peak memory {} KiB",
        out["rss_kib"]
    );
    let manifest: Value = serde_json::from_str(out["stdout"].as_str().unwrap()).unwrap();
    let records: std::collections::BTreeMap<&str, &Value> = manifest["predicate"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap(), f))
        .collect();
    assert_eq!(
        records.len(),
        HOSTILE.len(),
        "every hostile file is listed and hashed"
    );
    for (name, rule, needle) in HOSTILE {
        let found = messages(records[name]);
        assert!(
            found
                .iter()
                .any(|m| m.starts_with(rule) && m.contains(needle)),
            "{name}: expected {rule} {needle:?} in {found:?}"
        );
        // What makes a file unsafe or unreadable is an error; only a nonconformity (a file that
        // loads, if oddly) is a warning.
        let severity = records[name]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule && f["message"].as_str().unwrap().contains(needle))
            .map(|f| f["severity"].as_str().unwrap().to_owned());
        let expected = if rule == "file/nonconforming" {
            "warning"
        } else {
            "error"
        };
        assert_eq!(severity.as_deref(), Some(expected), "{name}: {found:?}");
        assert_eq!(
            records[name]["sha256"].as_str().unwrap().len(),
            64,
            "{name} is still hashed"
        );
    }
}

#[test]
fn format_fixtures_are_read_without_findings() {
    let records = records(&repo("fixtures/formats"));
    for (name, record) in &records {
        assert!(
            messages(record).is_empty(),
            "{name}: {:?}",
            messages(record)
        );
    }
    assert_eq!(records["model.gguf"]["facts"]["architecture"], "llama");
    assert_eq!(
        records["model.onnx"]["facts"]["producer_name"],
        "scelle-fixture"
    );
    assert_eq!(records["data.parquet"]["facts"]["rows"], 3);
    assert_eq!(records["train.jsonl"]["facts"]["records"], 2);
    assert_eq!(
        records["train.jsonl"]["facts"]["fields"],
        serde_json::json!(["label", "text"])
    );
    assert_eq!(records["model.keras"]["facts"]["keras_version"], "3.8.0");
    // Plain data, but protocol 4 opcodes (FRAME, MEMOIZE...) that torch's weights-only
    // unpickler refuses: known-safe, not weights-only.
    assert_eq!(
        records["state.pkl"]["facts"]["pickle"]["verdict"],
        "known-safe"
    );
    assert_eq!(
        records["pytorch_model.bin"]["facts"]["pickle"]["verdict"],
        "weights-only"
    );
    // The oldest torch.save format: every pickle of its three members walked in their layout.
    let legacy = &records["legacy-checkpoint.tar"];
    assert_eq!(legacy["format"], "tar");
    assert_eq!(legacy["facts"]["legacy_checkpoint"], true);
    assert_eq!(
        legacy["facts"]["pickle"]["verdict"], "weights-only",
        "{legacy}"
    );
    assert_eq!(legacy["facts"]["pickle"]["pickles"], 7, "{legacy}");
    let gz = &records["state.pkl.gz"];
    assert_eq!(gz["format"], "compressed");
    assert_eq!(gz["facts"]["compression"], "gzip");
    assert_eq!(gz["facts"]["content"], "pickle");
    assert_eq!(gz["facts"]["pickle"]["verdict"], "weights-only", "{gz}");
}

#[test]
fn jsonl_and_csv_record_counts_match_python() {
    let r = Release::new();
    let script = r#"
import json, sys, random
random.seed(3)
d = sys.argv[1]
lines = [json.dumps({"id": i, "text": "x" * random.randint(0, 300)}) for i in range(5000)]
open(d + "/data/train.jsonl", "w").write("\n".join(lines))  # no final newline
open(d + "/data/eval.jsonl", "w").write("\n".join(lines[:123]) + "\n")
open(d + "/data/table.csv", "w").write("id,text\n" + "".join(f"{i},row {i}\n" for i in range(777)))
print(json.dumps({"train.jsonl": 5000, "eval.jsonl": 123, "table.csv": 778}))
"#;
    std::fs::create_dir_all(r.path().join("data")).unwrap();
    let expected = py_json(script, &[r.path().to_str().unwrap()]);
    let records = records(r.path());
    assert_eq!(
        records["data/train.jsonl"]["facts"]["records"],
        expected["train.jsonl"]
    );
    assert_eq!(
        records["data/eval.jsonl"]["facts"]["records"],
        expected["eval.jsonl"]
    );
    assert_eq!(
        records["data/table.csv"]["facts"]["lines"],
        expected["table.csv"]
    );
    assert_eq!(
        records["data/table.csv"]["facts"]["columns"],
        serde_json::json!(["id", "text"])
    );
    let manifest = run(&["scan", r.path().to_str().unwrap()]).success().json();
    let datasets = manifest["predicate"]["datasets"].as_array().unwrap();
    assert_eq!(datasets[0]["path"], "data/");
    assert_eq!(datasets[0]["records"], 5000 + 123 + 778);
}

#[test]
fn lfs_pointers_are_pointers_not_weights() {
    let r = Release::new();
    let oid = crate::common::sha256_hex(b"the real weights");
    r.file(
        "model.safetensors",
        format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 16\n"),
    );
    r.file("config.json", "{}");
    let manifest = run(&["scan", r.path().to_str().unwrap()]).success().json();
    let record = &manifest["predicate"]["files"][1];
    assert_eq!(record["format"], "lfs-pointer");
    assert_eq!(record["kind"], "other");
    assert_eq!(record["facts"]["lfs"]["oid"], oid.as_str());
    assert!(messages(record)[0].contains("run `git lfs pull`"));
    let model = &manifest["predicate"]["model"];
    assert_eq!(
        model["weights_files"], 0,
        "no weights in a clone of pointers: {model}"
    );
    assert!(model["parameter_count"].is_null());
}

#[test]
fn remote_code_is_reported() {
    let r = Release::new();
    r.file(
        "config.json",
        r#"{"model_type": "custom", "auto_map": {"AutoModel": "modeling_custom.Model"}}"#,
    );
    r.file("modeling_custom.py", "import os\n");
    let records = records(r.path());
    assert!(
        messages(&records["config.json"])
            .iter()
            .any(|m| m.starts_with("file/remote-code") && m.contains("`modeling_custom.Model`"))
    );
    assert!(
        messages(&records["modeling_custom.py"])
            .iter()
            .any(|m| m.contains("trust_remote_code"))
    );
}

#[test]
fn hub_cache_snapshot_links_are_followed_and_blobs_checked() {
    let cache = Release::new();
    let repo_dir = cache.path().join("models--org--tiny");
    let weights = std::fs::read(repo("fixtures/formats/model.safetensors")).unwrap();
    let config = br#"{"model_type":"llama"}"#.to_vec();
    let sha = crate::common::sha256_hex(&weights);
    // The git blob id, computed by git itself.
    let config_path = cache.file("config-src.json", &config);
    let git = std::process::Command::new("git")
        .arg("hash-object")
        .arg(&config_path)
        .output()
        .unwrap();
    let git_sha1 = String::from_utf8(git.stdout).unwrap().trim().to_owned();
    cache.file(&format!("models--org--tiny/blobs/{sha}"), &weights);
    cache.file(&format!("models--org--tiny/blobs/{git_sha1}"), &config);
    cache.symlink(
        "models--org--tiny/snapshots/abc/model.safetensors",
        &format!("../../blobs/{sha}"),
    );
    cache.symlink(
        "models--org--tiny/snapshots/abc/config.json",
        &format!("../../blobs/{git_sha1}"),
    );
    let snapshot = repo_dir.join("snapshots/abc");
    let manifest = run(&["scan", snapshot.to_str().unwrap()]).success().json();
    assert_eq!(manifest["predicate"]["scan"]["hub_snapshot"], true);
    let files = manifest["predicate"]["files"].as_array().unwrap();
    assert_eq!(files[0]["path"], "config.json");
    assert_eq!(files[0]["facts"]["hub_blob"], git_sha1.as_str());
    assert!(files.iter().all(|f| f["findings"].is_null()), "{files:?}");
    // Tamper with a blob: its name no longer matches its content.
    std::fs::write(
        repo_dir.join(format!("blobs/{git_sha1}")),
        br#"{"model_type":"evil"}"#,
    )
    .unwrap();
    let manifest = run(&["scan", snapshot.to_str().unwrap()]).success().json();
    let record = &manifest["predicate"]["files"][0];
    assert!(
        messages(record)[0].starts_with("file/hub-blob-mismatch"),
        "{record}"
    );
    // A link out of the cache is still refused.
    cache.file("outside.bin", "x");
    cache.symlink(
        "models--org--tiny/snapshots/abc/escape.bin",
        "../../../outside.bin",
    );
    run(&["scan", snapshot.to_str().unwrap()]).error("escape.bin` is a symbolic link");
}

#[test]
fn model_summary_reports_parameters_per_format() {
    let r = Release::new();
    for name in ["model.safetensors", "model.gguf"] {
        std::fs::copy(
            repo(&format!("fixtures/formats/{name}")),
            r.path().join(name),
        )
        .unwrap();
    }
    // A second GGUF quantisation of the same model must not add up.
    std::fs::copy(
        repo("fixtures/formats/model.gguf"),
        r.path().join("model-q8.gguf"),
    )
    .unwrap();
    let manifest = run(&["scan", r.path().to_str().unwrap()]).success().json();
    let model = &manifest["predicate"]["model"];
    assert_eq!(model["parameters"]["safetensors"], 49);
    assert_eq!(model["parameters"]["gguf"], 136);
    assert_eq!(model["parameter_count"], 49);
    assert_eq!(model["parameter_source"], "safetensors");
    assert_eq!(model["weights_files"], 3);
    let table = run(&["scan", r.path().to_str().unwrap(), "--format", "table"])
        .success()
        .stdout;
    assert!(table.contains("  parameters   49 (safetensors)"), "{table}");
    assert!(
        table.contains("  per format   gguf 136, safetensors 49"),
        "{table}"
    );
}

#[test]
fn scan_table_lists_every_safety_finding() {
    // Wide enough that no finding wraps: one line each.
    let table = crate::common::run_cmd(crate::common::scelle().env("COLUMNS", "1000").args([
        "scan",
        repo("fixtures/bad/files").to_str().unwrap(),
        "--format",
        "table",
    ]))
    .success()
    .stdout;
    let lines: Vec<&str> = table.lines().collect();
    let heading = lines
        .iter()
        .position(|l| l.starts_with("findings ("))
        .unwrap();
    let count: usize = lines[heading]
        .trim_start_matches("findings (")
        .trim_end_matches(')')
        .parse()
        .unwrap();
    let rows: Vec<&&str> = lines[heading + 1..]
        .iter()
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(rows.len(), count);
    assert!(
        rows[0].starts_with("error"),
        "most severe first: {}",
        rows[0]
    );
    assert!(
        rows.iter()
            .any(|r| r.contains("pickle-os-system.pkl") && r.contains("[file/code-on-load]"))
    );
}
