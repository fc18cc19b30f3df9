package answer

import (
	"fmt"
	"sort"
	"strings"

	"github.com/newsbot/newsbot/retrieval"
	"github.com/newsbot/newsbot/retrieval/text"
)

// Extractive answers quote sentences instead of generating text: nothing
// can be invented, and every sentence carries its citation.
const (
	extractSentences  = 3 // at most this many sentences are quoted
	perPassageQuotes  = 3 // and from one passage as many: the answer often follows the sentence restating the question
	offlinePreamble   = "Quoted from the indexed articles (no model is configured, so these are the most relevant sentences, not a summary):"
	fallbackPreamble  = "The answer model is unavailable right now, so here are the most relevant sentences quoted from the articles:"
	extractMinOverlap = 0.15
)

// extractive fills res with the sentences the reader found, grouped by
// passage in reading order, each cited and attributed to its outlet.
func (e *Engine) extractive(rd *reading, res *Result) {
	res.Mode = ModeExtractive
	picks := rd.pick(extractSentences, perPassageQuotes)
	if len(picks) == 0 {
		e.decline(res)
		return
	}

	// Reading order: passages by their best quote, quotes in the order they
	// appear (a quote's context sentence comes first).
	rank := map[int]int{}
	for _, pk := range picks {
		p := rd.units[pk.u].p
		if _, ok := rank[p]; !ok {
			rank[p] = len(rank)
		}
	}
	sort.SliceStable(picks, func(i, j int) bool {
		a, b := rd.units[picks[i].u], rd.units[picks[j].u]
		if rank[a.p] != rank[b.p] {
			return rank[a.p] < rank[b.p]
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
	for _, pk := range picks {
		u := rd.units[pk.u]
		n, ok := num[u.p]
		if !ok {
			n = len(num) + 1
			num[u.p] = n
			res.Citations = append(res.Citations, Citation{N: n, Passage: rd.passages[u.p]})
		}
		b.WriteString("\n• ")
		if src := rd.passages[u.p].Source; src != "" {
			fmt.Fprintf(&b, "%s: ", src)
		}
		text := u.text
		if pk.context >= 0 {
			text = rd.units[pk.context].text + " " + text
		}
		quote := strings.Join(strings.Fields(text), " ")
		if !strings.ContainsAny(quote[:1], "\"“‘'") && !strings.HasPrefix(quote, "“") {
			quote = "“" + quote + "”" // sentences that open with a quote are quoted already
		}
		fmt.Fprintf(&b, "%s [%d]", quote, n)
	}
	res.Text = b.String()
}

// overlap scores how much of the question a sentence holds: the weights of
// the question's terms it contains (a variant counts two thirds:
// "diplomacy" and "diplomatic" stem apart), plus a bonus for
// question terms that appear side by side in it, as in the question.
func overlap(q []retrieval.QueryTerm, sentence []string) float64 {
	has := make(map[string]bool, len(sentence))
	for _, t := range sentence {
		has[t] = true
	}
	got := 0.0
	for _, t := range q {
		if t.Meta {
			continue
		}
		switch {
		case has[t.Term]:
			got += t.Weight
		case prefixMatch(t.Term, sentence):
			got += t.Weight * 2 / 3
		default:
			best := 0.0
			for _, a := range t.Alternatives {
				all := len(a.Terms) > 0
				for _, at := range a.Terms {
					all = all && has[at]
				}
				if all {
					best = max(best, a.Weight)
				}
			}
			got += t.Weight * best
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

// prefixMatch reports whether a sentence term is a spelling or derivation
// variant of term, by the rule retrieval's coverage uses (text.IsVariant).
func prefixMatch(term string, sentence []string) bool {
	for _, t := range sentence {
		if text.IsVariant(t, term) {
			return true
		}
	}
	return false
}
