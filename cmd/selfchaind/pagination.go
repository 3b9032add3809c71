package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/types/query"
)

// Every list command pages the same way: --limit and --page-key (the hex of the
// previous page's pagination.next_key, opaque to the client); text output ends with
// a "next page: --page-key <hex>" line when there is a next page, JSON output carries
// pagination.next_key.
const (
	flagLimit   = "limit"
	flagPageKey = "page-key"
)

// addPageFlags adds --limit (default: the query's own default page size) and --page-key.
func addPageFlags(cmd *cobra.Command, defaultLimit, maxLimit uint32) {
	cmd.Flags().Uint32(flagLimit, defaultLimit, fmt.Sprintf("entries per page (at most %d)", maxLimit))
	cmd.Flags().String(flagPageKey, "", "resume after the previous page: the hex key its last line printed (pagination.next_key)")
}

// pageRequest reads --limit and --page-key.
func pageRequest(cmd *cobra.Command) (*query.PageRequest, error) {
	v := settings(cmd)
	key, err := hex.DecodeString(strings.TrimPrefix(v.GetString(flagPageKey), "0x"))
	if err != nil {
		return nil, fmt.Errorf("invalid --%s: want the hex next_key of the previous page: %w", flagPageKey, err)
	}
	return &query.PageRequest{Key: key, Limit: v.GetUint32(flagLimit)}, nil
}

// printNextPage is the last line of a page's text output when another page follows.
func printNextPage(w io.Writer, p *query.PageResponse) {
	if len(p.GetNextKey()) > 0 {
		fmt.Fprintf(w, "next page: --%s %x\n", flagPageKey, p.NextKey)
	}
}
