package client

import (
	"context"
	"fmt"
	"time"
)

// AppHashAfter waits (up to timeout) for header h+1 and returns its app hash:
// the commitment to the state after block h. A proof of state at height h
// verifies against it, and until block h+1 is made no header commits that
// state — which is why a proof right after a tx (height h = the tx's block)
// has to wait one block.
func (c *Client) AppHashAfter(ctx context.Context, h int64, timeout time.Duration) ([]byte, error) {
	deadline := time.Now().Add(timeout)
	next := h + 1
	for {
		res, err := c.rpc.Commit(ctx, &next)
		if err == nil && res.SignedHeader.Header != nil {
			return res.SignedHeader.Header.AppHash, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("header %d (committing the state after block %d) not available after %s: %v", next, h, timeout, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
