package constellation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// healthyRun is how long a node must run before a crash counts as a fresh one
// (backoff reset) rather than part of a crash loop.
const healthyRun = 30 * time.Second

// crashLoopAfter quick failures in a row mark a node failed (run/<node>.failed).
const crashLoopAfter = 3

// FindSelfchaind locates the node binary: the flag, then $SELFCHAIND, then
// next to this executable, then PATH.
func FindSelfchaind(flag string) (string, error) {
	check := func(p, from string) (string, error) {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", err
		}
		fi, err := os.Stat(abs)
		if err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return "", fmt.Errorf("selfchaind from %s (%s) is not an executable file: build it with `make build` or fix the path", from, p)
		}
		return abs, nil
	}
	if flag != "" {
		return check(flag, "--selfchaind")
	}
	if env := os.Getenv("SELFCHAIND"); env != "" {
		return check(env, "$SELFCHAIND")
	}
	if self, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(self), "selfchaind")
		if _, err := os.Stat(p); err == nil {
			return check(p, "next to constellation")
		}
	}
	if p, err := exec.LookPath("selfchaind"); err == nil {
		return check(p, "PATH")
	}
	return "", errors.New("selfchaind not found: pass --selfchaind <path>, set $SELFCHAIND, put it next to constellation, or on PATH (`make build` writes build/selfchaind)")
}

// ErrAlreadyUp is returned by Up for a chain whose supervisor is running.
var ErrAlreadyUp = errors.New("already up")

// UpOptions say how Up starts the supervisor.
type UpOptions struct {
	Home       string        // constellation home (passed on to the supervisor)
	Selfchaind string        // node binary (FindSelfchaind)
	Self       string        // this executable, run as `<self> supervise`
	Timeout    time.Duration // how long to wait for blocks
}

// Up starts the chain's supervisor detached and returns once a node reports a
// new block (the height it then has). A chain that fails to come up is stopped
// again, and the error shows the failing node's last log lines.
func (c *Chain) Up(opts UpOptions) (int64, error) {
	unlock, err := c.lock()
	if err != nil {
		return 0, err
	}
	defer unlock()
	if pid, ok := c.SupervisorPID(); ok {
		return 0, fmt.Errorf("chain %s is %w (supervisor pid %d)", c.Spec.Name, ErrAlreadyUp, pid)
	}
	if err := c.VerifyGenesis(); err != nil {
		return 0, err
	}
	for i := range c.Layout.Nodes {
		if pid, ok := c.NodePID(i); ok {
			return 0, fmt.Errorf("%s of chain %s still runs as pid %d without a supervisor: run `constellation down %s` first", NodeName(i), c.Spec.Name, pid, c.Spec.Name)
		}
	}
	if err := CheckPortsFree(c.Layout.Named()); err != nil {
		return 0, err
	}
	for _, dir := range []string{"run", "logs"} {
		if err := os.MkdirAll(filepath.Join(c.Dir, dir), 0o755); err != nil {
			return 0, err
		}
	}
	c.clearRunFiles()
	// Errors show only what this run logged.
	offsets := make([]int64, len(c.Layout.Nodes))
	for i := range offsets {
		if fi, err := os.Stat(c.LogFile(NodeName(i))); err == nil {
			offsets[i] = fi.Size()
		}
	}
	if !c.Started() {
		if err := os.WriteFile(c.startedMarker(), []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
			return 0, err
		}
	}
	logf, err := os.OpenFile(filepath.Join(c.Dir, "logs", "supervisor.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	cmd := exec.Command(opts.Self, "supervise", c.Spec.Name, "--home", opts.Home, "--selfchaind", opts.Selfchaind)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // detached: survives this shell
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start supervisor: %w", err)
	}
	supPID := cmd.Process.Pid
	_ = writePID(c.PIDFile("supervisor"), supPID)
	// Reap it if it dies while we wait; after we return it is the init's child.
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()

	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	deadline := time.Now().Add(timeout)
	// Done when a node has made a new block (a height above the first it
	// reported) and every node answers with a committed block and has left
	// block sync (whose nodes refuse txs), so commands against any node work
	// once `up` returns. A node still not there
	// allNodesGrace after the first new block does not hold `up` (status
	// then says which one lags).
	const allNodesGrace = 10 * time.Second
	first := map[int]int64{}
	var progressed time.Time
	var best int64
	for {
		select {
		case <-exited:
			c.clearRunFiles()
			return 0, fmt.Errorf("the supervisor of chain %s exited; its log (%s) ends with:\n%s", c.Spec.Name, filepath.Join(c.Dir, "logs", "supervisor.log"), indent(TailFile(filepath.Join(c.Dir, "logs", "supervisor.log"), 20)))
		default:
		}
		ready := 0
		for i := range c.Layout.Nodes {
			if bz, err := os.ReadFile(c.failedMarker(i)); err == nil {
				_ = c.down()
				return 0, fmt.Errorf("%s of chain %s failed to start (%s); the chain was stopped again. Last lines of %s:\n%s",
					NodeName(i), c.Spec.Name, strings.TrimSpace(string(bz)), c.LogFile(NodeName(i)), indent(tailFrom(c.LogFile(NodeName(i)), offsets[i], 12)))
			}
			h, ok := nodeHeight(c.Layout.Nodes[i].RPC)
			if !ok {
				continue
			}
			if h >= 1 && !nodeCatchingUp(c.Layout.Nodes[i].RPC) {
				ready++
			}
			if h > best {
				best = h
			}
			if f, seen := first[i]; !seen {
				first[i] = h
			} else if h > f && progressed.IsZero() {
				progressed = time.Now()
			}
		}
		if !progressed.IsZero() && (ready == len(c.Layout.Nodes) || time.Since(progressed) > allNodesGrace) {
			return best, nil
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for i := range c.Layout.Nodes {
				fmt.Fprintf(&b, "\n%s (%s) last lines:\n%s\n", NodeName(i), c.LogFile(NodeName(i)), indent(tailFrom(c.LogFile(NodeName(i)), offsets[i], 8)))
			}
			_ = c.down()
			return 0, fmt.Errorf("chain %s made no block within %s; it was stopped again.%s", c.Spec.Name, timeout, b.String())
		}
		time.Sleep(150 * time.Millisecond)
	}
}

func indent(s string) string {
	if s == "" {
		return "    (empty)"
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}

func (c *Chain) failedMarker(i int) string {
	return filepath.Join(c.Dir, "run", NodeName(i)+".failed")
}

func (c *Chain) restartsFile(i int) string {
	return filepath.Join(c.Dir, "run", NodeName(i)+".restarts")
}

// clearRunFiles removes pid files and markers a previous run left.
func (c *Chain) clearRunFiles() {
	entries, _ := os.ReadDir(filepath.Join(c.Dir, "run"))
	for _, e := range entries {
		if e.Name() != "lock" {
			_ = os.Remove(filepath.Join(c.Dir, "run", e.Name()))
		}
	}
}

// lock serialises `up` and `down` of one chain (two at once would start two
// supervisors, or stop one that is starting).
func (c *Chain) lock() (func(), error) {
	if err := os.MkdirAll(filepath.Join(c.Dir, "run"), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(c.Dir, "run", "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another `constellation up` or `down` of chain %s is in progress: wait for it", c.Spec.Name)
	}
	return func() { _ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN); f.Close() }, nil
}

// Down stops the supervisor (which stops each node with SIGTERM, then SIGKILL
// after the spec's stop_timeout) and waits for every process to be gone.
func (c *Chain) Down() error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	return c.down()
}

func (c *Chain) down() error {
	grace := c.Spec.Supervisor.StopTimeout.Duration
	if pid, ok := c.SupervisorPID(); ok {
		_ = syscall.Kill(pid, syscall.SIGTERM)
		if !waitGone(pid, grace+5*time.Second) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			waitGone(pid, 5*time.Second)
		}
	}
	// Nodes left behind (supervisor killed hard): stop them the same way.
	var pids []int
	for i := range c.Layout.Nodes {
		if pid, ok := c.NodePID(i); ok {
			_ = syscall.Kill(pid, syscall.SIGTERM)
			pids = append(pids, pid)
		}
	}
	for _, pid := range pids {
		if !waitGone(pid, grace) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			waitGone(pid, 5*time.Second)
		}
	}
	c.clearRunFiles()
	return nil
}

func waitGone(pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for alive(pid) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// Supervise runs the chain's nodes until SIGTERM or SIGINT: each node is
// restarted when it exits, after a backoff that doubles up to max_backoff.
// It also serves the chain-level health on 127.0.0.1:<base_port>/metrics.
func (c *Chain) Supervise(selfchaind string) error {
	if err := writePID(c.PIDFile("supervisor"), os.Getpid()); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	log.SetFlags(log.LstdFlags | log.LUTC)
	log.Printf("supervisor of chain %s (%s) started: %d nodes, selfchaind %s", c.Spec.Name, c.Spec.ChainID, c.Spec.Validators, selfchaind)

	srv, err := c.serveMetrics()
	if err != nil {
		log.Printf("chain metrics endpoint: %v", err)
	}
	var wg sync.WaitGroup
	for i := range c.Layout.Nodes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c.runNode(ctx, i, selfchaind)
		}(i)
	}
	<-ctx.Done()
	log.Printf("stopping: SIGTERM to every node, SIGKILL after %s", c.Spec.Supervisor.StopTimeout)
	wg.Wait()
	if srv != nil {
		_ = srv.Close()
	}
	_ = os.Remove(c.PIDFile("supervisor"))
	log.Printf("supervisor stopped")
	return nil
}

// nodeEnv is this process's environment without SELFCHAIN_* variables: they
// would override the node's config files (e.g. SELFCHAIN_RPC_LADDR).
func nodeEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SELFCHAIN_") {
			out = append(out, kv)
		}
	}
	return out
}

func (c *Chain) runNode(ctx context.Context, i int, bin string) {
	name, home := NodeName(i), c.NodeHome(i)
	backoff := c.Spec.Supervisor.RestartBackoff.Duration
	quick, restarts := 0, 0
	for {
		logf, err := os.OpenFile(c.LogFile(name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			log.Printf("%s: open log: %v", name, err)
			return
		}
		cmd := exec.Command(c.NodeBinary(bin), "start", "--home", home)
		cmd.Env = nodeEnv()
		cmd.Stdout, cmd.Stderr = logf, logf
		// If the supervisor itself is killed, its nodes get SIGTERM (a clean stop).
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
		started := time.Now()
		var waitErr error
		if err := cmd.Start(); err != nil {
			waitErr = err
		} else {
			_ = writePID(c.PIDFile(name), cmd.Process.Pid)
			log.Printf("%s: started, pid %d", name, cmd.Process.Pid)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case waitErr = <-done:
			case <-ctx.Done():
				_ = cmd.Process.Signal(syscall.SIGTERM)
				select {
				case err := <-done:
					log.Printf("%s: stopped (%v)", name, exitText(err))
				case <-time.After(c.Spec.Supervisor.StopTimeout.Duration):
					_ = cmd.Process.Kill()
					<-done
					log.Printf("%s: killed: it did not stop within %s of SIGTERM", name, c.Spec.Supervisor.StopTimeout)
				}
				_ = os.Remove(c.PIDFile(name))
				logf.Close()
				return
			}
			_ = os.Remove(c.PIDFile(name))
		}
		if c.switchForUpgrade(i, waitErr) {
			logf.Close()
			continue
		}
		ran := time.Since(started)
		if ran >= healthyRun {
			quick, backoff = 0, c.Spec.Supervisor.RestartBackoff.Duration
			_ = os.Remove(c.failedMarker(i))
		} else {
			quick++
		}
		restarts++
		_ = os.WriteFile(c.restartsFile(i), []byte(strconv.Itoa(restarts)+"\n"), 0o644)
		msg := fmt.Sprintf("%s exited (%s) after %s; restarting in %s", name, exitText(waitErr), ran.Round(time.Millisecond), backoff)
		log.Print(msg)
		fmt.Fprintf(logf, "\n--- constellation: %s ---\n", msg)
		logf.Close()
		if quick >= crashLoopAfter {
			_ = os.WriteFile(c.failedMarker(i), []byte(fmt.Sprintf("exited %d times in a row within %s, last: %s", quick, healthyRun, exitText(waitErr))), 0o644)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		if backoff *= 2; backoff > c.Spec.Supervisor.MaxBackoff.Duration {
			backoff = c.Spec.Supervisor.MaxBackoff.Duration
		}
	}
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// serveMetrics serves the chain-level Prometheus metrics and /health (JSON).
func (c *Chain) serveMetrics() (*http.Server, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(c.Layout.Chain))
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", c.metricsHandler(3*time.Second))
	mux.HandleFunc("/health", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		st := c.Collect(ctx)
		w.Header().Set("Content-Type", "application/json")
		if st.Verdict != VerdictOK {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = writeJSON(w, st)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(l) }()
	log.Printf("chain health on http://%s/metrics and /health", addr)
	return srv, nil
}

var _ io.Writer = (*os.File)(nil)
