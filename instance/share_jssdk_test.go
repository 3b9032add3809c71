package instance

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// jsSDKDir is the TypeScript SDK (npm @selfchain/sdk), relative to this package.
const jsSDKDir = "../sdk/js"

// buildJSSDKOnce compiles the JS SDK (npm ci first when node_modules is missing);
// it skips when Node 20+ and npm are not installed (scripts/install-node.sh).
func buildJSSDKOnce(t *testing.T) string {
	t.Helper()
	for _, tool := range []string{"node", "npm", "npx"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed: run scripts/install-node.sh (Node 20+ and npm) to test the JS SDK", tool)
		}
	}
	dir, err := filepath.Abs(jsSDKDir)
	if err != nil {
		t.Fatal(err)
	}
	run := func(name string, args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@noble")); err != nil {
		run("npm", "ci", "--no-audit", "--no-fund")
	}
	run("npx", "tsc", "-p", "tsconfig.json")
	return dir
}

// jsSharedScript is what an app developer writes: authenticate with the share,
// read and list diary's notes/, and meet each refusal as a typed error.
const jsSharedScript = `
import { SELFClient, SELFError } from '@SDK@';
const c = new SELFClient({ appId: 'reader', appKey: { type: 'ed25519', seed: process.env.SEED }, instanceUrl: process.env.URL, tlsKey: process.env.TLS });
const code = async (p) => { try { await p; return 'ok'; } catch (e) { if (!(e instanceof SELFError)) throw e; return e.code + (e.decision ? '/' + e.decision : ''); } };
const auth = await c.authenticate({ permissions: ['storage:read-shared:diary/notes/'] });
const sh = auth.storage.shared('diary');
const v = await sh.get('notes/a');
const keys = [];
for await (const it of sh.listAll({ prefix: 'notes/', pageSize: 1 })) keys.push(it.key);
const out = {
  value: v.text(), version: v.version, keys,
  secrets: await code(sh.get('secrets/x')),
  wholeList: await code(sh.list()),
  write: await code(auth.request('PUT', '/v1/storage/notes/a?app=diary', new TextEncoder().encode('x'))),
  own: await code(auth.storage.get('notes/a')),
};
console.log(JSON.stringify(out));
`

// TestJSSharedRead: the JS SDK's storage.shared against the real gateway — the
// signed ?app= query, the namespace check, the typed refusals.
func TestJSSharedRead(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the JS SDK and runs node")
	}
	dir := buildJSSDKOnce(t)
	b := newShareBed(t, "storage:read-shared:diary/notes/")
	script := filepath.Join(t.TempDir(), "shared.mjs")
	sdkEntry := filepath.ToSlash(filepath.Join(dir, "dist", "node.js"))
	if err := os.WriteFile(script, []byte(strings.ReplaceAll(jsSharedScript, "@SDK@", sdkEntry)), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", script)
	cmd.Env = append(os.Environ(), "SEED="+hex.EncodeToString(readerJSSeed), "URL="+b.c.URL(), "TLS="+hex.EncodeToString(b.tlsKey))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, out)
	}
	var got struct {
		Value, Secrets, WholeList, Write, Own string
		Version                               int
		Keys                                  []string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if got.Value != "diary's notes/a" || got.Version != 1 || strings.Join(got.Keys, " ") != "notes/a notes/b" {
		t.Errorf("shared read and list: %+v", got)
	}
	if got.Secrets != "forbidden/DECISION_SCOPE_NOT_GRANTED" || got.WholeList != "forbidden/DECISION_SCOPE_NOT_GRANTED" {
		t.Errorf("refused reads: %+v", got)
	}
	if got.Write != "shared_read_only" || got.Own != "not_found" {
		t.Errorf("write and own read: %+v", got)
	}
	if v, ver, err := b.diary.Storage.Get(context.Background(), "notes/a"); err != nil || string(v) != "diary's notes/a" || ver != 1 {
		t.Fatalf("diary's value: %q v%d %v", v, ver, err)
	}
}
