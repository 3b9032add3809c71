// Package cli is the plumbing every command of the selfchaind client shares: the
// layered settings (flag > SELFCHAIN_<FLAG> > client.toml > default), the tx flags
// and the sign-and-broadcast path, one-shot queries, text/JSON output, address and
// amount arguments, pagination flags and prompts.
//
// Module commands (x/<module>/cli*.go, GetTxCmd and GetQueryCmd) are built on it,
// so it must not import package app (app imports every module): what a command
// needs from the application (its bond denom, its version) the binary hands over
// with SetApp before it builds its command tree.
package cli
