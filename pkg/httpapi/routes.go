// Package httpapi is MiniMost's HTTPS surface: the routes of api.md §3, the
// security headers of behavior.md §15.1, sessions, CSRF, rate limits and
// one way of writing errors.
package httpapi

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"github.com/minimost/minimost/pkg/accounts"
	"github.com/minimost/minimost/pkg/audit"
	"github.com/minimost/minimost/pkg/chatsvc"
	"github.com/minimost/minimost/pkg/config"
	"github.com/minimost/minimost/pkg/hub"
	"github.com/minimost/minimost/pkg/linkpreview"
	"github.com/minimost/minimost/pkg/ratelimit"
)

// Recorder takes audit records.
type Recorder interface{ Record(audit.Event) }

// Deps are what the HTTP layer is built from.
type Deps struct {
	Logger   *slog.Logger
	Settings *config.Live
	Accounts *accounts.Service
	Chat     *chatsvc.Service
	Hub      *hub.Hub
	// StunPort is the UDP port the STUN responder listens on.
	StunPort int
	Previews *linkpreview.Fetcher
	Audit    Recorder
	// CAPEM returns the CA certificate to serve at /ca.pem, nil for none.
	CAPEM func() []byte
	// Ready reports whether the store is open and the daemon serving.
	Ready func() bool
	// Now is the clock of the rate limiters; nil means time.Now.
	Now func() time.Time
}

// limiters are the sliding windows of behavior.md §14, one per action.
type limiters struct {
	login, signup, reset, avatar, api *ratelimit.Limiter
	messages, uploads, createChannel  *ratelimit.Limiter
}

type server struct {
	Deps
	limits limiters
}

func (s *server) now() time.Time { return s.Now() }

// NewServer returns the handler of the HTTPS listener. Every route is
// listed here, so this function is the map of the API.
func NewServer(d Deps) http.Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	s := &server{Deps: d, limits: limiters{
		login:  ratelimit.New(time.Minute),
		signup: ratelimit.New(time.Hour),
		reset:  ratelimit.New(time.Hour),
		avatar: ratelimit.New(time.Hour),
		api:    ratelimit.New(time.Minute),

		messages:      ratelimit.New(10 * time.Second),
		uploads:       ratelimit.New(time.Minute),
		createChannel: ratelimit.New(time.Hour),
	}}
	r := mux.NewRouter()
	r.Handle("/healthz", s.handle(s.healthz)).Methods(http.MethodGet, http.MethodHead)
	r.Handle("/ca.pem", s.handle(s.caPEM)).Methods(http.MethodGet, http.MethodHead)

	api := r.PathPrefix("/api/v1").Subrouter()
	// Public: no caller needed.
	api.Handle("/signup", s.handle(s.public(s.signup))).Methods(http.MethodPost)
	api.Handle("/login", s.handle(s.public(s.login))).Methods(http.MethodPost)
	api.Handle("/password-policy", s.handle(s.public(s.passwordPolicy))).Methods(http.MethodGet)
	api.Handle("/password-reset/{token}", s.handle(s.public(s.resetInfo))).Methods(http.MethodGet)
	api.Handle("/password-reset/{token}", s.handle(s.public(s.resetPassword))).Methods(http.MethodPost)

	// Session and account.
	api.Handle("/session", s.handle(s.withAuth(s.session))).Methods(http.MethodGet)
	api.Handle("/logout", s.handle(s.withAuth(s.logout))).Methods(http.MethodPost)
	api.Handle("/me", s.handle(s.withAuth(s.deleteMe))).Methods(http.MethodDelete)
	api.Handle("/me/password", s.handle(s.withAuth(s.changePassword))).Methods(http.MethodPost)
	api.Handle("/me/settings", s.handle(s.withAuth(s.mySettings))).Methods(http.MethodGet)
	api.Handle("/me/settings", s.handle(s.withAuth(s.patchSettings))).Methods(http.MethodPatch)
	api.Handle("/me/avatar", s.handle(s.withAuth(s.putAvatar))).Methods(http.MethodPut)
	api.Handle("/me/avatar", s.handle(s.withAuth(s.deleteAvatar))).Methods(http.MethodDelete)
	api.Handle("/me/tokens", s.handle(s.withAuth(s.createToken))).Methods(http.MethodPost)
	api.Handle("/me/tokens", s.handle(s.withAuth(s.listTokens))).Methods(http.MethodGet)
	api.Handle("/me/tokens/{id}", s.handle(s.withAuth(s.deleteToken))).Methods(http.MethodDelete)

	// Users.
	api.Handle("/users", s.handle(s.withAuth(s.users))).Methods(http.MethodGet)
	api.Handle("/users/{username}", s.handle(s.withAuth(s.user))).Methods(http.MethodGet)
	api.Handle("/users/{username}/avatar", s.handle(s.withAuth(s.avatar))).Methods(http.MethodGet, http.MethodHead)

	s.chatRoutes(api)
	api.Handle("/ws", s.handle(s.ws)).Methods(http.MethodGet)
	api.Handle("/link-preview", s.handle(s.withAuth(s.linkPreview))).Methods(http.MethodGet)
	api.Handle("/presence", s.handle(s.withAuth(s.presence))).Methods(http.MethodGet)
	api.Handle("/me/presence-override", s.handle(s.withAuth(s.presenceOverride))).Methods(http.MethodPut)

	s.pageRoutes(r)
	r.NotFoundHandler = s.handle(s.notFound)
	r.MethodNotAllowedHandler = s.handle(s.methodNotAllowed)
	api.NotFoundHandler = r.NotFoundHandler
	api.MethodNotAllowedHandler = r.MethodNotAllowedHandler
	return s.securityHeaders(s.recoverPanics(r))
}
