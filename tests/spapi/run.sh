#!/usr/bin/env bash
# SP-API client compatibility test.
#
# Proves that Amazon's official Python SP-API SDK (amzn-sp-api, pinned in
# requirements.txt), with its own LWA token flow, request building and response
# models, works against tracklane's SP-API-compatible routes:
# getShipmentTracking (Tracking 2026-01-30), getShipment and
# updateShipmentTrackingDetails (Fulfillment Inbound 2024-03-20).
#
# Builds nothing: uses ${TRACKLANE_BIN:-target/debug/tracklane} (relative paths
# are taken from the repository root). Build it first with
#   cargo build -p tracklane
# Environment:
#   TRACKLANE_BIN           the tracklane binary
#   SPAPI_VENV              reuse (or create) a virtualenv here instead of a temp one
#   SPAPI_SERVER_TIMEOUT    seconds to wait for the demo server (default 180)
# Ends with a line "N passed, M failed"; exits non-zero on any failure.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BIN=${TRACKLANE_BIN:-target/debug/tracklane}
case $BIN in /*) ;; *) BIN=$ROOT/$BIN ;; esac
TIMEOUT=${SPAPI_SERVER_TIMEOUT:-180}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tracklane-spapi.XXXXXX")
SERVER_PID=
SUMMARY_PRINTED=

cleanup() {
    local rc=$?
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [ -z "$SUMMARY_PRINTED" ]; then
        # Failed before the tests ran (setup error): still close with a summary.
        echo "0 passed, 1 failed"
        [ "$rc" -ne 0 ] || rc=1
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ ! -x "$BIN" ]; then
    echo "spapi: tracklane binary not found at $BIN (run: cargo build -p tracklane, or set TRACKLANE_BIN)" >&2
    exit 1
fi

# --- Python environment ------------------------------------------------------
VENV=${SPAPI_VENV:-$WORK/venv}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
PY=$VENV/bin/python

# --- tracklane demo server ---------------------------------------------------
mkdir -p "$WORK/server"
(
    cd "$WORK/server"
    exec "$BIN" demo --no-open --listen 127.0.0.1:0 --db "sqlite://$WORK/server/demo.db" --shipments 60 --speed 1
) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
KEYS=$WORK/server/tracklane-data/demo-keys.json

# Wait for the keys file (it names the URL) and for /healthz to answer.
if ! "$PY" - "$KEYS" "$TIMEOUT" "$SERVER_PID" <<'EOF'
import json, os, sys, time, urllib.request
keys_path, timeout, pid = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
deadline = time.monotonic() + timeout
last = "no keys file yet"
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except OSError:
        sys.exit(f"spapi: tracklane exited before it was ready ({last})")
    try:
        with open(keys_path) as f:
            url = json.load(f)["url"].rstrip("/")
        with urllib.request.urlopen(url + "/healthz", timeout=10) as r:
            if r.status == 200:
                print(f"spapi: tracklane ready at {url}")
                sys.exit(0)
            last = f"/healthz answered {r.status}"
    except Exception as e:  # not up yet
        last = repr(e)
    time.sleep(0.5)
sys.exit(f"spapi: tracklane not ready after {timeout:.0f}s ({last})")
EOF
then
    echo "--- server log (tail) ---" >&2
    tail -n 40 "$WORK/server.log" >&2 || true
    exit 1
fi

# --- the tests ---------------------------------------------------------------
set +e
PYTHONDONTWRITEBYTECODE=1 TRACKLANE_KEYS=$KEYS TRACKLANE_BIN=$BIN "$PY" -m pytest "$HERE" -p no:cacheprovider -v -rfE \
    --junitxml="$WORK/junit.xml" -o junit_family=xunit2
PYTEST_RC=$?
set -e

if [ "$PYTEST_RC" -ne 0 ]; then
    echo "--- server log (tail) ---"
    tail -n 40 "$WORK/server.log" || true
fi

# A closing line "N passed, M failed" from pytest's JUnit report.
SUMMARY=$("$PY" - "$WORK/junit.xml" <<'EOF' || echo "0 passed, 1 failed"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
n = lambda k: sum(int(s.get(k, 0)) for s in suites)
total, failed, skipped = n("tests"), n("failures") + n("errors"), n("skipped")
line = f"{total - failed - skipped} passed, {failed} failed"
print(line + (f", {skipped} skipped" if skipped else ""))
EOF
)
if [ "$PYTEST_RC" -ne 0 ] && [[ $SUMMARY == *" 0 failed"* ]]; then
    SUMMARY="${SUMMARY%%,*}, 1 failed" # pytest failed outside any test
fi
SUMMARY_PRINTED=1
echo "$SUMMARY"
exit "$PYTEST_RC"
