package retrieval

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"

	chromem "github.com/philippgille/chromem-go"
)

// VectorStore finds the passages whose vectors are nearest a query vector.
// A snapshot builds one over its passages; it is immutable after that.
// chromem-go is the default (StoreChromem); StoreFlat scans a contiguous
// copy of the vectors, several times faster past ~30k passages (see
// docs/scaling.md). Both hold the same vectors: chromem-go remains what is
// saved and loaded. StorePG searches a PostgreSQL table that several
// replicas share (pgvector.go).
type VectorStore interface {
	// Nearest returns up to n passage indexes with their cosine
	// similarity, best first. keep, when not nil, filters indexes.
	Nearest(ctx context.Context, query []float32, n int, keep func(int) bool) ([]Neighbor, error)
}

// Neighbor is one result of VectorStore.Nearest.
type Neighbor struct {
	Index      int
	Similarity float32
}

// Vector store kinds for Options.Store.
const (
	StoreChromem = "chromem"
	StoreFlat    = "flat"
	StorePG      = "pgvector" // needs Options.Postgres
)

// chromemStore searches the snapshot's chromem-go collection.
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

// flatStore keeps all vectors in one contiguous slice and scans it with an
// unrolled dot product on every core, each worker keeping its own top n.
type flatStore struct {
	dim  int
	vecs []float32 // len = passages × dim
}

func newFlatStore(ps []livePassage, dim int) *flatStore {
	f := &flatStore{dim: dim, vecs: make([]float32, 0, len(ps)*dim)}
	for _, p := range ps {
		f.vecs = append(f.vecs, p.vec...)
	}
	return f
}

func (f *flatStore) Nearest(ctx context.Context, q []float32, n int, keep func(int) bool) ([]Neighbor, error) {
	rows := len(f.vecs) / max(f.dim, 1)
	if n <= 0 || rows == 0 || len(q) != f.dim {
		return nil, nil
	}
	workers := min(runtime.GOMAXPROCS(0), max(1, rows/4096))
	parts := make([][]Neighbor, workers)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lo, hi := rows*w/workers, rows*(w+1)/workers
			top := make([]Neighbor, 0, n+1)
			for i := lo; i < hi; i++ {
				if i%8192 == 0 && ctx.Err() != nil {
					return
				}
				if keep != nil && !keep(i) {
					continue
				}
				sim := dot4(q, f.vecs[i*f.dim:(i+1)*f.dim])
				if len(top) == n && sim <= top[n-1].Similarity {
					continue
				}
				// Insert in order: n is small (tens), so this beats a heap.
				j := len(top)
				if j < n {
					top = append(top, Neighbor{})
				} else {
					j = n - 1
				}
				for j > 0 && top[j-1].Similarity < sim {
					top[j] = top[j-1]
					j--
				}
				top[j] = Neighbor{Index: i, Similarity: sim}
			}
			parts[w] = top
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var all []Neighbor
	for _, p := range parts {
		all = append(all, p...)
	}
	sort.Slice(all, func(a, b int) bool {
		if all[a].Similarity != all[b].Similarity {
			return all[a].Similarity > all[b].Similarity
		}
		return all[a].Index < all[b].Index
	})
	if len(all) > n {
		all = all[:n]
	}
	return all, nil
}

// dot4 is a dot product unrolled four ways, so that the four sums can run
// in parallel in the CPU.
func dot4(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+3 < len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}
