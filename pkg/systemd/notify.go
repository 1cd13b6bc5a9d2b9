package systemd

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// Notifier speaks sd_notify. Every method is a no-op when NOTIFY_SOCKET is
// unset, which is how the daemon stays silent when run by hand.
type Notifier struct {
	mu  sync.Mutex
	err error
}

// NewNotifier returns a notifier for the socket named by NOTIFY_SOCKET.
func NewNotifier() *Notifier { return &Notifier{} }

func (n *Notifier) send(state string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, err := daemon.SdNotify(false, state); err != nil && n.err == nil {
		n.err = err
	}
}

// Err returns the first error seen while notifying, so the daemon can log a
// broken NOTIFY_SOCKET once instead of on every status refresh.
func (n *Notifier) Err() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.err
}

// Ready tells systemd that start-up or a reload finished; status is the
// one-line summary shown by systemctl status.
func (n *Notifier) Ready(status string) {
	n.send("READY=1\nSTATUS=" + oneLine(status))
}

// Reloading announces a configuration reload. MONOTONIC_USEC lets systemd
// tell this reload apart from an earlier one (systemd 253+ requires it).
func (n *Notifier) Reloading() {
	n.send("RELOADING=1\n" + daemon.SdNotifyMonotonicUsec() + "STATUS=reloading settings")
}

// Stopping announces shutdown.
func (n *Notifier) Stopping() {
	n.send("STOPPING=1\nSTATUS=stopping")
}

// Status replaces the one-line summary.
func (n *Notifier) Status(status string) {
	n.send("STATUS=" + oneLine(status))
}

// Watchdog pings the service manager at half the interval of WATCHDOG_USEC
// until ctx ends; without a watchdog it returns at once.
func (n *Notifier) Watchdog(ctx context.Context) {
	interval, err := daemon.SdWatchdogEnabled(false)
	if err != nil || interval <= 0 {
		return
	}
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n.send("WATCHDOG=1")
		}
	}
}

// oneLine keeps a status to a single line: a newline would start a new
// sd_notify assignment and could forge one.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}
