package main

import (
	"bufio"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/minimost/minimost/pkg/admin"
)

// daemon is the MiniMost under test: one this program started (cmd set),
// which it may stop and restart, or one already running that it only
// attaches to.
type daemon struct {
	bin       string // the daemon binary, when started here
	settings  string // --config of the started daemon
	dataDir   string
	adminSock string
	logPath   string

	cmd    *exec.Cmd // nil when attached
	exited chan struct{}

	addr string // loopback HOST:PORT of the HTTPS listener
	pid  int
	ca   *x509.CertPool
}

// owned reports whether this program started the daemon (and may stop it).
func (d *daemon) owned() bool { return d.bin != "" }

// start execs the daemon on ephemeral loopback ports and waits until it
// serves. The address comes from the admin socket's status, the way
// minimostctl status --json shows it.
func (d *daemon) start(ctx context.Context) error {
	logf, err := os.OpenFile(d.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "---- minimost-loadtest: starting the daemon at %s\n", time.Now().Format(time.RFC3339))
	args := []string{
		"--listen", "127.0.0.1:0",
		"--stun-listen", "127.0.0.1:0",
		"--data-dir", d.dataDir,
		"--admin-socket", d.adminSock,
		"--config", d.settings,
	}
	// Not CommandContext: the daemon must get SIGTERM and drain, never a
	// SIGKILL because a context ended.
	cmd := exec.Command(d.bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Should this program die without stopping it, the daemon gets
	// SIGTERM rather than living on.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	// The daemon's environment without systemd's variables, so it binds
	// its own sockets even when this runs inside a unit.
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "STATE_DIRECTORY",
			"CONFIGURATION_DIRECTORY", "CREDENTIALS_DIRECTORY", "JOURNAL_STREAM", "WATCHDOG_USEC", "WATCHDOG_PID":
			continue
		}
		cmd.Env = append(cmd.Env, kv)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", d.bin, err)
	}
	d.cmd, d.pid = cmd, cmd.Process.Pid
	d.exited = make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(d.exited)
	}()
	if err := d.waitServing(ctx, 90*time.Second); err != nil {
		_ = d.stop()
		return fmt.Errorf("the daemon did not start (its log: %s): %w", d.logPath, err)
	}
	return nil
}

// attach finds a running daemon's pid and CA. d.addr is already set.
func (d *daemon) attach(ctx context.Context, pid int) error {
	if pid == 0 {
		var err error
		if pid, err = peerPID(d.adminSock); err != nil {
			return fmt.Errorf("finding the daemon's pid through %s (give --pid): %w", d.adminSock, err)
		}
	}
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return fmt.Errorf("daemon pid %d: %w", pid, err)
	}
	if !strings.HasPrefix(strings.TrimSpace(string(comm)), "minimost") {
		return fmt.Errorf("pid %d is %q, not the minimost daemon (socket-activated daemons need --pid)", pid, strings.TrimSpace(string(comm)))
	}
	d.pid = pid
	if err := d.loadCA(); err != nil {
		return err
	}
	return d.waitHealthy(ctx, 10*time.Second)
}

// waitServing polls the admin socket until the daemon names its HTTPS
// listener, then /healthz until it answers.
func (d *daemon) waitServing(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	ac := admin.NewClient(d.adminSock)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for d.addr == "" {
		select {
		case <-ctx.Done():
			return fmt.Errorf("no HTTPS listener reported on %s: %w", d.adminSock, ctx.Err())
		case <-d.exited:
			return fmt.Errorf("the daemon exited: %v", d.cmd.ProcessState)
		case <-tick.C:
		}
		st, _, err := ac.Status(ctx)
		if err != nil {
			continue
		}
		for _, l := range st.Listeners {
			if rest, ok := strings.CutPrefix(l, "https "); ok {
				addr, err := checkLoopback(rest)
				if err != nil {
					return err
				}
				d.addr = addr
			}
		}
	}
	if err := d.loadCA(); err != nil {
		return err
	}
	return d.waitHealthy(ctx, limit)
}

func (d *daemon) loadCA() error {
	pem, err := os.ReadFile(filepath.Join(d.dataDir, "tls", "ca.pem"))
	if err != nil {
		return fmt.Errorf("the daemon's CA: %w", err)
	}
	d.ca = x509.NewCertPool()
	if !d.ca.AppendCertsFromPEM(pem) {
		return errors.New("the daemon's tls/ca.pem holds no certificate")
	}
	return nil
}

// waitHealthy polls GET /healthz until 200.
func (d *daemon) waitHealthy(ctx context.Context, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	c := newAPI(d, 1)
	defer c.close()
	for {
		status, err := c.get(ctx, "/healthz", "", nil)
		if err == nil && status == 200 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("GET /healthz: status %d, %v (%w)", status, err, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM to the daemon this program started and waits for it
// to drain (at most 60 s, then SIGKILL). It does nothing when attached.
func (d *daemon) stop() error {
	if d.cmd == nil {
		return nil
	}
	defer func() { d.cmd, d.addr, d.pid = nil, "", 0 }()
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(60 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
		return errors.New("the daemon did not stop within 60 s of SIGTERM; killed")
	}
	if st := d.cmd.ProcessState; st != nil && !st.Success() {
		return fmt.Errorf("the daemon exited with %v (its log: %s)", st, d.logPath)
	}
	return nil
}

// status reads the admin socket's GET /v1/status.
func (d *daemon) status(ctx context.Context) (admin.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	st, _, err := admin.NewClient(d.adminSock).Status(ctx)
	return st, err
}

// waitConnections waits (at most limit) until the daemon counts at most n
// open event streams, so the next scenario starts from a known state.
func (d *daemon) waitConnections(ctx context.Context, n int64, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		st, err := d.status(ctx)
		if err != nil {
			return err
		}
		if st.Connections <= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the daemon still counts %d streams after %v (want at most %d)", st.Connections, limit, n)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// rssKiB reads the daemon's resident set size (VmRSS) in KiB.
func (d *daemon) rssKiB() (int64, error) {
	return procStatusKiB(d.pid, "VmRSS:")
}

// procStatusKiB reads one "Key:  N kB" line of /proc/<pid>/status.
func procStatusKiB(pid int, key string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseStatusKiB(f, key)
}

func parseStatusKiB(r io.Reader, key string) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), key); ok {
			v := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB"))
			return strconv.ParseInt(v, 10, 64)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no %s line", key)
}

// openFilesLimit reads the soft "Max open files" of pid.
func openFilesLimit(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/limits", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "Max open files"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				if f[0] == "unlimited" {
					return 1 << 62, nil
				}
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, errors.New("no Max open files line")
}

// raiseNoFile lifts this process's soft RLIMIT_NOFILE to its hard limit:
// each event stream is a descriptor here and one in the daemon. Go already
// does this at start-up, but restores the old soft limit for the programs
// it execs unless the program calls Setrlimit itself, as here; the daemon
// started here inherits the raised limit (and raises its own as well).
func raiseNoFile() (uint64, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, err
	}
	rl.Cur = rl.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, err
	}
	return rl.Cur, nil
}

// peerPID returns the pid of the process behind a Unix socket (the daemon
// that called listen on its admin socket), from SO_PEERCRED.
func peerPID(sock string) (int, error) {
	c, err := net.DialTimeout("unix", sock, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	raw, err := c.(*net.UnixConn).SyscallConn()
	if err != nil {
		return 0, err
	}
	var pid int
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, err := syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
		if err != nil {
			credErr = err
			return
		}
		pid = int(cred.Pid)
	}); err != nil {
		return 0, err
	}
	if credErr != nil {
		return 0, credErr
	}
	if pid <= 1 {
		return 0, fmt.Errorf("the socket was opened by pid %d (socket activation)", pid)
	}
	return pid, nil
}
