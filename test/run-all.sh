#!/usr/bin/env bash
# Runs every check that `npm test` covers, in order:
#   1. typecheck     tsc --noEmit -p .
#   2. build         node esbuild.mjs
#   3. unit          mocha under plain Node on out/test/unit/*.test.js
#   4. integration   the suite in out/test/integration inside real VS Code (test/harness/run-tests.sh)
#   5. phases        the restart and ui phase runs in real VS Code (run-tests.sh --phases restart,ui)
# The last line of output is always `N passed, N failed`, summed over the unit, integration and phase tests.
# A stage that fails without test results (typecheck errors, a build error, a crashed runner, a missing
# VS Code test environment) adds one failure. The exit status is 1 when anything failed.
#
# Environment: DDSTORE_VSCODE_TEST_ENV (see test/harness/install.sh), DDSTORE_UNIT_TIMEOUT
# (seconds for the whole unit stage, default 1200), DDSTORE_INTEGRATION_TIMEOUT (seconds for the whole
# integration stage, default 1800). All variables reach the unit tests and the extension host.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ENV_DIR="${DDSTORE_VSCODE_TEST_ENV:-$HOME/.cache/ddstore/vscode-test-env}"
UNIT_TIMEOUT="${DDSTORE_UNIT_TIMEOUT:-1200}"
INTEGRATION_TIMEOUT="${DDSTORE_INTEGRATION_TIMEOUT:-1800}"

RESULTS="$(mktemp -d "${TMPDIR:-/tmp}/ddstore-test-results.XXXXXX")"
trap 'rm -rf "$RESULTS"' EXIT

passed=0
failed=0
stage_notes=()

stage() { printf '\n==== %s ====\n' "$*"; }

# Adds one failure for a stage that produced no test results.
stage_error() {
  failed=$((failed + 1))
  stage_notes+=("$1: $2")
  echo "run-all: $1 failed: $2" >&2
}

# Adds the counts from a JSON summary {passed, failed} and prints them. Returns 1 when the file is
# missing or unreadable.
add_summary() {
  local name="$1" file="$2" counts
  counts="$(node -e '
    const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    if (!Number.isInteger(s.passed) || !Number.isInteger(s.failed)) process.exit(1);
    console.log(s.passed, s.failed);
  ' "$file" 2>/dev/null)" || return 1
  local stage_passed="${counts% *}" stage_failed="${counts#* }"
  passed=$((passed + stage_passed))
  failed=$((failed + stage_failed))
  stage_notes+=("$name: $stage_passed passed, $stage_failed failed")
}

# Removes compiled tests whose TypeScript source is gone, so a deleted test does not keep running
# from an old build in out/.
remove_stale_tests() {
  local folder="$1" compiled source
  for compiled in "out/test/$folder"/*.test.js; do
    [ -e "$compiled" ] || continue
    source="test/$folder/$(basename "$compiled" .js).ts"
    if [ ! -e "$source" ]; then
      echo "run-all: removing $compiled (no $source)"
      rm -f "$compiled" "$compiled.map"
    fi
  done
}

print_summary() {
  stage "summary"
  local note
  for note in "${stage_notes[@]}"; do echo "  $note"; done
  echo "$passed passed, $failed failed"
}

if [ ! -x node_modules/.bin/tsc ] || [ ! -x node_modules/.bin/mocha ]; then
  stage_error "setup" "node_modules is missing or incomplete; run \`npm ci\` first"
  print_summary
  exit 1
fi

# 1. Typecheck. Errors count as one failure, and the later stages still run.
stage "typecheck: tsc --noEmit -p ."
if node_modules/.bin/tsc --noEmit -p .; then
  stage_notes+=("typecheck: ok")
else
  stage_error "typecheck" "tsc reported errors (see above)"
fi

# 2. Build. esbuild writes every bundle that compiles even when another one fails, so the tests
#    still run after a failed build: the failure already fails the run, and the test results show what
#    else is broken. Bundles that failed keep their output from an earlier build, if any.
stage "build: node esbuild.mjs"
if node esbuild.mjs; then
  stage_notes+=("build: ok")
else
  stage_error "build" "node esbuild.mjs failed (see above)"
fi

remove_stale_tests unit
remove_stale_tests integration

# 3. Unit tests under plain Node. The reporter prints spec output and writes the counts.
stage "unit tests: mocha out/test/unit/*.test.js"
if compgen -G 'out/test/unit/*.test.js' >/dev/null; then
  # --exit keeps a test that leaves a socket or timer open from holding the run until the timeout.
  timeout --kill-after=30 "$UNIT_TIMEOUT" node_modules/.bin/mocha --config test/unit/.mocharc.json --exit \
    --reporter ./test/harness/summary-reporter.cjs --reporter-option "output=$RESULTS/unit.json"
  unit_status=$?
  if ! add_summary "unit" "$RESULTS/unit.json"; then
    stage_error "unit" "mocha exited with status $unit_status before it reported results"
  elif [ "$unit_status" -ne 0 ] && [ "$(node -p "require('$RESULTS/unit.json').failed")" = 0 ]; then
    stage_error "unit" "mocha exited with status $unit_status although no test failed"
  fi
else
  echo "no unit test files in out/test/unit"
  stage_notes+=("unit: no test files")
fi

# 4. Integration tests in real VS Code.
stage "integration tests: real VS Code (code-server) via test/harness/run-tests.sh"
if [ ! -f "$ENV_DIR/READY" ]; then
  echo "run-all: the VS Code test environment is missing: $ENV_DIR/READY not found." >&2
  echo "run-all: install it with \`bash test/harness/install.sh\` (about 2 minutes; needs root for apt" >&2
  echo "run-all: and the npm registry), or point DDSTORE_VSCODE_TEST_ENV at an installed environment." >&2
  stage_error "integration" "VS Code test environment not installed (run bash test/harness/install.sh)"
else
  timeout --kill-after=30 $((INTEGRATION_TIMEOUT + 120)) \
    bash test/harness/run-tests.sh --timeout "$INTEGRATION_TIMEOUT" --result "$RESULTS/integration.json"
  integration_status=$?
  if ! add_summary "integration" "$RESULTS/integration.json"; then
    stage_error "integration" "the harness exited with status $integration_status before it reported results"
  elif [ "$integration_status" -ne 0 ] && [ "$(node -p "require('$RESULTS/integration.json').failed")" = 0 ]; then
    stage_error "integration" "the harness exited with status $integration_status although no test failed"
  fi
fi

# 5. Phase runs in real VS Code: a restart mid-push followed by Resume, and modal dialog buttons in
#    Restricted Mode (test/harness/run-tests.mjs --phases).
stage "integration phases: restart and ui via test/harness/run-tests.sh --phases restart,ui"
if [ ! -f "$ENV_DIR/READY" ]; then
  stage_error "phases" "VS Code test environment not installed (run bash test/harness/install.sh)"
else
  timeout --kill-after=30 $((INTEGRATION_TIMEOUT + 120)) \
    bash test/harness/run-tests.sh --phases restart,ui --timeout "$INTEGRATION_TIMEOUT" --result "$RESULTS/phases.json"
  phases_status=$?
  if ! add_summary "phases" "$RESULTS/phases.json"; then
    stage_error "phases" "the harness exited with status $phases_status before it reported results"
  elif [ "$phases_status" -ne 0 ] && [ "$(node -p "require('$RESULTS/phases.json').failed")" = 0 ]; then
    stage_error "phases" "the harness exited with status $phases_status although no test failed"
  fi
fi

print_summary
if [ "$failed" -ne 0 ]; then
  exit 1
fi
exit 0
