package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"github.com/cosmos/gogoproto/jsonpb"
	"github.com/cosmos/gogoproto/proto"
	"github.com/spf13/cobra"
)

// JSONOutput reports whether --output is json.
func JSONOutput(cmd *cobra.Command) bool { return Settings(cmd).GetString(FlagOutput) == "json" }

// PrintResult writes v as JSON with --output json, else calls text. Proto
// messages use the proto JSON mapping (field names as in .proto files).
func PrintResult(cmd *cobra.Command, v any, text func(w io.Writer)) error {
	w := cmd.OutOrStdout()
	if !JSONOutput(cmd) {
		text(w)
		return nil
	}
	bz, err := MarshalJSON(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, string(bz))
	return err
}

// MarshalJSON is the JSON form of v: the proto JSON mapping for proto messages.
func MarshalJSON(v any) ([]byte, error) {
	if m, ok := v.(proto.Message); ok {
		var buf bytes.Buffer
		if err := (&jsonpb.Marshaler{OrigName: true, EmitDefaults: true}).Marshal(&buf, m); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	return json.Marshal(v)
}

// KV prints aligned "key: value" lines, the text form of a record.
func KV(w io.Writer, pairs ...any) {
	width := 0
	for i := 0; i+1 < len(pairs); i += 2 {
		if n := len(fmt.Sprint(pairs[i])); n > width {
			width = n
		}
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		fmt.Fprintf(w, "%-*s %v\n", width+1, fmt.Sprint(pairs[i])+":", pairs[i+1])
	}
}
