package retrieval

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/newsbot/newsbot/internal/backoff"
)

// SharesFileError is returned by Index.Remove for an article whose file
// holds other articles too: the embedded index removes files, not parts of
// them. Naming the file removes them all.
type SharesFileError struct {
	// Path is the file, relative to the corpus; Articles how many it holds.
	Path     string
	Articles int
}

func (e *SharesFileError) Error() string {
	return fmt.Sprintf("%s holds %d articles; remove the file to remove them all", e.Path, e.Articles)
}

// Remove removes an article from the corpus folder and the index: the
// file of the article whose ID is target, or the file target (a path
// relative to the corpus, as ArticleInfo.Path has it), is deleted, then
// the corpus reindexed (waiting for a reindex that runs). It returns the
// articles that went; ErrNotFound when none matches, a *SharesFileError
// when target is an article whose file holds others. This is the embedded
// index's removal; a shared store's is Shared.Remove.
func (ix *Index) Remove(ctx context.Context, corpus, target string, progress func(Progress)) ([]ArticleInfo, Summary, error) {
	if ix.shared != nil {
		return nil, Summary{}, errShared
	}
	target = strings.TrimSpace(target)
	files := map[string]int{}
	var file string
	for _, a := range ix.Articles() {
		files[a.Path]++
		if a.ID == target || a.Path == target {
			file = a.Path
		}
	}
	if file == "" {
		return nil, Summary{}, fmt.Errorf("remove %s: %w", target, ErrNotFound)
	}
	if file != target && files[file] > 1 {
		return nil, Summary{}, &SharesFileError{Path: file, Articles: files[file]}
	}
	var gone []ArticleInfo
	for _, a := range ix.Articles() {
		if a.Path == file {
			gone = append(gone, a)
		}
	}
	full := filepath.Join(corpus, filepath.FromSlash(file))
	if !inside(corpus, full) {
		return nil, Summary{}, fmt.Errorf("remove %s: %s is outside the corpus folder", target, file)
	}
	if err := ix.removeFile(ctx, corpus, full); err != nil {
		return nil, Summary{}, fmt.Errorf("remove %s: %w", target, err)
	}
	for waited := false; ; waited = true {
		sum, err := ix.Reindex(ctx, corpus, progress)
		if !errors.Is(err, ErrReindexRunning) {
			sort.Slice(gone, func(i, j int) bool { return gone[i].ID < gone[j].ID })
			if err != nil {
				return gone, sum, fmt.Errorf("remove %s: the file is deleted, but the reindex failed: %w", target, err)
			}
			return gone, sum, nil
		}
		if !waited && progress != nil {
			progress(Progress{Stage: StageWaiting})
		}
		if backoff.Sleep(ctx, ingestPoll) != nil {
			return gone, Summary{}, fmt.Errorf("remove %s: wait for the running reindex: %w", target, context.Cause(ctx))
		}
	}
}

// removeFile deletes a corpus file, holding the corpus's ingest lock so
// that no ingest is naming a file meanwhile.
func (ix *Index) removeFile(ctx context.Context, corpus, full string) error {
	ix.ingestMu.Lock()
	defer ix.ingestMu.Unlock()
	lock, err := ix.lockIngest(ctx, corpus, filepath.Join(corpus, IngestDir))
	if err != nil {
		return err
	}
	defer lock.unlock()
	start := time.Now()
	if err := os.Remove(full); err != nil {
		return fmt.Errorf("delete the article's file: %w", err)
	}
	ix.log.Info("removed an article file from the corpus", "file", full, "seconds", time.Since(start).Seconds())
	return nil
}
