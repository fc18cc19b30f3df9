package answer

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/newsbot/newsbot/retrieval"
)

// Extractive answers quote sentences instead of generating text: nothing
// can be invented, and every sentence carries its citation.
const (
	extractPassages   = 4 // sentences come from this many top passages
	extractSentences  = 4 // at most this many sentences are quoted
	perPassageQuotes  = 2 // and at most this many from one passage
	minSentenceRunes  = 25
	maxSentenceRunes  = 600
	offlinePreamble   = "Quoted from the indexed articles (no model is configured, so these are the most relevant sentences, not a summary):"
	fallbackPreamble  = "The answer model is unavailable right now, so here are the most relevant sentences quoted from the articles:"
	extractMinOverlap = 0.15
)

type candidate struct {
	passage int // index into the passages
	start   int // byte offset in the passage text, for reading order
	text    string
	score   float64
}

// extractive fills res with the sentences of the top passages that best
// match the question, grouped by passage in reading order, each cited.
func (e *Engine) extractive(query string, passages []retrieval.Result, res *Result) {
	res.Mode = ModeExtractive
	qterms := e.r.Analyze(query)
	total := 0.0
	for _, t := range qterms {
		total += t.Weight
	}
	var cands []candidate
	for pi, p := range passages {
		if pi >= extractPassages {
			break
		}
		for _, sp := range retrieval.SentenceSpans(p.Text) {
			s := strings.TrimSpace(p.Text[sp[0]:sp[1]])
			n := utf8.RuneCountInString(s)
			if n < minSentenceRunes || n > maxSentenceRunes {
				continue
			}
			got := overlap(qterms, e.r.Terms(s))
			if total == 0 || got/total < extractMinOverlap {
				continue
			}
			// Prefer sentences from better-ranked passages a little.
			score := got/total + 0.05/float64(pi+1)
			cands = append(cands, candidate{passage: pi, start: sp[0], text: s, score: score})
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].score > cands[j].score })

	var picked []candidate
	perPassage := map[int]int{}
	for _, c := range cands {
		if len(picked) == extractSentences {
			break
		}
		if perPassage[c.passage] >= perPassageQuotes {
			continue
		}
		perPassage[c.passage]++
		picked = append(picked, c)
	}
	if len(picked) == 0 {
		e.decline(res)
		return
	}

	// Reading order: passages by their best sentence, sentences in the
	// order they appear.
	rank := map[int]int{}
	for _, c := range picked {
		if _, ok := rank[c.passage]; !ok {
			rank[c.passage] = len(rank)
		}
	}
	sort.SliceStable(picked, func(i, j int) bool {
		a, b := picked[i], picked[j]
		if rank[a.passage] != rank[b.passage] {
			return rank[a.passage] < rank[b.passage]
		}
		return a.start < b.start
	})

	var b strings.Builder
	if res.Fallback != "" {
		b.WriteString(fallbackPreamble)
	} else {
		b.WriteString(offlinePreamble)
	}
	num := map[int]int{}
	res.Citations = nil
	for _, c := range picked {
		n, ok := num[c.passage]
		if !ok {
			n = len(num) + 1
			num[c.passage] = n
			res.Citations = append(res.Citations, Citation{N: n, Passage: passages[c.passage].Passage})
		}
		b.WriteString("\n• ")
		if src := passages[c.passage].Source; src != "" {
			fmt.Fprintf(&b, "%s: ", src)
		}
		quote := strings.Join(strings.Fields(c.text), " ")
		if !strings.ContainsAny(quote[:1], "\"“‘'") && !strings.HasPrefix(quote, "“") {
			quote = "“" + quote + "”" // sentences that open with a quote are quoted already
		}
		fmt.Fprintf(&b, "%s [%d]", quote, n)
	}
	res.Text = b.String()
}

// overlap scores how much of the question a sentence holds: the weights of
// the question's terms it contains (a term sharing a long prefix counts
// two thirds: "diplomacy" and "diplomatic" stem apart), plus a bonus for
// question terms that appear side by side in it, as in the question.
func overlap(q []retrieval.QueryTerm, sentence []string) float64 {
	has := make(map[string]bool, len(sentence))
	for _, t := range sentence {
		has[t] = true
	}
	got := 0.0
	for _, t := range q {
		switch {
		case has[t.Term]:
			got += t.Weight
		case prefixMatch(t.Term, sentence):
			got += t.Weight * 2 / 3
		}
	}
	for i := 1; i < len(q); i++ {
		for j := 1; j < len(sentence); j++ {
			if sentence[j-1] == q[i-1].Term && sentence[j] == q[i].Term {
				got += (q[i-1].Weight + q[i].Weight) / 4
				break
			}
		}
	}
	return got
}

// prefixMatch reports whether a sentence term shares a prefix of at least
// six letters with term.
func prefixMatch(term string, sentence []string) bool {
	if len(term) < 6 {
		return false
	}
	for _, t := range sentence {
		if len(t) >= 6 && t[:6] == term[:6] {
			return true
		}
	}
	return false
}
