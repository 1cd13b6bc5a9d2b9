package pki

import (
	"crypto/x509"
	"net"
	"net/netip"
	"strings"
)

// sanSet is the list of names and addresses the leaf must cover.
type sanSet struct {
	dns  []string
	ips  []net.IP
	seen map[string]bool
}

// wantedSANs lists what the leaf must cover now. Lookups that fail are
// logged and skipped: a leaf missing one name is better than no HTTPS, and
// the daily check adds the name once it can be read again.
func (m *Manager) wantedSANs() sanSet {
	s := sanSet{seen: map[string]bool{}}
	s.addHost("localhost")
	s.addHost("127.0.0.1")
	s.addHost("::1")
	if h := m.hostname(); h != "" {
		s.addHost(h)
		// Resolving the FQDN would need DNS, which the daemon must not
		// depend on at start; a dotted hostname already is the FQDN and a
		// short one is reachable over mDNS as <hostname>.local.
		if _, err := netip.ParseAddr(h); err != nil && !strings.Contains(h, ".") {
			s.addHost(h + ".local")
		}
	}
	addrs, err := m.opts.InterfaceAddrs()
	if err != nil {
		m.log.Warn("cannot list the interface addresses; leaving them out of the certificate", "error", err)
	}
	for _, ip := range addrs {
		if a, ok := netip.AddrFromSlice(ip); ok {
			if a = a.Unmap(); !a.IsLoopback() && !a.IsMulticast() && !a.IsUnspecified() {
				s.addAddr(a)
			}
		}
	}
	for _, h := range m.opts.PublicHosts {
		s.addHost(h)
	}
	if h := m.opts.ListenHost; h != "" && h != "*" {
		s.addHost(h)
	}
	return s
}

// addHost adds an IP literal (optionally bracketed or zoned) or a DNS name.
// Unspecified addresses are dropped because they stand for "every address"
// and are never what a client connects to.
func (s *sanSet) addHost(h string) {
	h = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(h), "["), "]")
	if a, err := netip.ParseAddr(h); err == nil {
		if a = a.WithZone("").Unmap(); !a.IsUnspecified() {
			s.addAddr(a)
		}
		return
	}
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if h == "" || s.seen[h] {
		return
	}
	s.seen[h] = true
	s.dns = append(s.dns, h)
}

func (s *sanSet) addAddr(a netip.Addr) {
	key := a.String()
	if s.seen[key] {
		return
	}
	s.seen[key] = true
	s.ips = append(s.ips, net.IP(a.AsSlice()))
}

// missingFrom returns the wanted names and addresses that leaf lacks. Extra
// entries in leaf do not matter: a vanished address only costs a SAN until
// the next renewal.
func (s sanSet) missingFrom(leaf *x509.Certificate) []string {
	have := map[string]bool{}
	for _, d := range leaf.DNSNames {
		have[strings.ToLower(d)] = true
	}
	for _, ip := range leaf.IPAddresses {
		if a, ok := netip.AddrFromSlice(ip); ok {
			have[a.Unmap().String()] = true
		}
	}
	var missing []string
	for _, d := range s.dns {
		if !have[d] {
			missing = append(missing, d)
		}
	}
	for _, ip := range s.ips {
		a, _ := netip.AddrFromSlice(ip)
		if k := a.String(); !have[k] {
			missing = append(missing, k)
		}
	}
	return missing
}

// hostname returns the lower-case host name, or "" when it cannot be read.
func (m *Manager) hostname() string {
	h, err := m.opts.Hostname()
	if err != nil {
		m.log.Warn("cannot read the hostname; leaving it out of the certificate", "error", err)
		return ""
	}
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(h), "."))
}

// hostAddrs returns the addresses of every interface of the host.
func hostAddrs() ([]net.IP, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	ips := make([]net.IP, 0, len(addrs))
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			ips = append(ips, n.IP)
		}
	}
	return ips, nil
}
