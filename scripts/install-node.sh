#!/usr/bin/env bash
# Installs Node.js 20+ and npm for the JS SDK's tests (sdk/js), idempotently:
# nothing happens when they are already there. Debian's nodejs package is 18
# on bookworm, so when apt's node is older than 20 the official Node binary is
# taken from the npm registry (package node-linux-<arch>) into /opt/node and
# linked into /usr/local/bin, ahead of /usr/bin on PATH.
set -euo pipefail

NODE_MAJOR_MIN=20
NODE_FROM_NPM=22 # the major taken from the npm registry when apt's is too old

node_ok() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || return 1
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) || return 1
  [ "$major" -ge "$NODE_MAJOR_MIN" ]
}

if node_ok; then
  echo "node $(node --version), npm $(npm --version): ok"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
fi

if ! node_ok; then
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "install-node.sh: no Node binary package for $(uname -m): install Node $NODE_MAJOR_MIN+ by hand" >&2; exit 1 ;;
  esac
  $SUDO mkdir -p /opt/node
  $SUDO npm install --prefix /opt/node --no-audit --no-fund --no-save "node-linux-$arch@$NODE_FROM_NPM"
  $SUDO ln -sf "/opt/node/node_modules/node-linux-$arch/bin/node" /usr/local/bin/node
  hash -r
fi

if ! node_ok; then
  echo "install-node.sh: node is $(node --version 2>/dev/null || echo missing); the JS SDK needs $NODE_MAJOR_MIN+" >&2
  exit 1
fi
echo "node $(node --version), npm $(npm --version): ok"
