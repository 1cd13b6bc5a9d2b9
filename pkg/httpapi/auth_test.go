package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/minimost/minimost/pkg/config"
)

// sessionCookie returns the session cookie an answer sets.
func sessionCookie(t *testing.T, r apiReply) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == CookieName {
			return c
		}
	}
	t.Fatalf("no %s cookie in %v", CookieName, r.header.Values("Set-Cookie"))
	return nil
}

// TestSessionCookie is behavior.md §15.4: the flags on signup, login and
// password change, and the clearing on logout.
func TestSessionCookie(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, func(s *config.Settings) { s.SessionMaxHours = 48 })
	c := e.client()
	creds := map[string]string{"username": "alice", "password": testPassword}
	signup := c.send("POST", "/api/v1/signup", creds).want(t, 201, "")
	login := e.client().send("POST", "/api/v1/login", creds).want(t, 200, "")
	change := c.send("POST", "/api/v1/me/password", map[string]string{"current_password": testPassword, "new_password": "Staple-Battery-Horse-4"}).want(t, 204, "")
	for name, r := range map[string]apiReply{"signup": signup, "login": login, "password change": change} {
		ck := sessionCookie(t, r)
		line := r.header.Get("Set-Cookie")
		if !ck.HttpOnly || !ck.Secure || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Domain != "" ||
			ck.MaxAge != 48*3600 || len(ck.Value) != 43 {
			t.Errorf("%s cookie %q: want HttpOnly, Secure, SameSite=Lax, Path=/, no Domain, Max-Age=172800, a 43-character id", name, line)
		}
		if n := len(r.header.Values("Set-Cookie")); n != 1 {
			t.Errorf("%s sets %d cookies, want only the session", name, n)
		}
	}
	if sessionCookie(t, signup).Value == sessionCookie(t, change).Value {
		t.Error("the password change kept the session id")
	}
	// The new id works; the CSRF token is the one signup gave.
	c.send("GET", "/api/v1/session", nil).want(t, 200, "")

	out := c.send("POST", "/api/v1/logout", nil).want(t, 204, "")
	ck := sessionCookie(t, out)
	if ck.Value != "" || ck.MaxAge >= 0 || !strings.Contains(out.header.Get("Set-Cookie"), "Max-Age=0") {
		t.Errorf("logout cookie %q, want an empty value and Max-Age=0", out.header.Get("Set-Cookie"))
	}
}

// TestCSRF is behavior.md §3.7 and edge case 19.7: a cookie-authenticated
// state change without the session's own token is 403 csrf and changes
// nothing; GETs need no token.
func TestCSRF(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	alice := e.signup("alice")
	other := e.signup("bob")
	tokens := map[string]string{"missing": "", "wrong": strings.Repeat("A", 43), "another session's": other.csrf}
	changes := []struct {
		method, path string
		body         any
	}{
		{"PATCH", "/api/v1/me/settings", map[string]string{"bio": "hijacked"}},
		{"POST", "/api/v1/logout", nil},
		{"DELETE", "/api/v1/me", map[string]string{"password": testPassword, "mode": "hard"}},
		{"POST", "/api/v1/me/tokens", map[string]string{"name": "stolen"}},
		{"POST", "/api/v1/me/password", map[string]string{"current_password": testPassword, "new_password": "Staple-Battery-Horse-4"}},
		{"DELETE", "/api/v1/me/avatar", nil},
	}
	own := alice.csrf
	for name, tok := range tokens {
		alice.csrf = tok
		for _, ch := range changes {
			if r := alice.send(ch.method, ch.path, ch.body); r.status != 403 || r.body["error"] != "csrf" {
				t.Errorf("%s %s with a %s token: %d %s, want 403 csrf", ch.method, ch.path, name, r.status, r.raw)
			}
		}
	}
	alice.csrf = own
	// Nothing happened: the session lives, the bio is empty, no token was
	// made, the password is unchanged.
	r := alice.send("GET", "/api/v1/me/settings", nil).want(t, 200, "")
	if r.body["bio"] != "" {
		t.Errorf("settings changed by a refused request: %s", r.raw)
	}
	r = alice.send("GET", "/api/v1/me/tokens", nil).want(t, 200, "")
	if string(r.raw) != "[]\n" {
		t.Errorf("tokens after refused creations: %s", r.raw)
	}
	e.client().send("POST", "/api/v1/login", map[string]string{"username": "alice", "password": testPassword}).want(t, 200, "")
	// With its own token the same change goes through.
	alice.send("PATCH", "/api/v1/me/settings", map[string]string{"bio": "mine"}).want(t, 200, "")

	// A cross-origin state change is refused even with the right token.
	alice.send("PATCH", "/api/v1/me/settings", map[string]string{"bio": "x"}, "Origin", "https://evil.example").want(t, 403, "forbidden")
	e.checkDeniedAudited()
	if n := strings.Count(strings.Join(e.auditLines(), "\n"), `detail="PATCH /api/v1/me/settings"`); n != 4 {
		t.Errorf("%d access_denied records for PATCH /api/v1/me/settings, want 4", n)
	}
}

// TestOriginChecks is behavior.md §3.2: signup and login must come from the
// same origin when the browser says where it comes from.
func TestOriginChecks(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, func(s *config.Settings) { s.RateLimits.SignupPerHour = 100 })
	e.signup("alice")
	tests := []struct {
		name string
		hdr  []string
		ok   bool
	}{
		{"no Origin, no Sec-Fetch-Site", nil, true},
		{"same origin", []string{"Origin", "https://example.com"}, true},
		{"same origin with the default port", []string{"Origin", "https://example.com:443"}, true},
		{"Sec-Fetch-Site same-origin", []string{"Sec-Fetch-Site", "same-origin"}, true},
		{"Sec-Fetch-Site none", []string{"Sec-Fetch-Site", "none"}, true},
		{"foreign Origin", []string{"Origin", "https://evil.example"}, false},
		{"other port", []string{"Origin", "https://example.com:8443"}, false},
		{"plain http", []string{"Origin", "http://example.com"}, false},
		{"null Origin", []string{"Origin", "null"}, false},
		{"sub-domain", []string{"Origin", "https://a.example.com"}, false},
		{"Sec-Fetch-Site cross-site", []string{"Sec-Fetch-Site", "cross-site"}, false},
		{"Sec-Fetch-Site same-site", []string{"Sec-Fetch-Site", "same-site"}, false},
		{"same Origin but cross-site fetch", []string{"Origin", "https://example.com", "Sec-Fetch-Site", "cross-site"}, false},
	}
	for i, tt := range tests {
		for _, route := range []string{"signup", "login"} {
			name := "alice"
			status := 200
			if route == "signup" {
				name = "user" + strconv.Itoa(i)
				status = 201
			}
			r := e.client().send("POST", "/api/v1/"+route, map[string]string{"username": name, "password": testPassword}, tt.hdr...)
			if tt.ok {
				r.want(t, status, "")
				continue
			}
			if r.status != 403 || r.body["error"] != "forbidden" || len(r.header.Values("Set-Cookie")) != 0 {
				t.Errorf("%s %s: %d %s %v, want 403 forbidden and no cookie", route, tt.name, r.status, r.raw, r.header.Values("Set-Cookie"))
			}
			if route == "signup" {
				// No account was made: the name is still free.
				e.client().send("POST", "/api/v1/signup", map[string]string{"username": name, "password": testPassword}).want(t, 201, "")
			}
		}
	}
	e.checkDeniedAudited()
}

// TestBearerTokens is behavior.md §18 over HTTP: a token acts without CSRF
// or Origin, except on the routes that manage credentials.
func TestBearerTokens(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	alice := e.signup("alice")
	bot := alice.bot("ci")
	r := bot.send("GET", "/api/v1/session", nil).want(t, 200, "")
	if r.body["csrf_token"] != "" || r.body["user"].(map[string]any)["username"] != "alice" {
		t.Errorf("session with a token: %s", r.raw)
	}
	bot.send("PATCH", "/api/v1/me/settings", map[string]string{"bio": "beep"}, "Origin", "https://ci.example").want(t, 200, "")
	for _, rt := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/me/password", map[string]string{"current_password": testPassword, "new_password": "Staple-Battery-Horse-4"}},
		{"POST", "/api/v1/me/password", nil},
		{"GET", "/api/v1/me/tokens", nil},
		{"POST", "/api/v1/me/tokens", map[string]string{"name": "x"}},
		{"POST", "/api/v1/me/tokens", nil},
		{"DELETE", "/api/v1/me/tokens/1", nil},
		{"DELETE", "/api/v1/me", map[string]string{"password": testPassword, "mode": "hard"}},
		{"DELETE", "/api/v1/me", nil},
		{"POST", "/api/v1/logout", nil},
	} {
		r := bot.send(rt.method, rt.path, rt.body)
		if r.status != 403 || r.body["error"] != "forbidden" {
			t.Errorf("%s %s with a token: %d %s, want 403 forbidden", rt.method, rt.path, r.status, r.raw)
		}
	}
	// The refusals harmed nothing.
	alice.send("GET", "/api/v1/session", nil).want(t, 200, "")
	bot.send("GET", "/api/v1/session", nil).want(t, 200, "")

	// The scheme is case-insensitive.
	for _, scheme := range []string{"bearer ", "BEARER "} {
		e.client().send("GET", "/api/v1/session", nil, "Authorization", scheme+bot.bearer).want(t, 200, "")
	}
	for _, bad := range []string{"Bearer mmt_" + strings.Repeat("x", 43), "Basic YWxpY2U6cHc=", "Bearer", "Bearer " + bot.bearer + "x", "Bearer" + bot.bearer} {
		c := e.client()
		c.send("GET", "/api/v1/session", nil, "Authorization", bad).want(t, 401, "unauthenticated")
	}
	e.checkDeniedAudited()
}

// TestLoginRateLimit is behavior.md §14 for login_per_minute (the suite
// sets 5, edge case 19.35): per address, 429 with Retry-After, refused
// attempts not counted, and the switch.
func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, func(s *config.Settings) {
		s.RateLimits.LoginPerMinute = 5
		s.MaxLoginAttempts = 0
	})
	e.signup("alice")
	c := e.client()
	wrong := map[string]string{"username": "alice", "password": "Wrong-Horse-Battery-9"}
	right := map[string]string{"username": "alice", "password": testPassword}
	for range 5 {
		c.send("POST", "/api/v1/login", wrong).want(t, 401, "invalid_credentials")
	}
	e.clock.Advance(20 * time.Second)
	for range 10 {
		r := c.send("POST", "/api/v1/login", right).want(t, 429, "rate_limited")
		if r.header.Get("Retry-After") != "40" {
			t.Fatalf("Retry-After %q, want 40 (the oldest attempt leaves the window then)", r.header.Get("Retry-After"))
		}
	}
	// Another address is not limited.
	other := e.client()
	other.addr = "198.51.100.20:5000"
	other.send("POST", "/api/v1/login", right).want(t, 200, "")
	// Forty seconds on, the five counted attempts have left the window;
	// the ten refused ones were never counted.
	e.clock.Advance(40*time.Second - time.Millisecond)
	r := c.send("POST", "/api/v1/login", right).want(t, 429, "rate_limited")
	if r.header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q a millisecond before the window opens, want 1", r.header.Get("Retry-After"))
	}
	e.clock.Advance(time.Millisecond)
	for range 5 {
		c.send("POST", "/api/v1/login", right).want(t, 200, "")
	}
	c.send("POST", "/api/v1/login", right).want(t, 429, "rate_limited")

	// rate_limit_enabled false switches the limits off, at once.
	e.configure(func(s *config.Settings) { s.RateLimitEnabled = false })
	for range 20 {
		c.send("POST", "/api/v1/login", right).want(t, 200, "")
	}
	n := 0
	for _, l := range e.auditLines() {
		if strings.Contains(l, "event=login outcome=failure") && strings.Contains(l, `detail="rate limited"`) {
			n++
		}
	}
	if n != 12 {
		t.Errorf("%d rate-limited logins audited, want 12", n)
	}
}

// TestLockoutSurvivesRateLimitSwitch: turning the rate limits off leaves
// the account lockout on (behavior.md §14).
func TestLockoutSurvivesRateLimitSwitch(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, func(s *config.Settings) {
		s.RateLimitEnabled = false
		s.MaxLoginAttempts = 3
	})
	e.signup("alice")
	c := e.client()
	for i := 1; i <= 3; i++ {
		r := c.send("POST", "/api/v1/login", map[string]string{"username": "alice", "password": "Wrong-Horse-Battery-9"})
		if i < 3 && r.status != 401 || i == 3 && r.status != 423 {
			t.Fatalf("failure %d: %d %s", i, r.status, r.raw)
		}
	}
	r := c.send("POST", "/api/v1/login", map[string]string{"username": "alice", "password": testPassword}).want(t, 423, "locked")
	if r.header.Get("Retry-After") != "900" {
		t.Errorf("Retry-After %q, want 900", r.header.Get("Retry-After"))
	}
}

// TestAPIRateLimit is api_per_minute: per user across sessions and tokens,
// other users unaffected, downloads of avatars not counted.
func TestAPIRateLimit(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, func(s *config.Settings) { s.RateLimits.APIPerMinute = 6 })
	alice := e.signup("alice") // 1 request by address, not by alice
	bot := alice.bot("ci")     // 1
	second := e.client()       // login: by address
	second.addr = "198.51.100.30:1"
	second.send("POST", "/api/v1/login", map[string]string{"username": "alice", "password": testPassword}).want(t, 200, "")
	bob := e.signup("bob")
	bob.addr = "198.51.100.31:1"
	alice.send("GET", "/api/v1/session", nil).want(t, 200, "")  // 2
	second.send("GET", "/api/v1/session", nil).want(t, 200, "") // 3
	bot.send("GET", "/api/v1/session", nil).want(t, 200, "")    // 4
	for range 5 {
		alice.send("GET", "/api/v1/users/bob/avatar", nil).want(t, 404, "not_found") // downloads are free
	}
	alice.send("GET", "/api/v1/users", nil).want(t, 200, "")        // 5
	second.send("GET", "/api/v1/me/settings", nil).want(t, 200, "") // 6
	for _, c := range []*apiClient{alice, second, bot} {
		r := c.send("GET", "/api/v1/session", nil).want(t, 429, "rate_limited")
		if ra, _ := strconv.Atoi(r.header.Get("Retry-After")); ra < 1 || ra > 60 {
			t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
		}
	}
	bob.send("GET", "/api/v1/session", nil).want(t, 200, "")
	e.clock.Advance(time.Minute)
	alice.send("GET", "/api/v1/session", nil).want(t, 200, "")

	// Without credentials, or with dead ones, a request counts against
	// its address.
	guesser := e.client()
	guesser.addr = "203.0.113.9:1"
	for i := range 6 {
		guesser.cookie = strings.Repeat("A", 42) + strconv.Itoa(i%10)
		guesser.send("GET", "/api/v1/session", nil).want(t, 401, "unauthenticated")
	}
	guesser.send("GET", "/api/v1/users", nil).want(t, 429, "rate_limited")
	guesser.cookie = ""
	guesser.bearer = "mmt_guess"
	guesser.send("GET", "/api/v1/users", nil).want(t, 429, "rate_limited")
	e.checkDeniedAudited()
}
