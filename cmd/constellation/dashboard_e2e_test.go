package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/selfchain/selfchain/testutil"
)

// screenshotDir is $SCREENSHOT_DIR, else a folder under the temp dir that the
// test keeps (and logs) for a person to look at.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		var err error
		if dir, err = os.MkdirTemp("", "dashboard-screenshots-"); err != nil {
			t.Fatal(err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// TestDashboardInChromium drives Debian's Chromium, headless, against
// `constellation dashboard` serving two live chains (4 validators and 1): both
// are ok on the fleet page; freezing two of the four validators turns that
// chain halted on the page (refreshed live, no reload) with the reason; the
// owner logs in and restarts the two nodes from the chain page, and the chain
// is ok again; both restarts are in the audit log.
func TestDashboardInChromium(t *testing.T) {
	bin := testutil.Chromium()
	if bin == "" {
		t.Skip("no Chromium found (set $CHROME_BIN or run scripts/install-chromium.sh): the dashboard's browser test needs one")
	}
	e := newEnv(t)
	start := time.Now()
	e.c("new", "big", "--validators", "4", "--block-time", "300ms", "--restart-backoff", "500ms", "--log-level", "error")
	e.cleanupDown("big")
	e.c("new", "solo", "--validators", "1", "--block-time", "300ms", "--log-level", "error")
	e.cleanupDown("solo")
	e.c("up", "big")
	e.c("up", "solo")

	addr := fmt.Sprintf("127.0.0.1:%d", testutil.FreePort(t))
	const token = "e2e-token-0123456789abcdef"
	dash := e.background("dashboard", "--listen", addr, "--token", token, "--poll", "1s", "--selfchaind", filepath.Join(binDir, "selfchaind"))
	dash.waitFor(t, func(s string) bool { return strings.Contains(s, "login token: "+token) })
	base := "http://" + addr
	shots := screenshotDir(t)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.WindowSize(1280, 1000))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	bctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	defer cancel()
	// The first Do starts the browser under a context without a deadline (one
	// would stop the browser); later steps each get their own.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	do := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v\ndashboard output:\n%s", what, err, dash.out.String())
		}
	}
	eval := func(what, js string) bool {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 10*time.Second)
		defer cancel()
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return ok
	}
	// waitJS polls a JavaScript condition in the open page (which refreshes itself).
	waitJS := func(what, cond string, d time.Duration) time.Duration {
		t.Helper()
		began := time.Now()
		for !eval(what, cond) {
			if time.Since(began) > d {
				text, _ := chromedp.Run(bctx, chromedp.Evaluate[string](`(document.getElementById("live") || document.body).innerText`))
				t.Fatalf("%s: not within %s; the page shows:\n%s", what, d, text)
			}
			time.Sleep(200 * time.Millisecond)
		}
		return time.Since(began)
	}
	verdict := func(chain string) string {
		return fmt.Sprintf(`(document.querySelector('tr.chain-row[data-chain=%q]') || {dataset: {}}).dataset.verdict`, chain)
	}
	shot := func(name string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 20*time.Second)
		defer cancel()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(shots, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// 1. The fleet: both chains ok.
	do("open the fleet", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`table.fleet`)))
	waitJS("both chains ok", verdict("big")+` === "ok" && `+verdict("solo")+` === "ok"`, 30*time.Second)
	shot("fleet-ok.png")

	// 2. Freeze node3 and node4 of big: half its power is gone, blocks stop.
	st := e.status("big")
	frozen := st.Nodes[2:]
	thaw := func() {
		for _, n := range frozen {
			_ = syscall.Kill(n.PID, syscall.SIGCONT)
		}
	}
	t.Cleanup(thaw)
	for _, n := range frozen {
		if err := syscall.Kill(n.PID, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
	}
	took := waitJS("big halted, with the reason, without a reload",
		verdict("big")+` === "halted" && `+verdict("solo")+` === "ok" && (document.querySelector('tr.reasons[data-chain="big"]') || {innerText: ""}).innerText.includes("no block for")`, 30*time.Second)
	t.Logf("the fleet page showed big halted %s after two validators froze", took.Round(100*time.Millisecond))
	shot("fleet-halted.png")

	// 3. Read-only without the token: the chain page has no action buttons.
	do("open big", chromedp.Navigate(base+"/chains/big"), chromedp.WaitVisible(chromedp.CSS(`section.summary`)))
	if eval("count buttons", `document.querySelectorAll("button.action").length > 0`) {
		t.Fatal("action buttons shown without the token")
	}
	shot("chain-halted.png")

	// 4. Log in and restart node3 and node4 from the chain page.
	do("log in", chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID(`token`)),
		chromedp.SendKeys(chromedp.ID(`token`), token), chromedp.Click(chromedp.ID(`login`)), chromedp.WaitVisible(chromedp.CSS(`table.fleet`)))
	for _, n := range []string{"node3", "node4"} {
		button := chromedp.CSS(fmt.Sprintf(`button[data-action="restart"][data-node=%q]`, n))
		do("restart "+n, chromedp.Navigate(base+"/chains/big"), chromedp.WaitVisible(button), chromedp.Click(button), chromedp.WaitVisible(chromedp.ID(`result`)))
		result, err := chromedp.Run(bctx, chromedp.Text(chromedp.ID(`result`)))
		if err != nil || !strings.Contains(result, n+" stopped") {
			t.Fatalf("restart %s: %q (%v)", n, result, err)
		}
	}
	do("open big", chromedp.Navigate(base+"/chains/big"), chromedp.WaitVisible(chromedp.CSS(`section.summary`)))
	took = waitJS("big ok after the restarts", `document.querySelector("section.summary").dataset.verdict === "ok"`, 45*time.Second)
	t.Logf("big was ok %s after the restarts", took.Round(100*time.Millisecond))
	shot("chain-ok.png")
	do("open a validator", chromedp.Navigate(base+"/chains/big/validators/node3"), chromedp.WaitVisible(chromedp.CSS(`table.kv`)))
	if !eval("validator page", `document.body.innerText.includes("Reputation by epoch") && document.body.innerText.includes("bonded")`) {
		t.Fatal("the validator page lacks its x/poai data")
	}
	shot("validator.png")
	do("open a node", chromedp.Navigate(base+"/chains/big/nodes/node3?lines=20"), chromedp.WaitVisible(chromedp.CSS(`pre.log`)))
	shot("node.png")
	do("open the fleet", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`table.fleet`)))
	waitJS("both ok on the fleet", verdict("big")+` === "ok" && `+verdict("solo")+` === "ok"`, 10*time.Second)
	shot("fleet-ok-again.png")

	// 5. Stop and start solo through the API (a script's way: the bearer token);
	// the open fleet page follows.
	post := func(path string) string {
		t.Helper()
		req, _ := http.NewRequest("POST", base+path, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		bz, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("POST %s: %d %s", path, resp.StatusCode, bz)
		}
		return string(bz)
	}
	if out := post("/chains/solo/actions/stop"); !strings.Contains(out, "stopped") {
		t.Fatalf("stop solo: %s", out)
	}
	waitJS("solo halted, not running", verdict("solo")+` === "halted" && document.querySelector('tr.reasons[data-chain="solo"]').innerText.includes("constellation up solo")`, 15*time.Second)
	if out := post("/chains/solo/actions/start"); !strings.Contains(out, "up at height") {
		t.Fatalf("start solo: %s", out)
	}
	waitJS("solo ok again", verdict("solo")+` === "ok"`, 20*time.Second)

	audit, err := os.ReadFile(filepath.Join(e.home, ".dashboard", "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"action":"restart","node":"node3","result":"ok"`, `"action":"restart","node":"node4","result":"ok"`,
		`"chain":"solo","action":"stop","result":"ok"`, `"chain":"solo","action":"start","result":"ok"`} {
		if !strings.Contains(string(audit), want) {
			t.Fatalf("audit log lacks %s:\n%s", want, audit)
		}
	}
	after := e.status("big")
	for i, n := range after.Nodes[2:] {
		if n.PID == frozen[i].PID || n.Restarts < 1 {
			t.Fatalf("%s was not restarted: pid %d (was %d), restarts %d", n.Name, n.PID, frozen[i].PID, n.Restarts)
		}
	}
	t.Logf("whole test: %s", time.Since(start).Round(time.Second))
}
