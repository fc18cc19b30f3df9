package retrieval

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/newsbot/newsbot/internal/atomicfile"
	"github.com/newsbot/newsbot/internal/backoff"
	"github.com/newsbot/newsbot/retrieval/article"
)

// IngestDir is the corpus subfolder Ingest saves files into.
const IngestDir = "ingested"

// The stages Ingest reports besides a reindex's own.
const (
	// StageSaved: the file is in the corpus, at Progress.Path; indexing
	// follows.
	StageSaved = "saved"
	// StageWaiting: another reindex is running; Ingest waits for it to
	// finish before indexing the file.
	StageWaiting = "waiting"
)

// ingestPoll is how often Ingest checks whether a running reindex has
// finished.
const ingestPoll = 2 * time.Second

// ingestTemps matches the temporary files of Ingest's writes: dot files,
// which the loader skips, named ".ingest-PID-*.tmp" (ownedTemp).
const ingestTemps = ".ingest-*.tmp"

// IngestResult is what Ingest did with a file.
type IngestResult struct {
	// Path is the file in the corpus, relative and slash-separated
	// ("ingested/story.txt").
	Path string
	// Existed is set when the same bytes were already there, so nothing
	// was written.
	Existed bool
	// Articles are the file's articles as the index now holds them, in
	// the file's order; empty when none made it in.
	Articles []ArticleInfo
	// Skipped are the reindex's problems with this file (a duplicate ID,
	// a bad JSON Lines record).
	Skipped []article.Problem
	// Reindex is the reindex that indexed the file, and Reindexed how
	// long it took (zero when none ran: the file was refused, or the wait
	// for another reindex ended first).
	Reindex   Summary
	Reindexed time.Duration
}

// RejectReason says why Ingest refused a file.
type RejectReason int

// Reasons for refusing a file. Nothing is saved in each case.
const (
	RejectEmpty       RejectReason = iota + 1 // no bytes, or only white space
	RejectBinary                              // not text
	RejectTooLarge                            // over the load limit
	RejectInvalidJSON                         // a .json file that doesn't parse (Line says where)
	RejectUnsupported                         // an extension no loader reads
	RejectNoText                              // no article text in it
	RejectNameTaken                           // too many files already carry its name
	RejectOverLimit                           // over a cap on articles, passages or bytes (Limit says which)
)

// Rejection is the error Ingest returns for a file it refuses.
type Rejection struct {
	Reason RejectReason
	// Line is the 1-based line of the first problem, when known.
	Line int
	// Name is the file's name as it would have been saved.
	Name string
	// Limit, for RejectOverLimit, is the cap the file went over, in words
	// with its value: "10,000 articles per file".
	Limit string
	// Err is the cause, for the operator.
	Err error
}

func (r *Rejection) Error() string {
	if r.Err != nil {
		return fmt.Sprintf("ingest %s: %v", r.Name, r.Err)
	}
	return fmt.Sprintf("ingest %s: refused", r.Name)
}

func (r *Rejection) Unwrap() error { return r.Err }

// rejectReasons maps article's parse errors to reasons.
var rejectReasons = []struct {
	err    error
	reason RejectReason
}{
	{article.ErrEmpty, RejectEmpty},
	{article.ErrBinary, RejectBinary},
	{article.ErrTooLarge, RejectTooLarge},
	{article.ErrInvalidJSON, RejectInvalidJSON},
	{article.ErrUnsupported, RejectUnsupported},
	{article.ErrNoText, RejectNoText},
	{article.ErrOverLimit, RejectOverLimit},
}

// Ingest adds one file to the corpus folder and indexes it. It names the
// file (FileName of name, with a "-2", "-3"... suffix when a different file
// has that name), parses it to refuse what the index could not use or
// what is over the caps of Options.Load, MaxPassagesPerArticle and
// MaxPassages (a *Rejection: nothing is saved), writes it atomically under
// corpus/ingested, where a file of the same name is never replaced, and
// reindexes the corpus, waiting first for a reindex that is running. The
// same bytes under the same name are recognised and not written twice.
//
// progress, when not nil, is told StageSaved, StageWaiting and the
// reindex's progress, from this goroutine. ctx bounds the wait and the
// reindex; the file stays saved when the reindex fails.
func (ix *Index) Ingest(ctx context.Context, corpus, name string, data []byte, progress func(Progress)) (IngestResult, error) {
	if ix.shared != nil {
		return IngestResult{}, errShared
	}
	report := reporter(progress)
	res, parsed, err := ix.save(ctx, corpus, name, data)
	if err != nil {
		return res, err
	}
	report(Progress{Stage: StageSaved, Path: res.Path})

	for waited := false; ; waited = true {
		start := time.Now()
		sum, err := ix.Reindex(ctx, corpus, progress)
		if !errors.Is(err, ErrReindexRunning) {
			res.Reindex, res.Reindexed = sum, time.Since(start)
			if err != nil {
				return res, fmt.Errorf("ingest %s: %w", res.Path, err)
			}
			break
		}
		if !waited {
			report(Progress{Stage: StageWaiting, Path: res.Path})
		}
		if backoff.Sleep(ctx, ingestPoll) != nil {
			return res, fmt.Errorf("ingest %s: wait for the running reindex: %w", res.Path, context.Cause(ctx))
		}
	}

	byID := map[string]ArticleInfo{}
	for _, a := range ix.Articles() {
		byID[a.ID] = a
	}
	for _, a := range parsed {
		if info, ok := byID[a.ID]; ok && info.Path == res.Path {
			res.Articles = append(res.Articles, info)
		}
	}
	for _, p := range res.Reindex.Skipped {
		if p.Path == res.Path {
			res.Skipped = append(res.Skipped, p)
		}
	}
	return res, nil
}

// save validates data by parsing it under its final name, then saves it as
// corpus/ingested/NAME. An existing file with other bytes is never
// overwritten: the name gets a suffix. It returns the file's articles as
// parsed. It holds the corpus's ingest lock (lock.go) while it names and
// writes the file, so that another process ingesting into the same corpus
// neither takes the same name nor sees a temporary file it could delete.
func (ix *Index) save(ctx context.Context, corpus, name string, data []byte) (IngestResult, []article.Article, error) {
	ix.ingestMu.Lock()
	defer ix.ingestMu.Unlock()
	if corpus == "" {
		return IngestResult{}, nil, errors.New("ingest: no corpus folder configured")
	}
	dir := filepath.Join(corpus, IngestDir)
	if st, err := os.Lstat(dir); err == nil && !st.IsDir() {
		return IngestResult{}, nil, fmt.Errorf("ingest: %s is not a plain folder", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return IngestResult{}, nil, fmt.Errorf("ingest: %w", err)
	}
	lock, err := ix.lockIngest(ctx, corpus, dir)
	if err != nil {
		return IngestResult{}, nil, fmt.Errorf("ingest: %w", err)
	}
	defer lock.unlock()
	base := FileName(name)
	stem, ext := strings.TrimSuffix(base, path.Ext(base)), path.Ext(base)
	for n := 1; n <= 1000; n++ {
		fname := base
		if n > 1 {
			fname = fmt.Sprintf("%s-%d%s", stem, n, ext)
		}
		final := filepath.Join(dir, fname)
		if !inside(corpus, final) {
			return IngestResult{}, nil, fmt.Errorf("ingest: %q escapes the corpus folder", fname)
		}
		rel := IngestDir + "/" + fname
		old, err := os.ReadFile(final)
		existed := err == nil && bytes.Equal(old, data)
		if !existed && (err == nil || !errors.Is(err, fs.ErrNotExist)) {
			continue // taken by a different file (or unreadable): try the next name
		}
		arts, _, err := article.Parse(rel, data, ix.load)
		if err == nil && len(arts) == 0 && !existed {
			err = fmt.Errorf("parse %s: %w", rel, article.ErrNoText)
		}
		if err == nil && !existed {
			err = ix.admit(ctx, corpus, data, arts)
		}
		if err != nil {
			return IngestResult{}, nil, reject(rel, err)
		}
		if existed {
			return IngestResult{Path: rel, Existed: true}, arts, nil
		}
		err = atomicfile.WriteFile(final, data, atomicfile.Options{TempPattern: ownedTemp(".ingest-", ".tmp"), Perm: 0o644, NoReplace: true})
		if errors.Is(err, fs.ErrExist) {
			continue // appeared meanwhile
		}
		if err != nil {
			return IngestResult{}, nil, fmt.Errorf("ingest: %w", err)
		}
		return IngestResult{Path: rel}, arts, nil
	}
	return IngestResult{}, nil, &Rejection{Reason: RejectNameTaken, Name: base,
		Err: fmt.Errorf("%s and 999 suffixed names are taken", base)}
}

// reject turns a parse error into a Rejection, or returns it as it is when
// it is not about the file.
func reject(rel string, err error) error {
	for _, r := range rejectReasons {
		if errors.Is(err, r.err) {
			rj := &Rejection{Reason: r.reason, Line: article.ErrorLine(err), Name: rel, Err: err}
			var le *article.LimitError
			if errors.As(err, &le) {
				rj.Limit = le.Limit
			}
			return rj
		}
	}
	return fmt.Errorf("parse %s: %w", rel, err)
}

// removeIngestTemps deletes the temporary files a killed Ingest left in
// dir. It runs holding the corpus's ingest lock (and ingestMu), when no
// Ingest of this process or another is writing there.
func (ix *Index) removeIngestTemps(dir string) {
	names, _ := filepath.Glob(filepath.Join(dir, ingestTemps))
	for _, n := range names {
		if err := os.Remove(n); err == nil {
			ix.log.Info("removed a temporary file left by an interrupted ingest", "file", n)
		}
	}
}

// inside reports whether p lies within dir.
func inside(dir, p string) bool {
	absDir, err1 := filepath.Abs(dir)
	absP, err2 := filepath.Abs(p)
	if err1 != nil || err2 != nil {
		return false
	}
	rel, err := filepath.Rel(absDir, absP)
	return err == nil && rel != "." && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}
