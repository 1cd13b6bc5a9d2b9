package admin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/minimost/minimost/pkg/audit"
	"github.com/minimost/minimost/pkg/chat"
	"github.com/minimost/minimost/pkg/testdeps"
)

// fakeBackend stands in for the daemon, which the cmd/minimost tests
// exercise for real; here the protocol is under test.
type fakeBackend struct {
	reloadErr error
	backup    []byte
	calls     []string
}

func (f *fakeBackend) Status(ctx context.Context) (Status, error) {
	return Status{Version: "1.2.3", Listeners: []string{"https 127.0.0.1:6767"}, SocketActivated: true}, nil
}

func (f *fakeBackend) Reload(ctx context.Context) (ReloadResult, error) {
	if f.reloadErr != nil {
		return ReloadResult{}, f.reloadErr
	}
	return ReloadResult{Changed: []string{"stun_port"}, RestartRequired: []string{"stun_port"}}, nil
}

func (f *fakeBackend) Backup(ctx context.Context, dest string) error {
	return os.WriteFile(dest, f.backup, 0o600)
}

func (f *fakeBackend) Users(ctx context.Context) ([]UserSummary, error) {
	return []UserSummary{{Username: "bob", Sessions: 2}}, nil
}

func (f *fakeBackend) PasswordReset(ctx context.Context, username string, req ResetRequest) (ResetAnswer, error) {
	if username != "bob" {
		return ResetAnswer{}, chat.Errorf(chat.ENotFound, "no such user")
	}
	return ResetAnswer{URL: req.BaseURL + "/reset-password/x", ExpiresAt: int64(req.ExpiresMinutes)}, nil
}

func (f *fakeBackend) SetLocked(ctx context.Context, username string, locked bool) error {
	f.calls = append(f.calls, fmt.Sprintf("lock %s %v", username, locked))
	return nil
}

func (f *fakeBackend) DeleteUser(ctx context.Context, username, mode string) error {
	f.calls = append(f.calls, "delete "+username+" "+mode)
	return nil
}

func (f *fakeBackend) EndSessions(ctx context.Context, username string) error {
	f.calls = append(f.calls, "logout "+username)
	return nil
}

// TestUserRoutes checks the user endpoints' paths, bodies and status codes
// through the shared client.
func TestUserRoutes(t *testing.T) {
	fb := &fakeBackend{}
	sock, _ := serve(t, fb)
	c := NewClient(sock)
	ctx := context.Background()
	us, _, err := c.Users(ctx)
	if err != nil || len(us) != 1 || us[0].Username != "bob" || us[0].Sessions != 2 {
		t.Fatalf("Users = %+v, %v", us, err)
	}
	ans, _, err := c.PasswordReset(ctx, "bob", ResetRequest{ExpiresMinutes: 90, BaseURL: "https://chat"})
	if err != nil || ans.URL != "https://chat/reset-password/x" || ans.ExpiresAt != 90 {
		t.Fatalf("PasswordReset = %+v, %v", ans, err)
	}
	_, _, err = c.PasswordReset(ctx, "nobody", ResetRequest{})
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 404 {
		t.Fatalf("PasswordReset of an unknown user = %v, want 404", err)
	}
	if err := c.SetLocked(ctx, "a b", true); err != nil {
		t.Fatal(err)
	}
	if err := c.SetLocked(ctx, "bob", false); err != nil {
		t.Fatal(err)
	}
	if err := c.EndSessions(ctx, "bob"); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteUser(ctx, "bob", ModeHard); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteUser(ctx, "bob", "gone"); !errors.As(err, &ae) || ae.Status != 400 {
		t.Fatalf("DeleteUser with a bad mode = %v, want 400", err)
	}
	want := "lock a b true|lock bob false|logout bob|delete bob hard"
	if got := strings.Join(fb.calls, "|"); got != want {
		t.Errorf("calls = %q, want %q", got, want)
	}
}

type records struct {
	mu  sync.Mutex
	evs []audit.Event
}

func (r *records) Record(e audit.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evs = append(r.evs, e)
}

func (r *records) all() []audit.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]audit.Event(nil), r.evs...)
}

func serve(t *testing.T, b Backend) (string, *records) {
	t.Helper()
	return serveAs(t, b, os.Getuid())
}

// serveAs serves the admin API as if the daemon ran as selfUID.
func serveAs(t *testing.T, b Backend, selfUID int) (string, *records) {
	t.Helper()
	// Not t.TempDir: its parent is private, and one test connects as an
	// unprivileged uid that must reach the socket to be refused by it.
	dir, err := os.MkdirTemp("", "minimost-admin-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "admin.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	rec := &records{}
	as := NewServer(b, rec, slog.New(slog.DiscardHandler), dir)
	as.selfUID = selfUID
	srv := as.HTTPServer()
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return sock, rec
}

func TestStatusReloadBackup(t *testing.T) {
	fb := &fakeBackend{backup: bytes.Repeat([]byte("sqlite"), 100000)}
	sock, rec := serve(t, fb)
	c := NewClient(sock)
	ctx := context.Background()

	st, raw, err := c.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !st.SocketActivated || st.Version != "1.2.3" || len(st.Listeners) != 1 {
		t.Errorf("status = %+v", st)
	}
	if !strings.Contains(string(raw), `"socket_activated": true`) {
		t.Errorf("raw status lacks socket_activated: %s", raw)
	}

	res, _, err := c.Reload(ctx)
	if err != nil || len(res.RestartRequired) != 1 {
		t.Fatalf("Reload = %+v, %v", res, err)
	}
	fb.reloadErr = &chat.Error{Code: chat.EBadRequest, Message: "settings: x: stun_port: must be between 1 and 65535"}
	_, _, err = c.Reload(ctx)
	var ae *APIError
	if !errors.As(err, &ae) || ae.Status != 400 || ae.ErrorBody.Error != "bad_request" || !strings.Contains(ae.Message, "stun_port") {
		t.Fatalf("Reload with a bad file = %#v", err)
	}

	var buf bytes.Buffer
	n, err := c.Backup(ctx, &buf)
	if err != nil || n != int64(len(fb.backup)) || !bytes.Equal(buf.Bytes(), fb.backup) {
		t.Fatalf("Backup = %d, %v", n, err)
	}
	evs := rec.all()
	if len(evs) != 1 || evs[0].Kind != audit.AdminBackup || !evs[0].Success || evs[0].Src != "admin:uid="+strconv.Itoa(os.Getuid()) {
		t.Errorf("audit records = %+v", evs)
	}
	// The temporary copy is gone once streamed.
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(sock), ".backup-*"))
	if len(left) != 0 {
		t.Errorf("backup temporaries left behind: %v", left)
	}
}

func TestRoutingErrors(t *testing.T) {
	sock, _ := serve(t, &fakeBackend{})
	c := NewClient(sock)
	for _, tt := range []struct {
		method, path string
		status       int
		code         string
	}{
		{http.MethodGet, "/v1/nope", 404, "not_found"},
		{http.MethodPost, "/v1/status", 405, "bad_request"},
		{http.MethodGet, "/v1/reload", 405, "bad_request"},
	} {
		_, err := c.Do(context.Background(), tt.method, tt.path, nil)
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != tt.status || ae.ErrorBody.Error != tt.code {
			t.Errorf("%s %s = %v, want %d %s", tt.method, tt.path, err, tt.status, tt.code)
		}
	}
}

func TestBrowserRequestsRefused(t *testing.T) {
	sock, rec := serve(t, &fakeBackend{})
	for _, h := range []string{"Origin", "Referer"} {
		tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return net.Dial("unix", sock)
		}}
		req, _ := http.NewRequest(http.MethodGet, "http://minimost/v1/status", nil)
		req.Header.Set(h, "https://evil.example")
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s header: status %d, want 403", h, resp.StatusCode)
		}
	}
	evs := rec.all()
	if len(evs) != 2 || evs[0].Kind != audit.AccessDenied || evs[0].Detail != "GET /v1/status" {
		t.Errorf("audit = %+v, want two access_denied records", evs)
	}
}

func TestDialErrors(t *testing.T) {
	dir := t.TempDir()
	_, _, err := NewClient(filepath.Join(dir, "missing.sock")).Status(context.Background())
	var de *DialError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "no such socket") || !strings.Contains(err.Error(), "missing.sock") || !strings.Contains(err.Error(), "systemctl status minimost.socket") {
		t.Errorf("missing socket: %v", err)
	}
	// A socket file nobody listens on any more.
	stale := filepath.Join(dir, "stale.sock")
	l, err := net.Listen("unix", stale)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	_, _, err = NewClient(stale).Status(context.Background())
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("stale socket: %v", err)
	}
}

// TestPeerCredentials connects with curl as a uid the daemon does not
// serve: the kernel reports that uid and the daemon refuses it, with an
// audit record. As root the test drops to uid 65534; otherwise it runs a
// server that believes it belongs to another user.
func TestPeerCredentials(t *testing.T) {
	curl := testdeps.Need(t, "curl", "curl")
	refused := 65534
	selfUID := os.Getuid()
	if selfUID != 0 {
		refused, selfUID = os.Getuid(), os.Getuid()+1
	}
	sock, rec := serveAs(t, &fakeBackend{}, selfUID)
	if err := os.Chmod(filepath.Dir(sock), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(sock, 0o666); err != nil {
		t.Fatal(err)
	}

	run := func(uid int) string {
		cmd := exec.Command(curl, "-s", "--unix-socket", sock, "http://minimost/v1/status")
		if uid != os.Getuid() {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
		}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("curl as uid %d: %v", uid, err)
		}
		return string(out)
	}
	if os.Getuid() == 0 {
		if out := run(0); !strings.Contains(out, `"version": "1.2.3"`) {
			t.Errorf("root got %s", out)
		}
	}
	if out := run(refused); !strings.Contains(out, `"error": "forbidden"`) {
		t.Errorf("uid %d got %s, want forbidden", refused, out)
	}
	evs := rec.all()
	if want := "admin:uid=" + strconv.Itoa(refused); len(evs) != 1 || evs[0].Kind != audit.AccessDenied || evs[0].Src != want {
		t.Errorf("audit = %+v, want access_denied from %s", evs, want)
	}
}
