package stun

import (
	"context"
	"net"
	"net/netip"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"
)

// sourceRecorder remembers where datagrams came from, so the test can compare
// what a foreign client reports against what the server really saw.
type sourceRecorder struct {
	net.PacketConn
	mu      sync.Mutex
	sources []netip.AddrPort
}

func (r *sourceRecorder) ReadFrom(p []byte) (int, net.Addr, error) {
	n, from, err := r.PacketConn.ReadFrom(p)
	if ua, ok := from.(*net.UDPAddr); ok && err == nil {
		r.mu.Lock()
		r.sources = append(r.sources, ua.AddrPort())
		r.mu.Unlock()
	}
	return n, from, err
}

func (r *sourceRecorder) seen() []netip.AddrPort {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]netip.AddrPort(nil), r.sources...)
}

// reflexiveAddr matches coturn's report, e.g.
// "0: : IPv4. UDP reflexive addr: 127.0.0.1:54624".
var reflexiveAddr = regexp.MustCompile(`UDP reflexive addr: (\S+)`)

// TestCoturnClient checks interoperability with a STUN client written by
// others, so that a misreading of the RFC shared by Respond and its tests
// cannot pass unnoticed.
func TestCoturnClient(t *testing.T) {
	bin, err := exec.LookPath("turnutils_stunclient")
	if err != nil {
		t.Fatal("turnutils_stunclient not found: run 'apt-get install -y coturn' (or make deps as root)")
	}
	rec := &sourceRecorder{PacketConn: listenUDP(t, "udp4", "127.0.0.1:0")}
	s := New(nil, nil)
	serve(t, s, rec)

	// The client waits forever for an answer that does not come.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	port := rec.LocalAddr().(*net.UDPAddr).Port
	out, err := exec.CommandContext(ctx, bin, "-p", strconv.Itoa(port), "127.0.0.1").CombinedOutput()
	if err != nil {
		t.Fatalf("turnutils_stunclient: %v\n%s", err, out)
	}
	m := reflexiveAddr.FindSubmatch(out)
	if m == nil {
		t.Fatalf("no reflexive address in turnutils_stunclient output:\n%s", out)
	}
	got, err := netip.ParseAddrPort(string(m[1]))
	if err != nil {
		t.Fatalf("reflexive address %q: %v", m[1], err)
	}
	if got.Addr() != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("reflexive address %v, want 127.0.0.1", got)
	}
	if seen := rec.seen(); len(seen) != 1 || seen[0] != got {
		t.Errorf("client reported %v, server saw requests from %v", got, seen)
	}
	waitStats(t, s, Stats{Answered: 1})
}
