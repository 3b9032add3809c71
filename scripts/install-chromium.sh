#!/usr/bin/env bash
# Installs Debian's Chromium for the dashboard's browser test
# (cmd/constellation TestDashboardInChromium), unless a Chromium or Chrome is
# already there. Idempotent; needs root (or sudo) only when it installs.
set -euo pipefail
for b in chromium chromium-browser google-chrome headless-shell; do
  if command -v "$b" >/dev/null 2>&1; then
    echo "chromium: found $(command -v "$b")"
    exit 0
  fi
done
if [ -n "${CHROME_BIN:-}" ] && [ -x "$CHROME_BIN" ]; then
  echo "chromium: found \$CHROME_BIN=$CHROME_BIN"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: not found and no apt-get here: install Chromium or set CHROME_BIN (the browser test skips without it)" >&2
  exit 0
fi
sudo=""
if [ "$(id -u)" != 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "chromium: not found, and installing it needs root or sudo: the browser test will skip" >&2
    exit 0
  fi
  sudo="sudo"
fi
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium
echo "chromium: installed $(command -v chromium)"
