package main

import (
	"context"
	"fmt"
	"time"
)

// idleResult is the daemon's memory per idle event stream.
type idleResult struct {
	conns          int
	beforeKiB      int64
	afterKiB       int64
	perConnKiB     float64
	daemonCounted  int64
	rampTime       time.Duration
	streamsDropped int64
	dialRetries    int64
}

// idleRun reads the daemon's VmRSS, opens conns streams that then stay
// idle (each reading, so pings are answered), waits for the daemon to
// settle and reads VmRSS again. The growth over conns is the cost of an
// idle stream: its goroutines, buffers, TLS state and hub entry.
func idleRun(ctx context.Context, env *env, conns int, settle time.Duration) (*idleResult, error) {
	if err := env.d.waitConnections(ctx, 0, 30*time.Second); err != nil {
		return nil, err
	}
	if lim, err := openFilesLimit(env.d.pid); err == nil && lim < int64(conns)+256 {
		return nil, fmt.Errorf("the daemon may open only %d files, fewer than %d streams need: raise its RLIMIT_NOFILE (LimitNOFILE= under systemd)", lim, conns)
	}
	// The streams of the earlier scenarios are gone; a moment for the
	// daemon to finish closing them.
	time.Sleep(2 * time.Second)
	res := &idleResult{conns: conns}
	var err error
	if res.beforeKiB, err = env.d.rssKiB(); err != nil {
		return nil, err
	}
	t0 := time.Now()
	st, err := openStreams(ctx, env.d, env.receivers, conns, 32, nil)
	if err != nil {
		return nil, err
	}
	defer st.close()
	res.rampTime = time.Since(t0)
	time.Sleep(settle)
	if res.afterKiB, err = env.d.rssKiB(); err != nil {
		return nil, err
	}
	stat, err := env.d.status(ctx)
	if err != nil {
		return nil, err
	}
	res.daemonCounted = stat.Connections
	res.streamsDropped = st.readErrs.Load()
	res.dialRetries = st.retries.Load()
	res.perConnKiB = float64(res.afterKiB-res.beforeKiB) / float64(conns)
	return res, nil
}

func (r *idleResult) print(env *env) {
	env.printf("idle streams: %d open (daemon counts %d, opened in %.1f s with %d dials retried, %d lost): VmRSS %.1f → %.1f MiB, %.1f KiB per stream",
		r.conns, r.daemonCounted, r.rampTime.Seconds(), r.dialRetries, r.streamsDropped,
		float64(r.beforeKiB)/1024, float64(r.afterKiB)/1024, r.perConnKiB)
}
