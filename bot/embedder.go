package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/newsbot/newsbot/answer"
	"github.com/newsbot/newsbot/internal/llm"
	"github.com/newsbot/newsbot/retrieval"
	"github.com/newsbot/newsbot/retrieval/article"
	"github.com/newsbot/newsbot/retrieval/lsa"
)

// embedder builds the embedder the configuration asks for: a model of an
// OpenAI-compatible embeddings endpoint when index.embed_model names one,
// else the local hashing embedder, or with index.embedder = "lsa" the
// hashing embedder joined by word vectors learnt from the corpus (the model
// is trained on the first run and kept as lsa.model in dataDir).
func (c *cli) embedder(ctx context.Context, dataDir, corpus string) (retrieval.Embedder, error) {
	model := c.cfg.Index.EmbedModel
	if model == "" {
		if c.cfg.Index.Embedder == "lsa" {
			return c.lsaEmbedder(ctx, dataDir, corpus)
		}
		return retrieval.NewLocalEmbedder(0), nil
	}
	base := firstNonEmpty(c.cfg.Index.EmbedBaseURL, c.cfg.OpenAI.BaseURL)
	key := firstNonEmpty(c.cfg.Index.EmbedAPIKey, c.cfg.OpenAI.APIKey)
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
	if c.cfg.Answer.Offline {
		return nil, nil
	}
	base, key := c.cfg.OpenAI.BaseURL, c.cfg.OpenAI.APIKey
	if base == "" && key == "" {
		return nil, nil
	}
	return llm.New(llm.Config{BaseURL: base, APIKey: key, Model: c.cfg.OpenAI.Model,
		Timeout: c.cfg.OpenAI.Timeout, Logger: c.log})
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

// lsaModelFile is the LSA model's file in the data folder. Deleting it
// retrains the model on the next run, which re-embeds every passage.
const lsaModelFile = "lsa.model"

// lsaEmbedder loads the LSA model from dataDir, or trains it on corpus and
// saves it when there is none (or it is damaged).
func (c *cli) lsaEmbedder(ctx context.Context, dataDir, corpus string) (retrieval.Embedder, error) {
	path := filepath.Join(dataDir, lsaModelFile)
	m, err := lsa.LoadModel(path)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			c.log.Warn("the LSA model is unreadable; training a new one", "file", path, "err", err)
		}
		if err := checkCorpus(corpus); err != nil {
			return nil, fmt.Errorf("train the LSA model: %w", err)
		}
		arts, _, err := article.LoadDir(ctx, corpus, c.loadOptions())
		if err != nil {
			return nil, fmt.Errorf("train the LSA model: %w", err)
		}
		texts := make([]string, len(arts))
		for i, a := range arts {
			texts[i] = a.Title + "\n\n" + a.Text
		}
		if m, err = lsa.Train(ctx, texts, lsa.Options{}); err != nil {
			return nil, fmt.Errorf("train the LSA model on %s: %w", corpus, err)
		}
		if err := os.MkdirAll(dataDir, 0o755); err != nil {
			return nil, fmt.Errorf("save the LSA model: %w", err)
		}
		if err := m.Save(path); err != nil {
			return nil, err
		}
	}
	return lsa.New(m, lsa.EmbedOptions{}), nil
}
