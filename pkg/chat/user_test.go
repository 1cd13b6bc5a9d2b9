package chat

import (
	"strings"
	"testing"
)

func TestNormalizeUsername(t *testing.T) {
	tests := []struct {
		in, want, code string
	}{
		{"alice", "alice", ""},
		{"  Bob_1-x  ", "Bob_1-x", ""},
		{strings.Repeat("a", 32), strings.Repeat("a", 32), ""},
		{strings.Repeat("a", 33), "", EInvalidUsername},
		{strings.Repeat("a", 300), "", EInvalidUsername},
		{"", "", EInvalidUsername},
		{"   ", "", EInvalidUsername},
		{"a b", "", EInvalidUsername},
		{"a/b", "", EInvalidUsername},
		{"a<b", "", EInvalidUsername},
		{`a"b`, "", EInvalidUsername},
		{"a\nb", "", EInvalidUsername},
		{"a;b", "", EInvalidUsername},
		{"a%b", "", EInvalidUsername},
		{"a\x07b", "", EInvalidUsername},
		{"a.b", "", EInvalidUsername},
		{"a@b", "", EInvalidUsername},
		{"josé", "", EInvalidUsername},
		{"MiniMost", "", EReservedUsername},
		{"EVERYONE", "", EReservedUsername},
		{"deletedUser", "", EReservedUsername},
		{"System", "", EReservedUsername},
		{"systems", "systems", ""},
	}
	for _, tt := range tests {
		got, err := NormalizeUsername(tt.in)
		if code := codeOf(err); code != tt.code || got != tt.want {
			t.Errorf("NormalizeUsername(%q) = %q, %q; want %q, %q", tt.in, got, code, tt.want, tt.code)
		}
	}
}

func codeOf(err error) string {
	if err == nil {
		return ""
	}
	return ErrorCode(err)
}

func TestNormalizeNameColorAndBio(t *testing.T) {
	for in, want := range map[string]string{"#E06C75": "#e06c75", "#000000": "#000000", "e06c75": "", "#e06c7": "", "#e06c7g": "", "#e06c750": ""} {
		got, err := NormalizeNameColor(in)
		if (err == nil) != (want != "") || got != want {
			t.Errorf("NormalizeNameColor(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, ok := range map[string]bool{"": true, " Firmware, mostly. ": true, strings.Repeat("é", 160): true, strings.Repeat("é", 161): false, "a\tb": false, "a\u2028b": false, "a\u0085b": false} {
		_, err := NormalizeBio(in)
		if (err == nil) != ok {
			t.Errorf("NormalizeBio(%q) err = %v, want ok=%v", in, err, ok)
		}
	}
}
