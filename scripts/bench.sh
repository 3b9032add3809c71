#!/usr/bin/env bash
# Benchmarks (`make bench`):
#   1. the Go benchmarks of app/, app/store/, x/bank/, x/poai/... and constellation/
#      (3 iterations each), x/permissions' MsgExec-vs-send block benchmark, x/bridge's
#      client-update, proof and per-transfer benchmarks and the relayer's end-to-end
#      throughput (cmd/constellation TestBridgeRelayThroughput, ~40 s), state sync
#      of 100,000 accounts (cmd/selfchaind TestStateSyncJoin with BENCH_STATESYNC=1,
#      ~3 min) and snapshot/restore of 200,000 keys (app/snapshots); with
#      BENCH_LONG=1 also the ones whose state takes minutes to build (x/registry with
#      100,000 nodes and 5,000 heartbeats a block; x/permissions' check query with
#      1,000,000 grants, ~20 min);
#   2. load tests, one per key type in BENCH_KEY_TYPES (default: ed25519, then the
#      default account key type, hybrid Ed25519 ‖ ML-DSA-65, ~3.6 KB txs): builds
#      selfchaind and scripts/loadgen into a temp dir; for each key type creates a
#      FRESH one-validator devnet home (the steps of scripts/devnet.sh; so every run
#      starts from the same empty chain, with nothing left in the mempool, state or
#      caches by the run before), sets mempool.size and timeout_commit for
#      throughput, starts the node on loopback ports of its own, reads its idle RSS,
#      runs loadgen against it (LOADGEN_ACCOUNTS senders of that key type, gas chosen
#      by simulation) with --node-pid, prints the report and stops the node.
#      Everything started is stopped and the temp dir removed on exit (BENCH_KEEP=1
#      keeps it).
#
# Exit status: non-zero if any load run failed: the chain HALTED (no block for 10
# block times with txs pending: the summary says "HALTED at height H"), the run
# committed no tx with code 0 after its warm-up, or the node did not start. A failed
# run does not stop the next key type's; the node log of a failed run is copied to
# $BENCH_OUT/node-<key type>.log.
#
# Environment (defaults in brackets):
#   BENCH_KEY_TYPES ["ed25519 hybrid"]  one load run per key type, in this order
#   LOADGEN_DURATION [60s]  LOADGEN_RATE [4000]  LOADGEN_ACCOUNTS [2000]
#   LOADGEN_RATE_<KEY TYPE> [LOADGEN_RATE]  e.g. LOADGEN_RATE_HYBRID=1500: one run's target
#                           (loadgen pre-signs rate × duration txs; hybrid ones take ~0.5-1 ms each)
#   LOADGEN_WORKERS [64]    LOADGEN_WARMUP []  (loadgen's default: 10s, at most a fifth of the duration)
#   LOADGEN_ARGS []  extra loadgen flags, given to every run (e.g. --gas 200000, or
#                           --live-block-txs: read each block's txs as it commits, as before stop 31,
#                           which charges the node for serving /block during the window)
#   BENCH_SKIP_GO=1         skip step 1        BENCH_SKIP_LOAD=1  skip step 2
#   BENCH_LONG=1            add the long-setup benchmarks to step 1
#   BENCH_TIMEOUT_COMMIT [1s]   BENCH_MEMPOOL_SIZE [50000]
#   BENCH_MEMPOOL_TYPE []   config.toml [mempool] type: app (the application's, docs/MEMPOOL.md)
#                           or flood (CometBFT's); empty keeps what init wrote (the node's
#                           default, app). To compare them: BENCH_MEMPOOL_TYPE=flood then =app
#                           on the same binary. loadgen's "mempool at end" names the mempool it
#                           counts (the app's from the node's /app/mempool query; CometBFT's
#                           unconfirmed-tx count is 0 with it); its halt detection counts the run's
#                           own pending txs and works with either
#   BENCH_BLOCK_MAX_BYTES [] one validator: genesis consensus block.max_bytes (init writes 4 MiB,
#                           app.DefaultBlockMaxBytes, ~1,168 hybrid sends), e.g. 22020096 (21 MiB,
#                           the Cosmos SDK's) to see whether hybrid txs are bound by block bytes
#   BENCH_APP_BLOCK_TIME [] app.toml [mempool] block-time (the proposal cap's time budget; init writes
#                           what app/config.go defaults to)
#   BENCH_IAVL_CACHE []     app.toml [state] iavl-cache-size (nodes cached per store; init writes 20000)
#   BENCH_INDEXER [kv]      config.toml tx_index.indexer (null: no tx indexing)
#   BENCH_DB_BACKEND []     config.toml db_backend (CometBFT's stores): pebbledb or goleveldb;
#                           empty keeps what init wrote
#   BENCH_HEAP_SERIES [0]   seconds between heap profiles (and RSS lines) taken during each load
#                           run into $OUT/heap-series-<key type>/ (needs BENCH_PPROF=1); 0: none
#   BENCH_RPC_PORT [36657]  BENCH_P2P_PORT [36656]  BENCH_API_PORT [BENCH_P2P_PORT+3] (one validator:
#                           the node's tx API, app.toml [api]; localnet nodes use BENCH_P2P_PORT+10i+3)
#   BENCH_SUBMIT [rpc]      how loadgen submits: rpc (CometBFT's JSON-RPC broadcast_tx_sync) or api
#                           (POST /txs of each node's tx API: raw bytes, no JSON; docs/CLI.md)
#   BENCH_PROM=1            one validator: serve Prometheus on 127.0.0.1:BENCH_P2P_PORT+2 (multi-
#                           validator runs always do), e.g. to watch selfchain_mempool_proposal_tx_cap
#   BENCH_IDLE_WAIT [30]    seconds each fresh node idles before its RSS is read (0: skip)
#   BENCH_SETTLE [15]       before each load run: sync, then wait this many seconds, so that a run
#                           does not start while the kernel still writes back the last run's (or a
#                           build's) dirty pages: runs straight after a saturation run lost up to a
#                           fifth of their tx/s (docs/PERFORMANCE.md, stop 33). 0: no sync, no wait
#   BENCH_PPROF=1           serve pprof on 127.0.0.1:${BENCH_PPROF_PORT:-36060} and take
#                           a ${BENCH_PPROF_SECONDS:-20}s CPU profile BENCH_PPROF_DELAY [15]s into each load run,
#                           and a heap profile after it
#   BENCH_SELFCHAIND        a prebuilt selfchaind to load instead of building this tree's
#                           (before/after comparisons in alternation on one machine)
#   BENCH_OUT [./build/bench]  where report-<key type>.json/.txt (and the profiles) are written
#   BENCH_KEEP=1            keep the temp dir (node homes and logs)
#   BENCH_POAI_ANALYZER [builtin]  the node's [poai] analyzer; llm starts scripts/llmstub (an
#                           OpenAI-compatible test server answering after BENCH_LLM_LATENCY [2s]
#                           on 127.0.0.1:${BENCH_LLM_PORT:-36800}) and points [poai.llm] at it
#   BENCH_VALIDATORS [1]    more than 1: each load run is on a fresh network of that many
#                           validators in separate processes (scripts/localnet's homes: consensus
#                           keys alternate ed25519 / ml_dsa_65; p2p BENCH_P2P_PORT+10i, RPC +1),
#                           and loadgen spreads the broadcasts over every node's RPC by account
#                           (--submit-nodes); RSS and CPU figures are node0's. With
#                           BENCH_POAI_ANALYZER=llm every validator gets its own test server
#                           (port BENCH_LLM_PORT+i). Every node serves Prometheus on
#                           127.0.0.1:BENCH_P2P_PORT+10i+2; after the load the script waits up to
#                           BENCH_DRAIN_WAIT [30] s for the mempools to empty, then prints per node
#                           the signature checks it computed per tx it committed
#                           (selfchain_ante_sig_verifications_total / selfchain_txs_total, deltas
#                           over the load run; at most 1 when gossip does not re-verify) and its
#                           mempool checks (selfchain_mempool_checks_total), into the report and
#                           the summary line
set -euo pipefail
cd "$(dirname "$0")/.."
GO="${GO:-go}"

KEY_TYPES="${BENCH_KEY_TYPES:-ed25519 hybrid}"
LOADGEN_DURATION="${LOADGEN_DURATION:-60s}"
LOADGEN_RATE="${LOADGEN_RATE:-4000}"
LOADGEN_ACCOUNTS="${LOADGEN_ACCOUNTS:-2000}"
LOADGEN_WORKERS="${LOADGEN_WORKERS:-64}"
LOADGEN_WARMUP="${LOADGEN_WARMUP:-}"
TIMEOUT_COMMIT="${BENCH_TIMEOUT_COMMIT:-1s}"
MEMPOOL_SIZE="${BENCH_MEMPOOL_SIZE:-50000}"
# MEMPOOL_TYPE is what the homes run: BENCH_MEMPOOL_TYPE, or what init wrote (tune_home reads it).
MEMPOOL_TYPE="${BENCH_MEMPOOL_TYPE:-}"
case "$MEMPOOL_TYPE" in ''|flood|app) ;; *) echo "BENCH_MEMPOOL_TYPE must be flood or app, not $MEMPOOL_TYPE" >&2; exit 1 ;; esac
RPC_PORT="${BENCH_RPC_PORT:-36657}"
P2P_PORT="${BENCH_P2P_PORT:-36656}"
API_PORT="${BENCH_API_PORT:-$((P2P_PORT + 3))}"
SUBMIT="${BENCH_SUBMIT:-rpc}"
case "$SUBMIT" in rpc|api) ;; *) echo "BENCH_SUBMIT must be rpc or api, not $SUBMIT" >&2; exit 1 ;; esac
IDLE_WAIT="${BENCH_IDLE_WAIT:-30}"
PPROF_PORT="${BENCH_PPROF_PORT:-36060}"
OUT="${BENCH_OUT:-./build/bench}"
VALIDATORS="${BENCH_VALIDATORS:-1}"
case "$VALIDATORS" in [1-9]|1[0-6]) ;; *) echo "BENCH_VALIDATORS must be 1-16, not $VALIDATORS" >&2; exit 1 ;; esac

if [ "${BENCH_SKIP_GO:-}" != 1 ]; then
  echo "== Go benchmarks ==" >&2
  "$GO" test -run '^$' -bench . -benchtime 3x ./app/ ./app/store/ ./x/bank/ ./x/poai/... ./constellation/
  "$GO" test -run '^$' -bench BlockSend -benchtime 20x ./x/permissions/
  "$GO" test -run '^$' -bench 'UpdateClient|VerifyPacketProof|RelayedTransfer' -benchtime 1s ./x/bridge/
  # The relayer end to end: devnet + a 4-validator ML-DSA-65 chain, 2,000 transfers.
  BENCH_RELAY=1 "$GO" test -run TestBridgeRelayThroughput -count=1 -v -timeout 20m ./cmd/constellation/ | grep -E 'RELAY THROUGHPUT|committed on|^(ok|FAIL|---)'
  # State sync of 100,000 accounts (two joiners, one beset by a corrupting peer), and
  # block intervals while snapshots are taken; then a snapshot and restore in-process.
  BENCH_STATESYNC=1 "$GO" test -run TestStateSyncJoin -count=1 -v -timeout 20m ./cmd/selfchaind/ | grep -E 'e2e_statesync_test|^(ok|FAIL|---)'
  BENCH_SNAPSHOT_KEYS=100000 "$GO" test -run TestSnapshotThroughput -count=1 -v ./app/snapshots/ | grep -E 'bench_test|^(ok|FAIL|---)'
  if [ "${BENCH_LONG:-}" = 1 ]; then
    "$GO" test -run '^$' -bench NodesList100k -benchtime 2000x -timeout 30m ./x/registry/
    "$GO" test -run '^$' -bench 'Heartbeats5000|EndBlockSweep' -benchtime 5x -timeout 30m ./x/registry/
    "$GO" test -run '^$' -bench CheckQuery1M -benchtime 20000x -timeout 80m ./x/permissions/
  fi
fi
[ "${BENCH_SKIP_LOAD:-}" = 1 ] && exit 0
[ -n "${KEY_TYPES// /}" ] || { echo "BENCH_KEY_TYPES is empty" >&2; exit 1; }

TMP="$(mktemp -d "${TMPDIR:-/tmp}/selfchain-bench.XXXXXX")"
NODE_PID=""    # node0's (the one loadgen samples)
NODE_PIDS=()   # every node's of the run
PROM_PORTS=()  # every node's Prometheus port (multi-validator runs)
SIG_SUMMARY="" # the last multi-validator run's signature checks per committed tx
PROF_PID=""
SERIES_PID=""
LOADGEN_PID=""
LLM_PIDS=()
POAI_ANALYZER="${BENCH_POAI_ANALYZER:-builtin}"
LLM_PORT="${BENCH_LLM_PORT:-36800}"
stop_node() {
  local pid
  for pid in "${NODE_PIDS[@]}"; do
    kill -CONT "$pid" 2>/dev/null || true # a stopped process ignores TERM until continued
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${NODE_PIDS[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  NODE_PIDS=()
  NODE_PID=""
}
stop_prof() {
  if [ -n "$PROF_PID" ] && kill -0 "$PROF_PID" 2>/dev/null; then
    pkill -P "$PROF_PID" 2>/dev/null || true # its sleep or curl
    kill "$PROF_PID" 2>/dev/null || true
  fi
  [ -n "$PROF_PID" ] && { wait "$PROF_PID" 2>/dev/null || true; }
  PROF_PID=""
}
stop_series() {
  if [ -n "$SERIES_PID" ] && kill -0 "$SERIES_PID" 2>/dev/null; then
    pkill -P "$SERIES_PID" 2>/dev/null || true # its sleep or curl
    kill "$SERIES_PID" 2>/dev/null || true
  fi
  # The braces take bash's "Terminated" job notice along with wait's stderr.
  [ -n "$SERIES_PID" ] && { wait "$SERIES_PID" || true; } 2>/dev/null
  SERIES_PID=""
}
cleanup() {
  local rc=$?
  if [ -n "$LOADGEN_PID" ] && kill -0 "$LOADGEN_PID" 2>/dev/null; then
    kill -TERM "$LOADGEN_PID" 2>/dev/null || true
    wait "$LOADGEN_PID" 2>/dev/null || true
  fi
  stop_series
  stop_prof
  stop_node
  local pid
  for pid in "${LLM_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  if [ "${BENCH_KEEP:-}" = 1 ]; then echo "kept $TMP" >&2; else rm -rf "$TMP"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "== load tests: ${KEY_TYPES}, txs submitted over $SUBMIT (temp dir $TMP) ==" >&2
if [ -n "${BENCH_SELFCHAIND:-}" ]; then
  cp "$BENCH_SELFCHAIND" "$TMP/selfchaind" # a prebuilt node, e.g. an older commit's, to compare
else
  "$GO" build -o "$TMP/selfchaind" ./cmd/selfchaind
fi
"$GO" build -o "$TMP/loadgen" ./scripts/loadgen
[ "$VALIDATORS" -gt 1 ] && "$GO" build -o "$TMP/localnet" ./scripts/localnet
mkdir -p "$OUT"
if [ "$POAI_ANALYZER" = llm ]; then
  "$GO" build -o "$TMP/llmstub" ./scripts/llmstub
  for i in $(seq 0 $((VALIDATORS - 1))); do
    "$TMP/llmstub" --listen "127.0.0.1:$((LLM_PORT + i))" --latency "${BENCH_LLM_LATENCY:-2s}" >"$TMP/llmstub$i.log" 2>&1 &
    LLM_PIDS+=($!)
  done
fi

height() { curl -sf --max-time 5 "http://127.0.0.1:$RPC_PORT/status" | sed -n 's/.*"latest_block_height":"\([0-9]*\)".*/\1/p'; }
rss() { awk '/^VmRSS:/ {printf "%.1f MiB", $2/1024}' "/proc/$NODE_PID/status"; }

# node_counters PORT: one line from a node's Prometheus endpoint: signature checks computed,
# txs executed in blocks, mempool checks (check_tx accepted refused, insert_tx accepted
# refused, recheck accepted refused) and txs pending (either mempool); nothing if unreachable.
node_counters() {
  curl -sf --max-time 5 "http://127.0.0.1:$1/metrics" | awk '
    /^#/ { next }
    { name = $1; sub(/\{.*/, "", name); v = $NF + 0 }
    name == "selfchain_ante_sig_verifications_total" { c[1] += v }
    name == "selfchain_txs_total" { c[2] += v }
    name == "selfchain_mempool_checks_total" {
      i = 3
      if ($1 ~ /call="insert_tx"/) i = 5
      if ($1 ~ /call="recheck"/) i = 7
      if ($1 ~ /result="refused"/) i++
      c[i] += v
    }
    name == "cometbft_mempool_size" || name == "selfchain_mempool_txs" { c[9] += v }
    END { if (c[1] == "") exit; for (i = 1; i <= 9; i++) printf "%d%s", c[i], (i < 9 ? " " : "\n") }'
}

# admission_line PORT: where the app mempool's admissions waited and whether the proposal cap
# bound, from a node's Prometheus endpoint (totals since the node started: the load run,
# funding included); nothing if unreachable. docs/PERFORMANCE.md, "Admission ceiling (stop 30)".
admission_line() {
  curl -sf --max-time 5 "http://127.0.0.1:$1/metrics" | awk '
    /^#/ { next }
    $1 == "selfchain_height" { h = $2 }
    $1 == "selfchain_mempool_proposals_capped_total" { capped = $2 }
    $1 == "selfchain_mempool_proposal_tx_cap" { cap = $2 }
    $1 == "selfchain_mempool_full_total" { full = $2 }
    $1 ~ /^selfchain_mempool_admit_wait_seconds_total\{stage="room"/ { room = $2 }
    $1 ~ /^selfchain_mempool_admit_wait_seconds_total\{stage="slot"/ { slot = $2 }
    END { if (h == "") exit
      printf "admission (node totals): %d of %d proposals stopped at the tx cap (cap now %d); submissions waited %.1f s for room, %.1f s for a slot; %d refused as mempool full\n", capped, h, cap, room, slot, full }'
}

# tune_home HOME LLM_PORT: the throughput settings (a mempool that holds several blocks'
# worth of txs) and the PoAI analyzer in a node home's config.toml and app.toml.
tune_home() {
  local home="$1" llm_port="$2"
  local cfg="$home/config/config.toml"
  sed -i.bak \
    -e '/^\[mempool\]/,/^\[/ s/^size = .*/size = '"$MEMPOOL_SIZE"'/' \
    -e '/^\[mempool\]/,/^\[/ s/^max_txs_bytes = .*/max_txs_bytes = 1073741824/' \
    -e 's/^timeout_commit = .*/timeout_commit = "'"$TIMEOUT_COMMIT"'"/' "$cfg"
  if [ -n "${BENCH_MEMPOOL_TYPE:-}" ]; then
    sed -i.bak -e '/^\[mempool\]/,/^\[/ s/^type = .*/type = "'"$BENCH_MEMPOOL_TYPE"'"/' "$cfg"
  else
    MEMPOOL_TYPE="$(sed -n '/^\[mempool\]/,/^\[/ s/^type = "\(.*\)"$/\1/p' "$cfg")"
  fi
  if [ -n "${BENCH_INDEXER:-}" ]; then
    sed -i.bak -e '/^\[tx_index\]/,/^\[/ s/^indexer = .*/indexer = "'"$BENCH_INDEXER"'"/' "$cfg"
  fi
  if [ -n "${BENCH_DB_BACKEND:-}" ]; then
    sed -i.bak -e 's/^db_backend = .*/db_backend = "'"$BENCH_DB_BACKEND"'"/' "$cfg"
    grep -q "^db_backend = \"$BENCH_DB_BACKEND\"" "$cfg" || { echo "could not set db_backend in $cfg" >&2; exit 1; }
  fi
  rm -f "$cfg.bak"
  if [ -n "${BENCH_APP_BLOCK_TIME:-}" ]; then
    sed -i.bak -e '/^\[mempool\]/,/^\[/ s/^block-time = .*/block-time = "'"$BENCH_APP_BLOCK_TIME"'"/' "$home/config/app.toml"
    rm -f "$home/config/app.toml.bak"
    grep -q "^block-time = \"$BENCH_APP_BLOCK_TIME\"" "$home/config/app.toml" || { echo "could not set mempool.block-time in app.toml" >&2; exit 1; }
  fi
  if [ -n "${BENCH_IAVL_CACHE:-}" ]; then
    sed -i.bak -e 's/^iavl-cache-size = .*/iavl-cache-size = '"$BENCH_IAVL_CACHE"'/' "$home/config/app.toml"
    rm -f "$home/config/app.toml.bak"
    grep -q "^iavl-cache-size = $BENCH_IAVL_CACHE\$" "$home/config/app.toml" || { echo "could not set iavl-cache-size in app.toml" >&2; exit 1; }
  fi
  grep -q "^size = $MEMPOOL_SIZE" "$cfg" || { echo "could not set mempool.size in $cfg" >&2; exit 1; }
  [ -n "$MEMPOOL_TYPE" ] && grep -q "^type = \"$MEMPOOL_TYPE\"" "$cfg" || { echo "could not set or read mempool.type in $cfg" >&2; exit 1; }
  if [ "$POAI_ANALYZER" != builtin ]; then
    local appcfg="$home/config/app.toml"
    sed -i.bak \
      -e '/^\[poai\]/,/^\[/ s/^analyzer = .*/analyzer = "'"$POAI_ANALYZER"'"/' \
      -e '/^\[poai.llm\]/,/^\[/ s|^endpoint = .*|endpoint = "http://127.0.0.1:'"$llm_port"'/v1"|' \
      -e '/^\[poai.llm\]/,/^\[/ s/^model = .*/model = "stub"/' \
      -e '/^\[poai.llm\]/,/^\[/ s/^timeout = .*/timeout = "10s"/' "$appcfg"
    rm -f "$appcfg.bak"
    grep -q "^analyzer = \"$POAI_ANALYZER\"" "$appcfg" || { echo "could not set [poai] analyzer in $appcfg" >&2; exit 1; }
  fi
}

# sig_report KEY_TYPE BEFORE...: after a multi-validator load, each node's signature checks per
# committed tx and mempool checks (deltas of node_counters against BEFORE, one per node), once the
# mempools are empty or BENCH_DRAIN_WAIT seconds have passed (a tx still pending was verified but
# not committed: the line says how many). Sets SIG_SUMMARY for the summary line.
sig_report() {
  local kt="$1"; shift
  local before=("$@") now=() b=() d=() i k pending port line
  [ "$LOAD_RC" = 0 ] || BENCH_DRAIN_WAIT=0 # a failed run may never drain
  for i in $(seq 1 "${BENCH_DRAIN_WAIT:-30}"); do
    pending=0
    for port in "${PROM_PORTS[@]}"; do
      line="$(node_counters "$port" || true)"
      [ -n "$line" ] && pending=$((pending + ${line##* }))
    done
    [ "$pending" = 0 ] && break
    sleep 1
  done
  echo "signature checks per committed tx, per node ($kt; deltas over the load run, $MEMPOOL_TYPE mempool):"
  local worst="" per per_admitted pending_end=0
  for i in "${!PROM_PORTS[@]}"; do
    line="$(node_counters "${PROM_PORTS[$i]}" || true)"
    if [ -z "$line" ] || [ -z "${before[$i]:-}" ]; then
      echo "  node$i: metrics unavailable (port ${PROM_PORTS[$i]})"
      continue
    fi
    read -r -a now <<<"$line"
    read -r -a b <<<"${before[$i]}"
    for k in 0 1 2 3 4 5 6 7; do d[$k]=$((now[k] - b[k])); done
    per="$(awk -v v="${d[0]}" -v t="${d[1]}" 'BEGIN { if (t > 0) printf "%.3f", v / t; else printf "n/a" }')"
    # Per tx the mempool accepted too: meaningful when txs are still pending (a halted run).
    per_admitted="$(awk -v v="${d[0]}" -v t="$((d[2] + d[4]))" 'BEGIN { if (t > 0) printf "%.3f", v / t; else printf "n/a" }')"
    printf '  node%d: %d txs committed, %d signature checks: %s per committed tx (%s per tx admitted); check_tx %d accepted / %d refused, insert_tx %d / %d, recheck %d / %d; %d still pending\n' \
      "$i" "${d[1]}" "${d[0]}" "$per" "$per_admitted" "${d[2]}" "${d[3]}" "${d[4]}" "${d[5]}" "${d[6]}" "${d[7]}" "${now[8]}"
    pending_end=$((pending_end + now[8]))
    SIG_SUMMARY="${SIG_SUMMARY:+$SIG_SUMMARY, }node$i $per"
    if [ "$per" != n/a ] && { [ -z "$worst" ] || awk -v a="$per" -v b="$worst" 'BEGIN { exit !(a > b) }'; }; then worst="$per"; fi
  done
  [ -n "$SIG_SUMMARY" ] && SIG_SUMMARY="signature checks per committed tx: $SIG_SUMMARY (max ${worst:-n/a}$([ "$pending_end" = 0 ] || echo "; $pending_end txs still pending over the nodes, verified but not committed"))"
  return 0
}

# run_load KEY_TYPE: one load run on a fresh node (or network: BENCH_VALIDATORS); sets
# LOAD_RC (loadgen's exit status). A failure to set up the nodes ends the script (set -e).
run_load() {
  local kt="$1"
  local dir="$TMP/$kt"
  local home="$dir/home"
  local chain_id="selfchain-bench-1"
  local mnemonic_file="$home/faucet.mnemonic"
  local submit_nodes=""
  local apis="" # every node's tx API, node0 first (loadgen --api with BENCH_SUBMIT=api)
  local logs=("$dir/node.log")
  mkdir -p "$dir"
  if [ "${BENCH_SETTLE:-15}" != 0 ]; then
    sync
    sleep "${BENCH_SETTLE:-15}"
  fi
  if [ "$VALIDATORS" = 1 ]; then
    echo "== load test: $kt keys, fresh node home $home ==" >&2
    sc() { "$TMP/selfchaind" --home "$home" "$@"; }

    # A fresh devnet home: the steps of scripts/devnet.sh.
    sc init bench --chain-id "$chain_id" >/dev/null
    sc config chain-id "$chain_id" >/dev/null
    sc config keyring-backend test >/dev/null
    sc config node "tcp://127.0.0.1:$RPC_PORT" >/dev/null
    local out mnemonic
    out="$(sc keys add faucet --output json)"
    mnemonic="$(printf '%s' "$out" | sed -n 's/.*"mnemonic":"\([^"]*\)".*/\1/p')"
    [ -n "$mnemonic" ] || { echo "could not read the faucet mnemonic" >&2; exit 1; }
    (umask 077 && printf '%s\n' "$mnemonic" >"$mnemonic_file")
    sc genesis add-account faucet 1001000000000uself >/dev/null
    if [ -n "${BENCH_BLOCK_MAX_BYTES:-}" ]; then
      # The first max_bytes in genesis.json is consensus.params.block's (the second, evidence's).
      sed -i.bak -e '0,/"max_bytes": "[0-9]*"/ s//"max_bytes": "'"$BENCH_BLOCK_MAX_BYTES"'"/' "$home/config/genesis.json"
      rm -f "$home/config/genesis.json.bak"
      grep -q "\"max_bytes\": \"$BENCH_BLOCK_MAX_BYTES\"" "$home/config/genesis.json" || { echo "could not set block.max_bytes in genesis.json" >&2; exit 1; }
    fi
    sc genesis validate >/dev/null
    tune_home "$home" "$LLM_PORT"

    # The tx API on a port of the run's own too (init writes 26659, which another node may hold).
    # Set in app.toml, not by a start flag: a binary from before the tx API (BENCH_SELFCHAIND,
    # to compare) has neither the section nor the flag.
    sed -i.bak -e '/^\[api\]/,/^\[/ s|^address = .*|address = "tcp://127.0.0.1:'"$API_PORT"'"|' "$home/config/app.toml"
    rm -f "$home/config/app.toml.bak"
    if grep -q '^\[api\]' "$home/config/app.toml"; then
      apis="http://127.0.0.1:$API_PORT"
    elif [ "$SUBMIT" = api ]; then
      echo "BENCH_SUBMIT=api: this selfchaind has no tx API (no [api] in app.toml)" >&2; exit 1
    fi
    local start_flags=(--rpc.laddr "tcp://127.0.0.1:$RPC_PORT" --p2p.laddr "tcp://127.0.0.1:$P2P_PORT" --p2p.pex=false)
    [ "${BENCH_PPROF:-}" = 1 ] && start_flags+=(--rpc.pprof_laddr "127.0.0.1:$PPROF_PORT")
    # Prometheus on BENCH_P2P_PORT+2 as in multi-validator runs, to watch the proposal cap,
    # the pool and block times during a run (BENCH_PROM=1).
    [ "${BENCH_PROM:-}" = 1 ] && start_flags+=(--instrumentation.prometheus --instrumentation.prometheus_listen_addr "127.0.0.1:$((P2P_PORT + 2))")
    # Started directly (not through sc, a function: $! would be a subshell's pid).
    "$TMP/selfchaind" --home "$home" start "${start_flags[@]}" >"$dir/node.log" 2>&1 &
    NODE_PID=$!
    NODE_PIDS=("$NODE_PID")
    echo "node pid $NODE_PID, rpc 127.0.0.1:$RPC_PORT, log $dir/node.log" >&2
  else
    # A fresh network of separate processes: scripts/localnet's homes (make localnet).
    echo "== load test: $kt keys, fresh $VALIDATORS-validator network in $dir/net ==" >&2
    "$TMP/localnet" --dir "$dir/net" --validators "$VALIDATORS" --base-port "$P2P_PORT" \
      --chain-id "$chain_id" --block-time "$TIMEOUT_COMMIT" --mempool-size "$MEMPOOL_SIZE" >/dev/null 2>&1
    mnemonic_file="$dir/net/faucet.mnemonic"
    RPC_PORT=$((P2P_PORT + 1))
    local i=0 name nhome rpc _kt pprof=()
    logs=()
    PROM_PORTS=()
    while read -r name nhome rpc _kt; do
      tune_home "$nhome" $((LLM_PORT + i))
      pprof=()
      [ "${BENCH_PPROF:-}" = 1 ] && [ "$i" = 0 ] && pprof=(--rpc.pprof_laddr "127.0.0.1:$PPROF_PORT")
      PROM_PORTS+=($((P2P_PORT + 10 * i + 2)))
      pprof+=(--instrumentation.prometheus --instrumentation.prometheus_listen_addr "127.0.0.1:${PROM_PORTS[$i]}")
      "$TMP/selfchaind" --home "$nhome" start "${pprof[@]}" >"$dir/$name.log" 2>&1 &
      NODE_PIDS+=($!)
      logs+=("$dir/$name.log")
      [ "$i" -gt 0 ] && submit_nodes="${submit_nodes:+$submit_nodes,}${rpc/tcp:/http:}"
      apis="${apis:+$apis,}http://127.0.0.1:$((P2P_PORT + 10 * i + 3))" # localnet's port for node i
      echo "$name pid $!, rpc $rpc ($_kt consensus key), log $dir/$name.log" >&2
      i=$((i + 1))
    done <"$dir/net/nodes"
    NODE_PID="${NODE_PIDS[0]}"
    ln -sf "$dir/node0.log" "$dir/node.log"
  fi

  local i h pid
  for i in $(seq 1 300); do
    h="$(height || true)"
    [ -n "$h" ] && [ "$h" -ge 2 ] && break
    for pid in "${NODE_PIDS[@]}"; do
      kill -0 "$pid" 2>/dev/null || { echo "a node (pid $pid) exited; logs: ${logs[*]}" >&2; tail -30 "${logs[0]}" >&2; exit 1; }
    done
    [ "$i" = 300 ] && { echo "no blocks after 60s (is port $RPC_PORT or $P2P_PORT taken?); log:" >&2; tail -30 "${logs[0]}" >&2; exit 1; }
    sleep 0.2
  done

  if [ "$IDLE_WAIT" -gt 0 ]; then
    echo "node idle: RSS $(rss) at height $(height); waiting ${IDLE_WAIT}s" >&2
    sleep "$IDLE_WAIT"
    echo "node idle ${IDLE_WAIT}s: RSS $(rss) at height $(height)" >&2
  fi

  if [ "${BENCH_PPROF:-}" = 1 ]; then
    (
      # Started in the background: the profile begins once funding and signing are
      # done and the load is running (BENCH_PPROF_DELAY after loadgen starts submitting).
      while ! grep -q "pre-signed" "$dir/loadgen.log" 2>/dev/null; do sleep 0.5; done
      sleep "${BENCH_PPROF_DELAY:-15}"
      curl -sf -o "$OUT/cpu-$kt.pprof" "http://127.0.0.1:$PPROF_PORT/debug/pprof/profile?seconds=${BENCH_PPROF_SECONDS:-20}" &&
        "$GO" tool pprof -top -nodecount=60 "$TMP/selfchaind" "$OUT/cpu-$kt.pprof" >"$OUT/pprof-top-$kt.txt" 2>/dev/null &&
        "$GO" tool pprof -top -cum -nodecount=60 "$TMP/selfchaind" "$OUT/cpu-$kt.pprof" >"$OUT/pprof-top-cum-$kt.txt" 2>/dev/null &&
        echo "cpu profile: $OUT/cpu-$kt.pprof, $OUT/pprof-top-$kt.txt, $OUT/pprof-top-cum-$kt.txt" >&2
    ) &
    PROF_PID=$!
    if [ "${BENCH_HEAP_SERIES:-0}" -gt 0 ]; then
      (
        # What the heap and RSS do over the whole run (the soak's "flat" check).
        local series="$OUT/heap-series-$kt" n=0
        mkdir -p "$series"
        while ! grep -q "pre-signed" "$dir/loadgen.log" 2>/dev/null; do sleep 0.5; done
        while kill -0 "$NODE_PID" 2>/dev/null; do
          sleep "$BENCH_HEAP_SERIES"
          n=$((n + 1))
          curl -sf -o "$series/heap-$(printf '%04d' "$n").pprof" "http://127.0.0.1:$PPROF_PORT/debug/pprof/heap" || break
          echo "$((n * BENCH_HEAP_SERIES))s rss $(rss) height $(height || echo '?')" >>"$series/rss.txt"
        done
      ) &
      SERIES_PID=$!
    fi
  fi

  local counters_before=() port
  if [ "$VALIDATORS" -gt 1 ]; then
    for port in "${PROM_PORTS[@]}"; do counters_before+=("$(node_counters "$port" || true)"); done
  fi

  local rate_var rate
  rate_var="LOADGEN_RATE_$(printf '%s' "$kt" | tr '[:lower:]-' '[:upper:]_')"
  rate="${!rate_var:-$LOADGEN_RATE}"
  local warmup=()
  [ -n "$LOADGEN_WARMUP" ] && warmup=(--warmup "$LOADGEN_WARMUP")
  # In the background and waited for, so that a TERM to this script runs the cleanup at once
  # (bash defers traps while a foreground command runs). The report (stdout) goes to a file
  # and is printed when loadgen ends; progress (stderr) is shown as it comes.
  local submit_args=(--submit "$SUBMIT")
  if [ "$SUBMIT" = api ]; then
    submit_args+=(--api "$apis") # spread over every node by account, as --submit-nodes does
  elif [ -n "$submit_nodes" ]; then
    submit_args+=(--submit-nodes "$submit_nodes")
  fi
  # shellcheck disable=SC2086 # LOADGEN_ARGS is split on purpose
  "$TMP/loadgen" --node "http://127.0.0.1:$RPC_PORT" --faucet-mnemonic-file "$mnemonic_file" \
    --key-type "$kt" --accounts "$LOADGEN_ACCOUNTS" --duration "$LOADGEN_DURATION" --rate "$rate" \
    --workers "$LOADGEN_WORKERS" "${warmup[@]}" --node-pid "$NODE_PID" --out "$OUT/report-$kt.json" "${submit_args[@]}" ${LOADGEN_ARGS:-} \
    >"$dir/report.txt" 2> >(tee "$dir/loadgen.log" >&2) &
  LOADGEN_PID=$!
  LOAD_RC=0
  wait "$LOADGEN_PID" || LOAD_RC=$?
  LOADGEN_PID=""
  stop_series
  [ "${BENCH_HEAP_SERIES:-0}" -gt 0 ] && [ -f "$OUT/heap-series-$kt/rss.txt" ] && echo "heap series: $OUT/heap-series-$kt/ ($(wc -l <"$OUT/heap-series-$kt/rss.txt") profiles; RSS in rss.txt)" >&2
  if [ "$MEMPOOL_TYPE" = app ] && { [ "${BENCH_PROM:-}" = 1 ] || [ "$VALIDATORS" -gt 1 ]; }; then
    admission_line $((P2P_PORT + 2)) >>"$dir/report.txt" || true
  fi
  cat "$dir/report.txt"
  cp "$dir/report.txt" "$OUT/report-$kt.txt"

  if [ -n "$PROF_PID" ]; then
    if [ "$LOAD_RC" = 0 ]; then wait "$PROF_PID" || echo "cpu profile failed" >&2; PROF_PID=""; else stop_prof; fi
  fi
  if [ "${BENCH_PPROF:-}" = 1 ] && [ "$LOAD_RC" = 0 ]; then
    # What the node holds after the load (for the RSS figures).
    curl -sf -o "$OUT/heap-$kt.pprof" "http://127.0.0.1:$PPROF_PORT/debug/pprof/heap?gc=1" &&
      "$GO" tool pprof -top -sample_index=inuse_space -nodecount=40 "$TMP/selfchaind" "$OUT/heap-$kt.pprof" >"$OUT/heap-top-$kt.txt" 2>/dev/null &&
      echo "heap profile: $OUT/heap-$kt.pprof, $OUT/heap-top-$kt.txt" >&2 || echo "heap profile failed" >&2
  fi
  SIG_SUMMARY=""
  if [ "$VALIDATORS" -gt 1 ]; then
    # Not in a pipeline: sig_report sets SIG_SUMMARY.
    sig_report "$kt" "${counters_before[@]}" >"$dir/sig-report.txt"
    tee -a "$OUT/report-$kt.txt" <"$dir/sig-report.txt" >&2
  fi
  if kill -0 "$NODE_PID" 2>/dev/null; then
    echo "node after load: RSS $(rss), height $(height || echo '?')" >&2
  else
    echo "node process $NODE_PID is gone" >&2
  fi
  local n=0 log
  for pid in "${NODE_PIDS[@]}"; do
    [ "$n" -gt 0 ] && echo "node$n after load: RSS $(awk '/^VmRSS:/ {printf "%.1f MiB", $2/1024}' "/proc/$pid/status" 2>/dev/null || echo gone)" >&2
    n=$((n + 1))
  done
  if [ "$POAI_ANALYZER" = llm ]; then
    # Did the models take part? Each node logs every LLM call with its outcome.
    for log in "${logs[@]}"; do
      echo "$(basename "$log" .log): PoAI LLM calls ok $(grep -c 'PoAI LLM call.*outcome=ok' "$log" || true), fell back $(grep -c 'PoAI LLM call.*fallback' "$log" || true); empty extensions $(grep -c 'voting with an empty extension' "$log" || true)" >&2
    done
  fi
  if [ "$LOAD_RC" != 0 ]; then
    cp "$dir/node.log" "$OUT/node-$kt.log"
    if grep -q "CONSENSUS FAILURE" "$dir/node.log"; then
      echo "node log ($OUT/node-$kt.log):" >&2
      grep -m 3 "CONSENSUS FAILURE" "$dir/node.log" | cut -c1-400 >&2
    fi
  fi
  stop_node
}

SUMMARY=()
FAILED=0
for kt in $KEY_TYPES; do
  run_load "$kt"
  report="$OUT/report-$kt.txt"
  if [ "$LOAD_RC" = 0 ]; then
    SUMMARY+=("$kt: ok; $(grep -m1 '^throughput' "$report" | sed 's/^throughput *//')${SIG_SUMMARY:+; $SIG_SUMMARY}")
  else
    FAILED=1
    why="$(grep -m1 -o 'HALTED at height [0-9]*.*' "$report" || true)"
    [ -n "$why" ] || why="$(grep -m1 -o 'HALTED at height [0-9]*[^;]*' "$TMP/$kt/loadgen.log" || true)"
    [ -n "$why" ] || why="$(grep '^loadgen: ' "$TMP/$kt/loadgen.log" | tail -1 | sed -e 's/^loadgen: //' -e 's/^FAILED: //' || true)"
    [ -n "$why" ] || why="loadgen exited with status $LOAD_RC"
    SUMMARY+=("$kt: FAILED: $why")
  fi
done

echo "" >&2
echo "== load test summary (reports in $OUT/report-<key type>.txt/.json) ==" >&2
for line in "${SUMMARY[@]}"; do echo "$line" >&2; done
if [ "$FAILED" = 1 ]; then
  echo "BENCH FAILED: at least one load run halted or committed nothing (see above)" >&2
  exit 1
fi
