package hub

import (
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"
)

// BenchmarkFanout publishes one message frame to 1000 streams of 1000 users
// and waits until every client has read it, so an operation is one whole
// fan-out, from Publish to the last socket.
func BenchmarkFanout(b *testing.B) {
	const streams = 1000
	e := newEnv(b, Options{})

	// Every stream's hello counts as its first delivery.
	var delivered sync.WaitGroup
	delivered.Add(streams)
	users := make([]int64, streams)
	for i := range users {
		users[i] = int64(i + 1)
		ws, _, err := e.dial(url.Values{"user": {strconv.Itoa(i + 1)}}, nil)
		if err != nil {
			b.Fatalf("dial %d: %v", i, err)
		}
		go func() {
			for {
				// Without a deadline: the cleanup of dial ends the read.
				if _, _, err := ws.ReadMessage(); err != nil {
					return
				}
				delivered.Done()
			}
		}()
	}
	delivered.Wait()

	data := map[string]any{"id": 1, "channel_id": 7, "text": "hello, everyone", "created_at": time.Now().UnixMilli()}
	seq := int64(0)
	for b.Loop() {
		seq++
		delivered.Add(streams)
		e.hub.Publish(Event{Frame: Frame{Type: "message.created", Seq: seq, Data: data}}, users)
		delivered.Wait()
	}
	b.ReportMetric(float64(streams)*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
}
