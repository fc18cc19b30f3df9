// Command evalgen generates a retrieval question set from a corpus, the way
// users paste a half-remembered claim into /source: a sentence taken from an
// article, lightly altered (words dropped, synonyms swapped, case and
// punctuation lost), asked as "which article says …". The expected answer
// is a span of the original sentence, and the relevant articles are every
// article holding that sentence (the BBC corpus has duplicates).
//
//	go run ./internal/evalgen -corpus ../shared/corpora/bbc -n 200 > testdata/eval/bbc-claims.jsonl
//
// The output is deterministic for a given corpus, -n and -seed.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"unicode"

	"github.com/newsbot/newsbot/retrieval"
	"github.com/newsbot/newsbot/retrieval/article"
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
	corpus := flag.String("corpus", "", "corpus folder (required)")
	n := flag.Int("n", 200, "number of questions")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *corpus == "" {
		fmt.Fprintln(os.Stderr, "evalgen: -corpus DIR is required")
		os.Exit(2)
	}
	if err := generate(*corpus, *n, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "evalgen:", err)
		os.Exit(1)
	}
}

func generate(corpus string, n int, seed uint64) error {
	arts, _, err := article.LoadDir(context.Background(), corpus, article.Options{})
	if err != nil {
		return err
	}
	if len(arts) == 0 {
		return fmt.Errorf("no articles in %s", corpus)
	}
	folded := make([]string, len(arts))
	for i, a := range arts {
		folded[i] = norm(a.Text)
	}
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	made := 0
	for tries := 0; made < n && tries < n*50; tries++ {
		a := arts[rng.IntN(len(arts))]
		var cands []string
		for _, sp := range retrieval.SentenceSpans(a.Text) {
			s := strings.TrimSpace(a.Text[sp[0]:sp[1]])
			if w := len(strings.Fields(s)); w >= 12 && w <= 40 && !strings.ContainsAny(s, "\n\"“”") {
				cands = append(cands, s)
			}
		}
		if len(cands) == 0 {
			continue
		}
		s := cands[rng.IntN(len(cands))]
		var relevant []string
		key := norm(s)
		for i, f := range folded {
			if strings.Contains(f, key) {
				relevant = append(relevant, arts[i].ID)
			}
		}
		words := strings.Fields(s)
		start := len(words)/2 - 2
		answer := strings.Trim(strings.Join(words[start:start+4], " "), ".,;:!?'\"")
		made++
		q := question{
			ID:       fmt.Sprintf("bbc%03d", made),
			Question: "Which article says " + alter(words, rng) + "?",
			Answers:  []string{answer},
			Relevant: relevant,
		}
		if err := enc.Encode(q); err != nil {
			return err
		}
	}
	if made < n {
		return fmt.Errorf("only %d questions could be made", made)
	}
	return nil
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

// norm folds text for matching: case, quotes, whitespace.
func norm(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(article.Fold(s))), " ")
}
