package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newsbot/newsbot/retrieval/article"
	"github.com/newsbot/newsbot/retrieval/text"
)

// corpus is a loaded corpus with what the generators ask of it: the
// sentences of every article, the folded text for "does this occur
// anywhere" checks, word counts, an index from word to the sentences that
// hold it (for "do these words ever meet in one sentence"), and statistics
// that tell names from ordinary capitalised words.
type corpus struct {
	arts   []article.Article
	folded []string // norm(Text) of each article

	sents []sentence
	// byArt lists the sentence indexes of each article, in text order.
	byArt [][]int

	// words counts every lower-cased word token; df counts the articles
	// holding it.
	words map[string]int
	df    map[string]int
	// inSent maps a lower-cased word to the sorted, distinct sentences
	// holding it.
	inSent map[string][]int32

	// capMid and lowMid count a word (lower-cased key) written capitalised
	// and lower-case when it is not the first word of its sentence.
	capMid, lowMid map[string]int
	// detBefore counts occurrences of a word right after a determiner or
	// possessive, which marks a noun ("the plans", "its shares").
	detBefore map[string]int
	// verbUse counts a word right after "to" or a modal, which marks a
	// verb ("to cut", "will firm" is rare).
	verbUse map[string]int
	// surnames are words seen after Mr, Mrs, Ms, Dr, Sir, Lord and the
	// like; firstNames count words seen right before a known surname.
	surnames   map[string]int
	firstNames map[string]int
	// companies counts evidence that a name is a company: "shares in X",
	// "firm X", "X plc" and similar.
	companies map[string]int
}

// sentence is one sentence of one article.
type sentence struct {
	art  int
	text string // as written, trimmed
	toks []tok
}

// tok is a token of a sentence: a word (letters, digits and the joiners
// inside them, as in "£80m", "63,000", "Aynsley-Green", "firm's") or a single
// punctuation mark.
type tok struct {
	s     string
	punct bool
}

func (t tok) lower() string { return strings.ToLower(t.s) }

// isCap reports whether the token starts with an upper-case letter.
func (t tok) isCap() bool {
	r, _ := utf8.DecodeRuneInString(t.s)
	return !t.punct && unicode.IsUpper(r)
}

// isAllCaps reports whether the token is an acronym such as "BBC" or "MI6".
func (t tok) isAllCaps() bool {
	letters := 0
	for _, r := range t.s {
		if unicode.IsLower(r) {
			return false
		}
		if unicode.IsLetter(r) {
			letters++
		}
	}
	return letters >= 2
}

// tokenize splits folded sentence text into tokens.
func tokenize(s string) []tok {
	rs := []rune(s)
	var out []tok
	isWord := func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }
	for i := 0; i < len(rs); {
		r := rs[i]
		switch {
		case unicode.IsSpace(r):
			i++
		case isWord(r) || ((r == '£' || r == '$' || r == '€') && i+1 < len(rs) && unicode.IsDigit(rs[i+1])):
			j := i + 1
			for j < len(rs) {
				c := rs[j]
				if isWord(c) {
					j++
					continue
				}
				if c == '%' && unicode.IsDigit(rs[j-1]) {
					j++
					break
				}
				if j+1 < len(rs) && isWord(rs[j+1]) {
					prevDigit, nextDigit := unicode.IsDigit(rs[j-1]), unicode.IsDigit(rs[j+1])
					if (c == ',' || c == '.') && prevDigit && nextDigit {
						j++
						continue
					}
					if c == '\'' || c == '-' || c == '&' {
						j++
						continue
					}
				}
				// A plural possessive: "players' careers".
				if c == '\'' && rs[j-1] == 's' && (j+1 == len(rs) || !isWord(rs[j+1])) {
					j++
				}
				break
			}
			out = append(out, tok{s: string(rs[i:j])})
			i = j
		default:
			out = append(out, tok{s: string(r), punct: true})
			i++
		}
	}
	return out
}

// determiners mark the next word as a noun when counting detBefore.
var determiners = map[string]bool{
	"the": true, "a": true, "an": true, "its": true, "their": true, "his": true, "her": true,
	"our": true, "these": true, "those": true, "this": true, "that": true, "my": true, "your": true,
	"new": true, "some": true, "any": true, "no": true,
}

// modals come before a bare verb.
var modals = set("will", "would", "can", "could", "may", "might", "should", "must", "did", "does",
	"didn't", "doesn't", "won't", "can't", "shall")

// titles precede a person's surname in BBC style ("Mr Raskin").
var titles = map[string]bool{
	"mr": true, "mrs": true, "ms": true, "miss": true, "dr": true, "sir": true, "lord": true,
	"lady": true, "baroness": true, "professor": true, "prof": true, "dame": true,
}

// loadCorpus reads a corpus folder and builds the indexes.
func loadCorpus(dir string) (*corpus, error) {
	arts, _, err := article.LoadDir(context.Background(), dir, article.Options{})
	if err != nil {
		return nil, fmt.Errorf("load corpus %s: %w", dir, err)
	}
	if len(arts) == 0 {
		return nil, fmt.Errorf("no articles in %s", dir)
	}
	c := &corpus{
		arts: arts, folded: make([]string, len(arts)), byArt: make([][]int, len(arts)),
		words: map[string]int{}, df: map[string]int{}, inSent: map[string][]int32{},
		capMid: map[string]int{}, lowMid: map[string]int{}, detBefore: map[string]int{}, verbUse: map[string]int{},
		surnames: map[string]int{}, firstNames: map[string]int{}, companies: map[string]int{},
	}
	for i, a := range arts {
		c.folded[i] = norm(a.Text)
		seen := map[string]bool{}
		for _, sp := range text.SentenceSpans(a.Text) {
			text := strings.TrimSpace(a.Text[sp[0]:sp[1]])
			if text == "" {
				continue
			}
			si := len(c.sents)
			toks := tokenize(article.Fold(text))
			c.sents = append(c.sents, sentence{art: i, text: text, toks: toks})
			c.byArt[i] = append(c.byArt[i], si)
			c.countSentence(si, toks, seen)
		}
	}
	c.learnNames()
	return c, nil
}

func (c *corpus) countSentence(si int, toks []tok, seenInArt map[string]bool) {
	first := true
	prev := ""
	for _, t := range toks {
		if t.punct {
			prev = t.s
			continue
		}
		w := t.lower()
		c.words[w]++
		if !seenInArt[w] {
			seenInArt[w] = true
			c.df[w]++
		}
		if l := c.inSent[w]; len(l) == 0 || l[len(l)-1] != int32(si) {
			c.inSent[w] = append(l, int32(si))
		}
		if !first {
			if t.isCap() {
				c.capMid[w]++
			} else {
				c.lowMid[w]++
			}
		}
		if determiners[prev] || strings.HasSuffix(prev, "'s") {
			c.detBefore[w]++
		}
		if prev == "to" || modals[prev] {
			c.verbUse[w]++
		}
		first = false
		prev = w
	}
}

// proper reports whether a word (any case) is mostly written capitalised
// inside sentences, i.e. is a name rather than a common word.
func (c *corpus) proper(w string) bool {
	w = strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(w, "'s"), "'"))
	capN, low := c.capMid[w], c.lowMid[w]
	return capN >= 1 && capN >= 4*low
}

// learnNames fills surnames, firstNames and companies from patterns over
// the whole corpus.
func (c *corpus) learnNames() {
	for _, s := range c.sents {
		t := s.toks
		for i := 0; i+1 < len(t); i++ {
			if titles[t[i].lower()] && t[i+1].isCap() && !t[i+1].punct {
				c.surnames[bare(t[i+1].lower())]++
			}
		}
	}
	for _, s := range c.sents {
		t := s.toks
		for i := 0; i+1 < len(t); i++ {
			a, b := t[i], t[i+1]
			if a.isCap() && b.isCap() && !titles[a.lower()] && c.surnames[bare(b.lower())] >= 2 &&
				c.proper(a.s) && !strings.HasSuffix(a.s, "'s") {
				c.firstNames[a.lower()]++
			}
		}
		for i := range t {
			w := t[i].lower()
			if i+1 < len(t) && companyCue[w] {
				if end := capRun(t, i+1); end > i+1 {
					c.companies[spanKey(t[i+1:end])]++
				}
			}
			if (w == "shares" || w == "stake") && i+2 < len(t) && t[i+1].lower() == "in" {
				if end := capRun(t, i+2); end > i+2 {
					c.companies[spanKey(t[i+2:end])]++
				}
			}
		}
	}
}

// companyCue words come right before a company's name ("firm Nokia").
var companyCue = map[string]bool{
	"firm": true, "company": true, "giant": true, "maker": true, "retailer": true, "carrier": true,
	"conglomerate": true, "manufacturer": true, "operator": true, "chipmaker": true, "supermarket": true,
	"airline": true, "broadcaster": true, "publisher": true, "insurer": true, "lender": true,
}

// capRun returns the end of the run of capitalised words starting at i.
func capRun(t []tok, i int) int {
	j := i
	for j < len(t) && t[j].isCap() {
		j++
		if strings.HasSuffix(t[j-1].s, "'s") {
			break
		}
	}
	return j
}

// spanKey is the lower-cased text of tokens, without a possessive.
func spanKey(t []tok) string {
	var parts []string
	for _, x := range t {
		parts = append(parts, x.lower())
	}
	return bare(strings.Join(parts, " "))
}

// bare strips a possessive ending.
func bare(s string) string {
	s = strings.TrimSuffix(s, "'s")
	return strings.TrimSuffix(s, "'")
}

// hasWord reports whether a lower-case word occurs anywhere in the corpus.
func (c *corpus) hasWord(w string) bool { return c.words[strings.ToLower(w)] > 0 }

// hasPhrase reports whether a phrase occurs anywhere in the folded text of
// the corpus, on word boundaries.
func (c *corpus) hasPhrase(p string) bool {
	p = norm(p)
	for _, f := range c.folded {
		if containsWord(f, p) {
			return true
		}
	}
	return false
}

// containsWord reports whether s holds sub with no letter or digit on
// either side.
func containsWord(s, sub string) bool {
	for off := 0; ; {
		i := strings.Index(s[off:], sub)
		if i < 0 {
			return false
		}
		i += off
		before, _ := utf8.DecodeLastRuneInString(s[:i])
		after, _ := utf8.DecodeRuneInString(s[i+len(sub):])
		if !isAlnum(before) && !isAlnum(after) {
			return true
		}
		off = i + 1
	}
}

func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// cooccur reports whether one sentence holds, for every group, at least
// one of the group's word forms.
func (c *corpus) cooccur(groups ...[]string) bool {
	var cur map[int32]bool
	for _, g := range groups {
		next := map[int32]bool{}
		for _, w := range g {
			for _, si := range c.inSent[w] {
				if cur == nil || cur[si] {
					next[si] = true
				}
			}
		}
		if len(next) == 0 {
			return false
		}
		cur = next
	}
	return len(cur) > 0
}

// forms returns the word forms of a lower-case word that cooccur checks:
// the word, its plural or third person, past and -ing forms, and for a
// name the possessive. Only forms that occur in the corpus matter, so
// over-generating is harmless.
func forms(w string) []string {
	out := []string{w, w + "s", w + "es", w + "'s", w + "ed", w + "d", w + "ing", w + "er", w + "ers"}
	if strings.HasSuffix(w, "e") {
		out = append(out, w[:len(w)-1]+"ing")
	}
	if strings.HasSuffix(w, "y") {
		out = append(out, w[:len(w)-1]+"ies", w[:len(w)-1]+"ied")
	}
	if n := len(w); n >= 3 && !strings.ContainsRune("aeiouwy", rune(w[n-1])) {
		out = append(out, w+w[n-1:]+"ed", w+w[n-1:]+"ing", w+w[n-1:]+"er")
	}
	if irr, ok := irregularForms[w]; ok {
		out = append(out, irr...)
	}
	sort.Strings(out)
	return out
}

// irregularForms lists the irregular forms of the verbs and nouns the
// off-corpus templates use.
var irregularForms = map[string][]string{
	"buy": {"bought"}, "sell": {"sold"}, "pay": {"paid"}, "win": {"won", "winner", "winners"},
	"lose": {"lost"}, "sing": {"sang", "sung", "singer", "singers"}, "leave": {"left"}, "steal": {"stole", "stolen"},
	"fight": {"fought"}, "teach": {"taught"}, "build": {"built"}, "make": {"made"}, "hold": {"held"},
	"write": {"wrote", "written"}, "take": {"took", "taken"}, "give": {"gave", "given"},
	"tell": {"told"}, "say": {"said"}, "sue": {"sued", "suing"}, "man": {"men"}, "woman": {"women"},
	"child": {"children"}, "person": {"people"}, "mouse": {"mice"}, "tooth": {"teeth"}, "foot": {"feet"},
}

// norm folds text for matching: case, quotes, whitespace.
func norm(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(article.Fold(s))), " ")
}

// relevantTo returns the IDs of every article holding the sentence, which
// is more than one where the corpus has duplicate articles.
func (c *corpus) relevantTo(s string, prefix string) []string {
	var ids []string
	key := norm(s)
	for i, f := range c.folded {
		if strings.Contains(f, key) {
			ids = append(ids, prefix+c.arts[i].ID)
		}
	}
	return ids
}
