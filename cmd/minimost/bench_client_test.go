package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/minimost/minimost/pkg/testdeps"
)

// The web client's cost to a user, measured in Debian's Chromium against
// the built daemon (issue 7): how long from navigation until the first
// message of a 10 000-message channel is on screen, and how many bytes of
// JavaScript and CSS the chat page loads to get there.
const (
	benchClientMessages = 10000
	benchClientSenders  = 16
)

// firstMessageProbe runs before any page script and stamps, relative to
// the navigation's start, the moment a message row is first in the list.
const firstMessageProbe = `(() => {
	const seen = () => {
		if (window.__firstMessage == null && document.querySelector("#messages .msg")) {
			window.__firstMessage = performance.now();
			return true;
		}
		return false;
	};
	new MutationObserver((_, obs) => { if (seen()) obs.disconnect(); })
		.observe(document, { childList: true, subtree: true });
})();`

// shippedBytes sums what the page fetched of its scripts and styles:
// over the wire (encoded, gzip where the server compressed) and as parsed.
const shippedBytes = `JSON.stringify(performance.getEntriesByType("resource")
	.filter((e) => /\.(m?js|css)(\?|$)/.test(new URL(e.name).pathname))
	.reduce((s, e) => {
		const k = new URL(e.name).pathname.endsWith(".css") ? "css" : "js";
		s[k + "Wire"] += e.encodedBodySize; s[k + "Raw"] += e.decodedBodySize; s[k + "Files"]++;
		return s;
	}, { jsWire: 0, jsRaw: 0, jsFiles: 0, cssWire: 0, cssRaw: 0, cssFiles: 0 }))`

// BenchmarkClientFirstMessage reports ms-to-first-message (each iteration
// a cold browser context: no HTTP cache, no service worker) and the JS and
// CSS bytes that load fetched.
func BenchmarkClientFirstMessage(b *testing.B) {
	bin := testdeps.Need(b, "chromium", "chromium")
	addr, pool, stop := startBenchDaemon(b)
	defer stop()
	hc := benchTransport(pool)
	cookie := benchSignup(b, hc, addr, "bench-reader")
	general, csrf := benchGeneral(b, hc, addr, cookie)
	benchFill(b, hc, addr, cookie, csrf, general)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.NoFirstRun,
		chromedp.UserDataDir(b.TempDir()),
		chromedp.Flag("ignore-certificate-errors-spki-list", leafSPKI(b, addr, pool)),
		chromedp.WindowSize(1280, 800),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	root, cancelRoot := chromedp.NewContext(alloc)
	defer cancelRoot()
	if err := chromedp.Do(root); err != nil {
		b.Fatal(err)
	}
	name, value, _ := strings.Cut(cookie, "=")

	var total time.Duration
	var sizes map[string]float64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
		var firstMs float64
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: firstMessageProbe})
		if err == nil {
			_, err = chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: name, Value: value, URL: "https://" + addr + "/"})
		}
		if err == nil {
			b.StartTimer()
			err = chromedp.Do(ctx, chromedp.Navigate("https://"+addr+"/"))
			if err == nil {
				firstMs, err = chromedp.Run(ctx, chromedp.Poll[float64](`window.__firstMessage`, chromedp.WithPollingTimeout(2*time.Minute)))
			}
			b.StopTimer()
		}
		if err == nil && sizes == nil {
			var raw string
			if raw, err = chromedp.Run(ctx, chromedp.Evaluate[string](shippedBytes)); err == nil {
				err = json.Unmarshal([]byte(raw), &sizes)
			}
		}
		cancel()
		if err != nil {
			b.Fatalf("loading the chat page: %v", err)
		}
		total += time.Duration(firstMs * float64(time.Millisecond))
	}
	b.ReportMetric(ms(total)/float64(b.N), "ms-to-first-message")
	for _, k := range []string{"jsWire", "jsRaw", "cssWire", "cssRaw", "jsFiles", "cssFiles"} {
		b.ReportMetric(sizes[k], k)
	}
}

// benchGeneral returns the id of the first public channel and the
// session's CSRF token.
func benchGeneral(b *testing.B, hc *http.Client, addr, cookie string) (int64, string) {
	b.Helper()
	get := func(path string, into any) {
		req, _ := http.NewRequest("GET", "https://"+addr+path, nil)
		req.Header.Set("Cookie", cookie)
		resp, err := hc.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatalf("GET %s: %s", path, resp.Status)
		}
		if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
			b.Fatal(err)
		}
	}
	var session struct {
		CSRF string `json:"csrf_token"`
	}
	get("/api/v1/session", &session)
	var chans []struct {
		ID   int64  `json:"id"`
		Kind string `json:"kind"`
	}
	get("/api/v1/channels", &chans)
	for _, c := range chans {
		if c.Kind == "public" {
			return c.ID, session.CSRF
		}
	}
	b.Fatal("no public channel")
	return 0, ""
}

// benchFill posts benchClientMessages messages into channel from several
// senders at once (rate limits are off in the bench settings).
func benchFill(b *testing.B, hc *http.Client, addr, cookie, csrf string, channel int64) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, benchClientSenders)
	url := fmt.Sprintf("https://%s/api/v1/channels/%d/messages", addr, channel)
	for range benchClientSenders {
		wg.Go(func() {
			for {
				i := next.Add(1)
				if i > benchClientMessages {
					return
				}
				body := fmt.Sprintf(`{"text":"message %d of the history, with a few words of ordinary length"}`, i)
				req, _ := http.NewRequest("POST", url, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Cookie", cookie)
				req.Header.Set("X-CSRF-Token", csrf)
				resp, err := hc.Do(req)
				if err == nil {
					resp.Body.Close()
					if resp.StatusCode != http.StatusCreated {
						err = fmt.Errorf("POST message %d: %s", i, resp.Status)
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}
