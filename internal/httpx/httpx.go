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
