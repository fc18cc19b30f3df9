package main

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"strings"
)

// cloze is a generated question with what the off-corpus generator needs
// to know about it.
type cloze struct {
	q     question
	sent  int
	shape string
	kind  spanKind
	// names are the names still in the question (not the answer), as
	// they are written there.
	names []nameRef
	// qtoks are the question's words before rendering, for finding years.
	years []string
}

// nameRef is a name left in a question.
type nameRef struct {
	kind  spanKind
	forms []string // lower-case, longest first: "gordon brown", "brown"
}

// builder turns sentences into questions.
type builder struct {
	c   *corpus
	rng *rand.Rand
}

// clauseOf returns the tokens of the sentence clause worth asking about:
// the sentence without its final stop, split at semicolons and colons,
// discourse markers stripped.
func clausesOf(toks []tok) [][]tok {
	for len(toks) > 0 && toks[len(toks)-1].punct {
		toks = toks[:len(toks)-1]
	}
	var out [][]tok
	start := 0
	for i := 0; i <= len(toks); i++ {
		if i == len(toks) || toks[i].s == ";" || toks[i].s == ":" {
			cl := toks[start:i]
			for len(cl) > 0 && (markers[cl[0].lower()] || cl[0].s == ",") {
				cl = cl[1:]
			}
			out = append(out, cl)
			start = i + 1
		}
	}
	return out
}

var badSentence = regexp.MustCompile(`["“”?!/]|\bI\b|\b(we|you|our|my|your|us)\b|--|\.\.\.|(^|\s)['‘’]|['‘’](\s|$)`)

// fromSentence tries to make a question from sentence si.
func (b *builder) fromSentence(si int) (cloze, bool) {
	c := b.c
	s := c.sents[si]
	if badSentence.MatchString(s.text) || strings.HasSuffix(s.text, ":") {
		return cloze{}, false
	}
	if w := len(strings.Fields(s.text)); w < 9 || w > 45 {
		return cloze{}, false
	}
	// A lead-in sentence of an article ("X has died.") is fine; a sentence
	// that only makes sense after the previous one ("This was ...") is not.
	cls := clausesOf(s.toks)
	ci := b.rng.IntN(len(cls))
	adj, cl, ok := splitOpener(cls[ci])
	if !ok || len(cl) < 6 {
		return cloze{}, false
	}
	first := 0
	if len(adj) > 0 {
		first = -1
	}
	spans := c.findSpans(cl, first)
	var cands []span
	for _, sp := range spans {
		if sp.kind == kindOther || !b.unambiguous(cl, spans, sp) || !b.standalone(cl, sp) {
			continue
		}
		cands = append(cands, sp)
	}
	// A date opening the sentence ("In 1981 he was removed ...") is
	// asked about with the whole main clause.
	var opener *span
	if len(adj) >= 2 {
		if d, ok := dateAt(adj, 1); ok && d.cutStart == 0 && d.end == len(adj) && (d.prep == "in" || d.prep == "on") {
			if b.unambiguous(cl, append(spans, d), d) {
				opener = &d
			}
		}
	}
	if len(cands) == 0 && opener == nil {
		return cloze{}, false
	}
	var sp span
	var words []tok
	var shape string
	if opener != nil && (len(cands) == 0 || b.rng.IntN(2) == 0) {
		sp = *opener
		words, shape, ok = b.askOpener(si, cl, sp, b.wh(adj, &sp))
	} else {
		sp = cands[b.rng.IntN(len(cands))]
		words, shape, ok = b.ask(si, cl, sp)
		if ok && timePhrase(adj) && shape != "who-said" {
			words = append(words, adj...)
		}
	}
	if !ok {
		return cloze{}, false
	}
	q, ok := b.finish(words, sp, spans, cl)
	if !ok {
		return cloze{}, false
	}
	answers := b.answersFor(si, sp)
	if len(answers) == 0 {
		return cloze{}, false
	}
	for _, a := range answers {
		if containsFold(q.text, a) {
			return cloze{}, false
		}
		if !containsFold(s.text, a) {
			return cloze{}, false
		}
	}
	return cloze{
		q:     question{Question: q.text, Answers: answers},
		sent:  si,
		shape: shape,
		kind:  sp.kind,
		names: q.names,
		years: q.years,
	}, true
}

// splitOpener separates an opening adverbial ("In 2004,", "While
// teaching at MIT,", "Speaking on Monday,") from the main clause. It fails
// when a clause opens with one that has no comma to end it, except for a
// date ("In 1981 he was removed ...").
func splitOpener(cl []tok) (adj, main []tok, ok bool) {
	if len(cl) == 0 {
		return nil, nil, false
	}
	w := cl[0].lower()
	if (w == "this" || w == "next" || w == "last") && (len(cl) < 2 || !timeNouns[cl[1].lower()]) {
		return nil, cl, true
	}
	if !(subordinators[w] || openerWords[w] || strings.HasSuffix(w, "ing") && !cl[0].isCap() ||
		strings.HasSuffix(w, "ing") && !properish(cl[0])) {
		return nil, cl, true
	}
	for k := 1; k < len(cl) && k < 12; k++ {
		if cl[k].s == "," {
			return cl[:k], cl[k+1:], k+1 < len(cl)
		}
		if cl[k].punct {
			break
		}
	}
	if d, ok := dateAt(cl, 1); ok && d.cutStart == 0 && (d.prep == "in" || d.prep == "on") && d.end < len(cl) {
		return cl[:d.end], cl[d.end:], true
	}
	return nil, nil, false
}

func properish(t tok) bool { return t.isCap() && !strings.HasSuffix(t.lower(), "ing") }

// timeNouns follow "this", "next" and "last" in an opener ("Last year,").
var timeNouns = set("january", "february", "march", "april", "may", "june", "july", "august",
	"september", "october", "november", "december", "week", "year", "month", "season", "summer", "winter", "spring", "autumn",
	"weekend", "morning", "time", "monday", "tuesday", "wednesday", "thursday", "friday",
	"saturday", "sunday", "night", "term", "decade", "century")

// openerWords start an adverbial before the main clause.
var openerWords = set("in", "on", "at", "after", "before", "during", "following", "for", "from",
	"by", "with", "under", "over", "since", "until", "despite", "amid", "among", "earlier", "later",
	"last", "this", "next", "asked", "according", "speaking", "writing", "unlike", "like", "as",
	"of", "to", "without", "within", "through", "throughout", "against", "outside", "inside",
	"recently", "previously", "currently", "originally", "initially", "ultimately", "eventually",
	"yesterday", "today", "instead", "once", "twice", "already", "again", "together", "finally",
	"then", "altogether", "elsewhere", "here", "there", "back", "alongside", "behind", "beyond",
	"apart", "besides", "regardless", "whatever", "whichever", "whoever", "however")

// timePhrase reports whether an opener is a date worth keeping at the end
// of the question ("in 2004", "last year").
func timePhrase(adj []tok) bool {
	if len(adj) < 2 || len(adj) > 3 {
		return false
	}
	w := adj[0].lower()
	if w == "last" && adj[1].lower() == "year" && len(adj) == 2 {
		return true
	}
	if w != "in" && w != "during" {
		return false
	}
	d, ok := dateAt(adj, 1)
	return ok && d.end == len(adj)
}

// askOpener asks about a date that opens the sentence: "what year was
// raskin removed from the project".
func (b *builder) askOpener(si int, cl []tok, sp span, wh string) ([]tok, string, bool) {
	p, ok := b.c.parseClause(cl)
	if !ok {
		return nil, "", false
	}
	subj, ok := b.subject(si, cl, p)
	if !ok || indexWord(cl[:p.subjEnd], "name", "names") >= 0 {
		return nil, "", false
	}
	q := words(wh)
	if p.info.aux {
		q = append(q, cl[p.verb])
		q = append(q, subj...)
		q = append(q, cl[p.advStart:p.verb]...)
	} else {
		q = append(q, tok{s: p.info.do})
		q = append(q, subj...)
		q = append(q, cl[p.advStart:p.verb]...)
		q = append(q, tok{s: p.info.lemma})
	}
	return append(q, cl[p.rest:]...), "opener", true
}

// standalone reports whether a span can be cut out without leaving a
// stump: a name used as a modifier ("Eric Cantona masks"), a count of
// things already introduced ("the two firms").
func (b *builder) standalone(cl []tok, sp span) bool {
	if last := cl[sp.end-1].s; strings.HasSuffix(last, "'s") || strings.HasSuffix(last, "'") {
		return false // "Michael Howard's past" leaves "about past"
	}
	switch sp.kind {
	case kindPerson, kindCompany:
		if sp.end < len(cl) && isPlainWord(cl[sp.end]) && !stopwords[cl[sp.end].lower()] {
			if _, ok := b.c.verbAt(cl, sp.end); !ok {
				return false
			}
		}
	case kindCount:
		if sp.cutStart > 0 {
			if w := cl[sp.cutStart-1].lower(); determiners[w] && w != "a" && w != "an" || strings.HasSuffix(w, "'s") {
				return false
			}
		}
	}
	return true
}

// unambiguous reports whether sp is the only span of its kind in the
// clause, and its text occurs once.
func (b *builder) unambiguous(cl []tok, spans []span, sp span) bool {
	same := 0
	for _, o := range spans {
		switch {
		case sp.kind == kindDate || sp.kind == kindYear:
			if o.kind == kindDate || o.kind == kindYear {
				same++
			}
		case o.kind == sp.kind:
			same++
		}
	}
	if same != 1 {
		return false
	}
	if sp.kind == kindMoney || sp.kind == kindCount {
		// Another number makes "how many" ambiguous ("1.2 million members
		// and the TGWU has 800,000").
		for i, x := range cl {
			if (i < sp.cutStart || i >= sp.cutEnd) && (strings.ContainsAny(x.s, "0123456789") || spelled[x.lower()] && i != sp.start) {
				return false
			}
		}
	}
	if sp.kind == kindDate || sp.kind == kindYear {
		// Any other year in the clause makes "when" ambiguous.
		for i, x := range cl {
			if (i < sp.start || i >= sp.end) && yearRe.MatchString(x.s) {
				return false
			}
		}
	}
	key := strings.ToLower(joinToks(cl[sp.start:sp.end]))
	return strings.Count(strings.ToLower(joinToks(cl)), key) == 1
}

// containsFold is the eval's check: text holds sub, ignoring case and
// spacing.
func containsFold(text, sub string) bool {
	sub = norm(sub)
	return sub != "" && strings.Contains(norm(text), sub)
}

// answersFor returns the expected answers: the span, a shorter variant,
// and for a person named only by title and surname the full name when
// the article gives it.
func (b *builder) answersFor(si int, sp span) []string {
	ans := append([]string(nil), sp.answers...)
	if sp.kind == kindPerson && len(ans) == 1 && sp.titled {
		full := b.fullName(si, ans[0])
		if full == "" {
			return nil // "Sir Edward" alone is no answer to check
		}
		ans = append([]string{full}, ans...)
	}
	if sp.kind == kindPerson && len(ans) == 2 && b.c.commonWord(ans[1]) {
		ans = ans[:1] // "Short" would match any text
	}
	return ans
}

// fullName looks for "First Surname" in the article of sentence si.
func (b *builder) fullName(si int, surname string) string {
	art := b.c.sents[si].art
	for _, sj := range b.c.byArt[art] {
		for _, o := range b.c.findNames(b.c.sents[sj].toks, 0) {
			if o.kind == kindPerson && len(o.answers) == 2 && o.answers[1] == surname {
				return o.answers[0]
			}
		}
	}
	return ""
}

// wh returns the question phrase for a span, and whether the span must be
// cut with its preposition (dates) or keeps it stranded.
func (b *builder) wh(cl []tok, sp *span) string {
	r := b.rng
	pick := func(opts ...string) string { return opts[r.IntN(len(opts))] }
	switch sp.kind {
	case kindPerson, kindCompany:
		// "US firm Falic Group" -> "which us firm", cutting the role.
		k := sp.titleStart
		role := ""
		if sp.titleStart == sp.start && k > 0 && isPlainWord(cl[k-1]) && roleNouns[cl[k-1].lower()] {
			j := k - 1
			for j > 0 && j > k-3 && (cl[j-1].isCap() || isPlainWord(cl[j-1]) && adjRoles[cl[j-1].lower()]) && !determiners[cl[j-1].lower()] {
				j--
			}
			if j > 0 && (determiners[cl[j-1].lower()] || cl[j-1].lower() == "a") {
				j--
			}
			var ws []string
			for _, x := range cl[j:k] {
				if !determiners[x.lower()] && x.lower() != "a" {
					ws = append(ws, x.lower())
				}
			}
			role = strings.Join(ws, " ")
			sp.cutStart = j
		}
		if role != "" && r.IntN(3) > 0 {
			return "which " + role
		}
		if sp.kind == kindPerson {
			return "who"
		}
		return pick("which company", "which company", "which firm", "what company")
	case kindMoney:
		return "how much"
	case kindCount:
		if sp.cutStart < sp.start && r.IntN(4) == 0 {
			return "roughly how many " + sp.noun
		}
		return "how many " + sp.noun
	case kindDate:
		switch sp.prep {
		case "since":
			return "since when"
		case "until", "till":
			return "until when"
		case "by":
			return "by when"
		}
		if sp.end-sp.start >= 2 && dayRe.MatchString(cl[sp.start].lower()) {
			return pick("when", "when", "when", "what date", "what day", "on what date")
		}
		return pick("when", "when", "what month")
	case kindYear:
		switch sp.prep {
		case "since":
			return pick("since when", "since what year")
		case "until", "till":
			return "until when"
		case "by":
			return pick("by when", "by what year")
		}
		return pick("what year", "what year", "when", "in what year", "which year")
	}
	return ""
}

// roleNouns stand before a name and can become "which <role>".
var roleNouns = set("striker", "midfielder", "defender", "goalkeeper", "winger", "coach", "manager",
	"boss", "singer", "actor", "actress", "director", "chairman", "captain", "player", "star",
	"firm", "company", "group", "giant", "maker", "retailer", "carrier", "airline", "bank",
	"researcher", "analyst", "economist", "spokesman", "spokeswoman", "minister", "secretary",
	"chancellor", "leader", "president", "writer", "author", "designer", "producer", "rapper",
	"presenter", "comedian", "founder", "lawyer", "chief", "executive", "champion", "forward",
	"centre", "flanker", "prop", "fly-half", "scrum-half", "lock", "hooker", "full-back", "wing",
	"batsman", "bowler", "sprinter", "runner", "swimmer", "hurdler", "cyclist", "jockey",
	"trainer", "driver", "rider", "tennis", "golfer", "boxer", "umpire", "referee", "businessman",
	"tycoon", "entrepreneur", "investor", "broadcaster", "publisher", "studio", "label", "band",
	"operator", "developer", "regulator", "watchdog", "insurer", "lender", "supermarket", "chain",
	"conglomerate", "manufacturer", "chipmaker", "provider")

// adjRoles are lower-case words that may open a role ("former", "new").
var adjRoles = set("former", "new", "veteran", "rival", "fellow", "legendary", "shadow",
	"interim", "caretaker", "assistant", "acting", "deputy")

// ask builds the question words for span sp of clause cl of sentence si,
// and names the shape used.
func (b *builder) ask(si int, cl []tok, sp span) ([]tok, string, bool) {
	c := b.c
	if a, ok := c.findAttribution(cl); ok {
		return b.askReported(si, cl, sp, a)
	}
	p, ok := c.parseClause(cl)
	if !ok {
		return nil, "", false
	}
	subj, ok := b.subject(si, cl, p)
	if !ok {
		return nil, "", false
	}
	wh := b.wh(cl, &sp)
	if sp.cutStart < p.subjEnd {
		return b.askSubject(cl, sp, p, wh)
	}
	if sp.cutStart < p.rest || !b.movable(cl, sp, p.rest, true) {
		return nil, "", false
	}
	if sp.prep == "since" && !perfect(cl[p.verb:sp.cutStart]) {
		return nil, "", false
	}
	if indexWord(cl[:p.subjEnd], "name", "names") >= 0 {
		return nil, "", false // "his name is Tote King"
	}
	rest, ok := b.gap(cl[p.rest:], sp, p.rest)
	if !ok {
		return nil, "", false
	}
	advs := cl[p.advStart:p.verb]
	if b.rng.IntN(6) == 0 {
		// Embedded: "any idea how many power leads microsoft is replacing".
		q := append(words(b.pick(embedPrefixes)+" "+wh), subj...)
		q = append(q, advs...)
		q = append(q, cl[p.verb])
		return append(q, rest...), "embedded", true
	}
	q := words(wh)
	if p.info.aux {
		q = append(q, cl[p.verb])
		q = append(q, subj...)
		q = append(q, advs...)
	} else {
		q = append(q, tok{s: p.info.do})
		q = append(q, subj...)
		q = append(q, advs...)
		q = append(q, tok{s: p.info.lemma})
	}
	return append(q, rest...), "fronted", true
}

// embedPrefixes open an embedded question.
var embedPrefixes = []string{"any idea", "anyone know", "do you know", "does anyone know",
	"can you tell me", "i'm trying to find out", "remind me"}

func (b *builder) pick(opts []string) string { return opts[b.rng.IntN(len(opts))] }

// askSubject asks about the subject: "who has died", "how many mobile
// phones were left in taxis".
func (b *builder) askSubject(cl []tok, sp span, p parse, wh string) ([]tok, string, bool) {
	// The span must be the whole subject, give or take a determiner.
	start := sp.cutStart
	if start == 1 && determiners[cl[0].lower()] {
		start = 0
	}
	if start != 0 || sp.cutEnd != p.subjEnd || sp.kind == kindDate || sp.kind == kindYear {
		return nil, "", false
	}
	vp := cl[p.advStart:]
	if p.hasAppos {
		if contentWords(cl[p.rest:]) < 3 {
			// "Jef Raskin, head of the team behind the Macintosh, has
			// died" asks who was head of the team.
			be := "is"
			if p.info.do == "did" || cl[p.verb].lower() == "was" || cl[p.verb].lower() == "had" || cl[p.verb].lower() == "has" {
				be = "was"
			}
			appos := cl[p.appos[0]+1 : p.appos[1]-1]
			return append(words(wh+" "+be), appos...), "appositive", true
		}
	}
	if contentWords(vp) < 3 {
		return nil, "", false
	}
	return append(words(wh), vp...), "subject", true
}

// askReported asks about reported speech: who said Y, or what X said.
func (b *builder) askReported(si int, cl []tok, sp span, a attribution) ([]tok, string, bool) {
	spk, ok := b.speaker(si, cl, a)
	if !ok {
		return nil, "", false
	}
	y := cl[a.y[0]:a.y[1]]
	if len(y) < 5 || indexWord(y, "said", "says", "told", "added") >= 0 {
		return nil, "", false
	}
	wh := b.wh(cl, &sp)
	verb := "said"
	if a.verb >= 0 {
		verb = cl[a.verb].lower()
	}
	if sp.start >= a.spk[0] && sp.end <= a.spk[1] && !a.accordTo {
		// The speaker is the answer: "who said MPs would be thrown out".
		if sp.kind != kindPerson && sp.kind != kindCompany {
			return nil, "", false
		}
		if sp.cutStart != a.spk[0] && !(sp.cutStart == a.spk[0]+1 && determiners[cl[a.spk[0]].lower()]) || sp.end != a.spk[1] {
			return nil, "", false
		}
		if a.appos[1] > a.appos[0] && b.rng.IntN(2) == 0 {
			// "said Jim Levine, an IBM researcher" -> "which ibm researcher said".
			ap := cl[a.appos[0]:a.appos[1]]
			if len(ap) >= 2 && len(ap) <= 4 && (ap[0].lower() == "a" || ap[0].lower() == "an" || ap[0].lower() == "the") && !hasPunct(ap) {
				var ws []string
				for _, x := range ap[1:] {
					ws = append(ws, bare(x.lower()))
				}
				if last := ws[len(ws)-1]; roleNouns[last] {
					wh = "which " + strings.Join(ws, " ")
				}
			}
		}
		if verb == "added" || verb == "explained" || verb == "stressed" {
			verb = "said"
		}
		q := append(words(wh), tok{s: verb})
		if a.obj[1] > a.obj[0] {
			q = append(q, cl[a.obj[0]:a.obj[1]]...)
		}
		return append(q, y...), "who-said", true
	}
	if sp.start < a.y[0] || sp.end > a.y[1] || !b.movable(cl, sp, a.y[0], false) {
		return nil, "", false
	}
	if sp.kind == kindPerson && a.accordTo {
		return nil, "", false
	}
	if sp.prep == "since" && !perfect(y[:sp.cutStart-a.y[0]]) {
		return nil, "", false
	}
	yq, ok := b.gap(y, sp, a.y[0])
	if !ok {
		return nil, "", false
	}
	if len(yq) > 0 && yq[0].lower() == "that" {
		yq = yq[1:]
	}
	lemma := reportVerbs[verb]
	if lemma == "" || verb == "added" || verb == "stressed" || verb == "explained" {
		lemma = "say"
	}
	do := "did"
	if strings.HasSuffix(verb, "s") && !strings.HasSuffix(verb, "ss") {
		do = "does"
	} else if pluralReport[verb] {
		do = "do"
	}
	var q []tok
	dated := sp.kind == kindDate || sp.kind == kindYear
	if dated {
		// "when did X say ..." would ask when X spoke.
		main, ok := b.mainOf(si, yq, y, sp, a.y[0])
		if !ok || a.accordTo {
			return nil, "", false
		}
		q = append(words("according to"), spk...)
		return append(q, main...), "according-to", true
	}
	switch r := b.rng.IntN(7); {
	case r == 0 && !a.accordTo:
		// "do you know how many jobs mr smith said the firm would cut".
		q = append(words(b.pick(embedPrefixes)+" "+wh), spk...)
		if verb == "added" || verb == "explained" || verb == "stressed" {
			verb = "said"
		}
		q = append(q, tok{s: verb})
	case r <= 2 && sp.kind != kindPerson:
		// "according to smith, how many jobs will the firm cut".
		if main, ok := b.mainOf(si, yq, y, sp, a.y[0]); ok {
			q = append(words("according to"), spk...)
			return append(q, main...), "according-to", true
		}
		fallthrough
	default:
		if a.viaAux >= 0 {
			q = append(words(wh), cl[a.viaAux])
			q = append(q, spk...)
			q = append(q, cl[a.verb])
		} else {
			q = append(words(wh+" "+do), spk...)
			q = append(q, tok{s: lemma})
		}
	}
	if a.obj[1] > a.obj[0] {
		q = append(q, cl[a.obj[0]:a.obj[1]]...)
	}
	return append(q, yq...), "what-said", true
}

// mainOf asks about span sp inside the reported clause y as a question of
// its own, used after "according to X,".
func (b *builder) mainOf(si int, _ []tok, y []tok, sp span, off int) ([]tok, bool) {
	sp.start -= off
	sp.end -= off
	sp.cutStart -= off
	sp.cutEnd -= off
	sp.titleStart -= off
	p, ok := b.c.parseClause(y)
	if !ok || p.pronoun != "" || sp.cutStart < p.rest || !b.movable(y, sp, p.rest, true) {
		return nil, false
	}
	subj, ok := b.subject(si, y, p)
	if !ok {
		return nil, false
	}
	wh := b.wh(y, &sp)
	rest, ok := b.gap(y[p.rest:], sp, p.rest)
	if !ok {
		return nil, false
	}
	q := words(wh)
	if p.info.aux {
		q = append(q, y[p.verb])
		q = append(q, subj...)
	} else {
		q = append(q, tok{s: p.info.do})
		q = append(q, subj...)
		q = append(q, tok{s: p.info.lemma})
	}
	q = append(q, y[p.advStart:p.verb]...)
	return append(q, rest...), true
}

// subject returns the clause's subject as the question should say it,
// resolving "he", "she" and "it" to a name from the sentences before.
func (b *builder) subject(si int, cl []tok, p parse) ([]tok, bool) {
	if p.pronoun == "" {
		if generic(cl[:p.subjEnd]) {
			return b.resolve(si, "it")
		}
		return cl[:p.subjEnd], true
	}
	return b.resolve(si, p.pronoun)
}

// generic reports "the firm", "the company" and the like, which a
// question must replace by the company's name.
func generic(t []tok) bool {
	return len(t) == 2 && t[0].lower() == "the" && genericCompany[t[1].lower()]
}

var genericCompany = set("firm", "company", "group", "bank", "carrier", "airline", "retailer",
	"giant", "broadcaster", "chain", "operator", "manufacturer", "maker")

// speaker returns who is reported, resolving a pronoun.
func (b *builder) speaker(si int, cl []tok, a attribution) ([]tok, bool) {
	spk := cl[a.spk[0]:a.spk[1]]
	if generic(spk) {
		return b.resolve(si, "it")
	}
	if len(spk) == 1 {
		switch w := spk[0].lower(); w {
		case "he", "she", "it":
			return b.resolve(si, w)
		case "they", "we", "i", "you", "this", "that", "one":
			return nil, false
		}
	}
	return spk, true
}

// resolve finds the person ("he", "she") or company ("it") a pronoun
// refers to: the one the article is about (named at least three times,
// twice as often as any other), provided it is named in one of the two
// sentences before.
func (b *builder) resolve(si int, pronoun string) ([]tok, bool) {
	c := b.c
	art := c.sents[si].art
	want := kindPerson
	if pronoun == "it" {
		want = kindCompany
	}
	counts := map[string]int{}
	full := map[string]string{}
	var order []string
	for _, sj := range c.byArt[art] {
		for _, o := range c.findNames(c.sents[sj].toks, 0) {
			if o.kind != want {
				continue
			}
			key := strings.ToLower(o.answers[len(o.answers)-1])
			if counts[key] == 0 {
				order = append(order, key)
			}
			counts[key]++
			if len(o.answers[0]) > len(full[key]) {
				full[key] = o.answers[0]
			}
		}
	}
	best, second := "", 0
	for _, k := range order {
		switch {
		case best == "" || counts[k] > counts[best]:
			if best != "" {
				second = max(second, counts[best])
			}
			best = k
		default:
			second = max(second, counts[k])
		}
	}
	if best == "" || counts[best] < 3 || counts[best] < 2*second {
		return nil, false
	}
	recent := false
	for sj := si - 1; sj >= 0 && sj >= si-2 && c.sents[sj].art == art; sj-- {
		if containsWord(norm(c.sents[sj].text), best) {
			recent = true
		}
	}
	if !recent {
		return nil, false
	}
	name := full[best]
	if want == kindPerson && b.rng.IntN(2) == 0 {
		name = name[strings.LastIndexByte(name, ' ')+1:]
	}
	return words(name), true
}

// movable reports whether the span can be asked about where it stands:
// it follows a verb, or a preposition after a verb ("went into business
// with Lynda Obst"), and is not inside a relative clause or a longer noun
// phrase ("the loss of 900 jobs").
func (b *builder) movable(cl []tok, sp span, from int, verbBefore bool) bool {
	c := b.c
	for k := from; k < sp.cutStart; k++ {
		if w := cl[k].lower(); subordinators[w] || cl[k].punct {
			return false
		}
		if cl[k].lower() == "and" || cl[k].lower() == "or" {
			return false
		}
	}
	if sp.cutStart > 0 && (strings.HasSuffix(cl[sp.cutStart-1].s, "'s") || strings.HasSuffix(cl[sp.cutStart-1].s, "'")) {
		return false
	}
	verbish := func(k int) bool {
		if k < from {
			return verbBefore && k == from-1
		}
		if k > 0 && determiners[cl[k-1].lower()] {
			return false // "the suspended Patrick Vieira"
		}
		w := cl[k].lower()
		if auxes[w] || w == "be" || w == "been" || w == "being" {
			return true
		}
		before := ""
		if k > 0 {
			before = cl[k-1].lower()
			if preVerbAdverbs[before] && k > 1 {
				before = cl[k-2].lower()
			}
		}
		// Inside the verb phrase, a participle counts only after an
		// auxiliary: "the cuts proposed by X" and "after beating X" are
		// no places to ask from.
		switch {
		case strings.HasSuffix(w, "ing"):
			return beForms[before] && c.isVerbLemma(strings.TrimSuffix(w, "ing"))
		case participles[w] || irregularPast[w] != "" || c.lemmaOfPast(w) != "":
			return auxes[before] || beForms[before] || before == "get" || before == "got"
		}
		return (auxes[before] || before == "to") && c.isVerbLemma(w)
	}
	if sp.kind == kindDate || sp.kind == kindYear {
		// A date right after the verb, or ending the clause, dates the
		// verb; one in the middle may date a noun ("growth in 2005 as").
		if sp.prep == "" && sp.cutStart != from {
			return false
		}
		// The verb before the date must be the clause's own, not one
		// further on ("the Grand Final due to be held in December").
		if sp.cutStart == from || sp.cutStart-1 < from+3 && verbish(sp.cutStart-1) {
			return true
		}
		if sp.cutEnd < len(cl) && cl[sp.cutEnd].s != "," || sp.cutStart-from > 7 {
			return false
		}
		for k := from; k < sp.cutStart; k++ {
			w := cl[k].lower()
			if strings.HasSuffix(w, "ing") || strings.HasSuffix(w, "ed") || w == "by" || w == "that" || participles[w] {
				return false
			}
		}
		return true
	}
	if sp.cutStart == from {
		return true
	}
	prev := cl[sp.cutStart-1].lower()
	if verbish(sp.cutStart - 1) {
		return true
	}
	if prev == "worth" && sp.cutStart >= 2 && auxes[cl[sp.cutStart-2].lower()] {
		return true
	}
	if strandable[prev] {
		for k := sp.cutStart - 2; k >= from-1 && k >= sp.cutStart-5; k-- {
			if k >= 0 && verbish(k) {
				return true
			}
			if k < 0 || cl[k].punct || cl[k].lower() == "of" {
				return false
			}
		}
	}
	return false
}

// beForms are the forms of "be" before a participle.
var beForms = set("is", "are", "was", "were", "be", "been", "being", "am")

// strandable prepositions may be left at the end of a question ("who did
// she go into business with").
var strandable = set("for", "with", "to", "by", "from", "at", "against", "about", "into", "over",
	"as")

// gap cuts span sp out of t, which starts at clause position off: an
// appositive after a name goes with it ("David Gill, United's chief
// executive,"), and a clause joined after it ("and the TGWU has 800,000")
// is dropped.
func (b *builder) gap(t []tok, sp span, off int) ([]tok, bool) {
	from, to := sp.cutStart-off, sp.cutEnd-off
	if (sp.kind == kindPerson || sp.kind == kindCompany) && to < len(t) && t[to].s == "," {
		k := to + 1
		for k < len(t) && t[k].s != "," {
			k++
		}
		to = min(k+1, len(t))
	}
	out := cutOut(t, from, to)
	if from > 0 && to < len(t) && strandable[t[from-1].lower()] && prepositions[t[to].lower()] {
		return nil, false // "banned from rugby for for reckless use"
	}
	if to < len(t) {
		switch t[to].lower() {
		case "and", "or", "but", "while", "whereas", "as", "when", "after", "before", "because", "if",
			"so", "until", "which", "who", "that", "where":
			out = out[:from]
		}
	}
	return out, true
}

// perfect reports whether a verb group is in a perfect tense, the only
// one "since when" can ask about.
func perfect(t []tok) bool {
	for _, x := range t {
		if w := x.lower(); w == "has" || w == "have" || w == "had" {
			return true
		}
	}
	return false
}

func cutOut(t []tok, from, to int) []tok {
	out := append([]tok(nil), t[:from]...)
	return append(out, t[to:]...)
}

func words(s string) []tok {
	var out []tok
	for _, w := range strings.Fields(s) {
		out = append(out, tok{s: w})
	}
	return out
}

// contentWords counts the tokens that are not function words.
func contentWords(t []tok) int {
	n := 0
	for _, x := range t {
		if !x.punct && !stopwords[x.lower()] {
			n++
		}
	}
	return n
}

func (c cloze) String() string { return fmt.Sprintf("%s [%s] %v", c.q.Question, c.shape, c.q.Answers) }
