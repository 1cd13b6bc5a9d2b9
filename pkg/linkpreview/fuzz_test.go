package linkpreview

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/minimost/minimost/pkg/chat"
)

// FuzzParseHead checks that no document panics the scanner and that every
// field it yields is one line of valid UTF-8 without control or bidi
// override characters, within its length cap.
func FuzzParseHead(f *testing.F) {
	f.Add([]byte(`<html><head><title>T &amp; t</title><meta property="og:title" content="O"><meta name=description content='d'></head>`), "")
	f.Add([]byte("<meta charset=windows-1252><title>caf\xe9 \x93\x81</title>"), "")
	f.Add([]byte(`<meta property="og:image" content="/x.png?a=1&amp;b=&#x202e;"><body>`), "utf-8")
	f.Add([]byte(`<!-- <title>c</title> --><script><title>s</title></script><title>&#0;&#7;&#x85;&#xd800;x</title>`), "latin1")
	f.Add([]byte(`<title`), "")
	f.Add([]byte(`<meta content="x`), "")
	f.Add([]byte(`<meta =a b= c=">"><</><!x><?y>`), "")
	f.Add([]byte("\xef\xbb\xbf<title>\xff\xfe</title>"), "shift_jis")
	f.Add([]byte(`<meta property="og:site_name" content="`+strings.Repeat("\u00e9 ", 300)+`">`), "")
	f.Fuzz(func(t *testing.T, doc []byte, charset string) {
		m, _ := parseHead(doc, charset)
		for _, field := range []struct {
			name, v string
			max     int
		}{
			{"title", m.Title, maxTitle},
			{"description", m.Description, maxDescription},
			{"site_name", m.SiteName, maxSiteName},
			{"image", m.Image, maxURLLength},
		} {
			if !utf8.ValidString(field.v) {
				t.Fatalf("%s is not valid UTF-8: %q", field.name, field.v)
			}
			if n := utf8.RuneCountInString(field.v); n > field.max {
				t.Fatalf("%s has %d characters, cap %d", field.name, n, field.max)
			}
			if strings.ContainsFunc(field.v, dropped) || strings.ContainsAny(field.v, "\n\r\t") {
				t.Fatalf("%s has a control character: %q", field.name, field.v)
			}
			if strings.TrimSpace(field.v) != field.v {
				t.Fatalf("%s is not trimmed: %q", field.name, field.v)
			}
		}
	})
}

// FuzzURL checks that no URL panics the vetting, that only well-formed
// http(s) URLs pass, and that vetting only ever yields permitted addresses.
// Nothing is fetched: vetting resolves through a fake resolver and never
// connects.
func FuzzURL(f *testing.F) {
	for _, s := range []string{
		"http://example.com/", "https://intranet.test:8443/a?b#c", "http://10.0.0.1/",
		"http://[::ffff:127.0.0.1]:80/", "http://[fe80::1%25eth0]/", "http://0x7f.1/",
		"http://user@host/", "javascript:alert(1)", "http://mixed.test/", "http://public.test:22/",
		"http://intranet.test:3000/", "HTTP://EXAMPLE.COM:65535", "http://%31%32%37.0.0.1/",
	} {
		f.Add(s)
	}
	allowed := []netip.Prefix{netip.MustParsePrefix("192.168.7.0/24")}
	fx := New(Options{
		Allowed: func() []netip.Prefix { return allowed },
		LookupIP: fakeDNS(map[string][]string{
			"example.com":   {"93.184.216.34"},
			"public.test":   {"2606:2800:220:1:248:1893:25c8:1946"},
			"intranet.test": {"192.168.7.10"},
			"mixed.test":    {"93.184.216.34", "127.0.0.1"},
		}),
	})
	f.Fuzz(func(t *testing.T, raw string) {
		u, err := parseURL(raw)
		if err != nil {
			if chat.ErrorCode(err) != chat.EBadRequest {
				t.Fatalf("parseURL(%q) error %v is not a refusal", raw, err)
			}
			return
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.Hostname() == "" ||
			utf8.RuneCountInString(raw) > maxURLLength {
			t.Fatalf("parseURL(%q) accepted %#v", raw, u)
		}
		tg, err := fx.vet(context.Background(), u)
		if err != nil {
			return
		}
		allIn := true
		for _, a := range tg.addrs {
			if !fx.permitted(a) {
				t.Fatalf("vet(%q) passed %s", raw, a)
			}
			allIn = allIn && inAllowed(a, allowed)
		}
		if len(tg.addrs) == 0 || tg.port == 0 || (!slices.Contains(standardPorts, tg.port) && !allIn) {
			t.Fatalf("vet(%q) = %+v", raw, tg)
		}
	})
}
