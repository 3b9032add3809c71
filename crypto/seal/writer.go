package seal

import (
	"crypto/rand"
	"errors"
	"io"
)

var errClosed = errors.New("seal: write after close")

// NewWriter starts an envelope to pub on w and returns a writer that seals
// what is written to it in chunks of chunkSize plaintext bytes (0 means
// DefaultChunkSize; otherwise MinChunkSize..MaxChunkSize). The header is
// written at once. Close must be called to write the final chunk; without
// it the envelope reads as truncated. Close does not close w.
func NewWriter(w io.Writer, pub *PublicKey, ad []byte, chunkSize int) (io.WriteCloser, error) {
	return newWriter(rand.Reader, w, pub, ad, chunkSize)
}

func newWriter(rnd io.Reader, w io.Writer, pub *PublicKey, ad []byte, chunkSize int) (*writer, error) {
	hdr, s, err := newSender(rnd, pub, ad, chunkSize)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(hdr); err != nil {
		return nil, err
	}
	return &writer{w: w, s: s, buf: make([]byte, recordHeaderSize, recordHeaderSize+s.chunkSize+tagSize)}, nil
}

type writer struct {
	w io.Writer
	s *stream
	// buf holds one record: 4 header bytes, then the pending plaintext,
	// sealed in place. A full buffer is only sealed once more data arrives,
	// because until then it may be the final chunk.
	buf    []byte
	err    error // sticky
	closed bool
}

func (w *writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errClosed
	}
	written := 0
	cs := w.s.chunkSize
	for len(p) > 0 {
		pending := len(w.buf) - recordHeaderSize
		if pending == cs {
			if err := w.emit(w.buf[recordHeaderSize:], false); err != nil {
				return written, err
			}
			pending = 0
		}
		// Large writes skip the copy: seal straight from p while more
		// than a chunk remains (so this one is surely not the last).
		if pending == 0 && len(p) > cs {
			if err := w.emit(p[:cs], false); err != nil {
				return written, err
			}
			p, written = p[cs:], written+cs
			continue
		}
		k := min(cs-pending, len(p))
		w.buf = append(w.buf, p[:k]...)
		p, written = p[k:], written+k
	}
	return written, nil
}

// emit seals chunk p into buf (in place when p is buf's pending
// plaintext) and writes the record.
func (w *writer) emit(p []byte, final bool) error {
	rec, err := w.s.seal(w.buf[:0], p, final)
	if err == nil {
		_, err = w.w.Write(rec)
	}
	w.buf = w.buf[:recordHeaderSize]
	if err != nil {
		w.err = err
	}
	return err
}

// Close seals and writes the final chunk (empty if nothing was written).
func (w *writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.closed {
		return nil
	}
	w.closed = true
	return w.emit(w.buf[recordHeaderSize:], true)
}
