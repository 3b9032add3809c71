#!/usr/bin/env bash
# Regenerates every *.pb.go from proto/ with protoc + protoc-gen-gocosmos.
# Installs both when missing (Debian's protobuf-compiler; the plugin from the Go proxy).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v protoc >/dev/null 2>&1; then
  echo "installing protobuf-compiler (Debian)" >&2
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq protobuf-compiler >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq protobuf-compiler >/dev/null; fi
fi
GOBIN="$(go env GOPATH)/bin"
if [ ! -x "$GOBIN/protoc-gen-gocosmos" ]; then
  go install github.com/cosmos/gogoproto/protoc-gen-gocosmos@v1.7.2
fi
export PATH="$GOBIN:$PATH"

GOGO="$(go list -m -f '{{.Dir}}' github.com/cosmos/gogoproto)"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

M="Mgoogle/protobuf/any.proto=github.com/cosmos/gogoproto/types"
# One protoc run per (directory, go_package): the plugin refuses files of two Go
# packages in one run (proto/selfchain/poai/v1 holds x/poai and x/poai/voteext).
for dir in $(find proto -name '*.proto' -exec dirname {} \; | sort -u); do
  for pkg in $(grep -ho 'go_package = "[^"]*"' "$dir"/*.proto | sort -u | cut -d'"' -f2); do
    protoc -I proto -I "$GOGO" -I "$GOGO/protobuf" \
      --gocosmos_out="plugins=grpc,$M:$OUT" $(grep -l "go_package = \"$pkg\"" "$dir"/*.proto)
  done
done
# Outputs land under $OUT/github.com/selfchain/selfchain/...; move them into the tree.
cp -r "$OUT"/github.com/selfchain/selfchain/. .
echo "generated: $(find "$OUT" -name '*.pb.go' | wc -l) files"
