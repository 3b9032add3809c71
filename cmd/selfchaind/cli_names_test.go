package main

import (
	clientcli "github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/poai"
	"github.com/selfchain/selfchain/x/registry"
)

// The tests of this package predate the move of the CLI plumbing to client/cli and
// of the module commands to x/<module>/cli*.go; they keep their names through these
// aliases, so they run unchanged against the moved code.
var (
	settings         = clientcli.Settings
	addTxFlags       = clientcli.AddTxFlags
	parseGas         = clientcli.ParseGas
	parseFees        = clientcli.ParseFees
	parseAmount      = clientcli.ParseAmount
	txFactory        = clientcli.TxFactory
	broadcastTimeout = clientcli.BroadcastTimeout
	checkDenomsKnown = bank.CheckDenomsKnown
	parseCommission  = poai.ParseCommission
)

const (
	flagNode           = clientcli.FlagNode
	flagChainID        = clientcli.FlagChainID
	flagOutput         = clientcli.FlagOutput
	flagKeyringBackend = clientcli.FlagKeyringBackend
	flagGas            = clientcli.FlagGas
	flagGasPrices      = clientcli.FlagGasPrices
	flagWait           = clientcli.FlagWait

	pathBankBalance       = bank.QueryPathBalance
	pathBankDenomMetadata = bank.QueryPathDenomMetadata
	pathPoaiParams        = poai.QueryPathParams
	pathRegistryResolve   = registry.QueryPathResolve
)
