package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"syscall"
)

// Client talks to the admin socket; minimostctl and the tests share it.
type Client struct {
	socket string
	hc     *http.Client
}

// NewClient returns a client for the socket at path.
func NewClient(path string) *Client {
	c := &Client{socket: path}
	c.hc = &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			conn, err := d.DialContext(ctx, "unix", path)
			if err != nil {
				return nil, &DialError{Socket: path, Err: err}
			}
			return conn, nil
		},
		DisableKeepAlives: true,
	}}
	return c
}

// Socket returns the path the client dials.
func (c *Client) Socket() string { return c.socket }

// DialError means the daemon could not be reached (minimostctl exit 3).
type DialError struct {
	Socket string
	Err    error
}

// Error names the socket, the reason and what to try.
func (e *DialError) Error() string {
	switch {
	case errors.Is(e.Err, os.ErrPermission):
		return fmt.Sprintf("cannot reach minimost at %s: permission denied (run minimostctl as root)", e.Socket)
	case errors.Is(e.Err, os.ErrNotExist):
		return fmt.Sprintf("cannot reach minimost at %s: no such socket (is it running? try: systemctl status minimost.socket)", e.Socket)
	case errors.Is(e.Err, syscall.ECONNREFUSED):
		return fmt.Sprintf("cannot reach minimost at %s: connection refused (is it running? try: systemctl status minimost.socket)", e.Socket)
	}
	return fmt.Sprintf("cannot reach minimost at %s: %v (try: systemctl status minimost.socket)", e.Socket, e.Err)
}

// Unwrap returns the dial error.
func (e *DialError) Unwrap() error { return e.Err }

// APIError is a refusal by the daemon (minimostctl exit 1).
type APIError struct {
	Status int
	ErrorBody
}

// Error returns the daemon's message.
func (e *APIError) Error() string {
	if e.Message != "" {
		return e.Message
	}
	return fmt.Sprintf("the daemon answered %d %s", e.Status, e.ErrorBody.Error)
}

// Do sends one request and returns the answer's body when the status is
// 2xx. Errors are *DialError or *APIError, or the I/O error of a cut answer.
func (c *Client) Do(ctx context.Context, method, path string, body any) ([]byte, error) {
	resp, err := c.send(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

func (c *Client) send(ctx context.Context, method, path string, body any) (*http.Response, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://minimost"+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		var de *DialError
		if errors.As(err, &de) {
			return nil, de
		}
		return nil, fmt.Errorf("admin socket %s: %w", c.socket, err)
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		ae := &APIError{Status: resp.StatusCode}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(b, &ae.ErrorBody) != nil || ae.ErrorBody.Error == "" {
			ae.ErrorBody = ErrorBody{Error: "internal", Message: fmt.Sprintf("unexpected answer %d from the daemon", resp.StatusCode)}
		}
		return nil, ae
	}
	return resp, nil
}

// getJSON decodes a JSON answer into v and also returns it unchanged.
func (c *Client) getJSON(ctx context.Context, method, path string, body, v any) ([]byte, error) {
	raw, err := c.Do(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return nil, fmt.Errorf("admin socket %s: bad answer to %s: %w", c.socket, path, err)
	}
	return raw, nil
}

// Status fetches GET /v1/status.
func (c *Client) Status(ctx context.Context) (Status, []byte, error) {
	var st Status
	raw, err := c.getJSON(ctx, http.MethodGet, "/v1/status", nil, &st)
	return st, raw, err
}

// Reload asks for POST /v1/reload.
func (c *Client) Reload(ctx context.Context) (ReloadResult, []byte, error) {
	var res ReloadResult
	raw, err := c.getJSON(ctx, http.MethodPost, "/v1/reload", nil, &res)
	return res, raw, err
}

// Backup streams GET /v1/backup into w and returns the bytes written. A
// stream shorter than announced is an error, so a half backup is never
// taken for a whole one.
func (c *Client) Backup(ctx context.Context, w io.Writer) (int64, error) {
	resp, err := c.send(ctx, http.MethodGet, "/v1/backup", nil)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(w, resp.Body)
	if err != nil {
		return n, fmt.Errorf("backup stream: %w", err)
	}
	if resp.ContentLength >= 0 && n != resp.ContentLength {
		return n, fmt.Errorf("backup stream cut after %d of %s bytes", n, strconv.FormatInt(resp.ContentLength, 10))
	}
	return n, nil
}

// Users fetches GET /v1/users.
func (c *Client) Users(ctx context.Context) ([]UserSummary, []byte, error) {
	var us []UserSummary
	raw, err := c.getJSON(ctx, http.MethodGet, "/v1/users", nil, &us)
	return us, raw, err
}

// PasswordReset asks for a reset link for username.
func (c *Client) PasswordReset(ctx context.Context, username string, req ResetRequest) (ResetAnswer, []byte, error) {
	var ans ResetAnswer
	raw, err := c.getJSON(ctx, http.MethodPost, "/v1/users/"+url.PathEscape(username)+"/password-reset", req, &ans)
	return ans, raw, err
}

// SetLocked locks or unlocks username.
func (c *Client) SetLocked(ctx context.Context, username string, locked bool) error {
	action := "/unlock"
	if locked {
		action = "/lock"
	}
	_, err := c.Do(ctx, http.MethodPost, "/v1/users/"+url.PathEscape(username)+action, nil)
	return err
}

// EndSessions logs username out everywhere.
func (c *Client) EndSessions(ctx context.Context, username string) error {
	_, err := c.Do(ctx, http.MethodDelete, "/v1/users/"+url.PathEscape(username)+"/sessions", nil)
	return err
}

// DeleteUser deletes username with mode ModeSoft or ModeHard.
func (c *Client) DeleteUser(ctx context.Context, username, mode string) error {
	_, err := c.Do(ctx, http.MethodDelete, "/v1/users/"+url.PathEscape(username)+"?mode="+url.QueryEscape(mode), nil)
	return err
}
