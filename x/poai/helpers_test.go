package poai_test

import (
	"encoding/json"
	"strconv"
)

type json_raw = json.RawMessage

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
func jsonMarshal(v any) ([]byte, error)   { return json.Marshal(v) }
func itoa(u uint64) string               { return strconv.FormatUint(u, 10) }
func btoa(b bool) string                 { return strconv.FormatBool(b) }
