package commands

import (
	"net"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/newsbot/newsbot/answer"
	"github.com/newsbot/newsbot/bot/adapt"
	"github.com/newsbot/newsbot/internal/fakediscord"
	"github.com/newsbot/newsbot/internal/fakeopenai"
	"github.com/newsbot/newsbot/internal/llm"
)

// modelTimeout is the answer engine's bound on the model in the fault
// tests; past it the engine answers extractively.
const modelTimeout = 2 * time.Second

// fallbackText starts the extractive answer given when the model fails.
const fallbackText = "The answer model is unavailable right now"

// closedURL returns the address of a port nobody listens on: connections
// to it are refused.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr
}

// TestModelFaultsFallBack asks through the gateway while the model
// endpoint misbehaves, with the real llm client and the real engine: every
// question is acknowledged at once and ends, within the engine's time
// limit, with the extractive answer, cited.
func TestModelFaultsFallBack(t *testing.T) {
	t.Parallel()
	answerText := "Press TV reports that Iran will not allow inspections of its military sites [1]. The commander said missile capabilities are not negotiable [1]."
	tests := []struct {
		name     string
		response *fakeopenai.Response // nil: no server at all
		cause    string               // in the log's fallback attribute
	}{
		{name: "connection refused", cause: "model error"},
		{name: "slow past the timeout", response: &fakeopenai.Response{Text: answerText, Delay: 10 * time.Second}, cause: "model error: timed out"},
		{name: "slow stream past the timeout", response: &fakeopenai.Response{Text: answerText, ChunkSize: 4, DelayPerChunk: 200 * time.Millisecond}, cause: "model error: timed out"},
		{name: "garbage", response: &fakeopenai.Response{Garbage: true}, cause: "model error"},
		{name: "cut mid-stream", response: &fakeopenai.Response{Text: answerText, ChunkSize: 8, CutAfterChunks: 3}, cause: "model error: stream interrupted"},
		{name: "server errors", response: &fakeopenai.Response{Status: 503, ErrorMessage: "overloaded"}, cause: "model error: HTTP 503"},
		{name: "rate limited for an hour", response: &fakeopenai.Response{Status: 429, RetryAfter: "3600", ErrorMessage: "slow down"}, cause: "model error: HTTP 429"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := closedURL(t)
			if tt.response != nil {
				srv := fakeopenai.New(t)
				resp := *tt.response
				srv.Reply(func(openai.ChatCompletionRequest) fakeopenai.Response { return resp })
				base = srv.URL
			}
			e := newEnv(t, envOptions{open: true, config: func(c *Config) {
				model, err := llm.New(llm.Config{BaseURL: base, Model: "fake-chat", Timeout: time.Second})
				if err != nil {
					t.Fatal(err)
				}
				eng, err := answer.New(c.Searcher.(adapt.Index).Index, answer.Config{Model: model, ModelName: "fake-chat", Timeout: modelTimeout})
				if err != nil {
					t.Fatal(err)
				}
				c.Answerer = adapt.Engine{Engine: eng}
			}})
			i := fakediscord.CommandInteraction("ask", map[string]any{"question": normalQuestion}, member)
			if err := e.fake.DispatchInteraction(i); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			m := e.waitResponse(i, modelTimeout+10*time.Second, answered)
			elapsed := time.Since(start)
			if d, ok := e.fake.AckLatency(i.ID); !ok || d > 3*time.Second {
				t.Errorf("acknowledged after %v (%v), want within 3s", d, ok)
			}
			if limit := modelTimeout + 2*time.Second; elapsed > limit {
				t.Errorf("the answer took %v, want it within %v", elapsed.Round(time.Millisecond), limit)
			}
			checkCitedAnswer(t, m, normalQuestion, e.ix)
			if !strings.Contains(m.Content, fallbackText) {
				t.Errorf("answer = %q, want the extractive fallback", m.Content)
			}
			if strings.Contains(m.Content, genericFailure) || isEphemeral(m) {
				t.Errorf("answer = %q, want a public answer, not an error", m.Content)
			}
			waitFor(t, func() bool { return strings.Contains(e.log.String(), `"fallback"`) })
			if log := e.log.String(); !strings.Contains(log, `"fallback":"`+tt.cause) {
				t.Errorf("log lacks the fallback cause %q:\n%s", tt.cause, log)
			}
			t.Logf("fallback after %v", elapsed.Round(time.Millisecond))
		})
	}
}
