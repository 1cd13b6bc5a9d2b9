package chat

import (
	"unicode"
	"unicode/utf16"
)

// Search limits of behavior.md §8.
const (
	SearchQueryMax      = 200
	SearchHighlightsMax = 20
	// SearchShortScan bounds the scan behind 1–2 character queries, which
	// the trigram index cannot serve.
	SearchShortScan = 20000
)

// fold maps a rune to the smallest rune of its simple case-folding orbit,
// so two runes match case-insensitively exactly when their folds are equal.
func fold(r rune) rune {
	min := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < min {
			min = f
		}
	}
	return min
}

// Highlights returns every non-overlapping case-insensitive match of q in
// text, in order, at most 20, as [start, end) offsets in UTF-16 code
// units, which is how the browser indexes strings.
func Highlights(text, q string) [][2]int {
	qr := []rune(q)
	if len(qr) == 0 {
		return [][2]int{}
	}
	for i, r := range qr {
		qr[i] = fold(r)
	}
	tr := []rune(text)
	// offsets[i] is the UTF-16 offset of rune i.
	offsets := make([]int, len(tr)+1)
	for i, r := range tr {
		offsets[i+1] = offsets[i] + len(utf16.Encode([]rune{r}))
	}
	out := [][2]int{}
	for i := 0; i+len(qr) <= len(tr) && len(out) < SearchHighlightsMax; {
		match := true
		for j, q := range qr {
			if fold(tr[i+j]) != q {
				match = false
				break
			}
		}
		if match {
			out = append(out, [2]int{offsets[i], offsets[i+len(qr)]})
			i += len(qr)
			continue
		}
		i++
	}
	return out
}

// ContainsFold reports whether text holds q case-insensitively.
func ContainsFold(text, q string) bool {
	return len(q) == 0 || len(Highlights(text, q)) > 0
}
