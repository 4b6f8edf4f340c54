#!/usr/bin/env bash
# `scelle check` speed: every built-in pack over a manifest of N files (default 10,000) carrying
# the demo's declaration, timed end to end (process start, JSON parse, pack compilation,
# evaluation, report), against the design target of 100 ms. Prints the median and the spread.
#
#   bench/check.sh [--files N] [--repeat N]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
exec python3 bench/check.py --scelle target/release/scelle "$@"
