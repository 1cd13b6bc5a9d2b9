package hub

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Presence states a stream reports (behavior.md §9.1).
const (
	Active = "active"
	Idle   = "idle"
)

// Conn is one event stream. Besides who holds it, it keeps what the Handler
// tracks per stream; its methods are safe for concurrent use.
type Conn struct {
	// Client is who holds the stream; it must not be modified.
	Client Client

	hub   *Hub
	ws    *websocket.Conn
	queue chan []byte
	idle  atomic.Bool
	value atomic.Pointer[any]

	// Guarded by hub.mu.
	registered bool
	mark       uint64

	// closing is closed once, by shut, when the stream must end; code,
	// text and final are written before and read only after.
	shutOnce sync.Once
	closing  chan struct{}
	code     int    // close code to send, 0 when the socket is past it
	text     string // close reason, also logged
	final    []byte // frame to send before the close frame

	readerDone chan struct{}
	writerDone chan struct{}
}

func newConn(h *Hub, ws *websocket.Conn, c Client) *Conn {
	return &Conn{
		Client:     c,
		hub:        h,
		ws:         ws,
		queue:      make(chan []byte, h.o.QueueSize),
		closing:    make(chan struct{}),
		readerDone: make(chan struct{}),
		writerDone: make(chan struct{}),
	}
}

// Presence returns the state the client last reported: Active (the state of
// a new stream) or Idle.
func (c *Conn) Presence() string {
	if c.idle.Load() {
		return Idle
	}
	return Active
}

// SetPresence records the state the client reported and says whether it
// changed. Any state but Active counts as Idle: behavior.md §9.1 takes the
// hidden or offline of a backgrounded tab as idle.
func (c *Conn) SetPresence(state string) (changed bool) {
	idle := state != Active
	return c.idle.Swap(idle) != idle
}

// Value returns what the Handler last stored with SetValue, or nil.
func (c *Conn) Value() any {
	if p := c.value.Load(); p != nil {
		return *p
	}
	return nil
}

// SetValue stores v for the Handler's own use.
func (c *Conn) SetValue(v any) {
	c.value.Store(&v)
}

// serve runs the stream until it ends, on the goroutine of Accept.
func (c *Conn) serve() {
	h := c.hub
	h.o.Handler.Opened(c)
	hello, ok := h.encode(h.o.Handler.Hello(c))
	if !ok {
		c.shut(websocket.CloseInternalServerErr, "", nil)
	}
	go c.writeLoop(hello)
	c.readLoop()
	close(c.readerDone)
	<-c.writerDone
	h.unregister(c)
	h.o.Handler.Closed(c)
	h.o.Logger.Debug("hub: stream closed", "user", c.Client.Username, "code", c.code, "reason", c.text)
}

// enqueue queues b without waiting; a full queue ends the stream instead,
// which is what keeps one slow reader from delaying the others and bounds
// the memory it holds.
func (c *Conn) enqueue(b []byte) {
	select {
	case <-c.closing:
		return
	default:
	}
	select {
	case c.queue <- b:
	default:
		if c.shut(websocket.CloseTryAgainLater, "send queue full", nil) {
			c.hub.dropped.Add(1)
			c.hub.o.Logger.Info("hub: slow stream dropped", "user", c.Client.Username)
		}
	}
}

// shut asks the writer to end the stream with code (none when 0), after
// sending final when it is not nil. Only the first call counts; it reports
// whether this one was it.
func (c *Conn) shut(code int, text string, final []byte) bool {
	first := false
	c.shutOnce.Do(func() {
		c.code, c.text, c.final = code, text, final
		close(c.closing)
		first = true
	})
	return first
}

func (c *Conn) isClosing() bool {
	select {
	case <-c.closing:
		return true
	default:
		return false
	}
}

// writeLoop is the only goroutine writing data frames, hello first; queued
// frames wait behind it. It closes the socket when it returns.
func (c *Conn) writeLoop(hello []byte) {
	defer close(c.writerDone)
	o := &c.hub.o
	ping := time.NewTicker(o.PingInterval)
	defer ping.Stop()

	next := hello
	for {
		if next != nil {
			if err := c.write(next); err != nil {
				c.abort("write failed: " + err.Error())
				return
			}
			next = nil
		}
		// Checked first, so nothing queued is sent after a revocation.
		if c.isClosing() {
			c.finish()
			return
		}
		select {
		case next = <-c.queue:
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(o.WriteTimeout)); err != nil {
				c.abort("ping failed: " + err.Error())
				return
			}
		case <-c.closing:
			c.finish()
			return
		}
	}
}

func (c *Conn) write(b []byte) error {
	if err := c.ws.SetWriteDeadline(time.Now().Add(c.hub.o.WriteTimeout)); err != nil {
		return err
	}
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// abort drops a connection that can no longer be written to.
func (c *Conn) abort(reason string) {
	c.shut(0, reason, nil)
	_ = c.ws.Close()
}

// finish sends the final frame and the close frame, then gives the client
// WriteTimeout to answer the close before dropping the connection: closing
// the socket with the answer unread could reset it and lose the close frame
// in the client's buffer.
func (c *Conn) finish() {
	defer c.ws.Close()
	if c.final != nil && c.write(c.final) != nil {
		return
	}
	if c.code == 0 {
		return
	}
	wt := c.hub.o.WriteTimeout
	msg := websocket.FormatCloseMessage(c.code, c.text)
	if c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(wt)) != nil {
		return
	}
	t := time.NewTimer(wt)
	defer t.Stop()
	select {
	case <-c.readerDone:
	case <-t.C:
	}
}

// readLoop reads client frames until the connection ends. Once the stream
// is closing it keeps reading, ignoring data, to receive the client's
// answer to the close frame.
func (c *Conn) readLoop() {
	h := c.hub
	o := &h.o
	ws := c.ws
	alive := func() { _ = ws.SetReadDeadline(time.Now().Add(o.PongTimeout)) }
	alive()
	ws.SetPongHandler(func(string) error {
		alive()
		return nil
	})
	ws.SetPingHandler(func(data string) error {
		alive()
		// A pong that cannot be written means a broken socket, which the
		// writer finds out and reports.
		_ = ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(o.WriteTimeout))
		return nil
	})
	ws.SetCloseHandler(func(code int, _ string) error {
		// Free the slot before answering, so a client that waits for the
		// answer can open a new stream at once.
		h.unregister(c)
		msg := websocket.FormatCloseMessage(code, "")
		_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(o.WriteTimeout))
		return nil
	})

	frames := newWindow(o.MaxFramesPerSecond, time.Second)
	bad := newWindow(o.MaxBadFramesPerMinute, time.Minute)
	for {
		typ, r, err := ws.NextReader()
		if err != nil {
			c.readFailed(err)
			return
		}
		alive()
		if c.isClosing() {
			// The next NextReader skips what is left unread.
			continue
		}
		data, err := io.ReadAll(io.LimitReader(r, o.MaxFrameBytes+1))
		if err != nil {
			c.readFailed(err)
			return
		}
		if int64(len(data)) > o.MaxFrameBytes {
			c.shut(websocket.CloseMessageTooBig, "frame too large", nil)
			continue
		}
		now := time.Now()
		if frames.full(now) {
			continue
		}
		frames.add(now)
		if typ == websocket.TextMessage && c.handle(data) {
			continue
		}
		bad.add(now)
		if bad.full(now) {
			c.shut(websocket.ClosePolicyViolation, "too many bad frames", nil)
		}
	}
}

func (c *Conn) readFailed(err error) {
	var ce *websocket.CloseError
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		// The close handler has answered already.
		c.shut(0, "closed by client", nil)
	case errors.As(err, &ne) && ne.Timeout():
		c.shut(websocket.CloseGoingAway, "ping timeout", nil)
	default:
		c.shut(0, "read failed: "+err.Error(), nil)
	}
}

// pongFrame is shared by every answer to a ping; queued frames are never
// modified.
var pongFrame = []byte(`{"type":"pong"}`)

// handle dispatches one client text frame and reports whether it was good.
func (c *Conn) handle(data []byte) bool {
	var in struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(data, &in) != nil || in.Type == "" {
		return false
	}
	if in.Type == "ping" {
		c.enqueue(pongFrame)
		return true
	}
	return c.hub.o.Handler.Frame(c, in.Type, in.Data)
}

// window holds the times of the last n events, so "n events within d" is a
// single comparison with the oldest.
type window struct {
	times []time.Time
	next  int
	d     time.Duration
}

func newWindow(n int, d time.Duration) *window {
	return &window{times: make([]time.Time, n), d: d}
}

// full reports whether the last n events all happened within d before now.
func (w *window) full(now time.Time) bool {
	oldest := w.times[w.next]
	return !oldest.IsZero() && now.Sub(oldest) < w.d
}

func (w *window) add(now time.Time) {
	w.times[w.next] = now
	w.next = (w.next + 1) % len(w.times)
}
