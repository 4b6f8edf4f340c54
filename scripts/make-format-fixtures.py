"""Writes small real files of every format scelle inspects (fixtures/formats) and a corpus of
hostile ones (fixtures/bad/files), using the reference libraries where one exists: safetensors,
gguf, numpy, onnx, pyarrow, and Python's own pickle and zipfile for the PyTorch layout.

Run with the project's virtual environment: `.venv/bin/python scripts/make-format-fixtures.py`.
The output is deterministic. The hostile files are inert bytes, but some are pickles that would
run a shell command if a Python program unpickled them: never load them, only inspect them.
"""

import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile
from collections import OrderedDict

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
GOOD = os.path.join(ROOT, "formats")
BAD = os.path.join(ROOT, "bad", "files")
EPOCH = (2026, 1, 1, 0, 0, 0)


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


# --- PyTorch's layout without torch: stand-in modules so that pickle writes the same globals. ---

def install_fake_torch():
    torch = types.ModuleType("torch")
    utils = types.ModuleType("torch._utils")

    def _rebuild_tensor_v2(*args):
        raise RuntimeError("never called")

    def _rebuild_parameter(*args):
        raise RuntimeError("never called")

    for fn in (_rebuild_tensor_v2, _rebuild_parameter):
        fn.__module__ = "torch._utils"
        fn.__qualname__ = fn.__name__
    utils._rebuild_tensor_v2 = _rebuild_tensor_v2
    utils._rebuild_parameter = _rebuild_parameter
    for dtype in ("FloatStorage", "HalfStorage", "BFloat16Storage", "LongStorage"):
        cls = type(dtype, (), {"__module__": "torch"})
        setattr(torch, dtype, cls)
    torch._utils = utils
    sys.modules["torch"] = torch
    sys.modules["torch._utils"] = utils
    return torch, utils


class Storage:
    def __init__(self, storage_type, key, numel):
        self.storage_type, self.key, self.numel = storage_type, key, numel


class Tensor:
    """Pickles as `torch._utils._rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())`."""

    def __init__(self, storage, size):
        self.storage, self.size = storage, size

    def __reduce__(self):
        stride, acc = [], 1
        for d in reversed(self.size):
            stride.insert(0, acc)
            acc *= d
        return (sys.modules["torch._utils"]._rebuild_tensor_v2,
                (self.storage, 0, tuple(self.size), tuple(stride), False, OrderedDict()))


class TorchPickler(pickle.Pickler):
    def persistent_id(self, obj):
        if isinstance(obj, Storage):
            return ("storage", obj.storage_type, obj.key, "cpu", obj.numel)
        return None


def torch_zip(state, storages, extra_members=()):
    """A zip laid out as `torch.save` writes it: archive/data.pkl, data/<key>, version..."""
    buf = io.BytesIO()
    p = TorchPickler(buf, protocol=2)
    p.dump(state)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        def add(name, data):
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            z.writestr(info, data)
        add("archive/data.pkl", buf.getvalue())
        add("archive/byteorder", b"little")
        for key, data in storages:
            add(f"archive/data/{key}", data)
        for name, data in extra_members:
            add(name, data)
        add("archive/version", b"3\n")
        add("archive/.data/serialization_id", b"0123456789")
    return out.getvalue()


def benign_checkpoint(torch):
    w = Storage(torch.FloatStorage, "0", 12)
    b = Storage(torch.HalfStorage, "1", 4)
    state = OrderedDict([("layer.weight", Tensor(w, [3, 4])), ("layer.bias", Tensor(b, [4]))])
    return torch_zip(state, [("0", bytes(48)), ("1", bytes(8))])


class Command:
    """Unpickling runs `callable(*args)`: what a malicious checkpoint does."""

    def __init__(self, callable_, args):
        self.callable_, self.args = callable_, args

    def __reduce__(self):
        return (self.callable_, self.args)


def pickle_of(obj, protocol):
    return pickle.dumps(obj, protocol=protocol)


# --- Formats ---

def make_good():
    from safetensors.numpy import save_file
    import gguf

    os.makedirs(GOOD, exist_ok=True)
    rng = np.random.default_rng(7)
    save_file(
        {
            "w": rng.standard_normal((4, 8)).astype(np.float32),
            "h": rng.standard_normal((2, 3)).astype(np.float16),
            "ids": np.arange(5, dtype=np.int64),
            "mask": np.array([True, False, True]),
            "u": np.arange(3, dtype=np.uint8),
        },
        os.path.join(GOOD, "model.safetensors"),
        metadata={"format": "pt", "note": "scelle fixture"},
    )

    w = gguf.GGUFWriter(os.path.join(GOOD, "model.gguf"), "llama")
    w.add_name("fixture")
    w.add_license("apache-2.0")
    w.add_context_length(256)
    w.add_block_count(1)
    w.add_embedding_length(8)
    w.add_file_type(1)
    w.add_tensor("tok_embd.weight", rng.standard_normal((16, 8)).astype(np.float16))
    w.add_tensor("output_norm.weight", np.ones(8, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()

    buf = io.BytesIO()
    np.save(buf, np.arange(12, dtype=np.float32).reshape(3, 4))
    write(GOOD, "array.npy", buf.getvalue())
    buf = io.BytesIO()
    np.savez_compressed(buf, a=np.zeros((2, 2), dtype=np.int32), b=np.ones(5, dtype=np.float64))
    write(GOOD, "arrays.npz", buf.getvalue())

    torch, _ = install_fake_torch()
    write(GOOD, "pytorch_model.bin", benign_checkpoint(torch))
    # The oldest torch.save format: a tar of `storages` (a count, then each storage's pickled
    # (key, location, class), its element count and data, then the views), `tensors` and
    # `pickle`.
    import tarfile
    storages = (pickle_of(1, 2) + pickle_of(("0", "cpu", torch.FloatStorage), 2) + struct.pack("<q", 3)
                + bytes(12) + pickle_of([], 2))
    tensors = pickle_of(1, 2) + pickle_of(("t0", "0", torch.FloatStorage), 2) + struct.pack("<i", 1) \
        + struct.pack("<qq", 3, 1) + struct.pack("<q", 0)
    legacy = io.BytesIO()
    with tarfile.open(fileobj=legacy, mode="w:", format=tarfile.USTAR_FORMAT) as t:
        for name, data in (("sys_info", pickle_of({"protocol_version": 1001}, 2)), ("storages", storages),
                           ("tensors", tensors), ("pickle", pickle_of(OrderedDict(), 2))):
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            t.addfile(info, io.BytesIO(data))
    write(GOOD, "legacy-checkpoint.tar", legacy.getvalue())
    write(GOOD, "state.pkl", pickle_of({"epoch": 3, "lr": 0.001, "names": ["a", "b"]}, 4))
    import gzip
    write(GOOD, "state.pkl.gz", gzip.compress(pickle_of({"epoch": 3, "names": ["a", "b"]}, 2), mtime=0))

    import onnx
    from onnx import TensorProto, helper
    init = helper.make_tensor("W", TensorProto.FLOAT, [2, 2], [1.0, 2.0, 3.0, 4.0])
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["X", "W"], ["Y"])], "g",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 2])], [init])
    model = helper.make_model(graph, producer_name="scelle-fixture", opset_imports=[helper.make_opsetid("", 17)])
    write(GOOD, "model.onnx", model.SerializeToString())

    import pyarrow as pa
    import pyarrow.parquet as pq
    table = pa.table({"text": ["a", "b", "c"], "label": [0, 1, 0]})
    pq.write_table(table, os.path.join(GOOD, "data.parquet"))

    keras = io.BytesIO()
    with zipfile.ZipFile(keras, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(zipfile.ZipInfo("metadata.json", date_time=EPOCH), json.dumps({"keras_version": "3.8.0"}))
        z.writestr(zipfile.ZipInfo("config.json", date_time=EPOCH), json.dumps({
            "module": "keras", "class_name": "Sequential", "config": {"name": "seq", "layers": [
                {"module": "keras.layers", "class_name": "Dense", "config": {"name": "d", "units": 2},
                 "registered_name": None}]}}))
    write(GOOD, "model.keras", keras.getvalue())

    write(GOOD, "train.jsonl", b'{"text": "a", "label": 0}\n{"text": "b", "label": 1}\n')
    write(GOOD, "train.csv", b"text,label\na,0\nb,1\n")


def make_bad():
    os.makedirs(BAD, exist_ok=True)
    # safetensors
    write(BAD, "safetensors-truncated-header.safetensors", b"\x10\x00\x00")
    write(BAD, "safetensors-header-beyond-file.safetensors", struct.pack("<Q", 1 << 20) + b"{}")
    header = json.dumps({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                         "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]}}).encode()
    write(BAD, "safetensors-overlapping-offsets.safetensors", struct.pack("<Q", len(header)) + header + bytes(12))
    # GGUF: a tensor count and a string length of 2^60
    write(BAD, "gguf-huge-tensor-count.gguf", b"GGUF" + struct.pack("<IQQ", 3, 1 << 60, 0))
    key = b"general.name"
    write(BAD, "gguf-huge-string.gguf", b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + struct.pack("<Q", len(key)) + key
          + struct.pack("<IQ", 8, 1 << 60) + bytes(16))
    # pickles
    nested = b"\x80\x02" + b"(" * 100_000 + b"t" * 100_000 + b"."
    write(BAD, "pickle-nested-100000.pkl", nested)
    write(BAD, "pickle-os-system.pkl", pickle_of(Command(os.system, ("echo pwned",)), 2))
    write(BAD, "pickle-builtins-exec.pkl", pickle_of(Command(exec, ("print('pwned')",)), 2))
    import subprocess
    write(BAD, "pickle-subprocess-popen.pkl", pickle_of(Command(subprocess.Popen, (["id"],)), 2))
    # Protocol 4 names globals with STACK_GLOBAL from memoised strings.
    write(BAD, "pickle-stack-global.pkl", pickle_of(Command(os.system, ("id",)), 4))
    torch, _ = install_fake_torch()
    hidden = pickle_of(Command(os.system, ("echo hidden",)), 2)
    write(BAD, "torch-hidden-payload.pt",
          torch_zip(OrderedDict([("w", Tensor(Storage(torch.FloatStorage, "0", 1), [1]))]),
                    [("0", bytes(4))], [("archive/extra/optimizer.pkl", hidden)]))
    good = benign_checkpoint(torch)
    # A zip whose central directory offset points past the end.
    lying = bytearray(good)
    eocd = lying.rfind(b"PK\x05\x06")
    lying[eocd + 16:eocd + 20] = struct.pack("<I", len(lying) + 1000)
    write(BAD, "zip-central-directory-lies.pt", bytes(lying))
    # A zip whose local header names the pickle differently from the central directory.
    renamed = bytearray(good)
    first = renamed.find(b"archive/data.pkl")
    renamed[first:first + 16] = b"archive/Data.pkl"
    write(BAD, "zip-local-name-differs.pt", bytes(renamed))
    # NumPy object array whose pickle calls os.system.
    buf = io.BytesIO()
    arr = np.empty(1, dtype=object)
    arr[0] = Command(os.system, ("id",))
    np.save(buf, arr, allow_pickle=True)
    write(BAD, "numpy-object-reduce.npy", buf.getvalue())
    # Keras Lambda layer.
    keras = io.BytesIO()
    with zipfile.ZipFile(keras, "w", zipfile.ZIP_STORED) as z:
        z.writestr(zipfile.ZipInfo("config.json", date_time=EPOCH), json.dumps({
            "module": "keras", "class_name": "Sequential", "config": {"name": "seq", "layers": [
                {"module": "keras.layers", "class_name": "Lambda",
                 "config": {"name": "evil", "function": {"class_name": "__lambda__", "config": {"code": "4wEAAAAA"}}}}]}}))
    write(BAD, "keras-lambda.keras", keras.getvalue())
    # Git LFS pointer with a malformed oid.
    write(BAD, "lfs-bad-oid.safetensors",
          b"version https://git-lfs.github.com/spec/v1\noid sha256:not-a-digest\nsize 4096\n")
    # ONNX external data escaping the model folder.
    from onnx import TensorProto, helper
    t = helper.make_tensor("W", TensorProto.FLOAT, [1], [0.0])
    t.ClearField("float_data")
    t.data_location = TensorProto.EXTERNAL
    e = t.external_data.add()
    e.key, e.value = "location", "../../etc/passwd"
    graph = helper.make_graph([], "g", [], [], [t])
    write(BAD, "onnx-external-escape.onnx", helper.make_model(graph).SerializeToString())
    # Parquet footer whose schema list claims 2^60 elements.
    footer = bytes([0x15, 0x02, 0x19, 0xfc]) + b"\x80\x80\x80\x80\x80\x80\x80\x80\x10"
    write(BAD, "parquet-huge-list.parquet", b"PAR1" + footer + struct.pack("<I", len(footer)) + b"PAR1")
    make_bad_loaders(torch)


def make_bad_loaders(torch):
    """Files that loaders read whatever their name, and names that resolve through attributes."""
    import bz2, gzip, tarfile
    system = pickle_of(Command(os.system, ("echo pwned",)), 0)
    # find_class imports torch.nn.modules.module, then walks torch -> os -> system.
    write(BAD, "pickle-dotted-name.pt", b"\x80\x04ctorch.nn.modules.module\ntorch.os.system\n(S'id'\ntR.")
    # Protocol 0: no PROTO opcode to recognise, under a name that claims nothing.
    write(BAD, "pickle-protocol0.bin", system)
    # A torch.save zip whose data.pkl runs a command, named as anything but a checkpoint.
    write(BAD, "zip-checkpoint-renamed.dat",
          torch_zip(Command(os.system, ("echo pwned",)), []))
    # An object field inside a structured dtype.
    arr = np.zeros(1, dtype=[("a", "O"), ("b", "<f4")])
    arr["a"][0] = Command(os.system, ("id",))
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    write(BAD, "npy-structured-object.npy", buf.getvalue())
    # A gzip-compressed pickle, as pickle.dump(obj, gzip.open(...)) writes it.
    write(BAD, "pickle-gzip.pkl.gz", gzip.compress(system, mtime=0))
    # The oldest torch.save format: a tar whose `pickle` member runs a command.
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:", format=tarfile.USTAR_FORMAT) as t:
        for name, data in (("sys_info", pickle_of({}, 2)), ("pickle", system),
                           ("storages", pickle_of(0, 2) + pickle_of([], 2)), ("tensors", pickle_of(0, 2))):
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 0
            t.addfile(info, io.BytesIO(data))
    write(BAD, "tar-legacy-checkpoint.bin", out.getvalue())
    # Two config.json members: Keras (zipfile) reads the last, which has a Lambda layer.
    keras = io.BytesIO()
    with zipfile.ZipFile(keras, "w", zipfile.ZIP_STORED) as z:
        import warnings
        warnings.simplefilter("ignore")
        z.writestr(zipfile.ZipInfo("config.json", date_time=EPOCH), json.dumps({
            "class_name": "Sequential", "config": {"layers": []}}))
        z.writestr(zipfile.ZipInfo("config.json", date_time=EPOCH), json.dumps({
            "class_name": "Sequential", "config": {"layers": [
                {"class_name": "Lambda", "config": {"name": "evil", "function": "4wEAAAAA"}}]}}))
    write(BAD, "keras-duplicate-config.keras", keras.getvalue())
    # torch.storage._load_from_bytes (a second torch.load) of bytes holding a payload.
    storage = types.ModuleType("torch.storage")
    def _load_from_bytes(b):
        raise RuntimeError("never called")
    _load_from_bytes.__module__ = "torch.storage"
    _load_from_bytes.__qualname__ = "_load_from_bytes"
    storage._load_from_bytes = _load_from_bytes
    sys.modules["torch.storage"] = storage
    write(BAD, "pickle-nested-load.pt", pickle_of(Command(_load_from_bytes, (pickle_of(Command(os.system, ("id",)), 2),)), 2))
    # The encryption flag on data.pkl in the central directory: no reader hands out its bytes.
    enc = bytearray(benign_checkpoint(torch))
    central = enc.find(b"PK\x01\x02")
    enc[central + 8] |= 1
    write(BAD, "zip-encrypted-member.pt", bytes(enc))


def print_compat():
    """The tables of src/inspect/compat.rs, from this interpreter's `_compat_pickle`."""
    import _compat_pickle as c
    for k, v in sorted(c.IMPORT_MAPPING.items()):
        print(f'    ("{k}", "{v}"),')
    print()
    for k, v in sorted(c.NAME_MAPPING.items()):
        print(f'    (("{k[0]}", "{k[1]}"), ("{v[0]}", "{v[1]}")),')


if __name__ == "__main__":
    if sys.argv[1:] == ["compat"]:
        print_compat()
        sys.exit(0)
    make_good()
    make_bad()
    print(f"wrote {len(os.listdir(GOOD))} format fixtures and {len(os.listdir(BAD))} hostile files")
