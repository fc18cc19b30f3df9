package retrieval

import (
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
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

// bm25 is an immutable inverted index over the passages of one snapshot,
// scored with Okapi BM25. Its arrays are laid out as they are saved
// (persist.go): the vocabulary sorted, each term's postings one run of
// docs and tfs, in passage order.
type bm25 struct {
	terms  []string  // the vocabulary, sorted
	start  []uint32  // term t's postings are [start[t], start[t+1])
	docs   []uint32  // passage index of each posting
	tfs    []uint16  // term frequency of each posting
	impact []float32 // per term: its largest tf part (see part) in any passage
	docLen []uint32  // terms in each passage
	norm   []float32 // per passage: k1 × (1 − b + b × docLen / avgLen)
	n      int
	// mapping, when not nil, holds the file the arrays lie in.
	mapping *fileMapping

	scratch sync.Pool // *bm25Scratch sized for n passages
}

const (
	bm25K1 = 1.2
	bm25B  = 0.75
)

// newBM25 indexes docs, where docs[i] are the sorted term counts of
// passage i. It also returns the passages' term lists in the compact form
// the snapshot keeps (termLists), over its vocabulary, whose strings it
// lays out in one block, in order.
func newBM25(docs [][]termCount) (*bm25, termLists) {
	ids := map[string]uint32{}
	total := 0
	for _, tcs := range docs {
		for _, tc := range tcs {
			if _, ok := ids[tc.Term]; !ok {
				ids[tc.Term] = 0
			}
		}
		total += len(tcs)
	}
	vocab := make([]string, 0, len(ids))
	size := 0
	for t := range ids {
		vocab = append(vocab, t)
		size += len(t)
	}
	slices.Sort(vocab)
	// One block for the vocabulary's strings.
	var b strings.Builder
	b.Grow(size)
	for _, t := range vocab {
		b.WriteString(t)
	}
	blob, off := b.String(), 0
	for i, t := range vocab {
		vocab[i] = blob[off : off+len(t)]
		off += len(t)
		ids[t] = uint32(i)
	}

	tl := termLists{vocab: vocab, start: make([]uint32, len(docs)+1), ids: make([]uint32, total), counts: make([]uint16, total)}
	k := 0
	for i, tcs := range docs {
		for _, tc := range tcs {
			tl.ids[k], tl.counts[k] = ids[tc.Term], tc.Count
			k++
		}
		tl.start[i+1] = uint32(k)
	}
	return bm25Of(tl), tl
}

// bm25Of indexes the passages whose term lists are tl.
func bm25Of(tl termLists) *bm25 {
	n, total := len(tl.start)-1, len(tl.ids)
	ix := &bm25{terms: tl.vocab, start: make([]uint32, len(tl.vocab)+1), docs: make([]uint32, total), tfs: make([]uint16, total),
		docLen: make([]uint32, n), n: n}
	for i := range n {
		l := 0
		for k := tl.start[i]; k < tl.start[i+1]; k++ {
			ix.start[tl.ids[k]+1]++
			l += int(tl.counts[k])
		}
		ix.docLen[i] = uint32(l)
	}
	for t := range tl.vocab {
		ix.start[t+1] += ix.start[t]
	}
	fill := slices.Clone(ix.start[:len(tl.vocab)])
	for i := range n {
		for k := tl.start[i]; k < tl.start[i+1]; k++ {
			p := fill[tl.ids[k]]
			fill[tl.ids[k]]++
			ix.docs[p], ix.tfs[p] = uint32(i), tl.counts[k]
		}
	}
	ix.finish(nil)
	return ix
}

// mergeKeywords makes the term lists and the keyword index of a snapshot
// built from another one, whose term lists are old and keyword index
// oldKW: passage i of the new snapshot is passage from[i] of old when
// from[i] >= 0, else the passage whose sorted term counts are
// fresh[-from[i]-1]. The result is what newBM25 would build from the new
// passages' term counts, but made from the old arrays in sequential
// passes: the vocabulary keeps old's terms that some passage still has
// (old's document frequencies, less the removed passages' terms, say
// which) and adds fresh's new ones, in order; old's term IDs are
// renumbered through an array; each term's postings are old's, their
// passages renumbered the same way, merged with fresh's. Applying a few
// changes to a large snapshot so costs a copy of its arrays, not a
// scattered rebuild of them.
func mergeKeywords(oldKW *bm25, old termLists, from []int, fresh [][]termCount) (termLists, *bm25) {
	nOld := len(old.start) - 1
	if nOld < 0 {
		nOld = 0
	}
	// Where each old passage went, and how many passages still hold each
	// old term.
	inv := make([]int32, nOld)
	for i := range inv {
		inv[i] = -1
	}
	total := 0
	for i, f := range from {
		if f >= 0 {
			inv[f] = int32(i)
			total += old.len(f)
		} else {
			total += len(fresh[-f-1])
		}
	}
	used := make([]uint32, len(old.vocab))
	for t := range used {
		used[t] = oldKW.start[t+1] - oldKW.start[t]
	}
	for f, i := range inv {
		if i < 0 {
			for k := old.start[f]; k < old.start[f+1]; k++ {
				used[old.ids[k]]--
			}
		}
	}
	added := map[string]bool{} // fresh terms old lacks
	for _, f := range from {
		if f >= 0 {
			continue
		}
		for _, tc := range fresh[-f-1] {
			if j, ok := slices.BinarySearch(old.vocab, tc.Term); ok {
				used[j]++
			} else {
				added[tc.Term] = true
			}
		}
	}
	newTerms := make([]string, 0, len(added))
	for t := range added {
		newTerms = append(newTerms, t)
	}
	slices.Sort(newTerms)
	// The new vocabulary: old's used terms and the new ones, merged in
	// order, in one block of strings; remap takes old IDs to new ones,
	// back new ones to old ones (-1 for a new term).
	remap := make([]uint32, len(old.vocab))
	size := 0
	for i, t := range old.vocab {
		if used[i] > 0 {
			size += len(t)
		}
	}
	for _, t := range newTerms {
		size += len(t)
	}
	var b strings.Builder
	b.Grow(size)
	var (
		order []string
		back  []int32
	)
	for i, j := 0, 0; i < len(old.vocab) || j < len(newTerms); {
		if i < len(old.vocab) && used[i] == 0 {
			i++
			continue
		}
		var t string
		if j >= len(newTerms) || (i < len(old.vocab) && old.vocab[i] < newTerms[j]) {
			t = old.vocab[i]
			remap[i] = uint32(len(order))
			back = append(back, int32(i))
			i++
		} else {
			t = newTerms[j]
			back = append(back, -1)
			j++
		}
		order = append(order, t)
		b.WriteString(t)
	}
	blob, off := b.String(), 0
	vocab := make([]string, len(order))
	for i, t := range order {
		vocab[i] = blob[off : off+len(t)]
		off += len(t)
	}

	// The term lists, and the fresh passages' postings as (term, passage,
	// count) in passage order.
	type posting struct {
		term, doc uint32
		tf        uint16
	}
	var freshPostings []posting
	tl := termLists{vocab: vocab, start: make([]uint32, len(from)+1), ids: make([]uint32, total), counts: make([]uint16, total)}
	k := 0
	for i, f := range from {
		if f >= 0 {
			lo, hi := old.start[f], old.start[f+1]
			ids := tl.ids[k : k+int(hi-lo)]
			for x, id := range old.ids[lo:hi] {
				ids[x] = remap[id]
			}
			k += copy(tl.counts[k:], old.counts[lo:hi])
		} else {
			for _, tc := range fresh[-f-1] {
				j, _ := slices.BinarySearch(vocab, tc.Term)
				tl.ids[k], tl.counts[k] = uint32(j), tc.Count
				freshPostings = append(freshPostings, posting{uint32(j), uint32(i), tc.Count})
				k++
			}
		}
		tl.start[i+1] = uint32(k)
	}
	slices.SortStableFunc(freshPostings, func(a, b posting) int { return int(a.term) - int(b.term) })

	// The postings, term after term: old's, renumbered, merged with the
	// fresh ones (both in passage order). The length norms come first:
	// the terms' impacts are computed on the way.
	n := len(from)
	ix := &bm25{terms: vocab, start: make([]uint32, len(vocab)+1), docs: make([]uint32, total), tfs: make([]uint16, total),
		docLen: make([]uint32, n), n: n}
	for i, f := range from {
		if f >= 0 {
			ix.docLen[i] = oldKW.docLen[f]
			continue
		}
		l := 0
		for _, tc := range fresh[-f-1] {
			l += int(tc.Count)
		}
		ix.docLen[i] = uint32(l)
	}
	ix.setNorms()
	// A term's impact is its largest part. For one frequency, part falls
	// as the norm rises (in float32 too: rounding is monotonic), so the
	// postings of frequency 1, most of them, need only their smallest
	// norm: one part computed per term rather than per posting, and the
	// same value.
	impact := make([]float32, len(vocab))
	p, fp := 0, 0
	for t := range vocab {
		var m float32
		minNorm := float32(math.Inf(1))
		// before puts the fresh postings of t on passages before d.
		before := func(d uint32) {
			for fp < len(freshPostings) && freshPostings[fp].term == uint32(t) && freshPostings[fp].doc < d {
				q := freshPostings[fp]
				ix.docs[p], ix.tfs[p] = q.doc, q.tf
				m = max(m, ix.part(q.tf, q.doc))
				p, fp = p+1, fp+1
			}
		}
		if o := back[t]; o >= 0 {
			lo, hi := oldKW.start[o], oldKW.start[o+1]
			tfs := oldKW.tfs[lo:hi]
			for x, d := range oldKW.docs[lo:hi] {
				nd := inv[d]
				if nd < 0 {
					continue
				}
				if fp < len(freshPostings) && freshPostings[fp].term == uint32(t) {
					before(uint32(nd))
				}
				tf := tfs[x]
				ix.docs[p], ix.tfs[p] = uint32(nd), tf
				if tf == 1 {
					minNorm = min(minNorm, ix.norm[nd])
				} else {
					m = max(m, ix.part(tf, uint32(nd)))
				}
				p++
			}
		}
		before(math.MaxUint32)
		ix.start[t+1] = uint32(p)
		if !math.IsInf(float64(minNorm), 1) {
			m = max(m, partOf(1, minNorm))
		}
		impact[t] = m
	}
	ix.finish(impact)
	return tl, ix
}

// termLists are the passages' term counts, compactly: passage i's are
// ids[start[i]:start[i+1]] (indexes in vocab, increasing) with their
// counts. Six bytes a term rather than a termCount's 24; search unpacks
// the few passages it looks at (unpack).
type termLists struct {
	vocab  []string
	start  []uint32
	ids    []uint32
	counts []uint16
}

// unpack appends passage i's term counts, sorted by term, to buf.
func (tl termLists) unpack(i int, buf []termCount) []termCount {
	for k := tl.start[i]; k < tl.start[i+1]; k++ {
		buf = append(buf, termCount{tl.vocab[tl.ids[k]], tl.counts[k]})
	}
	return buf
}

// len is the number of terms of passage i.
func (tl termLists) len(i int) int { return int(tl.start[i+1] - tl.start[i]) }

// finish computes what is derived from the postings: the passages' length
// norms and, unless given (a saved index has them), the terms' impacts.
func (ix *bm25) finish(impact []float32) {
	if len(ix.norm) != ix.n {
		ix.setNorms()
	}
	if impact == nil {
		impact = make([]float32, len(ix.terms))
		for t := range ix.terms {
			var m float32
			for p := ix.start[t]; p < ix.start[t+1]; p++ {
				m = max(m, ix.part(ix.tfs[p], ix.docs[p]))
			}
			impact[t] = m
		}
	}
	ix.impact = impact
	ix.scratch.New = func() any { return &bm25Scratch{acc: make([]float32, ix.n)} }
}

// setNorms computes the passages' length norms from their lengths.
func (ix *bm25) setNorms() {
	var total float64
	for _, l := range ix.docLen {
		total += float64(l)
	}
	avg := float32(1)
	if ix.n > 0 && total > 0 {
		avg = float32(total / float64(ix.n))
	}
	ix.norm = make([]float32, ix.n)
	for i, l := range ix.docLen {
		ix.norm[i] = bm25K1 * (1 - bm25B + bm25B*float32(l)/avg)
	}
}

// part is the tf part of a term's BM25 score in passage d: what its idf
// (and query weight) multiply.
func (ix *bm25) part(tf uint16, d uint32) float32 { return partOf(tf, ix.norm[d]) }

// partOf is the tf part of a term's BM25 score in a passage of length
// norm norm.
func partOf(tf uint16, norm float32) float32 {
	f := float32(tf)
	return f * (bm25K1 + 1) / (f + norm)
}

// lookup returns a term's index in the vocabulary.
func (ix *bm25) lookup(term string) (int, bool) {
	return slices.BinarySearch(ix.terms, term)
}

// df is the number of passages containing term.
func (ix *bm25) df(term string) int {
	t, ok := ix.lookup(term)
	if !ok {
		return 0
	}
	return int(ix.start[t+1] - ix.start[t])
}

// idf is the BM25 inverse document frequency of a term (always > 0). A term
// no passage has gets the idf of a term in half a passage: rarer than any
// indexed term.
func (ix *bm25) idf(term string) float64 {
	df := float64(ix.df(term))
	if df == 0 {
		df = 0.5
	}
	return math.Log(1 + (float64(ix.n)-df+0.5)/(df+0.5))
}

// weightedTerm is a query term and what its idf is multiplied by: 1 for
// the words of the question, less for expansions such as synonyms.
type weightedTerm struct {
	Term   string
	Weight float64
}

// plainTerms weights every term 1.
func plainTerms(terms []string) []weightedTerm {
	out := make([]weightedTerm, len(terms))
	for i, t := range terms {
		out[i] = weightedTerm{t, 1}
	}
	return out
}

// scored is a passage with its BM25 score.
type scored struct {
	Doc   int
	Score float32
}

// bm25Query is a query resolved against one index, ready to score.
type bm25Query struct {
	ix    *bm25
	terms []queryTerm // by upper bound, highest first
	// rest[k] is the sum of the upper bounds of terms[k+1:].
	rest []float64
	// exhaustive turns the pruning off (tests and benchmarks compare).
	exhaustive bool
	// stats, when not nil, counts the work top does.
	stats *bm25Stats
}

// bm25Stats is what one top call did, for tests and benchmarks.
type bm25Stats struct {
	postings int  // postings read in full
	probed   int  // binary searches for candidates
	pruned   bool // whether the remaining terms were only probed
}

type queryTerm struct {
	id uint32
	w  float32 // weight × idf
	ub float32 // w × impact: the most the term adds to any passage
}

// query resolves q: terms no passage has are dropped, and a term given
// twice counts once, with its larger weight.
func (ix *bm25) query(q []weightedTerm) bm25Query {
	bq := bm25Query{ix: ix}
	for _, wt := range q {
		t, ok := ix.lookup(wt.Term)
		if !ok || !(wt.Weight > 1e-9) || math.IsInf(wt.Weight, 0) {
			continue
		}
		w := float32(wt.Weight * ix.idf(wt.Term))
		if j := slices.IndexFunc(bq.terms, func(qt queryTerm) bool { return qt.id == uint32(t) }); j >= 0 {
			if w > bq.terms[j].w {
				bq.terms[j].w, bq.terms[j].ub = w, w*ix.impact[t]
			}
			continue
		}
		bq.terms = append(bq.terms, queryTerm{id: uint32(t), w: w, ub: w * ix.impact[t]})
	}
	slices.SortFunc(bq.terms, func(a, b queryTerm) int {
		switch {
		case a.ub > b.ub:
			return -1
		case a.ub < b.ub:
			return 1
		}
		return int(a.id) - int(b.id)
	})
	bq.rest = make([]float64, len(bq.terms))
	for k := len(bq.terms) - 2; k >= 0; k-- {
		bq.rest[k] = bq.rest[k+1] + float64(bq.terms[k+1].ub)
	}
	return bq
}

// score is the BM25 score of passage d, equal to the one top gives it.
func (q bm25Query) score(d int) float32 {
	ix := q.ix
	var a float32
	for _, t := range q.terms {
		lo, hi := int(ix.start[t.id]), int(ix.start[t.id+1])
		if j, ok := slices.BinarySearch(ix.docs[lo:hi], uint32(d)); ok {
			a += t.w * ix.part(ix.tfs[lo+j], uint32(d))
		}
	}
	return a
}

// bm25Scratch is the per-query working memory, reused across queries:
// accumulators for every passage (0 untouched, -1 filtered out, else the
// partial score) and the list of those touched, to reset.
type bm25Scratch struct {
	acc     []float32
	touched []uint32
	runs    []int // touched[runs[k-1]:runs[k]] are the passages term k first touched, in order
	ends    []int
	cand    []uint32
	merged  []uint32
	top     topK
}

// boundSlack absorbs rounding in comparisons of summed float32 scores
// with summed upper bounds: a score of k terms, each at most its bound,
// can exceed the bounds' sum by k float32 roundings.
const boundSlack = 1e-5

// top returns the n passages with the highest positive scores among those
// keep accepts (all when keep is nil), best first, ties by index.
//
// It touches only the passages the query's terms occur in. Terms are
// scored rarest-impact first; once the n-th best partial score exceeds the
// most the remaining terms could add to any passage (MaxScore), a passage
// none of the terms so far occurs in cannot make the top n, and the
// remaining terms — the common ones, with the longest postings — are
// looked up only for the passages that still can, by binary search.
func (q bm25Query) top(n int, keep func(int) bool) []scored {
	if n <= 0 || len(q.terms) == 0 {
		return nil
	}
	ix := q.ix
	sc := ix.scratch.Get().(*bm25Scratch)
	defer func() {
		for _, d := range sc.touched {
			sc.acc[d] = 0
		}
		sc.touched, sc.cand, sc.runs = sc.touched[:0], sc.cand[:0], sc.runs[:0]
		ix.scratch.Put(sc)
	}()
	acc := sc.acc
	var maxAcc float32
	for k, t := range q.terms {
		lo, hi := ix.start[t.id], ix.start[t.id+1]
		if q.stats != nil {
			q.stats.postings += int(hi - lo)
		}
		tfs := ix.tfs[lo:hi]
		for j, d := range ix.docs[lo:hi] {
			a := acc[d]
			if a < 0 {
				continue
			}
			if a == 0 {
				sc.touched = append(sc.touched, d)
				if keep != nil && !keep(int(d)) {
					acc[d] = -1
					continue
				}
			}
			a += t.w * ix.part(tfs[j], d)
			acc[d] = a
			maxAcc = max(maxAcc, a)
		}
		sc.runs = append(sc.runs, len(sc.touched))
		if k+1 == len(q.terms) || q.exhaustive {
			continue
		}
		rest := q.rest[k] * (1 + boundSlack)
		if float64(maxAcc) <= rest {
			continue // the n-th best partial score can't be above it either
		}
		sc.top = resetTopK(sc.top, n)
		for _, d := range sc.touched {
			if acc[d] > 0 {
				sc.top.push(acc[d], int32(d))
			}
		}
		if len(sc.top.h) < n || float64(sc.top.h[0].score) <= rest {
			continue
		}
		return q.finish(sc, k+1, sc.top.h[0].score, rest, n)
	}
	sc.top = resetTopK(sc.top, n)
	for _, d := range sc.touched {
		if acc[d] > 0 {
			sc.top.push(acc[d], int32(d))
		}
	}
	return sc.top.sorted()
}

// finish completes top once terms[from:] can't bring in a new passage:
// only the touched passages whose partial score plus rest (the most those
// terms can add) reaches theta, the n-th best partial score, can end in the
// top n. Their remaining terms are found by galloping search in the
// postings, in passage order so that each search starts where the last
// ended; after each term the bound and the candidates shrink again.
func (q bm25Query) finish(sc *bm25Scratch, from int, theta float32, rest float64, n int) []scored {
	ix, acc := q.ix, sc.acc
	// The candidates in passage order: each term's newly touched passages
	// are in order, so merging those runs sorts them.
	prev := 0
	ends := sc.ends[:0]
	for _, end := range sc.runs {
		for _, d := range sc.touched[prev:end] {
			if a := acc[d]; a > 0 && float64(a)+rest >= float64(theta) {
				sc.cand = append(sc.cand, d)
			}
		}
		prev = end
		ends = append(ends, len(sc.cand))
	}
	sc.ends = ends
	sc.cand, sc.merged = mergeRuns(sc.cand, ends, sc.merged)
	if q.stats != nil {
		q.stats.pruned = true
	}
	for k := from; k < len(q.terms); k++ {
		t := q.terms[k]
		if q.stats != nil {
			q.stats.probed += len(sc.cand)
		}
		lo, hi := int(ix.start[t.id]), int(ix.start[t.id+1])
		docs := ix.docs[lo:hi]
		p := 0
		for _, d := range sc.cand {
			if p = seek(docs, p, d); p == len(docs) {
				break
			}
			if docs[p] == d {
				acc[d] += t.w * ix.part(ix.tfs[lo+p], d)
			}
		}
		if k+1 == len(q.terms) {
			break
		}
		rest = q.rest[k] * (1 + boundSlack)
		sc.top = resetTopK(sc.top, n)
		for _, d := range sc.cand {
			sc.top.push(acc[d], int32(d))
		}
		theta := float64(sc.top.h[0].score)
		kept := sc.cand[:0]
		for _, d := range sc.cand {
			if float64(acc[d])+rest >= theta {
				kept = append(kept, d)
			}
		}
		sc.cand = kept
	}
	sc.top = resetTopK(sc.top, n)
	for _, d := range sc.cand {
		sc.top.push(acc[d], int32(d))
	}
	return sc.top.sorted()
}

// mergeRuns sorts s, made of sorted runs ending at ends, by merging
// neighbouring runs pairwise into buf and back; it returns the sorted
// slice and the other buffer.
func mergeRuns(s []uint32, ends []int, buf []uint32) ([]uint32, []uint32) {
	for len(ends) > 1 {
		buf = slices.Grow(buf[:0], len(s))
		var next []int
		lo := 0
		for k := 0; k < len(ends); k += 2 {
			if k+1 == len(ends) {
				buf = append(buf, s[lo:ends[k]]...)
				next = append(next, len(buf))
				break
			}
			a, b := s[lo:ends[k]], s[ends[k]:ends[k+1]]
			for len(a) > 0 && len(b) > 0 {
				if a[0] < b[0] {
					buf, a = append(buf, a[0]), a[1:]
				} else {
					buf, b = append(buf, b[0]), b[1:]
				}
			}
			buf = append(append(buf, a...), b...)
			next = append(next, len(buf))
			lo = ends[k+1]
		}
		s, buf, ends = buf, s, next
	}
	return s, buf
}

// seek returns the first position at or after from where docs (sorted)
// holds d or more, galloping: doubling steps from from, then a binary
// search in the last step. Seeking increasing passages in turn costs the
// logarithm of the gaps between them, not of the whole list.
func seek(docs []uint32, from int, d uint32) int {
	lo, hi, step := from, from, 1
	for hi < len(docs) && docs[hi] < d {
		lo = hi + 1
		hi += step
		step <<= 1
	}
	hi = min(hi, len(docs))
	j, _ := slices.BinarySearch(docs[lo:hi], d)
	return lo + j
}

func resetTopK(t topK, k int) topK {
	if cap(t.h) < k {
		return newTopK(k)
	}
	return topK{k: k, h: t.h[:0]}
}

// sorted returns the kept pairs best first, as scored.
func (t *topK) sorted() []scored {
	slices.SortFunc(t.h, func(a, b scoredRow) int {
		switch {
		case b.worse(a):
			return -1
		case a.worse(b):
			return 1
		}
		return 0
	})
	out := make([]scored, len(t.h))
	for i, r := range t.h {
		out[i] = scored{int(r.idx), r.score}
	}
	return out
}

// top is query(q).top(n, keep): the n best passages for weighted terms.
func (ix *bm25) top(q []weightedTerm, n int, keep func(int) bool) []scored {
	return ix.query(q).top(n, keep)
}
