package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The login benchmark's workload. It is fixed, so a run takes the same
// work on every machine and stops by itself; only the time it takes
// varies. At the production hashing cost (600 000 PBKDF2 iterations) a
// login is one derivation, a few hundred milliseconds of one core.
const (
	// benchLoginsSequential are timed one at a time for the latency.
	benchLoginsSequential = 50
	// benchHammerClients each make benchHammerLogins logins back to
	// back, all at once, for the throughput and the load.
	benchHammerClients = 32
	benchHammerLogins  = 4
	// benchSessionReads are the idle GET /api/v1/session requests, half
	// before the load and half after; under load the reader goes on until
	// the hammer stops (some 60 000 reads). The idle sample is large too,
	// so its p99 is not one of a handful of slowest reads: with 1 000 it
	// was their tenth slowest and moved 0.64–0.95 ms from run to run.
	benchSessionReads = 20000
	// benchPassword is the accounts' password (fits the default policy).
	benchPassword = "Bench-Horse-Battery-42"
)

// BenchmarkLogin runs the built daemon with testdata/bench-settings.json
// (the defaults with rate_limit_enabled false, so the login limit of 60 a
// minute per address does not cap the figures; the account lockout stays
// on and is never hit, as every login is right) and reports:
//
//   - ms-p50, ms-p99: the latency of a login made alone, one after another;
//   - logins/s: what 32 clients logging in at once get through;
//   - session-p99-idle-ms: the p99 of an authenticated GET /api/v1/session
//     made one after another by one client on an idle daemon;
//   - session-p99-under-login-load-ms: the same while the 32 clients log
//     in, and ratio, the second over the first. The acceptance of issue 4
//     wants the ratio at most 2: the hashing pool leaves a core to
//     everything else and runs its hashes at a lower priority, and
//     GET /session neither hashes nor writes. Whether the goal was met is
//     logged.
//
// docs/benchmarks.md records the figures of runs and how they were taken.
func BenchmarkLogin(b *testing.B) {
	addr, pool, stop := startBenchDaemon(b)
	defer stop()
	// The clients' own collections would pause the timed reads and be
	// counted as the daemon's latency, more under load (32 more clients
	// allocating) than idle: this process collects rarely while it times.
	defer debug.SetGCPercent(debug.SetGCPercent(1000))

	login := benchTransport(pool)
	reader := benchTransport(pool)
	benchSignup(b, login, addr, "bench-login")
	cookie := benchSignup(b, reader, addr, "bench-reader")

	// must checks a timed request of the benchmark's own goroutine.
	must := func(d time.Duration, err error) time.Duration {
		if err != nil {
			b.Fatal(err)
		}
		return d
	}
	b.ResetTimer()
	// A few logins first, so connections and the store are warm.
	for range 3 {
		must(benchLogin(login, addr))
	}
	var alone []time.Duration
	for range benchLoginsSequential {
		alone = append(alone, must(benchLogin(login, addr)))
	}

	// The idle figure is taken half before and half after the load, so a
	// passing disturbance of the machine weighs on it no more than on the
	// loaded one.
	must(benchSession(reader, addr, cookie)) // warm
	var idle []time.Duration
	readIdle := func() {
		for range benchSessionReads / 2 {
			idle = append(idle, must(benchSession(reader, addr, cookie)))
		}
	}
	readIdle()

	// Under load: one reader goes on reading while the hammer lasts.
	done := make(chan struct{})
	readerDone := make(chan []time.Duration)
	go func() {
		var loaded []time.Duration
		defer func() { readerDone <- loaded }()
		for {
			select {
			case <-done:
				return
			default:
			}
			d, err := benchSession(reader, addr, cookie)
			if err != nil {
				b.Error(err)
				return
			}
			loaded = append(loaded, d)
		}
	}()
	var hammer sync.WaitGroup
	t0 := time.Now()
	for range benchHammerClients {
		hammer.Add(1)
		go func() {
			defer hammer.Done()
			for range benchHammerLogins {
				if _, err := benchLogin(login, addr); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	hammer.Wait()
	elapsed := time.Since(t0)
	close(done)
	loaded := <-readerDone
	if b.Failed() {
		return
	}
	readIdle()
	b.StopTimer()

	idleP99, loadedP99 := percentile(idle, 0.99), percentile(loaded, 0.99)
	ratio := float64(loadedP99) / float64(idleP99)
	b.ReportMetric(ms(percentile(alone, 0.50)), "ms-p50")
	b.ReportMetric(ms(percentile(alone, 0.99)), "ms-p99")
	b.ReportMetric(float64(benchHammerClients*benchHammerLogins)/elapsed.Seconds(), "logins/s")
	b.ReportMetric(ms(idleP99), "session-p99-idle-ms")
	b.ReportMetric(ms(loadedP99), "session-p99-under-login-load-ms")
	b.ReportMetric(ratio, "ratio")
	verdict := "met"
	if ratio > 2 {
		verdict = "NOT MET"
	}
	// Logged rather than failed: a machine shared with other work moves
	// the ratio, and a failed benchmark would hide the figures.
	b.Logf("%d cores; %d session reads under load; goal of at most 2× the idle p99: %s (%.1f×)",
		runtime.NumCPU(), len(loaded), verdict, ratio)
}

// startBenchDaemon starts the daemon with the bench settings on ephemeral
// ports and returns its HTTPS address, a pool trusting its CA, and its
// stop.
func startBenchDaemon(b *testing.B) (string, *x509.CertPool, func()) {
	b.Helper()
	dir := b.TempDir()
	data := filepath.Join(dir, "data")
	settings, err := filepath.Abs(filepath.Join("testdata", "bench-settings.json"))
	if err != nil {
		b.Fatal(err)
	}
	nsPath := filepath.Join(dir, "notify.sock")
	ns, err := listenNotify(nsPath)
	if err != nil {
		b.Fatal(err)
	}
	defer ns.Close()
	cmd := benchDaemon("--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--data-dir", data, "--config", settings)
	cmd.Env = append(cmd.Environ(), "NOTIFY_SOCKET="+nsPath)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
	// READY=1 comes with STATUS=serving https <address>.
	buf := make([]byte, 4096)
	addr := ""
	for addr == "" {
		ns.SetReadDeadline(time.Now().Add(60 * time.Second))
		n, err := ns.Read(buf)
		if err != nil {
			stop()
			b.Fatalf("no READY=1: %v\n%s", err, stderr.String())
		}
		msg := string(buf[:n])
		if !strings.HasPrefix(msg, "READY=1") {
			continue
		}
		for _, line := range strings.Split(msg, "\n") {
			if rest, ok := strings.CutPrefix(line, "STATUS=serving https "); ok {
				addr, _, _ = strings.Cut(rest, ";")
			}
		}
		if addr == "" {
			stop()
			b.Fatalf("READY=1 without the HTTPS address: %q", msg)
		}
	}
	caPEM, err := os.ReadFile(filepath.Join(data, "tls", "ca.pem"))
	if err != nil {
		stop()
		b.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		stop()
		b.Fatal("tls/ca.pem holds no certificate")
	}
	return addr, pool, stop
}

// benchTransport keeps a connection per concurrent client, so the figures
// are of requests, not of TLS handshakes.
func benchTransport(pool *x509.CertPool) *http.Client {
	return &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool},
		MaxIdleConnsPerHost: 2 * benchHammerClients,
	}}
}

func benchPost(c *http.Client, url, body string) (*http.Response, error) {
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

// benchSignup makes an account and returns its session cookie.
func benchSignup(b *testing.B, c *http.Client, addr, name string) string {
	b.Helper()
	body, _ := json.Marshal(map[string]string{"username": name, "password": benchPassword})
	resp, err := benchPost(c, "https://"+addr+"/api/v1/signup", string(body))
	if err != nil {
		b.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated {
		b.Fatalf("signup %s: %s", name, resp.Status)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "minimost_session" {
			return ck.Name + "=" + ck.Value
		}
	}
	b.Fatal("signup set no session cookie")
	return ""
}

// benchLogin logs bench-login in and returns how long it took.
func benchLogin(c *http.Client, addr string) (time.Duration, error) {
	t0 := time.Now()
	resp, err := benchPost(c, "https://"+addr+"/api/v1/login", `{"username":"bench-login","password":"`+benchPassword+`"}`)
	d := time.Since(t0)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("login: %s", resp.Status)
	}
	return d, err
}

// benchSession reads GET /api/v1/session with cookie and returns how long
// it took.
func benchSession(c *http.Client, addr, cookie string) (time.Duration, error) {
	req, err := http.NewRequest("GET", "https://"+addr+"/api/v1/session", nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Cookie", cookie)
	t0 := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if resp.StatusCode != http.StatusOK {
		return d, fmt.Errorf("GET /api/v1/session: %s", resp.Status)
	}
	return d, nil
}

// percentile is the nearest-rank percentile p (0 < p <= 1) of ds.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(math.Ceil(float64(len(s))*p)) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
