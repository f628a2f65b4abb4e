package franceconnect_test

// Benchmarks of the whole login against the in-process mock, side by side
// with two references measured in the same run:
//
//   - impl=baseline: the baseline (baseline_test.go), the login a careful developer
//     writes by hand with go-oidc, x/oauth2 and go-jose, doing the same
//     checks on the happy path;
//   - impl=floor: what no implementation can avoid, two bare ECDSA P-256
//     verifications (crypto/ecdsa.Verify on precomputed hashes) plus the
//     same two loopback round trips to the mock's token and userinfo
//     endpoints, bodies read and discarded.
//
// The mock runs in the benchmark's process, so ns/op, cpu-ns/op (process
// CPU time from getrusage), B/op and allocs/op include its work, the same
// for the three implementations. The difference to impl=floor is what the
// library (or the baseline) adds.
//
// The machine is shared and noisy: only ratios between implementations of
// the same run mean anything. BenchmarkCallbackPaired even alternates them
// call by call. Interleave whole runs (go test -count=10 would run each
// benchmark ten times in a row) and compare with benchstat:
//
//	go install golang.org/x/perf/cmd/benchstat@latest
//	for i in $(seq 10); do go test -run='^$' -bench=. -benchmem -count=1 . ./internal/seal; done > bench.txt
//	benchstat -col '/impl@(baseline ours floor)' -filter '.name:(Callback OR AuthCodeURL OR UserInfo)' bench.txt
//	benchstat -col '/impl@(floor ours baseline)' -filter '.name:Callback' bench.txt
//	benchstat -col '/impl@(gojose ours baseline)' -filter '.name:(VerifyIDToken OR UserInfo)' bench.txt
//	benchstat -col '/impl@(aesgcm ours)' -filter '.name:Seal' bench.txt
//	benchstat -filter '.name:CallbackPaired' bench.txt

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/franceconnect-go/franceconnect"
	"github.com/franceconnect-go/franceconnect/fctest"
)

const benchRedirect = "https://portail.example/fc/callback"

var benchScopes = []string{franceconnect.ScopeIdentitePivot, franceconnect.ScopeEmail}

// newBenchHTTPClient returns a client with its own connection pool, large
// enough that parallel benchmarks reuse connections.
func newBenchHTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 256
	tr.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// benchEnv is one mock, one registered client and the three
// implementations, each with its own HTTP connection pool and key cache.
type benchEnv struct {
	user  fctest.User // who logs in
	srv   *fctest.Server
	reg   fctest.Registration
	ours  *franceconnect.Client
	base  *franceconnect.BaselineRP
	floor *floor
}

func newBenchEnv(tb testing.TB, user fctest.User) *benchEnv {
	tb.Helper()
	srv := fctest.NewServer(fctest.Options{})
	srv.AddUser(user)
	tb.Cleanup(srv.Close)
	reg := srv.Register(fctest.Registration{RedirectURIs: []string{benchRedirect}, Alg: fctest.ES256})
	env := srv.Environment()

	oursHC, baseHC, floorHC := newBenchHTTPClient(), newBenchHTTPClient(), newBenchHTTPClient()
	for _, hc := range []*http.Client{oursHC, baseHC, floorHC} {
		tb.Cleanup(hc.CloseIdleConnections)
	}
	ours, err := franceconnect.New(franceconnect.Config{
		Environment:  env,
		ClientID:     reg.ID,
		ClientSecret: reg.Secret,
		RedirectURL:  benchRedirect,
		Scopes:       benchScopes,
		HTTPClient:   oursHC,
	})
	if err != nil {
		tb.Fatal(err)
	}
	base := franceconnect.NewBaseline(franceconnect.BaselineConfig{
		Issuer:       env.Issuer,
		ClientID:     reg.ID,
		ClientSecret: reg.Secret,
		RedirectURL:  benchRedirect,
		Scopes:       append([]string{"openid"}, benchScopes...),
		ACR:          "eidas1",
		Algorithm:    "ES256",
		AuthURL:      env.AuthorizationEndpoint,
		TokenURL:     env.TokenEndpoint,
		UserInfoURL:  env.UserInfoEndpoint,
		JWKSURL:      env.JWKSURI,
		HTTPClient:   baseHC,
	})
	e := &benchEnv{user: user, srv: srv, reg: reg, ours: ours, base: base}
	e.floor = newFloor(tb, env, reg, floorHC)
	// Warm up: keys fetched, connections open.
	ls := e.logins(tb, 3)
	if _, err := e.ours.Exchange(context.Background(), ls[0].req, ls[0].q); err != nil {
		tb.Fatal(err)
	}
	if _, err := e.base.Exchange(context.Background(), ls[1].tx(), ls[1].q); err != nil {
		tb.Fatal(err)
	}
	if err := e.floor.exchange(ls[2].q.Get("code")); err != nil {
		tb.Fatal(err)
	}
	return e
}

// pending is a login the mock has completed, waiting for its callback.
type pending struct {
	req *franceconnect.AuthRequest
	q   url.Values
}

func (p pending) tx() franceconnect.BaselineTransaction {
	return franceconnect.BaselineTransaction{State: p.req.State, Nonce: p.req.Nonce, ACR: string(franceconnect.EIDAS1)}
}

// logins runs n browser-less logins (codes live 30 s: use them soon).
func (e *benchEnv) logins(tb testing.TB, n int) []pending {
	tb.Helper()
	out := make([]pending, n)
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		errOnce  sync.Once
		firstErr error
	)
	for range 4 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				req, err := e.ours.AuthCodeURL(franceconnect.AuthOptions{})
				if err == nil {
					var cb string
					if cb, err = e.srv.Login(req.URL, e.user); err == nil {
						var u *url.URL
						if u, err = url.Parse(cb); err == nil {
							out[i] = pending{req: req, q: u.Query()}
						}
					}
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		tb.Fatal(firstErr)
	}
	return out
}

// exchange runs implementation impl on one pending login.
func (e *benchEnv) exchange(impl string, p pending) error {
	ctx := context.Background()
	switch impl {
	case "ours":
		res, err := e.ours.Exchange(ctx, p.req, p.q)
		if err == nil && res.Identity.FamilyName != "DUBOIS" {
			err = errors.New("wrong identity")
		}
		return err
	case "baseline":
		res, err := e.base.Exchange(ctx, p.tx(), p.q)
		if err == nil && res.Identity.FamilyName != "DUBOIS" {
			err = errors.New("wrong identity")
		}
		return err
	case "floor":
		return e.floor.exchange(p.q.Get("code"))
	}
	panic(impl)
}

// floor is the cost no implementation avoids: the two round trips and
// two P-256 verifications.
type floor struct {
	hc                              *http.Client
	tokenURL, userInfoURL           string
	formPrefix                      string // everything but the code
	pub                             *ecdsa.PublicKey
	hash1, hash2                    []byte
	r1, s1, r2, s2                  *big.Int
	accessTokenKey, accessTokenTail []byte
}

func newFloor(tb testing.TB, env franceconnect.Environment, reg fctest.Registration, hc *http.Client) *floor {
	tb.Helper()
	// Two precomputed signatures over inputs of the size of FranceConnect's
	// ID token and userinfo JWT.
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	sum1 := sha256.Sum256(bytes.Repeat([]byte("i"), 700))
	sum2 := sha256.Sum256(bytes.Repeat([]byte("u"), 900))
	r1, s1, err1 := ecdsa.Sign(rand.Reader, key, sum1[:])
	r2, s2, err2 := ecdsa.Sign(rand.Reader, key, sum2[:])
	if err := errors.Join(err1, err2); err != nil {
		tb.Fatal(err)
	}
	return &floor{
		hc: hc, tokenURL: env.TokenEndpoint, userInfoURL: env.UserInfoEndpoint,
		formPrefix: url.Values{
			"grant_type":    {"authorization_code"},
			"redirect_uri":  {benchRedirect},
			"client_id":     {reg.ID},
			"client_secret": {reg.Secret},
		}.Encode() + "&code=",
		pub: &key.PublicKey, hash1: sum1[:], hash2: sum2[:], r1: r1, s1: s1, r2: r2, s2: s2,
		accessTokenKey: []byte(`"access_token":"`), accessTokenTail: []byte(`"`),
	}
}

// exchange posts the code, finds the access token with a byte search (no
// JSON parsing), gets userinfo, discards it, and verifies two signatures.
func (f *floor) exchange(code string) error {
	resp, err := f.hc.Post(f.tokenURL, "application/x-www-form-urlencoded", strings.NewReader(f.formPrefix+url.QueryEscape(code)))
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	_, rest, ok := bytes.Cut(body, f.accessTokenKey)
	at, _, ok2 := bytes.Cut(rest, f.accessTokenTail)
	if resp.StatusCode != http.StatusOK || !ok || !ok2 {
		return fmt.Errorf("floor: token endpoint: HTTP %d", resp.StatusCode)
	}
	req, err := http.NewRequest(http.MethodGet, f.userInfoURL, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+string(at))
	resp, err = f.hc.Do(req)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("floor: userinfo: HTTP %d %v", resp.StatusCode, err)
	}
	if !ecdsa.Verify(f.pub, f.hash1, f.r1, f.s1) || !ecdsa.Verify(f.pub, f.hash2, f.r2, f.s2) {
		return errors.New("floor: signature")
	}
	return nil
}

// cpuMeter adds process CPU time to a benchmark's timer: cpu-ns/op counts
// both cores, unlike ns/op (wall time).
type cpuMeter struct {
	b     *testing.B
	total time.Duration
	t0    time.Duration
}

func (m *cpuMeter) start() { m.t0 = franceconnect.ProcessCPU(); m.b.StartTimer() }
func (m *cpuMeter) stop()  { m.b.StopTimer(); m.total += franceconnect.ProcessCPU() - m.t0 }
func (m *cpuMeter) report() {
	m.b.ReportMetric(float64(m.total.Nanoseconds())/float64(m.b.N), "cpu-ns/op")
}

var benchImpls = []string{"baseline", "ours", "floor"}

// BenchmarkCallback: a complete callback (code exchange, ID token,
// userinfo), sequential and from parallel goroutines. Codes come from
// logins run with the timer stopped.
func BenchmarkCallback(b *testing.B) {
	b.Run("mode=seq", func(b *testing.B) {
		for _, impl := range benchImpls {
			b.Run("impl="+impl, func(b *testing.B) {
				b.StopTimer()
				e := newBenchEnv(b, fctest.DefaultUser)
				b.ReportAllocs()
				m := &cpuMeter{b: b}
				b.ResetTimer()
				b.StopTimer()
				const batch = 128
				for done := 0; done < b.N; {
					ls := e.logins(b, min(batch, b.N-done))
					m.start()
					for _, l := range ls {
						if err := e.exchange(impl, l); err != nil {
							b.Fatal(err)
						}
					}
					m.stop()
					done += len(ls)
				}
				m.report()
			})
		}
	})
	b.Run("mode=par", func(b *testing.B) {
		for _, impl := range benchImpls {
			b.Run("impl="+impl, func(b *testing.B) {
				b.StopTimer()
				e := newBenchEnv(b, fctest.DefaultUser)
				ls := e.logins(b, b.N)
				var next atomic.Int64
				var failed atomic.Pointer[error]
				b.ReportAllocs()
				m := &cpuMeter{b: b}
				b.ResetTimer()
				b.StopTimer()
				m.start()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						if err := e.exchange(impl, ls[next.Add(1)-1]); err != nil {
							failed.CompareAndSwap(nil, &err)
						}
					}
				})
				m.stop()
				if err := failed.Load(); err != nil {
					b.Fatal(*err)
				}
				m.report()
			})
		}
	})
}

// BenchmarkCallbackPaired runs the three implementations in turn within
// each iteration, rotating their order, so that they meet the same machine
// at every moment: on a shared machine whose speed drifts from one second
// to the next, its ratios (ours/baseline, ours/floor) are much steadier
// than those of separate benchmarks. The garbage collector is held off
// during the measured calls and run between batches, so the CPU figures
// exclude collection (the B/op and allocs/op of BenchmarkCallback show
// what each leaves to the collector). An iteration is three callbacks:
// ns/op is their total wall time.
func BenchmarkCallbackPaired(b *testing.B) {
	// FranceConnect adds claims over time (data-provider scopes): the same
	// login with 200 claims userinfo sends beyond the identité pivot.
	extra := fctest.DefaultUser
	extra.Extra = map[string]any{}
	for i := range 200 {
		extra.Extra[fmt.Sprintf("fournisseur_donnees_%03d", i)] = map[string]any{"statut": "ok", "valeur": i}
	}
	for _, tc := range []struct {
		name string
		user fctest.User
	}{{"claims=pivot", fctest.DefaultUser}, {"claims=pivot+200", extra}} {
		b.Run(tc.name, func(b *testing.B) { benchCallbackPaired(b, tc.user) })
	}
}

func benchCallbackPaired(b *testing.B, user fctest.User) {
	b.StopTimer()
	e := newBenchEnv(b, user)
	var cpu, wall [3]time.Duration
	b.ResetTimer()
	b.StopTimer()
	const batch = 64
	for done := 0; done < b.N; {
		n := min(batch, b.N-done)
		ls := e.logins(b, 3*n)
		runtime.GC()
		gc := debug.SetGCPercent(-1)
		b.StartTimer()
		for i := range n {
			for k := range benchImpls {
				j := (i + k) % len(benchImpls)
				t0, c0 := time.Now(), franceconnect.ProcessCPU()
				if err := e.exchange(benchImpls[j], ls[3*i+k]); err != nil {
					b.Fatal(err)
				}
				cpu[j] += franceconnect.ProcessCPU() - c0
				wall[j] += time.Since(t0)
			}
		}
		b.StopTimer()
		debug.SetGCPercent(gc)
		done += n
	}
	for j, impl := range benchImpls {
		b.ReportMetric(float64(cpu[j].Nanoseconds())/float64(b.N), impl+"-cpu-ns/op")
	}
	b.ReportMetric(float64(cpu[1])/float64(cpu[0]), "ours/baseline-cpu")
	b.ReportMetric(float64(cpu[1])/float64(cpu[2]), "ours/floor-cpu")
	b.ReportMetric(float64(wall[1])/float64(wall[0]), "ours/baseline-wall")
	b.ReportMetric(float64(wall[1])/float64(wall[2]), "ours/floor-wall")
}

// BenchmarkAuthCodeURL: the authorization request (fresh state and nonce,
// URL), beside x/oauth2's.
func BenchmarkAuthCodeURL(b *testing.B) {
	srv := fctest.NewServer(fctest.Options{})
	defer srv.Close()
	env := srv.Environment()
	ours, err := franceconnect.New(franceconnect.Config{
		Environment: env, ClientID: strings.Repeat("c", 64), ClientSecret: "s",
		RedirectURL: benchRedirect, Scopes: benchScopes,
	})
	if err != nil {
		b.Fatal(err)
	}
	base := franceconnect.NewBaseline(franceconnect.BaselineConfig{
		Issuer: env.Issuer, ClientID: strings.Repeat("c", 64), ClientSecret: "s",
		RedirectURL: benchRedirect, Scopes: append([]string{"openid"}, benchScopes...),
		ACR: "eidas1", Algorithm: "ES256", AuthURL: env.AuthorizationEndpoint,
		TokenURL: env.TokenEndpoint, JWKSURL: env.JWKSURI, HTTPClient: http.DefaultClient,
	})
	b.Run("impl=baseline", func(b *testing.B) {
		b.ReportAllocs()
		defer franceconnect.BenchCPU(b)()
		for b.Loop() {
			if tx := base.AuthCodeURL(); tx.URL == "" {
				b.Fatal("empty URL")
			}
		}
	})
	b.Run("impl=ours", func(b *testing.B) {
		b.ReportAllocs()
		defer franceconnect.BenchCPU(b)()
		for b.Loop() {
			req, err := ours.AuthCodeURL(franceconnect.AuthOptions{})
			if err != nil || req.URL == "" {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkCallbackHandler: the callback handler (find, open and delete the
// pending-login cookie, then Exchange) against the bare Exchange, on logins
// of the same mock, alternated call by call with the GC held off as in
// BenchmarkCallbackPaired. Target: the handler within 1.05 times Exchange.
func BenchmarkCallbackHandler(b *testing.B) {
	b.StopTimer()
	e := newBenchEnv(b, fctest.DefaultUser)
	c, err := franceconnect.New(franceconnect.Config{
		Environment: e.srv.Environment(), ClientID: e.reg.ID, ClientSecret: e.reg.Secret,
		RedirectURL: benchRedirect, Scopes: benchScopes, HTTPClient: newBenchHTTPClient(),
		CookieKeys: [][]byte{[]byte("0123456789abcdef0123456789ABCDEF")},
	})
	if err != nil {
		b.Fatal(err)
	}
	login := c.LoginHandler(franceconnect.AuthOptions{})
	handler := c.CallbackHandler(func(w http.ResponseWriter, r *http.Request, res *franceconnect.Result) {
		w.WriteHeader(http.StatusFound)
	}, func(w http.ResponseWriter, r *http.Request, err error) { b.Fatal(err) })
	// callbackRequest starts a login through the login handler and returns
	// the callback request the browser would send, cookie included.
	callbackRequest := func() *http.Request {
		rec := httptest.NewRecorder()
		login.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/fc/login", nil))
		cb, err := e.srv.Login(rec.Header().Get("Location"), e.user)
		if err != nil {
			b.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodGet, cb, nil)
		for _, ck := range rec.Result().Cookies() {
			req.AddCookie(ck)
		}
		return req
	}
	pair := [2]string{"exchange", "handler"}
	var cpu [2]time.Duration
	for i := 0; i < 3; i++ { // warm up
		handler.ServeHTTP(httptest.NewRecorder(), callbackRequest())
	}
	b.ResetTimer()
	b.StopTimer()
	const batch = 32
	for done := 0; done < b.N; {
		n := min(batch, b.N-done)
		reqs := make([]*http.Request, n)
		for i := range reqs {
			reqs[i] = callbackRequest()
		}
		ls := e.logins(b, n)
		runtime.GC()
		gc := debug.SetGCPercent(-1)
		b.StartTimer()
		for i := range n {
			for k := range pair {
				j := (i + k) % 2
				c0 := franceconnect.ProcessCPU()
				if j == 0 {
					if _, err := c.Exchange(context.Background(), ls[i].req, ls[i].q); err != nil {
						b.Fatal(err)
					}
				} else {
					handler.ServeHTTP(httptest.NewRecorder(), reqs[i])
				}
				cpu[j] += franceconnect.ProcessCPU() - c0
			}
		}
		b.StopTimer()
		debug.SetGCPercent(gc)
		done += n
	}
	for j, impl := range pair {
		b.ReportMetric(float64(cpu[j].Nanoseconds())/float64(b.N), impl+"-cpu-ns/op")
	}
	b.ReportMetric(float64(cpu[1])/float64(cpu[0]), "handler/exchange-cpu")
}
