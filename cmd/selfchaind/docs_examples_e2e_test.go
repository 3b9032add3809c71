package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/selfchain/selfchain/testutil"
)

// docExample is one command line of a fenced block in a doc.
type docExample struct {
	file  string
	line  int
	block int // index of the fenced block in the file: each block runs in its own directory
	text  string
}

// docExampleFiles are the docs whose examples must run: README's tour and the
// CLI reference.
var docExampleFiles = []string{"../../README.md", "../../docs/CLI.md"}

// docExamplesSkipped are the examples that do not run here, each with why.
// Usage synopses (a line with <placeholders>, [optional] parts or a|b choices)
// are not examples and are skipped by rule (isSynopsis).
var docExamplesSkipped = map[string]string{
	"selfchaind start --home ./.devnet": "runs a node in the foreground until stopped; every e2e test starts its node this way",
	"selfchaind start --rpc.laddr tcp://127.0.0.1:36657 --p2p.laddr tcp://127.0.0.1:36656 --consensus.timeout_commit 500ms": "runs a node until stopped (the e2e tests pass these flags)",
	"selfchaind start --minimum-gas-prices 0.001uself --instrumentation.prometheus":                                         "runs a node until stopped; TestCLIEndToEnd covers --instrumentation.prometheus",
	"selfchaind --home ~/.constellation/acme/client tx bank send alice acme1... 1000uacme --wait":                           "needs a chain made by constellation; cmd/constellation's e2e test sends on one",
}

var (
	fenceRe    = regexp.MustCompile("^\\s*```")
	synopsisRe = regexp.MustCompile(`<[a-zA-Z]|\[[-a-zA-Z]|[a-z0-9]\|[a-z-]|…|\.\.\.`)
	commentRe  = regexp.MustCompile(`\s+#\s.*$`)
	jsonFlagRe = regexp.MustCompile(`(-o|--output) json`)
	keyMakerRe = regexp.MustCompile(`selfchaind .*\b(keys (add|recover|import)|init) `)
)

// readDocExamples returns the command lines mentioning selfchaind in the fenced
// blocks of file (continuation lines joined, trailing comments cut).
func readDocExamples(t *testing.T, file string) []docExample {
	t.Helper()
	bz, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out []docExample
	in, block, pending, start := false, -1, "", 0
	for i, l := range strings.Split(string(bz), "\n") {
		if fenceRe.MatchString(l) {
			in = !in
			if in {
				block++
			}
			continue
		}
		if !in {
			continue
		}
		if pending == "" {
			start = i + 1
		}
		if strings.HasSuffix(l, "\\") {
			pending += strings.TrimSuffix(l, "\\") + " "
			continue
		}
		l = strings.TrimSpace(commentRe.ReplaceAllString(pending+l, ""))
		pending = ""
		if strings.Contains(l, "selfchaind ") && !strings.HasPrefix(l, "#") {
			out = append(out, docExample{file: filepath.Base(file), line: start, block: block, text: strings.Join(strings.Fields(l), " ")})
		}
	}
	return out
}

// TestDocExamplesRun runs README's tour and docs/CLI.md's examples through the
// built binary against a running node (placeholders filled in from it), in doc
// order, and fails on any that exits non-zero; a query's JSON must parse. So
// the docs and the binary cannot drift apart. ~30 s.
func TestDocExamplesRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a node")
	}
	tn := startTourNode(t)
	c := tn.c
	// The examples call `selfchaind` by name.
	binDir := t.TempDir()
	if err := os.Symlink(c.bin, filepath.Join(binDir, "selfchaind")); err != nil {
		t.Fatal(err)
	}
	subst := map[string]string{
		"<alice-address>":                  tn.addr["alice"],
		"self1bob…":                        tn.addr["bob"],
		"<carol-address>":                  tn.addr["carol"],
		"self1...":                         tn.addr["bob"],
		"selfpub1...":                      strings.TrimSpace(c.must("keys", "show", "bob", "-e")),
		"SELFCHAIN_KEYRING_PASSPHRASE=...": "SELFCHAIN_KEYRING_PASSPHRASE=tour-passphrase",
	}
	// <node-id> is alice's node, once an example has registered it.
	nodeID := func() string {
		var resp struct {
			Nodes []nodeJSON `json:"nodes"`
		}
		out, _, _ := c.run("query", "registry", "by-owner", "alice", "-o", "json")
		if json.Unmarshal([]byte(out), &resp) != nil || len(resp.Nodes) == 0 {
			return "<node-id>"
		}
		return resp.Nodes[0].Node.ID
	}
	// The backup section: carol's holder node, alice's newest agreement, and a
	// free port for the holder daemon instead of its default.
	holderNodeID := func() string {
		var resp struct {
			Nodes []nodeJSON `json:"nodes"`
		}
		out, _, _ := c.run("query", "registry", "by-owner", "carol", "-o", "json")
		if json.Unmarshal([]byte(out), &resp) != nil || len(resp.Nodes) == 0 {
			return "<holder-node-id>"
		}
		return resp.Nodes[0].Node.ID
	}
	agreementID := func() string {
		var resp struct {
			Agreements []struct {
				ID string `json:"id"`
			} `json:"agreements"`
		}
		out, _, _ := c.run("query", "backup", "agreements", tn.addr["alice"], "-o", "json")
		if json.Unmarshal([]byte(out), &resp) != nil || len(resp.Agreements) == 0 {
			return "<agreement-id>"
		}
		return resp.Agreements[len(resp.Agreements)-1].ID
	}
	subst["127.0.0.1:26680"] = fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))

	ran, skipped := 0, 0
	dirs := map[string]string{}
	for _, file := range docExampleFiles {
		for _, ex := range readDocExamples(t, file) {
			where := fmt.Sprintf("%s:%d", ex.file, ex.line)
			if reason, ok := docExamplesSkipped[ex.text]; ok {
				t.Logf("%s skipped (%s): %s", where, reason, ex.text)
				skipped++
				continue
			}
			line := ex.text
			for k, v := range subst {
				line = strings.ReplaceAll(line, k, v)
			}
			if strings.Contains(line, "<node-id>") {
				line = strings.ReplaceAll(line, "<node-id>", nodeID())
			}
			if strings.Contains(line, "<holder-node-id>") {
				line = strings.ReplaceAll(line, "<holder-node-id>", holderNodeID())
			}
			if strings.Contains(line, "<agreement-id>") {
				line = strings.ReplaceAll(line, "<agreement-id>", agreementID())
			}
			if isSynopsis(line) {
				t.Logf("%s is a synopsis: %s", where, ex.text)
				skipped++
				continue
			}
			// Each fenced block runs in its own directory (./val0, notes.tar, msgs.json
			// are relative to it), with the files its lines read.
			key := fmt.Sprintf("%s#%d", ex.file, ex.block)
			if dirs[key] == "" {
				dirs[key] = t.TempDir()
				writeExampleInputs(t, dirs[key], tn)
			}
			// The devnet home is the tour node's home, except for lines that create a
			// key or a home: they get a fresh one (the tour's keys already exist).
			home := c.home
			if keyMakerRe.MatchString(line) {
				home = scratchHome(t, c.home)
			}
			line = regexp.MustCompile(`(\./)?\.devnet\b`).ReplaceAllString(line, home)
			if bg, ok := strings.CutSuffix(line, " &"); ok { // a daemon (backup serve): runs until the test ends
				if err := startBackgroundExample(t, binDir, dirs[key], home, bg); err != nil {
					t.Errorf("%s: %s\nfailed: %v", where, ex.text, err)
					continue
				}
				t.Logf("%s started in the background: %s", where, ex.text)
				ran++
				continue
			}
			out, errOut, err := runExample(binDir, dirs[key], home, tn.mnemonic, line)
			if err != nil {
				t.Errorf("%s: %s\nfailed (%v):\nstdout: %s\nstderr: %s", where, ex.text, err, out, errOut)
				continue
			}
			if jsonFlagRe.MatchString(line) {
				var v any
				if err := json.Unmarshal([]byte(out), &v); err != nil {
					t.Errorf("%s: %s: output is not JSON (%v): %s", where, ex.text, err, out)
				}
			}
			t.Logf("%s ran: %s", where, ex.text)
			ran++
		}
	}
	t.Logf("%d examples ran, %d skipped (synopses and the list above)", ran, skipped)
	if ran < 30 {
		t.Fatalf("only %d examples ran: is the example extraction broken?", ran)
	}
	for text := range docExamplesSkipped {
		if !docsContain(t, text) {
			t.Errorf("docExamplesSkipped lists %q, which no doc has any more", text)
		}
	}
}

// isSynopsis reports whether a line is a usage synopsis: it still has a
// <placeholder>, an [optional] part, a|b alternatives or an ellipsis.
func isSynopsis(line string) bool {
	for _, part := range strings.Split(line, " | ") { // a shell pipe is not an alternative
		if synopsisRe.MatchString(part) {
			return true
		}
	}
	return false
}

// writeExampleInputs are the files the examples read: notes.tar (keys encrypt),
// my-data/ (backup run) and msgs.json (tx permissions exec; the doc writes it with an echo line whose
// addresses are placeholders: here bob pays shop 300uself).
func writeExampleInputs(t *testing.T, dir string, tn *tourNode) {
	t.Helper()
	msgs := fmt.Sprintf(`[{"@type":"/selfchain.bank.v1.MsgSend","from_address":%q,"to_address":%q,"amount":[{"denom":"uself","amount":"300"}]}]`,
		tn.addr["bob"], tn.addr["shop"])
	if err := os.MkdirAll(filepath.Join(dir, "my-data"), 0o755); err != nil { // backup run ./my-data
		t.Fatal(err)
	}
	for name, body := range map[string]string{"notes.tar": "notes to seal", "msgs.json": msgs, "my-data/notes.txt": "notes to back up"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// scratchHome is an empty home with the tour home's client.toml (test keyring,
// the node), as the docs' "with the devnet running" assumes.
func scratchHome(t *testing.T, from string) string {
	t.Helper()
	home := t.TempDir()
	bz, err := os.ReadFile(filepath.Join(from, "config", "client.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(home, "config", "client.toml"), bz, 0o644); err != nil {
		t.Fatal(err)
	}
	return home
}

// startBackgroundExample runs a doc line that ends in " &" (a daemon) like
// runExample, but in the background: it returns once the daemon has printed
// its first line of output (backup serve: "listening on ..."), and the daemon
// is stopped (SIGTERM, then killed) when the test ends.
func startBackgroundExample(t *testing.T, binDir, dir, home, line string) error {
	cmd := exec.Command("bash", "-c", "exec "+line)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"), "SELFCHAIN_HOME="+home)
	var out, errb testutil.SyncBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("background example %q:\n%s%s", line, out.String(), errb.String())
		}
	})
	deadline := time.After(20 * time.Second)
	for !strings.Contains(out.String(), "\n") {
		select {
		case <-exited:
			return fmt.Errorf("exited at once:\n%s", errb.String())
		case <-deadline:
			return fmt.Errorf("printed nothing in 20 s:\n%s", errb.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// runExample runs a doc line with bash, selfchaind on PATH, in dir.
func runExample(binDir, dir, home, mnemonic, line string) (string, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", line)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+binDir+string(os.PathListSeparator)+os.Getenv("PATH"),
		"SELFCHAIN_HOME="+home, "MNEMONIC="+mnemonic)
	cmd.Stdin = strings.NewReader("")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	return out.String(), errb.String(), err
}

func docsContain(t *testing.T, text string) bool {
	for _, f := range docExampleFiles {
		for _, ex := range readDocExamples(t, f) {
			if ex.text == text {
				return true
			}
		}
	}
	return false
}
