package accounts_test

import (
	"strings"
	"testing"
	"time"

	"github.com/minimost/minimost/pkg/accounts"
	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/config"
)

// change is a password change from the session of login.
func (e *env) change(l *accounts.Login, current, next string) (string, error) {
	auth, err := e.auth(l.SessionID)
	if err != nil {
		e.t.Fatalf("the changing session is gone: %v", err)
	}
	id, err := e.svc.ChangePassword(e.ctx, auth, current, next, "192.0.2.1")
	if err == nil {
		l.SessionID = id
	}
	return id, err
}

// issue makes a reset link for name and returns its token.
func (e *env) issue(name string, minutes int) string {
	e.t.Helper()
	r, err := e.svc.IssueReset(e.ctx, name, minutes, "https://chat.example:6767", "admin:uid=0")
	if err != nil {
		e.t.Fatal(err)
	}
	tok, ok := strings.CutPrefix(r.URL, "https://chat.example:6767/reset-password/")
	if !ok {
		e.t.Fatalf("reset URL %q", r.URL)
	}
	return tok
}

func (e *env) reset(token, next string) error {
	return e.svc.ResetPassword(e.ctx, token, next, "192.0.2.1")
}

// TestPasswordHistory is the history rule of behavior.md §3.3 (edge case
// 19.8): a new password may not equal any of the newest
// password_history_count passwords, the current one included; 0 turns the
// rule off; resets obey it as changes do. Bob's passwords were pw(0) at
// signup, then pw(1), pw(2), pw(3) (current), all under the count of the
// case, which may then be changed before the last attempt.
func TestPasswordHistory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		count     int // password_history_count while the passwords are set
		countThen int // and at the attempt (-1: unchanged)
		attempt   int // pw(n) tried
		want      string
	}{
		{"current password, count 1", 1, -1, 3, chat.EPasswordReused},
		{"previous password, count 1", 1, -1, 2, ""},
		{"previous password, count 2", 2, -1, 2, chat.EPasswordReused},
		{"third newest, count 2", 2, -1, 1, ""},
		{"oldest of 3, count 3", 3, -1, 1, chat.EPasswordReused},
		{"fourth newest, count 3", 3, -1, 0, ""},
		{"fourth newest, count 4", 4, -1, 0, chat.EPasswordReused},
		{"count 24 keeps all", 24, -1, 0, chat.EPasswordReused},
		{"0 is off, even for the current password", 0, -1, 3, ""},
		{"switched off later", 5, 0, 3, ""},
		{"lowered later applies at once", 5, 2, 1, ""},
		{"raised later cannot bring back pruned entries", 1, 5, 2, ""},
		{"raised later, current still refused", 1, 5, 3, chat.EPasswordReused},
		{"a new password", 3, -1, 7, ""},
	}
	for _, via := range []string{"change", "reset"} {
		for _, tt := range tests {
			t.Run(via+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				e := newEnv(t, func(s *config.Settings) { s.PasswordHistoryCount = tt.count })
				bob := e.signup("bob", pw(0))
				for n := 1; n <= 3; n++ {
					if _, err := e.change(bob, pw(n-1), pw(n)); err != nil {
						t.Fatalf("setting pw(%d): %v", n, err)
					}
				}
				if tt.countThen >= 0 {
					e.configure(func(s *config.Settings) { s.PasswordHistoryCount = tt.countThen })
				}
				var err error
				if via == "change" {
					_, err = e.change(bob, pw(3), pw(tt.attempt))
				} else {
					err = e.reset(e.issue("bob", 60), pw(tt.attempt))
				}
				wantCode(t, err, tt.want)
				if err != nil && fieldOf(err) != "new_password" {
					t.Errorf("field %q, want new_password", fieldOf(err))
				}
				// The stored password tells whether the attempt took.
				want := pw(3)
				if tt.want == "" {
					want = pw(tt.attempt)
				}
				if ok, _ := e.hasher.Verify(e.ctx, e.account("bob").PasswordHash, want); !ok {
					t.Errorf("the stored password is not %s", want)
				}
			})
		}
	}
}

// TestPasswordMinAge is the minimum-age rule: it blocks a user's change
// with a message giving the hours left, rounded up and at least 1, and
// never blocks an admin reset.
func TestPasswordMinAge(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		minAge  float64
		elapsed time.Duration
		hours   string // "" when the change is allowed
	}{
		{"just set", 24, 0, "24"},
		{"an hour later", 24, time.Hour, "23"},
		{"part hours round up", 24, 90 * time.Minute, "23"},
		{"a millisecond left is 1 hour", 24, 24*time.Hour - time.Millisecond, "1"},
		{"exactly the minimum", 24, 24 * time.Hour, ""},
		{"fractional setting", 0.5, 10 * time.Minute, "1"},
		{"fractional setting reached", 0.5, 30 * time.Minute, ""},
		{"0 is off", 0, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(s *config.Settings) { s.PasswordMinAgeHours = tt.minAge })
			bob := e.signup("bob", pw(0))
			e.clock.Advance(tt.elapsed)
			_, err := e.change(bob, pw(0), pw(1))
			if tt.hours == "" {
				wantCode(t, err, "")
				return
			}
			wantCode(t, err, chat.EPasswordTooNew)
			if msg := chat.ErrorMessage(err); !strings.Contains(msg, "about "+tt.hours+" hour") {
				t.Errorf("message %q, want about %s hour(s)", msg, tt.hours)
			}
			if e.audited("event=password_change outcome=failure", `detail="too new"`) != 1 {
				t.Error("the refused change was not audited")
			}
			// The admin reset is exempt from the minimum age.
			if err := e.reset(e.issue("bob", 60), pw(1)); err != nil {
				t.Errorf("reset refused under the minimum age: %v", err)
			}
		})
	}
}

// TestChangePasswordOrder is the check order of behavior.md §3.6: current
// password, minimum age, policy, history; the first failure answers and
// nothing changes.
func TestChangePasswordOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name          string
		current, next string
		young         bool // inside the minimum age
		minLength     int  // password_min_length raised after signup, 0: kept
		want, field   string
	}{
		{"wrong current beats everything", pw(9), "weak", true, 0, chat.EInvalidCredentials, "current_password"},
		{"minimum age beats policy", pw(0), "weak", true, 0, chat.EPasswordTooNew, "new_password"},
		// pw(0) is in the history and now too short: policy answers.
		{"policy beats history", pw(0), pw(0), false, 20, chat.EWeakPassword, "new_password"},
		{"no upper case", pw(0), "battery-staple-99", false, 0, chat.EWeakPassword, "new_password"},
		{"one character short", pw(0), "Battery-Stap-1", false, 0, chat.EWeakPassword, "new_password"},
		{"history", pw(0), pw(0), false, 0, chat.EPasswordReused, "new_password"},
		{"accepted", pw(0), pw(1), false, 0, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(s *config.Settings) { s.PasswordMinAgeHours = 1 })
			bob := e.signup("bob", pw(0))
			if !tt.young {
				e.clock.Advance(time.Hour)
			}
			if tt.minLength > 0 {
				e.configure(func(s *config.Settings) { s.PasswordMinLength = tt.minLength })
			}
			before := e.account("bob")
			_, err := e.change(bob, tt.current, tt.next)
			wantCode(t, err, tt.want)
			if fieldOf(err) != tt.field {
				t.Errorf("field %q, want %q", fieldOf(err), tt.field)
			}
			after := e.account("bob")
			if (after.PasswordHash != before.PasswordHash) != (tt.want == "") {
				t.Errorf("hash changed: %v, want %v", after.PasswordHash != before.PasswordHash, tt.want == "")
			}
			if tt.want == chat.EInvalidCredentials && after.FailedLogins != 0 {
				t.Error("a wrong current password counted towards the login lockout")
			}
		})
	}
}

// TestChangePasswordSessions: the caller's session survives under a fresh
// id with the same CSRF token; every other session of the account ends
// (and is announced), other accounts' sessions stay.
func TestChangePasswordSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	a := e.signup("bob", pw(0))
	b := e.mustLogin("bob", pw(0))
	alice := e.signup("alice", pw(0))
	oldB := b.SessionID
	newB, err := e.change(b, pw(0), pw(1))
	if err != nil {
		t.Fatal(err)
	}
	if newB == oldB || len(newB) != 43 {
		t.Fatalf("new session id %q (old %q), want a fresh 43-character id", newB, oldB)
	}
	_, err = e.auth(oldB)
	wantCode(t, err, chat.EUnauthenticated)
	_, err = e.auth(a.SessionID)
	wantCode(t, err, chat.EUnauthenticated)
	if got := e.mustAuth(newB).Session.CSRFToken; got != b.CSRFToken {
		t.Error("the surviving session's CSRF token changed")
	}
	e.mustAuth(alice.SessionID)
	if e.events.endedCount() != 1 {
		t.Errorf("%d sessions announced ended, want the one other session", e.events.endedCount())
	}
	if e.audited("event=password_change outcome=success user=bob") != 1 {
		t.Error("no password_change audit record")
	}
	e.mustLogin("bob", pw(1))
	_, err = e.login("bob", pw(0))
	wantCode(t, err, invalid)
}

// TestResetTokens is behavior.md §3.8 and the reset-password rules of §17.
func TestResetTokens(t *testing.T) {
	t.Parallel()
	t.Run("link and expiry bounds", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		e.signup("Bob", pw(0))
		for _, tt := range []struct {
			minutes int
			base    string
			want    string
			url     string
		}{
			{60, "https://chat.example:6767/", "", "https://chat.example:6767/reset-password/"},
			{5, "http://10.0.0.5", "", "http://10.0.0.5/reset-password/"},
			{10080, "https://chat.example/minimost", "", "https://chat.example/minimost/reset-password/"},
			{4, "https://chat.example", chat.EBadRequest, ""},
			{10081, "https://chat.example", chat.EBadRequest, ""},
			{60, "ftp://chat.example", chat.EBadRequest, ""},
			{60, "https://chat.example/?a=1", chat.EBadRequest, ""},
			{60, "https://chat.example/#top", chat.EBadRequest, ""},
			{60, "chat.example", chat.EBadRequest, ""},
		} {
			r, err := e.svc.IssueReset(e.ctx, "bob", tt.minutes, tt.base, "admin:uid=0")
			if chat.ErrorCode(err) != tt.want && !(tt.want == "" && err == nil) {
				t.Errorf("IssueReset(%d, %q) = %v, want %q", tt.minutes, tt.base, err, tt.want)
				continue
			}
			if err != nil {
				continue
			}
			tok, ok := strings.CutPrefix(r.URL, tt.url)
			if !ok || len(tok) != 43 {
				t.Errorf("URL %q, want %s<43-character token>", r.URL, tt.url)
			}
			if want := e.clock.Now().Add(time.Duration(tt.minutes) * time.Minute).UnixMilli(); r.ExpiresAt != want {
				t.Errorf("expires_at %d, want %d", r.ExpiresAt, want)
			}
			info, err := e.svc.ResetInfo(e.ctx, tok)
			if err != nil || info.Username != "Bob" || info.ExpiresAt != r.ExpiresAt {
				t.Errorf("ResetInfo = %+v, %v", info, err)
			}
		}
		_, err := e.svc.IssueReset(e.ctx, "nobody", 60, "https://chat.example", "admin:uid=0")
		wantCode(t, err, chat.ENotFound)
		if e.audited("event=password_reset_issued outcome=success user=Bob") != 3 {
			t.Error("issued links were not audited")
		}
	})

	t.Run("a new link voids the older unused one", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		e.signup("bob", pw(0))
		e.signup("alice", pw(0))
		old := e.issue("bob", 60)
		alices := e.issue("alice", 60)
		newer := e.issue("bob", 60)
		_, err := e.svc.ResetInfo(e.ctx, old)
		wantCode(t, err, chat.ENotFound)
		wantCode(t, e.reset(old, pw(1)), chat.ENotFound)
		wantCode(t, e.reset(newer, pw(1)), "")
		// Another user's link is untouched.
		wantCode(t, e.reset(alices, pw(1)), "")
	})

	t.Run("expired and used links are gone", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		e.signup("bob", pw(0))
		tok := e.issue("bob", 5)
		e.clock.Advance(5*time.Minute - time.Millisecond)
		if _, err := e.svc.ResetInfo(e.ctx, tok); err != nil {
			t.Fatalf("a link a millisecond before expiry: %v", err)
		}
		e.clock.Advance(time.Millisecond)
		_, err := e.svc.ResetInfo(e.ctx, tok)
		wantCode(t, err, chat.EGone)
		wantCode(t, e.reset(tok, pw(1)), chat.EGone)

		tok = e.issue("bob", 60)
		wantCode(t, e.reset(tok, pw(1)), "")
		_, err = e.svc.ResetInfo(e.ctx, tok)
		wantCode(t, err, chat.EGone)
		wantCode(t, e.reset(tok, pw(2)), chat.EGone)
		e.mustLogin("bob", pw(1))

		_, err = e.svc.ResetInfo(e.ctx, "no-such-token")
		wantCode(t, err, chat.ENotFound)
	})

	t.Run("weak and reused passwords keep the link usable", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, nil)
		e.signup("bob", pw(0))
		tok := e.issue("bob", 60)
		err := e.reset(tok, "weak")
		wantCode(t, err, chat.EWeakPassword)
		if fieldOf(err) != "new_password" {
			t.Errorf("field %q", fieldOf(err))
		}
		wantCode(t, e.reset(tok, pw(0)), chat.EPasswordReused)
		if _, err := e.svc.ResetInfo(e.ctx, tok); err != nil {
			t.Fatalf("the link died after refused passwords: %v", err)
		}
		wantCode(t, e.reset(tok, pw(1)), "")
		if e.audited("event=password_reset outcome=failure", "detail=weak") != 1 ||
			e.audited("event=password_reset outcome=failure", "detail=reused") != 1 ||
			e.audited("event=password_reset outcome=success user=bob") != 1 {
			t.Errorf("reset audit records:\n%s", strings.Join(e.audit(), "\n"))
		}
	})

	t.Run("success ends sessions and clears a lockout but not an admin lock", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, func(s *config.Settings) { s.MaxLoginAttempts = 2 })
		bob := e.signup("bob", pw(0))
		alice := e.signup("alice", pw(0))
		e.login("bob", pw(9))
		_, err := e.login("bob", pw(9))
		wantCode(t, err, locked)
		wantCode(t, e.reset(e.issue("bob", 60), pw(1)), "")
		_, err = e.auth(bob.SessionID)
		wantCode(t, err, chat.EUnauthenticated)
		e.mustAuth(alice.SessionID)
		// The lockout is gone at once.
		e.mustLogin("bob", pw(1))
		// So is the failure counter: one failure, a reset, one more
		// failure does not reach the limit of 2.
		_, err = e.login("bob", pw(9))
		wantCode(t, err, invalid)
		wantCode(t, e.reset(e.issue("bob", 60), pw(2)), "")
		_, err = e.login("bob", pw(9))
		wantCode(t, err, invalid)

		if err := e.svc.SetLocked(e.ctx, "bob", true, "admin:uid=0"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, e.reset(e.issue("bob", 60), pw(3)), "")
		_, err = e.login("bob", pw(3))
		wantCode(t, err, locked)
	})
}
