package main

import "testing"

func TestGCPercentFor(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live uint64
		want int
	}{
		{0, 100},         // nothing collected yet: the default
		{2 * mib, 3100},  // goal 2 MiB × 32 = the 64 MiB floor
		{16 * mib, 300},  // goal 16 MiB × 4 = 64 MiB
		{32 * mib, 100},  // the default already reaches the floor
		{300 * mib, 100}, // a large heap keeps the default
		{31 * mib, 106},  // just under the floor's half
	} {
		if got := gcPercentFor(c.live, heapFloor); got != c.want {
			t.Errorf("live %d MiB: GOGC %d, want %d", c.live/mib, got, c.want)
		}
		if got := gcPercentFor(c.live, heapFloor); c.live >= mib && c.live*uint64(100+got)/100 < min(heapFloor, 2*c.live) {
			t.Errorf("live %d MiB: goal below the floor", c.live/mib)
		}
	}
}
