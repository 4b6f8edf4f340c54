#!/usr/bin/env bash
# The install step of the scelle GitHub Action (`action.yml`). SCELLE_INSTALL says how:
#   cargo  `cargo install --locked --path` the Action's own checkout (GITHUB_ACTION_PATH): the
#          scelle of the ref the workflow pinned (`uses: ...@REF`), built with the runner's Rust
#          toolchain (GitHub's Ubuntu runners have one)
#   pip    `pipx install scelle`, or `pip install scelle` without pipx (SCELLE_VERSION pins a
#          version, e.g. `0.1.0`): the prebuilt wheel
#   none   use the scelle already on PATH
set -euo pipefail
case "${SCELLE_INSTALL:-cargo}" in
  cargo)
    cargo install --locked --quiet --path "${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set}" ;;
  pip)
    spec=scelle
    if [ -n "${SCELLE_VERSION:-}" ]; then
      spec="scelle==$SCELLE_VERSION"
    fi
    # pipx where there is one (GitHub's runners have it; their system Python refuses a plain
    # `pip install`, PEP 668), else pip.
    if command -v pipx >/dev/null; then
      pipx install --quiet "$spec"
    else
      python3 -m pip install --quiet --disable-pip-version-check "$spec"
    fi ;;
  none) ;;
  *)
    echo "error: \`install\` must be \`cargo\`, \`pip\` or \`none\`, not \`$SCELLE_INSTALL\`" >&2
    exit 2 ;;
esac
scelle --version
