//lint:file-ignore SA1019 the tests check which of max_tokens and max_completion_tokens was sent.

package llm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/newsbot/newsbot/internal/fakeopenai"
)

func TestChatPlain(t *testing.T) {
	s := fakeopenai.New(t)
	s.QueueChat(fakeopenai.Response{
		Text: "The ministry said so [1].", Model: "served-model", FinishReason: "length",
		Usage: &openai.Usage{PromptTokens: 11, CompletionTokens: 7, TotalTokens: 18},
	})
	c := newTestClient(t, s, nil)
	req := question("what happened?")
	req.MaxTokens = 300
	req.Temperature = 0.25
	res, err := c.Chat(context.Background(), req, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := ChatResult{
		Text: "The ministry said so [1].", Model: "served-model", FinishReason: "length",
		PromptTokens: 11, CompletionTokens: 7, Attempts: 1,
	}
	if res != want {
		t.Errorf("result = %+v, want %+v", res, want)
	}
	got := s.ChatRequests()[0]
	if got.Model != "test-model" || got.Stream || got.MaxTokens != 300 || got.Temperature != 0.25 ||
		got.Messages[0].Content != "what happened?" {
		t.Errorf("server saw %+v", got)
	}
	if auth := s.Authorization(); auth != "Bearer "+testKey {
		t.Errorf("Authorization = %q", auth)
	}
}

func TestChatStream(t *testing.T) {
	s := fakeopenai.New(t)
	text := "Reuters reported grain exports rose [2]; TASS disputed it [3]."
	s.QueueChat(fakeopenai.Response{
		Text: text, ChunkSize: 5,
		Usage: &openai.Usage{PromptTokens: 40, CompletionTokens: 15, TotalTokens: 55},
	})
	c := newTestClient(t, s, nil)
	var deltas []string
	res, err := c.Chat(context.Background(), question("grain?"), func(d string) { deltas = append(deltas, d) })
	if err != nil {
		t.Fatal(err)
	}
	if len(deltas) != (len(text)+4)/5 || strings.Join(deltas, "") != text {
		t.Errorf("deltas = %q, want %q in pieces of 5", deltas, text)
	}
	if res.Text != text || res.FinishReason != "stop" || res.PromptTokens != 40 || res.CompletionTokens != 15 ||
		res.Attempts != 1 || res.Model != "test-model" {
		t.Errorf("result = %+v", res)
	}
	got := s.ChatRequests()[0]
	if !got.Stream || got.StreamOptions == nil || !got.StreamOptions.IncludeUsage {
		t.Errorf("request stream=%v options=%+v, want a stream with usage", got.Stream, got.StreamOptions)
	}
}

// TestChatFaults runs each fault in plain and streaming mode.
func TestChatFaults(t *testing.T) {
	tests := []struct {
		name         string
		replies      []fakeopenai.Response
		change       func(*Config)
		wantErr      error // nil: success expected
		wantStatus   int
		wantAttempts int
		minElapsed   time.Duration
		maxElapsed   time.Duration
	}{
		{
			name:    "429 then success, Retry-After honoured",
			replies: []fakeopenai.Response{{Status: 429, RetryAfter: "1"}, {Text: "ok"}},
			change:  func(c *Config) { c.MaxBackoff = 5 * time.Second },
			// Retry-After: 1 means one second; the backoff alone would be 1ms.
			wantAttempts: 2, minElapsed: time.Second, maxElapsed: 10 * time.Second,
		},
		{
			name:         "429 with Retry-After-Ms",
			replies:      []fakeopenai.Response{{Status: 429, Header: http.Header{"Retry-After-Ms": {"150"}}}, {Text: "ok"}},
			change:       func(c *Config) { c.MaxBackoff = 5 * time.Second },
			wantAttempts: 2, minElapsed: 150 * time.Millisecond, maxElapsed: 10 * time.Second,
		},
		{
			name:         "Retry-After capped by MaxBackoff",
			replies:      []fakeopenai.Response{{Status: 429, RetryAfter: "3600"}, {Text: "ok"}},
			wantAttempts: 2, maxElapsed: 10 * time.Second,
		},
		{
			name:    "500 storm",
			replies: []fakeopenai.Response{{Status: 500}, {Status: 502}, {Status: 503}, {Text: "too late"}},
			wantErr: &APIError{}, wantStatus: 503,
			wantAttempts: 3, // MaxRetries 2 in newTestClient
		},
		{
			name:    "400 is not retried",
			replies: []fakeopenai.Response{{Status: 400, ErrorMessage: "context length exceeded"}, {Text: "never"}},
			wantErr: &APIError{}, wantStatus: 400, wantAttempts: 1,
		},
		{
			name:    "401 is not retried",
			replies: []fakeopenai.Response{{Status: 401}, {Text: "never"}},
			wantErr: &APIError{}, wantStatus: 401, wantAttempts: 1,
		},
		{
			name:         "connection closed then success",
			replies:      []fakeopenai.Response{{Hangup: true}, {Text: "ok"}},
			wantAttempts: 2,
		},
		{
			name:    "garbage body",
			replies: []fakeopenai.Response{{Garbage: true}, {Text: "never"}},
			wantErr: ErrMalformedResponse, wantAttempts: 1,
		},
		{
			name:    "empty completion",
			replies: []fakeopenai.Response{{Text: ""}, {Text: "never"}},
			wantErr: ErrEmptyCompletion, wantAttempts: 1,
		},
		{
			name:         "slow server times out each attempt",
			replies:      []fakeopenai.Response{{Delay: 5 * time.Second}, {Delay: 5 * time.Second}},
			change:       func(c *Config) { c.Timeout = 150 * time.Millisecond; c.MaxRetries = 1 },
			wantErr:      context.DeadlineExceeded,
			wantAttempts: 2, minElapsed: 300 * time.Millisecond, maxElapsed: 10 * time.Second,
		},
	}
	for _, tt := range tests {
		for _, streaming := range []bool{false, true} {
			mode := "plain"
			if streaming {
				mode = "stream"
			}
			t.Run(tt.name+"/"+mode, func(t *testing.T) {
				t.Parallel()
				s := fakeopenai.New(t)
				s.QueueChat(tt.replies...)
				c := newTestClient(t, s, tt.change)
				var onDelta func(string)
				var streamed strings.Builder
				if streaming {
					onDelta = func(d string) { streamed.WriteString(d) }
				}
				start := time.Now()
				res, err := c.Chat(context.Background(), question("q"), onDelta)
				elapsed := time.Since(start)

				switch want := tt.wantErr.(type) {
				case nil:
					if err != nil {
						t.Fatalf("err = %v", err)
					}
					if res.Text != "ok" || (streaming && streamed.String() != "ok") {
						t.Errorf("text = %q, streamed %q", res.Text, streamed.String())
					}
				case *APIError:
					var apiErr *APIError
					if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.wantStatus {
						t.Fatalf("err = %v, want APIError %d", err, tt.wantStatus)
					}
				default:
					if !errors.Is(err, want) {
						t.Fatalf("err = %v, want %v", err, want)
					}
				}
				if res.Attempts != tt.wantAttempts || s.ChatCount() != tt.wantAttempts {
					t.Errorf("attempts = %d, server saw %d; want %d", res.Attempts, s.ChatCount(), tt.wantAttempts)
				}
				if elapsed < tt.minElapsed || (tt.maxElapsed > 0 && elapsed > tt.maxElapsed) {
					t.Errorf("took %s, want within [%s, %s]", elapsed, tt.minElapsed, tt.maxElapsed)
				}
				if err != nil && !strings.Contains(err.Error(), "attempt") {
					t.Errorf("error %q does not say how many attempts were made", err)
				}
			})
		}
	}
}

func TestStreamInterrupted(t *testing.T) {
	tests := []struct {
		name        string
		reply       fakeopenai.Response
		timeout     time.Duration
		wantMaxText string // the text before the cut; a timeout may cut earlier
		wantCause   error
	}{
		{
			name:        "connection cut",
			reply:       fakeopenai.Response{Text: "abcdefghijklmnop", ChunkSize: 4, CutAfterChunks: 2},
			wantMaxText: "abcdefgh",
		},
		{
			name:        "attempt timeout mid-stream",
			reply:       fakeopenai.Response{Text: "abcdefghijklmnop", ChunkSize: 4, DelayPerChunk: 100 * time.Millisecond},
			timeout:     250 * time.Millisecond,
			wantMaxText: "abcdefghijkl",
			wantCause:   context.DeadlineExceeded,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fakeopenai.New(t)
			s.QueueChat(tt.reply, fakeopenai.Response{Text: "a retry must not happen"})
			c := newTestClient(t, s, func(cfg *Config) {
				if tt.timeout > 0 {
					cfg.Timeout = tt.timeout
				}
			})
			var shown strings.Builder
			res, err := c.Chat(context.Background(), question("q"), func(d string) { shown.WriteString(d) })
			if !errors.Is(err, ErrStreamInterrupted) {
				t.Fatalf("err = %v, want ErrStreamInterrupted", err)
			}
			if tt.wantCause != nil && !errors.Is(err, tt.wantCause) {
				t.Errorf("err = %v, want it to wrap %v", err, tt.wantCause)
			}
			full := tt.reply.Text
			if res.Text != shown.String() || !strings.HasPrefix(full, res.Text) ||
				len(res.Text) == 0 || len(res.Text) > len(tt.wantMaxText) {
				t.Errorf("partial text = %q, shown %q; want the same non-empty prefix of %q, at most %q",
					res.Text, shown.String(), full, tt.wantMaxText)
			}
			if Retryable(err) || res.Attempts != 1 || s.ChatCount() != 1 {
				t.Errorf("retried: attempts %d, server saw %d", res.Attempts, s.ChatCount())
			}
		})
	}
}

func TestStreamFailureBeforeTextIsRetried(t *testing.T) {
	s := fakeopenai.New(t)
	// Neither failure reaches the caller's onDelta, so both are retried.
	s.QueueChat(fakeopenai.Response{Hangup: true}, fakeopenai.Response{Status: 503}, fakeopenai.Response{Text: "whole"})
	c := newTestClient(t, s, nil)
	var shown strings.Builder
	res, err := c.Chat(context.Background(), question("q"), func(d string) { shown.WriteString(d) })
	if err != nil || res.Text != "whole" || shown.String() != "whole" || res.Attempts != 3 {
		t.Fatalf("result %+v, shown %q, err %v; want \"whole\" after 3 attempts", res, shown.String(), err)
	}
}

func TestCancel(t *testing.T) {
	tests := []struct {
		name  string
		reply fakeopenai.Response
		cfg   func(*Config)
	}{
		{name: "during a slow request", reply: fakeopenai.Response{Delay: 5 * time.Second}},
		{
			name:  "while waiting to retry",
			reply: fakeopenai.Response{Status: 500},
			cfg:   func(c *Config) { c.BackoffBase = 5 * time.Second; c.MaxBackoff = 5 * time.Second },
		},
	}
	for _, tt := range tests {
		for _, streaming := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%v", tt.name, streaming), func(t *testing.T) {
				s := fakeopenai.New(t)
				s.Reply(func(openai.ChatCompletionRequest) fakeopenai.Response { return tt.reply })
				c := newTestClient(t, s, tt.cfg)
				ctx, cancel := context.WithCancel(context.Background())
				timer := time.AfterFunc(100*time.Millisecond, cancel)
				defer timer.Stop()
				var onDelta func(string)
				if streaming {
					onDelta = func(string) {}
				}
				start := time.Now()
				res, err := c.Chat(ctx, question("q"), onDelta)
				if !errors.Is(err, context.Canceled) {
					t.Errorf("err = %v, want context.Canceled", err)
				}
				if d := time.Since(start); d > 3*time.Second {
					t.Errorf("returned after %s", d)
				}
				if res.Attempts != 1 || s.ChatCount() != 1 {
					t.Errorf("attempts = %d, server saw %d; want 1", res.Attempts, s.ChatCount())
				}
			})
		}
	}
}

func TestNoWaitBeyondDeadline(t *testing.T) {
	s := fakeopenai.New(t)
	s.QueueChat(fakeopenai.Response{Status: 429, RetryAfter: "10"})
	c := newTestClient(t, s, func(cfg *Config) { cfg.MaxBackoff = time.Minute })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	start := time.Now()
	res, err := c.Chat(ctx, question("q"), nil)
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || apiErr.RetryAfter != 10*time.Second {
		t.Fatalf("err = %v, want the 429 with its Retry-After", err)
	}
	if !strings.Contains(err.Error(), "no time left") || res.Attempts != 1 {
		t.Errorf("attempts = %d, err = %v; want an immediate failure", res.Attempts, err)
	}
	if d := time.Since(start); d > 1900*time.Millisecond {
		t.Errorf("took %s, want no wait for the deadline", d)
	}
}

func TestConcurrencyCap(t *testing.T) {
	s := fakeopenai.New(t)
	s.Reply(func(openai.ChatCompletionRequest) fakeopenai.Response {
		return fakeopenai.Response{Text: "ok", Delay: 40 * time.Millisecond}
	})
	c := newTestClient(t, s, func(cfg *Config) { cfg.MaxConcurrent = 2 })
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := range 6 {
		wg.Go(func() {
			var onDelta func(string)
			if i%2 == 0 {
				onDelta = func(string) {}
			}
			_, err := c.Chat(context.Background(), question("q"), onDelta)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := s.MaxInFlight(); got != 2 {
		t.Errorf("server saw %d requests at once, want 2", got)
	}
}

func TestConnectionRefusedIsRetried(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c, err := New(Config{BaseURL: "http://" + addr, Model: "m", MaxRetries: 2, BackoffBase: time.Millisecond, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Chat(context.Background(), question("q"), nil)
	if !Retryable(err) || res.Attempts != 3 {
		t.Fatalf("attempts = %d, err = %v; want 3 attempts at a retryable error", res.Attempts, err)
	}
}

func TestReasoningModelParameters(t *testing.T) {
	s := fakeopenai.New(t)
	c := newTestClient(t, s, func(cfg *Config) { cfg.Model = "o3-mini" })
	req := question("q")
	req.MaxTokens = 200
	req.Temperature = 0.2
	if _, err := c.Chat(context.Background(), req, nil); err != nil {
		t.Fatal(err)
	}
	got := s.ChatRequests()[0]
	if got.MaxTokens != 0 || got.MaxCompletionTokens != 200 || got.Temperature != 0 {
		t.Errorf("sent max_tokens %d, max_completion_tokens %d, temperature %v",
			got.MaxTokens, got.MaxCompletionTokens, got.Temperature)
	}
}

func TestKeyNeverInErrors(t *testing.T) {
	echo := "Incorrect API key provided: " + testKey
	tests := []struct {
		name      string
		reply     fakeopenai.Response
		streaming bool
	}{
		{name: "401 message", reply: fakeopenai.Response{Status: 401, ErrorMessage: echo}},
		{name: "401 message, stream", reply: fakeopenai.Response{Status: 401, ErrorMessage: echo}, streaming: true},
		{name: "raw body", reply: fakeopenai.Response{Status: 403, Body: "<p>" + echo + "</p>"}},
		{name: "500 storm", reply: fakeopenai.Response{Status: 500, ErrorMessage: echo}},
		{
			name:      "error event in stream",
			reply:     fakeopenai.Response{Body: `data: {"error":{"message":"` + echo + `","type":"server_error"}}` + "\n\n"},
			streaming: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fakeopenai.New(t)
			s.Reply(func(openai.ChatCompletionRequest) fakeopenai.Response { return tt.reply })
			var logs bytes.Buffer
			c := newTestClient(t, s, func(cfg *Config) { cfg.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
			var onDelta func(string)
			if tt.streaming {
				onDelta = func(string) {}
			}
			_, err := c.Chat(context.Background(), question("q"), onDelta)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), testKey) {
				t.Errorf("error shows the key: %v", err)
			}
			var apiErr *APIError
			if !errors.As(err, &apiErr) || strings.Contains(apiErr.Message, testKey) ||
				!strings.Contains(apiErr.Message, "[REDACTED]") {
				t.Errorf("APIError = %+v, want a redacted message", apiErr)
			}
			if strings.Contains(logs.String(), testKey) {
				t.Errorf("logs show the key: %s", logs.String())
			}
		})
	}
}
