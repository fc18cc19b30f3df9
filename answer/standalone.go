package answer

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"github.com/newsbot/newsbot/internal/llm"
	"github.com/newsbot/newsbot/prompts"
	"github.com/newsbot/newsbot/retrieval"
)

// A follow-up ("and what did the US say?") leaves its topic to the
// conversation; retrieval needs it said. Before retrieval, a follow-up is
// turned into a standalone query: by the model, asked to rewrite it given
// the conversation (prompts' rewrite template), or offline (and when the
// model fails) by carrying the earlier question's key terms, its rarest
// content words, into the query. Either way the articles the conversation
// has cited are preferred, so that "who else was there?" finds the story
// under discussion.

// Turn is an earlier question of a conversation and its answer.
type Turn struct {
	Question string
	Answer   string
	// Query is what retrieval was asked for the question (its standalone
	// form); the question itself when empty.
	Query string
	// Articles are the articles the answer cited.
	Articles []string
}

// Ways a question becomes its retrieval query (Result.Standalone).
const (
	QueryAsAsked  = "question"  // the question alone: no conversation before it
	QueryRewrite  = "rewritten" // the model rewrote the follow-up
	QueryCarried  = "carried"   // offline: the earlier question's key terms carried
	maxQueryRunes = 500         // a rewritten question longer than this is cut
)

// Limits of the offline standalone query.
const (
	// carryTerms is how many of the earlier question's content words are
	// carried into a follow-up's query: its rarest, those most likely to
	// name the story.
	carryTerms = 4
	// preferArticles is how many articles cited earlier, the most recent
	// first, are preferred in a follow-up's retrieval.
	preferArticles = 3
	// rewriteTokens caps the model's rewritten question.
	rewriteTokens = 120
	// rewriteTimeout bounds the model's rewrite (within the answer's
	// Timeout): past it the query is carried instead.
	rewriteTimeout = 15 * time.Second
)

// standalone is what retrieval is asked for a question.
type standalone struct {
	query   string
	how     string   // QueryAsAsked, QueryRewrite or QueryCarried
	carried []string // the words carried from the earlier turn (QueryCarried)
	prefer  []string // articles cited earlier
	// context holds the index terms of the carried words, which the reader
	// weighs less than the follow-up's own: they name the story, not what
	// is asked about it.
	context map[string]bool
	// settled is set when the turn the words were carried from was
	// answered with citations: its names and years are known to be in the
	// articles it cited, so they are no hard evidence against the
	// follow-up (a missing name, a year after the articles). After a
	// declined turn they are: "and who was the top scorer?" after "who won
	// the 2006 World Cup?" is about 2006 too.
	settled bool
}

// standaloneQuery turns q into its retrieval query: q's text when it has no
// history; else the model's rewrite of it, or offline (and when the model
// fails) q's text with the earlier question's key terms.
func (e *Engine) standaloneQuery(ctx context.Context, q Question, text string) standalone {
	if len(q.History) == 0 {
		return standalone{query: text, how: QueryAsAsked}
	}
	sq := standalone{prefer: citedArticles(q.History)}
	if e.cfg.Model != nil {
		if rw, ok := e.rewrite(ctx, q, text); ok {
			sq.query, sq.how = rw, QueryRewrite
			return sq
		}
	}
	prev := q.History[len(q.History)-1]
	sq.carried = e.keyTerms(prev, text)
	sq.query, sq.how = strings.Join(append([]string{text}, sq.carried...), " "), QueryCarried
	sq.context = map[string]bool{}
	for _, t := range e.r.Terms(strings.Join(sq.carried, " ")) {
		sq.context[t] = true
	}
	sq.settled = len(prev.Articles) > 0
	return sq
}

// keyTerms are the words of an earlier turn's query worth carrying into a
// follow-up: its content words (stop words and question words are not:
// the index drops them) that the index holds and the follow-up doesn't
// say itself, rarest first, at most carryTerms. Words about the articles
// ("report", "according") are not carried.
func (e *Engine) keyTerms(prev Turn, followUp string) []string {
	source := prev.Query
	if strings.TrimSpace(source) == "" {
		source = prev.Question
	}
	own := map[string]bool{}
	for _, t := range e.r.Analyze(followUp) {
		own[t.Term] = true
	}
	var cands []retrieval.QueryTerm
	for _, t := range e.r.Analyze(source) {
		if t.Meta || !t.Known || own[t.Term] {
			continue
		}
		own[t.Term] = true
		cands = append(cands, t)
	}
	slices.SortStableFunc(cands, func(a, b retrieval.QueryTerm) int {
		switch {
		case a.Weight > b.Weight:
			return -1
		case a.Weight < b.Weight:
			return 1
		}
		return 0
	})
	var out []string
	for _, t := range cands[:min(len(cands), carryTerms)] {
		out = append(out, t.Word)
	}
	return out
}

// citedArticles are the articles the turns cited, the latest turn's first,
// each once, at most preferArticles.
func citedArticles(history []Turn) []string {
	var out []string
	for i := len(history) - 1; i >= 0 && len(out) < preferArticles; i-- {
		for _, a := range history[i].Articles {
			if a != "" && !slices.Contains(out, a) && len(out) < preferArticles {
				out = append(out, a)
			}
		}
	}
	return out
}

// rewrite asks the model for the standalone form of a follow-up. It
// reports false, having logged why, when the model fails or answers with
// something that isn't one question.
func (e *Engine) rewrite(ctx context.Context, q Question, text string) (string, bool) {
	in := prompts.RewriteInput{Question: text}
	for _, t := range q.History {
		in.History = append(in.History, prompts.Turn{Question: t.Question, Answer: t.Answer})
	}
	system, user, err := e.prompts.Rewrite(in)
	if err != nil {
		e.cfg.Logger.Error("render rewrite prompt", "err", err)
		return "", false
	}
	ctx, cancel := context.WithTimeout(ctx, min(rewriteTimeout, e.cfg.Timeout))
	defer cancel()
	out, err := e.cfg.Model.Chat(ctx, llm.ChatRequest{
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: system},
			{Role: openai.ChatMessageRoleUser, Content: user},
		},
		MaxTokens:   rewriteTokens,
		Temperature: 0,
	}, nil)
	if err != nil {
		e.cfg.Logger.Warn("model failed to rewrite a follow-up; carrying the earlier question's terms", "cause", shortCause(err), "err", err)
		return "", false
	}
	rw := cleanRewrite(out.Text)
	if rw == "" {
		e.cfg.Logger.Warn("model's rewrite of a follow-up is unusable; carrying the earlier question's terms", "reply", excerptRunes(out.Text, 120))
		return "", false
	}
	return rw, true
}

// cleanRewrite is the question in a model's rewrite: its first non-blank
// line, without a label ("Standalone question:") or the quotes around it,
// at most maxQueryRunes runes; "" when there is none, or when the model
// answered with the not-covered token instead.
func cleanRewrite(s string) string {
	line := ""
	for l := range strings.SplitSeq(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			line = l
			break
		}
	}
	if label, rest, ok := strings.Cut(line, ":"); ok && strings.Contains(strings.ToLower(label), "question") && len(label) < 40 {
		line = strings.TrimSpace(rest)
	}
	line = strings.Trim(line, "\"'“”‘’` ")
	if strings.Contains(line, prompts.NotCovered) {
		return ""
	}
	if utf8.RuneCountInString(line) > maxQueryRunes {
		line = string([]rune(line)[:maxQueryRunes])
	}
	return strings.TrimSpace(line)
}
