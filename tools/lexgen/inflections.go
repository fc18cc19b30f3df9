package main

import (
	"regexp"
	"sort"
	"strings"
)

// guardRatio is the inflection guard: an inflected form that is also a
// lemma of its own is kept only while the tag count of its own, rival
// senses is at most 1/guardRatio of the base's tag count (in the
// exception's part of speech). "left" (adjective and noun, 78 tags) next
// to "leave" (392) fails; "saw" (a tool, 1 tag) next to "see" (1211)
// passes; "found" (to establish, 15 tags) next to "find" (705) passes.
const guardRatio = 10

// An inflection maps an irregular inflected form to its base form.
type inflection struct {
	form, base string
	p          pos
	// rivalTags is the tag count of the form's own senses as a lemma,
	// less those that are the inflection itself; baseTags is the base's
	// tag count in the exception's part of speech.
	rivalTags, baseTags int
	// generated marks a form made by the -man/-men rule rather than read
	// from an exception list.
	generated bool
}

// kept reports whether the guard lets the inflection through.
func (in inflection) kept() bool { return in.rivalTags*guardRatio <= in.baseTags }

// comparativeGloss matches glosses that define a sense as an inflection
// of another word: "(comparative of `good') superior to ...",
// "comparatives of `soon' or `early'", "(comparative and superlative of
// `well')". Such senses of "better" are the inflection, not a rival
// meaning.
var comparativeGloss = regexp.MustCompile(`^\(?(?:comparative|superlative)s?(?: and superlative)? of `)

// inflections returns the candidate irregular inflections, sorted by form
// and part of speech, each with the numbers the guard decides on. A
// candidate comes from an exception list (noun.exc, verb.exc, adj.exc,
// adv.exc) or from the -man/-men plural rule, and is left out when the
// stemmer already gives form and base the same index term (regular forms:
// "abetted"/"abet"), or either side is a stop word ("was"/"be") or a
// phrase.
func inflections(wn *wordnet) []inflection {
	var all []inflection
	add := func(f, b string, p pos, generated bool) {
		if f == b || !clean(f, 1) || !clean(b, 1) || len(f) < 3 || len(b) < 2 || isStop(f) || isStop(b) {
			return
		}
		if term(f) == term(b) || len(wn.senses[lemmaPOS{b, p}]) == 0 || wn.spellingVariant(f, b, p) {
			return
		}
		all = append(all, inflection{form: f, base: b, p: p, rivalTags: wn.rivalTags(f, b),
			baseTags: wn.lemmaTags(b, p), generated: generated})
	}
	for _, ps := range poses {
		exc := wn.exceptions[ps.p]
		forms := make([]string, 0, len(exc))
		for f := range exc {
			forms = append(forms, f)
		}
		sort.Strings(forms)
		for _, f := range forms {
			for _, b := range exc[f] {
				add(f, b, ps.p, false)
			}
		}
	}
	for _, man := range menPlurals(wn) {
		add(man[0], man[1], 'n', true)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].form < all[j].form })
	return all
}

// regularSuffixes are the endings of regular inflections, by part of
// speech (morphy(7)'s detachment rules, the ending only).
var regularSuffixes = map[pos][]string{
	'n': {"s", "es"},
	'v': {"s", "es", "ed", "d", "ing"},
	'a': {"er", "est", "r", "st"},
}

// spellingVariant reports whether an exception only respells a regular
// inflection of another lemma: "programmes" is the regular plural of
// "programme", listed under "program". Mapping it to its base would part
// it from "programme", which the table does not map.
func (wn *wordnet) spellingVariant(form, base string, p pos) bool {
	for _, suf := range regularSuffixes[p] {
		if stem, ok := strings.CutSuffix(form, suf); ok && stem != base && len(wn.senses[lemmaPOS{stem, p}]) > 0 {
			return true
		}
	}
	return false
}

// menPlurals applies WordNet's own morphological rule "-men → -man"
// (morphy(7)), which the exception list leaves to the rule: "women",
// "chairmen", "spokesmen", "businesswomen". Snowball does not conflate
// them. Only nouns for people (lexicographer file noun.person) written in
// lower case qualify, and only compounds of "man"/"woman" whose first
// part is itself a word ("chair", "spokes"→"spoke", "police"), so that
// "human" and "shaman" get no "humen" or "shamen". Forms already in
// noun.exc are left to it. It returns [form, base] pairs sorted by form.
func menPlurals(wn *wordnet) [][2]string {
	var out [][2]string
	for lp, ids := range wn.senses {
		l := lp.lemma
		if lp.p != 'n' || !strings.HasSuffix(l, "man") || !clean(l, 1) {
			continue
		}
		form := strings.TrimSuffix(l, "man") + "men"
		if len(wn.exceptions['n'][form]) > 0 {
			continue
		}
		person := false
		for _, id := range ids {
			s := wn.synsets[id]
			if i := s.memberIndex(l); s.lexFilenum == 18 && i >= 0 && !capitalised(s.members[i].form) {
				person = true
			}
		}
		if !person {
			continue
		}
		prefix := strings.TrimSuffix(strings.TrimSuffix(l, "man"), "wo")
		prefix = strings.TrimSuffix(prefix, "-")
		if prefix != "" && (len(prefix) < 3 || !(wn.isLemma(prefix) || wn.isLemma(strings.TrimSuffix(prefix, "s")))) {
			continue
		}
		out = append(out, [2]string{form, l})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// rivalTags returns the tag count, over all parts of speech, of form's own
// senses as a lemma that are not the inflection of base. Left out are
// senses that share a synset with base; senses glossed as a comparative
// or superlative; senses with a derivationally related form pointer to
// base ("thought", the noun, to "think"); and, in adjectives and adverbs,
// all senses of a form that the same part of speech's exception list
// names as an inflection (WordNet lists "best" as an adjective lemma, but
// it is the superlative of "good").
func (wn *wordnet) rivalTags(form, base string) int {
	n := 0
	for _, ps := range poses {
		if (ps.p == 'a' || ps.p == 'r') && len(wn.exceptions[ps.p][form]) > 0 {
			continue
		}
		for _, id := range wn.senses[lemmaPOS{form, ps.p}] {
			s := wn.synsets[id]
			if s.memberIndex(base) >= 0 || comparativeGloss.MatchString(s.gloss) || wn.derivedFrom(s, form, base) {
				continue
			}
			n += wn.tags(form, id)
		}
	}
	return n
}

// derivedFrom reports whether the synset's word form has a derivationally
// related form pointer ("+") to the word base.
func (wn *wordnet) derivedFrom(s *synset, form, base string) bool {
	i := s.memberIndex(form) + 1
	for _, p := range s.pointers {
		if p.symbol != "+" || p.source != i || p.dest == 0 {
			continue
		}
		if t := wn.synsets[p.target]; t != nil && t.members[p.dest-1].lemma == base {
			return true
		}
	}
	return false
}

// bases picks one base for each inflected form that the guard keeps: of
// several ("better" → "good" in adjectives, "well" in adverbs), the one
// with the most tags in its part of speech, ties to the first listed.
// It returns [form, base] pairs sorted by form.
func bases(all []inflection) [][2]string {
	var out [][2]string
	for i := 0; i < len(all); {
		j := i
		var best *inflection
		for ; j < len(all) && all[j].form == all[i].form; j++ {
			if in := &all[j]; in.kept() && (best == nil || in.baseTags > best.baseTags) {
				best = in
			}
		}
		if best != nil {
			out = append(out, [2]string{best.form, best.base})
		}
		i = j
	}
	return out
}
