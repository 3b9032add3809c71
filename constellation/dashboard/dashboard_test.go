package dashboard

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/constellation"
	"github.com/selfchain/selfchain/constellation/relayer"
	"github.com/selfchain/selfchain/testutil"
)

const testToken = "0123456789abcdef0123456789abcdef"

// newTestServer is a dashboard over a home with one real chain, made by
// constellation.Create and not started (no node answers: polls are quick).
func newTestServer(t *testing.T) (*Server, *constellation.Chain) {
	t.Helper()
	home := t.TempDir()
	spec := &constellation.Spec{
		Name: "acme", Validators: 2, Bech32Prefix: "acme",
		BlockTime: constellation.Duration{Duration: 300 * time.Millisecond},
		Token: constellation.TokenSpec{Denom: "uacme", DisplayName: "ACME", Decimals: 6, Supply: "1000000000",
			Accounts: []constellation.Account{{Name: "alice", Amount: "1000000"}}},
	}
	c, err := constellation.Create(home, spec)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(c.Dir, "logs"), 0o755))
	require.NoError(t, os.WriteFile(c.LogFile("node1"), []byte("line one\nline two\n"), 0o644))
	s, err := New(Options{Home: home, Token: testToken, Poll: time.Second, Logf: t.Logf})
	require.NoError(t, err)
	s.Poll(context.Background())
	return s, c
}

// do serves one request in-process (a panic fails the test).
func do(s *Server, method, target string, hdr map[string]string, body string) *httptest.ResponseRecorder {
	var r *http.Request
	if body != "" {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, r)
	return w
}

func TestPagesShowARealChain(t *testing.T) {
	s, _ := newTestServer(t)
	w := do(s, "GET", "/", nil, "")
	require.Equal(t, 200, w.Code)
	body := w.Body.String()
	require.Contains(t, body, `data-chain="acme" data-verdict="halted"`)
	// The verdict's reason, in the same words `constellation status` uses.
	require.Contains(t, body, "the chain is not running: start it with `constellation up acme`")
	require.Contains(t, body, `src="/static/live.js"`)

	w = do(s, "GET", "/?fragment=1", nil, "")
	require.Equal(t, 200, w.Code)
	require.NotContains(t, w.Body.String(), "<html")
	require.Contains(t, w.Body.String(), `data-chain="acme"`)

	for _, p := range []string{"/chains/acme", "/chains/acme?fragment=1", "/chains/acme/nodes/node1", "/chains/acme/nodes/2?lines=5",
		"/usage", "/login", "/api/fleet", "/api/chains/acme", "/static/style.css", "/static/live.js"} {
		require.Equal(t, 200, do(s, "GET", p, nil, "").Code, p)
	}
	w = do(s, "GET", "/chains/acme/nodes/node1?lines=1", nil, "")
	require.Contains(t, w.Body.String(), "line two")
	require.NotContains(t, w.Body.String(), "line one")
	// Read-only without the token: no action buttons.
	require.NotContains(t, do(s, "GET", "/chains/acme", nil, "").Body.String(), `data-action=`)
	require.Contains(t, do(s, "GET", "/chains/acme", map[string]string{"Cookie": cookieName + "=" + testToken}, "").Body.String(), `data-action="rotate-logs"`)

	var fleet []constellation.ChainStatus
	require.NoError(t, json.Unmarshal(do(s, "GET", "/api/fleet", nil, "").Body.Bytes(), &fleet))
	require.Len(t, fleet, 1)
	require.Equal(t, constellation.VerdictHalted, fleet[0].Verdict)
}

// Without the token every action is refused with 403 and nothing under the
// home changes (not even the audit log); with it, an action runs and is in
// the audit log.
func TestActionsNeedTheToken(t *testing.T) {
	s, c := newTestServer(t)
	before := testutil.TreeSnapshot(t, s.opts.Home)
	bad := []map[string]string{
		nil,
		{"Authorization": "Bearer wrong-token-wrong-token"},
		{"Authorization": "Bearer "},
		{"Authorization": testToken}, // not "Bearer <token>"
		{"Cookie": cookieName + "=nope"},
	}
	for _, action := range []string{"restart?node=node1", "stop", "start", "rotate-logs", "no-such-action"} {
		for _, h := range bad {
			w := do(s, "POST", "/chains/acme/actions/"+action, h, "")
			require.Equal(t, http.StatusForbidden, w.Code, "%s %v", action, h)
			require.Contains(t, w.Body.String(), "login token")
		}
	}
	// Unknown chains are refused without the token too, before saying whether they exist.
	require.Equal(t, http.StatusForbidden, do(s, "POST", "/chains/nope/actions/stop", nil, "").Code)
	// A wrong token at /login sets no cookie.
	w := do(s, "POST", "/login", nil, "token=guess")
	require.Equal(t, http.StatusForbidden, w.Code)
	require.Empty(t, w.Result().Cookies())
	require.Equal(t, 403, do(s, "GET", "/audit", nil, "").Code)
	require.Equal(t, before, testutil.TreeSnapshot(t, s.opts.Home), "a refused action changed the home")

	// Logged in through the form: the cookie works for actions.
	w = do(s, "POST", "/login", nil, "token="+testToken)
	require.Equal(t, http.StatusSeeOther, w.Code)
	cookies := w.Result().Cookies()
	require.Len(t, cookies, 1)
	require.Equal(t, http.SameSiteStrictMode, cookies[0].SameSite)
	require.True(t, cookies[0].HttpOnly)
	auth := map[string]string{"Cookie": cookies[0].Name + "=" + cookies[0].Value}

	w = do(s, "POST", "/chains/acme/actions/rotate-logs", auth, "")
	require.Equal(t, 200, w.Code, w.Body.String())
	require.Contains(t, w.Body.String(), "logs archived")
	fi, err := os.Stat(c.LogFile("node1"))
	require.NoError(t, err)
	require.Zero(t, fi.Size(), "the log was not truncated")
	archived, _ := filepath.Glob(filepath.Join(c.Dir, "logs", "archive", "node1-*.log"))
	require.Len(t, archived, 1)
	bz, _ := os.ReadFile(archived[0])
	require.Equal(t, "line one\nline two\n", string(bz))

	// A restart of a node of a stopped chain fails, says why, and is recorded too.
	w = do(s, "POST", "/chains/acme/actions/restart", map[string]string{"Authorization": "Bearer " + testToken}, "node=node2")
	require.Equal(t, http.StatusConflict, w.Code)
	require.Contains(t, w.Body.String(), "constellation up acme")

	entries := s.audit.last(10)
	require.Len(t, entries, 2)
	require.Equal(t, "restart", entries[0].Action)
	require.Equal(t, "node2", entries[0].Node)
	require.Equal(t, "error", entries[0].Result)
	require.Equal(t, "rotate-logs", entries[1].Action)
	require.Equal(t, "ok", entries[1].Result)
	require.Equal(t, "acme", entries[1].Chain)
	require.Contains(t, do(s, "GET", "/audit", auth, "").Body.String(), "rotate-logs")
}

func TestBadInputIsRefused(t *testing.T) {
	s, _ := newTestServer(t)
	auth := map[string]string{"Authorization": "Bearer " + testToken}
	before := testutil.TreeSnapshot(t, s.opts.Home)
	for _, tc := range []struct {
		method, target string
		hdr            map[string]string
		body           string
		code           int
		want           string
	}{
		{"GET", "/chains/nope", nil, "", 404, `no chain &#34;nope&#34;`},
		{"GET", "/chains/ACME", nil, "", 404, "no chain"},
		{"GET", "/chains/acme/nodes/node9", nil, "", 404, "node1 to node2"},
		{"GET", "/chains/acme/nodes/x", nil, "", 404, "has no node"},
		{"GET", "/chains/acme/validators/nobody", nil, "", 404, "no validator"},
		{"GET", "/chains/acme/bridges/other", nil, "", 404, "no bridge"},
		{"GET", "/api/chains/nope", nil, "", 404, "no chain"},
		{"GET", "/chains/acme/nodes/node1?lines=abc", nil, "", 400, "invalid lines"},
		{"GET", "/chains/acme/nodes/node1?lines=0", nil, "", 400, "invalid lines"},
		{"GET", "/chains/acme/nodes/node1?lines=99999999999999999999", nil, "", 400, "invalid lines"},
		{"GET", "/?fragment=yes", nil, "", 400, "invalid fragment"},
		{"GET", "/chains/acme?fragment=%ff", nil, "", 400, "invalid fragment"},
		{"GET", "/usage.csv?from=2026-13-01", nil, "", 400, "YYYY-MM-DD"},
		{"GET", "/usage.json?to=yesterday", nil, "", 400, "YYYY-MM-DD"},
		{"GET", "/usage.json?from=2026-12-07&to=2026-12-01", nil, "", 400, "is after"},
		{"GET", "/usage.json?chain=nope", nil, "", 404, "no chain"},
		{"GET", "/usage.csv?limit=3", nil, "", 400, "unknown parameter"},
		{"GET", "/nowhere", nil, "", 404, "no page"},
		{"POST", "/chains/nope/actions/stop", auth, "", 404, "no chain"},
		{"POST", "/chains/acme/actions/explode", auth, "", 404, "no action"},
		{"POST", "/chains/acme/actions/restart", auth, "", 400, "restart needs a node"},
		{"POST", "/chains/acme/actions/restart?node=node7", auth, "", 404, "has no node"},
		{"POST", "/chains/acme/actions/restart", auth, "node=%zz", 400, "unreadable form"},
		{"POST", "/login", nil, "token=%zz", 400, "unreadable login form"},
	} {
		w := do(s, tc.method, tc.target, tc.hdr, tc.body)
		require.Equal(t, tc.code, w.Code, "%s %s: %s", tc.method, tc.target, w.Body.String())
		require.Contains(t, w.Body.String(), tc.want, "%s %s", tc.method, tc.target)
	}
	// JSON endpoints answer errors in JSON.
	w := do(s, "GET", "/usage.json?from=x", nil, "")
	var e struct {
		Error  string `json:"error"`
		Status int    `json:"status"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &e))
	require.Equal(t, 400, e.Status)
	require.Equal(t, before, testutil.TreeSnapshot(t, s.opts.Home), "bad input changed the home")
}

func TestUsageExport(t *testing.T) {
	s, c := newTestServer(t)
	// Real status of the (stopped) chain, with its nodes marked running so node time is metered.
	st := c.Collect(context.Background())
	for i := range st.Nodes {
		st.Nodes[i].Running, st.Nodes[i].DiskBytes = true, 1000
	}
	br := []constellation.BridgeStatus{{Counterparty: "beta", Sides: relayer.BridgeStatus{A: relayer.SideStatus{NextSend: 4}}}}
	day1 := time.Date(2026, 12, 5, 23, 59, 0, 0, time.UTC)
	s.usage.meterStatus("acme", st, br, time.Minute, day1)
	s.usage.meterStatus("acme", st, br, time.Minute, day1.Add(30*time.Second))
	br[0].Sides.A.NextSend = 9
	s.usage.meterStatus("acme", st, br, time.Minute, day1.Add(90*time.Second)) // the next day; 60 s counted (2 x poll cap not hit)
	require.NoError(t, s.usage.save())

	w := do(s, "GET", "/usage.csv?chain=acme", nil, "")
	require.Equal(t, 200, w.Code)
	require.Equal(t, "text/csv; charset=utf-8", w.Header().Get("Content-Type"))
	recs, err := csv.NewReader(bytes.NewReader(w.Body.Bytes())).ReadAll()
	require.NoError(t, err)
	require.Equal(t, usageCSVHeader, recs[0])
	// Days: 2026-12-05 (metering start, 30 s of 2 nodes, 3 packets sent before) and 2026-12-06, plus today's poll.
	require.GreaterOrEqual(t, len(recs), 3)
	require.Equal(t, []string{"acme", "2026-12-05", "0.017", "0", "0", "2000", "3"}, recs[1])
	require.Equal(t, []string{"acme", "2026-12-06"}, recs[2][:2])
	require.Equal(t, "0.033", recs[2][2]) // 2 nodes x 60 s
	require.Equal(t, "5", recs[2][6])

	w = do(s, "GET", "/usage.json?chain=acme&from=2026-12-05&to=2026-12-05", nil, "")
	require.Equal(t, 200, w.Code)
	var got struct {
		Usage []map[string]any `json:"usage"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &got))
	require.Len(t, got.Usage, 1)
	keys := make([]string, 0)
	for k := range got.Usage[0] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	require.Equal(t, []string{"blocks", "bridge_packets", "chain", "day", "node_hours", "storage_bytes", "txs"}, keys)
	require.Equal(t, 0.017, got.Usage[0]["node_hours"])

	// An empty selection is an empty list, not null.
	w = do(s, "GET", "/usage.json?from=1999-01-01&to=1999-01-02", nil, "")
	require.JSONEq(t, `{"usage": []}`, w.Body.String())

	// The book survives a restart of the dashboard.
	u, err := openUsage(s.usage.path)
	require.NoError(t, err)
	require.Equal(t, s.usage.rows(usageQuery{}), u.rows(usageQuery{}))
}

// FuzzRequests: no path, query or form makes the server panic or answer
// other than 200, 303, 400, 403, 404 or 409.
func FuzzRequests(f *testing.F) {
	for _, seed := range []string{"/", "/chains/acme", "/chains/acme/nodes/node1?lines=3", "/usage.csv?from=2026-01-01", "/chains/acme/actions/restart?node=node1", "/%zz", "/chains/acme/validators/node1"} {
		f.Add("GET", seed, "")
		f.Add("POST", seed, "node=node1")
	}
	home := f.TempDir()
	s, err := New(Options{Home: home, Token: testToken, Logf: func(string, ...any) {}})
	if err != nil {
		f.Fatal(err)
	}
	s.Poll(context.Background())
	f.Fuzz(func(t *testing.T, method, target, body string) {
		if method != "GET" && method != "POST" {
			method = "GET"
		}
		u, err := url.ParseRequestURI(target)
		if err != nil || !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \r\n\t") {
			return
		}
		r := httptest.NewRequest(method, u.String(), strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", "Bearer "+testToken)
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, r)
		switch w.Code {
		case 200, 301, 303, 307, 308, 400, 403, 404, 405, 409:
		default:
			t.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body.String())
		}
	})
}

// BenchmarkFleetPage renders the fleet page of 10 chains (made by
// constellation.Create, not started) from the cache, as every page load does.
func BenchmarkFleetPage(b *testing.B) {
	home := b.TempDir()
	for i := range 10 {
		spec := &constellation.Spec{
			Name: fmt.Sprintf("c%02d", i), Validators: 1, Bech32Prefix: "acme",
			BlockTime: constellation.Duration{Duration: time.Second},
			Token:     constellation.TokenSpec{Denom: "uacme", DisplayName: "ACME", Decimals: 6, Supply: "1000000000"},
		}
		if _, err := constellation.Create(home, spec); err != nil {
			b.Fatal(err)
		}
	}
	s, err := New(Options{Home: home, Token: testToken, Logf: func(string, ...any) {}})
	if err != nil {
		b.Fatal(err)
	}
	s.Poll(context.Background())
	if n := len(s.fleet()); n != 10 {
		b.Fatalf("%d chains in the cache", n)
	}
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
