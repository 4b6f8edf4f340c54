#!/usr/bin/env bash
# The certificate method side by side: `scelle sign --cert` / `verify --cert-root` against the
# reference `model_signing sign certificate` / `verify certificate` on the same release and the
# same three-level PKI (made with `cryptography`), in one run. Prints wall time, peak memory and
# the ratios.
#
#   bench/certificate.sh [--large-mib N] [--files N] [--repeat N]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
.ci/setup-python
exec .venv/bin/python bench/certificate.py --scelle target/release/scelle --venv .venv "$@"
