package constellation

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// A relayer runs like a node: `constellation relay <chain> --to <cp>` starts a
// detached supervisor (`constellation supervise-relay`) that runs
// `constellation relay <chain> --to <cp> --foreground` and restarts it when it
// exits, with the chain's backoff settings. Files, per counterparty cp:
//
//	run/relay-<cp>.pid              the relayer process
//	run/relay-<cp>-supervisor.pid   its supervisor
//	logs/relay-<cp>.log             the relayer's log (one line per batch)

func relayProc(cp string) string { return "relay-" + cp }

// RelayLog is the relayer's log file.
func (c *Chain) RelayLog(cp string) string { return c.LogFile(relayProc(cp)) }

// RelayPID is the running relayer process of the bridge to cp.
func (c *Chain) RelayPID(cp string) (int, bool) {
	pid, ok := readPID(c.PIDFile(relayProc(cp)))
	if !ok || !ownedAlive(pid, "--foreground") {
		return 0, false
	}
	return pid, true
}

// RelaySupervisorPID is the running supervisor of the relayer to cp.
func (c *Chain) RelaySupervisorPID(cp string) (int, bool) {
	pid, ok := readPID(c.PIDFile(relayProc(cp) + "-supervisor"))
	if !ok || !ownedAlive(pid, "supervise-relay") {
		return 0, false
	}
	return pid, true
}

// StartRelay starts the relayer's supervisor detached; self is this executable;
// relayArgs are more flags of `relay --foreground` (e.g. --metrics 127.0.0.1:9465).
func (c *Chain) StartRelay(home, self, cp string, relayArgs ...string) (int, error) {
	if _, err := c.LoadBridge(cp); err != nil {
		return 0, err
	}
	if pid, ok := c.RelaySupervisorPID(cp); ok {
		return pid, fmt.Errorf("the relayer of %s to %s already runs (supervisor pid %d): `constellation relay stop %s --to %s` stops it", c.Spec.Name, cp, pid, c.Spec.Name, cp)
	}
	for _, dir := range []string{"run", "logs"} {
		if err := os.MkdirAll(filepath.Join(c.Dir, dir), 0o755); err != nil {
			return 0, err
		}
	}
	logf, err := os.OpenFile(c.RelayLog(cp), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	var from int64 // where this start's lines begin in the log
	if st, err := logf.Stat(); err == nil {
		from = st.Size()
	}
	cmd := exec.Command(self, append([]string{"supervise-relay", c.Spec.Name, "--to", cp, "--home", home, "--"}, relayArgs...)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start the relayer's supervisor: %w", err)
	}
	pid := cmd.Process.Pid
	_ = writePID(c.PIDFile(relayProc(cp)+"-supervisor"), pid)
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	// Wait until the relayer says it is relaying (connected to both chains, keys
	// open), or the supervisor dies on bad input (so the user sees the error rather
	// than a silent crash loop), or relayStartWait passes; polled, not slept: a fixed
	// pause was all of this command's time.
	deadline := time.Now().Add(relayStartWait)
	for {
		select {
		case <-exited:
			return 0, fmt.Errorf("the relayer's supervisor exited at once; %s ends with:\n%s", c.RelayLog(cp), indent(TailFile(c.RelayLog(cp), 10)))
		case <-time.After(relayStartPoll):
		}
		if relayReady(c.RelayLog(cp), from) || time.Now().After(deadline) {
			return pid, nil
		}
	}
}

// relayStartWait is the longest `relay` waits for the relayer to come up (a node
// that is slow to answer); relayStartPoll how often it looks.
const (
	relayStartWait = 1500 * time.Millisecond
	relayStartPoll = 50 * time.Millisecond
)

// relayReady reports whether the log, from offset from on, has the relayer's
// first line ("relaying <a> ... <-> <b> ...", written once it is connected to
// both chains with its keys open).
func relayReady(path string, from int64) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	if _, err := f.Seek(from, io.SeekStart); err != nil {
		return false
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		// "2026/12/07 06:50:54.123456 relaying acme (...) <-> ...": the message is
		// the third field.
		if fields := strings.SplitN(sc.Text(), " ", 3); len(fields) == 3 && strings.HasPrefix(fields[2], "relaying ") {
			return true
		}
	}
	return false
}

// StopRelay stops the relayer's supervisor (which stops the relayer), and any
// relayer left without one.
func (c *Chain) StopRelay(cp string) bool {
	stopped := false
	grace := c.Spec.Supervisor.StopTimeout.Duration
	for _, get := range []func(string) (int, bool){c.RelaySupervisorPID, c.RelayPID} {
		if pid, ok := get(cp); ok {
			stopped = true
			_ = syscall.Kill(pid, syscall.SIGTERM)
			if !waitGone(pid, grace+5*time.Second) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				waitGone(pid, 5*time.Second)
			}
		}
	}
	_ = os.Remove(c.PIDFile(relayProc(cp)))
	_ = os.Remove(c.PIDFile(relayProc(cp) + "-supervisor"))
	return stopped
}

// SuperviseRelay runs `self relay <chain> --to cp --foreground` until SIGTERM,
// restarting it after a backoff when it exits (a relayer keeps its state on
// chain, so a restart resumes where it stopped).
func (c *Chain) SuperviseRelay(home, self, cp string, relayArgs ...string) error {
	name := relayProc(cp)
	if err := writePID(c.PIDFile(name+"-supervisor"), os.Getpid()); err != nil {
		return err
	}
	defer os.Remove(c.PIDFile(name + "-supervisor"))
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	log.SetFlags(log.LstdFlags | log.Lmicroseconds | log.LUTC)
	backoff := c.Spec.Supervisor.RestartBackoff.Duration
	for {
		cmd := exec.Command(self, append([]string{"relay", c.Spec.Name, "--to", cp, "--home", home, "--foreground"}, relayArgs...)...)
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr // the relay log
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
		started := time.Now()
		if err := cmd.Start(); err != nil {
			return err
		}
		_ = writePID(c.PIDFile(name), cmd.Process.Pid)
		log.Printf("constellation: relayer %s→%s started, pid %d", c.Spec.Name, cp, cmd.Process.Pid)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		select {
		case err = <-done:
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-done:
			case <-time.After(c.Spec.Supervisor.StopTimeout.Duration):
				_ = cmd.Process.Kill()
				<-done
			}
			_ = os.Remove(c.PIDFile(name))
			log.Printf("constellation: relayer %s→%s stopped", c.Spec.Name, cp)
			return nil
		}
		_ = os.Remove(c.PIDFile(name))
		if time.Since(started) >= healthyRun {
			backoff = c.Spec.Supervisor.RestartBackoff.Duration
		}
		log.Printf("constellation: relayer %s→%s exited (%s) after %s; restarting in %s", c.Spec.Name, cp, exitText(err), time.Since(started).Round(time.Millisecond), backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		if backoff *= 2; backoff > c.Spec.Supervisor.MaxBackoff.Duration {
			backoff = c.Spec.Supervisor.MaxBackoff.Duration
		}
	}
}
