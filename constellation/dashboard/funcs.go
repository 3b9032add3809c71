package dashboard

import (
	"encoding/hex"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/selfchain/selfchain/constellation"
	"github.com/selfchain/selfchain/x/poai"
)

// Template helpers, and the two charts (inline SVG built from numbers only,
// so nothing a chain reports can inject markup).

var funcs = template.FuncMap{
	"dash":          orDash,
	"bytes":         bytesText,
	"secs":          func(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) + "s" },
	"dur":           func(d time.Duration) string { return d.String() },
	"round":         func(d time.Duration) string { return d.Round(time.Millisecond).String() },
	"ago":           func(t time.Time) string { return ago(time.Since(t)) },
	"until":         untilText,
	"clock":         func(t time.Time) string { return t.UTC().Format("15:04:05") },
	"hexbytes":      func(b []byte) string { return strings.ToUpper(hex.EncodeToString(b)) },
	"short":         short,
	"risk":          func(r uint32) string { return fmt.Sprintf("%d.%01d%%", r/10, r%10) },
	"pct":           func(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) + "%" },
	"intervalChart": intervalChart,
	"sparkline":     sparkline,
	"ppm":           func(v uint32) string { return poai.FormatPPM(v) },
	"proposer":      proposerName,
	"list2":         func(a, b any) []any { return []any{a, b} },
	"sub1":          func(n uint64) uint64 { return n - 1 },
	"actions":       func() []string { return []string{"stop", "start", "rotate-logs"} },
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

func ago(d time.Duration) string {
	switch {
	case d < time.Second:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

// untilText is a countdown to an RFC 3339 time (a bridge client's expiry).
func untilText(rfc3339 string) string {
	t, err := time.Parse(time.RFC3339, rfc3339)
	if err != nil {
		return "-"
	}
	d := time.Until(t)
	if d <= 0 {
		return "expired " + ago(-d)
	}
	switch {
	case d < time.Hour:
		return fmt.Sprintf("in %dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("in %dh %dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("in %dd %dh", int(d.Hours()/24), int(d.Hours())%24)
}

func short(s string) string {
	if len(s) > 12 {
		return s[:12] + "…"
	}
	return s
}

// proposerName names a block's proposer by the validator's node, else its address.
func proposerName(v *chainView, addr string) string {
	for _, val := range v.Status.Validators {
		if val.Address == addr && val.Name != "" {
			return val.Name
		}
	}
	return short(addr)
}

// intervalChart is a bar chart of the time between consecutive blocks (oldest
// left), with the target block time as a dashed line.
func intervalChart(blocks []constellation.BlockSummary, target time.Duration) template.HTML {
	const w, h, pad = 600.0, 120.0, 4.0
	var iv []float64
	for i := len(blocks) - 1; i > 0; i-- {
		if blocks[i-1].Height == blocks[i].Height+1 {
			iv = append(iv, blocks[i-1].Time.Sub(blocks[i].Time).Seconds())
		}
	}
	if len(iv) == 0 {
		return template.HTML(`<p class="muted">not enough blocks yet for a chart</p>`)
	}
	top := 2 * target.Seconds()
	for _, x := range iv {
		top = max(top, x)
	}
	if top <= 0 {
		top = 1
	}
	bw := (w - 2*pad) / float64(len(iv))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %.0f %.0f" role="img" aria-label="block intervals"><rect x="0" y="0" width="%.0f" height="%.0f" class="bg"/>`, w, h+16, w, h)
	for i, x := range iv {
		bh := (h - 2*pad) * x / top
		cls := "bar"
		if target > 0 && x > 3*target.Seconds() {
			cls = "bar slow"
		}
		fmt.Fprintf(&b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%.2fs</title></rect>`, cls, pad+float64(i)*bw+0.5, h-pad-bh, max(bw-1, 0.5), bh, x)
	}
	if target > 0 {
		y := h - pad - (h-2*pad)*target.Seconds()/top
		fmt.Fprintf(&b, `<line class="target" x1="0" x2="%.0f" y1="%.1f" y2="%.1f"/><text x="4" y="%.1f" class="label">target %s</text>`, w, y, y, y-3, target)
	}
	fmt.Fprintf(&b, `<text x="4" y="%.0f" class="label">%d intervals, max %.2fs</text></svg>`, h+13, len(iv), top)
	return template.HTML(b.String())
}

// sparkline draws reputation samples (0..1) as a small line.
func sparkline(samples []float64) template.HTML {
	if len(samples) < 2 {
		return ""
	}
	const w, h = 100.0, 20.0
	var pts []string
	for i, s := range samples {
		x := w * float64(i) / float64(len(samples)-1)
		y := h - h*min(max(s, 0), 1)
		pts = append(pts, fmt.Sprintf("%.1f,%.1f", x, y))
	}
	return template.HTML(fmt.Sprintf(`<svg class="spark" viewBox="0 0 %.0f %.0f"><polyline points="%s"/></svg>`, w, h, strings.Join(pts, " ")))
}

func parseRep(s string) (float64, bool) {
	if s == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil
}
