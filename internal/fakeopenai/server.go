// Package fakeopenai runs an in-process fake of an OpenAI-compatible API for
// tests that drive the real go-openai client.
//
// The fake serves POST /v1/chat/completions (plain JSON, or server-sent events
// when the request asks for a stream), POST /v1/embeddings (deterministic
// vectors derived from each text) and GET /v1/models. It answers only under
// the /v1 prefix, so a client that forgets to add it gets a 404. Each reply
// is scripted by the test: queued responses are used first, then a reply
// function, then a default. Faults are part of a response: an HTTP status
// with Retry-After, a delay, a slow stream, a connection cut mid-stream, or a
// body that is not JSON. Every request is recorded, together with the
// Authorization header and the peak number of requests in flight.
//
// It is a test helper, not a full implementation of the API: tool calls,
// several choices per request and token-array inputs are not supported.
package fakeopenai

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// Response scripts one chat completion reply. The zero value is a successful
// reply with no text.
type Response struct {
	// Text is the completion; empty gives an empty completion. In a stream
	// it is sent ChunkSize runes at a time. Requests with no script at all
	// get DefaultReply instead.
	Text string
	// Model is echoed in the reply; empty echoes the requested model.
	Model string
	// FinishReason defaults to "stop".
	FinishReason string
	// Usage overrides the token counts, which are otherwise estimated from
	// word counts.
	Usage *openai.Usage
	// ChunkSize is the number of runes per stream chunk; 0 means 4.
	ChunkSize int

	// Status, when neither 0 nor 200, makes the reply an OpenAI-style error
	// with this HTTP status, whatever the request asked for.
	Status int
	// ErrorMessage is the message of an error reply.
	ErrorMessage string
	// RetryAfter is sent as the Retry-After header when not empty.
	RetryAfter string
	// Header holds extra response headers (for example "Retry-After-Ms").
	Header http.Header

	// Delay is waited before anything is written.
	Delay time.Duration
	// DelayPerChunk is waited after each streamed content chunk.
	DelayPerChunk time.Duration
	// CutAfterChunks, when positive, closes the connection after that many
	// content chunks of a stream, without a final chunk or [DONE]; a text
	// with fewer chunks is cut after its last one. For a plain request it
	// behaves like Hangup.
	CutAfterChunks int
	// Hangup closes the connection without writing any response.
	Hangup bool
	// Garbage answers 200 with an HTML page instead of JSON or events.
	Garbage bool
	// Body, when not empty, is written verbatim as the response body (with
	// Status, or 200), replacing the JSON or event stream.
	Body string
}

// EmbedResponse scripts one embeddings reply. The zero value is a successful
// reply with deterministic vectors.
type EmbedResponse struct {
	// Status, when neither 0 nor 200, makes the reply an OpenAI-style error.
	Status int
	// ErrorMessage is the message of an error reply.
	ErrorMessage string
	// RetryAfter is sent as the Retry-After header when not empty.
	RetryAfter string
	// Header holds extra response headers.
	Header http.Header
	// Delay is waited before anything is written.
	Delay time.Duration
	// Hangup closes the connection without writing any response.
	Hangup bool
	// Garbage answers 200 with an HTML page instead of JSON.
	Garbage bool
	// Body, when not empty, is written verbatim as the response body.
	Body string

	// Dim overrides the vector dimension for this reply.
	Dim int
	// Drop leaves out this many vectors from the end of the reply.
	Drop int
	// Reverse lists the vectors in reverse order; their indexes stay right.
	Reverse bool
}

// EmbeddingRequest is an embeddings request as the fake received it.
type EmbeddingRequest struct {
	Model          string
	Input          []string
	EncodingFormat string
	Dimensions     int
}

// DefaultEmbeddingDim is the vector dimension used until SetDim changes it.
const DefaultEmbeddingDim = 16

// Server is a fake OpenAI-compatible API. Its methods are safe for concurrent
// use.
type Server struct {
	// URL is the base URL of the server, without the /v1 prefix.
	URL string

	srv  *httptest.Server
	done chan struct{}

	mu          sync.Mutex
	chatQueue   []Response
	chatReply   func(openai.ChatCompletionRequest) Response
	embedQueue  []EmbedResponse
	embedReply  func(EmbeddingRequest) EmbedResponse
	dim         int
	models      []string
	chatReqs    []openai.ChatCompletionRequest
	embedReqs   []EmbeddingRequest
	paths       []string
	auth        string
	inFlight    int
	maxInFlight int
}

// New starts a fake server that is closed when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	s := &Server{
		done:   make(chan struct{}),
		dim:    DefaultEmbeddingDim,
		models: []string{"fake-chat", "fake-embed"},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", s.handleChat)
	mux.HandleFunc("POST /v1/embeddings", s.handleEmbeddings)
	mux.HandleFunc("GET /v1/models", s.handleModels)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path))
	})
	s.srv = httptest.NewServer(s.track(mux))
	s.URL = s.srv.URL
	t.Cleanup(s.Close)
	return s
}

// Close stops the server, ending any delay in progress. It is called by the
// test's cleanup and is safe to call more than once.
func (s *Server) Close() {
	s.mu.Lock()
	select {
	case <-s.done:
		s.mu.Unlock()
		return
	default:
		close(s.done)
	}
	s.mu.Unlock()
	s.srv.Close()
}

// Reply sets the function that decides each chat reply once the queue is
// empty. A nil function restores the default reply.
func (s *Server) Reply(fn func(req openai.ChatCompletionRequest) Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatReply = fn
}

// QueueChat adds replies that are used, in order, for the next chat
// requests, before the reply function.
func (s *Server) QueueChat(responses ...Response) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatQueue = append(s.chatQueue, responses...)
}

// ReplyEmbeddings sets the function that decides each embeddings reply once
// the queue is empty. A nil function restores the default reply.
func (s *Server) ReplyEmbeddings(fn func(req EmbeddingRequest) EmbedResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.embedReply = fn
}

// QueueEmbeddings adds replies that are used, in order, for the next
// embeddings requests, before the reply function.
func (s *Server) QueueEmbeddings(responses ...EmbedResponse) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.embedQueue = append(s.embedQueue, responses...)
}

// SetDim sets the dimension of the vectors the server returns when neither
// the request nor the reply asks for another. It panics if dim < 1.
func (s *Server) SetDim(dim int) {
	if dim < 1 {
		panic("fakeopenai: dimension must be positive")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dim = dim
}

// SetModels sets the model IDs listed by GET /v1/models.
func (s *Server) SetModels(ids ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.models = append([]string(nil), ids...)
}

// ChatRequests returns the chat requests received so far, oldest first.
func (s *Server) ChatRequests() []openai.ChatCompletionRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]openai.ChatCompletionRequest(nil), s.chatReqs...)
}

// EmbeddingRequests returns the embeddings requests received so far, oldest
// first.
func (s *Server) EmbeddingRequests() []EmbeddingRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]EmbeddingRequest, len(s.embedReqs))
	for i, r := range s.embedReqs {
		r.Input = append([]string(nil), r.Input...)
		out[i] = r
	}
	return out
}

// ChatCount returns the number of chat requests received.
func (s *Server) ChatCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.chatReqs)
}

// EmbeddingCount returns the number of embeddings requests received.
func (s *Server) EmbeddingCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.embedReqs)
}

// Paths returns "METHOD /path" for every request received, known or not,
// oldest first.
func (s *Server) Paths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.paths...)
}

// Authorization returns the Authorization header of the latest request.
func (s *Server) Authorization() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.auth
}

// MaxInFlight returns the largest number of requests the server was handling
// at the same time.
func (s *Server) MaxInFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxInFlight
}

// track records every request and counts those in flight.
func (s *Server) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.paths = append(s.paths, r.Method+" "+r.URL.Path)
		s.auth = r.Header.Get("Authorization")
		s.inFlight++
		s.maxInFlight = max(s.maxInFlight, s.inFlight)
		s.mu.Unlock()
		var once sync.Once
		done := func() {
			once.Do(func() {
				s.mu.Lock()
				s.inFlight--
				s.mu.Unlock()
			})
		}
		defer done()
		// A streamed reply reaches the client before the handler returns:
		// it is over, for counting, when its last event is about to go, or
		// a client that waits for it before sending the next request would
		// be counted twice.
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), doneKey{}, done)))
	})
}

// doneKey carries the function that ends a request's count in flight.
type doneKey struct{}

// requestDone ends r's count in flight, if it is still counted.
func requestDone(r *http.Request) {
	if done, ok := r.Context().Value(doneKey{}).(func()); ok {
		done()
	}
}

// wait sleeps for d, returning false if the request or the server ended
// first.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

func (s *Server) handleModels(w http.ResponseWriter, _ *http.Request) {
	s.mu.Lock()
	ids := append([]string(nil), s.models...)
	s.mu.Unlock()
	type model struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	list := struct {
		Object string  `json:"object"`
		Data   []model `json:"data"`
	}{Object: "list", Data: []model{}}
	for _, id := range ids {
		list.Data = append(list.Data, model{ID: id, Object: "model", Created: 1700000000, OwnedBy: "fakeopenai"})
	}
	writeJSON(w, http.StatusOK, list)
}

// fault writes the parts of a reply shared by chat and embeddings: delay,
// hangup, garbage, raw body and error status. It reports whether the reply
// is complete.
func (s *Server) fault(w http.ResponseWriter, r *http.Request, f faultSpec) bool {
	if !s.wait(r.Context(), f.delay) {
		return true
	}
	if f.hangup {
		hangup(w)
		return true
	}
	for k, vs := range f.header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if f.retryAfter != "" {
		w.Header().Set("Retry-After", f.retryAfter)
	}
	status := f.status
	if status == 0 {
		status = http.StatusOK
	}
	switch {
	case f.body != "":
		w.WriteHeader(status)
		_, _ = io.WriteString(w, f.body)
		return true
	case f.garbage:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "<html><body><h1>Welcome to nginx!</h1></body></html>\n")
		return true
	case status != http.StatusOK:
		msg := f.message
		if msg == "" {
			msg = http.StatusText(status)
		}
		writeError(w, status, msg)
		return true
	}
	return false
}

type faultSpec struct {
	delay      time.Duration
	hangup     bool
	header     http.Header
	retryAfter string
	status     int
	body       string
	garbage    bool
	message    string
}

// hangup closes the client connection without a response, or without the
// rest of one already started.
func hangup(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError writes an error body shaped like OpenAI's.
func writeError(w http.ResponseWriter, status int, message string) {
	errType := "invalid_request_error"
	switch {
	case status == http.StatusUnauthorized:
		errType = "authentication_error"
	case status == http.StatusTooManyRequests:
		errType = "rate_limit_error"
	case status >= 500:
		errType = "server_error"
	}
	body := map[string]any{"error": map[string]any{
		"message": message,
		"type":    errType,
		"param":   nil,
		"code":    strings.ReplaceAll(strings.ToLower(http.StatusText(status)), " ", "_"),
	}}
	writeJSON(w, status, body)
}
