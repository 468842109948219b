#!/bin/bash
# A/B of two trees of the proxy (e.g. `git archive <commit> | tar -x -C /tmp/old`, node_modules linked, pump built
# with `node scripts/build-native.mjs` there) on one redis-server: each runs bench/proxy/ab-plane.mts; the loads
# alternate between them for 3 rounds; prints rps and the CPU ticks (1/100 s) each proxy process used per load.
#   OLD=/tmp/old ORDER="old new"|"new old" MUXV=0|1 bench/proxy/ab-trees.sh "-t set -n 100000 -c 50" ...
# Every process is started here and killed by PID at the end.
set -u
HERE="$(cd "$(dirname "$0")/../.." && pwd)"
OLD="${OLD:?set OLD to the other tree}"
ORDER="${ORDER:-old new}"
RP=$((20000 + RANDOM % 10000))
redis-server --port $RP --save '' --appendonly no --daemonize no >/dev/null 2>&1 &
RPID=$!
TMP=$(mktemp -d)
start() { # tree name
  (cd "$1" && exec env TREE="$1" REDIS_PORT=$RP MUX="${MUXV:-0}" node --import tsx "$HERE/bench/proxy/ab-plane.mts" >"$TMP/$2.out" 2>&1) &
  echo $! >"$TMP/$2.pid"
}
start "$OLD" old
start "$HERE" new
for _ in $(seq 100); do grep -q PORT "$TMP/old.out" && grep -q PORT "$TMP/new.out" && break; sleep 0.2; done
cleanup() { kill "$(cat "$TMP/old.pid")" "$(cat "$TMP/new.pid")" $RPID 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT
cpu() { awk '{print $14+$15}' "/proc/$1/stat"; }
for r in 1 2 3; do
  for t in $ORDER; do
    P=$(awk '/PORT/{print $2}' "$TMP/$t.out")
    PID=$(cat "$TMP/$t.pid")
    for load in "$@"; do
      c0=$(cpu "$PID")
      # shellcheck disable=SC2086
      out=$(redis-benchmark -h 127.0.0.1 -p "$P" --csv $load 2>/dev/null | tail -n +2 | cut -d, -f1,2 | tr '\n' ' ')
      c1=$(cpu "$PID")
      echo "round $r $t [$load] $out cpu_ticks=$((c1 - c0))"
    done
  done
done
