package runtime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cosmos/gogoproto/jsonpb"
	"github.com/cosmos/gogoproto/proto"
)

// EventManager collects the events of one execution (a tx, a block hook).
type EventManager struct{ events []abci.Event }

func NewEventManager() *EventManager { return &EventManager{} }

func (em *EventManager) Events() []abci.Event { return em.events }

// Emit records an event with indexed attributes; used on hot paths where the
// reflection behind EmitTyped would cost too much.
func (em *EventManager) Emit(typ string, kv ...string) {
	if len(kv)%2 != 0 {
		panic("EventManager.Emit: odd number of key/value strings")
	}
	attrs := make([]abci.EventAttribute, 0, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		attrs = append(attrs, abci.EventAttribute{Key: kv[i], Value: kv[i+1], Index: true})
	}
	em.events = append(em.events, abci.Event{Type: typ, Attributes: attrs})
}

// EmitTyped records a protobuf message as an event: type = full message name,
// one attribute per top-level field holding its JSON value, so clients can decode it back.
func (em *EventManager) EmitTyped(msg proto.Message) error {
	var buf bytes.Buffer
	if err := (&jsonpb.Marshaler{OrigName: true, EmitDefaults: true}).Marshal(&buf, msg); err != nil {
		return fmt.Errorf("typed event %s: %w", proto.MessageName(msg), err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &fields); err != nil {
		return err
	}
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys) // deterministic attribute order
	attrs := make([]abci.EventAttribute, 0, len(keys))
	for _, k := range keys {
		attrs = append(attrs, abci.EventAttribute{Key: k, Value: string(fields[k]), Index: true})
	}
	em.events = append(em.events, abci.Event{Type: proto.MessageName(msg), Attributes: attrs})
	return nil
}

// Append adds already-built events (a finished tx's events to the block's).
func (em *EventManager) Append(evs ...abci.Event) { em.events = append(em.events, evs...) }
