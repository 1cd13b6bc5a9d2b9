package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/minimost/minimost/pkg/testdeps"
)

// TestTLSWithTestssl has testssl.sh, a TLS scanner no one here wrote,
// judge the HTTPS listener: TLS 1.2 and 1.3 only, AEAD suites only.
func TestTLSWithTestssl(t *testing.T) {
	testssl := testdeps.Need(t, "testssl", "testssl.sh")
	data := filepath.Join(t.TempDir(), "data")
	p, st := byHand(t, data)
	addr := listener(t, st, "https")
	report := filepath.Join(t.TempDir(), "report.json")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, testssl, "--quiet", "--color", "0", "--warnings", "off",
		"--protocols", "--std", "--jsonfile", report, addr).CombinedOutput()
	if err != nil {
		t.Fatalf("testssl: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var findings []struct{ ID, Finding string }
	if err := json.Unmarshal(raw, &findings); err != nil {
		t.Fatalf("testssl report: %v", err)
	}
	got := map[string]string{}
	for _, f := range findings {
		got[f.ID] = f.Finding
	}
	want := map[string]string{
		"SSLv2": "not offered", "SSLv3": "not offered", "TLS1": "not offered", "TLS1_1": "not offered",
		"TLS1_2": "offered", "TLS1_3": "offered",
		"cipherlist_NULL": "not offered", "cipherlist_aNULL": "not offered", "cipherlist_EXPORT": "not offered",
		"cipherlist_LOW": "not offered", "cipherlist_3DES_IDEA": "not offered", "cipherlist_AVERAGE": "not offered",
		"cipherlist_STRONG": "offered",
	}
	for id, w := range want {
		if !strings.HasPrefix(got[id], w) {
			t.Errorf("testssl %s: %q, want %q", id, got[id], w)
		}
	}

	// A Go client pinned to TLS 1.0 is refused with a protocol alert (the
	// machine's OpenSSL will not even try TLS 1.0, so testssl's "not
	// offered" alone could be the client's doing).
	_, err = tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10})
	if err == nil || !strings.Contains(err.Error(), "protocol version") {
		t.Errorf("TLS 1.0 client: %v, want a protocol version alert", err)
	}
	p.signal(syscall.SIGTERM)
	p.wait()
}
