package app

import (
	"context"
	"encoding/json"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/selfchain/selfchain/app/runtime"
	"github.com/selfchain/selfchain/app/store"
	"github.com/selfchain/selfchain/app/tx"
	"github.com/selfchain/selfchain/types/query"
)

// QueryGasLimit bounds the work one query may do (store reads are metered as in txs).
const QueryGasLimit = 50_000_000

// Query answers, on committed state at req.Height (0 = latest):
//   - /selfchain.<module>.v1.Query/<Method>: a module query, proto request and response;
//   - /store/<module>/key: a raw key of a module's tree, with an ICS-23 proof when prove=true;
//   - /store/<module>/keys: many raw keys (a query.StoreKeysRequest), each with its proof;
//   - /app/simulate: the gas a tx would use now (tx bytes in data; JSON {"gas_used":N});
//   - /app/mempool: the app mempool's pending txs now (JSON MempoolStatus);
//   - /app/version.
func (a *App) Query(_ context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	height := req.Height
	if height == 0 {
		height = a.LastCommitID().Version
	}
	switch {
	case req.Path == "/app/version":
		return &abci.ResponseQuery{Value: []byte(Version), Height: height}, nil
	case req.Path == "/app/simulate":
		return a.simulate(req.Data, height), nil
	case req.Path == "/app/mempool":
		return a.queryMempool(height), nil
	case strings.HasPrefix(req.Path, "/store/"):
		return a.queryStore(req, height), nil
	}
	h, ok := a.queries.Handler(req.Path)
	if !ok {
		return queryError(runtime.ErrUnknownRequest.Wrapf("unknown query path %q", req.Path), height), nil
	}
	ctx, _, err := a.queryContext(height)
	if err != nil {
		return queryError(err, height), nil
	}
	var res interface{ Marshal() ([]byte, error) }
	err = a.guard(ctx.GasMeter(), func() error {
		out, err := h(ctx, req.Data)
		if err != nil {
			return err
		}
		m, ok := out.(interface{ Marshal() ([]byte, error) })
		if !ok {
			return runtime.ErrInvalidRequest.Wrap("response is not marshalable")
		}
		res = m
		return nil
	})
	if err != nil {
		return queryError(err, height), nil
	}
	bz, err := res.Marshal()
	if err != nil {
		return queryError(err, height), nil
	}
	return &abci.ResponseQuery{Value: bz, Height: height}, nil
}

func (a *App) queryContext(height int64) (*runtime.Context, *store.Branch, error) {
	if height <= 0 {
		return nil, nil, runtime.ErrInvalidRequest.Wrap("no state committed yet")
	}
	br, err := a.cms.BranchAt(height)
	if err != nil {
		return nil, nil, runtime.ErrInvalidRequest.Wrapf("height %d is not available: %v", height, err)
	}
	ctx := runtime.NewContext(context.Background(), br, runtime.Header{ChainID: a.chainID, Height: height, Time: a.LastBlockTime()}, runtime.ModeQuery, a.logger)
	return ctx.WithGasMeter(runtime.NewGasMeter(QueryGasLimit)), br, nil
}

func (a *App) queryStore(req *abci.RequestQuery, height int64) *abci.ResponseQuery {
	parts := strings.Split(strings.TrimPrefix(req.Path, "/store/"), "/")
	if len(parts) != 2 || (parts[1] != "key" && parts[1] != "keys") {
		return queryError(runtime.ErrUnknownRequest.Wrapf("store query path must be /store/<module>/key or /store/<module>/keys, got %q", req.Path), height)
	}
	if parts[1] == "keys" {
		return a.queryStoreKeys(parts[0], req.Data, height)
	}
	if a.mm.Module(parts[0]) == nil { // every module has a store of its name
		return queryError(runtime.ErrUnknownRequest.Wrapf("no store named %q", parts[0]), height)
	}
	if len(req.Data) == 0 {
		return queryError(runtime.ErrInvalidRequest.Wrap("store query needs a key in data"), height)
	}
	value, proof, err := a.cms.Query(parts[0], req.Data, height, req.Prove)
	if err != nil {
		return queryError(runtime.ErrInvalidRequest.Wrap(err.Error()), height)
	}
	return &abci.ResponseQuery{Key: req.Data, Value: value, ProofOps: proof, Height: height}
}

// simulate runs a tx (ante and messages) on a throwaway branch and reports gas.
func (a *App) simulate(txBytes []byte, height int64) *abci.ResponseQuery {
	t, err := tx.Decode(txBytes, a.msgs, a.cfg.MaxTxBytes)
	if err != nil {
		return queryError(err, height)
	}
	ctx, br, err := a.queryContext(height)
	if err != nil {
		return queryError(err, height)
	}
	ctx = ctx.WithMode(runtime.ModeSimulate).WithHeader(runtime.Header{ChainID: a.chainID, Height: height + 1, Time: a.LastBlockTime()})
	res := a.runTx(ctx, br, t)
	if res.Code != 0 {
		return &abci.ResponseQuery{Code: res.Code, Codespace: res.Codespace, Log: res.Log, Height: height}
	}
	bz, _ := json.Marshal(map[string]int64{"gas_used": res.GasUsed, "gas_wanted": res.GasWanted})
	return &abci.ResponseQuery{Value: bz, Height: height}
}

func queryError(err error, height int64) *abci.ResponseQuery {
	space, code, log := runtime.ABCIInfo(err)
	return &abci.ResponseQuery{Code: code, Codespace: space, Log: log, Height: height}
}

// queryStoreKeys answers /store/<module>/keys: a StoreKeysRequest's keys, each with
// its value and proof at height, in one response (a relayer proves hundreds of
// packet keys a scan; one abci_query each was its bottleneck).
func (a *App) queryStoreKeys(module string, data []byte, height int64) *abci.ResponseQuery {
	if a.mm.Module(module) == nil {
		return queryError(runtime.ErrUnknownRequest.Wrapf("no store named %q", module), height)
	}
	var req query.StoreKeysRequest
	if err := req.Unmarshal(data); err != nil {
		return queryError(runtime.ErrInvalidRequest.Wrapf("data must be a selfchain.query.v1.StoreKeysRequest: %v", err), height)
	}
	if len(req.Keys) == 0 || len(req.Keys) > store.MaxQueryKeys {
		return queryError(runtime.ErrInvalidRequest.Wrapf("%d keys: give 1 to %d", len(req.Keys), store.MaxQueryKeys), height)
	}
	proofs, err := a.cms.QueryMany(module, req.Keys, height)
	if err != nil {
		return queryError(runtime.ErrInvalidRequest.Wrap(err.Error()), height)
	}
	res := query.StoreKeysResponse{Proofs: make([]query.StoreKeyProof, len(proofs))}
	for i, p := range proofs {
		ops, err := p.Proof.Marshal()
		if err != nil {
			return queryError(err, height)
		}
		res.Proofs[i] = query.StoreKeyProof{Key: req.Keys[i], Value: p.Value, ProofOps: ops}
	}
	bz, err := res.Marshal()
	if err != nil {
		return queryError(err, height)
	}
	return &abci.ResponseQuery{Value: bz, Height: height}
}
