package main

import (
	"sort"
)

// Synonym rules. A word's sense in a synset stands for the word when it is
// among its most frequent senses, by the tag counts of the semantic
// concordances (rank: 1 + the number of the word's senses in that part of
// speech with more tags, ties in WordNet's order):
//
//   - rank 1;
//   - rank 2, when it holds at least 1/synMinShare of the word's tags in
//     that part of speech, or the word's evidence is thin (fewer than
//     synThinTags tags over all parts of speech, so WordNet's own order is
//     all there is to go by: "resign", "sack");
//   - rank 3 to synMaxRank, when it has at least synMinTags tags and
//     1/synMinShare of the word's tags: a secondary sense with real
//     evidence ("fire", dismiss: rank 4, 7 of 71 verb tags).
//
// Untagged senses of words with more than thin evidence never qualify
// ("cop", to steal, next to the tagged noun). A pair needs both words to
// qualify and at least one of them tagged in that synset.
const (
	synMaxRank  = 4
	synMinTags  = 5
	synMinShare = 20
	synThinTags = 10
	synMaxWords = 3
	synMinLen   = 3
)

// A synonymPair is two words sharing a synset, each with the rank of that
// sense among its own senses. a < b. Of several synsets joining the same
// two words, the pair keeps the one whose ranks multiply to the least.
type synonymPair struct {
	a, b         string
	rankA, rankB int
}

// qualifies reports whether sense s of a word whose tag count over all
// parts of speech is allTags stands for the word (see the rules above).
func qualifies(s sense, allTags int) bool {
	thin := allTags < synThinTags
	share := s.tags >= 1 && s.tags*synMinShare >= s.lemmaTags
	switch {
	case s.tags == 0 && !thin:
		return false
	case s.rank == 1:
		return true
	case s.rank == 2:
		return thin || share
	case s.rank <= synMaxRank:
		return s.tags >= synMinTags && share
	}
	return false
}

// synonymPairs returns the synonym pairs, sorted. Words are lower-case
// WordNet lemmas of at most synMaxWords words and at least synMinLen
// letters; capitalised entries (proper nouns), entries of stop words only,
// entries in their lemma's minor case (see minorCase) and pairs the
// stemmer already conflates are left out.
func synonymPairs(wn *wordnet) []synonymPair {
	type cand struct {
		lemma string
		sn    sense
	}
	best := map[[2]string]int{}
	var out []synonymPair
	for _, id := range sortedIDs(wn) {
		s := wn.synsets[id]
		var cs []cand
		for i, m := range s.members {
			l := m.lemma
			if s.memberIndex(l) != i || capitalised(m.form) || !clean(l, synMaxWords) || letters(l) < synMinLen || allStop(l) || wn.minorCase(m.form) {
				continue
			}
			sn, ok := wn.senseOf(l, id)
			if !ok || !qualifies(sn, wn.allTags(l)) {
				continue
			}
			cs = append(cs, cand{l, sn})
		}
		for i := range cs {
			for j := i + 1; j < len(cs); j++ {
				x, y := cs[i], cs[j]
				if (x.sn.tags == 0 && y.sn.tags == 0) || term(x.lemma) == term(y.lemma) {
					continue
				}
				if x.lemma > y.lemma {
					x, y = y, x
				}
				sp := synonymPair{a: x.lemma, b: y.lemma, rankA: x.sn.rank, rankB: y.sn.rank}
				k := [2]string{sp.a, sp.b}
				if at, ok := best[k]; !ok {
					best[k] = len(out)
					out = append(out, sp)
				} else if old := out[at]; sp.rankA*sp.rankB < old.rankA*old.rankB {
					out[at] = sp
				}
			}
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
