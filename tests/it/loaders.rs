//! The loading verdict against what the real loaders do. Every hostile file here is first shown
//! to be a real attack: Python's own `pickle`, `zipfile`, `tarfile`, `gzip`/`bz2`/`lzma`/`zlib`
//! and `numpy` load it and run its (harmless) payload, `posix.getcwd`, whose result proves the
//! call happened. PyTorch is not installed: its layouts and its readers' steps are emulated with
//! the standard library, as `docs/manifest.md` describes them. Then scelle must call the file
//! `dangerous` with a `file/code-on-load` error (or `file/unscannable` where it cannot look).

use std::path::Path;

use serde_json::Value;

use crate::common::{Release, py_json, run};

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

fn findings(record: &Value) -> Vec<(String, String, String)> {
    record["findings"].as_array().map_or_else(Vec::new, |a| {
        a.iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_owned(),
                    f["severity"].as_str().unwrap().to_owned(),
                    f["message"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    })
}

/// Asserts that `name` is dangerous with a code-on-load error whose message holds `needle`.
fn assert_dangerous(records: &std::collections::BTreeMap<String, Value>, name: &str, needle: &str) {
    let record = records
        .get(name)
        .unwrap_or_else(|| panic!("{name} not scanned"));
    assert_eq!(
        record["facts"]["pickle"]["verdict"], "dangerous",
        "{name}: {record}"
    );
    let found = findings(record);
    assert!(
        found
            .iter()
            .any(|(rule, sev, msg)| rule == "file/code-on-load"
                && sev == "error"
                && msg.contains(needle)),
        "{name}: expected a code-on-load error with {needle:?} in {found:?}"
    );
}

/// Python helpers shared by the scripts: `w(name, bytes)` writes into the release, `cwd` is what
/// the payload returns when it runs, `Call` pickles as a call.
const PRELUDE: &str = r#"
import io, json, os, pickle, pickletools, struct, sys, zipfile
d = sys.argv[1]
cwd = os.getcwd()
def w(name, data):
    path = os.path.join(d, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
class Call:
    def __init__(self, fn, args=()):
        self.fn, self.args = fn, args
    def __reduce__(self):
        return (self.fn, self.args)
PAYLOAD0 = pickle.dumps(Call(os.getcwd), protocol=0)
assert pickle.loads(PAYLOAD0) == cwd
proof = {}
def torch_zip(data_pkl, name="archive/data.pkl", extra=(), method=zipfile.ZIP_STORED):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        z.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data_pkl)
        for n, b in extra:
            z.writestr(zipfile.ZipInfo(n, date_time=(2026, 1, 1, 0, 0, 0)), b)
        z.writestr(zipfile.ZipInfo("archive/version", date_time=(2026, 1, 1, 0, 0, 0)), b"3\n")
    return out.getvalue()
def torch_reads(path):
    # PyTorchStreamReader: the folder of the first central entry, then data.pkl in it, by name
    # without regard to case; then the unpickler runs it.
    with zipfile.ZipFile(path) as z:
        root = z.infolist()[0].filename.split("/")[0]
        info = [i for i in z.infolist() if i.filename.lower() == (root + "/data.pkl").lower()][-1]
        return pickle.loads(z.read(info))
"#;

fn python(script: &str, dir: &Path) -> Value {
    py_json(&format!("{PRELUDE}{script}"), &[dir.to_str().unwrap()])
}

/// A fake `torch` package (not installable here) with the modules the payloads walk through:
/// `torch/__init__.py` imports `os` as the real one does, `torch.nn.modules.module` imports
/// `torch`, and `torch.storage._load_from_bytes` unpickles its bytes as the first step of
/// `torch.load` on non-zip bytes does.
fn fake_torch(root: &Path) {
    for (path, text) in [
        ("torch/__init__.py", "import os\nclass FloatStorage: pass\n"),
        ("torch/nn/__init__.py", ""),
        ("torch/nn/modules/__init__.py", ""),
        ("torch/nn/modules/module.py", "import torch\n"),
        (
            "torch/storage.py",
            "import io, pickle\ndef _load_from_bytes(b):\n    return pickle.load(io.BytesIO(b))\n",
        ),
    ] {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
}

#[test]
fn dotted_names_are_attribute_paths_not_prefixes() {
    let r = Release::new();
    let lib = Release::new();
    fake_torch(lib.path());
    let script = format!(
        "sys.path.insert(0, {:?})\n{}",
        lib.path().to_str().unwrap(),
        r#"
# find_class imports torch.nn.modules.module, then walks torch -> os -> getcwd.
p = b"\x80\x04ctorch.nn.modules.module\ntorch.os.getcwd\n)R."
proof["dotted"] = pickle.loads(p) == cwd
w("model.pt", p)
print(json.dumps(proof))
"#
    );
    let proof = python(&script, r.path());
    assert_eq!(proof["dotted"], true, "the real unpickler runs it");
    let records = records(r.path());
    assert_dangerous(
        &records,
        "model.pt",
        "`torch.nn.modules.module:torch.os.getcwd`",
    );
}

#[test]
fn nothing_on_the_allow_list_loads_or_runs_code() {
    let r = Release::new();
    let lib = Release::new();
    fake_torch(lib.path());
    let script = format!(
        "sys.path.insert(0, {:?})\n{}",
        lib.path().to_str().unwrap(),
        r#"
import argparse, collections, torch.storage
inner = pickle.dumps(Call(os.getcwd), protocol=2)
benign = pickle.dumps({"step": 3}, protocol=2)
# Protocol 2 writes the bytes as _codecs.encode(text, "latin1"), protocol 4 as BINBYTES.
for proto in (2, 4):
    p = pickle.dumps(Call(torch.storage._load_from_bytes, (inner,)), protocol=proto)
    proof[f"nested{proto}"] = pickle.loads(p) == cwd
    w(f"nested-p{proto}.pt", p)
w("nested-benign.pt", pickle.dumps(Call(torch.storage._load_from_bytes, (benign,)), protocol=2))
# Called through map: the loader never appears as a direct call.
p = b"\x80\x03cbuiltins\nlist\ncbuiltins\nmap\nctorch.storage\n_load_from_bytes\n]C" + bytes([len(inner)]) + inner + b"a\x86R\x85R."
proof["through-map"] = pickle.loads(p) == [cwd]
w("through-map.pt", p)
# BUILD on the allow-listed class itself: sets a class attribute for the whole interpreter.
p = b"cargparse\nNamespace\nN}S'pwned'\nI1\ns\x86b."
pickle.loads(p)
proof["patched"] = getattr(argparse.Namespace, "pwned", None) == 1
w("patch.pkl", p)
# Higher-order builtins call what they are given.
p = b"cbuiltins\nnext\n(cbuiltins\nmap\n(ccollections\nOrderedDict\n]]atRtR."
proof["map-next"] = type(pickle.loads(p)).__name__
w("map-next.pkl", p)
print(json.dumps(proof))
"#
    );
    let proof = python(&script, r.path());
    assert_eq!(proof["nested2"], true);
    assert_eq!(proof["nested4"], true);
    assert_eq!(proof["through-map"], true);
    assert_eq!(proof["patched"], true);
    assert_eq!(proof["map-next"], "OrderedDict");
    let records = records(r.path());
    for name in ["nested-p2.pt", "nested-p4.pt"] {
        assert_dangerous(&records, name, "calls `posix.getcwd`");
        assert_dangerous(
            &records,
            name,
            "the bytes passed to `torch.storage._load_from_bytes`",
        );
    }
    assert_eq!(
        records["nested-benign.pt"]["facts"]["pickle"]["verdict"], "known-safe",
        "benign nested bytes are inspected, not guessed"
    );
    assert_dangerous(
        &records,
        "through-map.pt",
        "other than on bytes of the pickle",
    );
    assert_dangerous(
        &records,
        "patch.pkl",
        "changes the imported `argparse.Namespace` itself",
    );
    assert_eq!(
        records["map-next.pkl"]["facts"]["pickle"]["verdict"],
        "suspicious"
    );
}

#[test]
fn constructs_cpython_accepts_do_not_hide_a_payload() {
    let r = Release::new();
    let script = r#"
cases = {
    # POP right after MARK pops the mark (CPython's load_pop).
    "pop-mark.pkl": b"(0cposix\ngetcwd\n)R.",
    "pop_mark.pkl": b"N(1cposix\ngetcwd\n)R.",
    # A frame claiming more than there is: the pure-Python unpickler reads on.
    "short-frame.pkl": b"\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00cposix\ngetcwd\n)R.",
}
for name, p in cases.items():
    if name == "short-frame.pkl":
        proof[name] = pickle._Unpickler(io.BytesIO(p)).load() == cwd
    else:
        proof[name] = pickle.loads(p) == cwd
    w(name, p)
# Two pickles read by one Unpickler share the memo: the second uses names the first memoised.
p = b"\x80\x04\x8c\x05posix\x94\x8c\x06getcwd\x94\x86." + b"\x80\x04h\x00h\x01\x93)R."
u = pickle.Unpickler(io.BytesIO(p))
u.load()
proof["memo-across.pkl"] = u.load() == cwd
w("memo-across.pkl", p)
print(json.dumps(proof))
"#;
    let proof = python(script, r.path());
    for (name, ran) in proof.as_object().unwrap() {
        assert_eq!(ran, true, "{name} runs its payload");
    }
    let records = records(r.path());
    for name in proof.as_object().unwrap().keys() {
        assert_dangerous(&records, name, "posix.getcwd");
    }
}

#[test]
fn escaped_and_renamed_globals_are_resolved() {
    let r = Release::new();
    let script = r#"
cases = {
    "string-escape.pkl": (b"S'po\\x73ix'\nS'getc\\x77d'\n\x93)R.", "posix.getcwd"),
    "string-octal.pkl": (b"S'po\\163ix'\nS'getcwd'\n\x93)R.", "posix.getcwd"),
    "unicode-escape.pkl": (b"Vpo\\u0073ix\nVgetcw\\U00000064\n\x93)R.", "posix.getcwd"),
    "posixpath.pkl": (b"cposixpath\nexists\n(S'/'\ntR.", "posixpath.exists"),
    "simplehttpserver.pkl": (b"\x80\x02cSimpleHTTPServer\nSimpleHTTPRequestHandler\n.", "http.server.SimpleHTTPRequestHandler"),
}
for name, (p, target) in cases.items():
    value = pickle.loads(p)
    proof[name] = {"ran": value == cwd or value is True or getattr(value, "__module__", "") == "http.server", "target": target}
    w(name, p)
print(json.dumps(proof))
"#;
    let proof = python(script, r.path());
    let records = records(r.path());
    for (name, p) in proof.as_object().unwrap() {
        assert_eq!(p["ran"], true, "{name}");
        assert_dangerous(
            &records,
            name,
            &format!("`{}`", p["target"].as_str().unwrap()),
        );
    }
}

/// Hostile files under names that claim nothing, each run by the real loader (or its emulation).
const BY_CONTENT: &str = r#"
import bz2, gzip, lzma, tarfile, zlib
import numpy as np
import torch
# Protocol 0 pickles, which start with no PROTO opcode, under names that claim nothing.
for name in ("tokens.bin", "weights.dat", "checkpoint"):
    w(name, PAYLOAD0)
    proof[name] = pickle.load(open(os.path.join(d, name), "rb")) == cwd
# A long bytes object first, so that the first bytes show no global; and a pickle that never
# reaches STOP: the unpickler runs it up to the break (here it changes directory, harmlessly).
padded = b"\x80\x04B" + struct.pack("<I", 600) + os.urandom(600) + b"cposix\ngetcwd\n)R0N."
w("padded.bin", padded)
proof["padded.bin"] = pickle.loads(padded) is None
target = os.path.join(d, "..")
broken = b"cposix\nchdir\n(S'" + target.encode() + b"'\ntR" + b"\xff" * 40
w("broken.dat", broken)
try:
    pickle.loads(broken)
except Exception:
    pass
proof["broken.dat"] = os.path.realpath(os.getcwd()) == os.path.realpath(target)
os.chdir(cwd)
# torch.save zips under any name: torch.load opens any file that starts with PK\x03\x04.
for name in ("model.zip", "model", "model.dat"):
    w(name, torch_zip(PAYLOAD0))
    proof[name] = torch_reads(os.path.join(d, name)) == cwd
# data.pkl spelled in capitals (miniz matches names without regard to case), and a protocol 0
# pickle in a member without an extension.
w("caps.pt", torch_zip(PAYLOAD0, name="archive/DATA.PKL"))
proof["caps.pt"] = torch_reads(os.path.join(d, "caps.pt")) == cwd
w("extra-member.pt", torch_zip(pickle.dumps({}, protocol=2), extra=[("archive/extra", PAYLOAD0)]))
proof["extra-member.pt"] = pickle.loads(zipfile.ZipFile(os.path.join(d, "extra-member.pt")).read("archive/extra")) == cwd
# Deflated, and written to a stream (data descriptors, flag bit 3).
w("deflated.pt", torch_zip(PAYLOAD0, method=zipfile.ZIP_DEFLATED))
proof["deflated.pt"] = torch_reads(os.path.join(d, "deflated.pt")) == cwd
class Sink(io.RawIOBase):
    def __init__(self): self.b = bytearray()
    def writable(self): return True
    def write(self, data): self.b += data; return len(data)
sink = Sink()
with zipfile.ZipFile(sink, "w") as z:
    z.writestr("archive/data.pkl", PAYLOAD0)
w("descriptor.pt", bytes(sink.b))
proof["descriptor.pt"] = torch_reads(os.path.join(d, "descriptor.pt")) == cwd
# A bad CRC: PyTorch's miniz is built without CRC checks.
bad = bytearray(torch_zip(PAYLOAD0))
central = bad.find(b"PK\x01\x02")
bad[central + 16:central + 20] = b"\x00\x00\x00\x00"
bad[14:18] = b"\x00\x00\x00\x00"
w("bad-crc.pt", bytes(bad))
proof["bad-crc.pt"] = pickle.loads(bytes(bad[30 + len("archive/data.pkl"):30 + len("archive/data.pkl") + len(PAYLOAD0)])) == cwd
# The legacy tar checkpoint: torch.load tries every non-zip file as a tar first.
def member(t, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    t.addfile(info, io.BytesIO(data))
storage = pickle.dumps(("0", "cpu", torch.FloatStorage), protocol=2)
storages = pickle.dumps(1, protocol=2) + storage + struct.pack("<q", 2) + bytes(8) + PAYLOAD0
out = io.BytesIO()
with tarfile.open(fileobj=out, mode="w:", format=tarfile.PAX_FORMAT) as t:
    member(t, "sys_info", pickle.dumps({"protocol_version": 1001}, protocol=2))
    member(t, "pickle", pickle.dumps({}, protocol=2))
    member(t, "storages", storages)
    member(t, "tensors", pickle.dumps(0, protocol=2))
w("legacy.bin", out.getvalue())
# torch's legacy_load: the count, then each record and its raw data, then the storage views.
with tarfile.open(os.path.join(d, "legacy.bin"), mode="r:") as t:
    f = t.extractfile("storages")
    n = pickle.load(f)
    for _ in range(n):
        key, location, kind = pickle.load(f)
        numel = struct.unpack("<q", f.read(8))[0]
        f.read(numel * 4)
    proof["legacy.bin"] = pickle.load(f) == cwd
# NumPy: an object field in a structured dtype, nested, and an .npz member without .npy.
for name, dtype in (("fields.npy", [("a", "O"), ("b", "<f4")]), ("nested.npy", [("outer", [("a", "O")])])):
    arr = np.zeros(1, dtype=dtype)
    if name == "fields.npy":
        arr["a"][0] = Call(os.getcwd)
    else:
        arr["outer"]["a"][0] = Call(os.getcwd)
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    w(name, buf.getvalue())
    back = np.load(os.path.join(d, name), allow_pickle=True)
    proof[name] = (back["a"][0] if name == "fields.npy" else back["outer"]["a"][0]) == cwd
arr = np.empty(1, dtype=object)
arr[0] = Call(os.getcwd)
buf = io.BytesIO()
np.save(buf, arr, allow_pickle=True)
out = io.BytesIO()
with zipfile.ZipFile(out, "w", zipfile.ZIP_BZIP2) as z:
    z.writestr("x", buf.getvalue())
w("arrays.npz", out.getvalue())
proof["arrays.npz"] = np.load(os.path.join(d, "arrays.npz"), allow_pickle=True)["x"][0] == cwd
# Compressed pickles, as joblib, pandas or pickle.dump(obj, gzip.open(...)) write them.
compressed = {
    "model.pkl.gz": (gzip.compress(PAYLOAD0), gzip.decompress),
    "model.pkl.bz2": (bz2.compress(PAYLOAD0), bz2.decompress),
    "model.pkl.xz": (lzma.compress(PAYLOAD0), lzma.decompress),
    "model.pkl.lzma": (lzma.compress(PAYLOAD0, format=lzma.FORMAT_ALONE), lzma.decompress),
    "model.joblib": (zlib.compress(PAYLOAD0), zlib.decompress),
    "shard.bin": (gzip.compress(PAYLOAD0), gzip.decompress),
}
for name, (data, un) in compressed.items():
    w(name, data)
    proof[name] = pickle.loads(un(data)) == cwd
print(json.dumps(proof))
"#;

#[test]
fn files_are_read_by_content_whatever_their_name() {
    let r = Release::new();
    let lib = Release::new();
    fake_torch(lib.path());
    let script = format!(
        "sys.path.insert(0, {:?})\n{BY_CONTENT}",
        lib.path().to_str().unwrap()
    );
    let proof = python(&script, r.path());
    for (name, ran) in proof.as_object().unwrap() {
        assert_eq!(ran, true, "{name}: the real loader runs its payload");
    }
    let records = records(r.path());
    for name in proof.as_object().unwrap().keys() {
        let target = if name == "broken.dat" {
            "posix.chdir"
        } else {
            "posix.getcwd"
        };
        assert_dangerous(&records, name, target);
    }
}

#[test]
fn an_unlisted_import_before_junk_is_still_reported_whatever_the_name() {
    // `pickle.load` imports `sitecustom_payload` (running its module code) before it reaches the
    // junk and fails: the import happened, so the file is a pickle whatever its name.
    let r = Release::new();
    let lib = Release::new();
    lib.file(
        "sitecustom_payload.py",
        "import os\nopen(os.environ['MARK'], 'w').write('imported')\nclass Loader: pass\n",
    );
    let script = format!(
        r#"
sys.path.insert(0, {lib:?})
data = b"csitecustom_payload\nLoader\n" + bytes(range(200, 256)) * 4
w("shard-00001.bin", data)
w("blob", data)
mark = os.path.join(d, "..", "mark-" + os.path.basename(d))
os.environ["MARK"] = mark
try:
    pickle.load(open(os.path.join(d, "blob"), "rb"))
except Exception:
    pass
proof["imported"] = os.path.exists(mark)
os.remove(mark)
print(json.dumps(proof))
"#,
        lib = lib.path().to_str().unwrap()
    );
    let proof = py_json(&format!("{PRELUDE}{script}"), &[r.path().to_str().unwrap()]);
    assert_eq!(
        proof["imported"], true,
        "the real loader imports the module: {proof}"
    );
    let records = records(r.path());
    for name in ["shard-00001.bin", "blob"] {
        let record = &records[name];
        assert_eq!(record["format"], "pickle", "{name}: {record}");
        assert_eq!(
            record["facts"]["pickle"]["verdict"], "suspicious",
            "{name}: {record}"
        );
        let found = findings(record);
        assert!(
            found
                .iter()
                .any(|(rule, sev, msg)| rule == "file/suspicious-import"
                    && sev == "warning"
                    && msg.contains("sitecustom_payload.Loader")),
            "{name}: {found:?}"
        );
    }
}

#[test]
fn members_nobody_can_read_are_findings_and_keras_reads_the_last_duplicate() {
    let r = Release::new();
    let script = r#"
import warnings
warnings.simplefilter("ignore")
# The encryption flag set in the central directory: a member scelle cannot read.
enc = bytearray(torch_zip(PAYLOAD0))
central = enc.find(b"PK\x01\x02")
enc[central + 8] |= 1
w("encrypted.pt", bytes(enc))
# Only the local header says encrypted: both readers take the central flags and read it.
local = bytearray(torch_zip(PAYLOAD0))
local[6] |= 1
w("local-flag.pt", bytes(local))
proof["local-flag.pt"] = torch_reads(os.path.join(d, "local-flag.pt")) == cwd
# Keras: two config.json members; zipfile (and so Keras) reads the last.
out = io.BytesIO()
with zipfile.ZipFile(out, "w") as z:
    z.writestr("config.json", json.dumps({"class_name": "Sequential", "config": {"layers": []}}))
    z.writestr("config.json", json.dumps({"class_name": "Sequential", "config": {"layers": [
        {"class_name": "Lambda", "config": {"name": "evil", "function": "4wEAAA=="}}]}}))
w("model.keras", out.getvalue())
proof["keras-last"] = "Lambda" in zipfile.ZipFile(os.path.join(d, "model.keras")).read("config.json").decode()
w("model.pkl.zst", b"\x28\xb5\x2f\xfd" + bytes(20))
print(json.dumps(proof))
"#;
    let proof = python(script, r.path());
    assert_eq!(proof["local-flag.pt"], true);
    assert_eq!(proof["keras-last"], true);
    let records = records(r.path());
    let enc = findings(&records["encrypted.pt"]);
    assert!(
        enc.iter().any(|(rule, sev, msg)| rule == "file/unscannable"
            && sev == "error"
            && msg.contains("`archive/data.pkl` is marked encrypted")),
        "{enc:?}"
    );
    assert_dangerous(&records, "local-flag.pt", "posix.getcwd");
    let keras = findings(&records["model.keras"]);
    assert!(
        keras
            .iter()
            .any(|(rule, _, msg)| rule == "file/code-on-load"
                && msg.contains("Lambda layers (evil)")),
        "{keras:?}"
    );
    let zst = findings(&records["model.pkl.zst"]);
    assert!(
        zst.iter().any(|(rule, sev, msg)| rule == "file/unscannable"
            && sev == "error"
            && msg.contains("zstd")),
        "{zst:?}"
    );
}

#[test]
fn an_unreadable_member_is_an_error_where_a_loader_reads_it_and_a_warning_elsewhere() {
    let r = Release::new();
    let script = r#"
def zstd_member(names):
    # Stored members whose method is patched to 93 (Zstandard), which neither miniz nor the
    # zipfile of Python 3.11 reads: the same bytes, unreadable to scelle too.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for n in names:
            z.writestr(zipfile.ZipInfo(n, date_time=(2026, 1, 1, 0, 0, 0)), PAYLOAD0)
    b = bytearray(out.getvalue())
    for sig, at in ((b"PK\x03\x04", 8), (b"PK\x01\x02", 10)):
        i = b.find(sig)
        while i >= 0:
            b[i + at] = 93
            i = b.find(sig, i + 4)
    return bytes(b)
w("data/images.zip", zstd_member(["img/0001.png", "img/0002.png"]))
w("data/states.zip", zstd_member(["img/0001.png", "optimizer.pkl"]))
for n in ("images.zip", "states.zip"):
    try:
        zipfile.ZipFile(os.path.join(d, "data", n)).read("img/0001.png")
        proof[n] = "read"
    except NotImplementedError:
        proof[n] = "refused"
print(json.dumps(proof))
"#;
    let proof = python(script, r.path());
    assert_eq!(
        proof["images.zip"], "refused",
        "Python's zipfile cannot read it either"
    );
    let records = records(r.path());
    let images = findings(&records["data/images.zip"]);
    assert_eq!(images.len(), 2, "one finding per member: {images:?}");
    assert!(
        images
            .iter()
            .all(|(rule, sev, msg)| rule == "file/unscannable"
                && sev == "warning"
                && msg.contains("compression method 93")),
        "{images:?}"
    );
    let states = findings(&records["data/states.zip"]);
    assert!(
        states
            .iter()
            .any(|(rule, sev, msg)| rule == "file/unscannable"
                && sev == "error"
                && msg.contains("`optimizer.pkl`")),
        "a member named as a pickle: {states:?}"
    );
    assert!(
        states
            .iter()
            .any(|(rule, sev, msg)| rule == "file/unscannable"
                && sev == "warning"
                && msg.contains("`img/0001.png`")),
        "{states:?}"
    );
}

/// Random bytes under names that claim no format, plus near misses (a pickle's PROTO, a
/// safetensors-like length and brace, compression signatures): not one error finding.
const RANDOM_FILES: &str = r#"
import json, os, random, struct, sys
d = sys.argv[1]
rng = random.Random(8)
exts = [".bin", ".json", "", ".dat", ".raw", ".chunk"]
for i in range(5000):
    size = rng.choice([rng.randint(1, 64), rng.randint(1, 2048), rng.randint(2048, 9000)])
    data = bytearray(rng.getrandbits(8) for _ in range(size))
    kind = i % 10
    if kind == 1 and size > 2:
        data[0], data[1] = 0x80, rng.randint(2, 5)
    elif kind == 2 and size > 9:
        data[:8] = struct.pack("<Q", rng.randint(2, size - 8))
        data[8] = ord("{")
    elif kind == 3 and size > 10:
        data[:3] = b"\x1f\x8b\x08"
    elif kind == 4 and size > 10:
        data[:4] = b"BZh9"
    elif kind == 5 and size > 2:
        data[0] = ord(rng.choice("cS(]}IKN"))
    name = f"part-{i:05}{exts[i % len(exts)]}"
    with open(os.path.join(d, name), "wb") as f:
        f.write(bytes(data))
print(json.dumps(5000))
"#;

#[test]
fn random_bytes_raise_no_error_findings() {
    let r = Release::new();
    let made = py_json(RANDOM_FILES, &[r.path().to_str().unwrap()]);
    assert_eq!(made, 5000);
    let records = records(r.path());
    assert_eq!(records.len(), 5000);
    let errors: Vec<(String, String)> = records
        .iter()
        .flat_map(|(name, record)| {
            findings(record)
                .into_iter()
                .filter(|(_, sev, _)| sev == "error")
                .map(|(rule, _, msg)| (name.clone(), format!("{rule} {msg}")))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        errors.is_empty(),
        "{} error findings on random bytes, first: {:?}",
        errors.len(),
        errors.iter().take(5).collect::<Vec<_>>()
    );
}

#[test]
fn a_name_that_claims_a_format_still_makes_its_breakage_an_error() {
    let r = Release::new();
    // A safetensors header cut short, and a pickle cut short.
    let mut truncated = 200u64.to_le_bytes().to_vec();
    truncated.extend(br#"{"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}"#);
    r.file("model.safetensors", &truncated);
    r.file("model.bin", &truncated);
    r.file("state.pkl", b"\x80\x02}q\x00(X\x01\x00\x00\x00a");
    r.file("state.bin", b"\x80\x02}q\x00(X\x01\x00\x00\x00a");
    let records = records(r.path());
    let errors = |name: &str| -> Vec<String> {
        findings(&records[name])
            .into_iter()
            .filter(|(rule, sev, _)| rule == "file/malformed" && sev == "error")
            .map(|(_, _, m)| m)
            .collect()
    };
    assert!(!errors("model.safetensors").is_empty());
    assert!(!errors("state.pkl").is_empty());
    assert!(
        errors("model.bin").is_empty(),
        "{:?}",
        findings(&records["model.bin"])
    );
    assert!(
        errors("state.bin").is_empty(),
        "{:?}",
        findings(&records["state.bin"])
    );
}
