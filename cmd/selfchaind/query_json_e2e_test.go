package main

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// queryExamples are the arguments each query command runs with in
// TestEveryQueryPrintsJSON, keyed by command path; {name} is a value the test
// knows (a key name, the node id, a tx hash). A query command missing here
// fails the test: a new module's queries cannot slip through untested.
var queryExamples = map[string][]string{
	"query bridge params":              {},
	"query bridge clients":             {},
	"query bridge unreceived":          {"client-0"},
	"query tx":                         {"{txhash}"},
	"query auth account":               {"faucet"},
	"query bank balance":               {"faucet"},
	"query bank balances":              {"faucet"},
	"query bank supply":                {},
	"query poai validators":            {},
	"query poai validator":             {"faucet"},
	"query poai reputation":            {"faucet"},
	"query poai epoch":                 {},
	"query poai flagged":               {},
	"query poai params":                {},
	"query registry node":              {"{node_id}"},
	"query registry nodes":             {},
	"query registry by-owner":          {"faucet"},
	"query registry by-key":            {"faucet"},
	"query registry resolve":           {"faucet", "--verify"},
	"query registry params":            {},
	"query permissions params":         {},
	"query permissions app":            {"tour-app"},
	"query permissions apps":           {},
	"query permissions grant":          {"alice", "tour-app"},
	"query permissions grants-by-user": {"alice"},
	"query permissions grants-by-app":  {"tour-app"},
	"query permissions check":          {"alice", "tour-app", "bank:send", "--prove"},
	"query upgrade plan":               {},
	"query upgrade applied":            {"v2"},
	"query upgrade module-versions":    {},
	"query upgrade params":             {},
	"query backup agreements":          {"bob"},
	"query backup agreement":           {"1"},
	"query backup challenges":          {"1"},
	"query backup holder":              {"{node_id}"},
	"query backup params":              {},
}

// queryExamplesSkipped are query commands the tour node cannot answer, each
// with why (say, state only a second chain can create). Every query command is
// in queryExamples or here.
var queryExamplesSkipped = map[string]string{
	"query bridge client":          "a light client exists only once a second chain is bridged (cmd/constellation's TestBridgeRelay runs it)",
	"query bridge consensus-state": "a light client exists only once a second chain is bridged (cmd/constellation's TestBridgeRelay runs it)",
	"query bridge packet":          "a packet needs a light client of a second chain (cmd/constellation's TestBridgeRelay runs it)",
	"query bridge denom":           "a voucher exists only once tokens arrive from a second chain (cmd/constellation's TestBridgeRelay runs it)",
}

// queryPaths are the runnable leaves under `query`, as "query <module> <cmd>".
func queryPaths(root *cobra.Command) []string {
	var out []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Runnable() && !c.HasSubCommands() {
			out = append(out, strings.TrimPrefix(c.CommandPath(), root.Name()+" "))
		}
		for _, sub := range c.Commands() {
			if !sub.Hidden && sub.Name() != "help" {
				walk(sub)
			}
		}
	}
	for _, c := range root.Commands() {
		if c.Name() == "query" {
			walk(c)
		}
	}
	sort.Strings(out)
	return out
}

// TestEveryQueryPrintsJSON runs every command under `query` against a node
// holding one of everything (a tx, a registered node, an app, a grant, a
// validator), with -o json and as text, and checks the output convention of
// docs/CLI.md: JSON parses; every name text prints (a KV key, a table column)
// is a field name of the JSON, so the two forms name things alike.
func TestEveryQueryPrintsJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a node")
	}
	tn := startTourNode(t)
	c := tn.c
	var sent struct {
		TxHash string `json:"txhash"`
	}
	if err := json.Unmarshal([]byte(c.must("tx", "bank", "send", "faucet", "shop", "5uself", "--wait", "--yes", "-o", "json")), &sent); err != nil {
		t.Fatal(err)
	}
	c.must("tx", "registry", "register-node", "faucet", "--endpoint", "node.example.com:26656", "--models", "llama-3.1-8b",
		"--storage-bytes", "1073741824", "--region", "eu-west", "--wait", "--yes")
	c.must("tx", "permissions", "register-app", "owner", "tour-app", "--name", "Tour", "--scopes", "storage:read:notes/,bank:send", "--wait", "--yes")
	c.must("tx", "permissions", "grant", "alice", "tour-app", "bank:send", "--spend-limit", "50uself", "--expiry", "1h", "--wait", "--yes")
	vars := map[string]string{"{txhash}": sent.TxHash, "{node_id}": byOwner(t, c, "faucet").Node.ID}
	// A backup agreement (id 1) with bob on faucet's node, for the backup queries.
	c.must("tx", "backup", "propose", vars["{node_id}"], "--quota", "1MiB", "--price", "5uself/epoch", "--escrow", "50uself",
		"--collateral", "100uself", "--from", "bob", "--wait", "--yes")

	paths := queryPaths(NewRootCmd())
	known := map[string]bool{}
	for _, path := range paths {
		known[path] = true
		if reason, ok := queryExamplesSkipped[path]; ok {
			t.Logf("%s skipped: %s", path, reason)
			continue
		}
		args, ok := queryExamples[path]
		if !ok {
			t.Errorf("%q has no entry in queryExamples (or queryExamplesSkipped, with the reason): add example arguments for it", path)
			continue
		}
		cmdArgs := strings.Fields(path)
		for _, a := range args {
			if v, ok := vars[a]; ok {
				a = v
			}
			cmdArgs = append(cmdArgs, a)
		}
		out := c.must(append(cmdArgs, "-o", "json")...)
		var v any
		if err := json.Unmarshal([]byte(out), &v); err != nil {
			t.Errorf("%s -o json: not JSON (%v):\n%s", path, err, out)
			continue
		}
		names := jsonNames(v, map[string]bool{})
		text := textNames(c.must(cmdArgs...))
		t.Logf("%s: JSON ok, text names %v", path, text)
		for _, n := range text {
			if !names[strings.TrimSuffix(n, "_fingerprint")] {
				t.Errorf("%s: text says %q, which the JSON does not name (JSON names: %v)", path, n, keys(names))
			}
		}
	}
	for path := range queryExamplesSkipped {
		if !known[path] {
			t.Errorf("queryExamplesSkipped has %q, which is not a query command", path)
		}
	}
	for path := range queryExamples {
		if _, both := queryExamplesSkipped[path]; both || !known[path] {
			t.Errorf("queryExamples has %q, which is not a query command (or is also skipped)", path)
		}
	}

	// The convention's particulars: amounts and 64-bit numbers are strings,
	// enums their names, a verification is in the JSON too.
	var bal struct {
		Balance struct{ Amount any } `json:"balance"`
	}
	mustJSON(t, c.must("query", "bank", "balance", "faucet", "-o", "json"), &bal)
	if _, ok := bal.Balance.Amount.(string); !ok {
		t.Errorf("balance.amount is %T, want a string", bal.Balance.Amount)
	}
	var vals struct {
		Validators []struct {
			Status    string `json:"status"`
			SelfStake string `json:"self_stake"`
		} `json:"validators"`
	}
	mustJSON(t, c.must("query", "poai", "validators", "-o", "json"), &vals)
	if len(vals.Validators) != 1 || vals.Validators[0].Status != "STATUS_BONDED" {
		t.Errorf("validators: %+v", vals)
	}
	if out := c.must("query", "poai", "validators"); !strings.Contains(out, "STATUS_BONDED") {
		t.Errorf("text validators should name the status as JSON does:\n%s", out)
	}
	var res struct {
		Verified bool `json:"verified"`
	}
	mustJSON(t, c.must("query", "registry", "resolve", "faucet", "--verify", "-o", "json"), &res)
	if !res.Verified {
		t.Errorf("resolve --verify -o json lacks verified: true")
	}
	var nodes struct {
		Nodes []any    `json:"nodes"`
		Quota []string `json:"quota_bytes"`
	}
	mustJSON(t, c.must("query", "registry", "nodes", "-o", "json"), &nodes)
	if len(nodes.Quota) != len(nodes.Nodes) || len(nodes.Nodes) == 0 {
		t.Errorf("nodes: %d quotas for %d nodes", len(nodes.Quota), len(nodes.Nodes))
	}
	// A grant without max_uses is unlimited; its spend so far is none.
	if out := c.must("query", "permissions", "grant", "alice", "tour-app"); !regexp.MustCompile(`(?m)^max_uses: +unlimited$`).MatchString(out) ||
		!regexp.MustCompile(`(?m)^spent: +none$`).MatchString(out) {
		t.Errorf("grant text:\n%s", out)
	}
	// Errors are JSON under -o json (on stderr, exit 1).
	_, errOut, ok := c.run("query", "permissions", "app", "no-such-app", "-o", "json")
	var e struct {
		Error string `json:"error"`
		Code  uint32 `json:"code"`
	}
	if ok || json.Unmarshal([]byte(errOut), &e) != nil || !strings.Contains(e.Error, "no-such-app") || e.Code == 0 {
		t.Errorf("a failed query under -o json: ok=%v stderr %q", ok, errOut)
	}
	if _, errOut, _ := c.run("query", "bank", "balance", "self1qqqq", "-o", "json"); !strings.HasPrefix(errOut, `{"error":`) {
		t.Errorf("bad input under -o json: stderr %q", errOut)
	}
}

var (
	kvLine    = regexp.MustCompile(`^([a-z][a-z0-9_]*):( |$)`)
	headerRow = regexp.MustCompile(`^[a-z][a-z0-9_]*(  +[a-z][a-z0-9_]*)+$`)
)

// textNames are the names a text output uses: KV keys and the columns of
// tables that have rows (an empty list's JSON names no element fields).
func textNames(out string) []string {
	var names []string
	lines := strings.Split(out, "\n")
	for i, l := range lines {
		if m := kvLine.FindStringSubmatch(l); m != nil {
			names = append(names, m[1])
			continue
		}
		if headerRow.MatchString(l) && i+1 < len(lines) && lines[i+1] != "(none)" {
			names = append(names, strings.Fields(l)...)
		}
	}
	return names
}

// jsonNames collects every object key in v, at any depth.
func jsonNames(v any, into map[string]bool) map[string]bool {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			into[k] = true
			jsonNames(e, into)
		}
	case []any:
		for _, e := range x {
			jsonNames(e, into)
		}
	}
	return into
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func mustJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("not JSON (%v): %s", err, s)
	}
}
