package dashboard

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/selfchain/selfchain/constellation"
)

// page is what every template gets: the layout's fields and one page's data.
type page struct {
	Title    string
	Chain    string // the chain a page is about ("" on the fleet)
	LoggedIn bool
	Message  string
	Status   int
	// Live: the page refreshes its #live part from ?fragment=1 every RefreshMS.
	Live      bool
	RefreshMS int64
	Fleet     []fleetRow
	View      *chainView
	Node      *constellation.NodeStatus
	NodeLog   string
	Lines     int
	Validator *constellation.ValidatorStatus
	Bridge    *constellation.BridgeStatus
	Usage     []DayUsage
	Audit     []auditEntry
}

// fleetRow is one chain on the fleet page.
type fleetRow struct {
	Name, ChainID, Verdict string
	Reasons                []string
	Height                 int64
	BlockAge               float64
	BlockInterval          float64
	TargetBlockTime        time.Duration
	Validators             int
	TotalPower             int64
	MissingPower           int64
	PendingPackets         int
	Bridges                int
	Nodes, NodesUp         int
	CheckedAt              time.Time
}

func rowOf(v *chainView) fleetRow {
	st := v.Status
	r := fleetRow{Name: st.Chain, ChainID: st.ChainID, Verdict: st.Verdict, Reasons: st.Reasons, Height: st.Height,
		BlockAge: st.BlockAge, BlockInterval: st.BlockInterval, TargetBlockTime: v.Chain.Spec.BlockTime.Duration,
		Validators: len(st.Validators), TotalPower: st.TotalPower, MissingPower: st.MissingPower,
		Bridges: len(v.Bridges), Nodes: len(st.Nodes), CheckedAt: st.CheckedAt}
	for _, n := range st.Nodes {
		if n.Running && n.Reachable {
			r.NodesUp++
		}
	}
	for _, b := range v.Bridges {
		r.PendingPackets += b.Sides.A.Pending + b.Sides.B.Pending
	}
	return r
}

// fragment reads ?fragment=1 (the live refresh asks for the #live part only).
func fragment(w http.ResponseWriter, r *http.Request, s *Server) (bool, bool) {
	switch f := r.URL.Query().Get("fragment"); f {
	case "", "0":
		return false, true
	case "1":
		return true, true
	default:
		s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("invalid fragment=%q: want 1 or 0", f))
		return false, false
	}
}

// render executes a page template (or, for a fragment, its "live" part).
// Rendering into a buffer first means a template error is a clean 500, not
// half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	p.Status, p.LoggedIn = status, p.LoggedIn || s.authorized(r)
	p.RefreshMS = s.opts.Poll.Milliseconds()
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, p); err != nil {
		s.opts.Logf("dashboard: render %s: %v", name, err)
		http.Error(w, "internal error rendering the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderLive renders the page, or its live part for ?fragment=1.
func (s *Server) renderLive(w http.ResponseWriter, r *http.Request, name string, p page) {
	frag, ok := fragment(w, r, s)
	if !ok {
		return
	}
	p.Live = true
	if frag {
		name = strings.TrimSuffix(name, ".html") + "-live"
	}
	s.render(w, r, http.StatusOK, name, p)
}

// fail answers with an error page (HTML) or, for /api and .json, JSON.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	if strings.HasPrefix(r.URL.Path, "/api/") || strings.HasSuffix(r.URL.Path, ".json") || strings.HasSuffix(r.URL.Path, ".csv") ||
		strings.Contains(r.Header.Get("Accept"), "application/json") {
		writeJSON(w, status, map[string]any{"error": msg, "status": status})
		return
	}
	s.render(w, r, status, "error.html", page{Title: http.StatusText(status), Message: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// chainOr404 is the cached view of the {chain} in the path.
func (s *Server) chainOr404(w http.ResponseWriter, r *http.Request) (*chainView, bool) {
	name := r.PathValue("chain")
	v := s.view(name)
	if v == nil {
		s.fail(w, r, http.StatusNotFound, fmt.Sprintf("no chain %q under %s: the fleet page lists the chains", name, s.opts.Home))
		return nil, false
	}
	return v, true
}

func (s *Server) fleetPage(w http.ResponseWriter, r *http.Request) {
	var rows []fleetRow
	for _, v := range s.fleet() {
		rows = append(rows, rowOf(v))
	}
	s.renderLive(w, r, "fleet.html", page{Title: "Fleet", Fleet: rows})
}

func (s *Server) chainPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.chainOr404(w, r)
	if !ok {
		return
	}
	s.renderLive(w, r, "chain.html", page{Title: v.Status.Chain, Chain: v.Status.Chain, View: v})
}

// maxLogLines bounds ?lines= on the node page.
const maxLogLines = 2000

func (s *Server) nodePage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.chainOr404(w, r)
	if !ok {
		return
	}
	i, err := v.Chain.NodeIndex(r.PathValue("node"))
	if err != nil || i >= len(v.Status.Nodes) {
		s.fail(w, r, http.StatusNotFound, fmt.Sprintf("chain %s has no node %q: its nodes are node1 to node%d", v.Status.Chain, r.PathValue("node"), len(v.Status.Nodes)))
		return
	}
	lines := 100
	if q := r.URL.Query().Get("lines"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > maxLogLines {
			s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("invalid lines=%q: want a number from 1 to %d", q, maxLogLines))
			return
		}
		lines = n
	}
	n := v.Status.Nodes[i]
	s.renderLive(w, r, "node.html", page{Title: v.Status.Chain + " " + n.Name, Chain: v.Status.Chain, View: v, Node: &n,
		NodeLog: constellation.TailFile(v.Chain.LogFile(n.Name), lines), Lines: lines})
}

func (s *Server) validatorPage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.chainOr404(w, r)
	if !ok {
		return
	}
	want := r.PathValue("val")
	for _, val := range v.Status.Validators {
		if (val.Name != "" && val.Name == want) || strings.EqualFold(val.Address, want) {
			s.renderLive(w, r, "validator.html", page{Title: v.Status.Chain + " validator " + orDash(val.Name), Chain: v.Status.Chain, View: v, Validator: &val})
			return
		}
	}
	s.fail(w, r, http.StatusNotFound, fmt.Sprintf("chain %s has no validator %q (by node name or consensus address)", v.Status.Chain, want))
}

func (s *Server) bridgePage(w http.ResponseWriter, r *http.Request) {
	v, ok := s.chainOr404(w, r)
	if !ok {
		return
	}
	for _, b := range v.Bridges {
		if b.Counterparty == r.PathValue("cp") {
			s.renderLive(w, r, "bridge.html", page{Title: v.Status.Chain + " bridge to " + b.Counterparty, Chain: v.Status.Chain, View: v, Bridge: &b,
				NodeLog: constellation.TailFile(v.Chain.RelayLog(b.Counterparty), 30)})
			return
		}
	}
	s.fail(w, r, http.StatusNotFound, fmt.Sprintf("chain %s has no bridge to %q", v.Status.Chain, r.PathValue("cp")))
}

// fleetJSON is each chain's status, the JSON `constellation status -o json` prints.
func (s *Server) fleetJSON(w http.ResponseWriter, r *http.Request) {
	out := []*constellation.ChainStatus{}
	for _, v := range s.fleet() {
		out = append(out, v.Status)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) chainJSON(w http.ResponseWriter, r *http.Request) {
	v, ok := s.chainOr404(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": v.Status, "blocks": v.Blocks, "flagged_txs": v.Flagged, "bridges": v.Bridges})
}

func (s *Server) auditPage(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		s.fail(w, r, http.StatusForbidden, "the audit log needs the login token: log in at /login")
		return
	}
	s.render(w, r, http.StatusOK, "audit.html", page{Title: "Audit log", Audit: s.audit.last(200)})
}

// parseUsageQuery reads ?chain=&from=&to= (days as YYYY-MM-DD).
func (s *Server) parseUsageQuery(w http.ResponseWriter, r *http.Request) (usageQuery, bool) {
	q := r.URL.Query()
	for k := range q {
		switch k {
		case "chain", "from", "to":
		default:
			s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("unknown parameter %q: usage takes chain, from and to (YYYY-MM-DD)", k))
			return usageQuery{}, false
		}
	}
	uq := usageQuery{chain: q.Get("chain"), from: q.Get("from"), to: q.Get("to")}
	for _, d := range []struct{ name, v string }{{"from", uq.from}, {"to", uq.to}} {
		if d.v == "" {
			continue
		}
		if _, err := time.Parse(time.DateOnly, d.v); err != nil {
			s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("invalid %s=%q: want a day as YYYY-MM-DD", d.name, d.v))
			return usageQuery{}, false
		}
	}
	if uq.from != "" && uq.to != "" && uq.from > uq.to {
		s.fail(w, r, http.StatusBadRequest, fmt.Sprintf("from=%s is after to=%s", uq.from, uq.to))
		return usageQuery{}, false
	}
	if uq.chain != "" && s.view(uq.chain) == nil && !s.usage.hasChain(uq.chain) {
		s.fail(w, r, http.StatusNotFound, fmt.Sprintf("no chain %q: neither under %s nor in the usage records", uq.chain, s.opts.Home))
		return usageQuery{}, false
	}
	return uq, true
}

func (s *Server) usagePage(w http.ResponseWriter, r *http.Request) {
	q, ok := s.parseUsageQuery(w, r)
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "usage.html", page{Title: "Usage", Chain: q.chain, Usage: s.usage.rows(q)})
}

func (s *Server) usageCSV(w http.ResponseWriter, r *http.Request) {
	q, ok := s.parseUsageQuery(w, r)
	if !ok {
		return
	}
	var buf bytes.Buffer
	if err := writeUsageCSV(&buf, s.usage.rows(q)); err != nil {
		s.fail(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="usage.csv"`)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) usageJSON(w http.ResponseWriter, r *http.Request) {
	q, ok := s.parseUsageQuery(w, r)
	if !ok {
		return
	}
	rows := s.usage.rows(q)
	if rows == nil {
		rows = []DayUsage{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"usage": rows})
}
