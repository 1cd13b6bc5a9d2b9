package admin

import (
	"context"
	"fmt"
	"net"
	"syscall"
)

type peerKey struct{}

// Peer is the kernel's word on who is at the other end of the socket.
type Peer struct {
	UID int
	PID int
	// Known is false when the credentials could not be read; such a peer is
	// never served.
	Known bool
}

// Src is the peer as audit records name it.
func (p Peer) Src() string {
	if !p.Known {
		return "admin:uid=unknown"
	}
	return fmt.Sprintf("admin:uid=%d", p.UID)
}

// PeerFrom returns the peer of the request whose context this is.
func PeerFrom(ctx context.Context) Peer {
	p, _ := ctx.Value(peerKey{}).(Peer)
	return p
}

// connContext reads SO_PEERCRED once per connection. Credentials come from
// the kernel at connect time, so a client cannot claim another uid.
func connContext(ctx context.Context, c net.Conn) context.Context {
	p := Peer{}
	if uc, ok := c.(*net.UnixConn); ok {
		if raw, err := uc.SyscallConn(); err == nil {
			raw.Control(func(fd uintptr) {
				cred, err := syscall.GetsockoptUcred(int(fd), syscall.SOL_SOCKET, syscall.SO_PEERCRED)
				if err == nil {
					p = Peer{UID: int(cred.Uid), PID: int(cred.Pid), Known: true}
				}
			})
		}
	}
	return context.WithValue(ctx, peerKey{}, p)
}
