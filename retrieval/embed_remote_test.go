package retrieval

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/newsbot/newsbot/internal/fakeopenai"
	"github.com/newsbot/newsbot/internal/llm"
)

// TestRemoteEmbedderEndToEnd indexes through the real OpenAI client against
// a fake embeddings endpoint, then makes the endpoint fail during a
// reindex: the reindex reports the failure and the old index keeps serving.
func TestRemoteEmbedderEndToEnd(t *testing.T) {
	srv := fakeopenai.New(t)
	srv.SetDim(64)
	client, err := llm.New(llm.Config{BaseURL: srv.URL, APIKey: "sk-embed-secret", MaxRetries: 1, BackoffBase: time.Millisecond, Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	emb := NewRemoteEmbedder(client, "fake-embed")
	if err := emb.Probe(context.Background()); err != nil {
		t.Fatal(err)
	}
	if emb.Info().Dim != 64 {
		t.Fatalf("dimension learnt: %d", emb.Info().Dim)
	}
	corpus := fixtureCorpus(t)
	data := t.TempDir()
	ix := openTest(t, data, emb)
	sum, err := ix.Reindex(context.Background(), corpus, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res := search(t, ix, "humpback whales", 1); len(res) == 0 || res[0].ArticleID != "world/whales" {
		t.Fatalf("search with remote vectors: %v", ids(res))
	}

	writeFile(t, filepath.Join(corpus, "world/new.txt"), "New story\n\nSomething happened.")
	srv.QueueEmbeddings(fakeopenai.EmbedResponse{Status: 500}, fakeopenai.EmbedResponse{Status: 500})
	_, err = ix.Reindex(context.Background(), corpus, nil)
	if err == nil || !strings.Contains(err.Error(), "embeddings endpoint") {
		t.Fatalf("reindex with a failing endpoint: err = %v", err)
	}
	if strings.Contains(err.Error(), "sk-embed-secret") {
		t.Fatal("the API key leaked into the error")
	}
	// Queries keep working while the endpoint is down (keywords only).
	srv.QueueEmbeddings(fakeopenai.EmbedResponse{Status: 500}, fakeopenai.EmbedResponse{Status: 500})
	if res := search(t, ix, "humpback whales", 1); len(res) == 0 || res[0].ArticleID != "world/whales" {
		t.Fatalf("search while the endpoint is down: %v", ids(res))
	}
	if got := ix.Stats().Passages; got != sum.Passages {
		t.Fatalf("old index not serving: %d passages, want %d", got, sum.Passages)
	}
	if res := search(t, ix, "oil prices", 1); len(res) == 0 || res[0].ArticleID != "business/oil" {
		t.Fatalf("old index search after the failure: %v", ids(res))
	}
}
