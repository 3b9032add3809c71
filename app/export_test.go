package app

import (
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
