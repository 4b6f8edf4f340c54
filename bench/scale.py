"""scelle at scale: many small files. Makes a release of N files of 1 KiB (200,000 by default,
1,000,000 with --million), then times `scelle scan`, `sign`, `verify`, `check`, `report` and
`diff` and the reference `model_signing sign key` / `verify key` on the same tree, in one run, and prints each
command's wall time and peak memory (the child's maximum resident set size) with the ratios.

The tree is read from a warm page cache; each command runs --repeat times and the best wall time
counts (the least disturbed run on a shared machine), with the highest peak memory seen. The
targets of issue 8 are printed beside the figures: every scelle command under 128 MiB at 200,000
files and under 512 MiB at 1,000,000.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

from measure import run, warm

PER_FOLDER = 1000


def make_tree(root, files):
    os.makedirs(root)
    for i in range(files):
        d = os.path.join(root, f"shard{i // PER_FOLDER:04d}")
        if i % PER_FOLDER == 0:
            os.makedirs(d)
        with open(os.path.join(d, f"doc{i:07d}.bin"), "wb") as f:
            f.write(os.urandom(1024))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scelle", required=True)
    ap.add_argument("--venv", required=True)
    ap.add_argument("--files", type=int, default=200_000)
    ap.add_argument("--million", action="store_true", help="1,000,000 files (about 5 GiB of disk with metadata)")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--no-reference", action="store_true", help="skip model_signing (it takes minutes)")
    ap.add_argument("--keep", help="use (and keep) this folder instead of a temporary one")
    args = ap.parse_args()
    files = 1_000_000 if args.million else args.files

    scelle = os.path.abspath(args.scelle)
    model_signing = os.path.abspath(os.path.join(args.venv, "bin", "model_signing"))
    root = args.keep or tempfile.mkdtemp(prefix="scelle-scale-")
    try:
        tree = os.path.join(root, f"tree-{files}")
        if not os.path.isdir(tree):
            print(f"creating {files} files of 1 KiB in {tree} ...", file=sys.stderr)
            make_tree(tree, files)
        out = os.path.join(root, "out")
        os.makedirs(out, exist_ok=True)
        ec_key = os.path.join(out, "p256.key")
        ec_pub = os.path.join(out, "p256.pub")
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-out", ec_key], check=True, capture_output=True)
        os.chmod(ec_key, 0o600)
        subprocess.run(["openssl", "pkey", "-in", ec_key, "-pubout", "-out", ec_pub], check=True)
        manifest = os.path.join(out, "manifest.json")
        bundle = os.path.join(out, "scelle.sigstore.json")
        oms = os.path.join(out, "model.sig")
        # The order matters: verify and check read what sign wrote. `check` exits 1 on this
        # undeclared release (rules fail), which is a finished run.
        commands = [
            ("scelle scan", [scelle, "scan", tree, "-q", "-o", manifest, "--force"]),
            ("scelle sign", [scelle, "sign", tree, "-q", "--key", ec_key, "-o", bundle, "--force"]),
            ("scelle verify", [scelle, "verify", tree, "-q", "--key", ec_pub, "--bundle", bundle]),
            ("scelle check BUNDLE --key", [scelle, "check", bundle, "-q", "--key", ec_pub]),
            ("scelle check MANIFEST", [scelle, "check", manifest, "-q"]),
            ("scelle sign --format oms", [scelle, "sign", tree, "-q", "--key", ec_key, "--format", "oms",
                                          "-o", oms, "--force"]),
            # The documents and the comparison read the same statement: every file record in full.
            ("scelle report audit BUNDLE", [scelle, "report", bundle, "-q", "--key", ec_pub, "--kind", "audit",
                                            "--format", "json", "-o", os.path.join(out, "audit.json"),
                                            "--force"]),
            ("scelle report summary MAN.", [scelle, "report", manifest, "-q", "--kind", "training-summary",
                                            "-o", os.path.join(out, "summary.md"), "--force"]),
            ("scelle diff MANIFEST BUNDLE", [scelle, "diff", manifest, bundle, "-q", "--format", "json",
                                             "-o", os.path.join(out, "diff.json"), "--force"]),
        ]
        reference = [
            ("model_signing sign key", [model_signing, "sign", "key", tree, "--private_key", ec_key,
                                        "--signature", oms]),
            ("model_signing verify key", [model_signing, "verify", "key", tree, "--public_key", ec_pub,
                                          "--signature", oms]),
        ]
        if not args.no_reference:
            commands += reference
        load = os.getloadavg()
        print(f"cpu: {os.cpu_count()} cores; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
              f"repeat {args.repeat}, best wall time counts", file=sys.stderr)
        warm(tree)
        results = {}
        for name, cmd in commands:
            best, peak = None, 0.0
            for _ in range(args.repeat):
                wall, rss = run(cmd, ok=(0, 1) if " check " in f" {name} " else (0,))
                best = wall if best is None else min(best, wall)
                peak = max(peak, rss)
            results[name] = (best, peak)
            print(f"  {name:28} {best:8.2f} s {peak:8.1f} MiB", file=sys.stderr)

        target = 128 if files <= 200_000 else 512
        print(f"\n{files} files of 1 KiB")
        print(f"{'command':30} {'seconds':>8} {'files/s':>9} {'peak MiB':>9}  target")
        for name, (t, peak) in results.items():
            verdict = ""
            if name.startswith("scelle"):
                verdict = f"<= {target} MiB: {'met' if peak <= target else 'missed'}"
            print(f"{name:30} {t:8.2f} {files / t:9.0f} {peak:9.1f}  {verdict}")
        if "model_signing sign key" in results:
            print()
            for ours, theirs in [("scelle sign", "model_signing sign key"),
                                 ("scelle sign --format oms", "model_signing sign key"),
                                 ("scelle verify", "model_signing verify key")]:
                t_ratio = results[theirs][0] / results[ours][0]
                m_ratio = results[theirs][1] / results[ours][1]
                print(f"{theirs} / {ours}: {t_ratio:5.1f}x the time, {m_ratio:5.1f}x the memory")
        load = os.getloadavg()
        print(f"\nload average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
