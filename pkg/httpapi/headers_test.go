package httpapi

import (
	"net/http"
	"strings"
	"testing"

	"github.com/minimost/minimost/pkg/config"
)

// securityHeaders is the table of behavior.md §15.1, spelled out here
// rather than taken from the code so that a change to either shows.
var wantSecurityHeaders = map[string]string{
	"X-Content-Type-Options":       "nosniff",
	"X-Frame-Options":              "DENY",
	"Content-Security-Policy":      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; worker-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'",
	"Referrer-Policy":              "no-referrer",
	"Cross-Origin-Opener-Policy":   "same-origin",
	"Cross-Origin-Resource-Policy": "same-origin",
	"Cross-Origin-Embedder-Policy": "require-corp",
	"Permissions-Policy":           "camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=(), usb=()",
	"Strict-Transport-Security":    "max-age=31536000; includeSubDomains",
}

// TestSecurityHeaders: every kind of answer carries the headers, and the
// errors are the api.md JSON body.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	// Three logins a minute: anon's three below are admitted, flood's
	// fourth is the 429.
	e := newAPIEnv(t, func(s *config.Settings) { s.RateLimits.LoginPerMinute = 3 })
	alice := e.signup("alice")
	anon := e.client()
	flood := e.client()
	flood.addr = "198.51.100.7:1234"
	wrong := map[string]string{"username": "alice", "password": "Wrong-Horse-Battery-9"}
	tests := []struct {
		name         string
		c            *apiClient
		method, path string
		body         any
		hdr          []string
		status       int
		code         string // error code of a JSON error answer
	}{
		{"login page", anon, "GET", "/login", nil, []string{"Accept", "text/html"}, 200, ""},
		{"redirect to login", anon, "GET", "/", nil, []string{"Accept", "text/html"}, 302, ""},
		{"health", anon, "GET", "/healthz", nil, nil, 200, ""},
		{"API answer", alice, "GET", "/api/v1/session", nil, nil, 200, ""},
		{"public API answer", anon, "GET", "/api/v1/password-policy", nil, nil, 200, ""},
		{"401", anon, "GET", "/api/v1/session", nil, nil, 401, "unauthenticated"},
		{"403", anon, "POST", "/api/v1/login", map[string]string{"username": "a", "password": "b"}, []string{"Origin", "https://evil.example"}, 403, "forbidden"},
		{"404 API", alice, "GET", "/api/v1/no-such-thing", nil, nil, 404, "not_found"},
		{"404 API, unauthenticated", anon, "POST", "/api/v1/no/such/thing", "{}", nil, 404, "not_found"},
		{"404 outside the API", anon, "GET", "/no-such-thing", nil, nil, 404, "not_found"},
		{"405", alice, "PATCH", "/api/v1/session", "{}", nil, 405, "bad_request"},
		{"400", anon, "POST", "/api/v1/login", "[", nil, 400, "bad_request"},
		{"413", anon, "POST", "/api/v1/login", `{"username":"` + strings.Repeat("a", 1<<20) + `"}`, nil, 413, "too_large"},
		{"401 login", flood, "POST", "/api/v1/login", wrong, nil, 401, "invalid_credentials"},
		{"401 login again", flood, "POST", "/api/v1/login", wrong, nil, 401, "invalid_credentials"},
		{"401 login once more", flood, "POST", "/api/v1/login", wrong, nil, 401, "invalid_credentials"},
		{"429", flood, "POST", "/api/v1/login", wrong, nil, 429, "rate_limited"},
	}
	for _, tt := range tests {
		r := tt.c.send(tt.method, tt.path, tt.body, tt.hdr...)
		if r.status != tt.status {
			t.Errorf("%s: status %d %s, want %d", tt.name, r.status, r.raw, tt.status)
			continue
		}
		for k, v := range wantSecurityHeaders {
			if got := r.header.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", tt.name, k, got, v)
			}
		}
		if strings.HasPrefix(tt.path, "/api/") && r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", tt.name, r.header.Get("Cache-Control"))
		}
		if tt.code == "" {
			continue
		}
		if ct := r.header.Get("Content-Type"); ct != "application/json; charset=utf-8" {
			t.Errorf("%s: Content-Type %q", tt.name, ct)
		}
		if r.body["error"] != tt.code || r.body["message"] == "" {
			t.Errorf("%s: body %s, want error %q and a message", tt.name, r.raw, tt.code)
		}
	}
	e.checkDeniedAudited()
}

// TestMethodNotAllowed: a known path with a method it does not serve is
// 405 with an Allow header naming what it does serve, and a JSON body.
func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	e := newAPIEnv(t, nil)
	alice := e.signup("alice")
	tests := []struct {
		method, path, allow string
	}{
		{"PATCH", "/api/v1/session", "GET"},
		{"GET", "/api/v1/login", "POST"},
		{"DELETE", "/api/v1/signup", "POST"},
		{"PUT", "/api/v1/me/settings", "GET, PATCH"},
		{"POST", "/api/v1/me/avatar", "PUT, DELETE"},
		{"PUT", "/api/v1/password-reset/abc", "GET, POST"},
		{"POST", "/api/v1/users/alice/avatar", "GET, HEAD"},
		{"POST", "/healthz", "GET, HEAD"},
	}
	for _, tt := range tests {
		r := alice.send(tt.method, tt.path, "{}")
		if r.status != http.StatusMethodNotAllowed || r.body["error"] != "bad_request" {
			t.Errorf("%s %s: %d %s, want 405 bad_request", tt.method, tt.path, r.status, r.raw)
		}
		if got := r.header.Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, got, tt.allow)
		}
	}
}
