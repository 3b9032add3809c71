package tx_test

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	gogoproto "github.com/cosmos/gogoproto/proto"
	gogotypes "github.com/cosmos/gogoproto/types"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/types"
	"github.com/selfchain/selfchain/x/bank"
	"github.com/selfchain/selfchain/x/permissions"
)

// A wire-level model of a signed tx: every message at every depth (the envelope, the
// body and auth info inside its bytes fields, each Any and the message packed in it,
// MsgExec's inner messages) as a list of fields that mutations edit and assemble()
// writes back with fresh length prefixes.

type wnode struct {
	md     protoreflect.MessageDescriptor
	fields []*wfield
}

type wfield struct {
	num       protowire.Number
	typ       protowire.Type
	tagWidth  int    // bytes of the tag varint (0: minimal)
	v         uint64 // varint value
	vWidth    int    // bytes of the varint, or of a length prefix (0: minimal)
	payload   []byte // bytes or fixed-size value, when child is nil
	child     *wnode // a length-delimited field holding a known message
	synthetic bool   // inserted by a mutation
}

func descriptor(name string) protoreflect.MessageDescriptor {
	d, err := gogoproto.HybridResolver.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		panic(err)
	}
	return d.(protoreflect.MessageDescriptor)
}

// putVarint writes v in width bytes (minimal when width is too small to hold it).
func putVarint(b []byte, v uint64, width int) []byte {
	if width <= protowire.SizeVarint(v) {
		return protowire.AppendVarint(b, v)
	}
	for i := 0; i < width-1; i++ {
		b = append(b, byte(v&0x7f)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func parseNode(b []byte, md protoreflect.MessageDescriptor) *wnode {
	n := &wnode{md: md}
	typeURL := ""
	for len(b) > 0 {
		num, typ, tl := protowire.ConsumeTag(b)
		if tl < 0 {
			return nil
		}
		f := &wfield{num: num, typ: typ}
		b = b[tl:]
		switch typ {
		case protowire.VarintType:
			v, l := protowire.ConsumeVarint(b)
			if l < 0 {
				return nil
			}
			f.v, b = v, b[l:]
		case protowire.BytesType:
			p, l := protowire.ConsumeBytes(b)
			if l < 0 {
				return nil
			}
			f.payload, b = p, b[l:]
			if child := childDescriptor(md, num, typeURL); child != nil {
				if c := parseNode(p, child); c != nil {
					f.child, f.payload = c, nil
				}
			}
			if md.FullName() == "google.protobuf.Any" && num == 1 {
				typeURL = string(p)
			}
		default:
			l := protowire.ConsumeFieldValue(num, typ, b)
			if l < 0 {
				return nil
			}
			f.payload, b = b[:l], b[l:]
		}
		n.fields = append(n.fields, f)
	}
	return n
}

// childDescriptor is the message a length-delimited field holds, nil for plain bytes.
func childDescriptor(md protoreflect.MessageDescriptor, num protowire.Number, typeURL string) protoreflect.MessageDescriptor {
	switch md.FullName() {
	case "selfchain.tx.v1.TxRaw":
		switch num {
		case 1:
			return descriptor("selfchain.tx.v1.TxBody")
		case 2:
			return descriptor("selfchain.tx.v1.AuthInfo")
		}
		return nil
	case "google.protobuf.Any":
		if num == 2 && len(typeURL) > 1 {
			d, err := gogoproto.HybridResolver.FindDescriptorByName(protoreflect.FullName(typeURL[1:]))
			if err == nil {
				md, _ := d.(protoreflect.MessageDescriptor)
				return md
			}
		}
		return nil
	}
	if fd := md.Fields().ByNumber(num); fd != nil && fd.Kind() == protoreflect.MessageKind {
		return fd.Message()
	}
	return nil
}

func (n *wnode) assemble() []byte {
	var out []byte
	for _, f := range n.fields {
		out = putVarint(out, uint64(protowire.EncodeTag(f.num, f.typ)), f.tagWidth)
		switch f.typ {
		case protowire.VarintType:
			out = putVarint(out, f.v, f.vWidth)
		case protowire.BytesType:
			p := f.payload
			if f.child != nil {
				p = f.child.assemble()
			}
			out = putVarint(out, uint64(len(p)), f.vWidth)
			out = append(out, p...)
		default:
			out = append(out, f.payload...)
		}
	}
	return out
}

func (n *wnode) all(into []*wnode) []*wnode {
	into = append(into, n)
	for _, f := range n.fields {
		if f.child != nil {
			into = f.child.all(into)
		}
	}
	return into
}

func (n *wnode) maxFieldNumber() protowire.Number {
	max := protowire.Number(0)
	for i := 0; i < n.md.Fields().Len(); i++ {
		if num := n.md.Fields().Get(i).Number(); num > max {
			max = num
		}
	}
	return max
}

func (f *wfield) clone() *wfield {
	c := *f
	return &c
}

func (n *wnode) clone() *wnode {
	c := &wnode{md: n.md, fields: make([]*wfield, len(n.fields))}
	for i, f := range n.fields {
		c.fields[i] = f.clone()
		if f.child != nil {
			c.fields[i].child = f.child.clone()
		}
	}
	return c
}

// mutate applies the mutations ops describes to the tx model and reports how many it
// applied and whether the result is certainly not canonical (so Decode must refuse it).
func mutate(root *wnode, ops []byte, maxSteps int) (applied int, broken bool) {
	next := func() int {
		if len(ops) == 0 {
			return 0
		}
		b := ops[0]
		ops = ops[1:]
		return int(b)
	}
	for steps := 0; len(ops) > 0 && steps < maxSteps; steps++ {
		applied++
		op := next() % 6
		nodes := root.all(nil)
		n := nodes[next()%len(nodes)]
		pick := func() *wfield {
			if len(n.fields) == 0 {
				return nil
			}
			return n.fields[next()%len(n.fields)]
		}
		switch op {
		case 0: // duplicate a field, right after it or at the end
			f := pick()
			if f == nil {
				continue
			}
			i := indexOf(n.fields, f)
			at := i + 1
			if next()%2 == 1 {
				at = len(n.fields)
			}
			d := f.clone()
			d.synthetic = true
			n.fields = insert(n.fields, at, d)
			if fd := n.md.Fields().ByNumber(f.num); fd == nil || !(fd.IsList() || fd.IsMap()) {
				broken = true
			}
		case 1: // insert an unknown field
			num := n.maxFieldNumber() + 1 + protowire.Number(next()%4)
			f := &wfield{num: num, typ: protowire.VarintType, v: uint64(next()), synthetic: true}
			if next()%2 == 1 {
				f.typ, f.payload = protowire.BytesType, []byte{byte(next())}
			}
			n.fields = insert(n.fields, next()%(len(n.fields)+1), f)
			broken = true
		case 2: // re-encode a varint (tag, value or length prefix) non-minimally
			f := pick()
			if f == nil {
				continue
			}
			width := 2 + next()%9 // 2..10 bytes
			if next()%3 == 0 {
				if width > protowire.SizeVarint(uint64(protowire.EncodeTag(f.num, f.typ))) {
					f.tagWidth, broken = width, true
				}
				continue
			}
			switch f.typ {
			case protowire.VarintType:
				if width > protowire.SizeVarint(f.v) {
					f.vWidth, broken = width, true
				}
			case protowire.BytesType:
				l := len(f.payload)
				if f.child != nil {
					l = len(f.child.assemble())
				}
				if width > protowire.SizeVarint(uint64(l)) {
					f.vWidth, broken = width, true
				}
			}
		case 3: // swap two fields
			if len(n.fields) < 2 {
				continue
			}
			i, j := next()%len(n.fields), next()%len(n.fields)
			n.fields[i], n.fields[j] = n.fields[j], n.fields[i]
		case 4: // encode an absent scalar field's default value explicitly
			fd := n.md.Fields().Get(next() % n.md.Fields().Len())
			if fd.IsList() || fd.IsMap() || fd.HasPresence() || fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
				continue
			}
			present := false
			at := len(n.fields)
			for i, f := range n.fields {
				present = present || f.num == fd.Number()
				if f.num > fd.Number() && at == len(n.fields) {
					at = i
				}
			}
			if present {
				continue
			}
			f := &wfield{num: fd.Number(), typ: protowire.VarintType, synthetic: true}
			switch fd.Kind() {
			case protoreflect.StringKind, protoreflect.BytesKind:
				f.typ = protowire.BytesType
			case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
				f.typ, f.payload = protowire.Fixed32Type, make([]byte, 4)
			case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
				f.typ, f.payload = protowire.Fixed64Type, make([]byte, 8)
			}
			n.fields = insert(n.fields, at, f)
			broken = true
		case 5: // change a varint value of the original tx (may or may not stay canonical)
			f := pick()
			if f == nil || f.synthetic || f.typ != protowire.VarintType {
				continue
			}
			f.v = uint64(next()) << (7 * uint(next()%10))
		}
	}
	// Swaps break the encoding when they leave fields out of field-number order.
	for _, n := range root.all(nil) {
		for i := 1; i < len(n.fields); i++ {
			if n.fields[i].num < n.fields[i-1].num {
				broken = true
			}
		}
	}
	return applied, broken
}

func indexOf(fs []*wfield, f *wfield) int {
	for i, g := range fs {
		if g == f {
			return i
		}
	}
	return -1
}

func insert(fs []*wfield, at int, f *wfield) []*wfield {
	fs = append(fs, nil)
	copy(fs[at+1:], fs[at:])
	fs[at] = f
	return fs
}

var (
	baseTxsOnce sync.Once
	baseTxs     [][]byte
)

// canonTxs are valid signed txs of every shape the decoder handles: both key types,
// memo and timeout height, several messages, several fee denoms, MsgExec with
// messages packed inside, with and without the public key.
func canonTxs(tb testing.TB) [][]byte {
	baseTxsOnce.Do(func() {
		ed, _ := crypto.GenerateKey(crypto.KeyTypeEd25519)
		hy, _ := crypto.GenerateKey(crypto.KeyTypeHybrid)
		user, _ := crypto.GenerateKey(crypto.KeyTypeEd25519)
		to := user.PubKey().Address().String()
		send := func(from crypto.PrivKey, n uint64) runtime.Msg {
			return &bank.MsgSend{FromAddress: from.PubKey().Address().String(), ToAddress: to,
				Amount: types.Coins{types.NewCoin("uself", n), types.NewCoin("uzzz", 1)}}
		}
		pack := func(m runtime.Msg) *gogotypes.Any {
			v, _ := gogoproto.Marshal(m)
			return &gogotypes.Any{TypeUrl: "/" + gogoproto.MessageName(m), Value: v}
		}
		exec := &permissions.MsgExec{Grantee: ed.PubKey().Address().String(), User: to, AppId: "notes-app",
			Msgs: []*gogotypes.Any{pack(send(user, 3)), pack(&permissions.MsgSetKillSwitch{User: to, Enabled: true})}}
		builds := []struct {
			b   tx.Builder
			key crypto.PrivKey
		}{
			{tx.Builder{Msgs: []runtime.Msg{send(ed, 7)}, Fee: types.Coins{types.NewCoin("uself", 3)}, GasLimit: 100_000, IncludePubKey: true}, ed},
			{tx.Builder{Msgs: []runtime.Msg{send(hy, 1), send(hy, 300)}, Memo: "two sends", TimeoutHeight: 90_000,
				Fee: types.Coins{types.NewCoin("uself", 2), types.NewCoin("uzzz", 5)}, GasLimit: 300_000, IncludePubKey: true}, hy},
			{tx.Builder{Msgs: []runtime.Msg{exec}, Fee: types.Coins{types.NewCoin("uself", 1)}, GasLimit: 200_000}, ed},
		}
		for i, c := range builds {
			bz, err := c.b.Sign("fuzz-1", uint64(i), uint64(i*1000), tx.KeySigner{Key: c.key})
			if err != nil {
				panic(err)
			}
			baseTxs = append(baseTxs, bz)
		}
	})
	if _, err := tx.Decode(baseTxs[0], newDecoder(), 0); err != nil {
		tb.Fatalf("base tx does not decode: %v", err)
	}
	return baseTxs
}

// FuzzDecodeCanonical mutates valid signed txs at the field level, at every depth
// (duplicate a field, insert an unknown field, re-encode a varint non-minimally, swap
// fields, encode a default explicitly, change a value) and checks that whatever
// Decode accepts is exactly the canonical encoding of what it decoded — the envelope,
// the body, the auth info, every Any and every message, packed ones included — and
// that a mutation that certainly breaks the canonical encoding is refused with
// ErrNonCanonical.
func FuzzDecodeCanonical(f *testing.F) {
	base := canonTxs(f)
	for i := range base {
		f.Add(uint8(i), []byte{})
		for op := byte(0); op < 6; op++ {
			for node := byte(0); node < 12; node += 3 {
				f.Add(uint8(i), []byte{op, node, 1, 2, 3, 4})
			}
		}
	}
	roots := make([]*wnode, len(base))
	for i, bz := range base {
		if roots[i] = parseNode(bz, descriptor("selfchain.tx.v1.TxRaw")); roots[i] == nil {
			f.Fatal("base tx does not parse")
		}
	}
	dec := newDecoder()
	f.Fuzz(func(t *testing.T, which uint8, ops []byte) {
		root := roots[int(which)%len(roots)].clone()
		applied, broken := mutate(root, ops, 4)
		bz := root.assemble()
		got, err := tx.Decode(bz, dec, 0)
		if err != nil {
			// One mutation that breaks the encoding is refused for that reason; with
			// several, another (a second signer info, say) may be refused first.
			if broken && applied == 1 && !errors.Is(err, runtime.ErrNonCanonical) {
				t.Fatalf("non-canonical tx refused with another error: %v", err)
			}
			return
		}
		if broken {
			t.Fatalf("accepted a non-canonical tx (ops %x)", ops)
		}
		requireCanonical(t, "tx", &got.Raw, bz)
		requireCanonical(t, "body", &got.Body, got.Raw.BodyBytes)
		requireCanonical(t, "auth info", &got.AuthInfo, got.Raw.AuthInfoBytes)
		for i, a := range got.Body.Messages {
			requireAny(t, dec, a, got.Msgs[i], 0)
		}
	})
}

func requireCanonical(t *testing.T, what string, m interface{ Marshal() ([]byte, error) }, signed []byte) {
	t.Helper()
	again, err := m.Marshal()
	if err != nil || !bytes.Equal(again, signed) {
		t.Fatalf("accepted a non-canonical %s: signed %x, re-encoded %x", what, signed, again)
	}
}

// requireAny checks an accepted Any and its message, and the messages packed in it.
func requireAny(t *testing.T, dec *runtime.MsgRouter, a *gogotypes.Any, msg runtime.Msg, depth int) {
	t.Helper()
	if len(a.XXX_unrecognized) != 0 {
		t.Fatalf("accepted an Any with unknown fields %x", a.XXX_unrecognized)
	}
	if msg == nil {
		var err error
		if msg, err = dec.DecodeAny("inner", a); err != nil {
			t.Fatalf("accepted a tx whose packed message does not decode: %v", err)
		}
	}
	requireCanonical(t, a.TypeUrl, msg.(runtime.CanonicalMsg), a.Value)
	if p, ok := msg.(runtime.PackedMsgs); ok && depth < runtime.MaxPackedDepth {
		_, inner := p.PackedMsgs()
		for _, in := range inner {
			requireAny(t, dec, in, nil, depth+1)
		}
	}
}

// Every single mutation class, at every node of every base tx, is refused with
// ErrNonCanonical whenever it breaks the encoding (a deterministic sweep of what
// FuzzDecodeCanonical explores at random); changed values that stay canonical decode.
func TestSingleMutationsRefused(t *testing.T) {
	dec := newDecoder()
	refused := map[int]int{}
	for i, bz := range canonTxs(t) {
		base := parseNode(bz, descriptor("selfchain.tx.v1.TxRaw"))
		nodes := len(base.all(nil))
		for op := 0; op < 6; op++ {
			for node := 0; node < nodes; node++ {
				for a := 0; a < 8; a++ {
					for b := 0; b < 8; b++ {
						// op, node, two arguments; further arguments read as zeros.
						ops := []byte{byte(op), byte(node), byte(a), byte(b)}
						root := base.clone()
						applied, broken := mutate(root, ops, 1)
						if applied != 1 {
							t.Fatalf("ops %x applied %d mutations", ops, applied)
						}
						_, err := tx.Decode(root.assemble(), dec, 0)
						if broken && !errors.Is(err, runtime.ErrNonCanonical) {
							t.Fatalf("tx %d, ops %x: want ErrNonCanonical, got %v", i, ops, err)
						}
						if broken {
							refused[op]++
						}
					}
				}
			}
		}
	}
	for op := 0; op < 5; op++ {
		if refused[op] == 0 {
			t.Errorf("mutation %d never produced a non-canonical tx", op)
		}
	}
	t.Logf("refused per mutation class: %v", refused)
}
