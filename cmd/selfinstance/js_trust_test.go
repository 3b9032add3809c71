package main

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// trustRoot is the JS light client's trust root as a user takes it from a node they
// trust (here the test's own): a height and that block's hash from /commit.
func trustRoot(t *testing.T, node string, height int64) (string, string) {
	t.Helper()
	res, err := http.Get(strings.Replace(node, "tcp://", "http://", 1) + "/commit?height=" + strconv.FormatInt(height, 10))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var c struct {
		Result struct {
			SignedHeader struct {
				Header struct {
					ChainID string `json:"chain_id"`
				} `json:"header"`
				Commit struct {
					BlockID struct {
						Hash string `json:"hash"`
					} `json:"block_id"`
				} `json:"commit"`
			} `json:"signed_header"`
		} `json:"result"`
	}
	if err := json.NewDecoder(res.Body).Decode(&c); err != nil || c.Result.SignedHeader.Commit.BlockID.Hash == "" {
		t.Fatalf("commit %d from %s: %v", height, node, err)
	}
	return c.Result.SignedHeader.Header.ChainID, c.Result.SignedHeader.Commit.BlockID.Hash
}
