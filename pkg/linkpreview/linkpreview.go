// Package linkpreview builds the link preview cards of behavior.md §12: it
// fetches a page on a user's behalf and reads its title, description, site
// name and image, or, for a direct link to a source file, its text.
//
// Fetching a URL a user chose from inside the server's network is a
// server-side request forgery risk, so every address is vetted before it is
// connected to: only public unicast addresses, and those inside the
// operator's link_preview_allowed_networks, are ever reached. A name is
// resolved once per request and the connection goes to the vetted address
// itself, checked again by the dialer just before it connects, so a DNS
// answer that changes in between cannot redirect it. Every redirect is
// vetted the same way.
//
// Everything returned is plain text (or a data: URL for the image); the
// client escapes it before rendering.
package linkpreview

import (
	"container/list"
	"context"
	"crypto/x509"
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Limits of behavior.md §12, and a byte cap of our own on the cache, since
// 500 previews with an image each could otherwise hold some 170 MiB.
const (
	fetchBudget   = 5 * time.Second
	maxInFlight   = 4
	cacheEntries  = 500
	cacheBytes    = 32 << 20
	successTTL    = time.Hour
	failureTTL    = 10 * time.Minute
	entryOverhead = 256
)

// Preview is the answer of GET /link-preview (api.md §3). Every field but
// Code is always present in its JSON form.
type Preview struct {
	// URL is the URL asked for, as given.
	URL string `json:"url"`
	// Title is one line of plain text, at most 200 characters; a page
	// without a title has no preview.
	Title string `json:"title"`
	// Description is one line of plain text, at most 500 characters,
	// possibly empty.
	Description string `json:"description"`
	// Image is a data: URL of a PNG, JPEG, GIF or WebP of at most 256 KiB,
	// or nil.
	Image *string `json:"image"`
	// SiteName is the page's og:site_name, else its host.
	SiteName string `json:"site_name"`
	// Code is set for a direct link to a text or source file.
	Code *Code `json:"code,omitempty"`
}

// Code is the text of a linked source file, for the client's code card.
type Code struct {
	// Path is the path of the file's URL.
	Path string `json:"path"`
	// Text is at most the first 1000 lines of the file, in plain text
	// with tabs and newlines.
	Text string `json:"text"`
	// LineStart and LineEnd are the lines the link highlights, counted
	// from 1 and both included; both are 0 when it highlights none.
	LineStart int `json:"line_start"`
	LineEnd   int `json:"line_end"`
}

// Options configures a Fetcher. Every field may be nil.
type Options struct {
	// Allowed returns the live setting link_preview_allowed_networks: the
	// private networks whose servers may be previewed. Nil allows none.
	Allowed func() []netip.Prefix
	// Enabled returns the live setting link_previews_enabled. Nil means
	// enabled.
	Enabled func() bool
	// Now is the clock of the cache. Nil means time.Now.
	Now func() time.Time
	// Logger receives refusals (info) and failed fetches (debug). Nil
	// discards them.
	Logger *slog.Logger
	// LookupIP resolves a host name. Nil means the system resolver.
	LookupIP func(ctx context.Context, host string) ([]netip.Addr, error)
}

// Fetcher builds link previews and caches them. It is safe for concurrent
// use.
type Fetcher struct {
	allowedNets func() []netip.Prefix
	enabled     func() bool
	now         func() time.Time
	log         *slog.Logger
	lookup      func(ctx context.Context, host string) ([]netip.Addr, error)

	// budget, maxEntries and rootCAs are fields rather than constants so
	// that tests can shorten the wait and trust their own TLS servers.
	budget     time.Duration
	maxEntries int
	rootCAs    *x509.CertPool

	// slots bounds the fetches in flight server-wide.
	slots chan struct{}

	mu      sync.Mutex
	entries map[string]*list.Element
	lru     *list.List // of *entry, most recently used first
	bytes   int
	calls   map[string]*call
}

// New returns a Fetcher with the given options.
func New(o Options) *Fetcher {
	f := &Fetcher{
		allowedNets: o.Allowed,
		enabled:     o.Enabled,
		now:         o.Now,
		log:         o.Logger,
		lookup:      o.LookupIP,
		budget:      fetchBudget,
		maxEntries:  cacheEntries,
		slots:       make(chan struct{}, maxInFlight),
		entries:     map[string]*list.Element{},
		lru:         list.New(),
		calls:       map[string]*call{},
	}
	if f.now == nil {
		f.now = time.Now
	}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	if f.lookup == nil {
		f.lookup = defaultLookup
	}
	return f
}

func (f *Fetcher) allowed() []netip.Prefix {
	if f.allowedNets == nil {
		return nil
	}
	return f.allowedNets()
}

// call is one fetch that every concurrent request for its URL waits for.
type call struct {
	done chan struct{}
	p    *Preview
	err  error
}

// Preview returns the preview of rawURL, or nil when there is none (GET
// /link-preview answers 204): previews are disabled, the page could not be
// fetched in time, is not HTML or a source file, or has no title. A URL that
// may not be fetched at all (not http or https, too long, with user info, a
// forbidden port, or a host with a non-public address) is refused with a
// *chat.Error of code bad_request.
//
// Results are cached, failures and the refusals that took a name lookup
// included. ctx only bounds how long this caller waits, not the fetch,
// which other callers may share.
func (f *Fetcher) Preview(ctx context.Context, rawURL string) (*Preview, error) {
	if f.enabled != nil && !f.enabled() {
		return nil, nil
	}
	u, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	key := cacheKey(f.allowed(), rawURL)
	f.mu.Lock()
	if p, err, ok := f.cached(key); ok {
		f.mu.Unlock()
		return p, err
	}
	c := f.calls[key]
	if c == nil {
		c = &call{done: make(chan struct{})}
		f.calls[key] = c
		go f.run(context.WithoutCancel(ctx), key, rawURL, u, c)
	}
	f.mu.Unlock()
	select {
	case <-c.done:
		return c.p.clone(), c.err
	case <-ctx.Done():
		return nil, nil
	}
}

// run performs the fetch of c within the overall budget and caches its
// result. The host is vetted before waiting for a free fetch slot, so that
// whether a URL is refused never depends on how busy the server is.
func (f *Fetcher) run(ctx context.Context, key, rawURL string, u *url.URL, c *call) {
	ctx, cancel := context.WithTimeout(ctx, f.budget)
	defer cancel()
	keep := true
	if t, err := f.vet(ctx, u); err != nil {
		c.err = f.failed(u, err)
	} else {
		select {
		case f.slots <- struct{}{}:
			c.p, c.err = f.fetch(ctx, rawURL, u, t)
			<-f.slots
		case <-ctx.Done():
			// The server was busy, which says nothing about the
			// page, so the next request tries again.
			keep = false
		}
	}
	f.mu.Lock()
	delete(f.calls, key)
	if keep {
		f.store(key, c.p, c.err)
	}
	f.mu.Unlock()
	close(c.done)
}

// cacheKey includes the allowed networks, because they decide whether a
// URL is refused: a changed setting must not be answered from the cache.
func cacheKey(allowed []netip.Prefix, rawURL string) string {
	var sb strings.Builder
	for _, p := range allowed {
		sb.WriteString(p.String())
		sb.WriteByte(',')
	}
	sb.WriteByte(' ')
	sb.WriteString(rawURL)
	return sb.String()
}

type entry struct {
	key     string
	p       *Preview
	err     error
	expires time.Time
	size    int
}

// cached returns the live cache entry of key. f.mu must be held.
func (f *Fetcher) cached(key string) (*Preview, error, bool) {
	el, ok := f.entries[key]
	if !ok {
		return nil, nil, false
	}
	e := el.Value.(*entry)
	if !f.now().Before(e.expires) {
		f.evict(el)
		return nil, nil, false
	}
	f.lru.MoveToFront(el)
	return e.p.clone(), e.err, true
}

// store caches a result, evicting the least recently used entries beyond
// the bounds. f.mu must be held.
func (f *Fetcher) store(key string, p *Preview, err error) {
	if el, ok := f.entries[key]; ok {
		f.evict(el)
	}
	ttl := successTTL
	if p == nil {
		ttl = failureTTL
	}
	e := &entry{key: key, p: p, err: err, expires: f.now().Add(ttl), size: len(key) + p.size()}
	f.entries[key] = f.lru.PushFront(e)
	f.bytes += e.size
	for f.lru.Len() > f.maxEntries || f.bytes > cacheBytes {
		f.evict(f.lru.Back())
	}
}

func (f *Fetcher) evict(el *list.Element) {
	e := f.lru.Remove(el).(*entry)
	delete(f.entries, e.key)
	f.bytes -= e.size
}

// size approximates the memory a cached preview holds.
func (p *Preview) size() int {
	if p == nil {
		return entryOverhead
	}
	n := entryOverhead + len(p.URL) + len(p.Title) + len(p.Description) + len(p.SiteName)
	if p.Image != nil {
		n += len(*p.Image)
	}
	if p.Code != nil {
		n += len(p.Code.Path) + len(p.Code.Text)
	}
	return n
}

// clone copies p deeply, so that no caller can change a cached preview.
func (p *Preview) clone() *Preview {
	if p == nil {
		return nil
	}
	c := *p
	if p.Image != nil {
		img := *p.Image
		c.Image = &img
	}
	if p.Code != nil {
		code := *p.Code
		c.Code = &code
	}
	return &c
}
