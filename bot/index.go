package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/newsbot/newsbot/bot/config"
	"github.com/newsbot/newsbot/retrieval"
	"github.com/newsbot/newsbot/retrieval/article"
	"github.com/newsbot/newsbot/retrieval/pgvector"
)

// defaultCorpus is indexed when no corpus is named and no index exists, so
// that a fresh clone answers questions with no set-up.
const defaultCorpus = "testdata/articles"

// addIndexFlags adds -data and -corpus to a command that uses the index;
// their values are read through the configuration (index.data,
// index.corpus).
func addIndexFlags(fs *flag.FlagSet) {
	fs.String("data", "", "data folder holding the index (default $NEWSBOT_DATA or the user cache folder)")
	fs.String("corpus", "", "folder of articles to index (default $NEWSBOT_CORPUS, the index's own, or "+defaultCorpus+")")
}

// dataDir resolves the data folder: index.data, else the user cache folder.
func (c *cli) dataDir() (string, error) {
	if d := c.cfg.Index.Data; d != "" {
		return d, nil
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no data folder: give -data DIR or set NEWSBOT_DATA (%w)", err)
	}
	return filepath.Join(cache, "newsbot"), nil
}

// corpusDir resolves the corpus folder: index.corpus, the one the index
// was built from, the bundled seed articles.
func (c *cli) corpusDir(ix *retrieval.Index) string {
	switch {
	case c.cfg.Index.Corpus != "":
		return c.cfg.Index.Corpus
	case ix != nil && ix.Corpus() != "":
		return ix.Corpus()
	}
	return defaultCorpus
}

// openIndex opens the index in the data folder. When build is set, it
// indexes the corpus first if -corpus was given or the index is missing,
// damaged or stale; observe, when not nil, is told how that went (and the
// progress goes to the log instead of the terminal).
func (c *cli) openIndex(ctx context.Context, build bool, observe func(time.Duration, error)) (*retrieval.Index, error) {
	if c.sharedCorpus() {
		return c.openSharedIndex(ctx)
	}
	dir, err := c.dataDir()
	if err != nil {
		return nil, err
	}
	emb, err := c.embedder(ctx, dir, c.corpusDir(nil))
	if err != nil {
		return nil, err
	}
	ix, err := c.openIndexIn(dir, emb)
	if err != nil {
		return nil, err
	}
	if !build {
		return ix, nil
	}
	corpus := c.corpusDir(ix)
	if c.cfg.SourceOf(&c.cfg.Index.Corpus) != config.FromFlag && ix.Stale() == "" && len(ix.Articles()) > 0 {
		return ix, nil
	}
	if err := checkCorpus(corpus); err != nil {
		if ix.Stale() != "" {
			return nil, fmt.Errorf("%s, and %w", ix.Stale(), err)
		}
		return nil, err
	}
	// A command-line tool shows its progress; "serve" (observe set) only
	// logs, as the index logs what the reindex did.
	progress := c.progress()
	if observe != nil {
		progress = nil
	}
	if reason := ix.Stale(); reason != "" {
		if observe != nil {
			c.log.Info("indexing the corpus first", "corpus", corpus, "reason", reason)
		} else {
			fmt.Fprintf(c.stderr, "Indexing %s first: %s.\n", corpus, reason)
		}
	}
	start := time.Now()
	sum, err := ix.Reindex(ctx, corpus, progress)
	if observe != nil {
		observe(time.Since(start), err)
	}
	if err != nil {
		if errors.Is(err, retrieval.ErrEmptyCorpus) {
			// Say why each file was left out (over a cap, unreadable...).
			if observe == nil {
				printSkipped(c.stderr, sum.Skipped)
			} else {
				for _, p := range sum.Skipped {
					c.log.Warn("skipped a file of the corpus", "path", p.Path, "line", p.Line, "reason", p.Reason)
				}
			}
		}
		return nil, lockHint(err)
	}
	if observe == nil {
		c.printSummary(c.stderr, sum, corpus)
	}
	return ix, nil
}

// checkCorpus gives a clear message for a missing or non-folder corpus.
func checkCorpus(dir string) error {
	st, err := os.Stat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("corpus folder %s does not exist (give -corpus DIR)", dir)
	}
	if err != nil {
		return fmt.Errorf("corpus folder %s: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("corpus %s is not a folder", dir)
	}
	return nil
}

// indexOptions are the options of the index in dir: its caps
// (index.max_*) and its lock. Its vector store is openIndexIn's.
func (c *cli) indexOptions(dir string, emb retrieval.Embedder) retrieval.Options {
	return retrieval.Options{Dir: dir, Embedder: emb, Logger: c.log,
		Load:                  c.loadOptions(),
		MaxPassagesPerArticle: c.cfg.Index.MaxPassagesPerArticle,
		MaxPassages:           c.cfg.Index.MaxPassages,
		LockWait:              c.lockWait(), Owner: "bot " + c.cmd}
}

// The vector stores index.store names.
const (
	storeChromem = "chromem"  // the index's own vectors, searched in this process
	storePG      = "pgvector" // also a vectors-only PostgreSQL table at index.postgres
)

// openIndexIn opens the index in dir, embedded by emb, with the vector
// store index.store names: this is where the name becomes a store
// (retrieval.Options.Vectors), so that retrieval need not import the
// packages of the stores outside it.
func (c *cli) openIndexIn(dir string, emb retrieval.Embedder) (*retrieval.Index, error) {
	opts := c.indexOptions(dir, emb)
	switch c.cfg.Index.Store {
	case "", storeChromem:
	case storePG:
		opts.Vectors = pgvector.Opener(c.cfg.Index.Postgres)
	default:
		return nil, fmt.Errorf("open index: unknown vector store %q (want %s or %s)", c.cfg.Index.Store, storeChromem, storePG)
	}
	return retrieval.Open(opts)
}

// loadOptions are the caps on files, bytes and articles (index.max_*).
func (c *cli) loadOptions() article.Options {
	return article.Options{MaxFileBytes: c.cfg.Index.MaxFileBytes, MaxArticles: c.cfg.Index.MaxArticlesPerFile,
		MaxTotalBytes: c.cfg.Index.MaxCorpusBytes, MaxTotalArticles: c.cfg.Index.MaxArticles}
}

// lockWait is index.lock_wait as retrieval.Options.LockWait takes it: a
// setting of 0 (never the default) means no wait at all.
func (c *cli) lockWait() time.Duration {
	if c.cfg.Index.LockWait == 0 {
		return -1
	}
	return c.cfg.Index.LockWait
}

// lockHint adds to an error of a reindex that gave up waiting for another
// process how to wait longer.
func lockHint(err error) error {
	var le *retrieval.LockedError
	if errors.As(err, &le) {
		return fmt.Errorf("%w (set NEWSBOT_LOCK_WAIT to wait longer)", err)
	}
	return err
}

// isTerminal reports whether w is an interactive terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// progress reports reindex progress on stderr: a bar redrawn in place on a
// terminal, a line per stage (and every 10%) otherwise.
func (c *cli) progress() func(retrieval.Progress) {
	tty := isTerminal(c.stderr)
	lastPct := -1
	lastStage := ""
	return func(p retrieval.Progress) {
		if p.Stage == retrieval.StageWaiting {
			// Another process writes the data folder: say who, and for how
			// long this one waits.
			if tty {
				fmt.Fprint(c.stderr, "\r\033[K")
			}
			dir, _ := c.dataDir()
			fmt.Fprintf(c.stderr, "Waiting for %s to finish writing the index in %s (for at most %s)...\n", p.Holder, dir, c.cfg.Index.LockWait)
			return
		}
		if p.Stage == "done" {
			if tty {
				fmt.Fprint(c.stderr, "\r\033[K")
			}
			return
		}
		pct := 0
		if p.Total > 0 {
			pct = p.Done * 100 / p.Total
		}
		if tty {
			const width = 30
			fill := width * pct / 100
			fmt.Fprintf(c.stderr, "\r\033[K%-9s [%s%s] %d/%d", p.Stage, strings.Repeat("#", fill), strings.Repeat(".", width-fill), p.Done, p.Total)
			return
		}
		if p.Stage != lastStage || pct/10 != lastPct/10 {
			if p.Total > 0 {
				fmt.Fprintf(c.stderr, "%s: %d/%d articles\n", p.Stage, p.Done, p.Total)
			} else {
				fmt.Fprintf(c.stderr, "%s...\n", p.Stage)
			}
			lastStage, lastPct = p.Stage, pct
		}
	}
}

func (c *cli) printSummary(w io.Writer, s retrieval.Summary, corpus string) {
	fmt.Fprintf(w, "Indexed %s: %d articles, %d passages in %.1fs (added %d, changed %d, removed %d, unchanged %d, skipped %d).\n",
		corpus, s.Articles, s.Passages, s.Duration.Seconds(), len(s.Added), len(s.Changed), len(s.Removed), s.Unchanged, len(s.Skipped))
	printSkipped(w, s.Skipped)
}

// printSkipped lists the files and records a reindex left out, and why.
func printSkipped(w io.Writer, skipped []article.Problem) {
	for _, p := range skipped {
		where := p.Path
		if p.Line > 0 {
			where = fmt.Sprintf("%s:%d", p.Path, p.Line)
		}
		fmt.Fprintf(w, "  skipped %s: %s\n", where, p.Reason)
	}
}

// index is "bot index": build or update the index and print a summary.
// With a shared corpus (index.postgres) it imports the corpus folder into
// PostgreSQL instead (see indexShared).
func (c *cli) index(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("index", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	addIndexFlags(fs)
	prune := fs.Bool("prune", false, "with a shared corpus (NEWSBOT_POSTGRES): also remove the articles earlier imports of the folder added that it no longer holds (an embedded index always does)")
	rebuild := fs.Bool("rebuild", false, "with a shared corpus: re-chunk and re-embed every article with this configuration's embedder, beside the live data, then switch to it")
	file := addConfigFlag(fs)
	if err := fs.Parse(args); err != nil {
		return usageError{}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("index takes no arguments, got %q", fs.Args())}
	}
	if err := c.configure(fs, *file, false); err != nil {
		return err
	}
	if c.sharedCorpus() {
		if *prune && *rebuild {
			return usageError{"-prune and -rebuild don't go together: a rebuild re-embeds the store's articles, an import (with -prune) reads a folder"}
		}
		return c.indexShared(ctx, *prune, *rebuild)
	}
	if *rebuild {
		return usageError{"-rebuild re-embeds a shared corpus (NEWSBOT_POSTGRES); an embedded index re-embeds what changed on every run"}
	}
	ix, err := c.openIndex(ctx, false, nil)
	if err != nil {
		return err
	}
	defer ix.Close()
	corpus := c.corpusDir(ix)
	if err := checkCorpus(corpus); err != nil {
		return err
	}
	start := time.Now()
	sum, err := ix.Reindex(ctx, corpus, c.progress())
	if err != nil {
		if errors.Is(err, retrieval.ErrEmptyCorpus) {
			// Say why each file was left out (over a cap, unreadable...).
			printSkipped(c.stderr, sum.Skipped)
		}
		return lockHint(err)
	}
	sum.Duration = time.Since(start)
	c.printSummary(c.stdout, sum, corpus)
	return nil
}
