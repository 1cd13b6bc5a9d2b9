package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/minimost/minimost/pkg/chat"
)

// handlerFunc is a route; a returned error is written by handle, so no
// route formats an error body itself.
type handlerFunc func(http.ResponseWriter, *http.Request) error

// statusOf maps every error code to its HTTP status, once for the API.
var statusOf = map[string]int{
	chat.EBadRequest:         http.StatusBadRequest,
	chat.EUnauthenticated:    http.StatusUnauthorized,
	chat.ECSRF:               http.StatusForbidden,
	chat.EForbidden:          http.StatusForbidden,
	chat.ENotFound:           http.StatusNotFound,
	chat.EConflict:           http.StatusConflict,
	chat.ETooLarge:           http.StatusRequestEntityTooLarge,
	chat.ERateLimited:        http.StatusTooManyRequests,
	chat.ELocked:             http.StatusLocked,
	chat.EPasswordExpired:    http.StatusForbidden,
	chat.EWeakPassword:       http.StatusBadRequest,
	chat.EPasswordReused:     http.StatusBadRequest,
	chat.EPasswordTooNew:     http.StatusBadRequest,
	chat.EInvalidUsername:    http.StatusBadRequest,
	chat.EUsernameTaken:      http.StatusConflict,
	chat.EReservedUsername:   http.StatusBadRequest,
	chat.EInvalidCredentials: http.StatusUnauthorized,
	chat.EGone:               http.StatusGone,
	chat.EInternal:           http.StatusInternalServerError,
}

// statusError carries a status that no code maps to (405).
type statusError struct {
	status int
	err    *chat.Error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func (s *server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
}

// writeError answers with the api.md error body. Internal errors are
// logged with their cause and answered with a fixed message, so no SQL,
// path or stack reaches the client.
func (s *server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := chat.ErrorCode(err)
	status := statusOf[code]
	var se *statusError
	if errors.As(err, &se) {
		status = se.status
	}
	var ce *chat.Error
	// A wrong password confirming a change (password change, account
	// deletion) names its field and is a 400; only a login's is a 401.
	if code == chat.EInvalidCredentials && errors.As(err, &ce) && ce.Field != "" {
		status = http.StatusBadRequest
	}
	if code == chat.EInternal {
		s.Logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if secs, ok := retryAfter(err); ok {
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	s.auditDenied(r, status)
	body := errorBody{Error: code, Message: chat.ErrorMessage(err)}
	if errors.As(err, &ce) {
		body.Field = ce.Field
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// notFound answers a path no route serves. gorilla/mux 1.8.1 loses a
// method mismatch inside a subrouter as soon as a later route shares the
// subrouter's prefix, so every wrong method under /api/v1 arrives here;
// a path that some route serves with another method is a 405.
func (s *server) notFound(w http.ResponseWriter, r *http.Request) error {
	if len(allowedMethods(r)) > 0 {
		return s.methodNotAllowed(w, r)
	}
	return chat.Errorf(chat.ENotFound, "not found")
}

// methodNotAllowed answers a known path with a method it does not serve:
// 405 with the Allow header HTTP requires (behavior.md §15.1) and the JSON
// error body.
func (s *server) methodNotAllowed(w http.ResponseWriter, r *http.Request) error {
	if allow := allowedMethods(r); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
	}
	return &statusError{http.StatusMethodNotAllowed, chat.Errorf(chat.EBadRequest, "method %s not allowed here", r.Method)}
}
