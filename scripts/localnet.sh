#!/usr/bin/env bash
# A local 4-validator network of separate `selfchaind start` processes in ./.localnet
# (`make localnet`, `make localnet-stop`, `make localnet-reset`).
#
#   scripts/localnet.sh [start]   create the network on first run (scripts/localnet, the
#                                 same Go code that writes testutil/network's homes), then
#                                 start every node not already running; print how to use it
#   scripts/localnet.sh stop      SIGTERM every node, SIGKILL after 20s
#   scripts/localnet.sh status    which nodes run, and their heights
#   scripts/localnet.sh reset     stop, then delete ./.localnet
#
# Each node i has its home in .localnet/node<i>, its output in .localnet/node<i>.log and
# its process id in .localnet/node<i>.pid; it listens on 127.0.0.1, p2p BASE+10i,
# RPC BASE+10i+1 and the tx API (POST /txs) BASE+10i+3 with BASE 36656 (node0's RPC is
# 36657, node1's 36667, ...; `make devnet` uses 26657, so both can run at once).
# The funded `faucet` key is in node0's unencrypted test keyring (mnemonic in
# .localnet/faucet.mnemonic, mode 0600).
#
# Overrides: LOCALNET_DIR, LOCALNET_VALIDATORS, LOCALNET_BASE_PORT, LOCALNET_CHAIN_ID,
# LOCALNET_ARGS (more flags for the generator on first run, e.g. "--mempool-size 20000
# --vote-extensions-height 0"; see `go run ./scripts/localnet --help`),
# SELFCHAIND (binary; default ./build/selfchaind), GO.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR="${LOCALNET_DIR:-./.localnet}"
N="${LOCALNET_VALIDATORS:-4}"
BASE_PORT="${LOCALNET_BASE_PORT:-36656}"
CHAIN_ID="${LOCALNET_CHAIN_ID:-selfchain-localnet-1}"
GO="${GO:-go}"
BIN="${SELFCHAIND:-}"
# need_bin: start and status run the binary; stop and reset do not.
need_bin() {
  if [ -z "$BIN" ]; then
    if [ -x ./build/selfchaind ]; then BIN="$PWD/build/selfchaind"
    elif command -v selfchaind >/dev/null 2>&1; then BIN="$(command -v selfchaind)"
    else echo "selfchaind not found: run 'make build' (or 'make localnet')" >&2; exit 1
    fi
  fi
}

# pid_of <node>: the pid in its pid file if that process is a running selfchaind.
pid_of() {
  local f="$DIR/$1.pid" pid
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # A stale pid file may name a recycled pid: check it is a selfchaind.
  if [ -r "/proc/$pid/cmdline" ] && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q selfchaind; then return 1; fi
  echo "$pid"
}

nodes() { [ -f "$DIR/nodes" ] && cat "$DIR/nodes"; }

height() { # height <rpc>
  { "$BIN" status --node "$1" --output json 2>/dev/null || true; } | sed -n 's/.*"latest_block_height":"\([0-9]*\)".*/\1/p'
}

cmd_start() {
  if [ ! -f "$DIR/nodes" ]; then
    if [ -e "$DIR" ]; then
      echo "$DIR exists but holds no network (no $DIR/nodes): remove it or run '$0 reset'" >&2; exit 1
    fi
    echo "creating a $N-validator network in $DIR (chain id $CHAIN_ID)" >&2
    # shellcheck disable=SC2086 # LOCALNET_ARGS is a list of flags
    "$GO" run ./scripts/localnet --dir "$DIR" --validators "$N" --base-port "$BASE_PORT" --chain-id "$CHAIN_ID" ${LOCALNET_ARGS:-}
  else
    echo "resuming the network in $DIR" >&2
  fi
  while read -r name home rpc keytype; do
    if pid="$(pid_of "$name")"; then
      echo "$name already running (pid $pid)" >&2
      continue
    fi
    echo "=== localnet: starting $name at $(date -u +%FT%TZ) ===" >>"$DIR/$name.log"
    nohup "$BIN" start --home "$home" >>"$DIR/$name.log" 2>&1 </dev/null &
    echo $! >"$DIR/$name.pid"
  done < <(nodes)

  # Wait (bounded) for the first blocks, so what is printed below works at once.
  local rpc0 h=""
  rpc0="$(nodes | head -n1 | awk '{print $3}')"
  for _ in $(seq 1 120); do
    h="$(height "$rpc0")"
    # A block-syncing node refuses txs, so wait until node0 is in consensus.
    if [ -n "$h" ] && [ "$h" -ge 1 ] && ! "$BIN" status --node "$rpc0" --output json 2>/dev/null | grep -q '"catching_up":true'; then break; fi
    for name in $(nodes | awk '{print $1}'); do
      if ! pid_of "$name" >/dev/null; then
        echo "$name exited; last lines of $DIR/$name.log:" >&2; tail -n 20 "$DIR/$name.log" >&2; exit 1
      fi
    done
    sleep 0.5
  done
  if [ -z "$h" ] || [ "$h" -lt 1 ]; then
    echo "warning: node0 has not committed a block after 60s; see $DIR/node*.log" >&2
  fi
  print_info
}

print_info() {
  local faucet home0 rpc0
  faucet="$(cat "$DIR/faucet.address" 2>/dev/null || echo '?')"
  home0="$(nodes | head -n1 | awk '{print $2}')"
  rpc0="$(nodes | head -n1 | awk '{print $3}')"
  echo
  echo "localnet: chain $("$BIN" genesis validate "$home0/config/genesis.json" --output json 2>/dev/null | sed -n 's/.*"chain_id":"\([^"]*\)".*/\1/p') in $DIR"
  while read -r name home rpc keytype; do
    local pid h
    pid="$(pid_of "$name" || echo stopped)"
    h="$(height "$rpc" || true)"
    printf '  %-6s rpc %-24s %-9s pid %-8s height %-6s log %s\n' "$name" "$rpc" "$keytype" "$pid" "${h:--}" "$DIR/$name.log"
  done < <(nodes)
  cat <<INFO

funded key: faucet ($faucet), in the test keyring of $home0
  (mnemonic: $DIR/faucet.mnemonic); $home0/config/client.toml points the CLI at $rpc0.

  $BIN --home $home0 status
  $BIN --home $home0 keys add alice
  $BIN --home $home0 tx bank send faucet <alice-address> 1000uself --wait
  $BIN --home $home0 query bank balance <alice-address>
  $BIN status --node <rpc of another node>

stop: make localnet-stop    resume: make localnet    delete: make localnet-reset
INFO
}

cmd_stop() {
  local pids=() names=()
  while read -r name _; do
    if pid="$(pid_of "$name")"; then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid"); names+=("$name")
    else
      rm -f "$DIR/$name.pid"
    fi
  done < <(nodes || true)
  for i in "${!pids[@]}"; do
    local pid="${pids[$i]}" name="${names[$i]}"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      echo "$name (pid $pid) did not stop within 20s of SIGTERM: killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$DIR/$name.pid"
    echo "stopped $name (pid $pid)" >&2
  done
  [ "${#pids[@]}" -gt 0 ] || echo "no localnet node is running" >&2
}

case "${1:-start}" in
  start) need_bin; cmd_start ;;
  stop) cmd_stop ;;
  status)
    if [ ! -f "$DIR/nodes" ]; then echo "no network in $DIR: run 'make localnet'" >&2; exit 1; fi
    need_bin; print_info ;;
  reset) cmd_stop; rm -rf "$DIR"; echo "deleted $DIR" >&2 ;;
  *) echo "usage: $0 [start|stop|status|reset]" >&2; exit 2 ;;
esac
