package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }

// The command serves until its context ends, and refuses a bad address,
// bad keys, and a shared database without the keys replicas share.
func TestRun(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := run(ctx, []string{"-addr", "127.0.0.1:0", "-data", t.TempDir()}, env(nil), io.Discard); err != nil {
		t.Fatal(err)
	}
	key := "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes
	for _, c := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"-addr", "not an address"}, nil, "address"},
		{nil, map[string]string{"MT_COOKIE_KEYS": key + ",c2hvcnQ="}, "MT_COOKIE_KEYS: each key is 32 bytes"},
		{nil, map[string]string{"MT_SECRETS_KEY": "not base64"}, "MT_SECRETS_KEY: each key is 32 bytes"},
		{[]string{"-database", "postgres://127.0.0.1:1/x"}, map[string]string{"MT_COOKIE_KEYS": key}, "MT_SECRETS_KEY"},
		{[]string{"-database", "postgres://127.0.0.1:1/x"}, map[string]string{"MT_COOKIE_KEYS": key, "MT_SECRETS_KEY": key}, "MT_ADMIN_PASSWORD"},
		{[]string{"-database", "mysql://127.0.0.1:1/x"}, map[string]string{"MT_COOKIE_KEYS": key, "MT_SECRETS_KEY": key, "MT_ADMIN_PASSWORD": "x"}, "postgres://"},
	} {
		args := append([]string{"-addr", "127.0.0.1:0", "-data", t.TempDir()}, c.args...)
		err := run(context.Background(), args, env(c.env), io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v %v: %v, want an error about %s", c.args, c.env, err, c.want)
		}
	}
}
