package retrieval

import (
	"context"
	"fmt"
	"sync"
)

// Embeddings is what RemoteEmbedder needs from an OpenAI-compatible client;
// *llm.Client implements it (batching, bounded concurrency, timeouts and
// retries live there).
type Embeddings interface {
	Embed(ctx context.Context, model string, texts []string) ([][]float32, error)
}

// RemoteEmbedder embeds through an OpenAI-compatible embeddings endpoint
// (OpenAI, Ollama, vLLM, llama.cpp server). Its dimension is learnt from the
// first response.
type RemoteEmbedder struct {
	client Embeddings
	model  string

	mu  sync.Mutex
	dim int // guarded by mu; 0 until the first response
}

// NewRemoteEmbedder returns an embedder for model served by client.
func NewRemoteEmbedder(client Embeddings, model string) *RemoteEmbedder {
	return &RemoteEmbedder{client: client, model: model}
}

// Info implements Embedder. Before the first call Dim is 0; Probe fills it.
func (e *RemoteEmbedder) Info() EmbedderInfo {
	e.mu.Lock()
	defer e.mu.Unlock()
	return EmbedderInfo{Name: "openai-compatible", Model: e.model, Dim: e.dim}
}

// Probe embeds one short text to learn the dimension and check that the
// endpoint answers; it returns a clear error when it doesn't.
func (e *RemoteEmbedder) Probe(ctx context.Context) error {
	_, err := e.Embed(ctx, []string{"probe"})
	return err
}

// Embed implements Embedder, normalising the vectors it receives.
func (e *RemoteEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	vecs, err := e.client.Embed(ctx, e.model, texts)
	if err != nil {
		return nil, fmt.Errorf("embeddings endpoint (model %s): %w", e.model, err)
	}
	if len(vecs) != len(texts) {
		return nil, fmt.Errorf("embeddings endpoint returned %d vectors for %d texts", len(vecs), len(texts))
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, v := range vecs {
		if len(v) == 0 {
			return nil, fmt.Errorf("embeddings endpoint returned an empty vector")
		}
		if e.dim == 0 {
			e.dim = len(v)
		}
		if len(v) != e.dim {
			return nil, fmt.Errorf("embeddings endpoint returned %d dims, earlier %d", len(v), e.dim)
		}
		Normalize(v)
	}
	return vecs, nil
}
