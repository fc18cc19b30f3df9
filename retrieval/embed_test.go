package retrieval

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"
	"testing"

	"github.com/newsbot/newsbot/retrieval/text"
)

// recordingWordEmbedder is a word embedder that counts the passages given
// to each of its methods.
type recordingWordEmbedder struct {
	*LocalEmbedder
	texts, words atomic.Int64
}

func (e *recordingWordEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if len(texts) > 1 { // queries embed one text; count passages only
		e.texts.Add(int64(len(texts)))
	}
	return e.LocalEmbedder.Embed(ctx, texts)
}

func (e *recordingWordEmbedder) EmbedWords(ctx context.Context, words [][]text.Word) ([][]float32, error) {
	e.words.Add(int64(len(words)))
	return e.LocalEmbedder.EmbedWords(ctx, words)
}

// TestIndexTokenisesOnce: an index embeds the passages of a WordEmbedder
// from the words it tokenised for the keyword index, and the vectors are
// the ones Embed makes of the passages' texts. (Package lsa checks the
// same of its embedder's EmbedWords.)
func TestIndexTokenisesOnce(t *testing.T) {
	emb := &recordingWordEmbedder{LocalEmbedder: NewLocalEmbedder(0)}
	ix := openTest(t, t.TempDir(), emb)
	if ix.stem != emb.Analyzer() {
		t.Error("the index does not tokenise with the word embedder's analyzer")
	}
	sum, err := ix.Reindex(context.Background(), fixtureCorpus(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if emb.words.Load() != int64(sum.Embedded) || emb.texts.Load() != 0 {
		t.Fatalf("%d passages embedded from words and %d from texts, want all %d from words", emb.words.Load(), emb.texts.Load(), sum.Embedded)
	}
	s := ix.cur.Load()
	for i, p := range s.passages {
		v, err := emb.LocalEmbedder.Embed(context.Background(), []string{embedText(p.Passage)})
		if err != nil {
			t.Fatal(err)
		}
		// To rounding: the hashing embedder adds colliding features in
		// map order.
		want := usableVector(v[0])
		for j := range want {
			if math.Abs(float64(want[j]-p.vec[j])) > 1e-6 {
				t.Fatalf("passage %s: component %d is %v, Embed gives %v", p.ID, j, p.vec[j], want[j])
			}
		}
		if got, want := fmt.Sprint(s.passageTerms(i)), fmt.Sprint(countTerms(ix.stem.Terms(embedText(p.Passage)))); got != want {
			t.Fatalf("passage %s: terms %s, want %s", p.ID, got, want)
		}
	}

	// A wrapper that changes Embed is not a word embedder: the index
	// embeds through it.
	wrapper := &countingEmbedder{Embedder: NewLocalEmbedder(0)}
	if _, ok := Embedder(wrapper).(WordEmbedder); ok {
		t.Fatal("a wrapper of the local embedder is embedded from words, bypassing its Embed")
	}
	ix = openTest(t, t.TempDir(), wrapper)
	sum, err = ix.Reindex(context.Background(), fixtureCorpus(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := wrapper.n.Load(); n != int64(sum.Embedded) || n == 0 {
		t.Fatalf("the wrapper's Embed embedded %d passages of %d", n, sum.Embedded)
	}
}
