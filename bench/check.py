"""Times `scelle check` with every built-in pack on a large manifest (see check.sh)."""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scelle", required=True)
    ap.add_argument("--files", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=21)
    args = ap.parse_args()
    scelle = os.path.abspath(args.scelle)
    work = tempfile.mkdtemp(prefix="scelle-check-bench.")
    try:
        release = os.path.join(work, "release")
        shutil.copytree("fixtures/demo", release)
        shards = os.path.join(release, "data", "shards")
        os.makedirs(shards)
        for i in range(args.files - 14):
            with open(os.path.join(shards, f"part-{i:05d}.jsonl"), "w") as f:
                f.write('{"text": "exemple %d"}\n' % i)
        manifest = os.path.join(work, "manifest.json")
        env = dict(os.environ, SOURCE_DATE_EPOCH="1764288000")
        subprocess.run([scelle, "scan", release, "-o", manifest, "-q"], check=True, env=env)
        with open(manifest) as f:
            files = len(json.load(f)["predicate"]["files"])
        cmd = [scelle, "check", manifest, "--as-of", "2026-11-28", "--format", "json", "-q"]
        runs = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE)
            runs.append(time.perf_counter() - start)
            if done.returncode not in (0, 1):
                raise SystemExit(f"scelle check failed with status {done.returncode}")
        report = json.loads(done.stdout)
        rules = report["summary"]["rules"]
        total = sum(rules.values())
        size = os.path.getsize(manifest)
        median = statistics.median(runs) * 1000
        print(f"manifest: {files} files, {size / 1e6:.1f} MB; {report['summary']['packs']} packs, {total} rules")
        print(f"scelle check, {args.repeat} runs: median {median:.1f} ms, min {min(runs) * 1000:.1f} ms, "
              f"max {max(runs) * 1000:.1f} ms")
        print(f"target 100 ms: {'met' if median < 100 else 'missed'} ({100 / median:.2f}x headroom)")
    finally:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
