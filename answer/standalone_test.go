package answer

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	openai "github.com/sashabaranov/go-openai"

	"github.com/newsbot/newsbot/internal/fakeopenai"
	"github.com/newsbot/newsbot/prompts"
	"github.com/newsbot/newsbot/retrieval"
)

// recordingRetriever is the index, recording what Search is asked.
type recordingRetriever struct {
	*retrieval.Index
	mu      sync.Mutex
	queries []retrieval.Query
}

func (r *recordingRetriever) Search(ctx context.Context, q retrieval.Query) ([]retrieval.Result, error) {
	r.mu.Lock()
	r.queries = append(r.queries, q)
	r.mu.Unlock()
	return r.Index.Search(ctx, q)
}

func (r *recordingRetriever) last(t *testing.T) retrieval.Query {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.queries) == 0 {
		t.Fatal("retrieval was never asked")
	}
	return r.queries[len(r.queries)-1]
}

// turnOf is an answer as the history of the next question.
func turnOf(res Result) Turn {
	t := Turn{Question: res.Question, Answer: res.Text, Query: res.Query}
	for _, c := range res.Citations {
		if !slices.Contains(t.Articles, c.ArticleID) {
			t.Articles = append(t.Articles, c.ArticleID)
		}
	}
	return t
}

// TestFollowUpCarriesTheEarlierQuestion: offline, a follow-up that names
// nothing ("and who said that?") is searched with the earlier question's
// rarest words, preferring the articles the earlier answer cited, and is
// answered from them.
func TestFollowUpCarriesTheEarlierQuestion(t *testing.T) {
	rec := &recordingRetriever{Index: seedIndex(t, nil)}
	eng, err := New(rec, Config{})
	if err != nil {
		t.Fatal(err)
	}
	first, err := eng.Answer(context.Background(), Question{Text: inspections}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if first.Standalone != QueryAsAsked || first.Query != inspections || len(first.Citations) == 0 {
		t.Fatalf("first turn: standalone %q, query %q, %d citations", first.Standalone, first.Query, len(first.Citations))
	}
	prev := turnOf(first)
	res, err := eng.Answer(context.Background(), Question{Text: "and who said that?", History: []Turn{prev}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	asked := rec.last(t)
	if res.Standalone != QueryCarried || asked.Text != res.Query || !strings.HasPrefix(res.Query, "and who said that? ") {
		t.Fatalf("standalone %q, query %q, retrieval asked %q", res.Standalone, res.Query, asked.Text)
	}
	if len(res.Carried) == 0 || len(res.Carried) > carryTerms {
		t.Fatalf("carried %q, want 1 to %d words", res.Carried, carryTerms)
	}
	for _, w := range res.Carried {
		if !strings.Contains(strings.ToLower(inspections), strings.ToLower(w)) || !strings.Contains(asked.Text, w) {
			t.Errorf("carried %q: not a word of the earlier question, or not searched (%q)", w, asked.Text)
		}
	}
	if !slices.Equal(asked.Prefer, prev.Articles) || !slices.Equal(res.Preferred, prev.Articles) {
		t.Errorf("retrieval preferred %v (result says %v), want the articles cited before, %v", asked.Prefer, res.Preferred, prev.Articles)
	}
	if res.Declined || len(res.Citations) == 0 {
		t.Fatalf("follow-up declined=%v: %s", res.Declined, res.Text)
	}
	for _, c := range res.Citations {
		if !slices.Contains(prev.Articles, c.ArticleID) {
			t.Errorf("the follow-up cites %s, not the story under discussion (%v)", c.ID, prev.Articles)
		}
	}
	assertCitationsMatchText(t, res)
}

func TestKeyTerms(t *testing.T) {
	eng, err := New(seedIndex(t, nil), Config{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		prev     Turn
		followUp string
		want     []string // carried, in order unless anyOrder
		anyOrder bool
	}{
		// Rarest first; words the follow-up says itself, stop words,
		// question words and words no passage holds are not carried.
		{"rarest first", Turn{Question: "What did Jazayeri say about the zqxwv missile program?"}, "and the army?", []string{"Jazayeri", "program", "missile"}, false},
		{"follow-up's own words stay", Turn{Question: "What did Jazayeri say about missiles?"}, "what else did Jazayeri say?", []string{"missiles"}, false},
		{"the query, not the question", Turn{Question: "and then?", Query: "and then? Pourdastan inspections"}, "who is he?", []string{"Pourdastan", "inspections"}, true},
		{"nothing to carry", Turn{Question: "what did they say?"}, "and then?", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := eng.keyTerms(tt.prev, tt.followUp)
			if tt.anyOrder {
				got, tt.want = slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(tt.want))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("keyTerms = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestFollowUpRewrittenByModel: with a model, a follow-up is rewritten into
// a standalone question (its own prompt, the conversation fenced in it)
// and that is what retrieval is asked; the answer prompt still shows the
// question as asked, after the earlier turns. When the rewrite fails, the
// earlier question's terms are carried instead.
func TestFollowUpRewrittenByModel(t *testing.T) {
	const followUp = "and who said that?"
	const standalone = "Who said that Iran will not allow inspections of its military sites?"
	history := []Turn{{
		Question: inspections,
		Answer:   "No: a senior commander said the Islamic Republic will never allow any inspection of its military sites, according to Press TV [1].",
		Query:    inspections,
		Articles: []string{"000_e22c96a855d117b2"},
	}}
	isRewrite := func(req openai.ChatCompletionRequest) bool {
		return len(req.Messages) > 0 && strings.Contains(req.Messages[0].Content, "standalone question")
	}
	answerText := "Brigadier General Ahmad Reza Pourdastan said so, according to Press TV [1]."
	tests := []struct {
		name    string
		rewrite fakeopenai.Response
		want    string // Standalone
	}{
		{"rewritten", fakeopenai.Response{Text: "Standalone question: \"" + standalone + "\"\n"}, QueryRewrite},
		{"model fails", fakeopenai.Response{Status: 400, ErrorMessage: "bad request"}, QueryCarried},
		{"not a question", fakeopenai.Response{Text: "NOT_IN_ARTICLES"}, QueryCarried},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recordingRetriever{Index: seedIndex(t, nil)}
			eng, srv, logs := modelEngine(t, rec.Index, 2*time.Second)
			eng.r = rec
			srv.Reply(func(req openai.ChatCompletionRequest) fakeopenai.Response {
				if isRewrite(req) {
					return tt.rewrite
				}
				return fakeopenai.Response{Text: answerText}
			})
			res, err := eng.Answer(context.Background(), Question{Text: followUp, History: history}, nil)
			if err != nil {
				t.Fatal(err)
			}
			asked := rec.last(t)
			if res.Standalone != tt.want || asked.Text != res.Query {
				t.Fatalf("standalone %q, query %q, retrieval asked %q", res.Standalone, res.Query, asked.Text)
			}
			if !slices.Equal(asked.Prefer, history[0].Articles) {
				t.Errorf("retrieval preferred %v, want %v", asked.Prefer, history[0].Articles)
			}
			var rewrites, answers []openai.ChatCompletionRequest
			for _, req := range srv.ChatRequests() {
				if isRewrite(req) {
					rewrites = append(rewrites, req)
				} else {
					answers = append(answers, req)
				}
			}
			if len(rewrites) == 0 || len(answers) != 1 {
				t.Fatalf("%d rewrite and %d answer requests, want some and 1", len(rewrites), len(answers))
			}
			user := rewrites[0].Messages[1].Content
			for _, want := range []string{"<earlier_question>\n" + inspections + "\n</earlier_question>", "according to Press TV.\n</earlier_answer>", "<question>\n" + followUp + "\n</question>"} {
				if !strings.Contains(user, want) {
					t.Errorf("rewrite prompt lacks %q:\n%s", want, user)
				}
			}
			prompt := answers[0].Messages[1].Content
			if !strings.Contains(prompt, "<question>\n"+followUp+"\n</question>") || !strings.Contains(prompt, "<earlier_question>\n"+inspections) {
				t.Errorf("answer prompt lacks the question as asked or the earlier turn:\n%s", prompt)
			}
			switch tt.want {
			case QueryRewrite:
				if res.Query != standalone {
					t.Errorf("query %q, want the model's rewrite %q", res.Query, standalone)
				}
			case QueryCarried:
				if !strings.HasPrefix(res.Query, followUp+" ") || len(res.Carried) == 0 {
					t.Errorf("query %q, carried %q: want the earlier question's terms", res.Query, res.Carried)
				}
				if !strings.Contains(logs.String(), "carrying the earlier question's terms") {
					t.Errorf("the failed rewrite is not logged: %s", logs.String())
				}
			}
			if res.Mode != ModeLLM || !strings.Contains(res.Text, "Pourdastan") {
				t.Errorf("mode %s: %s", res.Mode, res.Text)
			}
		})
	}
}

func TestCleanRewrite(t *testing.T) {
	long := strings.Repeat("why ", 200)
	tests := []struct{ in, want string }{
		{"What did the US say about Iran's missiles?", "What did the US say about Iran's missiles?"},
		{"\n\n  Standalone question: “What did the US say?”\nExplanation: ...", "What did the US say?"},
		{"'Who won?'", "Who won?"},
		{"NOT_IN_ARTICLES", ""},
		{"   \n ", ""},
		{"Note: the question is about 2004", "Note: the question is about 2004"},
		{long, strings.TrimSpace(long[:maxQueryRunes])},
	}
	for _, tt := range tests {
		if got := cleanRewrite(tt.in); got != tt.want {
			t.Errorf("cleanRewrite(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzCleanRewrite: whatever the model replies, the query taken from it is
// one line of at most maxQueryRunes runes, without the not-covered token.
func FuzzCleanRewrite(f *testing.F) {
	for _, s := range []string{"What did the US say?", "Standalone question: \"Who won?\"\nbecause", "NOT_IN_ARTICLES", "\n\n  ‘x’ ", strings.Repeat("é", 600), "question:\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := cleanRewrite(s)
		if strings.ContainsAny(got, "\n") || utf8.RuneCountInString(got) > maxQueryRunes || strings.Contains(got, prompts.NotCovered) {
			t.Errorf("cleanRewrite(%q) = %q", s, got)
		}
		if got != strings.TrimSpace(got) {
			t.Errorf("cleanRewrite(%q) = %q: not trimmed", s, got)
		}
	})
}
