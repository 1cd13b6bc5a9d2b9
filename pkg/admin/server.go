package admin

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/gorilla/mux"

	"github.com/minimost/minimost/pkg/audit"
	"github.com/minimost/minimost/pkg/chat"
)

// Backend is what the admin API needs of the daemon. Errors that are a
// *chat.Error reach the caller with their code; anything else is internal.
type Backend interface {
	// Status reports the daemon's figures.
	Status(ctx context.Context) (Status, error)
	// Reload re-reads the settings; a bad file is a chat.EBadRequest error
	// and leaves the running settings as they were. The caller's identity
	// for the audit record is PeerFrom(ctx).
	Reload(ctx context.Context) (ReloadResult, error)
	// Backup writes a consistent copy of the store to dest.
	Backup(ctx context.Context, dest string) error
	// Users lists live accounts sorted case-insensitively.
	Users(ctx context.Context) ([]UserSummary, error)
	// PasswordReset issues a reset link for a user.
	PasswordReset(ctx context.Context, username string, req ResetRequest) (ResetAnswer, error)
	// SetLocked locks or unlocks an account.
	SetLocked(ctx context.Context, username string, locked bool) error
	// DeleteUser deletes an account, mode ModeSoft or ModeHard.
	DeleteUser(ctx context.Context, username, mode string) error
	// EndSessions logs a user out everywhere.
	EndSessions(ctx context.Context, username string) error
}

// Recorder takes audit records.
type Recorder interface{ Record(audit.Event) }

// Server serves the admin API.
type Server struct {
	backend Backend
	audit   Recorder
	log     *slog.Logger
	tmpDir  string
	selfUID int
	router  *mux.Router
}

// NewServer returns the admin API. tmpDir receives backups while they
// stream (the state directory, so a large copy never fills a tmpfs).
func NewServer(b Backend, rec Recorder, log *slog.Logger, tmpDir string) *Server {
	s := &Server{backend: b, audit: rec, log: log, tmpDir: tmpDir, selfUID: os.Getuid()}
	s.routes()
	return s
}

func (s *Server) routes() {
	r := mux.NewRouter()
	r.Handle("/v1/status", s.handle(s.status)).Methods(http.MethodGet)
	r.Handle("/v1/reload", s.handle(s.reload)).Methods(http.MethodPost)
	r.Handle("/v1/backup", s.handle(s.backup)).Methods(http.MethodGet)
	r.Handle("/v1/users", s.handle(s.users)).Methods(http.MethodGet)
	r.Handle("/v1/users/{username}/password-reset", s.handle(s.passwordReset)).Methods(http.MethodPost)
	r.Handle("/v1/users/{username}/lock", s.handle(s.lock(true))).Methods(http.MethodPost)
	r.Handle("/v1/users/{username}/unlock", s.handle(s.lock(false))).Methods(http.MethodPost)
	r.Handle("/v1/users/{username}/sessions", s.handle(s.endSessions)).Methods(http.MethodDelete)
	r.Handle("/v1/users/{username}", s.handle(s.deleteUser)).Methods(http.MethodDelete)
	r.NotFoundHandler = s.handle(func(http.ResponseWriter, *http.Request) error {
		return chat.Errorf(chat.ENotFound, "no such admin endpoint")
	})
	r.MethodNotAllowedHandler = s.handle(func(http.ResponseWriter, *http.Request) error {
		return &statusError{http.StatusMethodNotAllowed, chat.Errorf(chat.EBadRequest, "method not allowed")}
	})
	s.router = r
}

// HTTPServer returns an http.Server for the admin socket, reading each
// connection's peer credentials.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s,
		ConnContext:       connContext,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

// ServeHTTP checks the caller, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	peer := PeerFrom(r.Context())
	if !peer.Known || (peer.UID != 0 && peer.UID != s.selfUID) {
		s.deny(w, r, peer, "only root or the daemon's own user may use the admin socket")
		return
	}
	// A browser tricked into talking to the socket through a proxy would
	// send these; minimostctl and curl never do.
	if r.Header.Get("Origin") != "" || r.Header.Get("Referer") != "" {
		s.deny(w, r, peer, "browser requests are refused")
		return
	}
	s.router.ServeHTTP(w, r)
}

func (s *Server) deny(w http.ResponseWriter, r *http.Request, peer Peer, msg string) {
	s.audit.Record(audit.Event{Kind: audit.AccessDenied, Src: peer.Src(), Detail: r.Method + " " + r.URL.Path})
	w.Header().Set("Connection", "close")
	writeError(w, chat.Errorf(chat.EForbidden, "%s", msg))
}

// handlerFunc is an admin handler; a returned error is written by handle.
type handlerFunc func(http.ResponseWriter, *http.Request) error

func (s *Server) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			if chat.ErrorCode(err) == chat.EInternal {
				s.log.Error("admin: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
			}
			writeError(w, err)
		}
	})
}

// statusError overrides the status a code would map to (405 has no code).
type statusError struct {
	status int
	err    *chat.Error
}

func (e *statusError) Error() string { return e.err.Error() }
func (e *statusError) Unwrap() error { return e.err }

// statusOf maps error codes to HTTP statuses, once for the admin API.
var statusOf = map[string]int{
	chat.EBadRequest:     http.StatusBadRequest,
	chat.EForbidden:      http.StatusForbidden,
	chat.ENotFound:       http.StatusNotFound,
	chat.EConflict:       http.StatusConflict,
	chat.EGone:           http.StatusGone,
	chat.EInternal:       http.StatusInternalServerError,
	chat.ERateLimited:    http.StatusTooManyRequests,
	chat.EWeakPassword:   http.StatusBadRequest,
	chat.EPasswordReused: http.StatusBadRequest,
}

func writeError(w http.ResponseWriter, err error) {
	code := chat.ErrorCode(err)
	status, ok := statusOf[code]
	if !ok {
		status = http.StatusBadRequest
	}
	var se *statusError
	if errors.As(err, &se) {
		status = se.status
	}
	body := ErrorBody{Error: code, Message: chat.ErrorMessage(err)}
	var ce *chat.Error
	if errors.As(err, &ce) {
		body.Field = ce.Field
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) error {
	st, err := s.backend.Status(r.Context())
	if err != nil {
		return err
	}
	if st.Listeners == nil {
		st.Listeners = []string{}
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) reload(w http.ResponseWriter, r *http.Request) error {
	res, err := s.backend.Reload(r.Context())
	if err != nil {
		return err
	}
	if res.Changed == nil {
		res.Changed = []string{}
	}
	if res.RestartRequired == nil {
		res.RestartRequired = []string{}
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// backup copies the store into a private temporary file first, so the
// answer's length is known up front (the client detects a cut stream) and
// the database is not held open for as long as a slow reader takes. The
// file is unlinked as soon as it is open: nothing is left behind even if
// the daemon dies mid-stream.
func (s *Server) backup(w http.ResponseWriter, r *http.Request) error {
	src := PeerFrom(r.Context()).Src()
	fail := func(detail string, err error) error {
		s.audit.Record(audit.Event{Kind: audit.AdminBackup, Src: src, Detail: detail})
		return fmt.Errorf("admin: backup: %w", err)
	}
	name := make([]byte, 8)
	rand.Read(name)
	tmp := filepath.Join(s.tmpDir, ".backup-"+hex.EncodeToString(name)+".db")
	err := s.backend.Backup(r.Context(), tmp)
	var f *os.File
	if err == nil {
		f, err = os.Open(tmp)
	}
	os.Remove(tmp)
	if err != nil {
		return fail("snapshot failed", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fail("snapshot unreadable", err)
	}
	s.audit.Record(audit.Event{Kind: audit.AdminBackup, Success: true, Src: src, Detail: fmt.Sprintf("%d bytes", fi.Size())})
	w.Header().Set("Content-Type", "application/vnd.sqlite3")
	w.Header().Set("Content-Length", strconv.FormatInt(fi.Size(), 10))
	w.Header().Set("Content-Disposition", `attachment; filename="minimost-backup.db"`)
	if n, err := io.Copy(w, f); err != nil {
		s.audit.Record(audit.Event{Kind: audit.AdminBackup, Src: src, Detail: "stream cut"})
		s.log.Warn("admin: backup stream cut", "sent", n, "size", fi.Size(), "err", err)
	}
	return nil
}

func (s *Server) users(w http.ResponseWriter, r *http.Request) error {
	us, err := s.backend.Users(r.Context())
	if err != nil {
		return err
	}
	if us == nil {
		us = []UserSummary{}
	}
	writeJSON(w, http.StatusOK, us)
	return nil
}

func (s *Server) passwordReset(w http.ResponseWriter, r *http.Request) error {
	var req ResetRequest
	if r.ContentLength != 0 {
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
		if err := dec.Decode(&req); err != nil {
			return chat.Errorf(chat.EBadRequest, "the body must be a JSON object with expires_minutes and base_url")
		}
	}
	ans, err := s.backend.PasswordReset(r.Context(), mux.Vars(r)["username"], req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ans)
	return nil
}

func (s *Server) lock(locked bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := s.backend.SetLocked(r.Context(), mux.Vars(r)["username"], locked); err != nil {
			return err
		}
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func (s *Server) endSessions(w http.ResponseWriter, r *http.Request) error {
	if err := s.backend.EndSessions(r.Context(), mux.Vars(r)["username"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	mode := r.URL.Query().Get("mode")
	if mode == "" {
		mode = ModeSoft
	}
	if mode != ModeSoft && mode != ModeHard {
		return chat.FieldError(chat.EBadRequest, "mode", "mode must be soft or hard")
	}
	if err := s.backend.DeleteUser(r.Context(), mux.Vars(r)["username"], mode); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
