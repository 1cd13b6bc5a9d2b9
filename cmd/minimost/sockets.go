package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strconv"
	"syscall"

	"github.com/minimost/minimost/pkg/config"
	"github.com/minimost/minimost/pkg/systemd"
)

// sockets are the daemon's three endpoints, from systemd or bound here.
type sockets struct {
	https     net.Listener
	stun      net.PacketConn
	admin     net.Listener
	activated bool
}

// openSockets takes what systemd passed and binds the rest from the flags.
func openSockets(o *options, s *config.Settings, log *slog.Logger) (*sockets, error) {
	passed, err := systemd.Inherited()
	if err != nil {
		return nil, err
	}
	socks := &sockets{https: passed.HTTPS, stun: passed.STUN, admin: passed.Admin, activated: passed.Activated()}
	ok := false
	defer func() {
		if !ok {
			socks.Close()
		}
	}()
	if socks.https == nil {
		if socks.https, err = net.Listen("tcp", o.listen); err != nil {
			return nil, fmt.Errorf("https: cannot listen on %s: %w", o.listen, err)
		}
	}
	if socks.stun == nil {
		addr := o.stunListen
		if addr == "" {
			addr = net.JoinHostPort("0.0.0.0", strconv.Itoa(s.StunPort))
		}
		if socks.stun, err = net.ListenPacket("udp", addr); err != nil {
			return nil, fmt.Errorf("stun: cannot listen on %s: %w", addr, err)
		}
	}
	if socks.admin == nil {
		if socks.admin, err = listenAdmin(o.adminSocket); err != nil {
			return nil, err
		}
	}
	if passed.Activated() {
		log.Info("sockets from systemd", "https", passed.HTTPS != nil, "stun", passed.STUN != nil, "admin", passed.Admin != nil)
	}
	ok = true
	return socks, nil
}

// listenAdmin binds the admin socket with mode 0600 from the first moment:
// the umask is narrowed around bind, so there is no window in which
// another user could connect.
func listenAdmin(path string) (net.Listener, error) {
	// The state-directory lock is held, so a socket file left here is from
	// a daemon that died; anything else is not ours to remove.
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("admin socket: %s exists and is not a socket", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("admin socket: removing stale %s: %w", path, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("admin socket: %w", err)
	}
	old := syscall.Umask(0o177)
	l, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("admin socket: cannot listen on %s: %w", path, err)
	}
	return l, nil
}

// Close closes every socket held.
func (s *sockets) Close() {
	for _, c := range []interface{ Close() error }{s.https, s.admin} {
		if c != nil {
			c.Close()
		}
	}
	if s.stun != nil {
		s.stun.Close()
	}
}

// describe lists the listeners as the admin status shows them.
func (s *sockets) describe() []string {
	return []string{
		"https " + s.https.Addr().String(),
		"stun " + s.stun.LocalAddr().String(),
		"admin " + s.admin.Addr().String(),
	}
}

// httpsHost is the bound HTTPS address when it is a specific one, for the
// certificate's names.
func (s *sockets) httpsHost() string {
	host, _, err := net.SplitHostPort(s.https.Addr().String())
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return ""
	}
	return host
}

// url is where people open the chat: the bound address, or the machine's
// hostname when bound to every address (behavior.md §17's default base URL
// for reset links).
func (s *sockets) url() string {
	_, port, _ := net.SplitHostPort(s.https.Addr().String())
	host := s.httpsHost()
	if host == "" {
		if h, err := os.Hostname(); err == nil && h != "" {
			host = h
		} else {
			host = "localhost"
		}
	}
	return "https://" + net.JoinHostPort(host, port)
}
