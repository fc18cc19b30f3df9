package llm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	openai "github.com/sashabaranov/go-openai"
)

// ChatRequest is one chat completion to make.
type ChatRequest struct {
	Messages []openai.ChatCompletionMessage
	// MaxTokens caps the completion; 0 leaves it to the server. For models
	// that refuse max_tokens (OpenAI's o-series and gpt-5), it is sent as
	// max_completion_tokens.
	MaxTokens int
	// Temperature 0 leaves it to the server's default (go-openai omits a
	// zero). It is dropped for models that accept no other value than 1.
	Temperature float32
	// Model overrides Config.Model when not empty.
	Model string
}

// ChatResult is a completion and what it cost.
type ChatResult struct {
	// Text is the completion; after ErrStreamInterrupted, the part that
	// reached the caller.
	Text string
	// Model is the model that answered, as the server named it.
	Model string
	// FinishReason is the server's reason for stopping, such as "stop" or
	// "length"; empty if it sent none.
	FinishReason string
	// PromptTokens and CompletionTokens are the server's counts, or 0 when
	// it did not report usage.
	PromptTokens     int
	CompletionTokens int
	// Attempts is the number of requests made, retries included.
	Attempts int
}

// Chat asks the model for a completion of req.Messages.
//
// With onDelta nil it makes a plain request. Otherwise it streams the reply
// and calls onDelta with each piece of text as it arrives, in order, on the
// calling goroutine; onDelta should return quickly, since the attempt's
// timeout and concurrency slot are held meanwhile.
//
// Failed attempts are retried as Retryable describes, each within
// Config.Timeout. Once onDelta has been given text, a failure is not
// retried: Chat returns an error wrapping ErrStreamInterrupted and the text
// received so far in ChatResult.Text, for the caller to decide. A reply with
// no text is ErrEmptyCompletion. The result's Attempts is set in every case.
func (c *Client) Chat(ctx context.Context, req ChatRequest, onDelta func(string)) (ChatResult, error) {
	model := req.Model
	if model == "" {
		model = c.model
	}
	if model == "" {
		return ChatResult{}, errors.New("chat: no model configured")
	}
	if len(req.Messages) == 0 {
		return ChatResult{}, errors.New("chat: no messages")
	}
	oreq := buildChatRequest(model, req)

	var res ChatResult
	attempts, err := c.retry(ctx, "chat", func(actx context.Context) error {
		var err error
		if onDelta == nil {
			res, err = c.chatOnce(actx, oreq)
		} else {
			res, err = c.streamOnce(actx, oreq, onDelta)
		}
		return err
	})
	res.Attempts = attempts
	if res.Model == "" {
		res.Model = model
	}
	if err != nil {
		return res, c.safe(err)
	}
	return res, nil
}

// buildChatRequest makes the go-openai request, moving parameters that
// go-openai would refuse for reasoning models to the form they accept.
func buildChatRequest(model string, req ChatRequest) openai.ChatCompletionRequest {
	r := openai.ChatCompletionRequest{
		Model:       model,
		Messages:    req.Messages,
		MaxTokens:   req.MaxTokens,
		Temperature: req.Temperature,
	}
	v := openai.NewReasoningValidator()
	if errors.Is(v.Validate(r), openai.ErrReasoningModelMaxTokensDeprecated) {
		//lint:ignore SA1019 max_tokens is what Ollama, llama.cpp and vLLM read; only reasoning models get max_completion_tokens.
		r.MaxCompletionTokens, r.MaxTokens = r.MaxTokens, 0
	}
	if err := v.Validate(r); errors.Is(err, openai.ErrReasoningModelLimitationsOther) ||
		errors.Is(err, openai.ErrReasoningSamplingUnsupported) {
		r.Temperature = 0
	}
	return r
}

func (c *Client) chatOnce(ctx context.Context, oreq openai.ChatCompletionRequest) (ChatResult, error) {
	resp, err := c.api.CreateChatCompletion(ctx, oreq)
	if err != nil {
		return ChatResult{}, err
	}
	res := ChatResult{
		Model:            resp.Model,
		PromptTokens:     resp.Usage.PromptTokens,
		CompletionTokens: resp.Usage.CompletionTokens,
	}
	if len(resp.Choices) == 0 {
		return res, fmt.Errorf("%w: the reply has no choices", ErrEmptyCompletion)
	}
	res.Text = resp.Choices[0].Message.Content
	res.FinishReason = string(resp.Choices[0].FinishReason)
	if res.Text == "" {
		return res, fmt.Errorf("%w (finish reason %q)", ErrEmptyCompletion, res.FinishReason)
	}
	return res, nil
}

func (c *Client) streamOnce(ctx context.Context, oreq openai.ChatCompletionRequest, onDelta func(string)) (ChatResult, error) {
	oreq.Stream = true
	oreq.StreamOptions = &openai.StreamOptions{IncludeUsage: true}
	stream, err := c.api.CreateChatCompletionStream(ctx, oreq)
	if err != nil {
		return ChatResult{}, err
	}
	defer stream.Close()

	var (
		res    ChatResult
		text   strings.Builder
		chunks int
	)
	for {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			res.Text = text.String()
			if text.Len() > 0 {
				return res, fmt.Errorf("%w after %d bytes: %w", ErrStreamInterrupted, text.Len(), c.convert(err, 0))
			}
			return res, err
		}
		chunks++
		if chunk.Model != "" {
			res.Model = chunk.Model
		}
		if chunk.Usage != nil {
			res.PromptTokens = chunk.Usage.PromptTokens
			res.CompletionTokens = chunk.Usage.CompletionTokens
		}
		for _, choice := range chunk.Choices {
			if choice.Index != 0 {
				continue
			}
			if d := choice.Delta.Content; d != "" {
				text.WriteString(d)
				onDelta(d)
			}
			if choice.FinishReason != "" {
				res.FinishReason = string(choice.FinishReason)
			}
		}
	}
	res.Text = text.String()
	if res.Text != "" {
		return res, nil
	}
	if ct := stream.Header().Get("Content-Type"); chunks == 0 && !strings.HasPrefix(ct, "text/event-stream") {
		return res, fmt.Errorf("%w: expected an event stream, got Content-Type %q", ErrMalformedResponse, ct)
	}
	return res, fmt.Errorf("%w (finish reason %q)", ErrEmptyCompletion, res.FinishReason)
}
