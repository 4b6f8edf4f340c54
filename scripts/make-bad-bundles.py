"""Writes the hostile bundle corpus in fixtures/bad/bundles.

Each bundle is wrong in one way. Those whose defect is inside the signed statement are signed
properly with the committed test keys (fixtures/keys), using Python's `cryptography` rather than
scelle, so that scelle's verifier gets past the signature check and has to catch the defect
itself. Run with the project's virtual environment: `.venv/bin/python scripts/make-bad-bundles.py`.
The output is deterministic (Ed25519 signatures are; the two P-256 cases reuse their signatures
only if the file already exists, so regenerating keeps the committed bytes).
"""

import base64
import hashlib
import json
import os

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
OUT = os.path.join(ROOT, "fixtures", "bad", "bundles")
MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"
PAYLOAD_TYPE = "application/vnd.in-toto+json"


def load_key(name):
    with open(os.path.join(ROOT, "fixtures", "keys", name), "rb") as f:
        return serialization.load_pem_private_key(f.read(), None)


def key_id(private):
    pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                            serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(pem).hexdigest()


def pae(payload_type, payload):
    t = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def signed_bundle(payload, private, ecdsa=False):
    if ecdsa:
        sig = private.sign(pae(PAYLOAD_TYPE, payload), ec.ECDSA(hashes.SHA256()))
    else:
        sig = private.sign(pae(PAYLOAD_TYPE, payload))
    kid = key_id(private)
    return {
        "mediaType": MEDIA_TYPE,
        "verificationMaterial": {"publicKey": {"hint": kid}, "tlogEntries": []},
        "dsseEnvelope": {
            "payload": base64.b64encode(payload).decode(),
            "payloadType": PAYLOAD_TYPE,
            "signatures": [{"sig": base64.b64encode(sig).decode(), "keyid": kid}],
        },
    }


def digest(text):
    return hashlib.sha256(text.encode()).hexdigest()


def scelle_statement(files):
    """A scelle statement listing `files` as (path, sha256 hex, size); the root digest is computed
    from the digests as listed so that only the intended defect is present."""
    raw = b"".join(bytes.fromhex(d) if len(d) == 64 else b"" for _, d, _ in files)
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": p, "digest": {"sha256": d}} for p, d, _ in files],
        "predicateType": "https://scelle.dev/provenance/v1",
        "predicate": {
            "generator": {"name": "make-bad-bundles", "version": "1"},
            "created": "2026-01-01T00:00:00Z",
            "root": {"sha256": hashlib.sha256(raw).hexdigest()},
            "files": [{"path": p, "size": s, "sha256": d, "kind": "other", "format": "unknown"}
                      for p, d, s in files],
            "scan": {"ignore": [".git"], "symlinks": "reject"},
        },
    }


def oms_statement(resources):
    raw = b"".join(bytes.fromhex(d) for _, d in resources)
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "model", "digest": {"sha256": hashlib.sha256(raw).hexdigest()}}],
        "predicateType": "https://model_signing/signature/v1.0",
        "predicate": {
            "serialization": {"method": "files", "hash_type": "sha256", "allow_symlinks": False,
                              "ignore_paths": [".git"]},
            "resources": [{"name": n, "algorithm": "sha256", "digest": d} for n, d in resources],
        },
    }


def write(name, content):
    path = os.path.join(OUT, name)
    if isinstance(content, (dict, list)):
        content = json.dumps(content, indent=2, ensure_ascii=False) + "\n"
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(content)


def write_once(name, make):
    """ECDSA signatures are randomised: keep an existing file so the corpus stays byte-stable."""
    if not os.path.exists(os.path.join(OUT, name)):
        write(name, make())


def main():
    os.makedirs(OUT, exist_ok=True)
    ed = load_key("test-ed25519.key")
    p256 = load_key("test-p256.key")
    good = ("config.json", digest("{}"), 2)

    def scelle(files):
        return signed_bundle(json.dumps(scelle_statement(files), indent=2).encode(), ed)

    write("not-json.sigstore.json", "this is not a bundle {\n")
    wrong = scelle([good])
    wrong["mediaType"] = "application/vnd.dev.sigstore.bundle.v0.2+json"
    write("wrong-media-type.sigstore.json", wrong)
    bad64 = scelle([good])
    bad64["dsseEnvelope"]["payload"] = "!!not*base64@@"
    write("invalid-base64.sigstore.json", bad64)
    write("unsafe-parent-path.sigstore.json", scelle([good, ("../outside.bin", digest("x"), 1)]))
    write("unsafe-absolute-path.sigstore.json", scelle([good, ("/etc/passwd", digest("x"), 1)]))
    write("unsafe-nul-path.sigstore.json", scelle([good, ("weights\u0000.bin", digest("x"), 1)]))
    write("duplicate-path.sigstore.json", scelle([good, good]))
    write("short-digest.sigstore.json", scelle([("config.json", digest("{}")[:63], 2)]))
    # A size no file can have (2^64): the number must be refused, not wrapped or truncated.
    huge = scelle_statement([good])
    text = json.dumps(huge, indent=2).replace('"size": 2', '"size": 18446744073709551616')
    write("huge-size.sigstore.json", signed_bundle(text.encode(), ed))
    certificate = scelle([good])
    certificate["verificationMaterial"] = {"certificate": {"rawBytes": base64.b64encode(b"not a cert").decode()}}
    write("certificate.sigstore.json", certificate)
    write_once("oms-unsafe-path.sig", lambda: signed_bundle(
        json.dumps(oms_statement([("../../etc/passwd", digest("x"))]), indent=2).encode(), p256, ecdsa=True))
    write_once("oms-shards.sig", lambda: signed_bundle(json.dumps({
        **oms_statement([]),
        "predicate": {"serialization": {"method": "shards", "hash_type": "sha256", "shard_size": 1000000000.0},
                      "resources": [{"name": "w.bin:0:10", "algorithm": "sha256-sharded-1000000000",
                                     "digest": digest("x")}]},
    }, indent=2).encode(), p256, ecdsa=True))
    print(f"wrote {len(os.listdir(OUT))} bundles to {OUT}")


if __name__ == "__main__":
    main()
