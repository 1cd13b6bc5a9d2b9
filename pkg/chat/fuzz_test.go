package chat

import (
	"strings"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// FuzzMessageText feeds arbitrary client text through every rule that
// reads it: normalisation, mentions, highlights and emoji checks.
func FuzzMessageText(f *testing.F) {
	for _, s := range []string{"hi @bob", "a@b.com", "@everyone", "😀 café", "\x00", "@@@", "x/@y", strings.Repeat("é", 300), "\xff\xfe"} {
		f.Add(s, "bo")
	}
	readers := map[string]string{"bob": "Bob", "b": "b"}
	f.Fuzz(func(t *testing.T, text, q string) {
		norm, err := NormalizeText(text, 1000)
		if err == nil {
			if !utf8.ValidString(norm) || strings.ContainsRune(norm, 0) || utf8.RuneCountInString(norm) > 1000 {
				t.Fatalf("NormalizeText accepted %q as %q", text, norm)
			}
			if strings.TrimRight(norm, " \t\r\n") != norm {
				t.Fatalf("trailing space kept in %q", norm)
			}
		}
		names, _ := Mentions(text, readers)
		seen := map[string]bool{}
		for _, n := range names {
			if n != "Bob" && n != "b" || seen[n] {
				t.Fatalf("Mentions(%q) = %v", text, names)
			}
			seen[n] = true
		}
		units := len(utf16.Encode([]rune(text)))
		prev := 0
		for _, h := range Highlights(text, q) {
			if h[0] < prev || h[1] <= h[0] || h[1] > units {
				t.Fatalf("Highlights(%q, %q) gave %v", text, q, h)
			}
			prev = h[1]
		}
		if ValidEmoji(text) && (len(text) > 64 || utf8.RuneCountInString(text) > 16) {
			t.Fatalf("ValidEmoji accepted %d bytes, %d code points", len(text), utf8.RuneCountInString(text))
		}
		if ex := Excerpt(text); utf8.RuneCountInString(ex) > ExcerptMax+1 {
			t.Fatalf("Excerpt has %d code points", utf8.RuneCountInString(ex))
		}
	})
}
