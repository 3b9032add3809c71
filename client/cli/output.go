package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/cosmos/gogoproto/jsonpb"
	"github.com/cosmos/gogoproto/proto"
	"github.com/spf13/cobra"

	"github.com/selfchain/selfchain/client"
)

// The output convention (docs/CLI.md, "Output"): JSON is the proto JSON mapping
// of the response (proto field names, 64-bit numbers as strings, enums by name,
// defaults and empty lists emitted); text names every value by the same field
// name, a record as aligned "key: value" lines (KV) and a list as a table whose
// header row is the field names (Table).

// JSONOutput reports whether --output is json.
func JSONOutput(cmd *cobra.Command) bool { return Settings(cmd).GetString(FlagOutput) == "json" }

// PrintResult writes v as JSON with --output json, else calls text. Proto
// messages use the proto JSON mapping (field names as in .proto files).
func PrintResult(cmd *cobra.Command, v any, text func(w io.Writer)) error {
	return PrintResultWith(cmd, v, nil, text)
}

// PrintResultWith is PrintResult for a command that establishes something the
// response cannot carry (a proof it verified): extra's fields are added at the
// top level of the JSON object, named as text names them.
func PrintResultWith(cmd *cobra.Command, v any, extra map[string]any, text func(w io.Writer)) error {
	w := cmd.OutOrStdout()
	if !JSONOutput(cmd) {
		text(w)
		return nil
	}
	bz, err := MarshalJSON(v)
	if err != nil {
		return err
	}
	if len(extra) > 0 {
		if bz, err = addFields(bz, extra); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintln(w, string(bz))
	return err
}

// addFields merges extra into the JSON object obj (keys end up sorted).
func addFields(obj []byte, extra map[string]any) ([]byte, error) {
	m := map[string]json.RawMessage{}
	if err := json.Unmarshal(obj, &m); err != nil {
		return nil, err
	}
	for k, v := range extra {
		bz, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		m[k] = bz
	}
	return json.Marshal(m)
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

// Table prints a list: a header row of the JSON field names, then one row per
// element, columns aligned. An empty list prints "(none)" under the header, so
// an empty answer is not mistaken for a failed one.
func Table(w io.Writer, header []string, rows [][]any) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = fmt.Sprint(c)
			if cells[i] == "" {
				cells[i] = "-" // an empty cell would shift the columns a reader sees
			}
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	tw.Flush()
	if len(rows) == 0 {
		fmt.Fprintln(w, "(none)")
	}
}

// PrintError is how a failed command reports: "Error: <message>" on w, or with
// --output json the object {"error": "<message>"} (plus the chain's code and
// codespace when the chain refused), so a script reading JSON gets JSON.
func PrintError(w io.Writer, err error, asJSON bool) {
	if !asJSON {
		fmt.Fprintln(w, "Error:", err)
		return
	}
	out := map[string]any{"error": err.Error()}
	var qe *client.QueryError
	if errors.As(err, &qe) {
		out["code"], out["codespace"] = qe.Code, qe.Codespace
	}
	bz, _ := json.Marshal(out)
	fmt.Fprintln(w, string(bz))
}

// WantsJSON reports whether a command that failed was asked for JSON: its
// layered settings when the root's pre-run made them, else the --output flag or
// SELFCHAIN_OUTPUT (a failure before settings exist, such as a bad flag).
func WantsJSON(cmd *cobra.Command, env func(string) string) bool {
	if cmd != nil && cmd.Context() != nil {
		if v, ok := settingsFrom(cmd); ok {
			return v.GetString(FlagOutput) == "json"
		}
	}
	if cmd != nil {
		if f := cmd.Flags().Lookup(FlagOutput); f != nil && f.Changed {
			return f.Value.String() == "json"
		}
	}
	return env(EnvPrefix+"_OUTPUT") == "json"
}
