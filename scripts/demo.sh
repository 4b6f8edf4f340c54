#!/usr/bin/env bash
# scelle's main job, end to end, on the demo release shipped in fixtures/demo (nothing is
# downloaded): scan it, make a key, seal it, verify it, check it against the EU AI Act and GDPR
# policy packs, write the documents the law asks for and its bills of materials (CycloneDX and
# SPDX), then show what tampering looks like.
# fixtures/demo itself is never written to: bundles go to a temporary folder, the documents to
# target/demo-documents (replaced on each run).
set -euo pipefail
# SCELLE=/path/to/scelle (or a name on PATH) runs the demo with an installed binary: `.ci/wheel`
# runs it with the one `pip install` put in a fresh venv. Resolved before the `cd` below.
scelle=
if [ -n "${SCELLE:-}" ]; then
    scelle=$(command -v -- "$SCELLE") && scelle=$(realpath -- "$scelle") && [ -x "$scelle" ] ||
        { echo "SCELLE=\`$SCELLE\` is not an executable file" >&2; exit 1; }
fi
cd "$(dirname "$0")/.."
if [ -z "$scelle" ]; then
    # Ask cargo where it put the binary: CARGO_TARGET_DIR, a config's build.target-dir or ./target.
    scelle=$(cargo build --release --locked --quiet --message-format=json |
        sed -n 's/.*"executable":"\([^"]*\/scelle\)".*/\1/p' | tail -n 1)
    [ -x "$scelle" ] || { echo "cargo built no \`scelle\` binary" >&2; exit 1; }
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/scelle-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; }

step scelle scan fixtures/demo --format table
"$scelle" scan fixtures/demo --format table

step scelle keygen -o publisher
"$scelle" keygen -o "$work/publisher"

step scelle sign fixtures/demo --key publisher.key -o demo.sigstore.json
"$scelle" sign fixtures/demo --key "$work/publisher.key" -o "$work/demo.sigstore.json"

step scelle verify fixtures/demo --key publisher.pub --bundle demo.sigstore.json
"$scelle" verify fixtures/demo --key "$work/publisher.pub" --bundle "$work/demo.sigstore.json"

step "scelle check fixtures/demo --key publisher.pub --bundle demo.sigstore.json   # exit 1: findings at error severity"
status=0
"$scelle" check fixtures/demo --key "$work/publisher.pub" --bundle "$work/demo.sigstore.json" || status=$?
echo "(exit status $status: the declaration leaves evidence out on purpose, see fixtures/demo/scelle.yaml)"
[ "$status" -eq 1 ] || { echo "unexpected exit status $status" >&2; exit 1; }

step "scelle check ... --format sarif -o demo.sarif   # the same findings for code-scanning dashboards"
"$scelle" check fixtures/demo --key "$work/publisher.pub" --bundle "$work/demo.sigstore.json" \
    --format sarif -o "$work/demo.sarif" -q || true
echo "($(grep -c '"ruleId"' "$work/demo.sarif") results in demo.sarif, each at the scelle.yaml line it concerns)"

# The documents the law asks for, written from the sealed and verified release.
out=target/demo-documents
mkdir -p "$out"
signed=(--key "$work/publisher.pub" --bundle "$work/demo.sigstore.json")
document() { # KIND FILE [ARGS...]: writes FILE, says how many fields the declaration leaves out
    local kind=$1 file=$2
    shift 2
    "$scelle" report fixtures/demo "${signed[@]}" --kind "$kind" "$@" --force -o "$out/$file" 2>"$work/report.err"
    echo "(wrote $out/$file; $(grep -c 'is not declared' "$work/report.err" || true) fields not declared, each written as such)"
}
step "scelle report fixtures/demo --key publisher.pub --bundle demo.sigstore.json --kind training-summary -o training-summary.md"
document training-summary training-summary.md
sed -n '/^### 1.3 /,/^#### Image/p' "$out/training-summary.md" | sed '$d'
step "scelle report ... --kind model-documentation --audience downstream -o model-documentation-downstream.md"
document model-documentation model-documentation-downstream.md --audience downstream
sed -n '/^## 2 /,/^## 3 /p' "$out/model-documentation-downstream.md" | sed '$d'
step "scelle report ... --kind audit --format html -o audit.html   # one self-contained page to file"
document audit audit.html --format html
echo "($(grep -c '<tr' "$out/audit.html") table rows; open it in a browser or print it on A4)"

# The same sealed record as bills of materials for supply-chain tools (docs/export.md).
bom() { # FORMAT FILE: writes FILE from the verified release, shows how complete it is
    "$scelle" export fixtures/demo "${signed[@]}" --format "$1" --force -o "$out/$2" 2>"$work/export.err"
    echo "(wrote $out/$2; $(head -n 1 "$work/export.err"))"
}
step "scelle export fixtures/demo --key publisher.pub --bundle demo.sigstore.json --format cyclonedx -o demo.cdx.json"
bom cyclonedx demo.cdx.json
step "scelle export ... --format spdx -o demo.spdx.json   # SPDX 3.0.1, AI and Dataset profiles"
bom spdx demo.spdx.json

step "scelle keygen -a p256 -o oms && scelle sign fixtures/demo --key oms.key --format oms -o model.sig"
"$scelle" keygen -a p256 -o "$work/oms" -q
"$scelle" sign fixtures/demo --key "$work/oms.key" --format oms -o "$work/model.sig"
echo "(model.sig is an OpenSSF Model Signing bundle: \`model_signing verify key\` accepts it)"

# Tamper with a copy: edit the config, rename the card, add a file.
cp -r fixtures/demo "$work/tampered"
printf '{"model_type":"llama","num_hidden_layers":99}\n' > "$work/tampered/config.json"
mv "$work/tampered/README.md" "$work/tampered/MODEL_CARD.md"
echo "unsigned" > "$work/tampered/notes.txt"
step "scelle verify tampered-copy --key publisher.pub --bundle demo.sigstore.json   # exit 1"
status=0
"$scelle" verify "$work/tampered" --key "$work/publisher.pub" --bundle "$work/demo.sigstore.json" || status=$?
echo "(exit status $status)"

step "scelle diff fixtures/demo tampered-copy   # what changed, and what the law then asks for"
"$scelle" diff fixtures/demo "$work/tampered"
