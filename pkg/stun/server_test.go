package stun

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"testing"
	"time"
)

// replyTimeout bounds waiting for an answer that must come; silenceTimeout is
// how long a datagram that must not be answered is given to draw one.
const (
	replyTimeout   = 5 * time.Second
	silenceTimeout = 300 * time.Millisecond
)

func listenUDP(t *testing.T, network, addr string) *net.UDPConn {
	t.Helper()
	conn, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.MustParseAddrPort(addr)))
	if err != nil {
		t.Fatalf("listen %s %s: %v", network, addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// serve runs s on conn until the test ends, then closes conn and checks that
// Serve returned nil.
func serve(t *testing.T, s *Server, conn net.PacketConn) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.Serve(context.Background(), conn) }()
	t.Cleanup(func() {
		conn.Close()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve after close = %v, want nil", err)
			}
		case <-time.After(replyTimeout):
			t.Error("Serve did not return after its conn was closed")
		}
	})
}

func request(id byte) ([]byte, [12]byte) {
	var txid [12]byte
	for i := range txid {
		txid[i] = id + byte(i)
	}
	return rawMessage(0x0001, magicCookie, txid), txid
}

func send(t *testing.T, client *net.UDPConn, to net.Addr, pkt []byte) {
	t.Helper()
	if _, err := client.WriteTo(pkt, to); err != nil {
		t.Fatalf("send: %v", err)
	}
}

// receive reads one answer and checks it against txid and client's own
// address, which is what the server sees as the source.
func receive(t *testing.T, client *net.UDPConn, from net.Addr, txid [12]byte) {
	t.Helper()
	buf := make([]byte, 1500)
	if err := client.SetReadDeadline(time.Now().Add(replyTimeout)); err != nil {
		t.Fatal(err)
	}
	n, sender, err := client.ReadFrom(buf)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	if sender.String() != from.String() {
		t.Errorf("answer came from %v, want the serving socket %v", sender, from)
	}
	want := client.LocalAddr().(*net.UDPAddr).AddrPort()
	if err := verifyAnswer(buf[:n], txid, want); err != nil {
		t.Error(err)
	}
}

func exchange(t *testing.T, client *net.UDPConn, server net.Addr, id byte) {
	t.Helper()
	pkt, txid := request(id)
	send(t, client, server, pkt)
	receive(t, client, server, txid)
}

func expectSilence(t *testing.T, client *net.UDPConn) {
	t.Helper()
	buf := make([]byte, 1500)
	if err := client.SetReadDeadline(time.Now().Add(silenceTimeout)); err != nil {
		t.Fatal(err)
	}
	n, _, err := client.ReadFrom(buf)
	if err == nil {
		t.Fatalf("got unexpected answer %x", buf[:n])
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read: %v", err)
	}
}

// waitStats polls because the server counts an answer after sending it, so a
// client may see the answer first.
func waitStats(t *testing.T, s *Server, want Stats) {
	t.Helper()
	deadline := time.Now().Add(replyTimeout)
	for s.Stats() != want {
		if time.Now().After(deadline) {
			t.Fatalf("Stats = %+v, want %+v", s.Stats(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestServeAnswersEachClient(t *testing.T) {
	srv := listenUDP(t, "udp4", "127.0.0.1:0")
	s := New(nil, nil)
	serve(t, s, srv)

	clients := make([]*net.UDPConn, 3)
	txids := make([][12]byte, len(clients))
	for i := range clients {
		clients[i] = listenUDP(t, "udp4", "127.0.0.1:0")
	}
	// All requests go out before any answer is read, so an answer sent to
	// the wrong client would be caught.
	for i, c := range clients {
		var pkt []byte
		pkt, txids[i] = request(byte(16 * (i + 1)))
		send(t, c, srv.LocalAddr(), pkt)
	}
	for i, c := range clients {
		receive(t, c, srv.LocalAddr(), txids[i])
	}
	waitStats(t, s, Stats{Answered: 3})
}

func TestServeIPv6(t *testing.T) {
	srv, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback})
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	s := New(nil, nil)
	serve(t, s, srv)

	client := listenUDP(t, "udp6", "[::1]:0")
	exchange(t, client, srv.LocalAddr(), 1)
}

func TestServeIgnoresGarbage(t *testing.T) {
	srv := listenUDP(t, "udp4", "127.0.0.1:0")
	s := New(nil, nil)
	serve(t, s, srv)
	client := listenUDP(t, "udp4", "127.0.0.1:0")

	garbage := [][]byte{
		{},
		[]byte("hello"),
		rawMessage(0x0101, magicCookie, testTxID),
		rawMessage(0x0011, magicCookie, testTxID),
		append(rawMessage(0x0001, magicCookie, testTxID), 1, 2, 3, 4),
	}
	for _, pkt := range garbage {
		send(t, client, srv.LocalAddr(), pkt)
	}
	expectSilence(t, client)

	// The server is still alive, and the answer that comes is to this
	// request, not to anything before it.
	exchange(t, client, srv.LocalAddr(), 7)
	waitStats(t, s, Stats{Answered: 1, Dropped: uint64(len(garbage))})
}

func TestServeRateLimit(t *testing.T) {
	var nanos atomic.Int64
	nanos.Store(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano())
	now := func() time.Time { return time.Unix(0, nanos.Load()) }

	srv := listenUDP(t, "udp4", "127.0.0.1:0")
	s := New(nil, now)
	serve(t, s, srv)
	client := listenUDP(t, "udp4", "127.0.0.1:0")
	other := listenUDP(t, "udp4", "127.0.0.2:0")

	for i := range answersPerWindow {
		exchange(t, client, srv.LocalAddr(), byte(i))
	}
	pkt, _ := request(100)
	send(t, client, srv.LocalAddr(), pkt)
	expectSilence(t, client)

	// The limit is per source IP: another address is unaffected.
	exchange(t, other, srv.LocalAddr(), 101)

	nanos.Add(int64(limitWindow))
	exchange(t, client, srv.LocalAddr(), 102)
	waitStats(t, s, Stats{Answered: answersPerWindow + 2, RateLimited: 1})
}

func TestServeStopsWhenContextEnds(t *testing.T) {
	srv := listenUDP(t, "udp4", "127.0.0.1:0")
	s := New(nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, srv) }()

	client := listenUDP(t, "udp4", "127.0.0.1:0")
	exchange(t, client, srv.LocalAddr(), 1)
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve after cancel = %v, want nil", err)
		}
	case <-time.After(replyTimeout):
		t.Fatal("Serve did not return after its context ended")
	}

	// The caller still owns a working conn: Serve neither closed it nor left
	// it with an expired deadline.
	serve(t, s, srv)
	exchange(t, client, srv.LocalAddr(), 2)
}

func TestServeReturnsNilWhenConnClosed(t *testing.T) {
	srv := listenUDP(t, "udp4", "127.0.0.1:0")
	done := make(chan error, 1)
	go func() { done <- New(nil, nil).Serve(context.Background(), srv) }()
	srv.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve = %v, want nil", err)
		}
	case <-time.After(replyTimeout):
		t.Fatal("Serve did not return after its conn was closed")
	}
}

func TestServeReportsOtherReadErrors(t *testing.T) {
	srv := listenUDP(t, "udp4", "127.0.0.1:0")
	// A deadline the caller set is not a request to stop, so Serve must not
	// mistake the resulting error for one.
	if err := srv.SetReadDeadline(time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	err := New(nil, nil).Serve(context.Background(), srv)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Serve = %v, want an error wrapping %v", err, os.ErrDeadlineExceeded)
	}
}
