package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Lifetimes of the generated PKI.
const (
	caValidity = 3650 * 24 * time.Hour
	// leafValidity stays under the 398-day cap that browsers enforce.
	leafValidity = 397 * 24 * time.Hour
	// backdate tolerates clients whose clocks run a little behind.
	backdate = time.Hour
	// renewBefore leaves a whole month of daily checks to replace a
	// certificate before it expires.
	renewBefore = 30 * 24 * time.Hour
)

// File names inside <state>/tls.
const (
	caCertName   = "ca.pem"
	caKeyName    = "ca-key.pem"
	leafCertName = "cert.pem"
	leafKeyName  = "key.pem"
)

// authority is a usable CA: its certificate, its key and the PEM served to
// clients.
type authority struct {
	cert *x509.Certificate
	key  crypto.Signer
	pem  []byte
}

// ensureGenerated loads the generated PKI, replacing whatever is missing or
// unusable, and returns the state to serve.
func (m *Manager) ensureGenerated() (*state, error) {
	if m.opts.StateDir == "" {
		return nil, errors.New("pki: no state directory for the generated certificates")
	}
	dir := filepath.Join(m.opts.StateDir, "tls")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pki: create the tls directory: %w", err)
	}
	// MkdirAll leaves the mode of an existing directory as it was, and the
	// keys rely on this directory staying private.
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pki: restrict the tls directory: %w", err)
	}
	now := m.opts.Now()

	ca, err := loadCA(dir, now)
	if err != nil {
		m.log.Warn("generating a new local CA; clients must import the new ca.pem", "reason", err)
		if ca, err = m.generateCA(dir, now); err != nil {
			return nil, err
		}
	}

	want := m.wantedSANs()
	leaf, err := loadLeaf(dir, ca, now, want)
	if err != nil {
		m.log.Info("generating a new tls leaf certificate", "reason", err)
		if leaf, err = m.generateLeaf(dir, ca, now, want); err != nil {
			return nil, err
		}
	}
	return &state{
		source: SourceGenerated,
		cert:   leaf,
		caPEM:  ca.pem,
		caPath: filepath.Join(dir, caCertName),
	}, nil
}

// loadCA returns the stored CA, or an error saying why it cannot be used.
func loadCA(dir string, now time.Time) (*authority, error) {
	pair, err := loadPair(filepath.Join(dir, caCertName), filepath.Join(dir, caKeyName))
	if err != nil {
		return nil, err
	}
	cert := pair.Leaf
	switch {
	case !cert.BasicConstraintsValid || !cert.IsCA:
		return nil, errors.New("ca.pem is not a CA certificate")
	case cert.KeyUsage&x509.KeyUsageCertSign == 0:
		return nil, errors.New("ca.pem may not sign certificates")
	case now.Before(cert.NotBefore):
		return nil, fmt.Errorf("ca.pem is not valid before %s", cert.NotBefore.UTC().Format(time.RFC3339))
	case now.Add(renewBefore).After(cert.NotAfter):
		// A leaf cannot outlive its CA, so one this close to its end would
		// only yield leaves that need renewing at once.
		return nil, fmt.Errorf("ca.pem expires at %s", cert.NotAfter.UTC().Format(time.RFC3339))
	}
	key, ok := pair.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, errors.New("ca-key.pem holds a key that cannot sign")
	}
	return &authority{
		cert: cert,
		key:  key,
		pem:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}),
	}, nil
}

// loadLeaf returns the stored leaf as a served chain, or an error saying why
// it must be replaced.
func loadLeaf(dir string, ca *authority, now time.Time, want sanSet) (*tls.Certificate, error) {
	pair, err := loadPair(filepath.Join(dir, leafCertName), filepath.Join(dir, leafKeyName))
	if err != nil {
		return nil, err
	}
	leaf := pair.Leaf
	if !bytes.Equal(leaf.RawIssuer, ca.cert.RawSubject) || leaf.CheckSignatureFrom(ca.cert) != nil {
		return nil, errors.New("cert.pem is not signed by the current CA")
	}
	if now.Before(leaf.NotBefore) {
		return nil, fmt.Errorf("cert.pem is not valid before %s", leaf.NotBefore.UTC().Format(time.RFC3339))
	}
	if now.Add(renewBefore).After(leaf.NotAfter) {
		return nil, fmt.Errorf("cert.pem expires at %s", leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if missing := want.missingFrom(leaf); len(missing) > 0 {
		return nil, fmt.Errorf("cert.pem does not cover %s", strings.Join(missing, ", "))
	}
	return &pair, nil
}

// loadPair reads a certificate file and its key, failing when they do not
// match.
func loadPair(certPath, keyPath string) (tls.Certificate, error) {
	pair, err := tls.LoadX509KeyPair(certPath, keyPath)
	if err == nil {
		err = parseLeaf(&pair)
	}
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("read %s and %s: %w", filepath.Base(certPath), filepath.Base(keyPath), err)
	}
	return pair, nil
}

// parseLeaf fills pair.Leaf, which crypto/tls leaves nil when run with
// GODEBUG=x509keypairleaf=0, because every caller inspects the leaf.
func parseLeaf(pair *tls.Certificate) error {
	if pair.Leaf != nil {
		return nil
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	pair.Leaf = leaf
	return err
}

func (m *Manager) generateCA(dir string, now time.Time) (*authority, error) {
	key, ski, err := newKey()
	if err != nil {
		return nil, err
	}
	// The random tag makes every CA name unique, so a browser that still
	// trusts a replaced CA never mistakes it for the current one.
	tag := make([]byte, 4)
	if _, err := rand.Read(tag); err != nil {
		return nil, fmt.Errorf("pki: random CA tag: %w", err)
	}
	host := m.hostname()
	if host == "" {
		host = "localhost"
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: fmt.Sprintf("MiniMost local CA (%s %s)", host, hex.EncodeToString(tag))},
		NotBefore:             now.Add(-backdate),
		NotAfter:              now.Add(caValidity),
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		SubjectKeyId:          ski,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("pki: create the CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: parse the new CA certificate: %w", err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	// The key goes first: a crash in between leaves a mismatched pair,
	// which the next start treats as unusable instead of trusting it.
	if err := writeFile(filepath.Join(dir, caKeyName), keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, caCertName), certPEM, 0o644); err != nil {
		return nil, err
	}
	m.log.Warn("generated a new local CA", "subject", cert.Subject.CommonName, "serial", cert.SerialNumber.String())
	m.generated("ca")
	return &authority{cert: cert, key: key, pem: certPEM}, nil
}

func (m *Manager) generateLeaf(dir string, ca *authority, now time.Time, want sanSet) (*tls.Certificate, error) {
	key, ski, err := newKey()
	if err != nil {
		return nil, err
	}
	notAfter := now.Add(leafValidity)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: "minimost"},
		NotBefore:             now.Add(-backdate),
		NotAfter:              notAfter,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		SubjectKeyId:          ski,
		DNSNames:              want.dns,
		IPAddresses:           want.ips,
	}
	// The authority key identifier is copied from the CA's subject key
	// identifier by CreateCertificate.
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return nil, fmt.Errorf("pki: create the leaf certificate: %w", err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, err
	}
	certPEM := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), ca.pem...)
	// Parsing the bytes just written yields the same chain a restart would
	// load, so what is served never differs from what is on disk.
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err == nil {
		err = parseLeaf(&pair)
	}
	if err != nil {
		return nil, fmt.Errorf("pki: load the new leaf certificate: %w", err)
	}
	if err := writeFile(filepath.Join(dir, leafKeyName), keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, leafCertName), certPEM, 0o644); err != nil {
		return nil, err
	}
	m.log.Info("generated a new tls leaf certificate", "serial", pair.Leaf.SerialNumber.String(),
		"not_after", notAfter, "dns", want.dns, "ips", want.ips)
	m.generated("leaf")
	return &pair, nil
}

func (m *Manager) generated(kind string) {
	if m.opts.OnGenerate != nil {
		m.opts.OnGenerate(kind)
	}
}

// newKey returns a P-256 key and its subject key identifier, computed as in
// RFC 7093 §2 method 1 (SHA-256 of the public key, truncated to 160 bits) so
// that it does not depend on the Go version's default.
func newKey() (*ecdsa.PrivateKey, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: generate a key: %w", err)
	}
	point, err := key.PublicKey.Bytes()
	if err != nil {
		return nil, nil, fmt.Errorf("pki: encode a public key: %w", err)
	}
	sum := sha256.Sum256(point)
	return key, sum[:20], nil
}

func encodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("pki: encode a private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// writeFile replaces path atomically so that readers, including a restart
// after a crash, see either the old content or the new one, and so that a
// key is never readable by others even for a moment.
func writeFile(path string, data []byte, mode os.FileMode) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("pki: write %s: %w", filepath.Base(path), err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("pki: write %s: %w", filepath.Base(path), err)
		}
	}()
	if _, err = f.Write(data); err != nil {
		return err
	}
	// CreateTemp makes the file 0600 whatever the umask; Chmod then sets
	// the exact published mode, which the umask could otherwise narrow.
	if err = f.Chmod(mode); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
