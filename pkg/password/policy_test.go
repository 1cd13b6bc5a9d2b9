package password

import (
	"errors"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	p := Policy{MinLength: 15}
	tests := []struct {
		name string
		pw   string
		rule string // "" means the password passes
	}{
		{"all classes at min length", "Abcdefghijkl1!x", ""},
		{"one short", "Abcdefghijk1!x", "min_length"},
		{"empty", "", "min_length"},
		{"min length counted in code points", "Aa1!" + strings.Repeat("é", 11), ""},
		{"one code point short though 24 bytes", "Aa1!" + strings.Repeat("é", 10), "min_length"},
		{"exactly max length", "Aa1!" + strings.Repeat("x", MaxLength-4), ""},
		{"max length of two-byte characters", "Aa1!" + strings.Repeat("é", MaxLength-4), ""},
		{"one over max length", "Aa1!" + strings.Repeat("x", MaxLength-3), "max_length"},
		{"max length checked before classes", strings.Repeat("x", MaxLength+1), "max_length"},
		{"no upper", "abcdefghijkl1!x", "upper"},
		{"no lower", "ABCDEFGHIJKL1!X", "lower"},
		{"no digit", "Abcdefghijkl!!x", "digit"},
		{"no special", "Abcdefghijkl12x", "special"},
		{"upper reported before the others", "abcdefghijklmno", "upper"},
		{"lower reported before digit", "ABCDEFGHIJKLMNO", "lower"},
		{"digit reported before special", "Abcdefghijklmno", "digit"},
		{"non-ASCII upper does not count", "ÄÖÜbcdefghijk1!x", "upper"},
		{"non-ASCII lower does not count", "ABCDEFGHIJ1!äöüß", "lower"},
		{"Arabic-Indic digits do not count", "Abcdefghijkl!x١٢٣", "digit"},
		{"fullwidth digit does not count", "Abcdefghijkl!x１", "digit"},
		{"backslash is special", "Abcdefghijkl1\\x", ""},
		{"vertical bar is special", "Abcdefghijkl1|x", ""},
		{"backtick is special", "Abcdefghijkl1`x", ""},
		{"space is not special", "Abcdefghijkl1 x", "special"},
		{"tab is not special", "Abcdefghijkl1\tx", "special"},
		{"non-ASCII punctuation is not special", "Abcdefghijkl1§€", "special"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.pw, p)
			if tt.rule == "" {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			var pe *PolicyError
			if !errors.As(err, &pe) {
				t.Fatalf("Check = %v, want *PolicyError", err)
			}
			if pe.Rule != tt.rule {
				t.Fatalf("Rule = %q, want %q (message %q)", pe.Rule, tt.rule, pe.Message)
			}
			if pe.Message == "" || pe.Error() != pe.Message {
				t.Fatalf("Error() = %q, Message = %q", pe.Error(), pe.Message)
			}
		})
	}
}

func TestCheckMessagesNameTheRule(t *testing.T) {
	p := Policy{MinLength: 20}
	for pw, want := range map[string]string{
		"Aa1!":                           "at least 20",
		strings.Repeat("x", MaxLength+1): "at most 1024",
		"abcdefghijklmnopqrs1!":          "upper-case",
		"ABCDEFGHIJKLMNOPQRS1!":          "lower-case",
		"ABCDEFGHIJKLMNOPQRSa!":          "digit",
		"ABCDEFGHIJKLMNOPQRSa1":          SpecialChars,
	} {
		if err := Check(pw, p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Check(%.20q) = %v, want a message containing %q", pw, err, want)
		}
	}
}

func TestSpecialChars(t *testing.T) {
	const want = "!@#$%^&*()_+-=[]{};':\"\\|,.<>/?`~"
	if SpecialChars != want || len(SpecialChars) != 32 {
		t.Fatalf("SpecialChars = %q (%d), want the 32 characters %q", SpecialChars, len(SpecialChars), want)
	}
	seen := map[rune]bool{}
	for _, c := range SpecialChars {
		if seen[c] {
			t.Fatalf("%q listed twice", c)
		}
		seen[c] = true
		if err := Check("Abcdefghijkl1x"+string(c), Policy{MinLength: 15}); err != nil {
			t.Errorf("special %q: %v", c, err)
		}
	}
	for c := rune(0); c < 128; c++ {
		isClass := 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
		if seen[c] || isClass {
			continue
		}
		if err := Check("Abcdefghijkl1x"+string(c), Policy{MinLength: 15}); err == nil {
			t.Errorf("%q counted as special", c)
		}
	}
}
