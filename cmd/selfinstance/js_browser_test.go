package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/selfchain/selfchain/testutil"
)

// browserPage loads the SDK's core as a browser app would: the built dist/ as ES
// modules, @noble/* through an import map, nothing from Node.
const browserPage = `<!doctype html><meta charset="utf-8"><title>@selfchain/sdk core</title>
<script type="importmap">{"imports": {
  "@noble/curves/": "/node_modules/@noble/curves/",
  "@noble/hashes/": "/node_modules/@noble/hashes/",
  "@noble/post-quantum/": "/node_modules/@noble/post-quantum/"}}</script>
<script type="module" src="/test/browser/core.js"></script>`

// TestJSSDKInChromium runs the JS SDK's core in headless Chromium: request signing
// checked against the Go SDK's vectors (Ed25519, ML-DSA-65, hybrid), and the light
// client on the CometBFT vectors (every case, with its verdict), backing docs/SDK.md's
// "and browsers". Skips without Chromium or Node.
func TestJSSDKInChromium(t *testing.T) {
	bin := testutil.Chromium()
	if bin == "" {
		t.Skip("no Chromium found (set $CHROME_BIN or run scripts/install-chromium.sh): the JS SDK's browser test needs one")
	}
	needNode(t)
	buildJSSDK(t)
	root, err := filepath.Abs(jsSDK)
	if err != nil {
		t.Fatal(err)
	}
	files := http.FileServer(http.Dir(root))
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(browserPage))
	})
	for _, dir := range []string{"/dist/", "/node_modules/@noble/", "/test/browser/", "/test/fixtures/", "/test/vectors/"} {
		mux.Handle(dir, files)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	bctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancel()
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	start := time.Now()
	ctx, cancelN := context.WithTimeout(bctx, 20*time.Second)
	defer cancelN()
	if err := chromedp.Do(ctx, chromedp.Navigate("http://"+ln.Addr().String()+"/")); err != nil {
		t.Fatal(err)
	}
	var res struct {
		OK    bool     `json:"ok"`
		Log   []string `json:"log"`
		Error string   `json:"error"`
	}
	for {
		ectx, cancelE := context.WithTimeout(bctx, 10*time.Second)
		out, err := chromedp.Run(ectx, chromedp.Evaluate[string](`window.__result ? JSON.stringify(window.__result) : ""`))
		cancelE()
		if err != nil {
			t.Fatal(err)
		}
		if out != "" {
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatal(err)
			}
			break
		}
		if time.Since(start) > 60*time.Second {
			t.Fatal("the page did not finish in 60 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("in Chromium (%s):\n%s", time.Since(start).Round(time.Millisecond), strings.Join(res.Log, "\n"))
	if !res.OK {
		t.Fatalf("the SDK's core failed in Chromium: %s", res.Error)
	}
	if len(res.Log) < 30 {
		t.Fatalf("only %d checks ran", len(res.Log))
	}
}
