package retrieval

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/newsbot/newsbot/internal/backoff"
	"github.com/newsbot/newsbot/internal/breaker"
)

// A shared corpus store makes PostgreSQL the system of record for the
// corpus of several replicas (shared_pg.go has the tables): the articles
// (their text, metadata, content hash, who added them and when), their
// passages with their vectors, the embedder and chunker that made them,
// and a generation counter that every change moves on by one.
//
// Writing. Every write (an /ingest, an import of a folder, a removal, a
// rebuild) holds one advisory lock for its whole length, on a session of
// its own, and changes the store in one transaction that takes the next
// generation and signals it (NOTIFY) on commit: a writer killed midway
// leaves nothing of its change, and its session's end releases the lock.
// An import adds and updates the articles of its folder (its origin) and
// never removes any: articles from /ingest or from another folder are
// left alone, and an article ID another origin already has is skipped and
// reported. Removal is explicit (Remove, and Import with prune). A rebuild
// re-chunks and re-embeds every article into a new build beside the live
// one, then switches to it in one transaction.
//
// Reading. Each replica searches an in-memory snapshot (passages, BM25,
// vectors) like the embedded index's, loaded from the store at start (the
// vectors come from the store: nothing is re-embedded) and kept up to date
// by Run: a notification, or a poll when none comes, shows the generation
// moved, and the replica reads what changed since its own generation (the
// articles written after it, the removals recorded after it) in one
// repeatable-read transaction and swaps in a new snapshot. A new build is
// loaded whole. Searches never wait: they read the live snapshot through
// its atomic pointer, and no statement of a writer locks what a load reads
// (PostgreSQL's MVCC). The snapshot is also saved in the data folder, now
// and then, so that a replica starts from it (reading only what changed
// since) and serves it read-only while PostgreSQL is unreachable.
//
// Failing. Writes and convergence polls go through a circuit breaker: once
// PostgreSQL stops answering, writes fail at once with ErrReadOnly instead
// of each costing a timeout, while Run reconnects with backoff. A store
// made by another embedder or chunker is never mixed in: OpenShared
// refuses to start (a *MismatchError), and a replica that finds the store
// rebuilt by another embedder while it runs keeps its snapshot, read-only.

// ErrReadOnly is returned by the writes of a Shared that cannot reach
// PostgreSQL (wrapped with the cause).
var ErrReadOnly = errors.New("the shared corpus store is unreachable, so the corpus is read-only for now")

// ErrNotFound is returned by Remove when no article matches.
var ErrNotFound = errors.New("no such article")

// errShared is returned by the embedded writes of an Index that follows a
// shared store: its writes go through Shared.
var errShared = errors.New("this index follows a shared corpus store: write through it")

// SharedOptions configures OpenShared. Zero values take the defaults named.
type SharedOptions struct {
	// Postgres is the PostgreSQL connection string (a URL or key=value
	// pairs, pgx's, pool settings included).
	Postgres string
	// Poll is how often Run reads the generation when no notification
	// came (2s): the convergence bound when notifications are lost.
	Poll time.Duration
	// Timeout bounds connecting and each query of Run's polls (5s).
	Timeout time.Duration
	// SaveEvery is the least time between two saves of the snapshot in
	// the data folder (10s).
	SaveEvery time.Duration
	// Reconnect is the schedule of Run's reconnections (0.5s doubling to
	// 30s, jittered).
	Reconnect backoff.Policy
	// Degrade lets OpenShared succeed while PostgreSQL is unreachable: the
	// Shared then serves the snapshot saved in the data folder, if any,
	// read-only, until Run reaches the store.
	Degrade bool
	// Rebuild lets OpenShared open a store made by another embedder or
	// chunker, for Rebuild to re-embed it.
	Rebuild bool
	// OnChange, when not nil, is told the state after each change of it
	// (from the goroutine that changed it).
	OnChange func(SharedState)
}

// SharedState is what a replica reports about its store.
type SharedState struct {
	// Writable is set when writes can go through; Reason says why not.
	Writable bool
	Reason   string
	// Generation is the store's generation the live snapshot holds, and
	// Articles and Passages its size.
	Generation         int64
	Articles, Passages int
	// Serving is set once the index holds a snapshot of the store (from
	// PostgreSQL, or saved in the data folder from it).
	Serving bool
	// Latest is the store's newest generation this replica knows of (at
	// least Generation): Latest - Generation is how far it lags.
	Latest int64
	// Listening is set while the replica hears the store's change
	// notifications; without them it catches up at each poll.
	Listening bool
}

// Shared is a corpus kept in PostgreSQL, with its Index following it. Its
// methods are safe for concurrent use.
type Shared struct {
	ix                *Index
	opts              SharedOptions
	log               *slog.Logger
	pool              *pgxpool.Pool
	brk               *breaker.Breaker
	embedder, chunker string
	dim               int
	// by names this process in the articles it imports ("bot serve on
	// HOST").
	by string

	// writers holds one token per write running in this process: one at
	// a time, besides the advisory lock across processes.
	writers chan struct{}
	// loaded is closed once the index serves a snapshot of the store.
	loaded     chan struct{}
	loadedOnce sync.Once
	serving    atomic.Bool
	// following is set once Load or Run was called: writes then apply
	// their change to the index before they return.
	following atomic.Bool
	// drifted says why the store can't be followed any more (rebuilt by
	// another embedder while this process runs); nil when it can.
	drifted atomic.Pointer[string]
	// latest is the newest store generation read; listening is set while
	// the notification connection is up.
	latest    atomic.Int64
	listening atomic.Bool

	// syncMu serialises the snapshot's updates from the store, and guards
	// the fields below.
	syncMu sync.Mutex
	dirty  bool      // the live snapshot is not saved yet
	saved  time.Time // when it was last saved

	// stateMu guards last, the state last told to OnChange, and is held
	// while telling it.
	stateMu sync.Mutex
	last    SharedState

	beforeCommit func() // tests only: called before a write commits
	channel      string // the channel Run listens on: corpusChannel (tests change it to hear nothing)
}

// OpenShared opens the index in opts.Dir (the snapshot saved there) and
// connects to the shared store, creating its tables when they are
// missing and claiming an empty store for this index's embedder. It
// returns a *MismatchError when the store's passages were made by another
// embedder or chunker (unless so.Rebuild). When PostgreSQL can't be
// reached it fails, unless so.Degrade: the Shared then serves the saved
// snapshot read-only and Run connects later. Nothing is loaded from the
// store until Load or Run.
func OpenShared(ctx context.Context, opts Options, so SharedOptions) (*Shared, error) {
	if opts.Vectors != nil {
		return nil, errors.New("open shared corpus: the pgvector vector store is not used with a shared corpus store (each replica searches its snapshot in memory); leave the store setting at chromem")
	}
	if so.Postgres == "" {
		return nil, errors.New("open shared corpus: no PostgreSQL connection string")
	}
	so.Poll = cmp.Or(so.Poll, 2*time.Second)
	so.Timeout = cmp.Or(so.Timeout, 5*time.Second)
	so.SaveEvery = cmp.Or(so.SaveEvery, 10*time.Second)
	if so.Reconnect.Base <= 0 {
		so.Reconnect = backoff.Policy{Base: 500 * time.Millisecond, Max: 30 * time.Second, Jitter: true}
	}
	cfg, err := pgxpool.ParseConfig(so.Postgres)
	if err != nil {
		return nil, fmt.Errorf("open shared corpus: postgres connection string: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = so.Timeout
	}
	ix, err := Open(opts)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	by := fmt.Sprintf("%s on %s", ix.owner(), cmp.Or(host, "this host"))
	if _, ok := cfg.ConnConfig.RuntimeParams["application_name"]; !ok {
		// Who holds the write lock, for those who wait on it (PostgreSQL
		// keeps 63 bytes of it).
		cfg.ConnConfig.RuntimeParams["application_name"] = fmt.Sprintf("newsbot: %s, pid %d", by, os.Getpid())
	}
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg) // connects lazily
	if err != nil {
		ix.Close()
		return nil, fmt.Errorf("open shared corpus: %w", err)
	}
	info := ix.emb.Info()
	s := &Shared{ix: ix, opts: so, log: ix.log, pool: pool, embedder: info.String(), chunker: ix.chunkerID(), dim: info.Dim, by: by,
		writers: make(chan struct{}, 1), loaded: make(chan struct{}), channel: corpusChannel}
	s.brk = breaker.New(breaker.Options{Cool: so.Reconnect, OnChange: func(bool) { s.publish() }})
	ix.shared = s
	if m := ix.cur.Load().manifest; m.Store != "" && ix.Stale() == "" {
		s.markServing() // the snapshot saved from the store
	}

	m, err := s.ensureSchema(ctx)
	switch {
	case err == nil:
		s.brk.Success()
		if mm := s.mismatch(m); mm != nil && !so.Rebuild {
			ix.Close()
			return nil, mm
		}
	case unavailable(err) && so.Degrade:
		s.brk.Trip(err)
		if s.serving.Load() {
			s.log.Warn("PostgreSQL is unreachable; serving the snapshot saved in the data folder, read-only, until it is back",
				"err", err, "generation", ix.cur.Load().manifest.Generation, "articles", len(ix.Articles()))
		} else {
			s.log.Warn("PostgreSQL is unreachable and the data folder holds no snapshot of the store; waiting for PostgreSQL", "err", err)
		}
	default:
		ix.Close()
		return nil, fmt.Errorf("open shared corpus: %w", err)
	}
	s.publish()
	return s, nil
}

// Index returns the index that follows the store: searches go there.
func (s *Shared) Index() *Index { return s.ix }

// Close closes the index and the connections.
func (s *Shared) Close() { s.ix.Close() }

// Serving reports whether the index holds a snapshot of the store.
func (s *Shared) Serving() bool { return s.serving.Load() }

// WaitServing waits until the index holds a snapshot of the store (Run
// loads it once PostgreSQL is reachable), or ctx ends.
func (s *Shared) WaitServing(ctx context.Context) error {
	select {
	case <-s.loaded:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (s *Shared) markServing() {
	s.serving.Store(true)
	s.loadedOnce.Do(func() { close(s.loaded) })
}

// Writable reports whether writes can go through now and, when not, why.
func (s *Shared) Writable() (bool, string) {
	if d := s.drifted.Load(); d != nil {
		return false, *d
	}
	if open, since, last := s.brk.State(); open {
		return false, fmt.Sprintf("PostgreSQL unreachable since %s: %v", since.UTC().Format(time.RFC3339), last)
	}
	return true, ""
}

// State returns the replica's state of the store.
func (s *Shared) State() SharedState {
	ok, why := s.Writable()
	cur := s.ix.cur.Load()
	return SharedState{Writable: ok, Reason: why, Generation: cur.manifest.Generation, Articles: len(cur.articles), Passages: len(cur.passages),
		Serving: s.serving.Load(), Latest: max(s.latest.Load(), cur.manifest.Generation), Listening: s.listening.Load()}
}

// publish tells OnChange the state when it changed. OnChange must not
// call back into the Shared.
func (s *Shared) publish() {
	if s.opts.OnChange == nil {
		return
	}
	// Under the lock, so that the states are told in the order they were
	// taken.
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	if st := s.State(); st != s.last {
		s.last = st
		s.opts.OnChange(st)
	}
}

// Load brings the index up to the store's generation: what changed since
// the snapshot it holds (one loaded from the data folder, say), or the
// whole store when that snapshot is of another store or build. From then
// on writes apply their change to the index before they return.
func (s *Shared) Load(ctx context.Context) error {
	s.following.Store(true)
	return s.sync(ctx)
}

// sync applies the store's changes to the index, through the breaker.
func (s *Shared) sync(ctx context.Context) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	if err := s.brk.Allow(); err != nil {
		return fmt.Errorf("%w: %w", ErrReadOnly, err)
	}
	err := s.pull(ctx)
	switch {
	case unavailable(err):
		s.brk.Failure(err)
		err = fmt.Errorf("%w: %w", ErrReadOnly, err)
	default:
		s.brk.Success()
	}
	s.publish()
	return err
}

// pull loads what changed in the store since the live snapshot. It holds
// syncMu.
func (s *Shared) pull(ctx context.Context) error {
	cur := s.ix.cur.Load()
	qctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	m, found, err := readStoreMeta(qctx, s.pool, false)
	cancel()
	if err != nil {
		return err
	}
	if !found {
		return errors.New("postgres: newsbot_corpus has no row")
	}
	s.noteLatest(m.generation)
	if mm := s.mismatch(m); mm != nil {
		reason := fmt.Sprintf("the shared corpus was re-embedded by %s, not this replica's %s; restart this replica with the store's embedder settings", mm.Store, mm.Ours)
		if old := s.drifted.Swap(&reason); old == nil {
			s.log.Error("the shared corpus was rebuilt by another embedder; serving the last snapshot, read-only", "store", mm.Store, "ours", mm.Ours)
		}
		return nil
	}
	s.drifted.Store(nil)
	full := !s.serving.Load() || cur.manifest.Store != m.id || cur.manifest.Build != m.build || cur.manifest.Generation > m.generation
	if !full && cur.manifest.Generation == m.generation {
		return nil
	}
	start := time.Now()
	bctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	tx, err := s.pool.BeginTx(bctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	cancel()
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer rollback(tx)
	// The store as of this transaction: its generation may be past m's.
	qctx, cancel = context.WithTimeout(ctx, s.opts.Timeout)
	m, _, err = readStoreMeta(qctx, tx, false)
	cancel()
	if err != nil {
		return err
	}
	s.noteLatest(m.generation)
	if s.mismatch(m) != nil {
		return nil // rebuilt meanwhile: the next poll says so
	}
	full = full || cur.manifest.Build != m.build
	var snap *snapshot
	var delta deltaCounts
	if full {
		snap, err = s.loadAll(ctx, tx, m)
	} else {
		snap, delta, err = s.loadDelta(ctx, tx, m, cur)
	}
	if err != nil {
		return err
	}
	s.ix.cur.Store(snap)
	s.ix.filler.fill(snap, s.ix.log)
	s.ix.stale.Store(nil)
	s.dirty = true
	s.markServing()
	if full {
		s.log.Info("loaded the shared corpus", "generation", m.generation, "build", m.build, "articles", len(snap.articles),
			"passages", len(snap.passages), "seconds", time.Since(start).Seconds())
	} else {
		s.log.Info("applied changes of the shared corpus", "from", cur.manifest.Generation, "generation", m.generation,
			"articles_written", delta.written, "articles_removed", delta.removed, "passages", len(snap.passages), "vectors_copied", delta.copiedRows,
			"seconds", time.Since(start).Seconds())
	}
	return nil
}

// noteLatest records a generation read from the store.
func (s *Shared) noteLatest(g int64) {
	for {
		old := s.latest.Load()
		if g <= old || s.latest.CompareAndSwap(old, g) {
			return
		}
	}
}

// deltaCounts counts what a delta applied, and the vectors it copied
// (the rest are shared with the snapshot it was applied to).
type deltaCounts struct{ written, removed, copiedRows int }

// sharedManifest is the manifest of a snapshot of store m.
func (ix *Index) sharedManifest(m storeMeta) manifest {
	mf := ix.newManifest()
	mf.Store, mf.Build, mf.Generation = m.id, m.build, m.generation
	return mf
}

// articleColumns are the columns of an article's row that a snapshot
// needs (scanArticle reads them).
const articleColumns = "id, path, title, source, url, published, hash"

func scanArticle(rows pgx.CollectableRow) (ArticleInfo, error) {
	var a ArticleInfo
	var pub *time.Time
	if err := rows.Scan(&a.ID, &a.Path, &a.Title, &a.Source, &a.URL, &pub, &a.Hash); err != nil {
		return a, fmt.Errorf("postgres: read articles: %w", err)
	}
	if pub != nil {
		a.Published = *pub
	}
	return a, nil
}

// readArticleInfos reads articles by a query returning articleColumns.
func readArticleInfos(ctx context.Context, tx pgx.Tx, sql string, args ...any) (map[string]*ArticleInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, sharedStatementTimeout)
	defer cancel()
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: read articles: %w", err)
	}
	defer rows.Close()
	out := map[string]*ArticleInfo{}
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return nil, err
		}
		out[a.ID] = &a
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: read articles: %w", err)
	}
	return out, nil
}

// readPassages reads the passages of build (of the articles ids, or all
// when ids is nil), in passage order, with their vectors in chunks of
// their own.
func (s *Shared) readPassages(ctx context.Context, tx pgx.Tx, build int64, arts map[string]*ArticleInfo, ids []string) ([]livePassage, []*vecChunk, error) {
	ctx, cancel := context.WithTimeout(ctx, sharedStatementTimeout)
	defer cancel()
	// COLLATE "C" orders as Go compares strings: the snapshot's order.
	sql := `SELECT id, article_id, ordinal, text, embedding FROM newsbot_corpus_passages WHERE build = $1`
	args := []any{build}
	if ids != nil {
		sql += " AND article_id = ANY($2)"
		args = append(args, ids)
	}
	rows, err := tx.Query(ctx, sql+` ORDER BY article_id COLLATE "C", ordinal`, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: read passages: %w", err)
	}
	defer rows.Close()
	var (
		ps  []livePassage
		vec []byte
		out = chunkBuilder{dim: s.dim, per: s.ix.chunkRows}
	)
	for rows.Next() {
		var p livePassage
		var ordinal int32
		if err := rows.Scan(&p.ID, &p.ArticleID, &ordinal, &p.Text, &vec); err != nil {
			return nil, nil, fmt.Errorf("postgres: read passages: %w", err)
		}
		a := arts[p.ArticleID]
		if a == nil {
			return nil, nil, fmt.Errorf("postgres: passage %s of an article the snapshot lacks", p.ID)
		}
		p.Ordinal, p.Title, p.Source, p.URL, p.Published, p.ArticleHash = int(ordinal), a.Title, a.Source, a.URL, a.Published, a.Hash
		a.Passages++
		p.vec = out.row()
		if _, err := decodeVector(p.vec[:0], vec, s.dim); err != nil {
			return nil, nil, fmt.Errorf("postgres: passage %s: %w", p.ID, err)
		}
		ps = append(ps, p)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("postgres: read passages: %w", err)
	}
	return ps, out.chunks(), nil
}

// loadAll builds a snapshot of the whole store.
func (s *Shared) loadAll(ctx context.Context, tx pgx.Tx, m storeMeta) (*snapshot, error) {
	arts, err := readArticleInfos(ctx, tx, "SELECT "+articleColumns+" FROM newsbot_corpus_articles")
	if err != nil {
		return nil, err
	}
	ps, chunks, err := s.readPassages(ctx, tx, m.build, arts, nil)
	if err != nil {
		return nil, err
	}
	// Nothing is served yet at start: every core. A rebuild loaded while
	// the replica serves leaves searches one.
	workers := runtime.GOMAXPROCS(0)
	if s.serving.Load() {
		workers = backgroundWorkers()
	}
	s.ix.termsOf(ps, workers)
	infos := make([]ArticleInfo, 0, len(arts))
	for _, a := range arts {
		infos = append(infos, *a)
	}
	snap, err := s.ix.buildSnapshotOn(workers, s.ix.sharedManifest(m), ps, infos, snapshotParts{chunks: chunks})
	if err != nil {
		return nil, fmt.Errorf("load the shared corpus: %w", err)
	}
	return snap, nil
}

// loadDelta builds a snapshot from cur and what changed in the store
// since cur's generation: the articles written after it replace or join
// cur's, the articles removed after it leave. What cur holds is reused
// rather than rebuilt: the vectors' chunks that no change touches are
// shared (reuseChunks), and the keyword index is merged with the change's
// passages (mergeKeywords); what is left linear in the corpus is copying
// arrays (the passages, their term lists and postings) and the passage
// map.
func (s *Shared) loadDelta(ctx context.Context, tx pgx.Tx, m storeMeta, cur *snapshot) (*snapshot, deltaCounts, error) {
	since := cur.manifest.Generation
	written, err := readArticleInfos(ctx, tx, "SELECT "+articleColumns+" FROM newsbot_corpus_articles WHERE generation > $1", since)
	if err != nil {
		return nil, deltaCounts{}, err
	}
	qctx, cancel := context.WithTimeout(ctx, sharedStatementTimeout)
	rows, err := tx.Query(qctx, "SELECT DISTINCT article_id FROM newsbot_corpus_removals WHERE generation > $1", since)
	var removed []string
	if err == nil {
		removed, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	cancel()
	if err != nil {
		return nil, deltaCounts{}, fmt.Errorf("postgres: read removals: %w", err)
	}
	ids := make([]string, 0, len(written))
	for id := range written {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	fresh, _, err := s.readPassages(ctx, tx, m.build, written, ids)
	if err != nil {
		return nil, deltaCounts{}, err
	}
	s.ix.termsOf(fresh, backgroundWorkers())
	for j := range fresh {
		shareable(fresh[j].vec) // cur's own rows were, when they were new
	}
	drop := make(map[string]bool, len(written)+len(removed))
	for id := range written {
		drop[id] = true
	}
	gone := 0
	for _, id := range removed {
		if !drop[id] {
			gone++
		}
		drop[id] = true
	}
	// The new passages in order: cur's kept ones and the fresh ones, both
	// sorted already, merged; from says where each came from.
	var (
		ps         = make([]livePassage, 0, len(cur.passages)+len(fresh))
		from       = make([]int, 0, len(cur.passages)+len(fresh))
		freshTerms = make([][]termCount, len(fresh))
	)
	for j := range fresh {
		freshTerms[j], fresh[j].Terms = fresh[j].Terms, nil
	}
	for i, j := 0, 0; i < len(cur.passages) || j < len(fresh); {
		if i < len(cur.passages) && drop[cur.passages[i].ArticleID] {
			i++
			continue
		}
		if j >= len(fresh) || (i < len(cur.passages) && comparePassages(cur.passages[i], fresh[j]) < 0) {
			ps, from = append(ps, cur.passages[i]), append(from, i)
			i++
		} else {
			ps, from = append(ps, fresh[j]), append(from, -j-1)
			j++
		}
	}
	tl, kw := mergeKeywords(cur.kw, cur.terms, from, freshTerms)
	chunks, copied, err := reuseChunks(cur.chunks, ps, from, s.dim, s.ix.chunkRows)
	if err != nil {
		return nil, deltaCounts{}, fmt.Errorf("apply changes of the shared corpus: %w", err)
	}
	// The articles in order: cur's kept ones and the written ones, merged.
	fresher := make([]ArticleInfo, 0, len(written))
	for _, id := range ids {
		fresher = append(fresher, *written[id])
	}
	infos := make([]ArticleInfo, 0, len(cur.articles)+len(written))
	for i, j := 0, 0; i < len(cur.articles) || j < len(fresher); {
		if i < len(cur.articles) && drop[cur.articles[i].ID] {
			i++
			continue
		}
		if j >= len(fresher) || (i < len(cur.articles) && cur.articles[i].ID < fresher[j].ID) {
			infos = append(infos, cur.articles[i])
			i++
		} else {
			infos = append(infos, fresher[j])
			j++
		}
	}
	snap, err := s.ix.buildSnapshotOn(backgroundWorkers(), s.ix.sharedManifest(m), ps, infos,
		snapshotParts{chunks: chunks, checked: true, kw: kw, terms: tl})
	if err != nil {
		return nil, deltaCounts{}, fmt.Errorf("apply changes of the shared corpus: %w", err)
	}
	return snap, deltaCounts{written: len(written), removed: gone, copiedRows: copied}, nil
}

// Run follows the store until ctx ends: it listens for the writers'
// notifications, reads the generation when none came for Poll, applies
// what changed, saves the snapshot in the data folder now and then (and
// once more as it returns), and reconnects with backoff when PostgreSQL
// goes away. It returns nil when ctx ends.
//
// Saves run beside the loop, not in it: writing the file takes a good
// part of a second at 100,000 passages, and a change that came meanwhile
// would wait for it.
func (s *Shared) Run(ctx context.Context) error {
	s.following.Store(true)
	var ln *pgx.Conn
	saves, saved := make(chan struct{}, 1), make(chan struct{})
	go func() {
		defer close(saved)
		for range saves {
			s.save(false)
		}
	}()
	defer func() {
		if ln != nil {
			cctx, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
			ln.Close(cctx)
			cancel()
		}
		close(saves)
		<-saved
		s.save(true)
	}()
	failures := 0
	for ctx.Err() == nil {
		if ln == nil {
			var err error
			if ln, err = s.listen(ctx); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				failures++
				if unavailable(err) {
					s.brk.Failure(err)
				}
				s.publish()
				if failures == 1 {
					s.log.Warn("cannot listen to the shared corpus' changes; reconnecting with backoff", "err", err)
				}
				if backoff.Sleep(ctx, s.opts.Reconnect.Delay(failures)) != nil {
					return nil
				}
				continue
			}
			if failures > 0 {
				s.log.Info("listening to the shared corpus' changes again", "after_attempts", failures)
			}
			failures = 0
			s.listening.Store(true)
			s.brk.Success()
			s.publish()
		} else if err := s.wait(ctx, ln); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.log.Warn("lost the connection listening to the shared corpus' changes", "err", err)
			cctx, cancel := context.WithTimeout(context.Background(), s.opts.Timeout)
			ln.Close(cctx)
			cancel()
			ln = nil
			s.listening.Store(false)
			if unavailable(err) {
				s.brk.Failure(err)
			}
			s.publish()
			continue
		}
		// A notification came, or Poll passed, or the connection is new:
		// catch up.
		if err := s.sync(ctx); err != nil && ctx.Err() == nil && !errors.Is(err, breaker.ErrOpen) {
			s.log.Warn("cannot apply the shared corpus' changes; serving the last snapshot", "err", err)
		}
		select {
		case saves <- struct{}{}: // save when due
		default: // one is under way or asked for already
		}
	}
	return nil
}

// listen opens the notification connection.
func (s *Shared) listen(ctx context.Context) (*pgx.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	c, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if _, err := c.Exec(ctx, "LISTEN "+pgx.Identifier{s.channel}.Sanitize()); err != nil {
		c.Close(ctx)
		return nil, fmt.Errorf("postgres: listen: %w", err)
	}
	return c, nil
}

// wait waits for a notification, at most Poll; it returns an error only
// when the connection failed.
func (s *Shared) wait(ctx context.Context, ln *pgx.Conn) error {
	wctx, cancel := context.WithTimeout(ctx, s.opts.Poll)
	defer cancel()
	_, err := ln.WaitForNotification(wctx)
	if err != nil && wctx.Err() != nil && ctx.Err() == nil && !ln.IsClosed() {
		return nil // Poll passed
	}
	return err
}

// save writes the live snapshot to the data folder when it changed since
// the last save and SaveEvery passed (at once when now is set), unless
// another process is writing the folder. Readers never wait for it: the
// snapshot is immutable.
func (s *Shared) save(now bool) {
	s.syncMu.Lock()
	due := s.dirty && (now || time.Since(s.saved) >= s.opts.SaveEvery)
	snap := s.ix.cur.Load()
	if due {
		s.dirty = false
		s.saved = time.Now()
	}
	s.syncMu.Unlock()
	if !due || snap.manifest.Store == "" {
		return
	}
	if locksWork {
		l := tryLockFolder(s.ix.dir, dataLockName, s.ix.owner())
		if l == nil {
			s.syncMu.Lock()
			s.dirty = true
			s.syncMu.Unlock()
			return
		}
		defer l.unlock()
	}
	start := time.Now()
	if err := snap.save(s.ix.dir, nil); err != nil {
		s.log.Warn("cannot save the snapshot of the shared corpus in the data folder", "dir", s.ix.dir, "err", err)
		return
	}
	s.log.Debug("saved the snapshot of the shared corpus", "dir", s.ix.dir, "generation", snap.manifest.Generation, "seconds", time.Since(start).Seconds())
}
