package agent

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/selfchain/selfchain/backup/onchain"
)

// Warnings says, in plain words, which of the named agreements cannot keep
// the backup (failed, ending, ended, rejected, not yet accepted, unreadable)
// and what to do about it: propose a new agreement, copy the backup to it
// with 'backup replicate' and name it in --agreements. Nil when all are
// active. Agreements are read from the chain; holders are not contacted.
func (a *Agent) Warnings(ctx context.Context) []string {
	var healthy []string
	type problem struct {
		agr  onchain.Agreement
		what string
	}
	var probs []problem
	for _, t := range a.Targets {
		agr, err := a.Chain.Agreement(ctx, t.Agreement)
		if err != nil {
			probs = append(probs, problem{onchain.Agreement{ID: t.Agreement}, fmt.Sprintf("agreement %d cannot be read from the chain: %v", t.Agreement, err)})
			continue
		}
		if w := agreementProblem(agr); w != "" {
			probs = append(probs, problem{agr, w})
			if agr.Status != onchain.StatusEnding { // an ending one still serves until its end
				continue
			}
		}
		healthy = append(healthy, strconv.FormatUint(agr.ID, 10))
	}
	var out []string
	for _, p := range probs {
		out = append(out, p.what+"; "+replaceAdvice(p.agr, healthy))
	}
	return out
}

// agreementProblem describes why an agreement cannot keep a backup; "" when active.
func agreementProblem(agr onchain.Agreement) string {
	who := fmt.Sprintf("agreement %d with holder %s", agr.ID, agr.Holder)
	switch agr.Status {
	case onchain.StatusActive:
		return ""
	case onchain.StatusFailed:
		why := "its holder missed its storage challenges"
		if agr.MaxMisses > 0 {
			why = fmt.Sprintf("its holder missed %d challenges in a row", agr.MaxMisses)
		}
		if agr.Slashed != "" {
			why += "; " + agr.Slashed + " of its collateral was paid to you"
		}
		return fmt.Sprintf("%s failed at height %d (%s)", who, agr.EndHeight, why)
	case onchain.StatusEnding:
		return fmt.Sprintf("%s is ending at height %d (notice was given); its holder keeps your data until then", who, agr.EndHeight)
	case onchain.StatusEnded:
		return fmt.Sprintf("%s ended at height %d", who, agr.EndHeight)
	case onchain.StatusProposed:
		return fmt.Sprintf("%s is not accepted yet: it takes backups once the holder's operator runs 'selfchaind tx backup accept %d'", who, agr.ID)
	default:
		return fmt.Sprintf("%s is %s", who, agr.Status)
	}
}

// replaceAdvice is the fix by hand (a new agreement, the backup copied to it
// from the healthy holders, the new id in --agreements) and the automatic
// one ('backup repair').
func replaceAdvice(agr onchain.Agreement, healthy []string) string {
	switch agr.Status {
	case "": // not read: the chain was unreachable or the id is wrong
		return "check --node and the id ('selfchaind query backup agreements <owner>' lists yours)"
	case onchain.StatusProposed:
		return "or propose another"
	}
	quota := "<bytes>"
	if agr.Quota > 0 {
		quota = strconv.FormatUint(agr.Quota, 10)
	}
	propose := fmt.Sprintf("propose a new one: selfchaind tx backup propose <holder-node-id> --quota %s --price ... --escrow ... --collateral ... --from <you>", quota)
	if len(healthy) == 0 {
		return propose + ", then run 'selfchaind backup run <dir> --agreements <new>'"
	}
	list := strings.Join(healthy, ",")
	return fmt.Sprintf("%s (query registry node <id> shows a holder's backup_reliability), copy the backup to it: selfchaind backup replicate --to-agreement <new> --agreements %s, and run with --agreements %s,<new>; or let 'selfchaind backup repair --agreements %s --replicas <n> --quota %s --price ... --escrow ...' choose the holder and do it all", propose, list, list, list, quota)
}
