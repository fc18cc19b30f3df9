// Command evalgen generates question sets from a corpus, of four kinds.
//
// claims (the default): the way users paste a half-remembered claim into
// /source: a sentence taken from an article, lightly altered (words
// dropped, synonyms swapped, case and punctuation lost), asked as "which
// article says …". The expected answer is a span of the original sentence.
//
//	(cd tools && go run ./evalgen -corpus ../../shared/corpora/bbc -n 200 > ../testdata/eval/bbc-claims.jsonl)
//
// cloze: a sentence with a name, an amount or a date in it, turned into the
// who / which company / how many / how much / when / what year question a
// user would type about that span ("how many power leads is microsoft
// replacing over the fire risk?"): lower-cased, titles and some articles
// dropped, some words swapped, "X said Y" reordered into "how many … did X
// say …". The span is the answer, with a shorter variant (a surname, the
// bare number).
//
//	(cd tools && go run ./evalgen -kind cloze -corpus ../../shared/corpora/bbc -prefix bbc/ -n 400 > ../testdata/eval/bbc-cloze.jsonl)
//
// described: the way users ask about a story they half remember: a few
// words of the article's headline or lead, lower-cased, one perhaps
// swapped for a synonym, in a chatty frame ("the hoddle wolves thing -",
// "re the aston porsche story,"), then a short question about a name, an
// amount or a date in a later sentence, mostly the 2nd to 6th ("who did
// he beat?", "who's the wolves chairman?", "what year did they go
// bankrupt?"). The question takes at most two or three content words of
// its own from the answer sentence and calls the story's subject "he",
// "she" or "they"; at least two of its words come from the headline or
// lead, and its names all occur in the article. Answers are the span and
// a shorter variant, as for cloze.
//
//	(cd tools && go run ./evalgen -kind described -corpus ../../shared/corpora/bbc -prefix bbc/ -n 400 > ../testdata/eval/bbc-described.jsonl)
//
// offcorpus: questions the corpus cannot answer, with no answers and no
// relevant articles, in three sub-kinds marked in the ID: off-name (a
// cloze question whose key name is swapped for one the corpus lacks),
// off-year (a cloze question moved to a year the corpus does not cover,
// and well-known events after the corpus from templates), off-mix (words
// common in the corpus that never meet in one sentence, and general
// knowledge from templates). Each is checked against the corpus before it
// is written.
//
//	(cd tools && go run ./evalgen -kind offcorpus -corpus ../../shared/corpora/bbc -prefix bbc/ -n 300 > ../testdata/eval/bbc-offcorpus.jsonl)
//
// In every kind the relevant articles are every article holding the
// source sentence (the BBC corpus has duplicates), their IDs prefixed with
// -prefix so that a set can be scored against a corpus folder holding the
// corpus as a subfolder ("bbc/"). The output is deterministic for a given
// corpus, -kind, -n and -seed. With EVALGEN_DEBUG set, the cloze and
// described kinds list each question with its source sentence on stderr.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"strings"
	"unicode"
)

type question struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Answers  []string `json:"answers"`
	Relevant []string `json:"relevant"`
}

// synonyms are swaps a reader might make when recalling a claim.
var synonyms = map[string]string{
	"said": "stated", "says": "states", "company": "firm", "firm": "company", "rise": "increase",
	"rose": "increased", "fell": "dropped", "increase": "rise", "government": "administration",
	"film": "movie", "movie": "film", "shares": "stock", "profits": "earnings", "profit": "earnings",
	"buy": "purchase", "bought": "purchased", "big": "large", "large": "big", "start": "begin",
	"started": "began", "help": "assist", "show": "display", "told": "informed", "people": "individuals",
	"players": "athletes", "match": "game", "game": "match", "election": "vote", "minister": "secretary",
	"record": "all-time", "users": "customers", "mobile": "cell", "win": "victory", "won": "secured",
}

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "evalgen:", err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	kind, corpus, prefix string
	n                    int
	seed                 uint64
}

func parseOptions(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("evalgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.kind, "kind", "claims", "question kind: claims, cloze, described or offcorpus")
	fs.StringVar(&o.corpus, "corpus", "", "corpus folder (required)")
	fs.StringVar(&o.prefix, "prefix", "", `prefix for article IDs, e.g. "bbc/" when the corpus is a subfolder of the evaluated one`)
	fs.IntVar(&o.n, "n", 200, "number of questions")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.corpus == "" {
		return o, errors.New("-corpus DIR is required")
	}
	if o.n <= 0 {
		return o, errors.New("-n must be positive")
	}
	return o, nil
}

// run is the command: it parses args, generates and writes JSON Lines.
func run(args []string, stdout, stderr io.Writer) error {
	o, err := parseOptions(args, stderr)
	if err != nil {
		return err
	}
	c, err := loadCorpus(o.corpus)
	if err != nil {
		return err
	}
	qs, err := generate(c, o)
	if err != nil {
		return err
	}
	return write(stdout, qs)
}

// generate makes the question set the options ask for.
func generate(c *corpus, o options) ([]question, error) {
	switch o.kind {
	case "claims":
		return claims(c, o)
	case "cloze":
		return clozeSet(c, o)
	case "described":
		return describedSet(c, o)
	case "offcorpus":
		off, err := offCorpusSet(c, o)
		var qs []question
		for _, q := range off {
			qs = append(qs, q.q)
		}
		return qs, err
	}
	return nil, fmt.Errorf("unknown -kind %q (want claims, cloze, described or offcorpus)", o.kind)
}

// write writes questions as JSON Lines, empty lists as [].
func write(w io.Writer, qs []question) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, q := range qs {
		if q.Answers == nil {
			q.Answers = []string{}
		}
		if q.Relevant == nil {
			q.Relevant = []string{}
		}
		if err := enc.Encode(q); err != nil {
			return fmt.Errorf("write question %s: %w", q.ID, err)
		}
	}
	return nil
}

func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// claims makes the "which article says …" set.
func claims(c *corpus, o options) ([]question, error) {
	rng := newRand(o.seed)
	var out []question
	for tries := 0; len(out) < o.n && tries < o.n*50; tries++ {
		var cands []string
		for _, si := range c.byArt[rng.IntN(len(c.arts))] {
			s := c.sents[si].text
			if w := len(strings.Fields(s)); w >= 12 && w <= 40 && !strings.ContainsAny(s, "\n\"“”") {
				cands = append(cands, s)
			}
		}
		if len(cands) == 0 {
			continue
		}
		s := cands[rng.IntN(len(cands))]
		words := strings.Fields(s)
		start := len(words)/2 - 2
		answer := strings.Trim(strings.Join(words[start:start+4], " "), ".,;:!?'\"")
		out = append(out, question{
			ID:       fmt.Sprintf("bbc%03d", len(out)+1),
			Question: "Which article says " + alter(words, rng) + "?",
			Answers:  []string{answer},
			Relevant: c.relevantTo(s, o.prefix),
		})
	}
	if len(out) < o.n {
		return nil, fmt.Errorf("only %d questions could be made", len(out))
	}
	return out, nil
}

// alter drops about one word in six, swaps synonyms, lower-cases and drops
// punctuation, the way a claim is recalled rather than copied.
func alter(words []string, rng *rand.Rand) string {
	var out []string
	for _, w := range words {
		w = strings.TrimFunc(strings.ToLower(w), func(r rune) bool { return unicode.IsPunct(r) })
		if w == "" || rng.IntN(6) == 0 {
			continue
		}
		if syn, ok := synonyms[w]; ok && rng.IntN(2) == 0 {
			w = syn
		}
		out = append(out, w)
	}
	return strings.Join(out, " ")
}

// clozeSet makes n cloze questions.
func clozeSet(c *corpus, o options) ([]question, error) {
	pool := clozePool(c, newRand(o.seed), o.n, o.prefix)
	if len(pool) < o.n {
		return nil, fmt.Errorf("only %d cloze questions could be made", len(pool))
	}
	var out []question
	for i, cz := range pool[:o.n] {
		q := cz.q
		q.ID = fmt.Sprintf("cloze-%03d", i+1)
		out = append(out, q)
	}
	return out, nil
}

// kindShare caps each kind's share of a cloze set, so that "who" does
// not crowd out amounts and dates; dates and years share one cap.
var kindShare = map[spanKind]float64{
	kindPerson: 0.34, kindCompany: 0.14, kindCount: 0.22, kindMoney: 0.14, kindDate: 0.24, kindYear: 0.24,
}

// clozePool makes up to n cloze questions from distinct sentences, in a
// deterministic order.
func clozePool(c *corpus, rng *rand.Rand, n int, prefix string) []cloze {
	b := &builder{c: c, rng: rng}
	var out []cloze
	seen := map[string]bool{}
	perAnswer := map[string]int{}
	perKind := map[spanKind]int{}
	for pass := 0; pass < 2 && len(out) < n; pass++ {
		for tries := 0; len(out) < n && tries < n*300; tries++ {
			art := rng.IntN(len(c.arts))
			ss := c.byArt[art]
			if len(ss) == 0 {
				continue
			}
			si := ss[rng.IntN(len(ss))]
			key := norm(c.sents[si].text)
			if seen[key] {
				continue
			}
			cz, ok := b.fromSentence(si)
			if !ok {
				continue
			}
			// Spread the set over many answers and shapes: at most two
			// questions share an answer, subject questions ("who has
			// ...") are thinned, being the easiest to make, and no kind
			// takes more than its share (until a second pass fills up).
			ans := strings.ToLower(cz.q.Answers[0])
			k := cz.kind
			if k == kindYear {
				k = kindDate
			}
			if perAnswer[ans] >= 2 || cz.shape == "subject" && rng.IntN(2) == 0 ||
				pass == 0 && float64(perKind[k]) >= kindShare[k]*float64(n) {
				continue
			}
			perAnswer[ans]++
			perKind[k]++
			seen[key] = true
			if os.Getenv("EVALGEN_DEBUG") != "" {
				fmt.Fprintf(os.Stderr, "%s\n   <- %s\n", cz, c.sents[si].text)
			}
			cz.q.Relevant = c.relevantTo(c.sents[si].text, prefix)
			out = append(out, cz)
		}
	}
	return out
}
