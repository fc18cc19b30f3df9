package llm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/newsbot/newsbot/internal/fakeopenai"
)

func texts(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("passage %d about topic %d", i, i%7)
	}
	return out
}

func TestEmbedBatchesInOrder(t *testing.T) {
	tests := []struct {
		name      string
		n         int
		batch     int
		reply     fakeopenai.EmbedResponse
		wantSizes []int
	}{
		{name: "130 texts in batches of 64", n: 130, batch: 64, wantSizes: []int{2, 64, 64}},
		{name: "default batch", n: 65, wantSizes: []int{1, 64}},
		{name: "one text", n: 1, batch: 64, wantSizes: []int{1}},
		{name: "server lists vectors backwards", n: 10, batch: 4, reply: fakeopenai.EmbedResponse{Reverse: true}, wantSizes: []int{2, 4, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fakeopenai.New(t)
			s.SetDim(8)
			s.ReplyEmbeddings(func(fakeopenai.EmbeddingRequest) fakeopenai.EmbedResponse { return tt.reply })
			c := newTestClient(t, s, func(cfg *Config) { cfg.EmbedBatch = tt.batch })
			in := texts(tt.n)
			vecs, err := c.Embed(context.Background(), "embed-model", in)
			if err != nil {
				t.Fatal(err)
			}
			if len(vecs) != len(in) {
				t.Fatalf("%d vectors for %d texts", len(vecs), len(in))
			}
			for i, v := range vecs {
				if !slices.Equal(v, fakeopenai.Vector(in[i], 8)) {
					t.Fatalf("vector %d is not the one for %q", i, in[i])
				}
			}
			var sizes []int
			for _, r := range s.EmbeddingRequests() {
				sizes = append(sizes, len(r.Input))
				if r.Model != "embed-model" {
					t.Errorf("model = %q", r.Model)
				}
			}
			slices.Sort(sizes)
			if !slices.Equal(sizes, tt.wantSizes) {
				t.Errorf("batch sizes = %v, want %v", sizes, tt.wantSizes)
			}
		})
	}
}

func TestEmbedFaults(t *testing.T) {
	tests := []struct {
		name         string
		replies      []fakeopenai.EmbedResponse
		n            int
		wantErr      error
		wantInErr    string
		wantRequests int
	}{
		{
			name:    "503 then success",
			replies: []fakeopenai.EmbedResponse{{Status: 503, RetryAfter: "0"}, {}},
			n:       3, wantRequests: 2,
		},
		{
			name:    "slow then success",
			replies: []fakeopenai.EmbedResponse{{Delay: 10 * time.Second}, {}},
			n:       3, wantRequests: 2,
		},
		{
			name:    "400 is not retried",
			replies: []fakeopenai.EmbedResponse{{Status: 400, ErrorMessage: "input too long"}, {}},
			n:       3, wantErr: &APIError{}, wantInErr: "embed batch 1 of 1 (texts 0-2)", wantRequests: 1,
		},
		{
			name:    "persistent 500",
			replies: []fakeopenai.EmbedResponse{{Status: 500}, {Status: 500}, {Status: 500}, {}},
			n:       3, wantErr: &APIError{}, wantInErr: "after 3 attempt(s)", wantRequests: 3,
		},
		{
			name:    "missing vector",
			replies: []fakeopenai.EmbedResponse{{Drop: 1}},
			n:       3, wantErr: ErrMalformedResponse, wantInErr: "2 vectors for 3 texts", wantRequests: 1,
		},
		{
			name:    "garbage",
			replies: []fakeopenai.EmbedResponse{{Garbage: true}},
			n:       3, wantErr: ErrMalformedResponse, wantRequests: 1,
		},
		{
			name:    "dimension changes between batches",
			replies: []fakeopenai.EmbedResponse{{}, {Dim: 5}},
			n:       20, wantErr: ErrMalformedResponse, wantInErr: "dimension", wantRequests: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := fakeopenai.New(t)
			s.QueueEmbeddings(tt.replies...)
			c := newTestClient(t, s, func(cfg *Config) {
				cfg.EmbedBatch = 16
				cfg.MaxConcurrent = 1 // batches in order, so the queue maps to them
				cfg.Timeout = 500 * time.Millisecond
			})
			vecs, err := c.Embed(context.Background(), "m", texts(tt.n))
			switch want := tt.wantErr.(type) {
			case nil:
				if err != nil || len(vecs) != tt.n {
					t.Fatalf("err = %v, %d vectors", err, len(vecs))
				}
			case *APIError:
				if !errors.As(err, &want) {
					t.Fatalf("err = %v, want an APIError", err)
				}
			default:
				if !errors.Is(err, want) {
					t.Fatalf("err = %v, want %v", err, want)
				}
			}
			if err != nil && vecs != nil {
				t.Error("vectors returned with an error")
			}
			if tt.wantInErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantInErr)) {
				t.Errorf("err = %v, want it to mention %q", err, tt.wantInErr)
			}
			if got := s.EmbeddingCount(); got != tt.wantRequests {
				t.Errorf("server saw %d requests, want %d", got, tt.wantRequests)
			}
		})
	}
}

func TestEmbedInputChecks(t *testing.T) {
	s := fakeopenai.New(t)
	c := newTestClient(t, s, nil)
	if vecs, err := c.Embed(context.Background(), "m", nil); err != nil || len(vecs) != 0 {
		t.Errorf("no texts: %v, %v", vecs, err)
	}
	if _, err := c.Embed(context.Background(), "m", []string{"a", ""}); err == nil || !strings.Contains(err.Error(), "text 1") {
		t.Errorf("empty text: err = %v, want one naming text 1", err)
	}
	if _, err := c.Embed(context.Background(), "", []string{"a"}); err == nil {
		t.Error("no model: no error")
	}
	if s.EmbeddingCount() != 0 {
		t.Error("invalid input reached the server")
	}
}

func TestEmbedConcurrencyCap(t *testing.T) {
	s := fakeopenai.New(t)
	s.ReplyEmbeddings(func(fakeopenai.EmbeddingRequest) fakeopenai.EmbedResponse {
		return fakeopenai.EmbedResponse{Delay: 30 * time.Millisecond}
	})
	c := newTestClient(t, s, func(cfg *Config) { cfg.MaxConcurrent = 2; cfg.EmbedBatch = 1 })
	if _, err := c.Embed(context.Background(), "m", texts(6)); err != nil {
		t.Fatal(err)
	}
	if got := s.MaxInFlight(); got != 2 {
		t.Errorf("server saw %d requests at once, want 2", got)
	}
}

func TestEmbedKeyNeverInErrors(t *testing.T) {
	s := fakeopenai.New(t)
	s.QueueEmbeddings(fakeopenai.EmbedResponse{Status: 401, ErrorMessage: "bad key " + testKey})
	c := newTestClient(t, s, nil)
	_, err := c.Embed(context.Background(), "m", []string{"a"})
	if err == nil || strings.Contains(err.Error(), testKey) {
		t.Fatalf("err = %v, want an error without the key", err)
	}
}
