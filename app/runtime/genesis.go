package runtime

import (
	"context"
	"encoding/json"

	"github.com/cosmos/gogoproto/proto"
)

// Genesis implements HasGenesis for a module whose genesis section is the proto
// message G (JSON through jsonpb): a module embeds it, giving the keeper's typed
// functions, and gets the JSON side without repeating it.
type Genesis[G any, PG interface {
	*G
	proto.Message
	Validate() error // names the bad field
}] struct {
	Default func() G
	Init    func(context.Context, G) error
	Export  func(context.Context) (G, error)
}

func (g Genesis[G, PG]) DefaultGenesis() json.RawMessage {
	gs := g.Default()
	bz, err := MarshalGenesis(PG(&gs))
	if err != nil {
		panic(err) // a fixed value always marshals
	}
	return bz
}

func (Genesis[G, PG]) ValidateGenesis(data json.RawMessage) error {
	var gs G
	if err := UnmarshalGenesis(data, PG(&gs)); err != nil {
		return err
	}
	return PG(&gs).Validate()
}

func (g Genesis[G, PG]) InitGenesis(ctx context.Context, data json.RawMessage) error {
	var gs G
	if err := UnmarshalGenesis(data, PG(&gs)); err != nil {
		return err
	}
	return g.Init(ctx, gs)
}

func (g Genesis[G, PG]) ExportGenesis(ctx context.Context) (json.RawMessage, error) {
	gs, err := g.Export(ctx)
	if err != nil {
		return nil, err
	}
	return MarshalGenesis(PG(&gs))
}
