package ratelimit

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// t0 is an arbitrary origin; the limiter must only depend on differences.
var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return t0.Add(d) }

const ms = time.Millisecond

// call is one Allow in a scripted sequence with its expected outcome.
type call struct {
	key   string
	max   int
	at    time.Duration
	ok    bool
	retry time.Duration // expected retryAfter when refused
}

func TestAllowScripts(t *testing.T) {
	const w = 10 * time.Second
	tests := []struct {
		name  string
		calls []call
	}{
		{"exactly max then refused", []call{
			{"k", 3, 0, true, 0},
			{"k", 3, 0, true, 0},
			{"k", 3, 0, true, 0},
			{"k", 3, 0, false, w},
			{"k", 3, 4 * time.Second, false, 6 * time.Second},
		}},
		{"refused attempts are not counted", []call{
			{"k", 2, 0, true, 0},
			{"k", 2, 1 * time.Second, true, 0},
			{"k", 2, 2 * time.Second, false, 8 * time.Second},
			{"k", 2, 5 * time.Second, false, 5 * time.Second},
			{"k", 2, 9 * time.Second, false, 1 * time.Second},
			{"k", 2, 9*time.Second + 999*ms, false, 1 * ms},
			// The event at 0 leaves at exactly one window; the refusals
			// in between must not have taken its place.
			{"k", 2, 10 * time.Second, true, 0},
			{"k", 2, 10 * time.Second, false, 1 * time.Second},
			{"k", 2, 11 * time.Second, true, 0},
			{"k", 2, 11 * time.Second, false, 9 * time.Second},
		}},
		{"retry after is until the oldest leaves", []call{
			{"k", 3, 0, true, 0},
			{"k", 3, 1500 * ms, true, 0},
			{"k", 3, 2 * time.Second, true, 0},
			{"k", 3, 3200 * ms, false, 6800 * ms},
			{"k", 3, 9999 * ms, false, 1 * ms},
		}},
		{"window slides rather than resets", []call{
			{"k", 5, 0, true, 0},
			{"k", 5, 1 * time.Second, true, 0},
			{"k", 5, 2 * time.Second, true, 0},
			{"k", 5, 3 * time.Second, true, 0},
			{"k", 5, 4 * time.Second, true, 0},
			// A fixed window would admit five here; only the event at 0
			// has left.
			{"k", 5, 10*time.Second + ms, true, 0},
			{"k", 5, 10*time.Second + ms, false, 999 * ms},
			// By 12.5 s the events at 1 s and 2 s have left too.
			{"k", 5, 12*time.Second + 500*ms, true, 0},
			{"k", 5, 12*time.Second + 500*ms, true, 0},
			{"k", 5, 12*time.Second + 500*ms, false, 500 * ms},
		}},
		{"lowered max applies at once", []call{
			{"k", 5, 0, true, 0},
			{"k", 5, 1 * time.Second, true, 0},
			{"k", 5, 2 * time.Second, true, 0},
			{"k", 5, 3 * time.Second, true, 0},
			{"k", 5, 4 * time.Second, true, 0},
			// Four of the five must leave before a second event fits.
			{"k", 2, 5 * time.Second, false, 8 * time.Second},
			{"k", 2, 12 * time.Second, false, 1 * time.Second},
			{"k", 2, 13 * time.Second, true, 0},
			{"k", 2, 13 * time.Second, false, 1 * time.Second},
		}},
		{"raised max applies at once", []call{
			{"k", 1, 0, true, 0},
			{"k", 1, 1 * time.Second, false, 9 * time.Second},
			{"k", 2, 1 * time.Second, true, 0},
			{"k", 2, 1 * time.Second, false, 9 * time.Second},
		}},
		{"keys are independent", []call{
			{"a", 1, 0, true, 0},
			{"a", 1, 0, false, w},
			{"b", 1, 0, true, 0},
			{"b", 1, 3 * time.Second, false, 7 * time.Second},
			{"a", 1, 10 * time.Second, true, 0},
		}},
		{"max below one refuses", []call{
			{"k", 0, 0, false, w},
			{"k", -1, 0, false, w},
			{"k", 1, 0, true, 0},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := New(w)
			for i, c := range tc.calls {
				ok, retry := l.Allow(c.key, c.max, at(c.at))
				if ok != c.ok || retry != c.retry {
					t.Fatalf("call %d (%s, max %d, at %v) = %v, %v; want %v, %v",
						i, c.key, c.max, c.at, ok, retry, c.ok, c.retry)
				}
			}
		})
	}
}

func TestRetryAfterSeconds(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int
	}{
		{-time.Second, 1},
		{0, 1},
		{1, 1},
		{999 * ms, 1},
		{time.Second, 1},
		{time.Second + 1, 2},
		{6800 * ms, 7},
		{time.Hour, 3600},
	}
	for _, tc := range tests {
		if got := RetryAfterSeconds(tc.d); got != tc.want {
			t.Errorf("RetryAfterSeconds(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

func TestIPKey(t *testing.T) {
	tests := []struct {
		addr string
		want string
	}{
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"},
		{"2001:db8:1:2::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"fe80::1%eth0", "fe80::/64"},
		{"::1", "::/64"},
	}
	for _, tc := range tests {
		if got := IPKey(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("IPKey(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
	if IPKey(netip.Addr{}) == IPKey(netip.MustParseAddr("::")) {
		t.Error("the zero Addr shares a key with ::/64")
	}
}

func TestIPKeySharesLimit(t *testing.T) {
	l := New(time.Minute)
	allow := func(addr string) bool {
		ok, _ := l.Allow(IPKey(netip.MustParseAddr(addr)), 1, t0)
		return ok
	}
	tests := []struct {
		addr string
		ok   bool
	}{
		{"2001:db8:a:b::1", true},
		{"2001:db8:a:b:cafe::2", false}, // same /64
		{"2001:db8:a:c::1", true},       // next /64
		{"198.51.100.7", true},
		{"::ffff:198.51.100.7", false}, // mapped form of the above
		{"198.51.100.8", true},
	}
	for _, tc := range tests {
		if got := allow(tc.addr); got != tc.ok {
			t.Errorf("Allow(%s) = %v, want %v", tc.addr, got, tc.ok)
		}
	}
}

func TestKeyCapEvictsLeastRecentlyUsed(t *testing.T) {
	l := New(time.Minute)
	l.MaxKeys = 3
	for _, k := range []string{"a", "b", "c"} {
		l.Allow(k, 1, t0)
	}
	// A refused attempt is still a use: "a" becomes the most recent.
	if ok, _ := l.Allow("a", 1, at(time.Second)); ok {
		t.Fatal("a admitted twice")
	}
	l.Allow("d", 1, at(2*time.Second))
	if n := l.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
	// "b" was forgotten and starts afresh; the others keep their events.
	for _, c := range []struct {
		key string
		ok  bool
	}{{"a", false}, {"c", false}, {"d", false}, {"b", true}} {
		if ok, _ := l.Allow(c.key, 1, at(3*time.Second)); ok != c.ok {
			t.Errorf("Allow(%s) = %v, want %v", c.key, ok, c.ok)
		}
	}
	if n := l.Len(); n != 3 {
		t.Fatalf("Len = %d, want 3", n)
	}
}

func TestIdleKeysDropped(t *testing.T) {
	const w = time.Minute
	l := New(w)
	l.Allow("a", 5, t0)
	l.Allow("b", 5, at(10*time.Second))
	l.Allow("b", 5, at(w-1))
	if n := l.Len(); n != 2 {
		t.Fatalf("Len before a is idle for a window = %d, want 2", n)
	}
	l.Allow("b", 5, at(w))
	if n := l.Len(); n != 1 {
		t.Fatalf("Len after a idle for a window = %d, want 1", n)
	}
	// A refusal is a use too: c is kept while b, last used with it, goes.
	l.Allow("c", 1, at(w))
	l.Allow("c", 1, at(w+50*time.Second))
	l.Allow("z", 1, at(2*w+10*time.Second))
	if n := l.Len(); n != 2 {
		t.Fatalf("Len = %d, want 2 (c and z)", n)
	}
	if _, kept := l.keys["c"]; !kept {
		t.Fatal("c was dropped")
	}
	l.Allow("z", 1, at(4*w))
	if n := l.Len(); n != 1 {
		t.Fatalf("Len after everything idle = %d, want 1", n)
	}
}

// TestStorageCappedAtMax checks that a small limit never holds more slots
// than max, and that the ring shrinks again once its events expire.
func TestStorageCappedAtMax(t *testing.T) {
	l := New(time.Minute)
	for i := range 200 {
		l.Allow("k", 60, at(time.Duration(i)*ms))
	}
	e := l.keys["k"]
	if e.count != 60 || len(e.runs) != 60 {
		t.Fatalf("count %d, ring %d; want 60, 60", e.count, len(e.runs))
	}
	// Still in use, so kept, but with every event gone.
	l.Allow("k", 60, at(time.Minute+100*ms))
	if e.count != 1 || len(e.runs) > minRing {
		t.Fatalf("after expiry: count %d, ring %d; want 1, <= %d", e.count, len(e.runs), minRing)
	}
	l.Allow("one", 1, t0)
	if n := len(l.keys["one"].runs); n != 1 {
		t.Fatalf("max 1 ring = %d slots", n)
	}
}

// TestCompactStorageBounded checks that a huge max does not make a key's
// storage follow the number of events.
func TestCompactStorageBounded(t *testing.T) {
	const w = time.Minute
	l := New(w)
	const events = 50000
	for i := range events {
		if ok, _ := l.Allow("k", 1000000, at(time.Duration(i)*w/events)); !ok {
			t.Fatalf("event %d refused", i)
		}
	}
	e := l.keys["k"]
	if e.count != events {
		t.Fatalf("count = %d, want %d", e.count, events)
	}
	if e.nruns > exactMax+1 || len(e.runs) > 2*(exactMax+1) {
		t.Fatalf("%d runs in a ring of %d for %d events", e.nruns, len(e.runs), events)
	}
}

// reference is an exact sliding window over the events the limiter under
// test admitted, in non-decreasing time order.
type reference []time.Duration

// inWindow counts the events in (t-w, t].
func (r reference) inWindow(t, w time.Duration) int {
	i, _ := slices.BinarySearch(r, t-w+1)
	return len(r) - i
}

// TestAgainstReference drives the limiter with random times and limits,
// including limits above exactMax and changes of limit, and checks the
// package guarantee against an exact model: never more than max admitted
// in any window; refused only if an exact window would refuse, or, above
// exactMax, would have refused less than one quantum earlier; Retry-After
// exact, or late by less than one quantum.
func TestAgainstReference(t *testing.T) {
	const w = 4096 * time.Millisecond // quantum 1 ms above exactMax
	quantum := w / exactMax
	for seed := range uint64(6) {
		rng := rand.New(rand.NewPCG(seed, 42))
		l := New(w)
		var ref reference
		var now time.Duration
		// Grouped runs outlive a return below exactMax by up to a window.
		var groupedUntil time.Duration
		limit := 1 + rng.IntN(50)
		if seed%2 == 1 {
			limit = exactMax + 1 + rng.IntN(1000)
		}
		refused := 0
		for i := range 15000 {
			switch r := rng.IntN(1000); {
			case r == 0:
				// A reload moves the limit by up to half.
				limit = max(1, limit+rng.IntN(limit+1)-limit/2)
			case r < 400:
				// Bursts at one instant.
			default:
				now += time.Duration(rng.Int64N(int64(4 * w / time.Duration(limit+1))))
			}
			ok, retry := l.Allow("k", limit, at(now))
			n := ref.inWindow(now, w)
			slack := time.Duration(0)
			if limit > exactMax || now < groupedUntil {
				slack = quantum - 1
			}
			if ok {
				if limit > exactMax {
					groupedUntil = now + w + quantum
				}
				if n >= limit {
					t.Fatalf("seed %d op %d: admitted with %d in window, max %d", seed, i, n, limit)
				}
				ref = append(ref, now)
				continue
			}
			refused++
			if ref.inWindow(now, w+slack) < limit {
				t.Fatalf("seed %d op %d: refused with %d in window, max %d", seed, i, n, limit)
			}
			exact := max(ref[len(ref)-limit]+w-now, 0)
			if exact == 0 && slack == 0 || retry < exact || retry > exact+slack {
				t.Fatalf("seed %d op %d: retry %v, exact %v, slack %v", seed, i, retry, exact, slack)
			}
		}
		if refused < 500 || len(ref) < 5000 {
			t.Fatalf("seed %d: %d admitted, %d refused; the script is not exercising both", seed, len(ref), refused)
		}
		t.Logf("seed %d: %d admitted, %d refused", seed, len(ref), refused)
	}
}

// TestConcurrentOneKey lets many goroutines race on one key in steps of
// half a window: each step must admit exactly what the window has room
// for, however the calls interleave.
func TestConcurrentOneKey(t *testing.T) {
	const (
		w          = time.Minute
		limit      = 50
		goroutines = 32
		perStep    = 10
	)
	l := New(w)
	l.MaxKeys = 8
	// Steps alternate between a full window (the events of two steps ago
	// have left) and none (the previous step's events still count).
	for step, want := range []int{limit, 0, limit, 0, limit} {
		now := at(time.Duration(step) * w / 2)
		var admitted atomic.Int64
		var wg sync.WaitGroup
		for g := range goroutines {
			wg.Go(func() {
				for i := range perStep {
					if ok, _ := l.Allow("hot", limit, now); ok {
						admitted.Add(1)
					}
					// Other keys churn the recency list and the key
					// cap meanwhile.
					l.Allow(strconv.Itoa(g*perStep+i), 1, now)
				}
			})
		}
		wg.Wait()
		if got := admitted.Load(); got > limit || got != int64(want) {
			t.Fatalf("step %d admitted %d, want %d", step, got, want)
		}
	}
	if n := l.Len(); n > 8 {
		t.Fatalf("Len = %d over MaxKeys 8", n)
	}
}

// TestConcurrentRealClock races goroutines on real time and checks every
// admission against the window as seen from the admitted events.
func TestConcurrentRealClock(t *testing.T) {
	const (
		w     = 20 * time.Millisecond
		limit = 25
	)
	l := New(w)
	var mu sync.Mutex
	var admitted []time.Time
	deadline := time.Now().Add(100 * time.Millisecond)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				// Serialising clock read and Allow makes the order of
				// admissions that of their times.
				mu.Lock()
				now := time.Now()
				if ok, _ := l.Allow("k", limit, now); ok {
					admitted = append(admitted, now)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for i := limit; i < len(admitted); i++ {
		if d := admitted[i].Sub(admitted[i-limit]); d < w {
			t.Fatalf("%d events admitted within %v", limit+1, d)
		}
	}
	if len(admitted) < limit {
		t.Fatalf("only %d admitted", len(admitted))
	}
}

func BenchmarkAllowParallel(b *testing.B) {
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "user-" + strconv.Itoa(i)
	}
	b.Run("many-keys", func(b *testing.B) {
		l := New(time.Minute)
		var next atomic.Uint64
		b.RunParallel(func(pb *testing.PB) {
			i := int(next.Add(7919))
			for pb.Next() {
				i++
				l.Allow(keys[i%len(keys)], 1200, time.Now())
			}
		})
	})
	b.Run("one-key", func(b *testing.B) {
		l := New(time.Minute)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				l.Allow("hot", 1200, time.Now())
			}
		})
	})
}
