package retrieval

import (
	"context"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/newsbot/newsbot/retrieval/article"
)

// begin starts a write: this process's one write slot (waiting for it
// when wait is set, else ErrReindexRunning), the breaker's leave, then
// the store's advisory lock. end must be called with the write's error.
func (s *Shared) begin(ctx context.Context, wait bool, report func(Progress)) (*writer, error) {
	select {
	case s.writers <- struct{}{}:
	default:
		if !wait {
			return nil, ErrReindexRunning
		}
		report(Progress{Stage: StageWaiting})
		select {
		case s.writers <- struct{}{}:
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for the running write: %w", context.Cause(ctx))
		}
	}
	if err := s.brk.Allow(); err != nil {
		<-s.writers
		return nil, fmt.Errorf("%w: %w", ErrReadOnly, err)
	}
	w, err := s.lockWriter(ctx, report)
	if err != nil {
		<-s.writers
		return nil, s.settle(err)
	}
	return w, nil
}

// end releases what begin took and settles the write's error with the
// breaker.
func (s *Shared) end(w *writer, err error) error {
	w.unlock()
	<-s.writers
	return s.settle(err)
}

// settle tells the breaker whether PostgreSQL answered, and marks an
// error of an unreachable PostgreSQL as ErrReadOnly.
func (s *Shared) settle(err error) error {
	if unavailable(err) {
		s.brk.Failure(err)
		s.publish()
		if !errors.Is(err, ErrReadOnly) {
			err = fmt.Errorf("%w: %w", ErrReadOnly, err)
		}
		return err
	}
	s.brk.Success()
	s.publish()
	return err
}

// refresh applies a committed write to the index, when it follows the
// store; a failure is logged (Run catches up later).
func (s *Shared) refresh(ctx context.Context) {
	if !s.following.Load() {
		return
	}
	if err := s.sync(context.WithoutCancel(ctx)); err != nil {
		s.log.Warn("cannot load the change just written to the shared corpus; Run will", "err", err)
	}
}

// storeCounts are the store's totals, for the caps.
type storeCounts struct {
	articles, passages int
	bytes              int64
}

func (w *writer) counts(ctx context.Context, build int64) (storeCounts, error) {
	ctx, cancel := context.WithTimeout(ctx, sharedStatementTimeout)
	defer cancel()
	var c storeCounts
	if err := w.conn.QueryRow(ctx, `SELECT (SELECT count(*) FROM newsbot_corpus_articles),
		(SELECT coalesce(sum(octet_length(body)), 0) FROM newsbot_corpus_articles),
		(SELECT count(*) FROM newsbot_corpus_passages WHERE build = $1)`, build).Scan(&c.articles, &c.bytes, &c.passages); err != nil {
		return c, fmt.Errorf("postgres: count the corpus: %w", err)
	}
	return c, nil
}

func (w *writer) meta(ctx context.Context) (storeMeta, error) {
	ctx, cancel := context.WithTimeout(ctx, w.s.opts.Timeout)
	defer cancel()
	m, found, err := readStoreMeta(ctx, w.conn, false)
	if err == nil && !found {
		err = errors.New("postgres: newsbot_corpus has no row")
	}
	if err == nil {
		if mm := w.s.mismatch(m); mm != nil {
			err = mm
		}
	}
	return m, err
}

// existing is what the store holds of an article, for a writer's choices.
type existing struct {
	origin, path, hash string
	passages           int
}

// existingArticles reads the store's articles (all, or those whose IDs
// are in ids) with their passage counts in build.
func (w *writer) existingArticles(ctx context.Context, build int64, ids []string) (map[string]existing, error) {
	ctx, cancel := context.WithTimeout(ctx, sharedStatementTimeout)
	defer cancel()
	sql := `SELECT a.id, a.origin, a.path, a.hash, (SELECT count(*) FROM newsbot_corpus_passages p WHERE p.article_id = a.id AND p.build = $1)
		FROM newsbot_corpus_articles a`
	args := []any{build}
	if ids != nil {
		sql += " WHERE a.id = ANY($2)"
		args = append(args, ids)
	}
	rows, err := w.conn.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: read articles: %w", err)
	}
	defer rows.Close()
	out := map[string]existing{}
	for rows.Next() {
		var id string
		var e existing
		if err := rows.Scan(&id, &e.origin, &e.path, &e.hash, &e.passages); err != nil {
			return nil, fmt.Errorf("postgres: read articles: %w", err)
		}
		out[id] = e
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: read articles: %w", err)
	}
	return out, nil
}

// Ingest adds one file to the store and indexes it: the store's second
// implementation of Index.Ingest, with the same naming (ingested/NAME,
// suffixed when another file has the name), the same refusals (a
// *Rejection, nothing written) and the same caps, counted in the store.
// The file's articles, their passages and vectors are written in one
// transaction; by says who added them. The same file under the same name
// is recognised and not written twice. An article ID another file already
// has is skipped and reported. Once committed, the change is in the index
// (when it follows the store) before Ingest returns; other replicas apply
// it when they are notified.
func (s *Shared) Ingest(ctx context.Context, name string, data []byte, by string, progress func(Progress)) (res IngestResult, err error) {
	report := reporter(progress)
	start := time.Now()
	w, err := s.begin(ctx, true, report)
	if err != nil {
		return res, fmt.Errorf("ingest: %w", err)
	}
	defer func() { err = s.end(w, err) }()
	m, err := w.meta(ctx)
	if err != nil {
		return res, fmt.Errorf("ingest: %w", err)
	}

	base := FileName(name)
	stem, ext := strings.TrimSuffix(base, path.Ext(base)), path.Ext(base)
	var (
		rel   string
		arts  []article.Article
		taken map[string]existing
	)
	for n := 1; ; n++ {
		if n > 1000 {
			return res, &Rejection{Reason: RejectNameTaken, Name: base, Err: fmt.Errorf("%s and 999 suffixed names are taken", base)}
		}
		fname := base
		if n > 1 {
			fname = fmt.Sprintf("%s-%d%s", stem, n, ext)
		}
		rel = IngestDir + "/" + fname
		var perr error
		arts, _, perr = article.Parse(rel, data, s.ix.load)
		if perr == nil && len(arts) == 0 {
			perr = fmt.Errorf("parse %s: %w", rel, article.ErrNoText)
		}
		if perr != nil {
			return res, reject(rel, perr)
		}
		ids := make([]string, len(arts))
		for i, a := range arts {
			ids[i] = a.ID
		}
		if taken, err = w.existingArticles(ctx, m.build, ids); err != nil {
			return res, fmt.Errorf("ingest: %w", err)
		}
		same, derivedTaken := 0, false
		own := strings.TrimSuffix(rel, path.Ext(rel)) // the IDs derived from the name start so
		for _, a := range arts {
			e, ok := taken[a.ID]
			switch {
			case !ok:
			case e.origin == ingestOrigin && e.path == rel && e.hash == a.Hash:
				same++
			case a.ID == own || strings.HasPrefix(a.ID, own+"/"):
				derivedTaken = true
			}
		}
		if same == len(arts) {
			return IngestResult{Path: rel, Existed: true, Articles: s.infos(arts)}, nil
		}
		// Another file has this name, or the IDs it gives: try the next
		// name. (IDs a file names itself are skipped below instead: no
		// name frees them.)
		if !derivedTaken && !s.pathTaken(ctx, w, rel) {
			break
		}
	}

	var fresh []storedArticle
	for _, a := range arts {
		if e, ok := taken[a.ID]; ok {
			res.Skipped = append(res.Skipped, article.Problem{Path: rel, Reason: fmt.Sprintf("duplicate ID %q (already in the corpus from %s)", a.ID, describeOrigin(e))})
			continue
		}
		fresh = append(fresh, storedArticle{Article: a, origin: ingestOrigin, addedBy: by})
	}
	res.Path = rel
	if len(fresh) == 0 {
		return res, nil
	}
	c, err := w.counts(ctx, m.build)
	if err != nil {
		return res, fmt.Errorf("ingest: %w", err)
	}
	plain := make([]article.Article, len(fresh))
	for i, a := range fresh {
		plain[i] = a.Article
	}
	if err := s.ix.admitInto(plain, int64(len(data)), c.articles, c.passages, func() (int64, error) { return c.bytes, nil }); err != nil {
		return res, reject(rel, err)
	}

	ps, err := s.embedArticles(ctx, plain, report)
	if err != nil {
		return res, fmt.Errorf("ingest %s: %w", rel, err)
	}
	if _, err := w.change(ctx, 0, func(tx pgx.Tx, gen int64, m storeMeta) error {
		if err := copyArticles(ctx, tx, gen, fresh); err != nil {
			return err
		}
		return copyPassages(ctx, tx, m.build, ps)
	}); err != nil {
		return res, fmt.Errorf("ingest %s: %w", rel, err)
	}
	report(Progress{Stage: StageSaved, Path: rel})
	s.refresh(ctx)
	res.Articles = s.infos(plain)
	res.Reindexed = time.Since(start)
	res.Reindex = Summary{Articles: c.articles + len(fresh), Passages: c.passages + len(ps), Embedded: len(ps), Skipped: res.Skipped, Duration: res.Reindexed}
	for _, a := range fresh {
		res.Reindex.Added = append(res.Reindex.Added, a.ID)
	}
	report(Progress{Stage: "done", Done: len(fresh), Total: len(fresh)})
	s.log.Info("ingested into the shared corpus", "path", rel, "articles", len(fresh), "passages", len(ps), "seconds", res.Reindexed.Seconds())
	return res, nil
}

// pathTaken reports whether another ingested file is stored under rel.
func (s *Shared) pathTaken(ctx context.Context, w *writer, rel string) bool {
	ctx, cancel := context.WithTimeout(ctx, sharedStatementTimeout)
	defer cancel()
	var n int
	err := w.conn.QueryRow(ctx, "SELECT count(*) FROM newsbot_corpus_articles WHERE origin = $1 AND path = $2", ingestOrigin, rel).Scan(&n)
	return err != nil || n > 0
}

// infos returns the index's infos of arts, for the articles it holds, or
// infos made from arts when it doesn't follow the store.
func (s *Shared) infos(arts []article.Article) []ArticleInfo {
	byID := map[string]ArticleInfo{}
	for _, a := range s.ix.Articles() {
		byID[a.ID] = a
	}
	var out []ArticleInfo
	for _, a := range arts {
		if info, ok := byID[a.ID]; ok {
			out = append(out, info)
		} else if !s.following.Load() {
			out = append(out, ArticleInfo{ID: a.ID, Path: a.Path, Title: a.Title, Source: a.Source, URL: a.URL, Published: a.Published,
				Hash: a.Hash, Passages: len(Chunk(a, s.ix.chunk))})
		}
	}
	return out
}

func describeOrigin(e existing) string {
	if e.origin == ingestOrigin {
		return "/ingest, " + e.path
	}
	return e.origin + "/" + e.path
}

// embedArticles chunks and embeds articles, reporting StageEmbedding by
// article.
func (s *Shared) embedArticles(ctx context.Context, arts []article.Article, report func(Progress)) ([]livePassage, error) {
	var ps []livePassage
	var of []int
	for i, a := range arts {
		for _, p := range Chunk(a, s.ix.chunk) {
			ps = append(ps, livePassage{storedPassage: storedPassage{Passage: p, ArticleHash: a.Hash}})
			of = append(of, i)
		}
	}
	report(Progress{Stage: "embedding", Total: len(arts)})
	err := s.ix.embedPassages(ctx, ps, func(_, to int) {
		report(Progress{Stage: "embedding", Done: of[to-1] + 1, Total: len(arts)})
	})
	return ps, err
}

func reporter(progress func(Progress)) func(Progress) {
	return func(p Progress) {
		if progress != nil {
			progress(p)
		}
	}
}

// Import brings the articles of the folder corpus into the store: new
// ones are added, changed ones replaced (same ID, another content hash),
// unchanged ones left as they are (their vectors too). It never removes:
// articles of the store that the folder lacks stay, and are listed in
// Summary.Missing when they came from this folder (its origin, the
// folder's absolute path). An article whose ID the store has from another
// origin (/ingest, another folder) is skipped and reported. All of it is
// one transaction. Only one import runs at a time in a process (a second
// gets ErrReindexRunning); across processes it waits for the write lock.
func (s *Shared) Import(ctx context.Context, corpus string, progress func(Progress)) (Summary, error) {
	return s.importFolder(ctx, corpus, false, progress)
}

// Prune is Import, then removes the articles of the folder's origin that
// it no longer holds (Summary.Removed), in the same transaction.
func (s *Shared) Prune(ctx context.Context, corpus string, progress func(Progress)) (Summary, error) {
	return s.importFolder(ctx, corpus, true, progress)
}

func (s *Shared) importFolder(ctx context.Context, corpus string, prune bool, progress func(Progress)) (sum Summary, err error) {
	report := reporter(progress)
	w, err := s.begin(ctx, false, report)
	if err != nil {
		return sum, fmt.Errorf("import %s: %w", corpus, err)
	}
	defer func() { err = s.end(w, err) }()
	start := time.Now()
	m, err := w.meta(ctx)
	if err != nil {
		return sum, fmt.Errorf("import %s: %w", corpus, err)
	}
	origin, err := filepath.Abs(corpus)
	if err != nil {
		return sum, fmt.Errorf("import %s: %w", corpus, err)
	}
	report(Progress{Stage: "loading"})
	arts, problems, err := article.LoadDir(ctx, corpus, s.ix.load)
	if err != nil {
		return sum, fmt.Errorf("import %s: %w", corpus, err)
	}
	table, err := w.existingArticles(ctx, m.build, nil)
	if err != nil {
		return sum, fmt.Errorf("import %s: %w", corpus, err)
	}
	inFolder := make(map[string]bool, len(arts))
	var mine []article.Article
	reusable := map[string]ArticleInfo{}
	for _, a := range arts {
		e, ok := table[a.ID]
		if ok && e.origin != origin {
			problems = append(problems, article.Problem{Path: a.Path, Reason: fmt.Sprintf("article %q is already in the corpus from %s; not replaced", a.ID, describeOrigin(e))})
			continue
		}
		inFolder[a.ID] = true
		mine = append(mine, a)
		if ok && e.hash == a.Hash {
			reusable[a.ID] = ArticleInfo{ID: a.ID, Hash: e.hash, Passages: e.passages}
		}
	}
	others := 0 // passages of the articles this import leaves as they are
	for id, e := range table {
		if !inFolder[id] && !(prune && e.origin == origin) {
			others += e.passages
		}
		if !inFolder[id] && e.origin == origin {
			sum.Missing = append(sum.Missing, id)
		}
	}
	sort.Strings(sum.Missing)
	kept, chunks, over := s.ix.budgetFrom(mine, reusable, others)
	sum.Skipped = append(problems, over...)
	sort.SliceStable(sum.Skipped, func(i, j int) bool { return sum.Skipped[i].Path < sum.Skipped[j].Path })
	if len(arts) == 0 {
		return sum, fmt.Errorf("import %s: %w (supported: %s)", corpus, ErrEmptyCorpus, strings.Join(article.Extensions(), " "))
	}

	var added []storedArticle
	var changed []article.Article
	var fresh []livePassage
	var freshOf []int
	for _, a := range kept {
		if _, ok := reusable[a.ID]; ok {
			sum.Unchanged++
			continue
		}
		if _, ok := table[a.ID]; ok {
			changed = append(changed, a)
			sum.Changed = append(sum.Changed, a.ID)
		} else {
			added = append(added, storedArticle{Article: a, origin: origin, addedBy: "import of " + origin + " by " + s.by})
			sum.Added = append(sum.Added, a.ID)
		}
		for _, p := range chunks[a.ID] {
			fresh = append(fresh, livePassage{storedPassage: storedPassage{Passage: p, ArticleHash: a.Hash}})
			freshOf = append(freshOf, len(sum.Added)+len(sum.Changed))
		}
	}
	if prune {
		sum.Removed, sum.Missing = sum.Missing, nil
	}
	toEmbed := len(sum.Added) + len(sum.Changed)
	report(Progress{Stage: "embedding", Total: toEmbed})
	if err := s.ix.embedPassages(ctx, fresh, func(_, to int) {
		report(Progress{Stage: "embedding", Done: freshOf[to-1], Total: toEmbed})
	}); err != nil {
		return sum, fmt.Errorf("import %s: %w", corpus, err)
	}
	sum.Embedded = len(fresh)

	if toEmbed > 0 || len(sum.Removed) > 0 {
		report(Progress{Stage: "saving"})
		_, err := w.change(ctx, 0, func(tx pgx.Tx, gen int64, m storeMeta) error {
			if len(sum.Removed) > 0 {
				if err := removeArticles(ctx, tx, gen, sum.Removed, "prune of "+origin+" by "+s.by); err != nil {
					return err
				}
			}
			if len(changed) > 0 {
				ids := make([]string, len(changed))
				b := &pgx.Batch{}
				for i, a := range changed {
					ids[i] = a.ID
					b.Queue(`UPDATE newsbot_corpus_articles SET path = $2, title = $3, source = $4, url = $5, author = $6, published = $7,
						body = $8, hash = $9, updated_at = now(), generation = $10 WHERE id = $1`,
						a.ID, a.Path, a.Title, a.Source, a.URL, a.Author, published(a.Published), a.Text, a.Hash, gen)
				}
				b.Queue("DELETE FROM newsbot_corpus_passages WHERE article_id = ANY($1)", ids)
				bctx, cancel := context.WithTimeout(ctx, sharedStatementTimeout)
				err := tx.SendBatch(bctx, b).Close()
				cancel()
				if err != nil {
					return fmt.Errorf("postgres: update articles: %w", err)
				}
			}
			if err := copyArticles(ctx, tx, gen, added); err != nil {
				return err
			}
			return copyPassages(ctx, tx, m.build, fresh)
		})
		if err != nil {
			return sum, fmt.Errorf("import %s: %w", corpus, err)
		}
		s.refresh(ctx)
	}
	c, err := w.counts(ctx, m.build)
	if err != nil {
		return sum, fmt.Errorf("import %s: %w", corpus, err)
	}
	sum.Articles, sum.Passages = c.articles, c.passages
	sum.Duration = time.Since(start)
	report(Progress{Stage: "done", Done: len(arts), Total: len(arts)})
	s.log.Info("imported into the shared corpus", "folder", origin, "articles", sum.Articles, "passages", sum.Passages, "added", len(sum.Added),
		"changed", len(sum.Changed), "removed", len(sum.Removed), "missing", len(sum.Missing), "skipped", len(sum.Skipped),
		"embedded", sum.Embedded, "seconds", sum.Duration.Seconds())
	return sum, nil
}

// removeArticles deletes articles (their passages go with them) and
// records their removal at gen.
func removeArticles(ctx context.Context, tx pgx.Tx, gen int64, ids []string, by string) error {
	if _, err := execStmt(ctx, tx, "DELETE FROM newsbot_corpus_articles WHERE id = ANY($1)", ids); err != nil {
		return fmt.Errorf("postgres: remove articles: %w", err)
	}
	if _, err := execStmt(ctx, tx, `INSERT INTO newsbot_corpus_removals (article_id, generation, removed_by)
		SELECT unnest($1::text[]), $2, $3`, ids, gen, by); err != nil {
		return fmt.Errorf("postgres: record removals: %w", err)
	}
	return nil
}

// Remove removes from the store the article whose ID is target, or every
// article of the file target (a path as the articles list shows it, such
// as "ingested/story.txt"), and returns what went; ErrNotFound when
// nothing matches. by says who removed them.
func (s *Shared) Remove(ctx context.Context, target, by string) (removed []ArticleInfo, err error) {
	target = strings.TrimSpace(target)
	w, err := s.begin(ctx, true, func(Progress) {})
	if err != nil {
		return nil, fmt.Errorf("remove %s: %w", target, err)
	}
	defer func() { err = s.end(w, err) }()
	if _, err := w.meta(ctx); err != nil {
		return nil, fmt.Errorf("remove %s: %w", target, err)
	}
	qctx, cancel := context.WithTimeout(ctx, sharedStatementTimeout)
	rows, err := w.conn.Query(qctx, "SELECT "+articleColumns+", origin FROM newsbot_corpus_articles WHERE id = $1 OR path = $1 ORDER BY id", target)
	if err == nil {
		removed, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (ArticleInfo, error) {
			var a ArticleInfo
			var pub *time.Time
			err := r.Scan(&a.ID, &a.Path, &a.Title, &a.Source, &a.URL, &pub, &a.Hash, &a.Origin)
			if pub != nil {
				a.Published = *pub
			}
			return a, err
		})
	}
	cancel()
	if err != nil {
		return nil, fmt.Errorf("remove %s: postgres: %w", target, err)
	}
	if len(removed) == 0 {
		return nil, fmt.Errorf("remove %s: %w", target, ErrNotFound)
	}
	ids := make([]string, len(removed))
	for i, a := range removed {
		ids[i] = a.ID
	}
	if _, err := w.change(ctx, 0, func(tx pgx.Tx, gen int64, _ storeMeta) error {
		return removeArticles(ctx, tx, gen, ids, by)
	}); err != nil {
		return nil, fmt.Errorf("remove %s: %w", target, err)
	}
	s.refresh(ctx)
	s.log.Info("removed from the shared corpus", "target", target, "articles", strings.Join(ids, ","), "by", by)
	return removed, nil
}

// Rebuild re-chunks and re-embeds every article of the store with this
// index's chunker and embedder, which may differ from the store's: that
// is how a store moves to another embedder. The new passages are written
// as a new build beside the live one, in batches, then one transaction
// makes the new build live (and this embedder the store's) and moves the
// generation on; the old build is deleted after. Replicas go on serving
// the old build until they have loaded the new one, and never wait for
// the rebuild. A rebuild that is killed leaves its partial build behind,
// unused; the next write of a rebuild deletes it.
func (s *Shared) Rebuild(ctx context.Context, progress func(Progress)) (sum Summary, err error) {
	report := reporter(progress)
	w, err := s.begin(ctx, false, report)
	if err != nil {
		return sum, fmt.Errorf("rebuild: %w", err)
	}
	defer func() { err = s.end(w, err) }()
	start := time.Now()
	qctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	m, _, err := readStoreMeta(qctx, w.conn, false)
	cancel()
	if err != nil {
		return sum, fmt.Errorf("rebuild: %w", err)
	}
	if _, err := execStmt(ctx, w.conn, "DELETE FROM newsbot_corpus_passages WHERE build <> $1", m.build); err != nil {
		return sum, fmt.Errorf("rebuild: postgres: delete an abandoned build: %w", err)
	}
	report(Progress{Stage: "loading"})
	qctx, cancel = context.WithTimeout(ctx, sharedStatementTimeout)
	rows, err := w.conn.Query(qctx, "SELECT id, path, title, source, url, author, published, body, hash FROM newsbot_corpus_articles ORDER BY id")
	var arts []article.Article
	if err == nil {
		arts, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (article.Article, error) {
			var a article.Article
			var pub *time.Time
			err := r.Scan(&a.ID, &a.Path, &a.Title, &a.Source, &a.URL, &a.Author, &pub, &a.Text, &a.Hash)
			if pub != nil {
				a.Published = *pub
			}
			return a, err
		})
	}
	cancel()
	if err != nil {
		return sum, fmt.Errorf("rebuild: postgres: read articles: %w", err)
	}
	next := m.build + 1
	done := 0
	report(Progress{Stage: "embedding", Total: len(arts)})
	// A batch of articles at a time: embedded, then written in a
	// transaction of its own, outside the live build.
	for b := 0; b < len(arts); b += embedBatch / 4 {
		batch := arts[b:min(b+embedBatch/4, len(arts))]
		ps, err := s.embedArticles(ctx, batch, func(Progress) {})
		if err != nil {
			return sum, fmt.Errorf("rebuild: %w", err)
		}
		bctx, cancel := context.WithTimeout(ctx, sharedStatementTimeout)
		tx, err := w.conn.Begin(bctx)
		cancel()
		if err == nil {
			if err = copyPassages(ctx, tx, next, ps); err == nil {
				cctx, cancel := context.WithTimeout(ctx, sharedStatementTimeout)
				err = tx.Commit(cctx)
				cancel()
			}
			rollback(tx)
		}
		if err != nil {
			return sum, fmt.Errorf("rebuild: %w", err)
		}
		sum.Embedded += len(ps)
		done += len(batch)
		report(Progress{Stage: "embedding", Done: done, Total: len(arts)})
	}
	report(Progress{Stage: "saving"})
	if _, err := w.change(ctx, next, func(pgx.Tx, int64, storeMeta) error { return nil }); err != nil {
		return sum, fmt.Errorf("rebuild: %w", err)
	}
	if _, err := execStmt(ctx, w.conn, "DELETE FROM newsbot_corpus_passages WHERE build <> $1", next); err != nil {
		s.log.Warn("rebuild: the old build's passages are left behind (the next rebuild deletes them)", "err", err)
	}
	s.refresh(ctx)
	sum.Articles, sum.Passages, sum.Duration = len(arts), sum.Embedded, time.Since(start)
	report(Progress{Stage: "done", Done: len(arts), Total: len(arts)})
	s.log.Info("rebuilt the shared corpus", "build", next, "embedder", s.embedder, "chunker", s.chunker, "articles", len(arts),
		"passages", sum.Embedded, "seconds", sum.Duration.Seconds())
	return sum, nil
}
