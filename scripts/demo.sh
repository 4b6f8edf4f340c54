#!/usr/bin/env bash
# scelle's main job, end to end, on the demo release shipped in fixtures/demo (nothing is
# downloaded): build, scan, and show the manifest that later steps sign.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
scelle="$PWD/target/release/scelle"
work=$(mktemp -d "${TMPDIR:-/tmp}/scelle-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; }

step scelle scan fixtures/demo --format table
"$scelle" scan fixtures/demo --format table

step scelle scan fixtures/demo -o manifest.json
"$scelle" scan fixtures/demo -o "$work/manifest.json"
echo "wrote manifest.json ($(wc -c < "$work/manifest.json") bytes): an in-toto Statement v1; its first file record:"
python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(json.dumps(m["predicate"]["files"][0], indent=2)); print("root:", m["predicate"]["root"]["sha256"])' "$work/manifest.json"
