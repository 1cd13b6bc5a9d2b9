package pki

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"
	"time"
)

// fixture holds the injected environment of one simulated host.
type fixture struct {
	stateDir string
	host     string
	addrs    []net.IP
	now      time.Time
	events   []string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return &fixture{
		stateDir: t.TempDir(),
		host:     "host1",
		addrs: []net.IP{
			net.ParseIP("127.0.0.1"),
			net.ParseIP("192.0.2.10"),
			net.ParseIP("2001:db8::10"),
			net.ParseIP("224.0.0.1"),
		},
		// Real time, so that handshakes verified with the real clock work.
		now: time.Now().Truncate(time.Second),
	}
}

func (f *fixture) options() Options {
	return Options{
		StateDir:       f.stateDir,
		PublicHosts:    []string{"chat.example.org", "198.51.100.7"},
		ListenHost:     "203.0.113.5",
		Hostname:       func() (string, error) { return f.host, nil },
		InterfaceAddrs: func() ([]net.IP, error) { return f.addrs, nil },
		Now:            func() time.Time { return f.now },
		OnGenerate:     func(kind string) { f.events = append(f.events, kind) },
	}
}

func (f *fixture) tlsDir() string { return filepath.Join(f.stateDir, "tls") }

func (f *fixture) start(t *testing.T) *Manager {
	t.Helper()
	return f.startWith(t, f.options())
}

func (f *fixture) startWith(t *testing.T, opts Options) *Manager {
	t.Helper()
	f.events = nil
	m, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return m
}

func readCerts(t *testing.T, path string) []*x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var certs []*x509.Certificate
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			return certs
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		certs = append(certs, c)
	}
}

// generatedPair returns the CA and the leaf currently on disk.
func (f *fixture) generatedPair(t *testing.T) (ca, leaf *x509.Certificate) {
	t.Helper()
	return readCerts(t, filepath.Join(f.tlsDir(), "ca.pem"))[0], readCerts(t, filepath.Join(f.tlsDir(), "cert.pem"))[0]
}

func TestFreshGenerationWritesFilesWithModes(t *testing.T) {
	f := newFixture(t)
	m := f.start(t)

	if got := m.Source(); got != SourceGenerated {
		t.Errorf("Source = %q, want %q", got, SourceGenerated)
	}
	if !slices.Equal(f.events, []string{"ca", "leaf"}) {
		t.Errorf("OnGenerate calls = %v, want [ca leaf]", f.events)
	}
	st, err := os.Stat(f.tlsDir())
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 || !st.IsDir() {
		t.Errorf("tls dir mode = %v, want drwx------", st.Mode())
	}
	for name, want := range map[string]os.FileMode{"ca.pem": 0o644, "ca-key.pem": 0o600, "cert.pem": 0o644, "key.pem": 0o600} {
		st, err := os.Stat(filepath.Join(f.tlsDir(), name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s mode = %o, want %o", name, st.Mode().Perm(), want)
		}
	}
	entries, _ := os.ReadDir(f.tlsDir())
	if len(entries) != 4 {
		t.Errorf("tls dir holds %d entries, want the 4 files only", len(entries))
	}
	if got, want := m.CAPath(), filepath.Join(f.tlsDir(), "ca.pem"); got != want {
		t.Errorf("CAPath = %q, want %q", got, want)
	}
	caFile, _ := os.ReadFile(m.CAPath())
	if !bytes.Equal(m.CAPEM(), caFile) {
		t.Error("CAPEM differs from ca.pem")
	}
	chain := readCerts(t, filepath.Join(f.tlsDir(), "cert.pem"))
	if len(chain) != 2 || !chain[1].Equal(readCerts(t, m.CAPath())[0]) {
		t.Errorf("cert.pem must hold the leaf followed by the CA, got %d certificates", len(chain))
	}
}

func TestExistingDirectoryIsRestricted(t *testing.T) {
	f := newFixture(t)
	if err := os.Mkdir(f.tlsDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	f.start(t)
	st, err := os.Stat(f.tlsDir())
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o700 {
		t.Errorf("tls dir mode = %o, want 700", st.Mode().Perm())
	}
}

func TestGeneratedCertificateFields(t *testing.T) {
	f := newFixture(t)
	f.start(t)
	ca, leaf := f.generatedPair(t)

	for name, c := range map[string]*x509.Certificate{"ca": ca, "leaf": leaf} {
		pub, ok := c.PublicKey.(*ecdsa.PublicKey)
		if !ok || pub.Curve != elliptic.P256() {
			t.Errorf("%s key is %T, want ECDSA P-256", name, c.PublicKey)
		}
		if !c.NotBefore.Equal(f.now.Add(-time.Hour)) {
			t.Errorf("%s NotBefore = %v, want one hour before %v", name, c.NotBefore, f.now)
		}
		if len(c.SubjectKeyId) == 0 {
			t.Errorf("%s has no subject key identifier", name)
		}
	}

	if !regexp.MustCompile(`^MiniMost local CA \(host1 [0-9a-f]{8}\)$`).MatchString(ca.Subject.CommonName) {
		t.Errorf("CA CN = %q", ca.Subject.CommonName)
	}
	if !ca.NotAfter.Equal(f.now.Add(3650 * 24 * time.Hour)) {
		t.Errorf("CA NotAfter = %v, want 3650 days after %v", ca.NotAfter, f.now)
	}
	if !ca.BasicConstraintsValid || !ca.IsCA || ca.MaxPathLen != 0 || !ca.MaxPathLenZero {
		t.Errorf("CA basic constraints: valid=%v ca=%v pathlen=%d zero=%v", ca.BasicConstraintsValid, ca.IsCA, ca.MaxPathLen, ca.MaxPathLenZero)
	}
	if ca.KeyUsage != x509.KeyUsageCertSign|x509.KeyUsageCRLSign {
		t.Errorf("CA key usage = %b", ca.KeyUsage)
	}
	if err := ca.CheckSignatureFrom(ca); err != nil {
		t.Errorf("CA is not self-signed: %v", err)
	}

	if leaf.Subject.CommonName != "minimost" {
		t.Errorf("leaf CN = %q", leaf.Subject.CommonName)
	}
	if !leaf.NotAfter.Equal(f.now.Add(397 * 24 * time.Hour)) {
		t.Errorf("leaf NotAfter = %v, want 397 days after %v", leaf.NotAfter, f.now)
	}
	if !leaf.BasicConstraintsValid || leaf.IsCA {
		t.Errorf("leaf basic constraints: valid=%v ca=%v", leaf.BasicConstraintsValid, leaf.IsCA)
	}
	if leaf.KeyUsage != x509.KeyUsageDigitalSignature {
		t.Errorf("leaf key usage = %b", leaf.KeyUsage)
	}
	if !slices.Equal(leaf.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("leaf EKU = %v", leaf.ExtKeyUsage)
	}
	if !bytes.Equal(leaf.AuthorityKeyId, ca.SubjectKeyId) || bytes.Equal(leaf.SubjectKeyId, ca.SubjectKeyId) {
		t.Error("leaf AKI must be the CA SKI and its SKI its own")
	}

	for _, d := range []string{"localhost", "host1", "host1.local", "chat.example.org"} {
		if !slices.Contains(leaf.DNSNames, d) {
			t.Errorf("leaf DNS SANs %v lack %q", leaf.DNSNames, d)
		}
	}
	ips := ipStrings(leaf)
	for _, ip := range []string{"127.0.0.1", "::1", "192.0.2.10", "2001:db8::10", "198.51.100.7", "203.0.113.5"} {
		if !slices.Contains(ips, ip) {
			t.Errorf("leaf IP SANs %v lack %s", ips, ip)
		}
	}
	if slices.Contains(ips, "224.0.0.1") {
		t.Error("leaf lists a multicast address")
	}

	pool := x509.NewCertPool()
	pool.AddCert(ca)
	for _, name := range []string{"localhost", "127.0.0.1", "host1.local"} {
		_, err := leaf.Verify(x509.VerifyOptions{
			DNSName:     name,
			Roots:       pool,
			CurrentTime: f.now,
			KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		})
		if err != nil {
			t.Errorf("verify leaf for %s: %v", name, err)
		}
	}
}

func ipStrings(c *x509.Certificate) []string {
	var s []string
	for _, ip := range c.IPAddresses {
		s = append(s, ip.String())
	}
	return s
}

func TestWildcardListenAndDottedHostname(t *testing.T) {
	for _, listen := range []string{"0.0.0.0", "::", "[::]", "*", ""} {
		t.Run(listen, func(t *testing.T) {
			f := newFixture(t)
			f.host = "Box.Example.NET"
			opts := f.options()
			opts.ListenHost = listen
			f.startWith(t, opts)
			_, leaf := f.generatedPair(t)
			for _, ip := range ipStrings(leaf) {
				if ip == "0.0.0.0" || ip == "::" || ip == "203.0.113.5" {
					t.Errorf("leaf lists %s for listen host %q", ip, listen)
				}
			}
			if !slices.Contains(leaf.DNSNames, "box.example.net") {
				t.Errorf("leaf DNS SANs %v lack the dotted hostname", leaf.DNSNames)
			}
			if slices.Contains(leaf.DNSNames, "box.example.net.local") {
				t.Error("a dotted hostname must not get a .local name")
			}
		})
	}
}

func TestListenNameAndZonedAddress(t *testing.T) {
	f := newFixture(t)
	opts := f.options()
	opts.ListenHost = "fe80::1%eth0"
	opts.PublicHosts = []string{"[2001:db8::99]", "Chat.Example.org."}
	f.startWith(t, opts)
	_, leaf := f.generatedPair(t)
	ips := ipStrings(leaf)
	for _, ip := range []string{"fe80::1", "2001:db8::99"} {
		if !slices.Contains(ips, ip) {
			t.Errorf("leaf IP SANs %v lack %s", ips, ip)
		}
	}
	if !slices.Contains(leaf.DNSNames, "chat.example.org") {
		t.Errorf("leaf DNS SANs %v lack the normalised public host", leaf.DNSNames)
	}
}

func TestRestartKeepsValidCertificates(t *testing.T) {
	f := newFixture(t)
	f.start(t)
	ca1, leaf1 := f.generatedPair(t)

	f.now = f.now.Add(48 * time.Hour)
	f.start(t)
	ca2, leaf2 := f.generatedPair(t)
	if len(f.events) != 0 {
		t.Errorf("restart generated %v", f.events)
	}
	if ca1.SerialNumber.Cmp(ca2.SerialNumber) != 0 || leaf1.SerialNumber.Cmp(leaf2.SerialNumber) != 0 {
		t.Error("restart replaced a valid CA or leaf")
	}
}

func TestLeafReissuedFromSameCA(t *testing.T) {
	cases := map[string]func(t *testing.T, f *fixture){
		"expiring within 30 days": func(_ *testing.T, f *fixture) {
			f.now = f.now.Add(368 * 24 * time.Hour)
		},
		"new interface address": func(_ *testing.T, f *fixture) {
			f.addrs = append(f.addrs, net.ParseIP("10.1.2.3"))
		},
		"new hostname": func(_ *testing.T, f *fixture) {
			f.host = "host2"
		},
		"corrupt leaf": func(t *testing.T, f *fixture) {
			if err := os.WriteFile(filepath.Join(f.tlsDir(), "cert.pem"), []byte("garbage"), 0o644); err != nil {
				t.Fatal(err)
			}
		},
		"missing leaf key": func(t *testing.T, f *fixture) {
			if err := os.Remove(filepath.Join(f.tlsDir(), "key.pem")); err != nil {
				t.Fatal(err)
			}
		},
		"leaf from another CA": func(t *testing.T, f *fixture) {
			other := newFixture(t)
			other.start(t)
			for _, name := range []string{"cert.pem", "key.pem"} {
				data, err := os.ReadFile(filepath.Join(other.tlsDir(), name))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(f.tlsDir(), name), data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
		},
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.start(t)
			ca1, leaf1 := f.generatedPair(t)

			change(t, f)
			f.start(t)
			ca2, leaf2 := f.generatedPair(t)
			if !slices.Equal(f.events, []string{"leaf"}) {
				t.Errorf("OnGenerate calls = %v, want [leaf]", f.events)
			}
			if ca1.SerialNumber.Cmp(ca2.SerialNumber) != 0 {
				t.Error("the CA was replaced")
			}
			if leaf1.SerialNumber.Cmp(leaf2.SerialNumber) == 0 {
				t.Error("the leaf was not replaced")
			}
			if err := leaf2.CheckSignatureFrom(ca1); err != nil {
				t.Errorf("new leaf not signed by the kept CA: %v", err)
			}
			if !leaf2.NotBefore.Equal(f.now.Add(-time.Hour)) {
				t.Errorf("new leaf NotBefore = %v, want one hour before %v", leaf2.NotBefore, f.now)
			}
		})
	}
}

func TestUnusableCARegenerated(t *testing.T) {
	cases := map[string]func(t *testing.T, f *fixture){
		"corrupt key": func(t *testing.T, f *fixture) {
			if err := os.WriteFile(filepath.Join(f.tlsDir(), "ca-key.pem"), []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"missing certificate": func(t *testing.T, f *fixture) {
			if err := os.Remove(filepath.Join(f.tlsDir(), "ca.pem")); err != nil {
				t.Fatal(err)
			}
		},
		"expiring": func(_ *testing.T, f *fixture) {
			f.now = f.now.Add(3640 * 24 * time.Hour)
		},
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			f.start(t)
			ca1, _ := f.generatedPair(t)

			change(t, f)
			m := f.start(t)
			ca2, leaf2 := f.generatedPair(t)
			if !slices.Equal(f.events, []string{"ca", "leaf"}) {
				t.Errorf("OnGenerate calls = %v, want [ca leaf]", f.events)
			}
			if ca1.SerialNumber.Cmp(ca2.SerialNumber) == 0 || ca1.Subject.CommonName == ca2.Subject.CommonName {
				t.Error("the CA was not replaced by one with a new name")
			}
			if err := leaf2.CheckSignatureFrom(ca2); err != nil {
				t.Errorf("leaf not signed by the new CA: %v", err)
			}
			if !bytes.Equal(m.CAPEM(), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca2.Raw})) {
				t.Error("CAPEM does not serve the new CA")
			}
		})
	}
}

// serve accepts TLS connections with cfg until the test ends.
func serve(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			// Handshake errors are what the client-side checks are about;
			// the server only has to answer.
			_ = c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
	})
	return ln.Addr().String()
}

func dial(addr string, m *Manager, adjust func(*tls.Config)) (tls.ConnectionState, error) {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(m.CAPEM())
	cfg := &tls.Config{RootCAs: pool, ServerName: "localhost", NextProtos: []string{"h2", "http/1.1"}}
	if adjust != nil {
		adjust(cfg)
	}
	conn, err := tls.Dial("tcp", addr, cfg)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer conn.Close()
	return conn.ConnectionState(), nil
}

func TestHandshake(t *testing.T) {
	f := newFixture(t)
	m := f.start(t)
	addr := serve(t, m.TLSConfig())

	st, err := dial(addr, m, nil)
	if err != nil {
		t.Fatalf("TLS 1.3 handshake: %v", err)
	}
	if st.Version != tls.VersionTLS13 || st.NegotiatedProtocol != "h2" {
		t.Errorf("default handshake: version %x, ALPN %q; want TLS 1.3 and h2", st.Version, st.NegotiatedProtocol)
	}

	// An IP in the SANs is as good as the name.
	if _, err := dial(addr, m, func(c *tls.Config) { c.ServerName = "127.0.0.1" }); err != nil {
		t.Errorf("handshake for 127.0.0.1: %v", err)
	}

	allowed := []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	}
	for _, suite := range allowed {
		st, err := dial(addr, m, func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{suite}
		})
		if err != nil {
			t.Errorf("TLS 1.2 handshake with %s: %v", tls.CipherSuiteName(suite), err)
			continue
		}
		if st.Version != tls.VersionTLS12 || st.CipherSuite != suite {
			t.Errorf("TLS 1.2 handshake: version %x suite %s", st.Version, tls.CipherSuiteName(st.CipherSuite))
		}
	}

	// Suites the client may still offer but the server must refuse.
	for _, suite := range []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA} {
		if _, err := dial(addr, m, func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{suite}
		}); !refusedByServer(err) {
			t.Errorf("TLS 1.2 handshake with %s: %v, want a refusal from the server", tls.CipherSuiteName(suite), err)
		}
	}

	for _, v := range []uint16{tls.VersionTLS11, tls.VersionTLS10} {
		_, err := dial(addr, m, func(c *tls.Config) {
			c.MinVersion = tls.VersionTLS10
			c.MaxVersion = v
		})
		if !refusedByServer(err) {
			t.Errorf("handshake with a client limited to %s: %v, want a refusal from the server", tls.VersionName(v), err)
		}
	}
}

// refusedByServer tells a server alert apart from the client giving up on
// its own configuration, which would prove nothing about the server.
func refusedByServer(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "remote error"
}

// servedSerial returns the serial of the leaf a new handshake gets. Without a
// CA to trust (an operator leaf alone) it only reads the certificate.
func servedSerial(t *testing.T, addr string, m *Manager) *big.Int {
	t.Helper()
	st, err := dial(addr, m, func(c *tls.Config) { c.InsecureSkipVerify = m.CAPEM() == nil })
	if err != nil {
		t.Fatalf("handshake: %v", err)
	}
	return st.PeerCertificates[0].SerialNumber
}

func TestCheckSwapsLeafForNewHandshakes(t *testing.T) {
	f := newFixture(t)
	m := f.start(t)
	addr := serve(t, m.TLSConfig())
	first := servedSerial(t, addr, m)

	f.events = nil
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
	if len(f.events) != 0 || servedSerial(t, addr, m).Cmp(first) != 0 {
		t.Error("a check with nothing changed replaced the leaf")
	}

	f.addrs = append(f.addrs, net.ParseIP("10.9.8.7"))
	if err := m.Check(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.events, []string{"leaf"}) {
		t.Errorf("OnGenerate calls = %v, want [leaf]", f.events)
	}
	second := servedSerial(t, addr, m)
	if second.Cmp(first) == 0 {
		t.Fatal("new handshake still sees the old leaf")
	}
	_, onDisk := f.generatedPair(t)
	if onDisk.SerialNumber.Cmp(second) != 0 {
		t.Error("served leaf differs from cert.pem")
	}
}

func TestCheckConcurrentWithHandshakes(t *testing.T) {
	f := newFixture(t)
	m := f.start(t)
	addr := serve(t, m.TLSConfig())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 5 {
			if _, err := dial(addr, m, nil); err != nil {
				t.Errorf("handshake: %v", err)
			}
		}
	}()
	// Corrupting the leaf forces every Check to swap the certificate while
	// the handshakes above read it.
	for range 5 {
		if err := os.WriteFile(filepath.Join(f.tlsDir(), "cert.pem"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := m.Check(); err != nil {
			t.Fatal(err)
		}
	}
	<-done
}

// operatorPair writes a certificate chain and key generated in a fresh state
// directory and returns their paths; chainLen 1 keeps only the leaf.
func operatorPair(t *testing.T, chainLen int) (certFile, keyFile string, leaf *x509.Certificate, ca []byte) {
	t.Helper()
	f := newFixture(t)
	f.start(t)
	data, err := os.ReadFile(filepath.Join(f.tlsDir(), "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	leafBlock, rest := pem.Decode(data)
	if chainLen == 1 {
		data = pem.EncodeToMemory(leafBlock)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "chain.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, data, 0o644); err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(filepath.Join(f.tlsDir(), "key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		t.Fatal(err)
	}
	leaf, err = x509.ParseCertificate(leafBlock.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, leaf, rest
}

func TestSettingsPairWinsOverGenerated(t *testing.T) {
	certFile, keyFile, leaf, caPEM := operatorPair(t, 2)
	f := newFixture(t)
	opts := f.options()
	opts.CertFile, opts.KeyFile = certFile, keyFile
	m := f.startWith(t, opts)

	if m.Source() != SourceSettings || m.CAPath() != "" {
		t.Errorf("Source = %q, CAPath = %q; want settings and no path", m.Source(), m.CAPath())
	}
	if len(f.events) != 0 {
		t.Errorf("generated %v despite an operator pair", f.events)
	}
	if _, err := os.Stat(f.tlsDir()); !errors.Is(err, os.ErrNotExist) {
		t.Error("the generated PKI directory was created despite an operator pair")
	}
	if !bytes.Equal(m.CAPEM(), caPEM) {
		t.Error("CAPEM is not the last certificate of the chain")
	}
	if err := m.Check(); err != nil || len(f.events) != 0 {
		t.Errorf("Check with an operator pair: err %v, generated %v", err, f.events)
	}
	addr := serve(t, m.TLSConfig())
	if got := servedSerial(t, addr, m); got.Cmp(leaf.SerialNumber) != 0 {
		t.Error("the operator leaf is not served")
	}
}

func TestSingleCertificateChainHasNoCAPEM(t *testing.T) {
	certFile, keyFile, _, _ := operatorPair(t, 1)
	f := newFixture(t)
	opts := f.options()
	opts.CertFile, opts.KeyFile = certFile, keyFile
	if got := f.startWith(t, opts).CAPEM(); got != nil {
		t.Errorf("CAPEM = %q, want nil", got)
	}
}

func TestCredentialsWinOverSettings(t *testing.T) {
	settingsCert, settingsKey, _, _ := operatorPair(t, 2)
	credCert, credKey, credLeaf, _ := operatorPair(t, 2)
	credDir := t.TempDir()
	for src, name := range map[string]string{credCert: "tls.crt", credKey: "tls.key"} {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(credDir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	f := newFixture(t)
	opts := f.options()
	opts.CredentialsDir = credDir
	opts.CertFile, opts.KeyFile = settingsCert, settingsKey
	m := f.startWith(t, opts)
	if m.Source() != SourceCredentials {
		t.Fatalf("Source = %q, want credentials", m.Source())
	}
	addr := serve(t, m.TLSConfig())
	if got := servedSerial(t, addr, m); got.Cmp(credLeaf.SerialNumber) != 0 {
		t.Error("the credentials leaf is not served")
	}
	// A settings reload cannot displace the credentials.
	if err := m.Reload(settingsCert, settingsKey); err != nil {
		t.Fatal(err)
	}
	if m.Source() != SourceCredentials || servedSerial(t, addr, m).Cmp(credLeaf.SerialNumber) != 0 {
		t.Error("reload replaced the credentials pair")
	}
}

func TestCredentialsDirWithoutTLSFallsThrough(t *testing.T) {
	f := newFixture(t)
	opts := f.options()
	opts.CredentialsDir = t.TempDir()
	if got := f.startWith(t, opts).Source(); got != SourceGenerated {
		t.Errorf("Source = %q, want generated", got)
	}
}

func TestBadOperatorPairIsFatal(t *testing.T) {
	certA, _, _, _ := operatorPair(t, 2)
	_, keyB, _, _ := operatorPair(t, 2)
	cases := map[string][2]string{
		"mismatched":   {certA, keyB},
		"missing key":  {certA, filepath.Join(t.TempDir(), "absent.pem")},
		"only a cert":  {certA, ""},
		"only the key": {"", keyB},
	}
	for name, pair := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			opts := f.options()
			opts.CertFile, opts.KeyFile = pair[0], pair[1]
			if _, err := New(opts); err == nil {
				t.Error("New accepted a bad operator pair")
			}
		})
	}

	t.Run("credentials missing the key", func(t *testing.T) {
		credDir := t.TempDir()
		data, _ := os.ReadFile(certA)
		if err := os.WriteFile(filepath.Join(credDir, "tls.crt"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		f := newFixture(t)
		opts := f.options()
		opts.CredentialsDir = credDir
		if _, err := New(opts); err == nil {
			t.Error("New accepted a credentials certificate without its key")
		}
	})
}

func TestReload(t *testing.T) {
	certA, keyA, leafA, _ := operatorPair(t, 2)
	certB, keyB, leafB, _ := operatorPair(t, 1)
	f := newFixture(t)
	opts := f.options()
	opts.CertFile, opts.KeyFile = certA, keyA
	m := f.startWith(t, opts)
	addr := serve(t, m.TLSConfig())

	if err := m.Reload(certA, keyB); err == nil {
		t.Error("Reload accepted a mismatched pair")
	}
	if m.Source() != SourceSettings || servedSerial(t, addr, m).Cmp(leafA.SerialNumber) != 0 {
		t.Error("a failed reload did not keep the current pair")
	}

	if err := m.Reload(certB, keyB); err != nil {
		t.Fatal(err)
	}
	if servedSerial(t, addr, m).Cmp(leafB.SerialNumber) != 0 || m.CAPEM() != nil {
		t.Error("reload did not switch to the new pair")
	}

	if err := m.Reload("", ""); err != nil {
		t.Fatal(err)
	}
	if m.Source() != SourceGenerated || m.CAPath() == "" || m.CAPEM() == nil {
		t.Errorf("after clearing the settings: Source %q, CAPath %q", m.Source(), m.CAPath())
	}
	if !slices.Equal(f.events, []string{"ca", "leaf"}) {
		t.Errorf("OnGenerate calls = %v, want [ca leaf]", f.events)
	}
	_, leaf := f.generatedPair(t)
	if servedSerial(t, addr, m).Cmp(leaf.SerialNumber) != 0 {
		t.Error("the generated leaf is not served after the reload")
	}
}

func TestRunStopsWithContext(t *testing.T) {
	f := newFixture(t)
	m := f.start(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		m.Run(ctx)
		close(done)
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after the context ended")
	}
}

func TestNoStateDirWithoutOperatorPair(t *testing.T) {
	if _, err := New(Options{Hostname: func() (string, error) { return "h", nil }}); err == nil {
		t.Error("New without a state directory or operator pair succeeded")
	}
}
