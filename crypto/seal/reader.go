package seal

import (
	"errors"
	"fmt"
	"io"
)

// NewReader reads an envelope sealed to priv's public key from r. It reads
// and authenticates the header at once (errors: ErrMalformed,
// ErrUnsupportedVersion, ErrWrongRecipient, ErrAuthentication,
// ErrTruncated), then decrypts chunk by chunk as it is read.
//
// A chunk's plaintext is released only after that chunk authenticates, and
// the final chunk's only after r is seen to end right after it. Chunks
// before a failure have been released by then: treat any error from Read
// (other than io.EOF) as "discard everything read so far", or use Open.
// The reader consumes r to its end; wrap r in an io.LimitReader to read an
// envelope embedded in a longer stream.
func NewReader(r io.Reader, priv *PrivateKey, ad []byte) (io.Reader, error) {
	buf := make([]byte, HeaderSize)
	if err := readHeader(r, buf); err != nil {
		return nil, err
	}
	h, err := parseHeader(buf)
	if err != nil {
		return nil, err
	}
	s, err := newReceiver(h, priv, ad)
	if err != nil {
		return nil, err
	}
	return &reader{r: r, s: s}, nil
}

// readHeader fills buf, reading the fixed prefix first so that a foreign or
// future-version input is rejected without reading a header it may not have.
func readHeader(r io.Reader, buf []byte) error {
	n, err := io.ReadFull(r, buf[:prefixSize])
	if err == nil {
		if err = checkPrefix(buf[:n]); err != nil {
			return err
		}
		var m int
		m, err = io.ReadFull(r, buf[prefixSize:])
		n += m
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		_, err = parseHeader(buf[:n]) // short: reports why
	}
	return err
}

type reader struct {
	r     io.Reader
	s     *stream
	buf   []byte // current chunk: ciphertext, then plaintext in place
	plain []byte // authenticated plaintext not yet returned
	done  bool   // final chunk opened and end of input seen
	err   error  // sticky
}

func (r *reader) Read(p []byte) (int, error) {
	for len(r.plain) == 0 {
		if r.err != nil {
			return 0, r.err
		}
		if r.done {
			return 0, io.EOF
		}
		if err := r.next(); err != nil {
			r.err = err
		}
	}
	n := copy(p, r.plain)
	r.plain = r.plain[n:]
	return n, nil
}

// WriteTo hands out whole chunks, saving io.Copy a buffer copy.
func (r *reader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if len(r.plain) > 0 {
			n, err := w.Write(r.plain)
			total += int64(n)
			if err == nil && n < len(r.plain) {
				err = io.ErrShortWrite
			}
			r.plain = r.plain[n:]
			if err != nil {
				return total, err
			}
			continue
		}
		if r.err != nil {
			return total, r.err
		}
		if r.done {
			return total, nil
		}
		if err := r.next(); err != nil {
			r.err = err
		}
	}
}

// next reads, authenticates and decrypts one chunk into r.plain.
func (r *reader) next() error {
	var rh [recordHeaderSize]byte
	if _, err := io.ReadFull(r.r, rh[:]); err != nil {
		return eofAs(err, fmt.Errorf("%w: stream ends before chunk %d (no final chunk)", ErrTruncated, r.s.counter))
	}
	n, final, err := parseRecordHeader(rh[:], r.s.chunkSize)
	if err != nil {
		return err
	}
	// Grow to the size this chunk needs (at most chunk size + tag), so a
	// small envelope with a large chunk size stays small.
	if cap(r.buf) < n+tagSize {
		r.buf = make([]byte, n+tagSize)
	}
	body := r.buf[:n+tagSize]
	if got, err := io.ReadFull(r.r, body); err != nil {
		return eofAs(err, fmt.Errorf("%w: chunk %d has %d of %d bytes", ErrTruncated, r.s.counter, got, n+tagSize))
	}
	plain, err := r.s.open(body[:0], body, n, final)
	if err != nil {
		return err
	}
	if final {
		var one [1]byte
		switch _, err := io.ReadFull(r.r, one[:]); {
		case err == nil:
			clear(plain)
			return fmt.Errorf("%w: data after the final chunk", ErrMalformed)
		case err != io.EOF:
			clear(plain)
			return err
		}
		r.done = true
	}
	r.plain = plain
	return nil
}

// eofAs maps an early end of input to trunc; other read errors pass through.
func eofAs(err, trunc error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return trunc
	}
	return err
}
