package accounts_test

import (
	"encoding/base64"
	"testing"
	"time"

	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/config"
)

// sessionStep is a request made by the session after the clock moved.
type sessionStep struct {
	wait    time.Duration
	passive bool // GET /session, /presence, …: not activity
	idle    int  // when > 0 (or -1 for 0), session_idle_minutes changes first
	alive   bool
}

// TestSessionLifetime is behavior.md §3.7: the idle timeout (which passive
// requests do not refresh, edge case 19.42), its switch-off, and the
// absolute lifetime session_max_hours.
func TestSessionLifetime(t *testing.T) {
	t.Parallel()
	const m = time.Minute
	tests := []struct {
		name     string
		idle     int // session_idle_minutes
		maxHours int // session_max_hours
		steps    []sessionStep
	}{
		{"passive requests do not refresh", 20, 720, []sessionStep{
			{wait: 19 * m, passive: true, alive: true},
			{wait: 2 * m, passive: true, alive: false},
		}},
		{"active requests refresh", 20, 720, []sessionStep{
			{wait: 19 * m, alive: true},
			// 38 minutes after signup, 19 after the last activity.
			{wait: 19 * m, passive: true, alive: true},
			{wait: 2 * m, passive: true, alive: false},
		}},
		{"exactly the idle time is still alive", 20, 720, []sessionStep{
			{wait: 20 * m, passive: true, alive: true},
			{wait: time.Millisecond, passive: true, alive: false},
		}},
		{"0 disables the idle timeout", 0, 720, []sessionStep{
			{wait: 700 * time.Hour, passive: true, alive: true},
		}},
		{"a lowered idle timeout applies on the next request", 60, 720, []sessionStep{
			{wait: 30 * m, passive: true, alive: true},
			{idle: 20, passive: true, alive: false},
		}},
		{"an ended session stays ended when the timeout is switched off", 20, 720, []sessionStep{
			{wait: 21 * m, alive: false},
			{idle: -1, alive: false},
		}},
		{"absolute lifetime ends an active session", 45, 2, []sessionStep{
			{wait: 30 * m, alive: true},
			{wait: 30 * m, alive: true},
			{wait: 30 * m, alive: true},
			{wait: 30*m - time.Millisecond, alive: true},
			{wait: time.Millisecond, alive: false},
		}},
		{"absolute lifetime without an idle timeout", 0, 1, []sessionStep{
			{wait: time.Hour, passive: true, alive: false},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(s *config.Settings) {
				s.SessionIdleMinutes = tt.idle
				s.SessionMaxHours = tt.maxHours
			})
			l := e.signup("bob", pw(0))
			if l.MaxAge != time.Duration(tt.maxHours)*time.Hour {
				t.Errorf("cookie max age %v, want %d h", l.MaxAge, tt.maxHours)
			}
			ended := false
			for i, st := range tt.steps {
				e.clock.Advance(st.wait)
				if st.idle != 0 {
					e.configure(func(s *config.Settings) { s.SessionIdleMinutes = max(st.idle, 0) })
				}
				_, err := e.svc.Authenticate(e.ctx, l.SessionID, !st.passive, "192.0.2.1")
				if st.alive {
					if err != nil {
						t.Fatalf("step %d: %v, want the session alive", i, err)
					}
					continue
				}
				if chat.ErrorCode(err) != chat.EUnauthenticated {
					t.Fatalf("step %d: %v, want unauthenticated", i, err)
				}
				ended = true
			}
			timeouts := e.audited("event=session_timeout outcome=success user=bob")
			if ended != (timeouts == 1) || e.events.endedCount() != timeouts {
				t.Errorf("ended %v: %d session_timeout records, %d sessions announced ended; want 1 each when ended", ended, timeouts, e.events.endedCount())
			}
		})
	}
}

// TestSweepSessions: the minute sweep ends idle and expired sessions of
// everyone, without a request, and leaves the others.
func TestSweepSessions(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(s *config.Settings) {
		s.SessionIdleMinutes = 20
		s.SessionMaxHours = 1
	})
	// At the sweep, 60 minutes in: idle was never used after signup; old
	// was used every 10 minutes but has reached its 1 h lifetime; fresh is
	// 10 minutes old and was used 5 minutes ago.
	idle := e.signup("idle", pw(0))
	old := e.signup("old", pw(0))
	for range 5 {
		e.clock.Advance(10 * time.Minute)
		e.mustAuth(old.SessionID)
	}
	fresh := e.signup("fresh", pw(0))
	e.clock.Advance(5 * time.Minute)
	e.mustAuth(fresh.SessionID)
	e.clock.Advance(5 * time.Minute)
	if err := e.svc.SweepSessions(e.ctx); err != nil {
		t.Fatal(err)
	}
	for name, id := range map[string]string{"idle": idle.SessionID, "old": old.SessionID} {
		if _, err := e.auth(id); chat.ErrorCode(err) != chat.EUnauthenticated {
			t.Errorf("%s's session survived the sweep: %v", name, err)
		}
		if e.audited("event=session_timeout", "user="+name, "src=sweep") != 1 {
			t.Errorf("%s's timeout was not audited by the sweep", name)
		}
	}
	e.mustAuth(fresh.SessionID)
	if e.events.endedCount() != 2 {
		t.Errorf("%d sessions announced ended, want 2", e.events.endedCount())
	}
}

// TestFreshSessionIDs is the fixation defence of §3.7: every signup and
// login makes a new session with its own id and CSRF token; logging in
// again does not end the others; logout ends only its own.
func TestFreshSessionIDs(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	logins := []string{}
	csrf := map[string]bool{}
	l := e.signup("bob", pw(0))
	all := []string{l.SessionID}
	csrf[l.CSRFToken] = true
	for range 3 {
		l := e.mustLogin("bob", pw(0))
		all = append(all, l.SessionID)
		logins = append(logins, l.SessionID)
		csrf[l.CSRFToken] = true
	}
	seen := map[string]bool{}
	for _, id := range all {
		if b, err := base64.RawURLEncoding.DecodeString(id); err != nil || len(b) != 32 {
			t.Errorf("session id %q is not 32 random bytes in base64url", id)
		}
		if seen[id] {
			t.Error("a session id was handed out twice")
		}
		seen[id] = true
		if e.mustAuth(id).Account.Username != "bob" {
			t.Error("a session authenticates someone else")
		}
	}
	if len(csrf) != len(all) {
		t.Errorf("%d distinct CSRF tokens for %d sessions", len(csrf), len(all))
	}
	auth := e.mustAuth(logins[0])
	if err := e.svc.Logout(e.ctx, auth, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	_, err := e.auth(logins[0])
	wantCode(t, err, chat.EUnauthenticated)
	e.mustAuth(logins[1])
	if e.audited("event=logout outcome=success user=bob") != 1 || e.events.endedCount() != 1 {
		t.Error("logout was not audited and announced")
	}

	// The admin's `users logout` ends every one.
	if err := e.svc.EndAllSessions(e.ctx, "BOB", "admin:uid=0"); err != nil {
		t.Fatal(err)
	}
	for _, id := range all {
		if _, err := e.auth(id); chat.ErrorCode(err) != chat.EUnauthenticated {
			t.Errorf("a session survived users logout: %v", err)
		}
	}
	if e.audited("event=sessions_revoked outcome=success user=bob") != 1 {
		t.Error("users logout was not audited")
	}
	wantCode(t, e.svc.EndAllSessions(e.ctx, "nobody", "admin:uid=0"), chat.ENotFound)
}
