package stun

import (
	"net/netip"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestLimiterSlidingWindow(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newLimiter(clock.now)
	ip := netip.MustParseAddr("192.0.2.1")

	// 25 answers now and 25 half a window later use up the allowance.
	for range answersPerWindow / 2 {
		if !l.allow(ip) {
			t.Fatal("denied within the limit")
		}
	}
	clock.advance(limitWindow / 2)
	for range answersPerWindow / 2 {
		if !l.allow(ip) {
			t.Fatal("denied within the limit")
		}
	}
	if l.allow(ip) {
		t.Fatal("allowed beyond the limit")
	}
	// Just before the first burst leaves the window, a fixed window or token
	// bucket would already allow more.
	clock.advance(limitWindow/2 - time.Nanosecond)
	if l.allow(ip) {
		t.Fatal("allowed more than the limit within one window")
	}
	clock.advance(time.Nanosecond)
	for i := range answersPerWindow / 2 {
		if !l.allow(ip) {
			t.Fatalf("answer %d of the first burst's share denied after it left the window", i)
		}
	}
	if l.allow(ip) {
		t.Fatal("allowed beyond the limit after the first burst left the window")
	}
}

func TestLimiterMemoryBounded(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	l := newLimiter(clock.now)
	addr := func(i int) netip.Addr {
		return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
	}

	for i := range maxTrackedIPs {
		if !l.allow(addr(i)) {
			t.Fatalf("source %d denied below the cap", i)
		}
	}
	if l.allow(addr(maxTrackedIPs)) {
		t.Fatal("new source allowed with the table full")
	}
	if !l.allow(addr(0)) {
		t.Fatal("known source denied with the table full")
	}
	if got := len(l.sources); got != maxTrackedIPs {
		t.Fatalf("tracking %d sources, want the cap %d", got, maxTrackedIPs)
	}

	// A window later every source is idle, so the sweep forgets them all.
	clock.advance(limitWindow)
	if !l.allow(addr(maxTrackedIPs)) {
		t.Fatal("new source denied after idle sources expired")
	}
	if got := len(l.sources); got != 1 {
		t.Fatalf("tracking %d sources after the sweep, want 1", got)
	}
}
