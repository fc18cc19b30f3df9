package main

import (
	"regexp"
	"strings"
)

// casualSynonyms extend the claim generator's table with the swaps users
// make when typing a question: plainer words, shorter phrasings and
// abbreviations, each inflected form listed. A phrase maps to its
// alternatives; "" drops it.
var casualSynonyms = map[string][]string{
	"chief executive": {"boss", "ceo", "chief exec"}, "per cent": {"%", "percent"},
	"mobile phones": {"mobiles", "phones"}, "mobile phone": {"mobile", "phone"},
	"television": {"tv"}, "prime minister": {"pm"}, "the united states": {"the us"},
	"united states": {"us"}, "children": {"kids"}, "approximately": {"about", "around"},
	"purchased": {"bought"}, "purchase": {"buy"}, "acquired": {"bought"}, "acquire": {"buy"},
	"received": {"got"}, "receive": {"get"}, "obtained": {"got"}, "additional": {"extra"},
	"attempt": {"try"}, "attempted": {"tried"}, "attempting": {"trying"},
	"commenced": {"started"}, "began": {"started"}, "begin": {"start"}, "however": {""},
	"currently": {""}, "reportedly": {""}, "rose": {"went up"}, "fell": {"dropped", "went down"},
	"employees": {"staff", "workers"}, "individuals": {"people"}, "information": {"info"},
	"advertisements": {"ads"}, "following": {"after"}, "prior to": {"before"}, "in order to": {"to"},
	"a number of": {"several", "some"}, "the majority of": {"most of"}, "manufacturer": {"maker"},
	"supporters": {"fans"}, "defeated": {"beat"}, "appointed": {"named", "hired"}, "appoint": {"name", "hire"},
	"resigned": {"quit", "stepped down"}, "resign": {"quit", "step down"},
	"dismissed": {"sacked", "fired"}, "sacked": {"fired"}, "stated": {"said"},
	"scheduled to": {"due to", "set to"}, "expected to": {"set to", "likely to"},
	"in the region of": {"about"}, "government": {"government", "govt"},
	"footballer": {"player"}, "footballers": {"players"}, "consumers": {"customers", "shoppers"},
	"revealed": {"said"}, "intends to": {"plans to", "wants to"}, "is to": {"is going to", "will"},
	"are to": {"are going to", "will"}, "profits": {"earnings", "profit"}, "shares": {"shares", "stock"},
	"announced": {"said"}, "launched": {"started", "brought out", "introduced"}, "launch": {"start", "bring out"},
	"criticised": {"slammed", "attacked", "hit out at"}, "criticise": {"slam", "attack"},
	"rejected": {"turned down"}, "reject": {"turn down"}, "increased": {"raised", "upped", "boosted"},
	"reduced": {"cut", "lowered"}, "reduce": {"cut", "lower"}, "released": {"put out"},
	"died": {"passed away"}, "urged": {"called on"}, "demanded": {"called for"},
	"unveiled": {"showed off", "revealed"}, "completed": {"finished"}, "complete": {"finish"},
	"investigating": {"looking into", "probing"}, "investigate": {"look into", "probe"},
	"examine": {"look at"}, "examined": {"looked at"}, "requires": {"needs"}, "require": {"need"},
	"required": {"needed"}, "legislation": {"law", "laws"}, "proposals": {"plans"},
	"agreement": {"deal"}, "contract": {"deal"}, "investigation": {"probe", "inquiry"},
	"inquiry": {"probe"}, "executives": {"bosses"}, "firms": {"companies"}, "companies": {"firms"},
	"major": {"big"}, "significant": {"big"}, "numerous": {"many"}, "initially": {""},
	"previously": {""}, "recently": {""}, "subsequently": {"later"}, "eventually": {""},
	"programme": {"show"}, "squad": {"team"}, "competition": {"contest"}, "championships": {"champs"},
	"referendum": {"vote"}, "talks": {"talks", "discussions"}, "discussions": {"talks"},
	"assist": {"help"}, "assistance": {"help"}, "commence": {"start"}, "demonstrate": {"show"},
	"demonstrated": {"showed"}, "indicated": {"suggested"}, "approximately the": {"about the"},
	"prevent": {"stop"}, "prevented": {"stopped"},
	"permitted": {"allowed"}, "permit": {"allow"}, "sufficient": {"enough"}, "enormous": {"huge"},
	"extremely": {"really", "very"}, "particularly": {"especially"}, "global": {"worldwide"},
	"a further": {"another"}, "will be": {"will be", "is going to be"}, "the company's": {"the firm's"},
}

// questionSynonyms are the entries of the claims table that read naturally
// in a typed question.
var questionSynonyms = []string{"company", "firm", "film", "movie", "big", "large", "buy",
	"bought"}

// trimAt are prepositions where a question may end early.
var trimAt = set("in", "on", "at", "during", "after", "following", "with", "amid", "ahead", "because",
	"due", "as", "over", "since", "despite", "without", "while", "including", "alongside", "before")

// notAdverbs end in -ly without being adverbs that can go.
var notAdverbs = set("only", "early", "family", "italy", "july", "supply", "reply", "rally", "ally",
	"holly", "daily", "weekly", "monthly", "yearly", "likely", "unlikely", "fly", "apply", "belly",
	"bully", "jolly", "lily", "sally", "kelly", "shelly", "emily", "billy", "molly", "reilly",
	"ply", "imply", "comply", "rely", "multiply", "elderly", "friendly", "lonely", "costly",
	"deadly", "lovely", "nearly", "hardly", "barely", "fully", "poorly", "newly", "highly",
	"mostly", "partly", "largely", "mainly", "slightly", "roughly", "exactly", "directly", "wholly",
	"solely", "entirely", "not", "early-", "anomaly", "assembly", "monopoly", "melancholy",
	"ugly", "silly", "curly", "burly", "surly", "wily", "oily", "hilly", "chilly", "sly", "lowly",
	"orderly", "holy", "jelly", "bubbly", "cuddly", "kindly", "sickly", "worldly", "beastly",
	"quarterly", "hourly", "nightly", "underbelly")

// fillers are dropped now and then.
var fillers = set("also", "now", "still", "just", "already", "currently", "reportedly", "further")

type rendered struct {
	text  string
	names []nameRef
	years []string
}

var yearInText = regexp.MustCompile(`\b(19[5-9][0-9]|200[0-9])\b`)

// finish renders question words into typed text: brackets and side
// clauses dropped, titles dropped, lower-cased, some words swapped,
// contracted, punctuated.
func (b *builder) finish(q []tok, sp span, _ []span, _ []tok) (rendered, bool) {
	r := b.rng
	c := b.c
	for _, x := range q {
		if x.punct && x.s == "." {
			return rendered{}, false // two sentences run together
		}
	}
	q = dropBrackets(q)
	q = dropDashPair(q)
	q = dropSideClauses(q)
	q = c.dropTail(q)
	// Users type shorter questions than the sentence: a long one loses
	// its last phrase now and then, if what is left still points at the
	// article (checked below).
	if countWords(q) > 14 && r.IntN(2) == 0 {
		for i := len(q) - 2; i >= 9; i-- {
			if w := q[i].lower(); trimAt[w] && !q[i+1].punct && countWords(q[:i]) >= 8 {
				q = q[:i]
				break
			}
		}
	}
	// Titles go: users type "raskin", not "mr raskin".
	var t []tok
	for i, x := range q {
		w := x.lower()
		if (w == "mr" || w == "mrs" || w == "ms" || w == "miss" || w == "dr" && r.IntN(2) == 0) && i+1 < len(q) && q[i+1].isCap() {
			continue
		}
		t = append(t, x)
	}
	// Anchors: the question must still point at one article.
	proper, rare := 0, 0
	for i, x := range t {
		if x.punct || i == 0 {
			continue
		}
		lw := bare(x.lower())
		switch {
		case months[lw] || weekdays[lw] || nationalities[lw]:
		case x.isAllCaps() || x.isCap() && c.proper(x.s):
			proper++
		case len(lw) >= 5 && c.df[lw] > 0 && c.df[lw] <= 12 && !stopwords[lw]:
			rare++
		}
	}
	if proper == 0 && rare < 3 || contentWords(t) < 4 {
		return rendered{}, false
	}
	// A pronoun needs something before it to refer to: "which manager
	// did his professionalism impress" does not say whose.
	ref := len(t) > 0 && (t[0].lower() == "who" || t[0].lower() == "which" || t[0].lower() == "what")
	for _, x := range t {
		w := x.lower()
		if pronouns[w] && !ref {
			return rendered{}, false
		}
		if x.isCap() {
			ref = true
		}
	}
	var out rendered
	for _, o := range c.findNames(t, -1) {
		key := strings.ToLower(bare(joinToks(t[o.start:o.end])))
		if o.kind == kindOther && o.end == o.start+1 && c.surnames[key] >= 3 && !places[key] {
			o.kind, o.surname = kindPerson, key // "Blair", known from "Mr Blair"
		}
		if o.kind == kindOther && !places[key] {
			continue
		}
		full := strings.ToLower(bare(joinToks(t[o.start:o.end])))
		ref := nameRef{kind: o.kind, forms: []string{full}}
		if o.kind == kindPerson && o.surname != "" && o.surname != full {
			ref.forms = append(ref.forms, o.surname)
		}
		out.names = append(out.names, ref)
	}
	keepCaps := r.IntN(3) == 0
	keepNames := r.IntN(10) == 0
	var ws []string
	for _, x := range t {
		w := x.s
		switch {
		case x.punct:
		case keepCaps && x.isAllCaps():
		case keepNames && x.isCap() && c.proper(x.s):
		default:
			w = strings.ToLower(w)
		}
		ws = append(ws, w)
	}
	text := joinWords(ws)
	text = b.paraphrase(text)
	text = strings.TrimRight(text, " ,-")
	if r.IntN(7) > 0 {
		text += "?"
	}
	n := len(strings.Fields(text))
	if n < 5 || n > 26 {
		return rendered{}, false
	}
	last := strings.Trim(strings.ToLower(strings.Fields(text)[n-1]), "?")
	if danglers[last] {
		return rendered{}, false
	}
	out.text = text
	out.years = yearInText.FindAllString(text, -1)
	return out, true
}

var weekdays = set("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

// prepositions after which a typed question may drop "the".
var prepositions = set("of", "in", "at", "for", "on", "to", "from", "with", "by", "into", "over")

// dropTail cuts a question before a trailing clause: at a dash, at a
// comma before a clause opener or a name, at "but", and at "and" before
// a new subject ("and users will have to").
func (c *corpus) dropTail(q []tok) []tok {
	between := false
	for i := 1; i+1 < len(q); i++ {
		w, next := q[i].lower(), q[i+1].lower()
		if w == "between" {
			between = true
		}
		left := countWords(q[:i])
		switch {
		case q[i].punct && (q[i].s == "-" || q[i].s == "–") && left >= 3:
			return q[:i]
		case q[i].s == "," && (tailOpeners[next] || q[i+1].isCap() || strings.HasSuffix(next, "ing") ||
			strings.HasSuffix(next, "ed") || participles[next]) && left >= 3:
			return q[:i]
		case w == "but" && left >= 5:
			return q[:i]
		case w == "and" && left >= 5 && (reportVerbs[next] != "" || next == "also"):
			return q[:i] // "and said chancellors had resigned"
		case w == "and" && !between && left >= 5 && (determiners[next] && next != "new" || subjectPronouns[next] || next == "then"):
			return q[:i]
		case w == "and" && !between && left >= 5 && q[i+1].isCap() && c.newClause(q[i+1:]):
			return q[:i] // "and Yahoo has tweaked its technology"
		}
	}
	return q
}

// newClause reports whether t opens with a name and a verb.
func (c *corpus) newClause(t []tok) bool {
	for j := 1; j < len(t) && j <= 3; j++ {
		if !t[j-1].isCap() {
			return false
		}
		if _, ok := c.verbAt(t, j); ok {
			return true
		}
	}
	return false
}

var pronouns = set("he", "she", "his", "her", "him", "they", "their", "them", "it", "its", "hers",
	"theirs", "himself", "herself", "itself", "themselves")

var subjectPronouns = set("he", "she", "it", "they", "we", "i", "you", "users", "people")

// tailOpeners start a trailing clause that a question drops.
var tailOpeners = set("but", "and", "while", "although", "though", "whereas", "when", "as", "with",
	"after", "before", "because", "so", "despite", "which", "who", "where", "adding", "saying",
	"making", "leaving", "meaning", "including", "according", "compared", "up", "down", "a", "an",
	"the", "its", "his", "her", "their", "than", "in", "on", "at", "by", "for", "from", "to",
	"having", "bringing", "taking", "putting", "giving", "said", "says", "added", "both", "now",
	"then", "including", "not", "only", "also", "even", "just", "thanks", "amid", "despite", "where",
	"whose", "whom", "until", "unless", "if", "or", "nor", "yet", "plus", "rather", "instead", "one",
	"two", "three", "four", "five", "six", "another", "each", "all", "some", "most", "many")

// danglers cannot end a question.
var danglers = set("the", "a", "an", "of", "and", "or", "but", "its", "their", "his", "her", "'s",
	"than", "that", "which", "who", "is", "are", "was", "were", "has", "have", "had", "will",
	"would", "be", "been", "in", "on", "per", "s")

// paraphrase swaps a few words and contracts, on word boundaries.
func (b *builder) paraphrase(text string) string {
	r := b.rng
	ws := strings.Fields(text)
	// Phrases of up to three words first, then single words.
	var out []string
	for i := 0; i < len(ws); i++ {
		done := false
		for n := 3; n >= 1 && !done; n-- {
			if i+n > len(ws) {
				continue
			}
			ph := strings.Join(ws[i:i+n], " ")
			core := strings.TrimRight(ph, ",")
			tail := ph[len(core):]
			alts, ok := casualSynonyms[core]
			if !ok && n == 1 {
				if (core == "film" || core == "movie") && (len(out) == 0 || !determiners[out[len(out)-1]]) {
					continue // "his career in film" is no "career in movie"
				}
				if syn, ok2 := synonyms[core]; ok2 && contains(questionSynonyms, core) {
					alts, ok = []string{syn}, true
				}
			}
			if !ok || r.IntN(5) < 2 {
				continue
			}
			alt := alts[r.IntN(len(alts))]
			switch {
			case alt == "%" && len(out) > 0:
				out[len(out)-1] += alt + tail
			case alt != "":
				out = append(out, alt+tail)
			}
			i += n - 1
			done = true
		}
		if done {
			continue
		}
		w := ws[i]
		lw := strings.ToLower(w)
		switch {
		case fillers[lw] && r.IntN(3) > 0:
			continue
		case strings.HasSuffix(lw, "ly") && len(lw) > 5 && !notAdverbs[lw] && b.c.words[strings.TrimSuffix(lw, "ly")] > 0 && r.IntN(3) > 0:
			continue // "widely tipped", "consistently swore"
		case lw == "the" && i > 1 && prepositions[strings.ToLower(ws[i-1])] && r.IntN(4) == 0:
			continue // "head of team", "in case"
		}
		out = append(out, w)
	}
	text = strings.Join(out, " ")
	for _, ct := range contractions {
		if !strings.HasPrefix(text, ct[0]+" ") || r.IntN(2) == 0 {
			continue
		}
		if ct[0] == "who has" {
			// Only an auxiliary contracts: "who's become", not "who's the
			// treasury announced".
			next := strings.Fields(text[len(ct[0]):])
			if len(next) == 0 || !participles[next[0]] && !strings.HasSuffix(next[0], "ed") {
				continue
			}
		}
		text = ct[1] + text[len(ct[0]):]
	}
	return text
}

// contractions apply at the start of a question.
var contractions = [][2]string{
	{"what is", "what's"}, {"who is", "who's"}, {"who has", "who's"}, {"when is", "when's"},
	{"where is", "where's"}, {"how much is", "how much's"}, {"who will", "who'll"},
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// joinWords joins tokens with spaces, attaching commas.
func joinWords(ws []string) string {
	var b strings.Builder
	for i, w := range ws {
		if i > 0 && w != "," {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func countWords(t []tok) int {
	n := 0
	for _, x := range t {
		if !x.punct {
			n++
		}
	}
	return n
}

// dropBrackets removes "( ... )" groups.
func dropBrackets(t []tok) []tok {
	var out []tok
	depth := 0
	for _, x := range t {
		switch {
		case x.punct && x.s == "(":
			depth++
		case x.punct && x.s == ")":
			if depth > 0 {
				depth--
			}
		case depth == 0:
			out = append(out, x)
		}
	}
	return out
}

// dropDashPair removes a " - ... - " aside, and a short attribution
// after it ("- almost a third of the population - it added").
func dropDashPair(t []tok) []tok {
	first := -1
	for i, x := range t {
		if x.punct && (x.s == "-" || x.s == "–") {
			if first < 0 {
				first = i
				continue
			}
			tail := t[i+1:]
			if len(tail) <= 4 && indexWord(tail, "said", "says", "added", "told") >= 0 {
				tail = nil
			}
			return append(append([]tok(nil), t[:first]...), tail...)
		}
	}
	return t
}

// dropSideClauses removes ", which ...," and ", who ...," clauses and a
// trailing ", which ..." clause.
func dropSideClauses(t []tok) []tok {
	for {
		k := -1
		for i := 0; i+1 < len(t); i++ {
			if t[i].s == "," && (t[i+1].lower() == "which" || t[i+1].lower() == "who") {
				k = i
				break
			}
		}
		if k < 0 {
			return t
		}
		e := k + 1
		for e < len(t) && t[e].s != "," {
			e++
		}
		out := append([]tok(nil), t[:k]...)
		if e < len(t) {
			out = append(out, t[e+1:]...)
		}
		t = out
	}
}
