package retrieval

import (
	"fmt"
	"runtime"
)

// A snapshot's vectors are cut into chunks: each holds the vectors of a
// run of consecutive passages (in passage order, so that a row's index in
// the scan is still the passage's index). Chunks are immutable once made.
// A snapshot built from another (a shared store's change, applied as it
// comes: shared.go) reuses every chunk whose passages it keeps unchanged
// and copies only the chunks where passages were added or removed, so that
// applying one article costs a chunk's copy rather than the whole block's
// (100 MB at 100,000 passages of 256 dimensions). The scan reads the
// chunks one after the other: each is contiguous, large enough (chunkBytes)
// that crossing from one to the next costs nothing measurable.

// chunkBytes is the size of a chunk's float32 vectors that chunks are cut
// to; a chunk grows to twice that before it is split, and one under half of
// it is merged with a neighbour when either is copied anyway.
const chunkBytes = 1 << 20

// defaultChunkRows is how many rows of dim float32s make a chunk: an
// index's chunkRows, which tests lower.
func defaultChunkRows(dim int) int { return max(16, chunkBytes/(4*max(dim, 1))) }

// vecChunk holds the vectors of a run of consecutive passages: rows × dim
// float32s and, when the scan reads int8 codes first, their codes.
type vecChunk struct {
	vecs []float32
	q8   *quantized // nil unless quantised
	// own is set when vecs is an allocation of its own, not a piece of a
	// larger block or of a mapped file: only such a chunk is shared with a
	// later snapshot, since sharing it keeps nothing else alive.
	own bool
	// mapping, when not nil, holds the file vecs lie in.
	mapping *fileMapping
}

// chunkOf makes one chunk of vecs (not copied).
func chunkOf(vecs []float32, own bool, mapping *fileMapping) *vecChunk {
	return &vecChunk{vecs: vecs, own: own, mapping: mapping}
}

// splitBlock cuts a block of rows × dim vectors into chunks of per rows
// that are pieces of it (not copies).
func splitBlock(block []float32, dim, per int, mapping *fileMapping) []*vecChunk {
	if dim <= 0 || len(block) == 0 {
		return nil
	}
	step := per * dim
	out := make([]*vecChunk, 0, (len(block)+step-1)/step)
	for lo := 0; lo < len(block); lo += step {
		hi := min(lo+step, len(block))
		out = append(out, chunkOf(block[lo:hi:hi], false, mapping))
	}
	return out
}

// chunkBuilder lays rows of dim out in chunks of their own, per at a
// time.
type chunkBuilder struct {
	dim, per int
	cur      []float32
	done     []*vecChunk
}

// row returns the next row's place, zeroed.
func (b *chunkBuilder) row() []float32 {
	if len(b.cur) == cap(b.cur) {
		b.flush()
		b.cur = make([]float32, 0, max(b.per, 1)*b.dim)
	}
	b.cur = b.cur[:len(b.cur)+b.dim]
	return b.cur[len(b.cur)-b.dim : len(b.cur) : len(b.cur)]
}

// flush closes the chunk being filled.
func (b *chunkBuilder) flush() {
	if len(b.cur) > 0 {
		b.done = append(b.done, chunkOf(b.cur[:len(b.cur):len(b.cur)], true, nil))
	}
	b.cur = nil
}

// chunks closes the builder and returns its chunks.
func (b *chunkBuilder) chunks() []*vecChunk {
	b.flush()
	return b.done
}

// copyChunks copies the vectors of ps into chunks of their own, in order,
// about per rows each, and points each passage's vec at its row.
func copyChunks(ps []livePassage, dim, per int) ([]*vecChunk, error) {
	l := chunkLayout{dim: dim, per: per}
	if err := l.copyRun(ps, 0, len(ps)); err != nil {
		return nil, err
	}
	return l.chunks, nil
}

// chunkLayout is a list of chunks of rows of dim being made, about per
// rows each, with the passage index each starts at.
type chunkLayout struct {
	dim, per int
	chunks   []*vecChunk
	starts   []int
	copied   int // rows copied into new chunks
}

// copyRun copies the vectors of ps[lo:hi] into new chunks (one for a run
// of at most twice per, else runs of about per) and points the passages
// at their rows.
func (l *chunkLayout) copyRun(ps []livePassage, lo, hi int) error {
	if hi <= lo {
		return nil
	}
	dim, per := l.dim, max(l.per, 1)
	n := 1
	if hi-lo > 2*per {
		n = (hi - lo + per - 1) / per
	}
	for k := range n {
		a, b := lo+(hi-lo)*k/n, lo+(hi-lo)*(k+1)/n
		vecs := make([]float32, (b-a)*dim)
		for i := a; i < b; i++ {
			if len(ps[i].vec) != dim {
				return fmt.Errorf("passage %s has %d dims, want %d", ps[i].ID, len(ps[i].vec), dim)
			}
			row := vecs[(i-a)*dim : (i-a+1)*dim : (i-a+1)*dim]
			copy(row, ps[i].vec)
			ps[i].vec = row
		}
		l.chunks = append(l.chunks, chunkOf(vecs, true, nil))
		l.starts = append(l.starts, a)
	}
	l.copied += hi - lo
	return nil
}

// reuseChunks lays out the vectors of ps, the passages of a snapshot built
// from old's: ps[i] is old's passage from[i] when from[i] >= 0 (its vec
// still a row of old's chunks), else a new one. Each of old's chunks that
// is its own allocation and whose passages all come next in ps, unchanged
// and in order, is shared; the passages between those are copied into new
// chunks. A run to copy shorter than half a chunk is copied with a
// neighbouring chunk (the next, or else the previous), so that changes
// don't leave ever smaller chunks behind. It returns the chunks and how
// many rows were copied.
func reuseChunks(oldChunks []*vecChunk, ps []livePassage, from []int, dim, per int) ([]*vecChunk, int, error) {
	old := newChunkedStore(oldChunks, dim) // finds the chunks by row
	per = max(per, 1)
	var (
		l       = chunkLayout{dim: dim, per: per}
		pending = 0 // ps[pending:i] are still to be copied
	)
	flush := func(to int) error {
		if short := to - pending; short > 0 && short < per/2 && len(l.chunks) > 0 {
			last := len(l.chunks) - 1
			if start := l.starts[last]; to-start <= 2*per {
				l.chunks, l.starts = l.chunks[:last], l.starts[:last]
				pending = start
			}
		}
		return l.copyRun(ps, pending, to)
	}
	for i := 0; i < len(ps); {
		c, n := old.chunkAt(from[i])
		if c == nil || !c.own || i+n > len(ps) || !runOf(from[i:i+n], from[i]) {
			i++
			continue
		}
		if short := i - pending; short > 0 && short < per/2 && short+n <= 2*per {
			i += n // copied with the short run before it
			continue
		}
		if err := flush(i); err != nil {
			return nil, 0, err
		}
		l.chunks, l.starts = append(l.chunks, c), append(l.starts, i)
		i += n
		pending = i
	}
	if err := flush(len(ps)); err != nil {
		return nil, 0, err
	}
	return l.chunks, l.copied, nil
}

// runOf reports whether from is first, first+1, ... in order.
func runOf(from []int, first int) bool {
	for k, f := range from {
		if f != first+k {
			return false
		}
	}
	return true
}

// chunkAt returns the chunk whose first row is row, with its row count,
// or nil when no chunk starts there.
func (f *flatStore) chunkAt(row int) (*vecChunk, int) {
	if f == nil || row < 0 || row >= f.rows {
		return nil, 0
	}
	c := f.chunkOfRow(row)
	if f.first[c] != row {
		return nil, 0
	}
	return f.chunks[c], f.first[c+1] - row
}

// withCodes returns chunks with int8 codes when quantize is set, made for
// the chunks that lack them, and without codes otherwise: new chunk values
// around the same vectors, since chunks never change.
func withCodes(chunks []*vecChunk, dim int, quantize bool) []*vecChunk {
	out := make([]*vecChunk, len(chunks))
	var missing []int
	for i, c := range chunks {
		switch {
		case quantize && c.q8 == nil && len(c.vecs) > 0:
			missing = append(missing, i)
		case !quantize && c.q8 != nil:
			q := *c
			q.q8 = nil
			c = &q
		}
		out[i] = c
	}
	parallel(min(runtime.GOMAXPROCS(0), max(1, len(missing))), len(missing), func(_, lo, hi int) {
		for _, i := range missing[lo:hi] {
			q := *out[i]
			q.q8 = quantize8(q.vecs, dim)
			out[i] = &q
		}
	})
	return out
}
