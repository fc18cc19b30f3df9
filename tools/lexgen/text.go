package main

import (
	"strings"

	"github.com/newsbot/newsbot/retrieval/text"
)

// term maps a lower-case word or space-separated phrase to the index terms
// the keyword index would give it, joined by spaces: the index's own rule
// (text.Stem, text.StopWord) without the irregular forms this
// table adds. A pair
// whose terms are equal is already conflated by the index and is left out
// of the table.
func term(s string) string {
	var terms []string
	for _, w := range strings.Fields(s) {
		if text.StopWord(w) {
			continue // the index drops it
		}
		terms = append(terms, text.Stem(w))
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
func isStop(w string) bool { return text.StopWord(w) }

// allStop reports whether every word of a phrase is a stop word.
func allStop(s string) bool {
	for _, w := range strings.Fields(s) {
		if !text.StopWord(w) {
			return false
		}
	}
	return true
}
