package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	pion "github.com/pion/stun/v2"

	"github.com/minimost/minimost/pkg/admin"
	"github.com/minimost/minimost/pkg/testdeps"
)

// The tests start this test binary as the daemon: with MINIMOST_TEST_DAEMON
// set, TestMain runs main's code path instead of the tests, so the daemon
// under test is the real program, built with the race detector.
const daemonEnv = "MINIMOST_TEST_DAEMON"

// ctlPath is a minimostctl built for these tests.
var ctlPath string

func TestMain(m *testing.M) {
	if os.Getenv(daemonEnv) == "1" {
		os.Exit(exitCode(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr), os.Stderr))
	}
	dir, err := os.MkdirTemp("", "minimostctl-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctlPath = filepath.Join(dir, "minimostctl")
	out, err := exec.Command("go", "build", "-o", ctlPath, "../minimostctl").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building minimostctl: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// listenNotify opens a socket where NOTIFY_SOCKET can point.
func listenNotify(path string) (*net.UnixConn, error) {
	return net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
}

// proc is one daemon under test.
type proc struct {
	t       *testing.T
	cmd     *exec.Cmd
	stderr  *syncBuffer
	notify  chan string
	done    chan struct{}
	exitErr error
	dataDir string
	socket  string
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type launch struct {
	args  []string
	env   []string
	files []*os.File // passed as fds 3, 4, …
	names string     // LISTEN_FDNAMES
}

// start runs the daemon as systemd would: passed descriptors with
// LISTEN_PID naming the daemon itself (set by a shell that then execs it),
// and a NOTIFY_SOCKET this test reads.
func start(t *testing.T, l launch) *proc {
	t.Helper()
	p := &proc{t: t, stderr: &syncBuffer{}, notify: make(chan string, 64), done: make(chan struct{})}
	nsPath := filepath.Join(t.TempDir(), "notify.sock")
	ns, err := listenNotify(nsPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ns.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := ns.Read(buf)
			if err != nil {
				return
			}
			p.notify <- string(buf[:n])
		}
	}()
	script := `exec "$0" "$@"`
	if len(l.files) > 0 {
		script = `LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"`
	}
	p.cmd = exec.Command("/bin/sh", append([]string{"-c", script, os.Args[0]}, l.args...)...)
	p.cmd.Env = append(os.Environ(), daemonEnv+"=1", "NOTIFY_SOCKET="+nsPath)
	if len(l.files) > 0 {
		p.cmd.Env = append(p.cmd.Env, fmt.Sprintf("LISTEN_FDS=%d", len(l.files)), "LISTEN_FDNAMES="+l.names)
	}
	p.cmd.Env = append(p.cmd.Env, l.env...)
	p.cmd.ExtraFiles = l.files
	p.cmd.Stderr = p.stderr
	p.cmd.Stdout = p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for _, f := range l.files {
		f.Close()
	}
	go func() {
		p.exitErr = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("daemon output:\n%s", p.stderr.String())
		}
	})
	return p
}

// expect waits for the next sd_notify message and checks it starts with
// each of the given lines in order.
func (p *proc) expect(prefixes ...string) string {
	p.t.Helper()
	select {
	case m := <-p.notify:
		lines := strings.Split(m, "\n")
		for i, want := range prefixes {
			if i >= len(lines) || !strings.HasPrefix(lines[i], want) {
				p.t.Fatalf("sd_notify %q, want lines starting %q", m, prefixes)
			}
		}
		return m
	case <-p.done:
		p.t.Fatalf("daemon exited (%v) while waiting for %q", p.exitErr, prefixes)
	case <-time.After(60 * time.Second):
		p.t.Fatalf("no sd_notify %q within 60 s", prefixes)
	}
	return ""
}

// wait returns the daemon's exit status.
func (p *proc) wait() int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		p.t.Fatal("daemon did not exit within 60 s")
	}
	if p.exitErr == nil {
		return 0
	}
	if ee, ok := p.exitErr.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	p.t.Fatal(p.exitErr)
	return -1
}

func (p *proc) signal(s os.Signal) {
	p.t.Helper()
	// The shell exec'd the daemon, so the child pid is the daemon's.
	if err := p.cmd.Process.Signal(s); err != nil {
		p.t.Fatal(err)
	}
}

// ctl runs minimostctl and returns its stdout, stderr and exit status.
func ctl(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(ctlPath, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func fileOf(t *testing.T, c interface{ File() (*os.File, error) }) *os.File {
	t.Helper()
	f, err := c.File()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// fetchCA gets /ca.pem without trusting anything yet (that is what a user
// does first) and returns a pool holding only that CA.
func fetchCA(t *testing.T, addr string) (*x509.CertPool, []byte) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
	resp, err := c.Get("https://" + addr + "/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	pemBytes, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/x-pem-file" {
		t.Fatalf("/ca.pem: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemBytes) {
		t.Fatalf("/ca.pem holds no certificate: %q", pemBytes)
	}
	return pool, pemBytes
}

// healthz checks /healthz over TLS verified with pool alone.
func healthz(t *testing.T, addr string, pool *x509.CertPool) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("/healthz with only the served CA trusted: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || string(body) != "ok" {
		t.Fatalf("/healthz = %d %q", resp.StatusCode, body)
	}
}

// stunBinding sends a Binding request to addr and checks the answer maps
// this client's own address.
func stunBinding(t *testing.T, addr string) {
	t.Helper()
	c, err := net.Dial("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	req := pion.MustBuild(pion.TransactionID, pion.BindingRequest)
	if _, err := c.Write(req.Raw); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 1500)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatalf("no STUN answer from %s: %v", addr, err)
	}
	res := &pion.Message{Raw: buf[:n]}
	if err := res.Decode(); err != nil {
		t.Fatal(err)
	}
	var xor pion.XORMappedAddress
	if err := xor.GetFrom(res); err != nil {
		t.Fatal(err)
	}
	local := c.LocalAddr().(*net.UDPAddr)
	if res.Type != pion.BindingSuccess || res.TransactionID != req.TransactionID || !xor.IP.Equal(local.IP) || xor.Port != local.Port {
		t.Fatalf("STUN answer %v %v, want success mapping %v", res.Type, xor, local)
	}
}

func statusJSON(t *testing.T, socket string) admin.Status {
	t.Helper()
	out, errOut, code := ctl(t, nil, "--socket", socket, "status", "--json")
	if code != 0 {
		t.Fatalf("minimostctl status --json: exit %d: %s", code, errOut)
	}
	var st admin.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json printed %q: %v", out, err)
	}
	return st
}

// TestSocketActivated is the systemd journey without systemd: three named
// sockets, NOTIFY_SOCKET, STATE_DIRECTORY and CONFIGURATION_DIRECTORY.
func TestSocketActivated(t *testing.T) {
	state, confDir := t.TempDir(), t.TempDir()
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer tl.Close()
	uc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	sock := filepath.Join(t.TempDir(), "admin.sock")
	ul, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	ul.(*net.UnixListener).SetUnlinkOnClose(false)
	defer ul.Close()
	settings := filepath.Join(confDir, "settings.json")
	if err := os.WriteFile(settings, []byte(`{"max_login_attempts": 3}`), 0o644); err != nil {
		t.Fatal(err)
	}

	p := start(t, launch{
		files: []*os.File{fileOf(t, tl.(*net.TCPListener)), fileOf(t, uc.(*net.UDPConn)), fileOf(t, ul.(*net.UnixListener))},
		names: "https:stun:admin",
		env:   []string{"STATE_DIRECTORY=" + state, "CONFIGURATION_DIRECTORY=" + confDir},
	})
	p.expect("READY=1", "STATUS=serving https "+tl.Addr().String())
	httpsAddr := tl.Addr().String()

	pool, pemBytes := fetchCA(t, httpsAddr)
	onDisk, err := os.ReadFile(filepath.Join(state, "tls", "ca.pem"))
	if err != nil || !bytes.Equal(onDisk, pemBytes) {
		t.Fatalf("/ca.pem differs from the state directory's tls/ca.pem (%v)", err)
	}
	healthz(t, httpsAddr, pool)
	stunBinding(t, uc.LocalAddr().String())

	st := statusJSON(t, sock)
	if !st.SocketActivated {
		t.Error("socket_activated = false with three passed sockets")
	}
	wantListeners := []string{"https " + httpsAddr, "stun " + uc.LocalAddr().String(), "admin " + sock}
	if strings.Join(st.Listeners, "|") != strings.Join(wantListeners, "|") {
		t.Errorf("listeners = %q, want %q", st.Listeners, wantListeners)
	}

	// SIGHUP reloads: RELOADING=1 with MONOTONIC_USEC, then READY=1.
	p.signal(syscall.SIGHUP)
	p.expect("RELOADING=1", "MONOTONIC_USEC=")
	p.expect("READY=1")

	// A good change is listed; a restart-only key is flagged.
	if err := os.WriteFile(settings, []byte(`{"max_login_attempts": 4, "stun_port": 3479}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := ctl(t, []string{admin.SocketEnv + "=" + sock}, "reload", "--json")
	p.expect("RELOADING=1")
	p.expect("READY=1")
	var res admin.ReloadResult
	if code != 0 || json.Unmarshal([]byte(out), &res) != nil {
		t.Fatalf("reload: exit %d %q %q", code, out, errOut)
	}
	if strings.Join(res.Changed, ",") != "max_login_attempts,stun_port" || strings.Join(res.RestartRequired, ",") != "stun_port" {
		t.Errorf("reload = %+v", res)
	}

	// A broken file is refused: the reload names the key, the old settings
	// keep serving, STATUS says so.
	if err := os.WriteFile(settings, []byte(`{"max_login_attempts": "five"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = ctl(t, nil, "--socket", sock, "reload")
	p.expect("RELOADING=1")
	ready := p.expect("READY=1")
	if code != 1 || !strings.Contains(errOut, "max_login_attempts") {
		t.Errorf("reload of a broken file: exit %d, stderr %q; want 1 naming max_login_attempts", code, errOut)
	}
	if !strings.Contains(ready, "max_login_attempts") {
		t.Errorf("STATUS after a failed reload = %q, want the error", ready)
	}
	healthz(t, httpsAddr, pool)
	if !strings.Contains(p.stderr.String(), "settings.json: max_login_attempts") {
		t.Errorf("the failed reload was not logged with the key")
	}

	p.signal(syscall.SIGTERM)
	p.expect("STOPPING=1")
	if code := p.wait(); code != 0 {
		t.Fatalf("exit status %d after SIGTERM, want 0", code)
	}
	audit, err := os.ReadFile(filepath.Join(state, "audit.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"event=tls_generated outcome=success", "event=settings_reload outcome=success", "event=settings_reload outcome=failure"} {
		if !strings.Contains(string(audit), want) {
			t.Errorf("audit.log lacks %q:\n%s", want, audit)
		}
	}
}

// byHand starts the daemon with its own sockets on ephemeral ports and
// returns it once the admin API answers.
func byHand(t *testing.T, dataDir string, extra ...string) (*proc, admin.Status) {
	t.Helper()
	p := start(t, launch{args: append([]string{"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--data-dir", dataDir}, extra...)})
	p.expect("READY=1")
	p.socket = filepath.Join(dataDir, "admin.sock")
	p.dataDir = dataDir
	return p, statusJSON(t, p.socket)
}

func listener(t *testing.T, st admin.Status, kind string) string {
	t.Helper()
	for _, l := range st.Listeners {
		if addr, ok := strings.CutPrefix(l, kind+" "); ok {
			return addr
		}
	}
	t.Fatalf("no %s listener in %q", kind, st.Listeners)
	return ""
}

func TestByHand(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	p, st := byHand(t, data)
	if st.SocketActivated {
		t.Error("socket_activated = true for a daemon that bound its own sockets")
	}
	httpsAddr := listener(t, st, "https")
	pool, _ := fetchCA(t, httpsAddr)
	healthz(t, httpsAddr, pool)
	stunBinding(t, listener(t, st, "stun"))
	if fi, err := os.Stat(p.socket); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("admin socket mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}

	// A second daemon on the same directory refuses, naming the lock.
	second := start(t, launch{args: []string{"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--data-dir", data}})
	if code := second.wait(); code != 1 {
		t.Errorf("second daemon exit %d, want 1", code)
	}
	if out := second.stderr.String(); !strings.Contains(out, "minimost.lock") || !strings.Contains(out, "another minimost") {
		t.Errorf("second daemon said %q; want it to name the lock", out)
	}
	healthz(t, httpsAddr, pool)

	p.signal(syscall.SIGTERM)
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}
	if _, err := os.Stat(p.socket); err == nil {
		t.Error("admin socket left behind after shutdown")
	}
}

// TestBackupWhileWriting takes a backup with minimostctl while another
// process writes to the same database, and checks the copy with the sqlite3
// shell.
func TestBackupWhileWriting(t *testing.T) {
	sqlite := testdeps.Need(t, "sqlite3", "sqlite3")
	data := filepath.Join(t.TempDir(), "data")
	p, _ := byHand(t, data)

	ctx, cancel := context.WithCancel(context.Background())
	writer := exec.CommandContext(ctx, sqlite, filepath.Join(data, "minimost.db"))
	var script strings.Builder
	script.WriteString(".timeout 10000\n")
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&script, "INSERT INTO meta (key, value) VALUES ('load-%d', hex(randomblob(300)));\n", i)
	}
	writer.Stdin = strings.NewReader(script.String())
	if err := writer.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)

	out := filepath.Join(t.TempDir(), "backup.db")
	stdout, stderr, code := ctl(t, nil, "--socket", p.socket, "backup", "-o", out)
	cancel()
	writer.Wait()
	if code != 0 {
		t.Fatalf("backup: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, out) {
		t.Errorf("backup printed %q", stdout)
	}
	fi, err := os.Stat(out)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup file mode %v (%v), want 0600", fi.Mode().Perm(), err)
	}
	if _, err := os.Stat(out + ".tmp"); err == nil {
		t.Error("FILE.tmp left behind")
	}
	check, err := exec.Command(sqlite, out, "PRAGMA integrity_check; SELECT count(*) >= 0 FROM schema_migrations;").CombinedOutput()
	if err != nil || strings.TrimSpace(string(check)) != "ok\n1" {
		t.Fatalf("sqlite3 on the backup: %v %q", err, check)
	}
	left, _ := filepath.Glob(filepath.Join(data, ".backup-*"))
	if len(left) != 0 {
		t.Errorf("temporary backups left in the state directory: %v", left)
	}
	p.signal(syscall.SIGTERM)
	if code := p.wait(); code != 0 {
		t.Fatalf("exit %d after SIGTERM", code)
	}
}

// TestStartRefusals covers what must stop the daemon before READY=1.
func TestStartRefusals(t *testing.T) {
	busy, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()

	tests := []struct {
		name     string
		settings string
		args     []string
		files    func() []*os.File
		names    string
		code     int
		want     string
	}{
		{name: "bad settings", settings: `{"stun_port": 0}`, code: 1, want: "minimost: settings: "},
		{name: "unknown key", settings: `{"max_login_attemps": 3}`, code: 1, want: "max_login_attemps: unknown key"},
		{name: "stun port busy", args: []string{"--stun-listen", busy.LocalAddr().String()}, code: 1, want: "stun: cannot listen on " + busy.LocalAddr().String()},
		{name: "udp socket named https", files: func() []*os.File { return []*os.File{fileOf(t, udp.(*net.UDPConn))} }, names: "https", code: 1, want: `socket "https": wrong socket type`},
		{name: "unknown socket name", files: func() []*os.File { return []*os.File{fileOf(t, udp.(*net.UDPConn))} }, names: "turn", code: 1, want: `unknown socket name "turn"`},
		{name: "usage", args: []string{"--no-such-flag"}, code: 2, want: "flag provided but not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			os.MkdirAll(data, 0o700)
			if tt.settings != "" {
				os.WriteFile(filepath.Join(data, "settings.json"), []byte(tt.settings), 0o644)
			}
			args := append([]string{"--listen", "127.0.0.1:0", "--stun-listen", "127.0.0.1:0", "--data-dir", data}, tt.args...)
			l := launch{args: args, names: tt.names}
			if tt.files != nil {
				l.files = tt.files()
			}
			p := start(t, l)
			if code := p.wait(); code != tt.code {
				t.Fatalf("exit %d, want %d; output %q", code, tt.code, p.stderr.String())
			}
			if out := p.stderr.String(); !strings.Contains(out, tt.want) {
				t.Fatalf("output %q lacks %q", out, tt.want)
			}
			select {
			case m := <-p.notify:
				t.Errorf("sd_notify %q from a daemon that refused to start", m)
			default:
			}
			if _, err := os.Stat(filepath.Join(data, "admin.sock")); err == nil {
				t.Error("the admin socket was bound before the refusal")
			}
		})
	}
}
