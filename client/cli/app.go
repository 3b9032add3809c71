package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/client"
)

// AppInfo is what module commands need from the binary that runs them, whose
// package app they cannot import (app imports every module). The root command
// builds it once and its pre-run puts it in the command's context, beside the
// settings (WithApp); commands read it with App(cmd).
type AppInfo struct {
	// Version is the binary's software version.
	Version string
	// Accounts reads a signer's account for RunTx (selfchaind: auth.AccountRetriever{}).
	Accounts client.AccountRetriever
	// ChainDenom asks the node for the chain's own token (selfchaind: x/poai's bond
	// denom; a chain made by constellation bonds its own). Nil: the caller's default.
	ChainDenom func(cmd *cobra.Command) (string, error)
}

type appKey struct{}

// WithApp is ctx carrying a, for the root command's pre-run.
func WithApp(ctx context.Context, a AppInfo) context.Context {
	return context.WithValue(ctx, appKey{}, a)
}

// App is the AppInfo the root's pre-run put in the command's context (the zero
// value for a command run without the root, as some tests do).
func App(cmd *cobra.Command) AppInfo {
	a, _ := cmd.Context().Value(appKey{}).(AppInfo)
	return a
}
