// Command loadgen drives a SELF Chain node with bank transfers and measures how
// many it commits per second and how long each takes from submission to commit.
//
//	go run ./scripts/loadgen --node http://127.0.0.1:26657 --accounts 2000 --key-type hybrid --rate 4000 --duration 60s
//
// Flow: derive the faucet key from its mnemonic; unless --gas is given, choose
// the transfers' gas limits by simulation with a throwaway probe account of the
// run's key type (gas.go: an account's first tx carries its public key and needs
// more); fund --accounts deterministic accounts with MsgMultiSend txs and wait for
// them to commit; pre-sign every transfer of the run (account i sends 1uself to
// other accounts at increasing sequences; the first tx of each account carries
// its public key); submit them at --rate with --workers concurrent
// broadcast_tx_sync calls (--submit api: POST /txs to the nodes' tx API, the raw
// bytes without JSON-RPC), counting CheckTx rejections by code; watch new blocks
// (websocket NewBlockHeader events, HTTP for any gap), noting when each commit
// was seen, and match their txs' hashes to time submission→commit — reading the
// blocks' txs (/block) once the submission phase ends, so that serving them does
// not load the node during the window (--live-block-txs: as each block commits);
// print a report.
//
// Committed tx/s is measured over a window that leaves out the --warmup and the
// drain: txs with code 0 in the blocks committed between the warm-up's end and
// the submission phase's end, over the time between the commits that bound those
// blocks, by block header times (window.go).
//
// It fails (exit status 1) when the chain halts — no block for more than 10
// block times (median interval, at least 1s) while txs of the run are pending: it
// stops, prints "HALTED at height H" and writes the report with a "halted" field
// (halt.go) — and when it commits no tx with code 0 in the window.
//
// It is bounded: submission stops after --duration (or when --txs are all sent),
// then it waits at most --drain for accepted txs to commit (longer only while a
// stall is being told apart from a halt). It only talks to the node given by
// --node, which is meant to be a local one.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
)

type config struct {
	cpuProfile    string
	node          string
	submitNodes   []string // more RPC addresses broadcasts are spread over (by account)
	submitVia     string   // "rpc" (broadcast_tx_sync) or "api" (POST /txs)
	apis          []string // tx API base URLs with --submit api, spread over by account
	chainID       string
	mnemonicFile  string
	faucetKeyType string
	keyType       string
	accounts      int
	duration      time.Duration
	durationSet   bool
	rate          float64
	txs           int
	nodePID       int
	out           string
	workers       int
	drain         time.Duration
	setupTimeout  time.Duration
	gas           uint64 // 0: choose by simulation
	gasAdjust     float64
	warmup        time.Duration
	fundGas       uint64
	gasPrices     string
	denom         string
	amount        uint64
	seed          string
	maxPresign    int
	quiet         bool
	liveBlockTxs  bool // match blocks' txs as they commit, not after submission
}

func parseFlags() (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.StringVar(&c.node, "node", "http://127.0.0.1:26657", "node RPC address (http:// or tcp://; loopback only)")
	submitNodes := fs.String("submit-nodes", "", "comma-separated RPC addresses of more nodes of the chain: each account's txs go to one node (account i to node i mod n, --node counting as the first), so the load is spread over them; setup, simulation and block watching use --node")
	fs.StringVar(&c.submitVia, "submit", "rpc", "how txs are submitted: rpc (CometBFT's broadcast_tx_sync, JSON) or api (POST /txs of each --api: the raw bytes; app.toml [api])")
	fs.Func("api", "with --submit api: a node's tx API, e.g. http://127.0.0.1:26659 (repeat it or give a comma-separated list: account i's txs go to the i mod n-th, as with --submit-nodes)", func(v string) error {
		for _, a := range strings.Split(v, ",") {
			if a = strings.TrimSpace(a); a != "" {
				c.apis = append(c.apis, a)
			}
		}
		return nil
	})
	fs.StringVar(&c.chainID, "chain-id", "", "chain id (default: the node's, from /status)")
	fs.StringVar(&c.mnemonicFile, "faucet-mnemonic-file", "./.devnet/faucet.mnemonic", "file holding the funded faucet key's mnemonic (ed25519, index 0)")
	fs.StringVar(&c.faucetKeyType, "faucet-key-type", "auto", "key type of the faucet key (auto: whichever registered type has an account on chain)")
	fs.StringVar(&c.keyType, "key-type", "ed25519", "key type of the sender accounts ("+strings.Join(crypto.Schemes(), ", ")+")")
	fs.IntVar(&c.accounts, "accounts", 1000, "number of sender accounts to fund and use")
	fs.DurationVar(&c.duration, "duration", 60*time.Second, "submission phase length")
	fs.DurationVar(&c.warmup, "warmup", -1, "start of the submission phase left out of committed tx/s (default: 10s, at most a fifth of --duration)")
	fs.Float64Var(&c.rate, "rate", 4000, "target submissions per second (0: as fast as the workers go)")
	fs.IntVar(&c.txs, "txs", 0, "total transfers to send instead of rate×duration (--duration then caps the submission phase only if given)")
	fs.IntVar(&c.nodePID, "node-pid", 0, "node process id: sample its RSS (and CPU) from /proc every second")
	fs.StringVar(&c.out, "out", "", "write the report as JSON to this path")
	fs.IntVar(&c.workers, "workers", 64, "concurrent broadcast_tx_sync workers")
	fs.DurationVar(&c.drain, "drain", 30*time.Second, "after submission, wait at most this long for accepted txs to commit")
	fs.DurationVar(&c.setupTimeout, "setup-timeout", 3*time.Minute, "limit for funding the accounts and reading their account numbers")
	gasFlag := fs.String("gas", "auto", `gas limit of each transfer; "auto": simulate an account's first tx (it carries the public key) and a later one on the node, times --gas-adjustment`)
	fs.Float64Var(&c.gasAdjust, "gas-adjustment", client.DefaultGasAdjustment, "multiplier of the simulated gas with --gas auto")
	fs.Uint64Var(&c.fundGas, "fund-gas", 5000000, "gas limit of each funding MsgMultiSend tx")
	fs.StringVar(&c.gasPrices, "gas-price", "0.001uself", "gas price the fees are computed from (fee = ceil(gas × price)); must meet the node's minimum-gas-prices")
	fs.StringVar(&c.denom, "denom", "uself", "denom of the transfers")
	fs.Uint64Var(&c.amount, "amount", 1, "amount of each transfer")
	fs.StringVar(&c.seed, "seed", "loadgen", "seed of the deterministic account keys (change it for fresh accounts)")
	fs.IntVar(&c.maxPresign, "max-presign", 2_000_000, "upper bound on pre-signed txs")
	fs.BoolVar(&c.quiet, "quiet", false, "no progress lines")
	fs.StringVar(&c.cpuProfile, "cpuprofile", "", "write loadgen's own CPU profile of the submission phase to this file")
	fs.BoolVar(&c.liveBlockTxs, "live-block-txs", false, "fetch each block's txs (/block) as it commits, as before stop 31, instead of after the submission phase (costs the node CPU during the window)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "duration" {
			c.durationSet = true
		}
	})
	for _, n := range strings.Split(*submitNodes, ",") {
		if n = strings.TrimSpace(n); n != "" {
			c.submitNodes = append(c.submitNodes, n)
		}
	}
	var err error
	if c.gas, err = parseGasFlag(*gasFlag); err != nil {
		return nil, err
	}
	if c.warmup < 0 {
		c.warmup = defaultWarmup(c.sendWindow())
	}
	switch {
	case c.accounts < 2:
		return nil, errors.New("--accounts must be at least 2")
	case c.rate < 0:
		return nil, errors.New("--rate must be >= 0")
	case c.txs < 0:
		return nil, errors.New("--txs must be >= 0")
	case c.workers < 1:
		return nil, errors.New("--workers must be at least 1")
	case c.duration <= 0:
		return nil, errors.New("--duration must be > 0")
	case c.gas == 0 && c.gasAdjust < 1:
		return nil, errors.New("--gas-adjustment must be at least 1")
	case c.sendWindow() > 0 && c.warmup >= c.sendWindow():
		return nil, fmt.Errorf("--warmup %s leaves nothing of the %s submission phase to measure", c.warmup, c.sendWindow())
	case c.submitVia != "rpc" && c.submitVia != "api":
		return nil, fmt.Errorf("--submit %q: want rpc or api", c.submitVia)
	case c.submitVia == "api" && len(c.apis) == 0:
		return nil, errors.New("--submit api needs --api http://127.0.0.1:PORT (the node's app.toml [api] address)")
	case c.submitVia == "rpc" && len(c.apis) > 0:
		return nil, errors.New("--api is only used with --submit api")
	}
	return c, nil
}

// totalTxs is how many transfers to pre-sign.
func (c *config) totalTxs() (int, error) {
	n := c.txs
	if n == 0 {
		r := c.rate
		if r == 0 {
			// As fast as possible for --duration: sign for a rate well above what one
			// node sustains; --txs sets an exact number instead.
			r = 8000
		}
		n = int(r * c.duration.Seconds())
	}
	if n < 1 {
		return 0, errors.New("nothing to send: rate × duration < 1")
	}
	if n > c.maxPresign {
		return 0, fmt.Errorf("%d txs exceed --max-presign %d", n, c.maxPresign)
	}
	return n, nil
}

// sendWindow bounds the submission phase; 0 means no bound (--txs without --duration).
func (c *config) sendWindow() time.Duration {
	if c.txs > 0 && !c.durationSet {
		return 0
	}
	return c.duration
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loadgen: "+format+"\n", args...)
}

func main() {
	cfg, err := parseFlags()
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// loopbackOnly refuses a node address that is not on this machine: loadgen is a
// local benchmarking tool, not something to point at other people's nodes.
func loopbackOnly(node string) error {
	u, err := url.Parse(strings.Replace(node, "tcp://", "http://", 1))
	if err != nil {
		return err
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	return fmt.Errorf("%q is not a loopback address: loadgen only drives a local node", node)
}

// connsOpened counts TCP connections to the node (keep-alive should hold it near --workers).
var connsOpened atomic.Int64

func newRPC(node string, conns int) (*rpchttp.HTTP, error) {
	if !strings.Contains(node, "://") {
		node = "http://" + node
	}
	if err := loopbackOnly(node); err != nil {
		return nil, err
	}
	return rpchttp.NewWithClient(node, "/websocket", newHTTPClient(conns))
}

// newHTTPClient is the keep-alive client both submission paths use: up to 2×conns
// connections to a node, each dial counted in connsOpened.
func newHTTPClient(conns int) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
				connsOpened.Add(1)
				return dialer.DialContext(ctx, network, addr)
			},
			DisableCompression:  true,
			MaxIdleConns:        conns * 2,
			MaxIdleConnsPerHost: conns * 2,
			MaxConnsPerHost:     conns * 2,
			IdleConnTimeout:     90 * time.Second,
		},
		Timeout: 30 * time.Second,
	}
}

func run(ctx context.Context, cfg *config) error {
	total, err := cfg.totalTxs()
	if err != nil {
		return err
	}
	prices, err := tx.ParseGasPrices(cfg.gasPrices)
	if err != nil {
		return fmt.Errorf("--gas-price: %w", err)
	}
	if len(prices) != 1 {
		return errors.New("--gas-price: give exactly one price, e.g. 0.001uself")
	}
	rpc, err := newRPC(cfg.node, cfg.workers)
	if err != nil {
		return fmt.Errorf("--node: %w", err)
	}
	// Where txs go: --node and each of --submit-nodes, or each --api.
	submitTo := []broadcaster{rpcBroadcaster(rpc)}
	for _, n := range cfg.submitNodes {
		c, err := newRPC(n, cfg.workers)
		if err != nil {
			return fmt.Errorf("--submit-nodes %s: %w", n, err)
		}
		submitTo = append(submitTo, rpcBroadcaster(c))
	}
	if cfg.submitVia == "api" {
		submitTo = nil
		for _, a := range cfg.apis {
			c, err := newAPIClient(a, cfg.workers)
			if err != nil {
				return fmt.Errorf("--api %s: %w", a, err)
			}
			submitTo = append(submitTo, c.broadcast)
		}
	}

	var sampler *procSampler
	if cfg.nodePID > 0 {
		sampler, err = startProcSampler(cfg.nodePID, time.Second)
		if err != nil {
			return err
		}
		defer sampler.stop()
	}

	setupCtx, cancelSetup := context.WithTimeout(ctx, cfg.setupTimeout)
	defer cancelSetup()
	st, err := rpc.Status(setupCtx)
	if err != nil {
		return fmt.Errorf("node %s: %w", cfg.node, err)
	}
	if cfg.chainID == "" {
		cfg.chainID = st.NodeInfo.Network
	}
	logf("node %s, chain %s, height %d; %d accounts, %d txs", cfg.node, cfg.chainID, st.SyncInfo.LatestBlockHeight, cfg.accounts, total)
	switch {
	case cfg.submitVia == "api":
		logf("txs posted as raw bytes to the tx API of %d node(s), spread by account: %s", len(cfg.apis), strings.Join(cfg.apis, ", "))
	case len(cfg.submitNodes) > 0:
		logf("broadcasts spread by account over %d nodes: %s and %s", 1+len(cfg.submitNodes), cfg.node, strings.Join(cfg.submitNodes, ", "))
	}

	setupStart := time.Now()
	accts, err := deriveAccounts(cfg.keyType, cfg.seed, cfg.accounts)
	if err != nil {
		return err
	}
	gas := explicitGas(cfg.gas)
	if cfg.gas == 0 {
		if gas, err = probeGas(setupCtx, rpc, cfg, prices[0]); err != nil {
			return fmt.Errorf("choosing the gas limit (give --gas to skip): %w", err)
		}
	}
	logf("gas per %s transfer: first tx of an account %d (fee %s), later txs %d (fee %s); %s",
		cfg.keyType, gas.First, feeFor(prices[0], gas.First), gas.Later, feeFor(prices[0], gas.Later), gas.Source)
	perAccount := (total + cfg.accounts - 1) / cfg.accounts
	if err := fund(setupCtx, rpc, cfg, prices[0], accts, perAccount, prices[0].Required(gas.First)); err != nil {
		return fmt.Errorf("funding: %w", err)
	}
	if err := loadAccountNumbers(setupCtx, rpc, accts); err != nil {
		return err
	}
	logf("funded %d accounts in %s", len(accts), time.Since(setupStart).Round(time.Millisecond))

	signStart := time.Now()
	set, err := presign(cfg, accts, total, gas, prices[0])
	if err != nil {
		return err
	}
	logf("pre-signed %d txs (%d bytes each on average) in %s", total, set.bytes/int64(total), time.Since(signStart).Round(time.Millisecond))
	cancelSetup()

	// The run's own context: the halt monitor ends it when the chain stops.
	runCtx, cancelRun := context.WithCancel(ctx)
	defer cancelRun()

	// Watch blocks from the current height on, before the first submission.
	st, err = rpc.Status(ctx)
	if err != nil {
		return err
	}
	det := newHaltDetector(haltFactor, blockTimeMin)
	w := newWatcher(rpc, set, st.SyncInfo.LatestBlockHeight, det)
	w.deferTxs.Store(!cfg.liveBlockTxs)
	w.seedDetector(ctx, st.SyncInfo.LatestBlockHeight)
	if err := w.start(runCtx); err != nil {
		return err
	}
	defer w.stop()

	live := &liveCounts{}
	pending := func() int64 {
		_, ours := w.progress()
		return live.sent.Load() - live.failed.Load() - ours
	}
	nodeHeight := func(c context.Context) (int64, error) {
		st, err := rpc.Status(c)
		if err != nil {
			return 0, err
		}
		return st.SyncInfo.LatestBlockHeight, nil
	}
	monitor := startHaltMonitor(runCtx, det, nodeHeight, pending, cancelRun, time.Second)
	defer monitor.stop()
	logf("halt detection: a run with txs pending ends as HALTED after %d block times without a block (block time now estimated at %s, at least %s)",
		haltFactor, det.blockTime(), blockTimeMin)

	if sampler != nil {
		sampler.mark()
	}
	stopProfile, err := startCPUProfile(cfg.cpuProfile)
	if err != nil {
		return err
	}
	res := submit(runCtx, submitTo, cfg, set, w, live)
	stopProfile()
	w.resolveTxs() // the blocks' txs, read now that the window is over
	drainUntil := time.Now().Add(cfg.drain)
	if runCtx.Err() == nil {
		logf("submission done: %d sent, %d accepted; waiting up to %s for commits", res.sent, res.accepted, cfg.drain)
		w.waitFor(runCtx, res.accepted, drainUntil, det, cfg.quiet)
	}
	monitor.stop()
	halt := monitor.result()
	w.stop()
	switch {
	case ctx.Err() != nil:
		logf("interrupted: exec results not read (committed txs are counted as ok)")
	default:
		// After a halt the node may not answer: give up on the results sooner.
		limit := time.Minute
		if halt != nil {
			limit = 10 * time.Second
		}
		rctx, cancelResults := context.WithTimeout(ctx, limit)
		err = w.readResults(rctx)
		cancelResults()
		if err != nil {
			logf("reading exec results: %v (committed-but-failed counts are incomplete)", err)
		}
	}

	rep := buildReport(cfg, set, res, w, sampler, total, gas, halt)
	mctx, cancelMempool := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	if u, err := rpc.NumUnconfirmedTxs(mctx); err == nil {
		rep.MempoolAtEnd = u.Total
	}
	cancelMempool()
	rep.print(os.Stdout)
	if cfg.out != "" {
		if err := rep.writeJSON(cfg.out); err != nil {
			return err
		}
		logf("report written to %s", cfg.out)
	}
	return rep.verdict(ctx.Err() != nil)
}
