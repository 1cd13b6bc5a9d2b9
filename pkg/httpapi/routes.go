// Package httpapi is MiniMost's HTTPS surface: the routes of api.md §3, the
// security headers of behavior.md §15.1, and one way of writing errors.
package httpapi

import (
	"log/slog"
	"net/http"

	"github.com/gorilla/mux"
)

// Deps are what the HTTP layer is built from.
type Deps struct {
	Logger *slog.Logger
	// CAPEM returns the CA certificate to serve at /ca.pem, nil for none.
	CAPEM func() []byte
	// Ready reports whether the store is open and the daemon serving.
	Ready func() bool
}

// NewServer returns the handler of the HTTPS listener. Every route is
// listed here, so this file is the map of the API.
func NewServer(d Deps) http.Handler {
	s := &server{Deps: d}
	r := mux.NewRouter()
	r.Handle("/healthz", s.handle(s.healthz)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/ca.pem", s.handle(s.caPEM)).Methods(http.MethodGet, http.MethodHead)
	r.NotFoundHandler = s.handle(s.notFound)
	r.MethodNotAllowedHandler = s.handle(s.methodNotAllowed)
	return s.securityHeaders(s.recoverPanics(r))
}

type server struct {
	Deps
}
