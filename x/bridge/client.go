package bridge

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"cosmossdk.io/collections"
	cmtmath "github.com/cometbft/cometbft/libs/math"
	"github.com/cometbft/cometbft/light"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/selfchain/selfchain/app/runtime"
)

// sigGas is charged per commit signature a header update may verify (an Ed25519 or
// ML-DSA-65 verification, ~60 µs each; auth's sig_verify_cost for one Ed25519 signature).
const sigGas = 1000

func secs(s uint64) time.Duration { return time.Duration(s) * time.Second }

func (p ClientParams) trustLevel() cmtmath.Fraction {
	return cmtmath.Fraction{Numerator: p.TrustLevel.Numerator, Denominator: p.TrustLevel.Denominator}
}

// Validate checks trust parameters as ibc-go's 07-tendermint does.
func (p ClientParams) Validate() error {
	if err := light.ValidateTrustLevel(p.trustLevel()); err != nil {
		return ErrInvalidClientParams.Wrapf("trust_level %d/%d must be within [1/3, 1]", p.TrustLevel.Numerator, p.TrustLevel.Denominator)
	}
	if p.TrustingPeriodSecs == 0 || p.UnbondingPeriodSecs == 0 || p.MaxClockDriftSecs == 0 {
		return ErrInvalidClientParams.Wrap("trusting_period_secs, unbonding_period_secs and max_clock_drift_secs must be positive")
	}
	if p.TrustingPeriodSecs >= p.UnbondingPeriodSecs {
		return ErrInvalidClientParams.Wrapf("trusting period %s must be below the counterparty's unbonding period %s: otherwise validators that signed a fork could have unbonded before the client notices",
			secs(p.TrustingPeriodSecs), secs(p.UnbondingPeriodSecs))
	}
	if p.UnbondingPeriodSecs > 10*365*24*3600 {
		return ErrInvalidClientParams.Wrap("unbonding_period_secs is over ten years")
	}
	return nil
}

func consensusStateOf(h *cmttypes.SignedHeader) ConsensusState {
	return ConsensusState{Timestamp: h.Time.UnixNano(), AppHash: h.AppHash, NextValidatorsHash: h.NextValidatorsHash}
}

// expiresAt is when cs stops being trusted.
func (c *ClientState) expiresAt(cs ConsensusState) time.Time {
	return time.Unix(0, cs.Timestamp).Add(secs(c.Params.TrustingPeriodSecs))
}

// Status judges c by this chain's block time, never a wall clock.
func (k Keeper) status(ctx context.Context, c *ClientState) (ClientStatus, ConsensusState, error) {
	cs, err := k.consensusState(ctx, c.ClientId, c.LatestHeight)
	if err != nil {
		return CLIENT_STATUS_UNSPECIFIED, cs, err
	}
	switch {
	case c.FrozenHeight != 0:
		return CLIENT_STATUS_FROZEN, cs, nil
	case !c.expiresAt(cs).After(runtime.Unwrap(ctx).BlockTime()):
		return CLIENT_STATUS_EXPIRED, cs, nil
	}
	return CLIENT_STATUS_ACTIVE, cs, nil
}

// activeClient returns client id if it is active, else an error saying why not.
func (k Keeper) activeClient(ctx context.Context, id string) (ClientState, error) {
	c, err := k.client(ctx, id)
	if err != nil {
		return c, err
	}
	st, cs, err := k.status(ctx, &c)
	if err != nil {
		return c, err
	}
	switch st {
	case CLIENT_STATUS_FROZEN:
		return c, ErrClientFrozen.Wrapf("client %s (chain %s) is frozen since misbehaviour at height %d: only the authority can recover it (tx bridge recover-client)", id, c.ChainId, c.FrozenHeight)
	case CLIENT_STATUS_EXPIRED:
		return c, ErrClientExpired.Wrapf("client %s (chain %s) expired at %s (its latest header, height %d, is older than the trusting period %s): only the authority can recover it (tx bridge recover-client)",
			id, c.ChainId, c.expiresAt(cs).UTC().Format(time.RFC3339), c.LatestHeight, secs(c.Params.TrustingPeriodSecs))
	}
	return c, nil
}

// CreateClient starts a client of the header's chain, trusting the header. The header
// must carry a commit by more than 2/3 of its validator set and be within the trusting
// period at this chain's block time.
func (k Keeper) CreateClient(ctx context.Context, creator string, hdr *Header, params ClientParams) (string, error) {
	if err := params.Validate(); err != nil {
		return "", err
	}
	p, err := k.GetParams(ctx)
	if err != nil {
		return "", err
	}
	h, err := decodeHeader(hdr, int(p.MaxValidators), false)
	if err != nil {
		return "", err
	}
	rc := runtime.Unwrap(ctx)
	now := rc.BlockTime()
	if exp := h.signed.Time.Add(secs(params.TrustingPeriodSecs)); !exp.After(now) {
		return "", ErrHeaderExpired.Wrapf("header %d of %s (time %s) expired at %s, before this block (%s): create the client from a recent header",
			h.signed.Height, h.signed.ChainID, h.signed.Time.UTC().Format(time.RFC3339), exp.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if !h.signed.Time.Before(now.Add(secs(params.MaxClockDriftSecs))) {
		return "", ErrInvalidHeader.Wrapf("header time %s is ahead of this chain's block time %s by more than the max clock drift", h.signed.Time.UTC(), now.UTC())
	}
	rc.GasMeter().ConsumeGas(sigGas*uint64(len(h.signed.Commit.Signatures)), "bridge header signatures")
	if err := h.vals.VerifyCommitLight(h.signed.ChainID, h.signed.Commit.BlockID, h.signed.Height, h.signed.Commit); err != nil {
		return "", ErrInvalidHeader.Wrapf("header %d of %s is not signed by more than 2/3 of its validators: %v", h.signed.Height, h.signed.ChainID, err)
	}
	n, err := k.ClientSeq.Next(ctx)
	if err != nil {
		return "", err
	}
	id := fmt.Sprintf("client-%d", n)
	c := ClientState{ClientId: id, ChainId: h.signed.ChainID, Params: params, LatestHeight: h.height(), Creator: creator, NextSequenceSend: 1}
	if err := k.Clients.Set(ctx, id, c); err != nil {
		return "", err
	}
	if err := k.ConsensusStates.Set(ctx, collections.Join(id, h.height()), consensusStateOf(h.signed)); err != nil {
		return "", err
	}
	rc.EventManager().Emit(EventTypeCreateClient, AttrClientID, id, AttrChainID, c.ChainId, AttrHeight, fmt.Sprint(c.LatestHeight))
	return id, nil
}

// verifyHeader checks h against the client's consensus state at its trusted height with
// CometBFT's light verifier, at this chain's block time.
func (k Keeper) verifyHeader(ctx context.Context, c *ClientState, hdr *Header) (*decodedHeader, error) {
	p, err := k.GetParams(ctx)
	if err != nil {
		return nil, err
	}
	h, err := decodeHeader(hdr, int(p.MaxValidators), true)
	if err != nil {
		return nil, err
	}
	if h.signed.ChainID != c.ChainId {
		return nil, ErrInvalidHeader.Wrapf("header is of chain %s, client %s follows %s", h.signed.ChainID, c.ClientId, c.ChainId)
	}
	trusted, err := k.consensusState(ctx, c.ClientId, hdr.TrustedHeight)
	if err != nil {
		return nil, err
	}
	if got := h.trustedVals.Hash(); !bytes.Equal(got, trusted.NextValidatorsHash) {
		return nil, ErrInvalidHeader.Wrapf("trusted_validators hash to %X, the client's header at height %d names %X as the next validators", got, hdr.TrustedHeight, trusted.NextValidatorsHash)
	}
	trustedHeader := &cmttypes.SignedHeader{Header: &cmttypes.Header{
		ChainID: c.ChainId, Height: int64(hdr.TrustedHeight), Time: time.Unix(0, trusted.Timestamp).UTC(), NextValidatorsHash: trusted.NextValidatorsHash,
	}}
	rc := runtime.Unwrap(ctx)
	rc.GasMeter().ConsumeGas(2*sigGas*uint64(len(h.signed.Commit.Signatures)), "bridge header signatures")
	now := rc.BlockTime()
	err = light.Verify(trustedHeader, h.trustedVals, h.signed, h.vals, secs(c.Params.TrustingPeriodSecs), now, secs(c.Params.MaxClockDriftSecs), c.Params.trustLevel())
	var expired light.ErrOldHeaderExpired
	switch {
	case err == nil:
		return h, nil
	case errors.As(err, &expired):
		return nil, ErrClientExpired.Wrapf("the client's header at height %d expired at %s (this chain's block time is %s): update from a newer trusted height, or recover the client",
			hdr.TrustedHeight, expired.At.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	default:
		var notEnough light.ErrNewValSetCantBeTrusted
		if errors.As(err, &notEnough) {
			return nil, ErrUntrustedValidators.Wrapf("header %d: less than the trust level %d/%d of the validators trusted at height %d signed it: update through an intermediate height",
				h.signed.Height, c.Params.TrustLevel.Numerator, c.Params.TrustLevel.Denominator, hdr.TrustedHeight)
		}
		return nil, ErrInvalidHeader.Wrapf("header %d of %s failed light verification from height %d: %v", h.signed.Height, c.ChainId, hdr.TrustedHeight, err)
	}
}

// UpdateClient verifies hdr and stores its consensus state. A header at a height the
// client already holds is a no-op if it matches and misbehaviour (the client freezes)
// if it does not; so is a header whose time breaks the order of its neighbours.
func (k Keeper) UpdateClient(ctx context.Context, id string, hdr *Header) error {
	c, err := k.activeClient(ctx, id)
	if err != nil {
		return err
	}
	h, err := k.verifyHeader(ctx, &c, hdr)
	if err != nil {
		return err
	}
	cs := consensusStateOf(h.signed)
	height := h.height()
	if old, err := k.ConsensusStates.Get(ctx, collections.Join(id, height)); err == nil {
		if sameConsensusState(old, cs) {
			return nil // another relayer got there first: nothing to do
		}
		return k.freeze(ctx, &c, height, "conflicting header")
	} else if !errors.Is(err, collections.ErrNotFound) {
		return err
	}
	if bad, err := k.breaksTimeOrder(ctx, id, height, cs.Timestamp); err != nil {
		return err
	} else if bad {
		return k.freeze(ctx, &c, height, "header time out of order")
	}
	if err := k.ConsensusStates.Set(ctx, collections.Join(id, height), cs); err != nil {
		return err
	}
	if height > c.LatestHeight {
		c.LatestHeight = height
		if err := k.Clients.Set(ctx, id, c); err != nil {
			return err
		}
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypeUpdateClient, AttrClientID, id, AttrHeight, fmt.Sprint(height))
	return nil
}

// breaksTimeOrder reports whether a consensus state at height with time ts would not lie
// strictly between its stored neighbours' times.
func (k Keeper) breaksTimeOrder(ctx context.Context, id string, height uint64, ts int64) (bool, error) {
	below, err := k.ConsensusStates.Iterate(ctx, collections.NewPrefixedPairRange[string, uint64](id).EndExclusive(height).Descending())
	if err != nil {
		return false, err
	}
	defer below.Close()
	if below.Valid() {
		prev, err := below.Value()
		if err != nil {
			return false, err
		}
		if prev.Timestamp >= ts {
			return true, nil
		}
	}
	above, err := k.ConsensusStates.Iterate(ctx, collections.NewPrefixedPairRange[string, uint64](id).StartExclusive(height))
	if err != nil {
		return false, err
	}
	defer above.Close()
	if above.Valid() {
		next, err := above.Value()
		if err != nil {
			return false, err
		}
		if next.Timestamp <= ts {
			return true, nil
		}
	}
	return false, nil
}

func (k Keeper) freeze(ctx context.Context, c *ClientState, height uint64, why string) error {
	c.FrozenHeight = height
	if err := k.Clients.Set(ctx, c.ClientId, *c); err != nil {
		return err
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypeClientFrozen, AttrClientID, c.ClientId, AttrHeight, fmt.Sprint(height), AttrReason, why)
	return nil
}

// SubmitMisbehaviour freezes the client if both headers verify and conflict: the same
// height with different blocks, or a higher height with a time not after the lower's.
func (k Keeper) SubmitMisbehaviour(ctx context.Context, id string, h1, h2 *Header) error {
	c, err := k.activeClient(ctx, id)
	if err != nil {
		return err
	}
	d1, err := k.verifyHeader(ctx, &c, h1)
	if err != nil {
		return runtime.Wrapf(err, "header_1")
	}
	d2, err := k.verifyHeader(ctx, &c, h2)
	if err != nil {
		return runtime.Wrapf(err, "header_2")
	}
	a, b := d1.signed, d2.signed
	if a.Height > b.Height {
		a, b = b, a
	}
	switch {
	case a.Height == b.Height && !bytes.Equal(a.Hash(), b.Hash()):
		return k.freeze(ctx, &c, uint64(a.Height), "misbehaviour: two blocks at one height")
	case a.Height < b.Height && !b.Time.After(a.Time):
		return k.freeze(ctx, &c, uint64(b.Height), "misbehaviour: time went backwards")
	}
	return ErrNoMisbehaviour.Wrapf("headers %d and %d of %s do not conflict", a.Height, b.Height, c.ChainId)
}

// RecoverClient gives a frozen or expired subject the substitute's latest consensus state
// and unfreezes it; the substitute must be active and follow the same chain with the same
// parameters. Only the params authority may.
func (k Keeper) RecoverClient(ctx context.Context, authority, subjectID, substituteID string) error {
	p, err := k.GetParams(ctx)
	if err != nil {
		return err
	}
	if authority != p.Authority {
		return ErrNotAuthority.Wrapf("%s may not recover clients; the authority is %s", authority, p.Authority)
	}
	subject, err := k.client(ctx, subjectID)
	if err != nil {
		return err
	}
	if st, _, err := k.status(ctx, &subject); err != nil {
		return err
	} else if st == CLIENT_STATUS_ACTIVE {
		return ErrInvalidRecovery.Wrapf("client %s is active: only a frozen or expired client is recovered", subjectID)
	}
	sub, err := k.activeClient(ctx, substituteID)
	if err != nil {
		return runtime.Wrapf(err, "substitute")
	}
	if sub.ChainId != subject.ChainId || sub.Params != subject.Params {
		return ErrInvalidRecovery.Wrapf("substitute %s (chain %s) must follow the subject's chain %s with the same parameters", substituteID, sub.ChainId, subject.ChainId)
	}
	if sub.LatestHeight <= subject.LatestHeight {
		return ErrInvalidRecovery.Wrapf("substitute %s is at height %d, not past the subject's %d", substituteID, sub.LatestHeight, subject.LatestHeight)
	}
	cs, err := k.consensusState(ctx, substituteID, sub.LatestHeight)
	if err != nil {
		return err
	}
	if err := k.ConsensusStates.Set(ctx, collections.Join(subjectID, sub.LatestHeight), cs); err != nil {
		return err
	}
	subject.LatestHeight, subject.FrozenHeight = sub.LatestHeight, 0
	if err := k.Clients.Set(ctx, subjectID, subject); err != nil {
		return err
	}
	runtime.Unwrap(ctx).EventManager().Emit(EventTypeRecoverClient, AttrClientID, subjectID, AttrSubstitute, substituteID, AttrHeight, fmt.Sprint(sub.LatestHeight))
	return nil
}

func sameConsensusState(a, b ConsensusState) bool {
	return a.Timestamp == b.Timestamp && bytes.Equal(a.AppHash, b.AppHash) && bytes.Equal(a.NextValidatorsHash, b.NextValidatorsHash)
}
