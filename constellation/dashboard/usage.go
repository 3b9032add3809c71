package dashboard

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/selfchain/selfchain/constellation"
)

// Usage per chain per UTC day, what an enterprise invoice is built from. The
// dashboard meters it while it runs and keeps it in <home>/.dashboard/usage.json:
//
//	node_hours      hours of node processes running (sampled each poll)
//	txs, blocks     from the chain's block headers, by the block's own time;
//	                every block from height 1 is counted once, catching up
//	                maxMeterPages pages a poll
//	storage_bytes   the largest total size of the nodes' data folders seen that day
//	bridge_packets  packets the chain sent over its bridges (next_sequence_send's growth)

// DayUsage is one chain's usage on one UTC day.
type DayUsage struct {
	Chain         string  `json:"chain"`
	Day           string  `json:"day"` // YYYY-MM-DD, UTC
	NodeHours     float64 `json:"node_hours"`
	Txs           int64   `json:"txs"`
	Blocks        int64   `json:"blocks"`
	StorageBytes  int64   `json:"storage_bytes"`
	BridgePackets int64   `json:"bridge_packets"`
}

// maxMeterPages bounds the /blockchain calls one poll spends counting blocks.
const maxMeterPages = 5

// usageBook is the metered usage and where metering stopped, saved as JSON.
type usageBook struct {
	path string
	mu   sync.Mutex
	data usageFile
	// lastMeter: when each chain's node time was last sampled (not saved: time
	// the dashboard did not run is not counted).
	lastMeter map[string]time.Time
	dirty     bool
}

type usageFile struct {
	Days map[string]map[string]*DayUsage `json:"days"` // chain -> day -> usage
	// Heights: the highest block of each chain counted; Seqs: the last
	// next_sequence_send seen per "chain/counterparty".
	Heights map[string]int64  `json:"heights"`
	Seqs    map[string]uint64 `json:"bridge_sequences"`
}

func openUsage(path string) (*usageBook, error) {
	u := &usageBook{path: path, lastMeter: map[string]time.Time{}}
	bz, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(bz, &u.data); err != nil {
			return nil, fmt.Errorf("%s: %w (move it away to start metering afresh)", path, err)
		}
	}
	if u.data.Days == nil {
		u.data.Days = map[string]map[string]*DayUsage{}
	}
	// A hand-edited file: null days are dropped, and each row takes its chain
	// and day from its keys.
	for chain, days := range u.data.Days {
		for day, d := range days {
			if d == nil {
				delete(days, day)
				continue
			}
			d.Chain, d.Day = chain, day
		}
		if len(days) == 0 {
			delete(u.data.Days, chain)
		}
	}
	if u.data.Heights == nil {
		u.data.Heights = map[string]int64{}
	}
	if u.data.Seqs == nil {
		u.data.Seqs = map[string]uint64{}
	}
	return u, nil
}

// day is the chain's usage on the UTC day of t; u.mu must be held.
func (u *usageBook) day(chain string, t time.Time) *DayUsage {
	d := t.UTC().Format(time.DateOnly)
	m := u.data.Days[chain]
	if m == nil {
		m = map[string]*DayUsage{}
		u.data.Days[chain] = m
	}
	if m[d] == nil {
		m[d] = &DayUsage{Chain: chain, Day: d}
	}
	u.dirty = true
	return m[d]
}

// meterBlocks counts the chain's blocks above the last counted, up to height
// (at most maxMeterPages pages), and returns the newest blocks it read, newest
// first: those counted, and the top page when counting is still behind.
func (u *usageBook) meterBlocks(ctx context.Context, c *constellation.Chain, height int64) []constellation.BlockSummary {
	name := c.Spec.Name
	u.mu.Lock()
	from := u.data.Heights[name]
	if from > height { // the chain was made anew under this name
		from = 0
		u.data.Heights[name] = 0
	}
	u.mu.Unlock()
	var read []constellation.BlockSummary
	for page := 0; page < maxMeterPages && from < height; page++ {
		hi := min(from+constellation.MaxBlocksPerCall, height)
		bs, err := c.Blocks(ctx, from+1, hi)
		if err != nil || len(bs) == 0 {
			break
		}
		u.mu.Lock()
		for _, b := range bs {
			d := u.day(name, b.Time)
			d.Blocks++
			d.Txs += int64(b.Txs)
		}
		u.data.Heights[name] = hi
		u.mu.Unlock()
		from = hi
		read = append(bs, read...)
	}
	if from < height {
		if bs, err := c.Blocks(ctx, max(height-constellation.MaxBlocksPerCall+1, 1), height); err == nil {
			read = append(bs, read...)
		}
	}
	return read
}

// meterStatus adds the node time since the chain's last sample (at most two
// poll intervals), the day's peak storage and new bridge packets.
func (u *usageBook) meterStatus(chain string, st *constellation.ChainStatus, bridges []constellation.BridgeStatus, interval time.Duration, now time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	d := u.day(chain, now)
	if last, ok := u.lastMeter[chain]; ok {
		elapsed := min(max(now.Sub(last), 0), 2*interval) // a clock set back counts nothing
		running := 0
		for _, n := range st.Nodes {
			if n.Running {
				running++
			}
		}
		d.NodeHours += float64(running) * elapsed.Hours()
	}
	u.lastMeter[chain] = now
	var disk int64
	for _, n := range st.Nodes {
		disk += n.DiskBytes
	}
	d.StorageBytes = max(d.StorageBytes, disk)
	for _, b := range bridges {
		next := b.Sides.A.NextSend
		if next == 0 { // not read this time
			continue
		}
		key := chain + "/" + b.Counterparty
		if prev, ok := u.data.Seqs[key]; ok && next > prev {
			d.BridgePackets += int64(next - prev)
		} else if !ok && next > 1 {
			d.BridgePackets += int64(next - 1) // sent before metering began: counted today
		}
		u.data.Seqs[key] = next
	}
}

// save writes the book if it changed (atomically: a crash leaves the old one).
func (u *usageBook) save() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if !u.dirty {
		return nil
	}
	bz, err := json.Marshal(&u.data)
	if err != nil {
		return err
	}
	tmp := u.path + ".tmp"
	if err := os.WriteFile(tmp, bz, 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, u.path); err != nil {
		return err
	}
	u.dirty = false
	return nil
}

// usageQuery selects rows: one chain (or all), days from..to inclusive (or all).
type usageQuery struct {
	chain    string
	from, to string // YYYY-MM-DD or ""
}

// rows are the selected days, by chain then day, node hours rounded to 0.001.
func (u *usageBook) rows(q usageQuery) []DayUsage {
	u.mu.Lock()
	defer u.mu.Unlock()
	var out []DayUsage
	for chain, days := range u.data.Days {
		if q.chain != "" && chain != q.chain {
			continue
		}
		for day, d := range days {
			if (q.from != "" && day < q.from) || (q.to != "" && day > q.to) {
				continue
			}
			r := *d
			r.NodeHours = float64(int64(r.NodeHours*1000+0.5)) / 1000
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Chain != out[j].Chain {
			return out[i].Chain < out[j].Chain
		}
		return out[i].Day < out[j].Day
	})
	return out
}

// hasChain reports whether any usage was metered for chain.
func (u *usageBook) hasChain(chain string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	_, ok := u.data.Days[chain]
	return ok
}

// usageCSVHeader is the CSV export's first line.
var usageCSVHeader = []string{"chain", "day", "node_hours", "txs", "blocks", "storage_bytes", "bridge_packets"}

func writeUsageCSV(w io.Writer, rows []DayUsage) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(usageCSVHeader); err != nil {
		return err
	}
	for _, r := range rows {
		if err := cw.Write([]string{r.Chain, r.Day, strconv.FormatFloat(r.NodeHours, 'f', 3, 64), strconv.FormatInt(r.Txs, 10),
			strconv.FormatInt(r.Blocks, 10), strconv.FormatInt(r.StorageBytes, 10), strconv.FormatInt(r.BridgePackets, 10)}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
