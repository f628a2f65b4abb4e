// Package httpx holds the small HTTP helpers every call to FranceConnect
// goes through: bounded reads of response bodies.
package httpx

import (
	"errors"
	"io"
	"net/http"
)

// ErrTooLarge is returned when a body exceeds its limit.
var ErrTooLarge = errors.New("response body too large")

// ReadLimited reads at most max bytes of r; a longer body is an error and
// is not read further.
func ReadLimited(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, ErrTooLarge
	}
	return b, nil
}

// Drain discards up to a small amount of what is left of a body and closes
// it, so the connection can be reused without reading an unbounded body.
func Drain(resp *http.Response) {
	_, _ = io.CopyN(io.Discard, resp.Body, 4<<10)
	_ = resp.Body.Close()
}

// LimitClient returns a copy of c whose responses fail to read past max
// bytes, for code we do not control (a library that calls io.ReadAll).
func LimitClient(c *http.Client, max int64) *http.Client {
	cp := *c
	base := c.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	cp.Transport = limitTransport{base, max}
	return &cp
}

type limitTransport struct {
	base http.RoundTripper
	max  int64
}

func (t limitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &limitedBody{rc: resp.Body, left: t.max}
	return resp, nil
}

type limitedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// Exactly max bytes is fine: fail only if there is more.
		var one [1]byte
		if n, err := b.rc.Read(one[:]); n == 0 && err != nil {
			return 0, err
		}
		return 0, ErrTooLarge
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

// ErrRedirect is returned for a redirect answer: calls to the provider
// never follow one (a 307 from the token endpoint would re-send the client
// secret and the code to wherever it points).
var ErrRedirect = errors.New("redirect refused: calls to the provider do not follow redirects")

// NoRedirects returns a copy of c that returns ErrRedirect instead of
// following a redirect, whatever c.CheckRedirect says.
func NoRedirects(c *http.Client) *http.Client {
	cp := *c
	cp.CheckRedirect = func(*http.Request, []*http.Request) error { return ErrRedirect }
	return &cp
}
