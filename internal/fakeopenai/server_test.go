package fakeopenai

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

func newClient(t *testing.T, s *Server, base string) *openai.Client {
	t.Helper()
	cfg := openai.DefaultConfig("sk-test")
	cfg.BaseURL = base
	cfg.HTTPClient = &http.Client{Timeout: 5 * time.Second}
	return openai.NewClientWithConfig(cfg)
}

func userMsg(text string) []openai.ChatCompletionMessage {
	return []openai.ChatCompletionMessage{{Role: openai.ChatMessageRoleUser, Content: text}}
}

func TestChatPlain(t *testing.T) {
	s := New(t)
	c := newClient(t, s, s.URL+"/v1")
	ctx := context.Background()

	resp, err := c.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: "m1", Messages: userMsg("hello there")})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != "fake reply to: hello there" {
		t.Errorf("default reply = %q", got)
	}
	if resp.Model != "m1" || resp.Choices[0].FinishReason != openai.FinishReasonStop {
		t.Errorf("model %q finish %q", resp.Model, resp.Choices[0].FinishReason)
	}
	if resp.Usage.PromptTokens != 2 || resp.Usage.CompletionTokens != 5 {
		t.Errorf("usage = %+v", resp.Usage)
	}
	if got := s.Authorization(); got != "Bearer sk-test" {
		t.Errorf("Authorization = %q", got)
	}

	s.Reply(func(req openai.ChatCompletionRequest) Response {
		return Response{Text: "scripted " + req.Model, Model: "other"}
	})
	s.QueueChat(Response{Text: "queued"})
	for _, want := range []string{"queued", "scripted m2"} {
		resp, err := c.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: "m2", Messages: userMsg("x")})
		if err != nil {
			t.Fatal(err)
		}
		if got := resp.Choices[0].Message.Content; got != want {
			t.Errorf("reply = %q, want %q", got, want)
		}
	}
	if n := s.ChatCount(); n != 3 {
		t.Errorf("ChatCount = %d, want 3", n)
	}
	if reqs := s.ChatRequests(); reqs[0].Messages[0].Content != "hello there" || reqs[2].Model != "m2" {
		t.Errorf("recorded requests = %+v", reqs)
	}
}

func TestChatStream(t *testing.T) {
	tests := []struct {
		name      string
		usage     bool
		resp      Response
		wantText  string
		wantCut   bool
		wantUsage *openai.Usage
	}{
		{name: "whole", resp: Response{Text: "Hello, streaming world"}, wantText: "Hello, streaming world"},
		{
			name: "usage", usage: true,
			resp:      Response{Text: "abcdefgh", Usage: &openai.Usage{PromptTokens: 7, CompletionTokens: 3, TotalTokens: 10}},
			wantText:  "abcdefgh",
			wantUsage: &openai.Usage{PromptTokens: 7, CompletionTokens: 3, TotalTokens: 10},
		},
		{name: "cut", resp: Response{Text: "abcdefghijkl", CutAfterChunks: 2}, wantText: "abcdefgh", wantCut: true},
		{name: "cut past the end", resp: Response{Text: "abc", CutAfterChunks: 5}, wantText: "abc", wantCut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t)
			s.QueueChat(tt.resp)
			c := newClient(t, s, s.URL+"/v1")
			req := openai.ChatCompletionRequest{Model: "m", Messages: userMsg("q")}
			if tt.usage {
				req.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
			}
			stream, err := c.CreateChatCompletionStream(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			defer stream.Close()
			var text strings.Builder
			var usage *openai.Usage
			var finish openai.FinishReason
			var recvErr error
			for {
				chunk, err := stream.Recv()
				if err != nil {
					recvErr = err
					break
				}
				for _, ch := range chunk.Choices {
					text.WriteString(ch.Delta.Content)
					if ch.FinishReason != "" {
						finish = ch.FinishReason
					}
				}
				if chunk.Usage != nil {
					usage = chunk.Usage
				}
			}
			if text.String() != tt.wantText {
				t.Errorf("text = %q, want %q", text.String(), tt.wantText)
			}
			if tt.wantCut {
				if errors.Is(recvErr, io.EOF) || finish != "" {
					t.Errorf("cut stream ended with %v, finish %q; want an error and no finish", recvErr, finish)
				}
				return
			}
			if !errors.Is(recvErr, io.EOF) || finish != openai.FinishReasonStop {
				t.Errorf("stream ended with %v, finish %q", recvErr, finish)
			}
			if (usage == nil) != (tt.wantUsage == nil) || (usage != nil && *usage != *tt.wantUsage) {
				t.Errorf("usage = %+v, want %+v", usage, tt.wantUsage)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name       string
		resp       Response
		wantStatus int
	}{
		{name: "rate limit", resp: Response{Status: 429, RetryAfter: "2", ErrorMessage: "slow down"}, wantStatus: 429},
		{name: "server error", resp: Response{Status: 500}, wantStatus: 500},
		{name: "bad request", resp: Response{Status: 400, ErrorMessage: "bad"}, wantStatus: 400},
		{name: "garbage"},
		{name: "hangup", resp: Response{Hangup: true}},
		{name: "raw body", resp: Response{Status: 502, Body: "<html>bad gateway</html>"}, wantStatus: 502},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t)
			if tt.name == "garbage" {
				tt.resp.Garbage = true
			}
			s.QueueChat(tt.resp)
			c := newClient(t, s, s.URL+"/v1")
			_, err := c.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{Model: "m", Messages: userMsg("q")})
			if err == nil {
				t.Fatal("no error")
			}
			status := 0
			var apiErr *openai.APIError
			var reqErr *openai.RequestError
			switch {
			case errors.As(err, &apiErr):
				status = apiErr.HTTPStatusCode
				if tt.resp.ErrorMessage != "" && apiErr.Message != tt.resp.ErrorMessage {
					t.Errorf("message = %q", apiErr.Message)
				}
			case errors.As(err, &reqErr):
				status = reqErr.HTTPStatusCode
			}
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d (err %v)", status, tt.wantStatus, err)
			}
		})
	}
}

func TestDelayEndsWithClient(t *testing.T) {
	s := New(t)
	s.QueueChat(Response{Delay: 10 * time.Second, Text: "late"})
	c := newClient(t, s, s.URL+"/v1")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.CreateChatCompletion(ctx, openai.ChatCompletionRequest{Model: "m", Messages: userMsg("q")})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s", d)
	}
}

func TestOnlyV1(t *testing.T) {
	s := New(t)
	c := newClient(t, s, s.URL)
	_, err := c.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{Model: "m", Messages: userMsg("q")})
	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != http.StatusNotFound {
		t.Fatalf("err = %v, want a 404", err)
	}
	if got := s.Paths(); len(got) != 1 || got[0] != "POST /chat/completions" {
		t.Errorf("Paths = %q", got)
	}
	if s.ChatCount() != 0 {
		t.Error("a request without /v1 was counted as chat")
	}
}

func TestModels(t *testing.T) {
	s := New(t)
	s.SetModels("a", "b")
	c := newClient(t, s, s.URL+"/v1")
	list, err := c.ListModels(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Models) != 2 || list.Models[0].ID != "a" || list.Models[1].ID != "b" {
		t.Errorf("models = %+v", list.Models)
	}
}

func TestEmbeddings(t *testing.T) {
	texts := []string{"grain exports", "Black Sea ports", "election results"}
	tests := []struct {
		name    string
		resp    EmbedResponse
		format  openai.EmbeddingEncodingFormat
		wantDim int
	}{
		{name: "default", wantDim: DefaultEmbeddingDim},
		{name: "reversed", resp: EmbedResponse{Reverse: true}, wantDim: DefaultEmbeddingDim},
		{name: "base64", format: openai.EmbeddingEncodingFormatBase64, wantDim: DefaultEmbeddingDim},
		{name: "dim override", resp: EmbedResponse{Dim: 5}, wantDim: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(t)
			s.QueueEmbeddings(tt.resp)
			c := newClient(t, s, s.URL+"/v1")
			resp, err := c.CreateEmbeddings(context.Background(), openai.EmbeddingRequest{
				Input: texts, Model: "emb", EncodingFormat: tt.format,
			})
			if err != nil {
				t.Fatal(err)
			}
			if resp.Model != "emb" || len(resp.Data) != len(texts) {
				t.Fatalf("model %q, %d vectors", resp.Model, len(resp.Data))
			}
			for _, d := range resp.Data {
				want := Vector(texts[d.Index], tt.wantDim)
				if !equal(d.Embedding, want) {
					t.Errorf("vector %d = %v, want %v", d.Index, d.Embedding, want)
				}
			}
			if tt.resp.Reverse && resp.Data[0].Index != len(texts)-1 {
				t.Errorf("first index = %d, want reversed order", resp.Data[0].Index)
			}
			if got := s.EmbeddingRequests(); len(got) != 1 || strings.Join(got[0].Input, "|") != strings.Join(texts, "|") {
				t.Errorf("recorded = %+v", got)
			}
		})
	}
}

func TestEmbeddingFaults(t *testing.T) {
	s := New(t)
	s.SetDim(8)
	s.QueueEmbeddings(EmbedResponse{Status: 503, RetryAfter: "1"}, EmbedResponse{Drop: 1})
	c := newClient(t, s, s.URL+"/v1")
	req := openai.EmbeddingRequest{Input: []string{"a b", "c d"}, Model: "emb"}
	_, err := c.CreateEmbeddings(context.Background(), req)
	var apiErr *openai.APIError
	if !errors.As(err, &apiErr) || apiErr.HTTPStatusCode != 503 {
		t.Fatalf("err = %v, want 503", err)
	}
	resp, err := c.CreateEmbeddings(context.Background(), req)
	if err != nil || len(resp.Data) != 1 {
		t.Fatalf("Drop: err %v, %d vectors", err, len(resp.Data))
	}
	resp, err = c.CreateEmbeddings(context.Background(), openai.EmbeddingRequest{Input: "single", Model: "emb"})
	if err != nil || len(resp.Data) != 1 || len(resp.Data[0].Embedding) != 8 {
		t.Fatalf("single string: err %v, %+v", err, resp.Data)
	}
	if n := s.EmbeddingCount(); n != 3 {
		t.Errorf("EmbeddingCount = %d, want 3", n)
	}
}

func TestVector(t *testing.T) {
	a := Vector("Ukraine grain exports rise", 64)
	b := Vector("grain exports from Ukraine", 64)
	c := Vector("football results tonight", 64)
	if !equal(a, Vector("Ukraine grain exports rise", 64)) {
		t.Error("not deterministic")
	}
	for _, v := range [][]float32{a, b, c, Vector("", 3), Vector("!!!", 3)} {
		var n float64
		for _, x := range v {
			n += float64(x) * float64(x)
		}
		if math.Abs(n-1) > 1e-5 {
			t.Errorf("norm² = %f, want 1", n)
		}
	}
	if dot(a, b) <= dot(a, c) {
		t.Errorf("shared words not closer: a·b=%f a·c=%f", dot(a, b), dot(a, c))
	}
}

func TestMaxInFlight(t *testing.T) {
	s := New(t)
	s.Reply(func(openai.ChatCompletionRequest) Response { return Response{Text: "x", Delay: 50 * time.Millisecond} })
	c := newClient(t, s, s.URL+"/v1")
	done := make(chan error, 3)
	for range 3 {
		go func() {
			_, err := c.CreateChatCompletion(context.Background(), openai.ChatCompletionRequest{Model: "m", Messages: userMsg("q")})
			done <- err
		}()
	}
	for range 3 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if got := s.MaxInFlight(); got != 3 {
		t.Errorf("MaxInFlight = %d, want 3", got)
	}
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}
