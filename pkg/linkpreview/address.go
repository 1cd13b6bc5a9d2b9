package linkpreview

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/minimost/minimost/pkg/chat"
)

// maxURLLength is the longest URL, in characters, that is previewed.
const maxURLLength = 2048

// standardPorts may be used on any public host; other ports only on hosts
// inside link_preview_allowed_networks, so the fetcher cannot be aimed at
// arbitrary services of the internet.
var standardPorts = []uint16{80, 443, 8080, 8443}

// nonPublic4 lists the IPv4 ranges that are not public unicast: "this
// network", private, CGNAT, loopback, link-local (the cloud metadata
// address among them), IETF protocol assignments, the documentation and
// benchmark ranges, the retired 6to4 relay anycast, multicast, and the
// reserved 240/4 with the broadcast address.
var nonPublic4 = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("192.88.99.0/24"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
}

var (
	// globalUnicast6 is the only IPv6 block allocated for global unicast;
	// everything outside it (loopback, unspecified, IPv4-compatible,
	// unique-local, link-local, site-local, multicast, discard, SRv6) is
	// refused by not being in it.
	globalUnicast6 = netip.MustParsePrefix("2000::/3")
	// nat64 embeds an IPv4 address in its last 32 bits, which decide.
	nat64 = netip.MustParsePrefix("64:ff9b::/96")
	// nonPublic6 are the non-public blocks inside 2000::/3: IETF protocol
	// assignments (Teredo and benchmarking among them), documentation, and
	// 6to4, whose embedded IPv4 address could be anything.
	nonPublic6 = []netip.Prefix{
		netip.MustParsePrefix("2001::/23"),
		netip.MustParsePrefix("2001:db8::/32"),
		netip.MustParsePrefix("2002::/16"),
		netip.MustParsePrefix("3fff::/20"),
	}
)

// isPublic reports whether a is a public unicast address.
func isPublic(a netip.Addr) bool {
	a = a.Unmap()
	if a.Zone() != "" {
		return false
	}
	switch {
	case a.Is4():
		for _, p := range nonPublic4 {
			if p.Contains(a) {
				return false
			}
		}
		return true
	case a.Is6():
		if nat64.Contains(a) {
			b := a.As16()
			return isPublic(netip.AddrFrom4([4]byte(b[12:])))
		}
		if !globalUnicast6.Contains(a) {
			return false
		}
		for _, p := range nonPublic6 {
			if p.Contains(a) {
				return false
			}
		}
		return true
	}
	return false
}

// inAllowed reports whether a lies in one of the operator's allowed
// networks. An IPv4 address is also matched against prefixes written in
// IPv4-mapped form.
func inAllowed(a netip.Addr, allowed []netip.Prefix) bool {
	a = a.Unmap()
	if a.Zone() != "" {
		return false
	}
	for _, p := range allowed {
		if p.Contains(a) || (a.Is4() && p.Contains(netip.AddrFrom16(a.As16()))) {
			return true
		}
	}
	return false
}

// permitted reports whether the fetcher may connect to a under the current
// settings.
func (f *Fetcher) permitted(a netip.Addr) bool {
	return inAllowed(a, f.allowed()) || isPublic(a)
}

func refused(format string, args ...any) *chat.Error {
	return chat.Errorf(chat.EBadRequest, "link preview refused: "+format, args...)
}

// parseURL checks everything about rawURL that needs no name resolution.
// Its errors are refusals.
func parseURL(rawURL string) (*url.URL, error) {
	if !utf8.ValidString(rawURL) || utf8.RuneCountInString(rawURL) > maxURLLength {
		return nil, refused("the URL must be valid UTF-8 of at most %d characters", maxURLLength)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, refused("malformed URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, refused("only absolute http and https URLs are previewed")
	}
	if u.Opaque != "" || u.Host == "" || u.Hostname() == "" {
		return nil, refused("the URL has no host")
	}
	if u.User != nil {
		return nil, refused("URLs with user info are not previewed")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.ParseUint(p, 10, 16); err != nil || n == 0 {
			return nil, refused("invalid port")
		}
	}
	host := u.Hostname()
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return nil, refused("addresses with a zone are not previewed")
		}
	} else if endsInNumber(host) {
		// Browsers read such hosts ("2130706433", "0x7f.1", "127.1") as
		// IPv4 addresses and resolvers differ on them; only the dotted
		// quad form is accepted, so the address vetted is unambiguous.
		return nil, refused("malformed IPv4 address")
	}
	return u, nil
}

// endsInNumber reports whether the last label of host is a number in any
// base the WHATWG URL standard knows, which makes the host an IPv4 address.
func endsInNumber(host string) bool {
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	last := labels[len(labels)-1]
	if last == "" {
		return false
	}
	if strings.HasPrefix(last, "0x") || strings.HasPrefix(last, "0X") {
		last = last[2:]
		return strings.Trim(last, "0123456789abcdefABCDEF") == ""
	}
	return strings.Trim(last, "0123456789") == ""
}

// target is a host vetted for one request: the addresses it resolved to,
// all permitted, and the port to connect to.
type target struct {
	addrs []netip.Addr
	port  uint16
}

// vet resolves the host of u once and checks every address it has. A
// refusal is a *chat.Error; any other error (the name does not resolve)
// means there is nothing to preview.
func (f *Fetcher) vet(ctx context.Context, u *url.URL) (target, error) {
	addrs, err := f.resolve(ctx, u.Hostname())
	if err != nil {
		return target{}, err
	}
	allowed := f.allowed()
	allInAllowed := true
	for _, a := range addrs {
		in := inAllowed(a, allowed)
		allInAllowed = allInAllowed && in
		if !in && !isPublic(a) {
			// The address itself stays out of the message: it would
			// tell users what internal names resolve to.
			return target{}, refused("%s has an address that is not public", u.Hostname())
		}
	}
	port := uint16(80)
	if u.Scheme == "https" {
		port = 443
	}
	if p := u.Port(); p != "" {
		n, _ := strconv.ParseUint(p, 10, 16) // parseURL has checked it
		port = uint16(n)
		if !slices.Contains(standardPorts, port) && !allInAllowed {
			return target{}, refused("port %d is only previewed on allowed networks", port)
		}
	}
	return target{addrs: addrs, port: port}, nil
}

// resolve returns the addresses of host, in IPv4 form where they are
// IPv4-mapped, without duplicates. An IP literal is its own answer.
func (f *Fetcher) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a.Unmap()}, nil
	}
	found, err := f.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	var addrs []netip.Addr
	for _, a := range found {
		if a = a.Unmap(); !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return nil, fmt.Errorf("%s has no addresses", host)
	}
	return addrs, nil
}

func defaultLookup(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// refusedConnect is the error of a connection stopped before it was made.
type refusedConnect struct{ addr string }

func (e *refusedConnect) Error() string {
	return "connection to " + e.addr + " refused by link preview rules"
}

// dial connects to one of the vetted addresses of t, never to anything a
// name resolves to now, so a DNS answer that changes after vetting (DNS
// rebinding) cannot redirect the connection.
func (f *Fetcher) dial(ctx context.Context, t target) (net.Conn, error) {
	d := net.Dialer{Control: f.connectCheck(t.addrs)}
	var first error
	for _, a := range t.addrs {
		c, err := d.DialContext(ctx, "tcp", netip.AddrPortFrom(a, t.port).String())
		if err == nil {
			return c, nil
		}
		if first == nil {
			first = err
		}
	}
	return nil, first
}

// connectCheck returns a dialer Control hook, run on the socket just before
// it connects: the remote address must be one of vetted and still permitted
// under the live settings. It is the last line should anything upstream
// ever hand the dialer an address that was not vetted.
func (f *Fetcher) connectCheck(vetted []netip.Addr) func(network, address string, _ syscall.RawConn) error {
	return func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return &refusedConnect{address}
		}
		if a := ap.Addr().Unmap(); !slices.Contains(vetted, a) || !f.permitted(a) {
			return &refusedConnect{address}
		}
		return nil
	}
}

// isRefusal reports whether err stops a preview with a refusal rather than
// with nothing to show, and returns the refusal.
func isRefusal(err error) (*chat.Error, bool) {
	var ce *chat.Error
	if errors.As(err, &ce) {
		return ce, true
	}
	var rc *refusedConnect
	if errors.As(err, &rc) {
		return refused("the address connected to is not permitted"), true
	}
	return nil, false
}
