package main

import (
	"strings"

	"github.com/kljensen/snowball/english"
)

// term maps a lower-case word or space-separated phrase to the index terms
// the keyword index would give it, joined by spaces. It follows
// retrieval/token.go: words of three letters or fewer, and words with
// digits, stay whole; others are stemmed with snowball English. A pair
// whose terms are equal is already conflated by the index and is left out
// of the table.
func term(s string) string {
	var terms []string
	for _, w := range strings.Fields(s) {
		switch {
		case stopWords[w]:
			continue // the index drops it
		case len(w) > 3 && !strings.ContainsAny(w, "0123456789"):
			if t := english.Stem(w, true); t != "" {
				w = t
			}
		}
		terms = append(terms, w)
	}
	return strings.Join(terms, " ")
}

// clean reports whether s is an entry the table can hold: lower-case ASCII
// letters, with single inner spaces, hyphens or apostrophes, of at most
// maxWords words. The keyword index keeps inner hyphens and apostrophes in
// a token ("second-in-command", "o'clock") and splits at spaces, so these
// forms are the ones that can match running text. Entries with digits,
// periods ("u.s.") or other characters are not.
func clean(s string, maxWords int) bool {
	if s == "" || strings.Count(s, " ")+1 > maxWords {
		return false
	}
	for _, w := range strings.Split(s, " ") {
		if w == "" || !isLetter(w[0]) || !isLetter(w[len(w)-1]) {
			return false
		}
		for i := 0; i < len(w); i++ {
			c := w[i]
			if !isLetter(c) && c != '-' && c != '\'' {
				return false
			}
			if (c == '-' || c == '\'') && !isLetter(w[i+1]) {
				return false
			}
		}
	}
	return true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' }

// letters counts the letters of s.
func letters(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if isLetter(s[i]) {
			n++
		}
	}
	return n
}

// capitalised reports whether a WordNet word form has an upper-case
// letter: a proper noun or a word derived from one ("France", "French").
func capitalised(form string) bool { return strings.ToLower(form) != form }

// isStop reports whether a single word is a stop word of the keyword
// index, which drops it from queries and documents alike, so a relation to
// or from it can never be used.
func isStop(w string) bool { return stopWords[w] }

// allStop reports whether every word of a phrase is a stop word.
func allStop(s string) bool {
	for _, w := range strings.Fields(s) {
		if !stopWords[w] {
			return false
		}
	}
	return true
}

// stopWords is a copy of the stop-word list in retrieval/token.go, which
// the generator cannot import (it is unexported). TestStopWordsInSync
// fails when the two differ; then update this copy and regenerate the
// table.
var stopWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an and are as at be been being but by can could did do does
	for from had has have having he her hers him his how i if in into is it its me my of on or our
	ours she so than that the their theirs them then there these they this those to too us was we
	were what when where which while who whom why will with would you your yours also about after
	before over under again further once here all any both each few more most other some such only
	own same very just should now said says say whatever whichever however whoever many much get gets
	got getting make makes made let lets may might must shall am ever yet either neither nor per via
	upon onto within without among whether`) {
		m[w] = true
	}
	return m
}()
