package backup

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/backup/agent"
	"github.com/selfchain/selfchain/backup/holder"
	"github.com/selfchain/selfchain/backup/onchain"
	clientcli "github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/types"
	xbackup "github.com/selfchain/selfchain/x/backup"
)

const (
	flagReplicas     = "replicas"
	flagQuota        = "quota"
	flagPrice        = "price"
	flagEscrow       = "escrow"
	flagCollateral   = "collateral"
	flagNoticeEpochs = "notice-epochs"
	flagMinScore     = "min-score"
	flagWait         = "wait-accept"

	flagAutoAccept         = "auto-accept"
	flagAcceptMinPrice     = "accept-min-price"
	flagAcceptMaxQuota     = "accept-max-quota"
	flagAcceptMaxColl      = "accept-max-collateral"
	flagAcceptMinEscrow    = "accept-min-escrow-epochs"
	flagAcceptMinNotice    = "accept-min-notice-epochs"
	defaultWaitForAccept   = 10 * time.Minute
	repairPollEveryDefault = 2 * time.Second
)

func repairCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "repair --agreements 1,2 --replicas 2 --quota 10GiB --price 5uself --escrow 500uself [--collateral 1000000uself] --from <key>",
		Short: "Bring the backup back to --replicas healthy holders: choose new holders from the registry, propose, copy",
		Long: `When fewer of --agreements are active than --replicas (a holder failed its challenges, or an
agreement is ending or ended), proposes agreements on your terms (--quota, --price, --escrow,
--collateral, --notice-epochs) to the best candidates in x/registry: nodes that advertise storage
with enough free capacity, highest backup_reliability score first, none of yours and none that
already holds or failed an agreement of yours. It waits up to --wait-accept for each to be
accepted (a holder running 'backup serve --auto-accept' accepts by itself when your terms meet its
minimums; a rejected proposal goes to the next candidate), then copies the backup from the
healthy holders to the new one (as 'backup replicate') and prints the --agreements to use next.
Proposals left unanswered stay proposed and are used by the next repair. Every step is printed.`,
		Example: `  selfchaind backup repair --agreements 1,2 --replicas 2 --quota 10GiB --price 5uself --escrow 500uself --collateral 1000000uself --from alice`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opt, err := repairOptions(cmd, true)
			if err != nil {
				return err
			}
			a, done, err := newAgent(cmd, true)
			if err != nil {
				return err
			}
			defer done()
			return repair(cmd, a, opt)
		},
	}
	agentFlags(cmd)
	repairFlags(cmd)
	return cmd
}

// repairFlags are the flags of an automatic repair (repair, run --replicas).
func repairFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.Int(flagReplicas, 0, "healthy (active) holders the backup should have; new ones are proposed to when fewer are")
	f.String(flagQuota, "", "space to reserve on each new holder, e.g. 10GiB")
	f.String(flagPrice, "", "price per epoch offered to each new holder, e.g. 5uself")
	f.String(flagEscrow, "", "escrow locked for each new agreement, e.g. 500uself (at least one epoch's price)")
	f.String(flagCollateral, "", "collateral each new holder must lock (default: none)")
	f.Uint64(flagNoticeEpochs, 1, "notice, in epochs, either side gives to end a new agreement")
	f.String(flagMinScore, "0%", "ask only holders whose backup_reliability score is at least this, e.g. 99%")
	f.Duration(flagWait, defaultWaitForAccept, "how long to wait for new holders to accept")
}

// repairOptions reads the repair flags; with required false a missing
// --replicas means no repair (run without it).
func repairOptions(cmd *cobra.Command, required bool) (*agent.RepairOptions, error) {
	v := clientcli.Settings(cmd)
	n := v.GetInt(flagReplicas)
	if n == 0 && !required {
		return nil, nil
	}
	if n < 1 {
		return nil, fmt.Errorf("--%s is required: how many healthy holders the backup should have (at least 1)", flagReplicas)
	}
	var t onchain.Terms
	var err error
	if q := v.GetString(flagQuota); q == "" {
		return nil, fmt.Errorf("--%s is required with --%s: the space to reserve on each new holder, e.g. 10GiB", flagQuota, flagReplicas)
	} else if t.Quota, err = xbackup.ParseBytes(q); err != nil {
		return nil, fmt.Errorf("--%s: %w", flagQuota, err)
	}
	if t.Price, err = oneCoin(flagPrice, v.GetString(flagPrice), false); err != nil {
		return nil, err
	}
	if t.Escrow, err = oneCoin(flagEscrow, v.GetString(flagEscrow), false); err != nil {
		return nil, err
	}
	if t.Collateral, err = oneCoin(flagCollateral, v.GetString(flagCollateral), true); err != nil {
		return nil, err
	}
	t.NoticeEpochs = v.GetUint64(flagNoticeEpochs)
	if err := t.Validate(); err != nil {
		return nil, err
	}
	score, err := parsePercent(v.GetString(flagMinScore))
	if err != nil {
		return nil, fmt.Errorf("invalid --%s %q: want a percentage from 0%% to 100%%", flagMinScore, v.GetString(flagMinScore))
	}
	wait := v.GetDuration(flagWait)
	if wait <= 0 {
		return nil, fmt.Errorf("invalid --%s %s: want a positive duration such as 10m", flagWait, wait)
	}
	return &agent.RepairOptions{Replicas: n, Terms: t, MinScorePPM: uint32(score*1_000_000 + 0.5), Wait: wait, Poll: repairPollEveryDefault}, nil
}

// oneCoin reads a single-denomination amount ("5uself", "5uself/epoch").
func oneCoin(flag, s string, optional bool) (types.Coin, error) {
	if s == "" {
		if optional {
			return types.Coin{}, nil
		}
		return types.Coin{}, fmt.Errorf("--%s is required, e.g. 5uself", flag)
	}
	cs, err := clientcli.ParseAmount(strings.TrimSuffix(s, "/epoch"))
	if err != nil {
		return types.Coin{}, fmt.Errorf("--%s: %w", flag, err)
	}
	if len(cs) != 1 {
		return types.Coin{}, fmt.Errorf("--%s %q: give exactly one denomination, e.g. 5uself", flag, s)
	}
	return cs[0], nil
}

// repair runs a repair with the agent's chain as the market and prints it.
func repair(cmd *cobra.Command, a *agent.Agent, opt *agent.RepairOptions) error {
	r, err := runRepair(cmd, a, opt)
	if r == nil {
		return err
	}
	return errors.Join(err, clientcli.PrintResult(cmd, r, func(w io.Writer) { printRepair(w, r) }))
}

// runRepair runs a repair with the agent's chain as the market.
func runRepair(cmd *cobra.Command, a *agent.Agent, opt *agent.RepairOptions) (*agent.RepairResult, error) {
	m, ok := a.Chain.(onchain.Market)
	if !ok {
		return nil, errors.New("this chain connection cannot list holders or propose")
	}
	opt.Market = m
	return a.Repair(cmd.Context(), *opt)
}

func printRepair(w io.Writer, r *agent.RepairResult) {
	clientcli.KV(w, "wanted", r.Wanted, "healthy before", joinIDs(r.Healthy), "agreements", joinIDs(r.Agreements))
	for _, p := range r.Proposals {
		fmt.Fprintf(w, "agreement %s with node %s: %s (%s)\n", strconv.FormatUint(p.Agreement, 10), p.Node, p.Outcome, p.Reason)
	}
}

// acceptPolicy reads serve's auto-accept flags (nil without --auto-accept).
func acceptPolicy(cmd *cobra.Command) (*holder.AcceptPolicy, error) {
	v := clientcli.Settings(cmd)
	if !v.GetBool(flagAutoAccept) {
		for _, f := range []string{flagAcceptMinPrice, flagAcceptMaxQuota, flagAcceptMaxColl} {
			if v.GetString(f) != "" {
				return nil, fmt.Errorf("--%s is set but --%s is not: add --%s to accept proposals automatically", f, flagAutoAccept, flagAutoAccept)
			}
		}
		return nil, nil
	}
	var p holder.AcceptPolicy
	var err error
	if p.MinPrice, err = oneCoin(flagAcceptMinPrice, v.GetString(flagAcceptMinPrice), false); err != nil {
		return nil, err
	}
	if q := v.GetString(flagAcceptMaxQuota); q != "" {
		if p.MaxQuota, err = xbackup.ParseBytes(q); err != nil {
			return nil, fmt.Errorf("--%s: %w", flagAcceptMaxQuota, err)
		}
	}
	if p.MaxCollateral, err = oneCoin(flagAcceptMaxColl, v.GetString(flagAcceptMaxColl), true); err != nil {
		return nil, err
	}
	p.MinEscrowEpochs = v.GetUint64(flagAcceptMinEscrow)
	p.MinNoticeEpochs = v.GetUint64(flagAcceptMinNotice)
	return &p, p.Validate()
}

func acceptFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.Bool(flagAutoAccept, false, "accept proposals to this node whose terms meet the --accept-* minimums, signed by --from (off: the operator accepts each by hand)")
	f.String(flagAcceptMinPrice, "", "auto-accept: lowest price per epoch, e.g. 5uself (required with --auto-accept)")
	f.String(flagAcceptMaxQuota, "", "auto-accept: largest quota, e.g. 50GiB (default: any the advertised capacity leaves)")
	f.String(flagAcceptMaxColl, "", "auto-accept: most collateral locked for one agreement, e.g. 1000000uself (default: only proposals asking none)")
	f.Uint64(flagAcceptMinEscrow, 1, "auto-accept: fewest epochs the escrow must pay")
	f.Uint64(flagAcceptMinNotice, 0, "auto-accept: least notice in epochs")
}
