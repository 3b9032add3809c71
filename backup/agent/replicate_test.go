package agent

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/selfchain/selfchain/backup/onchain"
	"github.com/selfchain/selfchain/x/backup"
)

// Agreement 1 fails; the backup is copied from holder 2 to a new agreement 3
// without the source directory, and a restore from holder 3 alone gives the
// tree back byte-identically.
func TestReplicateToNewAgreementAndRestore(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, 3, 1<<30)
	src := t.TempDir()
	writeTree(t, src)
	a := e.agent(t, 0, 1)
	if _, err := a.Run(ctx, src); err != nil {
		t.Fatal(err)
	}
	failed, _ := e.chain.Agreement(ctx, 1)
	failed.Status, failed.EndHeight, failed.Slashed, failed.MaxMisses = onchain.StatusFailed, 120, "2500uself", 3
	e.chain.Put(failed)

	// Warnings name the failed agreement and the one step that fixes it.
	ws := a.Warnings(ctx)
	if len(ws) != 1 {
		t.Fatalf("warnings %q, want one", ws)
	}
	for _, want := range []string{"agreement 1 with holder node-a failed at height 120", "missed 3 challenges in a row", "2500uself",
		"selfchaind tx backup propose", "selfchaind backup replicate --to-agreement <new> --agreements 2", "--agreements 2,<new>"} {
		if !strings.Contains(ws[0], want) {
			t.Errorf("warning %q lacks %q", ws[0], want)
		}
	}

	es, err := a.Repo.Uploaded(2)
	must(t, err)
	var out bytes.Buffer
	a.Out = &out
	r, err := a.Replicate(ctx, Target{Agreement: 3, URL: e.holders[2].http.URL})
	if err != nil {
		t.Fatal(err)
	}
	if r.Chunks != len(es) || r.Copied != int64(len(es)) || r.Present != 0 || r.Committed == nil || r.Committed.Revision != 1 {
		t.Fatalf("replicate: %+v, want all %d chunks copied and revision 1 committed", r, len(es))
	}
	if !strings.Contains(out.String(), "agreement 1: not copied from") {
		t.Fatalf("the failed agreement was not reported:\n%s", out.String())
	}
	agr3, _ := e.chain.Agreement(ctx, 3)
	agr2, _ := e.chain.Agreement(ctx, 2)
	if !bytes.Equal(agr3.Root, agr2.Root) || agr3.ChunkCount != agr2.ChunkCount || agr3.TotalBytes != agr2.TotalBytes {
		t.Fatalf("agreement 3 committed %x/%d/%d, holder 2 holds %x/%d/%d", agr3.Root, agr3.ChunkCount, agr3.TotalBytes, agr2.Root, agr2.ChunkCount, agr2.TotalBytes)
	}

	// Again: nothing to send, nothing to commit.
	r, err = a.Replicate(ctx, Target{Agreement: 3, URL: e.holders[2].http.URL})
	if err != nil || r.Copied != 0 || r.Present != int64(len(es)) || r.Committed != nil {
		t.Fatalf("second replicate: %+v %v", r, err)
	}

	// A fresh machine (empty index) restores from holder 3 alone.
	e.repoDir = t.TempDir()
	b := e.agent(t, 2)
	dst := t.TempDir()
	if _, err := b.Restore(ctx, "latest", dst); err != nil {
		t.Fatal(err)
	}
	sameTree(t, src, dst)

	// Named with the healthy agreement, the new one raises no warning and
	// the next run backs up to both.
	a.Targets = []Target{{Agreement: 2, URL: e.holders[1].http.URL}, {Agreement: 3, URL: e.holders[2].http.URL}}
	if ws := a.Warnings(ctx); len(ws) != 0 {
		t.Fatalf("warnings with healthy agreements: %q", ws)
	}
	run, err := a.Run(ctx, src)
	if err != nil || len(run.Skipped) != 0 || run.ReadBytes != 0 {
		t.Fatalf("run after the replication: %+v %v", run, err)
	}
}

func TestReplicateRefusals(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t, 3, 1<<30)
	src := t.TempDir()
	writeTree(t, src)
	a := e.agent(t, 0)
	if _, err := a.Run(ctx, src); err != nil {
		t.Fatal(err)
	}
	to := func(i int) Target { return Target{Agreement: uint64(i + 1), URL: e.holders[i].http.URL} }

	if _, err := a.Replicate(ctx, to(0)); err == nil || !strings.Contains(err.Error(), "both the one to copy to and one to copy from") {
		t.Fatalf("copy onto a source: %v", err)
	}

	// Too small a quota: refused before anything is uploaded.
	small, _ := e.chain.Agreement(ctx, 2)
	small.Quota = 1 << 20
	e.chain.Put(small)
	if _, err := a.Replicate(ctx, to(1)); err == nil || !strings.Contains(err.Error(), "propose an agreement with --quota") {
		t.Fatalf("over quota: %v", err)
	}
	if inv, _ := e.holders[1].store.Inventory(2); len(inv) != 0 {
		t.Fatalf("holder 2 got %d chunks from a refused replication", len(inv))
	}

	// A target that is not active cannot take the copy.
	ended, _ := e.chain.Agreement(ctx, 3)
	ended.Status = onchain.StatusEnded
	e.chain.Put(ended)
	if _, err := a.Replicate(ctx, to(2)); err == nil || !strings.Contains(err.Error(), "only active agreements take backups") {
		t.Fatalf("to an ended agreement: %v", err)
	}

	// A damaged copy with no other holder: named, nothing committed.
	ok, _ := e.chain.Agreement(ctx, 3)
	ok.Status = onchain.StatusActive
	e.chain.Put(ok)
	es, _ := a.Repo.Uploaded(1)
	victim := es[0]
	ct, err := e.holders[0].store.Get(1, victim.ID)
	must(t, err)
	ct[len(ct)/2] ^= 1
	if _, err := e.holders[0].store.Put(1, victim.ID, victim.Kind, ct, mustLeaf(t, ct), 1<<30); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Replicate(ctx, to(2)); err == nil || !strings.Contains(err.Error(), "does not match the leaf committed on chain") {
		t.Fatalf("damaged source: %v", err)
	}
	if agr, _ := e.chain.Agreement(ctx, 3); agr.Revision != 0 {
		t.Fatalf("agreement 3 committed revision %d from a damaged source", agr.Revision)
	}
}

func mustLeaf(t *testing.T, ct []byte) []byte {
	t.Helper()
	leaf, err := backup.ChunkLeafOf(ct)
	must(t, err)
	return leaf
}
