package poai

import "fmt"

// FormatPPM shows a parts-per-million value as a decimal fraction with six
// decimals (1.000000 is a perfect reputation), exactly and without floats.
// The poai CLI and constellation's status both print reputations with it, so
// the two always agree.
func FormatPPM(v uint32) string { return fmt.Sprintf("%d.%06d", v/PPM, v%PPM) }
