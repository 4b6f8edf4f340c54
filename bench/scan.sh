#!/usr/bin/env bash
# Scan and verify throughput: scelle against sha256sum, openssl and the reference model_signing, on the same
# synthetic release, in one run. Prints seconds, GB/s, files/s, peak memory and ratios.
#
#   bench/scan.sh [--large-gib N] [--small-files N] [--repeat N] [--keep DIR]
#
# Needs about 4 GiB of free disk by default; the files are deleted at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
.ci/setup-python
exec .venv/bin/python bench/scan.py --scelle target/release/scelle --venv .venv "$@"
