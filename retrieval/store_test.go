package retrieval

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	chromem "github.com/philippgille/chromem-go"

	"github.com/newsbot/newsbot/internal/testkit"
)

// chromemStore searches a snapshot's chromem-go collection with its own
// QueryEmbedding: what the contiguous scan must agree with.
type chromemStore struct {
	col  *chromem.Collection
	byID map[string]int
}

func (c chromemStore) Nearest(ctx context.Context, q []float32, n int, keep func(int) bool) ([]Neighbor, error) {
	want := n
	if keep != nil {
		// chromem-go can't apply the filter itself and ranks every vector
		// anyway: ask for all of them and filter here.
		n = c.col.Count()
	}
	// chromem-go errors when asked for more results than it holds: clamp.
	n = min(n, c.col.Count())
	if n <= 0 {
		return nil, nil
	}
	res, err := c.col.QueryEmbedding(ctx, q, n, nil, nil)
	if err != nil {
		return nil, fmt.Errorf("vector query: %w", err)
	}
	out := make([]Neighbor, 0, len(res))
	for _, r := range res {
		i, ok := c.byID[r.ID]
		if !ok || (keep != nil && !keep(i)) {
			continue
		}
		out = append(out, Neighbor{Index: i, Similarity: r.Similarity})
		if len(out) == want {
			break
		}
	}
	return out, nil
}

// withChromemQueries returns a copy of ix whose live snapshot searches its
// vectors with chromem-go's QueryEmbedding.
func withChromemQueries(ix *Index) *Index {
	live := ix.cur.Load()
	s := snapshot{manifest: live.manifest, passages: live.passages, byID: live.byID, articles: live.articles, chunks: live.chunks,
		mapping: live.mapping, kw: live.kw, terms: live.terms, sources: live.sources, unpacked: live.unpacked}
	s.vectors = chromemStore{col: mustCollection(live), byID: s.byID}
	other := &Index{dir: ix.dir, emb: ix.emb, chunk: ix.chunk, load: ix.load, log: ix.log, stem: ix.stem, quantizeAbove: ix.quantizeAbove}
	other.cur.Store(&s)
	return other
}

// mustCollection is s's chromem-go collection; it panics when chromem-go
// refuses it.
func mustCollection(s *snapshot) *chromem.Collection {
	col, err := s.collection()
	if err != nil {
		panic(err)
	}
	return col
}

func randomUnitVectors(rng *rand.Rand, n, dim int) []float32 {
	vecs := make([]float32, n*dim)
	for i := range vecs {
		vecs[i] = float32(rng.NormFloat64())
	}
	for i := 0; i < n; i++ {
		Normalize(vecs[i*dim : (i+1)*dim])
	}
	return vecs
}

// TestKernelsMatchPortable: the assembly dot products give the portable
// versions' results, exactly for bytes and to rounding for floats, at every
// dimension the kernels take and some they hand back.
func TestKernelsMatchPortable(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2 on this machine: the portable versions are the only ones")
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for _, dim := range []int{32, 64, 96, 256, 384, 1536, 100} {
		const rows = 37
		vecs := randomUnitVectors(rng, rows, dim)
		q := randomUnitVectors(rng, 1, dim)
		got := make([]float32, rows)
		dotRows(q, vecs, got)
		for r := range got {
			want := dot4(q, vecs[r*dim:(r+1)*dim])
			if d := got[r] - want; d > 1e-5 || d < -1e-5 {
				t.Fatalf("dim %d row %d: %v, want %v", dim, r, got[r], want)
			}
		}
		codes := make([]uint8, rows*dim)
		for i := range codes {
			codes[i] = uint8(rng.IntN(256))
		}
		qc := make([]int8, dim)
		for i := range qc {
			qc[i] = int8(rng.IntN(129) - 64)
		}
		// The extremes, where 16-bit pair sums would overflow first.
		codes[0], codes[1], qc[0], qc[1] = 255, 255, 64, 64
		codes[dim], codes[dim+1], qc[2], qc[3] = 255, 255, -64, -64
		gotI := make([]int32, rows)
		dotRowsU8(qc, codes, gotI)
		for r := range gotI {
			if want := dotU8(qc, codes[r*dim:(r+1)*dim]); gotI[r] != want {
				t.Fatalf("dim %d row %d: %d, want %d", dim, r, gotI[r], want)
			}
		}
	}
}

// TestScanFindsTheNearest: the exact scan returns what sorting every
// similarity returns, with and without a filter, split across workers or
// not, with the assembly kernels (64 dimensions) and the portable ones
// (100); the quantised scan agrees on random vectors.
func TestScanFindsTheNearest(t *testing.T) {
	for _, dim := range []int{64, 100} {
		t.Run(fmt.Sprintf("dim=%d", dim), func(t *testing.T) { testScan(t, dim) })
	}
}

func testScan(t *testing.T, dim int) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, rows := range []int{1, 7, 5000} {
		vecs := randomUnitVectors(rng, rows, dim)
		exact := newFlatStore(vecs, dim, false)
		q8 := newFlatStore(vecs, dim, true)
		for _, keep := range []func(int) bool{nil, func(i int) bool { return i%3 == 0 }} {
			q := randomUnitVectors(rng, 1, dim)
			var want []Neighbor
			for i := 0; i < rows; i++ {
				if keep == nil || keep(i) {
					want = append(want, Neighbor{i, dot4(q, vecs[i*dim:(i+1)*dim])})
				}
			}
			slices.SortFunc(want, func(a, b Neighbor) int {
				if a.Similarity != b.Similarity {
					if a.Similarity > b.Similarity {
						return -1
					}
					return 1
				}
				return a.Index - b.Index
			})
			want = want[:min(len(want), 10)]
			for name, st := range map[string]*flatStore{"exact": exact, "int8": q8} {
				got, err := st.Nearest(context.Background(), q, 10, keep)
				if err != nil {
					t.Fatal(err)
				}
				if fmt.Sprint(indexes(got)) != fmt.Sprint(indexes(want)) {
					t.Errorf("%s scan, %d rows, filter %v: %v, want %v", name, rows, keep != nil, indexes(got), indexes(want))
				}
				for i := range got {
					if d := got[i].Similarity - want[i].Similarity; d > 1e-5 || d < -1e-5 {
						t.Errorf("%s scan: similarity %v, want %v", name, got[i].Similarity, want[i].Similarity)
					}
				}
			}
		}
	}
}

func indexes(ns []Neighbor) []int {
	out := make([]int, len(ns))
	for i, n := range ns {
		out[i] = n.Index
	}
	return out
}

// TestQuantizedRecall measures recall@10 of the quantised scan against the
// exact one on random unit vectors, the hardest case for it (no structure,
// small gaps between neighbours).
func TestQuantizedRecall(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	const dim, rows, queries = 256, 20_000, 50
	vecs := randomUnitVectors(rng, rows, dim)
	exact := newFlatStore(vecs, dim, false)
	q8 := newFlatStore(vecs, dim, true)
	r := recallAt10(t, exact, q8, randomUnitVectors(rng, queries, dim), dim)
	t.Logf("recall@10 of the quantised scan: %.4f", r)
	if r < 0.99 {
		t.Fatalf("recall@10 = %.4f, want >= 0.99", r)
	}
}

// recallAt10 is the share of the exact scan's top 10 that the other finds,
// over the queries (rows of qs).
func recallAt10(tb testing.TB, exact, other VectorStore, qs []float32, dim int) float64 {
	tb.Helper()
	found, total := 0, 0
	for i := 0; i < len(qs)/dim; i++ {
		q := qs[i*dim : (i+1)*dim]
		want, err := exact.Nearest(context.Background(), q, 10, nil)
		if err != nil {
			tb.Fatal(err)
		}
		got, err := other.Nearest(context.Background(), q, 10, nil)
		if err != nil {
			tb.Fatal(err)
		}
		in := map[int]bool{}
		for _, g := range got {
			in[g.Index] = true
		}
		for _, w := range want {
			total++
			if in[w.Index] {
				found++
			}
		}
	}
	return float64(found) / float64(max(total, 1))
}

// TestChromemSharesTheBlock: the collection's documents are the passages'
// rows, not copies.
func TestChromemSharesTheBlock(t *testing.T) {
	ix := openTest(t, t.TempDir(), nil)
	if _, err := ix.Reindex(context.Background(), fixtureCorpus(t), nil); err != nil {
		t.Fatal(err)
	}
	s := ix.cur.Load()
	col := mustCollection(s)
	if col.Count() != len(s.passages) {
		t.Fatalf("%d documents for %d passages", col.Count(), len(s.passages))
	}
	for _, p := range s.passages {
		res, err := col.QueryEmbedding(context.Background(), p.vec, 1, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res[0].ID != p.ID || &res[0].Embedding[0] != &p.vec[0] {
			t.Fatalf("passage %s: chromem-go holds a copy of its vector", p.ID)
		}
	}
}

// TestQuantizedOnDevSets compares the quantised scan with the exact one on
// the BBC index, for the questions of the evaluation sets: recall@10 of
// the vector search, and how many of the hybrid search's top 10 and of
// the relevant articles' hits in the top 5 stay the same.
func TestQuantizedOnDevSets(t *testing.T) {
	bbc := testkit.BBC(t)
	if testing.Short() {
		t.Skip("indexes 2,225 articles")
	}
	sets := []string{"../testdata/eval/bbc-claims.jsonl"}
	if dev := filepath.Join(filepath.Dir(filepath.Dir(bbc)), "eval", "bbc-dev.jsonl"); fileExists(dev) {
		sets = append(sets, dev)
	}
	ix := openTest(t, t.TempDir(), nil)
	if _, err := ix.Reindex(context.Background(), bbc, nil); err != nil {
		t.Fatal(err)
	}
	exact := withScan(ix, "float32")
	q8 := withScan(ix, "int8")
	s, s8 := exact.cur.Load(), q8.cur.Load()
	for _, set := range sets {
		type question struct {
			Question string   `json:"question"`
			Relevant []string `json:"relevant"`
		}
		var questions []question
		data, err := os.ReadFile(set)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var q question
			if err := json.Unmarshal([]byte(line), &q); err != nil {
				t.Fatal(err)
			}
			questions = append(questions, q)
		}
		var qs []float32
		sameTop, total, hitsExact, hits8 := 0, 0, 0, 0
		for _, q := range questions {
			v, err := exact.embedQuery(context.Background(), s, q.Question, exact.analyze(s, q.Question))
			if err != nil {
				t.Fatal(err)
			}
			qs = append(qs, v...)
			a, err := exact.Search(context.Background(), Query{Text: q.Question, K: 10})
			if err != nil {
				t.Fatal(err)
			}
			b, err := q8.Search(context.Background(), Query{Text: q.Question, K: 10})
			if err != nil {
				t.Fatal(err)
			}
			in := map[string]bool{}
			for _, r := range b {
				in[r.ID] = true
			}
			for _, r := range a {
				total++
				if in[r.ID] {
					sameTop++
				}
			}
			hitsExact += relevantInTop(a, q.Relevant, 5)
			hits8 += relevantInTop(b, q.Relevant, 5)
		}
		r := recallAt10(t, s.vectors, s8.vectors, qs, s.manifest.Embedder.Dim)
		t.Logf("%s (%d questions): vector recall@10 %.4f; hybrid top 10 shared %.4f; relevant article in the top 5: exact %d, int8 %d",
			filepath.Base(set), len(questions), r, float64(sameTop)/float64(total), hitsExact, hits8)
		if r < 0.99 {
			t.Errorf("%s: recall@10 of the quantised scan %.4f, want >= 0.99", set, r)
		}
	}
}

func relevantInTop(rs []Result, relevant []string, k int) int {
	for i, r := range rs {
		if i == k {
			break
		}
		for _, id := range relevant {
			if r.ArticleID == id || strings.HasSuffix(id, "/"+r.ArticleID) {
				return 1
			}
		}
	}
	return 0
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
