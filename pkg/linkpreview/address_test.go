package linkpreview

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/minimost/minimost/pkg/chat"
)

func TestIsPublic(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		public bool
	}{
		{"8.8.8.8", true},
		{"93.184.216.34", true},
		{"1.1.1.1", true},
		{"0.0.0.0", false},
		{"0.1.2.3", false},
		{"10.0.0.1", false},
		{"10.255.255.255", false},
		{"100.64.0.1", false},
		{"100.127.255.254", false},
		{"100.128.0.1", true},
		{"127.0.0.1", false},
		{"127.255.0.9", false},
		{"169.254.169.254", false},
		{"169.254.0.1", false},
		{"172.16.0.1", false},
		{"172.31.255.255", false},
		{"172.32.0.1", true},
		{"192.0.0.8", false},
		{"192.0.2.1", false},
		{"192.88.99.1", false},
		{"192.168.1.1", false},
		{"198.18.0.1", false},
		{"198.19.255.255", false},
		{"198.51.100.7", false},
		{"203.0.113.5", false},
		{"224.0.0.1", false},
		{"239.255.255.250", false},
		{"240.0.0.1", false},
		{"255.255.255.255", false},
		{"2606:4700:4700::1111", true},
		{"2a00:1450:4001:80b::200e", true},
		{"::", false},
		{"::1", false},
		{"::ffff:127.0.0.1", false},
		{"::ffff:10.1.2.3", false},
		{"::ffff:169.254.169.254", false},
		{"::ffff:8.8.8.8", true},
		{"::127.0.0.1", false},
		{"::8.8.8.8", false},
		{"64:ff9b::a00:1", false},
		{"64:ff9b::7f00:1", false},
		{"64:ff9b::a9fe:a9fe", false},
		{"64:ff9b::808:808", true},
		{"64:ff9b:1::808:808", false},
		{"100::1", false},
		{"2001::1", false},
		{"2001:2::1", false},
		{"2001:db8::1", false},
		{"2002:7f00:1::1", false},
		{"3fff::1", false},
		{"5f00::1", false},
		{"fc00::1", false},
		{"fd12:3456::1", false},
		{"fe80::1", false},
		{"fe80::1%eth0", false},
		{"fec0::1", false},
		{"ff02::1", false},
		{"ff0e::1", false},
	} {
		if got := isPublic(netip.MustParseAddr(tc.addr)); got != tc.public {
			t.Errorf("isPublic(%s) = %v, want %v", tc.addr, got, tc.public)
		}
	}
	if isPublic(netip.Addr{}) {
		t.Error("the zero Addr is public")
	}
}

func TestInAllowed(t *testing.T) {
	allowed := []netip.Prefix{
		netip.MustParsePrefix("127.0.0.0/8"),
		netip.MustParsePrefix("fd00:1::/64"),
		netip.MustParsePrefix("::ffff:10.9.0.0/112"),
	}
	for _, tc := range []struct {
		addr string
		in   bool
	}{
		{"127.0.0.1", true},
		{"::ffff:127.0.0.1", true},
		{"10.9.1.2", true},
		{"10.8.1.2", false},
		{"fd00:1::5", true},
		{"fd00:2::5", false},
		{"::1", false},
		{"192.168.1.1", false},
		{"fe80::1%lo", false},
	} {
		if got := inAllowed(netip.MustParseAddr(tc.addr), allowed); got != tc.in {
			t.Errorf("inAllowed(%s) = %v, want %v", tc.addr, got, tc.in)
		}
	}
}

func TestParseURL(t *testing.T) {
	for _, ok := range []string{
		"http://example.com",
		"https://example.com/a?b=c#d",
		"http://example.com:8080/",
		"HTTP://Example.COM/",
		"http://10.0.0.1/", // refused later, by vet
		"http://[2001:4860::1]:443/",
		"http://example.com./",
		"http://1.2.3.example/",
		"http://example.com:65535/",
	} {
		if _, err := parseURL(ok); err != nil {
			t.Errorf("parseURL(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{
		"",
		"example.com",
		"/relative/path",
		"//example.com/",
		"ftp://example.com/",
		"file:///etc/passwd",
		"javascript:alert(1)",
		"data:text/html,hi",
		"gopher://example.com/",
		"http:opaque",
		"http:///path",
		"http://user:pw@example.com/",
		"http://user@example.com/",
		"http://@example.com/",
		"http://example.com:0/",
		"http://example.com:99999/",
		"http://example.com:-1/",
		"http://2130706433/",
		"http://0x7f000001/",
		"http://0x7f.1/",
		"http://127.1/",
		"http://127.0.0.01/",
		"http://example.0x1/",
		"http://[fe80::1%25eth0]/",
		"http://example.com/\x00",
		"http://exa mple.com/",
		"http://example.com/\xff",
		"http://example.com/" + strings.Repeat("a", maxURLLength),
	} {
		_, err := parseURL(bad)
		if chat.ErrorCode(err) != chat.EBadRequest {
			t.Errorf("parseURL(%q) = %v, want bad_request", bad, err)
		}
	}
	long := "http://example.com/" + strings.Repeat("é", maxURLLength-len("http://example.com/"))
	if _, err := parseURL(long); err != nil {
		t.Errorf("a URL of exactly %d characters: %v", maxURLLength, err)
	}
}

// fakeDNS answers from a table and fails every other name, so no test ever
// asks a real resolver.
func fakeDNS(table map[string][]string) func(context.Context, string) ([]netip.Addr, error) {
	return func(_ context.Context, host string) ([]netip.Addr, error) {
		var out []netip.Addr
		for _, a := range table[host] {
			out = append(out, netip.MustParseAddr(a))
		}
		if len(out) == 0 {
			return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
		}
		return out, nil
	}
}

func TestVet(t *testing.T) {
	f := New(Options{
		Allowed: func() []netip.Prefix { return []netip.Prefix{netip.MustParsePrefix("192.168.7.0/24")} },
		LookupIP: fakeDNS(map[string][]string{
			"public.test":    {"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"},
			"mixed.test":     {"93.184.216.34", "10.0.0.1"},
			"metadata.test":  {"169.254.169.254"},
			"mapped.test":    {"::ffff:127.0.0.1"},
			"intranet.test":  {"192.168.7.10"},
			"halfintra.test": {"192.168.7.10", "93.184.216.34"},
			"dup.test":       {"93.184.216.34", "::ffff:93.184.216.34"},
		}),
	})
	for _, tc := range []struct {
		url   string
		want  string // "" for refused, "none" for nothing to preview, else the addresses
		port  uint16
		ports string
	}{
		{url: "http://public.test/", want: "93.184.216.34 2606:2800:220:1:248:1893:25c8:1946", port: 80},
		{url: "https://public.test/", want: "93.184.216.34 2606:2800:220:1:248:1893:25c8:1946", port: 443},
		{url: "http://public.test:8443/", want: "93.184.216.34 2606:2800:220:1:248:1893:25c8:1946", port: 8443},
		{url: "http://dup.test/", want: "93.184.216.34", port: 80},
		{url: "http://public.test:22/"},
		{url: "http://mixed.test/"},
		{url: "http://metadata.test/latest/meta-data/"},
		{url: "http://mapped.test/"},
		{url: "http://intranet.test:3000/", want: "192.168.7.10", port: 3000},
		{url: "http://halfintra.test/", want: "192.168.7.10 93.184.216.34", port: 80},
		{url: "http://halfintra.test:3000/"},
		{url: "http://192.168.7.99:1/", want: "192.168.7.99", port: 1},
		{url: "http://192.168.8.1/"},
		{url: "http://8.8.8.8:25/"},
		{url: "http://unknown.test/", want: "none"},
	} {
		u, err := parseURL(tc.url)
		if err != nil {
			t.Fatalf("parseURL(%q): %v", tc.url, err)
		}
		tg, err := f.vet(context.Background(), u)
		switch {
		case tc.want == "":
			if chat.ErrorCode(err) != chat.EBadRequest {
				t.Errorf("vet(%s) = %v, %v; want refused", tc.url, tg, err)
			}
		case tc.want == "none":
			if _, refused := isRefusal(err); err == nil || refused {
				t.Errorf("vet(%s) = %v; want a plain failure", tc.url, err)
			}
		default:
			var got []string
			for _, a := range tg.addrs {
				got = append(got, a.String())
			}
			if err != nil || strings.Join(got, " ") != tc.want || tg.port != tc.port {
				t.Errorf("vet(%s) = %v %d, %v; want %s %d", tc.url, got, tg.port, err, tc.want, tc.port)
			}
		}
	}
}

// TestConnectCheck shows the last line of defence on real sockets: the
// dialer refuses, before connecting, any remote address that is not the
// vetted one, or that the live settings no longer permit.
func TestConnectCheck(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan struct{}, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- struct{}{}
			c.Close()
		}
	}()
	loopback := netip.MustParsePrefix("127.0.0.0/8")
	allowed := []netip.Prefix{loopback}
	f := New(Options{Allowed: func() []netip.Prefix { return allowed }})
	dial := func(vetted string) error {
		d := net.Dialer{Control: f.connectCheck([]netip.Addr{netip.MustParseAddr(vetted)}), Timeout: time.Second}
		c, err := d.Dial("tcp", ln.Addr().String())
		if err == nil {
			c.Close()
		}
		return err
	}
	refusedBeforeConnect := func(err error) {
		t.Helper()
		var rc *refusedConnect
		if !errors.As(err, &rc) {
			t.Fatalf("dial = %v, want a refused connection", err)
		}
		if _, ok := isRefusal(err); !ok {
			t.Fatalf("isRefusal(%v) = false", err)
		}
		select {
		case <-accepted:
			t.Fatal("the listener accepted a refused connection")
		case <-time.After(50 * time.Millisecond):
		}
	}
	// A name that was vetted as one address but would connect elsewhere.
	refusedBeforeConnect(dial("127.0.0.2"))
	// The vetted address itself connects.
	if err := dial("127.0.0.1"); err != nil {
		t.Fatalf("dial to the vetted address: %v", err)
	}
	<-accepted
	// The operator removed the network between vetting and connecting.
	allowed = nil
	refusedBeforeConnect(dial("127.0.0.1"))

	check := f.connectCheck([]netip.Addr{netip.MustParseAddr("93.184.216.34")})
	for _, addr := range []string{"10.0.0.1:80", "[::1]:80", "169.254.169.254:80", "garbage", "93.184.216.35:80"} {
		if err := check("tcp", addr, nil); err == nil {
			t.Errorf("connectCheck allowed %s", addr)
		}
	}
	for _, addr := range []string{"93.184.216.34:80", "[::ffff:93.184.216.34]:443"} {
		if err := check("tcp", addr, nil); err != nil {
			t.Errorf("connectCheck(%s) = %v", addr, err)
		}
	}
}
