#!/usr/bin/env bash
# scelle at scale: `scan`, `sign`, `verify`, `check`, `report` and `diff` on 200,000 files of
# 1 KiB (1,000,000 with `--million`), against the reference `model_signing sign key` /
# `verify key` on the same tree, in one run. Prints wall time and peak memory per command and the ratios.
#
#   bench/scale.sh [--files N | --million] [--repeat N] [--no-reference] [--keep DIR]
#
# Needs about 1 GiB of free disk for 200,000 files (5 GiB for a million); deleted at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked --quiet
.ci/setup-python
exec .venv/bin/python bench/scale.py --scelle target/release/scelle --venv .venv "$@"
