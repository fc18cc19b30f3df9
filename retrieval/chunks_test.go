package retrieval

import (
	"context"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"slices"
	"testing"
)

// vectorsCRC is a checksum of a layout's vectors, to tell that nothing
// wrote into them.
func vectorsCRC(chunks []*vecChunk) uint32 {
	var c uint32
	for _, ch := range chunks {
		c = crc32.Update(c, crc32.IEEETable, asBytes(ch.vecs))
	}
	return c
}

// TestReuseChunksThroughChanges applies random changes (passages added
// and removed anywhere, at the ends too) one after the other, each laid
// out from the last layout by reuseChunks, and checks each layout: the
// passages' vectors are its rows, in order, with the values they were
// made with; the chunks nobody changed are shared; chunks stay within
// their bounds; and no layout is ever written into once made.
func TestReuseChunksThroughChanges(t *testing.T) {
	const dim, per = 8, 16
	rng := rand.New(rand.NewPCG(9, 10))
	next := 0
	newPassage := func() livePassage {
		next++
		v := make([]float32, dim)
		for j := range v {
			v[j] = float32(next) + float32(j)/100
		}
		return livePassage{storedPassage: storedPassage{Passage: Passage{ID: fmt.Sprint(next)}}, vec: v}
	}
	want := func(p livePassage) float32 { // the first value p was made with
		var id int
		fmt.Sscan(p.ID, &id)
		return float32(id)
	}
	var ps []livePassage
	for range 200 {
		ps = append(ps, newPassage())
	}
	chunks, err := copyChunks(ps, dim, per)
	if err != nil {
		t.Fatal(err)
	}
	type layout struct {
		chunks []*vecChunk
		crc    uint32
	}
	var kept []layout
	shared, copied := 0, 0
	for round := range 300 {
		kept = append(kept, layout{chunks, vectorsCRC(chunks)})
		var next []livePassage
		var from []int
		for i := 0; i <= len(ps); i++ {
			if rng.IntN(60) == 0 {
				for range 1 + rng.IntN(3) {
					next, from = append(next, newPassage()), append(from, -1)
				}
			}
			if i == len(ps) {
				break
			}
			if rng.IntN(40) == 0 {
				continue // removed
			}
			next, from = append(next, ps[i]), append(from, i)
		}
		got, n, err := reuseChunks(chunks, next, from, dim, per)
		if err != nil {
			t.Fatal(err)
		}
		copied += n
		if !rowsOf(got, next, dim) {
			t.Fatalf("round %d: the passages' vectors are not the layout's rows", round)
		}
		for _, p := range next {
			if p.vec[0] != want(p) {
				t.Fatalf("round %d: passage %s holds %v", round, p.ID, p.vec[0])
			}
		}
		for _, c := range got {
			if rows := len(c.vecs) / dim; rows > 2*per || !c.own {
				t.Fatalf("round %d: a chunk of %d rows (own %v)", round, rows, c.own)
			}
			if slices.Contains(chunks, c) {
				shared++
			}
		}
		if max := 3*len(next)/per + 3; len(got) > max {
			t.Fatalf("round %d: %d chunks for %d rows of chunks of %d", round, len(got), len(next), per)
		}
		ps, chunks = next, got
	}
	for i, l := range kept {
		if vectorsCRC(l.chunks) != l.crc {
			t.Fatalf("layout %d was written into after it was made", i)
		}
	}
	t.Logf("%d chunks shared, %d rows copied over 300 changes of ~%d rows", shared, copied, len(ps))
	if shared == 0 {
		t.Fatal("no chunk was ever shared")
	}
}

// TestReuseChunksCopiesBorrowedRows: chunks that are pieces of a larger
// block (a loaded file's) are copied by the first change rather than
// shared, so that the block can go.
func TestReuseChunksCopiesBorrowedRows(t *testing.T) {
	const dim, per = 4, 16
	block := make([]float32, 100*dim)
	ps := make([]livePassage, 100)
	for i := range ps {
		ps[i].ID = fmt.Sprint(i)
		ps[i].vec = block[i*dim : (i+1)*dim : (i+1)*dim]
		ps[i].vec[0] = float32(i)
	}
	from := make([]int, len(ps))
	for i := range from {
		from[i] = i
	}
	next := slices.Clone(ps)
	got, n, err := reuseChunks(splitBlock(block, dim, per, nil), next, from, dim, per)
	if err != nil || n != len(ps) || !rowsOf(got, next, dim) {
		t.Fatalf("copied %d of %d rows, %v", n, len(ps), err)
	}
	for _, c := range got {
		if !c.own {
			t.Fatal("a borrowed chunk was shared")
		}
	}
	// Nothing changed since: everything is shared.
	again := slices.Clone(next)
	if _, n, err := reuseChunks(got, again, from, dim, per); err != nil || n != 0 {
		t.Fatalf("copied %d rows of an unchanged layout, %v", n, err)
	}
}

// TestChunkedScanMatchesContiguous: the scan over chunks of any sizes
// returns what the scan over one contiguous block returns, exact and
// quantised, filtered or not.
func TestChunkedScanMatchesContiguous(t *testing.T) {
	const dim = 64
	rng := rand.New(rand.NewPCG(11, 12))
	vecs := randomUnitVectors(rng, 9000, dim)
	// Ties: a few duplicated rows, across chunk boundaries.
	for _, i := range []int{10, 700, 4100, 8999} {
		copy(vecs[(i-3)*dim:(i-2)*dim], vecs[i*dim:(i+1)*dim])
	}
	var chunks []*vecChunk
	for lo := 0; lo < 9000; {
		hi := min(9000, lo+1+rng.IntN(700))
		chunks = append(chunks, chunkOf(vecs[lo*dim:hi*dim:hi*dim], true, nil))
		lo = hi
	}
	for _, quantize := range []bool{false, true} {
		one := newFlatStore(vecs, dim, quantize)
		many := newChunkedStore(withCodes(chunks, dim, quantize), dim)
		if many.quantized != quantize || many.rows != 9000 {
			t.Fatalf("quantised %v: %d rows, quantised %v", quantize, many.rows, many.quantized)
		}
		for k := range 20 {
			q := randomUnitVectors(rng, 1, dim)
			if k%4 == 0 {
				q = slices.Clone(vecs[700*dim : 701*dim])
			}
			var keep func(int) bool
			if k%2 == 1 {
				keep = func(i int) bool { return i%3 != 0 }
			}
			a, err1 := one.Nearest(context.Background(), q, 25, keep)
			b, err2 := many.Nearest(context.Background(), q, 25, keep)
			if err1 != nil || err2 != nil || !slices.Equal(a, b) {
				t.Fatalf("quantised %v, query %d: contiguous %v, chunked %v (%v, %v)", quantize, k, a, b, err1, err2)
			}
		}
	}
}
