package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"
)

// searchResult is the latency of GET /search, one request at a time.
type searchResult struct {
	messages int64
	all      summary
	allCPU   summary // the daemon's CPU time per request
	classes  []classSummary
	hits     map[string]int // results of each query in the first pass
	cpu      cpuUse
}

type classSummary struct {
	class string
	s     summary
	cpu   summary // the daemon's CPU time per request
	hits  []int   // results of each of the class's queries (limit 50)
}

// searchRun sends the query mix round after round, one request at a time,
// until requests have been timed; the first round warms the daemon's
// caches and is not counted. Every query is answered 200 or the run fails.
func searchRun(ctx context.Context, env *env, corp *corpus, requests int) (*searchResult, error) {
	c := newAPI(env.d, 1)
	defer c.close()
	tok := env.senders[0].Token
	qs := corp.searchQueries()
	res := &searchResult{hits: map[string]int{}}
	byClass := map[string][]time.Duration{}
	cpuByClass := map[string][]time.Duration{}
	var all, allCPU []time.Duration
	var before cpuSnap
	for round := 0; len(all) < requests; round++ {
		for _, q := range qs {
			if len(all) >= requests {
				break
			}
			var out struct {
				Results []struct{} `json:"results"`
			}
			cpu0, _, _ := schedTimes(env.d.pid)
			t0 := time.Now()
			st, err := c.get(ctx, "/api/v1/search?q="+url.QueryEscape(q.q), tok, &out)
			d := time.Since(t0)
			cpu1, _, _ := schedTimes(env.d.pid)
			if err != nil {
				return nil, err
			}
			if st != http.StatusOK {
				return nil, fmt.Errorf("GET /search?q=%s: status %d", q.q, st)
			}
			if round == 0 {
				res.hits[q.q] = len(out.Results)
				before = takeCPU(env.d.pid)
				continue
			}
			all = append(all, d)
			byClass[q.class] = append(byClass[q.class], d)
			allCPU = append(allCPU, cpu1-cpu0)
			cpuByClass[q.class] = append(cpuByClass[q.class], cpu1-cpu0)
		}
	}
	res.cpu = cpuBetween(before, takeCPU(env.d.pid))
	res.all = summarize(all)
	res.allCPU = summarize(allCPU)
	index := map[string]int{}
	for _, q := range qs {
		i, ok := index[q.class]
		if !ok {
			i = len(res.classes)
			index[q.class] = i
			res.classes = append(res.classes, classSummary{class: q.class, s: summarize(byClass[q.class]), cpu: summarize(cpuByClass[q.class])})
		}
		res.classes[i].hits = append(res.classes[i].hits, res.hits[q.q])
	}
	return res, nil
}

func (r *searchResult) print(env *env) {
	env.printf("search at %d messages, one at a time: p50 %s  p95 %s  max %s  (%d requests; daemon CPU per request p50 %s p95 %s)",
		r.messages, ms(r.all.P50), ms(r.all.P95), ms(r.all.Max), r.all.N, ms(r.allCPU.P50), ms(r.allCPU.P95))
	for _, c := range r.classes {
		env.printf("  %-22s p50 %9s  p95 %9s  max %9s  CPU p50 %9s p95 %9s  results %v",
			c.class, ms(c.s.P50), ms(c.s.P95), ms(c.s.Max), ms(c.cpu.P50), ms(c.cpu.P95), c.hits)
	}
	env.printf("  daemon CPU per search %s; %v", r.cpu.perOp(r.all.N), r.cpu)
}

// historyResult is the latency of GET /channels/{id}/messages.
type historyResult struct {
	newest, before       summary
	newestCPU, beforeCPU summary // the daemon's CPU time per request
}

// historyRun times the newest page (?limit=50) and pages further back
// (?before=ID&limit=50, ID uniform over the channel's ids), alternating,
// one request at a time, after a few untimed ones.
func historyRun(ctx context.Context, env *env, requests int) (*historyResult, error) {
	c := newAPI(env.d, 1)
	defer c.close()
	tok := env.senders[0].Token
	ch := env.channels[0].ID
	base := fmt.Sprintf("/api/v1/channels/%d/messages?limit=50", ch)
	var page struct {
		Messages []struct {
			ID int64 `json:"id"`
		} `json:"messages"`
	}
	st, err := c.get(ctx, base, tok, &page)
	if err != nil {
		return nil, err
	}
	if st != http.StatusOK || len(page.Messages) == 0 {
		return nil, fmt.Errorf("GET %s: status %d, %d messages", base, st, len(page.Messages))
	}
	newestID := page.Messages[len(page.Messages)-1].ID
	rng := rand.New(rand.NewPCG(3, 4))
	var newest, before, newestCPU, beforeCPU []time.Duration
	for i := range requests + 10 {
		path := base
		if i%2 == 1 {
			path += fmt.Sprintf("&before=%d", 1+rng.Int64N(newestID))
		}
		cpu0, _, _ := schedTimes(env.d.pid)
		t0 := time.Now()
		st, err := c.get(ctx, path, tok, nil)
		d := time.Since(t0)
		cpu1, _, _ := schedTimes(env.d.pid)
		if err != nil {
			return nil, err
		}
		if st != http.StatusOK {
			return nil, fmt.Errorf("GET %s: status %d", path, st)
		}
		if i < 10 {
			continue
		}
		if i%2 == 1 {
			before = append(before, d)
			beforeCPU = append(beforeCPU, cpu1-cpu0)
		} else {
			newest = append(newest, d)
			newestCPU = append(newestCPU, cpu1-cpu0)
		}
	}
	return &historyResult{newest: summarize(newest), before: summarize(before),
		newestCPU: summarize(newestCPU), beforeCPU: summarize(beforeCPU)}, nil
}

func (r *historyResult) print(env *env) {
	env.printf("history page of 50, one at a time (%d + %d requests):", r.newest.N, r.before.N)
	env.printf("  newest page   p50 %s  p95 %s  p99 %s  CPU p50 %s p95 %s", ms(r.newest.P50), ms(r.newest.P95), ms(r.newest.P99), ms(r.newestCPU.P50), ms(r.newestCPU.P95))
	env.printf("  ?before=ID    p50 %s  p95 %s  p99 %s  CPU p50 %s p95 %s", ms(r.before.P50), ms(r.before.P95), ms(r.before.P99), ms(r.beforeCPU.P50), ms(r.beforeCPU.P95))
}
