package accounts_test

import (
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/scrypt"

	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/config"
	"github.com/minimost/minimost/pkg/password"
)

const (
	invalid = chat.EInvalidCredentials
	locked  = chat.ELocked
)

// lockStep is one thing that happens to bob's account in a lockout
// scenario: a login attempt, the clock moving, a settings change or an
// admin action.
type lockStep struct {
	act   string        // wrong, right, wait, attempts, duration, lock, unlock
	d     time.Duration // wait, duration
	n     int           // attempts
	want  string        // for wrong and right: the error code, "" for success
	retry time.Duration // for a locked answer: the Retry-After
}

func wrong(want string) lockStep { return lockStep{act: "wrong", want: want} }
func right(want string) lockStep { return lockStep{act: "right", want: want} }
func wrongLocked(retry time.Duration) lockStep {
	return lockStep{act: "wrong", want: locked, retry: retry}
}
func rightLocked(retry time.Duration) lockStep {
	return lockStep{act: "right", want: locked, retry: retry}
}
func wait(d time.Duration) lockStep    { return lockStep{act: "wait", d: d} }
func attempts(n int) lockStep          { return lockStep{act: "attempts", n: n} }
func lockFor(d time.Duration) lockStep { return lockStep{act: "duration", d: d} }

var (
	adminLock   = lockStep{act: "lock"}
	adminUnlock = lockStep{act: "unlock"}
)

// TestLockout is behavior.md §3.5 steps 6–8 and the rules below them.
// Every scenario starts with bob and alice signed up, max_login_attempts
// 3 and lockout_duration_minutes 15, and sessions that outlive the longest
// wait so that whether a lockout ends them can be seen.
func TestLockout(t *testing.T) {
	t.Parallel()
	const m = time.Minute
	tests := []struct {
		name  string
		steps []lockStep
		// lockouts is how many account_lockout records the scenario
		// writes.
		lockouts int
		// adminLocked scenarios end bob's sessions; the others must not.
		adminLocked bool
	}{
		{name: "threshold locks on the third failure", lockouts: 1, steps: []lockStep{
			wrong(invalid), wrong(invalid), wrongLocked(15 * m), rightLocked(15 * m),
		}},
		{name: "lockout expires with the clock", lockouts: 1, steps: []lockStep{
			wrong(invalid), wrong(invalid), wrongLocked(15 * m),
			wait(10 * m), rightLocked(5 * m),
			wait(5*m - time.Millisecond), rightLocked(time.Millisecond),
			wait(time.Millisecond), right(""),
		}},
		{name: "an attempt while locked neither counts nor extends", lockouts: 2, steps: []lockStep{
			wrong(invalid), wrong(invalid), wrongLocked(15 * m),
			wait(14 * m), wrongLocked(m), wrongLocked(m), wait(m),
			// The counter restarted at the lockout: two more failures
			// are needed before the next one.
			wrong(invalid), wrong(invalid), wrongLocked(15 * m),
		}},
		{name: "success resets the counter", steps: []lockStep{
			wrong(invalid), wrong(invalid), right(""), wrong(invalid), wrong(invalid), right(""),
		}},
		{name: "failures do not decay with time", lockouts: 1, steps: []lockStep{
			wrong(invalid), wait(24 * time.Hour), wrong(invalid), wait(30 * 24 * time.Hour), wrongLocked(15 * m),
		}},
		{name: "0 attempts disables lockout", steps: []lockStep{
			attempts(0), wrong(invalid), wrong(invalid), wrong(invalid), wrong(invalid), wrong(invalid),
			wrong(invalid), wrong(invalid), wrong(invalid), wrong(invalid), wrong(invalid), right(""),
		}},
		{name: "0 attempts ignores a lockout in progress", lockouts: 1, steps: []lockStep{
			wrong(invalid), wrong(invalid), wrongLocked(15 * m), attempts(0), right(""),
		}},
		{name: "0 attempts does not disable the admin lock", adminLocked: true, steps: []lockStep{
			attempts(0), adminLock, rightLocked(time.Hour), wrongLocked(time.Hour), adminUnlock, right(""),
		}},
		{name: "admin lock refuses without checking the password", adminLocked: true, steps: []lockStep{
			adminLock, wrongLocked(time.Hour), wrongLocked(time.Hour), wrongLocked(time.Hour),
			wrongLocked(time.Hour), adminUnlock, right(""),
		}},
		{name: "unlock clears a lockout and its counter", lockouts: 1, adminLocked: true, steps: []lockStep{
			wrong(invalid), wrong(invalid), wrongLocked(15 * m), adminLock, adminUnlock, right(""),
		}},
		{name: "lowering the limit applies to the next failure, counting earlier ones", lockouts: 1, steps: []lockStep{
			attempts(5), wrong(invalid), wrong(invalid), wrong(invalid), attempts(2), wrongLocked(15 * m),
		}},
		{name: "raising the limit applies at once", lockouts: 1, steps: []lockStep{
			wrong(invalid), wrong(invalid), attempts(5), wrong(invalid), wrong(invalid), wrongLocked(15 * m),
		}},
		{name: "a new duration applies to new lockouts only", lockouts: 2, steps: []lockStep{
			wrong(invalid), wrong(invalid), wrongLocked(15 * m), lockFor(2 * m),
			wait(3 * m), rightLocked(12 * m), wait(12 * m),
			wrong(invalid), wrong(invalid), wrongLocked(2 * m), wait(2 * m), right(""),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(s *config.Settings) {
				s.MaxLoginAttempts = 3
				s.LockoutDurationMinutes = 15
				s.SessionIdleMinutes = 0
				s.SessionMaxHours = 8760
			})
			bob := e.signup("bob", pw(1))
			e.signup("alice", pw(2))
			for i, st := range tt.steps {
				var err error
				switch st.act {
				case "wrong":
					_, err = e.login("bob", pw(9))
				case "right":
					_, err = e.login("BOB", pw(1))
				case "wait":
					e.clock.Advance(st.d)
					continue
				case "attempts":
					e.configure(func(s *config.Settings) { s.MaxLoginAttempts = st.n })
					continue
				case "duration":
					e.configure(func(s *config.Settings) { s.LockoutDurationMinutes = int(st.d / time.Minute) })
					continue
				case "lock", "unlock":
					if err := e.svc.SetLocked(e.ctx, "bob", st.act == "lock", "admin:uid=0"); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if chat.ErrorCode(err) != st.want && !(st.want == "" && err == nil) {
					t.Fatalf("step %d (%s): got %v, want %q", i, st.act, err, st.want)
				}
				if st.want == locked {
					if got := retryAfter(t, err); got != st.retry {
						t.Fatalf("step %d (%s): Retry-After %v, want %v", i, st.act, got, st.retry)
					}
				}
				if st.want == invalid && chat.ErrorMessage(err) != "wrong username or password" {
					t.Fatalf("step %d: message %q differs from the unknown-user answer", i, chat.ErrorMessage(err))
				}
			}
			if got := e.audited("event=account_lockout", "user=bob"); got != tt.lockouts {
				t.Errorf("%d account_lockout records, want %d", got, tt.lockouts)
			}
			// A lockout is the account's: alice is unaffected, and it
			// does not end bob's sessions (only the admin lock does).
			if _, err := e.login("alice", pw(2)); err != nil {
				t.Errorf("alice cannot log in: %v", err)
			}
			_, err := e.auth(bob.SessionID)
			if tt.adminLocked {
				wantCode(t, err, chat.EUnauthenticated)
			} else if err != nil {
				t.Errorf("bob's signup session ended: %v", err)
			}
		})
	}
}

// TestLoginAudit checks the failure details of behavior.md §16 and that a
// wrong password and an unknown user cannot be told apart.
func TestLoginAudit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, func(s *config.Settings) { s.MaxLoginAttempts = 2 })
	e.signup("Bob", pw(1))
	_, wrongErr := e.login("bob", pw(2))
	_, unknownErr := e.login(" Nobody ", pw(2))
	wantCode(t, wrongErr, invalid)
	wantCode(t, unknownErr, invalid)
	if wrongErr.Error() != unknownErr.Error() {
		t.Errorf("wrong password %q and unknown user %q differ", wrongErr, unknownErr)
	}
	_, err := e.login("bob", strings.Repeat("A", password.MaxLength)+"1a!")
	wantCode(t, err, invalid)
	if e.account("bob").FailedLogins != 1 {
		t.Errorf("%d failed logins after one wrong and one over-long password; the over-long one must be refused without counting", e.account("bob").FailedLogins)
	}
	_, err = e.login("bob", pw(2))
	wantCode(t, err, locked)
	_, err = e.login("bob", pw(1))
	wantCode(t, err, locked)
	for _, want := range [][]string{
		{"event=login outcome=failure user=Bob", `detail="bad password"`},
		{"event=login outcome=failure user=Nobody", `detail="unknown user"`},
		{"event=account_lockout outcome=success user=Bob"},
		{"event=login outcome=failure user=Bob", "detail=locked"},
	} {
		if e.audited(want...) == 0 {
			t.Errorf("audit.log lacks %q:\n%s", want, strings.Join(e.audit(), "\n"))
		}
	}
	e.clock.Advance(15 * time.Minute)
	l := e.mustLogin("bOb", pw(1))
	if l.User.Username != "Bob" {
		t.Errorf("login answered %q, want the spelling chosen at signup", l.User.Username)
	}
	if e.audited("event=login outcome=success user=Bob") != 2 {
		t.Error("signup and login were not both audited as successful logins")
	}
}

// TestPasswordMaxAge is the maximum-age rule of behavior.md §3.3 and step
// 9 of §3.5.
func TestPasswordMaxAge(t *testing.T) {
	t.Parallel()
	const day = 24 * time.Hour
	tests := []struct {
		name    string
		maxDays int
		age     time.Duration
		want    string
	}{
		{"younger than the maximum", 30, 29 * day, ""},
		{"exactly the maximum", 30, 30 * day, ""},
		{"a millisecond older", 30, 30*day + time.Millisecond, chat.EPasswordExpired},
		{"much older", 1, 400 * day, chat.EPasswordExpired},
		{"0 never expires", 0, 3650 * day, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(s *config.Settings) {
				s.PasswordMaxAgeDays = tt.maxDays
				s.SessionMaxHours = 8760
				s.SessionIdleMinutes = 0
			})
			e.signup("bob", pw(1))
			e.clock.Advance(tt.age)
			_, err := e.login("bob", pw(9))
			wantCode(t, err, invalid) // a wrong password never says "expired"
			before := e.account("bob")
			l, err := e.login("bob", pw(1))
			wantCode(t, err, tt.want)
			sums, err2 := e.svc.Summaries(e.ctx)
			if err2 != nil {
				t.Fatal(err2)
			}
			if tt.want == "" {
				if l == nil || l.SessionID == "" {
					t.Fatal("no session")
				}
				return
			}
			// Expired: no session is made, the failure counter is
			// cleared (the password was right), the event is audited,
			// and an admin reset recovers the account.
			if l != nil {
				t.Error("an expired login returned a session")
			}
			// The signup session may have run out (session_max_hours);
			// the expired login added none.
			if sums[0].Sessions > 1 {
				t.Errorf("%d live sessions after an expired login", sums[0].Sessions)
			}
			if before.FailedLogins != 1 || e.account("bob").FailedLogins != 0 {
				t.Errorf("failed logins %d before, %d after the correct expired login; want 1, 0", before.FailedLogins, e.account("bob").FailedLogins)
			}
			if e.audited("event=password_expired outcome=failure user=bob") != 1 {
				t.Error("no password_expired audit record")
			}
			r, err := e.svc.IssueReset(e.ctx, "bob", 60, "https://chat.example", "admin:uid=0")
			if err != nil {
				t.Fatal(err)
			}
			tok := r.URL[strings.LastIndexByte(r.URL, '/')+1:]
			if err := e.svc.ResetPassword(e.ctx, tok, pw(2), "192.0.2.1"); err != nil {
				t.Fatal(err)
			}
			e.mustLogin("bob", pw(2))
		})
	}
}

// werkzeug writes a hash the way the Python MiniMost's Werkzeug did:
// method$salt$hex with the salt used as its literal bytes.
func werkzeug(t *testing.T, method, salt, pw string) string {
	t.Helper()
	name, args, _ := strings.Cut(method, ":")
	var key []byte
	var err error
	switch name {
	case "pbkdf2":
		fn, iter, _ := strings.Cut(args, ":")
		n, _ := strconv.Atoi(iter)
		newHash := map[string]func() hash.Hash{"sha1": sha1.New, "sha256": sha256.New, "sha512": sha512.New}[fn]
		key, err = pbkdf2.Key(newHash, pw, []byte(salt), n, newHash().Size())
	case "scrypt":
		var n, r, p int
		fmt.Sscanf(args, "%d:%d:%d", &n, &r, &p)
		key, err = scrypt.Key([]byte(pw), []byte(salt), n, r, p, 64)
	}
	if err != nil {
		t.Fatal(err)
	}
	return method + "$" + salt + "$" + hex.EncodeToString(key)
}

// TestLegacyHashesRehashed is behavior.md §3.4: every Werkzeug form the
// Python MiniMost wrote logs in, and the next successful login stores the
// current form without touching the password's age or history depth.
func TestLegacyHashesRehashed(t *testing.T) {
	t.Parallel()
	const legacyPW = "Legacy-Pässwörd-1"
	tests := []struct{ method, salt string }{
		{"pbkdf2:sha1:1000", "s4ltS4lt"},
		{"pbkdf2:sha256:1000", "AbCdEfGhIjKlMnOp"},
		{"pbkdf2:sha512:1000", "q1w2e3r4"},
		{"scrypt:1024:8:1", "Zt5Wc8Rk1Ym4Qe7U"},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil)
			e.signup("carol", pw(1))
			legacy := werkzeug(t, tt.method, tt.salt, legacyPW)
			// LoginSucceeded is the store's way of replacing a hash in
			// place (history entry included), as a migrated database
			// holds it.
			if err := e.db.LoginSucceeded(e.ctx, e.account("carol").ID, legacy); err != nil {
				t.Fatal(err)
			}
			setAt := e.account("carol").PasswordSetAt
			e.clock.Advance(time.Hour)

			_, err := e.login("carol", pw(1))
			wantCode(t, err, invalid)
			if e.account("carol").PasswordHash != legacy {
				t.Fatal("a failed login changed the stored hash")
			}
			e.mustLogin("carol", legacyPW)
			a := e.account("carol")
			wantPrefix := "pbkdf2:sha256:" + strconv.Itoa(testIterations) + "$"
			if !strings.HasPrefix(a.PasswordHash, wantPrefix) {
				t.Fatalf("stored %q after login, want the hasher's current form %s…", a.PasswordHash, wantPrefix)
			}
			if ok, err := e.hasher.Verify(e.ctx, a.PasswordHash, legacyPW); !ok || err != nil {
				t.Fatalf("the new hash does not verify: %v %v", ok, err)
			}
			if a.PasswordSetAt != setAt {
				t.Error("rehashing changed password_set_at")
			}
			hist, err := e.db.PasswordHistory(e.ctx, a.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			if len(hist) != 1 || hist[0] != a.PasswordHash {
				t.Errorf("history after rehash = %d entries, want the one entry rewritten", len(hist))
			}
			e.mustLogin("carol", legacyPW)
		})
	}
}

// TestCurrentHashKept: a hash already in the production form and cost is
// not rewritten by a login. Its one production-cost verification is the
// price of proving that rehashing is conditional.
func TestCurrentHashKept(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.signup("dave", pw(1))
	current, err := password.NewHasher(1).Hash(e.ctx, pw(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.LoginSucceeded(e.ctx, e.account("dave").ID, current); err != nil {
		t.Fatal(err)
	}
	e.mustLogin("dave", pw(1))
	if got := e.account("dave").PasswordHash; got != current {
		t.Errorf("a current-form hash was rewritten to %q", got)
	}
}

// TestUnknownUserCostsAHash is behavior.md §3.4: a login for a name that
// does not exist spends one derivation, so its answer time does not reveal
// the account's existence. The hasher is made costly enough that a login
// skipping the derivation would be many times faster than one.
func TestUnknownUserCostsAHash(t *testing.T) {
	e := newEnvWith(t, password.NewHasherWithIterations(1, 50_000), nil)
	e.signup("bob", pw(1))
	hash := e.account("bob").PasswordHash
	// Interleaved, so that whatever else the machine runs slows both
	// alike; the fastest of each is the least disturbed.
	derivation, unknown := time.Duration(1<<62), time.Duration(1<<62)
	for range 5 {
		t0 := time.Now()
		e.hasher.Verify(e.ctx, hash, pw(2))
		derivation = min(derivation, time.Since(t0))
		t0 = time.Now()
		_, err := e.login("nobody", pw(2))
		unknown = min(unknown, time.Since(t0))
		wantCode(t, err, invalid)
	}
	if unknown < derivation/2 {
		t.Errorf("an unknown user's login takes %v, one derivation %v: no dummy hash was computed", unknown, derivation)
	}
}

// TestConcurrentFailuresCannotOutrunTheLockout: an attacker who sends many
// guesses at once must not get more than max_login_attempts of them
// checked per lockout. Every request reads the account before any has
// failed, and waits its turn at the hashing pool; the limit must still
// hold when their verdicts come in.
func TestConcurrentFailuresCannotOutrunTheLockout(t *testing.T) {
	t.Parallel()
	e := newEnvWith(t, password.NewHasherWithIterations(1, 20_000), func(s *config.Settings) { s.MaxLoginAttempts = 3 })
	e.signup("bob", pw(1))
	const guesses = 12
	codes := make(chan string, guesses)
	var wg sync.WaitGroup
	for i := range guesses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.login("bob", pw(20+i))
			codes <- chat.ErrorCode(err)
		}()
	}
	wg.Wait()
	close(codes)
	got := map[string]int{}
	for c := range codes {
		got[c]++
	}
	if got[invalid] != 2 || got[locked] != guesses-2 {
		t.Errorf("answers %v, want 2 invalid_credentials and %d locked", got, guesses-2)
	}
	if n := e.audited("event=login", `detail="bad password"`); n != 3 {
		t.Errorf("%d guesses counted as bad passwords, want 3", n)
	}
	if n := e.audited("event=account_lockout"); n != 1 {
		t.Errorf("%d lockouts, want 1", n)
	}
}

// TestLoginRacingAdminActions: a login whose password is being checked
// while the admin locks, resets or deletes the account must not come out
// of it with a session, nor undo the reset by storing its own rehash of
// the old password. The hasher is slow enough that the action lands while
// the login is hashing; should the login be scheduled late instead, it
// meets the changed account directly, and the same answers hold.
func TestLoginRacingAdminActions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		action func(e *env) error
		// want is the login's answer; "any" when its verdict may
		// legitimately come before the action finishes (the reset
		// hashes too), so only what survives is checked.
		want string
	}{
		{"admin lock", func(e *env) error { return e.svc.SetLocked(e.ctx, "bob", true, "admin:uid=0") }, locked},
		{"admin delete", func(e *env) error { return e.svc.Delete(e.ctx, "bob", "soft", "admin:uid=0") }, invalid},
		{"password reset", func(e *env) error { return e.reset(e.issue("bob", 60), pw(2)) }, "any"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnvWith(t, password.NewHasherWithIterations(2, 30_000), nil)
			e.signup("bob", pw(1))
			if err := e.svc.EndAllSessions(e.ctx, "bob", "admin:uid=0"); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := e.login("bob", pw(1))
				done <- err
			}()
			time.Sleep(20 * time.Millisecond)
			// Time passes for the action, as it does for a real admin.
			e.clock.Advance(time.Second)
			if err := tt.action(e); err != nil {
				t.Fatal(err)
			}
			err := <-done
			if tt.want != "any" {
				wantCode(t, err, tt.want)
			}
			sums, err := e.svc.Summaries(e.ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range sums {
				if s.Sessions != 0 {
					t.Errorf("%s has %d live sessions after the %s", s.Username, s.Sessions, tt.name)
				}
			}
			if tt.name == "password reset" {
				_, err := e.login("bob", pw(1))
				wantCode(t, err, invalid)
				e.mustLogin("bob", pw(2))
			}
		})
	}
}

// TestConcurrentLoginsOfALegacyHash: several devices logging in at once to
// an account whose hash needs upgrading all get in. Each login rehashes
// (the test hasher's hashes always need it, as a legacy one does once), so
// one's upgrade lands while the others are being checked against the hash
// it replaced: the password is the same, and that must not read as a
// changed one.
func TestConcurrentLoginsOfALegacyHash(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	e.signup("bob", pw(1))
	const devices = 8
	errs := make(chan error, devices)
	for range devices {
		go func() {
			_, err := e.login("bob", pw(1))
			errs <- err
		}()
	}
	for range devices {
		if err := <-errs; err != nil {
			t.Errorf("a concurrent login with the right password: %v", err)
		}
	}
	e.mustLogin("bob", pw(1))
}
