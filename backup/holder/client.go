package holder

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/selfchain/selfchain/backup/wire"
	"github.com/selfchain/selfchain/x/backup"
)

// Client talks to one holder about one agreement, signing every request
// with a session the owner's account key granted.
type Client struct {
	BaseURL   string // e.g. http://127.0.0.1:26680
	Agreement uint64
	Session   *wire.Session
	HTTP      *http.Client
}

// StatusError is a holder's refusal.
type StatusError struct {
	Code int
	Msg  string
}

func (e *StatusError) Error() string { return fmt.Sprintf("holder answered %d: %s", e.Code, e.Msg) }

// IsNotFound reports whether err is a holder's 404.
func IsNotFound(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code == http.StatusNotFound
}

func (c *Client) do(ctx context.Context, method, path string, body, digest []byte, max int64) ([]byte, error) {
	url := strings.TrimRight(c.BaseURL, "/") + fmt.Sprintf("/v1/agreements/%d", c.Agreement) + path
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	var nonce [wire.NonceSize]byte
	_, _ = rand.Read(nonce[:])
	c.Session.SignRequest(req, digest, time.Now(), nonce)
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return nil, &StatusError{resp.StatusCode, strings.TrimSpace(string(msg))}
	}
	out, err := readBody(resp.Body, resp.ContentLength, max+1)
	if errors.Is(err, errTooLarge) {
		return nil, fmt.Errorf("holder answer over %d bytes", max)
	}
	return out, err
}

// Put stores a chunk; the holder answers with the leaf it computed.
func (c *Client) Put(ctx context.Context, id wire.ID, kind wire.Kind, ciphertext []byte) ([]byte, error) {
	leaf, err := backup.ChunkLeafOf(ciphertext)
	if err != nil {
		return nil, err
	}
	return c.PutLeaf(ctx, id, kind, ciphertext, leaf)
}

// PutLeaf is Put for a caller that already computed the chunk's leaf
// (backup.ChunkLeafOf of ciphertext), saving a hash pass over the chunk.
// The holder recomputes it and refuses the upload if it differs.
func (c *Client) PutLeaf(ctx context.Context, id wire.ID, kind wire.Kind, ciphertext, leaf []byte) ([]byte, error) {
	got, err := c.do(ctx, http.MethodPut, "/chunks/"+id.String()+"?kind="+kind.String(), ciphertext, leaf, backup.ChunkLeafSize)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(got, leaf) {
		return nil, fmt.Errorf("holder computed leaf %x for chunk %s, want %x", got, id, leaf)
	}
	return leaf, nil
}

// Get fetches a chunk's ciphertext (unverified: the caller checks its leaf).
func (c *Client) Get(ctx context.Context, id wire.ID) ([]byte, error) {
	return c.do(ctx, http.MethodGet, "/chunks/"+id.String(), nil, wire.BodyDigest(nil), backup.MaxChunkSize)
}

// Inventory lists the chunks the holder has for the agreement.
func (c *Client) Inventory(ctx context.Context) ([]wire.Entry, error) {
	b, err := c.do(ctx, http.MethodGet, "/chunks", nil, wire.BodyDigest(nil), wire.MaxListEntries*wire.EntrySize)
	if err != nil {
		return nil, err
	}
	return wire.DecodeEntries(b)
}

// PutManifest announces the sorted id list of the next revision; the
// holder answers with the root of the leaves it stores for them.
func (c *Client) PutManifest(ctx context.Context, ids []wire.ID) ([]byte, error) {
	body := wire.EncodeIDs(ids)
	return c.do(ctx, http.MethodPut, "/manifest", body, wire.BodyDigest(body), 32)
}

// Manifest fetches an announced list with the holder's leaves.
func (c *Client) Manifest(ctx context.Context, root []byte) ([]wire.Entry, error) {
	b, err := c.do(ctx, http.MethodGet, "/manifest?root="+hex.EncodeToString(root), nil, wire.BodyDigest(nil), wire.MaxListEntries*wire.EntrySize)
	if err != nil {
		return nil, err
	}
	return wire.DecodeEntries(b)
}

// IsPermanent reports whether retrying err cannot help (the holder refused
// the request: 4xx).
func IsPermanent(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Code >= 400 && se.Code < 500
}
