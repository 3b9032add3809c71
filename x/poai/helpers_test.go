package poai_test

import (
	"encoding/json"
	"strconv"

	"cosmossdk.io/collections"
	abci "github.com/cometbft/cometbft/abci/types"
	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	cryptoenc "github.com/cometbft/cometbft/crypto/encoding"
)

type json_raw = json.RawMessage

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
func jsonMarshal(v any) ([]byte, error)   { return json.Marshal(v) }
func itoa(u uint64) string                { return strconv.FormatUint(u, 10) }
func btoa(b bool) string                  { return strconv.FormatBool(b) }

type abciUpdate = abci.ValidatorUpdate
type collectionsPair = collections.Pair[int64, uint32]

func poaiUpdate(k cmted25519.PrivKey) (abci.ValidatorUpdate, error) {
	pp, err := cryptoenc.PubKeyToProto(k.PubKey())
	return abci.ValidatorUpdate{PubKey: pp, Power: 7}, err
}
