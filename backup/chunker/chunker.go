// Package chunker cuts a byte stream into content-defined chunks (FastCDC:
// a gear rolling hash with normalized chunking), so an edit in the middle of
// a file changes only the chunks around it and the rest deduplicate.
//
// The gear table is derived from a secret key: boundaries then depend on the
// owner's key as well as the content, so a holder that sees only chunk sizes
// cannot recognise a known file by its chunk-size pattern (restic uses a
// secret polynomial for the same reason).
package chunker

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
)

// Default sizes: about 1 MiB on average, never below 256 KiB (but at the
// end of a stream) nor above 4 MiB.
const (
	DefaultMin = 256 << 10
	DefaultAvg = 1 << 20
	DefaultMax = 4 << 20
)

// Params are a chunker's size bounds; Avg must be a power of two.
type Params struct{ Min, Avg, Max int }

// DefaultParams are the sizes the backup agent uses.
var DefaultParams = Params{DefaultMin, DefaultAvg, DefaultMax}

// Table is a keyed gear table.
type Table [256]uint64

// NewTable derives a gear table from key.
func NewTable(key []byte) *Table {
	okm, err := hkdf.Key(sha256.New, key, nil, "selfchain/backup/v1 gear", 256*8)
	if err != nil {
		panic(err) // only on a length hkdf cannot produce; 2048 bytes is fine
	}
	var t Table
	for i := range t {
		t[i] = binary.LittleEndian.Uint64(okm[i*8:])
	}
	return &t
}

// Chunker reads a stream and returns its chunks one by one.
type Chunker struct {
	r            io.Reader
	t            *Table
	p            Params
	maskS, maskL uint64
	buf          []byte
	start, end   int
	eof          bool
}

// New returns a chunker over r. The slices Next returns are valid only
// until the next call.
func New(r io.Reader, t *Table, p Params) (*Chunker, error) {
	if p.Min <= 0 || p.Avg < p.Min || p.Max < p.Avg || p.Avg&(p.Avg-1) != 0 {
		return nil, errors.New("chunker: need 0 < min <= avg <= max with avg a power of two")
	}
	bits := 0
	for 1<<bits < p.Avg {
		bits++
	}
	// Normalized chunking (level 2): harder to cut before avg, easier after,
	// which narrows the size distribution around avg. Masks take the top
	// bits, which depend on the most recent 64 bytes.
	return &Chunker{r: r, t: t, p: p, maskS: topBits(bits + 2), maskL: topBits(bits - 2), buf: make([]byte, 2*p.Max)}, nil
}

func topBits(n int) uint64 {
	if n <= 0 {
		return 0
	}
	return ^uint64(0) << (64 - n)
}

// Reset starts over on r, keeping the buffer (one chunker serves many files).
func (c *Chunker) Reset(r io.Reader) {
	c.r, c.start, c.end, c.eof = r, 0, 0, false
}

// Next returns the next chunk, or io.EOF after the last one.
func (c *Chunker) Next() ([]byte, error) {
	if err := c.fill(); err != nil {
		return nil, err
	}
	n := c.end - c.start
	if n == 0 {
		return nil, io.EOF
	}
	cut := c.cut(c.buf[c.start:c.end])
	chunk := c.buf[c.start : c.start+cut]
	c.start += cut
	return chunk, nil
}

// fill tops the buffer up to Max bytes past start (or to the end of input).
func (c *Chunker) fill() error {
	if c.eof || c.end-c.start >= c.p.Max {
		return nil
	}
	if c.start > 0 {
		c.end = copy(c.buf, c.buf[c.start:c.end])
		c.start = 0
	}
	for c.end < len(c.buf) && !c.eof {
		n, err := c.r.Read(c.buf[c.end:])
		c.end += n
		if err == io.EOF {
			c.eof = true
		} else if err != nil {
			return err
		}
	}
	return nil
}

// cut returns the length of the chunk at the start of b.
func (c *Chunker) cut(b []byte) int {
	n := len(b)
	if n <= c.p.Min {
		return n
	}
	if n > c.p.Max {
		n = c.p.Max
	}
	avg := min(c.p.Avg, n)
	var h uint64
	t := c.t
	i := c.p.Min
	for ; i < avg; i++ {
		h = h<<1 + t[b[i]]
		if h&c.maskS == 0 {
			return i + 1
		}
	}
	for ; i < n; i++ {
		h = h<<1 + t[b[i]]
		if h&c.maskL == 0 {
			return i + 1
		}
	}
	return n
}
