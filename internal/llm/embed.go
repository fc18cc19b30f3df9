package llm

import (
	"context"
	"errors"
	"fmt"

	openai "github.com/sashabaranov/go-openai"
	"golang.org/x/sync/errgroup"
)

// Embed returns one vector per text, in the order of texts, from the named
// embeddings model. Texts are sent in batches of Config.EmbedBatch, several
// batches at once within Config.MaxConcurrent, each retried as Chat's
// attempts are. The vectors are returned as the server sent them (not
// normalised). Every vector has the same dimension, or Embed fails. Texts
// must not be empty, as the API rejects empty input. An error names the
// batch and the range of texts it held.
func (c *Client) Embed(ctx context.Context, model string, texts []string) ([][]float32, error) {
	if model == "" {
		return nil, errors.New("embed: no model given")
	}
	for i, t := range texts {
		if t == "" {
			return nil, fmt.Errorf("embed: text %d is empty", i)
		}
	}
	if len(texts) == 0 {
		return [][]float32{}, nil
	}

	out := make([][]float32, len(texts))
	batches := (len(texts) + c.embedBatch - 1) / c.embedBatch
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(c.maxConcurrent)
	for b := range batches {
		lo := b * c.embedBatch
		hi := min(lo+c.embedBatch, len(texts))
		g.Go(func() error {
			op := fmt.Sprintf("embed batch %d of %d (texts %d-%d)", b+1, batches, lo, hi-1)
			var vecs [][]float32
			_, err := c.retry(gctx, op, func(actx context.Context) error {
				var err error
				vecs, err = c.embedOnce(actx, model, texts[lo:hi])
				return err
			})
			if err != nil {
				return err
			}
			copy(out[lo:hi], vecs)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, c.safe(err)
	}

	dim := len(out[0])
	for i, v := range out {
		if len(v) != dim {
			return nil, fmt.Errorf("embed: %w: text %d has dimension %d, text 0 has %d",
				ErrMalformedResponse, i, len(v), dim)
		}
	}
	return out, nil
}

// embedOnce sends one batch and puts the vectors back in the batch's order
// by their index, checking that each text got exactly one non-empty vector.
func (c *Client) embedOnce(ctx context.Context, model string, batch []string) ([][]float32, error) {
	resp, err := c.api.CreateEmbeddings(ctx, openai.EmbeddingRequest{
		Input: batch,
		Model: openai.EmbeddingModel(model),
	})
	if err != nil {
		return nil, err
	}
	if len(resp.Data) != len(batch) {
		return nil, fmt.Errorf("%w: %d vectors for %d texts", ErrMalformedResponse, len(resp.Data), len(batch))
	}
	vecs := make([][]float32, len(batch))
	for _, d := range resp.Data {
		switch {
		case d.Index < 0 || d.Index >= len(batch):
			return nil, fmt.Errorf("%w: vector index %d out of range for %d texts", ErrMalformedResponse, d.Index, len(batch))
		case vecs[d.Index] != nil:
			return nil, fmt.Errorf("%w: vector index %d repeated", ErrMalformedResponse, d.Index)
		case len(d.Embedding) == 0:
			return nil, fmt.Errorf("%w: empty vector at index %d", ErrMalformedResponse, d.Index)
		}
		vecs[d.Index] = d.Embedding
	}
	return vecs, nil
}
