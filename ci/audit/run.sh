#!/usr/bin/env bash
# run.sh builds shopmuse, starts it on a free loopback port with an empty
# temporary data directory, runs the graphql-http conformance audit against
# /graphql and exits with the audit's status (0 all MUST audits pass, 1 a
# MUST audit failed, 2 setup or fatal error).
#
#   ci/audit/run.sh          (from anywhere; needs go, node >= 18 and npm)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
tmp="$(mktemp -d)"
pid=""

cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    # Give the server its graceful shutdown, then insist.
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "audit: building server" >&2
(cd "$root" && go build -o "$tmp/shopmuse" .)

# A free loopback port: bind port 0, read it back, release it. The tiny race
# with another process taking it is acceptable for a CI job.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()' 2>/dev/null \
  || node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
base="http://127.0.0.1:$port"

mkdir -p "$tmp/data"
SHOPMUSE_ADDR="127.0.0.1:$port" SHOPMUSE_DATA="$tmp/data" SHOPMUSE_DEMO=off SHOPMUSE_LOG_LEVEL=warn \
  "$tmp/shopmuse" 2>"$tmp/server.log" &
pid=$!

echo "audit: waiting for $base/readyz" >&2
ready=""
for _ in $(seq 1 300); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "audit: server exited during start:" >&2; cat "$tmp/server.log" >&2; exit 2
  fi
  if curl -fsS -o /dev/null "$base/readyz" 2>/dev/null; then ready=1; break; fi
  sleep 0.1
done
if [[ -z "$ready" ]]; then
  echo "audit: server not ready after 30s" >&2; cat "$tmp/server.log" >&2; exit 2
fi

(cd "$here" && npm ci --no-audit --no-fund >&2)

status=0
(cd "$here" && node audit.mjs "$base/graphql") || status=$?
exit "$status"
