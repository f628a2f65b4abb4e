package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestRunMockPrintsURLAndServes(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	status := make(chan int, 1)
	go func() {
		status <- run(ctx, []string{"-addr", "127.0.0.1:0"}, func(string) string { return "" }, &stdout, &stderr)
	}()
	urlRe := regexp.MustCompile(`Portail de démonstration : (http://127\.0\.0\.1:\d+/)`)
	var home string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := urlRe.FindStringSubmatch(stdout.String()); m != nil {
			home = m[1]
			break
		}
	}
	if home == "" {
		cancel()
		t.Fatalf("no URL printed; stdout:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	resp, err := http.Get(home)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "S’identifier avec") {
		t.Errorf("home: %s\n%s", resp.Status, body)
	}
	cancel()
	select {
	case s := <-status:
		if s != 0 {
			t.Errorf("exit status %d after interrupt; stderr:\n%s", s, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after the context ended")
	}
}

func TestRunRefusesIncompleteConfig(t *testing.T) {
	var stdout, stderr syncBuffer
	env := map[string]string{"FC_ENVIRONMENT": "sandbox", "FC_CLIENT_ID": "id"}
	s := run(context.Background(), nil, func(k string) string { return env[k] }, &stdout, &stderr)
	if s != 1 {
		t.Errorf("exit status %d, want 1", s)
	}
	for _, want := range []string{"portal: invalid configuration:", "FC_CLIENT_ID is set but FC_CLIENT_SECRET is not", "FC_REDIRECT_URL is required", "FC_COOKIE_KEY is required"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr.String())
		}
	}
	if stdout.String() != "" {
		t.Errorf("stdout: %s", stdout.String())
	}
}

func TestRunHelp(t *testing.T) {
	var stdout, stderr syncBuffer
	if s := run(context.Background(), []string{"-h"}, func(string) string { return "" }, &stdout, &stderr); s != 0 {
		t.Errorf("-h: exit status %d", s)
	}
	if !strings.Contains(stderr.String(), "FC_SERVICE_URL") {
		t.Errorf("-h does not document the environment:\n%s", stderr.String())
	}
}
