package retrieval

import (
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/kljensen/snowball/english"

	"github.com/newsbot/newsbot/retrieval/lexicon"
	"github.com/newsbot/newsbot/retrieval/text"
)

// A query is analysed once per search: its content words with their
// weights in the live index, what they may also be written as, and the
// constraints (years) a passage should meet.

// Alternative is another way of writing what a query word means: a
// derivation ("French" for "France"), a synonym ("sacked" for "fired"), or
// the spelled-out form of a shorthand ("fourth quarter" for "Q4"). Terms
// are index terms; a phrase has several, all of which must be present.
type Alternative struct {
	Terms  []string
	Weight float64 // what a match counts for, against 1 for the word itself
}

// wordTable gives the derivations and synonyms of lower-case words, and
// tells ordinary words from names (*lexicon.Lexicon, from WordNet).
type wordTable interface {
	Family(word string) []string
	Synonyms(word string) []lexicon.Synonym
	Known(word string) bool
	Frequency(word string) (int, bool)
	Lemmas(word string) []string
}

// qword is one distinct content word of a query.
type qword struct {
	surface string
	term    string
	df      int     // passages holding the term
	idf     float64 // weight in coverage and ranking (see analyze)
	meta    bool    // about the articles, not their content ("reported")
	vocab   bool    // an ordinary word, not a name (the lexicon knows it)
	tags    int     // how common the word is in English (lexicon.Frequency)
	alts    []Alternative
}

// queryInfo is the analysis of one query against one snapshot.
type queryInfo struct {
	words []qword        // plain words and compound parts, distinct, in order
	bm25  []weightedTerm // what the keyword index scores
	// weights and total are the coverage weights of the known content
	// words: words no passage holds are left out, so that a typo or a word
	// of the user's own doesn't lower every passage alike.
	weights map[string]float64
	total   float64
	years   []string // years asked about ("2004", "1963")
}

// Weights of what a question implies rather than says.
const (
	compoundWeight    = 0.5 // "fourth-quarter" as one term, beside its parts
	alternativeWeight = 0.5 // a derivation or synonym in BM25, times its own weight
)

// metaWords are words about the articles rather than their content ("what
// did the article say", "according to reports"): they carry no
// information a passage must hold.
var metaWords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields("article articles story stories report reports reported reportedly according news piece headline mention mentioned") {
		m[english.Stem(w, true)] = true
	}
	return m
}()

// fillers are the placeholders and shorthands of questions typed in chat
// ("what banned stuff was she said to have had", "the bloke who threw it",
// "30 projects incl. the dam"): written in lower case they name nothing a
// passage must hold, and count as meta words. Capitalised they may be a
// name ("Guy Ritchie").
var fillers = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields("stuff thing things guy guys bloke blokes chap chaps fella fellas dude dudes actually apparently basically exactly really " +
		"incl etc approx esp btw tbh imo imho iirc afaik pls plz thx ppl lol hey hmm " +
		// Contractions typed without the apostrophe.
		"whats hows whos wheres whens whys thats dont doesnt didnt isnt wasnt arent werent cant wont " +
		"wouldnt couldnt shouldnt hasnt havent im ive youre theyre gonna wanna gotta kinda dunno") {
		m[english.Stem(w, true)] = true
	}
	return m
}()

// isMeta reports whether a question word is about the articles or a
// filler rather than content.
func isMeta(term, surface string) bool {
	if metaWords[term] {
		return true
	}
	return fillers[term] && surface == strings.ToLower(surface)
}

// shorthands are forms a user types for what articles spell out.
var shorthands = map[string][]string{
	"q1": {"first", "quarter"}, "q2": {"second", "quarter"}, "q3": {"third", "quarter"},
	"q4": {"fourth", "quarter"}, "h1": {"first", "half"}, "h2": {"second", "half"},
}

// numberShorthand returns the index term of a number as articles write
// it, for a number as chat types it: "150k" is 150,000 (indexed 150000),
// "7610s" the 7610 model in the plural; "" for anything else.
func numberShorthand(term string) string {
	if m := thousandsRE.FindStringSubmatch(term); m != nil {
		if f, err := strconv.ParseFloat(m[1], 64); err == nil && f*1000 == math.Trunc(f*1000) {
			return strconv.FormatFloat(f*1000, 'f', -1, 64)
		}
	}
	if m := pluralNumberRE.FindStringSubmatch(term); m != nil {
		return m[1]
	}
	return ""
}

var (
	thousandsRE    = regexp.MustCompile(`^(\d+(?:\.\d+)?)k$`)
	pluralNumberRE = regexp.MustCompile(`^(\d+)s$`)
)

// analyze analyses a query against snapshot s.
func (ix *Index) analyze(s *snapshot, query string) *queryInfo {
	q := &queryInfo{weights: map[string]float64{}}
	seen := map[string]bool{}
	var known []float64
	particleAfter := particles(query)
	for _, w := range ix.stem.Words(query, true) {
		if w.Kind == text.Compound {
			if s.kw.df(w.Term) > 0 {
				q.bm25 = append(q.bm25, weightedTerm{w.Term, compoundWeight})
			}
			continue
		}
		if seen[w.Term] {
			continue
		}
		seen[w.Term] = true
		qw := qword{surface: w.Surface, term: w.Term, df: s.kw.df(w.Term), meta: isMeta(w.Term, w.Surface)}
		qw.idf = s.kw.idf(w.Term)
		if qw.df > 0 && !qw.meta {
			known = append(known, qw.idf)
		}
		if sh, ok := shorthands[w.Term]; ok {
			qw.alts = append(qw.alts, Alternative{Terms: sh, Weight: 1})
		}
		if n := numberShorthand(w.Term); n != "" {
			qw.alts = append(qw.alts, Alternative{Terms: []string{n}, Weight: 1})
		}
		folded := text.Fold(w.Surface)
		qw.alts = append(qw.alts, ix.alternatives(folded, w.Term)...)
		if p := particleAfter[w.Start]; p != "" {
			qw.alts = append(qw.alts, ix.phrasalAlternatives(folded, w.Term, p, qw.alts)...)
		}
		if ix.lex != nil {
			qw.tags, qw.vocab = ix.lex.Frequency(folded)
		}
		if text.IsYear(w.Term) {
			q.years = append(q.years, w.Term)
		}
		q.words = append(q.words, qw)
	}
	// A word no passage holds gets the mean weight of the known ones, not
	// the highest weight of all: it may be a typo or the user's own word,
	// and must not dominate the query vector.
	meanKnown := 0.0
	for _, k := range known {
		meanKnown += k
	}
	if len(known) > 0 {
		meanKnown /= float64(len(known))
	}
	for i := range q.words {
		qw := &q.words[i]
		if qw.df == 0 {
			qw.idf = meanKnown
		}
		if qw.meta {
			qw.idf *= 0.1
			continue
		}
		q.bm25 = append(q.bm25, weightedTerm{qw.term, 1})
		for _, a := range qw.alts {
			for _, t := range a.Terms {
				q.bm25 = append(q.bm25, weightedTerm{t, a.Weight * alternativeWeight / float64(len(a.Terms))})
			}
		}
		if qw.df == 0 && !anyAltKnown(s, qw.alts) {
			continue
		}
		q.weights[qw.term] = qw.idf
		q.total += qw.idf
	}
	return q
}

func anyAltKnown(s *snapshot, alts []Alternative) bool {
	for _, a := range alts {
		ok := true
		for _, t := range a.Terms {
			if s.kw.df(t) == 0 {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// alternatives returns the derivations and synonyms of a folded query
// word, as index terms. None without a lexicon.
func (ix *Index) alternatives(folded, term string) []Alternative {
	if ix.lex == nil || folded == "" {
		return nil
	}
	var out []Alternative
	seen := map[string]bool{term: true}
	add := func(phrase string, weight float64) {
		terms := ix.stem.Terms(phrase)
		if len(terms) == 0 {
			return
		}
		key := strings.Join(terms, " ")
		if seen[key] {
			return
		}
		seen[key] = true
		out = append(out, Alternative{Terms: terms, Weight: weight})
	}
	// Derivations are of the word as written ("french" ~ "france"; the
	// stemmer joins the inflections of each side), synonyms of its
	// dictionary form: "fired" looks up "fire".
	family := ix.lex.Family(folded)
	if len(family) == 0 {
		// An inflection the table doesn't list ("lobbyists"): its
		// dictionary form's ("lobbyist" ~ "lobby").
		for _, lemma := range ix.lex.Lemmas(folded) {
			family = append(family, ix.lex.Family(lemma)...)
		}
	}
	for _, f := range family {
		add(f, familyWeight)
	}
	for _, lemma := range ix.lex.Lemmas(folded) {
		for _, syn := range ix.lex.Synonyms(lemma) {
			if syn.Weight >= minSynonymWeight {
				add(syn.Word, synonymWeight*syn.Weight)
			}
		}
	}
	return out
}

// particleWords make phrasal verbs with the verb before them ("put in",
// "step down", "pull in").
var particleWords = map[string]bool{"in": true, "on": true, "up": true, "out": true, "off": true, "back": true,
	"down": true, "over": true, "away": true, "for": true, "through": true, "into": true}

// particles maps the offset of each word of query followed by a particle
// to that particle.
func particles(query string) map[int]string {
	toks := text.Scan(query)
	out := map[int]string{}
	for k := 0; k+1 < len(toks); k++ {
		if p := strings.ToLower(toks[k+1].Surface); particleWords[p] {
			out[toks[k].Start] = p
		}
	}
	return out
}

// phrasalAlternatives returns the synonyms of a phrasal verb the question
// writes ("coming back" ~ "return", "step down" ~ "resign", "pull in" ~
// "earn"), as alternatives of its verb: users type them, articles often
// say it in one word. have are the verb's alternatives so far.
func (ix *Index) phrasalAlternatives(folded, stem, particle string, have []Alternative) []Alternative {
	if ix.lex == nil {
		return nil
	}
	seen := map[string]bool{}
	for _, a := range have {
		seen[strings.Join(a.Terms, " ")] = true
	}
	var out []Alternative
	// The verb's dictionary forms, the word as typed, and its stem
	// ("stepped" is "step", which the table's rules miss).
	for _, lemma := range append(ix.lex.Lemmas(folded), folded, stem) {
		for _, syn := range ix.lex.Synonyms(lemma + " " + particle) {
			if syn.Weight < minSynonymWeight {
				continue
			}
			terms := ix.stem.Terms(syn.Word)
			key := strings.Join(terms, " ")
			if len(terms) == 0 || seen[key] {
				continue
			}
			seen[key] = true
			out = append(out, Alternative{Terms: terms, Weight: synonymWeight * syn.Weight})
		}
	}
	return out
}

// What a derivation or synonym of a query word counts for in coverage,
// against 1 for the word itself.
const (
	familyWeight  = 0.8
	synonymWeight = 0.6
	// minSynonymWeight leaves out synonyms through a word's rarer senses
	// (below 1/sqrt(2·2)): "quit" ~ "lay off" stays, "fire" ~ "sack"
	// (senses 4 and 2) goes — too often another meaning.
	minSynonymWeight = 0.5
)

// weightFor returns the query weight of an index term, for the local
// embedder's query vector: its coverage weight when it is a content word
// of the query, else its idf.
func (q *queryInfo) weightFor(s *snapshot) func(term string) float64 {
	byTerm := make(map[string]float64, len(q.words))
	for _, w := range q.words {
		byTerm[w.term] = w.idf
	}
	return func(term string) float64 {
		if w, ok := byTerm[term]; ok {
			return w
		}
		return s.kw.idf(term)
	}
}

// coverage is the weighted share of the query's known content words that a
// passage holds, with the terms found. A word's spelling variant counts
// variantWeight of it, an alternative its own weight.
func (q *queryInfo) coverage(terms []termCount) (float64, []string) {
	if q.total == 0 {
		return 0, nil
	}
	got := 0.0
	var matched []string
	for _, w := range q.words {
		wt, ok := q.weights[w.term]
		if !ok {
			continue
		}
		if hasTerm(terms, w.term) {
			got += wt
			matched = append(matched, w.term)
			continue
		}
		best := 0.0
		if hasVariant(terms, w.term) {
			best = variantWeight
		}
		for _, a := range w.alts {
			if a.Weight > best && hasAll(terms, a.Terms) {
				best = a.Weight
			}
		}
		got += wt * best
	}
	sort.Strings(matched)
	return got / q.total, matched
}

func hasTerm(terms []termCount, t string) bool {
	j := sort.Search(len(terms), func(j int) bool { return terms[j].Term >= t })
	return j < len(terms) && terms[j].Term == t
}

func hasAll(terms []termCount, ts []string) bool {
	for _, t := range ts {
		if !hasTerm(terms, t) {
			return false
		}
	}
	return len(ts) > 0
}

// yearFit scores how a passage meets the years a query asks about: +1 when
// it names one of them, -1 when it names other years but none of them, 0
// otherwise (or when the query names no year).
func (q *queryInfo) yearFit(terms []termCount) float64 {
	if len(q.years) == 0 {
		return 0
	}
	for _, y := range q.years {
		if hasTerm(terms, y) {
			return 1
		}
	}
	// Years sort together: digits come before letters.
	for _, tc := range terms {
		if tc.Term[0] > '9' {
			break
		}
		if text.IsYear(tc.Term) {
			return -1
		}
	}
	return 0
}

// yearWeight is how much the year constraint moves a passage's fused score
// (the three fused signals each range over [0, 1]).
const yearWeight = 0.3
