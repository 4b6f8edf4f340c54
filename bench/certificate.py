"""The certificate method side by side. Makes a release (one large file of --large-mib MiB and
--files small files of 4 KiB), a PKI of a P-384 root, a P-256 intermediate and a P-256 leaf
(keyUsage digitalSignature, extendedKeyUsage codeSigning), then times, in one run:

- `scelle sign DIR --format oms --key LEAF.key --cert LEAF.pem --cert-chain INT.pem` against
  `model_signing sign certificate` with the same key, certificate and chain;
- `scelle verify DIR --cert-root ROOT.pem` against `model_signing verify certificate
  --certificate_chain ROOT.pem`, each on its own bundle and on the other's (the interop runs).

The tree is read from a warm page cache; each command runs --repeat times and the best wall time
counts, with the highest peak memory seen. Ratios are the reference's time divided by scelle's.
"""

import argparse
import datetime
import json
import os
import shutil
import sys
import tempfile

from measure import run, warm


def make_pki(root):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(days=1), now + datetime.timedelta(days=30)

    def name(cn):
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def cert(subject, key, issuer, issuer_key, ca, pathlen=None):
        b = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
             .public_key(key.public_key()).serial_number(x509.random_serial_number())
             .not_valid_before(start).not_valid_after(end)
             .add_extension(x509.BasicConstraints(ca=ca, path_length=pathlen), critical=True)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False))
        if ca:
            b = b.add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
        else:
            b = b.add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            b = b.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        if issuer_key is not key:
            b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
                                critical=False)
        return b.sign(issuer_key, hashes.SHA384() if isinstance(issuer_key.curve, ec.SECP384R1) else hashes.SHA256())

    root_key = ec.generate_private_key(ec.SECP384R1())
    int_key = ec.generate_private_key(ec.SECP256R1())
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    root_cert = cert("Bench Root", root_key, "Bench Root", root_key, True)
    int_cert = cert("Bench Intermediate", int_key, "Bench Root", root_key, True, 0)
    leaf_cert = cert("Bench Release Signer", leaf_key, "Bench Intermediate", int_key, False)
    paths = {}
    for label, c in (("root", root_cert), ("int", int_cert), ("leaf", leaf_cert)):
        paths[label] = os.path.join(root, f"{label}.pem")
        with open(paths[label], "wb") as f:
            f.write(c.public_bytes(serialization.Encoding.PEM))
    paths["key"] = os.path.join(root, "leaf.key")
    with open(paths["key"], "wb") as f:
        f.write(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return paths


def make_release(root, large_mib, files):
    os.makedirs(os.path.join(root, "data"))
    with open(os.path.join(root, "model.safetensors"), "wb") as f:
        header = json.dumps({"w": {"dtype": "U8", "shape": [large_mib << 20],
                                   "data_offsets": [0, large_mib << 20]}}).encode()
        f.write(len(header).to_bytes(8, "little") + header)
        for _ in range(large_mib):
            f.write(os.urandom(1 << 20))
    for i in range(files):
        d = os.path.join(root, "data", f"shard{i // 1000:03d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"doc{i:06d}.bin"), "wb") as f:
            f.write(os.urandom(4096))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scelle", required=True)
    ap.add_argument("--venv", required=True)
    ap.add_argument("--large-mib", type=int, default=2048)
    ap.add_argument("--files", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    scelle = os.path.abspath(args.scelle)
    model_signing = os.path.abspath(os.path.join(args.venv, "bin", "model_signing"))
    work = tempfile.mkdtemp(prefix="scelle-bench-cert-")
    try:
        pki = make_pki(work)
        release = os.path.join(work, "release")
        print(f"creating the release in {release} ...", file=sys.stderr)
        make_release(release, args.large_mib, args.files)
        warm(release)
        ours = os.path.join(work, "scelle.sig")
        theirs = os.path.join(work, "reference.sig")
        cases = [
            ("sign", "scelle sign --cert",
             [scelle, "sign", release, "--format", "oms", "--key", pki["key"], "--cert", pki["leaf"],
              "--cert-chain", pki["int"], "-o", ours, "--force", "-q"]),
            ("sign", "model_signing sign certificate",
             [model_signing, "sign", "certificate", release, "--private_key", pki["key"],
              "--signing_certificate", pki["leaf"], "--certificate_chain", pki["int"], "--signature", theirs]),
            ("verify", "scelle verify --cert-root (own bundle)",
             [scelle, "verify", release, "--bundle", ours, "--cert-root", pki["root"], "-q"]),
            ("verify", "model_signing verify certificate (own bundle)",
             [model_signing, "verify", "certificate", release, "--signature", theirs,
              "--certificate_chain", pki["root"]]),
            ("interop", "scelle verifies the reference's bundle",
             [scelle, "verify", release, "--bundle", theirs, "--cert-root", pki["root"], "-q"]),
            ("interop", "model_signing verifies scelle's bundle",
             [model_signing, "verify", "certificate", release, "--signature", ours,
              "--certificate_chain", pki["root"]]),
        ]
        results = {}
        for _, label, cmd in cases:
            best, peak = None, 0.0
            for _ in range(args.repeat):
                wall, rss = run(cmd)
                best = wall if best is None else min(best, wall)
                peak = max(peak, rss)
            results[label] = (best, peak)
            print(f"{label:50} {best:8.2f} s {peak:8.0f} MiB", flush=True)
        size = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(release) for n in ns)
        print(f"\nrelease: {args.files + 1} files, {size / (1 << 30):.2f} GiB; {os.cpu_count()} cores;"
              f" best of {args.repeat}")
        s = results["scelle sign --cert"][0]
        r = results["model_signing sign certificate"][0]
        print(f"sign:   model_signing / scelle = {r / s:5.1f}x")
        s = results["scelle verify --cert-root (own bundle)"][0]
        r = results["model_signing verify certificate (own bundle)"][0]
        print(f"verify: model_signing / scelle = {r / s:5.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
