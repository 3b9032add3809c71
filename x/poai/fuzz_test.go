package poai_test

import (
	"encoding/binary"
	"testing"

	"github.com/cosmos/gogoproto/proto"

	"github.com/selfchain/selfchain/app/runtime"
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
		if err := e.k.SetBlockTxs(ctx, 3, []poai.BlockTx{{Hash: []byte{1}, Sender: alice.Addr}, {Hash: []byte{2}, Sender: []byte{9}}}); err != nil {
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
		SelfStake: types.NewCoin("uself", 1_000_000), ModelName: "m", ModelHash: make([]byte, 32)}).Marshal()
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
