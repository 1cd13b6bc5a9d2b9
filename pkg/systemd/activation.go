// Package systemd connects the daemon to its service manager: the sockets
// systemd passes by name (socket activation) and the sd_notify protocol
// (ready, status, reloading, stopping, watchdog). Without systemd both are
// inert, so the daemon runs the same way by hand.
package systemd

import (
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"

	"github.com/coreos/go-systemd/v22/activation"
)

// Socket names, as set by FileDescriptorName= in the socket units.
const (
	NameHTTPS = "https"
	NameSTUN  = "stun"
	NameAdmin = "admin"
)

// Sockets holds what systemd passed; a nil field was not passed and the
// daemon binds that socket itself.
type Sockets struct {
	HTTPS net.Listener
	STUN  net.PacketConn
	Admin net.Listener
}

// Activated reports whether any socket came from systemd.
func (s *Sockets) Activated() bool {
	return s.HTTPS != nil || s.STUN != nil || s.Admin != nil
}

// Close closes every socket held; the daemon calls it when start-up fails
// after the sockets were taken.
func (s *Sockets) Close() {
	if s.HTTPS != nil {
		s.HTTPS.Close()
	}
	if s.STUN != nil {
		s.STUN.Close()
	}
	if s.Admin != nil {
		s.Admin.Close()
	}
}

// Inherited reads the sockets passed through LISTEN_FDS/LISTEN_FDNAMES.
// It clears those variables, so it must be called once, early. A socket
// with an unknown name, a duplicate name, or of the wrong type for its name
// is an error that names it: running on with a half-usable set would only
// hide a broken unit file.
func Inherited() (*Sockets, error) {
	return fromFiles(activation.Files(true))
}

// socketKind is what a name requires of the passed file descriptor.
type socketKind struct {
	sotype   int
	families []int
	desc     string
}

var wanted = map[string]socketKind{
	NameHTTPS: {syscall.SOCK_STREAM, []int{syscall.AF_INET, syscall.AF_INET6}, "a listening TCP socket"},
	NameSTUN:  {syscall.SOCK_DGRAM, []int{syscall.AF_INET, syscall.AF_INET6}, "a UDP socket"},
	NameAdmin: {syscall.SOCK_STREAM, []int{syscall.AF_UNIX}, "a listening Unix stream socket"},
}

func fromFiles(files []*os.File) (*Sockets, error) {
	// net.File* duplicate the descriptor, so the originals are closed in
	// every case; on failure the converted ones go too.
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	s := &Sockets{}
	if err := s.take(files); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Sockets) take(files []*os.File) error {
	seen := map[string]bool{}
	for _, f := range files {
		name := f.Name()
		kind, ok := wanted[name]
		if !ok {
			return fmt.Errorf("socket activation: unknown socket name %q (want %s, %s or %s)", name, NameHTTPS, NameSTUN, NameAdmin)
		}
		if seen[name] {
			return fmt.Errorf("socket activation: socket %q passed more than once", name)
		}
		seen[name] = true
		if err := checkKind(f, kind); err != nil {
			return fmt.Errorf("socket activation: socket %q: %w", name, err)
		}
		var err error
		switch name {
		case NameHTTPS:
			s.HTTPS, err = net.FileListener(f)
		case NameAdmin:
			s.Admin, err = net.FileListener(f)
		case NameSTUN:
			s.STUN, err = net.FilePacketConn(f)
		}
		if err != nil {
			return fmt.Errorf("socket activation: socket %q: %w", name, err)
		}
	}
	return nil
}

func checkKind(f *os.File, want socketKind) error {
	fd := int(f.Fd())
	sotype, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_TYPE)
	if err != nil {
		if errors.Is(err, syscall.ENOTSOCK) {
			return fmt.Errorf("not a socket; want %s", want.desc)
		}
		return fmt.Errorf("reading socket type: %w", err)
	}
	family, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_DOMAIN)
	if err != nil {
		return fmt.Errorf("reading socket family: %w", err)
	}
	familyOK := false
	for _, f := range want.families {
		familyOK = familyOK || f == family
	}
	if sotype != want.sotype || !familyOK {
		return fmt.Errorf("wrong socket type; want %s", want.desc)
	}
	if sotype == syscall.SOCK_STREAM {
		listening, err := syscall.GetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_ACCEPTCONN)
		if err != nil {
			return fmt.Errorf("reading socket state: %w", err)
		}
		if listening == 0 {
			return fmt.Errorf("socket is not listening; want %s", want.desc)
		}
	}
	return nil
}
