package main

import (
	"sort"
)

// Derivational family rules. famMaxRank bounds the sense rank (by tag
// count, within its part of speech) of the senses a pair joins: for a
// pertainym, the adjective's or adverb's sense; for a derivationally
// related form, both senses, of which at least one must also be tagged.
// famMinPrefix is the shortest common prefix that counts as a shared stem
// for derivationally related forms; it must also be at least half the
// shorter word ("emit"/"emission": 3 of 4; "elect"/"eligible": 2, no).
const (
	famMaxRank   = 2
	famMinPrefix = 3
)

// A familyPair is two words of one derivational family: an adjective or
// adverb and the word it pertains to ("french", "france"), or two
// derivationally related forms ("economist", "economy"). a < b.
type familyPair struct {
	a, b      string
	pertainym bool
}

// familyPairs returns the family pairs, sorted. It reads pertainym ("\")
// pointers from adjectives and adverbs, and derivationally related form
// ("+") pointers from every part of speech; both are lexical pointers,
// from one word of a synset to one word of another. A pair is left out
// when the stemmer already conflates it ("nation"/"national" both index
// as "nation"), either word is a phrase, shorter than three letters or a
// stop word, or either word is written in its lemma's minor case (see
// minorCase). Pertainyms are kept whatever their spelling ("france"/
// "french", "moon"/"lunar"), when the pertaining sense ranks within
// famMaxRank; derivationally related forms need a shared stem and
// frequent senses.
func familyPairs(wn *wordnet) []familyPair {
	seen := map[[2]string]int{}
	var out []familyPair
	for _, id := range sortedIDs(wn) {
		s := wn.synsets[id]
		for _, pt := range s.pointers {
			pert := pt.symbol == "\\"
			if (!pert && pt.symbol != "+") || pt.source == 0 || pt.dest == 0 {
				continue
			}
			t := wn.synsets[pt.target]
			ma, mb := s.members[pt.source-1], t.members[pt.dest-1]
			a, b := ma.lemma, mb.lemma
			if a == b || !clean(a, 1) || !clean(b, 1) || len(a) < 3 || len(b) < 3 || isStop(a) || isStop(b) {
				continue
			}
			if term(a) == term(b) || wn.minorCase(ma.form) || wn.minorCase(mb.form) {
				continue
			}
			sa, _ := wn.senseOf(a, id)
			sb, _ := wn.senseOf(b, pt.target)
			if pert {
				if sa.rank > famMaxRank {
					continue
				}
			} else {
				if sa.rank > famMaxRank || sb.rank > famMaxRank || sa.tags+sb.tags == 0 || !sharedStem(a, b) {
					continue
				}
			}
			if a > b {
				a, b = b, a
			}
			k := [2]string{a, b}
			if i, ok := seen[k]; ok {
				out[i].pertainym = out[i].pertainym || pert
				continue
			}
			seen[k] = len(out)
			out = append(out, familyPair{a: a, b: b, pertainym: pert})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].a != out[j].a {
			return out[i].a < out[j].a
		}
		return out[i].b < out[j].b
	})
	return out
}

// sharedStem reports whether a and b begin alike: a common prefix of at
// least famMinPrefix letters and half the shorter word.
func sharedStem(a, b string) bool {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n >= famMinPrefix && 2*n >= min(len(a), len(b))
}

// sortedIDs returns every synset ID, by part of speech and offset, so that
// walks over the database are deterministic.
func sortedIDs(wn *wordnet) []synsetID {
	ids := make([]synsetID, 0, len(wn.synsets))
	for id := range wn.synsets {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool {
		if ids[i].p != ids[j].p {
			return ids[i].p < ids[j].p
		}
		return ids[i].offset < ids[j].offset
	})
	return ids
}
