package dashboard

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/selfchain/selfchain/constellation"
)

// Actions for the chain's owner: restart a node, stop or start the chain,
// rotate its logs. Each needs the login token (printed by `constellation
// dashboard` on start), as "Authorization: Bearer <token>" or the cookie
// /login sets; without it the answer is 403 and nothing is done or recorded.
// Every action tried with the token is appended to the audit log.

const cookieName = "constellation_dashboard"

// authorized reports whether the request carries the token.
func (s *Server) authorized(r *http.Request) bool {
	tok := ""
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		tok = strings.TrimPrefix(h, "Bearer ")
	} else if c, err := r.Cookie(cookieName); err == nil {
		tok = c.Value
	}
	return tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(s.opts.Token)) == 1
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "login.html", page{Title: "Log in", LoggedIn: s.authorized(r)})
}

// login checks the token from the form and sets it as a cookie for this host
// only (SameSite=Strict: another site cannot make the browser post an action).
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "unreadable login form: "+err.Error())
		return
	}
	tok := strings.TrimSpace(r.PostForm.Get("token"))
	if subtle.ConstantTimeCompare([]byte(tok), []byte(s.opts.Token)) != 1 {
		s.fail(w, r, http.StatusForbidden, "wrong token: use the one `constellation dashboard` printed when it started")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// actionNames are the actions a chain page offers.
var actionNames = map[string]string{
	"restart":     "restart a node",
	"stop":        "stop the chain",
	"start":       "start the chain",
	"rotate-logs": "rotate the logs",
}

// action runs POST /chains/{chain}/actions/{action} (restart takes ?node= or
// a form field node). The order of checks: token (403), chain (404), action
// and its parameters (404/400), then the action, recorded in the audit log.
func (s *Server) action(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(r) {
		s.fail(w, r, http.StatusForbidden, "actions need the login token: log in at /login with the token `constellation dashboard` printed")
		return
	}
	v, ok := s.chainOr404(w, r)
	if !ok {
		return
	}
	name := r.PathValue("action")
	if _, ok := actionNames[name]; !ok {
		s.fail(w, r, http.StatusNotFound, fmt.Sprintf("no action %q: the actions are restart, stop, start and rotate-logs", name))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, http.StatusBadRequest, "unreadable form: "+err.Error())
		return
	}
	c := v.Chain
	entry := auditEntry{Time: time.Now().UTC(), Remote: r.RemoteAddr, Chain: c.Spec.Name, Action: name}
	node := -1
	if name == "restart" {
		arg := r.Form.Get("node")
		if arg == "" {
			s.fail(w, r, http.StatusBadRequest, "restart needs a node: node=node1, node=node2, ...")
			return
		}
		i, err := c.NodeIndex(arg)
		if err != nil {
			s.fail(w, r, http.StatusNotFound, err.Error())
			return
		}
		node, entry.Node = i, constellation.NodeName(i)
	}
	s.actionMu.Lock()
	detail, err := s.run(c, name, node)
	s.actionMu.Unlock()
	entry.Result, entry.Detail = "ok", detail
	if err != nil {
		entry.Result, entry.Detail = "error", err.Error()
	}
	if aerr := s.audit.append(entry); aerr != nil {
		s.opts.Logf("dashboard: audit log: %v", aerr)
	}
	s.opts.Logf("dashboard: action %s on %s %s from %s: %s %s", name, c.Spec.Name, entry.Node, r.RemoteAddr, entry.Result, entry.Detail)
	if err != nil {
		s.fail(w, r, http.StatusConflict, fmt.Sprintf("%s of chain %s failed: %v", actionNames[name], c.Spec.Name, err))
		return
	}
	s.render(w, r, http.StatusOK, "result.html", page{Title: "Done", Chain: c.Spec.Name,
		Message: fmt.Sprintf("%s of chain %s: %s", actionNames[name], c.Spec.Name, detail), LoggedIn: true})
}

// run does one action and says what it did.
func (s *Server) run(c *constellation.Chain, action string, node int) (string, error) {
	switch action {
	case "restart":
		if err := c.RestartNode(node); err != nil {
			return "", err
		}
		return fmt.Sprintf("%s stopped; the supervisor starts it again after %s", constellation.NodeName(node), c.Spec.Supervisor.RestartBackoff.Duration), nil
	case "stop":
		_, running := c.SupervisorPID()
		if err := c.Down(); err != nil {
			return "", err
		}
		if !running {
			return "it was not running", nil
		}
		return "stopped", nil
	case "start":
		if s.opts.Selfchaind == "" || s.opts.Self == "" {
			return "", fmt.Errorf("this dashboard cannot start chains: it was started without a selfchaind binary")
		}
		h, err := c.Up(constellation.UpOptions{Home: s.opts.Home, Selfchaind: s.opts.Selfchaind, Self: s.opts.Self})
		if errors.Is(err, constellation.ErrAlreadyUp) {
			return "it was already up", nil
		}
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("up at height %d", h), nil
	case "rotate-logs":
		files, err := c.RotateLogs(time.Now())
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%d logs archived under logs/archive", len(files)), nil
	}
	return "", fmt.Errorf("unknown action %q", action)
}
