// Package hub owns MiniMost's live event streams (GET /api/v1/ws). It
// upgrades requests its caller has already authenticated, fans frames out to
// the streams through one bounded queue each, enforces the per-stream limits
// of behavior.md §10.3 and closes streams on revocation and shutdown.
//
// The hub knows nothing of channels or accounts: the caller says who holds a
// stream, who receives each frame and what client frames mean. It promises
// that frames reach every stream in the order they were published and that a
// slow stream never delays the others.
package hub

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/minimost/minimost/pkg/chat"
)

// Client identifies who holds a stream.
type Client struct {
	UserID   int64
	Username string
	// SessionHash identifies the cookie session; it is nil for a bot token.
	SessionHash []byte
	// TokenID identifies the bot token; it is 0 for a cookie session.
	TokenID int64
}

// Frame is one server-to-client frame. Seq is left out of the JSON when 0
// and Data when nil, so {"type":"pong"} is Frame{Type: "pong"}.
type Frame struct {
	Type string `json:"type"`
	Seq  int64  `json:"seq,omitempty"`
	Data any    `json:"data,omitempty"`
}

// Event is a frame to publish. When PerUser is not nil it is called once for
// each receiving user, outside any lock and socket write, and its result
// replaces Frame.Data for that user's streams; ok=false leaves the user out.
type Event struct {
	Frame   Frame
	PerUser func(userID int64) (data any, ok bool)
}

// Handler is the caller's side of every stream. The hub calls it from the
// stream's own goroutines, one call at a time per stream (Opened and Hello
// before any Frame, Closed last), and never while holding a lock, so it may
// call back into the hub.
type Handler interface {
	// Hello returns the first frame of a new stream. It is called after
	// Opened, once the stream already receives published frames, so an event
	// committed after Hello read its state still reaches the stream.
	Hello(c *Conn) Frame
	// Frame handles one well-formed client frame other than ping. Returning
	// false counts it as a bad frame (unknown type, bad fields).
	Frame(c *Conn, typ string, data json.RawMessage) bool
	// Opened is called when the stream starts receiving published frames.
	Opened(c *Conn)
	// Closed is called once the stream has ended and no longer counts for
	// Online, Streams or Count.
	Closed(c *Conn)
}

// Options configure a Hub. A zero value takes the fixed limit of
// behavior.md §10.3 (none of them is a setting); tests shorten them.
type Options struct {
	// Logger receives the hub's log lines; nil discards them.
	Logger *slog.Logger
	// Handler must not be nil.
	Handler Handler
	// QueueSize is how many frames wait for a stream before it is closed
	// with 1013 (default 256).
	QueueSize int
	// PingInterval is the time between server pings (default 30 s).
	PingInterval time.Duration
	// PongTimeout closes a stream from which nothing was read for that long
	// (default 60 s).
	PongTimeout time.Duration
	// WriteTimeout bounds each write, and the wait for the client's answer
	// to a close frame (default 10 s).
	WriteTimeout time.Duration
	// MaxFrameBytes is the largest client frame; a larger one closes the
	// stream with 1009 (default 80 KiB).
	MaxFrameBytes int64
	// MaxFramesPerSecond is how many client frames a stream may send per
	// second; the excess is dropped (default 20).
	MaxFramesPerSecond int
	// MaxBadFramesPerMinute is how many bad client frames close a stream
	// with 1008 when they arrive within a minute (default 50).
	MaxBadFramesPerMinute int
	// CheckOrigin is the caller's Origin rule. When nil, a request without
	// Origin passes and one with Origin must name the Host it was sent to.
	CheckOrigin func(r *http.Request) bool
}

func (o *Options) setDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.QueueSize <= 0 {
		o.QueueSize = 256
	}
	if o.PingInterval <= 0 {
		o.PingInterval = 30 * time.Second
	}
	if o.PongTimeout <= 0 {
		o.PongTimeout = 60 * time.Second
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second
	}
	if o.MaxFrameBytes <= 0 {
		o.MaxFrameBytes = 80 << 10
	}
	if o.MaxFramesPerSecond <= 0 {
		o.MaxFramesPerSecond = 20
	}
	if o.MaxBadFramesPerMinute <= 0 {
		o.MaxBadFramesPerMinute = 50
	}
	if o.CheckOrigin == nil {
		o.CheckOrigin = sameOrigin
	}
}

// Hub holds every live stream. Its methods are safe for concurrent use.
type Hub struct {
	o        Options
	upgrader websocket.Upgrader

	// mu guards the maps below and every enqueue done by a publish, which
	// makes each publish atomic with respect to the others: all streams see
	// concurrent publishes in the same order. Nothing writes to a socket or
	// calls the Handler while holding it.
	mu      sync.Mutex
	slots   map[int64]int     // streams per user, upgrades in progress included
	streams map[int64][]*Conn // registered streams per user
	count   int
	pubSeq  uint64 // numbers publishes, to skip users listed twice
	closed  bool

	// wg counts upgrades in progress and running streams, so Shutdown can
	// wait for them.
	wg      sync.WaitGroup
	dropped atomic.Int64
}

// New returns a Hub with the options o; it panics when o.Handler is nil.
func New(o Options) *Hub {
	if o.Handler == nil {
		panic("hub: Options.Handler is nil")
	}
	o.setDefaults()
	h := &Hub{
		o:       o,
		slots:   make(map[int64]int),
		streams: make(map[int64][]*Conn),
	}
	h.upgrader = websocket.Upgrader{
		HandshakeTimeout: o.WriteTimeout,
		// A small buffer of the stream's own rather than net/http's 4 KiB
		// one: client frames are few and small.
		ReadBufferSize: 1024,
		// Idle streams are the norm, so they should not each hold a buffer.
		WriteBufferPool: &sync.Pool{},
		// Accept has checked the origin already, answering in the api.md
		// error format rather than gorilla's plain text.
		CheckOrigin: func(*http.Request) bool { return true },
		Error:       upgradeError,
	}
	return h
}

// OriginOK reports whether r passes the Origin rule. behavior.md §10.1 puts
// this check before authentication, so the caller runs it first; Accept
// runs it again so that no path upgrades a foreign origin.
func (h *Hub) OriginOK(r *http.Request) bool {
	return h.o.CheckOrigin(r)
}

// Accept upgrades r, which the caller has authenticated as c, to an event
// stream and serves it on a goroutine of its own; it returns once the
// stream has started, and Shutdown waits for the stream to end. Before the
// upgrade it answers 403 forbidden for a foreign origin, 429 rate_limited
// with Retry-After: 5 when c's user already holds maxPerUser streams, and 503
// once Shutdown has begun.
func (h *Hub) Accept(w http.ResponseWriter, r *http.Request, c Client, maxPerUser int) {
	if !h.OriginOK(r) {
		writeError(w, http.StatusForbidden, chat.EForbidden, "origin not allowed")
		return
	}
	switch h.reserve(c.UserID, maxPerUser) {
	case refusedClosed:
		writeError(w, http.StatusServiceUnavailable, chat.EInternal, "server is shutting down")
		return
	case refusedFull:
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusTooManyRequests, chat.ERateLimited, "too many event streams open")
		return
	}

	hj := &hijacker{ResponseWriter: w}
	ws, err := h.upgrader.Upgrade(hj, r, nil)
	if err != nil {
		// The upgrader has answered the request.
		h.unreserve(c.UserID)
		h.wg.Done()
		return
	}
	conn := newConn(h, ws, c)
	conn.batch = hj.conn
	if !h.register(conn) {
		h.unreserve(c.UserID)
		msg := websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down")
		_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(h.o.WriteTimeout))
		_ = ws.Close()
		h.wg.Done()
		return
	}
	go func() {
		defer h.wg.Done()
		conn.serve()
	}()
}

type refusal int

const (
	accepted refusal = iota
	refusedFull
	refusedClosed
)

// reserve takes a stream slot of userID before the upgrade, so two
// concurrent upgrades cannot both take the last one. On success the caller
// owns one count of h.wg.
func (h *Hub) reserve(userID int64, maxPerUser int) refusal {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return refusedClosed
	}
	if h.slots[userID] >= maxPerUser {
		return refusedFull
	}
	h.slots[userID]++
	h.wg.Add(1)
	return accepted
}

func (h *Hub) unreserve(userID int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.freeSlot(userID)
}

func (h *Hub) freeSlot(userID int64) {
	if h.slots[userID]--; h.slots[userID] <= 0 {
		delete(h.slots, userID)
	}
}

// register makes c receive published frames, unless Shutdown has begun.
func (h *Hub) register(c *Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	id := c.Client.UserID
	h.streams[id] = append(h.streams[id], c)
	h.count++
	c.registered = true
	return true
}

// unregister removes c and frees its slot. It may run twice for one stream:
// early, when the client asks to close, and again when the stream ends.
func (h *Hub) unregister(c *Conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !c.registered {
		return
	}
	c.registered = false
	id := c.Client.UserID
	cs := h.streams[id]
	for i, x := range cs {
		if x == c {
			cs = append(cs[:i], cs[i+1:]...)
			break
		}
	}
	if len(cs) == 0 {
		delete(h.streams, id)
	} else {
		h.streams[id] = cs
	}
	h.count--
	h.freeSlot(id)
}

// Publish queues ev for every stream of the listed users; users listed twice
// receive it once, users without a stream are skipped. It never waits for a
// socket: a stream whose queue is full is closed with 1013 instead.
func (h *Hub) Publish(ev Event, userIDs []int64) {
	h.publish(ev, userIDs, false)
}

// PublishAll queues ev for every stream, as Publish does.
func (h *Hub) PublishAll(ev Event) {
	h.publish(ev, nil, true)
}

func (h *Hub) publish(ev Event, userIDs []int64, all bool) {
	if ev.PerUser == nil {
		b, ok := h.encode(ev.Frame)
		if !ok {
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		h.forStreams(userIDs, all, func(c *Conn) { c.enqueue(b) })
		return
	}

	// PerUser may be slow or take the caller's locks, so it runs between two
	// short critical sections: one to learn who is online, one to enqueue.
	h.mu.Lock()
	var users []int64
	h.forUsers(userIDs, all, func(id int64, _ []*Conn) { users = append(users, id) })
	h.mu.Unlock()

	type copyFor struct {
		userID int64
		frame  []byte
	}
	copies := make([]copyFor, 0, len(users))
	for _, id := range users {
		data, ok := ev.PerUser(id)
		if !ok {
			continue
		}
		f := ev.Frame
		f.Data = data
		if b, ok := h.encode(f); ok {
			copies = append(copies, copyFor{id, b})
		}
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	// A user who connected in between gets the frame too; one who left
	// has no streams to receive it.
	for _, cp := range copies {
		for _, c := range h.streams[cp.userID] {
			c.enqueue(cp.frame)
		}
	}
}

// forUsers calls fn for each listed user (or every user when all is set)
// holding at least one stream, once per user. h.mu must be held.
func (h *Hub) forUsers(userIDs []int64, all bool, fn func(id int64, cs []*Conn)) {
	if all {
		for id, cs := range h.streams {
			fn(id, cs)
		}
		return
	}
	// Marking the user's first stream with the publish number finds
	// duplicates without allocating a set on every publish.
	h.pubSeq++
	for _, id := range userIDs {
		cs := h.streams[id]
		if len(cs) == 0 || cs[0].mark == h.pubSeq {
			continue
		}
		cs[0].mark = h.pubSeq
		fn(id, cs)
	}
}

// forStreams calls fn for every stream of the users forUsers selects. h.mu
// must be held.
func (h *Hub) forStreams(userIDs []int64, all bool, fn func(c *Conn)) {
	h.forUsers(userIDs, all, func(_ int64, cs []*Conn) {
		for _, c := range cs {
			fn(c)
		}
	})
}

// SendTo queues f for one stream only (a pong, an answer to its frame).
func (h *Hub) SendTo(conn *Conn, f Frame) {
	if b, ok := h.encode(f); ok {
		conn.enqueue(b)
	}
}

// SendToUser queues f for every stream of one user (a relayed signal).
func (h *Hub) SendToUser(userID int64, f Frame) {
	h.Publish(Event{Frame: f}, []int64{userID})
}

// revokedFrame is sent alone before the close, so the client knows to go to
// the login page rather than reconnect.
var revokedFrame = []byte(`{"type":"session.revoked"}`)

// RevokeSessions ends the streams of the cookie sessions whose hashes are
// given: session.revoked, then close 1008. Frames still queued for them are
// not sent.
func (h *Hub) RevokeSessions(hashes [][]byte) {
	h.revoke(func(c Client) bool {
		if c.SessionHash == nil {
			return false
		}
		for _, hash := range hashes {
			if bytes.Equal(c.SessionHash, hash) {
				return true
			}
		}
		return false
	})
}

// RevokeUser ends every stream of a user, as RevokeSessions does.
func (h *Hub) RevokeUser(userID int64) {
	h.revoke(func(c Client) bool { return c.UserID == userID })
}

// RevokeToken ends every stream of a bot token, as RevokeSessions does.
func (h *Hub) RevokeToken(tokenID int64) {
	// 0 would name every cookie session.
	if tokenID == 0 {
		return
	}
	h.revoke(func(c Client) bool { return c.TokenID == tokenID })
}

func (h *Hub) revoke(match func(Client) bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.forStreams(nil, true, func(c *Conn) {
		if match(c.Client) {
			c.shut(websocket.ClosePolicyViolation, "session revoked", revokedFrame)
		}
	})
}

// Online reports whether the user holds at least one stream.
func (h *Hub) Online(userID int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.streams[userID]) > 0
}

// AnyActive reports whether at least one of the user's streams reports
// Active, without copying the list as Streams does.
func (h *Hub) AnyActive(userID int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.streams[userID] {
		if c.Presence() == Active {
			return true
		}
	}
	return false
}

// Streams returns the user's streams at this moment.
func (h *Hub) Streams(userID int64) []*Conn {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*Conn(nil), h.streams[userID]...)
}

// Count returns the number of open streams.
func (h *Hub) Count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.count
}

// Dropped returns how many streams were closed because their queue was
// full (minimost_ws_dropped_total).
func (h *Hub) Dropped() int64 {
	return h.dropped.Load()
}

// Shutdown refuses new streams, closes every stream with 1001 and waits
// for them to end. When ctx ends first it drops the remaining connections
// without a close handshake and returns ctx's error. http.Server.Shutdown
// does not do this: it does not track hijacked connections.
func (h *Hub) Shutdown(ctx context.Context) error {
	h.mu.Lock()
	h.closed = true
	var open []*Conn
	h.forStreams(nil, true, func(c *Conn) { open = append(open, c) })
	h.mu.Unlock()

	for _, c := range open {
		c.shut(websocket.CloseGoingAway, "server shutting down", nil)
	}
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		for _, c := range open {
			_ = c.ws.Close()
		}
		return ctx.Err()
	}
}

func (h *Hub) encode(f Frame) ([]byte, bool) {
	b, err := json.Marshal(f)
	if err != nil {
		h.o.Logger.Error("hub: cannot encode frame", "type", f.Type, "err", err)
		return nil, false
	}
	return b, true
}

// sameOrigin is the Origin rule when the caller gives none: what gorilla
// checks by default, for clients that send an Origin at all.
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// upgradeError answers a failed upgrade in the api.md error format.
func upgradeError(w http.ResponseWriter, _ *http.Request, status int, reason error) {
	// RFC 6455 §4.4: tell a client of another protocol version ours.
	w.Header().Set("Sec-WebSocket-Version", "13")
	switch {
	case status == http.StatusForbidden:
		writeError(w, status, chat.EForbidden, reason.Error())
	case status >= 500:
		writeError(w, status, chat.EInternal, "internal error")
	default:
		writeError(w, status, chat.EBadRequest, reason.Error())
	}
}

func writeError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}{code, message})
}
