package permissions

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/client"
)

// A client that trusts only an app hash — a user's instance running a light client,
// say — checks a check answer from an untrusted RPC node with FetchCheck and
// VerifyCheck: the three records the answer rests on (the app, the user's kill
// switch and the user's grant to the app) are proven with ICS-23 proofs against the
// app hash, and the decision is re-derived from them with Decide.
//
// Heights: an answer at height H describes the state after block H, which is
// committed by the app hash in the header of block H+1; the decision is for a tx in
// block H+1 at the request's time.

// StorePath is the ABCI query path of a raw, provable key of the permissions tree.
const StorePath = "/store/" + ModuleName + "/key"

// CheckAnswer is a check answer with the proofs of the records it rests on.
type CheckAnswer struct {
	Request  QueryCheckRequest
	Response QueryCheckResponse
	// Proofs of Response's app, kill-switch and grant keys at Response.Height
	// (from StorePath queries with prove=true).
	AppProof, KillSwitchProof, GrantProof *store.ProofOps
}

var ErrCheckMismatch = errors.New("verify: the answer does not match the proven state")

// VerifyCheck checks a against appHash (the app hash committing the state after block
// a.Response.Height) and returns the proven decision. It fails when a proof does not
// verify, when the proofs are for other keys than the request's, or when the
// answer's decision differs from the one the proven records give.
func VerifyCheck(appHash []byte, a CheckAnswer) (Decision, string, error) {
	req, res := a.Request, a.Response
	want, user, d, reason := ParseCheckRequest(&req)
	if d != DECISION_ALLOWED {
		// A malformed request is denied without reading state: nothing to prove.
		if res.Allowed || res.Decision != d {
			return 0, "", fmt.Errorf("%w: the answer says %s (allowed=%v) to a malformed request (%s)", ErrCheckMismatch, res.Decision, res.Allowed, d)
		}
		return d, reason, nil
	}
	appKey, _ := AppKey(req.AppId)
	killKey, _ := KillSwitchKey(user)
	grantKey, _ := GrantKey(user, req.AppId)
	for _, r := range []struct {
		name      string
		want, got []byte
		value     []byte
		proof     *store.ProofOps
	}{
		{"app", appKey, res.AppKey, res.AppValue, a.AppProof},
		{"kill switch", killKey, res.KillSwitchKey, res.KillSwitchValue, a.KillSwitchProof},
		{"grant", grantKey, res.GrantKey, res.GrantValue, a.GrantProof},
	} {
		if !bytes.Equal(r.want, r.got) {
			return 0, "", fmt.Errorf("%w: %s key is %X, the request's is %X", ErrCheckMismatch, r.name, r.got, r.want)
		}
		if err := proveRecord(appHash, r.want, r.value, r.proof); err != nil {
			return 0, "", fmt.Errorf("verify: %s record: %w", r.name, err)
		}
	}
	app, grant, killed, err := DecodeRecords(res.AppValue, res.KillSwitchValue, res.GrantValue)
	if err != nil {
		return 0, "", fmt.Errorf("verify: proven record does not decode: %w", err)
	}
	d, reason = Decide(app, killed, grant, want, NextBlockHeight(res.Height), req.Time)
	if d != res.Decision || (d == DECISION_ALLOWED) != res.Allowed {
		return 0, "", fmt.Errorf("%w: the answer says %s (allowed=%v), the proven records say %s", ErrCheckMismatch, res.Decision, res.Allowed, d)
	}
	return d, reason, nil
}

// proveRecord checks key=value (or key absent when value is empty) in the permissions tree.
func proveRecord(appHash, key, value []byte, proof *store.ProofOps) error {
	if len(value) == 0 {
		return store.VerifyNonMembership(appHash, ModuleName, key, proof)
	}
	return store.VerifyMembership(appHash, ModuleName, key, value, proof)
}

// FetchCheck asks q (a node's Client.ABCIQuery, an app's Query) for a check answer
// at height (0 = latest) and the proofs of its records at the answer's height. It
// trusts nothing it receives: pass the result to VerifyCheck with an app hash from a
// trusted header.
func FetchCheck(ctx context.Context, q client.ABCIQuerier, req QueryCheckRequest, height int64) (CheckAnswer, error) {
	a := CheckAnswer{Request: req}
	out, err := NewQueryClient(q).Check(ctx, &req, client.AtHeight(height))
	if err != nil {
		return a, err
	}
	a.Response = *out
	res := &a.Response
	if len(res.AppKey) == 0 { // malformed request: no records to prove
		return a, nil
	}
	for _, p := range []struct {
		key   []byte
		proof **store.ProofOps
	}{{res.AppKey, &a.AppProof}, {res.KillSwitchKey, &a.KillSwitchProof}, {res.GrantKey, &a.GrantProof}} {
		sq, err := q(ctx, &abci.RequestQuery{Path: StorePath, Data: p.key, Height: res.Height, Prove: true})
		if err != nil {
			return a, err
		}
		if sq.Code != 0 {
			return a, fmt.Errorf("store query: code %d (%s): %s", sq.Code, sq.Codespace, sq.Log)
		}
		*p.proof = sq.ProofOps
	}
	return a, nil
}
