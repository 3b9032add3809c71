package permissions

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Decide's order of checks is part of the contract (the verifier relies on it):
// each case changes one thing from an allowed baseline.
func TestDecide(t *testing.T) {
	base := func() (*App, *Grant) {
		return &App{Id: "a-app", Scopes: []string{"storage:read", "bank:send"}},
			&Grant{Scopes: []string{"storage:read:notes/", "bank:send"}, ExpiryHeight: 10, MaxUses: 2, Uses: 1}
	}
	want := Scope{Name: "storage:read", Resource: "notes/x"}
	cases := []struct {
		name string
		mod  func(a *App, g *Grant) (*App, *Grant, bool, int64, int64)
		d    Decision
	}{
		{"allowed", func(a *App, g *Grant) (*App, *Grant, bool, int64, int64) { return a, g, false, 10, 0 }, DECISION_ALLOWED},
		{"no app", func(a *App, g *Grant) (*App, *Grant, bool, int64, int64) { return nil, g, false, 10, 0 }, DECISION_NO_SUCH_APP},
		{"suspended", func(a *App, g *Grant) (*App, *Grant, bool, int64, int64) {
			a.Suspended = true
			return a, g, false, 10, 0
		}, DECISION_APP_SUSPENDED},
		{"killed", func(a *App, g *Grant) (*App, *Grant, bool, int64, int64) { return a, g, true, 10, 0 }, DECISION_KILL_SWITCH},
		{"no grant", func(a *App, g *Grant) (*App, *Grant, bool, int64, int64) { return a, nil, false, 10, 0 }, DECISION_NO_GRANT},
		{"height expired", func(a *App, g *Grant) (*App, *Grant, bool, int64, int64) { return a, g, false, 11, 0 }, DECISION_EXPIRED},
		{"time unknown", func(a *App, g *Grant) (*App, *Grant, bool, int64, int64) {
			g.ExpiryHeight, g.ExpiryTime = 0, 100
			return a, g, false, 11, 0
		}, DECISION_TIME_UNKNOWN},
		{"time expired", func(a *App, g *Grant) (*App, *Grant, bool, int64, int64) {
			g.ExpiryHeight, g.ExpiryTime = 0, 100
			return a, g, false, 11, 100
		}, DECISION_EXPIRED},
		{"time live", func(a *App, g *Grant) (*App, *Grant, bool, int64, int64) {
			g.ExpiryHeight, g.ExpiryTime = 0, 100
			return a, g, false, 11, 99
		}, DECISION_ALLOWED},
		{"uses", func(a *App, g *Grant) (*App, *Grant, bool, int64, int64) { g.Uses = 2; return a, g, false, 10, 0 }, DECISION_USES_EXHAUSTED},
		{"undeclared since", func(a *App, g *Grant) (*App, *Grant, bool, int64, int64) {
			a.Scopes = []string{"bank:send"}
			return a, g, false, 10, 0
		}, DECISION_SCOPE_NOT_DECLARED},
		{"not granted", func(a *App, g *Grant) (*App, *Grant, bool, int64, int64) {
			g.Scopes = []string{"storage:read:photos/"}
			return a, g, false, 10, 0
		}, DECISION_SCOPE_NOT_GRANTED},
	}
	for _, c := range cases {
		a, g := base()
		app, grant, killed, h, tm := c.mod(a, g)
		d, reason := Decide(app, killed, grant, want, h, tm)
		require.Equal(t, c.d, d, "%s: %s", c.name, reason)
		require.NotEmpty(t, reason)
		if d != DECISION_ALLOWED {
			require.NotNil(t, decisionErrors[d], c.name)
		}
	}
}
