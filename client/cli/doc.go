// Package cli is the plumbing every command of the selfchaind client shares: the
// layered settings (flag > SELFCHAIN_<FLAG> > client.toml > default), the tx flags
// and the sign-and-broadcast path, the connection to --node (a gRPC ClientConn for
// the modules' generated query clients), text/JSON output, address and amount
// arguments, pagination flags and prompts.
//
// Module commands (x/<module>/cli*.go, GetTxCmd and GetQueryCmd) are built on it,
// so it imports no module and not package app (app imports every module): what a
// command needs from the binary (its version, how to read accounts, how to ask the
// node for the chain's own denom) the root command hands over in the command's
// context (AppInfo).
package cli
