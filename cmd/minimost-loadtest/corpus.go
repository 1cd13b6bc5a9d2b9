package main

import (
	"math/rand/v2"
	"strings"
)

// corpus makes the seeded message texts and the search queries. A message
// is 3 to 14 words: most are common English and team-chat words, drawn with
// a Zipf law as words are in real text; about one in seven is a "rare
// token" (a name, an identifier, a typo), drawn with a Zipf law from a long
// tail of made-up words whose letters follow English letter frequencies.
// So the trigram index sees what it sees in practice: a few trigrams in
// most messages, a long tail in few. Everything derives from fixed seeds:
// every run and machine searches the same kind of database for the same
// words.
type corpus struct {
	tail     []string
	rng      *rand.Rand
	common   *rand.Zipf
	rare     *rand.Zipf
	rareOdds int // one word in rareOdds is a rare token
}

const tailSize = 50000

// letterWeights are English letter frequencies per 10 000 letters.
var letterWeights = [26]int{
	817, 149, 278, 425, 1270, 223, 202, 609, 697, 15, 77, 403, 241,
	675, 751, 193, 10, 599, 633, 906, 276, 98, 236, 15, 197, 7,
}

func newCorpus(seed uint64) *corpus {
	wr := rand.New(rand.NewPCG(1, 2))
	var cum [26]int
	total := 0
	for i, w := range letterWeights {
		total += w
		cum[i] = total
	}
	letter := func() byte {
		n := wr.IntN(total)
		for i, c := range cum {
			if n < c {
				return byte('a' + i)
			}
		}
		return 'z'
	}
	seen := make(map[string]bool, tailSize+len(englishWords))
	for _, w := range englishWords {
		seen[w] = true
	}
	tail := make([]string, 0, tailSize)
	for len(tail) < tailSize {
		b := make([]byte, 4+wr.IntN(8))
		for i := range b {
			b[i] = letter()
		}
		if w := string(b); !seen[w] {
			seen[w] = true
			tail = append(tail, w)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 7))
	return &corpus{
		tail:     tail,
		rng:      rng,
		common:   rand.NewZipf(rng, 1.1, 1, uint64(len(englishWords)-1)),
		rare:     rand.NewZipf(rng, 1.1, 1, tailSize-1),
		rareOdds: 7,
	}
}

// message returns one message text (about 45 characters on average).
func (c *corpus) message() string {
	n := 3 + c.rng.IntN(12)
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		if c.rng.IntN(c.rareOdds) == 0 {
			b.WriteString(c.tail[c.rare.Uint64()])
		} else {
			b.WriteString(englishWords[c.common.Uint64()])
		}
	}
	return b.String()
}

// searchQuery is one query of the measured mix.
type searchQuery struct {
	class string
	q     string
}

// searchQueries is the measured mix: what people type into a search box,
// from words in a large share of the messages to tokens in a handful, a
// two-word phrase, a word prefix, a word that is nowhere, and a
// two-character query (served by the bounded scan, not the trigram index).
func (c *corpus) searchQueries() []searchQuery {
	var qs []searchQuery
	for _, w := range []string{"what", "build", "deploy"} {
		qs = append(qs, searchQuery{"common word", w})
	}
	for _, w := range []string{"firmware", "rollback", "certificate", "kubernetes"} {
		qs = append(qs, searchQuery{"less common word", w})
	}
	for _, r := range []int{300, 3000, 15000, 40000} {
		qs = append(qs, searchQuery{"rare token", c.tail[r]})
	}
	qs = append(qs,
		searchQuery{"two-word phrase", "the build"},
		searchQuery{"word prefix", "deplo"},
		searchQuery{"absent word", "xyzzyplugh"},
		searchQuery{"two characters (scan)", "qu"},
	)
	return qs
}
