package answer

import (
	"strings"
	"unicode/utf8"

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
