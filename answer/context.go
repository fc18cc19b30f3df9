package answer

import (
	"strings"
	"unicode/utf8"

	"github.com/newsbot/newsbot/prompts"
	"github.com/newsbot/newsbot/retrieval"
)

// ModelContext returns the passages a model is sent for passages retrieved
// best first: passage n of the prompt is element n-1. generate sends
// exactly these, and Answer reports them in Result.Context, model or not.
func (e *Engine) ModelContext(passages []retrieval.Result) []retrieval.Passage {
	var out []retrieval.Passage
	for _, p := range e.fit(passages) {
		out = append(out, p.Passage)
	}
	return out
}

// promptInput renders the model's context for the answer prompt: one
// article wrapper for each run of passages of the same article, the
// passages numbered 1..n in order.
func (e *Engine) promptInput(q Question, numbered []retrieval.Passage) prompts.AnswerInput {
	in := prompts.AnswerInput{Question: q.Text, History: q.History, Today: e.cfg.Now().Format("2006-01-02")}
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

// fit keeps the best passages that fit the prompt's token budget
// (estimated at four characters a token), and always at least one, cut to
// the budget if needed.
func (e *Engine) fit(ps []retrieval.Result) []retrieval.Result {
	budget := e.cfg.ContextTokens * 4
	var out []retrieval.Result
	used := 0
	for _, p := range ps {
		cost := len(p.Text) + len(p.Title) + 80
		if used+cost > budget {
			if len(out) == 0 {
				p.Text = truncateRunes(p.Text, max(budget-len(p.Title)-80, 200))
				out = append(out, p)
			}
			break
		}
		used += cost
		out = append(out, p)
	}
	return out
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
