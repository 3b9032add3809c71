package cli

import (
	"errors"
	"fmt"
	"io"

	"github.com/cosmos/gogoproto/proto"
	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/crypto/keyring"
)

// FlagFrom names the signing key of tx commands that take it as a flag rather
// than as their first argument (x/upgrade, x/backup).
const FlagFrom = "from"

// AddFromFlag adds --from to cmd; who says whose key it is.
func AddFromFlag(cmd *cobra.Command, who string) {
	cmd.Flags().String(FlagFrom, "", "key (name or address) of the "+who)
}

// RunTxFrom is RunTx signed by --from (AddFromFlag); who names the key in the
// error when the flag is missing.
func RunTxFrom(cmd *cobra.Command, who string, build func(signer crypto.Address) ([]runtime.Msg, error)) error {
	from, _ := cmd.Flags().GetString(FlagFrom)
	if from == "" {
		return fmt.Errorf("--from: give the %s key", who)
	}
	return RunTx(cmd, from, build)
}

// RunTx is the common path of every tx command: look up the signer's account,
// settle gas and fee, confirm (on a terminal, without --yes), sign with the
// keyring, broadcast, print the result. A tx rejected by the chain is an error
// (non-zero exit) after its result is printed.
func RunTx(cmd *cobra.Command, from string, build func(signer crypto.Address) ([]runtime.Msg, error)) error {
	v := Settings(cmd)
	f, err := TxFactory(v)
	if err != nil {
		return err
	}
	f.Accounts = App(cmd).Accounts
	timeout, err := BroadcastTimeout(v)
	if err != nil {
		return err
	}
	kr, err := OpenKeyring(cmd)
	if err != nil {
		return err
	}
	signer, err := client.NewKeyringSigner(kr, from)
	if err != nil {
		if errors.Is(err, keyring.ErrKeyNotFound) {
			return fmt.Errorf("signing key %q is not in the %q keyring under %s (see --keyring-backend, --home, `keys list`)", from, kr.Backend(), HomeDir(cmd))
		}
		return err
	}
	msgs, err := build(signer.PubKey().Address())
	if err != nil {
		return err
	}
	for i, m := range msgs {
		if err := m.ValidateBasic(); err != nil {
			return fmt.Errorf("message %d: %w", i, err)
		}
	}
	c, err := NewClient(cmd)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	plan, err := f.Prepare(ctx, c, signer, msgs...)
	if err != nil {
		return err
	}
	if yes := v.GetBool(FlagYes); !yes && StdinIsTerminal() {
		printPlan(cmd.ErrOrStderr(), signer.Record(), plan)
		ok, err := Confirm(cmd, "confirm transaction before signing and broadcasting")
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("transaction cancelled")
		}
	}
	bz, err := plan.Sign(signer)
	if err != nil {
		return err
	}
	res, err := c.BroadcastWithTimeout(ctx, bz, v.GetBool(FlagWait), timeout)
	if err != nil {
		return err
	}
	if err := PrintResult(cmd, res, func(w io.Writer) { PrintTxResult(w, res) }); err != nil {
		return err
	}
	return res.Err()
}

// printPlan is the summary a person confirms.
func printPlan(w io.Writer, rec keyring.Record, p *client.Plan) {
	fmt.Fprintf(w, "chain-id: %s\nfrom:     %s (%s)\naccount:  number %d, sequence %d\n", p.ChainID, rec.Name, p.Signer, p.AccountNumber, p.Sequence)
	fmt.Fprintln(w, "messages:")
	for _, m := range p.Msgs {
		bz, _ := MarshalJSON(m)
		fmt.Fprintf(w, "  %s %s\n", "/"+proto.MessageName(m), bz)
	}
	if p.Memo != "" {
		fmt.Fprintf(w, "memo:     %s\n", p.Memo)
	}
	fee := p.Fee.String()
	if fee == "" {
		fee = "none"
	}
	fmt.Fprintf(w, "gas:      %d\nfee:      %s\n", p.GasLimit, fee)
}

// PrintTxResult prints a tx result as key: value lines.
func PrintTxResult(w io.Writer, r *client.TxResult) {
	pairs := []any{"txhash", r.TxHash, "code", r.Code}
	if r.Codespace != "" {
		pairs = append(pairs, "codespace", r.Codespace)
	}
	if r.Log != "" {
		pairs = append(pairs, "log", r.Log)
	}
	if r.Height > 0 {
		pairs = append(pairs, "height", r.Height, "gas_wanted", r.GasWanted, "gas_used", r.GasUsed)
	}
	KV(w, pairs...)
}
