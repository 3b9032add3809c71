package runtime

import (
	"bytes"

	"github.com/cosmos/gogoproto/jsonpb"
	"github.com/cosmos/gogoproto/proto"
)

// GogoMsg is a generated gogoproto message: it has its own reflection-free Marshal/Unmarshal.
type GogoMsg[T any] interface {
	*T
	proto.Message
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

// ProtoValue is a collections ValueCodec for gogoproto messages. collections'
// protocodec wants the SDK's codec types; the generated methods are all we need
// and are deterministic for messages without maps.
type ProtoValue[T any, PT GogoMsg[T]] struct{}

func (ProtoValue[T, PT]) Encode(v T) ([]byte, error) { return PT(&v).Marshal() }

func (ProtoValue[T, PT]) Decode(b []byte) (T, error) {
	var v T
	err := PT(&v).Unmarshal(b)
	return v, err
}

func (ProtoValue[T, PT]) EncodeJSON(v T) ([]byte, error) {
	var buf bytes.Buffer
	err := (&jsonpb.Marshaler{OrigName: true}).Marshal(&buf, PT(&v))
	return buf.Bytes(), err
}

func (ProtoValue[T, PT]) DecodeJSON(b []byte) (T, error) {
	var v T
	err := jsonpb.Unmarshal(bytes.NewReader(b), PT(&v))
	return v, err
}

func (ProtoValue[T, PT]) Stringify(v T) string { return PT(&v).String() }

func (ProtoValue[T, PT]) ValueType() string { return "gogoproto/" + proto.MessageName(PT(new(T))) }

// genesisJSON is how module genesis sections are written: proto field names, defaults included
// (so an exported genesis shows every field), 64-bit integers as strings per the proto JSON mapping.
var genesisJSON = jsonpb.Marshaler{OrigName: true, EmitDefaults: true}

func MarshalGenesis(m proto.Message) ([]byte, error) {
	var buf bytes.Buffer
	if err := genesisJSON.Marshal(&buf, m); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// UnmarshalGenesis rejects unknown fields, so a typo in a genesis file is an error, not a silent default.
func UnmarshalGenesis(data []byte, m proto.Message) error {
	return (&jsonpb.Unmarshaler{}).Unmarshal(bytes.NewReader(data), m)
}
