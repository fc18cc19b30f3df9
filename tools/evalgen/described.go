package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"

	"github.com/newsbot/newsbot/retrieval/article"
	"github.com/newsbot/newsbot/retrieval/lexicon"
)

// A described question is typed the way a user remembers a story: a few
// words of its headline or lead ("the hoddle wolves thing -"), then a
// short question about a fact from a later sentence ("who did he
// replace?"). The answer sentence lends the question at most
// maxOwnWords content words of its own, so that the question shares
// little with the sentence that answers it.

// maxOwnWords caps the content words a described question takes from its
// answer sentence beyond those of its description of the story; a third
// of the questions get one fewer.
const maxOwnWords = 3

// describer makes described questions.
type describer struct {
	b      *builder
	c      *corpus
	rng    *rand.Rand
	lex    *lexicon.Lexicon
	prefix string
	debug  bool
}

// story is what a question may say about an article: its headline and
// lead, and the pronoun for its main person.
type story struct {
	art int
	// headLead holds the lower-case words of the headline and lead.
	headLead map[string]bool
	// head is the headline's words in segments split at its colons and
	// commas, quotes dropped.
	head [][]headWord
	// names are the distinctive names of the headline and then the lead.
	names []storyName
	// he is "he" or "she", from the pronouns of the article.
	he string
}

// headWord is a word of a headline.
type headWord struct {
	w       string // lower case
	content bool   // not a function word
	name    int    // 1 + the index of the name it is part of, or 0
	score   int    // how much it says about the story
	verb    bool   // mostly a verb form
}

// storyName is a person, company or other name of the headline or lead.
type storyName struct {
	text  string   // as typed: lower case, often a surname for a person
	words []string // its lower-case words as written
	kind  spanKind
}

// describedSet makes n described questions.
func describedSet(c *corpus, o options) ([]question, error) {
	rng := newRand(o.seed)
	d := &describer{
		b: &builder{c: c, rng: rng}, c: c, rng: rng, lex: lexicon.New(), prefix: o.prefix,
		debug: os.Getenv("EVALGEN_DEBUG") != "",
	}
	pool := d.pool(o.n)
	if len(pool) < o.n {
		return nil, fmt.Errorf("only %d described questions could be made (want %d)", len(pool), o.n)
	}
	out := make([]question, 0, o.n)
	for i, q := range pool[:o.n] {
		q.ID = fmt.Sprintf("desc-%03d", i+1)
		out = append(out, q)
	}
	return out, nil
}

// pool makes up to n described questions from distinct sentences, in a
// deterministic order: one an article on a first pass, two on a second
// and three on a third. The answer sentence is any but an article's
// first, the 2nd to 6th tried first and the 11th on last.
func (d *describer) pool(n int) []question {
	c := d.c
	type cand struct {
		art, k int
		key    float64
	}
	var cands []cand
	for art, ss := range c.byArt {
		for k := 1; k < len(ss); k++ {
			key := d.rng.Float64()
			switch {
			case k > 9:
				key += 1
			case k > 5:
				key += 0.5
			}
			cands = append(cands, cand{art, k, key})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].key < cands[j].key })
	var out []question
	used := map[string]bool{}
	perArt := map[int]int{}
	perAnswer := map[string]int{}
	perKind := map[spanKind]int{}
	perShape := map[string]int{}
	stories := map[int]*story{}
	for pass := 0; pass < 3 && len(out) < n; pass++ {
		for _, cd := range cands {
			if len(out) >= n {
				break
			}
			si := c.byArt[cd.art][cd.k]
			key := norm(c.sents[si].text)
			if used[key] || perArt[cd.art] > pass {
				continue
			}
			st, ok := stories[cd.art]
			if !ok {
				st = d.story(cd.art)
				stories[cd.art] = st
			}
			if st == nil {
				continue
			}
			// A second description may fit where the first did not.
			q, kind, shape, ok := d.fromSentence(si, st)
			if !ok {
				if q, kind, shape, ok = d.fromSentence(si, st); !ok {
					continue
				}
			}
			// Spread the set over answers, kinds and shapes: at most
			// two questions share an answer, no kind takes more than
			// its share until the second pass, and no shape ever.
			ans := strings.ToLower(q.Answers[0])
			if kind == kindYear {
				kind = kindDate
			}
			if perAnswer[ans] >= 2 || pass == 0 && float64(perKind[kind]) >= describedShare[kind]*float64(n) ||
				float64(perShape[shape]) >= shapeShare[shape]*float64(n) {
				continue
			}
			perAnswer[ans]++
			perKind[kind]++
			perShape[shape]++
			perArt[cd.art]++
			used[key] = true
			if d.debug {
				fmt.Fprintf(os.Stderr, "[%s] %s %v\n   <- %s | %s\n", shape, q.Question, q.Answers, c.arts[cd.art].Title, c.sents[si].text)
			}
			q.Relevant = c.relevantTo(c.sents[si].text, d.prefix)
			out = append(out, q)
		}
	}
	return out
}

// describedShare caps each kind's share of a described set on the first
// pass, as kindShare does for cloze sets, with a share for teams and
// places.
var describedShare = map[spanKind]float64{
	kindPerson: 0.34, kindCompany: 0.14, kindCount: 0.22, kindMoney: 0.14, kindDate: 0.24, kindOther: 0.12,
}

// shapeShare caps each question shape's share of a described set: "who's
// the saints coach" is easy to make and would crowd out the rest.
var shapeShare = map[string]float64{"role": 0.3, "subject": 1, "object": 1, "opener": 1}

// genericStory words say little about which story is meant.
var genericStory = set("man", "woman", "men", "women", "people", "says", "said", "new", "plan",
	"plans", "bid", "call", "calls", "set", "day", "week", "time", "way", "top", "big", "faces",
	"face", "hits", "hit", "gets", "get", "takes", "take", "makes", "make", "wins", "win", "boost",
	"boosts", "row", "move", "moves", "deal", "deals", "firm", "firms", "group", "chief", "boss",
	"head", "urged", "urges", "warns", "warning", "fears", "fear", "hope", "hopes", "looks", "look",
	"sees", "see", "goes", "go", "comes", "come", "gives", "give", "puts", "put", "world", "ahead",
	"amid", "record", "news", "report", "reports", "plea", "claim", "claims", "tells", "rise",
	"rises", "fall", "falls", "cut", "cuts", "change", "changes", "case", "end", "ends", "start",
	"starts", "return", "returns", "join", "joins", "seeks", "seek", "sets", "stay", "stays",
	"keep", "keeps", "quits", "best", "worst", "high", "low", "old", "young", "key", "major",
	"real", "next", "full", "final", "former", "latest", "fresh", "uk", "british", "government",
	"part", "number", "lot", "issue", "issues", "concern", "concerns", "focus", "bbc")

// maxStoryDF is the article frequency above which a word is too common to
// say which story is meant.
const maxStoryDF = 300

// story gathers what a question may say about an article, or nil when
// its headline names too little to describe it.
func (d *describer) story(art int) *story {
	c := d.c
	a := c.arts[art]
	ss := c.byArt[art]
	if a.Title == "" || len(ss) < 3 {
		return nil
	}
	st := &story{art: art, headLead: map[string]bool{}, he: "he"}
	headToks := tokenize(article.Fold(a.Title))
	lead := c.sents[ss[0]].toks
	for _, part := range [][]tok{headToks, lead} {
		for _, t := range part {
			if !t.punct {
				st.headLead[bare(t.lower())] = true
			}
		}
	}
	he, she := 0, 0
	for _, si := range ss {
		for _, t := range c.sents[si].toks {
			switch t.lower() {
			case "he", "him", "his", "himself":
				he++
			case "she", "her", "herself":
				she++
			}
		}
	}
	if she > he {
		st.he = "she"
	}
	// The headline's words, names kept whole.
	nameAt := make([]int, len(headToks))
	for k, o := range c.findNames(headToks, 0) {
		if o.kind == kindOther && o.end-o.start == 1 && nationalities[headToks[o.start].lower()] {
			continue
		}
		for i := o.start; i < o.end; i++ {
			nameAt[i] = k + 1
		}
	}
	var seg []headWord
	for i, t := range headToks {
		if t.punct {
			if t.s == ":" || t.s == "," || t.s == ";" || t.s == "-" {
				if len(seg) > 0 {
					st.head = append(st.head, seg)
				}
				seg = nil
			}
			continue
		}
		w := bare(t.lower())
		hw := headWord{w: w, name: nameAt[i]}
		hw.content = !stopwords[w] && w != "s"
		switch {
		case hw.name > 0 && c.df[w] <= maxStoryDF:
			hw.score = 3
		case hw.name > 0:
			hw.score = 1
		case hw.content && !genericStory[w] && c.df[w] <= maxStoryDF && c.df[w] > 0:
			hw.score = 2
		}
		hw.verb = hw.name == 0 && d.verbLike(w)
		seg = append(seg, hw)
	}
	if len(seg) > 0 {
		st.head = append(st.head, seg)
	}
	// The names of headline and lead, for a description made of names.
	seen := map[string]bool{}
	for _, part := range [][]tok{headToks, lead} {
		for _, o := range c.findNames(part, 0) {
			var ws []string
			for _, x := range part[o.start:o.end] {
				ws = append(ws, bare(x.lower()))
			}
			if len(ws) > 3 || months[ws[0]] || weekdays[ws[0]] || hyphenRole(part[o.end-1].s) || d.seenAny(seen, ws) {
				continue
			}
			if o.kind == kindOther && len(ws) == 1 && (nationalities[ws[0]] || c.df[ws[0]] > maxStoryDF) {
				continue // "British", "England" on their own say little
			}
			for _, w := range ws {
				seen[w] = true
			}
			text := strings.Join(ws, " ")
			if o.kind == kindPerson && o.surname != "" && len(ws) > 1 && d.rng.IntN(3) > 0 {
				text = o.surname
			}
			st.names = append(st.names, storyName{text: text, words: ws, kind: o.kind})
		}
	}
	return st
}

// seenAny reports whether a word of ws, or of its WordNet family
// ("venezuelan" for "venezuela"), was seen.
func (d *describer) seenAny(seen map[string]bool, ws []string) bool {
	for _, w := range ws {
		if seen[w] {
			return true
		}
		for _, f := range d.lex.Family(w) {
			if seen[f] {
				return true
			}
		}
	}
	return false
}

// verbLike reports whether a lower-case word is mostly a verb form, which
// a description of a story does not end on.
func (d *describer) verbLike(w string) bool {
	c := d.c
	if irregularPast[w] != "" || participles[w] {
		return true
	}
	if c.lemmaOfPresent(w) != "" {
		return true
	}
	if l := c.lemmaOfPast(w); l != "" && c.detBefore[w]*5 < c.words[w] {
		return true
	}
	if strings.HasSuffix(w, "ing") && c.detBefore[w]*5 < c.words[w] {
		return true
	}
	return c.verbUse[w]*4 > c.words[w] && c.detBefore[w]*4 < c.words[w]
}

// description is how a question points at its story.
type description struct {
	text  string   // as typed: "hoddle wolves"
	typed []string // its content words as typed
	kept  []string // its words as the headline or lead has them
}

// describe picks 2 to 4 content words of the story, mostly a stretch of
// the headline, now and then its names alone, one word perhaps swapped
// for a synonym.
func (d *describer) describe(st *story) (description, bool) {
	r := d.rng
	want := 2 + r.IntN(3)
	var ds description
	if r.IntN(4) == 0 {
		n := 0
		var parts []string
		for _, nm := range st.names {
			k := len(strings.Fields(nm.text))
			if n+k > min(want, 3) {
				continue
			}
			parts = append(parts, nm.text)
			ds.kept = append(ds.kept, nm.words...)
			ds.typed = append(ds.typed, strings.Fields(nm.text)...)
			n += k
		}
		if len(parts) >= 2 {
			ds.text = strings.Join(parts, " ")
			return ds, true
		}
		ds = description{}
	}
	// The best stretch of the headline: starting and ending on content
	// words, not ending on a verb, names whole, with want content words
	// or as near as can be.
	best, bestScore := []headWord(nil), -1000
	for _, seg := range st.head {
		for i := range seg {
			for j := i + 1; j <= len(seg); j++ {
				w := seg[i:j]
				first, last := w[0], w[len(w)-1]
				if !first.content || !last.content || last.verb || first.verb && first.name == 0 {
					continue
				}
				if first.name > 0 && i > 0 && seg[i-1].name == first.name || last.name > 0 && j < len(seg) && seg[j].name == last.name {
					continue
				}
				cnt, score := 0, 0
				for _, x := range w {
					if x.content {
						cnt++
					}
					score += x.score
				}
				if cnt < 2 || cnt > 4 {
					continue
				}
				score -= 5 * abs(cnt-want)
				// A stretch that ends where a phrase does: "venezuela
				// reviews foreign deals", not "venezuela reviews foreign".
				if j < len(seg) && seg[j].content {
					score -= 3
				}
				if i > 0 && seg[i-1].content {
					score--
				}
				if score > bestScore {
					best, bestScore = w, score
				}
			}
		}
	}
	if best == nil {
		return ds, false
	}
	good := 0
	for _, x := range best {
		if x.score >= 2 {
			good++
		}
	}
	if good == 0 {
		return ds, false // "Man in court": nothing says which story
	}
	swapped := false
	var ws []string
	for _, x := range best {
		w := x.w
		if w == "a" || w == "an" || w == "the" {
			continue
		}
		if x.content {
			typed := w
			if x.name == 0 && !swapped && r.IntN(2) == 0 {
				if syn := d.synonym(w); syn != "" {
					typed, swapped = syn, true
				}
			}
			if typed == w {
				ds.kept = append(ds.kept, w)
			}
			ds.typed = append(ds.typed, strings.Fields(typed)...)
			w = typed
		}
		ws = append(ws, w)
	}
	ds.text = strings.Join(ws, " ")
	return ds, true
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// frame puts the description and the question together the way a user
// points at a story first; a question opening with a pronoun needs the
// description before it.
func (d *describer) frame(x, q string, pronounFirst bool) string {
	frames := []string{"the %X thing - %Q", "that %X story - %Q", "re the %X story, %Q",
		"quick q about the %X story: %Q", "%X - %Q", "in the %X story, %Q", "the %X story - %Q",
		"that story about %X - %Q", "%X: %Q", "quick q on the %X thing - %Q", "%X - %Q", "the %X one: %Q"}
	if !pronounFirst && len(strings.Fields(x)) <= 3 {
		frames = append(frames, "%Q (the %X story)", "%Q - the %X one")
		if !strings.HasSuffix(q, "?") {
			frames = append(frames, "%Q, in the %X article?")
		}
	}
	f := frames[d.rng.IntN(len(frames))]
	return strings.Replace(strings.Replace(f, "%X", x, 1), "%Q", q, 1)
}

// synonym returns a synonym a user might type for a word of a headline,
// or "": a casual word of casualSynonyms, or a WordNet synonym of Weight
// 0.7 or more that was read and found to fit a news headline.
func (d *describer) synonym(w string) string {
	if alts, ok := casualSynonyms[w]; ok {
		for _, a := range alts {
			if a != "" && a != w && !strings.Contains(a, "%") && !strings.Contains(a, " ") {
				return a
			}
		}
	}
	for _, s := range d.lex.Synonyms(w) {
		if s.Weight >= 0.7 && vettedSynonyms[w+">"+s.Word] {
			return s.Word
		}
	}
	return ""
}

// vettedSynonyms are the pairs of the lexicon's synonyms of headline
// words (Weight 0.7 or more, common in the corpus) that read right in a
// headline; most pairs do not ("clash" and "crash", "care" and
// "attention", "show" and "present").
var vettedSynonyms = set("profits>earnings", "earnings>profits", "film>movie", "movie>film",
	"cinema>film", "battle>fight", "fight>battle", "firms>companies", "companies>firms",
	"chief>boss", "boss>chief", "consumers>customers", "customer>client", "shares>stock",
	"blessing>approval", "swap>switch", "switch>swap", "increased>raised", "phone>telephone",
	"salary>wage", "global>worldwide", "huge>vast", "talks>discussions", "duo>pair",
	"survey>study", "victory>triumph", "triumph>victory", "resign>quit", "disaster>tragedy",
	"tragedy>disaster", "probe>investigation", "inquiry>probe", "competition>contest",
	"contest>competition", "option>alternative", "tale>story", "author>writer", "writer>author",
	"nominee>candidate", "hard>difficult", "difficult>hard", "comic>comedian",
	"controversy>argument", "criticise>slam", "criticised>slammed", "appointed>named",
	"avert>avoid", "couple>pair", "overseas>abroad", "referendum>vote", "lawyer>attorney",
	"executives>bosses", "custody>detention", "launched>started", "information>info",
	"person>individual", "team>squad", "squad>team", "bigger>larger", "effort>attempt",
	"chance>opportunity", "opportunity>chance", "lawsuit>suit", "contract>deal",
	"professional>pro", "display>show", "coach>manager", "sacked>fired", "punishment>penalty",
	"frustrated>disappointed", "error>mistake", "ref>referee", "consultant>adviser",
	"superstar>star", "net>internet", "internet>net", "invention>innovation", "speedy>quick",
	"television>tv", "perspective>view", "car>auto")

// fromSentence tries to make a described question about a span of
// sentence si, trying its clauses and spans in a random order.
func (d *describer) fromSentence(si int, st *story) (question, spanKind, string, bool) {
	c := d.c
	b := d.b
	s := c.sents[si]
	// Quotes may stand in the sentence, as the question keeps no mark,
	// but not a question or a cut-off sentence.
	if strings.ContainsAny(s.text, "?!") || strings.Contains(s.text, "...") || strings.HasSuffix(s.text, ":") ||
		strings.HasPrefix(s.text, "\"") || strings.HasPrefix(s.text, "“") {
		return question{}, 0, "", false
	}
	if w := len(strings.Fields(s.text)); w < 7 || w > 40 {
		return question{}, 0, "", false
	}
	ds, ok := d.describe(st)
	if !ok {
		return question{}, 0, "", false
	}
	ctx := map[string]bool{}
	for _, w := range ds.typed {
		ctx[stem(w)] = true
	}
	cls := clausesOf(s.toks)
	for _, ci := range d.rng.Perm(len(cls)) {
		adj, cl, ok := splitOpener(cls[ci])
		if !ok || len(cl) < 5 {
			continue
		}
		first := 0
		if len(adj) > 0 {
			first = -1
		}
		spans := c.findSpans(cl, first)
		var cands []span
		for _, sp := range spans {
			if sp.kind == kindOther {
				if o, ok := d.other(cl, spans, sp, st); ok {
					cands = append(cands, o)
				}
				continue
			}
			if d.unambiguous(cl, spans, sp) && b.standalone(cl, sp) && d.askable(cl, sp) {
				cands = append(cands, sp)
			}
		}
		if len(adj) >= 2 {
			if dt, ok := dateAt(adj, 1); ok && dt.cutStart == 0 && dt.end == len(adj) && (dt.prep == "in" || dt.prep == "on") {
				if b.unambiguous(cl, append(spans, dt), dt) {
					dt.prep = "opener"
					cands = append(cands, dt)
				}
			}
		}
		for _, k := range d.rng.Perm(len(cands)) {
			sp := cands[k]
			q := &draft{ds: ds, ctx: ctx, st: st, budget: maxOwnWords}
			if d.rng.IntN(3) == 0 {
				q.budget--
			}
			switch {
			case sp.prep == "opener":
				sp.prep = "in"
				ok = d.askOpener(q, si, cl, sp, b.wh(adj, &sp))
			case sp.kind == kindPerson && d.rng.IntN(2) == 0:
				ok = d.askRole(q, si, cl, sp) || d.ask(q, si, cl, sp)
			default:
				ok = d.ask(q, si, cl, sp) || sp.kind == kindPerson && d.askRole(q, si, cl, sp)
			}
			if !ok {
				continue
			}
			if q.shape != "role" && sp.kind != kindDate && sp.kind != kindYear && timePhrase(adj) {
				// "In 1994 only 1.3 words were used" asks "how many
				// words were used in 1994".
				q.toks = append(q.toks, adj...)
			}
			if qs, ok := d.finish(q, si, sp); ok {
				return qs, sp.kind, q.shape, true
			}
		}
	}
	return question{}, 0, "", false
}

// finish renders a drafted question, frames it with its description and
// checks it.
func (d *describer) finish(q *draft, si int, sp span) (question, bool) {
	text, ok := d.render(q.toks)
	if !ok {
		return question{}, false
	}
	if own := d.own(text, q.ctx); own == 0 || own > q.budget {
		return question{}, false
	}
	if d.rng.IntN(6) > 0 {
		text += "?"
	}
	full := d.frame(q.ds.text, text, q.pronoun)
	if !d.answerable(full, q.ds.kept, q.st) {
		return question{}, false
	}
	answers := d.b.answersFor(si, sp)
	if len(answers) == 0 {
		return question{}, false
	}
	if last := strings.ToLower(answers[len(answers)-1]); len(answers) > 1 && nameSuffixes[last] {
		// "Charles Evans Jr": the surname is the word before.
		ws := strings.Fields(answers[0])
		answers[len(answers)-1] = ws[len(ws)-2]
	}
	for _, a := range answers {
		if containsFold(full, a) || !containsFold(d.c.sents[si].text, a) {
			return question{}, false
		}
	}
	return question{Question: full, Answers: answers}, true
}

// nameSuffixes end a name without being its surname.
var nameSuffixes = set("jr", "sr", "ii", "iii", "iv")

// askRole asks who holds the role a sentence names a person by: "who's
// the saints coach", for "Saints coach Ian Millward has given ...". The
// role must name no one else in the article.
func (d *describer) askRole(q *draft, si int, cl []tok, sp span) bool {
	role := roleBefore(cl, sp)
	if len(role) == 0 || len(role) > 4 {
		return false
	}
	if len(role) == 1 && !officeRoles[role[0]] {
		return false // "who's the star" would not say which
	}
	phrase := strings.Join(role, " ")
	c := d.c
	if d.headElsewhere(q.st, role[len(role)-1], sp.surname) {
		return false // "Wasps coach Warren Gatland" and "new coach Andy Robinson"
	}
	for _, sj := range c.byArt[q.st.art] {
		text := norm(c.sents[sj].text)
		for off := 0; ; {
			i := strings.Index(text[off:], phrase)
			if i < 0 {
				break
			}
			i += off
			after := strings.Fields(text[i+len(phrase):])
			if len(after) > 4 {
				after = after[:4]
			}
			if !strings.Contains(" "+strings.Join(after, " ")+" ", " "+sp.surname) {
				return false // the role names someone else too
			}
			off = i + 1
		}
	}
	lead := d.pick([]string{"who's the", "who's the", "who is the", "who was the", "what's the name of the",
		"remind me who the"})
	if strings.HasSuffix(role[0], "'s") || strings.HasSuffix(role[0], "'") {
		lead = strings.TrimSuffix(lead, " the") // "who's leicester's england centre"
	}
	q.shape = "role"
	if strings.HasPrefix(lead, "remind") {
		q.toks = append(words(lead), words(phrase+" is")...)
		return true
	}
	q.toks = append(words(lead), words(phrase)...)
	return true
}

// headElsewhere reports whether the article puts a role's head noun
// right before a name other than the surname's.
func (d *describer) headElsewhere(st *story, head, surname string) bool {
	for _, si := range d.c.byArt[st.art] {
		t := d.c.sents[si].toks
		for i := 0; i+1 < len(t); i++ {
			if t[i].lower() != head || !t[i+1].isCap() {
				continue
			}
			found := false
			for k := i + 1; k < len(t) && k <= i+4; k++ {
				if bare(t[k].lower()) == surname {
					found = true
				}
			}
			if !found {
				return true
			}
		}
	}
	return false
}

func (d *describer) pick(opts []string) string { return opts[d.rng.IntN(len(opts))] }

// officeRoles are one-word roles that name one person in a story; a
// "boss" or a "spokesman" needs saying whose.
var officeRoles = set("chancellor", "chairman", "founder", "captain", "coach", "manager",
	"president", "commissioner", "governor", "mayor", "ambassador", "chairwoman", "judge",
	"referee", "presenter", "prosecutor", "trainer", "goalkeeper", "keeper")

// roleBefore returns the role, lower-case, that stands before a
// person's name: "home secretary" for "Home Secretary Charles Clarke",
// "saints coach" for "Saints coach Ian Millward", "aston's chief
// executive" for "Aston's chief executive Ulrich Bez".
func roleBefore(cl []tok, sp span) []string {
	var role []string
	hasRole := false
	for _, x := range cl[sp.titleStart:sp.start] {
		w := x.lower()
		if personalTitles[w] || nationalities[w] || hyphenRole(x.s) {
			continue
		}
		role = append(role, w)
		hasRole = hasRole || roleNouns[w] || roles[w] && !adjRoles[w]
	}
	// Role words before the name ("coach"), and the names and
	// possessives that qualify them ("Saints coach", "Aston's chief
	// executive", "the Liberal Democrats' President").
	j := sp.titleStart
walk:
	for j > 0 && sp.titleStart-j < 4 {
		x := cl[j-1]
		w := x.lower()
		switch {
		case isPlainWord(x) && (roleNouns[w] || adjRoles[w] || roles[w]):
			hasRole = hasRole || roleNouns[w]
		case x.isCap() && j < sp.titleStart && !personalTitles[w] && (!determiners[w] || w == "new"):
		case x.isCap() && j == sp.titleStart && (strings.HasSuffix(w, "'s") || strings.HasSuffix(w, "'")):
		default:
			break walk
		}
		j--
	}
	if !hasRole {
		return nil
	}
	if j > 0 && isPlainWord(cl[j-1]) && !stopwords[cl[j-1].lower()] && !determiners[cl[j-1].lower()] {
		return nil // "fitness coach", "campaign boss": the role would be cut short
	}
	var left []string
	for _, x := range cl[j:sp.titleStart] {
		left = append(left, x.lower())
	}
	if len(left) > 0 && cl[j].isCap() && !strings.HasSuffix(left[0], "'s") && j > 0 && !cl[j-1].punct {
		if !determiners[cl[j-1].lower()] && j-1 != 0 || j > 1 && cl[j-2].isCap() {
			return nil // a name runs on before the role: "Touching the Void director"
		}
	}
	return append(left, role...)
}

// draft is a question being built: its words so far, the description it
// goes with, and whether it refers to the story's subject by a pronoun.
type draft struct {
	toks    []tok
	ds      description
	ctx     map[string]bool // stems of the description's words
	st      *story
	pronoun bool
	shape   string // "role", "subject", "object" or "opener"
	budget  int    // the most content words of its own the question may have
}

// other makes a team or a place askable where a verb says which it is:
// "who did they beat", "which club did he join", "where was he born".
// The question phrase goes in the span's noun.
func (d *describer) other(cl []tok, spans []span, sp span, st *story) (span, bool) {
	c := d.c
	if sp.cutStart == 0 || sp.end-sp.start > 3 || strings.HasSuffix(cl[sp.end-1].s, "'s") || strings.HasSuffix(cl[sp.end-1].s, "'") {
		return sp, false // "Germany's Rainer Schuettler" is no rival
	}
	if sp.end < len(cl) && isPlainWord(cl[sp.end]) && !stopwords[cl[sp.end].lower()] {
		if _, ok := c.verbAt(cl, sp.end); !ok {
			return sp, false // "Olympic champion Stefano Baldini"
		}
	}
	name := bare(joinToks(cl[sp.start:sp.end]))
	key := strings.ToLower(name)
	if strings.Count(strings.ToLower(joinToks(cl)), key) != 1 || months[key] || weekdays[key] || nationalities[key] {
		return sp, false
	}
	sport := strings.HasPrefix(c.arts[st.art].ID, "sport/")
	prev := cl[sp.cutStart-1].lower()
	verb := prev
	if sp.cutStart >= 2 && (prev == "for" || prev == "to" || prev == "from") {
		verb = cl[sp.cutStart-2].lower()
	}
	switch {
	case sport && (rivalVerbs[prev] || prev == "against"):
		sp.noun = "who"
	case sport && clubVerbs[verb] && (verb != prev || !strings.HasPrefix(verb, "sign")):
		sp.noun = "which club" // "signed for X", not "signed X"
	case !sport && (prev == "in" || prev == "at") && places[key] && sp.cutStart >= 2 && d.placeVerb(cl[:sp.cutStart-1]):
		for _, o := range spans {
			if o.kind == kindOther && o.start != sp.start && places[strings.ToLower(bare(joinToks(cl[o.start:o.end])))] {
				return sp, false // two places: "where" would not say which
			}
		}
		sp.noun, sp.prep = "where", prev
		sp.cutStart--
	default:
		return sp, false
	}
	sp.answers = []string{name}
	if ws := strings.Fields(name); sp.noun == "who" && len(ws) > 1 {
		// "Swede Joachim Johansson": the name without what came before.
		if len(ws) == 3 {
			sp.answers = append(sp.answers, ws[1]+" "+ws[2])
		}
		if !c.commonWord(ws[len(ws)-1]) {
			sp.answers = append(sp.answers, ws[len(ws)-1])
		}
	}
	return sp, true
}

// placeVerb reports whether t ends in a verb group that a place may
// follow: "was", "will be built", "died", not a noun ("costs in").
func (d *describer) placeVerb(t []tok) bool {
	last := t[len(t)-1]
	w := last.lower()
	if auxes[w] || beForms[w] {
		return true
	}
	if len(t) >= 2 && (auxes[t[len(t)-2].lower()] || beForms[t[len(t)-2].lower()]) &&
		(participles[w] || strings.HasSuffix(w, "ed") || d.c.isVerbLemma(w)) {
		return true
	}
	return w == "born" || w == "died" || w == "lives" || w == "lived" || w == "based"
}

// rivalVerbs take a rival as their object: "who did they beat".
var rivalVerbs = set("beat", "beats", "beaten", "defeated", "defeats", "thrashed", "face", "faces",
	"faced", "play", "plays", "played", "host", "hosts", "hosted", "meet", "meets", "met", "edged",
	"overcame", "knocked", "trounced", "hammered", "stunned", "drew")

// clubVerbs take a club as their object, or before "for", "to" or
// "from": "which club did he join".
var clubVerbs = set("join", "joined", "joins", "leave", "left", "leaves", "signed", "sign", "signs",
	"moved", "move", "moves", "rejoined", "rejoin", "quit", "quits")

// unambiguous is the cloze kind's check, except that a name may share
// its clause with another of its kind unless the two are listed
// together: the question keeps the other, or asks by a role, so "who did
// fish beat" cannot mean Fish.
func (d *describer) unambiguous(cl []tok, spans []span, sp span) bool {
	if d.b.unambiguous(cl, spans, sp) {
		return true
	}
	if sp.kind != kindPerson && sp.kind != kindCompany {
		return false
	}
	key := strings.ToLower(joinToks(cl[sp.start:sp.end]))
	if strings.Count(strings.ToLower(joinToks(cl)), key) != 1 {
		return false
	}
	if sp.titleStart > 0 {
		if w := cl[sp.titleStart-1].lower(); w == "and" || w == "or" || w == "&" || w == "," || w == "with" {
			return false
		}
	}
	if sp.end < len(cl) {
		if w := cl[sp.end].lower(); w == "and" || w == "or" || w == "&" {
			return false
		}
	}
	return true
}

// askable rules out spans a short question cannot ask about: a count of
// a fraction or a multiplier ("two thirds", "six million people"), or of
// time units dating something ("three days after").
func (d *describer) askable(cl []tok, sp span) bool {
	if sp.kind != kindCount {
		return true
	}
	head := strings.Fields(sp.noun)
	if len(head) == 0 || multipliers[head[0]] || fractions[head[len(head)-1]] {
		return false
	}
	if timeUnits[head[len(head)-1]] && sp.cutEnd < len(cl) {
		switch cl[sp.cutEnd].lower() {
		case "after", "before", "later", "earlier", "ago", "since", "into", "of", "in", "to":
			return false
		}
	}
	return true
}

var fractions = set("thirds", "quarters", "halves", "fifths", "tenths")

var timeUnits = set("days", "weeks", "months", "years", "hours", "minutes", "seconds", "decades",
	"seasons", "games", "matches", "nights")

// own counts the question's content words that its description does not
// already hold.
func (d *describer) own(text string, ctx map[string]bool) int {
	n := 0
	for _, t := range tokenize(strings.ToLower(text)) {
		w := bare(t.s)
		if t.punct || stopwords[w] || questionWords[w] || pronouns[w] || ctx[stem(w)] || w == "s" {
			continue
		}
		n++
	}
	return n
}

// stem folds a word's plural and possessive away for comparing words.
func stem(w string) string {
	w = bare(strings.ToLower(w))
	if len(w) > 4 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
		w = w[:len(w)-1]
	}
	return w
}

// answerable reports whether a question still points at its article: at
// least two of its words come from the headline or lead, and its names
// and rare words all occur in the article.
func (d *describer) answerable(q string, kept []string, st *story) bool {
	c := d.c
	lower := strings.ToLower(q)
	shared := 0
	for _, w := range kept {
		if st.headLead[w] && !stopwords[w] && containsWord(lower, w) {
			shared++
		}
	}
	if shared < 2 {
		return false
	}
	text := c.folded[st.art]
	for _, w := range contentOf(q) {
		if (c.proper(w) || c.df[w] <= 12) && !containsWord(text, w) {
			return false
		}
	}
	return true
}

// subjectRef is how a question refers to a clause's subject: a pronoun
// for the story's own subject, a short name or noun phrase otherwise.
type subjectRef struct {
	toks    []tok
	plural  bool // "they": "have", "are", "were", "do"
	pronoun bool
}

// storyKind tells whether a name of the sentence is one the description
// holds, and if so what kind of name the story takes it for; ok is false
// when the description holds other names of that kind, which would make
// a pronoun ambiguous.
func (q *draft) storyKind(c *corpus, name []tok, kind spanKind) (spanKind, bool) {
	if len(name) == 0 {
		return 0, false
	}
	last := bare(name[len(name)-1].lower())
	if !q.ctx[stem(last)] {
		return 0, false
	}
	if kind == kindOther && c.surnames[last] >= 2 {
		kind = kindPerson
	}
	for _, nm := range q.st.names {
		if nm.words[len(nm.words)-1] == last {
			if nm.kind != kindOther {
				kind = nm.kind
			}
			continue
		}
		if q.ctx[stem(nm.words[len(nm.words)-1])] && (nm.kind == kind || kind != kindPerson && nm.kind != kindPerson) {
			return 0, false // "Robben and Cole": "he" would not say which
		}
	}
	return kind, true
}

// surnameIn reports whether the article names a person with the name's
// last word as surname.
func (d *describer) surnameIn(st *story, name []tok) bool {
	key := bare(name[len(name)-1].lower())
	for _, si := range d.c.byArt[st.art] {
		for _, o := range d.c.findNames(d.c.sents[si].toks, 0) {
			if o.kind == kindPerson && o.surname == key {
				return true
			}
		}
	}
	return false
}

// singular reports whether the article mostly follows a name with a
// singular verb.
func (d *describer) singular(st *story, name []tok) bool {
	key := bare(name[len(name)-1].lower())
	one, many := 0, 0
	for _, si := range d.c.byArt[st.art] {
		t := d.c.sents[si].toks
		for i := 0; i+1 < len(t); i++ {
			if bare(t[i].lower()) != key {
				continue
			}
			switch t[i+1].lower() {
			case "is", "was", "has", "does", "says":
				one++
			case "are", "were", "have", "do", "say":
				many++
			}
		}
	}
	return one > many
}

// onlyPerson returns the one person the headline and lead name, for a
// "he" or "she" early in the article, which can mean no one else.
func (d *describer) onlyPerson(st *story, si int) ([]tok, bool) {
	ss := d.c.byArt[st.art]
	if len(ss) < 4 || si > ss[3] {
		return nil, false
	}
	var only *storyName
	for i, nm := range st.names {
		if nm.kind == kindPerson {
			if only != nil {
				return nil, false
			}
			only = &st.names[i]
		}
	}
	if only == nil {
		return nil, false
	}
	return words(only.words[len(only.words)-1]), true
}

// personInDescription reports whether the description names a person.
func (q *draft) personInDescription() bool {
	for _, nm := range q.st.names {
		if nm.kind == kindPerson && q.ctx[stem(nm.words[len(nm.words)-1])] {
			return true
		}
	}
	return false
}

// pronounFor returns the pronoun for a name of the given kind. Another
// name is a person's when the article writes it as a person's surname
// ("Mido", "Bosvelt"), and otherwise "it" when the article mostly gives it
// a singular verb ("the Bernabeu was targeted", but "Wolves have won").
func (d *describer) pronounFor(kind spanKind, st *story, name []tok) subjectRef {
	if kind == kindOther {
		switch {
		case d.surnameIn(st, name):
			kind = kindPerson
		case d.singular(st, name):
			return subjectRef{toks: words("it"), pronoun: true}
		}
	}
	if kind == kindPerson {
		return subjectRef{toks: words(st.he), pronoun: true}
	}
	if kind == kindCompany && d.rng.IntN(3) == 0 {
		return subjectRef{toks: words("it"), pronoun: true}
	}
	return subjectRef{toks: words("they"), plural: true, pronoun: true}
}

// subject returns the subject of clause t as the question refers to it.
func (d *describer) subject(q *draft, si int, t []tok, p parse) (subjectRef, bool) {
	c := d.c
	subj := t[:p.subjEnd]
	if p.pronoun != "" || generic(subj) {
		pr := p.pronoun
		if pr == "" {
			pr = "it"
		}
		name, ok := d.b.resolve(si, pr)
		if !ok && pr != "it" {
			name, ok = d.onlyPerson(q.st, si)
		}
		if !ok {
			return subjectRef{}, false
		}
		want := kindPerson
		if pr == "it" {
			want = kindCompany
		}
		if kind, ok := q.storyKind(c, name, want); ok {
			return d.pronounFor(kind, q.st, name), true
		}
		if want == kindPerson && q.personInDescription() {
			return subjectRef{}, false // "he" may be the described person, or not
		}
		return subjectRef{toks: name}, true
	}
	if names := c.findNames(subj, 0); len(names) == 1 {
		o := names[0]
		if (o.titleStart == 0 || o.titleStart == 1 && determiners[subj[0].lower()]) && o.end == len(subj) {
			name := subj[o.start:o.end]
			if kind, ok := q.storyKind(c, name, o.kind); ok {
				return d.pronounFor(kind, q.st, name), true
			}
			switch o.kind {
			case kindPerson:
				return subjectRef{toks: name[len(name)-1:]}, true
			case kindCompany:
				return subjectRef{toks: name}, true
			}
		}
	}
	for k := 1; k < len(subj); k++ {
		if w := subj[k].lower(); subj[k-1].isCap() && isPlainWord(subj[k]) && c.verbUse[w]*10 > c.words[w] {
			return subjectRef{}, false // "Bath need" is no subject
		}
	}
	if len(subj) > 4 || contentWords(subj) > 2 || hasPunct(subj) || indexWord(subj, "on", "in", "at", "of", "for", "with", "from", "by") >= 0 {
		return subjectRef{}, false // "the Tories on Monday"
	}
	last := subj[len(subj)-1]
	return subjectRef{toks: subj, plural: !last.isCap() && c.isPlural(last.lower())}, true
}

// agree puts an auxiliary in the plural for "they".
func agree(aux string, plural bool) string {
	if !plural {
		return aux
	}
	switch aux {
	case "has":
		return "have"
	case "is":
		return "are"
	case "was":
		return "were"
	case "does":
		return "do"
	}
	return aux
}

// ask builds a short question about span sp of clause cl of sentence si.
func (d *describer) ask(q *draft, si int, cl []tok, sp span) bool {
	c := d.c
	b := d.b
	t := cl
	if a, ok := c.findAttribution(cl); ok {
		// Ask about what was said, as a plain fact.
		if sp.start < a.y[0] || sp.end > a.y[1] {
			return false
		}
		off := a.y[0]
		if off < len(cl) && cl[off].lower() == "that" {
			off++
		}
		t = cl[off:a.y[1]]
		sp.start -= off
		sp.end -= off
		sp.cutStart -= off
		sp.cutEnd -= off
		sp.titleStart -= off
		if sp.cutStart < 0 || sp.titleStart < 0 {
			return false
		}
	}
	if sp.cutStart == 0 && sp.start > 0 && sp.kind == kindCount {
		// "More than 674 million mobiles were sold": the qualifier goes
		// with the span, and would stop the parse.
		off := sp.start
		t = t[off:]
		sp.start, sp.end, sp.cutStart, sp.cutEnd, sp.titleStart = 0, sp.end-off, 0, sp.cutEnd-off, 0
	}
	p, ok := c.parseClause(t)
	if !ok || indexWord(t[:p.subjEnd], "name", "names") >= 0 {
		return false
	}
	wh := b.wh(t, &sp)
	if sp.kind == kindOther {
		wh = sp.noun
	}
	if sp.cutStart < p.subjEnd {
		// The span is the subject: "who will take over as coach".
		start := sp.cutStart
		if start == 1 && determiners[t[0].lower()] {
			start = 0
		}
		if start != 0 || sp.cutEnd != p.subjEnd || sp.kind == kindDate || sp.kind == kindYear || p.hasAppos {
			return false
		}
		for k := p.verb; k < len(t) && k <= p.verb+3; k++ {
			if reportVerbs[t[k].lower()] != "" {
				return false // "who said on Friday"
			}
		}
		for k := p.rest + 1; k < len(t) && !t[k].punct && !p.info.aux && p.info.do == "did"; k++ {
			if w := t[k].lower(); subordinators[w] || w == "and" || w == "but" || w == "or" {
				break
			}
			if _, ok := c.verbAt(t, k); ok {
				return false // "36 people accused in connection with the blasts said"
			}
		}
		minContent := 2 // "who has been quoted" would not say which
		if sp.kind == kindCount || sp.kind == kindMoney {
			minContent = 1 // "how many people died"
		}
		vp, ok := d.shorten(q, t[p.advStart:], p.verb-p.advStart+1, minContent)
		if !ok {
			return false
		}
		if v := p.verb - p.advStart; !p.info.aux && v < len(vp) {
			vp = append(append(append([]tok(nil), vp[:v]...), tok{s: d.swapVerb(vp[v].lower(), "")}), vp[v+1:]...)
		} else if p.info.aux && v+1 < len(vp) {
			vp = append(append(append([]tok(nil), vp[:v+1]...), tok{s: d.swapVerb(vp[v+1].lower(), vp[v].lower())}), vp[v+2:]...)
		}
		q.toks = append(words(wh), vp...)
		q.shape = "subject"
		return true
	}
	if sp.cutStart < p.rest || !b.movable(t, sp, p.rest, true) && !d.dateMovable(t, sp, p) {
		return false
	}
	if sp.prep == "since" && !perfect(t[p.verb:sp.cutStart]) {
		return false
	}
	for k := p.rest; k < sp.cutStart; k++ {
		if w := t[k].lower(); w == "but" || t[k].punct {
			return false
		}
	}
	if reportVerbs[t[p.verb].lower()] != "" || p.info.lemma != "" && reportVerbs[p.info.lemma] != "" {
		return false // "how many tickets did a spokesman say"
	}
	if p.info.lemma == "have" && p.rest+1 < len(t) {
		if w := t[p.rest+1].lower(); participles[w] || strings.HasSuffix(w, "ed") {
			return false // "had initially declined" is no "did ... have"
		}
	}
	if !p.info.aux && p.subjEnd == 1 && isPlainWord(t[0]) && c.isPlural(t[0].lower()) && strings.HasSuffix(t[p.verb].lower(), "ed") {
		return false // "Rules introduced in 2002 demand ..." has another verb
	}
	subj, ok := d.subject(q, si, t, p)
	if !ok {
		return false
	}
	q.pronoun = subj.pronoun
	// Up to the gap, and now and then a short phrase after it.
	rest := append([]tok(nil), t[p.rest:sp.cutStart]...)
	if sp.cutStart > p.rest && prepositions[t[sp.cutStart-1].lower()] && sp.cutEnd < len(t) && prepositions[t[sp.cutEnd].lower()] {
		return false
	}
	after := t[sp.cutEnd:]
	if sp.kind != kindCount && sp.kind != kindMoney && len(after) > 0 && after[0].s == "," {
		after = nil // an appositive follows the name
	}
	for k := 0; k < len(after) && !after[k].punct; k++ {
		if w := after[k].lower(); subordinators[w] || w == "and" || w == "but" || w == "or" {
			break
		}
		if _, ok := c.verbAt(after, k); ok && k > 0 {
			return false // "A letter sent to X said ...": "sent" is no main verb
		}
	}
	if len(after) > 0 && !after[0].punct {
		// A complement of the verb must stay: "make Gavin Henson his
		// kicker", "enable Microsoft to gather ...".
		w := after[0].lower()
		to := w == "to" && len(after) > 1 && d.verbAfterTo(after[1].lower())
		if to || determiners[w] && w != "new" || w == "his" || w == "her" || w == "their" {
			return false
		}
	}
	if ph := d.phrase(after); len(ph) > 0 && d.rng.IntN(2) == 0 {
		with := append(append([]tok(nil), rest...), ph...)
		if d.own(joinToks(with), q.ctx) <= q.budget-1 {
			rest = with
		}
	}
	if !subj.pronoun {
		rest = d.objectPronouns(q, rest)
	}
	q.toks = append(words(wh), d.front(t, p, subj)...)
	q.toks = append(q.toks, d.swapAfterAux(t, p, rest)...)
	q.shape = "object"
	return true
}

// dateMovable reports whether a date later in the clause dates its verb
// when what follows it is dropped: "He entered Downing Street in 1976
// after ..." asks "what year did he enter downing street". Between the
// verb and the date there may be a short object and one preposition.
func (d *describer) dateMovable(t []tok, sp span, p parse) bool {
	if sp.kind != kindDate && sp.kind != kindYear || sp.prep == "" || sp.cutStart-p.rest > 6 {
		return false
	}
	preps := 0
	for k := p.rest; k < sp.cutStart; k++ {
		w := t[k].lower()
		switch {
		case t[k].punct || subordinators[w] || w == "and" || w == "or" || w == "but" || w == "to":
			return false
		case strings.HasSuffix(w, "ing") || participles[w] || strings.HasSuffix(w, "ed") && !(k == p.rest && p.info.aux):
			return false
		case prepositions[w] || trimAt[w]:
			preps++
		}
	}
	if preps > 1 {
		return false
	}
	if sp.cutEnd < len(t) {
		next := t[sp.cutEnd]
		if !next.punct && !prepositions[next.lower()] && !trimAt[next.lower()] && !subordinators[next.lower()] {
			return false
		}
	}
	return true
}

// front returns the auxiliary or "do", the subject and the bare verb
// that follow the question word.
func (d *describer) front(t []tok, p parse, subj subjectRef) []tok {
	if p.info.aux {
		return append([]tok{{s: agree(t[p.verb].lower(), subj.plural)}}, subj.toks...)
	}
	q := append([]tok{{s: agree(p.info.do, subj.plural)}}, subj.toks...)
	return append(q, tok{s: d.swapVerb(p.info.lemma, "")})
}

// swapAfterAux swaps the verb that follows a question's auxiliary, the
// first word of rest ("has beaten" becomes "has defeated").
func (d *describer) swapAfterAux(t []tok, p parse, rest []tok) []tok {
	if !p.info.aux || len(rest) == 0 {
		return rest
	}
	w := rest[0].lower()
	if sw := d.swapVerb(w, t[p.verb].lower()); sw != w {
		rest = append([]tok{{s: sw}}, rest[1:]...)
	}
	return rest
}

// askOpener asks about a date opening the sentence ("In 1981 he was
// removed ...") with a short main clause.
func (d *describer) askOpener(q *draft, si int, cl []tok, sp span, wh string) bool {
	p, ok := d.c.parseClause(cl)
	if !ok || indexWord(cl[:p.subjEnd], "name", "names") >= 0 || reportVerbs[cl[p.verb].lower()] != "" {
		return false
	}
	subj, ok := d.subject(q, si, cl, p)
	if !ok {
		return false
	}
	q.pronoun = subj.pronoun
	rest, ok := d.shorten(q, cl[p.rest:], 0, 1)
	if !ok {
		return false
	}
	if !subj.pronoun {
		rest = d.objectPronouns(q, rest)
	}
	q.toks = append(words(wh), d.front(cl, p, subj)...)
	q.toks = append(q.toks, d.swapAfterAux(cl, p, rest)...)
	q.shape = "opener"
	return true
}

// phrase returns the phrase that opens t, up to a comma, a clause word or
// a second preposition, if it is short.
func (d *describer) phrase(t []tok) []tok {
	for k := 0; k < len(t); k++ {
		w := t[k].lower()
		if k > 0 && w == "of" {
			return nil // "in two of their meetings" does not end early
		}
		if t[k].punct || subordinators[w] || w == "and" || w == "but" || w == "or" || k > 0 && prepositions[w] {
			t = t[:k]
			break
		}
	}
	if len(t) > 4 || len(t) < 2 || !prepositions[t[0].lower()] || strings.ContainsAny(joinToks(t), "0123456789") ||
		t[0].lower() == "to" && d.verbAfterTo(t[1].lower()) {
		return nil
	}
	return t
}

// shorten keeps the start of a verb phrase: up to a clause boundary, and
// then up to the last preposition that keeps the own words of the
// question within budget. The first keep tokens stay; what is kept must
// hold at least minContent content words.
func (d *describer) shorten(q *draft, vp []tok, keep, minContent int) ([]tok, bool) {
	end := len(vp)
	for k := keep; k < len(vp); k++ {
		w := vp[k].lower()
		if vp[k].s == "," {
			next := ""
			if k+1 < len(vp) {
				next = vp[k+1].lower()
			}
			if !(tailOpeners[next] || participles[next] || strings.HasSuffix(next, "ing") || strings.HasSuffix(next, "ed")) {
				return nil, false
			}
			end = k
			break
		}
		if vp[k].punct {
			return nil, false
		}
		if w == "as" && k > 0 && vp[k-1].lower() == "such" {
			return nil, false // "senior figures such as ..." runs on
		}
		if subordinators[w] || w == "and" || w == "but" || w == "or" {
			if (w == "and" || w == "or") && k+1 < len(vp) && !auxes[vp[k+1].lower()] && !subjectPronouns[vp[k+1].lower()] {
				if _, verb := d.c.verbAt(vp, k+1); !verb {
					return nil, false // "wants Roddick and the rest of his team to ..."
				}
			}
			end = k
			break
		}
	}
	ok := func(e int) bool {
		part := vp[:e]
		if e <= keep && keep > 0 || contentWords(part) < minContent {
			return false
		}
		last := part[len(part)-1].lower()
		if danglers[last] || determiners[last] || prepositions[last] || last == "to" {
			return false
		}
		if e > keep+1 && (participles[last] || strings.HasSuffix(last, "ed")) {
			return false // "who will answer questions sent"
		}
		if e < end && len(part) >= 2 && part[len(part)-2].lower() == "to" && d.c.isVerbLemma(last) {
			return false // "who continues to live" stops short of where
		}
		return d.own(joinToks(part), q.ctx) <= q.budget
	}
	for e := end; e > keep; e-- {
		if e < end {
			w := vp[e].lower()
			if !(trimAt[w] || prepositions[w]) || w == "of" || w == "to" && e+1 < len(vp) && d.verbAfterTo(vp[e+1].lower()) ||
				w == "as" && vp[e-1].lower() == "such" ||
				(w == "ahead" || w == "due") && (e+1 >= len(vp) || vp[e+1].lower() != "of" && vp[e+1].lower() != "to") {
				continue // "put Sable ahead" keeps "ahead"
			}
		}
		if ok(e) {
			return vp[:e], true
		}
	}
	return nil, false
}

// verbAfterTo reports whether a word after "to" makes it an infinitive.
func (d *describer) verbAfterTo(w string) bool {
	return w == "be" || w == "have" || w == "do" || d.c.isVerbLemma(w)
}

// objectPronouns refers to the story's subject by a pronoun where the
// question names it after the verb: "who replaced him".
func (d *describer) objectPronouns(q *draft, t []tok) []tok {
	var out []tok
	k := 0
	for _, o := range d.c.findNames(t, -1) {
		if o.titleStart < k {
			continue
		}
		if kind, ok := q.storyKind(d.c, t[o.start:o.end], o.kind); !ok || kind != kindPerson {
			continue
		}
		him := map[string]string{"he": "him", "she": "her"}[q.st.he]
		if strings.HasSuffix(t[o.end-1].s, "'s") {
			him = map[string]string{"he": "his", "she": "her"}[q.st.he]
		}
		out = append(out, t[k:o.titleStart]...)
		out = append(out, tok{s: him})
		k = o.end
	}
	return append(out, t[k:]...)
}

// render types the question words: brackets and titles dropped, lower
// case, casual words swapped in.
func (d *describer) render(q []tok) (string, bool) {
	q = dropBrackets(q)
	var ws []string
	for i, x := range q {
		w := x.lower()
		if (w == "mr" || w == "mrs" || w == "ms" || w == "miss" || w == "dr") && i+1 < len(q) && q[i+1].isCap() {
			continue
		}
		if x.punct || firstPerson[w] || reportVerbs[w] != "" && w != "expected" && w != "expects" {
			return "", false // a question about what was said needs the saying
		}
		ws = append(ws, w)
	}
	text := d.casual(ws)
	n := len(strings.Fields(text))
	if n < 3 || n > 13 {
		return "", false
	}
	last := strings.Fields(text)[n-1]
	if danglers[last] && last != "in" && last != "on" || determiners[last] {
		return "", false
	}
	return text, true
}

// firstPerson words belong in a quote, not in a question about it.
var firstPerson = set("i", "we", "you", "our", "my", "us", "your", "me", "i'm", "we're", "i've", "we've")

// verbSwaps are the other verbs a user asking about a fact uses for the
// sentence's, each form listed: "who did they beat" becomes "who did they
// get past". They apply to the question's verb only, and not to a passive
// one ("was joined by").
var verbSwaps = map[string][]string{
	"beat": {"defeat", "get past"}, "beaten": {"defeated", "got past"}, "defeat": {"beat", "get past"},
	"defeated": {"beat"}, "leave": {"quit", "walk out on"}, "left": {"quit"}, "score": {"get"}, "scored": {"got", "netted"},
	"win": {"take", "pick up"}, "won": {"took", "picked up"}, "meet": {"face", "take on"},
	"face": {"play", "take on"}, "play": {"face", "take on"}, "begin": {"start", "kick off"},
	"start": {"begin", "kick off"}, "started": {"began"}, "buy": {"snap up", "pick up"},
	"bought": {"snapped up", "picked up"}, "pay": {"fork out", "hand over"}, "paid": {"forked out"},
	"earn": {"make", "bring in"}, "earned": {"made"}, "replace": {"take over from"},
	"replaced": {"took over from"}, "succeed": {"take over from", "replace"}, "formed": {"set up"}, "founded": {"set up", "started"},
	"arrested": {"picked up"}, "appear": {"show up"}, "appeared": {"showed up"},
	"suffered": {"got", "picked up"}, "suffer": {"get"}, "axed": {"dropped", "sacked"},
}

// wordSwaps are other words for a role or a state, swapped anywhere in a
// question: "who's the bpi chairman" becomes "who's the bpi head".
var wordSwaps = map[string][]string{
	"chairman": {"chair", "head"}, "spokesman": {"spokesperson"}, "expected": {"due"},
}

// swapVerb now and then puts a user's verb for a question's: w is the
// verb, after the word before.
func (d *describer) swapVerb(w, before string) string {
	alts, ok := verbSwaps[w]
	if !ok || beForms[before] || d.rng.IntN(2) == 0 {
		return w
	}
	return alts[d.rng.IntN(len(alts))]
}

// casual swaps in the casual words of wordSwaps and casualSynonyms now and then, drops
// fillers, and contracts "what is" and the like.
func (d *describer) casual(ws []string) string {
	r := d.rng
	var out []string
	for i := 0; i < len(ws); i++ {
		done := false
		for n := 3; n >= 1 && !done; n-- {
			if i+n > len(ws) {
				continue
			}
			key := strings.Join(ws[i:i+n], " ")
			alts, ok := wordSwaps[key]
			if !ok {
				alts, ok = casualSynonyms[key]
			}
			if !ok || r.IntN(2) == 0 {
				continue
			}
			if alt := alts[r.IntN(len(alts))]; alt == "%" && len(out) > 0 {
				out[len(out)-1] += alt
			} else if alt != "" {
				out = append(out, alt)
			}
			i += n - 1
			done = true
		}
		if done || fillers[ws[i]] && r.IntN(3) > 0 {
			continue
		}
		out = append(out, ws[i])
	}
	text := strings.Join(out, " ")
	for _, ct := range contractions {
		if strings.HasPrefix(text, ct[0]+" ") && ct[0] != "who has" && r.IntN(2) == 0 {
			text = ct[1] + text[len(ct[0]):]
		}
	}
	return text
}
