package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/minimost/minimost/assets"
	"github.com/minimost/minimost/pkg/accounts"
	"github.com/minimost/minimost/pkg/audit"
	"github.com/minimost/minimost/pkg/config"
	"github.com/minimost/minimost/pkg/password"
	"github.com/minimost/minimost/pkg/store"
)

type pageAudit struct {
	mu sync.Mutex
	ev []audit.Event
}

func (r *pageAudit) Record(e audit.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ev = append(r.ev, e)
}

// pagesServer is the HTTP layer over a real store, with one account whose
// session cookie it returns.
func pagesServer(t *testing.T) (http.Handler, string) {
	t.Helper()
	db, err := store.Open(context.Background(), t.TempDir(), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	settings := config.NewLive(config.Defaults())
	rec := &pageAudit{}
	acc := accounts.New(accounts.Options{DB: db, Hasher: password.NewHasherWithIterations(1, 1), Settings: settings, Audit: rec})
	login, err := acc.Signup(context.Background(), "alice", "Correct-Horse-Battery-9", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	h := NewServer(Deps{
		Logger: slog.New(slog.DiscardHandler), Settings: settings, Accounts: acc, Audit: rec,
		CAPEM: func() []byte { return []byte("-----BEGIN CERTIFICATE-----\n") },
		Ready: func() bool { return true },
	})
	return h, login.SessionID
}

type pageHit struct {
	status int
	header http.Header
	body   string
}

func pageFetch(t *testing.T, h http.Handler, method, path string, hdr ...string) pageHit {
	t.Helper()
	req := httptest.NewRequest(method, "https://chat.example"+path, nil)
	req.RemoteAddr = "127.0.0.1:5555"
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	b, _ := io.ReadAll(rr.Result().Body)
	return pageHit{rr.Code, rr.Result().Header, string(b)}
}

var shellScript = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)

// checkShell asserts the shell's type, caching, headers and that it holds
// no inline script or inline event handler (CSP script-src 'self').
func checkShell(t *testing.T, path string, a pageHit, status int) {
	t.Helper()
	if a.status != status {
		t.Fatalf("%s: status %d, want %d: %s", path, a.status, status, a.body)
	}
	if ct := a.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("%s: Content-Type %q", path, ct)
	}
	if cc := a.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("%s: Cache-Control %q", path, cc)
	}
	if csp := a.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self';") {
		t.Errorf("%s: CSP %q", path, csp)
	}
	for _, h := range []string{"X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Cross-Origin-Opener-Policy", "Strict-Transport-Security"} {
		if a.header.Get(h) == "" {
			t.Errorf("%s: no %s", path, h)
		}
	}
	scripts := shellScript.FindAllStringSubmatch(a.body, -1)
	if len(scripts) == 0 {
		t.Errorf("%s: no script in the shell", path)
	}
	for _, m := range scripts {
		if !strings.Contains(m[1], `src="/assets/`+assets.Version()+`/`) || strings.TrimSpace(m[2]) != "" {
			t.Errorf("%s: inline or unversioned script %q", path, m[0])
		}
	}
	if regexp.MustCompile(`(?i)\son[a-z]+\s*=`).MatchString(a.body) {
		t.Errorf("%s: inline event handler in the shell", path)
	}
}

func TestPages(t *testing.T) {
	h, sid := pagesServer(t)
	cookie := "minimost_session=" + sid

	// Public pages are the shell with or without a session.
	for _, p := range []string{"/signup", "/forgot-password", "/reset-password/abc123", "/about", "/login"} {
		a := pageFetch(t, h, "GET", p)
		checkShell(t, p, a, 200)
		if !strings.Contains(a.body, `<link rel="manifest" href="/manifest.webmanifest">`) {
			t.Errorf("%s does not link the manifest", p)
		}
		if !strings.Contains(a.body, `data-version="`) {
			t.Errorf("%s has no version for the corner tag", p)
		}
	}
	if a := pageFetch(t, h, "GET", "/signup"); !strings.Contains(a.body, "<title>Sign Up – MiniMost</title>") {
		t.Errorf("signup title: %s", a.body)
	}

	// The chat needs a session: without one (or with a dead one) it is a
	// redirect to the login page, which itself forwards a live session on.
	for _, c := range []string{"", "minimost_session=nonsense"} {
		a := pageFetch(t, h, "GET", "/", "Cookie", c)
		if a.status != http.StatusFound || a.header.Get("Location") != "/login" {
			t.Errorf("GET / with cookie %q: %d %v", c, a.status, a.header)
		}
		if a.header.Get("Content-Security-Policy") == "" {
			t.Error("redirect without security headers")
		}
	}
	chat := pageFetch(t, h, "GET", "/", "Cookie", cookie)
	checkShell(t, "/", chat, 200)
	// Each page preloads its own modules, and only those.
	preloads := map[string][2]string{
		"/":      {chat.body, "js/app/app.js"},
		"/login": {pageFetch(t, h, "GET", "/login").body, "js/pages/login.js"},
		"/about": {pageFetch(t, h, "GET", "/about").body, "js/pages/about.js"},
	}
	for p, c := range preloads {
		link := `<link rel="modulepreload" href="` + assets.URL(c[1]) + `">`
		if !strings.Contains(c[0], link) {
			t.Errorf("%s does not preload %s", p, c[1])
		}
		if p != "/" && strings.Contains(c[0], assets.URL("js/app/app.js")) {
			t.Errorf("%s preloads the chat", p)
		}
	}
	if a := pageFetch(t, h, "GET", "/login", "Cookie", cookie); a.status != http.StatusFound || a.header.Get("Location") != "/" {
		t.Errorf("GET /login while logged in: %d %v", a.status, a.header)
	}
	checkShell(t, "/login (dead session)", pageFetch(t, h, "GET", "/login", "Cookie", "minimost_session=nonsense"), 200)
	if a := pageFetch(t, h, "HEAD", "/about"); a.status != 200 || a.body != "" {
		t.Errorf("HEAD /about: %d %q", a.status, a.body)
	}
	if a := pageFetch(t, h, "POST", "/login"); a.status != http.StatusMethodNotAllowed {
		t.Errorf("POST /login (the page): %d", a.status)
	}
}

func TestErrorPageAndNoShadowing(t *testing.T) {
	h, _ := pagesServer(t)
	// A browser navigating to an unknown page gets the error page...
	a := pageFetch(t, h, "GET", "/no/such/page", "Accept", "text/html,application/xhtml+xml", "Sec-Fetch-Dest", "document")
	checkShell(t, "/no/such/page", a, 404)
	if !strings.Contains(a.body, `data-status="404"`) || strings.Contains(a.body, "manifest") || strings.Contains(a.body, "data-version") {
		t.Errorf("error page shell: %s", a.body)
	}
	// ...scripts get the JSON error.
	a = pageFetch(t, h, "GET", "/no/such/page", "Accept", "application/json")
	if a.status != 404 || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		t.Errorf("script GET of an unknown path: %d %s", a.status, a.header.Get("Content-Type"))
	}
	// The API, /healthz and /ca.pem are never shadowed by the pages.
	a = pageFetch(t, h, "GET", "/api/v1/no-such-route", "Accept", "text/html", "Sec-Fetch-Dest", "document")
	if a.status != 404 || !strings.Contains(a.body, `"not_found"`) {
		t.Errorf("unknown API route as a navigation: %d %s", a.status, a.body)
	}
	a = pageFetch(t, h, "GET", "/api/v1/session", "Accept", "text/html")
	if a.status != 401 || !strings.Contains(a.body, `"unauthenticated"`) {
		t.Errorf("/api/v1/session as a navigation: %d %s", a.status, a.body)
	}
	if a = pageFetch(t, h, "GET", "/healthz", "Accept", "text/html"); a.status != 200 || a.body != "ok" {
		t.Errorf("/healthz: %d %q", a.status, a.body)
	}
	if a = pageFetch(t, h, "GET", "/ca.pem", "Accept", "text/html"); a.status != 200 || a.header.Get("Content-Type") != "application/x-pem-file" {
		t.Errorf("/ca.pem: %d %v", a.status, a.header)
	}
	if a = pageFetch(t, h, "POST", "/healthz", "Accept", "text/html"); a.status != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz: %d", a.status)
	}
}

func TestAssets(t *testing.T) {
	h, _ := pagesServer(t)
	main := assets.URL("js/main.js")
	a := pageFetch(t, h, "GET", main)
	if a.status != 200 || a.header.Get("Content-Type") != "text/javascript; charset=utf-8" {
		t.Fatalf("%s: %d %v", main, a.status, a.header)
	}
	if cc := a.header.Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
		t.Errorf("versioned asset Cache-Control %q", cc)
	}
	if a.header.Get("Content-Security-Policy") == "" || a.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("asset without security headers: %v", a.header)
	}
	etag := a.header.Get("ETag")
	f, _ := assets.Lookup("js/main.js")
	if etag != `"`+f.Hash+`"` || a.body != string(f.Data) {
		t.Errorf("ETag %q, body %d bytes", etag, len(a.body))
	}
	if a := pageFetch(t, h, "GET", main, "If-None-Match", etag); a.status != http.StatusNotModified {
		t.Errorf("revalidation: %d", a.status)
	}
	// Text assets go compressed to clients that take gzip.
	for _, ae := range []string{"gzip, deflate, br", "br;q=1.0, gzip;q=0.8"} {
		a := pageFetch(t, h, "GET", main, "Accept-Encoding", ae)
		if a.header.Get("Content-Encoding") != "gzip" || a.header.Get("Vary") != "Accept-Encoding" || a.header.Get("ETag") == etag {
			t.Errorf("Accept-Encoding %q: %v", ae, a.header)
			continue
		}
		zr, err := gzip.NewReader(strings.NewReader(a.body))
		if err != nil {
			t.Fatal(err)
		}
		plain, _ := io.ReadAll(zr)
		if !bytes.Equal(plain, f.Data) {
			t.Errorf("gzip body does not match %s", main)
		}
	}
	if a := pageFetch(t, h, "GET", main, "Accept-Encoding", "gzip;q=0"); a.header.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 got %v", a.header)
	}
	// Unversioned and other builds' URLs still answer, but must revalidate.
	for _, p := range []string{"/assets/icons/icon-192.png", "/assets/000000000000/icons/icon-192.png"} {
		a := pageFetch(t, h, "GET", p)
		if a.status != 200 || a.header.Get("Cache-Control") != "no-cache" || a.header.Get("Content-Type") != "image/png" {
			t.Errorf("%s: %d %v", p, a.status, a.header)
		}
	}
	for _, p := range []string{"/assets/nope.js", "/assets/js", "/assets/", "/assets/" + assets.Version() + "/js/"} {
		if a := pageFetch(t, h, "GET", p); a.status != 404 {
			t.Errorf("%s: %d, want 404", p, a.status)
		}
	}
	// The router cleans dot segments with a redirect; nothing is served.
	for _, p := range []string{"/../assets.go", "/%2e%2e/assets.go", "/../../go.mod"} {
		if a := pageFetch(t, h, "GET", "/assets/"+assets.Version()+p); a.status == 200 {
			t.Errorf("dot-dot path %s served: %d", p, a.status)
		}
	}
	// The shell, the worker and the manifest are not under /assets/.
	if a := pageFetch(t, h, "GET", "/assets/shell.html"); a.status != 404 {
		t.Errorf("/assets/shell.html: %d", a.status)
	}

	sw := pageFetch(t, h, "GET", "/sw.js")
	if sw.status != 200 || sw.header.Get("Content-Type") != "text/javascript; charset=utf-8" || sw.header.Get("Cache-Control") != "no-cache" {
		t.Errorf("/sw.js: %d %v", sw.status, sw.header)
	}
	if !strings.Contains(sw.body, `const BUILD = {"version":"`+assets.Version()+`","assets":["/assets/`) {
		t.Errorf("/sw.js does not carry the build: %.300s", sw.body)
	}

	m := pageFetch(t, h, "GET", "/manifest.webmanifest")
	if m.status != 200 || m.header.Get("Content-Type") != "application/manifest+json" {
		t.Fatalf("manifest: %d %v", m.status, m.header)
	}
	var man struct {
		Name, ShortName, StartURL, Scope, Display string
		Icons                                     []struct{ Src, Sizes, Type, Purpose string }
	}
	if err := json.Unmarshal([]byte(m.body), &man); err != nil {
		t.Fatal(err)
	}
	if len(man.Icons) != 2 {
		t.Fatalf("manifest icons: %+v", man.Icons)
	}
	for _, ic := range man.Icons {
		if a := pageFetch(t, h, "GET", ic.Src); a.status != 200 || a.header.Get("Content-Type") != ic.Type {
			t.Errorf("manifest icon %s: %d", ic.Src, a.status)
		}
	}
}
