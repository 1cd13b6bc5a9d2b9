package media

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameLen is the most code points CleanName keeps.
const MaxNameLen = 200

// maxExtLen bounds, in code points and counting the dot, what CleanName
// treats as an extension worth keeping; anything longer is just part of an
// over-long name and gets cut like the rest of it.
const maxExtLen = 16

// CleanName reduces a client's file name to the display name stored for an
// upload: the last path element (both / and \ separate), without control
// characters, line or paragraph separators and bidirectional controls, with
// each of <>:"|?* replaced by _, without leading or trailing dots and
// spaces, and at most MaxNameLen code points with the extension kept.
// Invalid UTF-8 becomes U+FFFD; an empty result is "file".
func CleanName(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case dropped(r):
			return -1
		case strings.ContainsRune(`<>:"|?*`, r): // no / or \ is left to replace
			return '_'
		}
		return r
	}, name)
	name = strings.Trim(name, ". ")
	name = truncate(name)
	// Cutting a name without a kept extension can expose a dot or space.
	name = strings.TrimRight(name, ". ")
	if name == "" {
		return "file"
	}
	return name
}

// dropped reports the characters a name loses entirely. Besides C0, DEL and
// C1, the line and paragraph separators break the one-line display, and the
// bidirectional controls let "evil\u202egpj.exe" look like "evilexe.jpg".
func dropped(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r)
}

// truncate cuts name to MaxNameLen code points, taking them from the stem so
// that the type a user sees in the name survives.
func truncate(name string) string {
	n := utf8.RuneCountInString(name)
	if n <= MaxNameLen {
		return name
	}
	stem, ext := name, ""
	if i := strings.LastIndexByte(name, '.'); i > 0 && utf8.RuneCountInString(name[i:]) <= maxExtLen {
		stem, ext = name[:i], name[i:]
	}
	return firstRunes(stem, MaxNameLen-utf8.RuneCountInString(ext)) + ext
}

func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// ContentDisposition returns the Content-Disposition header of a download
// (RFC 6266): inline or attachment, a quoted ASCII fallback filename for old
// clients, and the exact name percent-encoded as UTF-8 in filename* (RFC
// 8187). Pass the stored name, a CleanName result.
func ContentDisposition(inline bool, name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	var b strings.Builder
	if inline {
		b.WriteString("inline")
	} else {
		b.WriteString("attachment")
	}
	b.WriteString(`; filename="`)
	for _, r := range name {
		// Control characters are replaced too: a CR or LF here would split
		// the header.
		if r >= utf8.RuneSelf || r < 0x20 || r == 0x7f || r == '"' || r == '\\' {
			r = '_'
		}
		b.WriteRune(r)
	}
	b.WriteString(`"; filename*=UTF-8''`)
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(name); i++ {
		if c := name[i]; isAttrChar(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
	}
	return b.String()
}

// isAttrChar reports the bytes RFC 8187's attr-char lets through unencoded.
func isAttrChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}
