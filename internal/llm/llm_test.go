package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"

	"github.com/newsbot/newsbot/internal/fakeopenai"
)

const testKey = "sk-test-SECRET-0123456789abcdef"

// newTestClient returns a client for the fake with quick timeouts and
// backoffs; change adjusts the configuration.
func newTestClient(t *testing.T, s *fakeopenai.Server, change func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		BaseURL:     s.URL,
		APIKey:      testKey,
		Model:       "test-model",
		Timeout:     5 * time.Second,
		MaxRetries:  2,
		BackoffBase: time.Millisecond,
		MaxBackoff:  50 * time.Millisecond,
	}
	if change != nil {
		change(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func question(text string) ChatRequest {
	return ChatRequest{Messages: []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: text}}}
}

func TestNormalizeBaseURL(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: "", want: "https://api.openai.com/v1"},
		{in: "  ", want: "https://api.openai.com/v1"},
		{in: "http://localhost:11434", want: "http://localhost:11434/v1"},
		{in: "http://localhost:11434/", want: "http://localhost:11434/v1"},
		{in: "http://localhost:11434/v1", want: "http://localhost:11434/v1"},
		{in: "http://localhost:11434/v1/", want: "http://localhost:11434/v1"},
		{in: "https://api.openai.com/v1/", want: "https://api.openai.com/v1"},
		{in: "https://openrouter.ai/api/v1", want: "https://openrouter.ai/api/v1"},
		{in: "https://openrouter.ai/api", want: "https://openrouter.ai/api/v1"},
		{in: "HTTPS://Example.com:8443//", want: "https://Example.com:8443/v1"},
		{in: "https://generativelanguage.googleapis.com/v1beta/openai/", want: "https://generativelanguage.googleapis.com/v1beta/openai"},
		{in: "localhost:11434", wantErr: `"localhost:11434": it must start with http:// or https://`},
		{in: "ftp://example.com", wantErr: `"ftp://example.com": it must start with http:// or https://`},
		{in: "example.com/v1", wantErr: `"example.com/v1": it must start with http:// or https://`},
		{in: "http://", wantErr: `"http://": no host`},
		{in: "http://host/v1?key=1", wantErr: "query or fragment"},
		{in: "http://[::1", wantErr: `invalid base URL "http://[::1"`},
		{in: "http://user:pw@host", want: "http://user:pw@host/v1"},
		{in: "ftp://user:hunter2@host", wantErr: `"ftp://user:xxxxx@host"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := NormalizeBaseURL(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("NormalizeBaseURL(%q) = %q, %v; want error containing %q", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("NormalizeBaseURL(%q): %v", tt.in, err)
			}
			if tt.want != "" && got != tt.want {
				t.Errorf("NormalizeBaseURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestBaseURLFormsReachTheServer(t *testing.T) {
	s := fakeopenai.New(t)
	for _, suffix := range []string{"", "/", "/v1", "/v1/"} {
		t.Run("base"+suffix, func(t *testing.T) {
			c := newTestClient(t, s, func(cfg *Config) { cfg.BaseURL = s.URL + suffix })
			res, err := c.Chat(context.Background(), question("ping"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if res.Text != "fake reply to: ping" {
				t.Errorf("text = %q", res.Text)
			}
			paths := s.Paths()
			if last := paths[len(paths)-1]; last != "POST /v1/chat/completions" {
				t.Errorf("request went to %q", last)
			}
		})
	}
	t.Run("wrong prefix is a 404, not retried", func(t *testing.T) {
		c := newTestClient(t, s, func(cfg *Config) { cfg.BaseURL = s.URL + "/api" })
		before := len(s.Paths())
		res, err := c.Chat(context.Background(), question("ping"), nil)
		var apiErr *APIError
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
			t.Fatalf("err = %v, want a 404 APIError", err)
		}
		if res.Attempts != 1 || len(s.Paths())-before != 1 {
			t.Errorf("attempts = %d, requests = %d; want 1", res.Attempts, len(s.Paths())-before)
		}
	})
}

func TestNewRejectsBadBaseURL(t *testing.T) {
	_, err := New(Config{BaseURL: "localhost:11434"})
	if err == nil || !strings.Contains(err.Error(), "localhost:11434") {
		t.Fatalf("err = %v, want one naming the URL", err)
	}
}

func TestRetryable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"429", &APIError{StatusCode: 429}, true},
		{"500", &APIError{StatusCode: 500}, true},
		{"503 wrapped", fmt.Errorf("chat: %w", &APIError{StatusCode: 503}), true},
		{"408", &APIError{StatusCode: 408}, true},
		{"400", &APIError{StatusCode: 400}, false},
		{"401", &APIError{StatusCode: 401}, false},
		{"403", &APIError{StatusCode: 403}, false},
		{"404", &APIError{StatusCode: 404}, false},
		{"stream error event", &APIError{StatusCode: 0, Message: "overloaded"}, false},
		{"go-openai 502", &openai.APIError{HTTPStatusCode: 502}, true},
		{"go-openai request 404", &openai.RequestError{HTTPStatusCode: 404}, false},
		{"canceled", fmt.Errorf("x: %w", context.Canceled), false},
		{"attempt timeout", fmt.Errorf("x: %w", context.DeadlineExceeded), true},
		{"eof", fmt.Errorf("Post: %w", io.EOF), true},
		{"unexpected eof", io.ErrUnexpectedEOF, true},
		{"refused", fmt.Errorf("Post: %w", refused), true},
		{"reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"dns not found", &net.DNSError{Err: "no such host", IsNotFound: true}, false},
		{"interrupted", fmt.Errorf("%w: %w", ErrStreamInterrupted, io.ErrUnexpectedEOF), false},
		{"empty", ErrEmptyCompletion, false},
		{"malformed", fmt.Errorf("%w: x", ErrMalformedResponse), false},
		{"other", errors.New("boom"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Retryable(tt.err); got != tt.want {
				t.Errorf("Retryable(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		header map[string]string
		want   time.Duration
	}{
		{"none", nil, 0},
		{"seconds", map[string]string{"Retry-After": "3"}, 3 * time.Second},
		{"fraction", map[string]string{"Retry-After": "0.5"}, 500 * time.Millisecond},
		{"milliseconds first", map[string]string{"Retry-After-Ms": "250", "Retry-After": "9"}, 250 * time.Millisecond},
		{"date", map[string]string{"Retry-After": now.Add(7 * time.Second).Format(http.TimeFormat)}, 7 * time.Second},
		{"past date", map[string]string{"Retry-After": now.Add(-time.Hour).Format(http.TimeFormat)}, 0},
		{"negative", map[string]string{"Retry-After": "-4"}, 0},
		{"garbage", map[string]string{"Retry-After": "soon"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.header {
				h.Set(k, v)
			}
			if got := parseRetryAfter(h, now); got != tt.want {
				t.Errorf("parseRetryAfter = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	c := &Client{backoffBase: 100 * time.Millisecond, maxBackoff: time.Second}
	tests := []struct {
		retry      int
		retryAfter time.Duration
		lo, hi     time.Duration
	}{
		{retry: 1, lo: 50 * time.Millisecond, hi: 100 * time.Millisecond},
		{retry: 2, lo: 100 * time.Millisecond, hi: 200 * time.Millisecond},
		{retry: 3, lo: 200 * time.Millisecond, hi: 400 * time.Millisecond},
		{retry: 10, lo: 500 * time.Millisecond, hi: time.Second},
		{retry: 1, retryAfter: 700 * time.Millisecond, lo: 700 * time.Millisecond, hi: 700 * time.Millisecond},
		{retry: 1, retryAfter: time.Hour, lo: time.Second, hi: time.Second},
	}
	for _, tt := range tests {
		for range 50 {
			if got := c.backoff(tt.retry, tt.retryAfter); got < tt.lo || got > tt.hi {
				t.Fatalf("backoff(%d, %s) = %s, want within [%s, %s]", tt.retry, tt.retryAfter, got, tt.lo, tt.hi)
			}
		}
	}
}

func TestNewDefaults(t *testing.T) {
	c, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	got := []any{c.BaseURL(), c.timeout, c.maxRetries, c.maxConcurrent, c.backoffBase, c.maxBackoff, c.embedBatch, c.http.Timeout}
	want := []any{DefaultBaseURL, DefaultTimeout, DefaultMaxRetries, DefaultMaxConcurrent, DefaultBackoffBase,
		DefaultMaxBackoff, DefaultEmbedBatch, DefaultTimeout + httpSafetyMargin}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("field %d = %v, want %v", i, got[i], want[i])
		}
	}
	if c, _ := New(Config{MaxRetries: -1}); c.maxRetries != 0 {
		t.Errorf("MaxRetries -1 gives %d retries, want 0", c.maxRetries)
	}
}

type countingTransport struct {
	mu sync.Mutex
	n  int
}

func (ct *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	ct.mu.Lock()
	ct.n++
	ct.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func TestCustomHTTPClient(t *testing.T) {
	s := fakeopenai.New(t)
	s.QueueChat(fakeopenai.Response{Status: 429, Header: http.Header{"Retry-After-Ms": {"100"}}}, fakeopenai.Response{Text: "ok"})
	ct := &countingTransport{}
	user := &http.Client{Transport: ct, Timeout: 42 * time.Second}
	c := newTestClient(t, s, func(cfg *Config) { cfg.HTTPClient = user; cfg.MaxBackoff = 5 * time.Second })
	start := time.Now()
	res, err := c.Chat(context.Background(), question("q"), func(string) {})
	if err != nil || res.Text != "ok" {
		t.Fatalf("res %+v, err %v", res, err)
	}
	if d := time.Since(start); d < 100*time.Millisecond {
		t.Errorf("took %s: the Retry-After seen through a custom client was ignored", d)
	}
	if ct.n != 2 || c.http.Timeout != 42*time.Second {
		t.Errorf("custom transport saw %d requests, timeout %s; want 2 and the caller's 42s", ct.n, c.http.Timeout)
	}
	if user.Transport != ct {
		t.Error("the caller's client was modified")
	}
}
