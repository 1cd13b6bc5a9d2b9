package httpapi

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/minimost/minimost/pkg/accounts"
	"github.com/minimost/minimost/pkg/audit"
	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/ratelimit"
)

// CookieName is the session cookie of api.md §1.
const CookieName = "minimost_session"

type authKey struct{}

// authFrom returns the caller of an authenticated route.
func authFrom(ctx context.Context) *accounts.Auth {
	a, _ := ctx.Value(authKey{}).(*accounts.Auth)
	return a
}

// clientIP is the TCP peer; X-Forwarded-For is never trusted.
func clientIP(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		a, _ := netip.ParseAddr(host)
		return a.Unmap()
	}
	return ap.Addr().Unmap()
}

// src is the client as audit records name it.
func src(r *http.Request) string { return clientIP(r).String() }

// ipKey is the rate-limit key of an unauthenticated client.
func ipKey(r *http.Request) string { return ratelimit.IPKey(clientIP(r)) }

// sameOrigin applies the browser checks of behavior.md §3.2: an Origin, when
// sent, must be this server as the browser reached it; Sec-Fetch-Site,
// when sent, must be same-origin or none.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Scheme != "https" || u.Path != "" || u.User != nil {
		return false
	}
	return strings.EqualFold(withPort(u.Host), withPort(r.Host))
}

// withPort adds the default HTTPS port so "h" and "h:443" compare equal.
func withPort(host string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), "443")
}

// passive lists the requests that do not count as activity for the idle
// timeout (behavior.md §3.7): a client's background polls would otherwise
// keep an abandoned session alive.
func passive(r *http.Request) bool {
	if r.Method != http.MethodGet {
		return false
	}
	p := r.URL.Path
	return p == "/api/v1/presence" || p == "/api/v1/session" ||
		strings.HasPrefix(p, "/api/v1/channels/") && strings.HasSuffix(p, "/typing")
}

// download reports a GET or HEAD of an attachment or an avatar.
func download(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := r.URL.Path
	return strings.HasPrefix(p, "/api/v1/files/") ||
		strings.HasPrefix(p, "/api/v1/users/") && strings.HasSuffix(p, "/avatar")
}

func stateChanging(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// authenticate finds the caller from a bearer token or the session cookie.
// It returns nil without error when no credentials were sent.
func (s *server) authenticate(r *http.Request) (*accounts.Auth, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		// The scheme's name is case-insensitive (RFC 9110 §11.1).
		scheme, token, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") {
			return nil, chat.Errorf(chat.EUnauthenticated, "only Bearer tokens are accepted")
		}
		return s.Accounts.AuthenticateToken(r.Context(), strings.TrimSpace(token))
	}
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	return s.Accounts.Authenticate(r.Context(), c.Value, !passive(r), src(r))
}

// withAuth guards a route: it needs a caller, counts the API rate limit,
// and for cookie sessions checks CSRF and the origin of state changes.
func (s *server) withAuth(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		auth, err := s.authenticate(r)
		if err == nil && auth == nil {
			err = chat.Errorf(chat.EUnauthenticated, "not logged in")
		}
		if chat.ErrorCode(err) == chat.EUnauthenticated {
			// An unauthenticated request counts against its address
			// (behavior.md §14), so guessing cookies or tokens is
			// limited like any other request.
			if lerr := s.limitAPI(r, "ip:"+ipKey(r)); lerr != nil {
				return lerr
			}
		}
		if err != nil {
			return err
		}
		if err := s.limitAPI(r, "u:"+strconv.FormatInt(auth.Account.ID, 10)); err != nil {
			return err
		}
		if auth.Session != nil && stateChanging(r.Method) {
			if !accounts.SameSecret(r.Header.Get("X-CSRF-Token"), auth.Session.CSRFToken) {
				return chat.Errorf(chat.ECSRF, "missing or wrong X-CSRF-Token header")
			}
			if !sameOrigin(r) {
				return chat.Errorf(chat.EForbidden, "cross-origin request refused")
			}
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), authKey{}, auth)))
	}
}

// public guards a route that needs no caller: the API rate limit by IP.
func (s *server) public(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.limitAPI(r, "ip:"+ipKey(r)); err != nil {
			return err
		}
		return h(w, r)
	}
}

// rateLimited is a refusal with its Retry-After.
type rateLimited struct {
	err        *chat.Error
	retryAfter int
}

func (e *rateLimited) Error() string { return e.err.Error() }
func (e *rateLimited) Unwrap() error { return e.err }

// limit counts one event against a limiter, when limits are on.
func (s *server) limit(l *ratelimit.Limiter, key string, max int) error {
	if !s.Settings.Get().RateLimitEnabled {
		return nil
	}
	ok, retry := l.Allow(key, max, s.now())
	if ok {
		return nil
	}
	return &rateLimited{chat.Errorf(chat.ERateLimited, "too many requests; slow down"), ratelimit.RetryAfterSeconds(retry)}
}

// limitAPI counts a request against api_per_minute, except the file and
// avatar downloads behavior.md §14 leaves out: a page showing many users'
// pictures must not use up the user's budget for actions.
func (s *server) limitAPI(r *http.Request, key string) error {
	if download(r) {
		return nil
	}
	return s.limit(s.limits.api, key, s.Settings.Get().RateLimits.APIPerMinute)
}

// auditDenied records every 401 and 403 (behavior.md §15.1).
func (s *server) auditDenied(r *http.Request, status int) {
	if status != http.StatusUnauthorized && status != http.StatusForbidden {
		return
	}
	e := audit.Event{Kind: audit.AccessDenied, Src: src(r), Detail: r.Method + " " + r.URL.Path}
	if a := authFrom(r.Context()); a != nil {
		e.User = a.Account.Username
	}
	s.Audit.Record(e)
}

// retryAfter extracts a Retry-After from the errors that carry one.
func retryAfter(err error) (int, bool) {
	var rl *rateLimited
	if errors.As(err, &rl) {
		return rl.retryAfter, true
	}
	var le *accounts.LockedError
	if errors.As(err, &le) {
		return ratelimit.RetryAfterSeconds(le.RetryAfter), true
	}
	return 0, false
}
