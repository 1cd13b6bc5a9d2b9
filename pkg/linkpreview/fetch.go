package linkpreview

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/minimost/minimost/pkg/media"
)

// Fetch limits of behavior.md §12, and a header cap of our own so that the
// headers, which are read before any body limit applies, stay small.
const (
	maxRedirects   = 3
	maxPageBytes   = 512 << 10
	maxImageBytes  = 256 << 10
	maxHeaderBytes = 32 << 10
	maxCodeLines   = 1000
	userAgent      = "MiniMost-LinkPreview"

	acceptPage  = "text/html,application/xhtml+xml;q=0.9,text/plain;q=0.5,*/*;q=0.1"
	acceptImage = "image/png,image/jpeg,image/gif,image/webp"
)

// fetch builds the preview of u, whose host has been vetted as t. The error
// it returns, if any, is a refusal; every other failure is a nil preview.
func (f *Fetcher) fetch(ctx context.Context, rawURL string, u *url.URL, t target) (*Preview, error) {
	resp, final, err := f.get(ctx, u, t, acceptPage)
	if err != nil {
		return nil, f.failed(u, err)
	}
	defer resp.Body.Close()
	mt, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	switch {
	case mt == "text/html" || mt == "application/xhtml+xml":
		m, err := readHead(resp.Body, params["charset"])
		// The page is done with; closing it now frees its connection
		// before the image is fetched.
		resp.Body.Close()
		if err != nil || m.Title == "" {
			return nil, nil
		}
		p := &Preview{URL: rawURL, Title: m.Title, Description: m.Description, SiteName: m.SiteName}
		if p.SiteName == "" {
			p.SiteName = cleanLine(final.Hostname(), maxSiteName)
		}
		if m.Image != "" {
			p.Image = f.image(ctx, final, m.Image)
		}
		return p, nil
	case isCodeFile(final.Path) && isTextType(mt):
		text, ok := readCode(resp.Body, params["charset"])
		if !ok {
			return nil, nil
		}
		code := &Code{Path: cleanLine(final.Path, maxURLLength), Text: text}
		code.LineStart, code.LineEnd = lineRange(u.Fragment, strings.Count(text, "\n")+1)
		return &Preview{
			URL:      rawURL,
			Title:    cleanLine(path.Base(final.Path), maxTitle),
			SiteName: cleanLine(final.Hostname(), maxSiteName),
			Code:     code,
		}, nil
	}
	return nil, nil
}

// failed logs why a fetch of u failed and returns the refusal among the
// failures, nil for the others.
func (f *Fetcher) failed(u *url.URL, err error) error {
	if r, ok := isRefusal(err); ok {
		f.log.Info("link preview refused", "host", u.Hostname(), "reason", r.Message)
		return r
	}
	f.log.Debug("link preview failed", "host", u.Hostname(), "err", err)
	return nil
}

// get fetches u, whose host has been vetted as t, following at most
// maxRedirects redirects, each vetted like the first. It returns the 2xx
// response and the URL that gave it.
func (f *Fetcher) get(ctx context.Context, u *url.URL, t target, accept string) (*http.Response, *url.URL, error) {
	for redirects := 0; ; redirects++ {
		resp, err := f.roundTrip(ctx, u, t, accept)
		if err != nil {
			return nil, nil, err
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, u, nil
		}
		resp.Body.Close()
		switch resp.StatusCode {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
			http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		default:
			return nil, nil, fmt.Errorf("status %d", resp.StatusCode)
		}
		if redirects == maxRedirects {
			return nil, nil, fmt.Errorf("more than %d redirects", maxRedirects)
		}
		next, err := u.Parse(resp.Header.Get("Location"))
		if err != nil {
			return nil, nil, fmt.Errorf("bad redirect: %w", err)
		}
		if u, err = parseURL(next.String()); err != nil {
			return nil, nil, err
		}
		if t, err = f.vet(ctx, u); err != nil {
			return nil, nil, err
		}
	}
}

// roundTrip makes one GET request of u to the vetted target t. Every call
// gets its own transport: connections are never reused across hosts or
// vettings, and no proxy from the environment is used, since a proxy would
// connect to addresses we never vetted.
func (f *Fetcher) roundTrip(ctx context.Context, u *url.URL, t target, accept string) (*http.Response, error) {
	tr := &http.Transport{
		Proxy: nil,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return f.dial(ctx, t)
		},
		TLSClientConfig:        &tls.Config{RootCAs: f.rootCAs, MinVersion: tls.VersionTLS12},
		DisableKeepAlives:      true,
		MaxResponseHeaderBytes: maxHeaderBytes,
	}
	// The fragment is the reader's, never the server's business.
	reqURL := *u
	reqURL.Fragment, reqURL.RawFragment = "", ""
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, reqURL.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", accept)
	return tr.RoundTrip(req)
}

// readHead reads the page no further than the end of its head, and at most
// maxPageBytes, and parses it.
func readHead(r io.Reader, charset string) (pageMeta, error) {
	lr := io.LimitReader(r, maxPageBytes)
	buf := make([]byte, 0, 32<<10)
	// A full parse is only worth it once something that may end the head
	// has arrived, and trying is capped, so that a page trickled in tiny
	// pieces cannot make the parsing quadratic.
	tries := 32
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, make([]byte, len(buf))...)[:len(buf)]
		}
		n, err := lr.Read(buf[len(buf):cap(buf)])
		fresh := max(0, len(buf)-len("</head"))
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			m, _ := parseHead(buf, charset)
			return m, nil
		}
		if err != nil {
			return pageMeta{}, err
		}
		if n > 0 && tries > 0 && mayEndHead(buf[fresh:]) {
			tries--
			if m, done := parseHead(buf, charset); done {
				return m, nil
			}
		}
	}
}

// mayEndHead reports whether b holds a tag that can end the head.
func mayEndHead(b []byte) bool {
	for {
		i := bytes.IndexByte(b, '<')
		if i < 0 {
			return false
		}
		b = b[i:]
		for _, tag := range []string{"</head", "<body", "</body", "</html"} {
			if len(b) >= len(tag) && strings.EqualFold(string(b[:len(tag)]), tag) {
				return true
			}
		}
		b = b[1:]
	}
}

// image fetches the image ref of the page at pageURL under the same rules
// as the page, and returns it as a data: URL, so readers' browsers never
// contact the image's host and the strict img-src policy stays. Anything
// that is not a small PNG, JPEG, GIF or WebP is no image.
func (f *Fetcher) image(ctx context.Context, pageURL *url.URL, ref string) *string {
	ru, err := pageURL.Parse(ref)
	if err != nil {
		return nil
	}
	u, err := parseURL(ru.String())
	if err != nil {
		return nil
	}
	t, err := f.vet(ctx, u)
	if err != nil {
		f.log.Debug("link preview image refused", "host", u.Hostname(), "err", err)
		return nil
	}
	resp, _, err := f.get(ctx, u, t, acceptImage)
	if err != nil {
		f.log.Debug("link preview image failed", "host", u.Hostname(), "err", err)
		return nil
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxImageBytes+1))
	if err != nil || len(data) > maxImageBytes {
		return nil
	}
	img, ok := media.SniffImage(data[:min(len(data), media.SniffLen)], media.MaxAttachmentSide)
	if !ok {
		return nil
	}
	s := "data:" + img.ContentType + ";base64," + base64.StdEncoding.EncodeToString(data)
	return &s
}

// readCode reads a text file: at most maxPageBytes and maxCodeLines, in
// valid UTF-8 without control characters other than tabs and newlines, nor
// bidirectional overrides, which could make code read other than it runs.
// A file with NUL bytes is binary and not shown.
func readCode(r io.Reader, charset string) (string, bool) {
	data, err := io.ReadAll(io.LimitReader(r, maxPageBytes+1))
	if err != nil || bytes.IndexByte(data, 0) >= 0 {
		return "", false
	}
	cut := len(data) > maxPageBytes
	if cut {
		data = data[:maxPageBytes]
	}
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
		data, charset = data[3:], "utf-8"
	}
	lines := strings.Split(decoderFor(charset)(data), "\n")
	if cut && len(lines) > 1 {
		// The last line is only partly there.
		lines = lines[:len(lines)-1]
	}
	if len(lines) > maxCodeLines {
		lines = lines[:maxCodeLines]
	}
	for i, l := range lines {
		lines[i] = strings.Map(func(r rune) rune {
			if r != '\t' && dropped(r) {
				return -1
			}
			return r
		}, l)
	}
	return strings.Join(lines, "\n"), true
}

// lineRange reads the highlighted lines from a link's fragment, in the forms
// code hosts use: "L10", "L10-L20", "L10-20" (GitHub, GitLab, Gitea),
// "lines-10", "lines-10:20" (Bitbucket Cloud) and "10", "10-20" (Bitbucket
// Server). Lines past the end of the text are no range; 0, 0 is none.
func lineRange(fragment string, lines int) (start, end int) {
	s, ok := strings.CutPrefix(fragment, "lines-")
	if !ok {
		s = strings.TrimPrefix(fragment, "L")
	}
	first, second, isRange := strings.Cut(s, "-")
	if !isRange {
		first, second, isRange = strings.Cut(s, ":")
	}
	start, err := strconv.Atoi(first)
	if err != nil || start < 1 || start > lines {
		return 0, 0
	}
	end = start
	if isRange {
		if end, err = strconv.Atoi(strings.TrimPrefix(second, "L")); err != nil || end < start {
			return 0, 0
		}
	}
	return start, min(end, lines)
}

// codeExts are the extensions of files given a code preview (client.md
// Appendix D).
var codeExts = func() map[string]bool {
	m := map[string]bool{}
	for _, e := range strings.Fields(`c cc cpp cxx h hpp py pyw js mjs cjs jsx ts tsx
		java kt scala rs go rb php pl lua sh bash zsh fish cmake mk make groovy
		gradle vhd vhdl v vh sv svh xml xsl xslt xsd svg html htm css scss sass
		less json yaml yml toml ini cfg conf txt md rst csv sql r swift m ex exs
		erl tf hcl proto`) {
		m[e] = true
	}
	return m
}()

// isCodeFile reports whether the last segment of p names a file given a
// code preview.
func isCodeFile(p string) bool {
	name := strings.ToLower(path.Base(p))
	if strings.HasPrefix(name, "jenkinsfile") || strings.HasPrefix(name, "makefile") || name == "gnumakefile" {
		return true
	}
	dot := strings.LastIndexByte(name, '.')
	return dot >= 0 && codeExts[name[dot+1:]]
}

// isTextType reports media types under which a code file may be served.
// Servers label source files loosely, octet-stream included; the NUL check
// of readCode keeps binaries out.
func isTextType(mt string) bool {
	switch mt {
	case "application/json", "application/xml", "application/javascript",
		"application/x-sh", "application/toml", "application/yaml",
		"application/x-yaml", "application/octet-stream":
		return true
	}
	return strings.HasPrefix(mt, "text/")
}
