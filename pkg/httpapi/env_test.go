package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minimost/minimost/pkg/accounts"
	"github.com/minimost/minimost/pkg/audit"
	"github.com/minimost/minimost/pkg/config"
	"github.com/minimost/minimost/pkg/password"
	"github.com/minimost/minimost/pkg/store"
)

// apiClock is the injectable clock of the service, the store, the audit
// log and the rate limiters.
type apiClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *apiClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *apiClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// apiEnv is the HTTP layer over a real accounts service, store and audit
// log in a temporary directory. It counts the 401 and 403 answers it
// hands out, so tests can check each one was audited.
type apiEnv struct {
	t        *testing.T
	dir      string
	clock    *apiClock
	settings *config.Live
	svc      *accounts.Service
	h        http.Handler

	mu     sync.Mutex
	denied int
}

// newAPIEnv builds an apiEnv whose settings are the defaults changed by
// configure (which may be nil).
func newAPIEnv(t *testing.T, configure func(*config.Settings)) *apiEnv {
	t.Helper()
	e := &apiEnv{t: t, dir: t.TempDir(), clock: &apiClock{now: time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)}}
	ctx := context.Background()
	db, err := store.Open(ctx, e.dir, store.Options{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log, err := audit.New(audit.Options{Dir: e.dir, Now: e.clock.Now, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	s := config.Defaults()
	if configure != nil {
		configure(s)
	}
	e.settings = config.NewLive(s)
	e.svc = accounts.New(accounts.Options{
		DB: db, Hasher: password.NewHasherWithIterations(2, 1), Settings: e.settings, Audit: log,
		Now: e.clock.Now, AvatarDir: filepath.Join(e.dir, "avatars"),
	})
	e.h = NewServer(Deps{
		Logger: slog.New(slog.DiscardHandler), Settings: e.settings, Accounts: e.svc, Audit: log,
		CAPEM: func() []byte { return nil }, Ready: func() bool { return true }, Now: e.clock.Now,
	})
	return e
}

// configure swaps in a changed copy of the settings, as a reload does.
func (e *apiEnv) configure(f func(*config.Settings)) {
	s := *e.settings.Get()
	f(&s)
	e.settings.Swap(&s)
}

// apiReply is one answer.
type apiReply struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// apiClient is one caller: a browser (cookie and CSRF token from its last
// login) or a script (bearer token), from one address.
type apiClient struct {
	e      *apiEnv
	addr   string
	cookie string
	csrf   string
	bearer string
}

func (e *apiEnv) client() *apiClient { return &apiClient{e: e, addr: "192.0.2.10:40000"} }

// send serves one request. body is sent as is when it is a string or
// []byte, else as its JSON. hdr are header name/value pairs; a CSRF token
// goes along when the client holds one unless hdr sets X-CSRF-Token.
func (c *apiClient) send(method, path string, body any, hdr ...string) apiReply {
	c.e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req := httptest.NewRequest(method, "https://example.com"+path, rd)
	req.RemoteAddr = c.addr
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cookie != "" {
		req.AddCookie(&http.Cookie{Name: CookieName, Value: c.cookie})
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	if c.bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rr := httptest.NewRecorder()
	c.e.h.ServeHTTP(rr, req)
	res := rr.Result()
	r := apiReply{status: res.StatusCode, header: res.Header, raw: rr.Body.Bytes()}
	json.Unmarshal(r.raw, &r.body)
	if r.status == http.StatusUnauthorized || r.status == http.StatusForbidden {
		c.e.mu.Lock()
		c.e.denied++
		c.e.mu.Unlock()
	}
	for _, ck := range res.Cookies() {
		if ck.Name == CookieName {
			c.cookie = ck.Value
		}
	}
	if tok, ok := r.body["csrf_token"].(string); ok && tok != "" {
		c.csrf = tok
	}
	return r
}

// want fails unless the answer has the status and, when code is not
// empty, the error code.
func (r apiReply) want(t *testing.T, status int, code string) apiReply {
	t.Helper()
	if r.status != status || code != "" && r.body["error"] != code {
		t.Fatalf("got %d %s, want %d %s", r.status, r.raw, status, code)
	}
	if r.status >= 500 {
		t.Fatalf("server error %d %s", r.status, r.raw)
	}
	return r
}

// signup makes an account and returns a browser logged into it.
func (e *apiEnv) signup(name string) *apiClient {
	e.t.Helper()
	c := e.client()
	c.send("POST", "/api/v1/signup", map[string]string{"username": name, "password": testPassword}).want(e.t, 201, "")
	return c
}

const testPassword = "Correct-Horse-Battery-9"

// bot makes a bot token for the browser's user and returns a script
// client holding it.
func (c *apiClient) bot(name string) *apiClient {
	c.e.t.Helper()
	r := c.send("POST", "/api/v1/me/tokens", map[string]string{"name": name}).want(c.e.t, 201, "")
	return &apiClient{e: c.e, addr: c.addr, bearer: r.body["token"].(string)}
}

// auditLines returns audit.log's lines.
func (e *apiEnv) auditLines() []string {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.dir, "audit.log"))
	if err != nil {
		e.t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// checkDeniedAudited is the rule of behavior.md §15.1: every 401 and 403
// answer is an access_denied record naming the method and path only.
func (e *apiEnv) checkDeniedAudited() {
	e.t.Helper()
	n := 0
	for _, l := range e.auditLines() {
		if strings.Contains(l, "event=access_denied outcome=failure") {
			n++
			if strings.Contains(l, "?") {
				e.t.Errorf("access_denied record holds a query: %s", l)
			}
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if n != e.denied {
		e.t.Errorf("%d access_denied records for %d answers 401/403", n, e.denied)
	}
}
