package main

import (
	"context"
	"fmt"
	"time"

	"github.com/newsbot/newsbot/answer"
	"github.com/newsbot/newsbot/internal/llm"
	"github.com/newsbot/newsbot/retrieval"
)

// embedder builds the embedder the configuration asks for: the local one
// unless index.embed_model names a model of an OpenAI-compatible
// embeddings endpoint.
func (c *cli) embedder(ctx context.Context) (retrieval.Embedder, error) {
	model := c.cfg.String("index.embed_model")
	if model == "" {
		return retrieval.NewLocalEmbedder(0), nil
	}
	base := firstNonEmpty(c.cfg.String("index.embed_base_url"), c.cfg.String("openai.base_url"))
	key := firstNonEmpty(c.cfg.String("index.embed_api_key"), c.cfg.String("openai.api_key"))
	client, err := llm.New(llm.Config{BaseURL: base, APIKey: key, Timeout: 60 * time.Second, Logger: c.log})
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
// offline unless openai.api_key or openai.base_url is set (or forced with
// answer.offline).
func (c *cli) chatModel() (*llm.Client, error) {
	if c.cfg.Bool("answer.offline") {
		return nil, nil
	}
	base, key := c.cfg.String("openai.base_url"), c.cfg.String("openai.api_key")
	if base == "" && key == "" {
		return nil, nil
	}
	return llm.New(llm.Config{BaseURL: base, APIKey: key, Model: c.cfg.String("openai.model"),
		Timeout: c.cfg.Duration("openai.timeout"), Logger: c.log})
}

// engine builds the answer engine over ix; k <= 0 keeps the default.
func (c *cli) engine(ix *retrieval.Index, k int) (*answer.Engine, error) {
	model, err := c.chatModel()
	if err != nil {
		return nil, err
	}
	cfg := answer.Config{K: k, Logger: c.log}
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
