package backup

import (
	"bytes"
	"testing"
)

// FuzzAnsweredBy: no bytes panic answeredBy; where Challenge.Unmarshal accepts
// them too, both read the same answered_height and holder_node_id; and a
// marshalled challenge reads back as written.
func FuzzAnsweredBy(f *testing.F) {
	ch, _ := cachedProof(f)
	ch.AnsweredHeight = 12345
	good, err := ch.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, int64(7), "00112233445566778899aabbccddeeff00112233")
	f.Add([]byte{0x60, 0xff}, int64(-1), "")
	f.Fuzz(func(t *testing.T, bz []byte, h int64, node string) {
		got, gotNode, err := answeredBy(bz)
		var want Challenge
		if err == nil && want.Unmarshal(bz) == nil {
			if got != want.AnsweredHeight || string(gotNode) != want.HolderNodeId {
				t.Fatalf("answeredBy %d %q, Unmarshal %d %q", got, gotNode, want.AnsweredHeight, want.HolderNodeId)
			}
		}
		c := Challenge{AgreementId: 1, Seed: bz, AnsweredHeight: h, HolderNodeId: node, Root: bytes.Repeat([]byte{1}, 32)}
		enc, err := c.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		got, gotNode, err = answeredBy(enc)
		if err != nil || got != h || string(gotNode) != node {
			t.Fatalf("round trip: %d %q %v, want %d %q", got, gotNode, err, h, node)
		}
	})
}

// The log of answered challenges: deduplicated and sorted once taken, empty
// for another height, and closed to settling once taken.
func TestAnsweredLog(t *testing.T) {
	var l answeredLog
	l.reset(5)
	for _, id := range []uint64{9, 3, 9, 7} {
		l.note(5, id)
	}
	if !l.pending(5) || l.pending(6) {
		t.Fatal("pending")
	}
	if got := l.take(6); got != nil {
		t.Fatalf("another height's ids: %v", got)
	}
	l.reset(5)
	l.note(5, 4)
	l.note(5, 4)
	l.note(5, 2)
	if got := l.take(5); len(got) != 2 || got[0] != 2 || got[1] != 4 {
		t.Fatalf("take: %v", got)
	}
	if l.pending(5) || l.take(5) != nil {
		t.Fatal("taken twice")
	}
	l.note(6, 1) // no BeginBlock (keeper tests): the height starts here
	if got := l.take(6); len(got) != 1 {
		t.Fatalf("take without reset: %v", got)
	}
}
