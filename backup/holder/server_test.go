package holder

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/selfchain/selfchain/backup/onchain"
	"github.com/selfchain/selfchain/backup/wire"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/x/backup"
)

type env struct {
	chain *onchain.Memory
	store *Store
	srv   *Server
	http  *httptest.Server
	owner crypto.PrivKey
	logs  *bytes.Buffer
}

func signerOf(k crypto.PrivKey) wire.Signer {
	return func(msg []byte) ([]byte, crypto.PubKey, error) {
		sig, err := k.Sign(msg)
		return sig, k.PubKey(), err
	}
}

func newEnv(t *testing.T, quota uint64) *env {
	t.Helper()
	owner, err := crypto.GenerateKey(crypto.KeyTypeEd25519)
	if err != nil {
		t.Fatal(err)
	}
	st, err := OpenStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	chain := onchain.NewMemory()
	chain.Put(onchain.Agreement{ID: 1, Owner: owner.PubKey().Address().String(), Holder: "node-a", Status: onchain.StatusActive, Quota: quota})
	chain.Put(onchain.Agreement{ID: 2, Owner: owner.PubKey().Address().String(), Holder: "node-b", Status: onchain.StatusActive, Quota: quota})
	logs := &bytes.Buffer{}
	srv := NewServer(Config{NodeID: "node-a", Chain: chain, Store: st, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return &env{chain, st, srv, hs, owner, logs}
}

func (e *env) client(sign wire.Signer) *Client {
	s, err := wire.NewSession(sign, time.Now(), time.Hour)
	if err != nil {
		panic(err)
	}
	return &Client{BaseURL: e.http.URL, Agreement: 1, Session: s}
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

func statusOf(err error) int {
	if se, ok := err.(*StatusError); ok {
		return se.Code
	}
	return 0
}

// Only the agreement's owner may store or read; every refusal is logged and
// stores nothing.
func TestAuth(t *testing.T) {
	e := newEnv(t, 1<<30)
	ctx := context.Background()
	id := wire.ID{1}
	ct := randomBytes(3000)

	// Unsigned.
	resp, err := http.Post(e.http.URL+"/v1/agreements/1/chunks/"+id.String()+"?kind=data", "", bytes.NewReader(ct))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed { // POST is not a route
		t.Fatalf("POST: %d", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodPut, e.http.URL+"/v1/agreements/1/chunks/"+id.String()+"?kind=data", bytes.NewReader(ct))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned: %d, want 401", resp.StatusCode)
	}

	// Another account's key: authenticated, not authorised.
	other, _ := crypto.GenerateKey(crypto.KeyTypeHybrid)
	if _, err := e.client(signerOf(other)).Put(ctx, id, wire.KindData, ct); statusOf(err) != http.StatusForbidden {
		t.Fatalf("wrong key: %v, want 403", err)
	}
	// A grant signed by another key that claims the owner's key.
	forged := func(msg []byte) ([]byte, crypto.PubKey, error) {
		sig, _, err := signerOf(other)(msg)
		return sig, e.owner.PubKey(), err
	}
	if _, err := e.client(forged).Put(ctx, id, wire.KindData, ct); statusOf(err) != http.StatusUnauthorized {
		t.Fatalf("forged grant: %v, want 401", err)
	}
	// The owner's session, signing another body than the one sent.
	sess, _ := wire.NewSession(signerOf(e.owner), time.Now(), time.Hour)
	req, _ = http.NewRequest(http.MethodPut, e.http.URL+"/v1/agreements/1/chunks/"+id.String()+"?kind=data", bytes.NewReader(ct))
	sess.SignRequest(req, leafOf(ct[1:]), time.Now(), [16]byte{8})
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("bad signature: %d, want 401", resp.StatusCode)
	}
	// The owner, for an agreement another holder serves.
	c2 := e.client(signerOf(e.owner))
	c2.Agreement = 2
	if _, err := c2.Put(ctx, id, wire.KindData, ct); statusOf(err) != http.StatusForbidden {
		t.Fatalf("other holder's agreement: %v, want 403", err)
	}
	// A stale request.
	req, _ = http.NewRequest(http.MethodPut, e.http.URL+"/v1/agreements/1/chunks/"+id.String()+"?kind=data", nil)
	sess.SignRequest(req, leafOf(ct), time.Now().Add(-time.Hour), [16]byte{9})
	req.Body = io.NopCloser(bytes.NewReader(ct))
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("stale: %d, want 401", resp.StatusCode)
	}

	if es, _ := e.store.Inventory(1); len(es) != 0 {
		t.Fatalf("%d chunks stored after refused requests", len(es))
	}
	if used, _ := e.store.TotalUsed(); used != 0 {
		t.Fatalf("%d bytes used after refused requests", used)
	}
	for _, want := range []string{"reason=unsigned", "reason=not_owner", "reason=bad_signature", "reason=bad_grant", "reason=not_holder", "reason=stale"} {
		if !strings.Contains(e.logs.String(), want) {
			t.Errorf("no log line with %s:\n%s", want, e.logs)
		}
	}

	// A good request, then the very same request replayed.
	req, _ = http.NewRequest(http.MethodPut, e.http.URL+"/v1/agreements/1/chunks/"+id.String()+"?kind=data", nil)
	sess.SignRequest(req, leafOf(ct), time.Now(), [16]byte{7})
	for i, want := range []int{http.StatusOK, http.StatusUnauthorized} {
		r2 := req.Clone(ctx)
		r2.Body = io.NopCloser(bytes.NewReader(ct))
		resp, err := http.DefaultClient.Do(r2)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("attempt %d: %d, want %d", i, resp.StatusCode, want)
		}
	}
	if !strings.Contains(e.logs.String(), "reason=replay") {
		t.Error("no log line for the replay")
	}
	if got := testutil.ToFloat64(e.srv.metrics.bytesHeld); got != float64(len(ct)) {
		t.Fatalf("bytes_held %v, want %d", got, len(ct))
	}
}

func TestQuota(t *testing.T) {
	e := newEnv(t, 100<<10)
	ctx := context.Background()
	c := e.client(signerOf(e.owner))
	if _, err := c.Put(ctx, wire.ID{1}, wire.KindData, randomBytes(60<<10)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Put(ctx, wire.ID{2}, wire.KindData, randomBytes(60<<10)); statusOf(err) != http.StatusRequestEntityTooLarge || !strings.Contains(err.Error(), "quota") {
		t.Fatalf("over quota: %v, want 413 quota exceeded", err)
	}
	// Replacing a chunk counts only the difference.
	if _, err := c.Put(ctx, wire.ID{1}, wire.KindData, randomBytes(90<<10)); err != nil {
		t.Fatal(err)
	}
	if used, _ := e.store.Used(1); used != 90<<10 {
		t.Fatalf("used %d, want %d", used, 90<<10)
	}
	if _, err := e.store.Get(1, wire.ID{2}); err != ErrNoChunk {
		t.Fatalf("refused chunk is stored: %v", err)
	}
}

// The prover answers a challenge with a proof x/backup's check accepts, and
// counts a challenge it cannot answer as missed.
func TestProver(t *testing.T) {
	e := newEnv(t, 1<<30)
	ctx := context.Background()
	c := e.client(signerOf(e.owner))
	ids := []wire.ID{{1}, {2}, {3}}
	var leaves [][]byte
	for _, id := range ids {
		leaf, err := c.Put(ctx, id, wire.KindData, randomBytes(5000))
		if err != nil {
			t.Fatal(err)
		}
		leaves = append(leaves, leaf)
	}
	root, err := c.PutManifest(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(root, backup.ManifestRoot(leaves)) {
		t.Fatal("holder's root differs from the agent's")
	}
	if _, err := c.PutManifest(ctx, []wire.ID{{3}, {1}}); statusOf(err) != http.StatusBadRequest {
		t.Fatalf("unsorted list: %v, want 400", err)
	}
	if _, err := c.PutManifest(ctx, []wire.ID{{1}, {9}}); statusOf(err) != http.StatusConflict {
		t.Fatalf("list naming a missing chunk: %v, want 409", err)
	}
	if err := e.chain.CommitManifest(ctx, onchain.Manifest{AgreementID: 1, Revision: 1, Root: root, ChunkCount: 3, TotalBytes: 15000}); err != nil {
		t.Fatal(err)
	}
	e.chain.Challenge(onchain.Challenge{AgreementID: 1, ChunkIndex: 2, Seed: []byte("block hash")})
	p := e.srv.NewProver()
	if err := p.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if len(e.chain.Proved) != 1 || testutil.ToFloat64(e.srv.metrics.answered) != 1 {
		t.Fatalf("proved %d, answered metric %v", len(e.chain.Proved), testutil.ToFloat64(e.srv.metrics.answered))
	}
	// Lose chunk 1 (index 0): its challenge is missed, once.
	if err := os.Remove(e.store.blobs.path(1, ids[0])); err != nil {
		t.Fatal(err)
	}
	e.chain.Challenge(onchain.Challenge{AgreementID: 1, ChunkIndex: 0, Seed: []byte("next block")})
	_ = p.Step(ctx)
	_ = p.Step(ctx)
	if got := testutil.ToFloat64(e.srv.metrics.missed); got != 1 {
		t.Fatalf("missed metric %v, want 1", got)
	}
	// Metrics are served.
	resp, err := http.Get(e.http.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, m := range []string{"selfchain_backup_holder_bytes_held 15000", "selfchain_backup_holder_challenges_answered_total 1", "selfchain_backup_holder_challenges_missed_total 1"} {
		if !strings.Contains(string(body), m) {
			t.Errorf("metrics lack %q", m)
		}
	}
}

// A new revision that drops chunks gets them deleted, but not chunks
// uploaded for a revision still to come.
func TestCollect(t *testing.T) {
	e := newEnv(t, 1<<30)
	ctx := context.Background()
	c := e.client(signerOf(e.owner))
	for _, id := range []wire.ID{{1}, {2}, {3}} {
		if _, err := c.Put(ctx, id, wire.KindData, randomBytes(100)); err != nil {
			t.Fatal(err)
		}
	}
	r1, _ := c.PutManifest(ctx, []wire.ID{{1}, {2}})
	_ = e.chain.CommitManifest(ctx, onchain.Manifest{AgreementID: 1, Revision: 1, Root: r1, ChunkCount: 2, TotalBytes: 200})
	p := e.srv.NewProver()
	_ = p.Step(ctx)
	r2, _ := c.PutManifest(ctx, []wire.ID{{2}})
	_ = e.chain.CommitManifest(ctx, onchain.Manifest{AgreementID: 1, Revision: 2, Root: r2, ChunkCount: 1, TotalBytes: 100})
	if err := p.Step(ctx); err != nil {
		t.Fatal(err)
	}
	es, _ := e.store.Inventory(1)
	if len(es) != 2 || es[0].ID != (wire.ID{2}) || es[1].ID != (wire.ID{3}) {
		t.Fatalf("inventory after collection: %v", es)
	}
	if used, _ := e.store.Used(1); used != 200 {
		t.Fatalf("used %d, want 200", used)
	}
}

func leafOf(ct []byte) []byte {
	l, _ := backup.ChunkLeafOf(ct)
	return l
}

// An agreement the chain does not know is a 404 naming it, not a 503 (the
// chain answered; there is nothing to retry), and nothing is stored.
func TestUnknownAgreementIs404(t *testing.T) {
	e := newEnv(t, 1<<20)
	c := e.client(signerOf(e.owner))
	c.Agreement = 99
	ct := randomBytes(4096)
	var id wire.ID
	_, err := c.Put(context.Background(), id, wire.KindData, ct)
	if statusOf(err) != http.StatusNotFound || !strings.Contains(err.Error(), "agreement 99 does not exist") {
		t.Fatalf("upload for an unknown agreement: %v, want 404 naming agreement 99", err)
	}
	if !IsNotFound(err) || !IsPermanent(err) {
		t.Fatalf("404 must be not-found and permanent: %v", err)
	}
	if used, err := e.store.TotalUsed(); err != nil || used != 0 {
		t.Fatalf("store used %d bytes (%v) after a refused upload", used, err)
	}
}
