package retrieval

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/newsbot/newsbot/internal/testkit"
)

// TestBBCReloadKeepsEveryPassage indexes the whole BBC corpus, reopens it
// and checks that every passage and vector came back: the check that would
// catch a store losing documents on disk (chromem-go's persistent mode
// does, through 32-bit file-name hashes).
func TestBBCReloadKeepsEveryPassage(t *testing.T) {
	bbc := testkit.BBC(t)
	if testing.Short() {
		t.Skip("indexes 2,225 articles")
	}
	data := t.TempDir()
	ix := openTest(t, data, nil)
	sum, err := ix.Reindex(context.Background(), bbc, nil)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Articles < 2200 || sum.Passages < 5000 {
		t.Fatalf("indexed %d articles, %d passages: fewer than the corpus holds", sum.Articles, sum.Passages)
	}
	again := openTest(t, data, nil)
	assertSameIndex(t, ix, again)
	for _, id := range []string{"sport/199#1", "business/001#1", "tech/401#1"} {
		if _, ok := again.Passage(id); !ok {
			t.Errorf("passage %s missing after reopen", id)
		}
	}
	var all string
	for i := 1; ; i++ {
		p, ok := again.Passage(fmt.Sprintf("sport/199#%d", i))
		if !ok {
			break
		}
		all += p.Text
	}
	if !containsRune(all, '£') {
		t.Errorf("sport/199 lost its pound sign: %.300q", all)
	}
}

func containsRune(s string, r rune) bool {
	for _, c := range s {
		if c == r {
			return true
		}
	}
	return false
}

// BenchmarkIndexBBC indexes the BBC corpus from scratch.
func BenchmarkIndexBBC(b *testing.B) {
	bbc := testkit.BBC(b)
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		data := b.TempDir()
		ix, err := Open(Options{Dir: data})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		sum, err := ix.Reindex(context.Background(), bbc, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(sum.Passages), "passages")
	}
	reportPeakRSS(b)
}

// BenchmarkReindexUnchangedBBC reindexes the BBC corpus when nothing changed.
func BenchmarkReindexUnchangedBBC(b *testing.B) {
	bbc := testkit.BBC(b)
	ix := indexedBBC(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ix.Reindex(context.Background(), bbc, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReindexOneChangedBBC reindexes the BBC corpus after one article
// changed: one article embedded, the snapshot rebuilt and saved.
func BenchmarkReindexOneChangedBBC(b *testing.B) {
	bbc := testkit.BBC(b)
	corpus := b.TempDir()
	for _, topic := range []string{"business", "entertainment", "politics", "sport", "tech"} {
		if err := os.Symlink(filepath.Join(bbc, topic), filepath.Join(corpus, topic)); err != nil {
			b.Fatal(err)
		}
	}
	extra := filepath.Join(corpus, "extra.txt")
	os.WriteFile(extra, []byte("Extra story\n\nFirst version."), 0o644)
	ix, err := Open(Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := ix.Reindex(context.Background(), corpus, nil); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		i++
		os.WriteFile(extra, []byte(fmt.Sprintf("Extra story\n\nVersion %d.", i)), 0o644)
		sum, err := ix.Reindex(context.Background(), corpus, nil)
		if err != nil || len(sum.Changed) != 1 {
			b.Fatalf("reindex: %v, changed %v", err, sum.Changed)
		}
	}
}

// BenchmarkOpenBBC reopens a saved BBC index.
func BenchmarkOpenBBC(b *testing.B) {
	ix := indexedBBC(b)
	b.ReportAllocs()
	for b.Loop() {
		again, err := Open(Options{Dir: ix.Dir()})
		if err != nil || again.Stale() != "" {
			b.Fatal(err, again.Stale())
		}
	}
}

// BenchmarkFillChromemBBC fills a chromem-go collection with the BBC
// index's vectors as a snapshot's collection does (documents sharing the
// passages' rows, on every core): what every snapshot paid, when it was
// made with each, before the collection was made only on demand.
func BenchmarkFillChromemBBC(b *testing.B) {
	s := indexedBBC(b).cur.Load()
	b.ReportAllocs()
	for b.Loop() {
		fresh := &snapshot{manifest: s.manifest, passages: s.passages}
		if _, err := fresh.collection(); err != nil {
			b.Fatal(err)
		}
	}
}

var benchQueries = []string{
	"Will Iran allow inspections of its military sites?",
	"interest rates rise Bank of England",
	"Chelsea striker injury",
	"mobile phone sales growth",
	"Oscar nominations best film",
	"Blair election campaign tax",
	"broadband prices in Europe",
	"record profits for oil companies",
}

// BenchmarkSearchBBC is one hybrid query against the BBC index, with the
// default scan (float32) and with chromem-go's own QueryEmbedding.
func BenchmarkSearchBBC(b *testing.B) {
	ix := indexedBBC(b)
	for _, scan := range []string{"float32", "chromem-go"} {
		b.Run("scan="+scan, func(b *testing.B) {
			benchSearch(b, withScan(ix, scan))
		})
	}
}

func benchSearch(b *testing.B, ix *Index) {
	b.Helper()
	ctx := context.Background()
	b.ReportAllocs()
	i := 0
	start := time.Now()
	for b.Loop() {
		if _, err := ix.Search(ctx, Query{Text: benchQueries[i%len(benchQueries)], K: 5}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	ms := float64(time.Since(start).Microseconds()) / 1000 / float64(i)
	b.StopTimer()
	b.ReportMetric(ms, "ms/query")
	s := ix.cur.Load()
	b.ReportMetric(float64(len(s.passages)), "passages")
	// The floor: the vector bytes one query reads, at the read bandwidth
	// measured in this process.
	bytes := float64(len(s.passages)*s.manifest.Embedder.Dim) * 4
	if f, ok := s.vectors.(*flatStore); ok {
		bytes = float64(f.vectorBytes())
	}
	bw := readBandwidth(b)
	floor := bytes / bw * 1000
	b.ReportMetric(bw/1e9, "read-GB/s")
	b.ReportMetric(bytes/1e6, "MB-read/query")
	b.ReportMetric(floor, "floor-ms")
	b.ReportMetric(ms/floor, "x-floor")
}

// withScan returns a copy of ix whose live snapshot searches its vectors
// with one scan: "float32" (exact), "int8" (quantised, rescored) or
// "chromem-go" (the collection's QueryEmbedding).
func withScan(ix *Index, scan string) *Index {
	// A new snapshot of the live one's parts: not a copy of the struct,
	// whose sync.Onces the collection filler may be using.
	live := ix.cur.Load()
	s := snapshot{manifest: live.manifest, passages: live.passages, byID: live.byID, articles: live.articles, chunks: live.chunks,
		mapping: live.mapping, kw: live.kw, terms: live.terms, sources: live.sources, unpacked: live.unpacked}
	dim := s.manifest.Embedder.Dim
	switch scan {
	case "float32":
		s.vectors = newChunkedStore(withCodes(s.chunks, dim, false), dim)
	case "int8":
		s.vectors = newChunkedStore(withCodes(s.chunks, dim, true), dim)
	case "chromem-go":
		s.vectors = chromemStore{col: mustCollection(ix.cur.Load()), byID: s.byID}
	default:
		panic("unknown scan " + scan)
	}
	other := &Index{dir: ix.dir, emb: ix.emb, chunk: ix.chunk, load: ix.load, log: ix.log, stem: ix.stem, quantizeAbove: ix.quantizeAbove}
	other.cur.Store(&s)
	return other
}

// BenchmarkSearchSynthetic measures a hybrid query on synthetic indexes of
// 10k to 1M passages (random vectors, texts drawn from a small vocabulary)
// with each scan, to show how query time grows with exhaustive vector
// search and how it compares with the floor (the vector bytes read at the
// read bandwidth). The default scan is float32 up to quantizeAbove
// passages and int8 past it.
func BenchmarkSearchSynthetic(b *testing.B) {
	for _, n := range []int{10_000, 30_000, 100_000, 300_000, 1_000_000} {
		b.Run(fmt.Sprintf("passages=%d", n), func(b *testing.B) {
			if n > 300_000 && os.Getenv("NEWSBOT_BENCH_1M") == "" {
				b.Skip("set NEWSBOT_BENCH_1M=1: builds a 1M-passage index (several GB)")
			}
			ix := syntheticIndex(b, n)
			for _, scan := range []string{"float32", "int8", "chromem-go"} {
				b.Run("scan="+scan, func(b *testing.B) {
					q := withScan(ix, scan)
					benchSearch(b, q)
					if scan == "int8" {
						b.ReportMetric(syntheticRecall(b, withScan(ix, "float32"), q), "recall@10")
					}
					reportPeakRSS(b)
				})
			}
		})
	}
}

// syntheticRecall is recall@10 of other's vector scan against exact's, for
// the benchmark queries' vectors and 64 random unit vectors.
func syntheticRecall(b *testing.B, exact, other *Index) float64 {
	b.Helper()
	s := exact.cur.Load()
	dim := s.manifest.Embedder.Dim
	var qs []float32
	for _, text := range benchQueries {
		v, err := exact.embedQuery(context.Background(), s, text, exact.analyze(s, text))
		if err != nil {
			b.Fatal(err)
		}
		qs = append(qs, v...)
	}
	qs = append(qs, randomUnitVectors(rand.New(rand.NewPCG(9, 10)), 64, dim)...)
	return recallAt10(b, s.vectors, other.cur.Load().vectors, qs, dim)
}

func syntheticIndex(b *testing.B, n int) *Index {
	b.Helper()
	ix, err := Open(Options{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	ix.quantizeAbove = 0 // quantised codes for the int8 scan; withScan picks
	dim := ix.emb.Info().Dim
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := make([]string, 20000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%d", i)
	}
	vocab = append(vocab, "iran", "missil", "bank", "rate", "chelsea", "mobil", "oscar", "blair", "tax", "broadband", "oil", "profit")
	block := make([]float32, n*dim)
	ps := make([]livePassage, n)
	for i := range ps {
		terms := make([]string, 60)
		for j := range terms {
			terms[j] = vocab[int(rng.ExpFloat64()*2000)%len(vocab)]
		}
		v := block[i*dim : (i+1)*dim]
		for j := range v {
			v[j] = float32(rng.NormFloat64())
		}
		Normalize(v)
		aid := fmt.Sprintf("synthetic/%07d", i)
		ps[i] = livePassage{storedPassage: storedPassage{Passage: Passage{ID: aid + "#1", ArticleID: aid, Title: aid, Ordinal: 1, Text: "synthetic"}, Terms: countTerms(terms)}, vec: v}
	}
	snap, err := ix.buildSnapshot(ix.newManifest(), ps, nil, snapshotParts{chunks: splitBlock(block, dim, ix.chunkRows, nil)})
	if err != nil {
		b.Fatal(err)
	}
	ix.cur.Store(snap)
	ix.stale.Store(nil)
	runtime.GC()
	return ix
}

// indexedBBC returns an index of the BBC corpus, built once per process.
func indexedBBC(b *testing.B) *Index {
	b.Helper()
	bbc := testkit.BBC(b)
	bbcOnce.Do(func() {
		dir, err := os.MkdirTemp("", "newsbot-bench-")
		if err != nil {
			bbcErr = err
			return
		}
		ix, err := Open(Options{Dir: dir})
		if err != nil {
			bbcErr = err
			return
		}
		if _, err := ix.Reindex(context.Background(), bbc, nil); err != nil {
			bbcErr = err
			return
		}
		bbcIndex = ix
	})
	if bbcErr != nil {
		b.Fatal(bbcErr)
	}
	return bbcIndex
}

// reportPeakRSS reports the process's peak resident memory so far (Linux).
func reportPeakRSS(b *testing.B) {
	b.Helper()
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB") // Maxrss is in KiB on Linux
	}
}

// The BBC index is built once per benchmark process and shared.
var (
	bbcOnce  sync.Once
	bbcIndex *Index
	bbcErr   error
)

// BenchmarkMemoryBandwidth reads a buffer far larger than the caches on
// every core at once, as the vector scan does: the machine's read bandwidth,
// against which an exhaustive vector scan is compared (bytes of vectors read
// per query ÷ bandwidth = the fastest such a scan can be). It only reads:
// a copy also writes, and would halve the figure.
func BenchmarkMemoryBandwidth(b *testing.B) {
	const size = 256 << 20
	buf := make([]uint64, size/8)
	for i := range buf {
		buf[i] = uint64(i)
	}
	workers := runtime.GOMAXPROCS(0)
	sums := make([]uint64, workers*8) // one cache line apart
	b.SetBytes(size)
	for b.Loop() {
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sums[w*8] = sumWords(buf[len(buf)*w/workers : len(buf)*(w+1)/workers])
			}()
		}
		wg.Wait()
	}
}

// readBandwidth is the read bandwidth of all cores in bytes per second,
// measured when called (so beside the benchmark that asks, on a machine
// whose load changes): the median of five passes over 256 MiB.
func readBandwidth(tb testing.TB) float64 {
	tb.Helper()
	buf := make([]uint64, 256<<20/8)
	for i := range buf {
		buf[i] = uint64(i)
	}
	workers := runtime.GOMAXPROCS(0)
	sums := make([]uint64, workers*8)
	var rates []float64
	for range 5 {
		start := time.Now()
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sums[w*8] = sumWords(buf[len(buf)*w/workers : len(buf)*(w+1)/workers])
			}()
		}
		wg.Wait()
		rates = append(rates, float64(len(buf)*8)/time.Since(start).Seconds())
	}
	slices.Sort(rates)
	return rates[len(rates)/2]
}

// sumWords adds s up with eight independent sums: integer adds are cheap
// enough that the loop waits on memory, not on arithmetic.
func sumWords(s []uint64) uint64 {
	var a0, a1, a2, a3, a4, a5, a6, a7 uint64
	for len(s) >= 8 {
		a0 += s[0]
		a1 += s[1]
		a2 += s[2]
		a3 += s[3]
		a4 += s[4]
		a5 += s[5]
		a6 += s[6]
		a7 += s[7]
		s = s[8:]
	}
	for _, x := range s {
		a0 += x
	}
	return a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7
}
