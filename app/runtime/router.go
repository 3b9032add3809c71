package runtime

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"

	"github.com/cosmos/gogoproto/proto"
	gogotypes "github.com/cosmos/gogoproto/types"
	"google.golang.org/grpc"
)

// Msg is a transaction message: it validates itself without state and names its one signer.
type Msg interface {
	proto.Message
	ValidateBasic() error
	// Signer is the bech32 address that must sign (and pays, for the first message).
	Signer() string
}

// MsgHandler executes one message.
type MsgHandler func(ctx context.Context, msg Msg) (proto.Message, error)

// QueryHandler answers one query from its proto-encoded request.
type QueryHandler func(ctx context.Context, req []byte) (proto.Message, error)

// MsgRouter routes messages by type URL ("/selfchain.bank.v1.MsgSend"). It is a
// grpc.ServiceRegistrar, so the generated RegisterMsgServer wires a module's Msg service.
type MsgRouter struct {
	handlers map[string]MsgHandler
	types    map[string]reflect.Type // type URL -> message struct type, for decoding Any
}

func NewMsgRouter() *MsgRouter {
	return &MsgRouter{handlers: map[string]MsgHandler{}, types: map[string]reflect.Type{}}
}

var errDiscover = errors.New("discovering request type")

// requestType asks a generated method handler which request type it decodes, without running it.
func requestType(md grpc.MethodDesc, srv any) proto.Message {
	var got any
	_, _ = md.Handler(srv, context.Background(), func(in any) error { got = in; return errDiscover }, nil)
	msg, _ := got.(proto.Message)
	return msg
}

// RegisterService implements grpc.ServiceRegistrar.
func (r *MsgRouter) RegisterService(sd *grpc.ServiceDesc, srv any) {
	for _, md := range sd.Methods {
		md := md
		req := requestType(md, srv)
		msg, ok := req.(Msg)
		if !ok {
			panic(fmt.Sprintf("%s/%s: request %T does not implement runtime.Msg", sd.ServiceName, md.MethodName, req))
		}
		if _, ok := req.(CanonicalMsg); !ok {
			panic(fmt.Sprintf("%s/%s: request %T is not a generated gogoproto message (Marshal/Unmarshal)", sd.ServiceName, md.MethodName, req))
		}
		url := "/" + proto.MessageName(msg)
		if _, dup := r.handlers[url]; dup {
			panic("message registered twice: " + url)
		}
		r.types[url] = reflect.TypeOf(msg).Elem()
		r.handlers[url] = func(ctx context.Context, m Msg) (proto.Message, error) {
			res, err := md.Handler(srv, ctx, func(in any) error {
				reflect.ValueOf(in).Elem().Set(reflect.ValueOf(m).Elem())
				return nil
			}, nil)
			if err != nil {
				return nil, err
			}
			out, _ := res.(proto.Message)
			return out, nil
		}
	}
}

// Handler returns the handler of a type URL.
//
// The rule for ValidateBasic: it runs once per message, before routing, and
// handlers (every module's msg_server.go) do not run it again; they may rely on
// what it checked. Every caller of Handler runs it first: the tx decoder for a
// tx's messages (app/tx/decode.go), MsgExec for its inner messages
// (x/permissions/exec.go). A new caller must do the same; a test that calls a
// msg server directly with a client's message validates it first.
func (r *MsgRouter) Handler(typeURL string) (MsgHandler, bool) {
	h, ok := r.handlers[typeURL]
	return h, ok
}

// PackedMsgs is implemented by a message that carries other messages packed in
// Anys (x/permissions MsgExec): decoding it decodes and checks each of them, at every
// depth, exactly as a tx's own messages are.
type PackedMsgs interface {
	// PackedMsgs names the field that packs them (for error paths) and returns them.
	PackedMsgs() (field string, msgs []*gogotypes.Any)
}

// MaxPackedDepth bounds how deep messages may be packed in messages (a tx's own
// messages are at depth 1).
const MaxPackedDepth = 4

// DecodeAny turns an Any found at path ("body.messages[0]") into its registered
// message. It is the one place signed messages are decoded from Anys: the Any
// itself must carry no unknown field, its value must be the message's canonical
// encoding, and messages packed inside it (PackedMsgs) are decoded the same way.
// Errors name the path: "body.messages[0] (/selfchain.bank.v1.MsgSend): field 2
// (to_address) appears twice".
func (r *MsgRouter) DecodeAny(path string, a *gogotypes.Any) (Msg, error) {
	return r.decodeAny(path, a, 1)
}

func (r *MsgRouter) decodeAny(path string, a *gogotypes.Any, depth int) (Msg, error) {
	if a == nil {
		return nil, ErrTxDecode.Wrapf("%s: missing message", path)
	}
	if err := CheckAny(path, a); err != nil {
		return nil, err
	}
	t, ok := r.types[a.TypeUrl]
	if !ok {
		return nil, ErrUnknownRequest.Wrapf("%s: unknown message type %q", path, a.TypeUrl)
	}
	msg := reflect.New(t).Interface().(Msg)
	if err := unmarshalCanonical(path, a.TypeUrl, a.Value, msg.(CanonicalMsg)); err != nil {
		return nil, err
	}
	if p, ok := msg.(PackedMsgs); ok {
		field, inner := p.PackedMsgs()
		if len(inner) > 0 && depth >= MaxPackedDepth {
			return nil, ErrTxDecode.Wrapf("%s (%s): messages packed deeper than %d levels", path, a.TypeUrl, MaxPackedDepth)
		}
		for i, in := range inner {
			if _, err := r.decodeAny(fmt.Sprintf("%s (%s).%s[%d]", path, a.TypeUrl, field, i), in, depth+1); err != nil {
				return nil, err
			}
		}
	}
	return msg, nil
}

// TypeURLs lists every routable message, sorted.
func (r *MsgRouter) TypeURLs() []string {
	out := make([]string, 0, len(r.types))
	for u := range r.types {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// QueryRouter routes ABCI query paths "/selfchain.<module>.v1.Query/<Method>".
type QueryRouter struct{ handlers map[string]QueryHandler }

func NewQueryRouter() *QueryRouter { return &QueryRouter{handlers: map[string]QueryHandler{}} }

// RegisterService implements grpc.ServiceRegistrar.
func (r *QueryRouter) RegisterService(sd *grpc.ServiceDesc, srv any) {
	for _, md := range sd.Methods {
		md := md
		path := "/" + sd.ServiceName + "/" + md.MethodName
		if _, dup := r.handlers[path]; dup {
			panic("query registered twice: " + path)
		}
		r.handlers[path] = func(ctx context.Context, req []byte) (proto.Message, error) {
			res, err := md.Handler(srv, ctx, func(in any) error {
				if err := proto.Unmarshal(req, in.(proto.Message)); err != nil {
					return ErrTxDecode.Wrapf("query request for %s: %v", path, err)
				}
				return nil
			}, nil)
			if err != nil {
				return nil, err
			}
			out, _ := res.(proto.Message)
			return out, nil
		}
	}
}

func (r *QueryRouter) Handler(path string) (QueryHandler, bool) {
	h, ok := r.handlers[path]
	return h, ok
}

// Paths lists every query path, sorted.
func (r *QueryRouter) Paths() []string {
	out := make([]string, 0, len(r.handlers))
	for p := range r.handlers {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
