package retrieval

import (
	"context"
	"math"
	"runtime"
	"slices"
	"sync"
)

// VectorStore finds the passages whose vectors are nearest a query vector.
// A snapshot builds one over its passages; it is immutable after that.
//
// The default (StoreChromem) keeps the passages' vectors in memory, in
// passage order, in chunks of contiguous rows (chunks.go), and answers
// queries with a scan of them; chromem-go's collection of each live
// snapshot holds the same rows as its documents, filled in the background
// once the snapshot is live (chromem.go, snapshot.collection).
// chromem-go's own QueryEmbedding ranks the same way but several times
// slower (a scalar product per document over vectors scattered on the
// heap, a channel send and a lock per document; see docs/benchmarks.md).
// Past quantizeAbove passages the scan reads one byte per dimension
// instead of four and rescores the best few hundred exactly. A store
// outside the process (Options.Vectors, external.go) searches the vectors
// several replicas share.
type VectorStore interface {
	// Nearest returns up to n passage indexes with their cosine
	// similarity, best first (ties by index). keep, when not nil, filters
	// indexes; it is applied before scoring.
	Nearest(ctx context.Context, query []float32, n int, keep func(int) bool) ([]Neighbor, error)
}

// Neighbor is one result of VectorStore.Nearest.
type Neighbor struct {
	Index      int
	Similarity float32
}

// quantizeAbove is the passage count past which the scan reads quantised
// vectors first (docs/benchmarks.md has the measurements behind it): below
// it the float32 block is cheap to read whole, above it the bytes read per
// query dominate.
const quantizeAbove = 100_000

// rescoreDepth is how many of the best candidates by quantised score each
// scan worker rescores with the float32 vectors, at least: measured recall@10
// against the exact scan is 1.0 on the synthetic sets with this depth.
const rescoreDepth = 256

// flatStore scans all vectors, chunk after chunk (chunks.go), on every
// core, each worker keeping its own top n.
type flatStore struct {
	dim  int
	rows int
	// chunks hold the rows in order; chunk c's first row is first[c], and
	// first[len(chunks)] is rows.
	chunks []*vecChunk
	first  []int
	// quantized is set when every chunk has int8 codes, which the scan
	// then reads first.
	quantized bool
}

// quantized holds each vector as bytes: code = round(v/scale) + 128, with
// scale = max|v| / 127 for that vector.
type quantized struct {
	codes []uint8 // rows × dim
	scale []float32
}

// newFlatStore makes a store over vecs (rows × dim, not copied, one
// chunk), with quantised codes when quantize is set.
func newFlatStore(vecs []float32, dim int, quantize bool) *flatStore {
	var chunks []*vecChunk
	if len(vecs) > 0 {
		chunks = []*vecChunk{chunkOf(vecs, false, nil)}
	}
	return newChunkedStore(withCodes(chunks, dim, quantize), dim)
}

// newChunkedStore makes a store over chunks (withCodes made them): it
// reads their int8 codes first when every chunk has them.
func newChunkedStore(chunks []*vecChunk, dim int) *flatStore {
	f := &flatStore{dim: dim, chunks: chunks, first: make([]int, len(chunks)+1), quantized: len(chunks) > 0}
	for c, ch := range chunks {
		if ch.q8 == nil {
			f.quantized = false
		}
		if dim > 0 {
			f.rows += len(ch.vecs) / dim
		}
		f.first[c+1] = f.rows
	}
	return f
}

// chunkOfRow returns the index of the chunk holding row.
func (f *flatStore) chunkOfRow(row int) int {
	lo, hi := 0, len(f.chunks)
	for hi-lo > 1 {
		m := (lo + hi) / 2
		if f.first[m] <= row {
			lo = m
		} else {
			hi = m
		}
	}
	return lo
}

// row returns row i's vector.
func (f *flatStore) row(i int) []float32 {
	c := f.chunkOfRow(i)
	k := i - f.first[c]
	return f.chunks[c].vecs[k*f.dim : (k+1)*f.dim]
}

// pieces calls fn for each chunk holding rows of [lo, hi): the chunk, the
// store's row its first row is, and the rows of [lo, hi) it holds, until fn
// returns false.
func (f *flatStore) pieces(lo, hi int, fn func(c *vecChunk, base, from, to int) bool) {
	if lo >= hi {
		return
	}
	for c := f.chunkOfRow(lo); c < len(f.chunks) && f.first[c] < hi; c++ {
		if !fn(f.chunks[c], f.first[c], max(lo, f.first[c]), min(hi, f.first[c+1])) {
			return
		}
	}
}

// vectorBytes is what one query's scan reads.
func (f *flatStore) vectorBytes() int {
	if f.quantized {
		return f.rows * (f.dim + 4)
	}
	return f.rows * f.dim * 4
}

// quantize8 quantises rows of vecs on every core.
func quantize8(vecs []float32, dim int) *quantized {
	rows := len(vecs) / dim
	q := &quantized{codes: make([]uint8, rows*dim), scale: make([]float32, rows)}
	parallel(scanWorkers(rows), rows, func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			q.scale[i] = quantizeRow(vecs[i*dim:(i+1)*dim], q.codes[i*dim:(i+1)*dim])
		}
	})
	return q
}

// quantizeRow writes v's codes and returns its scale.
func quantizeRow(v []float32, codes []uint8) float32 {
	var m float32
	for _, x := range v {
		m = max(m, float32(math.Abs(float64(x))))
	}
	if m == 0 {
		for j := range codes {
			codes[j] = 128
		}
		return 0
	}
	scale := m / 127
	inv := 1 / scale
	for j, x := range v {
		c := int(math.Round(float64(x*inv))) + 128
		codes[j] = uint8(min(max(c, 1), 255))
	}
	return scale
}

// parallel runs f(w, lo, hi) for w < workers over [0, n) split into
// contiguous ranges; worker 0 runs on the calling goroutine, and parallel
// returns when all have.
func parallel(workers, n int, f func(w, lo, hi int)) {
	var wg sync.WaitGroup
	for w := 1; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(w, n*w/workers, n*(w+1)/workers)
		}()
	}
	f(0, 0, n/workers)
	wg.Wait()
}

// scanWorkers is how many cores scan rows: one per scanMinRows, at most
// one per core.
func scanWorkers(rows int) int {
	return min(runtime.GOMAXPROCS(0), max(1, rows/scanMinRows))
}

// scanBlock is how many rows a worker scores at once: small enough that
// the products stay in L1, large enough that a call costs nothing.
const scanBlock = 128

// scanMinRows is the fewest rows worth handing to another core.
const scanMinRows = 2048

func (f *flatStore) Nearest(ctx context.Context, q []float32, n int, keep func(int) bool) ([]Neighbor, error) {
	if n <= 0 || f.rows == 0 || len(q) != f.dim {
		return nil, nil
	}
	if f.quantized {
		return f.nearestQuantized(ctx, q, n, keep)
	}
	d := f.dim
	workers := scanWorkers(f.rows)
	parts := make([]best, workers)
	parallel(workers, f.rows, func(w, lo, hi int) {
		t := newBest(n)
		var out [scanBlock]float32
		f.pieces(lo, hi, func(c *vecChunk, base, from, to int) bool {
			vecs := c.vecs
			for b := from; b < to; b += scanBlock {
				if ctx.Err() != nil {
					return false
				}
				e := min(b+scanBlock, to)
				if keep == nil {
					dotRows(q, vecs[(b-base)*d:(e-base)*d], out[:e-b])
					for i, s := range out[:e-b] {
						if s > t.floor {
							t.add(s, int32(b+i))
						}
					}
					continue
				}
				for i := b; i < e; i++ {
					if keep(i) {
						dotRows(q, vecs[(i-base)*d:(i-base+1)*d], out[:1])
						if out[0] > t.floor {
							t.add(out[0], int32(i))
						}
					}
				}
			}
			return true
		})
		t.prune()
		parts[w] = t
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return mergeTop(parts, n), nil
}

// nearestQuantized scans the byte codes, keeps each worker's best
// max(rescoreDepth, 4n) by approximate similarity, and rescores those with
// the float32 vectors.
func (f *flatStore) nearestQuantized(ctx context.Context, q []float32, n int, keep func(int) bool) ([]Neighbor, error) {
	// The query is quantised to [-64, 64]: the kernel adds pairs of
	// byte products in 16 bits, 2 × 255 × 64 < 32768.
	var m float32
	for _, x := range q {
		m = max(m, float32(math.Abs(float64(x))))
	}
	if m == 0 {
		m = 1
	}
	qc := make([]int8, len(q))
	var qsum int32
	for j, x := range q {
		c := int8(min(max(math.Round(float64(x/m*64)), -64), 64))
		qc[j] = c
		qsum += int32(c)
	}
	// Σ code×qc = Σ (v/scale + 128)×qc: the 128 × Σqc is the same for every
	// row, and ranking needs no more than scale × the rest.
	bias := 128 * qsum
	depth := max(rescoreDepth, 4*n)
	workers := scanWorkers(f.rows)
	parts := make([]best, workers)
	d := f.dim
	parallel(workers, f.rows, func(w, lo, hi int) {
		t := newBest(depth)
		var out [scanBlock]int32
		f.pieces(lo, hi, func(c *vecChunk, base, from, to int) bool {
			codes, scale := c.q8.codes, c.q8.scale
			for b := from; b < to; b += scanBlock {
				if ctx.Err() != nil {
					return false
				}
				e := min(b+scanBlock, to)
				if keep == nil {
					dotRowsU8(qc, codes[(b-base)*d:(e-base)*d], out[:e-b])
					for i, s := range out[:e-b] {
						if sim := scale[b-base+i] * float32(s-bias); sim > t.floor {
							t.add(sim, int32(b+i))
						}
					}
					continue
				}
				for i := b; i < e; i++ {
					if keep(i) {
						dotRowsU8(qc, codes[(i-base)*d:(i-base+1)*d], out[:1])
						if sim := scale[i-base] * float32(out[0]-bias); sim > t.floor {
							t.add(sim, int32(i))
						}
					}
				}
			}
			return true
		})
		// Rescore this worker's candidates exactly.
		t.prune()
		var sim [1]float32
		for j := range t.rows {
			dotRows(q, f.row(int(t.rows[j].idx)), sim[:])
			t.rows[j].score = sim[0]
		}
		parts[w] = t
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return mergeTop(parts, n), nil
}

// topK keeps the k best (score, index) pairs pushed in any order, by score
// descending and index ascending, in a min-heap: the worst kept is at the
// root.
type topK struct {
	k int
	h []scoredRow
}

type scoredRow struct {
	score float32
	idx   int32
}

func newTopK(k int) topK { return topK{k: k, h: make([]scoredRow, 0, k)} }

// worse reports whether a ranks below b.
func (a scoredRow) worse(b scoredRow) bool {
	if a.score != b.score {
		return a.score < b.score
	}
	return a.idx > b.idx
}

func (t *topK) push(score float32, idx int32) {
	if len(t.h) == t.k {
		if !t.h[0].worse(scoredRow{score, idx}) {
			return
		}
		t.h[0] = scoredRow{score, idx}
		t.down(0)
		return
	}
	t.h = append(t.h, scoredRow{score, idx})
	for j := len(t.h) - 1; j > 0; {
		p := (j - 1) / 2
		if !t.h[j].worse(t.h[p]) {
			break
		}
		t.h[j], t.h[p] = t.h[p], t.h[j]
		j = p
	}
}

func (t *topK) down(i int) {
	h := t.h
	for {
		l, r, m := 2*i+1, 2*i+2, i
		if l < len(h) && h[l].worse(h[m]) {
			m = l
		}
		if r < len(h) && h[r].worse(h[m]) {
			m = r
		}
		if m == i {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}

// best collects the k best (score, index) pairs of a scan that adds rows
// in increasing index order: a pair is added only when its score is above
// floor, the worst of the k best so far (an equal score comes with a higher
// index, so ranks below), into a buffer of 2k that prune cuts back to the
// k best when it fills: amortised constant work per pair added, where a
// heap would take a logarithm.
type best struct {
	k     int
	rows  []scoredRow
	floor float32
}

func newBest(k int) best {
	return best{k: k, rows: make([]scoredRow, 0, 2*k), floor: float32(math.Inf(-1))}
}

func (b *best) add(score float32, idx int32) {
	b.rows = append(b.rows, scoredRow{score, idx})
	if len(b.rows) == cap(b.rows) {
		b.prune()
	}
}

// prune keeps the k best rows and raises floor to the worst of them.
func (b *best) prune() {
	if len(b.rows) <= b.k {
		return
	}
	selectBest(b.rows, b.k)
	b.rows = b.rows[:b.k]
	w := b.rows[0]
	for _, r := range b.rows[1:] {
		if r.worse(w) {
			w = r
		}
	}
	b.floor = w.score
}

// selectBest reorders rows so that rows[:k] are the k best (in no order):
// quickselect, the pivot a median of three.
func selectBest(rows []scoredRow, k int) {
	lo, hi := 0, len(rows)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		// Median of three to rows[hi], as the pivot.
		if rows[lo].worse(rows[mid]) {
			rows[lo], rows[mid] = rows[mid], rows[lo]
		}
		if rows[lo].worse(rows[hi]) {
			rows[lo], rows[hi] = rows[hi], rows[lo]
		}
		if rows[hi].worse(rows[mid]) {
			rows[mid], rows[hi] = rows[hi], rows[mid]
		}
		pivot := rows[hi]
		p := lo
		for i := lo; i < hi; i++ {
			if pivot.worse(rows[i]) { // rows[i] ranks above the pivot
				rows[i], rows[p] = rows[p], rows[i]
				p++
			}
		}
		rows[p], rows[hi] = rows[hi], rows[p]
		switch {
		case p == k || p == k-1:
			return
		case p < k:
			lo = p + 1
		default:
			hi = p - 1
		}
	}
}

// mergeTop returns the n best of the workers' results, best first.
func mergeTop(parts []best, n int) []Neighbor {
	var all []scoredRow
	for _, p := range parts {
		all = append(all, p.rows...)
	}
	slices.SortFunc(all, func(a, b scoredRow) int {
		switch {
		case b.worse(a):
			return -1
		case a.worse(b):
			return 1
		}
		return 0
	})
	all = all[:min(len(all), n)]
	out := make([]Neighbor, len(all))
	for i, r := range all {
		out[i] = Neighbor{Index: int(r.idx), Similarity: r.score}
	}
	return out
}
