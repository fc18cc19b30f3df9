package fakeopenai

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	openai "github.com/sashabaranov/go-openai"
)

// DefaultReply returns the reply used when nothing is scripted: it echoes
// the last message of the request.
func DefaultReply(req openai.ChatCompletionRequest) Response {
	last := ""
	if n := len(req.Messages); n > 0 {
		last = req.Messages[n-1].Content
	}
	return Response{Text: "fake reply to: " + last}
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	var req openai.ChatCompletionRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "request body is not a chat completion request: "+err.Error())
		return
	}

	s.mu.Lock()
	s.chatReqs = append(s.chatReqs, req)
	var resp Response
	switch {
	case len(s.chatQueue) > 0:
		resp = s.chatQueue[0]
		s.chatQueue = s.chatQueue[1:]
	case s.chatReply != nil:
		reply := s.chatReply
		s.mu.Unlock()
		resp = reply(req)
		s.mu.Lock()
	default:
		resp = DefaultReply(req)
	}
	s.mu.Unlock()

	cut := resp.CutAfterChunks > 0 && !req.Stream
	if s.fault(w, r, faultSpec{
		delay:      resp.Delay,
		hangup:     resp.Hangup || cut,
		header:     resp.Header,
		retryAfter: resp.RetryAfter,
		status:     resp.Status,
		body:       resp.Body,
		garbage:    resp.Garbage,
		message:    resp.ErrorMessage,
	}) {
		return
	}

	model := resp.Model
	if model == "" {
		model = req.Model
	}
	finish := openai.FinishReason(resp.FinishReason)
	if finish == "" {
		finish = openai.FinishReasonStop
	}
	usage := estimateUsage(req, resp)

	if !req.Stream {
		writeJSON(w, http.StatusOK, openai.ChatCompletionResponse{
			ID:      "chatcmpl-fake",
			Object:  "chat.completion",
			Created: time.Now().Unix(),
			Model:   model,
			Choices: []openai.ChatCompletionChoice{{
				Index:        0,
				Message:      openai.ChatCompletionMessage{Role: openai.ChatMessageRoleAssistant, Content: resp.Text},
				FinishReason: finish,
			}},
			Usage: usage,
		})
		return
	}
	s.stream(w, r, req, resp, model, finish, usage)
}

// stream writes the reply as server-sent events, the way OpenAI does: a
// first chunk with the role, one chunk per piece of text, a chunk with the
// finish reason, a usage chunk when asked for, then [DONE].
func (s *Server) stream(w http.ResponseWriter, r *http.Request, req openai.ChatCompletionRequest,
	resp Response, model string, finish openai.FinishReason, usage openai.Usage) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		writeError(w, http.StatusInternalServerError, "streaming unsupported by the test server")
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)

	created := time.Now().Unix()
	send := func(choices []openai.ChatCompletionStreamChoice, u *openai.Usage) bool {
		chunk := openai.ChatCompletionStreamResponse{
			ID:      "chatcmpl-fake",
			Object:  "chat.completion.chunk",
			Created: created,
			Model:   model,
			Choices: choices,
			Usage:   u,
		}
		b, err := json.Marshal(chunk)
		if err != nil {
			panic(fmt.Sprintf("fakeopenai: marshal chunk: %v", err))
		}
		if _, err := fmt.Fprintf(w, "data: %s\n\n", b); err != nil {
			return false
		}
		flusher.Flush()
		return true
	}

	if !send([]openai.ChatCompletionStreamChoice{{
		Delta: openai.ChatCompletionStreamChoiceDelta{Role: openai.ChatMessageRoleAssistant},
	}}, nil) {
		return
	}
	for i, piece := range splitRunes(resp.Text, resp.ChunkSize) {
		if resp.CutAfterChunks > 0 && i == resp.CutAfterChunks {
			hangup(w)
			return
		}
		if !send([]openai.ChatCompletionStreamChoice{{
			Delta: openai.ChatCompletionStreamChoiceDelta{Content: piece},
		}}, nil) {
			return
		}
		if !s.wait(r.Context(), resp.DelayPerChunk) {
			return
		}
	}
	if resp.CutAfterChunks > 0 {
		// The text had no more chunks than the cut: cut before the end.
		hangup(w)
		return
	}
	if !send([]openai.ChatCompletionStreamChoice{{FinishReason: finish}}, nil) {
		return
	}
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		if !send([]openai.ChatCompletionStreamChoice{}, &usage) {
			return
		}
	}
	requestDone(r)
	_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
	flusher.Flush()
}

// splitRunes cuts text into pieces of size runes (4 when size < 1).
func splitRunes(text string, size int) []string {
	if size < 1 {
		size = 4
	}
	var pieces []string
	runes := []rune(text)
	for len(runes) > 0 {
		n := min(size, len(runes))
		pieces = append(pieces, string(runes[:n]))
		runes = runes[n:]
	}
	return pieces
}

// estimateUsage returns the scripted usage, or word counts standing in for
// token counts.
func estimateUsage(req openai.ChatCompletionRequest, resp Response) openai.Usage {
	if resp.Usage != nil {
		return *resp.Usage
	}
	prompt := 0
	for _, m := range req.Messages {
		prompt += len(strings.Fields(m.Content))
	}
	completion := len(strings.Fields(resp.Text))
	return openai.Usage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion}
}
