// Package pki supplies the certificate of the HTTPS listener. An operator
// pair from systemd credentials or from the settings wins; without one, a
// local CA and a leaf certificate are generated under the state directory
// and the leaf is renewed in place so that clients which trust the CA keep
// working without a restart of the daemon.
package pki

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// Values returned by Manager.Source.
const (
	SourceCredentials = "credentials"
	SourceSettings    = "settings"
	SourceGenerated   = "generated"
)

// checkInterval is how often Run re-examines the generated leaf.
const checkInterval = 24 * time.Hour

// Options configures a Manager.
type Options struct {
	// StateDir is the daemon's state directory; the generated PKI lives in
	// its tls subdirectory.
	StateDir string
	// CredentialsDir is $CREDENTIALS_DIRECTORY, or "" when it is unset.
	CredentialsDir string
	// CertFile and KeyFile are the settings tls_cert_file and tls_key_file,
	// or "" when unset.
	CertFile, KeyFile string
	// PublicHosts are the settings public_hosts: names and IP literals added
	// to the generated leaf.
	PublicHosts []string
	// ListenHost is the host part of --listen; "" or a wildcard address adds
	// nothing to the leaf.
	ListenHost string
	// Hostname reports the host name; nil means os.Hostname.
	Hostname func() (string, error)
	// InterfaceAddrs reports the addresses of the host's interfaces; nil
	// means the unicast addresses of every interface.
	InterfaceAddrs func() ([]net.IP, error)
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger receives warnings and notices; nil discards them.
	Logger *slog.Logger
	// OnGenerate, when not nil, is called with "ca" or "leaf" after a newly
	// generated certificate and its key have been written (the audit hook).
	// It runs while the Manager is busy and must not call back into it.
	OnGenerate func(kind string)
}

// Manager owns the certificate served on new TLS handshakes and swaps it
// when the generated leaf is renewed or the settings are reloaded.
type Manager struct {
	opts Options
	log  *slog.Logger

	// mu keeps two Check or Reload calls from writing the PKI files or
	// swapping the state at the same time; handshakes only load cur.
	mu  sync.Mutex
	cur atomic.Pointer[state]
}

// state is everything that changes together when the certificate is swapped.
type state struct {
	source string
	cert   *tls.Certificate
	caPEM  []byte
	caPath string
}

// New picks the certificate source by precedence (credentials, settings,
// generated), loads or generates the certificate, and returns the Manager.
// An unreadable or mismatched operator pair is an error, so that the daemon
// refuses to start rather than serve an unexpected certificate.
func New(opts Options) (*Manager, error) {
	if opts.Hostname == nil {
		opts.Hostname = os.Hostname
	}
	if opts.InterfaceAddrs == nil {
		opts.InterfaceAddrs = hostAddrs
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Manager{opts: opts, log: opts.Logger}
	st, err := m.resolve(opts.CertFile, opts.KeyFile)
	if err != nil {
		return nil, err
	}
	m.cur.Store(st)
	m.log.Info("tls certificate ready", "source", st.source, "serial", st.cert.Leaf.SerialNumber.String())
	return m, nil
}

// TLSConfig returns a new server configuration whose certificate is looked
// up on every handshake, so a renewed or reloaded certificate is used by
// new connections without restarting the listener.
func (m *Manager) TLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		// TLS 1.3 suites are not configurable; this list only narrows
		// TLS 1.2 to forward-secret AEAD suites. RSA variants stay for
		// operator pairs with RSA keys.
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		NextProtos: []string{"h2", "http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) {
			return m.cur.Load().cert, nil
		},
	}
}

// CAPEM returns the PEM certificate clients should trust: the local CA for
// the generated PKI, the last certificate of an operator chain holding more
// than one, else nil. The caller owns the returned slice.
func (m *Manager) CAPEM() []byte {
	p := m.cur.Load().caPEM
	if p == nil {
		return nil
	}
	return append([]byte(nil), p...)
}

// CAPath returns the path of the generated ca.pem, or "" when an operator
// pair is in use.
func (m *Manager) CAPath() string {
	return m.cur.Load().caPath
}

// Source returns where the current certificate comes from: SourceCredentials,
// SourceSettings or SourceGenerated.
func (m *Manager) Source() string {
	return m.cur.Load().source
}

// Check renews the generated leaf when it is missing, unreadable, not signed
// by the current CA, expiring within 30 days or no longer covering the
// host's names and addresses, and regenerates the CA when it is unusable.
// Operator pairs are left alone: only a settings reload replaces them.
func (m *Manager) Check() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.cur.Load().source != SourceGenerated {
		return nil
	}
	st, err := m.ensureGenerated()
	if err != nil {
		return err
	}
	m.cur.Store(st)
	return nil
}

// Run calls Check every 24 hours until ctx is done. Failures are logged and
// the current certificate stays in use until a later check succeeds.
func (m *Manager) Run(ctx context.Context) {
	t := time.NewTicker(checkInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := m.Check(); err != nil {
				m.log.Error("tls certificate check failed", "error", err)
			}
		}
	}
}

// Reload applies new tls_cert_file and tls_key_file settings, re-reading the
// pair even when the paths are unchanged. Credentials still win over the
// settings, and empty paths fall back to the generated PKI. On error the
// current certificate is kept and the error is returned for the caller to
// report.
func (m *Manager) Reload(certFile, keyFile string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	prev := m.cur.Load()
	st, err := m.resolve(certFile, keyFile)
	if err != nil {
		m.log.Warn("tls reload failed; keeping the current certificate", "source", prev.source, "error", err)
		return err
	}
	m.cur.Store(st)
	if st.source != prev.source {
		m.log.Info("tls certificate source changed", "from", prev.source, "to", st.source)
	}
	return nil
}

// resolve applies the precedence of §15.3 and builds the resulting state.
func (m *Manager) resolve(certFile, keyFile string) (*state, error) {
	if dir := m.opts.CredentialsDir; dir != "" {
		crt, key := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
		// Other credentials may be passed without a TLS pair; only a
		// complete absence of both files means "not configured here".
		if present(crt) || present(key) {
			return m.loadOperator(SourceCredentials, crt, key)
		}
	}
	switch {
	case certFile != "" && keyFile != "":
		return m.loadOperator(SourceSettings, certFile, keyFile)
	case certFile != "" || keyFile != "":
		return nil, errors.New("pki: tls_cert_file and tls_key_file must be set together")
	}
	return m.ensureGenerated()
}

// present reports whether path may exist; errors other than "not found" count
// as present so that loading it reports the real problem.
func present(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

func (m *Manager) loadOperator(source, certFile, keyFile string) (*state, error) {
	pair, err := loadPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("pki: load the %s certificate pair: %w", source, err)
	}
	st := &state{source: source, cert: &pair}
	if n := len(pair.Certificate); n > 1 {
		st.caPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pair.Certificate[n-1]})
	}
	if m.opts.Now().After(pair.Leaf.NotAfter) {
		m.log.Warn("the operator tls certificate has expired", "source", source, "not_after", pair.Leaf.NotAfter)
	}
	return st, nil
}
