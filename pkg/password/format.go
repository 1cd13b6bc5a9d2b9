package password

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// The current form of new hashes. Werkzeug 2.3 writes the same text, so the
// Python generation can still read what this package stores.
const (
	currentIterations = 600_000
	saltLen           = 16
	saltAlphabet      = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// Legacy defaults for parameters Werkzeug left out of the method text.
const (
	defaultPBKDF2Iterations = 260_000
	defaultScryptN          = 1 << 15
	defaultScryptR          = 8
	defaultScryptP          = 1
	scryptKeyLen            = 64
)

// Bounds on the cost a stored hash may ask for. A hash comes from the
// database, so a corrupted or planted row must not let one verification
// take seconds of CPU per login attempt or hundreds of megabytes.
//
// PBKDF2 iterations: 1..10 000 000 (about 17 times the current cost).
//
// scrypt: N a power of two >= 2, r >= 1, p >= 1 and N·r·p <= 2^20, four times
// Werkzeug's default 32768·8·1. That caps the working memory, 128·N·r bytes
// for the table plus 128·r·p for the blocks, at 128 MiB and the time at a
// fraction of a second, and it also bounds r·p (<= 2^19) and N (<= 2^20).
const (
	maxIterations = 10_000_000
	maxScryptWork = 1 << 20
)

// errMalformed is wrapped by every parse failure so callers (and tests) can
// tell a bad stored hash from a cancelled context.
var errMalformed = errors.New("malformed password hash")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errMalformed}, args...)...)
}

type kdf int

const (
	kdfPBKDF2 kdf = iota + 1
	kdfScrypt
)

// params is a parsed hash: what to compute and what the result must equal.
type params struct {
	kdf    kdf
	method string // the text before the first '$', exactly as stored
	salt   string // fed to the KDF as its literal bytes, never decoded
	digest []byte
	keyLen int

	newHash    func() hash.Hash // PBKDF2 only
	iterations int              // PBKDF2 only

	n, r, p int // scrypt only
}

// parse splits a Werkzeug hash "<method>$<salt>$<hex>" on its first two '$'
// and checks every part, so that a hash that parses can be verified
// without error and within the cost bounds.
func parse(s string) (params, error) {
	method, rest, ok := strings.Cut(s, "$")
	if !ok {
		return params{}, malformed("missing '$' separators")
	}
	salt, hexDigest, ok := strings.Cut(rest, "$")
	if !ok {
		return params{}, malformed("missing second '$' separator")
	}
	if salt == "" {
		return params{}, malformed("empty salt")
	}
	var (
		p   params
		err error
	)
	name, args, hasArgs := strings.Cut(method, ":")
	switch name {
	case "pbkdf2":
		if !hasArgs {
			return params{}, malformed("pbkdf2 without a hash function")
		}
		p, err = parsePBKDF2(args)
	case "scrypt":
		p, err = parseScrypt(args, hasArgs)
	default:
		return params{}, malformed("unknown method")
	}
	if err != nil {
		return params{}, err
	}
	if len(hexDigest)%2 != 0 {
		return params{}, malformed("odd-length digest")
	}
	digest, err := hex.DecodeString(hexDigest)
	if err != nil {
		return params{}, malformed("digest is not hexadecimal")
	}
	if len(digest) != p.keyLen {
		return params{}, malformed("digest is %d bytes, the method derives %d", len(digest), p.keyLen)
	}
	p.method, p.salt, p.digest = method, salt, digest
	return p, nil
}

// parsePBKDF2 reads "<hash>[:<iterations>]".
func parsePBKDF2(args string) (params, error) {
	fields := strings.Split(args, ":")
	if len(fields) > 2 {
		return params{}, malformed("pbkdf2 takes a hash function and at most an iteration count")
	}
	p := params{kdf: kdfPBKDF2, iterations: defaultPBKDF2Iterations}
	switch fields[0] {
	case "sha1":
		p.newHash, p.keyLen = sha1.New, sha1.Size
	case "sha256":
		p.newHash, p.keyLen = sha256.New, sha256.Size
	case "sha512":
		p.newHash, p.keyLen = sha512.New, sha512.Size
	default:
		return params{}, malformed("unsupported pbkdf2 hash function")
	}
	if len(fields) == 2 {
		it, ok := parseCount(fields[1])
		if !ok || it < 1 || it > maxIterations {
			return params{}, malformed("pbkdf2 iterations not in 1..%d", maxIterations)
		}
		p.iterations = it
	}
	return p, nil
}

// parseScrypt reads ":<N>:<r>:<p>", all three or none.
func parseScrypt(args string, hasArgs bool) (params, error) {
	p := params{kdf: kdfScrypt, keyLen: scryptKeyLen, n: defaultScryptN, r: defaultScryptR, p: defaultScryptP}
	if !hasArgs {
		return p, nil
	}
	fields := strings.Split(args, ":")
	if len(fields) != 3 {
		return params{}, malformed("scrypt takes N:r:p")
	}
	var v [3]int
	for i, f := range fields {
		// Each factor alone within the work bound keeps the product below
		// 2^60, so the multiplication below cannot overflow.
		x, ok := parseCount(f)
		if !ok || x < 1 || x > maxScryptWork {
			return params{}, malformed("scrypt parameter out of range")
		}
		v[i] = x
	}
	p.n, p.r, p.p = v[0], v[1], v[2]
	if p.n < 2 || p.n&(p.n-1) != 0 {
		return params{}, malformed("scrypt N is not a power of two >= 2")
	}
	if p.n*p.r*p.p > maxScryptWork {
		return params{}, malformed("scrypt cost N*r*p exceeds %d", maxScryptWork)
	}
	return p, nil
}

// parseCount accepts only plain decimal digits: no sign, no spaces, no
// underscores, and few enough digits that the value fits any int.
func parseCount(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}

// derive computes the key for pw; its length equals that of p.digest.
func (p *params) derive(pw string) ([]byte, error) {
	if p.kdf == kdfScrypt {
		return scrypt.Key([]byte(pw), []byte(p.salt), p.n, p.r, p.p, p.keyLen)
	}
	return pbkdf2.Key(p.newHash, pw, []byte(p.salt), p.iterations, p.keyLen)
}

// encode writes the Werkzeug text form; hex is lower case as Werkzeug
// writes it.
func encode(method, salt string, digest []byte) string {
	return method + "$" + salt + "$" + hex.EncodeToString(digest)
}

// newSalt returns saltLen characters drawn uniformly from saltAlphabet, the
// same shape Werkzeug's gen_salt produces.
func newSalt() string {
	out := make([]byte, 0, saltLen)
	var buf [2 * saltLen]byte
	for len(out) < saltLen {
		rand.Read(buf[:])
		for _, b := range buf {
			// 248 is the largest multiple of 62 that fits a byte; dropping
			// the bytes above it keeps every character equally likely.
			if b < 248 && len(out) < saltLen {
				out = append(out, saltAlphabet[b%62])
			}
		}
	}
	return string(out)
}

// isCurrentSalt reports whether s looks like a salt this package writes.
func isCurrentSalt(s string) bool {
	if len(s) != saltLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(saltAlphabet, s[i]) < 0 {
			return false
		}
	}
	return true
}
