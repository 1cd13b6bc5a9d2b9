package linkpreview

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/minimost/minimost/pkg/chat"
)

// testEnv is a Fetcher aimed at a loopback test server, with loopback in
// the allowed networks as an operator would list an intranet.
type testEnv struct {
	t       *testing.T
	f       *Fetcher
	srv     *httptest.Server
	mux     *http.ServeMux
	hits    atomic.Int64
	lookups atomic.Int64
	allowed atomic.Pointer[[]netip.Prefix]
	enabled atomic.Bool
	now     atomic.Pointer[time.Time]
}

func newEnv(t *testing.T, allowed ...string) *testEnv {
	e := &testEnv{t: t, mux: http.NewServeMux()}
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hits.Add(1)
		e.mux.ServeHTTP(w, r)
	}))
	t.Cleanup(e.srv.Close)
	e.setAllowed(allowed...)
	e.enabled.Store(true)
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	e.now.Store(&start)
	dns := fakeDNS(map[string][]string{
		"intranet.test": {"127.0.0.1"},
		"example.com":   {"127.0.0.1"},
		"private.test":  {"10.0.0.1"},
		"mixed.test":    {"127.0.0.1", "192.168.0.1"},
		"localhost":     {"127.0.0.1", "::1"},
	})
	e.f = New(Options{
		Allowed: func() []netip.Prefix { return *e.allowed.Load() },
		Enabled: e.enabled.Load,
		Now:     func() time.Time { return *e.now.Load() },
		LookupIP: func(ctx context.Context, host string) ([]netip.Addr, error) {
			e.lookups.Add(1)
			return dns(ctx, host)
		},
	})
	e.f.budget = 2 * time.Second
	return e
}

func (e *testEnv) setAllowed(nets ...string) {
	var ps []netip.Prefix
	for _, n := range nets {
		ps = append(ps, netip.MustParsePrefix(n))
	}
	e.allowed.Store(&ps)
}

func (e *testEnv) advance(d time.Duration) {
	next := e.now.Load().Add(d)
	e.now.Store(&next)
}

// url returns the test server's URL of path with the host replaced by
// host, when given.
func (e *testEnv) url(path string, host ...string) string {
	u, _ := url.Parse(e.srv.URL + path)
	if len(host) > 0 {
		u.Host = host[0] + ":" + u.Port()
	}
	return u.String()
}

func (e *testEnv) page(path, contentType, body string) {
	e.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		fmt.Fprint(w, body)
	})
}

func (e *testEnv) preview(rawURL string) *Preview {
	e.t.Helper()
	p, err := e.f.Preview(context.Background(), rawURL)
	if err != nil {
		e.t.Fatalf("Preview(%s): %v", rawURL, err)
	}
	return p
}

func (e *testEnv) refused(rawURL string) {
	e.t.Helper()
	p, err := e.f.Preview(context.Background(), rawURL)
	if chat.ErrorCode(err) != chat.EBadRequest || p != nil {
		e.t.Fatalf("Preview(%s) = %+v, %v; want bad_request", rawURL, p, err)
	}
}

func pngBytes(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestPreviewOpenGraph(t *testing.T) {
	e := newEnv(t, "127.0.0.0/8")
	img := pngBytes(t, 3, 2)
	var gotHeader http.Header
	e.mux.HandleFunc("/blog/post", func(w http.ResponseWriter, r *http.Request) {
		gotHeader = r.Header.Clone()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, `<!doctype html><html><head>
			<title>Fallback</title>
			<meta property="og:title" content="The &quot;real&quot; title">
			<meta property="og:description" content="What it is about.">
			<meta property="og:site_name" content="Intranet Wiki">
			<meta property="og:image" content="../static/logo.png">
			</head><body>hello</body></html>`)
	})
	e.mux.HandleFunc("/static/logo.png", func(w http.ResponseWriter, r *http.Request) {
		// The declared type does not matter; the bytes do.
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(img)
	})
	raw := e.url("/blog/post", "intranet.test") + "#section"
	p := e.preview(raw)
	wantImage := "data:image/png;base64," + base64.StdEncoding.EncodeToString(img)
	want := Preview{URL: raw, Title: `The "real" title`, Description: "What it is about.", SiteName: "Intranet Wiki", Image: &wantImage}
	if p == nil || p.URL != want.URL || p.Title != want.Title || p.Description != want.Description ||
		p.SiteName != want.SiteName || p.Image == nil || *p.Image != wantImage || p.Code != nil {
		t.Fatalf("Preview = %+v", p)
	}
	if ua := gotHeader.Get("User-Agent"); ua != "MiniMost-LinkPreview" {
		t.Errorf("User-Agent %q", ua)
	}
	for _, h := range []string{"Cookie", "Authorization", "Referer"} {
		if v := gotHeader.Get(h); v != "" {
			t.Errorf("sent %s: %q", h, v)
		}
	}
	// The JSON shape of api.md: every field present, image a string.
	b, _ := json.Marshal(p)
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"url", "title", "description", "image", "site_name"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
	if _, ok := m["code"]; ok {
		t.Errorf("JSON of a page has code: %s", b)
	}
}

func TestPreviewFallbacks(t *testing.T) {
	e := newEnv(t, "127.0.0.0/8")
	e.page("/plain", "text/html", `<html><head><title>Just a title</title>
		<meta name="description" content="Plain description"></head></html>`)
	e.page("/twitter", "application/xhtml+xml", `<head><meta name="twitter:title" content="Tw title">
		<meta name="twitter:description" content="Tw description"><title>Doc</title></head>`)
	e.page("/untitled", "text/html", `<head><meta name="description" content="no title"></head>`)
	p := e.preview(e.url("/plain"))
	if p == nil || p.Title != "Just a title" || p.Description != "Plain description" || p.SiteName != "127.0.0.1" || p.Image != nil {
		t.Errorf("plain = %+v", p)
	}
	b, _ := json.Marshal(p)
	if !strings.Contains(string(b), `"image":null`) {
		t.Errorf("JSON without an image: %s", b)
	}
	p = e.preview(e.url("/twitter", "intranet.test"))
	if p == nil || p.Title != "Tw title" || p.Description != "Tw description" || p.SiteName != "intranet.test" {
		t.Errorf("twitter = %+v", p)
	}
	if p := e.preview(e.url("/untitled")); p != nil {
		t.Errorf("untitled = %+v, want none", p)
	}
}

func TestPreviewImages(t *testing.T) {
	e := newEnv(t, "127.0.0.0/8")
	img := pngBytes(t, 2, 2)
	e.mux.HandleFunc("/img/ok.png", func(w http.ResponseWriter, r *http.Request) { w.Write(img) })
	e.mux.HandleFunc("/img/redirect.png", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/img/ok.png", http.StatusFound)
	})
	e.mux.HandleFunc("/img/big.png", func(w http.ResponseWriter, r *http.Request) {
		w.Write(img)
		w.Write(make([]byte, maxImageBytes))
	})
	e.page("/img/logo.svg", "image/svg+xml", `<svg xmlns="http://www.w3.org/2000/svg"/>`)
	e.mux.HandleFunc("/img/to-private.png", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://10.0.0.1/x.png", http.StatusFound)
	})
	for i, tc := range []struct {
		ref  string
		want bool
	}{
		{"/img/ok.png", true},
		{"../img/ok.png", true},
		{"/img/redirect.png", true},
		{e.url("/img/ok.png", "intranet.test"), true},
		{"  /img/ok.png  ", true},
		{"javascript:alert(1)", false},
		{"JaVaScRiPt:alert(1)", false},
		{"data:image/png;base64," + base64.StdEncoding.EncodeToString(img), false},
		{"ftp://127.0.0.1/x.png", false},
		{"/img/missing.png", false},
		{"/img/big.png", false},
		{"/img/logo.svg", false},
		{"/img/to-private.png", false},
		{"http://10.0.0.1/x.png", false},
		{"http://169.254.169.254/latest/meta-data/", false},
		{"http://user:pw@127.0.0.1/x.png", false},
		{"http://[::1", false},
	} {
		path := fmt.Sprintf("/page/%d", i)
		e.page(path, "text/html", `<title>t</title><meta property="og:image" content="`+tc.ref+`">`)
		p := e.preview(e.url(path))
		if p == nil {
			t.Fatalf("%q: no preview", tc.ref)
		}
		if got := p.Image != nil; got != tc.want {
			t.Errorf("%q: image %v, want %v", tc.ref, got, tc.want)
		} else if got && !strings.HasPrefix(*p.Image, "data:image/png;base64,") {
			t.Errorf("%q: image %.40s", tc.ref, *p.Image)
		}
	}
}

func TestPreviewCutsLongValues(t *testing.T) {
	e := newEnv(t, "127.0.0.0/8")
	e.page("/long", "text/html", `<meta property="og:title" content="`+strings.Repeat("title ", 100)+`">
		<meta property="og:description" content="`+strings.Repeat("é", 2000)+`">
		<meta property="og:site_name" content="`+strings.Repeat("s", 1000)+`">`)
	p := e.preview(e.url("/long"))
	if p == nil {
		t.Fatal("no preview")
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{{"title", p.Title, maxTitle}, {"description", p.Description, maxDescription}, {"site_name", p.SiteName, maxSiteName}} {
		if n := utf8.RuneCountInString(f.v); n > f.max || n < f.max-2 || !strings.HasSuffix(f.v, "…") {
			t.Errorf("%s has %d characters: %q", f.name, n, f.v)
		}
	}
}

func TestPreviewRefusesLoopbackWithoutAllowedNetwork(t *testing.T) {
	e := newEnv(t)
	e.page("/", "text/html", "<title>secret</title>")
	e.refused(e.url("/"))
	e.refused(e.url("/", "intranet.test"))
	e.refused(e.url("/", "localhost"))
	e.setAllowed("10.0.0.0/8")
	e.refused(e.url("/"))
	if n := e.hits.Load(); n != 0 {
		t.Errorf("the server was reached %d times", n)
	}
	e.setAllowed("127.0.0.1/32")
	if p := e.preview(e.url("/")); p == nil || p.Title != "secret" {
		t.Errorf("with the network allowed: %+v", p)
	}
}

// TestPreviewRefusedTargets covers literal and resolved non-public
// addresses. None of these is ever connected to: the refusal comes from
// vetting, and the port 1 would fail fast even if a bug let one through.
func TestPreviewRefusedTargets(t *testing.T) {
	e := newEnv(t, "127.0.0.0/8")
	for _, raw := range []string{
		"http://10.0.0.1/",
		"http://172.16.5.4:1/",
		"http://192.168.1.1/",
		"http://100.64.0.1/",
		"http://169.254.169.254/latest/meta-data/",
		"http://[fd00:ec2::254]/",
		"http://[fe80::1]/",
		"http://[fc00::1]:1/",
		"http://[::1]/",
		"http://[::1]:1/",
		"http://[::ffff:10.0.0.1]/",
		"http://[::ffff:169.254.169.254]/",
		"http://[::10.0.0.1]/",
		"http://[64:ff9b::a9fe:a9fe]/",
		"http://0.0.0.0/",
		"http://[::]/",
		"http://255.255.255.255/",
		"http://224.0.0.1/",
		"http://[ff02::1]/",
		"http://192.0.2.1/",
		"http://198.18.0.1/",
		"http://[2001:db8::1]/",
		"http://private.test/",
		"http://mixed.test/",
		"http://2130706433/",
		"http://0x7f.1/",
		"https://8.8.8.8:1/", // public, but not a standard port
		"ftp://127.0.0.1/",
		"http://user:pw@127.0.0.1/",
	} {
		e.refused(raw)
	}
	// A loopback address in the allowed network is previewable, also in
	// its IPv4-mapped form.
	e.page("/", "text/html", "<title>ok</title>")
	if p := e.preview(e.url("/", "[::ffff:127.0.0.1]")); p == nil || p.Title != "ok" {
		t.Errorf("mapped loopback: %+v", p)
	}
}

func TestPreviewRedirects(t *testing.T) {
	e := newEnv(t, "127.0.0.0/8")
	e.page("/final", "text/html", "<title>final</title>")
	e.mux.HandleFunc("/chain/", func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscanf(r.URL.Path, "/chain/%d", &n)
		if n == 0 {
			http.Redirect(w, r, "/final", http.StatusMovedPermanently)
			return
		}
		http.Redirect(w, r, fmt.Sprintf("/chain/%d", n-1), http.StatusTemporaryRedirect)
	})
	e.mux.HandleFunc("/to/", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, r.URL.Query().Get("u"), http.StatusFound)
	})
	// /chain/N answers N+1 redirects.
	if p := e.preview(e.url("/chain/2")); p == nil || p.Title != "final" {
		t.Errorf("3 redirects: %+v", p)
	}
	if p := e.preview(e.url("/chain/3")); p != nil {
		t.Errorf("4 redirects: %+v, want none", p)
	}
	// A redirect out of the allowed network is refused like a direct link.
	e.setAllowed("127.0.0.1/32")
	for _, target := range []string{
		"http://10.0.0.1/",
		"http://169.254.169.254/latest/meta-data/",
		"http://127.0.0.2:1/",
		"http://[::1]/",
		"http://private.test/",
		"http://user:pw@127.0.0.1/",
		"file:///etc/passwd",
	} {
		e.refused(e.url("/to/?u=" + url.QueryEscape(target)))
	}
	// A relative redirect to an allowed page works, and the site name is
	// the host of the page reached.
	if p := e.preview(e.url("/to/?u="+url.QueryEscape(e.url("/final", "intranet.test")), "127.0.0.1")); p == nil || p.SiteName != "intranet.test" {
		t.Errorf("cross-host redirect: %+v", p)
	}
}

func TestPreviewNone(t *testing.T) {
	e := newEnv(t, "127.0.0.0/8")
	e.page("/json", "application/json", `{"title": "no"}`)
	e.page("/img", "image/png", "\x89PNG")
	e.page("/notype", "", "<title>no type</title>")
	e.page("/refresh", "text/html", `<meta http-equiv="refresh" content="0; url=http://10.0.0.1/">`)
	e.mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "<title>Not found</title>")
	})
	e.mux.HandleFunc("/bigheader", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Big", strings.Repeat("h", 2*maxHeaderBytes))
		fmt.Fprint(w, "<title>big header</title>")
	})
	e.mux.HandleFunc("/noloc", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusFound) })
	for _, path := range []string{"/json", "/img", "/notype", "/refresh", "/gone", "/bigheader", "/noloc"} {
		if p := e.preview(e.url(path)); p != nil {
			t.Errorf("%s = %+v, want none", path, p)
		}
	}
	if p := e.preview("http://unknown.test/"); p != nil {
		t.Errorf("unresolvable = %+v", p)
	}
	if p := e.preview("http://127.0.0.1:1/"); p != nil {
		t.Errorf("closed port = %+v", p)
	}
}

func TestPreviewDisabled(t *testing.T) {
	e := newEnv(t, "127.0.0.0/8")
	e.page("/", "text/html", "<title>t</title>")
	e.enabled.Store(false)
	for _, raw := range []string{e.url("/"), "http://10.0.0.1/", "not a url"} {
		if p, err := e.f.Preview(context.Background(), raw); p != nil || err != nil {
			t.Errorf("disabled: Preview(%s) = %+v, %v", raw, p, err)
		}
	}
	if n := e.hits.Load(); n != 0 {
		t.Errorf("disabled previews fetched %d times", n)
	}
	e.enabled.Store(true)
	if p := e.preview(e.url("/")); p == nil {
		t.Error("re-enabled: no preview")
	}
}

// TestPreviewBodyLimits shows that the body is read only up to the end of
// the head, and never past maxPageBytes.
func TestPreviewBodyLimits(t *testing.T) {
	e := newEnv(t, "127.0.0.0/8")
	e.f.budget = 4 * time.Second
	release := make(chan struct{})
	defer close(release)
	// The head arrives, then the server stalls: the preview must not wait.
	e.mux.HandleFunc("/stall", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><head><title>early</title></head><body>")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	// No end of head, and an endless body: reading stops at the cap, or
	// the fetch would time out with nothing.
	e.mux.HandleFunc("/endless", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<title>endless</title>`)
		chunk := []byte(strings.Repeat(`<meta name="x" content="y">`, 1000))
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	})
	// The title comes after the cap.
	e.page("/late", "text/html", "<head>"+strings.Repeat(" ", maxPageBytes)+"<title>too late</title></head>")
	start := time.Now()
	if p := e.preview(e.url("/stall")); p == nil || p.Title != "early" {
		t.Errorf("stall = %+v", p)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("the stalled page took %v", d)
	}
	if p := e.preview(e.url("/endless")); p == nil || p.Title != "endless" {
		t.Errorf("endless = %+v", p)
	}
	if p := e.preview(e.url("/late")); p != nil {
		t.Errorf("late = %+v, want none", p)
	}
}

func TestPreviewTimeout(t *testing.T) {
	e := newEnv(t, "127.0.0.0/8")
	e.f.budget = 300 * time.Millisecond
	release := make(chan struct{})
	defer close(release)
	e.mux.HandleFunc("/slow-headers", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	e.mux.HandleFunc("/slow-body", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<title>t")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	for _, path := range []string{"/slow-headers", "/slow-body"} {
		start := time.Now()
		if p := e.preview(e.url(path)); p != nil {
			t.Errorf("%s = %+v, want none", path, p)
		}
		if d := time.Since(start); d < 250*time.Millisecond || d > 2*time.Second {
			t.Errorf("%s took %v, want the 300ms budget", path, d)
		}
	}
	// A caller that gives up early gets nothing at once.
	e.f.budget = 3 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	if p, err := e.f.Preview(ctx, e.url("/slow-headers?again")); p != nil || err != nil {
		t.Errorf("cancelled caller: %+v, %v", p, err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the cancelled caller waited %v", d)
	}
}

// TestPreviewResolvesOnce simulates DNS rebinding: the name first resolves
// to the allowed server, then to another address. The connection must go to
// the address that was vetted, with no second lookup. The second answer is
// another loopback address where nothing listens, so that a regression
// fails the test without any traffic leaving the machine.
func TestPreviewResolvesOnce(t *testing.T) {
	e := newEnv(t, "127.0.0.0/8")
	e.page("/", "text/html", "<title>vetted</title>")
	var lookups atomic.Int64
	e.f.lookup = func(_ context.Context, host string) ([]netip.Addr, error) {
		if lookups.Add(1) == 1 {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.2")}, nil
	}
	if p := e.preview(e.url("/", "rebind.test")); p == nil || p.Title != "vetted" {
		t.Fatalf("Preview = %+v", p)
	}
	if n := lookups.Load(); n != 1 {
		t.Errorf("%d lookups, want 1", n)
	}
}

func TestPreviewHTTPS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<title>secure</title>")
	}))
	// The refused handshake below is expected; its log line is noise.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	e := newEnv(t, "127.0.0.0/8")
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	e.f.rootCAs = pool
	u, _ := url.Parse(srv.URL)
	// The test certificate names example.com, which the fake resolver maps
	// to loopback: the certificate is checked against the name while the
	// connection goes to the vetted address.
	if p := e.preview("https://example.com:" + u.Port() + "/"); p == nil || p.Title != "secure" {
		t.Errorf("https by name = %+v", p)
	}
	if p := e.preview("https://intranet.test:" + u.Port() + "/"); p != nil {
		t.Errorf("https with a name the certificate lacks = %+v", p)
	}
}

func TestPreviewCode(t *testing.T) {
	e := newEnv(t, "127.0.0.0/8")
	e.page("/src/main.go", "text/plain; charset=utf-8", "package main\r\n\nfunc main() {\n\tprintln(\"\u202ehi\")\x1b\n}\n")
	e.page("/bin/tool.c", "application/octet-stream", "\x7fELF\x00\x00")
	e.page("/big.txt", "text/plain", strings.Repeat("line\n", 2000))
	e.page("/doc.pdf", "text/plain", "not code")
	p := e.preview(e.url("/src/main.go") + "#L3-L4")
	want := Code{Path: "/src/main.go", Text: "package main\n\nfunc main() {\n\tprintln(\"hi\")\n}\n", LineStart: 3, LineEnd: 4}
	if p == nil || p.Code == nil || *p.Code != want || p.Title != "main.go" || p.SiteName != "127.0.0.1" || p.Image != nil {
		t.Fatalf("code = %+v %+v", p, p.Code)
	}
	if p := e.preview(e.url("/bin/tool.c")); p != nil {
		t.Errorf("binary = %+v", p)
	}
	if p := e.preview(e.url("/doc.pdf")); p != nil {
		t.Errorf("pdf = %+v", p)
	}
	p = e.preview(e.url("/big.txt") + "#lines-5")
	if p == nil || p.Code == nil || strings.Count(p.Code.Text, "\n") != maxCodeLines-1 || p.Code.LineStart != 5 || p.Code.LineEnd != 5 {
		t.Errorf("big = %+v", p)
	}
}

func TestPreviewCache(t *testing.T) {
	e := newEnv(t, "127.0.0.0/8")
	e.page("/ok", "text/html", "<title>ok</title>")
	e.page("/json", "application/json", "{}")
	fetch := func(path string, want bool, hits int64) {
		t.Helper()
		if p := e.preview(e.url(path)); (p != nil) != want {
			t.Fatalf("%s = %+v, want a preview %v", path, p, want)
		}
		if n := e.hits.Load(); n != hits {
			t.Fatalf("%s: %d server hits, want %d", path, n, hits)
		}
	}
	fetch("/ok", true, 1)
	fetch("/ok", true, 1)
	e.advance(59 * time.Minute)
	fetch("/ok", true, 1)
	e.advance(2 * time.Minute)
	fetch("/ok", true, 2)

	fetch("/json", false, 3)
	fetch("/json", false, 3)
	e.advance(9 * time.Minute)
	fetch("/json", false, 3)
	e.advance(2 * time.Minute)
	fetch("/json", false, 4)

	// A cached preview cannot be changed through a returned copy.
	p := e.preview(e.url("/ok"))
	p.Title = "changed"
	if p := e.preview(e.url("/ok")); p.Title != "ok" {
		t.Errorf("cache changed through a copy: %+v", p)
	}

	// Refusals found by resolving are cached too, until the allowed
	// networks change.
	e.lookups.Store(0)
	e.refused("http://private.test/")
	e.refused("http://private.test/")
	if n := e.lookups.Load(); n != 1 {
		t.Errorf("%d lookups for a cached refusal", n)
	}
	e.setAllowed("127.0.0.1/32")
	e.refused("http://private.test/")
	if n := e.lookups.Load(); n != 2 {
		t.Errorf("%d lookups after the setting changed, want 2", n)
	}
}

func TestPreviewCacheBounded(t *testing.T) {
	e := newEnv(t, "127.0.0.0/8")
	e.f.maxEntries = 3
	e.page("/", "text/html", "<title>t</title>")
	for i := range 5 {
		e.preview(e.url(fmt.Sprintf("/?%d", i)))
	}
	if n := len(e.f.entries); n != 3 || e.f.lru.Len() != 3 {
		t.Fatalf("%d entries, want 3", n)
	}
	e.preview(e.url("/?4"))
	if n := e.hits.Load(); n != 5 {
		t.Errorf("the newest entry was refetched: %d hits", n)
	}
	e.preview(e.url("/?0"))
	if n := e.hits.Load(); n != 6 {
		t.Errorf("the oldest entry was not evicted: %d hits", n)
	}
	e.f.mu.Lock()
	defer e.f.mu.Unlock()
	total := 0
	for el := e.f.lru.Front(); el != nil; el = el.Next() {
		total += el.Value.(*entry).size
	}
	if total != e.f.bytes {
		t.Errorf("bytes %d, entries add up to %d", e.f.bytes, total)
	}
}

func TestPreviewSharesFetches(t *testing.T) {
	e := newEnv(t, "127.0.0.0/8")
	release := make(chan struct{})
	var inFlight, peak atomic.Int64
	e.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		<-release
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<title>t</title>")
	})
	var wg sync.WaitGroup
	results := make(chan *Preview, 20)
	for i := range 20 {
		wg.Go(func() {
			// Ten URLs, more than there are fetch slots, and six
			// callers for each of the first two.
			path := fmt.Sprintf("/?%d", i%10)
			if i >= 10 {
				path = fmt.Sprintf("/?%d", i%2)
			}
			p, _ := e.f.Preview(context.Background(), e.url(path))
			results <- p
		})
	}
	deadline := time.Now().Add(time.Second)
	for inFlight.Load() < maxInFlight && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	if n := inFlight.Load(); n != maxInFlight {
		t.Errorf("%d fetches in flight, want %d", n, maxInFlight)
	}
	close(release)
	wg.Wait()
	close(results)
	for p := range results {
		if p == nil || p.Title != "t" {
			t.Errorf("Preview = %+v", p)
		}
	}
	if n := e.hits.Load(); n != 10 {
		t.Errorf("%d server hits for 10 URLs", n)
	}
	if n := peak.Load(); n > maxInFlight {
		t.Errorf("%d fetches in flight at once", n)
	}
}

func TestPreviewBusyIsNotCached(t *testing.T) {
	e := newEnv(t, "127.0.0.0/8")
	e.f.budget = 200 * time.Millisecond
	e.page("/", "text/html", "<title>t</title>")
	for range maxInFlight {
		e.f.slots <- struct{}{}
	}
	if p := e.preview(e.url("/")); p != nil {
		t.Fatalf("busy = %+v", p)
	}
	// A refusal does not wait for a slot.
	start := time.Now()
	e.refused("http://private.test/")
	e.refused("http://10.0.0.1/")
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("refusals took %v while busy", d)
	}
	for range maxInFlight {
		<-e.f.slots
	}
	if p := e.preview(e.url("/")); p == nil {
		t.Fatal("a busy server's none was cached")
	}
}

// TestPreviewConnectTimeRecheck drops the allowed network between vetting
// and connecting: the dialer's check stops the connection, and the HTTP
// stack reports it as a refusal.
func TestPreviewConnectTimeRecheck(t *testing.T) {
	e := newEnv(t, "127.0.0.0/8")
	e.page("/", "text/html", "<title>t</title>")
	u, err := parseURL(e.url("/"))
	if err != nil {
		t.Fatal(err)
	}
	tg, err := e.f.vet(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	e.setAllowed()
	_, _, err = e.f.get(context.Background(), u, tg, acceptPage)
	if r, ok := isRefusal(err); !ok || r.Code != chat.EBadRequest {
		t.Fatalf("get = %v, want a refusal", err)
	}
	if n := e.hits.Load(); n != 0 {
		t.Errorf("the server was reached %d times", n)
	}
}
