package password

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxLength is the longest password accepted, in characters (Unicode code
// points). Login refuses longer input without hashing it.
const MaxLength = 1024

// SpecialChars is the set of characters that satisfy the special-character
// rule, in the order GET /password-policy reports them.
const SpecialChars = "!@#$%^&*()_+-=[]{};':\"\\|,.<>/?`~"

// Policy holds the configurable part of the password rules; the maximum
// length and the four character classes are fixed.
type Policy struct {
	// MinLength is the fewest characters (Unicode code points) allowed.
	MinLength int
}

// PolicyError reports the first password rule a candidate fails.
type PolicyError struct {
	// Rule is one of "min_length", "max_length", "upper", "lower", "digit"
	// or "special".
	Rule string
	// Message explains the rule to the user.
	Message string
}

// Error returns the human-readable message.
func (e *PolicyError) Error() string { return e.Message }

// Check reports whether pw satisfies the policy: nil, or a *PolicyError
// naming the first unmet rule in the order minimum length, maximum length,
// upper case, lower case, digit, special character.
func Check(pw string, p Policy) error {
	n := utf8.RuneCountInString(pw)
	if n < p.MinLength {
		return &PolicyError{Rule: "min_length", Message: fmt.Sprintf("password must be at least %d characters long", p.MinLength)}
	}
	if n > MaxLength {
		return &PolicyError{Rule: "max_length", Message: fmt.Sprintf("password must be at most %d characters long", MaxLength)}
	}
	var upper, lower, digit, special bool
	// Scanning bytes rather than runes is enough: every byte of a multi-byte
	// UTF-8 sequence is >= 0x80, so non-ASCII letters and digits can never
	// be mistaken for an ASCII class, which is what the policy wants.
	for i := 0; i < len(pw); i++ {
		switch c := pw[i]; {
		case 'A' <= c && c <= 'Z':
			upper = true
		case 'a' <= c && c <= 'z':
			lower = true
		case '0' <= c && c <= '9':
			digit = true
		case strings.IndexByte(SpecialChars, c) >= 0:
			special = true
		}
	}
	switch {
	case !upper:
		return &PolicyError{Rule: "upper", Message: "password must contain an upper-case letter (A-Z)"}
	case !lower:
		return &PolicyError{Rule: "lower", Message: "password must contain a lower-case letter (a-z)"}
	case !digit:
		return &PolicyError{Rule: "digit", Message: "password must contain a digit (0-9)"}
	case !special:
		return &PolicyError{Rule: "special", Message: "password must contain one of these special characters: " + SpecialChars}
	}
	return nil
}
