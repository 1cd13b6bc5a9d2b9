// Package ratelimit implements the per-action rate limits of the server
// rules (§14): one in-memory sliding window per (limit, key).
//
// A Limiter is one limit with a fixed window length; the maximum is passed
// on every call so that a settings reload takes effect at once. A refused
// request is not counted, so a client hammering a closed limit does not push
// its own reopening further away.
//
// Guarantee: for every key, the admitted events never exceed max in any
// half-open interval of one window length, where max is the value passed
// with each admission. For max up to 4096 the window is exact: an event
// stops counting exactly one window after it was admitted. Above that,
// events admitted within the same 1/4096 of the window share one stored
// slot and all keep counting until one window after the newest of them, so
// an event may count for less than window/4096 longer than in an exact
// window, and Retry-After may be late by as much, never early. Such grouped
// events stay grouped if max is lowered again. The grouping keeps per-key
// memory bounded however large an operator sets a limit.
package ratelimit

import (
	"net/netip"
	"sync"
	"time"
)

const (
	// defaultMaxKeys is the per-limit key bound of §14.
	defaultMaxKeys = 100000

	// exactMax is the largest max for which every event keeps its own
	// time; above it a window is cut into this many quanta, so that a key
	// holds about this many runs at most whatever max is.
	exactMax = 4096

	// minRing avoids reallocating on each of the first few events of a
	// key, which is the common case for login and signup.
	minRing = 4
)

// run is a group of events that expire together. Times are nanoseconds
// since the Limiter's base so that the monotonic clock reading of the
// caller's time.Now is used and wall-clock jumps do not open or close
// windows.
type run struct {
	last int64 // newest event of the group
	n    int
}

// entry is the state of one key: its counted events, oldest first, in a
// ring, and its place in the Limiter's recency list.
type entry struct {
	key        string
	prev, next *entry // towards more and less recently used
	lastUse    int64
	runs       []run
	start      int // ring index of the oldest run
	nruns      int
	count      int // sum of n over the runs
}

// Limiter is one rate limit: a sliding window of fixed length per key. It
// is safe for concurrent use.
type Limiter struct {
	// MaxKeys bounds the number of keys held; when a new key would exceed
	// it, the least recently used key is forgotten (and so gets a fresh
	// window). New sets it to 100000; change it only before first use.
	// At least one key is always held.
	MaxKeys int

	window  int64
	quantum int64

	mu      sync.Mutex
	started bool
	base    time.Time
	keys    map[string]*entry
	mru     *entry // most recently used
	lru     *entry // least recently used
}

// New returns a Limiter whose windows are the given length, holding at most
// 100000 keys. It panics if window is not positive, which is a programming
// error rather than a setting.
func New(window time.Duration) *Limiter {
	if window <= 0 {
		panic("ratelimit: window must be positive")
	}
	return &Limiter{
		MaxKeys: defaultMaxKeys,
		window:  int64(window),
		quantum: max(int64(window)/exactMax, 1),
		keys:    make(map[string]*entry),
	}
}

// Allow reports whether one more event for key is admitted at now, given
// at most max events per window, and records it if so. A refused event is
// not recorded; retryAfter is then the time until enough counted events
// have left the window for one more to fit, which is when the oldest one
// leaves unless max was lowered below the number already counted. A max
// below 1 refuses everything, with retryAfter one window. Callers should pass
// times from time.Now, so that the monotonic clock is used.
func (l *Limiter) Allow(key string, max int, now time.Time) (ok bool, retryAfter time.Duration) {
	if max < 1 {
		return false, time.Duration(l.window)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.started {
		l.base, l.started = now, true
	}
	t := int64(now.Sub(l.base))
	l.dropIdle(t)

	e := l.keys[key]
	if e == nil {
		e = l.add(key, t)
	} else {
		l.toFront(e)
		// Concurrent callers may reach the lock out of order. Recording a
		// late event at the newest time seen keeps the ring sorted and can
		// only make the event count longer, never admit more.
		if t > e.lastUse {
			e.lastUse = t
		}
	}
	e.expire(t - l.window)
	if e.count >= max {
		return false, time.Duration(e.freeAt(max) + l.window - t)
	}
	e.record(e.lastUse, max, l.quantum)
	return true, 0
}

// Len returns the number of keys currently held.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// RetryAfterSeconds converts a retry delay to the whole seconds of a
// Retry-After header: rounded up, so that a client waiting that long is
// admitted, and at least 1, since 0 would invite an immediate retry.
func RetryAfterSeconds(d time.Duration) int {
	s := d / time.Second
	if d%time.Second > 0 {
		s++
	}
	return int(max(s, 1))
}

// IPKey returns the rate-limit key of a peer address: the address itself
// for IPv4 (also when written as IPv4-mapped IPv6) and the /64 prefix for
// IPv6, because a single subscriber is usually handed a whole /64 and could
// otherwise rotate through its addresses. Zones are ignored. Every invalid
// address maps to one shared key.
func IPKey(a netip.Addr) string {
	a = a.Unmap()
	if a.Is4() {
		return a.String()
	}
	// Prefix fails only for an out-of-range length, and 64 is valid for
	// IPv6 and for the zero Addr.
	p, _ := a.Prefix(64)
	return p.String()
}

// dropIdle forgets keys unused for a full window. Their events have all
// expired, so this loses nothing; walking from the stale end of the recency
// list keeps the cost proportional to the keys dropped.
func (l *Limiter) dropIdle(t int64) {
	for l.lru != nil && l.lru.lastUse <= t-l.window {
		l.remove(l.lru)
	}
}

// add inserts a new key as the most recently used one, first evicting the
// least recently used keys beyond MaxKeys.
func (l *Limiter) add(key string, t int64) *entry {
	for len(l.keys) >= l.MaxKeys && l.lru != nil {
		l.remove(l.lru)
	}
	e := &entry{key: key, lastUse: t}
	l.keys[key] = e
	l.pushFront(e)
	return e
}

func (l *Limiter) remove(e *entry) {
	l.unlink(e)
	delete(l.keys, e.key)
}

func (l *Limiter) toFront(e *entry) {
	if l.mru != e {
		l.unlink(e)
		l.pushFront(e)
	}
}

func (l *Limiter) pushFront(e *entry) {
	e.prev, e.next = nil, l.mru
	if l.mru != nil {
		l.mru.prev = e
	} else {
		l.lru = e
	}
	l.mru = e
}

func (l *Limiter) unlink(e *entry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		l.mru = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		l.lru = e.prev
	}
	e.prev, e.next = nil, nil
}

// at returns the i-th run counting from the oldest.
func (e *entry) at(i int) *run {
	i += e.start
	if i >= len(e.runs) {
		i -= len(e.runs)
	}
	return &e.runs[i]
}

// expire drops the runs whose newest event is at or before cutoff, and
// shrinks the ring once it is mostly empty so that memory follows the
// events actually counted rather than the peak.
func (e *entry) expire(cutoff int64) {
	for e.nruns > 0 {
		r := e.at(0)
		if r.last > cutoff {
			break
		}
		e.count -= r.n
		e.start++
		if e.start == len(e.runs) {
			e.start = 0
		}
		e.nruns--
	}
	n := len(e.runs)
	for n > minRing && e.nruns <= n/4 {
		n = max(n/2, minRing)
	}
	if n != len(e.runs) {
		e.resize(n)
	}
}

// freeAt returns the event time whose expiry brings the count below limit.
// It must only be called when count >= limit >= 1.
func (e *entry) freeAt(limit int) int64 {
	need := e.count - limit + 1
	for i := 0; ; i++ {
		r := e.at(i)
		need -= r.n
		if need <= 0 {
			return r.last
		}
	}
}

// record counts one event at t, which must not precede the newest counted
// event. An event merges into the newest run when it has the same time,
// which is exact, or, when limit is above exactMax, when it falls in the
// same quantum.
func (e *entry) record(t int64, limit int, quantum int64) {
	if e.nruns > 0 {
		r := e.at(e.nruns - 1)
		if r.last == t || (limit > exactMax && floorDiv(r.last, quantum) == floorDiv(t, quantum)) {
			r.last = t
			r.n++
			e.count++
			return
		}
	}
	if e.nruns == len(e.runs) {
		// Runs never outnumber counted events and an event is only
		// admitted below limit, so limit slots suffice; nruns+1 covers a
		// ring filled while a larger limit was in force.
		e.resize(max(min(max(2*len(e.runs), minRing), limit), e.nruns+1))
	}
	*e.at(e.nruns) = run{last: t, n: 1}
	e.nruns++
	e.count++
}

// resize moves the runs, oldest first, into a ring of size n >= nruns.
func (e *entry) resize(n int) {
	runs := make([]run, n)
	for i := range e.nruns {
		runs[i] = *e.at(i)
	}
	e.runs, e.start = runs, 0
}

// floorDiv rounds towards negative infinity, because times before the
// Limiter's base are negative and must still fall into distinct quanta.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}
