#!/usr/bin/env bash
# Benchmarks (`make bench`):
#   1. the Go benchmarks of app/, app/store/, x/bank/, x/poai/... and constellation/
#      (3 iterations each) and x/permissions' MsgExec-vs-send block benchmark; with
#      BENCH_LONG=1 also the ones whose state takes minutes to build (x/registry with
#      100,000 nodes and 5,000 heartbeats a block; x/permissions' check query with
#      1,000,000 grants, ~20 min);
#   2. a load test: builds selfchaind and scripts/loadgen into a temp dir, creates a
#      fresh one-validator devnet home there (the steps of scripts/devnet.sh), sets
#      mempool.size and timeout_commit for throughput, starts the node on loopback
#      ports of its own, reads its idle RSS, runs loadgen against it with --node-pid
#      and prints the report. Everything started is stopped and the temp dir removed
#      on exit (BENCH_KEEP=1 keeps it).
#
# Environment (defaults in brackets):
#   LOADGEN_DURATION [60s]  LOADGEN_RATE [4000]  LOADGEN_ACCOUNTS [1000]
#   LOADGEN_WORKERS [64]    LOADGEN_ARGS []  extra loadgen flags
#   BENCH_SKIP_GO=1         skip step 1        BENCH_SKIP_LOAD=1  skip step 2
#   BENCH_LONG=1            add the long-setup benchmarks to step 1
#   BENCH_TIMEOUT_COMMIT [1s]   BENCH_MEMPOOL_SIZE [50000]
#   BENCH_INDEXER [kv]      config.toml tx_index.indexer (null: no tx indexing)
#   BENCH_RPC_PORT [36657]  BENCH_P2P_PORT [36656]
#   BENCH_IDLE_WAIT [30]    seconds the fresh node idles before its RSS is read (0: skip)
#   BENCH_PPROF=1           serve pprof on 127.0.0.1:${BENCH_PPROF_PORT:-36060} and take
#                           a ${BENCH_PPROF_SECONDS:-20}s CPU profile BENCH_PPROF_DELAY [15]s into the load,
#                           and a heap profile after it
#   BENCH_OUT [./build/bench]  where report.json (and the profile) are written
#   BENCH_KEEP=1            keep the temp dir (node home and log)
set -euo pipefail
cd "$(dirname "$0")/.."
GO="${GO:-go}"

LOADGEN_DURATION="${LOADGEN_DURATION:-60s}"
LOADGEN_RATE="${LOADGEN_RATE:-4000}"
LOADGEN_ACCOUNTS="${LOADGEN_ACCOUNTS:-1000}"
LOADGEN_WORKERS="${LOADGEN_WORKERS:-64}"
TIMEOUT_COMMIT="${BENCH_TIMEOUT_COMMIT:-1s}"
MEMPOOL_SIZE="${BENCH_MEMPOOL_SIZE:-50000}"
RPC_PORT="${BENCH_RPC_PORT:-36657}"
P2P_PORT="${BENCH_P2P_PORT:-36656}"
IDLE_WAIT="${BENCH_IDLE_WAIT:-30}"
PPROF_PORT="${BENCH_PPROF_PORT:-36060}"
OUT="${BENCH_OUT:-./build/bench}"

if [ "${BENCH_SKIP_GO:-}" != 1 ]; then
  echo "== Go benchmarks ==" >&2
  "$GO" test -run '^$' -bench . -benchtime 3x ./app/ ./app/store/ ./x/bank/ ./x/poai/... ./constellation/
  "$GO" test -run '^$' -bench BlockSend -benchtime 20x ./x/permissions/
  if [ "${BENCH_LONG:-}" = 1 ]; then
    "$GO" test -run '^$' -bench NodesList100k -benchtime 2000x -timeout 30m ./x/registry/
    "$GO" test -run '^$' -bench 'Heartbeats5000|EndBlockSweep' -benchtime 5x -timeout 30m ./x/registry/
    "$GO" test -run '^$' -bench CheckQuery1M -benchtime 20000x -timeout 80m ./x/permissions/
  fi
fi
[ "${BENCH_SKIP_LOAD:-}" = 1 ] && exit 0

TMP="$(mktemp -d "${TMPDIR:-/tmp}/selfchain-bench.XXXXXX")"
NODE_PID=""
PROF_PID=""
LOADGEN_PID=""
cleanup() {
  local rc=$?
  if [ -n "$LOADGEN_PID" ] && kill -0 "$LOADGEN_PID" 2>/dev/null; then
    kill -TERM "$LOADGEN_PID" 2>/dev/null || true
    wait "$LOADGEN_PID" 2>/dev/null || true
  fi
  if [ -n "$PROF_PID" ] && kill -0 "$PROF_PID" 2>/dev/null; then
    pkill -P "$PROF_PID" 2>/dev/null || true # its sleep or curl
    kill "$PROF_PID" 2>/dev/null || true
    wait "$PROF_PID" 2>/dev/null || true
  fi
  if [ -n "$NODE_PID" ] && kill -0 "$NODE_PID" 2>/dev/null; then
    kill -TERM "$NODE_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$NODE_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$NODE_PID" 2>/dev/null || true
    wait "$NODE_PID" 2>/dev/null || true
  fi
  if [ "${BENCH_KEEP:-}" = 1 ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== load test (temp dir $TMP) ==" >&2
"$GO" build -o "$TMP/selfchaind" ./cmd/selfchaind
"$GO" build -o "$TMP/loadgen" ./scripts/loadgen
mkdir -p "$OUT"

# A fresh devnet home: the steps of scripts/devnet.sh.
HOME_DIR="$TMP/home"
CHAIN_ID="selfchain-bench-1"
sc() { "$TMP/selfchaind" --home "$HOME_DIR" "$@"; }
sc init bench --chain-id "$CHAIN_ID" >/dev/null
sc config chain-id "$CHAIN_ID" >/dev/null
sc config keyring-backend test >/dev/null
sc config node "tcp://127.0.0.1:$RPC_PORT" >/dev/null
out="$(sc keys add faucet --output json)"
mnemonic="$(printf '%s' "$out" | sed -n 's/.*"mnemonic":"\([^"]*\)".*/\1/p')"
[ -n "$mnemonic" ] || { echo "could not read the faucet mnemonic" >&2; exit 1; }
(umask 077 && printf '%s\n' "$mnemonic" >"$HOME_DIR/faucet.mnemonic")
sc genesis add-account faucet 1001000000000uself >/dev/null
sc genesis validate >/dev/null

# Throughput settings: a mempool that holds several blocks' worth of txs.
CFG="$HOME_DIR/config/config.toml"
sed -i.bak \
  -e '/^\[mempool\]/,/^\[/ s/^size = .*/size = '"$MEMPOOL_SIZE"'/' \
  -e '/^\[mempool\]/,/^\[/ s/^max_txs_bytes = .*/max_txs_bytes = 1073741824/' \
  -e 's/^timeout_commit = .*/timeout_commit = "'"$TIMEOUT_COMMIT"'"/' "$CFG"
if [ -n "${BENCH_INDEXER:-}" ]; then
  sed -i.bak -e '/^\[tx_index\]/,/^\[/ s/^indexer = .*/indexer = "'"$BENCH_INDEXER"'"/' "$CFG"
fi
rm -f "$CFG.bak"
grep -q "^size = $MEMPOOL_SIZE" "$CFG" || { echo "could not set mempool.size in $CFG" >&2; exit 1; }

start_flags=(--rpc.laddr "tcp://127.0.0.1:$RPC_PORT" --p2p.laddr "tcp://127.0.0.1:$P2P_PORT" --p2p.pex=false)
[ "${BENCH_PPROF:-}" = 1 ] && start_flags+=(--rpc.pprof_laddr "127.0.0.1:$PPROF_PORT")
# Started directly (not through sc, a function: $! would be a subshell's pid).
"$TMP/selfchaind" --home "$HOME_DIR" start "${start_flags[@]}" >"$TMP/node.log" 2>&1 &
NODE_PID=$!
echo "node pid $NODE_PID, rpc 127.0.0.1:$RPC_PORT, log $TMP/node.log" >&2

height() { curl -sf "http://127.0.0.1:$RPC_PORT/status" | sed -n 's/.*"latest_block_height":"\([0-9]*\)".*/\1/p'; }
for i in $(seq 1 300); do
  h="$(height || true)"
  [ -n "$h" ] && [ "$h" -ge 2 ] && break
  kill -0 "$NODE_PID" 2>/dev/null || { echo "node exited; log:" >&2; tail -30 "$TMP/node.log" >&2; exit 1; }
  [ "$i" = 300 ] && { echo "node not producing blocks after 60s" >&2; exit 1; }
  sleep 0.2
done

rss() { awk '/^VmRSS:/ {printf "%.1f MiB", $2/1024}' "/proc/$NODE_PID/status"; }
if [ "$IDLE_WAIT" -gt 0 ]; then
  echo "node idle: RSS $(rss) at height $(height); waiting ${IDLE_WAIT}s" >&2
  sleep "$IDLE_WAIT"
  echo "node idle ${IDLE_WAIT}s: RSS $(rss) at height $(height)" >&2
fi

if [ "${BENCH_PPROF:-}" = 1 ]; then
  (
    # Started in the background: the profile begins once funding and signing are
    # done and the load is running (BENCH_PPROF_DELAY after loadgen starts submitting).
    while ! grep -q "pre-signed" "$TMP/loadgen.log" 2>/dev/null; do sleep 0.5; done
    sleep "${BENCH_PPROF_DELAY:-15}"
    curl -sf -o "$OUT/cpu.pprof" "http://127.0.0.1:$PPROF_PORT/debug/pprof/profile?seconds=${BENCH_PPROF_SECONDS:-20}" &&
      "$GO" tool pprof -top -nodecount=60 "$TMP/selfchaind" "$OUT/cpu.pprof" >"$OUT/pprof-top.txt" 2>/dev/null &&
      "$GO" tool pprof -top -cum -nodecount=60 "$TMP/selfchaind" "$OUT/cpu.pprof" >"$OUT/pprof-top-cum.txt" 2>/dev/null &&
      echo "cpu profile: $OUT/cpu.pprof, $OUT/pprof-top.txt, $OUT/pprof-top-cum.txt" >&2
  ) &
  PROF_PID=$!
fi

# In the background and waited for, so that a TERM to this script runs the cleanup at once
# (bash defers traps while a foreground command runs).
# shellcheck disable=SC2086 # LOADGEN_ARGS is split on purpose
"$TMP/loadgen" --node "http://127.0.0.1:$RPC_PORT" --faucet-mnemonic-file "$HOME_DIR/faucet.mnemonic" \
  --accounts "$LOADGEN_ACCOUNTS" --duration "$LOADGEN_DURATION" --rate "$LOADGEN_RATE" \
  --workers "$LOADGEN_WORKERS" --node-pid "$NODE_PID" --out "$OUT/report.json" ${LOADGEN_ARGS:-} \
  2> >(tee "$TMP/loadgen.log" >&2) &
LOADGEN_PID=$!
wait "$LOADGEN_PID"
LOADGEN_PID=""

if [ -n "$PROF_PID" ]; then wait "$PROF_PID" || echo "cpu profile failed" >&2; PROF_PID=""; fi
if [ "${BENCH_PPROF:-}" = 1 ]; then
  # What the node holds after the load (for the RSS figures).
  curl -sf -o "$OUT/heap.pprof" "http://127.0.0.1:$PPROF_PORT/debug/pprof/heap?gc=1" &&
    "$GO" tool pprof -top -sample_index=inuse_space -nodecount=40 "$TMP/selfchaind" "$OUT/heap.pprof" >"$OUT/heap-top.txt" 2>/dev/null &&
    echo "heap profile: $OUT/heap.pprof, $OUT/heap-top.txt" >&2 || echo "heap profile failed" >&2
fi
echo "node after load: RSS $(rss), height $(height)" >&2
