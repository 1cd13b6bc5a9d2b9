package systemd

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// notifySocket listens where NOTIFY_SOCKET points and returns the messages.
func notifySocket(t *testing.T) <-chan string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	conn, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	ch := make(chan string, 64)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := conn.Read(buf)
			if err != nil {
				close(ch)
				return
			}
			ch <- string(buf[:n])
		}
	}()
	return ch
}

func next(t *testing.T, ch <-chan string) string {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("no sd_notify message")
		return ""
	}
}

func TestNotifierSequence(t *testing.T) {
	ch := notifySocket(t)
	n := NewNotifier()
	n.Ready("serving\nFORGED=1")
	if got, want := next(t, ch), "READY=1\nSTATUS=serving FORGED=1"; got != want {
		t.Errorf("ready = %q, want %q", got, want)
	}
	n.Reloading()
	got := next(t, ch)
	lines := strings.Split(got, "\n")
	if lines[0] != "RELOADING=1" || !strings.HasPrefix(lines[1], "MONOTONIC_USEC=") || len(lines[1]) <= len("MONOTONIC_USEC=") {
		t.Errorf("reloading = %q, want RELOADING=1 then MONOTONIC_USEC", got)
	}
	n.Status("3 users")
	if got, want := next(t, ch), "STATUS=3 users"; got != want {
		t.Errorf("status = %q, want %q", got, want)
	}
	n.Stopping()
	if got := next(t, ch); !strings.HasPrefix(got, "STOPPING=1") {
		t.Errorf("stopping = %q", got)
	}
	if err := n.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestNotifierSilentWithoutSocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", "")
	n := NewNotifier()
	n.Ready("x")
	n.Stopping()
	if err := n.Err(); err != nil {
		t.Fatalf("Err() = %v without NOTIFY_SOCKET", err)
	}
}

func TestNotifierReportsBrokenSocket(t *testing.T) {
	t.Setenv("NOTIFY_SOCKET", filepath.Join(t.TempDir(), "missing.sock"))
	n := NewNotifier()
	n.Ready("x")
	if n.Err() == nil {
		t.Fatal("Err() = nil for a socket that does not exist")
	}
}

func TestWatchdog(t *testing.T) {
	ch := notifySocket(t)
	t.Setenv("WATCHDOG_USEC", "40000")
	t.Setenv("WATCHDOG_PID", "")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { NewNotifier().Watchdog(ctx); close(done) }()
	for i := 0; i < 2; i++ {
		if got := next(t, ch); got != "WATCHDOG=1" {
			t.Fatalf("message %d = %q, want WATCHDOG=1", i, got)
		}
	}
	cancel()
	<-done
}

func TestWatchdogOff(t *testing.T) {
	t.Setenv("WATCHDOG_USEC", "")
	done := make(chan struct{})
	go func() { NewNotifier().Watchdog(context.Background()); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Watchdog did not return without WATCHDOG_USEC")
	}
}
