package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// throughputResult is what closed-loop senders got through.
type throughputResult struct {
	senders int
	ok      int
	errs    int
	elapsed time.Duration
	perSec  float64
	post    summary
	cpu     cpuUse
}

// throughputRun runs senders closed-loop senders, each its own account and
// keep-alive connection, each posting the next message as soon as the
// previous one is answered, for dur (and at most maxPerSender messages
// each). Every 201 is durable: the daemon answers after the group commit's
// fsync. The senders spread over the public channels.
func throughputRun(ctx context.Context, env *env, senders int, dur time.Duration, maxPerSender int) (*throughputResult, error) {
	c := newAPI(env.d, senders)
	defer c.close()
	run := "tp-" + randomHex(4)
	// One message each first: the connections and their TLS sessions are
	// made before the clock starts.
	var wg sync.WaitGroup
	warmErrs := make([]error, senders)
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := env.senders[i%len(env.senders)]
			ch := env.channels[i%len(env.channels)].ID
			warmErrs[i] = postText(ctx, c, a.Token, ch, "warm-up "+run, fmt.Sprintf("%s-w%d", run, i))
		}()
	}
	wg.Wait()
	for _, err := range warmErrs {
		if err != nil {
			return nil, fmt.Errorf("warm-up send: %w", err)
		}
	}

	res := &throughputResult{senders: senders}
	var mu sync.Mutex
	var lats []time.Duration
	var firstErr error
	before := takeCPU(env.d.pid)
	t0 := time.Now()
	deadline := t0.Add(dur)
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := env.senders[i%len(env.senders)]
			ch := env.channels[i%len(env.channels)].ID
			mine := make([]time.Duration, 0, 1024)
			ok, bad := 0, 0
			var err1 error
			for n := 0; n < maxPerSender && ctx.Err() == nil && time.Now().Before(deadline); n++ {
				start := time.Now()
				err := postText(ctx, c, a.Token, ch,
					fmt.Sprintf("throughput %s sender %d message %d: the quick brown fox", run, i, n),
					fmt.Sprintf("%s-%d-%d", run, i, n))
				if err != nil {
					bad++
					if err1 == nil {
						err1 = err
					}
					continue
				}
				ok++
				mine = append(mine, time.Since(start))
			}
			mu.Lock()
			defer mu.Unlock()
			res.ok += ok
			res.errs += bad
			lats = append(lats, mine...)
			if firstErr == nil {
				firstErr = err1
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(t0)
	res.cpu = cpuBetween(before, takeCPU(env.d.pid))
	res.perSec = float64(res.ok) / res.elapsed.Seconds()
	res.post = summarize(lats)
	if firstErr != nil {
		env.logf("  throughput: %d sends failed; first: %s", res.errs, trimErr(firstErr))
	}
	return res, nil
}

func (r *throughputResult) print(env *env) {
	env.printf("durable sends, %2d senders: %7.0f sends/s  (%d in %.1f s; POST p50 %s p99 %s; %d errors)",
		r.senders, r.perSec, r.ok, r.elapsed.Seconds(), ms(r.post.P50), ms(r.post.P99), r.errs)
	env.printf("  daemon CPU per send %s; %v", r.cpu.perOp(r.ok), r.cpu)
}
