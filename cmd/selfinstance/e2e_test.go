package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/instance/wire"
	"github.com/selfchain/selfchain/sdk"
	"github.com/selfchain/selfchain/testutil"
)

// proc is a started binary, killed at cleanup.
type proc struct {
	cmd    *exec.Cmd
	logs   *testutil.SyncBuffer
	exited chan struct{}
}

func startProc(t *testing.T, name string, env []string, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), logs: &testutil.SyncBuffer{}, exited: make(chan struct{})}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("%s log:\n%s", name, p.logs.String())
		}
	})
	return p
}

func run(t *testing.T, env []string, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s\n%s", filepath.Base(bin), strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String()
}

func waitUntil(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// fakeLLM is a small OpenAI-compatible server standing in for the model.
func fakeLLM(t *testing.T) *httptest.Server {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		var req struct {
			Model    string `json:"model"`
			Stream   bool   `json:"stream"`
			Messages []struct{ Role, Content string }
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Model != "test-model" {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		reply := fmt.Sprintf("model-reply-%d-messages", len(req.Messages))
		if !req.Stream {
			fmt.Fprintf(w, `{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":%q}}]}`, reply)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		for _, piece := range []string{"Hello", " from", " " + reply} {
			fmt.Fprintf(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":%q}}]}\n\n", piece)
			w.(http.Flusher).Flush()
			time.Sleep(20 * time.Millisecond)
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	}))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

func code(err error) string {
	var e *sdk.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return fmt.Sprintf("not an sdk error: %v", err)
}

// TestInstanceEndToEnd runs a real single-validator chain, the selfinstance
// binary and a model stand-in, and drives the whole flow through the Go SDK:
// pending request, approve (a real MsgGrant), storage, chat streaming, the attacks,
// revoke effective within a block, and no plaintext at rest.
func TestInstanceEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and runs a chain")
	}
	const chainID = "selfchain-inst-1"
	tb := newTestbed(t, chainID, "alice", "bob", "dev")
	dir, instBin, chainHome, node, cl := tb.dir, tb.instBin, tb.chainHome, tb.node, tb.cl
	sc := func(args ...string) string { return tb.sc(t, args...) }
	sc("keys", "add", "notes-key", "--no-backup") // hybrid (ML-DSA-65 + Ed25519) app key
	sc("keys", "add", "reader-key", "--key-type", "ed25519", "--no-backup")
	sc("keys", "add", "stranger-key", "--key-type", "ed25519", "--no-backup")
	ctx := context.Background()
	sc("tx", "permissions", "register-app", "dev", "notes", "--name", "Notes", "--pubkey", "notes-key",
		"--scopes", "ai:chat,ai:context,storage:read,storage:write,storage:delete", "--wait", "--yes")
	sc("tx", "permissions", "register-app", "dev", "reader", "--name", "Reader", "--pubkey", "reader-key",
		"--scopes", "storage:read,storage:write,storage:read-shared:notes", "--wait", "--yes")

	// The instance: alice's, with her key in the chain's (test) keyring.
	llm := fakeLLM(t)
	home := filepath.Join(dir, "instance")
	port := testutil.FreePort(t)
	inst := func(args ...string) string { return run(t, nil, instBin, append(args, "--home", home)...) }
	gw := tb.startInstance(t, home, port, llm.URL, "--rate", "20", "--burst", "60", "--heartbeat-blocks", "1")
	if !strings.Contains(gw.logs.String(), "registered 127.0.0.1:") {
		t.Fatalf("start did not register the instance: %s", gw.logs.String())
	}
	// Heartbeats (every block here, so one is nearly always in the mempool) are
	// signed with the node's own key: alice's own txs from the CLI meanwhile
	// never meet an account sequence mismatch.
	const byNode = "signed with the node's own key"
	waitUntil(t, "a heartbeat signed with the node's key", 30*time.Second, func() bool { return strings.Contains(gw.logs.String(), byNode) })
	// Alice sends (each tx must succeed: sc fails the test otherwise) until two
	// heartbeats went out meanwhile; how many blocks that takes depends on the
	// machine's load, so the count of txs is bounded, not fixed.
	before := strings.Count(gw.logs.String(), byNode)
	sent := 0
	for ; sent < 15 && (sent < 3 || strings.Count(gw.logs.String(), byNode)-before < 2); sent++ {
		sc("tx", "bank", "send", "alice", "dev", "1uself", "--wait", "--yes")
	}
	if n := strings.Count(gw.logs.String(), byNode) - before; n < 2 || strings.Contains(gw.logs.String(), "owner's key") {
		t.Fatalf("%d heartbeats by the node's key during alice's %d txs:\n%s", n, sent, gw.logs.String())
	}

	kr, err := keyring.New(keyring.BackendTest, chainHome, nil)
	if err != nil {
		t.Fatal(err)
	}
	signer := func(name string) *client.KeyringSigner {
		s, err := client.NewKeyringSigner(kr, name)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	alice, _ := kr.Get("alice")
	cfg, err := sdk.Discover(ctx, node, alice.Address.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := sdk.New(cfg)
	if err != nil {
		t.Fatal(err)
	}

	// 1. No grant: the request is recorded, pending; nothing else happens.
	scopes := []string{"ai:chat", "ai:context", "storage:read", "storage:write"}
	_, err = c.Authenticate(ctx, "notes", signer("notes-key"), scopes)
	var se *sdk.Error
	if !errors.As(err, &se) || se.Code != wire.CodePending || se.RequestID == 0 {
		t.Fatalf("authenticate without a grant: %v", err)
	}
	var reqs []struct {
		ID     uint64   `json:"id"`
		App    string   `json:"app"`
		Scopes []string `json:"scopes"`
	}
	if err := json.Unmarshal([]byte(inst("requests", "--json")), &reqs); err != nil || len(reqs) != 1 || reqs[0].App != "notes" || reqs[0].ID != se.RequestID {
		t.Fatalf("requests: %+v (%v)", reqs, err)
	}
	// 2. The user approves: a real MsgGrant on chain.
	if out := inst("approve", strconv.FormatUint(se.RequestID, 10)); !strings.Contains(out, "MsgGrant tx") {
		t.Fatalf("approve: %s", out)
	}
	if out := sc("query", "permissions", "grant", alice.Address.String(), "notes"); !strings.Contains(out, "storage:write") {
		t.Fatalf("grant on chain: %s", out)
	}
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	sess, err := c.AuthenticateWait(wctx, "notes", signer("notes-key"), scopes, 200*time.Millisecond, nil)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	// The retries while the grant's block was being proven made no second request.
	if err := json.Unmarshal([]byte(inst("requests", "--all", "--json")), &reqs); err != nil || len(reqs) != 1 || reqs[0].ID != se.RequestID {
		t.Fatalf("requests after approval: %+v (%v)", reqs, err)
	}

	// 3. Storage: save, versions, get, list with pagination, delete.
	secret := []byte("secret-value-xyz: alice's notes")
	if v, err := sess.Storage.Save(ctx, "notes/a", secret); err != nil || v != 1 {
		t.Fatalf("save: %d %v", v, err)
	}
	if v, err := sess.Storage.Save(ctx, "notes/a", []byte("secret-value-xyz v2")); err != nil || v != 2 {
		t.Fatalf("save v2: %d %v", v, err)
	}
	for _, k := range []string{"notes/b", "notes/c", "todo"} {
		if _, err := sess.Storage.Save(ctx, k, []byte("secret-value-xyz "+k)); err != nil {
			t.Fatal(err)
		}
	}
	if got, v, err := sess.Storage.Get(ctx, "notes/a"); err != nil || v != 2 || string(got) != "secret-value-xyz v2" {
		t.Fatalf("get: %q %d %v", got, v, err)
	}
	if got, _, err := sess.Storage.GetVersion(ctx, "notes/a", 1); err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("get v1: %q %v", got, err)
	}
	p1, err := sess.Storage.List(ctx, "notes/", "", 2)
	if err != nil || len(p1.Items) != 2 || p1.NextCursor == "" {
		t.Fatalf("list page 1: %+v %v", p1, err)
	}
	p2, err := sess.Storage.List(ctx, "notes/", p1.NextCursor, 2)
	if err != nil || len(p2.Items) != 1 || p2.Items[0].Key != "notes/c" || p2.NextCursor != "" {
		t.Fatalf("list page 2: %+v %v", p2, err)
	}
	if err := sess.Storage.Delete(ctx, "todo"); code(err) != wire.CodeForbidden {
		t.Fatalf("delete without storage:delete: %v", err)
	}

	// 4. Chat: plain, streamed chunk by chunk, with a stored context.
	msg := wire.ChatRequest{Messages: []wire.ChatMessage{{Role: "user", Content: "Help me plan my day"}}, Context: "productivity"}
	if ans, err := sess.AI.Chat(ctx, msg); err != nil || ans != "model-reply-1-messages" {
		t.Fatalf("chat: %q %v", ans, err)
	}
	var pieces []string
	for piece, err := range sess.AI.Stream(ctx, msg) {
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		pieces = append(pieces, piece)
	}
	// The stored context (question + answer of the first call) went to the model too.
	if len(pieces) != 3 || pieces[2] != " model-reply-3-messages" {
		t.Fatalf("stream pieces: %q", pieces)
	}

	// 5. Attacks, each refused with its code and nothing stored.
	// A key not registered for the app.
	if _, err := c.Authenticate(ctx, "notes", signer("stranger-key"), scopes); code(err) != wire.CodeUnknownKey {
		t.Fatalf("unregistered key: %v", err)
	}
	// An app with storage:read only, writing; and reading another app's namespace.
	if _, err := c.Authenticate(ctx, "reader", signer("reader-key"), []string{"storage:read"}); code(err) != wire.CodePending {
		t.Fatalf("reader: %v", err)
	}
	inst("approve", strconv.FormatUint(lastRequest(t, inst), 10))
	wctx, cancel = context.WithTimeout(ctx, 20*time.Second)
	rsess, err := c.AuthenticateWait(wctx, "reader", signer("reader-key"), []string{"storage:read"}, 200*time.Millisecond, nil)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if out := inst("apps"); !strings.Contains(out, "reader") || !strings.Contains(out, "notes") {
		t.Fatalf("apps: %s", out)
	}
	if _, err := rsess.Storage.Save(ctx, "x", []byte("secret-value-xyz by reader")); code(err) != wire.CodeForbidden {
		t.Fatalf("storage:read app writing: %v", err)
	}
	if _, _, err := rsess.Storage.Get(ctx, "x"); code(err) != wire.CodeNotFound {
		t.Fatalf("the refused write stored something: %v", err)
	}
	if _, _, err := rsess.Storage.Get(ctx, "notes/a"); code(err) != wire.CodeNotFound {
		t.Fatalf("app reader read notes' namespace: %v", err)
	}
	// Cross-app sharing: reader reads notes' notes/ once alice grants it
	// storage:read-shared:notes/notes/ — and nothing outside that prefix, and
	// never writes there.
	shared := rsess.Storage.Shared("notes")
	if v, _, err := shared.Get(ctx, "notes/a"); code(err) != wire.CodeForbidden || v != nil {
		t.Fatalf("shared read before the grant: %q %v", v, err)
	}
	shareScopes := []string{"storage:read", "storage:read-shared:notes/notes/"}
	if _, err := c.Authenticate(ctx, "reader", signer("reader-key"), shareScopes); code(err) != wire.CodePending {
		t.Fatalf("reader asking for notes' notes/: %v", err)
	}
	inst("approve", strconv.FormatUint(lastRequest(t, inst), 10))
	wctx, cancel = context.WithTimeout(ctx, 20*time.Second)
	shsess, err := c.AuthenticateWait(wctx, "reader", signer("reader-key"), shareScopes, 200*time.Millisecond, nil)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	shared = shsess.Storage.Shared("notes")
	if v, ver, err := shared.Get(ctx, "notes/a"); err != nil || ver != 2 || string(v) != "secret-value-xyz v2" {
		t.Fatalf("shared read of notes/a: %q v%d %v", v, ver, err)
	}
	if l, err := shared.List(ctx, "notes/", "", 10); err != nil || len(l.Items) != 3 || l.Items[0].Key != "notes/a" {
		t.Fatalf("shared list of notes/: %+v %v", l, err)
	}
	if v, _, err := shared.Get(ctx, "todo"); code(err) != wire.CodeForbidden || v != nil {
		t.Fatalf("shared read outside the granted prefix: %q %v", v, err)
	}
	for _, m := range []string{http.MethodPut, http.MethodDelete} {
		req, err := shsess.NewRequest(ctx, m, wire.PathStorage+"notes/a?app=notes", []byte("secret-value-xyz by reader"))
		if err != nil {
			t.Fatal(err)
		}
		if res, err := c.Do(req); err != nil || code(sdk.DecodeError(res)) != wire.CodeSharedReadOnly {
			t.Fatalf("%s in notes' namespace: %v", m, err)
		}
	}
	if v, ver, err := sess.Storage.Get(ctx, "notes/a"); err != nil || ver != 2 || string(v) != "secret-value-xyz v2" {
		t.Fatalf("notes/a after reader's refused writes: %q v%d %v", v, ver, err)
	}
	// A replayed signed request.
	req, err := sess.NewRequest(ctx, http.MethodPut, wire.PathStorage+"replayed", []byte("secret-value-xyz replay"))
	if err != nil {
		t.Fatal(err)
	}
	replay := req.Clone(ctx)
	replay.Body, _ = req.GetBody()
	if res, err := c.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("first send: %v %v", res, err)
	}
	if res, err := c.Do(replay); err != nil || code(sdk.DecodeError(res)) != wire.CodeReplay {
		t.Fatalf("replay: %v", err)
	}
	if got, v, err := sess.Storage.Get(ctx, "replayed"); err != nil || v != 1 || len(got) == 0 {
		t.Fatalf("replayed value: version %d %v (want exactly one version)", v, err)
	}
	// A stolen session token, used with another key's signature.
	stolen := rawRequest(t, c, sess.ID(), signer("stranger-key"), http.MethodPut, wire.PathStorage+"stolen", []byte("secret-value-xyz stolen"))
	if res, err := c.Do(stolen); err != nil || code(sdk.DecodeError(res)) != wire.CodeBadSignature {
		t.Fatalf("stolen token: %v", err)
	}
	if _, _, err := sess.Storage.Get(ctx, "stolen"); code(err) != wire.CodeNotFound {
		t.Fatalf("the stolen-token write stored something: %v", err)
	}
	// Path tricks.
	for _, k := range []string{"../x", "notes/../todo", "%2e%2e/x", "notes//a", "Notes/a", "notes/a/", "a%2fb", "./a", "a\\b"} {
		if _, err := sess.Storage.Save(ctx, k, []byte("secret-value-xyz trick")); code(err) != wire.CodeBadKey {
			t.Errorf("key %q: %v", k, err)
		}
	}
	// An oversized value.
	if _, err := sess.Storage.Save(ctx, "big", bytes.Repeat([]byte("z"), 5000)); code(err) != wire.CodeTooLarge {
		t.Fatalf("oversized: %v", err)
	}
	if _, _, err := sess.Storage.Get(ctx, "big"); code(err) != wire.CodeNotFound {
		t.Fatalf("the oversized value was stored: %v", err)
	}
	// A flood over the rate limit: some refused with rate_limited, none stored.
	limited := 0
	for i := range 120 {
		_, err := sess.Storage.Save(ctx, fmt.Sprintf("flood/%d", i), []byte("f"))
		if code(err) == wire.CodeRateLimited {
			limited++
		} else if err != nil {
			t.Fatalf("flood %d: %v", i, err)
		}
	}
	if limited == 0 {
		t.Fatal("120 requests at once were not rate limited")
	}
	time.Sleep(3 * time.Second) // refill
	if l, err := sess.Storage.List(ctx, "flood/", "", 1000); err != nil || len(l.Items) != 120-limited {
		t.Fatalf("flood stored %d keys, %d were refused: %v", len(l.Items), limited, err)
	}

	// 6. Revoke: the next request after the revoking block is denied.
	revokeOut := inst("revoke", "notes")
	revoked := time.Now()
	if !strings.Contains(revokeOut, "revoked notes") {
		t.Fatalf("revoke: %s", revokeOut)
	}
	waitUntil(t, "the revoke at the gateway", 10*time.Second, func() bool {
		_, _, err := sess.Storage.Get(ctx, "notes/a")
		return code(err) == wire.CodeForbidden
	})
	t.Logf("revoke effective at the gateway %s after the tx was committed", time.Since(revoked).Round(time.Millisecond))
	if time.Since(revoked) > 3*time.Second { // blocks are ~0.3 s apart
		t.Fatalf("revoke took %s to take effect", time.Since(revoked))
	}

	// The kill switch, a suspended app and an expired grant deny reader, each with
	// x/permissions' decision, as soon as the gateway has proven the block.
	denied := func(what, decision string) {
		t.Helper()
		waitUntil(t, what, 10*time.Second, func() bool {
			_, _, err := rsess.Storage.Get(ctx, "x")
			var e *sdk.Error
			return errors.As(err, &e) && e.Code == wire.CodeForbidden && e.Decision == decision
		})
	}
	readable := func(what string) {
		t.Helper()
		waitUntil(t, what, 10*time.Second, func() bool {
			_, _, err := rsess.Storage.Get(ctx, "x")
			return code(err) == wire.CodeNotFound // allowed, nothing stored
		})
	}
	readable("reader allowed")
	sc("tx", "permissions", "kill-switch", "alice", "on", "--wait", "--yes")
	denied("the kill switch", "DECISION_KILL_SWITCH")
	sc("tx", "permissions", "kill-switch", "alice", "off", "--wait", "--yes")
	readable("the kill switch off")
	sc("tx", "permissions", "suspend-app", "dev", "reader", "--reason", "test", "--wait", "--yes")
	denied("the suspension", "DECISION_APP_SUSPENDED")
	sc("tx", "permissions", "suspend-app", "dev", "reader", "--lift", "--wait", "--yes")
	readable("the suspension lifted")
	st, err := cl.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sc("tx", "permissions", "grant", "alice", "reader", "storage:read", "--expiry-height", strconv.FormatInt(st.SyncInfo.LatestBlockHeight+4, 10), "--wait", "--yes")
	denied("the grant's expiry", "DECISION_EXPIRED")

	// 7. Audit: allowed and denied decisions of notes are listed.
	// Reader's reads in notes' namespace are listed with notes' own entries.
	var audit []struct{ App, Namespace, Result, Scope string }
	if err := json.Unmarshal([]byte(inst("audit", "--app", "notes", "--json")), &audit); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, e := range audit {
		switch {
		case e.App == "notes" && e.Namespace == "":
			seen[e.Result] = true
		case e.App == "reader" && e.Namespace == "notes":
			seen["reader:"+e.Result] = true
		default:
			t.Fatalf("audit --app notes lists %s in namespace %q", e.App, e.Namespace)
		}
	}
	for _, want := range []string{"reader:allowed", "reader:" + wire.CodeForbidden, "reader:" + wire.CodeSharedReadOnly} {
		if !seen[want] {
			t.Errorf("audit has no %q entry of reader in notes' namespace: %v", want, seen)
		}
	}
	for _, want := range []string{"allowed", wire.CodePending, wire.CodeForbidden, wire.CodeReplay, wire.CodeBadKey, wire.CodeRateLimited} {
		if !seen[want] {
			t.Errorf("audit has no %q entry: %v", want, seen)
		}
	}

	// 8. Bob's instance (enterprise tier, a tiny quota): alice's session and
	// alice's signed requests are worthless there; the quota is enforced.
	bobHome := filepath.Join(dir, "bob")
	bobPort := testutil.FreePort(t)
	bobInst := func(args ...string) string { return run(t, nil, instBin, append(args, "--home", bobHome)...) }
	bobInst("init", "--owner", "bob", "--tier", "enterprise", "--quota-bytes", "6000", "--node", node,
		"--listen", fmt.Sprintf("127.0.0.1:%d", bobPort), "--keyring-dir", chainHome, "--keyring-backend", "test", "--tls-key", "bob-tls")
	sc("tx", "registry", "register-node", "bob", "--node-key", "bob-tls", "--endpoint", fmt.Sprintf("127.0.0.1:%d", bobPort),
		"--region", "local", "--wait", "--yes")
	bgw := startProc(t, "bob's selfinstance", nil, instBin, "start", "--home", bobHome)
	waitUntil(t, "bob's gateway", 30*time.Second, func() bool { return strings.Contains(bgw.logs.String(), "serving https://") })
	bobAddr, _ := kr.Get("bob")
	bcfg, err := sdk.Discover(ctx, node, bobAddr.Address.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	bc, err := sdk.New(bcfg)
	if err != nil {
		t.Fatal(err)
	}
	if bcfg.URL == cfg.URL {
		t.Fatal("bob's instance resolved to alice's")
	}
	// Alice's session used against bob's instance.
	aliceReq, err := rsess.NewRequest(ctx, http.MethodGet, wire.PathStorage+"x", nil)
	if err != nil {
		t.Fatal(err)
	}
	aliceReq.URL.Host = strings.TrimPrefix(bcfg.URL, "https://")
	if res, err := bc.Do(aliceReq); err != nil || code(sdk.DecodeError(res)) != wire.CodeBadSession {
		t.Fatalf("alice's session at bob's: %v", err)
	}
	// The app authenticates at bob's, bob approves, and fills the quota.
	if _, err := bc.Authenticate(ctx, "reader", signer("reader-key"), []string{"storage:write"}); code(err) != wire.CodePending {
		t.Fatalf("reader at bob's: %v", err)
	}
	bobInst("approve", strconv.FormatUint(lastRequest(t, bobInst), 10))
	wctx, cancel = context.WithTimeout(ctx, 20*time.Second)
	bsess, err := bc.AuthenticateWait(wctx, "reader", signer("reader-key"), []string{"storage:write"}, 200*time.Millisecond, nil)
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	var quotaErr error
	saved := 0
	for i := range 10 {
		if _, quotaErr = bsess.Storage.Save(ctx, fmt.Sprintf("q/%d", i), bytes.Repeat([]byte("s"), 1000)); quotaErr != nil {
			break
		}
		saved++
	}
	if !errors.Is(quotaErr, sdk.ErrQuotaExceeded) || saved == 0 {
		t.Fatalf("after %d values: %v", saved, quotaErr)
	}
	t.Logf("bob's 6000-byte quota held %d sealed 1000-byte values: %v", saved, quotaErr)

	// A clean restart: sessions continue (and the quota's usage with them); the
	// light client continues from its stored headers.
	_ = bgw.cmd.Process.Signal(os.Interrupt)
	select {
	case <-bgw.exited:
	case <-time.After(20 * time.Second):
		t.Fatal("bob's gateway did not stop on SIGINT")
	}
	bgw = startProc(t, "bob's selfinstance (restarted)", nil, instBin, "start", "--home", bobHome)
	waitUntil(t, "bob's gateway restarted", 30*time.Second, func() bool { return strings.Contains(bgw.logs.String(), "serving https://") })
	if _, err := bsess.Storage.Save(ctx, "after-restart", bytes.Repeat([]byte("s"), 1000)); !errors.Is(err, sdk.ErrQuotaExceeded) {
		t.Fatalf("a session from before a clean restart, over quota: %v", err)
	}
	if _, err := bsess.Storage.Save(ctx, "after-restart", []byte("x")); err != nil {
		t.Fatalf("a session from before a clean restart: %v", err)
	}
	// A crash (kill -9) ends the sessions: their replay windows were not saved.
	_ = bgw.cmd.Process.Kill()
	<-bgw.exited
	bgw = startProc(t, "bob's selfinstance (after a crash)", nil, instBin, "start", "--home", bobHome)
	waitUntil(t, "bob's gateway started after a crash", 30*time.Second, func() bool { return strings.Contains(bgw.logs.String(), "serving https://") })
	if _, err := bsess.Storage.Save(ctx, "after-crash", []byte("x")); code(err) != wire.CodeBadSession {
		t.Fatalf("a session from before a crash: %v", err)
	}
	bsess, err = bc.Authenticate(ctx, "reader", signer("reader-key"), []string{"storage:write"})
	if err != nil {
		t.Fatalf("authenticate after the restart: %v", err)
	}
	// Rotating the app's key ends the sessions of the old one within a block.
	sc("tx", "permissions", "rotate-app-key", "dev", "reader", "--pubkey", "stranger-key", "--wait", "--yes")
	waitUntil(t, "the key rotation at the gateway", 10*time.Second, func() bool {
		_, err := bsess.Storage.Save(ctx, "q/rotated", []byte("x"))
		return code(err) == wire.CodeUnknownKey
	})

	// 9. At rest: no stored value or chat text appears in the database files.
	files, _ := filepath.Glob(filepath.Join(home, "instance.db*"))
	if len(files) == 0 {
		t.Fatal("no database files")
	}
	for _, f := range files {
		bz, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, plain := range []string{"secret-value-xyz", "plan my day", "model-reply"} {
			if bytes.Contains(bz, []byte(plain)) {
				t.Errorf("%s holds %q in plaintext", filepath.Base(f), plain)
			}
		}
	}
}

func lastRequest(t *testing.T, inst func(...string) string) uint64 {
	t.Helper()
	var reqs []struct{ ID uint64 }
	if err := json.Unmarshal([]byte(inst("requests", "--json")), &reqs); err != nil || len(reqs) == 0 {
		t.Fatalf("no pending request: %v", err)
	}
	return reqs[len(reqs)-1].ID
}

// rawRequest signs a session request with key, whatever key the session belongs to.
func rawRequest(t *testing.T, c *sdk.Client, token string, key sdk.Signer, method, path string, body []byte) *http.Request {
	t.Helper()
	ts := time.Now().Unix()
	sig, err := key.Sign(wire.SignBytes(c.Owner(), wire.SessionNonce(token, 1000), method, path, body, ts))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(method, c.URL()+path, bytes.NewReader(body))
	req.Header.Set(wire.HeaderSession, wire.SessionScheme+token)
	req.Header.Set(wire.HeaderSeq, "1000")
	req.Header.Set(wire.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(wire.HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	return req
}
