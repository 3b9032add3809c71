package permissions

import "fmt"

// Decide answers whether app may use want for the user whose grant is grant, in a
// block at height with block time timeUnix (unix seconds; 0 = unknown). app and
// grant are nil when absent; killed is the user's kill switch. It is a pure
// function of the stored records, so MsgExec, the check query and package verify
// (re-deriving a proven answer off chain) all decide exactly alike.
func Decide(app *App, killed bool, grant *Grant, want Scope, height, timeUnix int64) (Decision, string) {
	switch {
	case app == nil:
		return DECISION_NO_SUCH_APP, "no app is registered under this id"
	case app.Suspended:
		return DECISION_APP_SUSPENDED, fmt.Sprintf("app %s is suspended by %s: %s", app.Id, app.SuspendedBy, app.SuspendReason)
	case killed:
		return DECISION_KILL_SWITCH, "the user's kill switch is on: every grant is inactive"
	case grant == nil:
		return DECISION_NO_GRANT, fmt.Sprintf("the user has not granted app %s anything", app.Id)
	case grant.ExpiryHeight > 0 && height > grant.ExpiryHeight:
		return DECISION_EXPIRED, fmt.Sprintf("the grant expired after height %d (now %d)", grant.ExpiryHeight, height)
	case grant.ExpiryTime > 0 && timeUnix == 0:
		return DECISION_TIME_UNKNOWN, fmt.Sprintf("the grant expires at unix time %d: give the current time", grant.ExpiryTime)
	case grant.ExpiryTime > 0 && timeUnix >= grant.ExpiryTime:
		return DECISION_EXPIRED, fmt.Sprintf("the grant expired at unix time %d (now %d)", grant.ExpiryTime, timeUnix)
	case grant.MaxUses > 0 && grant.Uses >= grant.MaxUses:
		return DECISION_USES_EXHAUSTED, fmt.Sprintf("the grant's %d uses are used up", grant.MaxUses)
	case !coveredBy(app.Scopes, want):
		return DECISION_SCOPE_NOT_DECLARED, fmt.Sprintf("app %s does not declare %s", app.Id, want)
	case !coveredBy(grant.Scopes, want):
		return DECISION_SCOPE_NOT_GRANTED, fmt.Sprintf("the grant does not cover %s", want)
	}
	return DECISION_ALLOWED, "allowed"
}

// coveredBy reports whether one of scopes (stored, so already canonical) covers want.
func coveredBy(scopes []string, want Scope) bool {
	for _, s := range scopes {
		sc, err := ParseScope(s)
		if err == nil && sc.Covers(want) {
			return true
		}
	}
	return false
}

// NextBlockHeight is the height a check at committed height h is evaluated for:
// any tx sent after the answer lands in block h+1 or later.
func NextBlockHeight(h int64) int64 { return h + 1 }
