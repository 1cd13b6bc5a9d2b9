package hub

import (
	"encoding/json"
	"errors"
	"io"
	"math"
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
	batch *batchConn // ws's connection
	idle  atomic.Bool
	value atomic.Pointer[any]

	// The send queue. An idle stream holds no queue and no writer
	// goroutine: enqueue starts a writer when it queues the first frame,
	// and the writer ends once it has sent everything.
	qmu     sync.Mutex
	pending [][]byte // frames not yet written, the batch being written first
	writing bool     // a writer goroutine owns the socket's data frames

	// ping sends the next server ping; it is set before serve starts.
	ping *time.Timer

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
	finished   chan struct{} // closed once the writer has closed the socket
}

func newConn(h *Hub, ws *websocket.Conn, c Client) *Conn {
	return &Conn{
		Client: c,
		hub:    h,
		ws:     ws,
		// Frames published before hello wait for serve to put hello
		// ahead of them and start the writer.
		writing:    true,
		closing:    make(chan struct{}),
		readerDone: make(chan struct{}),
		finished:   make(chan struct{}),
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

// serve runs the stream until it ends, on a goroutine of its own: the
// request's goroutine has returned, so net/http's buffers and the stack the
// handshake grew are not kept for the life of the stream. It reads client
// frames; Opened, Hello and the first writes run on the first writer, so
// the stack they grow ends with it rather than staying under the reader.
func (c *Conn) serve() {
	h := c.hub
	started := make(chan struct{})
	go c.start(started)
	<-started
	// Created stopped and armed after the field is set, so sendPing never
	// sees the field unset.
	c.ping = time.AfterFunc(time.Duration(math.MaxInt64), c.sendPing)
	c.ping.Reset(h.o.PingInterval)
	c.readLoop()
	close(c.readerDone)
	<-c.finished
	c.ping.Stop()
	h.unregister(c)
	h.o.Handler.Closed(c)
	h.o.Logger.Debug("hub: stream closed", "user", c.Client.Username, "code", c.code, "reason", c.text)
}

// start opens the stream for the Handler, puts hello ahead of the frames
// published meanwhile, lets the reader begin and becomes the first writer.
func (c *Conn) start(started chan<- struct{}) {
	h := c.hub
	h.o.Handler.Opened(c)
	if hello, ok := h.encode(h.o.Handler.Hello(c)); ok {
		c.qmu.Lock()
		c.pending = append([][]byte{hello}, c.pending...)
		c.qmu.Unlock()
	} else {
		c.shut(websocket.CloseInternalServerErr, "", nil)
	}
	close(started)
	c.writeLoop()
}

// enqueue queues b without waiting; a full queue ends the stream instead,
// which is what keeps one slow reader from delaying the others and bounds
// the memory it holds.
func (c *Conn) enqueue(b []byte) {
	if c.isClosing() {
		return
	}
	c.qmu.Lock()
	if len(c.pending) >= c.hub.o.QueueSize {
		c.qmu.Unlock()
		if c.shut(websocket.CloseTryAgainLater, "send queue full", nil) {
			c.hub.dropped.Add(1)
			c.hub.o.Logger.Info("hub: slow stream dropped", "user", c.Client.Username)
		}
		return
	}
	c.pending = append(c.pending, b)
	start := !c.writing
	c.writing = true
	c.qmu.Unlock()
	if start {
		go c.writeLoop()
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
	if first {
		// The writer sends the close; an idle stream has none running.
		c.qmu.Lock()
		start := !c.writing
		c.writing = true
		c.qmu.Unlock()
		if start {
			go c.writeLoop()
		}
	}
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

// writeLoop is the only goroutine writing data frames while it runs; it
// sends what is queued, in order, and ends when the queue is empty. Once the
// stream is closing it sends the close instead and closes the socket.
func (c *Conn) writeLoop() {
	for {
		// Decided under qmu, which shut takes after closing c.closing, so
		// either this writer sees the close or shut starts another.
		c.qmu.Lock()
		if c.isClosing() {
			c.pending = nil
			c.qmu.Unlock()
			c.finish()
			close(c.finished)
			return
		}
		batch := c.pending
		if len(batch) == 0 {
			c.pending = nil
			c.writing = false
			c.qmu.Unlock()
			return
		}
		c.qmu.Unlock()

		c.batch.begin()
		for _, b := range batch {
			// Checked before each frame, so nothing queued is sent after a
			// revocation.
			if c.isClosing() {
				break
			}
			err := c.write(b)
			if err == nil && c.batch.buffered() >= maxBatchBytes {
				err = c.batch.flush()
				c.batch.begin()
			}
			if err != nil {
				c.abort("write failed: " + err.Error())
				break
			}
		}
		if err := c.batch.flush(); err != nil {
			c.abort("write failed: " + err.Error())
		}

		c.qmu.Lock()
		// Frames stay queued until written, so they count against the
		// queue's bound; appends never touch the batch's elements.
		if c.pending = c.pending[len(batch):]; len(c.pending) == 0 {
			c.pending = nil
		}
		c.qmu.Unlock()
	}
}

// sendPing runs on the ping timer's goroutine; WriteControl may be called
// concurrently with the writer.
func (c *Conn) sendPing() {
	if c.isClosing() {
		return
	}
	o := &c.hub.o
	if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(o.WriteTimeout)); err != nil {
		c.abort("ping failed: " + err.Error())
		return
	}
	c.ping.Reset(o.PingInterval)
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

	frames := window{n: o.MaxFramesPerSecond, d: time.Second}
	bad := window{n: o.MaxBadFramesPerMinute, d: time.Minute}
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
// single comparison with the oldest. The times are allocated at the first
// event: most streams never send a frame.
type window struct {
	times []time.Time
	next  int
	n     int
	d     time.Duration
}

// full reports whether the last n events all happened within d before now.
func (w *window) full(now time.Time) bool {
	if w.times == nil {
		return false
	}
	oldest := w.times[w.next]
	return !oldest.IsZero() && now.Sub(oldest) < w.d
}

func (w *window) add(now time.Time) {
	if w.times == nil {
		w.times = make([]time.Time, w.n)
	}
	w.times[w.next] = now
	w.next = (w.next + 1) % len(w.times)
}
