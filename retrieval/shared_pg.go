package retrieval

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/newsbot/newsbot/retrieval/article"
)

// The shared store's tables (shared.go says how they are used):
//
//	newsbot_corpus            one row: the store's ID, the embedder and chunker
//	                          its passages were made by, the live build and the
//	                          generation
//	newsbot_corpus_articles   one row an article: where it came from (origin,
//	                          path), its metadata, cleaned text and content hash,
//	                          who added it and when, the generation that last
//	                          wrote it
//	newsbot_corpus_passages   one row a passage of a build: its text and vector
//	                          (float32 little-endian in a bytea: no pgvector
//	                          needed), keyed by (build, id)
//	newsbot_corpus_removals   one row an explicit removal, with its generation,
//	                          so that a replica applying changes since its
//	                          generation learns what went
//
// They are apart from the pgvector store's newsbot_passages and
// newsbot_meta (package retrieval/pgvector).
const (
	// corpusSchemaKey serialises schema creation at start ("corp-sch").
	corpusSchemaKey = 0x636f72702d736368
	// corpusWriteKey is the advisory lock every writer of the store holds
	// for the whole of its write ("corp-wrt"), on its own session.
	corpusWriteKey = 0x636f72702d777274
	// corpusChannel is the NOTIFY channel a writer signals on commit; the
	// payload is the new generation.
	corpusChannel = "newsbot_corpus"
	// corpusSchemaVersion is the version of the tables above.
	corpusSchemaVersion = 1
	// sharedStatementTimeout bounds each statement of a write or a load.
	sharedStatementTimeout = 2 * time.Minute
	// rollbackTimeout bounds ending a transaction that was not committed.
	rollbackTimeout = 5 * time.Second
	// ingestOrigin is the origin of the articles /ingest adds.
	ingestOrigin = "ingest"
)

var corpusSchema = []string{
	`CREATE TABLE IF NOT EXISTS newsbot_corpus (
		singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
		store_id text NOT NULL,
		schema_version int NOT NULL,
		embedder text NOT NULL,
		chunker text NOT NULL,
		dim int NOT NULL,
		build bigint NOT NULL,
		generation bigint NOT NULL,
		updated timestamptz NOT NULL DEFAULT now())`,
	`CREATE TABLE IF NOT EXISTS newsbot_corpus_articles (
		id text PRIMARY KEY,
		origin text NOT NULL,
		path text NOT NULL,
		title text NOT NULL,
		source text NOT NULL,
		url text NOT NULL,
		author text NOT NULL,
		published timestamptz,
		body text NOT NULL,
		hash text NOT NULL,
		added_by text NOT NULL,
		added_at timestamptz NOT NULL,
		updated_at timestamptz NOT NULL,
		generation bigint NOT NULL)`,
	"CREATE INDEX IF NOT EXISTS newsbot_corpus_articles_generation ON newsbot_corpus_articles (generation)",
	"CREATE INDEX IF NOT EXISTS newsbot_corpus_articles_origin_path ON newsbot_corpus_articles (origin, path)",
	`CREATE TABLE IF NOT EXISTS newsbot_corpus_passages (
		build bigint NOT NULL,
		id text NOT NULL,
		article_id text NOT NULL REFERENCES newsbot_corpus_articles (id) ON DELETE CASCADE,
		ordinal int NOT NULL,
		text text NOT NULL,
		embedding bytea NOT NULL,
		PRIMARY KEY (build, id))`,
	"CREATE INDEX IF NOT EXISTS newsbot_corpus_passages_article ON newsbot_corpus_passages (article_id, build)",
	`CREATE TABLE IF NOT EXISTS newsbot_corpus_removals (
		article_id text NOT NULL,
		generation bigint NOT NULL,
		removed_by text NOT NULL,
		removed_at timestamptz NOT NULL DEFAULT now())`,
	"CREATE INDEX IF NOT EXISTS newsbot_corpus_removals_generation ON newsbot_corpus_removals (generation)",
}

// storeMeta is the newsbot_corpus row.
type storeMeta struct {
	id                string
	embedder, chunker string
	dim               int
	build, generation int64
}

// identity names what a store's passages were made by, as the refusal to
// start names it.
func identity(embedder, chunker string) string {
	return embedder + ", chunked as " + chunker
}

// MismatchError is returned by OpenShared when the store's passages were
// made by another embedder or chunker than this process's: its vectors
// can't be searched with this one's query vectors, and re-embedding the
// store is an operator's decision (bot index -rebuild), never a side
// effect of starting a replica.
type MismatchError struct {
	// Store and Ours name the store's embedder and chunker, and this
	// process's.
	Store, Ours string
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("the shared corpus in PostgreSQL was embedded by %s, but this replica's embedder is %s: "+
		"start it with the store's embedder settings, or re-embed the store with `bot index -rebuild` "+
		"(every replica then needs the new settings)", e.Store, e.Ours)
}

// ensureSchema creates the tables if they are missing and the store's row
// if there is none (with this index's embedder), and returns the row.
func (s *Shared) ensureSchema(ctx context.Context) (storeMeta, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return storeMeta{}, fmt.Errorf("postgres: %w", err)
	}
	defer rollback(tx)
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(corpusSchemaKey)); err != nil {
		return storeMeta{}, fmt.Errorf("postgres: create schema: %w", err)
	}
	for _, q := range corpusSchema {
		if _, err := tx.Exec(ctx, q); err != nil {
			return storeMeta{}, fmt.Errorf("postgres: create schema: %w", err)
		}
	}
	m, found, err := readStoreMeta(ctx, tx, false)
	if err != nil {
		return storeMeta{}, err
	}
	if !found {
		m = storeMeta{id: newStoreID(), embedder: s.embedder, chunker: s.chunker, dim: s.dim, build: 1}
		if _, err := tx.Exec(ctx, `INSERT INTO newsbot_corpus (store_id, schema_version, embedder, chunker, dim, build, generation)
			VALUES ($1, $2, $3, $4, $5, $6, 0)`, m.id, corpusSchemaVersion, m.embedder, m.chunker, m.dim, m.build); err != nil {
			return storeMeta{}, fmt.Errorf("postgres: create the store's row: %w", err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return storeMeta{}, fmt.Errorf("postgres: create schema: %w", err)
	}
	return m, nil
}

func newStoreID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func readStoreMeta(ctx context.Context, q querier, forUpdate bool) (storeMeta, bool, error) {
	sql := "SELECT store_id, embedder, chunker, dim, build, generation FROM newsbot_corpus"
	if forUpdate {
		sql += " FOR UPDATE"
	}
	var m storeMeta
	err := q.QueryRow(ctx, sql).Scan(&m.id, &m.embedder, &m.chunker, &m.dim, &m.build, &m.generation)
	if errors.Is(err, pgx.ErrNoRows) {
		return storeMeta{}, false, nil
	}
	if err != nil {
		return storeMeta{}, false, fmt.Errorf("postgres: read newsbot_corpus: %w", err)
	}
	return m, true, nil
}

// mismatch returns the error for a store made by another embedder or
// chunker, or nil.
func (s *Shared) mismatch(m storeMeta) *MismatchError {
	if m.embedder == s.embedder && m.chunker == s.chunker && m.dim == s.dim {
		return nil
	}
	return &MismatchError{Store: identity(m.embedder, m.chunker), Ours: identity(s.embedder, s.chunker)}
}

// unavailable reports whether err says PostgreSQL could not be reached or
// did not answer in time (refused, reset, timed out, shutting down), as
// opposed to an answer: what the circuit breaker counts.
func unavailable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code[:2] {
		case "08", "53", "57", "58": // connection exception, insufficient resources, operator intervention (shutdown, statement timeout), system error
			return true
		}
		return false
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.Timeout(err) ||
		errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "conn closed")
}

// writer is a held write session: a connection of its own holding the
// store's advisory lock. Writes go through its connection, so that a lost
// session (and with it the lock) fails them rather than letting two
// writers in.
type writer struct {
	s    *Shared
	conn *pgxpool.Conn
}

// lockWriter takes the store's advisory lock on a connection of its own,
// waiting up to the index's LockWait for another writer (reporting
// StageWaiting once, with the holder), while ctx lasts.
func (s *Shared) lockWriter(ctx context.Context, report func(Progress)) (*writer, error) {
	conn, err := s.liveConn(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	start := time.Now()
	for first := true; ; first = false {
		qctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
		var got bool
		err := conn.QueryRow(qctx, "SELECT pg_try_advisory_lock($1)", int64(corpusWriteKey)).Scan(&got)
		cancel()
		if err != nil {
			conn.Release()
			return nil, fmt.Errorf("postgres: take the write lock: %w", err)
		}
		if got {
			return &writer{s: s, conn: conn}, nil
		}
		holder := s.lockHolder(ctx, conn)
		if first && s.ix.lockWait > 0 {
			s.log.Info("waiting for another writer of the shared corpus", "holder", holder, "wait", s.ix.lockWait)
			report(Progress{Stage: StageWaiting, Holder: orAnother(holder)})
		}
		if time.Since(start) >= s.ix.lockWait {
			conn.Release()
			return nil, &LockedError{Dir: "the shared corpus", Holder: holder, Waited: time.Since(start)}
		}
		t := time.NewTimer(min(lockPoll, max(s.ix.lockWait-time.Since(start), 0)))
		select {
		case <-ctx.Done():
			t.Stop()
			conn.Release()
			return nil, fmt.Errorf("wait for %s to finish writing the shared corpus: %w", orAnother(holder), context.Cause(ctx))
		case <-t.C:
		}
	}
}

// writeConnAttempts bounds the pooled connections lockWriter tries: after
// PostgreSQL restarts, the pool's idle ones are dead until used.
const writeConnAttempts = 4

// liveConn acquires a pooled connection that answers a ping. The pool pings
// only connections idle for over a second, and a replica's poll keeps its
// connections busier than that: after PostgreSQL restarts, the first write
// would otherwise fail on a dead one ("unexpected EOF"). A failed ping
// closes the connection, and releasing it takes it out of the pool.
func (s *Shared) liveConn(ctx context.Context) (*pgxpool.Conn, error) {
	var last error
	for range writeConnAttempts {
		actx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
		conn, err := s.pool.Acquire(actx)
		if err != nil {
			cancel()
			return nil, err
		}
		err = conn.Ping(actx)
		cancel()
		if err == nil {
			return conn, nil
		}
		conn.Release()
		last = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("no live connection: %w", last)
}

// lockHolder describes the session holding the write lock, from its
// application_name (which names the process, see OpenShared).
func (s *Shared) lockHolder(ctx context.Context, conn *pgxpool.Conn) string {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	var name string
	var since time.Time
	err := conn.QueryRow(ctx, `SELECT a.application_name, a.backend_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 1`,
		uint32(uint64(corpusWriteKey)>>32), uint32(corpusWriteKey&0xffffffff)).Scan(&name, &since)
	if err != nil || name == "" {
		return ""
	}
	return fmt.Sprintf("%s since %s", name, since.UTC().Format(time.RFC3339))
}

// unlock releases the lock and the connection. When the lock can't be
// released cleanly, the connection is closed instead, which ends the
// session and with it the lock.
func (w *writer) unlock() {
	ctx, cancel := context.WithTimeout(context.Background(), w.s.opts.Timeout)
	defer cancel()
	if _, err := w.conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", int64(corpusWriteKey)); err != nil {
		c := w.conn.Hijack()
		c.Close(ctx)
		return
	}
	w.conn.Release()
}

// execStmt runs one statement of a write, bounded by sharedStatementTimeout.
func execStmt(ctx context.Context, q interface {
	Exec(context.Context, string, ...any) (pgconn.CommandTag, error)
}, sql string, args ...any) (pgconn.CommandTag, error) {
	ctx, cancel := context.WithTimeout(ctx, sharedStatementTimeout)
	defer cancel()
	return q.Exec(ctx, sql, args...)
}

// change runs fn in one transaction of the write session that moves the
// store to a new generation, gen, and signals it on commit. The store's
// row is locked and checked first: a store re-embedded by another
// embedder is not written to (a *MismatchError), unless retarget is set
// (a rebuild, which then writes this index's identity and build).
func (w *writer) change(ctx context.Context, retarget int64, fn func(tx pgx.Tx, gen int64, m storeMeta) error) (int64, error) {
	bctx, cancel := context.WithTimeout(ctx, w.s.opts.Timeout)
	tx, err := w.conn.Begin(bctx)
	cancel()
	if err != nil {
		return 0, fmt.Errorf("postgres: %w", err)
	}
	defer rollback(tx)
	qctx, cancel := context.WithTimeout(ctx, sharedStatementTimeout)
	m, found, err := readStoreMeta(qctx, tx, true)
	cancel()
	switch {
	case err != nil:
		return 0, err
	case !found:
		return 0, errors.New("postgres: newsbot_corpus has no row")
	}
	var gen int64
	qctx, cancel = context.WithTimeout(ctx, sharedStatementTimeout)
	if retarget > 0 {
		err = tx.QueryRow(qctx, `UPDATE newsbot_corpus SET generation = generation + 1, build = $1, embedder = $2, chunker = $3, dim = $4,
			updated = now() RETURNING generation`, retarget, w.s.embedder, w.s.chunker, w.s.dim).Scan(&gen)
	} else if mm := w.s.mismatch(m); mm != nil {
		cancel()
		return 0, mm
	} else {
		err = tx.QueryRow(qctx, "UPDATE newsbot_corpus SET generation = generation + 1, updated = now() RETURNING generation").Scan(&gen)
	}
	cancel()
	if err != nil {
		return 0, fmt.Errorf("postgres: next generation: %w", err)
	}
	if err := fn(tx, gen, m); err != nil {
		return 0, err
	}
	if _, err := execStmt(ctx, tx, "SELECT pg_notify($1, $2)", corpusChannel, fmt.Sprint(gen)); err != nil {
		return 0, fmt.Errorf("postgres: notify: %w", err)
	}
	if w.s.beforeCommit != nil {
		w.s.beforeCommit()
	}
	cctx, cancel := context.WithTimeout(ctx, sharedStatementTimeout)
	defer cancel()
	if err := tx.Commit(cctx); err != nil {
		return 0, fmt.Errorf("postgres: commit: %w", err)
	}
	return gen, nil
}

// copyPassages writes passages of one build with COPY.
func copyPassages(ctx context.Context, tx pgx.Tx, build int64, ps []livePassage) error {
	if len(ps) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, sharedStatementTimeout)
	defer cancel()
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"newsbot_corpus_passages"}, []string{"build", "id", "article_id", "ordinal", "text", "embedding"},
		pgx.CopyFromSlice(len(ps), func(i int) ([]any, error) {
			p := &ps[i]
			return []any{build, p.ID, p.ArticleID, int32(p.Ordinal), p.Text, encodeVector(p.vec)}, nil
		}))
	if err != nil {
		return fmt.Errorf("postgres: write passages: %w", err)
	}
	return nil
}

// storedArticle is an article as the store keeps it.
type storedArticle struct {
	article.Article
	origin, addedBy string
}

// copyArticles writes new articles with COPY, at generation gen.
func copyArticles(ctx context.Context, tx pgx.Tx, gen int64, arts []storedArticle) error {
	if len(arts) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, sharedStatementTimeout)
	defer cancel()
	now := time.Now().UTC()
	_, err := tx.CopyFrom(ctx, pgx.Identifier{"newsbot_corpus_articles"},
		[]string{"id", "origin", "path", "title", "source", "url", "author", "published", "body", "hash", "added_by", "added_at", "updated_at", "generation"},
		pgx.CopyFromSlice(len(arts), func(i int) ([]any, error) {
			a := &arts[i]
			return []any{a.ID, a.origin, a.Path, a.Title, a.Source, a.URL, a.Author, published(a.Published), a.Text, a.Hash, a.addedBy, now, now, gen}, nil
		}))
	if err != nil {
		return fmt.Errorf("postgres: write articles: %w", err)
	}
	return nil
}

// published is a publication time as the store takes it: NULL when
// unknown.
func published(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// encodeVector is a vector as stored: float32 little-endian.
func encodeVector(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

// decodeVector appends the vector in b to dst.
func decodeVector(dst []float32, b []byte, dim int) ([]float32, error) {
	if len(b) != 4*dim {
		return dst, fmt.Errorf("a stored vector of %d bytes, want %d (%d dims)", len(b), 4*dim, dim)
	}
	for i := 0; i < dim; i++ {
		dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return dst, nil
}

// querier is what pgxpool.Pool and pgx.Tx have in common here.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// rollback ends tx unless it was committed. Its error is not interesting:
// the transaction was committed already, or the connection is lost and the
// server rolls back by itself.
func rollback(tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.Background(), rollbackTimeout)
	defer cancel()
	tx.Rollback(ctx)
}
