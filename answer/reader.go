package answer

import (
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/newsbot/newsbot/retrieval"
	"github.com/newsbot/newsbot/retrieval/text"
)

// The reader finds the sentences that answer a question, not just the ones
// that repeat it. It knows what kind of answer is asked for (a person, a
// number, a date, a reason, a quotation), looks for spans of that kind that
// the question doesn't already hold, and scores each by the question's
// words around it. It reads the retrieved passages, their neighbours in the
// same article (the answer is often one passage on) and the title; a
// sentence that opens with a pronoun borrows from the one before it, and is
// quoted with it.

// Reader limits.
const (
	readPassages       = 5   // retrieved passages read
	readNeighbours     = 3   // of these, the best few have their neighbours read too
	proximityWords     = 10  // question words this close to a span support it
	relationWords      = 4   // the verb of "who did it" this close to a span says it did
	clauseTokens       = 4   // a reason span this many words longer than one is a clause
	answerArticleShare = 0.8 // the decline's answer span is sought in articles covering this share of the best
	minUnitRunes       = 25  // shorter sentences are merged with their neighbour
	maxUnitRunes       = 600 // longer ones are not quoted
)

// unit is a candidate quotation: a sentence of a passage, or a short
// fragment merged with its neighbour.
type unit struct {
	p         int // index into reading.passages
	start     int // byte offset in the passage text
	text      string
	overlap   float64 // share of the question it holds (see overlap)
	span      float64 // best answer span: 0 none, else in (0, 1]
	ctx       float64 // share of the question it holds with the sentence before it and the title
	score     float64
	prev      int  // the unit before it in the same passage, or -1
	refers    bool // opens with a pronoun or "the company": needs prev to make sense
	neighbour bool // from a passage next to a retrieved one
}

// reading is the reader's work on one question.
type reading struct {
	kind     answerType
	passages []retrieval.Passage
	rank     []int // retrieval rank of each passage (a neighbour: its retrieved one's)
	units    []unit
	order    []int   // units by score, best first
	answer   float64 // best answer-span score among the retrieved passages' articles
}

// typed reports whether the question asks for a kind of span.
func (rd *reading) typed() bool { return rd.kind != askNone && rd.kind != askSource }

// referring openers: a sentence that starts with one of these continues the
// one before it.
var referring = []string{"he ", "she ", "it ", "they ", "his ", "her ", "its ", "their ", "this ", "these ", "those ",
	"the company", "the firm", "the group", "the minister", "the club", "the player", "the bank", "the star",
	"the singer", "the actor", "the band", "the film", "the government", "the report", "the move", "the deal",
	"but he ", "but she ", "but it ", "but they ", "and he ", "and she "}

// carriedWeight is what a word carried into a follow-up's query from the
// turn before counts for in reading, against 1 for the follow-up's own:
// it names the story, not what is asked about it.
const carriedWeight = 0.3

// describedWeight is what a word of a question's description counts for
// in reading, against 1 for the asking clause's own ("the ex-KGB guy who
// is starving himself near Downing Street - what does he want?").
const describedWeight = 0.1

// describedArticle is how much of a sentence's score rests on its
// article fitting the question's description: a sentence of an article
// holding none of the description's words keeps 1 - describedArticle.
const describedArticle = 0.4

// preferredRead is what a sentence of an article the conversation has
// cited adds to its score: a follow-up asks about the story under
// discussion.
const preferredRead = 0.1

// read reads the passages for question (query is what was searched: the
// question, or a follow-up's standalone query, whose terms in context were
// carried from the turn before).
func (e *Engine) read(question, query string, context map[string]bool, prefer []string, passages []retrieval.Result) *reading {
	rd := &reading{kind: askTypeOf(question)}
	happened := (rd.kind == askMoney || rd.kind == askNumber) && asksWhatHappened(question)
	count := rd.kind == askNumber && asksCount(question)
	var like func(string) float64
	if rd.kind == askPerson && asksPerson(question) {
		like = e.personLike()
	}
	qterms := e.r.Analyze(query)
	for i := range qterms {
		if context[qterms[i].Term] {
			qterms[i].Weight *= carriedWeight
		}
	}
	var described []retrieval.QueryTerm
	if clause := questionClause(question); clause != "" {
		// The words describing the story found it; the answer is what the
		// asking clause wants of it.
		asking := map[string]bool{}
		for _, t := range e.r.Terms(clause) {
			asking[t] = true
		}
		for i := range qterms {
			if !asking[qterms[i].Term] {
				if !qterms[i].Meta && !context[qterms[i].Term] {
					described = append(described, qterms[i])
				}
				qterms[i].Weight *= describedWeight
			}
		}
	}
	total := 0.0
	for _, t := range qterms {
		if !t.Meta {
			total += t.Weight
		}
	}
	qset := map[string]float64{}
	for _, t := range qterms {
		if t.Meta {
			continue
		}
		qset[t.Term] = max(qset[t.Term], t.Weight)
		for _, a := range t.Alternatives {
			if len(a.Terms) == 1 {
				qset[a.Terms[0]] = max(qset[a.Terms[0]], t.Weight*a.Weight)
			}
		}
	}
	// "Who directed the film": the person asked for stands next to
	// "directed" or "director", whatever else the sentence holds.
	var relation map[string]bool
	if rel := askedRelation(question); rel != "" && rd.kind == askPerson {
		relation = map[string]bool{}
		for _, t := range e.r.Analyze(rel) {
			if t.Term == "" {
				continue
			}
			relation[t.Term] = true
			for _, a := range t.Alternatives {
				if len(a.Terms) == 1 {
					relation[a.Terms[0]] = true
				}
			}
			// The one who did it: "director", "scorer", "winner".
			last := t.Term[len(t.Term)-1:]
			for _, agent := range []string{t.Term + "or", t.Term + "er", t.Term + "r", t.Term + last + "er"} {
				for _, a := range e.r.Terms(agent) {
					relation[a] = true
				}
			}
		}
	}
	years := map[string]bool{}
	for _, t := range qterms {
		if t.Year {
			years[t.Term] = true
		}
	}

	// The passages to read: the retrieved ones, then the neighbours of the
	// best few, each once.
	seen := map[string]bool{}
	add := func(p retrieval.Passage, rank int, neighbour bool) {
		if seen[p.ID] {
			return
		}
		seen[p.ID] = true
		rd.passages = append(rd.passages, p)
		rd.rank = append(rd.rank, rank)
		rd.addUnits(e, len(rd.passages)-1, neighbour)
	}
	top := passages[:min(len(passages), readPassages)]
	for i, p := range top {
		add(p.Passage, i, false)
	}
	for i, p := range top[:min(len(top), readNeighbours)] {
		arts := e.r.ArticlePassages(p.ArticleID)
		for j := range arts {
			if arts[j].ID == p.ID {
				if j > 0 {
					add(arts[j-1], i, true)
				}
				if j+1 < len(arts) {
					add(arts[j+1], i, true)
				}
			}
		}
	}

	termCache := map[string][]string{}
	termsOf := func(w string) []string {
		ts, ok := termCache[w]
		if !ok {
			ts = e.r.Terms(w)
			termCache[w] = ts
		}
		return ts
	}
	inTop := map[string]bool{}
	for _, a := range coveringArticles(top) {
		inTop[a] = true
	}
	unitTerms := make([][]string, len(rd.units))
	for i := range rd.units {
		unitTerms[i] = e.r.Terms(rd.units[i].text)
	}
	// Words of the question that most of what is read holds are its topic
	// ("Mittal Steel"), not what picks the answer out ("employ",
	// "Kazakhstan"): they count for less here, by the share of units that
	// hold them.
	local := localWeights(qterms, unitTerms)
	lset := map[string]float64{}
	ltotal := 0.0
	for _, t := range local {
		if !t.Meta {
			ltotal += t.Weight
		}
		if w, ok := qset[t.Term]; ok && w > 0 {
			lset[t.Term] = t.Weight
		}
	}
	for term, w := range qset {
		if _, ok := lset[term]; !ok {
			lset[term] = w // alternatives keep their weight
		}
	}
	for i := range rd.units {
		u := &rd.units[i]
		if ltotal > 0 {
			u.overlap = min(1, overlap(local, unitTerms[i])/ltotal)
		}
		if rd.typed() && total > 0 {
			// The decline evidence wants the corpus-wide measure; the
			// choice among sentences the local one.
			c := findCandidates(u.text, rd.kind, like, happened, count, termsOf)
			if sp := c.best(qset, total, relation); sp > rd.answer && inTop[rd.passages[u.p].ArticleID] {
				rd.answer = sp
			}
			u.span = c.best(lset, ltotal, relation)
		}
	}
	// The description picks the story out: a sentence of an article it
	// doesn't fit ("directors guild of great britain awards - who's
	// getting the lifetime achievement award?" against another awards
	// story) counts for less.
	describes := map[string]float64{}
	if len(described) > 0 {
		m := e.r.Matcher(query)
		dtotal := 0.0
		for _, t := range described {
			dtotal += t.Weight
		}
		for _, p := range rd.passages {
			a := p.ArticleID
			if _, ok := describes[a]; ok {
				continue
			}
			held := 0.0
			for _, t := range described {
				if m.InArticle(a, t.Term) {
					held += t.Weight
				}
			}
			describes[a] = held / dtotal
		}
	}
	titleTerms := map[string][]string{}
	for i := range rd.units {
		u := &rd.units[i]
		ov := u.overlap
		// A sentence in context: with the one before it and the title, as
		// a reader sees it. The answer often follows the sentence that
		// restates the question, and holds few of its words itself.
		title := rd.passages[u.p].Title
		tt, ok := titleTerms[title]
		if !ok {
			tt = e.r.Terms(title)
			titleTerms[title] = tt
		}
		ctx := append(slices.Clone(tt), unitTerms[i]...)
		if u.prev >= 0 {
			ctx = append(ctx, unitTerms[u.prev]...)
		}
		ctxOv := 0.0
		if ltotal > 0 {
			ctxOv = min(1, overlap(local, ctx)/ltotal)
		}
		u.ctx = ctxOv
		if u.refers && u.prev >= 0 {
			ov = min(1, ov+0.5*rd.units[u.prev].overlap)
		}
		if rd.typed() {
			u.score = 0.25*ov + 0.25*ctxOv + 0.5*u.span
		} else {
			u.score = 0.6*ov + 0.4*ctxOv
		}
		u.score += 0.04 / float64(rd.rank[u.p]+1)
		if slices.Contains(prefer, rd.passages[u.p].ArticleID) {
			u.score += preferredRead
		}
		if f, ok := describes[rd.passages[u.p].ArticleID]; ok {
			u.score *= 1 - describedArticle + describedArticle*f
		}
		if u.neighbour {
			u.score -= 0.03
		}
		if len(years) > 0 {
			u.score += 0.1 * yearFit(u.text, years)
		}
		if ov < extractMinOverlap && !(u.span > 0 && ctxOv >= 2*extractMinOverlap) {
			u.score = 0 // too little of the question to be about it
		}
	}
	rd.order = make([]int, 0, len(rd.units))
	for i := range rd.units {
		if rd.units[i].score > 0 {
			rd.order = append(rd.order, i)
		}
	}
	sort.SliceStable(rd.order, func(a, b int) bool { return rd.units[rd.order[a]].score > rd.units[rd.order[b]].score })
	return rd
}

// localWeights returns the question terms with each weight scaled down by
// the share of units holding the term: 1 when none does, a fifth when all
// do.
func localWeights(q []retrieval.QueryTerm, units [][]string) []retrieval.QueryTerm {
	out := make([]retrieval.QueryTerm, len(q))
	copy(out, q)
	if len(units) == 0 {
		return out
	}
	for i := range out {
		n := 0
		for _, ts := range units {
			if slices.Contains(ts, out[i].Term) || prefixMatch(out[i].Term, ts) {
				n++
			}
		}
		f := float64(n) / float64(len(units))
		out[i].Weight *= 1 / (1 + 4*f)
	}
	return out
}

// addUnits cuts passage p into units: its sentences, a short fragment
// merged with the sentence after it (or before, at the end).
func (rd *reading) addUnits(e *Engine, p int, neighbour bool) {
	body := rd.passages[p].Text
	var spans [][2]int
	for _, sp := range text.SentenceSpans(body) {
		s := strings.TrimSpace(body[sp[0]:sp[1]])
		if s == "" {
			continue
		}
		if n := len(spans); n > 0 && utf8.RuneCountInString(strings.TrimSpace(body[spans[n-1][0]:spans[n-1][1]])) < minUnitRunes {
			spans[n-1][1] = sp[1] // the fragment before absorbs this sentence
			continue
		}
		spans = append(spans, sp)
	}
	if n := len(spans); n > 1 && utf8.RuneCountInString(strings.TrimSpace(body[spans[n-1][0]:spans[n-1][1]])) < minUnitRunes {
		spans[n-2][1] = spans[n-1][1]
		spans = spans[:n-1]
	}
	prev := -1
	for _, sp := range spans {
		s := strings.Join(strings.Fields(body[sp[0]:sp[1]]), " ")
		if n := utf8.RuneCountInString(s); n < minUnitRunes || n > maxUnitRunes {
			prev = -1
			continue
		}
		low := strings.ToLower(strings.TrimLeft(s, "\"“‘'"))
		refers := false
		for _, r := range referring {
			if strings.HasPrefix(low, r) {
				refers = true
				break
			}
		}
		rd.units = append(rd.units, unit{p: p, start: sp[0], text: s, prev: prev, refers: refers, neighbour: neighbour})
		prev = len(rd.units) - 1
	}
}

// candidates are a sentence's possible answer spans, with its words and
// their index terms, found once and scored against several weightings of
// the question.
type candidates struct {
	spans    []span
	toks     []token
	tokTerms [][]string
	clauses  bool // the spans are reason clauses
	quotes   bool // the spans are quotations: the words inside say what they are about
}

// findCandidates finds the answer spans of type kind in a sentence: for a
// question about what happened, none that was only expected; for one that
// counts, no share; for one asking for a person, each weighed by how much
// it looks like a name.
func findCandidates(text string, kind answerType, like func(string) float64, happened, count bool, termsOf func(string) []string) candidates {
	spans := findSpans(text, kind)
	if happened {
		// A question about what was paid or counted is not answered by
		// what was expected.
		spans = slices.DeleteFunc(spans, func(sp span) bool { return hedged(text, sp.start) })
	}
	if count {
		// "How many votes did he get" is not answered by "31% of the
		// vote", nor "how many people work there" by "$11.5bn".
		spans = slices.DeleteFunc(spans, func(sp span) bool {
			return shareSpan.MatchString(text[sp.start:]) || moneyAt(text, sp.start)
		})
	}
	if kind == askNumber {
		// Nor by "until 1997": a year after a preposition is a date.
		spans = slices.DeleteFunc(spans, func(sp span) bool {
			return yearOnly.MatchString(strings.TrimRight(text[sp.start:sp.end], ",.")) && datePreposition.MatchString(text[:sp.start])
		})
	}
	if len(spans) == 0 {
		return candidates{}
	}
	if like != nil {
		for i := range spans {
			spans[i].spec *= like(text[spans[i].start:spans[i].end])
		}
	}
	c := candidates{spans: spans, toks: tokenize(text), clauses: kind == askReason, quotes: kind == askQuote}
	c.tokTerms = make([][]string, len(c.toks))
	for i, tk := range c.toks {
		c.tokTerms[i] = termsOf(tk.text)
	}
	return c
}

// best scores the best answer span: spans the question doesn't already
// hold, supported by the question's words (qset, weighing total in all)
// within a few words of them, or for a quotation inside it too. 0 when
// there is none; else 0.4 for a span alone, up to 1 with every question
// word beside it.
func (c candidates) best(qset map[string]float64, total float64, relation map[string]bool) float64 {
	toks, tokTerms := c.toks, c.tokTerms
	best := 0.0
	for _, sp := range c.spans {
		first, last := -1, -1
		novel, asked := 0, 0
		for i, tk := range toks {
			if tk.end <= sp.start || tk.start >= sp.end {
				continue
			}
			if first < 0 {
				first = i
			}
			last = i
			for _, t := range tokTerms[i] {
				if _, ok := qset[t]; ok {
					asked++
				} else {
					novel++
				}
			}
		}
		if first < 0 || novel <= asked && !(c.clauses && last-first >= clauseTokens && 2*novel > asked) {
			// The span is mostly the question's own: "John Lennon" when
			// the question names Lennon is what is asked about, not the
			// answer. A reason may repeat more of the question and still
			// say what it asks ("cancelled when a format could not be
			// agreed" for "why did it get called off").
			continue
		}
		got := map[string]float64{}
		for i := max(0, first-proximityWords); i < min(len(toks), last+proximityWords+1); i++ {
			if i >= first && i <= last && !c.quotes {
				continue
			}
			for _, t := range tokTerms[i] {
				if w, ok := qset[t]; ok {
					got[t] = w
				}
			}
		}
		sum := 0.0
		for _, w := range got {
			sum += w
		}
		support := min(1, sum/total)
		if relation != nil {
			// Half the support is the relation asked about, next to the
			// span ("directed by", "its director,").
			near := 0.0
			for i := max(0, first-relationWords); i < min(len(toks), last+relationWords+1); i++ {
				if i >= first && i <= last {
					continue
				}
				if slices.ContainsFunc(tokTerms[i], func(t string) bool { return relation[t] }) {
					near = 1
					break
				}
			}
			support = 0.5*support + 0.5*near
		}
		best = max(best, sp.spec*(0.4+0.6*support))
	}
	return best
}

// personLike returns how much a name span looks like a person's name, in
// (0, 1]: people's names are not ordinary words ("Alyona Bondarenko"),
// while the capitalised words that are ("Indian", "Open", "Cup", "League")
// and acronyms ("WTA") name nations, events and organisations. A name of
// ordinary words only counts half.
func (e *Engine) personLike() func(string) float64 {
	cache := map[string]bool{}
	ordinary := func(w string) bool {
		o, ok := cache[w]
		if !ok {
			terms := e.r.Analyze(w)
			o = len(terms) == 0 || terms[0].Vocabulary
			cache[w] = o
		}
		return o
	}
	return func(name string) float64 {
		n, people := 0, 0
		for _, tk := range tokenize(name) {
			w := tk.text
			if nameParticles[strings.ToLower(w)] {
				continue
			}
			n++
			if utf8.RuneCountInString(w) > 1 && strings.ToUpper(w) == w {
				continue // an acronym
			}
			if !ordinary(w) {
				people++
			}
		}
		if n == 0 {
			return 1
		}
		return 0.5 + 0.5*float64(people)/float64(n)
	}
}

// yearFit is +1 when a sentence names an asked year, -1 when it names
// other years only, else 0.
func yearFit(text string, years map[string]bool) float64 {
	other := false
	for _, tk := range tokenize(text) {
		if isBareYear(tk.text) {
			if years[tk.text] {
				return 1
			}
			other = true
		}
	}
	if other {
		return -1
	}
	return 0
}

// picked is a unit chosen for the answer, with the unit quoted before it
// for sense (-1 when none).
type picked struct {
	u, context int
}

// pick chooses what to quote: the best unit, then others that come close,
// at most n in all and perPassage from one passage, each sentence once
// across near-duplicate articles.
func (rd *reading) pick(n, perPassage int) []picked {
	var out []picked
	if len(rd.order) == 0 {
		return nil
	}
	best := rd.units[rd.order[0]].score
	perP := map[int]int{}
	var quoted []map[string]bool
	chosen := map[int]bool{}
	for _, i := range rd.order {
		if len(out) == n {
			break
		}
		u := rd.units[i]
		if u.score < 0.55*best {
			break
		}
		words := wordSet(u.text)
		if perP[u.p] >= perPassage || nearDuplicate(words, quoted) {
			continue
		}
		quoted = append(quoted, words)
		perP[u.p]++
		chosen[i] = true
		pk := picked{u: i, context: -1}
		if u.refers && u.prev >= 0 && !chosen[u.prev] {
			pk.context = u.prev
			chosen[u.prev] = true
			quoted = append(quoted, wordSet(rd.units[u.prev].text))
		}
		out = append(out, pk)
	}
	if rd.typed() && rd.kind != askReason && len(out) > 0 {
		// The sentence that restates the question often lacks what was
		// asked, which the next sentences give: make sure the best answer
		// in context is quoted.
		bi, bs := -1, 0.0
		for i, u := range rd.units {
			if u.score == 0 || u.span == 0 {
				continue
			}
			if s := u.span * u.ctx * u.ctx; s > bs {
				bi, bs = i, s
			}
		}
		if bi >= 0 && !chosen[bi] && !nearDuplicate(wordSet(rd.units[bi].text), quoted) {
			pk := picked{u: bi, context: -1}
			if u := rd.units[bi]; u.refers && u.prev >= 0 && !chosen[u.prev] {
				pk.context = u.prev
			}
			if len(out) == n {
				out[n-1] = pk
			} else {
				out = append(out, pk)
			}
		}
	}
	return out
}

// wordSet is the set of a sentence's lower-case words.
func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, tk := range tokenize(strings.ToLower(s)) {
		m[tk.text] = true
	}
	return m
}

// nearDuplicate reports whether a sentence shares 70% of its words or more
// (Jaccard) with one already quoted: the same sentence in a syndicated or
// updated copy of a story.
func nearDuplicate(words map[string]bool, quoted []map[string]bool) bool {
	for _, q := range quoted {
		inter := 0
		for w := range words {
			if q[w] {
				inter++
			}
		}
		if union := len(words) + len(q) - inter; union > 0 && float64(inter)/float64(union) >= 0.7 {
			return true
		}
	}
	return false
}
