package app

import (
	"sync"
	"testing"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/x/poai/voteext"
)

// SetPoAIStateForTest replaces the pipeline's state (x/poai's keeper) — only to
// make the keeper fail in a test.
func (a *App) SetPoAIStateForTest(st voteext.State) { a.poai.state = st }

// CommittedContext reads the last committed state (as the vote hooks do).
func (a *App) CommittedContext() (*runtime.Context, error) {
	return a.voteContext(a.LastCommitID().Version)
}

// DefaultModules is the app's module list (modules).
var DefaultModules = modules

// SetModuleListForTest makes f the module list until the test ends: what adding
// a line to modules does, without editing it. Not for parallel tests.
func SetModuleListForTest(tb testing.TB, f func(a *App) []runtime.Module) {
	old := moduleList
	moduleList = f
	tb.Cleanup(func() { moduleList = old })
}

// SetUpgradeHandlersForTest makes f the upgrade handler list until the test ends:
// what adding an entry to upgradeHandlers does. Not for parallel tests.
func SetUpgradeHandlersForTest(tb testing.TB, f func(a *App) []UpgradeHandler) {
	old := upgradeList
	upgradeList = f
	tb.Cleanup(func() { upgradeList = old })
}

// PendingOf is how many txs of addr the app mempool holds from sequence from on,
// once the last block's re-check has ended.
func (a *App) PendingOf(addr []byte, from uint64) int {
	a.waitRecheck()
	return len(a.pool.Pending(string(addr), from))
}

// SenderLockForTest is the app mempool's admission and re-check lock of addr:
// a test holding it holds up the re-check of that account.
func (a *App) SenderLockForTest(addr []byte) *sync.Mutex { return a.pool.SenderLock(string(addr)) }
