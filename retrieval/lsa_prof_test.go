package retrieval

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/newsbot/newsbot/internal/corpora"
	"github.com/newsbot/newsbot/retrieval/article"
)

func TestLSAProfTmp(t *testing.T) {
	if os.Getenv("LSAPROF") == "" {
		t.Skip()
	}
	arts, _, _ := article.LoadDir(context.Background(), corpora.BBC(t), article.Options{})
	var texts []string
	for _, a := range arts {
		texts = append(texts, a.Title+"\n\n"+a.Text)
	}
	st := newStemmer()
	var docs [][]string
	for _, x := range texts {
		docs = append(docs, st.terms(x))
	}
	idx := map[string]int32{}
	for _, d := range docs {
		for _, w := range d {
			if _, ok := idx[w]; !ok && len(idx) < 13000 {
				idx[w] = int32(len(idx))
			}
		}
	}
	t0 := time.Now()
	sp, _ := ppmiMatrix(context.Background(), docs, idx, LSAOptions{}.withDefaults())
	t.Logf("nnz %d in %v", sp.nnz(), time.Since(t0))
	start := time.Now()
	m, err := TrainLSA(context.Background(), texts, LSAOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d terms in %v", m.Len(), time.Since(start))
}
