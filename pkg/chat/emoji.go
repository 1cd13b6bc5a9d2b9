package chat

import "unicode"

// ValidEmoji reports whether s is one emoji as behavior.md §5.5 defines:
// 1–16 code points, at most 64 bytes, each pictographic, a modifier, a
// regional indicator, a joiner or qualifier, a keycap after 0–9 # *, or a
// tag character; at least one pictographic or regional indicator.
func ValidEmoji(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	n, picto := 0, false
	prev := rune(-1)
	for _, r := range s {
		n++
		if n > 16 || r == unicode.ReplacementChar {
			return false
		}
		switch {
		case isPictographic(r):
			picto = true
		case r >= 0x1F1E6 && r <= 0x1F1FF: // regional indicators
			picto = true
		case r >= 0x1F3FB && r <= 0x1F3FF: // skin-tone modifiers
		case r == 0x200D || r == 0xFE0F:
		case r == 0x20E3:
			if !(prev >= '0' && prev <= '9' || prev == '#' || prev == '*' || prev == 0xFE0F) {
				return false
			}
		case r >= 0xE0020 && r <= 0xE007F: // tags (subdivision flags)
		case r >= '0' && r <= '9' || r == '#' || r == '*':
			// Only as the base of a keycap, checked when 20E3 follows.
		default:
			return false
		}
		prev = r
	}
	if !picto {
		// A keycap sequence (1️⃣) has no pictographic code point but is one
		// emoji all the same.
		return prev == 0x20E3
	}
	return true
}

// isPictographic approximates Unicode's Extended_Pictographic property with
// the blocks it covers; Go's unicode tables do not carry that property.
func isPictographic(r rune) bool {
	switch {
	case r == 0x00A9 || r == 0x00AE || r == 0x203C || r == 0x2049 || r == 0x2122 || r == 0x2139:
		return true
	case r >= 0x2194 && r <= 0x21AA, r >= 0x231A && r <= 0x23FF, r >= 0x24C2 && r <= 0x24C2:
		return true
	case r >= 0x25AA && r <= 0x27BF, r >= 0x2934 && r <= 0x2935, r >= 0x2B05 && r <= 0x2B55:
		return true
	case r == 0x3030 || r == 0x303D || r == 0x3297 || r == 0x3299:
		return true
	case r >= 0x1F000 && r <= 0x1F0FF, r >= 0x1F10D && r <= 0x1F1AD, r >= 0x1F201 && r <= 0x1F2FF:
		return true
	case r >= 0x1F300 && r <= 0x1F3FA, r >= 0x1F400 && r <= 0x1FAFF:
		return true
	}
	return false
}
