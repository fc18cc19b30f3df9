// Package answer is the question-answering pipeline: retrieve passages,
// number them, prompt a chat model, and check that the answer cites the
// passages it rests on. Offline, or when the model fails, it answers
// extractively: sentences quoted from the best passages, each cited. When the
// passages don't support an answer it declines and names the closest
// articles instead of guessing.
//
// It knows nothing of Discord.
package answer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"github.com/newsbot/newsbot/internal/llm"
	"github.com/newsbot/newsbot/prompts"
	"github.com/newsbot/newsbot/retrieval"
)

// Retriever finds passages; *retrieval.Index implements it.
type Retriever interface {
	Search(ctx context.Context, q retrieval.Query) ([]retrieval.Result, error)
	// Terms and Analyze expose the index's analysis of text, so that
	// declining and extractive answers use the same measure as retrieval.
	Terms(text string) []string
	Analyze(text string) []retrieval.QueryTerm
	// Matcher measures coverage of any text by a query; Years and Present
	// tell when the articles were written. The decline decision uses them.
	Matcher(query string) *retrieval.Matcher
	// ArticlePassages returns an article's passages in order: the reader
	// reads the neighbours of what was retrieved.
	ArticlePassages(articleID string) []retrieval.Passage
	Years() retrieval.YearSpan
	Present(articleID string) int
}

// ChatModel generates text; *llm.Client implements it. onDelta, when not
// nil, receives the text as it is generated.
type ChatModel interface {
	Chat(ctx context.Context, req llm.ChatRequest, onDelta func(string)) (llm.ChatResult, error)
}

// Modes of an answer.
const (
	ModeLLM        = "llm"
	ModeExtractive = "extractive"
)

// Config tunes an Engine. Zero values take the defaults.
type Config struct {
	// Model answers questions; nil means offline: extractive answers only.
	Model ChatModel
	// ModelName is reported in results.
	ModelName string
	// K is how many passages are retrieved (10). The model is sent those
	// scoring near the best, with their neighbours, within ContextTokens
	// (see ModelContext); the offline reader reads the first five.
	K int
	// ContextTokens is the budget for passages in the prompt (3000),
	// counted as four bytes a token.
	ContextTokens int
	// MaxAnswerTokens caps the model's answer (400).
	MaxAnswerTokens int
	// Timeout bounds the model's whole answer, retries included (60s);
	// past it the engine falls back to an extractive answer.
	Timeout time.Duration
	// Logger receives model failures with their cause.
	Logger *slog.Logger
	// Now gives the date shown to the model; time.Now when nil.
	Now func() time.Time
}

// Engine answers questions. It is safe for concurrent use.
type Engine struct {
	r       Retriever
	cfg     Config
	prompts *prompts.Set
	model   DeclineModel // the soft decline decision
}

// New returns an Engine over r.
func New(r Retriever, cfg Config) (*Engine, error) {
	ps, err := prompts.New()
	if err != nil {
		return nil, err
	}
	if cfg.K <= 0 {
		cfg.K = 10
	}
	if cfg.ContextTokens <= 0 {
		cfg.ContextTokens = 3000
	}
	if cfg.MaxAnswerTokens <= 0 {
		cfg.MaxAnswerTokens = 400
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	dm, err := loadDeclineModel()
	if err != nil {
		return nil, err
	}
	return &Engine{r: r, cfg: cfg, prompts: ps, model: dm}, nil
}

// Offline reports whether the engine answers without a model.
func (e *Engine) Offline() bool { return e.cfg.Model == nil }

// Question is what a user asked.
type Question struct {
	Text string
	// History holds the earlier turns of a conversation, oldest first: a
	// question with history is a follow-up, turned into a standalone
	// query before retrieval (see standalone.go), and the model is shown
	// the turns. The caller bounds them.
	History []Turn
	// Source restricts retrieval to one outlet when set.
	Source string
}

// Citation is a passage the answer cites as [N].
type Citation struct {
	N int `json:"n"`
	retrieval.Passage
}

// Usage counts model tokens, when the model reports them.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

// Timings are the durations of the pipeline's stages.
type Timings struct {
	// Rewrite is the model's rewrite of a follow-up, part of Retrieve.
	Rewrite  time.Duration
	Retrieve time.Duration
	Generate time.Duration
	Total    time.Duration
}

// Result is an answer with everything needed to show and check it.
type Result struct {
	Question string
	// Query is what retrieval was asked: the question, or a follow-up's
	// standalone form; Standalone says how it was made (QueryAsAsked,
	// QueryRewrite, QueryCarried), Carried lists the words carried from
	// the earlier turn and Preferred the articles cited earlier, whose
	// passages were preferred.
	Query      string
	Standalone string
	Carried    []string
	Preferred  []string
	// Text is the answer with citation marks [1]..[n] matching Citations.
	Text string
	// Citations are the cited passages, in order of first citation.
	Citations []Citation
	// Passages are all passages retrieved for the question, best first.
	Passages []retrieval.Result
	// Context is what a model is sent, or would be sent when none is
	// configured: passage n of the prompt is Context[n-1]. It is nil when
	// the question was declined before the model (hard evidence), so an
	// evaluation can measure what the model gets without calling one.
	Context []retrieval.Passage
	// Declined is set when the articles don't cover the question; Closest
	// then names the nearest articles' titles.
	Declined bool
	Closest  []string
	// Evidence is what the decline decision weighed.
	Evidence Evidence
	// Mode is ModeLLM or ModeExtractive.
	Mode  string
	Model string
	// Fallback says why an extractive answer replaced the model's, for logs
	// ("" when the model answered or none is configured).
	Fallback string
	// Recited counts the model's sentences that cited a passage not
	// supporting them and were cited instead to the one that does.
	// Unsupported counts those left without support: their citations
	// pointed at no passage, or no passage supports them; the answer then
	// ends with a note saying so.
	Recited     int
	Unsupported int
	Usage       Usage
	Timings     Timings
}

// Answer answers q. onPartial, when not nil, receives the whole answer
// text so far each time it grows (citations already checked and
// renumbered), so a caller can show it as it streams. The error is non-nil
// only when retrieval itself fails, or when ctx ends while the model
// writes (its cause, such as a user stopping the answer, is wrapped);
// model failures fall back to an extractive answer.
func (e *Engine) Answer(ctx context.Context, q Question, onPartial func(string)) (Result, error) {
	start := time.Now()
	res := Result{Question: q.Text, Mode: ModeExtractive}
	text := strings.TrimSpace(q.Text)
	if text == "" {
		return res, errors.New("answer: empty question")
	}
	sq := e.standaloneQuery(ctx, q, text)
	res.Timings.Rewrite = time.Since(start)
	query := sq.query
	res.Query, res.Standalone, res.Carried, res.Preferred = query, sq.how, sq.carried, sq.prefer
	passages, err := e.r.Search(ctx, retrieval.Query{Text: query, K: e.cfg.K, Source: q.Source, Prefer: sq.prefer})
	res.Timings.Retrieve = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("answer: retrieve: %w", err)
	}
	res.Passages = passages
	defer func() { res.Timings.Total = time.Since(start) }()

	rd := e.read(text, query, sq.context, sq.prefer, passages)
	var exempt map[string]bool
	if sq.settled {
		exempt = sq.context
	}
	res.Evidence = e.evidence(withoutAskForm(query), exempt, passages)
	res.Evidence.Kind = rd.kind.String()
	if rd.typed() {
		res.Evidence.Typed = true
		res.Evidence.Answer = rd.answer
	}
	if rd.kind == askSource && res.Evidence.LaterYear > 0 && res.Evidence.yearInTop {
		// "Which article says ... 2008": an article looking ahead to
		// that year is what is asked for.
		res.Evidence.LaterYear = 0
	}
	if foreign(text, e.r.Analyze(text)) {
		// The index reads English: its evidence says nothing about a
		// question in another language. A model can read it (it answers in
		// the question's language); offline, say what was wrong.
		if e.cfg.Model != nil {
			res.Context = e.ModelContext(passages)
			genStart := time.Now()
			ok := e.generate(ctx, q, res.Context, &res, onPartial)
			res.Timings.Generate = time.Since(genStart)
			if ok {
				res.Timings.Total = time.Since(start)
				return res, nil
			}
			if ctx.Err() != nil {
				return res, fmt.Errorf("answer: %w", context.Cause(ctx))
			}
		}
		e.decline(&res)
		res.Text = foreignReply
		emit(onPartial, res.Text)
		res.Timings.Total = time.Since(start)
		return res, nil
	}
	if reason := hardReason(res.Evidence); reason != "" {
		e.decline(&res)
		res.Text = reason + " " + res.Text
		emit(onPartial, res.Text)
		res.Timings.Total = time.Since(start)
		return res, nil
	}

	res.Context = e.ModelContext(passages)
	if e.cfg.Model != nil {
		// Soft evidence is the model's to weigh: it reads the passages
		// and declines itself when they don't answer.
		genStart := time.Now()
		ok := e.generate(ctx, q, res.Context, &res, onPartial)
		res.Timings.Generate = time.Since(genStart)
		if ok {
			res.Timings.Total = time.Since(start)
			return res, nil
		}
		if ctx.Err() != nil {
			// The caller has gone (a user stopped the answer, the bot is
			// shutting down): nobody waits for a quoted answer.
			return res, fmt.Errorf("answer: %w", context.Cause(ctx))
		}
	}
	if noAnswerSpan(res.Evidence) || !e.answerable(res.Evidence) {
		e.decline(&res)
		if w := res.Evidence.MissingWords; len(w) > 0 {
			res.Text = fmt.Sprintf("The closest passages don't mention %s. ", quoteList(w)) + res.Text
		}
		emit(onPartial, res.Text)
		res.Timings.Total = time.Since(start)
		return res, nil
	}
	e.extractive(rd, &res)
	emit(onPartial, res.Text)
	res.Timings.Total = time.Since(start)
	return res, nil
}

func emit(f func(string), s string) {
	if f != nil {
		f(s)
	}
}

// answerable applies the soft decision: whether the evidence makes an
// answer from the passages likely enough to quote them.
func (e *Engine) answerable(ev Evidence) bool {
	return e.model.P(ev) >= e.model.Threshold
}

// quoteList renders words as “a”, “b” and “c”.
func quoteList(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "“" + w + "”"
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// decline fills res with a refusal naming the closest articles.
func (e *Engine) decline(res *Result) {
	res.Declined = true
	res.Citations = nil
	seen := map[string]bool{}
	for _, p := range res.Passages {
		if len(res.Closest) == 3 {
			break
		}
		if !seen[p.ArticleID] {
			seen[p.ArticleID] = true
			res.Closest = append(res.Closest, p.Title)
		}
	}
	var b strings.Builder
	b.WriteString("The indexed articles don't cover this question, so I won't guess.")
	if len(res.Closest) > 0 {
		b.WriteString(" The closest articles are: ")
		for i, t := range res.Closest {
			if i > 0 {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "“%s”", t)
		}
		b.WriteString(".")
	}
	res.Text = b.String()
}

// generate asks the model to answer from numbered (ModelContext's
// passages, cited as [1]..[n]), recognises a decline (the sentinel alone,
// or a refusal in words), and checks the citations and the support of each
// cited sentence. It returns false when the answer can't be used and the
// caller must fall back.
func (e *Engine) generate(ctx context.Context, q Question, numbered []retrieval.Passage, res *Result, onPartial func(string)) bool {
	system, err := e.prompts.System()
	if err != nil {
		e.cfg.Logger.Error("render system prompt", "err", err)
		res.Fallback = "prompt error"
		return false
	}
	user, err := e.prompts.Answer(e.promptInput(q, numbered))
	if err != nil {
		e.cfg.Logger.Error("render answer prompt", "err", err)
		res.Fallback = "prompt error"
		return false
	}
	req := llm.ChatRequest{
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: system},
			{Role: openai.ChatMessageRoleUser, Content: user},
		},
		MaxTokens:   e.cfg.MaxAnswerTokens,
		Temperature: 0.1,
	}
	caller := ctx
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()

	var onDelta func(string)
	if onPartial != nil {
		var mu sync.Mutex
		var sofar strings.Builder
		onDelta = func(d string) {
			mu.Lock()
			defer mu.Unlock()
			sofar.WriteString(d)
			if strings.HasPrefix(prompts.NotCovered, strings.TrimSpace(sofar.String())) {
				return // may still become the "not covered" token: show nothing yet
			}
			partial := streamable(sofar.String())
			c := ParseCitations(partial, len(numbered))
			onPartial(Renumber(c.Text, c.Order))
		}
	}
	out, err := e.cfg.Model.Chat(ctx, req, onDelta)
	res.Model = out.Model
	if res.Model == "" {
		res.Model = e.cfg.ModelName
	}
	res.Usage = Usage{PromptTokens: out.PromptTokens, CompletionTokens: out.CompletionTokens}
	if err != nil && caller.Err() != nil {
		e.cfg.Logger.Info("generation cancelled by the caller", "cause", context.Cause(caller), "attempts", out.Attempts)
		return false
	}
	if err != nil {
		res.Fallback = "model error: " + shortCause(err)
		e.cfg.Logger.Warn("model failed; answering extractively", "cause", shortCause(err), "err", err, "attempts", out.Attempts)
		return false
	}
	answer := strings.TrimSpace(out.Text)
	if isNotCovered(answer) {
		e.decline(res)
		res.Mode = ModeLLM
		return true
	}
	// A partial answer may mention the sentinel: keep the answer.
	answer = dropSentinel(answer)
	if answer == "" || refusesInWords(answer, len(numbered)) {
		e.cfg.Logger.Info("model declined in words", "reply", excerptRunes(answer, 120))
		e.decline(res)
		res.Mode = ModeLLM
		return true
	}
	c := ParseCitations(answer, len(numbered))
	if len(c.Order) == 0 {
		e.cfg.Logger.Warn("model answer cites no passage; answering extractively", "invalid", c.Invalid)
		res.Fallback = "answer without valid citations"
		return false
	}
	sup := e.checkSupport(c.Text, numbered)
	checked := ParseCitations(sup.text, len(numbered))
	text := Renumber(checked.Text, checked.Order)
	if c.Unsupported > 0 {
		text += "\n\n(Some statements cited passages that don't exist and were left without a source.)"
	}
	if sup.unsupported > 0 {
		text += unsupportedNote
	}
	res.Recited, res.Unsupported = sup.recited, c.Unsupported+sup.unsupported
	if res.Recited > 0 || res.Unsupported > 0 {
		e.cfg.Logger.Info("model answer support checked", "recited", res.Recited, "unsupported", res.Unsupported,
			"invalid_citations", c.Invalid)
	}
	c = checked
	res.Text = text
	res.Mode = ModeLLM
	for i, n := range c.Order {
		res.Citations = append(res.Citations, Citation{N: i + 1, Passage: numbered[n-1]})
	}
	return true
}

// excerptRunes is s on one line, cut to n runes, for logs.
func excerptRunes(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > n {
		s = string([]rune(s)[:n]) + "…"
	}
	return s
}

// shortCause is a one-line cause for logs and results: no stack, no body.
func shortCause(err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out"
	case errors.Is(err, llm.ErrStreamInterrupted):
		return "stream interrupted"
	case errors.Is(err, llm.ErrEmptyCompletion):
		return "empty answer"
	}
	var api *llm.APIError
	if errors.As(err, &api) {
		return fmt.Sprintf("HTTP %d", api.StatusCode)
	}
	s := err.Error()
	if utf8.RuneCountInString(s) > 120 {
		s = string([]rune(s)[:120]) + "…"
	}
	return s
}
