#!/usr/bin/env bash
# Runs a one-validator development chain in ./.devnet (`make devnet`).
# First run: creates the home (chain id selfchain-devnet-1), a `faucet` key in the
# unencrypted test keyring (mnemonic in .devnet/faucet.mnemonic, mode 0600), funds
# it in genesis, writes client.toml so CLI commands need no flags, and shortens
# consensus.timeout_commit to 500ms and binds p2p to 127.0.0.1 in config.toml. Later
# runs resume the chain.
#
# Overrides: DEVNET_HOME, DEVNET_CHAIN_ID, DEVNET_FAUCET_COINS, SELFCHAIND (binary).
set -euo pipefail
cd "$(dirname "$0")/.."

HOME_DIR="${DEVNET_HOME:-./.devnet}"
CHAIN_ID="${DEVNET_CHAIN_ID:-selfchain-devnet-1}"
# 1,000,000 SELF to hand out plus 1,000 SELF for the faucet's own fees.
FAUCET_COINS="${DEVNET_FAUCET_COINS:-1001000000000uself}"
BIN="${SELFCHAIND:-}"
if [ -z "$BIN" ]; then
  if command -v selfchaind >/dev/null 2>&1; then BIN=selfchaind
  elif [ -x ./build/selfchaind ]; then BIN=./build/selfchaind
  else echo "selfchaind not found: run 'make build' (or 'make devnet')" >&2; exit 1
  fi
fi
sc() { "$BIN" --home "$HOME_DIR" "$@"; }

if [ ! -f "$HOME_DIR/config/genesis.json" ]; then
  echo "creating devnet in $HOME_DIR (chain id $CHAIN_ID)" >&2
  sc init devnet --chain-id "$CHAIN_ID" >/dev/null
  sc config chain-id "$CHAIN_ID"
  sc config keyring-backend test
  sc config node tcp://127.0.0.1:26657
  if ! sc keys show faucet >/dev/null 2>&1; then
    out="$(sc keys add faucet --output json)"
    mnemonic="$(printf '%s' "$out" | sed -n 's/.*"mnemonic":"\([^"]*\)".*/\1/p')"
    if [ -z "$mnemonic" ]; then echo "could not read the faucet mnemonic" >&2; exit 1; fi
    (umask 077 && printf '%s\n' "$mnemonic" >"$HOME_DIR/faucet.mnemonic")
    chmod 600 "$HOME_DIR/faucet.mnemonic"
  fi
  sc genesis add-account faucet "$FAUCET_COINS"
  # The validator's PoAI operator (rewards, unjail) is a key this keyring holds.
  sc genesis set-operator devnet faucet >/dev/null 2>&1
  # The faucet key may plan software upgrades (selfchaind tx upgrade plan ... --from faucet).
  sc genesis set-upgrade-authority faucet >/dev/null 2>&1
  sc genesis validate >/dev/null
  # Faster blocks than CometBFT's 1s default: a dev chain is for quick feedback.
  # Peers on loopback only, like RPC and metrics: a dev chain is not for other
  # machines (README says how to open it up).
  sed -i.bak -e 's/^timeout_commit = .*/timeout_commit = "500ms"/' \
    -e '/^\[p2p\]/,/^\[/ s|^laddr = "tcp://0.0.0.0:|laddr = "tcp://127.0.0.1:|' "$HOME_DIR/config/config.toml"
  rm -f "$HOME_DIR/config/config.toml.bak"
  echo "faucet: $(sc keys show faucet --address)  (mnemonic: $HOME_DIR/faucet.mnemonic)" >&2
else
  echo "resuming devnet in $HOME_DIR" >&2
fi

exec "$BIN" start --home "$HOME_DIR"
