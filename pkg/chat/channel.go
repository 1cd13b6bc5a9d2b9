package chat

import (
	"strings"
	"unicode/utf8"
)

// Channel kinds of api.md §2.
const (
	KindPublic  = "public"
	KindPrivate = "private"
	KindDM      = "dm"
)

// Limits of behavior.md §4.
const (
	ChannelNameMax    = 80
	PrivateMembersMax = 256
	DMMembersMin      = 2
	DMMembersMax      = 9
)

// Channel is a conversation as one viewer sees it.
type Channel struct {
	ID            int64    `json:"id"`
	Kind          string   `json:"kind"`
	Name          string   `json:"name"`
	Members       []string `json:"members"`
	CreatedBy     *string  `json:"created_by"`
	CreatedAt     int64    `json:"created_at"`
	Unread        int      `json:"unread"`
	Mentions      int      `json:"mentions"`
	LastMessageAt *int64   `json:"last_message_at"`
	LastReadID    *int64   `json:"last_read_id"`
	Hidden        bool     `json:"hidden"`
}

// ValidPublicName reports whether a settings channel name is allowed:
// 1–80 characters of a–z A–Z 0–9 - _ . (behavior.md §4.1).
func ValidPublicName(name string) bool {
	if name == "" || len(name) > ChannelNameMax {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// NormalizePrivateName trims a private channel's name and checks it.
func NormalizePrivateName(name string) (string, error) {
	name = strings.TrimSpace(name)
	if n := utf8.RuneCountInString(name); n < 1 || n > ChannelNameMax || HasControl(name) {
		return "", FieldError(EBadRequest, "name", "a channel name has 1 to %d characters and no control characters", ChannelNameMax)
	}
	return name, nil
}

// DMName is a DM's name from one viewer's side: the other members sorted
// case-insensitively, joined with ", ".
func DMName(members []string, viewer string) string {
	var others []string
	for _, m := range members {
		if !strings.EqualFold(m, viewer) {
			others = append(others, m)
		}
	}
	SortNames(others)
	return strings.Join(others, ", ")
}

// SortNames sorts usernames case-insensitively, ties by spelling.
func SortNames(names []string) {
	for i := 1; i < len(names); i++ {
		for j := i; j > 0 && nameLess(names[j], names[j-1]); j-- {
			names[j], names[j-1] = names[j-1], names[j]
		}
	}
}

func nameLess(a, b string) bool {
	ka, kb := UsernameKey(a), UsernameKey(b)
	if ka != kb {
		return ka < kb
	}
	return a < b
}
