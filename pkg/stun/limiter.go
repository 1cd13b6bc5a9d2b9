package stun

import (
	"net/netip"
	"sync"
	"time"
)

const (
	// answersPerWindow answers per source IP are allowed in any window of
	// length limitWindow (behavior.md §11.4).
	answersPerWindow = 50
	limitWindow      = time.Second
	// maxTrackedIPs bounds the limiter's memory (a few hundred bytes per
	// address at worst) when many sources are active within one window, as in
	// a flood with spoofed source addresses.
	maxTrackedIPs = 4096
)

// limiter enforces answersPerWindow over a sliding window rather than a token
// bucket or fixed window, both of which let a source get up to twice the
// limit through within one second.
type limiter struct {
	now   func() time.Time
	epoch time.Time

	mu        sync.Mutex
	lastSweep time.Duration
	sources   map[netip.Addr]*answerLog
}

// answerLog holds the times of a source's most recent answers. It grows only
// as far as the source actually sends, so the common client that asks a few
// times costs a few entries.
type answerLog struct {
	times []time.Duration // once full, a ring whose oldest entry is at next
	next  int
	last  time.Duration
}

func newLimiter(now func() time.Time) *limiter {
	return &limiter{
		now:     now,
		epoch:   now(),
		sources: make(map[netip.Addr]*answerLog),
	}
}

// allow reports whether ip may get one more answer now, and records it if so.
func (l *limiter) allow(ip netip.Addr) bool {
	t := l.now().Sub(l.epoch)

	l.mu.Lock()
	defer l.mu.Unlock()

	if t-l.lastSweep >= limitWindow {
		l.sweep(t)
	}
	hist := l.sources[ip]
	if hist == nil {
		// Failing closed when full keeps memory bounded; new sources get
		// room again once a window passes and the sweep frees idle entries.
		if len(l.sources) >= maxTrackedIPs {
			return false
		}
		hist = &answerLog{}
		l.sources[ip] = hist
	}
	if len(hist.times) < answersPerWindow {
		hist.times = append(hist.times, t)
	} else {
		if t-hist.times[hist.next] < limitWindow {
			return false
		}
		hist.times[hist.next] = t
		hist.next = (hist.next + 1) % answersPerWindow
	}
	hist.last = t
	return true
}

// sweep forgets sources whose last answer lies a full window back. Nothing
// is lost by that: such a source has its whole allowance again, exactly as
// an unknown one does.
func (l *limiter) sweep(t time.Duration) {
	for ip, hist := range l.sources {
		if t-hist.last >= limitWindow {
			delete(l.sources, ip)
		}
	}
	l.lastSweep = t
}
