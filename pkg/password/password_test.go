package password

import (
	"context"
	"errors"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Known vectors in the Werkzeug text form, computed independently of this
// package with Python 3's hashlib (pbkdf2_hmac and scrypt, dklen 64 for
// scrypt, maxmem 132*N*r*p), each salt passed as its ASCII bytes:
//
//	hashlib.pbkdf2_hmac(name, pw.encode(), salt.encode(), iterations).hex()
//	hashlib.scrypt(pw.encode(), salt=salt.encode(), n=N, r=r, p=p, dklen=64,
//	               maxmem=132*N*r*p).hex()
var knownVectors = []struct {
	name, hash, pw string
	cheap          bool // cheap enough to seed the fuzzer with
}{
	{"pbkdf2 sha1 8-char salt", "pbkdf2:sha1:1000$Xq3vT9aL$2564483af26b9b42f6d370b935163c51b3bff63b", "Correct-Horse-1", true},
	{"pbkdf2 sha256", "pbkdf2:sha256:1000$k2JdP0wQzR8mNf4s$71c46c6f3c8efd173e68a3f13c22bba22eeab31a98ec18b49772239e9703c940", "Correct-Horse-1", true},
	{"pbkdf2 sha512 UTF-8 password", "pbkdf2:sha512:1000$Hn7Yb2Lc$28b930b7ce6bafbbb90200c20e5a15203bd4b1e6ec974a0e698033712a15d038704166753aa887f103fc7e06229e6e9ebbdd60c78247b86e7af262470a258ade", "pässwörd-€-Ü9!", true},
	{"pbkdf2 sha256 default 260000", "pbkdf2:sha256$aB3dE5gH7jK9mN1p$72f0f0a4eab2444be3a27ed3e08fe16b8750e6492cbac6ea3cd8935d55c9ce3b", "Correct-Horse-1", false},
	{"scrypt 16384:8:1", "scrypt:16384:8:1$Zt5Wc8Rk1Ym4Qe7U$a339490e01f96e13a534b55f894b03be57efae4e596ca0ca7cd70db32bdcdb7fd036927c0188da81896a0160cd68ccb493a2932366529ea41e83d72561210484", "Correct-Horse-1", false},
	{"scrypt defaults 32768:8:1", "scrypt$Fg6Hj2Kl9Mn3Bv5C$4a3f085c4b82c950d4a7b44dbe6c267a45571e838d168437e6049fcecb24367d383cef7cb397fec4305eb90cbac19e08fe56881ad7ffc16b6cf11658d1af3b46", "pässwörd-€-Ü9!", false},
}

// currentVector is a current-form hash made the same way with 600000
// iterations.
const currentVector = "pbkdf2:sha256:600000$Pq8Rs2Tu6Vw0Xy4Z$76d95061d6bf60293cf37b25e935b4ff9bf4e4ab2b85cd749933ea0645958e47"

const (
	hex64  = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	hex40  = "0123456789abcdef0123456789abcdef01234567"
	hex128 = hex64 + hex64
)

// malformedHashes must all be refused by parse, without hashing.
var malformedHashes = []string{
	"",
	"plain-text-password",
	"$",
	"$$",
	"pbkdf2:sha256:1000",
	"pbkdf2:sha256:1000$salt",
	"pbkdf2:sha256:1000$$" + hex64,
	"$salt$" + hex64,
	"pbkdf2$salt$" + hex64,
	"pbkdf2:$salt$" + hex64,
	"pbkdf2:md5:1000$salt$" + "0123456789abcdef0123456789abcdef",
	"pbkdf2:SHA256:1000$salt$" + hex64,
	"pbkdf2:sha224:1000$salt$" + hex64[:56],
	"pbkdf2:sha256:$salt$" + hex64,
	"pbkdf2:sha256:0$salt$" + hex64,
	"pbkdf2:sha256:-1$salt$" + hex64,
	"pbkdf2:sha256:+1000$salt$" + hex64,
	"pbkdf2:sha256: 1000$salt$" + hex64,
	"pbkdf2:sha256:1_000$salt$" + hex64,
	"pbkdf2:sha256:1e3$salt$" + hex64,
	"pbkdf2:sha256:１０００$salt$" + hex64,
	"pbkdf2:sha256:10000001$salt$" + hex64,
	"pbkdf2:sha256:99999999999999999999$salt$" + hex64,
	"pbkdf2:sha256:1000:1$salt$" + hex64,
	"pbkdf2:sha256:1000$salt$" + hex64[:63],
	"pbkdf2:sha256:1000$salt$" + hex64[:62],
	"pbkdf2:sha256:1000$salt$" + hex64 + "00",
	"pbkdf2:sha256:1000$salt$" + "zz" + hex64[2:],
	"pbkdf2:sha256:1000$salt$" + hex64 + "$extra",
	"pbkdf2:sha256:1000$salt$",
	"pbkdf2:sha1:1000$salt$" + hex64,
	"pbkdf2:sha512:1000$salt$" + hex64,
	"scrypt:$salt$" + hex128,
	"scrypt:16384:8$salt$" + hex128,
	"scrypt:16384:8:1:1$salt$" + hex128,
	"scrypt:1:8:1$salt$" + hex128,
	"scrypt:3:8:1$salt$" + hex128,
	"scrypt:0:8:1$salt$" + hex128,
	"scrypt:16384:0:1$salt$" + hex128,
	"scrypt:16384:8:0$salt$" + hex128,
	"scrypt:16384:-8:1$salt$" + hex128,
	"scrypt:1048576:8:1$salt$" + hex128,
	"scrypt:2097152:1:1$salt$" + hex128,
	"scrypt:2:1:1048576$salt$" + hex128,
	"scrypt:32768:64:1$salt$" + hex128,
	"scrypt:32768:8:1$salt$" + hex64,
	"scrypt$salt$" + hex64,
	"scrypt$$" + hex128,
	"bcrypt$salt$" + hex64,
	"sha256$salt$" + hex64,
	"argon2:1:2:3$salt$" + hex64,
}

func TestKnownVectors(t *testing.T) {
	h := newHasher(2, 1)
	ctx := context.Background()
	for _, v := range knownVectors {
		t.Run(v.name, func(t *testing.T) {
			t.Parallel()
			if ok, err := h.Verify(ctx, v.hash, v.pw); !ok || err != nil {
				t.Fatalf("Verify(right password) = %v, %v", ok, err)
			}
			if ok, err := h.Verify(ctx, v.hash, v.pw+"x"); ok || err != nil {
				t.Fatalf("Verify(wrong password) = %v, %v", ok, err)
			}
			if !NeedsRehash(v.hash) {
				t.Fatal("a legacy hash must need rehashing")
			}
		})
	}
}

func TestVerifyAcceptsUpperCaseHex(t *testing.T) {
	v := knownVectors[1]
	i := strings.LastIndexByte(v.hash, '$') + 1
	upper := v.hash[:i] + strings.ToUpper(v.hash[i:])
	if ok, err := newHasher(1, 1).Verify(context.Background(), upper, v.pw); !ok || err != nil {
		t.Fatalf("Verify = %v, %v", ok, err)
	}
}

func TestNewHasherUsesCurrentCost(t *testing.T) {
	for _, tt := range []struct{ workers, want int }{
		{0, max(1, runtime.NumCPU()-1)},
		{-3, max(1, runtime.NumCPU()-1)},
		{1, 1},
		{5, 5},
	} {
		h := NewHasher(tt.workers)
		if cap(h.slots) != tt.want {
			t.Errorf("NewHasher(%d) has %d slots, want %d", tt.workers, cap(h.slots), tt.want)
		}
		if h.current.iterations != 600_000 || h.current.method != "pbkdf2:sha256:600000" ||
			h.current.kdf != kdfPBKDF2 || h.current.keyLen != 32 {
			t.Errorf("NewHasher(%d) current = %+v, want PBKDF2-HMAC-SHA256 600000 iterations", tt.workers, h.current)
		}
	}
}

// TestNewHasherWithIterations checks the test-only constructor: hashes in
// the same text form at the asked cost, which verify and which NeedsRehash
// always flags, so no test hasher's output could pass for a production one.
func TestNewHasherWithIterations(t *testing.T) {
	ctx := context.Background()
	h := NewHasherWithIterations(3, 7)
	if cap(h.slots) != 3 {
		t.Errorf("%d slots, want 3", cap(h.slots))
	}
	hash, err := h.Hash(ctx, "Correct-Horse-1")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^pbkdf2:sha256:7\$[A-Za-z0-9]{16}\$[0-9a-f]{64}$`).MatchString(hash) {
		t.Errorf("hash %q is not pbkdf2:sha256:7$<salt>$<hex>", hash)
	}
	if ok, err := NewHasher(1).Verify(ctx, hash, "Correct-Horse-1"); !ok || err != nil {
		t.Errorf("a production hasher does not verify it: %v, %v", ok, err)
	}
	if !NeedsRehash(hash) {
		t.Error("NeedsRehash = false for a 7-iteration hash")
	}
	defer func() {
		if recover() == nil {
			t.Error("NewHasherWithIterations(1, 0) did not panic")
		}
	}()
	NewHasherWithIterations(1, 0)
}

// TestHashProductionForm runs the production path at its real cost once:
// the text form must be exact, verify, and agree with an independently
// computed current-form vector.
func TestHashProductionForm(t *testing.T) {
	h := NewHasher(2)
	ctx := context.Background()
	const pw = "Correct-Horse-1"
	got, err := h.Hash(ctx, pw)
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^pbkdf2:sha256:600000\$[A-Za-z0-9]{16}\$[0-9a-f]{64}$`).MatchString(got) {
		t.Fatalf("Hash = %q, not the current form", got)
	}
	if NeedsRehash(got) {
		t.Fatal("a fresh hash needs rehashing")
	}
	var wg sync.WaitGroup
	for _, c := range []struct {
		hash, pw string
		want     bool
	}{
		{got, pw, true},
		{currentVector, pw, true},
	} {
		wg.Go(func() {
			if ok, err := h.Verify(ctx, c.hash, c.pw); ok != c.want || err != nil {
				t.Errorf("Verify(%q) = %v, %v, want %v", c.hash, ok, err, c.want)
			}
		})
	}
	wg.Wait()
}

func TestHashRoundTrip(t *testing.T) {
	h := newHasher(2, 10)
	ctx := context.Background()
	for _, pw := range []string{"", "Correct-Horse-1", "pässwörd-€-Ü9!", "a$b$c", strings.Repeat("x", MaxLength)} {
		got, err := h.Hash(ctx, pw)
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^pbkdf2:sha256:10\$[A-Za-z0-9]{16}\$[0-9a-f]{64}$`).MatchString(got) {
			t.Fatalf("Hash = %q", got)
		}
		if ok, err := h.Verify(ctx, got, pw); !ok || err != nil {
			t.Fatalf("Verify(%q) = %v, %v", pw, ok, err)
		}
		if ok, err := h.Verify(ctx, got, pw+"!"); ok || err != nil {
			t.Fatalf("Verify(wrong) = %v, %v", ok, err)
		}
	}
}

func TestSaltsDiffer(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		s := newSalt()
		if !isCurrentSalt(s) {
			t.Fatalf("salt %q is not 16 alphanumerics", s)
		}
		if seen[s] {
			t.Fatalf("salt %q repeated", s)
		}
		seen[s] = true
	}
}

func TestMalformedHashes(t *testing.T) {
	h := newHasher(1, 1)
	h.beforeKDF = func(params) { t.Error("a malformed hash reached the KDF") }
	ctx := context.Background()
	for _, s := range malformedHashes {
		ok, err := h.Verify(ctx, s, "Correct-Horse-1")
		if ok || !errors.Is(err, errMalformed) {
			t.Errorf("Verify(%q) = %v, %v, want a malformed-hash error", s, ok, err)
		}
		if !NeedsRehash(s) {
			t.Errorf("NeedsRehash(%q) = false", s)
		}
	}
}

func TestParseBounds(t *testing.T) {
	// At the bounds these parse; they are never computed here.
	for _, s := range []string{
		"pbkdf2:sha1:1$s$" + hex40,
		"pbkdf2:sha1:10000000$s$" + hex40,
		"pbkdf2:sha512:0001000$s$" + hex128,
		"scrypt:2:1:1$s$" + hex128,
		"scrypt:1048576:1:1$s$" + hex128,
		"scrypt:131072:8:1$s$" + hex128,
		"scrypt:2:8:65536$s$" + hex128,
		"scrypt:32768:8:4$s$" + hex128,
		"scrypt$s$" + strings.ToUpper(hex128),
		"pbkdf2:sha256:1000$salt with spaces and ü$" + hex64,
	} {
		p, err := parse(s)
		if err != nil {
			t.Errorf("parse(%q) = %v", s, err)
			continue
		}
		if p.kdf == kdfScrypt && p.n*p.r*p.p > 1<<20 {
			t.Errorf("parse(%q) accepted cost %d", s, p.n*p.r*p.p)
		}
	}
	p, err := parse("scrypt$abc$" + hex128)
	if err != nil || p.n != 32768 || p.r != 8 || p.p != 1 || p.keyLen != 64 || p.salt != "abc" {
		t.Errorf("scrypt defaults = %+v, %v", p, err)
	}
	p, err = parse("pbkdf2:sha1$abc$" + hex40)
	if err != nil || p.iterations != 260_000 || p.keyLen != 20 {
		t.Errorf("pbkdf2 defaults = %+v, %v", p, err)
	}
}

func TestNeedsRehash(t *testing.T) {
	i := strings.LastIndexByte(currentVector, '$') + 1
	for _, tt := range []struct {
		hash string
		want bool
	}{
		{currentVector, false},
		{currentVector[:i] + strings.ToUpper(currentVector[i:]), true},
		{"pbkdf2:sha256:600000$Pq8Rs2Tu$" + hex64, true},
		{"pbkdf2:sha256:600000$Pq8Rs2Tu6Vw0Xy4Z9$" + hex64, true},
		{"pbkdf2:sha256:600000$Pq8Rs2Tu-Vw0Xy4Z$" + hex64, true},
		{"pbkdf2:sha256:600000$Pq8Rs2Tu6Vw0Xy4Z$" + hex64, false},
		{"pbkdf2:sha256:0600000$Pq8Rs2Tu6Vw0Xy4Z$" + hex64, true},
		{"pbkdf2:sha256:600001$Pq8Rs2Tu6Vw0Xy4Z$" + hex64, true},
		{"pbkdf2:sha256:260000$Pq8Rs2Tu6Vw0Xy4Z$" + hex64, true},
		{"pbkdf2:sha256$Pq8Rs2Tu6Vw0Xy4Z$" + hex64, true},
		{"pbkdf2:sha512:600000$Pq8Rs2Tu6Vw0Xy4Z$" + hex128, true},
		{"scrypt:32768:8:1$Pq8Rs2Tu6Vw0Xy4Z$" + hex128, true},
		{"pbkdf2:sha256:600000$Pq8Rs2Tu6Vw0Xy4Z$" + hex40, true},
		{"", true},
	} {
		if got := NeedsRehash(tt.hash); got != tt.want {
			t.Errorf("NeedsRehash(%q) = %v, want %v", tt.hash, got, tt.want)
		}
	}
}

func TestVerifyDummyRunsCurrentForm(t *testing.T) {
	h := NewHasher(1)
	var got []params
	h.beforeKDF = func(p params) { got = append(got, p) }
	h.VerifyDummy(context.Background(), "Correct-Horse-1")
	if len(got) != 1 {
		t.Fatalf("VerifyDummy ran %d derivations, want 1", len(got))
	}
	p := got[0]
	if p.kdf != kdfPBKDF2 || p.method != "pbkdf2:sha256:600000" || p.iterations != 600_000 ||
		p.keyLen != 32 || len(p.digest) != 32 || !isCurrentSalt(p.salt) {
		t.Fatalf("VerifyDummy derived with %+v, want the current form", p)
	}
	if NeedsRehash(encode(p.method, p.salt, p.digest)) {
		t.Fatal("the dummy hash is not in the current form")
	}
}

func TestVerifyDummyMatchesVerifyWork(t *testing.T) {
	h := newHasher(1, 50)
	ctx := context.Background()
	stored, err := h.Hash(ctx, "Correct-Horse-1")
	if err != nil {
		t.Fatal(err)
	}
	var got []params
	h.beforeKDF = func(p params) { got = append(got, p) }
	if _, err := h.Verify(ctx, stored, "wrong"); err != nil {
		t.Fatal(err)
	}
	h.VerifyDummy(ctx, "wrong")
	if len(got) != 2 {
		t.Fatalf("%d derivations, want 2", len(got))
	}
	known, dummy := got[0], got[1]
	if known.kdf != dummy.kdf || known.method != dummy.method || known.iterations != dummy.iterations ||
		known.keyLen != dummy.keyLen || len(known.salt) != len(dummy.salt) {
		t.Fatalf("dummy %+v differs in cost from a real verify %+v", dummy, known)
	}
}

func TestMatchesAny(t *testing.T) {
	h := newHasher(1, 1)
	ctx := context.Background()
	sha1v, sha256v, sha512v := knownVectors[0], knownVectors[1], knownVectors[2]
	var calls atomic.Int32
	h.beforeKDF = func(params) { calls.Add(1) }

	ok, err := h.MatchesAny(ctx, []string{"garbage", sha512v.hash, sha256v.hash, sha1v.hash}, sha256v.pw)
	if !ok || err != nil {
		t.Fatalf("MatchesAny(match) = %v, %v", ok, err)
	}
	if calls.Load() != 2 {
		t.Fatalf("%d derivations, want 2 (stop at the first match)", calls.Load())
	}
	ok, err = h.MatchesAny(ctx, []string{sha1v.hash, "garbage", sha256v.hash}, "nope")
	if ok || !errors.Is(err, errMalformed) {
		t.Fatalf("MatchesAny(no match, one malformed) = %v, %v", ok, err)
	}
	ok, err = h.MatchesAny(ctx, []string{sha1v.hash, sha256v.hash}, "nope")
	if ok || err != nil {
		t.Fatalf("MatchesAny(no match) = %v, %v", ok, err)
	}
	ok, err = h.MatchesAny(ctx, nil, "nope")
	if ok || err != nil {
		t.Fatalf("MatchesAny(nil) = %v, %v", ok, err)
	}
}

func TestPoolBoundsConcurrency(t *testing.T) {
	const workers, callers = 2, 8
	h := newHasher(workers, 1)
	ctx := context.Background()
	stored, err := h.Hash(ctx, "pw")
	if err != nil {
		t.Fatal(err)
	}
	var active, peak, done atomic.Int32
	gate := make(chan struct{})
	h.beforeKDF = func(params) {
		n := active.Add(1)
		for {
			old := peak.Load()
			if n <= old || peak.CompareAndSwap(old, n) {
				break
			}
		}
		<-gate
		active.Add(-1)
	}
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			var err error
			switch i % 3 {
			case 0:
				_, err = h.Verify(ctx, stored, "pw")
			case 1:
				_, err = h.Hash(ctx, "pw")
			default:
				h.VerifyDummy(ctx, "pw")
			}
			if err != nil {
				t.Error(err)
			}
			done.Add(1)
		})
	}
	deadline := time.Now().Add(5 * time.Second)
	for active.Load() < workers {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d slots ever filled", active.Load(), workers)
		}
		time.Sleep(time.Millisecond)
	}
	// Give the remaining callers a chance to (wrongly) get past the pool.
	time.Sleep(50 * time.Millisecond)
	if n := active.Load(); n != workers {
		t.Fatalf("%d derivations running at once, want %d", n, workers)
	}
	if d := done.Load(); d != 0 {
		t.Fatalf("%d callers finished while the pool was full", d)
	}
	close(gate)
	wg.Wait()
	if p := peak.Load(); p != workers {
		t.Fatalf("peak concurrency %d, want %d", p, workers)
	}
	if d := done.Load(); d != callers {
		t.Fatalf("%d callers finished, want %d (waiting callers are never refused)", d, callers)
	}
}

func TestWaitingCallersHonourContext(t *testing.T) {
	h := newHasher(1, 1)
	stored, err := h.Hash(context.Background(), "pw")
	if err != nil {
		t.Fatal(err)
	}
	entered := make(chan struct{})
	gate := make(chan struct{})
	var calls atomic.Int32
	h.beforeKDF = func(params) {
		if calls.Add(1) == 1 {
			close(entered)
			<-gate
		}
	}
	holder := make(chan error)
	go func() {
		_, err := h.Verify(context.Background(), stored, "pw")
		holder <- err
	}()
	<-entered

	ctx, cancel := context.WithCancel(context.Background())
	waiters := make(chan error, 4)
	go func() { _, err := h.Verify(ctx, stored, "pw"); waiters <- err }()
	go func() { _, err := h.Hash(ctx, "pw"); waiters <- err }()
	go func() { _, err := h.MatchesAny(ctx, []string{stored}, "pw"); waiters <- err }()
	// VerifyDummy has no result; returning at all is what is checked.
	go func() { h.VerifyDummy(ctx, "pw"); waiters <- context.Canceled }()
	time.Sleep(20 * time.Millisecond)
	cancel()
	for range 4 {
		select {
		case err := <-waiters:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("waiting caller returned %v, want context.Canceled", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a waiting caller ignored its cancelled context")
		}
	}
	close(gate)
	if err := <-holder; err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("%d derivations, want only the slot holder's", n)
	}

	// An already-cancelled caller does not hash even when a slot is free.
	ok, err := h.Verify(ctx, stored, "pw")
	if ok || !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify(cancelled) = %v, %v", ok, err)
	}
	if _, err := h.Hash(ctx, "pw"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash(cancelled) = %v", err)
	}
	h.VerifyDummy(ctx, "pw")
	if n := calls.Load(); n != 1 {
		t.Fatalf("a cancelled caller hashed (%d derivations)", n)
	}
}

func BenchmarkHash(b *testing.B) {
	h := NewHasher(1)
	ctx := context.Background()
	for b.Loop() {
		if _, err := h.Hash(ctx, "Correct-Horse-1"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyParallel(b *testing.B) {
	h := NewHasher(0)
	ctx := context.Background()
	stored, err := h.Hash(ctx, "Correct-Horse-1")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, err := h.Verify(ctx, stored, "Correct-Horse-1"); !ok || err != nil {
				b.Errorf("Verify = %v, %v", ok, err)
				return
			}
		}
	})
}
