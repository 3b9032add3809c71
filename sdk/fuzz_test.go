package sdk

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
)

// FuzzDecodeStream: any stream ends in either [DONE] or exactly one *Error, never a panic.
func FuzzDecodeStream(f *testing.F) {
	f.Add([]byte("data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\ndata: [DONE]\n\n"))
	f.Add([]byte("event: error\ndata: {\"error\":{\"code\":\"llm_malformed\",\"message\":\"x\"}}\n\n"))
	f.Add([]byte("data: {bad\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		errs := 0
		decodeStream(bytes.NewReader(b), 200, func(_ string, err error) bool {
			if err != nil {
				errs++
				var e *Error
				if !errors.As(err, &e) || e.Code == "" {
					t.Fatalf("untyped error %v", err)
				}
			}
			return true
		})
		if errs > 1 {
			t.Fatalf("%d errors from one stream", errs)
		}
	})
}

// FuzzDecodeError: any error answer becomes an *Error with a code.
func FuzzDecodeError(f *testing.F) {
	f.Add(403, []byte(`{"error":{"code":"authorization_pending","message":"m","request_id":3}}`))
	f.Add(500, []byte(`<html>`))
	f.Fuzz(func(t *testing.T, status int, b []byte) {
		err := decodeErr(&http.Response{StatusCode: status, Body: io.NopCloser(bytes.NewReader(b))})
		var e *Error
		if !errors.As(err, &e) || e.Code == "" || strings.TrimSpace(e.Error()) == "" {
			t.Fatalf("%v", err)
		}
	})
}

func TestErrorsIs(t *testing.T) {
	err := error(&Error{Code: "authorization_pending", Message: "ask the user", RequestID: 7})
	if !errors.Is(err, ErrPending) || errors.Is(err, ErrDenied) {
		t.Fatal("errors.Is by code")
	}
	wrapped := &Error{Code: CodeTransport, Message: "down", Cause: io.ErrUnexpectedEOF}
	if !errors.Is(wrapped, io.ErrUnexpectedEOF) {
		t.Fatal("cause chain")
	}
}
