package answer

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/newsbot/newsbot/retrieval"
	"github.com/newsbot/newsbot/retrieval/text"
)

// Declining is a decision over several kinds of evidence, not one
// threshold. Hard evidence — a rare name, number or year of the question
// that none of the closest articles holds, or a year after the articles
// were written — declines whether or not a model is configured. The soft
// signals (how much of the question the passages cover, the question words
// the index has never seen, whether the passages agree on one article)
// are combined by a logistic model fitted on generated answerable and
// off-corpus questions (cmd: tools/declinefit); they decline offline
// only. With a model they are left to the model, which declines itself with
// NOT_IN_ARTICLES: a soft "no" from lexical evidence is wrong too often to
// block a model that reads the passages.

// Evidence is what the decision weighs for one question.
type Evidence struct {
	// Coverage is the best share of the question's information one of the
	// top passages holds (rare words weigh more; see retrieval.Result).
	Coverage float64 `json:"coverage"`
	// Window is the best coverage by two adjacent sentences of a top
	// passage with its title: an answer sits in a sentence or two.
	Window float64 `json:"window"`
	// Unknown is the share of the question's content words that no
	// passage of the index holds, each counted by its rarity (a common
	// English word a small corpus lacks counts for little).
	Unknown float64 `json:"unknown"`
	// MissingSoft is the weight share of the question's rare ordinary
	// words that none of the top articles holds anywhere, each weighed by
	// its rarity; MissingWords are the uncommon ones, named when the
	// question is declined.
	MissingSoft  float64  `json:"missing_soft"`
	MissingWords []string `json:"missing_words,omitempty"`
	// Similarity is the best cosine similarity among the top passages.
	Similarity float64 `json:"similarity"`
	// Agreement is the share of the top passages from the best passage's
	// article.
	Agreement float64 `json:"agreement"`
	// Words is the number of the question's content words.
	Words int `json:"words"`
	// Kind is the kind of answer asked for ("person", "date", ... or
	// "none"); Typed is set when it is not "none". Answer is the reader's
	// best score for a span of that kind near the question's words in the
	// top articles (0: none found).
	Kind   string  `json:"kind"`
	Typed  bool    `json:"typed"`
	Answer float64 `json:"answer"`

	// Missing are rare names and numbers of the question that none of the
	// top articles holds: hard evidence.
	Missing []string `json:"missing,omitempty"`
	// MissingYear is a year the question asks about that none of the top
	// articles mentions: hard evidence.
	MissingYear string `json:"missing_year,omitempty"`
	// LaterYear is a year the question asks about that comes after every
	// top article was written, asked about in the past tense: the articles
	// can't know ("who won the 2010 World Cup" against 2004–05 news).
	LaterYear int `json:"later_year,omitempty"`
	// Span is the years the corpus covers, for the message.
	Span retrieval.YearSpan `json:"-"`
	// yearInTop is set when a year of the question is in the top articles.
	yearInTop bool
	// NamesStory is set when a name of the question is in the headline of
	// an article about it, or is rare and in one: a short question about
	// that story ("who runs ericsson?", "how many staff does brightlock
	// have?"), not general knowledge the articles brush.
	NamesStory bool `json:"names_story,omitempty"`
}

// evidenceDepth is how many top passages the evidence looks at.
const evidenceDepth = 5

// evidence gathers the evidence for query over the retrieved passages.
// Terms in exempt (a follow-up's words carried from an answered turn) are
// weighed in the soft evidence only: they are no missing name or year.
func (e *Engine) evidence(query string, exempt map[string]bool, passages []retrieval.Result) Evidence {
	var ev Evidence
	top := passages[:min(len(passages), evidenceDepth)]
	m := e.r.Matcher(query)
	terms := e.r.Analyze(query)

	var articles []string
	seen := map[string]bool{}
	for _, p := range top {
		ev.Coverage = max(ev.Coverage, p.Coverage)
		ev.Similarity = max(ev.Similarity, p.Similarity)
		if !seen[p.ArticleID] {
			seen[p.ArticleID] = true
			articles = append(articles, p.ArticleID)
		}
		ev.Window = max(ev.Window, bestWindow(m, p))
	}
	if len(top) > 0 {
		same := 0
		for _, p := range top {
			if p.ArticleID == top[0].ArticleID {
				same++
			}
		}
		ev.Agreement = float64(same) / float64(len(top))
	}

	heldBy := func(articles []string) func(term string) bool {
		return func(term string) bool {
			return slices.ContainsFunc(articles, func(a string) bool { return m.InArticle(a, term) })
		}
	}
	inTop := heldBy(articles)
	// The articles about the question: the best-ranked one and those
	// covering nearly as much of it as the best-covering one. A year
	// asked about must be in one of them, not in any story retrieved
	// beside them ("bought by the Barclay twins in 2013" against a story
	// on the twins and another that mentions 2013).
	covers := coveringArticles(top)
	inCovering := heldBy(covers)
	covering := map[string]bool{}
	for _, a := range covers {
		covering[a] = true
	}
	// The words of the covering articles' headlines, once.
	headlines := map[string]bool{}
	for _, p := range top {
		if covering[p.ArticleID] {
			for _, w := range e.r.Terms(p.Title) {
				headlines[w] = true
			}
		}
	}
	var content int
	var unknown, rareWeight, missingWeight, total float64
	for _, t := range terms {
		if t.Meta {
			continue
		}
		content++
		total += t.Weight
		if !t.Vocabulary && !t.Year && t.Known && !hasDigit(t.Term) && !exempt[t.Term] && (t.Rare && inCovering(t.Term) || headlines[t.Term]) {
			ev.NamesStory = true
		}
		// A derivation or synonym the top articles hold says the word
		// otherwise ("lobbies" for "lobbyists"), for as much as it counts
		// in retrieval.
		said := 0.0
		for _, a := range t.Alternatives {
			if len(a.Terms) == 1 && inTop(a.Terms[0]) {
				said = max(said, a.Weight)
			}
		}
		if !t.Known {
			unknown += rarity(t) * (1 - said)
		}
		if exempt[t.Term] {
			continue
		}
		if t.Year {
			switch {
			case inCovering(t.Term):
				ev.yearInTop = true
			case ev.MissingYear == "":
				ev.MissingYear = t.Word
			}
			continue
		}
		// Short words are too often incidental, unless the index has never
		// seen them ("wii").
		if n := utf8.RuneCountInString(t.Term); !t.Rare || (n < 4 && t.Known && !hasDigit(t.Term)) || n < 3 {
			continue
		}
		rareWeight += t.Weight
		if inTop(t.Term) {
			continue
		}
		switch {
		case said >= derivedWeight:
			// Written otherwise, but the same word ("French", "France").
		case !t.Vocabulary && !hasDigit(t.Term) && initialsIn(t.Word, top):
			// Typed as initials ("lotr" for The Lord of the Rings).
		case hasDigit(t.Term), !t.Vocabulary && !verbForm(t.Word):
			// A number or a name: the closest articles are about
			// something else, or the corpus doesn't know it at all.
			ev.Missing = append(ev.Missing, t.Word)
		default:
			// An ordinary word: the articles may say it otherwise, and
			// the more common it is in English the less its absence
			// says ("think" from a handful of articles, against
			// "octopus").
			r := rarity(t) * (1 - said)
			if verbForm(t.Word) {
				// "Chucked", "torched", "grilled", "bragging": how the
				// question tells what happened; the article tells it in
				// its own verbs (thrown, arson, questioned, said).
				r *= inflectedWeight
			}
			missingWeight += t.Weight * r
			if r >= 0.5 {
				ev.MissingWords = append(ev.MissingWords, t.Word)
			}
		}
	}
	ev.Words = content
	if content > 0 {
		ev.Unknown = unknown / float64(content)
	}
	if total > 0 {
		ev.MissingSoft = missingWeight / total
	}
	ev.Span = e.r.Years()
	own := make([]retrieval.QueryTerm, 0, len(terms))
	for _, t := range terms {
		if !exempt[t.Term] {
			own = append(own, t)
		}
	}
	ev.LaterYear = laterYear(e.r, query, own, top)
	return ev
}

// derivedWeight is the weight of a derivation among a query word's
// alternatives (retrieval's familyWeight): one the articles hold stands
// for the word.
const derivedWeight = 0.8

// initialsIn reports whether a word typed in lower case is the initials
// of words written out in the passages: "lotr" for "Lord of the Rings",
// "wmd" for "weapons of mass destruction" (small words may be skipped).
func initialsIn(word string, passages []retrieval.Result) bool {
	n := utf8.RuneCountInString(word)
	if n < 3 || n > 6 || word != strings.ToLower(word) {
		return false
	}
	for _, p := range passages {
		words := strings.FieldsFunc(p.Title+" "+p.Text, func(r rune) bool { return !unicode.IsLetter(r) && r != '\'' && r != '’' })
		for i := range words {
			if initialsFrom([]rune(word), words[i:]) {
				return true
			}
		}
	}
	return false
}

// initialsFrom reports whether words, from the first, spell the initials
// of word, each word of it or, for a small word ("of", "the"), none.
func initialsFrom(word []rune, words []string) bool {
	if len(word) == 0 {
		return true
	}
	if len(words) == 0 {
		return false
	}
	w := strings.ToLower(words[0])
	first, _ := utf8.DecodeRuneInString(w)
	if first == word[0] && initialsFrom(word[1:], words[1:]) {
		return true
	}
	return smallWords[w] && initialsFrom(word, words[1:])
}

var smallWords = map[string]bool{"of": true, "the": true, "and": true, "for": true, "a": true, "an": true, "in": true, "on": true, "to": true}

// inflectedWeight is what a missing word in a verb's -ed or -ing form
// counts for, against its rarity.
const inflectedWeight = 0.3

// verbForm reports whether a question word, as typed, is a past or -ing
// form ("chucked", "bragging"), not a name.
func verbForm(word string) bool {
	return utf8.RuneCountInString(word) >= 5 && word == strings.ToLower(word) &&
		(strings.HasSuffix(word, "ed") || strings.HasSuffix(word, "ing"))
}

// coveringArticles returns the articles of the top passages that are
// about the question: the best-ranked one, and those whose best passage
// covers at least answerArticleShare of the best passage's coverage.
func coveringArticles(top []retrieval.Result) []string {
	best := 0.0
	for _, p := range top {
		best = max(best, p.Coverage)
	}
	var out []string
	for i, p := range top {
		if (i == 0 || p.Coverage >= answerArticleShare*best) && !slices.Contains(out, p.ArticleID) {
			out = append(out, p.ArticleID)
		}
	}
	return out
}

// rarity is how much a query word the articles lack says about them, from
// 0 to 1: 1 for a name or a number, and for an ordinary word less the more
// common it is in English (WordNet's tag counts: "octopus" 0 → 1, "manure"
// 4 → 0.86, "big" 122 → 0.17, "think" 590 → 0.04).
func rarity(t retrieval.QueryTerm) float64 {
	if !t.Vocabulary {
		return 1
	}
	return 1 / (1 + float64(t.Tags)/commonTags)
}

// commonTags is the tag count at which an ordinary word's absence counts
// half.
const commonTags = 25

// bestWindow is the best coverage of two adjacent sentences of a passage,
// with the passage's title and outlet (indexed with every passage: "which
// agency reported ..." is answered by the outlet).
func bestWindow(m *retrieval.Matcher, p retrieval.Result) float64 {
	spans := text.SentenceSpans(p.Text)
	best := 0.0
	for i := range spans {
		j := min(i+1, len(spans)-1)
		text := p.Title + "\n" + p.Source + "\n" + p.Text[spans[i][0]:spans[j][1]]
		c, _ := m.Coverage(text)
		best = max(best, c)
	}
	return best
}

// futureWords mark a question about what was expected rather than what
// happened ("when will the 2006 World Cup start?").
var futureWords = map[string]bool{"will": true, "going": true, "plan": true, "plans": true, "planned": true,
	"predict": true, "predicts": true, "predicted": true, "forecast": true, "forecasts": true, "forecasting": true, "projected": true,
	"due": true, "expected": true, "expect": true, "upcoming": true, "next": true, "future": true, "hope": true, "hopes": true,
	"until": true, "till": true, "through": true, "by": true, "before": true, "ahead": true}

// laterYear returns a year the question asks about that comes after every
// top article's year, unless the question looks ahead.
func laterYear(r Retriever, query string, terms []retrieval.QueryTerm, top []retrieval.Result) int {
	asked := 0
	for _, t := range terms {
		if t.Year {
			y, _ := strconv.Atoi(t.Term)
			asked = max(asked, y)
		}
	}
	if asked == 0 || len(top) == 0 {
		return 0
	}
	for _, f := range strings.FieldsFunc(strings.ToLower(query), func(r rune) bool { return !(r >= 'a' && r <= 'z') }) {
		if futureWords[f] {
			return 0
		}
	}
	for _, p := range top {
		if y := r.Present(p.ArticleID); y == 0 || y >= asked {
			return 0
		}
	}
	return asked
}

func hasDigit(s string) bool { return strings.ContainsAny(s, "0123456789") }

// DeclineFeatures are the names of the soft evidence the decline model
// weighs, in the order Features returns them.
var DeclineFeatures = []string{"coverage", "window", "unknown", "missing_soft", "similarity", "agreement", "no_answer_span", "weak_answer_span", "short"}

// Features returns the soft evidence as the decline model's inputs, in
// the order of DeclineFeatures. A question that asks for a kind of answer
// (a date, a number) and whose articles hold no span of that kind near its
// words is likely about something they don't say ("how old was he when he
// died" against an obituary without his age). A short question that no
// window covers whole is more often general knowledge the articles only
// brush ("the capital of Mongolia" against "Inner Mongolia"): short is 1/words
// then, 0 for a question a window covers (nearly) whole, however short, and
// for one asking for a kind of answer about a story it names (NamesStory:
// "who runs ericsson?", "why did emi shares tank?").
func (ev Evidence) Features() []float64 {
	noSpan, weak := 0.0, 0.0
	if ev.Typed {
		if ev.Answer == 0 {
			noSpan = 1
		} else {
			weak = 1 - ev.Answer
		}
	}
	short := 0.0
	if ev.Words > 0 && ev.Window < 0.8 && !(ev.NamesStory && ev.Typed) {
		short = 1 / float64(ev.Words)
	}
	return []float64{ev.Coverage, ev.Window, ev.Unknown, ev.MissingSoft, ev.Similarity, ev.Agreement, noSpan, weak, short}
}

// DeclineModel is a logistic model of P(answerable | soft evidence),
// fitted by tools/declinefit on generated answerable and off-corpus
// questions and embedded as decline.json.
type DeclineModel struct {
	Features []string  `json:"features"` // DeclineFeatures, to check the file matches the code
	Weights  []float64 `json:"weights"`
	Bias     float64   `json:"bias"`
	// Threshold is the least probability at which a question is answered.
	Threshold float64 `json:"threshold"`
	// Fitted says on what and how the model was fitted, for people.
	Fitted string `json:"fitted,omitempty"`
}

// P returns the probability that the question is answerable.
func (d DeclineModel) P(ev Evidence) float64 {
	z := d.Bias
	for i, x := range ev.Features() {
		z += d.Weights[i] * x
	}
	return 1 / (1 + math.Exp(-z))
}

//go:embed decline.json
var declineJSON []byte

// loadDeclineModel parses the embedded model and checks it was fitted on
// the features this code computes.
func loadDeclineModel() (DeclineModel, error) {
	var d DeclineModel
	if err := json.Unmarshal(declineJSON, &d); err != nil {
		return d, fmt.Errorf("decline model: %w", err)
	}
	if !slices.Equal(d.Features, DeclineFeatures) || len(d.Weights) != len(DeclineFeatures) {
		return d, fmt.Errorf("decline model: fitted on features %v, the code computes %v: refit with tools/declinefit", d.Features, DeclineFeatures)
	}
	return d, nil
}

// noAnswerSpan reports whether a question asks for a kind of answer (a
// number, an amount, an age, a date, a name) that none of the top articles
// holds near its words: "how much prize money did she get" against a report
// that names no sum. Offline, that declines whatever else the evidence says.
func noAnswerSpan(ev Evidence) bool { return ev.Typed && ev.Answer == 0 }

// hardReason returns why the evidence rules an answer out, or "".
func hardReason(ev Evidence) string {
	switch {
	case ev.LaterYear > 0 && ev.Span.Last > 0:
		return fmt.Sprintf("The articles were written in %s, before %d: they can't say what happened then.", spanText(ev.Span), ev.LaterYear)
	case ev.MissingYear != "":
		return fmt.Sprintf("The closest articles say nothing about %s.", ev.MissingYear)
	case len(ev.Missing) > 0:
		return fmt.Sprintf("The closest passages don't mention %s.", quoteList(ev.Missing))
	}
	return ""
}

func spanText(s retrieval.YearSpan) string {
	if s.First == s.Last || s.First == 0 {
		return strconv.Itoa(s.Last)
	}
	return fmt.Sprintf("%d–%d", s.First, s.Last)
}

// foreign reports whether a question is written in another language than
// the articles' (English: the index's stemmer and lexicon are English).
// Most of its letters are of another script, or few of its words are
// English ones (function words, words of the lexicon, or words the index
// holds).
func foreign(question string, terms []retrieval.QueryTerm) bool {
	latin, other := 0, 0
	for _, r := range question {
		switch {
		case r < 0x250 && unicode.IsLetter(r):
			latin++
		case unicode.IsLetter(r):
			other++
		}
	}
	if other > latin {
		return true
	}
	byWord := map[string]retrieval.QueryTerm{}
	for _, t := range terms {
		byWord[strings.ToLower(t.Word)] = t
	}
	toks := tokenize(question)
	if len(toks) < 3 {
		return false
	}
	english := 0
	for _, tk := range toks {
		w := strings.ToLower(tk.text)
		t, ok := byWord[w]
		switch {
		case text.StopWord(w), hasDigit(w):
			english++
		case ok && (t.Vocabulary || t.Known):
			english++
		}
	}
	return float64(english) < 0.4*float64(len(toks))
}

// foreignReply is what an offline bot says to a question it can't read.
const foreignReply = "I can only read questions in English, the language the articles are indexed in. Ask in English, or configure a model (OPENAI_*), which answers in your language."
