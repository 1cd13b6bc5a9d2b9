package main

import (
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	// 1..100 ms: the nearest rank of p is the value ceil(100·p).
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	s := summarize(ds)
	for _, c := range []struct {
		name      string
		got, want time.Duration
	}{
		{"p50", s.P50, 50 * time.Millisecond},
		{"p95", s.P95, 95 * time.Millisecond},
		{"p99", s.P99, 99 * time.Millisecond},
		{"max", s.Max, 100 * time.Millisecond},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
	if s.N != 100 {
		t.Errorf("N = %d, want 100", s.N)
	}
	sorted := []time.Duration{1, 2, 3}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{0.01, 1}, {0.33, 1}, {0.34, 2}, {0.5, 2}, {0.67, 3}, {0.99, 3}, {1, 3}} {
		if got := percentile(sorted, c.p); got != c.want {
			t.Errorf("percentile(1,2,3; %v) = %v, want %v", c.p, got, c.want)
		}
	}
	if got := percentile([]time.Duration{7}, 0.99); got != 7 {
		t.Errorf("percentile of one value = %v, want 7", got)
	}
	if got := summarize(nil); got != (summary{}) {
		t.Errorf("summarize(nil) = %+v, want zero", got)
	}
}

func TestVerdict(t *testing.T) {
	for _, c := range []struct {
		measured, target float64
		atMost           bool
		want             string
	}{
		{4.5, 10, true, "ratio 0.45, met"},
		{10, 10, true, "ratio 1.00, met"},
		{34.3, 10, true, "ratio 3.43, MISSED"},
		{6000, 5000, false, "ratio 1.20, met"},
		{625, 5000, false, "ratio 0.12, MISSED"},
		{1, 0, true, "no target"},
	} {
		if got := verdict(c.measured, c.target, c.atMost); got != c.want {
			t.Errorf("verdict(%v, %v, %v) = %q, want %q", c.measured, c.target, c.atMost, got, c.want)
		}
	}
}

func TestProcParsers(t *testing.T) {
	status := "Name:\tminimost\nVmPeak:\t  900 kB\nVmRSS:\t   19336 kB\nThreads:\t9\n"
	if got, err := parseStatusKiB(strings.NewReader(status), "VmRSS:"); err != nil || got != 19336 {
		t.Errorf("VmRSS = %d, %v; want 19336", got, err)
	}
	if _, err := parseStatusKiB(strings.NewReader("Name:\tx\n"), "VmRSS:"); err == nil {
		t.Error("no VmRSS line: want an error")
	}
	// A command name with spaces and parentheses; utime 250, stime 50
	// ticks are 3 s.
	stat := "4242 (mini (most) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 1000 1000000 5000"
	if got, err := parseProcStat(stat); err != nil || got != 3*time.Second {
		t.Errorf("parseProcStat = %v, %v; want 3s", got, err)
	}
	if _, err := parseProcStat("4242 (x) S 1"); err == nil {
		t.Error("short stat line: want an error")
	}
}
