package runtime

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"

	"github.com/cosmos/gogoproto/proto"
	gogotypes "github.com/cosmos/gogoproto/types"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Canonical decoding of signed bytes.
//
// What a signer approves must have exactly one reading, so every protobuf message a
// tx carries (the envelope, the body, the auth info, each message, each message
// packed in an Any at any depth) is accepted only in its canonical encoding: the
// bytes must equal what the generated gogoproto Marshal writes for the decoded
// value. That one rule refuses unknown fields (critical or not: there is no
// extension mechanism), a non-repeated field given twice (the last would win), fields
// out of field-number order, non-minimal or overflowing varints, unpacked repeated
// scalars and explicitly encoded defaults. The check is a re-encoding and a
// bytes.Equal; only when it fails does a slower walker over the wire format say
// which field, where, and why (Diagnose).
//
// gogoproto's own google.protobuf.Any keeps unknown fields (XXX_unrecognized) and
// writes them back, so a re-encoding cannot see them: an Any is checked by
// CheckAny, which every decoding of an Any goes through (MsgRouter.DecodeAny).

// CanonicalMsg is a generated gogoproto message (its own Marshal, Unmarshal, Size).
type CanonicalMsg interface {
	proto.Message
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
	Size() int
	MarshalToSizedBuffer([]byte) (int, error)
}

// canonBufs recycles the re-encoding buffers of the fast path, so checking a tx
// allocates nothing beyond decoding it.
var canonBufs = sync.Pool{New: func() any { return new([]byte) }}

// isCanonical reports whether bz is exactly the encoding of m (decoded from bz).
func isCanonical(bz []byte, m CanonicalMsg) bool {
	n := m.Size()
	if n != len(bz) {
		return false
	}
	bp := canonBufs.Get().(*[]byte)
	buf := *bp
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	k, err := m.MarshalToSizedBuffer(buf)
	ok := err == nil && k == n && bytes.Equal(buf, bz)
	*bp = buf
	canonBufs.Put(bp)
	return ok
}

// UnmarshalCanonical decodes bz into m, which must be a zero value, and accepts bz
// only if it is m's canonical encoding. path names m in error messages
// ("body", "auth_info", "body.messages[0] (/selfchain.bank.v1.MsgSend)").
// A non-canonical encoding is ErrNonCanonical; bytes that are not protobuf at all
// (truncated, invalid wire types) or whose values a type refuses are ErrTxDecode.
func UnmarshalCanonical(path string, bz []byte, m CanonicalMsg) error {
	return unmarshalCanonical(path, "", bz, m)
}

// unmarshalCanonical is UnmarshalCanonical with the path built only on failure:
// path, then " (typeURL)" when typeURL is set.
func unmarshalCanonical(path, typeURL string, bz []byte, m CanonicalMsg) error {
	if err := m.Unmarshal(bz); err != nil {
		d := Diagnose(bz, nil, m)
		if d.NonCanonical && !d.Malformed {
			return ErrNonCanonical.Wrapf("%s%s: %s", withType(path, typeURL), d.Path, d.Reason)
		}
		return ErrTxDecode.Wrapf("%s: %v", withType(path, typeURL), err)
	}
	if !isCanonical(bz, m) {
		canon, err := m.Marshal()
		if err != nil {
			return ErrTxDecode.Wrapf("%s: re-encoding: %v", withType(path, typeURL), err)
		}
		d := Diagnose(bz, canon, m)
		if d.Malformed {
			return ErrTxDecode.Wrapf("%s%s: %s", withType(path, typeURL), d.Path, d.Reason)
		}
		return ErrNonCanonical.Wrapf("%s%s: %s", withType(path, typeURL), d.Path, d.Reason)
	}
	return nil
}

func withType(path, typeURL string) string {
	if typeURL == "" {
		return path
	}
	return path + " (" + typeURL + ")"
}

// CheckAny refuses an Any with unknown fields. gogoproto's Any keeps them and writes
// them back, so the re-encoding of the message holding it cannot see them.
func CheckAny(path string, a *gogotypes.Any) error {
	if len(a.XXX_unrecognized) == 0 {
		return nil
	}
	if f, reason, _ := parseField(a.XXX_unrecognized); reason == "" {
		return ErrNonCanonical.Wrapf("%s: unknown field %d", path, f.num)
	}
	return ErrNonCanonical.Wrapf("%s: unknown fields", path)
}

// Diagnosis says where and why bytes are not a message's canonical encoding.
type Diagnosis struct {
	Path         string // below the message: "", ".signer_infos[0]", ".fee.amount[1]"
	Reason       string // "unknown field 9", "field 2 (to_address) appears twice", ...
	NonCanonical bool   // a (first) canonical-encoding rule is broken
	Malformed    bool   // the bytes are not valid protobuf for m (truncated, wrong wire type...)
}

// Diagnose walks orig, which encodes a message of m's type, and reports its first
// departure from the canonical encoding in byte order; canon, when given, is the
// re-encoding of orig's decoded value, compared field by field when orig breaks no
// wire-level rule (a field the re-encoding drops or adds, a value it rewrites). It
// is the slow path: called only once the fast check has failed.
func Diagnose(orig, canon []byte, m proto.Message) Diagnosis {
	md := descriptorOf(m)
	if md == nil { // no descriptor registered: the comparison is all there is
		if canon == nil {
			return Diagnosis{}
		}
		return Diagnosis{NonCanonical: true, Reason: "not the canonical encoding of " + proto.MessageName(m) + firstDiff(orig, canon)}
	}
	w := walker{}
	w.scan(orig, md, "", 0)
	if w.malformed != nil {
		return *w.malformed
	}
	if w.first != nil {
		return *w.first
	}
	if canon != nil {
		if d := compare(orig, canon, md, "", 0); d != nil {
			return *d
		}
		return Diagnosis{NonCanonical: true, Reason: "not the canonical encoding" + firstDiff(orig, canon)}
	}
	return Diagnosis{}
}

func firstDiff(a, b []byte) string {
	if b == nil {
		return ""
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return fmt.Sprintf(" (it re-encodes differently from byte %d)", i)
}

func descriptorOf(m proto.Message) protoreflect.MessageDescriptor {
	name := proto.MessageName(m)
	if name == "" {
		return nil
	}
	d, err := proto.HybridResolver.FindDescriptorByName(protoreflect.FullName(name))
	if err != nil {
		return nil
	}
	md, _ := d.(protoreflect.MessageDescriptor)
	return md
}

// maxWalkDepth bounds the walker's recursion into nested messages.
const maxWalkDepth = 64

type varintStatus int

const (
	varintOK varintStatus = iota
	varintTruncated
	varintOverflow
)

// readVarint reads a base-128 varint: at most 10 bytes, the 10th at most 1.
func readVarint(b []byte) (uint64, int, varintStatus) {
	var v uint64
	for i := 0; i < len(b); i++ {
		c := b[i]
		if i == 9 && c > 1 {
			return 0, 0, varintOverflow
		}
		v |= uint64(c&0x7f) << (7 * uint(i))
		if c < 0x80 {
			return v, i + 1, varintOK
		}
	}
	if len(b) >= 10 {
		return 0, 0, varintOverflow
	}
	return 0, 0, varintTruncated
}

// wireField is one field as it appears on the wire.
type wireField struct {
	num     protowire.Number
	typ     protowire.Type
	tagLen  int
	raw     []byte // the whole field: tag and value
	payload []byte // a length-delimited field's content; the value of other types
	varint  uint64 // the value of a varint field, or the length of a delimited one
	valLen  int    // bytes the varint (or length prefix) took
}

// parseField reads the field at b. A non-empty reason means the bytes are
// malformed (or, overflow true, hold a varint that overflows 64 bits).
func parseField(b []byte) (f wireField, reason string, overflow bool) {
	tag, n, st := readVarint(b)
	switch st {
	case varintTruncated:
		return f, "truncated tag", false
	case varintOverflow:
		return f, "tag varint overflows 64 bits", true
	}
	f.tagLen = n
	num, typ := protowire.Number(tag>>3), protowire.Type(tag&7)
	if tag>>3 > uint64(protowire.MaxValidNumber) || num < protowire.MinValidNumber {
		return f, fmt.Sprintf("invalid field number %d", tag>>3), false
	}
	f.num, f.typ = num, typ
	rest := b[n:]
	switch typ {
	case protowire.VarintType:
		v, vn, st := readVarint(rest)
		switch st {
		case varintTruncated:
			return f, fmt.Sprintf("field %d: truncated varint", num), false
		case varintOverflow:
			return f, fmt.Sprintf("field %d: varint overflows 64 bits", num), true
		}
		f.varint, f.valLen, f.payload = v, vn, rest[:vn]
		f.raw = b[:n+vn]
	case protowire.Fixed32Type, protowire.Fixed64Type:
		size := 4
		if typ == protowire.Fixed64Type {
			size = 8
		}
		if len(rest) < size {
			return f, fmt.Sprintf("field %d: truncated fixed-size value", num), false
		}
		f.payload, f.raw = rest[:size], b[:n+size]
	case protowire.BytesType:
		l, ln, st := readVarint(rest)
		if st == varintTruncated {
			return f, fmt.Sprintf("field %d: truncated length", num), false
		}
		if st == varintOverflow || l > uint64(len(rest)-ln) {
			return f, fmt.Sprintf("field %d: length %d runs past the end of the message", num, l), false
		}
		f.varint, f.valLen = l, ln
		f.payload, f.raw = rest[ln:ln+int(l)], b[:n+ln+int(l)]
	case protowire.StartGroupType:
		gn := protowire.ConsumeFieldValue(num, typ, rest)
		if gn < 0 {
			return f, fmt.Sprintf("field %d: %v", num, protowire.ParseError(gn)), false
		}
		f.payload, f.raw = rest[:gn], b[:n+gn]
	default:
		return f, fmt.Sprintf("field %d: invalid wire type %d", num, typ), false
	}
	return f, "", false
}

func fieldLabel(fd protoreflect.FieldDescriptor) string {
	return fmt.Sprintf("field %d (%s)", fd.Number(), fd.Name())
}

// wireTypeOf is the wire type of one value of a field's kind.
func wireTypeOf(k protoreflect.Kind) protowire.Type {
	switch k {
	case protoreflect.BoolKind, protoreflect.EnumKind, protoreflect.Int32Kind, protoreflect.Sint32Kind,
		protoreflect.Uint32Kind, protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Uint64Kind:
		return protowire.VarintType
	case protoreflect.Sfixed32Kind, protoreflect.Fixed32Kind, protoreflect.FloatKind:
		return protowire.Fixed32Type
	case protoreflect.Sfixed64Kind, protoreflect.Fixed64Kind, protoreflect.DoubleKind:
		return protowire.Fixed64Type
	case protoreflect.GroupKind:
		return protowire.StartGroupType
	default: // string, bytes, message
		return protowire.BytesType
	}
}

// varintProblem says why v, read for a field of kind k, is not canonical ("" if it is).
func varintProblem(k protoreflect.Kind, v uint64) string {
	switch k {
	case protoreflect.BoolKind:
		if v > 1 {
			return fmt.Sprintf("bool encoded as %d (only 0 or 1)", v)
		}
	case protoreflect.Int32Kind, protoreflect.EnumKind:
		if uint64(int64(int32(v))) != v {
			return fmt.Sprintf("value %d does not fit in 32 bits (negative values take 10 bytes)", v)
		}
	case protoreflect.Uint32Kind, protoreflect.Sint32Kind:
		if v > 1<<32-1 {
			return fmt.Sprintf("value %d does not fit in 32 bits", v)
		}
	}
	return ""
}

type walker struct {
	first     *Diagnosis // first non-canonical finding in byte order
	malformed *Diagnosis // first malformation (ends the walk)
}

func (w *walker) noncanon(path, format string, args ...any) {
	if w.first == nil {
		w.first = &Diagnosis{Path: path, Reason: fmt.Sprintf(format, args...), NonCanonical: true}
	}
}

func (w *walker) bad(path, reason string) {
	w.malformed = &Diagnosis{Path: path, Reason: reason, Malformed: true}
}

// scan checks b, a message of type md, against the wire-level rules of the canonical
// encoding, depth first in byte order. It stops at the first malformation.
func (w *walker) scan(b []byte, md protoreflect.MessageDescriptor, path string, depth int) {
	if depth > maxWalkDepth {
		w.bad(path, fmt.Sprintf("messages nested deeper than %d levels", maxWalkDepth))
		return
	}
	fields := md.Fields()
	var prev protoreflect.FieldDescriptor
	seen := map[protowire.Number]int{}
	for len(b) > 0 {
		f, reason, overflow := parseField(b)
		if reason != "" {
			if !overflow {
				w.bad(path, reason)
				return
			}
			// An overflowing varint breaks the canonical encoding, whether the generated
			// decoder refuses it ("integer overflow") or silently truncates it. What
			// follows cannot be read reliably: the walk ends here.
			if fd := fields.ByNumber(f.num); fd != nil {
				w.noncanon(path, "%s: varint overflows 64 bits", fieldLabel(fd))
			} else {
				w.noncanon(path, "%s", reason)
			}
			return
		}
		b = b[len(f.raw):]
		if f.tagLen != protowire.SizeVarint(protowire.EncodeTag(f.num, f.typ)) {
			w.noncanon(path, "the tag of field %d takes %d bytes, its minimal encoding %d", f.num, f.tagLen, protowire.SizeVarint(protowire.EncodeTag(f.num, f.typ)))
		}
		fd := fields.ByNumber(f.num)
		if fd == nil {
			w.noncanon(path, "unknown field %d", f.num)
			continue
		}
		label := fieldLabel(fd)
		repeated := fd.IsList() || fd.IsMap()
		switch {
		case seen[f.num] > 0 && !repeated:
			w.noncanon(path, "%s appears twice", label)
		case prev != nil && f.num < prev.Number():
			w.noncanon(path, "%s comes after %s: fields must be in increasing field-number order", label, fieldLabel(prev))
		}
		idx := seen[f.num]
		seen[f.num]++
		prev = fd
		want := wireTypeOf(fd.Kind())
		elemPath := path + "." + string(fd.Name())
		if repeated {
			elemPath += "[" + strconv.Itoa(idx) + "]"
		}
		scalarList := fd.IsList() && want != protowire.BytesType && want != protowire.StartGroupType
		if scalarList && f.typ == protowire.BytesType {
			if !fd.IsPacked() {
				w.noncanon(path, "%s is packed; its canonical encoding is unpacked", label)
			}
			if f.valLen != protowire.SizeVarint(f.varint) {
				w.noncanon(path, "%s: the length prefix takes %d bytes, its minimal encoding %d", label, f.valLen, protowire.SizeVarint(f.varint))
			}
			if w.scanPacked(f, fd, path, label); w.malformed != nil {
				return
			}
			continue
		}
		if f.typ != want {
			w.bad(path, fmt.Sprintf("%s has wire type %d, its type %s needs %d", label, f.typ, fd.Kind(), want))
			return
		}
		if scalarList && fd.IsPacked() {
			w.noncanon(path, "%s is not packed (proto3 packs repeated scalars)", label)
		}
		switch f.typ {
		case protowire.VarintType:
			if f.valLen != protowire.SizeVarint(f.varint) {
				w.noncanon(path, "%s: the varint takes %d bytes, its minimal encoding %d", label, f.valLen, protowire.SizeVarint(f.varint))
			}
			if p := varintProblem(fd.Kind(), f.varint); p != "" {
				w.noncanon(path, "%s: %s", label, p)
			}
		case protowire.BytesType:
			if f.valLen != protowire.SizeVarint(f.varint) {
				w.noncanon(path, "%s: the length prefix takes %d bytes, its minimal encoding %d", label, f.valLen, protowire.SizeVarint(f.varint))
			}
			if fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
				if w.scan(f.payload, fd.Message(), elemPath, depth+1); w.malformed != nil {
					return
				}
			}
		}
	}
}

// scanPacked checks the elements of a packed repeated scalar.
func (w *walker) scanPacked(f wireField, fd protoreflect.FieldDescriptor, path, label string) {
	b := f.payload
	want := wireTypeOf(fd.Kind())
	for len(b) > 0 {
		switch want {
		case protowire.VarintType:
			v, n, st := readVarint(b)
			if st == varintOverflow {
				w.noncanon(path, "%s: varint overflows 64 bits", label)
				return
			}
			if st == varintTruncated {
				w.bad(path, label+": truncated packed varint")
				return
			}
			if n != protowire.SizeVarint(v) {
				w.noncanon(path, "%s: a packed varint takes %d bytes, its minimal encoding %d", label, n, protowire.SizeVarint(v))
			}
			if p := varintProblem(fd.Kind(), v); p != "" {
				w.noncanon(path, "%s: %s", label, p)
			}
			b = b[n:]
		case protowire.Fixed32Type, protowire.Fixed64Type:
			size := 4
			if want == protowire.Fixed64Type {
				size = 8
			}
			if len(b) < size {
				w.bad(path, label+": truncated packed value")
				return
			}
			b = b[size:]
		default:
			return
		}
	}
}

// splitFields parses a message known to be well formed (scan found no malformation).
func splitFields(b []byte) []wireField {
	var out []wireField
	for len(b) > 0 {
		f, reason, _ := parseField(b)
		if reason != "" {
			return out
		}
		out = append(out, f)
		b = b[len(f.raw):]
	}
	return out
}

// compare finds the first field where orig and its canonical re-encoding canon part.
func compare(orig, canon []byte, md protoreflect.MessageDescriptor, path string, depth int) *Diagnosis {
	if depth > maxWalkDepth {
		return nil
	}
	of, cf := splitFields(orig), splitFields(canon)
	idx := map[protowire.Number]int{}
	for i := 0; i < len(of) || i < len(cf); i++ {
		var o, c *wireField
		if i < len(of) {
			o = &of[i]
		}
		if i < len(cf) {
			c = &cf[i]
		}
		if o != nil && c != nil && bytes.Equal(o.raw, c.raw) {
			idx[o.num]++
			continue
		}
		switch {
		case o != nil && (c == nil || o.num < c.num):
			return extraField(*o, md, path)
		case c != nil && (o == nil || c.num < o.num):
			label := fmt.Sprintf("field %d", c.num)
			if fd := md.Fields().ByNumber(c.num); fd != nil {
				label = fieldLabel(fd)
			}
			return &Diagnosis{Path: path, NonCanonical: true,
				Reason: label + " is missing: its canonical encoding always includes it, even when empty"}
		}
		// Same field number, different bytes.
		fd := md.Fields().ByNumber(o.num)
		if fd == nil {
			return &Diagnosis{Path: path, NonCanonical: true, Reason: fmt.Sprintf("unknown field %d", o.num)}
		}
		label := fieldLabel(fd)
		if fd.Kind() == protoreflect.MessageKind && o.typ == protowire.BytesType && c.typ == protowire.BytesType {
			sub := path + "." + string(fd.Name())
			if fd.IsList() || fd.IsMap() {
				sub += "[" + strconv.Itoa(idx[o.num]) + "]"
			}
			if d := compare(o.payload, c.payload, fd.Message(), sub, depth+1); d != nil {
				return d
			}
			return &Diagnosis{Path: path, NonCanonical: true, Reason: label + " is not in canonical form"}
		}
		if fd.IsList() && wireTypeOf(fd.Kind()) != protowire.BytesType && i+1 < len(of) && of[i+1].num == o.num {
			return &Diagnosis{Path: path, NonCanonical: true,
				Reason: label + " is split into several packed runs; the canonical encoding has one"}
		}
		return &Diagnosis{Path: path, NonCanonical: true,
			Reason: fmt.Sprintf("%s holds %s, which re-encodes as %s", label, show(fd, *o), show(fd, *c))}
	}
	return nil
}

// extraField explains a field orig has and the canonical encoding drops.
func extraField(o wireField, md protoreflect.MessageDescriptor, path string) *Diagnosis {
	fd := md.Fields().ByNumber(o.num)
	if fd == nil {
		return &Diagnosis{Path: path, NonCanonical: true, Reason: fmt.Sprintf("unknown field %d", o.num)}
	}
	label := fieldLabel(fd)
	isDefault := (o.typ == protowire.VarintType && o.varint == 0) ||
		(o.typ == protowire.BytesType && len(o.payload) == 0) ||
		((o.typ == protowire.Fixed32Type || o.typ == protowire.Fixed64Type) && allZero(o.payload))
	if isDefault && fd.IsList() && wireTypeOf(fd.Kind()) != protowire.BytesType {
		return &Diagnosis{Path: path, NonCanonical: true,
			Reason: label + " encodes an empty packed list explicitly; the canonical encoding omits it"}
	}
	if isDefault && !fd.IsList() {
		return &Diagnosis{Path: path, NonCanonical: true,
			Reason: fmt.Sprintf("%s encodes its default value (%s) explicitly; the canonical encoding omits it", label, show(fd, o))}
	}
	return &Diagnosis{Path: path, NonCanonical: true,
		Reason: fmt.Sprintf("%s (%s) is dropped by the canonical encoding", label, show(fd, o))}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// show renders a field's value for a message a person reads (bounded).
func show(fd protoreflect.FieldDescriptor, f wireField) string {
	switch f.typ {
	case protowire.VarintType:
		return strconv.FormatUint(f.varint, 10)
	case protowire.BytesType:
		if fd.Kind() == protoreflect.StringKind {
			s := string(f.payload)
			if len(s) > 64 {
				s = s[:64] + "..."
			}
			return strconv.Quote(s)
		}
		return fmt.Sprintf("%d bytes", len(f.payload))
	default:
		return fmt.Sprintf("%x", f.payload)
	}
}
