package accounts

import (
	"context"
	"strings"
	"time"

	"github.com/minimost/minimost/pkg/audit"
	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/config"
	"github.com/minimost/minimost/pkg/password"
	"github.com/minimost/minimost/pkg/store"
)

// Login is a new session: the id goes into the cookie and nowhere else.
type Login struct {
	SessionID string
	CSRFToken string
	MaxAge    time.Duration
	User      chat.User
}

// Auth is an authenticated caller: a browser session or a bot token.
type Auth struct {
	Account *chat.Account
	// Session is nil for a bot token.
	Session *chat.Session
	// Token is nil for a browser session.
	Token *chat.BotToken
}

// badCredentials is the one answer for an unknown user and a wrong
// password, so the two cannot be told apart.
func badCredentials() error {
	return chat.Errorf(chat.EInvalidCredentials, "wrong username or password")
}

// newSession stores a session for an account and returns its secrets.
func (s *Service) newSession(ctx context.Context, a *chat.Account) (*Login, error) {
	id, csrf := Secret(), Secret()
	now := s.nowMs()
	maxAge := time.Duration(s.settings.Get().SessionMaxHours) * time.Hour
	err := s.db.CreateSession(ctx, chat.Session{
		IDHash: Digest(id), UserID: a.ID, CSRFToken: csrf,
		CreatedAt: now, LastActiveAt: now, ExpiresAt: now + maxAge.Milliseconds(),
	})
	if err != nil {
		return nil, err
	}
	return &Login{SessionID: id, CSRFToken: csrf, MaxAge: maxAge, User: s.View(a)}, nil
}

// Signup creates an account and its first session (behavior.md §3.2).
// Check order: username pattern, reserved names, password policy, then
// uniqueness.
func (s *Service) Signup(ctx context.Context, username, pw, src string) (*Login, error) {
	name, err := chat.NormalizeUsername(username)
	if err != nil {
		return nil, err
	}
	if err := password.Check(pw, s.Policy()); err != nil {
		return nil, policyError(err, "password")
	}
	// Refuse a taken name before paying for a hash; the insert below still
	// catches a race.
	if _, err := s.db.AccountByName(ctx, name); err == nil {
		return nil, chat.FieldError(chat.EUsernameTaken, "username", "that username is taken")
	}
	hash, err := s.hasher.Hash(ctx, pw)
	if err != nil {
		return nil, err
	}
	var hook func(*store.Tx, *chat.Account) error
	if s.welcome != nil {
		hook = func(tx *store.Tx, a *chat.Account) error { return s.welcome(ctx, tx, a) }
	}
	a, err := s.db.CreateAccount(ctx, name, hash, hook)
	if err != nil {
		return nil, err
	}
	login, err := s.newSession(ctx, a)
	if err != nil {
		return nil, err
	}
	s.audit.Record(audit.Event{Kind: audit.AccountCreate, Success: true, User: a.Username, Src: src})
	s.audit.Record(audit.Event{Kind: audit.Login, Success: true, User: a.Username, Src: src})
	s.events.UserUpdated(login.User)
	return login, nil
}

// LockedError is a refused login of a locked account; RetryAfter is the
// Retry-After hint.
type LockedError struct {
	Err        *chat.Error
	RetryAfter time.Duration
}

func (e *LockedError) Error() string { return e.Err.Error() }

// Unwrap lets chat.ErrorCode see the code.
func (e *LockedError) Unwrap() error { return e.Err }

func lockedFor(d time.Duration) error {
	return &LockedError{Err: chat.Errorf(chat.ELocked, "this account is locked; try again later"), RetryAfter: d}
}

// Login checks a password (behavior.md §3.5 steps 3–9; the rate limit and
// the origin check belong to the transport).
func (s *Service) Login(ctx context.Context, username, pw, src string) (*Login, error) {
	typed := strings.TrimSpace(username)
	if len([]rune(pw)) > password.MaxLength {
		s.audit.Record(audit.Event{Kind: audit.Login, User: typed, Src: src, Detail: "bad password"})
		return nil, badCredentials()
	}
	a, err := s.db.AccountByName(ctx, typed)
	if chat.ErrorCode(err) == chat.ENotFound {
		s.hasher.VerifyDummy(ctx, pw)
		s.audit.Record(audit.Event{Kind: audit.Login, User: typed, Src: src, Detail: "unknown user"})
		return nil, badCredentials()
	}
	if err != nil {
		return nil, err
	}
	set := s.settings.Get()
	// Checked before hashing so a locked account costs no derivation, and
	// again (in settle) once the verdict is in.
	if err := s.refuseLocked(a, set, src); err != nil {
		return nil, err
	}
	ok, err := s.hasher.Verify(ctx, a.PasswordHash, pw)
	if err != nil {
		s.log.Error("stored password hash unreadable", "user", a.Username, "err", err)
		ok = false
	}
	rehash := ""
	if ok && password.NeedsRehash(a.PasswordHash) {
		if rehash, err = s.hasher.Hash(ctx, pw); err != nil {
			return nil, err
		}
	}
	return s.settle(ctx, a, ok, rehash, set, src)
}

// refuseLocked answers a login of an admin-locked account, or of one in a
// failed-login lockout while lockouts are on (behavior.md §3.5 steps 6–7).
func (s *Service) refuseLocked(a *chat.Account, set *config.Settings, src string) error {
	if a.AdminLocked {
		s.audit.Record(audit.Event{Kind: audit.Login, User: a.Username, Src: src, Detail: "admin locked"})
		return lockedFor(time.Hour)
	}
	if now := s.nowMs(); set.MaxLoginAttempts > 0 && a.LockoutUntil > now {
		s.audit.Record(audit.Event{Kind: audit.Login, User: a.Username, Src: src, Detail: "locked"})
		return lockedFor(time.Duration(a.LockoutUntil-now) * time.Millisecond)
	}
	return nil
}

// loginStripes is how many locks the accounts share for lockAccount.
const loginStripes = 64

// lockAccount takes the account's lock (one of loginStripes, shared by
// the ids equal modulo loginStripes) and returns its release. A login's
// verdict and new session are made under it, and so is every change that
// ends sessions or replaces credentials (admin lock, logout of all
// sessions, deletion, password change and reset), so a login checked
// while one of those happened cannot leave a session behind it.
func (s *Service) lockAccount(id int64) (unlock func()) {
	mu := &s.loginLocks[uint64(id)%loginStripes]
	mu.Lock()
	return mu.Unlock
}

// settle applies a checked password's verdict (steps 8–9 of behavior.md
// §3.5) to the account as it is now, not as it was read before hashing: a
// flood of guesses all read the account before the first of them failed,
// and waited at the hashing pool, so judging them by that early read would
// let every one of them be counted and answered, however low
// max_login_attempts is. Under the account's lock the account is read
// again; if a concurrent attempt (or the admin) locked it meanwhile, this
// attempt is answered locked and not counted, and if the password changed
// meanwhile (a reset moves password_set_at; a concurrent login's rehash of
// the same password does not), the verdict is about a stale password and
// is discarded.
func (s *Service) settle(ctx context.Context, a *chat.Account, ok bool, rehash string, set *config.Settings, src string) (*Login, error) {
	defer s.lockAccount(a.ID)()
	login, err := s.verdict(ctx, a, ok, rehash, set, src)
	if err != nil {
		return nil, err
	}
	s.audit.Record(audit.Event{Kind: audit.Login, Success: true, User: a.Username, Src: src})
	return login, nil
}

// verdict is settle's work under the account's lock.
func (s *Service) verdict(ctx context.Context, a *chat.Account, ok bool, rehash string, set *config.Settings, src string) (*Login, error) {
	cur, err := s.db.AccountByID(ctx, a.ID)
	if chat.ErrorCode(err) == chat.ENotFound || err == nil && cur.Deleted {
		s.audit.Record(audit.Event{Kind: audit.Login, User: a.Username, Src: src, Detail: "unknown user"})
		return nil, badCredentials()
	}
	if err != nil {
		return nil, err
	}
	if err := s.refuseLocked(cur, set, src); err != nil {
		return nil, err
	}
	if cur.PasswordSetAt != a.PasswordSetAt {
		s.audit.Record(audit.Event{Kind: audit.Login, User: a.Username, Src: src, Detail: "bad password"})
		return nil, badCredentials()
	}
	if cur.PasswordHash != a.PasswordHash {
		// The same password, upgraded by a concurrent login: the verdict
		// stands, and there is nothing left to rehash.
		rehash = ""
	}
	now := s.now()
	if !ok {
		lockout := time.Duration(set.LockoutDurationMinutes) * time.Minute
		locked, err := s.db.AddLoginFailure(ctx, a.ID, set.MaxLoginAttempts, now.Add(lockout).UnixMilli())
		if err != nil {
			return nil, err
		}
		s.audit.Record(audit.Event{Kind: audit.Login, User: a.Username, Src: src, Detail: "bad password"})
		if locked {
			s.audit.Record(audit.Event{Kind: audit.AccountLockout, Success: true, User: a.Username, Src: src})
			return nil, lockedFor(lockout)
		}
		return nil, badCredentials()
	}
	if set.PasswordMaxAgeDays > 0 && now.UnixMilli()-a.PasswordSetAt > int64(set.PasswordMaxAgeDays)*24*time.Hour.Milliseconds() {
		if err := s.db.LoginSucceeded(ctx, a.ID, ""); err != nil {
			return nil, err
		}
		s.audit.Record(audit.Event{Kind: audit.PasswordExpired, User: a.Username, Src: src})
		return nil, chat.Errorf(chat.EPasswordExpired, "your password has expired; ask an administrator for a reset link")
	}
	if err := s.db.LoginSucceeded(ctx, a.ID, rehash); err != nil {
		return nil, err
	}
	return s.newSession(ctx, cur)
}

// activityEvery is how often a session's last activity is written: at most
// once a minute, so browsing does not turn every read into a write.
const activityEvery = time.Minute

// Authenticate checks a session id from a cookie. active says whether the
// request counts as activity (behavior.md §3.7). An expired session is
// ended here and audited.
func (s *Service) Authenticate(ctx context.Context, sessionID string, active bool, src string) (*Auth, error) {
	if sessionID == "" {
		return nil, chat.Errorf(chat.EUnauthenticated, "not logged in")
	}
	sess, a, err := s.db.SessionByHash(ctx, Digest(sessionID))
	if err != nil {
		return nil, err
	}
	now := s.nowMs()
	idle := int64(s.settings.Get().SessionIdleMinutes) * time.Minute.Milliseconds()
	if now >= sess.ExpiresAt || idle > 0 && now-sess.LastActiveAt > idle {
		if _, err := s.db.DeleteSession(ctx, sess.IDHash); err != nil {
			return nil, err
		}
		s.events.SessionsEnded([][]byte{sess.IDHash})
		s.audit.Record(audit.Event{Kind: audit.SessionTimeout, Success: true, User: a.Username, Src: src})
		return nil, chat.Errorf(chat.EUnauthenticated, "your session has ended; log in again")
	}
	if active && now-sess.LastActiveAt >= activityEvery.Milliseconds() {
		if err := s.db.TouchSession(ctx, sess.IDHash, now); err != nil {
			return nil, err
		}
	}
	return &Auth{Account: a, Session: sess}, nil
}

// TokenPrefix starts every bot token, so a leaked one is recognisable.
const TokenPrefix = "mmt_"

// AuthenticateToken checks a bearer token; a locked account's tokens are
// refused while the lock lasts.
func (s *Service) AuthenticateToken(ctx context.Context, token string) (*Auth, error) {
	if !strings.HasPrefix(token, TokenPrefix) {
		return nil, chat.Errorf(chat.EUnauthenticated, "unknown token")
	}
	t, a, err := s.db.BotTokenByHash(ctx, Digest(token))
	if err != nil {
		return nil, err
	}
	if a.AdminLocked {
		return nil, chat.Errorf(chat.EUnauthenticated, "this account is locked")
	}
	now := s.nowMs()
	if t.LastUsedAt == nil || now-*t.LastUsedAt >= activityEvery.Milliseconds() {
		if err := s.db.TouchBotToken(ctx, t.ID, now); err != nil {
			return nil, err
		}
		t.LastUsedAt = &now
	}
	return &Auth{Account: a, Token: t}, nil
}

// Logout ends the caller's session.
func (s *Service) Logout(ctx context.Context, auth *Auth, src string) error {
	if auth.Session == nil {
		return chat.Errorf(chat.EForbidden, "a bot token cannot log out; delete the token instead")
	}
	if _, err := s.db.DeleteSession(ctx, auth.Session.IDHash); err != nil {
		return err
	}
	s.events.SessionsEnded([][]byte{auth.Session.IDHash})
	s.audit.Record(audit.Event{Kind: audit.Logout, Success: true, User: auth.Account.Username, Src: src})
	return nil
}

// SweepSessions ends idle and expired sessions; the daemon runs it every
// minute so their streams close even when nobody uses them.
func (s *Service) SweepSessions(ctx context.Context) error {
	idle := int64(s.settings.Get().SessionIdleMinutes) * time.Minute.Milliseconds()
	ended, err := s.db.SweepSessions(ctx, s.nowMs(), idle)
	if err != nil {
		return err
	}
	hashes := make([][]byte, 0, len(ended))
	for _, e := range ended {
		hashes = append(hashes, e.IDHash)
		s.audit.Record(audit.Event{Kind: audit.SessionTimeout, Success: true, User: e.Username, Src: "sweep"})
	}
	if len(hashes) > 0 {
		s.events.SessionsEnded(hashes)
	}
	return nil
}
