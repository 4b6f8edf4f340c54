#!/usr/bin/env bash
# The check step of the scelle GitHub Action (`action.yml`), kept here so that the tests run the
# very commands the Action runs. Reads its settings from the environment (the Action maps its
# inputs to these variables, never into the script text, so an input cannot inject shell code):
#
#   SCELLE_PATH             release folder, manifest or bundle to check (default `.`)
#   SCELLE_PACKS            packs to add: built-in names or pack files, separated by spaces,
#                           commas or new lines
#   SCELLE_NO_BUILTIN       `true`: run only SCELLE_PACKS
#   SCELLE_STAGE            `release` (default) or `pre-sign`
#   SCELLE_FAIL_ON          `error` (default), `warning` or `info`
#   SCELLE_KEY, SCELLE_CERT_ROOT, SCELLE_CERT_CHAIN, SCELLE_IDENTITY, SCELLE_IDENTITY_REGEXP,
#   SCELLE_ISSUER, SCELLE_TRUSTED_ROOT, SCELLE_WAIVERS
#                           the `check` options of the same names (empty: not given)
#   SCELLE_SARIF            where to write the SARIF report (default `scelle.sarif`)
#   SCELLE_JUNIT            where to write a JUnit report too (default: none)
#   SCELLE_BIN              the scelle command (default `scelle`)
#
# Exit status: scelle's (0 pass, 1 a failure at or above SCELLE_FAIL_ON, 2 could not run). When
# GITHUB_OUTPUT is set, writes `sarif` (the report's path, when written) and `exit-code` to it
# before exiting, so that the upload step runs on failures too.
set -euo pipefail
set -f # pack names are never globbed

bin=${SCELLE_BIN:-scelle}
sarif=${SCELLE_SARIF:-scelle.sarif}
target=${SCELLE_PATH:-.}
# The report's path goes into GITHUB_OUTPUT, one `name=value` a line: a new line in it would
# forge another output.
case "$sarif" in
  *$'\n'*) echo "error: \`sarif\` must be one line, a file path" >&2; exit 2 ;;
esac
args=(check --stage "${SCELLE_STAGE:-release}" --fail-on "${SCELLE_FAIL_ON:-error}")

case "${SCELLE_NO_BUILTIN:-false}" in
  true) args+=(--no-builtin) ;;
  false | '') ;;
  *) echo "error: \`no-builtin\` must be \`true\` or \`false\`, not \`$SCELLE_NO_BUILTIN\`" >&2; exit 2 ;;
esac
packs=${SCELLE_PACKS:-}
for pack in ${packs//,/ }; do
  args+=(--policy "$pack")
done

# Options that take one value each; an empty variable leaves the option out.
option() {
  if [ -n "${2:-}" ]; then
    args+=("$1" "$2")
  fi
}
option --key "${SCELLE_KEY:-}"
option --cert-root "${SCELLE_CERT_ROOT:-}"
option --cert-chain "${SCELLE_CERT_CHAIN:-}"
option --identity "${SCELLE_IDENTITY:-}"
option --identity-regexp "${SCELLE_IDENTITY_REGEXP:-}"
option --issuer "${SCELLE_ISSUER:-}"
option --trusted-root "${SCELLE_TRUSTED_ROOT:-}"
option --waivers "${SCELLE_WAIVERS:-}"

output() {
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
  fi
}

# The SARIF run decides the status.
status=0
# The release goes after `--`: a path starting with `-` is still a path.
"$bin" "${args[@]}" --format sarif --force -o "$sarif" -- "$target" || status=$?
if [ -f "$sarif" ] && [ "$status" -ne 2 ]; then
  output sarif "$sarif"
fi
if [ -n "${SCELLE_JUNIT:-}" ] && [ "$status" -ne 2 ]; then
  junit_status=0
  "$bin" "${args[@]}" --format junit --force -o "$SCELLE_JUNIT" -- "$target" || junit_status=$?
  if [ "$junit_status" -eq 2 ]; then
    status=2
  fi
fi
# A failed check shows its findings in the job log as well (one more run, on failure only).
if [ "$status" -eq 1 ]; then
  "$bin" "${args[@]}" --quiet --format table -- "$target" || true
fi
output exit-code "$status"
exit "$status"
