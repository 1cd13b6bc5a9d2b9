package hub

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// recorder is the Handler of the tests: it accepts "typing" and "presence"
// frames, refuses every other type, and counts Opened and Closed per stream.
type recorder struct {
	hub    *Hub
	onOpen func(c *Conn)

	mu     sync.Mutex
	opened map[*Conn]int
	closed map[*Conn]int
	typing []string
	ended  chan *Conn
}

func newRecorder() *recorder {
	return &recorder{
		opened: make(map[*Conn]int),
		closed: make(map[*Conn]int),
		ended:  make(chan *Conn, 1000),
	}
}

func (r *recorder) Hello(c *Conn) Frame {
	return Frame{Type: "hello", Data: map[string]any{"user": c.Client.Username}}
}

func (r *recorder) Frame(c *Conn, typ string, data json.RawMessage) bool {
	switch typ {
	case "typing":
		r.mu.Lock()
		r.typing = append(r.typing, string(data))
		r.mu.Unlock()
		return true
	case "presence":
		var p struct{ State string }
		if json.Unmarshal(data, &p) != nil {
			return false
		}
		c.SetPresence(p.State)
		return true
	}
	return false
}

func (r *recorder) Opened(c *Conn) {
	r.mu.Lock()
	r.opened[c]++
	r.mu.Unlock()
	if r.onOpen != nil {
		r.onOpen(c)
	}
}

func (r *recorder) Closed(c *Conn) {
	r.mu.Lock()
	r.closed[c]++
	r.mu.Unlock()
	r.ended <- c
}

func (r *recorder) typed() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.typing...)
}

func (r *recorder) openedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.opened)
}

// checkOnce fails t unless every stream was opened and closed exactly once.
func (r *recorder) checkOnce(t testing.TB) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for c, n := range r.opened {
		if n != 1 || r.closed[c] != 1 {
			t.Errorf("stream of %s: Opened %d times, Closed %d times", c.Client.Username, n, r.closed[c])
		}
	}
	for c := range r.closed {
		if r.opened[c] == 0 {
			t.Errorf("stream of %s closed but never opened", c.Client.Username)
		}
	}
}

// waitClosed returns the next stream whose Closed was called.
func (r *recorder) waitClosed(t *testing.T) *Conn {
	t.Helper()
	select {
	case c := <-r.ended:
		return c
	case <-time.After(5 * time.Second):
		t.Fatal("no stream closed within 5 s")
		return nil
	}
}

type env struct {
	t          testing.TB
	hub        *Hub
	rec        *recorder
	srv        *httptest.Server
	maxPerUser int
	closeOnce  sync.Once
}

// newEnv serves a Hub at the root of a loopback server. The request names
// its client in the query: user, session (hex), token.
func newEnv(t testing.TB, o Options) *env {
	t.Helper()
	rec := newRecorder()
	o.Handler = rec
	e := &env{t: t, rec: rec, maxPerUser: 100}
	e.hub = New(o)
	rec.hub = e.hub
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		id, _ := strconv.ParseInt(q.Get("user"), 10, 64)
		token, _ := strconv.ParseInt(q.Get("token"), 10, 64)
		var session []byte
		if s := q.Get("session"); s != "" {
			session, _ = hex.DecodeString(s)
		}
		c := Client{UserID: id, Username: "user" + q.Get("user"), SessionHash: session, TokenID: token}
		e.hub.Accept(w, r, c, e.maxPerUser)
	}))
	t.Cleanup(e.close)
	return e
}

// close shuts the hub down and checks the Handler saw every stream open
// and close once.
func (e *env) close() {
	e.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.hub.Shutdown(ctx); err != nil {
			e.t.Errorf("Shutdown: %v", err)
		}
		e.srv.Close()
		e.rec.checkOnce(e.t)
	})
}

func (e *env) url(q url.Values) string {
	return "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/?" + q.Encode()
}

// dial opens a stream without reading from it.
func (e *env) dial(q url.Values, header http.Header) (*websocket.Conn, *http.Response, error) {
	ws, resp, err := websocket.DefaultDialer.Dial(e.url(q), header)
	if err == nil {
		e.t.Cleanup(func() { ws.Close() })
	}
	return ws, resp, err
}

// open opens a stream for user and reads its hello frame.
func (e *env) open(user int64, kv ...string) *websocket.Conn {
	e.t.Helper()
	q := url.Values{"user": {strconv.FormatInt(user, 10)}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	ws, _, err := e.dial(q, nil)
	if err != nil {
		e.t.Fatalf("dial user %d: %v", user, err)
	}
	if f := readFrame(e.t, ws); f.Type != "hello" {
		e.t.Fatalf("first frame %q, want hello", f.Type)
	}
	return ws
}

type wireFrame struct {
	Type string          `json:"type"`
	Seq  int64           `json:"seq"`
	Data json.RawMessage `json:"data"`
}

func readRaw(t testing.TB, ws *websocket.Conn) []byte {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := ws.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return b
}

func readFrame(t testing.TB, ws *websocket.Conn) wireFrame {
	t.Helper()
	var f wireFrame
	if err := json.Unmarshal(readRaw(t, ws), &f); err != nil {
		t.Fatalf("frame: %v", err)
	}
	return f
}

// expectClose reads until the stream ends and checks its close code.
func expectClose(t *testing.T, ws *websocket.Conn, code int) {
	t.Helper()
	_ = ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		_, _, err := ws.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("stream ended with %v, want close %d", err, code)
		}
		if ce.Code != code {
			t.Fatalf("close code %d (%q), want %d", ce.Code, ce.Text, code)
		}
		return
	}
}

func send(t *testing.T, ws *websocket.Conn, s string) {
	t.Helper()
	if err := ws.WriteMessage(websocket.TextMessage, []byte(s)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// sync pings the stream and reads up to the pong, so every frame the
// client sent before has been handled.
func syncStream(t *testing.T, ws *websocket.Conn) {
	t.Helper()
	send(t, ws, `{"type":"ping"}`)
	for {
		if f := readFrame(t, ws); f.Type == "pong" {
			return
		}
	}
}

// marker publishes a frame to every stream; a stream's next frame being the
// marker proves it received nothing else in between.
func (e *env) marker() {
	e.hub.PublishAll(Event{Frame: Frame{Type: "marker"}})
}

func expectType(t *testing.T, ws *websocket.Conn, typ string) wireFrame {
	t.Helper()
	f := readFrame(t, ws)
	if f.Type != typ {
		t.Fatalf("frame %q (%s), want %q", f.Type, f.Data, typ)
	}
	return f
}

func TestHelloIsFirst(t *testing.T) {
	e := newEnv(t, Options{})
	// Frames queued while the caller still builds hello must wait for it.
	e.rec.onOpen = func(c *Conn) {
		e.hub.SendTo(c, Frame{Type: "early"})
		e.hub.Publish(Event{Frame: Frame{Type: "published", Seq: 7}}, []int64{c.Client.UserID})
	}
	ws := e.open(1)
	expectType(t, ws, "early")
	if f := expectType(t, ws, "published"); f.Seq != 7 {
		t.Errorf("seq %d, want 7", f.Seq)
	}
}

func TestHelloFrameJSON(t *testing.T) {
	e := newEnv(t, Options{})
	ws, _, err := e.dial(url.Values{"user": {"4"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(readRaw(t, ws)), `{"type":"hello","data":{"user":"user4"}}`; got != want {
		t.Errorf("hello %s, want %s", got, want)
	}
}

func TestPublishAudience(t *testing.T) {
	e := newEnv(t, Options{})
	a1, a2 := e.open(1), e.open(1)
	b := e.open(2)
	c := e.open(3)

	e.hub.Publish(Event{Frame: Frame{Type: "message.created", Seq: 5, Data: map[string]int{"id": 9}}}, []int64{1, 3, 1, 99})
	e.marker()
	for _, ws := range []*websocket.Conn{a1, a2, c} {
		f := expectType(t, ws, "message.created")
		if f.Seq != 5 || string(f.Data) != `{"id":9}` {
			t.Errorf("frame seq %d data %s", f.Seq, f.Data)
		}
		expectType(t, ws, "marker") // not a second copy for the user listed twice
	}
	expectType(t, b, "marker")

	e.hub.PublishAll(Event{Frame: Frame{Type: "presence"}})
	for _, ws := range []*websocket.Conn{a1, a2, b, c} {
		expectType(t, ws, "presence")
	}

	e.hub.SendToUser(1, Frame{Type: "call.signal"})
	e.marker()
	expectType(t, a1, "call.signal")
	expectType(t, a2, "call.signal")
	expectType(t, b, "marker")
	expectType(t, c, "marker")
}

func TestPerUser(t *testing.T) {
	e := newEnv(t, Options{})
	a, b, c := e.open(1), e.open(2), e.open(3)
	var asked sync.Map
	perUser := func(id int64) (any, bool) {
		asked.Store(id, true)
		if id == 2 {
			return nil, false
		}
		return map[string]string{"name": "for user" + strconv.FormatInt(id, 10)}, true
	}
	e.hub.Publish(Event{Frame: Frame{Type: "channel.updated"}, PerUser: perUser}, []int64{1, 2, 3, 50})
	e.marker()
	if f := expectType(t, a, "channel.updated"); string(f.Data) != `{"name":"for user1"}` {
		t.Errorf("user 1 got %s", f.Data)
	}
	if f := expectType(t, c, "channel.updated"); string(f.Data) != `{"name":"for user3"}` {
		t.Errorf("user 3 got %s", f.Data)
	}
	expectType(t, b, "marker")
	if _, ok := asked.Load(int64(50)); ok {
		t.Error("PerUser called for a user without a stream")
	}

	e.hub.PublishAll(Event{Frame: Frame{Type: "user.updated"}, PerUser: perUser})
	e.marker()
	expectType(t, a, "marker")
	expectType(t, b, "marker")
	expectType(t, c, "marker")
	expectType(t, a, "user.updated")
	expectType(t, c, "user.updated")
}

// TestOrder publishes from one goroutine, as the chat service does, while
// other goroutines send to the same streams; every stream must see every
// message frame, in seq order.
func TestOrder(t *testing.T) {
	const n = 10000
	e := newEnv(t, Options{QueueSize: 2 * n})
	users := []int64{1, 1, 2}
	type result struct {
		seqs []int64
		err  error
	}
	results := make([]chan result, len(users))
	for i, u := range users {
		ws := e.open(u)
		results[i] = make(chan result, 1)
		go func() {
			var r result
			for {
				_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
				var f wireFrame
				if r.err = ws.ReadJSON(&f); r.err != nil {
					break
				}
				if f.Type == "message.created" {
					r.seqs = append(r.seqs, f.Seq)
					if f.Seq == n {
						break
					}
				}
			}
			results[i] <- r
		}()
	}

	stop := make(chan struct{})
	var noise sync.WaitGroup
	for _, u := range []int64{1, 2} {
		noise.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				e.hub.SendToUser(u, Frame{Type: "call.signal"})
				time.Sleep(time.Millisecond)
			}
		})
	}
	perUser := func(id int64) (any, bool) { return id, true }
	for seq := int64(1); seq <= n; seq++ {
		ev := Event{Frame: Frame{Type: "message.created", Seq: seq}}
		if seq%3 == 0 {
			ev.PerUser = perUser
		}
		e.hub.Publish(ev, []int64{1, 2, 3})
	}
	close(stop)
	noise.Wait()

	for i, ch := range results {
		r := <-ch
		if r.err != nil {
			t.Errorf("stream %d: %v after %d frames", i, r.err, len(r.seqs))
		}
		for j, s := range r.seqs {
			if s != int64(j+1) {
				t.Fatalf("stream %d: frame %d has seq %d, want %d", i, j, s, j+1)
			}
		}
		if len(r.seqs) != n {
			t.Errorf("stream %d: %d frames, want %d", i, len(r.seqs), n)
		}
	}
	if d := e.hub.Dropped(); d != 0 {
		t.Errorf("Dropped %d, want 0", d)
	}
}

func TestSlowConsumer(t *testing.T) {
	// A stream waiting on the stalled socket would wait WriteTimeout; the
	// healthy one must get each frame far sooner, even on a loaded machine.
	const writeTimeout, prompt = 20 * time.Second, 5 * time.Second
	e := newEnv(t, Options{QueueSize: 8, WriteTimeout: writeTimeout})
	stalled := e.open(1) // never read until the hub gives up on it
	healthy := e.open(2)
	got := make(chan int64, 16)
	go func() {
		defer close(got)
		for {
			_ = healthy.SetReadDeadline(time.Now().Add(10 * time.Second))
			var f wireFrame
			if healthy.ReadJSON(&f) != nil {
				return
			}
			got <- f.Seq
		}
	}()

	// Frames this large fill the stalled socket's buffers within a few
	// megabytes; only then can its queue fill.
	payload := strings.Repeat("x", 64<<10)
	var worst time.Duration
	seq := int64(0)
	publish := func() {
		t.Helper()
		seq++
		start := time.Now()
		e.hub.Publish(Event{Frame: Frame{Type: "message.created", Seq: seq, Data: payload}}, []int64{1, 2})
		select {
		case s := <-got:
			if s != seq {
				t.Fatalf("healthy stream got seq %d, want %d", s, seq)
			}
		case <-time.After(prompt):
			t.Fatalf("healthy stream did not get seq %d within %v", seq, prompt)
		}
		worst = max(worst, time.Since(start))
	}
	for e.hub.Dropped() == 0 {
		if seq == 5000 {
			t.Fatal("the stalled stream was never dropped")
		}
		publish()
	}
	for range 20 {
		publish()
	}
	if d := e.hub.Dropped(); d != 1 {
		t.Errorf("Dropped %d, want 1", d)
	}
	t.Logf("dropped after %d frames; healthy stream's worst latency %v", seq, worst)

	// The stalled client catches up with what its socket held: a prefix of
	// the frames, then 1013.
	var last int64
	_ = stalled.SetReadDeadline(time.Now().Add(writeTimeout))
	for {
		var f wireFrame
		err := stalled.ReadJSON(&f)
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			if ce.Code != websocket.CloseTryAgainLater {
				t.Fatalf("close %d, want 1013", ce.Code)
			}
			break
		}
		if err != nil {
			t.Fatalf("stalled stream: %v", err)
		}
		if f.Seq != last+1 {
			t.Fatalf("stalled stream got seq %d after %d", f.Seq, last)
		}
		last = f.Seq
	}
	if c := e.rec.waitClosed(t); c.Client.UserID != 1 || c.code != websocket.CloseTryAgainLater {
		t.Errorf("closed stream of user %d with %d, want user 1 with 1013", c.Client.UserID, c.code)
	}
	if n := e.hub.Count(); n != 1 {
		t.Errorf("Count %d, want 1", n)
	}
}

func TestClientPing(t *testing.T) {
	e := newEnv(t, Options{})
	a, b := e.open(1), e.open(1)
	send(t, a, `{"type":"ping"}`)
	if got := string(readRaw(t, a)); got != `{"type":"pong"}` {
		t.Errorf("answer %s, want {\"type\":\"pong\"}", got)
	}
	e.marker()
	expectType(t, b, "marker")
}

func TestOversizedFrame(t *testing.T) {
	e := newEnv(t, Options{MaxFrameBytes: 1024})
	ws := e.open(1)
	frame := func(size int) string {
		head, tail := `{"type":"typing","data":{"p":"`, `"}}`
		return head + strings.Repeat("x", size-len(head)-len(tail)) + tail
	}
	send(t, ws, frame(1024))
	syncStream(t, ws)
	if n := len(e.rec.typed()); n != 1 {
		t.Fatalf("handler saw %d frames of the largest size, want 1", n)
	}
	send(t, ws, frame(1025))
	expectClose(t, ws, websocket.CloseMessageTooBig)
}

func TestBadFrames(t *testing.T) {
	e := newEnv(t, Options{MaxBadFramesPerMinute: 5})
	ws := e.open(1)
	for _, s := range []string{`not json`, `{"type":"nope"}`, `{"data":{}}`, `{"type":"presence","data":7}`} {
		send(t, ws, s)
	}
	if err := ws.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"ping"}`)); err != nil {
		t.Fatal(err)
	}
	expectClose(t, ws, websocket.ClosePolicyViolation)

	ws = e.open(2)
	for range 4 {
		send(t, ws, `[]`)
	}
	syncStream(t, ws) // four bad frames leave the stream open
	send(t, ws, `{"type":"typing","data":{"channel_id":1}}`)
	syncStream(t, ws)
	send(t, ws, `{}`)
	expectClose(t, ws, websocket.ClosePolicyViolation)
}

func TestFrameRate(t *testing.T) {
	e := newEnv(t, Options{MaxFramesPerSecond: 5, MaxBadFramesPerMinute: 3})
	ws := e.open(1)
	for i := range 12 {
		send(t, ws, `{"type":"typing","data":{"channel_id":`+strconv.Itoa(i)+`}}`)
	}
	time.Sleep(1100 * time.Millisecond)
	syncStream(t, ws) // dropped frames did not count as bad ones
	if got := e.rec.typed(); len(got) != 5 || got[0] != `{"channel_id":0}` {
		t.Errorf("handler saw %v, want the first 5 frames", got)
	}
}

func TestStreamCap(t *testing.T) {
	e := newEnv(t, Options{})
	e.maxPerUser = 2
	a := e.open(1)
	e.open(1)
	_, resp, err := e.dial(url.Values{"user": {"1"}}, nil)
	if !errors.Is(err, websocket.ErrBadHandshake) {
		t.Fatalf("third stream: %v, want a refused handshake", err)
	}
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "5" {
		t.Errorf("status %d Retry-After %q, want 429 and 5", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	var body struct{ Error, Message string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body.Error != "rate_limited" || body.Message == "" {
		t.Errorf("body %+v (%v), want rate_limited", body, err)
	}
	if n := e.rec.openedCount(); n != 2 {
		t.Errorf("Opened %d times, want 2", n)
	}
	e.open(2) // the cap is per user

	// A closed stream frees its slot as soon as the close is answered.
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	for range 50 {
		if err := a.WriteMessage(websocket.CloseMessage, msg); err != nil {
			t.Fatal(err)
		}
		expectClose(t, a, websocket.CloseNormalClosure)
		a = e.open(1)
	}
}

func TestStreamCapConcurrent(t *testing.T) {
	e := newEnv(t, Options{})
	e.maxPerUser = 3
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for range 20 {
		wg.Go(func() {
			_, resp, err := e.dial(url.Values{"user": {"1"}}, nil)
			mu.Lock()
			defer mu.Unlock()
			if resp == nil {
				t.Errorf("dial: %v", err)
				return
			}
			codes[resp.StatusCode]++
		})
	}
	wg.Wait()
	if codes[http.StatusSwitchingProtocols] != 3 || codes[http.StatusTooManyRequests] != 17 {
		t.Errorf("status counts %v, want 3 upgrades and 17 refusals", codes)
	}
}

func TestRevoke(t *testing.T) {
	e := newEnv(t, Options{})
	s1, s2 := hex.EncodeToString([]byte("session-1")), hex.EncodeToString([]byte("session-2"))
	a := e.open(1, "session", s1)
	a2 := e.open(1, "session", s1)
	b := e.open(1, "session", s2)
	c := e.open(2, "token", "7")
	d := e.open(3, "session", hex.EncodeToString([]byte("session-3")))
	cookie := e.open(4, "session", hex.EncodeToString([]byte("session-4")))

	revoked := func(ws *websocket.Conn) {
		t.Helper()
		if got := string(readRaw(t, ws)); got != `{"type":"session.revoked"}` {
			t.Fatalf("frame %s, want session.revoked", got)
		}
		expectClose(t, ws, websocket.ClosePolicyViolation)
	}
	e.hub.RevokeSessions([][]byte{[]byte("session-1"), []byte("unknown")})
	revoked(a)
	revoked(a2)
	e.hub.RevokeToken(0) // names no token, so no cookie session either
	e.hub.RevokeToken(7)
	revoked(c)
	e.hub.RevokeUser(3)
	revoked(d)

	e.marker()
	expectType(t, b, "marker")
	expectType(t, cookie, "marker")
	for range 4 {
		if c := e.rec.waitClosed(t); c.code != websocket.ClosePolicyViolation {
			t.Errorf("stream closed with %d, want 1008", c.code)
		}
	}
	if n := e.hub.Count(); n != 2 {
		t.Errorf("Count %d, want 2", n)
	}
}

func TestShutdown(t *testing.T) {
	before := runtime.NumGoroutine()
	e := newEnv(t, Options{WriteTimeout: 2 * time.Second})
	codes := make(chan int, 3)
	for _, u := range []int64{1, 1, 2} {
		ws := e.open(u)
		go func() {
			_, _, err := ws.ReadMessage()
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				codes <- ce.Code
			} else {
				codes <- -1
			}
		}()
	}
	start := time.Now()
	if err := e.hub.Shutdown(context.Background()); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	// The clients answer the close at once, so nobody waited for WriteTimeout.
	if d := time.Since(start); d > time.Second {
		t.Errorf("Shutdown took %v", d)
	}
	for range 3 {
		if code := <-codes; code != websocket.CloseGoingAway {
			t.Errorf("close code %d, want 1001", code)
		}
	}
	if n := e.hub.Count(); n != 0 {
		t.Errorf("Count %d after Shutdown", n)
	}
	_, resp, err := e.dial(url.Values{"user": {"3"}}, nil)
	if err == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after Shutdown: %v, want 503", err)
	}
	e.close()

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, %d before:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestShutdownDeadline(t *testing.T) {
	e := newEnv(t, Options{WriteTimeout: 5 * time.Second})
	e.open(1) // never reads, so never answers the close frame
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := e.hub.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown: %v, want the context's deadline", err)
	}
	e.rec.waitClosed(t)
}

func TestServerPingAndPongTimeout(t *testing.T) {
	const interval, timeout = 100 * time.Millisecond, time.Second
	e := newEnv(t, Options{PingInterval: interval, PongTimeout: timeout})
	good := e.open(1)
	var mu sync.Mutex
	pings := 0
	good.SetPingHandler(func(data string) error {
		mu.Lock()
		pings++
		mu.Unlock()
		return good.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	frames := make(chan string, 10)
	go func() {
		defer close(frames)
		for {
			_, b, err := good.ReadMessage()
			if err != nil {
				return
			}
			frames <- string(b)
		}
	}()

	silent := e.open(2)
	silent.SetPingHandler(func(string) error { return nil })
	start := time.Now()
	expectClose(t, silent, websocket.CloseGoingAway)
	if d := time.Since(start); d < timeout-interval {
		t.Errorf("silent stream closed after %v, before its pong timeout", d)
	}

	time.Sleep(timeout)
	mu.Lock()
	n := pings
	mu.Unlock()
	if n < 5 {
		t.Errorf("%d pings in over 2 s, want one per %v", n, interval)
	}
	send(t, good, `{"type":"ping"}`)
	select {
	case f := <-frames:
		if f != `{"type":"pong"}` {
			t.Errorf("frame %s, want pong", f)
		}
	case <-time.After(5 * time.Second):
		t.Error("a stream answering pings was closed")
	}
}

func TestOnlineAndCount(t *testing.T) {
	e := newEnv(t, Options{})
	if e.hub.Online(1) || e.hub.Count() != 0 {
		t.Fatal("online before any stream")
	}
	a := e.open(1, "session", "0102")
	e.open(1, "token", "9")
	e.open(2)
	if !e.hub.Online(1) || !e.hub.Online(2) || e.hub.Online(3) || e.hub.Count() != 3 {
		t.Errorf("Online 1 %v, 2 %v, 3 %v, Count %d", e.hub.Online(1), e.hub.Online(2), e.hub.Online(3), e.hub.Count())
	}
	streams := e.hub.Streams(1)
	if len(streams) != 2 || string(streams[0].Client.SessionHash) != "\x01\x02" || streams[1].Client.TokenID != 9 {
		t.Fatalf("Streams(1) = %+v", streams)
	}
	a.Close()
	e.rec.waitClosed(t)
	if !e.hub.Online(1) || e.hub.Count() != 2 || len(e.hub.Streams(1)) != 1 {
		t.Errorf("after one close: Online %v, Count %d", e.hub.Online(1), e.hub.Count())
	}
}

func TestPresenceAndValue(t *testing.T) {
	e := newEnv(t, Options{})
	ws := e.open(1)
	c := e.hub.Streams(1)[0]
	if c.Presence() != Active || c.Value() != nil {
		t.Fatalf("new stream: presence %q, value %v", c.Presence(), c.Value())
	}
	send(t, ws, `{"type":"presence","data":{"state":"hidden"}}`)
	syncStream(t, ws)
	if c.Presence() != Idle {
		t.Errorf("presence %q after a hidden report, want idle", c.Presence())
	}
	if c.SetPresence(Idle) || !c.SetPresence(Active) {
		t.Error("SetPresence misreports changes")
	}
	c.SetValue(42)
	c.SetValue("typing")
	if v := c.Value(); v != "typing" {
		t.Errorf("Value %v, want typing", v)
	}
}

func TestOrigin(t *testing.T) {
	e := newEnv(t, Options{})
	_, resp, err := e.dial(url.Values{"user": {"1"}}, http.Header{"Origin": {"https://elsewhere.example"}})
	if err == nil || resp.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin: %v, want 403", err)
	}
	if b, _ := io.ReadAll(resp.Body); !strings.Contains(string(b), `"error":"forbidden"`) {
		t.Errorf("body %s", b)
	}
	if e.rec.openedCount() != 0 {
		t.Error("a foreign origin opened a stream")
	}
	if _, _, err := e.dial(url.Values{"user": {"1"}}, http.Header{"Origin": {e.srv.URL}}); err != nil {
		t.Errorf("same origin: %v", err)
	}

	h := New(Options{Handler: newRecorder(), CheckOrigin: func(r *http.Request) bool { return r.Header.Get("Origin") == "ok" }})
	r := httptest.NewRequest(http.MethodGet, "/api/v1/ws", nil)
	r.Header.Set("Origin", "ok")
	if !h.OriginOK(r) {
		t.Error("OriginOK ignores CheckOrigin")
	}
}

func TestNotWebSocket(t *testing.T) {
	e := newEnv(t, Options{})
	e.maxPerUser = 1
	resp, err := http.Get(e.srv.URL + "/?user=1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(b), `"error":"bad_request"`) {
		t.Errorf("status %d body %s, want 400 bad_request", resp.StatusCode, b)
	}
	e.open(1) // the failed upgrade gave its slot back
}
