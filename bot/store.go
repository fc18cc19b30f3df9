package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/newsbot/newsbot/bot/config"
	"github.com/newsbot/newsbot/retrieval"
)

// With index.postgres (NEWSBOT_POSTGRES) set, the corpus lives in
// PostgreSQL (retrieval.Shared): every command reads and writes it there,
// the data folder holds this process's snapshot of it, and a corpus folder
// is a source to import from. Without it, everything is as it always was:
// the index in the data folder, built from the corpus folder.

// sharedCorpus reports whether the corpus lives in PostgreSQL.
func (c *cli) sharedCorpus() bool { return c.cfg.Index.Postgres != "" }

// checkSharedSettings refuses the settings a shared corpus can't run with.
func checkSharedSettings(cfg *config.Config) error {
	if cfg.Index.Store == storePG {
		return usageError{"config: index.store = pgvector keeps only vectors in PostgreSQL; with index.postgres set, PostgreSQL holds the whole corpus and each replica searches it in memory: unset NEWSBOT_INDEX_STORE"}
	}
	return nil
}

// openShared opens the shared corpus store with the index of the data
// folder; degrade lets it open while PostgreSQL is unreachable. tune, when
// not nil, adjusts the options (tests shorten the waits).
func (c *cli) openShared(ctx context.Context, degrade, rebuild bool, tune func(*retrieval.SharedOptions), onChange func(retrieval.SharedState)) (*retrieval.Shared, error) {
	if err := checkSharedSettings(c.cfg); err != nil {
		return nil, err
	}
	dir, err := c.dataDir()
	if err != nil {
		return nil, err
	}
	emb, err := c.embedder(ctx, dir, c.corpusDir(nil))
	if err != nil {
		return nil, err
	}
	so := retrieval.SharedOptions{Postgres: c.cfg.Index.Postgres, Degrade: degrade, Rebuild: rebuild, OnChange: onChange}
	if tune != nil {
		tune(&so)
	}
	return retrieval.OpenShared(ctx, c.indexOptions(dir, emb), so)
}

// openSharedIndex is openIndex for the commands that only read (ask,
// source): the store's corpus, or the snapshot in the data folder when
// PostgreSQL is unreachable.
func (c *cli) openSharedIndex(ctx context.Context) (*retrieval.Index, error) {
	sh, err := c.openShared(ctx, true, false, nil, nil)
	if err != nil {
		return nil, err
	}
	if err := sh.Load(ctx); err != nil {
		if !sh.Serving() {
			sh.Close()
			return nil, fmt.Errorf("load the shared corpus: %w", err)
		}
		c.log.Warn("PostgreSQL is unreachable; answering from the snapshot in the data folder", "err", err)
	}
	if len(sh.Index().Articles()) == 0 {
		c.log.Warn("the shared corpus is empty: import a folder with bot index -corpus DIR")
	}
	return sh.Index(), nil
}

// indexShared is "bot index" with a shared corpus: import the corpus
// folder (adding and updating, never removing), with prune also remove
// what earlier imports of it added that it no longer holds, or with
// rebuild re-embed the whole store.
func (c *cli) indexShared(ctx context.Context, prune, rebuild bool) error {
	sh, err := c.openShared(ctx, false, rebuild, nil, nil)
	if err != nil {
		return lockHint(err)
	}
	defer sh.Close()
	if rebuild {
		sum, err := sh.Rebuild(ctx, c.progress())
		if err != nil {
			return lockHint(err)
		}
		fmt.Fprintf(c.stdout, "Rebuilt the shared corpus: %d articles, %d passages embedded in %.1fs, beside the live data, then switched.\n",
			sum.Articles, sum.Passages, sum.Duration.Seconds())
		return nil
	}
	corpus := c.corpusDir(nil)
	if err := checkCorpus(corpus); err != nil {
		return err
	}
	imp := sh.Import
	if prune {
		imp = sh.Prune
	}
	sum, err := imp(ctx, corpus, c.progress())
	if err != nil {
		if errors.Is(err, retrieval.ErrEmptyCorpus) {
			printSkipped(c.stderr, sum.Skipped)
			if prune {
				// An empty folder is more often a mount that failed than
				// a wish to empty the corpus: it is never pruned.
				return fmt.Errorf("%w; a folder with no articles is not pruned: take its last articles out with /remove", err)
			}
		}
		return lockHint(err)
	}
	c.printImport(c.stdout, sum, corpus)
	return nil
}

// printImport reports an import into the shared corpus.
func (c *cli) printImport(w io.Writer, s retrieval.Summary, corpus string) {
	fmt.Fprintf(w, "Imported %s into the shared corpus, now %d articles and %d passages, in %.1fs (added %d, changed %d, removed %d, unchanged %d, skipped %d).\n",
		corpus, s.Articles, s.Passages, s.Duration.Seconds(), len(s.Added), len(s.Changed), len(s.Removed), s.Unchanged, len(s.Skipped))
	for _, id := range s.Removed {
		fmt.Fprintf(w, "  removed %s\n", id)
	}
	if n := len(s.Missing); n > 0 {
		fmt.Fprintf(w, "  no longer in this folder, and kept (bot index -prune removes them): %d %s of earlier imports\n", n, map[bool]string{true: "article", false: "articles"}[n == 1])
		for i, id := range s.Missing {
			if i == 20 {
				fmt.Fprintf(w, "    ...and %d more\n", n-20)
				break
			}
			fmt.Fprintf(w, "    %s\n", id)
		}
	}
	printSkipped(w, s.Skipped)
}

// startShared opens the shared corpus for "bot serve": it degrades rather
// than exits while PostgreSQL is unreachable (serving the snapshot in the
// data folder, read-only, or waiting for PostgreSQL when there is none),
// brings the index up to the store, and imports the corpus folder when
// -corpus was given or the store is empty and the folder exists. follow
// runs the store's Run loop; the caller owns it.
func (c *cli) startShared(ctx context.Context, tune func(*retrieval.SharedOptions), onChange func(retrieval.SharedState), follow func(*retrieval.Shared)) (*retrieval.Shared, error) {
	sh, err := c.openShared(ctx, true, false, tune, onChange)
	if err != nil {
		return nil, err
	}
	if ok, _ := sh.Writable(); ok {
		if err := sh.Load(ctx); err != nil {
			c.log.Warn("cannot load the shared corpus yet", "err", err)
		}
	}
	follow(sh)
	if !sh.Serving() {
		c.log.Info("waiting for PostgreSQL to load the shared corpus")
		if err := sh.WaitServing(ctx); err != nil {
			return sh, fmt.Errorf("wait for the shared corpus: %w", err)
		}
	}
	corpus := c.corpusDir(nil)
	empty := len(sh.Index().Articles()) == 0
	if c.cfg.SourceOf(&c.cfg.Index.Corpus) != config.FromFlag && (!empty || checkCorpus(corpus) != nil) {
		return sh, nil
	}
	if ok, why := sh.Writable(); !ok {
		c.log.Warn("not importing the corpus folder at start: the shared corpus is read-only for now", "corpus", corpus, "reason", why)
		return sh, nil
	}
	if err := checkCorpus(corpus); err != nil {
		return sh, err
	}
	start := time.Now()
	sum, err := sh.Import(ctx, corpus, nil)
	if err != nil {
		if errors.Is(err, retrieval.ErrEmptyCorpus) {
			for _, p := range sum.Skipped {
				c.log.Warn("skipped a file of the corpus", "path", p.Path, "line", p.Line, "reason", p.Reason)
			}
		}
		return sh, lockHint(err)
	}
	c.log.Info("imported the corpus folder at start", "corpus", corpus, "added", len(sum.Added), "changed", len(sum.Changed),
		"unchanged", sum.Unchanged, "missing", len(sum.Missing), "seconds", time.Since(start).Seconds())
	return sh, nil
}
