package poai_test

import (
	"encoding/binary"
	"testing"

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
