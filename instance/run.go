package instance

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/selfchain/selfchain/client"
	"github.com/selfchain/selfchain/crypto/keyring"
	"github.com/selfchain/selfchain/types/query"
	"github.com/selfchain/selfchain/x/permissions"
)

// Init writes the config, creates the TLS key in the keyring (if absent), its
// self-signed certificate and the database; it returns the TLS public key (base64).
func Init(home string, c Config, kr keyring.Keyring, hosts []string) (string, error) {
	if err := c.Validate(); err != nil {
		return "", err
	}
	s, err := tlsSigner(kr, c.TLSKey, true)
	if err != nil {
		return "", err
	}
	if err := SaveConfig(home, c); err != nil {
		return "", err
	}
	if err := writeCert(home, s, hosts); err != nil {
		return "", err
	}
	db, err := OpenDB(home, nil, nil)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(s.pub), db.Close()
}

// Run serves the gateway until ctx ends.
func Run(ctx context.Context, home string, c Config, kr keyring.Keyring, log io.Writer) error {
	tc, err := TLSConfig(home, c.TLSKey, kr)
	if err != nil {
		return err
	}
	sk, err := kr.SealKey(c.Owner)
	if err != nil {
		return fmt.Errorf("owner's sealing key: %w", err)
	}
	db, err := OpenDB(home, sk.Public(), sk)
	if err != nil {
		return err
	}
	defer db.Close()
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	chain, err := NewChain(cctx, home, c)
	cancel()
	if err != nil {
		return err
	}
	defer chain.Close()
	fctx, stopFollow := context.WithCancel(ctx)
	followed := make(chan struct{})
	go func() { chain.Follow(fctx, 250*time.Millisecond); close(followed) }()
	defer func() { stopFollow(); <-followed }() // before chain.Close (deferred earlier, runs later)
	if c.Advertise != "" {
		actx, cancel := context.WithTimeout(ctx, time.Minute)
		id, tx, err := Advertise(actx, c, kr)
		cancel()
		if err != nil {
			return fmt.Errorf("register the instance in x/registry: %w", err)
		}
		if tx != "" {
			fmt.Fprintf(log, "registered %s in x/registry as node %s (tx %s)\n", c.Advertise, id, tx)
		}
		// Heartbeats keep the entry active (x/registry marks a silent node stale,
		// then expired) while the gateway serves.
		hctx, stopHB := context.WithCancel(ctx)
		hbDone := make(chan struct{})
		go func() { Heartbeats(hctx, c, kr, id, chain.Height, log); close(hbDone) }()
		defer func() { stopHB(); <-hbDone }()
	}
	srv, err := NewServer(c, chain, db)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(log, "selfinstance of %s serving https://%s (TLS 1.3, X25519MLKEM768), chain %s at proven height %d\n",
		c.OwnerAddress, ln.Addr(), c.ChainID, chain.Height())
	return srv.Serve(ctx, ln, tc)
}

// Grants lists the owner's grants as the node reports them (for the user's own
// listing; the gateway's decisions never rest on it).
func Grants(ctx context.Context, c Config) ([]permissions.Grant, error) {
	cl, err := client.New(c.Node)
	if err != nil {
		return nil, err
	}
	var out []permissions.Grant
	var key []byte
	for {
		res, err := permissions.NewQueryClient(cl).GrantsByUser(ctx, &permissions.QueryGrantsByUserRequest{User: c.OwnerAddress, Pagination: &query.PageRequest{Key: key}})
		if err != nil {
			return nil, err
		}
		out = append(out, res.Grants...)
		if res.Pagination == nil || len(res.Pagination.NextKey) == 0 {
			return out, nil
		}
		key = res.Pagination.NextKey
	}
}
