package main

import "strings"

// auxes are the auxiliaries a question moves to the front.
var auxes = set("is", "are", "was", "were", "has", "have", "had", "will", "would", "can", "could",
	"may", "might", "should", "must", "does", "do", "did", "shall")

// irregularPast maps irregular past tenses to their base form.
var irregularPast = map[string]string{
	"said": "say", "told": "tell", "made": "make", "took": "take", "gave": "give", "went": "go",
	"came": "come", "saw": "see", "got": "get", "won": "win", "lost": "lose", "paid": "pay",
	"sold": "sell", "bought": "buy", "left": "leave", "held": "hold", "kept": "keep", "met": "meet",
	"ran": "run", "led": "lead", "began": "begin", "became": "become", "brought": "bring",
	"built": "build", "caught": "catch", "chose": "choose", "drew": "draw", "drove": "drive",
	"fell": "fall", "felt": "feel", "found": "find", "fought": "fight", "flew": "fly", "grew": "grow",
	"heard": "hear", "knew": "know", "meant": "mean", "rose": "rise", "sent": "send", "shot": "shoot",
	"sang": "sing", "sat": "sit", "spent": "spend", "spoke": "speak", "stood": "stand", "stole": "steal",
	"struck": "strike", "taught": "teach", "thought": "think", "threw": "throw", "wrote": "write",
	"broke": "break", "sought": "seek", "withdrew": "withdraw", "overtook": "overtake",
	"upheld": "uphold", "ate": "eat", "wore": "wear", "won't": "", "lent": "lend", "dealt": "deal",
	"forgave": "forgive", "hid": "hide", "swore": "swear", "froze": "freeze", "underwent": "undergo",
	"undertook": "undertake", "outsold": "outsell", "beat": "beat", "cut": "cut", "hit": "hit",
	"quit": "quit", "cost": "cost", "spread": "spread", "shut": "shut", "forecast": "forecast",
	"set": "set", "put": "put", "let": "let", "bid": "bid", "hurt": "hurt", "struck-off": "",
}

// participles are irregular past participles, which mark "has" as an
// auxiliary.
var participles = set("been", "done", "made", "taken", "given", "seen", "gone", "won", "lost", "paid",
	"sold", "bought", "left", "held", "kept", "met", "run", "set", "put", "cut", "hit", "led", "begun",
	"become", "brought", "built", "caught", "chosen", "drawn", "driven", "fallen", "felt", "found",
	"fought", "flown", "forgotten", "grown", "heard", "known", "meant", "risen", "sent", "shot",
	"shown", "sung", "spent", "spoken", "stood", "stolen", "struck", "taught", "thought", "thrown",
	"told", "said", "written", "broken", "got", "gotten", "sought", "withdrawn", "beaten", "quit",
	"hurt", "let", "come", "begun", "overtaken", "undergone", "undertaken", "eaten", "worn", "hidden",
	"frozen", "sworn", "lent", "dealt", "forgiven", "spread", "shut", "forecast", "bid", "cost")

// perfectAdverbs may stand between "has" and its participle.
var perfectAdverbs = set("also", "now", "already", "just", "recently", "yet", "still", "since",
	"previously", "long", "twice", "once", "never", "not", "ever", "then", "finally", "always",
	"only", "even", "effectively", "reportedly", "apparently")

// preVerbAdverbs may stand between a subject and its verb.
var preVerbAdverbs = set("also", "now", "still", "already", "later", "recently", "previously",
	"then", "finally", "initially", "eventually", "subsequently", "originally", "reportedly",
	"currently", "last", "first", "once", "allegedly", "apparently", "often", "usually")

// subordinators open clauses that make a subject too complex to move.
var subordinators = set("who", "which", "that", "whose", "where", "while", "because", "if",
	"although", "as", "when", "after", "before", "despite", "since", "unless", "whether", "than")

// markers are discourse words stripped from a clause's start.
var markers = set("but", "and", "however", "meanwhile", "so", "yet", "also", "still", "now",
	"indeed", "instead", "overall", "separately", "elsewhere", "furthermore", "moreover", "plus",
	"nevertheless", "nonetheless", "similarly", "likewise", "crucially", "importantly", "otherwise")

// reportVerbs introduce reported speech, mapped to the verb a question
// asks with ("how many jobs did X say ...").
var reportVerbs = map[string]string{
	"said": "say", "says": "say", "told": "tell", "added": "say", "claimed": "claim", "claims": "claim",
	"warned": "warn", "warns": "warn", "believes": "believe", "believed": "believe", "thinks": "think",
	"predicted": "predict", "predicts": "predict", "estimated": "estimate", "estimates": "estimate",
	"insisted": "insist", "admitted": "admit", "revealed": "reveal", "confirmed": "confirm",
	"announced": "announce", "suggested": "suggest", "argued": "argue", "stressed": "say",
	"explained": "say", "reckons": "reckon", "expects": "expect", "expected": "expect",
	"say": "say", "believe": "believe", "think": "think", "claim": "claim", "warn": "warn",
	"argue": "argue", "insist": "insist", "suggest": "suggest", "fear": "fear", "predict": "predict",
	"reckon": "reckon", "estimate": "estimate", "expect": "expect",
}

// pluralReport are bare reporting verbs after a plural subject.
var pluralReport = set("say", "believe", "think", "claim", "warn", "argue", "insist", "suggest",
	"fear", "predict", "reckon", "estimate", "expect")

// tailVerbs end a clause reporting what was said before it.
var tailVerbs = set("said", "says", "added", "warned", "claimed", "admitted", "insisted",
	"explained", "argued", "stressed", "told", "believes", "confirmed", "revealed", "announced",
	"predicted", "estimated", "warns", "insists", "suggested", "say", "believe", "think", "thinks")

// nameLike reports whether words can name a speaker: "Mr Smith", "the
// firm", "an official report", "the state's National Land Institute",
// with no verb or relative word among them.
func (c *corpus) nameLike(t []tok) bool {
	if len(t) == 0 || len(t) > 6 {
		return false
	}
	for j, x := range t {
		w := x.lower()
		if subordinators[w] || auxes[w] || w == "be" || w == "been" {
			return false
		}
		if _, ok := c.verbAt(t, j); ok && !x.isCap() {
			return false
		}
	}
	return true
}

// headVerbs may report a clause without "that" ("X said the firm would").
var headVerbs = set("say", "believe", "think", "claim", "warn", "argue", "insist", "said", "says", "told", "claimed", "claims", "warned", "warns", "believes",
	"thinks", "insisted", "insists", "admitted", "argued", "suggested", "reckons", "believed")

// isVerbLemma reports whether l is a verb the corpus inflects: it has an
// -ing form and an -ed or irregular past form.
func (c *corpus) isVerbLemma(l string) bool {
	if l == "" || c.words[l] == 0 {
		return false
	}
	ing := l + "ing"
	if strings.HasSuffix(l, "e") && !strings.HasSuffix(l, "ee") {
		ing = l[:len(l)-1] + "ing"
	}
	dbl := ""
	if n := len(l); n >= 3 {
		dbl = l + l[n-1:] + "ing"
	}
	if c.words[ing] == 0 && c.words[dbl] == 0 {
		return false
	}
	return true
}

// lemmaOfPast returns the base form of a regular past tense.
func (c *corpus) lemmaOfPast(w string) string {
	if !strings.HasSuffix(w, "ed") || len(w) < 5 {
		return ""
	}
	var cands []string
	if strings.HasSuffix(w, "ied") {
		cands = append(cands, w[:len(w)-3]+"y")
	}
	cands = append(cands, w[:len(w)-1], w[:len(w)-2])
	if n := len(w); w[n-3] == w[n-4] && !strings.ContainsRune("lsfz", rune(w[n-3])) {
		cands = append(cands, w[:n-3])
	}
	for _, l := range cands {
		if l == "us" {
			continue
		}
		if c.isVerbLemma(l) {
			return l
		}
	}
	return ""
}

// lemmaOfPresent returns the base form of a third-person present verb,
// or "" when the word is mostly a noun.
func (c *corpus) lemmaOfPresent(w string) string {
	if !strings.HasSuffix(w, "s") || strings.HasSuffix(w, "ss") || len(w) < 4 {
		return ""
	}
	if n := c.words[w]; n == 0 || float64(c.detBefore[w]) > 0.15*float64(n) {
		return ""
	}
	verb := func(l string) bool {
		return c.isVerbLemma(l) && c.verbUse[l] >= 3 && float64(c.verbUse[l]) >= 0.05*float64(c.words[l])
	}
	var cands []string
	if strings.HasSuffix(w, "ies") {
		cands = append(cands, w[:len(w)-3]+"y")
	}
	if strings.HasSuffix(w, "es") {
		cands = append(cands, w[:len(w)-2])
	}
	cands = append(cands, w[:len(w)-1])
	for _, l := range cands {
		if verb(l) {
			return l
		}
	}
	return ""
}

// verbAt tells whether t[j] is a finite verb: an auxiliary, or a lexical
// verb with the base form and the "do" a question would use.
type verbInfo struct {
	aux   bool
	lemma string // base form of a lexical verb
	do    string // "did" or "does" for a lexical verb
}

func (c *corpus) verbAt(t []tok, j int) (verbInfo, bool) {
	if j <= 0 || j >= len(t) || t[j].punct {
		return verbInfo{}, false
	}
	w := t[j].lower()
	prev := t[j-1].lower()
	if determiners[prev] || strings.HasSuffix(prev, "'s") || strings.HasSuffix(prev, "s'") || prev == "to" {
		return verbInfo{}, false
	}
	if numRe.MatchString(prev) && !auxes[w] {
		return verbInfo{}, false // "top 10 hit"
	}
	next := ""
	if j+1 < len(t) {
		next = t[j+1].lower()
	}
	switch w {
	case "has", "have", "had":
		for k := j + 1; k < len(t) && k <= j+3; k++ {
			nw := t[k].lower()
			if participles[nw] || strings.HasSuffix(nw, "ed") || nw == "not" || nw == "never" {
				return verbInfo{aux: true}, true
			}
			if !perfectAdverbs[nw] {
				break
			}
		}
		do := map[string]string{"has": "does", "have": "do", "had": "did"}[w]
		return verbInfo{lemma: "have", do: do}, true
	}
	if auxes[w] {
		return verbInfo{aux: true}, true
	}
	if l, ok := irregularPast[w]; ok && l != "" {
		if l == w && !(t[j-1].isCap() || subjectPronouns[prev] || j >= 2 && determiners[t[j-2].lower()]) {
			return verbInfo{}, false // "top 10 hit" is a noun
		}
		return verbInfo{lemma: l, do: "did"}, true
	}
	if next == "by" || auxes[next] || next == "be" {
		return verbInfo{}, false
	}
	if l := c.lemmaOfPast(w); l != "" {
		return verbInfo{lemma: l, do: "did"}, true
	}
	if l := c.lemmaOfPresent(w); l != "" {
		return verbInfo{lemma: l, do: "does"}, true
	}
	return verbInfo{}, false
}

// parse is the shape of a simple clause: subject, optional appositive and
// adverbs, and the finite verb.
type parse struct {
	subjEnd  int    // the subject is t[:subjEnd]
	appos    [2]int // an appositive after the subject, t[appos[0]:appos[1]], commas included
	advStart int    // adverbs before the verb are t[advStart:verb]
	verb     int
	info     verbInfo
	pronoun  string // the subject when it is "he", "she" or "it"
	negated  bool
	rest     int // the verb phrase after the verb starts here
	hasAppos bool
}

// parseClause finds the subject and finite verb of a clause.
func (c *corpus) parseClause(t []tok) (parse, bool) {
	p := parse{}
	if len(t) < 3 {
		return p, false
	}
	w0 := t[0].lower()
	if subordinators[w0] || w0 == "how" || w0 == "why" || w0 == "what" {
		return p, false
	}
	switch w0 {
	case "he", "she", "it":
		p.pronoun = w0
	case "they", "we", "i", "you", "this", "there", "that", "these", "those", "such", "what",
		"it's", "there's", "one":
		return p, false
	}
	if strings.HasSuffix(w0, "ing") && !t[0].isCap() {
		return p, false
	}
	for j := 0; j < len(t) && j < 12; j++ {
		x := t[j]
		if x.punct {
			if x.s != "," || j == 0 || p.hasAppos {
				return p, false
			}
			// An appositive: "Jef Raskin, head of the team ..., has died".
			k := j + 1
			for k < len(t) && k < j+14 && t[k].s != "," {
				if t[k].punct {
					return p, false
				}
				k++
			}
			if k >= len(t) || k == j+1 {
				return p, false
			}
			if _, ok := c.verbAt(t, k+1); !ok {
				if !(k+2 < len(t) && preVerbAdverbs[t[k+1].lower()]) {
					return p, false
				}
				if _, ok := c.verbAt(t, k+2); !ok {
					return p, false
				}
			}
			p.subjEnd = j
			p.appos = [2]int{j, k + 1}
			p.hasAppos = true
			j = k
			continue
		}
		w := x.lower()
		if j > 0 && (subordinators[w] || subjectPronouns[w] && w != "users" && w != "people") {
			return p, false // "Critics of the government say it has ..."
		}
		if j > 0 && pluralReport[w] && !t[j-1].punct && !determiners[t[j-1].lower()] {
			// "Critics say", "Analysts believe": a bare verb after a
			// plural subject.
			p.subjEnd, p.advStart, p.verb, p.info = j, j, j, verbInfo{lemma: w, do: "do"}
			break
		}
		if j > 0 && preVerbAdverbs[w] {
			if info, ok := c.verbAt(t, j+1); ok {
				if !p.hasAppos {
					p.subjEnd = j
				}
				p.advStart, p.verb, p.info = j, j+1, info
				break
			}
		}
		if info, ok := c.verbAt(t, j); ok {
			if !p.hasAppos {
				p.subjEnd = j
			}
			p.advStart, p.verb, p.info = j, j, info
			break
		}
	}
	if p.verb == 0 || p.subjEnd == 0 {
		return p, false
	}
	if p.hasAppos && p.advStart < p.appos[1] {
		p.advStart = p.appos[1]
	}
	if p.pronoun != "" && p.subjEnd != 1 {
		return p, false
	}
	p.rest = p.verb + 1
	for k := p.verb; k < len(t) && k < p.verb+3; k++ {
		if w := t[k].lower(); w == "not" || w == "never" || strings.HasSuffix(w, "n't") {
			p.negated = true
		}
	}
	return p, !p.negated
}

// attribution is reported speech: Y (what was said) and the speaker.
type attribution struct {
	y        [2]int // t[y[0]:y[1]]
	spk      [2]int
	verb     int    // the reporting verb
	obj      [2]int // the hearer of "told", if any
	appos    [2]int // an appositive after the speaker, if any
	head     bool   // "X said Y" rather than "Y, X said"
	viaAux   int    // an auxiliary before the verb ("has said"), or -1
	accordTo bool
}

// findAttribution recognises "X said (that) Y", "Y, X said", "Y, said X",
// "Y, X told the BBC" and "Y, according to X".
func (c *corpus) findAttribution(t []tok) (attribution, bool) {
	a := attribution{viaAux: -1}
	n := len(t)
	// Tail forms, at the first comma that leaves a clause on its left.
	for ci := 4; ci < n-1; ci++ {
		if t[ci].s != "," {
			continue
		}
		tail := t[ci+1:]
		off := ci + 1
		if len(tail) >= 3 && tail[0].lower() == "according" && tail[1].lower() == "to" && !hasPunct(tail[2:]) && len(tail) <= 7 {
			a.y, a.spk, a.verb, a.accordTo = [2]int{0, ci}, [2]int{off + 2, n}, -1, true
			return a, true
		}
		if _, ok := reportVerbs[tail[0].lower()]; ok && len(tail) >= 2 && len(tail) <= 12 {
			// ", said Mr Smith" or ", said Jim Levine, an IBM researcher".
			e := off + 1
			for e < n && t[e].s != "," {
				if t[e].punct {
					e = -1
					break
				}
				e++
			}
			if e > off+1 && e-(off+1) <= 5 {
				a.y, a.spk, a.verb = [2]int{0, ci}, [2]int{off + 1, e}, off
				if e < n {
					a.appos = [2]int{e + 1, n}
					if hasPunct(t[e+1:]) {
						return a, false
					}
				}
				return a, true
			}
		}
		// ", Mr Smith said", ", he told the BBC", ", Mr Smith, the firm's boss, said".
		for v := off + 1; v < n && v <= off+6; v++ {
			rv, ok := reportVerbs[t[v].lower()]
			if ok && !tailVerbs[t[v].lower()] {
				break
			}
			if !ok {
				if t[v].punct && t[v].s != "," {
					break
				}
				continue
			}
			spkEnd, aux := v, -1
			if w := t[v-1].lower(); v-1 > off && (w == "has" || w == "have" || w == "had") {
				spkEnd, aux = v-1, v-1
			}
			var appos [2]int
			if k := indexPunct(t[off:spkEnd], ","); k >= 0 {
				if t[spkEnd-1].s != "," || k+off == spkEnd-1 {
					break
				}
				appos = [2]int{off + k + 1, spkEnd - 1}
				spkEnd = off + k
			}
			if hasPunct(t[off:spkEnd]) || spkEnd == off || !c.nameLike(t[off:spkEnd]) {
				break
			}
			rest := t[v+1:]
			if rv == "tell" {
				if len(rest) == 0 || len(rest) > 4 || hasPunct(rest) {
					break
				}
				a.obj = [2]int{v + 1, n}
			} else if len(rest) > 0 && !(len(rest) == 1 && (rest[0].lower() == "today" || rest[0].lower() == "yesterday")) {
				break
			}
			a.y, a.spk, a.verb, a.appos, a.viaAux = [2]int{0, ci}, [2]int{off, spkEnd}, v, appos, aux
			return a, true
		}
	}
	// Head form: the subject of the clause says something.
	p, ok := c.parseClause(t)
	if !ok || p.hasAppos {
		return a, false
	}
	v := p.verb
	if p.info.aux && v+1 < n {
		a.viaAux = v
		v++
	}
	rv, ok := reportVerbs[t[v].lower()]
	if !ok || p.advStart != p.verb {
		return a, false
	}
	y0 := v + 1
	if !headVerbs[t[v].lower()] && (y0 >= n || t[y0].lower() != "that") {
		return a, false // "the US economy added 337,000 jobs"
	}
	if rv == "tell" {
		e := y0
		for e < n && e < y0+4 && t[e].lower() != "that" && !t[e].punct {
			e++
		}
		if e >= n || t[e].lower() != "that" {
			return a, false
		}
		a.obj = [2]int{y0, e}
		y0 = e
	}
	if y0 < n && t[y0].lower() == "that" {
		y0++
	}
	if y0 < n && t[y0].punct {
		return a, false
	}
	if !c.hasFiniteVerb(t[y0:]) {
		return a, false // "Jake White claimed the coaching award while ..."
	}
	a.y, a.spk, a.verb, a.head = [2]int{y0, n}, [2]int{0, p.subjEnd}, v, true
	return a, true
}

// hasFiniteVerb reports whether a clause has a finite verb among its
// first ten words, before any subordinating word.
func (c *corpus) hasFiniteVerb(t []tok) bool {
	for j := 1; j < len(t) && j <= 10; j++ {
		if subordinators[t[j].lower()] || t[j].punct {
			return false
		}
		if _, ok := c.verbAt(t, j); ok {
			return true
		}
	}
	return false
}

func hasPunct(t []tok) bool { return indexPunct(t, "") >= 0 }

// indexPunct returns the first punctuation token (of the given mark, or
// any when mark is "").
func indexPunct(t []tok, mark string) int {
	for i, x := range t {
		if x.punct && (mark == "" || x.s == mark) {
			return i
		}
	}
	return -1
}
