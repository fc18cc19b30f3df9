package answer

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newsbot/newsbot/retrieval"

	"github.com/newsbot/newsbot/retrieval/text"
)

// A citation says where a sentence comes from; the support check tests
// that it does. A cited sentence is supported by its passages when
//
//   - its names (capitalised words other than the first, and acronyms) are
//     in them, in their article's title or outlet, or earlier in the same
//     article (the passage may say "he" of someone named before it);
//   - its numbers are in them or their title;
//   - and, if it has a few content words, enough of those are in them.
//
// A sentence its passages don't support is cited instead to the one
// passage of the context that does (or given the one more passage that
// completes its support), or, when none does, flagged with a note. Sentences without citations are left to the citation count.
const (
	// minSupport is the least share of a sentence's content words (not
	// attribution: "reported", "according", the outlets' names) its
	// passages must hold.
	minSupport = 0.34
	// minSupportTerms is how many content words a sentence needs before
	// its overlap is weighed: "He agreed." has too few.
	minSupportTerms = 2
	// minEnglishShare: when fewer of an answer's words than this are
	// common English words, it is in another language (it follows the
	// question's) and its words can't be matched to the articles' words:
	// only its numbers are checked. English prose has 30-50%.
	minEnglishShare = 0.12
	// unsupportedNote ends an answer with sentences no passage supports.
	unsupportedNote = "\n\n(Some statements could not be matched to the passages they cite; check them against the sources.)"
)

// support is the outcome of checking an answer's sentences.
type support struct {
	text        string // the answer with re-cited sentences' marks rewritten
	recited     int    // sentences cited to another passage that supports them
	unsupported int    // cited sentences no passage supports
}

// evidenceText is what a passage offers a sentence citing it.
type evidenceText struct {
	words   map[string]bool // folded words of the passage, title and outlet
	earlier map[string]bool // folded words of the same article's passages before it
	numbers map[string]bool // numbers in the passage and title
	terms   map[string]bool // index terms of the passage and title
}

// checkSupport checks the sentences of text, an answer whose marks are
// valid numbers of the passages in numbered (as ParseCitations leaves it).
func (e *Engine) checkSupport(text string, numbered []retrieval.Passage) support {
	out := support{text: text}
	if len(numbered) == 0 {
		return out
	}
	// Outlets' names are attribution, not content: "Press TV reported"
	// says nothing a passage must hold beyond the name itself.
	outlets := map[string]bool{}
	for _, p := range numbered {
		for _, t := range e.r.Terms(p.Source) {
			outlets[t] = true
		}
	}
	ev := make([]evidenceText, len(numbered))
	for i, p := range numbered {
		own := p.Title + "\n" + p.Text
		ev[i] = evidenceText{
			words:   foldedWords(own + "\n" + p.Source),
			earlier: map[string]bool{},
			numbers: numbersIn(own),
			terms:   setOf(e.r.Terms(own)),
		}
		for j := i - 1; j >= 0 && numbered[j].ArticleID == p.ArticleID; j-- {
			for w := range foldedWords(numbered[j].Text) {
				ev[i].earlier[w] = true
			}
		}
	}

	groups := scanGroups(text)
	sentences := splitSentences(text, groups)
	type checked struct {
		st      sentence
		cited   []int
		names   []string
		numbers []string
		terms   []string
	}
	var cs []checked
	for _, st := range sentences {
		if len(st.groups) == 0 || isHeading(text, st.start, st.end) {
			continue
		}
		c := checked{st: st}
		for _, gi := range st.groups {
			for _, n := range groups[gi].nums {
				if n >= 1 && n <= len(numbered) && !containsInt(c.cited, n) {
					c.cited = append(c.cited, n)
				}
			}
		}
		if len(c.cited) == 0 {
			continue
		}
		plain := withoutMarks(text, st, groups)
		c.names = namesIn(plain)
		for n := range numbersIn(plain) {
			c.numbers = append(c.numbers, n)
		}
		for _, t := range e.r.Analyze(plain) {
			if !t.Meta && !outlets[t.Term] { // "reported", "according", "Press TV": attribution
				c.terms = append(c.terms, t.Term)
			}
		}
		cs = append(cs, c)
	}
	foreign := !englishLike(text)

	supports := func(c checked, ps []int) (bool, float64) {
		for _, num := range c.numbers {
			if !anyOf(ps, func(i int) bool { return ev[i-1].numbers[num] }) {
				return false, 0
			}
		}
		if foreign {
			return true, 0
		}
		for _, name := range c.names {
			if !anyOf(ps, func(i int) bool { return hasName(ev[i-1].words, name) || hasName(ev[i-1].earlier, name) }) {
				return false, 0
			}
		}
		if len(c.terms) == 0 {
			return true, 0
		}
		in := 0
		for _, t := range c.terms {
			if anyOf(ps, func(i int) bool { return ev[i-1].terms[t] }) {
				in++
			}
		}
		share := float64(in) / float64(len(c.terms))
		return len(c.terms) < minSupportTerms || share >= minSupport, share
	}

	// Rewrite from the end so earlier offsets stay valid.
	for k := len(cs) - 1; k >= 0; k-- {
		c := cs[k]
		if ok, _ := supports(c, c.cited); ok {
			continue
		}
		// The one passage that supports it best, else the cited ones
		// with the one passage that completes them.
		var best []int
		bestShare := -1.0
		for n := 1; n <= len(numbered); n++ {
			if ok, share := supports(c, []int{n}); ok && share > bestShare {
				best, bestShare = []int{n}, share
			}
		}
		for n := 1; n <= len(numbered) && best == nil; n++ {
			with := append(slices.Clone(c.cited), n)
			if ok, share := supports(c, with); ok && share > bestShare && !slices.Contains(c.cited, n) {
				slices.Sort(with)
				best, bestShare = with, share
			}
		}
		if best == nil {
			out.unsupported++
			continue
		}
		out.recited++
		out.text = recite(out.text, c.st, groups, best)
	}
	if out.recited > 0 {
		out.text = ParseCitations(out.text, len(numbered)).Text
	}
	return out
}

// recite rewrites the marks of sentence st to cite passages ns: the last of
// its mark groups becomes "[a][b]" and the others are removed.
func recite(text string, st sentence, groups []markGroup, ns []int) string {
	var b strings.Builder
	last := st.start
	b.WriteString(text[:st.start])
	for k, gi := range st.groups {
		g := groups[gi]
		b.WriteString(strings.TrimRight(text[last:g.start], " \t"))
		if k == len(st.groups)-1 {
			if g.start > 0 && text[g.start-1] == ' ' {
				b.WriteByte(' ')
			}
			for _, n := range ns {
				b.WriteString("[" + strconv.Itoa(n) + "]")
			}
		}
		last = g.end
	}
	b.WriteString(text[last:])
	return b.String()
}

// withoutMarks returns the sentence's text with its marks left out.
func withoutMarks(text string, st sentence, groups []markGroup) string {
	var b strings.Builder
	last := st.start
	for _, gi := range st.groups {
		g := groups[gi]
		if g.start >= last && g.end <= st.end {
			b.WriteString(text[last:g.start])
			last = g.end
		}
	}
	if last < st.end {
		b.WriteString(text[last:st.end])
	}
	return b.String()
}

// words splits s into words as the index does (text.Scan): letters and
// digits, with the apostrophes, hyphens and full stops inside them
// ("Kilroy-Silk", "U.S.", "Iran's").
func words(s string) []string {
	toks := text.Scan(s)
	out := make([]string, len(toks))
	for i, t := range toks {
		out[i] = t.Surface
	}
	return out
}

// fold normalises a word for matching as the index folds it (text.Fold:
// lower case, diacritics folded, a possessive "'s" dropped), full stops
// dropped ("U.S." is "us").
func fold(w string) string {
	return strings.ReplaceAll(text.Fold(w), ".", "")
}

// foldedWords is the set of folded words of s, hyphenated words also by
// their parts.
func foldedWords(s string) map[string]bool {
	set := map[string]bool{}
	for _, w := range words(s) {
		f := fold(w)
		set[f] = true
		for _, part := range strings.Split(f, "-") {
			set[part] = true
		}
	}
	return set
}

// namesIn returns the folded names of a sentence: capitalised words other
// than its first, and acronyms anywhere ("BBC", "MI6"), by their parts when
// hyphenated.
func namesIn(s string) []string {
	var out []string
	for i, w := range words(s) {
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsUpper(r) {
			continue
		}
		if i == 0 && !isAcronym(w) {
			continue
		}
		for _, part := range strings.Split(fold(w), "-") {
			if utf8.RuneCountInString(part) >= 2 && !slices.Contains(out, part) {
				out = append(out, part)
			}
		}
	}
	return out
}

// isAcronym reports whether w is two or more capitals, with digits or full
// stops among them ("BBC", "MI6", "U.S.").
func isAcronym(w string) bool {
	letters := 0
	for _, r := range w {
		switch {
		case unicode.IsUpper(r):
			letters++
		case unicode.IsDigit(r) || r == '.':
		default:
			return false
		}
	}
	return letters >= 2
}

// hasName reports whether a set of folded words holds name, or a word that
// shares most of it ("Iranian" for "Iran", "British" for "Britain").
func hasName(set map[string]bool, name string) bool {
	if set[name] {
		return true
	}
	if len(name) < 4 {
		return false
	}
	for w := range set {
		n := commonPrefix(w, name)
		if n >= 4 && float64(n) >= 0.6*float64(min(len(w), len(name))) {
			return true
		}
	}
	return false
}

func commonPrefix(a, b string) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// englishFunctionWords are the commonest words of English prose.
var englishFunctionWords = map[string]bool{"the": true, "a": true, "an": true, "of": true, "to": true, "in": true,
	"and": true, "is": true, "are": true, "was": true, "were": true, "that": true, "said": true, "says": true,
	"for": true, "on": true, "with": true, "by": true, "has": true, "have": true, "had": true, "it": true,
	"its": true, "he": true, "she": true, "they": true, "his": true, "her": true, "their": true, "will": true,
	"would": true, "not": true, "be": true, "from": true, "at": true, "as": true, "this": true, "according": true}

// englishLike reports whether text reads as English: enough of its words
// are common English words.
func englishLike(text string) bool {
	ws := words(text)
	n := 0
	for _, w := range ws {
		if englishFunctionWords[strings.ToLower(w)] {
			n++
		}
	}
	return len(ws) == 0 || float64(n) >= minEnglishShare*float64(len(ws))
}

// numberWords spell the numbers a model may write as digits.
var numberWords = map[string]string{"one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
	"seven": "7", "eight": "8", "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "first": "1", "second": "2",
	"third": "3", "fourth": "4", "fifth": "5", "dozen": "12", "twenty": "20", "hundred": "100", "thousand": "1000"}

// numbersIn returns the numbers in s as digit strings ("1,000" is "1000";
// "3.5" stays), with the small numbers it spells out.
func numbersIn(s string) map[string]bool {
	set := map[string]bool{}
	runes := []rune(s)
	for i := 0; i < len(runes); i++ {
		if !unicode.IsDigit(runes[i]) {
			continue
		}
		var b strings.Builder
		for i < len(runes) {
			r := runes[i]
			sep := (r == ',' || r == '.') && i+1 < len(runes) && unicode.IsDigit(runes[i+1])
			if unicode.IsDigit(r) {
				if d, ok := digitValue(r); ok {
					b.WriteByte(byte('0' + d))
				} else {
					b.WriteRune(r)
				}
			} else if sep && r == '.' {
				b.WriteRune(r)
			} else if !sep {
				break
			}
			i++
		}
		set[b.String()] = true
	}
	for _, w := range words(s) {
		if d, ok := numberWords[strings.ToLower(w)]; ok {
			set[d] = true
		}
	}
	return set
}

func setOf(xs []string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func anyOf(ps []int, f func(int) bool) bool {
	for _, p := range ps {
		if f(p) {
			return true
		}
	}
	return false
}
