package hub

import (
	"runtime"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestQueueBoundDefault(t *testing.T) {
	// A stream whose writer is stuck (here: none runs yet, as before
	// hello) may hold 256 frames; the 257th drops it with 1013.
	h := New(Options{Handler: newRecorder()})
	c := newConn(h, nil, Client{UserID: 1})
	frame := []byte(`{"type":"x"}`)
	for i := range 256 {
		c.enqueue(frame)
		if c.isClosing() {
			t.Fatalf("closed after %d frames", i+1)
		}
	}
	c.enqueue(frame)
	if !c.isClosing() || c.code != websocket.CloseTryAgainLater {
		t.Fatalf("257th frame: closing %v with %d, want 1013", c.isClosing(), c.code)
	}
	if d := h.Dropped(); d != 1 {
		t.Errorf("Dropped %d, want 1", d)
	}
	c.enqueue(frame)
	if d := h.Dropped(); d != 1 {
		t.Errorf("Dropped %d after a frame to a closed stream, want 1", d)
	}
}

func TestIdleStreamHoldsOneGoroutine(t *testing.T) {
	const n = 20
	e := newEnv(t, Options{})
	runtime.GC()
	before := runtime.NumGoroutine()
	clients := make([]*websocket.Conn, n)
	for i := range clients {
		clients[i] = e.open(int64(i + 1))
	}
	// Every stream receives a frame, then goes idle.
	e.marker()
	for _, ws := range clients {
		expectType(t, ws, "marker")
	}

	deadline := time.Now().Add(5 * time.Second)
	for {
		idle := 0
		for i := range n {
			for _, c := range e.hub.Streams(int64(i + 1)) {
				c.qmu.Lock()
				if !c.writing && c.pending == nil {
					idle++
				}
				c.qmu.Unlock()
			}
		}
		// The clients' side holds no goroutine; the server's holds the
		// reader of each stream, and nothing else once its queue drained.
		extra := runtime.NumGoroutine() - before
		if idle == n && extra <= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d streams idle, %d goroutines for %d streams", idle, n, extra, n)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// An idle stream still delivers, in order.
	for i := range 3 {
		e.hub.Publish(Event{Frame: Frame{Type: "message.created", Seq: int64(i + 1)}}, []int64{1})
	}
	for i := range 3 {
		if f := expectType(t, clients[0], "message.created"); f.Seq != int64(i+1) {
			t.Fatalf("seq %d, want %d", f.Seq, i+1)
		}
	}
	if got := e.hub.Count(); got != n {
		t.Errorf("Count %d, want %d", got, n)
	}
}
