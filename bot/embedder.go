package main

import (
	"context"
	"fmt"
	"time"

	"github.com/newsbot/newsbot/answer"
	"github.com/newsbot/newsbot/internal/llm"
	"github.com/newsbot/newsbot/retrieval"
)

// embedder builds the embedder the environment asks for: the local one
// unless NEWSBOT_EMBED_MODEL names a model of an OpenAI-compatible
// embeddings endpoint.
func (c *cli) embedder(ctx context.Context) (retrieval.Embedder, error) {
	model := c.getenv("NEWSBOT_EMBED_MODEL")
	if model == "" {
		return retrieval.NewLocalEmbedder(0), nil
	}
	base := firstNonEmpty(c.getenv("NEWSBOT_EMBED_BASE_URL"), c.getenv("OPENAI_BASE_URL"))
	key := firstNonEmpty(c.getenv("NEWSBOT_EMBED_API_KEY"), c.getenv("OPENAI_API_KEY"))
	client, err := llm.New(llm.Config{BaseURL: base, APIKey: key, Timeout: 60 * time.Second, Logger: c.logger()})
	if err != nil {
		return nil, err
	}
	emb := retrieval.NewRemoteEmbedder(client, model)
	// Learn the dimension now, and fail early and clearly when the endpoint
	// can't be reached.
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := emb.Probe(pctx); err != nil {
		return nil, fmt.Errorf("cannot use the embeddings endpoint %s: %w", client.BaseURL(), err)
	}
	return emb, nil
}

// chatModel returns the configured chat model, or nil for offline mode:
// offline unless OPENAI_API_KEY or OPENAI_BASE_URL is set (or forced with
// NEWSBOT_OFFLINE=1).
func (c *cli) chatModel() (*llm.Client, error) {
	if c.getenv("NEWSBOT_OFFLINE") == "1" {
		return nil, nil
	}
	base, key := c.getenv("OPENAI_BASE_URL"), c.getenv("OPENAI_API_KEY")
	if base == "" && key == "" {
		return nil, nil
	}
	model := firstNonEmpty(c.getenv("OPENAI_MODEL"), "gpt-4o-mini")
	return llm.New(llm.Config{BaseURL: base, APIKey: key, Model: model, Timeout: 45 * time.Second, Logger: c.logger()})
}

// engine builds the answer engine over ix; k <= 0 keeps the default.
func (c *cli) engine(ix *retrieval.Index, k int) (*answer.Engine, error) {
	model, err := c.chatModel()
	if err != nil {
		return nil, err
	}
	cfg := answer.Config{K: k, Logger: c.logger()}
	if model != nil {
		cfg.Model = model
		cfg.ModelName = model.Model()
	}
	return answer.New(ix, cfg)
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
