package main

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

func txCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tx",
		Short: "Build, sign and broadcast transactions",
	}
	addTxFlags(cmd)
	cmd.AddCommand(bankTxCmd(), poaiTxCmd(), permissionsTxCmd(), registryTxCmd())
	return cmd
}

// runTx is the common path of every tx command: look up the signer's account,
// settle gas and fee, confirm (on a terminal, without --yes), sign with the
// keyring, broadcast, print the result. A tx rejected by the chain is an error
// (non-zero exit) after its result is printed.
func runTx(cmd *cobra.Command, from string, build func(signer crypto.Address) ([]runtime.Msg, error)) error {
	v := settings(cmd)
	f, err := txFactory(v)
	if err != nil {
		return err
	}
	timeout, err := broadcastTimeout(v)
	if err != nil {
		return err
	}
	kr, err := openKeyring(cmd)
	if err != nil {
		return err
	}
	signer, err := client.NewKeyringSigner(kr, from)
	if err != nil {
		if errors.Is(err, keyring.ErrKeyNotFound) {
			return fmt.Errorf("signing key %q is not in the %q keyring under %s (see --keyring-backend, --home, `keys list`)", from, kr.Backend(), homeDir(cmd))
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
	c, err := newClient(cmd)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	plan, err := f.Prepare(ctx, c, signer, msgs...)
	if err != nil {
		return err
	}
	if yes := v.GetBool(flagYes); !yes && stdinIsTerminal() {
		printPlan(cmd.ErrOrStderr(), signer.Record(), plan)
		ok, err := confirm(cmd, "confirm transaction before signing and broadcasting")
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
	res, err := c.BroadcastWithTimeout(ctx, bz, v.GetBool(flagWait), timeout)
	if err != nil {
		return err
	}
	if err := printResult(cmd, res, func(w io.Writer) { printTxResult(w, res) }); err != nil {
		return err
	}
	return res.Err()
}

// printPlan is the summary a person confirms.
func printPlan(w io.Writer, rec keyring.Record, p *client.Plan) {
	fmt.Fprintf(w, "chain-id: %s\nfrom:     %s (%s)\naccount:  number %d, sequence %d\n", p.ChainID, rec.Name, p.Signer, p.AccountNumber, p.Sequence)
	fmt.Fprintln(w, "messages:")
	for _, m := range p.Msgs {
		bz, _ := marshalJSON(m)
		fmt.Fprintf(w, "  %s %s\n", "/"+proto.MessageName(m), bz)
	}
	if p.Memo != "" {
		fmt.Fprintf(w, "memo:     %s\n", p.Memo)
	}
	fee := p.Fee.String()
	if fee == "" {
		fee = "none"
	}
	fmt.Fprintf(w, "gas:      %d\nfee:      %s\n", p.Gas, fee)
}

func printTxResult(w io.Writer, r *client.TxResult) {
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
	kv(w, pairs...)
}
