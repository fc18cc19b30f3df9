package answer

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/newsbot/newsbot/prompts"
	"github.com/newsbot/newsbot/retrieval"
)

// What the model reads. Retrieval returns passages best first, from several
// articles, each cut out of its context. The model is given instead:
//
//   - the retrieved passages that score near the best one (a passage far
//     below it is noise the model may quote);
//   - the passages just after and before those of the best articles, while
//     the budget allows: the answer is often one passage on from the one
//     that matched the question ("He said: …" after the passage naming him);
//   - grouped by article, articles in order of their best passage, each
//     article's passages in reading order and numbered consecutively, so
//     that "he said" follows the passage that names the speaker.
//
// `bot eval` measures the choice as context_hit: how often an expected
// answer is in what the model is sent.
const (
	// scoreCut leaves out retrieved passages whose fused score is under
	// this share of the best one's (scores compare within one search).
	// Measured on bbc-dev (docs/benchmarks.md): the first answer lost is at
	// 0.7, the answers ranked 8th sit at 0.66 and 0.78 of the best; 0.5
	// keeps a margin and still sends about half of the ten retrieved.
	scoreCut = 0.5
	// neighbourArticles is how many of the best articles have the
	// passages around their retrieved ones added.
	neighbourArticles = 2
	// Prompt overhead, in bytes, of one passage's tag and of one article's
	// wrapper besides its title, outlet, date and URL.
	passageOverhead = 24
	articleOverhead = 60
	// minTruncated is the least text kept of a passage cut to fit.
	minTruncated = 200
)

// ModelContext returns the passages a model is sent for passages retrieved
// best first: passage n of the prompt is element n-1. The passages of one
// article are adjacent, in reading order. generate sends exactly these, and
// Answer reports them in Result.Context, model or not.
func (e *Engine) ModelContext(passages []retrieval.Result) []retrieval.Passage {
	if len(passages) == 0 {
		return nil
	}
	budget := e.cfg.ContextTokens * 4
	used := 0
	var chosen []retrieval.Passage
	taken := map[string]bool{}
	articles := map[string]bool{}
	take := func(p retrieval.Passage) bool {
		if taken[p.ID] {
			return true
		}
		cost := len(p.Text) + passageOverhead
		if !articles[p.ArticleID] {
			cost += articleCost(p)
		}
		if used+cost > budget {
			return false
		}
		used += cost
		taken[p.ID] = true
		articles[p.ArticleID] = true
		chosen = append(chosen, p)
		return true
	}

	// The retrieved passages near the best, best first.
	best := passages[0].Score
	var kept []retrieval.Result
	for i, p := range passages {
		if i > 0 && p.Score < scoreCut*best {
			continue
		}
		if take(p.Passage) {
			kept = append(kept, p)
		} else if i == 0 {
			// Too long for the budget alone: send it cut.
			p.Text = truncateRunes(p.Text, max(budget-articleCost(p.Passage)-passageOverhead, minTruncated))
			used = budget
			taken[p.ID], articles[p.ArticleID] = true, true
			chosen = append(chosen, p.Passage)
			kept = append(kept, p)
		}
	}

	// Their neighbours in the best articles: the passage after each one
	// first, then the one before.
	var top []string
	for _, p := range kept {
		if !slices.Contains(top, p.ArticleID) && len(top) < neighbourArticles {
			top = append(top, p.ArticleID)
		}
	}
	read := map[string][]retrieval.Passage{}
	for _, offset := range []int{1, -1} {
		for _, p := range kept {
			if !slices.Contains(top, p.ArticleID) {
				continue
			}
			all, ok := read[p.ArticleID]
			if !ok {
				all = e.r.ArticlePassages(p.ArticleID)
				read[p.ArticleID] = all
			}
			if n, ok := neighbour(all, p.ID, offset); ok {
				take(n)
			}
		}
	}
	return groupByArticle(chosen)
}

// promptInput renders the model's context for the answer prompt: one
// article wrapper for each run of passages of the same article, the
// passages numbered 1..n in order.
func (e *Engine) promptInput(q Question, numbered []retrieval.Passage) prompts.AnswerInput {
	in := prompts.AnswerInput{Question: q.Text, Today: e.cfg.Now().Format("2006-01-02")}
	for _, t := range q.History {
		in.History = append(in.History, prompts.Turn{Question: t.Question, Answer: t.Answer})
	}
	for i, p := range numbered {
		if i == 0 || numbered[i-1].ArticleID != p.ArticleID {
			a := prompts.Article{Title: p.Title, Source: p.Source, URL: p.URL}
			if !p.Published.IsZero() {
				a.Published = p.Published.Format("2006-01-02")
			}
			in.Articles = append(in.Articles, a)
		}
		a := &in.Articles[len(in.Articles)-1]
		a.Passages = append(a.Passages, prompts.Passage{N: i + 1, ID: p.ID, Text: p.Text})
	}
	return in
}

// neighbour returns the passage offset places from the one with id among
// an article's passages in order.
func neighbour(all []retrieval.Passage, id string, offset int) (retrieval.Passage, bool) {
	for i := range all {
		if all[i].ID == id {
			j := i + offset
			if j >= 0 && j < len(all) {
				return all[j], true
			}
			break
		}
	}
	return retrieval.Passage{}, false
}

// groupByArticle orders passages by article, articles in the order they
// first appear (their best passage's rank), each article's passages by
// their position in it.
func groupByArticle(ps []retrieval.Passage) []retrieval.Passage {
	rank := map[string]int{}
	for _, p := range ps {
		if _, ok := rank[p.ArticleID]; !ok {
			rank[p.ArticleID] = len(rank)
		}
	}
	out := slices.Clone(ps)
	slices.SortStableFunc(out, func(a, b retrieval.Passage) int {
		if ra, rb := rank[a.ArticleID], rank[b.ArticleID]; ra != rb {
			return ra - rb
		}
		return a.Ordinal - b.Ordinal
	})
	return out
}

// articleCost estimates the prompt bytes of an article's wrapper.
func articleCost(p retrieval.Passage) int {
	return len(p.Title) + len(p.Source) + len(p.URL) + articleOverhead
}

// truncateRunes cuts s to at most n bytes without splitting a rune, at a
// space when there is one near the end.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	cut := s[:n]
	if i := strings.LastIndexByte(cut, ' '); i > n*3/4 {
		cut = cut[:i]
	}
	return cut + "…"
}
