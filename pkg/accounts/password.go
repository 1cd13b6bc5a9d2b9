package accounts

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strings"
	"time"

	"github.com/minimost/minimost/pkg/audit"
	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/password"
	"github.com/minimost/minimost/pkg/store"
)

// historyDepth is how many stored hashes a new password is compared with.
func (s *Service) historyDepth() int {
	return s.settings.Get().PasswordHistoryCount
}

// checkHistory refuses a password equal to one of the newest history
// entries (behavior.md §3.3); a count of 0 switches the rule off.
func (s *Service) checkHistory(ctx context.Context, id int64, pw, field string) error {
	n := s.historyDepth()
	if n == 0 {
		return nil
	}
	hashes, err := s.db.PasswordHistory(ctx, id, n)
	if err != nil {
		return err
	}
	reused, err := s.hasher.MatchesAny(ctx, hashes, pw)
	if err != nil {
		s.log.Error("password history holds an unreadable hash", "err", err)
	}
	if reused {
		return chat.FieldError(chat.EPasswordReused, field, "this password was used recently; choose another")
	}
	return nil
}

// ChangePassword is POST /me/password. The caller's session survives under
// a new id (returned); every other session ends.
func (s *Service) ChangePassword(ctx context.Context, auth *Auth, current, next, src string) (string, error) {
	if auth.Session == nil {
		return "", chat.Errorf(chat.EForbidden, "a bot token cannot change the password")
	}
	a := auth.Account
	fail := func(err error, detail string) (string, error) {
		s.audit.Record(audit.Event{Kind: audit.PasswordChange, User: a.Username, Src: src, Detail: detail})
		return "", err
	}
	ok, err := s.hasher.Verify(ctx, a.PasswordHash, current)
	if err != nil || !ok {
		return fail(chat.FieldError(chat.EInvalidCredentials, "current_password", "the current password is wrong"), "bad current password")
	}
	if minAge := s.settings.Get().PasswordMinAgeHours; minAge > 0 {
		age := time.Duration(s.nowMs()-a.PasswordSetAt) * time.Millisecond
		if left := time.Duration(minAge*float64(time.Hour)) - age; left > 0 {
			hours := max(1, int(math.Ceil(left.Hours())))
			return fail(chat.FieldError(chat.EPasswordTooNew, "new_password", "the password was changed too recently; try again in about %d hour(s)", hours), "too new")
		}
	}
	if err := password.Check(next, s.Policy()); err != nil {
		return fail(policyError(err, "new_password"), "weak")
	}
	if err := s.checkHistory(ctx, a.ID, next, "new_password"); err != nil {
		return fail(err, "reused")
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return "", err
	}
	newID := Secret()
	unlock := s.lockAccount(a.ID)
	ended, err := s.db.SetPassword(ctx, a.ID, store.PasswordChange{
		Hash: hash, Keep: s.historyDepth(), KeepSession: auth.Session.IDHash, NewSession: Digest(newID),
	})
	unlock()
	if err != nil {
		return "", err
	}
	s.events.SessionsEnded(ended)
	s.audit.Record(audit.Event{Kind: audit.PasswordChange, Success: true, User: a.Username, Src: src})
	return newID, nil
}

// ResetInfo answers GET /password-reset/{token}: whose it is and until when.
func (s *Service) ResetInfo(ctx context.Context, token string) (*chat.ResetToken, error) {
	t, err := s.db.ResetTokenByHash(ctx, Digest(token))
	if err != nil {
		return nil, err
	}
	if t.Used || t.ExpiresAt <= s.nowMs() {
		return nil, chat.Errorf(chat.EGone, "this reset link was already used or has expired")
	}
	return t, nil
}

// ResetPassword redeems a token: policy and history failures keep the
// token usable; success ends every session and clears a lockout (not an
// admin lock).
func (s *Service) ResetPassword(ctx context.Context, token, next, src string) error {
	t, err := s.ResetInfo(ctx, token)
	if err != nil {
		return err
	}
	fail := func(err error, detail string) error {
		s.audit.Record(audit.Event{Kind: audit.PasswordReset, User: t.Username, Src: src, Detail: detail})
		return err
	}
	if err := password.Check(next, s.Policy()); err != nil {
		return fail(policyError(err, "new_password"), "weak")
	}
	if err := s.checkHistory(ctx, t.UserID, next, "new_password"); err != nil {
		return fail(err, "reused")
	}
	hash, err := s.hasher.Hash(ctx, next)
	if err != nil {
		return err
	}
	unlock := s.lockAccount(t.UserID)
	ended, err := s.db.SetPassword(ctx, t.UserID, store.PasswordChange{
		Hash: hash, Keep: s.historyDepth(), ClearLockout: true, ResetToken: Digest(token),
	})
	unlock()
	if err != nil {
		return err
	}
	s.events.SessionsEnded(ended)
	s.audit.Record(audit.Event{Kind: audit.PasswordReset, Success: true, User: t.Username, Src: src})
	return nil
}

// Reset-link lifetime bounds of behavior.md §17, in minutes.
const (
	ResetExpiresDefault = 60
	ResetExpiresMin     = 5
	ResetExpiresMax     = 10080
)

// IssuedReset is a reset link made by an admin.
type IssuedReset struct {
	URL       string `json:"url"`
	ExpiresAt int64  `json:"expires_at"`
	// UserID and Username name the account, for the chat's notice.
	UserID   int64  `json:"-"`
	Username string `json:"-"`
}

// NormalizeBaseURL checks an admin-given base URL: http(s), a host, no
// query or fragment; a trailing slash is dropped.
func NormalizeBaseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", chat.FieldError(chat.EBadRequest, "base_url", "base_url must be an http(s) URL such as https://chat.example:6767")
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(raw, "#") {
		return "", chat.FieldError(chat.EBadRequest, "base_url", "base_url may not have a query or fragment")
	}
	return strings.TrimRight(raw, "/"), nil
}

// IssueReset makes a single-use reset link for a user; earlier unused
// links of that user stop working.
func (s *Service) IssueReset(ctx context.Context, username string, minutes int, baseURL, src string) (*IssuedReset, error) {
	if minutes < ResetExpiresMin || minutes > ResetExpiresMax {
		return nil, chat.FieldError(chat.EBadRequest, "expires_minutes", "expiry must be between %d and %d minutes", ResetExpiresMin, ResetExpiresMax)
	}
	base, err := NormalizeBaseURL(baseURL)
	if err != nil {
		return nil, err
	}
	a, err := s.db.AccountByName(ctx, username)
	if err != nil {
		return nil, err
	}
	token := Secret()
	expires := s.now().Add(time.Duration(minutes) * time.Minute).UnixMilli()
	if err := s.db.CreateResetToken(ctx, a.ID, Digest(token), expires); err != nil {
		return nil, err
	}
	s.audit.Record(audit.Event{Kind: audit.PasswordResetIssued, Success: true, User: a.Username, Src: src,
		Detail: fmt.Sprintf("expires in %d minutes", minutes)})
	return &IssuedReset{URL: base + "/reset-password/" + token, ExpiresAt: expires, UserID: a.ID, Username: a.Username}, nil
}
