package poai_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	cryptoenc "github.com/cometbft/cometbft/crypto/encoding"
	"github.com/cosmos/gogoproto/proto"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/testutil"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/poai"
)

// FuzzRecordScores feeds arbitrary risks and agreement signals (what validators'
// vote extensions turn into) to the keeper: it must never fail or panic, and
// reputations stay within 0..1,000,000.
func FuzzRecordScores(f *testing.F) {
	f.Add([]byte{0, 0, 0, 1, 0, 0, 3, 0xe8}, []byte{})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, genKey.PubKey().Address().Bytes())
	f.Fuzz(func(t *testing.T, risks, signals []byte) {
		e := newEnv(t)
		ctx := e.ctx(5)
		if err := e.k.SetBlockTxs(ctx, 3, make([]byte, 32), []poai.BlockTx{{Hash: []byte{1}, Sender: alice.Addr}, {Hash: []byte{2}, Sender: []byte{9}}}); err != nil {
			t.Fatal(err)
		}
		var rs []poai.TxRisk
		for len(risks) >= 8 {
			rs = append(rs, poai.TxRisk{Index: binary.BigEndian.Uint32(risks) % 4, Risk: binary.BigEndian.Uint32(risks[4:])})
			risks = risks[8:]
		}
		if err := e.k.RecordTxRisks(ctx, 3, rs); err != nil {
			t.Fatal(err)
		}
		var ss []poai.AgreementSignal
		for len(signals) >= 25 {
			ss = append(ss, poai.AgreementSignal{ConsAddress: signals[:20], Scored: signals[20]%2 == 0, Agreement: binary.BigEndian.Uint32(signals[21:])})
			signals = signals[25:]
		}
		ss = append(ss, poai.AgreementSignal{ConsAddress: genKey.PubKey().Address(), Scored: len(signals)%2 == 0, Agreement: uint32(len(signals)) * 100_000})
		if err := e.k.RecordAgreement(ctx, 3, ss); err != nil {
			t.Fatal(err)
		}
		v, _, err := e.k.ValidatorByConsAddr(ctx, genKey.PubKey().Address())
		if err != nil || v.Reputation > poai.PPM || v.AgreementAvg > poai.PPM {
			t.Fatalf("reputation out of range: %+v %v", v, err)
		}
	})
}

// FuzzMsgs decodes arbitrary bytes as each poai message and runs ValidateBasic
// and the handler: whatever a client sends, nothing may panic.
func FuzzMsgs(f *testing.F) {
	seed, _ := (&poai.MsgCreateValidator{OperatorAddress: alice.Addr.String(), ConsensusKey: poai.ConsensusKeyFromPubKey(newKey.PubKey()),
		SelfStake: types.NewCoin("uself", 1_000_000), ModelName: "m", ModelHash: make([]byte, 32),
		ConsensusKeyProof: keyProof(newKey, alice.Addr.String())}).Marshal()
	for i := byte(0); i < 7; i++ {
		f.Add(i, seed)
	}
	f.Fuzz(func(t *testing.T, kind byte, bz []byte) {
		e := newEnv(t)
		ctx := e.ctx(3)
		s := poai.NewMsgServer(e.k)
		var msg runtime.Msg
		var run func() error
		switch kind % 7 {
		case 0:
			m := &poai.MsgCreateValidator{}
			msg, run = m, func() error { _, err := s.CreateValidator(ctx, m); return err }
		case 1:
			m := &poai.MsgEditValidator{}
			msg, run = m, func() error { _, err := s.EditValidator(ctx, m); return err }
		case 2:
			m := &poai.MsgBond{}
			msg, run = m, func() error { _, err := s.Bond(ctx, m); return err }
		case 3:
			m := &poai.MsgUnbond{}
			msg, run = m, func() error { _, err := s.Unbond(ctx, m); return err }
		case 4:
			m := &poai.MsgUnjail{}
			msg, run = m, func() error { _, err := s.Unjail(ctx, m); return err }
		case 5:
			m := &poai.MsgWithdrawRewards{}
			msg, run = m, func() error { _, err := s.WithdrawRewards(ctx, m); return err }
		default:
			m := &poai.MsgUpdateParams{}
			msg, run = m, func() error { _, err := s.UpdateParams(ctx, m); return err }
		}
		if err := proto.Unmarshal(bz, msg); err != nil {
			return
		}
		_ = msg.ValidateBasic()
		if err := run(); err != nil {
			if cs, _, _ := runtime.ABCIInfo(err); cs == runtime.UndefinedCodespace {
				t.Fatalf("unregistered error for a client's message: %v", err)
			}
		}
	})
}

// FuzzValidateConsensusKey: the consensus-key check (ValidateConsensusKey) and
// the proof check never panic; every refusal carries one of the key codes; and
// an accepted key is one CometBFT parses to the same bytes and address, that
// the parse used for stored keys accepts, and under which the universal forgery
// of small-order keys (R = identity, S = 0) does not verify.
func FuzzValidateConsensusKey(f *testing.F) {
	keyTypes := []string{"ed25519", "ml_dsa_65", "secp256k1", "", "ed25519 "}
	pq := mlDSAKey(f, 9)
	// The only keys whose proofs the fuzzer can know.
	known := map[string][]byte{
		string(genKey.PubKey().Bytes()): keyProof(genKey, alice.Addr.String()),
		string(pq.PubKey().Bytes()):     keyProof(pq, alice.Addr.String()),
	}
	for _, seed := range []struct {
		kind  byte
		key   []byte
		proof []byte
	}{
		{0, genKey.PubKey().Bytes(), keyProof(genKey, alice.Addr.String())},
		{0, zeroKey, make([]byte, 64)},
		{0, order8Key, append(append([]byte{1}, make([]byte, 31)...), make([]byte, 32)...)},
		{0, nonCanonicalKey, nil},
		{0, append([]byte{3}, make([]byte, 31)...), nil},
		{0, hexBytes("0100000000000000000000000000000000000000000000000000000000000080"), nil},
		{1, pq.PubKey().Bytes(), keyProof(pq, alice.Addr.String())},
		{1, pq.PubKey().Bytes()[:1000], nil},
		{2, make([]byte, 33), make([]byte, 64)},
	} {
		f.Add(seed.kind, seed.key, seed.proof)
	}
	forged := append(append([]byte{1}, make([]byte, 31)...), make([]byte, 32)...)
	f.Fuzz(func(t *testing.T, kind byte, key, proof []byte) {
		ck := poai.ConsensusKey{Type: keyTypes[int(kind)%len(keyTypes)], Key: key}
		pk, err := poai.ValidateConsensusKey(ck)
		if err != nil {
			if !errors.Is(err, poai.ErrInvalidConsensusKey) && !errors.Is(err, poai.ErrSmallOrderConsensusKey) && !errors.Is(err, poai.ErrConsensusKeyTypeNotAllowed) {
				t.Fatalf("%s %x: refused with an unexpected error: %v", ck.Type, key, err)
			}
			return
		}
		if ck.Type != "ed25519" && ck.Type != "ml_dsa_65" {
			t.Fatalf("accepted type %q", ck.Type)
		}
		if !bytes.Equal(pk.Bytes(), key) || pk.Type() != ck.Type {
			t.Fatalf("accepted %s %x parses to %s %x", ck.Type, key, pk.Type(), pk.Bytes())
		}
		cpk, err := cryptoenc.PubKeyFromTypeAndBytes(ck.Type, key)
		if err != nil || !bytes.Equal(cpk.Address(), pk.Address()) {
			t.Fatalf("CometBFT does not parse the accepted key %x the same way: %v", key, err)
		}
		if stored, err := poai.PubKeyFromConsensusKey(ck); err != nil || !stored.Equals(pk) {
			t.Fatalf("the stored-key parse refuses an accepted key: %v", err)
		}
		msg := poai.KeyProofSignBytes(testutil.ChainID, alice.Addr)
		if ck.Type == "ed25519" && pk.VerifySignature(msg, forged) {
			t.Fatalf("the small-order forgery verifies under accepted key %x", key)
		}
		// The proof check never panics, and random bytes do not verify.
		if err := poai.VerifyKeyProof(pk, testutil.ChainID, alice.Addr, proof); err == nil && !bytes.Equal(proof, known[string(key)]) {
			t.Fatalf("a proof not made by the key verified: key %x proof %x", key, proof)
		}
	})
}
