package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// summary is the distribution of one set of timings.
type summary struct {
	N                  int
	P50, P95, P99, Max time.Duration
}

// summarize sorts ds in place and returns its nearest-rank percentiles.
func summarize(ds []time.Duration) summary {
	if len(ds) == 0 {
		return summary{}
	}
	slices.Sort(ds)
	return summary{
		N:   len(ds),
		P50: percentile(ds, 0.50),
		P95: percentile(ds, 0.95),
		P99: percentile(ds, 0.99),
		Max: ds[len(ds)-1],
	}
}

// percentile is the nearest-rank percentile p (0 < p <= 1) of sorted: the
// smallest value that at least a fraction p of the values do not exceed.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(float64(len(sorted))*p)) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// ms formats d in milliseconds with enough digits for sub-millisecond
// figures.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f ms", v)
	case v < 100:
		return fmt.Sprintf("%.1f ms", v)
	}
	return fmt.Sprintf("%.0f ms", v)
}

// verdict compares a figure with its target. For an upper bound (atMost)
// the ratio is measured/target and the target is met at or below 1; for a
// lower bound it is measured/target too, met at or above 1.
func verdict(measured, target float64, atMost bool) string {
	if target <= 0 {
		return "no target"
	}
	ratio := measured / target
	met := ratio >= 1
	if atMost {
		met = ratio <= 1
	}
	word := "met"
	if !met {
		word = "MISSED"
	}
	return fmt.Sprintf("ratio %.2f, %s", ratio, word)
}
