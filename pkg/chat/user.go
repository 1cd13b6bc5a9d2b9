package chat

import (
	"strings"
	"unicode/utf8"
)

// Presence states of api.md §2.
const (
	PresenceActive  = "active"
	PresenceIdle    = "idle"
	PresenceHidden  = "hidden"
	PresenceOffline = "offline"
)

// SystemAuthor is the author name of messages the server writes.
const SystemAuthor = "MiniMost"

// DeletedAuthor is how a deleted account's messages are signed.
const DeletedAuthor = "Deleted User"

// User is an account as every API answer shows it.
type User struct {
	Username  string  `json:"username"`
	NameColor *string `json:"name_color"`
	HasAvatar bool    `json:"has_avatar"`
	AvatarURL *string `json:"avatar_url"`
	Presence  string  `json:"presence"`
	Deleted   bool    `json:"deleted"`
	Bio       string  `json:"bio"`
}

// Username limits of behavior.md §3.1.
const (
	UsernameMaxLength = 32
	BioMaxLength      = 160
)

// reservedUsernames shadow names the server itself uses in text.
var reservedUsernames = map[string]bool{
	"minimost": true, "everyone": true, "deleteduser": true, "system": true,
}

// UsernameKey is the case-insensitive identity of a username: usernames are
// ASCII, so ASCII folding is the whole of Unicode simple folding here.
func UsernameKey(name string) string {
	return strings.ToLower(name)
}

// NormalizeUsername trims the submitted value and checks the pattern and
// the reserved names, in that order (behavior.md §3.1).
func NormalizeUsername(raw string) (string, error) {
	name := strings.TrimSpace(raw)
	if name == "" || len(name) > UsernameMaxLength {
		return "", FieldError(EInvalidUsername, "username", "a username has 1 to %d characters", UsernameMaxLength)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return "", FieldError(EInvalidUsername, "username", "a username may hold only letters A–Z, digits, _ and -")
		}
	}
	if reservedUsernames[UsernameKey(name)] {
		return "", FieldError(EReservedUsername, "username", "%q is reserved", name)
	}
	return name, nil
}

// NormalizeNameColor accepts #rrggbb in any case and returns it lower-case.
func NormalizeNameColor(c string) (string, error) {
	if len(c) != 7 || c[0] != '#' {
		return "", FieldError(EBadRequest, "name_color", "a colour is #rrggbb or null")
	}
	for i := 1; i < 7; i++ {
		if !isHex(c[i]) {
			return "", FieldError(EBadRequest, "name_color", "a colour is #rrggbb or null")
		}
	}
	return strings.ToLower(c), nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// NormalizeBio trims a bio and checks its length and characters.
func NormalizeBio(b string) (string, error) {
	b = strings.TrimSpace(b)
	if utf8.RuneCountInString(b) > BioMaxLength {
		return "", FieldError(EBadRequest, "bio", "a bio has at most %d characters", BioMaxLength)
	}
	if HasControl(b) {
		return "", FieldError(EBadRequest, "bio", "a bio may not hold control characters")
	}
	return b, nil
}

// HasControl reports C0 and C1 control characters and the line and
// paragraph separators, which break one-line display.
func HasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r >= 0x7f && r <= 0x9f || r == 0x2028 || r == 0x2029 {
			return true
		}
	}
	return !utf8.ValidString(s)
}
