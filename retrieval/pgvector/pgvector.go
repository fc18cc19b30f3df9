// Package pgvector is the vectors-only pgvector store of a retrieval
// index (retrieval.Options.Vectors = pgvector.Opener(dsn)): it keeps the
// passage vectors in a PostgreSQL table, so that several replicas of the
// bot search one copy of them:
//
//	newsbot_passages(id text primary key, article_id, article_hash, source,
//	                 published, embedding vector(DIM))   -- HNSW, cosine
//	newsbot_meta(embedder, chunker, dim, generation)      -- one row
//
// What is shared and what is not. The table holds the vectors, and vector
// search runs in PostgreSQL (an HNSW index, so approximate past a few
// thousand rows). Each replica still holds its own passages (text, titles,
// dates) and its BM25 keyword index, read from its own index file or built
// by its own reindex of the same corpus, and it still keeps its own copy of
// the vectors: hybrid search scores the candidates of the keyword list
// against them, and searches fall back to them when PostgreSQL is
// unreachable. So this backend shares the vectors and their search; it
// does not yet save memory (docs/scaling.md says what would).
//
// How a reindex writes. After a reindex has built its snapshot, and before
// the snapshot goes live, one transaction brings the table in line with it:
// rows of removed and changed articles are deleted by article_id, rows of
// new and changed articles inserted, and unchanged articles' rows left as
// they are; the meta row's generation goes up by one when anything changed.
// The table is compared with the snapshot itself (article hash and passage
// count), not with the previous snapshot, so a reindex also repairs a table
// that another replica or an operator left different. The transaction
// commits only after the index file is saved; if anything fails before, it
// rolls back and the previous snapshot stays live and on disk. Writers are
// serialised across replicas by a transaction-scoped advisory lock.
//
// How replicas notice each other. Passage IDs are stable for unchanged
// articles, and every row carries its article's hash, so a replica keeps
// serving correctly while another one reindexes: rows whose ID it doesn't
// know (a new article) or whose article hash differs from its own (a
// changed article) are skipped, never mixed in. A replica learns that the
// table moved on by reading the meta row's generation: Reindex does so, and
// does not take its "nothing changed" shortcut when the generation differs
// from the one its snapshot was synced with. Reloading automatically when
// another replica reindexes is not implemented: each replica runs Reindex
// on the same corpus (cheap: only changed articles are embedded, and rows
// that already match are not rewritten).
//
// A table built by another embedder or chunker is never mixed with this
// one's vectors: retrieval.Open reports the index stale (as it does for an
// index file built by another embedder), and the next Reindex re-embeds the
// corpus and recreates the table. A replica still configured with the old
// embedder then finds the meta row changed and searches its own vectors
// instead.
//
// The package implements retrieval's seam for a store outside the process
// (retrieval.ExternalStore, retrieval/external.go) and sees the index's
// snapshots only through it; it imports retrieval, which does not import
// it. bot builds it where it opens an index, when index.store =
// "pgvector"; with index.postgres set, the commands that keep a corpus use
// the shared corpus (retrieval.Shared), which supersedes this store, and
// refuse it. Its SQL and the tests of that SQL against PGlite live here.
//
// Connection strings are pgx's (a URL or key=value pairs), including its
// pool settings (pool_max_conns, ...). Behind a connection pooler in
// transaction mode, or PGlite's socket server, add
// default_query_exec_mode=simple_protocol: named prepared statements don't
// survive there.
package pgvector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/newsbot/newsbot/retrieval"
)

const (
	// pgLockKey is the advisory lock that serialises schema changes and
	// syncs across replicas ("newsbot" in ASCII).
	pgLockKey = 0x6e657773626f74
	// pgConnectTimeout bounds connecting and creating the schema at Open.
	pgConnectTimeout = 15 * time.Second
	// pgQueryTimeout bounds one nearest-neighbour query: past it the search
	// uses the replica's own vectors.
	pgQueryTimeout = 5 * time.Second
	// pgStatementTimeout bounds each statement of a sync.
	pgStatementTimeout = 2 * time.Minute
	// pgIndexBuildTimeout bounds building the HNSW index over a whole table
	// (minutes at a million rows).
	pgIndexBuildTimeout = time.Hour
	// pgInsertRows is how many rows one INSERT carries (6 parameters each).
	pgInsertRows = 200
	// pgDeleteArticles is how many articles one DELETE names.
	pgDeleteArticles = 1000
	// pgHNSWMaxDim is the largest dimension pgvector's HNSW index takes for
	// the vector type; larger embeddings are searched exactly.
	pgHNSWMaxDim = 2000
	// pgBulkRows is the number of rows past which a sync that writes most
	// of the table builds the HNSW index after inserting rather than
	// maintaining it row by row (5.9k rows into PGlite: 27 s maintained,
	// 5 s inserting plus 6 s building).
	pgBulkRows = 1000
	// pgEFSearch is hnsw.ef_search: the HNSW candidate list per query. It
	// is above Search's 60 candidates; with hnsw.iterative_scan the scan
	// goes on past it when a query asks for more.
	pgEFSearch = 100
)

// Opener returns the retrieval.Options.Vectors of the shared table at dsn.
func Opener(dsn string) retrieval.StoreOpener {
	return func(info retrieval.StoreInfo) (retrieval.ExternalStore, error) {
		sh, err := openShared(dsn, info)
		if err != nil {
			return nil, err
		}
		return sh, nil
	}
}

// pgShared is an index's handle on the shared table.
type pgShared struct {
	pool     *pgxpool.Pool
	embedder string // EmbedderInfo.String() of this index's embedder
	chunker  string
	dim      int
	log      *slog.Logger
	// mismatch, when set, says why the table can't be used as it is (it
	// was built by another embedder or chunker); the next sync rebuilds it.
	mismatch string

	syncHook func()       // tests only: called between a sync's deletes and inserts
	queries  atomic.Int64 // nearest-neighbour queries sent (tests read it)
}

// openShared connects to PostgreSQL and creates the schema if it is
// missing, in one transaction.
func openShared(dsn string, info retrieval.StoreInfo) (*pgShared, error) {
	if dsn == "" {
		return nil, errors.New("the pgvector store needs a PostgreSQL connection string")
	}
	log := info.Logger
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres connection string: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		cfg.ConnConfig.ConnectTimeout = pgConnectTimeout
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		if _, err := c.Exec(ctx, "SET hnsw.ef_search = "+strconv.Itoa(pgEFSearch)); err != nil {
			return fmt.Errorf("set hnsw.ef_search: %w", err)
		}
		// pgvector 0.8 and later: keep scanning the HNSW graph until LIMIT
		// rows are found, rather than stopping at ef_search.
		if _, err := c.Exec(ctx, "SET hnsw.iterative_scan = relaxed_order"); err != nil {
			log.Debug("hnsw.iterative_scan unavailable (pgvector older than 0.8)", "err", err)
		}
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), pgConnectTimeout)
	defer cancel()
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	sh := &pgShared{pool: pool, embedder: info.Embedder.String(), chunker: info.Chunker, dim: info.Embedder.Dim, log: log}
	if err := sh.ensureSchema(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return sh, nil
}

// Bind implements retrieval.ExternalStore.
func (sh *pgShared) Bind(s retrieval.SnapshotView, local retrieval.VectorStore) retrieval.BoundStore {
	return &pgVectors{sh: sh, snap: s, local: local}
}

// Close implements retrieval.ExternalStore.
func (sh *pgShared) Close() { sh.pool.Close() }

// pgMeta is the meta row.
type pgMeta struct {
	embedder, chunker string
	dim               int
	generation        int64
}

func (sh *pgShared) differs(m pgMeta) string {
	switch {
	case m.embedder != sh.embedder:
		return fmt.Sprintf("the shared vector table was built by embedder %s, not %s; run reindex to re-embed it", m.embedder, sh.embedder)
	case m.chunker != sh.chunker:
		return fmt.Sprintf("the shared vector table was chunked as %s, not %s; run reindex to rebuild it", m.chunker, sh.chunker)
	case m.dim != sh.dim:
		return fmt.Sprintf("the shared vector table holds %d-dimension vectors, not %d; run reindex to rebuild it", m.dim, sh.dim)
	}
	return ""
}

func (sh *pgShared) ensureSchema(ctx context.Context) error {
	tx, err := sh.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	defer rollback(tx)
	for _, q := range []string{
		"SELECT pg_advisory_xact_lock(" + strconv.Itoa(pgLockKey) + ")",
		"CREATE EXTENSION IF NOT EXISTS vector",
		`CREATE TABLE IF NOT EXISTS newsbot_meta (
			embedder text NOT NULL,
			chunker text NOT NULL,
			dim int NOT NULL,
			generation bigint NOT NULL DEFAULT 0,
			updated timestamptz NOT NULL DEFAULT now())`,
		"CREATE UNIQUE INDEX IF NOT EXISTS newsbot_meta_one_row ON newsbot_meta ((true))",
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("postgres: create schema: %w", err)
		}
	}
	m, found, err := readMeta(ctx, tx, false)
	if err != nil {
		return err
	}
	switch {
	case !found:
		if err := sh.createPassages(ctx, tx, true); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, "INSERT INTO newsbot_meta (embedder, chunker, dim) VALUES ($1, $2, $3)", sh.embedder, sh.chunker, sh.dim); err != nil {
			return fmt.Errorf("postgres: create schema: %w", err)
		}
	case sh.differs(m) != "":
		// Leave it to the reindex that re-embeds the corpus.
		sh.mismatch = sh.differs(m)
	default:
		if err := sh.createPassages(ctx, tx, true); err != nil {
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: create schema: %w", err)
	}
	return nil
}

// createPassages creates the passage table for this embedder's dimension,
// if it is missing, with its HNSW index when hnsw is set.
func (sh *pgShared) createPassages(ctx context.Context, tx pgx.Tx, hnsw bool) error {
	qs := []string{
		fmt.Sprintf(`CREATE TABLE IF NOT EXISTS newsbot_passages (
			id text PRIMARY KEY,
			article_id text NOT NULL,
			article_hash text NOT NULL,
			source text NOT NULL DEFAULT '',
			published timestamptz,
			embedding vector(%d) NOT NULL)`, sh.dim),
		"CREATE INDEX IF NOT EXISTS newsbot_passages_article ON newsbot_passages (article_id)",
	}
	for _, q := range qs {
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("postgres: create passage table: %w", err)
		}
	}
	if hnsw {
		return sh.createHNSW(ctx, tx)
	}
	return nil
}

// createHNSW creates the HNSW index on the embeddings, if it is missing
// and the dimension allows one.
func (sh *pgShared) createHNSW(ctx context.Context, tx pgx.Tx) error {
	if sh.dim > pgHNSWMaxDim {
		sh.log.Info("embeddings are too large for an HNSW index; the shared vector store searches exactly", "dim", sh.dim, "max", pgHNSWMaxDim)
		return nil
	}
	if _, err := tx.Exec(ctx, "CREATE INDEX IF NOT EXISTS newsbot_passages_embedding ON newsbot_passages USING hnsw (embedding vector_cosine_ops)"); err != nil {
		return fmt.Errorf("postgres: create HNSW index: %w", err)
	}
	return nil
}

// querier is what pgxpool.Pool and pgx.Tx have in common here.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func readMeta(ctx context.Context, q querier, forUpdate bool) (pgMeta, bool, error) {
	sql := "SELECT embedder, chunker, dim, generation FROM newsbot_meta"
	if forUpdate {
		sql += " FOR UPDATE"
	}
	var m pgMeta
	err := q.QueryRow(ctx, sql).Scan(&m.embedder, &m.chunker, &m.dim, &m.generation)
	if errors.Is(err, pgx.ErrNoRows) {
		return pgMeta{}, false, nil
	}
	if err != nil {
		return pgMeta{}, false, fmt.Errorf("postgres: read newsbot_meta: %w", err)
	}
	return m, true, nil
}

// tableArticle is what the table holds for one article.
type tableArticle struct {
	hash  string
	rows  int
	mixed bool // rows of several versions of the article: rewrite it
}

func readArticles(ctx context.Context, q querier) (map[string]tableArticle, error) {
	rows, err := q.Query(ctx, "SELECT article_id, min(article_hash), max(article_hash), count(*) FROM newsbot_passages GROUP BY article_id")
	if err != nil {
		return nil, fmt.Errorf("postgres: read articles: %w", err)
	}
	defer rows.Close()
	out := map[string]tableArticle{}
	for rows.Next() {
		var id, lo, hi string
		var n int64
		if err := rows.Scan(&id, &lo, &hi, &n); err != nil {
			return nil, fmt.Errorf("postgres: read articles: %w", err)
		}
		out[id] = tableArticle{hash: lo, rows: int(n), mixed: lo != hi}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: read articles: %w", err)
	}
	return out, nil
}

// plan compares the table with a snapshot: the articles whose rows must be
// deleted and those whose passages must be inserted.
func plan(s retrieval.SnapshotView, table map[string]tableArticle) (del, ins []string) {
	want := make(map[string]bool, len(s.Articles()))
	for _, a := range s.Articles() {
		want[a.ID] = true
		t, ok := table[a.ID]
		switch {
		case !ok && a.Passages == 0:
		case ok && !t.mixed && t.hash == a.Hash && t.rows == a.Passages:
		default:
			if ok {
				del = append(del, a.ID)
			}
			ins = append(ins, a.ID)
		}
	}
	for id := range table {
		if !want[id] {
			del = append(del, id)
		}
	}
	sort.Strings(del)
	return del, ins
}

// Attach implements retrieval.BoundStore: it checks the table against a
// snapshot loaded from disk. It returns a stale reason when the table was
// built by another embedder or chunker. When the table holds other articles
// or versions (another replica reindexed, or the table is new), the
// snapshot searches its own vectors until the next reindex brings the table
// in line; otherwise it searches the table.
func (v *pgVectors) Attach(ctx context.Context) (stale string, use bool) {
	sh := v.sh
	if sh.mismatch != "" {
		return sh.mismatch, false
	}
	ctx, cancel := context.WithTimeout(ctx, pgStatementTimeout)
	defer cancel()
	m, _, err := readMeta(ctx, sh.pool, false)
	var table map[string]tableArticle
	if err == nil {
		table, err = readArticles(ctx, sh.pool)
	}
	if err != nil {
		sh.log.Warn("cannot compare the shared vector table with the saved index; searching this replica's own vectors until the next reindex", "err", err)
		return "", false
	}
	if del, ins := plan(v.snap, table); len(del)+len(ins) > 0 {
		sh.log.Warn("the shared vector table differs from this replica's saved index; searching this replica's own vectors until the next reindex brings it in line",
			"articles_to_delete", len(del), "articles_to_insert", len(ins), "generation", m.generation)
		return "", false
	}
	v.gen = m.generation
	return "", true
}

// generation reads the table's generation.
func (sh *pgShared) generation(ctx context.Context) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, pgQueryTimeout)
	defer cancel()
	m, found, err := readMeta(ctx, sh.pool, false)
	if err != nil {
		return 0, err
	}
	if !found {
		return 0, errors.New("postgres: newsbot_meta has no row")
	}
	return m.generation, nil
}

// Current implements retrieval.BoundStore: whether the table's generation
// is still the one the snapshot was synced with or checked against.
func (v *pgVectors) Current(ctx context.Context) bool {
	gen, err := v.sh.generation(ctx)
	return err == nil && gen == v.gen
}

// pgSync is a sync's open transaction.
type pgSync struct {
	tx   pgx.Tx
	vecs *pgVectors
	gen  int64
}

// Sync implements retrieval.BoundStore: it opens a transaction that brings
// the shared table in line with the snapshot. Nothing is visible to other
// replicas until commit.
func (v *pgVectors) Sync(ctx context.Context) (_ retrieval.StoreSync, err error) {
	sh, s := v.sh, v.snap
	start := time.Now()
	step := func() (context.Context, context.CancelFunc) { return context.WithTimeout(ctx, pgStatementTimeout) }
	sctx, cancel := step()
	tx, err := sh.pool.Begin(sctx)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("sync shared vectors: %w", err)
	}
	defer func() {
		if err != nil {
			rollback(tx)
			err = fmt.Errorf("sync shared vectors: %w", err)
		}
	}()
	exec := func(sql string, args ...any) error {
		sctx, cancel := step()
		defer cancel()
		_, err := tx.Exec(sctx, sql, args...)
		return err
	}

	if err := exec("SELECT pg_advisory_xact_lock(" + strconv.Itoa(pgLockKey) + ")"); err != nil {
		return nil, err
	}
	sctx, cancel = step()
	m, found, err := readMeta(sctx, tx, true)
	cancel()
	if err != nil {
		return nil, err
	}
	rebuilt := !found || sh.differs(m) != ""
	var table map[string]tableArticle
	if rebuilt {
		// Another embedder's vectors (or none): start the table afresh.
		if err := exec("DROP TABLE IF EXISTS newsbot_passages"); err != nil {
			return nil, err
		}
		sctx, cancel = step()
		err = sh.createPassages(sctx, tx, false)
		cancel()
		if err != nil {
			return nil, err
		}
		if err := exec("DELETE FROM newsbot_meta"); err != nil {
			return nil, err
		}
		if err := exec("INSERT INTO newsbot_meta (embedder, chunker, dim, generation) VALUES ($1, $2, $3, $4)", sh.embedder, sh.chunker, sh.dim, m.generation); err != nil {
			return nil, err
		}
	} else {
		sctx, cancel = step()
		table, err = readArticles(sctx, tx)
		cancel()
		if err != nil {
			return nil, err
		}
	}

	del, ins := plan(s, table)
	for b := 0; b < len(del); b += pgDeleteArticles {
		if err := exec("DELETE FROM newsbot_passages WHERE article_id = ANY($1::text[])", del[b:min(b+pgDeleteArticles, len(del))]); err != nil {
			return nil, fmt.Errorf("delete rows: %w", err)
		}
	}
	if sh.syncHook != nil {
		sh.syncHook()
	}
	var rows []int
	for _, id := range ins {
		rows = append(rows, s.ArticlePassages(id)...)
	}
	// Writing most of the table: build the HNSW index once at the end. (It
	// locks the table until commit; other replicas' searches wait, then
	// time out to their own vectors. Incremental syncs keep the index and
	// block no reader.)
	bulk := rebuilt || (len(rows) >= pgBulkRows && 2*len(rows) >= s.Len())
	if bulk && !rebuilt {
		if err := exec("DROP INDEX IF EXISTS newsbot_passages_embedding"); err != nil {
			return nil, err
		}
	}
	for b := 0; b < len(rows); b += pgInsertRows {
		sql, args := insertRows(s, rows[b:min(b+pgInsertRows, len(rows))])
		if err := exec(sql, args...); err != nil {
			return nil, fmt.Errorf("insert rows: %w", err)
		}
	}
	if bulk {
		sctx, cancel = context.WithTimeout(ctx, pgIndexBuildTimeout)
		err = sh.createHNSW(sctx, tx)
		cancel()
		if err != nil {
			return nil, err
		}
	}

	gen := m.generation
	if rebuilt || len(del) > 0 || len(rows) > 0 {
		sctx, cancel = step()
		err = tx.QueryRow(sctx, "UPDATE newsbot_meta SET generation = generation + 1, updated = now() RETURNING generation").Scan(&gen)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("bump generation: %w", err)
		}
	}
	sh.log.Info("shared vectors synced (not yet committed)", "articles_deleted", len(del), "articles_inserted", len(ins),
		"rows_inserted", len(rows), "rebuilt", rebuilt, "bulk", bulk, "generation", gen, "seconds", time.Since(start).Seconds())
	return &pgSync{tx: tx, vecs: v, gen: gen}, nil
}

// insertRows builds one multi-row INSERT of the passages of s numbered
// rows. Vectors travel as pgvector's text form, which needs no client-side
// type registration.
func insertRows(s retrieval.SnapshotView, rows []int) (string, []any) {
	var b strings.Builder
	b.WriteString("INSERT INTO newsbot_passages (id, article_id, article_hash, source, published, embedding) VALUES ")
	args := make([]any, 0, len(rows)*6)
	for i, r := range rows {
		p := s.Passage(r)
		if i > 0 {
			b.WriteByte(',')
		}
		n := len(args)
		fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d::vector)", n+1, n+2, n+3, n+4, n+5, n+6)
		var published any
		if !p.Published.IsZero() {
			published = p.Published
		}
		args = append(args, p.ID, p.ArticleID, s.ArticleHash(r), p.Source, published, vectorText(s.Vector(r)))
	}
	return b.String(), args
}

// Commit implements retrieval.StoreSync: it makes the sync visible; the
// snapshot then searches the table.
func (p *pgSync) Commit(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pgStatementTimeout)
	defer cancel()
	if err := p.tx.Commit(ctx); err != nil {
		return fmt.Errorf("sync shared vectors: commit: %w", err)
	}
	p.vecs.gen = p.gen
	return nil
}

// Rollback implements retrieval.StoreSync: it abandons the sync unless it was
// committed.
func (p *pgSync) Rollback() { rollback(p.tx) }

// rollback ends tx unless it was committed. Its error is not interesting:
// the transaction was committed already, or the connection is lost and the
// server rolls back by itself.
func rollback(tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.Background(), pgQueryTimeout)
	defer cancel()
	tx.Rollback(ctx)
}

// vectorText renders v in pgvector's text form, "[0.1,-0.2,...]", with the
// shortest decimals that read back as the same float32.
func vectorText(v []float32) string {
	b := make([]byte, 0, len(v)*11+2)
	b = append(b, '[')
	for i, x := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(x), 'g', -1, 32)
	}
	return string(append(b, ']'))
}

// pgVectors searches the shared table for one snapshot.
type pgVectors struct {
	sh    *pgShared
	snap  retrieval.SnapshotView
	local retrieval.VectorStore // the snapshot's own vectors: the fallback
	// gen is the table generation this snapshot was synced with or
	// checked against; set before the snapshot goes live.
	gen int64
}

// errSharedMismatch reports that the table was rebuilt by an index with
// another embedder or chunker since this snapshot was synced.
var errSharedMismatch = errors.New("the shared vector table now holds another embedder's vectors")

// Nearest implements retrieval.VectorStore. When PostgreSQL fails or times
// out, or the table now holds another embedder's vectors, it logs a warning
// and searches the snapshot's own vectors, so that questions are still
// answered.
func (v *pgVectors) Nearest(ctx context.Context, q []float32, n int, keep func(int) bool) ([]retrieval.Neighbor, error) {
	if n <= 0 || v.snap.Len() == 0 {
		return nil, nil
	}
	out, err := v.nearest(ctx, q, n, keep)
	if err == nil {
		return out, nil
	}
	if ctx.Err() != nil {
		return nil, err
	}
	v.sh.log.Warn("shared vector search failed; searching this replica's own vectors", "err", err)
	return v.local.Nearest(ctx, q, n, keep)
}

func (v *pgVectors) nearest(ctx context.Context, q []float32, n int, keep func(int) bool) ([]retrieval.Neighbor, error) {
	// Rows this snapshot can't use (another replica's newer articles) and
	// rows keep rejects take places in the LIMIT: ask for more, widening
	// until n are found or the table has no more. (Search asks for every
	// passage when a filter is set, which chromem-go needs; here that reads
	// the whole table. Passing Search's depth instead would bound it.)
	limit := n
	if keep != nil {
		limit = 4 * n
	}
	qtext := vectorText(q)
	for {
		out, got, err := v.query(ctx, qtext, limit, n, keep)
		if err != nil {
			return nil, err
		}
		if got == 0 && v.snap.Len() > 0 {
			if err := v.checkMeta(ctx); err != nil {
				return nil, err
			}
		}
		if len(out) >= n || got < limit {
			sort.Slice(out, func(a, b int) bool {
				if out[a].Similarity != out[b].Similarity {
					return out[a].Similarity > out[b].Similarity
				}
				return out[a].Index < out[b].Index
			})
			return out, nil
		}
		limit *= 4
	}
}

// pgNearestSQL finds the rows nearest $1 by cosine distance. The EXISTS
// guard returns no rows at all once another embedder's index has taken the
// table over, rather than distances between unrelated vectors; the planner
// evaluates it once, and the HNSW index still serves the ORDER BY.
const pgNearestSQL = `SELECT id, article_hash, 1 - (embedding <=> $1::vector)
	FROM newsbot_passages
	WHERE EXISTS (SELECT 1 FROM newsbot_meta WHERE embedder = $3 AND chunker = $4)
	ORDER BY embedding <=> $1::vector
	LIMIT $2`

// query runs one nearest-neighbour query: the usable neighbours (at most
// n) and how many rows came back.
func (v *pgVectors) query(ctx context.Context, qtext string, limit, n int, keep func(int) bool) ([]retrieval.Neighbor, int, error) {
	ctx, cancel := context.WithTimeout(ctx, pgQueryTimeout)
	defer cancel()
	v.sh.queries.Add(1)
	rows, err := v.sh.pool.Query(ctx, pgNearestSQL, qtext, limit, v.sh.embedder, v.sh.chunker)
	if err != nil {
		return nil, 0, fmt.Errorf("nearest passages: %w", err)
	}
	defer rows.Close()
	var (
		out        []retrieval.Neighbor
		got        int
		id, hash   string
		similarity float64
	)
	for rows.Next() {
		got++
		if err := rows.Scan(&id, &hash, &similarity); err != nil {
			return nil, 0, fmt.Errorf("nearest passages: %w", err)
		}
		i, ok := v.snap.Lookup(id)
		if !ok || v.snap.ArticleHash(i) != hash || (keep != nil && !keep(i)) {
			continue
		}
		out = append(out, retrieval.Neighbor{Index: i, Similarity: float32(similarity)})
		if len(out) == n {
			break
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("nearest passages: %w", err)
	}
	return out, got, nil
}

// checkMeta returns errSharedMismatch when the meta row no longer names
// this index's embedder and chunker.
func (v *pgVectors) checkMeta(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pgQueryTimeout)
	defer cancel()
	m, found, err := readMeta(ctx, v.sh.pool, false)
	if err != nil {
		return err
	}
	if !found || v.sh.differs(m) != "" {
		return errSharedMismatch
	}
	return nil
}
