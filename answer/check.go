package answer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"github.com/newsbot/newsbot/internal/llm"
	"github.com/newsbot/newsbot/prompts"
	"github.com/newsbot/newsbot/retrieval"
	"github.com/newsbot/newsbot/retrieval/text"
)

// Checking a message against the articles ("Check against the articles"
// in Discord): someone posted a claim, and the bot shows what the articles
// say about it. A message of one sentence is one claim; a longer one is
// cut into its sentences, and the few with most content are the claims,
// each searched for on its own, so that two claims in a message find
// passages for each instead of a blur of both. The passages that speak to a claim
// (their best two sentences cover enough of it) are kept for it. With a
// model, a short verdict is written from them, its citations checked like
// an answer's; offline, the passages are the result, each with its claim.
const (
	// maxCheckRunes is the most of a message that is read: Discord's
	// longest message (Nitro) is 4,000 characters.
	maxCheckRunes = 4000
	// oneClaimRunes: a message this short is checked as one claim.
	oneClaimRunes = 100
	// maxClaims caps the claims of one message, each a search.
	maxClaims = 4
	// minClaimTerms: a sentence with fewer content words is not a claim
	// ("Wow.", "Is that right?").
	minClaimTerms = 3
	// claimK is how many passages are retrieved per claim, and
	// claimPassages how many of them are kept at most.
	claimK        = 8
	claimPassages = 3
	// minClaimWindow is the least coverage of a claim by two adjacent
	// sentences of a passage (with its title), less the share of the
	// claim's words the index has never seen, for the passage to speak to
	// it: retrieval always returns something, and a passage that shares
	// one word with the claim says nothing about it.
	minClaimWindow = 0.3
	// maxVerdictTokens caps the model's verdict.
	maxVerdictTokens = 250
)

// ClaimCheck is one claim of a checked message and the passages that speak
// to it.
type ClaimCheck struct {
	Text string
	// Passages are the numbers (Citation.N in CheckResult.Passages) of the
	// passages that speak to the claim, best first.
	Passages []int
}

// CheckResult is a message checked against the articles.
type CheckResult struct {
	// Message is the text checked (trimmed, and cut at maxCheckRunes).
	Message string
	// Claims are the message's claims, in the message's order.
	Claims []ClaimCheck
	// Passages are every passage that speaks to a claim, numbered 1..n
	// (their N) as the verdict cites them: grouped by article, in reading
	// order, as the model is shown them.
	Passages []Citation
	// Verdict is the model's short verdict with citation marks [n] of
	// Passages, checked like an answer's; "" offline, when the model
	// failed or its verdict had no valid citation (Fallback says why), and
	// when no passage speaks to the claims.
	Verdict string
	// NotCovered is set when no passage speaks to any claim, by the
	// passages' coverage or by the model's reading of them.
	NotCovered bool
	// Mode is ModeLLM when Verdict was written by the model, else
	// ModeExtractive; Model names the model asked.
	Mode, Model string
	// Fallback says why there is no verdict although a model is
	// configured.
	Fallback string
	// Unsupported counts the verdict's sentences left without support.
	Unsupported int
	Usage       Usage
	Timings     Timings
}

// Check checks message against the articles: its claims, the passages that
// speak to each, and with a model a verdict. The error is non-nil when the
// message is blank, when retrieval fails, or when ctx ends; a failing model
// leaves a result without a verdict.
func (e *Engine) Check(ctx context.Context, message string) (CheckResult, error) {
	start := time.Now()
	text := strings.TrimSpace(message)
	if utf8.RuneCountInString(text) > maxCheckRunes {
		text = strings.TrimSpace(string([]rune(text)[:maxCheckRunes]))
	}
	res := CheckResult{Message: text, Mode: ModeExtractive}
	if text == "" {
		return res, errors.New("answer: check: empty message")
	}
	defer func() { res.Timings.Total = time.Since(start) }()

	claims := e.claims(text)
	var found [][]retrieval.Passage // per claim, best first
	for _, c := range claims {
		ps, err := e.speakTo(ctx, c)
		if err != nil {
			return res, fmt.Errorf("answer: check: retrieve: %w", err)
		}
		found = append(found, ps)
	}
	res.Timings.Retrieve = time.Since(start)

	// Number every passage once, grouped by article as the model reads
	// them; a passage that speaks to two claims is listed under both.
	var all []retrieval.Passage
	seen := map[string]bool{}
	for _, ps := range found {
		for _, p := range ps {
			if !seen[p.ID] {
				seen[p.ID] = true
				all = append(all, p)
			}
		}
	}
	numbered := groupByArticle(all)
	num := make(map[string]int, len(numbered))
	for i, p := range numbered {
		num[p.ID] = i + 1
		res.Passages = append(res.Passages, Citation{N: i + 1, Passage: p})
	}
	for k, c := range claims {
		cc := ClaimCheck{Text: c}
		for _, p := range found[k] {
			cc.Passages = append(cc.Passages, num[p.ID])
		}
		res.Claims = append(res.Claims, cc)
	}
	if len(numbered) == 0 {
		res.NotCovered = true
		return res, nil
	}
	if e.cfg.Model == nil {
		return res, nil
	}
	genStart := time.Now()
	err := e.verdict(ctx, &res, numbered)
	res.Timings.Generate = time.Since(genStart)
	return res, err
}

// claims cuts a message into the claims to check: the whole message when
// it is short or has one sentence with content; else its sentences with
// at least minClaimTerms content words, the maxClaims with most content,
// in the message's order.
func (e *Engine) claims(msg string) []string {
	one := strings.Join(strings.Fields(msg), " ")
	if utf8.RuneCountInString(one) <= oneClaimRunes {
		return []string{one}
	}
	type cand struct {
		text   string
		weight float64
		at     int
	}
	var cands []cand
	for _, sp := range text.SentenceSpans(msg) {
		s := strings.Join(strings.Fields(msg[sp[0]:sp[1]]), " ")
		terms, weight := 0, 0.0
		for _, t := range e.r.Analyze(s) {
			if !t.Meta {
				terms++
				weight += t.Weight
			}
		}
		if terms >= minClaimTerms {
			cands = append(cands, cand{text: s, weight: weight, at: len(cands)})
		}
	}
	switch len(cands) {
	case 0:
		return []string{truncateRunes(one, 600)}
	case 1:
		return []string{cands[0].text}
	}
	slices.SortStableFunc(cands, func(a, b cand) int {
		switch {
		case a.weight > b.weight:
			return -1
		case a.weight < b.weight:
			return 1
		}
		return 0
	})
	cands = cands[:min(len(cands), maxClaims)]
	slices.SortFunc(cands, func(a, b cand) int { return a.at - b.at })
	out := make([]string, len(cands))
	for i, c := range cands {
		out[i] = c.text
	}
	return out
}

// speakTo finds the passages that speak to one claim: retrieved for it,
// scoring near the best, and holding enough of it in two adjacent
// sentences; at most claimPassages, best first.
func (e *Engine) speakTo(ctx context.Context, claim string) ([]retrieval.Passage, error) {
	rs, err := e.r.Search(ctx, retrieval.Query{Text: claim, K: claimK})
	if err != nil || len(rs) == 0 {
		return nil, err
	}
	// Coverage counts only the words the index knows: a claim about
	// Brazil and the World Cup "covered" by its one known word says
	// nothing. Words no passage holds count against every passage.
	known := 1 - e.unknownShare(claim)
	m := e.r.Matcher(claim)
	var out []retrieval.Passage
	for i, p := range rs {
		if len(out) == claimPassages {
			break
		}
		if i > 0 && p.Score < scoreCut*rs[0].Score {
			continue
		}
		if bestWindow(m, p)*known >= minClaimWindow {
			out = append(out, p.Passage)
		}
	}
	return out, nil
}

// unknownShare is the weight share of a text's content words that no
// passage of the index holds.
func (e *Engine) unknownShare(text string) float64 {
	var unknown, total float64
	for _, t := range e.r.Analyze(text) {
		if t.Meta {
			continue
		}
		total += t.Weight
		if !t.Known {
			unknown += t.Weight
		}
	}
	if total == 0 {
		return 1
	}
	return unknown / total
}

// verdict asks the model for a verdict on the claims from the numbered
// passages and checks it: a verdict that says the passages don't speak to
// the claims sets NotCovered; one without a valid citation is dropped
// (Fallback says so); the sentences of the rest are checked for support
// like an answer's. It returns an error only when ctx ended.
func (e *Engine) verdict(ctx context.Context, res *CheckResult, numbered []retrieval.Passage) error {
	system, err := e.prompts.CheckSystem()
	if err != nil {
		res.Fallback = "prompt error"
		e.cfg.Logger.Error("render check system prompt", "err", err)
		return nil
	}
	in := prompts.CheckInput{Message: res.Message, Today: e.cfg.Now().Format("2006-01-02")}
	if len(res.Claims) > 1 {
		for k, c := range res.Claims {
			in.Claims = append(in.Claims, prompts.Claim{N: k + 1, Text: c.Text})
		}
	}
	in.Articles = e.promptInput(Question{Text: res.Message}, numbered).Articles
	user, err := e.prompts.Check(in)
	if err != nil {
		res.Fallback = "prompt error"
		e.cfg.Logger.Error("render check prompt", "err", err)
		return nil
	}
	req := llm.ChatRequest{
		Messages: []openai.ChatCompletionMessage{
			{Role: openai.ChatMessageRoleSystem, Content: system},
			{Role: openai.ChatMessageRoleUser, Content: user},
		},
		MaxTokens:   maxVerdictTokens,
		Temperature: 0.1,
	}
	mctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	out, err := e.cfg.Model.Chat(mctx, req, nil)
	res.Model = out.Model
	if res.Model == "" {
		res.Model = e.cfg.ModelName
	}
	res.Usage = Usage{PromptTokens: out.PromptTokens, CompletionTokens: out.CompletionTokens}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("answer: check: %w", ctx.Err())
		}
		res.Fallback = "model error: " + shortCause(err)
		e.cfg.Logger.Warn("model failed; the check has no verdict", "cause", shortCause(err), "err", err, "attempts", out.Attempts)
		return nil
	}
	text := strings.TrimSpace(out.Text)
	if isNotCovered(text) {
		res.NotCovered, res.Mode = true, ModeLLM
		return nil
	}
	text = dropSentinel(text)
	if text == "" || refusesInWords(text, len(numbered)) {
		res.NotCovered, res.Mode = true, ModeLLM
		return nil
	}
	c := ParseCitations(text, len(numbered))
	if len(c.Order) == 0 {
		e.cfg.Logger.Warn("model verdict cites no passage; the check has no verdict", "invalid", c.Invalid)
		res.Fallback = "verdict without valid citations"
		return nil
	}
	sup := e.checkSupport(c.Text, numbered)
	v := ParseCitations(sup.text, len(numbered)).Text
	if c.Unsupported > 0 {
		v += "\n\n(Some statements cited passages that don't exist and were left without a source.)"
	}
	if sup.unsupported > 0 {
		v += unsupportedNote
	}
	res.Verdict, res.Mode = v, ModeLLM
	res.Unsupported = c.Unsupported + sup.unsupported
	return nil
}
