package agent

import (
	"context"
	"strings"
	"testing"

	"github.com/selfchain/selfchain/backup/onchain"
)

// Each status that cannot keep a backup is named in plain words; an ending
// agreement still counts as a source for the copy.
func TestWarnings(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, 3, 1<<30)
	a := e.agent(t)
	if ws := a.Warnings(ctx); len(ws) != 0 {
		t.Fatalf("all active: %q", ws)
	}
	ending, _ := e.chain.Agreement(ctx, 2)
	ending.Status, ending.EndHeight = onchain.StatusEnding, 500
	e.chain.Put(ending)
	proposed, _ := e.chain.Agreement(ctx, 3)
	proposed.Status = onchain.StatusProposed
	e.chain.Put(proposed)
	a.Targets = append(a.Targets, Target{Agreement: 9})
	ws := a.Warnings(ctx)
	if len(ws) != 3 {
		t.Fatalf("warnings %q, want 3", ws)
	}
	for i, want := range []string{
		"agreement 2 with holder node-b is ending at height 500",
		"agreement 3 with holder node-c is not accepted yet",
		"agreement 9 cannot be read from the chain",
	} {
		if !strings.Contains(ws[i], want) {
			t.Errorf("warning %d %q lacks %q", i, ws[i], want)
		}
	}
	if !strings.Contains(ws[0], "--agreements 1,2,<new>") {
		t.Errorf("an ending agreement still serves: %q", ws[0])
	}
	if !strings.Contains(ws[2], "check --node") {
		t.Errorf("unreadable: %q", ws[2])
	}
	if !strings.Contains(ws[1], "selfchaind tx backup accept 3") {
		t.Errorf("proposed: %q", ws[1])
	}
}
