// Package admin is the admin protocol: HTTP/1.1 on a Unix socket, spoken by
// the daemon (Server) and by minimostctl and the tests (Client). The wire
// types live here so both sides read the same definitions. The package
// must not import the store: minimostctl links it and stays free of SQLite.
package admin

// Status is the answer of GET /v1/status.
type Status struct {
	Version         string   `json:"version"`
	UptimeS         int64    `json:"uptime_s"`
	Users           int64    `json:"users"`
	Connections     int64    `json:"connections"`
	Messages        int64    `json:"messages"`
	DBBytes         int64    `json:"db_bytes"`
	UploadsBytes    int64    `json:"uploads_bytes"`
	Listeners       []string `json:"listeners"`
	SocketActivated bool     `json:"socket_activated"`
}

// ReloadResult is the answer of POST /v1/reload.
type ReloadResult struct {
	Changed         []string `json:"changed"`
	RestartRequired []string `json:"restart_required"`
}

// UserSummary is one row of GET /v1/users.
type UserSummary struct {
	Username    string `json:"username"`
	CreatedAt   int64  `json:"created_at"`
	LastLoginAt *int64 `json:"last_login_at"`
	Locked      bool   `json:"locked"`
	Sessions    int    `json:"sessions"`
}

// ResetRequest is the body of POST /v1/users/{username}/password-reset;
// zero values take the defaults (60 minutes, the first HTTPS listener).
type ResetRequest struct {
	ExpiresMinutes int    `json:"expires_minutes,omitempty"`
	BaseURL        string `json:"base_url,omitempty"`
}

// ResetAnswer is a new reset link.
type ResetAnswer struct {
	URL       string `json:"url"`
	ExpiresAt int64  `json:"expires_at"`
}

// Deletion modes of DELETE /v1/users/{username}.
const (
	ModeSoft = "soft"
	ModeHard = "hard"
)

// ErrorBody is every error answer, as in api.md §1.
type ErrorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

// DefaultSocket is the admin socket under systemd.
const DefaultSocket = "/run/minimost/admin.sock"

// SocketEnv overrides the socket path for minimostctl.
const SocketEnv = "MINIMOST_ADMIN_SOCKET"
