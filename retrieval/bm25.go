package retrieval

import (
	"math"
	"sort"
)

// termCount is one term of a passage with its frequency.
type termCount struct {
	Term  string
	Count uint16
}

// countTerms turns a term sequence into sorted (term, count) pairs.
func countTerms(terms []string) []termCount {
	m := make(map[string]int, len(terms))
	for _, t := range terms {
		m[t]++
	}
	out := make([]termCount, 0, len(m))
	for t, c := range m {
		out = append(out, termCount{t, uint16(min(c, math.MaxUint16))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Term < out[j].Term })
	return out
}

// posting is one passage containing a term.
type posting struct {
	doc int32
	tf  uint16
}

// bm25 is an immutable inverted index over the passages of one snapshot,
// scored with Okapi BM25.
type bm25 struct {
	postings map[string][]posting
	docLen   []float32
	avgLen   float32
	n        int
}

const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// newBM25 indexes docs, where docs[i] are the term counts of passage i.
func newBM25(docs [][]termCount) *bm25 {
	ix := &bm25{postings: make(map[string][]posting, 1<<15), docLen: make([]float32, len(docs)), n: len(docs)}
	var total float64
	for i, tcs := range docs {
		l := 0
		for _, tc := range tcs {
			ix.postings[tc.Term] = append(ix.postings[tc.Term], posting{int32(i), tc.Count})
			l += int(tc.Count)
		}
		ix.docLen[i] = float32(l)
		total += float64(l)
	}
	if len(docs) > 0 {
		ix.avgLen = float32(total / float64(len(docs)))
	}
	return ix
}

// idf is the BM25 inverse document frequency of a term (always > 0). A term
// no passage has gets the idf of a term in half a passage: rarer than any
// indexed term.
func (ix *bm25) idf(term string) float64 {
	df := float64(len(ix.postings[term]))
	if df == 0 {
		df = 0.5
	}
	return math.Log(1 + (float64(ix.n)-df+0.5)/(df+0.5))
}

// weightedTerm is a query term with a multiplier of its idf: 1 for the
// words of the question, less for what the question only implies (a
// compound's hyphenated form, a synonym).
type weightedTerm struct {
	Term   string
	Weight float64
}

// score adds the BM25 score of each query term, times its weight, to
// scores (indexed by passage). Repeated query terms count once, at their
// highest weight.
func (ix *bm25) score(query []weightedTerm, scores []float32) {
	best := make(map[string]float64, len(query))
	var order []string
	for _, q := range query {
		w, seen := best[q.Term]
		if !seen {
			order = append(order, q.Term)
		}
		best[q.Term] = max(w, q.Weight)
	}
	for _, t := range order {
		ps := ix.postings[t]
		if len(ps) == 0 || best[t] <= 0 {
			continue
		}
		idf := float32(ix.idf(t) * best[t])
		for _, p := range ps {
			tf := float32(p.tf)
			dl := ix.docLen[p.doc]
			scores[p.doc] += idf * tf * (bm25K1 + 1) / (tf + bm25K1*(1-bm25B+bm25B*dl/ix.avgLen))
		}
	}
}
