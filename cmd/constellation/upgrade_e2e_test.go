package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/selfchain/selfchain/testutil/network"
)

// TestConstellationUpgrade upgrades a running 4-validator chain in one command:
// the release (selfchaind built with -tags upgrade_v2_test: a new store and the
// handler "v2") is staged, planned with node0's operator key, every node halts
// and the supervisor restarts it on the release, and the command checks equal
// app hashes past the height. The chain keeps its balances, and a later `up`
// starts the release.
func TestConstellationUpgrade(t *testing.T) {
	e := newEnv(t)
	v2, err := network.BinaryWithTags("upgrade_v2_test")
	if err != nil {
		t.Fatal(err)
	}
	e.c("new", "acme", "--validators", "4", "--account", "alice=1000000", "--block-time", "300ms",
		"--restart-backoff", "1s", "--log-level", "error")
	e.cleanupDown("acme")
	e.c("up", "acme")
	clientHome := filepath.Join(e.home, "acme", "client")
	sc := func(args ...string) string {
		out, errOut, ok := e.run("selfchaind", append([]string{"--home", clientHome}, args...)...)
		if !ok {
			t.Fatalf("selfchaind %v: %s%s", args, out, errOut)
		}
		return strings.TrimSpace(out)
	}
	before := sc("query", "bank", "balance", "alice")

	// A release without a handler the chain lacks is refused before anything is planned.
	if _, errOut, ok := e.run("constellation", "upgrade", "acme", "--binary", filepath.Join(binDir, "selfchaind"), "--height", "+10"); ok || !strings.Contains(errOut, "--name") {
		t.Fatalf("upgrade to a release with no new handler: ok=%v %s", ok, errOut)
	}

	out := e.c("upgrade", "acme", "--binary", v2, "--height", "+8", "--output", "json")
	var res struct {
		Name    string `json:"name"`
		Height  int64  `json:"height"`
		Binary  string `json:"binary"`
		Reached int64  `json:"reached_height"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || res.Name != "v2" || res.Reached <= res.Height {
		t.Fatalf("upgrade: %s (%v)", out, err)
	}
	if got := sc("query", "upgrade", "applied", "v2", "--output", "json"); !strings.Contains(got, `"height"`) {
		t.Fatalf("applied v2: %s", got)
	}
	if after := sc("query", "bank", "balance", "alice"); after != before {
		t.Fatalf("alice's balance %q after the upgrade, %q before", after, before)
	}

	// Down and up again: the nodes start the release (its store is there).
	e.c("down", "acme")
	e.c("up", "acme")
	if got := sc("query", "upgrade", "module-versions", "v2test"); !strings.Contains(got, "v2test") {
		t.Fatalf("module-versions v2test after a restart: %s", got)
	}
	e.c("down", "acme")
}
