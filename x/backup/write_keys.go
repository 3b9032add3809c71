package backup

import (
	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/app/runtime"
)

var _ runtime.HasWriteKeys = Module{}

// WriteKeys: a storage proof writes the challenge it answers, in place (the
// block's one IAVL write per proof), so the store can load that key's path in
// the tree before the block's flush needs it.
func (Module) WriteKeys(msg runtime.Msg, add func(key []byte)) {
	if p, ok := msg.(*MsgProveStorage); ok {
		if key, err := collections.EncodeKeyWithPrefix(challengesPrefix.Bytes(), collections.Uint64Key, p.AgreementId); err == nil {
			add(key)
		}
	}
}
