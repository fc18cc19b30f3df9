// Package lexicon is a word table derived from WordNet 3.0, for bridging
// the words a question uses and the words an article uses where stemming
// cannot: irregular inflections ("won" → "win", "children" → "child"),
// derivational families ("french" ~ "france", "presidential" ~
// "president") and synonyms of frequent senses ("fired" ~ "sacked",
// "film" ~ "movie").
//
// The table, lexicon.tsv, is embedded in the binary. It is generated from
// the WordNet database files by tools/lexgen, and derived from WordNet
// under the WordNet 3.0 licence, whose notice is in WORDNET-LICENSE beside
// it ("WordNet 3.0 Copyright 2006 by Princeton University"). README.md
// describes the relations, the filtering rules and the command that
// regenerates the table.
//
// All words, in and out, are lower case; phrases have single spaces
// ("chief executive"). Pairs the keyword index's snowball stemmer already
// conflates are not in the table ("national" and "nation" both index as
// "nation"), so a lookup that finds nothing may still be a match.
package lexicon

import (
	_ "embed"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
)

//go:embed lexicon.tsv
var table string

// A Lexicon answers lookups in the embedded table. It is immutable and
// safe for concurrent use; a nil *Lexicon finds nothing, so a caller can
// switch the lexicon off by passing nil.
type Lexicon struct {
	// data is the table: comment lines, then data lines sorted by kind
	// and head word, each ending in a newline. Lookups binary-search it
	// in place, so nothing is parsed up front.
	data string
	// start is the offset of the first data line.
	start int
}

// Kinds of data line, the first field of each.
const (
	kindBase     = 'b'
	kindFamily   = 'f'
	kindSynonyms = 's'
	kindWord     = 'w'
)

// New returns the lexicon of the embedded table. It does not parse the
// table: it skips its comment lines, and lookups binary-search the sorted
// lines where they are, so New costs well under a microsecond and holds
// no memory beyond the embedded string.
func New() *Lexicon { return newLexicon(table) }

// newLexicon returns a lexicon reading a table in the lexgen format.
func newLexicon(data string) *Lexicon {
	if data != "" && !strings.HasSuffix(data, "\n") {
		data += "\n"
	}
	start := 0
	for start < len(data) && data[start] == '#' {
		start += strings.IndexByte(data[start:], '\n') + 1
	}
	return &Lexicon{data: data, start: start}
}

// lookup returns the fields after the head word of the line of the given
// kind whose head is word, or nil.
func (l *Lexicon) lookup(kind byte, word string) []string {
	if l == nil || word == "" || strings.ContainsAny(word, "\t\n") {
		return nil
	}
	// Find the first line whose key is not less than (kind, word). lo
	// and hi are line starts; lines before lo are less, lines from hi on
	// are not.
	lo, hi := l.start, len(l.data)
	for lo < hi {
		mid := lo + (hi-lo)/2
		ls := lo
		if i := strings.LastIndexByte(l.data[lo:mid], '\n'); i >= 0 {
			ls = lo + i + 1
		}
		le := ls + strings.IndexByte(l.data[ls:], '\n')
		if k, head := key(l.data[ls:le]); k < kind || (k == kind && head < word) {
			lo = le + 1
		} else {
			hi = ls
		}
	}
	if lo >= len(l.data) {
		return nil
	}
	line := l.data[lo : lo+strings.IndexByte(l.data[lo:], '\n')]
	if k, head := key(line); k != kind || head != word {
		return nil
	}
	return strings.Split(line, "\t")[2:]
}

// has reports whether the table has a line of the given kind for word (a
// found line's fields are an empty, non-nil slice when it has none).
func (l *Lexicon) has(kind byte, word string) bool { return l.lookup(kind, word) != nil }

// key returns the kind and head word of a data line.
func key(line string) (byte, string) {
	if len(line) < 2 {
		return 0, ""
	}
	head := line[2:]
	if end := strings.IndexByte(head, '\t'); end >= 0 {
		head = head[:end]
	}
	return line[0], head
}

// Base returns the base form of an irregular inflection: "won" → "win",
// "paid" → "pay", "children" → "child", "mice" → "mouse", "better" →
// "good", "women" → "woman". Regular forms, which the stemmer handles,
// are not in the table, and neither are forms that are also frequent
// words of another meaning ("left" is not taken for "leave", nor "lay"
// for "lie"). The second result reports whether word is in the table.
func (l *Lexicon) Base(word string) (string, bool) {
	f := l.lookup(kindBase, word)
	if len(f) == 0 {
		return "", false
	}
	return f[0], true
}

// Family returns the derivational relatives of word, sorted: the noun an
// adjective or adverb pertains to and back ("french" → "france", "spain"
// → "spanish", "presidential" → "president"), and derivationally related
// forms that share a stem ("economist" → "economy"). The relation is
// symmetric and not transitive.
func (l *Lexicon) Family(word string) []string {
	return l.lookup(kindFamily, word)
}

// Known reports whether word is an ordinary English word — one WordNet
// writes in lower case in some sense ("manure", "bloke", "octopus") — in
// any inflection: the irregular ones of the table, and the regular ones
// by WordNet's own detachment rules (morphy: "starving" → "starve",
// "tallest" → "tall", "churches" → "church"). Names are not ordinary
// words ("kazakhstan", "raskin"), nor is anything WordNet lacks
// ("iphone").
func (l *Lexicon) Known(word string) bool {
	_, ok := l.Frequency(word)
	return ok
}

// Frequency returns how often WordNet's semantic concordances tag an
// ordinary word (its dictionary form, as Known finds it; the most of its
// forms): "think" 590, "start" 319, "big" 122, "manure" 4, "octopus" 0. It
// measures how common the word is in English, so that a common word the
// articles lack ("think") counts for less than an uncommon one
// ("octopus"). ok is false when the word is not an ordinary word.
func (l *Lexicon) Frequency(word string) (tags int, ok bool) {
	if l == nil || word == "" {
		return 0, false
	}
	try := func(w string) {
		if f := l.lookup(kindWord, w); f != nil {
			ok = true
			if len(f) > 0 {
				if n, err := strconv.Atoi(f[0]); err == nil {
					tags = max(tags, n)
				}
			}
		}
	}
	try(word)
	if b, isBase := l.Base(word); isBase {
		try(b)
	}
	for _, r := range detachments {
		if stem, cut := strings.CutSuffix(word, r.suffix); cut && stem != "" {
			try(stem + r.ending)
		}
	}
	return tags, ok
}

// Lemmas returns the dictionary forms word may be an inflection of, for
// looking up its relations ("fired" → "fire", "kids" → "kid", "bought" →
// "buy"): its irregular base if it has one; else, for a form ending in
// -ed or -ing, the verbs morphy's detachment rules give ("sacked" is "to
// sack", not WordNet's adjective "sacked", whose synonym is "raped"); else
// the word itself when WordNet knows it ("news", not "new"), or the forms
// the other detachment rules give. Nil when WordNet knows none.
func (l *Lexicon) Lemmas(word string) []string {
	if l == nil || word == "" {
		return nil
	}
	if b, ok := l.Base(word); ok {
		return []string{b}
	}
	detach := func(keep func(suffix string) bool) []string {
		var out []string
		for _, r := range detachments {
			if !keep(r.suffix) {
				continue
			}
			if stem, ok := strings.CutSuffix(word, r.suffix); ok && len(stem) > 1 {
				if c := stem + r.ending; l.has(kindWord, c) && !slices.Contains(out, c) {
					out = append(out, c)
				}
			}
		}
		return out
	}
	if strings.HasSuffix(word, "ed") || strings.HasSuffix(word, "ing") {
		// The first rule that gives a word wins, "-ed" → "-e" before "-ed"
		// → "": "fired" is "fire", not "fir".
		if out := detach(func(s string) bool { return s == "ed" || s == "ing" }); len(out) > 0 {
			return out[:1]
		}
	}
	if l.has(kindWord, word) {
		return []string{word}
	}
	return detach(func(string) bool { return true })
}

// detachments are WordNet's morphy rules for regular inflections, for
// nouns, verbs and adjectives together: the suffix to remove and the
// ending to put back.
var detachments = []struct{ suffix, ending string }{
	{"s", ""}, {"ses", "s"}, {"xes", "x"}, {"zes", "z"}, {"ches", "ch"}, {"shes", "sh"}, {"men", "man"}, {"ies", "y"},
	{"es", "e"}, {"es", ""}, {"ed", "e"}, {"ed", ""}, {"ing", "e"}, {"ing", ""},
	{"er", ""}, {"est", ""}, {"er", "e"}, {"est", "e"},
}

// A Synonym is a word sharing a WordNet synset with the looked-up word.
type Synonym struct {
	// Word is the synonym, a single word or a phrase of up to three
	// ("give the axe").
	Word string
	// Weight, in (0, 1], is 1/sqrt(r1·r2), where r1 is the rank of the
	// shared sense among the looked-up word's senses and r2 its rank among
	// the synonym's (1 is a word's most frequent sense): 1 when the shared
	// meaning is the usual one of both words, 0.35 for "fire" ~ "sack"
	// (ranks 4 and 2).
	Weight float64
}

// Synonyms returns the synonyms of word, the strongest first (ties in word
// order). Only senses that are frequent for both words join a pair, so
// the list is short or empty for most words.
func (l *Lexicon) Synonyms(word string) []Synonym {
	f := l.lookup(kindSynonyms, word)
	if len(f) == 0 {
		return nil
	}
	out := make([]Synonym, 0, len(f))
	for _, e := range f {
		s, ok := parseSynonym(e)
		if ok {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Weight != out[j].Weight {
			return out[i].Weight > out[j].Weight
		}
		return out[i].Word < out[j].Word
	})
	return out
}

// parseSynonym parses a synonym entry, "word:r1:r2".
func parseSynonym(e string) (Synonym, bool) {
	rest, r2s, ok1 := cutLast(e, ':')
	w, r1s, ok2 := cutLast(rest, ':')
	r1, err1 := strconv.Atoi(r1s)
	r2, err2 := strconv.Atoi(r2s)
	if !ok1 || !ok2 || err1 != nil || err2 != nil || r1 < 1 || r2 < 1 || w == "" {
		return Synonym{}, false
	}
	return Synonym{Word: w, Weight: 1 / math.Sqrt(float64(r1*r2))}, true
}

// cutLast slices s around the last sep.
func cutLast(s string, sep byte) (before, after string, found bool) {
	if i := strings.LastIndexByte(s, sep); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}
