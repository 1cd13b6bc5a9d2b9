package main

import (
	"bytes"
	"context"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha512"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/crypto/scrypt"

	"github.com/minimost/minimost/pkg/testdeps"
)

// apiClient is one browser: a cookie jar, the CSRF token it was given, and
// TLS trusting only the daemon's CA.
type apiClient struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
}

func newClient(t *testing.T, httpsAddr string, pool *x509.CertPool) *apiClient {
	jar, _ := cookiejar.New(nil)
	return &apiClient{t: t, base: "https://" + httpsAddr, hc: &http.Client{
		Jar:       jar,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}}
}

type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

// do sends a request; body nil sends none. The CSRF header goes with it
// when the client holds a token and csrf is true.
func (c *apiClient) do(method, path string, body any, csrf bool, hdr ...string) answer {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if csrf && c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	json.Unmarshal(raw, &a.body)
	if tok, ok := a.body["csrf_token"].(string); ok && tok != "" {
		c.csrf = tok
	}
	return a
}

func (a answer) expect(t *testing.T, status int, code string) answer {
	t.Helper()
	if a.status != status || (code != "" && a.body["error"] != code) {
		t.Fatalf("got %d %s, want %d %s", a.status, a.raw, status, code)
	}
	return a
}

func (c *apiClient) sessionCookie() string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == "minimost_session" {
			return ck.Value
		}
	}
	return ""
}

// werkzeugPBKDF2 and werkzeugScrypt write hashes the way the Python
// MiniMost's Werkzeug did: method$salt$hex, the salt used as literal bytes.
func werkzeugPBKDF2(t *testing.T, pw, salt, hashName string, iter int) string {
	var key []byte
	var err error
	switch hashName {
	case "sha1":
		key, err = pbkdf2.Key(sha1.New, pw, []byte(salt), iter, sha1.Size)
	case "sha512":
		key, err = pbkdf2.Key(sha512.New, pw, []byte(salt), iter, sha512.Size)
	}
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("pbkdf2:%s:%d$%s$%s", hashName, iter, salt, hex.EncodeToString(key))
}

func werkzeugScrypt(t *testing.T, pw, salt string, n, r, p int) string {
	key, err := scrypt.Key([]byte(pw), []byte(salt), n, r, p, 64)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("scrypt:%d:%d:%d$%s$%s", n, r, p, salt, hex.EncodeToString(key))
}

// TestAccountsJourney drives the account rules over real HTTPS against the
// daemon, then scans everything it logged for the secrets it used.
func TestAccountsJourney(t *testing.T) {
	sqlite := testdeps.Need(t, "sqlite3", "sqlite3")
	data := filepath.Join(t.TempDir(), "data")
	os.MkdirAll(data, 0o700)
	os.WriteFile(filepath.Join(data, "settings.json"), []byte(`{"max_login_attempts": 5, "password_history_count": 3}`), 0o644)
	p, st := byHand(t, data)
	addr := listener(t, st, "https")
	pool, _ := fetchCA(t, addr)
	secrets := []string{}
	keep := func(s string) string { secrets = append(secrets, s); return s }

	bobPW := keep("Correct-Horse-Battery-9")
	bob := newClient(t, addr, pool)
	a := bob.do("POST", "/api/v1/signup", map[string]string{"username": "Bob", "password": bobPW}, false).expect(t, 201, "")
	if a.body["user"].(map[string]any)["username"] != "Bob" {
		t.Fatalf("signup answered %s", a.raw)
	}
	keep(bob.csrf)
	keep(bob.sessionCookie())
	if c := a.header.Get("Set-Cookie"); !strings.Contains(c, "HttpOnly") || !strings.Contains(c, "Secure") || !strings.Contains(c, "SameSite=Lax") || !strings.Contains(c, "Path=/") {
		t.Errorf("session cookie flags: %s", c)
	}
	// Names are unique ignoring case; another origin cannot sign up.
	other := newClient(t, addr, pool)
	other.do("POST", "/api/v1/signup", map[string]string{"username": "bOB", "password": bobPW}, false).expect(t, 409, "username_taken")
	other.do("POST", "/api/v1/signup", map[string]string{"username": "eve", "password": bobPW}, false, "Origin", "https://evil.example").expect(t, 403, "forbidden")
	other.do("POST", "/api/v1/signup", map[string]string{"username": "eve", "password": "short"}, false).expect(t, 400, "weak_password")

	// Login answers the chosen spelling; a wrong password and an unknown
	// user are indistinguishable.
	bob2 := newClient(t, addr, pool)
	a = bob2.do("POST", "/api/v1/login", map[string]string{"username": "bob", "password": bobPW}, false).expect(t, 200, "")
	keep(bob2.csrf)
	keep(bob2.sessionCookie())
	if bob2.sessionCookie() == bob.sessionCookie() {
		t.Error("login reused the signup's session id")
	}
	wrong := other.do("POST", "/api/v1/login", map[string]string{"username": "bob", "password": "Wrong-Horse-Battery-9"}, false).expect(t, 401, "invalid_credentials")
	unknown := other.do("POST", "/api/v1/login", map[string]string{"username": "nobody", "password": "Wrong-Horse-Battery-9"}, false).expect(t, 401, "invalid_credentials")
	if wrong.body["message"] != unknown.body["message"] {
		t.Errorf("wrong password %q and unknown user %q answer differently", wrong.body["message"], unknown.body["message"])
	}

	// CSRF: a state change without the token, or with another session's,
	// does nothing.
	bob.do("PATCH", "/api/v1/me/settings", map[string]string{"bio": "x"}, false).expect(t, 403, "csrf")
	saved := bob.csrf
	bob.csrf = bob2.csrf
	bob.do("PATCH", "/api/v1/me/settings", map[string]string{"bio": "x"}, true).expect(t, 403, "csrf")
	bob.csrf = saved
	a = bob.do("PATCH", "/api/v1/me/settings", map[string]any{"bio": " Firmware, mostly. ", "name_color": "#E06C75"}, true).expect(t, 200, "")
	if a.body["bio"] != "Firmware, mostly." || a.body["name_color"] != "#e06c75" {
		t.Errorf("settings answer %s", a.raw)
	}

	// Logout revokes server-side: a copy of the cookie is dead, on GET and POST.
	copied := newClient(t, addr, pool)
	u, _ := url.Parse(copied.base)
	copied.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "minimost_session", Value: bob2.sessionCookie(), Path: "/"}})
	copied.csrf = bob2.csrf
	copied.do("GET", "/api/v1/session", nil, false).expect(t, 200, "")
	bob2.do("POST", "/api/v1/logout", nil, false).expect(t, 403, "csrf")
	bob2.do("POST", "/api/v1/logout", nil, true).expect(t, 204, "")
	copied.do("GET", "/api/v1/session", nil, false).expect(t, 401, "unauthenticated")
	copied.do("POST", "/api/v1/logout", nil, true).expect(t, 401, "unauthenticated")

	// Five wrong passwords lock the account (the one above was the first:
	// counts do not decay); the right one is then refused too, with
	// Retry-After.
	for i := 2; i <= 5; i++ {
		a = other.do("POST", "/api/v1/login", map[string]string{"username": "bob", "password": "Wrong-Horse-Battery-9"}, false)
		if i < 5 && a.status != 401 || i == 5 && a.status != 423 {
			t.Fatalf("failure %d: %d %s", i, a.status, a.raw)
		}
	}
	a = other.do("POST", "/api/v1/login", map[string]string{"username": "bob", "password": bobPW}, false).expect(t, 423, "locked")
	if a.header.Get("Retry-After") == "" || a.header.Get("Retry-After") == "0" {
		t.Errorf("locked answer without Retry-After: %v", a.header)
	}

	// The admin's reset link works once, clears the lockout and sets the
	// new password; a second use is gone.
	out, errOut, code := ctl(t, nil, "--socket", p.socket, "reset-password", "bob", "--expires", "90m", "--base-url", "https://chat.example:6767/")
	if code != 0 {
		t.Fatalf("reset-password: exit %d %s", code, errOut)
	}
	link := strings.Fields(out)[0]
	token, ok := strings.CutPrefix(link, "https://chat.example:6767/reset-password/")
	if !ok {
		t.Fatalf("reset-password printed %q", out)
	}
	keep(token)
	a = other.do("GET", "/api/v1/password-reset/"+token, nil, false).expect(t, 200, "")
	if a.body["username"] != "Bob" {
		t.Errorf("reset info %s", a.raw)
	}
	other.do("POST", "/api/v1/password-reset/"+token, map[string]string{"new_password": "weak"}, false).expect(t, 400, "weak_password")
	other.do("POST", "/api/v1/password-reset/"+token, map[string]string{"new_password": bobPW}, false).expect(t, 400, "password_reused")
	newPW := keep("Staple-Battery-Horse-42")
	other.do("POST", "/api/v1/password-reset/"+token, map[string]string{"new_password": newPW}, false).expect(t, 204, "")
	other.do("GET", "/api/v1/password-reset/"+token, nil, false).expect(t, 410, "gone")
	other.do("POST", "/api/v1/password-reset/"+token, map[string]string{"new_password": "Another-Battery-Horse-7"}, false).expect(t, 410, "gone")
	bob.do("GET", "/api/v1/session", nil, false).expect(t, 401, "unauthenticated")
	bob3 := newClient(t, addr, pool)
	bob3.do("POST", "/api/v1/login", map[string]string{"username": "bob", "password": newPW}, false).expect(t, 200, "")
	keep(bob3.csrf)
	keep(bob3.sessionCookie())
	_, errOut, code = ctl(t, nil, "--socket", p.socket, "reset-password", "nobody")
	if code != 1 || !strings.Contains(errOut, "no such user") {
		t.Errorf("reset-password of an unknown user: exit %d %q", code, errOut)
	}

	// Bot tokens act without CSRF and die when deleted.
	a = bob3.do("POST", "/api/v1/me/tokens", map[string]string{"name": "ci"}, true).expect(t, 201, "")
	bot := keep(a.body["token"].(string))
	botClient := newClient(t, addr, pool)
	botClient.do("GET", "/api/v1/session", nil, false, "Authorization", "Bearer "+bot).expect(t, 200, "")
	botClient.do("PATCH", "/api/v1/me/settings", map[string]string{"bio": "bot"}, false, "Authorization", "Bearer "+bot).expect(t, 200, "")
	botClient.do("POST", "/api/v1/me/tokens", map[string]string{"name": "x"}, false, "Authorization", "Bearer "+bot).expect(t, 403, "forbidden")
	bob3.do("DELETE", fmt.Sprintf("/api/v1/me/tokens/%v", a.body["id"]), nil, true).expect(t, 204, "")
	botClient.do("GET", "/api/v1/session", nil, false, "Authorization", "Bearer "+bot).expect(t, 401, "unauthenticated")

	// Legacy Werkzeug hashes from the Python MiniMost log in and are
	// upgraded to the current form.
	db := filepath.Join(data, "minimost.db")
	legacy := map[string]string{
		"carol": werkzeugPBKDF2(t, "Legacy-Carol-Password-1", "s4ltS4lt", "sha1", 50000),
		"dave":  werkzeugPBKDF2(t, "Legacy-Dave-Password-22", "AbCdEfGhIjKlMnOp", "sha512", 150000),
		"erin":  werkzeugScrypt(t, "Legacy-Erin-Password-333", "q1w2e3r4t5y6u7i8", 32768, 8, 1),
	}
	legacyPW := map[string]string{"carol": "Legacy-Carol-Password-1", "dave": "Legacy-Dave-Password-22", "erin": "Legacy-Erin-Password-333"}
	for name, pw := range legacyPW {
		keep(pw)
		c := newClient(t, addr, pool)
		c.do("POST", "/api/v1/signup", map[string]string{"username": name, "password": "Placeholder-Pass-0000"}, false).expect(t, 201, "")
		keep(c.csrf)
		keep(c.sessionCookie())
		sqlExec(t, sqlite, db, fmt.Sprintf("UPDATE users SET password_hash = '%s' WHERE username = '%s';", legacy[name], name))
		c = newClient(t, addr, pool)
		c.do("POST", "/api/v1/login", map[string]string{"username": name, "password": pw}, false).expect(t, 200, "")
		keep(c.csrf)
		keep(c.sessionCookie())
		stored := strings.TrimSpace(sqlExec(t, sqlite, db, fmt.Sprintf("SELECT password_hash FROM users WHERE username = '%s';", name)))
		if !strings.HasPrefix(stored, "pbkdf2:sha256:600000$") {
			t.Errorf("%s's legacy hash was not upgraded: %s", name, stored)
		}
		c.do("POST", "/api/v1/logout", nil, true).expect(t, 204, "")
		c.do("POST", "/api/v1/login", map[string]string{"username": name, "password": pw}, false).expect(t, 200, "")
		keep(c.csrf)
		keep(c.sessionCookie())
	}

	// Deletion: soft keeps a tombstone, hard removes; both free the name
	// and end every session.
	carol := newClient(t, addr, pool)
	carol.do("POST", "/api/v1/login", map[string]string{"username": "carol", "password": legacyPW["carol"]}, false).expect(t, 200, "")
	keep(carol.csrf)
	keep(carol.sessionCookie())
	carol.do("DELETE", "/api/v1/me", map[string]string{"password": "wrong", "mode": "soft"}, true).expect(t, 400, "invalid_credentials")
	carol.do("DELETE", "/api/v1/me", map[string]string{"password": legacyPW["carol"], "mode": "soft"}, true).expect(t, 204, "")
	carol.do("GET", "/api/v1/session", nil, false).expect(t, 401, "unauthenticated")
	a = bob3.do("GET", "/api/v1/users/carol", nil, false).expect(t, 200, "")
	if a.body["deleted"] != true {
		t.Errorf("soft-deleted carol: %s", a.raw)
	}
	dave := newClient(t, addr, pool)
	dave.do("POST", "/api/v1/login", map[string]string{"username": "dave", "password": legacyPW["dave"]}, false).expect(t, 200, "")
	keep(dave.csrf)
	keep(dave.sessionCookie())
	if _, errOut, code := ctl(t, nil, "--socket", p.socket, "users", "delete", "dave", "--hard"); code != 0 {
		t.Fatalf("users delete --hard: %d %s", code, errOut)
	}
	dave.do("GET", "/api/v1/session", nil, false).expect(t, 401, "unauthenticated")
	bob3.do("GET", "/api/v1/users/dave", nil, false).expect(t, 404, "not_found")
	for _, name := range []string{"carol", "dave"} {
		other.do("POST", "/api/v1/login", map[string]string{"username": name, "password": legacyPW[name]}, false).expect(t, 401, "invalid_credentials")
		c := newClient(t, addr, pool)
		c.do("POST", "/api/v1/signup", map[string]string{"username": name, "password": "Fresh-Account-Pass-55"}, false).expect(t, 201, "")
		keep(c.csrf)
		keep(c.sessionCookie())
	}
	keep("Fresh-Account-Pass-55")
	keep("Placeholder-Pass-0000")

	// Admin lock ends sessions and refuses login until unlocked.
	if _, errOut, code := ctl(t, nil, "--socket", p.socket, "users", "lock", "bob"); code != 0 {
		t.Fatalf("users lock: %s", errOut)
	}
	bob3.do("GET", "/api/v1/session", nil, false).expect(t, 401, "unauthenticated")
	other.do("POST", "/api/v1/login", map[string]string{"username": "bob", "password": newPW}, false).expect(t, 423, "locked")
	out, _, _ = ctl(t, nil, "--socket", p.socket, "users", "list", "--json")
	if !strings.Contains(out, `"username": "Bob"`) || !strings.Contains(out, `"locked": true`) {
		t.Errorf("users list --json: %s", out)
	}
	ctl(t, nil, "--socket", p.socket, "users", "unlock", "bob")
	other.do("POST", "/api/v1/login", map[string]string{"username": "bob", "password": newPW}, false).expect(t, 200, "")
	keep(other.csrf)
	keep(other.sessionCookie())

	p.signal(syscall.SIGTERM)
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d", code)
	}

	// No secret in any log: the daemon's output and audit.log.
	auditLog, err := os.ReadFile(filepath.Join(data, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	logs := p.stderr.String() + string(auditLog)
	for _, s := range secrets {
		if s != "" && strings.Contains(logs, s) {
			t.Errorf("a secret (%d chars) appears in the logs", len(s))
		}
	}
	for _, want := range []string{"event=account_create", "event=login outcome=success user=Bob", "detail=\"bad password\"", "event=account_lockout",
		"event=password_reset_issued", "event=password_reset outcome=success", "event=account_delete", "event=access_denied", "event=token_create"} {
		if !strings.Contains(string(auditLog), want) {
			t.Errorf("audit.log lacks %q", want)
		}
	}
}

func sqlExec(t *testing.T, sqlite, db, script string) string {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), sqlite, "-cmd", ".timeout 10000", db)
	cmd.Stdin = strings.NewReader(script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3: %v %s", err, out)
	}
	return string(out)
}
