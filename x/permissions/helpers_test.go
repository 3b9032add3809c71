package permissions

import (
	"time"

	"cosmossdk.io/collections"

	"github.com/selfchain/selfchain/crypto"
)

type collectionsPairAppUser = collections.Pair[string, []byte]

func join3(h int64, u crypto.Address, app string) expiryKey {
	return collections.Join3(h, []byte(u), app)
}

func joinAppUser(app string, u crypto.Address) collectionsPairAppUser {
	return collections.Join(app, []byte(u))
}

func unix(s int64) time.Time { return time.Unix(s, 0).UTC() }
