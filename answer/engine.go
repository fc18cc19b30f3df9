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
	"slices"
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
	// K is how many passages are retrieved and shown to the model (6).
	K int
	// MinCoverage is the least share of a question's information (rare
	// terms weigh more) that the best passage must contain for the question
	// to count as covered; below it the engine declines. Calibrated with
	// `bot eval` on testdata/eval/seeds-dev.jsonl.
	MinCoverage float64
	// ContextTokens is the budget for passages in the prompt (3000).
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

// DefaultMinCoverage is the decline threshold calibrated on the seeds dev
// set mixed with the BBC corpus (see docs/benchmarks.md).
const DefaultMinCoverage = 0.55

// Engine answers questions. It is safe for concurrent use.
type Engine struct {
	r       Retriever
	cfg     Config
	prompts *prompts.Set
}

// New returns an Engine over r.
func New(r Retriever, cfg Config) (*Engine, error) {
	ps, err := prompts.New()
	if err != nil {
		return nil, err
	}
	if cfg.K <= 0 {
		cfg.K = 6
	}
	if cfg.MinCoverage <= 0 {
		cfg.MinCoverage = DefaultMinCoverage
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
	return &Engine{r: r, cfg: cfg, prompts: ps}, nil
}

// Offline reports whether the engine answers without a model.
func (e *Engine) Offline() bool { return e.cfg.Model == nil }

// Question is what a user asked.
type Question struct {
	Text string
	// History holds earlier turns of a conversation (thread replies).
	History []prompts.Turn
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
	Retrieve time.Duration
	Generate time.Duration
	Total    time.Duration
}

// Result is an answer with everything needed to show and check it.
type Result struct {
	Question string
	// Text is the answer with citation marks [1]..[n] matching Citations.
	Text string
	// Citations are the cited passages, in order of first citation.
	Citations []Citation
	// Passages are all passages retrieved for the question, best first.
	Passages []retrieval.Result
	// Declined is set when the articles don't cover the question; Closest
	// then names the nearest articles' titles.
	Declined bool
	Closest  []string
	// Mode is ModeLLM or ModeExtractive.
	Mode  string
	Model string
	// Fallback says why an extractive answer replaced the model's, for logs
	// ("" when the model answered or none is configured).
	Fallback string
	Usage    Usage
	Timings  Timings
}

// Answer answers q. onPartial, when not nil, receives the whole answer
// text so far each time it grows (citations already checked and
// renumbered), so a caller can show it as it streams. The error is non-nil
// only when retrieval itself fails; model failures fall back to an
// extractive answer.
func (e *Engine) Answer(ctx context.Context, q Question, onPartial func(string)) (Result, error) {
	start := time.Now()
	res := Result{Question: q.Text, Mode: ModeExtractive}
	text := strings.TrimSpace(q.Text)
	if text == "" {
		return res, errors.New("answer: empty question")
	}
	query := text
	if len(q.History) > 0 {
		// A follow-up ("and what did Rouhani say?") leans on the previous
		// question for its topic.
		query = q.History[len(q.History)-1].Question + " " + text
	}
	passages, err := e.r.Search(ctx, retrieval.Query{Text: query, K: e.cfg.K, Source: q.Source})
	res.Timings.Retrieve = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("answer: retrieve: %w", err)
	}
	res.Passages = passages
	defer func() { res.Timings.Total = time.Since(start) }()

	if missing := e.missingWords(query, passages); len(missing) > 0 {
		e.decline(&res)
		res.Text = fmt.Sprintf("The closest passages don't mention %s. ", quoteList(missing)) + res.Text
		emit(onPartial, res.Text)
		res.Timings.Total = time.Since(start)
		return res, nil
	}
	if !e.supported(passages) {
		e.decline(&res)
		emit(onPartial, res.Text)
		res.Timings.Total = time.Since(start)
		return res, nil
	}

	if e.cfg.Model != nil {
		genStart := time.Now()
		ok := e.generate(ctx, q, passages, &res, onPartial)
		res.Timings.Generate = time.Since(genStart)
		if ok {
			res.Timings.Total = time.Since(start)
			return res, nil
		}
	}
	e.extractive(query, passages, &res)
	emit(onPartial, res.Text)
	res.Timings.Total = time.Since(start)
	return res, nil
}

func emit(f func(string), s string) {
	if f != nil {
		f(s)
	}
}

// supported reports whether the best passages carry enough of the
// question's information to answer it.
func (e *Engine) supported(ps []retrieval.Result) bool {
	best := 0.0
	for i, p := range ps {
		if i >= 3 {
			break
		}
		best = max(best, p.Coverage)
	}
	return best >= e.cfg.MinCoverage
}

// missingWords returns the rare words of a question (a year, a name, a
// technical term) that none of the best passages contains: then the
// passages are about something else ("the 2022 World Cup" against
// articles on earlier ones; "ibuprofen" against no article at all). Short
// words are left out, they are too often incidental.
// A word sharing a long prefix with one in the passages counts as found
// ("diplomacy", "diplomatic").
func (e *Engine) missingWords(query string, top []retrieval.Result) []string {
	var out []string
	var terms [][]string
	for _, t := range e.r.Analyze(query) {
		if !t.Rare || (utf8.RuneCountInString(t.Term) < 4 && !strings.ContainsAny(t.Term, "0123456789")) {
			continue
		}
		if terms == nil {
			for i, p := range top {
				if i == 3 {
					break
				}
				terms = append(terms, e.r.Terms(p.Title+"\n"+p.Source+"\n"+p.Text))
			}
		}
		found := false
		for _, pt := range terms {
			if slices.Contains(pt, t.Term) || prefixMatch(t.Term, pt) {
				found = true
				break
			}
		}
		if !found {
			out = append(out, t.Word)
		}
	}
	return out
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

// generate asks the model and checks its citations. It returns false when
// the answer can't be used and the caller must fall back.
func (e *Engine) generate(ctx context.Context, q Question, passages []retrieval.Result, res *Result, onPartial func(string)) bool {
	numbered := e.fit(passages)
	in := prompts.AnswerInput{Question: q.Text, History: q.History, Today: e.cfg.Now().Format("2006-01-02")}
	for i, p := range numbered {
		pub := ""
		if !p.Published.IsZero() {
			pub = p.Published.Format("2006-01-02")
		}
		in.Passages = append(in.Passages, prompts.Passage{N: i + 1, ID: p.ID, Title: p.Title, Source: p.Source,
			Published: pub, URL: p.URL, Text: p.Text})
	}
	system, err := e.prompts.System()
	if err != nil {
		e.cfg.Logger.Error("render system prompt", "err", err)
		res.Fallback = "prompt error"
		return false
	}
	user, err := e.prompts.Answer(in)
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
			partial := sofar.String()
			if strings.HasPrefix(prompts.NotCovered, strings.TrimSpace(partial)) {
				return // may still become the "not covered" token: show nothing yet
			}
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
	if err != nil {
		res.Fallback = "model error: " + shortCause(err)
		e.cfg.Logger.Warn("model failed; answering extractively", "cause", shortCause(err), "err", err, "attempts", out.Attempts)
		return false
	}
	answer := strings.TrimSpace(out.Text)
	if strings.Contains(answer, prompts.NotCovered) {
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
	text := Renumber(c.Text, c.Order)
	if c.Unsupported > 0 {
		text += "\n\n(Some statements cited passages that don't exist and were left without a source.)"
	}
	res.Text = text
	res.Mode = ModeLLM
	for i, n := range c.Order {
		res.Citations = append(res.Citations, Citation{N: i + 1, Passage: numbered[n-1].Passage})
	}
	return true
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
