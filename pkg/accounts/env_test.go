package accounts_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minimost/minimost/pkg/accounts"
	"github.com/minimost/minimost/pkg/audit"
	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/config"
	"github.com/minimost/minimost/pkg/password"
	"github.com/minimost/minimost/pkg/store"
)

// testIterations is the PBKDF2 cost of the tests' hasher. The rules under
// test do not depend on the cost, and the production 600 000 would make
// every signup and change take a large fraction of a second under -race.
const testIterations = 1

// start is the pinned time every test begins at.
var start = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// clock is the injectable clock shared by the service, the store and the
// audit log, so that every rule sees the same time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// events records what the service tells live connections.
type events struct {
	mu      sync.Mutex
	ended   map[string]bool // session id hashes, hex
	updated []string
	deleted []string // "name mode"
	tokens  []int64  // revoked bot token ids
}

func (e *events) SessionsEnded(hashes [][]byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, h := range hashes {
		e.ended[fmt.Sprintf("%x", h)] = true
	}
}

func (e *events) UserUpdated(u chat.User) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.updated = append(e.updated, u.Username)
}

func (e *events) UserDeleted(username, mode string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.deleted = append(e.deleted, username+" "+mode)
}

func (e *events) TokenRevoked(id int64) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tokens = append(e.tokens, id)
}

func (e *events) endedCount() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.ended)
}

// env is one account service over a real store, audit log and settings
// in a temporary directory.
type env struct {
	t        *testing.T
	ctx      context.Context
	dir      string
	clock    *clock
	db       *store.DB
	settings *config.Live
	hasher   *password.Hasher
	events   *events
	svc      *accounts.Service
}

// newEnv builds an env whose settings are the defaults changed by
// configure (which may be nil).
func newEnv(t *testing.T, configure func(*config.Settings)) *env {
	t.Helper()
	return newEnvWith(t, password.NewHasherWithIterations(2, testIterations), configure)
}

func newEnvWith(t *testing.T, h *password.Hasher, configure func(*config.Settings)) *env {
	t.Helper()
	e := &env{
		t: t, ctx: context.Background(), dir: t.TempDir(),
		clock: &clock{now: start}, hasher: h, events: &events{ended: map[string]bool{}},
	}
	var err error
	e.db, err = store.Open(e.ctx, e.dir, store.Options{Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.db.Close() })
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
		DB: e.db, Hasher: h, Settings: e.settings, Audit: log, Now: e.clock.Now,
		AvatarDir: filepath.Join(e.dir, "avatars"), Events: e.events,
	})
	return e
}

// configure swaps in a changed copy of the settings, as a reload does.
func (e *env) configure(f func(*config.Settings)) {
	s := *e.settings.Get()
	f(&s)
	e.settings.Swap(&s)
}

// pw returns a password that satisfies the default policy, distinct per n.
func pw(n int) string { return fmt.Sprintf("Battery-Staple-%02d", n) }

func (e *env) signup(name, password string) *accounts.Login {
	e.t.Helper()
	l, err := e.svc.Signup(e.ctx, name, password, "192.0.2.1")
	if err != nil {
		e.t.Fatalf("signup %s: %v", name, err)
	}
	return l
}

func (e *env) login(name, password string) (*accounts.Login, error) {
	return e.svc.Login(e.ctx, name, password, "192.0.2.1")
}

func (e *env) mustLogin(name, password string) *accounts.Login {
	e.t.Helper()
	l, err := e.login(name, password)
	if err != nil {
		e.t.Fatalf("login %s: %v", name, err)
	}
	return l
}

// auth authenticates a session id as an active request.
func (e *env) auth(id string) (*accounts.Auth, error) {
	return e.svc.Authenticate(e.ctx, id, true, "192.0.2.1")
}

func (e *env) mustAuth(id string) *accounts.Auth {
	e.t.Helper()
	a, err := e.auth(id)
	if err != nil {
		e.t.Fatalf("authenticate: %v", err)
	}
	return a
}

func (e *env) account(name string) *chat.Account {
	e.t.Helper()
	a, err := e.db.AccountByName(e.ctx, name)
	if err != nil {
		e.t.Fatalf("account %s: %v", name, err)
	}
	return a
}

// audit returns audit.log's lines.
func (e *env) audit() []string {
	e.t.Helper()
	b, err := os.ReadFile(filepath.Join(e.dir, "audit.log"))
	if err != nil {
		e.t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// audited counts the audit lines holding every one of parts.
func (e *env) audited(parts ...string) int {
	n := 0
	for _, l := range e.audit() {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(l, p)
		}
		if all {
			n++
		}
	}
	return n
}

// wantCode fails unless err carries the API error code want ("" for no
// error).
func wantCode(t *testing.T, err error, want string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("got %v, want success", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("succeeded, want %s", want)
	}
	if got := chat.ErrorCode(err); got != want {
		t.Fatalf("got %v (%s), want %s", err, got, want)
	}
}

// retryAfter returns the Retry-After of a locked answer.
func retryAfter(t *testing.T, err error) time.Duration {
	t.Helper()
	var le *accounts.LockedError
	if !errors.As(err, &le) {
		t.Fatalf("%v is not a LockedError", err)
	}
	return le.RetryAfter
}

func fieldOf(err error) string {
	var ce *chat.Error
	if errors.As(err, &ce) {
		return ce.Field
	}
	return ""
}
