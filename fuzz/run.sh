#!/usr/bin/env bash
# Runs one fuzz target (or all) for SECONDS each, seeded from the committed fixtures.
#   fuzz/run.sh [TARGET] [SECONDS]     needs a nightly toolchain and `cargo install cargo-fuzz`
set -euo pipefail
cd "$(dirname "$0")"
seconds=${2:-60}
targets=${1:-$(cargo +nightly fuzz list)}
for t in $targets; do
  mkdir -p "corpus/$t"
  case $t in
    bundle) seeds=(../fixtures/bad/bundles ../fixtures/vectors) ;;
    statement) seeds=(../fixtures/vectors) ;;
    key_pem) seeds=(../fixtures/keys) ;;
    descriptor) seeds=(../policies/scenarios) ;;
    summary_doc) seeds=(../policies/ai-act-gpai/tests ../fixtures/demo/docs) ;;
    domain_sizes) seeds=(../fixtures/demo/docs) ;;
    policy_pack) seeds=(../policies/release-integrity) ;;
    x509_chain) seeds=(seeds/x509_chain) ;;
    keyless_bundle) seeds=(../tests/data/sigstore-conformance/bundle-verify/*/) ;;
    chat_template) seeds=(../fixtures/templates/ordinary ../fixtures/templates/escape ../fixtures/templates/suspicious) ;;
    *) seeds=(../fixtures/formats ../fixtures/bad/files) ;;
  esac
  echo "== $t for ${seconds}s" >&2
  cargo +nightly fuzz run "$t" "corpus/$t" "${seeds[@]}" -- -max_total_time="$seconds" -rss_limit_mb=512 2>&1 \
    | grep -E '^(Done [0-9]+ runs|==[0-9]+==|SUMMARY|Test unit written|.*deadly signal)' || true
done
