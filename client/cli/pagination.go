package cli

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
	FlagLimit   = "limit"
	FlagPageKey = "page-key"
)

// AddPageFlags adds --limit (default: the query's own default page size) and --page-key.
func AddPageFlags(cmd *cobra.Command, defaultLimit, maxLimit uint32) {
	cmd.Flags().Uint32(FlagLimit, defaultLimit, fmt.Sprintf("entries per page (at most %d)", maxLimit))
	cmd.Flags().String(FlagPageKey, "", "resume after the previous page: the hex key its last line printed (pagination.next_key)")
}

// ReadPageRequest reads --limit and --page-key.
func ReadPageRequest(cmd *cobra.Command) (*query.PageRequest, error) {
	v := Settings(cmd)
	key, err := hex.DecodeString(strings.TrimPrefix(v.GetString(FlagPageKey), "0x"))
	if err != nil {
		return nil, fmt.Errorf("invalid --%s: want the hex next_key of the previous page: %w", FlagPageKey, err)
	}
	return &query.PageRequest{Key: key, Limit: v.GetUint32(FlagLimit)}, nil
}

// PrintNextPage is the last line of a page's text output when another page follows.
func PrintNextPage(w io.Writer, p *query.PageResponse) {
	if len(p.GetNextKey()) > 0 {
		fmt.Fprintf(w, "next page: --%s %x\n", FlagPageKey, p.NextKey)
	}
}
