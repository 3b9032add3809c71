package cli_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/selfchain/selfchain/client/cli"
	"github.com/selfchain/selfchain/types/query"
)

// pageCmd parses args with the shared pagination flags and returns what
// ReadPageRequest makes of them.
func pageCmd(t *testing.T, args ...string) (*query.PageRequest, error) {
	t.Helper()
	var got *query.PageRequest
	var gotErr error
	cmd := &cobra.Command{Use: "list", RunE: func(cmd *cobra.Command, _ []string) error {
		got, gotErr = cli.ReadPageRequest(cmd)
		return nil
	}}
	cmd.Flags().String(cli.FlagHome, t.TempDir(), "")
	cmd.Flags().String(cli.FlagOutput, "text", "")
	cli.AddPageFlags(cmd, 50, 200)
	cmd.SetArgs(args)
	cmd.SetContext(context.Background())
	require.NoError(t, cmd.Execute())
	return got, gotErr
}

func TestPageFlags(t *testing.T) {
	p, err := pageCmd(t)
	require.NoError(t, err)
	require.Equal(t, uint32(50), p.Limit, "the query's default page size")
	require.Empty(t, p.Key)

	p, err = pageCmd(t, "--limit", "7", "--page-key", "2a00ff")
	require.NoError(t, err)
	require.Equal(t, &query.PageRequest{Key: []byte{0x2a, 0x00, 0xff}, Limit: 7}, p)

	p, err = pageCmd(t, "--page-key", "0x2a")
	require.NoError(t, err)
	require.Equal(t, []byte{0x2a}, p.Key)

	_, err = pageCmd(t, "--page-key", "xyz")
	require.ErrorContains(t, err, "invalid --page-key")
}

func TestPrintNextPage(t *testing.T) {
	var w bytes.Buffer
	cli.PrintNextPage(&w, nil)
	cli.PrintNextPage(&w, &query.PageResponse{})
	require.Empty(t, w.String(), "no line on the last page")
	cli.PrintNextPage(&w, &query.PageResponse{NextKey: []byte{0x01, 0xab}})
	require.Equal(t, "next page: --page-key 01ab\n", w.String())
}
