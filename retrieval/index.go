// Package retrieval turns a folder of news articles into a searchable index
// and answers "which passages speak to this?". It loads and cleans articles
// (package article), cuts them into passages, embeds them (a local hashing
// embedder by default, or any OpenAI-compatible endpoint), keeps the vectors
// (scanned in place, or as a chromem-go collection) next to a BM25 keyword
// index, and fuses both in a hybrid search. Reindexing is incremental and atomic: readers keep the
// previous snapshot until the new one is complete and saved.
//
// It knows nothing of Discord, prompts or answers.
//
// A part with a vocabulary of its own is a package of its own, which
// imports this one and is never imported by it: this package sees such
// parts through its interfaces only.
//
//   - the LSA embedder (retrieval/lsa) is an Embedder, passed in as
//     Options.Embedder. Offline embedders share the index's tokenisation
//     through WordEmbedder: the index hands them the words it tokenised for
//     its keyword index.
//   - the vectors-only pgvector store (retrieval/pgvector) is an
//     ExternalStore, opened through Options.Vectors (a StoreOpener; see
//     external.go for how the index calls it).
//
// Package main (bot) turns the configuration's names (index.embedder =
// "lsa", index.store = "pgvector") into these values where it opens the
// index.
package retrieval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	chromem "github.com/philippgille/chromem-go"

	"github.com/newsbot/newsbot/retrieval/article"
	"github.com/newsbot/newsbot/retrieval/lexicon"
	"github.com/newsbot/newsbot/retrieval/text"
)

// Sentinel errors callers branch on.
var (
	// ErrReindexRunning is returned when a reindex is asked for while one runs.
	ErrReindexRunning = errors.New("a reindex is already running")
	// ErrEmptyCorpus is returned when the corpus folder holds no article.
	ErrEmptyCorpus = errors.New("no articles found")
)

// ArticleInfo describes one indexed article.
type ArticleInfo struct {
	ID        string    `json:"id"`
	Path      string    `json:"path"`
	Title     string    `json:"title"`
	Source    string    `json:"source,omitempty"`
	URL       string    `json:"url,omitempty"`
	Published time.Time `json:"published,omitzero"`
	Hash      string    `json:"hash"`
	Passages  int       `json:"passages"`
	// Origin, in what Shared.Remove returns, is where the article came
	// from: "ingest", or the folder an import read. It is not kept in
	// snapshots.
	Origin string `json:"origin,omitempty"`
}

// Options configures an Index.
type Options struct {
	// Dir is the data folder holding the saved index.
	Dir string
	// Embedder makes the vectors; NewLocalEmbedder(0) when nil.
	Embedder Embedder
	// Chunk bounds passage sizes; DefaultChunkOptions when zero.
	Chunk ChunkOptions
	// Load limits article loading (file size).
	Load article.Options
	// Logger receives operator messages; discarded when nil.
	Logger *slog.Logger
	// Vectors, when not nil, opens a store of the vectors outside the
	// process that several replicas share, such as package
	// retrieval/pgvector's PostgreSQL table (external.go says how the
	// index uses it). When nil, the vectors are only the index's own: a
	// chromem-go collection, saved with the index, and searched by a scan
	// of the same vectors in one contiguous block.
	Vectors StoreOpener
	// LockWait is how long a reindex (or an ingest) waits for another
	// process writing the same folder before it gives up with a
	// *LockedError (lock.go); DefaultLockWait when zero, no wait when
	// negative.
	LockWait time.Duration
	// Owner names this process to others that wait for its locks ("bot
	// index"); "newsbot" when empty.
	Owner string
	// MaxPassagesPerArticle and MaxPassages cap passages (budget.go): a
	// file with an article cut into more, or that would take the index
	// past MaxPassages, is left out whole. Zero means
	// DefaultMaxPassagesPerArticle and DefaultMaxPassages. Load caps files,
	// bytes and articles.
	MaxPassagesPerArticle int
	MaxPassages           int
}

// Index is the live, searchable index. It is safe for concurrent use:
// searches read an immutable snapshot that a reindex replaces in one atomic
// step.
type Index struct {
	dir   string
	emb   Embedder
	chunk ChunkOptions
	load  article.Options
	log   *slog.Logger
	stem  *text.Analyzer
	lex   wordTable // alternatives of query words; nil: none
	// quantizeAbove is the passage count past which the scan reads int8
	// codes first: the package's constant, which tests and benchmarks
	// lower.
	quantizeAbove int
	// chunkRows is how many vectors a chunk holds (chunks.go):
	// defaultChunkRows, which tests lower.
	chunkRows int
	// lockWait and lockOwner are Options.LockWait and Options.Owner.
	lockWait  time.Duration
	lockOwner string
	// maxPassagesPerArticle and maxPassages are the passage caps.
	maxPassagesPerArticle, maxPassages int

	cur       atomic.Pointer[snapshot]
	reindexMu sync.Mutex // held for the whole of a reindex; TryLock refuses a second one
	// filler puts each live snapshot's vectors in its chromem-go
	// collection, after the snapshot went live (chromem.go).
	filler   collectionFiller
	ingestMu sync.Mutex // serialises Ingest's choice of a file name and its save
	stale    atomic.Pointer[string]
	ext      ExternalStore // the outside vector store (Options.Vectors); nil: none
	// shared is the shared corpus store this index follows (shared.go);
	// nil for an embedded index. Set once, by OpenShared.
	shared *Shared
	// loaded is the index file the snapshot loaded by Open lies in, for
	// Close; weak, so that the mapping goes once a reindex replaced that
	// snapshot and nothing holds it any more.
	loaded weak.Pointer[fileMapping]

	saveHook func(tmp string) // tests only: called halfway through a save
}

// snapshot is one immutable state of the index.
type snapshot struct {
	manifest manifest
	passages []livePassage
	byID     map[string]int
	articles []ArticleInfo // sorted by ID
	chunks   []*vecChunk   // every passage's vector, in passage order, in chunks (chunks.go)
	mapping  *fileMapping  // the file chunks and kw lie in, for a loaded snapshot
	vectors  VectorStore   // what searches use: local, or bound
	local    VectorStore   // the scan of chunks
	bound    BoundStore    // the outside store bound to this snapshot while it searches it; nil otherwise
	kw       *bm25
	terms    termLists // every passage's term counts
	sources  []string  // distinct outlets, sorted
	// unpacked holds buffers for the term counts a search unpacks.
	unpacked *sync.Pool

	yearsOnce sync.Once // computes years, the span of undated articles (evidence.go)
	years     YearSpan

	colOnce sync.Once // makes col, the chromem-go collection (collection)
	col     *chromem.Collection
	colErr  error
}

// livePassage is a stored passage with its vector: a row of one of the
// snapshot's chunks. Its Terms are set
// on the way into a snapshot only: the snapshot keeps them compactly, in
// its termLists.
type livePassage struct {
	storedPassage
	vec []float32
}

// Open opens the index saved in opts.Dir. A missing index is not an error:
// the index is empty and Stale says why, so the caller can build it. A
// damaged one, or one built by another embedder or chunker, is treated the
// same way: the next Reindex rebuilds it from the corpus.
func Open(opts Options) (*Index, error) {
	if opts.Dir == "" {
		return nil, errors.New("open index: no data folder given")
	}
	if opts.Embedder == nil {
		opts.Embedder = NewLocalEmbedder(0)
	}
	if opts.Chunk.MaxWords == 0 {
		opts.Chunk = DefaultChunkOptions
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case opts.LockWait == 0:
		opts.LockWait = DefaultLockWait
	case opts.LockWait < 0:
		opts.LockWait = 0
	}
	ix := &Index{dir: opts.Dir, emb: opts.Embedder, chunk: opts.Chunk, load: opts.Load, log: opts.Logger, stem: sharedStemmer(opts.Embedder), lex: lexicon.New(), quantizeAbove: quantizeAbove,
		lockWait: opts.LockWait, lockOwner: opts.Owner, chunkRows: defaultChunkRows(opts.Embedder.Info().Dim),
		maxPassagesPerArticle: cmp.Or(opts.MaxPassagesPerArticle, DefaultMaxPassagesPerArticle), maxPassages: cmp.Or(opts.MaxPassages, DefaultMaxPassages)}
	empty, err := ix.buildSnapshot(ix.newManifest(), nil, nil, snapshotParts{})
	if err != nil {
		return nil, err
	}
	ix.cur.Store(empty)
	if opts.Vectors != nil {
		if ix.ext, err = opts.Vectors(StoreInfo{Embedder: ix.emb.Info(), Chunker: ix.chunkerID(), Logger: ix.log}); err != nil {
			return nil, fmt.Errorf("open index: %w", err)
		}
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("open index: create data folder: %w", err)
	}
	ix.cleanTemps()

	snap, err := ix.loadSnapshot(opts.Dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		ix.setStale("no index has been built yet")
	case errors.Is(err, ErrDamaged):
		ix.log.Warn("index file is damaged; it will be rebuilt by the next reindex", "err", err)
		// The manifest at the head of the file often survives damage
		// further on (a truncated write): keep its corpus folder, so the
		// rebuild reads the right articles.
		if m, err := readManifest(opts.Dir); err == nil {
			ix.cur.Load().manifest.Corpus = m.Corpus
		}
		ix.setStale(fmt.Sprintf("the saved index is damaged (%v); run reindex to rebuild it", err))
	case err != nil:
		ix.Close()
		return nil, fmt.Errorf("open index: %w", err)
	case snap.manifest.Embedder != ix.emb.Info():
		snap.mapping.release()
		ix.setStale(fmt.Sprintf("the saved index was built by embedder %s, not %s; run reindex to re-embed it", snap.manifest.Embedder, ix.emb.Info()))
	case snap.manifest.Chunker != ix.chunkerID():
		snap.mapping.release()
		ix.setStale(fmt.Sprintf("the saved index was chunked as %s, not %s; run reindex", snap.manifest.Chunker, ix.chunkerID()))
	default:
		if reason := ix.attach(snap); reason != "" {
			snap.mapping.release()
			ix.setStale(reason)
		} else {
			ix.cur.Store(snap)
			ix.filler.fill(snap, ix.log)
			ix.loaded = weak.Make(snap.mapping)
		}
	}
	return ix, nil
}

// sharedStemmer returns a word embedder's analyzer, whose cache the index
// can share (they tokenise the same words), or a new one.
func sharedStemmer(e Embedder) *text.Analyzer {
	if we, ok := e.(WordEmbedder); ok {
		return we.Analyzer()
	}
	return text.New()
}

// Close releases the outside vector store (Options.Vectors) and the memory
// mapping of the index file loaded by Open. The index must not be used
// after it; what it returned before (passages, results) stays valid.
func (ix *Index) Close() {
	// The filler reads vectors that may lie in the mapped file.
	ix.filler.close()
	if ix.ext != nil {
		ix.ext.Close()
	}
	if ix.shared != nil {
		ix.shared.pool.Close()
	}
	ix.loaded.Value().release()
}

// Stale returns why the index must be rebuilt before it can serve, or ""
// when it is ready.
func (ix *Index) Stale() string {
	if p := ix.stale.Load(); p != nil {
		return *p
	}
	return ""
}

func (ix *Index) setStale(reason string) { ix.stale.Store(&reason) }

// Corpus returns the corpus folder the live index was built from, or "".
func (ix *Index) Corpus() string { return ix.cur.Load().manifest.Corpus }

// Generation returns the shared store's generation the live snapshot
// holds (shared.go); 0 for an embedded index.
func (ix *Index) Generation() int64 { return ix.cur.Load().manifest.Generation }

// Dir returns the data folder.
func (ix *Index) Dir() string { return ix.dir }

func (ix *Index) chunkerID() string {
	return fmt.Sprintf("%s+%s/%d-%d", chunkerVersion, text.Version, ix.chunk.MinWords, ix.chunk.MaxWords)
}

func (ix *Index) newManifest() manifest {
	return manifest{Format: formatVersion, Embedder: ix.emb.Info(), Chunker: ix.chunkerID(), Created: time.Now().UTC()}
}

// Stats summarises the live index.
type Stats struct {
	Articles int          `json:"articles"`
	Passages int          `json:"passages"`
	Sources  []string     `json:"sources"`
	Oldest   time.Time    `json:"oldest,omitzero"`
	Newest   time.Time    `json:"newest,omitzero"`
	Embedder EmbedderInfo `json:"embedder"`
	Built    time.Time    `json:"built,omitzero"`
}

// Stats returns counts, outlets and the date range of the live index.
func (ix *Index) Stats() Stats {
	s := ix.cur.Load()
	st := Stats{Articles: len(s.articles), Passages: len(s.passages), Sources: s.sources, Embedder: s.manifest.Embedder}
	if len(s.passages) > 0 {
		st.Built = s.manifest.Created
	}
	for _, a := range s.articles {
		if a.Published.IsZero() {
			continue
		}
		if st.Oldest.IsZero() || a.Published.Before(st.Oldest) {
			st.Oldest = a.Published
		}
		if a.Published.After(st.Newest) {
			st.Newest = a.Published
		}
	}
	return st
}

// Articles returns the indexed articles sorted by ID. The slice is shared:
// don't modify it.
func (ix *Index) Articles() []ArticleInfo { return ix.cur.Load().articles }

// Passage returns a passage by ID.
func (ix *Index) Passage(id string) (Passage, bool) {
	s := ix.cur.Load()
	i, ok := s.byID[id]
	if !ok {
		return Passage{}, false
	}
	return s.passages[i].Passage, true
}

// snapshotParts are what a snapshot can be built from besides its
// passages and articles, when they exist already.
type snapshotParts struct {
	// chunks, when not nil, hold the passages' vectors in order: each
	// passage's vec is a row of them. Otherwise the vectors are copied
	// into new chunks.
	chunks []*vecChunk
	// checked is set when every vector went through shareable already
	// (in the snapshot the rows are kept from).
	checked bool
	// kw, when not nil, is the keyword index of the passages, which are
	// then in order already, and terms their term counts (a loaded
	// index, or one merged from the last: mergeKeywords). Otherwise both are
	// built from the passages' Terms.
	kw    *bm25
	terms termLists
}

// buildSnapshot assembles an immutable snapshot with the index's vector
// store.
func (ix *Index) buildSnapshot(m manifest, ps []livePassage, arts []ArticleInfo, parts snapshotParts) (*snapshot, error) {
	return ix.buildSnapshotOn(0, m, ps, arts, parts)
}

// backgroundWorkers is how many cores work on a snapshot built while the
// index serves (a shared store's changes, applied as they come): one fewer
// than there are, so that searches keep a core of their own.
func backgroundWorkers() int { return max(1, runtime.GOMAXPROCS(0)-1) }

// buildSnapshotOn is buildSnapshot on at most workers cores (0: all).
func (ix *Index) buildSnapshotOn(workers int, m manifest, ps []livePassage, arts []ArticleInfo, parts snapshotParts) (*snapshot, error) {
	s, err := buildSnapshot(m, ps, arts, parts, buildOptions{quantize: len(ps) > ix.quantizeAbove, chunkRows: ix.chunkRows, workers: workers})
	if err != nil {
		return nil, err
	}
	if ix.ext != nil {
		s.bound = ix.ext.Bind(SnapshotView{s}, s.local)
		s.vectors = s.bound
	}
	return s, nil
}

// buildOptions say how a snapshot is laid out and built.
type buildOptions struct {
	quantize  bool // the scan reads int8 codes first
	chunkRows int  // vectors a new chunk holds
	workers   int  // at most this many cores (0: all)
}

// buildSnapshot assembles an immutable snapshot from passages (with their
// vectors and term counts) and article infos: the vectors in chunks
// (parts.chunks, or copies), made shareable with a chromem-go collection
// unless parts.checked, the scan over them (quantised when o.quantize is
// set), and the keyword index unless parts.kw is given.
func buildSnapshot(m manifest, ps []livePassage, arts []ArticleInfo, parts snapshotParts, o buildOptions) (*snapshot, error) {
	kw, tl := parts.kw, parts.terms
	if kw == nil {
		slices.SortFunc(ps, comparePassages)
	}
	if !slices.IsSortedFunc(arts, compareArticles) {
		slices.SortFunc(arts, compareArticles)
	}
	dim := m.Embedder.Dim
	workers := scanWorkers(len(ps))
	if o.workers > 0 {
		workers = min(workers, o.workers)
	}
	chunks := parts.chunks
	if !rowsOf(chunks, ps, dim) {
		var err error
		if chunks, err = copyChunks(ps, dim, o.chunkRows); err != nil {
			return nil, err
		}
	}
	if !parts.checked {
		parallel(workers, len(ps), func(_, lo, hi int) {
			for i := lo; i < hi; i++ {
				shareable(ps[i].vec)
			}
		})
	}
	chunks = withCodes(chunks, dim, o.quantize)
	s := &snapshot{manifest: m, passages: ps, byID: make(map[string]int, len(ps)), articles: arts, chunks: chunks,
		unpacked: &sync.Pool{}}
	var docs [][]termCount
	if kw == nil {
		docs = make([][]termCount, len(ps))
	}
	srcs := map[string]bool{}
	for i := range ps {
		p := &ps[i]
		if s.byID[p.ID] = i; len(s.byID) != i+1 {
			return nil, fmt.Errorf("duplicate passage ID %q", p.ID)
		}
		if kw == nil {
			docs[i] = p.Terms
		}
		// An article's passages are neighbours, from one outlet.
		if p.Source != "" && (i == 0 || p.Source != ps[i-1].Source) {
			srcs[p.Source] = true
		}
	}
	for src := range srcs {
		s.sources = append(s.sources, src)
	}
	sort.Strings(s.sources)
	if kw == nil {
		kw, tl = newBM25(docs)
	}
	for i := range ps {
		ps[i].Terms = nil // kept compactly in tl
	}
	s.kw, s.terms = kw, tl
	s.local = newChunkedStore(chunks, dim)
	s.vectors = s.local
	s.manifest.Articles = len(arts)
	s.manifest.Passages = len(ps)
	return s, nil
}

// collection returns the snapshot's vectors as a chromem-go collection,
// made on the first call: its documents are the passages' rows, not
// copies (shareable made them so). Searches don't read it (the scan reads
// the same rows, several times faster) and the index file doesn't hold
// it, so no snapshot pays for it unless asked: tests and benchmarks
// compare the scan with chromem-go's own QueryEmbedding over it.
func (s *snapshot) collection() (*chromem.Collection, error) {
	s.colOnce.Do(func() {
		col, err := chromem.NewDB().CreateCollection(collection, map[string]string{"embedder": s.manifest.Embedder.String()}, noEmbed)
		if err != nil {
			s.colErr = fmt.Errorf("create collection: %w", err)
			return
		}
		// chromem-go takes documents from several goroutines.
		errs := make([]error, scanWorkers(len(s.passages)))
		parallel(len(errs), len(s.passages), func(w, lo, hi int) {
			for i := lo; i < hi; i++ {
				p := &s.passages[i]
				if err := col.AddDocument(context.Background(), chromem.Document{ID: p.ID, Embedding: p.vec}); err != nil {
					errs[w] = fmt.Errorf("add passage %s: %w", p.ID, err)
					return
				}
			}
		})
		s.col, s.colErr = col, errors.Join(errs...)
	})
	return s.col, s.colErr
}

// unpackTerms returns the term counts of the passages in cand, unpacked
// into one buffer for the caller's search, and the function that hands the
// buffer back once the search is done with them.
func (s *snapshot) unpackTerms(cand map[int]bool) (map[int][]termCount, func()) {
	bp, _ := s.unpacked.Get().(*[]termCount)
	if bp == nil {
		bp = new([]termCount)
	}
	n := 0
	for i := range cand {
		n += s.terms.len(i)
	}
	buf := slices.Grow((*bp)[:0], n)
	out := make(map[int][]termCount, len(cand))
	for i := range cand {
		k := len(buf)
		buf = s.terms.unpack(i, buf)
		out[i] = buf[k:len(buf):len(buf)]
	}
	return out, func() {
		clear(buf) // drop the strings it points to
		*bp = buf[:0]
		s.unpacked.Put(bp)
	}
}

// passageTerms returns passage i's term counts, in a new slice.
func (s *snapshot) passageTerms(i int) []termCount {
	return s.terms.unpack(i, make([]termCount, 0, s.terms.len(i)))
}

// comparePassages orders passages by article, then position.
func comparePassages(a, b livePassage) int {
	if c := strings.Compare(a.ArticleID, b.ArticleID); c != 0 {
		return c
	}
	return a.Ordinal - b.Ordinal
}

// compareArticles orders articles by ID.
func compareArticles(a, b ArticleInfo) int { return strings.Compare(a.ID, b.ID) }

// rowsOf reports whether the passages' vectors are the rows of chunks, in
// order.
func rowsOf(chunks []*vecChunk, ps []livePassage, dim int) bool {
	if chunks == nil && len(ps) > 0 {
		return false
	}
	i := 0
	for _, c := range chunks {
		if dim <= 0 || len(c.vecs)%dim != 0 {
			return false
		}
		for k := 0; k < len(c.vecs); k += dim {
			if i >= len(ps) || len(ps[i].vec) != dim || &ps[i].vec[0] != &c.vecs[k] {
				return false
			}
			i++
		}
	}
	return i == len(ps)
}

// shareable normalises vec in place as chromem-go would store it: a
// snapshot's collection (collection) then takes the row itself rather
// than a normalised copy. chromem-go keeps a vector whose norm is within
// 1e-6 of 1; normalize brings any other there, and should the result still
// miss it, chromem-go's own normalisation (its norm summed in float32) is
// applied, as the copy it made would have been.
func shareable(vec []float32) {
	if chromemNormalized(vec) {
		return
	}
	Normalize(vec)
	if chromemNormalized(vec) {
		return
	}
	var norm float32
	for _, x := range vec {
		norm += x * x
	}
	norm = float32(math.Sqrt(float64(norm)))
	if norm == 0 {
		return
	}
	for i, x := range vec {
		vec[i] = x / norm
	}
}

// chromemNormalized is chromem-go's test for a normalised vector.
func chromemNormalized(v []float32) bool {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	return math.Abs(math.Sqrt(sum)-1) < 1e-6
}

// noEmbed is the collection's embedding function: the index always passes
// vectors itself, so chromem-go must never embed on its own (its default
// would call OpenAI over the network).
func noEmbed(context.Context, string) ([]float32, error) {
	return nil, errors.New("the index embeds passages itself")
}

// foldKey folds a metadata value for equality filters.
func foldKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// embedText is what is embedded and keyword-indexed for a passage: the
// article's title gives every passage its topic, and its outlet lets
// "which agency reported..." find it. Changing it changes every passage's
// vector and terms: bump chunkerVersion.
func embedText(p Passage) string {
	var b strings.Builder
	for _, s := range []string{p.Title, p.Source} {
		if s != "" {
			b.WriteString(s)
			b.WriteString("\n\n")
		}
	}
	b.WriteString(p.Text)
	return b.String()
}

// scan returns the snapshot's own vector scan (also what an outside
// store falls back on), or nil.
func (s *snapshot) scan() *flatStore {
	f, _ := s.local.(*flatStore)
	return f
}
