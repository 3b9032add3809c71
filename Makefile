# SELF Chain. `make devnet` builds and runs a local chain; `make test` runs the tests.
BINDIR  ?= build
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null)
# Builds with GOFLAGS=-buildvcs=false carry no VCS stamp: `version --long` gets the commit from here.
LDFLAGS := -X github.com/selfchain/selfchain/app.Version=$(VERSION) -X main.Commit=$(COMMIT)
GO      ?= go
FUZZTIME ?= 10s

.PHONY: all build install devnet devnet-reset localnet localnet-stop localnet-status localnet-reset test test-unit test-fuzz test-race test-js bench lint proto-gen clean

all: build

# go build prints nothing while it compiles, and a first build compiles every
# dependency (about 6 minutes on 2 cores): say so, or it looks hung.
build:
	@echo "building $(BINDIR)/selfchaind (the first build compiles all dependencies and takes a few minutes; later builds take seconds)..."
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BINDIR)/selfchaind ./cmd/selfchaind
	@echo "building $(BINDIR)/constellation..."
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BINDIR)/constellation ./cmd/constellation
	@echo "building $(BINDIR)/selfinstance..."
	$(GO) build -ldflags '$(LDFLAGS)' -o $(BINDIR)/selfinstance ./cmd/selfinstance
	@echo "built $(BINDIR)/selfchaind, $(BINDIR)/constellation and $(BINDIR)/selfinstance"

# rocksdb needs the C library (librocksdb-dev); the default build is pure Go.
build-rocksdb:
	$(GO) build -tags rocksdb -ldflags '$(LDFLAGS)' -o $(BINDIR)/selfchaind ./cmd/selfchaind

install:
	$(GO) install -ldflags '$(LDFLAGS)' ./cmd/selfchaind ./cmd/constellation ./cmd/selfinstance

# Creates a one-validator chain under ./.devnet on first run (with a funded `faucet`
# key in its test keyring), resumes it on later runs.
devnet: build
	@echo "starting the devnet from ./.devnet (Ctrl-C stops it)"
	PATH="$(CURDIR)/$(BINDIR):$$PATH" ./scripts/devnet.sh

devnet-reset:
	rm -rf .devnet

# Four validators (2 ed25519, 2 ML-DSA-65 consensus keys) as background processes
# under ./.localnet, written by the same Go code as testutil/network (docs/LOCALNET.md).
# Creates the network on first run, resumes it later; prints RPC addresses and a funded key.
localnet: build
	SELFCHAIND="$(CURDIR)/$(BINDIR)/selfchaind" GO="$(GO)" ./scripts/localnet.sh start

localnet-stop:
	./scripts/localnet.sh stop

localnet-status:
	SELFCHAIND="$(CURDIR)/$(BINDIR)/selfchaind" ./scripts/localnet.sh status

localnet-reset:
	./scripts/localnet.sh reset

test: test-unit test-fuzz

test-unit:
	$(GO) test -count=1 -timeout 12m ./...

# Short coverage-guided runs of each fuzz target (seeded with valid txs).
test-fuzz:
	./scripts/fuzz.sh $(FUZZTIME)

# The JS SDK alone (sdk/js): locked dependencies, tsc, node's test runner. Its
# end-to-end test runs from Go: go test ./cmd/selfinstance -run TestJSSDK.
test-js:
	./scripts/install-node.sh
	cd sdk/js && npm ci --no-audit --no-fund && npm test

test-race:
	$(GO) test -race -count=1 ./app/... ./x/... ./crypto/...

bench:
	./scripts/bench.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' | grep -v '\.pb\.go$$')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

proto-gen:
	./scripts/protocgen.sh

clean:
	rm -rf $(BINDIR)
