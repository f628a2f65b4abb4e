package main

import (
	"context"
	"io"
	"testing"
	"time"
)

// The command serves until its context ends, and refuses a bad address.
func TestRun(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := run(ctx, []string{"-addr", "127.0.0.1:0", "-data", t.TempDir()}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"-addr", "not an address", "-data", t.TempDir()}, io.Discard); err == nil {
		t.Fatal("a bad address is refused")
	}
}
