package cli

import (
	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/types"
)

// AppInfo is what module commands need to know of the binary's application, which
// they cannot import (package app imports every module).
type AppInfo struct {
	// BondDenom is the native token: the chain's own denom when the node cannot say.
	BondDenom string
	// Version is the binary's software version.
	Version string
	// ChainDenom asks the node for the chain's own token (selfchaind: x/poai's bond
	// denom; a chain made by constellation bonds its own). Nil: always BondDenom.
	ChainDenom func(cmd *cobra.Command) (string, error)
}

var appInfo AppInfo

// SetApp records the binary's AppInfo; call it once (an init of the binary's main
// package) before building the command tree: help texts read it.
func SetApp(a AppInfo) { appInfo = a }

// App is the binary's AppInfo.
func App() AppInfo { return appInfo }

// ChainDenom is the chain's own token as the node says, else AppInfo.BondDenom.
func ChainDenom(cmd *cobra.Command) string {
	if appInfo.ChainDenom != nil {
		if d, err := appInfo.ChainDenom(cmd); err == nil && types.ValidateDenom(d) == nil {
			return d
		}
	}
	return appInfo.BondDenom
}
