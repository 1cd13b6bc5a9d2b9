// Package password implements MiniMost's password rules: the policy check
// applied at signup, change and reset, hashing in the Werkzeug text form the
// Python MiniMost used (so both generations read each other's databases),
// verification of the legacy Werkzeug forms, and a bounded pool that limits
// how many hashes run at once.
//
// New hashes are pbkdf2:sha256:600000$<salt>$<hex>: PBKDF2-HMAC-SHA256 over
// the UTF-8 password with the 16-character alphanumeric salt as its literal
// bytes, 32-byte key. Verification also accepts
//
//	pbkdf2:<sha1|sha256|sha512>[:<iterations>]$<salt>$<hex>   (default 260000 iterations)
//	scrypt[:<N>:<r>:<p>]$<salt>$<hex>                         (default 32768:8:1, 64-byte key)
//
// where the key length of PBKDF2 is the digest size of its hash function.
// A stored hash is data, and data must not be able to stall a login or
// exhaust memory, so costs are bounded: PBKDF2 takes 1 to 10 000 000
// iterations; scrypt takes N a power of two of at least 2 and r, p >= 1
// with N·r·p at most 2^20 (four times Werkzeug's default, at most 128 MiB).
// A hash outside the bounds is malformed.
//
// Hashing is deliberately slow, so the pool keeps a flood of logins from
// occupying every core: at most a fixed number of key derivations run
// concurrently and further callers wait their turn (or until their context
// ends) instead of being refused.
package password

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"runtime"
	"strconv"
)

// Hasher hashes and verifies passwords, running at most a fixed number of
// key derivations at a time. It is safe for concurrent use.
type Hasher struct {
	// slots is a counting semaphore: a derivation holds one element.
	slots chan struct{}
	// current describes new hashes; its salt and digest are the fixed
	// dummy that VerifyDummy checks against, so an unknown user costs
	// exactly what a known one with a current hash does.
	current params
	// beforeKDF, when set by a test, runs inside the slot just before
	// each derivation, to observe concurrency and parameters.
	beforeKDF func(params)
}

// NewHasher returns a Hasher that runs at most workers derivations at once;
// workers <= 0 means one less than the CPU count, at least one, so chat
// traffic always keeps a core.
func NewHasher(workers int) *Hasher {
	return newHasher(workers, currentIterations)
}

// NewHasherWithIterations returns a Hasher like NewHasher whose new hashes
// (and VerifyDummy) use the given PBKDF2-SHA256 iteration count instead of
// 600 000. It exists for tests and benchmarks of other packages, which would
// otherwise spend most of their time hashing; the daemon must never use it.
// Its hashes verify everywhere but are below the policy's cost, so
// NeedsRehash reports every one of them, and a login through a Service
// built on it always rehashes. It panics when iterations is below 1, a
// programming error.
func NewHasherWithIterations(workers, iterations int) *Hasher {
	if iterations < 1 {
		panic("password: NewHasherWithIterations needs at least one iteration")
	}
	return newHasher(workers, iterations)
}

// newHasher builds every Hasher; the package's own tests call it directly
// to lower the cost.
func newHasher(workers, iterations int) *Hasher {
	if workers <= 0 {
		workers = max(1, runtime.NumCPU()-1)
	}
	return &Hasher{
		slots: make(chan struct{}, workers),
		current: params{
			kdf:        kdfPBKDF2,
			method:     "pbkdf2:sha256:" + strconv.Itoa(iterations),
			salt:       "MiniMostDummy000",
			digest:     make([]byte, sha256.Size),
			keyLen:     sha256.Size,
			newHash:    sha256.New,
			iterations: iterations,
		},
	}
}

// Hash returns a new hash of pw in the current form,
// pbkdf2:sha256:600000$<16 alphanumerics>$<64 hex digits>. It waits for a
// free slot; the error is the context's if it ends first.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	p := h.current
	p.salt = newSalt()
	digest, err := h.derive(ctx, &p, pw)
	if err != nil {
		return "", err
	}
	return encode(p.method, p.salt, digest), nil
}

// Verify reports whether pw matches hash, which may be in any Werkzeug form
// listed in the package documentation. A malformed hash, or one whose cost
// exceeds the package's bounds, is (false, err) without any hashing; a
// context that ends while waiting for a slot is (false, ctx.Err()). In
// FIPS 140-only mode (GODEBUG=fips140=only) the runtime refuses PBKDF2 with
// SHA-1 or a salt under 16 bytes, which some legacy hashes have; those are
// (false, err) too.
func (h *Hasher) Verify(ctx context.Context, hash, pw string) (bool, error) {
	p, err := parse(hash)
	if err != nil {
		return false, err
	}
	return h.verify(ctx, &p, pw)
}

// VerifyDummy spends the same work as a Verify against a current-form hash
// and discards the result. Login calls it for unknown usernames so that
// response time does not reveal whether an account exists.
func (h *Hasher) VerifyDummy(ctx context.Context, pw string) {
	p := h.current
	_, _ = h.verify(ctx, &p, pw)
}

// MatchesAny reports whether pw matches any of hashes, as the password
// history rule needs. Each hash takes its own pool slot in turn, so a long
// history does not hold the pool for its whole duration. Malformed entries
// are skipped; if none of the others match, the error of the first
// malformed one is returned with false so the caller can log it.
func (h *Hasher) MatchesAny(ctx context.Context, hashes []string, pw string) (bool, error) {
	var firstErr error
	for _, s := range hashes {
		p, err := parse(s)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		ok, err := h.verify(ctx, &p, pw)
		if err != nil {
			return false, err
		}
		if ok {
			return true, nil
		}
	}
	return false, firstErr
}

// NeedsRehash reports whether hash is anything other than exactly what Hash
// writes today: the current method and cost, a 16-character alphanumeric
// salt and a lower-case digest. Malformed hashes need rehashing too.
func NeedsRehash(hash string) bool {
	p, err := parse(hash)
	if err != nil {
		return true
	}
	return p.method != "pbkdf2:sha256:"+strconv.Itoa(currentIterations) ||
		!isCurrentSalt(p.salt) ||
		encode(p.method, p.salt, p.digest) != hash
}

func (h *Hasher) verify(ctx context.Context, p *params, pw string) (bool, error) {
	got, err := h.derive(ctx, p, pw)
	if err != nil {
		return false, err
	}
	return subtle.ConstantTimeCompare(got, p.digest) == 1, nil
}

// derive runs the key derivation inside a pool slot, waiting for one
// unless ctx ends first.
func (h *Hasher) derive(ctx context.Context, p *params, pw string) ([]byte, error) {
	// Checked first because select picks at random when a slot is free
	// and ctx is already done; a cancelled caller should not hash.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case h.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-h.slots }()
	if h.beforeKDF != nil {
		h.beforeKDF(*p)
	}
	return p.derive(pw)
}
