package main

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// latencyResult is the send→receive latency with some streams open.
type latencyResult struct {
	clients    int
	rate       float64 // messages per second asked
	sent       int     // messages answered 201 (warm-up included)
	sendErrs   int
	achieved   float64 // messages per second sent
	expected   int64   // deliveries expected after warm-up
	delivered  int64   // deliveries seen after warm-up
	lat        summary // send→receive over every delivery after warm-up
	spread     summary // each delivery after the first delivery of its message
	first      summary // send→first delivery of each message
	post       summary // the sender's POST round trip
	streamErrs int64
	cpu        cpuUse
}

// latencyRun opens clients streams, then one sender posts into a public
// channel that every stream's account reads, at a fixed rate for dur. Each
// message carries a client_id "<run>-<n>"; the send time of n is taken just
// before its POST, and each stream records the arrival of message.created
// for n. The first second of messages is a warm-up and is not counted.
func latencyRun(ctx context.Context, env *env, clients int, rate float64, dur time.Duration) (*latencyResult, error) {
	res := &latencyResult{clients: clients, rate: rate}
	warm := max(1, int(rate))
	total := warm + int(rate*dur.Seconds())
	total = min(total, 100_000)
	run := "lt-" + randomHex(4) + "-"
	marker := []byte(`"client_id":"` + run)
	sentAt := make([]atomic.Int64, total)

	type arrival struct {
		n int           // message number
		d time.Duration // send→receive
	}
	perStream := make([][]arrival, clients)
	got := make([]atomic.Int64, clients)
	var delivered atomic.Int64
	onFrame := func(i int) frameFunc {
		perStream[i] = make([]arrival, 0, total-warm)
		return func(at time.Time, b []byte) {
			if !bytes.HasPrefix(b, []byte(`{"type":"message.created"`)) {
				return
			}
			j := bytes.Index(b, marker)
			if j < 0 {
				return
			}
			rest := b[j+len(marker):]
			k := bytes.IndexByte(rest, '"')
			if k < 0 {
				return
			}
			n, err := strconv.Atoi(string(rest[:k]))
			if err != nil || n < 0 || n >= total {
				return
			}
			got[i].Add(1)
			if n < warm {
				return
			}
			if t0 := sentAt[n].Load(); t0 != 0 {
				perStream[i] = append(perStream[i], arrival{n, at.Sub(time.Unix(0, t0))})
				delivered.Add(1)
			}
		}
	}
	st, err := openStreams(ctx, env.d, env.receivers, clients, 32, onFrame)
	if err != nil {
		return nil, err
	}
	// Let the ramp's presence and user events drain before timing.
	time.Sleep(time.Second)

	c := newAPI(env.d, 16)
	defer c.close()
	sender := env.senders[0]
	ch := env.channels[0].ID
	var (
		mu       sync.Mutex
		postLat  []time.Duration
		sendErrs int
		firstErr error
		inflight sync.WaitGroup
	)
	sem := make(chan struct{}, 16)
	interval := time.Duration(float64(time.Second) / rate)
	before := takeCPU(env.d.pid)
	t0 := time.Now()
	for n := range total {
		// Open loop: message n is due at t0 + n·interval whatever the
		// answers to the earlier ones; at most 16 are in flight.
		if wait := time.Until(t0.Add(time.Duration(n) * interval)); wait > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		inflight.Add(1)
		go func() {
			defer inflight.Done()
			defer func() { <-sem }()
			start := time.Now()
			sentAt[n].Store(start.UnixNano())
			err := postText(ctx, c, sender.Token, ch, fmt.Sprintf("latency probe %d of %s", n, run), run+strconv.Itoa(n))
			d := time.Since(start)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				sendErrs++
				if firstErr == nil {
					firstErr = err
				}
				return
			}
			res.sent++
			postLat = append(postLat, d)
		}()
	}
	inflight.Wait()
	res.cpu = cpuBetween(before, takeCPU(env.d.pid))
	res.achieved = float64(res.sent) / time.Since(t0).Seconds()
	res.sendErrs = sendErrs

	// Wait (bounded) until every stream saw every message.
	want := int64(res.sent)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		all := true
		for i := range got {
			if got[i].Load() < want {
				all = false
				break
			}
		}
		if all {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	st.close()
	res.streamErrs = st.readErrs.Load()

	// The spread (a delivery's delay behind the first delivery of the
	// same message) is the fan-out's share of the latency; the rest is
	// the POST: parsing, the group commit's fsync, the publish.
	first := make([]time.Duration, total)
	for i := range first {
		first[i] = -1
	}
	var lats, spread []time.Duration
	for _, p := range perStream {
		for _, a := range p {
			lats = append(lats, a.d)
			if first[a.n] < 0 || a.d < first[a.n] {
				first[a.n] = a.d
			}
		}
	}
	for _, p := range perStream {
		for _, a := range p {
			spread = append(spread, a.d-first[a.n])
		}
	}
	var firsts []time.Duration
	for _, d := range first {
		if d >= 0 {
			firsts = append(firsts, d)
		}
	}
	res.spread = summarize(spread)
	res.first = summarize(firsts)
	res.expected = int64(clients) * int64(max(0, res.sent-min(res.sent, warm)))
	res.delivered = int64(len(lats))
	res.lat = summarize(lats)
	res.post = summarize(postLat)
	if firstErr != nil {
		env.logf("  latency: %d sends failed; first: %s", sendErrs, trimErr(firstErr))
	}
	return res, nil
}

func (r *latencyResult) print(env *env) {
	env.printf("send→receive latency, %d streams, %.0f msg/s asked (%.1f sent) for %d messages:",
		r.clients, r.rate, r.achieved, r.sent)
	env.printf("  p50 %s  p99 %s  max %s  (%d of %d deliveries after warm-up; %d send errors, %d streams lost)",
		ms(r.lat.P50), ms(r.lat.P99), ms(r.lat.Max), r.delivered, r.expected, r.sendErrs, r.streamErrs)
	env.printf("  first delivery of each message p50 %s p99 %s; fan-out (each delivery behind its message's first) p50 %s p99 %s; the sender's POST p50 %s p99 %s",
		ms(r.first.P50), ms(r.first.P99), ms(r.spread.P50), ms(r.spread.P99), ms(r.post.P50), ms(r.post.P99))
	env.printf("  daemon CPU per message %s (post and fan-out); %v", r.cpu.perOp(r.sent), r.cpu)
}
