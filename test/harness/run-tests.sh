#!/usr/bin/env bash
# Runs the integration tests in real VS Code (code-server), headless. When the kernel allows it, the
# run happens in a new network namespace with only the loopback interface up, so nothing in it can
# reach another host. Set DDSTORE_TEST_NETNS=0 to use the host network (for example, to debug).
# It takes the options of run-tests.mjs, listed by `bash test/harness/run-tests.sh --help`.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Any Node >= 20 runs the harness. code-server itself runs on the Node 24 that install.sh put in place.
NODE="${HARNESS_NODE:-node}"
if [ "${DDSTORE_TEST_NETNS:-1}" = 1 ] && command -v ip >/dev/null && unshare --net true 2>/dev/null; then
  exec unshare --net bash -c 'ip link set lo up && exec "$0" "$@"' "$NODE" "$HERE/run-tests.mjs" "$@"
fi
echo "run-tests.sh: no network namespace (unshare --net failed, ip is missing or DDSTORE_TEST_NETNS=0); using the host network" >&2
exec "$NODE" "$HERE/run-tests.mjs" "$@"
