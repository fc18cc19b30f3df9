package retrieval

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"sort"
	"testing"
)

// zipfCorpus makes n passages of 20 to 100 terms drawn from a Zipf law over
// vocab words, as word frequencies in text go: the first few words occur in
// most passages.
func zipfCorpus(rng *rand.Rand, n, vocab int) [][]termCount {
	z := rand.NewZipf(rng, 1.1, 2, uint64(vocab-1))
	docs := make([][]termCount, n)
	terms := make([]string, 0, 100)
	for i := range docs {
		terms = terms[:0]
		for range 20 + rng.IntN(81) {
			terms = append(terms, zipfWord(int(z.Uint64())))
		}
		docs[i] = countTerms(terms)
	}
	return docs
}

func zipfWord(r int) string { return fmt.Sprintf("t%d", r) }

// zipfQuery draws a query as users write them: a couple of common words,
// a couple of middling ones and a rare one, sometimes weighted below 1 (an
// expansion) or repeated.
func zipfQuery(rng *rand.Rand, vocab int) []weightedTerm {
	q := []weightedTerm{
		{zipfWord(rng.IntN(20)), 1}, {zipfWord(rng.IntN(200)), 1},
		{zipfWord(100 + rng.IntN(2000)), 1}, {zipfWord(500 + rng.IntN(5000)), 0.5},
		{zipfWord(2000 + rng.IntN(vocab-2000)), 1},
	}
	if rng.IntN(4) == 0 {
		q = append(q, q[rng.IntN(len(q))])
	}
	return q
}

// reference scores every passage from its term counts, in float64, and
// sorts them all: BM25 written down plainly, to check the index against.
type reference struct {
	docs [][]termCount
	df   map[string]int
	lens []int
	avg  float64
}

func newReference(docs [][]termCount) *reference {
	r := &reference{docs: docs, df: map[string]int{}, lens: make([]int, len(docs))}
	total := 0
	for i, d := range docs {
		for _, tc := range d {
			r.df[tc.Term]++
			r.lens[i] += int(tc.Count)
		}
		total += r.lens[i]
	}
	r.avg = float64(total) / float64(len(docs))
	return r
}

func (r *reference) top(q []weightedTerm, n int, keep func(int) bool) []scored {
	w := map[string]float64{}
	for _, t := range q {
		if df := float64(r.df[t.Term]); df > 0 {
			idf := math.Log(1 + (float64(len(r.docs))-df+0.5)/(df+0.5))
			w[t.Term] = max(w[t.Term], t.Weight*idf)
		}
	}
	var out []scored
	for i, d := range r.docs {
		if keep != nil && !keep(i) {
			continue
		}
		s := 0.0
		for _, tc := range d {
			if wt, ok := w[tc.Term]; ok {
				tf := float64(tc.Count)
				s += wt * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*float64(r.lens[i])/r.avg))
			}
		}
		if s > 0 {
			out = append(out, scored{i, float32(s)})
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Score != out[b].Score {
			return out[a].Score > out[b].Score
		}
		return out[a].Doc < out[b].Doc
	})
	return out[:min(n, len(out))]
}

// TestBM25PruningIsExact: the pruned top n is the exhaustive top n, passage
// for passage and bit for bit, over random queries, depths and filters;
// both agree with an independent float64 scoring of every passage; score
// gives each passage the score top gave it.
func TestBM25PruningIsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const vocab = 5000
	docs := zipfCorpus(rng, 2000, vocab)
	ix, _ := newBM25(docs)
	ref := newReference(docs)
	pruned := 0
	for i := 0; i < 300; i++ {
		q := zipfQuery(rng, vocab)
		n := []int{1, 5, 60, 240, 5000}[rng.IntN(5)]
		var keep func(int) bool
		if rng.IntN(3) == 0 {
			m := 2 + rng.IntN(5)
			keep = func(d int) bool { return d%m != 0 }
		}
		bq := ix.query(q)
		var st bm25Stats
		bq.stats = &st
		got := bq.top(n, keep)
		if st.pruned {
			pruned++
		}
		bq.stats = nil
		bq.exhaustive = true
		want := bq.top(n, keep)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("query %v, n %d: pruned\n%v\nexhaustive\n%v", q, n, got, want)
		}
		if fmt.Sprint(ix.top(q, n, keep)) != fmt.Sprint(got) {
			t.Fatalf("query %v: top differs from query().top", q)
		}
		for _, s := range got {
			if sc := bq.score(s.Doc); sc != s.Score {
				t.Fatalf("query %v: score(%d) = %v, top gave %v", q, s.Doc, sc, s.Score)
			}
		}
		ref := ref.top(q, n, keep)
		if len(ref) != len(got) {
			t.Fatalf("query %v, n %d: %d results, reference %d", q, n, len(got), len(ref))
		}
		for j := range ref {
			if math.Abs(float64(ref[j].Score-got[j].Score)) > 1e-4*float64(ref[j].Score) {
				t.Fatalf("query %v, rank %d: score %v, reference %v", q, j, got[j], ref[j])
			}
		}
	}
	t.Logf("%d of 300 queries pruned", pruned)
	if pruned == 0 {
		t.Fatal("no query was pruned: the test doesn't exercise the pruning")
	}
}

func TestBM25Basics(t *testing.T) {
	docs := [][]termCount{
		countTerms([]string{"iran", "missil"}),
		countTerms([]string{"whale"}),
		countTerms([]string{"iran", "iran", "talk"}),
		nil,
	}
	ix, terms := newBM25(docs)
	if got := fmt.Sprint(terms.unpack(2, nil)); got != "[{iran 2} {talk 1}]" || terms.len(3) != 0 {
		t.Fatalf("term lists: passage 2 has %s, passage 3 %d terms", got, terms.len(3))
	}
	if ix.df("iran") != 2 || ix.df("nothing") != 0 || ix.idf("nothing") <= ix.idf("whale") {
		t.Fatalf("df/idf wrong: df(iran)=%d", ix.df("iran"))
	}
	if got := ix.top(plainTerms([]string{"iran"}), 0, nil); got != nil {
		t.Fatalf("n=0: %v", got)
	}
	if got := ix.top(plainTerms([]string{"absent"}), 5, nil); got != nil {
		t.Fatalf("unknown term: %v", got)
	}
	got := ix.top(plainTerms([]string{"iran", "talk"}), 10, nil)
	if len(got) != 2 || got[0].Doc != 2 || got[1].Doc != 0 {
		t.Fatalf("top = %v", got)
	}
	if got := ix.top(plainTerms([]string{"iran"}), 10, func(d int) bool { return d != 2 }); len(got) != 1 || got[0].Doc != 0 {
		t.Fatalf("filtered top = %v", got)
	}
	// A weight scales a term's part; a term given twice counts once.
	one := ix.top([]weightedTerm{{"whale", 1}}, 1, nil)[0].Score
	half := ix.top([]weightedTerm{{"whale", 0.5}, {"whale", 0.25}}, 1, nil)[0].Score
	if math.Abs(float64(half-one/2)) > 1e-6 {
		t.Fatalf("weight 0.5: %v, weight 1: %v", half, one)
	}
	if s := ix.query(plainTerms([]string{"whale"})).score(0); s != 0 {
		t.Fatalf("score of a passage without the term = %v", s)
	}
}

// BenchmarkBM25 ranks the top 60 passages for a query on Zipf-distributed
// synthetic corpora: the old way (a score slice for every passage, then a
// heap over all of it), every posting of the query's terms, and with
// MaxScore pruning (the default).
func BenchmarkBM25(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("passages=%d", n), func(b *testing.B) {
			if n > 300_000 && os.Getenv("NEWSBOT_BENCH_1M") == "" {
				b.Skip("set NEWSBOT_BENCH_1M=1")
			}
			rng := rand.New(rand.NewPCG(13, 14))
			const vocab = 50_000
			docs := zipfCorpus(rng, n, vocab)
			ix, _ := newBM25(docs)
			docs = nil
			queries := make([][]weightedTerm, 64)
			for i := range queries {
				queries[i] = zipfQuery(rng, vocab)
			}
			for _, mode := range []string{"dense", "exhaustive", "pruned"} {
				b.Run("mode="+mode, func(b *testing.B) {
					b.ReportAllocs()
					var st bm25Stats
					i := 0
					for b.Loop() {
						q := ix.query(queries[i%len(queries)])
						i++
						switch mode {
						case "dense":
							denseTop(ix, q, 60)
						case "exhaustive":
							q.exhaustive = true
							q.stats = &st
							q.top(60, nil)
						default:
							q.stats = &st
							q.top(60, nil)
						}
					}
					if mode != "dense" {
						b.ReportMetric(float64(st.postings)/float64(i), "postings-read/query")
						b.ReportMetric(float64(st.probed)/float64(i), "probes/query")
					}
				})
			}
		})
	}
}

// denseTop is how BM25 ranked before: a fresh score for every passage, the
// postings added in, and a bounded heap over all the scores.
func denseTop(ix *bm25, q bm25Query, n int) []scored {
	scores := make([]float32, ix.n)
	for _, t := range q.terms {
		for p := ix.start[t.id]; p < ix.start[t.id+1]; p++ {
			d := ix.docs[p]
			scores[d] += t.w * ix.part(ix.tfs[p], d)
		}
	}
	top := newTopK(n)
	for d, s := range scores {
		if s > 0 {
			top.push(s, int32(d))
		}
	}
	return top.sorted()
}

// TestMergeKeywordsMatchesRebuild checks that the keyword index a shared
// store's change is applied with (old term lists and postings merged with
// fresh ones) is the one indexing the same passages anew would build,
// through a chain of merges, each from the last one's result.
func TestMergeKeywordsMatchesRebuild(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	doc := func() []termCount {
		var terms []string
		for range 5 + rng.IntN(30) {
			terms = append(terms, fmt.Sprintf("t%d", int(rng.ExpFloat64()*40)))
		}
		return countTerms(terms)
	}
	docs := make([][]termCount, 50)
	for i := range docs {
		docs[i] = doc()
	}
	kw, tl := newBM25(docs)
	for round := range 40 {
		var from []int
		var fresh, all [][]termCount
		add := func() {
			d := doc()
			fresh = append(fresh, d)
			from, all = append(from, -len(fresh)), append(all, d)
		}
		for i := range docs {
			if rng.IntN(5) == 0 {
				add()
			}
			if rng.IntN(4) == 0 {
				continue // removed
			}
			from, all = append(from, i), append(all, docs[i])
		}
		if rng.IntN(2) == 0 {
			add() // after the last
		}
		got, gotKW := mergeKeywords(kw, tl, from, fresh)
		wantKW, want := newBM25(all)
		if !slices.Equal(got.vocab, want.vocab) || !slices.Equal(got.start, want.start) || !slices.Equal(got.ids, want.ids) || !slices.Equal(got.counts, want.counts) {
			t.Fatalf("round %d: merged term lists differ from rebuilt ones", round)
		}
		if !slices.Equal(gotKW.start, wantKW.start) || !slices.Equal(gotKW.docs, wantKW.docs) || !slices.Equal(gotKW.tfs, wantKW.tfs) ||
			!slices.Equal(gotKW.impact, wantKW.impact) || !slices.Equal(gotKW.norm, wantKW.norm) || !slices.Equal(gotKW.docLen, wantKW.docLen) ||
			!slices.Equal(gotKW.terms, wantKW.terms) || gotKW.n != wantKW.n {
			t.Fatalf("round %d: merged postings differ from rebuilt ones", round)
		}
		docs, kw, tl = all, gotKW, got
		if len(docs) < 20 {
			for range 30 {
				docs = append(docs, doc())
			}
			kw, tl = newBM25(docs)
		}
	}
}
