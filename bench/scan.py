"""Runs scelle and the reference hashing tools side by side on one synthetic release: `scan` against
sha256sum, openssl and `model_signing sign key`, and `verify` against `model_signing verify key` on
the same OMS bundle.

Every tool hashes the same files from a warm page cache; each case runs --repeat times and the
best wall time counts (the least disturbed run on a shared machine). Peak memory is the child's
maximum resident set size. Ratios are the reference time divided by scelle's: above 1 means scelle
is faster. Absolute figures drift between machines and runs; the ratios are the result.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

GIB = 1 << 30


def run(cmd, cwd=None):
    """Runs cmd in a fresh process; returns (wall seconds, peak RSS in MiB)."""
    start = time.perf_counter()
    # A child's own rusage, not the accumulated one: fork a small wrapper per measurement.
    wrapper = (
        "import resource,subprocess,sys,json;"
        "p=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.PIPE);"
        "r=resource.getrusage(resource.RUSAGE_CHILDREN);"
        "sys.stderr.write(p.stderr.decode(errors='replace')[-2000:] if p.returncode else '');"
        "print(json.dumps([p.returncode,r.ru_maxrss]))"
    )
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"bench: wrapper failed for {cmd}: {out.stderr}")
    code, rss_kib = __import__("json").loads(out.stdout)
    if code != 0:
        sys.exit(f"bench: {' '.join(map(str, cmd))} exited {code}: {out.stderr}")
    return wall, rss_kib / 1024


def make_release(root, large_gib, small_files):
    large = os.path.join(root, "large")
    small = os.path.join(root, "small")
    os.makedirs(large)
    os.makedirs(small)
    for i in range(large_gib):
        # Real safetensors files (one U8 tensor over random data), so that inspection has work.
        header = json.dumps({"__metadata__": {"format": "pt"},
                             "weight": {"dtype": "U8", "shape": [GIB], "data_offsets": [0, GIB]}}).encode()
        with open(os.path.join(large, f"model-{i:05d}-of-{large_gib:05d}.safetensors"), "wb") as f:
            f.write(len(header).to_bytes(8, "little") + header)
            for _ in range(64):
                f.write(os.urandom(16 << 20))
    for i in range(small_files):
        d = os.path.join(small, f"shard{i // 500:03d}")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"doc{i:06d}.json"), "wb") as f:
            f.write(os.urandom(4096))
    single = os.path.join(root, "single")
    os.makedirs(single)
    os.link(os.path.join(large, f"model-00000-of-{large_gib:05d}.safetensors"), os.path.join(single, "model.safetensors"))
    # The whole release: large and small files in one folder (hard links, no extra disk).
    full = os.path.join(root, "release")
    shutil.copytree(large, os.path.join(full, "weights"), copy_function=os.link)
    shutil.copytree(small, os.path.join(full, "data"), copy_function=os.link)
    return {"large": large, "single": single, "small": small, "release": full}


def files_under(path):
    out = []
    for dirpath, _, names in os.walk(path):
        out.extend(os.path.join(dirpath, n) for n in names)
    out.sort()
    return out


def warm(path):
    for f in files_under(path):
        with open(f, "rb") as fh:
            while fh.read(8 << 20):
                pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scelle", required=True)
    ap.add_argument("--venv", required=True)
    ap.add_argument("--large-gib", type=int, default=4)
    ap.add_argument("--small-files", type=int, default=20_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", help="use (and keep) this folder instead of a temporary one")
    args = ap.parse_args()

    scelle = os.path.abspath(args.scelle)
    model_signing = os.path.abspath(os.path.join(args.venv, "bin", "model_signing"))
    root = args.keep or tempfile.mkdtemp(prefix="scelle-bench-")
    try:
        # Named after the layout: an older folder kept with --keep is not reused by mistake.
        cases = os.path.join(root, "cases-v2")
        if not os.path.isdir(cases):
            print(f"creating the synthetic release in {root} ...", file=sys.stderr)
            make_release(cases, args.large_gib, args.small_files)
        dirs = {name: os.path.join(cases, name) for name in ("large", "single", "small", "release")}
        key = os.path.join(root, "p256.pem")
        subprocess.run(
            ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key],
            check=True, capture_output=True,
        )
        sig = os.path.join(root, "model.sig")
        listing = {name: os.path.join(root, f"{name}.list") for name in dirs}
        for name, d in dirs.items():
            with open(listing[name], "w") as f:
                f.write("\0".join(files_under(d)))

        def tools(name, d):
            xargs = ["xargs", "-0", "-a", listing[name]]
            # Split the file list in two so that each of the two processes gets half.
            half = str(max(1, (len(files_under(d)) + 1) // 2))
            return [
                ("scelle scan", [scelle, "scan", d, "-q", "-o", os.path.join(root, "m.json"), "--force"]),
                ("scelle scan --no-inspect", [scelle, "scan", d, "-q", "--no-inspect", "-o", os.path.join(root, "m.json"),
                                              "--force"]),
                ("sha256sum", xargs + ["sha256sum"]),
                ("openssl dgst -sha256", xargs + ["openssl", "dgst", "-sha256"]),
                ("openssl dgst, 2 processes", xargs + ["-P", "2", "-n", half, "openssl", "dgst", "-sha256"]),
                ("model_signing sign key", [model_signing, "sign", "key", d, "--private_key", key,
                                            "--signature", sig]),
            ]

        print(f"cpu: {os.cpu_count()} cores; repeat {args.repeat}, best wall time counts", file=sys.stderr)
        ceiling = {}
        for procs in (1, os.cpu_count() or 1):
            out = subprocess.run(
                ["openssl", "speed", "-multi", str(procs), "-seconds", "3", "-bytes", str(1 << 20),
                 "-evp", "sha256"],
                capture_output=True, text=True, check=True,
            ).stdout
            # Last line: "sha256   <k bytes/s>" (OpenSSL prints thousands of bytes per second).
            ceiling[procs] = float(out.strip().splitlines()[-1].split()[-1].rstrip("k")) * 1000 / 1e9
        rows = []
        for name, d in dirs.items():
            files = files_under(d)
            size = sum(os.path.getsize(f) for f in files)
            warm(d)
            results = {}
            for tool, cmd in tools(name, d):
                best, peak = None, 0.0
                for _ in range(args.repeat):
                    wall, rss = run(cmd)
                    best = wall if best is None else min(best, wall)
                    peak = max(peak, rss)
                results[tool] = (best, peak)
                rows.append((name, tool, best, size / best / 1e9, len(files) / best, peak))
                print(f"  {name:8} {tool:28} {best:7.3f} s", file=sys.stderr)
            ours = results["scelle scan"][0]
            for tool, (t, _) in results.items():
                if tool not in ("scelle scan", "scelle scan --no-inspect"):
                    rows.append((name, f"  ratio {tool} / scelle", t / ours, None, None, None))
            rows.append((name, "  inspection cost (scan / --no-inspect)", ours / results["scelle scan --no-inspect"][0],
                         None, None, None))
            # Verification of one OMS bundle (made by scelle) by both verifiers.
            bundle = os.path.join(root, f"{name}.sig")
            subprocess.run([scelle, "sign", d, "--key", key, "--format", "oms", "-o", bundle, "--force", "-q"],
                           check=True)
            pub = key + ".pub"
            subprocess.run(["openssl", "pkey", "-in", key, "-pubout", "-out", pub], check=True)
            verifiers = [
                ("scelle verify", [scelle, "verify", d, "--key", pub, "--bundle", bundle, "-q"]),
                ("model_signing verify key", [model_signing, "verify", "key", d, "--public_key", pub,
                                              "--signature", bundle]),
            ]
            timed = {}
            for tool, cmd in verifiers:
                best, peak = None, 0.0
                for _ in range(args.repeat):
                    wall, rss = run(cmd)
                    best = wall if best is None else min(best, wall)
                    peak = max(peak, rss)
                timed[tool] = best
                rows.append((name, tool, best, size / best / 1e9, len(files) / best, peak))
                print(f"  {name:8} {tool:28} {best:7.3f} s", file=sys.stderr)
            rows.append((name, "  ratio model_signing verify / scelle",
                         timed["model_signing verify key"] / timed["scelle verify"], None, None, None))
            rows.append((name, "  ratio scelle verify / scelle scan", timed["scelle verify"] / ours, None, None, None))

        print(f"\n{'case':8} {'tool':34} {'seconds':>8} {'GB/s':>7} {'files/s':>9} {'peak MiB':>9}")
        for case, tool, t, gbs, fps, peak in rows:
            if gbs is None:
                print(f"{case:8} {tool:34} {t:7.2f}x")
            else:
                print(f"{case:8} {tool:34} {t:8.3f} {gbs:7.2f} {fps:9.0f} {peak:9.1f}")
        cores = os.cpu_count() or 1
        print(f"\nSHA-256 compute ceiling here (openssl speed, 1 MiB blocks): {ceiling[1]:.2f} GB/s on one "
              f"core, {ceiling[cores]:.2f} GB/s on {cores}")
        measured = {(case, tool): (gbs, fps, peak) for case, tool, _, gbs, fps, peak in rows if gbs is not None}
        large = measured[("large", "scelle scan")]
        single = measured[("single", "scelle scan")]
        small = measured[("small", "scelle scan")]
        peak = max(v[2] for k, v in measured.items() if k[1] == "scelle scan")
        checks = [
            ("many large files, GB/s", large[0], 2.6, f"{large[0] / ceiling[cores]:.0%} of the ceiling"),
            ("one large file, GB/s", single[0], 1.40, f"{single[0] / ceiling[1]:.0%} of one core"),
            ("4 KiB files, files/s", small[1], 40_000, ""),
        ]
        print(f"\n{'target':28} {'measured':>10} {'target':>10}")
        for what, got, want, note in checks:
            verdict = "met" if got >= want else f"missed by {1 - got / want:.0%}"
            print(f"{what:28} {got:10.2f} {want:10.2f}  {verdict} {note}")
        verdict = "met" if peak <= 64 else "missed"
        print(f"{'peak memory, MiB':28} {peak:10.1f} {'<= 64':>10}  {verdict}")
        print(
            "\ncases: large = {0} x 1 GiB, single = one 1 GiB file, small = {1} x 4 KiB, "
            "release = large + small in one folder".format(args.large_gib, args.small_files)
        )
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
