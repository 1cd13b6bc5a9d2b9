package password

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// Costs the fuzzer computes; anything dearer is only parsed, so an input
// that mutates into a legal but expensive hash does not slow every run.
const (
	fuzzMaxIterations = 2000
	fuzzMaxScryptWork = 1 << 12
)

// FuzzVerify feeds arbitrary hash strings and passwords: nothing panics, a
// hash parse refuses is refused by Verify with a malformed-hash error and
// by NeedsRehash, one it accepts is well formed and (when cheap) verifies
// without error, and every password round-trips through Hash and Verify.
func FuzzVerify(f *testing.F) {
	for _, v := range knownVectors {
		if v.cheap {
			f.Add(v.hash, v.pw)
		}
	}
	f.Add("scrypt:16:8:1$Zt5Wc8Rk1Ym4Qe7U$"+hex128, "Correct-Horse-1")
	f.Add(currentVector, "Correct-Horse-1")
	for _, s := range malformedHashes {
		f.Add(s, "pässwörd")
	}
	h := newHasher(2, 16)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, s, pw string) {
		p, perr := parse(s)
		rehash := NeedsRehash(s)
		if perr != nil {
			if !errors.Is(perr, errMalformed) {
				t.Fatalf("parse error %v does not wrap errMalformed", perr)
			}
			ok, err := h.Verify(ctx, s, pw)
			if ok || !errors.Is(err, errMalformed) {
				t.Fatalf("Verify(%q) = %v, %v; parse said %v", s, ok, err, perr)
			}
			if !rehash {
				t.Fatalf("NeedsRehash(%q) = false for a malformed hash", s)
			}
		} else {
			checkParsed(t, s, p)
			cheap := p.kdf == kdfPBKDF2 && p.iterations <= fuzzMaxIterations ||
				p.kdf == kdfScrypt && p.n*p.r*p.p <= fuzzMaxScryptWork
			if cheap {
				if _, err := h.Verify(ctx, s, pw); err != nil {
					t.Fatalf("Verify(%q) = %v for a hash parse accepts", s, err)
				}
			}
		}

		stored, err := h.Hash(ctx, pw)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := h.Verify(ctx, stored, pw); !ok || err != nil {
			t.Fatalf("Verify(Hash(%q)) = %v, %v", pw, ok, err)
		}
		// Not pw+"\x00": HMAC zero-pads short keys, so PBKDF2 cannot tell
		// those apart (nor can Werkzeug).
		if ok, err := h.Verify(ctx, stored, pw+"!"); ok || err != nil {
			t.Fatalf("Verify(Hash(%q), other) = %v, %v", pw, ok, err)
		}
	})
}

// checkParsed asserts the invariants parse promises for a hash it accepts.
func checkParsed(t *testing.T, s string, p params) {
	t.Helper()
	if p.salt == "" || len(p.digest) != p.keyLen {
		t.Fatalf("parse(%q) = %+v: empty salt or wrong digest length", s, p)
	}
	switch p.kdf {
	case kdfPBKDF2:
		if p.iterations < 1 || p.iterations > maxIterations || p.newHash == nil {
			t.Fatalf("parse(%q) accepted pbkdf2 %+v", s, p)
		}
	case kdfScrypt:
		if p.n < 2 || p.n&(p.n-1) != 0 || p.r < 1 || p.p < 1 || p.n*p.r*p.p > maxScryptWork || p.keyLen != 64 {
			t.Fatalf("parse(%q) accepted scrypt %+v", s, p)
		}
	default:
		t.Fatalf("parse(%q) returned no KDF", s)
	}
	// Re-encoding gives back the input up to the case of the hex digits.
	got := encode(p.method, p.salt, p.digest)
	prefix := len(got) - 2*len(p.digest)
	if got[:prefix] != s[:prefix] || !strings.EqualFold(got[prefix:], s[prefix:]) {
		t.Fatalf("encode(parse(%q)) = %q", s, got)
	}
}
