#!/usr/bin/env bash
# Runs every Go fuzz target in the repo for a short time each (default 10s).
# Go's fuzzer sometimes ends a timed run with a bare "context deadline exceeded"
# (the coordinator's deadline hits a worker mid-exchange; no failing input is
# written). That run is retried once; a real failure, which writes its input to
# testdata/fuzz, fails at once. Minimizing each new interesting input is capped at
# 2s (Go's default is 60s): targets that run a whole block per input would
# otherwise spend a short run minimizing instead of fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
t="${1:-10s}"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for f in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    for attempt in 1 2; do
      echo "fuzz $pkg $f ($t, attempt $attempt)"
      if go test -run='^$' -fuzz="^${f}\$" -fuzztime="$t" -fuzzminimizetime=2s "$pkg" >"$log" 2>&1; then
        tail -n 1 "$log"
        break
      fi
      cat "$log"
      if [ "$attempt" = 2 ] || ! grep -q 'context deadline exceeded' "$log" || grep -q 'Failing input written' "$log"; then
        exit 1
      fi
    done
  done
done
