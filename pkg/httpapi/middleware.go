package httpapi

import (
	"context"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/gorilla/mux"

	"github.com/minimost/minimost/pkg/chat"
)

// Header values of behavior.md §15.1.
const (
	contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; worker-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
	permissionsPolicy     = "camera=(self), microphone=(self), display-capture=(self), geolocation=(), payment=(), usb=()"
)

// securityHeaders sets the headers every answer carries, errors and
// redirects included, before any handler can write.
func (s *server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cross-Origin-Embedder-Policy", "require-corp")
		h.Set("Permissions-Policy", permissionsPolicy)
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		if !strings.HasPrefix(r.URL.Path, "/assets/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// routesKey carries the router to the 405 handler (see allowedMethods).
type routesKey struct{}

// recoverPanics turns a panic into a 500 with a generic body; the stack
// goes to the log only. It wraps the router itself, so it also hands the
// router to the 405 handler through the request: gorilla/mux sets no
// Allow header, and listing the allowed methods needs the routes.
func (s *server) recoverPanics(next http.Handler) http.Handler {
	routes, _ := next.(*mux.Router)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if routes != nil {
			r = r.WithContext(context.WithValue(r.Context(), routesKey{}, routes))
		}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.Logger.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
				s.writeError(w, r, chat.Errorf(chat.EInternal, "internal error"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// allowedMethods lists the methods some route serves at r's path, in the
// order an Allow header names them. Routes without a path (the browsers'
// error page for any unknown path) do not count: they would make every
// path look known.
func allowedMethods(r *http.Request) []string {
	routes, _ := r.Context().Value(routesKey{}).(*mux.Router)
	if routes == nil {
		return nil
	}
	var out []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		var match mux.RouteMatch
		if !routes.Match(probe, &match) || match.MatchErr != nil || match.Route == nil {
			continue
		}
		if _, err := match.Route.GetPathTemplate(); err == nil {
			out = append(out, m)
		}
	}
	return out
}
