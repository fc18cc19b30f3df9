package main

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
)

// offQuestion is an off-corpus question with what was checked to make it
// one: the name or year put in (absent from the corpus, or a year never
// in a sentence with the question's words), or the words that never meet
// in one sentence.
type offQuestion struct {
	q   question
	sub string // "name", "year" or "mix"
	// put is the name or year put into the question, for the test.
	put string
	// nouns are the words of a mix no two of which meet in a sentence;
	// slot and keys are a general-knowledge filler and the template words
	// it never meets; for an event template, keys are the words the year
	// never meets.
	nouns []string
	slot  string
	keys  []string
}

// offCorpusSet makes n off-corpus questions, a third of each sub-kind.
func offCorpusSet(c *corpus, o options) ([]offQuestion, error) {
	rng := newRand(o.seed)
	nName := o.n / 3
	nYear := o.n / 3
	nMix := o.n - nName - nYear
	g := &offGen{c: c, rng: rng, seen: map[string]bool{}}
	names := g.nameSwaps(nName)
	years := g.yearQuestions(nYear)
	mixes := g.mixQuestions(nMix)
	if len(names) < nName || len(years) < nYear || len(mixes) < nMix {
		return nil, fmt.Errorf("only %d name, %d year and %d mix questions could be made (want %d, %d, %d)",
			len(names), len(years), len(mixes), nName, nYear, nMix)
	}
	var out []offQuestion
	for _, part := range [][]offQuestion{names, years, mixes} {
		for i, q := range part {
			q.q.ID = fmt.Sprintf("off-%s-%03d", q.sub, i+1)
			out = append(out, q)
		}
	}
	return out, nil
}

type offGen struct {
	c    *corpus
	rng  *rand.Rand
	seen map[string]bool
}

// add records a question unless the same text was made before.
func (g *offGen) add(out *[]offQuestion, q offQuestion) bool {
	key := strings.ToLower(strings.TrimRight(q.q.Question, "?"))
	if g.seen[key] {
		return false
	}
	g.seen[key] = true
	*out = append(*out, q)
	return true
}

// clozes streams cloze questions to fn until it returns false or the
// tries run out.
func (g *offGen) clozes(tries int, fn func(cloze) bool) {
	b := &builder{c: g.c, rng: g.rng}
	seen := map[string]bool{}
	for t := 0; t < tries; t++ {
		ss := g.c.byArt[g.rng.IntN(len(g.c.arts))]
		if len(ss) == 0 {
			continue
		}
		si := ss[g.rng.IntN(len(ss))]
		key := norm(g.c.sents[si].text)
		if seen[key] {
			continue
		}
		seen[key] = true
		cz, ok := b.fromSentence(si)
		if ok && !fn(cz) {
			return
		}
	}
}

// nameSwaps makes cloze questions about a name the corpus lacks: the key
// person, company or place of a real question replaced.
func (g *offGen) nameSwaps(n int) []offQuestion {
	var out []offQuestion
	g.clozes(n*3000, func(cz cloze) bool {
		// A person, a company (not in sport, where "companies" are
		// clubs) or a city: swapping a country that is a team ("their
		// loss to Ireland") reads wrong.
		sport := strings.HasPrefix(g.c.arts[g.c.sents[cz.sent].art].ID, "sport/")
		var refs []nameRef
		for _, r := range cz.names {
			switch {
			case r.kind == kindPerson, r.kind == kindCompany && !sport:
				refs = append(refs, r)
			case r.kind == kindOther && !sport && g.rng.IntN(2) == 0:
				refs = append(refs, r)
			}
		}
		if len(refs) == 0 {
			return true
		}
		ref := refs[g.rng.IntN(len(refs))]
		text := cz.q.Question
		lower := strings.ToLower(text)
		var present []string
		for _, f := range ref.forms {
			if containsWord(lower, f) {
				present = append(present, f)
			}
		}
		if len(present) == 0 {
			return true
		}
		kind := ref.kind
		if kind == kindOther && !cities[ref.forms[0]] {
			kind = -1 // a country
		}
		full, short := g.replacement(kind, genderOf(lower))
		if full == "" {
			return true
		}
		// Replace the longest form first: "gordon brown", then "brown".
		q := lower
		put := short
		for i, f := range present {
			rep := short
			if i == 0 && (len(strings.Fields(f)) > 1 || g.rng.IntN(3) == 0) {
				rep, put = full, full
			}
			q = replaceWord(q, f, strings.ToLower(rep))
		}
		for _, f := range ref.forms {
			if containsWord(q, f) {
				return true
			}
		}
		if cased := strings.ToLower(text) != text; cased {
			q = restoreCase(q, text)
		}
		g.add(&out, offQuestion{q: question{Question: q}, sub: "name", put: put})
		return len(out) < n
	})
	return out
}

// replacement draws a name of the given kind that the corpus lacks: its
// distinctive word never occurs, nor does the whole name.
func (g *offGen) replacement(kind spanKind, gender string) (full, short string) {
	c := g.c
	firsts := maleFirstNames
	if gender == "f" || gender == "" && g.rng.IntN(4) == 0 {
		firsts = femaleFirstNames
	}
	for try := 0; try < 50; try++ {
		switch kind {
		case kindPerson:
			first := firsts[g.rng.IntN(len(firsts))]
			last := fakeSurnames[g.rng.IntN(len(fakeSurnames))]
			if c.hasWord(last) || c.hasPhrase(first+" "+last) {
				continue
			}
			return first + " " + last, last
		case kindCompany:
			head := fakeCompanyHeads[g.rng.IntN(len(fakeCompanyHeads))]
			tail := companyTails[g.rng.IntN(len(companyTails))]
			if c.hasWord(head) {
				continue
			}
			if g.rng.IntN(2) == 0 {
				return head, head
			}
			return head + " " + tail, head
		case kindOther:
			p := absentPlaces[g.rng.IntN(len(absentPlaces))]
			if c.hasPhrase(p) || anyWord(c, p) {
				continue
			}
			return p, p
		default:
			p := absentCountries[g.rng.IntN(len(absentCountries))]
			if c.hasPhrase(p) || anyWord(c, p) {
				continue
			}
			return p, p
		}
	}
	return "", ""
}

// genderOf tells from its pronouns whether a question is about a man
// ("m"), a woman ("f"), or does not say ("").
func genderOf(q string) string {
	for _, t := range tokenize(q) {
		switch t.lower() {
		case "he", "his", "him", "himself", "actor", "brother", "father", "husband", "man", "king",
			"prince", "spokesman", "chairman", "sir", "lord", "boy", "son", "businessman":
			return "m"
		case "she", "her", "hers", "herself", "actress", "sister", "mother", "wife", "woman", "queen",
			"princess", "spokeswoman", "chairwoman", "lady", "girl", "daughter", "businesswoman":
			return "f"
		}
	}
	return ""
}

// anyWord reports whether any word of a phrase occurs in the corpus.
func anyWord(c *corpus, p string) bool {
	for _, w := range strings.Fields(strings.ToLower(p)) {
		if c.hasWord(w) {
			return true
		}
	}
	return false
}

// replaceWord replaces every whole-word occurrence of old in s.
func replaceWord(s, old, rep string) string {
	re := regexp.MustCompile(`(^|[^\pL\pN])` + regexp.QuoteMeta(old) + `($|[^\pL\pN])`)
	for {
		loc := re.FindStringSubmatchIndex(s)
		if loc == nil {
			return s
		}
		s = s[:loc[3]] + rep + s[loc[4]:]
	}
}

// restoreCase capitalises the words of q that the original question had
// capitalised, for questions that kept some capitals.
func restoreCase(q, orig string) string {
	caps := map[string]string{}
	for _, w := range strings.Fields(orig) {
		if strings.ToLower(w) != w {
			caps[strings.ToLower(w)] = w
		}
	}
	ws := strings.Fields(q)
	for i, w := range ws {
		if c, ok := caps[w]; ok {
			ws[i] = c
		}
	}
	return strings.Join(ws, " ")
}

// offYears are the years a question may be moved to: after the corpus
// (2004-05), as a user would ask about a later event.
var offYears = []int{2009, 2010, 2011, 2012, 2013, 2014, 2015, 2016, 2017, 2018, 2019, 2020, 2021, 2022, 2023}

// yearOK reports whether a year can stand in a question with these
// content words: it never occurs in the corpus, or no sentence holding it
// holds any of them.
func (g *offGen) yearOK(year string, content []string) bool {
	if !g.c.hasWord(year) {
		return true
	}
	for _, w := range content {
		if g.c.cooccur([]string{year}, forms(w)) {
			return false
		}
	}
	return true
}

// contentOf returns the lower-case content words of a question.
func contentOf(q string) []string {
	var out []string
	for _, t := range tokenize(strings.ToLower(q)) {
		w := bare(t.s)
		if !t.punct && len(w) >= 3 && !stopwords[w] && !yearRe.MatchString(w) && !questionWords[w] {
			out = append(out, w)
		}
	}
	return out
}

var questionWords = set("who", "what", "when", "which", "how", "many", "much", "why", "where",
	"anyone", "know", "idea", "remind", "tell", "trying", "find", "year", "date", "day", "month",
	"roughly", "whats", "what's", "who's", "when's", "did", "does")

var lastYear = regexp.MustCompile(`\b(in |during )?(last|this) year('s)?`)

// yearQuestions makes questions about years the corpus cannot cover:
// real questions moved to a later year, and well-known later events.
func (g *offGen) yearQuestions(n int) []offQuestion {
	var out []offQuestion
	nSwap := n * 3 / 5
	g.clozes(n*3000, func(cz cloze) bool {
		text := cz.q.Question
		var old string
		switch {
		case len(cz.years) > 0:
			old = cz.years[g.rng.IntN(len(cz.years))]
		case lastYear.MatchString(text):
			old = lastYear.FindString(text)
		default:
			return true
		}
		content := contentOf(text)
		for try := 0; try < 5; try++ {
			y := strconv.Itoa(offYears[g.rng.IntN(len(offYears))])
			if !g.yearOK(y, content) {
				continue
			}
			rep := y
			switch {
			case yearRe.MatchString(old):
			case strings.HasSuffix(old, "'s"):
				rep = "the " + y // "in this year's six nations" -> "in the 2021 six nations"
				if strings.HasPrefix(old, "in ") || strings.HasPrefix(old, "during ") {
					rep = strings.Fields(old)[0] + " the " + y
				}
			default:
				rep = "in " + y
			}
			q := replaceWord(text, old, rep)
			if containsWord(q, old) {
				return true
			}
			g.add(&out, offQuestion{q: question{Question: q}, sub: "year", put: y})
			break
		}
		return len(out) < nSwap
	})
	// Well-known events after the corpus, from templates, each used at
	// most three times.
	perm := g.rng.Perm(len(eventTemplates) * len(offYears))
	used := map[int]int{}
	for _, k := range perm {
		if len(out) >= n {
			break
		}
		t := eventTemplates[k%len(eventTemplates)]
		y := offYears[k/len(eventTemplates)]
		if !t.years(y) || used[k%len(eventTemplates)] >= 3 {
			continue
		}
		used[k%len(eventTemplates)]++
		ys := strconv.Itoa(y)
		if !g.yearOK(ys, t.keys) {
			continue
		}
		form := t.forms[g.rng.IntN(len(t.forms))]
		q := g.casual(strings.ReplaceAll(form, "{y}", ys))
		g.add(&out, offQuestion{q: question{Question: q}, sub: "year", put: ys, keys: t.keys})
	}
	// Products and deals that came after the corpus: their names never
	// occur in it.
	for _, k := range g.rng.Perm(len(laterThings)) {
		if len(out) >= n {
			break
		}
		t := laterThings[k]
		if anyAbsent := !g.c.hasPhrase(t.absent); !anyAbsent {
			continue
		}
		q := g.casual(t.forms[g.rng.IntN(len(t.forms))])
		g.add(&out, offQuestion{q: question{Question: q}, sub: "year", put: t.absent})
	}
	return out
}

var aVowel = regexp.MustCompile(`\ba ([aeiou])`)

// casual varies the typing of a template question.
func (g *offGen) casual(q string) string {
	q = aVowel.ReplaceAllString(q, "an $1")
	switch g.rng.IntN(8) {
	case 0:
		// Only questions whose word order survives the prefix.
		if strings.HasPrefix(q, "who ") || strings.HasPrefix(q, "which ") || strings.HasPrefix(q, "where ") {
			q = "anyone know " + q
		}
	case 1:
		q = "quick one - " + q
	case 2:
		q = strings.TrimSuffix(q, "?")
	}
	if strings.HasPrefix(q, "what is ") && g.rng.IntN(2) == 0 {
		q = "what's " + q[len("what is "):]
	}
	return q
}

// mixQuestions makes hard negatives from common words that never meet
// in one sentence, and general-knowledge questions the corpus does not
// answer.
func (g *offGen) mixQuestions(n int) []offQuestion {
	var out []offQuestion
	nWords := n * 3 / 5
	perTemplate := map[int]int{}
	limit := nWords/len(mixTemplates) + 2
	for try := 0; len(out) < nWords && try < nWords*200; try++ {
		k := g.rng.IntN(len(mixTemplates))
		if perTemplate[k] >= limit {
			continue
		}
		if q, ok := g.wordMix(mixTemplates[k]); ok && g.add(&out, q) {
			perTemplate[k]++
		}
	}
	perKnowledge := map[int]int{}
	limit = (n-nWords)/len(knowledgeTemplates) + 2
	for try := 0; len(out) < n && try < n*200; try++ {
		k := g.rng.IntN(len(knowledgeTemplates))
		if perKnowledge[k] >= limit {
			continue
		}
		t := knowledgeTemplates[k]
		slot := t.slots[g.rng.IntN(len(t.slots))]
		if !g.unanswered(slot, t.keys) {
			continue
		}
		form := t.forms[g.rng.IntN(len(t.forms))]
		q := g.casual(strings.ReplaceAll(form, "{x}", slot))
		if g.add(&out, offQuestion{q: question{Question: q}, sub: "mix", put: slot, slot: slot, keys: t.keys}) {
			perKnowledge[k]++
		}
	}
	return out
}

// unanswered reports whether a slot filler is absent from the corpus, or
// never in a sentence with any of the template's key words.
func (g *offGen) unanswered(slot string, keys []string) bool {
	ws := phraseWords(slot)
	if !g.c.hasPhrase(slot) {
		return true
	}
	groups := [][]string{}
	for _, w := range ws {
		groups = append(groups, forms(w))
	}
	for _, k := range keys {
		if g.c.cooccur(append(groups, forms(k))...) {
			return false
		}
	}
	return true
}

// phraseWords returns the content words of a phrase.
func phraseWords(p string) []string {
	var out []string
	for _, w := range strings.Fields(strings.ToLower(p)) {
		if !stopwords[w] {
			out = append(out, w)
		}
	}
	return out
}

// plural returns the plural of a noun from mixLists.
func plural(w string) string {
	switch {
	case strings.HasSuffix(w, "y") && !strings.HasSuffix(w, "ay") && !strings.HasSuffix(w, "ey"):
		return w[:len(w)-1] + "ies"
	case strings.HasSuffix(w, "ch") || strings.HasSuffix(w, "sh") || strings.HasSuffix(w, "s"):
		return w + "es"
	}
	return w + "s"
}

// minArticles is how many articles a word must occur in to count as
// common in the corpus.
const minArticles = 15

// common reports whether a word (in any of its forms) occurs in at least
// minArticles articles.
func (g *offGen) common(w string) bool {
	best := 0
	for _, f := range forms(w) {
		best = max(best, g.c.df[f])
	}
	return best >= minArticles
}

// wordMix fills a template with common words that never meet: no
// sentence holds any two of its nouns, nor all of its words.
func (g *offGen) wordMix(t mixTemplate) (offQuestion, bool) {
	fill := map[string]string{}
	var nouns, all []string
	for _, slot := range t.slots {
		list := mixLists[slot]
		switch slot {
		case "things":
			list = mixLists["thing"]
		case "thingverb":
			list = thingVerbs[fill["things"]]
		}
		w := list[g.rng.IntN(len(list))]
		for _, used := range fill {
			if used == w {
				return offQuestion{}, false
			}
		}
		fill[slot] = w
		lemma := strings.Fields(w)[0]
		verb := slot == "verb" || slot == "verbed" || slot == "thingverb"
		if verb {
			lemma = mixLemma[w]
		}
		if !g.common(lemma) {
			return offQuestion{}, false
		}
		all = append(all, lemma)
		if !verb {
			nouns = append(nouns, lemma)
		}

	}
	for i := range nouns {
		for j := i + 1; j < len(nouns); j++ {
			if g.c.cooccur(forms(nouns[i]), forms(nouns[j])) {
				return offQuestion{}, false
			}
		}
	}
	var groups [][]string
	for _, w := range all {
		groups = append(groups, forms(w))
	}
	if g.c.cooccur(groups...) {
		return offQuestion{}, false
	}
	q := t.form
	for _, slot := range t.slots {
		w := fill[slot]
		if slot == "things" {
			w = plural(w)
		}
		q = strings.Replace(q, "{"+slot+"}", w, 1)
	}
	return offQuestion{q: question{Question: g.casual(q)}, sub: "mix", put: strings.Join(all, " "), nouns: nouns}, true
}
