// Package sdk is the Go SDK of a user's SELF instance: an app authenticates with
// its key registered in x/permissions, then uses the user's private LLM and its
// own namespace of the user's sovereign storage within the scopes the user granted.
package sdk

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/selfchain/selfchain/crypto"
	"github.com/selfchain/selfchain/instance/wire"
)

// Signer is an app's request-signing key (client.KeyringSigner is one).
type Signer interface {
	PubKey() crypto.PubKey
	Sign(msg []byte) ([]byte, error)
}

// Config says where the instance is and how to recognise it.
type Config struct {
	URL   string // https://host:port
	Owner string // the instance owner's address (Discover fills it)
	// TLSKey is the Ed25519 key the instance's certificate must carry (Discover
	// fills it from x/registry); the certificate chain itself is not trusted.
	TLSKey ed25519.PublicKey
	// Timeout bounds each request that is not a stream (default 30 s).
	Timeout time.Duration
}

// Client talks to one instance.
type Client struct {
	cfg  Config
	http *http.Client
}

// New returns a client for cfg; cfg.TLSKey is required (the instance's certificate
// is self-signed: it is trusted only because its key is the registered one).
func New(cfg Config) (*Client, error) {
	if len(cfg.TLSKey) != ed25519.PublicKeySize {
		return nil, sdkErr(CodeTLSKey, "Config.TLSKey must be the instance's registered Ed25519 key (use Discover)", nil)
	}
	if cfg.Owner == "" || cfg.URL == "" {
		return nil, sdkErr(CodeDiscovery, "Config.URL and Config.Owner are required (use Discover)", nil)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	pin := cfg.TLSKey
	tc := &tls.Config{
		MinVersion:         tls.VersionTLS13,
		CurvePreferences:   []tls.CurveID{tls.X25519MLKEM768, tls.X25519},
		InsecureSkipVerify: true, // replaced by the key pin below
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return sdkErr(CodeTLSKey, "the instance sent no certificate", nil)
			}
			c, err := x509.ParseCertificate(raw[0])
			if err != nil {
				return sdkErr(CodeTLSKey, "the instance's certificate does not parse", err)
			}
			if k, ok := c.PublicKey.(ed25519.PublicKey); !ok || !k.Equal(pin) {
				return sdkErr(CodeTLSKey, "the instance's TLS key is not the one registered in x/registry: refusing to talk to it", nil)
			}
			return nil
		},
	}
	// An app keeps several requests in flight: keep that many connections alive
	// (net/http keeps 2 by default, so every burst paid fresh TLS handshakes, and a
	// request stalled behind one could fall out of the gateway's sequence window).
	tr := &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: maxConns, IdleConnTimeout: 90 * time.Second}
	return &Client{cfg: cfg, http: &http.Client{Transport: tr}}, nil
}

// maxConns is how many keep-alive connections a Client keeps to its instance.
const maxConns = 32

// Session is an authenticated app on the instance.
type Session struct {
	c       *Client
	app     string
	signer  Signer
	token   string
	seq     atomic.Uint64
	Expires time.Time
	Scopes  []string
	AI      *AI
	Storage *Storage
}

// Authenticate opens a session for appID with the scopes asked. When the user has
// not granted them yet it returns an *Error with Code wire.CodePending and the
// RequestID the user approves; see AuthenticateWait.
func (c *Client) Authenticate(ctx context.Context, appID string, signer Signer, scopes []string) (*Session, error) {
	var n wire.NonceResponse
	hdr := http.Header{wire.HeaderApp: {appID}}
	if err := c.do(ctx, http.MethodPost, wire.PathNonce, nil, hdr, &n); err != nil {
		return nil, err
	}
	body, _ := json.Marshal(wire.SessionRequest{Scopes: scopes})
	ts := time.Now().Unix()
	sig, err := signer.Sign(wire.SignBytes(c.cfg.Owner, n.Nonce, http.MethodPost, wire.PathSession, body, ts))
	if err != nil {
		return nil, sdkErr(CodeSign, "the app key could not sign", err)
	}
	pk := signer.PubKey()
	hdr = http.Header{
		wire.HeaderApp: {appID}, wire.HeaderNonce: {n.Nonce}, wire.HeaderTimestamp: {strconv.FormatInt(ts, 10)},
		wire.HeaderKey:       {pk.Type() + ":" + base64.StdEncoding.EncodeToString(pk.Bytes())},
		wire.HeaderSignature: {base64.StdEncoding.EncodeToString(sig)},
	}
	var sr wire.SessionResponse
	if err := c.do(ctx, http.MethodPost, wire.PathSession, body, hdr, &sr); err != nil {
		return nil, err
	}
	s := &Session{c: c, app: appID, signer: signer, token: sr.Session, Expires: time.Unix(sr.ExpiresAt, 0), Scopes: sr.Scopes}
	s.AI, s.Storage = &AI{s: s}, &Storage{s: s}
	return s, nil
}

// AuthenticateWait retries Authenticate every poll while the request is pending
// (calling onPending once with its id, to show the user), until ctx ends.
func (c *Client) AuthenticateWait(ctx context.Context, appID string, signer Signer, scopes []string, poll time.Duration, onPending func(id uint64)) (*Session, error) {
	var told bool
	for {
		s, err := c.Authenticate(ctx, appID, signer, scopes)
		var e *Error
		if err == nil || !errors.As(err, &e) || (e.Code != wire.CodePending && e.Code != wire.CodeApproved) {
			return s, err
		}
		// Approved: the grant's block is a moment from being proven; keep polling.
		if !told && onPending != nil {
			onPending(e.RequestID)
			told = true
		}
		select {
		case <-ctx.Done():
			return nil, sdkErr(wire.CodePending, "gave up waiting for the user's approval", ctx.Err())
		case <-time.After(poll):
		}
	}
}

// ID is the session token (useless without the app key: every request is signed).
func (s *Session) ID() string { return s.token }

// request builds a signed session request.
func (s *Session) request(ctx context.Context, method, pathAndQuery string, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.c.cfg.URL+pathAndQuery, bytes.NewReader(body))
	if err != nil {
		return nil, sdkErr(CodeTransport, "bad request URL", err)
	}
	seq := s.seq.Add(1)
	ts := time.Now().Unix()
	// Sign the path exactly as it goes on the wire (after Go's escaping).
	sig, err := s.signer.Sign(wire.SignBytes(s.c.cfg.Owner, wire.SessionNonce(s.token, seq), method, req.URL.RequestURI(), body, ts))
	if err != nil {
		return nil, sdkErr(CodeSign, "the app key could not sign", err)
	}
	req.Header.Set(wire.HeaderSession, wire.SessionScheme+s.token)
	req.Header.Set(wire.HeaderSeq, strconv.FormatUint(seq, 10))
	req.Header.Set(wire.HeaderTimestamp, strconv.FormatInt(ts, 10))
	req.Header.Set(wire.HeaderSignature, base64.StdEncoding.EncodeToString(sig))
	return req, nil
}

// send runs a signed session request; a non-2xx answer becomes an *Error.
func (s *Session) send(ctx context.Context, method, pathAndQuery string, body []byte) (*http.Response, error) {
	req, err := s.request(ctx, method, pathAndQuery, body)
	if err != nil {
		return nil, err
	}
	res, err := s.c.http.Do(req)
	if err != nil {
		return nil, transportErr(err)
	}
	if res.StatusCode/100 != 2 {
		defer res.Body.Close()
		return nil, decodeErr(res)
	}
	return res, nil
}

// do runs an unsigned-session request (nonce, session creation) and decodes JSON.
func (c *Client) do(ctx context.Context, method, path string, body []byte, hdr http.Header, out any) error {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.cfg.URL+path, bytes.NewReader(body))
	if err != nil {
		return sdkErr(CodeTransport, "bad request URL", err)
	}
	req.Header = hdr
	res, err := c.http.Do(req)
	if err != nil {
		return transportErr(err)
	}
	defer res.Body.Close()
	if res.StatusCode/100 != 2 {
		return decodeErr(res)
	}
	return decodeJSON(res.Body, out)
}

func transportErr(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return sdkErr(CodeTransport, "the instance could not be reached", err)
}

func decodeJSON(r io.Reader, out any) error {
	if err := json.NewDecoder(io.LimitReader(r, 16<<20)).Decode(out); err != nil {
		return sdkErr(CodeDecode, "the instance's answer does not decode", err)
	}
	return nil
}

func decodeErr(res *http.Response) error {
	var b wire.ErrorBody
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if err := json.Unmarshal(raw, &b); err != nil || b.Error.Code == "" {
		return &Error{Code: CodeDecode, Status: res.StatusCode, Message: fmt.Sprintf("HTTP %d with no error body", res.StatusCode)}
	}
	return &Error{Code: b.Error.Code, Message: b.Error.Message, Status: res.StatusCode, RequestID: b.Error.RequestID, Decision: b.Error.Decision}
}

// NewRequest builds a signed session request (for API calls the SDK has no
// method for); send it with Client.Do. A request is good for one use only.
func (s *Session) NewRequest(ctx context.Context, method, pathAndQuery string, body []byte) (*http.Request, error) {
	return s.request(ctx, method, pathAndQuery, body)
}

// Do sends a request over the client's pinned TLS connection.
func (c *Client) Do(req *http.Request) (*http.Response, error) {
	res, err := c.http.Do(req)
	if err != nil {
		return nil, transportErr(err)
	}
	return res, nil
}

// Owner is the address of the instance's owner.
func (c *Client) Owner() string { return c.cfg.Owner }

// DecodeError turns a non-2xx answer into an *Error.
func DecodeError(res *http.Response) error { return decodeErr(res) }

// URL is the instance's base URL.
func (c *Client) URL() string { return c.cfg.URL }
