package chat

import (
	"reflect"
	"strings"
	"testing"
)

func TestMentions(t *testing.T) {
	readers := map[string]string{"bob": "Bob", "carol": "carol", "a-b_c": "A-b_C"}
	tests := []struct {
		text     string
		want     []string
		everyone bool
	}{
		{"hi @bob", []string{"Bob"}, false},
		{"@bob, and @BOB again", []string{"Bob"}, false},
		{"@carol @bob", []string{"carol", "Bob"}, false},
		{"mail bob@example.com", nil, false},
		{"path x/@bob", nil, false},
		{"@@bob", nil, false},
		{"_@bob", nil, false},
		{"(@bob)", []string{"Bob"}, false},
		{"@everyone look", nil, true},
		{"@EveryOne @carol", []string{"carol"}, true},
		{"@dave is not here", nil, false},
		{"@a-b_c!", []string{"A-b_C"}, false},
		{"é@bob", nil, false},
		{"—@bob", []string{"Bob"}, false},
		{"@", nil, false},
	}
	for _, tt := range tests {
		got, every := Mentions(tt.text, readers)
		if !reflect.DeepEqual(got, tt.want) || every != tt.everyone {
			t.Errorf("Mentions(%q) = %v, %v; want %v, %v", tt.text, got, every, tt.want, tt.everyone)
		}
	}
}

func TestNormalizeText(t *testing.T) {
	tests := []struct {
		in, want string
		max      int
		ok       bool
	}{
		{"hi  \t\r\n", "hi", 10, true},
		{"  lead", "  lead", 10, true},
		{"<script>{{x}}%s\t\u200b😀", "<script>{{x}}%s\t\u200b😀", 100, true},
		{strings.Repeat("é", 10), strings.Repeat("é", 10), 10, true},
		{strings.Repeat("é", 11), "", 10, false},
		{"a\x00b", "", 10, false},
		{"", "", 10, true},
	}
	for _, tt := range tests {
		got, err := NormalizeText(tt.in, tt.max)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("NormalizeText(%q) = %q, %v", tt.in, got, err)
		}
	}
}

func TestValidEmoji(t *testing.T) {
	good := []string{"👍", "😀", "❤️", "👍🏽", "👨‍👩‍👧", "🇫🇷", "1️⃣", "#️⃣", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "©️", "⭐"}
	bad := []string{"", "a", "ab", "1", "👍 ", " 👍", "<b>", "\u200d", "🏽", strings.Repeat("👍", 17), "x👍"}
	for _, s := range good {
		if !ValidEmoji(s) {
			t.Errorf("ValidEmoji(%q) = false", s)
		}
	}
	for _, s := range bad {
		if ValidEmoji(s) {
			t.Errorf("ValidEmoji(%q) = true", s)
		}
	}
}

func TestExcerptAndClientID(t *testing.T) {
	if got := Excerpt("short"); got != "short" {
		t.Errorf("Excerpt(short) = %q", got)
	}
	long := strings.Repeat("é", 250)
	if got := Excerpt(long); got != strings.Repeat("é", 200)+"…" {
		t.Errorf("Excerpt(250 chars) has %d runes", len([]rune(got)))
	}
	for id, ok := range map[string]bool{"abc-123": true, "": false, strings.Repeat("x", 64): true, strings.Repeat("x", 65): false, "a b": true, "a\tb": false, "é": false} {
		if ValidClientID(id) != ok {
			t.Errorf("ValidClientID(%q) != %v", id, ok)
		}
	}
}

func TestDMNameAndChannelNames(t *testing.T) {
	if got := DMName([]string{"carol", "Bob", "alice"}, "ALICE"); got != "Bob, carol" {
		t.Errorf("DMName = %q", got)
	}
	for name, ok := range map[string]bool{"general": true, "off-topic": true, "a.b_c": true, "": false, "has space": false, strings.Repeat("a", 80): true, strings.Repeat("a", 81): false, "é": false} {
		if ValidPublicName(name) != ok {
			t.Errorf("ValidPublicName(%q) != %v", name, ok)
		}
	}
	for name, ok := range map[string]bool{" Plans 2026 ": true, "": false, "a\nb": false, strings.Repeat("é", 80): true, strings.Repeat("é", 81): false} {
		if _, err := NormalizePrivateName(name); (err == nil) != ok {
			t.Errorf("NormalizePrivateName(%q) err = %v", name, err)
		}
	}
}
