// Package prompts holds the prompt templates sent to the chat model and the
// typed functions that render them.
//
// The templates are text/template files embedded in the binary and parsed
// once by New, so a broken template fails at start rather than on the first
// question. Everything that comes from outside the bot (article text, titles,
// the user's question, earlier answers) is fenced in tags that the text
// itself cannot forge or close; see fence and attr in escape.go.
//
// The package knows nothing of retrieval, the model client or Discord.
package prompts

import (
	"bytes"
	"embed"
	"fmt"
	"regexp"
	"strings"
	"text/template"
)

// NotCovered is the exact reply the model is told to give when the passages
// don't answer the question. The answer pipeline looks for it; changing it
// changes the prompt too, since the templates render this constant.
const NotCovered = "NOT_IN_ARTICLES"

//go:embed *.tmpl
var files embed.FS

// Article is one article's passages, shown together in one wrapper that
// carries the article's title, outlet, date and URL. Source is empty when
// no outlet was detected: the prompt then says "unknown" and tells the model
// to attribute to the title. Published is a date ("2017-07-29") or empty.
type Article struct {
	Title     string
	Source    string
	Published string
	URL       string
	// Passages are in reading order.
	Passages []Passage
}

// Passage is one numbered excerpt shown to the model. N is the number the
// model cites as [N]; numbers run on from one article to the next. ID is
// carried for the caller's convenience and is not shown to the model.
type Passage struct {
	N    int
	ID   string
	Text string
}

// Turn is an earlier question and answer in the same conversation. Citation
// marks in Answer are dropped when rendered, because they refer to the
// passages of that earlier turn, not to the current ones.
type Turn struct {
	Question string
	Answer   string
}

// AnswerInput is everything the answer prompt needs. Today is an optional
// date ("2025-06-01"); it is shown only when some article is dated, since
// against undated articles it invites reading their "this year" as today's.
type AnswerInput struct {
	Question string
	Articles []Article
	History  []Turn
	Today    string
}

// CheckInput is everything the check prompt needs: a message someone
// posted, the claims found in it (numbered from 1; none when the message
// is one claim), and the passages that may speak to them, numbered as in
// AnswerInput. Today is as in AnswerInput.
type CheckInput struct {
	Message  string
	Claims   []Claim
	Articles []Article
	Today    string
}

// Claim is one claim of a checked message, numbered N in the prompt.
type Claim struct {
	N    int
	Text string
}

// RewriteInput is what the rewrite prompt needs: a follow-up question and
// the turns before it, oldest first.
type RewriteInput struct {
	Question string
	History  []Turn
}

// Set is the parsed prompt templates. It is safe for concurrent use.
type Set struct {
	system        *template.Template
	answer        *template.Template
	checkSystem   *template.Template
	check         *template.Template
	rewriteSystem *template.Template
	rewrite       *template.Template
}

// New parses the embedded templates. An error means a template is broken and
// the bot should not start.
func New() (*Set, error) {
	marks := regexp.MustCompile(citationMarkPattern)
	funcs := template.FuncMap{
		"fence": fence,
		"attr":  attr,
		"dropMarks": func(s string) string {
			return dropMarks(marks, s)
		},
	}
	root, err := template.New("prompts").Funcs(funcs).Option("missingkey=error").ParseFS(files, "*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("parse prompt templates: %w", err)
	}
	s := &Set{system: root.Lookup("system.tmpl"), answer: root.Lookup("answer.tmpl"),
		checkSystem: root.Lookup("check_system.tmpl"), check: root.Lookup("check.tmpl"),
		rewriteSystem: root.Lookup("rewrite_system.tmpl"), rewrite: root.Lookup("rewrite.tmpl")}
	if s.system == nil || s.answer == nil || s.checkSystem == nil || s.check == nil || s.rewriteSystem == nil || s.rewrite == nil {
		return nil, fmt.Errorf("parse prompt templates: system, answer, check_system, check, rewrite_system or rewrite template missing")
	}
	return s, nil
}

// MustNew is New for tests and examples; it panics if a template is broken.
func MustNew() *Set {
	s, err := New()
	if err != nil {
		panic(err)
	}
	return s
}

// System renders the system prompt: the rules the model answers by.
func (s *Set) System() (string, error) {
	return render(s.system, struct{ NotCovered string }{NotCovered})
}

// Answer renders the user message: today's date next to dated articles (or
// a warning that undated ones may be old), earlier turns, the fenced
// articles and their passages, the fenced question and a short reminder of
// the rules. It fails if the question is blank or a passage number is below
// 1 or repeated, since the model's citations could then not be checked.
func (s *Set) Answer(in AnswerInput) (string, error) {
	if strings.TrimSpace(in.Question) == "" {
		return "", fmt.Errorf("render answer prompt: empty question")
	}
	seen := map[int]bool{}
	dated, undated := false, false
	for _, a := range in.Articles {
		if strings.TrimSpace(a.Published) != "" {
			dated = true
		} else {
			undated = true
		}
		for _, p := range a.Passages {
			if p.N < 1 || seen[p.N] {
				return "", fmt.Errorf("render answer prompt: passage %q has bad or repeated number %d", p.ID, p.N)
			}
			seen[p.N] = true
		}
	}
	return render(s.answer, struct {
		AnswerInput
		Dated, Undated bool
		NotCovered     string
	}{in, dated, undated, NotCovered})
}

// CheckSystem renders the system prompt of a check: the rules a verdict on
// a message's claims is written by.
func (s *Set) CheckSystem() (string, error) {
	return render(s.checkSystem, struct{ NotCovered string }{NotCovered})
}

// Check renders the user message of a check: the dates, the fenced
// message, its fenced claims, the fenced articles and their passages, and
// what to write. It fails if the message is blank, a claim's or a
// passage's number is below 1 or repeated, or there is no passage to cite.
func (s *Set) Check(in CheckInput) (string, error) {
	if strings.TrimSpace(in.Message) == "" {
		return "", fmt.Errorf("render check prompt: empty message")
	}
	claims := map[int]bool{}
	for _, c := range in.Claims {
		if c.N < 1 || claims[c.N] {
			return "", fmt.Errorf("render check prompt: claim %q has bad or repeated number %d", c.Text, c.N)
		}
		claims[c.N] = true
	}
	dated, undated, n := datedness(in.Articles)
	if n == 0 {
		return "", fmt.Errorf("render check prompt: no passage to check against")
	}
	if err := uniqueNumbers(in.Articles); err != nil {
		return "", fmt.Errorf("render check prompt: %w", err)
	}
	return render(s.check, struct {
		CheckInput
		Dated, Undated bool
		NotCovered     string
	}{in, dated, undated, NotCovered})
}

// datedness says whether some articles are dated and some not, and counts
// their passages.
func datedness(articles []Article) (dated, undated bool, passages int) {
	for _, a := range articles {
		if strings.TrimSpace(a.Published) != "" {
			dated = true
		} else {
			undated = true
		}
		passages += len(a.Passages)
	}
	return dated, undated, passages
}

// uniqueNumbers checks that the passages are numbered from 1 without
// repeats, or the model's citations could not be checked.
func uniqueNumbers(articles []Article) error {
	seen := map[int]bool{}
	for _, a := range articles {
		for _, p := range a.Passages {
			if p.N < 1 || seen[p.N] {
				return fmt.Errorf("passage %q has bad or repeated number %d", p.ID, p.N)
			}
			seen[p.N] = true
		}
	}
	return nil
}

// Rewrite renders the system prompt and the user message that ask the
// model to turn a follow-up question into a standalone one, for retrieval:
// the earlier turns (their citation marks dropped) and the follow-up, all
// fenced. It fails if the question is blank or there is no earlier turn,
// since a question without a conversation is its own standalone form.
func (s *Set) Rewrite(in RewriteInput) (system, user string, err error) {
	if strings.TrimSpace(in.Question) == "" {
		return "", "", fmt.Errorf("render rewrite prompt: empty question")
	}
	if len(in.History) == 0 {
		return "", "", fmt.Errorf("render rewrite prompt: no earlier turn")
	}
	if system, err = render(s.rewriteSystem, nil); err != nil {
		return "", "", err
	}
	if user, err = render(s.rewrite, in); err != nil {
		return "", "", err
	}
	return system, user, nil
}

func render(t *template.Template, data any) (string, error) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return "", fmt.Errorf("render %s: %w", t.Name(), err)
	}
	return strings.TrimSpace(buf.String()) + "\n", nil
}
