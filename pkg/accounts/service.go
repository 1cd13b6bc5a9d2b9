// Package accounts holds the account rules of behavior.md §3 and §18:
// signup, login and lockout, sessions, password change and reset, admin
// lock and deletion, per-user settings and avatars, bot tokens. Transports
// (the HTTP API, the admin socket) call it; it calls the store, the hashing
// pool and the audit log.
package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/minimost/minimost/pkg/audit"
	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/config"
	"github.com/minimost/minimost/pkg/password"
	"github.com/minimost/minimost/pkg/store"
)

// Events is how account changes reach live connections. The event hub
// implements it; a nil Events in Options drops them.
type Events interface {
	// SessionsEnded tells the streams of these sessions (by id hash) that
	// they are revoked.
	SessionsEnded(hashes [][]byte)
	// UserUpdated announces a new or changed user to everyone.
	UserUpdated(u chat.User)
	// UserDeleted announces a deletion to everyone.
	UserDeleted(username, mode string)
	// TokenRevoked ends the streams opened with a deleted bot token.
	TokenRevoked(tokenID int64)
}

// Recorder takes audit records.
type Recorder interface{ Record(audit.Event) }

// Options build a Service.
type Options struct {
	DB        *store.DB
	Hasher    *password.Hasher
	Settings  *config.Live
	Audit     Recorder
	Logger    *slog.Logger
	Now       func() time.Time
	AvatarDir string
	Events    Events
	// Presence returns a user's presence as others see it; nil means
	// everyone is offline (no live connections exist).
	Presence func(userID int64) string
	// Welcome runs inside the signup transaction (the chat's welcome
	// message and read state); nil skips it.
	Welcome func(ctx context.Context, tx *store.Tx, a *chat.Account) error
}

// Service is the account rules over a store.
type Service struct {
	db       *store.DB
	hasher   *hashing
	settings *config.Live
	audit    Recorder
	log      *slog.Logger
	now      func() time.Time
	avatars  string
	events   Events
	presence func(int64) string
	welcome  func(context.Context, *store.Tx, *chat.Account) error
	removed  func(context.Context, *store.Tx, *chat.Account, bool) error
	// loginLocks serialise login verdicts per account; see settle.
	loginLocks [loginStripes]sync.Mutex
}

// New returns a Service.
func New(o Options) *Service {
	s := &Service{
		db: o.DB, hasher: newHashing(o.Hasher), settings: o.Settings, audit: o.Audit, log: o.Logger,
		now: o.Now, avatars: o.AvatarDir, events: o.Events, presence: o.Presence, welcome: o.Welcome,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.events == nil {
		s.events = noEvents{}
	}
	if s.presence == nil {
		s.presence = func(int64) string { return chat.PresenceOffline }
	}
	return s
}

type noEvents struct{}

func (noEvents) SessionsEnded([][]byte)     {}
func (noEvents) UserUpdated(chat.User)      {}
func (noEvents) UserDeleted(string, string) {}
func (noEvents) TokenRevoked(int64)         {}

// ChatHooks are the chat's part of account changes, run inside the
// account's own transaction so each change is all or nothing.
type ChatHooks interface {
	// Welcome posts the welcome and sets a newcomer's read state.
	Welcome(ctx context.Context, tx *store.Tx, a *chat.Account) error
	// AccountRemoved takes a deleted account out of the chat.
	AccountRemoved(ctx context.Context, tx *store.Tx, a *chat.Account, hard bool) error
}

// Connect hands the accounts their links to the chat, which is built after
// them: live events, presence, and the chat's hooks.
func (s *Service) Connect(e Events, presence func(int64) string, hooks ChatHooks) {
	s.events, s.presence, s.welcome, s.removed = e, presence, hooks.Welcome, hooks.AccountRemoved
}

// Policy returns the password policy in force.
func (s *Service) Policy() password.Policy {
	return password.Policy{MinLength: s.settings.Get().PasswordMinLength}
}

// nowMs is the clock in API units.
func (s *Service) nowMs() int64 { return s.now().UnixMilli() }

// Secret returns 32 random bytes, base64url without padding (43
// characters): every session id, CSRF, reset, bot and hook token.
func Secret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// Digest is how secrets are stored: their SHA-256.
func Digest(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// SameSecret compares two secrets in constant time.
func SameSecret(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// View turns an account into the User every answer shows.
func (s *Service) View(a *chat.Account) chat.User {
	u := chat.User{
		Username:  a.Username,
		NameColor: a.NameColor,
		Presence:  chat.PresenceOffline,
		Deleted:   a.Deleted,
		Bio:       a.Bio,
	}
	if !a.Deleted {
		u.Presence = s.presence(a.ID)
	}
	if a.AvatarFile != "" && !a.Deleted {
		u.HasAvatar = true
		url := fmt.Sprintf("/api/v1/users/%s/avatar?v=%d", a.Username, a.AvatarVersion)
		u.AvatarURL = &url
	}
	return u
}

// Users lists every live account.
func (s *Service) Users(ctx context.Context) ([]chat.User, error) {
	accts, err := s.db.Accounts(ctx, s.nowMs())
	if err != nil {
		return nil, err
	}
	out := make([]chat.User, 0, len(accts))
	for _, a := range accts {
		out = append(out, s.View(a))
	}
	return out, nil
}

// User answers GET /users/{name}: the live account, else a tombstone.
func (s *Service) User(ctx context.Context, name string) (chat.User, error) {
	a, err := s.db.AccountOrTombstone(ctx, name)
	if err != nil {
		return chat.User{}, err
	}
	return s.View(a), nil
}

// policyError turns a policy failure into the API's weak_password.
func policyError(err error, field string) error {
	if pe, ok := err.(*password.PolicyError); ok {
		return chat.FieldError(chat.EWeakPassword, field, "%s", pe.Message)
	}
	return err
}
